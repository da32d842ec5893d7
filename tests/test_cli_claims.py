"""`shieldsim claims`: the ledger as a table, as JSON and as files; bad input is a one-line
error with exit code 2. A small catalogue written here keeps the runs short."""

import csv
import json

import pytest

from shieldsim import assumptions
from shieldsim.cli import main

CATALOGUE = '''
[[claim]]
id = "phase1-engages-irbm"
claimant = "A test claimant"
side = "US/NATO"
date = "2011-04-15"
statement_kind = "paraphrase"
statement = "Phase 1 can engage an intermediate-range missile aimed at Europe."
source = "Written for shieldsim's tests (not a real claim); no original."
[claim.check]
study = "flights"
scenario = "epaa-2011"
threat = "irbm"
quantity = "fraction_engageable"
op = ">"
threshold = 0.0
reading = "some IRBM flight of the scenario is engageable"

[[claim]]
id = "cannot-be-tested"
claimant = "Another test claimant"
side = "independent"
date = "2013"
statement_kind = "quotation"
statement = "A statement about something shieldsim does not model."
source = "Written for shieldsim's tests (not a real claim); no original."
[claim.check]
study = "unsupported"
scenario = "epaa-2018"
reason = "shieldsim has no model of it"
reading = "none"
'''


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.toml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ledger_run(catalogue, tmp_path_factory):
    """One run of the command with --json and --out (the flights study takes ~10 s)."""
    import contextlib
    import io

    out_dir = tmp_path_factory.mktemp("ledger")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as ex:
        main(["claims", "--catalogue", str(catalogue), "--json", "--no-progress", "--out", str(out_dir)])
    assert ex.value.code == 0
    return json.loads(buf.getvalue()), out_dir


def test_json_has_every_claim_with_results_per_profile(ledger_run):
    d, _ = ledger_run
    profiles = ["scenario"] + assumptions.builtin_profiles()
    assert d["profiles"] == profiles
    assert [c["id"] for c in d["claims"]] == ["phase1-engages-irbm", "cannot-be-tested"]
    for c in d["claims"]:
        assert {"id", "claimant", "date", "source", "statement", "results"} <= set(c)
        assert list(c["results"]) == profiles
        for r in c["results"].values():
            assert set(r) == {"holds", "figure", "margin", "unit", "reason"}
    testable = d["claims"][0]["results"]["scenario"]
    assert testable["holds"] in (True, False) and testable["unit"] == "fraction of flights"
    assert testable["margin"] == pytest.approx(testable["figure"])  # threshold 0, '>'
    untestable = d["claims"][1]["results"]
    assert all(r["holds"] is None and r["reason"] == "shieldsim has no model of it" for r in untestable.values())
    assert d["version"] and d["models"]["earth"] == "wgs84" and d["seed"] is None and d["grid_deg"] == 2.0


def test_out_writes_the_json_and_one_csv_row_per_claim_and_profile(ledger_run):
    d, out_dir = ledger_run
    assert json.loads((out_dir / "claims.json").read_text()) == d
    with open(out_dir / "claims.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(d["claims"]) * len(d["profiles"])
    first = next(r for r in rows if r["id"] == "phase1-engages-irbm" and r["profile"] == "scenario")
    want = d["claims"][0]["results"]["scenario"]
    assert float(first["figure"]) == pytest.approx(want["figure"]) and first["holds"] == str(want["holds"])
    assert all(r["holds"] == "" for r in rows if r["id"] == "cannot-be-tested")


def test_table_shows_each_claim_with_its_verdict_per_profile(catalogue, capsys):
    code, out, err = run(["claims", "epaa-2018", "--catalogue", str(catalogue), "--assumptions", "independent",
                          "--no-progress"], capsys)
    assert code == 0, err
    header, row = out.splitlines()[:2]
    assert header.split()[:5] == ["claim", "claimant", "date", "scenario", "independent"]
    assert row.startswith("cannot-be-tested") and "2013" in row and row.split()[-2:] == ["n/a", "n/a"]
    assert "phase1-engages-irbm" not in out  # not about epaa-2018


@pytest.mark.parametrize("args, option", [
    (["claims", "no-such-scenario"], "SCENARIO"),
    (["claims", "--assumptions", "no-such-profile"], "--assumptions"),
    (["claims", "--grid-deg", "0.01"], "--grid-deg"),
])
def test_bad_input_is_one_line_naming_the_option(args, option, capsys):
    code, out, err = run(args + ["--no-progress"], capsys)
    assert code == 2 and option in err and len(err.strip().splitlines()) == 1


def test_a_bad_catalogue_is_refused_naming_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(CATALOGUE.replace('source = "Written for shieldsim\'s tests (not a real claim); no original."\n', "", 1))
    code, out, err = run(["claims", "--catalogue", str(bad), "--no-progress"], capsys)
    assert code == 2 and "--catalogue" in err and "claim[0].source" in err


def test_out_holding_an_earlier_ledger_is_refused_without_overwrite(ledger_run, catalogue, capsys):
    _, out_dir = ledger_run
    code, out, err = run(["claims", "--catalogue", str(catalogue), "--out", str(out_dir), "--no-progress"], capsys)
    assert code == 2 and "'--out'" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["directory", "missing", "fifo"])
def test_a_catalogue_that_is_not_a_regular_file_is_one_line_naming_it(tmp_path, capsys, kind):
    import os

    path = tmp_path / "claims.toml"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    code, out, err = run(["claims", "--catalogue", str(path), "--no-progress"], capsys)
    assert code == 2 and "'--catalogue'" in err and str(path) in err and len(err.strip().splitlines()) == 1
