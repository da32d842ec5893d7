"""`trajectory.family`: coordinates, cells and the local cubic fit of a family of flights (the
aiming that uses them is proved in test_aiming.py)."""

import math

import numpy as np
import pytest

from shieldsim.trajectory.family import MAX_CONDITION, _condition_verdicts, cells, local_cubic, log_polar, row_ranks


def cubic(xy):
    """Three cubic polynomials of the plane (columns)."""
    x, y = xy[:, 0], xy[:, 1]
    return np.stack([1.0 + 2 * x - y + 0.5 * x * y - 0.3 * x ** 3, y ** 3 - 2 * x * x * y,
                     0.1 * x * y * y + 4 * y * y - x], axis=1)


def quadratic(xy):
    """Two quadratic polynomials of the plane (columns)."""
    x, y = xy[:, 0], xy[:, 1]
    return np.stack([1.0 + 2 * x - y + 0.5 * x * y - 0.3 * x * x, y * y - 2 * x], axis=1)


def test_local_cubic_reproduces_a_cubic_from_scattered_neighbours():
    rng = np.random.default_rng(3)
    src = rng.uniform(-1, 1, (300, 2))
    query = rng.uniform(-0.8, 0.8, (50, 2))
    fit, near, degree = local_cubic(src, cubic(src), query, 0.12)
    assert np.all(degree == 3) and np.allclose(fit, cubic(query), rtol=0, atol=1e-8), np.abs(fit - cubic(query)).max()
    d = np.hypot(*(src[near] - query).T)
    assert np.allclose(d, np.min(np.hypot(*(src[None, :, :] - query[:, None, :]).transpose(2, 0, 1)), axis=1))


def test_local_fit_drops_to_the_degree_its_sources_determine():
    t = np.linspace(0, 1, 40)
    src = np.stack([t, 2 * t], axis=1)  # every source on one line: the normal matrix is singular
    q = np.array([[0.505, 1.01]])
    fit, _, degree = local_cubic(src, 1.0 + 3 * src - src[:, ::-1], q, 0.05)
    assert degree[0] == 0 and np.all(np.isfinite(fit))  # nothing is determined: the nearest source
    grid = np.stack(np.meshgrid(t, [0.0, 0.1, 0.2]), axis=-1).reshape(-1, 2)  # three lines
    fit, _, degree = local_cubic(grid, quadratic(grid), np.array([[0.505, 0.1]]), 0.05)
    assert degree[0] == 2 and np.allclose(fit, quadratic(np.array([[0.505, 0.1]])), atol=1e-8)


def test_local_cubic_with_fewer_sources_than_a_fit_needs_gives_the_nearest():
    src = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    vals = np.array([[1.0], [2.0], [3.0]])
    fit, near, _ = local_cubic(src, vals, np.array([[0.9, 0.1], [0.1, 0.8]]), 1.0)
    assert list(near) == [1, 2] and list(fit[:, 0]) == [2.0, 3.0]


def test_local_fit_beyond_the_edge_of_the_sources_is_a_quadratic():
    rng = np.random.default_rng(4)
    src = rng.uniform(-1, 1, (300, 2))
    src = src[src[:, 0] < 0.5]  # sources on one side of the queries
    query = np.stack([np.full(20, 0.55), np.linspace(-0.5, 0.5, 20)], axis=1)
    fit, _, degree = local_cubic(src, quadratic(src), query, 0.12)
    assert np.all(degree == 2) and np.allclose(fit, quadratic(query), rtol=0, atol=1e-8)
    fit3, _, _ = local_cubic(src, cubic(src), query, 0.12)
    assert not np.allclose(fit3, cubic(query), rtol=0, atol=1e-6)  # a cubic is not fitted there


def test_log_polar_is_log_distance_and_heading_from_the_mean_without_a_seam_across_north():
    head = np.radians(np.linspace(340.0, 380.0, 9)) % (2 * np.pi)  # 340..20 deg, across north
    xy = log_polar(np.full(9, 2e6), head)
    assert np.allclose(xy[:, 0], math.log(2e6))
    assert np.allclose(xy[:, 1], np.radians(np.linspace(-20.0, 20.0, 9)))


def test_cells_group_points_by_square_and_measure_the_offset_from_its_centre():
    xy = np.array([[0.01, 0.01], [0.09, 0.02], [0.11, 0.05], [-0.05, 0.05]])
    cell, n_cell, off = cells(xy, 0.1)
    assert n_cell == 3 and cell[0] == cell[1] and len({cell[0], cell[2], cell[3]}) == 3
    assert off[0] == pytest.approx(math.hypot(0.04, 0.04))


def test_row_ranks_are_the_inverse_of_unique_over_rows():
    """`row_ranks` numbers rows as ``numpy.unique(axis=0)`` does (lexicographic order of the
    distinct rows), for integer rows (one key a row, negative values and zeros of either sign
    included) and for rows it hands to ``unique`` (fractions, NaN, infinities, keys past 2^53)."""
    gen = np.random.default_rng(8)
    cases = [np.floor(gen.normal(0.0, 30.0, (n, d))) for n, d in ((1, 2), (7, 2), (1500, 2), (900, 3), (50, 1))]
    cases += [np.array([[0.0, -0.0], [-0.0, 0.0], [-1.0, 0.0]]), gen.normal(0.0, 2.0, (40, 2)),
              np.array([[1.0, np.nan], [1.0, 2.0], [np.inf, 0.0], [1.0, 2.0]]),
              np.array([[0.0, 0.0], [2.0**40, 2.0**40], [0.0, 2.0**40]])]
    for b in cases:
        np.testing.assert_array_equal(row_ranks(b), np.unique(b, axis=0, return_inverse=True)[1].ravel())
    assert row_ranks(np.empty((0, 2))).size == 0


def test_condition_certificate_gives_the_verdicts_of_eigvalsh_and_leaves_only_matrices_near_the_bound():
    rng = np.random.default_rng(5)
    mats = []
    for cond in np.logspace(1, 14, 131):  # symmetric, eigenvalues spread from 1 down to 1 / cond
        q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
        mats.append((q * np.logspace(0, -np.log10(cond), 10)) @ q.T)
    v = rng.normal(size=(40, 16, 10))
    mats += list(np.matmul(v.transpose(0, 2, 1), v))  # normal matrices as local_cubic builds them
    mats += [np.zeros((10, 10)), -np.eye(10)]  # singular, not positive definite
    a = np.array(mats)
    for n in (10, 6, 3):
        ev = np.linalg.eigvalsh(a[:, :n, :n])
        verdict = np.empty(a.shape[0], dtype=np.int8)
        _condition_verdicts(a, n, MAX_CONDITION, verdict)
        decided = verdict >= 0
        assert np.array_equal(verdict[decided] == 1, (ev[:, 0] * MAX_CONDITION > ev[:, -1])[decided])
        with np.errstate(divide="ignore", invalid="ignore"):  # the zero matrix
            cond = np.abs(ev[:, -1] / ev[:, 0])
        assert np.all(decided[(cond < 1e6) | (cond > 1e11)])
        assert n < 10 or np.any(~decided)  # some near the bound, left to LAPACK by local_cubic


def test_local_fit_near_the_condition_bound_takes_the_degree_eigvalsh_allows():
    # sources on three lines a little apart: the cubic's normal matrix gets worse as they close up
    t = np.linspace(0, 1, 40)
    for gap in (0.2, 0.02, 0.005, 0.002, 0.001):
        grid = np.stack(np.meshgrid(t, [0.0, gap, 2 * gap, 3.1 * gap]), axis=-1).reshape(-1, 2)
        q = np.array([[0.505, 1.5 * gap]])
        _, _, degree = local_cubic(grid, quadratic(grid), q, 0.05)
        xy = (grid - q) / 0.05
        d = np.hypot(*xy.T)
        nb = np.argsort(d)[:16]
        x, y = xy[nb].T
        vm = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y, x ** 3, x * x * y, x * y * y, y ** 3], axis=1)
        a = (vm * (1 / (1 + d[nb] ** 2))[:, None]).T @ vm
        want = next((deg for deg, n in ((3, 10), (2, 6), (1, 3))
                     if (lambda ev: ev[0] * MAX_CONDITION > ev[-1])(np.linalg.eigvalsh(a[:n, :n]))), 0)
        assert degree[0] == want, (gap, degree[0], want)
