"""The wheel a user installs carries the bundled JS, the catalogue and the notebooks.

Builds the wheel once (hatchling + hatch-jupyter-builder run the npm build), installs it into a
scratch folder and imports *that* copy in a fresh interpreter: nothing from the source tree helps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    (built,) = out.glob("hfollama_widgets-*.whl")
    return built


def test_wheel_carries_built_js_catalogue_notebooks_and_types(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for widget in ("browser", "pull_progress", "chat"):
        assert f"hfollama_widgets/static/{widget}.js" in names
        assert f"hfollama_widgets/static/{widget}.css" in names
    catalogue = {n for n in names if n.startswith("hfollama_widgets/testing/catalogue/")}
    assert len(catalogue) == len(list((ROOT / "hfollama_widgets/testing/catalogue").glob("*.json")))
    for notebook in ("quickstart", "quant-analysis", "chat-cells"):
        assert f"hfollama_widgets/notebooks/{notebook}.ipynb" in names
    assert "hfollama_widgets/py.typed" in names
    assert not any(n.startswith(("tests/", "js/", "node_modules/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "hfollama = hfollama_widgets.cli:main" in scripts


def test_installed_wheel_works_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), wheel],
        check=True,
        timeout=300,
    )
    probe = """
import json, httpx, hfollama_widgets as hfw
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.widgets._base import STATIC
with FakeHub() as hub:
    df = hfw.Hub(endpoint=hub.url).list_gguf_files("bartowski/Llama-3.2-1B-Instruct-GGUF")
print(json.dumps({
    "file": hfw.__file__,
    "rows": len(df),
    "static": sorted(p.name for p in STATIC.glob("*.js")),
}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["file"].startswith(str(target))
    assert seen["rows"] > 10
    assert seen["static"] == ["browser.js", "chat.js", "pull_progress.js"]
