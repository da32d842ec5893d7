"""``shieldsim raid``: Monte Carlo of a raid against a defence with finite inventories.

With a SCENARIO the [engagement] table is computed from it (`study.scenario_engagement_table`);
otherwise it is read from the raid file (TOML or JSON), which has these tables (human units in keys):

    [raid]                      # the threats
    name = "example"
    [[raid.wave]]               # `count` threats, `interval_s` apart from `launch_time_s`
    launch_area = "North"
    aim_point = "CityA"
    missile = "MRBM"            # optional
    count = 4
    launch_time_s = 0
    interval_s = 30

    [engagement]                # batteries and per-route windows, s after threat launch
    models = {earth = "wgs84", rotation = true, drag = false}   # optional, recorded
    [[engagement.battery]]
    name = "Site1"
    inventory = 24
    sspk = 0.7
    [[engagement.window]]       # no window = this battery cannot engage that route
    battery = "Site1"
    launch_area = "North"
    aim_point = "CityA"
    launch_earliest_s = 150
    launch_latest_s = 420
    intercept_first_s = 380
    intercept_last_s = 610

    [doctrine]                  # optional; command-line options override it
    kind = "shoot-look-shoot"   # or "one-shot", "salvo"
    kill_assessment_s = 20

``--engagement FILE`` takes the ``[engagement]`` table from another file.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from . import app
from . import ensemble_run
from .output import (OVERWRITE_HELP, assumptions_option, check_workers, fail, first_problem, load_profile_option,
                     open_executor, provenance, run_folder, to_json)


class DoctrineName(str, Enum):
    one_shot = "one-shot"
    salvo = "salvo"
    shoot_look_shoot = "shoot-look-shoot"


def build_document(raid_file: Path | None, engagement_file: Path | None, scenario: str | None,
                   profile=None) -> dict:
    """The raid document (see `shieldsim.battle.simulate_document`) from the command's files.
    With a scenario, the [engagement] table is computed from it (`study.scenario_engagement_table`),
    under the assumption ``profile`` when given (`assumptions.Profile`)."""
    from pydantic import ValidationError

    from ..battle import Raid, read_document, read_tables

    if raid_file is None:
        fail("--raid", "give a raid file (TOML or JSON with a [raid] table)")
    if scenario is not None:
        doc = _read(raid_file, "--raid", _read_raid_only, ValidationError)
        if "raid" not in doc:
            fail("--raid", f"{raid_file} has no [raid] table")
        try:
            raid = Raid.from_dict(doc["raid"])
        except ValidationError as err:
            fail("--raid", f"{raid_file}: raid.{first_problem(err)}")
        if "engagement" in doc or engagement_file is not None:
            fail("--engagement", "with a SCENARIO the engagement is computed from it; drop the [engagement] "
                                 "table / --engagement FILE, or drop the SCENARIO")
        doc["engagement"] = _scenario_table(scenario, raid, profile)
        return doc
    if profile is not None:
        fail("--assumptions", "an assumption profile changes a scenario's figures: give a SCENARIO to compute "
                              "the engagement from, or drop --assumptions")
    doc = _read(raid_file, "--raid", read_document, ValidationError)
    if engagement_file is not None:
        other = _read(engagement_file, "--engagement", read_tables, ValidationError)
        if "engagement" not in other:
            fail("--engagement", f"{engagement_file} has no [engagement] table")
        doc["engagement"] = other["engagement"]
    if "engagement" not in doc:
        fail("--raid", f"{raid_file} has no [engagement] table; add one or give --engagement FILE")
    return doc


def _read_raid_only(path: Path) -> dict:
    from ..battle import read_tables

    doc = read_tables(path)
    extra = set(doc) - {"raid", "doctrine", "engagement"}
    if extra:
        raise ValueError(f"unknown tables {sorted(extra)}; allowed: raid, doctrine")
    return doc


def _scenario_table(scenario: str, raid, profile=None) -> dict:
    from ..study import scenario_engagement_table
    from .coverage import load_architecture

    arch = load_architecture(scenario, "SCENARIO", profile)
    try:
        return scenario_engagement_table(arch, raid)
    except (KeyError, ValueError) as err:
        fail("--raid", " ".join(str(err).split())[:400])


def _read(path: Path, option: str, reader, validation_error):
    from ..files import InputFileError

    try:
        return reader(path)
    except InputFileError as err:  # missing, not a regular file, too large, not UTF-8
        fail(option, f"cannot read {err}")
    except OSError as err:
        fail(option, f"cannot read {path}: {err.strerror or err}")
    except validation_error as err:
        fail(option, f"{path}: {first_problem(err)}")
    except ValueError as err:  # TOML/JSON syntax
        fail(option, f"{path}: {' '.join(str(err).split())}")


def apply_doctrine(doc: dict, doctrine, salvo_size, look_size, max_looks, kill_assessment_s) -> None:
    """Command-line doctrine options override the file's [doctrine] table. An option that the
    resulting doctrine does not use (``--max-looks`` with one-shot, say) is refused."""
    table = dict(doc.get("doctrine") or {})
    for key, value in (("kind", doctrine.value if doctrine else None), ("salvo_size", salvo_size),
                       ("look_size", look_size), ("max_looks", max_looks),
                       ("kill_assessment_s", kill_assessment_s)):
        if value is not None:
            table[key] = value
    kind = table.get("kind", "shoot-look-shoot")
    for option, value, used_by in (("--salvo-size", salvo_size, "salvo"), ("--look-size", look_size, "shoot-look-shoot"),
                                   ("--max-looks", max_looks, "shoot-look-shoot")):
        if value is not None and kind != used_by and kind in DOCTRINE_NAMES:
            fail(option, f"{option} applies only to the {used_by} doctrine, not to {kind}; drop it or give "
                         f"--doctrine {used_by}")
    doc["doctrine"] = table


DOCTRINE_NAMES = ("one-shot", "salvo", "shoot-look-shoot")


@app.command()
def raid(
    scenario: str = typer.Argument(None, help="Scenario name or TOML file; the engagement is computed from it "
                                                 "(otherwise the raid file's [engagement] table is used)."),
    raid_file: Path = typer.Option(None, "--raid", help="Raid file (TOML or JSON) with [raid], "
                                                        "[engagement] and optional [doctrine] tables."),
    engagement_file: Path = typer.Option(None, "--engagement", help="File whose [engagement] table replaces "
                                                                    "the raid file's."),
    trials: int = typer.Option(None, "--trials", min=1, max=100_000_000,
                               help="Monte Carlo trials (default 1000) [1, 1e8]."),
    seed: int = typer.Option(None, "--seed", min=0, max=2**63 - 1,
                             help="Seed of the random numbers (default 0) [0, 2^63-1]."),
    doctrine: DoctrineName = typer.Option(None, "--doctrine", help="Firing doctrine (default: the raid file's, "
                                                                  "else shoot-look-shoot)."),
    salvo_size: int = typer.Option(None, "--salvo-size", min=1, max=64, help="Interceptors per salvo [1, 64]."),
    look_size: int = typer.Option(None, "--look-size", min=1, max=64,
                                  help="Interceptors per look in shoot-look-shoot [1, 64]."),
    max_looks: int = typer.Option(None, "--max-looks", min=1, max=1000,
                                  help="Most engagements per threat in shoot-look-shoot [1, 1000]."),
    kill_assessment_s: float = typer.Option(None, "--kill-assessment-s", min=0, max=3600,
                                            help="Seconds from intercept to the next firing decision [0, 3600]."),
    workers: int = typer.Option(None, "--workers", min=0, max=512,
                                help="Run on a local Dask cluster of this many processes; 0 (the default) runs in "
                                     "this process [0, 512]."),
    scheduler: str = typer.Option(None, "--scheduler", help="Run on an existing Dask cluster, e.g. tcp://host:8786."),
    chunk_trials: int = typer.Option(None, "--chunk-trials", min=1, max=10_000_000,
                                     help="Trials per chunk (default: up to 32,768; fewer for raids of thousands of threats, "
                                          "more beyond a million trials) [1, 1e7]."),
    out: Path = typer.Option(None, "--out", help="Write finished chunks and result.json to this new directory."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    resume: Path = typer.Option(None, "--resume", help="Continue the run in this directory; alone, it takes the "
                                                       "raid, engagement, doctrine, trials and seed from the run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr "
                                                                         "(default: when stderr is a terminal)."),
    assumptions: str = assumptions_option(),
    ensemble: int = ensemble_run.ensemble_option(),
    ensemble_method: str = ensemble_run.method_option(),
) -> None:
    """Monte Carlo of a raid: leakers per aim point, interceptors expended, raid defeated."""
    import sys

    check_workers(workers, scheduler)
    profile = load_profile_option(assumptions)
    if ensemble and (scenario is None or raid_file is None or (out is None and resume is None)):
        fail("--ensemble", "an ensemble draws a scenario's figures and writes its members to the run folder: give "
                           "SCENARIO, --raid FILE and --out DIR (or --resume DIR)")
    prepared = None
    if ensemble:
        from .. import scenario as scen

        prepared = ensemble_run.prepare([scen.load(scenario)], profile, ensemble, 0 if seed is None else seed,
                                        ensemble_method)
    folder = run_folder(out, resume, overwrite=overwrite)
    if resume is not None and raid_file is None and scenario is None:
        if profile is not None:
            fail("--assumptions", "a resumed run keeps the assumptions it was started with; drop --assumptions "
                                  "or give the run's SCENARIO and --raid too")
        doc, scenario, chunk_trials, record = _from_run(resume, chunk_trials)
    else:
        doc = build_document(raid_file, engagement_file, scenario, profile)
        doc["trials"], doc["seed"] = 1000, 0
        record = _record(scenario, profile)
    apply_doctrine(doc, doctrine, salvo_size, look_size, max_looks, kill_assessment_s)
    if trials is not None:
        doc["trials"] = trials
    if seed is not None:
        doc["seed"] = seed
    show = sys.stderr.isatty() if progress is None else progress
    result_json = run_document(doc, workers, scheduler, chunk_trials, folder, show,
                               scenario=scenario, source=str(raid_file) if raid_file else None,
                               assumptions=record)
    if ensemble:
        result_json["ensemble"] = _raid_ensemble(doc, scenario, profile, prepared, folder, workers, scheduler, show)
    if folder is not None:
        (folder / "result.json").write_text(to_json(result_json) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(to_json(result_json))
    else:
        typer.echo(format_text(result_json))


def _raid_ensemble(doc: dict, scenario: str, profile, prepared, folder: Path, workers, scheduler, show: bool) -> dict:
    """The uncertainty ensemble of the raid's leak probabilities (`headlines.raid`): each member
    recomputes the engagement table from the scenario under its figures and runs the same trials
    with the same seed. Chunks in ``folder/ensemble-members``; returns the ``ensemble`` block."""
    import functools

    from .. import headlines

    base = {k: v for k, v in doc.items() if k != "engagement"}
    study = functools.partial(headlines.raid, scenario=scenario, document=base, trials=int(doc["trials"]),
                              seed=int(doc["seed"]))
    nominal = headlines.raid(profile, scenario=scenario, document=base, trials=int(doc["trials"]),
                             seed=int(doc["seed"]))
    with open_executor(workers, scheduler, folder, "shieldsim raid") as ex:
        ens = ensemble_run.run(study, prepared, profile, ex, folder, show, nominal=nominal,
                               params={"command": "raid", "scenario": scenario, "trials": int(doc["trials"]),
                                       "seed": int(doc["seed"])})
    ensemble_run.write(ens, folder)
    return ens.as_dict()


def _record(scenario: str | None, profile) -> dict | None:
    """`assumptions.record` of ``scenario`` under ``profile`` (None without either)."""
    if scenario is None or profile is None:
        return None
    from .. import scenario as scen
    from ..assumptions import apply, record

    return record(apply(scen.load(scenario), profile))  # loaded and applied once already: no new warnings


def _from_run(run_dir: Path, chunk_trials: int | None) -> tuple[dict, str | None, int, dict | None]:
    """The document, scenario, chunk size and assumptions record a run directory was started with."""
    import copy

    from ..parallel import DamagedManifest, job_params

    try:
        params = job_params(run_dir)
    except DamagedManifest as err:
        fail("--resume", f"{err}; start a new run with --out")
    try:
        doc = copy.deepcopy(params["document"])
        return (doc, params.get("scenario"), chunk_trials or int(params["chunk_trials"]),
                copy.deepcopy(params.get("assumptions")))
    except (OSError, ValueError, KeyError, TypeError) as err:
        fail("--resume", f"{run_dir} does not hold a raid run that can be continued alone ({err}); "
                         f"give the run's options too")


def run_document(doc: dict, workers=None, scheduler=None, chunk_trials=None, out_dir=None, progress=False,
                 scenario=None, source=None, assumptions=None) -> dict:
    """Simulate a raid document on the chosen back-end and return the command's JSON record
    (``assumptions``: the `assumptions.record` the engagement table was computed under)."""
    from pydantic import ValidationError

    from .. import parallel
    from ..battle import simulate_document

    with open_executor(workers, scheduler, out_dir, "shieldsim raid") as ex:
        try:
            result, models = simulate_document(doc, ex, chunk_trials=chunk_trials, out_dir=out_dir,
                                               resume=True, progress=progress,
                                               params={"document": doc, "scenario": scenario,
                                                       **({"assumptions": assumptions} if assumptions else {})},
                                               job_info={"source": source} if out_dir is not None else None)
        except parallel.ResumeMismatch as err:
            fail("--resume", str(err))
        except ValidationError as err:
            fail("--raid", first_problem(err))
        except ValueError as err:
            fail("--raid", str(err))
        execution = ex.describe()
    if source is None and out_dir is not None:  # a run continued alone: the file it was started from
        source = (parallel.job_info(out_dir) or {}).get("source")
    record = {
        "command": "raid",
        "source": source,
        "raid": {"name": doc["raid"].get("name", "raid"), "threats": int(result.threat_leaks.shape[0]),
                 "aim_points": list(result.aim_points)},
        "trials": result.trials,
        "doctrine": result.doctrine.as_dict(),
        "execution": {**execution, **result.chunks},
        "result": result.summary(),
    }
    record.update(provenance(models=models, scenario=scenario, seed=result.seed, assumptions=assumptions))
    return record


def _summary_text(rec: dict) -> str:
    from ..assumptions import summary_text

    return summary_text(rec)


def format_text(rec: dict) -> str:
    """Short human summary of a raid record."""
    r = rec["result"]
    d = rec["doctrine"]
    lines = [
        f"Raid          {rec['raid']['name']}: {rec['raid']['threats']} threats, {rec['trials']} trials, seed {rec['seed']}",
        *([f"Assumptions   {_summary_text(rec['assumptions'])}"] if rec.get("assumptions") else []),
        f"Doctrine      {d['kind']} (kill assessment {d['kill_assessment_s']:g} s)",
        f"Raid defeated {r['p_raid_defeated']:.4f} +- {r['p_raid_defeated_se']:.4f}",
        f"Leakers       {r['mean_leakers']:.3f} per raid on average",
        "Aim point                      mean leakers   P(any leaker)",
    ]
    for name, a in r["aim_points"].items():
        lines.append(f"  {name:<28} {a['mean_leakers']:>12.3f}   {a['p_any_leaker']:>13.4f}")
    lines.append("Battery                        inventory   mean fired   max fired")
    for name, b in r["batteries"].items():
        lines.append(f"  {name:<28} {b['inventory']:>9d}   {b['mean_expended']:>10.2f}   {b['max_expended']:>9d}")
    ex = rec["execution"]
    lines.append(f"Execution     {ex['backend']}, {ex['workers']} worker(s), {ex['chunks']} chunks "
                 f"({ex['computed']} computed, {ex['loaded']} resumed)")
    if rec.get("ensemble"):
        lines += ["", ensemble_run.table(rec["ensemble"])]
    return "\n".join(lines)
