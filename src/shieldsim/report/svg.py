"""Figures inlined in the page: matplotlib figures, SVG/PNG files, SVG text or PNG bytes become
inline SVG (text as paths, ids prefixed per figure, scripts, handlers and outside references
removed, path data rounded to 0.01) or, above `SVG_LIMIT_BYTES`, a base64 PNG.
"""

from __future__ import annotations

import base64
import io
import operator
import os
import re
from pathlib import Path
from typing import Any

from ..results import Plot
from .text import _text


SVG_LIMIT_BYTES = 1_500_000
"""A figure whose SVG is larger than this is embedded as PNG instead (dense maps)."""


PNG_DPI = 130


class _Figures:
    """Turns figures into inline HTML, giving each SVG's ids a unique prefix (several SVGs in
    one page must not share ids)."""

    def __init__(self, svg_limit: int = SVG_LIMIT_BYTES) -> None:
        self.count = 0
        self.svg_limit = svg_limit

    def html(self, item: Any) -> str:
        if item is None:
            return ""
        plot = item if isinstance(item, Plot) else Plot(item)
        self.count += 1
        body = self._embed(plot, f"f{self.count}-")
        caption = f"<figcaption>{_text(plot.caption)}</figcaption>" if plot.caption else ""
        return f'<figure class="plot">{body}{caption}</figure>'

    def _embed(self, plot: Plot, prefix: str) -> str:
        fig = plot.figure
        alt = plot.alt or plot.caption or "figure"
        if isinstance(fig, (bytes, bytearray)):
            return _png_tag(bytes(fig), alt)
        if isinstance(fig, InlineSvg):
            return _placed(fig, prefix, alt)
        if isinstance(fig, str) and fig.lstrip().startswith("<"):
            return _inline_svg(fig, prefix, alt)
        if isinstance(fig, (str, os.PathLike)):
            path = Path(fig)
            if path.suffix.lower() == ".svg":
                return _inline_svg(path.read_text(encoding="utf-8"), prefix, alt)
            return _png_tag(path.read_bytes(), alt)
        if hasattr(fig, "savefig"):
            data = figure_data(fig, plot.fmt, self.svg_limit)
            return _png_tag(data, alt) if isinstance(data, bytes) else _inline_svg(data, prefix, alt)
        raise TypeError(f"cannot embed a figure of type {type(fig).__name__}; give a matplotlib Figure, "
                        "a .svg/.png path, SVG text or PNG bytes")


def figure_data(fig, fmt: str = "auto", svg_limit: int = SVG_LIMIT_BYTES) -> str | bytes:
    """A matplotlib figure as the page embeds it: SVG text, or PNG bytes when ``fmt`` is "png"
    or (``fmt`` "auto") its SVG is larger than ``svg_limit`` bytes."""
    if fmt != "png":
        svg = _figure_svg(fig)
        if fmt == "svg" or len(svg) <= svg_limit:
            return svg
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buf.getvalue()


def rendered(item: Any, svg_limit: int = SVG_LIMIT_BYTES) -> Any:
    """``item`` (a `Plot`, a matplotlib figure or None) with its matplotlib figure replaced by
    what the page embeds (`figure_data`: PNG bytes, or the SVG text already cleaned for inlining,
    `InlineSvg`); the page built from either is the same for this ``svg_limit``. Lets a figure be
    rendered, and most of its inlining done, where it was made (a second process, or either
    process of a concurrent run) and sent as text or bytes. Anything else is returned unchanged."""
    plot = item if isinstance(item, Plot) else Plot(item)
    if not hasattr(plot.figure, "savefig"):
        return item
    data = figure_data(plot.figure, plot.fmt, svg_limit)
    if isinstance(data, str):
        data = InlineSvg.of(data)
    return Plot(data, caption=plot.caption, alt=plot.alt, fmt=plot.fmt)


def _figure_svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "shieldsim"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


_SVG_NS_ATTR = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


_ID_ATTR = re.compile(r'\bid="([^"]+)"')


_PATH_DATA = re.compile(r'(\sd=")([^"]*)"')


_LONG_DECIMAL = re.compile(r"(-?\d+\.\d{2})\d+")


_ID_REF = re.compile(r"#([^\s\"'()#]+)(?=[\"')])")


_FIRST_GROUP = operator.itemgetter(1)
"""A match's first group: the replacement of `_LONG_DECIMAL` (the template ``r"\\1"`` gives the
same text, but Python 3.11 expands a template in Python code at every match: ~0.5 s a page)."""


def _inline_svg(svg: str, prefix: str, alt: str) -> str:
    """SVG text made fit to inline in HTML: no XML prolog, DOCTYPE, metadata, comments or
    namespace URIs (the HTML parser supplies them), ids prefixed, scripts and external
    references removed (`InlineSvg.of`, then `_placed`)."""
    return _placed(InlineSvg.of(svg), prefix, alt)


_ID_SLOT = "\ufdd0"
"""Where `InlineSvg.of` puts the id prefix, replaced by the figure's own prefix in `_placed`: a
Unicode noncharacter (U+FDD0), absent from matplotlib's SVG (text is drawn as paths)."""


class InlineSvg(str):
    """SVG text cleaned for inlining (`of`) except for what depends on the figure's place in the
    page: its ids' prefix (written as `_ID_SLOT`) and its accessible name (`_placed`). Its
    ``slotted`` is False when the SVG held `_ID_SLOT` itself; its ids are then prefixed in `_placed`."""

    slotted = True

    @classmethod
    def of(cls, svg: str) -> InlineSvg:
        """``svg`` cleaned: no XML prolog, DOCTYPE, metadata, comments or namespace URIs, no
        scripts, event handlers or external references, path data rounded to 0.01, ids prefixed
        by `_ID_SLOT`."""
        start = svg.find("<svg")
        if start < 0:
            raise ValueError("not an SVG document")
        svg = svg[start:]
        svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
        svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
        svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S | re.I)
        svg = re.sub(r"<foreignObject\b.*?</foreignObject>", "", svg, flags=re.S | re.I)
        svg = _SVG_NS_ATTR.sub("", svg)
        # any reference that is not to this document or inline data is dropped
        svg = re.sub(r"""\son[a-z]+\s*=\s*("[^"]*"|'[^']*')""", "", svg, flags=re.I)  # event handlers
        svg = re.sub(r'\s(?:xlink:)?href\s*=\s*"(?!#|data:image/)[^"]*"', "", svg)
        svg = re.sub(r"\s(?:xlink:)?href\s*=\s*'(?!#|data:image/)[^']*'", "", svg)
        svg = re.sub(r"url\((?!#|'#|\"#)[^)]*\)", "none", svg)
        svg = re.sub(r"@import[^;]*;", "", svg)
        # path coordinates (points, or font units in glyph definitions) to 0.01: a quarter smaller
        # (path data holds no id or reference, so this commutes with the prefixing)
        svg = _PATH_DATA.sub(lambda m: m.group(1) + " ".join(_LONG_DECIMAL.sub(_FIRST_GROUP, m.group(2)).split())
                             + '"', svg)
        slotted = _ID_SLOT not in svg
        if slotted:
            svg = _prefix_ids(svg, _ID_SLOT)
        out = cls(svg)
        out.slotted = slotted
        return out


def _prefix_ids(svg: str, prefix: str) -> str:
    """Every ``id`` of ``svg`` and every ``#id`` reference to one of them prefixed by ``prefix``."""
    ids = set(_ID_ATTR.findall(svg))
    if ids:
        svg = _ID_ATTR.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
        svg = _ID_REF.sub(lambda m: f"#{prefix}{m.group(1)}" if m.group(1) in ids else m.group(0), svg)
    return svg


def _placed(svg: InlineSvg, prefix: str, alt: str) -> str:
    """A cleaned SVG (`InlineSvg`) as it goes into the page: ids prefixed by ``prefix``, named ``alt``."""
    svg = svg.replace(_ID_SLOT, prefix) if svg.slotted else _prefix_ids(str(svg), prefix)
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{_text(alt)}"', svg, count=1)
    return svg.strip()


def _png_tag(data: bytes, alt: str) -> str:
    if not data.startswith(b"\x89PNG"):
        raise ValueError("figure bytes are not a PNG image")
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{_text(alt)}" src="data:image/png;base64,{encoded}">'
