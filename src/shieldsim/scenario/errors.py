"""Scenario errors: every problem found, one `Issue` per line of one `ScenarioError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario: where, what was found, what is allowed."""

    path: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        shown = "" if self.value is _NOTHING else f" = {_short(self.value)}"
        return f"{self.path}{shown}: {self.allowed}"


class _Nothing:
    def __repr__(self) -> str:
        return "<nothing>"


_NOTHING = _Nothing()


def _short(value: Any, limit: int = 70) -> str:
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - exotic objects
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScenarioError(ValueError):
    """Every problem found in a scenario, one per line: ``path = value: what is allowed``."""

    def __init__(self, issues: list[Issue], origin: str = "scenario"):
        self.issues = list(issues)
        self.origin = origin
        n = len(self.issues)
        lines = [f"{origin}: {n} error{'s' if n != 1 else ''}"] + [f"  {i}" for i in self.issues]
        super().__init__("\n".join(lines))
