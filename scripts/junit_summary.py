"""Print the counts of a pytest JUnit XML report: "pytest: N passed, N failed, N skipped".

A test counts as failed if its report holds a failure or an error (setup and teardown errors
included). Exits 1 if the report is missing or unreadable, or holds no test at all.

    python scripts/junit_summary.py test-artifacts/junit.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def summarize(report: Path) -> tuple[int, int, int]:
    """Return (passed, failed, skipped) counted over the report's test cases.

    >>> summarize(Path("test-artifacts/junit.xml"))  # doctest: +SKIP
    (120, 0, 2)
    """
    passed = failed = skipped = 0
    for case in ET.parse(report).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(argv: list[str]) -> int:
    report = Path(argv[1] if len(argv) > 1 else "test-artifacts/junit.xml")
    try:
        passed, failed, skipped = summarize(report)
    except (OSError, ET.ParseError) as exc:
        print(f"pytest: no report ({report}: {exc})")
        return 1
    print(f"pytest: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if passed + failed + skipped else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
