"""`trajectory.newton_impacts`: the compiled measurements of `aim`'s vacuum Newton flights are
those of the NumPy path (`boosted._burnout_of` then `boosted._free_flights`)."""

import numpy as np
import pytest

from shieldsim import missile as M
from shieldsim.earth import SPHERE, WGS84
from shieldsim.trajectory import Models
from shieldsim.trajectory.boosted import _burnout_of, _free_flights
from shieldsim.trajectory.newton_impacts import vacuum_measures


@pytest.fixture(scope="module")
def cat():
    return M.catalogue()


@pytest.mark.parametrize("models", [Models(WGS84, rotation=True, drag=False), Models(SPHERE, rotation=False, drag=False)])
def test_vacuum_measures_are_those_of_the_numpy_free_flights_to_rounding(cat, models):
    m = cat["irbm"]
    rng = np.random.default_rng(7)
    n = 400
    lat, lon = np.radians(rng.uniform(-60, 60, n)), np.radians(rng.uniform(-180, 180, n))
    az, kick = rng.uniform(-np.pi, np.pi, n), np.radians(rng.uniform(0.2, 89.0, n))
    t_c = rng.uniform(0.2, 1.0, n) * m.burn_time
    res, _, _ = M.run_boost(m, M.boost_profile(m), lat, lon, az, kick, t_c, models.earth, models.rotation, False)
    res[:3, 13] = 0.0  # failed boosts
    res[3, 4:7] = 0.0  # a burnout at rest: falls straight down (psi 0, no chord)
    ref = _free_flights(m, _burnout_of(res, t_c, models), models, models, need_apogee=False)
    got = vacuum_measures(res, t_c, models)
    for key in ("impact_lat", "impact_lon", "flight_time", "g", "position", "velocity"):
        assert np.array_equal(np.isnan(got[key]), np.isnan(ref[key])), key
        ok = ~np.isnan(ref[key])
        assert np.allclose(got[key][ok], ref[key][ok], rtol=1e-13, atol=1e-12), (key, np.abs(got[key] - ref[key])[ok].max())
    assert np.all(np.isnan(got["apogee_alt"])) and np.array_equal(got["burnout_time"], t_c)
    assert np.isnan(got["impact_lat"][:3]).all() and np.isfinite(got["g"][10:]).sum() > n // 2


@pytest.mark.parametrize("models", [Models(WGS84, rotation=True, drag=False), Models(SPHERE, rotation=False, drag=False)])
def test_vacuum_measures_impacts_are_those_of_the_impact_kernel_bit_for_bit(cat, models):
    """The helpers written out on scalars in `_vacuum_measures` (burnout turned Earth-fixed, the
    descent to the surface, the impact turned Earth-fixed) give the doubles of
    `kernels._impact_vacuum_batch` (which calls them) from the same burnout states."""
    from shieldsim.trajectory.kernels import _impact_vacuum_batch

    m = cat["irbm"]
    rng = np.random.default_rng(9)
    n = 300
    lat, lon = np.radians(rng.uniform(-70, 70, n)), np.radians(rng.uniform(-180, 180, n))
    az, kick = rng.uniform(-np.pi, np.pi, n), np.radians(rng.uniform(0.2, 89.0, n))
    t_c = rng.uniform(0.2, 1.0, n) * m.burn_time
    res, _, _ = M.run_boost(m, M.boost_profile(m), lat, lon, az, kick, t_c, models.earth, models.rotation, False)
    res[3, 4:7] = 0.0
    got = vacuum_measures(res, t_c, models)
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    imp = np.empty((n, 3))
    _impact_vacuum_batch(got["position"], got["velocity"], omega, earth.gm, earth.equatorial_radius, earth.polar_radius,
                         earth.eccentricity_squared, imp)
    np.testing.assert_array_equal(got["flight_time"], imp[:, 0])
    np.testing.assert_array_equal(got["impact_lat"], imp[:, 1])
    np.testing.assert_array_equal(got["impact_lon"], imp[:, 2])
    assert np.isfinite(imp[:, 0]).sum() > n // 2
