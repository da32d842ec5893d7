"""Flights given as burnout states: the ``[[flights]]`` tables of a ``shieldsim detect`` file.

A detect file is a scenario file (it may ``extends`` a built-in) plus ``[[flights]]`` entries in
human units (`FlightSpec`: ``name``, burnout ``lat_deg``/``lon_deg``/``alt_km``, Earth-relative
``speed_kms``, ``gamma_deg`` above the local horizontal, ``heading_deg`` clockwise from north,
``burnout_time_s`` after launch, ``rcs_m2``, optional ``beta_kgm2``). `read` parses the file,
`flight_specs` validates the entries, `fly` flies them from burnout. Every problem is a
`FlightsFileError` (a ValueError) with a one-line message; the command names its option.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import scenario as scen
from .files import InputFileError, read_text
from .trajectory import Trajectory, burnout_state, fly_states
from .units import to_si


class FlightsFileError(ValueError):
    """A flights file that cannot be read, or whose flights are invalid (one line)."""


class FlightSpec(BaseModel):
    """One ``[[flights]]`` entry (human units; ranges as the command documents them)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    alt_km: float = Field(ge=0, le=5000)
    speed_kms: float = Field(gt=0, le=11)
    gamma_deg: float = Field(ge=-90, le=90)
    heading_deg: float = Field(ge=-360, le=360)
    burnout_time_s: float = Field(default=0.0, ge=0, le=1000)
    rcs_m2: float = Field(gt=0, le=1e4)
    beta_kgm2: float = Field(default=float("inf"), gt=0)


def read(path: Path):
    """(validated `scenario.Scenario`, the raw ``[[flights]]`` entries or None) of a scenario TOML
    file that may hold ``[[flights]]`` (a flights table alone is named after the file)."""

    try:
        text = read_text(path)
    except InputFileError as err:  # missing, not a regular file, too large, not UTF-8
        raise FlightsFileError(f"cannot read {err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise FlightsFileError(f"{path}: TOML syntax error: {err}") from None
    flights = data.pop("flights", None)
    if flights is not None and "name" not in data and "extends" not in data:
        data["name"] = path.stem
    try:
        sc = scen.loads(tomli_w.dumps(data), origin=str(path), base_dir=path.parent)
    except scen.ScenarioError as err:
        raise FlightsFileError(str(err).replace("\n", "; ")) from None
    return sc, flights


def flight_specs(raw) -> list[dict]:
    """The ``[[flights]]`` entries validated (`FlightSpec`, human units) as dicts; a
    `FlightsFileError` lists every problem as ``flights[i].field: message``."""
    if not isinstance(raw, list) or not raw:
        raise FlightsFileError("flights must be a non-empty array of tables ([[flights]])")
    out = []
    for i, entry in enumerate(raw):
        try:
            out.append(FlightSpec.model_validate(entry).model_dump())
        except ValidationError as err:
            msgs = "; ".join(f"flights[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise FlightsFileError(msgs) from None
    names = [f["name"] for f in out]
    if len(set(names)) != len(names):
        raise FlightsFileError(f"flight names must be unique, got {names}")
    return out


def fly(specs: list[dict], models, step: float):
    """(`trajectory.Trajectory` of the burnout-state flights ``specs`` on a ``step`` s grid from
    burnout, each flight's offset: its burnout time after launch, s, to add to its timeline).
    A `FlightsFileError` names flights that never come back to the surface."""
    col = {k: np.array([s[k] for s in specs], dtype=float) for k in specs[0] if k != "name"}
    lat, lon = to_si("lat_deg", col["lat_deg"]), to_si("lon_deg", col["lon_deg"])
    r0, v0 = burnout_state(lat, lon, to_si("alt_km", col["alt_km"]), to_si("speed_kms", col["speed_kms"]),
                           to_si("gamma_deg", col["gamma_deg"]), to_si("heading_deg", col["heading_deg"]), models.earth)
    beta = np.where(np.isfinite(col["beta_kgm2"]), col["beta_kgm2"], 1e12)
    probe = fly_states(r0, v0, models, beta)
    if not np.isfinite(probe.flight_time).all():
        bad = [s["name"] for s, ok in zip(specs, np.isfinite(probe.flight_time)) if not ok]
        raise FlightsFileError(f"flights {bad} never come back to the surface; lower speed_kms or steepen gamma_deg")
    max_time = float(np.max(probe.flight_time)) + step
    f = fly_states(r0, v0, models, beta, sample_step=step, max_time=max(max_time, 2 * step))
    n = len(specs)
    z = np.zeros(n)
    traj = Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=z,
                      burnout_time=z, impact_time=f.flight_time, apogee_time=f.apogee_time, launch_lat=lat,
                      launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon, apogee_alt=f.apogee_alt,
                      ground_range=f.ground_range, rcs=col["rcs_m2"], beta=col["beta_kgm2"], models=models,
                      labels=np.array([s["name"] for s in specs], dtype=object))
    return traj, col["burnout_time_s"]
