"""``--ensemble N --seed S`` on the study commands (`shieldsim.cli.ensemble_run`): bad options are one
line before any work; the JSON and summary.json carry p05/p50/p95 and sensitivity per headline."""

import json
import subprocess
import sys

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
