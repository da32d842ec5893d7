"""Run many independent pieces of work: in-process, on a local Dask cluster, or on an
existing Dask cluster, and make long jobs resumable by writing each finished chunk to disk.

One interface, three back-ends (`executor`):

* ``executor()`` runs every piece in this process, in order (no Dask import at all);
* ``executor(workers=N)`` starts a Dask ``LocalCluster`` of N worker *processes* with one
  thread each, Numba's parallel kernels included (`WORKER_ENV`; the kernels are compiled
  Numba/NumPy code, so processes, not threads, scale), with glibc's default memory reuse
  (`WORKER_ENV_DROPPED`), little housekeeping (`LOCAL_CLUSTER_CONFIG`) and each worker held on
  a core of its own when the cores suffice (`pin_workers`);
* ``executor(scheduler="tcp://HOST:PORT")`` connects to a running Dask scheduler.

`LazyExecutor` wraps any of them so that it starts only when there is work.

Every back-end offers ``as_completed(fn, items)`` (yields ``(index, result)`` as pieces
finish) and ``map(fn, items, progress=...)`` (results in item order). ``fn`` and the items must
be picklable for the Dask back-ends (top-level functions, ``functools.partial`` of them).

`run_chunks` cuts nothing itself: the caller gives a list of `Chunk` (a stable key and the
argument for ``fn``). Each finished chunk is written at once to ``out_dir`` with an atomic
write (temporary file, fsync, ``os.replace``), so a killed run leaves only whole chunk files.
A manifest records the job's parameters and chunk keys; resuming with other parameters is an
error. It also records the SHA-256 and size of every finished chunk file (rewritten atomically
after each chunk). On resume, finished chunks are read back, never recomputed, and
``chunks.log`` gets one line per chunk written, so a recomputation would show as a repeated key.
A chunk file that fails its checksum or cannot be loaded (truncated, flipped bits, zero length,
garbage, not a regular file) is damaged: it is removed, computed again and reported on stderr.
A chunk file the manifest does not list yet (the run was killed between writing the chunk and
recording it) is kept if it loads. A manifest that cannot be read is a `DamagedManifest` error.

Dask and distributed are imported only when a Dask back-end is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator, Sequence

MANIFEST = "manifest.json"
LOG = "chunks.log"
_FORMAT = "shieldsim-chunks/1"
_KEY = re.compile(r"^[A-Za-z0-9_.+-]{1,120}$")


class ClusterLost(RuntimeError):
    """The Dask cluster went away in the middle of a job (the scheduler stopped, the connection
    to it broke, or workers kept dying): the results of finished pieces are kept by whoever
    received them (`run_chunks` has written them), the rest is lost. One-line message."""


class Executor:
    """Base of the back-ends. ``workers`` is the number of parallel workers (1 in-process)."""

    name = "executor"
    workers = 1

    def as_completed(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(items[index]))`` for every item, in completion order."""
        raise NotImplementedError

    def map(self, fn: Callable, items: Sequence, progress: bool = False, description: str = "work") -> list:
        """``[fn(item) for item in items]``, computed on this back-end; optional progress bar."""
        items = list(items)
        out: list = [None] * len(items)
        with progress_bar(progress, len(items), description) as advance:
            for index, result in self.as_completed(fn, items):
                out[index] = result
                advance(1)
        return out

    def describe(self) -> dict:
        """What ran the work, for the provenance of outputs."""
        return {"backend": self.name, "workers": self.workers}

    def close(self) -> None:
        """Release workers (no-op in-process)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Runs every item in this process, one after another, in item order."""

    name = "in-process"

    def as_completed(self, fn, items):
        for index, item in enumerate(items):
            yield index, fn(item)


class ThreadedExecutor(Executor):
    """Runs items on ``threads`` threads of this process, each taking the next item as it
    finishes one (so cheap and dear items even out), each running Numba's parallel kernels on
    ``numba_threads`` threads (default: this thread's Numba threads shared out, at least one).

    For pieces of work that are mostly Numba kernels releasing the GIL (``nogil=True``) with
    Python between them: while one thread runs its Python, the other's kernel goes on, and a
    kernel on one thread does not wait for a slower share of its loop on another. Each thread
    runs in a copy of the caller's `contextvars` context (context-held caches stay visible).
    The first error of an item is raised here once the running items are done; items not yet
    started are then dropped. With one thread or one item: `InProcessExecutor`."""

    name = "in-process, threads"

    def __init__(self, threads: int, numba_threads: int | None = None):
        self.workers, self._numba = max(1, int(threads)), numba_threads

    def as_completed(self, fn, items):
        import contextvars
        import queue
        import threading

        import numba

        items = list(items)
        n_threads = min(self.workers, len(items))
        if n_threads <= 1:
            yield from InProcessExecutor().as_completed(fn, items)
            return
        per = self._numba or max(1, numba.get_num_threads() // n_threads)
        done: queue.SimpleQueue = queue.SimpleQueue()
        taken, lock, stop = [0], threading.Lock(), threading.Event()

        def work(ctx):
            numba.set_num_threads(per)
            while not stop.is_set():
                with lock:
                    i = taken[0]
                    taken[0] += 1
                if i >= len(items):
                    break
                try:
                    done.put((i, ctx.run(fn, items[i]), None))
                except BaseException as err:  # handed to the caller's thread
                    stop.set()
                    done.put((i, None, err))
            done.put(None)

        pool = [threading.Thread(target=work, args=(contextvars.copy_context(),), daemon=True,
                                 name=f"shieldsim-batch-{k}") for k in range(n_threads)]
        for t in pool:
            t.start()
        running, error = n_threads, None
        try:
            while running:
                got = done.get()
                if got is None:
                    running -= 1
                elif got[2] is not None:
                    error = error or got[2]
                elif error is None:
                    yield got[0], got[1]
        finally:
            stop.set()
            for t in pool:
                t.join()
        if error is not None:
            raise error


THREADSAFE_LAYERS = ("omp", "tbb")
"""Numba threading layers that let parallel kernels start on several threads of a process at
once; the third, "workqueue" (used where neither OpenMP nor TBB is installed), aborts the
process when two threads launch kernels at the same time."""


def threadsafe_kernels() -> bool:
    """Whether Numba's parallel kernels may run on several threads of this process at once
    (its threading layer, started here if no kernel has run yet, is one of `THREADSAFE_LAYERS`)."""
    import numba
    from numba.np.ufunc import parallel as numba_parallel

    numba_parallel._launch_threads()
    return numba.threading_layer() in THREADSAFE_LAYERS


SPARE_BATCH_THREADS = 1
"""Batch threads `batch_executor` runs beyond one per Numba thread. A coverage batch holds the
GIL for about a third of its CPU (the aiming's glue between its kernels): a thread leaving a
kernel often waits for it while another holds it, and its core idles, unless a spare thread runs
a kernel there (docs/performance.md, session 10: default coverage ~0.1 s less on two idle cores,
no more CPU; a fourth thread gains nothing). Each thread in flight holds one batch's arrays."""


def batch_executor() -> Executor:
    """The default back-end of in-process batches of Numba kernels (coverage batches): a
    `ThreadedExecutor` with one thread per Numba thread and `SPARE_BATCH_THREADS` more, each
    running its kernels on one, or `InProcessExecutor` when Numba has one thread or its threading
    layer is not thread-safe (`threadsafe_kernels`). The pool of large buffers is made to hold
    that many batches' (`buffers.reserve`)."""
    import numba

    from . import buffers

    if numba.get_num_threads() <= 1 or not threadsafe_kernels():
        return InProcessExecutor()
    buffers.reserve(n := numba.get_num_threads() + SPARE_BATCH_THREADS)
    return ThreadedExecutor(n, 1)


class DaskExecutor(Executor):
    """Runs items as Dask tasks on a ``distributed.Client`` (local cluster or remote scheduler).

    Build it with `executor`. The cluster is closed on `close` only if this object started it.
    """

    def __init__(self, client, cluster=None, name: str = "dask"):
        self.client = client
        self.cluster = cluster
        self.name = name

    @property
    def workers(self) -> int:  # type: ignore[override]
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> dict:
        info = {"backend": self.name, "workers": self.workers}
        if self.cluster is None:
            info["scheduler"] = self.client.scheduler.address
        return info

    def _where(self) -> str:
        return "the local Dask cluster" if self.cluster is not None else \
            f"the Dask scheduler {getattr(self.client.scheduler, 'address', '')}".rstrip()

    def _lost(self, err: BaseException | None) -> ClusterLost | None:
        """The `ClusterLost` that ``err`` (raised while waiting for results; None: a future came
        back cancelled) means, or None if it is an error of the work itself."""
        from asyncio import CancelledError

        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        if err is not None and isinstance(err, KilledWorker):
            return ClusterLost(f"workers of {self._where()} kept dying while running the work "
                               f"({' '.join(str(err).split())[:200]})")
        if err is None or isinstance(err, (CancelledError, CommClosedError, TimeoutError)) or \
                getattr(self.client, "status", "running") != "running":
            return ClusterLost(f"lost {self._where()} in the middle of the job (the scheduler stopped or "
                               "the connection to it broke)")
        return None

    def _cancel(self, futures) -> None:
        pending = [f for f in futures if not f.done()]
        if pending and getattr(self.client, "status", None) == "running":
            try:
                self.client.cancel(pending)
            except Exception:
                pass

    def as_completed(self, fn, items):
        from distributed import as_completed

        items = list(items)
        if not items:
            return
        futures = self.client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            results = as_completed(futures, with_results=True)
            while True:
                try:
                    future, result = next(results)
                except StopIteration:
                    break
                except Exception as err:
                    lost = self._lost(err)
                    if lost is None:
                        raise
                    raise lost from err
                if future.status != "finished":  # cancelled when the client lost its scheduler
                    raise self._lost(None)
                i = index[future.key]
                future.release()
                yield i, result
        finally:
            self._cancel(futures)

    def map(self, fn, items, progress=False, description="work"):
        if progress:
            return super().map(fn, items, progress, description)
        items = list(items)
        futures = self.client.map(fn, items, pure=False)
        try:
            return self.client.gather(futures)
        except Exception as err:  # only then: a cancel is one more round trip through the scheduler
            self._cancel(futures)
            lost = self._lost(err)
            if lost is None:
                raise
            raise lost from err
        except BaseException:
            self._cancel(futures)
            raise

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        except Exception:
            pass
        finally:
            if self.cluster is not None:
                self.cluster.close()


class LazyExecutor(Executor):
    """The back-end that ``start()`` returns, started only when work is first given to it, so a
    resumed job whose pieces are all on disk starts no cluster. Until then `describe` says
    ``{"backend": "none", "workers": 0}``."""

    name = "none"
    workers = 0

    def __init__(self, start: Callable[[], Executor]):
        self._start = start
        self._inner: Executor | None = None

    def _backend(self) -> Executor:
        if self._inner is None:
            self._inner = self._start()
        return self._inner

    def as_completed(self, fn, items):
        items = list(items)
        if items:
            yield from self._backend().as_completed(fn, items)

    def map(self, fn, items, progress=False, description="work"):
        items = list(items)
        return self._backend().map(fn, items, progress, description) if items else []

    def describe(self) -> dict:
        return super().describe() if self._inner is None else self._inner.describe()

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


WORKER_ENV = {"NUMBA_NUM_THREADS": "1"}
"""Environment of the local cluster's worker processes: one Numba thread each (the parallel
kernels would otherwise start one thread per core in every worker, and N workers on N cores
would fight over them; Dask already sets OMP/MKL/OpenBLAS to one thread)."""

WORKER_ENV_DROPPED = ("MALLOC_TRIM_THRESHOLD_",)
"""Variables of Dask's ``distributed.nanny.pre-spawn-environ`` the local cluster's workers are
started without. Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` so that workers holding data give
memory back to the system; ours hold no data between pieces of work, and the setting fixes
glibc's mmap threshold at 128 KiB and returns freed memory at once, so every array a piece
allocates is fresh memory: an ensemble member took ~80-90 k minor page faults against ~6-15 k
in a process without it (first touches are dear on some virtual machines; docs/performance.md)."""

LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
"""Dask settings of the local cluster (its scheduler, nannies and workers): no statistical
profiler sampling every worker's stack each 10 ms, and the event-loop tick, memory monitor and
system monitor at 1-5 s instead of 20-500 ms. Nobody watches a dashboard of these clusters;
measured idle, a 2-worker cluster's housekeeping took 7 % of a core with Dask's defaults and
1.3 % with these, CPU the workers' pieces of work would otherwise get on a small machine."""


def executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The back-end for a job.

    Args:
        workers: None (or 0) runs in this process; N >= 1 starts a Dask ``LocalCluster`` with N
            worker processes, one thread each.
        scheduler: address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    Returns an `Executor`; use it as a context manager so a local cluster is shut down.
    """
    if workers and scheduler:
        raise ValueError("give either workers (a local cluster) or scheduler (an existing one), not both")
    if scheduler:
        from distributed import Client

        return DaskExecutor(Client(scheduler, timeout="20s"), None, name="dask-scheduler")
    if not workers:
        return InProcessExecutor()
    if workers < 0:
        raise ValueError(f"workers must be >= 1, got {workers}")
    import logging

    import dask
    from distributed import Client, LocalCluster

    spawn = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
             if k not in WORKER_ENV_DROPPED}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn, **LOCAL_CLUSTER_CONFIG}):
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL, env=dict(WORKER_ENV))
    # the workers are on this machine: gather results from them directly, not through the scheduler
    client = Client(cluster, direct_to_workers=True)
    if PIN_WORKERS:
        pin_workers(client)
    return DaskExecutor(client, cluster, name="dask-local")


PIN_WORKERS = os.environ.get("SHIELDSIM_PIN_WORKERS", "1") != "0"
"""Whether a local cluster's worker processes are each held on a core of their own
(`pin_workers`; environment ``SHIELDSIM_PIN_WORKERS=0`` turns it off)."""


def pin_workers(client) -> dict:
    """Hold each worker process of a local cluster on a core of its own (every thread of it; threads
    it starts later inherit the core), when there are no more workers than cores this process may
    use (`cores`). Workers are taken in the order of their names and given the cores in ascending
    order. Two CPU-bound workers on two cores then never trade places, so none loses its warm
    caches to a move (the kernel otherwise moves a worker when a short task of another process
    wakes on its core). Returns {worker address: core} ({} when not pinned: more workers than
    cores, or no affinity calls on this system); a worker that cannot be pinned keeps its cores."""
    if not hasattr(os, "sched_setaffinity"):
        return {}
    allowed = sorted(os.sched_getaffinity(0))
    info = client.scheduler_info()["workers"]
    pids = client.run(os.getpid)
    if not pids or len(pids) > len(allowed):
        return {}
    order = sorted(pids, key=lambda a: (str(info.get(a, {}).get("name", "")), a))
    placed = {}
    for core, address in zip(allowed, order):
        try:
            for tid in os.listdir(f"/proc/{pids[address]}/task"):
                os.sched_setaffinity(int(tid), {core})
        except OSError:  # the worker went away or refuses: it keeps its cores
            continue
        placed[address] = core
    return placed


def cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def progress_bar(enabled: bool, total: int, description: str = "work"):
    """A Rich progress bar on stderr; yields ``advance(n)``. Does nothing when disabled."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


@dataclass(frozen=True)
class Chunk:
    """One piece of a chunked job: a stable, file-name-safe ``key`` and the argument for ``fn``."""

    key: str
    arg: Any


@dataclass
class ChunkRun:
    """What `run_chunks` did: results in chunk order, and which chunk keys were computed now
    and which were read back from an earlier run."""

    results: list
    computed: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)


class ResumeMismatch(ValueError):
    """The directory holds a job with other parameters or other chunks."""


class DamagedManifest(ResumeMismatch):
    """The job's manifest cannot be read (not a regular file, not JSON, not a shieldsim chunk
    manifest): the run cannot be resumed. The message is one line naming the file."""


MANIFEST_LIMIT = 256 * 2**20
"""Largest manifest read back (bytes): a million chunks listed with their checksums."""

CHUNK_LIMIT = 4 * 2**30
"""Largest chunk file read back (bytes)."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_chunks(fn: Callable, chunks: Sequence[Chunk], out_dir: str | os.PathLike, resume: bool = True,
               progress: bool = True, executor: Executor | None = None, params: Any = None,
               description: str = "chunks", report: Callable[[str], None] = _stderr, info: Any = None) -> ChunkRun:
    """Compute ``fn(chunk.arg)`` for every chunk, writing each result to ``out_dir`` as it finishes.

    Args:
        fn: picklable function of one argument. It returns either a dict of NumPy arrays and
            numbers (stored as ``chunk-<key>.npz``, read back as a dict of arrays) or any
            JSON-serialisable value (stored as ``chunk-<key>.json``).
        chunks: the job's pieces; keys must be unique and match ``[A-Za-z0-9_.+-]+``.
        out_dir: directory of the job (created if missing).
        resume: read back chunks already in ``out_dir`` (from a killed or finished run) instead
            of computing them. With ``resume=False`` an existing job in ``out_dir`` is an error.
        params: JSON-serialisable parameters of the job, stored in the manifest; resuming with
            other params (or other chunk keys) raises `ResumeMismatch`.
        info: JSON-serialisable description of the job kept in the manifest from its first run
            but never compared (e.g. which file its input came from; see `job_info`).
        executor: back-end (default: in-process).
        report: called with one line for every damaged chunk found on resume (default: stderr).
    Returns a `ChunkRun`. Fresh results are normalised exactly as if read back from disk, so
    a resumed job returns the same values as an uninterrupted one. Raises `ResumeMismatch`
    (other parameters or chunks) or `DamagedManifest` (unreadable manifest).
    """
    chunks = list(chunks)
    keys = [c.key for c in chunks]
    bad = [k for k in keys if not _KEY.match(k)]
    if bad:
        raise ValueError(f"chunk keys must match [A-Za-z0-9_.+-]+ (1-120 characters): {bad[:3]}")
    if len(set(keys)) != len(keys):
        raise ValueError("chunk keys must be unique")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": _FORMAT, "params": _jsonable(params), "keys": keys, "chunks": {}, "info": _jsonable(info)}
    manifest = _check_manifest(out, manifest, resume)
    recorded = manifest["chunks"]

    results: list = [None] * len(chunks)
    loaded, todo, damaged = [], [], []
    changed = False
    for i, chunk in enumerate(chunks):
        value, record, problem = _read_chunk(out, chunk.key, recorded.get(chunk.key)) if resume else (_MISSING, None, None)
        if problem is not None:
            _remove_chunk(out, chunk.key)
            damaged.append(chunk.key)
            report(f"shieldsim: chunk {chunk.key} of {out} is damaged ({problem}); computing it again")
        if value is _MISSING:
            changed |= recorded.pop(chunk.key, None) is not None
            todo.append(i)
        else:
            results[i] = value
            loaded.append(chunk.key)
            changed |= recorded.get(chunk.key) != record  # written, but killed before it was recorded
            recorded[chunk.key] = record
    if changed:
        _write_manifest(out, manifest)
    ex = executor or InProcessExecutor()
    computed = []
    with progress_bar(progress, len(chunks), description) as advance:
        advance(len(loaded))
        for j, value in ex.as_completed(fn, [chunks[i].arg for i in todo]):
            i = todo[j]
            results[i], recorded[chunks[i].key] = _write_chunk(out, chunks[i].key, value)
            _write_manifest(out, manifest)
            with open(out / LOG, "a", encoding="utf-8") as log:
                log.write(chunks[i].key + "\n")
            computed.append(chunks[i].key)
            advance(1)
    return ChunkRun(results, computed, loaded, damaged)


_MISSING = object()


def job_params(out_dir: str | os.PathLike) -> Any:
    """The ``params`` a chunked job in ``out_dir`` was started with (`run_chunks`), or None if
    the directory holds no job. Raises `DamagedManifest` (a ValueError) for a manifest that
    cannot be read."""
    path = Path(out_dir) / MANIFEST
    if not _exists(path):
        return None
    return read_manifest(path).get("params")


def job_info(out_dir: str | os.PathLike) -> Any:
    """The ``info`` a chunked job in ``out_dir`` was started with (`run_chunks`), or None."""
    path = Path(out_dir) / MANIFEST
    return read_manifest(path).get("info") if _exists(path) else None


def read_manifest(path: str | os.PathLike) -> dict:
    """A job's manifest, checked: a regular JSON file of a shieldsim chunk job whose ``keys`` are
    a list of names and whose ``chunks`` (optional) map keys to ``{"file", "sha256", "bytes"}``.
    Anything else raises `DamagedManifest` with one line naming the file and the problem."""
    from .files import InputFileError, read_text

    path = Path(path)
    try:
        data = json.loads(read_text(path, MANIFEST_LIMIT))
    except InputFileError as err:
        raise DamagedManifest(f"the run's manifest {err}") from None
    except ValueError as err:  # JSONDecodeError, or a number JSON cannot hold
        reason = "empty file" if isinstance(err, json.JSONDecodeError) and not err.doc.strip() else \
            f"not valid JSON: {str(err).splitlines()[0][:200]}"
        raise DamagedManifest(f"the run's manifest {path} is damaged ({reason})") from None
    except RecursionError:
        raise DamagedManifest(f"the run's manifest {path} is damaged (JSON nested too deeply)") from None
    problem = _manifest_problem(data)
    if problem:
        raise DamagedManifest(f"the run's manifest {path} is damaged or not a shieldsim chunk manifest ({problem})")
    data.setdefault("chunks", {})
    return data


def _manifest_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    if data.get("format") != _FORMAT:
        return f"format {data.get('format')!r}, expected {_FORMAT!r}"
    keys = data.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return "'keys' is not a list of chunk names"
    chunks = data.get("chunks", {})
    if not isinstance(chunks, dict):
        return "'chunks' is not an object"
    for key, rec in chunks.items():
        if not (isinstance(rec, dict) and isinstance(rec.get("sha256"), str) and isinstance(rec.get("bytes"), int)
                and rec.get("file") in (f"chunk-{key}.npz", f"chunk-{key}.json")):
            return f"the record of chunk {key!r} is not {{file, sha256, bytes}}"
    return None


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
        return True
    except (OSError, ValueError):
        return False


def _jsonable(value: Any) -> Any:
    """The JSON form of ``value`` (canonical: what a JSON round trip gives)."""
    return json.loads(json.dumps(value, sort_keys=True, default=_json_default))


def _canonical(value: Any) -> str:
    """Text to compare parameters by (NaN equals NaN here, unlike in Python)."""
    return json.dumps(value, sort_keys=True)


def _json_default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _check_manifest(out: Path, manifest: dict, resume: bool) -> dict:
    """The manifest to run with: the existing one (checked against this job's parameters and
    keys) when resuming, else ``manifest``, written now."""
    path = out / MANIFEST
    if _exists(path):
        if not resume:
            raise FileExistsError(f"{out} already holds a chunked job; resume it or choose another directory")
        old = read_manifest(path)
        if _canonical(old.get("params")) != _canonical(manifest["params"]):
            old_p, new_p = old.get("params"), manifest["params"]
            if isinstance(old_p, dict) and isinstance(new_p, dict):
                diff = sorted(k for k in set(old_p) | set(new_p) if _canonical(old_p.get(k)) != _canonical(new_p.get(k)))
                raise ResumeMismatch(f"cannot resume {out}: parameters differ from the first run in {diff}")
            raise ResumeMismatch(f"cannot resume {out}: parameters differ from the first run")
        if old.get("keys") != manifest["keys"]:
            raise ResumeMismatch(f"cannot resume {out}: the job is cut into other chunks than the first run")
        for stale in out.glob(".chunk-*.tmp"):
            stale.unlink(missing_ok=True)
        known = set(manifest["keys"])
        old["chunks"] = {k: v for k, v in old["chunks"].items() if k in known}
        return old
    _write_manifest(out, manifest)
    return manifest


def _write_manifest(out: Path, manifest: dict) -> None:
    _atomic_write(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))


def _is_array_dict(value: Any) -> bool:
    import numpy as np

    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and (isinstance(v, (np.ndarray, np.generic, bool, int, float))) for k, v in value.items())


def _write_chunk(out: Path, key: str, value: Any) -> tuple[Any, dict]:
    """Write one chunk atomically; return the value as it reads back and the file's record
    (``{"file", "sha256", "bytes"}``) for the manifest."""
    import io

    import numpy as np

    if _is_array_dict(value):
        arrays = {k: np.asarray(v) for k, v in value.items()}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data, name, back = buf.getvalue(), f"chunk-{key}.npz", arrays
    else:
        text = json.dumps(value, default=_json_default)
        data, name, back = text.encode("utf-8"), f"chunk-{key}.json", json.loads(text)
    _atomic_write(out / name, data)
    for other in (f"chunk-{key}.npz", f"chunk-{key}.json"):
        if other != name:  # a damaged file of the other kind must not shadow this one
            (out / other).unlink(missing_ok=True)
    return back, _record(name, data)


def _record(name: str, data: bytes) -> dict:
    return {"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _chunk_files(out: Path, key: str) -> list[Path]:
    return [p for p in (out / f"chunk-{key}.npz", out / f"chunk-{key}.json") if _exists(p)]


def _remove_chunk(out: Path, key: str) -> None:
    for path in _chunk_files(out, key):
        try:
            if path.is_dir() and not path.is_symlink():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass  # replaced when the chunk is written again


def _read_chunk(out: Path, key: str, record: dict | None) -> tuple[Any, dict | None, str | None]:
    """A finished chunk read back: ``(value, record, None)``; ``(_MISSING, None, None)`` when it
    was never written; ``(_MISSING, None, problem)`` when its file is damaged: not a regular
    file, another size or SHA-256 than the manifest records, or not loadable (any error of the
    loader: a truncated zip, a bad CRC, a garbled header, invalid JSON, zero length)."""
    import io

    import numpy as np

    from .files import InputFileError, read_bytes

    files = _chunk_files(out, key)
    if not files:
        return _MISSING, None, ("its file is missing, though the manifest lists it" if record else None)
    path = files[0]
    if record is not None and record["file"] != path.name:
        return _MISSING, None, f"{path.name} is not the {record['file']} the manifest lists"
    try:
        data = read_bytes(path, CHUNK_LIMIT)
    except InputFileError as err:
        return _MISSING, None, err.reason
    if not data:
        return _MISSING, None, f"{path.name} is empty"
    if record is not None and (len(data) != record["bytes"] or hashlib.sha256(data).hexdigest() != record["sha256"]):
        what = f"{len(data)} bytes, not {record['bytes']}" if len(data) != record["bytes"] else "SHA-256 differs"
        return _MISSING, None, f"{path.name} fails its checksum: {what}"
    try:
        if path.suffix == ".npz":
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                value = {k: npz[k] for k in npz.files}
            if not value:
                raise ValueError("no arrays")
        else:
            value = json.loads(data.decode("utf-8"))
    except Exception as err:
        return _MISSING, None, f"{path.name} cannot be loaded: {type(err).__name__}: {' '.join(str(err).split())[:120]}"
    return value, record or _record(path.name, data), None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".chunk-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
