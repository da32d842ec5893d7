"""Where each numeric figure of a scenario gets its public source (``source`` / ``<key>_source``).
"""

from __future__ import annotations

import re
from typing import Any

from .loading import dump
from .schema import Scenario


def unsourced_tables(sc: Scenario) -> list[str]:
    """Paths of the tables that hold numeric figures but have no (or an empty) ``source``."""
    import tomllib

    out: list[str] = []
    for path, _, source in sourced_figures(tomllib.loads(dump(sc))):
        if not source.strip():
            table = re.sub(r"(\[\d+\])+$", "", path).rsplit(".", 1)[0]
            if table not in out:
                out.append(table)
    return out


def sourced_figures(data: Any, path: str = "") -> list[tuple[str, float, str]]:
    """Every numeric figure in raw scenario data with the ``source`` that covers it: its own
    ``<key>_source`` string when there is one (e.g. ``year_source``), else the nearest enclosing
    table's ``source`` key ("" when there is none)."""
    found: list[tuple[str, float, str]] = []

    def walk(node: Any, where: str, source: str) -> None:
        if isinstance(node, dict):
            here = node.get("source", source) if isinstance(node.get("source", source), str) else source
            for k, v in node.items():
                own = node.get(f"{k}_source")
                walk(v, f"{where}.{k}" if where else str(k), own if isinstance(own, str) else here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]", source)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append((where, node, source))

    walk(data, path, "")
    return found
