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
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__

SECTIONS = ("summary", "coverage", "engagement", "deterrent", "cooperation", "claims", "assumptions", "provenance")
"""Ids of the sections of ``index.html``, in page order."""

COMPARE_SECTIONS = ("summary", "differences", "coverage", "engagement", "deterrent", "cooperation",
                    "assumptions", "provenance")
"""Ids of the sections of a comparison report, in page order."""

SVG_LIMIT_BYTES = 1_500_000
"""A figure whose SVG is larger than this is embedded as PNG instead (dense maps)."""

PNG_DPI = 130


# ---------------------------------------------------------------------------------------------
# the data contract


@dataclass
class Plot:
    """A figure with its caption.

    ``figure`` is a matplotlib ``Figure``, a path to an ``.svg`` or ``.png`` file, SVG text
    (a str starting with ``<``), or PNG bytes. ``fmt`` is ``"auto"`` (SVG unless larger than
    `SVG_LIMIT_BYTES`), ``"svg"`` or ``"png"``. ``alt`` is the text alternative (defaults to
    the caption).
    """

    figure: Any
    caption: str = ""
    alt: str = ""
    fmt: str = "auto"


@dataclass
class Provenance:
    """What produced the report. ``models`` is `trajectory.Models.as_dict()`; ``timestamp`` is
    ISO 8601 UTC; ``extra`` holds further run settings (e.g. ``grid_deg``, ``workers``,
    ``wall_time_s``)."""

    version: str
    models: dict
    seed: int | None = None
    command: str = ""
    timestamp: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def now(cls, models: dict, seed: int | None = None, command: str | None = None, **extra) -> "Provenance":
        """Provenance of a run starting now: this shieldsim version, the UTC time and (by
        default) the process's command line."""
        if command is None:
            command = " ".join(["shieldsim", *sys.argv[1:]]) if sys.argv else "shieldsim"
        stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return cls(version=__version__, models=dict(models), seed=seed, command=command, timestamp=stamp,
                   extra=dict(extra))


@dataclass
class Assumption:
    """One figure the assessment rests on: ``object`` (e.g. "SM-3 Block IIA"), ``figure``
    (e.g. "burnout speed"), ``value`` with its unit as text (e.g. "4.5 km/s") and ``source``."""

    object: str
    figure: str
    value: str
    source: str


@dataclass
class CountryRow:
    """People in one country on the coverage grid: ``population_protected`` (defended),
    ``population_total``, ``population_threatened`` (None when unknown) and ``nato_europe``
    (a NATO European member, or a territory counted with one, in the membership year; None when
    unknown)."""

    country: str
    population_protected: float
    population_total: float
    population_threatened: float | None = None
    nato_europe: bool | None = None

    @property
    def population_defended(self) -> float:
        """The same figure as ``population_protected``."""
        return self.population_protected

    @property
    def fraction_protected(self) -> float | None:
        return _fraction(self.population_protected, self.population_total)

    @property
    def fraction_defended_of_threatened(self) -> float | None:
        return _fraction_of_threatened(self.population_protected, self.population_threatened)


@dataclass
class RegionPopulation:
    """People of a group of countries on the coverage grid: ``population_total`` (everyone of
    the group on the grid), ``population_threatened`` (living where some flight of the threat
    area reaches; None when unknown), ``population_defended``; ``countries`` the group's codes
    (for NATO Europe, the members); ``territories`` codes counted with them; ``membership_year``
    and ``membership_year_from`` ("scenario" or "default") for NATO Europe."""

    population_total: float
    population_threatened: float | None
    population_defended: float
    countries: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)
    membership_year: int | None = None
    membership_year_from: str = ""

    @property
    def fraction_defended_of_threatened(self) -> float | None:
        """defended / threatened: 0 when nobody is threatened, None when unknown."""
        return _fraction_of_threatened(self.population_defended, self.population_threatened)


def region_population(d: dict) -> RegionPopulation:
    """A `RegionPopulation` from one part of `geography.nato_europe_population` (its
    ``nato_europe`` or ``rest_of_region`` dictionary)."""
    return RegionPopulation(population_total=d["population_total"], population_threatened=d["population_threatened"],
                            population_defended=d["population_defended"],
                            countries=list(d.get("members", d.get("countries", []))),
                            territories=list(d.get("territories", [])), membership_year=d.get("membership_year"),
                            membership_year_from=d.get("membership_year_from", ""))


@dataclass
class CoverageResult:
    """Coverage against the threats from one launch area.

    ``nato_europe``: the people of NATO's European members (membership of the scenario's year)
    threatened and defended -- the headline; ``rest_of_region``: the same for the other
    countries on the grid. ``population_protected`` (defended), ``population_total`` (everyone
    on the grid, threatened or not) and ``population_threatened`` are whole-grid figures;
    ``countries`` one row per country; ``threats`` the threat classes flown;
    ``defended_area_km2`` optional; ``map`` the map of the defended area with sites and radar
    fields; ``figures`` any further plots.
    """

    threat_area: str
    population_protected: float
    population_total: float
    countries: list[CountryRow] = field(default_factory=list)
    threats: list[str] = field(default_factory=list)
    defended_area_km2: float | None = None
    map: Any = None
    figures: list = field(default_factory=list)
    notes: str = ""
    population_threatened: float | None = None
    nato_europe: RegionPopulation | None = None
    rest_of_region: RegionPopulation | None = None

    @property
    def fraction_protected(self) -> float | None:
        return _fraction(self.population_protected, self.population_total)

    @property
    def fraction_defended_of_threatened(self) -> float | None:
        return _fraction_of_threatened(self.population_protected, self.population_threatened)


@dataclass
class TimelineEvent:
    """One event of an engagement timeline: ``time_s`` seconds after the threat's launch;
    ``actor`` the sensor or battery concerned; ``detail`` free text (e.g. "altitude 180 km")."""

    time_s: float
    event: str
    actor: str = ""
    detail: str = ""


@dataclass
class EngagementCase:
    """The engagement of one representative threat: the event table, the timeline and
    altitude-time figures, and optional headline figures (``engageable`` by any battery,
    shoot-look-shoot ``shots``, ``kill_probability`` of the doctrine)."""

    threat_area: str
    threat: str
    events: list[TimelineEvent] = field(default_factory=list)
    figures: list = field(default_factory=list)
    engageable: bool | None = None
    shots: int | None = None
    kill_probability: float | None = None
    notes: str = ""


@dataclass
class DeterrentPair:
    """One strategic base x aim point x battery case. ``margin_s``: latest launch that still
    engages minus earliest possible launch (as `deterrent` defines it): positive, seconds of
    slack; negative, how many seconds earlier the interceptor would have to launch; None when
    the battery never gets a launch. ``min_speed_kms``: the smallest interceptor burnout speed
    that engages; None = not found.
    ``threat``: the threat class flown (when a base fields several)."""

    base: str
    aim_point: str
    battery: str
    engageable: bool
    margin_s: float | None = None
    min_speed_kms: float | None = None
    threat: str = ""


@dataclass
class DeterrentResult:
    """The deterrent matrix. ``fraction_engageable`` per battery is computed from ``pairs``
    when left None. ``speed_figure``: fraction engageable against interceptor speed;
    ``figures``: further plots (e.g. the map of tracks). ``published``: short notes comparing
    with published studies (rendered as a list). ``by_shape``: fraction engageable per battery
    for each flight shape (shown side by side), with ``flights_by_shape`` and ``shape_note``."""

    pairs: list[DeterrentPair]
    fraction_engageable: dict[str, float] | None = None
    speed_figure: Any = None
    figures: list = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    notes: str = ""
    by_shape: dict[str, dict[str, float]] | None = None  # flight shape -> battery -> fraction engageable
    flights_by_shape: dict[str, int] | None = None  # flight shape -> flights counted
    shape_note: str = ""  # how the shapes are defined


@dataclass
class CooperationOption:
    """Population protected under one cooperation option (e.g. "NATO alone", "separate
    systems sharing data", "sectors"), from the given ``scenario``: on the whole grid
    (``population_protected`` of ``population_total``) and, in ``nato_europe``, the people of
    NATO's European members threatened and defended (every option counted with the same
    membership year)."""

    option: str
    scenario: str
    population_protected: float
    population_total: float
    description: str = ""
    nato_europe: RegionPopulation | None = None

    @property
    def fraction_protected(self) -> float | None:
        return _fraction(self.population_protected, self.population_total)


@dataclass
class CooperationResult:
    """The comparison of cooperation options against threats from ``threat_area`` (or all
    areas), with a ``difference_map`` and further ``figures``."""

    options: list[CooperationOption]
    threat_area: str = "all threat areas"
    difference_map: Any = None
    figures: list = field(default_factory=list)
    notes: str = ""


@dataclass
class ClaimRow:
    """One claim of the claims ledger with its verdict under each assumption profile: who
    (``claimant``, ``side``), when (``date``, ISO 8601), what (``statement``, a ``statement_kind``
    "quotation" or "paraphrase"), where it was checked (``source``), how shieldsim tests it
    (``check``, one line), ``results`` {profile: {"holds" (True/False/None = not testable),
    "figure", "margin" (signed distance from the threshold, positive where the claim holds),
    "unit", "reason"}} and ``flipped_by`` (the profiles whose verdict differs from the scenario
    alone's)."""

    id: str
    claimant: str
    side: str
    date: str
    statement: str
    statement_kind: str
    source: str
    check: str
    results: dict
    flipped_by: list[str] = field(default_factory=list)


@dataclass
class ClaimsResult:
    """The "Claims and assumptions" section: ``profiles`` (names in column order, "scenario" =
    the scenario as written) with their ``profile_titles``; ``claims`` (`ClaimRow`);
    ``headlines`` {profile: {area ("all" first): `RegionPopulation` of NATO Europe}} of the
    assessed scenario under each profile; ``grid_deg`` of those studies; ``notes``."""

    profiles: list[str]
    claims: list[ClaimRow]
    headlines: dict
    grid_deg: float
    profile_titles: dict = field(default_factory=dict)
    notes: str = ""


@dataclass
class DataFile:
    """A data file written next to ``index.html``: ``path`` relative to the report folder."""

    path: str
    description: str = ""
    format: str = ""


@dataclass
class Assessment:
    """Everything ``index.html`` and ``summary.json`` show. A section left None is reported as
    not computed, with the reason ``not_computed[section]`` when given."""

    scenario: str
    scenario_text: str
    provenance: Provenance
    title: str = ""
    description: str = ""
    key_findings: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    coverage: list[CoverageResult] | None = None
    engagement: list[EngagementCase] | None = None
    deterrent: DeterrentResult | None = None
    cooperation: CooperationResult | None = None
    claims: ClaimsResult | None = None
    data_files: list[DataFile] = field(default_factory=list)
    not_computed: dict[str, str] = field(default_factory=dict)


_UNITS = (("_kgm2", "kg/m^2"), ("_kms", "km/s"), ("_km", "km"), ("_deg", "deg"), ("_m2", "m^2"),
          ("_s", "s"), ("_m", "m"))


def _figure_and_unit(key: str) -> tuple[str, str]:
    """'reference_range_km' -> ('reference range', 'km')."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " "), unit
    return key.replace("_", " "), ""


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
            figure, unit = _figure_and_unit(key)
            rows.append(Assumption(obj, figure, f"{count} numbers" + (f" ({unit})" if unit else ""), source))
            continue
        obj, _, key = path.rpartition(".")
        figure, unit = _figure_and_unit(key)
        rows.append(Assumption(obj, figure, _value_text(value, unit), source))
    return rows


def battery_posture_rows(sc, name: str) -> list[Assumption]:
    """The two posture rows of battery ``name`` of scenario ``sc``: "launch on" and "engage on"
    ("own radar (names)" or "remote (network N)"), with the battery's source."""
    b = sc.batteries[name]
    from .scenario import network_home

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

    from .assumptions import changed_sources
    from .scenario import sourced_figures

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
            label = f"{table} {row.get('name', name)}"
            for key, value in row.items():
                if key == "source" or isinstance(value, (str, bool, dict)):
                    continue
                figure, unit = _figure_and_unit(key)
                rows.append(Assumption(label, figure, _value_text(value, unit), sources.get(key, "")))
    return rows


# ---------------------------------------------------------------------------------------------
# building sections from the physics results


def _finite(x) -> bool:
    return x is not None and math.isfinite(float(x))


def coverage_result(threat_area: str, protected, threats=(), map=None, figures=(), notes: str = "",
                    defended_area_km2: float | None = None, year: int | None = None) -> CoverageResult:
    """The coverage section entry of one threat area from a `geography.ProtectedPopulation`
    (its ``as_dict()`` figures, so the page shows what the coverage data files hold): totals,
    the NATO-Europe and rest-of-region split of `geography.nato_europe_population` for the
    membership of ``year`` (the scenario's year; None = the default year), and one row per
    country with people on the grid, named "Name (ISO3)", most populous first."""
    from .geography import nato_europe_areas, nato_europe_population

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
                    launch_sensors=None) -> EngagementCase:
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
            (`study.Tracks.track_sensor[index]`), shown with its earliest launch.
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
        events.append(TimelineEvent(float(track_time), "fire-control track", track_sensor))
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


def altitude_figure(trajectories, engagement, batteries, index: int = 0, cue_time: float | None = None,
                    track_time: float | None = None):
    """A matplotlib Figure (no pyplot state): threat ``index``'s altitude against time after
    its launch, each engaging battery's fastest interceptor arc to its first opportunity
    (`engagement.interceptor_altitude`), the intercept windows shaded, cue and track marked."""
    import numpy as np
    from matplotlib.figure import Figure

    from .earth import to_geodetic
    from .engagement import interceptor_altitude

    i = index
    pos = trajectories.position[i]
    ok = np.isfinite(pos[:, 0])
    fig = Figure(figsize=(8.0, 4.8), layout="constrained")
    ax = fig.subplots()
    if ok.any():
        alt = to_geodetic(pos[ok], trajectories.models.earth)[2]
        ax.plot(trajectories.time[ok], alt / 1e3, color="black", lw=2, label="threat")
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for j, battery in enumerate(batteries):
        if not engagement.engageable[i, j]:
            continue
        c = colours[j % len(colours)]
        first, last = engagement.intercept_first[i, j], engagement.intercept_last[i, j]
        ax.axvspan(first, last, color=c, alpha=0.15)
        t_i, h_i = interceptor_altitude(trajectories, battery, i, None, first)
        ax.plot(t_i, h_i / 1e3, color=c, lw=1.5, ls="--",
                label=f"{battery.name}: window {first:,.0f}-{last:,.0f} s, {engagement.shots[i, j]} shot(s)")
    for t, text, style in ((cue_time, "cue", ":"), (track_time, "track", "-.")):
        if _finite(t):
            ax.axvline(t, color="0.4", ls=style, lw=1, label=f"{text} {t:,.0f} s")
    ax.set_xlabel("time after threat launch, s")
    ax.set_ylabel("altitude, km")
    ax.set_ylim(bottom=0)
    fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return fig


def speed_sensitivity_figure(speeds_kms, fractions: dict, nominal_kms: dict | None = None,
                             title: str | None = None):
    """A matplotlib Figure of the fraction of deterrent cases engageable (0-1, drawn in %)
    against interceptor burnout speed (km/s), one line per label of ``fractions`` (e.g. per
    phase or battery: label -> (S,) array over ``speeds_kms``); ``nominal_kms`` marks each
    label's assumed speed."""
    import numpy as np
    from matplotlib.figure import Figure

    v = np.asarray(speeds_kms, dtype=float)
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for k, (label, f) in enumerate(fractions.items()):
        c = colours[k % len(colours)]
        ax.plot(v, 100.0 * np.asarray(f, dtype=float), marker="o", ms=3, color=c, label=str(label))
        if nominal_kms and label in nominal_kms and _finite(nominal_kms[label]):
            ax.axvline(float(nominal_kms[label]), color=c, ls=":", lw=1)
    ax.set_xlabel("interceptor burnout speed, km/s")
    ax.set_ylabel("cases engageable, %")
    ax.set_ylim(-2, 102)
    if title:
        ax.set_title(title)
    if fractions:
        ax.legend(fontsize="small")
    return fig


# ---------------------------------------------------------------------------------------------
# the summary dictionary (summary.json) -- the single source of every number in the page


def _fraction(part: float, whole: float) -> float | None:
    if whole is None or part is None or not whole or not math.isfinite(whole):
        return None
    return float(part) / float(whole)


def _fraction_of_threatened(defended: float | None, threatened: float | None) -> float | None:
    """defended / threatened: 0 (not NaN) when nobody is threatened, None when unknown."""
    if threatened is None or defended is None:
        return None
    return float(defended) / float(threatened) if threatened > 0 else 0.0


def _number(value: Any) -> Any:
    """A JSON-safe number: NumPy scalars become Python numbers, NaN/inf become None."""
    if value is None or isinstance(value, bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
    }
    if a.coverage is None:
        out["coverage"] = None
    else:
        out["coverage"] = [{
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
        } for c in a.coverage]
    if a.engagement is None:
        out["engagement"] = None
    else:
        out["engagement"] = [{
            "threat_area": e.threat_area,
            "threat": e.threat,
            "engageable": None if e.engageable is None else bool(e.engageable),
            "shots": _number(e.shots),
            "kill_probability": _number(e.kill_probability),
            "events": [{"time_s": _number(ev.time_s), "event": ev.event, "actor": ev.actor, "detail": ev.detail}
                       for ev in e.events],
        } for e in a.engagement]
    if a.deterrent is None:
        out["deterrent"] = None
    else:
        det = a.deterrent
        n = len(det.pairs)
        k = sum(bool(p.engageable) for p in det.pairs)
        out["deterrent"] = {
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
        }
    if a.cooperation is None:
        out["cooperation"] = None
    else:
        out["cooperation"] = {
            "threat_area": a.cooperation.threat_area,
            "options": [{"option": o.option, "scenario": o.scenario,
                         "nato_europe": _region_dict(o.nato_europe, "members"),
                         "population_protected": _number(o.population_protected),
                         "population_total": _number(o.population_total),
                         "fraction_protected": _number(o.fraction_protected)} for o in a.cooperation.options],
        }
    out["claims"], out["profiles"] = _claims_dicts(a.claims)
    out["data_files"] = [{"path": d.path, "format": d.format or _format_of(d.path), "description": d.description}
                         for d in a.data_files]
    return out


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
    from .geography import nato_members

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


# ---------------------------------------------------------------------------------------------
# text, numbers and figures


def _extra_text(key: str, value: Any) -> Any:
    """A provenance setting as shown on the page (the assumptions record as one line)."""
    if key == "assumptions" and (value is None or isinstance(value, dict)):
        from .assumptions import summary_text

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


class _Figures:
    """Turns figures into inline HTML, giving each SVG's ids a unique prefix (several SVGs in
    one page must not share ids)."""

    def __init__(self) -> None:
        self.count = 0

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
        if isinstance(fig, str) and fig.lstrip().startswith("<"):
            return _inline_svg(fig, prefix, alt)
        if isinstance(fig, (str, os.PathLike)):
            path = Path(fig)
            if path.suffix.lower() == ".svg":
                return _inline_svg(path.read_text(encoding="utf-8"), prefix, alt)
            return _png_tag(path.read_bytes(), alt)
        if hasattr(fig, "savefig"):
            if plot.fmt != "png":
                svg = _figure_svg(fig)
                if plot.fmt == "svg" or len(svg) <= SVG_LIMIT_BYTES:
                    return _inline_svg(svg, prefix, alt)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
            return _png_tag(buf.getvalue(), alt)
        raise TypeError(f"cannot embed a figure of type {type(fig).__name__}; give a matplotlib Figure, "
                        "a .svg/.png path, SVG text or PNG bytes")


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


def _inline_svg(svg: str, prefix: str, alt: str) -> str:
    """SVG text made fit to inline in HTML: no XML prolog, DOCTYPE, metadata, comments or
    namespace URIs (the HTML parser supplies them), ids prefixed, scripts and external
    references removed."""
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
    ids = set(_ID_ATTR.findall(svg))
    if ids:
        svg = _ID_ATTR.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
        svg = _ID_REF.sub(lambda m: f"#{prefix}{m.group(1)}" if m.group(1) in ids else m.group(0), svg)
    # path coordinates (points, or font units in glyph definitions) to 0.01: a quarter smaller
    svg = _PATH_DATA.sub(lambda m: m.group(1) + " ".join(_LONG_DECIMAL.sub(r"\1", m.group(2)).split()) + '"', svg)
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{_text(alt)}"', svg, count=1)
    return svg.strip()


def _png_tag(data: bytes, alt: str) -> str:
    if not data.startswith(b"\x89PNG"):
        raise ValueError("figure bytes are not a PNG image")
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{_text(alt)}" src="data:image/png;base64,{encoded}">'


# ---------------------------------------------------------------------------------------------
# HTML pieces


_CSS = """
:root { --ink:#1b1f24; --muted:#5b6470; --rule:#d5dae0; --band:#f4f6f8; --accent:#0b5c8e;
        --good:#1a7f37; --bad:#b42318; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       line-height: 1.55; }
.page { max-width: 76rem; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
header.top { border-bottom: 3px solid var(--accent); padding-bottom: .75rem; margin-bottom: 1rem; }
header.top h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .3rem; }
header.top .meta { color: var(--muted); font-size: .92rem; margin: 0; }
h2 { font-size: 1.45rem; margin: 2.4rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.12rem; margin: 1.6rem 0 .4rem; }
p, li { max-width: 48rem; }
nav.toc { background: var(--band); border: 1px solid var(--rule); border-radius: 6px; padding: .6rem 1rem;
          margin: 1rem 0; }
nav.toc ol { margin: .2rem 0; padding-left: 1.3rem; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.findings { border-left: 4px solid var(--accent); background: var(--band); padding: .6rem 1rem; margin: 1rem 0; }
.findings li { margin: .25rem 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .7rem; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
tbody th { background: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.yes { color: var(--good); font-weight: 600; }
td.no { color: var(--bad); }
td.source { font-size: .85rem; color: var(--muted); min-width: 24rem; max-width: 44rem; }
ul.figs { list-style: none; margin: 0; padding: 0; font-size: .88rem; min-width: 12rem; }
ul.figs li { white-space: nowrap; }
ul.figs .value { font-variant-numeric: tabular-nums; font-weight: 600; }
.table-wrap { overflow-x: auto; }
figure.plot { margin: 1rem 0; }
figure.plot svg, figure.plot img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; max-width: 48rem; }
.note { color: var(--muted); font-style: italic; }
.missing { border: 1px dashed var(--rule); padding: .6rem 1rem; border-radius: 6px; color: var(--muted); }
pre.scenario { background: var(--band); border: 1px solid var(--rule); padding: .8rem; overflow-x: auto;
               font-size: .82rem; line-height: 1.4; max-height: 40rem;
               font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
details { margin: .6rem 0; }
summary { cursor: pointer; color: var(--accent); }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.prov dt { font-weight: 600; }
dl.prov dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9rem; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
.columns > div { min-width: 0; }
.columns h3.side { margin-top: .4rem; color: var(--accent); }
.diff-pos { color: var(--good); }
.diff-neg { color: var(--bad); }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } nav.toc ol { columns: 1; } }
@media print { nav.toc { display: none; } h2 { break-before: auto; } figure.plot { break-inside: avoid; } }
"""


class _Page:
    """Renders the sections of one assessment whose summary lives at ``prefix`` in the
    document written to ``summary.json``."""

    def __init__(self, assessment: Assessment, summary: dict, prefix: tuple, figures: _Figures):
        self.a = assessment
        self.s = summary
        self.prefix = prefix
        self.fig = figures

    # -- cells -------------------------------------------------------------------------------
    def num(self, path: tuple, fmt=_fmt_plain, cls: str = "num") -> str:
        """A table cell showing the summary value at ``path`` (relative to this assessment)."""
        value = resolve_pointer(self.s, _pointer(*path))
        key = _pointer(*self.prefix, *path)
        raw = "null" if value is None else json.dumps(value)
        return f'<td class="{cls}" data-key="{_text(key)}" data-value="{_text(raw)}">{_text(fmt(value))}</td>'

    def yes_no(self, path: tuple) -> str:
        value = resolve_pointer(self.s, _pointer(*path))
        cls = "" if value is None else ("yes" if value else "no")
        return self.num(path, _fmt_plain, cls=f"num {cls}".strip())

    def missing(self, section: str) -> str:
        reason = self.a.not_computed.get(section, "")
        text = f"Not computed in this run{': ' + reason if reason else '.'}"
        return f'<p class="missing" data-missing="{section}">{_text(text)}</p>'

    def not_computed_line(self) -> str:
        missing = [_TITLES[k] for k, done in self.s["sections"].items() if not done]
        if not missing:
            return ""
        return f'<p class="note">Not computed in this run: {_text(", ".join(missing))}.</p>'

    # -- sections ----------------------------------------------------------------------------
    def findings(self) -> str:
        items = self.s["key_findings"]
        if not items:
            return '<p class="note">No key findings were recorded for this run.</p>'
        return '<ul class="findings">' + "".join(f"<li>{_text(x)}</li>" for x in items) + "</ul>"

    def headline_table(self) -> str:
        rows = []
        coverage = self.s["coverage"] or []
        for part in ("nato_europe", "rest_of_region"):
            for i, c in enumerate(coverage):
                if c.get(part):
                    who = (f"NATO's European members ({_text(_membership(c[part]))})" if part == "nato_europe"
                           else "Rest of the region")
                    rows.append(f"<tr><th scope=\"row\">{who}: people defended of those threatened by launches "
                                f"from {_text(c['threat_area'])}</th>"
                                f"{self.num(('coverage', i, part, 'population_defended'), _fmt_people)}"
                                f"{self.num(('coverage', i, part, 'fraction_defended_of_threatened'), _fmt_pct)}</tr>")
        for i, c in enumerate(coverage):
            rows.append(f"<tr><th scope=\"row\">Whole grid: people defended against threats from {_text(c['threat_area'])}, "
                        "share of everyone in the region box</th>"
                        f"{self.num(('coverage', i, 'population_protected'), _fmt_people)}"
                        f"{self.num(('coverage', i, 'fraction_protected'), _fmt_pct)}</tr>")
        det = self.s["deterrent"]
        if det is not None:
            rows.append(f"<tr><th scope=\"row\">Deterrent cases engageable, of {det['pairs_total']:,} "
                        "(base &times; aim point &times; battery)</th>"
                        f"{self.num(('deterrent', 'pairs_engageable'))}"
                        f"{self.num(('deterrent', 'fraction_engageable_all'), _fmt_pct)}</tr>")
        coop = self.s["cooperation"]
        if coop is not None:
            for i, o in enumerate(coop["options"]):
                if o.get("nato_europe"):
                    rows.append(f"<tr><th scope=\"row\">Cooperation option: {_text(o['option'])}, people of NATO's "
                                "European members defended of those threatened</th>"
                                f"{self.num(('cooperation', 'options', i, 'nato_europe', 'population_defended'), _fmt_people)}"
                                f"{self.num(('cooperation', 'options', i, 'nato_europe', 'fraction_defended_of_threatened'), _fmt_pct)}</tr>")
                else:
                    rows.append(f"<tr><th scope=\"row\">Cooperation option: {_text(o['option'])}, whole grid</th>"
                                f"{self.num(('cooperation', 'options', i, 'population_protected'), _fmt_people)}"
                                f"{self.num(('cooperation', 'options', i, 'fraction_protected'), _fmt_pct)}</tr>")
        if not rows:
            return '<p class="missing">No headline figures: no analysis section was computed.</p>'
        return ('<div class="table-wrap"><table class="headline"><thead><tr><th>Figure</th>'
                '<th class="num">Value</th><th class="num">Share</th></tr></thead><tbody>'
                + "".join(rows) + "</tbody></table></div>")

    def _group_row(self, label: str, path: tuple, defended_key: str = "population_defended") -> str:
        return (f"<tr><th scope=\"row\">{label}</th>"
                f"{self.num((*path, 'population_total'), _fmt_people)}"
                f"{self.num((*path, 'population_threatened'), _fmt_people)}"
                f"{self.num((*path, defended_key), _fmt_people)}"
                f"{self.num((*path, 'fraction_defended_of_threatened'), _fmt_pct)}</tr>")

    def coverage(self) -> str:
        if self.a.coverage is None:
            return self.missing("coverage")
        if not self.a.coverage:
            return '<p class="note">The scenario has no threat areas.</p>'
        out = ['<p>For each threat launch area: the people living where some threat flight from the area can '
               'reach (threatened), and those of them every such flight to whom at least one battery can '
               'engage within its inventory (defended). The headline is the people of NATO\'s European members '
               '(membership of the scenario\'s year, from the list shipped with shieldsim), the Alliance\'s stated '
               'aim since the Lisbon summit of November 2010; the other countries on the grid are reported apart, '
               'and the whole grid (everyone in the defended region\'s box, threatened or not) last.</p>']
        for i, c in enumerate(self.a.coverage):
            s = self.s["coverage"][i]
            out.append(f"<h3>Threats from {_text(c.threat_area)}</h3>")
            if c.threats:
                out.append(f"<p>Threat classes flown: {_text(', '.join(c.threats))}.</p>")
            groups = []
            if s.get("nato_europe"):
                groups.append(self._group_row(f"NATO's European members ({_text(_membership(s['nato_europe']))})",
                                              ("coverage", i, "nato_europe")))
            if s.get("rest_of_region"):
                groups.append(self._group_row("Rest of the region", ("coverage", i, "rest_of_region")))
            groups.append(self._group_row("Whole grid", ("coverage", i), "population_protected"))
            out.append('<div class="table-wrap"><table><thead><tr><th>People</th><th class="num">On the grid</th>'
                       '<th class="num">Threatened</th><th class="num">Defended</th>'
                       '<th class="num">Defended of threatened</th></tr></thead><tbody>' + "".join(groups)
                       + "</tbody></table></div>")
            out.append('<div class="table-wrap"><table><tbody>'
                       f"<tr><th scope=\"row\">Whole grid: share of everyone on the grid defended</th>"
                       f"{self.num(('coverage', i, 'fraction_protected'), _fmt_pct)}</tr>"
                       + (f"<tr><th scope=\"row\">Defended area, km&sup2;</th>"
                          f"{self.num(('coverage', i, 'defended_area_km2'), _fmt_people)}</tr>"
                          if s["defended_area_km2"] is not None else "")
                       + "</tbody></table></div>")
            if s.get("nato_europe"):
                members = s["nato_europe"]["members"]
                year_note = (" (the scenario gives no year: shieldsim's default)"
                             if s["nato_europe"].get("membership_year_from") == "default" else "")
                out.append(f'<p class="note">NATO\'s European members in {_text(s["nato_europe"]["membership_year"])}'
                           f"{_text(year_note)}: {_text(', '.join(_member_names(members)))}"
                           + (f"; counted with them: {_text(', '.join(s['nato_europe'].get('territories', [])))}"
                              if s["nato_europe"].get("territories") else "") + ".</p>")
            out.append(self.fig.html(c.map))
            out.extend(self.fig.html(f) for f in c.figures)
            if s["countries"]:
                rows = "".join(
                    f"<tr><td>{_text(r['country'])}</td>"
                    f"{self.yes_no(('coverage', i, 'countries', j, 'nato_europe'))}"
                    f"{self.num(('coverage', i, 'countries', j, 'population_total'), _fmt_people)}"
                    f"{self.num(('coverage', i, 'countries', j, 'population_threatened'), _fmt_people)}"
                    f"{self.num(('coverage', i, 'countries', j, 'population_defended'), _fmt_people)}"
                    f"{self.num(('coverage', i, 'countries', j, 'fraction_defended_of_threatened'), _fmt_pct)}"
                    f"{self.num(('coverage', i, 'countries', j, 'fraction_protected'), _fmt_pct)}</tr>"
                    for j, r in enumerate(s["countries"]))
                is_open = " open" if len(s["countries"]) <= 15 else ""
                out.append(f'<details{is_open}><summary>People threatened and defended by country '
                           f'({len(s["countries"]):,} countries)</summary>'
                           '<div class="table-wrap"><table><thead><tr><th>Country</th><th class="num">NATO Europe</th>'
                           '<th class="num">On the grid</th><th class="num">Threatened</th><th class="num">Defended</th>'
                           '<th class="num">Defended of threatened</th><th class="num">Defended of all</th>'
                           f'</tr></thead><tbody>{rows}</tbody></table></div></details>')
            out.append(_paragraphs(c.notes))
        return "".join(out)

    def engagement(self) -> str:
        if self.a.engagement is None:
            return self.missing("engagement")
        if not self.a.engagement:
            return '<p class="note">No representative threat was engaged.</p>'
        out = ['<p>For a representative threat from each launch area: when it is detected and tracked, '
               'when each battery can fire, and when intercepts are possible. Times are seconds after '
               'the threat\'s launch.</p>']
        for i, e in enumerate(self.a.engagement):
            s = self.s["engagement"][i]
            out.append(f"<h3>{_text(e.threat)} <span class=\"note\">({_text(e.threat_area)})</span></h3>")
            heads = []
            if s["engageable"] is not None:
                heads.append(f"<tr><th scope=\"row\">Engageable</th>{self.yes_no(('engagement', i, 'engageable'))}</tr>")
            if s["shots"] is not None:
                heads.append(f"<tr><th scope=\"row\">Shoot-look-shoot opportunities</th>{self.num(('engagement', i, 'shots'))}</tr>")
            if s["kill_probability"] is not None:
                heads.append(f"<tr><th scope=\"row\">Kill probability</th>{self.num(('engagement', i, 'kill_probability'), _fmt_pct)}</tr>")
            if heads:
                out.append('<div class="table-wrap"><table><tbody>' + "".join(heads) + "</tbody></table></div>")
            out.extend(self.fig.html(f) for f in e.figures)
            if s["events"]:
                rows = "".join(
                    f"{'<tr>'}{self.num(('engagement', i, 'events', j, 'time_s'), _fmt_time)}"
                    f"<td>{_text(ev['event'])}</td><td>{_text(ev['actor'])}</td><td>{_text(ev['detail'])}</td></tr>"
                    for j, ev in enumerate(s["events"]))
                out.append('<div class="table-wrap"><table><thead><tr><th class="num">Time, s</th><th>Event</th>'
                           f'<th>By</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table></div>')
            out.append(_paragraphs(e.notes))
        return "".join(out)

    def deterrent(self) -> str:
        if self.a.deterrent is None:
            return self.missing("deterrent")
        d = self.a.deterrent
        s = self.s["deterrent"]
        out = ['<p>Can the shield engage Russian strategic missiles flying to North America? Each case is a '
               'strategic base, an aim point and a NATO battery. The margin is the latest launch that still '
               'engages minus the earliest possible launch: positive, seconds of slack; negative, how many '
               'seconds earlier the interceptor would have to be launched. The minimum speed is the interceptor '
               'burnout speed that would make the case engageable.</p>',
               '<div class="table-wrap"><table><tbody>'
               f"<tr><th scope=\"row\">Cases</th>{self.num(('deterrent', 'pairs_total'))}</tr>"
               f"<tr><th scope=\"row\">Cases engageable</th>{self.num(('deterrent', 'pairs_engageable'))}</tr>"
               f"<tr><th scope=\"row\">Fraction engageable</th>{self.num(('deterrent', 'fraction_engageable_all'), _fmt_pct)}</tr>"
               "</tbody></table></div>"]
        if s["fraction_engageable"]:
            rows = "".join(f"<tr><td>{_text(b)}</td>{self.num(('deterrent', 'fraction_engageable', b), _fmt_pct)}</tr>"
                           for b in s["fraction_engageable"])
            out.append('<h3>Fraction of cases engageable, per battery</h3><div class="table-wrap"><table><thead><tr>'
                       f'<th>Battery</th><th class="num">Fraction engageable</th></tr></thead><tbody>{rows}</tbody></table></div>')
        if s.get("fraction_engageable_by_shape"):
            out.append(self.deterrent_shapes(s))
        if s["by_base"]:
            batteries = list(next(iter(s["by_base"].values())))
            head = "".join(f'<th class="num">{_text(b)}</th>' for b in batteries)
            rows = "".join(
                f"<tr><td>{_text(base)}</td>"
                + "".join(self.num(("deterrent", "by_base", base, b, "engageable"),
                                   lambda v, n=cells[b]["cases"]: f"{v:,} of {n:,}" if n else "-") for b in batteries) + "</tr>"
                for base, cells in s["by_base"].items())
            out.append("<h3>Cases engageable, per base and battery</h3>"
                       f'<div class="table-wrap"><table><thead><tr><th>Base</th>{head}</tr></thead>'
                       f"<tbody>{rows}</tbody></table></div>")
        out.append(self.fig.html(d.speed_figure))
        out.extend(self.fig.html(f) for f in d.figures)
        if s["pairs"]:
            rows = "".join(
                f"<tr><td>{_text(p['base'])}</td><td>{_text(p['aim_point'])}</td><td>{_text(p['threat'])}</td>"
                f"<td>{_text(p['battery'])}</td>"
                f"{self.yes_no(('deterrent', 'pairs', j, 'engageable'))}"
                f"{self.num(('deterrent', 'pairs', j, 'margin_s'), _fmt_time)}"
                f"{self.num(('deterrent', 'pairs', j, 'min_speed_kms'), _fmt_speed)}</tr>"
                for j, p in enumerate(s["pairs"]))
            out.append(f'<details><summary>All {len(s["pairs"]):,} cases (base &times; aim point &times; battery)</summary>'
                       '<div class="table-wrap"><table><thead><tr><th>Base</th><th>Aim point</th><th>Threat</th><th>Battery</th>'
                       '<th class="num">Engageable</th><th class="num">Margin, s</th><th class="num">Min. speed, km/s</th>'
                       f'</tr></thead><tbody>{rows}</tbody></table></div></details>')
        if d.published:
            out.append("<h3>Against published studies</h3><ul>" + "".join(f"<li>{_text(x)}</li>" for x in d.published) + "</ul>")
        out.append(_paragraphs(d.notes))
        return "".join(out)

    def deterrent_shapes(self, s: dict) -> str:
        """The fraction of flights engageable per battery, one column per flight shape."""
        by = s["fraction_engageable_by_shape"]
        shapes = list(by)
        batteries = list(dict.fromkeys(b for row in by.values() for b in row))
        head = "".join(f'<th class="num">{_text(k)} ({s["flights_by_shape"].get(k, 0):,} flights)</th>' for k in shapes)
        rows = "".join(f"<tr><td>{_text(b)}</td>"
                       + "".join(self.num(("deterrent", "fraction_engageable_by_shape", k, b), _fmt_pct)
                                 if b in by[k] else '<td class="num">-</td>' for k in shapes)
                       + "</tr>" for b in batteries)
        return ("<h3>Fraction of flights engageable, per flight shape</h3>"
                f'<div class="table-wrap"><table><thead><tr><th>Battery</th>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>" + _paragraphs(self.a.deterrent.shape_note))

    def cooperation(self) -> str:
        if self.a.cooperation is None:
            return self.missing("cooperation")
        c = self.a.cooperation
        s = self.s["cooperation"]
        nato = next((o["nato_europe"] for o in s["options"] if o.get("nato_europe")), None)
        membership = f" (NATO's European members of {nato['membership_year']} for every option)" if nato else ""
        out = ['<p>The 2011 debate in numbers: people defended against the same threats '
               f'(from {_text(c.threat_area)}) by the NATO system alone, by NATO and Russian systems kept '
               f'separate but sharing radar data, and under sectors of responsibility{_text(membership)}.</p>']

        def nato_cells(i: int, o: dict) -> str:
            if not o.get("nato_europe"):
                return "<td></td><td></td><td></td>"
            return (f"{self.num(('cooperation', 'options', i, 'nato_europe', 'population_threatened'), _fmt_people)}"
                    f"{self.num(('cooperation', 'options', i, 'nato_europe', 'population_defended'), _fmt_people)}"
                    f"{self.num(('cooperation', 'options', i, 'nato_europe', 'fraction_defended_of_threatened'), _fmt_pct)}")

        rows = "".join(
            f"<tr><td>{_text(o['option'])}</td><td>{_text(o['scenario'])}</td>{nato_cells(i, o)}"
            f"{self.num(('cooperation', 'options', i, 'population_protected'), _fmt_people)}"
            f"{self.num(('cooperation', 'options', i, 'fraction_protected'), _fmt_pct)}</tr>"
            for i, o in enumerate(s["options"]))
        out.append('<div class="table-wrap"><table><thead><tr><th>Option</th><th>Scenario</th>'
                   '<th class="num">NATO Europe threatened</th><th class="num">NATO Europe defended</th>'
                   '<th class="num">Defended of threatened</th>'
                   '<th class="num">Whole grid: defended</th><th class="num">Share of the grid</th></tr></thead>'
                   f"<tbody>{rows}</tbody></table></div>")
        descriptions = [(o.option, o.description) for o in c.options if o.description]
        if descriptions:
            out.append("<ul>" + "".join(f"<li><strong>{_text(n)}</strong>: {_text(d)}</li>" for n, d in descriptions) + "</ul>")
        out.append(self.fig.html(c.difference_map))
        out.extend(self.fig.html(f) for f in c.figures)
        out.append(_paragraphs(c.notes))
        return "".join(out)

    def claims(self) -> str:
        if self.a.claims is None:
            return self.missing("claims")
        c = self.a.claims
        profiles = list(self.s["profiles"])
        titles = "; ".join(f"<strong>{_text(p)}</strong>: {_text(self.s['profiles'][p]['title'])}" for p in profiles)
        out = ['<p>The public claims of the dispute, each tested by a shieldsim study, and the headline figures, '
               'under the scenario as written and under each assumption profile (a named set of the disputed '
               f'figures, every one with its source). Profiles: {titles}. These studies run on a {c.grid_deg:g}-degree '
               'grid, at least as coarse as the coverage section\'s (its grid is in the provenance): where the '
               'grids differ, so do the figures, slightly.</p>',
               "<h3>NATO Europe under each profile</h3>"]
        rows = []
        for p in profiles:
            areas = self.s["profiles"][p]["nato_europe"]
            for area in areas:
                label = "all threat areas together" if area == "all" else area
                path = ("profiles", p, "nato_europe", area)
                rows.append(f"<tr><td>{_text(p)}</td><td>{_text(label)}</td>"
                            f"{self.num((*path, 'population_threatened'), _fmt_people)}"
                            f"{self.num((*path, 'population_defended'), _fmt_people)}"
                            f"{self.num((*path, 'fraction_defended_of_threatened'), _fmt_pct)}</tr>")
        out.append('<div class="table-wrap"><table><thead><tr><th>Profile</th><th>Threat area</th>'
                   '<th class="num">Threatened</th><th class="num">Defended</th>'
                   '<th class="num">Defended of threatened</th></tr></thead>'
                   f"<tbody>{''.join(rows)}</tbody></table></div>" if rows
                   else '<p class="note">The assessed scenario has no threat areas.</p>')
        verdict = {True: "holds", False: "does not hold", None: "not testable"}
        out.append("<h3>The claims ledger</h3><p>Each cell: whether the claim holds under that profile. "
                   "&ldquo;Flipped by&rdquo; names the profiles that change the verdict of the scenario as "
                   "written. The figures, margins and reasons follow.</p>")
        head = "".join(f'<th class="num">{_text(p)}</th>' for p in profiles)
        rows = []
        for i, r in enumerate(self.s["claims"]):
            cells = "".join(self.num(("claims", i, "results", p, "holds"), lambda v: verdict[v],
                                     cls="num " + {True: "yes", False: "no", None: ""}[r["results"][p]["holds"]])
                            for p in profiles)
            rows.append(f"<tr><td><code>{_text(r['id'])}</code></td><td>{_text(r['claimant'])}</td>"
                        f"<td>{_text(r['date'])}</td>{cells}<td>{_text(', '.join(r['flipped_by']) or '-')}</td></tr>")
        out.append('<div class="table-wrap"><table class="ledger"><thead><tr><th>Claim</th><th>Claimant</th>'
                   f'<th>Date</th>{head}<th>Flipped by</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
        rows = []
        for i, r in enumerate(self.s["claims"]):
            for p in profiles:
                res = r["results"][p]
                fmt = _fmt_people if res["unit"] == "people" else _fmt_plain
                rows.append(f"<tr><td><code>{_text(r['id'])}</code></td><td>{_text(p)}</td>"
                            f"{self.num(('claims', i, 'results', p, 'figure'), fmt)}"
                            f"{self.num(('claims', i, 'results', p, 'margin'), fmt)}"
                            f"<td>{_text(res['unit'])}</td><td>{_text(res['reason'])}</td></tr>")
        out.append(f'<details><summary>Figures and margins ({len(rows):,} rows: claim &times; profile)</summary>'
                   '<div class="table-wrap"><table><thead><tr><th>Claim</th><th>Profile</th><th class="num">Figure</th>'
                   '<th class="num">Margin</th><th>Unit</th><th>Reason</th></tr></thead>'
                   f'<tbody>{"".join(rows)}</tbody></table></div></details>')
        items = "".join(
            f"<li><code>{_text(r['id'])}</code> &mdash; {_text(r['claimant'])}, {_text(r['date'])} "
            f"({_text(r['side'])}, {_text(r['statement_kind'])}): &ldquo;{_text(r['statement'])}&rdquo; "
            f"<br><span class=\"note\">Tested as: {_text(r['check'])}. Source: {_text(r['source'])}</span></li>"
            for r in self.s["claims"])
        out.append(f'<details><summary>Statements, tests and sources</summary><ul class="claims">{items}</ul></details>')
        out.append(_paragraphs(c.notes))
        return "".join(out)

    def assumptions(self) -> str:
        if not self.a.assumptions:
            return '<p class="missing">No assumptions were recorded for this run.</p>'
        rows = []
        items = self.a.assumptions
        i = 0
        while i < len(items):  # consecutive figures of one object with one source share a row
            j = i + 1
            while j < len(items) and (items[j].object, items[j].source) == (items[i].object, items[i].source):
                j += 1
            figures = "".join(f"<li>{_text(x.figure)} <span class=\"value\">{_text(x.value)}</span></li>"
                              for x in items[i:j])
            source = " ".join(items[i].source.split())
            rows.append(f"<tr><td>{_text(items[i].object)}</td><td><ul class=\"figs\">{figures}</ul></td>"
                        f"<td class=\"source\">{_text(source)}</td></tr>")
            i = j
        return ('<p>Every figure the assessment rests on, with its public source. Figures marked notional are '
                'stated as such in their source.</p><div class="table-wrap"><table class="assumptions"><thead><tr>'
                '<th>Object</th><th>Figures</th><th>Source</th></tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    def provenance(self) -> str:
        p = self.s["provenance"]
        items = [("shieldsim version", p["version"]), ("Scenario", self.s["scenario"]),
                 ("Models", ", ".join(f"{k}={v}" for k, v in (p["models"] or {}).items())),
                 ("Seed", "none" if p["seed"] is None else p["seed"]), ("Command", p["command"]),
                 ("Run at (UTC)", p["timestamp"])]
        items += [(k, _extra_text(k, v)) for k, v in p["extra"].items()]
        dl = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in items)
        files = ""
        if self.s["data_files"]:
            rows = "".join(f'<tr><td><a href="{_text(d["path"])}">{_text(d["path"])}</a></td><td>{_text(d["format"])}</td>'
                           f"<td>{_text(d['description'])}</td></tr>" for d in self.s["data_files"])
            files = ('<h3>Data files</h3><p>Written next to this page; <code>summary.json</code> holds the '
                     'headline figures shown here.</p><div class="table-wrap"><table><thead><tr><th>File</th>'
                     f"<th>Format</th><th>Content</th></tr></thead><tbody>{rows}</tbody></table></div>")
        text = self.a.scenario_text or ""
        scenario = (f"<h3>Scenario file</h3><pre class=\"scenario\">{_text(text)}</pre>" if text
                    else '<p class="note">Scenario text not recorded.</p>')
        return f'<dl class="prov">{dl}</dl>{files}{scenario}'


_TITLES = {"summary": "Summary", "differences": "Differences", "coverage": "Defended areas and population",
           "engagement": "Engagement timelines", "deterrent": "The deterrent question",
           "cooperation": "Cooperation options", "claims": "Claims and assumptions",
           "assumptions": "Assumptions and sources",
           "provenance": "Provenance and data"}


def _document(title: str, meta: str, sections: list[tuple[str, str]]) -> str:
    toc = "".join(f'<li><a href="#{sid}">{_text(_TITLES[sid])}</a></li>' for sid, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{_text(_TITLES[sid])}</h2>{content}</section>' for sid, content in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"generator\" content=\"shieldsim\">"
            f"<title>{_text(title)}</title><style>{_CSS}</style></head><body><div class=\"page\">"
            f"<header class=\"top\"><h1>{_text(title)}</h1><p class=\"meta\">{meta}</p></header>"
            f"<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong><ol>{toc}</ol></nav>"
            f"{body}<footer><p class=\"note\">Written by shieldsim, an analysis tool at the level of public physics; "
            "it is not a weapons-design tool.</p></footer></div></body></html>\n")


def _write(out_dir: str | os.PathLike, page: str, summary: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(_json_text(summary) + "\n", encoding="utf-8")
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


TABLES = {
    "coverage": ("coverage-countries.csv", "people on the grid, threatened and defended per threat area and country",
                 ("threat_area", "country", "nato_europe", "population_total", "population_threatened",
                  "population_defended", "fraction_defended_of_threatened", "population_protected",
                  "fraction_protected")),
    "coverage_groups": ("coverage-nato-europe.csv",
                        "people threatened and defended per threat area: NATO's European members, the rest of "
                        "the region, the whole grid",
                        ("threat_area", "group", "membership_year", "membership_year_from", "population_total",
                         "population_threatened", "population_defended", "fraction_defended_of_threatened")),
    "engagement": ("engagement-events.csv", "engagement events of the representative threats",
                   ("threat_area", "threat", "time_s", "event", "actor", "detail")),
    "deterrent": ("deterrent-pairs.csv", "every strategic base x aim point x battery case",
                  ("base", "aim_point", "threat", "battery", "engageable", "margin_s", "min_speed_kms")),
    "claims": ("claims-ledger.csv", "every claim of the ledger under every assumption profile",
               ("id", "claimant", "side", "date", "profile", "holds", "figure", "margin", "unit", "reason", "check")),
    "profiles": ("profiles-nato-europe.csv", "NATO Europe threatened and defended under each assumption profile",
                 ("profile", "threat_area", "grid_deg", "membership_year", "population_total", "population_threatened",
                  "population_defended", "fraction_defended_of_threatened")),
    "cooperation": ("cooperation.csv", "people defended under each cooperation option",
                    ("option", "scenario", "membership_year", "nato_europe_population_threatened",
                     "nato_europe_population_defended", "nato_europe_fraction_defended_of_threatened",
                     "population_protected", "population_total", "fraction_protected")),
}
"""Table -> (file name, description, columns) of the CSV tables `write_tables` writes (each from
the summary.json section of the same name, ``coverage_groups`` from ``coverage``)."""

_TABLE_SECTION = {"coverage_groups": "coverage"}


def _table_rows(summary: dict, table: str) -> list[dict]:
    data = summary[_TABLE_SECTION.get(table, table)]
    if table == "coverage":
        return [{"threat_area": c["threat_area"], **r} for c in data for r in c["countries"]]
    if table == "coverage_groups":
        rows = []
        for c in data:
            for group, label in (("nato_europe", "NATO Europe"), ("rest_of_region", "rest of the region")):
                if c.get(group):
                    rows.append({"threat_area": c["threat_area"], "group": label, **c[group]})
            rows.append({"threat_area": c["threat_area"], "group": "whole grid",
                         "population_total": c["population_total"],
                         "population_threatened": c.get("population_threatened"),
                         "population_defended": c["population_protected"],
                         "fraction_defended_of_threatened": c.get("fraction_defended_of_threatened")})
        return rows
    if table == "engagement":
        return [{"threat_area": e["threat_area"], "threat": e["threat"], **ev} for e in data for ev in e["events"]]
    if table == "deterrent":
        return data["pairs"]
    if table == "claims":
        return [{**{k: c[k] for k in ("id", "claimant", "side", "date", "check")}, "profile": p, **r}
                for c in data for p, r in c["results"].items()]
    if table == "profiles":
        return [{"profile": p, "threat_area": area, "grid_deg": head["grid_deg"], **g}
                for p, head in data.items() for area, g in head["nato_europe"].items()]
    return [{**o, **({f"nato_europe_{k}": v for k, v in o["nato_europe"].items()} if o.get("nato_europe") else {}),
             "membership_year": (o.get("nato_europe") or {}).get("membership_year")} for o in data["options"]]


def write_tables(out_dir: str | os.PathLike, assessment: Assessment) -> list[DataFile]:
    """Write the tables of the computed sections as CSV files into ``out_dir`` (`TABLES`: the
    same numbers as ``summary.json``; empty cells for missing values) and return them as
    `DataFile` entries."""
    import csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(assessment)
    files = []
    for table, (name, description, columns) in TABLES.items():
        if summary[_TABLE_SECTION.get(table, table)] is None:
            continue
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in _table_rows(summary, table):
                writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
        files.append(DataFile(name, description, "CSV"))
    return files


def write_report(out_dir: str | os.PathLike, assessment: Assessment, tables: bool = True) -> Path:
    """Write ``index.html`` and ``summary.json`` for an assessment into ``out_dir`` (created
    if needed), and with ``tables`` the CSV tables of `write_tables`, which are added to the
    data files listed. Other data files listed in ``assessment.data_files`` (netCDF, GeoJSON)
    are expected to be there already. Returns the path of ``index.html``."""
    if tables:
        from dataclasses import replace

        listed = {d.path for d in assessment.data_files}
        extra = [d for d in write_tables(out_dir, assessment) if d.path not in listed]
        assessment = replace(assessment, data_files=[*assessment.data_files, *extra])
    summary = summary_dict(assessment)
    page = _Page(assessment, summary, (), _Figures())
    a = assessment
    title = a.title or f"shieldsim assessment: {a.scenario}"
    meta = (f"Scenario <strong>{_text(a.scenario)}</strong> &middot; shieldsim {_text(a.provenance.version)}"
            f" &middot; {_text(a.provenance.timestamp or 'time not recorded')}")
    intro = f"<h3>The architecture</h3>{_paragraphs(a.description)}" if a.description.strip() else ""
    sections = [
        ("summary", f"<h3>Key findings</h3>{page.findings()}<h3>Headline figures</h3>{page.headline_table()}"
                    f"{page.not_computed_line()}{intro}"),
        ("coverage", page.coverage()),
        ("engagement", page.engagement()),
        ("deterrent", page.deterrent()),
        ("cooperation", page.cooperation()),
        ("claims", page.claims()),
        ("assumptions", page.assumptions()),
        ("provenance", page.provenance()),
    ]
    return _write(out_dir, _document(title, meta, sections), summary)


# ---------------------------------------------------------------------------------------------
# side by side


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


def _fmt_signed_people(v: Any) -> str:
    return "n/a" if v is None else f"{round(float(v)):+,}"


def _fmt_signed_pct(v: Any) -> str:
    return "n/a" if v is None else f"{100.0 * float(v):+.1f} points"


def compare_reports(out_dir: str | os.PathLike, assessment_a: Assessment, assessment_b: Assessment,
                    difference_figures: list | None = None) -> Path:
    """Write a side-by-side report of two assessments into ``out_dir``: ``index.html`` with
    two columns per section plus a "differences" section (a table of B - A and the
    ``difference_figures``, e.g. maps of where B defends and A does not), and ``summary.json``
    from `compare_summary`. Returns the path of ``index.html``."""
    summary = compare_summary(assessment_a, assessment_b)
    figs = _Figures()
    pa = _Page(assessment_a, summary["a"], ("a",), figs)
    pb = _Page(assessment_b, summary["b"], ("b",), figs)
    diff = _Page(assessment_a, summary, (), figs)
    names = (assessment_a.scenario, assessment_b.scenario)

    def columns(method: str) -> str:
        return ('<div class="columns">'
                f'<div><h3 class="side">A: {_text(names[0])}</h3>{getattr(pa, method)()}</div>'
                f'<div><h3 class="side">B: {_text(names[1])}</h3>{getattr(pb, method)()}</div></div>')

    d = summary["differences"]
    parts = ["<p>B compared with A. Positive differences mean B protects more people or engages more cases.</p>"]
    if d["coverage"]:
        rows = "".join(
            f"<tr><td>{_text(r['threat_area'])}</td>"
            f"{diff.num(('differences', 'coverage', i, 'nato_europe_population_defended_a'), _fmt_people)}"
            f"{diff.num(('differences', 'coverage', i, 'nato_europe_population_defended_b'), _fmt_people)}"
            f"{diff.num(('differences', 'coverage', i, 'nato_europe_difference'), _fmt_signed_people)}"
            f"{diff.num(('differences', 'coverage', i, 'population_protected_a'), _fmt_people)}"
            f"{diff.num(('differences', 'coverage', i, 'population_protected_b'), _fmt_people)}"
            f"{diff.num(('differences', 'coverage', i, 'difference'), _fmt_signed_people)}</tr>"
            for i, r in enumerate(d["coverage"]))
        parts.append('<div class="table-wrap"><table><thead><tr><th>Threat area</th>'
                     '<th class="num">NATO Europe defended, A</th><th class="num">NATO Europe defended, B</th>'
                     '<th class="num">B &minus; A</th><th class="num">Whole grid protected, A</th>'
                     f'<th class="num">Whole grid protected, B</th><th class="num">B &minus; A</th></tr></thead><tbody>{rows}</tbody></table></div>')
    elif d["coverage"] is None:
        parts.append('<p class="missing">Coverage was not computed for both scenarios.</p>')
    if d["deterrent"]:
        parts.append('<div class="table-wrap"><table><thead><tr><th>Deterrent</th><th class="num">A</th><th class="num">B</th>'
                     '<th class="num">B &minus; A</th></tr></thead><tbody><tr><td>Fraction of cases engageable</td>'
                     f"{diff.num(('differences', 'deterrent', 'fraction_engageable_a'), _fmt_pct)}"
                     f"{diff.num(('differences', 'deterrent', 'fraction_engageable_b'), _fmt_pct)}"
                     f"{diff.num(('differences', 'deterrent', 'difference'), _fmt_signed_pct)}</tr></tbody></table></div>")
    parts.extend(figs.html(f) for f in (difference_figures or []))

    summary_html = ('<div class="columns">'
                    f'<div><h3 class="side">A: {_text(names[0])}</h3>{_paragraphs(assessment_a.description)}'
                    f'<h4>Key findings</h4>{pa.findings()}{pa.headline_table()}</div>'
                    f'<div><h3 class="side">B: {_text(names[1])}</h3>{_paragraphs(assessment_b.description)}'
                    f'<h4>Key findings</h4>{pb.findings()}{pb.headline_table()}</div></div>')
    sections = [("summary", summary_html), ("differences", "".join(parts))]
    sections += [(sid, columns(sid)) for sid in ("coverage", "engagement", "deterrent", "cooperation",
                                                 "assumptions", "provenance")]
    title = f"shieldsim comparison: {names[0]} and {names[1]}"
    meta = f"A: <strong>{_text(names[0])}</strong> &middot; B: <strong>{_text(names[1])}</strong> &middot; shieldsim {_text(__version__)}"
    return _write(out_dir, _document(title, meta, sections), summary)
