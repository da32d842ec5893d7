"""``shieldsim sweep``: run a command's result over a grid of parameters, one chunk per grid point.

A command's input is a document (nested tables, as in its file); ``--set PATH=...`` replaces
the value at a dotted PATH in it. Path segments index tables by key and lists by position or by
the ``name`` of their element: ``engagement.battery.Site1.inventory``,
``engagement.battery.0.sspk``, ``doctrine.salvo_size``, ``raid.wave.1.count``, ``trials``.
Values: ``START:STOP:STEP`` (inclusive of STOP when the steps reach it; integers stay integers)
or a comma list ``a,b,c``. Several ``--set`` make the Cartesian product.

With a SCENARIO the [engagement] table is computed from it once (batteries, per-route windows)
for every route that any grid point flies (so points may change a wave's launch area or point,
aim point or missile), and the grid changes that table, the raid and the doctrine.

Every grid point is a chunk of a `shieldsim.parallel.run_chunks` job: with ``--out DIR`` each
finished point is written at once and ``--resume DIR`` continues a killed sweep. Commands that
can be swept are listed in `SWEEPABLE`; for now: ``raid``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .output import OVERWRITE_HELP, check_workers, fail, first_problem, open_executor, provenance, run_folder, to_json


def raid_point(doc: dict) -> dict:
    """One grid point of a raid sweep: the raid summary (JSON-able). Runs in a worker."""
    from ..battle import simulate_document

    result, _ = simulate_document(doc)
    return result.summary()


SWEEPABLE = {"raid": raid_point}
"""Command name -> function of one document returning that command's result (picklable)."""


def parse_values(text: str) -> list:
    """``START:STOP:STEP`` or ``a,b,c`` (or one value) -> list of values."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"expected START:STOP:STEP, got {text!r}")
        nums = [_number(p) for p in parts]
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in nums):
            raise ValueError(f"START:STOP:STEP must be numbers, got {text!r}")
        start, stop, step = nums
        if step == 0 or (stop - start) * step < 0:
            raise ValueError(f"STEP must be non-zero and lead from START to STOP, got {text!r}")
        count = int((stop - start) / step + 1e-9) + 1
        if count > 100_000:
            raise ValueError(f"{text!r} makes {count} values (at most 100000)")
        if all(isinstance(n, int) for n in nums):
            return [start + i * step for i in range(count)]
        return [float(f"{start + i * step:.12g}") for i in range(count)]
    return [_number(p) for p in text.split(",")]


def _number(text: str):
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def set_path(doc: dict, path: str, value) -> None:
    """Set ``value`` at the dotted ``path`` of a nested document, in place."""
    parts = path.split(".")
    node = doc
    for depth, seg in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, seg, path)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[seg] = value
            else:
                if seg not in node:
                    node[seg] = {}
                node = node[seg]
        else:
            raise KeyError(f"{path}: {'.'.join(parts[:depth])} is a value, not a table or list")


def _list_index(node: list, seg: str, path: str) -> int:
    if seg.lstrip("-").isdigit():
        i = int(seg)
        if not -len(node) <= i < len(node):
            raise KeyError(f"{path}: index {i} out of range (list of {len(node)})")
        return i
    named = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == seg]
    if len(named) != 1:
        names = [item.get("name") for item in node if isinstance(item, dict)]
        raise KeyError(f"{path}: no single element named {seg!r} (names: {names})")
    return named[0]


def grid_documents(base: dict, axes: list[tuple[str, list]]) -> tuple[list[dict], list[dict]]:
    """All documents of the grid (Cartesian product, last axis fastest) and their values."""
    import copy
    import itertools

    docs, points = [], []
    for combo in itertools.product(*[values for _, values in axes]):
        doc = copy.deepcopy(base)
        for (path, _), value in zip(axes, combo):
            set_path(doc, path, value)
        docs.append(doc)
        points.append({path: value for (path, _), value in zip(axes, combo)})
    return docs, points


@app.command()
def sweep(
    scenario: str = typer.Argument(None, help="Scenario name or TOML file: the raid's engagement is computed "
                                                 "from it once, then swept like a raid file's [engagement]."),
    sets: list[str] = typer.Option(..., "--set", help="PATH=START:STOP:STEP or PATH=a,b,c; repeat for a grid."),
    command: str = typer.Option("raid", "--command", help="Command whose result is swept [raid]."),
    raid_file: Path = typer.Option(None, "--raid", help="Raid file (for --command raid)."),
    engagement_file: Path = typer.Option(None, "--engagement", help="File whose [engagement] table replaces "
                                                                    "the raid file's."),
    trials: int = typer.Option(1000, "--trials", min=1, max=1_000_000_000, help="Monte Carlo trials per point [1, 1e9]."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**63 - 1, help="Seed, the same at every point [0, 2^63-1]."),
    workers: int = typer.Option(None, "--workers", min=0, max=512,
                                help="Local Dask cluster size; 0 runs in this process (default: one worker "
                                     "per CPU when there are several points) [0, 512]."),
    scheduler: str = typer.Option(None, "--scheduler", help="Run on an existing Dask cluster, e.g. tcp://host:8786."),
    out: Path = typer.Option(None, "--out", help="Write each finished point and result.json to this new directory."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    resume: Path = typer.Option(None, "--resume", help="Continue the sweep in this directory (same options)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr "
                                                                         "(default: when stderr is a terminal)."),
) -> None:
    """Run a command's result over a grid of parameters (resumable, local or Dask)."""
    import os
    import sys

    from .raid import build_document

    if command not in SWEEPABLE:
        fail("--command", f"cannot sweep {command!r}; allowed: {sorted(SWEEPABLE)}")
    check_workers(workers, scheduler)
    folder = run_folder(out, resume, "sweep", overwrite)
    base = build_document(raid_file, engagement_file, scenario)
    base["trials"], base["seed"] = trials, seed
    axes = _axes(sets)
    try:
        docs, points = grid_documents(base, axes)
        if scenario is not None and _widen_scenario_windows(base, docs, scenario):
            docs, points = grid_documents(base, axes)
    except KeyError as err:
        fail("--set", str(err.args[0]))
    if len(docs) > 1_000_000:
        fail("--set", f"the grid has {len(docs)} points (at most 1000000)")
    _validate(docs, points)

    if workers is None and scheduler is None:
        workers = min(os.cpu_count() or 1, len(docs)) if len(docs) > 1 else 0
    show = sys.stderr.isatty() if progress is None else progress
    results, execution = _run_points(SWEEPABLE[command], command, docs, base, axes, workers, scheduler, folder, show)
    record = {
        "command": "sweep",
        "swept": command,
        "source": str(raid_file),
        "axes": [{"path": p, "values": v} for p, v in axes],
        "trials": trials,
        "execution": execution,
        "points": [{"set": pt, "result": res} for pt, res in zip(points, results)],
    }
    models = (base.get("engagement") or {}).get("models")
    record.update(provenance(models=models, scenario=scenario, seed=seed))
    if folder is not None:
        (folder / "result.json").write_text(to_json(record) + "\n", encoding="utf-8")
    typer.echo(to_json(record) if as_json else _table(record))


def _axes(sets: list[str]) -> list[tuple[str, list]]:
    """The grid's axes [(path, values)] of the ``--set`` options (each path once, each value once)."""
    axes = []
    for item in sets:
        path, sep, values = item.partition("=")
        if not sep or not path or not values:
            fail("--set", f"expected PATH=START:STOP:STEP or PATH=a,b,c, got {item!r}")
        try:
            axes.append((path.strip(), parse_values(values)))
        except ValueError as err:
            fail("--set", str(err))
        if path.strip() in [p for p, _ in axes[:-1]]:
            fail("--set", f"path {path.strip()!r} is set twice; give all its values in one --set, "
                          f"e.g. {path.strip()}=a,b,c")
        repeated = [v for i, v in enumerate(axes[-1][1]) if v in axes[-1][1][:i]]
        if repeated:
            fail("--set", f"value {repeated[0]!r} is given twice for {path.strip()!r}; each grid point once")
    return axes


def _run_points(fn, command: str, docs: list, base: dict, axes: list, workers, scheduler, folder, show: bool):
    """Each point's result (in order) and the execution record: on the executor, and with a
    folder as resumable chunks (`parallel.run_chunks`)."""
    from .. import parallel

    with open_executor(workers, scheduler, folder, "shieldsim sweep") as ex:  # started only if a point is left
        if folder is None:
            results = ex.map(fn, docs, progress=show, description=f"{command} sweep")
            computed, loaded = len(docs), 0
        else:
            chunks = [parallel.Chunk(f"point-{i:07d}", doc) for i, doc in enumerate(docs)]
            params = {"command": command, "base": base, "axes": [[p, v] for p, v in axes]}
            try:
                run = parallel.run_chunks(fn, chunks, folder, resume=True, progress=show, executor=ex,
                                          params=params, description=f"{command} sweep")
            except parallel.ResumeMismatch as err:
                fail("--resume", str(err))
            results, computed, loaded = run.results, len(run.computed), len(run.loaded)
        execution = {**ex.describe(), "chunks": len(docs), "computed": computed, "loaded": loaded}
    return results, execution


def _routes(doc: dict) -> dict:
    """Distinct routes (launch area, launch point, aim point, missile) of a document's raid."""
    from ..battle import Raid, RaidSpec

    try:
        raid = Raid.from_spec(RaidSpec.model_validate(doc["raid"]))
    except (ValueError, KeyError, TypeError):
        return {}  # an invalid raid is refused with its field path by _validate
    return {(raid.launch_area[i], raid.point_of(i), raid.aim_point[i], raid.missile[i]): None
            for i in range(len(raid))}


def _widen_scenario_windows(base: dict, docs: list[dict], scenario: str) -> bool:
    """With a SCENARIO the base [engagement] holds windows only for the raid file's routes. If
    grid points change a route (launch area or point, aim point, missile), recompute the table
    from the scenario for every route of the grid, so no point silently loses its windows.
    Returns True when ``base`` was changed (the grid must then be rebuilt from it)."""
    from ..battle import Raid
    from .coverage import load_architecture
    from ..study import scenario_engagement_table

    known = _routes(base)
    wanted = dict(known)
    for doc in docs:
        wanted.update(_routes(doc))
    if len(wanted) == len(known):
        return False
    import numpy as np

    keys = list(wanted)
    union = Raid("sweep routes", np.zeros(len(keys)), tuple(k[0] for k in keys), tuple(k[2] for k in keys),
                 tuple(k[3] for k in keys), tuple(k[1] for k in keys))
    arch = load_architecture(scenario, "SCENARIO")
    try:
        table = scenario_engagement_table(arch, union)
    except (KeyError, ValueError) as err:
        fail("--set", " ".join(str(err.args[0] if err.args else err).split())[:400])
    base["engagement"] = table
    return True


def _validate(docs: list[dict], points: list[dict]) -> None:
    """Refuse a grid with an invalid point before any work starts."""
    from pydantic import ValidationError

    from ..battle import document_inputs

    for doc, point in zip(docs, points):
        try:
            if not isinstance(doc["trials"], int) or not 1 <= doc["trials"] <= 1_000_000_000:
                raise ValueError("trials must be an integer within [1, 1e9]")
            seed = doc.get("seed", 0)
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
                raise ValueError("seed must be an integer within [0, 2^63-1]")
            document_inputs(doc)
        except ValidationError as err:
            fail("--set", f"at {point}: {first_problem(err)}")
        except ValueError as err:
            fail("--set", f"at {point}: {err}")


def _table(record: dict) -> str:
    paths = [a["path"] for a in record["axes"]]
    head = "  ".join(f"{p:>20}" for p in paths) + f"  {'P(defeated)':>12}  {'mean leakers':>12}"
    lines = [head]
    for point in record["points"]:
        r = point["result"]
        vals = "  ".join(f"{point['set'][p]!s:>20}" for p in paths)
        lines.append(f"{vals}  {r['p_raid_defeated']:>12.4f}  {r['mean_leakers']:>12.3f}")
    ex = record["execution"]
    lines.append(f"{ex['chunks']} points on {ex['backend']} ({ex['workers']} worker(s)); "
                 f"{ex['computed']} computed, {ex['loaded']} resumed")
    return "\n".join(lines)
