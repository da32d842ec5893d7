"""Latitude/longitude grids given by their cell centres: axes and cell edges (degrees).
"""

from __future__ import annotations

import numpy as np


def _edges_from_centres(centres: np.ndarray, name: str, step: float | None = None) -> np.ndarray:
    """Edges (n+1,) of n uniformly spaced increasing cell centres; the spacing is inferred from
    the centres, or ``step`` when there is a single centre (ValueError without one, or for
    no centres, or centres that are not uniform and increasing)."""
    c = np.asarray(centres, dtype=float).ravel()
    if c.size == 0:
        raise ValueError(f"{name}: the grid has no cells (a box narrower than half the grid step?)")
    if c.size == 1:
        if step is None or not step > 0:
            raise ValueError(f"{name}: a single grid centre needs the grid step to infer its edges")
        return c[0] + np.array([-step / 2, step / 2])
    steps = np.diff(c)
    if not (np.all(np.isfinite(c)) and np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9)) or steps[0] <= 0:
        raise ValueError(f"{name}: grid centres must be uniformly spaced and increasing")
    return c[0] - steps[0] / 2 + steps[0] * np.arange(c.size + 1)


def _grid_axes(lat_grid_deg, lon_grid_deg, shape: tuple[int, ...] | None = None):
    """1-D centre vectors from 1-D centres or 2-D ``meshgrid(..., indexing='ij')`` arrays."""
    lat = np.asarray(lat_grid_deg, dtype=float)
    lon = np.asarray(lon_grid_deg, dtype=float)
    if lat.ndim == 2:
        lat = lat[:, 0]
    if lon.ndim == 2:
        lon = lon[0, :]
    if shape is not None and tuple(shape) != (lat.size, lon.size):
        raise ValueError(f"mask shape {tuple(shape)} does not match grid ({lat.size}, {lon.size})")
    return lat, lon


def cell_edges(lat_grid_deg, lon_grid_deg) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges (degrees) of a uniform grid given by its cell-centre coordinates.

    Args:
        lat_grid_deg, lon_grid_deg: 1-D increasing centres, or 2-D arrays from
            ``np.meshgrid(lat, lon, indexing="ij")``.

    Returns:
        (lat_edges, lon_edges), sizes n+1; latitude edges are clipped to [-90, 90].
    """
    lat, lon = _grid_axes(lat_grid_deg, lon_grid_deg)
    lat_edges = np.clip(_edges_from_centres(lat, "lat_grid_deg"), -90.0, 90.0)
    return lat_edges, _edges_from_centres(lon, "lon_grid_deg")
