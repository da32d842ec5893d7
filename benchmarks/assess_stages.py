"""CPU seconds of each stage of ``shieldsim assess``: where the time of an assessment goes.

Runs the command in this process (every argument after the script's name is passed on, e.g.
``assess --out /tmp/a --overwrite --no-progress``) with the stages of `shieldsim.assess` timed by
`time.process_time` (CPU of every thread of the process, so a machine shared with other work
does not inflate it; wall times on a shared machine are not comparable). Prints one line per
stage, ``stage <name> <cpu_s>``, and the whole process (imports included), the second process
of a concurrent run (``children_total``, its CPU once it has ended) and the wall time last. The
coverage line counts the claims ledger's coverage too (both call `study.coverage_many`) when
they run in this process (``--serial``); a concurrent run's stages in the second process (the
deterrent section, the claims ledger, the coverage batches it takes on) are in ``children_total``.
Then, for this process and the second, user and system CPU seconds, minor page faults (first
touches of memory: dear on this project's virtual machines) and the peak resident memory.

    PYTHONPATH=src python benchmarks/assess_stages.py assess --out /tmp/a --overwrite --no-progress

Compare two trees by running each back to back, in the same minutes, with its own cache folder
(``XDG_CACHE_HOME``) warmed by a first run.
"""

from __future__ import annotations

import functools
import sys
import time

START = time.process_time()
START_WALL = time.perf_counter()

STAGES = (("shieldsim.cli.coverage", "load_architecture"), ("shieldsim.assess", "_cooperation_archs"),
          ("shieldsim.study", "coverage_many"), ("shieldsim.assess", "_coverage"),
          ("shieldsim.assess", "representative_engagement"), ("shieldsim.study", "deterrent_shapes"),
          ("shieldsim.assess", "_deterrent"), ("shieldsim.assess", "_cooperation"),
          ("shieldsim.assess", "claims_section"), ("shieldsim.report", "write_report"))
"""(module, function) pairs timed; each is looked up on its module when called, so patch them there."""


def timed(module, name: str, totals: dict) -> None:
    """Replace ``module.name`` by a wrapper adding its CPU seconds to ``totals[name]``."""
    inner = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.process_time() - t0

    setattr(module, name, wrapper)


def main(argv: list[str]) -> None:
    import importlib

    from shieldsim.cli import main as cli

    totals: dict = {}
    for module, name in STAGES:
        timed(importlib.import_module(module), name, totals)
    try:
        cli(argv)
    except SystemExit as ex:
        if ex.code not in (None, 0):
            raise
    for name, cpu in totals.items():
        print(f"stage {name} {cpu:.2f}", file=sys.stderr)
    print(f"stage process_total {time.process_time() - START:.2f}", file=sys.stderr)
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"stage children_total {kids.ru_utime + kids.ru_stime:.2f}", file=sys.stderr)
    for who, use in (("process", resource.getrusage(resource.RUSAGE_SELF)), ("children", kids)):
        print(f"{who} user_s {use.ru_utime:.2f} sys_s {use.ru_stime:.2f} minor_faults {use.ru_minflt} "
              f"peak_rss_mb {use.ru_maxrss / 1024:.0f}", file=sys.stderr)
    print(f"wall_s {time.perf_counter() - START_WALL:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
