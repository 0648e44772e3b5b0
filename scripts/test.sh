#!/bin/sh
# The checks behind `make test`: ruff check, ruff format --check, mypy, lint-imports, pytest.
# Every step runs even if an earlier one failed; a summary follows, whose last line is
# "pytest: N passed, N failed, N skipped". Exits non-zero if any step failed, or if pytest
# ran no test at all (its exit code 5).
#
#   sh scripts/test.sh [VENV] [PYTEST_ARGS...]     (normally through `make test`)

VENV=${1:-.venv}
[ $# -gt 0 ] && shift
VPY=$VENV/bin/python
ARTIFACTS=test-artifacts
mkdir -p "$ARTIFACTS"
RESULTS=$ARTIFACTS/check-results.txt
: >"$RESULTS"
status=0

step() {
    name=$1
    shift
    echo "== $name =="
    "$@"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "$name: ok" >>"$RESULTS"
    else
        echo "$name: FAILED (exit $rc)" >>"$RESULTS"
        status=1
    fi
    return 0
}

step "ruff check" "$VPY" -m ruff check .
step "ruff format" "$VPY" -m ruff format --check .
step "mypy" "$VPY" -m mypy
step "import layers" "$(dirname "$VPY")/lint-imports"

echo "== pytest =="
rm -f "$ARTIFACTS/junit.xml"
start=$(date +%s)
"$VPY" -m pytest --junitxml="$ARTIFACTS/junit.xml" --durations=15 "$@"
rc=$?
elapsed=$(($(date +%s) - start))
case $rc in
    0) echo "pytest: ok (${elapsed}s)" >>"$RESULTS" ;;
    5) echo "pytest: FAILED: no test was collected or run (exit 5)" >>"$RESULTS"; status=1 ;;
    *) echo "pytest: FAILED (exit $rc, ${elapsed}s)" >>"$RESULTS"; status=1 ;;
esac

echo "== summary =="
cat "$RESULTS"
if [ "$status" -eq 0 ]; then
    echo "result: all checks passed"
else
    echo "result: FAILED"
fi
# last line: the test counts, "pytest: N passed, N failed, N skipped"
if ! "$VPY" scripts/junit_summary.py "$ARTIFACTS/junit.xml"; then
    status=1
fi
exit "$status"
