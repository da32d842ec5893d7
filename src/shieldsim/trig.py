"""Sine, cosine and arctangent for compiled lane loops: branch-free polynomials that the compiler
turns into SIMD instructions, where a call of the C library's function (one flight at a time)
is not vectorised (this Numba has no vector maths library).

* `sincos_lane(x)`: x = k pi/2 + r with |r| <= pi/4 (Cody and Waite's reduction with pi/2 in
  three parts, exact for |x| <= `SINCOS_LANE_MAX`), then the Taylor series of sin r to r^17 and
  cos r to r^16 (truncation below 1e-19 relative), the quadrant by selects.
* `atan2_lane(y, x)`: the angle a = atan(min/max) in [0, pi/4] halved twice by
  tan(a/2) = t / (1 + sqrt(1 + t^2)) (the first from the two magnitudes without a division
  by the larger, so no overflow for |x|, |y| below `ATAN2_LANE_MAX`), the Taylor series of atan
  to u^23 at |u| <= tan(pi/16) (truncation below 2e-18 relative), then the octant by selects
  with pi/2 and pi in two parts.
* `asin_lane`, `acos_lane` from atan2_lane and sqrt((1 - v)(1 + v)).

A loop calling atan2_lane, asin_lane or acos_lane vectorises only when compiled with
`error_model="numpy"` (otherwise every division carries a ZeroDivisionError branch).

Accuracy, measured against the C library over the whole domain (`tests/test_trig.py`, which
asserts the stated bounds): sin and cos within `SINCOS_LANE_ERR` (absolute, the results lie
in [-1, 1]), atan2 within `ATAN2_LANE_ULP` ulp of its result, asin and acos within
`ASIN_LANE_ERR` absolute. Callers check the domain and use the library functions outside it.
"""

from __future__ import annotations

import math

from numba import njit

SINCOS_LANE_MAX = 1e5
"""Largest |x| (rad) for `sincos_lane`: k = round(2 x / pi) < 2^17, so k times the first part
of pi/2 (33 bits) is exact."""

SINCOS_LANE_ERR = 4.5e-16
"""Largest error of `sincos_lane`'s sine or cosine (absolute) seen in the tests (a few units
in the last place of a result of magnitude ~1; the C library's is below one)."""

ATAN2_LANE_MAX = 1e150
"""Largest |x|, |y| for `atan2_lane` (the sum of their squares must not overflow); the smaller
nonzero magnitudes must exceed 1e-150 (or the squares underflow)."""

ATAN2_LANE_ULP = 5.0
"""Largest error of `atan2_lane` in units in the last place of its result seen in the tests."""

ASIN_LANE_ERR = 1e-15
"""Largest error (rad, absolute) of `asin_lane` and `acos_lane` seen in the tests."""

_TWO_OVER_PI = 0.6366197723675814
_P1, _P2, _P3 = 1.5707963267341256, 6.077100506303966e-11, 2.0222662487959506e-21  # pi/2 in three parts
_PIO2_HI, _PIO2_LO = 1.5707963267948966, 6.123233995736766e-17
_PI_HI, _PI_LO = 3.141592653589793, 1.2246467991473532e-16
_S = (-1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0, -1.0 / 39916800.0, 1.0 / 6227020800.0,
      -1.0 / 1307674368000.0, 1.0 / 355687428096000.0)  # sin: r^3 .. r^17
_C = (1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0, 1.0 / 479001600.0, -1.0 / 87178291200.0,
      1.0 / 20922789888000.0)  # cos: r^4 .. r^16
_A = tuple((-1.0) ** k / (2 * k + 1) for k in range(1, 12))  # atan: u^3 .. u^23


@njit(cache=True, inline="always")
def sincos_lane(x):
    """(sin x, cos x) for |x| <= `SINCOS_LANE_MAX` (rad), without branches or library calls."""
    k = math.floor(x * _TWO_OVER_PI + 0.5)
    r = ((x - k * _P1) - k * _P2) - k * _P3
    r2 = r * r
    s = r + r * r2 * (_S[0] + r2 * (_S[1] + r2 * (_S[2] + r2 * (_S[3] + r2 * (_S[4] + r2 * (_S[5] + r2 * (
        _S[6] + r2 * _S[7])))))))
    c = 1.0 - 0.5 * r2 + r2 * r2 * (_C[0] + r2 * (_C[1] + r2 * (_C[2] + r2 * (_C[3] + r2 * (_C[4] + r2 * (
        _C[5] + r2 * _C[6]))))))
    q = k - 4.0 * math.floor(k * 0.25)  # quadrant 0..3
    sin_x = s if q == 0.0 else (c if q == 1.0 else (-s if q == 2.0 else -c))
    cos_x = c if q == 0.0 else (-s if q == 1.0 else (-c if q == 2.0 else s))
    return sin_x, cos_x


@njit(cache=True, inline="always")
def atan2_lane(y, x):
    """atan2(y, x) (rad, in [-pi, pi], the C library's signs for zeros) for |x|, |y| below
    `ATAN2_LANE_MAX`, without branches or library calls."""
    ax, ay = abs(x), abs(y)
    big, small = max(ax, ay), min(ax, ay)
    den = big + math.sqrt(big * big + small * small)
    u = small / den if den > 0.0 else 0.0  # tan(a/2), a = atan(small / big) in [0, pi/4]
    u = u / (1.0 + math.sqrt(1.0 + u * u))  # tan(a/4) <= tan(pi/16)
    u2 = u * u
    t = u + u * u2 * (_A[0] + u2 * (_A[1] + u2 * (_A[2] + u2 * (_A[3] + u2 * (_A[4] + u2 * (_A[5] + u2 * (
        _A[6] + u2 * (_A[7] + u2 * (_A[8] + u2 * (_A[9] + u2 * _A[10]))))))))))
    a = 4.0 * t
    a = (_PIO2_HI - a) + _PIO2_LO if ay > ax else a
    a = (_PI_HI - a) + _PI_LO if math.copysign(1.0, x) < 0.0 else a
    a = math.copysign(a, y)
    return a if (x == x) & (y == y) else math.nan


@njit(cache=True, inline="always")
def asin_lane(v):
    """asin v (rad) for |v| <= 1, without branches or library calls."""
    return atan2_lane(v, math.sqrt((1.0 - v) * (1.0 + v)))


@njit(cache=True, inline="always")
def acos_lane(v):
    """acos v (rad, in [0, pi]) for |v| <= 1, without branches or library calls."""
    return atan2_lane(math.sqrt((1.0 - v) * (1.0 + v)), v)
