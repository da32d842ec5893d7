"""Tracks: what each battery of an architecture may fire on, and the sensor variants.

`battery_tracks` detects the flights in every network a battery fires on (`sensors.detect`)
and applies each battery's ``launch_on``/``engage_on``/``own_radars``; `engage_flights` engages
on those tracks (the path every study command uses). A sensor variant (`SENSOR_VARIANTS`)
removes sensors from every network or launches on the cue (`variant_tracks`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .architecture import Architecture


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


def battery_tracks(arch: Architecture, traj, networks: dict | None = None, shared=None) -> Tracks:
    """Detect the flights in every network a battery fires on (`sensors.detect`) and apply each
    battery's ``launch_on``/``engage_on``/``own_radars`` (`sensors.battery_track`).

    Args:
        arch: the architecture; traj: the flights (`trajectory.Trajectory`, N).
        networks: network name -> `sensors.Network` to use instead of ``arch.networks`` (sensor
            variants).
        shared: a `sensors.CoverageMemo` of ``traj`` (radars met in several networks or
            architectures over the same flights are computed once; the same tracks).
    Returns:
        `Tracks` with (N, B) arrays in the order of ``arch.batteries``.
    """
    from ..sensors import battery_track, detect

    nets = arch.networks if networks is None else networks
    timelines = {}
    for name in dict.fromkeys(arch.battery_networks):
        if name not in nets:
            raise ValueError(f"battery network {name!r} is not defined; allowed: {', '.join(nets)}")
        timelines[name] = detect(traj, nets[name], shared=shared)
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
                   method: str = "fast", shared: SharedFlights | None = None):
    """Track (`battery_tracks`) and engage (`engagement.engage`, honouring each battery's
    intercept window; ``method`` "fast" or "exact", `engagement.METHODS`) N flights with the
    architecture's batteries: the path every study command uses. ``kill_assessment`` (s) defaults
    to the scenario's ``engagement.kill_assessment_s``; ``shared``: the `SharedFlights` of
    ``traj`` (radar coverage and engagement columns computed for another architecture over the
    same flights are reused; the same results). Returns (`engagement.Engagement`, `Tracks`)."""
    from ..engagement import engage

    t = battery_tracks(arch, traj, networks, shared.coverage if shared is not None else None)
    ka = kill_assessment if kill_assessment is not None else _kill_assessment(arch)
    if shared is not None:
        return shared.engage(arch.batteries, t.track_time, ka, t.intercept_window, method), t
    return engage(traj, arch.batteries, t.track_time, kill_assessment=ka, intercept_window=t.intercept_window,
                  method=method), t


def _kill_assessment(arch: Architecture) -> float:
    from ..engagement import DEFAULT_KILL_ASSESSMENT

    return getattr(getattr(arch.scenario, "engagement", None), "kill_assessment_s", DEFAULT_KILL_ASSESSMENT)


def engagement_inputs(arch: Architecture) -> tuple:
    """Everything of ``arch`` that `engage_flights` (with its defaults) reads: its batteries, the
    network each fires on, those networks and the kill-assessment time. Two architectures with
    equal inputs engage the same flights identically (e.g. separate systems and sectors, which
    differ only in who may fire, `allowed_batteries`)."""
    used = dict.fromkeys(arch.battery_networks)
    return (list(arch.batteries), list(arch.battery_networks), {n: arch.networks.get(n) for n in used},
            _kill_assessment(arch))


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


_COLUMNS = ("launch_earliest", "launch_latest", "intercept_first", "intercept_last", "first_alt", "first_lat",
            "first_lon", "shots", "kill_probability", "engageable")
"""The (N, B) fields of an `engagement.Engagement`, each column a function of one battery's
figures, its track and guidance window per flight, and the kill-assessment time alone."""


class SharedFlights:
    """What the tracking and engagement of one set of flights (``traj``) by several architectures
    share (the cooperation options over one coverage batch, the EPAA phases over the deterrent
    flights): ``coverage``, a `sensors.CoverageMemo` (each radar computed once), and the
    engagement columns computed so far. `engage` reuses a column of an equal battery (every
    figure compared) engaged with the same kill-assessment time and method, on the flights
    whose track time and guidance window are also equal, and engages only the rest: every
    engagement field of a flight and battery depends on those inputs alone (the compiled kernel
    treats each pair on its own), so the result is the one `engagement.engage` gives.
    Belongs to the holder of ``traj``; ``engaged``/``reused`` count flight x battery pairs;
    ``latest`` holds the latest-launch searches of the deterrent margins over ``traj``
    (`study.deterrent_study`, shared by the sensor variants of a phase)."""

    def __init__(self, traj):
        from ..sensors import CoverageMemo

        self.traj = traj
        self.coverage = CoverageMemo(traj)
        self._columns: list = []  # (battery, kill assessment, method, track (N,), window (N, 2), fields)
        self.latest: list = []  # (batteries, window (N, B, 2), latest launch (N, B)): deterrent margins searched
        self.engaged = self.reused = 0

    def prefetch(self, archs) -> None:
        """Sweep every radar of the networks the batteries of ``archs`` fire on over ``traj`` in
        one kernel call (`sensors.CoverageMemo.prefetch`), before the architectures are tracked
        one by one: the same coverage, fewer passes over the flights."""
        self.coverage.prefetch([s for a in archs for n in dict.fromkeys(a.battery_networks) if n in a.networks
                                for s in a.networks[n].sensors])

    def _source(self, battery, ka: float, method: str, track, window):
        """The stored column of an equal battery with the most equal flights, and its (N,) mask."""
        best, best_same = None, None
        for col in self._columns:
            if col[0] != battery or col[1] != ka or col[2] != method:
                continue
            same = ((col[3] == track) | (np.isnan(col[3]) & np.isnan(track))) & np.all(col[4] == window, axis=1)
            if best is None or same.sum() > best_same.sum():
                best, best_same = col, same
        return best, best_same

    def engage(self, batteries, track_time, kill_assessment: float, intercept_window, method: str = "fast"):
        """`engagement.engage` of ``traj`` by ``batteries`` (``track_time`` (N, B) or (N,),
        ``intercept_window`` (N, B, 2) or None), reusing the columns it can (see the class)."""
        from ..engagement import TABLE_MIN_FLIGHTS, Engagement, engage, guidance_window

        batteries = list(batteries)
        n, nb = len(self.traj), len(batteries)
        ka = float(kill_assessment)
        if n == 0 or nb == 0:
            return engage(self.traj, batteries, track_time, ka, intercept_window, method)
        track = np.asarray(track_time, dtype=float)
        track = np.repeat(track[:, None], nb, axis=1) if track.ndim == 1 else track
        win = guidance_window(intercept_window, n, nb)
        sources = [self._source(b, ka, method, track[:, j], win[:, j]) for j, b in enumerate(batteries)]
        todo = np.stack([np.ones(n, dtype=bool) if col is None else ~same for col, same in sources], axis=1)
        fields = [{f: col[5][f] for f in _COLUMNS} if col is not None else None for col, _ in sources]
        cols = np.flatnonzero(todo.any(axis=0))
        if cols.size:
            rows = np.flatnonzero(todo[:, cols].any(axis=1))
            if rows.size < TABLE_MIN_FLIGHTS <= n:  # engage as many flights as the whole batch would,
                rows = np.arange(n)                 # so that the arrival-table choice is the same
            sub = self.traj if rows.size == n else self.traj.subset(rows)
            e = engage(sub, [batteries[j] for j in cols], track[np.ix_(rows, cols)], kill_assessment=ka,
                       intercept_window=win[np.ix_(rows, cols)], method=method)
            for c, j in enumerate(cols):
                fresh = {}
                for f in _COLUMNS:  # flights not engaged now have a stored column equal there
                    fresh[f] = getattr(e, f)[:, c] if rows.size == n else fields[j][f].copy()
                    if rows.size < n:
                        fresh[f][rows] = getattr(e, f)[:, c]
                fields[j] = fresh
            self.engaged += rows.size * cols.size
        self.reused += n * nb - (rows.size * cols.size if cols.size else 0)
        for j, b in enumerate(batteries):
            self._columns.append((b, ka, method, track[:, j].copy(), win[:, j].copy(), fields[j]))
        stack = {f: np.stack([fields[j][f] for j in range(nb)], axis=1) for f in _COLUMNS}
        return Engagement(**stack, sspk=np.array([b.interceptor.sspk for b in batteries]),
                          inventory=np.array([b.inventory for b in batteries], dtype=np.int64), kill_assessment=ka,
                          battery_names=tuple(b.name for b in batteries), models=self.traj.models,
                          intercept_window=win)


SENSOR_VARIANTS = ("scenario", "no-forward-radar", "no-space-cueing", "cue-as-track")
"""How the fire-control track time is obtained: the scenario's networks as given; without the
forward radar; without space-based launch detectors (no cueing); or the fused cue (space-based
launch report) taken as if it were a fire-control track (the optimistic timeline of kinematic
studies: a track as soon as the launch is reported)."""

FORWARD_RADAR = "kurecik-tpy2"
"""Name of the forward radar removed by the ``no-forward-radar`` variant."""


def _variant_arch(arch: Architecture, variant: str, forward_radar: str = FORWARD_RADAR) -> Architecture:
    """The architecture with sensors removed from every network for a `SENSOR_VARIANTS` entry."""
    from ..sensors import LaunchDetector, Network

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


def variant_tracks(arch: Architecture, traj, variant: str, forward_radar: str = FORWARD_RADAR, shared=None) -> Tracks:
    """`battery_tracks` of each flight for each battery under a sensor variant
    (`SENSOR_VARIANTS`): the variant's sensors removed from every network (a removed own radar
    gives no own track); ``cue-as-track`` launches every battery on the fused cue of its network
    (whatever its ``launch_on``; the track sensor is then the cueing sensor), its guidance
    window unchanged. ``shared``: a `sensors.CoverageMemo` of ``traj`` (`battery_tracks`)."""
    a = _variant_arch(arch, variant, forward_radar)
    t = battery_tracks(a, traj, shared=shared)
    if variant == "cue-as-track" and arch.batteries:
        t.track_time = np.stack([t.timelines[n].cue_time for n in arch.battery_networks], axis=1)
        names = {n: np.array(list(t.timelines[n].sensor_names) + [""], dtype=object) for n in t.timelines}
        t.track_sensor = np.stack([names[n][t.timelines[n].cue_sensor] for n in arch.battery_networks], axis=1)
    return t


def variant_track_times(arch: Architecture, traj, variant: str, forward_radar: str = FORWARD_RADAR) -> np.ndarray:
    """(N, B) launch track time of each flight for each battery under a sensor variant
    (`variant_tracks`, without the guidance window)."""
    return variant_tracks(arch, traj, variant, forward_radar).track_time
