"""Grid masks as polygons and GeoJSON (and back), in (lon, lat) degrees.
"""

from __future__ import annotations

import numpy as np

from .grids import _grid_axes, cell_edges


def mask_polygons(lat_grid_deg, lon_grid_deg, mask):
    """Union of the True cells of a grid as one shapely (Multi)Polygon in (lon, lat) degrees.

    Cells are first merged into runs along each latitude row, then all runs are merged with
    ``shapely.unary_union``; an empty mask gives an empty GeometryCollection.
    """
    import shapely

    m = np.asarray(mask, dtype=bool)
    lat, lon = _grid_axes(lat_grid_deg, lon_grid_deg, m.shape)
    lat_e, lon_e = cell_edges(lat, lon)
    padded = np.zeros((m.shape[0], m.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = m
    d = np.diff(padded, axis=1)
    rows_s, cols_s = np.nonzero(d == 1)
    rows_e, cols_e = np.nonzero(d == -1)  # same row order, runs in order
    boxes = shapely.box(lon_e[cols_s], lat_e[rows_s], lon_e[cols_e], lat_e[rows_s + 1])
    return shapely.unary_union(boxes)


def mask_to_geojson(lat_grid_deg, lon_grid_deg, mask, properties: dict | None = None,
                    precision: int = 6) -> dict:
    """GeoJSON FeatureCollection of the defended (True) cells merged into polygons.

    Args:
        lat_grid_deg, lon_grid_deg: cell centres (see :func:`protected_population`).
        mask: bool (nlat, nlon).
        properties: extra properties of the feature (e.g. scenario, threat area).
        precision: decimals kept in coordinates.

    Returns:
        dict with one Feature (geometry Polygon/MultiPolygon, or null when nothing is
        defended) whose properties include ``cells`` (number of True cells),
        ``lat_step_deg`` and ``lon_step_deg``. Coordinates are (lon, lat) degrees.
    """
    import shapely
    import shapely.geometry

    m = np.asarray(mask, dtype=bool)
    lat, lon = _grid_axes(lat_grid_deg, lon_grid_deg, m.shape)
    geom = mask_polygons(lat, lon, m)
    props = {
        "cells": int(m.sum()),
        "lat_step_deg": float(lat[1] - lat[0]) if lat.size > 1 else None,
        "lon_step_deg": float(lon[1] - lon[0]) if lon.size > 1 else None,
    }
    props.update(properties or {})
    geometry = None
    if not geom.is_empty:
        geometry = shapely.geometry.mapping(shapely.set_precision(geom, 10.0**-precision))
        geometry = _lists(geometry)
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": props, "geometry": geometry}]}


def _lists(obj):
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_lists(v) for v in obj]
    return obj


def mask_from_geojson(geojson: dict, lat_grid_deg, lon_grid_deg) -> np.ndarray:
    """Inverse of :func:`mask_to_geojson`: True where a cell centre lies inside a feature."""
    import shapely
    from shapely.geometry import shape

    lat, lon = _grid_axes(lat_grid_deg, lon_grid_deg)
    geoms = [shape(f["geometry"]) for f in geojson.get("features", []) if f.get("geometry")]
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    out = np.zeros(LAT.shape, dtype=bool)
    for g in geoms:
        out |= shapely.contains_xy(g, LON, LAT)
    return out
