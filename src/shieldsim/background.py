"""A second process that helps this one: `background` runs one piece of work in a spawned child
while the caller works on, and lends the child, once done, to the caller's further work
(`HelpedExecutor`: the two processes take a list's items from its two ends, each item once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .parallel import Executor, InProcessExecutor


class _Ends:
    """Two processes taking the items of a list from its two ends, each item once: the parent from
    the front, `background`'s child from the back. ``state`` (shared memory and its lock): the
    list's round (each list a new one), the items taken from the front, from the back."""

    def __init__(self, ctx):
        self.state = ctx.Array("q", 3)

    def start(self) -> int:
        """A new list: nothing taken; returns its round."""
        with self.state.get_lock():
            self.state[0] += 1
            self.state[1] = self.state[2] = 0
            return self.state[0]

    def take(self, round_: int, n: int, back: bool) -> int | None:
        """The index of the next item of round ``round_`` (``n`` items) from the front or the
        back, or None when every item is taken or another list has started."""
        with self.state.get_lock():
            front, behind = self.state[1], self.state[2]
            if self.state[0] != round_ or front + behind >= n:
                return None
            self.state[2 if back else 1] += 1
            return n - 1 - behind if back else front


_ENDS: _Ends | None = None
"""In `background`'s child: the `_Ends` it shares with its parent."""


def _child_init(ends: _Ends) -> None:
    """Initializer of `background`'s child: Ctrl-C is the parent's (it ends the child); keeps `_Ends`;
    leaves without the interpreter's teardown (`_quick_exit`)."""
    import atexit
    import signal

    global _ENDS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _ENDS = ends
    atexit.register(_quick_exit)  # after the handlers of everything the work imports (last in, first out)


def _quick_exit() -> None:
    """End the child at once when it exits. Its work is done and sent back (the pool's worker loop
    has returned, the worker has run multiprocessing's exit function), the exit handlers of
    everything its work imported have run (registered after this one, they run before it) and
    its files are closed; only handlers registered before the initializer are skipped (the
    standard library's, e.g. logging's flush, after which streams are flushed here). What is left
    of the interpreter's teardown (freeing every module and array, ~0.7 CPU s with Numba and
    matplotlib loaded) would only delay the caller waiting for the child's exit."""
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream: nothing to keep
            pass
    os._exit(0)


def _from_back(payload: bytes, n: int, round_: int) -> dict:
    """In `background`'s child: ``{i: fn(items[i])}`` of the items of round ``round_`` it takes
    from the back; ``payload``, ``pickle.dumps((fn, items))``, is read only if it takes one."""
    import pickle

    out: dict = {}
    fn = items = None
    while (i := _ENDS.take(round_, n, back=True)) is not None:
        if fn is None:
            fn, items = pickle.loads(payload)
        out[i] = fn(items[i])
    return out


class HelpedExecutor(Executor):
    """Runs items here from the front of the list while `background`'s child, once done with its
    earlier work, takes them from the back; each item runs once, in one process or the other
    (``fn``: picklable, the same value in both). Made by `Background.executor`."""

    name = "in-process, helped by the second process"

    def __init__(self, background: Background, wrap: Callable | None = None):
        self._bg, self._wrap = background, wrap

    def as_completed(self, fn, items):
        import pickle
        from functools import partial

        items = list(items)
        if not items:
            return
        there = partial(self._wrap, fn) if self._wrap is not None else fn  # wrap(fn, item) in the child
        try:
            payload = pickle.dumps((there, items))
        except Exception:  # something that cannot cross to another process: all of it here
            yield from InProcessExecutor().as_completed(fn, items)
            return
        ends = self._bg.ends
        round_ = ends.start()
        helped = self._bg.submit(_from_back, payload, len(items), round_)
        while (i := ends.take(round_, len(items), back=False)) is not None:
            yield i, fn(items[i])
        if ends.state[2]:  # the child took some (it takes no more now): wait for them
            yield from helped().items()


class Background:
    """The running child of `background`: calling it returns the value of its main work (see
    there; given to `background` or later to `start`); `executor` lends the child to further work."""

    def __init__(self, pool, ends: _Ends, name: str):
        self.pool, self.ends, self.name = pool, ends, name
        self.futures: list = []
        self._main = None

    def submit(self, fn: Callable, *args) -> Callable[[], Any]:
        """Queue ``fn(*args)`` after the child's earlier work; returns its ``result()``."""
        self.futures.append(future := self.pool.submit(fn, *args))
        return lambda: self._result(future)

    def start(self, fn: Callable, *args) -> Background:
        """Queue the main work ``fn(*args)`` (whose value calling this object returns)."""
        if self._main is not None:
            raise RuntimeError("the second process already has its main work")
        self.name = getattr(fn, "__name__", "work")
        self._main = self.submit(fn, *args)
        return self

    def _result(self, future):
        import concurrent.futures as cf

        try:
            return future.result()
        except cf.process.BrokenProcessPool as err:
            raise RuntimeError(f"the second process ({self.name}) stopped unexpectedly") from err
        except BaseException as err:
            raise err.with_traceback(None) from None

    def __call__(self):
        if self._main is None:
            raise RuntimeError("the second process was given no main work")
        return self._main()

    def executor(self, wrap: Callable | None = None) -> HelpedExecutor:
        """A `HelpedExecutor` lending the child to further work; it computes ``wrap(fn, item)`` if given."""
        return HelpedExecutor(self, wrap)


@contextmanager
def background(fn: Callable | None = None, *args, prepare: Callable | None = None) -> Iterator[Background]:
    """Run ``fn(*args)`` in one child process while the caller works on; yields a `Background`:
    ``result()`` waits for the child and returns ``fn``'s value or raises its exception (pickled
    back, without the child's traceback, so an error reads as it would have in this process);
    ``result.executor()`` lets the child, once done, help with the caller's further work.

    Without ``fn`` the child starts now and gets its main work later (`Background.start`);
    ``prepare()`` (picklable, e.g. importing what the work needs) runs there at once, so the
    child's start-up overlaps the caller's own (a spawned interpreter importing shieldsim takes
    ~2 s of CPU).

    The child is *spawned*, not forked (Numba's worker threads do not survive a fork); it imports
    shieldsim afresh and inherits the environment, so it reads Numba's kernels from the same cache
    (``NUMBA_CACHE_DIR``). It ignores Ctrl-C; leaving the block before its work is done (an
    error, Ctrl-C here, work lent by `Background.executor` that nobody needed) terminates it, so
    no child outlives the caller; leaving it otherwise waits for the child's exit, which skips
    the interpreter's teardown (`_quick_exit`). ``fn`` must be a top-level function and ``fn``
    and ``args`` picklable."""
    import concurrent.futures as cf
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    ends = _Ends(ctx)
    pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_child_init, initargs=(ends,))
    bg = Background(pool, ends, "start-up")
    try:
        if prepare is not None:
            bg.submit(prepare)
        if fn is not None:
            bg.start(fn, *args)
        yield bg
    finally:
        if any(not f.done() for f in bg.futures):
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
