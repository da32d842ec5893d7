"""Benchmark: the drag-flight kernels of a drag-on `aim` (the 2,000 pairs of `bench_aim.py`),
captured once and replayed, so old and new code can be timed on the very same inputs.

    python benchmarks/drag_replay.py capture FILE           # every `_fly_into_rows` and drag-on
        # `_fly_batch` call of one `aim` of bench_aim's pairs (nodong, WGS84, rotating, drag),
        # pickled to FILE with its inputs (~200 MB)
    python benchmarks/drag_replay.py replay FILE [ROUNDS]   # this checkout's kernels on them

``replay`` prints ``sha1`` of every output (samples, rows, results: equal on two checkouts means
the flights are the same bit for bit), then ``rows_us_per_flight`` and ``batch_us_per_flight``
(CPU microseconds a flight of each kernel, one value a round, then the least). Run it with
NUMBA_NUM_THREADS=1 and compare checkouts back to back, each with its own XDG_CACHE_HOME.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time

import numpy as np

import shieldsim  # noqa: F401 (chooses the kernel cache before Numba is imported)


def _bench_pairs(n: int = 2000):
    """bench_aim.py's random layout: launch and target latitudes and longitudes (rad)."""
    from shieldsim import missile
    from shieldsim.earth import WGS84, geodesic_direct

    cls = missile.get("nodong")
    rng = np.random.default_rng(0)
    lat = np.radians(rng.uniform(-60, 60, n))
    lon = np.radians(rng.uniform(-180, 180, n))
    heading = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(0.25, 0.8, n) * cls.published_range
    tlat, tlon = geodesic_direct(lat, lon, heading, dist, WGS84)
    return cls, lat, lon, tlat, tlon


def capture(path: str) -> None:
    from shieldsim.earth import WGS84
    from shieldsim.trajectory import Models, aim, flight

    cls, lat, lon, tlat, tlon = _bench_pairs()
    calls = []
    real_rows, real_batch = flight._fly_into_rows, flight._fly_batch

    def recorded(kind, real):
        def call(*args):
            if kind == "rows" or args[3][flight.F_DRAG] > 0:
                calls.append((kind, [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]))
            return real(*args)
        return call

    flight._fly_into_rows, flight._fly_batch = recorded("rows", real_rows), recorded("batch", real_batch)
    try:
        aim(lat, lon, tlat, tlon, cls, Models(WGS84, rotation=True, drag=True))
    finally:
        flight._fly_into_rows, flight._fly_batch = real_rows, real_batch
    with open(path, "wb") as f:
        pickle.dump(calls, f)
    print(f"calls={len(calls)} flights={sum(a[0].shape[0] for _, a in calls)}")


def _copies(args):
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def replay(path: str, rounds: int) -> None:
    from shieldsim.trajectory import kernels

    with open(path, "rb") as f:
        calls = pickle.load(f)
    kernel = {"rows": kernels._fly_into_rows, "batch": kernels._fly_batch}
    digest = hashlib.sha1()
    for kind, args in calls:
        args = _copies(args)
        kernel[kind](*args)
        for out in args[-3:]:  # out_pos, out_vel, res
            digest.update(out.tobytes())
    print(f"sha1={digest.hexdigest()}")
    flights = {k: sum(a[0].shape[0] for kind, a in calls if kind == k) for k in kernel}
    cpu = {k: [] for k in kernel}
    for _ in range(rounds):
        spent = dict.fromkeys(kernel, 0.0)
        for kind, args in calls:
            args = _copies(args)
            c0 = time.process_time()
            kernel[kind](*args)
            spent[kind] += time.process_time() - c0
        for k in kernel:
            cpu[k].append(spent[k])
    for k in kernel:
        if flights[k]:
            per = [1e6 * c / flights[k] for c in cpu[k]]
            print(f"{k}_flights={flights[k]} {k}_us_per_flight=" + " ".join(f"{v:.1f}" for v in per)
                  + f" least={min(per):.1f}")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("capture", "replay"):
        sys.exit(__doc__)
    if sys.argv[1] == "capture":
        capture(sys.argv[2])
    else:
        replay(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
