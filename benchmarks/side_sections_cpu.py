"""CPU seconds of the deterrent section and the claims ledger as ``shieldsim assess`` computes them.

Calls `assess._deterrent` and `assess.claims_section` (what the second process of a concurrent
``assess`` runs, `assess.side_sections`, without drawing the figures) on the default scenario
``--calls`` times in one process, each call with a fresh flight cache. The first call pays the
per-process setup (borders, reach and arrival tables, kernels loaded from the cache); the later
ones show the sections' own work. Prints, per call, the CPU (`time.process_time`) of each
section and of the pieces inside it, and writes ``deterrent.json`` and the ledger's verdicts
(``claims<call>.json``) under ``--out`` so that two trees can be compared with ``cmp``.

    PYTHONPATH=src NUMBA_NUM_THREADS=1 python benchmarks/side_sections_cpu.py --out /tmp/side --calls 2

Compare two trees by running each back to back with its own warm cache (``XDG_CACHE_HOME``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

from assess_stages import timed  # this folder is on the path when the script runs

PIECES = (("shieldsim.study.deterrent_study", "deterrent_flights"), ("shieldsim.deterrent", "minimum_speed"),
          ("shieldsim.deterrent", "latest_launch"), ("shieldsim.study.tracks.SharedFlights", "engage"),
          ("shieldsim.study.deterrent_study.DeterrentShapes", "to_report"), ("shieldsim.study", "coverage_many"),
          ("shieldsim.claims._Context", "deterrent_all"), ("shieldsim.claims._Context", "base"))
"""(module or class, function) timed inside the sections; SharedFlights.engage counts both sections."""


def _owner(path: str):
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        module, attr = path.rsplit(".", 1)
        return getattr(importlib.import_module(module), attr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for deterrent.json and claims<call>.json")
    ap.add_argument("--calls", type=int, default=2, help="calls in this process (the first pays the setup)")
    args = ap.parse_args()
    start = time.process_time()
    import matplotlib

    matplotlib.use("Agg")
    from shieldsim import assess, study
    from shieldsim import scenario as scen
    from shieldsim.study import flight_cache

    totals: dict = {}
    for path, name in PIECES:
        timed(_owner(path), name, totals)
    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    print(f"imports_and_scenario_cpu_s {time.process_time() - start:.2f}")
    args.out.mkdir(parents=True, exist_ok=True)
    for call in range(args.calls):
        with flight_cache.sharing(flight_cache.FlightCache()):
            totals.clear()
            t0 = time.process_time()
            assess._deterrent(arch, args.out, None, scen.load, assess._Sections())
            t1 = time.process_time()
            ledger = assess.claims_section(arch.scenario, None, assess.CLAIMS_MIN_GRID_DEG)
            t2 = time.process_time()
        verdicts = [(row.id, row.results) for row in ledger.claims]
        (args.out / f"claims{call}.json").write_text(json.dumps(verdicts, sort_keys=True, default=str))
        pieces = " ".join(f"{k}={v:.2f}" for k, v in totals.items())
        print(f"call {call} deterrent_cpu_s {t1 - t0:.2f} claims_cpu_s {t2 - t1:.2f} ({pieces})", flush=True)
    print(f"process_cpu_s {time.process_time() - start:.2f}")


if __name__ == "__main__":
    main()
