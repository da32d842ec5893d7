"""Radar sites packed for the kernels, and the public look angles and coverage status of points.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..earth import WGS84, Earth, enu_basis, gaussian_radius, to_ecef
from .devices import ATMOSPHERE_TOP, REFRACTION_MODELS, REFRACTIVITY_SCALE_HEIGHT, SURFACE_REFRACTIVITY, Radar
from .kernels import (
    N_RADAR,
    R_ANT,
    R_BORE,
    R_CENTRE,
    R_EAST,
    R_EL_MAX,
    R_EL_MIN,
    R_FIXED,
    R_HALF,
    R_HS,
    R_K,
    R_MAX_RANGE,
    R_MODEL,
    R_N0,
    R_NORTH,
    R_RAY_MAX,
    R_RAY_MIN,
    R_RLOC,
    R_SITE,
    R_UP,
    LIMIT_NODES,
    _limit_tables,
    _look_batch,
    _status_batch,
)
from .refraction import RAY_SIZE, RAY_TABLE, _grazing_elevation, _make_ray, _ray_table, surface_k


def _site_geometry(radars, earth: Earth):
    """Per radar: antenna position, ENU axes, local-sphere centre and radius, antenna height
    above the local sphere. Arrays of shape (S, 3) or (S,)."""
    lat = np.array([r.lat for r in radars], dtype=float)
    lon = np.array([r.lon for r in radars], dtype=float)
    ant = np.array([r.site_altitude + r.antenna_height for r in radars], dtype=float)
    site = to_ecef(lat, lon, ant, earth)
    east, north, up = enu_basis(lat, lon)
    rloc = gaussian_radius(lat, earth)
    centre = to_ecef(lat, lon, 0.0, earth) - rloc[:, None] * up
    return site, east, north, up, centre, rloc, ant


def _radar_params(radars, earth):
    """Packed kernel parameters: (S, N_RADAR) rows indexed by the R_* names and the (S, 2,
    RAY_TABLE) bending tables of each radar's limiting rays ("atmosphere" model; zeros otherwise)."""
    site, east, north, up, centre, rloc, ant = _site_geometry(radars, earth)
    s_count = len(radars)
    params = np.zeros((s_count, N_RADAR))
    rays = np.zeros((s_count, 2, RAY_TABLE))
    n0 = SURFACE_REFRACTIVITY * 1e-6
    hs = REFRACTIVITY_SCALE_HEIGHT
    for j, r in enumerate(radars):
        row = params[j]
        for at, vec in ((R_SITE, site), (R_EAST, east), (R_NORTH, north), (R_UP, up), (R_CENTRE, centre)):
            row[at:at + 3] = vec[j]
        row[R_RLOC], row[R_ANT] = rloc[j], ant[j]
        row[R_MODEL] = REFRACTION_MODELS.index(r.refraction)
        row[R_FIXED] = 1.0 if r.field == "fixed" else 0.0
        row[R_BORE], row[R_HALF] = r.boresight, r.half_width
        row[R_EL_MIN], row[R_EL_MAX], row[R_MAX_RANGE] = r.min_elevation, r.max_elevation, r.max_range
        row[R_N0], row[R_HS] = n0, hs
        if r.refraction == "4/3-earth":
            row[R_K] = r.refraction_k
        elif r.refraction == "none":
            row[R_K] = 1.0
        else:
            row[R_K] = surface_k(float(ant[j]), float(rloc[j]))
            r0 = rloc[j] + ant[j]
            top = rloc[j] + ATMOSPHERE_TOP
            lowest = max(r.min_elevation, _grazing_elevation(r0, rloc[j], n0, hs))
            _make_ray(lowest, r0, rloc[j], n0, hs, top, row[R_RAY_MIN:R_RAY_MIN + RAY_SIZE])
            _ray_table(row[R_RAY_MIN:R_RAY_MIN + RAY_SIZE], rloc[j], n0, hs, rays[j, 0])
            if r.max_elevation < 0.5 * math.pi - 1e-9:
                _make_ray(r.max_elevation, r0, rloc[j], n0, hs, top, row[R_RAY_MAX:R_RAY_MAX + RAY_SIZE])
                _ray_table(row[R_RAY_MAX:R_RAY_MAX + RAY_SIZE], rloc[j], n0, hs, rays[j, 1])
    return params, rays


@lru_cache(maxsize=32)
def _radar_tables(radars: tuple, earth: Earth):
    """`_radar_params` of a tuple of radars and the (S, 2, 2, `LIMIT_NODES`) tables of their
    limiting rays' angles (`kernels._limit_table`), built once per radars and Earth (a coverage
    run detects dozens of batches in the same radars). The arrays are shared: read only."""
    params, rays = _radar_params(list(radars), earth)
    tables = np.zeros((len(radars), 2, 2, LIMIT_NODES))
    _limit_tables(params, rays, tables)
    for a in (params, rays, tables):
        a.flags.writeable = False
    return params, rays, tables


def look_angles(radar: Radar, position, earth: Earth = WGS84):
    """Slant range (m), azimuth (rad clockwise from north, geometric) and refracted elevation
    (rad, in the radar's ``refraction`` model; -pi where the Earth blocks the line of sight) of
    Earth-fixed points ``position`` (..., 3) m seen from ``radar``. Returns three arrays of shape
    position.shape[:-1]. With "atmosphere" the elevation is solved by bisection on the ray
    (slow: for analysis, not for the batch kernels, which test the limiting rays instead)."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    params, _ = _radar_params([radar], earth)
    out = np.empty((flat.shape[0], 3))
    _look_batch(flat, params[0], float(params[0, R_RLOC] + ATMOSPHERE_TOP), earth.equatorial_radius,
                earth.polar_radius, out)
    shape = p.shape[:-1]
    return out[:, 0].reshape(shape), out[:, 1].reshape(shape), out[:, 2].reshape(shape)


def coverage_status(radar: Radar, position, rcs, earth: Earth = WGS84) -> np.ndarray:
    """Per Earth-fixed point (..., 3) m with cross-section ``rcs`` (m^2, broadcast): 0 outside
    the radar's coverage (horizon/elevation, field of regard, instrumented range), 1 inside but
    beyond the detection range, 2 detectable. Same compiled test as `detect` uses."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    rdet = np.broadcast_to(radar.detection_range(rcs), p.shape[:-1]).reshape(-1)
    params, rays = _radar_params([radar], earth)
    out = np.empty(flat.shape[0], dtype=np.int64)
    _status_batch(flat, np.ascontiguousarray(np.stack([rdet, rdet], axis=1), dtype=float), params, rays,
                  earth.equatorial_radius, earth.polar_radius, out)
    return out.reshape(p.shape[:-1])
