"""Latest-launch solves of the engagement: the earliest arrival at one sample, searched from an
arrival table's estimate or a neighbour's answer, and put on a fixed grid so that the answer
does not depend on how it was searched.

`engagement.engage`'s ``launch_latest`` is the largest t_k - tau_a(k) over a battery's intercept
window, with tau_a(k) the interceptor's earliest arrival at sample k (`interceptor`). The exact
kernel warm-starts each search from the previous sample's arrival (`interceptor.arrival_near`);
both lie within `interceptor.ARRIVAL_TOL` of the crossing, and `arrival_on_grid` turns either into
the same number, so a result does not depend on whether a process had a table at hand. The fast
path (`latest_at`) searches that number on the grid itself from the arrival table's value or a
neighbour's arrival (`arrival_from`: trial points on the grid only, ended once two neighbouring
grid points straddle the crossing), with fewer speed-excess evaluations; `arrival_bracketed` is
the bracket around the table's value it used before (kept for the tests that hold all the
searches to one answer).

Layout exception (`arrival_bracketed`): 13 parameters: the point, the feasible time and the
excess there, the estimate and its width, the interceptor's figures, the Earth's constants and
scratch space (the order of `interceptor`'s kernels).
Layout exception (`latest_at`): 15 parameters: the same, for one sample at its time, the
earliest launch, the table's value and margin, a warm start and the best latest launch so far.
Layout exception (`arrival_from`): 13 parameters: the point, the top of the search and the
excess there, the cap, the estimate, the interceptor's figures, the Earth's constants and
scratch space.
"""

from __future__ import annotations

import math

from numba import njit

from .interceptor import (MIN_COAST, P_BURN, _crossing, _excess, arrival_before, feasible_time_one)

ARRIVAL_GRID = 2.0 ** -10
"""Spacing (s) of the grid `arrival_on_grid` rounds the latest-launch solves' earliest arrival up
to (about 0.98 ms, below `interceptor.ARRIVAL_TOL`; a power of two, so its multiples and the division by
it are exact)."""

BEAT_SLACK_S = 1e-6
"""Allowance (s) in `latest_at`'s proof that a sample cannot beat the best latest launch found,
far above the rounding of t_k - latest (times of at most thousands of seconds: ~1e-13 s)."""


@njit(cache=True, _nrt=False)
def arrival_bracketed(site, p, tau_f, f_f, est, width, params, gm, omega, ellipsoid, b, v, work):
    """`interceptor.arrival_before` from an estimate ``est`` of the answer good to about ``width`` s (an
    arrival table's value and margin): the crossing is bracketed by est -+ width where the excess
    there says so, else searched in the part of [burn_time + MIN_COAST, tau_f] beyond. With a
    single minimum of the needed speed over the flight time (as `interceptor.feasible_time_one`
    assumes) it
    is the same crossing, and both answers lie in [crossing, crossing + ARRIVAL_TOL]."""
    lo = max(est - width, params[P_BURN] + MIN_COAST)
    hi = min(est + width, tau_f)
    if not (lo < hi):  # no use here (NaN, or outside [tau_lo, tau_f])
        return arrival_before(site, p, tau_f, f_f, params, gm, omega, ellipsoid, b, v, work)
    f_lo = _excess(site, p, lo, params, gm, omega, ellipsoid, b, v, work)
    if f_lo <= 0.0:  # reachable at lo already: the crossing is in [tau_lo, lo]
        return arrival_before(site, p, lo, f_lo, params, gm, omega, ellipsoid, b, v, work)
    f_hi = f_f if hi == tau_f and not math.isnan(f_f) else _excess(site, p, hi, params, gm, omega, ellipsoid, b, v, work)
    if f_hi <= 0.0:
        return _crossing(site, p, lo, f_lo, hi, f_hi, params, gm, omega, ellipsoid, b, v, work)
    f_f = _excess(site, p, tau_f, params, gm, omega, ellipsoid, b, v, work) if math.isnan(f_f) else f_f
    return _crossing(site, p, hi, f_hi, tau_f, f_f, params, gm, omega, ellipsoid, b, v, work)  # in (hi, tau_f]


@njit(cache=True, _nrt=False)
def arrival_on_grid(site, p, tau_a, tau_f, params, gm, omega, ellipsoid, b, v, work):
    """The earliest arrival at p made independent of how it was searched: ``tau_a`` (s after
    launch) from `interceptor.arrival_before`, `interceptor.arrival_near` or `arrival_bracketed` with the same feasible
    time ``tau_f`` lies in [c, c + ``ARRIVAL_TOL``] for the crossing c, wherever the search was
    bracketed or warm-started; this returns min(g, tau_f) with g the first multiple of
    `ARRIVAL_GRID` at or after c (found by stepping down the grid from tau_a while the speed
    excess there is <= 0; one or two excess evaluations), and tau_a unchanged where it is the
    shortest flight (burn time + `MIN_COAST`, reachable there: no crossing). With a single minimum
    of the needed speed over the flight time (as `interceptor.feasible_time_one` assumes) the excess is <= 0
    exactly from c to tau_f, so every search gives the same value, in [c, c + ARRIVAL_GRID]."""
    tau_lo = params[P_BURN] + MIN_COAST
    if not (tau_a > tau_lo):
        return tau_a
    i = math.ceil(tau_a / ARRIVAL_GRID)
    g = min(i * ARRIVAL_GRID, tau_f)
    for _ in range(1_000_000):  # ends below tau_lo at the latest (c > tau_lo: excess > 0 there)
        i -= 1
        x = i * ARRIVAL_GRID
        if x <= tau_lo or _excess(site, p, x, params, gm, omega, ellipsoid, b, v, work) > 0.0:
            break
        g = x
    return g


GRID_SEARCH_STEPS = 10_000
"""Bound on `arrival_from`'s trial points (each removes at least one grid point from its bracket,
and its one-sided steps double: a few dozen at the most in practice); beyond it, the search of
`arrival_before` and `arrival_on_grid` runs instead (the same answer)."""


@njit(cache=True, _nrt=False)
def arrival_from(site, p, top, f_top, tau_f, est, params, gm, omega, ellipsoid, b, v, work):
    """`arrival_on_grid` of `interceptor.arrival_before` (flight time ``top`` <= ``tau_f`` s where p
    is reachable, ``f_top`` the excess there or NaN) searched on the grid itself from an estimate
    ``est`` of the crossing c (an arrival table's value, a neighbour's arrival): the answer is
    burn time + `MIN_COAST` where p is reachable there, else min(g, tau_f) with g the first multiple
    of `ARRIVAL_GRID` at or after c. Every trial point is a grid point strictly inside the bracket
    (lo, hi] known to hold c (the excess > 0 at lo, <= 0 at hi; lo starts at burn time + MIN_COAST,
    not evaluated): the first at or after ``est``, then its neighbour towards c, then secant steps
    through the last two trials (rounded up to the grid; steps that stay on one side of c at least
    double); once no grid point lies inside, g is the first grid point above lo. Under the single
    minimum of the needed speed over the flight time (the assumption of `arrival_on_grid`, which
    makes g the same whatever the search) this is `arrival_on_grid`'s value, with about half its
    speed-excess evaluations where ``est`` is good to a fraction of a second. Without a usable
    ``est`` (NaN or outside (burn time + MIN_COAST, top)) it is computed as there."""
    tau_lo = params[P_BURN] + MIN_COAST
    if not (est > tau_lo and est < top):
        tau_a = arrival_before(site, p, top, f_top, params, gm, omega, ellipsoid, b, v, work)
        return arrival_on_grid(site, p, tau_a, tau_f, params, gm, omega, ellipsoid, b, v, work)
    lo, lo_known, hi = tau_lo, False, top
    xa, fa, xb, fb = math.nan, math.nan, math.nan, math.nan  # the last two trials (xb the latest)
    e = est
    d_lo, d_hi = ARRIVAL_GRID, ARRIVAL_GRID  # the least step of a trial after one on the same side
    streak = 0  # > 0: the last trials raised lo; < 0: they lowered hi
    for _ in range(GRID_SEARCH_STEPS):
        i_a = math.floor(lo / ARRIVAL_GRID) + 1  # grid points strictly inside (lo, hi): i_a .. i_b
        i_b = math.ceil(hi / ARRIVAL_GRID) - 1
        if i_a > i_b:
            if not lo_known and _excess(site, p, tau_lo, params, gm, omega, ellipsoid, b, v, work) <= 0.0:
                return tau_lo  # reachable at the shortest flight: no crossing
            return min(i_a * ARRIVAL_GRID, tau_f)
        if streak < 0:
            e = min(e, hi - d_hi)
        elif streak > 0:
            e = max(e, lo + d_lo)
        if not (e > lo and e < hi):  # NaN (an infinite excess) or outside: halve the bracket
            e = 0.5 * (lo + hi)
        x = min(max(math.ceil(e / ARRIVAL_GRID), i_a), i_b) * ARRIVAL_GRID
        fx = _excess(site, p, x, params, gm, omega, ellipsoid, b, v, work)
        if fx <= 0.0:
            hi = x
            d_hi = 2.0 * d_hi if streak < 0 else ARRIVAL_GRID
            streak = min(streak, 0) - 1
        else:
            lo, lo_known = x, True
            d_lo = 2.0 * d_lo if streak > 0 else ARRIVAL_GRID
            streak = max(streak, 0) + 1
        xa, fa, xb, fb = xb, fb, x, fx
        if math.isnan(xa):  # one trial: its neighbour towards c next
            e = x - ARRIVAL_GRID if fx <= 0.0 else x + ARRIVAL_GRID
        elif math.isfinite(fa) and math.isfinite(fb) and fa != fb:
            e = xb - fb * (xb - xa) / (fb - fa)
        else:
            e = math.nan
    tau_a = arrival_before(site, p, top, f_top, params, gm, omega, ellipsoid, b, v, work)
    return arrival_on_grid(site, p, tau_a, tau_f, params, gm, omega, ellipsoid, b, v, work)


FALL_STEP_S = 2.0 ** -11
"""Step (s) of `falling_beyond`'s slope test: half of `ARRIVAL_GRID`."""


@njit(cache=True, _nrt=False)
def falling_beyond(site, p, tau_b, tau_f, params, gm, omega, ellipsoid, b, v, work):
    """Whether p cannot be reached at any flight time up to tau_b (s after launch) < tau_f, shown
    by the speed excess (`interceptor._excess`) above zero at tau_b and not rising there (not
    below it `FALL_STEP_S` earlier): with a single minimum of the needed speed over the flight
    time (as `interceptor.feasible_time_one` assumes, with its own 0.5 s step), the minimum then
    lies after tau_b - FALL_STEP_S, and a reachable window at or before tau_b would have to lie
    wholly within that last step (narrower than FALL_STEP_S). False where tau_b is not inside
    (burn time + `MIN_COAST`, tau_f) (e.g. no best latest launch yet)."""
    tau_lo = params[P_BURN] + MIN_COAST
    if not (tau_b - FALL_STEP_S > tau_lo and tau_b < tau_f):
        return False
    f_b = _excess(site, p, tau_b, params, gm, omega, ellipsoid, b, v, work)
    if not (f_b > 0.0):
        return False
    return not (_excess(site, p, tau_b - FALL_STEP_S, params, gm, omega, ellipsoid, b, v, work) < f_b)


@njit(cache=True, _nrt=False)
def latest_at(site, p, t_k, l0, params, gm, omega, ellipsoid, b, v, work, guess, lam_k, mrg_k, beat):
    """(latest launch t_k - earliest arrival, that arrival) for sample p at t_k when a launch at
    l0 or later reaches it; (-inf, NaN) otherwise, or where it is proved below ``beat`` (the best
    latest launch found so far; -inf: none). The arrival is searched on the grid of
    `arrival_on_grid` from the table's value where the table says one (latest launch ``lam_k``
    and margin ``mrg_k`` finite), else from ``guess`` (`arrival_from`): the same value either way
    (and the same as the exact kernel's), so the result does not depend on whether a table was
    used.
    Where p is not reachable at tau_f = t_k - l0 and the excess falls at tau_b (`falling_beyond`,
    tau_b below), the sample cannot beat ``beat`` either, and no feasible time is searched.
    The proof: where p is reachable at the longest flight tau_f = t_k - l0, the excess is <= 0 from
    the crossing c to tau_f (single minimum, as `interceptor.feasible_time_one` assumes); if it is
    > 0 at tau_b = t_k - beat + `BEAT_SLACK_S` < tau_f, then c > tau_b and the latest launch
    t_k - arrival < beat (the slack covers rounding). Otherwise c <= tau_b, which bounds the search."""
    tau_f = t_k - l0  # `feasible_time_one`, keeping the excess it solves at tau_f = tau_hi
    tau_lo = params[P_BURN] + MIN_COAST
    f_f = _excess(site, p, tau_f, params, gm, omega, ellipsoid, b, v, work) if tau_f >= tau_lo else math.nan
    if not (f_f <= 0.0):
        if f_f > 0.0 and falling_beyond(site, p, (t_k - beat) + BEAT_SLACK_S, tau_f, params, gm, omega, ellipsoid,
                                        b, v, work):
            return -math.inf, math.nan  # cannot beat ``beat`` (without the search for a feasible time)
        f_f = math.nan
        tau_f = feasible_time_one(site, p, tau_f, params, gm, omega, ellipsoid, b, v, work)
    if math.isnan(tau_f):
        return -math.inf, math.nan
    top, f_top = tau_f, f_f  # a feasible time the arrival is at or before, and the excess there
    tau_b = (t_k - beat) + BEAT_SLACK_S
    if not math.isnan(f_f) and tau_b > tau_lo and tau_b < tau_f:
        f_b = _excess(site, p, tau_b, params, gm, omega, ellipsoid, b, v, work)
        if f_b > 0.0:
            return -math.inf, math.nan  # cannot beat ``beat``
        top, f_top = tau_b, f_b
    est = t_k - lam_k if math.isfinite(lam_k) and math.isfinite(mrg_k) else guess
    tau_a = arrival_from(site, p, top, f_top, tau_f, est, params, gm, omega, ellipsoid, b, v, work)
    return t_k - tau_a, tau_a
