"""Air density of the US Standard Atmosphere 1976, in closed form per layer for compiled code.

Up to 86 km (geometric; 84.852 km geopotential) the density is the standard's own closed form
(NOAA-S/T 76-1562, section 1.2): in each of its seven layers the molecular-scale temperature is
linear in geopotential height H = r0 z / (r0 + z) (r0 = 6,356,766 m), T = T_b + L (H - H_b), and
the pressure follows from the hydrostatic equation (p = p_b (T / T_b)^(-g0 M0 / (R* L)), or
p_b exp(-g0 M0 (H - H_b) / (R* T_b)) where L = 0), the density rho = p M0 / (R* T). The base
pressures are integrated upwards from the sea-level 101,325 Pa with the standard's constants, so
the density is continuous and smooth (analytic) inside each layer; its logarithm has a kink at
each layer base (where the lapse rate changes). The ``ambiance`` package (ICAO 1993, the same
model below 80 km, base pressures rounded to six digits) agrees within 2e-5.
From 86 km to 120 km the density is interpolated log-linearly in geometric altitude between
the values tabulated in US Standard Atmosphere 1976 (Table I) at the altitudes of
`USSA76_UPPER` (above 86 km the standard's density comes from a diffusive composition model
with no closed form); at 86 km the tabulated 6.958e-6 kg/m^3 takes over from the layer's
closed form, a step of ~1e-5 relative. Below -5 km geopotential the density is the value there;
above 120 km it is zero (drag is integrated only below 100 km anyway).

The model is one packed array (`density_table`): a row per piece (`LAYER_*` columns). Compiled
integrators that take high-order steps end their steps on the piece bottoms up to 86 km
(`layer_edges`, `KINKED_PIECES`), where the density is not smooth. Altitudes are geometric, metres; densities kg/m^3.
Assumption: a point's altitude is its height above the Earth model's ellipsoid (the kernels
use the height along the radius, within metres of the geodetic height below 100 km).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from .earth import radial_height_one, surface_radius_one

#: US Standard Atmosphere 1976, Table I: geometric altitude (m) -> density (kg/m^3).
USSA76_UPPER = {
    86_000.0: 6.958e-6,
    90_000.0: 3.416e-6,
    95_000.0: 1.393e-6,
    100_000.0: 5.604e-7,
    110_000.0: 9.708e-8,
    120_000.0: 2.222e-8,
}

#: US Standard Atmosphere 1976 (NOAA-S/T 76-1562, Table 4): geopotential height of each layer
#: base (m) and the molecular-scale temperature gradient above it (K/m), from the sea level up.
USSA76_LAYERS = (
    (0.0, -6.5e-3),
    (11_000.0, 0.0),
    (20_000.0, 1.0e-3),
    (32_000.0, 2.8e-3),
    (47_000.0, 0.0),
    (51_000.0, -2.8e-3),
    (71_000.0, -2.0e-3),
)
USSA76_LAYERS_TOP = 84_852.0  # m geopotential (86 km geometric)
USSA76_R0 = 6_356_766.0  # m, the radius of the geopotential height
USSA76_G0 = 9.80665  # m/s^2
USSA76_M0 = 28.9644  # kg/kmol, sea-level mean molecular weight
USSA76_RSTAR = 8314.32  # J/(kmol K)
USSA76_T0 = 288.15  # K
USSA76_P0 = 101_325.0  # Pa
GEOPOTENTIAL_BOTTOM = -5_000.0  # m, the standard's lowest geopotential height

TABLE_TOP = 120_000.0
"""Geometric altitude (m) above which the density is zero."""

LAYER_Z, LAYER_HB, LAYER_LNRHO, LAYER_A, LAYER_C, LAYER_MODE = range(6)
"""Columns of a row of `density_table`: geometric altitude (m) of the piece's bottom, its
geopotential height (m), ln of the density there (kg/m^3), and the piece's coefficients a, c and
mode: 0 a lapse-rate layer, ln rho = ln rho_b + c ln(1 + a (H - H_b)) (a = L / T_b 1/m,
c = -(1 + g0 M0 / (R* L))); 1 an isothermal layer, ln rho = ln rho_b + a (H - H_b)
(a = -g0 M0 / (R* T_b) 1/m); 2 log-linear in geometric altitude, ln rho = ln rho_b + a (z - z_b)."""
LAYER_COLS = LAYER_MODE + 1

KINKED_PIECES = len(USSA76_LAYERS) + 1
"""Pieces of `density_table` whose bottom edges the high-order integrators end their steps on:
the seven closed-form layers and the first tabulated piece (its bottom, 86 km, ends the
layers). Above 86 km the drag is too weak (below 1e-2 m/s^2 even for the lightest re-entry
vehicles) for the small slope changes between the tabulated values, or the step to zero at
`TABLE_TOP`, to cost an eighth-order step anything measurable."""


def geometric_altitude(h_geopotential):
    """Geometric altitude (m) of a geopotential height (m): z = r0 H / (r0 - H)."""
    return USSA76_R0 * h_geopotential / (USSA76_R0 - h_geopotential)


def _lower_rows() -> list[list[float]]:
    """The rows of the seven closed-form layers (the first extended down to -5 km geopotential),
    with base pressures integrated hydrostatically from the sea level."""
    k = USSA76_G0 * USSA76_M0 / USSA76_RSTAR  # K/m
    rows = []
    t_b, p_b = USSA76_T0, USSA76_P0
    bases = [b for b, _ in USSA76_LAYERS[1:]] + [USSA76_LAYERS_TOP]
    # the troposphere's formula holds from -5 km: start there
    lapse0 = USSA76_LAYERS[0][1]
    t_bot = t_b + lapse0 * GEOPOTENTIAL_BOTTOM
    p_bot = p_b * (t_bot / t_b) ** (-k / lapse0)
    for i, (h_b, lapse) in enumerate(USSA76_LAYERS):
        if i == 0:
            h_row, t_row, p_row = GEOPOTENTIAL_BOTTOM, t_bot, p_bot
        else:
            h_row, t_row, p_row = h_b, t_b, p_b
        ln_rho = math.log(p_row * USSA76_M0 / (USSA76_RSTAR * t_row))
        if lapse != 0.0:
            rows.append([geometric_altitude(h_row), h_row, ln_rho, lapse / t_row, -(1.0 + k / lapse), 0.0])
        else:
            rows.append([geometric_altitude(h_row), h_row, ln_rho, -k / t_row, 0.0, 1.0])
        # pressure and temperature at the top of this layer (the next base)
        dh = bases[i] - h_b
        t_top = t_b + lapse * dh
        p_b = p_b * (t_top / t_b) ** (-k / lapse) if lapse != 0.0 else p_b * math.exp(-k * dh / t_b)
        t_b = t_top
    return rows


@lru_cache(maxsize=1)
def density_table() -> tuple[float, float, np.ndarray]:
    """(bottom altitude m, top altitude m, the packed model (rows, `LAYER_COLS`)): the seven
    closed-form layers of the 1976 standard up to 86 km, then log-linear pieces between the
    tabulated values of `USSA76_UPPER` up to `TABLE_TOP`. Read by `density_from_table`."""
    rows = _lower_rows()
    z = list(USSA76_UPPER)
    ln = [math.log(v) for v in USSA76_UPPER.values()]
    for i in range(len(z) - 1):
        rows.append([z[i], 0.0, ln[i], (ln[i + 1] - ln[i]) / (z[i + 1] - z[i]), 0.0, 2.0])
    table = np.ascontiguousarray(rows, dtype=float)
    return float(table[0, LAYER_Z]), TABLE_TOP, table


def layer_edges() -> np.ndarray:
    """Geometric altitudes (m) at which the model's density or its slope jumps: every piece's
    bottom above the lowest, and `TABLE_TOP`."""
    table = density_table()[2]
    return np.append(table[1:, LAYER_Z], TABLE_TOP)


@njit(cache=True)
def density_from_table(alt, bottom, top, table):
    """Density (kg/m^3) at geometric altitude ``alt`` (m) from the packed model of
    `density_table` (``bottom``, ``top``: its first two items). Below the bottom the bottom
    value, above the top zero."""
    if alt > top:
        return 0.0
    z = max(alt, bottom)
    k = table.shape[0] - 1
    while k > 0 and z < table[k, LAYER_Z]:
        k -= 1
    mode = table[k, LAYER_MODE]  # read by index: a row view costs two atomic reference counts
    if mode == 2.0:
        return math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_A] * (z - table[k, LAYER_Z]))
    dh = USSA76_R0 * z / (USSA76_R0 + z) - table[k, LAYER_HB]
    if mode == 1.0:
        return math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_A] * dh)
    return math.exp(table[k, LAYER_LNRHO] + table[k, LAYER_C] * math.log1p(table[k, LAYER_A] * dh))


@njit(cache=True)
def layer_of(alt, top, table):
    """Index of the row of `density_table` whose piece holds geometric altitude ``alt`` (m):
    0 below the bottom, the number of rows above ``top`` (m)."""
    if alt > top:
        return table.shape[0]
    k = table.shape[0] - 1
    while k > 0 and alt < table[k, LAYER_Z]:
        k -= 1
    return k


@njit(cache=True)
def next_edge(y, kz, top, table, a, b):
    """The layer edge (of the `KINKED_PIECES`) a flight at the state y (position m, velocity
    m/s: six items) in layer ``kz`` (`layer_of`) meets next, going the way it moves vertically:
    (its altitude m, the layer beyond it, the time to it at the present vertical speed s; inf
    when it meets none). Heights along the radius above the ellipsoid (semi-axes a, b m)."""
    rn = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    v_up = (y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / rn
    return next_edge_from(radial_height_one(y, a, b), v_up, kz, table)


@njit(cache=True, inline="always")
def next_edge_from(h, v_up, kz, table):
    """`next_edge` of a flight at height h (m, along the radius above the ellipsoid) climbing at
    v_up (m/s, along the radius) in layer ``kz``: for callers that have both already (the same
    values as `next_edge` of that state)."""
    if v_up < 0.0 and 0 < kz < KINKED_PIECES:
        z_edge, k_next = table[kz, LAYER_Z], kz - 1
    elif v_up > 0.0 and kz < KINKED_PIECES - 1:
        z_edge, k_next = table[kz + 1, LAYER_Z], kz + 1
    else:
        return math.nan, kz, math.inf
    return z_edge, k_next, (z_edge - h) / v_up


@njit(cache=True)
def edge_time(y, acc, z_edge, t_max, a, b):
    """Time (s, <= t_max) at which the path r + v t + acc t^2 / 2 from the state y (position
    m, velocity m/s) with acceleration acc (m/s^2, items 3-5 of a derivative) reaches the height
    ``z_edge`` (m, along the radius above the ellipsoid of semi-axes a, b m); inf when it does
    not within t_max. Regula falsi (Illinois) to 1 mm."""
    lo, f_lo = 0.0, radial_height_one(y, a, b) - z_edge
    hi = t_max
    f_hi = _path_height(y, acc, hi, a, b) - z_edge
    if f_lo * f_hi > 0.0 or f_lo == f_hi:
        return math.inf
    tc = hi
    for _ in range(30):
        tc = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f = _path_height(y, acc, tc, a, b) - z_edge
        if abs(f) < 1e-3:
            break
        if f * f_lo > 0.0:
            lo, f_lo = tc, f
            f_hi *= 0.5
        else:
            hi, f_hi = tc, f
            f_lo *= 0.5
    return tc


@njit(cache=True, inline="always")
def _path_height(y, acc, t, a, b):
    """`earth.radial_height_one` (m) of the point r + v t + acc t^2 / 2 of `edge_time`'s path,
    from scalars (no array made for the point)."""
    x0 = y[0] + t * (y[3] + 0.5 * t * acc[3])
    x1 = y[1] + t * (y[4] + 0.5 * t * acc[4])
    x2 = y[2] + t * (y[5] + 0.5 * t * acc[5])
    rn = math.sqrt(x0 * x0 + x1 * x1 + x2 * x2)
    return rn - surface_radius_one(x2 / rn, a, b)


@njit(cache=True)
def _density_batch(alt, bottom, top, table, out):
    for i in range(alt.shape[0]):
        out[i] = density_from_table(alt[i], bottom, top, table)


def density(alt) -> np.ndarray:
    """US Standard Atmosphere 1976 density (kg/m^3) at geometric altitudes ``alt`` (m, any
    shape; the result has the same shape): the model of `density_table` read by the same
    compiled `density_from_table` that the flight kernels use."""
    bottom, top, table = density_table()
    alt = np.asarray(alt, dtype=float)
    out = np.empty(alt.size)
    _density_batch(np.ascontiguousarray(alt.ravel()), bottom, top, table, out)
    return out.reshape(alt.shape)
