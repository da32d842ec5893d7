"""``shieldsim detect``: when each sensor first detects and tracks each threat, and the fused
cue and fire-control track of the network.

The sensors (radars, launch detectors, networks) come from a scenario (a built-in name or a
TOML file). The threat flights come either from the scenario's threat classes, launch areas
and aim points (`study.scenario_flights`: pairs beyond a class's reach are skipped), or from ``[[flights]]`` burnout states in the
file itself -- a detect file is a scenario file (it may ``extends`` a built-in) plus::

    [[flights]]
    name = "tabriz-rome"      # label
    lat_deg = 38.5            # burnout point, geodetic
    lon_deg = 45.0
    alt_km = 120.0            # burnout altitude above the model surface
    speed_kms = 3.2           # Earth-relative burnout speed
    gamma_deg = 38.0          # flight-path angle above the local horizontal
    heading_deg = 295.0       # clockwise from north
    burnout_time_s = 110.0    # time of this state after launch (default 0)
    rcs_m2 = 0.1              # radar cross-section of the re-entry vehicle
    beta_kgm2 = 5000.0        # ballistic coefficient (used with drag; default no drag effect)

Burnout-state flights start at burnout: the boost itself is not flown, so a launch detector
sees only the burnout state (if it is above the detector's altitude).
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .output import fail, output_file, provenance, to_json

_MAX_TABLE_FLIGHTS = 20


_OPTIONS = {"scenario": "--scenario", "threat": "--threat", "area": "--scenario", "target": "--aim",
            "max_flights": "--max-flights"}


def _trajectories_from_scenario(arch, threat: str | None, aim: str | None, max_flights: int, step: float):
    """Flights of the scenario's threat classes from their launch areas to its aim points
    (`study.scenario_flights`), each flight's offset (0: the grid starts at launch) and the
    pairs skipped."""
    import numpy as np

    from ..study import SelectionError, scenario_flights

    try:
        traj, _, skipped = scenario_flights(arch, threat, None, aim, step=step, max_flights=max_flights)
    except SelectionError as err:
        hint = {"scenario": "; add [[flights]] burnout states (see `shieldsim detect --help`)",
                "max_flights": "; narrow with --threat / --aim or raise --max-flights"}.get(err.what, "")
        fail(_OPTIONS[err.what], f"{err}{hint}")
    return traj, np.zeros(len(traj)), skipped


def _shift(tl, offset):
    """Add each flight's offset (s) to every time of the timeline."""
    for name in ("first_detection", "sensor_track_time", "sensor_report_time", "visible_start", "visible_end",
                 "detect_start", "detect_end"):
        arr = getattr(tl, name)
        setattr(tl, name, arr + offset.reshape((-1,) + (1,) * (arr.ndim - 1)))
    tl.cue_time = tl.cue_time + offset
    tl.track_time = tl.track_time + offset
    if tl.separation_time is not None:
        tl.separation_time = tl.separation_time + offset


def _result(tl, traj, offset, names, sensors) -> list[dict]:
    out = []
    sn = tl.sensor_names
    for i in range(len(tl)):
        rows = []
        for j in range(len(sensors)):
            rows.append({
                "sensor": sn[j], "kind": tl.sensor_kinds[j], "fire_control": bool(tl.fire_control[j]),
                "first_detection_s": tl.first_detection[i, j], "track_time_s": tl.sensor_track_time[i, j],
                "report_time_s": tl.sensor_report_time[i, j], "cued": bool(tl.cued[i, j]),
                "visible_s": [list(x) for x in tl.intervals(i, j, "visible")],
                "detectable_s": [list(x) for x in tl.intervals(i, j, "detect")],
            })
        out.append({
            "name": names[i],
            "burnout_time_s": offset[i] if offset[i] > 0 else traj.burnout_time[i],
            "impact_time_s": traj.impact_time[i] + offset[i],
            "rcs_m2": traj.rcs[i],
            "body_rcs_m2": traj.body_rcs[i] if traj.body_rcs is not None else traj.rcs[i],
            "separation_time_s": tl.separation_time[i] if tl.separation_time is not None else None,
            "cue_time_s": tl.cue_time[i], "cue_sensor": sn[tl.cue_sensor[i]] if tl.cue_sensor[i] >= 0 else None,
            "track_time_s": tl.track_time[i],
            "track_sensor": sn[tl.track_sensor[i]] if tl.track_sensor[i] >= 0 else None,
            "track_on": (str(tl.track_on[i]) or None) if tl.track_on is not None else None,
            "sensors": rows,
        })
    return out


def _fmt(t) -> str:
    return "never" if t is None or t != t else f"{t:7.1f}"


def _at(t, who) -> str:
    return "never" if t is None or t != t else f"{t:.1f} s ({who})"


def _print_table(threats: list[dict], network: str, latency: float) -> None:
    typer.echo(f"Times in seconds after launch; network {network!r}, sharing latency {latency:g} s.")
    for th in threats[:_MAX_TABLE_FLIGHTS]:
        typer.echo("")
        typer.echo(f"{th['name']}  (rcs {th['rcs_m2']:g} m^2, body {th['body_rcs_m2']:g} m^2 until "
                   f"{_fmt(th['separation_time_s']).strip()} s, impact at {_fmt(th['impact_time_s']).strip()} s)")
        typer.echo(f"  {'sensor':<22} {'kind':<16} {'first det':>9} {'track':>9}  note")
        for r in th["sensors"]:
            note = []
            if r["kind"] == "launch-detector":
                note.append(f"cue at {_fmt(r['report_time_s']).strip()}")
            elif not r["fire_control"]:
                note.append("cue quality")
            if r["cued"]:
                note.append("cued")
            typer.echo(f"  {r['sensor']:<22} {r['kind']:<16} {_fmt(r['first_detection_s']):>9} "
                       f"{_fmt(r['track_time_s']) if r['kind'] == 'radar' else '-':>9}  {', '.join(note)}")
        typer.echo(f"  fused cue {_at(th['cue_time_s'], th['cue_sensor'])}; "
                   f"fire-control track {_at(th['track_time_s'], th['track_sensor'])}"
                   + (f", formed on the {th['track_on']}" if th.get("track_on") else ""))
    if len(threats) > _MAX_TABLE_FLIGHTS:
        typer.echo(f"\n... {len(threats) - _MAX_TABLE_FLIGHTS} more flights (use --json for all)")


def _plot(path: Path, th: dict, title: str) -> None:
    """Write `plots.detection_timeline_figure` of one flight's record to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import detection_timeline_figure

    fig = detection_timeline_figure(th, title)
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as err:
        fail("--plot", f"cannot write {path}: {err}")
    finally:
        plt.close(fig)


@app.command()
def detect(
    scenario: str = typer.Option(..., "--scenario", help="Built-in scenario name or TOML file (a file may add "
                                 "[[flights]] burnout states, see above)."),
    threat: str = typer.Option(None, "--threat", help="Only this threat class (scenario threats) or flight name "
                               "([[flights]])."),
    aim: str = typer.Option(None, "--aim", help="Only flights to this aim point (scenario threats)."),
    network: str = typer.Option(None, "--network", help="Use this network of the scenario (sharing latency, "
                                "home sensors); default: all its sensors as one system sharing instantly."),
    step_s: float = typer.Option(2.0, "--step-s", min=0.1, max=60, help="Sample step of the flights, s [0.1, 60]."),
    max_flights: int = typer.Option(500, "--max-flights", min=1, max=100_000,
                                    help="Refuse selections of more flights than this [1, 100000]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    plot: Path = typer.Option(None, "--plot", help="Write a timeline chart of the first selected flight "
                              "(PNG, SVG or PDF by extension)."),
) -> None:
    """Detection, cue and track times of each threat flight in each sensor, and the fused
    cue and fire-control track of the network.

    Flights are the scenario's threat classes flown from its launch areas to its aim points,
    or burnout states listed in the file (a scenario TOML, which may `extends` a built-in):

    \b
        [[flights]]
        name = "tabriz-rome"
        lat_deg = 38.5         # burnout point, geodetic
        lon_deg = 45.0
        alt_km = 120.0
        speed_kms = 3.2        # Earth-relative
        gamma_deg = 38.0       # above the local horizontal
        heading_deg = 295.0    # clockwise from north
        burnout_time_s = 110.0 # after launch; default 0
        rcs_m2 = 0.1           # beta_kgm2 optional (used with drag)

    Times are seconds after launch; "never" = not within the flight.
    """
    from .. import scenario as scen
    from ..sensors import detect as run_detect

    output_file(plot, "--plot", "timeline.png")
    sc, arch, specs = _read_input(scenario)
    net = _network(sc, network)
    models = scen.models(sc)
    traj, offset, skipped = _flights(sc, arch, specs, models, threat, aim, max_flights, step_s)
    tl = run_detect(traj, net)
    _shift(tl, offset)
    names = [str(x) for x in traj.labels] if traj.labels is not None else [f"flight{i}" for i in range(len(traj))]
    threats = _result(tl, traj, offset, names, list(net.sensors))
    if plot is not None:
        _plot(plot, threats[0], f"{threats[0]['name']} -- {sc.name}, network {net.name!r} "
                                f"(latency {net.latency:g} s)")
    if as_json:
        out = {"scenario": sc.name, "network": net.name, "latency_s": net.latency, "home": list(net.home),
               "step_s": step_s, "threats": threats, "skipped": skipped, "plot": str(plot) if plot else None}
        out.update(provenance({**models.as_dict(), "refraction": scen.refraction_record(sc)}, scenario=sc.name))
        typer.echo(to_json(out))
        return
    _print_table(threats, net.name, net.latency)
    if skipped:
        typer.echo(f"\nSkipped {len(skipped)} flights the class cannot fly "
                   "(beyond its range, or not in the scenario's shape; --json lists them)")
    if plot is not None:
        typer.echo(f"\nTimeline chart of {threats[0]['name']!r}: {plot}")


def _read_input(scenario: str):
    """(scenario, `study.Architecture` or None, [[flights]] specs or None) of ``--scenario``: a
    TOML file (which may list burnout states) or a built-in name."""
    from .. import flights_file
    from .. import scenario as scen
    from .coverage import load_architecture

    path = Path(scenario)
    arch, flights_raw = None, None
    if path.suffix.lower() == ".toml" or path.exists():
        if not path.exists():
            fail("--scenario", f"no such file {path}; built-ins: {', '.join(scen.builtin_names())}")
        try:
            sc, flights_raw = flights_file.read(path)
        except flights_file.FlightsFileError as err:
            fail("--scenario", str(err))
    else:
        arch = load_architecture(scenario, "--scenario")
        sc = arch.scenario
    try:  # the file's own errors first
        specs = None if flights_raw is None else flights_file.flight_specs(flights_raw)
    except flights_file.FlightsFileError as err:
        fail("--scenario", str(err))
    return sc, arch, specs


def _network(sc, network: str | None):
    """The ``--network`` of the scenario, or all its sensors as one system sharing instantly."""
    from .. import scenario as scen
    from ..sensors import Network

    sensors = scen.radars(sc) + scen.launch_detectors(sc)
    if not sensors:
        fail("--scenario", f"scenario {sc.name!r} has no radars or launch detectors")
    if network is None:
        return Network("all-sensors", sensors, 0.0, tuple(s.name for s in sensors))
    nets = {n.name: n for n in scen.networks(sc)}
    if network not in nets:
        fail("--network", f"unknown network {network!r}; allowed: {', '.join(nets) or '(none defined)'}")
    return nets[network]


def _flights(sc, arch, specs, models, threat, aim, max_flights: int, step_s: float):
    """(trajectories, launch-time offsets, skipped pairs): the file's [[flights]] when it lists
    some, else the scenario's threat classes flown to its aim points."""
    from .. import flights_file
    from ..study import Architecture

    if specs is None:
        if arch is None:
            try:
                arch = Architecture.from_scenario(sc)
            except ValueError as err:
                fail("--scenario", " ".join(str(err).split()))
        return _trajectories_from_scenario(arch, threat, aim, max_flights, step_s)
    if threat is not None:
        names = [s["name"] for s in specs]
        specs = [s for s in specs if s["name"] == threat]
        if not specs:
            fail("--threat", f"no flight named {threat!r}; allowed: {', '.join(names)}")
    if len(specs) > max_flights:
        fail("--max-flights", f"{len(specs)} flights, more than --max-flights {max_flights}")
    try:
        traj, offset = flights_file.fly(specs, models, step_s)
    except flights_file.FlightsFileError as err:
        fail("--scenario", str(err))
    return traj, offset, []
