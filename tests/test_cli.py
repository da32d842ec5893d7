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
