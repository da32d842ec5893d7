"""`integrator.rk4_step`: the one Runge-Kutta step of the boost and the re-entry."""

import math

import numpy as np
from numba import njit

from shieldsim import missile as M
from shieldsim.atmosphere import density_table
from shieldsim.earth import WGS84
from shieldsim.integrator import WORK_ROWS, rk4_step
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
