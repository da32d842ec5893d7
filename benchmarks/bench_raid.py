"""Raid Monte Carlo throughput and its scaling on a local Dask cluster.

A synthetic 20-threat raid against 4 batteries, shoot-look-shoot, 10,000 trials:

    trials_per_s          in-process throughput (compiled kernel, best of 10)
    speedup_2_workers     time on a 1-worker LocalCluster / time on a 2-worker LocalCluster,
                          same job cut into two chunks of 5,000 trials (by default a run this
                          small is one chunk: 30 ms of work is not worth sharing), clusters
                          started and warmed up before timing, best of 30 each
    dask_roundtrip_s      best time of two trivial tasks on the 2-worker cluster: the fixed cost
                          that a 10,000-trial job (tens of ms of work) cannot hide
    ceiling_2_workers     the same ratio for a stand-in job of the same shape whose chunks only
                          spin for the in-process time of one real chunk and return arrays of the
                          real result's size: the best speedup any job this size can get from the
                          cluster, whatever its kernel does
    speedup_2_workers_200k  the same ratio for 200,000 trials in the default chunks (eight), where
                          the fixed cost of a Dask round trip matters less
    load_avg_1min         the machine's load average at the end; with other jobs running the
                          two workers do not get two whole cores and the speedups drop

Run: /work/venv/bin/python benchmarks/bench_raid.py
"""

from __future__ import annotations

import os
import time
from functools import partial

import numpy as np


def problem(n=20, b=4, seed=3):
    from shieldsim.battle import Raid, WindowEngagement

    rng = np.random.default_rng(seed)
    le = rng.uniform(60, 240, (n, b))
    ll = le + rng.uniform(200, 500, (n, b))
    eng = WindowEngagement(le, ll, le + rng.uniform(120, 200, (n, b)), ll + rng.uniform(80, 150, (n, b)),
                           rng.random((n, b)) < 0.8, rng.uniform(0.5, 0.85, b), rng.integers(6, 14, b),
                           tuple(f"site{j}" for j in range(b)))
    raid = Raid("bench", np.sort(rng.uniform(0, 120, n)), ("area",) * n, tuple(f"aim{i % 5}" for i in range(n)),
                ("mrbm",) * n)
    return eng, raid


def spin_chunk(seconds, like, _index):
    """Busy-wait ``seconds``, then return zero arrays shaped like the dict ``like``."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    return {k: np.zeros_like(v) for k, v in like.items()}


def best_time(run, repeats=10):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    from shieldsim import parallel
    from shieldsim.battle import simulate

    eng, raid = problem()
    trials, seed = 10_000, 1

    def job(ex=None, n=trials):
        return simulate(eng, raid, "shoot-look-shoot", n, seed, ex, chunk_trials=5_000 if n == trials else None)

    job()  # compile / load the cached kernel
    t_in = best_time(job)
    print(f"trials_per_s={trials / t_in:.0f}")
    result = job()
    size = result.chunks["chunk_trials"]
    like = {"leakers": result.leakers[:size], "expended": result.expended[:size], "threat_leaks": result.threat_leaks}
    spin = partial(spin_chunk, t_in / result.chunks["chunks"], like)
    spin_items = range(result.chunks["chunks"])

    times = {}
    for workers in (1, 2):
        with parallel.executor(workers=workers) as ex:
            job(ex)
            job(ex, 200_000)  # warm up every worker
            ex.map(spin, spin_items)
            times[workers] = (best_time(lambda: job(ex), 30), best_time(lambda: job(ex, 200_000), 5),
                              best_time(lambda: ex.map(spin, spin_items), 30))
            if workers == 2:
                roundtrip = best_time(lambda: ex.map(abs, [-1, -2]))
    print(f"time_1_worker_s={times[1][0]:.4f}")
    print(f"time_2_workers_s={times[2][0]:.4f}")
    print(f"dask_roundtrip_s={roundtrip:.4f}")
    print(f"speedup_2_workers={times[1][0] / times[2][0]:.2f}")
    print(f"speedup_2_workers_200k={times[1][1] / times[2][1]:.2f}")
    print(f"ceiling_2_workers={times[1][2] / times[2][2]:.2f}")
    # other processes on the machine take cores from the workers; record how busy it was
    print(f"load_avg_1min={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
