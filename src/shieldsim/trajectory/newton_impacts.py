"""What `aim`'s Newton iterations measure of a vacuum flight, in one compiled pass.

Every Newton round of `aim` in vacuum (the coverage's ~760 batches of boosts) needs, per flight,
its Earth-fixed burnout state, its vacuum impact (flight time, geodetic latitude and longitude)
and the minimum-energy condition g: the inertial flight-path angle at burnout minus that of the
minimum-energy two-body arc from the burnout radius to the impact (`missile.min_energy_gamma`).
`boosted._free_flights` computes them with ~25 small NumPy operations around the compiled
descent (~1 ms a batch in the coverage); `vacuum_measures` does the same arithmetic per flight in
one compiled loop (`_vacuum_measures`), equal to the NumPy results to rounding (~1e-15
relative, tests/test_newton_impacts.py).

SI units: m, s, rad, m/s.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..earth import ecef_one, fixed_state_one
from .flight import Models
from .kernels import _descend_to_altitude


def vacuum_measures(res, t_c, models: Models) -> dict:
    """The `boosted._evaluate` dict of vacuum flights without apogee from the boost results res
    (N, 14) (`missile.run_boost`, under ``models``) cut off at t_c (N,) s: impact_lat,
    impact_lon (rad), flight_time (s), apogee_alt (NaN), g (rad), position (m) and velocity (m/s)
    at burnout (Earth-fixed; position NaN where the boost failed), burnout_time (t_c). NaN
    where the boost failed or the conic never comes down."""
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    res = np.ascontiguousarray(res, dtype=float)
    t_c = np.ascontiguousarray(np.broadcast_to(t_c, (res.shape[0],)), dtype=float)
    n = res.shape[0]
    pos, vel, out = np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 4))
    _vacuum_measures(res, t_c, omega, earth.gm, earth.equatorial_radius, earth.polar_radius,
                     earth.eccentricity_squared, pos, vel, out)
    return {"impact_lat": out[:, 1], "impact_lon": out[:, 2], "flight_time": out[:, 0], "apogee_alt": np.full(n, np.nan),
            "g": out[:, 3], "position": pos, "velocity": vel, "burnout_time": t_c}


@njit(cache=True, inline="always")
def _unit_clip(x):
    """x clipped to [-1, 1], NaN kept (as `numpy.clip`)."""
    if x > 1.0:
        return 1.0
    if x < -1.0:
        return -1.0
    return x


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def _vacuum_measures(res, t_c, omega, gm, a_eq, b_pol, e2, pos, vel, out):
    """For each boost result res[i] (inertial burnout r = res[i, 1:4] m, v = res[i, 4:7] m/s,
    success res[i, 13] > 0) cut off at t_c[i] s: pos[i], vel[i] <- the Earth-fixed burnout state
    (position NaN where the boost failed); out[i] <- [flight time s, impact latitude, longitude
    rad, g rad] (NaN where the boost failed or the conic never comes down). The impact as
    `kernels._impact_vacuum_batch`, g as `boosted._free_flights` (impact point rotated into the
    launch's inertial frame, central angle psi, `missile.min_energy_gamma`)."""
    for i in prange(res.shape[0]):
        r0 = res[i, 1:4]
        v0 = res[i, 4:7]
        p, w, o = pos[i], vel[i], out[i]
        fixed_state_one(r0, v0, t_c[i], omega, p, w)
        o[:] = math.nan
        if not res[i, 13] > 0:
            p[:] = math.nan
            continue
        vi, r1, v1, p1, w1 = np.empty(3), np.empty(3), np.empty(3), np.empty(3), np.empty(3)
        vi[0] = w[0] - omega * p[1]
        vi[1] = w[1] + omega * p[0]
        vi[2] = w[2]
        dt = _descend_to_altitude(p, vi, 0.0, gm, a_eq, b_pol, r1, v1)
        if not math.isfinite(dt):
            continue
        fixed_state_one(r1, v1, dt, omega, p1, w1)
        lat = math.atan2(p1[2], (1.0 - e2) * math.hypot(p1[0], p1[1]))
        lon = math.atan2(p1[1], p1[0])
        ecef_one(lat, lon, 0.0, a_eq, e2, p1)  # the impact point on the surface, Earth-fixed
        ang = omega * (t_c[i] + dt)
        c, s = math.cos(ang), math.sin(ang)
        ix, iy, iz = c * p1[0] - s * p1[1], s * p1[0] + c * p1[1], p1[2]
        rn = math.sqrt(r0[0] * r0[0] + r0[1] * r0[1] + r0[2] * r0[2])
        ri = math.sqrt(ix * ix + iy * iy + iz * iz)
        vn = math.sqrt(v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2])
        psi = math.acos(_unit_clip((r0[0] * ix + r0[1] * iy + r0[2] * iz) / (rn * ri)))
        gamma = math.asin(_unit_clip((r0[0] * v0[0] + r0[1] * v0[1] + r0[2] * v0[2]) / (rn * vn)))
        chord = math.sqrt(rn * rn + ri * ri - 2.0 * rn * ri * math.cos(psi))
        theta = math.acos(_unit_clip((ri * math.cos(psi) - rn) / chord))
        o[0], o[1], o[2], o[3] = dt, lat, lon, gamma - (0.5 * math.pi - 0.5 * theta)
