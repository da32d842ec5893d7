"""Ballistic free flight from burnout to impact, against the closed-form two-body solution,
an independent SciPy integration, and conservation laws."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from shieldsim.atmosphere import density
from shieldsim.earth import SPHERE, WGS84, rotate_about_z, to_ecef, to_geodetic
from shieldsim.kepler import apoapsis
from shieldsim.trajectory import Models, burnout_state, fly, fly_states

GM = SPHERE.gm
R = SPHERE.equatorial_radius
rng = np.random.default_rng(3)


def closed_form(r0, v, gamma):
    """Range angle, time of flight and apogee radius of the conic from radius r0 with speed v
    at flight-path angle gamma down to radius R (Bate, Mueller & White, ch. 6, via true anomaly)."""
    h = r0 * v * np.cos(gamma)
    p = h * h / GM
    a = 1.0 / (2.0 / r0 - v * v / GM)
    e = np.sqrt(1.0 - p / a)
    nu0 = np.mod(np.arctan2(v * np.sin(gamma) * h / GM, p / r0 - 1.0), 2 * np.pi)
    nu1 = 2 * np.pi - np.arccos((p / R - 1.0) / e)
    psi = nu1 - nu0

    def mean_anomaly(nu):
        E = 2 * np.arctan2(np.sqrt(1 - e) * np.sin(nu / 2), np.sqrt(1 + e) * np.cos(nu / 2))
        E = np.where(E < 0, E + 2 * np.pi, E)
        return E - e * np.sin(E)

    tof = (mean_anomaly(nu1) - mean_anomaly(nu0)) / np.sqrt(GM / a**3)
    r_apo = np.where(gamma > 0, a * (1 + e), r0)
    return psi, tof, r_apo


def test_vacuum_flight_matches_closed_form_on_nonrotating_sphere():
    n = 400
    speed = rng.uniform(1000, 7500, n)
    gamma = np.radians(rng.uniform(-10, 80, n))
    alt = rng.uniform(0, 400e3, n)
    lat, lon, head = np.radians(rng.uniform(-80, 80, n)), np.radians(rng.uniform(-180, 180, n)), np.radians(rng.uniform(0, 360, n))
    f = fly(lat, lon, alt, speed, gamma, head, Models(SPHERE, rotation=False, drag=False))
    psi, tof, r_apo = closed_form(R + alt, speed, gamma)
    ok = np.isfinite(tof) & (psi > 1e-4)
    assert ok.sum() > 300
    assert np.allclose(f.ground_range[ok], R * psi[ok], rtol=1e-6, atol=0)
    assert np.allclose(f.flight_time[ok], tof[ok], rtol=1e-6, atol=0)
    assert np.allclose(f.apogee_alt[ok], r_apo[ok] - R, rtol=1e-6, atol=1e-3)


def _ivp_impact(r0, v0, omega, earth, drag_beta=None):
    """Integrate in the inertial frame with solve_ivp until the model surface; return Earth-fixed
    impact point (m) and time (s)."""
    from shieldsim.earth import surface_radius

    def rhs(t, y):
        r, v = y[:3], y[3:]
        acc = -GM * r / np.linalg.norm(r) ** 3
        if drag_beta:
            rn = np.linalg.norm(r)
            h = rn - surface_radius(r[2] / rn, earth)
            v_air = v - np.cross([0, 0, omega], r)
            acc = acc - density(h) * np.linalg.norm(v_air) * v_air / (2 * drag_beta)
        return np.r_[v, acc]

    def hit(t, y):
        rn = np.linalg.norm(y[:3])
        return rn - surface_radius(y[2] / rn, earth)

    hit.terminal, hit.direction = True, -1
    y0 = np.r_[r0, v0 + np.cross([0, 0, omega], r0)]
    sol = solve_ivp(rhs, (0, 1e5), y0, events=hit, rtol=1e-11, atol=1e-6, method="DOP853")
    t = sol.t_events[0][0]
    return rotate_about_z(sol.y_events[0][0][:3], -omega * t), t


@pytest.mark.parametrize("earth", [SPHERE, WGS84])
def test_rotating_flight_matches_solve_ivp(earth):
    cases = [(50, 30, 100e3, 5000, 40, 270), (10, -60, 50e3, 7000, 25, 45), (-35, 140, 200e3, 3000, 60, 180),
             (70, 10, 80e3, 6500, 20, 0)]
    for lat, lon, alt, v, g, h in cases:
        f = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), Models(earth, True, False))
        r0, v0 = burnout_state(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), earth)
        p_ref, t_ref = _ivp_impact(r0[0], v0[0], earth.rotation_rate, earth)
        p = to_ecef(f.impact_lat, f.impact_lon, 0.0, earth)[0]
        assert np.linalg.norm(p - p_ref) < 10.0
        assert abs(f.flight_time[0] - t_ref) < 0.01


def test_drag_flight_matches_solve_ivp_with_same_atmosphere():
    lat, lon, alt, v, g, h, beta = 40, 50, 90e3, 3000, 35, 300, 2000.0
    f = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), Models(WGS84, True, True), beta=beta)
    r0, v0 = burnout_state(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), WGS84)
    p_ref, t_ref = _ivp_impact(r0[0], v0[0], WGS84.rotation_rate, WGS84, drag_beta=beta)
    p = to_ecef(f.impact_lat, f.impact_lon, 0.0, WGS84)[0]
    assert np.linalg.norm(p - p_ref) < 50.0
    assert abs(f.flight_time[0] - t_ref) < 0.05


def test_drag_shortens_range_and_slows_impact():
    args = (np.radians(45), 0.0, 50e3, 3000.0, np.radians(45), 0.0)
    vac = fly(*args, Models(WGS84, True, False))
    dragged = fly(*args, Models(WGS84, True, True), beta=1000.0)
    assert dragged.ground_range[0] < vac.ground_range[0]
    assert dragged.impact_speed[0] < vac.impact_speed[0]


def test_sampled_vacuum_states_conserve_energy_and_angular_momentum():
    n = 50
    f = fly(np.radians(rng.uniform(-60, 60, n)), np.radians(rng.uniform(-180, 180, n)), rng.uniform(50e3, 300e3, n),
            rng.uniform(2000, 7000, n), np.radians(rng.uniform(10, 70, n)), np.radians(rng.uniform(0, 360, n)),
            Models(WGS84, True, False), sample_step=5.0)
    om = WGS84.rotation_rate
    t = f.sample_time[None, :]
    r_in = rotate_about_z(f.position, om * t)
    v_in = rotate_about_z(f.velocity, om * t) + np.cross([0, 0, om], r_in)
    ok = np.isfinite(r_in[..., 0])
    assert ok[:, 1:].any(axis=1).all()
    e = 0.5 * np.sum(v_in**2, -1) - GM / np.linalg.norm(r_in, axis=-1)
    hvec = np.cross(r_in, v_in)
    e0, h0 = e[:, :1], hvec[:, :1]
    assert np.nanmax(np.abs(e / e0 - 1)) < 1e-9
    dh = np.linalg.norm(hvec - h0, axis=-1) / np.linalg.norm(h0, axis=-1)
    assert np.nanmax(dh) < 1e-9
    # the sampled flight stops at impact
    last = ok.sum(axis=1) - 1
    assert np.all(last * 5.0 <= f.flight_time) and np.all((last + 1) * 5.0 >= f.flight_time)


def test_rotation_off_is_the_limit_of_slow_rotation():
    import dataclasses

    slow = dataclasses.replace(SPHERE, rotation_rate=1e-12)
    args = (np.radians(30), np.radians(20), 100e3, 4000.0, np.radians(40), np.radians(75))
    a = fly(*args, Models(SPHERE, False, False))
    b = fly(*args, Models(slow, True, False))
    assert abs(a.ground_range[0] - b.ground_range[0]) < 1e-3
    assert abs(a.flight_time[0] - b.flight_time[0]) < 1e-6


def test_eastward_launch_flies_further_with_rotation():
    args = (0.0, 0.0, 100e3, 5000.0, np.radians(40))
    east_rot = fly(*args, np.radians(90), Models(SPHERE, True, False))
    east_fix = fly(*args, np.radians(90), Models(SPHERE, False, False))
    # Earth-relative speed is the same, inertial speed larger eastwards -> longer flight
    assert east_rot.flight_time[0] > east_fix.flight_time[0]


def test_wgs84_differs_from_sphere_by_little_and_in_the_expected_direction():
    # At the pole the WGS84 surface lies 14 km inside the 6371 km sphere: a burnout 100 km
    # above each surface starts lower on WGS84 but falls further; at the equator the WGS84
    # surface lies 7 km outside. Ranges differ by under 2 %.
    for lat, sign in ((89.0, 1), (0.0, -1)):
        args = (np.radians(lat), 0.0, 100e3, 4000.0, np.radians(45), np.radians(90))
        s = fly(*args, Models(SPHERE, False, False))
        w = fly(*args, Models(WGS84, False, False))
        rel = (w.ground_range[0] - s.ground_range[0]) / s.ground_range[0]
        assert abs(rel) < 0.02
        r_sphere = R + 100e3
        r_wgs = np.linalg.norm(to_ecef(np.radians(lat), 0.0, 100e3, WGS84))
        assert np.sign(r_sphere - r_wgs) == sign


def test_orbit_and_escape_give_nan():
    f = fly(0.0, 0.0, 300e3, np.array([7800.0, 11500.0]), 0.0, np.radians(90), Models(SPHERE, False, False))
    assert np.isnan(f.flight_time).all()


def test_impact_point_is_on_the_surface():
    f = fly(np.radians(50), np.radians(30), 100e3, 5000, np.radians(40), np.radians(270), Models(WGS84, True, False),
            sample_step=1.0)
    last = f.position[0][np.isfinite(f.position[0, :, 0])][-1]
    _, _, alt = to_geodetic(last, WGS84)
    assert 0 <= alt < 5000 * 1.0 + 1


def _sampled(speed, step, labels=None):
    """Trajectories of burnout states at Tabriz heading west (speeds in m/s), sampled every step."""
    from shieldsim.trajectory import Trajectory

    speed = np.asarray(speed, dtype=float)
    n = speed.size
    lat, lon = np.full(n, np.radians(38.0)), np.full(n, np.radians(46.0))
    f = fly(lat, lon, 100e3, speed, np.radians(40.0), np.radians(290.0), Models(), sample_step=step,
            max_time=3000.0)
    z = np.zeros(n)
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=z,
                      burnout_time=z, impact_time=f.flight_time, apogee_time=f.apogee_time, launch_lat=lat,
                      launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon, apogee_alt=f.apogee_alt,
                      ground_range=f.ground_range, rcs=0.1, beta=z + np.inf, models=Models(), labels=labels)


def test_concat_keeps_every_flight_and_pads_shorter_grids_with_nan():
    from shieldsim.trajectory import Trajectory

    short = _sampled([2000.0], 5.0, labels=np.array(["short"], dtype=object))
    long = _sampled([3000.0, 3500.0], 5.0, labels=np.array(["a", "b"], dtype=object))
    both = Trajectory.concat([short, long])
    assert len(both) == 3 and list(both.labels) == ["short", "a", "b"]
    assert both.time.size == max(short.time.size, long.time.size) and both.step == pytest.approx(5.0)
    np.testing.assert_array_equal(both.position[0, :short.time.size], short.position[0])
    assert np.isnan(both.position[0, short.time.size:]).all()
    np.testing.assert_array_equal(both.velocity[1:, :long.time.size], long.velocity)
    np.testing.assert_array_equal(both.impact_time, np.r_[short.impact_time, long.impact_time])
    np.testing.assert_array_equal(both.rcs, [0.1, 0.1, 0.1])  # a scalar per part is repeated per flight
    assert both.body_rcs is None and both.separation_time is None  # no part has a body phase
    long.body_rcs, long.separation_time = np.array([3.0, 4.0]), np.array([100.0, 110.0])
    mixed = Trajectory.concat([short, long])  # a part without a body phase sees its rcs from launch
    np.testing.assert_array_equal(mixed.body_rcs, [0.1, 3.0, 4.0])
    np.testing.assert_array_equal(mixed.separation_time, [short.burnout_time[0], 100.0, 110.0])
    assert Trajectory.concat([short, _sampled([3000.0], 5.0)]).labels is None


def test_concat_refuses_parts_on_different_steps():
    from shieldsim.trajectory import Trajectory

    with pytest.raises(ValueError, match="time grids"):
        Trajectory.concat([_sampled([2000.0], 5.0), _sampled([2000.0], 2.0)])
    with pytest.raises(ValueError, match="no trajectories"):
        Trajectory.concat([])


def _highest_geodetic_height_by_dense_sampling(lat_deg, lon_deg, alt, speed, gamma_deg, heading_deg, t_max):
    """Independent apogee: burnout state from pyproj (geodetic -> ECEF) and a hand-built local
    frame, the two-body arc integrated with solve_ivp in the inertial frame, sampled every
    5 ms, each sample converted back to a geodetic height with pyproj; the largest. (Geodetic
    height does not change under the Earth's rotation about z, so inertial samples serve.)
    PROJ's ECEF -> geodetic inverse is closed form and off by up to ~4 cm at 1,000-3,000 km
    height, so each height is corrected once along the ellipsoid normal by the miss of PROJ's
    exact forward transform."""
    from pyproj import Transformer

    to_xyz = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    to_lla = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
    r0 = np.array(to_xyz.transform(lon_deg, lat_deg, alt))
    la, lo, g, h = np.radians([lat_deg, lon_deg, gamma_deg, heading_deg])
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    v_rel = speed * (np.cos(g) * (np.sin(h) * east + np.cos(h) * north) + np.sin(g) * up)
    v0 = v_rel + np.cross([0.0, 0.0, WGS84.rotation_rate], r0)

    def rhs(t, y):
        return np.r_[y[3:], -WGS84.gm * y[:3] / np.linalg.norm(y[:3]) ** 3]

    sol = solve_ivp(rhs, (0.0, t_max), np.r_[r0, v0], rtol=1e-13, atol=1e-8, method="DOP853", dense_output=True)
    t = np.arange(0.0, t_max, 0.005)
    x, y, z = sol.sol(t)[:3]
    lon_s, lat_s, heights = (np.asarray(c) for c in to_lla.transform(x, y, z))
    xf, yf, zf = to_xyz.transform(lon_s, lat_s, heights)
    la_s, lo_s = np.radians(lat_s), np.radians(lon_s)
    heights = heights + ((x - xf) * np.cos(la_s) * np.cos(lo_s) + (y - yf) * np.cos(la_s) * np.sin(lo_s)
                         + (z - zf) * np.sin(la_s))
    k = int(np.argmax(heights))
    return heights[k], t[k]


@pytest.mark.parametrize("case", [(40.0, 50.0, 200e3, 6800.0, 30.0, 330.0), (55.0, 37.0, 250e3, 7000.0, 22.0, 350.0),
                                  (10.0, 0.0, 150e3, 6000.0, 35.0, 20.0), (-30.0, 20.0, 180e3, 6500.0, 40.0, 200.0)])
def test_wgs84_apogee_is_the_greatest_height_above_the_ellipsoid(case):
    lat, lon, alt, v, g, h = case
    models = Models(WGS84, True, False)
    f = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), models)
    ref_h, ref_t = _highest_geodetic_height_by_dense_sampling(lat, lon, alt, v, g, h, float(f.flight_time[0]))
    assert f.apogee_alt[0] == pytest.approx(ref_h, abs=1e-3)
    assert f.apogee_time[0] == pytest.approx(ref_t, abs=0.5)
    # the sampled and drag paths of `fly` report the same highest point
    sampled = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), models, sample_step=10.0)
    assert sampled.apogee_alt[0] == pytest.approx(ref_h, abs=1e-3)


@pytest.mark.parametrize("case, min_offset_s", [
    ((30.0, 10.0, 150e3, 7500.0, 0.5, 0.0), 20.0),  # depressed, heading poleward: the surface falls away
    ((45.0, 0.0, 100e3, 7800.0, 0.3, 0.0), 100.0),  # nearly circular: h is not concave near the apoapsis
    ((80.0, 20.0, 200e3, 6000.0, 15.0, 0.0), 0.5),  # over the pole
    ((20.0, 0.0, 30e3, 500.0, 30.0, 90.0), 0.0),  # very short
])
def test_wgs84_apogee_far_from_the_apoapsis_is_the_greatest_height_above_the_ellipsoid(case, min_offset_s):
    lat, lon, alt, v, g, h = case
    models = Models(WGS84, True, False)
    f = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), models)
    ref_h, ref_t = _highest_geodetic_height_by_dense_sampling(lat, lon, alt, v, g, h, float(f.flight_time[0]))
    r0, v0 = burnout_state(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), WGS84)
    _, t_apoapsis = apoapsis(r0, v0 + np.cross([0.0, 0.0, WGS84.rotation_rate], r0))
    assert abs(ref_t - t_apoapsis[0]) >= min_offset_s  # the case is what it claims to be
    assert f.apogee_alt[0] == pytest.approx(ref_h, abs=1e-3)
    assert f.apogee_time[0] == pytest.approx(ref_t, abs=0.5)
    sampled = fly(*np.radians([lat, lon]), alt, v, np.radians(g), np.radians(h), models, sample_step=10.0)
    assert sampled.apogee_alt[0] == pytest.approx(ref_h, abs=1e-3)
    # the batch from Earth-fixed states (what aiming flies) finds the same point
    assert fly_states(r0, v0, models).apogee_alt[0] == pytest.approx(ref_h, abs=1e-3)


@pytest.mark.parametrize("models", [Models(WGS84, True, False), Models(SPHERE, False, False), Models(WGS84, True, True)])
def test_fly_states_impact_only_gives_the_same_impacts_and_leaves_range_speed_and_angle_unset(models):
    """``impact_only``: impact point, flight time and apogee bit for bit those of the full
    `fly_states` (vacuum and drag, sampled or not); ground range, impact speed and angle NaN."""
    gen = np.random.default_rng(4)
    n = 40
    r0, v0 = burnout_state(np.radians(gen.uniform(20, 60, n)), np.radians(gen.uniform(-10, 60, n)),
                           gen.uniform(1e5, 2.5e5, n), gen.uniform(2500, 6500, n), np.radians(gen.uniform(10, 50, n)),
                           np.radians(gen.uniform(0, 360, n)), models.earth)
    for step in (None, 5.0):
        full = fly_states(r0, v0, models, 5e3, sample_step=step, max_time=3000.0)
        lean = fly_states(r0, v0, models, 5e3, sample_step=step, max_time=3000.0, impact_only=True)
        assert np.all(np.isfinite(full.ground_range)) and np.all(np.isfinite(full.impact_gamma))
        for name in ("impact_lat", "impact_lon", "flight_time", "apogee_alt", "apogee_time", "sample_time", "position",
                     "velocity"):
            np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
        for name in ("ground_range", "impact_speed", "impact_gamma"):
            assert np.all(np.isnan(getattr(lean, name)))


def _ivp_impact_drag_below_ceiling(r0, v0, omega, earth, beta):
    """Impact (Earth-fixed m) and time (s) of the flight from the Earth-fixed burnout state with
    drag below `DRAG_CEILING` only, as `fly` models it: SciPy DOP853 (rtol 1e-12) from ceiling
    crossing to ceiling crossing, with and without drag."""
    from shieldsim.earth import surface_radius
    from shieldsim.trajectory import DRAG_CEILING

    def height(y):
        rn = np.linalg.norm(y[:3])
        return rn - surface_radius(y[2] / rn, earth)

    def rhs(drag):
        def f(t, y):
            r, v = y[:3], y[3:]
            acc = -GM * r / np.linalg.norm(r) ** 3
            if drag:
                v_air = v - np.cross([0, 0, omega], r)
                acc = acc - density(height(y)) * np.linalg.norm(v_air) * v_air / (2 * beta)
            return np.r_[v, acc]
        return f

    def ceiling(t, y):
        return height(y) - DRAG_CEILING

    def ground(t, y):
        return height(y)

    ceiling.terminal, ground.terminal, ground.direction = True, True, -1
    y, t = np.r_[r0, v0 + np.cross([0, 0, omega], r0)], 0.0
    while True:
        below = height(y) < DRAG_CEILING or (height(y) - DRAG_CEILING < 1e-3 and np.dot(y[:3], y[3:]) < 0)
        ceiling.direction = 1 if below else -1
        sol = solve_ivp(rhs(below), (t, t + 1e5), y, events=[ceiling, ground], rtol=1e-12, atol=1e-7,
                        method="DOP853")
        if sol.t_events[1].size:
            t = sol.t_events[1][0]
            return rotate_about_z(sol.y_events[1][0][:3], -omega * t), t
        t, y = sol.t_events[0][0], sol.y_events[0][0]


@pytest.mark.parametrize("alt, speed, gamma, beta", [
    (90e3, 3000.0, 35.0, 2000.0),  # climbs out of the drag region, re-enters
    (150e3, 4500.0, -30.0, 8000.0),  # steep, fast re-entry
    (120e3, 2500.0, 10.0, 1000.0),  # light: slows to its terminal speed
])
def test_drag_flight_lands_within_a_centimetre_of_an_adaptive_dop853_integration(alt, speed, gamma, beta):
    """The drag flight's step (`kernels._drag_step`) keeps the impact within 1 cm and 1 ms of
    SciPy's DOP853 at rtol 1e-12 on the same model (drag below the ceiling, same density table);
    the fixed 0.05 s RK4 step of v0.1.0 missed the climbing case by 4 cm (drag integrated up to
    a step past the ceiling)."""
    lat, lon, head = np.radians(40.0), np.radians(50.0), np.radians(300.0)
    f = fly(lat, lon, alt, speed, np.radians(gamma), head, Models(WGS84, True, True), beta=beta)
    r0, v0 = burnout_state(lat, lon, alt, speed, np.radians(gamma), head, WGS84)
    p_ref, t_ref = _ivp_impact_drag_below_ceiling(r0[0], v0[0], WGS84.rotation_rate, WGS84, beta)
    p = to_ecef(f.impact_lat, f.impact_lon, 0.0, WGS84)[0]
    assert np.linalg.norm(p - p_ref) < 0.01
    assert abs(f.flight_time[0] - t_ref) < 1e-3


def test_drag_step_ends_on_the_layer_edge_it_would_cross():
    """`kernels._edge_step` shortens an eighth-order drag step to end on the next layer edge of the
    density model (the 11.02 km tropopause here, descending): the step taken lands within a metre
    of it (a kink that close to a step's end costs nothing measurable), and the layer index moves
    down by one; a step far from any edge is left as it was."""
    from shieldsim.atmosphere import density_table, layer_edges, layer_of
    from shieldsim.earth import radial_height_one
    from shieldsim.integrator import RK8_WORK_ROWS, rk8_step
    from shieldsim.trajectory import kernels as K

    bottom, top, table = density_table()
    p = np.zeros(K.F_SIZE)
    p[K.F_GM], p[K.F_A], p[K.F_B], p[K.F_OMEGA] = WGS84.gm, WGS84.equatorial_radius, WGS84.polar_radius, WGS84.rotation_rate
    p[K.F_DRAG], p[K.F_BETA], p[K.F_BOTTOM], p[K.F_TOP], p[K.F_RK_DT] = 1.0, 6000.0, bottom, top, K.DRAG_STEP
    r0, v0 = burnout_state(0.6, 0.9, 11_600.0, 1500.0, np.radians(-50.0), 1.0, WGS84)
    y = np.r_[r0[0], v0[0] + np.cross([0, 0, WGS84.rotation_rate], r0[0])]
    a, b = WGS84.equatorial_radius, WGS84.polar_radius
    kz = layer_of(radial_height_one(y, a, b), top, table)
    acc = np.empty(6)
    dt, k_next = K._edge_step(y, 2.0, kz, p, table, acc)
    assert 0.0 < dt < 2.0 and k_next == kz - 1
    out = np.empty(6)
    rk8_step(K._reentry_deriv, 0.0, y, dt, p, table, out, np.empty((RK8_WORK_ROWS, 6)))
    assert radial_height_one(out, a, b) == pytest.approx(layer_edges()[0], abs=1.0)
    assert K._edge_step(y, 0.05, kz, p, table, acc) == (0.05, kz)


def test_drag_step_shares_one_derivative_with_its_first_stage_and_edge_bit_for_bit():
    """`kernels._deriv_and_step` gives the derivative of `_reentry_deriv` and the step of
    `_drag_step` from one air state, and `_edge_step_from` given that derivative the step of
    `_edge_step`: the same values, bit for bit, at states from 1 to 99 km climbing and descending
    (the drag flight's samples rest on this: its flights are those of the three separate calls)."""
    from shieldsim.atmosphere import density_table, layer_of
    from shieldsim.earth import radial_height_one
    from shieldsim.trajectory import kernels as K

    bottom, top, table = density_table()
    p = np.zeros(K.F_SIZE)
    p[K.F_GM], p[K.F_A], p[K.F_B], p[K.F_OMEGA] = WGS84.gm, WGS84.equatorial_radius, WGS84.polar_radius, WGS84.rotation_rate
    p[K.F_DRAG], p[K.F_BETA], p[K.F_BOTTOM], p[K.F_TOP], p[K.F_RK_DT] = 1.0, 6000.0, bottom, top, K.DRAG_STEP
    rng = np.random.default_rng(3)
    a, b = WGS84.equatorial_radius, WGS84.polar_radius
    edges_taken = 0
    for alt in np.linspace(1_000.0, 99_000.0, 60):
        r0, v0 = burnout_state(rng.uniform(-1.4, 1.4), rng.uniform(-3, 3), alt, rng.uniform(300, 6000),
                               rng.uniform(-1.2, 1.2), rng.uniform(0, 6.2), WGS84)
        y = np.r_[r0[0], v0[0] + np.cross([0, 0, WGS84.rotation_rate], r0[0])]
        ref, got = np.empty(6), np.empty(6)
        K._reentry_deriv(0.0, y, p, table, ref)
        step = K._deriv_and_step(y, p, table, got)
        assert np.array_equal(got, ref) and step == K._drag_step(y, p, table)
        kz = layer_of(radial_height_one(y, a, b), top, table)
        for dt in (step, 4.0):
            expected = K._edge_step(y, dt, kz, p, table, np.empty(6))
            assert K._edge_step_from(y, dt, kz, p, table, got, True) == expected
            edges_taken += expected[0] < dt
    assert edges_taken > 0  # some of the steps were ended on a layer edge


def test_drag_flight_finds_its_highest_point_inside_a_step():
    """A flight that tops out below the drag ceiling, where the drag flight's steps are seconds
    long: its apogee is the highest point of the integrated path (found on the step's dense output),
    not the highest step end, so the same flight sampled every 0.01 s comes no higher (and within
    a millimetre of it)."""
    from shieldsim.earth import to_geodetic

    args = (np.radians(30.0), np.radians(40.0), 40_000.0, 1500.0, np.radians(40.0), np.radians(70.0))
    models = Models(WGS84, True, True)
    f = fly(*args, models, beta=6000.0)
    dense = fly(*args, models, beta=6000.0, sample_step=0.01)
    assert f.apogee_alt[0] < 100_000.0
    ok = np.all(np.isfinite(dense.position[0]), axis=1)
    sampled_top = np.max(to_geodetic(dense.position[0][ok], WGS84)[2])
    assert sampled_top <= f.apogee_alt[0] + 1e-3
    assert f.apogee_alt[0] - sampled_top < 1e-3


def test_samples_placed_in_place_are_the_boost_then_the_free_flight_then_nan():
    """`kernels._place_samples` lays whole flights out in the free flights' own arrays: each row
    is boost samples up to j0, the free flight's samples after, NaN beyond, as a copy into a new
    array would give, for flights moved left and right (the first is always moved right)."""
    from shieldsim.trajectory import kernels as K

    rng = np.random.default_rng(8)
    n, kb, m_free = 7, 5, 9
    j0 = np.array([5, 1, 3, 5, 2, 4, 1])
    bpos, bvel = rng.normal(size=(n, kb, 3)), rng.normal(size=(n, kb, 3))
    fpos, fvel = rng.normal(size=(n, m_free + kb, 3)), rng.normal(size=(n, m_free + kb, 3))
    ends = np.array([9, 4, 6, 8, 9, 2, 7])  # samples each free flight has before its impact
    for i, e in enumerate(ends):
        fpos[i, e:] = fvel[i, e:] = np.nan
    last = int(np.max(j0 + ends))
    want_pos, want_vel = np.full((n, last, 3), np.nan), np.full((n, last, 3), np.nan)
    for i in range(n):
        want_pos[i, :j0[i]], want_vel[i, :j0[i]] = bpos[i, :j0[i]], bvel[i, :j0[i]]
        want_pos[i, j0[i]:], want_vel[i, j0[i]:] = fpos[i, :last - j0[i]], fvel[i, :last - j0[i]]
    K._place_samples(bpos, bvel, j0, fpos, fvel, last)
    got_pos = fpos.reshape(-1)[:n * last * 3].reshape(n, last, 3)
    got_vel = fvel.reshape(-1)[:n * last * 3].reshape(n, last, 3)
    np.testing.assert_array_equal(got_pos, want_pos)
    np.testing.assert_array_equal(got_vel, want_vel)


def test_whole_drag_flights_are_the_boost_samples_then_the_sampled_free_flight():
    """`boosted_trajectories` with drag (samples placed in the free flights' arrays): each flight
    is its boost's samples before the grid point after the cutoff, then the free flight with drag
    flown from there and sampled on the grid, NaN after its impact, whether the free-flight time
    was probed or given too short (flown again)."""
    from shieldsim import missile as M
    from shieldsim.earth import fixed_state
    from shieldsim.trajectory.boosted import boosted_trajectories

    cls, models = M.get("nodong"), Models(WGS84, rotation=True, drag=True)
    lat, lon = np.radians([33.0, -20.0, 50.0, 5.0]), np.radians([53.0, 10.0, -100.0, 170.0])
    head, kick, cut = np.radians([300.0, 10.0, 200.0, 95.0]), np.radians([4.0, 6.0, 8.0, 5.0]), np.array([0.6, 0.75, 0.9, 1.0])
    t_c = cut * cls.burn_time
    j0 = np.ceil(t_c / 2.0 - 1e-9).astype(int)
    res, bpos, bvel = M.run_boost(cls, M.boost_profile(cls), lat, lon, head, kick, t_c, WGS84, True, True,
                                  t_end=j0 * 2.0, sample_step=2.0, n_samples=int(j0.max()))
    p_end, v_end = fixed_state(res[:, 7:10], res[:, 10:13], j0 * 2.0, WGS84.rotation_rate)
    f = fly_states(p_end, v_end, models, cls.beta, sample_step=2.0, max_time=2000.0)
    for bound in (None, 100.0):
        a = boosted_trajectories(cls, lat, lon, head, kick, cut, models, 0.0, 2.0, max_free_flight=bound)
        assert a.position.flags["C_CONTIGUOUS"] and a.time.size == int(np.ceil(np.max(j0 * 2.0 + f.flight_time) / 2.0)) + 1
        for i in range(4):
            np.testing.assert_array_equal(a.position[i, :j0[i]], bpos[i, :j0[i]])
            np.testing.assert_array_equal(a.velocity[i, :j0[i]], bvel[i, :j0[i]])
            np.testing.assert_array_equal(a.position[i, j0[i]:], f.position[i, :a.time.size - j0[i]])
            np.testing.assert_array_equal(a.velocity[i, j0[i]:], f.velocity[i, :a.time.size - j0[i]])
        np.testing.assert_array_equal(a.impact_time, j0 * 2.0 + f.flight_time)
