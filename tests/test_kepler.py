"""Two-body propagation and radius crossings against conservation laws and SciPy."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from shieldsim.kepler import apoapsis, propagate, time_to_radius

GM = 3.986004418e14


def random_states(n, escape=False, seed=7):
    """Random states 6400-8000 km from the centre; elliptic (speed 0.6-0.97 of escape) or
    hyperbolic."""
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(n, 3))
    r *= rng.uniform(6.4e6, 8e6, n)[:, None] / np.linalg.norm(r, axis=1)[:, None]
    v = rng.normal(size=(n, 3))
    vesc = np.sqrt(2 * GM / np.linalg.norm(r, axis=1))
    frac = rng.uniform(1.05, 1.6, n) if escape else rng.uniform(0.6, 0.97, n)
    v *= (frac * vesc / np.linalg.norm(v, axis=1))[:, None]
    return r, v


def energy(r, v):
    return 0.5 * np.sum(v * v, 1) - GM / np.linalg.norm(r, axis=1)


@pytest.mark.parametrize("escape", [False, True])
def test_propagate_conserves_energy_and_angular_momentum(escape):
    r0, v0 = random_states(300, escape)
    t = np.random.default_rng(1).uniform(10, 5000, 300)
    r, v = propagate(r0, v0, t, GM)
    assert np.allclose(energy(r, v), energy(r0, v0), rtol=1e-10)
    h0, h = np.cross(r0, v0), np.cross(r, v)
    assert np.max(np.linalg.norm(h - h0, axis=1) / np.linalg.norm(h0, axis=1)) < 1e-10


def test_propagate_matches_solve_ivp():
    r0, v0 = random_states(5)
    for i in range(5):
        sol = solve_ivp(lambda t, y: np.r_[y[3:], -GM * y[:3] / np.linalg.norm(y[:3]) ** 3],
                        (0, 3000.0), np.r_[r0[i], v0[i]], rtol=1e-12, atol=1e-6, method="DOP853")
        r, v = propagate(r0[i], v0[i], 3000.0, GM)
        assert np.linalg.norm(r[0] - sol.y[:3, -1]) < 1e-2  # m
        assert np.linalg.norm(v[0] - sol.y[3:, -1]) < 1e-5  # m/s


def test_propagate_backwards_returns_to_start():
    r0, v0 = random_states(100)
    r, v = propagate(r0, v0, 1234.5, GM)
    rb, vb = propagate(r, v, -1234.5, GM)
    assert np.allclose(rb, r0, atol=1e-4) and np.allclose(vb, v0, atol=1e-7)


def test_time_to_radius_lands_on_that_radius_descending():
    r0, v0 = random_states(300)
    a = 1 / (2 / np.linalg.norm(r0, axis=1) - np.sum(v0**2, 1) / GM)
    target = np.linalg.norm(r0, axis=1) * 0.98
    t = time_to_radius(r0, v0, target, GM, descending=True)
    ok = np.isfinite(t)
    assert ok.sum() > 50
    r, v = propagate(r0[ok], v0[ok], t[ok], GM)
    assert np.allclose(np.linalg.norm(r, axis=1), target[ok], rtol=1e-10)
    assert np.all(np.sum(r * v, 1) < 0)  # descending
    assert np.all(t[ok] < 2 * np.pi * np.sqrt(a[ok] ** 3 / GM))


def test_time_to_radius_is_nan_when_radius_is_never_reached():
    r0 = np.array([[7e6, 0, 0]])
    v0 = np.array([[0, np.sqrt(GM / 7e6), 0]])  # circular
    assert np.isnan(time_to_radius(r0, v0, 6.5e6, GM))[0]


def test_apoapsis_is_highest_point():
    r0, v0 = random_states(200)
    r_apo, t_apo = apoapsis(r0, v0, GM)
    r, v = propagate(r0, v0, t_apo, GM)
    assert np.allclose(np.linalg.norm(r, axis=1), r_apo, rtol=1e-10)
    for dt in (-5.0, 5.0):
        rr, _ = propagate(r0, v0, t_apo + dt, GM)
        later = (t_apo + dt) > 0
        assert np.all(np.linalg.norm(rr, axis=1)[later] <= r_apo[later] + 1e-6)


def test_flight_path_angle_is_zero_at_apoapsis_and_matches_the_angular_momentum_form():
    from shieldsim.kepler import flight_path_angle

    rng = np.random.default_rng(7)
    r = rng.normal(0.0, 7e6, (200, 3))
    v = rng.normal(0.0, 5e3, (200, 3))
    ref = np.arctan2(np.sum(r * v, axis=1), np.linalg.norm(np.cross(r, v), axis=1))
    assert np.allclose(flight_path_angle(r, v), ref, rtol=0, atol=1e-12)
    # straight up and straight down
    assert np.allclose(flight_path_angle(r[:5], 3.0 * r[:5]), np.pi / 2)
    assert np.allclose(flight_path_angle(r[:5], -r[:5]), -np.pi / 2)
    # at the apoapsis of an ellipse the velocity is horizontal
    r0, v0 = [[7e6, 0.0, 0.0]], [[0.0, 7.0e3, 1.0e3]]
    r_apo, t_apo = apoapsis(r0, v0, GM)
    r1, v1 = propagate(r0, v0, t_apo, GM)
    assert abs(flight_path_angle(r1, v1)[0]) < 1e-9 and np.isclose(np.linalg.norm(r1), r_apo[0], rtol=1e-12)
