"""``shieldsim deterrent``: can the shield reach strategic missiles flying to North America?"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app, ensemble_run
from .output import (OVERWRITE_HELP, StageProgress, assumptions_option, fail, load_profile_option, provenance,
                     save_and_print, scenario_loader)


def parse_range(text: str, option: str = "--speed-kms-range", lo: float = 0.5, hi: float = 12.0):
    """'a:b:step' (km/s) -> array of speeds from a to b inclusive; one-line error otherwise."""
    import numpy as np

    try:
        a, b, s = (float(x) for x in text.split(":"))
    except ValueError:
        fail(option, f"expected START:STOP:STEP in km/s, got {text!r} [e.g. 3:7:0.25]")
    if not (lo <= a <= b <= hi and s > 0 and (b - a) / s <= 400):
        fail(option, f"need {lo} <= START <= STOP <= {hi}, STEP > 0 and at most 400 steps; got {text!r} [0.5, 12]")
    return np.arange(a, b + 1e-9, s)


@app.command()
def deterrent(
    scenario: str = typer.Argument("deterrent", help="Built-in scenario name or scenario TOML file."),
    speed_kms_range: str = typer.Option("3:7:0.25", "--speed-kms-range", help="Interceptor burnout speeds of the "
                                                                              "sweep, START:STOP:STEP km/s [0.5, 12]."),
    shape: str = typer.Option(None, "--shape", help="Flight shapes, comma-separated; the first is the one the "
                                                    "top-level results answer for (default: minimum-energy,depressed,"
                                                    "lofted) [minimum-energy, depressed, lofted]."),
    trajectory: str = typer.Option(None, "--trajectory", help="One threat trajectory shape (same as --shape with one "
                                                              "shape) [minimum-energy, lofted, depressed]."),
    apogee_km: float = typer.Option(None, "--apogee-km", min=100, max=5000, help="Apogee of every lofted/depressed "
                                                                                 "flight, km (default: a fraction of each "
                                                                                 "pair's minimum-energy apogee) [100, 5000]."),
    depressed_fraction: float = typer.Option(0.5, "--depressed-fraction", min=0.1, max=0.95,
                                             help="Apogee of depressed flights as a fraction of the pair's "
                                                  "minimum-energy apogee (notional convention) [0.1, 0.95]."),
    lofted_fraction: float = typer.Option(1.5, "--lofted-fraction", min=1.05, max=4.0,
                                          help="Apogee of lofted flights as a fraction of the pair's minimum-energy "
                                               "apogee (notional convention) [1.05, 4]."),
    phase: list[str] = typer.Option(None, "--phase", help="Phase scenarios whose batteries face the flights "
                                                          "(repeatable; default: epaa-2011, epaa-2015, epaa-2018, "
                                                          "epaa-phase4); the top-level results answer for the last one."),
    variant: str = typer.Option("scenario", "--variant", help="Sensor variant of the top-level fraction_engageable "
                                                              "[scenario, no-forward-radar, no-space-cueing, cue-as-track]."),
    base: list[str] = typer.Option(None, "--base", help="Only these launch areas (repeatable; default: all)."),
    ship_interceptor: str = typer.Option("sm3-iia", "--ship-interceptor", help="Interceptor of the ship-station sweep "
                                                                               "('none' to skip) [catalogue name]."),
    ship_step_deg: float = typer.Option(2.0, "--ship-step-deg", min=0.25, max=10, help="Grid step of the ship-station "
                                                                                       "sweep, degrees [0.25, 10]."),
    out: Path = typer.Option(Path("shieldsim-deterrent"), "--out", help="Folder for the CSV of pairs, maps, plot and JSON."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    assumptions: str = assumptions_option(),
    ensemble: int = ensemble_run.ensemble_option(),
    seed: int = ensemble_run.seed_option(),
    ensemble_method: str = ensemble_run.method_option(),
    resume: Path = ensemble_run.resume_option(),
) -> None:
    """Base x aim point x battery matrix (engageable, margin, minimum interceptor speed) for each
    flight shape, the speed and delay sensitivity per EPAA phase, ship stations and track maps,
    written to --out. The top-level JSON answers for the last --phase, --variant and the first
    --shape (its ``selection`` says so); ``by_shape`` holds every shape's results."""
    from .. import scenario as scen
    from .. import study
    from ..units import to_si
    from .coverage import load_architecture, select_areas

    speeds = parse_range(speed_kms_range)
    shapes = _shapes(trajectory, shape, variant)
    profile = load_profile_option(assumptions)
    arch = load_architecture(scenario, profile=profile)
    if resume is not None and ensemble is None:
        fail("--resume", "continues an ensemble: give --ensemble N (and the run's other options) too")
    areas = select_areas(arch, base, "--base", "launch area")
    phases = phase or list(study.DETERRENT_PHASES)
    prepared = ensemble_run.prepare([scen.load(n) for n in dict.fromkeys([scenario, *phases])], profile, ensemble,
                                    seed, ensemble_method) if ensemble else None
    out, _ = ensemble_run.out_folder(out, resume, overwrite)
    _check_phases(arch, phases, profile)
    ship = _ship_interceptor(ship_interceptor, profile)
    with StageProgress(progress, "deterrent: matrix, sweeps, ships", per_stage=False) as bar:
        try:
            res = study.deterrent_shapes(arch, shapes=shapes, apogee=to_si("apogee_km", apogee_km),
                                         fractions={"depressed": depressed_fraction, "lofted": lofted_fraction},
                                         speeds_kms=speeds, phases=phases, ship_interceptor=ship,
                                         ship_step_deg=ship_step_deg, areas=areas, progress=bar,
                                         load=scenario_loader(profile, "--phase"))
        except ValueError as err:
            fail("SCENARIO", " ".join(str(err).split()))
    summary = _summary(res, arch, variant, seed if ensemble else None)
    files = write_deterrent(arch, res, out)
    if ensemble:
        ens = _deterrent_ensemble(res, prepared, profile, out, progress, scenario, phases, assumptions, areas,
                                  shapes, apogee_km)
        files += ensemble_run.write(ens, out)
        summary["ensemble"] = ens.as_dict()
    summary["files"] = [str(f) for f in files]
    save_and_print(summary, out / "deterrent.json", as_json, headline_table)


def _shapes(trajectory: str | None, shape: str | None, variant: str) -> list[str]:
    """The flight shapes of ``--trajectory`` (one) or ``--shape`` (comma-separated; default all),
    once ``--variant`` (the sensor variant the top level answers for) is known to be one."""
    from .. import study

    if trajectory is not None and trajectory not in study.FLIGHT_SHAPES:
        fail("--trajectory", f"unknown shape {trajectory!r}; allowed: {', '.join(study.FLIGHT_SHAPES)}")
    if trajectory is not None and shape is not None:
        fail("--trajectory", "give --shape or --trajectory, not both")
    shapes = [trajectory] if trajectory else [k.strip() for k in (shape or ",".join(study.FLIGHT_SHAPES)).split(",")]
    bad = [k for k in shapes if k not in study.FLIGHT_SHAPES]
    if bad or not shapes:
        fail("--shape", f"unknown shape {', '.join(repr(k) for k in bad) or '(none)'}; "
                        f"allowed: {', '.join(study.FLIGHT_SHAPES)} (comma-separated)")
    if variant not in study.SENSOR_VARIANTS:
        fail("--variant", f"unknown sensor variant {variant!r}; allowed: {', '.join(study.SENSOR_VARIANTS)}")
    return shapes


def _summary(res, arch, variant: str, seed: int | None) -> dict:
    """The JSON of the study (`study.DeterrentShapes.as_dict`) with its provenance."""
    from .. import scenario as scen
    from ..assumptions import record

    summary = res.as_dict(variant)
    models = {**arch.models.as_dict(), "refraction": scen.refraction_record(arch.scenario)}
    summary.update(provenance(models, arch.name, seed=seed, assumptions=record(arch.scenario)))
    return summary


def _check_phases(arch, phases: list[str], profile) -> None:
    """Every ``--phase`` names a built-in or a loadable scenario file (fails now, naming --phase)."""
    from .. import scenario as scen
    from .coverage import load_architecture

    for ph in phases:
        if ph != arch.name and ph not in scen.builtin_names() and not Path(ph).exists():
            fail("--phase", f"unknown scenario {ph!r}; allowed: {', '.join(scen.builtin_names())} or a TOML file")
        if ph != arch.name:
            load_architecture(ph, "--phase", profile)  # a bad phase file fails now, naming --phase


def _ship_interceptor(name: str, profile):
    """The ``--ship-interceptor`` catalogue type with the profile's overrides, None for 'none'."""
    from ..assumptions import catalogue_interceptor
    from ..interceptor import catalogue

    if name.lower() == "none":
        return None
    try:  # the catalogue type, with the profile's interceptor_types overrides
        return catalogue_interceptor(name, profile)
    except (KeyError, ValueError):
        fail("--ship-interceptor", f"unknown interceptor {name!r}; allowed: {', '.join(catalogue())}, none")


def _deterrent_ensemble(res, prepared, profile, out: Path, progress: bool, scenario: str, phases: list[str],
                        assumptions: str, areas, shapes: list[str], apogee_km: float | None):
    """The ``--ensemble`` run of the deterrent headlines (nominal: each phase's fractions of the
    first shape)."""
    import functools

    from .. import headlines
    from ..units import to_si
    from .output import open_executor

    # the members answer for the first shape (as the nominal headlines below), on the same launch areas
    study_fn = functools.partial(headlines.deterrent, scenario=scenario, phases=tuple(phases), areas=tuple(areas),
                                 kind=shapes[0], apogee=None if shapes[0] == "minimum-energy"
                                 else to_si("apogee_km", apogee_km), apogee_fraction=res.fractions.get(shapes[0]))
    nominal = {f"deterrent/fraction_engageable/{ph}/{b}": float(f)
               for ph, by_var in res.first.phase_matrices.items() if "scenario" in by_var
               for b, f in by_var["scenario"].fraction_engageable().items()}
    with open_executor(None, None, out, "shieldsim deterrent") as ex:
        return ensemble_run.run(study_fn, prepared, profile, ex, out, progress, nominal=nominal,
                                params={"command": "deterrent", "scenario": scenario, "phases": phases,
                                        "assumptions": assumptions, "areas": areas, "shape": shapes[0],
                                        "apogee_km": apogee_km, "apogee_fraction": res.fractions.get(shapes[0])})


def headline_table(summary: dict) -> str:
    """Plain-text headline: fraction engageable per variant and battery; minimum speeds of
    the western bases; fraction (any battery) at the sweep's speeds per phase."""
    sel = summary.get("selection", {})
    lines = [f"Fraction of base x aim point flights engageable ({sel.get('phase')} batteries, {sel.get('shape')} flights):"]
    fr = summary["fraction_engageable_by_variant"]
    bats = list(next(iter(fr.values())))
    lines.append("  " + "variant".ljust(18) + "".join(b[:16].rjust(17) for b in bats))
    for v, row in fr.items():
        lines.append("  " + v.ljust(18) + "".join(f"{row[b]:17.2f}" for b in bats))
    lines.append("Minimum interceptor burnout speed (km/s) for the western bases, best aim point:")
    for v, per in summary["min_speed_kms_western_bases"].items():
        for b, row in per.items():
            cells = "".join(("-" if row[k] is None else f"{row[k]:.2f}").rjust(17) for k in row)
            lines.append(f"  {v[:17]:17s} {b[:14]:14s}{cells}")
    lines.append("Per phase (interceptor figures of the phase): fraction engageable | min speed km/s, western bases")
    for ph, by_var in summary.get("by_phase", {}).items():
        for v, r in by_var.items():
            fr_txt = ", ".join(f"{b} {f:.2f}" for b, f in r["fraction_engageable"].items())
            lines.append(f"  {ph} [{v}]: {fr_txt}")
            for b, row in r["min_speed_kms_western_bases"].items():
                cells = ", ".join(f"{k} {'-' if x is None else f'{x:.2f}'}" for k, x in row.items())
                lines.append(f"      {b}: {cells}")
    if len(summary.get("by_shape", {})) > 1:
        lines.append(f"Per flight shape ({sel.get('phase')}, variant {sel.get('variant')}): flights | fraction engageable")
        for k, d in summary["by_shape"].items():
            fr_txt = ", ".join(f"{b} {f:.2f}" for b, f in d["fraction_engageable"].items())
            lines.append(f"  {k:15s} {d['flights']:4d} | {fr_txt}")
            for ph, by_var in d["by_phase"].items():
                lines.append(f"      {ph}: " + ", ".join(f"{v} {r['fraction_engageable']['any']:.2f}"
                                                       for v, r in by_var.items()))
    lines.append(f"Fraction engageable by any battery vs speed (km/s), {sel.get('shape')} flights:")
    for ph, by_var in summary["speed_sweep"].items():
        for v, sw in by_var.items():
            pts = " ".join(f"{s:g}:{f:.2f}" for s, f in zip(sw["speed_kms"], sw["fraction_any"]))
            lines.append(f"  {ph} [{v}] {pts}")
    if summary.get("ensemble"):
        lines += ["", ensemble_run.table(summary["ensemble"])]
    return "\n".join(lines)


def write_deterrent(arch, shaped, out: Path) -> list[Path]:
    """Write pairs.csv and sweep.csv (every flight shape, in a ``shape`` column), the speed plots
    (the first shape's, and one per flight shape for the last phase), the track map and the ship
    maps (the first shape's) to ``out``. ``shaped`` is a `study.DeterrentShapes`."""
    import csv

    from .. import maps, plots
    from ..units import from_si

    out.mkdir(parents=True, exist_ok=True)
    files = []
    res = shaped.first
    path = out / "pairs.csv"
    cols = ["shape", "variant", "base", "threat", "aim_point", "battery", "engageable", "margin_s", "min_speed_kms",
            "interceptor_speed_kms", "track_time_s", "launch_earliest_s", "intercept_first_s", "intercept_last_s",
            "first_alt_km"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for st in shaped.studies.values():
            for v, mx in st.matrices.items():
                for row in mx.pairs(variant=v, shape=st.shape):
                    w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    files.append(path)
    path = out / "sweep.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["shape", "phase", "variant", "launch_delay_s", "speed_kms", "battery", "fraction_engageable"])
        for k, st in shaped.studies.items():
            for ph, by_var in st.sweeps.items():
                for v, sw in by_var.items():
                    for s, speed in enumerate(sw["speeds"]):
                        for j, b in enumerate(st.phase_batteries[ph]):
                            w.writerow([k, ph, v, "nominal", f"{from_si('speed_kms', speed):g}", b, f"{sw['fraction'][0, s, j]:.4f}"])
                        w.writerow([k, ph, v, "nominal", f"{from_si('speed_kms', speed):g}", "any", f"{sw['fraction_any'][0, s]:.4f}"])
            for ph, sw in st.delay_sweeps.items():
                for a, dl in enumerate(sw["delays"]):
                    for s, speed in enumerate(sw["speeds"]):
                        w.writerow([k, ph, "delay-sweep", f"{dl:g}", f"{from_si('speed_kms', speed):g}", "any",
                                    f"{sw['fraction_any'][a, s]:.4f}"])
    files.append(path)
    note = f"shieldsim {res.attrs.get('version', '')}; scenario {arch.name}; models {arch.models.as_dict()}"
    speeds, curves, styles = res.speed_curves()
    if curves:
        fig = plots.speed_figure(speeds, curves, "Fraction of ICBM flights engageable by any battery vs interceptor speed",
                               nominal={"SM-3 IB": 3.0, "SM-3 IIA": 4.5, "SM-3 IIB (notional)": 5.5}, styles=styles)
        files += list(maps.save(fig, out / "speed-sensitivity"))
    if len(shaped.studies) > 1 and res.sweeps:
        last = list(res.sweeps)[-1]
        by_shape, shape_styles = {}, {}
        for c, (k, st) in enumerate(shaped.studies.items()):
            for d_, (v, sw) in enumerate(st.sweeps.get(last, {}).items()):
                by_shape[f"{k} [{v}]"], shape_styles[f"{k} [{v}]"] = sw["fraction_any"][0], (c, d_)
        fig = plots.speed_figure(speeds, by_shape, f"{last}: fraction engageable vs interceptor speed, per flight shape",
                                 styles=shape_styles)
        files += list(maps.save(fig, out / "speed-sensitivity-by-shape"))
    for ph, sw in res.delay_sweeps.items():
        if ph != list(res.delay_sweeps)[-1]:
            continue
        dcurves = {f"launch delay {dl:g} s": sw["fraction_any"][a] for a, dl in enumerate(sw["delays"])}
        fig = plots.speed_figure(from_si("speed_kms", sw["speeds"]), dcurves,
                               f"{ph}: fraction engageable vs speed for launch delays [{res.attrs.get('delay_variant', 'cue-as-track')}]")
        files += list(maps.save(fig, out / "delay-sensitivity"))
    for v in ("cue-as-track", "scenario"):
        if v in res.matrices:
            fig = plots.tracks_figure(res.trajectories, res.matrices[v], res.batteries,
                                      f"{arch.name}: {res.shape} ICBM tracks and the parts each site of {res.phase} "
                                      f"can reach [{v}]", note)
            files += list(maps.save(fig, out / f"tracks-{v}"))
    if res.ships:
        s = res.ships
        fig = plots.ships_figure(s.lat_deg, s.lon_deg, s.bases_engageable, len(s.bases),
                                 f"Ship stations with {s.interceptor} ({s.interceptor_speed_kms:g} km/s) that can engage\n"
                                 f"ICBMs from {', '.join(s.bases)} [{s.timeline}]", note)
        files += list(maps.save(fig, out / "ship-stations"))
        fig = plots.ships_by_base_figure(s.lat_deg, s.lon_deg, s.engageable,
                                         f"Where a ship with {s.interceptor} ({s.interceptor_speed_kms:g} km/s) "
                                         f"must be to engage each base's ICBMs [{s.timeline}]")
        files += list(maps.save(fig, out / "ship-stations-by-base"))
    return files
