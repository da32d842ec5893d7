"""Studies: a scenario's questions answered end to end.

This layer turns a loaded `scenario.Scenario` into the physics objects and runs the chain
flights (`trajectory.aim`) -> tracks (`sensors.detect`, per network a battery fires on) ->
engagements (`engagement.engage`) -> results (`coverage`, `deterrent`). Commands and the
report call these functions, so every command answers the same question the same way.

Rules this layer applies (recorded in every result's ``attrs``):
* Reach: a launch point threatens a target only if the target lies within the class's
  maximum range in that direction (`trajectory.max_range`, tabulated every `AZIMUTH_STEP_DEG`
  degrees of launch azimuth per launch point and interpolated).
* Sectors of responsibility (scenarios with ``[sectors]``): a battery may engage a threat
  only when the first intercept opportunity of that battery lies over a sector its side is
  responsible for; over no sector, any side may engage. Each point lies in at most one sector:
  the first by decreasing ``priority``, then file order (`sector_names`).

Size (an exception to the ~800-line rule, kept on purpose for now): this module is the layer
every command shares and several branches edit it at once; its planned split is a `study/`
package by job (architecture and reach tables, tracks and sectors, coverage batches, options,
the deterrent study with `DeterrentConfig`/`ShipSweep`), done when those branches have landed.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np

from . import scenario as scen
from .plots import difference_figure, draw_architecture, footprint_figure  # noqa: F401  (re-exported)

AZIMUTH_STEP_DEG = 5.0
"""Spacing of the tabulated maximum range against launch azimuth, degrees."""

MIN_RANGE_M = 50e3
"""Targets closer than this to a launch point are not flown (not a ballistic-missile target)."""

DEFAULT_STEP_S = 2.0
"""Sample step of threat flights for detection and engagement, seconds."""

COVERAGE_METHODS = ("fast", "exact")
"""``method`` of the coverage functions: "fast" (tabulated shortcuts whose decisions are checked
against exact solutions near every threshold) or "exact" (the slow reference: every flight aimed
by Newton, every sample of every engagement solved). Tests and `benchmarks/bench_coverage.py`
compare the two."""


@dataclass
class Architecture:
    """A scenario converted once into the objects the physics takes."""

    scenario: scen.Scenario
    models: object
    missiles: dict
    batteries: list
    battery_networks: list
    networks: dict

    @classmethod
    def from_scenario(cls, sc: scen.Scenario) -> Architecture:
        return cls(sc, scen.models(sc), scen.missiles(sc), scen.batteries(sc), scen.battery_networks(sc),
                   {n.name: n for n in scen.networks(sc)})

    @property
    def name(self) -> str:
        return self.scenario.name


class ReachCache(OrderedDict):
    """Reach tables (`reach_table`) by (class, launch point, models), least recently used first,
    holding at most ``maxsize`` tables (72 floats each; 4096 tables are about 2.4 MB). Shared by
    every architecture that flies the same class under the same models (the cooperation options
    and phases of one study reuse each other's tables), so it is one instance, `_REACH_CACHE`,
    rather than an attribute of one `Architecture`."""

    def __init__(self, maxsize: int = 4096):
        super().__init__()
        self.maxsize = maxsize

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


_REACH_CACHE = ReachCache()


def _reach_key(missile, lat: float, lon: float, models) -> tuple:
    return (missile, round(lat, 9), round(lon, 9), models)


def reach_table(missile, lat: float, lon: float, models) -> np.ndarray:
    """Maximum range (m) of ``missile`` from (lat, lon) (rad) at launch azimuths 0, 5, ...,
    355 degrees (cached per class, point and models)."""
    reach_tables(missile, lat, lon, models)
    return _REACH_CACHE[_reach_key(missile, float(lat), float(lon), models)]


def reach_tables(missile, lat, lon, models) -> None:
    """Fill the `reach_table` cache for many launch points (rad, arrays) of one class in a
    single batched `trajectory.max_range` call (the same figures, fewer calls)."""
    from .trajectory import max_range

    todo = {}  # cache key -> the point as given
    for a, b in zip(np.ravel(lat).astype(float), np.ravel(lon).astype(float)):
        key = _reach_key(missile, float(a), float(b), models)
        if key not in _REACH_CACHE:
            todo.setdefault(key, (a, b))
    if not todo:
        return
    keys = list(todo)
    az = np.radians(np.arange(0.0, 360.0, AZIMUTH_STEP_DEG))
    plat, plon = (np.array(x) for x in zip(*todo.values()))
    reach = max_range(missile, np.repeat(plat, az.size), np.repeat(plon, az.size), np.tile(az, len(keys)),
                      models)[0].reshape(len(keys), az.size)
    _REACH_CACHE.update(zip(keys, reach))


def reachable(missile, lat: float, lon: float, target_lat, target_lon, models) -> np.ndarray:
    """(M,) bool: targets (rad) within the class's reach from (lat, lon), with a 0.5 % margin
    for the interpolation between tabulated azimuths, and beyond `MIN_RANGE_M`."""
    from .earth import geodesic_inverse

    dist, az = geodesic_inverse(np.full(np.shape(target_lat), lat), np.full(np.shape(target_lon), lon),
                                target_lat, target_lon, models.earth)
    table = reach_table(missile, lat, lon, models)
    step = math.radians(AZIMUTH_STEP_DEG)
    x = np.mod(az, 2 * np.pi) / step
    i = np.floor(x).astype(int) % table.size
    w = x - np.floor(x)
    reach = (1 - w) * table[i] + w * table[(i + 1) % table.size]
    return (dist <= 0.995 * reach) & (dist >= MIN_RANGE_M)


@dataclass
class Tracks:
    """What each battery of an architecture may fire on, for N flights (times in s after each
    threat's launch).

    Attributes:
        track_time: (N, B) when each battery may launch: its network's fused fire-control track
            (``launch_on = "remote"``) or its own radars' earliest track (``"own"``); NaN = never.
        track_sensor: (N, B) object, name of the sensor whose track that is ('' = none).
        intercept_window: (N, B, 2) earliest and latest intercept time the battery's guidance
            allows (``engage_on``; -inf/+inf unconstrained, +inf/-inf none), for `engagement.engage`.
        timelines: network name -> `sensors.Timeline` of every network a battery fires on.
    """

    track_time: np.ndarray
    track_sensor: np.ndarray
    intercept_window: np.ndarray
    timelines: dict


def battery_tracks(arch: Architecture, traj, networks: dict | None = None) -> Tracks:
    """Detect the flights in every network a battery fires on (`sensors.detect`) and apply each
    battery's ``launch_on``/``engage_on``/``own_radars`` (`sensors.battery_track`).

    Args:
        arch: the architecture; traj: the flights (`trajectory.Trajectory`, N).
        networks: network name -> `sensors.Network` to use instead of ``arch.networks`` (sensor
            variants).
    Returns:
        `Tracks` with (N, B) arrays in the order of ``arch.batteries``.
    """
    from .sensors import battery_track, detect

    nets = arch.networks if networks is None else networks
    timelines = {}
    for name in dict.fromkeys(arch.battery_networks):
        if name not in nets:
            raise ValueError(f"battery network {name!r} is not defined; allowed: {', '.join(nets)}")
        timelines[name] = detect(traj, nets[name])
    n, nb = len(traj), len(arch.batteries)
    track = np.full((n, nb), np.nan)
    sensor = np.full((n, nb), "", dtype=object)
    window = np.empty((n, nb, 2))
    for j, (bat, net) in enumerate(zip(arch.batteries, arch.battery_networks)):
        tl = timelines[net]
        bt = battery_track(tl, getattr(bat, "own_radars", None), getattr(bat, "launch_on", "remote"),
                           getattr(bat, "engage_on", "remote"))
        track[:, j] = bt.track_time
        names = np.array(list(tl.sensor_names) + [""], dtype=object)
        sensor[:, j] = names[bt.track_sensor]  # -1 picks the trailing ''
        window[:, j] = bt.intercept_window
    return Tracks(track, sensor, window, timelines)


def track_times(arch: Architecture, traj) -> tuple[np.ndarray, dict]:
    """(N, B) time each battery may launch on each flight (its ``launch_on``: the network's
    fire-control track, or its own radars' track) and the `sensors.Timeline` of each network
    used. It omits the guidance window of batteries that engage on their own radar: engage
    with `engage_flights` (or pass `battery_tracks(...).intercept_window` to
    `engagement.engage`)."""
    t = battery_tracks(arch, traj)
    return t.track_time, t.timelines


def engage_flights(arch: Architecture, traj, kill_assessment: float | None = None, networks: dict | None = None,
                   method: str = "fast"):
    """Track (`battery_tracks`) and engage (`engagement.engage`, honouring each battery's
    intercept window; ``method`` "fast" or "exact", `engagement.METHODS`) N flights with the
    architecture's batteries: the path every study command uses. ``kill_assessment`` (s) defaults
    to the scenario's ``engagement.kill_assessment_s``. Returns (`engagement.Engagement`, `Tracks`)."""
    from .engagement import DEFAULT_KILL_ASSESSMENT, engage

    t = battery_tracks(arch, traj, networks)
    ka = kill_assessment if kill_assessment is not None else \
        getattr(getattr(arch.scenario, "engagement", None), "kill_assessment_s", DEFAULT_KILL_ASSESSMENT)
    return engage(traj, arch.batteries, t.track_time, kill_assessment=ka, intercept_window=t.intercept_window,
                  method=method), t


def first_flight_facts(tracks) -> dict:
    """What the sensors did for flight 0 of ``tracks`` (`Tracks`, from `engage_flights`), as the
    keyword arguments of `report.engagement_case`: the earliest cue (``cue_time`` s after launch,
    ``cue_sensor``), the earliest fire-control track (``track_time``, ``track_sensor``), each
    battery's launch sensor (``launch_sensors``) and whether that track was formed on the missile
    body or on the re-entry vehicle (``track_on``: "body", "warhead", or "" when never tracked)."""
    cues = sorted((float(t.cue_time[0]), t.sensor_names[t.cue_sensor[0]]) for t in tracks.timelines.values()
                  if np.isfinite(t.cue_time[0]))
    row = tracks.track_time[0]
    first = int(np.nanargmin(row)) if np.isfinite(row).any() else -1
    track_sensor = str(tracks.track_sensor[0, first]) if first >= 0 else ""
    track_on = ""
    for tl in tracks.timelines.values() if first >= 0 else ():
        if track_sensor in tl.sensor_names:
            formed = tl.sensor_track_time[0, tl.sensor_names.index(track_sensor)]
            track_on = "body" if formed < tl.separation_time[0] else "warhead"
            break
    return {"cue_time": cues[0][0] if cues else None, "cue_sensor": cues[0][1] if cues else "",
            "track_time": float(row[first]) if first >= 0 else None, "track_sensor": track_sensor,
            "launch_sensors": list(tracks.track_sensor[0]), "track_on": track_on}


def sector_order(sc: scen.Scenario) -> list[str]:
    """The scenario's sector names in the order points are matched against them: decreasing
    ``priority``, then file order (see `scenario.SectorSpec`)."""
    return sorted(sc.sectors, key=lambda name: -sc.sectors[name].priority)


def sector_names(sc: scen.Scenario, lat, lon) -> np.ndarray:
    """Name of the sector holding each point (lat, lon in rad, any equal shape), '' where none.

    A point belongs to the first sector of `sector_order` that contains it: one listing the
    country whose territory holds the point (`geography.territory_of`: its land, or sea within
    12 nautical miles of it), one whose ``polygon_deg`` holds it, or (both given) one listing
    that country and whose polygon holds it. NaN points are in none."""
    lat_deg, lon_deg = np.degrees(np.asarray(lat, float)), np.degrees(np.asarray(lon, float))
    found = np.full(lat_deg.shape, "", dtype=object)
    if not sc.sectors:
        return found
    finite = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    iso = None
    for name in sector_order(sc):
        sector = sc.sectors[name]
        inside = finite & (found == "")
        if sector.countries is not None:
            if iso is None:
                iso = point_territory(lat_deg, lon_deg)
            inside &= np.isin(iso, sector.countries)
        if sector.polygon_deg is not None and inside.any():
            import shapely

            poly = shapely.Polygon([(p[1], p[0]) for p in sector.polygon_deg])
            inside[inside] = shapely.contains_xy(poly, lon_deg[inside], lat_deg[inside])
        found[inside] = name
    return found


def point_territory(lat_deg, lon_deg) -> np.ndarray:
    """The country (ISO3) whose territory holds each point (degrees), as sectors see it
    (`geography.territory_of`); '' at sea beyond 12 nautical miles or for NaN points."""
    from .geography import territory_of

    lat_deg, lon_deg = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
    iso = np.full(lat_deg.shape, "", dtype=object)
    finite = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    if finite.any():
        iso[finite] = territory_of(lat_deg[finite], lon_deg[finite])
    return iso


def sector_sides(sc: scen.Scenario, lat, lon) -> np.ndarray:
    """Side responsible for each point (rad) under the scenario's sectors ('' = none): the
    ``engaged_by`` of the point's sector (`sector_names`)."""
    names = sector_names(sc, lat, lon)
    side = np.full(names.shape, "", dtype=object)
    for name, sector in sc.sectors.items():
        side[names == name] = sector.engaged_by
    return side


def allowed_batteries(arch: Architecture, engagement) -> np.ndarray:
    """(N, B) bool: batteries that can engage each flight, hold the rounds their doctrine
    fires, and (under sectors) are responsible where they would intercept."""
    from .coverage import battery_ready

    bats = arch.batteries
    return battery_ready(engagement, [b.inventory for b in bats], [b.doctrine for b in bats],
                         [b.salvo_size for b in bats]) & responsible(arch, engagement)


def responsible(arch: Architecture, engagement) -> np.ndarray:
    """(N, B) bool: under the scenario's sectors, whether each battery's side is responsible
    where that battery would first intercept the flight (over no sector any side is); all True
    in a scenario without sectors."""
    if not arch.scenario.sectors:
        return np.ones(np.shape(engagement.engageable), bool)
    sides = sector_sides(arch.scenario, engagement.first_lat, engagement.first_lon)
    own = np.array([b.side for b in arch.batteries], dtype=object)[None, :]
    return (sides == "") | (sides == own)


def fly(arch: Architecture, threat: str, lat, lon, target_lat, target_lon, step: float = DEFAULT_STEP_S,
        kind: str | None = None, labels=None, unreachable: str = "raise", apogee: float | None = None):
    """Aim the scenario's threat class ``threat`` from (lat, lon) at targets (rad, arrays);
    kind and apogee (m, for lofted/depressed shapes) from the scenario unless given. With
    ``unreachable="skip"`` pairs the class cannot fly in that shape are left out
    (``Aim.pair_index`` lists the kept)."""
    from .trajectory import aim

    spec = arch.scenario.threats[threat]
    kind = kind or spec.trajectory
    if kind == "minimum-energy":
        apogee = None
    elif apogee is None and spec.apogee_km is not None:
        apogee = spec.apogee_km * 1e3
    return aim(lat, lon, target_lat, target_lon, arch.missiles[threat], arch.models, kind=kind, apogee=apogee,
               sample_step=step, labels=labels, unreachable=unreachable)


def fly_within_reach(arch: Architecture, threat: str, lat, lon, target_lat, target_lon,
                     step: float = DEFAULT_STEP_S, kind: str | None = None, apogee=None):
    """`fly` the pairs (lat, lon) -> (target_lat, target_lon) (rad, arrays) whose target lies
    within the class's reach from its launch point (`reachable`), leaving out those it cannot
    fly in the shape. ``apogee`` (m, lofted/depressed): None (the scenario's), a scalar, or one
    per pair.

    Returns (`trajectory.Aim` of the flown pairs, or None if none is flown; (M,) indices of the
    flown pairs, in the trajectory's order; {pair index: reason} for the pairs left out).
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    target_lat, target_lon = np.asarray(target_lat, float), np.asarray(target_lon, float)
    ok = np.zeros(lat.size, dtype=bool)
    for a, b in dict.fromkeys(zip(lat.tolist(), lon.tolist())):  # one reach table per launch point
        at = (lat == a) & (lon == b)
        ok[at] = reachable(arch.missiles[threat], a, b, target_lat[at], target_lon[at], arch.models)
    reasons = _unreachable_reasons(arch, lat, lon, target_lat, target_lon, np.flatnonzero(~ok))
    idx = np.flatnonzero(ok)
    if not idx.size:
        return None, idx, reasons
    from .trajectory import AimError

    try:
        traj = fly(arch, threat, lat[idx], lon[idx], target_lat[idx], target_lon[idx], step=step, kind=kind,
                   unreachable="skip", apogee=apogee if np.ndim(apogee) == 0 else np.asarray(apogee, float)[idx])
    except AimError as err:  # the class can fly none of them in this shape
        reasons.update({int(i): " ".join(str(err).split()) for i in idx})
        return None, idx[:0], reasons
    pair_index = getattr(traj, "pair_index", None)  # a plain Trajectory keeps every pair
    kept = idx if pair_index is None else idx[np.asarray(pair_index, dtype=int)]
    shape = kind or arch.scenario.threats[threat].trajectory
    reasons.update({int(i): f"the class cannot fly a {shape} path there" for i in np.setdiff1d(idx, kept)})
    return traj, kept, reasons


def _unreachable_reasons(arch: Architecture, lat, lon, target_lat, target_lon, pairs) -> dict:
    """{pair index: why `reachable` refused it}: too close for a ballistic flight, or beyond reach."""
    from .earth import geodesic_inverse

    if not len(pairs):
        return {}
    dist, _ = geodesic_inverse(lat[pairs], lon[pairs], target_lat[pairs], target_lon[pairs], arch.models.earth)
    return {int(i): (f"launch and aim points {d / 1e3:.1f} km apart, closer than the {MIN_RANGE_M / 1e3:g} km a "
                     "ballistic flight needs" if d < MIN_RANGE_M else "beyond the class's maximum range")
            for i, d in zip(pairs, dist.tolist())}


class SelectionError(ValueError):
    """A selection of scenario flights that cannot be flown; ``what`` names the selector at
    fault: "scenario", "threat", "area", "target" or "max_flights"."""

    def __init__(self, what: str, message: str):
        super().__init__(message)
        self.what = what

    def __reduce__(self):
        return type(self), (self.what, str(self))


def scenario_flights(arch: Architecture, threat: str | None = None, area: str | None = None,
                     target: str | None = None, step: float = DEFAULT_STEP_S, kind: str | None = None,
                     max_flights: int | None = None):
    """Fly the scenario's threat classes from the points of their launch areas to its aim
    points, each selector (a threat class, launch area or aim point name) narrowing the choice.

    A pair is flown (`fly_within_reach`, scenario shape unless ``kind``; sample step ``step`` s)
    only when the target is within the class's reach from that launch point; pairs out of reach
    or that the class cannot fly in that shape are skipped. Flights of one launch area and class
    are aimed in one batch.

    Returns:
        (`trajectory.Trajectory` of the flights on one NaN-padded grid, (N,) labels
        "class point -> aim point" (also the trajectory's ``labels``), list of skipped pairs
        as "class point -> aim point: reason").

    Raises:
        SelectionError: an unknown name, nothing selected, more than ``max_flights`` pairs
            selected (counted before the reach test), or no selected pair can be flown.
    """
    from .trajectory import Trajectory

    sc = arch.scenario
    if not sc.threats or not sc.launch_areas or not sc.aim_points:
        raise SelectionError("scenario", f"scenario {sc.name!r} defines no threats, launch areas or aim points to fly")
    for what, name, known in (("threat", threat, sc.threats), ("area", area, sc.launch_areas),
                              ("target", target, sc.aim_points)):
        if name is not None and name not in known:
            raise SelectionError(what, f"unknown {_SELECTOR_NOUN[what]} {name!r}; allowed: {', '.join(known)}")
    aims = scen.aim_points(sc)
    cols = np.array([k for k, n in enumerate(aims.names) if target is None or n == target], dtype=int)
    groups = [(cls, scen.launch_points(sc, a)) for a, spec in sc.launch_areas.items() if area in (None, a)
              for cls in spec.threats if threat in (None, cls)]
    if not groups:
        raise SelectionError("threat", f"no selected launch area launches {threat!r}")
    total = sum(len(pts.names) for _, pts in groups) * cols.size
    if max_flights is not None and total > max_flights:
        raise SelectionError("max_flights", f"{total} flights selected, more than the limit of {max_flights}")
    for cls in dict.fromkeys(c for c, _ in groups):  # every launch point of a class in one batch
        where = [pts for c, pts in groups if c == cls]
        reach_tables(arch.missiles[cls], np.concatenate([p.lat for p in where]),
                     np.concatenate([p.lon for p in where]), arch.models)
    parts, labels, skipped = [], [], []
    for cls, pts in groups:
        li, ti = (g.ravel() for g in np.meshgrid(np.arange(len(pts.names)), cols, indexing="ij"))
        names = np.array([f"{cls} {pts.names[a]} -> {aims.names[b]}" for a, b in zip(li, ti)], dtype=object)
        traj, kept, reasons = fly_within_reach(arch, cls, pts.lat[li], pts.lon[li], aims.lat[ti], aims.lon[ti],
                                               step=step, kind=kind)
        skipped += [f"{names[i]}: {why}" for i, why in reasons.items()]
        if traj is not None:
            parts.append(traj)
            labels += list(names[kept])
    if not parts:
        raise SelectionError("target", "no selected flight can be flown: " +
                             (skipped[0] if len(skipped) == 1 else f"{len(skipped)} pairs, e.g. {skipped[0]}"))
    traj = Trajectory.concat(parts)
    traj.labels = np.array(labels, dtype=object)
    return traj, traj.labels, skipped


_SELECTOR_NOUN = {"threat": "threat class", "area": "launch area", "target": "aim point"}


def scenario_engagement_table(sc, raid) -> dict:
    """The [engagement] table of a raid in a scenario (a `scenario.Scenario` or a
    `Architecture`): batteries (inventory, SSPK) and one window per route (launch area,
    launch point, aim point, threat class) and battery, flown with `fly` (the scenario's
    trajectory shape), tracked and engaged with `engage_flights` (each battery's launch_on and
    engage_on).

    Threat classes are the scenario's ``threats`` names (a wave without ``missile`` takes its
    launch area's first class); launch points are named points of the area (default: its first).
    Under sectors of responsibility a battery gets a window only where its side is responsible
    (`responsible`: at its first intercept point), as in coverage.
    """
    arch = sc if isinstance(sc, Architecture) else Architecture.from_scenario(sc)
    sc = arch.scenario
    aims = scen.aim_points(sc)
    aim_index = {name: i for i, name in enumerate(aims.names)}
    batteries = arch.batteries
    if not batteries:
        raise ValueError(f"scenario {sc.name!r} has no batteries")

    routes: dict[tuple, None] = {}
    for i in range(len(raid)):
        area = raid.launch_area[i]
        if area not in sc.launch_areas:
            raise KeyError(f"launch area {area!r} is not in scenario {sc.name!r}; allowed: {list(sc.launch_areas)}")
        if raid.aim_point[i] not in aim_index:
            raise KeyError(f"aim point {raid.aim_point[i]!r} is not in scenario {sc.name!r}; "
                           f"allowed: {list(aim_index)}")
        cls = raid.missile[i] or sc.launch_areas[area].threats[0]
        if cls not in arch.missiles:
            raise KeyError(f"threat class {cls!r} is not in scenario {sc.name!r}; allowed: {list(arch.missiles)}")
        routes[(area, raid.point_of(i), raid.aim_point[i], raid.missile[i], cls)] = None
    windows = []
    source = f"computed from scenario {sc.name!r}"
    if sc.sectors:
        source += " (sectors: only the side responsible at the battery's first intercept point engages)"
    by_class: dict[str, list[tuple]] = {}
    for route in routes:
        by_class.setdefault(route[4], []).append(route)
    kill_assessment = None
    for cls, group in by_class.items():
        lat0, lon0, lat1, lon1 = [], [], [], []
        for area, point, aim_name, _, _ in group:
            pts = scen.launch_points(sc, area)
            if point and point not in pts.names:
                raise KeyError(f"launch point {point!r} is not in area {area!r}; allowed: {list(pts.names)}")
            k = pts.names.index(point) if point else 0
            lat0.append(pts.lat[k])
            lon0.append(pts.lon[k])
            lat1.append(aims.lat[aim_index[aim_name]])
            lon1.append(aims.lon[aim_index[aim_name]])
        traj = fly(arch, cls, np.array(lat0), np.array(lon0), np.array(lat1), np.array(lon1))
        eng, _ = engage_flights(arch, traj)
        ok = eng.engageable & responsible(arch, eng)
        for r, (area, point, aim_name, missile, _) in enumerate(group):
            for j, bat in enumerate(batteries):
                if not ok[r, j]:
                    continue
                w = {"battery": bat.name, "launch_area": area, "aim_point": aim_name,
                     "missile": missile, "launch_point": point,
                     "launch_earliest_s": float(eng.launch_earliest[r, j]),
                     "launch_latest_s": float(eng.launch_latest[r, j]),
                     "intercept_first_s": float(eng.intercept_first[r, j]),
                     "intercept_last_s": float(eng.intercept_last[r, j]),
                     "source": source}
                if all(math.isfinite(w[k]) for k in ("launch_earliest_s", "launch_latest_s",
                                                     "intercept_first_s", "intercept_last_s")):
                    windows.append(w)
        kill_assessment = eng.kill_assessment
    return {
        "models": arch.models.as_dict(),
        "kill_assessment_s": float(kill_assessment),
        "battery": [{"name": b.name, "inventory": int(b.inventory), "sspk": float(b.interceptor.sspk)}
                    for b in batteries],
        "window": windows,
    }


def same_threats(archs: list[Architecture]) -> None:
    """Raise ValueError unless the architectures face the same threats on the same grid
    (launch areas, threat classes, defended region and models), so flights can be shared."""
    first = archs[0]
    for other in archs[1:]:
        for what, a, b in (("launch areas", first.scenario.launch_areas, other.scenario.launch_areas),
                           ("threat classes", first.missiles, other.missiles),
                           ("defended region", first.scenario.defended, other.scenario.defended),
                           ("models", first.models, other.models)):
            if a != b:
                raise ValueError(f"scenarios {first.name!r} and {other.name!r} differ in their {what}; "
                                 "they cannot share flights")


@dataclass(frozen=True)
class FlightBatch:
    """One batch of a footprint: a threat class flown from one launch point to some cells.
    ``cells`` index the flattened grid; ``lat``, ``lon`` are the cell centres (rad)."""

    threat: str
    launch_lat: float
    launch_lon: float
    cells: np.ndarray
    lat: np.ndarray
    lon: np.ndarray


def footprint_batches(arch: Architecture, area: str, grid_deg: float | None = None, land_only: bool = True,
                      chunk: int = 1500):
    """The grid (cell-centre latitudes and longitudes, deg) and the `FlightBatch` list of one
    launch area: every class of the area from every launch point to every (land) cell it can
    reach, cut into batches of at most ``chunk`` flights."""
    from .coverage import grid_centres

    sc = arch.scenario
    if area not in sc.launch_areas:
        raise ValueError(f"unknown threat area {area!r}; allowed: {', '.join(sc.launch_areas)}")
    d = sc.defended
    lat_c, lon_c = grid_centres(d.lat_min_deg, d.lat_max_deg, d.lon_min_deg, d.lon_max_deg, grid_deg or d.grid_deg)
    glat, glon = np.meshgrid(lat_c, lon_c, indexing="ij")
    cells = np.arange(glat.size)
    if land_only:
        from .geography import country_of

        cells = cells[country_of(glat.ravel(), glon.ravel()) != ""]
    tlat, tlon = np.radians(glat.ravel()[cells]), np.radians(glon.ravel()[cells])
    pts = scen.launch_points(sc, area)
    batches = []
    for cls in sc.launch_areas[area].threats:
        for k in range(len(pts.names)):
            lat, lon = float(pts.lat[k]), float(pts.lon[k])
            idx = np.flatnonzero(reachable(arch.missiles[cls], lat, lon, tlat, tlon, arch.models))
            for start in range(0, idx.size, chunk):
                sel = idx[start:start + chunk]
                batches.append(FlightBatch(cls, lat, lon, cells[sel], tlat[sel], tlon[sel]))
    return lat_c, lon_c, batches


def run_batch(archs: list[Architecture], batch: FlightBatch, n_cells: int, step: float = DEFAULT_STEP_S,
              kind: str | None = None, method: str = "fast"):
    """Fly one batch once and reduce it to the grid for every architecture: returns the list of
    `coverage.CellSummary` (one per architecture) and the number of pairs the class could not
    fly in the asked shape. ``method``: "fast" or "exact" (`COVERAGE_METHODS`)."""
    from .coverage import empty_summary, summarise_cells
    from .trajectory import AimError

    try:
        traj = fly(archs[0], batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon, step=step,
                   kind=kind, unreachable="skip")
    except AimError:  # the class cannot fly any of these pairs in this shape
        return [empty_summary(n_cells) for _ in archs], batch.cells.size
    out = []
    for a in archs:
        e, _ = engage_flights(a, traj, method=method)
        out.append(summarise_cells(batch.cells[traj.pair_index], n_cells, e, allowed_batteries(a, e)))
    return out, batch.cells.size - len(traj)


def footprints(archs: list[Architecture], area: str, grid_deg: float | None = None, step: float = DEFAULT_STEP_S,
               kind: str | None = None, land_only: bool = True, chunk: int = 1500,
               progress: Callable[[int, int], None] | None = None, executor=None, method: str = "fast") -> list:
    """Defended footprints (`coverage.Footprint`) of several architectures facing the same
    threats (see `same_threats`) against one launch area; each flight is flown once.

    ``method`` (`COVERAGE_METHODS`): "fast" (default) or "exact", the slow reference that
    solves every sample of every engagement (`engagement.engage`); recorded in ``attrs``.

    The flights (`footprint_batches`) run batch by batch (`run_batch`) on ``executor`` (a
    `parallel.Executor`; default in this process), each batch tracked and engaged by every
    architecture. ``progress(done, total)`` is called as batches finish.
    """
    from functools import partial

    from .coverage import Footprint, empty_summary, merge_summaries
    from .parallel import InProcessExecutor

    if method not in COVERAGE_METHODS:
        raise ValueError(f"method must be one of {', '.join(COVERAGE_METHODS)}, got {method!r}")
    same_threats(archs)
    arch = archs[0]
    lat_c, lon_c, batches = footprint_batches(arch, area, grid_deg, land_only, chunk)
    n_cells = lat_c.size * lon_c.size
    total = sum(b.cells.size for b in batches)
    summaries = [empty_summary(n_cells) for _ in archs]
    done = unflyable = 0
    task = partial(run_batch, archs, n_cells=n_cells, step=step, kind=kind, method=method)
    for index, (parts, lost) in (executor or InProcessExecutor()).as_completed(task, batches):
        summaries = [merge_summaries(s, p) for s, p in zip(summaries, parts)]
        unflyable += lost
        done += batches[index].cells.size
        if progress:
            progress(done, total)
    pts = scen.launch_points(arch.scenario, area)
    g = grid_deg or arch.scenario.defended.grid_deg
    return [Footprint.from_summary(
        lat_c, lon_c, summ, battery_names=tuple(b.name for b in a.batteries), threat_area=area,
        threat_classes=tuple(arch.scenario.launch_areas[area].threats), launch_points=tuple(pts.names),
        attrs=provenance(a, trajectory=kind or "scenario", grid_deg=g, flights=total - unflyable,
                         unflyable_pairs=unflyable, land_only=land_only, step_s=step, method=method))
        for a, summ in zip(archs, summaries)]


def footprint(arch: Architecture, area: str, grid_deg: float | None = None, step: float = DEFAULT_STEP_S,
              kind: str | None = None, land_only: bool = True, chunk: int = 1500,
              progress: Callable[[int, int], None] | None = None, method: str = "fast"):
    """Defended footprint (`coverage.Footprint`) of one architecture against one launch area
    (see `footprints`)."""
    return footprints([arch], area, grid_deg, step, kind, land_only, chunk, progress, method=method)[0]


def provenance(arch: Architecture, **extra) -> dict:
    """What produced a result: scenario, model switches, shieldsim version, rules and options."""
    from . import __version__

    rules = "reach: tabulated max range; sectors: first-intercept point" if arch.scenario.sectors else \
        "reach: tabulated max range"
    out = {"scenario": arch.name, "version": __version__, "rules": rules}
    out.update({f"model_{k}": str(v) for k, v in arch.models.as_dict().items()})
    out["model_refraction"] = scen.refraction_summary(arch.scenario)
    out.update(extra)
    return out


@dataclass
class CoverageResult:
    """Footprints per threat area (and ``"all"`` combined) with the population figures.

    ``population`` maps each area (and ``"all"``) to a `geography.ProtectedPopulation` with
    threatened and defended people; ``year`` is the scenario's year (None: the default
    membership year, `geography.DEFAULT_MEMBERSHIP_YEAR`), which selects NATO's European members
    for the ``nato_europe`` figures."""

    footprints: dict
    population: dict
    attrs: dict = field(default_factory=dict)
    year: int | None = None

    def nato_europe(self, area: str = "all") -> dict:
        """``{"nato_europe": {...}, "rest_of_region": {...}}`` of one area (see
        `geography.nato_europe_population`)."""
        from .geography import nato_europe_population

        return nato_europe_population(self.population[area], self.year)

    def as_dict(self) -> dict:
        """JSON-ready figures, in people.

        Top level (all areas together): ``nato_europe`` and ``rest_of_region`` (population on the
        grid, threatened, defended, fraction defended of threatened; the NATO members of the
        scenario's year), then the whole-grid figures ``population_protected`` (= defended),
        ``population_total``, ``population_threatened``, ``fraction_protected`` and
        ``per_country`` (rows with total, threatened and defended people); ``threat_areas``: the
        same per launch area, with ``cells_threatened``/``cells_defended``; ``attrs``.
        """
        areas = {}
        for name, pop in self.population.items():
            d = self.nato_europe(name)
            d.update(pop.as_dict())
            d["cells_threatened"] = int(self.footprints[name].threatened.sum())
            d["cells_defended"] = int(self.footprints[name].defended.sum())
            areas[name] = d
        allp = areas["all"]
        return {"nato_europe": allp["nato_europe"], "rest_of_region": allp["rest_of_region"],
                "population_protected": allp["population_protected"], "population_total": allp["population_total"],
                "population_threatened": allp["population_threatened"],
                "fraction_protected": allp["fraction_protected"], "per_country": allp["by_country"],
                "threat_areas": {k: v for k, v in areas.items() if k != "all"}, "attrs": self.attrs}


def coverage_many(archs: list[Architecture], areas: list[str] | None = None, grid_deg: float | None = None,
                  step: float = DEFAULT_STEP_S, kind: str | None = None, progress=None,
                  executor=None, method: str = "fast") -> list[CoverageResult]:
    """Footprints of every (or the named) threat area, and of all of them together, with the
    population protected, for architectures facing the same threats (flights flown once), on
    ``executor`` (a `parallel.Executor`). ``progress(area, done, total)`` reports each batch;
    ``method``: "fast" or "exact" (`COVERAGE_METHODS`, see `footprints`)."""
    from .coverage import combine_footprints

    sc = archs[0].scenario
    areas = list(areas or sc.launch_areas)
    per_area = {}
    for a in areas:
        per_area[a] = footprints(archs, a, grid_deg, step, kind, executor=executor, method=method,
                                 progress=(lambda done, total, a=a: progress(a, done, total)) if progress else None)
    results = []
    for j in range(len(archs)):
        fps = {a: per_area[a][j] for a in areas}
        fps["all"] = combine_footprints([fps[a] for a in areas], "all")
        pops = {name: fp.protected_population() for name, fp in fps.items()}
        results.append(CoverageResult(fps, pops, fps[areas[0]].attrs if areas else {}, archs[j].scenario.year))
    return results


def coverage(arch: Architecture, areas: list[str] | None = None, grid_deg: float | None = None,
             step: float = DEFAULT_STEP_S, kind: str | None = None, progress=None, executor=None,
             method: str = "fast") -> CoverageResult:
    """Coverage of one architecture (see `coverage_many`)."""
    return coverage_many([arch], areas, grid_deg, step, kind, progress, executor, method=method)[0]


COOPERATION_OPTIONS = (
    ("NATO alone", "epaa-2018"),
    ("Separate systems sharing data", "cooperation-2011"),
    ("Sectors of responsibility", "sectoral-2010"),
)
"""The three answers of the 2010-2011 debate, as (label, built-in scenario)."""


@dataclass
class OptionsComparison:
    """Coverage of the cooperation options against the same threats on the same grid."""

    labels: list
    scenarios: list
    results: list  # CoverageResult per option

    def table(self) -> list[dict]:
        """One row per option: population protected (defended) on the whole grid, fraction,
        defended cells, the difference in population protected from the first option, and the
        NATO-Europe figures (``nato_europe_population_threatened``, ``..._defended``,
        ``nato_europe_fraction_defended_of_threatened``, ``nato_europe_difference_from_first``).
        Every option is counted with the NATO members of the first option's year
        (``membership_year``, ``membership_year_from``), so the rows compare the same people."""
        from .geography import nato_europe_population

        year = self.results[0].year
        base = self.results[0].population["all"].as_dict()["population_protected"]
        base_nato = None
        rows = []
        for label, name, res in zip(self.labels, self.scenarios, self.results):
            d = res.population["all"].as_dict()
            nato = nato_europe_population(res.population["all"], year)["nato_europe"]
            base_nato = nato["population_defended"] if base_nato is None else base_nato
            rows.append({"option": label, "scenario": name, "population_protected": d["population_protected"],
                         "fraction_protected": d["fraction_protected"],
                         "cells_defended": int(res.footprints["all"].defended.sum()),
                         "difference_from_first": d["population_protected"] - base,
                         "membership_year": nato["membership_year"],
                         "membership_year_from": nato["membership_year_from"],
                         "nato_europe_population_total": nato["population_total"],
                         "nato_europe_population_threatened": nato["population_threatened"],
                         "nato_europe_population_defended": nato["population_defended"],
                         "nato_europe_fraction_defended_of_threatened": nato["fraction_defended_of_threatened"],
                         "nato_europe_difference_from_first": nato["population_defended"] - base_nato})
        return rows


def compare_options(options=COOPERATION_OPTIONS, areas: list[str] | None = None, grid_deg: float | None = None,
                    step: float = DEFAULT_STEP_S, progress=None, known: dict | None = None,
                    executor=None, load=scen.load) -> OptionsComparison:
    """Coverage of each (label, scenario) option against the same threat areas and grid, in
    one pass over the flights. ``known`` maps scenario names to `CoverageResult` already
    computed with the same areas and grid (they are not recomputed). ``load(name)`` reads an
    option's scenario (e.g. `assumptions.loader`, to apply an assumption profile).
    ``progress(area, done, total)`` reports each batch."""
    known = known or {}
    archs = {name: Architecture.from_scenario(load(name)) for _, name in options if name not in known}
    results = dict(known)
    if archs:
        results.update(zip(archs, coverage_many(list(archs.values()), areas, grid_deg, step, progress=progress,
                                                executor=executor)))
    return OptionsComparison([label for label, _ in options], [name for _, name in options],
                             [results[name] for _, name in options])


# ---------------------------------------------------------------------------------------------
# The deterrent question (issue 8): strategic bases x aim points x batteries, per EPAA phase

DETERRENT_PHASES = ("epaa-2011", "epaa-2015", "epaa-2018", "epaa-phase4")
"""EPAA phases whose batteries and sensors face the deterrent scenario's flights."""

SENSOR_VARIANTS = ("scenario", "no-forward-radar", "no-space-cueing", "cue-as-track")
"""How the fire-control track time is obtained: the scenario's networks as given; without the
forward radar; without space-based launch detectors (no cueing); or the fused cue (space-based
launch report) taken as if it were a fire-control track (the optimistic timeline of kinematic
studies: a track as soon as the launch is reported)."""

FORWARD_RADAR = "kurecik-tpy2"
"""Name of the forward radar removed by the ``no-forward-radar`` variant."""

FLIGHT_SHAPES = ("minimum-energy", "depressed", "lofted")
"""Flight shapes of the deterrent study (`trajectory.aim` kinds)."""

SHAPE_APOGEE_FRACTION = {"depressed": 0.5, "lofted": 1.5}
"""Apogee of a depressed / lofted deterrent flight as a fraction of the minimum-energy apogee of
the same class between the same launch and aim points (free-flight apogee above WGS84).
NOTIONAL shieldsim convention, not taken from a source: depressed (lower, faster) and lofted
(higher, slower) ICBM and SLBM trajectories are discussed in the open literature, e.g.
'Depressed Trajectory SLBMs', Science & Global Security 3 (1992) 101-159 (L. Gronlund and
D. Wright; cited from a secondary listing, not verified against the original), but no
published fraction is used here. Results depend on it: run the study at other fractions
(``shieldsim deterrent --depressed-fraction/--lofted-fraction``) to see how much."""

SHAPE_CONVENTION_SOURCE = ("NOTIONAL: apogee = fraction x the pair's minimum-energy apogee (shieldsim convention); "
                           "depressed trajectories: 'Depressed Trajectory SLBMs', Science & Global Security 3 (1992) "
                           "101-159, not verified against the original")


def deterrent_flights(arch: Architecture, areas=None, aim_names=None, kind: str | None = None,
                      step: float = DEFAULT_STEP_S, apogee: float | None = None,
                      apogee_fraction: float | None = None):
    """Fly every threat class of every launch area (``areas``, default all) to every aim point
    (``aim_names``, default all) the class can reach on the requested trajectory (``kind``,
    default the scenario's). Lofted/depressed flights need an apogee: ``apogee`` in m, else
    ``apogee_fraction`` x the minimum-energy apogee of each pair (`SHAPE_APOGEE_FRACTION`), else
    the scenario's ``apogee_km``. Returns one `trajectory.Trajectory` (common time grid,
    NaN-padded), (N,) labels base, threat, aim_point, and a list of (base, threat, aim_point,
    reason) left out."""
    from .trajectory import Trajectory

    sc = arch.scenario
    areas = list(areas or sc.launch_areas)
    aims = scen.aim_points(sc)
    idx = np.array([k for k, n in enumerate(aims.names) if aim_names is None or n in aim_names], dtype=int)
    parts, base, threat, aim_pt, skipped = [], [], [], [], []
    for area in areas:
        pts = scen.launch_points(sc, area)
        for cls in sc.launch_areas[area].threats:
            shape = kind or sc.threats[cls].trajectory
            by_fraction = shape != "minimum-energy" and apogee is None and apogee_fraction is not None
            if shape != "minimum-energy" and apogee is None and not by_fraction and sc.threats[cls].apogee_km is None:
                raise ValueError(f"a {shape} flight of {cls!r} needs an apogee (none in the scenario); "
                                 "allowed: give one, e.g. 2000 km lofted or 600 km depressed")
            for p in range(len(pts.names)):
                name = area if len(pts.names) == 1 else f"{area}[{p}]"
                lat0, lon0 = np.full(idx.size, pts.lat[p]), np.full(idx.size, pts.lon[p])
                if by_fraction:
                    traj, kept, reasons = _fly_fraction_of_min_energy(arch, cls, lat0, lon0, aims.lat[idx],
                                                                      aims.lon[idx], step, shape, apogee_fraction)
                else:
                    traj, kept, reasons = fly_within_reach(arch, cls, lat0, lon0, aims.lat[idx], aims.lon[idx],
                                                           step=step, kind=shape, apogee=apogee)
                skipped += [(name, cls, aims.names[idx[i]], why) for i, why in reasons.items()]
                if traj is None:
                    continue
                parts.append(traj)
                base += [name] * kept.size
                threat += [cls] * kept.size
                aim_pt += [aims.names[idx[i]] for i in kept]
    if not parts:
        raise ValueError("no flight: no launch area reaches any aim point")
    traj = Trajectory.concat(parts)
    traj.labels = np.array([f"{b} {c} -> {a}" for b, c, a in zip(base, threat, aim_pt)], dtype=object)
    return traj, np.array(base, dtype=object), np.array(threat, dtype=object), np.array(aim_pt, dtype=object), skipped


def _fly_fraction_of_min_energy(arch: Architecture, cls: str, lat, lon, target_lat, target_lon, step, shape,
                                fraction: float):
    """`fly_within_reach` in ``shape`` with each pair's apogee ``fraction`` x its minimum-energy
    apogee (pairs the class cannot fly minimum-energy are left out with that reason)."""
    me, kept_me, reasons = fly_within_reach(arch, cls, lat, lon, target_lat, target_lon, step=step,
                                            kind="minimum-energy")
    if me is None:
        return None, kept_me, reasons
    traj, sub, why = fly_within_reach(arch, cls, lat[kept_me], lon[kept_me], target_lat[kept_me],
                                      target_lon[kept_me], step=step, kind=shape,
                                      apogee=fraction * np.asarray(me.apogee_alt, dtype=float))
    reasons.update({int(kept_me[i]): r for i, r in why.items()})
    return traj, kept_me[sub], reasons


def _variant_arch(arch: Architecture, variant: str, forward_radar: str = FORWARD_RADAR) -> Architecture:
    """The architecture with sensors removed from every network for a `SENSOR_VARIANTS` entry."""
    from .sensors import LaunchDetector, Network

    if variant in ("scenario", "cue-as-track"):
        return arch
    if variant == "no-forward-radar":
        def keep(s):
            return s.name != forward_radar
    elif variant == "no-space-cueing":
        def keep(s):
            return not isinstance(s, LaunchDetector)
    else:
        raise ValueError(f"unknown sensor variant {variant!r}; allowed: {', '.join(SENSOR_VARIANTS)}")
    nets = {}
    for name, net in arch.networks.items():
        sensors = [s for s in net.sensors if keep(s)]
        kept = {s.name for s in sensors}
        nets[name] = Network(net.name, sensors, net.latency, tuple(h for h in net.home if h in kept))
    return dataclasses.replace(arch, networks=nets)


def variant_tracks(arch: Architecture, traj, variant: str, forward_radar: str = FORWARD_RADAR) -> Tracks:
    """`battery_tracks` of each flight for each battery under a sensor variant
    (`SENSOR_VARIANTS`): the variant's sensors removed from every network (a removed own radar
    gives no own track); ``cue-as-track`` launches every battery on the fused cue of its network
    (whatever its ``launch_on``; the track sensor is then the cueing sensor), its guidance
    window unchanged."""
    a = _variant_arch(arch, variant, forward_radar)
    t = battery_tracks(a, traj)
    if variant == "cue-as-track" and arch.batteries:
        t.track_time = np.stack([t.timelines[n].cue_time for n in arch.battery_networks], axis=1)
        names = {n: np.array(list(t.timelines[n].sensor_names) + [""], dtype=object) for n in t.timelines}
        t.track_sensor = np.stack([names[n][t.timelines[n].cue_sensor] for n in arch.battery_networks], axis=1)
    return t


def variant_track_times(arch: Architecture, traj, variant: str, forward_radar: str = FORWARD_RADAR) -> np.ndarray:
    """(N, B) launch track time of each flight for each battery under a sensor variant
    (`variant_tracks`, without the guidance window)."""
    return variant_tracks(arch, traj, variant, forward_radar).track_time


def _finite_or_none(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def ship_engageable(arch: Architecture, traj, ships: list, variant: str, forward_radar: str = FORWARD_RADAR) -> np.ndarray:
    """(N, P) bool: which of N flights each of P swept ship batteries (`deterrent.ship_batteries`)
    can engage under a sensor variant (`SENSOR_VARIANTS`). The ships have no radar of their own:
    they launch and engage on the fused track (the cue, for ``cue-as-track``) of the scenario's
    first battery network, with no guidance window."""
    from .engagement import engage

    if not arch.batteries:
        raise ValueError(f"scenario {arch.name!r} has no battery network for the ship sweep to use")
    tl = variant_tracks(arch, traj, variant, forward_radar).timelines[arch.battery_networks[0]]
    track = tl.cue_time if variant == "cue-as-track" else tl.track_time
    return engage(traj, ships, track).engageable


@dataclass(frozen=True)
class DeterrentConfig:
    """What `deterrent_study` computes (its keyword arguments; see its docstring for each step).

    ``speeds_kms``: interceptor burnout speeds of the sweeps, km/s (None: 3 to 7 by 0.25);
    ``delays_s``: launch delays of the delay sweep, s; ``variants``: sensor variants of the
    scenario's own matrices; ``phases``: scenarios whose batteries face the same flights;
    ``sweep_variants``/``delay_variant``: timelines of the speed and delay sweeps (and of the ship
    sweep); ``ship_interceptor``: catalogue name or `interceptor.Interceptor` of the ship sweep
    (None: skip), ``ship_step_deg`` its grid, ``ship_bases`` its bases (None: western and SSBN
    bases present); ``areas``/``aim_names``: launch areas and aim points flown (None: all);
    ``kind``/``apogee`` (m): trajectory shape (None: the scenario's); ``apogee_fraction``:
    lofted/depressed apogee as a fraction of each pair's minimum-energy apogee (when ``apogee`` is
    None; `SHAPE_APOGEE_FRACTION`); ``step`` (s): threat sample
    step; ``min_speed``: compute each pair's minimum engaging speed; ``forward_radar``: the radar
    the ``no-forward-radar`` variant drops."""

    speeds_kms: tuple | None = None
    delays_s: tuple = (0.0, 30.0, 60.0, 120.0, 180.0, 300.0)
    variants: tuple = SENSOR_VARIANTS
    phases: tuple = DETERRENT_PHASES
    sweep_variants: tuple = ("scenario", "cue-as-track")
    delay_variant: str = "cue-as-track"
    ship_interceptor: object = "sm3-iia"
    ship_step_deg: float = 2.0
    ship_bases: tuple | None = None
    areas: tuple | None = None
    aim_names: tuple | None = None
    kind: str | None = None
    step: float = DEFAULT_STEP_S
    min_speed: bool = True
    forward_radar: str = FORWARD_RADAR
    apogee: float | None = None
    apogee_fraction: float | None = None

    def speeds(self) -> np.ndarray:
        """The sweep's burnout speeds, km/s."""
        if self.speeds_kms is None:
            return np.arange(3.0, 7.0 + 1e-9, 0.25)
        return np.asarray(self.speeds_kms, dtype=float)


@dataclass
class ShipSweep:
    """The ship-station sweep of `deterrent_study`: a ship with ``interceptor`` at each of
    ``lat_deg``/``lon_deg`` (sea points of ``sea_area``, every ``step_deg``) against the flights
    of ``bases``, on the ``timeline`` variant's track. ``engageable``: base -> (P,) bool (the
    ship there engages at least one of that base's flights); ``bases_engageable``: per position,
    how many bases; ``positions_engaging``: per base, how many positions."""

    interceptor: str
    interceptor_speed_kms: float
    timeline: str
    step_deg: float
    bases: list
    lat_deg: list
    lon_deg: list
    sea_area: list
    bases_engageable: list
    positions_engaging: dict
    positions: int
    engageable: dict

    def as_dict(self) -> dict:
        """The ``ships`` record of ``shieldsim deterrent --json`` (``engageable_by_base`` last)."""
        out = {k: getattr(self, k) for k in ("interceptor", "interceptor_speed_kms", "timeline", "step_deg", "bases",
                                             "lat_deg", "lon_deg", "sea_area", "bases_engageable",
                                             "positions_engaging", "positions")}
        out["engageable_by_base"] = {b: np.asarray(a).tolist() for b, a in self.engageable.items()}
        return out


@dataclass
class DeterrentStudy:
    """Everything `deterrent_study` computed (see its docstring)."""

    trajectories: object
    base: np.ndarray
    threat: np.ndarray
    aim_point: np.ndarray
    skipped: list
    matrices: dict  # variant -> deterrent.DeterrentMatrix (the batteries of ``phase``)
    sweeps: dict  # phase -> variant -> deterrent.speed_sweep dict (nominal delays)
    delay_sweeps: dict  # phase -> speed_sweep dict over delays x speeds (sweep variant)
    ships: ShipSweep | None
    phase_batteries: dict  # phase -> battery names
    phase_matrices: dict = field(default_factory=dict)  # phase -> variant -> DeterrentMatrix (nominal speeds)
    batteries: list = field(default_factory=list)  # the batteries of ``phase`` (columns of ``matrices``)
    attrs: dict = field(default_factory=dict)
    phase: str = ""  # the phase (scenario name) whose batteries and sensors ``matrices`` face
    shape: str = ""  # the flight shape flown ("minimum-energy", "depressed", "lofted")

    def as_dict(self, primary: str = "scenario") -> dict:
        """JSON-ready results. ``selection`` names what the top-level figures answer: the
        ``phase`` whose batteries and sensors face the flights, the flight ``shape`` and the
        ``primary`` sensor variant. ``pairs`` (that phase, all variants, each row with its
        ``variant`` and ``shape``), ``fraction_engageable`` per battery for the ``primary``
        variant, per-variant fractions and minimum speeds of the western bases (that phase);
        ``by_phase`` per phase and sweep variant; the speed and delay sweeps, the ship sweep."""
        from .deterrent import WESTERN_BASES

        pairs = []
        for v, mx in self.matrices.items():
            pairs += mx.pairs(variant=v, shape=self.shape)
        if self.matrices and primary not in self.matrices:
            raise ValueError(f"unknown sensor variant {primary!r}; allowed: {', '.join(self.matrices)}")
        prim = self.matrices.get(primary)
        sweeps = {}
        for ph, by_var in self.sweeps.items():
            sweeps[ph] = {}
            for v, sw in by_var.items():
                sweeps[ph][v] = {"speed_kms": (sw["speeds"] / 1e3).tolist(),
                                 "fraction_any": sw["fraction_any"][0].tolist(),
                                 "fraction": {b: sw["fraction"][0, :, j].tolist()
                                              for j, b in enumerate(self.phase_batteries[ph])}}
        delays = {}
        for ph, sw in self.delay_sweeps.items():
            delays[ph] = {"speed_kms": (sw["speeds"] / 1e3).tolist(), "delay_s": sw["delays"].tolist(),
                          "fraction_any": sw["fraction_any"].tolist()}
        apogee = np.asarray(getattr(self.trajectories, "apogee_alt", np.array([])), dtype=float)
        return {
            "selection": {"phase": self.phase, "variant": primary if self.matrices else None, "shape": self.shape},
            "pairs": pairs,
            "fraction_engageable": prim.fraction_engageable() if prim is not None else {},
            "fraction_engageable_by_variant": {v: m.fraction_engageable() for v, m in self.matrices.items()},
            "min_speed_kms_western_bases": {v: m.min_speed_by_base([b for b in WESTERN_BASES if b in set(m.base)])
                                            for v, m in self.matrices.items()},
            "by_phase": {ph: {v: {"fraction_engageable": m.fraction_engageable(),
                                  "min_speed_kms_western_bases": m.min_speed_by_base(
                                      [b for b in WESTERN_BASES if b in set(m.base)])}
                              for v, m in by_var.items()} for ph, by_var in self.phase_matrices.items()},
            "speed_sweep": sweeps,
            "delay_sweep": delays,
            "ships": self.ships and self.ships.as_dict(),
            "skipped_flights": [dict(base=b, threat=c, aim_point=a, reason=r) for b, c, a, r in self.skipped],
            "flights": int(len(self.base)),
            "apogee_km": {"min": _finite_or_none(np.nanmin(apogee) / 1e3) if np.isfinite(apogee).any() else None,
                          "max": _finite_or_none(np.nanmax(apogee) / 1e3) if np.isfinite(apogee).any() else None},
            "attrs": self.attrs,
        }

    def speed_curves(self) -> tuple[np.ndarray, dict, dict]:
        """Fraction of flights engageable by any battery against interceptor burnout speed at
        nominal timing, one curve per phase and sweep variant: (speeds in km/s, {"phase [variant]":
        fractions}, {"phase [variant]": (phase index, variant index)} for the line styles)."""
        speeds, curves, styles = np.array([]), {}, {}
        for c, (ph, by_var) in enumerate(self.sweeps.items()):
            for d, (v, sw) in enumerate(by_var.items()):
                label = f"{ph} [{v}]"
                curves[label], styles[label] = sw["fraction_any"][0], (c, d)
                speeds = sw["speeds"] / 1e3
        return speeds, curves, styles

    def to_report(self, variant: str = "cue-as-track", figures: bool = True, published=(), notes: str = ""):
        """The `report.DeterrentResult` of one sensor variant: its pairs (``margin_s`` > 0 is
        slack, < 0 the seconds the launch would have to come earlier), the speed-sensitivity
        plot of every phase and timeline, and the track map of that variant."""
        from . import plots
        from .results import DeterrentPair, DeterrentResult

        mx = self.matrices[variant]
        pairs = [DeterrentPair(base=r["base"], aim_point=r["aim_point"], battery=r["battery"],
                               engageable=r["engageable"], margin_s=r["margin_s"], min_speed_kms=r["min_speed_kms"],
                               threat=r["threat"]) for r in mx.pairs()]
        speed_fig, figs = None, []
        if figures and self.sweeps:
            speeds, curves, styles = self.speed_curves()
            speed_fig = plots.speed_figure(speeds, curves, "Fraction of ICBM flights engageable vs interceptor speed",
                                         styles=styles)
        if figures and self.batteries:
            figs.append(plots.tracks_figure(self.trajectories, mx, self.batteries,
                                          f"ICBM tracks and the parts each site can reach [{variant}]"))
        return DeterrentResult(pairs=pairs, fraction_engageable=None, speed_figure=speed_fig, figures=figs,
                               published=list(published),
                               notes=notes or f"Sensor variant '{variant}'; margin_s > 0 is slack before the latest "
                                              "launch, < 0 the seconds by which launch would have to come earlier.")


def deterrent_study(arch: Architecture, config: DeterrentConfig | None = None, *, progress=None, load=scen.load,
                    **options) -> DeterrentStudy:
    """The deterrent question for a scenario of strategic bases and aim points.

    1. Fly every base's classes to every aim point (`deterrent_flights`, scenario trajectory
       shape unless ``kind`` is given; lofted/depressed at ``apogee`` m, else at
       ``apogee_fraction`` x each pair's minimum-energy apogee, else the scenario's).
    2. For each sensor variant, the `deterrent.DeterrentMatrix` against the batteries and
       sensors of the last of ``phases`` (the scenario's own when ``phases`` is empty): the
       phase the top-level results answer for (`DeterrentStudy.phase`; engageable, window,
       margin, minimum speed).
    3. For each phase in ``phases`` (built-in scenario names; their batteries and sensors face the
       same flights): the matrix at the phase's own interceptor figures for each of
       ``sweep_variants``, and the fraction engageable against interceptor burnout speed (``speeds_kms``,
       default 3 to 7 by 0.25, applied to every battery) for each of ``sweep_variants``, and for
       ``delay_variant`` over launch delays x speeds.
    4. Ship stations: a ship with ``ship_interceptor`` (catalogue name or an
       `interceptor.Interceptor`; None = skip) at each sea
       point of `deterrent.SHIP_BOXES` every ``ship_step_deg``, against the flights of
       ``ship_bases`` (default the western bases present), with the ``delay_variant`` timeline of
       the scenario's first battery network.

    The options are the fields of `DeterrentConfig`, given as ``config`` or as keyword
    arguments (which override ``config``'s). ``load(name)`` reads a phase scenario (e.g. `assumptions.loader`, to apply an assumption
    profile). ``progress(stage, done, total)`` is called as work completes.
    """
    cfg = dataclasses.replace(config or DeterrentConfig(), **options)
    speeds = cfg.speeds()
    traj, base, threat, aim_pt, skipped = deterrent_flights(arch, cfg.areas, cfg.aim_names, cfg.kind, cfg.step,
                                                            cfg.apogee, cfg.apogee_fraction)
    shape = cfg.kind or ",".join(dict.fromkeys(arch.scenario.threats[c].trajectory for c in dict.fromkeys(threat)))
    flights = (traj, base, threat, aim_pt)
    total = len(cfg.variants) + len(cfg.phases) * (len(cfg.sweep_variants) + 1) + (1 if cfg.ship_interceptor else 0)
    tick = _Ticks(progress, total)
    phase_arch = {ph: arch if ph == arch.name else Architecture.from_scenario(load(ph)) for ph in cfg.phases}
    primary = list(cfg.phases)[-1] if len(cfg.phases) else arch.name  # the phase the top level answers for
    prim_arch = phase_arch.get(primary, arch)
    matrices = {}
    for v in cfg.variants:
        matrices[v] = _variant_matrix(prim_arch, flights, v, cfg)
        tick("matrix")
    sweeps, delay_sweeps, phase_bats, phase_mx = {}, {}, {}, {}
    for ph in cfg.phases:
        pa = phase_arch[ph]
        phase_bats[ph] = [b.name for b in pa.batteries]
        phase_mx[ph], sweeps[ph], delay_sweeps[ph] = _phase_sweeps(pa, flights, speeds, cfg, tick,
                                                                   known=matrices if ph == primary else None)
    ships = None
    if cfg.ship_interceptor:
        ships = _ship_sweep(arch, traj, base, cfg)
        tick("ships")
    by_fraction = cfg.apogee is None and cfg.apogee_fraction is not None and shape != "minimum-energy"
    attrs = provenance(arch, trajectory=shape, apogee_km=None if cfg.apogee is None else cfg.apogee / 1e3,
                       apogee_fraction_of_minimum_energy=cfg.apogee_fraction if by_fraction else None,
                       apogee_convention=SHAPE_CONVENTION_SOURCE if by_fraction else None, phase=primary,
                       step_s=cfg.step, variants=list(cfg.variants),
                       phases=list(cfg.phases), forward_radar=cfg.forward_radar, delay_variant=cfg.delay_variant,
                       ship_timeline=cfg.delay_variant,
                       speed_kms=[float(speeds[0]), float(speeds[-1]), float(speeds[1] - speeds[0]) if speeds.size > 1 else 0.0],
                       delays_s=list(map(float, cfg.delays_s)))
    return DeterrentStudy(traj, base, threat, aim_pt, skipped, matrices, sweeps, delay_sweeps, ships, phase_bats,
                          phase_mx, list(prim_arch.batteries), attrs, phase=primary, shape=shape)


class _Ticks:
    """``progress(stage, done, total)`` called once per finished step of a study (no-op without it)."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress or (lambda *a: None), total, 0

    def __call__(self, stage: str) -> None:
        self.done += 1
        self.progress(stage, self.done, self.total)


def _variant_matrix(arch: Architecture, flights: tuple, variant: str, cfg: DeterrentConfig, tr: Tracks | None = None):
    """The `deterrent.DeterrentMatrix` of ``flights`` (trajectories, base, threat, aim point)
    against ``arch``'s batteries on ``variant``'s tracks (``tr``, computed when not given)."""
    from . import deterrent as det

    traj, base, threat, aim_pt = flights
    tr = tr or variant_tracks(arch, traj, variant, cfg.forward_radar)
    return det.deterrent_matrix(traj, arch.batteries, tr.track_time, base, threat, aim_pt,
                                min_speed=cfg.min_speed, intercept_window=tr.intercept_window,
                                attrs=provenance(arch, variant=variant, trajectory=cfg.kind or "scenario"))


def _phase_sweeps(pa: Architecture, flights: tuple, speeds: np.ndarray, cfg: DeterrentConfig, tick, known=None):
    """One phase: (variant -> matrix, variant -> speed sweep at nominal timing, the delay sweep
    over ``cfg.delays_s`` x speeds on the ``cfg.delay_variant`` timeline). ``known``: matrices of
    this phase and these flights already computed, by variant (reused)."""
    from . import deterrent as det

    traj = flights[0]
    matrices, sweeps = {}, {}
    for v in cfg.sweep_variants:
        tr = variant_tracks(pa, traj, v, cfg.forward_radar)
        matrices[v] = known[v] if known and v in known else _variant_matrix(pa, flights, v, cfg, tr)
        sweeps[v] = det.speed_sweep(traj, pa.batteries, tr.track_time, speeds * 1e3, intercept_window=tr.intercept_window)
        tick("sweep")
    tr = variant_tracks(pa, traj, cfg.delay_variant, cfg.forward_radar)
    delay = det.speed_sweep(traj, pa.batteries, tr.track_time, speeds * 1e3, cfg.delays_s,
                            intercept_window=tr.intercept_window)
    tick("sweep")
    return matrices, sweeps, delay


def _ship_sweep(arch: Architecture, traj, base: np.ndarray, cfg: DeterrentConfig) -> ShipSweep | None:
    """The `ShipSweep` of ``cfg.ship_interceptor`` over the sea boxes (None when no chosen base
    has flights or the scenario has no battery network to cue the ships)."""
    from . import deterrent as det
    from .interceptor import Interceptor, catalogue, find

    icp = cfg.ship_interceptor
    icp = icp if isinstance(icp, Interceptor) else find(icp, catalogue())
    chosen = (list(cfg.ship_bases) if cfg.ship_bases is not None else
              [b for b in dict.fromkeys(base.tolist()) if b in det.WESTERN_BASES or det.launch_area(b) in det.SSBN_AREAS])
    sel = np.isin(base, chosen)
    lat, lon, box = det.sea_positions(step_deg=cfg.ship_step_deg)
    if not (sel.any() and arch.batteries):
        return None
    eng = ship_engageable(arch, traj.subset(sel), det.ship_batteries(icp, lat, lon), cfg.delay_variant,
                          cfg.forward_radar)  # (n_sel, P)
    per_base = {b: eng[base[sel] == b].any(axis=0) for b in chosen}
    counts = np.sum([per_base[b] for b in chosen], axis=0)
    return ShipSweep(interceptor=icp.name, interceptor_speed_kms=icp.burnout_speed / 1e3, timeline=cfg.delay_variant,
                     step_deg=cfg.ship_step_deg, bases=chosen, lat_deg=lat.tolist(), lon_deg=lon.tolist(),
                     sea_area=box.tolist(), bases_engageable=counts.tolist(),
                     positions_engaging={b: int(per_base[b].sum()) for b in chosen}, positions=int(lat.size),
                     engageable=per_base)


@dataclass
class DeterrentShapes:
    """`deterrent_study` once per flight shape: ``studies`` {shape: `DeterrentStudy`} in the
    order asked (the first is the one the top-level results answer for), ``fractions`` {shape:
    apogee as a fraction of the minimum-energy apogee, None for minimum-energy or when an
    absolute ``apogee`` was given}."""

    studies: dict
    fractions: dict = field(default_factory=dict)

    @property
    def first(self) -> DeterrentStudy:
        return next(iter(self.studies.values()))

    def as_dict(self, primary: str = "scenario") -> dict:
        """The first shape's `DeterrentStudy.as_dict` at the top level (its ``selection`` names
        phase, variant and shape), plus ``shapes``, the apogee convention (``shape_apogee``),
        ``fraction_engageable_by_shape`` {shape: {battery: fraction}} (the selected phase and
        variant, side by side) and ``by_shape`` {shape: that shape's full results}."""
        by_shape = {k: st.as_dict(primary) for k, st in self.studies.items()}
        out = dict(next(iter(by_shape.values())))
        out["shapes"] = list(self.studies)
        out["shape_apogee"] = {"fraction_of_minimum_energy": dict(self.fractions), "source": SHAPE_CONVENTION_SOURCE}
        out["fraction_engageable_by_shape"] = {k: d["fraction_engageable"] for k, d in by_shape.items()}
        out["flights_by_shape"] = {k: d["flights"] for k, d in by_shape.items()}
        out["by_shape"] = by_shape
        return out

    def to_report(self, variant: str = "cue-as-track", figures: bool = True, published=(), notes: str = ""):
        """The first shape's `DeterrentStudy.to_report`, with the fraction engageable of every
        shape side by side (``by_shape``, ``flights_by_shape``)."""
        rep = self.first.to_report(variant, figures=figures, published=published, notes=notes)
        rep.by_shape = {k: st.matrices[variant].fraction_engageable() for k, st in self.studies.items()
                        if variant in st.matrices}
        rep.flights_by_shape = {k: int(len(st.base)) for k, st in self.studies.items()}
        rep.shape_note = (f"Depressed and lofted flights reach apogee at {self.fractions.get('depressed')} and "
                          f"{self.fractions.get('lofted')} times each pair's minimum-energy apogee "
                          f"({SHAPE_CONVENTION_SOURCE}); pairs a class cannot fly in a shape are left out, so "
                          "the shapes may count different flights.")
        return rep


def deterrent_shapes(arch: Architecture, shapes=FLIGHT_SHAPES, fractions=None, apogee: float | None = None,
                     progress=None, **kwargs) -> DeterrentShapes:
    """`deterrent_study` for each of ``shapes`` (`FLIGHT_SHAPES` kinds): depressed and lofted
    flights at ``fractions`` {shape: fraction} (default `SHAPE_APOGEE_FRACTION`) of each pair's
    minimum-energy apogee, or at ``apogee`` m for all when given. ``kwargs`` go to
    `deterrent_study`; ``progress(stage, done, total)`` counts the work of all shapes (the stage
    prefixed by the shape)."""
    fr = dict(SHAPE_APOGEE_FRACTION, **(fractions or {}))
    shapes = list(dict.fromkeys(shapes))
    bad = [k for k in shapes if k not in FLIGHT_SHAPES]
    if bad or not shapes:
        raise ValueError(f"unknown flight shape {', '.join(bad) or '(none)'}; allowed: {', '.join(FLIGHT_SHAPES)}")
    studies, used = {}, {}
    for n, k in enumerate(shapes):
        def report(stage, done, total, k=k, n=n):
            if progress:
                progress(f"{k}: {stage}", n * total + done, len(shapes) * total)

        frac = None if (k == "minimum-energy" or apogee is not None) else fr[k]
        studies[k] = deterrent_study(arch, kind=k, apogee=None if k == "minimum-energy" else apogee,
                                     apogee_fraction=frac, progress=report, **kwargs)
        used[k] = frac
    return DeterrentShapes(studies, used)
