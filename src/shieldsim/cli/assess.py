"""``shieldsim assess``: the main job. What does this architecture do?

Parses the options, runs the library pipeline `shieldsim.assess.assess` with a progress bar per
stage (coverage, engagements, deterrent, cooperation options, claims ledger), writes
``index.html``, ``summary.json`` and the tables (`report.write_report`) and prints a short summary.
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .output import OVERWRITE_HELP, StageProgress, assumptions_option, load_profile_option, scenario_loader, writable_dir


@app.command()
def assess(
    scenario: str = typer.Argument("epaa-2018", help="Built-in scenario name or scenario TOML file."),
    out: Path = typer.Option(Path("shieldsim-report"), "--out", help="Folder for the report and data files."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    grid_deg: float = typer.Option(None, "--grid-deg", min=0.05, max=10,
                                   help="Coverage grid spacing, degrees (default: the scenario's) [0.05, 10]."),
    workers: int = typer.Option(None, "--workers", min=0, max=64,
                                help="Run coverage batches on a local Dask cluster of N processes; 0 (the default) "
                                     "runs them in this process [0, 64]."),
    cooperation: bool = typer.Option(True, "--cooperation/--no-cooperation",
                                     help="Compare NATO alone, separate systems sharing data, and sectors."),
    deterrent: bool = typer.Option(True, "--deterrent/--no-deterrent", help="Answer the deterrent question."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars on stderr."),
    assumptions: str = assumptions_option(),
    claims: bool = typer.Option(True, "--claims/--no-claims", help=(
        "Test the claims ledger and give the NATO-Europe headline under the scenario alone and every built-in "
        "assumption profile, on a coarse grid (the coverage grid, at least 2 degrees).")),
) -> None:
    """Assess an architecture: coverage, engagements, deterrent, cooperation, claims; write a report."""
    from .. import scenario as scen
    from ..assess import assess as assess_pipeline
    from .coverage import load_architecture

    profile = load_profile_option(assumptions)
    arch = load_architecture(scenario, profile=profile)
    writable_dir(out, overwrite=overwrite)
    run = assess_pipeline(arch, out / "data", grid_deg, cooperation, deterrent, workers, load=scenario_loader(profile),
                          claims=claims, claims_scenario=scen.load(scenario) if claims else None, profile=profile,
                          progress=stage_progress(progress))
    assessment = run.assessment
    from ..report import summary_dict, write_report

    index = write_report(out, assessment)
    typer.echo(summary_text(summary_dict(assessment)))
    typer.echo(f"Report: {index}")


def stage_progress(enabled: bool):
    """The ``progress`` factory `assess.assess` takes: one `StageProgress` per stage prefix."""
    return lambda prefix: StageProgress(enabled, prefix)


def summary_text(summary: dict) -> str:
    """The short table printed at the end of ``assess``."""
    from ..report import summary_lines

    lines = summary_lines(summary)
    width = max((len(k) for k, _ in lines), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)
