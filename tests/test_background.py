"""A second process that helps this one (`shieldsim.background`)."""

from __future__ import annotations

import math
import os
import time

import pytest

from shieldsim.background import background


def test_background_returns_the_child_result():
    with background(math.factorial, 6) as result:
        assert result() == 720


def test_background_raises_the_child_error_without_its_remote_traceback():
    with background(int, "not a number") as result:
        with pytest.raises(ValueError, match="not a number") as ex:
            result()
    assert ex.value.__cause__ is None and ex.value.__suppress_context__


def test_background_ends_its_child_when_the_caller_leaves_early():
    import multiprocessing

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with background(time.sleep, 60):
            assert len(multiprocessing.active_children()) == 1
            raise KeyboardInterrupt  # what Ctrl-C raises in the caller
    assert time.monotonic() - t0 < 30 and multiprocessing.active_children() == []


def _slow_double_and_pid(x):
    time.sleep(0.1)
    return 2 * x, os.getpid()


def _negated(fn, item):
    value, pid = fn(item)
    return -value, pid


def test_helped_executor_runs_every_item_once_here_or_in_the_child_once_it_is_free():
    with background(time.sleep, 0.5) as result:
        ex = result.executor()
        first = dict(ex.as_completed(_slow_double_and_pid, range(30)))  # the child joins after its sleep
        assert result() is None
        second = dict(result.executor(wrap=_negated).as_completed(_slow_double_and_pid, range(20, 50)))
    for out, items in ((first, range(30)), (second, range(20, 50))):
        assert sorted(out) == list(range(len(items)))
        here = {i for i, (_, pid) in out.items() if pid == os.getpid()}
        assert 0 in here and len(items) - 1 not in here  # the front here, the back there
        assert here == set(range(len(here)))
    assert [v for v, _ in first.values()] == [2 * i for i in first]
    assert all(v == (2 * (20 + i) if pid == os.getpid() else -2 * (20 + i)) for i, (v, pid) in second.items())
    import multiprocessing

    assert multiprocessing.active_children() == []


def _modules_loaded(names):
    import sys

    return [n for n in names if n in sys.modules]


def _import_json_decoder():
    import json.decoder  # noqa: F401


def test_a_child_started_ahead_prepares_first_and_runs_its_main_work_when_given():
    import multiprocessing

    with background(prepare=_import_json_decoder) as child:
        assert len(multiprocessing.active_children()) == 1  # started before it has its main work
        with pytest.raises(RuntimeError, match="no main work"):
            child()
        child.start(_modules_loaded, ["json.decoder"])
        assert child() == ["json.decoder"]  # prepared first, in the same process
        with pytest.raises(RuntimeError, match="already has its main work"):
            child.start(math.factorial, 3)
    assert multiprocessing.active_children() == []


def _exit_code_and_pid():
    return os.getpid()


def test_the_child_exits_with_code_zero_once_its_work_is_done():
    """The child leaves through `_quick_exit` (no interpreter teardown): cleanly, code 0."""
    import multiprocessing

    with background(_exit_code_and_pid) as child:
        pid = child()
        procs = list(child.pool._processes.values())
    assert [p.pid for p in procs] == [pid] and [p.exitcode for p in procs] == [0]
    assert multiprocessing.active_children() == []
