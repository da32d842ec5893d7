"""Compiling the later kernels in a second process on a cold cache (`shieldsim.compile_ahead`):
when the helper starts, what it compiles, that the cache stays consistent with two writers, and
that nothing is left running."""

import contextlib
import subprocess
import sys
import time

import pytest
from numba import types

from shieldsim import compile_ahead as ca

CHEAP = ca.Kernel("shieldsim.engagement", "_heights", "f3 f f f2")
"""A planned kernel that compiles in a few seconds."""


def test_signature_tokens_give_c_contiguous_arrays_scalars_and_read_only_flags():
    got = ca.numba_types("f3 f1r i2 b1 f i b")
    assert got == (types.Array(types.float64, 3, "C"), types.Array(types.float64, 1, "C", readonly=True),
                   types.Array(types.int64, 2, "C"), types.Array(types.boolean, 1, "C"),
                   types.float64, types.int64, types.boolean)
    for bad in ("x2", "f2q", "fr"):
        with pytest.raises(ValueError, match=bad):
            ca.numba_types(bad)


def test_every_planned_signature_parses_and_names_a_cached_kernel():
    import importlib

    assert len({k.qualified for k in ca.PLAN + ca.AFTER}) == len(ca.PLAN + ca.AFTER)
    for kernel in ca.PLAN + ca.AFTER:
        dispatcher = getattr(importlib.import_module(kernel.module), kernel.name)
        assert dispatcher._cache.cache_path, kernel.qualified  # cache=True
        assert len(ca.numba_types(kernel.signature)) == dispatcher.py_func.__code__.co_argcount, kernel.qualified


def _index(folder, kernel):
    sub = folder / "sub"
    sub.mkdir(exist_ok=True)
    (sub / f"{kernel.module.rsplit('.', 1)[-1]}.{kernel.name}-12.py311.nbi").write_bytes(b"")


def test_helper_starts_only_on_a_writable_cache_folder_lacking_a_planned_kernel(tmp_path, monkeypatch):
    monkeypatch.delenv(ca.ENV_SWITCH, raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    plan = ca.PLAN[:3]
    assert ca.should_start(None, plan) == tmp_path  # cold: nothing compiled yet
    _index(tmp_path, plan[0])
    _index(tmp_path, plan[1])
    assert ca.should_start(None, plan) == tmp_path  # one planned kernel still missing
    _index(tmp_path, plan[2])
    assert ca.should_start(None, plan) is None  # warm
    assert ca.should_start(None, plan, ca.AFTER) == tmp_path  # a kernel to compile after the plan missing
    _index(tmp_path, ca.AFTER[0])
    assert ca.should_start(None, plan, ca.AFTER) is None
    assert ca.should_start(None, plan[:1] + (CHEAP,)) == tmp_path


def test_helper_does_not_start_when_switched_off_with_workers_or_without_a_writable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(ca.ENV_SWITCH, "0")
    assert ca.should_start(None) is None
    monkeypatch.setenv(ca.ENV_SWITCH, "1")
    assert ca.should_start(2) is None  # Dask workers compile in their own processes
    assert ca.should_start(None) == tmp_path
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "file" / "cache"))  # cannot be made
    assert ca.should_start(None) is None
    monkeypatch.delenv("NUMBA_CACHE_DIR")  # Numba's own locations: shieldsim could not make its folder
    assert ca.should_start(None) is None
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ca, "_hooks_available", lambda: False)  # not POSIX, or a Numba without the methods
    assert ca.should_start(None) is None


_WRITER = """
import os, sys, time
from numba.core.caching import IndexDataCacheFile
from shieldsim.compile_ahead import _lock_cache_saves
_lock_cache_saves()
folder, tag, go = sys.argv[1:]
f = IndexDataCacheFile(cache_path=folder, filename_base="k", source_stamp=1)
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(150):
    f.save((tag, i), (tag, i))
"""


def test_two_processes_adding_entries_to_one_cache_index_lose_none_with_the_lock(tmp_path):
    # Without the lock, about one entry in twenty is lost or points at the other's data.
    from numba.core.caching import IndexDataCacheFile

    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag, str(go)]) for tag in "AB"]
    time.sleep(3)  # both have imported Numba
    go.write_text("")
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    f = IndexDataCacheFile(cache_path=str(tmp_path), filename_base="k", source_stamp=1)
    keys = [(tag, i) for tag in "AB" for i in range(150)]
    assert [f.load(k) for k in keys] == keys


def test_helper_compiles_the_plan_into_the_cache_reports_it_and_ends(tmp_path, monkeypatch):
    monkeypatch.delenv(ca.ENV_SWITCH, raising=False)
    with ca.Ahead((CHEAP,), tmp_path) as helper:
        process = helper.process
        assert helper.blocks_concurrency  # it takes the second core
        assert helper.poll(120) == f"done {CHEAP.qualified}"  # the helper claims it first (this process needs nothing)
        assert helper.done == {CHEAP.qualified}
        helper.wait_for(CHEAP.qualified)  # compiled: returns at once
        helper.wait_for("shieldsim.kepler._elements_batch")  # not planned: returns at once
    assert process.poll() is not None
    assert list(tmp_path.rglob("engagement._heights-*.nbi")) and list(tmp_path.rglob("engagement._heights-*.nbc"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert ca.should_start(None, (CHEAP,)) is None  # the next run finds it warm


def test_helper_is_stopped_when_the_command_fails(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with ca.Ahead(ca.PLAN, tmp_path) as helper:
            process = helper.process
            raise KeyboardInterrupt
    assert process.wait(timeout=20) is not None


def test_helper_exits_by_itself_when_its_parent_goes_away(tmp_path):
    helper = ca.Ahead(ca.PLAN, tmp_path)
    try:
        helper.process.stdin.close()  # what the end of the parent process does
        assert helper.process.wait(timeout=60) == 0
    finally:
        helper.close()


def test_waiting_for_a_kernel_gives_up_when_the_helper_dies(tmp_path):
    with ca.Ahead(ca.PLAN, tmp_path) as helper:
        name = ca.PLAN[0].qualified
        (helper.claims / name).write_text(str(helper.process.pid))  # as the helper claims it, before dying
        helper.process.kill()
        helper.process.wait()
        start = time.monotonic()
        assert not ca.wait_done(helper.claims, name)  # returns instead of waiting forever
        assert time.monotonic() - start < 5 and name not in helper.done


def test_a_kernel_is_claimed_once_and_an_unwritable_claims_folder_lets_both_compile(tmp_path):
    assert ca.claim(tmp_path, "m.k")
    assert ca.claim(tmp_path, "m.k")  # the same process again: still its own
    (tmp_path / "m.j").write_text("1")  # another process's claim
    assert not ca.claim(tmp_path, "m.j")
    assert ca.claim(tmp_path, "m.other")
    assert ca.claim(tmp_path / "gone", "m.k")  # no folder: compile here rather than wait


def test_the_helper_skips_what_the_command_claimed_and_goes_on_with_the_plan(tmp_path):
    other = ca.Kernel("shieldsim.kepler", "_elements_batch", "f2 f2 f f2")
    with ca.Ahead((other, CHEAP), tmp_path) as helper:
        assert ca.claim(helper.claims, other.qualified)  # what wait_for does when the command needs it first
        reports = []
        while len(reports) < 2:
            line = helper.process.stdout.readline().decode().split()
            assert line, "the helper ended early"
            reports.append(tuple(line))
    assert reports == [("skipped", other.qualified), ("done", CHEAP.qualified)]
    assert list(tmp_path.rglob("engagement._heights-*.nbi")) and not list(tmp_path.rglob("kepler._elements*.nbi"))


_NEEDS_HEIGHTS = """
import numpy as np
from shieldsim import compile_ahead as ca, engagement
with ca.cache_saves_locked():
    engagement._heights(np.zeros((2, 3, 3)), 6378137.0, 1 / 298.257, np.empty((2, 3)))
print(sum(engagement._heights._cache_hits.values()), sum(engagement._heights._cache_misses.values()))
"""

_COMPILE_HEIGHTS = """
import sys
from pathlib import Path
from shieldsim import compile_ahead as ca, engagement
engagement._heights.compile(ca.numba_types("f3 f f f2"))
ca.mark_done(Path(sys.argv[1]), "shieldsim.engagement._heights")
"""


def test_a_process_needing_a_kernel_another_compiles_compiles_the_next_unclaimed_ones_meanwhile(tmp_path):
    import os
    import threading

    other = ca.Kernel("shieldsim.kepler", "_elements_batch", "f2 f2 f f2")
    (tmp_path / other.qualified).write_text(str(os.getppid()))  # a live process is compiling it
    sharing = ca._Sharing(tmp_path, (other, CHEAP))
    try:
        threading.Timer(3.0, ca.mark_done, (tmp_path, other.qualified)).start()
        sharing.before_lookup(other.qualified)  # returns once the owner says it is done
    finally:
        sharing.close()
    assert (tmp_path / CHEAP.qualified).read_text() == str(os.getpid())  # claimed and compiled here meanwhile
    assert (tmp_path / f"{CHEAP.qualified}{ca.DONE_SUFFIX}").exists()
    assert [name for name, _ in sharing.waits] == [other.qualified] and sharing.waits[0][1] >= 2.5


def test_a_process_of_the_run_waits_for_a_kernel_another_claimed_and_loads_it_from_the_cache(tmp_path):
    import os

    claims, cache = tmp_path / "claims", tmp_path / "cache"
    claims.mkdir()
    assert ca.claim(claims, CHEAP.qualified)  # this process owns it
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), **{ca.CLAIMS_ENV: str(claims)})
    needs = subprocess.Popen([sys.executable, "-c", _NEEDS_HEIGHTS], env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(5)
    assert needs.poll() is None  # waiting for the owner
    subprocess.run([sys.executable, "-c", _COMPILE_HEIGHTS, str(claims)], env=env, check=True, timeout=300)
    out, _ = needs.communicate(timeout=120)
    assert out.split() == ["1", "0"]  # one cache hit, nothing compiled


def test_a_helper_for_after_kernels_alone_runs_at_idle_priority_and_leaves_the_command_concurrent(tmp_path,
                                                                                                  monkeypatch):
    import os

    monkeypatch.delenv(ca.ENV_SWITCH, raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    for kernel in ca.PLAN:
        _index(tmp_path, kernel)
    with ca.ahead(None) as helper:
        assert helper.process is not None and not helper.blocks_concurrency and helper.plan == ()
        deadline = time.monotonic() + 60
        while os.sched_getscheduler(helper.process.pid) != os.SCHED_IDLE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.sched_getscheduler(helper.process.pid) == os.SCHED_IDLE
    with ca.ahead(None, after=()) as helper:  # nothing missing: no helper
        assert helper.process is None and not helper.blocks_concurrency


def test_after_a_plan_the_helper_compiles_after_kernels_at_its_normal_priority(tmp_path, monkeypatch):
    """A cold run: the plan, then `AFTER` kernels without lowering the helper's priority (at idle
    priority a cold `assess` left the boost lanes too few idle seconds to reach the cache)."""
    import os

    monkeypatch.delenv(ca.ENV_SWITCH, raising=False)
    after = ca.Kernel("shieldsim.kepler", "_elements_batch", "f2 f2 f f2")  # (any kernel the helper knows)
    with ca.Ahead((CHEAP,), tmp_path, (after,)) as helper:
        assert ca.AFTER_MARK in helper.process.args and ca.IDLE_MARK not in helper.process.args
        assert helper.poll(120) == f"done {CHEAP.qualified}"
        policies = set()
        while helper.process.poll() is None:  # compiling the after kernel
            with contextlib.suppress(ProcessLookupError):
                policies.add(os.sched_getscheduler(helper.process.pid))
            time.sleep(0.02)
        assert helper.poll(1) == f"done {after.qualified}"
        assert os.SCHED_IDLE not in policies and policies
    assert list(tmp_path.rglob("kepler._elements_batch-*.nbi"))


def test_the_tokens_of_cache_hits_are_what_numba_types_a_call_with(tmp_path):
    import numpy as np

    from shieldsim import engagement

    pos, alt = np.zeros((2, 3, 3)), np.empty((2, 3))
    engagement._heights(pos, 6378137.0, 1 / 298.257, alt)
    assert ca.numba_types(CHEAP.signature) in engagement._heights.signatures


@pytest.mark.slow
def test_a_coarse_assess_calls_every_planned_kernel_with_its_planned_signature(tmp_path, monkeypatch):
    import importlib

    from shieldsim.cli import main

    monkeypatch.setenv(ca.ENV_SWITCH, "0")
    with pytest.raises(SystemExit) as ex:  # serial, as assess runs while the compile helper works
        main(["assess", "--grid-deg", "10", "--no-claims", "--serial", "--out", str(tmp_path / "r"), "--no-progress"])
    assert ex.value.code == 0
    called = 0
    for kernel in ca.PLAN:  # a few (the family fit) only run on finer grids: the default's signatures are the plan's
        dispatcher = getattr(importlib.import_module(kernel.module), kernel.name)
        if dispatcher.signatures:
            called += 1
            assert ca.numba_types(kernel.signature) in dispatcher.signatures, (kernel.qualified, dispatcher.signatures)
    assert called >= len(ca.PLAN) - 3


def test_cache_saves_are_locked_inside_the_block_and_restored_after():
    from numba.core.caching import IndexDataCacheFile

    original = IndexDataCacheFile.save
    with ca.cache_saves_locked():
        assert IndexDataCacheFile.save is not original
        assert IndexDataCacheFile.save.__wrapped__ is original
    assert IndexDataCacheFile.save is original
