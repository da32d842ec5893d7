"""Benchmark: the `aim` calls of the default coverage, captured once and replayed, so the aiming
part of a coverage (no-drag Newton, family fits, final sampled flights) can be timed and
compared between checkouts on the very same inputs.

    python benchmarks/aim_replay.py capture DIR          # every `trajectory.aim` call of
        # `study.coverage_many([epaa-2018], all areas)` at the default grid (after a 5-degree
        # warm-up call), pickled to DIR
    python benchmarks/aim_replay.py replay DIR [PASSES] [--stages]   # this checkout's `aim` on them

``replay`` warms up with one pass, then prints ``replay_cpu_s`` (CPU seconds of each pass over
all calls, `time.process_time`; run with NUMBA_NUM_THREADS=1 and compare checkouts back to back,
each with its own ``XDG_CACHE_HOME``) and ``digest``: the SHA-1 of every array field of every
returned `Aim` (equal digests: the same flights bit for bit). ``--stages`` also prints the
exclusive CPU of the aiming stages of `coverage_stages.STAGES` summed over the timed passes
(the Python around them is ``aim: glue``).
"""

from __future__ import annotations

import glob
import hashlib
import pickle
import sys
import time
from pathlib import Path

import numpy as np


def capture(folder: str) -> None:
    from shieldsim import scenario as scen
    from shieldsim import study
    from shieldsim import trajectory

    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    areas = list(arch.scenario.launch_areas)
    study.coverage_many([arch], areas, grid_deg=5.0)  # compile, fill the tables
    aim, calls = trajectory.aim, []

    def recorded(*args, **kwargs):
        calls.append((args, kwargs))
        return aim(*args, **kwargs)

    trajectory.aim = recorded
    try:
        study.coverage_many([arch], areas)
    finally:
        trajectory.aim = aim
    Path(folder).mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(calls):
        with open(Path(folder) / f"call{i:03d}.pkl", "wb") as f:
            pickle.dump(c, f, protocol=5)
    print(f"captured_calls={len(calls)}")


def digest_of(outs) -> str:
    """SHA-1 of every array field (and the kind) of the `Aim`s ``outs``, in order."""
    h = hashlib.sha1()
    for out in outs:
        for name, value in sorted(out.__dict__.items()):
            if isinstance(value, np.ndarray):
                h.update(name.encode())
                h.update(np.ascontiguousarray(value).tobytes())
            elif isinstance(value, str):
                h.update(value.encode())
    return h.hexdigest()


def replay(folder: str, passes: int = 3, stages: bool = False) -> None:
    from shieldsim.trajectory import aim

    calls = []
    for name in sorted(glob.glob(str(Path(folder) / "call*.pkl"))):
        with open(name, "rb") as f:
            calls.append(pickle.load(f))
    outs = [aim(*a, **k) for a, k in calls]  # warm-up pass (compiles or loads the kernels)
    digest = digest_of(outs)
    clock = undo = None
    if stages:
        sys.path.insert(0, str(Path(__file__).parent))
        import coverage_stages as cs

        clock = cs.Clock()
        undo = cs.install(clock)
        from shieldsim import trajectory

        aim = trajectory.aim
    times = []
    for _ in range(passes):
        c0 = time.process_time()
        for a, k in calls:
            aim(*a, **k)
        times.append(time.process_time() - c0)
    if undo is not None:
        cs.uninstall(undo)
    print(f"replay_calls={len(calls)} pairs={sum(np.size(a[2]) for a, _ in calls)}")
    print("replay_cpu_s=" + ",".join(f"{x:.3f}" for x in times) + f" best={min(times):.3f}")
    print(f"digest={digest}")
    if clock is not None:
        for stage, cpu in sorted(clock.cpu.items(), key=lambda kv: -kv[1]):
            print(f"stage {stage:<45s} {cpu / passes:7.3f} {clock.calls[stage] // passes}")
        rest = (sum(times) - sum(clock.cpu.values())) / passes
        print(f"stage {'aim: glue (the rest of aim)':<45s} {rest:7.3f}")


def main() -> None:
    cmd, folder = sys.argv[1], sys.argv[2]
    rest = [a for a in sys.argv[3:] if not a.startswith("--")]
    if cmd == "capture":
        capture(folder)
    else:
        replay(folder, int(rest[0]) if rest else 3, "--stages" in sys.argv)


if __name__ == "__main__":
    main()
