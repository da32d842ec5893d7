"""Air density of the US Standard Atmosphere 1976, as a table that compiled code can read.

From -5 km to 81 km the density comes from the ``ambiance`` package (ICAO Standard
Atmosphere 1993, which is identical to the US Standard Atmosphere 1976 in that range).
From 81 km to 120 km it is interpolated log-linearly between the densities tabulated in
US Standard Atmosphere 1976 (NOAA-S/T 76-1562, Table I) at the geometric altitudes below.
Above 120 km the density is taken as zero: drag is integrated only below 100 km.
Altitudes are geometric, metres; densities kg/m^3.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

#: US Standard Atmosphere 1976, Table I: geometric altitude (m) -> density (kg/m^3).
USSA76_UPPER = {
    86_000.0: 6.958e-6,
    90_000.0: 3.416e-6,
    95_000.0: 1.393e-6,
    100_000.0: 5.604e-7,
    110_000.0: 9.708e-8,
    120_000.0: 2.222e-8,
}

TABLE_BOTTOM = -5_000.0
TABLE_TOP = 120_000.0
TABLE_STEP = 25.0
AMBIANCE_TOP = 81_000.0


@lru_cache(maxsize=1)
def density_table() -> tuple[float, float, np.ndarray]:
    """(bottom altitude m, step m, natural log of density) on a uniform altitude grid."""
    from ambiance import Atmosphere

    alt = np.arange(TABLE_BOTTOM, TABLE_TOP + TABLE_STEP / 2, TABLE_STEP)
    low = alt <= AMBIANCE_TOP
    log_rho = np.empty_like(alt)
    log_rho[low] = np.log(Atmosphere(alt[low]).density)
    knots_alt = np.concatenate([[AMBIANCE_TOP], list(USSA76_UPPER)])
    knots_log = np.concatenate([[log_rho[low][-1]], np.log(list(USSA76_UPPER.values()))])
    log_rho[~low] = np.interp(alt[~low], knots_alt, knots_log)
    return TABLE_BOTTOM, TABLE_STEP, log_rho


@njit(cache=True)
def density_from_table(alt, bottom, step, log_rho):
    """Density (kg/m^3) at geometric altitude ``alt`` (m) from a table made by `density_table`.

    Log-linear interpolation; below the table bottom the bottom value, above the top zero.
    """
    x = (alt - bottom) / step
    if x <= 0.0:
        return np.exp(log_rho[0])
    n = log_rho.shape[0]
    if x > n - 1:
        return 0.0
    i = min(int(x), n - 2)
    w = x - i
    return np.exp((1.0 - w) * log_rho[i] + w * log_rho[i + 1])


@njit(cache=True)
def _density_batch(alt, bottom, step, log_rho, out):
    for i in range(alt.shape[0]):
        out[i] = density_from_table(alt[i], bottom, step, log_rho)


def density(alt) -> np.ndarray:
    """US Standard Atmosphere 1976 density (kg/m^3) at geometric altitudes ``alt`` (m, any
    shape; the result has the same shape): the table of `density_table` read by the same
    compiled `density_from_table` that the flight kernels use."""
    bottom, step, log_rho = density_table()
    alt = np.asarray(alt, dtype=float)
    out = np.empty(alt.size)
    _density_batch(np.ascontiguousarray(alt.ravel()), bottom, step, log_rho, out)
    return out.reshape(alt.shape)
