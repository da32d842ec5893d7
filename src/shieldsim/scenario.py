"""Scenario files: a missile-defence architecture described once, in TOML, and validated.

A scenario names the model switches, the sensors and how they share data, the interceptor
batteries, the threat classes and where they are launched from, what is defended, and (for
the sectoral proposal) which side engages in which sector. Keys carry their unit
(``lat_deg``, ``alt_km``, ``speed_kms``, ``range_km``, ``rcs_m2``, ``time_s`` ...); conversion
to SI happens only in the converters at the bottom of this module.

File shape (see ``shieldsim show epaa-2018`` for a complete example)::

    name = "my-architecture"
    title = "One line shown by `shieldsim scenarios`"
    year = 2018                     # optional: the year the architecture stands for (1949-2100);
    year_source = "..."             # NATO Europe = the members of that year (default 2018)
    extends = "epaa-2018"           # optional: start from a built-in (or a path) ...
    remove = ["batteries.deveselu"] # ... and drop entries from it

    [models]                        # earth = "sphere" | "wgs84", rotation, drag
    [radars.NAME]                   # one table per radar
    [launch_detectors.NAME]         # space-based infrared early warning (cue only)
    [networks.NAME]                 # members = [sensor or network names], latency_s
    [interceptors.NAME]             # inline interceptor types (else from the catalogue)
    [batteries.NAME]                # site, interceptor, inventory, doctrine, side, network,
                                    # launch_on / engage_on ("own" | "remote"), own_radars
    [threats.NAME]                  # missile = catalogue name, or an inline definition
    [launch_areas.NAME]             # points = [{name, lat_deg, lon_deg}] or polygon_deg
    [defended]                      # lat/lon box and grid step of the defended region
    [aim_points.NAME]               # lat_deg, lon_deg, group
    [sectors.NAME]                  # countries = [ISO alpha-3] and/or polygon_deg; engaged_by; priority
    [assumptions]                   # written by `assumptions.apply`: the profile applied (a record)

Sources: every object that holds a number has a free-text ``source`` field that covers all
the figures in that object (where published estimates disagree it states the value chosen
and the published spread); a top-level number ``K`` has its source in ``K_source`` (so
``year`` in ``year_source``). Built-in scenarios are tested to have a non-empty source on
every such figure.

``year``: the year the architecture stands for. It selects NATO's membership for the
NATO-Europe population figures (`geography.nato_europe`); a scenario without one uses
`geography.DEFAULT_MEMBERSHIP_YEAR` and outputs say so.

``extends``: the parent (a built-in name, or a path relative to the extending file) is
loaded first, then the child is deep-merged into it: tables merge key by key, recursively;
any other value -- numbers, strings, booleans and **arrays, including arrays of tables such
as ``points`` or ``members``** -- replaces the parent's value as a whole (arrays are never
appended). ``remove`` lists dotted paths (``"section.entry"`` or ``"section.entry.key"``)
deleted after the merge. The loaded `Scenario` is fully resolved: ``extends`` is gone and
``based_on`` records the chain of parents for provenance only (it is not merged again).

Errors: `load` collects every problem (TOML syntax, unknown keys, wrong types, values out
of range, dangling references) and raises one `ScenarioError` whose message lists, per
problem, the field path, the bad value and what is allowed.

Size (an exception to the ~800-line rule): the pydantic schema, loading (``extends``/``remove``)
and the converters to physics objects are still one module; the planned `scenario/` package
(schema, loading, conversion) waits for the branches that add scenario fields to land. Unit
conversion itself is in `units`.
"""

from __future__ import annotations

import math
import re
import tomllib
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError,
                      model_validator)

from . import files
from .units import si

DEFAULT = "epaa-2018"
"""The built-in scenario used when none is named."""

_MAX_EXTENDS = 8

# ---------------------------------------------------------------------------------------------
# field types: strict (no string -> number coercion, no bool -> int), finite, bounded


def _num(lo: float | None = None, hi: float | None = None, *, gt: float | None = None) -> Any:
    return Annotated[float, Strict(), Field(ge=lo, le=hi, gt=gt)]


def _int(lo: int, hi: int) -> Any:
    return Annotated[int, Strict(), Field(ge=lo, le=hi)]


def _no_control_characters(value: str) -> str:
    bad = next((c for c in value if ord(c) < 32 or 127 <= ord(c) < 160), None)
    if bad is not None:
        raise ValueError(f"control character U+{ord(bad):04X} not allowed; allowed: printable text")
    return value


Text = Annotated[str, Strict(), StringConstraints(max_length=4000)]
Label = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=80), AfterValidator(_no_control_characters)]
Name = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=64)]
Side = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=40)]
Bool = Annotated[bool, Strict()]
LatDeg = _num(-90, 90)
LonDeg = _num(-180, 360)
LatLon = tuple[LatDeg, LonDeg]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


# ---------------------------------------------------------------------------------------------
# uncertain figures: a sourced range next to the nominal value

RANGE_SUFFIX = "_range"
"""``<field>_range = [low, high]`` next to a figure gives its range (``uncertainty``)."""

DISTRIBUTIONS = ("uniform", "triangular")
"""Shapes of a range: uniform over [low, high]; triangular with its mode at the nominal value."""


class FigureRange(BaseModel):
    """The range of one uncertain figure: ``low`` and ``high`` (the figure's unit; for a list
    figure such as ``stage_burn_times_s``, one list per end, element by element), ``dist``
    (`DISTRIBUTIONS`) and its public ``source`` (required: who gives the spread, or that it is a
    shieldsim assumption). Written in a file as ``<field>_range = [low, high]``,
    ``<field>_range_source = "..."`` and optionally ``<field>_range_dist = "triangular"``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    low: float | list[float]
    high: float | list[float]
    dist: Literal["uniform", "triangular"] = "uniform"
    source: Annotated[str, StringConstraints(max_length=4000)] = ""

    @model_validator(mode="before")
    @classmethod
    def _ints(cls, data: Any) -> Any:  # a whole number is a fine end of a range
        if isinstance(data, dict):
            data = {k: (float(v) if k in ("low", "high") and isinstance(v, int) and not isinstance(v, bool) else
                        [float(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in v]
                        if k in ("low", "high") and isinstance(v, list) else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> FigureRange:
        problems = []
        if not self.source.strip():
            problems.append("the range needs its public source (<field>_range_source): who gives the spread, "
                            "or that it is a shieldsim assumption")
        lo = self.low if isinstance(self.low, list) else [self.low]
        hi = self.high if isinstance(self.high, list) else [self.high]
        if isinstance(self.low, list) != isinstance(self.high, list) or len(lo) != len(hi):
            problems.append("low and high must both be numbers, or lists of the same length")
        elif any(a > b for a, b in zip(lo, hi)):
            problems.append(f"low {_short(self.low)} is above high {_short(self.high)}; allowed: low <= high")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _range_pairs(data: dict, fields: dict) -> tuple[dict, dict]:
    """Split ``<field>_range`` / ``_range_source`` / ``_range_dist`` keys of a raw table from the
    rest: (rest, {field: raw FigureRange dict}). Keys naming no field are left in ``rest`` (so
    the schema reports them as unknown)."""
    rest, ranges = {}, {}
    for key, value in data.items():
        for tail, part in ((RANGE_SUFFIX + "_source", "source"), (RANGE_SUFFIX + "_dist", "dist"),
                           (RANGE_SUFFIX, None)):
            name = key[: -len(tail)] if key.endswith(tail) else None
            if name and name in fields and name != "ranges":
                if part is None:
                    pair = value if isinstance(value, (list, tuple)) and len(value) == 2 else (value, None)
                    ranges.setdefault(name, {}).update(low=pair[0], high=pair[1])
                else:
                    ranges.setdefault(name, {})[part] = value
                break
        else:
            rest[key] = value
    return rest, ranges


def _numeric(annotation: Any) -> bool:
    """Whether a field holds a number or a list of numbers (the figures a range may be given for)."""
    text = str(annotation)
    return "float" in text and "Literal" not in text


class _Ranged(_Spec):
    """A table whose numeric figures may carry a sourced range (`FigureRange`), written next to
    the figure as ``<field>_range = [low, high]`` with ``<field>_range_source``; kept in
    ``ranges`` (field name -> `FigureRange`), which `dump` writes back as ``[TABLE.ranges.FIELD]``."""

    ranges: dict[str, FigureRange] = {}

    @model_validator(mode="before")
    @classmethod
    def _collect_ranges(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        rest, found = _range_pairs(data, cls.model_fields)
        if not found:
            return data
        merged = dict(rest.get("ranges") or {}) if isinstance(rest.get("ranges"), dict) else {}
        for name, spec in found.items():
            merged[name] = {**(merged.get(name) or {}), **spec}
        rest["ranges"] = merged
        return rest

    @model_validator(mode="after")
    def _ranges_fit(self) -> _Ranged:
        from pydantic import TypeAdapter

        problems = []
        for name, rng in self.ranges.items():
            info = type(self).model_fields.get(name)
            if info is None or name in ("ranges", "source") or not _numeric(info.annotation):
                numeric = [f for f, i in type(self).model_fields.items() if f != "ranges" and _numeric(i.annotation)]
                problems.append(f"{name}{RANGE_SUFFIX}: {name!r} is not a numeric figure of this table; allowed: "
                                + ", ".join(numeric))
                continue
            adapter = TypeAdapter(Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation)
            for end in ("low", "high"):
                try:
                    adapter.validate_python(getattr(rng, end))
                except ValidationError as err:
                    problems.append(f"{name}{RANGE_SUFFIX} {end} = {_short(getattr(rng, end))}: "
                                    f"{err.errors()[0]['msg']}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _polygon_area_deg2(vertices) -> float:
    """Shoelace area of [lat, lon] vertices in square degrees (0 for a degenerate polygon)."""
    n = len(vertices)
    twice = sum(vertices[i][1] * vertices[(i + 1) % n][0] - vertices[(i + 1) % n][1] * vertices[i][0]
                for i in range(n))
    return abs(twice) / 2.0


class ModelsSpec(_Spec):
    """Model switches: ``earth`` sphere|wgs84, ``rotation`` (rotating Earth), ``drag``."""

    earth: Literal["sphere", "wgs84"] = "wgs84"
    rotation: Bool = True
    drag: Bool = False


class RadarSpec(_Ranged):
    """A radar. ``platform = "ship"`` puts it at sea level (``site_elevation_m`` must be 0);
    the antenna sits ``antenna_height_m`` above the site. ``field = "fixed"`` faces look
    along ``boresight_deg`` (clockwise from north) +/- ``half_width_deg``; ``"full"`` sees
    all azimuths. Detection range scales with (rcs / reference_rcs_m2)^(1/4) from
    ``reference_range_km``, capped by ``max_range_km``. ``refraction``: ``"atmosphere"`` (rays
    bent only inside the exponential reference atmosphere), ``"4/3-earth"`` (effective Earth of
    ``refraction_k`` along the whole path) or ``"none"`` (see `sensors`)."""

    platform: Literal["land", "ship"] = "land"
    lat_deg: LatDeg
    lon_deg: LonDeg
    site_elevation_m: _num(-500, 9000) = 0.0
    antenna_height_m: _num(0, 1000) = 0.0
    field: Literal["fixed", "full"]
    boresight_deg: _num(-360, 360) | None = None
    half_width_deg: _num(hi=180, gt=0) | None = None
    min_elevation_deg: _num(-5, 90) = 0.0
    max_elevation_deg: _num(0, 90) = 90.0
    max_range_km: _num(hi=50_000, gt=0)
    reference_range_km: _num(hi=50_000, gt=0)
    reference_rcs_m2: _num(hi=1e4, gt=0)
    revisit_s: _num(hi=3600, gt=0)
    hits_for_track: _int(1, 1000)
    fire_control: Bool
    refraction: Literal["atmosphere", "4/3-earth", "none"] = "atmosphere"
    refraction_k: _num(0.5, 10) = 4.0 / 3.0
    side: Side = "NATO"
    source: Text = ""

    @model_validator(mode="after")
    def _consistent(self) -> RadarSpec:
        problems = []
        if self.field == "fixed" and (self.boresight_deg is None or self.half_width_deg is None):
            problems.append("a fixed face needs boresight_deg and half_width_deg")
        if self.field == "full" and (self.boresight_deg is not None or self.half_width_deg is not None):
            problems.append("boresight_deg and half_width_deg are only for field = 'fixed'")
        if self.min_elevation_deg >= self.max_elevation_deg:
            problems.append("min_elevation_deg must be below max_elevation_deg")
        if self.platform == "ship" and self.site_elevation_m != 0.0:
            problems.append("a ship-based radar is at sea level: site_elevation_m must be 0")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class LaunchDetectorSpec(_Ranged):
    """Space-based infrared launch detection: sees the boost above ``min_altitude_km``
    (cloud tops) after ``latency_s``; gives a cue, never a fire-control track."""

    min_altitude_km: _num(0, 200)
    latency_s: _num(0, 600)
    side: Side = "NATO"
    source: Text = ""


class NetworkSpec(_Ranged):
    """Sensors whose tracks are shared with ``latency_s``. ``members`` name radars, launch
    detectors or other networks (expanded to their sensors; this network's latency applies).
    ``home`` (a subset of the members, networks expanded) names the sensors of the weapon
    system that uses the fused track: they reach its fire-control node without the latency."""

    members: Annotated[list[Name], Field(min_length=1, max_length=200)]
    home: Annotated[list[Name], Field(max_length=200)] = []
    latency_s: _num(0, 3600)
    side: Side = "NATO"
    source: Text = ""


class InterceptorSpec(_Ranged):
    """An interceptor type defined inline (use it when it is not in the catalogue). ``label`` is
    an optional display name (default: the table's name)."""

    burn_time_s: _num(hi=1000, gt=0)
    burnout_speed_kms: _num(hi=11, gt=0)
    burnout_alt_km: _num(0, 1000)
    min_intercept_alt_km: _num(0, 5000)
    max_intercept_alt_km: _num(hi=5000, gt=0)
    max_range_km: _num(hi=20_000, gt=0)
    launch_delay_s: _num(0, 3600)
    sspk: _num(0, 1)
    notional: Bool = False
    label: Annotated[str, Strict(), StringConstraints(max_length=80)] = ""
    source: Text = ""

    @model_validator(mode="after")
    def _band(self) -> InterceptorSpec:
        if self.min_intercept_alt_km >= self.max_intercept_alt_km:
            raise ValueError("min_intercept_alt_km must be below max_intercept_alt_km")
        return self


class BatterySpec(_Spec):
    """An interceptor battery (a land site or a ship). ``interceptor`` names an inline
    ``[interceptors.*]`` entry or a catalogue type; ``network`` names the sensor network
    whose fire-control tracks it fires on.

    ``launch_on`` -- what track it may launch on: ``"own"`` only a track of its own
    fire-control radars (``own_radars``; the network's other sensors may still cue them),
    ``"remote"`` any fire-control-quality track of its network (reports of non-home sensors
    after the network latency). ``engage_on`` -- whose track may guide the interceptor:
    ``"own"`` the intercept must happen while one of its own fire-control radars holds a track
    of the threat (from that radar's track time to the end of the detection interval it is
    in), ``"remote"`` any fire-control track of the network. ``own_radars`` names its own
    radars (radars of its network, e.g. a ship's SPY-1); default: the home sensors of its
    network. Defaults ``"remote"``/``"remote"`` keep the behaviour of files written before
    these keys existed; state the posture and its source explicitly."""

    platform: Literal["land", "ship"] = "land"
    lat_deg: LatDeg
    lon_deg: LonDeg
    interceptor: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=64)]
    inventory: _int(0, 100_000)
    doctrine: Literal["one-shot", "salvo", "shoot-look-shoot"] = "shoot-look-shoot"
    salvo_size: _int(1, 16) = 2
    side: Side = "NATO"
    network: Name
    launch_on: Literal["own", "remote"] = "remote"
    engage_on: Literal["own", "remote"] = "remote"
    own_radars: Annotated[list[Name], Field(min_length=1, max_length=200)] | None = None
    source: Text = ""


_MISSILE_INLINE = ("stage_burn_times_s", "burnout_speed_kms", "beta_kgm2", "rcs_m2", "published_range_km")


class ThreatSpec(_Ranged):
    """A threat class: ``missile`` names a catalogue class (optionally overriding the
    re-entry vehicle's ``rcs_m2`` and ``beta_kgm2``, and -- for uncertainty ensembles -- the
    boost's ``burnout_speed_kms`` and ``stage_burn_times_s``, one per catalogue stage), or the
    class is defined inline with all of stage_burn_times_s, burnout_speed_kms, beta_kgm2,
    rcs_m2, published_range_km."""

    missile: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=64)] | None = None
    stage_burn_times_s: Annotated[list[_num(hi=1000, gt=0)], Field(min_length=1, max_length=4)] | None = None
    stage_speed_fractions: Annotated[list[_num(hi=1, gt=0)], Field(min_length=1, max_length=4)] | None = None
    burnout_speed_kms: _num(hi=8, gt=0) | None = None
    beta_kgm2: _num(hi=1e6, gt=0) | None = None
    rcs_m2: _num(hi=1e4, gt=0) | None = None
    published_range_km: _num(hi=20_000, gt=0) | None = None
    trajectory: Literal["minimum-energy", "lofted", "depressed"] = "minimum-energy"
    apogee_km: _num(hi=5000, gt=0) | None = None
    notional: Bool = False
    source: Text = ""

    @model_validator(mode="after")
    def _complete(self) -> ThreatSpec:
        if self.missile is not None:
            extra = [k for k in ("stage_speed_fractions", "published_range_km") if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"with missile = {self.missile!r} only rcs_m2, beta_kgm2, burnout_speed_kms and "
                                 f"stage_burn_times_s may be overridden, not {', '.join(extra)}")
        else:
            missing = [k for k in _MISSILE_INLINE if getattr(self, k) is None]
            if missing:
                raise ValueError("give missile = <catalogue class> or define the class inline; "
                                 f"missing {', '.join(missing)}")
            fr = self.stage_speed_fractions
            if fr is not None and len(fr) != len(self.stage_burn_times_s or []):
                raise ValueError("stage_speed_fractions needs one value per stage in stage_burn_times_s")
        if self.trajectory == "minimum-energy" and self.apogee_km is not None:
            raise ValueError("apogee_km is only for trajectory = 'lofted' or 'depressed'")
        if self.trajectory != "minimum-energy" and self.apogee_km is None:
            raise ValueError(f"trajectory = {self.trajectory!r} needs apogee_km")
        return self


class PointSpec(_Spec):
    name: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=80)]
    lat_deg: LatDeg
    lon_deg: LonDeg


class LaunchAreaSpec(_Spec):
    """Where threats are launched from: ``points`` (each ``{name, lat_deg, lon_deg}``,
    sampling "points") or ``polygon_deg`` ([lat_deg, lon_deg] vertices) sampled at its
    "vertices", its "centroid", on a "grid" of ``spacing_km`` or at ``count`` "random"
    points drawn with ``seed``. ``threats`` names the threat classes launched from here."""

    points: Annotated[list[PointSpec], Field(min_length=1, max_length=10_000)] | None = None
    polygon_deg: Annotated[list[LatLon], Field(min_length=3, max_length=10_000)] | None = None
    sampling: Literal["points", "vertices", "centroid", "grid", "random"] = "points"
    spacing_km: _num(1, 5000) | None = None
    count: _int(1, 1_000_000) | None = None
    seed: _int(0, 2**63 - 1) = 0
    threats: Annotated[list[Name], Field(min_length=1, max_length=100)]
    owner: Side = "Iran"
    source: Text = ""

    @model_validator(mode="after")
    def _rule(self) -> LaunchAreaSpec:
        if (self.points is None) == (self.polygon_deg is None):
            raise ValueError("give exactly one of points or polygon_deg")
        if self.points is not None and self.sampling != "points":
            raise ValueError("points are used as given: sampling must be 'points'")
        if self.polygon_deg is not None:
            if _polygon_area_deg2(self.polygon_deg) < 1e-6:
                raise ValueError("polygon_deg encloses no area; allowed: at least 3 [lat_deg, lon_deg] "
                                 "vertices that are not all on one line")
            if self.sampling == "points":
                raise ValueError("a polygon needs sampling = 'vertices', 'centroid', 'grid' or 'random'")
            if self.sampling == "grid" and self.spacing_km is None:
                raise ValueError("sampling = 'grid' needs spacing_km")
            if self.sampling == "grid":
                lats = [v[0] for v in self.polygon_deg]
                lons = [v[1] for v in self.polygon_deg]
                cells = ((max(lats) - min(lats)) * 111.195 / self.spacing_km + 1) * \
                        ((max(lons) - min(lons)) * 111.195 / self.spacing_km + 1)
                if cells > 1e6:
                    raise ValueError(f"a grid of ~{cells:.2g} points is too fine; allowed: at most 1e6 points "
                                     "(raise spacing_km)")
            if self.sampling == "random" and self.count is None:
                raise ValueError("sampling = 'random' needs count")
        if self.spacing_km is not None and self.sampling != "grid":
            raise ValueError("spacing_km is only for sampling = 'grid'")
        if self.count is not None and self.sampling != "random":
            raise ValueError("count is only for sampling = 'random'")
        return self


class DefendedSpec(_Spec):
    """The defended region: a latitude/longitude box covered by a grid of ``grid_deg``."""

    lat_min_deg: LatDeg = 34.0
    lat_max_deg: LatDeg = 72.0
    lon_min_deg: _num(-180, 180) = -25.0
    lon_max_deg: _num(-180, 360) = 45.0
    grid_deg: _num(hi=10, gt=0.01) = 0.5
    source: Text = ("shieldsim default: geographic Europe from the Canaries/Iceland to the Urals' "
                    "foothills and Caucasus, roughly 34-72 N, 25 W-45 E, 0.5 degree grid")

    @model_validator(mode="after")
    def _box(self) -> DefendedSpec:
        if self.lat_min_deg >= self.lat_max_deg or self.lon_min_deg >= self.lon_max_deg:
            raise ValueError("need lat_min_deg < lat_max_deg and lon_min_deg < lon_max_deg")
        if self.lon_max_deg - self.lon_min_deg > 360:
            raise ValueError("the box spans more than 360 degrees of longitude")
        cells = ((self.lat_max_deg - self.lat_min_deg) / self.grid_deg + 1) * \
                ((self.lon_max_deg - self.lon_min_deg) / self.grid_deg + 1)
        if cells > 5e6:
            raise ValueError(f"grid of {cells:.3g} points is too fine; allowed: at most 5e6 points")
        return self


class AimPointSpec(_Spec):
    lat_deg: LatDeg
    lon_deg: LonDeg
    group: Annotated[str, Strict(), StringConstraints(max_length=80)] = ""
    source: Text = ""


class SectorSpec(_Spec):
    """A sector of responsibility: only batteries of side ``engaged_by`` engage a threat whose
    intercept point lies in it.

    Extent: ``countries`` (ISO 3166-1 alpha-3 codes: their land territory as drawn by Natural
    Earth), or ``polygon_deg`` ([lat_deg, lon_deg] vertices: land and sea inside), or both: then
    the sector is the part of those countries inside the polygon (e.g. Norway north of 62 N).

    Precedence: every point belongs to at most one sector. Sectors are tried in decreasing
    ``priority`` (an integer, default 0) and, at equal priority, in file order -- after
    ``extends``, the parent's sectors in its order, then the child's new ones; the first that
    contains the point wins. So a sector carved out of a country another sector lists whole
    needs a higher ``priority`` than that sector. Several sectors may share one ``engaged_by``.
    A point in no sector (open sea, a country no sector lists) is nobody's: there any side may
    engage (`study.responsible`)."""

    engaged_by: Side
    countries: Annotated[list[Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]{3}$")]],
                         Field(min_length=1, max_length=300)] | None = None
    polygon_deg: Annotated[list[LatLon], Field(min_length=3, max_length=10_000)] | None = None
    priority: _int(-1000, 1000) = 0
    source: Text = ""

    @model_validator(mode="after")
    def _extent(self) -> SectorSpec:
        if self.countries is None and self.polygon_deg is None:
            raise ValueError("give countries, polygon_deg or both (the countries' part inside the polygon)")
        if self.polygon_deg is not None and _polygon_area_deg2(self.polygon_deg) < 1e-6:
            raise ValueError("polygon_deg encloses no area; allowed: at least 3 [lat_deg, lon_deg] "
                             "vertices that are not all on one line")
        return self


class ChangeSpec(_Spec):
    """One figure an assumption profile changed: the concrete ``target`` path (e.g.
    ``radars.kurecik-tpy2.reference_range_km``), the value before (``old``) and after (``new``)."""

    target: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=300)]
    old: Any = None
    new: Any = None


class AppliedOverrideSpec(_Spec):
    """One override of an assumption profile as applied to this scenario: its ``path`` (entry
    names may be globs), the ``value`` set or the ``factor`` applied, its ``source``, and the
    ``changes`` it made here (empty when it matched nothing in this scenario)."""

    path: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=300)]
    value: Any = None
    factor: Any = None
    source: Text = ""
    changes: list[ChangeSpec] = []


class AssumptionsSpec(_Spec):
    """The record of the assumption profile applied to a scenario (`assumptions.apply`):
    provenance only, never applied again by loading."""

    profile: Name
    title: Text = ""
    origin: Text = ""
    overrides: list[AppliedOverrideSpec] = []


class EngagementSpec(_Ranged):
    """Engagement-wide figures: ``kill_assessment_s``, seconds from an intercept until the next
    shoot-look-shoot launch may be decided (default `engagement.DEFAULT_KILL_ASSESSMENT`, 30 s)."""

    kill_assessment_s: _num(0, 3600) = 30.0
    source: Text = ("shieldsim default (engagement.DEFAULT_KILL_ASSESSMENT): a kill assessment of order "
                    "half a minute; no public figure")


class Scenario(_Spec):
    """A validated, fully resolved scenario (human units; see the module docstring).
    ``assumptions`` records the assumption profile applied on top of it, if any."""

    name: Label
    title: Text = ""
    description: Text = ""
    year: _int(1949, 2100) | None = None
    year_source: Text | None = None
    based_on: list[Annotated[str, Strict(), StringConstraints(max_length=4000)]] = []
    models: ModelsSpec = ModelsSpec()
    radars: dict[Name, RadarSpec] = {}
    launch_detectors: dict[Name, LaunchDetectorSpec] = {}
    networks: dict[Name, NetworkSpec] = {}
    interceptors: dict[Name, InterceptorSpec] = {}
    batteries: dict[Name, BatterySpec] = {}
    threats: dict[Name, ThreatSpec] = {}
    launch_areas: dict[Name, LaunchAreaSpec] = {}
    defended: DefendedSpec = DefendedSpec()
    aim_points: dict[Name, AimPointSpec] = {}
    sectors: dict[Name, SectorSpec] = {}
    engagement: EngagementSpec = EngagementSpec()
    assumptions: AssumptionsSpec | None = None


# ---------------------------------------------------------------------------------------------
# errors


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


# ---------------------------------------------------------------------------------------------
# loading


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with shieldsim, sorted."""
    folder = resources.files("shieldsim") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    """The TOML text of a built-in scenario as shipped (it may use ``extends``)."""
    if name not in builtin_names():
        raise ScenarioError([Issue("scenario", name, f"not a built-in; allowed: {', '.join(builtin_names())}")])
    return (resources.files("shieldsim") / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")


def load(name_or_path: str | Path = DEFAULT) -> Scenario:
    """Load, resolve (``extends``/``remove``) and validate a scenario.

    Args:
        name_or_path: a built-in name (see `builtin_names`) or a path to a TOML file.
    Returns:
        The validated `Scenario`.
    Raises:
        ScenarioError: listing every problem found (never another exception for bad input).
    """
    try:
        raw, origin = _resolve(name_or_path, chain=())
    except RecursionError:
        raise ScenarioError([Issue("scenario", _NOTHING, "nested too deeply to be a scenario")], str(name_or_path)) from None
    return _validate(raw, origin)


def loads(text: str | bytes, origin: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario given as TOML text (or bytes, decoded as UTF-8)."""
    data = _parse(text, origin)
    try:
        raw = _apply_extends(data, origin, base_dir or Path.cwd(), chain=(origin,))
    except RecursionError:
        raise ScenarioError([Issue("scenario", _NOTHING, "nested too deeply to be a scenario")], origin) from None
    return _validate(raw, origin)


def dump(scenario: Scenario) -> str:
    """The scenario as TOML text; ``load``/``loads`` of it gives an equal `Scenario`."""
    import tomli_w

    data = scenario.model_dump(mode="python", exclude_none=True)
    # multi-line strings read best, but TOML folds a carriage return inside them into the newline
    return tomli_w.dumps(_drop_empty(data), multiline_strings=not _has_carriage_return(data))


def _has_carriage_return(node: Any) -> bool:
    if isinstance(node, str):
        return "\r" in node
    if isinstance(node, dict):
        return any(_has_carriage_return(v) for v in node.values())
    if isinstance(node, (list, tuple)):
        return any(_has_carriage_return(v) for v in node)
    return False


def _drop_empty(data: dict) -> dict:
    return {k: v for k, v in data.items() if not (isinstance(v, (dict, list)) and len(v) == 0)}


def _is_builtin_name(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", value) is not None and value in builtin_names()


def _resolve(name_or_path: str | Path, chain: tuple[str, ...], base_dir: Path | None = None,
             field: str = "scenario") -> tuple[dict, str]:
    key = str(name_or_path)
    if isinstance(name_or_path, str) and _is_builtin_name(name_or_path):
        origin = name_or_path
        text: str | bytes = builtin_text(name_or_path)
        here = None
    else:
        path = Path(name_or_path)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        origin = str(path)
        try:  # the checks every input file gets: a regular file, at most files.MAX_INPUT_BYTES
            text = files.read_bytes(path)
        except files.InputFileError as err:
            allowed = "allowed: a TOML file or a built-in name (" + ", ".join(builtin_names()) + ")"
            if err.kind == "missing" or not files.exists(path):
                what = f"no such file and not a built-in scenario; {allowed}"
            elif err.kind in ("type", "size"):
                what = f"{err.reason.split(';')[0]}; {allowed}"
            else:
                what = f"cannot read the file: {err.reason}"
            raise ScenarioError([Issue(field, key, what)], chain[0] if chain else origin) from None
        here = path.parent
    if origin in chain:
        raise ScenarioError([Issue("extends", key, "circular extends: " + " -> ".join(chain + (origin,)))], chain[0])
    data = _parse(text, origin)
    if not data and here is not None:
        raise ScenarioError([Issue("file", _NOTHING, "empty: no keys or tables; allowed: a scenario TOML file, e.g. "
                                   "extends = \"epaa-2018\" and the tables that change it (see `shieldsim show`)")],
                            chain[0] if chain else origin)
    if "name" not in data and here is not None:
        data["name"] = Path(origin).stem
    return _apply_extends(data, origin, here or Path.cwd(), chain + (origin,)), origin


def _parse(text: str | bytes, origin: str) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ScenarioError([Issue("file", _NOTHING, f"not UTF-8 text: byte {err.object[err.start]:#04x} at "
                                       f"offset {err.start}; allowed: a UTF-8 encoded TOML file")], origin) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError([Issue("file", _NOTHING, f"not valid TOML ({err}); a truncated or "
                                   "hand-edited file often ends mid-table or mid-string")], origin) from None
    except (ValueError, RecursionError, OverflowError) as err:
        raise ScenarioError([Issue("file", _NOTHING, f"not valid TOML ({type(err).__name__}: {err})")], origin) from None


def _apply_extends(data: dict, origin: str, base_dir: Path, chain: tuple[str, ...]) -> dict:
    data = dict(data)
    parent_ref = data.pop("extends", None)
    remove = data.pop("remove", None)
    issues: list[Issue] = []
    if remove is not None and not (isinstance(remove, list) and all(isinstance(r, str) for r in remove)):
        issues.append(Issue("remove", remove, 'a list of dotted paths, e.g. ["batteries.deveselu"]'))
        remove = None
    if parent_ref is None:
        if remove:
            issues.append(Issue("remove", remove, "only allowed together with extends"))
        if issues:
            raise ScenarioError(issues, origin)
        return data
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError([Issue("extends", parent_ref, "allowed: a built-in scenario name or a path to a TOML file; "
                                   "built-ins: " + ", ".join(builtin_names()))], origin)
    if len(chain) > _MAX_EXTENDS:
        raise ScenarioError([Issue("extends", parent_ref, f"at most {_MAX_EXTENDS} levels of extends")], chain[0])
    parent, parent_origin = _resolve(parent_ref, chain, base_dir, field="extends")
    merged = _deep_merge(parent, data)
    merged["based_on"] = [parent_origin] + list(parent.get("based_on", []) if isinstance(parent.get("based_on"), list) else [])
    for path in remove or []:
        parts = path.split(".")
        node: Any = merged
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not parts[0] or not isinstance(node, dict) or parts[-1] not in node:
            issues.append(Issue("remove", path, "a dotted path present after the merge, e.g. 'batteries.deveselu'"))
        else:
            del node[parts[-1]]
    if issues:
        raise ScenarioError(issues, origin)
    return merged


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate(data: dict, origin: str = "scenario") -> Scenario:
    """Validate resolved scenario data (a dict as `Scenario.model_dump` gives, no ``extends``):
    schema and cross-references. Raises `ScenarioError` listing every problem."""
    return _validate(data, origin)


def _validate(raw: dict, origin: str) -> Scenario:
    issues: list[Issue] = []
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as err:
        issues = [_issue_from(e) for e in err.errors()]
        raise ScenarioError(issues, origin) from None
    except (RecursionError, OverflowError, TypeError) as err:  # defensive: exotic input
        raise ScenarioError([Issue("scenario", _NOTHING, f"cannot be validated: {type(err).__name__}")], origin) from None
    issues = check_references(sc)
    if issues:
        raise ScenarioError(issues, origin)
    return sc


def _issue_from(err: dict) -> Issue:
    loc = err.get("loc", ())
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[") or "scenario"
    kind = err.get("type", "")
    msg = err.get("msg", "")
    value = err.get("input", _NOTHING)
    if kind == "extra_forbidden":
        import difflib

        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if allowed else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return Issue(path, value, f"unknown key{hint}" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else ""))
    if kind == "missing":
        return Issue(path, _NOTHING, "required key is missing")
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        # model-level checks point at the object; show its keys, not the whole table
        if isinstance(value, dict):
            value = _NOTHING
    elif kind in ("float_type", "int_type", "bool_type", "string_type"):
        msg = {"float_type": "a number", "int_type": "a whole number (no decimal point)",
               "bool_type": "true or false", "string_type": "a string"}[kind]
        msg = "wrong type; allowed: " + msg
    elif kind == "finite_number":
        msg = "allowed: a finite number (no nan or inf)"
    elif kind.startswith(("greater", "less")):
        msg = "out of range; " + msg[0].lower() + msg[1:]
    return Issue(path, value, msg)


def _allowed_keys(loc: tuple) -> list[str]:
    """Keys a table at ``loc`` may hold, found by walking the Scenario model."""
    model: Any = Scenario
    i = 0
    while i < len(loc):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return []
        model = _inner_model(field.annotation)
        i += 1
        if model is None:
            return []
        if isinstance(model, tuple):  # container: skip the key or index
            model = model[0]
            i += 1
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields) + (["extends", "remove"] if model is Scenario else [])
    return []


def _inner_model(annotation: Any) -> Any:
    """The pydantic model an annotation holds; wrapped in a 1-tuple when in a dict or list."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin in (dict, list):
        inner = _inner_model(args[-1])
        return (inner,) if inner is not None and not isinstance(inner, tuple) else None
    if origin is Annotated:
        return _inner_model(args[0])
    if args:  # Optional / Union
        for a in args:
            found = _inner_model(a)
            if found is not None:
                return found
    return None


def _norm(name: str) -> str:
    """Catalogue names compare without case, punctuation or the word 'block'."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("block", ""))


def _catalogue_names(module: str) -> list[str] | None:
    """Names in a physics catalogue, or None when that catalogue cannot be loaded yet."""
    import importlib

    try:
        return list(importlib.import_module(f"shieldsim.{module}").catalogue())
    except Exception:  # the catalogue module is optional for validation
        return None


def check_references(sc: Scenario) -> list[Issue]:
    """Cross-references: network members, battery networks and interceptors, launch-area
    threats, catalogue names, sector sides. Returns the problems found (empty if none)."""
    issues: list[Issue] = []
    sensors = set(sc.radars) | set(sc.launch_detectors)
    clash = set(sc.radars) & set(sc.launch_detectors) | (sensors & set(sc.networks))
    for name in sorted(clash):
        issues.append(Issue(f"networks.{name}", name, "a name used by more than one sensor or network; allowed: unique names"))
    for net, spec in sc.networks.items():
        for k, member in enumerate(spec.members):
            if member not in sensors and member not in sc.networks:
                issues.append(Issue(f"networks.{net}.members[{k}]", member,
                                    "not a radar, launch detector or network of this scenario; allowed: "
                                    + (", ".join(sorted(sensors | set(sc.networks))) or "(none defined)")))
    for net, spec in sc.networks.items():
        try:
            expanded = _expand(sc, net, ())
        except ValueError as err:
            issues.append(Issue(f"networks.{net}.members", _NOTHING, str(err)))
            continue
        for k, h in enumerate(spec.home):
            try:
                inside = all(x in expanded for x in (_expand(sc, h, (net,)) if h in sc.networks else [h]))
            except ValueError:
                inside = False
            if not inside:
                issues.append(Issue(f"networks.{net}.home[{k}]", h,
                                    "must be one of this network's sensors or member networks; allowed: "
                                    + ", ".join(list(spec.members) + [x for x in expanded if x not in spec.members])))
    interceptor_names = _catalogue_names("interceptor")
    missile_names = _catalogue_names("missile")
    for name, b in sc.batteries.items():
        if b.network not in sc.networks:
            issues.append(Issue(f"batteries.{name}.network", b.network,
                                "not a network of this scenario; allowed: " + (", ".join(sc.networks) or "(none defined)")))
        if b.own_radars is not None and b.network in sc.networks:
            try:
                members = _expand(sc, b.network, ())
            except ValueError:
                members = None
            for k, r in enumerate(b.own_radars):
                if r not in sc.radars or (members is not None and r not in members):
                    issues.append(Issue(f"batteries.{name}.own_radars[{k}]", r,
                                        f"not a radar of network {b.network!r}; allowed: "
                                        + (", ".join(x for x in (members or []) if x in sc.radars) or "(none)")))
        if b.interceptor not in sc.interceptors and interceptor_names is not None and \
                _norm(b.interceptor) not in {_norm(n) for n in interceptor_names}:
            issues.append(Issue(f"batteries.{name}.interceptor", b.interceptor,
                                "not an inline [interceptors.*] entry nor in the interceptor catalogue; allowed: "
                                + ", ".join(list(sc.interceptors) + interceptor_names)))
    for name, t in sc.threats.items():
        if t.missile is not None and missile_names is not None and \
                _norm(t.missile) not in {_norm(n) for n in missile_names}:
            issues.append(Issue(f"threats.{name}.missile", t.missile,
                                "not in the missile catalogue; allowed: " + ", ".join(missile_names)))
    for name, area in sc.launch_areas.items():
        for k, threat in enumerate(area.threats):
            if threat not in sc.threats:
                issues.append(Issue(f"launch_areas.{name}.threats[{k}]", threat,
                                    "not a threat class of this scenario; allowed: " + (", ".join(sc.threats) or "(none defined)")))
    sides = {b.side for b in sc.batteries.values()}
    for name, sector in sc.sectors.items():
        if sector.engaged_by not in sides:
            issues.append(Issue(f"sectors.{name}.engaged_by", sector.engaged_by,
                                "no battery of this side; allowed: " + (", ".join(sorted(sides)) or "(no batteries)")))
    return issues


def _expand(sc: Scenario, net: str, chain: tuple[str, ...]) -> list[str]:
    """Sensor names of a network, with member networks expanded (order kept, no repeats)."""
    if net in chain:
        raise ValueError("networks contain each other: " + " -> ".join(chain + (net,)))
    out: list[str] = []
    for member in sc.networks[net].members:
        names = _expand(sc, member, chain + (net,)) if member in sc.networks else [member]
        out.extend(n for n in names if n not in out)
    return out


def unsourced_tables(sc: Scenario) -> list[str]:
    """Paths of the tables that hold numeric figures but have no (or an empty) ``source``."""
    import tomllib

    out: list[str] = []
    for path, _, source in sourced_figures(tomllib.loads(dump(sc))):
        if not source.strip():
            table = re.sub(r"(\[\d+\])+$", "", path).rsplit(".", 1)[0]
            if table not in out:
                out.append(table)
    return out


def sourced_figures(data: Any, path: str = "") -> list[tuple[str, float, str]]:
    """Every numeric figure in raw scenario data with the ``source`` that covers it: its own
    ``<key>_source`` string when there is one (e.g. ``year_source``), else the nearest enclosing
    table's ``source`` key ("" when there is none)."""
    found: list[tuple[str, float, str]] = []

    def walk(node: Any, where: str, source: str) -> None:
        if isinstance(node, dict):
            here = node.get("source", source) if isinstance(node.get("source", source), str) else source
            for k, v in node.items():
                own = node.get(f"{k}_source")
                walk(v, f"{where}.{k}" if where else str(k), own if isinstance(own, str) else here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]", source)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append((where, node, source))

    walk(data, path, "")
    return found


# ---------------------------------------------------------------------------------------------
# converters to the physics types (SI units); physics modules are imported lazily


class Points(NamedTuple):
    """Named points: ``names`` (list of str), ``lat``, ``lon`` (radians, (N,) arrays)."""

    names: list
    lat: Any
    lon: Any


def models(sc: Scenario):
    """`trajectory.Models` of the scenario's model switches."""
    from .earth import earth_model
    from .trajectory import Models

    return Models(earth_model(sc.models.earth), sc.models.rotation, sc.models.drag)


def refraction_record(sc: Scenario) -> dict[str, str]:
    """Radar name -> refraction model used (``"4/3-earth (k=1.333)"`` with its factor), for the
    model record of every output that involves radars."""
    return {name: f"4/3-earth (k={r.refraction_k:.4g})" if r.refraction == "4/3-earth" else r.refraction
            for name, r in sc.radars.items()}


def refraction_summary(sc: Scenario) -> str:
    """`refraction_record` in one line: the model when every radar uses the same one, else
    ``name=model`` pairs; ``"no radars"`` without radars."""
    record = refraction_record(sc)
    if not record:
        return "no radars"
    models = set(record.values())
    return models.pop() if len(models) == 1 else ", ".join(f"{k}={v}" for k, v in record.items())


def radar_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments (SI) of `sensors.Radar` for each radar, in file order (the site
    elevation goes to ``site_altitude``, the mast height to ``antenna_height``)."""
    out = []
    for name, r in sc.radars.items():
        fixed = r.field == "fixed"
        out.append(dict(
            name=name, lat=si(r, "lat_deg"), lon=si(r, "lon_deg"),
            antenna_height=r.antenna_height_m, platform=r.platform, site_altitude=r.site_elevation_m,
            field=r.field,
            boresight=si(r, "boresight_deg") if fixed else 0.0,
            half_width=si(r, "half_width_deg") if fixed else math.pi,
            min_elevation=si(r, "min_elevation_deg"), max_elevation=si(r, "max_elevation_deg"),
            max_range=si(r, "max_range_km"), reference_range=si(r, "reference_range_km"),
            reference_rcs=r.reference_rcs_m2, revisit=r.revisit_s, hits_for_track=r.hits_for_track,
            fire_control=r.fire_control, refraction=r.refraction, refraction_k=r.refraction_k,
            source=r.source,
        ))
    return out


def launch_detector_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments (SI) of `sensors.LaunchDetector` for each launch detector."""
    return [dict(name=name, min_altitude=si(d, "min_altitude_km"), latency=d.latency_s, source=d.source)
            for name, d in sc.launch_detectors.items()]


def radars(sc: Scenario) -> list:
    """`sensors.Radar` objects, in file order."""
    from .sensors import Radar

    return [Radar(**kw) for kw in radar_kwargs(sc)]


def launch_detectors(sc: Scenario) -> list:
    """`sensors.LaunchDetector` objects, in file order."""
    from .sensors import LaunchDetector

    return [LaunchDetector(**kw) for kw in launch_detector_kwargs(sc)]


def network_members(sc: Scenario) -> dict[str, list[str]]:
    """Sensor names of each network, member networks expanded."""
    return {net: _expand(sc, net, ()) for net in sc.networks}


def networks(sc: Scenario) -> list:
    """`sensors.Network` objects (sensors as objects, member networks expanded; the
    network's own ``latency_s`` applies to all its sensors)."""
    from .sensors import Network

    by_name = {s.name: s for s in radars(sc) + launch_detectors(sc)}
    return [Network(name=net, sensors=[by_name[m] for m in members], latency=sc.networks[net].latency_s,
                    home=tuple(network_home(sc)[net]))
            for net, members in network_members(sc).items()]


def network_home(sc: Scenario) -> dict[str, list[str]]:
    """Home sensor names of each network (member networks in ``home`` expanded)."""
    out = {}
    for net, spec in sc.networks.items():
        names: list[str] = []
        for h in spec.home:
            for x in (_expand(sc, h, ()) if h in sc.networks else [h]):
                if x not in names:
                    names.append(x)
        out[net] = names
    return out


_INTERCEPTOR_FIELDS = {"burn_time": "burn_time_s", "burnout_speed": "burnout_speed_kms",
                       "burnout_altitude": "burnout_alt_km", "min_intercept_alt": "min_intercept_alt_km",
                       "max_intercept_alt": "max_intercept_alt_km", "max_range": "max_range_km",
                       "launch_delay": "launch_delay_s", "sspk": "sspk"}


def interceptor_kwargs(name: str, spec: InterceptorSpec) -> dict:
    """Keyword arguments (SI) of `interceptor.Interceptor` for an inline interceptor."""
    return dict(
        name=spec.label or name, burn_time=spec.burn_time_s, burnout_speed=si(spec, "burnout_speed_kms"),
        burnout_altitude=si(spec, "burnout_alt_km"), min_intercept_alt=si(spec, "min_intercept_alt_km"),
        max_intercept_alt=si(spec, "max_intercept_alt_km"), max_range=si(spec, "max_range_km"),
        launch_delay=spec.launch_delay_s, sspk=spec.sspk,
        sources=dict.fromkeys(_INTERCEPTOR_FIELDS, spec.source),
    )


def _from_catalogue(catalogue: dict, name: str, what: str):
    for key, value in catalogue.items():
        if _norm(key) == _norm(name):
            return value
    raise ScenarioError([Issue(what, name, "not in the catalogue; allowed: " + ", ".join(catalogue))])


def interceptors(sc: Scenario) -> dict:
    """`interceptor.Interceptor` for every type the batteries use (inline or catalogue)."""
    from . import interceptor as mod

    out = {}
    for b in sc.batteries.values():
        if b.interceptor in out:
            continue
        if b.interceptor in sc.interceptors:
            out[b.interceptor] = mod.Interceptor(**interceptor_kwargs(b.interceptor, sc.interceptors[b.interceptor]))
        else:
            out[b.interceptor] = _from_catalogue(mod.catalogue(), b.interceptor, "interceptor")
    return out


def battery_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments of `interceptor.Battery` (``interceptor`` given by name; ``launch_on``,
    ``engage_on`` and ``own_radars`` as in the file, None = the network's home sensors) and the
    ``network`` each battery fires on, in file order."""
    return [dict(name=name, lat=math.radians(b.lat_deg), lon=math.radians(b.lon_deg), interceptor=b.interceptor,
                 inventory=b.inventory, doctrine=b.doctrine, salvo_size=b.salvo_size, side=b.side, network=b.network,
                 launch_on=b.launch_on, engage_on=b.engage_on,
                 own_radars=None if b.own_radars is None else tuple(b.own_radars))
            for name, b in sc.batteries.items()]


def batteries(sc: Scenario) -> list:
    """`interceptor.Battery` objects in file order; see `battery_networks` for their networks."""
    from . import interceptor as mod

    types = interceptors(sc)
    out = []
    for kw in battery_kwargs(sc):
        kw = dict(kw)
        kw.pop("network")
        kw["interceptor"] = types[kw["interceptor"]]
        out.append(mod.Battery(**kw))
    return out


def battery_networks(sc: Scenario) -> list[str]:
    """The network each battery fires on, aligned with `batteries`."""
    return [b.network for b in sc.batteries.values()]


def missile_kwargs(name: str, spec: ThreatSpec) -> dict:
    """Keyword arguments (SI) of `missile.Missile` for an inline threat class."""
    src = spec.source
    kw = dict(name=name, stage_burn_times=tuple(spec.stage_burn_times_s), burnout_speed=si(spec, "burnout_speed_kms"),
              beta=spec.beta_kgm2, rcs=spec.rcs_m2, published_range=si(spec, "published_range_km"),
              sources=dict.fromkeys(("stage_burn_times", "burnout_speed", "beta", "rcs", "published_range"), src))
    if spec.stage_speed_fractions is not None:
        kw["stage_speed_fractions"] = tuple(spec.stage_speed_fractions)
    return kw


def missiles(sc: Scenario) -> dict:
    """`missile.Missile` for each threat class (key = the scenario's class name); catalogue
    classes get the scenario's ``rcs_m2``/``beta_kgm2``/``burnout_speed_kms``/``stage_burn_times_s``
    overrides, if any."""
    import dataclasses

    from . import missile as mod

    out = {}
    for name, t in sc.threats.items():
        if t.missile is None:
            out[name] = mod.Missile(**missile_kwargs(name, t))
            continue
        m = _from_catalogue(mod.catalogue(), t.missile, f"threats.{name}.missile")
        changes = {}
        if t.rcs_m2 is not None:
            changes["rcs"] = t.rcs_m2
        if t.beta_kgm2 is not None:
            changes["beta"] = t.beta_kgm2
        if t.burnout_speed_kms is not None:
            changes["burnout_speed"] = t.burnout_speed_kms * 1e3
        if t.stage_burn_times_s is not None:
            if len(t.stage_burn_times_s) != len(m.stage_burn_times):
                raise ScenarioError([Issue(f"threats.{name}.stage_burn_times_s", t.stage_burn_times_s,
                                           f"one burn time per stage of {t.missile!r}; allowed: "
                                           f"{len(m.stage_burn_times)} value(s)")], sc.name)
            changes["stage_burn_times"] = tuple(t.stage_burn_times_s)
        if changes:
            sources = dict(getattr(m, "sources", {}) or {})
            sources.update(dict.fromkeys(changes, t.source))
            changes["sources"] = sources
            m = dataclasses.replace(m, **changes)
        out[name] = m
    return out


def launch_points(sc: Scenario, area: str) -> Points:
    """Launch points of one launch area, sampled by its rule (radians).

    "points": as listed; "vertices": the polygon's vertices; "centroid": its centroid;
    "grid": points inside the polygon on a grid of ``spacing_km`` (north-south step
    spacing/111.195 km per degree, east-west step widened by 1/cos(mid-latitude));
    "random": ``count`` points uniform in area inside the polygon, drawn with ``seed``.
    """
    import numpy as np

    if area not in sc.launch_areas:
        raise ScenarioError([Issue("area", area, "allowed: " + (", ".join(sc.launch_areas) or "(none defined)"))], sc.name)
    a = sc.launch_areas[area]
    if a.points is not None:
        return Points([p.name for p in a.points], np.radians([p.lat_deg for p in a.points]),
                      np.radians([p.lon_deg for p in a.points]))
    import shapely

    verts = np.array(a.polygon_deg, dtype=float)
    poly = shapely.Polygon(verts[:, ::-1])  # x = lon, y = lat
    if not poly.is_valid:
        poly = poly.buffer(0)
    if a.sampling == "vertices":
        lat, lon = verts[:, 0], verts[:, 1]
    elif a.sampling == "centroid":
        c = poly.centroid
        lat, lon = np.array([c.y]), np.array([c.x])
    elif a.sampling == "grid":
        lon0, lat0, lon1, lat1 = poly.bounds
        dlat = a.spacing_km / 111.195
        dlon = dlat / max(math.cos(math.radians(0.5 * (lat0 + lat1))), 1e-3)
        glat, glon = np.meshgrid(np.arange(lat0, lat1 + 1e-9, dlat), np.arange(lon0, lon1 + 1e-9, dlon), indexing="ij")
        inside = shapely.intersects_xy(poly, glon.ravel(), glat.ravel())  # boundary counts
        lat, lon = glat.ravel()[inside], glon.ravel()[inside]
        if lat.size == 0:  # polygon smaller than one cell: its centroid stands in
            c = poly.centroid
            lat, lon = np.array([c.y]), np.array([c.x])
    else:
        rng = np.random.default_rng(a.seed)
        lon0, lat0, lon1, lat1 = poly.bounds
        lat_list, lon_list = [], []
        need = a.count
        s0, s1 = math.sin(math.radians(lat0)), math.sin(math.radians(lat1))
        for _ in range(10_000):
            if need == 0:
                break
            m = max(2 * need, 64)
            cand_lat = np.degrees(np.arcsin(rng.uniform(s0, s1, m)))  # uniform in area
            cand_lon = rng.uniform(lon0, lon1, m)
            ok = shapely.contains_xy(poly, cand_lon, cand_lat)
            lat_list.append(cand_lat[ok][:need])
            lon_list.append(cand_lon[ok][:need])
            need -= int(min(ok.sum(), need))
        if need:
            raise ScenarioError([Issue(f"launch_areas.{area}.polygon_deg", _NOTHING,
                                       "too small a part of its bounding box to sample at random; "
                                       "allowed: a polygon that is not a sliver")], sc.name)
        lat, lon = np.concatenate(lat_list), np.concatenate(lon_list)
    names = [f"{area}[{i}]" for i in range(len(lat))]
    return Points(names, np.radians(lat), np.radians(lon))


def aim_points(sc: Scenario, group: str | None = None) -> Points:
    """Aim points (radians), optionally only those of one ``group``."""
    import numpy as np

    chosen = [(n, p) for n, p in sc.aim_points.items() if group is None or p.group == group]
    return Points([n for n, _ in chosen], np.radians([p.lat_deg for _, p in chosen]),
                  np.radians([p.lon_deg for _, p in chosen]))
