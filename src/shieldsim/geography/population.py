"""Population on a grid (cities plus the residual spread over land) and the people a mask defends.

See the package docstring for the method (urban and residual population) and its known
consequences; `country_population_totals` checks it against Natural Earth's national estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .borders import (
    EARTH_RADIUS_KM,
    _box_mask,
    _country_index,
    _geodesic_area_km2,
    _natural_earth,
    country_population_estimates,
    natural_earth_stamp,
)
from .grids import _grid_axes, cell_edges
from .places import cities, geonames_stamp, urban_population_by_country


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
    """`population_grid` on hashable edges (`_build_grid`), kept on disk for the next process
    (`stored`, keyed by the arguments and the border and city data files)."""
    from .. import stored

    key = (lat_edges, lon_edges, rural, land_step_deg, min_population, natural_earth_stamp(), geonames_stamp())
    data = stored.fetch("population-grid", key,
                        lambda: _grid_arrays(_build_grid(lat_edges, lon_edges, rural, land_step_deg, min_population)),
                        _GRID_ARRAYS + ("codes", "method"))
    return PopulationGrid(**{name: data[name] for name in _GRID_ARRAYS},
                          codes=tuple(str(c) for c in data["codes"]), method=str(data["method"]))


_GRID_ARRAYS = ("lat_edges", "lon_edges", "cell", "country", "population", "urban")


def _grid_arrays(grid: PopulationGrid) -> dict[str, np.ndarray]:
    """A `PopulationGrid` as the arrays `stored` keeps."""
    out = {name: getattr(grid, name) for name in _GRID_ARRAYS}
    return out | {"codes": np.array(grid.codes, dtype=str), "method": np.array(grid.method, dtype=str)}


def _build_grid(lat_edges: tuple, lon_edges: tuple, rural: bool, land_step_deg: float,
                min_population: int) -> PopulationGrid:
    """The population grid: the cities in their cells (`_city_entries`), then with ``rural``
    each country's residual over its land (`_residual_entries`) and, for units no sample point
    hit, at a representative point (`_unhit_entries`)."""
    lat_e = np.asarray(lat_edges, dtype=float)
    lon_e = np.asarray(lon_edges, dtype=float)
    units = _natural_earth()
    codes = sorted({c.iso3 for c in units} | {""})
    code_index = {c: k for k, c in enumerate(codes)}
    region = (lon_e[0], lon_e[-1], lat_e[0], lat_e[-1])
    entries = [_city_entries(region, lat_e, lon_e, code_index, min_population)]
    if rural:
        urban_total = urban_population_by_country(min_population)
        rest, hit = _residual_entries(lat_e, lon_e, land_step_deg, urban_total, code_index)
        entries += [rest] + _unhit_entries(region, lat_e, lon_e, hit, urban_total, code_index)
        method = (
            f"cities >= {min_population} (GeoNames, districts merged) + Natural Earth POP_EST "
            f"residual spread uniformly over each country's land area (sampled every "
            f"{land_step_deg:g} deg)"
        )
    else:
        method = f"cities >= {min_population} only (GeoNames, districts merged)"
    cell, country, pop, urban = (list(part) for part in zip(*entries))
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


def _city_entries(region, lat_e, lon_e, code_index: dict, min_population: int) -> tuple:
    """(cell, country index, people, urban=True) of the de-duplicated cities inside the grid."""
    town = cities(region, min_population)
    tcell = _cell_of(town.lat_deg, town.lon_deg, lat_e, lon_e)
    ok = tcell >= 0
    country = np.array([code_index.get(c, code_index[""]) for c in town.iso3[ok]], dtype=np.int64)
    return tcell[ok], country, town.population[ok], np.ones(int(ok.sum()), dtype=bool)


def _land_samples(lat_e, lon_e, land_step_deg: float):
    """Each cell sub-sampled on a regular grid of about ``land_step_deg``: the Natural Earth
    unit under each sample (-1 at sea), its flat cell index and the area of its patch on the
    sphere (km^2, exact band area per row), as (rows, columns) arrays."""
    nlat, nlon = lat_e.size - 1, lon_e.size - 1
    sub_lat = max(1, int(math.ceil(np.max(np.diff(lat_e)) / land_step_deg - 1e-9)))
    sub_lon = max(1, int(math.ceil(np.max(np.diff(lon_e)) / land_step_deg - 1e-9)))
    f_lat = (np.arange(sub_lat) + 0.5) / sub_lat
    f_lon = (np.arange(sub_lon) + 0.5) / sub_lon
    s_lat = (lat_e[:-1, None] + np.diff(lat_e)[:, None] * f_lat[None, :]).ravel()
    s_lon = (lon_e[:-1, None] + np.diff(lon_e)[:, None] * f_lon[None, :]).ravel()
    dlat = np.radians(np.repeat(np.diff(lat_e), sub_lat) / sub_lat)
    dlon = np.radians(np.repeat(np.diff(lon_e), sub_lon) / sub_lon)
    lat_lo = np.radians(s_lat) - dlat / 2
    band = np.sin(np.minimum(lat_lo + dlat, np.pi / 2)) - np.sin(np.maximum(lat_lo, -np.pi / 2))
    row_area = EARTH_RADIUS_KM**2 * band  # per radian of longitude
    LAT, LON = np.meshgrid(s_lat, s_lon, indexing="ij")
    area = row_area[:, None] * dlon[None, :]
    unit = _country_index(LAT, LON).reshape(LAT.shape)
    ci = (np.arange(nlat).repeat(sub_lat))[:, None] * nlon + (np.arange(nlon).repeat(sub_lon))[None, :]
    return unit, ci, area


def _residual_entries(lat_e, lon_e, land_step_deg: float, urban_total: dict, code_index: dict):
    """(cell, country index, people, urban=False) of each unit's residual ``POP_EST - urban``
    spread uniformly over its land, per (cell, unit) by sampled area; and which units a sample
    point hit ((units,) bool)."""
    units = _natural_earth()
    unit, ci, area = _land_samples(lat_e, lon_e, land_step_deg)
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
    hit = np.zeros(len(units), dtype=bool)
    hit[k_unit] = True
    country = np.array([code_index[units[k].iso3] for k in k_unit], dtype=np.int64)
    return (k_cell, country, density[k_unit] * a_key, np.zeros(k_cell.size, dtype=bool)), hit


def _unhit_entries(region, lat_e, lon_e, hit, urban_total: dict, code_index: dict) -> list[tuple]:
    """Units in the box that no sample point hit: their residual at a representative point."""
    out = []
    in_box = _box_mask(region)
    for k, c in enumerate(_natural_earth()):
        if hit[k] or not in_box[k]:
            continue
        rest = max(c.population - urban_total.get(c.iso3, 0.0), 0.0)
        if rest <= 0:
            continue
        p = c.geometry.representative_point()
        pc = _cell_of(np.array([p.y]), np.array([p.x]), lat_e, lon_e)
        if pc[0] >= 0:
            out.append((pc, np.array([code_index[c.iso3]], dtype=np.int64), np.array([rest]), np.zeros(1, dtype=bool)))
    return out


def population_grid(lat_edges, lon_edges, rural: bool = True, land_step_deg: float = 0.1,
                    min_population: int = 15000) -> PopulationGrid:
    """Population on a grid of cells given by their edges.

    Args:
        lat_edges, lon_edges: increasing cell edges, degrees (longitudes in [-180, 180]).
        rural: add each country's residual ``POP_EST - urban`` spread uniformly over its
            land (see package docstring); False = city population only.
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
