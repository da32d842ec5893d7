"""Solved flights from many launch points spread to their neighbours: a local quadratic fit.

On a model symmetric about the polar axis (any `Earth`, with or without rotation) the controls
that hit a target, and the effect of re-entry drag on the impact, depend on the pair only
through the launch latitude, the initial heading to the target and the distance: smooth
functions of three coordinates (away from the switch to a full burn and the edge of reach).
`aiming` solves one pair per cell of `cells` exactly (drag on, launch points anywhere), fits
the other pairs' controls and drag offsets from the solved ones with `local_quadratic`, and
starts Newton there: an error of the fit costs Newton iterations, never accuracy (every pair
is still flown with drag and must meet the same miss).

Coordinates (`coordinates`): launch latitude (rad), heading (rad, periodic) and the natural
logarithm of the distance, so that a cell spans the same relative change of range at every
distance; distances between pairs wrap the heading.

Inputs: latitudes and headings in rad, distances in m.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .family import _add_weighted, _fit_scratch, _fitted, _symmetrise

NEIGHBOURS = 20
"""Solved pairs in each local fit (the quadratic in three coordinates has 10 coefficients)."""

MAX_CONDITION = 1e8
"""Largest condition number of a local fit's normal matrix (offsets in cells) that is solved."""


def coordinates(lat, azimuth, dist) -> np.ndarray:
    """(N, 3) coordinates of pairs: launch latitude (rad), initial heading in [0, 2 pi) (rad),
    ln of the distance (m)."""
    return np.stack([np.asarray(lat, dtype=float), np.mod(azimuth, 2 * np.pi), np.log(dist)], axis=1)


def _offsets(a, b) -> np.ndarray:
    """Offsets b - a of coordinates (..., 3) with the heading wrapped into [-pi, pi)."""
    d = b - a
    d[..., 1] = np.mod(d[..., 1] + np.pi, 2 * np.pi) - np.pi
    return d


def _embedded(xyz) -> np.ndarray:
    """Points of a 4-D space whose straight distances approximate the wrapped offsets of
    `_offsets` (heading on a unit circle): for the nearest-neighbour search."""
    return np.stack([xyz[:, 0], np.cos(xyz[:, 1]), np.sin(xyz[:, 1]), xyz[:, 2]], axis=1)


def cells(xyz, size: float):
    """Cubic cells of side ``size`` (rad, and units of ln distance) over coordinates xyz (N, 3)
    (headings binned from 0; the last heading cell is narrower where 2 pi is no multiple of
    ``size``): (cell index per pair (N,), number of cells, each pair's distance from its cell's
    centre (N,))."""
    b = np.floor(xyz / size)
    _, cell = np.unique(b, axis=0, return_inverse=True)
    cell = cell.ravel()
    n_cell = int(cell.max()) + 1 if cell.size else 0
    off = np.linalg.norm(xyz - (b + 0.5) * size, axis=1)
    return cell, n_cell, off


def representatives(sel, cell, n_cell: int, off):
    """One pair per bin, the one nearest its centre (then the lowest index): (their positions in
    ``sel``, the position in ``sel`` of each bin's representative (n_cell,))."""
    order = np.lexsort((sel, off, cell))  # deterministic: nearest the centre, then index
    first = np.ones(order.size, dtype=bool)
    first[1:] = cell[order][1:] != cell[order][:-1]
    rep_of_cell = np.empty(n_cell, dtype=int)
    rep_of_cell[cell[order][first]] = order[first]
    return order[first], rep_of_cell


def local_quadratic(src, values, query, scale: float, k: int = NEIGHBOURS):
    """Values (M, C) at coordinates query (M, 3) fitted from values (S, C) known at src (S, 3):
    for each query, the weighted least-squares quadratic in the offsets (`_offsets`, divided by
    ``scale``) through its k nearest sources (weights 1 / (1 + (d / scale)^2)); a linear fit
    where the quadratic is not determined (normal matrix of condition number above
    `MAX_CONDITION`), the nearest source's values where neither is or there are fewer than k
    sources. Returns (fit (M, C), index into src of each query's nearest source (M,), degree
    fitted (M,): 2, 1 or 0). A polynomial of the degree fitted is reproduced (to about 1e-9
    relative). The fits run in one compiled pass (`_fit_queries`; the condition test and solve
    of `family.local_cubic`)."""
    from scipy.spatial import cKDTree

    s, m = src.shape[0], query.shape[0]
    _, nb = cKDTree(_embedded(src)).query(_embedded(query), k=min(k, s))
    nb = nb.reshape(m, -1)
    out = values[nb[:, 0]].astype(float)
    degree = np.zeros(m, dtype=np.int64)
    if s < k or m == 0:
        return out, nb[:, 0], degree
    _fit_queries(np.ascontiguousarray(src, dtype=float), np.ascontiguousarray(values, dtype=float),
                 np.ascontiguousarray(query, dtype=float), np.ascontiguousarray(nb, dtype=np.int64), float(scale),
                 MAX_CONDITION, out, degree)
    return out, nb[:, 0], degree


@njit(cache=True)
def _fit_queries(src, values, query, nb, scale, max_condition, out, degree):
    """The fits of `local_quadratic` for the neighbours nb (M, k) of each query, in one compiled
    pass: the fitted values into out (M, C) (left alone where no degree is determined) and the
    degree into degree (M,). The normal matrix over the monomials 1, x, y, z, x^2, xy, xz, y^2, yz,
    z^2 of the offsets (heading wrapped, as `_offsets`; its leading 4 x 4 block is the linear
    fit's), the condition test by `family._certificate` (LAPACK's eigenvalues where it cannot
    decide), the solve by the certificate's Cholesky factor."""
    v, a, rhs, low, inv = _fit_scratch(values.shape[1])
    two_pi = 2.0 * np.pi
    for i in range(nb.shape[0]):
        a[:, :] = 0.0
        rhs[:, :] = 0.0
        for j in range(nb.shape[1]):
            q = nb[i, j]
            dx = (src[q, 0] - query[i, 0]) / scale
            dy = ((src[q, 1] - query[i, 1] + np.pi) % two_pi - np.pi) / scale
            dz = (src[q, 2] - query[i, 2]) / scale
            w = 1.0 / (1.0 + (dx * dx + dy * dy + dz * dz))
            v[0], v[1], v[2], v[3], v[4] = 1.0, dx, dy, dz, dx * dx
            v[5], v[6], v[7], v[8], v[9] = dx * dy, dx * dz, dy * dy, dy * dz, dz * dz
            _add_weighted(a, rhs, v, w, values[q])
        _symmetrise(a)
        for n in (10, 4):  # the highest degree that is determined wins
            if _fitted(a, rhs, n, max_condition, low, inv, out[i]):
                degree[i] = 2 if n == 10 else 1
                break


def fitted_start(src, query, scale: float, src_az, query_az, src_dist, query_dist, src_x, src_offset, src_jac):
    """Starting controls, drag offsets and Jacobians of pairs at coordinates query (M, 3) from
    solved pairs at src (S, 3) (`coordinates`): `local_quadratic` of the solved controls src_x
    (S, 3) (launch azimuth rad, kick rad, cutoff; the azimuth as an offset from the pair's
    initial heading to its target, src_az (S,) / query_az (M,) rad), drag offsets src_offset
    (S, 3) and residual Jacobians src_jac (S, 3, 3) (the crossrange row, metres of miss per
    control, divided by the pair's distance src_dist (S,) / query_dist (M,) m, in which it is
    about linear). Returns (controls (M, 3), offsets (M, 3), Jacobians (M, 3, 3))."""
    jac = np.array(src_jac, dtype=float)
    jac[:, 1, :] /= np.asarray(src_dist)[:, None]
    u = np.column_stack([np.angle(np.exp(1j * (src_x[:, 0] - src_az))), src_x[:, 1:], src_offset,
                         jac.reshape(-1, 9)])
    fit, _, _ = local_quadratic(src, u, query, scale)
    fit[:, 0] += query_az
    jac = fit[:, 6:].reshape(-1, 3, 3)
    jac[:, 1, :] *= np.asarray(query_dist)[:, None]
    return fit[:, :3], fit[:, 3:6], jac
