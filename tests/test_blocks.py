"""The block versions of the vacuum descent and of Vincenty's inverse (`trajectory.blocks`) give
the scalar functions' results bit for bit, and flag every lane they cannot finish."""

import numpy as np
import pytest

from shieldsim.earth import SPHERE, WGS84, geodesic_distance_sc
from shieldsim.trajectory import Models, burnout_state, fly, fly_states
from shieldsim.trajectory import blocks as B
from shieldsim import trig
from shieldsim.trajectory.vacuum import arc_descent, arc_elements, arc_highest, arc_time

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


def _highest_block(r0, v0, earth):
    """A block after the descent and `highest_start` for the arcs (r0, v0), with the scalar
    `arc_highest` of each lane that has an impact (None where none)."""
    gm, a, b = earth.gm, earth.equatorial_radius, earth.polar_radius
    w = np.full((B.W_ROWS, B.BLOCK), np.nan)
    o = np.zeros((B.BLOCK, 8))
    ref = []
    for j in range(B.BLOCK):
        el = arc_elements(*r0[j], *v0[j], gm)
        w[[B.W_RX, B.W_RY, B.W_RZ, B.W_VX, B.W_VY, B.W_VZ], j] = *r0[j], *v0[j]
        w[[B.W_A, B.W_E, B.W_E0, B.W_S0, B.W_C0, B.W_RN], j] = el
        e1, s1, c1 = arc_descent(r0[j, 2], v0[j, 2], *el, gm, a, b, 0.0)
        w[B.W_HST, j] = 2.0
        ref.append(None)
        if np.isnan(e1):
            continue
        o[j, 0] = 1e9  # flight time: no cap on the apogee time
        B.highest_start(w, j, gm, a, b, e1, s1, c1, o, j)
        x, sx, _, h = arc_highest(*r0[j], *v0[j], gm, a, b, *el, e1, s1, c1)
        ref[j] = (h, arc_time(el[0], el[1], el[2], el[3], gm, x, sx))
    return w, o, ref


def test_highest_lanes_equal_arc_highest_bit_for_bit_and_flag_the_rest():
    r0, v0 = _arcs(B.BLOCK)
    w, o, ref = _highest_block(r0, v0, WGS84)
    searched = w[B.W_HST] == 0.0
    B.highest_lanes(B.BLOCK, w, A, WGS84.polar_radius)
    assert searched.sum() > 100
    finished = w[B.W_HST] == 1.0
    assert finished.sum() > 0.8 * searched.sum()  # the lanes finish most searches themselves
    for j in range(B.BLOCK):
        B.highest_finish(w, j, WGS84.gm, A, WGS84.polar_radius, o, j)
        if ref[j] is not None:
            assert (o[j, 3], o[j, 4]) == (ref[j][0], max(ref[j][1], 0.0))


def test_angle_lanes_within_the_trig_bounds_of_the_library():
    r0, v0 = _arcs(B.BLOCK)
    w = np.zeros((B.W_ROWS, B.BLOCK))
    w[[B.W_RX, B.W_RY, B.W_RZ]], w[[B.W_VX, B.W_VY, B.W_VZ]] = r0.T, v0.T
    B.elements_lanes(B.BLOCK, w, WGS84.gm)
    esin, ecos = w[B.W_E0].copy(), w[B.W_LAM].copy()
    B.anomaly_lanes(B.BLOCK, w)
    ref = np.mod(np.arctan2(esin, ecos), 2 * np.pi)
    ok = np.isfinite(ref)
    assert np.all(np.abs(w[B.W_E0, ok] - ref[ok]) <= 5 * np.spacing(2 * np.pi))
    w[B.W_C1] = rng.uniform(-1, 1, B.BLOCK)
    B.crossing_lanes(B.BLOCK, w)
    e1 = 2 * np.pi - np.arccos(w[B.W_C1])
    e1 = np.where(e1 < w[B.W_E0] - 1e-12, e1 + 2 * np.pi, e1)
    assert np.all(np.abs(w[B.W_E1, ok] - e1[ok]) <= trig.ASIN_LANE_ERR + 2 * np.spacing(4 * np.pi))
    q = rng.uniform(-7e6, 7e6, (4, B.BLOCK))
    w[[B.W_QX, B.W_QY, B.W_QZ, B.W_QRN]] = q
    w[B.W_QUP] = rng.uniform(-1, 1, B.BLOCK)
    up = w[B.W_QUP].copy()
    B.impact_angles_lanes(B.BLOCK, w)
    assert np.all(np.abs(w[B.W_QZ] - np.arctan2(q[2], q[3])) <= trig.ATAN2_LANE_ULP * np.spacing(np.pi))
    assert np.all(np.abs(w[B.W_QY] - np.arctan2(q[1], q[0])) <= trig.ATAN2_LANE_ULP * np.spacing(np.pi))
    assert np.all(np.abs(w[B.W_QUP] - np.arcsin(up)) <= trig.ASIN_LANE_ERR)


def test_batch_fly_takes_the_library_functions_outside_the_lanes_range():
    st = [np.full(3, v) for v in (np.radians(40.0), np.radians(20.0), 1e5, 5000.0, np.radians(40.0), 1.0)]
    models = Models(WGS84, rotation=True, drag=False)
    far = [s.copy() for s in st]
    far[5] += 2 * np.pi * 1e5  # the same heading, beyond trig.SINCOS_LANE_MAX
    f, g = fly(*st, models), fly(*far, models)
    assert np.allclose(f.impact_lat, g.impact_lat, rtol=0, atol=1e-9)  # the heading's rounding only
    assert np.allclose(f.ground_range, g.ground_range, rtol=0, atol=0.05)


def _compiled_callees(dispatcher):
    """The compiled functions `dispatcher` calls by name, through those inlined into it."""
    import ast
    import inspect
    import textwrap

    from numba.core.registry import CPUDispatcher

    found, todo, seen = [], [dispatcher], set()
    while todo:
        tree = ast.parse(textwrap.dedent(inspect.getsource(todo.pop().py_func)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in seen:
                seen.add(node.func.id)
                callee = dispatcher.py_func.__globals__.get(node.func.id)
                if isinstance(callee, CPUDispatcher):
                    (todo if callee.targetoptions.get("inline") == "always" else found).append(callee)
    return found


def test_lane_loops_call_only_functions_with_their_own_error_model():
    """Numba compiles a function that sets no error model with its first caller's, once per
    process, and caches that: a helper first compiled from a scalar kernel (error_model "python":
    a ZeroDivisionError branch per division) kept the lane loops of `highest_lanes` and
    `impact_lanes` from vectorising, depending on which kernel happened to compile first."""
    from shieldsim.trajectory import kernels

    lanes = [d for d in vars(B).values() if getattr(d, "targetoptions", {}).get("error_model") == "numpy"]
    lanes.append(kernels._burnout_lanes)
    assert len(lanes) >= 10
    for d in lanes:
        for callee in _compiled_callees(d):
            assert "error_model" in callee.targetoptions, (d.py_func.__name__, callee.py_func.__name__)
