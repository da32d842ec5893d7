"""Whole ballistic flights as arrays: from burnout states to impact on the Earth's surface.

Physics: after burnout a missile is a point mass in the Earth's point-mass gravity field.
Flight is computed in the inertial frame that coincides with Earth-fixed axes at the burnout
instant; with ``rotation`` on the Earth turns beneath it at the model's rotation rate.

* Drag off: the arc is the exact two-body conic (Kepler's equation, no step size); the impact
  is where the conic meets the model surface (on WGS84 found by a fixed-point iteration on
  the surface radius, converged below a millimetre).
* Drag on: above ``DRAG_CEILING`` (100 km) the flight is still the exact conic; below it the
  motion under gravity plus drag, with the air co-rotating with the Earth, is integrated with
  a classical fourth-order Runge-Kutta step of ``DRAG_STEP`` seconds. Drag acceleration is
  rho |v_air| v_air / (2 beta) with ``beta`` the ballistic coefficient m / (C_D A) in kg/m^2 and
  rho from `shieldsim.atmosphere`. Altitude for the density is the height above the model
  surface along the geocentric radius (within metres of the geodetic height below 100 km).

Inputs at the public edge are SI: radians, metres, seconds, m/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from .atmosphere import density_from_table
from .earth import (
    WGS84, ecef_one, geodetic_height_one, surface_distance_one,
)
from .earth import Earth, local_velocity, rotate_about_z, surface_distance, surface_lat_lon, to_ecef, to_geodetic
from .kepler import conic_elements, crossing_anomaly, propagate_one, state_at_anomaly

DRAG_CEILING = 100_000.0
"""Altitude (m) below which drag is integrated when drag is on."""

DRAG_STEP = 0.05
"""Runge-Kutta step (s) for the flight below `DRAG_CEILING`."""

_SURFACE_ITER = 30
_SURFACE_TOL = 1e-4  # m


@dataclass(frozen=True)
class Models:
    """The model switches of a computation, recorded in every output."""

    earth: Earth = WGS84
    rotation: bool = True
    drag: bool = False

    def as_dict(self) -> dict:
        return {"earth": self.earth.name, "rotation": self.rotation, "drag": self.drag}


@dataclass
class Flight:
    """N ballistic flights from burnout to impact. Times in seconds after burnout.

    Attributes:
        impact_lat, impact_lon: geodetic impact point, radians, (N,).
        flight_time: burnout to impact, s, (N,); NaN where the arc never comes down.
        apogee_alt: highest altitude above the model surface reached after burnout, m.
        apogee_time: time of that apogee after burnout, s.
        ground_range: surface distance from the burnout point's ground position to impact, m.
        impact_speed, impact_gamma: Earth-relative speed (m/s) and flight-path angle (rad,
            negative downwards) at impact.
        sample_time: (M,) sample times after burnout, s (empty when no samples were asked for).
        position, velocity: (N, M, 3) Earth-fixed position (m) and Earth-relative velocity
            (m/s) at the sample times; NaN after impact.
        models: the model switches used.
    """

    impact_lat: np.ndarray
    impact_lon: np.ndarray
    flight_time: np.ndarray
    apogee_alt: np.ndarray
    apogee_time: np.ndarray
    ground_range: np.ndarray
    impact_speed: np.ndarray
    impact_gamma: np.ndarray
    models: Models
    sample_time: np.ndarray = field(default_factory=lambda: np.empty(0))
    position: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 3)))
    velocity: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 3)))


# ---------------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _surface_radius(z_over_r, a, b):
    s2 = z_over_r * z_over_r
    return a * b / math.sqrt(b * b * (1.0 - s2) + a * a * s2)


@njit(cache=True)
def _altitude(r, a, b):
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    return rn - _surface_radius(r[2] / rn, a, b)


@njit(cache=True)
def _descend_to_altitude(r0, v0, alt, gm, a_eq, b_pol, r_out, v_out):
    """Follow the conic from (r0, v0) down to height ``alt`` (m) above the ellipsoid: writes the
    state there into r_out, v_out and returns the time taken (s), NaN if the conic never
    descends through that height. The crossing is found in closed form for a trial surface
    radius, and the radius refined by fixed-point iteration (converges below 0.1 mm)."""
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a):
        return math.nan
    rs = _surface_radius(r0[2] / math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2), a_eq, b_pol)
    dt = math.nan
    for _ in range(_SURFACE_ITER):
        Ec = crossing_anomaly(e, E0, a, rs + alt, True)
        if math.isnan(Ec):
            return math.nan
        dt = state_at_anomaly(r0, v0, gm, a, e, E0, Ec, r_out, v_out)
        rn = math.sqrt(r_out[0] ** 2 + r_out[1] ** 2 + r_out[2] ** 2)
        rs_new = _surface_radius(r_out[2] / rn, a_eq, b_pol)
        if abs(rs_new - rs) < _SURFACE_TOL:
            break
        rs = rs_new
    return max(dt, 0.0)


@njit(cache=True)
def _apogee(r0, v0, gm, r_out, v_out):
    """Time (s) to the next apoapsis of the conic from (r0, v0) and the state there; 0 and the
    initial state if already descending; NaN if not elliptic."""
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a):
        return math.nan
    if E0 >= math.pi:
        for k in range(3):
            r_out[k] = r0[k]
            v_out[k] = v0[k]
        return 0.0
    return state_at_anomaly(r0, v0, gm, a, e, E0, math.pi, r_out, v_out)


@njit(cache=True, parallel=True)
def _fly_vacuum_batch(r0, v0, gm, a_eq, b_pol, res):
    """Vacuum flights to impact in closed form; res rows as in `_fly_one`."""
    for i in prange(r0.shape[0]):
        out = res[i]
        dt = _descend_to_altitude(r0[i], v0[i], 0.0, gm, a_eq, b_pol, out[1:4], out[4:7])
        out[0] = dt
        if math.isnan(dt):
            out[:] = math.nan
            continue
        vt = np.empty(3)
        out[7] = _apogee(r0[i], v0[i], gm, out[8:11], vt)


@njit(cache=True, parallel=True)
def _fly_vacuum_geodetic_batch(lat, lon, alt, speed, gamma, heading, gm, a_eq, f, omega, out):
    """Vacuum flights from geodetic burnout states to impact, all in one compiled pass.

    out[i] <- [flight time, impact lat, impact lon, apogee height, apogee time, ground range,
    impact speed, impact flight-path angle] (SI, Earth-relative, lat/lon geodetic).
    """
    b_pol = a_eq * (1.0 - f)
    e2 = f * (2.0 - f)
    for i in prange(lat.shape[0]):
        r0 = np.empty(3)
        v0 = np.empty(3)
        r1 = np.empty(3)
        v1 = np.empty(3)
        ecef_one(lat[i], lon[i], alt[i], a_eq, e2, r0)
        sla, cla, slo, clo = math.sin(lat[i]), math.cos(lat[i]), math.sin(lon[i]), math.cos(lon[i])
        sh, ch = math.sin(heading[i]), math.cos(heading[i])
        sg, cg = math.sin(gamma[i]), math.cos(gamma[i])
        ve, vn, vu = speed[i] * cg * sh, speed[i] * cg * ch, speed[i] * sg
        v0[0] = -slo * ve - sla * clo * vn + cla * clo * vu - omega * r0[1]
        v0[1] = clo * ve - sla * slo * vn + cla * slo * vu + omega * r0[0]
        v0[2] = cla * vn + sla * vu
        dt = _descend_to_altitude(r0, v0, 0.0, gm, a_eq, b_pol, r1, v1)
        o = out[i]
        if math.isnan(dt):
            o[:] = math.nan
            continue
        o[0] = dt
        # impact: rotate into Earth-fixed axes; a surface point's geodetic latitude is closed form
        c, s = math.cos(-omega * dt), math.sin(-omega * dt)
        x, y, z = c * r1[0] - s * r1[1], s * r1[0] + c * r1[1], r1[2]
        wx, wy = v1[0] + omega * r1[1], v1[1] - omega * r1[0]
        vx, vy, vz = c * wx - s * wy, s * wx + c * wy, v1[2]
        lat1 = math.atan2(z, (1.0 - e2) * math.hypot(x, y))
        lon1 = math.atan2(y, x)
        o[1] = lat1
        o[2] = lon1
        t_apo = _apogee(r0, v0, gm, r1, v1)
        o[3] = geodetic_height_one(r1[0], r1[1], r1[2], a_eq, f)[1]
        o[4] = t_apo
        o[5] = surface_distance_one(lat[i], lon[i], lat1, lon1, a_eq, f)
        vnorm = math.sqrt(vx * vx + vy * vy + vz * vz)
        up = math.cos(lat1) * math.cos(lon1) * vx + math.cos(lat1) * math.sin(lon1) * vy + math.sin(lat1) * vz
        o[6] = vnorm
        o[7] = math.asin(max(-1.0, min(1.0, up / vnorm)))


@njit(cache=True)
def _accel(r, v, gm, omega, beta, bottom, step, log_rho, a, b, out):
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    k = -gm / rn**3
    # air velocity: co-rotating atmosphere, v_air = v - omega x r
    vx = v[0] + omega * r[1]
    vy = v[1] - omega * r[0]
    vz = v[2]
    vn = math.sqrt(vx * vx + vy * vy + vz * vz)
    h = rn - _surface_radius(r[2] / rn, a, b)
    rho = density_from_table(h, bottom, step, log_rho)
    d = -rho * vn / (2.0 * beta)
    out[0] = k * r[0] + d * vx
    out[1] = k * r[1] + d * vy
    out[2] = k * r[2] + d * vz


@njit(cache=True)
def _rk4(y, dt, gm, omega, beta, bottom, step, log_rho, a, b, out, k1, k2, k3, k4, tmp):
    """One RK4 step of the state y = (r, v) (length 6) by dt seconds into out."""
    _accel(y[:3], y[3:], gm, omega, beta, bottom, step, log_rho, a, b, k1)
    for j in range(3):
        tmp[j] = y[j] + 0.5 * dt * y[3 + j]
        tmp[3 + j] = y[3 + j] + 0.5 * dt * k1[j]
    _accel(tmp[:3], tmp[3:], gm, omega, beta, bottom, step, log_rho, a, b, k2)
    v2x, v2y, v2z = tmp[3], tmp[4], tmp[5]
    for j in range(3):
        tmp[j] = y[j] + 0.5 * dt * (y[3 + j] + 0.5 * dt * k1[j])
        tmp[3 + j] = y[3 + j] + 0.5 * dt * k2[j]
    _accel(tmp[:3], tmp[3:], gm, omega, beta, bottom, step, log_rho, a, b, k3)
    v3x, v3y, v3z = tmp[3], tmp[4], tmp[5]
    for j in range(3):
        tmp[j] = y[j] + dt * (y[3 + j] + 0.5 * dt * k2[j])
        tmp[3 + j] = y[3 + j] + dt * k3[j]
    _accel(tmp[:3], tmp[3:], gm, omega, beta, bottom, step, log_rho, a, b, k4)
    v4x, v4y, v4z = tmp[3], tmp[4], tmp[5]
    v1 = (y[3], y[4], y[5])
    v2 = (v2x, v2y, v2z)
    v3 = (v3x, v3y, v3z)
    v4 = (v4x, v4y, v4z)
    for j in range(3):
        out[j] = y[j] + dt / 6.0 * (v1[j] + 2.0 * v2[j] + 2.0 * v3[j] + v4[j])
        out[3 + j] = y[3 + j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])


@njit(cache=True)
def _write_sample(out_pos, out_vel, k, r, v, t, omega):
    """Store an inertial state at time t (s after burnout) as Earth-fixed position/velocity."""
    c = math.cos(-omega * t)
    s = math.sin(-omega * t)
    # Earth-relative velocity in inertial axes: v - omega x r
    wx = v[0] + omega * r[1]
    wy = v[1] - omega * r[0]
    out_pos[k, 0] = c * r[0] - s * r[1]
    out_pos[k, 1] = s * r[0] + c * r[1]
    out_pos[k, 2] = r[2]
    out_vel[k, 0] = c * wx - s * wy
    out_vel[k, 1] = s * wx + c * wy
    out_vel[k, 2] = v[2]


@njit(cache=True)
def _fly_one(r0, v0, gm, a, b, omega, drag, beta, bottom, step, log_rho, rk_dt, sample_dt, out_pos, out_vel, res):
    """Fly one arc. res <- [t_impact, r_impact(3), v_impact(3), t_apogee, r_apogee(3)]
    (inertial). Samples every sample_dt s (if > 0) into out_pos/out_vel."""
    n_samples = out_pos.shape[0]
    y = np.empty(6)
    y[:3] = r0
    y[3:] = v0
    ynew = np.empty(6)
    k1 = np.empty(3)
    k2 = np.empty(3)
    k3 = np.empty(3)
    k4 = np.empty(3)
    tmp = np.empty(6)
    ys = np.empty(6)
    rt = np.empty(3)
    vt = np.empty(3)
    t = 0.0
    next_k = 0
    best_alt = _altitude(y[:3], a, b)
    res[7] = 0.0
    res[8:11] = y[:3]
    for _ in range(10000):  # segments; ends at impact
        h = _altitude(y[:3], a, b)
        if (not drag) or h >= DRAG_CEILING:
            # vacuum conic until impact (drag off) or until descending through the ceiling
            target = 0.0 if not drag else DRAG_CEILING
            dt = _descend_to_altitude(y[:3], y[3:], target, gm, a, b, ynew[:3], ynew[3:])
            if math.isnan(dt):
                res[:] = math.nan
                return
            t_apo = _apogee(y[:3], y[3:], gm, rt, vt)
            if t_apo > 0.0 and t_apo <= dt:
                ha = _altitude(rt, a, b)
                if ha > best_alt:
                    best_alt = ha
                    res[7] = t + t_apo
                    res[8:11] = rt
            while next_k < n_samples and next_k * sample_dt < t + dt:
                ts = next_k * sample_dt
                propagate_one(y[:3], y[3:], ts - t, gm, rt, vt)
                _write_sample(out_pos, out_vel, next_k, rt, vt, ts, omega)
                next_k += 1
            y[:] = ynew
            t += dt
            if not drag:
                break
            # step slightly inside the atmosphere so the loop below integrates
        # integrate with drag until impact or back above the ceiling (ascending)
        impacted = False
        for _s in range(10_000_000):
            _rk4(y, rk_dt, gm, omega, beta, bottom, step, log_rho, a, b, ynew, k1, k2, k3, k4, tmp)
            h_new = _altitude(ynew[:3], a, b)
            if h_new < 0.0:
                # secant on the step length for the surface crossing
                h0 = _altitude(y[:3], a, b)
                lo, hi, flo, fhi = 0.0, rk_dt, h0, h_new
                dts = rk_dt * h0 / (h0 - h_new)
                for _it in range(40):
                    _rk4(y, dts, gm, omega, beta, bottom, step, log_rho, a, b, ynew, k1, k2, k3, k4, tmp)
                    f = _altitude(ynew[:3], a, b)
                    if abs(f) < 1e-4:
                        break
                    if f > 0.0:
                        lo, flo = dts, f
                    else:
                        hi, fhi = dts, f
                    dts = lo + (hi - lo) * flo / (flo - fhi)
                while next_k < n_samples and next_k * sample_dt < t + dts:
                    _rk4(y, next_k * sample_dt - t, gm, omega, beta, bottom, step, log_rho, a, b, ys, k1, k2, k3, k4, tmp)
                    _write_sample(out_pos, out_vel, next_k, ys[:3], ys[3:], next_k * sample_dt, omega)
                    next_k += 1
                t += dts
                y[:] = ynew
                impacted = True
                break
            while next_k < n_samples and next_k * sample_dt < t + rk_dt:
                _rk4(y, next_k * sample_dt - t, gm, omega, beta, bottom, step, log_rho, a, b, ys, k1, k2, k3, k4, tmp)
                _write_sample(out_pos, out_vel, next_k, ys[:3], ys[3:], next_k * sample_dt, omega)
                next_k += 1
            if h_new > best_alt:
                best_alt = h_new
                res[7] = t + rk_dt
                res[8:11] = ynew[:3]
            y[:] = ynew
            t += rk_dt
            if h_new >= DRAG_CEILING and (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) > 0.0:
                break  # climbed out of the atmosphere: back to the conic
        if impacted:
            break
    res[0] = t
    res[1:4] = y[:3]
    res[4:7] = y[3:]
    for k in range(next_k, n_samples):
        for j in range(3):
            out_pos[k, j] = math.nan
            out_vel[k, j] = math.nan


@njit(cache=True, parallel=True)
def _fly_batch(r0, v0, gm, a, b, omega, drag, beta, bottom, step, log_rho, rk_dt, sample_dt, out_pos, out_vel, res):
    for i in prange(r0.shape[0]):
        _fly_one(r0[i], v0[i], gm, a, b, omega, drag, beta[i], bottom, step, log_rho, rk_dt, sample_dt,
                 out_pos[i], out_vel[i], res[i])


# ---------------------------------------------------------------------------------------------
# public API


def burnout_state(lat, lon, alt, speed, gamma, heading, earth: Earth = WGS84):
    """Earth-fixed position (m) and Earth-relative velocity (m/s), each (N, 3), of burnout
    states given as geodetic lat, lon (rad), altitude (m), speed (m/s), flight-path angle
    above the local horizontal and heading clockwise from north (rad)."""
    lat, lon, alt, speed, gamma, heading = (
        np.atleast_1d(np.asarray(x, dtype=float)) for x in np.broadcast_arrays(lat, lon, alt, speed, gamma, heading)
    )
    return to_ecef(lat, lon, alt, earth), local_velocity(speed, gamma, heading, lat, lon)


def fly_states(position, velocity, models: Models = Models(), beta=np.inf,
               sample_step: float | None = None, max_time: float = 7200.0, burnout_lat_lon=None) -> Flight:
    """Fly N burnout states given as Earth-fixed position (N, 3) m and Earth-relative velocity
    (N, 3) m/s to impact. ``beta`` is the ballistic coefficient (kg/m^2, scalar or (N,)) used
    when ``models.drag`` is on. With ``sample_step`` (s) the flight is also sampled every
    ``sample_step`` seconds from burnout up to ``max_time``."""
    from .atmosphere import density_table

    r0 = np.ascontiguousarray(np.atleast_2d(np.asarray(position, dtype=float)))
    v_rel = np.ascontiguousarray(np.atleast_2d(np.asarray(velocity, dtype=float)))
    n = r0.shape[0]
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    v0 = v_rel + np.cross(np.array([0.0, 0.0, omega]), r0)  # inertial velocity
    beta = np.ascontiguousarray(np.broadcast_to(np.asarray(beta, dtype=float), (n,)))
    bottom, step, log_rho = density_table()
    m = 0 if not sample_step else int(math.floor(max_time / sample_step)) + 1
    pos = np.empty((n, m, 3))
    vel = np.empty((n, m, 3))
    res = np.empty((n, 11))
    if models.drag or m:
        _fly_batch(r0, v0, earth.gm, earth.equatorial_radius, earth.polar_radius, omega, bool(models.drag), beta,
                   bottom, step, log_rho, DRAG_STEP, float(sample_step or 1.0), pos, vel, res)
    else:
        _fly_vacuum_batch(r0, v0, earth.gm, earth.equatorial_radius, earth.polar_radius, res)
    t_imp = res[:, 0]
    r_imp = rotate_about_z(res[:, 1:4], -omega * t_imp)
    v_imp_in = res[:, 4:7]
    v_imp_rel = rotate_about_z(v_imp_in - np.cross(np.array([0.0, 0.0, omega]), res[:, 1:4]), -omega * t_imp)
    lat_i, lon_i = surface_lat_lon(r_imp, earth)
    if burnout_lat_lon is None:
        lat_0, lon_0, _ = to_geodetic(r0, earth)
    else:
        lat_0, lon_0 = burnout_lat_lon
    t_apo = res[:, 7]
    _, _, alt_apo = to_geodetic(res[:, 8:11], earth)  # geodetic height is rotation-invariant
    speed_imp = np.linalg.norm(v_imp_rel, axis=1)
    up = r_imp / np.linalg.norm(r_imp, axis=1)[:, None]
    if earth.flattening:
        from .earth import enu_basis

        up = enu_basis(lat_i, lon_i)[2]
    gamma_imp = np.arcsin(np.clip(np.sum(v_imp_rel * up, axis=1) / speed_imp, -1.0, 1.0))
    ok = np.isfinite(t_imp)
    ground = np.full(n, np.nan)
    if ok.any():
        ground[ok] = surface_distance(lat_0[ok], lon_0[ok], lat_i[ok], lon_i[ok], earth)
    return Flight(
        impact_lat=lat_i, impact_lon=lon_i, flight_time=t_imp, apogee_alt=alt_apo, apogee_time=t_apo,
        ground_range=ground, impact_speed=speed_imp, impact_gamma=gamma_imp, models=models,
        sample_time=np.arange(m) * (sample_step or 1.0), position=pos, velocity=vel,
    )


def fly(lat, lon, alt, speed, gamma, heading, models: Models = Models(), beta=np.inf,
        sample_step: float | None = None, max_time: float = 7200.0) -> Flight:
    """Fly N burnout states to impact.

    Args:
        lat, lon: geodetic burnout position, radians (scalars or (N,) arrays).
        alt: burnout altitude above the model surface, m.
        speed: burnout speed relative to the rotating Earth, m/s.
        gamma: flight-path angle above the local horizontal, rad.
        heading: heading clockwise from true north, rad.
        models: Earth model and rotation/drag switches.
        beta: ballistic coefficient, kg/m^2 (used when drag is on).
        sample_step: if given, also sample states every this many seconds.

    Returns:
        A `Flight`. Arcs that never come down (orbit or escape) have NaN results.
    """
    if not models.drag and not sample_step:
        return _fly_vacuum(lat, lon, alt, speed, gamma, heading, models)
    r0, v0 = burnout_state(lat, lon, alt, speed, gamma, heading, models.earth)
    lat, lon = np.broadcast_arrays(np.atleast_1d(lat), np.atleast_1d(lon), r0[:, 0])[:2]
    return fly_states(r0, v0, models, beta, sample_step, max_time, burnout_lat_lon=(lat, lon))


@dataclass
class Trajectory:
    """N complete threat flights, launch to impact, sampled on one uniform time grid.

    This is the form in which threats are handed to sensors, engagements and battles.
    Times on the grid are seconds after each threat's own launch; ``launch_time`` places each
    launch on the scenario clock (seconds since the scenario epoch).

    Attributes:
        time: (M,) seconds after launch, uniform step ``step``.
        position: (N, M, 3) Earth-fixed position, m; NaN after impact.
        velocity: (N, M, 3) Earth-relative velocity, m/s; NaN after impact.
        launch_time: (N,) seconds since the scenario epoch.
        burnout_time, impact_time, apogee_time: (N,) seconds after launch.
        launch_lat, launch_lon, impact_lat, impact_lon: (N,) geodetic, radians.
        apogee_alt: (N,) m above the model surface.
        ground_range: (N,) launch point to impact along the surface, m.
        rcs: (N,) radar cross-section of the object radars track after burnout, m^2.
        beta: (N,) ballistic coefficient of that object, kg/m^2.
        models: the model switches used.
        labels: (N,) free-text names (e.g. threat class and launch area).
    """

    time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    launch_time: np.ndarray
    burnout_time: np.ndarray
    impact_time: np.ndarray
    apogee_time: np.ndarray
    launch_lat: np.ndarray
    launch_lon: np.ndarray
    impact_lat: np.ndarray
    impact_lon: np.ndarray
    apogee_alt: np.ndarray
    ground_range: np.ndarray
    rcs: np.ndarray
    beta: np.ndarray
    models: Models
    labels: np.ndarray | None = None

    @property
    def step(self) -> float:
        """Sample step, s."""
        return float(self.time[1] - self.time[0]) if self.time.size > 1 else 1.0

    def __len__(self) -> int:
        return self.position.shape[0]

    def subset(self, index) -> "Trajectory":
        """The flights selected by ``index`` (a mask, slice or integer array)."""
        fields = {}
        for name, value in self.__dict__.items():
            if name in ("time", "models") or value is None:
                fields[name] = value
            else:
                fields[name] = value[index]
        return Trajectory(**fields)


def _fly_vacuum(lat, lon, alt, speed, gamma, heading, models: Models) -> Flight:
    """`fly` for vacuum flights without samples: one compiled pass from geodetic burnout
    states to every result."""
    arrays = [np.ascontiguousarray(np.atleast_1d(x), dtype=float)
              for x in np.broadcast_arrays(lat, lon, alt, speed, gamma, heading)]
    earth = models.earth
    out = np.empty((arrays[0].shape[0], 8))
    omega = earth.rotation_rate if models.rotation else 0.0
    _fly_vacuum_geodetic_batch(*arrays, earth.gm, earth.equatorial_radius, earth.flattening, omega, out)
    ground = out[:, 5]
    redo = np.isnan(ground) & np.isfinite(out[:, 0])  # Vincenty did not converge: use pyproj
    if redo.any():
        ground[redo] = surface_distance(arrays[0][redo], arrays[1][redo], out[redo, 1], out[redo, 2], earth)
    return Flight(impact_lat=out[:, 1], impact_lon=out[:, 2], flight_time=out[:, 0], apogee_alt=out[:, 3],
                  apogee_time=out[:, 4], ground_range=ground, impact_speed=out[:, 6], impact_gamma=out[:, 7],
                  models=models)
