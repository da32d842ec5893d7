"""The block versions of the vacuum descent and of Vincenty's inverse (`trajectory.blocks`) give
the scalar functions' results bit for bit, and flag every lane they cannot finish."""

import numpy as np
import pytest

from shieldsim.earth import SPHERE, WGS84, geodesic_distance_sc
from shieldsim.trajectory import Models, burnout_state, fly, fly_states
from shieldsim.trajectory import blocks as B
from shieldsim.trajectory.vacuum import arc_descent, arc_elements

rng = np.random.default_rng(11)
A, F = WGS84.equatorial_radius, WGS84.flattening


def _arcs(n):
    """n random burnout states (some escape or orbit) as inertial (r, v)."""
    st = (np.radians(rng.uniform(-90, 90, n)), np.radians(rng.uniform(-180, 180, n)), rng.uniform(0, 1e6, n),
          rng.uniform(10, 11000, n), np.radians(rng.uniform(-30, 89, n)), np.radians(rng.uniform(0, 360, n)))
    r0, v0 = burnout_state(*st, WGS84)
    return r0, v0 + np.cross([0.0, 0.0, WGS84.rotation_rate], r0)


def test_descent_lanes_equal_arc_descent_bit_for_bit_and_flag_the_rest():
    r0, v0 = _arcs(B.BLOCK)
    w = np.full((B.W_ROWS, B.BLOCK), np.nan)
    for j in range(B.BLOCK):
        el = arc_elements(*r0[j], *v0[j], WGS84.gm)
        w[[B.W_A, B.W_E, B.W_E0, B.W_S0, B.W_C0, B.W_RN], j] = el
    w[B.W_RZ], w[B.W_VZ] = r0[:, 2], v0[:, 2]
    m = B.BLOCK - 3  # lanes past m are left alone
    B.descent_lanes(m, w, WGS84.gm, A, WGS84.polar_radius)
    flagged = 0
    for j in range(m):
        e1, s1, c1 = arc_descent(r0[j, 2], v0[j, 2], *w[[B.W_A, B.W_E, B.W_E0, B.W_S0, B.W_C0, B.W_RN], j],
                                 WGS84.gm, A, WGS84.polar_radius, 0.0)
        if w[B.W_OK, j] == 1.0:
            assert (w[B.W_C1, j], w[B.W_S1, j]) == (c1, s1)
        else:
            flagged += 1
    nan = sum(np.isnan(arc_descent(r0[j, 2], v0[j, 2], *w[[B.W_A, B.W_E, B.W_E0, B.W_S0, B.W_C0, B.W_RN], j],
                                   WGS84.gm, A, WGS84.polar_radius, 0.0)[0]) for j in range(m))
    assert nan > 10 and flagged >= nan  # every arc without a crossing is flagged
    assert flagged < nan + 0.05 * m
    assert np.all(np.isnan(w[B.W_C1, m:]))


def test_vincenty_lanes_equal_the_scalar_function_bit_for_bit_and_flag_the_rest():
    n = B.BLOCK
    lat1, lat2 = np.radians(rng.uniform(-89, 89, n)), np.radians(rng.uniform(-89, 89, n))
    dlon = np.radians(rng.uniform(-180, 180, n))
    lat2[:3], dlon[:3] = -lat1[:3], np.pi - 1e-7  # nearly antipodal: the scalar function fails
    lat2[3], dlon[3] = lat1[3], 0.0  # coincident
    lat1[4], lat2[4] = 0.0, 0.0  # along the equator
    w = np.zeros((B.W_ROWS, B.BLOCK))
    rows = (B.W_SLA, B.W_CLA, B.W_SL2, B.W_CL2, B.W_DLON, B.W_SDLON, B.W_CDLON)
    args = np.array([np.sin(lat1), np.cos(lat1), np.sin(lat2), np.cos(lat2), dlon, np.sin(dlon), np.cos(dlon)])
    w[list(rows)] = args
    for j in range(n):
        B.vincenty_start(w, j, F)
    B.vincenty_lanes(n, w, A, F)
    ref = np.array([geodesic_distance_sc(*args[:, j], A, F) for j in range(n)])
    ok = w[B.W_VOK] == 1.0
    assert np.array_equal(w[B.W_DIST][ok], ref[ok])
    assert not ok[:4].any() and np.isnan(ref[:3]).all() and ref[3] == 0.0
    assert ok.sum() >= n - 10


@pytest.mark.parametrize("earth", [SPHERE, WGS84])
@pytest.mark.parametrize("n", [1, B.BLOCK + 1])
def test_batch_fly_agrees_with_the_flight_from_earth_fixed_states(earth, n):
    """The block kernel of `fly` (vacuum, no samples) against `fly_states`, which flies the same
    states one arc at a time through the scalar functions and converts with NumPy and pyproj."""
    st = (np.radians(rng.uniform(-80, 80, n)), np.radians(rng.uniform(-180, 180, n)), rng.uniform(0, 4e5, n),
          rng.uniform(500, 8000, n), np.radians(rng.uniform(-10, 80, n)), np.radians(rng.uniform(0, 360, n)))
    models = Models(earth, rotation=True, drag=False)
    f = fly(*st, models)
    r0, v0 = burnout_state(*st, earth)
    g = fly_states(r0, v0, models, burnout_lat_lon=st[:2])
    assert np.array_equal(np.isnan(f.flight_time), np.isnan(g.flight_time))
    ok = np.isfinite(g.flight_time)
    assert np.allclose(f.flight_time[ok], g.flight_time[ok], rtol=1e-11, atol=1e-8)
    assert np.allclose(f.impact_lat[ok], g.impact_lat[ok], rtol=0, atol=1e-11)
    assert np.all(np.abs(np.angle(np.exp(1j * (f.impact_lon - g.impact_lon))))[ok] < 1e-11)
    assert np.allclose(f.ground_range[ok], g.ground_range[ok], rtol=0, atol=1e-3)
    assert np.allclose(f.apogee_alt[ok], g.apogee_alt[ok], rtol=0, atol=1e-6)
    assert np.allclose(f.impact_speed[ok], g.impact_speed[ok], rtol=1e-11, atol=0)
    assert np.allclose(f.impact_gamma[ok], g.impact_gamma[ok], rtol=0, atol=1e-11)


def test_elements_lanes_equal_arc_elements_bit_for_bit():
    r0, v0 = _arcs(B.BLOCK)
    v0[:5] *= 12000.0 / np.linalg.norm(v0[:5], axis=1)[:, None]  # escape arcs: NaN elements
    w = np.zeros((B.W_ROWS, B.BLOCK))
    w[[B.W_RX, B.W_RY, B.W_RZ]], w[[B.W_VX, B.W_VY, B.W_VZ]] = r0.T, v0.T
    B.elements_lanes(B.BLOCK, w, WGS84.gm)
    for j in range(B.BLOCK):
        ref = np.array(arc_elements(*r0[j], *v0[j], WGS84.gm))
        got = np.array([w[B.W_A, j], w[B.W_E, j], B.anomaly_of_lane(w, j), w[B.W_S0, j], w[B.W_C0, j], w[B.W_RN, j]])
        assert np.array_equal(got, ref, equal_nan=True)
    assert np.isnan(w[B.W_A, :5]).all()
