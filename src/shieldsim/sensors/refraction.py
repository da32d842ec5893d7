"""Radar rays through the exponential reference atmosphere (compiled, and two public helpers).

A ray leaving an antenna at elevation e keeps Bouguer's invariant c = n r cos(e); its bending is
integrated by Gauss-Legendre quadrature in x = sqrt(r - r_low) (see the package docstring). A
limiting ray is a block of `RAY_SIZE` floats indexed by the ``RAY_*`` names, with its bending
table of `RAY_TABLE` points. `surface_k` and `ray_bending` are the public views of the model.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .devices import ATMOSPHERE_TOP, REFRACTIVITY_SCALE_HEIGHT, SURFACE_REFRACTIVITY


RAY_C, RAY_R_LOW, RAY_GAP, RAY_OFFSET, RAY_DESC, RAY_XSTEP, RAY_ON, RAY_Q_LOW = range(8)
"""Per limiting ray: Bouguer invariant c = n r cos(e) (m); lowest radius on its rising branch
(the antenna, or the perigee of a ray leaving below the horizontal) (m); u(r_low) - c (m, exact);
angle offset (-e when leaving upwards, the antenna-to-perigee central angle when downwards) (rad);
1.0 when the ray leaves downwards; table step in x = sqrt(r - r_low) (m^0.5); 1.0 when the limit
applies; r_low (n(r_low) - 1) (m), the term of u - c at the lowest radius, kept so that
`_ray_theta_at` does not recompute its exponential (the same double either way)."""
RAY_SIZE = 8


RAY_TABLE = 1025
"""Points of a limiting ray's bending table, uniform in x = sqrt(r - r_low) up to ATMOSPHERE_TOP."""


_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
"""Nodes and weights of the 8-point Gauss-Legendre rule on [-1, 1] (ray bending panels)."""


@njit(cache=True)
def _refractivity(r, rs, n0, hs):
    """n - 1 of the exponential atmosphere at radius r (m) over a surface of radius rs."""
    return n0 * math.exp(-(r - rs) / hs)


@njit(cache=True)
def _bending_between(xa, xb, c, gap, r_low, rs, n0, hs):
    """Bending (rad) of a ray with invariant c between x = xa and xb (x = sqrt(r - r_low)):
    integral of -(n'/n) c / sqrt(u^2 - c^2) dr, u = n r, by 8-point Gauss-Legendre in x (the
    substitution removes the inverse square root at a turning point). ``gap`` = u(r_low) - c."""
    q_low = r_low * _refractivity(r_low, rs, n0, hs)
    half = 0.5 * (xb - xa)
    mid = 0.5 * (xb + xa)
    total = 0.0
    for i in range(_GL_X.shape[0]):
        x = mid + half * _GL_X[i]
        r = r_low + x * x
        q = _refractivity(r, rs, n0, hs)
        u = r * (1.0 + q)
        du = x * x + r * q - q_low + gap  # u - c without cancellation
        if du <= 0.0:
            continue
        slope = (q / hs) / (1.0 + q)  # -n'/n
        total += _GL_W[i] * slope * c * 2.0 * x / math.sqrt(du * (u + c))
    return total * half


@njit(cache=True)
def _make_ray(e, r0, rs, n0, hs, top, out):
    """Fill ``out`` (a RAY_* block) for the ray leaving an antenna at radius r0 (m) at elevation
    e (rad) through the exponential atmosphere (n - 1 = n0 exp(-(r - rs) / hs)) up to radius
    ``top``. A ray leaving downwards is followed from its perigee (which must lie above rs)."""
    q0 = _refractivity(r0, rs, n0, hs)
    u0 = r0 * (1.0 + q0)
    c = u0 * math.cos(e)
    out[RAY_C] = c
    out[RAY_ON] = 1.0
    if e >= 0.0:
        out[RAY_R_LOW] = r0
        out[RAY_GAP] = 2.0 * u0 * math.sin(0.5 * e) ** 2
        out[RAY_OFFSET] = -e
        out[RAY_DESC] = 0.0
    else:
        lo = rs  # perigee: u(r_p) = c, u increasing in r (no ducting in this profile)
        hi = r0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if mid * (1.0 + _refractivity(mid, rs, n0, hs)) < c:
                lo = mid
            else:
                hi = mid
        r_p = hi
        out[RAY_R_LOW] = r_p
        out[RAY_GAP] = 0.0
        out[RAY_DESC] = 1.0
        # central angle from the antenna down to the perigee: geometric term + bending
        du0 = (r0 - r_p) + r0 * q0 - r_p * _refractivity(r_p, rs, n0, hs)
        geo = math.atan2(math.sqrt(max(du0, 0.0) * (u0 + c)), c)
        out[RAY_OFFSET] = geo + _bending_panels(math.sqrt(r0 - r_p), c, 0.0, r_p, rs, n0, hs)
    out[RAY_XSTEP] = math.sqrt(max(top - out[RAY_R_LOW], 1.0)) / (RAY_TABLE - 1)
    out[RAY_Q_LOW] = out[RAY_R_LOW] * _refractivity(out[RAY_R_LOW], rs, n0, hs)


@njit(cache=True)
def _bending_panels(x_end, c, gap, r_low, rs, n0, hs):
    """Bending (rad) from x = 0 to x_end (x = sqrt(r - r_low)) in panels at most 1 m^0.5 wide."""
    n = max(1, int(math.ceil(x_end)))
    total = 0.0
    for k in range(n):
        total += _bending_between(x_end * k / n, x_end * (k + 1) / n, c, gap, r_low, rs, n0, hs)
    return total


@njit(cache=True)
def _ray_table(ray, rs, n0, hs, table):
    """Cumulative bending (rad) of a ray on its table grid x_i = i * RAY_XSTEP."""
    table[0] = 0.0
    step = ray[RAY_XSTEP]
    for i in range(1, table.shape[0]):
        table[i] = table[i - 1] + _bending_between((i - 1) * step, i * step, ray[RAY_C], ray[RAY_GAP],
                                                   ray[RAY_R_LOW], rs, n0, hs)


@njit(cache=True)
def _ray_theta(r, ray, bend, rs, n0, hs):
    """Central angle (rad) from the antenna at which a ray reaches radius r (m) on its rising
    branch, given the bending ``bend`` (rad) accumulated up to r; NaN below its lowest radius."""
    return _ray_theta_at(r, ray, 0, bend, rs, n0, hs)


@njit(cache=True)
def _ray_theta_at(r, block, at, bend, rs, n0, hs):
    """`_ray_theta` of the ray stored at offset ``at`` of ``block`` (a radar row holds its
    limiting rays; reading them in place spares the kernels an array view per call)."""
    return _ray_theta_q(r, _refractivity(r, rs, n0, hs), block, at, bend)


@njit(cache=True, _nrt=False)
def _ray_theta_q(r, q, block, at, bend):
    """`_ray_theta_at` given q = n(r) - 1 at r (`_refractivity`), for callers that test both
    limiting rays at one radius (one exponential for both)."""
    r_low = block[at + RAY_R_LOW]
    if r < r_low:
        return math.nan
    c = block[at + RAY_C]
    u = r * (1.0 + q)
    du = (r - r_low) + r * q - block[at + RAY_Q_LOW] + block[at + RAY_GAP]
    geo = math.atan2(math.sqrt(max(du, 0.0) * (u + c)), c)  # acos(c / u) without cancellation
    return block[at + RAY_OFFSET] + geo + bend


@njit(cache=True)
def _table_bend(r, ray, table):
    """Bending (rad) of a tabulated ray up to radius r >= its lowest radius (linear in x)."""
    return _table_bend_at(r, ray, 0, table)


@njit(cache=True, _nrt=False)
def _table_bend_at(r, block, at, table):
    """`_table_bend` of the ray stored at offset ``at`` of ``block``."""
    f = math.sqrt(max(r - block[at + RAY_R_LOW], 0.0)) / block[at + RAY_XSTEP]
    n_tab = table.shape[0]
    if f >= n_tab - 1:
        return table[n_tab - 1]
    i = int(f)
    w = f - i
    return (1.0 - w) * table[i] + w * table[i + 1]


@njit(cache=True)
def _grazing_elevation(r0, rs, n0, hs):
    """Elevation (rad, <= 0) of the ray from radius r0 that grazes the surface rs."""
    ratio = rs * (1.0 + n0) / (r0 * (1.0 + _refractivity(r0, rs, n0, hs)))
    return -math.acos(ratio) if ratio < 1.0 else 0.0


@njit(cache=True)
def _ray_theta_direct(r, e, r0, rs, n0, hs, top, ray):
    """Central angle (rad) at which the ray leaving radius r0 at elevation e reaches radius r on
    its rising branch (bending integrated directly, not tabulated); NaN below its lowest point."""
    _make_ray(e, r0, rs, n0, hs, top, ray)
    if r < ray[RAY_R_LOW]:
        return math.nan
    x_end = math.sqrt(min(r, top) - ray[RAY_R_LOW])
    bend = _bending_panels(x_end, ray[RAY_C], ray[RAY_GAP], ray[RAY_R_LOW], rs, n0, hs)
    return _ray_theta(r, ray, bend, rs, n0, hs)


def surface_k(antenna_height: float, radius: float = 6_371_000.0) -> float:
    """Effective-Earth factor k = 1 / (1 + R dn/dh) of the reference exponential atmosphere at
    ``antenna_height`` (m) over a sphere of ``radius`` (m): about 1.37 at sea level (the 4/3
    model's 1.33 corresponds to dN/dh = -39 N/km, the profile's surface gradient is -43 N/km)."""
    dndh = -SURFACE_REFRACTIVITY * 1e-6 / REFRACTIVITY_SCALE_HEIGHT * math.exp(-antenna_height / REFRACTIVITY_SCALE_HEIGHT)
    return 1.0 / (1.0 + radius * dndh)


def ray_bending(elevation, antenna_height: float = 0.0, height=None, radius: float = 6_371_000.0):
    """Bending (rad) of a radar ray leaving an antenna ``antenna_height`` (m) above a sphere of
    ``radius`` (m) at apparent ``elevation`` (rad, >= the grazing elevation) through the
    reference exponential atmosphere, accumulated up to ``height`` (m above the surface; None:
    through the whole atmosphere, the total bending tau). Elementwise over ``elevation``."""
    n0 = SURFACE_REFRACTIVITY * 1e-6
    r0 = radius + antenna_height
    top = radius + ATMOSPHERE_TOP
    r_end = top if height is None else radius + min(float(height), ATMOSPHERE_TOP)
    e = np.atleast_1d(np.asarray(elevation, dtype=float))
    out = np.empty(e.shape)
    ray = np.empty(RAY_SIZE)
    for i, ei in enumerate(e):
        _make_ray(float(ei), r0, radius, n0, REFRACTIVITY_SCALE_HEIGHT, top, ray)
        c, gap, r_low = ray[RAY_C], ray[RAY_GAP], ray[RAY_R_LOW]
        total = _bending_panels(math.sqrt(max(r_end - r_low, 0.0)), c, gap, r_low, radius, n0, REFRACTIVITY_SCALE_HEIGHT)
        if ei < 0:  # leaving downwards: also the bending from the antenna down to the perigee
            total += _bending_panels(math.sqrt(r0 - r_low), c, 0.0, r_low, radius, n0, REFRACTIVITY_SCALE_HEIGHT)
        out[i] = total
    return out.reshape(np.shape(elevation)) if np.ndim(elevation) else float(out[0])
