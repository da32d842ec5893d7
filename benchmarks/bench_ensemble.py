"""Uncertainty-ensemble throughput of the default assessment: in-process, on 1 and on 2 Dask workers.

An ensemble of the default assessment's headlines (`headlines.assessment` of epaa-2018: coverage
per threat area, the cooperation options, the deterrent fractions per phase and battery), every
uncertain figure of its scenarios and catalogues drawn from its range (Latin hypercube by
default, so the member count is exactly ``--members``), members in chunks of one. Issue 16's
targets on this 2-core machine: the 64 members at a 1-degree grid in under 10 minutes
in-process, and ``speedup_2_workers`` (2 workers against 1 worker, same run) at least 1.7.

Three runs of the same design (``--runs``, default all three, in this order):

* ``inprocess``: as a user runs ``--ensemble 64`` without ``--workers``: this process, Numba's
  default threads (``NUMBA_NUM_THREADS`` if set, else one per core);
* ``1`` and ``2``: a Dask LocalCluster of 1 and of 2 workers as ``--workers N`` starts it (one
  process and one Numba thread per worker), each worker warmed first by one nominal member run
  in its own process (a task pinned to each worker; not timed).

Printed:

    members, figures, grid_deg, numba_threads (of this process)
    warmup_s              the first nominal member in this process (not timed; compiles or loads
                          the kernels, fills the caches members share)
    breakdown             (--breakdown) where one member's time goes, in this process: seconds in
                          reach tables, aiming, detection, engagement (arrival tables included),
                          applying the member's figures, and the rest (cProfile)
    wall_s                the in-process ensemble (the issue's 10-minute target: 600 s for 64)
    members_per_s         members / wall_s
    wall_64_members_s     wall_s scaled to 64 members (when fewer were run)
    wall_1_worker_s, wall_2_workers_s   the ensemble on 1 and on 2 workers
    speedup_2_workers     wall_1_worker_s / wall_2_workers_s (the issue's definition)
    speedup_vs_inprocess  wall_s / wall_2_workers_s
    identical             every run gave bit-identical headlines, member by member
    per run (<run>_...):  what the processes running the members measured, member by member
        cpu_s_per_member      CPU seconds of the member in its process (the figure to compare
                              across runs on a shared machine)
        cpu_first/last_q      mean CPU of the first and last quarter of each process's members
                              (growth over a long run shows here)
        minflt_per_member     minor page faults per member (first touches of fresh memory; on
                              this VM each costs ~20-40 us)
        gc_s_per_member       seconds in Python's cyclic garbage collector per member
        rss_mb_end            resident memory of each member process at the end
        busy                  sum of the members' wall times / (processes x wall): below 1, the
                              member processes waited (for the scheduler, or for the cores)
        main_cpu_s            CPU of this (client and scheduler) process during a worker run
        thread_cpu_s          CPU of the member's own thread (the rest of cpu_s: the worker's other
                              threads), and of it in the kernel (page faults, allocation)
        migrations            moves of the member's thread to another core, preemptions (other
                              processes taking its core) and waits, per member
        gaps_s, tail_s        idle time of each member process between its members and at the end
    workers_cores         the cores each worker process may run on (`parallel.pin_workers`)
    load_avg_1min         the machine's load average after each run (other jobs take cores)

``--member-log FILE`` writes one JSON line per member and run (pid, start, wall, CPU, faults,
RSS, GC) for a closer look.

Run: PYTHONPATH=src python benchmarks/bench_ensemble.py [--members 64] [--grid-deg 1.0]
     [--runs inprocess,1,2] [--skip-workers] [--method lhs|sobol] [--no-cooperation]
     [--no-deterrent] [--breakdown] [--member-log FILE]
     [--save FILE]  (the headlines of every member of the first run, to compare code versions)
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import resource
import time

STAGES = (  # (label, module path suffix, function); none of them calls another
    ("reach tables", "study/architecture.py", "_fill"),
    ("aiming", "trajectory/aiming.py", "aim"),
    ("detection", "sensors/detection.py", "detect"),
    ("engagement", "engagement.py", "engage"),
    ("applying the figures", "assumptions.py", "apply"),
)
RUNS = ("inprocess", "1", "2")
STAT = "bench/"  # prefix of the per-member measurements returned next to the headlines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--grid-deg", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", default="lhs", choices=("lhs", "sobol", "morris", "auto"))
    parser.add_argument("--runs", default=",".join(RUNS), help="which runs, in order: inprocess, 1 (worker), 2 (workers)")
    parser.add_argument("--no-cooperation", action="store_true")
    parser.add_argument("--no-deterrent", action="store_true")
    parser.add_argument("--skip-workers", action="store_true", help="only the in-process run (--runs inprocess)")
    parser.add_argument("--breakdown", action="store_true", help="profile one member first: where its time goes")
    parser.add_argument("--member-log", default=None, help="write one JSON line per member and run here")
    parser.add_argument("--save", default=None, help="write the first run's headlines (JSON) here, to compare "
                                                     "code versions member by member")
    args = parser.parse_args()
    runs = ["inprocess"] if args.skip_workers else [r.strip() for r in args.runs.split(",") if r.strip()]
    bad = [r for r in runs if r not in RUNS]
    if bad or not runs:
        parser.error(f"--runs {args.runs}: allowed: a comma-separated list of {', '.join(RUNS)}")

    import numba
    import numpy as np

    from shieldsim import ensemble, headlines
    from shieldsim import scenario as scen
    from shieldsim.study import COOPERATION_OPTIONS, DETERRENT_PHASES
    from shieldsim.uncertainty import member_overrides, study_figures

    coop, det = not args.no_cooperation, not args.no_deterrent
    study = functools.partial(headlines.assessment, scenario=scen.DEFAULT, grid_deg=args.grid_deg,
                              cooperation=coop, deterrent_phases=det)
    names = [scen.DEFAULT] + ([n for _, n in COOPERATION_OPTIONS] if coop else []) + \
        (["deterrent", *DETERRENT_PHASES] if det else [])
    figs = study_figures([scen.load(n) for n in dict.fromkeys(names)])
    des = ensemble.design(figs, args.members, args.seed, args.method)
    member = functools.partial(_measured, ensemble.scenario_study(study))
    print(f"members               {des.members} ({des.method})")
    print(f"figures               {len(figs)}")
    print(f"grid_deg              {args.grid_deg}")
    print(f"numba_threads         {numba.get_num_threads()} (in-process run)", flush=True)

    if "inprocess" in runs or args.breakdown:
        t = time.perf_counter()
        study(None)
        print(f"warmup_s              {time.perf_counter() - t:.1f}", flush=True)
    if args.breakdown:
        _breakdown(ensemble.scenario_study(study), member_overrides(figs, np.full(len(figs), 0.37)))

    walls, results = {}, {}
    for run in runs:
        walls[run], results[run] = _run(run, member, figs, des, study, args.member_log)
    headlines_of = {run: {k: v for k, v in ens.values.items() if not k.startswith(STAT)} for run, ens in results.items()}
    first = headlines_of[runs[0]]
    if args.save:
        with open(args.save, "w", encoding="utf-8") as fh:
            json.dump({k: [None if np.isnan(x) else float(x) for x in v] for k, v in first.items()}, fh)
    if "inprocess" in walls:
        wall = walls["inprocess"]
        print(f"wall_s                {wall:.1f}")
        print(f"members_per_s         {des.members / wall:.4f}")
        if des.members != 64:
            print(f"wall_64_members_s     {wall * 64 / des.members:.0f}")
    for run, label in (("1", "wall_1_worker_s"), ("2", "wall_2_workers_s")):
        if run in walls:
            print(f"{label:<22}{walls[run]:.1f}")
    if "1" in walls and "2" in walls:
        print(f"speedup_2_workers     {walls['1'] / walls['2']:.2f}")
    if "inprocess" in walls and "2" in walls:
        print(f"speedup_vs_inprocess  {walls['inprocess'] / walls['2']:.2f}")
    if len(runs) > 1:
        same = all(set(h) == set(first) and all(np.array_equal(first[k], h[k], equal_nan=True) for k in first)
                   for h in headlines_of.values())
        print(f"identical             {same}")


def _run(run: str, member, figs, des, study, log_path):
    """One run of the ensemble (``run``: "inprocess", "1" or "2" workers); prints its per-member
    figures and returns (wall seconds, `ensemble.Ensemble`)."""
    from shieldsim import ensemble, parallel

    if run == "inprocess":
        t, cpu = time.perf_counter(), time.process_time()
        ens = ensemble.run(member, figs, des, chunk_members=1)
        wall, main_cpu, procs = time.perf_counter() - t, None, 1
    else:
        with parallel.executor(workers=int(run)) as ex:
            warmed = _warm_every_worker(ex.client, study)
            print(f"workers_warmed        {warmed} (run {run})", flush=True)
            held = ex.client.run(_cores_of_process)
            print(f"workers_cores         {' '.join(held[a] for a in sorted(held))} (run {run}; "
                  f"SHIELDSIM_PIN_WORKERS={os.environ.get('SHIELDSIM_PIN_WORKERS', '1')})", flush=True)
            t, cpu = time.perf_counter(), time.process_time()
            ens = ensemble.run(member, figs, des, executor=ex, chunk_members=1)
            wall, main_cpu, procs = time.perf_counter() - t, time.process_time() - cpu, int(run)
    _print_stats(run, ens, wall, main_cpu, procs)
    if log_path:
        _log(log_path, run, ens)
    print(f"load_avg_1min         {os.getloadavg()[0]:.1f} (after run {run})", flush=True)
    return wall, ens


def _print_stats(run: str, ens, wall: float, main_cpu: float | None, procs: int) -> None:
    """The per-member measurements of one run (see the module docstring)."""
    import numpy as np

    v = {k[len(STAT):]: np.asarray(a) for k, a in ens.values.items() if k.startswith(STAT)}
    if not v:
        return
    ok = np.isfinite(v["cpu_s"])
    p = f"{run}_"
    print(f"{p + 'wall_s':<22}{wall:.1f}")
    print(f"{p + 'cpu_s_per_member':<22}{np.mean(v['cpu_s'][ok]):.2f}")
    firsts, lasts = [], []
    for pid in np.unique(v["pid"][ok]):
        order = np.argsort(v["start"][ok & (v["pid"] == pid)])
        cpu = v["cpu_s"][ok & (v["pid"] == pid)][order]
        q = max(1, len(cpu) // 4)
        firsts.append(np.mean(cpu[:q]))
        lasts.append(np.mean(cpu[-q:]))
    print(f"{p + 'cpu_first_last_q':<22}{' '.join(f'{a:.2f}/{b:.2f}' for a, b in zip(firsts, lasts))}")
    print(f"{p + 'minflt_per_member':<22}{np.mean(v['minflt'][ok]):.0f}")
    print(f"{p + 'gc_s_per_member':<22}{np.mean(v['gc_s'][ok]):.2f}")
    ends = [v["rss_mb"][ok & (v["pid"] == pid)][np.argmax(v["start"][ok & (v["pid"] == pid)])]
            for pid in np.unique(v["pid"][ok])]
    print(f"{p + 'rss_mb_end':<22}{' '.join(f'{r:.0f}' for r in ends)}")
    print(f"{p + 'busy':<22}{np.sum(v['wall_s'][ok]) / (procs * wall):.3f}")
    if "migrations" in v:
        print(f"{p + 'thread_cpu_s':<22}{np.mean(v['thread_cpu_s'][ok]):.2f} (the member's own thread), "
              f"{np.mean(v['sys_s'][ok]):.2f} in the kernel")
        print(f"{p + 'migrations':<22}{np.mean(v['migrations'][ok]):.0f} a member, "
              f"{np.mean(v['nivcsw'][ok]):.0f} preemptions, {np.mean(v['nvcsw'][ok]):.0f} waits")
    gaps, tails = [], []
    end_all = max(v["start"][ok] + v["wall_s"][ok])
    for pid in np.unique(v["pid"][ok]):
        mine = ok & (v["pid"] == pid)
        order = np.argsort(v["start"][mine])
        s0, e0 = v["start"][mine][order], (v["start"] + v["wall_s"])[mine][order]
        gaps.append(float(np.sum(s0[1:] - e0[:-1])))
        tails.append(float(end_all - e0[-1]))
    print(f"{p + 'gaps_s':<22}{' '.join(f'{g:.2f}' for g in gaps)} (idle between members, per process)")
    print(f"{p + 'tail_s':<22}{' '.join(f'{t:.1f}' for t in tails)} (idle at the end, per process)")
    if main_cpu is not None:
        print(f"{p + 'main_cpu_s':<22}{main_cpu:.1f}", flush=True)


def _log(path: str, run: str, ens) -> None:
    """Append one JSON line per member of ``ens`` (its measurements) to ``path``."""
    stats = {k[len(STAT):]: a for k, a in ens.values.items() if k.startswith(STAT)}
    with open(path, "a", encoding="utf-8") as fh:
        for i in range(ens.design.members):
            fh.write(json.dumps({"run": run, "member": i, **{k: float(a[i]) for k, a in stats.items()}}) + "\n")


def _gc_state() -> dict:
    """Seconds this process spent in the cyclic garbage collector since the first call (a
    ``gc.callbacks`` clock installed once per process: this function travels to the workers by
    value, so the clock is found again by its marker, not by identity)."""
    for cb in gc.callbacks:
        state = getattr(cb, "bench_gc_state", None)
        if state is not None:
            return state
    state = {"s": 0.0, "t0": 0.0}

    def clock(phase, _info):
        if phase == "start":
            state["t0"] = time.perf_counter()
        else:
            state["s"] += time.perf_counter() - state["t0"]

    clock.bench_gc_state = state
    gc.callbacks.append(clock)
    return state


def _measured(member, values) -> dict:
    """``member(values)`` and, next to its headlines (``bench/...``), what it cost the process
    running it: wall and CPU seconds, minor page faults, GC seconds, resident memory at the end,
    the process id and the start time (epoch seconds)."""
    state = _gc_state()
    r0, gc0, s0 = resource.getrusage(resource.RUSAGE_SELF), state["s"], _thread_sched()
    start, t, cpu, own = time.time(), time.perf_counter(), time.process_time(), time.thread_time()
    out = dict(member(values))
    wall, cpu, own = time.perf_counter() - t, time.process_time() - cpu, time.thread_time() - own
    r1, s1 = resource.getrusage(resource.RUSAGE_SELF), _thread_sched()
    with open("/proc/self/statm", encoding="ascii") as fh:
        rss_mb = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    out.update({STAT + "wall_s": wall, STAT + "cpu_s": cpu, STAT + "minflt": r1.ru_minflt - r0.ru_minflt,
                STAT + "gc_s": state["s"] - gc0, STAT + "rss_mb": rss_mb, STAT + "pid": os.getpid(),
                STAT + "start": start, STAT + "thread_cpu_s": own, STAT + "sys_s": r1.ru_stime - r0.ru_stime,
                **{STAT + k: s1[k] - s0[k] for k in s0}})
    return out


def _thread_sched() -> dict:
    """This thread's scheduler counters (Linux ``/proc/thread-self/sched``; empty elsewhere):
    ``migrations`` (moves to another core), ``nvcsw`` and ``nivcsw`` (voluntary and involuntary
    context switches)."""
    keys = {"se.nr_migrations": "migrations", "nr_voluntary_switches": "nvcsw", "nr_involuntary_switches": "nivcsw"}
    out = {}
    try:
        with open("/proc/thread-self/sched", encoding="ascii") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                if name.strip() in keys:
                    out[keys[name.strip()]] = float(value)
    except OSError:
        pass
    return out


def _breakdown(member, values) -> None:
    """Profile one member (``values``: figure path -> value) and print the seconds of each stage."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    member(values)
    prof.disable()
    total = time.perf_counter() - t
    stats = pstats.Stats(prof).stats
    print(f"member_s              {total:.1f} (profiled)")
    counted = 0.0
    for label, path, func in STAGES:
        secs = sum(ct for (file, _, name), (_, _, _, ct, _) in stats.items()
                   if file.replace(os.sep, "/").endswith(path) and name == func)
        counted += secs
        print(f"  {label:<22}{secs:8.1f} s  {secs / total:5.1%}")
    print(f"  {'the rest':<22}{total - counted:8.1f} s  {(total - counted) / total:5.1%}", flush=True)


def _warm_every_worker(client, study) -> int:
    """Run one nominal member in every worker's process (a task pinned to each worker, so none is
    left cold whatever the scheduler would have chosen); returns how many workers ran one."""
    addresses = list(client.scheduler_info()["workers"])
    futures = [client.submit(_warm, study, a, workers=[a], allow_other_workers=False, pure=False) for a in addresses]
    return len(set(client.gather(futures)))


def _cores_of_process() -> str:
    """The cores the threads of this process may run on, e.g. ``"0"`` or ``"0,1"``."""
    cores = set()
    for tid in os.listdir("/proc/self/task"):
        cores |= os.sched_getaffinity(int(tid))
    return ",".join(map(str, sorted(cores)))


def _warm(study, address):
    study(None)
    return address


if __name__ == "__main__":
    main()
