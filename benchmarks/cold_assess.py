"""The first ``shieldsim assess`` after install: wall time, CPU and every kernel's compile, by process.

    PYTHONPATH=src python benchmarks/cold_assess.py [--keep DIR] [--json FILE] [-- ASSESS ARGS]

Runs ``shieldsim assess --out <tmp> --no-progress`` (or the arguments after ``--``) as a
separate command with a fresh ``XDG_CACHE_HOME`` (cold Numba cache and empty disk store) and a
compile recorder in every Python process it starts (the command, the compile-ahead helper, a
second process if any): a ``sitecustomize`` module written to a temporary folder put first on
``PYTHONPATH`` registers a listener on Numba's ``numba:compile`` event when
``SHIELDSIM_COMPILE_LOG`` is set, and appends one JSON line per compilation (kernel, argument
types, nesting depth, wall and CPU seconds of the compiling thread, callees included) and per
wait for a kernel another process of the run compiles (`compile_ahead.wait_done`) to
``<folder>/<pid>.jsonl``. Prints:

* ``wall_s``, ``user_s``, ``sys_s`` of the command and everything it started (``getrusage`` of
  the children, so the helper's CPU counts), and whether any process of the run was still alive
  when the command returned (a helper left running spoils the user's next command);
* per process: its role, CPU seconds when it last compiled, compile CPU seconds;
* the table of compile CPU by kernel and process: signatures compiled, self CPU (its own typing
  and code generation, callees excluded), inclusive CPU when compiled at top level (called from
  Python), when it was first needed (seconds since the start);
* kernels compiled by more than one process, and kernels compiled for several signatures.

CPU seconds are the honest figure on a shared machine; the wall time is only meaningful quiet.
``--keep DIR`` keeps the assessment's output (for ``benchmarks/same_summary.py``); ``--plan``
prints the command's own top-level compilations as `shieldsim.compile_ahead.Kernel` lines (how
its `PLAN` is chosen); ``--logs DIR`` reports on the logs of an earlier run instead of running.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HOOK = '''
import os
if os.environ.get("SHIELDSIM_COMPILE_LOG"):
    def _install_compile_recorder():
        import json, time
        import shieldsim  # sets NUMBA_CACHE_DIR before Numba is imported
        from numba.core import event
        with open("/proc/self/cmdline", "rb") as f:
            argv = f.read().split(b"\\0")
        out = open(os.path.join(os.environ["SHIELDSIM_COMPILE_LOG"], f"{os.getpid()}.jsonl"), "a", buffering=1)
        out.write(json.dumps({"start": time.time(), "argv": [a.decode(errors="replace") for a in argv if a]}) + "\\n")
        stack = []

        class Recorder(event.Listener):
            def on_start(self, ev):
                stack.append((time.time(), time.thread_time()))

            def on_end(self, ev):
                t0, c0 = stack.pop()
                d = ev.data["dispatcher"]
                out.write(json.dumps({"kernel": f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                                      "args": str(tuple(ev.data["args"])), "depth": len(stack), "at": t0,
                                      "wall": time.time() - t0, "cpu": time.thread_time() - c0,
                                      "process_cpu": time.process_time()}) + "\\n")

        event.register("numba:compile", Recorder())
        import atexit, signal

        def leave(*_):
            out.write(json.dumps({"exit_cpu": time.process_time(), "at": time.time()}) + "\\n")

        def terminated(*_):
            leave()
            os._exit(143)

        atexit.register(leave)
        signal.signal(signal.SIGTERM, terminated)
        from shieldsim import compile_ahead

        wait_done = compile_ahead.wait_done

        def timed_wait(folder, qualified, *args):
            t0 = time.time()
            try:
                return wait_done(folder, qualified, *args)
            finally:
                out.write(json.dumps({"wait": qualified, "at": t0, "wall": time.time() - t0}) + "\\n")

        compile_ahead.wait_done = timed_wait

    _install_compile_recorder()
'''


def _role(argv: list[str]) -> str:
    text = " ".join(argv)
    if "shieldsim.compile_ahead" in text:
        return "helper"
    if "multiprocessing" in text or "spawn_main" in text:
        return "second"
    return "command"


def read_logs(folder: Path) -> list[dict]:
    """One dict per process: pid, role, start, compile rows, wait rows."""
    procs = []
    for path in sorted(folder.glob("*.jsonl")):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if not lines or "argv" not in lines[0]:
            continue
        head = lines[0]
        ends = [r for r in lines if "exit_cpu" in r]
        procs.append({"pid": int(path.stem), "role": _role(head["argv"]), "start": head["start"],
                      "cpu": ends[-1]["exit_cpu"] if ends else None, "end": ends[-1]["at"] if ends else None,
                      "compiles": [r for r in lines if "kernel" in r], "waits": [r for r in lines if "wait" in r]})
    return procs


def self_cpu(rows: list[dict]) -> list[float]:
    """Each compile row's CPU minus its callees' (rows are in order of their ends; a callee ends
    before its caller and sits one level deeper)."""
    own = [r["cpu"] for r in rows]
    open_children: dict[int, float] = defaultdict(float)
    for i, r in enumerate(rows):
        own[i] -= open_children.pop(r["depth"] + 1, 0.0)
        open_children[r["depth"]] += r["cpu"]
    return own


def kernel_table(procs: list[dict], t0: float) -> list[dict]:
    """Rows (kernel, role, signatures, self CPU, top-level inclusive CPU, first needed at)."""
    agg: dict = {}
    for p in procs:
        own = self_cpu(p["compiles"])
        for r, cpu in zip(p["compiles"], own):
            a = agg.setdefault((r["kernel"], p["role"]), {"kernel": r["kernel"], "role": p["role"], "sigs": set(),
                                                          "self_cpu": 0.0, "top_cpu": 0.0, "at": r["at"] - t0})
            a["sigs"].add(r["args"])
            a["self_cpu"] += cpu
            if r["depth"] == 0:
                a["top_cpu"] += r["cpu"]
            a["at"] = min(a["at"], r["at"] - t0)
    rows = sorted(agg.values(), key=lambda a: -a["self_cpu"])
    for a in rows:
        a["sigs"] = sorted(a["sigs"])
    return rows


def tokens(args: str) -> str | None:
    """`shieldsim.compile_ahead.Kernel` signature tokens of a logged argument tuple, or None when
    an argument has no token (not a float64/int64/boolean scalar or C-contiguous array)."""
    import re

    kinds = {"float64": "f", "int64": "i", "bool": "b"}
    out = []
    for arg in re.findall(r"Array\([^)]*\)|[A-Za-z0-9_\[\]]+(?:\([^)]*\))?", args[1:-1]):
        m = re.fullmatch(r"Array\((\w+), (\d), 'C', (True|False), aligned=True\)", arg)
        if m and m.group(1) in kinds:
            out.append(kinds[m.group(1)] + m.group(2) + ("r" if m.group(3) == "True" else ""))
        elif arg in kinds:
            out.append(kinds[arg])
        else:
            return None
    return " ".join(out)


def plan_lines(procs: list[dict], t0: float) -> list[str]:
    """`compile_ahead.Kernel` lines for the command's top-level compilations in order of need."""
    lines = []
    for p in procs:
        if p["role"] != "command":
            continue
        for r in sorted((r for r in p["compiles"] if r["depth"] == 0), key=lambda r: r["at"]):
            module, _, name = r["kernel"].rpartition(".")
            sig = tokens(r["args"])
            note = f"  # needed at {r['at'] - t0:.1f} s, {r['cpu']:.2f} CPU s"
            lines.append(f'Kernel("{module}", "{name}", "{sig}"),{note}' if sig else f"# {r['kernel']} {r['args']}{note}")
    return lines


def report(procs: list[dict], t0: float, totals: dict, top: int) -> dict:
    print(f"wall_s {totals['wall_s']:.1f}  user_s {totals['user_s']:.1f}  sys_s {totals['sys_s']:.1f}  "
          f"cpu_s {totals['user_s'] + totals['sys_s']:.1f}  alive_after_command {totals['alive_after']}")
    for p in sorted(procs, key=lambda p: p["start"]):
        comp = sum(r["cpu"] for r in p["compiles"] if r["depth"] == 0)
        last = max((r["process_cpu"] for r in p["compiles"]), default=0.0)
        end = max((r["at"] + r["wall"] for r in p["compiles"]), default=p["start"]) - t0
        whole = f", ended {p['end'] - t0:.1f} s, process CPU {p['cpu']:.1f} s" if p.get("cpu") is not None else ""
        print(f"process {p['role']:8s} pid {p['pid']}: started {p['start'] - t0:6.1f} s, last compile ended "
              f"{end:6.1f} s, compile_cpu_s {comp:6.1f} ({sum(r['depth'] == 0 for r in p['compiles'])} top-level), "
              f"process CPU at its last compile {last:6.1f} s{whole}")
        for w in (w for w in p["waits"] if w["wall"] > 0.05):
            print(f"    waited {w['wall']:.1f} s at {w['at'] - t0:.1f} s for {w['wait']}")
    rows = kernel_table(procs, t0)
    print(f"\n{'self_cpu':>8} {'top_cpu':>8} {'at_s':>6} sigs {'process':8} kernel")
    for a in rows[:top]:
        print(f"{a['self_cpu']:8.2f} {a['top_cpu']:8.2f} {a['at']:6.1f} {len(a['sigs']):4d} {a['role']:8} {a['kernel']}")
    rest = rows[top:]
    if rest:
        print(f"{sum(a['self_cpu'] for a in rest):8.2f} {'':8} {'':6} {'':4} {'':8} ({len(rest)} more kernels)")
    by_role = defaultdict(float)
    for a in rows:
        by_role[a["role"]] += a["self_cpu"]
    print("compile CPU by process: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(by_role.items())))
    kernels = defaultdict(list)
    for a in rows:
        kernels[a["kernel"]].append(a)
    twice = {k: v for k, v in kernels.items() if len(v) > 1}
    if twice:
        print("\ncompiled by more than one process (self CPU):")
        for k, v in sorted(twice.items(), key=lambda kv: -sum(a["self_cpu"] for a in kv[1])):
            print(f"  {k}: " + ", ".join(f"{a['role']} {a['self_cpu']:.2f}" for a in v))
    multi = [a for a in rows if len(a["sigs"]) > 1]
    if multi:
        print("\nseveral signatures in one process:")
        for a in multi:
            print(f"  {a['role']} {a['kernel']} ({a['self_cpu']:.2f} s):")
            for s in a["sigs"]:
                print(f"      {s[:160]}")
    if "--plan" in sys.argv:
        print("\ncommand's own top-level compilations (compile_ahead.Kernel lines):")
        print("\n".join(plan_lines(procs, t0)))
    return {"totals": totals, "kernels": rows, "processes": [{k: p[k] for k in ("pid", "role", "start")}
                                                             for p in procs]}


def main(argv: list[str]) -> int:
    own = argv[: argv.index("--")] if "--" in argv else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    keep = Path(own[own.index("--keep") + 1]) if "--keep" in own else None
    out_json = own[own.index("--json") + 1] if "--json" in own else None
    top = int(own[own.index("--top") + 1]) if "--top" in own else 40
    if "--logs" in own:
        procs = read_logs(Path(own[own.index("--logs") + 1]))
        report(procs, min(p["start"] for p in procs), {"wall_s": 0.0, "user_s": 0.0, "sys_s": 0.0,
                                                       "alive_after": [], "exit_code": 0}, top)
        return 0
    src = Path(__file__).resolve().parent.parent / "src"
    with tempfile.TemporaryDirectory(prefix="cold-assess-") as tmp:
        tmp = Path(tmp)
        (tmp / "hook").mkdir()
        (tmp / "hook" / "sitecustomize.py").write_text(HOOK)
        (tmp / "log").mkdir()
        out = keep or tmp / "out"
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "xdg"), SHIELDSIM_COMPILE_LOG=str(tmp / "log"),
                   PYTHONPATH=os.pathsep.join([str(tmp / "hook"), str(src), os.environ.get("PYTHONPATH", "")]))
        env.pop("NUMBA_CACHE_DIR", None)
        command = [sys.executable, "-m", "shieldsim", "assess", "--out", str(out), "--no-progress",
                   "--overwrite", *extra]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL)
        wall = time.time() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = read_logs(tmp / "log")
        alive = [p["pid"] for p in procs if Path(f"/proc/{p['pid']}").exists()]
        totals = {"wall_s": wall, "user_s": after.ru_utime - before.ru_utime, "sys_s": after.ru_stime - before.ru_stime,
                  "alive_after": alive, "exit_code": done.returncode}
        if done.returncode:
            print(f"command failed: exit code {done.returncode}")
        result = report(procs, t0, totals, top)
        if out_json:
            Path(out_json).write_text(json.dumps(result, indent=1))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
