"""``--ensemble N --seed S`` on the study commands (`shieldsim.cli.ensemble_run`): bad options are one
line before any work; the JSON and summary.json carry p05/p50/p95 and sensitivity per headline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "shieldsim", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args, option", [
    (["coverage", "--ensemble", 5, "--ensemble-method", "halton", "--out", "{o}"], "--ensemble-method"),
    (["coverage", "--ensemble", 3, "--ensemble-method", "sobol", "--out", "{o}"], "--ensemble"),
    (["coverage", "--resume", "{o}"], "--resume"),
    (["claims", "--ensemble", 4], "--ensemble"),
    (["raid", "--ensemble", 4, "--trials", 10, "--json"], "--ensemble"),
    (["deterrent", "--ensemble", 1, "--out", "{o}"], "--ensemble"),
])
def test_bad_ensemble_options_are_one_line_naming_the_option(tmp_path, args, option):
    out = run_cli(*[str(a).format(o=tmp_path / "o") for a in args], timeout=300)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in out.stderr
    assert not (tmp_path / "o" / "ensemble-members").exists()


@pytest.mark.slow
def test_coverage_ensemble_json_gives_percentiles_and_sensitivity_per_headline(tmp_path):
    out = run_cli("coverage", "--grid-deg", 6, "--threat-area", "tabriz", "--ensemble", 4, "--ensemble-method", "lhs",
                  "--seed", 3, "--no-progress", "--json", "--out", tmp_path / "o")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    ens = rec["ensemble"]
    assert ens["design"]["members"] == 4 and ens["design"]["seed"] == 3 and rec["seed"] == 3
    h = ens["headlines"]["coverage/nato_europe_defended/tabriz"]
    assert h["nominal"] == rec["threat_areas"]["tabriz"]["nato_europe"]["population_defended"]
    assert h["p05"] <= h["p50"] <= h["p95"] and h["sensitivity"]["method"] == "none"
    assert any(f["path"] == "interceptor_types.sm3-iia.burnout_speed_kms" for f in ens["figures"])
    assert (tmp_path / "o" / "ensemble.json").exists()
    assert len(list((tmp_path / "o" / "ensemble-members").glob("chunk-*.json"))) == 1


@pytest.mark.slow
def test_assess_ensemble_fills_how_sure_is_this_in_the_report_and_summary_json(tmp_path):
    out = run_cli("assess", "--grid-deg", 6, "--no-claims", "--no-deterrent", "--no-cooperation", "--ensemble", 4,
                  "--ensemble-method", "lhs", "--no-progress", "--out", tmp_path / "o")
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    heads = summary["ensemble"]["headlines"]
    assert {"p05", "p50", "p95", "sensitivity"} <= set(heads["coverage/nato_europe_fraction/all"])
    page = (tmp_path / "o" / "index.html").read_text()
    section = page[page.index('<section id="how-sure">'):]
    section = section[:section.index("</section>")]
    assert "How sure is this?" in section and "coverage/nato_europe_fraction/all" in section
    assert 'data-key="/ensemble/headlines/coverage~1nato_europe_fraction~1all/p50"' in section


def _ensemble_twice(tmp_path, *args):
    """Run a command with ``--ensemble`` twice with the same seed into two folders; both JSON records."""
    recs = []
    for run in ("a", "b"):
        out = run_cli(*args, "--json", "--no-progress", "--out", tmp_path / run)
        assert out.returncode == 0, out.stderr
        recs.append(json.loads(out.stdout))
    return recs


def _assert_percentiles_and_sensitivity(ens: dict, members: int) -> None:
    assert ens["design"]["members"] == members and ens["headlines"]
    for name, h in ens["headlines"].items():
        assert h["p05"] <= h["p50"] <= h["p95"], name
        assert {"method", "indices"} <= set(h["sensitivity"]), name


@pytest.mark.slow
def test_raid_ensemble_gives_percentiles_and_sensitivity_per_headline_and_the_same_numbers_for_the_same_seed(tmp_path):
    example = Path(__file__).resolve().parents[1] / "examples" / "raid-epaa-2018.toml"
    a, b = _ensemble_twice(tmp_path, "raid", "epaa-2018", "--raid", example, "--trials", 100, "--seed", 4,
                           "--ensemble", 3, "--ensemble-method", "lhs")
    ens = a["ensemble"]
    _assert_percentiles_and_sensitivity(ens, 3)
    assert set(ens["headlines"]) == {"raid/p_raid_defeated", "raid/mean_leakers", "raid/p_any_leaker/bucharest",
                                     "raid/p_any_leaker/warsaw"}
    assert ens["headlines"]["raid/mean_leakers"]["nominal"] == a["result"]["mean_leakers"]
    assert ens["headlines"] == b["ensemble"]["headlines"] and ens["design"] == b["ensemble"]["design"]
    assert (tmp_path / "a" / "ensemble.json").exists()


@pytest.mark.slow
def test_claims_ensemble_gives_the_probability_each_claim_holds_and_the_same_numbers_for_the_same_seed(tmp_path):
    import tomllib

    import tomli_w

    shipped = tomllib.loads((Path(__file__).resolve().parents[1] / "src" / "shieldsim" / "data" / "claims.toml")
                            .read_text(encoding="utf-8"))
    one = [c for c in shipped["claim"] if c["id"] == "ftm15-phase1-capability"]  # a cheap 'flights' check
    (tmp_path / "claims.toml").write_text(tomli_w.dumps({"claim": one}), encoding="utf-8")
    a, b = _ensemble_twice(tmp_path, "claims", "--catalogue", tmp_path / "claims.toml", "--assumptions", "advertised",
                           "--grid-deg", 10, "--seed", 1, "--ensemble", 3, "--ensemble-method", "lhs")
    ens = a["ensemble"]
    _assert_percentiles_and_sensitivity(ens, 3)
    holds = ens["headlines"]["claims/holds/ftm15-phase1-capability"]
    assert 0.0 <= holds["probability"] <= 1.0
    assert holds["nominal"] == float(a["claims"][0]["results"]["scenario"]["holds"])
    assert ens["headlines"]["claims/figure/ftm15-phase1-capability"]["nominal"] == \
        a["claims"][0]["results"]["scenario"]["figure"]
    assert ens["headlines"] == b["ensemble"]["headlines"]


@pytest.mark.slow
def test_deterrent_ensemble_answers_for_the_chosen_bases_and_shape_and_repeats_for_the_same_seed(tmp_path):
    a, b = _ensemble_twice(tmp_path, "deterrent", "--phase", "epaa-2018", "--base", "kozelsk", "--shape",
                           "minimum-energy", "--speed-kms-range", "4.5:4.5:0.25", "--ship-interceptor", "none",
                           "--seed", 2, "--ensemble", 3, "--ensemble-method", "lhs")
    ens = a["ensemble"]
    _assert_percentiles_and_sensitivity(ens, 3)
    nominal = a["by_phase"]["epaa-2018"]["scenario"]["fraction_engageable"]
    assert {k.rsplit("/", 1)[1]: h["nominal"] for k, h in ens["headlines"].items()} == nominal
    assert all(k.startswith("deterrent/fraction_engageable/epaa-2018/") for k in ens["headlines"])
    assert ens["headlines"] == b["ensemble"]["headlines"]


def test_failed_members_give_a_one_line_warning_and_a_line_in_the_table():
    from shieldsim import ensemble as E
    from shieldsim import sensitivity as S
    from shieldsim import uncertainty as U
    from shieldsim.cli import ensemble_run

    def refuses_high_x1(values):
        if values["x1"] > 1.0:
            raise ValueError("missile ss-18: the boost model finds no minimum-energy burn\n(140, 180) s")
        return S.ishigami(values)

    figs = [U.Figure(n, 0.0, -3.0, 3.0, source="t") for n in ("x1", "x2", "x3")]
    ens = E.run(refuses_high_x1, figs, E.design(figs, 5 * 8, 1, "sobol"))
    n, first = len(ens.failed), min(ens.failed)
    warning = ensemble_run.failure_warning(ens)
    assert "\n" not in warning and warning.startswith(f"warning: {n} of 40 ensemble members failed (first: member "
                                                      f"{first}: ValueError: missile ss-18: the boost model")
    table = ensemble_run.table(E._json_round_trip(ens.as_dict()))
    assert f"{n} members failed (first: member {first}:" in table and "(not computed: members failed)" in table
    assert ensemble_run.failure_warning(E.run(S.ishigami, figs, E.design(figs, 8, 1, "lhs"))) == ""
