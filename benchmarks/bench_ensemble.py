"""Uncertainty-ensemble throughput of the default assessment, in-process and on 2 Dask workers.

An ensemble of the default assessment's headlines (`headlines.assessment` of epaa-2018: coverage
per threat area, the cooperation options, the deterrent fractions per phase and battery), every
uncertain figure of its scenarios and catalogues drawn from its range (Latin hypercube by
default, so the member count is exactly ``--members``), members in chunks of one:

    members               members run
    figures               uncertain figures drawn
    warmup_s              one nominal member first (compiles the kernels, fills the caches the
                          members share: population grids, land masks, catalogues; not timed)
    breakdown             (--breakdown) where one member's time goes: seconds in reach tables,
                          aiming, detection, engagement (arrival tables included), applying the
                          member's figures to the scenarios, and the rest (cProfile; the stages
                          do not overlap)
    wall_s                the ensemble in this process, Numba on one thread (one worker's worth
                          of the machine, the baseline of the speedup)
    member_s              wall_s / members (issue 16's target: 64 members in 10 minutes, ~9 s)
    cpu_s_per_member      CPU seconds of this process per member (the figure to compare across
                          runs on a shared machine)
    members_per_s         members / wall_s
    wall_64_members_s     wall_s scaled to the issue's 64 members (when fewer were run)
    wall_2_workers_s      the same ensemble on a 2-worker LocalCluster (one process and one
                          Numba thread per worker; started, and each worker warmed with one
                          nominal member run in that worker's own process -- one task pinned to
                          each worker -- before timing)
    speedup_2_workers     wall_s / wall_2_workers_s
    identical             the two runs gave bit-identical headlines
    load_avg_1min         the machine's load average at the end (other jobs take cores from the
                          two workers; the speedup drops accordingly)

Targets of issue 16 on a 2-core machine: 64 members at a 1-degree grid in under 10 minutes in
process, speedup_2_workers >= 1.7.

Run: PYTHONPATH=src python benchmarks/bench_ensemble.py [--members 64] [--grid-deg 1.0]
     [--method lhs|sobol] [--no-cooperation] [--no-deterrent] [--skip-workers] [--breakdown]
     [--save FILE]  (the headlines of every member, to compare two versions of the code)
"""

from __future__ import annotations

import argparse
import functools
import os
import time

STAGES = (  # (label, module path suffix, function); none of them calls another
    ("reach tables", "study/architecture.py", "_fill"),
    ("aiming", "trajectory/aiming.py", "aim"),
    ("detection", "sensors/detection.py", "detect"),
    ("engagement", "engagement.py", "engage"),
    ("applying the figures", "assumptions.py", "apply"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--grid-deg", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", default="lhs", choices=("lhs", "sobol", "morris", "auto"))
    parser.add_argument("--no-cooperation", action="store_true")
    parser.add_argument("--no-deterrent", action="store_true")
    parser.add_argument("--skip-workers", action="store_true", help="only the in-process run")
    parser.add_argument("--breakdown", action="store_true", help="profile one member first: where its time goes")
    parser.add_argument("--save", default=None, help="write the in-process run's headlines (JSON) here, to compare "
                                                     "code versions member by member")
    args = parser.parse_args()

    import numba
    import numpy as np

    from shieldsim import ensemble, headlines, parallel
    from shieldsim import scenario as scen
    from shieldsim.study import COOPERATION_OPTIONS, DETERRENT_PHASES
    from shieldsim.uncertainty import member_overrides, study_figures

    numba.set_num_threads(1)  # the baseline is one worker: one process, one Numba thread
    coop, det = not args.no_cooperation, not args.no_deterrent
    study = functools.partial(headlines.assessment, scenario=scen.DEFAULT, grid_deg=args.grid_deg,
                              cooperation=coop, deterrent_phases=det)
    names = [scen.DEFAULT] + ([n for _, n in COOPERATION_OPTIONS] if coop else []) + \
        (["deterrent", *DETERRENT_PHASES] if det else [])
    figs = study_figures([scen.load(n) for n in dict.fromkeys(names)])
    des = ensemble.design(figs, args.members, args.seed, args.method)
    member = ensemble.scenario_study(study)

    t = time.perf_counter()
    study(None)
    warmup = time.perf_counter() - t
    print(f"members               {des.members} ({des.method})")
    print(f"figures               {len(figs)}")
    print(f"grid_deg              {args.grid_deg}")
    print(f"warmup_s              {warmup:.1f}", flush=True)
    if args.breakdown:
        _breakdown(member, member_overrides(figs, np.full(len(figs), 0.37)))
    t, cpu = time.perf_counter(), time.process_time()
    one = ensemble.run(member, figs, des, chunk_members=1)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"wall_s                {wall:.1f}")
    print(f"member_s              {wall / des.members:.1f}")
    print(f"cpu_s_per_member      {cpu / des.members:.1f}")
    print(f"members_per_s         {des.members / wall:.4f}")
    if args.save:
        import json

        with open(args.save, "w", encoding="utf-8") as fh:
            json.dump({k: [None if np.isnan(x) else float(x) for x in v] for k, v in one.values.items()}, fh)
    if des.members != 64:
        print(f"wall_64_members_s     {wall * 64 / des.members:.0f}")
    print(f"load_avg_1min         {os.getloadavg()[0]:.1f}", flush=True)
    if not args.skip_workers:
        with parallel.executor(workers=2) as ex:
            warmed = _warm_every_worker(ex.client, study)
            print(f"workers_warmed        {warmed}", flush=True)
            t = time.perf_counter()
            two = ensemble.run(member, figs, des, executor=ex, chunk_members=1)
            wall2 = time.perf_counter() - t
        same = all(np.array_equal(one.values[k], two.values[k], equal_nan=True) for k in one.values)
        print(f"wall_2_workers_s      {wall2:.1f}")
        print(f"speedup_2_workers     {wall / wall2:.2f}")
        print(f"identical             {same}")
        print(f"load_avg_1min         {os.getloadavg()[0]:.1f}")


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


def _warm(study, address):
    study(None)
    return address


if __name__ == "__main__":
    main()
