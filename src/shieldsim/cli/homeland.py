"""``shieldsim homeland``: where must an SM-3 IIB stand to meet Iranian ICBMs flying to the United States?"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from ..units import to_si
from .output import (OVERWRITE_HELP, StageProgress, assumptions_option, fail, load_profile_option, provenance,
                     save_and_print, writable_dir)


@app.command()
def homeland(
    scenario: str = typer.Argument("homeland", help="Built-in scenario name or scenario TOML file."),
    variant: list[str] = typer.Option(None, "--variant", help="Sensor/timeline variants (repeatable; default: all) "
                                                          "[scenario, no-forward-radar, no-space-cueing, cue-as-track]."),
    base: list[str] = typer.Option(None, "--base", help="Only these launch areas (repeatable; default: all)."),
    aim: list[str] = typer.Option(None, "--aim", help="Only these aim points (repeatable; default: all)."),
    trajectory: str = typer.Option(None, "--trajectory", help="Threat trajectory shape (default: the scenario's) "
                                                              "[minimum-energy, lofted, depressed]."),
    apogee_km: float = typer.Option(None, "--apogee-km", min=100, max=5000, help="Apogee of lofted/depressed flights, "
                                                                                 "km (default: the scenario's) [100, 5000]."),
    ship_interceptor: str = typer.Option("sm3-iib", "--ship-interceptor", help="Interceptor of the ship-station sweep "
                                                                               "('none' to skip) [catalogue name]."),
    ship_step_deg: float = typer.Option(2.0, "--ship-step-deg", min=0.5, max=10, help="Grid step of the ship-station "
                                                                                      "sweep, degrees [0.5, 10]."),
    out: Path = typer.Option(Path("shieldsim-homeland"), "--out", help="Folder for the CSV tables, maps and JSON."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    assumptions: str = assumptions_option(),
) -> None:
    """Interceptor sites against hypothetical Iranian ICBMs to US aim points (the GAO-13-382R
    question): fraction engageable, minimum interceptor speed and margin per site and
    sensor/timeline variant, and a sweep of ship stations, written to --out."""
    from .. import homeland as hl
    from .. import study
    from ..assumptions import catalogue_interceptor, record
    from ..interceptor import catalogue
    from .coverage import load_architecture, select_areas

    variants = variant or list(study.SENSOR_VARIANTS)
    for v in variants:
        if v not in study.SENSOR_VARIANTS:
            fail("--variant", f"unknown variant {v!r}; allowed: {', '.join(study.SENSOR_VARIANTS)}")
    if trajectory is not None and trajectory not in ("minimum-energy", "lofted", "depressed"):
        fail("--trajectory", f"unknown shape {trajectory!r}; allowed: minimum-energy, lofted, depressed")
    profile = load_profile_option(assumptions)
    arch = load_architecture(scenario, profile=profile)
    if not arch.batteries:
        fail("SCENARIO", f"scenario {arch.name!r} has no batteries (sites) to compare")
    writable_dir(out, overwrite=overwrite)
    areas = select_areas(arch, base, "--base", "launch area")
    known_aims = list(arch.scenario.aim_points)
    for a in aim or ():
        if a not in known_aims:
            fail("--aim", f"unknown aim point {a!r}; allowed: {', '.join(known_aims)}")
    ship = None if ship_interceptor.lower() == "none" else ship_interceptor
    if ship is not None:
        try:
            ship = catalogue_interceptor(ship, profile)
        except (KeyError, ValueError):
            fail("--ship-interceptor", f"unknown interceptor {ship!r}; allowed: {', '.join(catalogue())}, none")
    with StageProgress(progress, "homeland: sites, ships", per_stage=False) as bar:
        try:
            res = hl.homeland_study(arch, variants=variants, ship_interceptor=ship, ship_step_deg=ship_step_deg,
                                    areas=areas, aim_names=list(aim) if aim else None, kind=trajectory,
                                    apogee=to_si("apogee_km", apogee_km), progress=bar)
        except ValueError as err:
            fail("SCENARIO", " ".join(str(err).split()))
    summary = res.as_dict()
    summary.update(provenance(arch.models.as_dict(), arch.name, assumptions=record(arch.scenario)))
    files = write_homeland(arch, res, out)
    summary["files"] = [str(f) for f in files]
    save_and_print(summary, out / "homeland.json", as_json, headline_table)


def _cell(x, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def headline_table(summary: dict) -> str:
    """Plain text: per variant and site the fraction engageable, the lowest and all-flights
    minimum speeds, the best and median margins; then the best ship station per sea area."""
    lines = [f"{summary['flights']} flights from {', '.join(summary['launch_areas'])} to "
             f"{', '.join(summary['aim_points'])}.",
             "variant            site              engageable  min v km/s  v all km/s  best margin s  median margin s"]
    for v, sites in summary["sites_by_variant"].items():
        for s, r in sites.items():
            lines.append(f"{v[:18]:18s} {s[:16]:16s} {r['engageable']:4d}/{r['flights']:<4d} {r['fraction_engageable']:5.2f}"
                         f"{_cell(r['min_speed_kms'], '.2f'):>9s}{_cell(r['min_speed_all_kms'], '.2f'):>12s}"
                         f"{_cell(r['margin_best_s'], '.0f'):>15s}{_cell(r['margin_median_s'], '.0f'):>17s}")
    ships = summary.get("ships")
    if ships:
        lines.append(f"Best ship station per sea area ({ships['interceptor']}, {ships['interceptor_speed_kms']:g} km/s, "
                     f"{ships['step_deg']:g} deg grid): fraction of flights engageable")
        for v, r in ships["by_variant"].items():
            cells = ", ".join(f"{box} {b['fraction_engageable']:.2f} ({b['lat_deg']:g}N {b['lon_deg']:g}E)"
                              for box, b in r["best_by_sea_area"].items())
            lines.append(f"  {v}: {cells}")
    return "\n".join(lines)


def write_homeland(arch, res, out: Path) -> list[Path]:
    """Write sites.csv, pairs.csv, ships.csv, the track map and the ship-station maps to ``out``."""
    import csv

    from .. import homeland as hl
    from .. import maps, plots

    out.mkdir(parents=True, exist_ok=True)
    files = []
    d = res.as_dict()
    path = out / "sites.csv"
    cols = ["variant", "site", "flights", "engageable", "fraction_engageable", "min_speed_kms", "min_speed_all_kms",
            "margin_best_s", "margin_median_s", "interceptor_speed_kms"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for row in d["sites"]:
            w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    files.append(path)
    path = out / "pairs.csv"
    cols = ["variant", "base", "threat", "aim_point", "battery", "engageable", "margin_s", "min_speed_kms",
            "interceptor_speed_kms", "track_time_s", "launch_earliest_s", "intercept_first_s", "intercept_last_s",
            "first_alt_km"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for row in d["pairs"]:
            w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    files.append(path)
    note = f"shieldsim {res.attrs.get('version', '')}; scenario {arch.name}; models {arch.models.as_dict()}"
    if res.sea_interceptor is not None:
        path = out / "ships.csv"
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["variant", "sea_area", "lat_deg", "lon_deg", "fraction_engageable"])
            for v in res.sea:
                for a, la, lo, f in zip(res.sea_area, res.sea_lat_deg, res.sea_lon_deg, res.sea_fraction(v)):
                    w.writerow([v, a, f"{la:g}", f"{lo:g}", f"{f:.4f}"])
        files.append(path)
        icp = res.sea_interceptor
        for v in res.sea:
            counts, n_areas = hl.sea_counts(res, v)
            title = (f"Ship stations with {icp['interceptor']} ({icp['interceptor_speed_kms']:g} km/s) that can engage\n"
                     f"Iranian ICBMs to the United States [{v}]")
            fig = plots.ships_figure(res.sea_lat_deg, res.sea_lon_deg, counts, n_areas, title, note)
            files += list(maps.save(fig, out / f"ship-stations-{v}"))
    for v in ("cue-as-track", "scenario"):
        if v in res.deterrent.matrices:
            fig = plots.tracks_figure(res.deterrent.trajectories, res.deterrent.matrices[v], res.deterrent.batteries,
                                    f"{arch.name}: ICBM tracks and the parts each site can reach [{v}]", note)
            files += list(maps.save(fig, out / f"tracks-{v}"))
    return files
