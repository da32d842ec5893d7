"""Sectors of responsibility: which side engages a threat, by where it would be intercepted.

Under a scenario's ``[sectors]`` a battery may engage a threat only when the first intercept
opportunity of that battery lies over a sector its side is responsible for; over no sector, any
side may engage. Each point lies in at most one sector: the first by decreasing ``priority``,
then file order (`sector_names`).
"""

from __future__ import annotations

import numpy as np

from .. import scenario as scen
from .architecture import Architecture


def sector_order(sc: scen.Scenario) -> list[str]:
    """The scenario's sector names in the order points are matched against them: decreasing
    ``priority``, then file order (see `scenario.SectorSpec`)."""
    return sorted(sc.sectors, key=lambda name: -sc.sectors[name].priority)


def sector_names(sc: scen.Scenario, lat, lon) -> np.ndarray:
    """Name of the sector holding each point (lat, lon in rad, any equal shape), '' where none.

    A point belongs to the first sector of `sector_order` that contains it: one listing the
    country whose territory holds the point (`geography.territory_of`: its land, or sea within
    12 nautical miles of it), one whose ``polygon_deg`` holds it, or (both given) one listing
    that country and whose polygon holds it. NaN points are in none."""
    order = sector_order(sc)
    return np.array(order + [""], dtype=object)[_sector_index(sc, order, lat, lon)]


def _sector_index(sc: scen.Scenario, order: list[str], lat, lon) -> np.ndarray:
    """Index into ``order`` (`sector_order`) of the sector holding each point (`sector_names`),
    -1 where none. Countries are matched once per distinct territory, not per point."""
    lat_deg, lon_deg = np.degrees(np.asarray(lat, float)), np.degrees(np.asarray(lon, float))
    found = np.full(lat_deg.shape, -1, dtype=np.int64)
    if not order:
        return found
    finite = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    codes = which = None
    for k, name in enumerate(order):
        sector = sc.sectors[name]
        inside = finite & (found < 0)
        if sector.countries is not None:
            if codes is None:  # the distinct territories, and which one holds each point
                codes, which = np.unique(point_territory(lat_deg, lon_deg).astype(str), return_inverse=True)
                which = which.reshape(lat_deg.shape)
            inside &= np.isin(codes, sector.countries)[which]
        if sector.polygon_deg is not None and inside.any():
            import shapely

            poly = shapely.Polygon([(p[1], p[0]) for p in sector.polygon_deg])
            inside[inside] = shapely.contains_xy(poly, lon_deg[inside], lat_deg[inside])
        found[inside] = k
    return found


def point_territory(lat_deg, lon_deg) -> np.ndarray:
    """The country (ISO3) whose territory holds each point (degrees), as sectors see it
    (`geography.territory_of`); '' at sea beyond 12 nautical miles or for NaN points."""
    from ..geography import territory_of

    lat_deg, lon_deg = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
    iso = np.full(lat_deg.shape, "", dtype=object)
    finite = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    if finite.any():
        iso[finite] = territory_of(lat_deg[finite], lon_deg[finite])
    return iso


def sector_sides(sc: scen.Scenario, lat, lon) -> np.ndarray:
    """Side responsible for each point (rad) under the scenario's sectors ('' = none): the
    ``engaged_by`` of the point's sector (`sector_names`)."""
    order = sector_order(sc)
    sides = np.array([sc.sectors[name].engaged_by for name in order] + [""], dtype=object)
    return sides[_sector_index(sc, order, lat, lon)]


def allowed_batteries(arch: Architecture, engagement) -> np.ndarray:
    """(N, B) bool: batteries that can engage each flight, hold the rounds their doctrine
    fires, and (under sectors) are responsible where they would intercept."""
    from ..coverage import battery_ready

    bats = arch.batteries
    return battery_ready(engagement, [b.inventory for b in bats], [b.doctrine for b in bats],
                         [b.salvo_size for b in bats]) & responsible(arch, engagement)


def responsible(arch: Architecture, engagement) -> np.ndarray:
    """(N, B) bool: under the scenario's sectors, whether each battery's side is responsible
    where that battery would first intercept the flight (over no sector any side is); all True
    in a scenario without sectors."""
    sc = arch.scenario
    if not sc.sectors:
        return np.ones(np.shape(engagement.engageable), bool)
    order = sector_order(sc)
    where = _sector_index(sc, order, engagement.first_lat, engagement.first_lon)  # (N, B), -1: no sector
    # ok[k, b]: battery b's side may engage over sector k (the last row: over no sector)
    by = [sc.sectors[name].engaged_by for name in order] + [""]
    ok = np.array([[side == "" or side == b.side for b in arch.batteries] for side in by], dtype=bool)
    return ok[where, np.arange(len(arch.batteries))]
