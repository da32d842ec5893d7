"""Compiled (Numba) vacuum arcs of `shieldsim.trajectory`: the exact two-body conic from a
burnout state down to a height above the ellipsoid, and its highest point above the ellipsoid.

Everything here works on one arc at a time with scalars (no array is allocated per flight), in
SI units (m, s, rad, m/s), in the inertial frame that coincides with Earth-fixed axes at the
start of the arc. The arc is parametrised by its eccentric anomaly E: the state at E is closed
form (Lagrange coefficients from sin E and cos E), so neither the descent nor the search for the
highest point solves Kepler's equation.

* Descent (`arc_descent`): the crossing of radius R on the falling branch has cos E = (1 - R/a)/e,
  sin E = -sqrt(1 - cos^2 E); R is the surface radius (plus the height) in the direction of that
  crossing, refined by fixed-point iteration (two square roots and one division per step,
  `descent_step`; converged to 0.1 mm).
* Highest point (`arc_highest`): the greatest *geodetic* height on [E0, E1]. Its rate
  dh/dt = v . n (n the ellipsoid normal at the foot point) is zero there. The radius grows as
  a e sin E while the distance from the centre to the foot point, r - h, changes along the arc by
  less than S = 1.25 (a_eq - b) per radian of anomaly (in the half of the orbit around the
  apoapsis) and curves by less than C = 4 (a_eq - b) per radian^2; so every interior maximum lies
  within delta = asin(S / (a e)) of the apoapsis, where h is concave when a e cos delta > C, and h
  rises before that window and falls after it. When the endpoints are also certified to be on
  the rising/falling sides (checked in closed form), the maximum is the single root of dh/dE in
  the window, found by Newton then secant steps kept inside a bracket; otherwise (near-circular
  or odd arcs) dh/dE is sampled at `_SCAN` points over the whole arc and every local maximum is
  refined, endpoints included. The normal in dh/dE uses one Bowring step (exact to ~1e-9 rad,
  which moves the maximum's height by far below a micrometre); the height itself, from that
  latitude, agrees with `earth.geodetic_height_one` to 1e-8 m from 0 to 8,000 km up.

Layout exception (`arc_highest`): 18 scalar parameters (the arc's elements, the ellipsoid and
the anomaly interval): packing them would allocate an array per flight, which this module exists
to avoid; it is called from two kernels only, both tested against SciPy and pyproj.
Layout exception (`_arc_frame`): 14 scalar parameters (the arc and the ellipsoid), for the same
reason; it packs them once per arc into the tuple `_height_rate` and `_root` take.
"""

from __future__ import annotations

import math

from numba import njit

from ..kepler import conic_state_elements
from ..series import SINCOS_SMALL_MAX, sincos_small
from ..trig import asin_lane

_SURFACE_ITER = 30
_SURFACE_TOL = 1e-4  # m
_ROOT_ITER = 60
_ROOT_TOL = 1e-7  # rad of eccentric anomaly (~1e-4 s)
_SCAN = 64
_TWO_PI = 2.0 * math.pi


@njit(cache=True)
def arc_elements(rx, ry, rz, vx, vy, vz, gm):
    """Ellipse through the inertial state (r m, v m/s): (a m, e, E0 rad in [0, 2 pi), sin E0,
    cos E0, |r| m). a, e, E0 are NaN when the state is not elliptic (escape or parabolic)."""
    a, e, e0, esin, ecos, rn = conic_state_elements(rx, ry, rz, vx, vy, vz, gm)
    if e > 0.0:
        return a, e, e0, esin / e, ecos / e, rn
    if math.isnan(a):
        return a, e, e0, math.nan, math.nan, rn
    return a, e, e0, 0.0, 1.0, rn


@njit(cache=True, error_model="numpy")
def arc_coefficients(a, e, s0, c0, rn, gm, se, ce):
    """Lagrange coefficients (F, G, Fdot, Gdot) of the ellipse (a, e) from the anomaly with sine s0
    and cosine c0 (where the radius is rn) to the anomaly with sine se and cosine ce: the state
    there is r = F r0 + G v0, v = Fdot r0 + Gdot v0. Closed form, no iteration."""
    cd = ce * c0 + se * s0
    sd = se * c0 - ce * s0
    sq = math.sqrt(a * a * a / gm)
    f = 1.0 - a / rn * (1.0 - cd)
    g = sq * (sd - e * (se - s0))
    r1 = a * (1.0 - e * ce)
    fdot = -math.sqrt(gm * a) / (r1 * rn) * sd
    gdot = 1.0 - a / r1 * (1.0 - cd)
    return f, g, fdot, gdot


@njit(cache=True, error_model="numpy")
def arc_time(a, e, e0, s0, gm, e1, s1):
    """Seconds from anomaly e0 (sine s0) to e1 (sine s1) on the ellipse (a m, e): Kepler's
    equation read forwards."""
    return math.sqrt(a * a * a / gm) * ((e1 - e0) - e * (s1 - s0))


@njit(cache=True, inline="always")
def descent_constants(rz, vz, a, e, s0, c0, rn, gm, a_eq, b_pol):
    """What every step of `arc_descent` uses, computed once per arc (same arguments): (1/a, 1/e,
    a/rn, sqrt(a^3/gm), s0, c0, rz, vz, b_pol^2, a_eq^2 - b_pol^2, a_eq b_pol, e)."""
    return (1.0 / a, 1.0 / e, a / rn, math.sqrt(a * a * a / gm), s0, c0, rz, vz, b_pol * b_pol,
            a_eq * a_eq - b_pol * b_pol, a_eq * b_pol, e)


@njit(cache=True, inline="always")
def surface_radius_at(k, radius, z):
    """Distance (m) from the centre to the ellipsoid in the direction of a point at ``radius``
    (m) from the centre with z component ``z`` (m); k from `descent_constants`. One square root
    and one division: a b r / sqrt(b^2 r^2 + (a^2 - b^2) z^2)."""
    return k[10] * radius / math.sqrt(k[8] * (radius * radius) + k[9] * (z * z))


@njit(cache=True, inline="always")
def descent_step(k, rs, alt):
    """One fixed-point step of `arc_descent` (k from `descent_constants`): the falling crossing
    of the trial radius rs + alt (m) has (cos E, sin E) = (c, s); returns c (outside [-1, 1]: no
    crossing; s then comes from the clipped value), s and the surface radius in the crossing's
    direction (m)."""
    ia, ie, a_rn, sq, s0, c0, rz, vz = k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]
    radius = rs + alt
    c = (1.0 - radius * ia) * ie
    s = -math.sqrt(1.0 - min(c * c, 1.0))  # falling branch: E in [pi, 2 pi]
    cd = c * c0 + s * s0
    sd = s * c0 - c * s0
    z = (1.0 - a_rn * (1.0 - cd)) * rz + sq * (sd - k[11] * (s - s0)) * vz
    return c, s, surface_radius_at(k, radius, z)


@njit(cache=True)
def arc_descent(rz, vz, a, e, e0, s0, c0, rn, gm, a_eq, b_pol, alt):
    """First crossing, falling, of height ``alt`` (m) above the ellipsoid (semi-axes a_eq, b_pol m)
    by the ellipse (a, e, e0, s0 = sin e0, c0 = cos e0, rn = |r0|; `arc_elements`) through the
    inertial state whose z components are rz (m), vz (m/s). Returns (E1, sin E1, cos E1), E1 >= e0
    (rad; the next revolution's crossing if that of this one lies behind); NaNs if the arc never
    descends through that height. The crossing radius is the surface radius in its direction plus
    alt, refined by fixed-point iteration to `_SURFACE_TOL`."""
    if not (e >= 1e-14):
        return math.nan, math.nan, math.nan
    k = descent_constants(rz, vz, a, e, s0, c0, rn, gm, a_eq, b_pol)
    rs = surface_radius_at(k, rn, rz)
    c = s = math.nan
    for _ in range(_SURFACE_ITER):
        c, s, rs_new = descent_step(k, rs, alt)
        if c > 1.0 or c < -1.0:
            return math.nan, math.nan, math.nan
        if abs(rs_new - rs) < _SURFACE_TOL:
            break
        rs = rs_new
    e1 = _TWO_PI - math.acos(c)
    if e1 < e0 - 1e-12:
        e1 += _TWO_PI
    return e1, s, c


@njit(cache=True)
def _arc_frame(rx, ry, rz, vx, vy, vz, a, e, s0, c0, rn, gm, a_eq, b_pol):
    """What every evaluation of `_height_rate` on one arc uses, computed once: the state and
    elements (as `arc_highest` takes them), a/rn, sqrt(a^3/gm), sqrt(gm a)/rn, sqrt(a/gm), the
    ellipsoid (a_eq, b_pol m), its e^2 and e'^2 and e^2 a_eq b_pol^3."""
    e2 = 1.0 - (b_pol / a_eq) ** 2
    return (rx, ry, rz, vx, vy, vz, a, e, s0, c0, a / rn, math.sqrt(a * a * a / gm), math.sqrt(gm * a) / rn,
            math.sqrt(a / gm), a_eq, b_pol, e2, (a_eq * a_eq - b_pol * b_pol) / (b_pol * b_pol),
            e2 * a_eq * b_pol * b_pol * b_pol)


@njit(cache=True, error_model="numpy")
def _height_rate(k, se, ce):
    """(geodetic height m, its rate dh/dE m/rad) of the arc k (`_arc_frame`) at the anomaly with
    sine se, cosine ce: the state from the Lagrange coefficients (`arc_coefficients`), the foot
    point's normal from one Bowring step, the height from that latitude. Four square roots and
    three divisions."""
    rx, ry, rz, vx, vy, vz, a, e, s0, c0, a_rn, sq, sqgma_rn, sq_a = k[:14]
    a_eq, b_pol, e2, ep2, e2ab3 = k[14:]
    cd = ce * c0 + se * s0
    sd = se * c0 - ce * s0
    f = 1.0 - a_rn * (1.0 - cd)
    g = sq * (sd - e * (se - s0))
    r1 = a * (1.0 - e * ce)
    inv_r1 = 1.0 / r1
    fd = -sqgma_rn * inv_r1 * sd
    gd = 1.0 - a * inv_r1 * (1.0 - cd)
    x, y, z = f * rx + g * vx, f * ry + g * vy, f * rz + g * vz
    wx, wy, wz = fd * rx + gd * vx, fd * ry + gd * vy, fd * rz + gd * vz
    rho2 = x * x + y * y
    az, brho = a_eq * z, b_pol * math.sqrt(rho2)
    inv_big = 1.0 / math.sqrt(az * az + brho * brho)
    sb = az * inv_big
    num = z + ep2 * b_pol * sb * sb * sb
    kk = 1.0 - e2ab3 * rho2 * inv_big * inv_big * inv_big  # (rho - e2 a cos^3 beta) / rho
    inv_t = 1.0 / math.sqrt(num * num + kk * kk * rho2)
    sphi = num * inv_t
    h = kk * rho2 * inv_t + z * sphi - a_eq * math.sqrt(1.0 - e2 * sphi * sphi)
    rate = (kk * (wx * x + wy * y) * inv_t + wz * sphi) * r1 * sq_a
    return h, rate


@njit(cache=True)
def _sincos(x):
    """(sin x, cos x); near the apoapsis anomaly pi (|x - pi| < `series.SINCOS_SMALL_MAX`) by
    their Taylor series about pi (exact to rounding), cheaper than the library functions."""
    d = x - math.pi
    if abs(d) < SINCOS_SMALL_MAX:
        s, c = sincos_small(d)
        return -s, -c
    return math.sin(x), math.cos(x)


@njit(cache=True)
def _root(k, lo, hi, x, hx, px):
    """Maximum of the height where its falling rate dh/dE crosses zero in [lo, hi] (positive at
    lo, negative at hi), from x in it where the height is hx and the rate px: Newton's step with
    the radius's own curvature a e cos x, then secant steps, each kept inside the shrinking
    bracket (bisection otherwise). Stops at the last evaluated point once the next step would be
    below `_ROOT_TOL` (its height is then short of the maximum by ~a e tol^2 / 2, nanometres).
    Returns (E, sin E, cos E, height); k from `_arc_frame`."""
    sx, cx = _sincos(x)
    ae = k[6] * k[7]
    slope = ae * cx  # d2r/dE2; the ellipsoid's share is a few percent of it
    if slope >= 0.0:
        slope = -ae
    xn = x - px / slope
    for _ in range(_ROOT_ITER):
        if px > 0.0:
            lo = x
        elif px < 0.0:
            hi = x
        else:
            break
        if abs(xn - x) <= _ROOT_TOL or hi - lo <= _ROOT_TOL:
            break
        if not (lo < xn < hi):
            xn = 0.5 * (lo + hi)
        sn, cn = _sincos(xn)
        hn, pn = _height_rate(k, sn, cn)
        dp = pn - px
        x_new = xn - pn * (xn - x) / dp if dp != 0.0 else 0.5 * (lo + hi)
        x, sx, cx, hx, px = xn, sn, cn, hn, pn
        xn = x_new
    return x, sx, cx, hx


@njit(cache=True)
def highest_bracket(k, e0, s0, c0, e1, s1, c1):
    """Where the highest point above the ellipsoid of the arc k (`_arc_frame`) between the
    anomalies e0 (sine s0, cosine c0) and e1 (s1, c1) lies, by the certified window of the module
    docstring. Returns (kind, x, sx, cx, h, lo, hi): kind 0, the highest point itself is (x rad,
    sin x, cos x, height h m); kind 1, it is the single root of dh/dE in [lo, hi] (rad), to be
    found by `_root` from x (sx, cx, h not set); kind 2, not certified (`_scan` the arc)."""
    a, e = k[6], k[7]
    a_eq, b_pol = k[14], k[15]
    nan = math.nan
    if not (e1 > e0):
        return 0, e0, s0, c0, _height_rate(k, s0, c0)[0], nan, nan
    if b_pol == a_eq:
        x, sx, cx = e1, s1, c1
        if e0 >= math.pi:
            x, sx, cx = e0, s0, c0
        elif e1 >= math.pi:
            x, sx, cx = math.pi, 0.0, -1.0
        return 0, x, sx, cx, _height_rate(k, sx, cx)[0], nan, nan
    ae = a * e
    big_s = 1.25 * (a_eq - b_pol)
    big_c = 4.0 * (a_eq - b_pol)
    if not (ae > big_s and e < 1.0):
        return 2, nan, nan, nan, nan, nan, nan
    sin_delta = big_s / ae
    delta = asin_lane(sin_delta)  # as `blocks.window_lanes` has it (a window edge, ~1e-16 rad from asin)
    q = math.sqrt(1.0 - e * e)
    ok = ae * math.sqrt(1.0 - sin_delta * sin_delta) > big_c and e1 < _TWO_PI
    # endpoints outside the window must sit on the rising / falling side for sure
    if ok and e0 < math.pi - delta:
        ok = s0 > 0.0 and ae * s0 * (1.0 - e * c0) > big_s * q
    if ok and e1 > math.pi + delta:
        ok = -ae * s1 * (1.0 - e * c1) > big_s * q
    if not ok:
        return 2, nan, nan, nan, nan, nan, nan
    lo, hi = math.pi - delta, math.pi + delta
    if e0 >= hi or e1 <= lo:  # falling all along / rising all along
        x, sx, cx = (e0, s0, c0) if e0 >= hi else (e1, s1, c1)
        return 0, x, sx, cx, _height_rate(k, sx, cx)[0], nan, nan
    if e0 >= lo:
        lo = e0
        h, p = _height_rate(k, s0, c0)
        if p <= 0.0:
            return 0, e0, s0, c0, h, nan, nan
    if e1 <= hi:
        hi = e1
        h, p = _height_rate(k, s1, c1)
        if p >= 0.0:
            return 0, e1, s1, c1, h, nan, nan
    return 1, min(max(math.pi, lo), hi), nan, nan, nan, lo, hi


@njit(cache=True)
def _scan(k, e0, s0, c0, e1, s1, c1):
    """Highest point of the arc k (`_arc_frame`) on [e0, e1] where `highest_bracket` certifies
    nothing: the rate sampled at `_SCAN` points, every local maximum refined by `_root`, the
    highest kept, endpoints included. Returns (E rad, sin E, cos E, height m)."""
    best_e, best_s, best_c = e0, s0, c0
    best_h, p_prev = _height_rate(k, s0, c0)
    x_prev, h_prev = e0, best_h
    for i in range(1, _SCAN + 1):
        x = e1 if i == _SCAN else e0 + (e1 - e0) * i / _SCAN
        sx, cx = (s1, c1) if i == _SCAN else (math.sin(x), math.cos(x))
        h, p = _height_rate(k, sx, cx)
        if p_prev > 0.0 and p < 0.0:
            xc, sc, cc, hc = _root(k, x_prev, x, x_prev, h_prev, p_prev)
            if hc > best_h:
                best_e, best_s, best_c, best_h = xc, sc, cc, hc
        if i == _SCAN and h > best_h:
            best_e, best_s, best_c, best_h = x, sx, cx, h
        x_prev, h_prev, p_prev = x, h, p
    return best_e, best_s, best_c, best_h


@njit(cache=True)
def arc_highest(rx, ry, rz, vx, vy, vz, gm, a_eq, b_pol, a, e, e0, s0, c0, rn, e1, s1, c1):
    """Highest point above the ellipsoid (a_eq, b_pol m) -- the greatest geodetic height -- of the
    arc through the inertial state (r m, v m/s) with elements (a, e, e0, s0, c0, rn;
    `arc_elements`) between the anomalies e0 and e1 (sine s1, cosine c1). Returns (E rad, sin E,
    cos E, height m). On a sphere (b_pol = a_eq) the apoapsis, or the start when already past it,
    or the end when the apoapsis comes later. See the module docstring for the method."""
    k = _arc_frame(rx, ry, rz, vx, vy, vz, a, e, s0, c0, rn, gm, a_eq, b_pol)
    kind, x, sx, cx, h, lo, hi = highest_bracket(k, e0, s0, c0, e1, s1, c1)
    if kind == 0:
        return x, sx, cx, h
    if kind == 1:
        sx, cx = _sincos(x)
        h, p = _height_rate(k, sx, cx)
        return _root(k, lo, hi, x, h, p)
    return _scan(k, e0, s0, c0, e1, s1, c1)
