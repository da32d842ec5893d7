"""`trajectory.spread`: coordinates, cells and the local quadratic fit of solved flights from many
launch points (the drag-on aiming that uses them is proved in test_aiming.py)."""

import math

import numpy as np

from shieldsim.trajectory.spread import cells, coordinates, fitted_start, local_quadratic, representatives


def quadratic(xyz, centre_heading=0.0):
    """Two quadratics of (latitude, heading offset from ``centre_heading`` wrapped, ln distance)."""
    x, z = xyz[:, 0], xyz[:, 2]
    y = np.angle(np.exp(1j * (xyz[:, 1] - centre_heading)))
    return np.stack([1.0 + 2 * x - y + 0.5 * x * y - 0.3 * z * z + y * z, y * y - 2 * x + 0.1 * x * x], axis=1)


def scattered(rng, n, heading_lo=-1.0, heading_hi=1.0):
    return coordinates(rng.uniform(-1, 1, n), rng.uniform(heading_lo, heading_hi, n), np.exp(rng.uniform(12, 14, n)))


def test_coordinates_wrap_the_heading_and_take_the_log_of_the_distance():
    xyz = coordinates(np.array([0.5]), np.array([-0.25]), np.array([1e6]))
    assert np.allclose(xyz, [[0.5, 2 * math.pi - 0.25, math.log(1e6)]])


def test_local_quadratic_reproduces_a_quadratic_across_the_heading_seam():
    """Sources and queries on both sides of heading 0 = 2 pi: offsets are wrapped, so a quadratic
    in the heading offset is fitted exactly there."""
    rng = np.random.default_rng(5)
    src = scattered(rng, 600)
    query = scattered(rng, 60, -0.3, 0.3)
    assert (query[:, 1] > math.pi).any() and (query[:, 1] < math.pi).any()
    fit, near, degree = local_quadratic(src, quadratic(src), query, 0.2)
    assert np.all(degree == 2)
    assert np.allclose(fit, quadratic(query), rtol=0, atol=1e-8), np.abs(fit - quadratic(query)).max()
    off = src[None, :, :] - query[:, None, :]
    off[..., 1] = np.angle(np.exp(1j * off[..., 1]))
    d = np.linalg.norm(off, axis=-1)  # (queries, sources), the heading wrapped
    # the nearest source (searched with the heading on a circle: chords, not arcs)
    assert np.all(d[np.arange(query.shape[0]), near] <= 1.01 * d.min(axis=1))


def test_local_fit_drops_to_the_degree_its_sources_determine():
    rng = np.random.default_rng(6)
    src = scattered(rng, 200)
    src[:, 0] = np.where(src[:, 0] > 0, 0.1, 0.0)  # two planes of latitude: no curvature in it
    lin = np.stack([1.0 + src[:, 0] + 2 * src[:, 2], src[:, 2]], axis=1)
    q = np.array([[0.05, 0.2, 13.0]])
    fit, _, degree = local_quadratic(src, lin, q, 0.2)
    assert degree[0] == 1 and np.allclose(fit, [[1.05 + 26.0, 13.0]], atol=1e-8)
    src[:, 0] = 0.0  # one plane: not even a slope in latitude is determined
    fit, near, degree = local_quadratic(src, lin, q, 0.2)
    assert degree[0] == 0 and np.array_equal(fit, lin[near])


def test_fewer_sources_than_a_fit_needs_give_the_nearest():
    src = coordinates(np.zeros(3), np.array([0.0, 1.0, 2.0]), np.full(3, 1e6))
    fit, near, degree = local_quadratic(src, np.array([[1.0], [2.0], [3.0]]), src[[2]] + 0.01, 0.2)
    assert near[0] == 2 and fit[0, 0] == 3.0 and degree[0] == 0


def test_cells_and_representatives_pick_the_pair_nearest_each_cells_centre():
    xyz = np.array([[0.05, 0.05, 0.05], [0.01, 0.01, 0.01], [0.15, 0.05, 0.05], [0.05, 0.06, 0.05]])
    cell, n_cell, off = cells(xyz, 0.1)
    assert n_cell == 2 and cell[0] == cell[1] == cell[3] != cell[2]
    rep_pos, rep_of_cell = representatives(np.arange(4), cell, n_cell, off)
    assert sorted(rep_pos) == [0, 2] and rep_of_cell[cell[0]] == 0


def test_fitted_start_fits_the_launch_azimuth_as_an_offset_and_the_crossrange_row_per_metre():
    """Solved launch azimuths just below 2 pi for targets just above 0 (and the reverse) fit a
    launch azimuth as far from the new pair's target heading as theirs; offsets and Jacobians
    linear in the coordinates (the crossrange row: the distance times a linear function) are
    reproduced."""
    rng = np.random.default_rng(7)
    src = scattered(rng, 300, -0.5, 0.5)
    query = scattered(rng, 20, -0.2, 0.2)

    def jacobians(xyz):
        j = np.ones((xyz.shape[0], 3, 3)) * (1.0 + xyz[:, 0] - 0.5 * xyz[:, 2])[:, None, None]
        j[:, 1, :] *= np.exp(xyz[:, 2])[:, None] * np.array([1.0, 2.0, 3.0])
        return j

    x = np.stack([src[:, 1] - 0.01, 0.3 + 0.1 * src[:, 0], 0.8 + 0.05 * src[:, 2]], axis=1)  # 10 mrad to the left
    offsets = np.stack([-5e3 - src[:, 2], 1e-4 * src[:, 0], np.zeros(300)], axis=1)
    ctrl, off, jac = fitted_start(src, query, 0.2, src[:, 1], query[:, 1], np.exp(src[:, 2]), np.exp(query[:, 2]),
                                  x, offsets, jacobians(src))
    assert np.allclose(np.angle(np.exp(1j * (ctrl[:, 0] - query[:, 1]))), -0.01, atol=1e-9)
    assert np.allclose(ctrl[:, 1:], np.stack([0.3 + 0.1 * query[:, 0], 0.8 + 0.05 * query[:, 2]], axis=1), atol=1e-9)
    assert np.allclose(off[:, 0], -5e3 - query[:, 2], atol=1e-6)
    assert np.allclose(jac, jacobians(query), rtol=1e-7, atol=0)


def test_local_quadratic_is_the_weighted_least_squares_quadratic_of_its_neighbours():
    """On scattered, noisy values (no polynomial to reproduce) each compiled fit equals the
    weighted least-squares quadratic through the query's 20 nearest sources solved by NumPy
    (offsets with the heading wrapped, weights 1 / (1 + |d|^2)), to 1e-9 relative."""
    from scipy.spatial import cKDTree

    from shieldsim.trajectory.spread import NEIGHBOURS, _embedded, _offsets

    rng = np.random.default_rng(5)
    src = np.column_stack([rng.uniform(-1, 1, 300), rng.uniform(0, 2 * np.pi, 300), rng.uniform(12, 14, 300)])
    query = np.column_stack([rng.uniform(-0.9, 0.9, 40), rng.uniform(0, 2 * np.pi, 40), rng.uniform(12.2, 13.8, 40)])
    values = rng.normal(size=(300, 4))
    fit, _, degree = local_quadratic(src, values, query, 0.3)
    assert np.all(degree == 2)
    _, nb = cKDTree(_embedded(src)).query(_embedded(query), k=NEIGHBOURS)
    for i in range(query.shape[0]):
        d = _offsets(query[i], src[nb[i]]) / 0.3
        x, y, z = d.T
        v = np.column_stack([np.ones_like(x), x, y, z, x * x, x * y, x * z, y * y, y * z, z * z])
        w = np.sqrt(1.0 / (1.0 + np.sum(d * d, axis=1)))
        coef = np.linalg.lstsq(v * w[:, None], values[nb[i]] * w[:, None], rcond=None)[0]
        np.testing.assert_allclose(fit[i], coef[0], rtol=1e-9, atol=1e-9 * np.abs(values).max())
