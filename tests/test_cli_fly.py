"""The `shieldsim fly` command and the CLI's error contract."""

import json
import subprocess
import sys

import numpy as np
import pytest

from shieldsim.cli import main

ARGS = ["fly", "--lat-deg", "50", "--lon-deg", "30", "--alt-km", "100", "--speed-kms", "5",
        "--gamma-deg", "40", "--heading-deg", "270"]


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_fly_json_has_the_documented_fields(capsys):
    code, out, _ = run(ARGS + ["--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert set(d["impact"]) == {"lat_deg", "lon_deg"}
    for key in ("ground_range_km", "flight_time_s", "apogee_km", "version"):
        assert np.isfinite(d[key]) if key != "version" else d[key]
    assert d["models"] == {"earth": "wgs84", "rotation": True, "drag": False}
    assert 3000 < d["ground_range_km"] < 3500


def test_fly_flags_reach_the_models(capsys):
    code, out, _ = run(ARGS + ["--json", "--earth", "sphere", "--no-rotation", "--drag", "--beta-kgm2", "3000"], capsys)
    d = json.loads(out)
    assert d["models"] == {"earth": "sphere", "rotation": False, "drag": True} and d["beta_kgm2"] == 3000


def test_fly_writes_csv_samples_ending_near_the_ground(tmp_path, capsys):
    path = tmp_path / "flight.csv"
    code, _, _ = run(ARGS + ["--csv", str(path), "--sample-s", "5"], capsys)
    assert code == 0
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    assert data[0, 0] == 0 and abs(data[0, 3] - 100) < 1e-6
    assert data[-1, 3] < 50 and np.all(np.diff(data[:, 0]) == 5)


@pytest.mark.parametrize("bad, option", [
    (["--lat-deg", "95"], "--lat-deg"),
    (["--speed-kms", "-1"], "--speed-kms"),
    (["--speed-kms", "12"], "--speed-kms"),
    (["--lat-deg", "north"], "--lat-deg"),
    (["--speed-kms", "7.9", "--gamma-deg", "0", "--alt-km", "400"], "--speed-kms"),
])
def test_bad_input_is_one_line_naming_the_option_with_exit_2(bad, option, capsys):
    args = list(ARGS)
    for i in range(0, len(bad), 2):
        args[args.index(bad[i]) + 1] = bad[i + 1]
    code, _, err = run(args, capsys)
    assert code == 2
    assert option in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_entry_points_answer_help_and_version():
    for cmd in ([sys.executable, "-m", "shieldsim", "--version"], [sys.executable, "-m", "shieldsim", "--help"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "shieldsim" in done.stdout


def test_help_does_not_import_the_physics():
    code = ("import sys; from shieldsim.cli import app; "
            "heavy = [m for m in ('numba', 'scipy', 'matplotlib', 'xarray', 'dask', 'shieldsim.kepler') if m in sys.modules]; "
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == ""
