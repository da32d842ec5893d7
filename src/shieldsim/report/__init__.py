"""The assessment report: one self-contained ``index.html`` and a ``summary.json``.

The report layer does no physics. The command that runs the analysis (``shieldsim assess``)
fills an `Assessment` with plain numbers, table rows and matplotlib figures, and
`write_report` turns it into a folder an analyst can publish:

* ``index.html``: one file that works offline. Figures are inlined as SVG (text drawn as
  paths, so no font is needed) or, when an SVG would be very large, as base64 PNG. There is no
  external URL, font, stylesheet or script: the CSS is inline and there is no JavaScript.
  Every piece of text is HTML-escaped, and ``://`` in text is written as ``&#58;//`` so that a
  source citation stays readable but no URL appears in the file.
* ``summary.json``: the headline figures and the provenance, from `summary_dict`.

The HTML is rendered from the dictionary `summary_dict` returns, so every number in the page
is the number in ``summary.json``: each numeric table cell carries ``data-key`` (a JSON pointer,
RFC 6901, into ``summary.json``) and ``data-value`` (the raw value) attributes.

A section left as ``None`` in the `Assessment` renders as a "not computed" note (with the
reason from ``Assessment.not_computed`` when there is one), so a partial run still gives a
complete, honest report. `compare_reports` writes the same report for two assessments side by
side, with difference maps.

The package, by job: `results` (one layer down, below `study`) holds the dataclasses of an
`Assessment`; `report.build` makes rows and entries from scenarios and physics results;
`report.summary` the summary dictionary; `report.html` the page from the Jinja2 templates in
``templates/`` and ``style.css``; `report.svg` the figure embedding; `report.tables` the CSV
tables; `report.text` escaping and number formats. Figures are drawn in `shieldsim.plots`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..plots import altitude_figure, speed_sensitivity_figure
from ..results import (Assessment, Assumption, ClaimRow, ClaimsResult, CooperationOption, CooperationResult,
                       CountryRow, CoverageResult, DataFile, DeterrentPair, DeterrentResult, EngagementCase, Plot,
                       Provenance, RegionPopulation, TimelineEvent, UncertaintyResult, region_population)
from . import html as _html
from .build import assumptions_from_scenario, battery_posture_rows, coverage_result, deterrent_result, engagement_case
from .html import COMPARE_SECTIONS, SECTIONS
from .summary import compare_summary, resolve_pointer, summary_dict, summary_lines
from .svg import PNG_DPI, SVG_LIMIT_BYTES, _Figures, _inline_svg
from .tables import TABLES, write_tables

__all__ = [
    "COMPARE_SECTIONS", "PNG_DPI", "SECTIONS", "SVG_LIMIT_BYTES", "TABLES", "Assessment", "Assumption", "ClaimRow",
    "ClaimsResult", "CooperationOption", "CooperationResult", "CountryRow", "CoverageResult", "DataFile",
    "DeterrentPair", "DeterrentResult", "EngagementCase", "Plot", "Provenance", "RegionPopulation", "TimelineEvent",
    "UncertaintyResult",
    "_Figures", "_inline_svg", "altitude_figure", "assumptions_from_scenario", "battery_posture_rows",
    "compare_reports", "compare_summary", "coverage_result", "deterrent_result", "engagement_case",
    "region_population", "resolve_pointer", "speed_sensitivity_figure", "summary_dict", "summary_lines",
    "write_report", "write_tables",
]


def write_report(out_dir: str | os.PathLike, assessment: Assessment, tables: bool = True) -> Path:
    """Write ``index.html`` and ``summary.json`` (and with ``tables`` the CSV tables) for an
    assessment into ``out_dir``; figures whose SVG exceeds `SVG_LIMIT_BYTES` go in as PNG.
    Returns the path of ``index.html`` (see `report.html.write_report`)."""
    return _html.write_report(out_dir, assessment, tables, svg_limit=SVG_LIMIT_BYTES)


def compare_reports(out_dir: str | os.PathLike, assessment_a: Assessment, assessment_b: Assessment,
                    difference_figures: list | None = None) -> Path:
    """Side-by-side report of two assessments (see `report.html.compare_reports`)."""
    return _html.compare_reports(out_dir, assessment_a, assessment_b, difference_figures,
                                 svg_limit=SVG_LIMIT_BYTES)
