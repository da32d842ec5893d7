"""US Standard Atmosphere 1976 density: closed-form layers below 86 km, the table above."""

import numpy as np
import pytest
from ambiance import Atmosphere

from shieldsim.atmosphere import USSA76_UPPER, density, layer_edges


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


def test_density_is_the_1976_standards_closed_form_within_its_layers():
    """Below 81 km the closed-form layers agree with ambiance's (ICAO 1993, the same model with
    base pressures rounded to six digits) to 2e-5, kinks included; the sea-level density is the
    standard's 1.225 kg/m^3."""
    alt = np.linspace(-4990, 81000, 20001)
    assert np.allclose(density(alt), Atmosphere(alt).density, rtol=2e-5, atol=0)
    assert density(0.0) == pytest.approx(1.2250, rel=1e-4)


def test_density_is_continuous_at_the_layer_edges_and_steps_only_at_86_km():
    """The hydrostatic base pressures make the layers meet; only at 86 km, where the tabulated
    6.958e-6 kg/m^3 takes over, does the density step (by less than 1e-4 relative)."""
    edges = layer_edges()
    assert np.allclose(edges[:7], [11019.1, 20063.1, 32161.9, 47350.1, 51412.5, 71802.0, 86000.0], atol=0.1)
    for z in edges[:-1]:
        below, above = density(z - 1e-6), density(z)
        assert abs(below / above - 1.0) < (1e-4 if z == 86_000.0 else 1e-9)


def test_density_is_smooth_inside_a_layer():
    """Inside a layer the log-density's second difference is that of a smooth function (no
    table kinks): fourth differences on a 10 m grid inside the tropopause layer vanish to rounding."""
    z = np.arange(12_000.0, 19_000.0, 10.0)
    d4 = np.diff(np.log(density(z)), 4)
    assert np.max(np.abs(d4)) < 1e-12
