"""Compare two `shieldsim assess` output folders: summary.json equal except the run's own
provenance (timestamp, command, wall time, output folder), CSV tables byte-identical, and the
numbers of index.html (its data-key/data-value cells) the same.

    python benchmarks/compare_assess.py BEFORE_DIR AFTER_DIR

Used to prove a refactoring changes no result: run ``shieldsim assess --grid-deg 4`` on the old
and the new code into two folders and compare. Prints what differs; exit status 1 if anything does.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

RUN_KEYS = {"timestamp", "command", "wall_time_s", "out"}
"""Provenance entries that describe the run, not the result."""


def _strip(node):
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in RUN_KEYS}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _diff(a, b, path="") -> list[str]:
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = [f"{path}/{k}: only in {'before' if k in a else 'after'}" for k in a.keys() ^ b.keys()]
        if list(a) != list(b) and not out:
            out.append(f"{path}: key order differs")
        for k in a.keys() & b.keys():
            out += _diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}/{i}")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _cells(index: Path) -> list[tuple[str, str]]:
    text = index.read_text(encoding="utf-8")
    return re.findall(r'data-key="([^"]*)" data-value="([^"]*)"', text)


def compare(before: Path, after: Path) -> list[str]:
    sa = json.loads((before / "summary.json").read_text())
    sb = json.loads((after / "summary.json").read_text())
    problems = _diff(_strip(sa), _strip(sb), "summary.json")
    for csv in sorted(p.name for p in before.glob("*.csv")):
        if (before / csv).read_bytes() != (after / csv).read_bytes():
            problems.append(f"{csv}: differs")
    if _cells(before / "index.html") != _cells(after / "index.html"):
        problems.append("index.html: the data-key cells differ")
    return problems


def main(argv: list[str]) -> int:
    before, after = (Path(a) for a in argv[1:3])
    problems = compare(before, after)
    for p in problems[:50]:
        print(p)
    print(f"{len(problems)} differences; {len(_cells(after / 'index.html'))} numeric cells compared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
