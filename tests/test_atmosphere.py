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


def test_edge_time_finds_where_a_quadratic_path_reaches_a_layer_edge():
    """`edge_time`: a state climbing along the radius at 600 m/s, decelerating at 10 m/s^2,
    reaches the 11.02 km edge from 10 km when 10 km + 600 t - 5 t^2 is the edge (within 1 mm of
    height); a path that does not reach it within t_max gives inf. `next_edge` names that edge
    above, and the one below when descending; none below the troposphere or above 86 km."""
    from shieldsim.atmosphere import density_table, edge_time, layer_of, next_edge
    from shieldsim.earth import WGS84, radial_height_one, surface_radius, to_ecef

    a, b = WGS84.equatorial_radius, WGS84.polar_radius
    bottom, top, table = density_table()
    r = to_ecef(np.array([0.0]), np.array([0.3]), 0.0, WGS84)[0]
    up = r / np.linalg.norm(r)
    r = up * (surface_radius(np.array([0.0]), WGS84)[0] + 10_000.0)
    y = np.r_[r, 600.0 * up]
    acc = np.r_[0.0, 0.0, 0.0, -10.0 * up]
    kz = layer_of(radial_height_one(y, a, b), top, table)
    z_edge, k_next, t_lin = next_edge(y, kz, top, table, a, b)
    assert z_edge == layer_edges()[0] and k_next == kz + 1
    assert t_lin == pytest.approx((z_edge - 10_000.0) / 600.0, rel=1e-9)
    dz = z_edge - 10_000.0
    exact = (600.0 - np.sqrt(600.0**2 - 20.0 * dz)) / 10.0
    assert edge_time(y, acc, z_edge, 5.0, a, b) == pytest.approx(exact, abs=1e-3 / 600.0)
    assert edge_time(y, acc, z_edge, 1.0, a, b) == np.inf
    down = np.r_[r + 2_000.0 * up, -600.0 * up]  # at 12 km, in the tropopause layer
    assert next_edge(down, kz + 1, top, table, a, b)[:2] == (z_edge, kz)
    assert np.isnan(next_edge(np.r_[r, -600.0 * up], kz, top, table, a, b)[0])  # nothing below the troposphere
    high = np.r_[up * (np.linalg.norm(r) + 85_000.0), 600.0 * up]  # above 86 km: no edge is a kink
    assert next_edge(high, 7, top, table, a, b)[2] == np.inf
