"""Boost kernel: `boost_kernel.fly_boosts` (`_boost_lanes`: blocks of lanes without drag, split over
Numba's threads) against the same calls flown one boost at a time by `boost_kernel._boost_batch`
(`boost_one` per row), in one run.

    NUMBA_NUM_THREADS=1 python benchmarks/bench_boost.py [--calls FILE] [--repeat 3] [--split]
    python benchmarks/bench_boost.py --capture FILE   # the three-option coverage's calls

The calls are either captured from the three-option coverage of ``shieldsim assess``
(`study.coverage_many` of the cooperation options over all areas, its second run: ``--capture``
writes them, ``--calls`` replays them) or, by default, made up to resemble them: batches of 1 to
~200 boosts of several classes (median ~15), sampled every 2 s, cut off anywhere in the burn,
ended on the sample grid, a few steep enough to fall back to the ground.

Prints `boosts`, `calls`, `cpu_s_one_by_one` and `cpu_s_lanes` (process CPU, best of
``--repeat``, interleaved), `us_per_boost_*`, `ratio_one_by_one_over_lanes`, and `identical`
(every result and sample bit for bit the same, NaN where not written). ``--split``: also the lanes'
us a boost of the sampled calls flown as they are and flown unsampled (ended at the cutoff, no
samples): `us_per_sampled_boost_lanes`, `us_per_unsampled_boost_lanes`.
"""

from __future__ import annotations

import argparse
import pickle
import time

import numpy as np

from shieldsim import boost_kernel as K
from shieldsim import missile as M
from shieldsim.atmosphere import density_table
from shieldsim.earth import WGS84, enu_basis, to_ecef


def made_up_calls(seed: int = 0, n_calls: int = 300) -> list:
    """Calls like the coverage's (see the module docstring): (arrays of `_boost_batch`, samples)."""
    rng = np.random.default_rng(seed)
    classes = [M.get(name) for name in ("scud-b", "nodong", "sejjil", "irbm", "iran-icbm")]
    calls = []
    for _ in range(n_calls):
        missile = classes[rng.integers(len(classes))]
        n = int(min(max(rng.lognormal(np.log(15.0), 1.0), 1), 200))
        lat, lon = np.radians(rng.uniform(25, 40, n)), np.radians(rng.uniform(45, 60, n))
        heading, kick = rng.uniform(4.0, 6.0, n), np.radians(rng.uniform(2.0, 60.0, n))
        cutoff = rng.uniform(0.3, 1.0, n) * missile.burn_time
        t_end = np.ceil(cutoff / 2.0 - 1e-9) * 2.0
        east, north, up = enu_basis(lat, lon)
        r0 = np.ascontiguousarray(to_ecef(lat, lon, 0.0, WGS84))
        h0 = np.ascontiguousarray(np.sin(heading)[:, None] * east + np.cos(heading)[:, None] * north)
        params = M.boost_params(missile, WGS84, True, False, 2.0)
        stages = np.stack([M._stage_ends(missile), M.boost_profile(missile), M._stage_taus(missile)])
        n_samples = int(np.ceil(missile.burn_time / 2.0)) + 1
        calls.append((r0, np.ascontiguousarray(up), h0, kick, cutoff, t_end, stages, params, density_table()[2],
                       n_samples))
    return calls


def capture(path: str) -> None:
    """Write the `_boost_batch` calls of the three-option coverage's second run to ``path``."""
    from shieldsim import scenario as scen
    from shieldsim import study

    calls = []
    choose = M.batch_kernel

    def recording(drag):
        kernel = choose(drag)

        def run(*args):
            calls.append(tuple(np.array(a) for a in args[:9]) + (args[9].shape[1],))
            return kernel(*args)

        return run

    M.batch_kernel = recording
    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    archs = [arch] + [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS
                      if n != arch.name]
    study.coverage_many(archs, list(arch.scenario.launch_areas))
    calls.clear()
    study.coverage_many(archs, list(arch.scenario.launch_areas))
    with open(path, "wb") as f:
        pickle.dump(calls, f)
    print(f"captured calls={len(calls)} boosts={sum(c[0].shape[0] for c in calls)}")


def _outputs(calls: list) -> list:
    return [(np.full((c[0].shape[0], c[9], 3), np.nan), np.full((c[0].shape[0], c[9], 3), np.nan),
             np.full((c[0].shape[0], 14), np.nan)) for c in calls]


def _run(kernel, calls: list, outs: list) -> float:
    c0 = time.process_time()
    for c, (pos, vel, res) in zip(calls, outs):
        kernel(*c[:9], pos, vel, res)
    return time.process_time() - c0


def split(calls: list, repeat: int) -> None:
    """Print the lanes' us a boost of the sampled calls as they are and unsampled (see --split)."""
    sampled = [c for c in calls if c[9] > 0]
    bare = [c[:5] + (c[4].copy(),) + c[6:9] + (0,) for c in sampled]  # t_end = cutoff, no samples
    n = sum(c[0].shape[0] for c in sampled)
    best = [np.inf, np.inf]
    for _ in range(repeat):
        for k, cs in enumerate((sampled, bare)):
            best[k] = min(best[k], _run(K.fly_boosts, cs, _outputs(cs)))
    print(f"us_per_sampled_boost_lanes={1e6 * best[0] / n:.2f} us_per_unsampled_boost_lanes={1e6 * best[1] / n:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", help="pickle written by --capture (default: made-up calls)")
    ap.add_argument("--capture", help="write the three-option coverage's calls to this file and stop")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--split", action="store_true", help="also sampled against unsampled boosts (lanes)")
    args = ap.parse_args()
    if args.capture:
        capture(args.capture)
        return
    if args.calls:
        with open(args.calls, "rb") as f:
            calls = pickle.load(f)
    else:
        calls = made_up_calls()
    one, lanes = _outputs(calls), _outputs(calls)
    _run(K._boost_batch, calls[:1], one[:1])  # compile (or load)
    _run(K.fly_boosts, calls[:1], lanes[:1])
    best_one = best_lanes = np.inf
    for _ in range(args.repeat):
        best_one = min(best_one, _run(K._boost_batch, calls, one))
        best_lanes = min(best_lanes, _run(K.fly_boosts, calls, lanes))
    same = all(np.array_equal(a, b, equal_nan=True) for x, y in zip(one, lanes) for a, b in zip(x, y))
    n = sum(c[0].shape[0] for c in calls)
    print(f"boosts={n} calls={len(calls)}")
    print(f"cpu_s_one_by_one={best_one:.3f} cpu_s_lanes={best_lanes:.3f}")
    print(f"us_per_boost_one_by_one={1e6 * best_one / n:.1f} us_per_boost_lanes={1e6 * best_lanes / n:.1f}")
    print(f"ratio_one_by_one_over_lanes={best_one / best_lanes:.2f}")
    print(f"identical={same}")
    if args.split:
        split(calls, args.repeat)


if __name__ == "__main__":
    main()
