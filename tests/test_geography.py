"""Tests for shieldsim.geography: borders, cities, population grids, GeoJSON."""

import json
import math

import numpy as np
import pytest

from shieldsim import geography as geo

EUROPE_LAT = np.arange(34.25, 72.0, 0.5)
EUROPE_LON = np.arange(-24.75, 45.0, 0.5)


def _top_ten_european():
    return sorted(geo.countries("Europe"), key=lambda c: -c.population)[:10]


def test_country_of_known_cities_and_sea():
    lat = np.array([48.8566, 52.2297, 41.9028, 55.7558, 45.0, 36.0])
    lon = np.array([2.3522, 21.0122, 12.4964, 37.6173, -30.0, 18.0])
    codes = geo.country_of(lat, lon)
    assert codes.tolist() == ["FRA", "POL", "ITA", "RUS", "", ""]


def test_country_of_keeps_input_shape_and_wraps_longitude():
    lat = np.array([[48.8566, 52.2297], [48.8566, 0.0]])
    lon = np.array([[2.3522 + 360.0, 21.0122], [2.3522, -150.0]])
    codes = geo.country_of(lat, lon)
    assert codes.shape == (2, 2)
    assert codes.tolist() == [["FRA", "POL"], ["FRA", ""]]


def test_countries_filters_by_continent_and_box():
    europe = {c.iso3 for c in geo.countries("Europe")}
    assert {"FRA", "DEU", "POL", "NOR", "RUS"} <= europe
    assert "USA" not in europe
    box = {c.iso3 for c in geo.countries((5.0, 15.0, 47.0, 55.0))}
    assert {"DEU", "CHE", "AUT", "CZE"} <= box
    assert "ESP" not in box and "GRC" not in box


def test_country_population_estimates_come_from_natural_earth():
    est = geo.country_population_estimates(["DEU", "FRA", "XXX"])
    assert set(est) == {"DEU", "FRA"}
    # Natural Earth 5.1.1 POP_EST for Germany is 83 132 799 (2019).
    assert est["DEU"]["year"] == 2019
    assert 80e6 < est["DEU"]["population"] < 86e6


def test_district_radius_grows_with_population_and_is_clipped():
    r = geo.district_radius_km([1e3, 1e6, 4e6, 1e9])
    assert r[0] == 2.0 and r[-1] == 40.0
    assert r[2] == pytest.approx(2.0 * r[1])
    assert r[1] == pytest.approx(math.sqrt(1e6 / (math.pi * geo.DISTRICT_DENSITY_PER_KM2)))


def test_known_districts_are_dropped_and_separate_cities_kept():
    world = geo.cities()
    kept = {(str(n), str(c)) for n, c in zip(world.name, world.iso3)}
    raw = geo._raw_cities(15000)
    raw_names = {(str(n), str(c)) for n, c in zip(raw.name, raw.iso3)}
    districts = [("Kreuzberg", "DEU"), ("Neukölln", "DEU"), ("Sector 1", "ROU"),
                 ("Paris 15 Vaugirard", "FRA"), ("Mokotów", "POL"), ("Islington", "GBR")]
    for d in districts:
        assert d in raw_names, d  # the district exists in the raw data ...
        assert d not in kept, d  # ... and is merged into its city
    for c in [("Berlin", "DEU"), ("Potsdam", "DEU"), ("Paris", "FRA"), ("Warsaw", "POL"),
              ("Bucharest", "ROU"), ("London", "GBR"), ("Hamburg", "DEU")]:
        assert c in kept, c


def test_no_two_kept_cities_of_a_country_within_merge_distance():
    world = geo.cities((-25.0, 60.0, 30.0, 72.0))
    xyz = geo._unit_vectors(world.lat_deg, world.lon_deg)
    radius = geo.district_radius_km(world.population)
    from scipy.spatial import cKDTree

    tree = cKDTree(xyz)
    pairs = tree.query_pairs(geo._chord(radius.max()), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    same = world.iso3[i] == world.iso3[j]
    chord = np.linalg.norm(xyz[i] - xyz[j], axis=1)
    dist = 2 * geo.EARTH_RADIUS_KM * np.arcsin(chord / 2)
    bigger = np.where(world.population[i] >= world.population[j], i, j)
    violating = same & (dist < radius[bigger])
    assert not violating.any()


def test_deduplicated_urban_total_does_not_exceed_national_estimates():
    urban = geo.urban_population_by_country()
    for c in _top_ten_european():
        share = urban[c.iso3] / c.population
        # Without de-duplication Spain's places sum to ~96 % of its population.
        assert 0.2 < share < 0.8, (c.iso3, share)


def test_cities_box_and_threshold():
    box = (10.0, 20.0, 45.0, 55.0)
    c = geo.cities(box, min_population=100000)
    assert len(c) > 10
    assert np.all(c.population >= 100000)
    assert np.all((c.lon_deg >= 10) & (c.lon_deg <= 20) & (c.lat_deg >= 45) & (c.lat_deg <= 55))
    assert np.all(np.diff(c.population) <= 0)


@pytest.fixture(scope="module")
def world_grid():
    lat_edges = np.arange(-60.0, 84.001, 1.0)
    lon_edges = np.arange(-180.0, 180.001, 1.0)
    return geo.population_grid(lat_edges, lon_edges, land_step_deg=0.2)


def test_country_totals_match_natural_earth_for_ten_most_populous_european_countries(world_grid):
    totals = world_grid.by_country()
    for c in _top_ten_european():
        ratio = totals[c.iso3] / c.population
        assert abs(ratio - 1.0) < 0.25, (c.iso3, ratio)


def test_country_population_totals_reports_ratios_near_one_for_europe():
    top = [c.iso3 for c in _top_ten_european()]
    check = geo.country_population_totals(top, grid_deg=1.0, land_step_deg=0.2)
    assert set(check) == set(top)
    for code, row in check.items():
        assert row["ratio"] == pytest.approx(row["population"] / row["natural_earth"])
        assert abs(row["ratio"] - 1.0) < 0.25, (code, row)
    urban_only = geo.country_population_totals(top, rural=False)
    assert all(urban_only[c]["ratio"] < check[c]["ratio"] for c in top)


def test_rural_residual_is_spread_over_land_not_sea(world_grid):
    lat_c = 0.5 * (world_grid.lat_edges[:-1] + world_grid.lat_edges[1:])
    lon_c = 0.5 * (world_grid.lon_edges[:-1] + world_grid.lon_edges[1:])
    rural = world_grid.total() - world_grid.total(urban_only=True)
    i = np.searchsorted(lat_c, 45.0)  # mid North Atlantic
    j = np.searchsorted(lon_c, -35.0)
    assert rural[i, j] == 0.0
    i, j = np.searchsorted(lat_c, 50.0), np.searchsorted(lon_c, 10.0)  # central Germany
    assert rural[i, j] > 0.0


def test_city_only_grid_counts_only_cities():
    lat_edges = np.arange(45.0, 56.0, 1.0)
    lon_edges = np.arange(5.0, 16.0, 1.0)
    grid = geo.population_grid(lat_edges, lon_edges, rural=False)
    inside = geo.cities((5.0, 15.0, 45.0, 55.0))
    assert grid.total().sum() == pytest.approx(inside.population.sum())
    assert np.all(grid.urban)


def test_protected_population_all_true_equals_total_and_all_false_is_zero():
    shape = (EUROPE_LAT.size, EUROPE_LON.size)
    everything = geo.protected_population(EUROPE_LAT, EUROPE_LON, np.ones(shape, bool))
    nothing = geo.protected_population(EUROPE_LAT, EUROPE_LON, np.zeros(shape, bool))
    assert everything.protected == pytest.approx(everything.total)
    assert everything.fraction == pytest.approx(1.0)
    assert everything.by_country["DEU"] == pytest.approx(everything.total_by_country["DEU"])
    assert nothing.protected == 0.0 and nothing.by_country == {}
    assert nothing.total == pytest.approx(everything.total)
    assert 5e8 < everything.total < 1.2e9
    summary = everything.as_dict()
    assert summary["population_protected"] == round(everything.protected)
    assert summary["fraction_protected"] == pytest.approx(1.0)
    rows = {r["iso3"]: r for r in summary["by_country"]}
    assert rows["DEU"]["name"] == "Germany"
    assert sum(r["population_total"] for r in summary["by_country"]) == pytest.approx(everything.total, rel=1e-6)
    json.dumps(summary)


def test_protected_population_counts_a_defended_city():
    lat = np.arange(50.25, 55.0, 0.5)
    lon = np.arange(18.25, 24.0, 0.5)
    mask = np.zeros((lat.size, lon.size), bool)
    i, j = np.searchsorted(lat + 0.25, 52.2297), np.searchsorted(lon + 0.25, 21.0122)
    mask[i, j] = True  # the cell holding central Warsaw
    urban = geo.protected_population(lat, lon, mask, rural=False)
    assert urban.by_country.keys() == {"POL"}
    assert urban.protected >= 1.7e6  # Warsaw, GeoNames population 1.7 M
    # Accepts meshgrid input too.
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    assert geo.protected_population(LAT, LON, mask, rural=False).protected == urban.protected


def test_protected_population_rejects_mismatched_mask_and_bad_grids():
    with pytest.raises(ValueError):
        geo.protected_population(EUROPE_LAT, EUROPE_LON, np.ones((3, 3), bool))
    with pytest.raises(ValueError):
        geo.population_grid([40.0, 41.0], [170.0, 181.0])
    with pytest.raises(ValueError):
        geo.protected_population([40.0, 40.5, 41.5], [0.0, 0.5], np.ones((3, 2), bool))


def test_geojson_round_trips_cells_and_area():
    rng = np.random.default_rng(7)
    lat = np.arange(40.25, 50.0, 0.5)
    lon = np.arange(0.25, 12.0, 0.5)
    mask = rng.random((lat.size, lon.size)) < 0.4
    mask[3:8, 4:10] = True  # a block that must merge into one polygon part
    gj = json.loads(json.dumps(geo.mask_to_geojson(lat, lon, mask, {"scenario": "test"})))
    feature = gj["features"][0]
    assert feature["properties"]["cells"] == int(mask.sum())
    assert feature["properties"]["scenario"] == "test"
    from shapely.geometry import shape

    geom = shape(feature["geometry"])
    assert geom.area == pytest.approx(mask.sum() * 0.25, rel=1e-9)
    back = geo.mask_from_geojson(gj, lat, lon)
    assert np.array_equal(back, mask)
    n_parts = len(getattr(geom, "geoms", [geom]))
    assert n_parts < mask.sum()  # cells were merged


def test_geojson_of_empty_mask_has_null_geometry():
    lat = np.arange(40.25, 42.0, 0.5)
    lon = np.arange(0.25, 2.0, 0.5)
    gj = geo.mask_to_geojson(lat, lon, np.zeros((lat.size, lon.size), bool))
    assert gj["features"][0]["geometry"] is None
    assert gj["features"][0]["properties"]["cells"] == 0


def test_cell_edges_of_a_single_centre_need_the_step_and_no_centres_is_a_clear_error():
    assert geo._edges_from_centres(np.array([89.75]), "lat", step=0.5).tolist() == [89.5, 90.0]
    with pytest.raises(ValueError, match="single grid centre"):
        geo._edges_from_centres(np.array([40.0]), "lat")
    with pytest.raises(ValueError, match="no cells"):
        geo._edges_from_centres(np.array([]), "lat")


def test_population_of_cells_touching_the_pole_is_counted_with_edges_clipped_to_90():
    from shieldsim.coverage import grid_centres

    lat, lon = grid_centres(89.9, 90.0, -180.0, 180.0, 10.0)
    lat_e, lon_e = geo.cell_edges(lat, lon)
    assert lat_e.tolist() == pytest.approx([89.9, 89.95, 90.0]) and lon_e[[0, -1]].tolist() == [-180.0, 180.0]
    pop = geo.protected_population(lat, lon, np.ones((lat.size, lon.size), bool))
    assert pop.protected == pop.total >= 0


# --------------------------------------------------------------------------- NATO Europe


def _shipped_membership() -> dict:
    """The shipped membership list, read here independently of geography's reader."""
    import tomllib
    from importlib.resources import files

    return tomllib.loads(files("shieldsim").joinpath("data/nato_members.toml").read_text(encoding="utf-8"))


def _nato_europe_codes(year: int) -> set[str]:
    data = _shipped_membership()
    members = {m["iso3"] for m in data["member"] if m["european"] and m["joined"].year <= year}
    return members | {t["iso3"] for t in data.get("territory", []) if t["member"] in members}


def test_membership_follows_the_accession_years():
    assert "MNE" not in geo.nato_europe(2011) and "MNE" in geo.nato_europe(2018)
    assert "MKD" not in geo.nato_europe(2019) and "MKD" in geo.nato_europe(2020)
    assert "FIN" not in geo.nato_europe(2022) and "FIN" in geo.nato_europe(2023)
    assert "SWE" not in geo.nato_europe(2023) and "SWE" in geo.nato_europe(2024)
    assert {"TUR", "DEU", "POL", "ROU", "ALB", "HRV"} <= set(geo.nato_europe(2011))
    assert "USA" not in geo.nato_europe(2024) and "CAN" not in geo.nato_europe(2024)
    assert [len(geo.nato_europe(y)) for y in (1949, 2011, 2018, 2020, 2024)] == [10, 26, 27, 28, 30]
    assert geo.nato_europe(1948) == ()
    assert "ALA" in geo.nato_europe_areas(2023) and "ALA" not in geo.nato_europe_areas(2018)
    assert {"FRO", "GRL"} <= geo.nato_europe_areas(1949)
    with pytest.raises(ValueError, match="year"):
        geo.nato_europe("2018")


def test_shipped_membership_list_is_sourced_and_uses_codes_the_map_knows():
    data = _shipped_membership()
    assert "nato.int" in data["source"] and geo.nato_members_source()
    codes = [m["iso3"] for m in data["member"]]
    assert len(codes) == len(set(codes)) == 32
    known = geo.country_population_estimates(codes + [t["iso3"] for t in data["territory"]])
    assert set(codes) <= set(known)
    assert {t["iso3"] for t in data["territory"]} <= set(known)
    assert {t["member"] for t in data["territory"]} <= set(codes)
    assert [m.iso3 for m in geo.nato_members() if not m.european] == ["CAN", "USA"]


def _threat_masks():
    shape = (EUROPE_LAT.size, EUROPE_LON.size)
    LAT, LON = np.meshgrid(EUROPE_LAT, EUROPE_LON, indexing="ij")
    threatened = (LAT < 48.0) & (LON > 5.0)
    defended = threatened & (LON > 20.0) & (LAT < 44.0)
    assert threatened.shape == shape
    return threatened, defended


def test_threatened_and_defended_population_per_country():
    threatened, defended = _threat_masks()
    pop = geo.protected_population(EUROPE_LAT, EUROPE_LON, defended, threatened_mask=threatened)
    alone = geo.protected_population(EUROPE_LAT, EUROPE_LON, threatened)
    assert pop.threatened == pytest.approx(alone.protected)
    assert pop.protected <= pop.threatened <= pop.total
    for code, people in pop.by_country.items():
        assert people <= pop.threatened_by_country[code] * (1 + 1e-12)
    rows = {r["iso3"]: r for r in pop.as_dict()["by_country"]}
    assert rows["GBR"]["population_threatened"] == 0 and rows["GBR"]["fraction_defended_of_threatened"] == 0.0
    tur = rows["TUR"]
    assert tur["population_defended"] == tur["population_protected"] > 0
    assert tur["fraction_defended_of_threatened"] == pytest.approx(tur["population_defended"] / tur["population_threatened"])
    # without a threatened mask the threatened figures are unknown, not zero
    unknown = geo.protected_population(EUROPE_LAT, EUROPE_LON, defended).as_dict()
    assert unknown["population_threatened"] is None and unknown["fraction_defended_of_threatened"] is None
    with pytest.raises(ValueError, match="threatened"):
        geo.protected_population(EUROPE_LAT, EUROPE_LON, defended, threatened_mask=np.ones((2, 2), bool))


@pytest.mark.parametrize("year", [2011, 2018, 2024])
def test_nato_europe_figures_are_the_sums_of_the_member_rows(year):
    threatened, defended = _threat_masks()
    pop = geo.protected_population(EUROPE_LAT, EUROPE_LON, defended, threatened_mask=threatened)
    split = geo.nato_europe_population(pop, year)
    rows = pop.as_dict()["by_country"]
    codes = _nato_europe_codes(year)
    nato, rest = split["nato_europe"], split["rest_of_region"]
    for key in ("population_total", "population_threatened", "population_defended"):
        assert nato[key] == sum(r[key] for r in rows if r["iso3"] in codes), key
        assert rest[key] == sum(r[key] for r in rows if r["iso3"] not in codes), key
        assert nato[key] + rest[key] == sum(r[key] for r in rows)
    assert nato["fraction_defended_of_threatened"] == pytest.approx(nato["population_defended"] / nato["population_threatened"])
    assert nato["membership_year"] == year and nato["membership_year_from"] == "scenario"
    assert set(nato["members"]) | set(nato["territories"]) == codes
    assert not set(rest["countries"]) & codes and {"RUS", "UKR", "DZA"} <= set(rest["countries"])
    assert nato["members_not_on_grid"] == []


def test_nato_europe_uses_the_default_year_and_says_so_and_zero_threat_gives_zero():
    shape = (EUROPE_LAT.size, EUROPE_LON.size)
    pop = geo.protected_population(EUROPE_LAT, EUROPE_LON, np.zeros(shape, bool), threatened_mask=np.zeros(shape, bool))
    split = geo.nato_europe_population(pop)
    nato = split["nato_europe"]
    assert (nato["membership_year"], nato["membership_year_from"]) == (geo.DEFAULT_MEMBERSHIP_YEAR, "default")
    assert nato["population_threatened"] == 0 and nato["fraction_defended_of_threatened"] == 0.0
    assert split["rest_of_region"]["fraction_defended_of_threatened"] == 0.0
    assert nato["population_total"] > 4e8
    json.dumps(split, allow_nan=False)


def test_territory_of_gives_coastal_places_the_coastline_leaves_at_sea_to_their_country():
    # Tromso, Hammerfest, Bodo, Narvik: 0.4-3 km off Natural Earth's 1:10m coast of Norway.
    lat = np.array([69.6496, 70.663, 67.28, 68.44, 57.0, 56.0, np.nan])
    lon = np.array([18.956, 23.682, 14.40, 17.43, 19.0, 3.0, 10.0])
    assert geo.country_of(lat[:4], lon[:4]).tolist() == ["", "", "", ""]
    assert geo.territory_of(lat, lon).tolist() == ["NOR", "NOR", "NOR", "NOR", "", "", ""]


def test_territory_of_equals_country_of_on_land_or_with_no_belt_and_keeps_the_shape():
    lat = np.array([[48.8566, 52.2297], [69.6496, 45.0]])
    lon = np.array([[2.3522, 21.0122 + 360.0], [18.956, -30.0]])
    assert geo.territory_of(lat, lon, sea_km=0).tolist() == geo.country_of(lat, lon).tolist()
    assert geo.territory_of(lat, lon).tolist() == [["FRA", "POL"], ["NOR", ""]]


def test_territory_of_gives_sea_within_12_nautical_miles_to_the_nearest_coast():
    """Against an independent reference: the distance from each sea point to every nearby
    country's drawn land, measured in an azimuthal equidistant projection centred on the point
    (pyproj). Points within 2 % of the 22.224 km belt edge are not judged."""
    import pyproj
    import shapely

    rng = np.random.default_rng(7)
    lat = rng.uniform(54.0, 71.0, 4000)
    lon = rng.uniform(4.0, 31.0, 4000)
    sea = geo.country_of(lat, lon) == ""
    lat, lon = lat[sea][:120], lon[sea][:120]
    got = geo.territory_of(lat, lon)
    judged = 0
    for a, b, code in zip(lat, lon, got):
        local = pyproj.Transformer.from_crs("EPSG:4326", pyproj.CRS(proj="aeqd", lat_0=a, lon_0=b, datum="WGS84"),
                                            always_xy=True)
        window = shapely.box(b - 2.0, a - 0.6, b + 2.0, a + 0.6)
        nearest_km, nearest = np.inf, ""
        for c in geo.countries((b - 2.0, b + 2.0, a - 0.6, a + 0.6)):
            part = shapely.intersection(c.geometry, window)
            if part.is_empty:
                continue
            d = shapely.distance(shapely.transform(part, lambda xy, local=local: np.column_stack(local.transform(*xy.T))),
                                 shapely.Point(0.0, 0.0)) / 1e3
            if d < nearest_km:
                nearest_km, nearest = d, c.iso3
        if abs(nearest_km - geo.TERRITORIAL_SEA_KM) < 0.02 * geo.TERRITORIAL_SEA_KM:
            continue
        judged += 1
        assert code == (nearest if nearest_km < geo.TERRITORIAL_SEA_KM else ""), (a, b, nearest_km, nearest)
    assert judged > 100 and (got != "").sum() > 10


def _natural_earth_as_read() -> list:
    """(name, geometry) of each unit as the shapefile gives them (geometry not yet made valid)."""
    import shapefile
    from shapely.geometry import shape

    from shieldsim.geography import borders

    with shapefile.Reader(borders.natural_earth_stamp()[0], encoding="utf-8") as sf:
        return [(r["NAME"], shape(s.__geo_interface__)) for r, s in zip(sf.records(), sf.shapes())]


def test_borders_kept_on_disk_are_the_shapefile_geometries_bit_for_bit(own_store, monkeypatch):
    import shapely

    from shieldsim.geography import borders

    read = _natural_earth_as_read()
    computed = borders._natural_earth.__wrapped__()
    assert list(own_store.rglob("natural-earth-*.npz"))
    monkeypatch.setattr(borders, "_read_natural_earth", lambda: pytest.fail("read again"))
    loaded = borders._natural_earth.__wrapped__()
    assert len(computed) == len(loaded) == len(read) == 250
    for a, b, (name, geom) in zip(computed, loaded, read):
        geom = geom if geom.is_valid else shapely.make_valid(geom)
        assert a == b and a.name == name  # every field but the geometry
        assert shapely.to_wkb(a.geometry) == shapely.to_wkb(b.geometry) == shapely.to_wkb(geom)
        assert shapely.equals_exact(b.geometry, geom, tolerance=0.0) and shapely.is_prepared(b.geometry)


def test_population_grid_and_cities_kept_on_disk_equal_the_computed_ones(own_store, monkeypatch):
    from shieldsim.geography import places, population

    args = (tuple(np.arange(34.0, 72.01, 2.0)), tuple(np.arange(-25.0, 45.01, 2.0)), True, 0.5, 15000)
    computed = population._build_grid(*args)
    first = population._population_grid_cached.__wrapped__(*args)
    raw = places._raw_cities(15000)
    cities = raw.subset(~places.district_mask(raw))
    first_cities = places._deduplicated.__wrapped__(15000, places.DISTRICT_DENSITY_PER_KM2)
    monkeypatch.setattr(population, "_build_grid", lambda *a: pytest.fail("built again"))
    monkeypatch.setattr(places, "district_mask", lambda *a: pytest.fail("de-duplicated again"))
    loaded = population._population_grid_cached.__wrapped__(*args)
    loaded_cities = places._deduplicated.__wrapped__(15000, places.DISTRICT_DENSITY_PER_KM2)
    for grid in (first, loaded):
        for name in ("lat_edges", "lon_edges", "cell", "country", "population", "urban"):
            a, b = getattr(computed, name), getattr(grid, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
        assert grid.codes == computed.codes and grid.method == computed.method
    for got in (first_cities, loaded_cities):
        for name in ("lat_deg", "lon_deg", "population", "iso3", "name"):
            a, b = getattr(cities, name), getattr(got, name)
            assert a.dtype == b.dtype and a.tolist() == b.tolist()
    assert len(list(own_store.rglob("population-grid-*.npz"))) == 1
    with pytest.raises(pytest.fail.Exception):  # another land step is another entry: built
        population._population_grid_cached.__wrapped__(*args[:3], 1.0, 15000)
