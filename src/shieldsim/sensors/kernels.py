"""The compiled coverage kernels: sight, status and interval edges of sampled flights.

Packed parameters: one row of floats per radar (`geometry._radar_params`), indexed by the
``R_*`` names; the two limiting rays of the "atmosphere" refraction model (min- and
max-elevation) are blocks of `refraction.RAY_SIZE` floats at `R_RAY_MIN` and `R_RAY_MAX`, with
their bending tables in a separate (S, 2, RAY_TABLE) array.

Layout exception (`_refine`): 17 parameters (tests/test_layout.py): one sample pair (positions,
velocities, times), the level sought, and what `_status_known` needs (radar row, ray tables,
detection ranges, separation time, the Earth's two radii ``ea``, ``eb``, the known answers,
the limiting rays' table), plus scratch space. The arrays differ in shape or type, so a swap among them fails on
compilation; the floats pair up as (``t0``, ``dt``) and (``ea``, ``eb``), written once in
`sweep._radar_batch`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..earth import radial_height_one
from .refraction import (RAY_ON, RAY_R_LOW, RAY_SIZE, _grazing_elevation, _ray_theta_direct, _ray_theta_q, _refractivity,
                         _table_bend_at)


_REFINE_ITER = 20
"""Bisection steps when refining a coverage boundary between two samples (step / 2^20)."""


R_SITE, R_EAST, R_NORTH, R_UP, R_CENTRE = 0, 3, 6, 9, 12  # 3-vectors (ECEF m / unit vectors)
(R_RLOC, R_ANT, R_MODEL, R_K, R_FIXED, R_BORE, R_HALF, R_EL_MIN, R_EL_MAX, R_MAX_RANGE, R_N0, R_HS,
 R_RAY_MIN) = range(15, 28)
"""R_RLOC local-sphere radius (m); R_ANT antenna height above it (m); R_MODEL index into
`REFRACTION_MODELS`; R_K effective-Earth factor (1 for "none"); R_FIXED 1.0 for a fixed face;
R_BORE, R_HALF boresight and half-width (rad); R_EL_MIN, R_EL_MAX elevation limits (rad);
R_MAX_RANGE instrumented range (m); R_N0 surface refractivity (N x 1e-6); R_HS its scale height (m)."""


R_RAY_MIN = np.int64(R_RAY_MIN)  # NumPy ints: Numba types them int64, not literals (one compile per helper)
R_RAY_MAX = R_RAY_MIN + RAY_SIZE
N_RADAR = int(R_RAY_MAX + RAY_SIZE)
LOWER_RAY, UPPER_RAY = np.int64(0), np.int64(1)
"""``which`` of the lower and upper limiting ray (`_ray_angle`, `_limit_bracket`), as int64 for the same reason."""


@njit(cache=True)
def _wrap_pi(d):
    """(d + pi) % (2 pi) - pi (rad) with Python's float modulo, bit for bit, without its library
    fmod call where |d + pi| < 4 pi (every azimuth difference): fmod(x, 2 pi) there is x, or
    x -+ 2 pi (exact, Sterbenz's lemma), and a negative remainder takes + 2 pi (rounded), as
    Python's modulo does; a zero remainder is +0."""
    y = 2.0 * math.pi
    x = d + math.pi
    if not abs(x) < 2.0 * y:
        return x % y - math.pi
    if x >= y:
        x = x - y
    elif x <= -y:
        x = x + y
    if x < 0.0:
        x = x + y
    elif x == 0.0:
        x = 0.0
    return x - math.pi


@njit(cache=True, _nrt=False)
def _range_az(p, row):
    """Slant range (m) and geometric azimuth (rad clockwise from north) of p from a radar."""
    dx = p[0] - row[R_SITE]
    dy = p[1] - row[R_SITE + 1]
    dz = p[2] - row[R_SITE + 2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    e = dx * row[R_EAST] + dy * row[R_EAST + 1] + dz * row[R_EAST + 2]
    n = dx * row[R_NORTH] + dy * row[R_NORTH + 1] + dz * row[R_NORTH + 2]
    return rng, math.atan2(e, n)


@njit(cache=True, _nrt=False)
def _polar(p, row, ea, eb):
    """Central angle (rad) of p from the radar's zenith about its local-sphere centre, and the
    height (m) of p above the model surface."""
    qx = p[0] - row[R_CENTRE]
    qy = p[1] - row[R_CENTRE + 1]
    qz = p[2] - row[R_CENTRE + 2]
    qn = math.sqrt(qx * qx + qy * qy + qz * qz)
    c = (qx * row[R_UP] + qy * row[R_UP + 1] + qz * row[R_UP + 2]) / qn
    c = min(1.0, max(-1.0, c))
    return math.acos(c), radial_height_one(p, ea, eb)


@njit(cache=True)
def _effective_elevation(theta, h, rloc, ant, k):
    """Refracted elevation (rad) of a point at central angle theta and height h over the local
    sphere in the effective-Earth picture (radius k rloc); -pi when the straight ray is blocked
    by the effective Earth."""
    ke = k * rloc
    th = theta / k
    x = (ke + h) * math.sin(th)
    y = (ke + h) * math.cos(th) - (ke + ant)
    # the straight ray must clear the effective Earth (matters only below the antenna's dip)
    ay = ke + ant
    d2 = x * x + y * y
    if y < 0.0 and d2 > 0.0:
        u = min(1.0, -(ay * y) / d2)
        cx = u * x
        cy = ay + u * y
        if cx * cx + cy * cy < ke * ke * (1.0 - 1e-12):
            return -math.pi
    return math.atan2(y, x)


@njit(cache=True)
def _in_elevation(p, row, rays, ea, eb):
    """Whether p lies within the radar's elevation limits (refracted elevation) and in sight.

    Effective-Earth models: the 4/3-Earth test. "atmosphere": above the antenna, p must lie
    between the rays leaving at the lowest usable elevation (the mask or the grazing ray) and at
    ``max_elevation``; below the antenna's height the effective-Earth test with the factor k of
    the profile's gradient at the antenna (short, low paths)."""
    theta, h = _polar(p, row, ea, eb)
    return _in_sight(theta, h, row, rays)


@njit(cache=True, _nrt=False)
def _in_sight(theta, h, row, rays):
    """`_in_elevation` of a point given by its central angle theta (rad) from the radar's zenith
    and its height h (m) above the model surface (`_polar`)."""
    rloc = row[R_RLOC]
    ant = row[R_ANT]
    if row[R_MODEL] != 0.0 or h < ant:
        el = _effective_elevation(theta, h, rloc, ant, row[R_K])
        return row[R_EL_MIN] <= el <= row[R_EL_MAX]
    r = rloc + h
    q = _refractivity(r, rloc, row[R_N0], row[R_HS])  # n - 1 at r, for both rays
    if not theta <= _ray_theta_q(r, q, row, R_RAY_MIN, _table_bend_at(r, row, R_RAY_MIN, rays[0])):
        return False
    if row[R_RAY_MAX + RAY_ON] != 0.0 and theta < _ray_theta_q(r, q, row, R_RAY_MAX,
                                                               _table_bend_at(r, row, R_RAY_MAX, rays[1])):
        return False
    return True


LIMIT_NODES = 2048
"""Nodes of a radar's table of its limiting rays' central angles (`_limit_table`)."""
LIMIT_SPAN = 5000e3
"""Radii tabulated above each limiting ray's lowest radius (m): nodes uniform in sqrt(r - r_low)."""
_LIMIT_EPS = 1e-12
"""Rounding allowance (rad) between a ray's computed central angle at a node and at a radius
beyond it (the computed angle grows with radius up to ~1e-15 rad)."""


@njit(cache=True)
def _ray_angle(r, row, rays, which):
    """Central angle (rad) at which the radar's lower (which 0) or upper (1) limiting ray reaches
    radius r (m), exactly as `_in_sight` computes it."""
    at = R_RAY_MIN if which == 0 else R_RAY_MAX
    q = _refractivity(r, row[R_RLOC], row[R_N0], row[R_HS])
    return _ray_theta_q(r, q, row, at, _table_bend_at(r, row, at, rays[which]))


@njit(cache=True)
def _limit_table(row, rays, table):
    """Fill ``table`` (2, 2, n): for the lower (0) and upper (1) limiting ray of an "atmosphere"
    radar, node radii (m) [which, 0] and the ray's central angle there [which, 1] (`_ray_angle`).
    The angle grows with radius (no ducting), so at any radius between two nodes it lies between
    their angles (`_limit_bracket`)."""
    n = table.shape[2]
    for which in range(2):
        at = R_RAY_MIN if which == 0 else R_RAY_MAX
        r_low = row[at + RAY_R_LOW]
        dx = math.sqrt(LIMIT_SPAN) / (n - 1)
        for k in range(n):
            r = r_low + (k * dx) ** 2
            table[which, 0, k] = r
            table[which, 1, k] = _ray_angle(r, row, rays, which) if row[at + RAY_ON] != 0.0 else math.nan


@njit(cache=True)
def _limit_tables(params, rays, tables):
    """`_limit_table` of every "atmosphere" radar row of params (S, N_RADAR) into tables
    (S, 2, 2, n) (rows of other models are left as they are: their sight test has no rays)."""
    for j in range(params.shape[0]):
        if params[j, R_MODEL] == 0.0:
            _limit_table(params[j], rays[j], tables[j])


@njit(cache=True, _nrt=False)
def _limit_bracket(r, row, which, table):
    """(below, above): central angles (rad) of a limiting ray with below <= angle(r) <= above,
    from the nodes around r; (NaN, NaN) outside the table (or an empty table)."""
    n = table.shape[2]
    if n < 2:
        return math.nan, math.nan
    at = R_RAY_MIN if which == 0 else R_RAY_MAX
    k = int(math.sqrt(max(r - row[at + RAY_R_LOW], 0.0)) / (math.sqrt(LIMIT_SPAN) / (n - 1)))
    if k + 1 >= n or not table[which, 0, k] <= r <= table[which, 0, k + 1]:
        return math.nan, math.nan
    return table[which, 1, k] - _LIMIT_EPS, table[which, 1, k + 1] + _LIMIT_EPS


@njit(cache=True, _nrt=False)
def _sight_tabled(theta, h, row, rays, table):
    """`_in_sight`, each limiting ray's test decided from the bracket of its tabulated angles
    where theta lies outside it and computed exactly (as `_in_sight` does) otherwise: the same
    answer."""
    if row[R_MODEL] != 0.0 or h < row[R_ANT]:
        return _in_sight(theta, h, row, rays)
    rloc = row[R_RLOC]
    r = rloc + h
    q = math.nan  # n - 1 at r, computed for the first exact ray test
    below, above = _limit_bracket(r, row, LOWER_RAY, table)
    if theta > above:
        return False
    if not theta <= below:
        q = _refractivity(r, rloc, row[R_N0], row[R_HS])
        if not theta <= _ray_theta_q(r, q, row, R_RAY_MIN, _table_bend_at(r, row, R_RAY_MIN, rays[0])):
            return False
    if row[R_RAY_MAX + RAY_ON] == 0.0:
        return True
    below, above = _limit_bracket(r, row, UPPER_RAY, table)
    if theta < below:
        return False
    if theta >= above:
        return True
    if q != q:
        q = _refractivity(r, rloc, row[R_N0], row[R_HS])
    return not theta < _ray_theta_q(r, q, row, R_RAY_MAX, _table_bend_at(r, row, R_RAY_MAX, rays[1]))


@njit(cache=True)
def _status(p, t, row, rays, rdet, separation, ea, eb):
    """0: outside coverage, 1: inside coverage but beyond detection range, 2: detectable, for a
    point p at time t (s after launch); rdet = (range against the body before ``separation``,
    range against the warehead from then on) (m). Cheap tests first: range, azimuth, elevation."""
    return _status_parts(p, t, row, rays, rdet, separation, ea, eb)[0]


@njit(cache=True)
def _status_parts(p, t, row, rays, rdet, separation, ea, eb):
    """`_status` of p and what it computed on the way: (status, slant range (m), central angle
    theta (rad), height h (m)); theta and h are NaN when the elevation was not tested."""
    rng, az = _range_az(p, row)
    if rng > row[R_MAX_RANGE]:
        return 0, rng, math.nan, math.nan
    if row[R_FIXED] != 0.0:
        d = az - row[R_BORE]
        d = _wrap_pi(d)
        if abs(d) > row[R_HALF]:
            return 0, rng, math.nan, math.nan
    theta, h = _polar(p, row, ea, eb)
    if not _in_sight(theta, h, row, rays):
        return 0, rng, theta, h
    if rng > (rdet[0] if t < separation else rdet[1]):
        return 1, rng, theta, h
    return 2, rng, theta, h


@njit(cache=True, _nrt=False)
def _hermite(p0, v0, p1, v1, dt, s, out):
    """Cubic Hermite interpolation between samples (p0, v0) and (p1, v1) (m, m/s) dt seconds
    apart, at the fraction s in [0, 1] of the step: the position (m) written to out."""
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = s3 - 2.0 * s2 + s
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = s3 - s2
    for d in range(3):
        out[d] = h00 * p0[d] + h10 * dt * v0[d] + h01 * p1[d] + h11 * dt * v1[d]


@njit(cache=True, _nrt=False)
def _status_known(p, t, row, rays, rdet, separation, ea, eb, known, table):
    """`_status` of p with the answers of some coverage tests known in advance (proved for a
    whole neighbourhood of p): known[0], [1], [2] for the instrumented range, the field of
    regard and the elevation test, 1.0 = passes, 0.0 = fails, -1.0 = evaluate it. The tests evaluated
    are `_status`'s own (the sight test through `_sight_tabled` and ``table``), so the result
    equals `_status` wherever the known answers hold."""
    if known[0] == 0 or known[1] == 0 or known[2] == 0:
        return 0
    if known[1] < 0 and row[R_FIXED] != 0.0:
        rng, az = _range_az(p, row)
        if known[0] < 0 and rng > row[R_MAX_RANGE]:
            return 0
        if abs(_wrap_pi(az - row[R_BORE])) > row[R_HALF]:
            return 0
    else:  # the range alone, as `_range_az` computes it
        dx = p[0] - row[R_SITE]
        dy = p[1] - row[R_SITE + 1]
        dz = p[2] - row[R_SITE + 2]
        rng = math.sqrt(dx * dx + dy * dy + dz * dz)
        if known[0] < 0 and rng > row[R_MAX_RANGE]:
            return 0
    if known[2] < 0 and not _sight_tabled(*_polar(p, row, ea, eb), row, rays, table):
        return 0
    if rng > (rdet[0] if t < separation else rdet[1]):
        return 1
    return 2


@njit(cache=True, _nrt=False)
def _refine(p0, v0, p1, v1, t0, dt, level, was_in, row, rays, rdet, separation, ea, eb, tmp, known, table):
    """Time where (status >= level) flips between samples t0 and t0 + dt. Returns the first
    time inside when entering, the last time inside when leaving. ``known``: answers of coverage
    tests that hold on the whole step (`_status_known`; all -1 to evaluate every test); ``table``:
    the radar's `_limit_table` (an empty (2, 2, 0) array computes every sight test exactly)."""
    lo = 0.0
    hi = 1.0
    for _ in range(_REFINE_ITER):
        mid = 0.5 * (lo + hi)
        _hermite(p0, v0, p1, v1, dt, mid, tmp)
        inside = _status_known(tmp, t0 + dt * mid, row, rays, rdet, separation, ea, eb, known, table) >= level
        if inside == was_in:
            lo = mid
        else:
            hi = mid
    return t0 + dt * (lo if was_in else hi)


@njit(cache=True, _nrt=False)
def _interval_edge(intervals, count, j, entering, t):
    """Record an edge at time t (s) of the coverage intervals of one threat in sensor j:
    ``intervals`` (K, 2) start/end, ``count[j]`` intervals closed so far. Entering sets the start
    of interval count[j]; leaving sets its end and counts it. Intervals beyond K are counted but
    not stored."""
    c = count[j]
    if c < intervals.shape[0]:
        intervals[c, 0 if entering else 1] = t
    if not entering:
        count[j] = c + 1


@njit(cache=True, parallel=True, nogil=True)
def _boost_sight(time, pos, vel, burnout, min_alt, ea, eb, out):
    """First time (s) each flight is above min_alt while t <= burnout; NaN if never."""
    n_thr = pos.shape[0]
    n_smp = pos.shape[1]
    for i in prange(n_thr):
        tmp = np.empty(3)
        out[i] = math.nan
        for m in range(n_smp):
            t = time[m]
            if t > burnout[i] or math.isnan(pos[i, m, 0]):
                break
            now_in = radial_height_one(pos[i, m], ea, eb) >= min_alt
            if now_in:
                if m == 0:
                    out[i] = t
                else:
                    lo = 0.0
                    hi = 1.0
                    dt = t - time[m - 1]
                    for _ in range(_REFINE_ITER):
                        mid = 0.5 * (lo + hi)
                        _hermite(pos[i, m - 1], vel[i, m - 1], pos[i, m], vel[i, m], dt, mid, tmp)
                        if radial_height_one(tmp, ea, eb) >= min_alt:
                            hi = mid
                        else:
                            lo = mid
                    out[i] = time[m - 1] + hi * dt
                break


@njit(cache=True)
def _apparent_elevation(p, row, top, ea, eb, ray):
    """Refracted elevation (rad) of p from a radar row; -pi when the Earth blocks the line of
    sight. "atmosphere": the elevation at which a ray leaves the antenna to reach p, found by
    bisection (points below the antenna's height: the effective Earth of the local gradient)."""
    theta, h = _polar(p, row, ea, eb)
    rloc = row[R_RLOC]
    ant = row[R_ANT]
    if row[R_MODEL] != 0.0 or h < ant:
        return _effective_elevation(theta, h, rloc, ant, row[R_K])
    r = rloc + h
    r0 = rloc + ant
    n0 = row[R_N0]
    hs = row[R_HS]
    lo = _grazing_elevation(r0, rloc, n0, hs)
    if theta > _ray_theta_direct(r, lo, r0, rloc, n0, hs, top, ray):
        return -math.pi
    hi = 0.5 * math.pi
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        if _ray_theta_direct(r, mid, r0, rloc, n0, hs, top, ray) > theta:
            lo = mid  # the ray at mid passes the target's radius further out: aim higher
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(cache=True, parallel=True, nogil=True)
def _look_batch(pos, row, top, ea, eb, out):
    for i in prange(pos.shape[0]):
        ray = np.empty(RAY_SIZE)
        rng, az = _range_az(pos[i], row)
        out[i, 0] = rng
        out[i, 1] = az
        out[i, 2] = _apparent_elevation(pos[i], row, top, ea, eb, ray)


@njit(cache=True)
def _status_batch(pos, rdet, params, rays, ea, eb, out):
    for i in range(pos.shape[0]):
        out[i] = _status(pos[i], 0.0, params[0], rays[0], rdet[i], 0.0, ea, eb)
