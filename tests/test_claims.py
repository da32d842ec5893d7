"""The claims ledger: the shipped catalogue is complete and sourced, bad catalogues are refused,
the predicate and margin are right, and verdicts of catalogue claims agree with the underlying
studies recomputed here (study functions called directly, predicate applied in the test)."""

from __future__ import annotations

import datetime
import numpy as np
import pytest

from shieldsim import claims, scenario, study

CATALOGUE = claims.load_claims()
BY_ID = {c.id: c for c in CATALOGUE}
GRID_DEG = 4.0  # coarse: the recomputation must agree at any grid, so the test uses a cheap one


def write_catalogue(tmp_path, body: str):
    path = tmp_path / "claims.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = '''
[[claim]]
id = "a-claim"
claimant = "Someone, some role"
side = "independent"
date = "2012-05-03"
statement_kind = "quotation"
statement = "Something checkable was said."
source = "Where it was read: https://example.org/page (checked)."
[claim.check]
study = "unsupported"
scenario = "epaa-2018"
reason = "shieldsim lacks the capability"
reading = "what it would take"
'''


# --- the shipped catalogue ----------------------------------------------------------------------

def test_catalogue_has_at_least_twelve_claims_with_unique_ids():
    assert len(CATALOGUE) >= 12
    assert len(BY_ID) == len(CATALOGUE)


def test_every_claim_has_claimant_date_source_and_statement():
    for c in CATALOGUE:
        assert c.claimant.strip() and c.statement.strip() and c.source.strip(), c.id
        assert c.statement_kind in ("quotation", "paraphrase"), c.id
        fmt = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}[len(c.date)]
        assert datetime.datetime.strptime(c.date, fmt).year in range(2007, 2016), c.id
        assert "http" in c.source or "NOT verified" in c.source, f"{c.id}: say where it was checked or that it was not"


def test_catalogue_has_claims_of_every_side_and_some_it_cannot_test():
    assert {c.side for c in CATALOGUE} == set(claims.SIDES)
    unsupported = [c for c in CATALOGUE if c.check.study == "unsupported"]
    assert unsupported and all(c.check.reason for c in unsupported)
    assert sum(c.check.study != "unsupported" for c in CATALOGUE) >= 12


def test_checks_name_builtin_scenarios_areas_and_threats_that_exist():
    names = scenario.builtin_names()
    for c in CATALOGUE:
        for s in c.scenarios:
            assert s in names, f"{c.id}: {s}"
        sc = scenario.load(c.check.scenario)
        if c.check.study.startswith("coverage"):
            assert c.check.area == "all" or c.check.area in sc.launch_areas, c.id
        if c.check.threat:
            assert c.check.threat in sc.threats, c.id


# --- validation ---------------------------------------------------------------------------------

def test_good_catalogue_loads(tmp_path):
    (c,) = claims.load_claims(write_catalogue(tmp_path, GOOD))
    assert (c.id, c.date, c.check.study) == ("a-claim", "2012-05-03", "unsupported")


@pytest.mark.parametrize("change, field", [
    (('source = "Where it was read: https://example.org/page (checked)."\n', ""), "source"),
    (('claimant = "Someone, some role"\n', ""), "claimant"),
    (('date = "2012-05-03"\n', ""), "date"),
    (('date = "2012-05-03"', 'date = "3 May 2012"'), "date"),
    (('statement = "Something checkable was said."\n', ""), "statement"),
    (('reason = "shieldsim lacks the capability"\n', ""), "check"),
    (('side = "independent"', 'side = "neutral"'), "side"),
])
def test_a_claim_missing_or_misstating_a_field_is_refused_naming_it(tmp_path, change, field):
    with pytest.raises(claims.ClaimsError) as err:
        claims.load_claims(write_catalogue(tmp_path, GOOD.replace(*change)))
    assert f"claim[0].{field}" in str(err.value)


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(claims.ClaimsError, match="appears twice"):
        claims.load_claims(write_catalogue(tmp_path, GOOD + GOOD))


def test_a_check_with_a_quantity_its_study_lacks_is_refused(tmp_path):
    body = GOOD.replace('study = "unsupported"', 'study = "deterrent"').replace(
        'reason = "shieldsim lacks the capability"', 'quantity = "population_defended"\nop = ">"\nthreshold = 0.0')
    with pytest.raises(claims.ClaimsError, match="allowed: fraction_engageable"):
        claims.load_claims(write_catalogue(tmp_path, body))


# --- predicate and margin -----------------------------------------------------------------------

def check(op, threshold, quantity="fraction_defended_of_threatened"):
    return claims.CheckSpec(study="coverage", scenario="epaa-2018", quantity=quantity, op=op, threshold=threshold,
                            reading="test")


@pytest.mark.parametrize("op, threshold, figure, holds, margin", [
    (">=", 0.99, 0.995, True, 0.005),
    (">=", 0.99, 0.90, False, -0.09),
    (">", 0.0, 0.0, False, 0.0),      # strict at the threshold: fails with margin 0
    (">", 0.0, 0.25, True, 0.25),
    ("<=", 0.0, 0.0, True, 0.0),
    ("<=", 0.0, 0.068, False, -0.068),
    ("<", 0.5, 0.2, True, 0.3),
])
def test_margin_is_the_signed_distance_positive_where_the_claim_holds(op, threshold, figure, holds, margin):
    r = claims.verdict(check(op, threshold), figure)
    assert r.holds is holds and r.figure == figure and r.unit == "fraction"
    assert r.margin == pytest.approx(margin)


def test_unsupported_claims_give_no_verdict_but_the_reason():
    chosen = [c for c in CATALOGUE if c.check.study == "unsupported"]
    ledger = claims.evaluate(chosen, [None])
    for c in chosen:
        r = ledger.results[c.id][claims.SCENARIO_ONLY]
        assert r.holds is None and r.figure is None and r.margin is None
        assert r.reason == " ".join(c.check.reason.split())
    assert ledger.attrs["studies"] == {"coverage": [], "deterrent": [], "flights": []}  # nothing was flown


def test_select_keeps_claims_about_a_scenario_and_names_the_allowed_ones():
    about = claims.select(CATALOGUE, ["epaa-2011"])
    assert about and all("epaa-2011" in c.scenarios for c in about)
    assert BY_ID["phase2-expands-coverage"] in about  # epaa-2011 is its baseline
    with pytest.raises(ValueError, match="allowed: .*epaa-2018"):
        claims.select(CATALOGUE, ["no-such-scenario"])


def test_flips_lists_the_profiles_that_change_the_verdict_of_the_scenario_alone():
    r = {True: claims.ClaimResult(True, 1.0, 1.0, "people", ""), False: claims.ClaimResult(False, 0.0, -1.0, "people", ""),
         None: claims.ClaimResult(None, None, None, "people", "n/a")}
    a, b = CATALOGUE[0], CATALOGUE[1]
    ledger = claims.Ledger([a, b], ["scenario", "p1", "p2"],
                           {a.id: {"scenario": r[True], "p1": r[False], "p2": r[None]},
                            b.id: {"scenario": r[False], "p1": r[False], "p2": r[False]}})
    assert ledger.flips() == {a.id: ["p1"]}
    d = ledger.as_dict()
    assert [c["id"] for c in d["claims"]] == [a.id, b.id]
    assert set(d["claims"][0]["results"]) == {"scenario", "p1", "p2"}
    assert {"id", "claimant", "date", "source", "statement", "results"} <= set(d["claims"][0])


# --- verdicts recomputed from the studies ---------------------------------------------------------

def test_ftm15_verdict_matches_the_flights_of_phase_1_recomputed():
    """FTM-15: 'phase 1 can engage an IRBM aimed at Europe' -- recomputed from the scenario's IRBM
    flights, tracked and engaged here."""
    c = BY_ID["ftm15-phase1-capability"]
    ledger = claims.evaluate([c], [None])
    arch = study.Architecture.from_scenario(scenario.load("epaa-2011"))
    traj, labels, _ = study.scenario_flights(arch, threat="irbm")
    e, _ = study.engage_flights(arch, traj)
    engaged = study.allowed_batteries(arch, e).any(axis=1)
    fraction = engaged.sum() / len(labels)
    r = ledger.results[c.id]["scenario"]
    assert r.figure == pytest.approx(fraction)
    assert r.holds is bool(fraction > 0.0)
    assert r.margin == pytest.approx(fraction - 0.0)


@pytest.fixture(scope="module")
def cooperation_ledger():
    chosen = [BY_ID["rasmussen-data-exchange"], BY_ID["medvedev-sectoral"]]
    return claims.evaluate(chosen, [None], grid_deg=GRID_DEG)


@pytest.mark.slow
def test_cooperation_verdicts_match_the_coverage_recomputed(cooperation_ledger):
    """Rasmussen (data exchange defends more than NATO alone) and Medvedev (sectors defend at
    least as many as separate systems), recomputed from `study.coverage_many` on the same grid."""
    names = ["epaa-2018", "cooperation-2011", "sectoral-2010"]
    archs = [study.Architecture.from_scenario(scenario.load(n)) for n in names]
    defended = {n: r.population["all"].protected for n, r in
                zip(names, study.coverage_many(archs, grid_deg=GRID_DEG))}
    gain = defended["cooperation-2011"] - defended["epaa-2018"]
    r = cooperation_ledger.results["rasmussen-data-exchange"]["scenario"]
    assert r.figure == pytest.approx(round(defended["cooperation-2011"]) - round(defended["epaa-2018"]), abs=1)
    assert r.holds is bool(gain > 0)
    sect = defended["sectoral-2010"] - defended["cooperation-2011"]
    r = cooperation_ledger.results["medvedev-sectoral"]["scenario"]
    assert r.figure == pytest.approx(sect, abs=1)
    assert r.holds is bool(sect >= 0)
    assert r.margin == pytest.approx(r.figure)  # threshold 0, '>=': margin = figure - 0


@pytest.mark.slow
def test_deterrent_verdicts_match_the_phase_4_study_recomputed():
    """Makarov (phases 3-4 can intercept Russian ICBMs, scenario sensors) and Butt & Postol (with
    launch on the early-warning report), recomputed with `study.deterrent_study`."""
    chosen = [BY_ID["makarov-phases-3-4-real"], BY_ID["butt-postol-attrition"], BY_ID["creedon-not-effective-vs-icbms"]]
    ledger = claims.evaluate(chosen, [None])
    det = study.Architecture.from_scenario(scenario.load("deterrent"))
    icbm_bases = [a for a in det.scenario.launch_areas if a not in ("barents-sea", "norwegian-sea")]  # no SLBMs
    res = study.deterrent_study(det, phases=("epaa-phase4",), variants=("scenario",),
                                sweep_variants=("scenario", "cue-as-track"), speeds_kms=[4.5], delays_s=(0.0,),
                                ship_interceptor=None, min_speed=False, areas=icbm_bases).as_dict()
    by_variant = res["by_phase"]["epaa-phase4"]
    own, early = (by_variant[v]["fraction_engageable"]["any"] for v in ("scenario", "cue-as-track"))
    makarov, butt, creedon = (ledger.results[c.id]["scenario"] for c in chosen)
    assert makarov.figure == pytest.approx(own) and makarov.holds is bool(own > 0)
    assert creedon.figure == pytest.approx(own) and creedon.holds is bool(own <= 0)
    assert butt.figure == pytest.approx(early) and butt.holds is bool(early > 0)
    assert np.isclose(butt.margin, early)



@pytest.mark.slow
def test_deterrent_claims_read_engageability_alone_without_margins_or_sweeps(monkeypatch):
    """The ledger reads only which pairs are engageable: it runs no latest-launch search and no
    speed sweep, and its figure is the one of the full study (margins and sweeps computed)."""
    from shieldsim import deterrent

    chosen = [BY_ID["butt-postol-attrition"]]  # phase 4, launching on the early-warning report
    det = study.Architecture.from_scenario(scenario.load("deterrent"))
    full = study.deterrent_study(det, phases=("epaa-phase4",), variants=(), sweep_variants=("cue-as-track",),
                                 speeds_kms=[4.5], delays_s=(0.0,), ship_interceptor=None, min_speed=False,
                                 areas=claims.icbm_areas(det))
    expected = full.phase_matrices["epaa-phase4"]["cue-as-track"].fraction_engageable()["any"]

    def refused(*args, **kwargs):
        raise AssertionError("the ledger does not need it")

    monkeypatch.setattr(deterrent, "latest_launch", refused)
    monkeypatch.setattr(deterrent, "speed_sweep", refused)
    ledger = claims.evaluate(chosen, [None])
    assert ledger.results[chosen[0].id]["scenario"].figure == expected > 0


SHORT_SM3 = '''
name = "short-sm3"
title = "What-if for the test: SM-3 ranges cut to a twentieth"
[[override]]
path = "interceptor_types.sm3-*.max_range_km"
factor = 0.05
source = "shieldsim test what-if, not a published figure"
'''

FLIGHTS_CLAIM = GOOD.replace('study = "unsupported"', 'study = "flights"').replace(
    'reason = "shieldsim lacks the capability"',
    'threat = "irbm"\nquantity = "fraction_engageable"\nop = ">"\nthreshold = 0.0')


def test_a_profile_is_applied_to_the_study_and_its_flip_is_reported(tmp_path):
    """The ledger's figure under a profile is the study of the scenario with the profile applied
    (`assumptions.apply`, recomputed here); cutting the SM-3 ranges flips the verdict."""
    from shieldsim import assumptions

    (c,) = claims.load_claims(write_catalogue(tmp_path, FLIGHTS_CLAIM))
    profile_path = tmp_path / "short-sm3.toml"
    profile_path.write_text(SHORT_SM3, encoding="utf-8")
    ledger = claims.evaluate([c], [None, str(profile_path)])
    assert ledger.profiles == ["scenario", "short-sm3"]

    def fraction(sc):
        arch = study.Architecture.from_scenario(sc)
        traj, labels, _ = study.scenario_flights(arch, threat="irbm")
        e, _ = study.engage_flights(arch, traj)
        return study.allowed_batteries(arch, e).any(axis=1).sum() / len(labels)

    base = scenario.load("epaa-2018")
    alone, cut = fraction(base), fraction(assumptions.apply(base, assumptions.load_profile(profile_path)))
    assert ledger.results[c.id]["scenario"].figure == pytest.approx(alone)
    assert ledger.results[c.id]["short-sm3"].figure == pytest.approx(cut)
    assert alone > 0 and cut == 0  # what the flip below rests on
    assert ledger.flips() == {c.id: ["short-sm3"]}


def test_a_profile_that_changes_nothing_shares_the_studies_of_the_scenario_alone(tmp_path, monkeypatch):
    """'russian-mod' changes no figure: its scenarios are the scenario alone plus a record, so its
    studies are those of the scenario alone, computed once; one that changes a figure is not."""
    (c,) = claims.load_claims(write_catalogue(tmp_path, FLIGHTS_CLAIM))
    profile_path = tmp_path / "short-sm3.toml"
    profile_path.write_text(SHORT_SM3, encoding="utf-8")
    flown = []
    real = study.scenario_flights
    monkeypatch.setattr(study, "scenario_flights", lambda arch, **kw: flown.append(arch) or real(arch, **kw))
    ledger = claims.evaluate([c], [None, "russian-mod", str(profile_path)])
    assert len(flown) == 2  # the scenario alone (shared with russian-mod) and short-sm3
    assert flown[0].scenario.assumptions is None and flown[1].scenario.assumptions.profile == "short-sm3"
    res = ledger.results[c.id]
    assert res["russian-mod"].figure == res["scenario"].figure > 0 and res["short-sm3"].figure == 0


def test_each_scenario_is_read_once_for_every_profile_and_stays_as_written(monkeypatch):
    """The ledger reads a scenario once and applies every profile to that copy: each profile's
    scenario equals the one applied to a fresh read, and the copy read stays as written."""
    from shieldsim import assumptions

    profiles = claims.load_profiles([None, "advertised", "independent"])
    ctx = claims._Context(profiles, 2.0, {})
    reads = []
    real = scenario.load
    monkeypatch.setattr(claims.scen, "load", lambda name: reads.append(name) or real(name))
    built = {p: ctx.scenario("epaa-2018", p) for p in profiles}
    assert reads == ["epaa-2018"]
    fresh = real("epaa-2018")
    assert ctx.base("epaa-2018") == fresh
    for p, prof in profiles.items():
        assert built[p] == (fresh if prof is None else assumptions.apply(fresh, prof))
