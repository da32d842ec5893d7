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

from .flight import Models
from .vacuum import arc_coefficients, arc_descent, arc_elements, arc_time


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
    launch's inertial frame, central angle psi, `missile.min_energy_gamma`). The helpers those
    use (`earth.fixed_state_one`, `kernels._descend_to_altitude`, `earth.ecef_one`) are written
    out on scalars, the same operations in the same order: no array a flight, no view."""
    for i in prange(res.shape[0]):
        # Earth-fixed burnout state (`earth.fixed_state_one`)
        c, s = math.cos(-omega * t_c[i]), math.sin(-omega * t_c[i])
        wx = res[i, 4] + omega * res[i, 2]
        wy = res[i, 5] - omega * res[i, 1]
        px, py, pz = c * res[i, 1] - s * res[i, 2], s * res[i, 1] + c * res[i, 2], res[i, 3]
        qx, qy, qz = c * wx - s * wy, s * wx + c * wy, res[i, 6]
        vel[i, 0], vel[i, 1], vel[i, 2] = qx, qy, qz
        for j in range(4):
            out[i, j] = math.nan
        if not res[i, 13] > 0:
            pos[i, 0], pos[i, 1], pos[i, 2] = math.nan, math.nan, math.nan
            continue
        pos[i, 0], pos[i, 1], pos[i, 2] = px, py, pz
        # inertial velocity in the frame of the burnout instant, then the descent to the
        # surface (`kernels._descend_to_altitude` at height 0; the impact velocity is not needed)
        ix, iy, iz = qx - omega * py, qy + omega * px, qz
        a, e, e0, s0, c0, rn0 = arc_elements(px, py, pz, ix, iy, iz, gm)
        if math.isnan(a):
            continue
        e1, s1, c1 = arc_descent(pz, iz, a, e, e0, s0, c0, rn0, gm, a_eq, b_pol, 0.0)
        if math.isnan(e1):
            continue
        f, g, _, _ = arc_coefficients(a, e, s0, c0, rn0, gm, s1, c1)
        r1x, r1y, r1z = f * px + g * ix, f * py + g * iy, f * pz + g * iz
        dt = max(arc_time(a, e, e0, s0, gm, e1, s1), 0.0)
        if not math.isfinite(dt):
            continue
        # Earth-fixed impact (`earth.fixed_state_one`, position) and its geodetic point
        ct, st = math.cos(-omega * dt), math.sin(-omega * dt)
        x1, y1, z1 = ct * r1x - st * r1y, st * r1x + ct * r1y, r1z
        lat = math.atan2(z1, (1.0 - e2) * math.hypot(x1, y1))
        lon = math.atan2(y1, x1)
        # the impact point on the surface, Earth-fixed (`earth.ecef_one` at height 0)
        sl, cl = math.sin(lat), math.cos(lat)
        nv = a_eq / math.sqrt(1.0 - e2 * sl * sl)
        x1 = (nv + 0.0) * cl * math.cos(lon)
        y1 = (nv + 0.0) * cl * math.sin(lon)
        z1 = (nv * (1.0 - e2) + 0.0) * sl
        ang = omega * (t_c[i] + dt)
        c, s = math.cos(ang), math.sin(ang)
        jx, jy, jz = c * x1 - s * y1, s * x1 + c * y1, z1
        rx, ry, rz = res[i, 1], res[i, 2], res[i, 3]
        vx, vy, vz = res[i, 4], res[i, 5], res[i, 6]
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        ri = math.sqrt(jx * jx + jy * jy + jz * jz)
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        psi = math.acos(_unit_clip((rx * jx + ry * jy + rz * jz) / (rn * ri)))
        gamma = math.asin(_unit_clip((rx * vx + ry * vy + rz * vz) / (rn * vn)))
        chord = math.sqrt(rn * rn + ri * ri - 2.0 * rn * ri * math.cos(psi))
        theta = math.acos(_unit_clip((ri * math.cos(psi) - rn) / chord))
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = dt, lat, lon, gamma - (0.5 * math.pi - 0.5 * theta)
