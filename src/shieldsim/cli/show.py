"""``shieldsim show``: print a scenario as TOML, ready to copy and edit."""

from __future__ import annotations

import typer

from . import app


@app.command()
def show(
    name: str = typer.Argument("epaa-2018", help="Built-in scenario name (see `shieldsim scenarios`) or a TOML file."),
    raw: bool = typer.Option(False, "--raw", help="Print the built-in file as shipped (it may use `extends`) "
                                                  "instead of the fully resolved scenario."),
) -> None:
    """Print a scenario as TOML. The output validates when loaded back (`shieldsim validate`)."""
    from pathlib import Path

    from .. import scenario as sc_mod
    from .output import fail

    builtins = sc_mod.builtin_names()
    if raw:
        if name not in builtins:
            fail("NAME", f"--raw needs a built-in scenario; allowed: {', '.join(builtins)}")
        typer.echo(sc_mod.builtin_text(name), nl=False)
        return
    if name not in builtins and not Path(name).exists():
        fail("NAME", f"{name!r} is neither a built-in scenario nor a file; allowed: {', '.join(builtins)}")
    try:
        sc = sc_mod.load(name)
    except sc_mod.ScenarioError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    header = (f"# shieldsim scenario '{_printable(sc.name)}', fully resolved"
              + (f" from {_printable(' <- '.join([sc.name] + sc.based_on))}" if sc.based_on else "")
              + ".\n# Edit and check with `shieldsim validate FILE`. Each `source` covers the figures of its table.\n")
    typer.echo(header + sc_mod.dump(sc), nl=False)


def _printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``), for a TOML comment or a terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
