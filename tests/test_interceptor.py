"""interceptor: catalogue, reach (powered phase + Lambert coast), earliest arrival, fly-out fan."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from shieldsim.earth import SPHERE, WGS84, to_ecef
from shieldsim.interceptor import (Battery, Interceptor, catalogue, earliest_arrival, find, flyout_fan,
                                   minimum_speed, reach)
from shieldsim.plots import plot_flyout_fan
from shieldsim.trajectory import Models, fly_states

CAT = catalogue()
SITE = (math.radians(44.08), math.radians(24.35))  # Deveselu, Romania


def _points(lat_deg, lon_deg, alt_km, earth=WGS84):
    return to_ecef(np.radians(lat_deg), np.radians(lon_deg), np.asarray(alt_km) * 1e3, earth).reshape(-1, 3)


# ---------------------------------------------------------------------------------------------
# catalogue


def test_catalogue_has_the_six_types_and_every_figure_has_a_source():
    assert set(CAT) == {"sm3-ia", "sm3-ib", "sm3-iia", "sm3-iib", "thaad", "gbi"}
    for icp in CAT.values():
        for f in dataclasses.fields(Interceptor):
            if f.name not in ("name", "sources"):
                assert icp.sources.get(f.name, "").strip(), (icp.name, f.name)


def test_catalogue_states_the_iia_speed_spread_and_that_the_iib_is_notional():
    assert "4.5-5.5" in CAT["sm3-iia"].sources["burnout_speed"]
    assert CAT["sm3-iia"].burnout_speed == pytest.approx(4500.0)
    iib = CAT["sm3-iib"]
    assert "notional" in iib.name.lower() and "cancelled" in iib.name.lower()
    assert all("NOTIONAL" in text for text in iib.sources.values())


def test_catalogue_figures_are_in_si_units_and_ordered():
    for icp in CAT.values():
        assert 1000.0 < icp.burnout_speed < 10000.0  # m/s
        assert icp.min_intercept_alt < icp.max_intercept_alt
        assert icp.max_range > 100e3
    assert CAT["sm3-iia"].burnout_speed > CAT["sm3-ia"].burnout_speed
    assert CAT["gbi"].burnout_speed > CAT["sm3-iib"].burnout_speed


def test_find_accepts_key_or_display_name():
    assert find("SM-3 Block IIA") is not None
    assert find("sm3-iia").name == find("SM3 block iia").name
    with pytest.raises(KeyError):
        find("no such interceptor")


def test_invalid_parameters_and_doctrines_are_rejected():
    with pytest.raises(ValueError):
        dataclasses.replace(CAT["thaad"], min_intercept_alt=200e3)  # above the ceiling
    with pytest.raises(ValueError):
        Battery("x", 0.0, 0.0, CAT["thaad"], 8, doctrine="spray-and-pray")


# ---------------------------------------------------------------------------------------------
# reach arcs, flown independently


@pytest.mark.parametrize("models", [Models(), Models(SPHERE, rotation=False), Models(SPHERE, rotation=True)])
@pytest.mark.parametrize("key", ["sm3-iia", "thaad", "gbi"])
def test_reported_arc_flown_with_fly_states_passes_within_1_km_of_the_point_at_the_stated_time(key, models):
    icp = CAT[key]
    # points inside the interceptor's band and range in several directions
    frac = np.array([0.2, 0.5, 0.8])
    alt = icp.min_intercept_alt + frac * (icp.max_intercept_alt - icp.min_intercept_alt) * 0.5
    rng_m = frac * icp.max_range * 0.6
    from shieldsim.earth import geodesic_direct

    headings = np.radians([10.0, 130.0, 250.0])
    lat, lon = geodesic_direct(SITE[0], SITE[1], headings, rng_m, models.earth)
    pts = to_ecef(lat, lon, alt, models.earth)
    arr = earliest_arrival(icp, SITE[0], SITE[1], pts, models, max_time=4000.0)
    assert arr.reachable.all(), (key, arr.flight_time)
    for i in range(len(pts)):
        tc = arr.flight_time[i] - icp.burn_time
        f = fly_states(arr.burnout_position[i], arr.burnout_velocity[i], models, sample_step=tc / 50,
                       max_time=tc * (1 + 1e-9))
        miss = np.linalg.norm(f.position[0, 50] - pts[i])
        assert miss < 1000.0, (key, i, miss)
        # and the speed that arc needs is within the interceptor's burnout speed
        assert np.linalg.norm(arr.burnout_velocity[i]) <= icp.burnout_speed * (1 + 1e-9)


def test_earliest_arrival_is_earliest_a_little_sooner_needs_more_speed():
    icp = CAT["sm3-iia"]
    pts = _points([46.0, 40.0, 48.0], [30.0, 28.0, 15.0], [300.0, 150.0, 600.0])
    arr = earliest_arrival(icp, SITE[0], SITE[1], pts)
    assert arr.reachable.all()
    sooner = reach(icp, SITE[0], SITE[1], pts, arr.flight_time - 0.05)
    assert (sooner.speed_needed > icp.burnout_speed).all()
    assert not sooner.reachable.any()
    on_time = reach(icp, SITE[0], SITE[1], pts, arr.flight_time)
    assert on_time.reachable.all()


def test_zero_burn_nonrotating_sphere_minimum_speed_is_the_closed_form_minimum_energy_speed():
    # Analytic limit: with no powered phase the arc starts at the site itself; on a non-rotating
    # sphere the least burnout speed over all flight times is the minimum-energy speed
    # sqrt(mu (2/r1 - 2/s)), s = semi-perimeter of the triangle (centre, site, point).
    icp = dataclasses.replace(CAT["sm3-iia"], burn_time=0.0, burnout_altitude=0.0)
    models = Models(SPHERE, rotation=False)
    pts = _points([50.0, 40.0, 30.0, 44.1], [30.0, 10.0, 40.0, 24.4], [200.0, 800.0, 100.0, 500.0], SPHERE)
    v, tau = minimum_speed(icp, SITE[0], SITE[1], pts, models, max_time=5000.0)
    site = to_ecef(SITE[0], SITE[1], 0.0, SPHERE)
    r1 = np.linalg.norm(site)
    c = np.linalg.norm(pts - site, axis=1)
    s = 0.5 * (r1 + np.linalg.norm(pts, axis=1) + c)
    v_closed = np.sqrt(SPHERE.gm * (2.0 / r1 - 2.0 / s))
    assert np.all(np.abs(v - v_closed) / v_closed < 1e-6), (v, v_closed)
    assert np.all(tau < 4999.0)  # a true interior minimum, not the search bound


def test_earth_rotation_helps_eastward_and_hinders_westward_shots():
    icp = CAT["sm3-iia"]
    site = (0.0, 0.0)
    pts = _points([0.0, 0.0], [8.0, -8.0], [300.0, 300.0])
    tau = 250.0
    rot = reach(icp, site[0], site[1], pts, tau, Models(WGS84, rotation=True))
    still = reach(icp, site[0], site[1], pts, tau, Models(WGS84, rotation=False))
    # same geometry mirrored: without rotation the needed speeds are equal
    assert still.speed_needed[0] == pytest.approx(still.speed_needed[1], rel=1e-9)
    assert rot.speed_needed[0] < still.speed_needed[0] < rot.speed_needed[1]


def test_point_before_burnout_or_beyond_max_range_is_not_reachable():
    icp = CAT["thaad"]
    pts = _points([44.3], [24.5], [60.0])
    assert not reach(icp, SITE[0], SITE[1], pts, icp.burn_time * 0.9).reachable[0]
    far = _points([44.08], [30.0], [100.0])  # ~450 km away, beyond THAAD's 200 km
    assert not earliest_arrival(icp, SITE[0], SITE[1], far).reachable[0]
    generous = dataclasses.replace(icp, max_range=2000e3, burnout_speed=6000.0)
    assert earliest_arrival(generous, SITE[0], SITE[1], far).reachable[0]


@settings(max_examples=40, deadline=None)
@given(
    lat=st.floats(30.0, 60.0), lon=st.floats(10.0, 40.0),
    alt_km=st.one_of(st.floats(0.0, 69.9), st.floats(1000.1, 3000.0)),
    tau=st.floats(0.0, 1500.0),
)
def test_a_point_outside_the_altitude_band_is_never_reachable(lat, lon, alt_km, tau):
    icp = CAT["sm3-iia"]  # band 70-1000 km
    pts = _points([lat], [lon], [alt_km])
    assert not reach(icp, SITE[0], SITE[1], pts, tau).reachable[0]
    assert np.isnan(earliest_arrival(icp, SITE[0], SITE[1], pts).flight_time[0])


@settings(max_examples=25, deadline=None)
@given(lat=st.floats(38.0, 52.0), lon=st.floats(14.0, 34.0), alt_km=st.floats(80.0, 900.0),
       factor=st.floats(1.0, 1.6))
def test_a_faster_interceptor_arrives_no_later(lat, lon, alt_km, factor):
    icp = CAT["sm3-iia"]
    fast = dataclasses.replace(icp, burnout_speed=icp.burnout_speed * factor)
    pts = _points([lat], [lon], [alt_km])
    slow_t = earliest_arrival(icp, SITE[0], SITE[1], pts).flight_time[0]
    fast_t = earliest_arrival(fast, SITE[0], SITE[1], pts).flight_time[0]
    if np.isfinite(slow_t):
        assert fast_t <= slow_t + 2e-3


# ---------------------------------------------------------------------------------------------
# fly-out fan


def test_flyout_fan_regions_are_nested_in_time_and_empty_before_burnout():
    icp = CAT["sm3-ib"]
    times = [icp.burn_time * 0.5, 100.0, 200.0, 300.0, 400.0]
    fan = flyout_fan(icp, SITE, times, heading=math.radians(120.0))
    counts = fan.reachable.sum(axis=(1, 2))
    assert counts[0] == 0
    assert np.all(np.diff(counts) >= 0) and counts[-1] > counts[1] > 0
    for t in range(1, len(times)):
        assert not (fan.reachable[t - 1] & ~fan.reachable[t]).any()
    # nothing outside the band or range
    reach_any = fan.reachable[-1]
    assert not reach_any[:, fan.altitude < icp.min_intercept_alt].any()
    assert not reach_any[fan.ground_range > icp.max_range, :].any()


def test_flyout_fan_plot_draws_contours():
    import matplotlib

    matplotlib.use("Agg")
    icp = CAT["thaad"]
    fan = flyout_fan(icp, SITE, [30.0, 60.0, 90.0, 120.0])
    ax = plot_flyout_fan(fan)
    assert ax.get_xlabel().startswith("ground range")
    assert len(ax.collections) > 0


# ---------------------------------------------------------------------------------------------
# shieldsim reach


def _cli(args, capsys):
    from shieldsim.cli import main

    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_reach_cli_json_reports_the_earliest_arrival_and_a_burnout_state_that_flies_there(capsys):
    import json

    code, out, _ = _cli(["reach", "--site", "44.08,24.35", "--interceptor", "sm3-iia", "--to", "48,30,300", "--json"],
                        capsys)
    assert code == 0
    d = json.loads(out)
    assert d["reachable"] and d["models"]["rotation"] and d["version"]
    arr = earliest_arrival(CAT["sm3-iia"], SITE[0], SITE[1], _points([48.0], [30.0], [300.0]))
    assert d["arrival_time_s"] == pytest.approx(arr.flight_time[0])
    bo = d["burnout"]
    assert bo["speed_kms"] == pytest.approx(4.5, rel=1e-6) and bo["time_s"] == CAT["sm3-iia"].burn_time
    # fly the printed burnout state (human units) and meet the point at the printed time
    from shieldsim.trajectory import fly

    tc = d["arrival_time_s"] - bo["time_s"]
    f = fly(math.radians(bo["lat_deg"]), math.radians(bo["lon_deg"]), bo["alt_km"] * 1e3, bo["speed_kms"] * 1e3,
            math.radians(bo["gamma_deg"]), math.radians(bo["heading_deg"]), sample_step=tc / 20, max_time=tc * 1.0001)
    assert np.linalg.norm(f.position[0, 20] - _points([48.0], [30.0], [300.0])[0]) < 1000.0


def test_reach_cli_explains_why_a_point_is_out_of_reach(capsys):
    code, out, _ = _cli(["reach", "--site", "44.08,24.35", "--interceptor", "thaad", "--to", "48,30,300"], capsys)
    assert code == 0 and "Not reachable" in out and "band" in out and "maximum range" in out
    code, out, _ = _cli(["reach", "--site", "44.08,24.35", "--interceptor", "sm3-ia", "--to", "49.5,24.35,450",
                         "--json"], capsys)
    assert code == 0 and '"reachable": false' in out and "needs at least" in out


@pytest.mark.parametrize("args, option", [
    (["--site", "44.08", "--interceptor", "thaad", "--to", "1,2,3"], "--site"),
    (["--site", "44,24", "--interceptor", "patriot", "--to", "1,2,3"], "--interceptor"),
    (["--site", "44,24", "--interceptor", "thaad", "--to", "1,2,9000"], "--to"),
    (["--site", "95,24", "--interceptor", "thaad", "--to", "1,2,3"], "--site"),
])
def test_reach_cli_bad_input_is_one_line_and_exit_code_2(args, option, capsys):
    code, out, err = _cli(["reach"] + args, capsys)
    assert code == 2 and option in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia", "thaad", "gbi"])
def test_earliest_arrival_agrees_with_a_dense_scan_over_flight_times(key):
    # The search relies on the needed speed having a single minimum over the flight time; a
    # brute-force scan of reach() on a 0.5 s grid must find the same earliest arrival.
    icp = CAT[key]
    rng = np.random.default_rng(7)
    from shieldsim.earth import geodesic_direct

    n = 12
    rng_m = rng.uniform(0.02, 1.0, n) * icp.max_range
    alt = rng.uniform(icp.min_intercept_alt, min(icp.max_intercept_alt, 1500e3), n)
    lat, lon = geodesic_direct(SITE[0], SITE[1], rng.uniform(0, 2 * np.pi, n), rng_m)
    pts = to_ecef(lat, lon, alt)
    t_max = 1500.0
    arr = earliest_arrival(icp, SITE[0], SITE[1], pts, max_time=t_max)
    taus = np.arange(icp.burn_time + 1.0, t_max, 0.5)
    for i in range(n):
        r = reach(icp, SITE[0], SITE[1], np.repeat(pts[i][None], taus.size, 0), taus)
        ok = np.flatnonzero(r.reachable)
        if ok.size == 0:
            assert np.isnan(arr.flight_time[i]), (key, i, arr.flight_time[i])
        else:
            assert taus[ok[0]] - 0.5 <= arr.flight_time[i] <= taus[ok[0]] + 1e-3, (key, i)


# ---------------------------------------------------------------------------------------------
# the WGS84 surface under the arcs, the WGS84 geodesic for the range


def _min_geodetic_height_along_arc(b_ecef, v_rel, coast, p_fixed):
    """Independent check of one coast: the inertial two-body arc from the burnout state
    (solve_ivp, inertial frame = Earth-fixed axes at burnout), sampled 2,000 times, each
    sample's height above WGS84 from PROJ; returns (lowest height m, miss at the point m)."""
    from pyproj import Transformer
    from scipy.integrate import solve_ivp

    omega = WGS84.rotation_rate
    y0 = np.r_[b_ecef, v_rel + np.cross([0.0, 0.0, omega], b_ecef)]
    sol = solve_ivp(lambda t, y: np.r_[y[3:], -WGS84.gm * y[:3] / np.linalg.norm(y[:3]) ** 3], (0.0, coast), y0,
                    rtol=1e-11, atol=1e-6, method="DOP853", dense_output=True)
    x, y, z = sol.sol(np.linspace(0.0, coast, 2000))[:3]
    heights = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(x, y, z)[2]
    c, s = math.cos(omega * coast), math.sin(omega * coast)  # the point, Earth-fixed at intercept, in that frame
    p_in = np.array([c * p_fixed[0] - s * p_fixed[1], s * p_fixed[0] + c * p_fixed[1], p_fixed[2]])
    return float(np.min(heights)), float(np.linalg.norm(sol.y[:3, -1] - p_in))


def test_arcs_passing_below_the_local_wgs84_surface_are_rejected_and_no_others():
    from shieldsim.interceptor import ellipsoid_of, speed_needed_one

    # a short, low burn (burnout at 2 km after 5 s) so that fast, flat arcs to low points a few
    # hundred km away sag below the surface between burnout and the point
    icp = dataclasses.replace(CAT["sm3-iia"], burn_time=5.0, burnout_altitude=2000.0)
    params = icp.params()
    site = _points([44.08], [24.35], [0.0])[0]
    rng = np.random.default_rng(7)
    n = 160
    lat, lon = WGS84_geod_fwd(44.08, 24.35, rng.uniform(0, 360, n), rng.uniform(150e3, 900e3, n))
    pts = _points(lat, lon, rng.uniform(0.5, 15.0, n))
    taus = icp.burn_time + rng.uniform(40.0, 300.0, n)
    polar_sphere = np.array([WGS84.polar_radius, 0.0])  # the former floor: a sphere of the polar radius
    below = above = 0
    for p, tau in zip(pts, taus):
        b, v, work = np.empty(3), np.empty(3), np.empty(9)
        if not np.isfinite(speed_needed_one(site, p, tau, params, WGS84.gm, WGS84.rotation_rate, polar_sphere,
                                            b, v, work)):
            continue  # no arc, or one below even the polar radius: rejected either way
        lowest, miss = _min_geodetic_height_along_arc(b, v, tau - icp.burn_time, p)
        assert miss < 1.0
        if abs(lowest) < 1.0:
            continue  # grazing within the sampling resolution
        ok = np.isfinite(speed_needed_one(site, p, tau, params, WGS84.gm, WGS84.rotation_rate, ellipsoid_of(WGS84),
                                          np.empty(3), np.empty(3), np.empty(9)))
        assert ok == (lowest > 0.0), f"lowest point {lowest:.0f} m above WGS84, accepted {ok}"
        below += lowest < 0.0
        above += lowest > 0.0
    assert below >= 5 and above >= 5  # both kinds were met


def WGS84_geod_fwd(lat_deg, lon_deg, az_deg, dist_m):
    """Points ``dist_m`` along the WGS84 geodesic from (lat, lon) at azimuth ``az_deg`` (pyproj)."""
    from pyproj import Geod

    lon1, lat1, az, dist = (np.ascontiguousarray(x, dtype=float) for x in
                            np.broadcast_arrays(lon_deg, lat_deg, az_deg, dist_m))
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon1, lat1, az, dist)
    return np.asarray(lat2), np.asarray(lon2)


@pytest.mark.parametrize("site", [(44.08, 24.35), (54.48, 17.1), (70.0, -30.0), (5.0, 100.0)])
def test_maximum_range_is_measured_along_the_wgs84_geodesic(site):
    from pyproj import Geod

    from shieldsim.interceptor import _ground_range, ellipsoid_of

    icp = CAT["sm3-iia"]  # 2,500 km
    az = np.arange(0.0, 360.0, 30.0)
    alt_km = 0.5 * (icp.min_intercept_alt + icp.max_intercept_alt) / 1e3
    site_p = _points([site[0]], [site[1]], [0.0])[0]
    for margin, inside in ((-150.0, True), (150.0, False)):
        lat, lon = WGS84_geod_fwd(site[0], site[1], az, icp.max_range + margin)
        pts = _points(lat, lon, np.full(az.size, alt_km))
        r = reach(icp, math.radians(site[0]), math.radians(site[1]), pts, 600.0)
        _, _, dist = Geod(ellps="WGS84").inv(np.full(az.size, site[1]), np.full(az.size, site[0]), lon, lat)
        assert np.allclose(r.ground_range, dist, atol=0.01)
        assert np.all(r.in_limits == inside)
        kernel = np.array([_ground_range(site_p, p, ellipsoid_of(WGS84)) for p in pts])
        assert np.allclose(kernel, dist, atol=0.01)  # the compiled twin used by engage and deterrent
