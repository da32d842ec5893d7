"""The shape table of a threat class: starting kick and cutoff of `aim` for a target distance.

Boosts of the class over a grid of kick angles x cutoffs on the non-rotating sphere, each with
its vacuum free flight's range, apogee and distance from the minimum-energy condition; `aim`
starts every pair whose start is not borrowed from solved neighbours at the table entry that
best matches its distance (and apogee, or the minimum-energy condition). Inputs: m, rad.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..earth import SPHERE
from ..kepler import apoapsis, flight_path_angle
from ..missile import boost_profile, min_energy_gamma, run_boost, vacuum_range_inertial
from .kernels import _table_argmin

CUTOFF_MIN = 0.2
"""Smallest thrust cutoff (fraction of the total burn) `aim` flies."""


@lru_cache(maxsize=32)
def _shape_table(missile, drag: bool):
    """Boosts of the class over a grid of kick angles x cutoffs on the non-rotating sphere,
    with vacuum free flight: (kicks (K,), cutoffs (C,), range (K, C) m, apogee alt (K, C) m,
    g (K, C) rad). Starting values for `aim`."""
    kicks = np.radians(np.linspace(0.5, 85.0, 86))
    cutoffs = np.linspace(CUTOFF_MIN, 1.0, 33)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    res, _, _ = run_boost(missile, boost_profile(missile), 0.0, 0.0, 0.0, kk.ravel(), cc.ravel() * missile.burn_time,
                          SPHERE, False, drag)
    r, v = res[:, 1:4], res[:, 4:7]
    radius = SPHERE.equatorial_radius
    free = vacuum_range_inertial(r, v, SPHERE)
    rn = np.linalg.norm(r, axis=1)
    down = radius * np.arccos(np.clip(r[:, 0] / rn, -1, 1))  # launch at (radius, 0, 0)
    rng = down + free
    r_apo, _ = apoapsis(r, v, SPHERE.gm)
    g = flight_path_angle(r, v) - min_energy_gamma(rn, radius, free / radius)
    bad = (res[:, 13] == 0) | ~np.isfinite(free)
    rng[bad] = np.nan
    shape = kk.shape
    return kicks, cutoffs, rng.reshape(shape), np.where(bad, np.nan, r_apo - radius).reshape(shape), \
        np.where(bad, np.nan, g).reshape(shape)


def _initial_controls(missile, drag, distance, kind, apogee):
    """Starting kick and cutoff for each target distance from the shaping table."""
    kicks, cutoffs, rng, apo, g = _shape_table(missile, drag)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    kk, cc, rng, apo, g = (x.ravel() for x in (kk, cc, rng, apo, g))
    valid = np.isfinite(rng)
    kk, cc, rng, apo, g = kk[valid], cc[valid], rng[valid], apo[valid], g[valid]
    mode = {"minimum-energy": 0, "lofted": 1, "depressed": 2}[kind]
    best = _table_argmin(np.ascontiguousarray(distance, dtype=float),
                         np.ascontiguousarray(np.broadcast_to(apogee, distance.shape), dtype=float),
                         rng, apo, g, mode)
    return kk[best], cc[best]
