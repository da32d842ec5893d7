"""Assumption profiles: loading and validation (every override sourced, every path a schema field),
applying exactly the targeted figures, catalogue interceptor copies, value vs factor, and the record
every output carries."""

from __future__ import annotations

import pytest

from shieldsim import assumptions as A
from shieldsim import scenario as scen


def write(tmp_path, text, name="test-profile.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def profile(tmp_path, *overrides, name="test-profile"):
    """A profile file from (path, key, number) triples, key 'value' or 'factor'."""
    body = "".join(f'[[override]]\npath = "{p}"\n{k} = {v!r}\nsource = "test source {i}"\n\n'
                   for i, (p, k, v) in enumerate(overrides))
    return A.load_profile(write(tmp_path, f'title = "test"\n{body}', f"{name}.toml"))


def flat(node, prefix=""):
    """Dotted path -> leaf value of a nested dict/list (model_dump of a scenario)."""
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list) and node and isinstance(node[0], (dict, list)):
        for i, v in enumerate(node):
            out.update(flat(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = node
    return out


def changed_paths(before, after):
    a = flat(before.model_dump(mode="python", exclude={"assumptions"}))
    b = flat(after.model_dump(mode="python", exclude={"assumptions"}))
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def issues_of(excinfo):
    return [str(i) for i in excinfo.value.issues]


# ---------------------------------------------------------------------------------------------
# built-ins


def test_builtin_profiles_are_the_three_of_the_dispute():
    assert A.builtin_profiles() == ["advertised", "independent", "russian-mod"]


@pytest.mark.parametrize("name", ["advertised", "independent", "russian-mod"])
def test_every_builtin_override_has_a_public_source_and_the_profile_says_what_was_left_out(name):
    p = A.load_profile(name)
    assert p.name == name and p.origin == "built-in" and p.title
    assert "not found" in p.description  # each says which figures were searched for and left out
    for o in p.overrides:
        assert len(o.source.split()) >= 15, f"{name}: {o.path} has a thin source"
        assert "checked:" in o.source.lower() or "not verified" in o.source, f"{name}: {o.path} says nothing of checking"


@pytest.mark.parametrize("name", ["advertised", "independent", "russian-mod"])
@pytest.mark.parametrize("sc_name", ["epaa-2011", "epaa-2018", "deterrent", "cooperation-2011"])
def test_builtin_profiles_apply_to_every_builtin_phase(name, sc_name):
    sc = A.apply(scen.load(sc_name), A.load_profile(name))
    rec = A.record(sc)
    assert rec["profile"] == name and len(rec["overrides"]) == len(A.load_profile(name).overrides)


def test_advertised_moves_the_sm3_ib_kill_probability_in_epaa_2018_and_nothing_but_catalogue_copies():
    before = scen.load("epaa-2018")
    after = A.apply(before, A.load_profile("advertised"))
    assert scen.interceptors(after)["sm3-ib"].sspk == pytest.approx(22 / 27, abs=0.005)
    assert after.radars["kurecik-tpy2"].reference_range_km == 1500.0  # advertised = nominal: recorded, unchanged
    changed = {p.split(".")[0] + "." + p.split(".")[1] for p in changed_paths(before, after)}
    assert changed <= {"interceptors.sm3-ib", "batteries.aegis-east-med", "batteries.deveselu",
                       "batteries.aegis-north-sea"}


# ---------------------------------------------------------------------------------------------
# loading and validation


def test_a_profile_file_takes_its_name_from_the_file_and_records_where_it_came_from(tmp_path):
    p = profile(tmp_path, ("radars.*.revisit_s", "value", 2.0), name="my-view")
    assert p.name == "my-view" and p.origin.endswith("my-view.toml") and p.overrides[0].value == 2.0


@pytest.mark.parametrize("source", ['', '"   "'])
def test_a_profile_without_sources_fails_validation(tmp_path, source):
    text = '[[override]]\npath = "radars.*.revisit_s"\nvalue = 2.0\n' + (f"source = {source}\n" if source else "")
    with pytest.raises(A.ProfileError) as ex:
        A.load_profile(write(tmp_path, text))
    (issue,) = issues_of(ex)
    assert issue.startswith("override[0]") and "source" in issue


@pytest.mark.parametrize("path, words", [
    ("radar.*.revisit_s", ["unknown section", "radars"]),
    ("radars.*.revisit", ["not a field of radars", "revisit_s"]),
    ("radars.*.source", ["not a field of radars"]),
    ("radars.revisit_s", ["radars.NAME.FIELD"]),
    ("models.earth.x", ["models.FIELD"]),
    ("radars.a.b.revisit_s", ["radars.NAME.FIELD"]),
    ("radars.kurecik tpy2.revisit_s", ["not a name or glob"]),
    ("interceptor_types.sm9-*.burnout_speed_kms", ["no catalogue interceptor matches", "sm3-iia"]),
    ("interceptor_types.sm3-iia.burnout_speed", ["did you mean 'burnout_speed_kms'"]),
])
def test_a_path_that_is_not_a_valid_field_is_a_validation_error_naming_it(tmp_path, path, words):
    with pytest.raises(A.ProfileError) as ex:
        A.load_profile(write(tmp_path, f'[[override]]\npath = "{path}"\nvalue = 1.0\nsource = "s"\n'))
    (issue,) = issues_of(ex)
    assert issue.startswith("override[0]") and path in issue
    for w in words:
        assert w in issue


def test_paths_are_checked_against_the_schema_so_every_field_of_every_table_can_be_overridden():
    # a field added to the schema (e.g. batteries.*.launch_on) needs no change here
    for section in A.ENTRY_SECTIONS:
        model = A._section_model(section)
        for field in model.model_fields:
            if field not in ("source", "ranges"):  # ranges: the uncertainty of figures, not a figure
                assert A.parse_path(f"{section}.*.{field}").field == field
    for section in A.SINGLE_SECTIONS:
        for field in A._section_model(section).model_fields:
            if field not in ("source", "ranges"):  # ranges: the uncertainty of figures, not a figure
                assert A.parse_path(f"{section}.{field}").entry is None
    for field in scen.InterceptorSpec.model_fields:
        if field not in ("source", "ranges"):  # ranges: the uncertainty of figures, not a figure
            assert A.parse_path(f"interceptor_types.sm3-*.{field}").section == "interceptor_types"


@pytest.mark.parametrize("body, words", [
    ('path = "radars.*.revisit_s"\nvalue = "fast"', ["not allowed for revisit_s", "number"]),
    ('path = "radars.*.revisit_s"\nvalue = -1.0', ["not allowed for revisit_s", "greater than 0"]),
    ('path = "batteries.*.doctrine"\nvalue = "pray"', ["not allowed for doctrine", "shoot-look-shoot"]),
    ('path = "batteries.*.doctrine"\nfactor = 2.0', ["factor needs a numeric field"]),
    ('path = "radars.*.revisit_s"\nvalue = 2.0\nfactor = 2.0', ["exactly one of value"]),
    ('path = "radars.*.revisit_s"', ["exactly one of value"]),
    ('path = "radars.*.revisit_s"\nfactor = -2.0', ["greater than 0"]),
    ('path = "radars.*.revisit_s"\nvalue = nan', ["finite"]),
])
def test_values_and_factors_are_checked_against_the_fields_type_and_bounds(tmp_path, body, words):
    with pytest.raises(A.ProfileError) as ex:
        A.load_profile(write(tmp_path, f'[[override]]\n{body}\nsource = "s"\n'))
    text = " ".join(issues_of(ex))
    assert "override[0]" in text
    for w in words:
        assert w in text


def test_every_problem_is_listed_with_its_field_path(tmp_path):
    text = ('titel = "typo"\n'
            '[[override]]\npath = "radars.*.nope"\nvalue = 1.0\nsource = "s"\n'
            '[[override]]\npath = "radars.*.revisit_s"\nvalue = 1.0\n'
            '[[override]]\npath = "radars.*.revisit_s"\nvalue = 1.0\nsource = "s"\ncomment = "x"\n')
    with pytest.raises(A.ProfileError) as ex:
        A.load_profile(write(tmp_path, text))
    issues = issues_of(ex)
    assert len(issues) == 4
    assert any(i.startswith("titel") and "unknown key" in i for i in issues)
    assert any(i.startswith("override[0]") for i in issues)
    assert any(i.startswith("override[1]") and "source" in i for i in issues)
    assert any(i.startswith("override[2].comment") and "unknown key" in i for i in issues)


def test_a_missing_file_names_the_builtins(tmp_path):
    with pytest.raises(A.ProfileError) as ex:
        A.load_profile(tmp_path / "nope.toml")
    assert "no such file and not a built-in profile" in str(ex.value)
    assert "advertised, independent, russian-mod" in str(ex.value)


def test_non_regular_huge_binary_and_broken_files_are_refused(tmp_path):
    with pytest.raises(A.ProfileError, match="not a regular file"):
        A.load_profile(tmp_path)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (A.MAX_FILE_BYTES + 1))
    with pytest.raises(A.ProfileError, match="too large"):
        A.load_profile(huge)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"title = \"\xff\"\n")
    with pytest.raises(A.ProfileError, match="not UTF-8"):
        A.load_profile(binary)
    with pytest.raises(A.ProfileError, match="not valid TOML"):
        A.load_profile(write(tmp_path, "[[override]\npath = "))


# ---------------------------------------------------------------------------------------------
# applying


def test_apply_changes_exactly_the_targeted_figures_and_nothing_else(tmp_path):
    before = scen.load("epaa-2018")
    p = profile(tmp_path, ("radars.spy1-*.reference_range_km", "value", 400.0),
                ("networks.nato.latency_s", "value", 5.0), ("defended.grid_deg", "value", 1.0))
    after = A.apply(before, p)
    spy1 = [r for r in before.radars if r.startswith("spy1-")]
    assert len(spy1) == 4
    assert changed_paths(before, after) == ({f"radars.{r}.reference_range_km" for r in spy1}
                                            | {"networks.nato.latency_s", "defended.grid_deg"})
    assert all(after.radars[r].reference_range_km == 400.0 for r in spy1)
    assert before.radars["spy1-east-med"].reference_range_km == 500.0  # the input is not changed
    assert before.assumptions is None and after.assumptions.profile == "test-profile"


def test_factor_scales_the_scenario_value_and_value_sets_it(tmp_path):
    before = scen.load("epaa-2018")
    after = A.apply(before, profile(tmp_path, ("radars.kurecik-tpy2.reference_range_km", "factor", 0.5),
                                    ("batteries.redzikowo.inventory", "factor", 0.55),
                                    ("radars.spy1-north-sea.reference_range_km", "value", 321.0)))
    assert after.radars["kurecik-tpy2"].reference_range_km == pytest.approx(750.0)
    assert after.batteries["redzikowo"].inventory == 13 and isinstance(after.batteries["redzikowo"].inventory, int)
    assert after.radars["spy1-north-sea"].reference_range_km == 321.0


def test_a_factor_on_a_catalogue_threat_scales_the_catalogue_figure(tmp_path):
    from shieldsim.missile import catalogue

    after = A.apply(scen.load("epaa-2018"), profile(tmp_path, ("threats.mrbm-liquid.rcs_m2", "factor", 0.1)))
    assert after.threats["mrbm-liquid"].rcs_m2 == pytest.approx(catalogue()["nodong"].rcs * 0.1)
    assert scen.missiles(after)["mrbm-liquid"].rcs == pytest.approx(catalogue()["nodong"].rcs * 0.1)
    assert scen.missiles(after)["irbm"].rcs == catalogue()["irbm"].rcs


def test_later_overrides_see_the_values_of_earlier_ones(tmp_path):
    after = A.apply(scen.load("epaa-2018"), profile(tmp_path, ("radars.kurecik-tpy2.reference_range_km", "value", 1000.0),
                                                    ("radars.kurecik-tpy2.reference_range_km", "factor", 0.5)))
    assert after.radars["kurecik-tpy2"].reference_range_km == 500.0
    changes = [c for o in after.assumptions.overrides for c in o.changes]
    assert [(c.old, c.new) for c in changes] == [(1500.0, 1000.0), (1000.0, 500.0)]


def test_a_catalogue_interceptor_override_makes_an_inline_copy_for_the_batteries_that_fire_it(tmp_path):
    from shieldsim.interceptor import catalogue

    before = scen.load("epaa-2018")
    after = A.apply(before, profile(tmp_path, ("interceptor_types.sm3-iia.burnout_speed_kms", "value", 5.2)))
    assert set(after.interceptors) == {"sm3-iia"} and after.batteries["redzikowo"].interceptor == "sm3-iia"
    new, cat = scen.interceptors(after)["sm3-iia"], catalogue()["sm3-iia"]
    assert new.burnout_speed == pytest.approx(5200.0)
    for field in ("burn_time", "burnout_altitude", "min_intercept_alt", "max_intercept_alt", "max_range",
                  "launch_delay", "sspk"):
        assert getattr(new, field) == pytest.approx(getattr(cat, field)), field
    assert catalogue()["sm3-iia"].burnout_speed == 4500.0  # the catalogue itself is untouched
    assert scen.interceptors(after)["sm3-ib"] == catalogue()["sm3-ib"]  # other types stay the catalogue's
    assert changed_paths(before, after) - {"batteries.redzikowo.interceptor"} == \
        {f"interceptors.sm3-iia.{f}" for f in scen.InterceptorSpec.model_fields if f != "ranges"}
    assert "sm3-iia" in after.interceptors["sm3-iia"].source and "test-profile" in after.interceptors["sm3-iia"].source
    assert new.name == cat.name == "SM-3 Block IIA"  # the copy keeps the catalogue's display name


def test_an_override_matching_nothing_is_reported_not_silently_ignored(tmp_path):
    sc = A.apply(scen.load("epaa-2011"), profile(tmp_path, ("interceptor_types.sm3-iia.sspk", "value", 0.5),
                                                 ("batteries.nowhere-*.inventory", "value", 3)))
    warnings = A.warnings(sc)
    assert len(warnings) == 2 and "override[0] interceptor_types.sm3-iia.sspk" in warnings[0]
    assert A.record(sc)["warnings"] == warnings
    assert sc.interceptors == {}


def test_a_changed_value_that_is_invalid_in_the_scenario_fails_naming_the_override(tmp_path):
    with pytest.raises(A.ProfileError) as ex:
        A.apply(scen.load("epaa-2018"), profile(tmp_path, ("radars.kurecik-tpy2.reference_range_km", "factor", 100.0)))
    (issue,) = issues_of(ex)
    assert issue.startswith("radars.kurecik-tpy2.reference_range_km") and "override[0]" in issue
    with pytest.raises(A.ProfileError) as ex:
        A.apply(scen.load("epaa-2018"), profile(tmp_path, ("batteries.redzikowo.network", "value", "nato-sensor")))
    assert "not a network of this scenario" in str(ex.value) and "override[0]" in str(ex.value)


def test_the_record_names_the_profile_each_change_and_its_source_and_survives_dump_and_load(tmp_path):
    sc = A.apply(scen.load("epaa-2018"), profile(tmp_path, ("radars.kurecik-tpy2.reference_range_km", "value", 900.0)))
    rec = A.record(sc)
    assert rec["profile"] == "test-profile" and rec["origin"].endswith("test-profile.toml")
    (o,) = rec["overrides"]
    assert o["source"] == "test source 0" and o["value"] == 900.0 and o["factor"] is None
    assert o["changes"] == [{"target": "radars.kurecik-tpy2.reference_range_km", "from": 1500.0, "to": 900.0}]
    assert "1500 -> 900" in A.summary_text(rec) and A.summary_text(None).startswith("none")
    assert scen.loads(scen.dump(sc)) == sc
    assert A.record(scen.load("epaa-2018")) is None


def test_a_profile_is_applied_once(tmp_path):
    p = profile(tmp_path, ("radars.*.revisit_s", "value", 2.0))
    with pytest.raises(A.ProfileError, match="already has this profile applied"):
        A.apply(A.apply(scen.load("epaa-2018"), p), p)


def test_loader_applies_the_profile_to_scenarios_loaded_by_name(tmp_path):
    p = profile(tmp_path, ("radars.*-tpy2.reference_range_km", "value", 800.0))
    assert A.loader(None) is scen.load
    assert A.loader(p)("epaa-2015").radars["kurecik-tpy2"].reference_range_km == 800.0


def test_a_catalogue_interceptor_taken_directly_gets_the_profiles_figures_and_keeps_its_name(tmp_path):
    p = profile(tmp_path, ("interceptor_types.sm3-ii*.burnout_speed_kms", "factor", 1.2),
                ("radars.*.revisit_s", "value", 2.0))
    icp = A.catalogue_interceptor("sm3-iia", p)
    assert icp.burnout_speed == pytest.approx(5400.0) and icp.name == "SM-3 Block IIA"
    assert A.catalogue_interceptor("sm3-iib", None).burnout_speed == 5500.0
    with pytest.raises(KeyError):
        A.catalogue_interceptor("nope", p)


def test_the_report_names_the_profile_and_shows_each_changed_figure_with_its_override_source(tmp_path):
    from shieldsim.report import assumptions_from_scenario

    sc = A.apply(scen.load("epaa-2018"), profile(tmp_path, ("radars.kurecik-tpy2.reference_range_km", "value", 900.0)))
    rows = assumptions_from_scenario(sc)
    assert rows[0].object == "assumption profile" and rows[0].figure == "test-profile"
    (row,) = [r for r in rows if r.object == "radars.kurecik-tpy2" and "reference range" in r.figure]
    assert "900" in row.value and row.source == "[assumption profile 'test-profile'] test source 0"
    assert not any(r.object.startswith("assumptions") for r in rows)
    assert len(rows) == len(assumptions_from_scenario(scen.load("epaa-2018"))) + 1
