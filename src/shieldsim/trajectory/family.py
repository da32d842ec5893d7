"""A family of flights from one launch latitude: solved controls interpolated to new targets.

On a model symmetric about the polar axis (any `Earth`, with or without rotation) the flight
that hits a target depends on the launch point only through its latitude, so the controls of
aimed flights from one launch latitude are smooth functions of the target's azimuth and
distance from the launch point (away from the switch to a full burn and the edge of reach).
`aiming` solves a subset of such pairs exactly (one per cell of `cells`), fits the controls
of their neighbours with a local cubic (`local_cubic`), and starts Newton on the other pairs
from the fitted controls: the guess is then corrected (or confirmed) by the exact flight, so
an interpolation error costs Newton iterations, never accuracy.

Coordinates (`log_polar`): the natural logarithm of the distance and the azimuth relative to
the batch's mean heading, both in radians, so that a cell spans the same *relative* change of
range at every distance (the controls vary fastest near the launch point) and about the same
change of heading.

Inputs: distances in m, angles in rad.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

CUBIC_NEIGHBOURS = 16
"""Solved pairs in each local fit (the cubic has 10 coefficients)."""

MAX_CONDITION = 1e8
"""Largest condition number of a local fit's normal matrix (offsets in cells) that is solved."""


def log_polar(dist, azimuth) -> np.ndarray:
    """(N, 2) coordinates of targets at ``dist`` (N,) m and initial heading ``azimuth`` (N,) rad
    from one launch point: (ln dist, azimuth relative to the circular mean heading, in
    (-pi, pi]). Targets in a fan narrower than a half-turn get no seam."""
    mean = np.angle(np.mean(np.exp(1j * azimuth)))
    return np.stack([np.log(dist), np.angle(np.exp(1j * (azimuth - mean)))], axis=1)


def cells(xy, size: float):
    """Square cells of side ``size`` (in the units of xy) over points xy (N, 2): (cell index per
    point (N,), number of cells, each point's distance from its cell's centre (N,))."""
    b = np.floor(xy / size)
    cell = row_ranks(b)
    n_cell = int(cell.max()) + 1 if cell.size else 0
    off = np.hypot(*(xy - (b + 0.5) * size).T)
    return cell, n_cell, off


def row_ranks(b) -> np.ndarray:
    """Index (N,) of each row of b (N, D) among its distinct rows sorted lexicographically: the
    inverse of ``numpy.unique(b, axis=0, return_inverse=True)``. Rows of integers (e.g. cell
    numbers from `numpy.floor`) are ranked by one number per row (the columns' offsets from their
    least values in mixed radix, exact below 2^53), ~10 times cheaper than ``unique`` over rows;
    other arrays by ``unique`` itself."""
    b = np.asarray(b, dtype=float)
    if b.shape[0]:
        lo = b.min(axis=0)
        span = b.max(axis=0) - lo + 1.0
        if np.all(np.isfinite(span)) and np.all(b == np.floor(b)) and np.prod(span) < 2.0**53:
            key = b[:, 0] - lo[0]
            for c in range(1, b.shape[1]):
                key = key * span[c] + (b[:, c] - lo[c])
            return np.unique(key, return_inverse=True)[1].ravel()
    return np.unique(b, axis=0, return_inverse=True)[1].ravel()


def local_cubic(src_xy, values, query_xy, scale: float, k: int = CUBIC_NEIGHBOURS):
    """Values (M, C) at query_xy (M, 2) fitted from values (S, C) known at src_xy (S, 2): for each
    query, the weighted least-squares polynomial in the offsets (divided by ``scale``) through its
    k nearest sources (weights 1 / (1 + (d / scale)^2)). A cubic where those sources lie in at
    least three of the four quadrants around the query, else a quadratic (a cubic extrapolated
    from a one-sided set of sources can be far off), and a lower degree where the sources do not
    determine the polynomial (normal matrix of condition number above `MAX_CONDITION`, e.g.
    sources on three lines: a cubic through such a set missed a target by 180 km). Also returns
    the index into src_xy of each query's nearest source (M,) and the degree fitted (M,) (3, 2,
    1, or 0 for the nearest source's values, as with fewer than k sources). A polynomial of the
    degree fitted is reproduced (to about 1e-9 relative). The fits run in one compiled pass
    (`_fit_queries`)."""
    from scipy.spatial import cKDTree

    s = src_xy.shape[0]
    m = query_xy.shape[0]
    d, nb = cKDTree(src_xy).query(query_xy, k=min(k, s))
    d, nb = d.reshape(m, -1), nb.reshape(m, -1)
    out = values[nb[:, 0]].astype(float)
    degree = np.zeros(m, dtype=np.int64)
    if s < k:
        return out, nb[:, 0], degree
    _fit_queries(np.ascontiguousarray(src_xy, dtype=float), np.ascontiguousarray(values, dtype=float),
                 np.ascontiguousarray(query_xy, dtype=float), np.ascontiguousarray(nb, dtype=np.int64),
                 np.ascontiguousarray(d, dtype=float), float(scale), MAX_CONDITION, out, degree)
    return out, nb[:, 0], degree


@njit(cache=True, nogil=True)
def _fit_queries(src_xy, values, query_xy, nb, d, scale, max_condition, out, degree):
    """The fits of `local_cubic` for the neighbours nb (M, k) at distances d (M, k) of each query:
    the fitted values into out (M, C) (left alone where no degree is determined) and the degree
    into degree (M,). The normal matrix over the monomials 1, x, y, x^2, xy, y^2, x^3, x^2 y,
    x y^2, y^3 (whose leading 6 x 6 and 3 x 3 blocks are the quadratic's and the line's), the
    condition test by `_certificate` (LAPACK's eigenvalues where it cannot decide), the solve by
    the certificate's Cholesky factor."""
    v, a, rhs, low, inv = _fit_scratch(values.shape[1])
    for i in range(nb.shape[0]):
        a[:, :] = 0.0
        rhs[:, :] = 0.0
        seen = np.zeros(4, dtype=np.bool_)
        for j in range(nb.shape[1]):
            src = nb[i, j]
            dx = (src_xy[src, 0] - query_xy[i, 0]) / scale
            dy = (src_xy[src, 1] - query_xy[i, 1]) / scale
            seen[(2 if dx > 0 else 0) + (1 if dy > 0 else 0)] = True
            r = d[i, j] / scale
            w = 1.0 / (1.0 + r * r)
            v[0], v[1], v[2], v[3], v[4], v[5] = 1.0, dx, dy, dx * dx, dx * dy, dy * dy
            v[6], v[7], v[8], v[9] = dx * dx * dx, dx * dx * dy, dx * dy * dy, dy * dy * dy
            _add_weighted(a, rhs, v, w, values[src])
        _symmetrise(a)
        for deg in (3, 2, 1):
            n = 10 if deg == 3 else (6 if deg == 2 else 3)
            if deg == 3 and seen.sum() < 3:
                continue
            if _fitted(a, rhs, n, max_condition, low, inv, out[i]):
                degree[i] = deg
                break


@njit(cache=True)
def _fit_scratch(n_val):
    """Scratch arrays of a fit over 10 monomials with n_val fitted values (`_fit_queries` here and
    in `spread`): (monomials (10,), normal matrix (10, 10), right-hand sides (10, n_val), and the
    (10, 10) Cholesky factor and inverse `_fitted` works in)."""
    return np.empty(10), np.empty((10, 10)), np.empty((10, n_val)), np.empty((10, 10)), np.empty((10, 10))


@njit(cache=True)
def _add_weighted(a, rhs, v, w, row):
    """Add one source's weighted terms to a least-squares fit's normal equations: w v v^T to the
    upper triangle of a (10, 10) and w v row^T to rhs (10, C), v (10,) its monomials, row (C,) its
    values."""
    for p in range(10):
        wp = w * v[p]
        for q in range(p, 10):
            a[p, q] += wp * v[q]
        for c in range(row.shape[0]):
            rhs[p, c] += wp * row[c]


@njit(cache=True)
def _symmetrise(a):
    """Copy the upper triangle of the square matrix a into its lower triangle, in place."""
    for p in range(a.shape[0]):
        for q in range(p):
            a[p, q] = a[q, p]


@njit(cache=True)
def _fitted(a, rhs, n, max_condition, low, inv, out):
    """Whether the fit over the first n monomials is determined (condition number of a[:n, :n]
    below ``max_condition``: `_certificate`, LAPACK's eigenvalues where it cannot decide); if so
    its value at the query (the constant term, x[0] of a[:n, :n] x = rhs[:n]) into out (C,) by
    the certificate's Cholesky factor: x[0] = (L^-T L^-1 rhs)[0] = sum_k inv[k, 0] (inv rhs)[k]."""
    verdict = _certificate(a, n, max_condition, low, inv)
    if verdict < 0:
        ev = np.linalg.eigvalsh(np.ascontiguousarray(a[:n, :n]))
        verdict = 1 if ev[0] * max_condition > ev[n - 1] else 0
    if verdict != 1:
        return False
    for c in range(out.shape[0]):
        acc = 0.0
        for kk in range(n):
            y = 0.0
            for q in range(kk + 1):
                y += inv[kk, q] * rhs[q, c]
            acc += inv[kk, 0] * y
        out[c] = acc
    return True


@njit(cache=True)
def _condition_verdicts(a, n, max_condition, verdict):
    """`_certificate` of each matrix a[r, :n, :n] (a (R, >=n, >=n) symmetric) into verdict (R,)
    int8: 1, 0 or -1 (the certificate checked against LAPACK's eigenvalues in the tests)."""
    low = np.empty((n, n))
    inv = np.empty((n, n))
    for r in range(a.shape[0]):
        verdict[r] = _certificate(a[r], n, max_condition, low, inv)


@njit(cache=True)
def _certificate(m, n, max_condition, low, inv):
    """Whether the symmetric matrix m[:n, :n] has a condition number below ``max_condition``: 1
    certainly, 0 certainly not (also where the Cholesky factorisation breaks down, which it does
    not below a condition number of ~1 / (n eps), ~1e14), -1 undecided (within the bounds'
    slack). Leaves its Cholesky factor L (m = L L^T) in low[:n, :n] and L^-1 in inv[:n, :n]
    (lower triangles) unless it breaks down.

    Bounds: lambda_max <= |m|_F <= sqrt(n) lambda_max and 1 / lambda_min = |L^-1|_2^2, between
    |L^-1|_F^2 / n and |L^-1|_F^2, so u = |m|_F |L^-1|_F^2 lies between cond and n^1.5 cond.
    Certainly below when 2 u < the bound, certainly above when u / n^1.5 > 2 x the bound: the
    factor 2 covers the rounding of L and of LAPACK's eigenvalues (absolute errors ~n eps |m|,
    ~1e-7 relative to lambda_min at a condition number of 1e8), so the verdicts are those of
    comparing `numpy.linalg.eigvalsh`'s extreme eigenvalues."""
    fro = 0.0
    for i in range(n):
        for j in range(n):
            fro += m[i, j] * m[i, j]
    for j in range(n):
        s = m[j, j]
        for k in range(j):
            s -= low[j, k] * low[j, k]
        if not s > 0.0:  # not positive definite to rounding: a condition number of ~1e14 at least
            return 0
        root = math.sqrt(s)
        low[j, j] = root
        for i in range(j + 1, n):
            s = m[i, j]
            for k in range(j):
                s -= low[i, k] * low[j, k]
            low[i, j] = s / root
    inv_fro2 = 0.0
    for j in range(n):
        inv[j, j] = 1.0 / low[j, j]
        inv_fro2 += inv[j, j] * inv[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= low[i, k] * inv[k, j]
            inv[i, j] = s / low[i, i]
            inv_fro2 += inv[i, j] * inv[i, j]
    u = math.sqrt(fro) * inv_fro2
    if not math.isfinite(u):
        return -1
    if 2.0 * u < max_condition:
        return 1
    if u / n ** 1.5 > 2.0 * max_condition:
        return 0
    return -1
