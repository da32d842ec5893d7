"""Trigonometric functions of small arguments by their power series, for compiled kernels.

An iteration whose angle moves by a small step from a value whose sine and cosine it already
has (Vincenty's longitude iteration, the search for an arc's highest point near its apoapsis)
needs the sine and cosine, or the arcsine, of that small step only. The truncated Taylor series
below are exact to rounding (truncation error below 3e-18 relative, a fortieth of a double's
rounding) inside the stated ranges and
cost a few multiplications instead of a library call; the coefficients are multiplied, not
divided (a division costs as much as several multiplications and is not pipelined as well).
Callers test the range and use the library function outside it.
"""

from __future__ import annotations

from numba import njit

SINCOS_SMALL_MAX = 0.1
"""Largest |x| (rad) for `sincos_small`: its truncation error is below 3e-18 relative there."""

ASIN_SMALL_MAX = 0.02
"""Largest |x| for `asin_small`: its truncation error is below 1e-21 relative there."""

_S3, _S5, _S7, _S9 = -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0
_C2, _C4, _C6, _C8, _C10 = -0.5, 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0
_A3, _A5, _A7, _A9, _A11 = 1.0 / 6.0, 3.0 / 40.0, 5.0 / 112.0, 35.0 / 1152.0, 63.0 / 2816.0


@njit(cache=True, inline="always")
def sincos_small(x):
    """(sin x, cos x) for |x| <= `SINCOS_SMALL_MAX` (rad): Taylor series to x^9 and x^10."""
    x2 = x * x
    s = x * (1.0 + x2 * (_S3 + x2 * (_S5 + x2 * (_S7 + x2 * _S9))))
    c = 1.0 + x2 * (_C2 + x2 * (_C4 + x2 * (_C6 + x2 * (_C8 + x2 * _C10))))
    return s, c


@njit(cache=True, inline="always")
def asin_small(x):
    """asin x (rad) for |x| <= `ASIN_SMALL_MAX`: Taylor series to x^11."""
    x2 = x * x
    return x * (1.0 + x2 * (_A3 + x2 * (_A5 + x2 * (_A7 + x2 * (_A9 + x2 * _A11)))))
