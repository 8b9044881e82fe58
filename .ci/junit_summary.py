"""One summary line from pytest's JUnit XML, and a failure when the run proved nothing.

    python .ci/junit_summary.py test-results/junit.xml [--require-e2e]

Exits 1 when no test ran (a collection mistake must not pass as green), or with --require-e2e when no browser test
ran (tests/e2e), since the browser tests are part of what `make test` promises.
"""

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--require-e2e", action="store_true")
    args = parser.parse_args()
    if not args.report.exists():
        print(f"test summary: no report at {args.report} (pytest did not run to the end)", file=sys.stderr)
        return 1
    cases = ET.parse(args.report).getroot().iter("testcase")  # noqa: S314
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    e2e = 0
    seconds = 0.0
    for case in cases:
        seconds += float(case.get("time") or 0)
        if (case.get("classname") or "").startswith("tests.e2e."):
            e2e += 1
        if case.find("failure") is not None:
            counts["failed"] += 1
        elif case.find("error") is not None:
            counts["errors"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    total = sum(counts.values())
    summary = ", ".join(f"{value} {name}" for name, value in counts.items())
    print(f"test summary: {total} tests ({e2e} in the browser): {summary}; {seconds:.0f} s in tests")
    if total == 0:
        print("test summary: no test ran", file=sys.stderr)
        return 1
    if args.require_e2e and e2e == 0:
        print("test summary: no browser test ran (tests/e2e)", file=sys.stderr)
        return 1
    return 1 if counts["failed"] or counts["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
