"""Tests for shieldsim.sensors: radar coverage geometry, detection range, track formation,
launch detection, cueing and data sharing."""

import math
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldsim import sensors as S
from shieldsim.earth import SPHERE, enu_basis, to_ecef
from shieldsim.trajectory import Models, Trajectory, burnout_state, fly_states

d = np.radians


def flights(lat, lon, alt, speed, gamma, heading, models=Models(), step=2.0, rcs=0.1, burnout=0.0,
            max_time=1500.0) -> Trajectory:
    """Trajectory of burnout states flown to impact (the grid starts at the burnout state)."""
    lat, lon, alt, speed, gamma, heading = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float))
                                                                 for x in (lat, lon, alt, speed, gamma, heading)))
    r0, v0 = burnout_state(lat, lon, alt, speed, gamma, heading, models.earth)
    f = fly_states(r0, v0, models, sample_step=step, max_time=max_time)
    n = r0.shape[0]
    z = np.zeros(n)
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=z,
                      burnout_time=z + burnout, impact_time=f.flight_time, apogee_time=f.apogee_time,
                      launch_lat=lat, launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon,
                      apogee_alt=f.apogee_alt, ground_range=f.ground_range,
                      rcs=np.broadcast_to(np.asarray(rcs, float), (n,)).copy(), beta=np.full(n, np.inf),
                      models=models)


def radar(name="r", lat=0.0, lon=0.0, height=10.0, field="full", boresight=0.0, half=d(60), el_min=0.0,
          el_max=d(90), max_range=5000e3, ref_range=1000e3, ref_rcs=1.0, revisit=5.0, hits=3, fc=True, **kw):
    return S.Radar(name, lat, lon, height, field, boresight, half, el_min, el_max, max_range, ref_range, ref_rcs,
                   revisit, hits, fc, **kw)


def hermite(traj, i, t):
    """Position of flight i at time t by cubic Hermite interpolation of the samples."""
    step = traj.step
    m = min(int(t // step), traj.time.size - 2)
    s = (t - traj.time[m]) / step
    p0, p1 = traj.position[i, m], traj.position[i, m + 1]
    v0, v1 = traj.velocity[i, m], traj.velocity[i, m + 1]
    if not np.isfinite(p1).all():
        return p0
    return ((2 * s**3 - 3 * s**2 + 1) * p0 + (s**3 - 2 * s**2 + s) * step * v0
            + (-2 * s**3 + 3 * s**2) * p1 + (s**3 - s**2) * step * v1)


def geometric_look(r, p, earth=SPHERE):
    """Independent slant range, azimuth and geometric elevation (no refraction) in numpy."""
    site = to_ecef(r.lat, r.lon, r.site_altitude + r.antenna_height, earth)
    e, n, u = enu_basis(r.lat, r.lon)
    dx = np.asarray(p) - site
    rng = np.linalg.norm(dx, axis=-1)
    return rng, np.arctan2(dx @ e, dx @ n), np.arcsin(dx @ u / rng)


# ---------------------------------------------------------------------------------------------
# geometry


def _horizon_range(r, alt):
    """Ground range (m, due north) where a point at altitude alt leaves the radar's coverage."""
    big_r = SPHERE.equatorial_radius

    def status(s):
        return S.coverage_status(r, to_ecef(s / big_r, 0.0, alt, SPHERE), 1.0, SPHERE)

    lo, hi = 0.0, 8000e3
    assert status(lo) == 2 and status(hi) == 0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if status(mid) > 0 else (lo, mid)
    return lo


@pytest.mark.parametrize("k", [1.0, 4.0 / 3.0])
@pytest.mark.parametrize("antenna, alt", [(0.0, 100e3), (25.0, 50e3), (30.0, 1000e3), (500.0, 300e3)])
def test_zero_elevation_ground_range_matches_effective_radius_closed_form(k, antenna, alt):
    """With a 0 deg mask a point at altitude h first shows at s = kR acos((kR+a)/(kR+h))."""
    r = radar(height=antenna, el_min=0.0, refraction="4/3-earth", refraction_k=k, max_range=1e8, ref_range=1e8)
    ke = k * SPHERE.equatorial_radius
    assert _horizon_range(r, alt) == pytest.approx(ke * math.acos((ke + antenna) / (ke + alt)), rel=1e-3)


@pytest.mark.parametrize("k", [1.0, 4.0 / 3.0])
@pytest.mark.parametrize("antenna, alt", [(0.0, 100e3), (25.0, 50e3), (30.0, 1000e3), (500.0, 300e3)])
def test_grazing_ray_ground_range_matches_effective_radius_closed_form(k, antenna, alt):
    """With no elevation mask the Earth itself hides the point beyond the grazing-ray range
    s = kR [acos(kR/(kR+a)) + acos(kR/(kR+h))]."""
    r = radar(height=antenna, el_min=-d(90), refraction="4/3-earth", refraction_k=k, max_range=1e8, ref_range=1e8)
    ke = k * SPHERE.equatorial_radius
    expected = ke * (math.acos(ke / (ke + antenna)) + math.acos(ke / (ke + alt)))
    assert _horizon_range(r, alt) == pytest.approx(expected, rel=1e-3)


def test_target_below_a_mast_is_seen_at_negative_elevation_before_the_horizon():
    r = radar(height=2000.0, el_min=-d(90))
    p = to_ecef(d(0.5), 0.0, 100.0, SPHERE)  # 56 km away, below the antenna, above the horizon
    assert S.look_angles(r, p, SPHERE)[2] < 0 and S.coverage_status(r, p, 1.0, SPHERE) == 2


def test_refraction_free_elevation_is_geometric_elevation():
    """With k = 1 the model elevation equals the straight-line elevation computed from ENU axes."""
    rng = np.random.default_rng(1)
    r = radar(lat=d(40), lon=d(30), height=40.0, refraction="none")
    lat = d(40) + rng.uniform(-0.3, 0.3, 500)
    lon = d(30) + rng.uniform(-0.3, 0.3, 500)
    p = to_ecef(lat, lon, rng.uniform(0, 1500e3, 500), SPHERE)
    rg, az, el = S.look_angles(r, p, SPHERE)
    rg2, az2, el2 = geometric_look(r, p)
    assert np.allclose(rg, rg2, rtol=1e-12)
    clear = el > -math.pi  # not hidden by the Earth
    assert 100 < clear.sum() < 500
    assert np.allclose(el[clear], el2[clear], atol=1e-9)
    assert np.allclose(np.angle(np.exp(1j * (az - az2))), 0.0, atol=1e-9)


def test_refraction_raises_apparent_elevation_near_the_horizon():
    r1 = radar(refraction="none")
    r43 = radar()
    p = to_ecef(d(10), 0.0, 100e3, SPHERE)  # ~1100 km north: near the geometric horizon
    assert S.look_angles(r43, p, SPHERE)[2] > S.look_angles(r1, p, SPHERE)[2]


def test_ship_radar_sits_at_sea_level():
    ship = S.Radar.at_sea("ship", d(35), d(20), 25.0, field="full", boresight=0.0, half_width=d(180),
                          min_elevation=0.0, max_elevation=d(90), max_range=1000e3, reference_range=500e3,
                          reference_rcs=1.0, revisit=2.0, hits_for_track=2, fire_control=True)
    assert ship.platform == "ship" and ship.site_altitude == 0.0
    rg, _, el = S.look_angles(ship, to_ecef(d(35), d(20), 1025.0, SPHERE), SPHERE)
    assert rg == pytest.approx(1000.0, abs=1e-6) and el == pytest.approx(math.pi / 2, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# detection range


def test_detection_range_scales_as_fourth_root_of_rcs():
    r = radar(ref_range=800e3, ref_rcs=0.5)
    assert r.detection_range(0.5) == pytest.approx(800e3)
    assert r.detection_range(0.5 / 16) == pytest.approx(400e3, rel=1e-12)


def test_half_detection_range_needs_sixteen_times_smaller_rcs_in_detect():
    """A threat coming head-on is first detected at the RCS-scaled range: 600 km at 1 m^2,
    300 km at 1/16 m^2 (not limited by the horizon: the target is high above it)."""
    models = Models(SPHERE, rotation=False)
    # burnout 1500 km south of the radar, heading north, lofted so it stays far above the horizon
    traj = flights([d(-13.5)] * 2, 0.0, 400e3, 3500.0, d(35), 0.0, models=models, rcs=[1.0, 1.0 / 16])
    r = radar(ref_range=600e3, ref_rcs=1.0, max_range=1e7)
    tl = S.detect(traj, [r])
    ranges = []
    for i in range(2):
        t = tl.first_detection[i, 0]
        assert np.isfinite(t)
        ranges.append(S.look_angles(r, hermite(traj, i, t), SPHERE)[0])
    assert ranges[0] == pytest.approx(600e3, rel=1e-3)
    assert ranges[1] == pytest.approx(300e3, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# field of regard and horizon in the timeline


def test_fixed_face_never_sees_behind_its_field_of_regard():
    rng = np.random.default_rng(7)
    face = radar(lat=d(40), lon=d(35), field="fixed", boresight=d(90), half=d(60), el_max=d(85), ref_range=3000e3)
    lat = d(40) + rng.uniform(-15, 15, 4000) * math.pi / 180
    lon = d(35) + rng.uniform(-15, 15, 4000) * math.pi / 180
    p = to_ecef(lat, lon, rng.uniform(0, 1500e3, 4000), SPHERE)
    status = S.coverage_status(face, p, 10.0, SPHERE)
    _, az, _ = geometric_look(face, p)
    off = np.abs(np.angle(np.exp(1j * (az - d(90)))))
    assert (status > 0).any()
    assert (off[status > 0] <= d(60) + 1e-9).all()
    # a flight entirely west of the radar (behind the east-facing face)
    traj = flights(d(40), d(25), 100e3, 3000.0, d(45), d(270), models=Models(SPHERE, rotation=False))
    full = radar(lat=d(40), lon=d(35), el_max=d(85), ref_range=3000e3)
    assert np.isnan(S.detect(traj, [face]).first_detection[0, 0])
    assert np.isfinite(S.detect(traj, [full]).first_detection[0, 0])


@cache
def random_fleet(n=24, seed=3):
    rng = np.random.default_rng(seed)
    return flights(d(34) + rng.uniform(-0.05, 0.05, n), d(50) + rng.uniform(-0.05, 0.05, n),
                   rng.uniform(60e3, 150e3, n), rng.uniform(2500, 4200, n), d(rng.uniform(25, 50, n)),
                   d(rng.uniform(270, 340, n)), models=Models(SPHERE, rotation=True), rcs=rng.uniform(0.05, 1, n))


def random_radars(seed=5, count=6):
    rng = np.random.default_rng(seed)
    out = []
    for j in range(count):
        out.append(radar(name=f"r{j}", lat=d(rng.uniform(33, 45)), lon=d(rng.uniform(25, 50)),
                         height=rng.uniform(5, 50), field=("fixed", "full")[j % 2],
                         boresight=d(rng.uniform(0, 360)), half=d(rng.uniform(30, 90)),
                         el_min=d(rng.uniform(0, 3)), el_max=d(rng.uniform(60, 90)),
                         max_range=rng.uniform(1000e3, 4000e3), ref_range=rng.uniform(500e3, 2000e3),
                         revisit=rng.uniform(1, 10), hits=int(rng.integers(1, 5)), fc=bool(j % 3 != 2)))
    return out


def test_detections_are_never_below_horizon_or_outside_field():
    """Every interval boundary lies inside the coverage (to interpolation accuracy), and every
    sample the compiled coverage test calls detectable lies in a reported detect interval."""
    traj = random_fleet()
    radars = random_radars()
    tl = S.detect(traj, radars)
    assert np.isfinite(tl.first_detection).sum() > 10
    for j, r in enumerate(radars):
        for i in range(len(traj)):
            for t0, t1 in tl.intervals(i, j, "visible"):
                for t in (t0, t1):
                    rg, az, el = S.look_angles(r, hermite(traj, i, t), SPHERE)
                    assert el >= r.min_elevation - 1e-4 and el <= r.max_elevation + 1e-4
                    assert rg <= r.max_range * (1 + 1e-6)
                    if r.field == "fixed":
                        assert abs(np.angle(np.exp(1j * (az - r.boresight)))) <= r.half_width + 1e-4
            ok = np.isfinite(traj.position[i, :, 0])
            status = S.coverage_status(r, traj.position[i, ok], traj.rcs[i], SPHERE)
            t = traj.time[ok]
            inside = np.zeros(t.size, bool)
            for t0, t1 in tl.intervals(i, j, "detect"):
                inside |= (t >= t0 - 1e-6) & (t <= t1 + 1e-6)
            assert np.array_equal(inside, status == 2)


# ---------------------------------------------------------------------------------------------
# tracks


def test_track_forms_after_hits_while_continuously_detectable():
    traj = random_fleet()
    base = random_radars()[1]
    fast = S.Radar(**{**base.__dict__, "revisit": 2.0, "hits_for_track": 4})
    tl = S.detect(traj, [fast])
    det = np.isfinite(tl.first_detection[:, 0])
    assert det.any()
    length = tl.detect_end[:, 0, 0] - tl.detect_start[:, 0, 0]
    long_enough = det & (length >= 6.0)
    assert np.allclose(tl.sensor_track_time[long_enough, 0], tl.first_detection[long_enough, 0] + 6.0)
    # a revisit longer than any coverage interval never forms a track
    slow = S.Radar(**{**base.__dict__, "revisit": 5000.0, "hits_for_track": 2})
    tl2 = S.detect(traj, [slow])
    assert np.isfinite(tl2.first_detection[:, 0]).any()
    assert np.isnan(tl2.sensor_track_time).all() and np.isnan(tl2.track_time).all()


def test_non_fire_control_radar_cues_but_never_gives_the_fire_control_track():
    traj = random_fleet()
    ew = S.Radar(**{**random_radars()[1].__dict__, "fire_control": False})
    tl = S.detect(traj, [ew])
    assert np.isfinite(tl.sensor_track_time).any()
    assert np.isnan(tl.track_time).all()
    assert np.array_equal(tl.cue_time, tl.sensor_track_time[:, 0], equal_nan=True)


def test_launch_detector_sees_boost_above_cloud_tops_until_burnout_only():
    """Treat the first 120 s of a steep climb as the boost: sight when the flight crosses the
    altitude, report after the latency, nothing if the altitude is only reached after burnout."""
    models = Models(SPHERE, rotation=False)
    traj = flights([0.0] * 3, 0.0, 5e3, 2000.0, d(80), 0.0, models=models, burnout=120.0, step=1.0)
    alts = np.linalg.norm(traj.position[0], axis=1) - SPHERE.equatorial_radius
    h_cross = 50e3
    m = np.argmax(alts >= h_cross)
    tl = S.detect(traj, [S.LaunchDetector("sbirs", h_cross, 45.0)])
    t = tl.first_detection[0, 0]
    assert traj.time[m - 1] < t <= traj.time[m]
    alt_t = np.linalg.norm(hermite(traj, 0, t)) - SPHERE.equatorial_radius
    assert alt_t == pytest.approx(h_cross, abs=1.0)
    assert tl.cue_time[0] == pytest.approx(t + 45.0)
    assert np.isnan(tl.track_time).all() and np.isnan(tl.sensor_track_time).all()
    # cloud tops above the burnout altitude: never seen
    high = S.LaunchDetector("sbirs", float(alts[120]) + 1.0, 45.0)
    assert np.isnan(S.detect(traj, [high]).cue_time).all()


def test_cue_lets_fixed_face_form_its_track_sooner():
    traj = random_fleet()
    face = radar(name="face", lat=d(38.3), lon=d(37.8), field="fixed", boresight=d(110), half=d(60),
                 el_max=d(85), ref_range=1500e3, hits=4, revisit=8.0, cued_revisit=1.0, cued_hits=2)
    alone = S.detect(traj, [face])
    cued = S.detect(traj, S.Network("n", [face, S.LaunchDetector("sbirs", 10e3, 20.0)], 5.0))
    tracked = np.isfinite(alone.sensor_track_time[:, 0])
    assert tracked.any()
    # cue reaches the radar at 0 s (seen at burnout, t=0) + 20 s + 5 s = 25 s
    start = np.fmax(alone.first_detection[:, 0], 25.0)
    expect = np.fmin(alone.sensor_track_time[:, 0], start + 1.0)
    assert np.allclose(cued.sensor_track_time[tracked, 0], expect[tracked])
    assert (cued.cued[tracked, 0] == (expect[tracked] < alone.sensor_track_time[tracked, 0])).all()
    assert cued.cued[:, 0].any()
    # the fused track comes from the radar through the network latency
    assert np.allclose(cued.track_time[tracked], cued.sensor_track_time[tracked, 0] + 5.0)
    assert (cued.track_sensor[tracked] == 0).all()


def test_without_a_cue_a_radar_keeps_its_own_search_timeline():
    traj = random_fleet()
    face = radar(name="face", lat=d(38.3), lon=d(37.8), field="fixed", boresight=d(110), half=d(60),
                 el_max=d(85), ref_range=1500e3, hits=4, revisit=8.0, cued_revisit=1.0, cued_hits=1)
    alone = S.detect(traj, [face])
    blind = S.detect(traj, S.Network("n", [face, S.LaunchDetector("ir", 5000e3, 1.0)], 0.0))
    assert np.isfinite(alone.sensor_track_time).any() and not alone.cued.any() and not blind.cued.any()
    assert np.array_equal(alone.sensor_track_time, blind.sensor_track_time[:, :1], equal_nan=True)
    assert np.allclose(alone.sensor_track_time[:, 0], alone.first_detection[:, 0] + 24.0, equal_nan=True)


def test_home_sensors_skip_the_network_latency():
    traj = random_fleet()
    radars = random_radars()[:2]
    remote = S.detect(traj, S.Network("n", radars, 12.0))
    local = S.detect(traj, S.Network("n", radars, 12.0, home=(radars[0].name,)))
    ok = local.track_sensor == 0
    assert ok.any()
    assert np.allclose(local.track_time[ok], local.sensor_track_time[ok, 0])
    assert (np.nan_to_num(remote.track_time, nan=1e9) >= np.nan_to_num(local.track_time, nan=1e9)).all()


def test_track_sensor_names_the_earliest_fire_control_track():
    traj = random_fleet()
    radars = random_radars()
    tl = S.detect(traj, radars)
    fc = np.array([r.fire_control for r in radars])
    for i in range(len(traj)):
        times = np.where(fc, tl.sensor_track_time[i], np.nan)
        if np.isnan(times).all():
            assert tl.track_sensor[i] == -1 and np.isnan(tl.track_time[i])
        else:
            assert tl.track_time[i] == np.nanmin(times)
            assert times[tl.track_sensor[i]] == tl.track_time[i]


# ---------------------------------------------------------------------------------------------
# data sharing properties


def _pool():
    return random_radars(seed=11, count=5) + [S.LaunchDetector("sbirs", 15e3, 30.0)]


def _later_or_equal(a, b):
    """a >= b elementwise with NaN (never) as +infinity."""
    return (np.nan_to_num(a, nan=np.inf) >= np.nan_to_num(b, nan=np.inf)).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(st.booleans(), min_size=6, max_size=6), extra=st.integers(0, 5),
       latency=st.floats(0.0, 60.0), home=st.lists(st.booleans(), min_size=6, max_size=6))
def test_more_sensors_never_delay_and_removing_one_never_advances(members, extra, latency, home):
    pool = _pool()
    chosen = [s for s, keep in zip(pool, members) if keep and s is not pool[extra]]
    homes = tuple(s.name for s, h in zip(chosen, home) if h)
    traj = random_fleet()
    small = S.detect(traj, S.Network("a", chosen, latency, homes))
    big = S.detect(traj, S.Network("a", chosen + [pool[extra]], latency, homes))
    assert _later_or_equal(small.track_time, big.track_time)
    assert _later_or_equal(small.cue_time, big.cue_time)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(st.booleans(), min_size=6, max_size=6), lat_lo=st.floats(0.0, 60.0),
       extra=st.floats(0.0, 60.0), home=st.lists(st.booleans(), min_size=6, max_size=6))
def test_lower_latency_never_delays_the_fused_track(members, lat_lo, extra, home):
    pool = _pool()
    chosen = [s for s, keep in zip(pool, members) if keep]
    homes = tuple(s.name for s, h in zip(chosen, home) if h)
    traj = random_fleet()
    fast = S.detect(traj, S.Network("a", chosen, lat_lo, homes))
    slow = S.detect(traj, S.Network("a", chosen, lat_lo + extra, homes))
    assert _later_or_equal(slow.track_time, fast.track_time)
    assert _later_or_equal(slow.cue_time, fast.cue_time)
    assert _later_or_equal(slow.sensor_track_time, fast.sensor_track_time)


def test_sharing_with_a_second_system_can_advance_the_track():
    """The property tests are not vacuous: an extra early sensor does advance the fused track."""
    traj = random_fleet()
    pool = _pool()
    gains = []
    for s in pool[:-1]:
        others = [x for x in pool if x is not s]
        gains.append(np.nansum(S.detect(traj, S.Network("a", others, 10.0)).track_time)
                     != np.nansum(S.detect(traj, S.Network("a", pool, 10.0)).track_time))
    assert any(gains)


def test_radar_validation_rejects_bad_fields():
    with pytest.raises(ValueError):
        radar(field="round")
    with pytest.raises(ValueError):
        radar(hits=0)
    with pytest.raises(ValueError):
        radar(el_min=d(10), el_max=d(5))
    with pytest.raises(ValueError):
        S.Network("n", [radar(name="a"), radar(name="a")], 1.0)


# ---------------------------------------------------------------------------------------------
# the `shieldsim detect` command


DETECT_FILE = """
extends = "epaa-2011"

[[flights]]
name = "north-west"
lat_deg = 38.9
lon_deg = 45.2
alt_km = 110.0
speed_kms = 3.3
gamma_deg = 38.0
heading_deg = 285.0
burnout_time_s = 110.0
rcs_m2 = 0.1

[[flights]]
name = "west"
lat_deg = 34.9
lon_deg = 50.3
alt_km = 110.0
speed_kms = 3.0
gamma_deg = 40.0
heading_deg = 280.0
rcs_m2 = 0.5
"""


def run_cli(args, capsys):
    from shieldsim.cli import main

    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_detect_cli_json_matches_the_library_timeline(tmp_path, capsys):
    import json

    path = tmp_path / "d.toml"
    path.write_text(DETECT_FILE)
    png = tmp_path / "t.png"
    code, out, err = run_cli(["detect", "--scenario", str(path), "--json", "--network", "nato", "--plot", str(png)],
                             capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["version"] and doc["models"]["earth"] == "wgs84" and doc["network"] == "nato"
    assert [t["name"] for t in doc["threats"]] == ["north-west", "west"]
    assert png.stat().st_size > 10_000
    # the same flight flown and detected through the library, shifted by its burnout time
    from shieldsim import scenario as scen

    sc = scen.load("epaa-2011")
    models = scen.models(sc)
    traj = flights(d(38.9), d(45.2), 110e3, 3300.0, d(38.0), d(285.0), models=models, rcs=0.1, max_time=900)
    net = next(n for n in scen.networks(sc) if n.name == "nato")
    tl = S.detect(traj, net)
    row = doc["threats"][0]
    j = tl.sensor_names.index("kurecik-tpy2")
    assert row["sensors"][j]["first_detection_s"] == pytest.approx(tl.first_detection[0, j] + 110.0, abs=1e-6)
    expect_cue = tl.cue_time[0] + 110.0
    assert row["cue_time_s"] == pytest.approx(expect_cue, abs=1e-6)
    assert row["burnout_time_s"] == 110.0


def test_detect_cli_prints_a_table_and_rejects_unknown_names(tmp_path, capsys):
    path = tmp_path / "d.toml"
    path.write_text(DETECT_FILE)
    code, out, _ = run_cli(["detect", "--scenario", str(path), "--threat", "west"], capsys)
    assert code == 0 and "kurecik-tpy2" in out and "fused cue" in out and "north-west" not in out
    code, _, err = run_cli(["detect", "--scenario", str(path), "--threat", "nowhere"], capsys)
    assert code == 2 and "allowed: north-west, west" in err
    code, _, err = run_cli(["detect", "--scenario", str(path), "--network", "nope"], capsys)
    assert code == 2 and "nato" in err
    bad = tmp_path / "bad.toml"
    bad.write_text(DETECT_FILE.replace("speed_kms = 3.0", "speed_kms = -3.0"))
    code, _, err = run_cli(["detect", "--scenario", str(bad)], capsys)
    assert code == 2 and "speed_kms" in err and len(err.strip().splitlines()) == 1


def test_detect_cli_checks_the_flights_before_the_sensors(tmp_path, capsys):
    """A flights file without sensors and with an incomplete [[flights]] entry is told about the
    entry (the first thing to fix), not only that it has no radars."""
    path = tmp_path / "f.toml"
    path.write_text('name = "no-sensors"\n\n[[flights]]\nname = "a"\nlat_deg = 38.9\nlon_deg = 45.2\n')
    code, _, err = run_cli(["detect", "--scenario", str(path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "flights[0].alt_km" in err and "no radars" not in err


def test_detect_cli_flies_scenario_threats_through_trajectory_aim(monkeypatch, capsys):
    """Scenario mode: one flight per launch point x aim point of the chosen class, labelled,
    detected with the scenario's network. `trajectory.aim` is stood in by a burnout-state fan
    (the command only relies on its documented signature and the `Trajectory` it returns)."""
    import json

    from shieldsim import trajectory as trj
    from shieldsim.earth import geodesic_inverse

    calls = []

    def fake_aim(launch_lat, launch_lon, target_lat, target_lon, missile, models, kind="minimum-energy",
                 apogee=None, launch_time=0.0, sample_step=2.0, labels=None, unreachable="raise"):
        calls.append((len(launch_lat), kind, sample_step))
        _, heading = geodesic_inverse(launch_lat, launch_lon, target_lat, target_lon, models.earth)
        return flights(launch_lat, launch_lon, 100e3, 3000.0, d(40), heading, models=models, step=sample_step,
                       rcs=missile.rcs, max_time=900)

    monkeypatch.setattr(trj, "aim", fake_aim, raising=False)
    code, out, err = run_cli(["detect", "--scenario", "epaa-2018", "--threat", "irbm", "--aim", "rome",
                              "--network", "nato", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert calls and all(c[2] == 2.0 for c in calls)
    assert len(doc["threats"]) == sum(c[0] for c in calls)
    assert all(t["name"].startswith("irbm ") and t["name"].endswith("-> rome") for t in doc["threats"])
    assert any(t["cue_time_s"] is not None for t in doc["threats"])
    code, _, err = run_cli(["detect", "--scenario", "epaa-2018", "--max-flights", "1"], capsys)
    assert code == 2 and "--max-flights" in err


# ---------------------------------------------------------------------------------------------
# refraction that ends at the top of the atmosphere (independent ray integration in the test)

N0_TEST = 315e-6  # reference exponential atmosphere written out here: n(h) = 1 + N0 exp(-h / H)
H_TEST = 7350.0


def _n(r):
    return 1.0 + N0_TEST * np.exp(-(r - SPHERE.equatorial_radius) / H_TEST)


def _du(x, r0):
    """n(r) r - n(r0) r0 at r = r0 + x^2, without cancellation."""
    q0 = _n(r0) - 1.0
    return x * x * (1.0 + q0 * math.exp(-x * x / H_TEST)) + r0 * q0 * math.expm1(-x * x / H_TEST)


def _ray_angle(e, antenna, alt):
    """Central angle at which the ray leaving an antenna (m) at elevation e >= 0 (rad) reaches
    altitude alt (m): Snell/Bouguer n r cos(psi) = c along the ray, d(theta)/dr =
    c / (r sqrt((n r)^2 - c^2)), integrated with scipy quad (r = r0 + x^2 removes the inverse
    square root at a horizontal start; (n r)^2 - c^2 is formed as a product of differences)."""
    from scipy.integrate import quad

    big_r = SPHERE.equatorial_radius
    r0 = big_r + antenna
    u0 = _n(r0) * r0
    c = u0 * math.cos(e)

    def f(x):
        r = r0 + x * x
        u = _n(r) * r
        gap = _du(x, r0) + 2.0 * u0 * math.sin(e / 2) ** 2  # u - c
        if x == 0.0:  # horizontal start: limit of 2x / sqrt(u^2 - c^2) is 2 / sqrt(2 u du/dr)
            return 2 * c / (r0 * math.sqrt(2 * u0 * (_n(r0) - r0 * (_n(r0) - 1.0) / H_TEST))) if e == 0 else 0.0
        return 2 * x * c / (r * math.sqrt(gap * (u + c)))

    top = min(alt, 120e3)
    heights = np.clip(np.array([0.0, 1e2, 1e3, 5e3, 20e3, 60e3, top]) - antenna, 0.0, top - antenna)
    edges = np.sqrt(heights)
    theta = sum(quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]) if b > a)
    if alt > top:  # straight line above the air: n = 1, impact parameter c
        theta += math.acos(c / (big_r + alt)) - math.acos(c / (_n(big_r + top) * (big_r + top)))
    return theta


def _total_bending(e, antenna):
    """Total bending (rad) of the ray through the whole atmosphere: integral of
    -(dn/dr / n) c / sqrt((n r)^2 - c^2) dr, by quad (same substitution as `_ray_angle`)."""
    from scipy.integrate import quad

    r0 = SPHERE.equatorial_radius + antenna
    u0 = _n(r0) * r0
    c = u0 * math.cos(e)

    def f(x):
        r = r0 + x * x
        u = _n(r) * r
        gap = _du(x, r0) + 2.0 * u0 * math.sin(e / 2) ** 2
        slope = (_n(r) - 1.0) / H_TEST / _n(r)
        if x == 0.0:
            return 2 * slope * c / math.sqrt(2 * u0 * (_n(r0) - r0 * (_n(r0) - 1.0) / H_TEST)) if e == 0 else 0.0
        return 2 * x * slope * c / math.sqrt(gap * (u + c))

    edges = np.sqrt([0.0, 1e2, 1e3, 5e3, 20e3, 60e3, 150e3])
    return sum(quad(f, a, b, epsabs=1e-15, epsrel=1e-12, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))


@pytest.mark.parametrize("el_deg, antenna, alt", [(0.0, 10.0, 1000e3), (1.0, 30.0, 500e3), (0.0, 2000.0, 300e3)])
def test_target_far_above_the_atmosphere_is_seen_at_the_geometric_horizon_plus_the_ray_bending(el_deg, antenna, alt):
    """The first point of sight of a target far above the air is where the ray leaving at the
    mask elevation reaches its altitude (independent quad ray integration), and lies beyond the
    straight-line (geometric) horizon by about the ray's total bending tau (a few tenths of a
    degree): exactly tau, less the small shift of the ray's straight exit line (c = n0 r0 cos e
    instead of r0 cos e; below 0.05 deg here)."""
    e = d(el_deg)
    r = radar(height=antenna, el_min=e, max_range=1e8, ref_range=1e8)  # default: "atmosphere"
    big_r = SPHERE.equatorial_radius
    theta = _ray_angle(e, antenna, alt)
    assert _horizon_range(r, alt) == pytest.approx(big_r * theta, rel=2e-5)
    geometric = math.acos((big_r + antenna) * math.cos(e) / (big_r + alt)) - e
    tau = _total_bending(e, antenna)
    assert 0.2 < math.degrees(tau) < 0.8
    assert math.degrees(theta - geometric) == pytest.approx(math.degrees(tau), abs=0.05)
    assert S.ray_bending(e, antenna, radius=big_r) == pytest.approx(tau, rel=1e-5)


@pytest.mark.parametrize("antenna, alt", [(10.0, 1e3), (10.0, 3e3), (30.0, 6e3)])
def test_low_target_inside_the_troposphere_agrees_with_the_four_thirds_earth(antenna, alt):
    """Inside the troposphere the atmosphere model's horizon matches the 4/3-Earth closed form
    kR acos((kR + a) / (kR + h)) within 2 % (the exponential profile's surface gradient,
    -43 N/km, is close to the 4/3 model's -39 N/km)."""
    r = radar(height=antenna, el_min=0.0, max_range=1e8, ref_range=1e8)
    ke = 4.0 / 3.0 * SPHERE.equatorial_radius
    assert _horizon_range(r, alt) == pytest.approx(ke * math.acos((ke + antenna) / (ke + alt)), rel=0.02)


@pytest.mark.parametrize("antenna, alt", [(10.0, 1e3), (30.0, 300e3), (500.0, 1000e3)])
def test_refraction_off_gives_the_straight_line_horizon(antenna, alt):
    r = radar(height=antenna, el_min=0.0, refraction="none", max_range=1e8, ref_range=1e8)
    big_r = SPHERE.equatorial_radius
    assert _horizon_range(r, alt) == pytest.approx(big_r * math.acos((big_r + antenna) / (big_r + alt)), rel=1e-6)


def test_atmosphere_apparent_elevation_is_the_elevation_of_the_ray_that_reaches_the_target():
    """look_angles' elevation with "atmosphere": shooting the independent quad ray at that
    elevation lands at the target's central angle."""
    r = radar(height=20.0, el_min=0.0)
    for theta_deg, alt in ((10.0, 300e3), (3.0, 8e3), (20.0, 1500e3)):
        el = float(S.look_angles(r, to_ecef(d(theta_deg), 0.0, alt, SPHERE), SPHERE)[2])
        assert _ray_angle(el, 20.0, alt) == pytest.approx(d(theta_deg), abs=2e-7)
        # refraction raises the apparent elevation above the geometric one
        geo = float(S.look_angles(radar(height=20.0, refraction="none"), to_ecef(d(theta_deg), 0.0, alt, SPHERE),
                                  SPHERE)[2])
        assert el > geo
    assert math.isclose(S.look_angles(r, to_ecef(d(40.0), 0.0, 500e3, SPHERE), SPHERE)[2], -math.pi)


def test_atmosphere_max_elevation_excludes_targets_above_it():
    r = radar(height=10.0, el_min=0.0, el_max=d(60))
    assert S.coverage_status(r, to_ecef(0.0, 0.0, 500e3, SPHERE), 1.0, SPHERE) == 0  # overhead
    assert S.coverage_status(r, to_ecef(d(5), 0.0, 500e3, SPHERE), 1.0, SPHERE) == 2  # ~40 deg up


def test_unknown_refraction_model_is_refused_naming_the_allowed_values():
    with pytest.raises(ValueError, match="refraction must be one of"):
        radar(refraction="flat")


# ---------------------------------------------------------------------------------------------
# what the radar sees, phase by phase: the body before separation, the warhead after


def _approach(body_rcs, separation, alt=100e3, speed=3000.0, phi0=d(25), duration=900.0, receding=False):
    """One synthetic flight at constant altitude along the equator towards (or away from) a radar
    at (0, 0); positions and velocities exact. Returns the Trajectory and its angle phi(t)."""
    big_r = SPHERE.equatorial_radius
    rr = big_r + alt
    w = speed / rr * (1.0 if receding else -1.0)
    t = np.arange(0.0, duration + 0.5, 1.0)
    phi = phi0 + w * t
    pos = np.stack([rr * np.cos(phi), rr * np.sin(phi), np.zeros_like(t)], axis=-1)[None]
    vel = np.stack([-rr * w * np.sin(phi), rr * w * np.cos(phi), np.zeros_like(t)], axis=-1)[None]
    one = np.zeros(1)
    traj = Trajectory(time=t, position=pos, velocity=vel, launch_time=one, burnout_time=one + separation,
                      impact_time=one + duration, apogee_time=one, launch_lat=one, launch_lon=one + phi0,
                      impact_lat=one, impact_lon=one, apogee_alt=one + alt, ground_range=one,
                      rcs=np.array([0.01]), beta=np.array([np.inf]), models=Models(earth=SPHERE),
                      body_rcs=None if body_rcs is None else np.array([body_rcs]),
                      separation_time=np.array([separation]))
    return traj, (lambda s: phi0 + w * s)


def _time_at_range(rng, alt, antenna, phi0, speed, receding=False):
    """Hand computation: when the slant range of the synthetic flight equals rng (law of
    cosines in the plane of the equator)."""
    big_r = SPHERE.equatorial_radius
    rr, ra = big_r + alt, big_r + antenna
    phi = math.acos((rr * rr + ra * ra - rng * rng) / (2 * rr * ra))
    return abs(phi0 - phi) / (speed / rr)


REF_RANGE, REF_RCS = 600e3, 1.0


def _phase_radar(hits=1):
    return radar(height=10.0, el_min=0.0, refraction="none", max_range=1e8, ref_range=REF_RANGE, ref_rcs=REF_RCS,
                 hits=hits, revisit=1.0)


def test_detection_range_before_separation_is_the_body_range_from_the_radar_equation():
    """Late separation: the approaching body (5 m^2) is first detected at
    R = R_ref (sigma / sigma_ref)^(1/4) = 600 km x 5^(1/4) = 897 km, and the track is on the body."""
    r_body = REF_RANGE * (5.0 / REF_RCS) ** 0.25
    traj, _ = _approach(5.0, separation=800.0)
    tl = S.detect(traj, [_phase_radar()])
    expected = _time_at_range(r_body, 100e3, 10.0, d(25), 3000.0)
    assert expected < 800.0
    assert tl.first_detection[0, 0] == pytest.approx(expected, abs=0.05)
    assert tl.track_on[0] == "body" and tl.separation_time[0] == 800.0


def test_detection_range_after_separation_is_the_warhead_range_from_the_radar_equation():
    """Early separation: only the warhead (0.01 m^2) approaches, first detected at
    600 km x 0.01^(1/4) = 190 km; the track is on the warhead."""
    r_rv = REF_RANGE * (0.01 / REF_RCS) ** 0.25
    traj, _ = _approach(5.0, separation=10.0)
    tl = S.detect(traj, [_phase_radar()])
    assert tl.first_detection[0, 0] == pytest.approx(_time_at_range(r_rv, 100e3, 10.0, d(25), 3000.0), abs=0.05)
    assert tl.track_on[0] == "warhead"


@pytest.mark.parametrize("separation, ends_at_separation", [(200.0, True), (20.0, False)])
def test_a_receding_target_is_lost_at_separation_when_the_warhead_is_beyond_its_range(separation, ends_at_separation):
    """Receding from overhead: the body is held until separation; from then on only while the
    warhead is within 190 km. Hand computation of both ends."""
    r_rv = REF_RANGE * (0.01 / REF_RCS) ** 0.25
    traj, _ = _approach(5.0, separation=separation, phi0=0.0, receding=True, duration=600.0)
    tl = S.detect(traj, [_phase_radar()])
    t_rv = _time_at_range(r_rv, 100e3, 10.0, 0.0, 3000.0, receding=True)
    assert (separation > t_rv) == ends_at_separation
    end = tl.detect_end[0, 0, 0]
    assert end == pytest.approx(separation if ends_at_separation else t_rv, abs=0.05)


def test_a_trajectory_without_a_body_phase_is_seen_as_its_warhead_from_launch():
    r_rv = REF_RANGE * (0.01 / REF_RCS) ** 0.25
    traj, _ = _approach(None, separation=800.0)
    tl = S.detect(traj, [_phase_radar()])
    assert tl.first_detection[0, 0] == pytest.approx(_time_at_range(r_rv, 100e3, 10.0, d(25), 3000.0), abs=0.05)
    assert tl.track_on[0] == "warhead"


def test_the_body_is_never_smaller_than_the_warhead():
    traj, _ = _approach(0.001, separation=800.0)
    rcs, body, sep = S.phase_rcs(traj)
    assert body[0] == rcs[0] == 0.01 and sep[0] == 800.0


def _assert_same_timeline(a, b):
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
        else:
            assert value == getattr(b, name), name


def test_a_coverage_memo_computes_each_radar_once_and_gives_the_timelines_of_detect_alone():
    """Networks sharing radars over the same flights (the cooperation options, the EPAA phases)
    read each shared radar's coverage from the memo; every timeline is the one detect gives."""
    traj = random_fleet()
    r = random_radars()
    cue = S.LaunchDetector("sat", 10e3, 30.0)
    nets = [S.Network("a", [r[0], r[1], cue], 15.0, ("r0",)), S.Network("b", [r[1], r[2], r[0]], 5.0),
            S.Network("c", [r[3], r[0], r[1], r[2]], 30.0, ("r3", "r1"))]
    memo = S.CoverageMemo(traj)
    for net in nets:
        _assert_same_timeline(S.detect(traj, net, shared=memo), S.detect(traj, net))
    assert (memo.computed, memo.reused) == (4, 5)
    with pytest.raises(ValueError, match="only the trajectories"):
        S.detect(random_fleet(n=5), nets[0], shared=memo)


def test_a_coverage_memo_never_lends_a_radar_to_an_equal_named_radar_with_other_figures():
    """An ensemble member draws a radar's reference range: the drawn radar, though it has the
    same name, is computed afresh, not read from the memo filled with the nominal one."""
    import dataclasses

    traj = random_fleet()
    r0 = random_radars()[1]
    drawn = dataclasses.replace(r0, reference_range=0.5 * r0.reference_range)
    memo = S.CoverageMemo(traj)
    nominal = S.detect(traj, [r0], shared=memo)
    shared = S.detect(traj, [drawn], shared=memo)
    _assert_same_timeline(shared, S.detect(traj, [drawn]))
    assert memo.computed == 2
    assert not np.array_equal(shared.detect_end, nominal.detect_end, equal_nan=True)


def test_a_coverage_memo_reads_an_equal_radar_object_and_gathers_radars_of_two_kernel_calls():
    """A radar equal in every figure to one kept (another object) is read from the memo, not
    computed; a network whose radars were swept in two kernel calls (two prefetched, one new,
    a launch detector between them) gets the timeline detect gives alone."""
    import dataclasses

    traj = random_fleet()
    r = random_radars()
    memo = S.CoverageMemo(traj)
    memo.prefetch([r[0], r[1]])
    twin = dataclasses.replace(r[1])
    assert twin is not r[1] and twin == r[1]
    net = S.Network("m", [r[2], S.LaunchDetector("sat", 10e3, 30.0), twin, r[0]], 15.0, ("r2",))
    _assert_same_timeline(S.detect(traj, net, shared=memo), S.detect(traj, net))
    assert (memo.computed, memo.reused) == (3, 2)
    _assert_same_timeline(S.detect(traj, net, shared=memo), S.detect(traj, net))
    assert (memo.computed, memo.reused) == (3, 5)


def test_a_prefetched_coverage_memo_gives_the_timelines_of_detect_alone():
    """All networks' radars swept in one kernel call before the networks are detected (what a
    coverage batch does for several architectures) give every timeline detect gives alone."""
    traj = random_fleet()
    r = random_radars()
    cue = S.LaunchDetector("sat", 10e3, 30.0)
    nets = [S.Network("a", [r[0], r[1], cue], 15.0, ("r0",)), S.Network("b", [r[4], r[2], r[0]], 5.0)]
    memo = S.CoverageMemo(traj)
    memo.prefetch([s for net in nets for s in net.sensors])
    assert (memo.computed, memo.reused) == (4, 0)
    for net in nets:
        _assert_same_timeline(S.detect(traj, net, shared=memo), S.detect(traj, net))
    assert (memo.computed, memo.reused) == (4, 5)


def test_first_feasible_of_all_radars_at_once_equals_each_radar_alone():
    """The cueing rounds and own tracks take every radar's column in one call (a delay per
    radar): each column is, bit for bit, the one computed alone."""
    from shieldsim.sensors.detection import _first_feasible

    rng = np.random.default_rng(7)
    start = np.sort(rng.uniform(0, 900, (40, 3, 4)), axis=-1)
    end = start + rng.uniform(0, 60, start.shape)
    start[rng.random(start.shape) < 0.3] = np.nan
    end[np.isnan(start)] = np.nan
    ready = rng.uniform(-50, 900, (40, 3))
    ready[rng.random(ready.shape) < 0.2] = np.nan
    ready[:, 0] = -np.inf
    delay = np.array([7.5, 0.0, 31.25])
    both = _first_feasible(start, end, ready, delay[:, None])
    assert np.isfinite(both).any() and np.isnan(both).any()
    for j in range(3):
        np.testing.assert_array_equal(both[:, j], _first_feasible(start[:, j], end[:, j], ready[:, j], delay[j]))


def test_first_feasible_without_the_unused_interval_slots_gives_the_same_times():
    """`detection._used_intervals` drops the slots no threat and radar uses (NaN-padded beyond the
    one or two intervals most flights have): the track times are the same bit for bit, also
    when no slot or every slot is used."""
    from shieldsim.sensors.detection import _first_feasible, _used_intervals

    rng = np.random.default_rng(11)
    start = np.sort(rng.uniform(0, 900, (50, 3, 8)), axis=-1)
    end = start + rng.uniform(0, 60, start.shape)
    start[:, :, 3:] = np.nan  # slots 3..7 unused, slot 1 used by a few flights only
    start[5:, :, 1:] = np.nan
    start[rng.random(start.shape) < 0.3] = np.nan
    end[np.isnan(start)] = np.nan
    ready = rng.uniform(-50, 900, (50, 3))
    ready[:, 0] = -np.inf
    delay = np.array([[7.5], [0.0], [31.25]])
    s, e = _used_intervals(start, end)
    assert 1 <= s.shape[-1] <= 3 and e.shape == s.shape
    full = _first_feasible(start, end, ready, delay)
    assert np.isfinite(full).any()
    np.testing.assert_array_equal(_first_feasible(s, e, ready, delay), full)
    none = np.full_like(start, np.nan)
    assert _used_intervals(none, none)[0].shape[-1] == 0
    np.testing.assert_array_equal(_first_feasible(*_used_intervals(none, none), ready, delay),
                                  _first_feasible(none, none, ready, delay))
    every = np.sort(rng.uniform(0, 900, (4, 2, 3)), axis=-1)
    assert _used_intervals(every, every + 1.0)[0] is every


def test_a_coverage_memo_sweeps_each_launch_detector_altitude_once_with_the_same_timelines(monkeypatch):
    """Launch detectors met in several networks over the same flights are swept once per
    altitude (their latency applied per network): the timelines are those detect gives alone."""
    from shieldsim.sensors import detection

    traj = random_fleet()
    r = random_radars()
    sat, slow, high = S.LaunchDetector("sat", 10e3, 30.0), S.LaunchDetector("sat2", 10e3, 95.0), \
        S.LaunchDetector("high", 40e3, 30.0)
    nets = [S.Network("a", [r[0], sat], 15.0), S.Network("b", [r[1], slow, high], 5.0), S.Network("c", [sat], 0.0)]
    alone = [S.detect(traj, net) for net in nets]
    swept = []
    inner = detection._boost_sight
    monkeypatch.setattr(detection, "_boost_sight", lambda *a: (swept.append(a[4]), inner(*a))[1])
    memo = S.CoverageMemo(traj)
    for net, ref in zip(nets, alone):
        _assert_same_timeline(S.detect(traj, net, shared=memo), ref)
    assert sorted(swept) == [10e3, 40e3]
    with pytest.raises(ValueError, match="only the trajectories"):
        detection._launch_sight(random_fleet(n=5), [sat], np.array([False]),
                                detection._Coverage.empty(5, 1, 8), memo)
