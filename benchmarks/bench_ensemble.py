"""Uncertainty-ensemble throughput of the default assessment, in-process and on 2 Dask workers.

An ensemble of the default assessment's headlines (`headlines.assessment` of epaa-2018: coverage
per threat area, the cooperation options, the deterrent fractions per phase and battery), every
uncertain figure of its scenarios and catalogues drawn from its range (Latin hypercube, so the
member count is exactly ``--members``), members in chunks of one:

    members               members run
    figures               uncertain figures drawn
    warmup_s              one nominal member first (compiles the kernels, fills the caches the
                          members share; not timed in wall_s)
    wall_s                the ensemble in this process
    members_per_s         members / wall_s
    wall_2_workers_s      the same ensemble on a 2-worker LocalCluster (started, and each worker
                          warmed with one nominal member, before timing)
    speedup_2_workers     wall_s / wall_2_workers_s
    identical             the two runs gave bit-identical headlines
    load_avg_1min         the machine's load average at the end (other jobs take cores from the
                          two workers; the speedup drops accordingly)

Targets of issue 16 on a 2-core machine: 64 members at a 1-degree grid in under 10 minutes in
process, speedup_2_workers >= 1.7.

Run: PYTHONPATH=src python benchmarks/bench_ensemble.py [--members 64] [--grid-deg 1.0]
     [--no-cooperation] [--no-deterrent] [--skip-workers]
"""

from __future__ import annotations

import argparse
import functools
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--grid-deg", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cooperation", action="store_true")
    parser.add_argument("--no-deterrent", action="store_true")
    parser.add_argument("--skip-workers", action="store_true", help="only the in-process run")
    args = parser.parse_args()

    import numpy as np

    from shieldsim import ensemble, headlines, parallel
    from shieldsim import scenario as scen
    from shieldsim.study import COOPERATION_OPTIONS, DETERRENT_PHASES
    from shieldsim.uncertainty import study_figures

    coop, det = not args.no_cooperation, not args.no_deterrent
    study = functools.partial(headlines.assessment, scenario=scen.DEFAULT, grid_deg=args.grid_deg,
                              cooperation=coop, deterrent_phases=det)
    names = [scen.DEFAULT] + ([n for _, n in COOPERATION_OPTIONS] if coop else []) + \
        (["deterrent", *DETERRENT_PHASES] if det else [])
    figs = study_figures([scen.load(n) for n in dict.fromkeys(names)])
    des = ensemble.design(figs, args.members, args.seed, "lhs")
    member = ensemble.scenario_study(study)

    t = time.perf_counter()
    study(None)
    warmup = time.perf_counter() - t
    t = time.perf_counter()
    one = ensemble.run(member, figs, des, chunk_members=1)
    wall = time.perf_counter() - t
    print(f"members               {des.members}")
    print(f"figures               {len(figs)}")
    print(f"grid_deg              {args.grid_deg}")
    print(f"warmup_s              {warmup:.1f}")
    print(f"wall_s                {wall:.1f}")
    print(f"members_per_s         {des.members / wall:.4f}", flush=True)
    if not args.skip_workers:
        with parallel.executor(workers=2) as ex:
            ex.map(functools.partial(_warm, study), [0, 1])  # one nominal member per worker (best effort)
            t = time.perf_counter()
            two = ensemble.run(member, figs, des, executor=ex, chunk_members=1)
            wall2 = time.perf_counter() - t
        same = all(np.array_equal(one.values[k], two.values[k], equal_nan=True) for k in one.values)
        print(f"wall_2_workers_s      {wall2:.1f}")
        print(f"speedup_2_workers     {wall / wall2:.2f}")
        print(f"identical             {same}")
    print(f"load_avg_1min         {os.getloadavg()[0]:.1f}")


def _warm(study, _index):
    study(None)
    return 0


if __name__ == "__main__":
    main()
