"""The results an assessment hands to the report: plain dataclasses in human units.

People, seconds after the threat's launch, km/s, fractions 0-1. The study layer fills them
(`study.assess`, `DeterrentStudy.to_report`) and `report` renders them; they sit below both
so that neither imports the other's layer the wrong way. Fractions are properties (protected /
total, defended / threatened), never stored twice. `report` re-exports every name here.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import __version__



def _fraction(part: float, whole: float) -> float | None:
    if whole is None or part is None or not whole or not math.isfinite(whole):
        return None
    return float(part) / float(whole)


def _fraction_of_threatened(defended: float | None, threatened: float | None) -> float | None:
    """defended / threatened: 0 (not NaN) when nobody is threatened, None when unknown."""
    if threatened is None or defended is None:
        return None
    return float(defended) / float(threatened) if threatened > 0 else 0.0


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
    def now(cls, models: dict, seed: int | None = None, command: str | None = None, **extra) -> Provenance:
        """Provenance of a run starting now: this shieldsim version, the UTC time and (by
        default) the process's command line."""
        if command is None:
            command = " ".join(["shieldsim", *sys.argv[1:]]) if sys.argv else "shieldsim"
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
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
class HomelandSite:
    """One interceptor site under one sensor variant in the homeland question (Iranian ICBMs to
    the United States; `homeland`): ``engageable`` of ``flights``; minimum burnout speed, km/s,
    of the easiest flight (``min_speed_kms``) and of every flight (``min_speed_all_kms``, None
    when some flight cannot be engaged at any speed); best and median margin, s (None = none)."""

    site: str
    variant: str
    flights: int
    engageable: int
    min_speed_kms: float | None = None
    min_speed_all_kms: float | None = None
    margin_best_s: float | None = None
    margin_median_s: float | None = None
    interceptor_speed_kms: float | None = None

    @property
    def fraction_engageable(self) -> float:
        return self.engageable / self.flights if self.flights else 0.0


@dataclass
class HomelandResult:
    """The homeland question of a phase-4 assessment: ``sites`` per variant; ``sea_best``
    {variant: {sea area: {"fraction_engageable", "lat_deg", "lon_deg"}}} of the swept ship
    stations armed with ``sea_interceptor``; ``figures``; ``published``: qualitative comparison
    with published studies (GAO-13-382R); ``notes``."""

    sites: list[HomelandSite]
    sea_best: dict = field(default_factory=dict)
    sea_interceptor: str = ""
    figures: list = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class DeterrentResult:
    """The deterrent matrix. ``fraction_engageable`` per battery is computed from ``pairs``
    when left None. ``speed_figure``: fraction engageable against interceptor speed;
    ``figures``: further plots (e.g. the map of tracks). ``published``: short notes comparing
    with published studies (rendered as a list). ``by_shape``: fraction engageable per battery
    for each flight shape (shown side by side), with ``flights_by_shape`` and ``shape_note``.
    ``homeland``: the homeland question (`HomelandResult`), in phase-4 assessments."""

    pairs: list[DeterrentPair]
    fraction_engageable: dict[str, float] | None = None
    speed_figure: Any = None
    figures: list = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    notes: str = ""
    by_shape: dict[str, dict[str, float]] | None = None  # flight shape -> battery -> fraction engageable
    flights_by_shape: dict[str, int] | None = None  # flight shape -> flights counted
    shape_note: str = ""  # how the shapes are defined
    homeland: HomelandResult | None = None


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
class UncertaintyResult:
    """The "How sure is this?" section: ``ensemble`` (the JSON form of an uncertainty ensemble,
    `ensemble.Ensemble.as_dict`: design, figures with ranges and sources, per headline nominal,
    p05/p50/p95 and sensitivity) and ``figures`` (tornado charts, one per headline that varies)."""

    ensemble: dict
    figures: list = field(default_factory=list)


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
    uncertainty: UncertaintyResult | None = None
