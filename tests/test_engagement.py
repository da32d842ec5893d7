"""engagement.engage: windows, latest launch, shoot-look-shoot and kill probability."""

import dataclasses
import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from shieldsim import arrival_table
from shieldsim import engagement as engagement_module
from shieldsim.engagement import Engagement, engage, interceptor_altitude
from shieldsim.earth import to_ecef
from shieldsim.interceptor import Battery, catalogue, earliest_arrival, ellipsoid_of
from shieldsim.trajectory import Models, Trajectory, fly

CAT = catalogue()


def _trajectories(n, seed=2, step=4.0, models=Models()):
    """Ballistic threat arcs from burnout points in the Iran area towards Europe (time 0 at
    burnout), in the sampled form engagements take."""
    rng = np.random.default_rng(seed)
    lat = np.radians(rng.uniform(30.0, 36.0, n))
    lon = np.radians(rng.uniform(48.0, 56.0, n))
    heading = np.radians(rng.uniform(285.0, 320.0, n))
    speed = rng.uniform(3500.0, 5000.0, n)
    gamma = np.radians(rng.uniform(30.0, 42.0, n))
    f = fly(lat, lon, 100e3, speed, gamma, heading, models, sample_step=step, max_time=1800.0)
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=np.zeros(n),
                      burnout_time=np.zeros(n), impact_time=f.flight_time, apogee_time=f.apogee_time,
                      launch_lat=lat, launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon,
                      apogee_alt=f.apogee_alt, ground_range=f.ground_range, rcs=np.full(n, 0.1),
                      beta=np.full(n, 5000.0), models=models)


@functools.cache
def _threats():
    return _trajectories(12)


def _batteries():
    return [
        Battery("Deveselu", math.radians(44.08), math.radians(24.35), CAT["sm3-ib"], 24),
        Battery("Black Sea", math.radians(43.0), math.radians(33.0), CAT["sm3-iia"], 8, "shoot-look-shoot"),
        Battery("Black Sea coast THAAD", math.radians(44.0), math.radians(31.5), CAT["thaad"], 48, "salvo", salvo_size=3),
    ]


TRACK = np.linspace(40.0, 150.0, 12)


@functools.cache
def _base() -> Engagement:
    return engage(_threats(), _batteries(), TRACK)


def _latest_launch_per_sample(traj, bat, n):
    """Brute force from the public earliest_arrival: t_k - earliest arrival at sample k."""
    pos = traj.position[n]
    ok = np.isfinite(pos[:, 0])
    tau = np.full(len(traj.time), np.nan)
    tau[ok] = earliest_arrival(bat.interceptor, bat.lat, bat.lon, pos[ok], traj.models, max_time=3000.0).flight_time
    return traj.time - tau


def _reference(t, lam, l0, kill_assessment):
    """Window (samples with lambda_k >= l0) and greedy shoot-look-shoot shots."""
    with np.errstate(invalid="ignore"):
        window = np.flatnonzero(lam >= l0)
    shots, next_launch = 0, l0
    for k in window:
        if lam[k] >= next_launch:
            shots += 1
            next_launch = t[k] + kill_assessment
    return window, shots


def test_engagement_arrays_are_n_by_b_and_nan_where_there_is_no_intercept():
    e = _base()
    n, nb = len(_threats()), len(_batteries())
    for name in ("launch_earliest", "launch_latest", "intercept_first", "intercept_last", "first_alt", "first_lat",
                 "first_lon", "shots", "kill_probability", "engageable"):
        assert getattr(e, name).shape == (n, nb), name
    assert e.sspk.shape == (nb,)
    assert e.engageable.any() and (~e.engageable).any()
    for name in ("launch_latest", "intercept_first", "intercept_last", "first_alt", "first_lat", "first_lon"):
        arr = getattr(e, name)
        assert np.isnan(arr[~e.engageable]).all() and np.isfinite(arr[e.engageable]).all(), name
    assert (e.shots[~e.engageable] == 0).all() and (e.shots[e.engageable] >= 1).all()
    assert np.allclose(e.launch_earliest, TRACK[:, None] + np.array([b.interceptor.launch_delay for b in _batteries()]))


def test_window_latest_launch_and_shots_match_a_brute_force_reference():
    traj, bats, e = _threats(), _batteries(), _base()
    quick = engage(traj, bats, TRACK, kill_assessment=4.0)
    checked, multi = 0, 0
    for j, bat in enumerate(bats):
        for n in range(len(traj)):
            lam = _latest_launch_per_sample(traj, bat, n)
            window, shots = _reference(traj.time, lam, e.launch_earliest[n, j], e.kill_assessment)
            if len(window) == 0:
                assert not e.engageable[n, j]
                continue
            checked += 1
            assert e.intercept_first[n, j] == traj.time[window[0]]
            assert e.intercept_last[n, j] == traj.time[window[-1]]
            assert e.launch_latest[n, j] == pytest.approx(np.nanmax(lam[window]), abs=0.01)
            assert e.shots[n, j] == shots
            _, shots_quick = _reference(traj.time, lam, e.launch_earliest[n, j], 4.0)
            assert quick.shots[n, j] == shots_quick
            multi += shots_quick > 2
    assert checked >= 15 and multi >= 3
    assert e.engageable.any(axis=0).all()  # every battery engages something


def test_first_opportunity_lies_in_the_band_and_a_launch_at_launch_latest_still_intercepts():
    bats, e = _batteries(), _base()
    for j, bat in enumerate(bats):
        icp = bat.interceptor
        rows = np.flatnonzero(e.engageable[:, j])
        assert ((e.first_alt[rows, j] >= icp.min_intercept_alt - 1.0)
                & (e.first_alt[rows, j] <= icp.max_intercept_alt + 1.0)).all()
        assert (e.launch_latest[rows, j] >= e.launch_earliest[rows, j]).all()
        assert (e.intercept_last[rows, j] >= e.intercept_first[rows, j]).all()


def test_interceptor_altitude_profile_ends_at_the_threat_at_the_first_opportunity():
    traj, bats, e = _threats(), _batteries(), _base()
    n, j = map(int, np.argwhere(e.engageable)[0])
    t, h = interceptor_altitude(traj, bats[j], n, e.launch_earliest[n, j], e.intercept_first[n, j])
    assert t[0] == pytest.approx(e.launch_earliest[n, j])
    assert t[-1] == pytest.approx(e.intercept_first[n, j], abs=1e-6)
    assert h[-1] == pytest.approx(e.first_alt[n, j], abs=1000.0)


def test_track_time_nan_means_never_engaged_and_one_column_form_equals_the_full_form():
    traj, bats = _threats(), _batteries()
    track = TRACK.copy()
    track[0] = np.nan
    e1 = engage(traj, bats, track)
    e2 = engage(traj, bats, np.repeat(track[:, None], len(bats), axis=1))
    assert np.isnan(e1.launch_earliest[0]).all() and not e1.engageable[0].any()
    assert (e1.kill_probability[0] == 0).all()
    for f in ("launch_latest", "intercept_first", "intercept_last", "shots", "kill_probability"):
        assert np.array_equal(getattr(e1, f), getattr(e2, f), equal_nan=True)
    with pytest.raises(ValueError):
        engage(traj, bats, np.zeros((len(traj), 7)))


def test_batch_result_equals_threat_by_threat_result():
    traj, bats, e = _threats(), _batteries(), _base()
    for n in (1, 5, 10):
        one = engage(traj.subset([n]), bats, TRACK[[n]])
        for f in ("launch_latest", "intercept_first", "intercept_last", "shots", "first_alt"):
            assert np.array_equal(getattr(one, f)[0], getattr(e, f)[n], equal_nan=True), f


def test_kill_probability_follows_each_doctrine():
    e = _base()
    bats = _batteries()
    for j, bat in enumerate(bats):
        p = bat.interceptor.sspk
        rows = e.engageable[:, j]
        if bat.doctrine == "one-shot":
            expected = np.full(rows.sum(), p)
        elif bat.doctrine == "salvo":
            expected = np.full(rows.sum(), 1 - (1 - p) ** min(bat.salvo_size, bat.inventory))
        else:
            expected = 1 - (1 - p) ** np.minimum(e.shots[rows, j], bat.inventory)
        assert np.allclose(e.kill_probability[rows, j], expected)
        assert (e.kill_probability[~rows, j] == 0).all()
    assert np.array_equal(e.sspk, [b.interceptor.sspk for b in bats])
    assert np.array_equal(e.inventory, [b.inventory for b in bats])


def test_inventory_caps_the_rounds_of_a_doctrine():
    traj = _threats()
    bat = Battery("Black Sea", math.radians(43.0), math.radians(33.0), CAT["sm3-iia"], 1, "shoot-look-shoot")
    e = engage(traj, [bat], TRACK, kill_assessment=5.0)
    assert (e.shots[e.engageable[:, 0], 0] > 1).any()  # several opportunities ...
    assert np.allclose(e.kill_probability[e.engageable[:, 0], 0], bat.interceptor.sspk)  # ... one round
    empty = dataclasses.replace(bat, inventory=0)
    assert (engage(traj, [empty], TRACK).kill_probability == 0).all()


def test_shots_fall_as_kill_assessment_lengthens_and_fit_in_the_window():
    traj = _threats()
    bats = _batteries()
    prev = None
    for ka in (5.0, 20.0, 60.0, 1e5):
        e = engage(traj, bats, TRACK, kill_assessment=ka)
        width = np.nan_to_num(e.intercept_last - e.intercept_first)
        assert (e.shots <= 1 + np.floor(width / ka + 1e-9)).all()
        if prev is not None:
            assert (e.shots <= prev).all()
        prev = e.shots
    assert np.array_equal(prev, e.engageable.astype(int))


def test_interceptor_whose_band_excludes_every_threat_altitude_never_engages():
    traj = _threats()
    icp = dataclasses.replace(CAT["sm3-iia"], min_intercept_alt=3000e3, max_intercept_alt=4000e3)
    bat = Battery("x", math.radians(43.0), math.radians(33.0), icp, 8)
    assert np.nanmax(traj.apogee_alt) < 3000e3
    assert not engage(traj, [bat], TRACK).engageable.any()


def _window(e, j=0):
    return e.engageable[:, j], e.intercept_first[:, j], e.intercept_last[:, j]


def _never_shrinks(small, big):
    eng_s, first_s, last_s = small
    eng_b, first_b, last_b = big
    assert (eng_b | ~eng_s).all()
    assert (first_b[eng_s] <= first_s[eng_s]).all()
    assert (last_b[eng_s] >= last_s[eng_s]).all()


@settings(max_examples=12, deadline=None)
@given(key=st.sampled_from(["sm3-ib", "sm3-iia", "thaad"]), factor=st.floats(1.0, 1.5),
       lat=st.floats(36.0, 46.0), lon=st.floats(25.0, 45.0))
def test_a_faster_interceptor_never_shrinks_the_window(key, factor, lat, lon):
    traj = _threats()
    icp = CAT[key]
    fast = dataclasses.replace(icp, burnout_speed=icp.burnout_speed * factor)
    bats = [Battery("a", math.radians(lat), math.radians(lon), icp, 8),
            Battery("b", math.radians(lat), math.radians(lon), fast, 8)]
    e = engage(traj, bats, TRACK)
    _never_shrinks(_window(e, 0), _window(e, 1))


@settings(max_examples=12, deadline=None)
@given(key=st.sampled_from(["sm3-ib", "sm3-iia", "thaad"]), cut=st.floats(0.0, 60.0),
       lat=st.floats(36.0, 46.0), lon=st.floats(25.0, 45.0), earlier_track=st.booleans())
def test_a_shorter_delay_or_an_earlier_track_never_shrinks_the_window(key, cut, lat, lon, earlier_track):
    traj = _threats()
    icp = CAT[key]
    bat = Battery("a", math.radians(lat), math.radians(lon), icp, 8)
    base = engage(traj, [bat], TRACK)
    if earlier_track:
        better = engage(traj, [bat], TRACK - cut)
    else:
        quick = dataclasses.replace(bat, interceptor=dataclasses.replace(icp, launch_delay=max(0.0, icp.launch_delay - cut)))
        better = engage(traj, [quick], TRACK)
    _never_shrinks(_window(base), _window(better))


# ---------------------------------------------------------------------------------------------
# shieldsim engage


def _cli(args, capsys):
    from shieldsim.cli import main

    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


@pytest.mark.slow
def test_engage_cli_json_timeline_and_plot(tmp_path, capsys):
    import json

    plot = tmp_path / "engage.png"
    code, out, err = _cli(["engage", "--scenario", "epaa-2018", "--threat", "irbm", "--area", "tabriz", "--target",
                           "berlin", "--json", "--plot", str(plot)], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["scenario"] == "epaa-2018" and d["version"] and d["models"]["earth"] == "wgs84"
    (f,) = d["flights"]
    assert f["flight"] == "irbm Tabriz -> berlin"
    assert 0 < f["burnout_s"] < f["impact_s"]
    net = f["networks"]["nato"]
    rows = {r["battery"]: r for r in f["batteries"]}
    assert set(rows) == {"aegis-east-med", "deveselu", "redzikowo", "aegis-north-sea"}
    assert any(r["engageable"] for r in rows.values())
    for r in rows.values():
        assert r["launch_earliest_s"] == pytest.approx(net["track_s"] + CAT["sm3-ib"].launch_delay) or \
            r["launch_earliest_s"] == pytest.approx(net["track_s"] + CAT["sm3-iia"].launch_delay)
        if r["engageable"]:
            assert r["launch_earliest_s"] <= r["launch_latest_s"]
            assert r["intercept_first_s"] <= r["intercept_last_s"] < f["impact_s"]
            assert r["shots"] >= 1 and 0 < r["kill_probability"] <= 1
        # the posture: launched on the network's track, guided within the own-radar window
        assert r["launch_on"] == "remote" and r["track_s"] == pytest.approx(net["track_s"])
        assert r["track_sensor"] == "kurecik-tpy2"
        if r["engage_on"] == "remote":
            assert r["guidance_window_s"] is None
        elif r["engageable"]:
            lo, hi = r["guidance_window_s"]
            assert lo <= r["intercept_first_s"] <= r["intercept_last_s"] <= hi
    assert all(r["engage_on"] == "remote" for r in rows.values())  # every NATO battery since phase 1
    assert plot.stat().st_size > 10_000


def test_engage_cli_unknown_names_are_one_line_errors(capsys):
    for args, option in ((["--threat", "nope"], "--threat"), (["--scenario", "no-such-scenario"], "--scenario"),
                         (["--max-flights", "1"], "--max-flights")):
        code, _, err = _cli(["engage"] + args, capsys)
        assert code == 2 and option in err and "Traceback" not in err


def test_empty_inputs_give_empty_arrays_and_a_timeline_stands_for_its_track_time():
    traj, bats = _threats(), _batteries()
    assert engage(traj, [], TRACK).kill_probability.shape == (len(traj), 0)
    assert engage(traj.subset(slice(0, 0)), bats, TRACK[:0]).shots.shape == (0, len(bats))

    class Timeline:
        track_time = TRACK

    assert np.array_equal(engage(traj, bats, Timeline()).intercept_first, _base().intercept_first, equal_nan=True)


def test_engage_and_detect_fly_and_track_the_same_flights(capsys):
    """Both commands take their flights from `study.scenario_flights` and their tracks from
    `sensors.detect` on the battery network: same flights, same skipped pairs, same track times."""
    import json

    code, out, err = _cli(["engage", "--scenario", "epaa-2018", "--threat", "irbm", "--target", "berlin", "--json"],
                          capsys)
    assert code == 0, err
    eng = json.loads(out)
    code, out, err = _cli(["detect", "--scenario", "epaa-2018", "--threat", "irbm", "--aim", "berlin",
                           "--network", "nato", "--json"], capsys)
    assert code == 0, err
    det = json.loads(out)
    assert [f["flight"] for f in eng["flights"]] == [t["name"] for t in det["threats"]]
    assert len(eng["flights"]) > 1 and eng["skipped_out_of_range"] == det["skipped"]
    for f, t in zip(eng["flights"], det["threats"]):
        assert f["networks"]["nato"]["track_s"] == pytest.approx(t["track_time_s"], nan_ok=True)
        assert f["impact_s"] == pytest.approx(t["impact_time_s"])


def test_an_intercept_window_keeps_only_the_samples_inside_it_and_the_default_changes_nothing():
    """engage_on = "own": the guidance window [lo, hi] restricts the candidate samples. The
    restricted window is recomputed here from the brute-force reference restricted to
    lo <= t_k <= hi; an unconstrained window (-inf, +inf) gives exactly the default result and an
    empty one (+inf, -inf) none."""
    traj, bats, base = _threats(), _batteries(), _base()
    n, nb = len(traj), len(bats)
    # a window over the middle third of each engageable pair's unconstrained window
    lo = np.where(base.engageable, base.intercept_first + (base.intercept_last - base.intercept_first) / 3, 0.0)
    hi = np.where(base.engageable, base.intercept_last - (base.intercept_last - base.intercept_first) / 3, 0.0)
    win = np.stack([lo, hi], axis=-1)
    e = engage(traj, bats, TRACK, intercept_window=win)
    checked = 0
    for j, bat in enumerate(bats):
        for i in range(n):
            lam = _latest_launch_per_sample(traj, bat, i)
            inside = (traj.time >= lo[i, j]) & (traj.time <= hi[i, j])
            window, shots = _reference(traj.time, np.where(inside, lam, np.nan), e.launch_earliest[i, j],
                                       e.kill_assessment)
            if len(window) == 0:
                assert not e.engageable[i, j]
                continue
            checked += 1
            assert lo[i, j] <= e.intercept_first[i, j] == traj.time[window[0]]
            assert e.intercept_last[i, j] == traj.time[window[-1]] <= hi[i, j]
            assert e.launch_latest[i, j] == pytest.approx(np.nanmax(lam[window]), abs=0.01)
            assert e.shots[i, j] == shots
    assert checked >= 10
    assert (e.intercept_last - e.intercept_first < base.intercept_last - base.intercept_first)[e.engageable].any()

    free = np.empty((n, nb, 2))
    free[..., 0], free[..., 1] = -np.inf, np.inf
    same = engage(traj, bats, TRACK, intercept_window=free)
    for name in ("launch_latest", "intercept_first", "intercept_last", "first_alt", "shots", "kill_probability"):
        assert np.array_equal(getattr(same, name), getattr(base, name), equal_nan=True), name
    none = free[..., ::-1].copy()
    assert not engage(traj, bats, TRACK, intercept_window=none).engageable.any()


def test_a_malformed_intercept_window_is_refused():
    traj, bats = _threats(), _batteries()
    with pytest.raises(ValueError, match="intercept_window"):
        engage(traj, bats, TRACK, intercept_window=np.zeros((len(traj), len(bats))))
    with pytest.raises(ValueError, match="intercept_window"):
        engage(traj, bats, TRACK, intercept_window=np.full((len(traj), len(bats), 2), np.nan))


@pytest.mark.parametrize("seed", [2, 5, 7])
def test_fast_and_exact_methods_agree_on_every_field(seed, monkeypatch):
    # A small engagement uses a battery's arrival table only when one is already built in the
    # process (otherwise the exact kernel runs), so a result must not depend on it: the tabled
    # path brackets its latest-launch solves around the table's value, the exact kernel
    # warm-starts them from the neighbouring sample, and both are put on the same grid
    # (`latest_launch.arrival_on_grid`): every field identical, bit for bit.
    monkeypatch.setattr(engagement_module, "TABLE_MIN_FLIGHTS", 1)  # tabulate even these few flights
    traj, bats = _trajectories(16, seed=seed, step=2.0), _batteries()
    track = np.linspace(30.0, 160.0, 16)
    fast = engage(traj, bats, track, kill_assessment=8.0, method="fast")
    exact = engage(traj, bats, track, kill_assessment=8.0, method="exact")
    assert exact.engageable.sum() >= 8 and np.isfinite(exact.launch_latest).sum() >= 8
    for name in ("engageable", "shots", "launch_latest", "intercept_first", "intercept_last", "first_alt",
                 "first_lat", "first_lon", "kill_probability"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(exact, name), err_msg=name)


def test_an_unknown_engagement_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of fast, exact"):
        engage(_threats(), _batteries(), TRACK, method="quick")


def test_few_flights_are_engaged_exactly_without_building_a_table():
    traj = _trajectories(6, seed=11, step=2.0)
    bats = [Battery("Odd site", math.radians(41.3), math.radians(29.1), CAT["sm3-ib"], 24)]
    site = to_ecef(bats[0].lat, bats[0].lon, 0.0, traj.models.earth)
    earth = traj.models.earth
    key = (site, bats[0].interceptor.params(), earth.gm, earth.rotation_rate, ellipsoid_of(earth))
    assert not arrival_table.is_cached(*key)
    fast = engage(traj, bats, np.full(6, 60.0), method="fast")
    assert not arrival_table.is_cached(*key)
    exact = engage(traj, bats, np.full(6, 60.0), method="exact")
    np.testing.assert_array_equal(fast.engageable, exact.engageable)
    np.testing.assert_array_equal(fast.launch_latest, exact.launch_latest)


def test_the_height_bracket_the_fast_kernel_tests_the_band_on_holds_above_the_ellipsoid():
    from shieldsim.earth import WGS84, to_geodetic

    rng = np.random.default_rng(4)
    n = 20000
    lat, lon, h = rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(-np.pi, np.pi, n), rng.uniform(0.0, 3e6, n)
    p = to_ecef(lat, lon, h, WGS84)
    _, _, h_back = to_geodetic(p, WGS84)
    r = np.linalg.norm(p, axis=1)
    assert np.all(r - WGS84.equatorial_radius <= h_back + 1e-6)
    assert np.all(h_back <= r - WGS84.polar_radius + 1e-6)


def test_the_ground_range_bracket_the_fast_kernel_skips_vincenty_on_holds():
    from shieldsim.earth import WGS84
    from shieldsim.interceptor import _ground_range

    rng = np.random.default_rng(5)
    ell = ellipsoid_of(WGS84)
    b_pol = WGS84.equatorial_radius * (1.0 - WGS84.flattening)
    for _ in range(400):
        lat_s, lon_s = rng.uniform(-1.4, 1.4), rng.uniform(-np.pi, np.pi)
        site = to_ecef(lat_s, lon_s, 0.0, WGS84).reshape(3)
        lat = np.clip(lat_s + rng.uniform(-0.6, 0.6), -1.5, 1.5)
        p = to_ecef(lat, lon_s + rng.uniform(-0.8, 0.8), rng.uniform(0.0, 2e6), WGS84).reshape(3)
        lo, hi = engagement_module._range_bracket(site, p, np.linalg.norm(site), np.linalg.norm(p),
                                                  WGS84.equatorial_radius, b_pol)
        g = _ground_range(site, p, ell)
        assert lo <= g <= hi
        assert hi - lo < 120e3  # tight enough to spare the iteration away from the range limit


def _pruned_and_unpruned_agree(traj, bats, track, monkeypatch, **kw):
    monkeypatch.setattr(engagement_module, "TABLE_MIN_FLIGHTS", 1)
    pruned = engage(traj, bats, track, prune=True, **kw)
    unpruned = engage(traj, bats, track, prune=False, **kw)
    for f in dataclasses.fields(Engagement):
        a, b = getattr(pruned, f.name), getattr(unpruned, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
    return pruned


@pytest.mark.parametrize("seed", [3, 7])
def test_skipping_samples_proved_to_fail_changes_no_field_of_the_engagement(seed, monkeypatch):
    traj, bats = _trajectories(24, seed=seed, step=2.0), _batteries()
    rng = np.random.default_rng(seed)
    window = np.sort(rng.uniform(0.0, 1500.0, (24, len(bats), 2)), axis=2)
    window[::3] = [-np.inf, np.inf]
    e = _pruned_and_unpruned_agree(traj, bats, rng.uniform(20.0, 300.0, (24, len(bats))), monkeypatch,
                                   kill_assessment=10.0, intercept_window=window)
    assert e.engageable.sum() >= 10


def _adversarial_flights(site_lat, site_lon, icp, n, m, seed):
    """Sampled 'flights' that keep crossing the interceptor's altitude band edges and range limit
    with steps of very different sizes (a few samples jump hundreds of km), to catch a skip
    bound that is too small anywhere."""
    from shieldsim.earth import WGS84, geodesic_direct

    rng = np.random.default_rng(seed)
    k = np.arange(m)
    lo, hi = icp.min_intercept_alt, icp.max_intercept_alt
    edge = np.where(rng.random((n, 1)) < 0.5, lo, hi)
    h = edge + 30e3 * np.sin(k * rng.uniform(0.05, 0.6, (n, 1)) + rng.uniform(0, 6, (n, 1)))
    ground = icp.max_range * (1.0 + 0.08 * np.sin(k * rng.uniform(0.02, 0.4, (n, 1))))
    jumps = rng.random((n, m)) < 0.03
    ground = np.where(jumps, ground * rng.uniform(0.2, 2.5, (n, m)), ground)
    h = np.where(jumps, rng.uniform(0.0, 2.0 * hi, (n, m)), h)
    az = rng.uniform(0, 2 * np.pi, (n, 1)) + np.cumsum(rng.normal(0.0, 0.05, (n, m)), axis=1)
    lat, lon = geodesic_direct(np.full((n, m), site_lat), np.full((n, m), site_lon), az, ground, WGS84)
    pos = to_ecef(lat, lon, np.maximum(h, 1e3), WGS84).reshape(n, m, 3)
    pos[np.arange(n) % 4 == 0, m - m // 5:] = np.nan  # some impact early
    return pos


def test_skip_bounds_hold_on_flights_that_keep_crossing_the_band_edges_and_range_limit(monkeypatch):
    base = _trajectories(30, seed=9, step=2.0)
    bats = _batteries()
    m = 400
    t = np.arange(m) * 2.0
    for j, bat in enumerate(bats[:2]):
        pos = _adversarial_flights(bat.lat, bat.lon, bat.interceptor, 30, m, seed=j)
        traj = dataclasses.replace(base, time=t, position=pos, velocity=np.zeros_like(pos))
        track = np.random.default_rng(j).uniform(0.0, 200.0, 30)
        e = _pruned_and_unpruned_agree(traj, bats, track, monkeypatch, kill_assessment=6.0)
        assert e.engageable[:, j].sum() >= 5


def test_may_be_candidate_never_misses_a_sample_in_the_band_and_within_range():
    from shieldsim.earth import to_geodetic
    from shieldsim.interceptor import P_MAX_ALT, P_MIN_ALT, P_RANGE, _ground_range

    earth = Models().earth
    params = CAT["sm3-ib"].params()
    site = to_ecef(math.radians(44.08), math.radians(24.35), 0.0, earth).reshape(3)
    ell = ellipsoid_of(earth)
    rng = np.random.default_rng(8)
    n = 40000  # points around the site, many at the edges of the band and of the range
    lat = math.radians(44.08) + rng.uniform(-0.2, 0.2, n)
    lon = math.radians(24.35) + rng.uniform(-0.3, 0.3, n)
    h = rng.uniform(params[P_MIN_ALT] - 50e3, params[P_MAX_ALT] + 50e3, n)
    pts = to_ecef(lat, lon, h, earth).reshape(n, 3)
    alt = to_geodetic(pts, earth)[2]
    inside = [(params[P_MIN_ALT] <= a <= params[P_MAX_ALT]) and _ground_range(site, p, ell) <= params[P_RANGE]
              for p, a in zip(pts, alt)]
    assert 1000 < sum(inside) < n - 1000
    for p, ok in zip(pts, inside):
        if ok:
            assert engagement_module.may_be_candidate(p.reshape(1, 1, 3), site, params, earth)
    far = to_ecef(math.radians(-15.0), math.radians(-50.0), 0.0, earth).reshape(3)  # Brazil: nothing near
    assert not engagement_module.may_be_candidate(pts.reshape(400, 100, 3), far, params, earth, block=64)


def test_a_table_no_flight_can_use_is_promised_not_built_and_the_engagement_is_the_same():
    n = engagement_module.TABLE_MIN_FLIGHTS
    traj = _trajectories(n, seed=5, step=8.0)
    earth = traj.models.earth
    far = Battery("Far away", math.radians(-15.0), math.radians(-50.0), CAT["sm3-ib"], 24)
    near = _batteries()[0]
    bats = [near, dataclasses.replace(far, interceptor=dataclasses.replace(CAT["sm3-ib"], burnout_speed=3123.0))]
    keys = [(to_ecef(b.lat, b.lon, 0.0, earth).reshape(3), b.interceptor.params(), earth.gm, earth.rotation_rate,
             ellipsoid_of(earth)) for b in bats]
    for k in keys:
        arrival_table._TABLES.pop(arrival_table._key(*k), None)
    fast = engage(traj, bats, np.full(n, 60.0))
    assert arrival_table.is_built(*keys[0]) and arrival_table.is_cached(*keys[0])
    assert arrival_table.is_cached(*keys[1]) and not arrival_table.is_built(*keys[1])  # promised
    exact = engage(traj, bats, np.full(n, 60.0), method="exact")
    assert not fast.engageable[:, 1].any() and fast.engageable[:, 0].any()
    for name in ("engageable", "shots", "intercept_first", "intercept_last", "launch_latest"):
        np.testing.assert_array_equal(getattr(fast, name)[:, 1], getattr(exact, name)[:, 1], err_msg=name)
    built = arrival_table.table_for(*keys[1])  # asked for, the promised table is built, the same as build's
    np.testing.assert_array_equal(built.tau, arrival_table.build(*keys[1]).tau)
    assert arrival_table.is_built(*keys[1])
