"""Tests for study.scenario_flights (the one way every command flies a scenario's threat
classes from its launch areas to its aim points) and for the coverage results' NATO-Europe
figures."""

from __future__ import annotations

import numpy as np
import pytest

from shieldsim import scenario as scen
from shieldsim import study
from shieldsim.earth import geodesic_inverse
from shieldsim.trajectory import AIM_TOL


@pytest.fixture(scope="module")
def arch():
    return study.Architecture.from_scenario(scen.load("epaa-2018"))


@pytest.fixture(scope="module")
def tabriz(arch):
    return study.scenario_flights(arch, area="tabriz")


def test_every_selected_pair_is_flown_or_skipped_once(arch, tabriz):
    traj, labels, skipped = tabriz
    sc = arch.scenario
    pts = scen.launch_points(sc, "tabriz")
    expected = {f"{c} {p} -> {a}" for c in sc.launch_areas["tabriz"].threats for p in pts.names for a in sc.aim_points}
    skipped_pairs = [s.split(": ", 1)[0] for s in skipped]
    assert sorted(list(labels) + skipped_pairs) == sorted(expected)
    assert len(traj) == len(labels) and list(traj.labels) == list(labels)
    assert all(": " in s and s.split(": ", 1)[1] for s in skipped)  # each skip says why


def test_each_flight_lands_on_the_aim_point_its_label_names(arch, tabriz):
    traj, labels, _ = tabriz
    classes = {lab.split(" ", 1)[0] for lab in labels}
    assert len(classes) > 1  # several classes: flights from several batches share one grid
    aims = scen.aim_points(arch.scenario)
    at = {n: k for k, n in enumerate(aims.names)}
    k = np.array([at[lab.rsplit(" -> ", 1)[1]] for lab in labels])
    miss, _ = geodesic_inverse(traj.impact_lat, traj.impact_lon, aims.lat[k], aims.lon[k], arch.models.earth)
    assert np.all(miss < 2 * AIM_TOL)
    last = np.array([np.flatnonzero(np.isfinite(traj.position[i, :, 0]))[-1] for i in range(len(traj))])
    assert np.isnan(traj.position[np.argmin(last), last.min() + 1:]).all()  # shorter flights padded with NaN


def test_skipped_pairs_are_those_out_of_reach(arch, tabriz):
    _, labels, skipped = tabriz
    out = [s for s in skipped if s.endswith("beyond the class's maximum range")]
    pts = scen.launch_points(arch.scenario, "tabriz")
    aims = scen.aim_points(arch.scenario)
    for s in out + list(labels[:3]):
        pair = s.split(": ", 1)[0]
        cls, rest = pair.split(" ", 1)
        point, aim = rest.rsplit(" -> ", 1)
        p, a = pts.names.index(point), aims.names.index(aim)
        ok = study.reachable(arch.missiles[cls], float(pts.lat[p]), float(pts.lon[p]), aims.lat[a:a + 1],
                             aims.lon[a:a + 1], arch.models)[0]
        assert ok == (s in labels)


@pytest.mark.parametrize("kwargs, what", [({"threat": "nope"}, "threat"), ({"area": "nope"}, "area"),
                                          ({"target": "nope"}, "target"), ({"max_flights": 1}, "max_flights")])
def test_bad_selections_name_the_selector_before_flying(arch, kwargs, what):
    with pytest.raises(study.SelectionError) as err:
        study.scenario_flights(arch, **kwargs)
    assert err.value.what == what
    if what != "max_flights":
        assert "allowed:" in str(err.value)


def test_batched_reach_tables_equal_the_per_point_tables(arch):
    a, b = (scen.launch_points(arch.scenario, n) for n in ("tabriz", "central-iran"))
    lat, lon = np.r_[a.lat[0], b.lat[0]], np.r_[a.lon[0], b.lon[0]]
    m = arch.missiles["mrbm-solid"]
    study._REACH_CACHE.clear()
    study.reach_tables(m, lat, lon, arch.models)
    batched = [study.reach_table(m, float(lat[k]), float(lon[k]), arch.models) for k in range(2)]
    assert len(study._REACH_CACHE) == 2  # reach_table found the batched tables
    study._REACH_CACHE.clear()
    single = [study.reach_table(m, float(lat[k]), float(lon[k]), arch.models) for k in range(2)]
    np.testing.assert_allclose(batched, single, rtol=1e-9)  # batch order moves the last bits (< 1 mm)
    assert np.abs(batched[0] - batched[1]).max() > 1e3  # two points far apart, two different tables


def test_fly_within_reach_skips_unflyable_pairs_but_raises_on_a_bad_request(arch):
    """Pairs out of reach or unflyable in the shape come back with a reason; a request that is
    wrong for every pair (a lofted flight with no apogee anywhere) is an error, not a skip."""
    sc = arch.scenario
    pts, aims = scen.launch_points(sc, "tabriz"), scen.aim_points(sc)
    n = len(aims.names)
    lat, lon = np.full(n, pts.lat[0]), np.full(n, pts.lon[0])
    traj, kept, reasons = study.fly_within_reach(arch, "mrbm-solid", lat, lon, aims.lat, aims.lon)
    assert len(traj) == kept.size > 0 and set(kept) | set(reasons) == set(range(n))
    assert not set(kept) & set(reasons) and "beyond the class's maximum range" in reasons.values()
    assert sc.threats["mrbm-solid"].apogee_km is None
    with pytest.raises(ValueError, match="needs an apogee"):
        study.fly_within_reach(arch, "mrbm-solid", lat, lon, aims.lat, aims.lon, kind="lofted")


def test_selection_errors_survive_pickling_with_their_selector():
    import pickle

    err = pickle.loads(pickle.dumps(study.SelectionError("target", "no aim point")))
    assert err.what == "target" and str(err) == "no aim point"


# ---------------------------------------------------------------------------------------------
# launch_on / engage_on: the track a battery fires on and the track that guides its interceptor

_SMALL = """
name = "small-network"
[radars.fwd]
lat_deg = 38.3494
lon_deg = 37.7936
site_elevation_m = 2085.0
antenna_height_m = 5.0
field = "fixed"
boresight_deg = 95.0
half_width_deg = 60.0
min_elevation_deg = 1.0
max_range_km = 3000.0
reference_range_km = 1500.0
reference_rcs_m2 = 1.0
revisit_s = 1.0
hits_for_track = 3
fire_control = true
[radars.ship]
platform = "ship"
lat_deg = 36.5
lon_deg = 25.5
antenna_height_m = 20.0
field = "full"
min_elevation_deg = 1.0
max_range_km = 1000.0
reference_range_km = 1000.0
reference_rcs_m2 = 1.0
revisit_s = 2.0
hits_for_track = 3
fire_control = true
[networks.net]
members = ["fwd", "ship"]
home = ["ship"]
latency_s = 15.0
[batteries.ship]
platform = "ship"
lat_deg = 36.5
lon_deg = 25.5
interceptor = "sm3-ib"
inventory = 8
network = "net"
own_radars = ["ship"]
[threats.mrbm]
missile = "sejjil"
[launch_areas.tabriz]
points = [{ name = "Tabriz", lat_deg = 38.08, lon_deg = 46.2919 }]
threats = ["mrbm"]
[aim_points.athens]
lat_deg = 37.98376
lon_deg = 23.72784
"""


@pytest.fixture(scope="module")
def small():
    """A forward fire-control radar (home: no), a ship radar (home) and a battery on the ship;
    one flight Tabriz -> Athens sampled every 0.5 s."""
    arch = study.Architecture.from_scenario(scen.loads(_SMALL))
    traj, _, _ = study.scenario_flights(arch, step=0.5)
    return arch, traj


def _detectable_runs(traj, radar_kwargs):
    """Sample-by-sample detectability (`sensors.coverage_status` == 2) of flight 0: the
    (start, end) times of each run of detectable samples."""
    from shieldsim.sensors import Radar, coverage_status

    ok = np.isfinite(traj.position[0, :, 0])
    t, pos = traj.time[ok], traj.position[0, ok]
    det = coverage_status(Radar(**radar_kwargs), pos, traj.rcs[0], traj.models.earth) == 2
    edges = np.flatnonzero(np.diff(np.r_[0, det.astype(int), 0]))
    return [(t[a], t[b - 1]) for a, b in zip(edges[::2], edges[1::2])]


def _with(arch, **posture):
    import dataclasses

    return dataclasses.replace(arch, batteries=[dataclasses.replace(b, **posture) for b in arch.batteries])


def test_launch_on_and_engage_on_pick_the_track_and_window_computed_from_the_radars(small):
    """Recomputed here from each radar's detectable samples (0.5 s apart): a track forms
    (hits - 1) x revisit after the first detectable sample. launch_on = "remote": the earliest
    fire-control track at the battery -- the forward radar's (not a home sensor: + 15 s
    latency) or the ship's (home: no latency); "own": the ship radar's track. engage_on = "own":
    intercepts only from the ship's track to the end of its detectable run."""
    arch, traj = small
    kw = {k["name"]: k for k in scen.radar_kwargs(arch.scenario)}
    runs = {name: _detectable_runs(traj, kw[name]) for name in kw}
    fwd_track = runs["fwd"][0][0] + 2 * 1.0
    ship_start, ship_end = runs["ship"][0]
    ship_track = ship_start + 2 * 2.0
    assert fwd_track + 15.0 < ship_track  # the forward radar's report wins despite the latency

    remote = study.battery_tracks(_with(arch, launch_on="remote", engage_on="remote"), traj)
    assert remote.track_time[0, 0] == pytest.approx(fwd_track + 15.0, abs=0.6)
    assert remote.track_sensor[0, 0] == "fwd"
    assert np.array_equal(remote.intercept_window[0, 0], [-np.inf, np.inf])

    own = study.battery_tracks(_with(arch, launch_on="own", engage_on="own"), traj)
    assert own.track_time[0, 0] == pytest.approx(ship_track, abs=0.6)
    assert own.track_sensor[0, 0] == "ship"
    assert own.intercept_window[0, 0, 0] == pytest.approx(ship_track, abs=0.6)
    assert own.intercept_window[0, 0, 1] == pytest.approx(ship_end, abs=0.6)

    # the engagement honours the window: launched on the remote track, guided by the own radar
    e, t = study.engage_flights(_with(arch, launch_on="remote", engage_on="own"), traj)
    assert t.track_sensor[0, 0] == "fwd"
    lo, hi = t.intercept_window[0, 0]
    free, _ = study.engage_flights(_with(arch, launch_on="remote", engage_on="remote"), traj)
    assert free.engageable[0, 0] and e.engageable[0, 0]
    assert lo <= e.intercept_first[0, 0] <= e.intercept_last[0, 0] <= hi
    assert free.intercept_first[0, 0] < lo  # without the constraint it would intercept earlier


def test_a_file_without_launch_on_or_engage_on_engages_as_before(small):
    """The defaults (launch and engage on any fire-control track of the network) give the
    network's fused track and no window: the same engagement as engage() on Timeline.track_time."""
    from shieldsim.engagement import engage
    from shieldsim.sensors import detect

    arch, traj = small
    spec = scen.loads(_SMALL.replace('own_radars = ["ship"]\n', "")).batteries["ship"]
    assert (spec.launch_on, spec.engage_on, spec.own_radars) == ("remote", "remote", None)
    plain = study.Architecture.from_scenario(scen.loads(_SMALL.replace('own_radars = ["ship"]\n', "")))
    tl = detect(traj, plain.networks["net"])
    e, t = study.engage_flights(plain, traj)
    ref = engage(traj, plain.batteries, tl.track_time)
    assert np.array_equal(t.track_time[:, 0], tl.track_time, equal_nan=True)
    for name in ("launch_earliest", "launch_latest", "intercept_first", "intercept_last", "shots", "kill_probability"):
        assert np.array_equal(getattr(e, name), getattr(ref, name), equal_nan=True), name


def test_own_radars_must_be_radars_of_the_battery_network():
    with pytest.raises(scen.ScenarioError, match=r"batteries.ship.own_radars\[0\]"):
        scen.loads(_SMALL.replace('own_radars = ["ship"]', 'own_radars = ["nowhere"]'))
    with pytest.raises(scen.ScenarioError, match="batteries.ship.launch_on"):
        scen.loads(_SMALL.replace('own_radars = ["ship"]', 'launch_on = "early-warning"'))


@pytest.fixture(scope="module")
def phase1():
    """epaa-2011 and its flights from Tabriz to the south-eastern capitals."""
    arch = study.Architecture.from_scenario(scen.load("epaa-2011"))
    traj, labels, _ = study.scenario_flights(arch, area="tabriz", target="athens")
    more = [study.scenario_flights(arch, area="tabriz", target=t) for t in ("bucharest", "ankara")]
    from shieldsim.trajectory import Trajectory

    traj = Trajectory.concat([traj] + [m[0] for m in more])
    labels = list(labels) + [lab for m in more for lab in m[1]]
    return arch, traj, labels


SOUTH_EAST_NATO = ("GRC", "TUR", "BGR", "ROU", "ALB")
"""NATO members of 2011 in south-eastern Europe, within reach of the phase 1 ship."""


def test_phase1_defends_south_eastern_europe_on_the_forward_radar_track_and_none_without_launch_on_remote(phase1):
    """Phase 1 as documented: the ship launches on the Kurecik TPY-2's track (launch on remote,
    FTM-15, 15 April 2011) and is guided on it beyond its own radar (engage on remote: MDAA,
    14 Dec 2011, the forward radars let Aegis missiles 'engage outside of their respective ship
    sensor ranges'). Premise, recomputed from the sampled positions: with shieldsim's notional
    SPY-1 figure (500 km against 1 m^2) the ship's radar detects a 0.05-0.1 m^2 warhead at
    236-281 km, but every flight from Tabriz to Athens, Bucharest or Ankara passes at least
    ~420 km from the ship, so the SPY-1 alone never forms a track.
    Hence: documented posture -- the Athens flights are engageable (intercepts ~520-710 s after
    launch) and a coverage run from Tabriz defends people in south-eastern NATO countries;
    launch_on = "own" -- the ship never gets a track to fire on: nothing engageable, nobody
    defended; engage_on = "own" (the stricter, unverified reading: own SPY-1 at the intercept)
    -- the ship fires on the TPY-2 track but its SPY-1 never holds the warhead, so no intercept
    can be guided: nothing engageable, nobody defended."""
    import dataclasses

    from shieldsim.earth import to_ecef

    arch, traj, labels = phase1
    sc = arch.scenario
    bat = sc.batteries["aegis-east-med"]
    assert (bat.launch_on, bat.engage_on, bat.own_radars) == ("remote", "remote", ["spy1-east-med"])
    assert sc.radars["kurecik-tpy2"].fire_control and "FTM-15" in sc.radars["kurecik-tpy2"].source

    spy = sc.radars["spy1-east-med"]
    site = to_ecef(np.radians(spy.lat_deg), np.radians(spy.lon_deg), spy.antenna_height_m, traj.models.earth)
    closest = np.nanmin(np.linalg.norm(traj.position - site, axis=-1), axis=1)
    reach = spy.reference_range_km * 1e3 * (np.asarray(traj.rcs) / spy.reference_rcs_m2) ** 0.25
    assert (reach < closest).all(), "premise: the SPY-1 cannot detect these warheads"

    def posture(**kw):
        return dataclasses.replace(arch, batteries=[dataclasses.replace(b, **kw) for b in arch.batteries])

    documented, t_doc = study.engage_flights(arch, traj)
    assert (t_doc.track_sensor[:, 0] == "kurecik-tpy2").all()
    assert np.array_equal(t_doc.intercept_window[:, 0], np.tile([-np.inf, np.inf], (len(labels), 1)))
    athens = np.array(["athens" in lab for lab in labels])
    assert documented.engageable[athens, 0].all() and not documented.engageable[~athens, 0].any()
    own, t_own = study.engage_flights(posture(launch_on="own"), traj)
    assert np.isnan(t_own.track_time).all() and not own.engageable.any()
    strict, t_strict = study.engage_flights(posture(engage_on="own"), traj)
    assert (t_strict.track_sensor[:, 0] == "kurecik-tpy2").all()
    assert (t_strict.intercept_window[:, 0, 0] == np.inf).all() and not strict.engageable.any()

    # the same three postures over Europe (one set of flights, 2 deg grid, launches from Tabriz)
    results = study.coverage_many([arch, posture(launch_on="own"), posture(engage_on="own")], areas=["tabriz"],
                                  grid_deg=2.0)
    rows = [{r["iso3"]: r for r in res.as_dict()["per_country"]} for res in results]
    south_east = [sum(r[c]["population_defended"] for c in SOUTH_EAST_NATO if c in r) for r in rows]
    assert south_east[0] > 0, "the documented posture defends people in south-eastern NATO Europe"
    assert rows[0]["GRC"]["population_defended"] > 0  # Athens's country
    for res in results[1:]:
        assert res.as_dict()["population_protected"] == 0 and res.nato_europe()["nato_europe"]["population_defended"] == 0


# ------------------------------------------------------------------------ NATO Europe headline

SMALL_BALKANS = """
name = "small-balkans"
extends = "epaa-2018"
[defended]
lat_min_deg = 40.0
lat_max_deg = 50.0
lon_min_deg = 18.0
lon_max_deg = 30.0
grid_deg = 1.0
source = "test box: Montenegro (joined 2017) and North Macedonia (2020) lie inside it"
[launch_areas.tabriz]
threats = ["mrbm-solid"]
"""


def _nato_europe_codes(year: int) -> set[str]:
    """Members (and territories counted with them) read from the shipped file, independently
    of geography's reader."""
    import tomllib
    from importlib.resources import files

    data = tomllib.loads(files("shieldsim").joinpath("data/nato_members.toml").read_text(encoding="utf-8"))
    members = {m["iso3"] for m in data["member"] if m["european"] and m["joined"].year <= year}
    return members | {t["iso3"] for t in data.get("territory", []) if t["member"] in members}


@pytest.fixture(scope="module")
def small_coverage():
    arch = study.Architecture.from_scenario(scen.loads(SMALL_BALKANS))
    return study.coverage(arch, areas=["tabriz"])


def _sums(rows, codes, inside=True):
    keys = ("population_total", "population_threatened", "population_defended")
    return {k: sum(r[k] for r in rows if (r["iso3"] in codes) == inside) for k in keys}


def test_coverage_json_nato_europe_is_the_sum_of_the_member_rows(small_coverage):
    d = small_coverage.as_dict()
    assert small_coverage.year == 2018  # inherited from epaa-2018
    codes = _nato_europe_codes(2018)
    for where, rows in ((d, d["per_country"]), (d["threat_areas"]["tabriz"], d["threat_areas"]["tabriz"]["by_country"])):
        nato, rest = where["nato_europe"], where["rest_of_region"]
        want, other = _sums(rows, codes), _sums(rows, codes, inside=False)
        assert {k: nato[k] for k in want} == want
        assert {k: rest[k] for k in other} == other
        assert nato["fraction_defended_of_threatened"] == nato["population_defended"] / nato["population_threatened"]
        assert nato["membership_year"] == 2018 and nato["membership_year_from"] == "scenario"
    assert d["nato_europe"]["population_threatened"] > 0
    assert {"MNE", "ROU", "BGR"} <= set(d["nato_europe"]["members"]) and "MKD" not in d["nato_europe"]["members"]
    assert {"SRB", "UKR", "MKD"} <= set(d["rest_of_region"]["countries"])


def test_membership_year_changes_who_counts_as_nato_europe(small_coverage):
    import dataclasses

    rows = {r["iso3"]: r for r in small_coverage.as_dict()["per_country"]}
    by_year = {y: dataclasses.replace(small_coverage, year=y).as_dict()["nato_europe"] for y in (2011, 2018, 2020)}
    assert "MNE" not in by_year[2011]["members"] and "MNE" in by_year[2018]["members"]
    assert by_year[2018]["population_total"] - by_year[2011]["population_total"] == rows["MNE"]["population_total"] > 0
    assert by_year[2020]["population_total"] - by_year[2018]["population_total"] == rows["MKD"]["population_total"] > 0
    default = dataclasses.replace(small_coverage, year=None).as_dict()["nato_europe"]
    assert (default["membership_year"], default["membership_year_from"]) == (2018, "default")


def test_key_findings_lead_with_the_nato_europe_sentence(small_coverage):
    from shieldsim.assess import key_findings

    nato = small_coverage.as_dict()["nato_europe"]
    findings = key_findings(small_coverage, None, None)
    first = findings[0]
    assert first.startswith(f"{nato['population_defended'] / 1e6:,.0f} million of the "
                            f"{nato['population_threatened'] / 1e6:,.0f} million people in NATO's European members "
                            "threatened by launches from all threat areas together are defended "
                            f"({nato['fraction_defended_of_threatened']:.0%}; membership of 2018")
    assert findings[1].endswith(").") and "launches from tabriz" in findings[1]
    assert any(f.startswith("Rest of the region") for f in findings)
    assert findings.index(next(f for f in findings if f.startswith("Whole grid"))) > 1


def test_options_are_compared_with_the_first_options_membership(small_coverage):
    import dataclasses

    older = dataclasses.replace(small_coverage, year=2011)
    rows = study.OptionsComparison(["NATO alone", "other"], ["a", "b"], [small_coverage, older]).table()
    assert [r["membership_year"] for r in rows] == [2018, 2018]
    assert rows[0]["nato_europe_population_defended"] == rows[1]["nato_europe_population_defended"]
    assert rows[1]["nato_europe_difference_from_first"] == 0
    nato = small_coverage.as_dict()["nato_europe"]
    assert rows[0]["nato_europe_population_threatened"] == nato["population_threatened"]
    assert rows[0]["nato_europe_fraction_defended_of_threatened"] == nato["fraction_defended_of_threatened"]


def _sectors(**tables):
    return scen.Scenario.model_validate({"name": "s", "sectors": tables})


def _rad(*points):
    lat, lon = np.radians(np.array(points, float)).T
    return lat, lon


def test_sectors_match_by_decreasing_priority_then_file_order():
    paris, lyon = (48.857, 2.352), (45.764, 4.836)
    north = [[47.0, -5.0], [47.0, 10.0], [52.0, 10.0], [52.0, -5.0]]
    whole = {"engaged_by": "A", "countries": ["FRA"]}
    part = {"engaged_by": "B", "countries": ["FRA"], "polygon_deg": north}
    lat, lon = _rad(paris, lyon, (45.0, -30.0))
    # equal priority: file order decides, so the country listed whole takes Paris too
    assert study.sector_names(_sectors(whole=whole, part=part), lat, lon).tolist() == ["whole", "whole", ""]
    assert study.sector_names(_sectors(part=part, whole=whole), lat, lon).tolist() == ["part", "whole", ""]
    # a higher priority goes first whatever the file order
    sc = _sectors(whole=whole, part=part | {"priority": 1})
    assert study.sector_order(sc) == ["part", "whole"]
    assert study.sector_names(sc, lat, lon).tolist() == ["part", "whole", ""]
    assert study.sector_sides(sc, lat, lon).tolist() == ["B", "A", ""]


def test_a_sector_with_countries_and_a_polygon_holds_only_those_countries_inside_it():
    box = [[45.0, 0.0], [45.0, 20.0], [55.0, 20.0], [55.0, 0.0]]
    sc = _sectors(s={"engaged_by": "A", "countries": ["DEU"], "polygon_deg": box})
    berlin, prague, hamburg_at_sea, madrid = (52.52, 13.405), (50.075, 14.437), (54.5, 7.0), (40.4, -3.7)
    lat, lon = _rad(berlin, prague, hamburg_at_sea, madrid)
    assert study.sector_names(sc, lat, lon).tolist() == ["s", "", "", ""]
    only_polygon = _sectors(s={"engaged_by": "A", "polygon_deg": box})
    assert study.sector_names(only_polygon, lat, lon).tolist() == ["s", "s", "s", ""]
    assert study.sector_names(sc, np.array([np.nan]), np.array([0.2])).tolist() == [""]


@pytest.fixture(scope="module")
def sectoral():
    return scen.load("sectoral-2010")


def _land_points(iso3, lat_range, lon_range, step=0.25):
    from shieldsim.geography import country_of

    lat, lon = np.meshgrid(np.arange(*lat_range, step), np.arange(*lon_range, step), indexing="ij")
    keep = np.isin(country_of(lat, lon), iso3)
    return lat[keep], lon[keep]


def test_sectoral_2010_gives_all_of_the_baltic_states_belarus_and_finland_to_russia(sectoral):
    lat, lon = _land_points(["EST", "LVA", "LTU", "BLR", "FIN"], (51.0, 70.5), (20.0, 33.0))
    assert lat.size > 1000
    assert set(study.sector_sides(sectoral, np.radians(lat), np.radians(lon))) == {"Russia"}


def test_sectoral_2010_splits_poland_and_norway_along_the_documented_lines(sectoral):
    lat, lon = _land_points(["POL"], (49.0, 55.0), (14.0, 24.5))
    sides = study.sector_sides(sectoral, np.radians(lat), np.radians(lon))
    # north-east of the straight line from the Vistula's mouth (54.35 N, 18.95 E) to Brest (52.08 N, 23.6 E)
    beyond = (lon > 18.95) & (lat > 52.08) & (
        (lat - 54.35) * (23.60 - 18.95) - (lon - 18.95) * (52.08 - 54.35) > 0)
    assert 0.1 < beyond.mean() < 0.4
    assert set(sides[beyond]) == {"Russia"} and set(sides[~beyond]) == {"NATO"}
    lat, lon = _land_points(["NOR"], (57.5, 71.5), (4.0, 31.5))
    sides = study.sector_sides(sectoral, np.radians(lat), np.radians(lon))
    assert set(sides[lat > 62.0]) == {"Russia"} and set(sides[lat < 62.0]) == {"NATO"}
    assert (lat > 62.0).sum() > (lat < 62.0).sum()  # 'most of Norway', by grid points


def test_under_sectoral_2010_only_the_responsible_side_may_engage_over_a_point(sectoral):
    from types import SimpleNamespace

    arch = study.Architecture.from_scenario(sectoral)
    sides = np.array([b.side for b in arch.batteries])
    assert {"NATO", "Russia"} <= set(sides)
    vilnius, warsaw, baltic_sea = (54.687, 25.28), (52.23, 21.012), (57.0, 19.0)
    lat, lon = _rad(vilnius, warsaw, baltic_sea)
    shape = (3, sides.size)
    engagement = SimpleNamespace(engageable=np.ones(shape, bool), first_lat=np.repeat(lat[:, None], sides.size, 1),
                                 first_lon=np.repeat(lon[:, None], sides.size, 1))
    ok = study.responsible(arch, engagement)
    assert (ok[0] == (sides == "Russia")).all()
    assert (ok[1] == (sides == "NATO")).all()
    assert ok[2].all()


def test_reach_cache_holds_at_most_its_size_and_drops_the_least_recently_used():
    cache = study.ReachCache(maxsize=2)
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # now "b" is the least recently used
    cache["c"] = 3
    assert list(cache) == ["a", "c"] and len(cache) == 2
    cache.update({"d": 4})
    assert list(cache) == ["c", "d"]
    assert study._REACH_CACHE.maxsize > 0 and isinstance(study._REACH_CACHE, study.ReachCache)


def test_deterrent_config_holds_the_study_options_and_keywords_override_it():
    cfg = study.DeterrentConfig(phases=("epaa-2018",), ship_interceptor=None)
    assert cfg.variants == study.SENSOR_VARIANTS and cfg.delays_s[0] == 0.0
    assert np.array_equal(cfg.speeds(), np.arange(3.0, 7.0 + 1e-9, 0.25))
    assert study.DeterrentConfig(speeds_kms=[4.5, 5.5]).speeds().tolist() == [4.5, 5.5]
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.phases = ()
    with pytest.raises(TypeError):
        dataclasses.replace(cfg, no_such_option=1)


def test_ship_sweep_record_is_the_json_of_its_fields_with_the_engageable_positions_last():
    s = study.ShipSweep(interceptor="SM-3 IIA", interceptor_speed_kms=4.5, timeline="cue-as-track", step_deg=2.0,
                        bases=["kozelsk"], lat_deg=[60.0, 62.0], lon_deg=[5.0, 5.0], sea_area=["norwegian-sea"] * 2,
                        bases_engageable=[1, 0], positions_engaging={"kozelsk": 1}, positions=2,
                        engageable={"kozelsk": np.array([True, False])})
    d = s.as_dict()
    assert list(d)[-1] == "engageable_by_base" and d["engageable_by_base"] == {"kozelsk": [True, False]}
    assert "engageable" not in d and d["positions"] == 2


# ------------------------------------------------------------------------ fast and exact coverage


def test_fast_coverage_equals_the_exact_reference_on_a_coarse_grid(arch, monkeypatch):
    from shieldsim import engagement

    monkeypatch.setattr(engagement, "TABLE_MIN_FLIGHTS", 1)  # tabulate even these few flights
    fast = study.footprint(arch, "tabriz", grid_deg=3.0, method="fast")
    exact = study.footprint(arch, "tabriz", grid_deg=3.0, method="exact")
    assert fast.attrs["method"] == "fast" and exact.attrs["method"] == "exact"
    assert exact.defended.sum() >= 5 and (exact.threatened & ~exact.defended).sum() >= 5
    for name in ("threatened", "defended", "shots", "engaging"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(exact, name), err_msg=name)
    np.testing.assert_array_equal(fast.kill_probability, exact.kill_probability)
    np.testing.assert_array_equal(fast.intercept_alt_km, exact.intercept_alt_km)


def test_an_unknown_coverage_method_is_refused(arch):
    with pytest.raises(ValueError, match="method must be one of fast, exact"):
        study.footprint(arch, "tabriz", grid_deg=5.0, method="approximate")


def test_a_class_differing_only_in_its_cross_sections_shares_reach_tables(arch):
    import dataclasses

    m = arch.missiles["mrbm-solid"]
    pts = scen.launch_points(arch.scenario, "tabriz")
    lat, lon = float(pts.lat[0]), float(pts.lon[0])
    study._REACH_CACHE.clear()
    table = study.reach_table(m, lat, lon, arch.models)
    seen = dataclasses.replace(m, rcs=m.rcs * 3, body_rcs=9.0)  # radars see it otherwise; it flies the same
    assert study.reach_table(seen, lat, lon, arch.models) is table and len(study._REACH_CACHE) == 1
    faster = dataclasses.replace(m, burnout_speed=m.burnout_speed * 1.02)
    assert study.flight_missile(faster) != study.flight_missile(m) == study.flight_missile(seen)



def test_architectures_with_the_same_batteries_and_networks_share_one_engagement_of_a_batch(monkeypatch):
    """Separate systems and sectors differ only in who may fire: one tracking and engagement of
    each batch serves both, and each gets the cells its own sectors allow, as when run alone."""
    from shieldsim.study import coverage_study

    coop, sect = (study.Architecture.from_scenario(scen.load(n)) for n in ("cooperation-2011", "sectoral-2010"))
    assert study.engagement_inputs(coop) == study.engagement_inputs(sect)
    assert study.engagement_inputs(coop) != study.engagement_inputs(study.Architecture.from_scenario(
        scen.load("epaa-2018")))
    _, _, batches = study.footprint_batches(coop, "tabriz", grid_deg=3.0)
    batch = max(batches, key=lambda b: b.cells.size)
    n_cells = int(batch.cells.max()) + 1
    alone = [study.run_batch([a], batch, n_cells)[0][0] for a in (coop, sect)]
    calls = []
    real = coverage_study.engage_flights
    monkeypatch.setattr(coverage_study, "engage_flights", lambda a, *x, **k: calls.append(a) or real(a, *x, **k))
    together, _ = study.run_batch([coop, sect], batch, n_cells)
    assert len(calls) == 1
    for one, shared in zip(alone, together):
        for name, value in vars(one).items():
            np.testing.assert_array_equal(value, getattr(shared, name), err_msg=name)
    assert not np.array_equal(together[0].defended, together[1].defended)  # the sectors do differ here


def test_reachable_computes_only_the_azimuths_its_targets_lie_between_and_decides_as_the_full_table(arch):
    m = arch.missiles["mrbm-liquid"]
    pts, aims = scen.launch_points(arch.scenario, "tabriz"), scen.aim_points(arch.scenario)
    lat, lon = float(pts.lat[0]), float(pts.lon[0])
    study._REACH_CACHE.clear()
    lazy = study.reachable(m, lat, lon, aims.lat, aims.lon, arch.models)
    (partial,) = study._REACH_CACHE.values()
    _, az = geodesic_inverse(np.full(aims.lat.shape, lat), np.full(aims.lon.shape, lon), aims.lat, aims.lon,
                             arch.models.earth)
    below = np.floor(np.mod(az, 2 * np.pi) / np.radians(study.AZIMUTH_STEP_DEG)).astype(int) % partial.size
    needed = np.union1d(below, (below + 1) % partial.size)
    assert np.array_equal(np.flatnonzero(np.isfinite(partial)), needed) and needed.size < partial.size / 2
    study._REACH_CACHE.clear()
    full = study.reach_table(m, lat, lon, arch.models)
    np.testing.assert_allclose(partial[needed], full[needed], rtol=1e-9)  # batch order moves the last bits only
    assert np.array_equal(study.reachable(m, lat, lon, aims.lat, aims.lon, arch.models), lazy)
    assert lazy.any() and not lazy.all()
    study._REACH_CACHE.clear()


@pytest.fixture(scope="module")
def options_batch():
    """The epaa-2018 and cooperation-2011 architectures and the flights of their largest tabriz
    batch on a 1.25-degree grid (the NATO batteries of the first are among the second's)."""
    epaa, coop = (study.Architecture.from_scenario(scen.load(n)) for n in ("epaa-2018", "cooperation-2011"))
    _, _, batches = study.footprint_batches(epaa, "tabriz", grid_deg=1.25)
    batch = max(batches, key=lambda b: b.cells.size)
    traj = study.fly(epaa, batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon,
                     unreachable="skip")
    return epaa, coop, batch, traj


def _assert_same_engagement(a, b):
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
        else:
            assert value == getattr(b, name), name


def test_shared_flights_engage_every_architecture_as_it_would_alone(options_batch):
    """The cooperation options over one batch share radar coverage and the columns of the NATO
    batteries they have in common; each engagement equals the unshared one field by field."""
    epaa, coop, _, traj = options_batch
    shared = study.SharedFlights(traj)
    for arch in (epaa, coop):
        e, t = study.engage_flights(arch, traj, shared=shared)
        alone, t_alone = study.engage_flights(arch, traj)
        _assert_same_engagement(e, alone)
        np.testing.assert_array_equal(t.track_time, t_alone.track_time)
    assert shared.reused >= len(traj) * len(epaa.batteries)  # the NATO columns, reused for coop
    assert shared.coverage.reused > 0


@pytest.mark.parametrize("changed", [40, 300])
def test_shared_flights_engage_again_only_the_flights_whose_track_changed(options_batch, changed):
    """Flights of an equal battery whose track time differs are engaged again (a few, on the whole
    batch so the arrival-table choice stays that of a whole batch; many, on their own); the
    result equals a fresh engagement."""
    from shieldsim.engagement import engage

    epaa, _, _, traj = options_batch
    assert len(traj) > 400
    t = study.battery_tracks(epaa, traj)
    shared = study.SharedFlights(traj)
    shared.engage(epaa.batteries, t.track_time, 30.0, t.intercept_window)
    later = t.track_time.copy()
    later[:changed] += 20.0
    got = shared.engage(epaa.batteries, later, 30.0, t.intercept_window)
    _assert_same_engagement(got, engage(traj, epaa.batteries, later, 30.0, t.intercept_window))
    assert not np.array_equal(got.launch_earliest[:changed], t.track_time[:changed] + 30.0)


def test_shared_flights_never_lend_a_column_to_a_battery_with_other_figures(options_batch):
    """An ensemble member draws the interceptor's burnout speed: a battery equal in name and site
    but with the drawn interceptor is engaged afresh, not read from the nominal battery's column."""
    import dataclasses

    from shieldsim.engagement import engage

    epaa, _, _, traj = options_batch
    t = study.battery_tracks(epaa, traj)
    slower = [dataclasses.replace(b, interceptor=dataclasses.replace(
        b.interceptor, burnout_speed=0.8 * b.interceptor.burnout_speed)) for b in epaa.batteries]
    shared = study.SharedFlights(traj)
    nominal = shared.engage(epaa.batteries, t.track_time, 30.0, t.intercept_window)
    drawn = shared.engage(slower, t.track_time, 30.0, t.intercept_window)
    _assert_same_engagement(drawn, engage(traj, slower, t.track_time, 30.0, t.intercept_window))
    assert not np.array_equal(drawn.engageable, nominal.engageable)
    assert shared.reused == 0
    other_ka = shared.engage(epaa.batteries, t.track_time, 60.0, t.intercept_window)
    _assert_same_engagement(other_ka, engage(traj, epaa.batteries, t.track_time, 60.0, t.intercept_window))
    assert shared.reused == 0


def test_options_sharing_a_batch_get_the_cells_they_get_alone(options_batch):
    epaa, coop, batch, _ = options_batch
    n_cells = int(batch.cells.max()) + 1
    alone = [study.run_batch([a], batch, n_cells)[0][0] for a in (epaa, coop)]
    together, _ = study.run_batch([epaa, coop], batch, n_cells)
    for one, shared in zip(alone, together):
        for name, value in vars(one).items():
            np.testing.assert_array_equal(value, getattr(shared, name), err_msg=name)


def test_reach_filled_for_many_points_at_once_decides_and_tabulates_as_point_by_point(arch):
    """`reachable_from` fills the reach tables of every launch point in one call: each table
    entry depends on its class, point and azimuth alone, so the tables and the decisions are
    exactly those of `reachable` point by point."""
    pts = [scen.launch_points(arch.scenario, n) for n in arch.scenario.launch_areas]
    lat, lon = np.concatenate([p.lat for p in pts]), np.concatenate([p.lon for p in pts])
    d = arch.scenario.defended
    tlat, tlon = (np.radians(g.ravel()) for g in np.meshgrid(np.arange(d.lat_min_deg, d.lat_max_deg, 3.0),
                                                          np.arange(d.lon_min_deg, d.lon_max_deg, 3.0)))
    m = arch.missiles["irbm"]
    study._REACH_CACHE.clear()
    together = study.reachable_from(m, lat, lon, tlat, tlon, arch.models)
    tables = dict(study._REACH_CACHE)
    study._REACH_CACHE.clear()
    alone = [study.reachable(m, float(a), float(b), tlat, tlon, arch.models) for a, b in zip(lat, lon)]
    assert tables.keys() == study._REACH_CACHE.keys() and len(tables) == len(set(zip(lat, lon)))
    for key, table in tables.items():
        np.testing.assert_array_equal(table, study._REACH_CACHE[key])
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a, b)
    assert any(a.any() for a in together) and not all(a.all() for a in together)
    study._REACH_CACHE.clear()


def test_sectors_and_responsibility_are_those_of_the_point_by_point_rule(sectoral):
    """`sector_names`, `sector_sides` and `responsible` (which match countries once per distinct
    territory, by integer indices) agree with the rule written out point by point on object
    arrays, on random points over Europe and the seas around it, NaN points included."""
    from types import SimpleNamespace

    import shapely

    from shieldsim.study.sectors import point_territory

    sc = sectoral
    arch = study.Architecture.from_scenario(sc)
    rng = np.random.default_rng(4)
    n, b = 400, len(arch.batteries)
    lat_deg, lon_deg = rng.uniform(35.0, 71.0, (n, b)), rng.uniform(-12.0, 45.0, (n, b))
    lat_deg[::17, 0] = np.nan
    iso = point_territory(lat_deg, lon_deg)
    want = np.full(lat_deg.shape, "", dtype=object)
    for sector_name in study.sector_order(sc):
        s = sc.sectors[sector_name]
        for i, j in zip(*np.nonzero(want == "")):
            if not np.isfinite(lat_deg[i, j]) or (s.countries is not None and iso[i, j] not in s.countries):
                continue
            if s.polygon_deg is not None and not shapely.contains_xy(
                    shapely.Polygon([(p[1], p[0]) for p in s.polygon_deg]), lon_deg[i, j], lat_deg[i, j]):
                continue
            want[i, j] = sector_name
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    names = study.sector_names(sc, lat, lon)
    assert names.dtype == object and names.tolist() == want.tolist() and len(set(names.ravel())) > 2
    want_sides = np.array([sc.sectors[x].engaged_by if x else "" for x in want.ravel()], dtype=object).reshape(n, b)
    assert study.sector_sides(sc, lat, lon).tolist() == want_sides.tolist()
    own = np.array([bat.side for bat in arch.batteries], dtype=object)[None, :]
    engagement = SimpleNamespace(engageable=np.ones((n, b), bool), first_lat=lat, first_lon=lon)
    np.testing.assert_array_equal(study.responsible(arch, engagement), (want_sides == "") | (want_sides == own))
