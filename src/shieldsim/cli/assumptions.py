"""``shieldsim assumptions``: list the built-in assumption profiles, or show one profile's
overrides with their values and sources."""

from __future__ import annotations

import textwrap

import typer

from . import app
from .output import load_profile_option, provenance, to_json


@app.command()
def assumptions(
    name: str = typer.Argument(None, help="A built-in profile name or a profile TOML file to show (default: list "
                                          "the built-ins)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """List the assumption profiles, or show each override of one with its value and source."""
    from .. import assumptions as mod

    if name is None:
        rows = []
        for builtin in mod.builtin_profiles():
            p = mod.load_profile(builtin)
            rows.append({"name": p.name, "title": p.title, "overrides": len(p.overrides)})
        if as_json:
            typer.echo(to_json({"profiles": rows, **provenance()}))
            return
        width = max((len(r["name"]) for r in rows), default=4)
        typer.echo(f"{'name':<{width}}  {'overrides':>9}  title")
        for r in rows:
            typer.echo(f"{r['name']:<{width}}  {r['overrides']:>9}  {r['title']}")
        typer.echo("\nShow one with: shieldsim assumptions NAME; apply one with --assumptions NAME on coverage, "
                   "engage, deterrent, raid, assess or compare.")
        return
    profile = load_profile_option(name, "NAME")
    if as_json:
        typer.echo(to_json({"profile": profile.as_dict(), **provenance()}))
        return
    typer.echo(f"{profile.name}: {profile.title}" if profile.title else profile.name)
    typer.echo(f"({profile.origin}, {len(profile.overrides)} override(s))")
    for para in [p for p in profile.description.strip().split("\n\n") if p.strip()]:
        typer.echo("\n" + textwrap.fill(" ".join(para.split()), width=100))
    for i, o in enumerate(profile.overrides):
        what = f"= {o.value!r}" if o.factor is None else f"x {o.factor:g}"
        typer.echo(f"\n[{i}] {o.path} {what}")
        typer.echo(textwrap.fill(" ".join(o.source.split()), width=100, initial_indent="    source: ",
                                 subsequent_indent="    "))
