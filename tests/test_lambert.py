"""kepler.lambert: the batch short-way Lambert solver."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares, minimize_scalar

from shieldsim.earth import GM_EARTH
from shieldsim.kepler import lambert, propagate


def _random_pairs(n, seed, max_angle_deg=175.0):
    rng = np.random.default_rng(seed)
    r1 = rng.normal(size=(n, 3))
    r1 /= np.linalg.norm(r1, axis=1)[:, None]
    # second direction at a controlled angle from the first
    helper = rng.normal(size=(n, 3))
    perp = helper - np.sum(helper * r1, axis=1)[:, None] * r1
    perp /= np.linalg.norm(perp, axis=1)[:, None]
    ang = np.radians(rng.uniform(2.0, max_angle_deg, n))
    r2 = np.cos(ang)[:, None] * r1 + np.sin(ang)[:, None] * perp
    r1 *= rng.uniform(6.4e6, 8.4e6, n)[:, None]
    r2 *= rng.uniform(6.4e6, 8.4e6, n)[:, None]
    tof = rng.uniform(30.0, 5000.0, n)
    return r1, r2, tof


def test_lambert_arc_propagated_for_its_time_of_flight_reaches_the_target():
    r1, r2, tof = _random_pairs(5000, seed=3)
    v1, v2 = lambert(r1, r2, tof)
    assert np.isfinite(v1).all() and np.isfinite(v2).all()
    r, v = propagate(r1, v1, tof)
    rel = np.linalg.norm(r - r2, axis=1) / np.linalg.norm(r2, axis=1)
    assert rel.max() < 1e-6
    # the arrival velocity is the propagated one
    assert (np.linalg.norm(v - v2, axis=1) / np.linalg.norm(v2, axis=1)).max() < 1e-6


def test_lambert_solution_is_the_short_way_round():
    r1, r2, tof = _random_pairs(500, seed=5)
    v1, _ = lambert(r1, r2, tof)
    # angular momentum along r1 x r2: the arc sweeps the angle below 180 degrees
    h = np.cross(r1, v1)
    assert (np.sum(h * np.cross(r1, r2), axis=1) > 0).all()


def _shoot(r1, r2, tof, guess):
    """Independent solution: integrate the two-body equations with solve_ivp and adjust the
    initial velocity until the end point is r2 (least squares)."""

    def rhs(_t, y):
        r = y[:3]
        return np.concatenate([y[3:], -GM_EARTH * r / np.linalg.norm(r) ** 3])

    def miss(v0):
        sol = solve_ivp(rhs, (0.0, tof), np.concatenate([r1, v0]), rtol=1e-12, atol=1e-6, method="DOP853")
        return (sol.y[:3, -1] - r2) / 1e3

    return least_squares(miss, guess, xtol=1e-14, ftol=1e-14, gtol=1e-14).x


@pytest.mark.parametrize(
    "angle_deg, tof, alt1_km, alt2_km",
    [(10.0, 300.0, 100.0, 300.0), (30.0, 900.0, 200.0, 50.0), (60.0, 1500.0, 500.0, 500.0), (90.0, 1200.0, 100.0, 1000.0)],
)
def test_lambert_agrees_with_an_independent_solve_ivp_shooting_solution(angle_deg, tof, alt1_km, alt2_km):
    re = 6.371e6
    a = np.radians(angle_deg)
    r1 = np.array([re + alt1_km * 1e3, 0.0, 0.0])
    r2 = (re + alt2_km * 1e3) * np.array([np.cos(a), np.sin(a) * np.cos(0.4), np.sin(a) * np.sin(0.4)])
    # guess: the chord speed plus half the gravity loss upwards (no use of the Lambert result)
    up = r1 / np.linalg.norm(r1)
    guess = (r2 - r1) / tof + 0.5 * 9.8 * tof * up
    v_ref = _shoot(r1, r2, tof, guess)
    v1, _ = lambert(r1[None], r2[None], tof)
    assert np.linalg.norm(v1[0] - v_ref) / np.linalg.norm(v_ref) < 1e-6


def test_lambert_reproduces_the_textbook_example():
    # Curtis, Orbital Mechanics for Engineering Students, Example 5.2 (mu = 398 600 km^3/s^2):
    # r1 = (5000, 10000, 2100) km, r2 = (-14600, 2500, 7000) km, 1 hour;
    # published v1 = (-5.9925, 1.9254, 3.2456) km/s, v2 = (-3.3125, -4.1966, -0.38529) km/s.
    r1 = np.array([5000.0, 10000.0, 2100.0]) * 1e3
    r2 = np.array([-14600.0, 2500.0, 7000.0]) * 1e3
    v1, v2 = lambert(r1[None], r2[None], 3600.0, gm=398600e9)
    assert np.allclose(v1[0] / 1e3, [-5.9925, 1.9254, 3.2456], atol=2e-4)
    assert np.allclose(v2[0] / 1e3, [-3.3125, -4.1966, -0.38529], atol=2e-4)


def test_lambert_minimum_speed_over_flight_time_is_the_minimum_energy_speed():
    # Closed form: the least-energy conic through two points has a = s / 2 (s the semi-perimeter
    # of the triangle centre-r1-r2), so its speed at r1 is sqrt(mu (2/r1 - 2/s)).
    r1 = np.array([6.371e6 + 50e3, 0.0, 0.0])
    a = np.radians(25.0)
    r2 = (6.371e6 + 400e3) * np.array([np.cos(a), np.sin(a), 0.0])
    c = np.linalg.norm(r2 - r1)
    s = 0.5 * (np.linalg.norm(r1) + np.linalg.norm(r2) + c)
    v_closed = np.sqrt(GM_EARTH * (2 / np.linalg.norm(r1) - 2 / s))
    res = minimize_scalar(lambda t: np.linalg.norm(lambert(r1[None], r2[None], t)[0][0]), bounds=(100.0, 4000.0),
                          method="bounded", options={"xatol": 1e-4})
    assert abs(res.fun - v_closed) / v_closed < 1e-6


def test_lambert_gives_nan_for_nonpositive_time_or_collinear_points():
    r1 = np.array([[7e6, 0.0, 0.0], [7e6, 0.0, 0.0], [7e6, 0.0, 0.0]])
    r2 = np.array([[0.0, 7e6, 0.0], [-7.2e6, 0.0, 0.0], [0.0, 7e6, 0.0]])
    v1, v2 = lambert(r1, r2, np.array([0.0, 1000.0, 1000.0]))
    assert np.isnan(v1[0]).all() and np.isnan(v1[1]).all()
    assert np.isfinite(v1[2]).all()


def test_lambert_batch_equals_one_at_a_time():
    r1, r2, tof = _random_pairs(50, seed=11)
    v1, _ = lambert(r1, r2, tof)
    for i in range(0, 50, 7):
        w1, _ = lambert(r1[i], r2[i], tof[i])
        assert np.array_equal(w1[0], v1[i])
