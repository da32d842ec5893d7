"""What every command shares: provenance, JSON writing, one-line errors, LAT,LON parsing,
progress bars, the --workers/--scheduler and --out/--resume/--overwrite checks (output folders:
`folders`), and the --earth choice."""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any

import typer

from .. import __version__
from ..jsonout import to_json


class EarthName(str, Enum):
    """The ``--earth`` choice of the physics commands (`earth.earth_model` names)."""

    sphere = "sphere"
    wgs84 = "wgs84"


_OMIT = object()


def provenance(models: dict | None = None, scenario: str | None = None, seed: int | None = None,
               assumptions: Any = _OMIT) -> dict:
    """The record every output carries: shieldsim version, model switches, scenario and seed;
    the study commands add ``assumptions`` (`assumptions.record` of their scenario: the profile
    and every figure it changed, or None for the scenario alone)."""
    out = {"version": __version__, "models": models, "scenario": scenario, "seed": seed}
    if assumptions is not _OMIT:
        out["assumptions"] = assumptions
    return out


ASSUMPTIONS_HELP = ("Assumption profile applied on top of the scenario(s): a built-in name (see `shieldsim "
                    "assumptions`) or a profile TOML file (default: the scenario alone).")


def assumptions_option():
    """The ``--assumptions NAME|FILE`` option every study command shares (a fresh Typer option)."""
    return typer.Option(None, "--assumptions", help=ASSUMPTIONS_HELP)


def load_profile_option(value: str | None, option: str = "--assumptions"):
    """The `assumptions.Profile` named by ``--assumptions`` (None when not given), or a one-line
    error naming ``option`` and what it allows (exit code 2)."""
    if value is None:
        return None
    from .. import assumptions

    try:
        return assumptions.load_profile(value)
    except assumptions.ProfileError as err:
        problems = "; ".join(str(i) for i in err.issues[:3]) + ("; ..." if len(err.issues) > 3 else "")
        fail(option, " ".join(problems.split()))


def apply_profile(sc, profile, option: str = "--assumptions"):
    """``sc`` with ``profile`` applied (unchanged when None), or a one-line error naming ``option``."""
    if profile is None:
        return sc
    from .. import assumptions

    try:
        applied = assumptions.apply(sc, profile)
    except assumptions.ProfileError as err:
        fail(option, " ".join(str(err).split()))
    for line in assumptions.warnings(applied):  # reported, never silently ignored (JSON: assumptions.warnings)
        typer.echo(f"warning: {line}", err=True)
    return applied


def scenario_loader(profile, option: str = "--assumptions"):
    """``load(name)`` for scenarios a study loads by name (phases, cooperation options), with the
    profile applied; a bad scenario or profile is a one-line error naming ``option``."""
    import functools

    return functools.partial(_load_profiled, profile, option)  # picklable: `assess` may send it to a second process


def _load_profiled(profile, option: str, name: str):
    """Scenario ``name`` with ``profile`` applied (`scenario_loader`)."""
    from .. import scenario as scen

    try:
        sc = scen.load(name)
    except scen.ScenarioError as err:
        fail(option, " ".join(str(err).split()))
    return apply_profile(sc, profile)


def save_and_print(summary: dict, path, as_json: bool, table) -> None:
    """Write a result folder's ``summary`` as JSON to ``path``, then print it: the same JSON with
    ``--json``, else ``table(summary)`` and where the results are."""
    text = to_json(summary)
    path.write_text(text)
    typer.echo(text if as_json else f"{table(summary)}\nResults in {path.parent}/")


def writable_dir(path, option: str = "--out", overwrite: bool = False, resume: bool = False):
    """Claim the output folder ``path`` for this run before any long computation starts
    (`folders.claim`): created, writable, locked against other runs, and empty -- or, with
    ``overwrite``, emptied if shieldsim wrote it; ``resume`` keeps the content of a run being
    continued. Otherwise a one-line error naming ``option``. Returns the Path."""
    from .folders import FolderRefused, claim

    try:
        return claim(path, overwrite=overwrite, resume=resume)
    except FolderRefused as err:
        fail(option, str(err))
    except OSError as err:
        fail(option, f"cannot write to {path}: {err.strerror or err}")


def output_file(path, option: str, example: str = "result.csv"):
    """Check an output-file option (``--plot``, ``--csv``...) names a file before any work: not
    empty and not a folder (``--plot ''`` would otherwise write a hidden ``./.png``). Returns it."""
    if path is None:
        return None
    from pathlib import Path

    import stat

    text = str(path)
    if text in ("", ".", "..") or text.endswith("/") or Path(text).name in ("", ".", "..") or Path(text).is_dir():
        fail(option, f"{text!r} is a folder or empty, not a file name; give a file such as {example}")
    try:
        mode = Path(text).stat().st_mode
    except (OSError, ValueError):
        return path  # a new file (or one that cannot be written: the writer says so)
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):  # writing would wait for a reader forever
        fail(option, f"{text!r} is a FIFO or socket, not a file; give a file such as {example}")
    return path


OVERWRITE_HELP = "Replace the results of an earlier run in the --out folder (only a folder shieldsim wrote)."
"""Help of every command's ``--overwrite`` flag."""


_SCHEDULER = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?"
                        r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"
                        r":(\d{1,5})$")


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a ``--scheduler`` that is not a Dask scheduler address ``[PROTOCOL://]HOST:PORT``
    (protocol tcp, tls, ucx, ws or wss; port 1-65535), including an empty one, with a one-line
    error naming the option. None (not given) passes."""
    if scheduler is None:
        return
    found = _SCHEDULER.match(scheduler)
    if found is None or not 1 <= int(found.group(1)) <= 65535:
        fail("--scheduler", f"{scheduler!r} is not a Dask scheduler address; allowed: [PROTOCOL://]HOST:PORT with "
                            "PROTOCOL tcp (the default), tls, ucx, ws or wss and PORT 1-65535, e.g. tcp://10.0.0.5:8786")


def check_workers(workers: int | None, scheduler: str | None) -> None:
    """Check a command's ``--workers``/``--scheduler`` before any work: the scheduler address
    (`check_scheduler`) and not both (``--workers 0`` means in-process and may go with neither)."""
    check_scheduler(scheduler)
    if workers and scheduler is not None:
        fail("--workers", "give either --workers (a local cluster) or --scheduler (an existing one), not both")


def open_executor(workers: int | None, scheduler: str | None, run_dir=None, command: str = "shieldsim"):
    """The `parallel.executor` of a command's ``--workers``/``--scheduler`` options (``--workers``
    0 or unset runs in this process), started when work first reaches it (`parallel.LazyExecutor`:
    a resumed run with nothing left to compute starts no cluster). The options are checked at
    once (`check_workers`); an unreachable scheduler is a one-line error naming ``--scheduler``.
    Used as a context manager, a cluster lost in the middle of the work (`parallel.ClusterLost`)
    ends the command with one line (exit code 1) saying how to continue: with
    ``--resume run_dir`` when the command writes its finished pieces to ``run_dir``."""
    check_workers(workers, scheduler)
    return _CommandExecutor(workers, scheduler, run_dir, command)


class _CommandExecutor:
    """`open_executor`'s back-end: a `parallel.LazyExecutor` whose context turns a lost cluster
    into a one-line error."""

    def __init__(self, workers, scheduler, run_dir, command):
        from ..parallel import LazyExecutor

        self.scheduler, self.run_dir, self.command = scheduler, run_dir, command
        self.inner = LazyExecutor(lambda: self._start(workers))

    def _start(self, workers):
        from ..parallel import executor

        if self.scheduler is not None:
            import logging

            import distributed  # noqa: F401 -- configures its loggers, which are quietened next

            # the client logs its failed reconnections with tracebacks; the command reports the
            # outcome in one line
            # (tornado, under distributed's event loop, logs a reset connection as "Exception in callback")
            for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "tornado")]:
                logging.getLogger(name).setLevel(logging.CRITICAL)
            for name in ("distributed", "tornado", "tornado.application", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            return executor(workers or None, self.scheduler)
        except (OSError, ValueError) as err:
            fail("--scheduler", f"cannot reach the Dask scheduler {self.scheduler}: {' '.join(str(err).split())}")

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self.inner

    def __exit__(self, kind, err, tb):
        from ..parallel import ClusterLost

        try:
            self.inner.close()
        except Exception:
            if kind is None:
                raise
        if kind is not None and issubclass(kind, ClusterLost):
            if self.run_dir is not None:
                hint = (f"the finished chunks are kept in {self.run_dir}; continue the run with "
                        f"`{self.command} --resume {self.run_dir}`")
            else:
                hint = "nothing was kept; run the command again (with --out DIR a run can be resumed)" \
                    if self.command.split()[-1] in ("raid", "sweep") else "nothing was kept; run the command again"
            typer.echo(f"{self.command}: error: {err}; {hint}", err=True)
            raise typer.Exit(1) from None
        return False


def run_folder(out, resume, what: str = "run", overwrite: bool = False):
    """Check a resumable command's ``--out`` (a new run: claimed now, see `writable_dir`) and
    ``--resume`` (an existing run: claimed, kept) before any work; returns the run's folder or None."""
    if out and resume:
        fail("--resume", f"give either --out (new {what}) or --resume (continue a {what}), not both")
    if out is not None and (out / "manifest.json").exists() and not overwrite:
        fail("--out", f"{out} already holds a {what}; continue it with --resume {out} (or give --overwrite "
                      "to start it again)")
    if resume is not None and not (resume / "manifest.json").exists():
        fail("--resume", f"{resume} holds no {what} to continue (no manifest.json)")
    if out is not None:
        writable_dir(out, overwrite=overwrite)
    if resume is not None:
        writable_dir(resume, "--resume", resume=True)
    return out or resume


def first_problem(err) -> str:
    """The first problem of a pydantic ``ValidationError`` as ``"field.path: message"``."""
    first = err.errors()[0]
    return f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}"


def latlon(option: str, text: str) -> tuple[float, float]:
    """Parse ``"LAT,LON"`` in degrees (latitude in [-90, 90], longitude in [-180, 360]), or
    fail with a one-line usage error naming ``option`` (not two numbers, out of range, NaN)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        fail(option, f"expected LAT,LON in degrees, e.g. 35.7,51.4; got {text!r}")
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        fail(option, f"latitude {lat} outside [-90, 90] degrees")
    if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
        fail(option, f"longitude {lon} outside [-180, 360] degrees")
    return lat, lon


def fail(option: str, message: str) -> None:
    """Raise a usage error about ``option`` (exit code 2, one line, no traceback)."""
    raise typer.BadParameter(message, param_hint=f"'{option}'")


class StageProgress:
    """Progress bars for work reported as ``(stage, done, total)``: one bar per stage, opened
    when the stage first reports and closed when the next stage starts or on `close`; with
    ``per_stage=False`` one bar labelled ``prefix`` for work whose ``done`` and ``total`` count
    across all its stages. Use as a callable; does nothing when disabled."""

    def __init__(self, enabled: bool, prefix: str = "", per_stage: bool = True):
        self.enabled, self.prefix, self.per_stage = enabled, prefix, per_stage
        self._stage, self._bar, self._advance, self._done = None, None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        key = stage if self.per_stage else None
        if self._bar is None or key != self._stage:
            self.close()
            from ..parallel import progress_bar

            self._stage, self._done = key, 0
            self._bar = progress_bar(True, total, f"{self.prefix}{stage}" if self.per_stage else self.prefix)
            self._advance = self._bar.__enter__()
        self._advance(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        self._stage, self._bar = None, None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
