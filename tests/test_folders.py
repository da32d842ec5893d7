"""Output folders never mix runs: a folder holds one run's files, a second run into it is
refused unless --overwrite (which empties only folders shieldsim wrote), two runs at once into
one folder cannot interleave, and the folder records whether its run completed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from shieldsim.cli import folders, main


def run_out(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return ex.value.code, captured.out, captured.err


def raid_args(tmp_path, *extra):
    from test_battle import RAID_TOML

    path = tmp_path / "raid.toml"
    path.write_text(RAID_TOML.format(count=4))
    return ["raid", "--raid", path, "--trials", 50, "--no-progress", *extra]


def test_second_run_into_a_folder_is_refused_and_overwrite_leaves_no_file_of_the_first(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_out(raid_args(tmp_path, "--out", out), capsys)
    assert code == 0, err
    record = folders.read_record(out)
    assert record["status"] == "complete" and "result.json" in record["files"] and "raid" in record["command"]
    (out / "footprint-tabriz.nc").write_text("left by an earlier run of another command")
    code, _, err = run_out(raid_args(tmp_path, "--seed", 4, "--out", out), capsys)
    assert code == 2 and "'--out'" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_out(raid_args(tmp_path, "--seed", 4, "--out", out, "--overwrite"), capsys)
    assert code == 0, err
    assert not (out / "footprint-tabriz.nc").exists()
    assert json.loads((out / "result.json").read_text())["seed"] == 4
    record = folders.read_record(out)
    assert record["status"] == "complete" and "--seed 4" in record["command"]
    assert sorted(record["files"]) == sorted(p.name for p in out.iterdir() if not p.name.startswith(".shieldsim"))


def test_a_folder_shieldsim_did_not_write_is_never_emptied_even_with_overwrite(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    for extra in ([], ["--overwrite"]):
        code, _, err = run_out(raid_args(tmp_path, "--out", mine, *extra), capsys)
        assert code == 2 and "not written by shieldsim" in err and "thesis.tex" in err, err
    assert (mine / "thesis.tex").read_text() == "precious"
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"], "the refused folder was left as it was"


def test_a_failed_run_is_recorded_as_failed_and_may_be_overwritten(tmp_path, capsys):
    out = tmp_path / "out"
    folders.begin(["raid"])
    folders.claim(out)
    (out / "chunk-partial.npz").write_bytes(b"half")
    folders.finish(False)
    assert folders.read_record(out)["status"] == "failed"
    code, _, err = run_out(raid_args(tmp_path, "--out", out), capsys)
    assert code == 2 and "incomplete results of a failed run" in err
    code, _, err = run_out(raid_args(tmp_path, "--out", out, "--overwrite"), capsys)
    assert code == 0 and not (out / "chunk-partial.npz").exists()


HOLD = textwrap.dedent("""
    import sys, time
    from shieldsim.cli import folders
    folders.begin(["coverage"])
    folders.claim(sys.argv[1])
    print("claimed", flush=True)
    time.sleep(60)
""")


def test_two_runs_into_one_folder_at_once_the_second_is_refused_and_a_killed_run_releases_it(tmp_path, capsys):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "claimed"
        code, _, err = run_out(raid_args(tmp_path, "--out", out), capsys)
        assert code == 2 and "another shieldsim run is writing to" in err and "'--out'" in err, err
        assert folders.read_record(out)["status"] == "running"
    finally:
        holder.kill()  # SIGKILL: the system releases the lock with the process
        holder.wait()
    code, _, err = run_out(raid_args(tmp_path, "--out", out), capsys)
    assert code == 0, err


RACE = textwrap.dedent("""
    import sys
    from shieldsim.cli import folders
    claimed = refused = 0
    for _ in range(int(sys.argv[2])):
        folders.begin(["race"])
        try:
            folders.claim(sys.argv[1])
            claimed += 1
        except folders.FolderRefused as err:
            assert "another shieldsim run" in str(err), err
            refused += 1
        folders.finish(True)
    print(claimed, refused)
""")


def test_concurrent_claims_of_one_folder_either_succeed_or_are_refused_never_fail(tmp_path):
    out = tmp_path / "shared"
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(out), "600"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    total = 0
    for p, (stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stderr  # no spurious OSError from a shared probe file
        claimed, refused = map(int, stdout.split())
        assert claimed + refused == 600
        total += claimed
    assert total > 0
    assert not [p for p in out.iterdir() if p.name.startswith(".shieldsim-run-")], "a temporary record was left"
    assert folders.read_record(out)["status"] == "complete"


COMMANDS = [["coverage", "--grid-deg", "4"], ["assess", "--grid-deg", "4"], ["deterrent"],
            ["compare", "epaa-2015", "epaa-2018"], ["RAID"], ["RAID-SWEEP"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0].lower())
def test_every_command_refuses_a_folder_of_another_run_before_any_work(tmp_path, capsys, command):
    if command[0].startswith("RAID"):
        command = raid_args(tmp_path) + (["--set", "trials=10,20"] if command[0] == "RAID-SWEEP" else [])
        command[0] = "sweep" if "--set" in command else "raid"
    out = tmp_path / "out"
    folders.begin(["coverage", "epaa-2011"])
    folders.claim(out)
    (out / "footprint-tabriz.nc").write_text("another scenario's footprint")
    folders.finish(True)
    start = time.monotonic()
    code, _, err = run_out(command + ["--out", out], capsys)
    assert code == 2 and "'--out'" in err and "`shieldsim coverage epaa-2011`" in err, err
    assert time.monotonic() - start < 20 and (out / "footprint-tabriz.nc").exists()
