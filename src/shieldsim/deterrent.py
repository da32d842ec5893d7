"""The deterrent question: could a defence engage strategic missiles on their way elsewhere?

For N threat flights (e.g. Russian ICBMs aimed at North America) and B interceptor batteries
this module reports, per flight x battery, whether an intercept is kinematically possible
with the given fire-control track timeline, how much time is to spare (or missing), and the
lowest interceptor burnout speed that would make it possible. Everything is public physics
(two-body coasts, Lambert arcs from the interceptor's burnout point, altitude band and range
limits of `interceptor`); nothing here models guidance, seekers or countermeasures.

Definitions (times in seconds after the threat's launch, as everywhere in shieldsim):

* ``launch_earliest`` = fire-control track time + the interceptor's launch delay
  (`engagement.engage`).
* ``latest_launch`` = the latest launch time from which the interceptor can still meet the
  threat somewhere inside its altitude band and range: the maximum over the threat's samples
  k (in the limits) of t_k - tau_a(k), tau_a(k) the earliest arrival of the interceptor at
  sample k (any flight time up to t_k, i.e. a launch no earlier than the threat's own).
* ``margin_s`` = latest_launch - launch_earliest. Positive: seconds of slack (the pair is
  engageable). Negative: how many seconds earlier the interceptor would have to be launched
  for an intercept. NaN: no track (never launched) or no sample in reach at any launch time.
* ``min_speed`` = the lowest ground-relative burnout speed (m/s) with which the interceptor,
  launched at ``launch_earliest`` or later, reaches some threat sample inside its altitude
  band and range: min over samples k and flight times tau <= t_k - launch_earliest of the
  speed a Lambert coast from the burnout point needs. The powered path (straight line of length
  speed x burn_time / 2) depends on the speed itself, so the search is repeated with the
  burnout geometry of the speed found until it changes by less than 1 m/s. NaN: no track or
  no sample inside the limits after launch_earliest + burn time.

All sample loops are Numba-compiled and parallel over flights.

Layout exception (`_min_speed_kernel`): 14 parameters (tests/test_layout.py). The interceptor's
figures come packed (``params``, `interceptor.P_*`); the others are the flights' arrays, sites,
guidance windows and outputs (different shapes), the Earth's constants ``gm``, ``omega``,
``ellipsoid`` in the order every engagement kernel uses, and the coarse-pass ``stride``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from .earth import to_ecef, to_geodetic
from .engagement import guidance_window
from .units import from_si
from .interceptor import (MIN_COAST, N_PARAMS, P_BURN, P_SPEED, Battery, _golden_min, earliest_arrival_one,
                          ellipsoid_of, within_limits)

WESTERN_BASES = ("kozelsk", "teykovo", "vypolzovo", "tatishchevo", "yoshkar-ola")
"""Launch areas of the deterrent scenario west of the Volga region (the bases closest to the
European sites), for the headline minimum-speed table."""

SSBN_AREAS = ("barents-sea", "norwegian-sea")
"""Submarine patrol areas of the deterrent scenario (SLBM launch areas, issue 15); their flights
join the western bases' in the ship-station sweep."""


def launch_area(label: str) -> str:
    """The launch area of a flight's base label: ``"barents-sea[1]"`` (a point of a multi-point
    area, as `study.deterrent_flights` labels it) -> ``"barents-sea"``; a single-point area's
    label is the area itself."""
    return label.split("[", 1)[0]


SHIP_BOXES = {
    "north-sea": (-4.0, 9.0, 51.0, 61.0),
    "norwegian-sea": (-6.0, 16.0, 62.0, 72.0),
    "barents-sea": (16.0, 58.0, 68.0, 78.0),
    "east-med": (20.0, 36.0, 31.0, 37.5),
}
"""Sea areas swept for ship stations, (lon_min, lon_max, lat_min, lat_max) degrees."""

SPEED_TOL = 1.0
"""Convergence of the minimum-speed fixed point (burnout geometry follows the speed), m/s."""


@dataclass
class DeterrentMatrix:
    """Engagement possibilities of N threat flights (base x class x aim point) against B batteries.

    Arrays are (N, B) unless noted; times in seconds after the threat's launch, NaN = none.

    Attributes:
        base, threat, aim_point: (N,) labels of each flight.
        battery_names: (B,).
        track_time: fire-control track time used.
        launch_earliest: track time + launch delay.
        latest_launch: latest launch that still meets the threat in the limits (any track).
        margin_s: latest_launch - launch_earliest (> 0 slack, < 0 seconds missing).
        engageable: bool, an intercept opportunity exists with the track timeline
            (`engagement.engage`).
        intercept_first, intercept_last: the intercept window, s.
        first_alt: altitude of the first opportunity, m.
        min_speed: lowest burnout speed (m/s) that makes the pair engageable with this timeline.
        min_speed_time: intercept time (s after threat launch) of that slowest arc.
        interceptor_speed: (B,) the batteries' burnout speeds, m/s.
        attrs: provenance and options.
    """

    base: np.ndarray
    threat: np.ndarray
    aim_point: np.ndarray
    battery_names: tuple
    track_time: np.ndarray
    launch_earliest: np.ndarray
    latest_launch: np.ndarray
    margin_s: np.ndarray
    engageable: np.ndarray
    intercept_first: np.ndarray
    intercept_last: np.ndarray
    first_alt: np.ndarray
    min_speed: np.ndarray
    min_speed_time: np.ndarray
    interceptor_speed: np.ndarray
    attrs: dict = field(default_factory=dict)

    def pairs(self, **extra) -> list[dict]:
        """One dict per flight x battery in human units (JSON/CSV rows); ``extra`` keys are
        added to every row."""
        rows = []
        for i in range(self.base.size):
            for j, name in enumerate(self.battery_names):
                rows.append(dict(extra, base=str(self.base[i]), threat=str(self.threat[i]),
                                 aim_point=str(self.aim_point[i]), battery=name,
                                 engageable=bool(self.engageable[i, j]),
                                 margin_s=_num(self.margin_s[i, j]),
                                 min_speed_kms=_num(from_si("min_speed_kms", self.min_speed[i, j])),
                                 interceptor_speed_kms=float(from_si("interceptor_speed_kms", self.interceptor_speed[j])),
                                 track_time_s=_num(self.track_time[i, j]),
                                 launch_earliest_s=_num(self.launch_earliest[i, j]),
                                 intercept_first_s=_num(self.intercept_first[i, j]),
                                 intercept_last_s=_num(self.intercept_last[i, j]),
                                 first_alt_km=_num(from_si("first_alt_km", self.first_alt[i, j]))))
        return rows

    def fraction_engageable(self) -> dict:
        """Fraction of flights engageable per battery and by any battery (``"any"``)."""
        n = max(self.base.size, 1)
        out = {name: float(self.engageable[:, j].sum() / n) for j, name in enumerate(self.battery_names)}
        out["any"] = float(self.engageable.any(axis=1).sum() / n) if self.engageable.size else 0.0
        return out

    def fraction_engageable_by_area(self) -> dict:
        """{launch area: fraction engageable per battery and ``"any"``} over the flights of each
        launch area (points of a multi-point area together, `launch_area`)."""
        areas = np.array([launch_area(str(b)) for b in self.base], dtype=object)
        out = {}
        for a in dict.fromkeys(areas.tolist()):
            sel = areas == a
            n = int(sel.sum())
            row = {name: float(self.engageable[sel, j].sum() / n) for j, name in enumerate(self.battery_names)}
            row["any"] = float(self.engageable[sel].any(axis=1).sum() / n)
            out[a] = row
        return out

    def min_speed_by_base(self, bases=None) -> dict:
        """{base: {battery: lowest min_speed over the base's flights, km/s (None = never)}}."""
        out = {}
        for b in (bases if bases is not None else dict.fromkeys(self.base.tolist())):
            sel = self.base == b
            if not sel.any():
                continue
            out[b] = {}
            for j, name in enumerate(self.battery_names):
                v = self.min_speed[sel, j]
                out[b][name] = _num(np.nanmin(v) / 1e3) if np.isfinite(v).any() else None
        return out


def _num(x):
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _latest_one(pos, alt, t, site, params, gm, omega, ellipsoid, k):
    """t_k - earliest arrival at sample k (launch no earlier than the threat's), NaN if none."""
    work = np.empty(9)
    b = np.empty(3)
    v = np.empty(3)
    p = pos[k]
    if math.isnan(p[0]) or not within_limits(site, p, alt[k], params, ellipsoid):
        return math.nan
    tau_a = earliest_arrival_one(site, p, t[k], params, gm, omega, ellipsoid, b, v, work)
    if math.isnan(tau_a):
        return math.nan
    return t[k] - tau_a


@njit(cache=True, parallel=True)
def _latest_kernel(pos, alt, t, sites, params, gm, omega, ellipsoid, stride, win, out):
    """out[i, j] = max over samples of t_k - tau_a(k): a coarse pass every ``stride`` samples,
    then every sample within ``stride`` of the best coarse one (the function is smooth).
    Samples outside the guidance window ``win[i, j]`` are skipped."""
    n, m = pos.shape[0], pos.shape[1]
    nb = sites.shape[0]
    for i in prange(n):
        for j in range(nb):
            best = -math.inf
            kbest = -1
            for k in range(0, m, stride):
                if t[k] < win[i, j, 0] or t[k] > win[i, j, 1]:
                    continue
                x = _latest_one(pos[i], alt[i], t, sites[j], params[j], gm, omega, ellipsoid, k)
                if x > best:
                    best = x
                    kbest = k
            if kbest < 0:  # nothing on the coarse grid: scan every sample
                lo, hi = 0, m
            else:
                lo, hi = max(0, kbest - stride), min(m, kbest + stride + 1)
            for k in range(lo, hi):
                if t[k] < win[i, j, 0] or t[k] > win[i, j, 1]:
                    continue
                x = _latest_one(pos[i], alt[i], t, sites[j], params[j], gm, omega, ellipsoid, k)
                if x > best:
                    best = x
            out[i, j] = best if best > -math.inf else math.nan


@njit(cache=True)
def _speed_at(pos, alt, t, site, params, gm, omega, ellipsoid, l0, k, res):
    """Lowest needed burnout speed to sample k with launch >= l0; res <- (speed, flight time)."""
    res[0] = math.inf
    res[1] = math.nan
    p = pos[k]
    if math.isnan(p[0]) or not within_limits(site, p, alt[k], params, ellipsoid):
        return
    tau_lo = params[P_BURN] + MIN_COAST
    tau_hi = t[k] - l0
    if not (tau_hi > tau_lo):
        return
    work = np.empty(9)
    b = np.empty(3)
    v = np.empty(3)
    tau, f = _golden_min(site, p, tau_lo, tau_hi, params, gm, omega, ellipsoid, b, v, work, 1e-2, False)
    res[0] = f + params[P_SPEED]
    res[1] = tau


@njit(cache=True, parallel=True)
def _min_speed_kernel(pos, alt, t, sites, params, speed, gm, omega, ellipsoid, l0, stride, win, out_speed, out_time):
    """Per flight i and battery j, with the burnout geometry of ``speed[i, j]``: minimum over
    samples of the needed speed (coarse pass every ``stride`` samples, then refined); samples
    outside the guidance window ``win[i, j]`` are skipped."""
    n, m = pos.shape[0], pos.shape[1]
    nb = sites.shape[0]
    for i in prange(n):
        res = np.empty(2)
        par = np.empty(params.shape[1])
        for j in range(nb):
            out_speed[i, j] = math.nan
            out_time[i, j] = math.nan
            if math.isnan(l0[i, j]) or math.isnan(speed[i, j]):
                continue
            for q in range(par.shape[0]):
                par[q] = params[j, q]
            par[P_SPEED] = speed[i, j]
            best = math.inf
            kbest = -1
            for k in range(0, m, stride):
                if t[k] < win[i, j, 0] or t[k] > win[i, j, 1]:
                    continue
                _speed_at(pos[i], alt[i], t, sites[j], par, gm, omega, ellipsoid, l0[i, j], k, res)
                if res[0] < best:
                    best = res[0]
                    kbest = k
            if kbest < 0:
                lo, hi = 0, m
            else:
                lo, hi = max(0, kbest - stride), min(m, kbest + stride + 1)
            for k in range(lo, hi):
                if t[k] < win[i, j, 0] or t[k] > win[i, j, 1]:
                    continue
                _speed_at(pos[i], alt[i], t, sites[j], par, gm, omega, ellipsoid, l0[i, j], k, res)
                if res[0] < best:
                    best = res[0]
                    kbest = k
                    out_time[i, j] = t[k]
            if kbest >= 0 and math.isnan(out_time[i, j]):
                out_time[i, j] = t[kbest]
            out_speed[i, j] = best if best < math.inf else math.nan


# ---------------------------------------------------------------------------------------------
# public API


def _arrays(trajectories, batteries):
    models = trajectories.models
    earth = models.earth
    pos = np.ascontiguousarray(trajectories.position, dtype=float)
    n, m, _ = pos.shape
    alt = np.full(n * m, np.nan)
    flat = pos.reshape(-1, 3)
    ok = np.isfinite(flat[:, 0])
    if ok.any():
        alt[ok] = to_geodetic(flat[ok], earth)[2]
    nb = len(batteries)
    params = np.ascontiguousarray(np.array([b.interceptor.params() for b in batteries], dtype=float).reshape(nb, N_PARAMS))
    sites = np.ascontiguousarray(
        to_ecef(np.array([b.lat for b in batteries], dtype=float), np.array([b.lon for b in batteries], dtype=float),
                0.0, earth).reshape(nb, 3))
    omega = earth.rotation_rate if models.rotation else 0.0
    t = np.ascontiguousarray(trajectories.time, dtype=float)
    return pos, np.ascontiguousarray(alt.reshape(n, m)), t, sites, params, earth.gm, omega, ellipsoid_of(earth)


def _track(track_time, n, nb):
    track = np.asarray(track_time, dtype=float)
    if track.ndim == 1:
        track = np.repeat(track[:, None], nb, axis=1)
    if track.shape != (n, nb):
        raise ValueError(f"track_time must have shape ({n},) or ({n}, {nb}), got {track.shape}")
    return np.ascontiguousarray(track)


def latest_launch(trajectories, batteries: list[Battery], stride: int = 5, intercept_window=None) -> np.ndarray:
    """(N, B) latest launch time (s after the threat's launch, not before it) from which each
    battery's interceptor still meets each threat at a sample inside its altitude band and
    range (maximum over samples of t_k minus the earliest arrival there) and inside its
    guidance window (``intercept_window`` (N, B, 2), as `engagement.engage`; None = any
    time); NaN if none."""
    pos, alt, t, sites, params, gm, omega, ellipsoid = _arrays(trajectories, batteries)
    out = np.empty((pos.shape[0], len(batteries)))
    _latest_kernel(pos, alt, t, sites, params, gm, omega, ellipsoid, max(1, int(stride)),
                   guidance_window(intercept_window, pos.shape[0], len(batteries)), out)
    return out


def minimum_speed(trajectories, batteries: list[Battery], track_time, stride: int = 5,
                  max_iter: int = 6, intercept_window=None) -> tuple[np.ndarray, np.ndarray]:
    """(N, B) lowest ground-relative interceptor burnout speed (m/s) that makes each threat
    engageable by each battery with its fire-control ``track_time`` ((N,) or (N, B), s after
    threat launch; NaN = never tracked), and the intercept time (s after threat launch) of that
    slowest arc. Burn time, burnout altitude, altitude band, range and launch delay stay those
    of the battery's interceptor; the burnout point moves with the speed (fixed-point
    iteration to `SPEED_TOL`). Only intercepts inside ``intercept_window`` ((N, B, 2), None =
    any time) count. NaN where never tracked or nothing lies inside the limits."""
    pos, alt, t, sites, params, gm, omega, ellipsoid = _arrays(trajectories, batteries)
    n, nb = pos.shape[0], len(batteries)
    win = guidance_window(intercept_window, n, nb)
    l0 = np.ascontiguousarray(_track(track_time, n, nb) + params[None, :, 6])
    speed = np.ascontiguousarray(np.repeat(params[None, :, P_SPEED], n, axis=0))
    speed[np.isnan(l0)] = np.nan
    out_t = np.empty((n, nb))
    for _ in range(max_iter):
        new = np.empty((n, nb))
        _min_speed_kernel(pos, alt, t, sites, params, speed, gm, omega, ellipsoid, l0, max(1, int(stride)), win, new,
                          out_t)
        done = np.all(~(np.abs(new - speed) > SPEED_TOL))
        speed = np.ascontiguousarray(new)
        if done:
            break
    return speed, out_t


@dataclass
class Arc:
    """One interceptor arc to a threat: launched ``launch_time`` and meeting the threat at
    ``intercept_time`` (both s after the threat's launch), with its burnout state (Earth-fixed,
    m and Earth-relative m/s, at ``launch_time + burn_time``) and the speed it needs (m/s)."""

    launch_time: float
    intercept_time: float
    flight_time: float
    burn_time: float
    burnout_position: np.ndarray
    burnout_velocity: np.ndarray
    speed_needed: float
    point: np.ndarray


def intercept_arc(trajectories, matrix: DeterrentMatrix, batteries: list[Battery], i: int, j: int) -> Arc | None:
    """The interceptor arc behind an engageable pair (flight i, battery j): intercept at the first
    opportunity ``intercept_first``, on the fastest arc there (earliest arrival), so launched as
    late as possible (never before ``launch_earliest``). None if the pair is not engageable."""
    from .interceptor import earliest_arrival, reach

    if not matrix.engageable[i, j]:
        return None
    b = batteries[j]
    t_f = float(matrix.intercept_first[i, j])
    k = int(round((t_f - trajectories.time[0]) / trajectories.step))
    p = trajectories.position[i, k][None]
    l0 = float(matrix.launch_earliest[i, j])
    tau = float(earliest_arrival(b.interceptor, b.lat, b.lon, p, trajectories.models, max_time=t_f - l0).flight_time[0])
    r = reach(b.interceptor, b.lat, b.lon, p, tau, trajectories.models)
    return Arc(launch_time=t_f - tau, intercept_time=t_f, flight_time=tau, burn_time=b.interceptor.burn_time,
               burnout_position=r.burnout_position[0], burnout_velocity=r.burnout_velocity[0],
               speed_needed=float(r.speed_needed[0]), point=p[0])


def with_speed(batteries: list[Battery], speed: float) -> list[Battery]:
    """The batteries with every interceptor's burnout speed set to ``speed`` (m/s), all other
    figures unchanged."""
    return [dataclasses.replace(b, interceptor=dataclasses.replace(b.interceptor, burnout_speed=float(speed)))
            for b in batteries]


def with_delay(batteries: list[Battery], delay: float) -> list[Battery]:
    """The batteries with every interceptor's launch delay set to ``delay`` (s)."""
    return [dataclasses.replace(b, interceptor=dataclasses.replace(b.interceptor, launch_delay=float(delay)))
            for b in batteries]


def deterrent_matrix(trajectories, batteries: list[Battery], track_time, base, threat, aim_point,
                     min_speed: bool = True, stride: int = 5, attrs: dict | None = None,
                     intercept_window=None, margins: bool = True, engagement=None, latest=None) -> DeterrentMatrix:
    """Engageability, margin and minimum speed of N flights against B batteries.

    Args:
        trajectories: the threat flights (`trajectory.Trajectory`), N.
        batteries: B `interceptor.Battery`.
        track_time: (N,) or (N, B) fire-control track time, s after threat launch (NaN = never).
        base, threat, aim_point: (N,) labels of the flights.
        min_speed: also search the minimum burnout speed (the costliest part).
        margins: also search every pair's latest launch (`latest_launch`); without it
            ``latest_launch`` is NaN and ``margin_s`` is given for the engageable pairs only
            (their window's own slack), e.g. for headlines that read only ``engageable``.
        engagement: the `engagement.Engagement` of exactly these inputs (default kill assessment),
            when already computed (e.g. `study.SharedFlights`); None: engaged here.
        latest: (N, B) `latest_launch` of exactly these flights, batteries, ``stride`` and
            ``intercept_window``, when already computed (it does not depend on the track times,
            so sensor variants that keep the guidance window share it); None: searched here.
        stride: coarse sample stride of the latest-launch and minimum-speed searches.
        intercept_window: (N, B, 2) guidance window of each pair (`study.battery_tracks`;
            None = unconstrained): engagement, latest launch and minimum speed consider only
            intercepts inside it.

    Returns:
        A `DeterrentMatrix` (see the module docstring for the definitions).
    """
    from .engagement import engage

    n, nb = len(trajectories), len(batteries)
    track = _track(track_time, n, nb)
    e = engagement if engagement is not None else engage(trajectories, batteries, track,
                                                         intercept_window=intercept_window)
    if margins:
        latest = latest if latest is not None else latest_launch(trajectories, batteries, stride, intercept_window)
    else:
        latest = np.full((n, nb), np.nan)
    margin = latest - e.launch_earliest
    # an engageable pair has slack >= 0 by definition; the window's own latest launch is exact
    margin = np.where(e.engageable, np.fmax(e.launch_latest - e.launch_earliest, 0.0), margin)
    if min_speed:
        vmin, vt = minimum_speed(trajectories, batteries, track, stride, intercept_window=intercept_window)
    else:
        vmin = vt = np.full((n, nb), np.nan)
    return DeterrentMatrix(
        base=np.asarray(base, dtype=object), threat=np.asarray(threat, dtype=object),
        aim_point=np.asarray(aim_point, dtype=object), battery_names=tuple(b.name for b in batteries),
        track_time=track, launch_earliest=e.launch_earliest, latest_launch=latest, margin_s=margin,
        engageable=e.engageable, intercept_first=e.intercept_first, intercept_last=e.intercept_last,
        first_alt=e.first_alt, min_speed=vmin, min_speed_time=vt,
        interceptor_speed=np.array([b.interceptor.burnout_speed for b in batteries], dtype=float),
        attrs=dict(attrs or {}))


def speed_sweep(trajectories, batteries: list[Battery], track_time, speeds, delays=None,
                intercept_window=None) -> dict:
    """Engageability against interceptor burnout speed (and launch delay).

    Args:
        speeds: (S,) burnout speeds, m/s, applied to every battery.
        delays: (D,) launch delays, s, applied to every battery (None: each interceptor's own).
        intercept_window: (N, B, 2) guidance window (None = unconstrained), as `engagement.engage`.

    Returns:
        dict with ``engageable`` (D, S, N, B) bool (D = 1 when ``delays`` is None),
        ``fraction`` (D, S, B) per battery, ``fraction_any`` (D, S) by any battery, and the
        ``speeds``/``delays`` used.
    """
    from .engagement import engage

    speeds = np.asarray(speeds, dtype=float)
    dl = [None] if delays is None else list(np.asarray(delays, dtype=float))
    n, nb = len(trajectories), len(batteries)
    track = _track(track_time, n, nb)
    eng = np.zeros((len(dl), speeds.size, n, nb), dtype=bool)
    for a, d in enumerate(dl):
        bats = batteries if d is None else with_delay(batteries, d)
        for s, v in enumerate(speeds):
            if nb and n:
                eng[a, s] = engage(trajectories, with_speed(bats, v), track,
                                   intercept_window=intercept_window).engageable
    frac = eng.mean(axis=2) if n else np.zeros((len(dl), speeds.size, nb))
    frac_any = eng.any(axis=3).mean(axis=2) if n and nb else np.zeros((len(dl), speeds.size))
    return {"speeds": speeds, "delays": None if delays is None else np.asarray(delays, dtype=float),
            "engageable": eng, "fraction": frac, "fraction_any": frac_any}


def sea_positions(boxes: dict | None = None, step_deg: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sea points (degrees) on a ``step_deg`` grid inside each box of ``boxes`` (default
    `SHIP_BOXES`), land removed with Natural Earth (`geography.country_of` == '').
    Returns lat_deg, lon_deg and the box name of each point."""
    from .geography import country_of

    boxes = SHIP_BOXES if boxes is None else boxes
    lat, lon, name = [], [], []
    for key, (lo0, lo1, la0, la1) in boxes.items():
        la, lo = np.meshgrid(np.arange(la0, la1 + 1e-9, step_deg), np.arange(lo0, lo1 + 1e-9, step_deg), indexing="ij")
        lat.append(la.ravel())
        lon.append(lo.ravel())
        name += [key] * la.size
    lat, lon, name = np.concatenate(lat), np.concatenate(lon), np.array(name, dtype=object)
    sea = country_of(lat, lon) == ""
    return lat[sea], lon[sea], name[sea]


def ship_batteries(interceptor, lat_deg, lon_deg, prefix: str = "ship") -> list[Battery]:
    """One notional ship `Battery` (inventory 1) with ``interceptor`` at each position (deg)."""
    return [Battery(f"{prefix}-{la:.1f}N-{lo:.1f}E", math.radians(la), math.radians(lo), interceptor, 1)
            for la, lo in zip(np.atleast_1d(lat_deg), np.atleast_1d(lon_deg))]


# ---------------------------------------------------------------------------------------------
# figures


def ground_track(trajectories) -> tuple[np.ndarray, np.ndarray]:
    """(N, M) geodetic latitude and longitude (degrees) of each flight's samples (NaN after impact)."""
    pos = trajectories.position
    n, m, _ = pos.shape
    flat = pos.reshape(-1, 3)
    lat = np.full(n * m, np.nan)
    lon = np.full(n * m, np.nan)
    ok = np.isfinite(flat[:, 0])
    if ok.any():
        la, lo, _ = to_geodetic(flat[ok], trajectories.models.earth)
        lat[ok], lon[ok] = np.degrees(la), np.degrees(lo)
    return lat.reshape(n, m), lon.reshape(n, m)

