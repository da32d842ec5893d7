"""Candidate intercept samples: which samples of a threat flight a battery's interceptor could
use, found without testing every sample.

`engagement.engage` (fast path) asks of every sample of every flight whether it lies in the
interceptor's altitude band and ground range and within a distance the interceptor can cover
(the candidate tests of `engagement._engage_pair_tabled`). Most samples of most flights fail
one of these tests by far: a sample far outside the range is followed by samples that cannot be
inside it either, because a flight moves a bounded distance from one sample to the next.
`_scan_candidates` uses that to skip samples (and to skip re-testing samples proved to pass),
and tests the others exactly as before, so it finds the same candidates (tests compare it with
the every-sample scan). The tests themselves use proved brackets (ground range from the
geocentric angle, geodetic height from the radius along the ray) so that Vincenty's formula and
the geodetic conversion run only near the limits.

Layout exception (`_scan_candidates`): 29 parameters: one flight's samples and figures
(`_flight_steps`), the battery's site, figures (`site_figures`) and arrival table (with its cells' bounds), the
Earth's constants and scratch space, passed in one order by `engagement._engage_kernel_tabled`
alone.
Layout exception (`table_latest`): 14 parameters: the arrival table's six arrays, one sample and
the candidate's outputs.
"""

from __future__ import annotations

import math

from numba import njit

from .arrival_table import MAX_FLIGHT_S, beyond_by_excess, cell_bounds, lookup
from .earth import geodetic_height_one, surface_distance_one
from .interceptor import MIN_COAST, P_BO_ALT, P_BURN, P_MAX_ALT, P_MIN_ALT, P_RANGE, P_SPEED

GEOCENTRIC_TILT = 0.0035
"""Bound (rad) on the difference between a point's geocentric latitude and the geodetic latitude
of its ground point at any height >= 0 (at most ~0.00336 rad, f (1 + f) on WGS84)."""


@njit(cache=True, _nrt=False)
def _range_bracket(site, p, rs, rp, a_eq, b_pol):
    """Bounds (m) on the ground range `interceptor._ground_range` between the site and sample p
    from their geocentric angle psi: the ground points' angle lies within psi +- 2
    `GEOCENTRIC_TILT`; the geodesic between them is at least b times that angle (its radial
    projection onto the sphere of radius b inside the ellipsoid is no longer) and at most the
    plane section's arc (radius at most a, slope at most a - b)."""
    c = (site[0] * p[0] + site[1] * p[1] + site[2] * p[2]) / (rs * rp)
    psi = math.acos(min(1.0, max(-1.0, c)))
    lo = max(psi - 2.0 * GEOCENTRIC_TILT, 0.0)
    hi = psi + 2.0 * GEOCENTRIC_TILT
    return b_pol * lo, hi * math.sqrt(a_eq * a_eq + (a_eq - b_pol) ** 2)


FOOT_SLACK_M = 1.0
"""Allowance (m) on each side of `_range_bracket_near`'s bounds, for rounding (of the geocentric
angle and of the interceptor's ground range: both below a millimetre)."""


@njit(cache=True, _nrt=False)
def foot_angle(h_max, b_pol):
    """Bound (rad) on the angle at the Earth's centre between a point p at geodetic height
    0 <= h <= ``h_max`` (m) and its ground point q (the foot of p's normal on the ellipsoid of
    polar radius ``b_pol``): in the triangle (centre, q, p) the angle at q is pi - gamma, gamma <=
    `GEOCENTRIC_TILT` the angle between q and the normal there, so by the law of sines the angle
    at the centre is asin(h sin(gamma) / |p|), and |p| >= |q| + h cos(gamma) >= b + h cos(gamma)."""
    h = max(h_max, 0.0)
    return math.asin(min(1.0, h * math.sin(GEOCENTRIC_TILT) / (b_pol + h * math.cos(GEOCENTRIC_TILT))))


@njit(cache=True, _nrt=False)
def _range_bracket_near(site, p, rs, rp, a_eq, b_pol, foot):
    """`_range_bracket` for a site on the ellipsoid (its own ground point) and a sample whose
    angle from its ground point is at most ``foot`` (rad, `foot_angle` of the sample's largest
    possible height): the ground points' angle lies within psi +- foot (triangle inequality of
    angles between directions), a few km instead of +- 2 `GEOCENTRIC_TILT` (~45 km); each bound
    widened by `FOOT_SLACK_M`. Both bounds grow with psi, as `_range_bracket`'s."""
    c = (site[0] * p[0] + site[1] * p[1] + site[2] * p[2]) / (rs * rp)
    psi = math.acos(min(1.0, max(-1.0, c)))
    lo = max(psi - foot, 0.0)
    hi = psi + foot
    return b_pol * lo - FOOT_SLACK_M, hi * math.sqrt(a_eq * a_eq + (a_eq - b_pol) ** 2) + FOOT_SLACK_M


SKIP_SLACK_M = 0.01
"""Allowance (m) for rounding in the skip bounds of `_scan_candidates`: a sample is skipped only
where a test fails by more than this (the rounding of the tested quantities is below 1e-6 m)."""



@njit(cache=True, _nrt=False)
def _ground_range_from(lat_s, lon_s, p, ellipsoid):
    """`interceptor._ground_range` from a site at geodetic latitude ``lat_s`` and longitude
    ``lon_s`` (rad, computed there the same way: the same result) to the ground point of p."""
    lat = geodetic_height_one(p[0], p[1], p[2], ellipsoid[0], ellipsoid[1])[0]
    d = surface_distance_one(lat_s, lon_s, lat, math.atan2(p[1], p[0]), ellipsoid[0], ellipsoid[1])
    return math.inf if math.isnan(d) else d


@njit(cache=True, _nrt=False)
def _flight_steps(pos, rp, steps):
    """Passes over a flight's samples pos (M, 3), m: rp[k] <- |p_k| for the samples before the
    first NaN, and steps <- the largest change from one sample to the next of the direction's
    angle (rad; at most 2 asin(|p - q| / (2 min(|p|, |q|)))), of |p| (m) and of p (m), each
    enlarged for rounding. Returns the number of samples before the first NaN. The squared step
    and chord are maximised (one square root a flight instead of two a sample; sqrt is monotone,
    so the largest step is the same number, and the chord differs by a few ulps, far inside the
    enlargement)."""
    end = pos.shape[0]
    for k in range(pos.shape[0]):
        if math.isnan(pos[k, 0]):
            end = k
            break
    for k in range(end):
        rp[k] = math.sqrt(pos[k, 0] * pos[k, 0] + pos[k, 1] * pos[k, 1] + pos[k, 2] * pos[k, 2])
    d2_max = 0.0
    r_max = 0.0
    c2_max = 0.0
    for k in range(1, end):
        dx = pos[k, 0] - pos[k - 1, 0]
        dy = pos[k, 1] - pos[k - 1, 1]
        dz = pos[k, 2] - pos[k - 1, 2]
        d2 = dx * dx + dy * dy + dz * dz
        d2_max = max(d2_max, d2)
        r_max = max(r_max, abs(rp[k] - rp[k - 1]))
        r_min = min(rp[k], rp[k - 1])
        c2_max = max(c2_max, d2 / (r_min * r_min))
    steps[0] = 2.0 * math.asin(min(1.0, 0.5 * math.sqrt(c2_max))) * (1.0 + 1e-9) + 1e-12
    steps[1] = r_max * (1.0 + 1e-9) + SKIP_SLACK_M
    steps[2] = math.sqrt(d2_max) * (1.0 + 1e-9) + SKIP_SLACK_M
    return end


COS_TILT = math.cos(GEOCENTRIC_TILT)


@njit(cache=True, _nrt=False)
def _height_bracket(p, rp, a_eq, b_pol):
    """Bounds (m) on the geodetic height of p (ECEF m, |p| = ``rp``) over the ellipsoid of
    semi-axes a = ``a_eq``, b = ``b_pol``, a few metres apart: with q the ellipsoid's point on
    the ray to p and hb = |p| - |q| > 0, the height (p's distance to the ellipsoid) is at most
    |p - q| = hb and at least p's distance hb cos(delta) to the tangent plane at q (the ellipsoid
    lies behind it), delta <= `GEOCENTRIC_TILT` the angle between the ray and the normal at q.
    (-inf, inf) for p inside the ellipsoid."""
    s = rp / math.sqrt((p[0] * p[0] + p[1] * p[1]) / (a_eq * a_eq) + p[2] * p[2] / (b_pol * b_pol))
    hb = rp - s
    if not (hb > 0.0):
        return -math.inf, math.inf
    return hb * COS_TILT, hb


@njit(cache=True, _nrt=False)
def _next_sample(k, excess, per_step):
    """The next sample that can pass a test which sample k failed by ``excess`` (in the units of
    the tested quantity), when that quantity changes by at most ``per_step`` from one sample to
    the next: samples k + j with j per_step < excess fail it too."""
    if not (excess > 0.0 and per_step > 0.0):  # NaN-safe: no skip
        return k + 1
    j = excess / per_step
    if j >= 1e9:
        return k + 1_000_000_000
    return k + max(1, int(j))


@njit(cache=True, _nrt=False)
def site_figures(site, params, a_eq, flat, ellipsoid, out):
    """The figures of a battery `_scan_candidates` needs, computed once for all its flights: out <-
    (the site's geodetic latitude and its longitude, rad, for `_ground_range_from`; the bound
    (rad) on the angle between a sample that passed the band test (geodetic height <= the
    interceptor's highest intercept) and its ground point (`foot_angle`), plus the site's own
    angle from its ground point (zero on the ellipsoid, up to rounding))."""
    b_pol = a_eq * (1.0 - flat)
    lat_s, h_s = geodetic_height_one(site[0], site[1], site[2], ellipsoid[0], ellipsoid[1])
    out[0] = lat_s
    out[1] = math.atan2(site[1], site[0])
    out[2] = foot_angle(params[P_MAX_ALT] + 1.0, b_pol) + foot_angle(abs(h_s) + 1.0, b_pol - 2.0 * abs(h_s))


@njit(cache=True, _nrt=False)
def _scan_candidates(pos, rp, end, steps, t, dt_max, site, params, omega, vmax, l0, win, frame, axes, tau, margin,
                     excess, excess_margin, tau_min, tau_max, a_eq, flat, ellipsoid, fig, look, cand, lam, mrg, bound):
    """The candidate intercept samples of one flight for one battery, the samples the first pass
    of `_engage_pair_tabled` marks (the same tests, evaluated the same way), with the table's
    latest launch at each: cand[:nc] <- sample indices (ascending), lam[:nc] and mrg[:nc] as
    there (NaN and inf: the table cannot say; `table_latest`) and bound[:nc] <- (lam, lam); or,
    where the cell is certain without interpolating (`arrival_table.cell_bounds`), lam NaN, mrg
    the cell's margin and bound <- bounds on the table's latest launch (lower < upper: deferred,
    `table_latest` settles it where a decision needs it). Returns nc. ``t`` ascending; ``l0``
    finite; ``look`` scratch (3,).

    Samples are skipped untested where a test failed at an earlier sample by more than the
    tested quantity can change in between (`_next_sample`): the radial height by ``steps[1]`` a
    sample, the geocentric angle from the site by ``steps[0]`` (angles between directions obey
    the triangle inequality, and both bounds of the range bracket grow with that angle), and the
    distance from the site by ``steps[2]`` while the distance test's allowance grows by
    (vmax + Earth's turning speed) x ``dt_max`` a sample. Likewise the range and distance tests
    are not repeated while a sample passed them by more than that change. ``rp``, ``end``, ``steps``:
    `_flight_steps` of the flight; ``dt_max`` >= every step of ``t``; ``fig``: `site_figures` of the
    battery."""
    t_burn = params[P_BURN]
    tau_lo = t_burn + MIN_COAST
    powered = 0.5 * params[P_SPEED] * t_burn + params[P_BO_ALT]
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    w_r = omega * (rs + params[P_BO_ALT])
    b_pol = a_eq * (1.0 - flat)
    lo, hi, rng = params[P_MIN_ALT], params[P_MAX_ALT], params[P_RANGE]
    grow = (vmax + w_r) * dt_max * (1.0 + 1e-9)
    lat_s, lon_s, foot = fig[0], fig[1], fig[2]
    hi_slope = math.sqrt(a_eq * a_eq + (a_eq - b_pol) ** 2)  # of the range bracket's upper bound in the angle
    range_ok = 0  # samples before these indices pass the range / distance tests (proved at an earlier sample)
    dist_ok = 0
    k = 0
    while k < end and (t[k] < win[0] or t[k] - l0 < tau_lo):  # a prefix: t ascending
        k += 1
    nc = 0
    while k < end and not (t[k] > win[1]):
        h_lo = rp[k] - a_eq
        h_hi = rp[k] - b_pol
        if h_hi < lo:
            k = _next_sample(k, lo - h_hi - SKIP_SLACK_M, steps[1])
            continue
        if h_lo > hi:
            k = _next_sample(k, h_lo - hi - SKIP_SLACK_M, steps[1])
            continue
        if h_lo < lo or h_hi > hi:
            e_lo, e_hi = _height_bracket(pos[k], rp[k], a_eq, b_pol)
            if e_hi < lo - SKIP_SLACK_M or e_lo > hi + SKIP_SLACK_M:
                k += 1
                continue
            if not (e_lo > lo + SKIP_SLACK_M and e_hi < hi - SKIP_SLACK_M):
                a = geodetic_height_one(pos[k, 0], pos[k, 1], pos[k, 2], a_eq, flat)[1]
                if a < lo or a > hi:
                    k += 1
                    continue
        tau_hi = t[k] - l0
        if k >= range_ok:
            g_lo, g_hi = _range_bracket_near(site, pos[k], rs, rp[k], a_eq, b_pol, foot)
            if g_lo > rng:
                k = _next_sample(k, (g_lo - rng - SKIP_SLACK_M) / b_pol, steps[0])
                continue
            if g_hi > rng and _ground_range_from(lat_s, lon_s, pos[k], ellipsoid) > rng:
                k += 1
                continue
            range_ok = _next_sample(k, (rng - g_hi - SKIP_SLACK_M) / hi_slope, steps[0])
        if k >= dist_ok:
            dx = pos[k, 0] - site[0]  # no view of the sample in the loop: a view costs more than
            dy = pos[k, 1] - site[1]  # the tests (its reference count)
            dz = pos[k, 2] - site[2]
            dist = math.sqrt(dx * dx + dy * dy + dz * dz)
            allowed = powered + vmax * (tau_hi - t_burn) + w_r * tau_hi
            if dist > allowed:
                k = _next_sample(k, dist - allowed - SKIP_SLACK_M, steps[2] + grow)
                continue
            dist_ok = _next_sample(k, allowed - dist - SKIP_SLACK_M, steps[2])
        cand[nc] = k
        nc += 1
        k += 1
    # the table's latest launch: bounded from the cell where it is certain (deferred), else looked up
    cell_bounds(frame, axes, margin, tau_min, tau_max, pos, cand, t, nc, bound, mrg)
    for c in range(nc):
        lam[c] = math.nan
        if not (bound[c, 0] < bound[c, 1]):
            k = cand[c]
            table_latest(frame, axes, tau, margin, excess, excess_margin, pos[k], t[k], t[k] - l0, look, lam, mrg,
                         bound, c)
    return nc


@njit(cache=True, _nrt=False)
def table_latest(frame, axes, tau, margin, excess, excess_margin, p, t_k, tau_hi, look, lam, mrg, bound, c):
    """The table's latest launch at candidate c (sample p at time t_k, longest flight ``tau_hi``):
    lam[c] <- t_k - `lookup`'s arrival (-inf beyond reach), mrg[c] <- its margin; NaN and inf where
    the table cannot say; -inf and 0 where the excess table puts p beyond reach. bound[c] <- (lam[c],
    lam[c]): settled."""
    lam[c] = math.nan
    mrg[c] = math.inf
    if lookup(frame, axes, tau, margin, p, look) and (look[0] < math.inf or tau_hi <= MAX_FLIGHT_S):
        lam[c] = t_k - look[0]  # -inf: beyond reach (the table searched flights up to MAX_FLIGHT_S)
        mrg[c] = look[1]
    elif tau_hi <= MAX_FLIGHT_S and beyond_by_excess(frame, axes, excess, excess_margin, p, look):
        lam[c] = -math.inf  # beyond reach at every flight time up to MAX_FLIGHT_S
        mrg[c] = 0.0
    bound[c, 0] = lam[c]
    bound[c, 1] = lam[c]
