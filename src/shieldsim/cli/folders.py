"""Output folders that never mix runs.

Every command that writes a folder (``--out``, or the ``--resume`` folder of a run it continues)
claims it first, before any long computation (`claim`):

* it creates the folder and takes an exclusive lock on ``.shieldsim-lock`` inside it (``flock``;
  the system releases it when the process ends, also when it is killed), so a second run into
  the same folder at the same time is refused at once instead of interleaving its files;
* a folder that holds anything is refused, unless ``--overwrite`` is given and the folder is
  one shieldsim wrote (it holds a ``.shieldsim-run.json`` record): then its content is removed
  first, so no file of the earlier run (e.g. a footprint of another scenario) survives beside the
  new ones. A non-empty folder shieldsim did not write is never emptied, even with ``--overwrite``;
* ``.shieldsim-run.json`` records the command, when it started, and its status: ``running``,
  then (`finish`, called by `shieldsim.cli.main` when the command ends) ``complete`` with the
  list of the run's files, or ``failed``. A run killed before it ends stays ``running`` -- its
  folder holds an incomplete run, and says so.

A continued run (``--resume``) claims its folder with ``resume=True``: locked and recorded,
never emptied. The record is written through a temporary file with a unique name and
``os.replace``, which is also the check that the folder can be written (no shared probe file
that two processes could race on).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover -- not POSIX: no locking, the other checks still hold
    fcntl = None

LOCK = ".shieldsim-lock"
RECORD = ".shieldsim-run.json"
_FORMAT = "shieldsim-output/1"
_TEMP = ".shieldsim-run-"
_MAX_LISTED = 10_000


class FolderRefused(Exception):
    """The folder cannot be used for this run; ``str(err)`` is the one-line reason."""


@dataclass
class _Claim:
    path: Path
    fd: int | None
    record: dict


_claims: dict[str, _Claim] = {}
_command: list[str] = []


def begin(argv: list[str] | None) -> None:
    """Start of a command: forget claims of an earlier command in this process (`finish`
    normally released them) and remember the command line for the records."""
    finish(False)
    _command[:] = ["shieldsim", *(argv if argv is not None else sys.argv[1:])]


def claim(path: str | os.PathLike, overwrite: bool = False, resume: bool = False) -> Path:
    """Claim the output folder ``path`` for this run (see the module docstring). Returns the
    Path; raises `FolderRefused` (one-line reason) or OSError (cannot create or write it).
    Claiming a folder this process already holds is a no-op."""
    path = Path(path)
    if str(path.resolve()) in _claims:
        return path
    made_dir = not resume and not path.exists()
    if not resume:
        path.mkdir(parents=True, exist_ok=True)
    made_lock = not (path / LOCK).exists()
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FolderRefused(f"another shieldsim run is writing to {path} now; wait for it to end or "
                                    "choose another folder") from None
        previous = read_record(path)
        if not resume:
            content = _content(path)
            if content:
                _refuse_or_clear(path, content, previous, overwrite)
        record = {"format": _FORMAT, "command": " ".join(_command) or "shieldsim", "status": "running",
                  "started": _now(), "pid": os.getpid()}
        if resume and previous:
            record["continues"] = {k: previous.get(k) for k in ("command", "started", "status")}
        _write_record(path, record)
    except BaseException:
        os.close(fd)
        _undo(path, made_dir, made_lock)
        raise
    _claims[str(path.resolve())] = _Claim(path, fd, record)
    return path


def _undo(path: Path, made_dir: bool, made_lock: bool) -> None:
    """Leave a refused folder as it was: remove the lock file (and the folder) this claim made."""
    try:
        if made_lock and read_record(path) is None:
            (path / LOCK).unlink(missing_ok=True)
        if made_dir:
            path.rmdir()
    except OSError:
        pass


def _refuse_or_clear(path: Path, content: list[Path], previous: dict | None, overwrite: bool) -> None:
    if previous is None:
        raise FolderRefused(f"{path} is not empty and was not written by shieldsim ({content[0].name}"
                            f"{' and more' if len(content) > 1 else ''}); choose an empty or new folder"
                            + (" (--overwrite replaces only shieldsim's own output folders)" if overwrite else ""))
    if not overwrite:
        what = {"complete": "the results", "running": "the incomplete results (the run was stopped or is "
                "still running)", "failed": "the incomplete results of a failed run"}.get(previous.get("status"),
                                                                                        "the results")
        raise FolderRefused(f"{path} already holds {what} of `{previous.get('command', 'shieldsim')}` "
                            f"({previous.get('started', 'unknown time')}); give --overwrite to replace them, or "
                            "choose another folder")
    for entry in content:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _content(path: Path) -> list[Path]:
    """The folder's entries other than shieldsim's lock and record (and stale record temporaries,
    which are removed)."""
    out = []
    for entry in sorted(path.iterdir()):
        if entry.name in (LOCK, RECORD):
            continue
        if entry.name.startswith(_TEMP) and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
            continue
        out.append(entry)
    return out


def read_record(path: str | os.PathLike) -> dict | None:
    """The ``.shieldsim-run.json`` record of a folder, or None if it has none (or an unreadable one)."""
    from ..files import InputFileError, read_text

    try:
        record = json.loads(read_text(Path(path) / RECORD, 1 << 24))
    except (InputFileError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and record.get("format") == _FORMAT else None


def _write_record(path: Path, record: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path, prefix=_TEMP, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1)
            fh.write("\n")
        os.replace(tmp, path / RECORD)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def finish(ok: bool) -> None:
    """End of a command: record every claimed folder as ``complete`` (with its files) or
    ``failed``, and release its lock."""
    while _claims:
        _, c = _claims.popitem()
        try:
            record = dict(c.record, status="complete" if ok else "failed", finished=_now())
            if ok:
                files = sorted(p.relative_to(c.path).as_posix() for p in c.path.rglob("*")
                               if p.is_file() and p.name not in (LOCK, RECORD))
                record["files"] = files[:_MAX_LISTED]
                if len(files) > _MAX_LISTED:
                    record["files_not_listed"] = len(files) - _MAX_LISTED
            _write_record(c.path, record)
        except OSError:
            pass  # the folder went away or became read-only: nothing more to record
        finally:
            if c.fd is not None:
                os.close(c.fd)
