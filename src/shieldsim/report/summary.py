"""``summary.json``: the single source of every number in the report.

`summary_dict` turns an `Assessment` into a JSON-ready dictionary (NaN and inf become null,
NumPy scalars plain numbers); the page is rendered from it and every numeric cell names its
JSON pointer (RFC 6901, `resolve_pointer`). `summary_lines` is the short summary a command
prints; `compare_summary` the document of a side-by-side comparison.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .. import __version__
from ..results import Assessment, ClaimsResult, DeterrentResult, RegionPopulation
from .text import _fmt_pct, _fmt_people


def _number(value: Any) -> Any:
    """A JSON-safe number: NumPy scalars become Python numbers, NaN/inf become None."""
    if value is None or isinstance(value, bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _homeland_dict(h) -> dict | None:
    """summary.json form of a `results.HomelandResult` (None stays None)."""
    if h is None:
        return None
    return {"sites": [{"site": s.site, "variant": s.variant, "flights": s.flights, "engageable": s.engageable,
                       "fraction_engageable": s.fraction_engageable, "min_speed_kms": _number(s.min_speed_kms),
                       "min_speed_all_kms": _number(s.min_speed_all_kms), "margin_best_s": _number(s.margin_best_s),
                       "margin_median_s": _number(s.margin_median_s)} for s in h.sites],
            "sea_interceptor": h.sea_interceptor,
            "sea_best": {v: {box: {k: _number(x) for k, x in r.items()} for box, r in by_box.items()}
                         for v, by_box in h.sea_best.items()}}


def _deterrent_fractions(det: DeterrentResult) -> dict[str, float | None]:
    if det.fraction_engageable is not None:
        return {str(k): _number(v) for k, v in det.fraction_engageable.items()}
    out: dict[str, list[int]] = {}
    for p in det.pairs:
        n = out.setdefault(p.battery, [0, 0])
        n[0] += bool(p.engageable)
        n[1] += 1
    return {b: n[0] / n[1] for b, n in out.items()}


def _by_base(det: DeterrentResult) -> dict[str, dict[str, dict[str, int]]]:
    """base -> battery -> {"engageable": cases engageable, "cases": cases}, in order of first
    appearance (a case is an aim point, or an aim point and threat class)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    batteries = list(dict.fromkeys(p.battery for p in det.pairs))
    for p in det.pairs:
        row = out.setdefault(p.base, {b: {"engageable": 0, "cases": 0} for b in batteries})
        row[p.battery]["engageable"] += bool(p.engageable)
        row[p.battery]["cases"] += 1
    return out


def _region_dict(r: RegionPopulation | None, codes: str) -> dict | None:
    """summary.json form of a `RegionPopulation` (None stays None); ``codes`` names its list
    of country codes ("members" for NATO Europe, "countries" for the rest of the region)."""
    if r is None:
        return None
    out: dict[str, Any] = {}
    if r.membership_year is not None:
        out.update(membership_year=r.membership_year, membership_year_from=r.membership_year_from)
    out[codes] = list(r.countries)
    if r.territories:
        out["territories"] = list(r.territories)
    out.update(population_total=_number(r.population_total), population_threatened=_number(r.population_threatened),
               population_defended=_number(r.population_defended),
               fraction_defended_of_threatened=_number(r.fraction_defended_of_threatened))
    return out


def summary_dict(assessment: Assessment) -> dict:
    """The headline figures and provenance of an assessment as a JSON-ready dictionary (the
    content of ``summary.json``). Sections not computed are ``null``; ``sections`` says which
    are present. Fractions are 0-1; populations are people; times are seconds after the threat's
    launch.

    Coverage entries lead with ``nato_europe`` (people of NATO's European members in the
    membership year: ``population_total`` on the grid, ``population_threatened``,
    ``population_defended``, ``fraction_defended_of_threatened``, ``members``,
    ``membership_year``, ``membership_year_from``) and ``rest_of_region`` (the same for the other
    countries on the grid); the whole-grid figures (``population_protected`` = defended,
    ``population_total``, ``fraction_protected``) follow, as do per-country rows with
    total, threatened and defended people. Cooperation options carry ``nato_europe`` too."""
    a = assessment
    prov = a.provenance
    out: dict[str, Any] = {
        "scenario": a.scenario,
        "title": a.title,
        "version": prov.version,
        "models": prov.models,
        "seed": prov.seed,
        "provenance": {"version": prov.version, "models": prov.models, "seed": prov.seed,
                       "command": prov.command, "timestamp": prov.timestamp,
                       "extra": {k: _number(v) for k, v in prov.extra.items()}},
        "key_findings": list(a.key_findings),
        "sections": {s: getattr(a, s) is not None for s in ("coverage", "engagement", "deterrent", "cooperation",
                                                             "claims")},
        "not_computed": dict(a.not_computed),
        "ensemble": None if a.uncertainty is None else a.uncertainty.ensemble,
    }
    out["coverage"] = None if a.coverage is None else [_coverage_dict(c) for c in a.coverage]
    out["engagement"] = None if a.engagement is None else [_engagement_dict(e) for e in a.engagement]
    out["deterrent"] = None if a.deterrent is None else _deterrent_dict(a.deterrent)
    out["cooperation"] = None if a.cooperation is None else _cooperation_dict(a.cooperation)
    out["claims"], out["profiles"] = _claims_dicts(a.claims)
    out["data_files"] = [{"path": d.path, "format": d.format or _format_of(d.path), "description": d.description}
                         for d in a.data_files]
    return out


def _coverage_dict(c) -> dict:
    """summary.json entry of one `CoverageResult`."""
    return {
        "threat_area": c.threat_area,
        "threats": list(c.threats),
        "nato_europe": _region_dict(c.nato_europe, "members"),
        "rest_of_region": _region_dict(c.rest_of_region, "countries"),
        "population_protected": _number(c.population_protected),
        "population_total": _number(c.population_total),
        "population_threatened": _number(c.population_threatened),
        "population_defended": _number(c.population_protected),
        "fraction_protected": _number(c.fraction_protected),
        "fraction_defended_of_threatened": _number(c.fraction_defended_of_threatened),
        "defended_area_km2": _number(c.defended_area_km2),
        "countries": [{"country": r.country,
                       "nato_europe": r.nato_europe,
                       "population_protected": _number(r.population_protected),
                       "population_total": _number(r.population_total),
                       "population_threatened": _number(r.population_threatened),
                       "population_defended": _number(r.population_defended),
                       "fraction_protected": _number(r.fraction_protected),
                       "fraction_defended_of_threatened": _number(r.fraction_defended_of_threatened)}
                      for r in c.countries],
    }


def _engagement_dict(e) -> dict:
    """summary.json entry of one `EngagementCase`."""
    return {
        "threat_area": e.threat_area,
        "threat": e.threat,
        "engageable": None if e.engageable is None else bool(e.engageable),
        "shots": _number(e.shots),
        "kill_probability": _number(e.kill_probability),
        "events": [{"time_s": _number(ev.time_s), "event": ev.event, "actor": ev.actor, "detail": ev.detail}
                   for ev in e.events],
    }


def _deterrent_dict(det) -> dict:
    """summary.json section of a `DeterrentResult` (fractions computed from the pairs unless given)."""
    n = len(det.pairs)
    k = sum(bool(p.engageable) for p in det.pairs)
    return {
        "pairs_total": n,
        "pairs_engageable": k,
        "fraction_engageable_all": (k / n) if n else None,
        "fraction_engageable": _deterrent_fractions(det),
        "by_base": _by_base(det),
        "fraction_engageable_by_shape": None if det.by_shape is None else {
            str(k): {str(b): _number(f) for b, f in row.items()} for k, row in det.by_shape.items()},
        "flights_by_shape": None if det.flights_by_shape is None else dict(det.flights_by_shape),
        "pairs": [{"base": p.base, "aim_point": p.aim_point, "threat": p.threat, "battery": p.battery,
                   "engageable": bool(p.engageable), "margin_s": _number(p.margin_s),
                   "min_speed_kms": _number(p.min_speed_kms)} for p in det.pairs],
        "homeland": _homeland_dict(det.homeland),
    }


def _cooperation_dict(coop) -> dict:
    """summary.json section of a `CooperationResult`."""
    return {
        "threat_area": coop.threat_area,
        "options": [{"option": o.option, "scenario": o.scenario,
                     "nato_europe": _region_dict(o.nato_europe, "members"),
                     "population_protected": _number(o.population_protected),
                     "population_total": _number(o.population_total),
                     "fraction_protected": _number(o.fraction_protected)} for o in coop.options],
    }


def _claims_dicts(c: ClaimsResult | None) -> tuple[list | None, dict | None]:
    """summary.json's ``claims`` (one object per claim: id, claimant, side, date, statement,
    statement_kind, source, check, results {profile: {holds, figure, margin, unit, reason}},
    flipped_by) and ``profiles`` ({profile: {"title", "grid_deg", "nato_europe": {area:
    NATO-Europe figures}}}: the assessed scenario's headline under each profile)."""
    if c is None:
        return None, None
    claims = [{"id": r.id, "claimant": r.claimant, "side": r.side, "date": r.date, "statement": r.statement,
               "statement_kind": r.statement_kind, "source": r.source, "check": r.check,
               "results": {p: {k: _number(v) for k, v in r.results[p].items()} for p in c.profiles},
               "flipped_by": list(r.flipped_by)} for r in c.claims]
    profiles = {p: {"title": c.profile_titles.get(p, ""), "grid_deg": c.grid_deg,
                    "nato_europe": {area: _region_dict(g, "members") for area, g in c.headlines.get(p, {}).items()}}
                for p in c.profiles}
    return claims, profiles


def _membership(nato: dict) -> str:
    """'2018 membership' or '2018 membership, default year' for a ``nato_europe`` summary."""
    year = nato.get("membership_year")
    return f"{year} membership" + (", default year" if nato.get("membership_year_from") == "default" else "")


def _member_names(codes: list[str]) -> list[str]:
    """Names of NATO members from the shipped list (the code where a name is not known)."""
    from ..geography import nato_members

    names = {m.iso3: m.name for m in nato_members()}
    return [names.get(c, c) for c in codes]


def _of_threatened(g: dict) -> str:
    return (f"{_fmt_people(g['population_defended'])} of {_fmt_people(g['population_threatened'])} threatened"
            f" ({_fmt_pct(g['fraction_defended_of_threatened'])})")


def summary_lines(summary: dict) -> list[tuple[str, str]]:
    """The short summary a command prints: (label, value) rows built from `summary_dict`,
    NATO Europe first (people defended of those threatened), then the rest of the region, then
    the whole grid."""
    rows: list[tuple[str, str]] = []
    coverage = summary.get("coverage") or []
    for c in coverage:
        if c.get("nato_europe"):
            rows.append((f"NATO Europe ({_membership(c['nato_europe'])}), threats from {c['threat_area']}",
                         _of_threatened(c["nato_europe"])))
    for c in coverage:
        if c.get("rest_of_region"):
            rows.append((f"Rest of the region, threats from {c['threat_area']}", _of_threatened(c["rest_of_region"])))
    for c in coverage:
        rows.append((f"Whole grid, people defended, threats from {c['threat_area']}",
                     f"{_fmt_people(c['population_protected'])} of {_fmt_people(c['population_total'])}"
                     f" ({_fmt_pct(c['fraction_protected'])})"))
    det = summary.get("deterrent")
    if det:
        rows.append(("Deterrent cases engageable (base x aim point x battery)",
                     f"{det['pairs_engageable']} of {det['pairs_total']} ({_fmt_pct(det['fraction_engageable_all'])})"))
    for p, head in (summary.get("profiles") or {}).items():
        nato = (head.get("nato_europe") or {}).get("all")
        if nato:
            rows.append((f"NATO Europe under profile '{p}' (grid {head['grid_deg']:g} deg), all threat areas",
                         _of_threatened(nato)))
    claims = summary.get("claims")
    if claims:
        for p in summary["profiles"]:
            verdicts = [c["results"][p]["holds"] for c in claims]
            rows.append((f"Claims under profile '{p}'",
                         f"{verdicts.count(True)} hold, {verdicts.count(False)} do not, "
                         f"{verdicts.count(None)} not testable"))
    coop = summary.get("cooperation")
    if coop:
        for o in coop["options"]:
            nato = o.get("nato_europe")
            lead = f"NATO Europe {_of_threatened(nato)}; " if nato else ""
            rows.append((f"Cooperation: {o['option']} ({o['scenario']})",
                         f"{lead}{_fmt_people(o['population_protected'])} protected on the whole grid "
                         f"({_fmt_pct(o['fraction_protected'])})"))
    return rows


def _json_text(obj: Any) -> str:
    def clean(v):
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return _number(v)

    return json.dumps(clean(obj), indent=2, allow_nan=False, ensure_ascii=False)


def _format_of(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"nc": "netCDF", "geojson": "GeoJSON", "csv": "CSV", "json": "JSON", "png": "PNG", "svg": "SVG",
            "toml": "TOML", "kml": "KML"}.get(suffix, suffix.upper() or "file")


def _pointer(*parts: Any) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901) in a parsed JSON document."""
    node = document
    if pointer in ("", "/"):
        return node
    for raw in pointer.lstrip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def compare_summary(assessment_a: Assessment, assessment_b: Assessment) -> dict:
    """``summary.json`` of a comparison: ``a`` and ``b`` (each a `summary_dict`) and
    ``differences``: per threat area present in both, the people of NATO's European members
    defended in A and B and B - A (each side counted with its own membership year), the
    whole-grid population protected in A and B and B - A; the deterrent fraction engageable in A
    and B."""
    sa, sb = summary_dict(assessment_a), summary_dict(assessment_b)
    diffs: dict[str, Any] = {"coverage": None, "deterrent": None}
    if sa["coverage"] is not None and sb["coverage"] is not None:
        by_area = {c["threat_area"]: c for c in sb["coverage"]}
        rows = []
        for c in sa["coverage"]:
            other = by_area.get(c["threat_area"])
            if other is None:
                continue
            pa, pb = c["population_protected"], other["population_protected"]
            na = (c.get("nato_europe") or {}).get("population_defended")
            nb = (other.get("nato_europe") or {}).get("population_defended")
            rows.append({"threat_area": c["threat_area"],
                         "nato_europe_population_defended_a": na, "nato_europe_population_defended_b": nb,
                         "nato_europe_difference": None if na is None or nb is None else nb - na,
                         "population_protected_a": pa, "population_protected_b": pb,
                         "difference": None if pa is None or pb is None else pb - pa})
        diffs["coverage"] = rows
    if sa["deterrent"] is not None and sb["deterrent"] is not None:
        fa, fb = sa["deterrent"]["fraction_engageable_all"], sb["deterrent"]["fraction_engageable_all"]
        diffs["deterrent"] = {"fraction_engageable_a": fa, "fraction_engageable_b": fb,
                              "difference": None if fa is None or fb is None else fb - fa}
    return {"scenario_a": sa["scenario"], "scenario_b": sb["scenario"], "version": __version__,
            "a": sa, "b": sb, "differences": diffs}
