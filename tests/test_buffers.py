"""`buffers.empty`: pooled arrays are handed out again only once nothing views them."""

import numpy as np

from shieldsim import buffers


def _base(a):
    return a.base if a.base is not None else a


def test_a_buffer_is_reused_once_its_array_and_every_view_of_it_are_gone():
    buffers.clear()
    a = buffers.empty((600, 200, 3))
    assert a.shape == (600, 200, 3) and a.dtype == np.float64 and a.flags.c_contiguous
    base = id(_base(a))
    part = a[10:20]
    del a
    b = buffers.empty((600, 200, 3))
    assert id(_base(b)) != base  # a view of the first is still alive
    part[:] = 1.0
    assert not np.shares_memory(b, part)
    del part, b
    c = buffers.empty((500, 200, 3))  # fits the first buffer (and is at least half of it)
    assert c.shape == (500, 200, 3) and len({id(x) for x in buffers._pool[1:]}) == 2  # [0] is the probe


def test_live_arrays_never_share_memory_and_small_or_much_smaller_requests_get_their_own():
    buffers.clear()
    live = [buffers.empty((300, 200, 3)) for _ in range(4)]
    for i in range(4):
        for j in range(i):
            assert not np.shares_memory(live[i], live[j])
    del live
    small = buffers.empty((10, 3))
    assert small.base is None  # under MIN_BYTES: plain numpy
    half = buffers.empty((100, 200, 3))  # a free buffer exists but is more than twice the request
    assert all(_base(half) is not b for b in buffers._pool[:4])


def test_the_pool_keeps_at_most_its_bound(monkeypatch):
    buffers.clear()
    monkeypatch.setattr(buffers, "POOL_BYTES", 5 << 20)
    held = [buffers.empty((2 << 20) // 8) for _ in range(5)]
    assert buffers.pooled_bytes() <= 5 << 20
    assert all(h.shape == ((2 << 20) // 8,) for h in held)
    buffers.clear()


def test_an_array_a_compiled_kernel_returns_as_a_view_keeps_its_buffer_in_use():
    from numba import njit

    @njit
    def tail(a):
        return a[1:]

    buffers.clear()
    a = buffers.empty((300, 200, 3))
    kept = tail(a)
    del a
    b = buffers.empty((300, 200, 3))
    assert not np.shares_memory(b, kept)


def test_reserve_makes_room_for_that_many_batches_and_never_shrinks_the_pool(monkeypatch):
    monkeypatch.setattr(buffers, "POOL_BYTES", buffers.BATCH_BYTES)
    buffers.reserve(2)
    assert buffers.POOL_BYTES == 2 * buffers.BATCH_BYTES
    buffers.reserve(1)
    assert buffers.POOL_BYTES == 2 * buffers.BATCH_BYTES
