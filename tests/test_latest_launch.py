"""Tests of `shieldsim.latest_launch`: the latest-launch solves give one answer however searched."""

import numpy as np
import pytest

from shieldsim.earth import WGS84, geodesic_direct, to_ecef
from shieldsim.interceptor import (ARRIVAL_TOL, MIN_COAST, _excess, arrival_near, catalogue, earliest_arrival_one,
                                   ellipsoid_of, feasible_time_one)
from shieldsim.latest_launch import ARRIVAL_GRID, arrival_bracketed, arrival_on_grid

CAT = catalogue()
SITE = (np.radians(44.08), np.radians(24.35))  # Deveselu


def _points_around_site(icp, rng, n: int, reach: float) -> np.ndarray:
    """(n, 3) ECEF points (m) at random bearings from `SITE`, ground ranges 0.02-``reach`` times
    the interceptor's maximum range and heights within its intercept band (capped at 1,200 km)."""
    lat, lon = geodesic_direct(SITE[0], SITE[1], rng.uniform(0, 2 * np.pi, n),
                               rng.uniform(0.02, reach, n) * icp.max_range)
    return to_ecef(lat, lon, rng.uniform(icp.min_intercept_alt, min(icp.max_intercept_alt, 1200e3), n))


def _solver_inputs():
    """The site (ECEF m), WGS84's gm, rotation rate and ellipsoid, and the solvers' scratch arrays."""
    site = to_ecef(SITE[0], SITE[1], 0.0).reshape(3)
    return site, WGS84.gm, WGS84.rotation_rate, ellipsoid_of(WGS84), np.empty(3), np.empty(3), np.empty(9)


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia", "thaad"])
def test_arrival_bracketed_or_warm_started_anywhere_is_the_same_on_the_grid(key):
    # The latest-launch solves of the fast engagement bracket the earliest arrival around the
    # arrival table's value (`arrival_bracketed`), the exact kernel warm-starts it from a
    # neighbour's (`arrival_near`), `earliest_arrival_one` searches from the burnout time. All
    # return a time in [crossing, crossing + ARRIVAL_TOL] whatever the estimate (close, off by
    # more than its width on either side, wider than the feasible range, or NaN), and put on the
    # grid (`arrival_on_grid`) the very same time, so an engagement's latest launch does not
    # depend on whether a table was at hand.
    icp = CAT[key]
    params = icp.params()
    rng = np.random.default_rng(11)
    n = 60
    pts = _points_around_site(icp, rng, n, 1.0)
    site, gm, omega, ell, b, v, work = _solver_inputs()
    offsets = [0.0, 1e-4, -3e-4, 0.05, -0.2, 0.6, -1.5, 7.0, -40.0, 900.0, -900.0, np.nan]
    widths = [0.001, 0.01, 0.25, 2.0, 50.0]
    solved = 0
    for i in range(n):
        p = pts[i]
        tau_hi = float(rng.uniform(icp.burn_time + MIN_COAST + 5.0, 1500.0))
        exact = earliest_arrival_one(site, p, tau_hi, params, gm, omega, ell, b, v, work)
        tau_f = feasible_time_one(site, p, tau_hi, params, gm, omega, ell, b, v, work)
        assert np.isnan(exact) == np.isnan(tau_f)
        if np.isnan(exact):
            continue
        solved += 1
        f_f = _excess(site, p, tau_f, params, gm, omega, ell, b, v, work)
        assert f_f <= 0.0
        on_grid = arrival_on_grid(site, p, exact, tau_f, params, gm, omega, ell, b, v, work)
        assert exact - ARRIVAL_TOL <= on_grid <= exact + ARRIVAL_GRID and on_grid <= tau_f
        assert on_grid == tau_f or on_grid == exact or on_grid / ARRIVAL_GRID == round(on_grid / ARRIVAL_GRID)
        for off in offsets:
            guess = arrival_near(site, p, tau_f, f_f, exact + off, params, gm, omega, ell, b, v, work)
            assert abs(guess - exact) <= ARRIVAL_TOL, (key, i, off, guess, exact)
            assert arrival_on_grid(site, p, guess, tau_f, params, gm, omega, ell, b, v, work) == on_grid
            for w in widths:
                for known in (f_f, np.nan):  # the excess at tau_f known, or not
                    got = arrival_bracketed(site, p, tau_f, known, exact + off, w, params, gm, omega, ell, b, v, work)
                    assert abs(got - exact) <= ARRIVAL_TOL, (key, i, off, w, got, exact)
                    assert got <= tau_f
                    assert arrival_on_grid(site, p, got, tau_f, params, gm, omega, ell, b, v, work) == on_grid
    assert solved >= 20


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia", "thaad"])
def test_a_sample_falling_beyond_the_best_latest_launch_cannot_beat_it(key):
    # `latest_at` skips the search for a feasible flight time where `falling_beyond` says the
    # point cannot be reached by tau_b (= t_k - the best latest launch so far): the exact
    # earliest arrival must then lie after tau_b (or not exist), and both answers must occur.
    from shieldsim.latest_launch import falling_beyond

    icp = CAT[key]
    params = icp.params()
    rng = np.random.default_rng(13)
    n = 300
    pts = _points_around_site(icp, rng, n, 1.3)
    site, gm, omega, ell, b, v, work = _solver_inputs()
    tau_lo = icp.burn_time + MIN_COAST
    said = {True: 0, False: 0}
    for i in range(n):
        p = pts[i]
        tau_f = float(rng.uniform(tau_lo + 5.0, 1500.0))
        tau_b = float(rng.uniform(tau_lo, tau_f))
        falls = falling_beyond(site, p, tau_b, tau_f, params, gm, omega, ell, b, v, work)
        said[bool(falls)] += 1
        if falls:
            exact = earliest_arrival_one(site, p, tau_f, params, gm, omega, ell, b, v, work)
            assert np.isnan(exact) or exact > tau_b, (key, i, exact, tau_b)
            assert _excess(site, p, tau_b, params, gm, omega, ell, b, v, work) > 0.0
    assert said[True] >= 10 and said[False] >= 10
    assert not falling_beyond(site, pts[0], np.inf, 100.0, params, gm, omega, ell, b, v, work)  # no best yet


@pytest.mark.parametrize("key", ["sm3-ib", "sm3-iia", "thaad"])
def test_arrival_searched_on_the_grid_from_any_estimate_is_the_grid_value(key):
    # `latest_at` searches the earliest arrival on the grid itself from the table's value or a
    # neighbour's (`arrival_from`): from any estimate (close, off on either side, outside the
    # feasible range, NaN), with the excess at the feasible time known or not and with the cap
    # tau_f above the top of the search, the answer must be the one `arrival_on_grid` gives to
    # `arrival_before`'s crossing.
    from shieldsim.interceptor import arrival_before
    from shieldsim.latest_launch import arrival_from

    icp = CAT[key]
    params = icp.params()
    rng = np.random.default_rng(17)
    n = 80
    pts = _points_around_site(icp, rng, n, 1.0)
    site, gm, omega, ell, b, v, work = _solver_inputs()
    offsets = [0.0, 1e-4, -3e-4, ARRIVAL_GRID, -ARRIVAL_GRID, 0.05, -0.2, 0.6, -1.5, 7.0, -40.0, 900.0, -900.0, np.nan]
    solved = 0
    for i in range(n):
        p = pts[i]
        tau_hi = float(rng.uniform(icp.burn_time + MIN_COAST + 5.0, 1500.0))
        tau_f = feasible_time_one(site, p, tau_hi, params, gm, omega, ell, b, v, work)
        if np.isnan(tau_f):
            continue
        solved += 1
        f_f = _excess(site, p, tau_f, params, gm, omega, ell, b, v, work)
        crossing = arrival_before(site, p, tau_f, f_f, params, gm, omega, ell, b, v, work)
        for cap in (tau_f, tau_f + 3.0):
            want = arrival_on_grid(site, p, crossing, cap, params, gm, omega, ell, b, v, work)
            for off in offsets:
                for known in (f_f, np.nan):
                    got = arrival_from(site, p, tau_f, known, cap, crossing + off, params, gm, omega, ell, b, v, work)
                    assert got == want, (key, i, cap, off, got, want)
    assert solved >= 25
