"""Benchmark: the engagement kernel of a later three-option coverage (as `shieldsim assess` runs
it), captured once and replayed, so old and new code can be timed on the very same inputs.

    python benchmarks/engage_replay.py capture DIR      # every `_engage_kernel_tabled` call of
        # `study.coverage_many([epaa-2018, cooperation-2011, sectoral-2010])`, all threat areas,
        # 0.5 degree (after a 5-degree call that builds the tables), pickled to DIR with its output
    python benchmarks/engage_replay.py replay DIR [PASSES]   # this checkout's kernel on them

``replay`` prints ``replay_cpu_s`` (CPU seconds of each pass over all calls, one process; run it
with NUMBA_NUM_THREADS=1 and compare checkouts back to back) and, per output field of the kernel
(launch_latest, first time, last time, first sample, shots), how many values differ from the
captured output and by how much at most. Capture with the old code, replay with both.
"""

from __future__ import annotations

import glob
import pickle
import sys
import time
from pathlib import Path

import numpy as np

FIELDS = ("launch_latest", "intercept_first", "intercept_last", "first_k", "shots")


def capture(folder: str) -> None:
    from shieldsim import engagement as eg
    from shieldsim import scenario as scen
    from shieldsim import study

    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    archs = [arch] + [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS
                      if n != arch.name]
    areas = list(arch.scenario.launch_areas)
    study.coverage_many(archs, areas, grid_deg=5.0)  # compile, build the tables
    kernel, calls = eg._engage_kernel_tabled, []

    def recorded(*args):
        kernel(*args)
        calls.append(tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in args))

    eg._engage_kernel_tabled = recorded
    try:
        study.coverage_many(archs, areas)
    finally:
        eg._engage_kernel_tabled = kernel
    Path(folder).mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(calls):
        with open(Path(folder) / f"call{i:03d}.pkl", "wb") as f:
            pickle.dump(c, f, protocol=5)
    print(f"captured_calls={len(calls)}")


def replay(folder: str, passes: int = 3) -> None:
    from shieldsim import engagement as eg

    calls = []
    for name in sorted(glob.glob(str(Path(folder) / "call*.pkl"))):
        with open(name, "rb") as f:
            calls.append(pickle.load(f))
    first = list(calls[0])  # compile on two flights
    for i in (0, 1, 9, 10):  # pos, alt, l0, win
        first[i] = first[i][:2]
    first[-1] = np.empty((2,) + first[-1].shape[1:])
    eg._engage_kernel_tabled(*first)
    times, outs = [], []
    for p in range(passes):
        c0 = time.process_time()
        for c in calls:
            out = np.empty_like(c[-1])
            eg._engage_kernel_tabled(*(c[:-1] + (out,)))
            if p == 0:
                outs.append(out)
        times.append(time.process_time() - c0)
    print(f"replay_calls={len(calls)}")
    print(f"replay_pairs={sum(c[-1].shape[0] * c[-1].shape[1] for c in calls)}")
    print("replay_cpu_s=" + ",".join(f"{x:.3f}" for x in times) + f" best={min(times):.3f}")
    for f, name in enumerate(FIELDS):
        old = np.concatenate([c[-1][:, :, f].ravel() for c in calls])
        new = np.concatenate([o[:, :, f].ravel() for o in outs])
        same = (old == new) | (np.isnan(old) & np.isnan(new))
        worst = float(np.abs(old - new)[~same].max()) if (~same).any() else 0.0
        print(f"{name}_differing={int((~same).sum())} of {old.size} max_abs_diff={worst:.3g}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "capture":
        capture(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "replay":
        replay(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        sys.exit("usage: engage_replay.py capture DIR | replay DIR [PASSES]")
