"""Closed-form two-body motion, compiled and batched.

Positions and velocities are in an inertial frame centred on the Earth (metres, m/s); ``gm``
is the gravitational parameter in m^3/s^2. Every public function takes arrays of N states of
shape (N, 3) and loops over them in Numba-compiled code; nothing here integrates with a step
size: propagation solves Kepler's equation in universal variables, and radius crossings use
the eccentric anomaly of the conic directly.

Scalar kernels (``propagate_one``, ``time_to_radius_one``) are public so that other compiled
modules can call them from their own loops.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .earth import GM_EARTH

_NEWTON_TOL = 1e-13
_NEWTON_MAX = 60


@njit(cache=True, fastmath=False)
def stumpff(z):
    """Stumpff functions C(z), S(z) of the universal-variable formulation."""
    if z > 1e-6:
        sz = math.sqrt(z)
        return (1.0 - math.cos(sz)) / z, (sz - math.sin(sz)) / (sz * z)
    if z < -1e-6:
        sz = math.sqrt(-z)
        return (math.cosh(sz) - 1.0) / (-z), (math.sinh(sz) - sz) / (sz * (-z))
    # Series to third order: relative error < 1e-20 for |z| <= 1e-6.
    return 0.5 - z / 24.0 + z * z / 720.0, 1.0 / 6.0 - z / 120.0 + z * z / 5040.0


@njit(cache=True)
def _kepler_residual(chi, rn, vr, alpha, sqmu, t):
    """sqrt(mu) (t(chi) - t) of the universal Kepler equation."""
    z = alpha * chi * chi
    c, s = stumpff(z)
    return (rn * vr / sqmu) * chi * chi * c + (1.0 - alpha * rn) * chi**3 * s + rn * chi - sqmu * t


@njit(cache=True)
def propagate_one(r0, v0, t, gm, r_out, v_out):
    """Two-body state after ``t`` seconds from (r0, v0): writes r_out, v_out (length-3 arrays).

    Universal-variable Kepler equation solved by bracketed Newton iteration (every conic).
    """
    rn = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    vr = (r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]) / rn
    v2 = v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2
    alpha = 2.0 / rn - v2 / gm  # 1 / semi-major axis
    sqmu = math.sqrt(gm)
    if t == 0.0:
        for k in range(3):
            r_out[k] = r0[k]
            v_out[k] = v0[k]
        return
    # F(chi) = sqrt(mu) (t(chi) - t) rises monotonically (dF/dchi = r > 0): bracket the root,
    # then Newton's method safeguarded by bisection converges for every conic.
    direction = 1.0 if t > 0.0 else -1.0
    lo = 0.0
    hi = direction * sqmu * abs(t) / rn
    if alpha > 0.0:
        hi = direction * max(abs(hi), sqmu * alpha * abs(t))
    for _ in range(200):
        if direction * _kepler_residual(hi, rn, vr, alpha, sqmu, t) > 0.0:
            break
        lo = hi
        hi *= 2.0
    if hi < lo:
        lo, hi = hi, lo
    chi = 0.5 * (lo + hi)
    for _ in range(_NEWTON_MAX * 2):
        z = alpha * chi * chi
        c, s = stumpff(z)
        f = (rn * vr / sqmu) * chi * chi * c + (1.0 - alpha * rn) * chi**3 * s + rn * chi - sqmu * t
        fp = (rn * vr / sqmu) * chi * (1.0 - z * s) + (1.0 - alpha * rn) * chi * chi * c + rn
        if f > 0.0:
            hi = chi
        else:
            lo = chi
        step = chi - f / fp
        if step <= lo or step >= hi:
            step = 0.5 * (lo + hi)
        done = abs(step - chi) <= _NEWTON_TOL * (1.0 + abs(chi))
        chi = step
        if done or hi - lo <= _NEWTON_TOL * (1.0 + abs(chi)):
            break
    z = alpha * chi * chi
    c, s = stumpff(z)
    f = 1.0 - chi * chi / rn * c
    g = t - chi**3 / sqmu * s
    for k in range(3):
        r_out[k] = f * r0[k] + g * v0[k]
    r = math.sqrt(r_out[0] ** 2 + r_out[1] ** 2 + r_out[2] ** 2)
    fdot = sqmu / (r * rn) * (alpha * chi**3 * s - chi)
    gdot = 1.0 - chi * chi / r * c
    for k in range(3):
        v_out[k] = fdot * r0[k] + gdot * v0[k]


@njit(cache=True)
def conic_state_elements(rx, ry, rz, vx, vy, vz, gm):
    """`conic_elements` of a state given by its components (r m, v m/s; no array needed):
    (a m, e, E0 rad in [0, 2 pi), e sin E0, e cos E0, |r| m); all but |r| NaN when the state is
    not elliptic."""
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    v2 = vx * vx + vy * vy + vz * vz
    rv = rx * vx + ry * vy + rz * vz
    alpha = 2.0 / rn - v2 / gm
    if alpha <= 0.0:
        return math.nan, math.nan, math.nan, math.nan, math.nan, rn
    a = 1.0 / alpha
    ecos = 1.0 - rn / a
    esin = rv / math.sqrt(gm * a)
    e = math.sqrt(ecos * ecos + esin * esin)
    E0 = math.atan2(esin, ecos)
    if E0 < 0.0:
        E0 += 2.0 * math.pi
    return a, e, E0, esin, ecos, rn


@njit(cache=True)
def conic_elements(r0, v0, gm):
    """Semi-major axis (m), eccentricity, eccentric anomaly E0 (rad, in [0, 2 pi)) of a state.

    Only meaningful for elliptic states (negative energy); returns NaNs otherwise.
    """
    a, e, E0, _, _, _ = conic_state_elements(r0[0], r0[1], r0[2], v0[0], v0[1], v0[2], gm)
    return a, e, E0


@njit(cache=True)
def crossing_anomaly(e, E0, a, radius, descending):
    """Eccentric anomaly (rad, >= E0) at which an ellipse (a, e) first has ``radius`` (m) on the
    falling (``descending``) or rising branch, starting from anomaly E0. NaN if never."""
    if e < 1e-14:
        return math.nan
    cos_e = (1.0 - radius / a) / e
    if cos_e > 1.0 or cos_e < -1.0:
        return math.nan
    Ec = math.acos(cos_e)  # rising-branch crossing in [0, pi]
    if descending:
        Ec = 2.0 * math.pi - Ec
    if Ec < E0 - 1e-12:
        Ec += 2.0 * math.pi  # next revolution
    return Ec


@njit(cache=True)
def state_at_anomaly(r0, v0, gm, a, e, E0, E1, r_out, v_out):
    """State at eccentric anomaly E1 of the ellipse through (r0, v0) with elements (a, e, E0);
    writes r_out, v_out and returns the time from E0 to E1 (s). Closed-form Lagrange f and g
    in terms of the anomaly difference: no iteration."""
    rn = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    dE = E1 - E0
    sq = math.sqrt(a**3 / gm)
    dt = sq * ((E1 - e * math.sin(E1)) - (E0 - e * math.sin(E0)))
    cd, sd = math.cos(dE), math.sin(dE)
    f = 1.0 - a / rn * (1.0 - cd)
    g = dt - sq * (dE - sd)
    r1 = a * (1.0 - e * math.cos(E1))
    fdot = -math.sqrt(gm * a) / (r1 * rn) * sd
    gdot = 1.0 - a / r1 * (1.0 - cd)
    for k in range(3):
        r_out[k] = f * r0[k] + g * v0[k]
        v_out[k] = fdot * r0[k] + gdot * v0[k]
    return dt


@njit(cache=True)
def time_to_radius_one(r0, v0, radius, gm, descending):
    """Seconds from state (r0, v0) until the radius first equals ``radius`` (m).

    ``descending=True`` asks for the crossing with the radius falling (an arc coming down);
    ``False`` for the crossing with it rising. Returns NaN if the orbit never has that radius
    on the requested branch after t = 0, or is not elliptic (escape or parabolic).
    Closed form: eccentric anomaly of the crossing, then Kepler's equation.
    """
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a):
        return math.nan
    Ec = crossing_anomaly(e, E0, a, radius, descending)
    if math.isnan(Ec):
        return math.nan
    n = math.sqrt(gm / a**3)
    dM = (Ec - e * math.sin(Ec)) - (E0 - e * math.sin(E0))
    return max(dM / n, 0.0)


@njit(cache=True)
def apoapsis_time_one(r0, v0, gm):
    """Seconds from (r0, v0) to the next apoapsis (0 if already descending), NaN if not elliptic."""
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a):
        return math.nan
    if E0 >= math.pi:
        return 0.0
    n = math.sqrt(gm / a**3)
    return ((math.pi) - (E0 - e * math.sin(E0))) / n


@njit(cache=True, parallel=True)
def _propagate_batch(r0, v0, t, gm, r_out, v_out):
    for i in prange(r0.shape[0]):
        propagate_one(r0[i], v0[i], t[i], gm, r_out[i], v_out[i])


@njit(cache=True, parallel=True)
def _time_to_radius_batch(r0, v0, radius, gm, descending, out):
    for i in prange(r0.shape[0]):
        out[i] = time_to_radius_one(r0[i], v0[i], radius[i], gm, descending)


@njit(cache=True, parallel=True)
def _elements_batch(r0, v0, gm, out):
    for i in prange(r0.shape[0]):
        a, e, E0 = conic_elements(r0[i], v0[i], gm)
        out[i, 0] = a
        out[i, 1] = e
        out[i, 2] = E0
        out[i, 3] = apoapsis_time_one(r0[i], v0[i], gm)


def _as_states(r0, v0):
    r0 = np.ascontiguousarray(np.atleast_2d(np.asarray(r0, dtype=float)))
    v0 = np.ascontiguousarray(np.atleast_2d(np.asarray(v0, dtype=float)))
    if r0.shape != v0.shape or r0.shape[-1] != 3:
        raise ValueError(f"positions and velocities must both have shape (N, 3), got {r0.shape} and {v0.shape}")
    return r0, v0


def propagate(r0, v0, t, gm: float = GM_EARTH):
    """States after time ``t`` (s, scalar or (N,)) from N initial states (N, 3) m and m/s.

    Returns (r, v), each (N, 3). Exact two-body motion for every conic.
    """
    r0, v0 = _as_states(r0, v0)
    t = np.ascontiguousarray(np.broadcast_to(np.asarray(t, dtype=float), (r0.shape[0],)))
    r, v = np.empty_like(r0), np.empty_like(v0)
    _propagate_batch(r0, v0, t, float(gm), r, v)
    return r, v


def time_to_radius(r0, v0, radius, gm: float = GM_EARTH, descending: bool = True):
    """Seconds until each of N states (N, 3) first reaches ``radius`` (m, scalar or (N,)).

    See :func:`time_to_radius_one` for the branch convention; NaN where never reached.
    """
    r0, v0 = _as_states(r0, v0)
    radius = np.ascontiguousarray(np.broadcast_to(np.asarray(radius, dtype=float), (r0.shape[0],)))
    out = np.empty(r0.shape[0])
    _time_to_radius_batch(r0, v0, radius, float(gm), bool(descending), out)
    return out


def apoapsis(r0, v0, gm: float = GM_EARTH):
    """Apoapsis radius (m) of the remaining flight and seconds until it, for N states.

    For a state already descending the apoapsis of the remaining flight is the current
    radius and the time is 0. NaN for non-elliptic states.
    """
    r0, v0 = _as_states(r0, v0)
    out = np.empty((r0.shape[0], 4))
    _elements_batch(r0, v0, float(gm), out)
    a, e, E0, t_apo = out.T
    r_now = np.linalg.norm(r0, axis=1)
    r_apo = np.where(E0 >= np.pi, r_now, a * (1.0 + e))
    return r_apo, t_apo


def flight_path_angle(r0, v0) -> np.ndarray:
    """Geocentric flight-path angle (rad) of N states (N, 3) m and m/s: the angle of the velocity
    above the plane normal to the radius vector, asin(r.v / (|r| |v|)) (the angle the two-body
    elements use; on WGS84 it differs from the angle above the local geodetic horizontal by up
    to the deflection of the vertical, 0.19 deg). NaN for a zero vector."""
    r0 = np.asarray(r0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.arcsin(np.clip(np.sum(r0 * v0, axis=1) / (np.linalg.norm(r0, axis=1) * np.linalg.norm(v0, axis=1)),
                                 -1, 1))


# ---------------------------------------------------------------------------------------------
# Lambert's problem (short way, single revolution), universal variables

_LAMBERT_MAX = 200
_TWO_PI_SQ = 4.0 * math.pi * math.pi


@njit(cache=True)
def _lambert_y(z, r1n, r2n, a_param):
    """y(z) = r1 + r2 + A (z S(z) - 1) / sqrt(C(z)) and the Stumpff values at z."""
    c, s = stumpff(z)
    return r1n + r2n + a_param * (z * s - 1.0) / math.sqrt(c), c, s


@njit(cache=True)
def lambert_one(r1, r2, tof, gm, v1_out, v2_out):
    """Velocities at both ends of the conic from r1 to r2 (m) in ``tof`` seconds.

    Short-way (transfer angle in (0, pi)), zero-revolution solution of Lambert's problem in
    universal variables: the time of flight rises monotonically with z = chi^2 / a on
    (z_min, 4 pi^2), so the root is bracketed and found by Newton's method safeguarded by
    bisection. Writes v1_out, v2_out (m/s) and returns True; returns False (outputs NaN) when
    tof <= 0 or the two positions are collinear with the centre (transfer plane undefined).
    """
    r1n = math.sqrt(r1[0] ** 2 + r1[1] ** 2 + r1[2] ** 2)
    r2n = math.sqrt(r2[0] ** 2 + r2[1] ** 2 + r2[2] ** 2)
    cx = r1[1] * r2[2] - r1[2] * r2[1]
    cy = r1[2] * r2[0] - r1[0] * r2[2]
    cz = r1[0] * r2[1] - r1[1] * r2[0]
    sin_th = math.sqrt(cx * cx + cy * cy + cz * cz) / (r1n * r2n)
    cos_th = (r1[0] * r2[0] + r1[1] * r2[1] + r1[2] * r2[2]) / (r1n * r2n)
    for k in range(3):
        v1_out[k] = math.nan
        v2_out[k] = math.nan
    if not (tof > 0.0) or sin_th < 1e-12 or 1.0 - cos_th < 1e-15:
        return False
    a_param = sin_th * math.sqrt(r1n * r2n / (1.0 - cos_th))
    sqmu = math.sqrt(gm)
    target = sqmu * tof
    # Upper end: z -> 4 pi^2 sends the time of flight to infinity.
    hi = _TWO_PI_SQ * (1.0 - 1e-12)
    # Lower end: decrease z until the time of flight falls below tof (or y(z) < 0, where the
    # family ends with time of flight -> 0).
    lo = -_TWO_PI_SQ
    for _ in range(_LAMBERT_MAX):
        y, c, s = _lambert_y(lo, r1n, r2n, a_param)
        if y <= 0.0:
            break
        if (y / c) ** 1.5 * s + a_param * math.sqrt(y) < target:
            break
        hi = lo
        lo = 2.0 * lo
    z = 0.0 if (lo < 0.0 < hi) else 0.5 * (lo + hi)
    y = 0.0
    ok = False
    for _ in range(_LAMBERT_MAX):
        y, c, s = _lambert_y(z, r1n, r2n, a_param)
        if y <= 0.0:
            lo = z
            z = 0.5 * (lo + hi)
            continue
        f = (y / c) ** 1.5 * s + a_param * math.sqrt(y) - target
        if f > 0.0:
            hi = z
        else:
            lo = z
        # dF/dz of the universal-variable time equation (its z -> 0 limit near zero)
        if abs(z) > 1e-3:
            fp = (y / c) ** 1.5 * (0.5 / z * (c - 1.5 * s / c) + 0.75 * s * s / c) + 0.125 * a_param * (
                3.0 * s / c * math.sqrt(y) + a_param * math.sqrt(c / y))
        else:
            fp = math.sqrt(2.0) / 40.0 * y**1.5 + 0.125 * a_param * (math.sqrt(y) + a_param * math.sqrt(0.5 / y))
        if abs(f) <= 1e-13 * target:
            ok = True
            break
        step = z - f / fp if fp > 0.0 else 0.5 * (lo + hi)
        if abs(step - z) <= 1e-14 * (1.0 + abs(z)) or hi - lo <= 1e-14 * (1.0 + abs(z)):
            ok = True
            break
        if not (lo < step < hi):
            step = 0.5 * (lo + hi)
        z = step
    y, c, s = _lambert_y(z, r1n, r2n, a_param)
    if not ok or y <= 0.0:
        return False
    f_l = 1.0 - y / r1n
    g_l = a_param * math.sqrt(y / gm)
    gdot = 1.0 - y / r2n
    for k in range(3):
        v1_out[k] = (r2[k] - f_l * r1[k]) / g_l
        v2_out[k] = (gdot * r2[k] - r1[k]) / g_l
    return True


@njit(cache=True, parallel=True)
def _lambert_batch(r1, r2, tof, gm, v1, v2):
    for i in prange(r1.shape[0]):
        lambert_one(r1[i], r2[i], tof[i], gm, v1[i], v2[i])


def lambert(r1, r2, tof, gm: float = GM_EARTH):
    """Solve Lambert's problem for N pairs of inertial positions.

    Args:
        r1, r2: (N, 3) start and end positions, m (inertial frame).
        tof: time of flight, s, scalar or (N,).
        gm: gravitational parameter, m^3/s^2.

    Returns:
        (v1, v2), each (N, 3) m/s: the velocities at r1 and r2 of the short-way (transfer
        angle below 180 degrees), zero-revolution conic that joins them in ``tof``. NaN rows
        where tof <= 0 or r1, r2 are collinear with the Earth's centre.
    """
    r1, r2 = _as_states(r1, r2)
    tof = np.ascontiguousarray(np.broadcast_to(np.asarray(tof, dtype=float), (r1.shape[0],)))
    v1, v2 = np.empty_like(r1), np.empty_like(r2)
    _lambert_batch(r1, r2, tof, float(gm), v1, v2)
    return v1, v2
