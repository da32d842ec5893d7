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
def propagate_one(r0, v0, t, gm, r_out, v_out):
    """Two-body state after ``t`` seconds from (r0, v0): writes r_out, v_out (length-3 arrays).

    Universal-variable Kepler equation solved by Newton's method (valid for every conic).
    """
    rn = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    vr = (r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]) / rn
    v2 = v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2
    alpha = 2.0 / rn - v2 / gm  # 1 / semi-major axis
    sqmu = math.sqrt(gm)
    if alpha > 1e-12:
        chi = sqmu * abs(alpha) * t
    else:
        chi = sqmu * t / rn
    for _ in range(_NEWTON_MAX):
        z = alpha * chi * chi
        c, s = stumpff(z)
        f = (rn * vr / sqmu) * chi * chi * c + (1.0 - alpha * rn) * chi**3 * s + rn * chi - sqmu * t
        fp = (rn * vr / sqmu) * chi * (1.0 - z * s) + (1.0 - alpha * rn) * chi * chi * c + rn
        d = f / fp
        chi -= d
        if abs(d) <= _NEWTON_TOL * (1.0 + abs(chi)):
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
def conic_elements(r0, v0, gm):
    """Semi-major axis (m), eccentricity, eccentric anomaly E0 (rad, in [0, 2 pi)) of a state.

    Only meaningful for elliptic states (negative energy); returns NaNs otherwise.
    """
    rn = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    v2 = v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2
    rv = r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]
    alpha = 2.0 / rn - v2 / gm
    if alpha <= 0.0:
        return math.nan, math.nan, math.nan
    a = 1.0 / alpha
    ecos = 1.0 - rn / a
    esin = rv / math.sqrt(gm * a)
    e = math.hypot(ecos, esin)
    E0 = math.atan2(esin, ecos)
    if E0 < 0.0:
        E0 += 2.0 * math.pi
    return a, e, E0


@njit(cache=True)
def time_to_radius_one(r0, v0, radius, gm, descending):
    """Seconds from state (r0, v0) until the radius first equals ``radius`` (m).

    ``descending=True`` asks for the crossing with the radius falling (an arc coming down);
    ``False`` for the crossing with it rising. Returns NaN if the orbit never has that radius
    on the requested branch after t = 0, or is not elliptic (escape or parabolic).
    Closed form: eccentric anomaly of the crossing, then Kepler's equation.
    """
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a) or e < 1e-14:
        return math.nan
    cos_e = (1.0 - radius / a) / e
    if cos_e > 1.0 or cos_e < -1.0:
        return math.nan
    Ec = math.acos(cos_e)  # ascending-branch crossing in [0, pi]
    if descending:
        Ec = 2.0 * math.pi - Ec
    if Ec < E0 - 1e-12:
        Ec += 2.0 * math.pi  # next revolution
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


def propagate(r0, v0, t, gm: float = 3.986004418e14):
    """States after time ``t`` (s, scalar or (N,)) from N initial states (N, 3) m and m/s.

    Returns (r, v), each (N, 3). Exact two-body motion for every conic.
    """
    r0, v0 = _as_states(r0, v0)
    t = np.ascontiguousarray(np.broadcast_to(np.asarray(t, dtype=float), (r0.shape[0],)))
    r, v = np.empty_like(r0), np.empty_like(v0)
    _propagate_batch(r0, v0, t, float(gm), r, v)
    return r, v


def time_to_radius(r0, v0, radius, gm: float = 3.986004418e14, descending: bool = True):
    """Seconds until each of N states (N, 3) first reaches ``radius`` (m, scalar or (N,)).

    See :func:`time_to_radius_one` for the branch convention; NaN where never reached.
    """
    r0, v0 = _as_states(r0, v0)
    radius = np.ascontiguousarray(np.broadcast_to(np.asarray(radius, dtype=float), (r0.shape[0],)))
    out = np.empty(r0.shape[0])
    _time_to_radius_batch(r0, v0, radius, float(gm), bool(descending), out)
    return out


def apoapsis(r0, v0, gm: float = 3.986004418e14):
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
