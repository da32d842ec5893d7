"""Defended footprints: the per-cell reduction, and the monotonic properties of whole
footprints computed from a scenario."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from shieldsim import scenario as scen
from shieldsim import study
from shieldsim.coverage import (
    Footprint, battery_ready, combine_footprints, empty_summary, grid_centres, merge_summaries, summarise_cells,
)


def fake_engagement(engageable, shots=None, pk=None, alt=None):
    engageable = np.asarray(engageable, bool)
    return SimpleNamespace(
        engageable=engageable,
        shots=np.asarray(shots if shots is not None else engageable.astype(int)),
        kill_probability=np.asarray(pk if pk is not None else engageable * 0.8),
        first_alt=np.asarray(alt if alt is not None else np.where(engageable, 100e3, np.nan)),
    )


def test_cell_is_defended_only_if_every_flight_to_it_is_engageable():
    # flights 0,1 -> cell 0 (both engageable); flights 2,3 -> cell 1 (one not); cell 2 unreached
    e = fake_engagement([[1, 0], [0, 1], [1, 1], [0, 0]], shots=[[2, 0], [0, 3], [1, 1], [0, 0]])
    s = summarise_cells([0, 0, 1, 1], 3, e, e.engageable)
    assert s.threatened.tolist() == [True, True, False]
    assert s.defended.tolist() == [True, False, False]
    assert s.shots.tolist() == [2, 0, 0]
    assert s.engaging.tolist() == [[True, True], [True, True], [False, False]]
    assert np.isnan(s.kill_probability[2])


def test_merging_summaries_equals_summarising_all_flights_at_once():
    rng = np.random.default_rng(0)
    eng = rng.random((200, 3)) < 0.6
    e = fake_engagement(eng, shots=rng.integers(0, 4, (200, 3)), pk=rng.random((200, 3)),
                        alt=rng.uniform(50e3, 500e3, (200, 3)))
    cell = rng.integers(0, 40, 200)
    whole = summarise_cells(cell, 40, e, eng)
    parts = empty_summary(40)
    for sl in (slice(0, 70), slice(70, 150), slice(150, 200)):
        sub = fake_engagement(eng[sl], e.shots[sl], e.kill_probability[sl], e.first_alt[sl])
        parts = merge_summaries(parts, summarise_cells(cell[sl], 40, sub, eng[sl]))
    for name in ("threatened", "defended", "shots", "engaging"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name
    assert np.allclose(whole.kill_probability, parts.kill_probability, equal_nan=True)
    assert np.allclose(whole.intercept_alt, parts.intercept_alt, equal_nan=True)


def test_battery_without_rounds_for_its_doctrine_is_not_ready():
    e = fake_engagement([[1, 1, 1]])
    ready = battery_ready(e, inventory=[0, 1, 1], doctrine=["one-shot", "salvo", "shoot-look-shoot"], salvo_size=[2, 2, 2])
    assert ready.tolist() == [[False, False, True]]


def test_grid_centres_cover_the_box_and_reject_bad_steps():
    lat, lon = grid_centres(40, 50, -10, 10, 0.5)
    assert lat[0] == 40.25 and lat[-1] == 49.75 and lon.size == 40
    with pytest.raises(ValueError, match="grid_deg"):
        grid_centres(40, 50, -10, 10, 0)


def test_combined_footprint_defends_only_where_every_area_is_defended():
    lat, lon = np.array([50.0]), np.array([10.0, 11.0, 12.0])

    def fp(threat, defended):
        s = empty_summary(3)
        s.threatened[:] = threat
        s.defended[:] = defended
        return Footprint.from_summary(lat, lon, s, battery_names=(), threat_area="x", threat_classes=("c",),
                                      launch_points=("p",))

    both = combine_footprints([fp([1, 1, 0], [1, 0, 0]), fp([1, 0, 1], [1, 0, 1])], "all")
    assert both.threatened.tolist() == [[True, True, True]]
    assert both.defended.tolist() == [[True, False, True]]


# --- whole footprints from a scenario: small box over south-eastern Europe, one threat class

SMALL = """
name = "small-test"
extends = "epaa-2018"
[defended]
lat_min_deg = 40.0
lat_max_deg = 50.0
lon_min_deg = 18.0
lon_max_deg = 30.0
grid_deg = 1.0
source = "test box"
[launch_areas.tabriz]
threats = ["mrbm-solid"]
"""


@pytest.fixture(scope="module")
def arch():
    return study.Architecture.from_scenario(scen.loads(SMALL))


@pytest.fixture(scope="module")
def base(arch):
    return study.footprint(arch, "tabriz")


def _variant(arch, **changes):
    return dataclasses.replace(arch, **changes)


def test_small_scenario_is_threatened_and_partly_defended(base):
    assert base.threatened.sum() > 20
    assert 0 < base.defended.sum() <= base.threatened.sum()
    assert not np.any(base.defended & ~base.threatened)


def test_slower_interceptors_never_enlarge_the_footprint(arch, base):
    slow = [dataclasses.replace(b, interceptor=dataclasses.replace(b.interceptor, burnout_speed=b.interceptor.burnout_speed * 0.6))
            for b in arch.batteries]
    fp = study.footprint(_variant(arch, batteries=slow), "tabriz")
    assert not np.any(fp.defended & ~base.defended)
    assert fp.defended.sum() < base.defended.sum()


def test_removing_a_battery_never_enlarges_the_footprint(arch, base):
    keep = [i for i, b in enumerate(arch.batteries) if b.name != "deveselu"]
    fp = study.footprint(_variant(arch, batteries=[arch.batteries[i] for i in keep],
                                  battery_networks=[arch.battery_networks[i] for i in keep]), "tabriz")
    assert not np.any(fp.defended & ~base.defended)


def test_a_later_track_never_enlarges_the_footprint(arch, base):
    late = [dataclasses.replace(b, interceptor=dataclasses.replace(b.interceptor, launch_delay=b.interceptor.launch_delay + 120))
            for b in arch.batteries]
    fp = study.footprint(_variant(arch, batteries=late), "tabriz")
    assert not np.any(fp.defended & ~base.defended)


def test_adding_a_shared_radar_never_shrinks_the_footprint(arch, base):
    from shieldsim.sensors import Radar

    net = arch.networks["nato"]
    extra = Radar(name="extra-tpy2", lat=np.radians(41.0), lon=np.radians(43.0), antenna_height=10.0, field="fixed",
                  boresight=np.radians(120.0), half_width=np.radians(60.0), min_elevation=0.0,
                  max_elevation=np.radians(90.0), max_range=3000e3, reference_range=1500e3, reference_rcs=1.0,
                  revisit=2.0, hits_for_track=3, fire_control=True)
    bigger = dataclasses.replace(net, sensors=list(net.sensors) + [extra], home=tuple(net.home) + ("extra-tpy2",))
    fp = study.footprint(_variant(arch, networks={**arch.networks, "nato": bigger}), "tabriz")
    assert not np.any(base.defended & ~fp.defended)


def test_site_surroundings_defended_and_far_points_not(arch, base):
    i = np.argmin(abs(base.lat_deg - 44.08))
    j = np.argmin(abs(base.lon_deg - 24.40))  # Deveselu
    assert base.threatened[i, j] and base.defended[i, j]
    # with every battery moved 4,000 km away nothing is defended
    far = [dataclasses.replace(b, lat=np.radians(10.0), lon=np.radians(-60.0)) for b in arch.batteries]
    fp = study.footprint(_variant(arch, batteries=far), "tabriz")
    assert fp.threatened.sum() == base.threatened.sum() and not fp.defended.any()


def test_footprint_files_are_written_and_agree(base, tmp_path):
    import json

    import xarray as xr

    paths = base.write(tmp_path / "fp")
    ds = xr.open_dataset(paths[0], engine="scipy")
    assert int(ds["defended"].sum()) == int(base.defended.sum())
    gj = json.loads(paths[1].read_text())
    assert gj["features"][0]["properties"]["cells"] == int(base.defended.sum())
    rows = np.loadtxt(paths[2], delimiter=",", skiprows=1, ndmin=2)
    assert len(rows) == int(base.threatened.sum()) and rows[:, 2].sum() == base.defended.sum()


@pytest.mark.slow
def test_footprint_on_a_dask_local_cluster_equals_in_process(arch, base):
    from shieldsim.parallel import executor

    with executor(workers=2) as ex:
        fp = study.footprints([arch], "tabriz", executor=ex, chunk=40)[0]
    for name in ("threatened", "defended", "shots", "engaging"):
        assert np.array_equal(getattr(fp, name), getattr(base, name)), name
    assert np.allclose(fp.kill_probability, base.kill_probability, equal_nan=True)


def test_footprint_by_batch_threads_equals_batches_one_after_another(arch):
    from shieldsim.parallel import InProcessExecutor, ThreadedExecutor

    one = study.footprints([arch], "tabriz", executor=InProcessExecutor(), chunk=20)[0]
    seen = []
    two = study.footprints([arch], "tabriz", executor=ThreadedExecutor(2, 1), chunk=20,
                           progress=lambda done, total: seen.append((done, total)))[0]
    assert one.threatened.any() and one.defended.any()
    for name in ("threatened", "defended", "shots", "kill_probability", "intercept_alt_km", "engaging"):
        assert np.array_equal(getattr(two, name), getattr(one, name), equal_nan=True), name
    assert two.attrs == one.attrs
    done = [d for d, _ in seen]
    assert len(seen) > 2 and done == sorted(done) and seen[-1][0] == seen[-1][1] == two.attrs["flights"] + \
        two.attrs["unflyable_pairs"]


def test_footprint_batches_are_the_same_when_land_cells_and_reach_come_from_the_process_memo(arch, monkeypatch):
    from shieldsim import geography
    from shieldsim.study import coverage_study

    def batches(a):
        lat_c, lon_c, got = study.footprint_batches(a, "tabriz")
        return lat_c, lon_c, [(b.threat, b.launch_lat, b.launch_lon, b.cells.tolist(), b.lat.tolist(), b.lon.tolist())
                              for b in got]

    monkeypatch.setattr(coverage_study, "_LAND", coverage_study._Memo(16))
    monkeypatch.setattr(coverage_study, "_REACH", coverage_study._Memo(16))
    first = batches(arch)
    assert first[2]
    computed = []
    real = coverage_study.reachable_from

    def counted(missile, *args):
        computed.append(missile.burnout_speed)
        return real(missile, *args)

    monkeypatch.setattr(coverage_study, "reachable_from", counted)
    monkeypatch.setattr(geography, "country_of", lambda *a: pytest.fail("land cells computed again"))
    again = batches(arch)
    assert computed == []
    assert np.array_equal(again[0], first[0]) and np.array_equal(again[1], first[1]) and again[2] == first[2]
    slower = {k: dataclasses.replace(m, burnout_speed=0.8 * m.burnout_speed) for k, m in arch.missiles.items()}
    fewer = batches(_variant(arch, missiles=slower))  # another class: its own reach, the same land cells
    assert computed == [0.8 * arch.missiles["mrbm-solid"].burnout_speed]
    assert sum(len(b[3]) for b in fewer[2]) < sum(len(b[3]) for b in first[2])


def test_merging_summaries_in_any_order_gives_the_same_summary_bit_for_bit():
    rng = np.random.default_rng(1)
    eng = rng.random((300, 3)) < 0.5
    e = fake_engagement(eng, shots=rng.integers(0, 4, (300, 3)), pk=rng.random((300, 3)),
                        alt=rng.uniform(50e3, 500e3, (300, 3)))
    cell = rng.integers(0, 50, 300)
    cuts = [slice(k, k + 30) for k in range(0, 300, 30)]
    parts = [summarise_cells(cell[c], 50, fake_engagement(eng[c], e.shots[c], e.kill_probability[c],
                                                          e.first_alt[c]), eng[c]) for c in cuts]
    merged = []
    for order in (range(10), range(9, -1, -1), rng.permutation(10)):
        m = empty_summary(50)
        for k in order:
            m = merge_summaries(m, parts[k])
        merged.append(m)
    for m in merged[1:]:
        for name in ("threatened", "defended", "shots", "kill_probability", "intercept_alt", "engaging"):
            assert np.array_equal(getattr(m, name), getattr(merged[0], name), equal_nan=True), name


# --- whatever `validate` accepts, coverage runs: any number of batteries, any box


def test_forty_batteries_are_summarised_and_merged_without_a_bitmask_limit():
    rng = np.random.default_rng(4)
    eng = rng.random((300, 40)) < 0.2
    e = fake_engagement(eng)
    cell = rng.integers(0, 25, 300)
    whole = summarise_cells(cell, 25, e, eng)
    expected = np.zeros((25, 40), bool)
    for i in range(300):
        expected[cell[i]] |= eng[i]
    assert whole.engaging.shape == (25, 40) and np.array_equal(whole.engaging, expected)
    parts = empty_summary(25)
    for sl in (slice(0, 100), slice(100, 300)):
        parts = merge_summaries(parts, summarise_cells(cell[sl], 25, fake_engagement(eng[sl]), eng[sl]))
    assert np.array_equal(parts.engaging, expected)


def test_grid_of_a_box_narrower_than_the_step_is_two_cells_per_axis_spanning_the_box():
    from shieldsim.geography import cell_edges

    lat, lon = grid_centres(40.0, 40.2, 20.0, 21.4, 1.0)
    assert lat.tolist() == pytest.approx([40.05, 40.15]) and lon.tolist() == pytest.approx([20.35, 21.05])
    lat_e, lon_e = cell_edges(lat, lon)
    assert lat_e.tolist() == pytest.approx([40.0, 40.1, 40.2]) and lon_e.tolist() == pytest.approx([20.0, 20.7, 21.4])
    assert grid_centres(40, 50, -10, 10, 0.5)[0].size == 20  # wide boxes keep the step
    lat, _ = grid_centres(85.0, 90.0, 0.0, 20.0, 10.0)  # a strip at the pole
    assert lat.tolist() == pytest.approx([86.25, 88.75])


def _coverage_cli(tmp_path, capsys, toml):
    import json

    from shieldsim.cli import main

    path = tmp_path / "sc.toml"
    path.write_text(toml)
    with pytest.raises(SystemExit) as ex:
        main(["coverage", str(path), "--threat-area", "tabriz", "--out", str(tmp_path / "out"), "--json",
              "--no-progress"])
    captured = capsys.readouterr()
    assert ex.value.code == 0, captured.err
    return json.loads(captured.out)


FORTY = SMALL.replace('name = "small-test"', 'name = "forty"').replace("grid_deg = 1.0", "grid_deg = 2.0") + "".join(
    f'[batteries.ship{i:02d}]\nplatform = "ship"\nlat_deg = {34.0 + 0.1 * i}\nlon_deg = 26.0\ninterceptor = "sm3-ia"\n'
    f'inventory = 8\ndoctrine = "shoot-look-shoot"\nnetwork = "nato"\nsource = "test"\n' for i in range(40))


def test_coverage_command_runs_a_scenario_of_forty_batteries_and_records_each_in_the_netcdf(tmp_path, capsys):
    import xarray as xr

    summary = _coverage_cli(tmp_path, capsys, FORTY)
    assert summary["population_protected"] > 0
    ds = xr.open_dataset(tmp_path / "out" / "footprint-tabriz.nc", engine="scipy")
    names = list(ds["battery"].values)
    assert len(names) == len(scen.loads(FORTY).batteries) >= 43 and "ship39" in names and "deveselu" in names
    engaging = ds["engaging"].values.astype(bool)
    assert engaging.shape == ds["defended"].shape + (len(names),)
    assert (ds["batteries_engaging"].values == engaging.sum(axis=2)).all()
    assert not (ds["defended"].values.astype(bool) & ~engaging.any(axis=2)).any()
    assert engaging[..., names.index("ship39")].any()


@pytest.mark.parametrize("box", ["lat_min_deg = 44.0\nlat_max_deg = 44.2\nlon_min_deg = 26.0\nlon_max_deg = 26.2",
                                 "lat_min_deg = 89.9\nlat_max_deg = 90.0\nlon_min_deg = 20.0\nlon_max_deg = 30.0"],
                         ids=["one-cell-box", "box-touching-the-pole"])
def test_coverage_command_runs_a_box_narrower_than_the_grid_step(tmp_path, capsys, box):
    toml = SMALL.replace("lat_min_deg = 40.0\nlat_max_deg = 50.0\nlon_min_deg = 18.0\nlon_max_deg = 30.0", box)
    toml = toml.replace("grid_deg = 1.0", "grid_deg = 5.0")
    assert box in toml
    summary = _coverage_cli(tmp_path, capsys, toml)
    area = summary["threat_areas"]["tabriz"]
    assert area["cells_threatened"] <= 4 and 0 <= summary["population_protected"] <= summary["population_total"]
    assert (tmp_path / "out" / "footprint-tabriz.geojson").exists()


def test_footprint_population_counts_people_in_threatened_and_defended_cells(base):
    from shieldsim.geography import protected_population

    pop = base.protected_population()
    assert pop.threatened == pytest.approx(protected_population(base.lat_deg, base.lon_deg, base.threatened).protected)
    assert pop.protected == pytest.approx(protected_population(base.lat_deg, base.lon_deg, base.defended).protected)
    assert 0 < pop.protected <= pop.threatened < pop.total  # the small box is partly out of reach
    for code, threatened in pop.threatened_by_country.items():
        assert pop.by_country.get(code, 0.0) <= threatened * (1 + 1e-12)
