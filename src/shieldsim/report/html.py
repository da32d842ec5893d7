"""``index.html`` from Jinja2 templates (``templates/``, one per section, and ``style.css``,
shipped as package data).

The templates see `_Page`: the assessment (for figures and notes), its slice of the summary
dictionary, and cell helpers (`_Page.num`, `_Page.yes_no`) that write each number from
``summary.json`` with its ``data-key`` (JSON pointer) and ``data-value``, so no number reaches
the page except through its key. Every value printed by a template is escaped by `text._text`
(the environment's ``finalize``), so ``://`` never appears literally.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..results import Assessment
from .summary import _json_text, _member_names, _membership, _pointer, compare_summary, resolve_pointer, summary_dict
from .svg import SVG_LIMIT_BYTES, _Figures
from .tables import write_tables
from .text import (_extra_text, _fmt_pct, _fmt_people, _fmt_plain, _fmt_signed_pct, _fmt_signed_people, _fmt_speed,
                   _fmt_time, _paragraphs, _text)

SECTIONS = ("summary", "coverage", "engagement", "deterrent", "cooperation", "claims", "how-sure", "assumptions",
            "provenance")
"""Ids of the sections of ``index.html``, in page order."""

COMPARE_SECTIONS = ("summary", "differences", "coverage", "engagement", "deterrent", "cooperation",
                    "assumptions", "provenance")
"""Ids of the sections of a comparison report, in page order."""

_TITLES = {"summary": "Summary", "differences": "Differences", "coverage": "Defended areas and population",
           "engagement": "Engagement timelines", "deterrent": "The deterrent question",
           "cooperation": "Cooperation options", "claims": "Claims and assumptions",
           "how-sure": "How sure is this?",
           "assumptions": "Assumptions and sources",
           "provenance": "Provenance and data"}

_VERDICT = {True: "holds", False: "does not hold", None: "not testable"}


def _escaped(value: Any) -> Markup:
    """The environment's ``finalize``: every printed value through `_text` unless it is markup."""
    return value if isinstance(value, Markup) else Markup(_text(value))


def _of_cases(n: int):
    """Cell format of a per-base deterrent count: "k of n" ("-" without cases)."""
    return lambda v: f"{v:,} of {n:,}" if n else "-"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("shieldsim.report", "templates"), autoescape=True,
                             finalize=_escaped, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    env.globals.update(
        people=_fmt_people, pct=_fmt_pct, time=_fmt_time, plain=_fmt_plain, speed=_fmt_speed,
        signed_people=_fmt_signed_people, signed_pct=_fmt_signed_pct, of_cases=_of_cases,
        verdict=_VERDICT.__getitem__, titles=_TITLES, membership=_membership,
        member_names=_member_names, extra_text=_extra_text,
        paragraphs=lambda text: Markup(_paragraphs(text)),
    )
    return env


@cache
def _css() -> str:
    return files("shieldsim.report").joinpath("style.css").read_text(encoding="utf-8")


def _render(template: str, **context) -> Markup:
    return Markup(_environment().get_template(template).render(**context))


class _Page:
    """Renders the sections of one assessment whose summary lives at ``prefix`` in the
    document written to ``summary.json``."""

    def __init__(self, assessment: Assessment, summary: dict, prefix: tuple, figures: _Figures):
        self.a = assessment
        self.s = summary
        self.prefix = prefix
        self.fig = figures

    def num(self, path: tuple, fmt=_fmt_plain, cls: str = "num") -> Markup:
        """A table cell showing the summary value at ``path`` (relative to this assessment)."""
        value = resolve_pointer(self.s, _pointer(*path))
        key = _pointer(*self.prefix, *path)
        raw = "null" if value is None else json.dumps(value)
        return Markup(f'<td class="{cls}" data-key="{_text(key)}" data-value="{_text(raw)}">{_text(fmt(value))}</td>')

    def yes_no(self, path: tuple) -> Markup:
        value = resolve_pointer(self.s, _pointer(*path))
        cls = "" if value is None else ("yes" if value else "no")
        return self.num(path, _fmt_plain, cls=f"num {cls}".strip())

    def assumption_groups(self) -> list[tuple[str, list, str]]:
        """(object, rows, source) of the assumptions table: consecutive rows of one object
        with one source share a table row."""
        groups: list[tuple[str, list, str]] = []
        for row in self.a.assumptions:
            if groups and (groups[-1][0], groups[-1][2]) == (row.object, row.source):
                groups[-1][1].append(row)
            else:
                groups.append((row.object, [row], row.source))
        return groups

    def figure(self, item: Any) -> Markup:
        return Markup(self.fig.html(item))

    def section(self, name: str) -> Markup:
        """The HTML of section ``name`` (template ``<name>.html.j2``)."""
        return _render(f"{name}.html.j2", page=self, a=self.a, s=self.s)


def _document(title: str, meta: Markup, sections: list[tuple[str, Markup]]) -> str:
    return _render("page.html.j2", title=title, meta=meta, sections=sections, css=Markup(_css()))


def _write(out_dir: str | os.PathLike, page: str, summary: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(_json_text(summary) + "\n", encoding="utf-8")
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def write_report(out_dir: str | os.PathLike, assessment: Assessment, tables: bool = True,
                 svg_limit: int = SVG_LIMIT_BYTES) -> Path:
    """Write ``index.html`` and ``summary.json`` for an assessment into ``out_dir`` (created
    if needed), and with ``tables`` the CSV tables of `write_tables`, which are added to the
    data files listed. Other data files listed in ``assessment.data_files`` (netCDF, GeoJSON)
    are expected to be there already. Returns the path of ``index.html``."""
    if tables:
        listed = {d.path for d in assessment.data_files}
        extra = [d for d in write_tables(out_dir, assessment) if d.path not in listed]
        assessment = replace(assessment, data_files=[*assessment.data_files, *extra])
    summary = summary_dict(assessment)
    page = _Page(assessment, summary, (), _Figures(svg_limit))
    a = assessment
    meta = _render("meta.html.j2", a=a)
    sections = [(sid, page.section(sid)) for sid in SECTIONS]
    return _write(out_dir, _document(a.title or f"shieldsim assessment: {a.scenario}", meta, sections), summary)


def compare_reports(out_dir: str | os.PathLike, assessment_a: Assessment, assessment_b: Assessment,
                    difference_figures: list | None = None, svg_limit: int = SVG_LIMIT_BYTES) -> Path:
    """Write a side-by-side report of two assessments into ``out_dir``: ``index.html`` with
    two columns per section plus a "differences" section (a table of B - A and the
    ``difference_figures``, e.g. maps of where B defends and A does not), and ``summary.json``
    from `compare_summary`. Returns the path of ``index.html``."""
    summary = compare_summary(assessment_a, assessment_b)
    figs = _Figures(svg_limit)
    sides = (_Page(assessment_a, summary["a"], ("a",), figs), _Page(assessment_b, summary["b"], ("b",), figs))
    diff = _Page(assessment_a, summary, (), figs)
    names = (assessment_a.scenario, assessment_b.scenario)
    # rendered in page order, so figure ids are numbered as they appear
    sections = [("summary", _render("compare_summary.html.j2", sides=sides, names=names)),
                ("differences", _render("differences.html.j2", page=diff, d=summary["differences"],
                                        figures=difference_figures or []))]
    sections += [(sid, _render("columns.html.j2", sides=sides, names=names, section=sid))
                 for sid in COMPARE_SECTIONS[2:]]
    meta = _render("compare_meta.html.j2", names=names, version=__version__)
    return _write(out_dir, _document(f"shieldsim comparison: {names[0]} and {names[1]}", meta, sections), summary)
