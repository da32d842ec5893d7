"""Arrival tables: an interceptor's earliest arrival time around one launch site, tabulated.

`engagement.engage` (``method="fast"``) asks, for every sample of every threat flight in a
battery's altitude band and range, how soon after launch the battery's interceptor can be
there (`interceptor.earliest_arrival_one`, a search over Lambert arcs). Around one site that
time is a smooth function of where the point lies, so it is computed once on a grid and
interpolated; the engagement then solves exactly only the samples whose decision the table
cannot settle.

Grid (site-centred, geocentric): ground angle psi from the site (0 to the interceptor's maximum
range over the site's radius), azimuth az clockwise from north (periodic, the Earth's rotation
makes arrival depend on it), and radial height h = |p| - |site| (covering the altitude band
with a margin for the ellipsoid). A node holds tau_a (s after launch), NaN where the point
cannot be reached at any flight time up to `MAX_FLIGHT_S`. Heights that no coast from burnout can
climb to (`beyond_energy_reach`, a bound from energy and angular momentum) are NaN without a
search: the search would find nothing there (a slowed interceptor has many such rows).

Interpolation is trilinear. Its error bound per cell (`ArrivalTable.margin`, s) is estimated
from the nodes' second differences (the error of linear interpolation is at most h^2 |f''| / 8
per axis) with a safety factor `SAFETY` and a floor `MIN_MARGIN_S`; a cell with any NaN corner
has no estimate (the lookup returns NaN: solve exactly), except a cell whose nodes and the
ring of nodes around it are all unreachable (`UNREACHABLE`): the lookup says +inf, beyond reach
(a slowed interceptor leaves two thirds of its table so, where every sample used to be solved
exactly). Decisions whose table value lies
within the margin of the threshold are solved exactly, so the table moves no result by more
than its error estimate can miss (see the tests comparing the fast and exact engagements).

The cells it cannot settle (the edge of the interceptor's reach) have a second table: the
smallest needed minus available burnout speed over all flight times (`min_excess`, m/s), a
smooth function across that edge, at their nodes and neighbours, with a margin estimated the
same way (floor `EXCESS_MIN_MARGIN`). Where it clears zero by its margin the point is beyond
reach at every flight time (`beyond_by_excess`): the engagement's exact search would find no
arrival there, so it is not run.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .interceptor import (MIN_COAST, P_BO_ALT, P_BURN, P_DELAY, P_MAX_ALT, P_MIN_ALT, P_RANGE, P_SPEED, _excess, _golden_min,
                          arrival_near, earliest_arrival_one, feasible_time_one)

MAX_FLIGHT_S = 2000.0
"""Longest interceptor flight (s after launch) the table searches for an arrival."""

PSI_STEP_M = 40_000.0
"""Largest ground spacing of the nodes along the ground angle (m at the site's radius)."""

PSI_NODES = 48
"""Nodes out to the interceptor's maximum range at least (finer spacing for short ranges)."""

H_STEP_M = 40_000.0
"""Largest spacing of the nodes in radial height, m."""

H_NODES = 24
"""Nodes over the altitude band at least."""

AZ_STEPS = 24
"""Nodes over a full turn of azimuth."""

H_PAD_M = 30_000.0
"""Radial-height margin beyond the altitude band (geodetic and radial heights differ by up to
~21 km over the ellipsoid)."""

SAFETY = 4.0
"""Factor on the second-difference estimate of the interpolation error."""

MIN_MARGIN_S = 0.25
"""Smallest margin (s) a table value must clear a threshold by to decide without solving."""


@dataclass(frozen=True)
class ArrivalTable:
    """Earliest arrival of one interceptor from one site on a (az, h, psi) grid.

    Attributes:
        frame: (4, 3) site ECEF position (m), then unit up, north, east vectors (geocentric).
        axes: (6,) psi0, dpsi (rad), h0, dh (m), daz (rad), n_az.
        tau: (n_az + 1, n_h, n_psi) earliest arrival, s after launch (NaN: unreachable); the
            last azimuth row repeats the first.
        margin: (n_az, n_h - 1, n_psi - 1) error bound of each cell, s (inf where unknown,
            `UNREACHABLE` where every node of the cell and its ring is unreachable).
        excess: like tau: the smallest needed minus available burnout speed over flight times up
            to `MAX_FLIGHT_S` (m/s, `min_excess`) at the nodes of the cells the tau table cannot
            settle and their neighbours (NaN elsewhere).
        excess_margin: like margin: error bound (m/s) of the interpolated excess in those cells
            (inf elsewhere, and where a corner or a second difference is missing): `excess_at`.
    """

    frame: np.ndarray
    axes: np.ndarray
    tau: np.ndarray
    margin: np.ndarray
    excess: np.ndarray
    excess_margin: np.ndarray


def site_frame(site) -> np.ndarray:
    """(4, 3): the site (ECEF m) and its geocentric up, north and east unit vectors."""
    s = np.asarray(site, dtype=float)
    up = s / np.linalg.norm(s)
    east = np.array([-up[1], up[0], 0.0])
    ne = np.linalg.norm(east)
    east = np.array([0.0, 1.0, 0.0]) if ne < 1e-12 else east / ne
    north = np.cross(up, east)
    return np.stack([s, up, north, east])


@njit(cache=True, _nrt=False)
def _node_point(frame, psi, az, h, out):
    rs = math.sqrt(frame[0, 0] ** 2 + frame[0, 1] ** 2 + frame[0, 2] ** 2)
    c, s = math.cos(psi), math.sin(psi)
    ca, sa = math.cos(az), math.sin(az)
    for k in range(3):
        out[k] = (rs + h) * (c * frame[1, k] + s * (ca * frame[2, k] + sa * frame[3, k]))


SPEED_SLACK = 1e-3
"""Relative allowance on the burnout speed in `beyond_energy_reach` (more than any rounding of
the Lambert solution: a height it calls beyond reach is beyond reach by a clear margin)."""


@njit(cache=True, _nrt=False)
def beyond_energy_reach(r, params, rs, gm, omega):
    """Whether no coast from the burnout sphere (radius rb = rs + burnout altitude, m) with a
    speed relative to the rotating Earth of at most the burnout speed V can reach geocentric
    radius r (m) anywhere, at any time. Only heights above burnout (r > rb) can be so.

    Proof. Any coast arc starting at B (|B| = rb) with inertial velocity v1 = w + u, where w is
    the Earth-relative burnout velocity (|w| <= V) and u = omega x B is horizontal with
    |u| <= U = omega rb, conserves energy and angular momentum; at radius r its radial speed
    squared is |v1|^2 - 2 gm (1/rb - 1/r) - vt^2 rb^2 / r^2 (vt the horizontal part of v1 at B),
    which must be >= 0. So the arc reaches r only if Q = vr^2 + k vt^2 >= 2 gm (1/rb - 1/r) with
    k = 1 - rb^2 / r^2 in (0, 1). Over the ball |w| <= V, Q is largest with w in the vertical
    plane of u: Q(a) = V^2 - a^2 + k (U + a)^2 (a the horizontal part of w, concave in a),
    whose maximum is V^2 + k U^2 / (1 - k) at a = k U / (1 - k) when that is <= V, else
    k (U + V)^2. If even that maximum (with V and U enlarged by `SPEED_SLACK`) falls short,
    `earliest_arrival_one` finds no time with a needed speed <= V at any point of radius r.
    (The burnout point lies at radius rb exactly: `interceptor.burnout_point`.)"""
    rb = rs + params[P_BO_ALT]
    if not (r > rb):
        return False
    vv = params[P_SPEED] * (1.0 + SPEED_SLACK)
    uu = omega * rb * (1.0 + SPEED_SLACK)
    k = 1.0 - (rb / r) ** 2
    a = k * uu / (1.0 - k)
    q = vv * vv + k * uu * uu / (1.0 - k) if a <= vv else k * (uu + vv) ** 2
    return q < 2.0 * gm * (1.0 / rb - 1.0 / r)


@njit(cache=True, parallel=True, nogil=True)
def _build_kernel(frame, axes, n_h, n_psi, params, gm, omega, ellipsoid, prune, tau):
    """Fill tau (n_az, n_h, n_psi): each (az, h) row along psi, warm-started from its neighbour.
    With ``prune``, a row whose height is `beyond_energy_reach` is NaN without searching (the
    search would find nothing: the table is the same)."""
    n_az = int(axes[5])
    site = frame[0].copy()
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    for row in prange(n_az * n_h):
        i = row // n_h
        j = row % n_h
        p = np.empty(3)
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        guess = math.nan
        if prune and beyond_energy_reach(rs + axes[2] + j * axes[3], params, rs, gm, omega):
            for k in range(n_psi):
                tau[i, j, k] = math.nan
            continue
        for k in range(n_psi):
            if k > 0 and math.isnan(guess) and not math.isnan(tau[i, j, 0]):
                tau[i, j, k] = math.nan  # beyond the reach of this row (the cells say unknown)
                continue
            _node_point(frame, axes[0] + k * axes[1], i * axes[4], axes[2] + j * axes[3], p)
            t = math.nan
            if not math.isnan(guess):
                hi = guess + 60.0
                tf = feasible_time_one(site, p, hi, params, gm, omega, ellipsoid, b, v, work)
                if not math.isnan(tf):
                    t = arrival_near(site, p, tf, math.nan, guess, params, gm, omega, ellipsoid, b, v, work)
            if math.isnan(t):
                t = earliest_arrival_one(site, p, MAX_FLIGHT_S, params, gm, omega, ellipsoid, b, v, work)
            tau[i, j, k] = t
            guess = t


@njit(cache=True, _nrt=False)
def _second_difference(tau, i, j, k, axis):
    """|f(x + h) - 2 f(x) + f(x - h)| at node (i, j, k) along ``axis`` (0 az, periodic; 1 h;
    2 psi); NaN where a neighbour is missing or unreachable."""
    n_az, n_h, n_psi = tau.shape
    if axis == 0:
        fa, fb = tau[(i + 1) % n_az, j, k], tau[(i - 1) % n_az, j, k]
    elif axis == 1:
        if j == 0 or j == n_h - 1:
            return math.nan
        fa, fb = tau[i, j + 1, k], tau[i, j - 1, k]
    else:
        if k == 0 or k == n_psi - 1:
            return math.nan
        fa, fb = tau[i, j, k + 1], tau[i, j, k - 1]
    return abs(fa - 2.0 * tau[i, j, k] + fb)


UNREACHABLE = -1.0
"""Margin of a cell the table deems beyond reach (`_unreachable_around`); `lookup` then says the
earliest arrival is +inf (no flight time up to `MAX_FLIGHT_S` reaches the point)."""


@njit(cache=True, _nrt=False)
def _unreachable_around(tau, i, j, k):
    """Whether every node of cell (i, j, k) and of the ring of cells around it (nodes i-1..i+2,
    j-1..j+2, k-1..k+2; azimuth periodic, clipped at the height and ground-angle ends) is
    unreachable. Assumption: the reachable set is not a pocket narrower than two cells between
    unreachable nodes (the reach boundary is smooth on the scale of the node spacing), so a point
    of such a cell is unreachable too; the fast engagement's agreement with the exact one on the
    1-degree epaa-2018 flights at full and 80 % interceptor speed checks it
    (benchmarks/bench_engage.py)."""
    n_az, n_h, n_psi = tau.shape
    for di in range(-1, 3):
        ii = (i + di) % n_az
        for jj in range(max(0, j - 1), min(n_h, j + 3)):
            for kk in range(max(0, k - 1), min(n_psi, k + 3)):
                if not math.isnan(tau[ii, jj, kk]):
                    return False
    return True


@njit(cache=True, _nrt=False)
def _margins(tau, safety, floor, out):
    """Per cell: safety * (sum over axes of the largest |second difference| at its corners) / 8,
    at least ``floor``; inf where a corner is unreachable or an axis has no second difference
    at any corner."""
    n_az = out.shape[0]
    for i in range(n_az):
        for j in range(out.shape[1]):
            for k in range(out.shape[2]):
                bad = False
                for di in range(2):
                    for dj in range(2):
                        for dk in range(2):
                            if math.isnan(tau[(i + di) % n_az, j + dj, k + dk]):
                                bad = True
                total = 0.0
                for axis in range(3):
                    worst = -1.0
                    for di in range(2):
                        for dj in range(2):
                            for dk in range(2):
                                d2 = _second_difference(tau, (i + di) % n_az, j + dj, k + dk, axis)
                                if not math.isnan(d2):
                                    worst = max(worst, d2)
                    if worst < 0.0:
                        bad = True
                    total += worst
                if not bad:
                    out[i, j, k] = max(floor, safety * total / 8.0)
                elif _unreachable_around(tau, i, j, k):
                    out[i, j, k] = UNREACHABLE
                else:
                    out[i, j, k] = math.inf


EXCESS_SCAN = 12
"""Flight times `min_excess` scans (evenly over burn time + `interceptor.MIN_COAST` to
`MAX_FLIGHT_S`) before refining the lowest by golden section."""

EXCESS_MIN_MARGIN = 2.0
"""Smallest margin (m/s) an interpolated minimum speed excess must clear zero by for
`beyond_by_excess`."""


@njit(cache=True, _nrt=False)
def min_excess(site, p, params, gm, omega, ellipsoid, b, v, work):
    """Smallest needed minus available ground-relative burnout speed (m/s) over flight times
    from burn time + MIN_COAST to `MAX_FLIGHT_S` to be at p (> 0: no such flight reaches p, so the
    exact search finds none): `EXCESS_SCAN` + 1 evenly spaced times, then a golden section
    (to 0.01 s) between the neighbours of the lowest; inf where no arc exists at any of them."""
    tau_lo = params[P_BURN] + MIN_COAST
    step = (MAX_FLIGHT_S - tau_lo) / EXCESS_SCAN
    best = math.inf
    at = -1
    for q in range(EXCESS_SCAN + 1):
        f = _excess(site, p, tau_lo + q * step, params, gm, omega, ellipsoid, b, v, work)
        if f < best:
            best, at = f, q
    if at < 0:
        return math.inf
    lo = tau_lo + max(at - 1, 0) * step
    hi = tau_lo + min(at + 1, EXCESS_SCAN) * step
    return min(best, _golden_min(site, p, lo, hi, params, gm, omega, ellipsoid, b, v, work, 0.2, False)[1])


@njit(cache=True, _nrt=False)
def _settled_by_excess(tau, margin, i, j, k):
    """Whether cell (i, j, k) is one `beyond_by_excess` may settle: one the tau table cannot
    (inf margin: a corner unreachable, the other corners reachable or not)."""
    return margin[i, j, k] == math.inf


def _excess_nodes(tau, margin) -> np.ndarray:
    """(K, 3) nodes whose `min_excess` the cells `_settled_by_excess` need: their corners and the
    corners' neighbours along each axis (for the second differences of `_excess_margins`)."""
    unknown = margin == math.inf
    corner = np.zeros(tau.shape, dtype=bool)
    for dj in range(2):
        for dk in range(2):
            block = corner[:, dj:dj + unknown.shape[1], dk:dk + unknown.shape[2]]
            block |= unknown | np.roll(unknown, 1, axis=0)  # azimuth periodic: cell i has nodes i and i + 1
    want = corner | np.roll(corner, 1, axis=0) | np.roll(corner, -1, axis=0)
    want[:, 1:] |= corner[:, :-1]
    want[:, :-1] |= corner[:, 1:]
    want[:, :, 1:] |= corner[:, :, :-1]
    want[:, :, :-1] |= corner[:, :, 1:]
    return np.ascontiguousarray(np.argwhere(want).astype(np.int64))

@njit(cache=True, parallel=True)
def _excess_kernel(frame, axes, todo, params, gm, omega, ellipsoid, excess):
    """excess[node] <- `min_excess` at each node of ``todo`` (K, 3)."""
    site = frame[0].copy()
    for q in prange(todo.shape[0]):
        i, j, k = todo[q, 0], todo[q, 1], todo[q, 2]
        p = np.empty(3)
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        _node_point(frame, axes[0] + k * axes[1], i * axes[4], axes[2] + j * axes[3], p)
        excess[i, j, k] = min_excess(site, p, params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, _nrt=False)
def _excess_margins(tau, excess, margin, safety, floor, out):
    """Per cell `_settled_by_excess` whose corners all have a finite excess: safety * (sum over
    axes of the largest |second difference| of the excess at its corners) / 8, at least
    ``floor`` (m/s); inf elsewhere and where an axis has no second difference at any corner."""
    n_az = out.shape[0]
    for i in range(n_az):
        for j in range(out.shape[1]):
            for k in range(out.shape[2]):
                out[i, j, k] = math.inf
                if not _settled_by_excess(tau, margin, i, j, k):
                    continue
                ok = True
                for di in range(2):
                    for dj in range(2):
                        for dk in range(2):
                            if not math.isfinite(excess[(i + di) % n_az, j + dj, k + dk]):
                                ok = False
                total = 0.0
                for axis in range(3):
                    worst = -1.0
                    for di in range(2):
                        for dj in range(2):
                            for dk in range(2):
                                d2 = _second_difference(excess, (i + di) % n_az, j + dj, k + dk, axis)
                                if math.isfinite(d2):
                                    worst = max(worst, d2)
                    if worst < 0.0:
                        ok = False
                    total += worst
                if ok:
                    out[i, j, k] = max(floor, safety * total / 8.0)


def build(site, params, gm: float, omega: float, ellipsoid, prune: bool = True) -> ArrivalTable:
    """The arrival table of an interceptor (packed ``params``, `Interceptor.params`) launched
    from Earth-fixed ``site`` (m), under gravity ``gm`` (m^3/s^2), rotation ``omega`` (rad/s),
    its arcs clearing the surface of ``ellipsoid`` (equatorial radius m, flattening;
    `interceptor.ellipsoid_of`). ``prune=False`` searches every node, even those at heights
    `beyond_energy_reach` (the same table, slower: for tests and benchmarks)."""
    params = np.ascontiguousarray(params, dtype=float)
    ellipsoid = np.ascontiguousarray(ellipsoid, dtype=float)
    frame = np.ascontiguousarray(site_frame(site))
    rs = float(np.linalg.norm(frame[0]))
    d_psi = min(PSI_STEP_M, params[P_RANGE] / PSI_NODES)
    n_psi = max(2, int(math.ceil(params[P_RANGE] / d_psi)) + 2)  # one node beyond the range
    d_h = min(H_STEP_M, max(params[P_MAX_ALT] - params[P_MIN_ALT], 1.0) / H_NODES)
    h0 = max(0.0, params[P_MIN_ALT] - H_PAD_M)
    n_h = max(2, int(math.ceil((params[P_MAX_ALT] + H_PAD_M - h0) / d_h)) + 1)
    axes = np.array([0.0, d_psi / rs, h0, d_h, 2.0 * math.pi / AZ_STEPS, float(AZ_STEPS)])
    tau = np.empty((AZ_STEPS, n_h, n_psi))
    _build_kernel(frame, axes, n_h, n_psi, params, float(gm), float(omega), ellipsoid, bool(prune), tau)
    margin = np.empty((AZ_STEPS, n_h - 1, n_psi - 1))
    _margins(tau, SAFETY, MIN_MARGIN_S, margin)
    excess = np.full(tau.shape, np.nan)
    todo = _excess_nodes(tau, margin)
    _excess_kernel(frame, axes, todo, params, float(gm), float(omega), ellipsoid, excess)
    excess_margin = np.empty(margin.shape)
    _excess_margins(tau, excess, margin, SAFETY, EXCESS_MIN_MARGIN, excess_margin)
    tau = np.concatenate([tau, tau[:1]], axis=0)
    excess = np.concatenate([excess, excess[:1]], axis=0)
    return ArrivalTable(frame, axes, np.ascontiguousarray(tau), np.ascontiguousarray(margin),
                        np.ascontiguousarray(excess), np.ascontiguousarray(excess_margin))


CACHE_SIZE = 64
"""Tables kept per process (the oldest is dropped beyond this)."""

_TABLES: dict = {}


def _key(site, params, gm, omega, ellipsoid) -> tuple:
    """The memo key; the launch delay is left out (it shifts launch times, not the arrival after
    launch: a delay change reuses the table)."""
    figures = [float(x) for x in params]
    figures[P_DELAY] = 0.0
    return tuple(map(float, site)), tuple(figures), float(gm), float(omega), tuple(map(float, ellipsoid))


def _remember(key, table) -> None:
    """Store ``table`` (None: promised, `promise`) under ``key``; a key already held keeps its
    place in the order of eviction."""
    if key not in _TABLES and len(_TABLES) >= CACHE_SIZE:
        _TABLES.pop(next(iter(_TABLES)))
    _TABLES[key] = table


def table_for(site, params, gm: float, omega: float, ellipsoid) -> ArrivalTable:
    """`build`, memoised per (site, interceptor parameters but the launch delay, gravity, rotation,
    ellipsoid) for the life of the process (a table takes a fraction of a second; every batch reuses it).
    A promised table (`promise`) is built now."""
    key = _key(site, params, gm, omega, ellipsoid)
    table = _TABLES.get(key)
    if table is None:
        with _BUILDING:  # threads of one process (`parallel.ThreadedExecutor`) build a table once
            table = _TABLES.get(key)
            if table is None:
                table = _stored_build(key)
                _remember(key, table)
    return table


_BUILDING = threading.Lock()


_FIELDS = ("frame", "axes", "tau", "margin", "excess", "excess_margin")


def _stored_build(key) -> ArrivalTable:
    """`build` of the memo ``key`` (`_key`), kept on disk for the next process (`stored`; the
    table read back is the built one bit for bit)."""
    from . import stored

    site, params, gm, omega, ellipsoid = key
    data = stored.fetch("arrival", key, lambda: vars(build(np.array(site), np.array(params), gm, omega, np.array(ellipsoid))),
                        _FIELDS)
    return ArrivalTable(**{f: np.ascontiguousarray(data[f], dtype=float) for f in _FIELDS})


def promise(site, params, gm: float, omega: float, ellipsoid) -> None:
    """Count the table of these arguments as made -- `is_cached` says so from now on, and it takes
    its place in the memo as `table_for` would -- without building it yet: `table_for` builds it
    when it is first asked for. For an engagement that would build a table its flights never
    read (`engagement.engage`: no sample can be a candidate of the battery): whether later
    engagements use a table stays the same, and so do their results."""
    key = _key(site, params, gm, omega, ellipsoid)
    if key not in _TABLES:
        _remember(key, None)


def is_cached(site, params, gm: float, omega: float, ellipsoid) -> bool:
    """Whether `table_for` holds the table of these arguments already (built or promised)."""
    return _key(site, params, gm, omega, ellipsoid) in _TABLES


def is_built(site, params, gm: float, omega: float, ellipsoid) -> bool:
    """Whether `table_for` holds the table of these arguments built (not only promised)."""
    return _TABLES.get(_key(site, params, gm, omega, ellipsoid)) is not None


EMPTY_TABLE = ArrivalTable(frame=np.zeros((4, 3)), axes=np.array([0.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
                           tau=np.full((2, 2, 2), np.nan), margin=np.full((1, 1, 1), np.inf),
                           excess=np.full((2, 2, 2), np.nan), excess_margin=np.full((1, 1, 1), np.inf))
"""A placeholder that settles nothing (every lookup says unknown), for packing beside real tables."""


@njit(cache=True, _nrt=False)
def lookup(frame, axes, tau, margin, p, out):
    """Interpolated earliest arrival at Earth-fixed p (m): out <- (tau_a s, margin s); (+inf, 0)
    in a cell deemed beyond reach (`UNREACHABLE`). Returns False (out untouched) where the table
    cannot say: outside the grid or another cell with an unreachable corner."""
    sx, sy, sz = frame[0, 0], frame[0, 1], frame[0, 2]
    rs = math.sqrt(sx * sx + sy * sy + sz * sz)
    rp = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
    cu = (p[0] * frame[1, 0] + p[1] * frame[1, 1] + p[2] * frame[1, 2]) / rp
    pn = (p[0] * frame[2, 0] + p[1] * frame[2, 1] + p[2] * frame[2, 2]) / rp
    pe = (p[0] * frame[3, 0] + p[1] * frame[3, 1] + p[2] * frame[3, 2]) / rp
    psi = math.atan2(math.sqrt(pn * pn + pe * pe), cu)
    az = math.atan2(pe, pn)
    if az < 0.0:
        az += 2.0 * math.pi
    h = rp - rs
    n_az = int(axes[5])
    n_h = tau.shape[1]
    n_psi = tau.shape[2]
    x = (psi - axes[0]) / axes[1]
    y = (h - axes[2]) / axes[3]
    z = az / axes[4]
    k = int(math.floor(x))
    j = int(math.floor(y))
    i = int(math.floor(z))
    if k < 0 or k >= n_psi - 1 or j < 0 or j >= n_h - 1:
        return False
    if i >= n_az:
        i = n_az - 1
    m = margin[i, j, k]
    if m == UNREACHABLE:
        out[0] = math.inf
        out[1] = 0.0
        return True
    if not (m < math.inf):
        return False
    fx = x - k
    fy = y - j
    fz = z - i
    c00 = tau[i, j, k] * (1.0 - fx) + tau[i, j, k + 1] * fx
    c01 = tau[i, j + 1, k] * (1.0 - fx) + tau[i, j + 1, k + 1] * fx
    c10 = tau[i + 1, j, k] * (1.0 - fx) + tau[i + 1, j, k + 1] * fx
    c11 = tau[i + 1, j + 1, k] * (1.0 - fx) + tau[i + 1, j + 1, k + 1] * fx
    c0 = c00 * (1.0 - fy) + c01 * fy
    c1 = c10 * (1.0 - fy) + c11 * fy
    out[0] = c0 * (1.0 - fz) + c1 * fz
    out[1] = m
    return True


_ATAN_C = (0.9999769217344311, -0.3326206269307281, 0.19354628865404166, -0.11647668396470547,
           0.05273015414969067, -0.011759863798995414)
"""Odd polynomial (least squares on [0, 1]) for atan: max error 2.0e-6 rad (`COARSE_ATAN_ERR`)."""

COARSE_ATAN_ERR = 1e-5
"""Bound (rad) on the error of `coarse_atan2`, five times the largest measured (2.0e-6 rad, on
2 million points of [0, 1]; tests/test_arrival_table.py checks it)."""


@njit(cache=True, _nrt=False)
def coarse_atan2(y, x):
    """atan2(y, x) (rad) within `COARSE_ATAN_ERR`: a polynomial in min/max of |x| and |y|."""
    ax = abs(x)
    ay = abs(y)
    if ax == 0.0 and ay == 0.0:
        return 0.0
    flip = ay > ax
    u = ax / ay if flip else ay / ax
    u2 = u * u
    r = u * (_ATAN_C[0] + u2 * (_ATAN_C[1] + u2 * (_ATAN_C[2] + u2 * (_ATAN_C[3] + u2 * (_ATAN_C[4]
                                                                                         + u2 * _ATAN_C[5])))))
    if flip:
        r = 0.5 * math.pi - r
    if x < 0.0:
        r = math.pi - r
    return -r if y < 0.0 else r


@njit(cache=True, error_model="numpy", _nrt=False)
def cell_bounds(frame, axes, margin, tau_min, tau_max, pos, cand, t, nc, bound, mrg):
    """Bounds on t_k - `lookup`'s value at candidates c < ``nc`` (samples k = cand[c] of ``pos``
    (M, 3) Earth-fixed m, at times ``t`` s) without interpolating, where the sample's cell is
    certain (its angles from `coarse_atan2`, away from the cell's edges by more than its error;
    its radial height computed as `lookup` computes it, so the same) and has a finite margin:
    bound[c] <- (t_k - tau_max, t_k - tau_min) of that cell (`cell_range`: `lookup` returns True,
    a value between the two and that margin), mrg[c] <- the margin; elsewhere bound[c] <- NaN
    (`lookup` must say). One branch-free loop over the candidates."""
    rs = math.sqrt(frame[0, 0] * frame[0, 0] + frame[0, 1] * frame[0, 1] + frame[0, 2] * frame[0, 2])
    n_i = min(margin.shape[0], int(axes[5]))
    n_j = margin.shape[1]
    n_k = margin.shape[2]
    turn = 2.0 * math.pi
    for c in range(nc):
        q = cand[c]
        px = pos[q, 0]
        py = pos[q, 1]
        pz = pos[q, 2]
        rp = math.sqrt(px * px + py * py + pz * pz)
        y = math.floor((rp - rs - axes[2]) / axes[3])
        cu = px * frame[1, 0] + py * frame[1, 1] + pz * frame[1, 2]
        pn = px * frame[2, 0] + py * frame[2, 1] + pz * frame[2, 2]
        pe = px * frame[3, 0] + py * frame[3, 1] + pz * frame[3, 2]
        psi = coarse_atan2(math.sqrt(pn * pn + pe * pe), cu)
        x = math.floor((psi - COARSE_ATAN_ERR - axes[0]) / axes[1])
        x_hi = math.floor((psi + COARSE_ATAN_ERR - axes[0]) / axes[1])
        az = coarse_atan2(pe, pn)
        az = az + turn if az < 0.0 else az
        z = math.floor((az - COARSE_ATAN_ERR) / axes[4])
        z_hi = math.floor((az + COARSE_ATAN_ERR) / axes[4])
        ok = ((y >= 0.0) & (y < n_j) & (x == x_hi) & (x >= 0.0) & (x < n_k) & (z == z_hi) & (z >= 0.0) & (z < n_i)
              & (az >= COARSE_ATAN_ERR) & (az <= turn - COARSE_ATAN_ERR))
        i = int(min(max(z, 0.0), n_i - 1.0)) if ok else 0
        j = int(min(max(y, 0.0), n_j - 1.0)) if ok else 0
        k = int(min(max(x, 0.0), n_k - 1.0)) if ok else 0
        m = margin[i, j, k]
        lo = tau_min[i, j, k]
        hi = tau_max[i, j, k]
        ok = ok & (m < math.inf) & (m != UNREACHABLE) & (lo > -math.inf) & (hi < math.inf) & (lo < hi)
        bound[c, 0] = t[q] - hi if ok else math.nan
        bound[c, 1] = t[q] - lo if ok else math.nan
        mrg[c] = m if ok else math.inf



@njit(cache=True, _nrt=False)
def excess_at(frame, axes, excess, excess_margin, p, out):
    """Minimum speed excess (`min_excess`) interpolated at Earth-fixed p (m): out <- (m/s, its
    margin m/s). Returns False (out untouched) where the excess table cannot say (outside the
    grid, or a cell it does not cover)."""
    sx, sy, sz = frame[0, 0], frame[0, 1], frame[0, 2]
    rs = math.sqrt(sx * sx + sy * sy + sz * sz)
    rp = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
    cu = (p[0] * frame[1, 0] + p[1] * frame[1, 1] + p[2] * frame[1, 2]) / rp
    pn = (p[0] * frame[2, 0] + p[1] * frame[2, 1] + p[2] * frame[2, 2]) / rp
    pe = (p[0] * frame[3, 0] + p[1] * frame[3, 1] + p[2] * frame[3, 2]) / rp
    az = math.atan2(pe, pn)
    if az < 0.0:
        az += 2.0 * math.pi
    x = (math.atan2(math.sqrt(pn * pn + pe * pe), cu) - axes[0]) / axes[1]
    y = (rp - rs - axes[2]) / axes[3]
    z = az / axes[4]
    k, j, i = int(math.floor(x)), int(math.floor(y)), min(int(math.floor(z)), int(axes[5]) - 1)
    if k < 0 or k >= excess.shape[2] - 1 or j < 0 or j >= excess.shape[1] - 1:
        return False
    m = excess_margin[i, j, k]
    if not (m < math.inf):
        return False
    fx, fy, fz = x - k, y - j, z - i
    c0 = ((excess[i, j, k] * (1.0 - fx) + excess[i, j, k + 1] * fx) * (1.0 - fy)
          + (excess[i, j + 1, k] * (1.0 - fx) + excess[i, j + 1, k + 1] * fx) * fy)
    c1 = ((excess[i + 1, j, k] * (1.0 - fx) + excess[i + 1, j, k + 1] * fx) * (1.0 - fy)
          + (excess[i + 1, j + 1, k] * (1.0 - fx) + excess[i + 1, j + 1, k + 1] * fx) * fy)
    out[0] = c0 * (1.0 - fz) + c1 * fz
    out[1] = m
    return True


@njit(cache=True, _nrt=False)
def beyond_by_excess(frame, axes, excess, excess_margin, p, out):
    """Whether the minimum speed excess interpolated at Earth-fixed p (`excess_at`, into scratch
    ``out`` (2,)) clears zero by its cell's margin: then no flight time up to `MAX_FLIGHT_S`
    reaches p."""
    return excess_at(frame, axes, excess, excess_margin, p, out) and out[0] - out[1] > 0.0


@njit(cache=True, parallel=True)
def _excess_batch(frame, axes, excess, excess_margin, p, out):
    for n in prange(p.shape[0]):
        o = np.empty(2)
        if excess_at(frame, axes, excess, excess_margin, p[n], o):
            out[n, 0] = o[0]
            out[n, 1] = o[1]
        else:
            out[n, 0] = math.nan
            out[n, 1] = math.inf


def interpolate_excess(table: ArrivalTable, points) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated minimum speed excess (m/s, `excess_at`) at Earth-fixed ``points`` (N, 3) m
    and its margin (m/s); NaN and inf where the excess table cannot say."""
    p = np.ascontiguousarray(np.atleast_2d(np.asarray(points, dtype=float)))
    out = np.empty((p.shape[0], 2))
    _excess_batch(table.frame, table.axes, table.excess, table.excess_margin, p, out)
    return out[:, 0], out[:, 1]


@njit(cache=True, parallel=True)
def _min_excess_batch(site, p, params, gm, omega, ellipsoid, out):
    for n in prange(p.shape[0]):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        out[n] = min_excess(site, p[n], params, gm, omega, ellipsoid, b, v, work)


def minimum_excess(site, params, gm: float, omega: float, ellipsoid, points) -> np.ndarray:
    """`min_excess` (m/s) of the interceptor (packed ``params``) from Earth-fixed ``site`` at
    Earth-fixed ``points`` (N, 3) m, as the table's nodes hold it."""
    p = np.ascontiguousarray(np.atleast_2d(np.asarray(points, dtype=float)))
    out = np.empty(p.shape[0])
    _min_excess_batch(np.ascontiguousarray(site, dtype=float).reshape(3), p, np.ascontiguousarray(params, dtype=float),
                      float(gm), float(omega), np.ascontiguousarray(ellipsoid, dtype=float), out)
    return out

@njit(cache=True, parallel=True, nogil=True)
def _lookup_batch(frame, axes, tau, margin, p, out):
    for n in prange(p.shape[0]):
        o = np.empty(2)
        if lookup(frame, axes, tau, margin, p[n], o):
            out[n, 0] = o[0]
            out[n, 1] = o[1]
        else:
            out[n, 0] = math.nan
            out[n, 1] = math.inf


def interpolate(table: ArrivalTable, points) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated earliest arrival (s after launch) at Earth-fixed ``points`` (N, 3) m and its
    margin (s); NaN and inf where the table cannot say, +inf and 0 where it deems the point beyond
    reach."""
    p = np.ascontiguousarray(np.atleast_2d(np.asarray(points, dtype=float)))
    out = np.empty((p.shape[0], 2))
    _lookup_batch(table.frame, table.axes, table.tau, table.margin, p, out)
    return out[:, 0], out[:, 1]



@dataclass(frozen=True)
class PackedTables:
    """Several tables in flat arrays for compiled kernels: table j has frame ``frames[j]``,
    axes ``axes[j]``, tau of shape ``shapes[j]`` at ``tau[tau_start[j]:]`` and margins at
    ``margin[margin_start[j]:]`` (both C order); its excess and excess margins likewise at
    ``excess[tau_start[j]:]`` and ``excess_margin[margin_start[j]:]`` (`packed_views` of them); the
    bounds of its cells (`cell_range`) at ``tau_min[margin_start[j]:]``, ``tau_max[...]``."""

    frames: np.ndarray
    axes: np.ndarray
    shapes: np.ndarray
    tau_start: np.ndarray
    margin_start: np.ndarray
    tau: np.ndarray
    margin: np.ndarray
    excess: np.ndarray
    excess_margin: np.ndarray
    tau_min: np.ndarray
    tau_max: np.ndarray


CELL_BOUND_SLACK_S = 1e-6
"""Allowance (s) on `cell_range` for the rounding of the trilinear interpolation (a convex
combination of the corners, rounded by below 1e-10 s for arrivals up to `MAX_FLIGHT_S`)."""


def cell_range(tau) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest of the 8 corners of every cell of a tau table (shaped like its margin),
    widened by `CELL_BOUND_SLACK_S`: bounds on every value `lookup` interpolates in that cell."""
    corners = np.stack([tau[a:tau.shape[0] - 1 + a, b:tau.shape[1] - 1 + b, c:tau.shape[2] - 1 + c]
                        for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    return corners.min(axis=0) - CELL_BOUND_SLACK_S, corners.max(axis=0) + CELL_BOUND_SLACK_S


PACKED_CACHE_SIZE = 8
"""Packings `pack` keeps (with their tables, so that the tables' ids stay theirs)."""

_PACKED: dict = {}


def pack(tables) -> PackedTables:
    """`PackedTables` of a sequence of `ArrivalTable` (at least one); the same tables (the same
    objects, in the same order) give the packing made before (tables are not changed once made)."""
    tables = list(tables)
    key = tuple(id(t) for t in tables)
    hit = _PACKED.get(key)
    if hit is not None:
        return hit[1]
    packed = _pack(tables)
    if len(_PACKED) >= PACKED_CACHE_SIZE:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[key] = (tables, packed)
    return packed


def _pack(tables) -> PackedTables:
    shapes = np.array([t.tau.shape for t in tables], dtype=np.int64).reshape(len(tables), 3)
    sizes = np.array([t.tau.size for t in tables], dtype=np.int64)
    msizes = np.array([t.margin.size for t in tables], dtype=np.int64)
    return PackedTables(
        frames=np.ascontiguousarray(np.array([t.frame for t in tables]).reshape(len(tables), 4, 3)),
        axes=np.ascontiguousarray(np.array([t.axes for t in tables]).reshape(len(tables), 6)),
        shapes=shapes, tau_start=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        margin_start=np.concatenate([[0], np.cumsum(msizes)[:-1]]).astype(np.int64),
        tau=np.concatenate([t.tau.ravel() for t in tables]) if tables else np.empty(0),
        margin=np.concatenate([t.margin.ravel() for t in tables]) if tables else np.empty(0),
        excess=np.concatenate([t.excess.ravel() for t in tables]) if tables else np.empty(0),
        excess_margin=np.concatenate([t.excess_margin.ravel() for t in tables]) if tables else np.empty(0),
        tau_min=np.concatenate([cell_range(t.tau)[0].ravel() for t in tables]) if tables else np.empty(0),
        tau_max=np.concatenate([cell_range(t.tau)[1].ravel() for t in tables]) if tables else np.empty(0))


@njit(cache=True)
def packed_views(shapes, tau_start, margin_start, tau, margin, j):
    """(tau, margin) 3-D views of table j of packed arrays."""
    a, b, c = shapes[j, 0], shapes[j, 1], shapes[j, 2]
    t = tau[tau_start[j]:tau_start[j] + a * b * c].reshape((a, b, c))
    m = margin[margin_start[j]:margin_start[j] + (a - 1) * (b - 1) * (c - 1)].reshape((a - 1, b - 1, c - 1))
    return t, m
