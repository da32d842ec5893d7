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

All sample loops are Numba-compiled and parallel over flights. Both searches take, per flight
and battery, the best over the samples inside the guidance window and the interceptor's limits
(found once per call, `_usable_kernel`): a coarse pass every ``stride`` samples, then every
sample within ``stride`` of the best coarse one. Each sample costs a golden-section search or a
root-find over the flight time, every step a Lambert arc; a cheap bound of it (`_speed_floor`,
`_latest_ceiling`: the minimum-energy ellipse, the chord covered within the coast time) lets a
pass evaluate its samples best bound first and stop when no bound left can beat the best found
(`_best_first`). The result is the one evaluating every sample in order gives (best value, first
sample reaching it), bit for bit.

Layout exception (`_min_speed_kernel`): 13 parameters (tests/test_layout.py). The interceptor's
figures come packed (``params``, `interceptor.P_*`); the others are the flights' arrays, sites,
usable samples and outputs (different shapes), the Earth's constants ``gm``, ``omega``,
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
from .interceptor import (MIN_COAST, N_PARAMS, P_BURN, P_MAX_ALT, P_MIN_ALT, P_RANGE, P_SPEED, Battery, _golden_min,
                          burnout_point, earliest_arrival_one, ellipsoid_of, max_coast_speed, within_limits)

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


_LATEST, _SPEED = np.int64(0), np.int64(1)  # not Python ints: a Numba literal would compile each mode apart
"""What a search minimises: ``-(t_k - earliest arrival)`` (the latest launch) or the needed speed."""

SPEED_FLOOR_MARGIN = 1.0
"""m/s taken off every speed floor (`_speed_floor`): the Lambert arcs' rounding is far smaller."""

LATEST_CEILING_MARGIN = 0.01
"""s added to every latest-launch ceiling (`_latest_ceiling`), for the same reason."""

_LOWEST_RADIUS = 6.35e6
"""m, below every point of the ellipsoid (as `interceptor.max_coast_speed` uses)."""

_FOOT_ANGLE = 0.004
"""rad, more than the angle seen from the centre between a point above the ellipsoid and its
ground point (at most the largest difference of geodetic and geocentric latitude, ~0.0034)."""


@njit(cache=True)
def _beyond_range(site, rs, p, params, ellipsoid):
    """True when the ground point of p is surely farther from the site (radius ``rs``) than the
    interceptor's range: a geodesic on the ellipsoid is at least the polar radius times the angle
    between its ends seen from the centre (projected onto that sphere it can only shorten), and
    that angle is the one between site and p within `_FOOT_ANGLE`. False decides nothing."""
    rp = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
    cos_a = (site[0] * p[0] + site[1] * p[1] + site[2] * p[2]) / (rs * rp)
    angle = math.acos(min(1.0, max(-1.0, cos_a)))
    return ellipsoid[0] * (1.0 - ellipsoid[1]) * (angle - _FOOT_ANGLE) > params[P_RANGE]


@njit(cache=True, parallel=True)
def _usable_kernel(pos, alt, t, sites, params, ellipsoid, win, out):
    """out[i, j, k]: sample k of flight i counts for battery j -- a position (not NaN) inside the
    guidance window ``win[i, j]`` and inside the interceptor's altitude band and range
    (`interceptor.within_limits`, after the cheap `_beyond_range`)."""
    n, m = pos.shape[0], pos.shape[1]
    nb = sites.shape[0]
    for i in prange(n):
        for j in range(nb):
            site = sites[j]
            rs = math.sqrt(site[0] * site[0] + site[1] * site[1] + site[2] * site[2])
            for k in range(m):
                p = pos[i, k]
                out[i, j, k] = (not (t[k] < win[i, j, 0] or t[k] > win[i, j, 1]) and not math.isnan(p[0])
                                and alt[i, k] >= params[j, P_MIN_ALT] and alt[i, k] <= params[j, P_MAX_ALT]
                                and not _beyond_range(site, rs, p, params[j], ellipsoid)
                                and within_limits(site, p, alt[i, k], params[j], ellipsoid))


@njit(cache=True)
def _shortest_chord(site, p, params, th0, th1, b):
    """Lower bound (m) of the distance from the burnout point to p in the inertial frame of the
    intercept instant, the Earth having turned by an angle in [th0, th1] (rad, less than pi
    apart) during the coast; writes the Earth-fixed burnout point to ``b``."""
    burnout_point(site, p, params, b)
    a = p[0] * b[0] + p[1] * b[1]
    s = p[0] * b[1] - p[1] * b[0]
    phi = math.atan2(s, a)  # p . b(turned by th) = p_z b_z + sqrt(a^2 + s^2) cos(th - phi)
    near = 1.0 if th0 <= phi <= th1 else max(math.cos(th0 - phi), math.cos(th1 - phi))
    c2 = (b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + p[0] * p[0] + p[1] * p[1] + p[2] * p[2]
          - 2.0 * (p[2] * b[2] + math.sqrt(a * a + s * s) * near))
    return math.sqrt(max(c2, 0.0))


@njit(cache=True)
def _speed_floor(site, p, tk, l0, params, gm, omega, b):
    """Lower bound of the needed speed `_cost` finds at a sample (time ``tk``, launch no earlier
    than ``l0``), less `SPEED_FLOOR_MARGIN`; inf where that is inf (no coast time). A conic from
    the burnout point B to P needs at least the inertial speed of the minimum-energy ellipse
    between them (semi-major axis (|B| + |P| + chord) / 4), and at least what covers the chord
    within the longest coast given the speed gained falling to the lowest radius on the way; the
    ground-relative speed is lower by at most the Earth's rotation speed at B."""
    tau_lo = params[P_BURN] + MIN_COAST
    tau_hi = tk - l0
    if not (tau_hi > tau_lo):
        return math.inf
    tc = tau_hi - params[P_BURN]
    c = _shortest_chord(site, p, params, omega * MIN_COAST, omega * tc, b)
    r1 = math.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
    r2 = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
    v2 = max(gm * (2.0 / r1 - 4.0 / (r1 + r2 + c)),
             (c / tc) ** 2 - 2.0 * gm * (1.0 / min(_LOWEST_RADIUS, r1, r2) - 1.0 / r1))
    floor = math.sqrt(max(v2, 0.0)) - omega * math.sqrt(b[0] * b[0] + b[1] * b[1]) - SPEED_FLOOR_MARGIN
    return floor if floor == floor else -math.inf


@njit(cache=True)
def _latest_ceiling(site, p, tk, params, omega, vmax, b):
    """Upper bound of t_k - earliest arrival at a sample (time ``tk``), plus
    `LATEST_CEILING_MARGIN`; -inf where that is NaN (no flight time). A coast covers at least the
    chord from B to P at no more than ``vmax`` (`interceptor.max_coast_speed`), and lasts at least
    `interceptor.MIN_COAST`."""
    if not (tk >= params[P_BURN] + MIN_COAST):
        return -math.inf
    c = _shortest_chord(site, p, params, omega * MIN_COAST, omega * (tk - params[P_BURN]), b)
    ceiling = tk - params[P_BURN] - max(MIN_COAST, c / vmax) + LATEST_CEILING_MARGIN
    return ceiling if ceiling == ceiling else math.inf


@njit(cache=True)
def _cost(mode, pi, t, site, params, gm, omega, ellipsoid, l0, k, res):
    """What a search minimises at the usable sample k of flight ``pi``: for `_LATEST`, -(t_k -
    the earliest arrival there, any launch from the threat's own), NaN if none; for `_SPEED`,
    the lowest needed burnout speed over flight times with launch >= l0 (inf if none), its flight
    time in ``res[1]``."""
    work = np.empty(9)
    b = np.empty(3)
    v = np.empty(3)
    if mode == _LATEST:
        return -(t[k] - earliest_arrival_one(site, pi[k], t[k], params, gm, omega, ellipsoid, b, v, work))
    res[1] = math.nan
    tau_lo = params[P_BURN] + MIN_COAST
    tau_hi = t[k] - l0
    if not (tau_hi > tau_lo):
        return math.inf
    tau, f = _golden_min(site, pi[k], tau_lo, tau_hi, params, gm, omega, ellipsoid, b, v, work, 1e-2, False)
    res[1] = tau
    return f + params[P_SPEED]


@njit(cache=True)
def _floor(mode, pi, t, site, params, gm, omega, vmax, l0, k, b):
    """Lower bound of `_cost` at sample k, less its margin (`_speed_floor`, `_latest_ceiling`)."""
    if mode == _LATEST:
        return -_latest_ceiling(site, pi[k], t[k], params, omega, vmax, b)
    return _speed_floor(site, pi[k], t[k], l0, params, gm, omega, b)


@njit(cache=True)
def _best_first(mode, pi, t, site, params, consts, l0, ks, nk, best, res):
    """(lowest `_cost` over the samples ``ks[:nk]``, the first of them reaching it) when it is
    below ``best`` (a cost found already), else (``best``, -1): what evaluating them in order
    keeping each strict improvement gives. They are evaluated lowest floor first (`_floor`),
    stopping at a floor above the best found (no sample left can reach it). ``consts``: (gm,
    omega, coast speed bound, equatorial radius, flattening)."""
    gm, omega, vmax = consts[0], consts[1], consts[2]
    b = np.empty(3)
    floors = np.empty(nk)
    for q in range(nk):
        floors[q] = _floor(mode, pi, t, site, params, gm, omega, vmax, l0, ks[q], b)
    kfirst = -1
    for q in np.argsort(floors):
        if floors[q] > best or floors[q] == math.inf:
            break
        c = _cost(mode, pi, t, site, params, gm, omega, consts[3:5], l0, ks[q], res)
        if c < best:
            best, kfirst = c, ks[q]
        elif c == best and 0 <= ks[q] < kfirst:
            kfirst = ks[q]
    return best, kfirst


@njit(cache=True)
def _pair_search(mode, pi, t, site, params, consts, l0, stride, usable, ks, res):
    """The search of one flight and battery: the lowest `_cost` over the usable samples (mask
    ``usable``) every ``stride`` samples, then over those within ``stride`` of the best one (all
    samples when there is none), each sample as evaluated in order. Returns (coarse best, its
    sample or -1, final best, the sample of the second pass reaching it or -1). ``ks``: scratch
    of the samples' length."""
    m = t.shape[0]
    nk = np.int64(0)  # not the literal 0: Numba would compile `_best_first` for it too
    for k in range(0, m, stride):
        if usable[k]:
            ks[nk] = k
            nk += 1
    best, kbest = _best_first(mode, pi, t, site, params, consts, l0, ks, nk, math.inf, res)
    lo, hi = (0, m) if kbest < 0 else (max(0, kbest - stride), min(m, kbest + stride + 1))
    nk = np.int64(0)
    for k in range(lo, hi):
        if k % stride != 0 and usable[k]:  # the coarse samples cannot go below the coarse best
            ks[nk] = k
            nk += 1
    fine, kfine = _best_first(mode, pi, t, site, params, consts, l0, ks, nk, best, res)
    return best, kbest, fine, kfine


@njit(cache=True, parallel=True)
def _latest_kernel(pos, t, sites, params, gm, omega, ellipsoid, stride, usable, out):
    """out[i, j] = max over the usable samples (``usable[i, j]``) of t_k - earliest arrival: the
    search of `_pair_search` (a coarse pass, then the samples near its best; the function is
    smooth). NaN where no sample has an arrival."""
    n, m = pos.shape[0], pos.shape[1]
    nb = sites.shape[0]
    for i in prange(n):
        ks = np.empty(m, dtype=np.int64)
        res = np.empty(2)
        consts = np.empty(5)
        for j in range(nb):
            site = sites[j]
            rs = math.sqrt(site[0] * site[0] + site[1] * site[1] + site[2] * site[2])
            consts[0], consts[1], consts[2] = gm, omega, max_coast_speed(params[j], rs, gm, omega)
            consts[3], consts[4] = ellipsoid[0], ellipsoid[1]
            fine = _pair_search(_LATEST, pos[i], t, site, params[j], consts, 0.0, stride, usable[i, j], ks, res)[2]
            out[i, j] = -fine if fine < math.inf else math.nan


@njit(cache=True, parallel=True)
def _min_speed_kernel(pos, t, sites, params, speed, gm, omega, ellipsoid, l0, stride, usable, out_speed, out_time):
    """Per flight i and battery j, with the burnout geometry of ``speed[i, j]``: minimum over the
    usable samples (``usable[i, j]``) of the needed speed with launch >= ``l0[i, j]`` (the search
    of `_pair_search`), and the time of the sample reaching it."""
    n, m = pos.shape[0], pos.shape[1]
    nb = sites.shape[0]
    for i in prange(n):
        ks = np.empty(m, dtype=np.int64)
        res = np.empty(2)
        par = np.empty(params.shape[1])
        consts = np.empty(5)
        consts[0], consts[1], consts[2], consts[3], consts[4] = gm, omega, math.inf, ellipsoid[0], ellipsoid[1]
        for j in range(nb):
            out_speed[i, j] = math.nan
            out_time[i, j] = math.nan
            if math.isnan(l0[i, j]) or math.isnan(speed[i, j]):
                continue
            for q in range(par.shape[0]):
                par[q] = params[j, q]
            par[P_SPEED] = speed[i, j]
            best, kbest, fine, kfine = _pair_search(_SPEED, pos[i], t, sites[j], par, consts, l0[i, j], stride,
                                                    usable[i, j], ks, res)
            if kfine >= 0:
                out_speed[i, j], out_time[i, j] = fine, t[kfine]
            elif kbest >= 0:
                out_speed[i, j], out_time[i, j] = best, t[kbest]


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


def _usable(pos, alt, t, sites, params, ellipsoid, window) -> np.ndarray:
    """(N, B, M) bool: the samples each battery's searches consider (`_usable_kernel`)."""
    out = np.empty((pos.shape[0], sites.shape[0], pos.shape[1]), dtype=np.bool_)
    _usable_kernel(pos, alt, t, sites, params, ellipsoid, window, out)
    return out


def latest_launch(trajectories, batteries: list[Battery], stride: int = 5, intercept_window=None) -> np.ndarray:
    """(N, B) latest launch time (s after the threat's launch, not before it) from which each
    battery's interceptor still meets each threat at a sample inside its altitude band and
    range (maximum over samples of t_k minus the earliest arrival there) and inside its
    guidance window (``intercept_window`` (N, B, 2), as `engagement.engage`; None = any
    time); NaN if none."""
    pos, alt, t, sites, params, gm, omega, ellipsoid = _arrays(trajectories, batteries)
    out = np.empty((pos.shape[0], len(batteries)))
    win = guidance_window(intercept_window, pos.shape[0], len(batteries))
    _latest_kernel(pos, t, sites, params, gm, omega, ellipsoid, max(1, int(stride)),
                   _usable(pos, alt, t, sites, params, ellipsoid, win), out)
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
    n, nb = len(trajectories), len(batteries)
    track = _track(track_time, n, nb)
    if np.isnan(track).all():  # nothing tracked: every pair NaN, no sample to search
        return np.full((n, nb), np.nan), np.full((n, nb), np.nan)
    pos, alt, t, sites, params, gm, omega, ellipsoid = _arrays(trajectories, batteries)
    win = guidance_window(intercept_window, n, nb)
    l0 = np.ascontiguousarray(track + params[None, :, 6])
    speed = np.ascontiguousarray(np.repeat(params[None, :, P_SPEED], n, axis=0))
    speed[np.isnan(l0)] = np.nan
    out_t = np.full((n, nb), np.nan)
    usable = _usable(pos, alt, t, sites, params, ellipsoid, win)
    for _ in range(max_iter):
        new = np.empty((n, nb))
        _min_speed_kernel(pos, t, sites, params, speed, gm, omega, ellipsoid, l0, max(1, int(stride)), usable, new,
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

