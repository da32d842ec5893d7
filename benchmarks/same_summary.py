"""Whether two assessments give the same numbers: compare two ``summary.json`` of ``shieldsim assess``.

A refactoring that must not change results (issue 19: "the default assess summary is identical
before and after") is checked by running the same command on the old and the new tree and
comparing the summaries here. Only the provenance that names the run itself is ignored
(``provenance.timestamp``, ``provenance.command``, which holds the output folder); everything
else, version included, must be equal, floats bit for bit.

    shieldsim assess --grid-deg 2 --no-progress --out /tmp/before   # old tree
    shieldsim assess --grid-deg 2 --no-progress --out /tmp/after    # new tree
    python benchmarks/same_summary.py /tmp/before/summary.json /tmp/after/summary.json

Prints ``identical`` (exit 0) or the first differences as JSON pointers (exit 1). The CSV tables
beside ``summary.json`` are compared byte for byte with ``--tables``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

IGNORED = ("/provenance/timestamp", "/provenance/command")


def differences(a, b, path: str = "") -> list[str]:
    """JSON pointers where ``a`` and ``b`` differ (type, keys, length or value)."""
    if path in IGNORED:
        return []
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, dict):
        out = [f"{path}/{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in a:
            if k in b:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}/{i}")]
    return [] if a == b or (a != a and b != b) else [f"{path}: {a!r} != {b!r}"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tables", action="store_true", help="also compare the CSV tables beside them")
    args = parser.parse_args(argv)
    diff = differences(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
    if args.tables:
        for csv in sorted(args.before.parent.glob("*.csv")):
            other = args.after.parent / csv.name
            if not other.exists() or other.read_bytes() != csv.read_bytes():
                diff.append(f"{csv.name}: differs")
    if diff:
        print("\n".join(diff[:50]))
        return 1
    print("identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
