"""``shieldsim claims``: the claims ledger -- public claims of the dispute tested under each
assumption profile."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from . import ensemble_run
from .output import (OVERWRITE_HELP, StageProgress, check_workers, fail, open_executor, provenance, to_json,
                     writable_dir)

CSV_COLUMNS = ("id", "claimant", "side", "date", "profile", "holds", "figure", "margin", "unit", "reason", "check",
               "statement_kind", "statement", "source")
"""Columns of claims.csv: one row per claim and profile."""


@app.command()
def claims(
    scenario: list[str] = typer.Argument(None, help="Only the claims about these scenarios (default: every claim)."),
    assumptions: list[str] = typer.Option(None, "--assumptions", help=(
        "Assumption profile to evaluate under, a built-in name or a profile TOML file (repeatable); the scenario "
        "alone is always evaluated too (default: the scenario alone and every built-in profile).")),
    grid_deg: float = typer.Option(None, "--grid-deg", min=0.25, max=10, help=(
        "Coverage grid of the ledger, degrees (default: 2, coarser than the scenarios' own) [0.25, 10].")),
    out: Path = typer.Option(None, "--out", help="Folder for claims.json and claims.csv (default: print only)."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    catalogue: Path = typer.Option(None, "--catalogue", help="A claims TOML file of your own (default: the shipped catalogue)."),
    workers: int = typer.Option(None, "--workers", min=0, max=64, help=(
        "Run coverage batches on a local Dask cluster of N processes; 0 (the default) runs them in this "
        "process [0, 64].")),
    scheduler: str = typer.Option(None, "--scheduler", help="Run coverage batches on an existing Dask scheduler, e.g. tcp://host:8786."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    ensemble: int = ensemble_run.ensemble_option(),
    seed: int = ensemble_run.seed_option(),
    ensemble_method: str = ensemble_run.method_option(),
    resume: Path = ensemble_run.resume_option(),
) -> None:
    """Evaluate the catalogue of claims made in the dispute (US/NATO, Russian, independent): for
    every claim and assumption profile, holds / does not hold / not testable, the figure behind the
    verdict and the margin."""
    from .. import claims as ledger_mod

    try:
        entries = ledger_mod.load_claims(catalogue)
    except ledger_mod.ClaimsError as err:
        fail("--catalogue", " ".join(str(err).split()))
    try:
        chosen = ledger_mod.select(entries, scenario)
    except ValueError as err:
        fail("SCENARIO", str(err))
    profiles = [None] + list(dict.fromkeys(assumptions or default_profiles()))
    try:
        profiles = list(ledger_mod.load_profiles(profiles).values())
    except ValueError as err:  # assumptions.ProfileError is a ValueError
        fail("--assumptions", " ".join(str(err).split()))
    check_workers(workers, scheduler)
    prepared = None
    if resume is not None and ensemble is None:
        fail("--resume", "continues an ensemble: give --ensemble N (and the run's other options) too")
    if ensemble:
        if out is None and resume is None:
            fail("--ensemble", "an ensemble writes its members to a folder; give --out DIR (or --resume DIR)")
        from .. import scenario as scen

        names = list(dict.fromkeys(n for c in chosen for n in c.scenarios))
        prepared = ensemble_run.prepare([scen.load(n) for n in names], None, ensemble, seed, ensemble_method)
        out, _ = ensemble_run.out_folder(out, resume, overwrite)
    elif out is not None:
        writable_dir(out, overwrite=overwrite)
    grid = grid_deg or ledger_mod.DEFAULT_GRID_DEG
    ens = None
    with StageProgress(progress, "claims: ") as bar, open_executor(workers, scheduler, out if ensemble else None) as ex:
        ledger = ledger_mod.evaluate(chosen, profiles, grid_deg=grid, executor=ex, progress=bar)
        if ensemble:
            ens = _claims_ensemble(chosen, ledger, grid, catalogue, prepared, ex, out, progress)
    summary = ledger_summary(ledger)
    if ens is not None:
        ensemble_run.write(ens, out)
        summary["ensemble"] = ens.as_dict()
        summary["seed"] = seed
    text = to_json(summary)
    if out is not None:
        (out / "claims.json").write_text(text)
        write_csv(ledger, out / "claims.csv")
    typer.echo(text if as_json else ledger_table(summary) + (f"\nResults in {out}/" if out is not None else ""))


def _claims_ensemble(chosen, ledger, grid: float, catalogue: Path | None, prepared, ex, out: Path, progress: bool):
    """The ``--ensemble`` run of the chosen claims (nominal: each verdict and figure of the
    scenario alone)."""
    import functools

    from .. import headlines

    study = functools.partial(headlines.claims, claim_ids=tuple(c.id for c in chosen), grid_deg=grid,
                              catalogue=None if catalogue is None else str(catalogue))
    nominal = {}
    for c in chosen:
        r = ledger.results[c.id][ledger.profiles[0]]
        nominal[f"claims/holds/{c.id}"] = None if r.holds is None else float(r.holds)
        if r.figure is not None:
            nominal[f"claims/figure/{c.id}"] = float(r.figure)
    return ensemble_run.run(study, prepared, None, ex, out, progress, nominal=nominal,
                            params={"command": "claims", "claims": [c.id for c in chosen], "grid_deg": grid,
                                    "catalogue": None if catalogue is None else str(catalogue)})


def default_profiles() -> list[str]:
    """Every built-in assumption profile."""
    from ..assumptions import builtin_profiles

    return list(builtin_profiles())


def ledger_summary(ledger) -> dict:
    """The JSON of the command: the ledger (`claims.Ledger.as_dict`) with the provenance every output
    carries (version, models, seed) and the grid."""
    d = ledger.as_dict()
    models = list({repr(m): m for m in ledger.attrs.get("models", {}).values()}.values())
    d.update(provenance(models[0] if len(models) == 1 else ledger.attrs.get("models"), None, None))
    d["grid_deg"] = ledger.attrs.get("grid_deg")
    return d


def ledger_table(summary: dict) -> str:
    """Plain-text ledger: claim id, claimant, date, then the verdict under each profile (holds /
    no / n/a), the flips, and the grid and run time."""
    profiles = summary["profiles"]
    mark = {True: "holds", False: "no", None: "n/a"}
    width = [30, 28, 10] + [max(9, len(p)) for p in profiles]
    head = ["claim", "claimant", "date"] + profiles
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, width))]
    for c in summary["claims"]:
        cells = [c["id"][:30], c["claimant"][:28], c["date"]] + [mark[c["results"][p]["holds"]] for p in profiles]
        lines.append("  ".join(x.ljust(w) for x, w in zip(cells, width)).rstrip())
    flips = summary.get("flips") or {}
    if flips:
        lines.append("Verdicts changed by a profile: " + "; ".join(f"{k} ({', '.join(v)})" for k, v in flips.items()))
    else:
        lines.append("No profile changes any verdict of the scenario alone.")
    attrs = summary.get("attrs", {})
    lines.append(f"Coverage grid {summary.get('grid_deg')} deg; shieldsim {summary.get('version')}; "
                 f"{attrs.get('seconds', '?')} s. Figures and margins: --json or --out.")
    if summary.get("ensemble"):
        lines += ["", ensemble_run.table(summary["ensemble"])]
    return "\n".join(lines)


def write_csv(ledger, path: Path) -> Path:
    """claims.csv: one row per claim and profile (`CSV_COLUMNS`)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, CSV_COLUMNS)
        w.writeheader()
        for c in ledger.claims:
            d = c.as_dict()
            for p in ledger.profiles:
                r = ledger.results[c.id][p].as_dict()
                w.writerow({"id": c.id, "claimant": c.claimant, "side": c.side, "date": c.date, "profile": p,
                            "holds": "" if r["holds"] is None else r["holds"],
                            "figure": "" if r["figure"] is None else r["figure"],
                            "margin": "" if r["margin"] is None else r["margin"], "unit": r["unit"],
                            "reason": r["reason"], "check": d["check_text"], "statement_kind": c.statement_kind,
                            "statement": d["statement"], "source": d["source"]})
    return path
