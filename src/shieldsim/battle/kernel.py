"""The compiled trial kernel and its random numbers (see the package docstring's "Randomness").

Layout exception (`_battle_kernel`): 17 parameters, over the ~12 of the house rule: the
fields of one `problem._Problem` plus the three output arrays. Its only caller is
`_simulate_range`, which passes them from the problem's named fields in one place; the arrays
differ in shape or dtype (a swap among them fails to compile), the three scalars
(``shots_per_engagement``, ``looks``, ``kill_assessment``) do not, which is why no other caller
is written.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .problem import _Problem


TRIAL_BLOCK = 128
"""Trials per random-number block (see the package docstring)."""


UNIFORM_BYTES = 64 * 2**20
"""Memory for the uniforms a kernel call consumes at once; a block of `TRIAL_BLOCK` trials of a
large raid is drawn in pieces (same numbers, see `_uniforms`)."""


_EPS = 1e-9  # s: tolerance for "window open at this instant"


@njit(cache=True, nogil=True, inline="always")
def _before(a, b, next_t, deadline):
    """Decision order: earlier time, then earlier deadline, then lower index (a total order:
    times are finite or +inf, deadlines finite or -inf, never NaN)."""
    if next_t[a] != next_t[b]:
        return next_t[a] < next_t[b]
    if deadline[a] != deadline[b]:
        return deadline[a] < deadline[b]
    return a < b


@njit(cache=True, nogil=True)
def _heap_push(heap, size, i, next_t, deadline):
    """Add threat i to the binary min-heap ``heap[:size]``; returns the new size."""
    k = size
    heap[k] = i
    while k > 0:
        parent = (k - 1) // 2
        if not _before(heap[k], heap[parent], next_t, deadline):
            break
        heap[k], heap[parent] = heap[parent], heap[k]
        k = parent
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(heap, size, next_t, deadline):
    """Remove the first threat of ``heap[:size]`` in decision order; returns it."""
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    k = 0
    while True:
        left = 2 * k + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and _before(heap[left + 1], heap[left], next_t, deadline):
            child = left + 1
        if not _before(heap[child], heap[k], next_t, deadline):
            break
        heap[k], heap[child] = heap[child], heap[k]
        k = child
    return top


@njit(cache=True, nogil=True)
def _battle_kernel(u, launch_time, le, ll, i_first, i_last, eng, sspk, inventory, deadline, aim_index,
                   shots_per_engagement, looks, kill_assessment, leakers, expended, threat_leaks):
    """Play T trials. u: (T, N, S) uniforms. Writes leakers (T, A), expended (T, B) and adds
    to threat_leaks (N,). See the package docstring for the rules. The threats awaiting a
    decision are kept in a binary heap in decision order, so a trial costs O(D (B + log N)) for
    D decisions, not O(D N)."""
    n_trials, n, n_shots = u.shape
    nb = sspk.shape[0]
    inv = np.empty(nb, dtype=np.int64)
    next_t = np.empty(n)
    used = np.empty(n, dtype=np.int64)
    nlooks = np.empty(n, dtype=np.int64)
    heap = np.empty(n, dtype=np.int64)
    for t in range(n_trials):
        for b in range(nb):
            inv[b] = inventory[b]
        size = 0
        for i in range(n):
            used[i] = 0
            nlooks[i] = 0
            first = np.inf
            for b in range(nb):
                if eng[i, b] and le[i, b] < first:
                    first = le[i, b]
            next_t[i] = launch_time[i] + first
            size = _heap_push(heap, size, i, next_t, deadline)
        while size > 0:
            # next decision: earliest time, then earliest deadline, then lowest index
            i = _heap_pop(heap, size, next_t, deadline)
            size -= 1
            s = next_t[i] - launch_time[i]
            best_b = -1
            best_int = np.inf
            opens = np.inf
            for b in range(nb):
                if not eng[i, b] or inv[b] <= 0:
                    continue
                if le[i, b] <= s + 1e-9 and s <= ll[i, b] + 1e-9:
                    span = ll[i, b] - le[i, b]
                    if span > 0:
                        frac = min(max((s - le[i, b]) / span, 0.0), 1.0)
                    else:
                        frac = 0.0
                    ti = i_first[i, b] + frac * (i_last[i, b] - i_first[i, b])
                    if ti < best_int:
                        best_int = ti
                        best_b = b
                elif le[i, b] > s and le[i, b] < opens:
                    opens = le[i, b]
            if best_b < 0:
                if opens < np.inf:
                    next_t[i] = launch_time[i] + opens
                    size = _heap_push(heap, size, i, next_t, deadline)
                else:
                    leakers[t, aim_index[i]] += 1
                    threat_leaks[i] += 1
                continue
            k = min(shots_per_engagement, inv[best_b])
            inv[best_b] -= k
            expended[t, best_b] += k
            killed = False
            for _ in range(k):
                if used[i] < n_shots and u[t, i, used[i]] < sspk[best_b]:
                    killed = True
                used[i] += 1
            nlooks[i] += 1
            if killed:
                continue
            if looks == 0 or nlooks[i] < looks:
                next_t[i] = launch_time[i] + best_int + kill_assessment
                size = _heap_push(heap, size, i, next_t, deadline)
            else:
                leakers[t, aim_index[i]] += 1
                threat_leaks[i] += 1


def _block_generator(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def _uniforms(seed: int, block: int, first: int, last: int, n: int, shots: int) -> np.ndarray:
    """(last - first, n, shots) uniforms of trials [first, last) of a block (offsets within the
    block). Shot-major draw: the number for (trial t, threat i, shot s) is draw number
    ``(s * TRIAL_BLOCK + t) * n + i`` of the block's generator, so it does not depend on how many
    shots the problem allows -- runs that differ only in doctrine or inventory share their random
    numbers (common random numbers across the points of a sweep). A whole block that fits in
    `UNIFORM_BYTES` is drawn at once; otherwise each shot's rows are reached by jumping the
    generator (``PCG64.advance``: one 64-bit output per double), giving the same numbers."""
    if first == 0 and last == TRIAL_BLOCK and shots * TRIAL_BLOCK * n * 8 <= UNIFORM_BYTES:
        u = _block_generator(seed, block).random((shots, TRIAL_BLOCK, n))
        return np.ascontiguousarray(u.transpose(1, 2, 0))
    u = np.empty((last - first, n, shots))
    for s in range(shots):
        gen = _block_generator(seed, block)
        gen.bit_generator.advance((s * TRIAL_BLOCK + first) * n)
        u[:, :, s] = gen.random((last - first, n))
    return u


def _simulate_range(problem: _Problem, bounds: tuple[int, int]) -> dict:
    """Trials [start, stop) of the problem -> dict of arrays (leakers, expended, threat_leaks)."""
    start, stop = bounds
    p = problem
    n, nb = p.le.shape
    t = stop - start
    leakers = np.zeros((t, p.n_aims), dtype=np.int32)
    expended = np.zeros((t, nb), dtype=np.int32)
    threat_leaks = np.zeros(n, dtype=np.int64)
    rows = max(1, min(TRIAL_BLOCK, UNIFORM_BYTES // max(1, p.max_shots * n * 8)))  # trials drawn at once
    lo = start
    while lo < stop:
        block = lo // TRIAL_BLOCK
        hi = min(stop, (block + 1) * TRIAL_BLOCK, lo + rows) if rows < TRIAL_BLOCK else \
            min(stop, (block + 1) * TRIAL_BLOCK)
        first = lo - block * TRIAL_BLOCK
        if rows == TRIAL_BLOCK:  # small raid: draw the whole block (cheaper than jumping), use a part
            u = _uniforms(p.seed, block, 0, TRIAL_BLOCK, n, p.max_shots)[first: first + hi - lo]
        else:
            u = _uniforms(p.seed, block, first, first + hi - lo, n, p.max_shots)
        _battle_kernel(np.ascontiguousarray(u), p.launch_time, p.le, p.ll, p.i_first, p.i_last, p.engageable,
                       p.sspk, p.inventory, p.deadline, p.aim_index, p.shots_per_engagement, p.looks,
                       p.kill_assessment, leakers[lo - start: hi - start], expended[lo - start: hi - start],
                       threat_leaks)
        lo = hi
    return {"leakers": leakers, "expended": expended, "threat_leaks": threat_leaks}
