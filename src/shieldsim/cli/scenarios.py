"""``shieldsim scenarios``: list the built-in scenarios, one line each."""

from __future__ import annotations

import typer

from . import app


@app.command()
def scenarios(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {name, title, default}."),
) -> None:
    """List the built-in scenarios (the default is marked with *)."""
    import tomllib

    from .. import scenario as sc_mod
    from .output import provenance, to_json

    rows = []
    for name in sc_mod.builtin_names():
        title = tomllib.loads(sc_mod.builtin_text(name)).get("title", "")
        rows.append({"name": name, "title": title, "default": name == sc_mod.DEFAULT})
    if as_json:
        typer.echo(to_json({"scenarios": rows, **provenance()}))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "*" if r["default"] else " "
        typer.echo(f"{mark} {r['name']:<{width}}  {r['title']}")
