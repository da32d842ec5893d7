"""Small-argument series of `shieldsim.series` against the library functions."""

import math

import numpy as np

from shieldsim.series import ASIN_SMALL_MAX, SINCOS_SMALL_MAX, asin_small, sincos_small


def test_sincos_series_equals_the_library_within_two_units_in_the_last_place_over_its_range():
    for x in np.linspace(-SINCOS_SMALL_MAX, SINCOS_SMALL_MAX, 2001):
        s, c = sincos_small(x)
        assert abs(s - math.sin(x)) <= 3e-16 * max(abs(x), 1e-300) and abs(c - math.cos(x)) <= 3e-16
    assert sincos_small(0.0) == (0.0, 1.0)


def test_asin_series_equals_the_library_within_two_units_in_the_last_place_over_its_range():
    for x in np.linspace(-ASIN_SMALL_MAX, ASIN_SMALL_MAX, 2001):
        assert abs(asin_small(x) - math.asin(x)) <= 3e-16 * abs(x)
    # outside the range the truncation shows: callers must test the range
    assert abs(asin_small(0.5) - math.asin(0.5)) > 1e-9
