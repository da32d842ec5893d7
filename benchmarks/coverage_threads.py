"""How evenly the parallel kernels of a coverage run use the threads: per-kernel thread CPU.

    python benchmarks/coverage_threads.py [--options] [--grid-deg 0.5] [--repeat 1]
    python benchmarks/coverage_threads.py --timeline [--repeat 3] [--threads 2,3] [--dump PATH] [--verbose]

Runs the default coverage (``--options``: the three cooperation options together, as
`shieldsim assess` does) on a 5-degree grid and once in full to warm the kernels and tables,
then ``--repeat`` runs with every parallel kernel below wrapped. Around each call the wrapper
reads the CPU time of every thread of the process (``/proc/self/task/*/schedstat``: nanoseconds
on a CPU, not wall time, so the figures do not depend on how busy the machine is) and adds,
per kernel, the CPU of all threads (``cpu_s``) and that of the busiest thread of each call
(``busiest_s``). With N threads a perfectly balanced kernel has busiest = cpu / N;
``balance = cpu_s / (N * busiest_s)`` is 1 for a perfect split and 1/N when one thread does all.
``idle_s = N * busiest_s - cpu_s`` is the thread time a kernel leaves unused (the time one core
waits for the other). Also printed: the whole run's CPU of all threads and of the calling thread
outside the wrapped kernels (``serial_s``, the Python glue no other thread can help with), and
the run's critical path, ``serial_s + sum of busiest_s``: the wall time on N idle cores.
These per-kernel figures are those of batches run one after another (`parallel.InProcessExecutor`,
each kernel on all Numba threads: the coverage's executor before `parallel.batch_executor`).

``--compare`` then runs the coverage ``--repeat`` times more with each executor, alternating
(in-process, threads, in-process, ...), unwrapped, and prints each run's wall and process CPU
and, for the threads, the CPU of each batch thread: the ratios of one run are the measure (the
machine's load moves the absolute figures), and with the batch threads' CPU even (max/mean
near 1) and the process CPU unchanged, two idle cores give ``wall ~ max batch-thread CPU``.

``--timeline`` instead records, per thread, every call of the coverage's stages (`TIMELINE`) and
of the GIL-releasing kernels on the default executor (``--threads``: these batch threads,
alternated) and prints per run: each thread's wall and CPU per stage, the batch threads' start,
end and idle gaps, the batches' GIL-held and kernel CPU by stage, and the wall on N idle cores
from CPU alone: prologue CPU + makespan of the batches + epilogue CPU, the makespan without the
GIL (`list_schedule`) and with it (`gil_schedule`: each batch's measured segments replayed), for
N, N + 1 and N + 2 batch threads. ``footprints_sha1`` hashes every footprint array of the run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import threading
import time

from coverage_stages import coverage_architectures, replace_everywhere, uninstall  # this folder is on the path

KERNELS = (
    ("shieldsim.boost_kernel", "_boost_batch"),
    ("shieldsim.boost_kernel", "_boost_lanes"),
    ("shieldsim.trajectory.newton_impacts", "_vacuum_measures"),
    ("shieldsim.trajectory.conic_samples", "_sample_boosted"),
    ("shieldsim.trajectory.kernels", "_fly_vacuum_batch"),
    ("shieldsim.trajectory.kernels", "_impact_vacuum_batch"),
    ("shieldsim.trajectory.kernels", "_fly_vacuum_geodetic_batch"),
    ("shieldsim.trajectory.kernels", "_fly_batch"),
    ("shieldsim.trajectory.kernels", "_fly_into_rows"),
    ("shieldsim.sensors.sweep", "_radar_batch"),
    ("shieldsim.sensors.kernels", "_boost_sight"),
    ("shieldsim.sensors.kernels", "_look_batch"),
    ("shieldsim.engagement", "_engage_kernel_tabled"),
    ("shieldsim.engagement", "_engage_kernel"),
    ("shieldsim.engagement", "_heights"),
    ("shieldsim.arrival_table", "_lookup_batch"),
    ("shieldsim.arrival_table", "_excess_batch"),
    ("shieldsim.arrival_table", "_min_excess_batch"),
)
"""(module, parallel kernel) wrapped wherever a loaded shieldsim module holds it."""


def thread_cpu_ns() -> dict[int, int]:
    """CPU nanoseconds of every thread of this process (``/proc/self/task/<tid>/schedstat``)."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                out[int(tid)] = int(f.read().split()[0])
        except OSError:  # the thread ended meanwhile
            pass
    return out


class Meter:
    """Per-kernel CPU of all threads and of the busiest thread of each call."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self.busiest: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.caller_in_kernels = 0.0  # the calling thread's CPU inside wrapped kernels
        self.threads: set[int] = set()

    def wrap(self, fn, name: str):
        return Measured(self, fn, name)

    def add(self, name: str, a: dict, b: dict, me: int) -> None:
        spent = {t: b[t] - a.get(t, 0) for t in b}
        busy = {t: s for t, s in spent.items() if s > 0}
        self.threads.update(busy)
        self.cpu[name] = self.cpu.get(name, 0.0) + sum(busy.values()) * 1e-9
        self.busiest[name] = self.busiest.get(name, 0.0) + max(busy.values(), default=0) * 1e-9
        self.calls[name] = self.calls.get(name, 0) + 1
        self.caller_in_kernels += spent.get(me, 0) * 1e-9


class Measured:
    """A kernel dispatcher whose calls `Meter` measures; its other attributes (``signatures``...)
    are the dispatcher's."""

    def __init__(self, meter: Meter, fn, name: str):
        self._meter, self._fn, self._name = meter, fn, name
        self._me = threading.get_native_id()

    def __call__(self, *args, **kwargs):
        a = thread_cpu_ns()
        try:
            return self._fn(*args, **kwargs)
        finally:
            self._meter.add(self._name, a, thread_cpu_ns(), self._me)

    def __getattr__(self, name):
        return getattr(self._fn, name)


def install(meter: Meter) -> list:
    """Wrap every `KERNELS` dispatcher wherever a loaded shieldsim module holds it."""
    undo = []
    for module, name in KERNELS:
        mod = importlib.import_module(module)
        orig = getattr(mod, name, None)
        if orig is None:
            continue
        replace_everywhere(name, orig, meter.wrap(orig, name), undo)
    return undo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--options", action="store_true", help="the three cooperation options together")
    ap.add_argument("--grid-deg", type=float, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--compare", action="store_true", help="also time both executors, alternating")
    ap.add_argument("--compare-only", action="store_true", help="only the executors' comparison")
    ap.add_argument("--timeline", action="store_true", help="per-thread timeline of default coverages")
    ap.add_argument("--verbose", action="store_true", help="with --timeline: every call")
    ap.add_argument("--dump", default=None, help="with --timeline: write each run's segments to DUMP.<run>.json")
    ap.add_argument("--threads", default=None, help="with --timeline: batch threads, e.g. 2,3 (alternated)")
    ap.add_argument("--pool-mb", type=int, default=None, help="buffers.POOL_BYTES in MiB (default: as set)")
    args = ap.parse_args()
    import numba

    from shieldsim import study

    archs = coverage_architectures(args.options)
    areas = list(archs[0].scenario.launch_areas)
    from shieldsim import buffers
    from shieldsim.parallel import InProcessExecutor, batch_executor

    if args.pool_mb is not None:
        buffers.POOL_BYTES = args.pool_mb << 20
    study.coverage_many(archs, areas, grid_deg=5.0)
    study.coverage_many(archs, areas, grid_deg=args.grid_deg)
    if args.timeline:
        return timeline(archs, areas, args.grid_deg, max(1, args.repeat), args.verbose, args.dump,
                        [int(k) for k in args.threads.split(",")] if args.threads else None)
    study.coverage_many(archs, areas, grid_deg=args.grid_deg, executor=batch_executor())
    if args.compare_only:
        return compare(archs, areas, args.grid_deg, max(1, args.repeat))
    meter = Meter()
    undo = install(meter)
    me = threading.get_native_id()
    reps = max(1, args.repeat)
    a, c0, w0 = thread_cpu_ns(), time.process_time(), time.perf_counter()
    for _ in range(reps):
        study.coverage_many(archs, areas, grid_deg=args.grid_deg, executor=InProcessExecutor())
    wall, total, b = time.perf_counter() - w0, time.process_time() - c0, thread_cpu_ns()
    uninstall(undo)
    n = numba.get_num_threads()
    serial = ((b[me] - a[me]) * 1e-9 - meter.caller_in_kernels) / reps
    print(f"coverage of {len(archs)} architecture(s), {len(areas)} areas; numba threads {n} "
          f"({numba.threading_layer()}); CPU s per run")
    print(f"{'kernel':<28s} {'calls':>6s} {'cpu_s':>7s} {'busiest_s':>9s} {'idle_s':>7s} {'balance':>7s}")
    crit = serial
    for name in sorted(meter.cpu, key=lambda k: -meter.cpu[k]):
        cpu, busy = meter.cpu[name] / reps, meter.busiest[name] / reps
        crit += busy
        print(f"{name:<28s} {meter.calls[name] // reps:6d} {cpu:7.3f} {busy:9.3f} {n * busy - cpu:7.3f} "
              f"{cpu / (n * busy) if busy else 1:7.3f}")
    kern = sum(meter.cpu.values()) / reps
    busy = sum(meter.busiest.values()) / reps
    print(f"kernels_cpu_s {kern:.3f} kernels_busiest_s {busy:.3f} kernels_balance {kern / (n * busy):.3f}")
    print(f"total_cpu_s {total / reps:.3f} serial_s {serial:.3f} critical_path_s {crit:.3f} "
          f"wall_s {wall / reps:.3f}")
    if args.compare:
        compare(archs, areas, args.grid_deg, reps)


def own_schedstat() -> tuple[float, float]:
    """(CPU seconds, seconds waiting for a CPU while runnable) of the calling thread."""
    with open("/proc/thread-self/schedstat") as f:
        cpu, queued = f.read().split()[:2]
    return int(cpu) * 1e-9, int(queued) * 1e-9


class Recording:
    """An executor running its items on ``inner`` and adding, per thread that ran items, the
    thread's wall, CPU and run-queue seconds inside them; ``blocked`` = wall - CPU - run-queue
    is the time the thread was neither running nor ready: waiting for the GIL (or, in-process,
    for a kernel's other threads)."""

    def __init__(self, inner):
        self.inner, self.cpu, self.wall, self.queued = inner, {}, {}, {}

    def as_completed(self, fn, items):
        def timed(item):
            (c0, q0), w0 = own_schedstat(), time.perf_counter()
            try:
                return fn(item)
            finally:
                (c1, q1), name = own_schedstat(), threading.current_thread().name
                self.cpu[name] = self.cpu.get(name, 0.0) + c1 - c0
                self.queued[name] = self.queued.get(name, 0.0) + q1 - q0
                self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w0

        return self.inner.as_completed(timed, items)

    def blocked(self, name: str) -> float:
        return self.wall[name] - self.cpu[name] - self.queued[name]


def compare(archs, areas, grid_deg, reps: int) -> None:
    """Wall, process CPU and the CPU of each thread running batches, with each executor, alternating,
    and each batch thread's ``blocked_s`` (`Recording.blocked`: for the threads, mostly waits for
    the GIL; a busy machine inflates it, as the GIL's holder may be waiting for a core)."""
    from shieldsim import study
    from shieldsim.parallel import InProcessExecutor, batch_executor

    walls: dict[str, list] = {"in-process": [], "threads": []}
    for _ in range(reps):
        for label, ex in (("in-process", InProcessExecutor()), ("threads", batch_executor())):
            rec = Recording(ex)
            r0, c0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time(), time.perf_counter()
            study.coverage_many(archs, areas, grid_deg=grid_deg, executor=rec)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            walls[label].append(wall)
            names = sorted(rec.cpu)
            per = " ".join(f"{rec.cpu[k]:.3f}" for k in names)
            blocked = " ".join(f"{rec.blocked(k):.3f}" for k in names)
            print(f"run {label:<10s} wall_s {wall:6.3f} cpu_s {cpu:6.3f} batch_thread_cpu_s {per} "
                  f"blocked_s {blocked} sys_s {r1.ru_stime - r0.ru_stime:.3f} "
                  f"minor_faults {r1.ru_minflt - r0.ru_minflt} load {os.getloadavg()[0]:.1f}")
    ratio = [x / y for x, y in zip(walls["threads"], walls["in-process"])]
    print(f"wall_ratio_threads_vs_in_process {' '.join(f'{r:.3f}' for r in ratio)} "
          f"best {min(walls['threads']) / min(walls['in-process']):.3f}")


TIMELINE = (
    ("shieldsim.study.coverage_study", "coverage_many", "coverage_many"),
    ("shieldsim.study.coverage_study", "footprint_batches", "prologue: batches"),
    ("shieldsim.geography", "country_of", "prologue: land cells"),
    ("shieldsim.study.architecture", "reachable_from", "prologue: reach"),
    ("shieldsim.study.coverage_study", "run_batch", "batch"),
    ("shieldsim.study.flights", "fly", "batch: aim"),
    ("shieldsim.study.tracks", "SharedFlights.prefetch", "batch: radar prefetch"),
    ("shieldsim.study.tracks", "engage_flights", "batch: track+engage"),
    ("shieldsim.study.sectors", "allowed_batteries", "batch: allowed"),
    ("shieldsim.coverage", "summarise_cells", "batch: summarise"),
    ("shieldsim.coverage", "merge_summaries", "merge"),
    ("shieldsim.coverage", "Footprint.from_summary", "epilogue: footprint"),
    ("shieldsim.coverage", "combine_footprints", "epilogue: combine"),
    ("shieldsim.coverage", "Footprint.protected_population", "epilogue: population"),
)
"""(module, function or Class.method, label) whose calls `--timeline` records per thread."""


class Timeline:
    """Per thread, every recorded call: (label, depth, wall start, wall end, thread CPU start, end)."""

    def __init__(self):
        self.events: list[tuple] = []
        self.local = threading.local()
        self.lock = threading.Lock()

    def wrap(self, fn, label: str):
        import functools

        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            depth = getattr(self.local, "depth", 0)
            self.local.depth = depth + 1
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                w1, c1 = time.perf_counter(), time.thread_time()
                self.local.depth = depth
                with self.lock:
                    self.events.append((threading.current_thread().name, label, depth, w0, w1, c0, c1))

        return recorded


class Recorded:
    """A kernel dispatcher whose calls a `Timeline` records (label ``kernel``: the GIL is released);
    its other attributes are the dispatcher's."""

    def __init__(self, fn, recorded):
        self._fn, self._recorded = fn, recorded

    def __call__(self, *args, **kwargs):
        return self._recorded(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._fn, name)


def install_timeline(tl: Timeline) -> list:
    """Record the calls of `TIMELINE` and of the `KERNELS` (those releasing the GIL) on ``tl``."""
    undo = []
    for module, name in KERNELS:
        orig = getattr(importlib.import_module(module), name, None)
        if orig is not None and orig.targetoptions.get("nogil"):
            replace_everywhere(name, orig, Recorded(orig, tl.wrap(orig, "kernel")), undo)
    for module, name, label in TIMELINE:
        mod = importlib.import_module(module)
        if "." in name:
            cls, meth = name.split(".")
            holder = getattr(mod, cls)
            orig = holder.__dict__[meth]
            if isinstance(orig, classmethod):
                setattr(holder, meth, classmethod(tl.wrap(orig.__func__, label)))
            else:
                setattr(holder, meth, tl.wrap(orig, label))
            undo.append((holder, meth, orig))
        else:
            orig = getattr(mod, name)
            replace_everywhere(name, orig, tl.wrap(orig, label), undo)
    return undo


def list_schedule(costs: list[float], workers: int) -> float:
    """Makespan of ``costs`` taken in order by ``workers`` workers, each taking the next as it
    finishes one (the `parallel.ThreadedExecutor` rule), on idle cores."""
    free = [0.0] * workers
    for c in costs:
        k = free.index(min(free))
        free[k] += c
    return max(free)


def gil_schedule(batches: list[list[tuple[bool, float]]], workers: int, cores: int | None = None,
                 slice_s: float = 0.005) -> float:
    """Makespan of ``batches`` (each a list of (holds the GIL, CPU s) segments) taken in order by
    ``workers`` threads on ``cores`` idle cores (default one each; more threads than cores share
    them equally), the segments that hold the GIL run by one thread at a time (handed over after
    ``slice_s``, Python's switch interval, when another waits; at once when its holder enters a
    kernel). Event by event, no time step."""
    cores = cores or workers
    queue = list(batches)
    todo: list[list] = [[] for _ in range(workers)]
    holder, held, t = None, 0.0, 0.0
    while True:
        for k in range(workers):
            while not todo[k] or todo[k][0][1] <= 1e-12:
                if todo[k]:
                    todo[k].pop(0)
                    holder = None if holder == k else holder
                    continue
                if not queue:
                    break
                todo[k] = [list(seg) for seg in queue.pop(0)]
        if not any(todo):
            return t
        want = [k for k in range(workers) if todo[k] and todo[k][0][0]]
        if holder is not None and holder not in want:
            holder = None
        if holder is None and want or holder is not None and held >= slice_s - 1e-12 and len(want) > 1:
            holder, held = ([k for k in want if k != holder] or want)[0], 0.0
        run = [k for k in range(workers) if todo[k] and (not todo[k][0][0] or k == holder)]
        rate = min(1.0, cores / len(run))
        dt = min(todo[k][0][1] / rate for k in run)
        if holder is not None and len(want) > 1:
            dt = min(dt, slice_s - held)
        dt = max(dt, 1e-9)
        for k in run:
            todo[k][0][1] -= dt * rate
        held += dt
        t += dt


def footprints_digest(results) -> str:
    """SHA-1 (first 12 digits) of every array of every footprint of ``results`` (`study.CoverageResult`s)."""
    import hashlib

    import numpy as np

    h = hashlib.sha1()
    for r in results:
        for area in sorted(r.footprints):
            fp = r.footprints[area]
            for name in ("threatened", "defended", "shots", "kill_probability", "intercept_alt_km", "engaging"):
                h.update(np.ascontiguousarray(getattr(fp, name)).tobytes())
    return h.hexdigest()[:12]


def timeline(archs, areas, grid_deg, reps: int, verbose: bool, dump: str | None = None,
             threads: list[int] | None = None) -> None:
    """``reps`` default coverages (batch threads) with the calls of `TIMELINE` recorded; per run:
    each thread's CPU and wall in each stage, the batch threads' idle gaps, and the wall on two
    idle cores estimated from CPU alone: prologue CPU + makespan of the batches' thread CPU in
    the executor's order + epilogue CPU (``ideal_wall_s``, a critical path that ignores GIL waits)."""
    import numba

    from shieldsim import study

    from shieldsim import buffers
    from shieldsim.parallel import ThreadedExecutor

    n = numba.get_num_threads()
    for rep in range(reps * len(threads or [0])):
        k = (threads or [0])[rep % len(threads or [0])]
        if k:
            buffers.reserve(k)
        tl = Timeline()
        undo = install_timeline(tl)
        c0 = time.process_time()
        results = study.coverage_many(archs, areas, grid_deg=grid_deg, executor=ThreadedExecutor(k, 1) if k else None)
        cpu = time.process_time() - c0
        uninstall(undo)
        ev = sorted(tl.events, key=lambda e: e[3])
        top = next(e for e in ev if e[1] == "coverage_many")
        t0, t_end = top[3], top[4]
        main = top[0]
        batches = sorted((e for e in ev if e[1] == "batch"), key=lambda e: e[3])
        first_b, last_b = batches[0][3], max(e[4] for e in batches)
        # prologue/epilogue: main thread CPU outside the batch span
        pro = [e for e in ev if e[0] == main and e[4] <= first_b and e[2] == 1]
        epi = [e for e in ev if e[0] == main and e[3] >= last_b and e[2] == 1]
        print(f"run {rep}: wall {t_end - t0:.3f} process_cpu {cpu:.3f} batch threads {k or 'default'} load "
              f"{os.getloadavg()[0]:.1f} footprints_sha1 {footprints_digest(results)} population "
              f"{results[0].as_dict()['population_protected']:.0f}")
        print(f"  prologue wall {first_b - t0:.3f}  batches span {last_b - first_b:.3f}  epilogue wall {t_end - last_b:.3f}")
        stages: dict = {}
        for e in ev:
            key = (e[0], e[1])
            s = stages.setdefault(key, [0, 0.0, 0.0])
            s[0] += 1
            s[1] += e[4] - e[3]
            s[2] += e[6] - e[5]
        for (th, label), (k, w, c) in sorted(stages.items()):
            print(f"  {th:<18s} {label:<26s} calls {k:4d} wall {w:7.3f} cpu {c:7.3f}")
        by_thread: dict = {}
        for e in batches:
            by_thread.setdefault(e[0], []).append(e)
        for th, bs in sorted(by_thread.items()):
            gaps = [b[3] - a[4] for a, b in zip(bs, bs[1:])]
            cpu_t = sum(b[6] - b[5] for b in bs)
            print(f"  {th}: {len(bs)} batches cpu {cpu_t:.3f} wall {sum(b[4] - b[3] for b in bs):.3f} "
                  f"start +{bs[0][3] - first_b:.3f} end -{last_b - bs[-1][4]:.3f} gaps {sum(gaps):.3f}")
        costs = [b[6] - b[5] for b in batches]
        pro_cpu = sum(e[6] - e[5] for e in pro)
        epi_cpu = sum(e[6] - e[5] for e in epi)
        span = list_schedule(costs, n)
        kern = [e for e in ev if e[1] == "kernel"]
        segs = []
        for b in batches:
            inner = sorted((e for e in kern if e[0] == b[0] and b[3] <= e[3] <= b[4]), key=lambda e: e[5])
            seg, at = [], b[5]
            for e in inner:
                seg += [(True, e[5] - at), (False, e[6] - e[5])]
                at = e[6]
            segs.append(seg + [(True, b[6] - at)])
        gil = sum(c for seg in segs for holds, c in seg if holds)
        held: dict = {}
        for e in ev:
            if e[1].startswith("batch: "):
                k = sum(x[6] - x[5] for x in kern if x[0] == e[0] and e[3] <= x[3] and x[4] <= e[4])
                h = held.setdefault(e[1], [0.0, 0.0])
                h[0] += e[6] - e[5] - k
                h[1] += k
        print("  GIL-held / nogil kernel CPU by stage: " + ", ".join(
            f"{k[7:]} {h[0]:.3f} / {h[1]:.3f}" for k, h in sorted(held.items())))
        gspan = gil_schedule(segs, n, cores=n)
        print(f"  makespan with the GIL on {n} cores with {n + 1} / {n + 2} batch threads: "
              f"{gil_schedule(segs, n + 1, cores=n):.3f} / {gil_schedule(segs, n + 2, cores=n):.3f}")
        if dump:
            import json

            with open(f"{dump}.{rep}.json", "w") as f:
                json.dump({"prologue_cpu": pro_cpu, "epilogue_cpu": epi_cpu, "batches": segs}, f)
        print(f"  batches: GIL-held cpu {gil:.3f}, nogil kernels cpu {sum(costs) - gil:.3f}; "
              f"makespan with the GIL {gspan:.3f}")
        print(f"  prologue_cpu {pro_cpu:.3f} batches_cpu {sum(costs):.3f} makespan_{n} {span:.3f} "
              f"(perfect {sum(costs) / n:.3f}) epilogue_cpu {epi_cpu:.3f} "
              f"ideal_wall_s {pro_cpu + span + epi_cpu:.3f} with_gil {pro_cpu + gspan + epi_cpu:.3f}")
        if verbose:
            for e in ev:
                if e[1] == "batch" or e[0] == main and e[2] <= 1:
                    print(f"    {e[0]:<18s} {e[1]:<22s} +{e[3] - t0:7.3f} .. +{e[4] - t0:7.3f} cpu {e[6] - e[5]:.3f}")


if __name__ == "__main__":
    main()
