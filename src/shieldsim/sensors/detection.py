"""Detection and track timelines: when each threat is seen, cued and tracked, per sensor and network.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .devices import Network, Radar
from .geometry import _radar_tables
from .kernels import _boost_sight
from .sweep import _radar_batch


@dataclass
class Timeline:
    """When each of N threats is seen and tracked by S sensors, and by the network as a whole.

    All times are seconds after the threat's launch; NaN where never.

    Attributes:
        sensor_names, sensor_kinds: (S,) names and ``"radar"`` / ``"launch-detector"``.
        fire_control: (S,) whether the sensor's tracks are fire-control quality.
        first_detection: (N, S) first moment the sensor detects the threat.
        sensor_track_time: (N, S) when the radar has a track (with any cue it received; NaN
            for launch detectors).
        sensor_report_time: (N, S) when the sensor's report exists at the sensor: a radar's
            track, a launch detector's first sight plus its latency.
        cued: (N, S) True where a cue made the radar's track earlier than its own search would.
        cue_time: (N,) earliest report of the threat at the fire-control node (fused cue).
        cue_sensor: (N,) index of the sensor that gave it, -1 if none.
        track_time: (N,) earliest fire-control-quality track at the fire-control node.
        track_sensor: (N,) index of the sensor that gave it, -1 if none.
        visible_start, visible_end: (N, S, K) intervals inside the sensor's geometric coverage
            (horizon, elevation, field of regard, instrumented range; for a launch detector: boost
            above its altitude), NaN-padded, in time order.
        detect_start, detect_end: (N, S, K) intervals in which the threat is also within the
            RCS-scaled detection range.
        network, latency, home: the data-sharing arrangement used.
        separation_time: (N,) when the re-entry vehicle separates from the missile body (s
            after launch): radars see the body (``body_rcs``) before it, the warhead after.
        track_on: (N,) what the fused fire-control track was formed on: ``"body"`` (formed
            before separation), ``"warhead"``, or ``""`` (no track).
    """

    sensor_names: tuple
    sensor_kinds: tuple
    fire_control: np.ndarray
    first_detection: np.ndarray
    sensor_track_time: np.ndarray
    sensor_report_time: np.ndarray
    cued: np.ndarray
    cue_time: np.ndarray
    cue_sensor: np.ndarray
    track_time: np.ndarray
    track_sensor: np.ndarray
    visible_start: np.ndarray
    visible_end: np.ndarray
    detect_start: np.ndarray
    detect_end: np.ndarray
    network: str = ""
    latency: float = 0.0
    home: tuple = ()
    separation_time: np.ndarray | None = None
    track_on: np.ndarray | None = None

    def __len__(self) -> int:
        return self.cue_time.shape[0]

    def intervals(self, threat: int, sensor: int, kind: str = "detect") -> list[tuple[float, float]]:
        """The (start, end) intervals, seconds after launch, of one threat in one sensor's
        coverage: ``kind`` "detect" (detectable) or "visible" (geometric coverage)."""
        start = self.detect_start if kind == "detect" else self.visible_start
        end = self.detect_end if kind == "detect" else self.visible_end
        ok = np.isfinite(start[threat, sensor])
        return list(zip(start[threat, sensor][ok].tolist(), end[threat, sensor][ok].tolist()))


def _first_feasible(start, end, ready, delay):
    """Earliest t + delay (s) with t >= ready inside an interval [start, end] such that
    t + delay <= end; intervals along the last axis (NaN-padded). NaN if none or if ready
    is NaN (no cue); ready = -inf gives the radar's own search (count from an interval start).
    ``delay``: a number, or an array broadcasting against ``start`` (e.g. (S, 1) for (N, S, K)
    intervals of S radars: every radar's column in one call, each element computed as alone)."""
    t = np.maximum(start, ready[..., None])  # NaN (no cue) stays NaN
    ok = np.isfinite(t) & (end - t >= delay - 1e-9)
    cand = np.where(ok, t + delay, np.nan)
    return np.fmin.reduce(cand, axis=-1, initial=np.nan) if cand.shape[-1] else np.full(ready.shape, np.nan)


def _used_intervals(start, end):
    """(start, end) (N, S, K) interval arrays without the slots no threat and sensor uses (start
    NaN everywhere in them): `_first_feasible` gives the same times on them (an unused slot
    offers no time), over the one or two slots most flights use instead of all K."""
    used = np.isfinite(start).any(axis=(0, 1))
    if used.all():
        return start, end
    return start[..., used], end[..., used]


def detect(trajectories, sensors_or_network, max_intervals: int = 8, skip: bool = True,
           shared: CoverageMemo | None = None) -> Timeline:
    """Detection and track timeline of N threat flights in a set of sensors.

    Args:
        trajectories: a `trajectory.Trajectory` (N flights sampled from launch; ``rcs`` per
            threat; Earth model from ``trajectories.models``).
        sensors_or_network: a `Network`, or a list of `Radar` / `LaunchDetector` taken as one
            system sharing its reports instantly (a network with zero latency).
        max_intervals: coverage intervals stored per threat and sensor (K).
        skip: pass over the samples whose coverage status is proved unchanged (`sweep`); False
            tests every sample (the same timeline, slower: the reference for tests and benchmarks).
        shared: a `CoverageMemo` of these same trajectories: each radar's coverage is read from
            it when an equal radar was computed before (another network with the same radar),
            else computed and kept there. The timeline is the same either way.

    Returns:
        A `Timeline` (seconds after each threat's launch, NaN = never). See the package
        docstring for the coverage, track, cueing and sharing models.

    Steps: each sensor's coverage intervals (`_radar_coverage`, `_launch_sight`), the tracks
    radars form once cued by each other's reports (`_cued_tracks`), then the fused cue and
    track at the fire-control node (`_timeline`).
    """
    net = _as_network(sensors_or_network)
    sensors = list(net.sensors)
    n = len(trajectories)
    cov = _Coverage.empty(n, len(sensors), int(max_intervals))
    rcs, body_rcs, separation = phase_rcs(trajectories)
    is_radar = np.array([isinstance(s, Radar) for s in sensors], dtype=bool)
    if shared is None:
        own_track, cued_delay = _radar_coverage(trajectories, sensors, is_radar, rcs, body_rcs, separation, cov, skip)
    else:
        own_track, cued_delay = shared.coverage(trajectories, sensors, is_radar, (rcs, body_rcs, separation), cov,
                                                skip)
    _launch_sight(trajectories, sensors, is_radar, cov, shared)
    track = _cued_tracks(net, sensors, is_radar, own_track, cued_delay, cov)
    return _timeline(net, sensors, is_radar, own_track, track, separation, cov)


def _as_network(sensors_or_network) -> Network:
    """The `Network` given, or a list of sensors as one system sharing reports instantly."""
    if isinstance(sensors_or_network, Network):
        return sensors_or_network
    sensors = list(sensors_or_network)
    return Network("sensors", sensors, 0.0, tuple(s.name for s in sensors))


@dataclass
class _Coverage:
    """The per-sensor arrays `detect` fills: (N, S, K) interval starts and ends in coverage
    (``vis_*``) and in detection range (``det_*``), (N, S) first detection and report time."""

    vis_start: np.ndarray
    vis_end: np.ndarray
    det_start: np.ndarray
    det_end: np.ndarray
    first: np.ndarray
    report: np.ndarray

    @classmethod
    def empty(cls, n: int, s_count: int, kmax: int) -> _Coverage:
        return cls(np.full((n, s_count, kmax), np.nan), np.full((n, s_count, kmax), np.nan),
                   np.full((n, s_count, kmax), np.nan), np.full((n, s_count, kmax), np.nan),
                   np.full((n, s_count), np.nan), np.full((n, s_count), np.nan))


def _radar_coverage(trajectories, sensors, is_radar, rcs, body_rcs, separation, cov: _Coverage, skip: bool = True):
    """Fill ``cov`` for the radars (compiled `sweep._radar_batch`); returns each sensor's
    track from its own search ((N, S), NaN for launch detectors) and its cued track delay (S,)."""
    n, s_count, kmax = cov.vis_start.shape
    radar_idx = np.flatnonzero(is_radar)
    radars = [sensors[j] for j in radar_idx]
    own_track = np.full((n, s_count), np.nan)
    cued_delay = np.zeros(s_count)
    if not (radars and n):
        return own_track, cued_delay
    vis, det, own, delay = _radar_sweep(trajectories, radars, rcs, body_rcs, separation, kmax, skip)
    cov.vis_start[:, radar_idx], cov.vis_end[:, radar_idx] = vis[..., 0], vis[..., 1]
    cov.det_start[:, radar_idx], cov.det_end[:, radar_idx] = det[..., 0], det[..., 1]
    cov.first[:, radar_idx] = det[:, :, 0, 0]
    cued_delay[radar_idx] = delay
    own_track[:, radar_idx] = own
    return own_track, cued_delay


def _radar_sweep(trajectories, radars, rcs, body_rcs, separation, kmax: int, skip: bool = True):
    """Coverage of N flights in R radars (compiled `sweep._radar_batch`): (vis, det, own, delay):
    the (N, R, K, 2) start and end of the intervals in coverage and in detection range
    (NaN-padded), each radar's track from its own search (N, R) and its cued track delay (R,)."""
    earth = trajectories.models.earth
    n = len(trajectories)
    time = np.ascontiguousarray(trajectories.time, dtype=float)
    pos = np.ascontiguousarray(trajectories.position, dtype=float)
    vel = np.ascontiguousarray(trajectories.velocity, dtype=float)
    rdet = np.ascontiguousarray(np.stack([np.stack([r.detection_range(body_rcs), r.detection_range(rcs)], axis=1)
                                          for r in radars], axis=1))  # (N, S, 2): body, warhead
    vis = np.full((n, len(radars), kmax, 2), np.nan)
    det = np.full((n, len(radars), kmax, 2), np.nan)
    nvis = np.zeros((n, len(radars)), dtype=np.int64)
    ndet = np.zeros((n, len(radars)), dtype=np.int64)
    params, rays, tables = _radar_tables(tuple(radars), earth)
    if not skip:
        tables = np.zeros(tables.shape[:-1] + (0,))
    _radar_batch(time, pos, vel, rdet, np.ascontiguousarray(separation), params, rays, tables, earth.equatorial_radius,
                 earth.polar_radius, vis, det, nvis, ndet)
    if (nvis > kmax).any() or (ndet > kmax).any():
        warnings.warn(f"more than {kmax} coverage intervals for some threat and sensor; only the first "
                      f"{kmax} are kept (raise max_intervals)", RuntimeWarning, stacklevel=4)
    delay = np.array([r.cued_track_delay for r in radars], dtype=float)
    # uncued: the count starts at an interval's start only (ready from -inf); all radars at once
    own = _first_feasible(*_used_intervals(det[..., 0], det[..., 1]), np.full((n, len(radars)), -np.inf),
                          np.array([[r.track_delay] for r in radars], dtype=float))
    return vis, det, own, delay


class CoverageMemo:
    """Each radar's coverage of one set of flights (``trajectories``), kept for the `detect`
    calls of several networks that share radars (the cooperation options' networks, the EPAA
    phases' networks over the same flights): a radar is computed once per equal `Radar` (every
    figure compared) and interval count; its columns do not depend on the other radars of the
    network (the kernel treats every threat x radar pair on its own), so the timelines are the
    ones `detect` computes without it. Launch detectors' first sight is kept the same way, by
    altitude (`_launch_sight`). Belongs to whoever holds the flights, and must not outlive them
    (``trajectories`` is checked by identity).

    Kept: the arrays of each kernel call (a block: `_radar_sweep`'s outputs) and, per radar, its
    block and column; a `detect` call gathers its radars' columns block by block (one indexed
    copy per array). A radar object met before is found by identity first (no hashing of its
    figures), else by equality."""

    def __init__(self, trajectories):
        self.trajectories = trajectories
        # (radar, K, skip) -> (block, column), block = `_radar_sweep`'s (vis, det, own, delay);
        # ("sight", min_altitude) -> first sight (N,) of a launch detector
        self.columns: dict = {}
        self._by_id: dict = {}  # (id(radar), K, skip) -> (radar, block, column): the same entries by identity
        self.computed = self.reused = 0

    def _find(self, radar, kmax: int, skip: bool):
        """(block, column) of a radar kept for (K, skip), None if none is."""
        key = (id(radar), kmax, skip)
        hit = self._by_id.get(key)
        if hit is not None and hit[0] is radar:
            return hit[1], hit[2]
        found = self.columns.get((radar, kmax, skip))
        if found is not None:
            self._by_id[key] = (radar, *found)
        return found

    def _sweep(self, radars, phases, kmax: int, skip: bool) -> None:
        """Compute the radars of the list (each not kept yet; no two equal) in one kernel call."""
        block = _radar_sweep(self.trajectories, radars, *phases, kmax, skip)
        for c, r in enumerate(radars):
            self.columns[(r, kmax, skip)] = (block, c)

    def prefetch(self, sensors, max_intervals: int = 8, skip: bool = True) -> None:
        """Compute the radars among ``sensors`` not kept yet in one kernel call, for `detect` calls
        to come with these ``max_intervals`` and ``skip`` (the networks of several architectures
        over these flights): the columns are the ones computed network by network."""
        kmax = int(max_intervals)
        radars = list(dict.fromkeys(s for s in sensors if isinstance(s, Radar)))
        missing = [r for r in radars if self._find(r, kmax, skip) is None]
        self.computed += len(missing)
        self.reused += len(radars) - len(missing)
        if missing:
            self._sweep(missing, phase_rcs(self.trajectories), kmax, skip)

    def coverage(self, trajectories, sensors, is_radar, phases, cov: _Coverage, skip: bool = True):
        """`_radar_coverage` of ``sensors`` through the memo (``phases``: `phase_rcs`)."""
        if trajectories is not self.trajectories:
            raise ValueError("a CoverageMemo serves only the trajectories it was made for")
        n, s_count, kmax = cov.vis_start.shape
        cols = np.flatnonzero(is_radar)
        found = [self._find(sensors[j], kmax, skip) for j in cols]
        missing = list(dict.fromkeys(sensors[j] for j, f in zip(cols, found) if f is None))
        self.computed += len(missing)
        self.reused += cols.size - len(missing)
        own_track = np.full((n, s_count), np.nan)
        cued_delay = np.zeros(s_count)
        if missing:
            self._sweep(missing, phases, kmax, skip)
            found = [self._find(sensors[j], kmax, skip) for j in cols]
        groups: dict = {}  # id(block) -> (block, columns in cov, columns in the block)
        for j, (block, c) in zip(cols, found):
            group = groups.setdefault(id(block), (block, [], []))
            group[1].append(j)
            group[2].append(c)
        for (vis, det, own, delay), js, cs in groups.values():
            js, cs = np.array(js), np.array(cs)
            cov.vis_start[:, js], cov.vis_end[:, js] = vis[..., 0][:, cs], vis[..., 1][:, cs]
            cov.det_start[:, js], cov.det_end[:, js] = det[..., 0][:, cs], det[..., 1][:, cs]
            cov.first[:, js] = det[:, :, 0, 0][:, cs]
            own_track[:, js] = own[:, cs]
            cued_delay[js] = delay[cs]
        return own_track, cued_delay


def _launch_sight(trajectories, sensors, is_radar, cov: _Coverage, shared: CoverageMemo | None = None) -> None:
    """Fill ``cov`` for the launch detectors: boost seen above their altitude until burnout
    (compiled `kernels._boost_sight`), reported after their latency. ``shared``: a `CoverageMemo`
    of ``trajectories`` keeping each first sight by altitude (all it depends on besides the
    flights), so detectors met again in other networks are not swept again."""
    earth = trajectories.models.earth
    n = len(trajectories)
    if shared is not None and trajectories is not shared.trajectories:
        raise ValueError("a CoverageMemo serves only the trajectories it was made for")
    time = np.ascontiguousarray(trajectories.time, dtype=float)
    pos = np.ascontiguousarray(trajectories.position, dtype=float)
    vel = np.ascontiguousarray(trajectories.velocity, dtype=float)
    burnout = np.ascontiguousarray(np.broadcast_to(np.asarray(trajectories.burnout_time, dtype=float), (n,)))
    for j, s in enumerate(sensors):
        if is_radar[j]:
            continue
        key = ("sight", float(s.min_altitude))
        seen = shared.columns.get(key) if shared is not None else None
        if seen is None:
            seen = np.empty(n)
            if n:
                _boost_sight(time, pos, vel, burnout, float(s.min_altitude), earth.equatorial_radius,
                             earth.polar_radius, seen)
            if shared is not None:
                shared.columns[key] = seen
        cov.first[:, j] = seen
        cov.report[:, j] = seen + s.latency
        cov.vis_start[:, j, 0] = cov.det_start[:, j, 0] = seen
        cov.vis_end[:, j, 0] = cov.det_end[:, j, 0] = np.where(np.isfinite(seen), burnout, np.nan)


def _links(net: Network, sensors) -> tuple[np.ndarray, np.ndarray]:
    """Delay (s) of a report from sensor s to sensor r, (S, S) (inf on the diagonal: a sensor
    does not cue itself), and to the fire-control node, (S,): none between home sensors."""
    home = np.array([s.name in net.home for s in sensors], dtype=bool)
    link = np.where(home[:, None] & home[None, :], 0.0, float(net.latency))
    np.fill_diagonal(link, np.inf)  # a sensor does not cue itself
    to_fc = np.where(home, 0.0, float(net.latency))
    return link, to_fc


def _cued_tracks(net: Network, sensors, is_radar, own_track, cued_delay, cov: _Coverage) -> np.ndarray:
    """(N, S) radar track times once every report cues the others (iterated to a fixed point;
    a report is a radar's track or a launch detector's sight plus latency). Updates
    ``cov.report`` for the radars."""
    s_count = len(sensors)
    radar_idx = np.flatnonzero(is_radar)
    link, _ = _links(net, sensors)
    report = cov.report
    track = own_track.copy()
    report[:, is_radar] = track[:, is_radar]
    start, end = _used_intervals(cov.det_start[:, radar_idx], cov.det_end[:, radar_idx])  # (N, R, K'), every round
    delay = np.asarray(cued_delay, dtype=float)[radar_idx, None]
    own = own_track[:, radar_idx]
    link_in = link[:, radar_idx]  # (S, R): from every sensor to each radar
    cue_in = np.empty((report.shape[0], radar_idx.size))
    for _ in range(s_count + 1):
        cue_in.fill(np.nan)  # earliest report reaching each radar, source by source (fmin skips NaN)
        for s in range(s_count):
            np.fmin(cue_in, report[:, s, None] + link_in[s], out=cue_in)
        new = track.copy()
        new[:, radar_idx] = np.fmin(own, _first_feasible(start, end, cue_in, delay))
        if np.array_equal(new, track, equal_nan=True):
            break
        track = new
        report[:, is_radar] = track[:, is_radar]
    return track


def _timeline(net: Network, sensors, is_radar, own_track, track, separation, cov: _Coverage) -> Timeline:
    """The `Timeline`: the fused cue and fire-control track at the fire-control node, and what
    the track was formed on (body or warhead)."""
    n = own_track.shape[0]
    _, to_fc = _links(net, sensors)
    report = cov.report
    cued = is_radar[None, :] & np.isfinite(track) & ~(track >= own_track)
    fc = np.array([bool(getattr(s, "fire_control", False)) for s in sensors], dtype=bool)
    at_fc = report + to_fc[None, :]
    cue_time, cue_sensor = _earliest(at_fc)
    track_time, track_sensor = _earliest(np.where(fc[None, :] & is_radar[None, :], at_fc, np.nan))
    sensor_track = np.where(is_radar[None, :], track, np.nan)
    formed = np.full(n, np.nan)  # when the fused track was formed at its sensor
    has = track_sensor >= 0
    formed[has] = sensor_track[np.flatnonzero(has), track_sensor[has]]
    track_on = np.full(n, "", dtype=object)
    body = formed < separation
    track_on[has & body] = "body"
    track_on[has & ~body] = "warhead"
    return Timeline(
        sensor_names=tuple(s.name for s in sensors),
        sensor_kinds=tuple("radar" if isinstance(s, Radar) else "launch-detector" for s in sensors),
        fire_control=fc, first_detection=cov.first, sensor_track_time=sensor_track, sensor_report_time=report,
        cued=cued, cue_time=cue_time, cue_sensor=cue_sensor, track_time=track_time, track_sensor=track_sensor,
        visible_start=cov.vis_start, visible_end=cov.vis_end, detect_start=cov.det_start, detect_end=cov.det_end,
        network=net.name, latency=float(net.latency), home=tuple(net.home),
        separation_time=np.asarray(separation, dtype=float), track_on=track_on,
    )


def phase_rcs(trajectories):
    """What a radar sees, phase by phase: (rcs, body_rcs, separation_time), each (N,).

    Before ``separation_time`` (s after launch) the radar sees the missile body, of cross-section
    ``body_rcs`` (m^2); from then on the re-entry vehicle, of ``rcs``. Taken from the trajectory's
    ``body_rcs`` (never below the warhead's rcs: a non-separating missile such as a Scud is its
    own warhead) and ``separation_time``; without them there is no body phase (``rcs`` from
    launch) and the vehicle separates at burnout. `trajectory.aim` fills ``body_rcs`` from the
    threat class (`missile.Missile.body_rcs`, default `missile.BODY_RCS`).
    Spent stages and the post-boost body, which fly on alongside the warhead, are not modelled
    as separate objects (no discrimination model): after separation only the warhead counts.
    Aspect dependence is not modelled (no public source gives it for these classes)."""
    n = len(trajectories)
    rcs = np.ascontiguousarray(np.broadcast_to(np.asarray(trajectories.rcs, dtype=float), (n,)))
    body = getattr(trajectories, "body_rcs", None)
    body = rcs if body is None else np.broadcast_to(np.asarray(body, dtype=float), (n,))
    sep = getattr(trajectories, "separation_time", None)
    sep = trajectories.burnout_time if sep is None else sep
    sep = np.ascontiguousarray(np.broadcast_to(np.asarray(sep, dtype=float), (n,)))
    return rcs, np.ascontiguousarray(np.maximum(body, rcs)), sep


def _earliest(times):
    """Row-wise earliest finite value of (N, S) and its column (-1 where none)."""
    if times.shape[1] == 0:
        return np.full(times.shape[0], np.nan), np.full(times.shape[0], -1, dtype=np.int64)
    filled = np.where(np.isfinite(times), times, np.inf)
    idx = np.argmin(filled, axis=1)
    best = filled[np.arange(times.shape[0]), idx]
    found = np.isfinite(best)
    return np.where(found, best, np.nan), np.where(found, idx, -1).astype(np.int64)
