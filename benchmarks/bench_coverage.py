"""Default coverage, fast path against the exact reference in the same run.

    python benchmarks/bench_coverage.py [--scenario epaa-2018] [--grid-deg 0.5] [--areas a,b]
                                        [--repeat 3] [--no-exact] [--spare-threads N]

Runs `study.coverage` with ``method="fast"`` (best of ``--repeat``) and then once with
``method="exact"`` (every flight aimed by Newton, every sample of every engagement solved) on
the same cells, and prints:

* ``wall_s``: best fast wall time; ``aimpoint_launchpoint_pairs_per_s``: flights aimed, tracked,
  engaged and reduced to the grid per second of it; ``peak_memory_mb``: resident-set high-water
  mark after the fast runs;
* ``exact_wall_s`` and ``ratio_vs_exact`` (exact wall time / fast wall time, same machine, same
  run: the ratio holds when the machine is busy, the absolute times do not);
* ``cells_differing``/``cells_differing_fraction``: cells whose threatened or defended state
  differs between the paths (fraction of threatened cells), ``population_defended_rel_diff``.

A warm-up call on a 5-degree grid compiles or loads every kernel and fills the missile reach
tables. The interceptor arrival tables (`arrival_table`) are built by the first fast run (its
batches are large enough), so ``runs_s`` lists every run and ``first_run_s`` is the one that
paid for them, as a fresh ``shieldsim coverage`` process does; ``arrival_tables_s`` is the time
to build them alone.

What the timed runs hold: the whole `study.coverage` call (land cells, reach of every launch
point, aiming, radar, engagement, the grid and the population); no result is kept from one run
to the next (the in-process reach and arrival tables, and the land cells and reach masks of the
grid, `study.footprint_batches`, are inputs, not results, and the disk store holds only
per-process inputs). ``boost_kernel`` names the boost kernel they used:
``lanes`` (`boost_kernel.fly_boosts`, `_boost_lanes`) once a previous run (a cold `shieldsim
assess`'s compile helper) has put it in Numba's cache, else ``scalar``, ~0.7 CPU s slower a
coverage: compare figures only with the same kernel, or pass ``--lanes`` to compile it first
(~12 CPU s once).
"""

import argparse
import resource
import time

from shieldsim import arrival_table
from shieldsim import scenario as scen
from shieldsim import study
from shieldsim.earth import to_ecef
from shieldsim.interceptor import ellipsoid_of


def table_build_seconds(arch) -> float:
    """Seconds to build the arrival tables of the architecture's batteries from scratch."""
    earth, models = arch.models.earth, arch.models
    omega = earth.rotation_rate if models.rotation else 0.0
    t0 = time.perf_counter()
    for b in arch.batteries:
        arrival_table.build(to_ecef(b.lat, b.lon, 0.0, earth), b.interceptor.params(), earth.gm, omega,
                            ellipsoid_of(earth))
    return time.perf_counter() - t0


def boost_kernel_used() -> str:
    """Which boost kernel the coverage runs flew their boosts with (`boost_kernel.batch_kernel`)."""
    from shieldsim import boost_kernel

    return "lanes" if boost_kernel.batch_kernel(False) is boost_kernel.fly_boosts else "scalar"


def differing(a, b, areas) -> tuple[int, int]:
    """(cells whose threatened or defended state differs in some area, threatened cells)."""
    diff = threatened = 0
    for area in areas:
        fa, fb = a.footprints[area], b.footprints[area]
        diff += int(((fa.threatened != fb.threatened) | (fa.defended != fb.defended)).sum())
        threatened += int(fa.threatened.sum())
    return diff, threatened


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="epaa-2018")
    ap.add_argument("--grid-deg", type=float, default=None)
    ap.add_argument("--areas", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-exact", action="store_true", help="skip the exact reference run")
    ap.add_argument("--spare-threads", type=int, default=None,
                    help="parallel.SPARE_BATCH_THREADS for the runs (default: as set)")
    ap.add_argument("--lanes", action="store_true", help="compile the boost lanes kernel first if not cached")
    args = ap.parse_args()
    if args.spare_threads is not None:
        from shieldsim import parallel

        parallel.SPARE_BATCH_THREADS = args.spare_threads
    if args.lanes:
        from numba import types

        from shieldsim import boost_kernel

        scalars = {"i": types.int64, "f": types.float64}
        boost_kernel._boost_lanes.compile(tuple(types.Array(scalars[d[0]], int(d[1]), "C")
                                                for d in boost_kernel.LANES_SIGNATURE.split()))
    arch = study.Architecture.from_scenario(scen.load(args.scenario))
    areas = args.areas.split(",") if args.areas else list(arch.scenario.launch_areas)
    for method in ("fast", "exact"):  # warm-up: compile/load kernels, fill reach and arrival tables
        study.coverage(arch, areas, grid_deg=5.0, method=method)
    tables = table_build_seconds(arch)
    walls = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        fast = study.coverage(arch, areas, grid_deg=args.grid_deg, method="fast")
        walls.append(time.perf_counter() - t0)
    wall = min(walls)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flights = sum(fast.footprints[a].attrs["flights"] for a in areas)
    print(f"scenario={arch.name} grid_deg={fast.footprints[areas[0]].attrs['grid_deg']} areas={','.join(areas)}")
    print(f"pairs={flights} wall_s={wall:.2f} first_run_s={walls[0]:.2f} runs_s={','.join(f'{w:.2f}' for w in walls)}")
    print(f"aimpoint_launchpoint_pairs_per_s={flights / wall:.1f}")
    print(f"peak_memory_mb={peak_mb:.0f}")
    print(f"arrival_tables_s={tables:.2f}")
    print(f"boost_kernel={boost_kernel_used()}")
    pop_fast = fast.as_dict()["population_protected"]
    print(f"population_protected={pop_fast:.0f}")
    if args.no_exact:
        return
    t0 = time.perf_counter()
    exact = study.coverage(arch, areas, grid_deg=args.grid_deg, method="exact")
    exact_wall = time.perf_counter() - t0
    pop_exact = exact.as_dict()["population_protected"]
    diff, threatened = differing(fast, exact, areas)
    print(f"exact_wall_s={exact_wall:.2f}")
    print(f"ratio_vs_exact={exact_wall / wall:.2f}")
    print(f"cells_differing={diff} cells_differing_fraction={diff / max(threatened, 1):.5f}")
    print(f"population_protected_exact={pop_exact:.0f} "
          f"population_defended_rel_diff={abs(pop_fast - pop_exact) / max(pop_exact, 1.0):.2e}")


if __name__ == "__main__":
    main()
