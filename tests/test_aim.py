"""`trajectory.aim`: whole threat flights that hit their targets on the rotating WGS84 Earth."""

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from shieldsim import missile as M
from shieldsim.cli import main
from shieldsim.earth import SPHERE, WGS84, geodesic_direct, to_ecef
from shieldsim.trajectory import Aim, Models, Trajectory, aim, fly, max_range

ROT_DRAG = Models(WGS84, rotation=True, drag=True)


@pytest.fixture(scope="module")
def cat():
    return M.catalogue()


def pairs(n, lo_km, hi_km, seed):
    """n launch points in both hemispheres, all headings, ranges lo..hi km (WGS84 geodesics)."""
    rng = np.random.default_rng(seed)
    lat = np.radians(rng.uniform(-65, 65, n))
    lat[: n // 2] = -np.abs(lat[: n // 2])
    lat[n // 2:] = np.abs(lat[n // 2:])
    lon = np.radians(rng.uniform(-180, 180, n))
    heading = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 0.3)
    dist = np.linspace(lo_km, hi_km, n) * 1e3
    tlat, tlon = geodesic_direct(lat, lon, heading, dist, WGS84)
    return lat, lon, tlat, tlon, dist


@pytest.fixture(scope="module")
def icbm_flights(cat):
    lat, lon, tlat, tlon, dist = pairs(8, 3000, 9300, 1)  # westward reach with rotation is ~9,700 km
    return aim(lat, lon, tlat, tlon, cat["ss-27"], ROT_DRAG), dist


@pytest.mark.parametrize("name,lo,hi,models", [
    ("scud-b", 100, 270, ROT_DRAG),
    ("nodong", 300, 1250, ROT_DRAG),
    ("irbm", 1000, 3300, ROT_DRAG),
    ("ss-18", 2500, 10_000, Models(WGS84, rotation=False, drag=False)),
    ("sejjil", 200, 1900, Models(SPHERE, rotation=True, drag=False)),
])
def test_aim_hits_targets_at_all_headings_in_both_hemispheres(cat, name, lo, hi, models):
    lat, lon, tlat, tlon, dist = pairs(6, lo, hi, 7)
    a = aim(lat, lon, tlat, tlon, cat[name], models)
    assert np.all(a.miss < 1000.0), a.miss
    if models.earth is WGS84:  # the pairs are WGS84 geodesics
        assert np.allclose(a.ground_range, dist, atol=1000.0)


def test_icbm_flights_hit_with_rotation_and_drag(icbm_flights):
    a, dist = icbm_flights
    assert np.all(a.miss < 1000.0)
    assert np.allclose(a.ground_range, dist, atol=1000.0)
    assert np.all(a.impact_time > 900.0)


def test_aim_returns_a_trajectory_sampled_from_launch_to_impact(cat, icbm_flights):
    a, _ = icbm_flights
    assert isinstance(a, Trajectory) and isinstance(a, Aim)
    assert np.allclose(a.position[:, 0], to_ecef(a.launch_lat, a.launch_lon, 0.0, WGS84), atol=1e-3)
    assert np.allclose(np.diff(a.time), 2.0)
    assert np.all(a.rcs == cat["ss-27"].rcs) and np.all(a.beta == cat["ss-27"].beta)
    # radars see the missile body until the warhead separates (at burnout): the class's body
    # cross-section, never below the warhead's; separation_time None = at burnout
    assert np.all(a.body_rcs == max(cat["ss-27"].body_rcs, cat["ss-27"].rcs)) and a.separation_time is None
    for i in range(len(a)):
        ok = np.isfinite(a.position[i, :, 0])
        last = np.nonzero(ok)[0][-1]
        assert np.all(ok[: last + 1])  # finite until impact, NaN after
        assert a.time[last] <= a.impact_time[i] < a.time[last] + a.step + 1e-9
        # the sample at the burnout time lies on the burnout state
        k = int(round(a.burnout_time[i] / a.step))
        if abs(a.time[k] - a.burnout_time[i]) < 1e-9:
            assert np.allclose(a.position[i, k], a.burnout_position[i], atol=1.0)
    sub = a.subset(np.array([0, 2]))
    assert isinstance(sub, Aim) and len(sub) == 2 and sub.miss.shape == (2,)


def test_burnout_state_flown_by_fly_lands_at_the_same_impact(icbm_flights):
    a, _ = icbm_flights
    f = fly(a.burnout_lat, a.burnout_lon, a.burnout_alt, a.burnout_speed, a.burnout_gamma, a.burnout_heading,
            ROT_DRAG, beta=a.beta)
    from shieldsim.earth import surface_distance
    d = surface_distance(f.impact_lat, f.impact_lon, a.impact_lat, a.impact_lon, WGS84)
    assert np.all(d < 1000.0)
    assert np.allclose(a.burnout_time + f.flight_time, a.impact_time, atol=1.0)


def test_lofted_and_depressed_flights_meet_their_apogee_and_burn_longer(cat):
    lat, lon, tlat, tlon, _ = pairs(4, 600, 1300, 3)
    m = cat["sejjil"]
    me = aim(lat, lon, tlat, tlon, m, ROT_DRAG)
    lofted = aim(lat, lon, tlat, tlon, m, ROT_DRAG, kind="lofted", apogee=me.apogee_alt * 1.5)
    depressed = aim(lat, lon, tlat, tlon, m, ROT_DRAG, kind="depressed", apogee=me.apogee_alt * 0.6)
    for a, h in ((lofted, me.apogee_alt * 1.5), (depressed, me.apogee_alt * 0.6)):
        assert np.all(a.miss < 1000.0)
        assert np.all(np.abs(a.apogee_alt - h) < 1000.0)
    assert np.all(lofted.impact_time > me.impact_time) and np.all(depressed.impact_time < me.impact_time)


def test_minimum_energy_burnout_angle_is_the_angle_of_greatest_range_at_that_speed(cat):
    """At a fixed burnout speed and point, the minimum-energy flight-path angle gives the
    greatest range: steeper or flatter by 0.02 rad falls short (vacuum, non-rotating)."""
    models = Models(WGS84, rotation=False, drag=False)
    lat, lon, tlat, tlon, _ = pairs(4, 500, 1800, 11)
    a = aim(lat, lon, tlat, tlon, cat["sejjil"], models)
    args = (a.burnout_lat, a.burnout_lon, a.burnout_alt, a.burnout_speed)
    base = fly(*args, a.burnout_gamma, a.burnout_heading, models).ground_range
    for dg in (-0.02, 0.02):
        assert np.all(fly(*args, a.burnout_gamma + dg, a.burnout_heading, models).ground_range < base)


def test_wrong_side_apogee_is_rejected(cat):
    lat, lon, tlat, tlon, _ = pairs(1, 1000, 1000, 5)
    m = cat["nodong"]
    me = aim(lat, lon, tlat, tlon, m, ROT_DRAG)
    with pytest.raises(ValueError, match="minimum-energy apogee"):
        aim(lat, lon, tlat, tlon, m, ROT_DRAG, kind="depressed", apogee=me.apogee_alt * 1.3)


def test_target_beyond_reach_states_the_maximum_range_for_that_direction(cat):
    m = cat["nodong"]
    lat, lon = math.radians(35.7), math.radians(51.4)
    tlat, tlon = geodesic_direct(lat, lon, math.radians(300), 2500e3, WGS84)
    with pytest.raises(ValueError, match=r"beyond the nodong class's maximum range of [\d,]+ km in that direction"):
        aim(lat, lon, tlat, tlon, m, ROT_DRAG)


def test_rotation_makes_eastward_reach_longer_than_westward(cat):
    reach, _ = max_range(cat["ss-27"], 0.0, 0.0, np.radians([90.0, 270.0]), Models(WGS84, True, False))
    assert reach[0] > reach[1] + 500e3


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_cli_aim_json_and_its_burnout_state_reproduced_by_shieldsim_fly(capsys, tmp_path):
    code, out, _ = run(["aim", "--from", "38.08,46.29", "--to", "39.93,32.85", "--missile", "nodong", "--json",
                        "--geojson", str(tmp_path / "t.geojson"), "--kml", str(tmp_path / "t.kml"),
                        "--csv", str(tmp_path / "t.csv")], capsys)
    assert code == 0
    d = json.loads(out)
    assert set(d["burnout"]) >= {"time_s", "lat_deg", "lon_deg", "alt_km", "speed_kms", "gamma_deg", "heading_deg"}
    for key in ("flight_time_s", "apogee_km", "ground_range_km", "miss_km"):
        assert np.isfinite(d[key])
    assert d["miss_km"] < 1.0 and d["models"] == {"earth": "wgs84", "rotation": True, "drag": True}
    b = d["burnout"]
    code, out, _ = run(["fly", "--lat-deg", repr(b["lat_deg"]), "--lon-deg", repr(b["lon_deg"]),
                        "--alt-km", repr(b["alt_km"]), "--speed-kms", repr(b["speed_kms"]),
                        "--gamma-deg", repr(b["gamma_deg"]), "--heading-deg", repr(b["heading_deg"]),
                        "--drag", "--beta-kgm2", repr(d["beta_kgm2"]), "--json"], capsys)
    f = json.loads(out)
    from shieldsim.earth import surface_distance
    miss = surface_distance(math.radians(f["impact"]["lat_deg"]), math.radians(f["impact"]["lon_deg"]),
                            math.radians(39.93), math.radians(32.85), WGS84)
    assert miss < 1000.0
    gj = json.loads((tmp_path / "t.geojson").read_text())
    line = gj["features"][0]["geometry"]
    assert line["type"] == "LineString" and len(line["coordinates"]) > 100
    assert line["coordinates"][0][:2] == pytest.approx([46.29, 38.08], abs=1e-6)
    root = ET.parse(tmp_path / "t.kml").getroot()
    assert root.tag.endswith("kml")
    rows = np.loadtxt(tmp_path / "t.csv", delimiter=",", skiprows=1)
    assert rows[0, 0] == 0.0 and rows[-1, 3] < 5.0


@pytest.mark.parametrize("args,option", [
    (["--from", "35.7,51.4", "--to", "41,28.9", "--missile", "nope"], "--missile"),
    (["--from", "35.7;51.4", "--to", "41,28.9", "--missile", "nodong"], "--from"),
    (["--from", "35.7,51.4", "--to", "91,28.9", "--missile", "nodong"], "--to"),
    (["--from", "35.7,51.4", "--to", "41,28.9", "--missile", "nodong", "--trajectory", "lofted"], "--apogee-km"),
    (["--from", "35.7,51.4", "--to", "48.85,2.35", "--missile", "scud-b"], "--to"),
    (["--from", "35.7,51.4", "--to", "45,25", "--missile", "irbm", "--trajectory", "lofted", "--apogee-km", "5000"],
     "--apogee-km"),
    (["--from", "35.7,51.4", "--to", "48.85,2.35", "--missile", "irbm", "--trajectory", "lofted",
      "--apogee-km", "1500"], "--to"),
])
def test_cli_aim_bad_input_is_one_line_exit_2(capsys, args, option):
    code, _, err = run(["aim"] + args, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and option in err
    if option == "--missile":
        assert "allowed" in err and "ss-27" in err
    if "scud-b" in args:
        assert "maximum range" in err


def test_unreachable_pairs_can_be_skipped(cat):
    m = cat["nodong"]
    lat, lon = np.radians([35.7, 35.7, 35.7]), np.radians([51.4, 51.4, 51.4])
    tlat, tlon = geodesic_direct(lat, lon, np.radians([300, 300, 120]), np.array([800e3, 2500e3, 1000e3]), WGS84)
    a = aim(lat, lon, tlat, tlon, m, ROT_DRAG, unreachable="skip", labels=["a", "b", "c"])
    assert list(a.pair_index) == [0, 2] and list(a.labels) == ["a", "c"]
    assert len(a) == 2 and np.all(a.miss < 1000.0)


def test_minimum_energy_beyond_the_full_burn_minimum_energy_range_uses_the_full_burn(cat):
    """Between the range of the full-burn minimum-energy flight and the class's maximum range,
    the least burn that reaches the target is the full burn."""
    m = cat["ss-27"]
    models = Models(SPHERE, rotation=False, drag=True)
    tlat, tlon = geodesic_direct(np.zeros(2), np.zeros(2), np.zeros(2), np.array([9000e3, 10_900e3]), SPHERE)
    a = aim(np.zeros(2), np.zeros(2), tlat, tlon, m, models)
    assert list(a.full_burn) == [False, True]
    assert a.cutoff[0] < 1.0 and a.cutoff[1] == 1.0
    assert np.all(a.miss < 1000.0)


def _grid_from_one_point(n_side, lo_km, hi_km):
    """A launch point in Iran and a fan of n_side x n_side targets to its north-west."""
    lat0, lon0 = math.radians(33.0), math.radians(53.0)
    head, dist = np.meshgrid(np.radians(np.linspace(290, 340, n_side)), np.linspace(lo_km, hi_km, n_side) * 1e3)
    tlat, tlon = geodesic_direct(lat0, lon0, head.ravel(), dist.ravel(), WGS84)
    return np.full(tlat.size, lat0), np.full(tlat.size, lon0), tlat, tlon


def test_many_targets_from_one_launch_point_hit_with_the_controls_of_single_aims(cat):
    models = Models(WGS84, rotation=True, drag=False)
    lat, lon, tlat, tlon = _grid_from_one_point(9, 400, 1200)
    batch = aim(lat, lon, tlat, tlon, cat["nodong"], models)
    assert np.all(batch.miss < 100.0), batch.miss.max()
    for i in (1, 40, 79):  # aimed alone: no neighbours to start from
        one = aim(lat[i], lon[i], tlat[i], tlon[i], cat["nodong"], models)
        assert abs(one.heading[0] - batch.heading[i]) < 1e-4
        assert abs(one.kick[0] - batch.kick[i]) < 5e-4
        assert abs(one.cutoff[0] - batch.cutoff[i]) < 5e-4


@pytest.mark.parametrize("spread_lon", [False, True])
def test_warm_start_flies_fewer_flights_than_a_cold_start(cat, monkeypatch, spread_lon):
    import shieldsim.trajectory.aiming as T

    rows = []
    real = T._evaluate

    def counting(missile, acc, lat, *args, **kw):
        rows.append(len(lat))
        return real(missile, acc, lat, *args, **kw)

    monkeypatch.setattr(T, "_evaluate", counting)
    models = Models(WGS84, rotation=True, drag=False)
    lat, lon, tlat, tlon = _grid_from_one_point(8, 400, 1200)
    if spread_lon:  # the same fan from launch points around the latitude circle
        shift = np.radians(np.linspace(-170, 170, lat.size))
        lon, tlon = lon + shift, (tlon + shift + np.pi) % (2 * np.pi) - np.pi
    warm = aim(lat, lon, tlat, tlon, cat["nodong"], models)
    n_warm = sum(rows)
    rows.clear()
    monkeypatch.setattr(T, "_WARM_SHARE", 0.0)  # every pair from the shape table
    cold = aim(lat, lon, tlat, tlon, cat["nodong"], models)
    n_cold = sum(rows)
    assert np.all(warm.miss < 100.0) and np.all(cold.miss < 100.0)
    assert n_warm < 0.75 * n_cold, (n_warm, n_cold)


def test_vacuum_free_flight_samples_match_fly_states(cat):
    from shieldsim.trajectory import fly_states

    models = Models(WGS84, rotation=True, drag=False)
    lat, lon, tlat, tlon, _ = pairs(4, 300, 1200, 3)
    a = aim(lat, lon, tlat, tlon, cat["nodong"], models)
    for i in range(4):
        j0 = int(np.ceil(a.burnout_time[i] / a.step - 1e-9))  # first grid point after burnout
        f = fly_states(a.position[i, j0], a.velocity[i, j0], models, sample_step=a.step,
                       max_time=float(a.impact_time[i] - a.time[j0]) + a.step)
        m = min(f.sample_time.size, a.time.size - j0)
        got, want = a.position[i, j0:j0 + m], f.position[0, :m]
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.nanmax(np.abs(got - want)) < 1e-3
        assert np.nanmax(np.abs(a.velocity[i, j0:j0 + m] - f.velocity[0, :m])) < 1e-6


def test_aim_errors_say_range_or_shape_and_survive_pickling():
    import pickle

    from shieldsim.trajectory import AimError

    cls = M.get("scud-b")
    with pytest.raises(AimError) as info:  # Tehran to Paris: far beyond a Scud's range
        aim(math.radians(35.7), math.radians(51.4), math.radians(48.85), math.radians(2.35), cls, Models())
    assert info.value.cause == "range"
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, AimError) and again.cause == "range" and str(again) == str(info.value)


def test_newton_flights_without_apogee_land_where_the_full_free_flight_lands(cat):
    """The aiming Newton iterations fly the vacuum conic to its impact only
    (`kernels._impact_vacuum_batch`); the impact and flight time are those of `fly_states`."""
    from shieldsim.trajectory.boosted import _evaluate

    models = Models(WGS84, rotation=True, drag=False)
    m = cat["irbm"]
    lat, lon, _, _, _ = pairs(6, 1000, 3000, 5)
    az, kick, cut = np.linspace(0.3, 5.9, 6), np.radians(np.linspace(20, 50, 6)), np.linspace(0.6, 1.0, 6)
    full = _evaluate(m, M.boost_profile(m), lat, lon, az, kick, cut, models)
    short = _evaluate(m, M.boost_profile(m), lat, lon, az, kick, cut, models, need_apogee=False)
    for k in ("impact_lat", "impact_lon", "g"):
        assert np.allclose(short[k], full[k], rtol=0, atol=1e-12)
    assert np.allclose(short["flight_time"], full["flight_time"], rtol=1e-12, atol=0)
    assert np.all(np.isnan(short["apogee_alt"])) and np.all(full["apogee_alt"] > 100e3)


def test_miss_and_ground_range_agree_with_pyprojs_geodesic_within_a_millimetre(icbm_flights):
    """The final flights' miss and ground range come from the compiled Vincenty geodesic; pyproj's
    (Karney's) `surface_distance` is the reference they must match to 1 mm."""
    from shieldsim.earth import surface_distance

    a, _ = icbm_flights
    assert np.all(np.abs(a.ground_range - surface_distance(a.launch_lat, a.launch_lon, a.impact_lat, a.impact_lon,
                                                           WGS84)) < 1e-3)
    assert np.all(np.abs(a.miss - surface_distance(a.target_lat, a.target_lon, a.impact_lat, a.impact_lon,
                                                   WGS84)) < 1e-3)


def test_range_and_miss_equal_pyproj_to_a_millimetre_and_the_great_circle_exactly():
    """`boosted.range_and_miss` on 2,000 random pairs (all distances, near-antipodal included):
    within 1 mm of pyproj on WGS84, equal to `surface_distance` on the sphere; NaN impacts NaN."""
    from shieldsim.earth import surface_distance
    from shieldsim.trajectory.boosted import range_and_miss

    rng = np.random.default_rng(3)
    lat, tlat, ilat = (np.radians(rng.uniform(-89, 89, 2000)) for _ in range(3))
    lon, tlon, ilon = (np.radians(rng.uniform(-180, 180, 2000)) for _ in range(3))
    ilat[:50], ilon[:50] = -lat[:50], lon[:50] + np.pi  # antipodal impacts: pyproj's fallback
    ilat[50] = np.nan
    for earth in (WGS84, SPHERE):
        r, m = range_and_miss(lat, lon, tlat, tlon, ilat, ilon, earth)
        r_ref, m_ref = surface_distance(lat, lon, ilat, ilon, earth), surface_distance(tlat, tlon, ilat, ilon, earth)
        assert np.isnan(r[50]) and np.isnan(m[50])
        ok = np.arange(2000) != 50
        tol = 1e-3 if earth is WGS84 else 0.0
        assert np.all(np.abs(r[ok] - r_ref[ok]) <= tol) and np.all(np.abs(m[ok] - m_ref[ok]) <= tol)
    r, m = range_and_miss(lat, lon, None, None, ilat, ilon, WGS84)
    assert np.all(np.isnan(m)) and np.array_equal(r, range_and_miss(lat, lon, tlat, tlon, ilat, ilon, WGS84)[0],
                                                  equal_nan=True)
