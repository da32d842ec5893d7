"""``--ensemble N --seed S``: the uncertainty ensemble every study command shares (options, running
on the command's executor with resumable chunks, files, printed table). No command of its own.

A command with ``--ensemble N`` runs its nominal study as usual, then N members (`ensemble`), each
the same study with every uncertain figure drawn from its sourced range (`uncertainty`), and adds
to its JSON an ``ensemble`` object: the design, the figures with ranges and sources, and per
headline ``nominal``, ``p05``, ``p50``, ``p95`` and ``sensitivity`` (SALib indices). Finished
members are written in chunks to ``<out>/ensemble-members/``; ``--resume <out>`` continues a
killed run there without computing them again.

A member the model cannot represent (it raises a `ValueError`, e.g. `trajectory.AimError` or the
boost model's refusal of drawn burn times) is recorded as failed (`ensemble.MODEL_ERRORS`): the
ensemble finishes, a one-line warning on stderr names how many members failed and the first error
(`failure_warning`), the JSON lists them (``failed``, ``failed_members``), percentiles are over the
members that finished and Sobol'/Morris indices are reported as not computed. Failed members are
kept in the chunks, so ``--resume`` does not run them again.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from .output import fail, writable_dir

MEMBERS_DIR = "ensemble-members"
"""Sub-folder of a command's output folder holding the ensemble's finished chunks."""

ENSEMBLE_HELP = ("Also run an uncertainty ensemble of N members, each figure drawn from its sourced range "
                 "(headline p05/p50/p95 and SALib sensitivity) [2, 100000].")
METHOD_HELP = ("Ensemble design: sobol (Saltelli, first and total indices; N * (D + 2) members), morris "
               "(screening; r * (D + 1)), lhs (percentiles only) or auto (by members per figure).")


def ensemble_option():
    """``--ensemble N`` (a fresh Typer option)."""
    return typer.Option(None, "--ensemble", min=2, max=100_000, help=ENSEMBLE_HELP)


def seed_option():
    """``--seed S`` of the ensemble design (a fresh Typer option)."""
    return typer.Option(0, "--seed", min=0, max=2 ** 63 - 1, help="Seed of the ensemble design [0, 2^63-1].")


def method_option():
    """``--ensemble-method`` (a fresh Typer option)."""
    return typer.Option("auto", "--ensemble-method", help=METHOD_HELP)


def resume_option():
    """``--resume DIR``: continue the ensemble of an earlier (killed) run in that output folder."""
    return typer.Option(None, "--resume", help="Continue the ensemble of the run in this output folder "
                                               "(finished members are read back, not recomputed).")


def prepare(scenarios, profile, members: int, seed: int, method: str):
    """Check the ensemble options before any work: the figures of ``scenarios`` (loaded
    `scenario.Scenario`s, no profile applied) less those the user's ``profile`` holds, and the
    design. Returns (figures, design, held paths); bad options end the command with one line."""
    from .. import ensemble as ens
    from ..uncertainty import UncertaintyError, held_by_profile, study_figures

    try:
        figs = study_figures(scenarios)
    except UncertaintyError as err:
        fail("--ensemble", " ".join(str(err).split()))
    held = held_by_profile(figs, profile, scenarios[0]) if profile is not None else []
    figs = [f for f in figs if f.path not in held]
    try:
        des = ens.design(figs, members, seed, method)
    except ens.EnsembleError as err:
        fail("--ensemble-method" if "unknown" in str(err) else "--ensemble", str(err))
    return figs, des, held


def run(study, prepared, profile, executor, out: Path, progress: bool, nominal: dict | None = None,
        params: dict | None = None):
    """Run the ensemble of ``study`` (``study(profile) -> headlines``, picklable) for the
    ``prepared`` figures and design (`prepare`) on the command's ``executor``
    (`output.open_executor`); the user's ``profile`` is applied after each member's figures.
    Chunks go to ``out/ensemble-members`` (read back when they are there: ``--resume``).
    Returns an `ensemble.Ensemble`."""
    from .. import ensemble as ens
    from .. import parallel

    figs, des, held = prepared
    try:
        result = ens.run(ens.scenario_study(study, profile), figs, des, executor=executor,
                         out_dir=out / MEMBERS_DIR, resume=True, progress=progress, params=params, nominal=nominal,
                         held=held)
    except parallel.ResumeMismatch as err:
        fail("--resume", f"{' '.join(str(err).split())}; give the options the run was started with, or start a new "
                         "run with --out")
    if result.failed:
        typer.echo(failure_warning(result), err=True)
    return result


def failure_warning(ensemble) -> str:
    """One line: how many members of ``ensemble`` failed and the first error ("" when none)."""
    if not ensemble.failed:
        return ""
    n, m = len(ensemble.failed), ensemble.design.members
    return (f"warning: {n} of {m} ensemble members failed (first: {ensemble.first_failure()}); percentiles are over "
            f"the {m - n} that finished, sensitivity indices not computed")


def out_folder(out: Path, resume: Path | None, overwrite: bool) -> tuple[Path, bool]:
    """The output folder of a command that may continue an ensemble: ``--resume DIR`` (kept) or
    ``--out`` (claimed as usual). Returns (folder, resuming)."""
    if resume is not None:
        if not (resume / MEMBERS_DIR / "manifest.json").exists():
            fail("--resume", f"{resume} holds no ensemble to continue (no {MEMBERS_DIR}/manifest.json)")
        return writable_dir(resume, "--resume", resume=True), True
    return writable_dir(out, overwrite=overwrite), False


def slug(name: str) -> str:
    """A file-name-safe form of a headline name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def write(ensemble, out: Path, tornado: bool = True) -> list[Path]:
    """``out/ensemble.json`` and one tornado chart (SVG) per headline that varies; returns the files."""
    import matplotlib.pyplot as plt

    from ..sensitivity import tornado as draw
    from .output import to_json

    files = [out / "ensemble.json"]
    summary = ensemble.as_dict()
    files[0].write_text(to_json(summary) + "\n", encoding="utf-8")
    if tornado:
        folder = out / "tornado"
        folder.mkdir(exist_ok=True)
        for name in ensemble.values:
            ind = ensemble.sensitivity(name)
            if not ind.rows or all(r.get(ind.key, 0.0) == 0.0 for r in ind.rows):
                continue
            fig = draw(ind, name)
            path = folder / f"{slug(name)}.svg"
            fig.savefig(path)
            plt.close(fig)
            files.append(path)
    return files


def headline_summary(ensemble) -> dict:
    """Per headline: nominal, p05, p50, p95 and sensitivity (the ``ensemble`` block of summaries)."""
    return {name: ensemble.headline(name) for name in ensemble.values}


def table(summary: dict) -> str:
    """Plain text: one line per headline with nominal, p05, p50, p95 and its three most
    influential figures."""
    design = summary["design"]
    lines = [f"Uncertainty ensemble: {design['members']} members ({design['method']}, seed {design['seed']}, "
             f"{design['figures']} figures)",
             f"{'headline':<58} {'nominal':>12} {'p05':>12} {'p50':>12} {'p95':>12}  most influential"]
    if summary.get("failed_members"):
        first = min(summary["failed"], key=int)
        lines.insert(1, f"{summary['failed_members']} members failed (first: member {first}: "
                        f"{summary['failed'][first]}); percentiles over the {design['members'] - summary['failed_members']}"
                        " that finished, sensitivity not computed")
    for name, h in summary["headlines"].items():
        sens = h["sensitivity"]
        top = ", ".join(sens["top"]) if sens["top"] else "(no figure moves it)" if sens["indices"] else \
            ("(percentiles only)" if sens["method"] == "none" else
             "(not computed: members failed)" if summary.get("failed_members") else "(no indices)")
        if "probability" in h:
            top = f"holds in {h['probability']:.0%} of members; {top}"
        lines.append(f"{name[:58]:<58} {_fmt(h['nominal']):>12} {_fmt(h['p05']):>12} {_fmt(h['p50']):>12} "
                     f"{_fmt(h['p95']):>12}  {top}")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"
