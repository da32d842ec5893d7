"""``shieldsim engage``: per threat flight of a scenario, the engagement timeline of every
battery -- launch, burnout, cue, fire-control track, interceptor launch, intercept window,
shoot-look-shoot opportunities, kill probability, impact -- and a plot of it.

Flights: the scenario's threat classes from its launch areas to its aim points, flown with
`trajectory.aim` (targets beyond a class's range from a launch point are skipped). Tracks:
`sensors.detect` on the network each battery fires on. Engagements: `engagement.engage`.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from . import app
from .output import fail, provenance, to_json

_MAX_TEXT_FLIGHTS = 20


def _flights(sc, threat, area, target, step, max_flights):
    """(Trajectory, labels, skipped) of the selected class x launch point x aim point flights."""
    import numpy as np

    from .. import scenario as scen
    from .. import trajectory as trj
    from ..earth import geodesic_inverse

    if not sc.threats or not sc.launch_areas or not sc.aim_points:
        fail("--scenario", f"scenario {sc.name!r} defines no threats, launch areas or aim points to fly")
    if threat is not None and threat not in sc.threats:
        fail("--threat", f"unknown threat class {threat!r}; allowed: {', '.join(sc.threats)}")
    if area is not None and area not in sc.launch_areas:
        fail("--area", f"unknown launch area {area!r}; allowed: {', '.join(sc.launch_areas)}")
    if target is not None and target not in sc.aim_points:
        fail("--target", f"unknown aim point {target!r}; allowed: {', '.join(sc.aim_points)}")
    models = scen.models(sc)
    missiles = scen.missiles(sc)
    targets = scen.aim_points(sc)
    keep = [i for i, n in enumerate(targets.names) if target is None or n == target]
    jobs = []
    for a_name, a in sc.launch_areas.items():
        if area is not None and a_name != area:
            continue
        pts = scen.launch_points(sc, a_name)
        for cls in a.threats:
            if threat is None or cls == threat:
                jobs.append((cls, pts))
    if not jobs:
        fail("--threat", f"no selected launch area launches {threat!r}")
    total = sum(len(p.names) for _, p in jobs) * len(keep)
    if total > max_flights:
        fail("--max-flights", f"{total} flights selected, more than --max-flights {max_flights}; "
                              "narrow with --threat / --area / --target or raise --max-flights")
    parts, labels, skipped = [], [], []
    for cls, pts in jobs:
        li, ti = np.meshgrid(np.arange(len(pts.names)), np.asarray(keep, dtype=int), indexing="ij")
        li, ti = li.ravel(), ti.ravel()
        lat, lon, tlat, tlon = pts.lat[li], pts.lon[li], targets.lat[ti], targets.lon[ti]
        dist, az = geodesic_inverse(lat, lon, tlat, tlon, models.earth)
        reach, _ = trj.max_range(missiles[cls], lat, lon, az, models)
        ok = (dist <= reach * 0.999) & (dist >= 10e3)
        for a, b in zip(li[~ok], ti[~ok]):
            skipped.append(f"{cls} {pts.names[a]} -> {targets.names[b]}")
        if not ok.any():
            continue
        spec = sc.threats[cls]
        apogee = spec.apogee_km * 1e3 if spec.apogee_km is not None else None
        try:
            parts.append(trj.aim(lat[ok], lon[ok], tlat[ok], tlon[ok], missiles[cls], models, kind=spec.trajectory,
                                 apogee=apogee, sample_step=step))
        except ValueError as err:
            fail("--threat", f"cannot fly {cls}: {err}")
        labels += [f"{cls} {pts.names[a]} -> {targets.names[b]}" for a, b in zip(li[ok], ti[ok])]
    if not parts:
        fail("--target", "every selected target is beyond the selected threat classes' range")
    traj = trj.Trajectory.concat(parts)
    traj.labels = np.array(labels, dtype=object)
    return traj, labels, skipped


def _track_times(sc, traj, batteries):
    """(N, B) fire-control track times and, per network used, its (cue, track) times."""
    import numpy as np

    from .. import scenario as scen
    from ..sensors import detect

    nets = {n.name: n for n in scen.networks(sc)}
    names = scen.battery_networks(sc)
    per_net = {}
    for name in dict.fromkeys(names):
        if name not in nets:
            fail("--scenario", f"battery network {name!r} is not defined; allowed: {', '.join(nets)}")
        tl = detect(traj, nets[name])
        per_net[name] = (tl.cue_time, tl.track_time)
    track = np.stack([per_net[n][1] for n in names], axis=1) if names else np.empty((len(traj), 0))
    return track, per_net, names


def _num(x):
    return None if x is None or not math.isfinite(float(x)) else float(x)


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
    plot: Path = typer.Option(None, "--plot", help="Write a plot (PNG/PDF/SVG) of the first flight listed: threat altitude and each engaging battery's fastest interceptor arc to its first opportunity against time, intercept windows shaded."),
) -> None:
    """Engagement timelines of a scenario's threats against its batteries."""
    import numpy as np

    from .. import scenario as scen
    from ..engagement import engage as run_engage

    try:
        sc = scen.load(scenario)
    except scen.ScenarioError as err:
        fail("--scenario", str(err).replace("\n", "; "))
    batteries = scen.batteries(sc)
    if not batteries:
        fail("--scenario", f"scenario {sc.name!r} has no batteries")
    traj, labels, skipped = _flights(sc, threat, area, target, step, max_flights)
    track, per_net, bat_nets = _track_times(sc, traj, batteries)
    e = run_engage(traj, batteries, track, kill_assessment=kill_assessment)

    flights = []
    for i, label in enumerate(labels):
        nets = {name: {"cue_s": _num(c[i]), "track_s": _num(t[i])} for name, (c, t) in per_net.items()}
        rows = []
        for j, b in enumerate(batteries):
            rows.append({
                "battery": b.name, "interceptor": b.interceptor.name, "network": bat_nets[j], "side": b.side,
                "doctrine": b.doctrine, "engageable": bool(e.engageable[i, j]),
                "launch_earliest_s": _num(e.launch_earliest[i, j]), "launch_latest_s": _num(e.launch_latest[i, j]),
                "intercept_first_s": _num(e.intercept_first[i, j]), "intercept_last_s": _num(e.intercept_last[i, j]),
                "first_alt_km": _num(e.first_alt[i, j] / 1e3),
                "first_lat_deg": _num(math.degrees(e.first_lat[i, j])),
                "first_lon_deg": _num(math.degrees(e.first_lon[i, j])),
                "shots": int(e.shots[i, j]), "kill_probability": float(e.kill_probability[i, j]),
            })
        flights.append({
            "flight": label,
            "launch_time_s": float(traj.launch_time[i]),
            "burnout_s": _num(traj.burnout_time[i]),
            "apogee_km": _num(traj.apogee_alt[i] / 1e3), "apogee_s": _num(traj.apogee_time[i]),
            "impact_s": _num(traj.impact_time[i]), "ground_range_km": _num(traj.ground_range[i] / 1e3),
            "networks": nets,
            "batteries": rows,
        })
    result = {"scenario": sc.name, "kill_assessment_s": kill_assessment, "step_s": step,
              "times": "seconds after each threat's launch", "flights": flights, "skipped_out_of_range": skipped}
    if plot is not None:
        _plot(plot, traj, batteries, e, per_net)
        result["plot"] = str(plot)
    result.update(provenance(traj.models.as_dict(), scenario=sc.name))
    if as_json:
        typer.echo(to_json(result))
        return
    _print_text(result, len(flights))


def _print_text(result, n):
    def t(x):
        return "   -   " if x is None else f"{x:7.1f}"

    typer.echo(f"Scenario {result['scenario']}: {n} flights, times in s after each threat's launch "
               f"(kill assessment {result['kill_assessment_s']:g} s)")
    for f in result["flights"][:_MAX_TEXT_FLIGHTS]:
        nets = ", ".join(f"{k}: cue {t(v['cue_s']).strip()} track {t(v['track_s']).strip()}" for k, v in f["networks"].items())
        typer.echo(f"\n{f['flight']}  ({f['ground_range_km']:.0f} km, apogee {f['apogee_km']:.0f} km)")
        typer.echo(f"  launch 0.0 | burnout {t(f['burnout_s']).strip()} | {nets} | impact {t(f['impact_s']).strip()}")
        typer.echo(f"  {'battery':18s} {'interceptor':16s} {'launch':>7s} {'latest':>7s} {'first':>7s} {'last':>7s} "
                   f"{'alt km':>7s} {'shots':>5s} {'Pk':>5s}")
        for r in f["batteries"]:
            alt = "   -   " if r["first_alt_km"] is None else f"{r['first_alt_km']:7.0f}"
            typer.echo(f"  {r['battery'][:18]:18s} {r['interceptor'][:16]:16s} {t(r['launch_earliest_s'])} "
                       f"{t(r['launch_latest_s'])} {t(r['intercept_first_s'])} {t(r['intercept_last_s'])} {alt} "
                       f"{r['shots']:5d} {r['kill_probability']:5.2f}")
    if n > _MAX_TEXT_FLIGHTS:
        typer.echo(f"\n... {n - _MAX_TEXT_FLIGHTS} more flights (use --json for all)")
    if result["skipped_out_of_range"]:
        typer.echo(f"\nSkipped {len(result['skipped_out_of_range'])} flights beyond the class's range")
    if "plot" in result:
        typer.echo(f"Plot {result['plot']}")
    m = result["models"]
    typer.echo(f"Models earth={m['earth']} rotation={m['rotation']} drag={m['drag']}")


def _plot(path: Path, traj, batteries, e, per_net) -> None:
    """Threat altitude against time for flight 0, each battery's first interceptor arc, the
    intercept windows shaded, cue and track marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..earth import to_geodetic
    from ..engagement import interceptor_altitude

    i = 0
    pos = traj.position[i]
    ok = np.isfinite(pos[:, 0])
    alt = np.full(pos.shape[0], np.nan)
    alt[ok] = to_geodetic(pos[ok], traj.models.earth)[2]
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.plot(traj.time[ok], alt[ok] / 1e3, color="k", lw=2, label=f"threat: {traj.labels[i]}")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, b in enumerate(batteries):
        if not e.engageable[i, j]:
            continue
        c = colors[j % len(colors)]
        ax.axvspan(e.intercept_first[i, j], e.intercept_last[i, j], color=c, alpha=0.15)
        # the fastest arc to the first opportunity (launched as late as that allows)
        t_i, h_i = interceptor_altitude(traj, b, i, None, e.intercept_first[i, j])
        if t_i.size:
            ax.plot(t_i, h_i / 1e3, color=c, lw=1.5,
                    label=f"{b.name} ({b.interceptor.name}): launch {t_i[0]:.0f} s, window "
                          f"{e.intercept_first[i, j]:.0f}-{e.intercept_last[i, j]:.0f} s, {e.shots[i, j]} shot(s)")
    for name, (cue, track) in per_net.items():
        if np.isfinite(cue[i]):
            ax.axvline(cue[i], color="0.5", ls=":", lw=1)
            ax.text(cue[i], ax.get_ylim()[1] * 0.97, f" cue ({name})", fontsize=7, va="top", color="0.4")
        if np.isfinite(track[i]):
            ax.axvline(track[i], color="0.3", ls="--", lw=1)
            ax.text(track[i], ax.get_ylim()[1] * 0.9, f" track ({name})", fontsize=7, va="top", color="0.2")
    ax.set_xlabel("time after threat launch (s)")
    ax.set_ylabel("altitude (km)")
    ax.set_ylim(bottom=0)
    ax.set_title("Engagement timeline (shaded: intercept windows)")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as err:
        fail("--plot", f"cannot write {path}: {err}")
    finally:
        plt.close(fig)
