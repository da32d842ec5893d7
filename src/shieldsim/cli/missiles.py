"""``shieldsim missiles``: the built-in threat catalogue with the source of every figure."""

from __future__ import annotations

import typer

from . import app
from ..units import from_si
from .output import provenance, to_json


@app.command()
def missiles(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    sources: bool = typer.Option(True, "--sources/--no-sources", help="Show the source of every figure."),
) -> None:
    """List the built-in threat classes: stages, burn times, burnout speed, re-entry vehicle
    and published range, each with its public source."""
    from ..missile import catalogue

    cat = catalogue()
    rows = []
    body_source = ("radars see the missile body until the re-entry vehicle separates at burnout: "
                       "shieldsim.missile.BODY_RCS (1 m^2, low end of the 1-10 m^2 order of magnitude for a "
                       "booster body; modelling assumption, no public value found), never below rcs_m2")
    for name, m in cat.items():
        rows.append({
            "name": name,
            "description": m.description,
            "propulsion": m.propulsion,
            "stages": len(m.stage_burn_times),
            "stage_burn_times_s": list(m.stage_burn_times),
            "burnout_speed_kms": from_si("burnout_speed_kms", m.burnout_speed),
            "beta_kgm2": m.beta,
            "rcs_m2": m.rcs,
            "body_rcs_m2": max(m.body_rcs, m.rcs),
            "published_range_km": from_si("published_range_km", m.published_range),
            "source": {"body_rcs_m2": body_source, **dict(m.sources)},
        })
    if as_json:
        typer.echo(to_json({"missiles": rows, "models": None, "version": provenance()["version"]}))
        return
    lines = [f"{'class':8s} {'stages':>6s} {'burn s':>14s} {'v_bo km/s':>9s} {'beta kg/m2':>10s} "
             f"{'RCS m2':>6s} {'range km':>8s}  description"]
    for r in rows:
        burn = "+".join(f"{t:g}" for t in r["stage_burn_times_s"])
        lines.append(f"{r['name']:8s} {r['stages']:6d} {burn:>14s} {r['burnout_speed_kms']:9.2f} {r['beta_kgm2']:10,.0f} "
                     f"{r['rcs_m2']:6.2f} {r['published_range_km']:8,.0f}  {r['description']}")
    if sources:
        for r in rows:
            lines.append(f"\n{r['name']}:")
            for key, text in r["source"].items():
                lines.append(f"  {key}: {text}")
    typer.echo("\n".join(lines))
