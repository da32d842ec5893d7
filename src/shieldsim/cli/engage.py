"""``shieldsim engage``: per threat flight of a scenario, the engagement timeline of every
battery -- launch, burnout, cue, fire-control track, interceptor launch, intercept window,
shoot-look-shoot opportunities, kill probability, impact -- and a plot of it.

Flights: the scenario's threat classes from its launch areas to its aim points
(`study.scenario_flights`: pairs beyond a class's reach, or that it cannot fly in the
scenario's shape, are skipped). Tracks and engagements: `study.engage_flights` (the network
each battery fires on, its ``launch_on``/``engage_on`` posture and guidance window).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from . import app
from ..units import from_si
from .output import assumptions_option, fail, load_profile_option, output_file, provenance, to_json

_MAX_TEXT_FLIGHTS = 20


_OPTIONS = {"scenario": "--scenario", "threat": "--threat", "area": "--area", "target": "--target",
            "max_flights": "--max-flights"}


def _flights(arch, threat, area, target, step, max_flights):
    """(Trajectory, labels, skipped) of the selected class x launch point x aim point flights
    (`study.scenario_flights`), or a one-line error naming the option at fault."""
    from ..study import SelectionError, scenario_flights

    try:
        return scenario_flights(arch, threat, area, target, step=step, max_flights=max_flights)
    except SelectionError as err:
        hint = "; narrow with --threat / --area / --target or raise --max-flights" if err.what == "max_flights" else ""
        fail(_OPTIONS[err.what], f"{err}{hint}")


def _engage(arch, traj, kill_assessment):
    """(`engagement.Engagement`, `study.Tracks`) of the flights (`study.engage_flights`) and,
    per network used, its (cue, track, track_on) times and what the track was formed on."""
    from ..study import engage_flights

    try:
        e, tracks = engage_flights(arch, traj, kill_assessment=kill_assessment)
    except ValueError as err:
        fail("--scenario", str(err))
    return e, tracks, {name: (tl.cue_time, tl.track_time, tl.track_on) for name, tl in tracks.timelines.items()}


def _num(x):
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _window(engage_on, window):
    """JSON of a battery's guidance window: None = unconstrained (``engage_on = "remote"``),
    [] = its own radars never hold the threat, else [earliest, latest] intercept time, s."""
    if engage_on == "remote":
        return None
    lo, hi = float(window[0]), float(window[1])
    return [lo, hi] if math.isfinite(lo) and math.isfinite(hi) else []


@app.command()
def engage(
    scenario: str = typer.Option("epaa-2018", "--scenario", help="Built-in scenario name or a scenario TOML file."),
    threat: str = typer.Option(None, "--threat", help="Only this threat class of the scenario (default: all)."),
    area: str = typer.Option(None, "--area", help="Only this launch area of the scenario (default: all)."),
    target: str = typer.Option(None, "--target", help="Only this aim point of the scenario (default: all)."),
    kill_assessment: float = typer.Option(30.0, "--kill-assessment-s", min=0, max=3600,
                                          help="Seconds from an intercept to the next shoot-look-shoot launch [0, 3600]."),
    step: float = typer.Option(2.0, "--step-s", min=0.1, max=30, help="Threat sample step, seconds [0.1, 30]."),
    max_flights: int = typer.Option(500, "--max-flights", min=1, max=100000, help="Refuse more flights than this [1, 100000]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    plot: Path = typer.Option(None, "--plot", help="Write a plot (PNG/PDF/SVG) of the first flight listed: threat "
                                                   "altitude and each engaging battery's fastest interceptor arc to its first "
                                                   "opportunity against time, intercept windows shaded."),
    assumptions: str = assumptions_option(),
) -> None:
    """Engagement timelines of a scenario's threats against its batteries."""
    from ..assumptions import record

    output_file(plot, "--plot", "timeline.png")
    from .coverage import load_architecture

    arch = load_architecture(scenario, "--scenario", load_profile_option(assumptions))
    sc, batteries, bat_nets = arch.scenario, arch.batteries, arch.battery_networks
    if not batteries:
        fail("--scenario", f"scenario {sc.name!r} has no batteries")
    traj, labels, skipped = _flights(arch, threat, area, target, step, max_flights)
    e, tracks, per_net = _engage(arch, traj, kill_assessment)

    flights = []
    for i, label in enumerate(labels):
        nets = {name: {"cue_s": _num(c[i]), "track_s": _num(t[i]), "track_on": str(on[i]) or None}
                for name, (c, t, on) in per_net.items()}
        rows = []
        for j, b in enumerate(batteries):
            rows.append({
                "battery": b.name, "interceptor": b.interceptor.name, "network": bat_nets[j], "side": b.side,
                "doctrine": b.doctrine, "launch_on": b.launch_on, "engage_on": b.engage_on,
                "track_s": _num(tracks.track_time[i, j]), "track_sensor": tracks.track_sensor[i, j] or None,
                "guidance_window_s": _window(b.engage_on, tracks.intercept_window[i, j]),
                "engageable": bool(e.engageable[i, j]),
                "launch_earliest_s": _num(e.launch_earliest[i, j]), "launch_latest_s": _num(e.launch_latest[i, j]),
                "intercept_first_s": _num(e.intercept_first[i, j]), "intercept_last_s": _num(e.intercept_last[i, j]),
                "first_alt_km": _num(from_si("first_alt_km", e.first_alt[i, j])),
                "first_lat_deg": _num(from_si("first_lat_deg", e.first_lat[i, j])),
                "first_lon_deg": _num(from_si("first_lon_deg", e.first_lon[i, j])),
                "shots": int(e.shots[i, j]), "kill_probability": float(e.kill_probability[i, j]),
            })
        flights.append({
            "flight": label,
            "launch_time_s": float(traj.launch_time[i]),
            "burnout_s": _num(traj.burnout_time[i]),
            "apogee_km": _num(from_si("apogee_km", traj.apogee_alt[i])), "apogee_s": _num(traj.apogee_time[i]),
            "impact_s": _num(traj.impact_time[i]),
            "ground_range_km": _num(from_si("ground_range_km", traj.ground_range[i])),
            "networks": nets,
            "batteries": rows,
        })
    result = {"scenario": sc.name, "kill_assessment_s": kill_assessment, "step_s": step,
              "times": "seconds after each threat's launch", "flights": flights, "skipped_out_of_range": skipped}
    if plot is not None:
        _plot(plot, traj, batteries, e, per_net)
        result["plot"] = str(plot)
    from ..scenario import refraction_record

    models = {**traj.models.as_dict(), "refraction": refraction_record(sc)}
    result.update(provenance(models, scenario=sc.name, assumptions=record(sc)))
    if as_json:
        typer.echo(to_json(result))
        return
    _print_text(result, len(flights))


def _print_text(result, n):
    def t(x):
        return "   -   " if x is None else f"{x:7.1f}"

    typer.echo(f"Scenario {result['scenario']}: {n} flights, times in s after each threat's launch "
               f"(kill assessment {result['kill_assessment_s']:g} s)")
    if result.get("assumptions"):
        from ..assumptions import summary_text

        typer.echo(f"Assumptions {summary_text(result['assumptions'])}")
    for f in result["flights"][:_MAX_TEXT_FLIGHTS]:
        nets = ", ".join(f"{k}: cue {t(v['cue_s']).strip()} track {t(v['track_s']).strip()}"
                         + (f" (on the {v['track_on']})" if v.get("track_on") else "")
                         for k, v in f["networks"].items())
        typer.echo(f"\n{f['flight']}  ({f['ground_range_km']:.0f} km, apogee {f['apogee_km']:.0f} km)")
        typer.echo(f"  launch 0.0 | burnout {t(f['burnout_s']).strip()} | {nets} | impact {t(f['impact_s']).strip()}")
        typer.echo(f"  {'battery':18s} {'interceptor':16s} {'on track of':16s} {'launch':>7s} {'latest':>7s} "
                   f"{'first':>7s} {'last':>7s} {'alt km':>7s} {'shots':>5s} {'Pk':>5s}")
        for r in f["batteries"]:
            alt = "   -   " if r["first_alt_km"] is None else f"{r['first_alt_km']:7.0f}"
            typer.echo(f"  {r['battery'][:18]:18s} {r['interceptor'][:16]:16s} {(r['track_sensor'] or '-')[:16]:16s} "
                       f"{t(r['launch_earliest_s'])} "
                       f"{t(r['launch_latest_s'])} {t(r['intercept_first_s'])} {t(r['intercept_last_s'])} {alt} "
                       f"{r['shots']:5d} {r['kill_probability']:5.2f}")
    if n > _MAX_TEXT_FLIGHTS:
        typer.echo(f"\n... {n - _MAX_TEXT_FLIGHTS} more flights (use --json for all)")
    if result["skipped_out_of_range"]:
        typer.echo(f"\nSkipped {len(result['skipped_out_of_range'])} flights the class cannot fly "
                   "(beyond its range, or not in the scenario's shape; --json lists them)")
    if "plot" in result:
        typer.echo(f"Plot {result['plot']}")
    m = result["models"]
    typer.echo(f"Models earth={m['earth']} rotation={m['rotation']} drag={m['drag']} "
               f"refraction={', '.join(sorted(set(m.get('refraction', {}).values()))) or '-'}")


def _plot(path: Path, traj, batteries, e, per_net) -> None:
    """Write `plots.engagement_timeline_figure` of flight 0 to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import engagement_timeline_figure

    fig = engagement_timeline_figure(traj, batteries, e, {k: v[:2] for k, v in per_net.items()})  # cue, track
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as err:
        fail("--plot", f"cannot write {path}: {err}")
    finally:
        plt.close(fig)
