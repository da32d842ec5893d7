"""Earth models: geodetic <-> ECEF, local bases and surface distances, cross-checked with pyproj."""

import numpy as np
import pytest
from pyproj import Geod, Transformer

from shieldsim.earth import (
    SPHERE, WGS84, earth_model, enu_basis, geodesic_direct, geodesic_inverse, great_circle_distance,
    local_velocity, surface_distance, to_ecef, to_geodetic,
)

rng = np.random.default_rng(1)
LAT = rng.uniform(-90, 90, 500)
LON = rng.uniform(-180, 180, 500)
ALT = rng.uniform(-1e3, 2e6, 500)


def test_to_ecef_matches_pyproj_on_wgs84():
    t = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    x, y, z = t.transform(LON, LAT, ALT)
    ours = to_ecef(np.radians(LAT), np.radians(LON), ALT, WGS84)
    assert np.max(np.abs(ours - np.column_stack([x, y, z]))) < 1e-6


def test_to_geodetic_inverts_to_ecef_below_a_millimetre():
    for earth in (SPHERE, WGS84):
        lat, lon, alt = to_geodetic(to_ecef(np.radians(LAT), np.radians(LON), ALT, earth), earth)
        assert np.max(np.abs(np.degrees(lat) - LAT)) < 1e-9
        dlon = (np.degrees(lon) - LON + 180) % 360 - 180
        assert np.max(np.abs(dlon[np.abs(LAT) < 89.99])) < 1e-9
        assert np.max(np.abs(alt - ALT)) < 1e-3


def test_enu_basis_is_orthonormal_and_right_handed():
    e, n, u = enu_basis(np.radians(LAT), np.radians(LON))
    for v in (e, n, u):
        assert np.allclose(np.linalg.norm(v, axis=-1), 1.0)
    assert np.allclose(np.sum(e * n, -1), 0) and np.allclose(np.sum(n * u, -1), 0)
    assert np.allclose(np.cross(e, n), u)


def test_up_is_the_ellipsoid_normal():
    lat, lon = np.radians(LAT), np.radians(LON)
    p0 = to_ecef(lat, lon, 0.0, WGS84)
    p1 = to_ecef(lat, lon, 1000.0, WGS84)
    assert np.allclose((p1 - p0) / 1000.0, enu_basis(lat, lon)[2], atol=1e-9)


def test_local_velocity_has_requested_speed_and_angle():
    v = local_velocity(3000.0, np.radians(30), np.radians(90), 0.0, 0.0)
    assert np.isclose(np.linalg.norm(v), 3000.0)
    # at (0, 0): east is +y, up is +x
    assert np.allclose(v, [3000 * 0.5, 3000 * np.cos(np.radians(30)), 0.0])


def test_geodesic_distance_and_heading_match_pyproj():
    g = Geod(ellps="WGS84")
    lat2, lon2 = rng.uniform(-89, 89, 500), rng.uniform(-180, 180, 500)
    az, _, d = g.inv(LON, LAT, lon2, lat2)
    dist, head = geodesic_inverse(*np.radians([LAT, LON, lat2, lon2]), WGS84)
    assert np.allclose(dist, d, rtol=1e-12, atol=1e-6)
    assert np.allclose(np.degrees(head), az, atol=1e-9)



def test_compiled_geodesic_inverse_matches_pyproj_within_a_millimetre_and_falls_back_near_the_antipode():
    from shieldsim.earth import geodesic_inverse_compiled
    g = Geod(ellps="WGS84")
    lat1, lon1 = rng.uniform(-89, 89, 2000), rng.uniform(-180, 180, 2000)
    lat2, lon2 = rng.uniform(-89, 89, 2000), rng.uniform(-180, 180, 2000)
    # nearly antipodal pairs (Vincenty does not converge: pyproj), a NaN, a short hop, a meridian
    lat2[:3], lon2[:3] = -lat1[:3] + 0.01, lon1[:3] + 179.7
    lat2[3] = np.nan
    lat2[4], lon2[4] = lat1[4] + 1e-3, lon1[4]
    lat2[5], lon2[5] = lat1[5] + 20.0, lon1[5]
    az, _, d = g.inv(lon1, lat1, lon2, lat2)
    dist, head = geodesic_inverse_compiled(*np.radians([lat1, lon1, lat2, lon2]), WGS84)
    assert np.isnan(dist[3]) and np.isnan(head[3])
    ok = np.isfinite(lat2)
    assert np.all(np.abs(dist[ok] - d[ok]) < 1e-3), np.nanmax(np.abs(dist - d))
    turn = np.radians(az[ok]) - head[ok]
    assert np.all(np.abs(np.angle(np.exp(1j * turn))) < 1e-9)
    s_dist, s_head = geodesic_inverse_compiled(*np.radians([lat1, lon1, lat2, lon2]), SPHERE)
    ref = geodesic_inverse(*np.radians([lat1, lon1, lat2, lon2]), SPHERE)
    assert np.array_equal(s_dist, ref[0], equal_nan=True) and np.array_equal(s_head, ref[1], equal_nan=True)

def test_great_circle_against_spherical_law_of_cosines():
    lat2, lon2 = rng.uniform(-89, 89, 500), rng.uniform(-180, 180, 500)
    a1, o1, a2, o2 = np.radians([LAT, LON, lat2, lon2])
    ref = SPHERE.equatorial_radius * np.arccos(
        np.clip(np.sin(a1) * np.sin(a2) + np.cos(a1) * np.cos(a2) * np.cos(o2 - o1), -1, 1))
    assert np.allclose(great_circle_distance(a1, o1, a2, o2), ref, rtol=1e-7, atol=1e-3)
    assert np.allclose(surface_distance(a1, o1, a2, o2, SPHERE), ref, rtol=1e-7, atol=1e-3)


@pytest.mark.parametrize("earth", [SPHERE, WGS84])
def test_geodesic_direct_inverts_inverse(earth):
    lat2, lon2 = rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)
    a1, o1, a2, o2 = np.radians([LAT[:200].clip(-80, 80), LON[:200], lat2, lon2])
    dist, head = geodesic_inverse(a1, o1, a2, o2, earth)
    b2, p2 = geodesic_direct(a1, o1, head, dist, earth)
    assert np.allclose(b2, a2, atol=1e-9)
    assert np.allclose((p2 - o2 + np.pi) % (2 * np.pi) - np.pi, 0, atol=1e-9)


def test_unknown_earth_model_is_a_clear_error():
    with pytest.raises(ValueError, match="sphere"):
        earth_model("flat")


def test_scalar_kernels_match_numpy_and_pyproj():
    from shieldsim.earth import ecef_one, geodetic_height_one, surface_distance_one

    g = Geod(ellps="WGS84")
    lat2, lon2 = rng.uniform(-89, 89, 300), rng.uniform(-180, 180, 300)
    out = np.empty(3)
    for i in range(300):
        a1, o1, a2, o2 = np.radians([LAT[i], LON[i], lat2[i], lon2[i]])
        ecef_one(a1, o1, ALT[i], WGS84.equatorial_radius, WGS84.eccentricity_squared, out)
        assert np.allclose(out, to_ecef(a1, o1, ALT[i], WGS84), atol=1e-6)
        lat, h = geodetic_height_one(*out, WGS84.equatorial_radius, WGS84.flattening)
        assert abs(lat - a1) < 1e-11 and abs(h - ALT[i]) < 1e-3
        d = surface_distance_one(a1, o1, a2, o2, WGS84.equatorial_radius, WGS84.flattening)
        ref = g.inv(LON[i], LAT[i], lon2[i], lat2[i])[2]
        assert np.isnan(d) or abs(d - ref) < 1e-3
        d_s = surface_distance_one(a1, o1, a2, o2, SPHERE.equatorial_radius, 0.0)
        assert np.isclose(d_s, great_circle_distance(a1, o1, a2, o2), rtol=1e-12)


def test_fixed_state_kernel_turns_inertial_state_into_earth_fixed_axes_and_earth_relative_velocity():
    from shieldsim.earth import fixed_state_one, rotate_about_z

    omega = WGS84.rotation_rate
    r = to_ecef(np.radians(LAT[:50]), np.radians(LON[:50]), ALT[:50])
    v = rng.normal(0.0, 3e3, (50, 3))
    t = rng.uniform(0.0, 3e3, 50)
    ref_r = rotate_about_z(r, -omega * t)
    ref_v = rotate_about_z(v - np.cross([0.0, 0.0, omega], r), -omega * t)
    pos, vel = np.empty(3), np.empty(3)
    for i in range(50):
        fixed_state_one(r[i], v[i], t[i], omega, pos, vel)
        assert np.allclose(pos, ref_r[i], rtol=0, atol=1e-6) and np.allclose(vel, ref_v[i], rtol=0, atol=1e-9)
    # a point at rest on the Earth (inertial velocity omega x r) has zero Earth-relative velocity
    fixed_state_one(r[0], np.cross([0.0, 0.0, omega], r[0]), t[0], omega, pos, vel)
    assert np.allclose(vel, 0.0, atol=1e-9)


def test_fixed_state_with_the_turn_given_equals_the_kernel_that_turns_it_itself_bit_for_bit():
    import math

    from shieldsim.earth import fixed_state_one, fixed_state_turned

    omega = WGS84.rotation_rate
    r = to_ecef(np.radians(LAT[:50]), np.radians(LON[:50]), ALT[:50])
    v = rng.normal(0.0, 3e3, (50, 3))
    t = rng.uniform(0.0, 3e3, 50)
    pos, vel, pos2, vel2 = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    for i in range(50):
        fixed_state_one(r[i], v[i], t[i], omega, pos, vel)
        fixed_state_turned(r[i], v[i], math.cos(-omega * t[i]), math.sin(-omega * t[i]), omega, pos2, vel2)
        assert pos.tobytes() == pos2.tobytes() and vel.tobytes() == vel2.tobytes()
    # a quarter turn: x to -y, and the Earth-relative velocity v - omega x r turned with it
    fixed_state_turned(np.array([1.0, 0.0, 2.0]), np.array([0.0, 3.0, 4.0]), 0.0, -1.0, 0.5, pos, vel)
    assert pos.tolist() == [0.0, -1.0, 2.0] and vel.tolist() == [2.5, 0.0, 4.0]


@pytest.mark.parametrize("earth", [SPHERE, WGS84])
def test_radial_height_kernel_is_zero_on_the_surface_and_grows_with_the_radius(earth):
    from shieldsim.earth import radial_height_one, surface_radius, surface_radius_one

    a, b = earth.equatorial_radius, earth.polar_radius
    ground = to_ecef(np.radians(LAT[:100]), np.radians(LON[:100]), 0.0, earth)
    for p in ground:
        rn = np.linalg.norm(p)
        assert np.isclose(surface_radius_one(p[2] / rn, a, b), surface_radius(p[2] / rn, earth), rtol=1e-15)
        assert abs(radial_height_one(p, a, b)) < 1e-6
        assert np.isclose(radial_height_one(p * (1.0 + 5e4 / rn), a, b), 5e4, rtol=0, atol=1e-6)
    # along the geocentric radius the height is within metres of the geodetic height below 100 km
    p = to_ecef(np.radians(LAT[:100]), np.radians(LON[:100]), 1e5, earth)
    h = np.array([radial_height_one(q, a, b) for q in p])
    assert np.all(np.abs(h - 1e5) < 10.0)


def test_fixed_state_and_inertial_velocity_invert_each_other_at_time_zero_and_match_the_kernel():
    from shieldsim.earth import fixed_state, fixed_state_one, inertial_velocity

    omega = WGS84.rotation_rate
    r = to_ecef(np.radians(LAT[:20]), np.radians(LON[:20]), ALT[:20])
    v_rel = rng.normal(0.0, 3e3, (20, 3))
    pos, vel = fixed_state(r, inertial_velocity(r, v_rel, omega), 0.0, omega)
    assert np.allclose(pos, r, rtol=0, atol=1e-6) and np.allclose(vel, v_rel, rtol=0, atol=1e-9)
    t = rng.uniform(0.0, 3e3, 20)
    pos, vel = fixed_state(r, v_rel, t, omega)
    p1, w1 = np.empty(3), np.empty(3)
    for i in range(20):
        fixed_state_one(r[i], v_rel[i], t[i], omega, p1, w1)
        assert np.allclose(p1, pos[i], rtol=0, atol=1e-6) and np.allclose(w1, vel[i], rtol=0, atol=1e-9)


def test_gaussian_radius_is_the_sphere_radius_and_the_ellipsoid_curvature_at_equator_and_pole():
    from shieldsim.earth import gaussian_radius

    assert np.allclose(gaussian_radius(np.radians(LAT), SPHERE), SPHERE.equatorial_radius, rtol=1e-15)
    a, b = WGS84.equatorial_radius, WGS84.polar_radius
    assert np.isclose(gaussian_radius(0.0, WGS84), b, rtol=1e-12)  # sqrt(a (1 - e^2) a) = b
    assert np.isclose(gaussian_radius(np.pi / 2, WGS84), a * a / b, rtol=1e-12)  # M = N = a^2 / b
    assert np.all(np.diff(gaussian_radius(np.radians(np.arange(0, 91)), WGS84)) > 0)


def test_geodesic_distance_from_sines_and_cosines_matches_pyproj_vincenty_and_the_great_circle():
    from shieldsim.earth import geodesic_distance_sc, surface_distance_one

    g = Geod(ellps="WGS84")
    a, f = WGS84.equatorial_radius, WGS84.flattening
    lat2, lon2 = rng.uniform(-89, 89, 300), rng.uniform(-180, 180, 300)
    for i in range(300):
        a1, o1, a2, o2 = np.radians([LAT[i], LON[i], lat2[i], lon2[i]])
        sc = (np.sin(a1), np.cos(a1), np.sin(a2), np.cos(a2), o2 - o1, np.sin(o2 - o1), np.cos(o2 - o1))
        d = geodesic_distance_sc(*sc, a, f)
        ref = g.inv(LON[i], LAT[i], lon2[i], lat2[i])[2]
        vincenty = surface_distance_one(a1, o1, a2, o2, a, f)
        assert np.isnan(d) == np.isnan(vincenty)
        assert np.isnan(d) or (abs(d - ref) < 1e-3 and abs(d - vincenty) < 1e-5)
        d_s = geodesic_distance_sc(*sc, SPHERE.equatorial_radius, 0.0)
        assert np.isclose(d_s, great_circle_distance(a1, o1, a2, o2), rtol=1e-12)
