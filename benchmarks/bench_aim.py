"""Batch `trajectory.aim` throughput against aiming the same pairs one call at a time.

    python benchmarks/bench_aim.py [--n 10000] [--subsample 20] [--missile nodong] [--no-drag] [--max-fraction 0.8]
                                   [--repeat 1] [--fan] [--compare-start] [--count]

Launch points in both hemispheres, all headings, targets from 25 % to 80 % (--max-fraction) of
the class's published range (--fan: one launch point, 33N 53E, and a fan of targets between
headings 270 and 350 deg, as the coverage study aims); WGS84, rotating Earth, drag on (unless --no-drag). Prints
`aim_pairs_per_s=<number>` for the batch (whole flights sampled every 2 s, launch to impact),
`per_pair_loop_pairs_per_s=<number>` for one `aim` call per pair on a subsample,
`speedup_vs_per_pair_loop=<number>`, and `max_miss_m=<number>` over the batch. With --repeat k
the batch is timed k times and the best wall time kept (the machine is shared);
`batch_cpu_seconds` is the process CPU time of that best run (all threads).

--compare-start (with --fan --no-drag, as the coverage study aims): the same batch aimed also
with the family start turned off (`trajectory.aiming._family_newton` falls back to the start
from solved neighbours of v0.1-0.2), best of --repeat each, in the same run: prints
`family_cpu_s`, `neighbour_start_cpu_s`, their `family_cpu_ratio`, the Newton flights per pair
of each (`*_newton_flights_per_pair`, the final sampled flight not counted) and each one's
largest miss. Run with NUMBA_NUM_THREADS=1 for CPU seconds that hold on a shared machine.

--count: the batch aimed once more with counters: `boosts_per_pair` (boost integrations, the
returned flights' included) and `drag_flights_per_pair` (free flights flown with drag, sampled
or not), deterministic where the timings are not.
"""

import argparse
import time

import numpy as np

from shieldsim import missile
from shieldsim.earth import WGS84, geodesic_direct
from shieldsim.trajectory import Models, aim


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--subsample", type=int, default=20)
    ap.add_argument("--missile", default="nodong")
    ap.add_argument("--no-drag", action="store_true")
    ap.add_argument("--fan", action="store_true", help="one launch point, a fan of targets to the north-west")
    ap.add_argument("--repeat", type=int, default=1, help="time the batch this many times, keep the best")
    ap.add_argument("--compare-start", action="store_true",
                    help="also aim the batch without the family start (CPU seconds of both, same run)")
    ap.add_argument("--count", action="store_true", help="also count the boosts and drag flights a pair")
    ap.add_argument("--max-fraction", type=float, default=0.8,
                    help="farthest target as a fraction of the published range (westward reach is shorter)")
    args = ap.parse_args()
    cls = missile.get(args.missile)
    models = Models(WGS84, rotation=True, drag=not args.no_drag)
    rng = np.random.default_rng(0)
    n = args.n
    lat = np.radians(rng.uniform(-60, 60, n))
    lon = np.radians(rng.uniform(-180, 180, n))
    heading = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(0.25, args.max_fraction, n) * cls.published_range
    if args.fan:
        lat[:], lon[:] = np.radians(33.0), np.radians(53.0)
        heading = np.radians(rng.uniform(270, 350, n))
    tlat, tlon = geodesic_direct(lat, lon, heading, dist, WGS84)
    aim(lat[:4], lon[:4], tlat[:4], tlon[:4], cls, models)  # compile / calibrate / load caches

    batch, cpu = float("inf"), float("inf")
    for _ in range(max(args.repeat, 1)):
        t0, c0 = time.perf_counter(), time.process_time()
        a = aim(lat, lon, tlat, tlon, cls, models)
        wall = time.perf_counter() - t0
        if wall < batch:
            batch, cpu = wall, time.process_time() - c0

    k = min(args.subsample, n)
    t0 = time.perf_counter()
    for i in range(k):
        aim(lat[i], lon[i], tlat[i], tlon[i], cls, models)
    loop = (time.perf_counter() - t0) / k

    print(f"missile={cls.name}")
    print(f"models={models.as_dict()}")
    print(f"layout={'fan' if args.fan else 'random'}")
    print(f"pairs={n}")
    print(f"range_km={dist.min() / 1e3:.0f}-{dist.max() / 1e3:.0f}")
    print(f"batch_seconds={batch:.2f}")
    print(f"batch_cpu_seconds={cpu:.2f}")
    print(f"aim_pairs_per_s={n / batch:.1f}")
    print(f"per_pair_loop_pairs_per_s={1.0 / loop:.2f}")
    print(f"speedup_vs_per_pair_loop={loop * n / batch:.1f}")
    print(f"max_miss_m={np.max(a.miss):.1f}")
    print(f"median_miss_m={np.median(a.miss):.1f}")
    if args.compare_start:
        compare_start(lat, lon, tlat, tlon, cls, models, max(args.repeat, 1))
    if args.count:
        count_flights(lat, lon, tlat, tlon, cls, models)


def count_flights(lat, lon, tlat, tlon, cls, models) -> None:
    """Boosts and free flights with drag a pair of one more `aim` of the batch (counted at
    `boosted.run_boost`, `flight._fly_batch` and `flight._fly_into_rows`, the only callers of the
    kernels in aiming)."""
    from shieldsim.trajectory import boosted, flight

    counts = {"boosts": 0, "drag_flights": 0}
    real_boost, real_fly, real_rows = boosted.run_boost, flight._fly_batch, flight._fly_into_rows

    def boost(missile, acc, lat_, *a, **k):
        counts["boosts"] += np.size(lat_)
        return real_boost(missile, acc, lat_, *a, **k)

    def counted(real):
        def fly(r0, v0, beta, params, *a):
            counts["drag_flights"] += r0.shape[0] if params[flight.F_DRAG] > 0 else 0
            return real(r0, v0, beta, params, *a)
        return fly

    boosted.run_boost, flight._fly_batch, flight._fly_into_rows = boost, counted(real_fly), counted(real_rows)
    try:
        aim(lat, lon, tlat, tlon, cls, models)
    finally:
        boosted.run_boost, flight._fly_batch, flight._fly_into_rows = real_boost, real_fly, real_rows
    for name, value in counts.items():
        print(f"{name}_per_pair={value / lat.size:.3f}")


def compare_start(lat, lon, tlat, tlon, cls, models, repeat: int) -> None:
    """CPU seconds (best of ``repeat``) and Newton flights per pair of aiming the batch with the
    family start and with the start from solved neighbours alone, one after the other."""
    from shieldsim.trajectory import aiming

    rows = [0]
    real_evaluate, real_min = aiming._evaluate, aiming._FAMILY_MIN

    def counting(missile, acc, lat_, *a, **k):
        rows[0] += len(lat_)
        return real_evaluate(missile, acc, lat_, *a, **k)

    aiming._evaluate = counting
    out = {}
    try:
        for name, family_min in (("family", real_min), ("neighbour_start", 10 ** 12)):
            aiming._FAMILY_MIN = family_min
            best = float("inf")
            for _ in range(repeat):
                rows[0] = 0
                c0 = time.process_time()
                a = aim(lat, lon, tlat, tlon, cls, models, unreachable="skip")
                best = min(best, time.process_time() - c0)
            out[name] = (best, rows[0] / lat.size, float(np.max(a.miss)))
    finally:
        aiming._evaluate, aiming._FAMILY_MIN = real_evaluate, real_min
    for name, (cpu_s, flights, miss) in out.items():
        print(f"{name}_cpu_s={cpu_s:.2f} {name}_newton_flights_per_pair={flights:.2f} {name}_max_miss_m={miss:.1f}")
    print(f"family_cpu_ratio={out['neighbour_start'][0] / out['family'][0]:.2f}")


if __name__ == "__main__":
    main()
