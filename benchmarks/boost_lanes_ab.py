"""Coverage with the scalar boost kernel and with the boost lanes, alternated in one process.

    NUMBA_NUM_THREADS=1 python benchmarks/boost_lanes_ab.py [--options] [--rounds 3]

Compiles (or loads) `boost_kernel._boost_lanes`, warms both paths (a 5-degree and a full coverage
each), then runs the default coverage (``--options``: the three cooperation options together, as
`shieldsim assess` does) ``--rounds`` times with `missile.batch_kernel` switched between
`_boost_batch` (what a run gets while the lanes are not cached) and `boost_kernel.batch_kernel`
(the lanes). Prints per run the process CPU and wall of the coverage, the CPU inside
`missile.run_boost`, and the SHA-1 of every footprint array (the two kernels must give the same
digest); at the end the best of each and the ratio scalar / lanes of the CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

import numpy as np

import shieldsim.missile as M
from shieldsim import boost_kernel as K
from shieldsim import scenario as scen
from shieldsim import study

FIELDS = ("threatened", "defended", "shots", "kill_probability", "intercept_alt_km", "engaging")


def digest(results, areas) -> str:
    h = hashlib.sha1()
    for cov in results:
        for area in areas:
            for name in FIELDS:
                h.update(np.ascontiguousarray(getattr(cov.footprints[area], name)).tobytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--options", action="store_true", help="the three cooperation options together")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from numba import types

    scalars = {"i": types.int64, "f": types.float64}
    K._boost_lanes.compile(tuple(types.Array(scalars[d[0]], int(d[1]), "C") for d in K.LANES_SIGNATURE.split()))
    kernels = {"scalar": lambda drag: K._boost_batch, "lanes": K.batch_kernel}
    original, boost_cpu = M.run_boost, [0.0]

    def timed(*a, **k):
        c0 = time.process_time()
        out = original(*a, **k)
        boost_cpu[0] += time.process_time() - c0
        return out

    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("shieldsim") and getattr(mod, "run_boost", None) is original:
            mod.run_boost = timed
    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    archs = [arch]
    if args.options:
        archs += [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS
                  if n != arch.name]
    areas = list(arch.scenario.launch_areas)
    for choose in kernels.values():
        M.batch_kernel = choose
        study.coverage_many(archs, areas, grid_deg=5.0)
        study.coverage_many(archs, areas)
    best = dict.fromkeys(kernels, (np.inf, np.inf, np.inf))
    for _ in range(max(1, args.rounds)):
        for name, choose in kernels.items():
            M.batch_kernel, boost_cpu[0] = choose, 0.0
            c0, w0 = time.process_time(), time.perf_counter()
            out = study.coverage_many(archs, areas)
            run = (time.process_time() - c0, time.perf_counter() - w0, boost_cpu[0])
            best[name] = tuple(min(a, b) for a, b in zip(best[name], run))
            print(f"{name} cpu_s={run[0]:.3f} wall_s={run[1]:.3f} boost_cpu_s={run[2]:.3f} sha1={digest(out, areas)}",
                  flush=True)
    for name, (cpu, wall, boost) in best.items():
        print(f"best {name} cpu_s={cpu:.3f} wall_s={wall:.3f} boost_cpu_s={boost:.3f}")
    print(f"ratio_cpu_scalar_over_lanes={best['scalar'][0] / best['lanes'][0]:.3f} "
          f"ratio_boost_cpu={best['scalar'][2] / best['lanes'][2]:.2f}")


if __name__ == "__main__":
    main()
