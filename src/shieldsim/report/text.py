"""Text of the page: escaping (no URL appears literally: ``://`` is written ``&#58;//``),
paragraphs, and the number formats of the table cells (people, percent, seconds, km/s, signed
differences). Every formatter shows None as "n/a".
"""

from __future__ import annotations

import html
import re
from typing import Any


def _extra_text(key: str, value: Any) -> Any:
    """A provenance setting as shown on the page (the assumptions record as one line)."""
    if key == "assumptions" and (value is None or isinstance(value, dict)):
        from ..assumptions import summary_text

        return summary_text(value)
    return value


def _text(value: Any) -> str:
    """Escaped text; ``://`` written as a character reference so that no URL appears literally."""
    return html.escape(str(value), quote=True).replace("://", "&#58;//")


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{_text(' '.join(p.split()))}</p>" for p in parts)


def _fmt_people(v: Any) -> str:
    return "n/a" if v is None else f"{round(float(v)):,}"


def _fmt_pct(v: Any) -> str:
    return "n/a" if v is None else f"{100.0 * float(v):.1f} %"


def _fmt_time(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):,.1f}"


def _fmt_plain(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{float(v):,.2f}"


def _fmt_speed(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.2f}"


def _fmt_signed_people(v: Any) -> str:
    return "n/a" if v is None else f"{round(float(v)):+,}"


def _fmt_signed_pct(v: Any) -> str:
    return "n/a" if v is None else f"{100.0 * float(v):+.1f} points"
