"""The report section "How sure is this?": each headline of an uncertainty ensemble with its
median and 5-95 % range, the figures that decide it (tornado charts) and, for claims, the
probability each holds over the ensemble.

Input is the JSON form of an ensemble (`ensemble.Ensemble.as_dict`); output is a self-contained
HTML page (`page`) or fragment (`section`), with the tornado charts inlined as SVG text.
Kept apart from `report` so that the report's templates can take the fragment as it is.
"""

from __future__ import annotations

import html
from pathlib import Path

SECTION_ID = "how-sure"
"""Id of the section in a page."""


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "&ndash;"
    if unit == "fraction":
        return f"{100 * v:.1f}&nbsp;%"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _unit(name: str) -> str:
    return "fraction" if any(k in name for k in ("fraction", "p_", "holds")) else ""


def section(ens: dict, tornado_svgs: dict | None = None) -> str:
    """HTML fragment: a table of every headline (nominal, p05, p50, p95, its three most
    influential figures; for ``claims/holds/...`` the probability the claim holds), the figures
    with their ranges and sources, and the tornado charts (``{headline: svg text}``)."""
    d = ens["design"]
    rows = []
    for name, h in ens["headlines"].items():
        unit = _unit(name)
        top = ", ".join(html.escape(r["figure"]) for r in h["sensitivity"]["indices"][:3]) or \
            html.escape(h["sensitivity"].get("note", ""))
        if name.startswith("claims/holds/"):
            cells = f"<td colspan=4>holds in {_fmt(h['mean'], 'fraction')} of the members</td>"
        else:
            cells = "".join(f"<td class=num>{_fmt(h[k], unit)}</td>" for k in ("nominal", "p05", "p50", "p95"))
        rows.append(f"<tr><th scope=row>{html.escape(name)}</th>{cells}<td>{top}</td></tr>")
    figs = "".join(f"<tr><td>{html.escape(f['path'])}</td><td class=num>{html.escape(str(f['nominal']))}</td>"
                   f"<td class=num>{html.escape(str(f['low']))} &ndash; {html.escape(str(f['high']))}</td>"
                   f"<td>{html.escape(f['dist'])}</td><td>{html.escape(f['source'])}</td></tr>" for f in ens["figures"])
    held = ", ".join(html.escape(p) for p in ens.get("held_by_profile") or []) or "none"
    charts = "".join(f"<figure><figcaption>{html.escape(n)}</figcaption>{svg}</figure>"
                     for n, svg in (tornado_svgs or {}).items())
    ranked = {"sobol": "total Sobol' index (share of the headline's variance the figure causes, alone or with others)",
              "morris": "Morris mu* (mean absolute change of the headline when the figure crosses its range)",
              "lhs": "no ranking (a Latin hypercube gives percentiles only)"}[d["method"]]
    return (f"<section id={SECTION_ID}><h2>How sure is this?</h2>"
            f"<p>{d['members']} members ({html.escape(d['scheme'])}, seed {d['seed']}), each the whole study with every "
            f"uncertain figure below drawn from its sourced range. Figures are ranked by {ranked}; intervals are 95 % "
            f"bootstrap intervals (SALib). Figures held by the assumption profile: {held}.</p>"
            "<table><thead><tr><th>headline</th><th>nominal</th><th>p05</th><th>median</th><th>p95</th>"
            f"<th>most influential figures</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{charts}<h3>Uncertain figures</h3><table><thead><tr><th>figure</th><th>nominal</th><th>range</th>"
            f"<th>law</th><th>source of the range</th></tr></thead><tbody>{figs}</tbody></table></section>")


def page(ens: dict, tornado_files=(), title: str = "How sure is this?") -> str:
    """A self-contained HTML page of `section`, charts read from the tornado SVG files (their
    stem is the headline's slug; the caption is the file stem)."""
    svgs = {}
    for path in tornado_files:
        text = Path(path).read_text(encoding="utf-8")
        svgs[Path(path).stem] = text[text.find("<svg"):]
    style = ("body{font-family:sans-serif;max-width:70rem;margin:auto}table{border-collapse:collapse;font-size:.85rem}"
             "td,th{border-bottom:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}"
             ".num{text-align:right;white-space:nowrap}figure svg{max-width:100%;height:auto}")
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{section(ens, svgs)}</body></html>")
