# hfollama-widgets developer commands (POSIX make; works as root or as a normal user).
#
#   make setup   create .venv, install the package (editable) with its test/dev/demo extras,
#                install the npm packages and build the widget JS, install Debian chromium
#   make test    setup, then ruff, mypy, the import-linter layer contract and pytest (browser tests
#                included); prints a summary. This is the command CI runs (.ci/run).
#   make demo    setup (chromium excepted: the demo does not need it), then `hfollama demo`
#   make lint    ruff check, ruff format --check, mypy, lint-imports (the layer contract)
#   make format  ruff format + ruff check --fix
#   make build   bundle js/ into hfollama_widgets/static/ (npm run build)
#   make clean   remove build output, caches and test artifacts (distclean: also .venv, node_modules)
#
# Variables: PYTHON (interpreter that creates .venv, default python3), PYTEST_ARGS (extra
# pytest arguments, e.g. make test PYTEST_ARGS='-m "not browser"'), DEMO_ARGS (options of
# `hfollama demo`, e.g. make demo DEMO_ARGS="--offline --no-browser").

PYTHON = python3
VENV = .venv
VPY = $(VENV)/bin/python
NPM = npm
CHROMIUM = /usr/bin/chromium
PYTEST_ARGS =
DEMO_ARGS =

.PHONY: setup install test demo lint format build clean distclean chromium help

help:
	@sed -n '3,16p' Makefile

setup: install chromium
	@echo "== setup done =="

# everything but chromium (which only the browser tests need)
install: build $(VENV)/.installed

# npm packages, from package-lock.json (re-run when the lock file or package.json changes)
node_modules/.package-lock.json: package.json package-lock.json
	@echo "== installing npm packages (npm ci) =="
	$(NPM) ci --no-audit --no-fund

build: node_modules/.package-lock.json
	@echo "== building widget JS (npm run build) =="
	$(NPM) run build

# the venv and the editable install (re-run when pyproject.toml changes). The JS is built
# by `make build` above, so the hatch build hook's own npm run is skipped.
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(VPY) ]; then \
		echo "== creating $(VENV) with $(PYTHON) =="; \
		$(PYTHON) -m venv $(VENV) || exit 1; \
	fi
	@echo "== installing hfollama-widgets (editable) with test, dev and demo extras =="
	$(VPY) -m pip install --quiet --upgrade pip
	HATCH_JUPYTER_BUILDER_SKIP_NPM=1 $(VPY) -m pip install --quiet -e ".[test,dev,demo]"
	@touch $@

chromium:
	@if [ -x $(CHROMIUM) ]; then \
		echo "== chromium: $(CHROMIUM) present =="; \
	else \
		echo "== installing chromium (Debian package) =="; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else \
			echo "chromium is missing and this user cannot install packages; run as root:"; \
			echo "  apt-get update && apt-get install -y chromium fonts-liberation fonts-dejavu-core"; \
			exit 1; \
		fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q || exit 1; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			chromium fonts-liberation fonts-dejavu-core || exit 1; \
	fi

test: setup
	@sh scripts/test.sh $(VENV) $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/hfollama demo $(DEMO_ARGS)

lint: $(VENV)/.installed
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VPY) -m ruff format .
	$(VPY) -m ruff check --fix .

clean:
	rm -rf test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find hfollama_widgets/static -type f ! -name .gitkeep -exec rm -f {} +
	find . \( -path ./$(VENV) -o -path ./node_modules -o -path ./.git \) -prune \
		-o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
