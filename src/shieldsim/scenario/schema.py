"""The scenario schema: strict, finite, bounded pydantic models of every table of a scenario file.

Keys carry their unit (``lat_deg``, ``alt_km``, ``speed_kms``, ...); numeric figures may carry a
sourced range (`FigureRange`, ``<field>_range = [low, high]``). `Scenario` is the whole file,
resolved (no ``extends``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError,
                      model_validator)

from .errors import _short


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
    re-entry vehicle's ``rcs_m2`` and ``beta_kgm2``, the missile body's ``body_rcs_m2`` (what
    radars see before the re-entry vehicle separates), and -- for uncertainty ensembles -- the
    boost's ``burnout_speed_kms`` and ``stage_burn_times_s``, one per catalogue stage), or the
    class is defined inline with all of stage_burn_times_s, burnout_speed_kms, beta_kgm2,
    rcs_m2, published_range_km (``body_rcs_m2`` optional: default `missile.BODY_RCS`)."""

    missile: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=64)] | None = None
    stage_burn_times_s: Annotated[list[_num(hi=1000, gt=0)], Field(min_length=1, max_length=4)] | None = None
    stage_speed_fractions: Annotated[list[_num(hi=1, gt=0)], Field(min_length=1, max_length=4)] | None = None
    burnout_speed_kms: _num(hi=8, gt=0) | None = None
    beta_kgm2: _num(hi=1e6, gt=0) | None = None
    rcs_m2: _num(hi=1e4, gt=0) | None = None
    body_rcs_m2: _num(hi=1e4, gt=0) | None = None
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
                raise ValueError(f"with missile = {self.missile!r} only rcs_m2, body_rcs_m2, beta_kgm2, "
                                 f"burnout_speed_kms and stage_burn_times_s may be overridden, not {', '.join(extra)}")
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
