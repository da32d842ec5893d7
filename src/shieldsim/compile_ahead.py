"""Compile, in a second process, kernels a command needs, while this one works.

On a cold Numba cache (the first run after installing, or after any change of the sources: see
`shieldsim._kernel_cache_dir`) ``shieldsim assess`` spends most of its time compiling: the
kernels are compiled one after another as the pipeline first calls them. `ahead` starts a helper
process (``python -m shieldsim.compile_ahead``) that compiles kernels of `PLAN` with their
explicit signatures into the same cache folder, so both cores compile; when this process first
calls one the helper compiled, Numba finds it in the cache and loads it. Results cannot change:
a kernel loaded from the cache is the one this process would compile.

The two processes share the plan: each planned kernel is compiled by whichever claims it first
(`claim`). The helper goes through the plan in order; this process claims a kernel when it
first needs it, unless the helper has, and then, instead of waiting for it, compiles the next
kernels nobody has claimed yet until the helper has it in the cache (`_Sharing`). So both cores
compile the kernels in the order they are needed, and this process starts its work as soon as
the kernels of its first stage are there, while the helper goes on with the later ones.

Safety:

* Two processes writing one cache folder: Numba writes each index and data file to a temporary
  file and renames it (atomic), but adding an entry reads the function's index, picks a free
  data file name and writes both back, so two processes adding *different* signatures of one
  function at once (the callees are compiled and cached too, several with more than one
  signature) could lose an entry or point it at the other's data. While the helper runs, both
  processes hold an exclusive lock (``flock`` on ``shieldsim-save.lock`` in the folder) around
  that read-modify-write (`_lock_cache_saves`).
* This process does not look up a planned kernel the helper has claimed and not finished: it
  waits for the helper's word (`Ahead.wait_for`); if the helper fails or dies it compiles the
  kernel itself, as without the helper.
* The helper is started only when the cache folder is shieldsim's or ``NUMBA_CACHE_DIR``, can
  be written, and lacks a kernel of `PLAN` or `AFTER` (`should_start`); never with Dask workers
  (they compile in their own processes), never when ``SHIELDSIM_COMPILE_AHEAD=0``. It ends with
  the command (normally, on an error or Ctrl-C: `Ahead.close` terminates it) and, should this
  process be killed, at once when its standard input closes.

The plan holds the kernels a default ``assess`` compiles at top level (called from Python) and
worth sharing, in the order the command first needs them. It was chosen from
``benchmarks/cold_assess.py --plan`` (compile CPU, order of need and signatures of every kernel
of a cold ``assess``, in every process); tests/test_compile_ahead.py checks that every planned
signature is one the pipeline calls. A stale entry only costs the helper some work.

After its share of the plan the helper compiles `AFTER`: kernels this process does not wait for
(it uses slower ones of the same results meanwhile), so that the next run finds them in the
cache. After a plan, at the helper's normal priority: at idle priority (`_lower_priority`) a cold
``assess`` left them too few idle seconds, and they never reached the cache (the boost lanes,
now ~12 CPU s of compile; measured in docs/performance.md, session 9). A run whose cache lacks
only `AFTER` kernels starts a helper for them alone, at idle priority (only when a core would
otherwise be idle): it does not take a core from the command (`Ahead.blocks_concurrency` is
False). The helper ends with the command in every case.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_SWITCH = "SHIELDSIM_COMPILE_AHEAD"
"""Environment variable: ``0`` never starts the helper."""

LOCK_NAME = "shieldsim-save.lock"
"""Lock file (in each Numba cache sub-folder) held while an entry is added to the cache."""

WAIT_LIMIT_S = 900.0
"""Longest wait for the helper's word about one kernel before compiling it here instead."""

CLAIMS_ENV = "SHIELDSIM_COMPILE_CLAIMS"
"""Environment variable naming the claims folder of a running helper to the command's other processes."""

DONE_SUFFIX = ".done"
"""A claims folder's file ``<kernel><DONE_SUFFIX>``: the kernel is compiled and in the cache."""

POLL_S = 0.02
"""Seconds between looks for a kernel another process is compiling."""

IDLE_MARK = "--idle"
"""In the helper's arguments: the kernels after it are `AFTER` kernels, compiled without claims at
idle priority (`_lower_priority`)."""

AFTER_MARK = "--after"
"""In the helper's arguments: the kernels after it are `AFTER` kernels, compiled without claims at
the helper's normal priority (after a plan)."""


@dataclass(frozen=True)
class Kernel:
    """One planned compilation: the kernel ``module.name`` and its argument types, written as
    space-separated tokens: ``f``/``i``/``b`` a float64/int64/boolean scalar, followed by the
    number of dimensions for a C-contiguous array (``f2``: float64[:, ::1]), and ``r`` for a
    read-only array (``f1r``)."""

    module: str
    name: str
    signature: str

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


PLAN: tuple[Kernel, ...] = (
    Kernel("shieldsim.boost_kernel", "_boost_batch", "f2 f2 f2 f1 f1 f1 f2 f1 f2 f3 f3 f2"),
    Kernel("shieldsim.kepler", "_time_to_radius_batch", "f2 f2 f1 f b f1"),
    Kernel("shieldsim.kepler", "_propagate_batch", "f2 f2 f1r f f2 f2"),
    Kernel("shieldsim.trajectory.newton_impacts", "_vacuum_measures", "f2 f1r f f f f f f2 f2 f2"),
    Kernel("shieldsim.earth", "_vincenty_inverse_batch", "f1 f1 f1 f1 f f f1 f1"),
    Kernel("shieldsim.kepler", "_elements_batch", "f2 f2 f f2"),
    Kernel("shieldsim.trajectory.kernels", "_table_argmin", "f1 f1r f1 f1 f1 i"),
    Kernel("shieldsim.trajectory.family", "_fit_queries", "f2 f2 f2 i2 f2 f f f2 i1"),
    Kernel("shieldsim.trajectory.kernels", "_fly_vacuum_batch", "f2 f2 f f f f2"),
    Kernel("shieldsim.trajectory.conic_samples", "_sample_boosted", "f3 f3 i1 f2 f2 f1 f f f f3 f3"),
    Kernel("shieldsim.sensors.kernels", "_limit_tables", "f2 f3 f4"),
    Kernel("shieldsim.sensors.sweep", "_radar_batch", "f1 f3 f3 f3 f1r f2r f3r f4r f f f4 f4 i2 i2"),
    Kernel("shieldsim.sensors.kernels", "_boost_sight", "f1 f3 f3 f1r f f f f1"),
    Kernel("shieldsim.arrival_table", "_build_kernel", "f2 f1 i i f1 f f f1 b f3"),
    Kernel("shieldsim.arrival_table", "_margins", "f3 f f f3"),
    Kernel("shieldsim.arrival_table", "_excess_kernel", "f2 f1 i2 f1 f f f1 f3"),
    Kernel("shieldsim.arrival_table", "_excess_margins", "f3 f3 f3 f f f3"),
    Kernel("shieldsim.interceptor", "_earliest_kernel", "f2 f2 f1 f1 f f f1 f1"),
    Kernel("shieldsim.interceptor", "_reach_kernel", "f2 f2 f1r f1 f f f1 f1 f2 f2"),
    Kernel("shieldsim.engagement", "_engage_kernel_tabled",
           "f3 f2 f1 f2 f2 f f f1 f1 f2 f3 f b1 f3 f2 i2 i1 i1 f1 f1 f1 f1 f1 f1 f f f3"),
    Kernel("shieldsim.engagement", "_heights", "f3 f f f2"),
    Kernel("shieldsim.trajectory.kernels", "_fly_batch", "f2 f2 f1r f1 f2 f3 f3 f2"),
    Kernel("shieldsim.deterrent", "_usable_kernel", "f3 f2 f1 f2 f2 f1 f3 b3"),
    Kernel("shieldsim.deterrent", "_latest_kernel", "f3 f1 f2 f2 f f f1 i b3 f2"),
    Kernel("shieldsim.deterrent", "_min_speed_kernel", "f3 f1 f2 f2 f2 f f f1 f2 i b3 f2 f2"),
)
"""The kernels the command and the helper share, in the order a default ``assess`` first needs
them (see the module docstring; the helper takes them from the end)."""

AFTER: tuple[Kernel, ...] = (
    Kernel("shieldsim.boost_kernel", "_boost_lanes", "i1 f2 f2 f2 f1 f1 f1 f2 f1 f3 f3 f2"),
)
"""What the helper compiles after `PLAN`, for the runs after this one: kernels this command does
not wait for, because it has a cheaper one of the same results (`boost_kernel.batch_kernel`
uses the boost kernel in lanes only once it is in the cache)."""


def numba_types(signature: str) -> tuple:
    """The Numba argument types of a `Kernel.signature` string."""
    from numba import types

    scalars = {"f": types.float64, "i": types.int64, "b": types.boolean}
    out = []
    for token in signature.split():
        kind, rest = token[0], token[1:]
        readonly = rest.endswith("r")
        ndim = rest.rstrip("r")
        if kind not in scalars or (ndim and not ndim.isdigit()) or (readonly and not ndim):
            raise ValueError(f"signature token {token!r}: expected f, i or b, then array dimensions and 'r'")
        out.append(types.Array(scalars[kind], int(ndim), "C", readonly=readonly) if ndim else scalars[kind])
    return tuple(out)


def _index_present(folder: Path, kernel: Kernel) -> bool:
    """Whether Numba's cache ``folder`` holds an index file for ``kernel`` (any signature)."""
    pattern = f"{kernel.module.rsplit('.', 1)[-1]}.{kernel.name}-*.nbi"
    return any(folder.rglob(pattern))


def should_start(workers: int | None = None, plan: tuple[Kernel, ...] = PLAN,
                 after: tuple[Kernel, ...] = ()) -> Path | None:
    """The cache folder to compile ``plan`` into, or None when the helper should not start:
    switched off (``SHIELDSIM_COMPILE_AHEAD=0``), Dask ``workers`` in use, not POSIX or a Numba
    without the cache methods it wraps (`_hooks_available`), no ``NUMBA_CACHE_DIR``
    (shieldsim could not make its folder), a folder that cannot be written, or every kernel of
    ``plan`` and ``after`` already in it (a warm cache)."""
    if os.environ.get(ENV_SWITCH, "1") == "0" or workers or not plan or not _hooks_available():
        return None
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        return None
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return None
    if all(_index_present(folder, k) for k in plan + after):
        return None
    return folder


def _hooks_available() -> bool:
    """Whether this platform and Numba offer what the helper relies on: ``flock``, ``select`` on
    pipes (POSIX) and the two methods of Numba's cache it wraps."""
    if os.name != "posix":
        return False
    try:
        from numba.core.caching import Cache, IndexDataCacheFile
    except ImportError:
        return False
    return callable(getattr(IndexDataCacheFile, "save", None)) and callable(getattr(Cache, "load_overload", None))


def _lock_cache_saves() -> object:
    """Make Numba hold `LOCK_NAME` while it adds an entry to a cache index (this process);
    returns the original method for `_unlock_cache_saves`."""
    import fcntl

    from numba.core.caching import IndexDataCacheFile

    original = IndexDataCacheFile.save

    def save(self, key, data):
        try:
            lock = open(os.path.join(self._cache_path, LOCK_NAME), "a")
        except OSError:
            return original(self, key, data)
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return original(self, key, data)

    save.__wrapped__ = original
    IndexDataCacheFile.save = save
    return original


def _unlock_cache_saves(original) -> None:
    from numba.core.caching import IndexDataCacheFile

    IndexDataCacheFile.save = original


@contextlib.contextmanager
def cache_saves_locked():
    """Inside the block, this process holds `LOCK_NAME` while Numba adds an entry to a cache index,
    as the helper does: for any two processes that may compile into one cache folder at the same
    time (a concurrent `assess` and its second process on a partly warm cache). While a helper
    runs (`CLAIMS_ENV` names its claims folder, inherited from the command), this process also
    shares the plan by claims (`_Sharing`). Does nothing where the hooks are not available
    (`_hooks_available`)."""
    if not _hooks_available():
        yield
        return
    original = _lock_cache_saves()
    folder = os.environ.get(CLAIMS_ENV)
    sharing = _Sharing(Path(folder), PLAN) \
        if folder and Path(folder).is_dir() and _Sharing.active is None else None
    try:
        yield
    finally:
        if sharing is not None:
            sharing.close()
        _unlock_cache_saves(original)


def claim(folder: Path, qualified: str) -> bool:
    """Claim the compilation of ``qualified`` for this process in the run's claims ``folder``:
    True for the first process to ask (an ``O_EXCL`` file holding its process id) and again for
    it, False for the others;
    True also when the folder cannot be written (two may then compile it: the same code, only
    time lost)."""
    try:
        fd = os.open(folder / qualified, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        with contextlib.suppress(OSError, ValueError):
            return int((folder / qualified).read_text() or 0) == os.getpid()
        return False
    except OSError:
        return True
    with contextlib.suppress(OSError):
        os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def mark_done(folder: Path, qualified: str) -> None:
    """Say in the claims ``folder`` that ``qualified`` is compiled and in the cache (or failed)."""
    with contextlib.suppress(OSError):
        (folder / f"{qualified}{DONE_SUFFIX}").touch()


def wait_done(folder: Path, qualified: str, limit_s: float = WAIT_LIMIT_S) -> bool:
    """Wait until the process that claimed ``qualified`` has said it is done (`mark_done`); False
    when it ended without saying so, or after ``limit_s`` s (the caller then compiles it)."""
    import time

    done, owner = folder / f"{qualified}{DONE_SUFFIX}", folder / qualified
    deadline = time.monotonic() + limit_s
    while not done.exists():
        if time.monotonic() >= deadline or not folder.is_dir() or not _alive(owner):
            return done.exists()
        time.sleep(POLL_S)
    return True


def _alive(owner: Path) -> bool:
    """Whether the process whose id is in the claim file ``owner`` still runs (True while the
    file is still being written)."""
    try:
        pid = int(owner.read_text() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class _Sharing:
    """This process's part in sharing the kernels of ``plan`` with the other processes of the run
    through the claims ``folder``: before Numba looks a planned kernel up in its cache for the
    first time here, this process claims it (then compiles it, and says so once it is saved), or,
    when another process has claimed it, compiles the next kernels of the plan nobody has claimed
    (`compile_kernel`) until that one is in the cache (or its owner has ended): so the process
    that needs a kernel another is compiling does the plan's next work meanwhile, not nothing."""

    active: _Sharing | None = None
    """The one `_Sharing` of this process while it shares a plan."""

    def __init__(self, folder: Path, plan: tuple[Kernel, ...]):
        from numba.core.caching import Cache

        _Sharing.active = self
        self.folder, self.plan, self.settled = folder, plan, set()
        self.planned = {k.qualified for k in plan}
        self.waits: list[tuple[str, float]] = []
        self._load, self._save = Cache.load_overload, Cache.save_overload
        sharing, load, save = self, self._load, self._save

        def load_overload(cache, sig, target_context):
            sharing.before_lookup(_qualified(cache))
            return load(cache, sig, target_context)

        def save_overload(cache, sig, data):
            save(cache, sig, data)
            name = _qualified(cache)
            if name in sharing.planned:
                mark_done(sharing.folder, name)

        Cache.load_overload, Cache.save_overload = load_overload, save_overload

    def before_lookup(self, qualified: str) -> None:
        """Claim ``qualified`` here, or work on the plan until its owner has it in the cache; the
        first time it is looked up here."""
        if qualified not in self.planned or qualified in self.settled:
            return
        self.settled.add(qualified)
        if claim(self.folder, qualified):
            return
        import time

        start = time.perf_counter()
        while not wait_done(self.folder, qualified, 0.0):
            if not _alive(self.folder / qualified) or time.perf_counter() - start > WAIT_LIMIT_S:
                break
            if not self._compile_next():
                wait_done(self.folder, qualified)
                break
        self.waits.append((qualified, time.perf_counter() - start))

    def _compile_next(self) -> bool:
        """Claim and compile the first kernel of the plan nobody has claimed; False if none is left."""
        for kernel in self.plan:
            if kernel.qualified not in self.settled and claim(self.folder, kernel.qualified):
                self.settled.add(kernel.qualified)
                try:
                    compile_kernel(kernel)
                finally:
                    mark_done(self.folder, kernel.qualified)
                return True
        return False

    def close(self) -> None:
        from numba.core.caching import Cache

        Cache.load_overload, Cache.save_overload = self._load, self._save
        _Sharing.active = None


def compile_kernel(kernel: Kernel) -> bool:
    """Compile ``kernel`` for its planned signature (into the cache); False if that failed (a
    stale plan entry: the process that needs it compiles it as it is called)."""
    import importlib

    try:
        dispatcher = getattr(importlib.import_module(kernel.module), kernel.name)
        dispatcher.compile(numba_types(kernel.signature))
    except Exception:
        return False
    return True


def _qualified(cache) -> str:
    func = cache._py_func
    return f"{func.__module__}.{func.__qualname__}"


class Ahead:
    """The running helper (a context manager; `ahead` makes one).

    Each planned kernel is compiled by one process of the run only, whichever claims it first
    (`claim`: a file made with ``O_EXCL`` in a claims folder of this run, named to the processes
    the command starts by `CLAIMS_ENV`): the command (or a second process of it,
    `cache_saves_locked`) when it first needs a kernel nobody has claimed, else the helper, which
    goes through the plan in order. A process that needs a kernel another has claimed compiles
    the plan's next unclaimed kernels until it is in the cache (`_Sharing`).

    ``blocks_concurrency``: the helper has a plan to work through, so it takes the second core
    and the command should keep its stages serial (tried: a second process of the command needs
    the same early kernels as the command, so the two mostly waited for each other); it then
    compiles ``after`` at normal priority. A helper with only `AFTER` kernels runs at idle
    priority and does not block concurrency."""

    def __init__(self, plan: tuple[Kernel, ...], folder: Path, after: tuple[Kernel, ...] = ()):
        import tempfile

        self.claims = Path(tempfile.mkdtemp(prefix="shieldsim-claims-"))
        self.plan = plan
        self.blocks_concurrency = bool(plan)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(folder))
        self._saved = _lock_cache_saves()
        self.sharing = _Sharing(self.claims, plan)  # this process: the command
        self._saved_env = os.environ.get(CLAIMS_ENV)
        if plan:  # processes the command starts share it too
            os.environ[CLAIMS_ENV] = str(self.claims)
        names = [k.qualified for k in plan] + [AFTER_MARK if plan else IDLE_MARK] + [k.qualified for k in after]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shieldsim.compile_ahead", str(self.claims), *names],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    @property
    def done(self) -> set[str]:
        """Planned kernels compiled so far (by any process of the run)."""
        return {k.qualified for k in self.plan if (self.claims / f"{k.qualified}{DONE_SUFFIX}").exists()}

    def wait_for(self, qualified: str) -> None:
        """What this process does before Numba first looks ``qualified`` up in its cache: claim
        it (and compile it here) or wait until its owner has it in the cache."""
        self.sharing.before_lookup(qualified)

    def poll(self, timeout: float) -> str | None:
        """The helper's next report (``done``/``failed``/``skipped NAME``), waiting up to
        ``timeout`` s for it; None when it has ended or said nothing in that time."""
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        return line.decode(errors="replace").strip() or None

    def close(self) -> None:
        """Stop the helper (if still running) and undo the hooks."""
        import shutil

        self.sharing.close()
        _unlock_cache_saves(self._saved)
        if self._saved_env is None:
            os.environ.pop(CLAIMS_ENV, None)
        else:
            os.environ[CLAIMS_ENV] = self._saved_env
        process, self.process = self.process, None
        if process is not None:
            process.stdin.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            process.stdout.close()
        shutil.rmtree(self.claims, ignore_errors=True)

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Nothing:
    """`ahead` when the helper does not start."""

    process = None
    blocks_concurrency = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def ahead(workers: int | None = None, plan: tuple[Kernel, ...] = PLAN, after: tuple[Kernel, ...] = AFTER):
    """A context manager: the helper compiling the kernels of ``plan`` missing from the cache
    (shared with this process, `Ahead`), then those of ``after`` (kernels this process does not
    wait for; at idle priority when no planned kernel is missing), while the block runs, when `should_start` says so (else it does
    nothing). Leave the block and the helper stops."""
    folder = should_start(workers, plan, after)
    if folder is None:
        return _Nothing()
    missing = tuple(k for k in plan if not _index_present(folder, k))
    return Ahead(missing, folder, tuple(k for k in after if not _index_present(folder, k)))


def _lower_priority() -> None:
    """Run this process only when a core would otherwise be idle (Linux ``SCHED_IDLE``), else at
    the lowest nice level: the command and the user's next command come first."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(19)


def _exit_when_parent_goes() -> None:
    """End this helper at once when its standard input closes (the command ended or died)."""
    import threading

    def watch():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _helper(argv: list[str]) -> int:
    """The helper process: ``argv`` is the run's claims folder, then the `PLAN` entries to
    compile, in that order, each only if no other process has claimed it (`claim`), then
    `AFTER_MARK` (or `IDLE_MARK`: at idle priority from there on) and `AFTER` entries, compiled
    without claims. Reports ``done NAME``, ``failed NAME`` or ``skipped NAME`` (claimed by the
    command) on stdout after each."""
    _exit_when_parent_goes()
    _lock_cache_saves()
    claims, names = Path(argv[0]), argv[1:]
    by_name = {k.qualified: k for k in PLAN + AFTER}
    unclaimed = False
    for name in names:
        if name in (IDLE_MARK, AFTER_MARK):
            unclaimed = True
            if name == IDLE_MARK:
                _lower_priority()
            continue
        kernel = by_name.get(name)
        if not unclaimed and not claim(claims, name):
            status = "skipped"
        else:
            status = "done" if kernel is not None and compile_kernel(kernel) else "failed"
            if not unclaimed:
                mark_done(claims, name)
        sys.stdout.write(f"{status} {name}\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_helper(sys.argv[1:]))
