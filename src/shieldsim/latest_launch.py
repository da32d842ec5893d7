"""Latest-launch solves of the engagement: the earliest arrival at one sample, searched from an
arrival table's estimate or a neighbour's answer, and put on a fixed grid so that the answer
does not depend on how it was searched.

`engagement.engage`'s ``launch_latest`` is the largest t_k - tau_a(k) over a battery's intercept
window, with tau_a(k) the interceptor's earliest arrival at sample k (`interceptor`). The exact
kernel warm-starts each search from the previous sample's arrival (`interceptor.arrival_near`),
the fast path brackets it around the arrival table's value (`arrival_bracketed`); both answers lie
within `interceptor.ARRIVAL_TOL` of the crossing, and `arrival_on_grid` turns either into the same
number, so a result does not depend on whether a process had a table at hand.

Layout exception (`arrival_bracketed`): 13 parameters: the point, the feasible time and the
excess there, the estimate and its width, the interceptor's figures, the Earth's constants and
scratch space (the order of `interceptor`'s kernels).
Layout exception (`latest_at`): 15 parameters: the same, for one sample at its time, the
earliest launch, the table's value and margin, a warm start and the best latest launch so far.
"""

from __future__ import annotations

import math

from numba import njit

from .interceptor import (MIN_COAST, P_BURN, _crossing, _excess, arrival_before, arrival_near,
                          feasible_time_one)

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
    latest launch found so far; -inf: none). The arrival is bracketed around the table's value
    where the table says one (latest launch ``lam_k`` and margin ``mrg_k`` finite:
    `arrival_bracketed`), else warm-started from ``guess`` (`interceptor.arrival_near`), then put
    on the grid of `arrival_on_grid`: the same value either way (and the same as the
    exact kernel's), so the result does not depend on whether a table was used.
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
    if math.isfinite(lam_k) and math.isfinite(mrg_k):
        tau_a = arrival_bracketed(site, p, top, f_top, t_k - lam_k, mrg_k, params, gm, omega, ellipsoid, b, v, work)
    else:
        tau_a = arrival_near(site, p, top, f_top, guess, params, gm, omega, ellipsoid, b, v, work)
    tau_a = arrival_on_grid(site, p, tau_a, tau_f, params, gm, omega, ellipsoid, b, v, work)
    return t_k - tau_a, tau_a
