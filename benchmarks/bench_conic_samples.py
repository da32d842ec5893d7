"""Conic samples of whole vacuum flights: the stepped kernel against Kepler's equation solved
afresh at every sample, measured in one run.

    NUMBA_NUM_THREADS=1 python benchmarks/bench_conic_samples.py [--n 4000] [--repeat 3]

Flies ``--n`` random missile-like free flights (burnout 100-250 km up, 3-6.5 km/s, climbing at
20-45 degrees, as the default coverage's flights; `fly_states` gives their impact times), then
samples each every 2 s from burnout to impact into one (N, M, 3) array of Earth-fixed positions
and one of velocities, alternately with

* ``stepped``: `trajectory.conic_samples._sample_boosted` (the coverage's kernel), and
* ``afresh``: the same flights sampled by `trajectory.kernels._sample_conic_span` (the kernel's
  algorithm before: Kepler's equation by Newton's method with the library's sine and cosine at
  every iteration), compiled here in the same loop around it.

Prints the CPU seconds of each (best of ``--repeat``, the output arrays written before),
``speedup`` (afresh / stepped), ``ns_per_sample`` of each and the largest differences between
the two (``max_dpos_m``, ``max_dvel_ms``).
"""

import argparse
import math
import time

import numpy as np

from shieldsim.earth import WGS84, inertial_velocity  # first: shieldsim sets Numba's cache folder
from shieldsim.trajectory import Models, burnout_state, fly_states
from shieldsim.trajectory import kernels as K
from shieldsim.trajectory.conic_samples import _sample_boosted

from numba import njit  # after shieldsim (see above)


@njit(cache=False)
def _afresh(r0, v0, t_impact, gm, omega, sample_dt, pos, vel):
    """The samples as before the stepped kernel: `_sample_conic_span` from time 0, NaN after."""
    for i in range(pos.shape[0]):
        k = K._sample_conic_span(r0[i], v0[i], 0.0, 0, t_impact[i], gm, omega, sample_dt, pos[i], vel[i])
        for c in range(k, pos.shape[1]):
            for j in range(3):
                pos[i, c, j] = math.nan
                vel[i, c, j] = math.nan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n, dt = args.n, 2.0
    rng = np.random.default_rng(0)
    models = Models(WGS84, rotation=True, drag=False)
    p, v = burnout_state(np.radians(rng.uniform(30, 60, n)), np.radians(rng.uniform(-10, 60, n)),
                         rng.uniform(100e3, 250e3, n), rng.uniform(3000, 6500, n),
                         np.radians(rng.uniform(20, 45, n)), np.radians(rng.uniform(0, 360, n)), WGS84)
    f = fly_states(p, v, models)
    r0, v0 = np.ascontiguousarray(p), np.ascontiguousarray(inertial_velocity(p, v, WGS84.rotation_rate))
    t_imp = np.ascontiguousarray(f.flight_time)
    m = int(np.ceil(t_imp.max() / dt)) + 1
    samples = int(np.sum(np.ceil(t_imp / dt)))
    j0 = np.zeros(n, dtype=np.int64)
    empty = np.zeros((n, 0, 3))
    out = {name: (np.empty((n, m, 3)), np.empty((n, m, 3))) for name in ("stepped", "afresh")}
    runs = {
        "stepped": lambda pos, vel: _sample_boosted(empty, empty, j0, r0, v0, t_imp, WGS84.gm, WGS84.rotation_rate,
                                                    dt, pos, vel),
        "afresh": lambda pos, vel: _afresh(r0, v0, t_imp, WGS84.gm, WGS84.rotation_rate, dt, pos, vel),
    }
    best = dict.fromkeys(runs, math.inf)
    for _ in range(args.repeat + 1):  # the first pass compiles and touches the arrays
        for name, run in runs.items():
            t0 = time.process_time()
            run(*out[name])
            best[name] = min(best[name], time.process_time() - t0)
    (a, b), (c, d) = out["stepped"], out["afresh"]
    assert np.array_equal(np.isnan(a), np.isnan(c))
    print(f"flights={n} samples={samples}")
    for name in runs:
        print(f"{name}_cpu_s={best[name]:.4f} {name}_ns_per_sample={best[name] / samples * 1e9:.1f}")
    print(f"speedup={best['afresh'] / best['stepped']:.2f}")
    print(f"max_dpos_m={np.nanmax(np.abs(a - c)):.3g} max_dvel_ms={np.nanmax(np.abs(b - d)):.3g}")


if __name__ == "__main__":
    main()
