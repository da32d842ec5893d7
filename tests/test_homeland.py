"""Tests for shieldsim.homeland and ``shieldsim homeland``: the Iranian-ICBM geometry against
pyproj, the site figures against plain aggregation of a hand-made matrix, and the margin and
minimum speed of every flight x site against straight-line kinematic bounds computed here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pyproj import Geod, Transformer
from typer.testing import CliRunner

from shieldsim import deterrent as det
from shieldsim import homeland as hl
from shieldsim import scenario as scen
from shieldsim import study

GEOD = Geod(ellps="WGS84")
ECEF_TO_LLH = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
OMEGA = 7.2921150e-5  # Earth rotation rate, rad/s (WGS84)
R_EQ = 6378137.0


@pytest.fixture(scope="module")
def arch():
    return study.Architecture.from_scenario(scen.load("homeland"))


@pytest.fixture(scope="module")
def small(arch):
    """Tabriz and Shahrud to Washington and Boston, every variant, no ship sweep."""
    return hl.homeland_study(arch, ship_interceptor=None, areas=["tabriz", "shahrud"],
                             aim_names=["washington", "boston"])


def test_homeland_scenario_aims_iranian_icbms_at_the_four_us_cities(arch):
    sc = arch.scenario
    assert set(sc.aim_points) == {"washington", "new-york", "boston", "chicago"}
    assert {c for a in sc.launch_areas.values() for c in a.threats} == {"icbm-iran"}
    assert arch.missiles["icbm-iran"].name == "iran-icbm"
    assert {b.name for b in arch.batteries} == {"deveselu", "redzikowo", "aegis-north-sea", "aegis-east-med"}
    assert all("IIB" in b.interceptor.name for b in arch.batteries)  # every site armed alike


def test_longest_pair_is_within_the_notional_range_by_pyproj(arch):
    """The class was sized to reach every aim point from every launch point: recompute every
    distance on the WGS84 geodesic with pyproj and check the longest is Semnan -> Chicago."""
    sc = arch.scenario
    aims = scen.aim_points(sc)
    longest = (0.0, None)
    for area in sc.launch_areas:
        pts = scen.launch_points(sc, area)
        for name, la, lo in zip(pts.names, np.degrees(pts.lat), np.degrees(pts.lon)):
            for a, ala, alo in zip(aims.names, np.degrees(aims.lat), np.degrees(aims.lon)):
                d = GEOD.inv(lo, la, alo, ala)[2]
                longest = max(longest, (d, (name, a)), key=lambda x: x[0])
    assert longest[1] == ("Semnan", "chicago")
    assert 10.4e6 < longest[0] < 10.7e6
    assert arch.missiles["icbm-iran"].published_range > longest[0]


def test_every_flight_lands_on_its_aim_point_and_flies_the_geodesic_range(small):
    d = small.deterrent
    traj = d.trajectories
    sc_aims = scen.aim_points(scen.load("homeland"))
    where = {n: (math.degrees(la), math.degrees(lo)) for n, la, lo in zip(sc_aims.names, sc_aims.lat, sc_aims.lon)}
    assert len(traj) == 4 and not d.skipped
    for i in range(len(traj)):
        pos = traj.position[i]
        last = pos[np.isfinite(pos[:, 0])][-1]
        lon, lat, _ = ECEF_TO_LLH.transform(*last)
        alat, alon = where[d.aim_point[i]]
        miss = GEOD.inv(lon, lat, alon, alat)[2]
        assert miss < 20e3, f"flight {i} lands {miss / 1e3:.1f} km from {d.aim_point[i]}"
        first = pos[0]
        lon0, lat0, _ = ECEF_TO_LLH.transform(*first)
        ground = GEOD.inv(lon0, lat0, alon, alat)[2]
        assert 9.0e6 < ground < 10.7e6


def test_site_figures_aggregate_the_matrix_by_hand():
    nan = math.nan
    mx = det.DeterrentMatrix(
        base=np.array(["a", "a", "b"], dtype=object), threat=np.array(["x"] * 3, dtype=object),
        aim_point=np.array(["p", "q", "p"], dtype=object), battery_names=("s1", "s2"),
        track_time=np.zeros((3, 2)), launch_earliest=np.zeros((3, 2)), latest_launch=np.zeros((3, 2)),
        margin_s=np.array([[12.0, nan], [-5.0, -40.0], [30.0, nan]]),
        engageable=np.array([[True, False], [False, False], [True, False]]),
        intercept_first=np.zeros((3, 2)), intercept_last=np.zeros((3, 2)), first_alt=np.zeros((3, 2)),
        min_speed=np.array([[4100.0, nan], [5600.0, 6100.0], [3900.0, nan]]), min_speed_time=np.zeros((3, 2)),
        interceptor_speed=np.array([5500.0, 5500.0]))
    s1, s2 = hl.site_figures(mx, "v")
    assert (s1.site, s1.flights, s1.engageable) == ("s1", 3, 2)
    assert s1.fraction_engageable == pytest.approx(2 / 3)
    assert s1.min_speed_kms == pytest.approx(3.9) and s1.min_speed_all_kms == pytest.approx(5.6)
    assert s1.margin_best_s == 30.0 and s1.margin_median_s == 12.0
    assert s2.min_speed_kms == pytest.approx(6.1) and s2.min_speed_all_kms is None  # two flights never reachable
    assert s2.margin_best_s == -40.0 and s2.engageable == 0


def _chord_bounds(traj, i, battery, launch_earliest):
    """Straight-line kinematic bounds for flight i from a battery's site, computed here: an
    interceptor launched at L meets sample k (time t_k) only if the sample lies in its altitude
    band and within its range (checked with pyproj, 1 km / 5 km slack for the model's own
    geometry) and its mean inertial speed along the chord, |p_k - site| / (t_k - L), is at most
    its highest inertial speed, which is at most the ground-relative burnout speed plus the
    site's rotation speed plus the rotation of the chord's far end (coasting upwards only slows
    it). Returns (upper bound on the margin, lower bound on the minimum speed); (-inf, inf) when
    no sample qualifies."""
    icp = battery.interceptor
    site = np.array(Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True).transform(
        math.degrees(battery.lon), math.degrees(battery.lat), 0.0))
    pos = traj.position[i]
    ok = np.isfinite(pos[:, 0])
    p, t = pos[ok], traj.time[ok]
    lon, lat, alt = ECEF_TO_LLH.transform(p[:, 0], p[:, 1], p[:, 2])
    ground = GEOD.inv(np.full(lon.size, math.degrees(battery.lon)), np.full(lon.size, math.degrees(battery.lat)),
                      lon, lat)[2]
    inside = ((alt >= icp.min_intercept_alt - 1e3) & (alt <= icp.max_intercept_alt + 1e3)
              & (ground <= icp.max_range + 5e3))
    p, t = p[inside], t[inside]
    if not t.size:
        return -math.inf, math.inf
    chord = np.linalg.norm(p - site, axis=1)
    spin = OMEGA * (R_EQ * math.cos(battery.lat) + np.hypot(p[:, 0], p[:, 1]))  # rotation speeds, m/s
    vmax = icp.burnout_speed + spin
    latest = np.max(t - chord / vmax)
    tau = t - launch_earliest
    good = tau > 1.0
    vmin_bound = np.min(chord[good] / tau[good] - spin[good]) if good.any() else math.inf
    return latest - launch_earliest, vmin_bound


def test_margin_and_min_speed_respect_straight_line_bounds(small, arch):
    d = small.deterrent
    checked = 0
    for v, mx in d.matrices.items():
        for j, b in enumerate(arch.batteries):
            for i in range(len(d.base)):
                if not np.isfinite(mx.launch_earliest[i, j]):
                    continue
                m_up, v_low = _chord_bounds(d.trajectories, i, b, mx.launch_earliest[i, j])
                if np.isfinite(mx.margin_s[i, j]):
                    assert mx.margin_s[i, j] <= m_up + 1.0, (v, b.name, i)
                if np.isfinite(mx.min_speed[i, j]):
                    assert mx.min_speed[i, j] >= v_low - 1.0, (v, b.name, i)
                    checked += 1
    assert checked >= 8


def test_one_pair_bound_by_hand(small, arch):
    """Tabriz -> Washington against Redzikowo on the cue: the minimum speed lies between the
    straight-line bound and the notional IIB's speed (engageable), and the margin below the bound."""
    d = small.deterrent
    mx = d.matrices["cue-as-track"]
    i = [k for k in range(len(d.base)) if d.base[k] == "tabriz" and d.aim_point[k] == "washington"][0]
    j = mx.battery_names.index("redzikowo")
    b = arch.batteries[j]
    m_up, v_low = _chord_bounds(d.trajectories, i, b, mx.launch_earliest[i, j])
    assert mx.engageable[i, j]
    assert v_low < mx.min_speed[i, j] <= b.interceptor.burnout_speed
    assert 0.0 <= mx.margin_s[i, j] <= m_up


def test_site_rows_cover_every_variant_and_site(small, arch):
    rows = {(s.variant, s.site): s for s in small.sites}
    assert set(rows) == {(v, b.name) for v in study.SENSOR_VARIANTS for b in arch.batteries}
    for (v, site), s in rows.items():
        j = small.deterrent.matrices[v].battery_names.index(site)
        assert s.engageable == int(small.deterrent.matrices[v].engageable[:, j].sum())
    # the optimistic timeline (track on the space-based cue) never engages fewer flights
    for b in arch.batteries:
        assert rows[("cue-as-track", b.name)].engageable >= rows[("scenario", b.name)].engageable


def test_ship_sweep_matches_engage_on_the_network_track(arch):
    from shieldsim.engagement import engage
    from shieldsim.interceptor import catalogue

    res = hl.homeland_study(arch, variants=("cue-as-track", "scenario"), areas=["tabriz"], aim_names=["boston"],
                            min_speed=False, ship_step_deg=6.0)
    assert res.sea_lat_deg.size > 5 and set(res.sea_area) <= set(hl.SEA_BOXES)
    icp = catalogue()["sm3-iib"]
    ships = det.ship_batteries(icp, res.sea_lat_deg, res.sea_lon_deg)
    tl = study.track_times(arch, res.deterrent.trajectories)[1][arch.battery_networks[0]]
    assert np.array_equal(res.sea["cue-as-track"]["engageable"], engage(res.deterrent.trajectories, ships,
                                                                         tl.cue_time).engageable)
    assert np.array_equal(res.sea["scenario"]["engageable"], engage(res.deterrent.trajectories, ships,
                                                                     tl.track_time).engageable)
    best = res.sea_best("cue-as-track")
    frac = res.sea_fraction("cue-as-track")
    for box, r in best.items():
        assert r["fraction_engageable"] == pytest.approx(frac[res.sea_area == box].max())


def test_cli_homeland_json_and_files(tmp_path):
    from shieldsim.cli import app

    out = tmp_path / "h"
    res = CliRunner().invoke(app, ["homeland", "--base", "tabriz", "--aim", "washington", "--variant", "cue-as-track",
                                   "--ship-step-deg", "8", "--json", "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["scenario"] == "homeland" and d["version"] and d["models"]["earth"]
    assert d["flights"] == 1 and d["launch_areas"] == ["tabriz"]
    assert set(d["sites_by_variant"]["cue-as-track"]) == {"deveselu", "redzikowo", "aegis-north-sea", "aegis-east-med"}
    row = d["sites_by_variant"]["cue-as-track"]["redzikowo"]
    assert {"fraction_engageable", "min_speed_kms", "margin_best_s"} <= set(row)
    assert d["ships"]["by_variant"]["cue-as-track"]["best_by_sea_area"]
    for name in ("sites.csv", "pairs.csv", "ships.csv", "homeland.json", "ship-stations-cue-as-track.png",
                 "tracks-cue-as-track.svg"):
        assert (out / name).exists(), name


@pytest.mark.parametrize("argv, option", [(["--variant", "bogus"], "--variant"), (["--aim", "paris"], "--aim"),
                                          (["--base", "moscow"], "--base")])
def test_cli_homeland_bad_option_is_one_line_error(tmp_path, argv, option):
    from shieldsim.cli import app

    res = CliRunner().invoke(app, ["homeland", *argv, "--out", str(tmp_path / "x"), "--no-progress"])
    assert res.exit_code == 2
    assert option in res.output and "allowed" in res.output and "Traceback" not in res.output


def test_report_shows_the_homeland_rows_of_the_study(small, tmp_path):
    from test_report import synthetic_assessment

    from shieldsim.report import summary_dict, write_report

    a = synthetic_assessment()
    a.deterrent.homeland = small.to_report(figures=False)
    s = summary_dict(a)["deterrent"]["homeland"]
    assert [(r["variant"], r["site"], r["engageable"]) for r in s["sites"]] == \
        [(x.variant, x.site, x.engageable) for x in small.sites]
    assert any("GAO-13-382R" in p for p in a.deterrent.homeland.published)
    assert any("cue-as-track" in p and "median margin" in p for p in a.deterrent.homeland.published)
    index = write_report(tmp_path / "r", a)
    text = index.read_text()
    assert "The homeland question" in text
    assert 'data-key="/deterrent/homeland/sites/0/fraction_engageable"' in text
    # an assessment without it renders no homeland table
    b = synthetic_assessment()
    assert summary_dict(b)["deterrent"]["homeland"] is None
    assert "The homeland question" not in write_report(tmp_path / "b", b).read_text()


def test_only_phase_4_architectures_get_the_homeland_question():
    assert hl.applies(study.Architecture.from_scenario(scen.load("epaa-phase4")))
    assert not hl.applies(study.Architecture.from_scenario(scen.load("epaa-2018")))
