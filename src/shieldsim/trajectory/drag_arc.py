"""The free flight below the drag ceiling (compiled, Numba): the re-entry's right-hand side
(`_reentry_deriv`: point-mass gravity and drag in air co-rotating with the Earth, the density of
`shieldsim.atmosphere`), its step (`_drag_step`, ended on the density model's layer edges by
`_edge_step`) and the arc itself (`_drag_arc`: eighth-order Runge-Kutta steps of Dormand and
Prince, samples and the impact on their dense output, the highest point kept), which
`shieldsim.trajectory.kernels._fly_one` alternates with conic segments above `DRAG_CEILING`.
Inertial states y = (r m, v m/s); the model's parameters packed in one array (`F_*`); SI units.

`_drag_arc` writes the stages of `integrator.rk8_step_from_first` and `integrator.rk8_dense` out
in one loop, the derivative in one place: the same operations as those steps with
`_reentry_deriv`, so the same flights bit for bit, without the atomic reference counts that each
row view or array handed to an inlined helper costs (a third of the kernel's time before).
The helpers it writes out stay here as the reference (tests compare the two).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..atmosphere import (
    KINKED_PIECES, LAYER_A, LAYER_C, LAYER_HB, LAYER_LNRHO, LAYER_MODE, LAYER_Z, USSA76_R0, density_from_table,
    edge_time, layer_of, next_edge, next_edge_from,
)
from ..earth import geodetic_height_one, radial_height_one, surface_radius_one
from ..integrator import (
    RK8_A_COL, RK8_A_PTR, RK8_A_VAL, RK8_B_COL, RK8_B_PTR, RK8_B_VAL, RK8_D_COL, RK8_D_PTR, RK8_D_VAL, RK8_DENSE_ROWS,
    RK8_STAGES, RK8_STAGES_DENSE, RK8_WORK_ROWS, rk8_interpolate,
)

DRAG_CEILING = 100_000.0
"""Altitude (m) below which drag is integrated when drag is on."""

DRAG_STEP = 0.05
"""Shortest Runge-Kutta step (s) of the flight below `DRAG_CEILING` (see `_drag_step`)."""


F_GM, F_A, F_B, F_OMEGA, F_DRAG, F_BETA, F_BOTTOM, F_TOP, F_RK_DT, F_SAMPLE_DT = range(10)
F_STEP = F_TOP  # the slot's name when the density was a table of uniform steps
F_SIZE = 10
"""Packed free-flight parameters (`_fly_one`): GM (m^3/s^2), ellipsoid semi-axes a, b (m),
rotation rate (rad/s), drag switch (0/1), ballistic coefficient (kg/m^2; per flight), bottom and
top of the density model (m, `atmosphere.density_table`), Runge-Kutta step and sample step (s)."""


@njit(cache=True, inline="always")
def _air_state(y, p, log_rho):
    """At the inertial state y = (r m, v m/s), p packed `F_*`: (|r| m, the velocity relative to
    the air co-rotating with the Earth, v_air = v - omega x r, as vx, vy, vz and its norm m/s,
    the height above the ellipsoid along the radius m, the air density there kg/m^3)."""
    rn = math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2)
    omega = p[F_OMEGA]
    vx = y[3] + omega * y[1]
    vy = y[4] - omega * y[0]
    vz = y[5]
    vn = math.sqrt(vx * vx + vy * vy + vz * vz)
    h = rn - surface_radius_one(y[2] / rn, p[F_A], p[F_B])
    return rn, vx, vy, vz, vn, h, density_from_table(h, p[F_BOTTOM], p[F_TOP], log_rho)


@njit(cache=True)
def _reentry_deriv(t, y, p, log_rho, out):
    """d(r, v)/dt (into out) of a point mass at inertial r (m) with velocity v (m/s), y = (r, v):
    point-mass gravity plus drag rho |v_air| v_air / (2 beta) (beta kg/m^2) in air co-rotating
    with the Earth, rho from the density table at the height above the ellipsoid along the
    radius; p: packed `F_*` parameters. No explicit time dependence (t unused)."""
    rn, vx, vy, vz, vn, _, rho = _air_state(y, p, log_rho)
    _deriv_of_air(y, p, rn, vx, vy, vz, vn, rho, out)


@njit(cache=True, inline="always")
def _deriv_of_air(y, p, rn, vx, vy, vz, vn, rho, out):
    """`_reentry_deriv` from the air state of y (`_air_state`: |r|, v_air and its norm, density)."""
    k = -p[F_GM] / rn**3
    d = -rho * vn / (2.0 * p[F_BETA])
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = k * y[0] + d * vx
    out[4] = k * y[1] + d * vy
    out[5] = k * y[2] + d * vz


DRAG_STEP_MAX = 4.0
"""Longest Runge-Kutta step (s) of the flight below `DRAG_CEILING` (see `_drag_step`)."""

_DRAG_SCALE_HEIGHT = 7000.0  # m, the order of the density scale height below 100 km
_CEILING_PAST = 1e-3  # s: a climbing flight's last drag step ends this long after reaching the ceiling
_DRAG_STEP_REF = 0.8  # s: the step at a_d = 400 m/s^2 changing at the rate 1 / (3.5 s)
_DRAG_STEP_TOL = 400.0 * _DRAG_STEP_REF * (_DRAG_STEP_REF / 3.5) ** 8  # m/s per step: a_d h (h / tau)^8 there


@njit(cache=True)
def _drag_step(y, p, table):
    """Runge-Kutta step (s) of the drag flight at the inertial state y (m, m/s); p: packed `F_*`.

    The eighth-order step's local error in the velocity is of order a_d h (h / tau)^8, with a_d
    the drag deceleration and 1/tau the faster of the rates at which it changes: the descent
    through the density scale height (|v_radial| / 7 km) and the slowing (a_d / v). The step holds
    that error at `_DRAG_STEP_TOL`, its value for a `_DRAG_STEP_REF` s step where the deceleration
    is greatest on a typical re-entry (400 m/s^2 at 2 km/s of descent), between p[F_RK_DT]
    (`DRAG_STEP`) and `DRAG_STEP_MAX`. A flight climbing towards the ceiling steps to just past
    it (no drag integrated above it, as the model has it). A continuous function of the state,
    so flights stay smooth functions of their initial states (`_edge_step` may shorten it)."""
    rn, _, _, _, vn, h, rho = _air_state(y, p, table)
    return _step_of_air(y, p, rn, vn, h, rho)


@njit(cache=True)
def _deriv_and_step(y, p, table, out):
    """`_reentry_deriv` of y into ``out`` and `_drag_step` at y (returned), the air state
    (`_air_state`) computed once for both: the same values, bit for bit."""
    rn, vx, vy, vz, vn, h, rho = _air_state(y, p, table)
    _deriv_of_air(y, p, rn, vx, vy, vz, vn, rho, out)
    return _step_of_air(y, p, rn, vn, h, rho)


@njit(cache=True, inline="always")
def _step_of_air(y, p, rn, vn, h, rho):
    """`_drag_step` from the air state of y (`_air_state`: |r|, the air speed, height, density)."""
    v_up = (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / rn
    return _step_size(v_up, vn, h, rho, p[F_BETA], p[F_RK_DT])


@njit(cache=True)
def _edge_step(y, dt, kz, p, table, acc):
    """The step (s) to take from the inertial state y instead of ``dt`` so that it ends on the
    next layer edge of the density model (`atmosphere.layer_edges`) the flight would cross
    within it, and the layer index after the step (``kz`` is the layer the flight is in). The
    crossing time comes from the quadratic r + v t + a t^2 / 2 (`atmosphere.edge_time`; a:
    gravity and drag at y, into ``acc``; computed only when the present vertical speed reaches
    an edge within 1.5 steps): within a metre of the integrated path, where a kink in the drag
    costs the eighth-order step nothing measurable."""
    return _edge_step_from(y, dt, kz, p, table, acc, False)


@njit(cache=True)
def _edge_step_from(y, dt, kz, p, table, acc, have_acc):
    """`_edge_step`; with ``have_acc`` acc holds `_reentry_deriv` at y already (not computed again)."""
    z_edge, k_next, t_lin = next_edge(y, kz, p[F_TOP], table, p[F_A], p[F_B])
    if not t_lin <= 1.5 * dt:
        return dt, kz
    if not have_acc:
        _reentry_deriv(0.0, y, p, table, acc)
    tc = edge_time(y, acc, z_edge, 1.5 * dt, p[F_A], p[F_B])
    if tc > dt:
        return dt, kz
    return tc, k_next


@njit(cache=True)
def _ground_fraction(coef, y, ynew, a, b, ys):
    """Fraction (0-1) of a step (dense output ``coef`` from y to ynew, `integrator.rk8_dense`)
    at which the height above the ellipsoid (semi-axes a, b m) along the radius is zero, the state
    there into ys: regula falsi (Illinois) on the dense output to 0.1 mm."""
    lo, hi = 0.0, 1.0
    f_lo, f_hi = radial_height_one(y, a, b), radial_height_one(ynew, a, b)
    th = f_lo / (f_lo - f_hi)
    for _ in range(60):
        rk8_interpolate(coef, y, th, ys)
        f = radial_height_one(ys, a, b)
        if abs(f) < 1e-4 or hi - lo < 1e-14:
            break
        if f > 0.0:
            lo, f_lo = th, f
            f_hi *= 0.5
        else:
            hi, f_hi = th, f
            f_lo *= 0.5
        th = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
    return th


@njit(cache=True)
def _geodetic_climb(y, a, b):
    """Rate (m/s) at which the geodetic height above the ellipsoid (semi-axes a, b m) of the state
    y (position m, velocity m/s) grows: the velocity along the ellipsoid's normal there (the
    normal of the confocal-free approximation (x / a^2, y / a^2, z / b^2), exact on the surface
    and within a part in 1e5 of the height's gradient below 1,000 km)."""
    nx, ny, nz = y[0] / (a * a), y[1] / (a * a), y[2] / (b * b)
    return (nx * y[3] + ny * y[4] + nz * y[5]) / math.sqrt(nx * nx + ny * ny + nz * nz)


@njit(cache=True)
def _highest_in_step(coef, y, a, f_ell, out):
    """Fraction (0-1) of a step (dense output ``coef`` from y, `integrator.rk8_dense`) at which
    the geodetic height above the ellipsoid (semi-major axis a m, flattening f_ell) is greatest,
    and that height (m), the state there into ``out``: golden-section search to 1e-9 of the step."""
    g = 0.5 * (math.sqrt(5.0) - 1.0)
    lo, hi = 0.0, 1.0
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    rk8_interpolate(coef, y, x1, out)
    f1 = geodetic_height_one(out[0], out[1], out[2], a, f_ell)[1]
    rk8_interpolate(coef, y, x2, out)
    f2 = geodetic_height_one(out[0], out[1], out[2], a, f_ell)[1]
    while hi - lo > 1e-9:
        if f1 >= f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            rk8_interpolate(coef, y, x1, out)
            f1 = geodetic_height_one(out[0], out[1], out[2], a, f_ell)[1]
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            rk8_interpolate(coef, y, x2, out)
            f2 = geodetic_height_one(out[0], out[1], out[2], a, f_ell)[1]
    th = 0.5 * (lo + hi)
    rk8_interpolate(coef, y, th, out)
    return th, geodetic_height_one(out[0], out[1], out[2], a, f_ell)[1]


@njit(cache=True, inline="always")
def _row_sum(start, stop, cols, vals, work):
    """sum over q in [start, stop) of vals[q] work[cols[q], :6], the six components side by side
    (scalars, no row view): one row of a DOP853 coefficient table without its zeros
    (`integrator.RK8_A_PTR` ...) applied to the stage derivatives in ``work``, terms in column order."""
    a0 = a1 = a2 = a3 = a4 = a5 = 0.0
    for q in range(start, stop):
        c, m = vals[q], cols[q]
        a0 += c * work[m, 0]
        a1 += c * work[m, 1]
        a2 += c * work[m, 2]
        a3 += c * work[m, 3]
        a4 += c * work[m, 4]
        a5 += c * work[m, 5]
    return a0, a1, a2, a3, a4, a5


@njit(cache=True)
def _drag_arc(y, t, p, table, out_pos, out_vel, next_k, res, best_alt):
    """Integrate the drag flight from the inertial state y (m, m/s; updated in place) at time t
    (s) below `DRAG_CEILING` until impact or until it climbs back above the ceiling: eighth-order
    steps (`_drag_step`, ending on layer edges by `_edge_step`), samples every p[F_SAMPLE_DT] s
    from the step's dense output into out_pos/out_vel from index next_k, the impact located on
    the dense output (`_ground_fraction`), the highest point so far (best_alt m; its time and
    position into res[7:11]) kept. Returns (t, next_k, best_alt, impacted).

    The same operations as `integrator.rk8_step_from_first` and `integrator.rk8_dense` with
    `_reentry_deriv` (and `_deriv_and_step`, `_edge_step_from`, `integrator.rk8_interpolate`,
    `earth.fixed_state_one`), so the same flight bit for bit, written out in one loop over the
    stages: every derivative is computed in one place, into the rows of ``work`` by index. A row
    view, or an array handed to a helper, costs two atomic reference counts, which were a third
    of the kernel's time; here the per-stage work touches no reference count. Also the same
    values, with less work: a step after a dense output takes its first stage (and the air state
    of its step size) from that output's derivative at the step's end, the same state; the sums
    skip the zero coefficients of DOP853 (`integrator.RK8_A_PTR` ...), adding the others in the
    same order; the density's piece is searched from the last one found."""
    a, b, omega, sample_dt = p[F_A], p[F_B], p[F_OMEGA], p[F_SAMPLE_DT]
    gm, beta, bottom, top = p[F_GM], p[F_BETA], p[F_BOTTOM], p[F_TOP]
    n_samples = out_pos.shape[0]
    f_ell = 1.0 - b / a
    ynew = np.empty(6)
    ys = np.empty(6)
    yk = np.empty(6)
    acc6 = np.empty(6)
    work = np.empty((RK8_WORK_ROWS, 6))
    coef = np.empty((RK8_DENSE_ROWS, 6))
    kz = min(layer_of(radial_height_one(y, a, b), top, table), KINKED_PIECES - 1)
    last = table.shape[0] - 1
    kh = last  # the density model's piece of the last derivative: where the next one's search starts
    fsal = False  # work[RK8_STAGES] holds the derivative at y (the last step's end; its air state below)
    rn_e, vn_e, h_e, rho_e = 0.0, 0.0, 0.0, 0.0
    for _s in range(10_000_000):
        rk_dt, kz_next, h_new, dense = 0.0, kz, 0.0, False
        for s in range(RK8_STAGES_DENSE):  # the stages (the dense output's four only when needed)
            if s == 0 and fsal:  # the derivative at y is the last dense output's at its step's end
                for j in range(6):
                    work[0, j] = work[RK8_STAGES, j]
                rn, vn, h, rho = rn_e, vn_e, h_e, rho_e
            else:
                if s == 0:
                    x0, x1, x2, x3, x4, x5 = y[0], y[1], y[2], y[3], y[4], y[5]
                elif s == RK8_STAGES:
                    x0, x1, x2, x3, x4, x5 = ynew[0], ynew[1], ynew[2], ynew[3], ynew[4], ynew[5]
                else:  # y + dt sum_m A[s, m] work[m], the zero A[s, m] skipped (the same sums)
                    a0, a1, a2, a3, a4, a5 = _row_sum(RK8_A_PTR[s], RK8_A_PTR[s + 1], RK8_A_COL, RK8_A_VAL, work)
                    x0, x1, x2 = y[0] + rk_dt * a0, y[1] + rk_dt * a1, y[2] + rk_dt * a2
                    x3, x4, x5 = y[3] + rk_dt * a3, y[4] + rk_dt * a4, y[5] + rk_dt * a5
                # `_reentry_deriv` at x into work[s] (`_air_state`, `atmosphere.density_from_table`)
                rn = math.sqrt(x0 ** 2 + x1 ** 2 + x2 ** 2)
                vx = x3 + omega * x1
                vy = x4 - omega * x0
                vz = x5
                vn = math.sqrt(vx * vx + vy * vy + vz * vz)
                h = rn - surface_radius_one(x2 / rn, a, b)
                rho = 0.0
                if not h > top:
                    z = max(h, bottom)
                    k = kh  # the last piece of `density_from_table`'s search, found from the previous one's
                    while k < last and not z < table[k + 1, LAYER_Z]:
                        k += 1
                    while k > 0 and z < table[k, LAYER_Z]:
                        k -= 1
                    kh = k
                    mode = table[k, LAYER_MODE]
                    if mode == 2.0:
                        rho = math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_A] * (z - table[k, LAYER_Z]))
                    else:
                        dh = USSA76_R0 * z / (USSA76_R0 + z) - table[k, LAYER_HB]
                        if mode == 1.0:
                            rho = math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_A] * dh)
                        else:
                            rho = math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_C] * math.log1p(table[k, LAYER_A] * dh))
                kg = -gm / rn**3
                d = -rho * vn / (2.0 * beta)
                work[s, 0] = x3
                work[s, 1] = x4
                work[s, 2] = x5
                work[s, 3] = kg * x0 + d * vx
                work[s, 4] = kg * x1 + d * vy
                work[s, 5] = kg * x2 + d * vz
            if s == 0:  # the step (`_drag_step`), ended on a layer edge (`_edge_step_from`)
                v_up = (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / rn
                rk_dt = _step_size(v_up, vn, h, rho, beta, p[F_RK_DT])
                z_edge, k_edge, t_lin = next_edge_from(h, v_up, kz, table)  # `next_edge` at y
                if t_lin <= 1.5 * rk_dt:
                    for j in range(6):
                        acc6[j] = work[0, j]
                    tc = edge_time(y, acc6, z_edge, 1.5 * rk_dt, a, b)
                    if not tc > rk_dt:
                        rk_dt, kz_next = tc, k_edge
            elif s == RK8_STAGES:  # the step's end: its air state serves the next step's first stage
                rn_e, vn_e, h_e, rho_e = rn, vn, h, rho
            elif s == RK8_STAGES - 1:  # the step's end; the dense output only when needed
                a0, a1, a2, a3, a4, a5 = _row_sum(0, RK8_B_PTR[1], RK8_B_COL, RK8_B_VAL, work)
                ynew[0], ynew[1], ynew[2] = y[0] + rk_dt * a0, y[1] + rk_dt * a1, y[2] + rk_dt * a2
                ynew[3], ynew[4], ynew[5] = y[3] + rk_dt * a3, y[4] + rk_dt * a4, y[5] + rk_dt * a5
                rn_new = math.sqrt(ynew[0] * ynew[0] + ynew[1] * ynew[1] + ynew[2] * ynew[2])
                h_new = rn_new - surface_radius_one(ynew[2] / rn_new, a, b)
                dense = h_new < 0.0 or (next_k < n_samples and next_k * sample_dt < t + rk_dt)
                if not dense and h_new > best_alt - 100.0:
                    dense = _geodetic_climb(y, a, b) > 0.0 and _geodetic_climb(ynew, a, b) <= 0.0
                if not dense:
                    break
        fsal = dense
        if dense:  # `integrator.rk8_dense`'s coefficients (the zero D[r, m] skipped)
            for j in range(6):
                dy = ynew[j] - y[j]
                coef[0, j] = dy
                coef[1, j] = rk_dt * work[0, j] - dy
                coef[2, j] = 2.0 * dy - rk_dt * (work[RK8_STAGES, j] + work[0, j])
            for r in range(RK8_D_PTR.shape[0] - 1):
                a0, a1, a2, a3, a4, a5 = _row_sum(RK8_D_PTR[r], RK8_D_PTR[r + 1], RK8_D_COL, RK8_D_VAL, work)
                coef[3 + r, 0], coef[3 + r, 1], coef[3 + r, 2] = rk_dt * a0, rk_dt * a1, rk_dt * a2
                coef[3 + r, 3], coef[3 + r, 4], coef[3 + r, 5] = rk_dt * a3, rk_dt * a4, rk_dt * a5
        rk_dt_hit = rk_dt
        if h_new < 0.0:  # impact inside the step: on the dense output
            rk_dt_hit = _ground_fraction(coef, y, ynew, a, b, ys) * rk_dt
        while next_k < n_samples and next_k * sample_dt < t + rk_dt_hit:
            # `integrator.rk8_interpolate` and `earth.fixed_state_one`, written out
            theta = min(max((next_k * sample_dt - t) / rk_dt, 0.0), 1.0)
            for j in range(6):
                acc = 0.0
                for i in range(RK8_DENSE_ROWS - 1, -1, -1):
                    acc += coef[i, j]
                    if (RK8_DENSE_ROWS - 1 - i) % 2 == 0:
                        acc *= theta
                    else:
                        acc *= 1.0 - theta
                yk[j] = y[j] + acc
            ts = next_k * sample_dt
            c, sn = math.cos(-omega * ts), math.sin(-omega * ts)
            wx = yk[3] + omega * yk[1]
            wy = yk[4] - omega * yk[0]
            out_pos[next_k, 0] = c * yk[0] - sn * yk[1]
            out_pos[next_k, 1] = sn * yk[0] + c * yk[1]
            out_pos[next_k, 2] = yk[2]
            out_vel[next_k, 0] = c * wx - sn * wy
            out_vel[next_k, 1] = sn * wx + c * wy
            out_vel[next_k, 2] = yk[5]
            next_k += 1
        if h_new < 0.0:
            for j in range(6):
                y[j] = ys[j]
            return t + rk_dt_hit, next_k, best_alt, True
        if h_new > best_alt - 100.0:  # radial and geodetic heights differ by metres here
            g_new = geodetic_height_one(ynew[0], ynew[1], ynew[2], a, f_ell)[1]
            if g_new > best_alt:
                best_alt = g_new
                res[7] = t + rk_dt
                res[8], res[9], res[10] = ynew[0], ynew[1], ynew[2]
            if _geodetic_climb(y, a, b) > 0.0 and _geodetic_climb(ynew, a, b) <= 0.0:
                # the flight tops out inside the step: its highest point on the dense output
                th, g_top = _highest_in_step(coef, y, a, f_ell, yk)
                if g_top > best_alt:
                    best_alt = g_top
                    res[7] = t + th * rk_dt
                    res[8], res[9], res[10] = yk[0], yk[1], yk[2]
        for j in range(6):
            y[j] = ynew[j]
        t += rk_dt
        kz = kz_next
        if h_new >= DRAG_CEILING and (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) > 0.0:
            break  # climbed out of the atmosphere: back to the conic
    return t, next_k, best_alt, False


@njit(cache=True, inline="always")
def _step_size(v_up, vn, h, rho, beta, shortest):
    """`_drag_step` from the air state (vertical speed v_up m/s, air speed vn m/s, height h m,
    density rho kg/m^3), ballistic coefficient beta (kg/m^2) and the shortest step (s)."""
    a_d = rho * vn * vn / (2.0 * beta)
    step = DRAG_STEP_MAX
    if a_d > 0.0:
        rate = max(abs(v_up) / _DRAG_SCALE_HEIGHT, a_d / max(vn, 1.0))
        r8 = rate ** 8
        if r8 > 0.0:
            step = min(max((_DRAG_STEP_TOL / (a_d * r8)) ** (1.0 / 9.0), shortest), DRAG_STEP_MAX)
    if v_up > 0.0 and h < DRAG_CEILING:  # climbing out: end the drag flight just past the ceiling
        step = min(step, (DRAG_CEILING - h) / v_up + _CEILING_PAST)
    return step
