"""The lane functions of `shieldsim.trig` agree with the C library's sine, cosine, arctangent and
arcsine over their whole domains, within the stated bounds, and vectorise (no library call)."""

import math

import numpy as np
from numba import njit

from shieldsim import trig

rng = np.random.default_rng(17)


@njit(cache=True)
def _sincos_both(x):
    out = np.empty((4, x.shape[0]))
    for i in range(x.shape[0]):
        out[0, i], out[1, i] = trig.sincos_lane(x[i])
        out[2, i], out[3, i] = math.sin(x[i]), math.cos(x[i])
    return out


@njit(cache=True)
def _atan2_both(y, x):
    out = np.empty((2, x.shape[0]))
    for i in range(x.shape[0]):
        out[0, i] = trig.atan2_lane(y[i], x[i])
        out[1, i] = math.atan2(y[i], x[i])
    return out


@njit(cache=True)
def _asin_acos_both(v):
    out = np.empty((4, v.shape[0]))
    for i in range(v.shape[0]):
        out[0, i], out[1, i] = trig.asin_lane(v[i]), trig.acos_lane(v[i])
        out[2, i], out[3, i] = math.asin(v[i]), math.acos(v[i])
    return out


def test_sincos_lane_within_its_bound_of_the_library_over_the_domain():
    big = trig.SINCOS_LANE_MAX
    k = np.arange(-400, 401) * (np.pi / 4)  # quadrant edges and octants, and their neighbours
    x = np.concatenate([rng.uniform(-big, big, 1_000_000), rng.uniform(-7, 7, 1_000_000), k, np.nextafter(k, 9),
                        np.nextafter(k, -9), [0.0, -0.0, 1e-300, big, -big, 1.0e-8, np.pi / 2 * 63_661]])
    s, c, s_ref, c_ref = _sincos_both(x)
    err = max(np.max(np.abs(s - s_ref)), np.max(np.abs(c - c_ref)))
    assert err <= trig.SINCOS_LANE_ERR
    assert err > 0.0  # a different computation: the test measures something
    small = np.abs(x) < 1e-3  # near 0 the sine is relatively exact too
    assert np.all(np.abs(s[small] - s_ref[small]) <= 2 * np.spacing(np.abs(s_ref[small])))


def test_atan2_lane_within_its_ulp_bound_and_with_the_library_signs_of_zero():
    n = 1_000_000
    mag = 10.0 ** rng.uniform(-100, 100, (2, n))
    sign = rng.choice([-1.0, 1.0], (2, n))
    y, x = sign * mag
    y2, x2 = rng.uniform(-1, 1, (2, n))  # comparable magnitudes, all octants
    edges = np.array([0.0, -0.0, 1.0, -1.0, 1e-140, -1e140, 3.0])  # within the stated domain
    ye, xe = np.meshgrid(edges, edges)
    y = np.concatenate([y, y2, ye.ravel(), [1.0, -1.0, 1.0, 1e7, 6.4e6]])
    x = np.concatenate([x, x2, xe.ravel(), [1.0, -1.0, -1.0, 1e7 * (1 + 1e-16), -6.4e6]])
    a, ref = _atan2_both(y, x)
    ulp = np.abs(a - ref) / np.spacing(np.abs(ref))
    assert np.max(ulp[ref != 0.0]) <= trig.ATAN2_LANE_ULP
    assert np.array_equal(np.signbit(a), np.signbit(ref))
    assert np.all(a[ref == 0.0] == 0.0)
    nan = _atan2_both(np.array([np.nan, 1.0]), np.array([1.0, np.nan]))
    assert np.all(np.isnan(nan[0]))


def test_asin_and_acos_lanes_within_their_bound_over_minus_one_to_one():
    v = np.concatenate([rng.uniform(-1, 1, 1_000_000), 1.0 - 10.0 ** rng.uniform(-16, -1, 100_000),
                        [-1.0, 1.0, 0.0, -0.0, 0.5, -0.5, np.nextafter(1.0, 0.0)]])
    v = np.concatenate([v, -v])
    s, c, s_ref, c_ref = _asin_acos_both(v)
    assert max(np.max(np.abs(s - s_ref)), np.max(np.abs(c - c_ref))) <= trig.ASIN_LANE_ERR
    assert np.all(s[v == 1.0] == np.pi / 2) and np.all(c[v == -1.0] == np.pi) and np.all(c[v == 1.0] == 0.0)


@njit(error_model="numpy")  # not cached: inspected below; numpy errors: no ZeroDivisionError branch
def _lanes(x, y, out):
    for i in range(x.shape[0]):
        out[0, i], out[1, i] = trig.sincos_lane(x[i])
        out[2, i] = trig.atan2_lane(y[i], x[i])


def test_the_lane_functions_compile_to_simd_code_without_library_calls():
    x = np.linspace(-3, 3, 64)
    _lanes(x, x[::-1].copy(), np.empty((3, 64)))
    asm = next(iter(_lanes.inspect_asm().values()))
    assert "vsqrtpd" in asm  # the square roots of atan2_lane, four or eight lanes at a time
    calls = [line for line in asm.splitlines() if "call" in line]
    assert not [c for c in calls if "atan" in c or "sin" in c or "cos" in c]  # no library call left
