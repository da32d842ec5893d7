"""flights_file: a scenario file with [[flights]] burnout states is read, validated with every
problem named by its entry and field, and flown from burnout."""

import numpy as np
import pytest

from shieldsim import flights_file
from shieldsim.scenario import models

FLIGHT = {"name": "tabriz-rome", "lat_deg": 38.5, "lon_deg": 45.0, "alt_km": 120.0, "speed_kms": 3.2,
          "gamma_deg": 38.0, "heading_deg": 295.0, "burnout_time_s": 110.0, "rcs_m2": 0.1}


def _write(tmp_path, body: str):
    path = tmp_path / "flights.toml"
    path.write_text('extends = "epaa-2018"\n' + body)
    return path


def test_a_file_with_flights_gives_the_scenario_and_the_raw_entries(tmp_path):
    path = _write(tmp_path, "[[flights]]\n" + "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in FLIGHT.items()))
    sc, raw = flights_file.read(path)
    assert sc.radars and raw == [FLIGHT]
    assert flights_file.flight_specs(raw)[0]["beta_kgm2"] == float("inf")  # default: no drag effect


def test_bad_entries_are_listed_with_their_index_and_field():
    with pytest.raises(flights_file.FlightsFileError, match=r"flights\[1\]\.speed_kms"):
        flights_file.flight_specs([FLIGHT, {**FLIGHT, "name": "b", "speed_kms": 40.0}])
    with pytest.raises(flights_file.FlightsFileError, match="unique"):
        flights_file.flight_specs([FLIGHT, FLIGHT])
    with pytest.raises(flights_file.FlightsFileError, match="non-empty array"):
        flights_file.flight_specs([])


def test_unreadable_or_malformed_files_are_one_line_errors(tmp_path):
    with pytest.raises(flights_file.FlightsFileError, match="cannot read"):
        flights_file.read(tmp_path / "missing.toml")
    with pytest.raises(flights_file.FlightsFileError, match="TOML syntax error"):
        flights_file.read(_write(tmp_path, "[[flights]\n"))


def test_flights_are_flown_from_burnout_with_their_offsets(tmp_path):
    sc, raw = flights_file.read(_write(tmp_path, ""))
    traj, offset = flights_file.fly(flights_file.flight_specs([FLIGHT]), models(sc), 2.0)
    assert traj.labels.tolist() == ["tabriz-rome"] and offset.tolist() == [110.0]
    assert traj.time[0] == 0.0 and np.isfinite(traj.impact_time).all() and traj.impact_time[0] > 300
    with pytest.raises(flights_file.FlightsFileError, match="never come back"):
        escaping = {**FLIGHT, "speed_kms": 11.0, "gamma_deg": 10.0, "heading_deg": 90.0}
        flights_file.fly(flights_file.flight_specs([escaping]), models(sc), 2.0)
