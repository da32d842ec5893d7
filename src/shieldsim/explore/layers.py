"""What the explorer's map draws besides the cells: country borders and coastlines (Natural
Earth 1:10m, the data `geography` ships with, simplified), the largest cities (GeoNames, via
`geography.cities`), and the sites of the scenario on screen (radars with their fields, batteries
with their interceptor's reach, launch points). Plain JSON-ready dicts, degrees and km."""

from __future__ import annotations

import math
from functools import lru_cache

from .. import geography, maps, scenario as scen

BOX = (-30.0, 65.0, 20.0, 75.0)
"""(lon_min, lon_max, lat_min, lat_max) of the borders sent to the page: Europe and the Middle East."""


@lru_cache(maxsize=4)
def borders(box: tuple[float, float, float, float] = BOX, tolerance_deg: float = 0.05) -> dict:
    """GeoJSON FeatureCollection of the countries clipped to ``box`` and simplified to
    ``tolerance_deg`` (degrees); property ``iso3`` and ``name``."""
    import shapely

    lon0, lon1, lat0, lat1 = box
    feats = []
    for c in geography.countries((lon0, lon1, lat0, lat1)):
        g = shapely.simplify(shapely.clip_by_rect(c.geometry, lon0, lat0, lon1, lat1), tolerance_deg,
                             preserve_topology=True)
        if g.is_empty:
            continue
        geom = shapely.geometry.mapping(shapely.set_precision(g, 0.001))
        feats.append({"type": "Feature", "properties": {"iso3": c.iso3, "name": c.name}, "geometry": geom})
    return {"type": "FeatureCollection", "features": feats}


@lru_cache(maxsize=4)
def big_cities(box: tuple[float, float, float, float] = BOX, min_population: float = 1.0e6) -> list[dict]:
    """Cities of at least ``min_population`` people in ``box``: name, country, lat, lon, population."""
    c = geography.cities(box)
    keep = c.population >= min_population
    return [{"name": str(n), "iso3": str(i), "lat": round(float(la), 4), "lon": round(float(lo), 4),
             "population": int(p)} for n, i, la, lo, p in
            zip(c.name[keep], c.iso3[keep], c.lat_deg[keep], c.lon_deg[keep], c.population[keep])]


def _outline(lat, lon, range_km, boresight=None, half_width=None) -> list[list[float]]:
    la, lo = maps.radar_field_outline(lat, lon, range_km, boresight, half_width, n=73)
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(la, lo)]


def sites(full: scen.Scenario, shown: scen.Scenario, rcs_m2: float = 0.1) -> dict:
    """The scenario's sites for the map: ``radars`` (name, lat, lon, side, on, fire_control,
    range_km (detection range against ``rcs_m2``, capped at the instrumented range, as
    `study.draw_architecture` draws it), field outline), ``batteries`` (name, lat, lon, side,
    interceptor, on, reach_km = the interceptor's max range, outline), ``launch_points`` (area,
    name, lat, lon). ``full``: with every battery; ``shown``: batteries switched off removed."""
    radars = []
    for r in scen.radars(full):
        rng_km = min(float(r.detection_range(rcs_m2)), r.max_range) / 1e3
        fixed = r.field == "fixed"
        lat, lon = math.degrees(r.lat), math.degrees(r.lon)
        radars.append({"name": r.name, "lat": lat, "lon": lon, "side": full.radars[r.name].side,
                       "fire_control": bool(r.fire_control), "range_km": round(rng_km, 1),
                       "outline": _outline(lat, lon, rng_km, math.degrees(r.boresight) if fixed else None,
                                           math.degrees(r.half_width) if fixed else None)})
    interceptors = scen.interceptors(full)
    bats = []
    for name, b in full.batteries.items():
        reach_km = float(interceptors[b.interceptor].max_range) / 1e3
        bats.append({"name": name, "lat": b.lat_deg, "lon": b.lon_deg, "side": b.side, "interceptor": b.interceptor,
                     "on": name in shown.batteries, "reach_km": round(reach_km, 1),
                     "outline": _outline(b.lat_deg, b.lon_deg, reach_km)})
    points = []
    for area in full.launch_areas:
        pts = scen.launch_points(full, area)
        points += [{"area": area, "name": str(n), "lat": round(math.degrees(la), 4), "lon": round(math.degrees(lo), 4)}
                   for n, la, lo in zip(pts.names, pts.lat, pts.lon)]
    return {"radars": radars, "batteries": bats, "launch_points": points}
