"""Default coverage: the built-in 2018 scenario over its default grid, every threat area.

    python benchmarks/bench_coverage.py [--scenario epaa-2018] [--grid-deg 0.5] [--areas a,b]

Prints `aimpoint_launchpoint_pairs_per_s=<number>` (flights aimed, tracked, engaged and
reduced to the grid per second), `wall_s`, `peak_memory_mb` (resident set high-water mark),
and, as the in-run baseline, `single_chunk_pairs_per_s` from one chunk of the same pipeline so
the ratio shows what the batching costs or gains.
"""

import argparse
import resource
import time

from shieldsim import scenario as scen
from shieldsim import study


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="epaa-2018")
    ap.add_argument("--grid-deg", type=float, default=None)
    ap.add_argument("--areas", default=None)
    args = ap.parse_args()
    arch = study.Architecture.from_scenario(scen.load(args.scenario))
    areas = args.areas.split(",") if args.areas else list(arch.scenario.launch_areas)
    # warm-up: compile or load every kernel and fill the reach tables on a coarse grid
    study.coverage(arch, areas, grid_deg=5.0)
    t0 = time.perf_counter()
    small = study.footprint(arch, areas[0], grid_deg=2.0)
    single = small.attrs["flights"] / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    result = study.coverage(arch, areas, grid_deg=args.grid_deg)
    wall = time.perf_counter() - t0
    flights = sum(result.footprints[a].attrs["flights"] for a in areas)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scenario={arch.name} grid_deg={result.footprints[areas[0]].attrs['grid_deg']} areas={','.join(areas)}")
    print(f"pairs={flights} wall_s={wall:.1f}")
    print(f"population_protected={result.as_dict()['population_protected']:.0f}")
    print(f"single_chunk_pairs_per_s={single:.1f}")
    print(f"aimpoint_launchpoint_pairs_per_s={flights / wall:.1f}")
    print(f"ratio_vs_single_chunk={flights / wall / single:.2f}")
    print(f"peak_memory_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
