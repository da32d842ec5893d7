"""CPU seconds of each stage of a coverage run: where the time of `study.coverage` goes.

    python benchmarks/coverage_stages.py [--options] [--grid-deg 0.5] [--repeat 1]

Runs the default coverage (epaa-2018, every threat area; ``--options``: the three cooperation
options of `study.COOPERATION_OPTIONS` together, as `shieldsim assess` does) once on a 5-degree
grid and once in full to warm the kernels and tables, then ``--repeat`` timed runs with the
functions below wrapped by a timer. Each wrapper adds the CPU seconds (`time.process_time`: every
thread of the process) spent in its function *minus* those of wrapped functions it calls, so the
stages add up to the run's total and a kernel's time is not counted again in its caller's glue.
A function is wrapped wherever a shieldsim module holds it (``from .x import f`` included).
Prints one line per stage, ``stage <name> <cpu_s> <calls>``, sorted by CPU, then the total
CPU and the CPU of the same run unwrapped (the wrappers' own cost is the difference).

Compare two trees by running each, in the same minutes, with its own ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time

STAGES = (
    # aiming (trajectory.aim): kernels, then the Python around them
    ("shieldsim.missile", "run_boost", "aim: boost kernel"),
    ("shieldsim.trajectory.newton_impacts", "vacuum_measures", "aim: vacuum impacts kernel"),
    ("shieldsim.earth", "geodesic_inverse_compiled", "aim: compiled geodesic"),
    ("shieldsim.earth", "geodesic_inverse", "aim: pyproj geodesic (final miss, range)"),
    ("shieldsim.trajectory.conic_samples", "_sample_boosted", "aim: conic samples kernel"),
    ("shieldsim.trajectory.family", "local_cubic", "aim: family fit"),
    ("shieldsim.trajectory.flight", "fly_states", "aim: fly_states (final impacts)"),
    ("shieldsim.missile", "state_angles", "aim: burnout angles"),
    ("shieldsim.study.flights", "fly", "aim: glue"),
    # radar
    ("shieldsim.sensors.sweep", "_radar_batch", "radar: sweep kernel"),
    ("shieldsim.sensors.kernels", "_boost_sight", "radar: launch-detector kernel"),
    ("shieldsim.sensors.detection", "_first_feasible", "radar: track counts"),
    ("shieldsim.sensors.detection", "_cued_tracks", "radar: cued tracks"),
    ("shieldsim.sensors.detection", "detect", "radar: glue (detect)"),
    ("shieldsim.sensors.detection", "CoverageMemo.prefetch", "radar: glue (prefetch)"),
    ("shieldsim.study.tracks", "battery_tracks", "radar: glue (battery tracks)"),
    # engagement
    ("shieldsim.engagement", "_engage_kernel_tabled", "engage: kernel"),
    ("shieldsim.engagement", "_engage_kernel", "engage: kernel"),
    ("shieldsim.engagement", "_battery_table", "engage: arrival tables"),
    ("shieldsim.engagement", "engage", "engage: glue (engage)"),
    ("shieldsim.study.tracks", "SharedFlights.engage", "engage: glue (shared columns)"),
    # the grid
    ("shieldsim.coverage", "summarise_cells", "cells: summarise"),
    ("shieldsim.coverage", "merge_summaries", "cells: merge"),
    ("shieldsim.study.sectors", "allowed_batteries", "cells: allowed batteries"),
    ("shieldsim.study.coverage_study", "footprint_batches", "grid: batches (land, reach)"),
    ("shieldsim.coverage", "combine_footprints", "grid: footprints, population"),
    ("shieldsim.coverage", "Footprint.protected_population", "grid: footprints, population"),
    ("shieldsim.study.coverage_study", "run_batch", "batch glue"),
    ("shieldsim.study.coverage_study", "coverage_many", "other"),
)
"""(module, function or Class.method, stage) wrapped by `install`."""


class Clock:
    """Exclusive CPU seconds per stage: a stack of the wrapped calls in progress."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list] = []  # [stage, start, CPU of wrapped callees]

    def wrap(self, fn, stage: str):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            frame = [stage, time.process_time(), 0.0]
            self.stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.process_time() - frame[1]
                self.cpu[stage] = self.cpu.get(stage, 0.0) + spent - frame[2]
                self.calls[stage] = self.calls.get(stage, 0) + 1
                if self.stack:
                    self.stack[-1][2] += spent

        timed.__wrapped_stage__ = True
        return timed


def install(clock: Clock) -> list:
    """Wrap every `STAGES` function wherever a loaded shieldsim module (or class) holds it;
    returns the (holder, name, original) list `uninstall` puts back."""
    undo = []
    for module, name, stage in STAGES:
        mod = importlib.import_module(module)
        if "." in name:
            cls, meth = name.split(".")
            holder = getattr(mod, cls)
            orig = holder.__dict__[meth]
            setattr(holder, meth, clock.wrap(orig, stage))
            undo.append((holder, meth, orig))
            continue
        orig = getattr(mod, name)
        replace_everywhere(name, orig, clock.wrap(orig, stage), undo)
    return undo


def replace_everywhere(name: str, orig, wrapped, undo: list) -> None:
    """Put ``wrapped`` in place of ``orig`` under ``name`` in every loaded shieldsim module that
    holds it (``from .x import f`` included), adding (module, name, orig) to ``undo``."""
    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("shieldsim") and m.__dict__.get(name) is orig:
            setattr(m, name, wrapped)
            undo.append((m, name, orig))


def uninstall(undo: list) -> None:
    for holder, name, orig in reversed(undo):
        setattr(holder, name, orig)


def coverage_architectures(options: bool) -> list:
    """The default scenario's architecture; with ``options`` also the other cooperation options
    of `study.COOPERATION_OPTIONS` (the three `shieldsim assess` covers together)."""
    from shieldsim import scenario as scen
    from shieldsim import study

    arch = study.Architecture.from_scenario(scen.load("epaa-2018"))
    if not options:
        return [arch]
    return [arch] + [study.Architecture.from_scenario(scen.load(n)) for _, n in study.COOPERATION_OPTIONS
                     if n != arch.name]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--options", action="store_true", help="the three cooperation options together")
    ap.add_argument("--grid-deg", type=float, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    from shieldsim import study

    archs = coverage_architectures(args.options)
    areas = list(archs[0].scenario.launch_areas)
    study.coverage_many(archs, areas, grid_deg=5.0)
    study.coverage_many(archs, areas, grid_deg=args.grid_deg)
    c0 = time.process_time()
    study.coverage_many(archs, areas, grid_deg=args.grid_deg)
    plain = time.process_time() - c0
    clock = Clock()
    undo = install(clock)
    c0 = time.process_time()
    for _ in range(max(1, args.repeat)):
        study.coverage_many(archs, areas, grid_deg=args.grid_deg)
    total = (time.process_time() - c0) / max(1, args.repeat)
    uninstall(undo)
    print(f"coverage of {len(archs)} architecture(s), {len(areas)} areas; CPU s per run")
    for stage, cpu in sorted(clock.cpu.items(), key=lambda kv: -kv[1]):
        print(f"stage {stage:<45s} {cpu / max(1, args.repeat):7.3f} {clock.calls[stage] // max(1, args.repeat)}")
    print(f"total_cpu_s {total:.3f} unwrapped_cpu_s {plain:.3f}")


if __name__ == "__main__":
    main()
