"""`trajectory.drag_arc`: the drag arc written out stage by stage is the arc of the integrator's
steps with the reference right-hand side, bit for bit."""

import math

import numpy as np
import pytest
from numba import njit

from shieldsim.atmosphere import KINKED_PIECES, density_table, layer_of
from shieldsim.earth import WGS84, fixed_state_one, geodetic_height_one, radial_height_one
from shieldsim.integrator import RK8_DENSE_ROWS, RK8_WORK_ROWS, rk8_dense, rk8_interpolate, rk8_step_from_first
from shieldsim.trajectory import burnout_state
from shieldsim.trajectory import drag_arc as D


@njit
def _reference_arc(y, t, p, table, out_pos, out_vel, next_k, res, best_alt):
    """The drag arc as the integrator's own steps compute it (`rk8_step_from_first`, `rk8_dense`,
    `rk8_interpolate` with `_reentry_deriv`, the step of `_deriv_and_step` ended by
    `_edge_step_from`, samples by `earth.fixed_state_one`): `_drag_arc` before it was written out."""
    a, b, omega, sample_dt = p[D.F_A], p[D.F_B], p[D.F_OMEGA], p[D.F_SAMPLE_DT]
    n_samples = out_pos.shape[0]
    f_ell = 1.0 - b / a
    ynew, ys, yk = np.empty(6), np.empty(6), np.empty(6)
    work = np.empty((RK8_WORK_ROWS, 6))
    coef = np.empty((RK8_DENSE_ROWS, 6))
    kz = min(layer_of(radial_height_one(y, a, b), p[D.F_TOP], table), KINKED_PIECES - 1)
    for _s in range(1_000_000):
        step = D._deriv_and_step(y, p, table, work[0])
        rk_dt, kz_next = D._edge_step_from(y, step, kz, p, table, work[0], True)
        rk8_step_from_first(D._reentry_deriv, 0.0, y, rk_dt, p, table, ynew, work)
        h_new = radial_height_one(ynew, a, b)
        dense = False
        rk_dt_hit = rk_dt
        if h_new < 0.0:
            rk8_dense(D._reentry_deriv, 0.0, y, ynew, rk_dt, p, table, work, coef)
            dense = True
            rk_dt_hit = D._ground_fraction(coef, y, ynew, a, b, ys) * rk_dt
        while next_k < n_samples and next_k * sample_dt < t + rk_dt_hit:
            if not dense:
                rk8_dense(D._reentry_deriv, 0.0, y, ynew, rk_dt, p, table, work, coef)
                dense = True
            rk8_interpolate(coef, y, min(max((next_k * sample_dt - t) / rk_dt, 0.0), 1.0), yk)
            fixed_state_one(yk[:3], yk[3:], next_k * sample_dt, omega, out_pos[next_k], out_vel[next_k])
            next_k += 1
        if h_new < 0.0:
            y[:] = ys
            return t + rk_dt_hit, next_k, best_alt, True
        if h_new > best_alt - 100.0:
            g_new = geodetic_height_one(ynew[0], ynew[1], ynew[2], a, f_ell)[1]
            if g_new > best_alt:
                best_alt = g_new
                res[7] = t + rk_dt
                res[8:11] = ynew[:3]
            if D._geodetic_climb(y, a, b) > 0.0 and D._geodetic_climb(ynew, a, b) <= 0.0:
                if not dense:
                    rk8_dense(D._reentry_deriv, 0.0, y, ynew, rk_dt, p, table, work, coef)
                th, g_top = D._highest_in_step(coef, y, a, f_ell, yk)
                if g_top > best_alt:
                    best_alt = g_top
                    res[7] = t + th * rk_dt
                    res[8:11] = yk[:3]
        y[:] = ynew
        t += rk_dt
        kz = kz_next
        if h_new >= D.DRAG_CEILING and (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) > 0.0:
            break
    return t, next_k, best_alt, False


def _params(beta, sample_dt):
    bottom, top, table = density_table()
    p = np.zeros(D.F_SIZE)
    p[D.F_GM], p[D.F_A], p[D.F_B], p[D.F_OMEGA] = WGS84.gm, WGS84.equatorial_radius, WGS84.polar_radius, WGS84.rotation_rate
    p[D.F_DRAG], p[D.F_BETA], p[D.F_BOTTOM], p[D.F_TOP] = 1.0, beta, bottom, top
    p[D.F_RK_DT], p[D.F_SAMPLE_DT] = D.DRAG_STEP, sample_dt
    return p, table


# (burnout altitude m, speed m/s, flight-path angle deg, ballistic coefficient kg/m^2, time s):
# re-entries from the ceiling, climbs out of the atmosphere, a lob that tops out below the ceiling
# (its highest point inside a step), a slow heavy-drag fall, and a start between sample times
_CASES = [
    (100_000.0, 3000.0, -35.0, 5000.0, 400.0), (99_000.0, 6500.0, -8.0, 20_000.0, 0.0),
    (45_000.0, 2500.0, 40.0, 4000.0, 81.3), (60_000.0, 1200.0, 35.0, 3000.0, 0.0),
    (20_000.0, 900.0, 10.0, 300.0, 17.25), (85_000.0, 2000.0, -60.0, 800.0, 1.0),
]


@pytest.mark.parametrize("n_samples", [0, 400])
def test_drag_arc_is_the_integrators_steps_with_the_reference_derivative_bit_for_bit(n_samples):
    """`_drag_arc` (its stages written out in one loop) gives, on climbing, descending, topping-out
    and heavy-drag arcs, sampled or not, the same end state, time, samples, highest point and
    return values as the arc stepped by `integrator.rk8_step_from_first` / `rk8_dense` /
    `rk8_interpolate` with `_reentry_deriv`: every double equal."""
    rng = np.random.default_rng(7)
    climbed = topped = 0
    for alt, speed, gamma_deg, beta, t0 in _CASES:
        p, table = _params(beta, 2.0)
        r0, v0 = burnout_state(rng.uniform(-1.2, 1.2), rng.uniform(-3, 3), alt, speed, math.radians(gamma_deg),
                               rng.uniform(0, 6.2), WGS84)
        y0 = np.r_[r0[0], v0[0] + np.cross([0, 0, WGS84.rotation_rate], r0[0])]
        k0 = int(math.ceil(t0 / 2.0))
        outs = []
        for arc in (D._drag_arc, _reference_arc):
            y = y0.copy()
            pos, vel = np.full((n_samples, 3), np.nan), np.full((n_samples, 3), np.nan)
            res = np.full(11, -1.0)
            ret = arc(y, t0, p, table, pos, vel, min(k0, n_samples), res, alt - 1.0)
            outs.append((ret, y, pos, vel, res))
        (ret, y, pos, vel, res), (ret_ref, y_ref, pos_ref, vel_ref, res_ref) = outs
        assert ret == ret_ref
        for got, ref in ((y, y_ref), (pos, pos_ref), (vel, vel_ref), (res, res_ref)):
            assert got.tobytes() == ref.tobytes()
        climbed += not ret[3]
        topped += ret[3] and res[7] > t0  # climbed above its start, then came down
        if n_samples:
            assert ret[1] > k0  # samples were taken
    assert climbed >= 1 and topped >= 1  # the cases reach both ends of the arc
