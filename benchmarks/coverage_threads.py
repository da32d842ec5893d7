"""How evenly the parallel kernels of a coverage run use the threads: per-kernel thread CPU.

    python benchmarks/coverage_threads.py [--options] [--grid-deg 0.5] [--repeat 1]

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


if __name__ == "__main__":
    main()
