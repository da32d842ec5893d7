"""Uncertain figures (`shieldsim.uncertainty`): the range format, its validation, the ranges shipped
with the built-in scenarios and catalogues, and applying an ensemble member to a scenario."""

import pytest

from shieldsim import assumptions
from shieldsim import scenario as scen
from shieldsim import uncertainty as unc

SMALL = """
name = "ranged"
[radars.r]
lat_deg = 0.0
lon_deg = 0.0
field = "full"
max_range_km = 3000.0
reference_range_km = 1500.0
reference_rcs_m2 = 1.0
revisit_s = 1.0
hits_for_track = 3
fire_control = true
source = "test"
{extra}
"""


def _load(extra: str) -> scen.Scenario:
    return scen.loads(SMALL.format(extra=extra))


def test_a_range_next_to_a_figure_is_read_with_its_source_and_distribution():
    sc = _load('reference_range_km_range = [1000.0, 2000]\nreference_range_km_range_source = "spread of X and Y"\n'
               'reference_range_km_range_dist = "triangular"')
    rng = sc.radars["r"].ranges["reference_range_km"]
    assert (rng.low, rng.high, rng.dist, rng.source) == (1000.0, 2000.0, "triangular", "spread of X and Y")


@pytest.mark.parametrize("extra, message", [
    ('reference_range_km_range = [1000.0, 2000.0]', "needs its public source"),
    ('reference_range_km_range = [2000.0, 1000.0]\nreference_range_km_range_source = "s"', "above high"),
    ('reference_range_km_range = [-5.0, 2000.0]\nreference_range_km_range_source = "s"', "low = -5.0"),
    ('hits_for_track_range = [1.0, 3.0]\nhits_for_track_range_source = "s"', "not a numeric figure"),
    ('reference_range_km_range = [1000.0, 2000.0]\nreference_range_km_range_source = "s"\n'
     'reference_range_km_range_dist = "normal"', "uniform"),
])
def test_a_bad_range_is_refused_naming_the_field_and_what_is_allowed(extra, message):
    with pytest.raises(scen.ScenarioError) as err:
        _load(extra)
    assert "radars.r" in str(err.value) and message in str(err.value)


def test_a_scenario_with_ranges_survives_dump_and_load():
    sc = scen.load("cooperation-2011")
    assert scen.loads(scen.dump(sc)) == sc


def test_every_builtin_range_holds_its_nominal_value_and_has_a_source():
    for name in scen.builtin_names():
        for fig in unc.figures(scen.load(name)):
            assert len(fig.source.strip()) > 20, fig.path
            lows = fig.low if isinstance(fig.low, tuple) else (fig.low,)
            highs = fig.high if isinstance(fig.high, tuple) else (fig.high,)
            noms = fig.nominal if isinstance(fig.nominal, tuple) else (fig.nominal,)
            assert all(lo <= n <= hi for lo, n, hi in zip(lows, noms, highs)), fig.path


def test_the_default_scenario_has_ranges_for_every_figure_the_issue_names():
    paths = [f.path for f in unc.figures(scen.load("epaa-2018"))]
    fields = {p.rsplit(".", 1)[1] for p in paths}
    assert {"burnout_speed_kms", "reference_range_km", "rcs_m2", "latency_s", "launch_delay_s",
            "kill_assessment_s", "sspk", "stage_burn_times_s"} <= fields
    assert "launch_detectors.sbirs.latency_s" in paths and "networks.nato.latency_s" in paths
    assert "interceptor_types.sm3-iia.burnout_speed_kms" in paths
    assert "missile_types.nodong.burnout_speed_kms" in paths


def test_catalogue_ranges_are_validated_with_their_sources():
    rows = {"x": {"sspk": 0.7, "sspk_range": [0.2, 0.9], "source": {"sspk": "a", "sspk_range": "spread"}},
            "y": {"sspk": 0.7, "sspk_range": [0.8, 0.9], "source": {"sspk_range": "s"}},
            "z": {"sspk": 0.7, "sspk_range": [0.2, 0.9], "source": {}}}
    with pytest.raises(unc.UncertaintyError) as err:
        unc.catalogue_ranges("interceptor", rows)
    text = str(err.value)
    assert "interceptor.y.sspk_range" in text and "outside its range" in text
    assert "interceptor.z.sspk_range" in text and "source" in text
    assert "interceptor.x" not in text
    assert unc.catalogue_ranges("interceptor", {"x": rows["x"]})["x"]["sspk"].high == 0.9


def test_quantiles_map_through_uniform_and_triangular_laws():
    f = unc.Figure("a.b.c_s", 30.0, 10.0, 60.0)
    assert (f.value(0.0), f.value(0.5), f.value(1.0)) == (10.0, 35.0, 60.0)
    t = unc.Figure("a.b.c_s", 20.0, 10.0, 60.0, dist="triangular")
    assert t.value(0.2) == pytest.approx(20.0)  # the mode holds (20-10)/(60-10) = 0.2 of the mass below it
    assert t.value(0.0) == 10.0 and t.value(1.0) == 60.0
    lst = unc.Figure("a.b.stage_burn_times_s", (55.0, 45.0), (45.0, 36.0), (65.0, 54.0))
    assert lst.value(0.5) == [55.0, 45.0]
    with pytest.raises(ValueError):
        f.value(1.5)


def test_a_member_changes_catalogue_interceptors_and_threat_classes_of_the_scenario():
    sc = scen.load("epaa-2018")
    figs = unc.figures(sc)
    values = unc.member_overrides(figs, [1.0] * len(figs))
    applied = assumptions.apply(sc, unc.member_profile(values))
    missiles = scen.missiles(applied)
    assert missiles["mrbm-liquid"].burnout_speed == pytest.approx(3400.0)
    assert missiles["mrbm-solid"].stage_burn_times == (65.0, 54.0)
    assert missiles["mrbm-liquid"].rcs == pytest.approx(0.3)
    icp = {b.name: b.interceptor for b in scen.batteries(applied)}
    assert icp["redzikowo"].burnout_speed == pytest.approx(5500.0)
    assert applied.engagement.kill_assessment_s == 60.0
    assert applied.radars["kurecik-tpy2"].reference_range_km == 2000.0


def test_a_users_profile_wins_over_the_members_values():
    sc = scen.load("epaa-2018")
    figs = unc.figures(sc)
    independent = assumptions.load_profile("independent")
    values = unc.member_overrides(figs, [1.0] * len(figs))
    applied = assumptions.apply(sc, unc.member_profile(values, independent))
    assert scen.missiles(applied)["mrbm-liquid"].rcs == pytest.approx(0.01)
    held = unc.held_by_profile(figs, independent, sc)
    assert {"missile_types.nodong.rcs_m2", "interceptor_types.sm3-ib.sspk"} <= set(held)
    assert "interceptor_types.sm3-iia.sspk" not in held


def test_missile_types_overrides_reach_every_threat_of_that_class_only():
    sc = scen.load("epaa-2018")
    prof = assumptions.Profile(name="p", override=[{"path": "missile_types.nodong.burnout_speed_kms", "value": 3.0,
                                                    "source": "test"}])
    applied = assumptions.apply(sc, prof)
    m = scen.missiles(applied)
    assert m["mrbm-liquid"].burnout_speed == 3000.0
    assert m["mrbm-solid"].burnout_speed == scen.missiles(sc)["mrbm-solid"].burnout_speed


def test_a_catalogue_threat_with_the_wrong_number_of_burn_times_is_refused():
    sc = scen.load("epaa-2018")
    prof = assumptions.Profile(name="p", override=[{"path": "threats.mrbm-solid.stage_burn_times_s", "value": [50.0],
                                                    "source": "test"}])
    with pytest.raises(scen.ScenarioError, match="one burn time per stage"):
        scen.missiles(assumptions.apply(sc, prof))


def test_the_missile_body_cross_section_is_an_uncertain_figure_of_1_to_10_m2_stated_as_an_assumption():
    body = {f.path: f for f in unc.figures(scen.load("epaa-2018")) if f.field == "body_rcs_m2"}
    assert set(body) == {"missile_types.nodong.body_rcs_m2", "missile_types.sejjil.body_rcs_m2",
                         "missile_types.irbm.body_rcs_m2"}
    for f in body.values():
        assert (f.nominal, f.low, f.high) == (1.0, 1.0, 10.0)
        assert "assumption" in f.source and "not verified" in f.source


def test_a_member_drawing_the_body_cross_section_changes_what_the_radars_see_before_separation_only():
    sc = scen.load("epaa-2018")
    applied = assumptions.apply(sc, unc.member_profile({"missile_types.irbm.body_rcs_m2": 7.5}))
    before, after = scen.missiles(sc)["irbm"], scen.missiles(applied)["irbm"]
    assert (before.body_rcs, after.body_rcs) == (1.0, 7.5)
    assert after.rcs == before.rcs and after.burnout_speed == before.burnout_speed
    assert scen.missiles(applied)["mrbm-liquid"] == scen.missiles(sc)["mrbm-liquid"]
