"""arrival_table: the tabulated earliest arrival around a site against the exact search."""

import math

import numpy as np
import pytest

from shieldsim import arrival_table as at
from shieldsim.earth import WGS84, to_ecef
from shieldsim.interceptor import P_BO_ALT, P_DELAY, P_SPEED, catalogue, earliest_arrival, ellipsoid_of
from shieldsim.trajectory import Models

CAT = catalogue()
MODELS = Models()


def _table(key, lat_deg=44.08, lon_deg=24.35):
    earth = MODELS.earth
    site = to_ecef(math.radians(lat_deg), math.radians(lon_deg), 0.0, earth)
    return at.table_for(site, CAT[key].params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth))


def _points_around(table, rng, n, psi_max, h_lo, h_hi):
    """Random Earth-fixed points (n, 3) at ground angle < psi_max and radial height in [h_lo, h_hi]
    around the table's site."""
    frame = table.frame
    psi = rng.uniform(0.0, psi_max, n)
    az = rng.uniform(0.0, 2 * math.pi, n)
    h = rng.uniform(h_lo, h_hi, n)
    d = np.cos(psi)[:, None] * frame[1] + np.sin(psi)[:, None] * (
        np.cos(az)[:, None] * frame[2] + np.sin(az)[:, None] * frame[3])
    return (np.linalg.norm(frame[0]) + h)[:, None] * d


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia", "thaad"])
def test_interpolated_arrival_lies_within_its_margin_of_the_exact_earliest_arrival(key):
    icp = CAT[key]
    table = _table(key)
    rng = np.random.default_rng(7)
    pts = _points_around(table, rng, 1500, icp.max_range / 6.37e6, icp.min_intercept_alt, icp.max_intercept_alt)
    tau, margin = at.interpolate(table, pts)
    exact = earliest_arrival(icp, math.radians(44.08), math.radians(24.35), pts, MODELS, max_time=at.MAX_FLIGHT_S)
    known = np.isfinite(tau)
    assert known.mean() > 0.6  # the table settles most points of the band
    both = known & np.isfinite(exact.flight_time)
    assert both.sum() > 0.5 * len(pts)
    assert np.all(np.abs(tau[both] - exact.flight_time[both]) <= margin[both])
    assert np.all(margin[known] >= at.MIN_MARGIN_S)


def test_points_off_the_grid_are_unknown_not_guessed():
    icp = CAT["sm3-ib"]
    table = _table("sm3-ib")
    rng = np.random.default_rng(3)
    far = _points_around(table, rng, 50, 3 * icp.max_range / 6.37e6, 200e3, 300e3)
    psi_far = np.arccos(np.clip(far @ table.frame[1] / np.linalg.norm(far, axis=1), -1, 1))
    beyond = psi_far * np.linalg.norm(table.frame[0]) > icp.max_range + 2 * at.PSI_STEP_M
    tau, margin = at.interpolate(table, far)
    assert beyond.any()
    assert np.isnan(tau[beyond]).all() and np.isinf(margin[beyond]).all()
    top = icp.max_intercept_alt + at.H_PAD_M  # the grid's top node lies at most one step above this
    high = _points_around(table, rng, 20, 0.05, top + 2 * at.H_STEP_M, top + 3 * at.H_STEP_M)
    tau, margin = at.interpolate(table, high)
    assert np.isnan(tau).all() and np.isinf(margin).all()


def test_tables_are_memoised_per_site_and_interceptor():
    assert _table("sm3-ib") is _table("sm3-ib")
    assert _table("sm3-ib") is not _table("sm3-iia")
    assert _table("sm3-ib") is not _table("sm3-ib", lat_deg=45.0)


def test_packed_tables_hold_each_table_unchanged():
    tables = [_table("sm3-ib"), _table("thaad")]
    packed = at.pack(tables)
    for j, table in enumerate(tables):
        tau, margin = at.packed_views(packed.shapes, packed.tau_start, packed.margin_start, packed.tau,
                                      packed.margin, j)
        np.testing.assert_array_equal(tau, table.tau)
        np.testing.assert_array_equal(margin, table.margin)
        np.testing.assert_array_equal(packed.frames[j], table.frame)


def test_site_frame_is_orthonormal_with_north_towards_the_pole():
    frame = at.site_frame(to_ecef(math.radians(54.5), math.radians(17.1), 0.0, WGS84))
    up, north, east = frame[1], frame[2], frame[3]
    basis = np.stack([up, north, east])
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    assert north[2] > 0 and abs(east[2]) < 1e-12
    np.testing.assert_allclose(np.cross(north, east), -up, atol=1e-12)  # north x east = down


def test_cells_deemed_beyond_reach_hold_only_points_the_exact_search_cannot_reach():
    import dataclasses

    icp = dataclasses.replace(CAT["sm3-ib"], burnout_speed=0.8 * CAT["sm3-ib"].burnout_speed)  # a slowed interceptor
    earth = MODELS.earth
    site = to_ecef(math.radians(44.08), math.radians(24.35), 0.0, earth)
    table = at.table_for(site, icp.params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth))
    rng = np.random.default_rng(9)
    pts = _points_around(table, rng, 1500, 0.98 * icp.max_range / 6.37e6, icp.min_intercept_alt + 25e3,
                         icp.max_intercept_alt - 25e3)  # inside the limits: NaN below means out of reach
    tau, margin = at.interpolate(table, pts)
    beyond = np.isposinf(tau)
    assert beyond.mean() > 0.2 and np.all(margin[beyond] == 0.0)
    exact = earliest_arrival(icp, math.radians(44.08), math.radians(24.35), pts[beyond], MODELS,
                             max_time=at.MAX_FLIGHT_S)
    assert np.isnan(exact.flight_time).all()


def test_a_launch_delay_change_reuses_the_table():
    earth = MODELS.earth
    site = to_ecef(math.radians(44.08), math.radians(24.35), 0.0, earth)
    params = CAT["sm3-ib"].params()
    later = params.copy()
    later[P_DELAY] += 60.0
    table = at.table_for(site, params, earth.gm, earth.rotation_rate, ellipsoid_of(earth))
    assert at.table_for(site, later, earth.gm, earth.rotation_rate, ellipsoid_of(earth)) is table


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia"])
def test_heights_beyond_energy_reach_are_skipped_without_changing_the_table(key):
    import dataclasses

    icp = dataclasses.replace(CAT[key], burnout_speed=0.8 * CAT[key].burnout_speed)  # rows out of reach overhead
    earth = MODELS.earth
    site = to_ecef(math.radians(44.08), math.radians(24.35), 0.0, earth).reshape(3)
    args = (site, icp.params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth))
    pruned, full = at.build(*args), at.build(*args, prune=False)
    np.testing.assert_array_equal(pruned.tau, full.tau)  # NaN where NaN, every value the same
    np.testing.assert_array_equal(pruned.margin, full.margin)
    rs = np.linalg.norm(site)
    h = pruned.axes[2] + pruned.axes[3] * np.arange(pruned.tau.shape[1])
    skipped = np.array([at.beyond_energy_reach(rs + x, icp.params(), rs, earth.gm, earth.rotation_rate) for x in h])
    assert skipped.any() and not skipped.all()
    assert np.isnan(full.tau[:, skipped]).all()  # the full search reaches no node of a skipped height
    # the bound is tight: the exact search still reaches, straight overhead, the height below the lowest skipped one
    assert np.isfinite(full.tau[:, np.argmax(skipped) - 1, 0]).all()


def test_energy_bound_holds_only_above_burnout_and_grows_with_speed():
    params = CAT["sm3-ib"].params()
    earth = MODELS.earth
    rs, rb = 6.37e6, 6.37e6 + params[P_BO_ALT]
    assert not at.beyond_energy_reach(rb - 1.0, params, rs, earth.gm, earth.rotation_rate)
    assert at.beyond_energy_reach(rs + 5e6, params, rs, earth.gm, earth.rotation_rate)
    faster = params.copy()
    faster[P_SPEED] *= 3.0
    assert not at.beyond_energy_reach(rs + 5e6, faster, rs, earth.gm, earth.rotation_rate)


@pytest.mark.parametrize("key, lat_deg, lon_deg", [("sm3-ib", 44.08, 24.35), ("sm3-iia", 54.48, 17.10)])
def test_interpolated_minimum_excess_lies_within_its_margin_and_beyond_means_no_arrival(key, lat_deg, lon_deg):
    icp = CAT[key]
    earth = MODELS.earth
    table = _table(key, lat_deg, lon_deg)
    rng = np.random.default_rng(11)
    pts = _points_around(table, rng, 6000, 1.02 * icp.max_range / 6.37e6, icp.min_intercept_alt - 20e3,
                         icp.max_intercept_alt + 20e3)
    value, margin = at.interpolate_excess(table, pts)
    known = np.isfinite(value)
    assert known.sum() > 200  # the edge of the reach is covered
    exact = at.minimum_excess(table.frame[0], icp.params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth),
                              pts[known])
    assert np.all(np.abs(value[known] - exact) <= margin[known])
    beyond = value[known] - margin[known] > 0
    assert beyond.mean() > 0.3
    arrival = earliest_arrival(icp, math.radians(lat_deg), math.radians(lon_deg), pts[known][beyond], MODELS,
                               max_time=at.MAX_FLIGHT_S)
    assert np.isnan(arrival.flight_time).all()


def test_minimum_excess_is_positive_where_the_exact_search_finds_no_arrival_and_not_where_it_finds_one():
    icp = CAT["sm3-ib"]
    earth = MODELS.earth
    table = _table("sm3-ib")
    pts = _points_around(table, np.random.default_rng(12), 600, icp.max_range / 6.37e6, icp.min_intercept_alt,
                         icp.max_intercept_alt)
    ex = at.minimum_excess(table.frame[0], icp.params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth), pts)
    arrival = earliest_arrival(icp, math.radians(44.08), math.radians(24.35), pts, MODELS, max_time=at.MAX_FLIGHT_S)
    reached = np.isfinite(arrival.flight_time)
    assert 0.1 < reached.mean() < 0.95
    assert np.all(ex[reached] <= 0.0)
    assert np.all(ex[~reached] > -1.0)  # the search's golden section may stop 1 m/s short of its minimum


def test_coarse_atan2_stays_within_its_stated_error_over_every_octant():
    rng = np.random.default_rng(11)
    ang = np.concatenate([rng.uniform(-math.pi, math.pi, 4000), np.linspace(-math.pi, math.pi, 1001)])
    r = rng.uniform(1e-3, 1e7, ang.size)
    y, x = r * np.sin(ang), r * np.cos(ang)
    err = np.abs(np.array([at.coarse_atan2(a, b) for a, b in zip(y, x)]) - np.arctan2(y, x))
    u = np.linspace(0.0, 1.0, 2_000_001)  # the polynomial on its whole interval, densely
    c = at._ATAN_C
    poly = u * (c[0] + u**2 * (c[1] + u**2 * (c[2] + u**2 * (c[3] + u**2 * (c[4] + u**2 * c[5])))))
    assert np.abs(poly - np.arctan(u)).max() < at.COARSE_ATAN_ERR / 4
    assert err.max() < at.COARSE_ATAN_ERR / 4
    assert at.coarse_atan2(0.0, 0.0) == 0.0


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia"])
def test_cell_bounds_hold_the_looked_up_value_and_margin_and_defer_most_points(key):
    icp = CAT[key]
    table = _table(key)
    rng = np.random.default_rng(5)
    pts = _points_around(table, rng, 20_000, 1.1 * icp.max_range / 6.37e6, icp.min_intercept_alt - 40e3,
                         icp.max_intercept_alt + 40e3)
    lo, hi = at.cell_range(table.tau)
    n = len(pts)
    t = rng.uniform(0.0, 1500.0, n)
    bound, mrg = np.empty((n, 2)), np.empty(n)
    at.cell_bounds(table.frame, table.axes, table.margin, lo, hi, pts, np.arange(n), t, n, bound, mrg)
    tau, margin = at.interpolate(table, pts)
    deferred = bound[:, 0] < bound[:, 1]
    assert deferred.mean() > 0.5
    assert np.all(np.isfinite(tau[deferred]))
    assert np.all((bound[deferred, 0] <= t[deferred] - tau[deferred])
                  & (t[deferred] - tau[deferred] <= bound[deferred, 1]))
    np.testing.assert_array_equal(mrg[deferred], margin[deferred])
    assert np.isnan(bound[~deferred]).all()
    # a point just past a cell edge in azimuth is not deferred (the coarse angle could cross it)
    f, az_edge, psi = table.frame, table.axes[4] * 3 + 1e-7, 0.3 * icp.max_range / 6.37e6
    near = (np.linalg.norm(f[0]) + 200e3) * (math.cos(psi) * f[1] + math.sin(psi) * (
        math.cos(az_edge) * f[2] + math.sin(az_edge) * f[3]))
    one_b, one_m = np.empty((1, 2)), np.empty(1)
    at.cell_bounds(f, table.axes, table.margin, lo, hi, near[None], np.arange(1), np.zeros(1), 1, one_b, one_m)
    assert np.isnan(one_b[0]).all()
    assert np.isfinite(at.interpolate(table, near[None])[0]).all()  # the table does say there


def test_tables_kept_on_disk_are_read_back_bit_for_bit_and_keyed_by_site_and_interceptor(own_store, monkeypatch):
    earth = MODELS.earth
    site = to_ecef(math.radians(44.08), math.radians(24.35), 0.0, earth)
    key = at._key(site, CAT["thaad"].params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth))
    built = at.build(np.array(key[0]), np.array(key[1]), key[2], key[3], np.array(key[4]))
    first = at._stored_build(key)
    monkeypatch.setattr(at, "build", lambda *a, **k: pytest.fail("built again"))
    loaded = at._stored_build(key)
    for table in (first, loaded):
        for name in at._FIELDS:
            a, b = getattr(built, name), getattr(table, name)
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()  # NaN, inf included
            assert b.flags.c_contiguous and b.flags.writeable  # the kernels' own array types
    for other in (at._key(site * 1.0001, *key[1:]), at._key(site, CAT["sm3-ib"].params(), *key[2:])):
        with pytest.raises(pytest.fail.Exception):
            at._stored_build(other)
