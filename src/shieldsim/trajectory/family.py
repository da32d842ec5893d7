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
    _, cell = np.unique(b, axis=0, return_inverse=True)
    cell = cell.ravel()
    n_cell = int(cell.max()) + 1 if cell.size else 0
    off = np.hypot(*(xy - (b + 0.5) * size).T)
    return cell, n_cell, off


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
    degree fitted is reproduced (to about 1e-9 relative). The condition test is
    `well_conditioned`: the same verdicts as comparing `numpy.linalg.eigvalsh`'s eigenvalues."""
    from scipy.spatial import cKDTree

    s = src_xy.shape[0]
    m = query_xy.shape[0]
    d, nb = cKDTree(src_xy).query(query_xy, k=min(k, s))
    d, nb = d.reshape(m, -1), nb.reshape(m, -1)
    out = values[nb[:, 0]].astype(float)
    degree = np.zeros(m, dtype=int)
    if s < k:
        return out, nb[:, 0], degree
    dx = (src_xy[nb, 0] - query_xy[:, None, 0]) / scale
    dy = (src_xy[nb, 1] - query_xy[:, None, 1]) / scale
    right, up = dx > 0, dy > 0
    quadrants = (right & up).any(1).astype(int) + (right & ~up).any(1) + (~right & up).any(1) + (~right & ~up).any(1)
    v = np.stack([np.ones_like(dx), dx, dy, dx * dx, dx * dy, dy * dy, dx ** 3, dx * dx * dy, dx * dy * dy,
                  dy ** 3], axis=-1)  # (M, k, 10)
    vw = v * (1.0 / (1.0 + (d / scale) ** 2))[:, :, None]
    a = np.matmul(vw.transpose(0, 2, 1), v)
    rhs = np.matmul(vw.transpose(0, 2, 1), values[nb])
    todo = np.ones(m, dtype=bool)
    for deg, n_terms in ((3, 10), (2, 6), (1, 3)):  # the highest degree that is determined wins
        rows = np.flatnonzero(todo & (quadrants >= 3)) if deg == 3 else np.flatnonzero(todo)
        if rows.size:
            rows = rows[well_conditioned(a, rows, n_terms)]
            degree[rows] = deg
            todo[rows] = False
    for deg, n_terms in ((1, 3), (2, 6), (3, 10)):
        rows = degree == deg
        if rows.any():
            coef = np.linalg.solve(a[rows, :n_terms, :n_terms], rhs[rows, :n_terms])
            out[rows] = coef[:, 0, :]
    return out, nb[:, 0], degree


def well_conditioned(a, rows, n: int):
    """For the symmetric matrices a[rows, :n, :n] (a (M, >=n, >=n) float, rows (R,) int): True
    where the smallest eigenvalue times `MAX_CONDITION` exceeds the largest, the verdict of
    `numpy.linalg.eigvalsh`'s eigenvalues, bit for bit. A compiled Cholesky certificate
    (`_condition_verdicts`) decides the matrices whose condition number is more than a factor
    ~64 from `MAX_CONDITION` (every fit of the default coverage); eigvalsh decides the rest."""
    a = np.ascontiguousarray(a, dtype=float)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    verdict = np.empty(rows.size, dtype=np.int8)
    _condition_verdicts(a, rows, n, MAX_CONDITION, verdict)
    unsure = verdict < 0
    if unsure.any():
        ev = np.linalg.eigvalsh(a[rows[unsure], :n, :n])
        verdict[unsure] = ev[:, 0] * MAX_CONDITION > ev[:, -1]
    return verdict == 1


@njit(cache=True)
def _condition_verdicts(a, rows, n, max_condition, verdict):
    """Into verdict (R,) int8 for each matrix a[rows[r], :n, :n] (symmetric): 1 where its
    condition number is certainly below ``max_condition``, 0 where certainly above, -1 undecided
    (not positive definite to the Cholesky factorisation, or within the bounds' slack).

    Bounds from the Cholesky factor L (A = L L^T): lambda_max <= |A|_F <= sqrt(n) lambda_max
    and 1 / lambda_min = |L^-1|_2^2, between |L^-1|_F^2 / n and |L^-1|_F^2, so
    u = |A|_F |L^-1|_F^2 lies between cond and n^1.5 cond. Certain below when 2 u < the bound,
    certain above when u / n^1.5 > 2 x the bound: a factor 2 covers the rounding of L and of
    eigvalsh's eigenvalues (absolute errors ~n eps |A|, relative ~1e-7 at cond 1e8)."""
    low = np.empty((n, n))
    inv = np.empty((n, n))
    for r in range(rows.shape[0]):
        m = a[rows[r]]
        verdict[r] = -1
        fro = 0.0
        for i in range(n):
            for j in range(n):
                fro += m[i, j] * m[i, j]
        positive = True
        for j in range(n):
            s = m[j, j]
            for k in range(j):
                s -= low[j, k] * low[j, k]
            if not s > 0.0:
                positive = False
                break
            d = math.sqrt(s)
            low[j, j] = d
            for i in range(j + 1, n):
                s = m[i, j]
                for k in range(j):
                    s -= low[i, k] * low[j, k]
                low[i, j] = s / d
        if not positive:
            continue
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
            continue
        if 2.0 * u < max_condition:
            verdict[r] = 1
        elif u / n ** 1.5 > 2.0 * max_condition:
            verdict[r] = 0
