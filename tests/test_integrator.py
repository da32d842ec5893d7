"""`integrator`: the Runge-Kutta steps of the boost and the re-entry (RK4, the eighth-order
DOP853 step) and the dense output of samples within a step."""

import math

import numpy as np
from numba import njit

from shieldsim import missile as M
from shieldsim.atmosphere import density_table
from shieldsim.earth import WGS84
from shieldsim.integrator import (
    RK8_DENSE_ROWS, RK8_WORK_ROWS, WORK_ROWS, rk4_step, rk8_dense, rk8_interpolate, rk8_step,
)
from shieldsim.trajectory import kernels as K


@njit
def _decay(t, y, p, table, out):
    """y' = p[0] y (componentwise); t and table unused."""
    for j in range(y.shape[0]):
        out[j] = p[0] * y[j]


@njit
def _ramp(t, y, p, table, out):
    """y' = table[0] t^3: exact under RK4 (a cubic in t)."""
    out[0] = table[0] * t**3


@njit
def _step_decay(y, dt, lam):
    out = np.empty_like(y)
    rk4_step(_decay, 0.0, y, dt, np.array([lam]), np.empty(0), out, np.empty((WORK_ROWS, y.shape[0])))
    return out


@njit
def _step_ramp(t, y, dt, c):
    out = np.empty_like(y)
    rk4_step(_ramp, t, y, dt, np.empty(0), np.array([c]), out, np.empty((WORK_ROWS, 1)))
    return out


def test_one_step_of_linear_decay_is_the_fourth_order_taylor_polynomial():
    z = -0.3
    got = _step_decay(np.array([1.0, 2.0]), 0.1, -3.0)
    want = 1.0 + z + z * z / 2 + z**3 / 6 + z**4 / 24
    assert np.allclose(got, [want, 2 * want], rtol=1e-15, atol=0)
    assert abs(got[0] - math.exp(z)) > 1e-5  # and not the exact exponential: it is RK4


def test_time_dependent_right_hand_side_is_integrated_exactly_for_a_cubic():
    t0, dt, c = 1.5, 0.7, 2.0
    got = _step_ramp(t0, np.array([0.25]), dt, c)[0]
    want = 0.25 + c * ((t0 + dt) ** 4 - t0**4) / 4
    assert abs(got - want) < 1e-12


def test_global_error_falls_sixteenfold_when_the_step_halves():
    def integrate(n):
        y = np.array([1.0])
        for _ in range(n):
            y = _step_decay(y, 1.0 / n, -2.0)
        return abs(y[0] - math.exp(-2.0))

    ratio = integrate(10) / integrate(20)
    assert 14.0 < ratio < 18.0


@njit
def _oscillator(t, y, p, table, out):
    """y = (x, v): x'' = -x (unit frequency); t, p and table unused."""
    out[0] = y[1]
    out[1] = -y[0]


@njit
def _rk8_oscillator(n, t_end):
    y = np.array([1.0, 0.0])
    out = np.empty(2)
    work = np.empty((RK8_WORK_ROWS, 2))
    for _ in range(n):
        rk8_step(_oscillator, 0.0, y, t_end / n, np.empty(0), np.empty(0), out, work)
        y[:] = out
    return y


def test_rk8_global_error_falls_about_256_fold_when_the_step_halves():
    """Eighth order: one period of the harmonic oscillator in 8 and 16 steps."""
    def err(n):
        y = _rk8_oscillator(n, 2 * math.pi)
        return math.hypot(y[0] - 1.0, y[1])

    ratio = err(8) / err(16)
    assert 180.0 < ratio < 350.0
    assert err(16) < 1e-9


def test_rk8_step_leaves_the_derivative_at_its_start_in_the_first_work_row():
    work = np.empty((RK8_WORK_ROWS, 2))
    out = np.empty(2)
    _rk8_step_oscillator_once(np.array([0.3, -0.4]), 0.5, out, work)
    assert np.array_equal(work[0], [-0.4, -0.3])


@njit
def _rk8_step_oscillator_once(y, dt, out, work):
    rk8_step(_oscillator, 0.0, y, dt, np.empty(0), np.empty(0), out, work)


@njit
def _rk8_dense_oscillator(y, dt, thetas):
    out = np.empty(2)
    work = np.empty((RK8_WORK_ROWS, 2))
    coef = np.empty((RK8_DENSE_ROWS, 2))
    rk8_step(_oscillator, 0.0, y, dt, np.empty(0), np.empty(0), out, work)
    rk8_dense(_oscillator, 0.0, y, out, dt, np.empty(0), np.empty(0), work, coef)
    got = np.empty((thetas.shape[0], 2))
    for k in range(thetas.shape[0]):
        rk8_interpolate(coef, y, thetas[k], got[k])
    return out, got


def test_rk8_step_and_dense_output_are_scipys_dop853_step():
    """One step of 0.8 rad of the oscillator from (1, 0): the step's end and its dense output are
    those of SciPy's DOP853 forced to take the same step (to rounding), on (cos t, -sin t) to 1e-6,
    and the dense output is the step's start and end at theta 0 and 1."""
    from scipy.integrate import DOP853

    ref = DOP853(lambda t, y: np.array([y[1], -y[0]]), 0.0, np.array([1.0, 0.0]), 0.8, first_step=0.8, rtol=1e3,
                 atol=1e3)
    ref.step()
    assert ref.t == 0.8
    thetas = np.array([0.0, 0.3, 0.5, 0.77, 1.0])
    end, got = _rk8_dense_oscillator(np.array([1.0, 0.0]), 0.8, thetas)
    assert np.allclose(end, ref.y, rtol=0, atol=1e-14)
    assert np.allclose(got, np.array([ref.dense_output()(0.8 * x) for x in thetas]), rtol=0, atol=1e-14)
    t = 0.8 * thetas
    assert np.allclose(got, np.stack([np.cos(t), -np.sin(t)], axis=1), rtol=0, atol=1e-6)
    assert np.array_equal(got[0], [1.0, 0.0])
    assert np.allclose(got[-1], end, rtol=0, atol=1e-15)


@njit
def _both_derivs(y, pb, pf, log_rho):
    ob = np.empty(6)
    of = np.empty(6)
    M._boost_deriv(0.0, y, pb, log_rho, ob)
    K._reentry_deriv(0.0, y, pf, log_rho, of)
    return ob, of


def test_boost_without_thrust_and_reentry_share_gravity_and_drag_physics():
    """The two right-hand sides the integrator steps agree on an unpowered point mass (same
    gravity, co-rotating air and drag), so the boost's coast and the re-entry are one model."""
    bottom, step, log_rho = density_table()
    pb = M.boost_params(M.get("nodong"), WGS84, rotation=True, drag=True, sample_step=2.0)
    pb[M.B_ACC], pb[M.B_TAU], pb[M.B_BETA] = 0.0, math.inf, 2500.0
    pf = np.zeros(K.F_SIZE)
    pf[K.F_GM], pf[K.F_A], pf[K.F_B], pf[K.F_OMEGA] = WGS84.gm, WGS84.equatorial_radius, WGS84.polar_radius, \
        WGS84.rotation_rate
    pf[K.F_DRAG], pf[K.F_BETA], pf[K.F_BOTTOM], pf[K.F_STEP] = 1.0, 2500.0, bottom, step
    y = np.array([WGS84.equatorial_radius + 40e3, 1e5, 2e5, -1500.0, 3000.0, 500.0])
    ob, of = _both_derivs(y, pb, pf, log_rho)
    assert np.allclose(ob, of, rtol=1e-13, atol=0)
    drag_free = np.empty(6)
    pf[K.F_BETA] = np.inf
    _, drag_free = _both_derivs(y, pb, pf, log_rho)
    assert np.linalg.norm(of[3:] - drag_free[3:]) > 1.0  # drag at 40 km is felt (m/s^2)
