"""Whole drag-on flights flown straight into their pairs' rows (`trajectory.flight_rows`)."""

import numpy as np
import pytest

from shieldsim import missile as M
from shieldsim.earth import WGS84
from shieldsim.trajectory import Models
from shieldsim.trajectory.boosted import boosted_trajectories
from shieldsim.trajectory.flight_rows import FlightRows

DRAG = Models(WGS84, rotation=True, drag=True)


def test_rows_of_moves_the_kept_rows_to_the_front_in_place():
    """`FlightRows.rows_of` returns the kept rows' first m columns in order, as a C-contiguous view
    of the same memory (no new array), equal to fancy indexing of the rows before the move."""
    rng = np.random.default_rng(3)
    rows = FlightRows(7, 2.0)
    rows.reserve(10)
    rows.pos[:], rows.vel[:] = rng.normal(size=rows.pos.shape), rng.normal(size=rows.vel.shape)
    keep = np.array([0, 2, 3, 6])
    want_pos, want_vel = rows.pos[keep, :9].copy(), rows.vel[keep, :9].copy()
    base = rows.pos
    pos, vel = rows.rows_of(keep, 9)
    np.testing.assert_array_equal(pos, want_pos)
    np.testing.assert_array_equal(vel, want_vel)
    assert pos.flags["C_CONTIGUOUS"] and np.shares_memory(pos, base) and rows.pos is None
    with pytest.raises(ValueError, match="columns"):
        FlightRows(2, 2.0).rows_of(np.arange(2), 1)


def test_growing_rows_keeps_what_was_written_and_pads_it_with_nan():
    """A `reserve` past the columns there are grows every row by at least `_GROW` times: the
    columns written stay, the new ones are NaN (as after impact); a smaller one changes nothing."""
    rows = FlightRows(3, 2.0)
    rows.reserve(4)
    first = rows.columns
    rows.pos[:], rows.vel[:] = 1.0, 2.0
    rows.reserve(first - 1)
    assert rows.columns == first
    rows.reserve(first + 1)
    assert rows.columns >= 1.25 * first
    assert np.all(rows.pos[:, :first] == 1.0) and np.all(rows.vel[:, :first] == 2.0)
    assert np.all(np.isnan(rows.pos[:, first:])) and np.all(np.isnan(rows.vel[:, first:]))


def test_flights_flown_into_rows_are_the_flights_boosted_trajectories_flies():
    """Drag-on whole flights flown into rows of a `FlightRows` (pairs in any order, the rows too
    short at first, the free-flight bound probed or too short) hold, sample for sample, the flights
    `boosted_trajectories` flies into arrays of their own, NaN after impact; the `Aim` is the same
    but for its samples (none) and its time grid is as long."""
    cls = M.get("nodong")
    lat, lon = np.radians([33.0, -20.0, 50.0, 5.0]), np.radians([53.0, 10.0, -100.0, 170.0])
    head, kick, cut = np.radians([300.0, 10.0, 200.0, 95.0]), np.radians([4.0, 6.0, 8.0, 5.0]), np.array([0.6, 0.75, 0.9, 1.0])
    ref = boosted_trajectories(cls, lat, lon, head, kick, cut, DRAG, 0.0, 2.0)
    pairs = np.array([4, 1, 2, 5])
    for bound in (None, 100.0):
        rows = FlightRows(6, 2.0)
        rows.reserve(20)  # far too few columns: grown, the flights flown again
        a = boosted_trajectories(cls, lat, lon, head, kick, cut, DRAG, 0.0, 2.0, max_free_flight=bound,
                                 rows=(rows, pairs))
        assert a.position is None and a.time.size == ref.time.size
        np.testing.assert_array_equal(a.impact_time, ref.impact_time)
        np.testing.assert_array_equal(a.apogee_alt, ref.apogee_alt)
        m = ref.time.size
        for i, row in enumerate(pairs):
            np.testing.assert_array_equal(rows.pos[row, :m], ref.position[i])
            np.testing.assert_array_equal(rows.vel[row, :m], ref.velocity[i])
            assert np.all(np.isnan(rows.pos[row, m:]))
        pos, vel = rows.rows_of(np.sort(pairs), m)
        np.testing.assert_array_equal(pos, ref.position[np.argsort(pairs)])
        np.testing.assert_array_equal(vel, ref.velocity[np.argsort(pairs)])
