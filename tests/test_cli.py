"""The command line's shared contract: one-line errors naming the option, exit code 2, checked
before any long computation."""

import pytest

from shieldsim.cli import main


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    return ex.value.code, capsys.readouterr().err


@pytest.mark.parametrize("command", [["coverage", "--grid-deg", "4"], ["assess"], ["deterrent"],
                                     ["compare", "epaa-2015", "epaa-2018"]])
def test_unwritable_output_folder_fails_at_once_naming_out(command, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, err = run(command + ["--out", str(blocker / "sub")], capsys)
    assert code == 2 and "'--out'" in err and len(err.strip().splitlines()) == 1


def test_range_is_appended_only_from_a_bracketed_help_range(capsys):
    code, err = run(["fly", "--lat-deg", "95", "--lon-deg", "0", "--alt-km", "100", "--speed-kms", "3",
                     "--gamma-deg", "30", "--heading-deg", "0"], capsys)
    assert code == 2 and "(allowed: [-90, 90])" in err
    code, err = run(["fly", "--lat-deg", "5"], capsys)
    assert code == 2 and "Missing option" in err and "allowed" not in err


def test_unknown_scenario_is_one_line_naming_the_argument(capsys):
    code, err = run(["coverage", "no-such-scenario", "--grid-deg", "4"], capsys)
    assert code == 2 and "SCENARIO" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def run_out(args, capsys):
    """(exit code, stdout, stderr) of the command run in this process."""
    with pytest.raises(SystemExit) as ex:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return ex.value.code, captured.out, captured.err


def raid_file(tmp_path):
    from test_battle import RAID_TOML

    path = tmp_path / "raid.toml"
    path.write_text(RAID_TOML.format(count=8))
    return path


def test_raid_resume_recomputes_damaged_chunk_files_and_gives_the_identical_result(tmp_path, capsys):
    import json

    run_dir = tmp_path / "run"
    args = ["raid", "--raid", raid_file(tmp_path), "--trials", 3000, "--seed", 5, "--chunk-trials", 256, "--json",
            "--no-progress"]
    code, out, err = run_out(args + ["--out", run_dir], capsys)
    assert code == 0, err
    first = json.loads(out)
    files = sorted(run_dir.glob("chunk-*.npz"))
    data = files[2].read_bytes()
    files[2].write_bytes(data[: len(data) // 2])  # truncated
    files[5].write_bytes(b"")  # zero length
    data = bytearray(files[7].read_bytes())
    data[len(data) // 2] ^= 0x04  # one bit flipped
    files[7].write_bytes(bytes(data))
    code, out, err = run_out(args + ["--resume", run_dir], capsys)
    assert code == 0, err
    again = json.loads(out)
    assert again["result"] == first["result"] and again["execution"]["computed"] == 3
    damaged = [line for line in err.splitlines() if "damaged" in line]
    assert len(damaged) == 3 and all(f.name[len("chunk-"):-len(".npz")] in err for f in (files[2], files[5], files[7]))


@pytest.mark.parametrize("content", [b"", b"{\"format\": ", b"\x00\x01garbage"])
def test_raid_resume_with_a_damaged_manifest_is_one_line_naming_the_file(tmp_path, capsys, content):
    run_dir = tmp_path / "run"
    code, _, err = run_out(["raid", "--raid", raid_file(tmp_path), "--trials", 300, "--out", run_dir,
                            "--no-progress"], capsys)
    assert code == 0, err
    (run_dir / "manifest.json").write_bytes(content)
    for args in (["raid", "--resume", run_dir], ["raid", "--raid", raid_file(tmp_path), "--trials", 300,
                                                 "--resume", run_dir]):
        code, _, err = run_out(args, capsys)
        assert code == 2 and "'--resume'" in err and str(run_dir / "manifest.json") in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("address", ["garbage", "", "tcp://127.0.0.1", "127.0.0.1:0", "host:99999", "tcp://:8786",
                                     "inproc://x", "tcp://a b:8786"])
@pytest.mark.parametrize("command", [["coverage", "--grid-deg", "4"], ["raid", "--raid", "RAID"],
                                     ["sweep", "--raid", "RAID", "--set", "trials=10,20"]])
def test_malformed_scheduler_address_is_refused_by_every_command_naming_the_option(tmp_path, capsys, command,
                                                                                    address):
    args = [str(raid_file(tmp_path)) if a == "RAID" else a for a in command]
    code, out, err = run_out(args + ["--scheduler", address, "--out", tmp_path / "out"], capsys)
    assert code == 2 and "'--scheduler'" in err and "HOST:PORT" in err, err
    assert len(err.strip().splitlines()) == 1 and not out and not (tmp_path / "out").exists()


@pytest.mark.slow  # the client tries for 20 s
def test_well_formed_but_unreachable_scheduler_is_one_line_naming_the_option(tmp_path, capsys):
    code, _, err = run_out(["raid", "--raid", raid_file(tmp_path), "--scheduler", "tcp://127.0.0.1:1",
                            "--trials", 10], capsys)
    assert code == 2 and "'--scheduler'" in err and "cannot reach" in err and len(err.strip().splitlines()) == 1


FILE_OPTIONS = [(["raid", "--raid", "FILE"], "'--raid'"),
                (["raid", "--raid", "RAID", "--engagement", "FILE"], "'--engagement'"),
                (["sweep", "--raid", "FILE", "--set", "trials=10,20"], "'--raid'"),
                (["detect", "--scenario", "FILE"], "'--scenario'"),
                (["validate", "FILE"], "1 error"),
                (["coverage", "FILE", "--grid-deg", "4", "--out", "OUT"], "'SCENARIO'")]


@pytest.mark.parametrize("kind", ["device", "fifo", "directory", "huge"])
@pytest.mark.parametrize("command, named", FILE_OPTIONS, ids=[" ".join(c[:2]) for c, _ in FILE_OPTIONS])
def test_raid_engagement_and_scenario_files_must_be_regular_files_within_the_limit(tmp_path, capsys, command,
                                                                                   named, kind):
    from test_files import special_file

    path = special_file(tmp_path, kind)
    swap = {"RAID": str(raid_file(tmp_path)), "FILE": path, "OUT": str(tmp_path / "out")}
    code, _, err = run_out([swap.get(a, a) for a in command], capsys)
    assert code == 2 and path in err and named in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == (2 if command[0] == "validate" else 1), err  # validate: heading + problem


# --- the smaller ones: every bad input a one-line error naming the option


@pytest.mark.parametrize("command", [["detect", "--scenario", "epaa-2018", "--plot", ""],
                                     ["engage", "--plot", "."],
                                     ["fly", "--lat-deg", "10", "--lon-deg", "0", "--alt-km", "100", "--speed-kms", "3",
                                      "--gamma-deg", "30", "--heading-deg", "0", "--csv", ""],
                                     ["aim", "--missile", "mrbm-solid", "--from", "35.7,51.4", "--to", "44,26",
                                      "--kml", "DIR"]], ids=["detect", "engage", "fly", "aim"])
def test_an_output_file_option_that_names_no_file_is_refused_and_nothing_hidden_is_written(tmp_path, capsys,
                                                                                          monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_out([str(tmp_path) if a == "DIR" else a for a in command], capsys)
    option = next(a for a in command if a in ("--plot", "--csv", "--kml"))
    assert code == 2 and f"'{option}'" in err and "not a file name" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_nan_given_to_a_range_checked_option_is_called_not_a_number(capsys, value):
    code, _, err = run_out(["fly", "--lat-deg", value, "--lon-deg", "0", "--alt-km", "100", "--speed-kms", "3",
                            "--gamma-deg", "30", "--heading-deg", "0"], capsys)
    assert code == 2 and "'--lat-deg'" in err and "is not a number" in err and "less than" not in err, err
    code, _, err = run_out(["coverage", "--grid-deg", value], capsys)
    assert code == 2 and "'--grid-deg'" in err and "is not a number" in err, err


def test_a_resumed_raid_records_the_file_it_was_started_from(tmp_path, capsys):
    import json

    path, run_dir = raid_file(tmp_path), tmp_path / "run"
    code, out, err = run_out(["raid", "--raid", path, "--trials", 200, "--out", run_dir, "--json", "--no-progress"],
                             capsys)
    assert code == 0 and json.loads(out)["source"] == str(path), err
    code, out, err = run_out(["raid", "--resume", run_dir, "--json", "--no-progress"], capsys)
    assert code == 0 and json.loads(out)["source"] == str(path), err


@pytest.mark.parametrize("extra, option", [(["--doctrine", "one-shot", "--max-looks", "5"], "--max-looks"),
                                           (["--doctrine", "salvo", "--look-size", "2"], "--look-size"),
                                           (["--doctrine", "shoot-look-shoot", "--salvo-size", "3"], "--salvo-size")])
def test_a_doctrine_option_the_doctrine_does_not_use_is_refused(tmp_path, capsys, extra, option):
    code, _, err = run_out(["raid", "--raid", raid_file(tmp_path), "--trials", 10] + extra, capsys)
    assert code == 2 and f"'{option}'" in err and "applies only to" in err, err


@pytest.mark.parametrize("sets, why", [(["trials=10,20", "trials=30"], "set twice"),
                                       (["trials=10,20,10"], "given twice")])
def test_a_sweep_never_repeats_a_grid_point(tmp_path, capsys, sets, why):
    args = ["sweep", "--raid", raid_file(tmp_path)] + [x for s in sets for x in ("--set", s)]
    code, _, err = run_out(args, capsys)
    assert code == 2 and "'--set'" in err and why in err, err


def test_engage_with_the_aim_point_on_the_launch_point_says_they_are_too_close(tmp_path, capsys):
    path = tmp_path / "same.toml"
    path.write_text('name = "same"\nextends = "epaa-2018"\n[aim_points.tabriz-city]\nlat_deg = 38.08\n'
                    'lon_deg = 46.2919\n')
    code, _, err = run_out(["engage", "--scenario", path, "--area", "tabriz", "--target", "tabriz-city",
                            "--threat", "mrbm-solid"], capsys)
    assert code == 2 and "0.0 km apart" in err and "closer than the 50 km" in err and "maximum range" not in err, err
