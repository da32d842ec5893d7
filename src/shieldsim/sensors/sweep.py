"""The coverage sweep: each sampled flight walked through each radar's coverage, skipping the
samples whose status is proved unchanged.

`_radar_batch` gives the same intervals as testing every sample with `kernels._status` (and
with empty limit tables, `detect(..., skip=False)`, it does exactly that): a sample is passed
over only when a bound proves that its
status equals the status of the sample examined before it, and a test is answered without
being computed only when a bound proves its answer.

The bounds. Sample m + k lies within the length of the polyline of samples from m to m + k
of sample m (the sum of the chords between consecutive samples: the triangle inequality on the
samples themselves, nothing is assumed about the flight between samples). Each test of the
status has a margin, a distance p may move without changing its answer:

* instrumented range and detection range: |slant range - limit| (the range is 1-Lipschitz);
* field of regard of a fixed face: the distance of p's horizontal projection (a 1-Lipschitz map)
  from the two vertical half-planes bounding the azimuth sector (`_fov_margin`);
* sight (horizon and elevation limits): a move of length d changes the central angle theta from
  the radar's zenith by at most d / (|q| - d) (q = p - the local sphere's centre) and the height
  above the model surface by at most L d, L = 1 + a (a^2 - b^2) / (b^2 (|p| - d)) (the surface
  radius changes by at most a (a^2 - b^2) / b^2 per unit sine of latitude). The sight test is
  monotone in both (the limiting rays' central angle grows with radius: no ducting in the
  exponential profile; the effective-Earth elevation grows with height and, away from the point
  below the antenna, falls with theta), so it holds on the whole box of (theta, h) when it holds
  at the box's worst corners (`_sight_held`). A sight answer so proved on a ball around an
  anchor sample answers every later sample inside that ball. The radius tried first is an
  estimate from the limiting rays' slopes between the table's nodes (`_radius_estimate`); only
  `_sight_held`'s proof decides.

The status holds over the next samples within room of that polyline (`_held`), room the
smallest margin of the tests that decide it; a run ends, too, at the sample where the threat separates (the detection range
changes). `SLACK_M` and `SLACK_RAD` are kept from every margin for the rounding of the computed
tests. The sight test itself is answered from a table of the limiting rays' angles at node radii
where theta lies outside the bracket of the two nodes around the sample's radius, and computed
exactly otherwise (`kernels._sight_tabled`).

Between two samples whose status differs, `kernels._refine` bisects on the cubic Hermite
interpolant; the interpolant stays within |p1 - p0| + 4/27 dt (|v0| + |v1|) of p0, so the tests
whose answer is proved on that ball are not evaluated at the bisection points (`_known_on_ball`).
Where that leaves one test alone deciding the edge (`_edge_test`: the sight answer, the slant
range against the instrumented or one phase's detection range, or a fixed face's azimuth test),
`_refine_grid` finds the same edge on the bisection's grid of 2^-20 steps by regula falsi on
that test's margin: the same double whenever the answer changes once on the step (two samples
2 s apart), and in any case a time where the answer flips on that grid.

Layout exception (`_radar_batch`): 14 parameters: the flights' arrays, the packed radar rows, ray
tables and limiting rays' tables, the Earth's two radii and the four output arrays.
Layout exception (`_refine_grid`): 14 parameters: one sample pair (positions, velocities, start
time and step), the answer at the start, the test deciding the edge and its range limit, the
radar row and ray tables, the Earth's radii and scratch (`_refine_sight`'s twelve and the test).
Layout exception (`_walk`): 17 parameters: one flight (its samples, velocities, time grid, number
of finite samples, cumulative chord lengths, separation time), one radar (row, sector edges, ray
tables, limiting rays' table, detection ranges), the Earth's radii, scratch and the three
outputs' rows.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .kernels import (
    R_BORE,
    R_CENTRE,
    R_EAST,
    R_EL_MAX,
    R_EL_MIN,
    R_FIXED,
    R_HALF,
    R_K,
    R_MAX_RANGE,
    R_MODEL,
    R_NORTH,
    R_RAY_MAX,
    R_RLOC,
    R_ANT,
    R_SITE,
    _REFINE_ITER,
    _effective_elevation,
    _hermite,
    _interval_edge,
    LIMIT_SPAN,
    _limit_bracket,
    _sight_tabled,
    _wrap_pi,
    _polar,
    _range_az,
    R_HS,
    R_N0,
    R_RAY_MIN,
    LOWER_RAY,
    UPPER_RAY,
    _refine,
    _status_known,
)
from .refraction import RAY_ON, RAY_R_LOW, _ray_theta_q, _refractivity, _table_bend_at


SLACK_M = 1.0
"""Metres kept from every distance margin (the computed ranges and projections round to ~1e-8 m)."""
SLACK_RAD = 1e-7
"""Radians kept from every angle margin (acos near the zenith rounds to ~2e-8 rad)."""
_SECANT_TRIES = 8
"""Secant steps of `_refine_sight` before it bisects what is left of the bracket."""
_TRIALS = (0.25, 0.125, 0.04)
"""Fractions of the first guess (`_elevation_margin`) tried as the radius of a proved sight
answer below an "atmosphere" antenna's height and in the effective-Earth models (the guess
ignores how the elevation changes with height)."""
_ESTIMATE_TRIES = (0.8, 0.4, 0.2)
"""Fractions of `_radius_estimate` tried as the radius of a proved sight answer above an
"atmosphere" antenna's height (0.8 is proved for ~90 % of the balls of the three-option
coverage, 0.4 for nearly all the rest: the estimate takes the slope between the table's nodes
around the point, not at the box's lowest corner, and no allowance for the table's steps).
As many as `_TRIALS` (one loop serves both)."""


@njit(cache=True, inline="always", _nrt=False)
def _horizontal(p, row):
    """(e, n, rho): the east and north components (m) of p's offset from a fixed face's site in
    the site's horizon plane, and their length (the offset's horizontal projection)."""
    dx = p[0] - row[R_SITE]
    dy = p[1] - row[R_SITE + 1]
    dz = p[2] - row[R_SITE + 2]
    e = dx * row[R_EAST] + dy * row[R_EAST + 1] + dz * row[R_EAST + 2]
    n = dx * row[R_NORTH] + dy * row[R_NORTH + 1] + dz * row[R_NORTH + 2]
    return e, n, math.sqrt(e * e + n * n)


@njit(cache=True, _nrt=False)
def _fov_margin(p, row):
    """(inside, margin): whether p is inside a fixed face's azimuth sector and how far (m) it may
    move without crossing the sector's edges (distance of its horizontal projection from them)."""
    e, n, rho = _horizontal(p, row)
    d = _wrap_pi(math.atan2(e, n) - row[R_BORE])
    inside = not abs(d) > row[R_HALF]
    a = abs(abs(d) - row[R_HALF]) - SLACK_RAD
    if a <= 0.0:
        return inside, 0.0
    return inside, rho * math.sin(min(a, 0.5 * math.pi)) - SLACK_M


@njit(cache=True, _nrt=False)
def _sector_edges(row, face):
    """Fill ``face`` (4,) with the sine and cosine of a fixed face's two edge azimuths,
    boresight -+ half-width (`_fov_margin_edges`)."""
    face[0] = math.sin(row[R_BORE] - row[R_HALF])
    face[1] = math.cos(row[R_BORE] - row[R_HALF])
    face[2] = math.sin(row[R_BORE] + row[R_HALF])
    face[3] = math.cos(row[R_BORE] + row[R_HALF])


@njit(cache=True, _nrt=False)
def _fov_margin_edges(p, row, face):
    """`_fov_margin` from the cross products of p's horizontal projection (e, n) with the edge
    directions ``face`` (`_sector_edges`) where p lies clearly off both edge lines: then the
    signs give the answer the azimuth test gives (the sector is where both cross products are
    >= 0, or either one for a face wider than a half-turn), and the margin is the distance to
    the nearer edge ray (the origin included), as `_fov_margin`'s. Near an edge line (within
    `SLACK_M` + `SLACK_RAD` rho, the rounding of either test being ~1e-15 rho) it is
    `_fov_margin` itself."""
    e, n, rho = _horizontal(p, row)
    s1 = e * face[1] - n * face[0]  # rho sin(azimuth - first edge)
    s2 = n * face[2] - e * face[3]  # rho sin(second edge - azimuth)
    slack = SLACK_M + SLACK_RAD * rho
    if not min(abs(s1), abs(s2)) > slack:
        return _fov_margin(p, row)
    g1 = abs(s1) if e * face[0] + n * face[1] >= 0.0 else rho  # distance to each edge ray
    g2 = abs(s2) if e * face[2] + n * face[3] >= 0.0 else rho
    inside = (s1 >= 0.0 and s2 >= 0.0) if row[R_HALF] <= 0.5 * math.pi else (s1 >= 0.0 or s2 >= 0.0)
    return inside, min(g1, g2) - slack


@njit(cache=True, _nrt=False)
def _theta_h_moves(p, row, d, ea, eb):
    """(dtheta, dh): bounds on the change of central angle (rad) and height (m) of p over a move
    of length d (m); (-1, -1) when the bound does not apply (d too large for p's radii)."""
    qx = p[0] - row[R_CENTRE]
    qy = p[1] - row[R_CENTRE + 1]
    qz = p[2] - row[R_CENTRE + 2]
    qn = math.sqrt(qx * qx + qy * qy + qz * qz)
    pn = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
    if d >= 0.5 * qn or d >= pn - 0.5 * eb:
        return -1.0, -1.0
    lip = 1.0 + ea * (ea * ea - eb * eb) / (eb * eb * (pn - d))
    return d / (qn - d) + SLACK_RAD, lip * d * (1.0 + 1e-12) + SLACK_M


@njit(cache=True, _nrt=False)
def _limit_below(r, row, which, table):
    """A lower bound (rad) of the central angle of a limiting ray at radius r: the tabulated
    bracket (`kernels._limit_bracket`); NaN outside the table (no bound: nothing is proved)."""
    below, _ = _limit_bracket(r, row, which, table)
    return below


@njit(cache=True, _nrt=False)
def _limit_above(r, row, which, table):
    """An upper bound (rad) of the central angle of a limiting ray at radius r (as `_limit_below`)."""
    _, above = _limit_bracket(r, row, which, table)
    return above


@njit(cache=True, _nrt=False)
def _limit_line(r, row, which, table):
    """(angle, slope): a limiting ray's central angle (rad) at radius r interpolated linearly
    between the table's nodes around r, and the slope (rad/m) between them; NaN beyond the
    table. Only an estimate (`_radius_estimate`): nothing is proved with it."""
    n = table.shape[2]
    at = R_RAY_MIN if which == 0 else R_RAY_MAX
    k = int(math.sqrt(max(r - row[at + RAY_R_LOW], 0.0)) / (math.sqrt(LIMIT_SPAN) / (n - 1)))
    if k + 1 >= n:
        return math.nan, math.nan
    r0 = table[which, 0, k]
    a0 = table[which, 1, k]
    slope = (table[which, 1, k + 1] - a0) / (table[which, 0, k + 1] - r0)
    return a0 + slope * (r - r0), slope


@njit(cache=True, _nrt=False)
def _straight_elevation(theta, h, row):
    """Elevation (rad) of (theta, h) in the radar's effective-Earth picture, before the test of
    the Earth blocking the ray (`kernels._effective_elevation` without it)."""
    k = row[R_K]
    ke = k * row[R_RLOC]
    th = theta / k
    return math.atan2((ke + h) * math.cos(th) - (ke + row[R_ANT]), (ke + h) * math.sin(th))


@njit(cache=True, _nrt=False)
def _effective_held(lo_th, hi_th, h_lo, h_hi, row, inside):
    """Whether the effective-Earth elevation test answers ``inside`` on the box [lo_th, hi_th] x
    [h_lo, h_hi]. The straight elevation grows with the radius R = k rloc + h and, where
    R > R0 cos(theta / k) (R0 the antenna's), falls with theta; a blocked ray only lowers it
    (-pi), and no ray with a positive elevation is blocked."""
    k = row[R_K]
    ke = k * row[R_RLOC]
    if hi_th / k >= math.pi or ke + h_lo <= (ke + row[R_ANT]) * math.cos(lo_th / k) * (1.0 + 1e-12):
        return False
    if inside:
        low = _straight_elevation(hi_th, h_lo, row)
        high = _straight_elevation(lo_th, h_hi, row)
        return low >= row[R_EL_MIN] + SLACK_RAD and low >= SLACK_RAD and high <= row[R_EL_MAX] - SLACK_RAD
    if _straight_elevation(lo_th, h_hi, row) < row[R_EL_MIN] - SLACK_RAD:
        return True
    low = _straight_elevation(hi_th, h_lo, row)
    return low > row[R_EL_MAX] + SLACK_RAD and low > SLACK_RAD


@njit(cache=True, _nrt=False)
def _sight_held(theta, h, dth, dh, row, table, inside):
    """Whether the sight test (`kernels._in_sight`) answers ``inside`` for every point whose
    central angle is within dth (rad) of theta and height within dh (m) of h. Proved on the box's
    corners by monotonicity; False when nothing is proved. "atmosphere": points below the
    antenna's height take the effective-Earth test, the others the limiting rays, whose central
    angle grows with radius (bounded through ``table``, `kernels._limit_table`; nothing is proved
    beyond the table)."""
    if not dth >= 0.0:
        return False
    lo_th = max(theta - dth, 0.0)
    hi_th = theta + dth
    h_lo = h - dh
    h_hi = h + dh
    if row[R_MODEL] != 0.0:
        return _effective_held(lo_th, hi_th, h_lo, h_hi, row, inside)
    ant = row[R_ANT]
    if h_lo < ant:
        if inside or not _effective_held(lo_th, hi_th, h_lo, min(h_hi, ant), row, inside):  # inside is False here
            return False
        if h_hi < ant:
            return True
        h_lo = ant
    rloc = row[R_RLOC]
    upper_on = row[R_RAY_MAX + RAY_ON] != 0.0
    if inside:  # below the lower ray's angle at the lowest radius, above the upper's at the highest
        if not hi_th <= _limit_below(rloc + h_lo, row, LOWER_RAY, table):
            return False
        return not upper_on or lo_th >= _limit_above(rloc + h_hi, row, UPPER_RAY, table)
    if lo_th > _limit_above(rloc + h_hi, row, LOWER_RAY, table):
        return True
    return upper_on and hi_th < _limit_below(rloc + h_lo, row, UPPER_RAY, table)


@njit(cache=True, _nrt=False)
def _elevation_margin(theta, h, rng, row):
    """A rough distance (m) p may move before its effective-Earth elevation test (points below
    an "atmosphere" antenna's height, other models everywhere) changes answer: the angle to the
    nearer elevation limit times the range. Only a first guess for `_elevation_radius`."""
    el = _straight_elevation(theta, h, row)
    return min(abs(el - row[R_EL_MIN]), abs(row[R_EL_MAX] - el)) * rng


@njit(cache=True, _nrt=False)
def _radius_estimate(p, theta, h, row, table, inside, ea, eb):
    """A rough largest distance (m) over which `_sight_held` proves p's sight answer ``inside``
    ("atmosphere", p at or above the antenna's height): the box of `_theta_h_moves` grows by
    ~1/|q| rad in angle and ~L m in height per metre, and a limiting ray's angle moves by its
    slope (`_limit_line`) per metre of height, so each limit that decides the answer allows
    (angle to it) / (1/|q| + L slope). Inside, the box must stay above the antenna's height."""
    qx = p[0] - row[R_CENTRE]
    qy = p[1] - row[R_CENTRE + 1]
    qz = p[2] - row[R_CENTRE + 2]
    per_m = 1.0 / math.sqrt(qx * qx + qy * qy + qz * qz)
    lip = 1.0 + ea * (ea * ea - eb * eb) / (eb * eb * eb)  # `_theta_h_moves`'s L at its largest
    r = row[R_RLOC] + h
    upper_on = row[R_RAY_MAX + RAY_ON] != 0.0
    low, s_low = _limit_line(r, row, LOWER_RAY, table)
    if inside:
        d = min((low - theta) / (per_m + lip * s_low), (h - row[R_ANT] - SLACK_M) / lip)
        if upper_on:
            up, s_up = _limit_line(r, row, UPPER_RAY, table)
            d = min(d, (theta - up) / (per_m + lip * s_up))
        return d
    if theta > low:  # beyond the lower ray
        return (theta - low) / (per_m + lip * s_low)
    if upper_on:  # above the upper ray
        up, s_up = _limit_line(r, row, UPPER_RAY, table)
        return (up - theta) / (per_m + lip * s_up)
    return 0.0


@njit(cache=True, _nrt=False)
def _elevation_radius(p, theta, h, rng, row, table, inside, least, ea, eb):
    """A distance (m) over which p (central angle theta, height h, range rng) keeps the sight
    answer ``inside``, proved by `_sight_held`; 0 when none of the radii tried is proved or
    none would reach ``least`` (m; a ball that does not reach the next sample saves nothing).
    Tried: `_ESTIMATE_TRIES` of `_radius_estimate` ("atmosphere" above the antenna's height),
    else `_TRIALS` of `_elevation_margin`."""
    if row[R_MODEL] != 0.0 or h < row[R_ANT]:
        guess = _elevation_margin(theta, h, rng, row)
        tries = _TRIALS
    else:
        guess = _radius_estimate(p, theta, h, row, table, inside, ea, eb)
        tries = _ESTIMATE_TRIES
    for f in tries:
        d = f * guess
        if not (d > SLACK_M and d >= least):
            return 0.0
        dth, dh = _theta_h_moves(p, row, d, ea, eb)
        if _sight_held(theta, h, dth, dh, row, table, inside):
            return d
    return 0.0


@njit(cache=True, _nrt=False)
def _known_on_ball(p0, v0, p1, v1, dt, row, rays, table, ea, eb, known):
    """Fill ``known`` (`kernels._status_known`) with the coverage tests whose answer is proved
    for every point of the cubic Hermite step from (p0, v0) to (p1, v1) (dt s); returns the
    radius (m) of the ball about p0 holding the step and p0's slant range (m)."""
    chord = math.sqrt((p1[0] - p0[0]) ** 2 + (p1[1] - p0[1]) ** 2 + (p1[2] - p0[2]) ** 2)
    speeds = math.sqrt(v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2) + math.sqrt(v1[0] ** 2 + v1[1] ** 2 + v1[2] ** 2)
    ball = chord + 4.0 / 27.0 * dt * speeds
    dx = p0[0] - row[R_SITE]
    dy = p0[1] - row[R_SITE + 1]
    dz = p0[2] - row[R_SITE + 2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)  # as `kernels._range_az`
    known[0] = -1.0
    if abs(rng - row[R_MAX_RANGE]) - SLACK_M > ball:
        known[0] = 1.0 if rng <= row[R_MAX_RANGE] else 0.0
    known[1] = -1.0
    if row[R_FIXED] != 0.0:
        inside, margin = _fov_margin(p0, row)
        if margin > ball:
            known[1] = 1.0 if inside else 0.0
    known[2] = -1.0
    theta, h = _polar(p0, row, ea, eb)
    inside = _sight_tabled(theta, h, row, rays, table)
    dth, dh = _theta_h_moves(p0, row, ball, ea, eb)
    if _sight_held(theta, h, dth, dh, row, table, inside):
        known[2] = 1.0 if inside else 0.0
    return ball, rng


@njit(cache=True, _nrt=False)
def _sight_and_margin(theta, h, row, rays):
    """(inside, margin): `kernels._in_sight`'s answer for (theta, h), from the same operations on
    the same doubles, and a signed margin (rad) continuous in theta and h, >= 0 exactly where
    inside: the angle to the nearest limit (the limiting rays' central angles at the point's
    radius, or the elevation limits). NaN margin below a limiting ray's lowest radius."""
    rloc = row[R_RLOC]
    ant = row[R_ANT]
    if row[R_MODEL] != 0.0 or h < ant:
        el = _effective_elevation(theta, h, rloc, ant, row[R_K])
        return row[R_EL_MIN] <= el <= row[R_EL_MAX], min(el - row[R_EL_MIN], row[R_EL_MAX] - el)
    r = rloc + h
    q = _refractivity(r, rloc, row[R_N0], row[R_HS])
    low = _ray_theta_q(r, q, row, R_RAY_MIN, _table_bend_at(r, row, R_RAY_MIN, rays[0]))
    inside = theta <= low
    margin = low - theta
    if row[R_RAY_MAX + RAY_ON] != 0.0:
        up = _ray_theta_q(r, q, row, R_RAY_MAX, _table_bend_at(r, row, R_RAY_MAX, rays[1]))
        if theta < up:
            inside = False
        margin = min(margin, theta - up)
    return inside, margin


EDGE_SIGHT, EDGE_RANGE, EDGE_AZIMUTH = np.int64(0), np.int64(1), np.int64(2)
"""Which test alone decides an edge searched on the grid (`_refine_grid`): the sight answer,
the slant range within a limit, the azimuth within a fixed face's field of regard."""


@njit(cache=True, _nrt=False)
def _edge_answer(test, p, row, rays, limit, ea, eb):
    """(answer, margin) of the one test deciding an edge (``test``: `EDGE_SIGHT`, `EDGE_RANGE`,
    `EDGE_AZIMUTH`) at p: the answer from the same operations on the same doubles as
    `kernels._status_known`'s, and a signed margin continuous along the step, >= 0 exactly where
    the answer is True: the sight margin (rad, `_sight_and_margin`), ``limit`` minus the slant
    range (m), the half-width minus the azimuth's distance from the boresight (rad)."""
    if test == EDGE_SIGHT:
        return _sight_and_margin(*_polar(p, row, ea, eb), row, rays)
    if test == EDGE_RANGE:  # as `kernels._range_az` computes the range
        dx = p[0] - row[R_SITE]
        dy = p[1] - row[R_SITE + 1]
        dz = p[2] - row[R_SITE + 2]
        rng = math.sqrt(dx * dx + dy * dy + dz * dz)
        return not rng > limit, limit - rng
    _, az = _range_az(p, row)
    off = abs(_wrap_pi(az - row[R_BORE]))
    return not off > row[R_HALF], row[R_HALF] - off


@njit(cache=True, _nrt=False)
def _edge_test(level, known, row, rdet, separation, t0, dt):
    """(test, limit): the one test whose answer decides (status >= level) along a step from t0
    to t0 + dt s, the others' answers proved True on the step (``known``, `_known_on_ball`), and
    for `EDGE_RANGE` the range limit (m) that answer compares with (the instrumented range, the
    detection range -- one phase's along the whole step -- or the smaller of the two); (-1, NaN)
    when no single test decides (the edge is bisected)."""
    none = np.int64(-1)
    azimuth_known = known[1] == 1.0 or row[R_FIXED] == 0.0
    if level == 1:
        if known[0] == 1.0 and azimuth_known and known[2] < 0.0:
            return EDGE_SIGHT, math.nan
        if known[0] == 1.0 and row[R_FIXED] != 0.0 and known[1] < 0.0 and known[2] == 1.0:
            return EDGE_AZIMUTH, math.nan
        if known[0] < 0.0 and azimuth_known and known[2] == 1.0:
            return EDGE_RANGE, row[R_MAX_RANGE]
        return none, math.nan
    if not (azimuth_known and known[2] == 1.0 and known[0] != 0.0):
        return none, math.nan
    if separation > t0 + dt:
        rd = rdet[0]
    elif separation <= t0:
        rd = rdet[1]
    else:  # the detection range changes on the step
        return none, math.nan
    return EDGE_RANGE, (rd if known[0] == 1.0 else min(row[R_MAX_RANGE], rd))


@njit(cache=True, _nrt=False)
def _refine_grid(p0, v0, p1, v1, t0, dt, was_in, test, limit, row, rays, ea, eb, tmp):
    """`kernels._refine` of an edge where one test alone decides the status level (`_edge_test`):
    the time where its answer flips, on the same grid of 2^-20 steps, with fewer tests. The
    bracket [ka, kb] of grid points (answer as at the step's start at ka, the other at kb) is
    narrowed to adjacent points; each grid point tested is the one below the secant root of the
    test's margin (`_edge_answer`) through the last two points tested (the one above when that
    one is ka), or the bracket's middle when the root falls outside the bracket or after
    `_SECANT_TRIES` tests. When the answer changes once on the step the adjacent pair is the one
    bisection ends on, so the result is the same double; NaN when the margin's sign disagrees with
    the answer at either sample (the caller bisects)."""
    n = 1 << _REFINE_ITER
    ka = 0
    kb = n
    k1 = k2 = 0  # the last two points tested, k2 the later, and their margins
    f1 = f2 = 0.0
    tests = 0  # the two samples first (one call site keeps the compiled code small)
    while tests < 2 or kb - ka > 1:
        if tests < 2:
            k = tests * n
        else:
            e = math.nan
            if tests < 2 + _SECANT_TRIES and f2 != f1:
                e = k2 - f2 * ((k2 - k1) / (f2 - f1))
            k = max(int(math.floor(e)), ka + 1) if ka < e < kb else ka + (kb - ka) // 2
        _hermite(p0, v0, p1, v1, dt, k * (1.0 / n), tmp)
        ins, f = _edge_answer(test, tmp, row, rays, limit, ea, eb)
        if not was_in:  # the margin signed positive on the side of was_in
            f = -f
        if tests < 2:  # the start's answer with a margin >= 0, the end's the other with one < 0
            if (ins == was_in) == (tests == 1) or not (f >= 0.0 if tests == 0 else f < 0.0):
                return math.nan
        else:
            if ins == was_in:
                ka = k
            else:
                kb = k
        k1 = k2
        f1 = f2
        k2 = k
        f2 = f
        tests += 1
    return t0 + dt * ((ka if was_in else kb) * (1.0 / n))


@njit(cache=True, _nrt=False)
def _refine_sight(p0, v0, p1, v1, t0, dt, was_in, row, rays, ea, eb, tmp):
    """`_refine_grid` of an edge where the status level is the sight answer alone (range and
    field of regard proved on the step)."""
    return _refine_grid(p0, v0, p1, v1, t0, dt, was_in, EDGE_SIGHT, math.nan, row, rays, ea, eb, tmp)


@njit(cache=True, _nrt=False)
def _held(path, m, cap, room):
    """The most samples after m, at most ``cap``, that lie within ``room`` (m) of sample m by the
    triangle inequality on the polyline of samples: sample m + k is within path[m + k] - path[m]
    of it (``path``: cumulative chord lengths; rounding allowance 1e-9 relative and 1 mm)."""
    base = path[m]
    if (path[m + cap] - base) * (1.0 + 1e-9) + 1e-3 <= room:
        return cap
    lo = 0  # within room
    hi = cap  # not proved within room
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (path[m + mid] - base) * (1.0 + 1e-9) + 1e-3 <= room:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, _nrt=False)
def _walk(time, pos, vel, n_fin, path, separation, row, face, rays, table, rdet, ea, eb, work, vis, det, counts):
    """Coverage intervals of one flight (pos, vel: (M, 3); samples before n_fin finite, ``path``
    their cumulative chord lengths (m); the warhead separates at ``separation`` s) in one radar
    (``face``: its `_sector_edges` if a fixed face): vis, det (K, 2) and their numbers counts (2,)
    (`kernels._interval_edge`). work: (9,) scratch.
    ``table``: the radar's `kernels._limit_table`; an empty one (2, 2, 0) tests every sample
    exactly.

    With a table, each sample's status is the one `kernels._status` gives, computed from the
    same tests (range, field of regard, sight, detection range), except that the sight test's
    answer is taken from the last ball on which it was proved (centre ``anchor``, radius
    ``radius``) when the sample lies inside it; then ``room`` (m), how far the sample may move
    keeping its status, passes over the next samples within room along ``path`` (`_held`)."""
    tmp = work[:3]
    known = work[3:6]
    anchor = work[6:9]
    m_sep = 0
    while m_sep < n_fin and time[m_sep] < separation:
        m_sep += 1
    known[0] = known[1] = known[2] = -1.0
    skip = table.shape[2] > 0
    radius = 0.0
    sight = False
    prev = 0
    m = 0
    while m < n_fin:
        p = pos[m]
        room = 0.0
        if not skip:  # `kernels._status`'s answer: every test evaluated, the sight test exactly
            st = _status_known(p, time[m], row, rays, rdet, separation, ea, eb, known, table)
        else:
            dx = p[0] - row[R_SITE]
            dy = p[1] - row[R_SITE + 1]
            dz = p[2] - row[R_SITE + 2]
            rng = math.sqrt(dx * dx + dy * dy + dz * dz)  # as `kernels._range_az`
            st = -1
            room = abs(rng - row[R_MAX_RANGE]) - SLACK_M
            if rng > row[R_MAX_RANGE]:
                st = 0
            elif row[R_FIXED] != 0.0:
                inside, margin = _fov_margin_edges(p, row, face)
                if not inside:
                    st = 0
                room = margin if not inside else min(room, margin)
            if st < 0:
                dist = math.sqrt((p[0] - anchor[0]) ** 2 + (p[1] - anchor[1]) ** 2 + (p[2] - anchor[2]) ** 2)
                if not dist < radius:
                    theta, h = _polar(p, row, ea, eb)
                    sight = _sight_tabled(theta, h, row, rays, table)
                    step = math.inf
                    if m + 1 < n_fin:
                        q = pos[m + 1]
                        step = math.sqrt((q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2 + (q[2] - p[2]) ** 2)
                    radius = _elevation_radius(p, theta, h, rng, row, table, sight, step, ea, eb)
                    anchor[0], anchor[1], anchor[2] = p[0], p[1], p[2]
                    dist = 0.0
                left = radius - dist - 1e-3
                if not sight:
                    st = 0
                    room = left
                else:
                    rd = rdet[0] if time[m] < separation else rdet[1]
                    st = 1 if rng > rd else 2
                    room = min(room, left, abs(rng - rd) - SLACK_M)
        if st != prev:
            tb = time[0]
            # entering or leaving coverage within detection range (status 0 <-> 2): when the step
            # is proved within one phase's detection range, status >= 2 is status >= 1 all along
            # it, and both edges are one bisection
            twin = False
            if skip and m > 0:
                ball, rng0 = _known_on_ball(pos[m - 1], vel[m - 1], pos[m], vel[m], time[m] - time[m - 1], row,
                                            rays, table, ea, eb, known)
                if prev + st == 2 and prev != 1 and (separation <= time[m - 1] or separation >= time[m]):
                    twin = rng0 + ball + SLACK_M <= (rdet[0] if separation >= time[m] else rdet[1])
            for level in (1, 2):
                was_in = prev >= level
                now_in = st >= level
                if was_in == now_in:
                    continue
                if m == 0:
                    tb = time[0]
                elif not (twin and level == 2):
                    tb = math.nan
                    test, limit = _edge_test(level, known, row, rdet, separation, time[m - 1], time[m] - time[m - 1])
                    if test >= 0:
                        tb = _refine_grid(pos[m - 1], vel[m - 1], pos[m], vel[m], time[m - 1], time[m] - time[m - 1],
                                          was_in, test, limit, row, rays, ea, eb, tmp)
                    if tb != tb:
                        tb = _refine(pos[m - 1], vel[m - 1], pos[m], vel[m], time[m - 1], time[m] - time[m - 1],
                                     level, was_in, row, rays, rdet, separation, ea, eb, tmp, known, table)
                _interval_edge(vis if level == 1 else det, counts, level - 1, now_in, tb)
            prev = st
        cap = n_fin - 1 - m
        if st > 0 and m < m_sep:
            cap = min(cap, m_sep - 1 - m)
        held = 0
        if room > 0.0 and cap > 0:
            held = _held(path, m, cap, room)
        m += 1 + held
    if n_fin > 0:  # still inside at the last finite sample (impact or end of the grid)
        if prev >= 1:
            _interval_edge(vis, counts, 0, False, time[n_fin - 1])
        if prev >= 2:
            _interval_edge(det, counts, 1, False, time[n_fin - 1])


@njit(cache=True, _nrt=False)
def _beyond_range(box, row):
    """Whether every point of the box (2, 3) (lowest, highest ECEF coordinates, m) lies beyond
    the radar's instrumented range by more than `SLACK_M` (the box's distance from the site)."""
    d2 = 0.0
    for c in range(3):
        site = row[R_SITE + c]
        gap = max(box[0, c] - site, site - box[1, c], 0.0)
        d2 += gap * gap
    return math.sqrt(d2) > row[R_MAX_RANGE] + SLACK_M


@njit(cache=True, _nrt=False)
def _flight_radars(i, n_fin, path, box, flights, radars, ea, eb, outs):
    """`_walk` of flight i (``n_fin`` finite samples, cumulative chord lengths ``path``, bounding
    box ``box``) in every radar: ``flights`` (time, pos, vel, rdet, separation), ``radars``
    (params, faces, rays, tables) and ``outs`` (work, counts, vis, det, nvis, ndet) as
    `_radar_batch`'s arrays. Without reference counting: the row views of each flight x radar
    pair cost no atomic counts (nothing here allocates)."""
    time, pos, vel, rdet, separation = flights
    params, faces, rays, tables = radars
    work, counts, vis, det, nvis, ndet = outs
    for j in range(params.shape[0]):
        counts[i, 0] = counts[i, 1] = 0
        if tables.shape[3] > 0 and _beyond_range(box, params[j]):  # every sample's status is 0
            nvis[i, j] = ndet[i, j] = 0
            continue
        _walk(time, pos[i], vel[i], n_fin, path, separation[i], params[j], faces[j], rays[j], tables[j], rdet[i, j],
              ea, eb, work[i], vis[i, j], det[i, j], counts[i])
        nvis[i, j] = counts[i, 0]
        ndet[i, j] = counts[i, 1]


@njit(cache=True, parallel=True, nogil=True)
def _radar_batch(time, pos, vel, rdet, separation, params, rays, tables, ea, eb, vis, det, nvis, ndet):
    """Coverage intervals of N sampled flights in S radars.

    rdet: (N, S, 2) detection ranges against the body (before ``separation`` (N,) s) and the
    warhead (m); params: (S, N_RADAR) packed radar rows (R_* names); rays: (S, 2, RAY_TABLE).
    vis, det: (N, S, K, 2) start/end of intervals with status >= 1 / >= 2 (NaN-filled on input);
    nvis, ndet: (N, S) number of intervals found (may exceed K; only K are stored).
    tables: (S, 2, 2, n) the radars' `kernels._limit_table`; with n = 0 every sample is tested
    and every sight test computed exactly (no skipping). A flight whose samples' bounding box lies
    beyond a radar's instrumented range is not walked in it (no interval)."""
    n_thr = pos.shape[0]
    n_smp = pos.shape[1]
    n_sen = params.shape[0]
    work = np.empty((n_thr, 9))
    counts = np.empty((n_thr, 2), dtype=np.int64)
    faces = np.zeros((n_sen, 4))
    for j in range(n_sen):
        if params[j, R_FIXED] != 0.0:
            _sector_edges(params[j], faces[j])
    flights = (time, pos, vel, rdet, separation)
    radars = (params, faces, rays, tables)
    outs = (work, counts, vis, det, nvis, ndet)
    for i in prange(n_thr):
        path = np.empty(n_smp)  # cumulative chord lengths of the finite samples
        box = np.empty((2, 3))  # their bounding box: lowest and highest coordinates
        box[0, :] = math.inf
        box[1, :] = -math.inf
        n_fin = n_smp
        total = 0.0
        for m in range(n_smp):
            if math.isnan(pos[i, m, 0]):
                n_fin = m
                break
            if m > 0:
                total += math.sqrt((pos[i, m, 0] - pos[i, m - 1, 0]) ** 2 + (pos[i, m, 1] - pos[i, m - 1, 1]) ** 2
                                   + (pos[i, m, 2] - pos[i, m - 1, 2]) ** 2)
            path[m] = total
            for c in range(3):
                box[0, c] = min(box[0, c], pos[i, m, c])
                box[1, c] = max(box[1, c], pos[i, m, c])
        _flight_radars(i, n_fin, path, box, flights, radars, ea, eb, outs)
