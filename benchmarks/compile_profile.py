"""Which Numba kernels a command compiles, when in the run it first needs each, and how long each
takes to compile (cold cache), or which it loads from the cache.

    XDG_CACHE_HOME=$(mktemp -d) python benchmarks/compile_profile.py [--json FILE] -- assess --out DIR

Runs the ``shieldsim`` command given after ``--`` in this process with a listener on Numba's
``numba:compile`` event and prints one line per top-level compilation (a kernel compiled because
Python called it, not as the callee of another kernel): seconds since the start at which it was
first needed, inclusive compile seconds (its callees included), the kernel and its argument types.
At the end: total wall and CPU time, seconds compiling, and the kernels loaded from the cache.
With ``--json`` the same rows go to a file (``benchmarks/compile_profile.py --json`` is how the
list in `shieldsim.kernel_warmup` was chosen). Needs a fresh ``XDG_CACHE_HOME`` (or
``NUMBA_CACHE_DIR``) to see cold compile times.
"""

from __future__ import annotations

import json
import sys
import time


def _listener(rows: list, t0: float):
    from numba.core import event

    class Compiles(event.Listener):
        def __init__(self):
            self.stack = []

        def on_start(self, ev):
            self.stack.append(time.perf_counter())

        def on_end(self, ev):
            start = self.stack.pop()
            disp = ev.data["dispatcher"]
            rows.append({"kernel": f"{disp.py_func.__module__}.{disp.py_func.__qualname__}",
                         "args": str(tuple(ev.data["args"])), "depth": len(self.stack),
                         "needed_s": round(start - t0, 2), "compile_s": round(time.perf_counter() - start, 2)})

    return Compiles()


def _time_waits(waits: list, t0: float) -> None:
    """Record how long this process waits for kernels the `shieldsim.compile_ahead` helper (or
    another process of the run) compiles, per kernel."""
    from shieldsim import compile_ahead

    wait_done = compile_ahead.wait_done

    def timed(folder, qualified, *args):
        start = time.perf_counter()
        try:
            return wait_done(folder, qualified, *args)
        finally:
            if time.perf_counter() - start > 0.05:
                waits.append((round(start - t0, 1), round(time.perf_counter() - start, 1), qualified))

    compile_ahead.wait_done = timed


def _cache_hits() -> list[str]:
    """Kernels of shieldsim loaded from the on-disk cache in this process."""
    from numba.core.registry import CPUDispatcher

    hits = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("shieldsim"):
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == name and sum(obj._cache_hits.values()):
                hits.append(f"{name}.{obj.py_func.__qualname__}")
    return sorted(set(hits))


def main(argv: list[str]) -> int:
    out_json = None
    if "--json" in argv[: argv.index("--")]:
        out_json = argv[argv.index("--json") + 1]
    command = argv[argv.index("--") + 1:]
    t0, c0 = time.perf_counter(), time.process_time()
    rows: list = []
    import shieldsim  # noqa: F401  (sets NUMBA_CACHE_DIR)
    from numba.core import event

    event.register("numba:compile", _listener(rows, t0))
    waits: list = []
    _time_waits(waits, t0)
    from shieldsim.cli import app

    try:
        app(command, standalone_mode=False)
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        top = [r for r in rows if r["depth"] == 0]
        for r in sorted(top, key=lambda r: r["needed_s"]):
            print(f"{r['needed_s']:8.1f} {r['compile_s']:7.2f}  {r['kernel']}  {r['args'][:150]}")
        hits = _cache_hits()
        print(f"wall_s {wall:.1f}  cpu_s {cpu:.1f}  compile_s {sum(r['compile_s'] for r in top):.1f}  "
              f"compiled {len(top)}  loaded_from_cache {len(hits)}")
        if hits:
            print("loaded from cache:", ", ".join(hits))
        for at, waited, name in waits:
            print(f"waited for the compile-ahead helper at {at} s: {waited} s for {name}")
        if out_json:
            with open(out_json, "w") as f:
                json.dump({"wall_s": wall, "cpu_s": cpu, "rows": rows, "cache_hits": hits, "waits": waits}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
