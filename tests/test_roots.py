"""The Illinois bracket update shared by the kernels' regula falsi searches (`shieldsim.roots`)."""

import math

from shieldsim.roots import illinois_update

from numba import njit  # after shieldsim (its cache folder)


def test_the_trial_point_replaces_the_end_on_its_side_and_an_end_kept_twice_is_halved():
    # first trial: replaces hi, nothing halved yet
    assert illinois_update(0.5, -1.0, True, 0.0, 4.0, 1.0, -8.0, 0) == (0.0, 4.0, 0.5, -1.0, -1)
    # hi replaced again: lo is kept a second time in a row, its value halved
    assert illinois_update(0.4, -0.5, True, 0.0, 4.0, 0.5, -1.0, -1) == (0.0, 2.0, 0.4, -0.5, -1)
    # now lo replaced: after a hi replacement nothing is halved
    assert illinois_update(0.3, 0.25, False, 0.0, 2.0, 0.4, -0.5, -1) == (0.3, 0.25, 0.4, -0.5, 1)
    # lo replaced again: hi kept twice, halved
    assert illinois_update(0.35, 0.1, False, 0.3, 0.25, 0.4, -0.5, 1) == (0.35, 0.1, 0.4, -0.25, 1)


@njit
def _solve(f_of, lo, hi, illinois, tol):
    """Regula falsi on f_of over [lo, hi] until |f| < tol: (root, evaluations)."""
    f_lo, f_hi = f_of(lo), f_of(hi)
    side = 0
    for k in range(1, 1000):
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        fx = f_of(x)
        if abs(fx) < tol:
            return x, k
        if illinois:
            lo, f_lo, hi, f_hi, side = illinois_update(x, fx, fx * f_hi > 0.0, lo, f_lo, hi, f_hi, side)
        elif fx * f_hi > 0.0:
            hi, f_hi = x, fx
        else:
            lo, f_lo = x, fx
    return math.nan, 1000


@njit
def _convex(x):
    return math.exp(4.0 * x) - 2.0


def test_a_convex_function_that_stalls_plain_regula_falsi_is_solved_in_a_few_steps():
    x, k = _solve(_convex, 0.0, 2.0, True, 1e-12)
    assert abs(x - math.log(2.0) / 4.0) < 1e-12 and k <= 15
    _, k_plain = _solve(_convex, 0.0, 2.0, False, 1e-12)
    assert k_plain > 4 * k  # plain regula falsi keeps the same end and crawls
