"""The radar sweep kernel on captured inputs: capture every `_radar_batch` call of the
three-option coverage of `shieldsim assess` (epaa-2018, cooperation-2011, sectoral-2010, 0.5
degree, all areas), then replay them, timing the kernel and checking its outputs bit for bit.

    python benchmarks/radar_replay.py capture DIR       # ~1 GB of .npz files
    python benchmarks/radar_replay.py replay DIR [--passes 3]

Replay prints, per pass, the kernel's CPU seconds (`time.process_time`; run with
NUMBA_NUM_THREADS=1) and ``arrays_differing`` (intervals and counts not bit-identical to the
captured ones; 0 expected). To compare two trees, capture once with the old one and replay
with each, alternating processes, each tree with its own ``XDG_CACHE_HOME`` and ``PYTHONPATH``.
The read-only flags of the captured arrays are the coverage's, so the replay uses the
signature the coverage compiled.
"""

import argparse
import glob
import os
import time

import numpy as np

OUTPUTS = ("vis", "det", "nvis", "ndet")
READ_ONLY = ("separation", "params", "rays", "tables")


def capture(folder: str) -> None:
    from shieldsim import scenario as scen
    from shieldsim import study
    from shieldsim.sensors import detection

    os.makedirs(folder, exist_ok=True)
    kernel = detection._radar_batch
    count = [0]

    def wrapped(time_, pos, vel, rdet, separation, params, rays, tables, ea, eb, vis, det, nvis, ndet):
        kernel(time_, pos, vel, rdet, separation, params, rays, tables, ea, eb, vis, det, nvis, ndet)
        np.savez(os.path.join(folder, f"{count[0]:03d}.npz"), time=time_, pos=pos, vel=vel, rdet=rdet,
                 separation=separation, params=params, rays=rays, tables=tables, ea=np.float64(ea), eb=np.float64(eb),
                 vis=vis, det=det, nvis=nvis, ndet=ndet)
        count[0] += 1

    detection._radar_batch = wrapped
    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    archs = [arch] + [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS
                      if n != arch.name]
    study.coverage_many(archs, list(arch.scenario.launch_areas))
    print(f"captured_calls={count[0]}")


def _run(kernel, c: dict) -> tuple:
    out = (np.full(c["vis"].shape, np.nan), np.full(c["det"].shape, np.nan), np.zeros(c["nvis"].shape, np.int64),
           np.zeros(c["ndet"].shape, np.int64))
    kernel(c["time"], c["pos"], c["vel"], c["rdet"], c["separation"], c["params"], c["rays"], c["tables"],
           float(c["ea"]), float(c["eb"]), *out)
    return out


def replay(folder: str, passes: int) -> None:
    from shieldsim.sensors.sweep import _radar_batch

    calls = []
    for name in sorted(glob.glob(os.path.join(folder, "*.npz"))):
        with np.load(name) as z:
            c = {k: z[k] for k in z.files}
        for k in READ_ONLY:
            c[k].flags.writeable = False
        calls.append(c)
    for p in range(passes):
        cpu, differing = 0.0, 0
        for c in calls:
            t0 = time.process_time()
            out = _run(_radar_batch, c)
            cpu += time.process_time() - t0
            differing += sum(not np.array_equal(a.view(np.int64), c[k].view(np.int64)) for k, a in zip(OUTPUTS, out))
        print(f"pass={p} calls={len(calls)} kernel_cpu_s={cpu:.3f} arrays_differing={differing}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("capture", "replay"))
    ap.add_argument("folder")
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    capture(args.folder) if args.mode == "capture" else replay(args.folder, args.passes)


if __name__ == "__main__":
    main()
