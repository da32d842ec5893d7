"""``shieldsim assess``: the main job. What does this architecture do?

Parses the options, runs the library pipeline `shieldsim.assess.assess` with a progress bar per
stage (coverage, engagements, deterrent, cooperation options, claims ledger), writes
``index.html``, ``summary.json`` and the tables (`report.write_report`) and prints a short summary.
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app, ensemble_run
from .output import OVERWRITE_HELP, StageProgress, assumptions_option, load_profile_option, scenario_loader


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
    ensemble: int = ensemble_run.ensemble_option(),
    seed: int = ensemble_run.seed_option(),
    ensemble_method: str = ensemble_run.method_option(),
    resume: Path = ensemble_run.resume_option(),
    concurrent: bool = typer.Option(True, "--concurrent/--serial", help=(
        "Compute the deterrent section in a second process while this one computes coverage and the claims "
        "ledger, sharing their batches (serial on one core, with --workers, on a cold Numba cache, or with "
        "SHIELDSIM_SERIAL=1).")),
) -> None:
    """Assess an architecture: coverage, engagements, deterrent, cooperation, claims; write a report."""
    from .. import compile_ahead
    from .. import scenario as scen
    from ..assess import assess as assess_pipeline
    from ..assess import second_process
    from .coverage import load_architecture
    from .output import check_workers, fail

    profile = load_profile_option(assumptions)
    load = scenario_loader(profile)
    # on a cold cache the compile helper has the second core: stages stay serial then;
    # else the second process starts now, its start-up beside the scenario loads here
    with compile_ahead.ahead(workers) as helper, \
            second_process(workers, load, deterrent or claims, concurrent and not helper.blocks_concurrency) as aside:
        arch = load_architecture(scenario, profile=profile)
        if resume is not None and ensemble is None:
            fail("--resume", "continues an ensemble: give --ensemble N (and the run's other options) too")
        check_workers(workers, None)
        prepared = ensemble_run.prepare(ensemble_scenarios(scenario, cooperation, deterrent), profile, ensemble, seed,
                                        ensemble_method) if ensemble else None
        out, _ = ensemble_run.out_folder(out, resume, overwrite)
        run = assess_pipeline(arch, out / "data", grid_deg, cooperation, deterrent, workers, load=load, claims=claims,
                              claims_scenario=scen.load(scenario) if claims else None, profile=profile,
                              progress=stage_progress(progress), aside=aside)
    assessment = run.assessment
    from dataclasses import replace

    from ..report import summary_dict, write_report

    if ensemble:
        assessment = replace(assessment, uncertainty=assessment_ensemble(
            scenario, grid_deg, cooperation, deterrent, profile, prepared, workers, out, progress, assumptions))
    else:
        assessment.not_computed.setdefault("how-sure", "no uncertainty ensemble in this run (give --ensemble N)")
    index = write_report(out, assessment)
    typer.echo(summary_text(summary_dict(assessment)))
    if ensemble:
        typer.echo(ensemble_run.table(assessment.uncertainty.ensemble))
    typer.echo(f"Report: {index}")


def ensemble_scenarios(scenario: str, cooperation: bool, deterrent: bool) -> list:
    """The scenarios whose uncertain figures the assessment's ensemble draws (as written, no profile)."""
    from .. import scenario as scen
    from ..assess import DETERRENT_SCENARIO
    from ..study import COOPERATION_OPTIONS, DETERRENT_PHASES

    names = [scenario] + ([n for _, n in COOPERATION_OPTIONS] if cooperation else []) + \
        ([DETERRENT_SCENARIO, *DETERRENT_PHASES] if deterrent else [])
    return [scen.load(n) for n in dict.fromkeys(names)]


def assessment_ensemble(scenario: str, grid_deg, cooperation: bool, deterrent: bool, profile, prepared, workers,
                        out: Path, progress: bool, assumptions: str | None):
    """The uncertainty ensemble of the assessment's headlines (`headlines.assessment`), for the
    report's "How sure is this?" section: ``out/ensemble.json``, tornado charts under
    ``out/tornado/``; returns the `report.UncertaintyResult` (the ensemble's JSON block, which
    goes into ``summary.json`` as ``ensemble``, and the tornado charts)."""
    import functools

    from .. import headlines
    from ..report import Plot, UncertaintyResult
    from .output import open_executor

    study = functools.partial(headlines.assessment, scenario=scenario, grid_deg=grid_deg, cooperation=cooperation,
                              deterrent_phases=deterrent)
    nominal = headlines.assessment(profile, scenario=scenario, grid_deg=grid_deg, cooperation=cooperation,
                                   deterrent_phases=deterrent)
    with open_executor(workers, None, out, "shieldsim assess") as ex:
        ens = ensemble_run.run(study, prepared, profile, ex, out, progress, nominal=nominal,
                               params={"command": "assess", "scenario": scenario, "grid_deg": grid_deg,
                                       "cooperation": cooperation, "deterrent": deterrent,
                                       "assumptions": assumptions})
    files = ensemble_run.write(ens, out)
    plots = [Plot(f, caption=f"Tornado chart: {f.stem}", alt=f"figures ranked by their effect on {f.stem}")
             for f in files[1:]]
    return UncertaintyResult(ens.as_dict(), plots)


def stage_progress(enabled: bool):
    """The ``progress`` factory `assess.assess` takes: one `StageProgress` per stage prefix."""
    return lambda prefix: StageProgress(enabled, prefix)


def summary_text(summary: dict) -> str:
    """The short table printed at the end of ``assess``."""
    from ..report import summary_lines

    lines = summary_lines(summary)
    width = max((len(k) for k, _ in lines), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)
