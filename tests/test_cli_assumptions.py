"""`shieldsim assumptions` lists and shows profiles; `--assumptions` on the study commands applies
one, records it in the JSON and fails in one line (exit 2) for a bad name or file."""

from __future__ import annotations

import json

import pytest

from shieldsim.cli import main


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_assumptions_lists_the_builtins_with_their_number_of_overrides(capsys):
    from shieldsim.assumptions import builtin_profiles, load_profile

    code, out, _ = run(["assumptions", "--json"], capsys)
    rows = json.loads(out)["profiles"]
    assert code == 0 and [r["name"] for r in rows] == builtin_profiles()
    assert all(r["overrides"] == len(load_profile(r["name"]).overrides) and r["title"] for r in rows)
    code, out, _ = run(["assumptions"], capsys)
    assert code == 0 and all(name in out for name in builtin_profiles())


def test_assumptions_name_shows_each_override_with_its_value_and_source(capsys):
    from shieldsim.assumptions import load_profile

    code, out, _ = run(["assumptions", "advertised"], capsys)
    assert code == 0
    for o in load_profile("advertised").overrides:
        assert f"{o.path} = {o.value!r}" in out
        assert " ".join(o.source.split()[:6]) in " ".join(out.split())
    code, out, _ = run(["assumptions", "advertised", "--json"], capsys)
    shown = json.loads(out)["profile"]
    assert shown["name"] == "advertised" and all(o["source"] for o in shown["overrides"])


def test_assumptions_shows_a_profile_file(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('[[override]]\npath = "radars.*.revisit_s"\nfactor = 2.0\nsource = "my reading"\n')
    code, out, _ = run(["assumptions", str(path)], capsys)
    assert code == 0 and "radars.*.revisit_s x 2" in out and "my reading" in out


@pytest.mark.parametrize("command", [["assumptions", "nope"], ["coverage", "--grid-deg", "4"], ["engage"],
                                     ["deterrent"], ["raid", "epaa-2018", "--raid", "r.toml"], ["assess"],
                                     ["compare", "epaa-2015", "epaa-2018"]])
def test_a_bad_profile_name_is_one_line_naming_the_option_and_the_builtins(command, capsys, tmp_path):
    args = command if command[0] == "assumptions" else command + ["--assumptions", "nope", "--out",
                                                                   str(tmp_path / "o")] * (command[0] != "engage") \
        + (["--assumptions", "nope"] if command[0] == "engage" else [])
    if command[0] == "raid":
        args = command + ["--assumptions", "nope"]
    code, _, err = run(args, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert ("'NAME'" if command[0] == "assumptions" else "'--assumptions'") in err
    assert "advertised, independent, russian-mod" in err


def test_a_profile_without_sources_is_refused_by_the_commands(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[override]]\npath = "radars.*.revisit_s"\nvalue = 2.0\n')
    code, _, err = run(["coverage", "--grid-deg", "4", "--assumptions", str(path), "--out", str(tmp_path / "o")],
                       capsys)
    assert code == 2 and "'--assumptions'" in err and "source" in err and len(err.strip().splitlines()) == 1


def test_engage_records_the_profile_and_uses_its_figures(capsys, tmp_path):
    args = ["engage", "--threat", "irbm", "--area", "tabriz", "--target", "bucharest", "--json"]
    code, out, _ = run(args, capsys)
    alone = json.loads(out)
    code2, out, _ = run(args + ["--assumptions", "independent"], capsys)
    under = json.loads(out)
    assert code == code2 == 0 and alone["assumptions"] is None
    assert under["assumptions"]["profile"] == "independent"
    assert any(w.startswith("assumption profile 'independent': override[0]") for w in under["assumptions"]["warnings"])
    rows = {(f["flight"], b["battery"]): b for f in under["flights"] for b in f["batteries"]}
    for f in alone["flights"]:
        for b in f["batteries"]:
            # warhead-sized targets (rcs 0.01 m^2) shrink the radars' reach: never more engageable
            assert rows[(f["flight"], b["battery"])]["engageable"] <= b["engageable"]

    # a kill-probability override alone changes the kill probability and not the kinematics
    sspk_only = tmp_path / "sspk.toml"
    sspk_only.write_text('name = "sspk"\n[[override]]\npath = "interceptor_types.sm3-ib.sspk"\nvalue = 0.2\n'
                         'source = "test: the SM-3 IB figure of the independent profile"\n')
    code3, out, _ = run(args + ["--assumptions", str(sspk_only)], capsys)
    rows = {(f["flight"], b["battery"]): b for f in json.loads(out)["flights"] for b in f["batteries"]}
    lowered = 0
    for f in alone["flights"]:
        for b in f["batteries"]:
            other = rows[(f["flight"], b["battery"])]
            assert other["engageable"] == b["engageable"]
            if b["engageable"] and b["interceptor"] == "SM-3 Block IB":  # sspk 0.75 -> 0.2
                assert 0 < other["kill_probability"] < b["kill_probability"]
                lowered += 1
            elif b["engageable"]:
                assert other["kill_probability"] == b["kill_probability"]
    assert code3 == 0 and lowered >= 1


def test_coverage_under_a_profile_changes_the_result_and_records_the_profile(capsys, tmp_path):
    profile = tmp_path / "short-radars.toml"
    profile.write_text('[[override]]\npath = "radars.*.reference_range_km"\nfactor = 0.2\n'
                       'source = "test: every radar sees a fifth as far"\n')
    base = ["coverage", "--grid-deg", "4", "--threat-area", "tabriz", "--no-progress", "--json"]
    code, out, _ = run(base + ["--out", str(tmp_path / "a")], capsys)
    alone = json.loads(out)
    code2, out, _ = run(base + ["--out", str(tmp_path / "b"), "--assumptions", str(profile)], capsys)
    under = json.loads(out)
    assert code == code2 == 0 and alone["assumptions"] is None
    rec = under["assumptions"]
    assert rec["profile"] == "short-radars" and rec["warnings"] == []
    assert {c["target"] for c in rec["overrides"][0]["changes"]} >= {"radars.kurecik-tpy2.reference_range_km"}
    assert under["population_protected"] < alone["population_protected"]
    assert under["population_total"] == alone["population_total"]
    saved = json.loads((tmp_path / "b" / "coverage.json").read_text())
    assert saved["assumptions"] == rec
