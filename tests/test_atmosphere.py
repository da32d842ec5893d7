"""US Standard Atmosphere 1976 density table."""

import numpy as np
from ambiance import Atmosphere

from shieldsim.atmosphere import USSA76_UPPER, density


def test_density_matches_ambiance_below_81_km():
    alt = np.linspace(-4000, 81000, 997)
    assert np.allclose(density(alt), Atmosphere(alt).density, rtol=2e-4)  # log-linear between 25 m knots; worst at the 11 km kink


def test_density_hits_ussa76_table_values_above_81_km():
    for alt, rho in USSA76_UPPER.items():
        assert np.isclose(density(alt), rho, rtol=1e-9)


def test_density_falls_monotonically_and_vanishes_above_table():
    alt = np.linspace(0, 119_000, 2000)
    assert np.all(np.diff(density(alt)) < 0)
    assert density(130_000.0) == 0.0
