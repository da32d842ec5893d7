"""``shieldsim coverage``: defended footprints and population protected per threat area."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .output import OVERWRITE_HELP, StageProgress, check_workers, fail, open_executor, provenance, save_and_print, writable_dir


def load_architecture(name: str, option: str = "SCENARIO"):
    """Load a scenario (built-in name or TOML path) into a `study.Architecture`, or fail with a
    one-line error naming ``option``."""
    from .. import scenario as scen
    from ..study import Architecture

    try:
        return Architecture.from_scenario(scen.load(name))
    except scen.ScenarioError as err:
        fail(option, " ".join(str(err).split()))
    except (OSError, ValueError) as err:
        fail(option, str(err))


def select_areas(arch, names, option: str, noun: str = "threat area") -> list[str]:
    """The named launch areas of ``arch`` (default: all of them), or a one-line error naming
    ``option`` for the first unknown one."""
    known = arch.scenario.launch_areas
    unknown = [a for a in names or () if a not in known]
    if unknown:
        fail(option, f"unknown {noun} {unknown[0]!r}; allowed: {', '.join(known)}")
    return list(names or known)


@app.command()
def coverage(
    scenario: str = typer.Argument("epaa-2018", help="Built-in scenario name or scenario TOML file."),
    threat_area: list[str] = typer.Option(None, "--threat-area", help="Only these launch areas (repeatable; default: all)."),
    grid_deg: float = typer.Option(None, "--grid-deg", min=0.05, max=10, help="Grid spacing, degrees (default: the scenario's) [0.05, 10]."),
    out: Path = typer.Option(Path("shieldsim-coverage"), "--out", help="Folder for netCDF, GeoJSON, CSV and maps."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    compare_options: bool = typer.Option(False, "--compare-options", help="Also compare NATO alone, separate systems sharing data, and sectors."),
    workers: int = typer.Option(None, "--workers", min=0, max=64, help="Run batches on a local Dask cluster of N processes; 0 (the default) runs them in this process [0, 64]."),
    scheduler: str = typer.Option(None, "--scheduler", help="Run batches on an existing Dask scheduler, e.g. tcp://host:8786."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Defended footprint and population protected, per threat area, written to --out."""
    check_workers(workers, scheduler)
    arch = load_architecture(scenario)
    writable_dir(out, overwrite=overwrite)
    areas = select_areas(arch, threat_area, "--threat-area")
    with open_executor(workers, scheduler, command="shieldsim coverage") as ex:
        result, comparison = run_coverage(arch, areas, grid_deg, progress, compare_options, ex)
    files = write_coverage(arch, result, out, comparison)
    summary = result.as_dict()
    summary.update(provenance(arch.models.as_dict(), arch.name))
    summary["files"] = [str(f) for f in files]
    if comparison is not None:
        summary["cooperation_options"] = comparison.table()
    save_and_print(summary, out / "coverage.json", as_json, coverage_table)


def run_coverage(arch, areas, grid_deg, progress: bool, compare_options: bool, executor=None):
    """Coverage (and, on request, the options comparison) with a progress bar per area."""
    from .. import study

    with StageProgress(progress, f"{arch.name}: ") as bar:
        result = study.coverage(arch, areas, grid_deg, progress=bar, executor=executor)
    comparison = None
    if compare_options:
        with StageProgress(progress, "cooperation options: ") as bar:
            try:
                comparison = study.compare_options(areas=areas, grid_deg=grid_deg, progress=bar,
                                                   known={arch.name: result}, executor=executor)
            except ValueError as err:
                fail("--compare-options", str(err))
    return result, comparison


def write_coverage(arch, result, out: Path, comparison=None) -> list[Path]:
    """Data files and maps of a coverage result (and comparison) under ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    from .. import maps, study

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for area, fp in result.footprints.items():
        files += fp.write(out / f"footprint-{area}")
        fig = study.footprint_figure(arch, fp)
        files += list(maps.save(fig, out / f"map-{area}"))
    if comparison is not None:
        base = comparison.results[0].footprints["all"]
        for label, res in zip(comparison.labels[1:], comparison.results[1:]):
            slug = label.lower().replace(" ", "-")
            fig = study.difference_figure(arch, base, res.footprints["all"],
                                          f"{label} compared with {comparison.labels[0]}")
            files += list(maps.save(fig, out / f"difference-{slug}"))
    return files


def coverage_table(summary: dict) -> str:
    """A short plain-text table of population protected per threat area."""
    lines = [f"{'threat area':<16} {'protected':>14} {'of total':>14} {'fraction':>9}"]
    for area, d in summary["threat_areas"].items():
        lines.append(f"{area:<16} {d['population_protected']:>14,.0f} {d['population_total']:>14,.0f} "
                     f"{d['fraction_protected']:>9.1%}")
    lines.append(f"{'all areas':<16} {summary['population_protected']:>14,.0f} {summary['population_total']:>14,.0f} "
                 f"{summary['fraction_protected']:>9.1%}")
    for row in summary.get("cooperation_options") or []:
        lines.append(f"{row['option']:<32} {row['population_protected']:>14,.0f} {row['fraction_protected']:>9.1%}")
    return "\n".join(lines)
