"""candidates: the bounds the candidate scan skips samples on (the scan itself is compared with
the every-sample scan in tests/test_engagement.py)."""

import math

import numpy as np

from shieldsim import candidates
from shieldsim.earth import to_ecef


def test_flight_step_bounds_hold_between_any_two_samples():
    rng = np.random.default_rng(1)
    for _ in range(50):
        m = int(rng.integers(2, 40))
        r = 6.36e6 + np.cumsum(rng.exponential(1.0, m)) * rng.choice([1e2, 1e5, 1e6])
        d = rng.normal(size=(m, 3))
        d[1:] = d[:1] + np.cumsum(rng.normal(size=(m - 1, 3)) * rng.choice([1e-4, 1e-2, 1.0]), axis=0)
        pos = d / np.linalg.norm(d, axis=1, keepdims=True) * r[rng.permutation(m), None]
        rp, steps = np.empty(m), np.empty(3)
        assert candidates._flight_steps(pos, rp, steps) == m
        np.testing.assert_allclose(rp, np.linalg.norm(pos, axis=1), rtol=1e-15)
        u = pos / rp[:, None]
        for a in range(m):
            for b in range(a + 1, m):
                angle = np.arccos(np.clip(u[a] @ u[b], -1, 1))
                assert angle <= (b - a) * steps[0]
                assert abs(rp[b] - rp[a]) <= (b - a) * steps[1]
                assert np.linalg.norm(pos[b] - pos[a]) <= (b - a) * steps[2]
    pos = np.array([[7e6, 0.0, 0.0], [0.0, 7e6, 0.0], [np.nan, np.nan, np.nan], [1.0, 1.0, 1.0]])
    assert candidates._flight_steps(pos, np.empty(4), np.empty(3)) == 2


def test_next_sample_skips_only_samples_that_cannot_pass():
    ns = candidates._next_sample
    assert ns(10, 5.0, 1.0) == 15  # 11..14 are within 4 steps: they fail by > 1
    assert ns(10, 0.5, 1.0) == 11
    assert ns(10, -1.0, 1.0) == 11
    assert ns(10, math.nan, 1.0) == 11
    assert ns(10, 5.0, 0.0) == 11


def test_the_tight_height_bracket_holds_and_is_metres_wide():
    from shieldsim.earth import WGS84, to_geodetic

    rng = np.random.default_rng(6)
    n = 20000
    lat, lon = rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(-np.pi, np.pi, n)
    h = np.concatenate([rng.uniform(0.0, 3e6, n // 2), rng.uniform(0.0, 2e5, n - n // 2)])
    p = to_ecef(lat, lon, h, WGS84)
    _, _, h_back = to_geodetic(p, WGS84)
    b_pol = WGS84.equatorial_radius * (1.0 - WGS84.flattening)
    widest = 0.0
    for q, hq in zip(p, h_back):
        lo, hi = candidates._height_bracket(q, np.linalg.norm(q), WGS84.equatorial_radius, b_pol)
        assert lo - 1e-6 <= hq <= hi + 1e-6
        widest = max(widest, (hi - lo) / max(hq, 1.0))
    assert widest < 6.2e-6  # 1 - cos(GEOCENTRIC_TILT): under 20 m at 3,000 km
    inside = candidates._height_bracket(np.array([1e6, 0.0, 0.0]), 1e6, WGS84.equatorial_radius, b_pol)
    assert inside == (-np.inf, np.inf)


def test_ground_range_from_a_site_latitude_computed_once_equals_the_interceptors_ground_range():
    from shieldsim.earth import WGS84, geodetic_height_one
    from shieldsim.interceptor import _ground_range, ellipsoid_of

    rng = np.random.default_rng(8)
    ell = ellipsoid_of(WGS84)
    for _ in range(300):
        site = to_ecef(rng.uniform(-1.4, 1.4), rng.uniform(-np.pi, np.pi), 0.0, WGS84).reshape(3)
        p = to_ecef(rng.uniform(-1.5, 1.5), rng.uniform(-np.pi, np.pi), rng.uniform(0.0, 2e6), WGS84).reshape(3)
        lat_s = geodetic_height_one(site[0], site[1], site[2], ell[0], ell[1])[0]
        assert candidates._ground_range_from(lat_s, math.atan2(site[1], site[0]), p, ell) == _ground_range(site, p, ell)


def test_a_point_and_its_ground_point_lie_within_the_foot_angle_of_its_height():
    from shieldsim.earth import WGS84, to_geodetic

    rng = np.random.default_rng(11)
    n = 20000
    b_pol = WGS84.equatorial_radius * (1.0 - WGS84.flattening)
    lat, lon = rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(-np.pi, np.pi, n)
    for h_max in (0.0, 7e4, 1e6, 3e6):
        h = rng.uniform(0.0, h_max, n)
        p = to_ecef(lat, lon, h, WGS84)
        g = to_ecef(lat, lon, 0.0, WGS84)
        angle = np.arctan2(np.linalg.norm(np.cross(p, g), axis=1), np.einsum("ij,ij->i", p, g))
        bound = candidates.foot_angle(h_max, b_pol)
        assert np.all(angle <= bound + 1e-12)
        assert bound <= h_max * candidates.GEOCENTRIC_TILT / b_pol + 1e-15  # km wide, not ~45 km
    _, _, h_back = to_geodetic(p, WGS84)
    assert np.allclose(h_back, h, atol=1e-3)


def test_the_near_ground_range_bracket_holds_and_is_a_few_km_wide_at_the_range_limits():
    from shieldsim.earth import WGS84
    from shieldsim.interceptor import _ground_range, ellipsoid_of

    rng = np.random.default_rng(12)
    ell = ellipsoid_of(WGS84)
    a_eq = WGS84.equatorial_radius
    b_pol = a_eq * (1.0 - WGS84.flattening)
    for _ in range(600):
        lat_s, lon_s = rng.uniform(-1.4, 1.4), rng.uniform(-np.pi, np.pi)
        site = to_ecef(lat_s, lon_s, 0.0, WGS84).reshape(3)
        h_max = rng.choice([1e5, 5e5, 1e6, 2e6])
        lat = np.clip(lat_s + rng.uniform(-0.6, 0.6), -1.5, 1.5)
        p = to_ecef(lat, lon_s + rng.uniform(-0.8, 0.8), rng.uniform(0.0, h_max), WGS84).reshape(3)
        foot = candidates.foot_angle(h_max, b_pol)
        rs, rp = np.linalg.norm(site), np.linalg.norm(p)
        lo, hi = candidates._range_bracket_near(site, p, rs, rp, a_eq, b_pol, foot)
        g = _ground_range(site, p, ell)
        assert lo <= g <= hi
        wide_lo, wide_hi = candidates._range_bracket(site, p, rs, rp, a_eq, b_pol)
        assert wide_lo <= lo + 2.0 and hi <= wide_hi + 2.0
        if g < 3.0e6:  # the interceptors' ranges: a few km where the wide bracket is ~100 km
            assert hi - lo < 2.0 * b_pol * foot + 9.0e3 + g * 0.004
