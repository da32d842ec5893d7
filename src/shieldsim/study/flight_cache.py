"""Aimed flights shared by content between the sections of one run (`FlightCache`).

An assessment aims the same flights more than once: every deterrent flight shape first flies the
pair's minimum-energy flight (`deterrent_study._fly_fraction_of_min_energy`), the claims ledger
flies the deterrent scenario and the coverage scenarios again under each assumption profile, and
a profile that changes only radar cross-sections changes no trajectory. `study.fly` looks its
flights up in the cache made current by `sharing` (none outside it: every call aims afresh), by
what determines them -- the class's flight parameters (its radar cross-sections left out: they
only label the result), the models, shape, apogee, sample step, the unreachable rule and the
launch and aim points, compared exactly -- and returns the stored flights with the cross-sections
of the class asked for, exactly as `trajectory.aim` would have produced them.

The cache belongs to the run that makes it (`assess`, or the process running ensemble members:
`ensemble.MEMBER_FLIGHTS`); it holds at most ``max_bytes`` of flights,
dropping the least recently used first.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections import OrderedDict
from contextvars import ContextVar

import numpy as np

DEFAULT_MAX_BYTES = 1 << 30
"""Default bound of a `FlightCache`: 1 GiB of trajectory arrays."""


def _array_key(x) -> tuple | None:
    if x is None:
        return None
    a = np.ascontiguousarray(np.asarray(x, dtype=float))
    return a.shape, a.tobytes()


def _nbytes(traj) -> int:
    return sum(v.nbytes for v in vars(traj).values() if isinstance(v, np.ndarray))


def flight_missile(missile):
    """The part of a threat class that shapes its flights: the class with its radar
    cross-sections set to zero (they are copied onto the trajectories, nothing more)."""
    return dataclasses.replace(missile, rcs=0.0, body_rcs=0.0)


class FlightCache:
    """Aimed flights (`trajectory.Aim`, or the `trajectory.AimError` of a batch that cannot be
    flown) by content (see the module docstring), least recently used first, at most
    ``max_bytes`` of arrays; ``hits`` and ``misses`` count the look-ups."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    @staticmethod
    def key(missile, models, kind, apogee, step, unreachable, lat, lon, target_lat, target_lon) -> tuple:
        """The content key of one `trajectory.aim` call (see the module docstring)."""
        return (flight_missile(missile), models, kind, _array_key(apogee), float(step), unreachable,
                _array_key(lat), _array_key(lon), _array_key(target_lat), _array_key(target_lon))

    def get(self, key, missile):
        """The stored flights of ``key`` relabelled with ``missile``'s cross-sections (a new
        object), or None. A stored `AimError` is raised."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        value = item[0]
        if isinstance(value, Exception):
            raise value
        return _relabel(value, missile)

    def put(self, key, value) -> None:
        """Store flights (or the error of a batch that cannot be flown); entries larger than a
        quarter of the bound are not kept."""
        size = 0 if isinstance(value, Exception) else _nbytes(value)
        if size > self.max_bytes // 4 or key in self._items:
            return
        self._items[key] = (copy.copy(value), size)
        self._bytes += size
        while self._bytes > self.max_bytes and self._items:
            _, (_, s) = self._items.popitem(last=False)
            self._bytes -= s

    def __len__(self) -> int:
        return len(self._items)


def _relabel(traj, missile):
    """A shallow copy of ``traj`` with the cross-sections `trajectory.aim` gives ``missile``."""
    out = copy.copy(traj)
    n = len(traj)
    out.rcs = np.full(n, float(missile.rcs))
    if traj.body_rcs is not None:
        out.body_rcs = np.full(n, max(float(missile.body_rcs), float(missile.rcs)))
    return out


_CURRENT: ContextVar[FlightCache | None] = ContextVar("shieldsim_flight_cache", default=None)


def current() -> FlightCache | None:
    """The cache made current by `sharing`, or None."""
    return _CURRENT.get()


@contextlib.contextmanager
def sharing(cache: FlightCache | None = None):
    """Within the block, `study.fly` shares flights through ``cache`` (by default the cache
    already current, else a new `FlightCache`, so a run inside an ensemble member keeps using
    the member's cache); yields the cache."""
    cache = cache if cache is not None else (current() or FlightCache())
    token = _CURRENT.set(cache)
    try:
        yield cache
    finally:
        _CURRENT.reset(token)
