"""``shieldsim explore``: an interactive, offline map of the shield in the browser (see
docs/explore.md and the `shieldsim.explore` package)."""

from __future__ import annotations

import typer

from . import app
from .output import fail


@app.command()
def explore(
    scenario: str = typer.Argument("epaa-2018", help="Built-in scenario to start with (others can be chosen or uploaded on the page)."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="TCP port; 0 picks a free one [0, 65535]."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; the default serves this machine only."),
    grid_deg: float = typer.Option(1.0, "--grid-deg", min=0.25, max=5, help="Initial grid spacing, degrees [0.25, 5]."),
    threat_area: str = typer.Option("all", "--threat-area", help="Initial threat area: 'all' or one launch area of the scenario."),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the page in a web browser when one is available."),
    workers: int = typer.Option(None, "--workers", min=0, max=64, help="Fly the threat flights on a local Dask cluster "
                                                                      "of N processes (0 or unset: in this process) [0, 64]."),
    scheduler: str = typer.Option(None, "--scheduler", help="Fly the threat flights on an existing Dask scheduler, "
                                                            "e.g. tcp://host:8786."),
) -> None:
    """Start the local web application and print its address; Ctrl-C stops it. Works with no
    network: every script, style and map layer ships inside shieldsim. Recomputation runs in
    this process; with --workers or --scheduler the flights (most of a first load) run on Dask."""
    from .. import scenario as scen
    from .output import check_workers, open_executor

    check_workers(workers, scheduler)

    if scenario not in scen.builtin_names():
        fail("SCENARIO", f"unknown built-in scenario {scenario!r}; allowed: {', '.join(scen.builtin_names())} "
                         "(upload other scenario files on the page)")
    areas = scen.load(scenario).launch_areas
    if threat_area != "all" and threat_area not in areas:
        fail("--threat-area", f"unknown threat area {threat_area!r}; allowed: all, {', '.join(areas)}")
    from ..explore.server import Server

    with open_executor(workers, scheduler, None, "shieldsim explore") as executor:
        try:
            server = Server(host=host, port=port, scenario=scenario, grid_deg=grid_deg, threat_area=threat_area,
                            executor=executor if (workers or scheduler) else None)
        except OSError as err:
            option = "--port" if "address already in use" in str(err).lower() else "--host"
            fail(option, f"cannot listen on {host}:{port}: {err.strerror or err}")
        where = f" (flights on {'a local Dask cluster of ' + str(workers) + ' workers' if workers else scheduler})" \
            if (workers or scheduler) else ""
        typer.echo(f"shieldsim explore: serving {server.url}{where} (Ctrl-C stops)")
        if browser:
            import webbrowser

            try:
                webbrowser.open(server.url)
            except webbrowser.Error:
                pass
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("shieldsim explore: stopped")
