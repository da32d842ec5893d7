"""Scenario files: built-ins validate, round-trip and are sourced; the loader reports every
problem as a ScenarioError and never raises anything else; CLI exit codes."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldsim import scenario as S
from shieldsim.cli import main

BUILTINS = S.builtin_names()

MINIMAL = """
name = "mini"
[radars.r1]
lat_deg = 45.0
lon_deg = 10.0
field = "full"
max_range_km = 1000.0
reference_range_km = 500.0
reference_rcs_m2 = 1.0
revisit_s = 1.0
hits_for_track = 3
fire_control = true
source = "test"
[networks.net]
members = ["r1"]
latency_s = 2.0
source = "test"
[interceptors.int1]
burn_time_s = 20.0
burnout_speed_kms = 3.0
burnout_alt_km = 30.0
min_intercept_alt_km = 70.0
max_intercept_alt_km = 500.0
max_range_km = 1000.0
launch_delay_s = 10.0
sspk = 0.8
source = "test"
[batteries.b1]
lat_deg = 44.0
lon_deg = 24.0
interceptor = "int1"
inventory = 24
network = "net"
source = "test"
[threats.t1]
stage_burn_times_s = [60.0, 50.0]
burnout_speed_kms = 4.0
beta_kgm2 = 5000.0
rcs_m2 = 0.05
published_range_km = 2000.0
source = "test"
[launch_areas.a1]
polygon_deg = [[38.0, 45.0], [38.0, 48.0], [36.0, 48.0], [36.0, 45.0]]
sampling = "grid"
spacing_km = 50.0
threats = ["t1"]
source = "test"
"""


def _load_text(text, tmp_path, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return S.load(path)


def _run(capsys, *args):
    with pytest.raises(SystemExit) as ex:
        main(list(args))
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


# ---------------------------------------------------------------------------------------------
# built-ins


def test_the_issue_lists_all_built_ins_and_the_default_is_phase_3():
    assert {"epaa-2011", "epaa-2015", "epaa-2018", "epaa-phase4", "cooperation-2011", "sectoral-2010",
            "deterrent"} <= set(BUILTINS)
    assert S.DEFAULT == "epaa-2018"
    assert S.load().name == "epaa-2018"


@pytest.mark.parametrize("name", BUILTINS)
def test_built_in_validates_and_round_trips_through_dump(name):
    sc = S.load(name)
    again = S.loads(S.dump(sc))
    assert again == sc
    assert S.dump(again) == S.dump(sc)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_numeric_figure_in_a_built_in_has_a_source(name):
    raw = tomllib.loads(S.builtin_text(name))
    resolved = tomllib.loads(S.dump(S.load(name)))
    for data in (raw, resolved):
        figures = S.sourced_figures(data)
        missing = [path for path, _, source in figures if not source.strip()]
        assert not missing, f"{name}: figures without a source: {missing}"
    assert S.sourced_figures(resolved), "a built-in without figures proves nothing"


def test_sourced_figures_flags_a_figure_without_source():
    data = {"radars": {"a": {"lat_deg": 1.0, "source": "x"}, "b": {"lat_deg": 2.0}}}
    found = {path: source for path, _, source in S.sourced_figures(data)}
    assert found == {"radars.a.lat_deg": "x", "radars.b.lat_deg": ""}


def test_starting_positions_of_the_issue_are_kept_within_2_km():
    from shieldsim.earth import great_circle_distance

    issue = {("epaa-2015", "batteries", "deveselu"): (44.08, 24.40),
             ("epaa-2018", "batteries", "redzikowo"): (54.48, 17.11),
             ("epaa-2011", "radars", "kurecik-tpy2"): (38.35, 37.79),
             ("cooperation-2011", "radars", "armavir"): (44.93, 40.98),
             ("cooperation-2011", "radars", "gabala"): (40.87, 47.79)}
    for (name, section, key), (lat, lon) in issue.items():
        site = getattr(S.load(name), section)[key]
        d = great_circle_distance(math.radians(lat), math.radians(lon), math.radians(site.lat_deg),
                                  math.radians(site.lon_deg))
        assert d < 2_000.0, (key, d)


def test_each_epaa_phase_adds_what_the_issue_says():
    p1, p2, p3, p4 = (S.load(n) for n in ("epaa-2011", "epaa-2015", "epaa-2018", "epaa-phase4"))
    assert p1.batteries["aegis-east-med"].platform == "ship"
    assert p1.batteries["aegis-east-med"].interceptor == "sm3-ia"
    assert p1.radars["kurecik-tpy2"].field == "fixed"
    assert "deveselu" not in p1.batteries and p2.batteries["deveselu"].interceptor == "sm3-ib"
    assert "redzikowo" not in p2.batteries and p3.batteries["redzikowo"].interceptor == "sm3-iia"
    assert p4.batteries["redzikowo"].interceptor == "sm3-iib"
    assert "notional" in p4.batteries["redzikowo"].source.lower()


def test_cooperation_shares_armavir_and_gabala_and_sectoral_adds_sectors():
    coop = S.load("cooperation-2011")
    members = S.network_members(coop)
    assert {"armavir", "gabala"} <= set(members["nato"])
    assert not coop.sectors
    assert all(i.notional for i in coop.interceptors.values())
    sect = S.load("sectoral-2010")
    assert {s.engaged_by for s in sect.sectors.values()} == {"NATO", "Russia"}
    assert "RUS" in sect.sectors["russia"].countries and "POL" in sect.sectors["nato"].countries


def test_deterrent_launches_from_the_ten_named_bases_at_north_america():
    sc = S.load("deterrent")
    ssbn = {"barents-sea", "norwegian-sea"}  # SLBM patrol areas (issue 15)
    names = {p.name.split(" ")[0] for n, a in sc.launch_areas.items() if n not in ssbn for p in a.points}
    assert names == {"Kozelsk", "Tatishchevo", "Teykovo", "Yoshkar-Ola", "Vypolzovo", "Dombarovsky",
                     "Novosibirsk", "Barnaul", "Uzhur", "Irkutsk"}
    assert ssbn <= set(sc.launch_areas)
    assert {sc.threats[c].missile for n in ssbn for c in sc.launch_areas[n].threats} == {"sineva", "bulava"}
    pts = S.aim_points(sc)
    lat, lon = np.degrees(pts.lat), np.degrees(pts.lon)
    assert len(pts.names) >= 10
    assert np.all((lat > 25) & (lat < 60) & (lon > -130) & (lon < -60))
    assert all(a.owner == "Russia" for a in sc.launch_areas.values())


# ---------------------------------------------------------------------------------------------
# extends, remove, errors


def test_extends_merges_tables_and_replaces_arrays(tmp_path):
    text = """
extends = "epaa-2018"
name = "mine"
[batteries.redzikowo]
inventory = 12
[networks.nato-sensors]
members = ["spy1-redzikowo", "spy1-deveselu", "spy1-east-med", "spy1-north-sea"]
"""
    sc = _load_text(text, tmp_path)
    base = S.load("epaa-2018")
    assert sc.batteries["redzikowo"].inventory == 12
    assert sc.batteries["redzikowo"].interceptor == base.batteries["redzikowo"].interceptor  # merged
    assert sc.batteries["redzikowo"].engage_on == base.batteries["redzikowo"].engage_on  # merged
    # replaced, not appended (the batteries' own radars must stay in their network)
    assert sc.networks["nato-sensors"].members == ["spy1-redzikowo", "spy1-deveselu", "spy1-east-med", "spy1-north-sea"]
    assert sc.based_on[0] == "epaa-2018"
    assert sc.name == "mine"


def test_remove_drops_entries_and_a_dangling_reference_is_reported(tmp_path):
    sc = _load_text('extends = "epaa-2018"\nremove = ["batteries.redzikowo"]\n', tmp_path)
    assert "redzikowo" not in sc.batteries
    with pytest.raises(S.ScenarioError) as ex:
        _load_text('extends = "epaa-2018"\nremove = ["threats.irbm"]\n', tmp_path)
    assert any(i.path.startswith("launch_areas.") and i.value == "irbm" for i in ex.value.issues)
    with pytest.raises(S.ScenarioError, match="remove"):
        _load_text('extends = "epaa-2018"\nremove = ["batteries.nowhere"]\n', tmp_path)


def test_circular_extends_is_an_error_not_a_recursion(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(S.ScenarioError, match="circular"):
        S.load(tmp_path / "a.toml")


@pytest.mark.parametrize("target", ["", "/", ".", "no-such-file.toml", "x" * 5000, "/dev/null", "a\\u0000b"])
def test_bad_extends_targets_are_reported_on_extends(target, tmp_path):
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(f'extends = "{target}"\n', tmp_path)
    (issue,) = ex.value.issues
    assert issue.path == "extends" and ("allowed" in issue.allowed or "cannot read" in issue.allowed)


def test_all_errors_are_reported_at_once_with_path_value_and_allowed(tmp_path):
    text = MINIMAL.replace("lat_deg = 45.0", "lat_deg = 123.0").replace('field = "full"', 'field = "round"')
    text = text.replace("inventory = 24", "inventory = 2.5").replace("sspk = 0.8", "spk = 0.8")
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(text, tmp_path)
    by_path = {i.path: i for i in ex.value.issues}
    assert by_path["radars.r1.lat_deg"].value == 123.0 and "90" in by_path["radars.r1.lat_deg"].allowed
    assert by_path["radars.r1.field"].value == "round" and "'fixed'" in by_path["radars.r1.field"].allowed
    assert by_path["batteries.b1.inventory"].value == 2.5
    assert "unknown key" in by_path["interceptors.int1.spk"].allowed
    assert "did you mean 'sspk'" in by_path["interceptors.int1.spk"].allowed
    assert by_path["interceptors.int1.sspk"].allowed == "required key is missing"
    message = str(ex.value)
    assert "radars.r1.lat_deg = 123.0" in message and message.count("\n") == len(ex.value.issues)


def test_references_are_checked(tmp_path):
    text = (MINIMAL.replace('network = "net"', 'network = "nett"').replace('members = ["r1"]', 'members = ["r1", "r9"]')
            .replace('threats = ["t1"]', 'threats = ["t2"]')
            + '[sectors.s]\nengaged_by = "Martians"\ncountries = ["FRA"]\n')
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(text, tmp_path)
    paths = {i.path for i in ex.value.issues}
    assert paths == {"batteries.b1.network", "networks.net.members[1]", "launch_areas.a1.threats[0]",
                     "sectors.s.engaged_by"}


def test_built_ins_state_the_year_they_stand_for_with_a_source():
    years = {n: S.load(n).year for n in BUILTINS}
    assert years == {"epaa-2011": 2011, "epaa-2015": 2015, "epaa-2018": 2018, "epaa-phase4": 2020,
                     "cooperation-2011": 2011, "sectoral-2010": 2010, "deterrent": 2020, "homeland": 2020}
    assert "cancelled" in S.load("epaa-phase4").year_source
    assert all(S.load(n).year_source.strip() for n in BUILTINS)


@pytest.mark.parametrize("value", ["1948", "2101", "2018.0", "true", '"2018"'])
def test_year_outside_1949_2100_or_not_an_integer_is_named(value, tmp_path):
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(MINIMAL.replace('name = "mini"', f'name = "mini"\nyear = {value}'), tmp_path)
    assert [i.path for i in ex.value.issues] == ["year"]


def test_year_is_optional_and_its_source_is_required_in_the_source_check(tmp_path):
    assert _load_text(MINIMAL, tmp_path).year is None
    sc = _load_text(MINIMAL.replace('name = "mini"', 'name = "mini"\nyear = 2012'), tmp_path)
    assert sc.year == 2012 and S.unsourced_tables(sc) == ["year"]
    sourced = S.sourced_figures({"year": 2012, "year_source": "test", "radars": {"a": {"lat_deg": 1.0}}})
    assert sourced == [("year", 2012, "test"), ("radars.a.lat_deg", 1.0, "")]


def test_unknown_catalogue_missile_is_named_with_the_allowed_classes(tmp_path):
    pytest.importorskip("shieldsim.missile")
    text = MINIMAL + '[threats.t2]\nmissile = "no-such-missile"\n'
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(text, tmp_path)
    (issue,) = ex.value.issues
    assert issue.path == "threats.t2.missile" and "allowed:" in issue.allowed


def test_model_level_rules_are_reported_on_their_object(tmp_path):
    text = MINIMAL.replace('field = "full"', 'field = "fixed"').replace('sampling = "grid"', 'sampling = "random"')
    with pytest.raises(S.ScenarioError) as ex:
        _load_text(text, tmp_path)
    by_path = {i.path: i.allowed for i in ex.value.issues}
    assert "boresight_deg" in by_path["radars.r1"]
    assert "spacing_km is only for sampling = 'grid'" in by_path["launch_areas.a1"] or \
        "needs count" in by_path["launch_areas.a1"]


def test_non_utf8_and_truncated_files_give_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(S.ScenarioError, match="not UTF-8"):
        S.load(bad)
    text = S.builtin_text("epaa-2011")
    cut = text[: text.index("[radars.spy1-east-med]") + 12]
    bad.write_text(cut)
    with pytest.raises(S.ScenarioError, match="not valid TOML"):
        S.load(bad)


# ---------------------------------------------------------------------------------------------
# converters


def test_radar_kwargs_convert_human_units_to_si():
    sc = S.load("epaa-2011")
    kw = {k["name"]: k for k in S.radar_kwargs(sc)}["kurecik-tpy2"]
    r = sc.radars["kurecik-tpy2"]
    assert kw["lat"] == pytest.approx(math.radians(r.lat_deg))
    assert kw["boresight"] == pytest.approx(math.radians(95.0))
    assert kw["reference_range"] == r.reference_range_km * 1e3
    assert kw["site_altitude"] == 2085.0 and kw["antenna_height"] == r.antenna_height_m
    full = {k["name"]: k for k in S.radar_kwargs(sc)}["spy1-east-med"]
    assert full["half_width"] == pytest.approx(math.pi) and full["platform"] == "ship"
    assert kw["refraction"] == "atmosphere" and S.refraction_record(sc)["kurecik-tpy2"] == "atmosphere"


def test_radar_refraction_model_is_validated_and_recorded(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('extends = "epaa-2011"\n[radars.kurecik-tpy2]\nrefraction = "4/3-earth"\nrefraction_k = 1.25\n')
    assert S.refraction_record(S.load(path))["kurecik-tpy2"] == "4/3-earth (k=1.25)"
    path.write_text('extends = "epaa-2011"\n[radars.kurecik-tpy2]\nrefraction = "flat"\n')
    with pytest.raises(S.ScenarioError, match="refraction"):
        S.load(path)


def test_converters_build_the_physics_objects():
    pytest.importorskip("shieldsim.sensors")
    sc = S.load("cooperation-2011")
    radars = S.radars(sc)
    assert [r.name for r in radars] == list(sc.radars)
    nets = {n.name: n for n in S.networks(sc)}
    assert set(nets["nato"].home) == set(S.network_members(sc)["nato-sensors"])
    assert nets["nato"].latency == 15.0
    assert S.models(sc).as_dict() == {"earth": "wgs84", "rotation": True, "drag": False}


def test_missiles_come_from_the_catalogue_with_overrides(tmp_path):
    missile = pytest.importorskip("shieldsim.missile")
    text = MINIMAL + '[threats.t2]\nmissile = "sejjil"\nrcs_m2 = 0.5\nsource = "test"\n'
    sc = _load_text(text, tmp_path)
    out = S.missiles(sc)
    assert out["t2"].rcs == 0.5
    assert out["t2"].burnout_speed == missile.catalogue()["sejjil"].burnout_speed
    assert out["t1"].burnout_speed == 4000.0 and out["t1"].published_range == 2_000_000.0


def test_inline_interceptor_kwargs_are_si():
    sc = S.loads(MINIMAL)
    kw = S.interceptor_kwargs("int1", sc.interceptors["int1"])
    assert kw["burnout_speed"] == 3000.0 and kw["max_intercept_alt"] == 500_000.0
    assert set(kw["sources"]) >= {"burn_time", "sspk"}
    bk = S.battery_kwargs(sc)[0]
    assert bk["network"] == "net" and bk["lat"] == pytest.approx(math.radians(44.0))


def test_grid_sampling_fills_the_polygon_at_the_spacing():
    sc = S.loads(MINIMAL)
    pts = S.launch_points(sc, "a1")
    lat, lon = np.degrees(pts.lat), np.degrees(pts.lon)
    assert np.all((lat >= 36) & (lat <= 38) & (lon >= 45) & (lon <= 48))
    # 2 x 3 degree box at 50 km spacing: ~(222/50+1) x (264/50+1) points
    assert 25 <= lat.size <= 45
    assert len(pts.names) == lat.size


def test_random_sampling_is_seeded_and_stays_inside(tmp_path):
    text = MINIMAL.replace('sampling = "grid"\nspacing_km = 50.0', 'sampling = "random"\ncount = 200\nseed = 7')
    sc = S.loads(text)
    a, b = S.launch_points(sc, "a1"), S.launch_points(sc, "a1")
    assert a.lat.size == 200 and np.array_equal(a.lat, b.lat)
    other = S.loads(text.replace("seed = 7", "seed = 8"))
    assert not np.array_equal(S.launch_points(other, "a1").lat, a.lat)
    assert np.all(np.degrees(a.lat) <= 38) and np.all(np.degrees(a.lon) >= 45)


def test_points_and_centroid_sampling():
    sc = S.load("epaa-2018")
    pts = S.launch_points(sc, "central-iran")
    assert pts.names == ["Qom", "Semnan"]
    sc2 = S.loads(MINIMAL.replace('sampling = "grid"\nspacing_km = 50.0', 'sampling = "centroid"'))
    c = S.launch_points(sc2, "a1")
    assert np.degrees(c.lat[0]) == pytest.approx(37.0) and np.degrees(c.lon[0]) == pytest.approx(46.5)
    with pytest.raises(S.ScenarioError):
        S.launch_points(sc, "atlantis")


def test_a_polygon_without_area_is_rejected():
    flat = MINIMAL.replace("[[38.0, 45.0], [38.0, 48.0], [36.0, 48.0], [36.0, 45.0]]", "[[38.0, 45.0], [37.0, 46.0], [36.0, 47.0]]")
    with pytest.raises(S.ScenarioError) as ex:
        S.loads(flat.replace('sampling = "grid"\nspacing_km = 50.0', 'sampling = "random"\ncount = 5'))
    assert [i.path for i in ex.value.issues] == ["launch_areas.a1"] and "no area" in ex.value.issues[0].allowed


def test_default_defended_grid_is_europe_at_half_a_degree():
    from shieldsim.coverage import grid_centres

    d = S.load().defended
    lat, lon = grid_centres(d.lat_min_deg, d.lat_max_deg, d.lon_min_deg, d.lon_max_deg, d.grid_deg)
    assert (lat[0], lat[-1]) == (34.25, 71.75) and (lon[0], lon[-1]) == (-24.75, 44.75)
    assert lat.size == 76 and lon.size == 140


# ---------------------------------------------------------------------------------------------
# fuzzing: always a ScenarioError or a valid Scenario


def _outcome(text_or_bytes):
    try:
        return S.loads(text_or_bytes)
    except S.ScenarioError as err:
        assert err.issues and str(err)
        return err


KEYS = ["name", "radars", "batteries", "threats", "launch_areas", "networks", "models", "defended", "sectors",
        "lat_deg", "lon_deg", "field", "members", "latency_s", "points", "polygon_deg", "sampling", "extends",
        "remove", "source", "interceptor", "network", "inventory", "missile", "r1", "b1", "x"]
scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 10.0**300, float("nan"), 0.0, 90.0, 91.0]),
    st.text(max_size=8), st.booleans(), st.sampled_from(["fixed", "full", "epaa-2018", "grid", "nato"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(documents)
def test_fuzz_random_documents_never_raise_anything_else(doc):
    _outcome(tomli_w.dumps(doc))


BASE = tomllib.loads(S.dump(S.load("epaa-2018")))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(BASE) if p]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_fuzz_mutated_built_in_never_raises_anything_else(mutations):
    import copy

    doc = copy.deepcopy(BASE)
    for path, value in mutations:
        node = doc
        try:
            for p in path[:-1]:
                node = node[p]
            if isinstance(node, dict) and not isinstance(path[-1], str):
                continue  # an earlier mutation turned a list into a table: TOML keys are strings
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    result = _outcome(tomli_w.dumps(doc))
    if isinstance(result, S.Scenario):  # a valid scenario must also convert
        S.radar_kwargs(result)
        S.network_members(result)
        for area in result.launch_areas:
            S.launch_points(result, area)


TEXT = S.dump(S.load("sectoral-2010")).encode("utf-8")


@FUZZ
@given(st.integers(min_value=0, max_value=len(TEXT)), st.binary(max_size=6), st.booleans())
def test_fuzz_truncated_and_corrupted_bytes_never_raise_anything_else(cut, junk, insert):
    data = TEXT[:cut] + junk + TEXT[cut:] if insert else TEXT[:cut] + junk
    result = _outcome(data)
    if isinstance(result, S.Scenario) and not junk and cut == len(TEXT):
        assert result == S.load("sectoral-2010")


@pytest.mark.parametrize("depth", [10, 500, 5000])
def test_deeply_nested_documents_are_a_scenario_error(depth):
    for text in ("x = " + "[" * depth + "]" * depth,
                 'extends = "epaa-2011"\nradars = ' + "{a = " * depth + "1" + "}" * depth,
                 "huge = " + "9" * 5000):
        assert isinstance(_outcome(text), S.ScenarioError)


def test_fuzz_targets_include_nan_huge_and_wrong_types():
    for value in (float("nan"), float("inf"), 10**30, 2**64, "45", True, [1.0], {"a": 1}):
        doc = tomllib.loads(S.dump(S.load("epaa-2011")))
        doc["radars"]["kurecik-tpy2"]["lat_deg"] = value
        result = _outcome(tomli_w.dumps(doc))
        assert isinstance(result, S.ScenarioError)
        assert [i.path for i in result.issues] == ["radars.kurecik-tpy2.lat_deg"]


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_validate_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    code, out, _ = _run(capsys, "validate", str(good))
    assert code == 0 and "valid scenario 'mini'" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace("lat_deg = 45.0", "lat_deg = 123.0").replace("sspk", "spk"))
    code, out, err = _run(capsys, "validate", str(bad))
    assert code == 2 and "radars.r1.lat_deg = 123.0" in err and "interceptors.int1.spk" in err
    assert "Traceback" not in err
    bad.write_bytes(b"\xff\xfe[radars")
    code, _, err = _run(capsys, "validate", str(bad))
    assert code == 2 and "UTF-8" in err
    code, _, err = _run(capsys, "validate", str(tmp_path / "missing.toml"))
    assert code == 2 and "no such file" in err


def test_cli_validate_json_lists_errors(tmp_path, capsys):
    import json

    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace("lat_deg = 45.0", "lat_deg = 123.0"))
    code, out, _ = _run(capsys, "validate", str(bad), "--json")
    doc = json.loads(out)
    assert code == 2 and doc["valid"] is False and doc["errors"][0]["path"] == "radars.r1.lat_deg"
    assert "version" in doc and "models" in doc


def test_cli_scenarios_lists_each_built_in_on_one_line(capsys):
    code, out, _ = _run(capsys, "scenarios")
    lines = [line for line in out.splitlines() if line.strip()]
    assert code == 0 and len(lines) == len(BUILTINS)
    for name, line in zip(BUILTINS, lines):
        assert line[2:].startswith(name)
    assert [line for line in lines if line.startswith("*")][0].split()[1] == "epaa-2018"


@pytest.mark.parametrize("name", BUILTINS)
def test_cli_show_prints_toml_that_validates(name, tmp_path, capsys):
    code, out, _ = _run(capsys, "show", name)
    assert code == 0
    path = tmp_path / f"{name}.toml"
    path.write_text(out)
    assert S.load(path) == S.load(name).model_copy(update={"name": name})
    code, out2, err = _run(capsys, "validate", str(path))
    assert code == 0, err


def test_cli_show_raw_and_unknown(capsys):
    code, out, _ = _run(capsys, "show", "epaa-2015", "--raw")
    assert code == 0 and 'extends = "epaa-2011"' in out
    code, _, err = _run(capsys, "show", "no-such-scenario")
    assert code == 2 and "epaa-2018" in err


@pytest.mark.parametrize("name", BUILTINS)
def test_every_built_in_converts_to_physics_objects(name):
    pytest.importorskip("shieldsim.sensors")
    interceptor = pytest.importorskip("shieldsim.interceptor")
    pytest.importorskip("shieldsim.missile")
    sc = S.load(name)
    assert len(S.radars(sc)) == len(sc.radars) and len(S.launch_detectors(sc)) == len(sc.launch_detectors)
    nets = S.networks(sc)
    assert [n.name for n in nets] == list(sc.networks)
    batteries = S.batteries(sc)
    assert [b.name for b in batteries] == list(sc.batteries)
    assert len(S.battery_networks(sc)) == len(batteries)
    cat = interceptor.catalogue()
    for b, spec in zip(batteries, sc.batteries.values()):
        assert b.interceptor == (cat[spec.interceptor] if spec.interceptor in cat else
                                 interceptor.Interceptor(**S.interceptor_kwargs(spec.interceptor,
                                                                                sc.interceptors[spec.interceptor])))
        assert b.inventory == spec.inventory and b.side == spec.side
    assert set(S.missiles(sc)) == set(sc.threats)
    for area in sc.launch_areas:
        assert len(S.launch_points(sc, area).names) >= 1


@FUZZ
@given(st.text(max_size=40), st.text(max_size=40), st.floats(min_value=-90, max_value=90),
       st.integers(min_value=0, max_value=100_000))
def test_fuzz_valid_scenarios_round_trip_exactly(text, title, lat, inventory):
    sc = S.loads(MINIMAL).model_copy(deep=True)
    sc.description = text
    sc.title = title
    sc.radars["r1"].lat_deg = lat
    sc.radars["r1"].source = text + "\r\n" + title
    sc.batteries["b1"].inventory = inventory
    again = S.loads(S.dump(sc))
    assert again == sc


def test_a_sector_may_give_countries_polygon_or_both_and_a_strict_integer_priority():
    box = [[62.0, 0.0], [62.0, 35.0], [72.0, 35.0], [72.0, 0.0]]
    both = S.SectorSpec(engaged_by="Russia", countries=["NOR"], polygon_deg=box, priority=1)
    assert both.countries == ["NOR"] and both.priority == 1
    assert S.SectorSpec(engaged_by="NATO", countries=["FRA"]).priority == 0
    with pytest.raises(ValueError, match="countries, polygon_deg or both"):
        S.SectorSpec(engaged_by="NATO")
    for bad in ("1", 1.5, True, 5000):
        with pytest.raises(ValueError):
            S.SectorSpec(engaged_by="NATO", countries=["FRA"], priority=bad)


def test_sectoral_2010_draws_russias_sector_of_the_2012_map_ahead_of_the_allies():
    sect = S.load("sectoral-2010")
    russian = {n: s for n, s in sect.sectors.items() if s.engaged_by == "Russia"}
    assert set(russian) == {"russia", "russia_baltic", "russia_poland", "russia_norway", "russia_nordic"}
    assert set(sect.sectors["russia_baltic"].countries) == {"EST", "LVA", "LTU"}
    assert sect.sectors["russia_poland"].countries == ["POL"] and sect.sectors["russia_poland"].polygon_deg
    assert sect.sectors["russia_norway"].countries == ["NOR"] and sect.sectors["russia_norway"].polygon_deg
    # the NATO sector lists the Allies whole, so every Russian sector must come first
    assert {"EST", "LVA", "LTU", "POL", "NOR"} <= set(sect.sectors["nato"].countries)
    assert all(s.priority > sect.sectors["nato"].priority for s in russian.values())
    for s in russian.values():
        assert "2012" in s.source and "russianforces.org" in s.source
    for name in ("russia_poland", "russia_norway", "russia_nordic"):
        assert "APPROXIMATE" in sect.sectors[name].source


def test_sectoral_nato_sector_holds_the_shipped_membership_of_its_year():
    from shieldsim import geography

    sc = S.load("sectoral-2010")
    members = {m.iso3 for m in geography.nato_members() if m.joined.year <= sc.year}
    assert set(sc.sectors["nato"].countries) == (members | geography.nato_europe_areas(sc.year))


# ---------------------------------------------------------------------------------------------
# what validates is what the other commands can use


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_not_a_scenario(tmp_path, capsys, content):
    path = tmp_path / "empty.toml"
    path.write_text(content)
    with pytest.raises(S.ScenarioError, match="empty"):
        S.load(path)
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2 and "empty" in err


def test_a_name_with_control_characters_is_refused_so_show_and_validate_never_print_them(tmp_path, capsys):
    path = tmp_path / "ctrl.toml"
    path.write_text('name = "evil\\u001b[31mred\\u0007"\nextends = "epaa-2011"\n')
    code, out, err = _run(capsys, "validate", str(path))
    assert code == 2 and "control character U+001B" in err and "\x1b" not in out + err
    code, out, err = _run(capsys, "show", str(path))
    assert code == 2 and "\x1b" not in out + err


def test_show_output_validates_whatever_the_parent_file_is_called(tmp_path, capsys):
    parent = tmp_path / "odd\nparent.toml"  # the parents' paths go into the header comment
    parent.write_text('name = "parent"\nextends = "epaa-2011"\n')
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "odd\\nparent.toml"\n')
    code, out, err = _run(capsys, "show", str(child))
    assert code == 0, err
    shown = tmp_path / "shown.toml"
    shown.write_text(out)
    code, out, err = _run(capsys, "validate", str(shown))
    assert code == 0, err


def test_every_built_in_battery_states_its_fire_control_posture_with_a_source():
    """launch_on / engage_on default to the pre-posture behaviour for user files; every built-in
    battery sets both explicitly: a battery table that (re)writes its source in a built-in file
    also sets both keys, and every resolved battery's source speaks of both."""
    import tomllib

    for name in S.builtin_names():
        raw = tomllib.loads(S.builtin_text(name))
        for bat, table in raw.get("batteries", {}).items():
            if "source" in table:
                assert {"launch_on", "engage_on"} <= set(table), f"{name}: batteries.{bat}"
        for bat, spec in S.load(name).batteries.items():
            text = " ".join(spec.source.lower().split())
            assert "launch on" in text and "engage on" in text, f"{name}: batteries.{bat}"
            assert spec.own_radars, f"{name}: batteries.{bat} names its own radars"


def test_phase_one_launches_on_remote_per_ftm15_and_engages_on_remote_per_the_public_record():
    """Every NATO battery of the built-in scenarios launches and engages on remote from phase 1
    (FTM-15; MDAA, 14 Dec 2011: 'engage outside of their respective ship sensor ranges'); the
    stricter own-SPY-1 reading is named in each source as unverified, and no scenario reads
    launch on remote as a phase 2 capability."""
    p1 = S.load("epaa-2011")
    assert p1.radars["kurecik-tpy2"].fire_control
    ship = p1.batteries["aegis-east-med"]
    assert (ship.launch_on, ship.engage_on) == ("remote", "remote")
    assert "FTM-15" in p1.description and "FTM-15" in ship.source
    assert "engage outside of their respective ship sensor ranges" in " ".join(ship.source.split())
    for name in S.builtin_names():
        assert "came with phase 2" not in S.builtin_text(name), name
        for bat, spec in S.load(name).batteries.items():
            if spec.side == "NATO":
                assert (spec.launch_on, spec.engage_on) == ("remote", "remote"), f"{name}: batteries.{bat}"
                text = " ".join(spec.source.split())
                assert "stricter" in text and "not verified" in text, f"{name}: batteries.{bat}"
