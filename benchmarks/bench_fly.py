"""Batch `fly` throughput against a per-trajectory SciPy solve_ivp loop, measured in one run.

    python benchmarks/bench_fly.py [--n 100000] [--subsample 100] [--earth wgs84]

Prints `trajectories_per_s=<number>` for the batch (vacuum, rotation on; wall clock, all Numba
threads), `trajectories_per_cpu_s=<number>` (flights per second of process CPU time: on a
shared machine, where the wall clock depends on the other jobs, the rate one quiet core would
give; times the cores it estimates the quiet rate) and `speedup_vs_solve_ivp=<number>`:
per-trajectory time of a DOP853 loop (rtol 1e-10, which lands within ~1 m of the exact conic,
as `fly` does) divided by that of the batch.

Also `cpu_ns_per_trajectory_reused_output=<number>`: the compiled kernel alone writing into an
output array it has written before (best of three), so the difference from
`cpu_ns_per_trajectory` is what the call costs beyond the flights' arithmetic: on this machine
mostly the first touch of the freshly allocated result array (8 doubles a flight).
"""

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from shieldsim.earth import earth_model  # first: shieldsim sets Numba's cache folder before Numba loads
from shieldsim.trajectory import Models, burnout_state, fly
from shieldsim.trajectory.kernels import _fly_vacuum_geodetic_batch

import numba  # after shieldsim, see above


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--subsample", type=int, default=100)
    ap.add_argument("--earth", default="wgs84")
    args = ap.parse_args()
    earth = earth_model(args.earth)
    models = Models(earth, rotation=True, drag=False)
    rng = np.random.default_rng(0)
    n = args.n
    states = (np.radians(rng.uniform(-60, 60, n)), np.radians(rng.uniform(-180, 180, n)), rng.uniform(50e3, 300e3, n),
              rng.uniform(1000, 7000, n), np.radians(rng.uniform(10, 70, n)), np.radians(rng.uniform(0, 360, n)))
    fly(*(s[:10] for s in states), models)  # compile / load cache
    batch = cpu = np.inf
    for _ in range(3):  # best of three: the machine may be shared
        t0, c0 = time.perf_counter(), time.process_time()
        f = fly(*states, models)
        batch = min(batch, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    rate = n / batch
    out = np.empty((n, 8))
    arrays = [np.ascontiguousarray(x) for x in states]
    kernel_args = (earth.gm, earth.equatorial_radius, earth.flattening, earth.rotation_rate, out)
    _fly_vacuum_geodetic_batch(*arrays, *kernel_args)  # first touch of out
    cpu_reused = np.inf
    for _ in range(3):
        c0 = time.process_time()
        _fly_vacuum_geodetic_batch(*arrays, *kernel_args)
        cpu_reused = min(cpu_reused, time.process_time() - c0)

    gm, om = earth.gm, earth.rotation_rate
    a, b = earth.equatorial_radius, earth.polar_radius

    def rhs(t, y):
        r = y[:3]
        return np.r_[y[3:], -gm * r / np.linalg.norm(r) ** 3]

    def hit(t, y):
        r = y[:3]
        rn = np.linalg.norm(r)
        s2 = (r[2] / rn) ** 2
        return rn - a * b / np.sqrt(b * b * (1 - s2) + a * a * s2)

    hit.terminal, hit.direction = True, -1
    k = args.subsample
    r0, v0 = burnout_state(*(s[:k] for s in states), earth)
    v0 = v0 + np.cross([0, 0, om], r0)
    err = []
    t0 = time.perf_counter()
    for i in range(k):
        sol = solve_ivp(rhs, (0, 2e4), np.r_[r0[i], v0[i]], events=hit, rtol=1e-10, atol=1e-3, method="DOP853")
        t_hit = sol.t_events[0][0]
        err.append(abs(t_hit - f.flight_time[i]))
    loop = (time.perf_counter() - t0) / k
    print(f"n={n} earth={earth.name} rotation=on drag=off batch_s={batch:.3f}")
    print(f"solve_ivp_per_trajectory_s={loop:.5f} max_time_difference_s={max(err):.2e}")
    print(f"trajectories_per_s={rate:.0f} threads={numba.get_num_threads()}")
    print(f"trajectories_per_cpu_s={n / cpu:.0f} cpu_ns_per_trajectory={cpu / n * 1e9:.0f}")
    print(f"cpu_ns_per_trajectory_reused_output={cpu_reused / n * 1e9:.0f}")
    print(f"speedup_vs_solve_ivp={loop * rate:.0f}")


if __name__ == "__main__":
    main()
