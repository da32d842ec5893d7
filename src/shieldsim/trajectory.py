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
from functools import lru_cache

import numpy as np
from numba import njit, prange

from .atmosphere import density_from_table, density_table
from .earth import (
    SPHERE, WGS84, Earth, ecef_one, enu_basis, fixed_state, fixed_state_one, geodesic_inverse, geodetic_height_one,
    inertial_velocity, local_velocity, radial_height_one, rotate_about_z, surface_distance, surface_distance_one,
    surface_lat_lon, surface_radius_one, to_ecef, to_geodetic,
)
from .kepler import apoapsis, conic_elements, crossing_anomaly, flight_path_angle, propagate_one, state_at_anomaly
from .missile import vacuum_range_inertial, boost_profile, min_energy_gamma, run_boost, state_angles

DRAG_CEILING = 100_000.0
"""Altitude (m) below which drag is integrated when drag is on."""

DRAG_STEP = 0.05
"""Runge-Kutta step (s) for the flight below `DRAG_CEILING`."""

_SURFACE_ITER = 30
_SURFACE_TOL = 1e-4  # m
_GOLDEN = 0.5 * (math.sqrt(5.0) - 1.0)


class AimError(ValueError):
    """A flight that `aim` cannot fly. ``cause`` is ``"range"`` when the target lies beyond the
    class's maximum range in that direction, ``"shape"`` when it is within range but the class
    cannot fly the requested shape (kind and apogee) there."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause

    def __reduce__(self):  # picklable, e.g. raised in a Dask task
        return type(self), (str(self), self.cause)


@dataclass(frozen=True)
class Models:
    """The model switches of a computation, recorded in every output: the Earth model (shape
    and GM), whether the Earth rotates under the flight (``rotation``) and whether air drag is
    integrated below `DRAG_CEILING` (``drag``)."""

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
def _descend_to_altitude(r0, v0, alt, gm, a_eq, b_pol, r_out, v_out):
    """Follow the conic from (r0, v0) down to height ``alt`` (m) above the ellipsoid: writes the
    state there into r_out, v_out and returns the time taken (s), NaN if the conic never
    descends through that height. The crossing is found in closed form for a trial surface
    radius, and the radius refined by fixed-point iteration (converges below 0.1 mm)."""
    a, e, E0 = conic_elements(r0, v0, gm)
    if math.isnan(a):
        return math.nan
    rs = surface_radius_one(r0[2] / math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2), a_eq, b_pol)
    dt = math.nan
    for _ in range(_SURFACE_ITER):
        Ec = crossing_anomaly(e, E0, a, rs + alt, True)
        if math.isnan(Ec):
            return math.nan
        dt = state_at_anomaly(r0, v0, gm, a, e, E0, Ec, r_out, v_out)
        rn = math.sqrt(r_out[0] ** 2 + r_out[1] ** 2 + r_out[2] ** 2)
        rs_new = surface_radius_one(r_out[2] / rn, a_eq, b_pol)
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


_APOGEE_SAMPLES = 16
_APOGEE_TOL = 1e-4  # s


@njit(cache=True)
def _height_at(r0, v0, gm, a_eq, f, t, r_out, v_out):
    """Geodetic height (m) above the ellipsoid (a_eq, f) of the conic from (r0, v0) ``t`` s
    later, writing the state there (the frame's rotation about z does not change it)."""
    propagate_one(r0, v0, t, gm, r_out, v_out)
    return geodetic_height_one(r_out[0], r_out[1], r_out[2], a_eq, f)[1]


@njit(cache=True)
def _highest_point(r0, v0, gm, a_eq, f, t_end, r_out, v_out):
    """Time (s) in [0, t_end] at which the conic from (r0, v0) is highest above the ellipsoid
    (semi-major axis a_eq m, flattening f) -- the greatest geodetic height, not the greatest
    radius -- with the state there in r_out, v_out; NaN if the conic is not elliptic.

    On a sphere (f = 0) this is the apoapsis (or the start, when already descending). On an
    ellipsoid the surface falls towards the poles, so the highest point lies up to seconds from
    the apoapsis and metres higher: found by sampling `_APOGEE_SAMPLES` times plus the apoapsis
    over [0, t_end], then golden-section search between the neighbours of the best sample."""
    t_apo = _apogee(r0, v0, gm, r_out, v_out)
    if math.isnan(t_apo) or f == 0.0 or not (t_end > 0.0):
        if not (t_apo <= t_end):  # apoapsis after the end of the arc: the end is highest
            propagate_one(r0, v0, t_end, gm, r_out, v_out)
            return t_end
        return t_apo
    rt = np.empty(3)
    vt = np.empty(3)
    best_t, best_h = 0.0, -math.inf
    step = t_end / _APOGEE_SAMPLES
    for k in range(_APOGEE_SAMPLES + 2):
        t = k * step if k <= _APOGEE_SAMPLES else t_apo
        if not (t >= 0.0 and t <= t_end):
            continue
        h = _height_at(r0, v0, gm, a_eq, f, t, rt, vt)
        if h > best_h:
            best_t, best_h = t, h
    lo, hi = max(0.0, best_t - step), min(t_end, best_t + step)
    x1 = hi - _GOLDEN * (hi - lo)
    x2 = lo + _GOLDEN * (hi - lo)
    h1 = _height_at(r0, v0, gm, a_eq, f, x1, rt, vt)
    h2 = _height_at(r0, v0, gm, a_eq, f, x2, rt, vt)
    for _ in range(200):
        if hi - lo <= _APOGEE_TOL:
            break
        if h1 >= h2:
            hi, x2, h2 = x2, x1, h1
            x1 = hi - _GOLDEN * (hi - lo)
            h1 = _height_at(r0, v0, gm, a_eq, f, x1, rt, vt)
        else:
            lo, x1, h1 = x1, x2, h2
            x2 = lo + _GOLDEN * (hi - lo)
            h2 = _height_at(r0, v0, gm, a_eq, f, x2, rt, vt)
    for t, h in ((x1, h1), (x2, h2)):
        if h > best_h:
            best_t, best_h = t, h
    propagate_one(r0, v0, best_t, gm, r_out, v_out)
    return best_t


@njit(cache=True, parallel=True)
def _fly_vacuum_batch(r0, v0, gm, a_eq, b_pol, res):
    """Vacuum flights to impact in closed form; res rows as in `_fly_one`."""
    f = 1.0 - b_pol / a_eq
    for i in prange(r0.shape[0]):
        out = res[i]
        dt = _descend_to_altitude(r0[i], v0[i], 0.0, gm, a_eq, b_pol, out[1:4], out[4:7])
        out[0] = dt
        if math.isnan(dt):
            out[:] = math.nan
            continue
        vt = np.empty(3)
        out[7] = _highest_point(r0[i], v0[i], gm, a_eq, f, dt, out[8:11], vt)


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
        p1 = np.empty(3)
        w1 = np.empty(3)
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
        fixed_state_one(r1, v1, dt, omega, p1, w1)
        x, y, z = p1[0], p1[1], p1[2]
        vx, vy, vz = w1[0], w1[1], w1[2]
        lat1 = math.atan2(z, (1.0 - e2) * math.hypot(x, y))
        lon1 = math.atan2(y, x)
        o[1] = lat1
        o[2] = lon1
        t_apo = _highest_point(r0, v0, gm, a_eq, f, dt, r1, v1)
        o[3] = geodetic_height_one(r1[0], r1[1], r1[2], a_eq, f)[1]
        o[4] = t_apo
        o[5] = surface_distance_one(lat[i], lon[i], lat1, lon1, a_eq, f)
        vnorm = math.sqrt(vx * vx + vy * vy + vz * vz)
        up = math.cos(lat1) * math.cos(lon1) * vx + math.cos(lat1) * math.sin(lon1) * vy + math.sin(lat1) * vz
        o[6] = vnorm
        o[7] = math.asin(max(-1.0, min(1.0, up / vnorm)))


@njit(cache=True)
def _accel(r, v, gm, omega, beta, bottom, step, log_rho, a, b, out):
    """Acceleration (m/s^2, into out) of a point mass at inertial r (m) with velocity v (m/s):
    point-mass gravity plus drag rho |v_air| v_air / (2 beta) (beta kg/m^2) in air co-rotating
    with the Earth at omega (rad/s), rho from the density table at the height above the
    ellipsoid (a, b) along the radius."""
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    k = -gm / rn**3
    # air velocity: co-rotating atmosphere, v_air = v - omega x r
    vx = v[0] + omega * r[1]
    vy = v[1] - omega * r[0]
    vz = v[2]
    vn = math.sqrt(vx * vx + vy * vy + vz * vz)
    h = rn - surface_radius_one(r[2] / rn, a, b)
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
    f_ell = 1.0 - b / a
    best_alt = geodetic_height_one(y[0], y[1], y[2], a, f_ell)[1]  # highest geodetic height so far
    res[7] = 0.0
    res[8:11] = y[:3]
    for _ in range(10000):  # segments; ends at impact
        h = radial_height_one(y[:3], a, b)
        if (not drag) or h >= DRAG_CEILING:
            # vacuum conic until impact (drag off) or until descending through the ceiling
            target = 0.0 if not drag else DRAG_CEILING
            dt = _descend_to_altitude(y[:3], y[3:], target, gm, a, b, ynew[:3], ynew[3:])
            if math.isnan(dt):
                res[:] = math.nan
                return
            t_apo = _highest_point(y[:3], y[3:], gm, a, f_ell, dt, rt, vt)
            if t_apo > 0.0 and t_apo <= dt:
                ha = geodetic_height_one(rt[0], rt[1], rt[2], a, f_ell)[1]
                if ha > best_alt:
                    best_alt = ha
                    res[7] = t + t_apo
                    res[8:11] = rt
            while next_k < n_samples and next_k * sample_dt < t + dt:
                ts = next_k * sample_dt
                propagate_one(y[:3], y[3:], ts - t, gm, rt, vt)
                fixed_state_one(rt, vt, ts, omega, out_pos[next_k], out_vel[next_k])
                next_k += 1
            y[:] = ynew
            t += dt
            if not drag:
                break
        # integrate with drag until impact or back above the ceiling (ascending)
        impacted = False
        for _s in range(10_000_000):
            _rk4(y, rk_dt, gm, omega, beta, bottom, step, log_rho, a, b, ynew, k1, k2, k3, k4, tmp)
            h_new = radial_height_one(ynew[:3], a, b)
            if h_new < 0.0:
                # secant on the step length for the surface crossing
                h0 = radial_height_one(y[:3], a, b)
                lo, hi, flo, fhi = 0.0, rk_dt, h0, h_new
                dts = rk_dt * h0 / (h0 - h_new)
                for _it in range(40):
                    _rk4(y, dts, gm, omega, beta, bottom, step, log_rho, a, b, ynew, k1, k2, k3, k4, tmp)
                    f = radial_height_one(ynew[:3], a, b)
                    if abs(f) < 1e-4:
                        break
                    if f > 0.0:
                        lo, flo = dts, f
                    else:
                        hi, fhi = dts, f
                    dts = lo + (hi - lo) * flo / (flo - fhi)
                while next_k < n_samples and next_k * sample_dt < t + dts:
                    _rk4(y, next_k * sample_dt - t, gm, omega, beta, bottom, step, log_rho, a, b, ys, k1, k2, k3, k4, tmp)
                    fixed_state_one(ys[:3], ys[3:], next_k * sample_dt, omega, out_pos[next_k], out_vel[next_k])
                    next_k += 1
                t += dts
                y[:] = ynew
                impacted = True
                break
            while next_k < n_samples and next_k * sample_dt < t + rk_dt:
                _rk4(y, next_k * sample_dt - t, gm, omega, beta, bottom, step, log_rho, a, b, ys, k1, k2, k3, k4, tmp)
                fixed_state_one(ys[:3], ys[3:], next_k * sample_dt, omega, out_pos[next_k], out_vel[next_k])
                next_k += 1
            if h_new > best_alt - 100.0:  # radial and geodetic heights differ by metres here
                g_new = geodetic_height_one(ynew[0], ynew[1], ynew[2], a, f_ell)[1]
                if g_new > best_alt:
                    best_alt = g_new
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
    r0 = np.ascontiguousarray(np.atleast_2d(np.asarray(position, dtype=float)))
    v_rel = np.ascontiguousarray(np.atleast_2d(np.asarray(velocity, dtype=float)))
    n = r0.shape[0]
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    v0 = inertial_velocity(r0, v_rel, omega)
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
    r_imp, v_imp_rel = fixed_state(res[:, 1:4], res[:, 4:7], t_imp, omega)
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
        """The flights selected by ``index`` (a mask, slice or integer array), as the same type
        (per-flight arrays indexed; the time grid, models and other scalars such as `Aim.kind`
        kept)."""
        fields = {}
        for name, value in self.__dict__.items():
            if name in ("time", "models") or value is None or isinstance(value, str):
                fields[name] = value
            else:
                fields[name] = value[index]
        return type(self)(**fields)

    @classmethod
    def concat(cls, parts) -> "Trajectory":
        """One `Trajectory` holding the flights of ``parts`` (a non-empty sequence of
        trajectories on the same sample step and models), in order.

        The common time grid is as long as the longest part; shorter parts' positions and
        velocities are padded with NaN (as after impact). Per-flight scalars given as one value
        for a whole part are repeated for its flights. ``labels`` are kept only when every part
        has them. Extra fields of subclasses (e.g. `Aim`'s burnout states) are dropped.

        Raises:
            ValueError: no parts, or parts on different steps, grid starts or models.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("nothing to concatenate: no trajectories given")
        first = parts[0]
        for p in parts[1:]:
            if p.models != first.models:
                raise ValueError(f"cannot concatenate trajectories under different models: "
                                 f"{first.models.as_dict()} and {p.models.as_dict()}")
            if (p.time.size > 1 and first.time.size > 1 and not np.isclose(p.step, first.step)) or \
                    (p.time.size and first.time.size and not np.isclose(p.time[0], first.time[0])):
                raise ValueError(f"cannot concatenate trajectories on different time grids: step {first.step:g} s "
                                 f"from {first.time[0]:g} s and step {p.step:g} s from {p.time[0]:g} s")
        step = next((p.step for p in parts if p.time.size > 1), first.step)
        m = max(p.time.size for p in parts)
        t0 = first.time[0] if first.time.size else 0.0
        fields = {"time": t0 + np.arange(m) * step, "models": first.models}
        for name in ("position", "velocity"):
            fields[name] = np.concatenate([np.pad(np.asarray(getattr(p, name), dtype=float),
                                                  ((0, 0), (0, m - p.time.size), (0, 0)), constant_values=np.nan)
                                           for p in parts])
        for name in ("launch_time", "burnout_time", "impact_time", "apogee_time", "launch_lat", "launch_lon",
                     "impact_lat", "impact_lon", "apogee_alt", "ground_range", "rcs", "beta"):
            fields[name] = np.concatenate([np.broadcast_to(np.asarray(getattr(p, name), dtype=float), (len(p),))
                                           for p in parts])
        labels = [p.labels for p in parts]
        fields["labels"] = None if any(x is None for x in labels) else \
            np.concatenate([np.asarray(x, dtype=object) for x in labels])
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


# ---------------------------------------------------------------------------------------------
# minimum-energy free flight; whole threat flights (boost + free flight); aiming at a target
#
# Aiming (`aim`) solves, for every launch/target pair at once, for three controls: the launch
# azimuth, the kick angle of the pitch-over and the thrust cutoff (fraction of the total burn;
# see `shieldsim.missile`). The three equations are: impact on the target downrange and
# crossrange, plus a shaping condition:
#   * minimum-energy: the inertial burnout flight-path angle equals the minimum-energy angle
#     of the free flight actually flown (`missile.min_energy_gamma`): the least burnout speed
#     that reaches the target; where even the full burn cannot reach the target that way, the
#     full burn with the steepest kick that reaches it;
#   * lofted / depressed: the apogee of the free flight equals the requested apogee.
# Each Newton evaluation flies the boost under the full model (rotating Earth, drag if
# ``models.drag``) and the free flight with `fly_states` in vacuum, shifted by offsets (range,
# azimuth, apogee) that measure the effect of re-entry drag: after Newton (finite-difference
# Jacobian updated by Broyden's formula, trust region) converges, the flights are re-flown with
# drag, the offsets updated, and the pairs whose true miss exceeds `AIM_TOL` solved again
# (typically 1-4 rounds). The minimum-energy condition is evaluated on the vacuum arc. Starting
# values come from a table of boosts of the class on the non-rotating sphere with vacuum free
# flight; where many pairs share a launch-latitude band, one pair per target bin is solved
# first and its neighbours start from its solution and Jacobian (`warm_newton` in `aim`).

AIM_TOL = 100.0
"""Miss distance (m) to which `aim` converges (the requirement is 1 km)."""

APOGEE_TOL = 100.0
"""Apogee error (m) to which lofted/depressed aiming converges."""

_GAMMA_TOL = 2e-5  # rad, minimum-energy shaping condition
_KICK_MAX = math.radians(85.0)
_CUTOFF_MIN = 0.2
_AIM_ITER = 30
_WARM_BIN = 250_000.0  # m, target bins of the warm start of `aim` (pairs sharing a launch point)
_WARM_SHARE = 0.5  # warm-start only when the bins number at most this share of the pairs
_WARM_COARSEN = 2.0  # bins of the pairs solved first are this many times larger
_WARM_MIN = 32  # fewer pairs than this are solved from the shape table
_WARM_LAT = math.radians(10.0)  # launch latitude bands of the warm start


def _golden(fun, lo, hi, iters: int, maximise: bool = False):
    """Vectorised golden-section search of fun (arrays (N,) -> (N,)) on [lo, hi]: (x, f(x))."""
    sign = -1.0 if maximise else 1.0
    g = 0.5 * (math.sqrt(5.0) - 1.0)
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = sign * fun(c), sign * fun(d)
    for _ in range(iters):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        x_new = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
        f_new = sign * fun(x_new)
        c, d, fc, fd = (np.where(left, x_new, d), np.where(left, c, x_new),
                        np.where(left, f_new, fd), np.where(left, fc, f_new))
    best = fc < fd
    return np.where(best, c, d), sign * np.where(best, fc, fd)


@dataclass
class MinimumEnergy:
    """Minimum-energy free flights from burnout at altitude H to impact R downrange (arrays (N,)).

    Attributes:
        burnout_speed: m/s (relative to the rotating Earth when rotation is on);
        gamma: burnout flight-path angle, rad; flight_time: burnout to impact, s;
        apogee_alt: m above the model surface; ground_range: m (as asked);
        burnout_alt: m; method: "closed-form" or "iterated"; models: the model switches.
    """

    burnout_speed: np.ndarray
    gamma: np.ndarray
    flight_time: np.ndarray
    apogee_alt: np.ndarray
    ground_range: np.ndarray
    burnout_alt: np.ndarray
    method: str
    models: Models


def _min_energy_closed(ground_range, burnout_alt, radius, gm):
    """Closed-form minimum-energy arc on a non-rotating sphere of ``radius`` (m) from burnout at
    ``burnout_alt`` (m) to the surface ``ground_range`` (m) away: (burnout speed m/s, flight-path
    angle rad, time of flight s, apogee altitude m). The semi-major axis is a quarter of the
    perimeter of the triangle centre-burnout-impact (the empty focus lies on the chord)."""
    psi = np.asarray(ground_range, dtype=float) / radius
    r1 = radius + np.asarray(burnout_alt, dtype=float)
    r2 = np.full_like(r1, radius)
    chord = np.sqrt(r1**2 + r2**2 - 2 * r1 * r2 * np.cos(psi))
    s = 0.5 * (r1 + r2 + chord)
    a = 0.5 * s  # semi-major axis of the minimum-energy ellipse
    speed = np.sqrt(gm * (2.0 / r1 - 1.0 / a))
    gamma = min_energy_gamma(r1, r2, psi)
    p = (r1 * speed * np.cos(gamma)) ** 2 / gm
    e = np.sqrt(np.clip(1.0 - p / a, 0.0, None))
    apogee = np.where(gamma > 0, a * (1.0 + e), r1) - radius
    # time of flight from the eccentric anomalies of the two ends of the arc
    anom_bo = np.arccos(np.clip((1.0 - r1 / a) / e, -1, 1))
    anom_bo = np.where(gamma >= 0, anom_bo, 2 * np.pi - anom_bo)  # ascending branch at burnout when gamma > 0
    anom_imp = 2 * np.pi - np.arccos(np.clip((1.0 - r2 / a) / e, -1, 1))  # descending branch at impact
    n = np.sqrt(gm / a**3)
    tof = ((anom_imp - e * np.sin(anom_imp)) - (anom_bo - e * np.sin(anom_bo))) / n
    return speed, gamma, tof, apogee


def minimum_energy(ground_range, burnout_alt, models: Models = Models(SPHERE, False, False), lat=0.0, lon=0.0,
                   heading=0.0, beta=np.inf, iterate: bool | None = None) -> MinimumEnergy:
    """Minimum-energy free flight from burnout at ``burnout_alt`` (m) to impact at sea level
    ``ground_range`` (m) away along the surface from the burnout ground point.

    On the spherical, non-rotating Earth without drag the result is the closed-form two-body
    minimum-energy ellipse. Otherwise (WGS84, rotation, drag) the burnout speed is minimised
    over the flight-path angle, with every candidate flown by `fly` from the burnout point at
    ``lat``, ``lon`` (rad) along ``heading`` (rad): for each angle the speed that reaches the
    range is found by the secant method, and the angle by golden-section search.
    ``iterate=True`` forces that path (used to check it against the closed form).
    """
    rng, alt, lat, lon, heading = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                   np.broadcast_arrays(ground_range, burnout_alt, lat, lon, heading))
    earth = models.earth
    closed = earth.flattening == 0.0 and not models.rotation and not models.drag
    if iterate is None:
        iterate = not closed
    radius = earth.equatorial_radius if earth.flattening == 0.0 else earth.mean_radius
    v0, g0, t0, h0 = _min_energy_closed(rng, alt, radius, earth.gm)
    if not iterate:
        return MinimumEnergy(v0, g0, t0, h0, rng, alt, "closed-form", models)

    def speed_for(gamma):
        """Speed (m/s) reaching the range at flight-path angle gamma (arrays (N,)), secant."""
        va = v0 * 0.98
        vb = v0 * 1.02
        fa = fly(lat, lon, alt, va, gamma, heading, models, beta).ground_range - rng
        fb = fly(lat, lon, alt, vb, gamma, heading, models, beta).ground_range - rng
        for _ in range(40):
            with np.errstate(invalid="ignore", divide="ignore"):
                vc = vb - fb * (vb - va) / (fb - fa)
            vc = np.where(np.isfinite(vc), vc, vb)
            va, fa = vb, fb
            vb = vc
            fb = fly(lat, lon, alt, vb, gamma, heading, models, beta).ground_range - rng
            if np.all(np.abs(vb - va) <= 1e-9 * vb):
                break
        return vb

    gamma, _ = _golden(speed_for, g0 - 0.12, g0 + 0.12, 32)
    speed = speed_for(gamma)
    f = fly(lat, lon, alt, speed, gamma, heading, models, beta)
    return MinimumEnergy(speed, gamma, f.flight_time, f.apogee_alt, rng, alt, "iterated", models)


@dataclass
class Aim(Trajectory):
    """Aimed threat flights: a `Trajectory` plus the burnout states, controls and miss.

    Extra attributes (arrays (N,) unless noted):
        heading: launch azimuth, rad clockwise from north; kick: pitch-over kick angle, rad;
        cutoff: thrust cutoff as a fraction of the total burn time;
        burnout_position, burnout_velocity: (N, 3) Earth-fixed, m and m/s (Earth-relative);
        burnout_lat, burnout_lon (rad), burnout_alt (m), burnout_speed (m/s),
        burnout_gamma, burnout_heading (rad);
        target_lat, target_lon: rad; miss: impact-to-target distance along the surface, m;
        kind: "minimum-energy", "lofted" or "depressed"; full_burn: True where the
        minimum-energy condition had to give way to a full burn to reach the target;
        pair_index: index of each flight in the pairs given to `aim`.
    """

    heading: np.ndarray | None = None
    kick: np.ndarray | None = None
    cutoff: np.ndarray | None = None
    burnout_position: np.ndarray | None = None
    burnout_velocity: np.ndarray | None = None
    burnout_lat: np.ndarray | None = None
    burnout_lon: np.ndarray | None = None
    burnout_alt: np.ndarray | None = None
    burnout_speed: np.ndarray | None = None
    burnout_gamma: np.ndarray | None = None
    burnout_heading: np.ndarray | None = None
    target_lat: np.ndarray | None = None
    target_lon: np.ndarray | None = None
    miss: np.ndarray | None = None
    full_burn: np.ndarray | None = None
    pair_index: np.ndarray | None = None
    kind: str = "minimum-energy"


def _evaluate(missile, acc, lat, lon, az, kick, cutoff, models: Models, free_models: Models | None = None):
    """Fly N full flights (boost under ``models``, then `fly_states` under ``free_models``,
    default the same). Returns a dict of (N,) arrays: impact_lat, impact_lon, burnout state
    (Earth-fixed), flight_time (burnout to impact), apogee_alt, g (inertial burnout flight-path
    angle minus the minimum-energy angle of the arc flown)."""
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    t_c = cutoff * missile.burn_time
    res, _, _ = run_boost(missile, acc, lat, lon, az, kick, t_c, earth, models.rotation, models.drag)
    ok = res[:, 13] > 0
    r_in, v_in = res[:, 1:4], res[:, 4:7]
    pos, vel = fixed_state(r_in, v_in, t_c, omega)
    pos[~ok] = np.nan
    beta = np.full(len(lat), missile.beta)
    f = fly_states(np.where(ok[:, None], pos, 1.0), np.where(ok[:, None], vel, 0.0), free_models or models, beta)
    t_imp = t_c + f.flight_time
    r_imp_fixed = to_ecef(f.impact_lat, f.impact_lon, 0.0, earth)
    r_imp = rotate_about_z(r_imp_fixed, omega * t_imp)  # inertial frame of the launch
    rn = np.linalg.norm(r_in, axis=1)
    ri = np.linalg.norm(r_imp, axis=1)
    with np.errstate(invalid="ignore"):
        psi = np.arccos(np.clip(np.sum(r_in * r_imp, axis=1) / (rn * ri), -1, 1))
    g = flight_path_angle(r_in, v_in) - min_energy_gamma(rn, ri, psi)
    bad = ~ok | ~np.isfinite(f.flight_time)
    out = {"impact_lat": f.impact_lat, "impact_lon": f.impact_lon, "flight_time": f.flight_time,
           "apogee_alt": f.apogee_alt, "g": g, "position": pos, "velocity": vel, "burnout_time": t_c}
    for k in ("impact_lat", "impact_lon", "flight_time", "apogee_alt", "g"):
        out[k] = np.where(bad, np.nan, out[k])
    return out


@lru_cache(maxsize=32)
def _shape_table(missile, drag: bool):
    """Boosts of the class over a grid of kick angles x cutoffs on the non-rotating sphere,
    with vacuum free flight: (kicks (K,), cutoffs (C,), range (K, C) m, apogee alt (K, C) m,
    g (K, C) rad). Starting values for `aim`."""
    kicks = np.radians(np.linspace(0.5, 85.0, 86))
    cutoffs = np.linspace(_CUTOFF_MIN, 1.0, 33)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    res, _, _ = run_boost(missile, boost_profile(missile), 0.0, 0.0, 0.0, kk.ravel(), cc.ravel() * missile.burn_time,
                          SPHERE, False, drag)
    r, v = res[:, 1:4], res[:, 4:7]
    radius = SPHERE.equatorial_radius
    free = vacuum_range_inertial(r, v, SPHERE)
    rn = np.linalg.norm(r, axis=1)
    down = radius * np.arccos(np.clip(r[:, 0] / rn, -1, 1))  # launch at (radius, 0, 0)
    rng = down + free
    r_apo, _ = apoapsis(r, v, SPHERE.gm)
    g = flight_path_angle(r, v) - min_energy_gamma(rn, radius, free / radius)
    bad = (res[:, 13] == 0) | ~np.isfinite(free)
    rng[bad] = np.nan
    shape = kk.shape
    return kicks, cutoffs, rng.reshape(shape), np.where(bad, np.nan, r_apo - radius).reshape(shape), \
        np.where(bad, np.nan, g).reshape(shape)


def _initial_controls(missile, drag, distance, kind, apogee):
    """Starting kick and cutoff for each target distance from the shaping table."""
    kicks, cutoffs, rng, apo, g = _shape_table(missile, drag)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    kk, cc, rng, apo, g = (x.ravel() for x in (kk, cc, rng, apo, g))
    valid = np.isfinite(rng)
    kk, cc, rng, apo, g = kk[valid], cc[valid], rng[valid], apo[valid], g[valid]
    mode = {"minimum-energy": 0, "lofted": 1, "depressed": 2}[kind]
    best = _table_argmin(np.ascontiguousarray(distance, dtype=float),
                         np.ascontiguousarray(np.broadcast_to(apogee, distance.shape), dtype=float),
                         rng, apo, g, mode)
    return kk[best], cc[best]


@njit(cache=True, parallel=True)
def _table_argmin(distance, apogee, rng, apo, g, mode):
    """Index of the shape-table entry of least cost for each pair: squared relative range error
    plus (mode 0, minimum energy) (g / 0.02 rad)^2, or (mode 1 lofted, 2 depressed) squared
    relative apogee error plus 1 on the wrong side of the minimum-energy angle. First minimum
    wins on ties."""
    out = np.empty(distance.shape[0], dtype=np.int64)
    for i in prange(distance.shape[0]):
        d = distance[i]
        h = apogee[i]
        best = math.inf
        k = 0
        for j in range(rng.shape[0]):
            c = ((rng[j] - d) / d) ** 2
            if mode == 0:
                c += (g[j] / 0.02) ** 2
            else:
                c += ((apo[j] - h) / h) ** 2
                if (g[j] > 0.0) != (mode == 1):
                    c += 1.0
            if c < best:
                best = c
                k = j
        out[i] = k
    return out


def max_range(missile, lat, lon, heading, models: Models = Models(), n_grid: int = 43, n_refine: int = 24):
    """Greatest ground range (m) of the class launched from lat, lon (rad) along ``heading``
    (rad): full burn, kick angle optimised (grid then golden-section search), flown with the
    full model. Returns (range (N,), best kick (N,) rad)."""
    lat, lon, heading = (np.atleast_1d(np.asarray(x, dtype=float)) for x in np.broadcast_arrays(lat, lon, heading))
    n = lat.size
    acc = boost_profile(missile)
    grid = np.radians(np.linspace(0.5, 85.0, n_grid))

    def ranges(kick):
        e = _evaluate(missile, acc, lat, lon, heading, kick, np.ones(n), models)
        d = surface_distance(lat, lon, e["impact_lat"], e["impact_lon"], models.earth)
        return np.where(np.isfinite(e["flight_time"]), d, -1.0)

    table = np.stack([ranges(np.full(n, k)) for k in grid], axis=1)
    i = np.clip(np.argmax(table, axis=1), 1, n_grid - 2)
    kick, best = _golden(ranges, grid[i - 1], grid[i + 1], n_refine, maximise=True)
    coarse = table.max(axis=1)
    kick = np.where(coarse > best, grid[np.argmax(table, axis=1)], kick)
    return np.maximum(best, coarse), kick


def aim(launch_lat, launch_lon, target_lat, target_lon, missile, models: Models = Models(),
        kind: str = "minimum-energy", apogee=None, launch_time=0.0, sample_step: float = 2.0,
        labels=None, unreachable: str = "raise") -> Aim:
    """Aim N flights of one threat class from launch points at targets.

    Args:
        launch_lat, launch_lon, target_lat, target_lon: geodetic, rad (scalars or (N,)).
        missile: a `shieldsim.missile.Missile`.
        models: Earth model, rotation and drag (drag applies to boost and re-entry).
        kind: "minimum-energy" (default), "lofted" or "depressed".
        apogee: for lofted/depressed, apogee altitude of the free flight, m (scalar or (N,)):
            above the minimum-energy apogee for lofted, below it for depressed.
        launch_time: s since the scenario epoch (scalar or (N,)).
        sample_step: step (s) of the common time grid of the returned trajectories.
        labels: optional (N,) names.
        unreachable: "raise" (default) or "skip": leave out the pairs the class cannot fly
            (``Aim.pair_index`` lists the pairs kept).

    Returns:
        An `Aim` (a `Trajectory` with burnout states, controls and miss distance). Impact lies
        within `AIM_TOL` of the target.

    Raises:
        AimError: a target beyond the class's maximum range in that direction (the message
            states that maximum) or closer than 10 km (``cause="range"``), or a shape or apogee
            the class cannot fly to that target (``cause="shape"``); with
            ``unreachable="skip"``, only when it can fly none of the pairs.
        ValueError: a bad ``kind``, ``unreachable`` or apogee.
    """
    if kind not in ("minimum-energy", "lofted", "depressed"):
        raise ValueError(f"kind must be 'minimum-energy', 'lofted' or 'depressed', got {kind!r}")
    if unreachable not in ("raise", "skip"):
        raise ValueError(f"unreachable must be 'raise' or 'skip', got {unreachable!r}")
    lat, lon, tlat, tlon = (np.atleast_1d(np.asarray(x, dtype=float)).copy() for x in
                            np.broadcast_arrays(launch_lat, launch_lon, target_lat, target_lon))
    n = lat.size
    earth = models.earth
    if kind != "minimum-energy":
        if apogee is None:
            raise ValueError(f"a {kind} flight needs an apogee")
        h_t = np.broadcast_to(np.asarray(apogee, dtype=float), (n,)).copy()
        if np.any(~(h_t > 0)):
            raise ValueError("apogee must be > 0 m")
    else:
        h_t = np.zeros(n)
    dist, az_t = geodesic_inverse(lat, lon, tlat, tlon, earth)
    dist = np.atleast_1d(dist)
    az_t = np.atleast_1d(az_t)
    if np.any(dist < 10_000.0):
        raise AimError("launch and target points must be at least 10 km apart", "range")
    acc = boost_profile(missile)

    kick0, cut0 = _initial_controls(missile, models.drag, dist, kind, h_t)
    x = np.stack([az_t, kick0, cut0], axis=1)
    full = np.zeros(n, dtype=bool)
    lo_b = np.array([-np.inf, math.radians(0.1), _CUTOFF_MIN])
    hi_b = np.array([np.inf, _KICK_MAX, 1.0])
    # Newton on flights whose free flight is in vacuum, shifted by the effect of re-entry drag
    # (offsets in range, azimuth and apogee, re-measured with drag after each convergence).
    vacuum = Models(earth, models.rotation, False)
    offset = np.zeros((n, 3))

    def raw(sel, xs, free):
        e = _evaluate(missile, acc, lat[sel], lon[sel], xs[:, 0], xs[:, 1], xs[:, 2], models, free)
        d_i, az_i = _safe_inverse(lat[sel], lon[sel], e, earth)
        return np.stack([d_i, az_i, e["apogee_alt"]], axis=1), e

    free = {"models": vacuum}

    def residual(sel, xs, full_s):
        m, e = raw(sel, xs, free["models"])
        m = m + offset[sel]
        r = np.empty((xs.shape[0], 3))
        r[:, 0] = m[:, 0] - dist[sel]
        r[:, 1] = dist[sel] * np.angle(np.exp(1j * (m[:, 1] - az_t[sel])))
        if kind == "minimum-energy":
            r[:, 2] = np.where(full_s, (xs[:, 2] - 1.0) * 1e6, e["g"] * 1e6)
        else:
            r[:, 2] = m[:, 2] - h_t[sel]
        return r, e

    tol3 = APOGEE_TOL * 0.5 if kind != "minimum-energy" else _GAMMA_TOL * 1e6

    def done(r, full_s):
        miss = np.hypot(r[:, 0], r[:, 1]) < 0.5 * AIM_TOL
        return miss & (np.abs(r[:, 2]) < np.where(full_s, 1.0, tol3))

    step = np.array([1e-6, 1e-5, 1e-5])
    limit = np.array([0.05, math.radians(4.0), 0.05])
    ft = np.full(n, np.nan)  # free-flight time of the flight at x (models of the Newton flights)

    jac = np.full((n, 3, 3), np.nan)  # Jacobian of the residual in the controls, per pair
    fresh = np.zeros(n, dtype=bool)  # jac[i] is a finite-difference Jacobian at x[i]
    have = np.zeros(n, dtype=bool)  # jac[i] is usable (fresh, Broyden-updated or borrowed)

    def fd_jacobian(idx, r_idx):
        """Finite-difference Jacobians at x[idx] (residuals r_idx there), the three columns
        flown in one batch."""
        xi = x[idx]
        xp = np.concatenate([xi] * 3)
        hs = []
        for k in range(3):
            h = step[k] * np.where(xi[:, k] + step[k] > hi_b[k], -1.0, 1.0)
            xp[k * idx.size:(k + 1) * idx.size, k] += h
            hs.append(h)
        rp, _ = residual(np.concatenate([idx] * 3), xp, np.concatenate([full[idx]] * 3))
        for k in range(3):
            jac[idx, :, k] = (rp[k * idx.size:(k + 1) * idx.size] - r_idx) / hs[k][:, None]
        have[idx] = True
        fresh[idx] = True

    def broyden(idx, s_, r_old, r_new):
        """Broyden's rank-one update of jac[idx] for steps s_ that took the residual from r_old
        to r_new: J += (dr - J s) (s/l^2)^T / (s . s/l^2) (controls scaled by ``limit``)."""
        ws = s_ / limit**2
        den = np.sum(s_ * ws, axis=1)
        upd = (den > 0) & np.all(np.isfinite(r_new), axis=1) & np.all(np.isfinite(r_old), axis=1)
        if upd.any():
            i = idx[upd]
            y_ = r_new[upd] - r_old[upd] - np.einsum("nij,nj->ni", jac[i], s_[upd])
            jac[i] = jac[i] + y_[:, :, None] * ws[upd][:, None, :] / den[upd][:, None, None]
            fresh[i] = False

    def newton(sel, keep_jac=False, secant=None):
        """Newton iterations with a trust region on the pairs ``sel`` (updates x, full, ft).

        The Jacobian is taken by finite differences (the three columns flown in one batch) at
        the first iteration (unless ``keep_jac`` and one is at hand) and after a rejected step
        of an aged Jacobian; accepted steps update it with Broyden's rank-one formula (controls
        scaled by ``limit``), so most iterations cost one flight per pair instead of four.
        ``secant``: (pairs, step taken to their x, residual before that step) to update their
        Jacobians with once the residual at x is known."""
        if not keep_jac:
            have[sel] = False
        r = np.full((n, 3), np.nan)
        r[sel], e0 = residual(sel, x[sel], full[sel])
        ft[sel] = e0["flight_time"]
        if secant is not None:
            broyden(*secant, r[secant[0]])
        trust = np.ones(n)
        pending = np.zeros(n, dtype=bool)
        pending[sel] = True
        for _ in range(_AIM_ITER):
            act = np.nonzero(pending & ~done(r, full) & (trust > 1e-6))[0]
            if act.size == 0:
                break
            need = act[~have[act]]
            if need.size:
                fd_jacobian(need, r[need])
            xa, ra, ja = x[act], r[act], jac[act]
            dx = np.zeros_like(xa)
            good_j = np.all(np.isfinite(ja), axis=(1, 2)) & np.all(np.isfinite(ra), axis=1)
            good_j &= np.abs(np.linalg.det(np.where(good_j[:, None, None], ja, 1.0))) > 1e-300
            if good_j.any():
                dx[good_j] = -np.linalg.solve(ja[good_j], ra[good_j][:, :, None])[:, :, 0]
            dx = np.where(np.isfinite(dx), dx, 0.0)
            dx_raw = dx.copy()
            scale = np.max(np.abs(dx) / (limit * trust[act, None]), axis=1)
            dx = dx / np.maximum(scale, 1.0)[:, None]
            xn = np.clip(xa + dx, lo_b, hi_b)
            rn, en = residual(act, xn, full[act])
            old = np.linalg.norm(ra, axis=1)
            new = np.linalg.norm(rn, axis=1)
            good = np.all(np.isfinite(rn), axis=1) & ((new < old) | ~np.isfinite(old)) & good_j
            broyden(act[good], (xn - xa)[good], ra[good], rn[good])
            x[act[good]] = xn[good]
            r[act[good]] = rn[good]
            ft[act[good]] = en["flight_time"][good]
            trust[act[good]] = np.minimum(trust[act[good]] * 2.0, 1.0)
            trust[act[~good]] *= 0.25
            # a rejected step with an aged Jacobian: take a fresh one (and keep the trust region)
            stale = act[~good & ~fresh[act]]
            have[stale] = False
            trust[stale] *= 4.0
            if kind == "minimum-energy":
                # short of the target, near the minimum-energy condition, and Newton asks for more
                # burn than there is: the full burn it is; drop the shaping condition
                switch = ((~full[act]) & (xa[:, 2] + dx_raw[:, 2] > 1.0) & (ra[:, 0] < 0) & (xa[:, 2] > 0.97)
                          & (np.abs(ra[:, 2]) < 2e4))
                if switch.any():
                    s_ = act[switch]
                    full[s_] = True
                    x[s_, 2] = 1.0
                    r[s_], es = residual(s_, x[s_], full[s_])
                    ft[s_] = es["flight_time"]
                    trust[s_] = 1.0
                    have[s_] = False
        return r

    every = np.arange(n)
    work = every

    true_r = np.zeros((n, 3))
    flight_time = np.full(n, np.nan)

    def true_residual(sel):
        """Residuals of the flights ``sel`` flown with drag; True where the miss is met."""
        m_drag, e = raw(sel, x[sel], models)
        true_r[sel] = np.stack([m_drag[:, 0] - dist[sel], dist[sel] * np.angle(np.exp(1j * (m_drag[:, 1] - az_t[sel]))),
                                m_drag[:, 2] - h_t[sel]], axis=1)
        flight_time[sel] = e["flight_time"]
        good = np.hypot(true_r[sel, 0], true_r[sel, 1]) < AIM_TOL
        if kind != "minimum-energy":
            good &= np.abs(true_r[sel, 2]) < APOGEE_TOL
        return good, m_drag

    def warm_newton(sel, bin_size=_WARM_BIN):
        """`newton` on ``sel``, warm-started where many pairs share a launch latitude band
        (`_WARM_LAT`; the model is symmetric about the polar axis, so the launch longitude does
        not matter): the pairs are binned by target position in the launch point's
        azimuthal-equidistant plane (bins of ``bin_size`` m), one pair per bin (nearest its centre) is solved first (the same way,
        with bins `_WARM_COARSEN` times larger, down to the shape table), and the others start
        from that solution moved by one Newton step for the difference in target, with its
        Jacobian (Broyden-updated from there on)."""
        ex = dist[sel] * np.sin(az_t[sel])
        ny = dist[sel] * np.cos(az_t[sel])
        band = np.floor(lat[sel] / _WARM_LAT)  # flights do not depend on the launch longitude
        bx, by = np.floor(ex / bin_size), np.floor(ny / bin_size)
        key = np.stack([band, bx, by], axis=1)
        _, cell = np.unique(key, axis=0, return_inverse=True)
        cell = cell.ravel()
        n_cell = int(cell.max()) + 1 if cell.size else 0
        if n_cell > _WARM_SHARE * sel.size or sel.size < _WARM_MIN:
            return newton(sel)
        off = np.hypot(ex - (bx + 0.5) * bin_size, ny - (by + 0.5) * bin_size)
        order = np.lexsort((sel, off, cell))  # deterministic: nearest the centre, then index
        first = np.ones(order.size, dtype=bool)
        first[1:] = cell[order][1:] != cell[order][:-1]
        rep_of_cell = np.empty(n_cell, dtype=int)
        rep_of_cell[cell[order][first]] = order[first]
        reps = sel[order[first]]
        rest_pos = np.setdiff1d(np.arange(sel.size), order[first])
        rest = sel[rest_pos]
        r_all = warm_newton(reps, bin_size * _WARM_COARSEN)
        if rest.size:
            k = sel[rep_of_cell[cell[rest_pos]]]
            use = done(r_all[k], full[k]) & ~full[k] & have[k]
            j, k = rest[use], k[use]
            if j.size:
                # residual of the solved pair's flight against the other target, then one step
                rj = np.empty((j.size, 3))
                rj[:, 0] = r_all[k, 0] + dist[k] - dist[j]
                rj[:, 1] = (r_all[k, 1] / dist[k] + np.angle(np.exp(1j * (az_t[k] - az_t[j])))) * dist[j]
                rj[:, 2] = r_all[k, 2] + (h_t[k] - h_t[j] if kind != "minimum-energy" else 0.0)
                jj = jac[k].copy()
                jj[:, 1, :] *= (dist[j] / dist[k])[:, None]
                dx = -np.linalg.solve(jj, rj[:, :, None])[:, :, 0]
                dx = np.where(np.isfinite(dx), dx, 0.0)
                dx = dx / np.maximum(np.max(np.abs(dx) / limit, axis=1), 1.0)[:, None]
                x[j] = np.clip(x[k] + dx, lo_b, hi_b)
                jac[j] = jj
                have[j] = True
                fresh[j] = False
            cold = rest[~use]
            have[cold] = False
            r_rest = newton(rest, keep_jac=True, secant=(j, x[j] - x[k], rj) if j.size else None)
            r_all[rest] = r_rest[rest]
        return r_all

    for _outer in range(3):
        r = warm_newton(work) if _outer == 0 else newton(work)
        if not models.drag:
            break
        # re-measure the drag offsets at the current controls; stop where the true miss is met
        ok_true, m_drag = true_residual(work)
        m_vac, _ = raw(work, x[work], vacuum)
        offset[work] = m_drag - m_vac
        offset[work, 1] = np.angle(np.exp(1j * offset[work, 1]))
        work = work[~ok_true]
        if work.size == 0:
            break
    if models.drag and work.size:
        # where the drag offsets do not settle (e.g. near the edge of reach, where range is
        # insensitive to the controls), finish with Newton on the flights flown with drag
        free["models"] = models
        offset[work] = 0.0
        newton(work)
        ok_true, _ = true_residual(work)
        work = work[~ok_true]
    if models.drag:
        ok = np.ones(n, dtype=bool)
        ok[work] = False
        r = true_r
    else:
        ok = done(r, full)
    keep = np.arange(n)
    if unreachable == "skip" and not ok.all():
        keep = np.nonzero(ok)[0]
        if keep.size == 0:
            raise AimError(f"the {missile.name} class cannot fly any of the {n} requested flights", "shape")
        ok = np.ones(n, dtype=bool)
    if not ok.all():
        # a target the class cannot reach: say how far it can fly in that direction
        bad = np.nonzero(~ok)[0]
        reach, _ = max_range(missile, lat[bad], lon[bad], az_t[bad], models)
        over = dist[bad] > reach
        if over.any():
            k = int(np.argmax(over))
            j = int(bad[k])
            raise AimError(
                f"target {dist[j] / 1e3:,.0f} km away is beyond the {missile.name} class's maximum range of "
                f"{reach[k] / 1e3:,.0f} km in that direction (launch heading {math.degrees(az_t[j]) % 360:.1f} deg, "
                f"models {models.as_dict()})" + (f" [pair {j}]" if n > 1 else ""), "range")
        j = int(bad[0])
        what = f"apogee {h_t[j] / 1e3:.0f} km " if kind != "minimum-energy" else ""
        raise AimError(
            f"cannot aim a {kind} {what}flight of the {missile.name} class at a target {dist[j] / 1e3:,.0f} km "
            f"away (launch heading {math.degrees(az_t[j]) % 360:.1f} deg; maximum range in that direction "
            f"{reach[0] / 1e3:,.0f} km): the class cannot fly that shape there "
            f"(remaining miss {np.hypot(r[j, 0], r[j, 1]) / 1e3:.1f} km)" + (f" [pair {j}]" if n > 1 else ""),
            "shape")
    if kind != "minimum-energy":
        # lofted means steeper than the minimum-energy flight, depressed flatter (judged on the
        # vacuum arc, so only for flights that climb above the sensible atmosphere)
        _, e = raw(keep, x[keep], vacuum)
        wrong = np.zeros(n, dtype=bool)
        wrong[keep] = ((e["g"] > 0) != (kind == "lofted")) & (e["apogee_alt"] > DRAG_CEILING)
        if wrong.any() and unreachable == "skip":
            keep = keep[~wrong[keep]]
            if keep.size == 0:
                raise AimError(f"the {missile.name} class cannot fly any of the {n} requested flights", "shape")
        elif wrong.any():
            j = int(np.nonzero(wrong)[0][0])
            side = "above" if kind == "lofted" else "below"
            raise AimError(f"a {kind} flight needs an apogee {side} the minimum-energy apogee for this pair; "
                           f"{h_t[j] / 1e3:.0f} km is not" + (f" [pair {j}]" if n > 1 else ""), "shape")
    if not models.drag:  # the Newton flights were flown with these models: reuse their times
        flight_time[keep] = ft[keep]
    launch_time = np.broadcast_to(np.asarray(launch_time, dtype=float), (n,))[keep]
    out = boosted_trajectories(missile, lat[keep], lon[keep], x[keep, 0], x[keep, 1], x[keep, 2], models,
                               launch_time, sample_step, None if labels is None else np.asarray(labels)[keep],
                               target_lat=tlat[keep], target_lon=tlon[keep], kind=kind, full_burn=full[keep],
                               max_free_flight=float(np.nanmax(flight_time[keep])) + 60.0)
    out.pair_index = keep
    return out


@njit(cache=True, parallel=True)
def _sample_conics(r0, v0, t_impact, gm, omega, sample_dt, out_pos, out_vel):
    """Sample vacuum conics from inertial states (r0, v0) (N, 3) every ``sample_dt`` s while
    before their impact times ``t_impact`` (s; NaN after) into Earth-fixed (N, M, 3) positions
    (m) and Earth-relative velocities (m/s), as `fly_states` samples them. Elliptic arcs step
    Kepler's equation from the previous sample's eccentric anomaly (Newton, 2-3 iterations)
    and use the closed-form Lagrange f and g; other arcs use `propagate_one`."""
    for i in prange(r0.shape[0]):
        rt = np.empty(3)
        vt = np.empty(3)
        a, e, E0 = conic_elements(r0[i], v0[i], gm)
        elliptic = not math.isnan(a) and e > 1e-6
        mean_motion = math.sqrt(gm / a**3) if elliptic else 0.0
        s0, c0 = math.sin(E0), math.cos(E0)
        m0 = E0 - e * s0 if elliptic else 0.0
        rn0 = math.sqrt(r0[i, 0] ** 2 + r0[i, 1] ** 2 + r0[i, 2] ** 2)
        sqa = math.sqrt(gm * a) if elliptic else 0.0
        E, sE, cE = E0, s0, c0
        for k in range(out_pos.shape[1]):
            ts = k * sample_dt
            if not ts < t_impact[i]:
                for j in range(3):
                    out_pos[i, k, j] = math.nan
                    out_vel[i, k, j] = math.nan
                continue
            if elliptic:
                # Kepler's equation by Newton from the previous sample's anomaly; Lagrange f and g
                # from the anomaly difference (sin and cos of it from those of E and E0)
                mk = m0 + mean_motion * ts
                for _ in range(50):
                    sE, cE = math.sin(E), math.cos(E)
                    d = (E - e * sE - mk) / (1.0 - e * cE)
                    E -= d
                    if abs(d) < 1e-12:
                        break
                sE, cE = math.sin(E), math.cos(E)
                sd = sE * c0 - cE * s0
                cd = cE * c0 + sE * s0
                dE = E - E0
                f = 1.0 - a / rn0 * (1.0 - cd)
                g = ts - (dE - sd) / mean_motion
                r1 = a * (1.0 - e * cE)
                fdot = -sqa / (r1 * rn0) * sd
                gdot = 1.0 - a / r1 * (1.0 - cd)
                for j in range(3):
                    rt[j] = f * r0[i, j] + g * v0[i, j]
                    vt[j] = fdot * r0[i, j] + gdot * v0[i, j]
            else:
                propagate_one(r0[i], v0[i], ts, gm, rt, vt)
            fixed_state_one(rt, vt, ts, omega, out_pos[i, k], out_vel[i, k])


@njit(cache=True, parallel=True)
def _join_samples(bpos, bvel, j0, fpos, fvel, pos, vel):
    """pos/vel[i, c] <- boost sample c for c < j0[i], free-flight sample c - j0[i] after it
    while there is one, NaN beyond."""
    for i in prange(pos.shape[0]):
        for c in range(pos.shape[1]):
            k = c - j0[i]
            for j in range(3):
                if k < 0:
                    pos[i, c, j] = bpos[i, c, j]
                    vel[i, c, j] = bvel[i, c, j]
                elif k < fpos.shape[1]:
                    pos[i, c, j] = fpos[i, k, j]
                    vel[i, c, j] = fvel[i, k, j]
                else:
                    pos[i, c, j] = math.nan
                    vel[i, c, j] = math.nan


def _safe_inverse(lat, lon, e, earth):
    """Geodesic distance (m) and initial heading (rad) from launch points (rad) to the impacts
    ``e["impact_lat"]``, ``e["impact_lon"]`` of `_evaluate`; NaN where a flight has no impact."""
    d = np.full(lat.shape, np.nan)
    az = np.full(lat.shape, np.nan)
    ok = np.isfinite(e["impact_lat"])
    if ok.any():
        d[ok], az[ok] = geodesic_inverse(lat[ok], lon[ok], e["impact_lat"][ok], e["impact_lon"][ok], earth)
    return d, az


def boosted_trajectories(missile, lat, lon, heading, kick, cutoff, models: Models = Models(), launch_time=0.0,
                         sample_step: float = 2.0, labels=None, target_lat=None, target_lon=None,
                         kind: str = "minimum-energy", full_burn=None, max_free_flight: float | None = None) -> Aim:
    """Whole flights (launch to impact) of N missiles of one class with given controls.

    The boost (`shieldsim.missile`) is integrated to cutoff and on, unpowered, to the next
    point of the common time grid (``sample_step`` s after launch); from there `fly_states`
    flies the rest, sampled on the same grid. Inputs in rad and s; ``cutoff`` is a fraction of
    the total burn. Returns an `Aim` (miss measured to ``target_lat/lon`` when given).
    ``max_free_flight`` (s), if known, bounds the burnout-to-impact time and saves a probe flight.
    """
    lat, lon, heading, kick, cutoff = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                       np.broadcast_arrays(lat, lon, heading, kick, cutoff))
    n = lat.size
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    acc = boost_profile(missile)
    t_c = cutoff * missile.burn_time
    j0 = np.ceil(t_c / sample_step - 1e-9).astype(int)
    t_end = j0 * sample_step
    kb = int(j0.max()) if n else 0
    res, bpos, bvel = run_boost(missile, acc, lat, lon, heading, kick, t_c, earth, models.rotation, models.drag,
                                t_end=t_end, sample_step=sample_step, n_samples=kb)
    if np.any(res[:, 13] == 0):
        raise ValueError("a boost falls back to the ground before burnout with these controls")
    bo_pos, bo_vel = fixed_state(res[:, 1:4], res[:, 4:7], t_c, omega)
    p_end, v_end = fixed_state(res[:, 7:10], res[:, 10:13], t_end, omega)
    beta = np.full(n, float(missile.beta))
    if not models.drag:  # vacuum free flight: impacts in closed form, then the conics sampled
        f = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(f.flight_time)):
            raise ValueError("a flight never comes back to the surface with these controls")
        m = int(math.floor((float(np.max(f.flight_time)) + sample_step) / sample_step)) + 1
        spos, svel = np.empty((n, m, 3)), np.empty((n, m, 3))
        v_in = inertial_velocity(p_end, v_end, omega)
        _sample_conics(np.ascontiguousarray(p_end), np.ascontiguousarray(v_in), np.ascontiguousarray(f.flight_time),
                       earth.gm, omega, float(sample_step), spos, svel)
        f.sample_time, f.position, f.velocity = np.arange(m) * sample_step, spos, svel
        max_free_flight = float(np.max(f.flight_time))
    elif max_free_flight is None or not np.isfinite(max_free_flight):
        probe = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(probe.flight_time)):
            raise ValueError("a flight never comes back to the surface with these controls")
        max_free_flight = float(np.max(probe.flight_time))
    if models.drag:
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step, max_time=max_free_flight + sample_step)
    if not np.all(np.isfinite(f.flight_time)):
        raise ValueError("a flight never comes back to the surface with these controls")
    if np.any(f.flight_time > max_free_flight + sample_step):  # the bound was too short: sample again
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step,
                       max_time=float(np.max(f.flight_time)) + sample_step)
    m2 = f.sample_time.size
    impact_time = t_end + f.flight_time
    # boost samples before j0, free-flight samples from j0, NaN after; the grid ends after the
    # last impact
    last = min(int(np.ceil(np.max(impact_time) / sample_step)) + 1, kb + m2)
    pos = np.empty((n, last, 3))
    vel = np.empty((n, last, 3))
    _join_samples(bpos, bvel, j0, np.ascontiguousarray(f.position), np.ascontiguousarray(f.velocity), pos, vel)
    blat, blon, balt, bspeed, bgamma, bhead = state_angles(bo_pos, bo_vel, earth)
    rng = surface_distance(lat, lon, f.impact_lat, f.impact_lon, earth)
    if target_lat is not None:
        miss = surface_distance(np.broadcast_to(target_lat, (n,)), np.broadcast_to(target_lon, (n,)),
                                f.impact_lat, f.impact_lon, earth)
    else:
        miss = np.full(n, np.nan)
    return Aim(
        time=np.arange(pos.shape[1]) * sample_step, position=pos, velocity=vel,
        launch_time=np.broadcast_to(np.asarray(launch_time, dtype=float), (n,)).copy(),
        burnout_time=t_c, impact_time=impact_time, apogee_time=t_end + f.apogee_time,
        launch_lat=lat, launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon,
        apogee_alt=f.apogee_alt, ground_range=np.atleast_1d(rng), rcs=np.full(n, float(missile.rcs)), beta=beta,
        models=models, labels=None if labels is None else np.asarray(labels),
        heading=heading, kick=kick, cutoff=cutoff, burnout_position=bo_pos, burnout_velocity=bo_vel,
        burnout_lat=blat, burnout_lon=blon, burnout_alt=balt, burnout_speed=bspeed, burnout_gamma=bgamma,
        burnout_heading=bhead,
        target_lat=None if target_lat is None else np.broadcast_to(target_lat, (n,)).copy(),
        target_lon=None if target_lon is None else np.broadcast_to(target_lon, (n,)).copy(),
        miss=np.atleast_1d(miss), full_burn=np.zeros(n, bool) if full_burn is None else full_burn, kind=kind,
    )
