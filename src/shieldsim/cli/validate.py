"""``shieldsim validate``: check a scenario file and list every problem at once."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app


@app.command()
def validate(
    file: Path = typer.Argument(..., help="Scenario TOML file to check (or a built-in scenario name)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: valid, scenario, errors."),
) -> None:
    """Check a scenario file: every error with its field path, the bad value and what is allowed
    (exit code 2), or a one-line summary of the valid scenario."""
    from .. import scenario as sc_mod
    from .output import provenance, to_json

    target = str(file)
    try:
        sc = sc_mod.load(target if (not file.exists() and target in sc_mod.builtin_names()) else file)
    except sc_mod.ScenarioError as err:
        if as_json:
            typer.echo(to_json({"valid": False, "file": target,
                                "errors": [{"path": i.path, "value": None if i.value is sc_mod._NOTHING else repr(i.value),
                                            "allowed": i.allowed} for i in err.issues],
                                **provenance()}))
        else:
            typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    summary = {"valid": True, "file": target, "name": sc.name, "based_on": sc.based_on,
               "radars": len(sc.radars), "launch_detectors": len(sc.launch_detectors),
               "networks": len(sc.networks), "batteries": len(sc.batteries), "threats": len(sc.threats),
               "launch_areas": len(sc.launch_areas), "aim_points": len(sc.aim_points), "sectors": len(sc.sectors)}
    if as_json:
        summary["unsourced_tables"] = sc_mod.unsourced_tables(sc)
        typer.echo(to_json({**summary, **provenance(models=sc.models.model_dump(), scenario=sc.name)}))
        return
    parts = ", ".join(f"{summary[k]} {k.replace('_', ' ')}" for k in
                      ("radars", "launch_detectors", "networks", "batteries", "threats", "launch_areas",
                       "aim_points", "sectors") if summary[k])
    based = f" (based on {' <- '.join(sc.based_on)})" if sc.based_on else ""
    typer.echo(f"{target}: valid scenario '{sc.name}'{based}: {parts or 'empty'}")
    missing = sc_mod.unsourced_tables(sc)
    if missing:
        typer.echo(f"note: {len(missing)} table(s) hold figures without a `source`: {', '.join(missing)}", err=True)
