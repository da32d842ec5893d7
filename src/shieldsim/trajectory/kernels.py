"""Compiled (Numba) kernels of `shieldsim.trajectory`: free flight to impact (exact conic in
vacuum; with drag, conic segments above `DRAG_CEILING` alternate with the eighth-order
Runge-Kutta arcs below it of `shieldsim.trajectory.drag_arc`, whose names are re-exported here),
the impact alone for the aiming Newton iterations (`_impact_vacuum_batch`), conic sampling of a
span (`_sample_conic_span`; whole vacuum flights: `conic_samples`), joining boost and free-flight
samples (or flying whole flights into the rows of one array, `_fly_into_rows`), and the
shape-table search of `aiming`. Plain floats and arrays in, SI units (m, s, rad, m/s);
every kernel writes into caller-provided output arrays. The drag flight `_fly_one` reads its
model from a packed array (`F_*`) and keeps the sample and apogee bookkeeping shared by its
segments.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..earth import fixed_state_one, geodesic_distance_sc, geodetic_height_one, radial_height_one
from ..trig import SINCOS_LANE_MAX, sincos_lane
from ..kepler import conic_elements, propagate_one
from .blocks import (
    BLOCK, W_A, W_C0, W_C1, W_CDLON, W_CL2, W_CLA, W_CLO, W_CUCU, W_CUSU, W_DIST, W_DLON, W_E, W_E0, W_E1, W_HST, W_OK,
    W_QUP, W_QY, W_QZ, W_RN, W_ROWS, W_RX, W_RY, W_RZ, W_S0, W_S1, W_SDLON, W_SL2, W_SLA, W_SLO, W_SUCU, W_SUSU, W_T,
    W_V1, W_VOK, W_VX, W_VY, W_VZ, anomaly_lanes, crossing_lanes, descent_lanes, elements_lanes, highest_finish,
    highest_lanes, highest_start, impact_angles_lanes, impact_lanes, vincenty_lanes, vincenty_start_lanes, window_lanes,
)
from .drag_arc import (  # noqa: F401 (the drag model's names, read here by `flight` and the tests)
    DRAG_CEILING, DRAG_STEP, DRAG_STEP_MAX, F_A, F_B, F_BETA, F_BOTTOM, F_DRAG, F_GM, F_OMEGA, F_RK_DT, F_SAMPLE_DT, F_SIZE,
    F_STEP, F_TOP, _deriv_and_step, _drag_arc, _drag_step, _edge_step, _edge_step_from, _reentry_deriv,
)
from .vacuum import arc_coefficients, arc_descent, arc_elements, arc_highest, arc_time


@njit(cache=True)
def _descend_to_altitude(r0, v0, alt, gm, a_eq, b_pol, r_out, v_out):
    """Follow the conic from (r0, v0) down to height ``alt`` (m) above the ellipsoid: writes the
    state there into r_out, v_out and returns the time taken (s), NaN if the conic never
    descends through that height (`vacuum.arc_descent`: closed form for a trial surface radius,
    the radius refined by fixed-point iteration below 0.1 mm)."""
    a, e, e0, s0, c0, rn = arc_elements(r0[0], r0[1], r0[2], v0[0], v0[1], v0[2], gm)
    if math.isnan(a):
        return math.nan
    e1, s1, c1 = arc_descent(r0[2], v0[2], a, e, e0, s0, c0, rn, gm, a_eq, b_pol, alt)
    if math.isnan(e1):
        return math.nan
    f, g, fd, gd = arc_coefficients(a, e, s0, c0, rn, gm, s1, c1)
    for k in range(3):
        r_out[k] = f * r0[k] + g * v0[k]
        v_out[k] = fd * r0[k] + gd * v0[k]
    return max(arc_time(a, e, e0, s0, gm, e1, s1), 0.0)


@njit(cache=True)
def _anomaly_after(a, e, e0, s0, gm, t):
    """Eccentric anomaly (rad) ``t`` s after e0 (sine s0) on the ellipse (a m, e): Kepler's
    equation by Newton's method from Danby's starting value."""
    m = e0 - e * s0 + math.sqrt(gm / (a * a * a)) * t
    x = m + (0.85 * e if math.sin(m) >= 0.0 else -0.85 * e)
    for _ in range(60):
        d = (x - e * math.sin(x) - m) / (1.0 - e * math.cos(x))
        x -= d
        if abs(d) < 1e-14 * (1.0 + abs(x)):
            break
    return x


@njit(cache=True)
def _highest_point(r0, v0, gm, a_eq, f, t_end, r_out, v_out):
    """Time (s) in [0, t_end] at which the conic from (r0, v0) is highest above the ellipsoid
    (semi-major axis a_eq m, flattening f) -- the greatest geodetic height, not the greatest
    radius -- with the state there in r_out, v_out (`vacuum.arc_highest`). On a sphere (f = 0)
    the apoapsis, or the start when already descending, or the end when the apoapsis comes after
    it. An arc that is not elliptic gives its end."""
    a, e, e0, s0, c0, rn = arc_elements(r0[0], r0[1], r0[2], v0[0], v0[1], v0[2], gm)
    if math.isnan(a) or not (t_end > 0.0):
        t = t_end if t_end > 0.0 else 0.0
        propagate_one(r0, v0, t, gm, r_out, v_out)
        return t
    e1 = _anomaly_after(a, e, e0, s0, gm, t_end)
    x, sx, cx, _ = arc_highest(r0[0], r0[1], r0[2], v0[0], v0[1], v0[2], gm, a_eq, a_eq * (1.0 - f),
                               a, e, e0, s0, c0, rn, e1, math.sin(e1), math.cos(e1))
    fc, g, fd, gd = arc_coefficients(a, e, s0, c0, rn, gm, sx, cx)
    for k in range(3):
        r_out[k] = fc * r0[k] + g * v0[k]
        v_out[k] = fd * r0[k] + gd * v0[k]
    return min(max(arc_time(a, e, e0, s0, gm, x, sx), 0.0), t_end)


@njit(cache=True, parallel=True, nogil=True)
def _fly_vacuum_batch(r0, v0, gm, a_eq, b_pol, res):
    """Vacuum flights to impact in closed form; res rows as in `_fly_one` (inertial)."""
    for i in prange(r0.shape[0]):
        rx, ry, rz, vx, vy, vz = r0[i, 0], r0[i, 1], r0[i, 2], v0[i, 0], v0[i, 1], v0[i, 2]
        a, e, e0, s0, c0, rn = arc_elements(rx, ry, rz, vx, vy, vz, gm)
        e1, s1, c1 = arc_descent(rz, vz, a, e, e0, s0, c0, rn, gm, a_eq, b_pol, 0.0)
        if math.isnan(e1):
            for k in range(11):
                res[i, k] = math.nan
            continue
        f, g, fd, gd = arc_coefficients(a, e, s0, c0, rn, gm, s1, c1)
        res[i, 0] = max(arc_time(a, e, e0, s0, gm, e1, s1), 0.0)
        res[i, 1], res[i, 2], res[i, 3] = f * rx + g * vx, f * ry + g * vy, f * rz + g * vz
        res[i, 4], res[i, 5], res[i, 6] = fd * rx + gd * vx, fd * ry + gd * vy, fd * rz + gd * vz
        x, sx, cx, _ = arc_highest(rx, ry, rz, vx, vy, vz, gm, a_eq, b_pol, a, e, e0, s0, c0, rn, e1, s1, c1)
        f, g, _, _ = arc_coefficients(a, e, s0, c0, rn, gm, sx, cx)
        res[i, 7] = min(max(arc_time(a, e, e0, s0, gm, x, sx), 0.0), res[i, 0])
        res[i, 8], res[i, 9], res[i, 10] = f * rx + g * vx, f * ry + g * vy, f * rz + g * vz


@njit(cache=True, parallel=True)
def _impact_vacuum_batch(pos, vel, omega, gm, a_eq, b_pol, e2, out):
    """Impact of vacuum flights from Earth-fixed states (position m, Earth-relative velocity
    m/s, (N, 3)) on the ellipsoid (a_eq, b_pol m, eccentricity squared e2): out[i] <- [flight
    time s, impact geodetic lat, lon rad] (NaN where the conic never comes down). What the
    aiming Newton iterations need and no more: no apogee search, no speeds or angles at impact
    (`_fly_vacuum_batch` has them)."""
    for i in prange(pos.shape[0]):
        v0 = np.empty(3)
        r1 = np.empty(3)
        v1 = np.empty(3)
        p1 = np.empty(3)
        w1 = np.empty(3)
        v0[0] = vel[i, 0] - omega * pos[i, 1]
        v0[1] = vel[i, 1] + omega * pos[i, 0]
        v0[2] = vel[i, 2]
        dt = _descend_to_altitude(pos[i], v0, 0.0, gm, a_eq, b_pol, r1, v1)
        o = out[i]
        if math.isnan(dt):
            o[:] = math.nan
            continue
        fixed_state_one(r1, v1, dt, omega, p1, w1)
        o[0] = dt
        o[1] = math.atan2(p1[2], (1.0 - e2) * math.hypot(p1[0], p1[1]))
        o[2] = math.atan2(p1[1], p1[0])


@njit(cache=True, error_model="numpy")
def _burnout_lanes(lat, lon, alt, speed, gamma, heading, i0, gm, a_eq, e2, omega, w):
    """Lanes of the block w (`blocks.W_*` rows) <- flights i0 to i0 + `blocks.BLOCK` (or the last): the inertial state at
    burnout from the geodetic burnout state (rad, m, m/s; Earth-fixed axes at burnout, ellipsoid
    a_eq m, eccentricity squared e2, rotation omega rad/s) and the sines and cosines of the
    burnout latitude and longitude (W_DLON <- the longitude); then the arc's elements and E0
    (`blocks.elements_lanes`, `blocks.anomaly_lanes`). Sines and cosines by `trig.sincos_lane`
    (the library's outside its range)."""
    m = min(BLOCK, lat.shape[0] - i0)
    sla, cla, slo, clo = w[W_SLA], w[W_CLA], w[W_SLO], w[W_CLO]
    sh, ch, sg, cg = w[W_SUSU], w[W_CUCU], w[W_CUSU], w[W_SUCU]  # free until the descent
    for j in range(m):
        sla[j], cla[j] = sincos_lane(lat[i0 + j])
        slo[j], clo[j] = sincos_lane(lon[i0 + j])
    for j in range(m):
        sh[j], ch[j] = sincos_lane(heading[i0 + j])
        sg[j], cg[j] = sincos_lane(gamma[i0 + j])
    for j in range(m):
        i = i0 + j
        if not (max(max(abs(lat[i]), abs(lon[i])), max(abs(heading[i]), abs(gamma[i]))) <= SINCOS_LANE_MAX):
            sla[j], cla[j], slo[j], clo[j] = math.sin(lat[i]), math.cos(lat[i]), math.sin(lon[i]), math.cos(lon[i])
            sh[j], ch[j], sg[j], cg[j] = math.sin(heading[i]), math.cos(heading[i]), math.sin(gamma[i]), \
                math.cos(gamma[i])
    for j in range(m):
        i = i0 + j
        nu = a_eq / math.sqrt(1.0 - e2 * sla[j] * sla[j])
        rx = (nu + alt[i]) * cla[j] * clo[j]
        ry = (nu + alt[i]) * cla[j] * slo[j]
        rz = (nu * (1.0 - e2) + alt[i]) * sla[j]
        ve, vn, vu = speed[i] * cg[j] * sh[j], speed[i] * cg[j] * ch[j], speed[i] * sg[j]
        vx = -slo[j] * ve - sla[j] * clo[j] * vn + cla[j] * clo[j] * vu - omega * ry
        vy = clo[j] * ve - sla[j] * slo[j] * vn + cla[j] * slo[j] * vu + omega * rx
        vz = cla[j] * vn + sla[j] * vu
        w[W_RX, j], w[W_RY, j], w[W_RZ, j], w[W_VX, j], w[W_VY, j], w[W_VZ, j] = rx, ry, rz, vx, vy, vz
        w[W_DLON, j] = lon[i]  # until the batch turns it into the longitude difference
    elements_lanes(m, w, gm)
    anomaly_lanes(m, w)


@njit(cache=True, parallel=True)
def _fly_vacuum_geodetic_batch(lat, lon, alt, speed, gamma, heading, gm, a_eq, f, omega, out):
    """Vacuum flights from geodetic burnout states to impact, all in one compiled pass, in blocks
    of `blocks.BLOCK` flights (the descent's and Vincenty's iterations run over the block's lanes
    side by side, `shieldsim.trajectory.blocks`), no per-flight allocation.

    out[i] <- [flight time, impact lat, impact lon, apogee height, apogee time, ground range,
    impact speed, impact flight-path angle] (SI, Earth-relative, lat/lon geodetic). The ground
    range is NaN where Vincenty's formula does not converge (nearly antipodal points). Returns the
    number of such flights (flights that land with a NaN ground range).
    """
    b_pol = a_eq * (1.0 - f)
    e2 = f * (2.0 - f)
    n = lat.shape[0]
    failed = 0
    for blk in prange((n + BLOCK - 1) // BLOCK):
        i0 = blk * BLOCK
        m = min(BLOCK, n - i0)
        w = np.empty((W_ROWS, BLOCK))
        _burnout_lanes(lat, lon, alt, speed, gamma, heading, i0, gm, a_eq, e2, omega, w)
        descent_lanes(m, w, gm, a_eq, b_pol)
        crossing_lanes(m, w)
        for j in range(m):  # the lanes whose descent the block did not finish (or that have none)
            if w[W_OK, j] == 0.0:
                w[W_E1, j], w[W_S1, j], w[W_C1, j] = arc_descent(w[W_RZ, j], w[W_VZ, j], w[W_A, j], w[W_E, j],
                                                                 w[W_E0, j], w[W_S0, j], w[W_C0, j], w[W_RN, j], gm,
                                                                 a_eq, b_pol, 0.0)
        impact_lanes(m, w, gm, e2, omega)
        for j in range(m):  # (indices into out, not a row view: a view costs two atomic reference counts)
            if math.isnan(w[W_E1, j]):
                for k in range(8):
                    out[i0 + j, k] = math.nan
                # no ground range to compute: a harmless geodesic in the lanes
                w[W_SL2, j], w[W_CL2, j], w[W_DLON, j], w[W_SDLON, j], w[W_CDLON, j] = 0.0, 1.0, 1.0, 0.8, 0.6
                w[W_HST, j] = 2.0
                continue
            out[i0 + j, 0], out[i0 + j, 6] = w[W_T, j], w[W_V1, j]
            w[W_HST, j] = 0.0
        if f != 0.0:
            window_lanes(m, w, gm, a_eq, b_pol)
        for j in range(m):
            if w[W_HST, j] == 3.0 or (f == 0.0 and w[W_HST, j] == 0.0):
                highest_start(w, j, gm, a_eq, b_pol, w[W_E1, j], w[W_S1, j], w[W_C1, j], out, i0 + j)
        impact_angles_lanes(m, w)
        for j in range(m):
            if math.isnan(out[i0 + j, 0]):
                continue
            out[i0 + j, 1], out[i0 + j, 2], out[i0 + j, 7] = w[W_QZ, j], w[W_QY, j], w[W_QUP, j]
            w[W_DLON, j] = w[W_QY, j] - w[W_DLON, j]
            if f == 0.0:
                out[i0 + j, 5] = geodesic_distance_sc(w[W_SLA, j], w[W_CLA, j], w[W_SL2, j], w[W_CL2, j],
                                                      w[W_DLON, j], w[W_SDLON, j], w[W_CDLON, j], a_eq, f)
        if f != 0.0:
            vincenty_start_lanes(m, w, f)
            for j in range(m):
                if math.isnan(out[i0 + j, 0]):
                    w[W_VOK, j] = -1.0  # no flight: no distance (a harmless geodesic in the lanes)
            highest_lanes(m, w, a_eq, b_pol)
            for j in range(m):
                highest_finish(w, j, gm, a_eq, b_pol, out, i0 + j)
            vincenty_lanes(m, w, a_eq, f)
            for j in range(m):
                if w[W_VOK, j] > 0.0:
                    out[i0 + j, 5] = w[W_DIST, j]
                elif w[W_VOK, j] == 0.0:
                    out[i0 + j, 5] = geodesic_distance_sc(w[W_SLA, j], w[W_CLA, j], w[W_SL2, j], w[W_CL2, j],
                                                          w[W_DLON, j], w[W_SDLON, j], w[W_CDLON, j], a_eq, f)
        for j in range(m):
            if math.isnan(out[i0 + j, 5]) and not math.isnan(out[i0 + j, 0]):
                failed += 1
    return failed


@njit(cache=True)
def _fly_one(r0, v0, p, log_rho, out_pos, out_vel, res):
    """Fly one arc from the inertial state (r0 m, v0 m/s); p: packed `F_*` parameters, log_rho:
    the density table. res <- [t_impact, r_impact(3), v_impact(3), t_apogee, r_apogee(3)]
    (inertial). Samples every p[F_SAMPLE_DT] s into out_pos/out_vel (as many as they hold)."""
    gm, a, b, omega = p[F_GM], p[F_A], p[F_B], p[F_OMEGA]
    drag = p[F_DRAG] > 0.0
    sample_dt = p[F_SAMPLE_DT]
    n_samples = out_pos.shape[0]
    y = np.empty(6)
    y[:3] = r0
    y[3:] = v0
    ynew = np.empty(6)
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
            next_k = _sample_conic_span(y[:3], y[3:], t, next_k, t + dt, gm, omega, sample_dt, out_pos, out_vel)
            y[:] = ynew
            t += dt
            if not drag:
                break
        # integrate with drag until impact or back above the ceiling (ascending)
        t, next_k, best_alt, impacted = _drag_arc(y, t, p, log_rho, out_pos, out_vel, next_k, res, best_alt)
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
def _fly_batch(r0, v0, beta, params, log_rho, out_pos, out_vel, res):
    """`_fly_one` for every row of r0, v0 (N, 3), each with its own ballistic coefficient beta
    (N,) in a copy of the packed parameters ``params``."""
    for i in prange(r0.shape[0]):
        p = params.copy()
        p[F_BETA] = beta[i]
        _fly_one(r0[i], v0[i], p, log_rho, out_pos[i], out_vel[i], res[i])


@njit(cache=True, parallel=True)
def _fly_into_rows(r0, v0, beta, params, log_rho, rows, j0, bpos, bvel, out_pos, out_vel, res):
    """Whole flights with drag flown in place: `_fly_batch` of the free flights from (r0, v0)[i]
    (inertial, at grid point j0[i] after launch), each sampled into row rows[i] of out_pos/out_vel
    (N_all, M, 3) from column j0[i] on (NaN after impact, to column M), the boost samples
    bpos/bvel[i, c] in its columns c < j0[i] (requires 1 <= j0[i] < M). The samples are those
    `_fly_batch` and `_place_samples` lay out, bit for bit, written once into their final rows."""
    for i in prange(r0.shape[0]):
        p = params.copy()
        p[F_BETA] = beta[i]
        row, k0 = rows[i], j0[i]
        for c in range(k0):
            for j in range(3):
                out_pos[row, c, j] = bpos[i, c, j]
                out_vel[row, c, j] = bvel[i, c, j]
        _fly_one(r0[i], v0[i], p, log_rho, out_pos[row, k0:], out_vel[row, k0:], res[i])


@njit(cache=True)
def _compact_rows(pos, vel, keep, m):
    """Rows keep (increasing) of pos/vel (N, M, 3), their first m <= M columns, moved in place to
    the front: afterwards the first keep.size * m * 3 values of each, read as (keep.size, m, 3),
    hold them in order. Every value is read before it is overwritten (keep[i] >= i, m <= M)."""
    n, big = pos.shape[0], pos.shape[1]
    fp, fv = pos.reshape(n * big * 3), vel.reshape(n * big * 3)
    for i in range(keep.size):
        src, dst = keep[i] * big * 3, i * m * 3
        if src == dst:
            continue
        for e in range(m * 3):
            fp[dst + e] = fp[src + e]
            fv[dst + e] = fv[src + e]


@njit(cache=True)
def _table_cost(j, d, h, rng, apo, g, mode):
    """Cost of shape-table entry j for a pair at distance d (m) with requested apogee h (m): see
    `_table_argmin`."""
    c = ((rng[j] - d) / d) ** 2
    if mode == 0:
        c += (g[j] / 0.02) ** 2
    else:
        c += ((apo[j] - h) / h) ** 2
        if (g[j] > 0.0) != (mode == 1):
            c += 1.0
    return c


_G_NEAR = 0.01
"""Minimum-energy entries of the shape table with |g| at most this (rad) are searched first by
`_table_argmin` (an entry beyond it costs at least (`_G_NEAR` / 0.02)^2)."""


@njit(cache=True, nogil=True)
def _table_argmin(distance, apogee, rng, apo, g, mode):
    """Index of the shape-table entry of least cost for each pair: squared relative range error
    plus (mode 0, minimum energy) (g / 0.02 rad)^2, or (mode 1 lofted, 2 depressed) squared
    relative apogee error plus 1 on the wrong side of the minimum-energy angle. First minimum
    wins on ties (the first entry where no cost is finite). Every cost is at least its squared
    relative range error, so the entries are visited in order of range outwards from the pair's
    distance and the search stops once that bound exceeds the best cost (`_table_search`): the
    same index as a scan of the whole table. Minimum energy: the entries with |g| <= `_G_NEAR`
    are searched first; an entry beyond costs at least (`_G_NEAR` / 0.02)^2 (the rounded
    operations are monotone), so a least cost found below that is the whole table's, ties
    included (the search's answer does not depend on the order of visits); else the whole table
    is searched."""
    order = np.argsort(rng)
    srng = rng[order]
    near = order[np.abs(g[order]) <= _G_NEAR] if mode == 0 else order[:0]
    near_rng = rng[near]
    near_bound = (_G_NEAR / 0.02) ** 2
    out = np.empty(distance.shape[0], dtype=np.int64)
    for i in range(distance.shape[0]):  # serial: a few dozen entries a pair
        if near.size:
            k, best = _table_search(distance[i], apogee[i], near, near_rng, rng, apo, g, mode)
            if best < near_bound:
                out[i] = k
                continue
        out[i] = _table_search(distance[i], apogee[i], order, srng, rng, apo, g, mode)[0]
    return out


@njit(cache=True)
def _table_search(d, h, order, srng, rng, apo, g, mode):
    """`_table_argmin` over the entries ``order`` (sorted by range, ``srng`` their range) for one
    pair (distance d m, apogee h m): entries visited outwards in range from d. Returns (the
    entry, its cost; inf where no cost is finite)."""
    m = srng.shape[0]
    if not abs(d) < math.inf:  # no finite cost: the first entry, as a scan finds
        return 0, math.inf
    best = math.inf
    k = 0
    hi = np.searchsorted(srng, d)
    lo = hi - 1
    while lo >= 0 or hi < m:
        bl = ((srng[lo] - d) / d) ** 2 if lo >= 0 else math.inf
        bh = ((srng[hi] - d) / d) ** 2 if hi < m else math.inf
        if min(bl, bh) > best:
            break
        if lo >= 0 and bl <= bh:
            j = order[lo]
            lo -= 1
        else:
            j = order[hi]
            hi += 1
        c = _table_cost(j, d, h, rng, apo, g, mode)
        if c < best or (c == best and j < k):
            best = c
            k = j
    return k, best


@njit(cache=True)
def _sample_conic_span(r0, v0, t0, k0, t_end, gm, omega, sample_dt, out_pos, out_vel):
    """Samples k = k0, k0 + 1, ... (at k ``sample_dt`` s, while before ``t_end`` s and while
    out_pos has rows) of the vacuum conic through the inertial state (r0, v0) (3,) at time ``t0``
    (s, <= k0 sample_dt), into Earth-fixed positions (m) and Earth-relative velocities (m/s)
    out_pos/out_vel[k]; returns the next k. An elliptic arc steps Kepler's equation from the
    previous sample's eccentric anomaly (Newton, 1-2 iterations) and uses the closed-form
    Lagrange f and g; other arcs use `propagate_one`. The Earth's turn is stepped from sample to
    sample by a rotation (rounding grows by ~1e-16 a sample)."""
    rt = np.empty(3)
    vt = np.empty(3)
    a, e, E0 = conic_elements(r0, v0, gm)
    elliptic = not math.isnan(a) and e > 1e-6
    mean_motion = math.sqrt(gm / a**3) if elliptic else 0.0
    s0, c0 = math.sin(E0), math.cos(E0)
    m0 = E0 - e * s0 if elliptic else 0.0
    rn0 = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    sqa = math.sqrt(gm * a) if elliptic else 0.0
    E, sE, cE = E0, s0, c0
    m_prev = m0
    # the Earth's turn between samples, stepped by rotation (sin and cos of -omega k dt)
    c1, s1 = math.cos(-omega * sample_dt), math.sin(-omega * sample_dt)
    ck, sk = 1.0, 0.0
    if k0 > 0:
        ck, sk = math.cos(-omega * k0 * sample_dt), math.sin(-omega * k0 * sample_dt)
    k = k0
    while k < out_pos.shape[0] and k * sample_dt < t_end:
        ts = k * sample_dt - t0
        if k > k0:
            ck, sk = ck * c1 - sk * s1, sk * c1 + ck * s1
        if elliptic:
            # Kepler's equation by Newton from the previous sample's anomaly moved on by
            # dM / (dM/dE) (one or two iterations); Lagrange f and g from the anomaly difference
            # (sin and cos of it from those of E and E0)
            mk = m0 + mean_motion * ts
            E += (mk - m_prev) / (1.0 - e * cE)
            m_prev = mk
            for _ in range(50):
                sE, cE = math.sin(E), math.cos(E)
                d = (E - e * sE - mk) / (1.0 - e * cE)
                E -= d
                # sin and cos at the corrected anomaly, to O(d^2) < 1e-24
                sE, cE = sE - d * cE, cE + d * sE
                if abs(d) < 1e-12:
                    break
            sd = sE * c0 - cE * s0
            cd = cE * c0 + sE * s0
            dE = E - E0
            f = 1.0 - a / rn0 * (1.0 - cd)
            g = ts - (dE - sd) / mean_motion
            r1 = a * (1.0 - e * cE)
            fdot = -sqa / (r1 * rn0) * sd
            gdot = 1.0 - a / r1 * (1.0 - cd)
            for j in range(3):
                rt[j] = f * r0[j] + g * v0[j]
                vt[j] = fdot * r0[j] + gdot * v0[j]
        else:
            propagate_one(r0, v0, ts, gm, rt, vt)
        # Earth-fixed position and Earth-relative velocity (`fixed_state_one` with the stepped turn)
        wx = vt[0] + omega * rt[1]
        wy = vt[1] - omega * rt[0]
        out_pos[k, 0] = ck * rt[0] - sk * rt[1]
        out_pos[k, 1] = sk * rt[0] + ck * rt[1]
        out_pos[k, 2] = rt[2]
        out_vel[k, 0] = ck * wx - sk * wy
        out_vel[k, 1] = sk * wx + ck * wy
        out_vel[k, 2] = vt[2]
        k += 1
    return k


@njit(cache=True)
def _place_samples(bpos, bvel, j0, pos, vel, last):
    """Whole flights laid out in place: pos/vel (N, M, 3) hold free-flight samples (flight i's
    k-th in row k, NaN after its impact); afterwards the first N * last * 3 values of each, read
    as (N, last, 3), hold the whole flights: boost samples bpos/bvel[i, c] for c < j0[i], the
    free flight's from row j0[i] on, NaN beyond (requires last <= M and 1 <= j0[i] < last).
    Flights are moved in order, each copied towards its place in the direction that reads every
    value before it is overwritten (destination rows of flight i end before row (i + 1) M, where
    flight i + 1's samples start), so no second array is touched."""
    n, m = pos.shape[0], pos.shape[1]
    fp, fv = pos.reshape(n * m * 3), vel.reshape(n * m * 3)
    for i in range(n):
        src, dst = i * m * 3, (i * last + j0[i]) * 3
        count = min(m, last - j0[i]) * 3
        if dst < src:
            for e in range(count):
                fp[dst + e] = fp[src + e]
                fv[dst + e] = fv[src + e]
        elif dst > src:
            for e in range(count - 1, -1, -1):
                fp[dst + e] = fp[src + e]
                fv[dst + e] = fv[src + e]
        for e in range(dst + count, (i + 1) * last * 3):
            fp[e] = math.nan
            fv[e] = math.nan
        for c in range(j0[i]):
            for j in range(3):
                fp[(i * last + c) * 3 + j] = bpos[i, c, j]
                fv[(i * last + c) * 3 + j] = bvel[i, c, j]

