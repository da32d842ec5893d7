"""Whole sampled flights of `aim`'s pairs written straight into their rows of one array.

Drag-on `aim` measures most pairs' miss on the whole sampled flight it returns
(`boosted.whole_and_vacuum`). Written into fresh arrays per batch and gathered into the result
afterwards, every sample was written twice into memory touched for the first time, which on
this project's machines costs more than computing it (docs/performance.md, "Fresh memory is
expensive"). `FlightRows` holds one (N, M, 3) array of positions and one of velocities, row i
for pair i: each whole flight is flown into its pair's row (`kernels._fly_into_rows`; a later
flight of the same pair overwrites it), and the rows of the pairs returned are moved to the
front in place at the end (`rows_of`), so each sample is written into fresh memory once.

Positions are Earth-fixed (m), velocities Earth-relative (m/s), on the grid of ``step`` s from
launch; NaN after impact.
"""

from __future__ import annotations

import math

import numpy as np

from .kernels import _compact_rows

_MARGIN = 8  # columns added to a first request, and the least growth of a later one
_GROW = 1.25  # a request past the columns there are grows them by at least this factor


class FlightRows:
    """Room for the whole sampled flights of ``n`` pairs on the grid of ``step`` s.

    Attributes: step: the grid step, s; pos, vel: (n, M, 3) arrays (None until the first
    `reserve`); M grows when a request needs more columns (the written rows copied over, their
    new columns NaN)."""

    def __init__(self, n: int, step: float):
        self.n = int(n)
        self.step = float(step)
        self.pos: np.ndarray | None = None
        self.vel: np.ndarray | None = None

    @property
    def columns(self) -> int:
        """Columns (grid points) each row has now (0 before the first `reserve`)."""
        return 0 if self.pos is None else self.pos.shape[1]

    def reserve(self, columns: int) -> None:
        """At least ``columns`` columns in every row: the first call allocates (with a margin of
        `_MARGIN`), a later larger one grows the arrays by at least `_GROW` times, keeping every
        row's columns and filling the new ones with NaN (rows end in NaN after impact)."""
        have = self.columns
        if columns <= have:
            return
        if self.pos is None:
            m = columns + _MARGIN
            self.pos, self.vel = np.empty((self.n, m, 3)), np.empty((self.n, m, 3))
            return
        m = max(columns + _MARGIN, int(math.ceil(_GROW * have)))
        for name in ("pos", "vel"):
            old = getattr(self, name)
            new = np.empty((self.n, m, 3))
            new[:, :have] = old
            new[:, have:] = np.nan
            setattr(self, name, new)

    def into(self, rows, j0, bpos, bvel) -> tuple:
        """The ``into`` argument of `flight.fly_states` that writes the flights of the pairs ``rows``
        (k,) (free flights from grid point j0 (k,), boost samples bpos, bvel (k, K, 3)) into their
        rows."""
        return (np.ascontiguousarray(rows, dtype=np.int64), np.ascontiguousarray(j0, dtype=np.int64),
                bpos, bvel, self.pos, self.vel)

    def rows_of(self, keep, m: int):
        """The rows ``keep`` (increasing pair indices, each written) and their first ``m`` columns
        (m <= `columns`), as C-contiguous (keep.size, m, 3) positions and velocities: moved to the
        front of the arrays in place (`kernels._compact_rows`), so the arrays are spent (the
        returned views keep them alive)."""
        keep = np.ascontiguousarray(keep, dtype=np.int64)
        if m > self.columns:
            raise ValueError(f"{m} columns asked of rows that have {self.columns}")
        _compact_rows(self.pos, self.vel, keep, int(m))
        size = keep.size * m * 3
        pos = self.pos.reshape(-1)[:size].reshape(keep.size, m, 3)
        vel = self.vel.reshape(-1)[:size].reshape(keep.size, m, 3)
        self.pos = self.vel = None
        return pos, vel
