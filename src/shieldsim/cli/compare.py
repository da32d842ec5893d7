"""``shieldsim compare``: the assessment of two scenarios side by side, with difference maps."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .output import OVERWRITE_HELP, assumptions_option, load_profile_option, scenario_loader, writable_dir


@app.command()
def compare(
    scenario_a: str = typer.Argument(..., help="First scenario (built-in name or TOML file), e.g. epaa-2015."),
    scenario_b: str = typer.Argument(..., help="Second scenario, e.g. epaa-2018."),
    out: Path = typer.Option(Path("shieldsim-compare"), "--out", help="Folder for the comparison report."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    grid_deg: float = typer.Option(None, "--grid-deg", min=0.05, max=10,
                                   help="Coverage grid spacing, degrees (default: the scenarios') [0.05, 10]."),
    deterrent: bool = typer.Option(True, "--deterrent/--no-deterrent", help="Answer the deterrent question for both."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars on stderr."),
    assumptions: str = assumptions_option(),
) -> None:
    """Assess two scenarios and write one report with both side by side and difference maps."""
    import matplotlib

    matplotlib.use("Agg")
    from .. import plots, report
    from ..assess import assess
    from .assess import stage_progress, summary_text
    from .coverage import load_architecture

    profile = load_profile_option(assumptions)
    arch_a = load_architecture(scenario_a, "SCENARIO_A", profile)
    arch_b = load_architecture(scenario_b, "SCENARIO_B", profile)
    writable_dir(out, overwrite=overwrite)
    load = scenario_loader(profile)
    skipped = "not part of a comparison (see shieldsim claims)"
    run_a, run_b = (assess(arch, out / side / "data", grid_deg, cooperation, deterrent, load=load, claims_skipped=skipped,
                           progress=stage_progress(progress))
                    for arch, side, cooperation in ((arch_a, "a", True), (arch_b, "b", False)))
    (a, cov_a), (b, cov_b) = (run_a.assessment, run_a.coverage), (run_b.assessment, run_b.coverage)
    if a.cooperation is not None:  # the options do not depend on the assessed scenario
        b.cooperation = a.cooperation
        b.not_computed.pop("cooperation", None)
    figures = []
    if cov_a is not None and cov_b is not None:
        for area, fp_a in cov_a.footprints.items():
            fp_b = cov_b.footprints.get(area)
            if fp_b is not None and fp_b.defended.shape == fp_a.defended.shape:
                fig = plots.difference_figure(arch_b, fp_a, fp_b, f"{arch_b.name} compared with {arch_a.name}: {area}",
                                              labels=(f"Defended only by {arch_b.name}", f"Defended only by {arch_a.name}",
                                                      "Defended by both"))
                figures.append(report.Plot(fig, caption=f"Difference of defended areas against {area}"))
    index = report.compare_reports(out, a, b, figures)
    typer.echo(f"{arch_a.name}:\n{summary_text(report.summary_dict(a))}\n\n{arch_b.name}:\n"
               f"{summary_text(report.summary_dict(b))}")
    typer.echo(f"Report: {index}")
