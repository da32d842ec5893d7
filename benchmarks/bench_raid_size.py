"""How the raid Monte Carlo scales with the number of threats.

A raid of N threats in four waves (one aim point each) against four batteries whose windows
cover every route, inventories of N/2 each, shoot-look-shoot; 20 trials in this process:

    threat_trials_per_s_N   N x trials / time, for N = 1,000, 10,000, 40,000 (and 1,000,000 with
                            --million): the kernel rate; flat when the cost of a trial grows
                            linearly with N
    ratio_40k_to_10k        time per trial at 40,000 threats / time per trial at 10,000: 4 when the
                            cost grows linearly, 16 when it grows with N^2 (the all-threats scan
                            of each decision that the heap replaced: 11.7 s and 185 s for these
                            20 trials, ratio 15.8)
    inputs_s_40k            time to validate the document and expand the windows to (N, B) arrays
    load_avg_1min           the machine's load average at the end

Run: /work/venv/bin/python benchmarks/bench_raid_size.py [--million]
"""

from __future__ import annotations

import os
import sys
import time


def raid_document(n: int, batteries: int = 4, trials: int = 20) -> dict:
    """A raid document of ``n`` threats (see the module docstring)."""
    waves = [{"launch_area": "A", "aim_point": f"aim{k}", "count": n // 4, "interval_s": 480.0 / n}
             for k in range(4)]
    windows = [{"battery": f"site{j}", "launch_area": "A", "aim_point": f"aim{k}", "launch_earliest_s": 60 + 10 * j,
                "launch_latest_s": 400 + 20 * j, "intercept_first_s": 200 + 10 * j,
                "intercept_last_s": 520 + 20 * j} for j in range(batteries) for k in range(4)]
    return {"raid": {"name": f"raid-{n}", "wave": waves},
            "engagement": {"battery": [{"name": f"site{j}", "inventory": n // 2, "sspk": 0.7}
                                       for j in range(batteries)], "window": windows},
            "doctrine": {"kind": "shoot-look-shoot"}, "trials": trials, "seed": 1}


def timed(n: int, trials: int = 20) -> tuple[float, float]:
    """(seconds to build the inputs, seconds per trial) of the raid of ``n`` threats."""
    from shieldsim.battle import document_inputs, simulate

    t = time.perf_counter()
    eng, raid, doctrine = document_inputs(raid_document(n, trials=trials))
    inputs = time.perf_counter() - t
    simulate(eng, raid, doctrine, 1, 1)  # compile / load the cached kernel
    best = float("inf")
    for _ in range(3 if n <= 40_000 else 1):
        t = time.perf_counter()
        simulate(eng, raid, doctrine, trials, 1)
        best = min(best, time.perf_counter() - t)
    return inputs, best / trials


def main() -> None:
    sizes = [1_000, 10_000, 40_000] + ([1_000_000] if "--million" in sys.argv else [])
    per_trial, inputs = {}, {}
    for n in sizes:
        inputs[n], per_trial[n] = timed(n)
        print(f"threat_trials_per_s_{n}={n / per_trial[n]:.0f}", flush=True)
    print(f"ratio_40k_to_10k={per_trial[40_000] / per_trial[10_000]:.2f}")
    print(f"inputs_s_40k={inputs[40_000]:.2f}")
    print(f"load_avg_1min={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
