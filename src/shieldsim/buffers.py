"""Large float arrays on memory the process has already touched (`empty`).

On the virtual machines this project is measured on, the first write to a page of memory the
process has not touched before (or has given back to the kernel) costs tens of microseconds: the
~40 MB of samples of a batch of aimed flights cost more to write into fresh arrays than to
compute (docs/performance.md, "Fresh memory is expensive on this machine"). The C library gives
large freed blocks back to the kernel, so every batch pays again. `empty` hands out views of
buffers kept in a process-wide pool instead: a buffer is handed out again only once no array
viewing it is left (its reference count is the pool's own), so an array `empty` returned stays
valid for as long as anything holds it, exactly like one from ``numpy.empty``. The pool's first
entry is a probe that is never handed out: a buffer is free when its reference count is the
probe's, read the same way (so the test does not depend on how a Python version counts the
references of a loop variable).

The pool keeps at most `POOL_BYTES` of buffers (in use or free; the oldest are forgotten first,
which frees them once their last view goes) and hands a request the smallest free buffer that
holds it, if that is at most twice the request. Arrays under `MIN_BYTES` come from
``numpy.empty`` (the C library reuses small blocks itself). Thread-safe (one lock).

Assumption: callers write every element they later read, as with ``numpy.empty``.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

BATCH_BYTES = 96 << 20
"""Bytes of buffers one coverage batch in flight needs (96 MiB: the samples of about one large batch)."""

POOL_BYTES = BATCH_BYTES
"""Most bytes of buffers the pool keeps (one batch's, or more after `reserve`)."""

MIN_BYTES = 1 << 20
"""Arrays smaller than this (1 MiB) are not pooled."""

_lock = threading.Lock()
_pool: list[np.ndarray] = [np.empty(0)]
"""The pool; ``_pool[0]`` is the probe (held by this list alone, as a free buffer is)."""


def empty(shape) -> np.ndarray:
    """An uninitialised C-contiguous float64 array of ``shape`` (a tuple of ints), like
    ``numpy.empty(shape)``, on pooled memory when it is at least `MIN_BYTES`."""
    shape = tuple(int(s) for s in np.atleast_1d(shape)) if not isinstance(shape, tuple) else shape
    size = math.prod(shape)
    if size * 8 < MIN_BYTES:
        return np.empty(shape)
    with _lock:
        best, free_refs = None, None
        for buf in _pool:
            refs = sys.getrefcount(buf)
            if free_refs is None:  # the probe, first
                free_refs = refs
            elif size <= buf.size <= 2 * size and refs <= free_refs and (best is None or buf.size < best.size):
                best = buf
        if best is None:
            best = np.empty(size)
            while len(_pool) > 1 and sum(b.nbytes for b in _pool) + best.nbytes > POOL_BYTES:
                _pool.pop(1)
            if best.nbytes <= POOL_BYTES:
                _pool.append(best)
        return best[:size].reshape(shape)


def reserve(batches: int) -> None:
    """Let the pool keep the buffers of ``batches`` coverage batches in flight at once
    (`POOL_BYTES` raised to ``batches`` x `BATCH_BYTES`, never lowered): with two batches on two
    threads (`parallel.batch_executor`) a one-batch pool drops one thread's buffers for the
    other's, and every batch pays fresh memory again (measured: 4-12 k minor page faults and
    ~0.4 s of system CPU a default coverage, against none)."""
    global POOL_BYTES
    with _lock:
        POOL_BYTES = max(POOL_BYTES, int(batches) * BATCH_BYTES)


def pooled_bytes() -> int:
    """Bytes of the buffers the pool keeps now (in use or free)."""
    with _lock:
        return sum(b.nbytes for b in _pool)


def clear() -> None:
    """Forget every buffer (those still viewed stay valid for their holders)."""
    with _lock:
        del _pool[1:]
