"""Engagements: for every threat and battery, when the battery can fire, where and when it can
intercept, how many shoot-look-shoot opportunities fit, and the kill probability of its
doctrine.

Physics and bookkeeping (times are seconds after each threat's launch):

* The battery can launch once it has a fire-control track: earliest launch
  ``launch_earliest = track_time + launch_delay``.
* Candidate intercept points are the threat's samples (its time grid, Earth-fixed positions).
  A sample k at threat time t_k is an intercept opportunity if it lies in the interceptor's
  altitude band and range, and some launch time L >= launch_earliest brings the interceptor
  there at t_k. Launching later only shortens the available flight, so this holds exactly
  when the earliest arrival tau_a(k) (`interceptor.earliest_arrival_one`) satisfies
  t_k - tau_a(k) >= launch_earliest; lambda_k = t_k - tau_a(k) is the latest launch that
  still intercepts at k.
* Guidance (a battery's ``engage_on``, see `interceptor.Battery`): an optional window
  [earliest, latest] per threat and battery (``intercept_window``) limits the candidate
  samples to those a guiding track covers, e.g. while the battery's own radar holds the
  threat (`sensors.own_track_window`); by default every sample is a candidate.
* The intercept window is the set of such samples; ``intercept_first``/``intercept_last`` are
  its first and last sample times (resolution: the trajectory's time step), and
  ``launch_latest`` the largest lambda_k over the window (tau_a(k) to ``interceptor.ARRIVAL_TOL``,
  rounded up to the grid of `latest_launch.arrival_on_grid`, so that every way of searching it,
  with or without an arrival table, gives the same number).
* Shoot-look-shoot: shot 1 is launched at ``launch_earliest`` and intercepts at the first
  opportunity; after each intercept a kill assessment of ``kill_assessment`` seconds must pass
  before the next launch, which intercepts at the first sample whose lambda_k is no earlier
  than that launch. ``shots`` counts the shots that fit before the window closes.
* Kill probability of the battery's doctrine, 1 - prod(1 - SSPK): one-shot: SSPK; salvo:
  n = min(salvo_size, inventory) rounds; shoot-look-shoot: n = min(shots, inventory)
  sequential rounds. Zero where the threat is not engageable.

The batch work runs in one Numba-compiled loop over threats (in parallel) x batteries x
candidate intercept samples, with cheap necessary conditions (altitude band, ground range,
a speed bound on distance) tested before any Lambert solve; the fast path finds those candidate
samples with `candidates._scan_candidates`, which skips samples proved to fail them.

Layout exceptions (tests/test_layout.py): the compiled kernels take the interceptor's figures
packed (``params``, `interceptor.P_*`); what remains are arrays of different shapes (positions,
heights, times, sites, windows, arrival tables, scratch space), passed in one order by `engage`
alone, and the Earth's constants ``gm``, ``omega``, ``ellipsoid`` (two floats and a tuple, in the
same order in every kernel of `interceptor` and here). Packing the Earth's constants too is the
next step, left to the branch that is reworking these kernels.
Layout exception (`_engage_pair`): 17 parameters, see above.
Layout exception (`_engage_kernel`): 13 parameters, see above.
Layout exception (`_engage_pair_tabled`): 23 parameters, see above (plus the packed arrival table).
Layout exception (`_engage_kernel_tabled`): 27 parameters, see above (plus the packed arrival tables).
Layout exception (`_engage_kernel_reference`): 23 parameters, see above (plus the packed arrival tables).
Layout exception (`engage`): 90 lines, one call of either kernel and the reading of its output;
to be cut (input arrays / kernels / first intercept points) with the kernel rework above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .arrival_table import (EMPTY_TABLE, MAX_FLIGHT_S, is_built, is_cached, lookup, pack, packed_views, promise,
                            table_for)
from .candidates import _flight_steps, _range_bracket, site_figures
from .decisions import _can_launch_by, _engage_tabled_at
from .earth import geodetic_height_one, to_ecef, to_geodetic
from .interceptor import (MIN_COAST, N_PARAMS, P_BO_ALT, P_BURN, P_DELAY, P_MAX_ALT, P_MIN_ALT, P_RANGE, P_SPEED,
                          Battery, _ground_range, arrival_near, earliest_arrival, ellipsoid_of, feasible_time_one,
                          max_coast_speed, reach)
from .latest_launch import arrival_on_grid, latest_at
from .trajectory import Models, Trajectory, fly_states

DEFAULT_KILL_ASSESSMENT = 30.0
"""Seconds from an intercept to the end of its kill assessment (shieldsim assumption: sensors
must observe the debris before the next shot is committed; no authoritative public figure)."""


@dataclass
class Engagement:
    """Per threat (N) and battery (B): the engagement timeline and kill probability.

    All times are seconds after that threat's launch, NaN where none.

    Attributes:
        launch_earliest: (N, B) fire-control track time plus launch delay (finite whenever
            the battery has a track, even if no intercept is possible).
        launch_latest: (N, B) latest launch that still intercepts.
        intercept_first, intercept_last: (N, B) first and last intercept opportunity.
        first_alt: (N, B) altitude of the first opportunity, m.
        first_lat, first_lon: (N, B) geodetic position of the first opportunity, radians.
        shots: (N, B) int, shoot-look-shoot opportunities that fit in the window.
        kill_probability: (N, B) of the battery's doctrine, 1 - prod(1 - SSPK).
        engageable: (N, B) bool, at least one intercept opportunity.
        sspk: (B,) single-shot kill probability of each battery's interceptor.
        inventory: (B,) int, interceptors each battery holds.
        kill_assessment: seconds between an intercept and the next shoot-look-shoot launch.
        battery_names: (B,) names, in the order of the columns.
        models: the model switches of the threat trajectories.
        intercept_window: (N, B, 2) the guidance window the engagement honoured (earliest,
            latest intercept time; -inf/+inf = unconstrained), None when not recorded.
    """

    launch_earliest: np.ndarray
    launch_latest: np.ndarray
    intercept_first: np.ndarray
    intercept_last: np.ndarray
    first_alt: np.ndarray
    first_lat: np.ndarray
    first_lon: np.ndarray
    shots: np.ndarray
    kill_probability: np.ndarray
    engageable: np.ndarray
    sspk: np.ndarray
    inventory: np.ndarray
    kill_assessment: float
    battery_names: tuple
    models: Models
    intercept_window: np.ndarray | None = None


@njit(cache=True, _nrt=False)
def _engage_pair(pos, alt, t, site, params, gm, omega, ellipsoid, vmax, l0, win, kill_assessment, work, b, v, feas,
                 res):
    """One threat x one battery. res <- [launch_latest, first_time, last_time, first_k, shots].
    ``win`` = (earliest, latest) intercept time the guidance allows (samples outside are not
    candidates); ``feas`` is scratch space (M,) for a feasible flight time per sample."""
    res[0] = math.nan
    res[1] = math.nan
    res[2] = math.nan
    res[3] = -1.0
    res[4] = 0.0
    if math.isnan(l0):
        return
    t_burn = params[P_BURN]
    tau_lo = t_burn + MIN_COAST
    powered = 0.5 * params[P_SPEED] * t_burn + params[P_BO_ALT]  # bound on the distance from site to burnout
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    w_r = omega * (rs + params[P_BO_ALT])  # bound on the Earth's turning speed at the site/burnout point
    next_launch = l0
    shots = 0
    first = -1
    last = -1
    # pass 1: the window (reachable with launch >= l0) and shoot-look-shoot opportunities
    for k in range(t.shape[0]):
        feas[k] = math.nan
        p = pos[k]
        if math.isnan(p[0]) or t[k] > win[1]:
            break
        if t[k] < win[0]:
            continue
        a = alt[k]
        if a < params[P_MIN_ALT] or a > params[P_MAX_ALT]:
            continue
        tau_hi = t[k] - l0
        if tau_hi < tau_lo:
            continue
        if _ground_range(site, p, ellipsoid) > params[P_RANGE]:
            continue
        dx = p[0] - site[0]
        dy = p[1] - site[1]
        dz = p[2] - site[2]
        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
        if dist > powered + vmax * (tau_hi - t_burn) + w_r * tau_hi:
            continue
        tau_f = feasible_time_one(site, p, tau_hi, params, gm, omega, ellipsoid, b, v, work)
        if math.isnan(tau_f):
            continue
        feas[k] = tau_f
        if first < 0:
            first = k
        last = k
        # shoot-look-shoot: can a shot launched at next_launch (or later) intercept here?
        if next_launch == l0:
            ok = True
        else:
            ok = not math.isnan(feasible_time_one(site, p, t[k] - next_launch, params, gm, omega, ellipsoid,
                                                  b, v, work))
        if ok:
            shots += 1
            next_launch = t[k] + kill_assessment
    if first < 0:
        return
    # pass 2: latest launch = max over the window of t_k - earliest arrival(k), skipping samples
    # whose distance bound on the earliest arrival already rules them out.
    latest = -math.inf
    guess = math.nan
    for k in range(last, first - 1, -1):
        if math.isnan(feas[k]):
            continue
        p = pos[k]
        dx = p[0] - site[0]
        dy = p[1] - site[1]
        dz = p[2] - site[2]
        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
        tau_bound = max(tau_lo, t_burn + (dist - powered - w_r * t_burn) / (vmax + w_r))
        if t[k] - tau_bound <= latest:
            continue
        tau_a = arrival_near(site, p, feas[k], math.nan, guess, params, gm, omega, ellipsoid, b, v, work)
        tau_a = arrival_on_grid(site, p, tau_a, feas[k], params, gm, omega, ellipsoid, b, v, work)
        guess = tau_a
        if t[k] - tau_a > latest:
            latest = t[k] - tau_a
    res[0] = latest
    res[1] = t[first]
    res[2] = t[last]
    res[3] = first
    res[4] = shots


@njit(cache=True, parallel=True, nogil=True)
def _engage_kernel(pos, alt, t, sites, params, gm, omega, ellipsoid, vmax, l0, win, kill_assessment, out):
    n = pos.shape[0]
    nb = sites.shape[0]
    for i in prange(n):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        feas = np.empty(t.shape[0])
        for j in range(nb):
            _engage_pair(pos[i], alt[i], t, sites[j], params[j], gm, omega, ellipsoid, vmax[j], l0[i, j], win[i, j],
                         kill_assessment, work, b, v, feas, out[i, j])


@njit(cache=True)
def _engage_pair_tabled(pos, t, site, params, gm, omega, ellipsoid, vmax, l0, win, kill_assessment, frame, axes, tau,
                        margin, a_eq, flat, work, b, v, lam, mrg, res):
    """`_engage_pair` with an arrival table (`arrival_table`): the same candidate samples and
    rules, but each decision (first and last opportunity, shoot-look-shoot shots, latest launch)
    is read from the tabulated earliest arrival where it clears the table's error margin, and
    solved exactly only where it does not. ``lam``/``mrg`` are scratch (M,): NaN lam = not a
    candidate; inf mrg = table cannot say. The altitude band is tested on the bracket
    |p| - a <= h <= |p| - b of the geodetic height h (ellipsoid semi-axes a = ``a_eq``,
    b = a (1 - ``flat``)); the height itself is computed only where the bracket straddles an
    edge of the band."""
    res[0] = math.nan
    res[1] = math.nan
    res[2] = math.nan
    res[3] = -1.0
    res[4] = 0.0
    if math.isnan(l0):
        return
    t_burn = params[P_BURN]
    tau_lo = t_burn + MIN_COAST
    powered = 0.5 * params[P_SPEED] * t_burn + params[P_BO_ALT]
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    w_r = omega * (rs + params[P_BO_ALT])
    b_pol = a_eq * (1.0 - flat)
    look = np.empty(2)
    end = 0
    first = -1
    for k in range(t.shape[0]):
        lam[k] = math.nan
        mrg[k] = -1.0  # not a candidate
        p = pos[k]
        if math.isnan(p[0]) or t[k] > win[1]:
            break
        end = k + 1
        if t[k] < win[0]:
            continue
        rp = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        h_lo = rp - a_eq
        h_hi = rp - b_pol
        if h_hi < params[P_MIN_ALT] or h_lo > params[P_MAX_ALT]:
            continue
        if h_lo < params[P_MIN_ALT] or h_hi > params[P_MAX_ALT]:
            a = geodetic_height_one(p[0], p[1], p[2], a_eq, flat)[1]
            if a < params[P_MIN_ALT] or a > params[P_MAX_ALT]:
                continue
        tau_hi = t[k] - l0
        if tau_hi < tau_lo:
            continue
        g_lo, g_hi = _range_bracket(site, p, rs, rp, a_eq, b_pol)  # Vincenty only near the range limit
        if g_lo > params[P_RANGE]:
            continue
        if g_hi > params[P_RANGE] and _ground_range(site, p, ellipsoid) > params[P_RANGE]:
            continue
        dx = p[0] - site[0]
        dy = p[1] - site[1]
        dz = p[2] - site[2]
        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
        if dist > powered + vmax * (tau_hi - t_burn) + w_r * tau_hi:
            continue
        if lookup(frame, axes, tau, margin, p, look) and (look[0] < math.inf or tau_hi <= MAX_FLIGHT_S):
            lam[k] = t[k] - look[0]  # -inf: beyond reach (the table searched flights up to MAX_FLIGHT_S)
            mrg[k] = look[1]
        else:
            mrg[k] = math.inf
        if first < 0 and _can_launch_by(site, p, t[k], l0, lam[k], mrg[k], params, gm, omega, ellipsoid, b, v, work):
            first = k
    if first < 0:
        return
    # shoot-look-shoot: each next shot at the first sample a launch after the kill assessment reaches
    shots = 1
    next_launch = t[first] + kill_assessment
    for k in range(first + 1, end):
        if mrg[k] < 0.0 or t[k] - next_launch < tau_lo:
            continue
        if _can_launch_by(site, pos[k], t[k], next_launch, lam[k], mrg[k], params, gm, omega, ellipsoid, b, v, work):
            shots += 1
            next_launch = t[k] + kill_assessment
    last = first
    for k in range(end - 1, first, -1):
        if mrg[k] >= 0.0 and _can_launch_by(site, pos[k], t[k], l0, lam[k], mrg[k], params, gm, omega, ellipsoid,
                                            b, v, work):
            last = k
            break
    # latest launch: the largest t_k - earliest arrival over the window, solved exactly only at
    # samples whose upper bound (table value plus margin; else the exact kernel's distance
    # bound) can beat the best found, starting from the sample the table puts highest
    best = -1
    for k in range(first, last + 1):
        if mrg[k] >= 0.0 and lam[k] > -math.inf and (best < 0 or lam[k] > lam[best]):
            best = k
    latest = -math.inf
    guess = math.nan
    if best >= 0:
        latest, guess = latest_at(site, pos[best], t[best], l0, params, gm, omega, ellipsoid, b, v, work, guess,
                                   lam[best], mrg[best], -math.inf)
    for k in range(last, first - 1, -1):
        if mrg[k] < 0.0 or k == best:
            continue
        if not math.isnan(lam[k]):
            if lam[k] + mrg[k] <= latest:
                continue
        else:
            p = pos[k]
            dx = p[0] - site[0]
            dy = p[1] - site[1]
            dz = p[2] - site[2]
            dist = math.sqrt(dx * dx + dy * dy + dz * dz)
            if t[k] - max(tau_lo, t_burn + (dist - powered - w_r * t_burn) / (vmax + w_r)) <= latest:
                continue
        lam_k, tau_a = latest_at(site, pos[k], t[k], l0, params, gm, omega, ellipsoid, b, v, work, guess, lam[k],
                                  mrg[k], latest)
        if not math.isnan(tau_a):
            guess = tau_a
        if lam_k > latest:
            latest = lam_k
    res[0] = latest
    res[1] = t[first]
    res[2] = t[last]
    res[3] = first
    res[4] = shots


KERNEL_BLOCKS = 64
"""Blocks of flights `_engage_kernel_tabled` splits its threads' work into (scratch space is
allocated once per block)."""

@njit(cache=True, parallel=True, nogil=True)
def _engage_kernel_tabled(pos, alt, t, sites, params, gm, omega, ellipsoid, vmax, l0, win, kill_assessment, tabled,
                          frames, axes, shapes, tau_start, margin_start, tau, margin, excess, excess_margin, tau_min, tau_max,
                          a_eq, flat, out):
    """`_engage_kernel` with arrival tables for the batteries where ``tabled[j]`` (table j of the
    packed arrays); the others run the exact pair kernel on the heights ``alt`` (which may be
    (N, 0) when every battery has a table). The tabled pairs find their candidate samples with
    `_scan_candidates` (skipping samples proved to fail) and decide with `_decide_tabled` (the
    every-sample reference, `_engage_kernel_reference`, is a kernel of its own: not compiled here).
    Scratch space is allocated once per block of flights, the per-flight figures of
    `_flight_steps` computed once for all batteries."""
    n = pos.shape[0]
    nb = sites.shape[0]
    m = t.shape[0]
    dt_max = 0.0
    for k in range(1, m):
        dt_max = max(dt_max, t[k] - t[k - 1])
    figs = np.empty((nb, 3))  # per battery, once for all flights
    for j in range(nb):
        site_figures(sites[j], params[j], a_eq, flat, ellipsoid, figs[j])
    batteries = (sites, params, vmax, figs)
    tables = (frames, axes, shapes, tau_start, margin_start, tau, margin, excess, excess_margin, tau_min, tau_max)
    earth = (gm, omega, ellipsoid, a_eq, flat)
    blocks = min(n, KERNEL_BLOCKS)
    for blk in prange(blocks):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        look = np.empty(3)
        steps = np.empty(3)
        lam = np.empty(m)
        mrg = np.empty(m)
        bound = np.empty((m, 2))
        rp = np.empty(m)
        cand = np.empty(m, dtype=np.int64)
        scratch = (work, b, v, look, cand, lam, mrg, bound)
        flights = (pos, t, l0, win, kill_assessment, rp, steps, dt_max)
        for i in range(blk * n // blocks, (blk + 1) * n // blocks):
            end = _flight_steps(pos[i], rp, steps)
            for j in range(nb):
                if tabled[j]:
                    _engage_tabled_at(i, j, flights, batteries, tables, earth, scratch, end, out)
                else:
                    _engage_pair(pos[i], alt[i], t, sites[j], params[j], gm, omega, ellipsoid, vmax[j], l0[i, j],
                                 win[i, j], kill_assessment, work, b, v, lam, out[i, j])


@njit(cache=True, parallel=True, nogil=True)
def _engage_kernel_reference(pos, alt, t, sites, params, gm, omega, ellipsoid, vmax, l0, win, kill_assessment, tabled,
                             frames, axes, shapes, tau_start, margin_start, tau, margin, a_eq, flat, out):
    """`_engage_kernel_tabled` before its candidate scan (``engage(prune=False)``, the reference):
    tabled pairs test every sample with `_engage_pair_tabled`, the excess table unused."""
    n = pos.shape[0]
    nb = sites.shape[0]
    m = t.shape[0]
    blocks = min(n, KERNEL_BLOCKS)
    for blk in prange(blocks):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        lam = np.empty(m)
        mrg = np.empty(m)
        for i in range(blk * n // blocks, (blk + 1) * n // blocks):
            for j in range(nb):
                res = out[i, j]
                if not tabled[j]:
                    _engage_pair(pos[i], alt[i], t, sites[j], params[j], gm, omega, ellipsoid, vmax[j], l0[i, j],
                                 win[i, j], kill_assessment, work, b, v, lam, res)
                    continue
                tj, mj = packed_views(shapes, tau_start, margin_start, tau, margin, j)
                _engage_pair_tabled(pos[i], t, sites[j], params[j], gm, omega, ellipsoid, vmax[j], l0[i, j],
                                    win[i, j], kill_assessment, frames[j], axes[j], tj, mj, a_eq, flat, work, b, v,
                                    lam, mrg, res)


@njit(cache=True, parallel=True, nogil=True)
def _heights(pos, a, f, out):
    """Geodetic height (m) of every finite sample of pos (N, M, 3); NaN elsewhere."""
    for i in prange(pos.shape[0]):
        for k in range(pos.shape[1]):
            p = pos[i, k]
            if math.isnan(p[0]):
                out[i, k] = math.nan
            else:
                out[i, k] = geodetic_height_one(p[0], p[1], p[2], a, f)[1]


def _battery_table(pos, site, params, earth, omega: float, ell):
    """The arrival table of a battery engaged with one (`arrival_table.table_for`), or, when no
    sample of the flights can be one of its candidates (`may_be_candidate`), `EMPTY_TABLE` with
    the table promised (`arrival_table.promise`) instead of built: the kernels read a table only
    at candidate samples and find the same candidates whatever the table, so the result is the
    same, and later engagements see the table as made, as before."""
    if is_built(site, params, earth.gm, omega, ell) or may_be_candidate(pos, site, params, earth):
        return table_for(site, params, earth.gm, omega, ell)
    promise(site, params, earth.gm, omega, ell)
    return EMPTY_TABLE


REACH_SLACK_M = 1000.0
"""Allowance (m) on the bounds of `may_be_candidate`, for rounding."""


def may_be_candidate(pos, site, params, earth, block: int = 128) -> bool:
    """Whether any sample of ``pos`` ((N, M, 3) Earth-fixed m, NaN after impact) may be a candidate
    intercept sample of an interceptor (packed ``params``) launched from ``site`` (Earth-fixed m
    on the ellipsoid of ``earth``). False proves none is: a candidate's geodetic height a lies in
    the altitude band [min, max] and its ground range g from the site is at most the interceptor's
    range, so its geocentric radius lies in [polar radius + min, equatorial radius + max] and its
    distance from the site is at most a + g (from the site to the foot of the sample's normal on
    the ellipsoid, a chord no longer than g, then a up the normal), both widened by
    `REACH_SLACK_M`. Scans ``block`` flights at a time and stops at the first such sample."""
    lo = earth.equatorial_radius * (1.0 - earth.flattening) + params[P_MIN_ALT] - REACH_SLACK_M
    hi = earth.equatorial_radius + params[P_MAX_ALT] + REACH_SLACK_M
    reach2 = (params[P_RANGE] + params[P_MAX_ALT] + REACH_SLACK_M) ** 2
    site = np.asarray(site, dtype=float).reshape(3)
    for start in range(0, pos.shape[0], block):
        p = pos[start:start + block]
        r2 = np.einsum("ijk,ijk->ij", p, p)
        d = p - site
        near = (np.einsum("ijk,ijk->ij", d, d) <= reach2) & (r2 >= lo * lo) & (r2 <= hi * hi)
        if near.any():
            return True
    return False


def _doctrine_kill_probability(batteries, engageable, shots):
    n, nb = engageable.shape
    pk = np.zeros((n, nb))
    for j, bat in enumerate(batteries):
        sspk = bat.interceptor.sspk
        if bat.doctrine == "one-shot":
            rounds = np.full(n, min(1, bat.inventory))
        elif bat.doctrine == "salvo":
            rounds = np.full(n, min(bat.salvo_size, bat.inventory))
        else:
            rounds = np.minimum(shots[:, j], bat.inventory)
        pk[:, j] = np.where(engageable[:, j], 1.0 - (1.0 - sspk) ** rounds, 0.0)
    return pk


def guidance_window(intercept_window, n: int, nb: int) -> np.ndarray:
    """(N, B, 2) earliest and latest intercept time (s after threat launch) a battery's guiding
    track allows; ``intercept_window`` None means unconstrained (-inf, +inf)."""
    win = np.empty((n, nb, 2))
    win[..., 0], win[..., 1] = -np.inf, np.inf
    if intercept_window is not None:
        given = np.asarray(intercept_window, dtype=float)
        if given.shape != (n, nb, 2) or np.isnan(given).any():
            raise ValueError(f"intercept_window must have shape ({n}, {nb}, 2) without NaN, got {given.shape}")
        win[:] = given
    return win


TABLE_MIN_FLIGHTS = 256
"""``method="fast"`` builds a battery's arrival table only for at least this many flights (or
reuses one already built): below it the table costs more than it saves (e.g. a speed sweep of a
few dozen flights, or hundreds of swept ship stations), and the exact kernel runs instead."""

METHODS = ("fast", "exact")
"""Values of `engage`'s ``method``: ``"exact"`` solves the interceptor's earliest arrival at every
candidate sample; ``"fast"`` reads it from an arrival table (`arrival_table`) and solves only
the samples whose decision lies within the table's error margin."""


def engage(trajectories: Trajectory, batteries: list[Battery], track_time,
           kill_assessment: float = DEFAULT_KILL_ASSESSMENT, intercept_window=None, method: str = "fast",
           prune: bool = True) -> Engagement:
    """Engagement timelines of N threats against B batteries.

    Args:
        trajectories: the threats' sampled flights (`trajectory.Trajectory`); positions
            Earth-fixed, NaN after impact; its ``models`` (Earth model, rotation) are used for
            the interceptors too.
        batteries: the B batteries (`interceptor.Battery`).
        track_time: (N,) or (N, B) seconds after threat launch when a fire-control track
            exists (for that battery); NaN = never tracked. A `sensors.Timeline` stands for
            its ``track_time``.
        kill_assessment: seconds from an intercept until the next shoot-look-shoot launch.
        intercept_window: (N, B, 2) earliest and latest intercept time (s after threat launch)
            the battery's guidance allows, e.g. `study.battery_tracks` for batteries that
            engage on their own radar's track; None (default) = unconstrained. A row
            (+inf, -inf) allows no intercept.
        method: ``"fast"`` (default) or ``"exact"`` (`METHODS`): the same candidate samples and
            decisions; "fast" settles them from a tabulated earliest arrival where the table's
            error margin allows, so ``launch_latest`` agrees to the arrival tolerance
            (`interceptor.ARRIVAL_TOL`) and the other fields exactly, unless a table error
            exceeds its estimated margin. Batteries without a table (fewer than
            `TABLE_MIN_FLIGHTS` flights and none built yet) are engaged exactly.
        prune: "fast" skips samples proved to fail a candidate test (`candidates`) and samples
            its table's minimum speed excess puts beyond reach (`arrival_table.excess_at`) are
            not solved; False runs the fast path as it was before both, testing every sample
            (the same result, slower: the reference for tests and benchmarks).

    Returns:
        An `Engagement` with (N, B) arrays.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    batteries = list(batteries)
    if hasattr(track_time, "track_time"):  # a sensors.Timeline
        track_time = track_time.track_time
    models = trajectories.models
    earth = models.earth
    pos = np.ascontiguousarray(trajectories.position, dtype=float)
    n, m, _ = pos.shape
    nb = len(batteries)
    track = np.asarray(track_time, dtype=float)
    if track.ndim == 1:
        track = np.repeat(track[:, None], nb, axis=1)
    if track.shape != (n, nb):
        raise ValueError(f"track_time must have shape ({n},) or ({n}, {nb}), got {track.shape}")
    params = np.ascontiguousarray(np.array([b.interceptor.params() for b in batteries]).reshape(nb, N_PARAMS))
    l0 = np.ascontiguousarray(track + params[None, :, P_DELAY])
    win = guidance_window(intercept_window, n, nb)
    sites = np.ascontiguousarray(
        to_ecef(np.array([b.lat for b in batteries]), np.array([b.lon for b in batteries]), 0.0, earth).reshape(nb, 3))
    omega = earth.rotation_rate if models.rotation else 0.0
    vmax = np.array([max_coast_speed(params[j], float(np.linalg.norm(sites[j])), earth.gm, omega) for j in range(nb)])
    out = np.empty((n, nb, 5))
    time = np.ascontiguousarray(trajectories.time, dtype=float)
    ell = ellipsoid_of(earth)
    if method == "exact" or nb == 0 or n == 0:
        alt = np.empty((n, m))
        _heights(pos, earth.equatorial_radius, earth.flattening, alt)
        _engage_kernel(pos, alt, time, sites, params, earth.gm, omega, ell, vmax, l0, win,
                       float(kill_assessment), out)
    else:
        tabled = np.array([n >= TABLE_MIN_FLIGHTS or is_cached(sites[j], params[j], earth.gm, omega, ell)
                           for j in range(nb)])
        tables = [_battery_table(pos, sites[j], params[j], earth, omega, ell) if tabled[j] else EMPTY_TABLE
                  for j in range(nb)]
        tb = pack(tables)
        alt = np.empty((n, 0 if tabled.all() else m))  # heights only for batteries engaged exactly
        if not tabled.all():
            _heights(pos, earth.equatorial_radius, earth.flattening, alt)
        if prune:
            _engage_kernel_tabled(pos, alt, time, sites, params, earth.gm, omega, ell, vmax, l0, win,
                                  float(kill_assessment), tabled, tb.frames, tb.axes, tb.shapes, tb.tau_start,
                                  tb.margin_start, tb.tau, tb.margin, tb.excess, tb.excess_margin, tb.tau_min,
                                  tb.tau_max, earth.equatorial_radius, earth.flattening, out)
        else:
            _engage_kernel_reference(pos, alt, time, sites, params, earth.gm, omega, ell, vmax, l0, win,
                                     float(kill_assessment), tabled, tb.frames, tb.axes, tb.shapes, tb.tau_start,
                                     tb.margin_start, tb.tau, tb.margin, earth.equatorial_radius, earth.flattening, out)
    first_k = out[:, :, 3].astype(np.int64)
    engageable = first_k >= 0
    first_alt = np.full((n, nb), np.nan)
    first_lat = np.full((n, nb), np.nan)
    first_lon = np.full((n, nb), np.nan)
    if engageable.any():
        ii, jj = np.nonzero(engageable)
        kk = first_k[ii, jj]
        lat, lon, h = to_geodetic(pos[ii, kk], earth)
        first_alt[ii, jj] = h
        first_lat[ii, jj] = lat
        first_lon[ii, jj] = lon
    shots = out[:, :, 4].astype(np.int64)
    return Engagement(
        launch_earliest=l0, launch_latest=out[:, :, 0], intercept_first=out[:, :, 1], intercept_last=out[:, :, 2],
        first_alt=first_alt, first_lat=first_lat, first_lon=first_lon, shots=shots,
        kill_probability=_doctrine_kill_probability(batteries, engageable, shots), engageable=engageable,
        sspk=np.array([b.interceptor.sspk for b in batteries]),
        inventory=np.array([b.inventory for b in batteries], dtype=np.int64), kill_assessment=float(kill_assessment),
        battery_names=tuple(b.name for b in batteries), models=models, intercept_window=win,
    )


def interceptor_altitude(trajectories: Trajectory, battery: Battery, index: int, launch: float | None,
                         intercept: float, step: float = 2.0):
    """Altitude profile (times after threat launch, altitudes m) of ``battery``'s interceptor
    launched at ``launch`` to intercept threat ``index`` at ``intercept`` (s after threat
    launch): the straight powered climb then the coast, for plots. With ``launch`` None the
    interceptor flies its fastest arc to that point (launched as late as possible)."""
    models = trajectories.models
    k = int(round((intercept - trajectories.time[0]) / trajectories.step))
    p = trajectories.position[index, k]
    icp = battery.interceptor
    if launch is None:
        tau_a = earliest_arrival(icp, battery.lat, battery.lon, p[None], models, max_time=intercept).flight_time[0]
        if not np.isfinite(tau_a):
            return np.empty(0), np.empty(0)
        launch = intercept - tau_a
    tau = intercept - launch
    r = reach(icp, battery.lat, battery.lon, p[None], tau, models)
    if not np.isfinite(r.speed_needed[0]):
        return np.empty(0), np.empty(0)
    tc = tau - icp.burn_time
    nsamp = max(2, int(math.ceil(tc / step)))
    f = fly_states(r.burnout_position, r.burnout_velocity, models, sample_step=tc / nsamp, max_time=tc * (1 + 1e-9))
    coast_t = launch + icp.burn_time + f.sample_time
    coast_alt = np.full(coast_t.shape, np.nan)
    ok = np.isfinite(f.position[0, :, 0])
    coast_alt[ok] = to_geodetic(f.position[0, ok], models.earth)[2]
    h_bo = to_geodetic(r.burnout_position, models.earth)[2][0]
    boost_t = np.linspace(launch, launch + icp.burn_time, 8)
    boost_alt = np.linspace(0.0, h_bo, 8)
    return np.concatenate([boost_t, coast_t]), np.concatenate([boost_alt, coast_alt])
