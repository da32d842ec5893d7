"""Prepared data kept on disk between processes: arrays a process would otherwise build again.

Every process of a run (both processes of `shieldsim assess`, each Dask worker, each command)
used to build the same things before its first result: the Natural Earth borders as shapely
polygons, the population grid and cities, the reach tables, the interceptors' arrival tables.
`fetch` keeps such results as compressed ``.npz`` files (numeric and text arrays only, never
pickles)
under ``$XDG_CACHE_HOME/shieldsim/stored/<digest of the package sources>/`` (default
``~/.cache``), beside the Numba cache (`shieldsim._kernel_cache_dir`: any change of a source
file means a new folder, so nothing built by other code is ever read; the newest four folders
are kept). Each entry's file name is a digest of its kind and of everything it is computed from
(`digest`: parameters, models, the data files' sizes and modification times), so a change of
an input means another entry.

Safety: an entry is written to a temporary file in the same folder and moved into place with
`os.replace`, so a reader sees a whole file or none, and processes writing the same entry at
once each put a whole, equal file there. A folder holds at most `MAX_FOLDER_BYTES`, the least
recently used entries removed first. An entry that cannot be read (truncated, corrupted:
the zip checksums fail, a name or dtype is not as written) counts as missing and is computed
again. Where the folder cannot be made or written (a read-only home), nothing is stored and
every result is computed, as without this module. ``SHIELDSIM_STORE=0`` (or ``off``, ``no``,
``false``) turns the store off (docs/troubleshooting.md). Never in the package tree; offline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import struct
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

ENVIRONMENT = "SHIELDSIM_STORE"
"""Set to 0, off, no or false to keep nothing on disk (every process computes afresh)."""

KEEP_FOLDERS = 4
"""Folders (states of the sources) kept under the store's root, newest first."""

MAX_FOLDER_BYTES = 1 << 30
"""Bound of one folder's entries, bytes: beyond it the least recently used are removed (an
ensemble of many members keeps each member's arrival tables, ~0.4 MB each)."""


def enabled() -> bool:
    """Whether the store is on (`ENVIRONMENT` not set to 0, off, no or false)."""
    return os.environ.get(ENVIRONMENT, "").strip().lower() not in ("0", "off", "no", "false")


@lru_cache(maxsize=1)
def _source_digest() -> str:
    """The digest of the package sources that `shieldsim._kernel_cache_dir` names its folder by."""
    from . import _kernel_cache_dir

    return _kernel_cache_dir(Path(__file__).parent, Path(".")).name


def root() -> Path:
    """``$XDG_CACHE_HOME/shieldsim/stored`` (default ``~/.cache``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shieldsim" / "stored"


def folder() -> Path | None:
    """This state of the sources' folder (made, the older beyond `KEEP_FOLDERS` removed, when
    new), or None where the store is off or the folder cannot be made."""
    if not enabled():
        return None
    base = root()
    here = base / _source_digest()
    if here.is_dir():
        return here
    try:
        here.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    _prune(base, here)
    return here


def _prune(base: Path, here: Path) -> None:
    """Remove the folders of ``base`` but ``here`` beyond the newest `KEEP_FOLDERS`."""
    import shutil

    try:
        older = sorted((p for p in base.iterdir() if p.is_dir() and p != here), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for stale in older[:-(KEEP_FOLDERS - 1)]:
        shutil.rmtree(stale, ignore_errors=True)


def _feed(h, value) -> None:
    """Feed ``value`` to the hash ``h`` in a canonical form: the type's tag, then its content
    (dataclasses by their compared fields, mappings by sorted keys, floats by their bits)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        h.update(b"N" if value is None else b"T" if value else b"F")
    elif isinstance(value, (int, np.integer)):
        h.update(b"i%d;" % int(value))
    elif isinstance(value, (float, np.floating)):
        h.update(b"f" + struct.pack("<d", float(value)))
    elif isinstance(value, str):
        data = value.encode()
        h.update(b"s%d;" % len(data) + data)
    elif isinstance(value, bytes):
        h.update(b"b%d;" % len(value) + value)
    elif isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        if a.dtype.hasobject:
            raise TypeError("object arrays have no stored form")
        h.update(f"a{a.dtype.str}{a.shape};".encode() + a.tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"d{type(value).__module__}.{type(value).__qualname__};".encode())
        for f in dataclasses.fields(value):
            if f.compare:
                _feed(h, f.name)
                _feed(h, getattr(value, f.name))
    elif isinstance(value, dict):
        h.update(b"m%d;" % len(value))
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
    elif isinstance(value, (tuple, list)):
        h.update(b"l%d;" % len(value))
        for v in value:
            _feed(h, v)
    elif isinstance(value, Path):
        _feed(h, str(value))
    else:
        raise TypeError(f"no stored form for {type(value).__name__}")


def digest(*parts) -> str:
    """Hex digest (32 characters) of ``parts`` in canonical form: equal for equal inputs in any
    process (dataclasses count by their compared fields, as their ``==`` does; floats by
    their bits), different when any part changes."""
    h = hashlib.blake2b(digest_size=16)
    _feed(h, parts)
    return h.hexdigest()


def file_stamp(path) -> tuple:
    """(path, size, modification time in ns) of a data file an entry is computed from: an entry
    keyed by it is computed again when the file is replaced."""
    st = os.stat(path)
    return str(path), st.st_size, st.st_mtime_ns


def _path(kind: str, key) -> Path | None:
    here = folder()
    return None if here is None else here / f"{kind}-{digest(kind, key)}.npz"


def load(kind: str, key) -> dict[str, np.ndarray] | None:
    """The arrays stored for (``kind``, ``key``), or None when there is none, it cannot be read
    whole, or the store is off."""
    path = _path(kind, key)
    if path is None:
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception:  # missing, truncated, corrupted: computed again
        return None
    try:
        os.utime(path)  # recently used: trimmed last
    except OSError:
        pass
    return arrays


def save(kind: str, key, arrays: dict[str, np.ndarray], compress: bool = True) -> None:
    """Store ``arrays`` (numeric or text, no objects) for (``kind``, ``key``) atomically; does
    nothing where the store is off or the folder cannot be written. ``compress=False`` writes
    them as they are (larger files, but ~10 times less CPU to write and 3 times less to read:
    for large arrays read often)."""
    path = _path(kind, key)
    if path is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            (np.savez_compressed if compress else np.savez)(out, **arrays)
        os.replace(tmp, path)
    except Exception:  # a full disk, an array with objects: nothing stored
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    _trim(path.parent)


def _trim(here: Path, limit: int = MAX_FOLDER_BYTES) -> None:
    """Remove the least recently used entries of ``here`` (by modification time, which `load`
    renews) until they take at most ``limit`` bytes."""
    try:
        entries = [(e.stat().st_mtime_ns, e.stat().st_size, e.path) for e in os.scandir(here) if e.name.endswith(".npz")]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            os.unlink(path)
        except OSError:
            pass
        total -= size


def fetch(kind: str, key, compute, names: tuple[str, ...] | None = None,
          compress: bool = True) -> dict[str, np.ndarray]:
    """The arrays of (``kind``, ``key``): as stored, or ``compute()`` (a dict of arrays) stored
    for the next process (``compress``: see `save`). ``names``: the arrays a readable entry must
    hold (else computed again). A loaded entry's arrays are the computed ones bit for bit (the
    same bytes, dtypes, shapes)."""
    got = load(kind, key)
    if got is not None and (names is None or set(names) <= set(got)):
        return got
    arrays = {name: np.asarray(v) for name, v in compute().items()}
    save(kind, key, arrays, compress)
    return arrays
