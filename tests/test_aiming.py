"""`trajectory.aiming`: the pieces of the aim solver, each on its own (the whole of `aim` is
proved in test_aim.py)."""

import math

import numpy as np
import pytest

from shieldsim import missile as M
from shieldsim.earth import WGS84, geodesic_direct, geodesic_inverse
from shieldsim.trajectory import AIM_TOL, AimError, Models
from shieldsim.trajectory import aiming as A
from shieldsim.trajectory import flight as F

VAC = Models(WGS84, rotation=True, drag=False)


@pytest.fixture(scope="module")
def nodong():
    return M.get("nodong")


def fan(n, lo_km=400.0, hi_km=1200.0, lat_deg=33.0, lon_deg=53.0):
    """n targets from one launch point, headings 270-350 deg, ranges lo..hi km."""
    lat, lon = np.full(n, math.radians(lat_deg)), np.full(n, math.radians(lon_deg))
    head = np.radians(np.linspace(270.0, 350.0, n))
    tlat, tlon = geodesic_direct(lat, lon, head, np.linspace(lo_km, hi_km, n) * 1e3, WGS84)
    return lat, lon, tlat, tlon


def problem(nodong, n=3, kind="minimum-energy", apogee=None, models=VAC):
    return A.AimProblem.build(*fan(n), nodong, models, kind, apogee)


class LinearResidual:
    """Stands in for `aiming._residual`: r = A (x - x*) per pair (no flights flown); counts rows."""

    def __init__(self, jac, x_star):
        self.jac, self.x_star, self.rows = jac, x_star, 0

    def __call__(self, problem, state, sel, xs, full_s, keep=False):
        self.rows += len(sel)
        r = np.einsum("ij,nj->ni", self.jac, xs - self.x_star[sel])
        return r, {"flight_time": np.full(len(sel), 600.0)}


JAC = np.array([[2.0e5, 1.0e4, 3.0e5], [5.0e5, -1.0e3, 2.0e3], [1.0e2, 4.0e6, -2.0e6]])


# --- problem and state


def test_problem_holds_geodesic_distance_and_heading_and_no_apogee_for_minimum_energy(nodong):
    p = problem(nodong)
    d, az = geodesic_inverse(p.lat, p.lon, p.target_lat, p.target_lon, WGS84)
    assert p.n == 3 and np.allclose(p.dist, d) and np.allclose(p.az_t, az)
    assert np.all(p.h_t == 0) and p.shape_tol == pytest.approx(A._GAMMA_TOL * 1e6)
    assert np.array_equal(p.acc, M.boost_profile(nodong))


def test_problem_flies_the_newton_free_flights_without_drag_on_the_same_earth(nodong):
    p = problem(nodong, models=Models(WGS84, rotation=True, drag=True))
    assert p.vacuum == Models(WGS84, rotation=True, drag=False)
    assert problem(nodong, kind="lofted", apogee=600e3).shape_tol == pytest.approx(0.5 * A.APOGEE_TOL)


def test_problem_refuses_missing_or_negative_apogee_and_points_closer_than_10_km(nodong):
    with pytest.raises(ValueError, match="needs an apogee"):
        problem(nodong, kind="lofted")
    with pytest.raises(ValueError, match="apogee must be > 0"):
        problem(nodong, kind="depressed", apogee=-1.0)
    with pytest.raises(AimError) as info:
        A.AimProblem.build(0.5, 0.5, 0.5, 0.5 + 1e-4, nodong, VAC, "minimum-energy")
    assert info.value.cause == "range"


def test_state_starts_towards_the_target_with_table_controls_inside_their_bounds(nodong):
    p = problem(nodong, n=5)
    s = A.AimState.start(p)
    assert np.array_equal(s.x[:, 0], p.az_t)
    assert np.all((s.x >= A._LO) & (s.x <= A._HI))
    assert np.all(np.isnan(s.jac)) and not s.have.any() and not s.fresh.any() and not s.full.any()
    assert s.free_models == p.vacuum and np.all(s.offset == 0)


# --- residuals


def test_residual_of_the_flown_controls_is_the_miss_and_the_shaping_condition(nodong):
    """Solved flights (from `aim`) have downrange and crossrange residuals below the tolerance;
    a heading turned by 1 mrad moves the crossrange residual by about 1 mrad x distance."""
    p = problem(nodong, n=2)
    s = A.AimState.start(p)
    sel = np.arange(2)
    solved = A.aim(p.lat, p.lon, p.target_lat, p.target_lon, nodong, VAC)
    s.x[:] = np.stack([solved.heading, solved.kick, solved.cutoff], axis=1)
    r, e = A._residual(p, s, sel, s.x, s.full)
    assert np.all(np.hypot(r[:, 0], r[:, 1]) < 0.5 * AIM_TOL)
    assert np.all(np.abs(r[:, 2]) < p.shape_tol)
    turned = s.x + np.array([1e-3, 0.0, 0.0])
    r2, _ = A._residual(p, s, sel, turned, s.full)
    assert np.allclose(np.abs(r2[:, 1] - r[:, 1]) / (1e-3 * p.dist), 1.0, rtol=0.15)
    assert np.all(np.isfinite(e["flight_time"]))


def test_done_needs_both_the_miss_and_the_shaping_condition(nodong):
    p = problem(nodong, n=1)
    tol = p.shape_tol
    r = np.array([[30.0, 30.0, 0.5 * tol], [40.0, 0.0, 2 * tol], [60.0, 0.0, 0.0], [10.0, 0.0, 0.5]])
    assert list(A._done(p, r, np.array([False, False, False, True]))) == [True, False, False, True]


# --- Newton pieces


def test_newton_step_solves_the_linear_system_within_the_step_limit():
    x_err = np.array([[1e-3, -2e-3, 1e-3]])
    r = x_err @ JAC.T
    dx, dx_raw, good = A._newton_step(r, JAC[None], np.ones(1))
    assert good[0] and np.allclose(dx, -x_err, rtol=1e-9) and np.array_equal(dx, dx_raw)


def test_newton_step_is_scaled_to_the_trust_region_and_zero_for_a_singular_jacobian():
    r = np.array([[1e6, 1e6, 1e6], [1.0, 1.0, 1.0], [np.nan, 0.0, 0.0]])
    jac = np.stack([JAC, np.zeros((3, 3)), JAC])
    dx, dx_raw, good = A._newton_step(r, jac, np.array([0.5, 1.0, 1.0]))
    assert np.max(np.abs(dx[0]) / (A._LIMIT * 0.5)) == pytest.approx(1.0)
    assert np.allclose(dx[0] / np.linalg.norm(dx[0]), dx_raw[0] / np.linalg.norm(dx_raw[0]))
    assert list(good) == [True, False, False] and np.all(dx[1:] == 0)


def test_broyden_update_meets_the_secant_condition_and_marks_the_jacobian_aged():
    s = A.AimState(x=np.zeros((2, 3)), full=np.zeros(2, bool), offset=np.zeros((2, 3)), free_models=VAC,
                   ft=np.zeros(2), jac=np.stack([np.eye(3), np.eye(3)]), fresh=np.ones(2, bool),
                   have=np.ones(2, bool), true_r=np.zeros((2, 3)), flight_time=np.zeros(2))
    step = np.array([[0.01, 0.02, -0.01], [0.01, 0.0, 0.0]])
    r_old = np.zeros((2, 3))
    r_new = np.array([[5.0, -1.0, 2.0], [np.nan, 0.0, 0.0]])
    A._broyden(s, np.arange(2), step, r_old, r_new)
    assert np.allclose(s.jac[0] @ step[0], r_new[0] - r_old[0])
    assert not s.fresh[0]
    assert s.fresh[1] and np.array_equal(s.jac[1], np.eye(3))  # non-finite residual: no update


def test_finite_difference_jacobian_recovers_a_linear_residual_and_steps_back_at_full_burn(nodong, monkeypatch):
    p = problem(nodong, n=2)
    s = A.AimState.start(p)
    s.x[1, 2] = 1.0  # full burn: the cutoff column must be differenced backwards
    lin = LinearResidual(JAC, s.x.copy() + 0.01)
    monkeypatch.setattr(A, "_residual", lin)
    idx = np.arange(2)
    r0, _ = lin(p, s, idx, s.x[idx], s.full[idx])
    A._fd_jacobian(p, s, idx, r0)
    assert np.allclose(s.jac, JAC[None], rtol=1e-6) and s.have.all() and s.fresh.all()
    assert lin.rows == 2 + 3 * 2  # the three columns in one batch


def test_newton_converges_on_a_linear_residual_with_one_finite_difference_jacobian(nodong, monkeypatch):
    p = problem(nodong, n=4)
    s = A.AimState.start(p)
    x_star = s.x + np.array([0.02, 0.03, -0.02])  # beyond one step limit in each control
    lin = LinearResidual(JAC, x_star)
    monkeypatch.setattr(A, "_residual", lin)
    r = A._newton(p, s, np.arange(4))
    assert A._done(p, r, s.full).all()
    assert np.allclose(s.x, x_star, atol=1e-6)
    assert np.all(s.ft == 600.0)
    assert lin.rows < 4 * 4 * 6  # Broyden: far fewer flights than a fresh Jacobian every iteration


def test_full_burn_switch_only_for_short_flights_near_the_shaping_condition_asking_for_more_burn():
    full = np.array([False, False, False, True, False])
    xa = np.array([[0, 0, 0.99], [0, 0, 0.99], [0, 0, 0.90], [0, 0, 0.99], [0, 0, 0.99]], dtype=float)
    dx = np.array([[0, 0, 0.02], [0, 0, 0.02], [0, 0, 0.2], [0, 0, 0.02], [0, 0, 0.005]], dtype=float)
    ra = np.array([[-5e3, 0, 10.0], [5e3, 0, 10.0], [-5e3, 0, 10.0], [-5e3, 0, 10.0], [-5e3, 0, 10.0]])
    assert list(A._full_burn_switch(full, xa, dx, ra)) == [True, False, False, False, False]


# --- warm start


def test_warm_bins_group_targets_by_launch_band_and_square(nodong):
    p = problem(nodong, n=40)
    sel = np.arange(40)
    cell, n_cell, off = A._warm_bins(p, sel, 250e3)
    assert 1 < n_cell < 40 and cell.max() == n_cell - 1
    assert np.all(off <= 250e3 * math.sqrt(0.5) + 1e-6)
    one, _, _ = A._warm_bins(p, sel, 1e8)
    assert np.all(one == 0)


def test_representative_of_each_bin_is_its_target_nearest_the_centre():
    sel = np.array([10, 11, 12, 13, 14])
    cell = np.array([0, 1, 0, 1, 0])
    off = np.array([5.0, 1.0, 2.0, 3.0, 2.0])
    rep_pos, rep_of_cell = A._representatives(sel, cell, 2, off)
    assert sorted(sel[rep_pos]) == [11, 12] and list(rep_of_cell) == [2, 1]  # tie at 2.0: lower index


def test_borrowed_start_is_one_newton_step_from_the_neighbours_solution(nodong):
    p = problem(nodong, n=2)
    s = A.AimState.start(p)
    s.jac[0] = JAC
    r_k = np.array([[10.0, -5.0, 1.0]])
    rj = A._borrow(p, s, r_k, np.array([1]), np.array([0]))
    ratio = p.dist[1] / p.dist[0]
    assert rj[0, 0] == pytest.approx(10.0 + p.dist[0] - p.dist[1])
    assert s.have[1] and not s.fresh[1]
    assert np.allclose(s.jac[1][1], JAC[1] * ratio) and np.allclose(s.jac[1][[0, 2]], JAC[[0, 2]])
    assert np.all((s.x[1] >= A._LO) & (s.x[1] <= A._HI))


def test_few_pairs_are_solved_cold_and_many_from_solved_neighbours(nodong, monkeypatch):
    calls = []
    real = A._newton

    def spy(problem, state, sel, keep_jac=False, secant=None):
        calls.append((sel.size, keep_jac, secant is not None))
        return real(problem, state, sel, keep_jac, secant)

    monkeypatch.setattr(A, "_newton", spy)
    p = problem(nodong, n=8)
    A._warm_newton(p, A.AimState.start(p), np.arange(8))
    assert calls == [(8, False, False)]
    calls.clear()
    p = problem(nodong, n=80)
    s = A.AimState.start(p)
    r = A._warm_newton(p, s, np.arange(80))
    assert len(calls) >= 2 and calls[-1][1] and calls[-1][2]  # the rest start from neighbours
    assert A._done(p, r, s.full).all()


# --- verdicts


def test_converged_pairs_are_kept_and_the_rest_skipped_or_refused(nodong):
    p = problem(nodong, n=3)
    ok = np.array([True, False, True])
    assert list(A._kept_converged(p, ok, np.zeros((3, 3)), "skip")) == [0, 2]
    assert list(A._kept_converged(p, np.ones(3, bool), np.zeros((3, 3)), "raise")) == [0, 1, 2]
    with pytest.raises(AimError, match="cannot fly any of the 3"):
        A._kept_converged(p, np.zeros(3, bool), np.zeros((3, 3)), "skip")


def test_a_target_beyond_reach_is_refused_with_the_reach_in_that_direction(nodong):
    lat, lon = np.radians([33.0]), np.radians([53.0])
    tlat, tlon = geodesic_direct(lat, lon, np.radians([300.0]), np.array([3000e3]), WGS84)
    p = A.AimProblem.build(lat, lon, tlat, tlon, nodong, VAC, "minimum-energy")
    err = A._unreachable_error(p, np.array([False]), np.zeros((1, 3)))
    assert err.cause == "range" and "maximum range of" in str(err) and "[pair" not in str(err)


def test_solve_in_vacuum_meets_the_miss_for_every_pair(nodong):
    p = problem(nodong, n=3)
    s = A.AimState.start(p)
    ok, r = A._solve(p, s)
    assert ok.all() and np.all(np.hypot(r[:, 0], r[:, 1]) < 0.5 * AIM_TOL)
    assert np.all(np.isfinite(s.ft)) and np.all(np.isnan(s.flight_time))  # no drag: nothing re-flown


# --- the family start (pairs sharing a launch latitude, vacuum, minimum energy)


def family_fan(nodong, n_head, n_range, lo=0.1, edge=True, lat_deg=33.0, lon_deg=53.0):
    """A launch point in Iran and targets to its north-west on n_head headings, at n_range
    fractions of the nodong's greatest range along each (in vacuum, rotating WGS84) from ``lo``
    to 0.95, then (``edge``) six more at 98 %, 99 %, 99.5 %, 99.8 %, 99.9 % and 102 % (full burns
    and out of reach) instead of the last six."""
    head = np.radians(np.linspace(270.0, 350.0, n_head))
    lat, lon = np.full(n_head, math.radians(lat_deg)), np.full(n_head, math.radians(lon_deg))
    reach, _ = A.max_range(nodong, lat, lon, head, VAC)
    frac = np.linspace(lo, 0.95, n_range - 6 * edge)
    if edge:
        frac = np.concatenate([frac, [0.98, 0.99, 0.995, 0.998, 0.999, 1.02]])
    hh, dd = np.repeat(head, frac.size), (reach[:, None] * frac[None, :]).ravel()
    tlat, tlon = geodesic_direct(np.full(hh.size, lat[0]), np.full(hh.size, lon[0]), hh, dd, WGS84)
    return np.full(hh.size, lat[0]), np.full(hh.size, lon[0]), tlat, tlon


def test_family_guesses_meet_the_tolerance_at_their_first_flight(nodong):
    p = A.AimProblem.build(*family_fan(nodong, 24, 20, lo=0.15, edge=False), nodong, VAC, "minimum-energy")
    s = A.AimState.start(p)
    reps, rest = A._family_split(p, np.arange(p.n))
    assert 0 < reps.size < 0.4 * p.n and np.array_equal(np.sort(np.concatenate([reps, rest])), np.arange(p.n))
    r = A._warm_newton(p, s, reps)
    assert A._family_guess(p, s, reps, rest, r)
    r_guess, _ = A._residual(p, s, rest, s.x[rest], s.full[rest])
    miss = np.hypot(r_guess[:, 0], r_guess[:, 1])
    # most pairs need no Newton step (the start from one neighbour misses by ~10 km: the first of
    # its 2-3 flights meets the tolerance for ~3 % of pairs)
    assert np.mean(miss < 0.5 * AIM_TOL) > 0.8 and miss.max() < 2e3
    assert A._done(p, r_guess, s.full[rest]).mean() > 0.75  # the shaping condition too, mostly


def test_family_aims_fans_to_the_edges_of_reach_like_the_neighbour_start(nodong, monkeypatch):
    """Targets from 10 % to 102 % of the greatest range along each heading (full burns and pairs
    beyond reach included, `family_fan`): the same pairs are flown as with the start from solved neighbours,
    every one within the tolerance."""
    lat, lon, tlat, tlon = family_fan(nodong, 16, 16)
    calls = []
    real = A._family_guess

    def spy(*args):
        calls.append(args[3].size)
        return real(*args)

    monkeypatch.setattr(A, "_family_guess", spy)
    fam = A.aim(lat, lon, tlat, tlon, nodong, VAC, unreachable="skip")
    assert calls and calls[0] > 50  # the family start was used
    monkeypatch.setattr(A, "_FAMILY_MIN", 10 ** 9)
    ref = A.aim(lat, lon, tlat, tlon, nodong, VAC, unreachable="skip")
    assert np.array_equal(fam.pair_index, ref.pair_index) and fam.pair_index.size < lat.size
    assert np.all(fam.miss < AIM_TOL) and np.all(ref.miss < AIM_TOL)
    assert fam.full_burn.any()
    # on the boundary of the full burn both are right: a minimum-energy flight burning all but
    # 2e-4 of the burn, or the full burn (the switch to it is a heuristic of Newton's path)
    differ = fam.full_burn != ref.full_burn
    assert differ.sum() <= 0.2 * fam.full_burn.sum()
    assert np.all(fam.cutoff[differ] > 0.9998) and np.all(ref.cutoff[differ] > 0.9998)
    same = ~differ
    assert np.abs(fam.cutoff - ref.cutoff)[same].max() < 5e-4 and np.abs(fam.kick - ref.kick)[same].max() < 5e-4


def test_shape_table_search_finds_the_first_least_cost_entry_as_a_full_scan(nodong):
    from shieldsim.trajectory.kernels import _table_argmin

    _, _, rng, apo, g = (x.ravel() for x in A._shape_table(nodong, False))
    v = np.isfinite(rng)
    rng, apo, g = rng[v], apo[v], g[v]
    gen = np.random.default_rng(5)
    d = np.concatenate([gen.uniform(5e3, 1.3 * rng.max(), 500), rng[:50], [np.nan]])
    h = gen.uniform(5e4, 1.5e6, d.size)
    for mode in (0, 1, 2):
        cost = ((rng[None] - d[:, None]) / d[:, None]) ** 2
        cost = cost + ((g / 0.02) ** 2 if mode == 0 else ((apo[None] - h[:, None]) / h[:, None]) ** 2 +
                       ((g > 0) != (mode == 1)))
        assert np.array_equal(_table_argmin(d, h, rng, apo, g, mode), np.argmin(np.nan_to_num(cost, nan=np.inf), axis=1))


def test_shape_table_search_of_near_entries_first_keeps_ties_and_the_boundary_of_a_full_scan():
    """Minimum energy: the entries with |g| <= `_G_NEAR` searched first give the full scan's first
    least-cost entry, also with equal ranges and costs (ties), entries at |g| = `_G_NEAR` and just
    beyond, and pairs no near entry serves (the whole table then)."""
    from shieldsim.trajectory.kernels import _G_NEAR, _table_argmin

    gen = np.random.default_rng(11)
    g_values = np.array([-0.05, -2 * _G_NEAR, -_G_NEAR, -0.5 * _G_NEAR, 0.0, 0.5 * _G_NEAR, _G_NEAR,
                         np.nextafter(_G_NEAR, 1.0), 2 * _G_NEAR, 0.05])
    rng = np.repeat(np.linspace(3e5, 3e6, 40), 3)  # every range three times
    g = gen.choice(g_values, rng.size)
    g[rng > 2e6] = gen.choice([-0.05, 0.05, 2 * _G_NEAR], int(np.sum(rng > 2e6)))  # no near entry out there
    apo = np.full(rng.size, 5e5)
    d = np.concatenate([rng, gen.uniform(1e5, 4e6, 400), [np.nan, np.inf]])
    with np.errstate(invalid="ignore"):  # (the pair at inf)
        cost = ((rng[None] - d[:, None]) / d[:, None]) ** 2 + (g / 0.02) ** 2
    np.testing.assert_array_equal(_table_argmin(d, np.full(d.size, 5e5), rng, apo, g, 0),
                                  np.argmin(np.nan_to_num(cost, nan=np.inf), axis=1))


DRAG = Models(WGS84, rotation=True, drag=True)


def test_drag_on_aim_returns_the_flights_boosted_trajectories_flies_at_its_controls(nodong):
    """The whole flights `aim` returns with drag come from its sampled re-measurements
    (`_final_flights`), not from a flight of their own: they are the flights `boosted_trajectories`
    flies at the solved controls, sample for sample."""
    from shieldsim.trajectory.boosted import boosted_trajectories

    lat, lon, tlat, tlon = fan(6, 500.0, 1100.0)
    a = A.aim(lat, lon, tlat, tlon, nodong, DRAG, launch_time=5.0, labels=list("abcdef"))
    b = boosted_trajectories(nodong, lat, lon, a.heading, a.kick, a.cutoff, DRAG, 5.0, 2.0, list("abcdef"),
                             target_lat=tlat, target_lon=tlon, full_burn=a.full_burn)
    assert np.all(a.miss < AIM_TOL)
    m = min(a.time.size, b.time.size)
    np.testing.assert_array_equal(a.position[:, :m], b.position[:, :m])
    assert np.all(np.isnan(a.position[:, m:])) and np.all(np.isnan(b.position[:, m:]))
    for name in ("impact_lat", "impact_lon", "impact_time", "miss", "burnout_speed", "launch_time"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert list(a.labels) == list("abcdef") and list(a.pair_index) == list(range(6))


def test_sampled_boosts_burn_out_exactly_where_the_newton_boosts_do(nodong):
    """The boosts `aim` keeps from its Newton flights (`boosted.sampled_boosts`: on to the next grid
    point, sampled) have the burnout states of the plain boosts to the cutoff, bit for bit."""
    from shieldsim.trajectory.boosted import _boost_states, sampled_boosts

    lat, lon = np.radians([33.0, 33.0, 20.0]), np.radians([53.0, 53.0, 40.0])
    head, kick, cut = np.radians([300.0, 310.0, 20.0]), np.radians([30.0, 35.0, 40.0]), np.array([0.61, 1.0, 0.35])
    res, pos, vel, j0 = sampled_boosts(nodong, lat, lon, head, kick, cut, VAC, 2.0, 60)
    plain = _boost_states(nodong, M.boost_profile(nodong), lat, lon, head, kick, cut, VAC)
    np.testing.assert_array_equal(res[:, 1:4], plain[1])
    np.testing.assert_array_equal(res[:, 4:7], plain[2])
    assert np.all(j0 * 2.0 >= cut * nodong.burn_time) and pos.shape == (3, 60, 3)


def test_vacuum_aim_returns_the_flights_boosted_trajectories_flies_without_flying_their_boosts_again(nodong,
                                                                                                     monkeypatch):
    """Without drag the whole flights `aim` returns are built from the sampled boosts of the Newton
    flights that set the controls (`boosted.KeptBoosts`): the flights `boosted_trajectories` flies
    at those controls, sample for sample, with (almost) no boost flown for them afterwards."""
    from shieldsim.trajectory import boosted as B

    lat, lon, tlat, tlon = fan(300, 500.0, 1200.0)
    flown_after = []
    real = B.sampled_boosts

    def counting(missile, lat_, *args, **kw):
        flown_after.append(np.size(lat_))
        return real(missile, lat_, *args, **kw)

    real_final = A._final_flights

    def final(*args, **kw):
        monkeypatch.setattr(B, "sampled_boosts", counting)
        return real_final(*args, **kw)

    monkeypatch.setattr(A, "_final_flights", final)
    a = A.aim(lat, lon, tlat, tlon, nodong, VAC, launch_time=3.0)
    monkeypatch.undo()
    b = B.boosted_trajectories(nodong, lat, lon, a.heading, a.kick, a.cutoff, VAC, 3.0, 2.0, target_lat=tlat,
                               target_lon=tlon)
    assert np.all(a.miss < AIM_TOL) and sum(flown_after) < 0.05 * lat.size
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.velocity, b.velocity)
    for name in ("impact_lat", "impact_lon", "impact_time", "apogee_alt", "miss", "burnout_position",
                 "burnout_velocity", "launch_time"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_kept_boosts_fly_only_the_pairs_whose_controls_moved(nodong, monkeypatch):
    from shieldsim.trajectory import boosted as B

    lat, lon = np.radians([33.0, 33.0, 33.0]), np.radians([53.0, 53.0, 53.0])
    x = np.array([np.radians([300.0, 30.0]).tolist() + [0.6], np.radians([310.0, 35.0]).tolist() + [0.8],
                  np.radians([320.0, 40.0]).tolist() + [1.0]])
    kept = B.KeptBoosts.empty(3, nodong, 2.0)
    kept.keep(np.arange(3), x, B.sampled_boosts(nodong, lat, lon, *x.T, VAC, *kept.sampled))
    rows = []
    real = B.sampled_boosts
    monkeypatch.setattr(B, "sampled_boosts", lambda m, la, *a: rows.append(la.size) or real(m, la, *a))
    moved = x.copy()
    moved[1, 1] += 1e-9
    res, pos, _, j0 = kept.boosts_of(nodong, lat, lon, np.array([2, 1]), moved[[2, 1]], VAC)
    assert rows == [1] and np.array_equal(kept.x[1], moved[1])
    ref = real(nodong, lat[[2, 1]], lon[[2, 1]], *moved[[2, 1]].T, VAC, 2.0)
    np.testing.assert_array_equal(res, ref[0])
    for i in range(2):
        np.testing.assert_array_equal(pos[i, :j0[i]], ref[1][i, :j0[i]])


def test_drag_on_aim_flies_no_drag_flight_beyond_its_re_measurements(nodong, monkeypatch):
    """With drag every pair is flown with drag once per re-measurement and no more: the first
    (from vacuum Newton with no offsets: kilometres off) and the sampled later ones, the last of
    which is the flight returned (v0.1.0 flew a final sampled flight on top)."""
    import shieldsim.trajectory.flight as F

    rows = []

    def counting(real):
        def fly(r0, *args):
            rows.append(r0.shape[0])
            return real(r0, *args)
        return fly

    # the sampled re-measurements are flown into the rows of the result (`_fly_into_rows`)
    monkeypatch.setattr(F, "_fly_batch", counting(F._fly_batch))
    monkeypatch.setattr(F, "_fly_into_rows", counting(F._fly_into_rows))
    lat, lon, tlat, tlon = fan(4, 600.0, 1000.0)
    state_rounds = []
    real_true = A._true_residual

    def spy(problem, state, sel, sample_step=None):
        state_rounds.append(sel.size)
        return real_true(problem, state, sel, sample_step)

    monkeypatch.setattr(A, "_true_residual", spy)
    a = A.aim(lat, lon, tlat, tlon, nodong, DRAG)
    assert np.all(a.miss < AIM_TOL)
    assert state_rounds[0] == 4 and len(state_rounds) >= 2
    assert sum(rows) == sum(state_rounds)


def random_pairs(nodong, n, seed=0):
    """n pairs from launch points anywhere between 60S and 60N, any heading, 25-80 % of the
    class's published range (the layout of benchmarks/bench_aim.py)."""
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(rng.uniform(-60, 60, n)), np.radians(rng.uniform(-180, 180, n))
    tlat, tlon = geodesic_direct(lat, lon, rng.uniform(0, 2 * np.pi, n),
                                 rng.uniform(0.25, 0.8, n) * nodong.published_range, WGS84)
    return lat, lon, tlat, tlon


def test_drag_on_batch_from_solved_neighbours_meets_the_miss_with_fewer_boosts(nodong, monkeypatch):
    """Drag on, launch points anywhere: with `_spread_solve` most pairs start from the fit of their
    solved neighbours' controls and drag offsets, fly fewer boosts and drag flights, and meet the
    same miss; the flights returned are those `boosted_trajectories` flies at the controls, and
    the controls are those of the solve without it to within what the tolerances leave free."""
    from shieldsim.trajectory import boosted as B

    lat, lon, tlat, tlon = random_pairs(nodong, 150)
    counts = {"boost": 0, "drag": 0, "fitted": 0}
    real_boost, real_fit = B.run_boost, A.fitted_start

    def boosts(missile, acc, lat_, *args, **kw):
        counts["boost"] += np.size(lat_)
        return real_boost(missile, acc, lat_, *args, **kw)

    def drag_flights(real):
        def fly(r0, *args):
            counts["drag"] += r0.shape[0]
            return real(r0, *args)
        return fly

    def fit(*args):
        counts["fitted"] += args[4].shape[0]
        return real_fit(*args)

    monkeypatch.setattr(F, "_fly_batch", drag_flights(F._fly_batch))
    monkeypatch.setattr(F, "_fly_into_rows", drag_flights(F._fly_into_rows))
    monkeypatch.setattr(A, "fitted_start", fit)
    monkeypatch.setattr(B, "run_boost", boosts)
    monkeypatch.setattr(A, "_SPREAD_CELL", 1.0)
    runs = {}
    for name, minimum in (("spread", 60), ("plain", 10 ** 9)):
        monkeypatch.setattr(A, "_SPREAD_MIN", minimum)
        counts.update(boost=0, drag=0)
        a = A.aim(lat, lon, tlat, tlon, nodong, DRAG)
        runs[name] = a, dict(counts)
    (a, spread), (ref, plain) = runs["spread"], runs["plain"]
    assert spread["fitted"] > 0.5 * lat.size  # most pairs started from the fit
    assert np.all(a.miss < AIM_TOL) and np.all(ref.miss < AIM_TOL)
    # 150 pairs, 30 solved first: 1,017 boosts and 260 drag flights against 1,562 and 305
    assert spread["boost"] < 0.75 * plain["boost"] and spread["drag"] < plain["drag"], (spread, plain)
    b = B.boosted_trajectories(nodong, lat, lon, a.heading, a.kick, a.cutoff, DRAG, 0.0, 2.0,
                             target_lat=tlat, target_lon=tlon)
    np.testing.assert_array_equal(a.impact_lat, b.impact_lat)
    np.testing.assert_array_equal(a.position[:, :b.time.size], b.position[:, :a.time.size])
    assert not a.full_burn.any() and not ref.full_burn.any()
    assert np.abs(a.cutoff - ref.cutoff).max() < 5e-4 and np.abs(a.kick - ref.kick).max() < 5e-4


def test_drag_on_batch_too_sparse_for_a_fit_is_solved_pair_by_pair(nodong, monkeypatch):
    """Where the pairs solved first would be over `_SPREAD_SHARE` of the batch (few pairs over
    the launch latitudes, headings and distances), no fit is made: the flights are those of the
    solve without `_spread_solve`, bit for bit."""
    lat, lon, tlat, tlon = random_pairs(nodong, 70, seed=3)
    fitted = []
    monkeypatch.setattr(A, "fitted_start", lambda *args: fitted.append(args) or None)
    monkeypatch.setattr(A, "_SPREAD_MIN", 60)
    a = A.aim(lat, lon, tlat, tlon, nodong, DRAG)
    monkeypatch.setattr(A, "_SPREAD_MIN", 10 ** 9)
    ref = A.aim(lat, lon, tlat, tlon, nodong, DRAG)
    assert not fitted and np.all(a.miss < AIM_TOL)
    for name in ("heading", "kick", "cutoff", "impact_lat", "impact_lon", "position"):
        np.testing.assert_array_equal(getattr(a, name), getattr(ref, name))


def test_gather_aims_puts_each_pieces_rows_in_place_and_pads_the_shorter_grid(nodong):
    """`boosted.gather_aims` builds one `Aim` from rows of several: each row lands where it is
    told, per-flight arrays and samples alike, and the shorter piece's samples are NaN past its end."""
    from shieldsim.trajectory.boosted import boosted_trajectories, gather_aims

    lat, lon = np.radians([33.0, 33.0, 33.0]), np.radians([53.0, 53.0, 53.0])
    head, kick = np.radians([300.0, 310.0, 320.0]), np.radians([30.0, 35.0, 40.0])
    short = boosted_trajectories(nodong, lat[:2], lon[:2], head[:2], kick[:2], np.array([0.6, 0.6]), VAC)
    long_ = boosted_trajectories(nodong, lat[2:], lon[2:], head[2:], kick[2:], np.array([1.0]), VAC)
    assert long_.time.size > short.time.size
    g = gather_aims([(short, np.array([1, 0]), np.array([0, 2])), (long_, np.array([0]), np.array([1]))], 3)
    assert g.time.size == long_.time.size
    np.testing.assert_array_equal(g.kick, np.radians([35.0, 40.0, 30.0]))
    np.testing.assert_array_equal(g.position[0, :short.time.size], short.position[1])
    np.testing.assert_array_equal(g.position[1], long_.position[0])
    assert np.all(np.isnan(g.position[2, short.time.size:]))
    assert g.kind == short.kind and g.models == short.models
