"""units: the suffix table converts human units at the edges bit for bit as the hand-written
factors did, refuses keys without a unit, and wraps longitudes into one half-open interval."""

import math

import numpy as np
import pytest

from shieldsim import units


def test_suffixes_convert_to_si_exactly_as_the_factors_they_replace():
    assert units.to_si("max_range_km", 4900.0) == 4900.0 * 1e3
    assert units.to_si("burnout_speed_kms", 4.5) == 4.5 * 1e3
    assert units.to_si("lat_deg", 37.1) == math.radians(37.1)
    assert units.to_si("area_km2", 2.0) == 2e6
    for key in ("revisit_s", "rcs_m2", "beta_kgm2", "antenna_height_m"):
        assert units.to_si(key, 0.1) == 0.1
    lat = [10.0, -33.3, 89.9]
    assert np.array_equal(units.to_si("lat_deg", lat), np.radians(lat))


def test_from_si_is_the_inverse_written_as_division_and_degrees():
    x = 1234567.891
    assert units.from_si("apogee_km", x) == x / 1e3
    assert units.from_si("speed_kms", x) == x / 1e3
    assert units.from_si("gamma_deg", 0.3) == math.degrees(0.3)
    assert units.from_si("time_s", x) == x
    assert units.from_si("alt_km", None) is None
    for key, v in (("max_range_km", 777.25), ("heading_deg", 123.5)):
        assert units.from_si(key, units.to_si(key, v)) == pytest.approx(v, rel=1e-15)


def test_a_key_without_a_unit_is_refused_by_the_converters_and_unitless_in_labels():
    with pytest.raises(KeyError, match="sspk.*allowed suffixes: _kgm2"):
        units.to_si("sspk", 0.8)
    assert units.label("sspk") == ("sspk", "")
    assert units.label("reference_range_km") == ("reference range", "km")
    assert units.label("burnout_speed_kms") == ("burnout speed", "km/s")
    assert units.label("beta_kgm2") == ("beta", "kg/m^2")


def test_si_reads_a_field_of_a_mapping_or_an_object():
    class Spec:
        max_range_km = 10

    assert units.si({"max_range_km": 3}, "max_range_km") == 3000.0
    assert units.si({}, "max_range_km", default=5.0) == 5.0
    assert units.si(Spec(), "max_range_km") == 10_000.0


def test_human_converts_keys_with_units_and_keeps_order_and_the_rest():
    out = units.human({"time_s": 5.0, "alt_km": 2500.0, "name": "x", "lat_deg": math.pi / 2, "miss_km": None})
    assert list(out) == ["time_s", "alt_km", "name", "lat_deg", "miss_km"]
    assert out == {"time_s": 5.0, "alt_km": 2.5, "name": "x", "lat_deg": 90.0, "miss_km": None}


@pytest.mark.parametrize("lon, wrapped", [(180.0, -180.0), (-180.0, -180.0), (190.0, -170.0), (-190.0, 170.0),
                                          (540.0, -180.0), (0.0, 0.0), (359.5, -0.5)])
def test_longitudes_wrap_into_minus_180_inclusive_to_180_exclusive(lon, wrapped):
    assert units.wrap_lon_deg(lon) == pytest.approx(wrapped)
    assert units.wrap_pi(math.radians(lon)) == pytest.approx(math.radians(wrapped))


def test_wraps_work_on_arrays():
    lon = np.array([-720.0, -181.0, 179.0, 181.0])
    assert np.allclose(units.wrap_lon_deg(lon), [0.0, 179.0, 179.0, -179.0])
    assert np.all((units.wrap_pi(np.radians(lon)) >= -np.pi) & (units.wrap_pi(np.radians(lon)) < np.pi))
