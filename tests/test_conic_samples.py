"""Tests of `trajectory.conic_samples`: the stepped conic samples of whole vacuum flights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim.earth import GM_EARTH, WGS84
from shieldsim.kepler import propagate_one
from shieldsim.trajectory import conic_samples as C
from shieldsim.trajectory import kernels as K

OMEGA = WGS84.rotation_rate


def ballistic_states(n, seed):
    """n inertial burnout-like states (m, m/s): 150-1,000 km up, 2-7.5 km/s, climbing at 5-70
    degrees, any heading; only ellipses whose perigee lies 500 km or more below the surface (so
    they come back to the Earth within one revolution)."""
    r0, v0 = _random_states(4 * n, seed)
    rn, v2 = np.linalg.norm(r0, axis=1), np.sum(v0 * v0, axis=1)
    a = 1.0 / (2.0 / rn - v2 / GM_EARTH)
    h = np.linalg.norm(np.cross(r0, v0), axis=1)
    perigee = a * (1.0 - np.sqrt(np.maximum(1.0 - h * h / (GM_EARTH * a), 0.0)))
    keep = np.flatnonzero((a > 0) & (perigee < WGS84.equatorial_radius - 500e3))[:n]
    assert keep.size == n
    return r0[keep], v0[keep]


def _random_states(n, seed):
    rng = np.random.default_rng(seed)
    up = rng.normal(size=(n, 3))
    up /= np.linalg.norm(up, axis=1)[:, None]
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east, axis=1)[:, None]
    north = np.cross(up, east)
    head, climb = rng.uniform(0, 2 * np.pi, n), np.radians(rng.uniform(5, 70, n))
    speed, height = rng.uniform(2000, 7500, n), rng.uniform(150e3, 1000e3, n)
    along = np.cos(head)[:, None] * north + np.sin(head)[:, None] * east
    r0 = (WGS84.equatorial_radius + height)[:, None] * up
    v0 = speed[:, None] * (np.cos(climb)[:, None] * along + np.sin(climb)[:, None] * up)
    return r0, v0


def impact_time(r0, v0):
    """Time (s) the conic from (r0, v0) takes down to the equatorial radius (its second crossing)."""
    out = np.empty(3), np.empty(3)
    lo, hi = 0.0, 10.0
    while True:  # bracket: 10 s steps until below the radius
        propagate_one(r0, v0, hi, GM_EARTH, *out)
        if np.linalg.norm(out[0]) < WGS84.equatorial_radius:
            break
        lo, hi = hi, hi + 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        propagate_one(r0, v0, mid, GM_EARTH, *out)
        lo, hi = (mid, hi) if np.linalg.norm(out[0]) >= WGS84.equatorial_radius else (lo, mid)
    return lo


def sampled(fn, r0, v0, t_end, rows, dt=2.0):
    pos, vel = np.full((rows, 3), -1.0), np.full((rows, 3), -1.0)
    fn(r0, v0, t_end, GM_EARTH, OMEGA, dt, pos, vel)
    return pos, vel


def reference(r0, v0, t_end, rows, dt=2.0):
    """`kernels._sample_conic_span` (Kepler's equation solved afresh with library sines at every
    sample) from time 0, NaN after."""
    pos, vel = np.full((rows, 3), np.nan), np.full((rows, 3), np.nan)
    K._sample_conic_span(r0, v0, 0.0, 0, t_end, GM_EARTH, OMEGA, dt, pos, vel)
    return pos, vel


def test_stepped_samples_agree_with_samples_solved_afresh_within_ten_micrometres():
    """Elliptic arcs of 200 random ballistic states, each sampled every 2 s to its impact (up to
    ~2,700 samples, so many runs and library re-synchronisations): positions within 1e-5 m and
    velocities within 1e-8 m/s of the samples solving Kepler's equation afresh (whose own
    stepped Earth turn drifts by ~1e-16 a sample, ~1e-6 m after 2,700), NaN in the same rows."""
    r0, v0 = ballistic_states(200, 3)
    worst_p = worst_v = 0.0
    longest = 0
    for i in range(r0.shape[0]):
        t = impact_time(r0[i], v0[i])
        rows = int(t // 2.0) + 5
        got_p, got_v = sampled(C._sample_conic_one, r0[i], v0[i], t, rows)
        want_p, want_v = reference(r0[i], v0[i], t, rows)
        assert np.array_equal(np.isnan(got_p), np.isnan(want_p)) and np.isnan(got_p[-1]).all()
        worst_p = max(worst_p, float(np.nanmax(np.abs(got_p - want_p))))
        worst_v = max(worst_v, float(np.nanmax(np.abs(got_v - want_v))))
        longest = max(longest, int(np.sum(~np.isnan(got_p[:, 0]))))
    assert longest > 4 * C.RESYNC
    assert worst_p < 1e-5 and worst_v < 1e-8, (worst_p, worst_v)


def test_stepped_samples_are_the_two_body_states_turned_with_the_earth():
    """Independent check: each sample is the universal-variable two-body state (`propagate_one`)
    at its time, turned by the Earth's rotation angle computed directly, within 1e-6 m and
    1e-8 m/s (a 20-minute arc; `propagate_one` itself solves to ~1e-13 relative)."""
    r0, v0 = ballistic_states(5, 11)
    for i in range(r0.shape[0]):
        t = min(impact_time(r0[i], v0[i]), 1200.0)
        rows = int(t // 2.0) + 1
        got_p, got_v = sampled(C._sample_conic_one, r0[i], v0[i], t, rows)
        r, v = np.empty(3), np.empty(3)
        for k in range(rows):
            if not k * 2.0 < t:
                assert np.isnan(got_p[k]).all()
                continue
            propagate_one(r0[i], v0[i], k * 2.0, GM_EARTH, r, v)
            c, s = math.cos(OMEGA * k * 2.0), math.sin(OMEGA * k * 2.0)
            w = v - OMEGA * np.array([-r[1], r[0], 0.0])
            want_p = np.array([c * r[0] + s * r[1], -s * r[0] + c * r[1], r[2]])
            want_v = np.array([c * w[0] + s * w[1], -s * w[0] + c * w[1], w[2]])
            np.testing.assert_allclose(got_p[k], want_p, rtol=0, atol=1e-6)
            np.testing.assert_allclose(got_v[k], want_v, rtol=0, atol=1e-8)


@pytest.mark.parametrize("speed", [7900.0, 11500.0])
def test_near_circular_and_hyperbolic_arcs_are_sampled_as_before(speed):
    """Arcs the stepping does not take (eccentricity below 1e-6, not elliptic) are
    `kernels._sample_conic_span`'s samples bit for bit."""
    r = WGS84.equatorial_radius + 200e3
    r0 = np.array([r, 0.0, 0.0])
    v0 = np.array([0.0, math.sqrt(GM_EARTH / r) if speed < 8000 else speed, 0.0])
    got_p, got_v = sampled(C._sample_conic_one, r0, v0, 300.0, 160)
    want_p, want_v = reference(r0, v0, 300.0, 160)
    np.testing.assert_array_equal(got_p, want_p)
    np.testing.assert_array_equal(got_v, want_v)


def test_whole_flights_are_the_boost_samples_then_the_stepped_conic_then_nan():
    """`_sample_boosted`: row i holds flight i's boost samples before j0[i], then its conic
    sampled from there (as `_sample_conic_one` samples it alone), NaN after its impact."""
    r0, v0 = ballistic_states(4, 5)
    t_imp = np.array([impact_time(r0[i], v0[i]) for i in range(4)])
    j0 = np.array([3, 1, 5, 2])
    m = int(np.max(j0 + t_imp // 2.0)) + 3
    rng = np.random.default_rng(2)
    bpos, bvel = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5, 3))
    pos, vel = np.full((4, m, 3), -1.0), np.full((4, m, 3), -1.0)
    C._sample_boosted(bpos, bvel, j0, r0, v0, t_imp, GM_EARTH, OMEGA, 2.0, pos, vel)
    for i in range(4):
        np.testing.assert_array_equal(pos[i, :j0[i]], bpos[i, :j0[i]])
        np.testing.assert_array_equal(vel[i, :j0[i]], bvel[i, :j0[i]])
        want_p, want_v = sampled(C._sample_conic_one, r0[i], v0[i], t_imp[i], m - j0[i])
        np.testing.assert_array_equal(pos[i, j0[i]:], want_p)
        np.testing.assert_array_equal(vel[i, j0[i]:], want_v)
