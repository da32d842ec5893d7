"""From physics and scenario objects to the report's rows: the assumptions table of a scenario
(every sourced figure, each battery's posture, the catalogue entries it uses), and the coverage,
engagement and deterrent entries (`results` dataclasses) of an assessment.

Inputs are validated scenarios, `geography.ProtectedPopulation`, `trajectory.Trajectory` and
`engagement.Engagement` (SI inside); outputs are in human units (people, seconds after the
threat's launch, km, km/s), the units named by the key suffix (`units.label`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..results import (Assumption, CountryRow, CoverageResult, DeterrentPair, DeterrentResult, EngagementCase,
                       Plot, TimelineEvent, region_population)
from ..plots import altitude_figure
from ..units import label as unit_label


def _value_text(value: Any, unit: str) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v, "") for v in value) + (f" {unit}" if unit else "")
    if isinstance(value, float):
        text = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    else:
        text = f"{value}"
    return f"{text} {unit}".strip()


def _rows_from_figures(figures: list[tuple[str, Any, str]]) -> list[Assumption]:
    """Assumption rows from (dotted path, value, source) triples; a list of numbers (e.g. a
    polygon's vertices) becomes one row."""
    rows: list[Assumption] = []
    seen_lists: set[str] = set()
    for path, value, source in figures:
        if "[" in path and re.search(r"\]$", path):  # element of a list of numbers
            head = path[: path.index("[")]
            if head in seen_lists:
                continue
            seen_lists.add(head)
            count = sum(1 for p, _, _ in figures if p.startswith(head + "["))
            obj, _, key = head.rpartition(".")
            figure, unit = unit_label(key)
            rows.append(Assumption(obj, figure, f"{count} numbers" + (f" ({unit})" if unit else ""), source))
            continue
        obj, _, key = path.rpartition(".")
        figure, unit = unit_label(key)
        rows.append(Assumption(obj, figure, _value_text(value, unit), source))
    return rows


def battery_posture_rows(sc, name: str) -> list[Assumption]:
    """The two posture rows of battery ``name`` of scenario ``sc``: "launch on" and "engage on"
    ("own radar (names)" or "remote (network N)"), with the battery's source."""
    b = sc.batteries[name]
    from ..scenario import network_home

    own = list(b.own_radars) if b.own_radars is not None else \
        [h for h in network_home(sc).get(b.network, []) if h in sc.radars and sc.radars[h].fire_control]
    own_text = f"own radar ({', '.join(own) or 'none'})"
    texts = {"own": own_text, "remote": f"any fire-control track of network {b.network}"}
    return [Assumption(f"batteries.{name}", "launch on", texts[b.launch_on], b.source),
            Assumption(f"batteries.{name}", "engage on", texts[b.engage_on] if b.engage_on == "own"
                       else f"any fire-control track of network {b.network} (no own-radar limit)", b.source)]


def assumptions_from_scenario(sc) -> list[Assumption]:
    """Every numeric figure of a validated scenario (`scenario.Scenario`) with the source that
    covers it -- each battery's rows followed by its fire-control posture (what track it launches
    on, whose track guides the intercept: `battery_posture_rows`) -- then the figures of the
    catalogue threat classes and interceptors the scenario uses, each with its own source
    (``shieldsim/data/*.toml``). With an assumption profile applied (``sc.assumptions``), a first
    row names it and every figure (or posture) it changed shows the profile's value with the
    override's source."""
    import tomllib
    from importlib.resources import files

    from ..assumptions import changed_sources
    from ..scenario import sourced_figures

    data = sc.model_dump(mode="python", exclude_none=True)
    data.pop("assumptions", None)
    changed = changed_sources(sc)
    figures = [(path, value, changed.get(path, source)) for path, value, source in sourced_figures(data)]
    rows = []
    if sc.assumptions is not None:
        a = sc.assumptions
        n = sum(len(o.changes) for o in a.overrides)
        rows.append(Assumption("assumption profile", a.profile, f"{n} figure(s) changed by {len(a.overrides)} "
                               f"override(s) ({a.origin})", a.title))
    rows += _rows_from_figures(figures)
    for name in sc.batteries:
        obj = f"batteries.{name}"
        at = max((k for k, r in enumerate(rows) if r.object == obj), default=len(rows) - 1) + 1
        posture = battery_posture_rows(sc, name)
        for r, key in zip(posture, ("launch_on", "engage_on")):
            r.source = changed.get(f"{obj}.{key}", r.source)
        rows[at:at] = posture
    used = {"missile": sorted({t.get("missile") for t in data.get("threats", {}).values()} - {None}),
            "interceptor": sorted({b.get("interceptor") for b in data.get("batteries", {}).values()}
                                  - set(data.get("interceptors", {})) - {None})}
    for table, filename in (("missile", "missiles.toml"), ("interceptor", "interceptors.toml")):
        if not used[table]:
            continue
        catalogue = tomllib.loads(files("shieldsim").joinpath(f"data/{filename}").read_text(encoding="utf-8"))
        for name in used[table]:
            row = catalogue.get(table, {}).get(name)
            if row is None:
                continue
            sources = row.get("source", {}) if isinstance(row.get("source"), dict) else {}
            entry = f"{table} {row.get('name', name)}"
            for key, value in row.items():
                if key == "source" or isinstance(value, (str, bool, dict)):
                    continue
                figure, unit = unit_label(key)
                rows.append(Assumption(entry, figure, _value_text(value, unit), sources.get(key, "")))
    return rows


def _finite(x) -> bool:
    return x is not None and math.isfinite(float(x))


def coverage_result(threat_area: str, protected, threats=(), map=None, figures=(), notes: str = "",
                    defended_area_km2: float | None = None, year: int | None = None) -> CoverageResult:
    """The coverage section entry of one threat area from a `geography.ProtectedPopulation`
    (its ``as_dict()`` figures, so the page shows what the coverage data files hold): totals,
    the NATO-Europe and rest-of-region split of `geography.nato_europe_population` for the
    membership of ``year`` (the scenario's year; None = the default year), and one row per
    country with people on the grid, named "Name (ISO3)", most populous first."""
    from ..geography import nato_europe_areas, nato_europe_population

    d = protected.as_dict()
    split = nato_europe_population(protected, year)
    members = nato_europe_areas(split["nato_europe"]["membership_year"])
    rows = [CountryRow(f"{r.get('name') or r['iso3']} ({r['iso3']})", r["population_protected"], r["population_total"],
                       population_threatened=r.get("population_threatened"), nato_europe=r["iso3"] in members)
            for r in d.get("by_country", [])]
    return CoverageResult(threat_area=threat_area, population_protected=d["population_protected"],
                          population_total=d["population_total"], countries=rows, threats=list(threats),
                          defended_area_km2=defended_area_km2, map=map, figures=list(figures), notes=notes,
                          population_threatened=d.get("population_threatened"),
                          nato_europe=region_population(split["nato_europe"]),
                          rest_of_region=region_population(split["rest_of_region"]))


def engagement_case(trajectories, engagement, batteries, index: int = 0, cue_time: float | None = None,
                    track_time: float | None = None, cue_sensor: str = "", track_sensor: str = "",
                    threat_area: str = "", threat: str | None = None, figure: bool = True,
                    launch_sensors=None, track_on: str = "") -> EngagementCase:
    """The engagement section entry of threat ``index``: its events (launch, burnout, the fused
    cue and fire-control track, per battery that can engage the earliest and latest interceptor
    launch and the first and last intercept opportunity, impact), headline figures (engageable
    by any battery; most shoot-look-shoot opportunities and highest kill probability of a single
    battery) and, with ``figure``, the altitude-time plot (`altitude_figure`).

    Args:
        trajectories: `trajectory.Trajectory` of the threats; engagement: `engagement.Engagement`
            of those threats against ``batteries`` (`interceptor.Battery`, same order as its
            columns); cue_time, track_time: seconds after the threat's launch (e.g.
            ``Timeline.cue_time[index]``); cue_sensor, track_sensor: names for the event table;
            launch_sensors: per battery (B), the sensor whose track it launches on
            (`study.Tracks.track_sensor[index]`), shown with its earliest launch;
            track_on: what that track was formed on, ``"body"`` (the missile body, before the
            re-entry vehicle separated) or ``"warhead"`` (`sensors.Timeline.track_on`), said in
            the event table.
    """
    import numpy as np

    i = index
    label = threat if threat is not None else (
        str(trajectories.labels[i]) if getattr(trajectories, "labels", None) is not None else f"threat {i}")
    events = [TimelineEvent(0.0, "launch"),
              TimelineEvent(float(trajectories.burnout_time[i]), "burnout")]
    if _finite(cue_time):
        events.append(TimelineEvent(float(cue_time), "cue", cue_sensor))
    if _finite(track_time):
        on = {"body": "formed on the missile body, before the re-entry vehicle separated",
              "warhead": "formed on the re-entry vehicle"}.get(track_on, "")
        events.append(TimelineEvent(float(track_time), "fire-control track", track_sensor, on))
    names = list(engagement.battery_names)
    for j, name in enumerate(names):
        if not engagement.engageable[i, j]:
            continue
        on = str(launch_sensors[j]) if launch_sensors is not None and launch_sensors[j] else ""
        events += [
            TimelineEvent(float(engagement.launch_earliest[i, j]), "earliest interceptor launch", name,
                          f"on the track of {on}" if on else ""),
            TimelineEvent(float(engagement.intercept_first[i, j]), "first intercept opportunity", name,
                          f"altitude {engagement.first_alt[i, j] / 1e3:,.0f} km"),
            TimelineEvent(float(engagement.launch_latest[i, j]), "latest interceptor launch", name),
            TimelineEvent(float(engagement.intercept_last[i, j]), "last intercept opportunity", name),
        ]
    events.append(TimelineEvent(float(trajectories.impact_time[i]), "impact"))
    events = sorted((e for e in events if _finite(e.time_s)), key=lambda e: e.time_s)
    row_ok = np.asarray(engagement.engageable[i], dtype=bool)
    figures = [] if not figure else [Plot(altitude_figure(trajectories, engagement, batteries, i, cue_time, track_time),
                                          caption=f"Altitude against time, {label}: threat, interceptor arcs to the "
                                                  "first opportunity, intercept windows shaded")]
    return EngagementCase(
        threat_area=threat_area, threat=label, events=events, figures=figures,
        engageable=bool(row_ok.any()),
        shots=int(np.max(engagement.shots[i])) if len(names) else 0,
        kill_probability=float(np.max(engagement.kill_probability[i])) if len(names) else 0.0,
        notes="Shots and kill probability are those of the best single battery.",
    )


def deterrent_result(pairs: list[dict], fraction_engageable: dict | None = None, variant: str | None = None,
                     speed_figure=None, figures=(), published=(), notes: str = "") -> DeterrentResult:
    """A `DeterrentResult` from pair records as ``shieldsim deterrent --json`` writes them
    (dicts with ``base``, ``aim_point``, ``battery``, ``engageable``, ``margin_s``,
    ``min_speed_kms``, optionally ``threat`` and ``variant``; other keys ignored). With
    ``variant``, only the records of that sensor variant are kept."""
    keep = [p for p in pairs if variant is None or p.get("variant") == variant]
    rows = [DeterrentPair(base=str(p["base"]), aim_point=str(p["aim_point"]), battery=str(p["battery"]),
                          engageable=bool(p["engageable"]), margin_s=p.get("margin_s"),
                          min_speed_kms=p.get("min_speed_kms"), threat=str(p.get("threat") or ""))
            for p in keep]
    return DeterrentResult(pairs=rows, fraction_engageable=fraction_engageable, speed_figure=speed_figure,
                           figures=list(figures), published=list(published), notes=notes)
