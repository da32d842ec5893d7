"""CPU of a fresh process's first three-option coverage with and without the prepared data kept
on disk (`shieldsim.stored`): the per-process setup it saves.

Runs the same child three times, one after the other, each a new Python process: the three
cooperation options' coverage of every threat area of epaa-2018 (`study.coverage_many`, as the
first process of ``shieldsim assess`` computes it), timed by `time.process_time`
(NUMBA_NUM_THREADS=1, so CPU seconds of one thread; wall times on a shared machine mean nothing):

* ``off``: ``SHIELDSIM_STORE=0``, every process builds its borders, cities, population grid,
  reach and arrival tables (as before the store);
* ``first``: an empty store of its own (a temporary folder): built, then written;
* ``warm``: the same store again: read.

The kernels come from the usual Numba cache (run any command once first to compile them); the
store of the three children is a temporary folder, so the user's store is not touched. Prints
each child's CPU (imports and architectures, then the coverage call), the ratio off / warm of
the coverage call, and whether the three coverages are identical (every cell array of every
footprint, bit for bit, and the population figures).

    PYTHONPATH=src python benchmarks/bench_stored.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import hashlib, json, time
c0 = time.process_time()
import numpy as np
from shieldsim import scenario as scen, study
arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
archs = [arch] + [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS if n != arch.name]
areas = list(arch.scenario.launch_areas)
c1 = time.process_time()
results = study.coverage_many(archs, areas)
c2 = time.process_time()
h = hashlib.sha256()
for result in results:
    for name in sorted(result.footprints):
        fp = result.footprints[name]
        for cells in (fp.threatened, fp.defended, fp.shots, fp.kill_probability, fp.intercept_alt_km, fp.engaging):
            h.update(np.ascontiguousarray(cells).tobytes())
    h.update(json.dumps(result.as_dict(), sort_keys=True, default=str).encode())
print(json.dumps({"setup_cpu_s": c1 - c0, "coverage_cpu_s": c2 - c1, "digest": h.hexdigest()}))
"""


def _numba_cache_dir(env: dict) -> str:
    """The kernel cache folder this tree uses (so the children load, not compile, the kernels)."""
    code = "import shieldsim, numba.core.config as c; print(c.CACHE_DIR)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def run_child(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    base = dict(os.environ, NUMBA_NUM_THREADS="1")
    base["NUMBA_CACHE_DIR"] = _numba_cache_dir(base)
    with tempfile.TemporaryDirectory(prefix="bench-stored-") as tmp:
        own = dict(base, XDG_CACHE_HOME=tmp)
        own.pop("SHIELDSIM_STORE", None)
        runs = {"off": run_child(dict(own, SHIELDSIM_STORE="0")), "first": run_child(own), "warm": run_child(own)}
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*.npz"))
    for name, r in runs.items():
        print(f"{name:6s} setup_cpu_s {r['setup_cpu_s']:.2f}  first_coverage_cpu_s {r['coverage_cpu_s']:.2f}")
    print(f"store_mb {size / 1e6:.1f}")
    print(f"ratio_off_over_warm {runs['off']['coverage_cpu_s'] / runs['warm']['coverage_cpu_s']:.2f}")
    print(f"saved_cpu_s {runs['off']['coverage_cpu_s'] - runs['warm']['coverage_cpu_s']:.2f}")
    print(f"identical {len({r['digest'] for r in runs.values()}) == 1}")


if __name__ == "__main__":
    main()
