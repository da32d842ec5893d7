"""``shieldsim coverage``: defended footprints and population threatened and defended per threat area
(NATO's European members first, then the rest of the region and the whole grid)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from . import ensemble_run
from .output import (OVERWRITE_HELP, StageProgress, apply_profile, assumptions_option, check_workers, fail,
                     load_profile_option, open_executor, provenance, save_and_print)


def load_architecture(name: str, option: str = "SCENARIO", profile=None):
    """Load a scenario (built-in name or TOML path), apply the assumption ``profile`` (an
    `assumptions.Profile`, from `output.load_profile_option`; None = the scenario alone) and make
    it a `study.Architecture`, or fail with a one-line error naming ``option`` (``--assumptions``
    when the profile cannot be applied)."""
    from .. import scenario as scen
    from ..study import Architecture

    try:
        sc = scen.load(name)
    except scen.ScenarioError as err:
        fail(option, " ".join(str(err).split()))
    except (OSError, ValueError) as err:
        fail(option, str(err))
    sc = apply_profile(sc, profile)
    try:
        return Architecture.from_scenario(sc)
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
    grid_deg: float = typer.Option(None, "--grid-deg", min=0.05, max=10, help="Grid spacing, degrees (default: the "
                                                                              "scenario's) [0.05, 10]."),
    out: Path = typer.Option(Path("shieldsim-coverage"), "--out", help="Folder for netCDF, GeoJSON, CSV and maps."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    compare_options: bool = typer.Option(False, "--compare-options", help="Also compare NATO alone, separate systems "
                                                                          "sharing data, and sectors."),
    workers: int = typer.Option(None, "--workers", min=0, max=64, help="Run batches on a local Dask cluster of N "
                                                                       "processes; 0 (the default) runs them in this process [0, 64]."),
    scheduler: str = typer.Option(None, "--scheduler", help="Run batches on an existing Dask scheduler, e.g. tcp://host:8786."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    assumptions: str = assumptions_option(),
    ensemble: int = ensemble_run.ensemble_option(),
    seed: int = ensemble_run.seed_option(),
    ensemble_method: str = ensemble_run.method_option(),
    resume: Path = ensemble_run.resume_option(),
) -> None:
    """Defended footprint and population protected, per threat area, written to --out."""
    import functools

    from .. import headlines
    from .. import scenario as scen
    from ..assumptions import record

    check_workers(workers, scheduler)
    profile = load_profile_option(assumptions)
    arch = load_architecture(scenario, profile=profile)
    if resume is not None and ensemble is None:
        fail("--resume", "continues an ensemble: give --ensemble N (and the run's other options) too")
    areas = select_areas(arch, threat_area, "--threat-area")
    prepared = ensemble_run.prepare([scen.load(scenario)], profile, ensemble, seed, ensemble_method) \
        if ensemble else None
    out, _ = ensemble_run.out_folder(out, resume, overwrite)
    ens = None
    with open_executor(workers, scheduler, out if ensemble else None, command="shieldsim coverage") as ex:
        # without --workers/--scheduler the batches run on this process's threads (`study.footprints`)
        result, comparison = run_coverage(arch, areas, grid_deg, progress, compare_options,
                                          ex if workers or scheduler else None, profile)
        if ensemble:
            study = functools.partial(headlines.coverage, scenario=scenario, areas=tuple(areas), grid_deg=grid_deg)
            ens = ensemble_run.run(study, prepared, profile, ex, out, progress, nominal=headlines.coverage_of(result),
                                   params={"command": "coverage", "scenario": scenario, "areas": areas,
                                           "grid_deg": grid_deg, "assumptions": assumptions})
    files = write_coverage(arch, result, out, comparison)
    summary = result.as_dict()
    from ..scenario import refraction_record
    models = {**arch.models.as_dict(), "refraction": refraction_record(arch.scenario)}
    summary.update(provenance(models, arch.name, seed=seed if ensemble else None, assumptions=record(arch.scenario)))
    if ens is not None:
        files += ensemble_run.write(ens, out)
        summary["ensemble"] = ens.as_dict()
    summary["files"] = [str(f) for f in files]
    if comparison is not None:
        summary["cooperation_options"] = comparison.table()
    save_and_print(summary, out / "coverage.json", as_json, coverage_table)


def run_coverage(arch, areas, grid_deg, progress: bool, compare_options: bool, executor=None, profile=None):
    """Coverage (and, on request, the options comparison, its scenarios under the same assumption
    ``profile``) with a progress bar per area."""
    from .. import study
    from .output import scenario_loader

    with StageProgress(progress, f"{arch.name}: ") as bar:
        result = study.coverage(arch, areas, grid_deg, progress=bar, executor=executor)
    comparison = None
    if compare_options:
        with StageProgress(progress, "cooperation options: ") as bar:
            try:
                comparison = study.compare_options(areas=areas, grid_deg=grid_deg, progress=bar,
                                                   known={arch.name: result}, executor=executor,
                                                   load=scenario_loader(profile))
            except ValueError as err:
                fail("--compare-options", str(err))
    return result, comparison


def write_coverage(arch, result, out: Path, comparison=None) -> list[Path]:
    """Data files and maps of a coverage result (and comparison) under ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    from .. import maps, plots

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for area, fp in result.footprints.items():
        files += fp.write(out / f"footprint-{area}")
        fig = plots.footprint_figure(arch, fp)
        files += list(maps.save(fig, out / f"map-{area}"))
    if comparison is not None:
        base = comparison.results[0].footprints["all"]
        for label, res in zip(comparison.labels[1:], comparison.results[1:]):
            slug = label.lower().replace(" ", "-")
            fig = plots.difference_figure(arch, base, res.footprints["all"],
                                          f"{label} compared with {comparison.labels[0]}")
            files += list(maps.save(fig, out / f"difference-{slug}"))
    return files


def coverage_table(summary: dict) -> str:
    """A short plain-text table: first the people of NATO's European members threatened and
    defended per threat area (the headline), then the rest of the region, then the whole grid."""
    nato = summary["nato_europe"]
    year = f"{nato['membership_year']}" + (" (default year)" if nato["membership_year_from"] == "default" else "")
    head = f"{'threat area':<16} {'threatened':>14} {'defended':>14} {'fraction':>9}"

    def part(key: str) -> list[str]:
        lines = []
        for area, d in [*summary["threat_areas"].items(), ("all areas", summary)]:
            g = d[key]
            lines.append(f"{area:<16} {g['population_threatened']:>14,.0f} {g['population_defended']:>14,.0f} "
                         f"{g['fraction_defended_of_threatened']:>9.1%}")
        return lines

    lines = [f"NATO's European members ({year} membership), people threatened and defended", head, *part("nato_europe"),
             "", "Rest of the region (other countries on the grid)", head, *part("rest_of_region"),
             "", "Whole grid (everyone in the defended region's box, threatened or not)",
             f"{'threat area':<16} {'protected':>14} {'of total':>14} {'fraction':>9}"]
    for area, d in summary["threat_areas"].items():
        lines.append(f"{area:<16} {d['population_protected']:>14,.0f} {d['population_total']:>14,.0f} "
                     f"{d['fraction_protected']:>9.1%}")
    lines.append(f"{'all areas':<16} {summary['population_protected']:>14,.0f} {summary['population_total']:>14,.0f} "
                 f"{summary['fraction_protected']:>9.1%}")
    rows = summary.get("cooperation_options") or []
    if rows:
        lines += ["", f"Cooperation options ({rows[0]['membership_year']} NATO membership for every option)",
                  f"{'option':<32} {'NATO Europe defended':>20} {'of threatened':>14} {'whole grid':>14}"]
    for row in rows:
        lines.append(f"{row['option']:<32} {row['nato_europe_population_defended']:>20,.0f} "
                     f"{row['nato_europe_fraction_defended_of_threatened']:>14.1%} {row['population_protected']:>14,.0f}")
    if summary.get("ensemble"):
        lines += ["", ensemble_run.table(summary["ensemble"])]
    return "\n".join(lines)
