"""Tests for shieldsim.sensors.sweep: the coverage sweep that skips samples whose status is
proved unchanged gives exactly the timeline of testing every sample, on random flights and on
flights built to graze every limit (instrumented range, detection range, field-of-regard edges,
the horizon, the elevation limits, the antenna height, the separation time); and the bounds the
skip rests on hold point by point."""

import math
import struct

import numpy as np
import pytest

from shieldsim import sensors as S
from shieldsim.earth import WGS84, to_ecef
from shieldsim.sensors import kernels, refraction, sweep
from shieldsim.sensors.geometry import _radar_params
from shieldsim.sensors.kernels import (LIMIT_NODES, R_RLOC, _in_sight, _limit_table, _polar, _ray_angle, _sight_tabled,
                                      _wrap_pi)
from shieldsim.trajectory import Models, Trajectory, burnout_state, fly_states

d = np.radians
MODELS = Models(WGS84, rotation=True, drag=False)
FIELDS = ("first_detection", "sensor_track_time", "sensor_report_time", "cued", "cue_time", "cue_sensor",
          "track_time", "track_sensor", "visible_start", "visible_end", "detect_start", "detect_end", "fire_control",
          "separation_time", "track_on")


def flights(n, seed, low=False) -> Trajectory:
    """n random ballistic flights from the Middle East towards Europe, 2 s samples; ``low``
    starts them near the ground (samples below masts). Half separate mid-flight from a 5 m^2
    body."""
    rng = np.random.default_rng(seed)
    lat, lon = d(rng.uniform(30, 38, n)), d(rng.uniform(40, 52, n))
    alt = rng.uniform(300.0, 3000.0, n) if low else rng.uniform(50e3, 200e3, n)
    r0, v0 = burnout_state(lat, lon, alt, rng.uniform(2000, 5000, n), d(rng.uniform(20, 60, n)),
                           d(rng.uniform(270, 340, n)), WGS84)
    f = fly_states(r0, v0, MODELS, sample_step=2.0, max_time=1400.0)
    z = np.zeros(n)
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=z, burnout_time=z,
                      impact_time=f.flight_time, apogee_time=f.apogee_time, launch_lat=lat, launch_lon=lon,
                      impact_lat=f.impact_lat, impact_lon=f.impact_lon, apogee_alt=f.apogee_alt,
                      ground_range=f.ground_range, rcs=rng.uniform(0.01, 0.5, n), beta=np.full(n, np.inf),
                      models=MODELS, body_rcs=np.full(n, 5.0),
                      separation_time=np.where(np.arange(n) % 2 == 0, rng.uniform(5.0, 400.0, n), 0.0))


def radar(name, lat, lon, height=20.0, field="full", boresight=0.0, half=d(60), el_min=d(1), el_max=d(90),
          max_range=1000e3, ref_range=500e3, refraction="atmosphere"):
    return S.Radar(name, lat, lon, height, field, boresight, half, el_min, el_max, max_range, ref_range, 1.0, 5.0, 3,
                   True, refraction=refraction)


def assert_same_timeline(traj, sensors):
    """detect with the skip and with every sample tested agree in every field, bit for bit."""
    net = S.Network("n", sensors, 5.0)
    fast, every = S.detect(traj, net), S.detect(traj, net, skip=False)
    for name in FIELDS:
        a, b = np.asarray(getattr(fast, name)), np.asarray(getattr(every, name))
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), name
        else:
            assert np.array_equal(a, b), name
    return every


def random_radars(rng, count, refraction):
    out = []
    for j in range(count):
        fixed = j % 2 == 0
        out.append(radar(f"r{j}", d(rng.uniform(30, 50)), d(rng.uniform(20, 50)), rng.uniform(5, 3000),
                         "fixed" if fixed else "full", d(rng.uniform(0, 360)), d(rng.uniform(5, 120)),
                         d(rng.uniform(-2, 3)), d(rng.choice([90.0, rng.uniform(20, 80)])),
                         rng.uniform(300e3, 4000e3), rng.uniform(200e3, 2500e3), refraction))
    return out


@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_skipping_gives_the_timeline_of_every_sample_on_random_flights_and_radars(refraction):
    rng = np.random.default_rng(7)
    traj = flights(120, 1)
    low = flights(60, 2, low=True)
    sensors = random_radars(rng, 8, refraction)
    tl = assert_same_timeline(traj, sensors)
    assert np.isfinite(tl.detect_start).sum() > 100  # the radars see something
    assert_same_timeline(low, sensors)


def _look(r, traj, i):
    ok = np.isfinite(traj.position[i, :, 0])
    rng_, az, el = S.look_angles(r, traj.position[i, ok], WGS84)
    return rng_, az, el


def _grazing_radars(traj, refraction):
    """Radars each built so that one flight only just reaches one of its limits: one sample in
    range, in detection range, inside a needle-thin sector, at the edge of a sector, just above
    the elevation mask or just below the elevation ceiling."""
    out = []
    for i in range(6):
        lat, lon = d(38.0 + 2 * i), d(36.0 + 1.5 * i)
        base = radar("b", lat, lon, 30.0, max_range=5000e3, ref_range=5000e3, refraction=refraction)
        rng_, az, el = _look(base, traj, i)
        seen = el > -math.pi
        closest = rng_.min()
        out.append(radar(f"range{i}", lat, lon, 30.0, max_range=closest + 1e-4, ref_range=9e6, el_min=-d(5),
                         refraction=refraction))
        warhead = float(S.phase_rcs(traj)[0][i])
        ref = (closest + 1e-4) / (warhead / 1.0) ** 0.25
        out.append(radar(f"det{i}", lat, lon, 30.0, max_range=9e6, ref_range=ref, el_min=-d(5), refraction=refraction))
        k = int(np.flatnonzero(seen)[len(np.flatnonzero(seen)) // 2]) if seen.any() else 0
        out.append(radar(f"needle{i}", lat, lon, 30.0, "fixed", az[k], 1e-9, el_min=-d(5), max_range=9e6,
                         refraction=refraction))
        edge = float(np.max(az[seen])) if seen.any() else 0.0
        out.append(radar(f"edge{i}", lat, lon, 30.0, "fixed", edge - d(10) + 1e-9, d(10), el_min=-d(5),
                         max_range=9e6, refraction=refraction))
        if seen.any():
            top = float(np.max(el[seen]))
            out.append(radar(f"mask{i}", lat, lon, 30.0, el_min=top - 1e-7, max_range=9e6, refraction=refraction))
            low_el = float(np.min(el[seen & (el > 0)])) if (seen & (el > 0)).any() else top
            out.append(radar(f"ceiling{i}", lat, lon, 30.0, el_min=-d(2), el_max=low_el + 1e-7, max_range=9e6,
                             refraction=refraction))
    return out


@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_skipping_gives_the_timeline_of_every_sample_on_flights_grazing_every_limit(refraction):
    traj = flights(6, 3)
    sensors = _grazing_radars(traj, refraction)
    tl = assert_same_timeline(traj, sensors)
    names = tl.sensor_names
    hit = {n: np.isfinite(tl.visible_start[i, j, 0]) for j, n in enumerate(names) for i in range(6) if n.endswith(str(i))}
    assert sum(hit.values()) >= len(hit) // 2  # most grazing radars do see their flight, briefly


def test_skipping_gives_the_timeline_of_every_sample_below_a_mast_and_behind_the_horizon():
    """Flights starting near the ground, radars on 2-3 km masts nearby and far beyond the horizon."""
    traj = flights(40, 4, low=True)
    sensors = [radar(f"mast{j}", d(33 + j), d(44 + 2 * j), 2000.0 + 300 * j, el_min=d(-1.5 + j), max_range=3000e3,
                     refraction=m) for j, m in enumerate(S.REFRACTION_MODELS)]
    sensors.append(radar("far", d(55), d(10), 50.0, el_min=0.0, max_range=5000e3))
    assert_same_timeline(traj, sensors)


# ---------------------------------------------------------------------------------------------
# the bounds themselves


def _row(r):
    """A radar's packed row, ray tables and limiting rays' table."""
    params, rays = _radar_params([r], WGS84)
    table = np.zeros((2, 2, LIMIT_NODES))
    _limit_table(params[0], rays[0], table)
    return params[0], rays[0], table


def _points_around(rng, centre, radius, count):
    """count points at distance <= radius of centre (half of them on the sphere itself)."""
    u = rng.normal(size=(count, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    scale = np.where(np.arange(count) % 2 == 0, 1.0, rng.uniform(0, 1, count) ** (1 / 3))
    return centre + u * (radius * scale)[:, None] * (1 - 1e-12)


@pytest.mark.parametrize("el_min", [0.5, -3.0])
@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_a_sight_answer_proved_on_a_ball_holds_at_every_point_of_the_ball(refraction, el_min):
    """Random centres near the horizon, below and around the antenna's height and near the
    elevation limits; wherever `_sight_held` proves a ball, 200 points in it (half on its
    surface) answer the same."""
    rng = np.random.default_rng(11)
    r = radar("r", d(40), d(30), 1500.0, el_min=d(el_min), el_max=d(70), refraction=refraction)
    row, ray, table = _row(r)
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    proved = checked = 0
    for _ in range(400):
        ground = rng.choice([rng.uniform(0, 1500e3), rng.uniform(0, 150e3)])
        h = rng.choice([rng.uniform(-500, 5000), rng.uniform(0, 200e3), ground ** 2 / 1.3e7 + rng.uniform(-20e3, 20e3)])
        p = to_ecef(d(40) + ground / 6.37e6 * math.cos(rng.uniform(0, 6.3)),
                    d(30) + ground / 4.9e6 * math.sin(rng.uniform(0, 6.3)), h, WGS84)
        theta, hh = _polar(p, row, ea, eb)
        inside = _in_sight(theta, hh, row, ray)
        radius = 10 ** rng.uniform(2, 5.5)
        dth, dh = sweep._theta_h_moves(p, row, radius, ea, eb)
        if not sweep._sight_held(theta, hh, dth, dh, row, table, inside):
            continue
        proved += 1
        for q in _points_around(rng, p, radius, 200):
            checked += 1
            assert _in_sight(*_polar(q, row, ea, eb), row, ray) == inside
    assert proved > 40 and checked > 8000


def test_a_field_of_regard_margin_keeps_every_point_on_its_side_of_the_sector_edges():
    rng = np.random.default_rng(12)
    r = radar("f", d(40), d(30), 20.0, "fixed", d(100), d(35))
    row = _radar_params([r], WGS84)[0][0]
    site = to_ecef(d(40), d(30), 20.0, WGS84)
    for _ in range(300):
        p = site + rng.normal(size=3) * rng.uniform(1e3, 1e6)
        inside, margin = sweep._fov_margin(p, row)
        if margin <= 0:
            continue
        for q in _points_around(rng, p, margin, 50):
            assert sweep._fov_margin(q, row)[0] == inside


@pytest.mark.parametrize("el_min", [0.5, -3.0])
@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_a_sight_answer_proved_on_a_box_of_angle_and_height_holds_on_a_grid_of_the_box(refraction, el_min):
    """Boxes of central angle x height around the antenna's height (where the effective-Earth
    elevation stops being monotone in the angle close to the site), the horizon and the limits:
    wherever `_sight_held` proves one, the sight test answers the same on a 15 x 15 grid of it."""
    rng = np.random.default_rng(13)
    r = radar("r", d(40), d(30), 1500.0, el_min=d(el_min), el_max=d(70), refraction=refraction)
    row, ray, table = _row(r)
    proved = 0
    for _ in range(3000):
        theta = rng.choice([rng.uniform(0, 0.03), rng.uniform(0, 0.3)])
        h = rng.choice([rng.uniform(0, 3000), rng.uniform(0, 300e3)])
        dth, dh = theta * 10 ** rng.uniform(-3, 0), 10 ** rng.uniform(0, 4.5)
        inside = _in_sight(theta, h, row, ray)
        if not sweep._sight_held(theta, h, dth, dh, row, table, inside):
            continue
        proved += 1
        for t in np.linspace(max(theta - dth, 0.0), theta + dth, 15):
            for hh in np.linspace(h - dh, h + dh, 15):
                assert _in_sight(t, hh, row, ray) == inside, (theta, h, dth, dh, t, hh)
    assert proved > 300


@pytest.mark.parametrize("el_max", [90.0, 40.0])
def test_the_tabled_sight_test_answers_as_the_exact_one_right_at_the_limiting_rays(el_max):
    """Points at the limiting rays' exact angle and within 1e-15 to 1e-3 rad of it, from the
    antenna's height to far beyond the table: `_sight_tabled` answers as `_in_sight`."""
    rng = np.random.default_rng(14)
    row, ray, table = _row(radar("r", d(40), d(30), 300.0, el_min=d(0.5), el_max=d(el_max)))
    decided = 0
    for _ in range(20000):
        which = 0 if el_max == 90.0 else int(rng.integers(0, 2))
        h = rng.choice([rng.uniform(300.0, 2000.0), rng.uniform(0, 500e3), rng.uniform(0, 8000e3)])
        edge = _ray_angle(row[R_RLOC] + h, row, ray, which)
        theta = edge + rng.choice([0.0, 1.0, -1.0]) * 10 ** rng.uniform(-15, -3)
        if not theta >= 0:
            continue
        assert _sight_tabled(theta, h, row, ray, table) == _in_sight(theta, h, row, ray)
        decided += 1
    assert decided > 15000


def test_the_azimuth_wrap_is_pythons_modulo_bit_for_bit():
    """`kernels._wrap_pi` (no library fmod within 4 pi) gives (d + pi) % (2 pi) - pi exactly:
    random differences of azimuths, the branch edges (+-pi, +-3 pi, one ulp either side), zeros,
    and values beyond 4 pi, NaN and infinity (the modulo itself)."""
    rng = np.random.default_rng(21)
    pi = math.pi
    values = list(rng.uniform(-4.5 * pi, 4.5 * pi, 200000)) + list(rng.uniform(-10.0, 10.0, 20000) * 1e-12)
    for edge in (-5 * pi, -3 * pi, -pi, 0.0, pi, 3 * pi, 5 * pi, 2 * pi, -2 * pi):
        for k in range(-3, 4):
            values.append(edge + k * math.ulp(edge if edge else 1e-300))
    values += [-0.0, 0.0, 1e300, -1e300, math.inf, -math.inf, math.nan]
    for v in values:
        want = (v + pi) % (2.0 * pi) - pi
        got = _wrap_pi(v)
        assert (math.isnan(want) and math.isnan(got)) or struct.pack("<d", got) == struct.pack("<d", want), v


@pytest.mark.parametrize("elevation_deg", [-0.9, -0.3, 0.0, 0.5, 7.0, 60.0])
def test_a_ray_keeps_the_low_radius_term_it_would_recompute_bit_for_bit(elevation_deg):
    """`refraction._ray_theta_at` reads r_low (n(r_low) - 1) from the ray (``RAY_Q_LOW``) and
    shares n(r) - 1 between the two rays (`_ray_theta_q`): at every radius the angle is the
    double the formula recomputing both exponentials gives."""
    rs, n0, hs = 6378137.0, 313e-6, 7000.0
    r0 = rs + 300.0
    ray = np.empty(refraction.RAY_SIZE)
    refraction._make_ray(d(elevation_deg), r0, rs, n0, hs, rs + 100e3, ray)
    r_low, c, gap = ray[refraction.RAY_R_LOW], ray[refraction.RAY_C], ray[refraction.RAY_GAP]
    rng = np.random.default_rng(22)
    for r in np.concatenate([r_low + rng.uniform(0.0, 5e6, 3000), r_low + 10.0 ** rng.uniform(-6, 3, 300)]):
        q = n0 * math.exp(-(r - rs) / hs)
        du = (r - r_low) + r * q - r_low * (n0 * math.exp(-(r_low - rs) / hs)) + gap
        want = ray[refraction.RAY_OFFSET] + math.atan2(math.sqrt(max(du, 0.0) * (r * (1.0 + q) + c)), c) + 1e-4
        assert refraction._ray_theta_at(r, ray, 0, 1e-4, rs, n0, hs) == want


def test_samples_passed_over_lie_within_the_room_along_the_polyline_and_no_fewer_than_by_the_longest_chord():
    """`sweep._held`: every sample it passes over lies within ``room`` of the sample examined
    (the distance, not only the polyline, checked), it stops before the first sample whose
    polyline length exceeds the room, and never passes over fewer samples than the longest-chord
    bound room / chord it replaced."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(2, 60))
        steps = rng.normal(size=(n - 1, 3)) * rng.uniform(1.0, 8e3, (n - 1, 1))
        pos = np.vstack([np.zeros(3), np.cumsum(steps, axis=0)]) + rng.uniform(-7e6, 7e6, 3)
        chords = np.linalg.norm(np.diff(pos, axis=0), axis=1)
        path = np.concatenate([[0.0], np.cumsum(chords)])
        m = int(rng.integers(0, n - 1))
        cap = int(rng.integers(1, n - m))
        room = float(rng.uniform(0.0, 1.2) * (path[m + cap] - path[m]) + rng.uniform(0, 5.0))
        held = sweep._held(path, m, cap, room)
        assert 0 <= held <= cap
        assert all(np.linalg.norm(pos[m + k] - pos[m]) <= room for k in range(1, held + 1))
        assert held == cap or path[m + held + 1] - path[m] > room - 2e-3
        chord = chords.max() * (1.0 + 1e-9)  # the bound it replaced, for a room 2 mm smaller
        assert held >= min(cap, int(max(room - 2e-3, 0.0) / chord))


# ---------------------------------------------------------------------------------------------
# the edge search on the sight margin


def _sight_edges(traj, row, ray, ea, eb):
    """Every step of the flights whose samples take different sight answers:
    (p0, v0, p1, v1, t0, dt, was_in)."""
    for i in range(traj.position.shape[0]):
        ok = np.flatnonzero(np.isfinite(traj.position[i, :, 0]))
        answers = [_in_sight(*_polar(traj.position[i, m], row, ea, eb), row, ray) for m in ok]
        for a in range(len(ok) - 1):
            if answers[a] != answers[a + 1]:
                m = ok[a]
                yield (traj.position[i, m], traj.velocity[i, m], traj.position[i, m + 1], traj.velocity[i, m + 1],
                       float(traj.time[m]), float(traj.time[m + 1] - traj.time[m]), answers[a])


@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_the_sight_edge_search_ends_on_the_bisections_time_bit_for_bit(refraction):
    """`sweep._refine_sight` (regula falsi on the sight margin, on the bisection's grid) gives the
    double `kernels._refine` bisects to, on every step of random flights entering or leaving the
    sight of radars with and without an elevation ceiling, low masks and masts (range and
    field of regard never limit, so the status level is the sight answer)."""
    traj = flights(80, 5)
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    tmp = np.empty(3)
    known = np.full(3, -1.0)
    rdet = np.array([1e9, 1e9])
    searched = 0
    for j, (el_min, el_max, height) in enumerate([(1.0, 90.0, 20.0), (-1.5, 35.0, 2500.0), (0.2, 12.0, 300.0)]):
        r = radar(f"r{j}", d(36 + 3 * j), d(38 + 2 * j), height, el_min=d(el_min), el_max=d(el_max), max_range=2e7,
                  refraction=refraction)
        row, ray, _ = _row(r)
        for p0, v0, p1, v1, t0, dt, was_in in _sight_edges(traj, row, ray, ea, eb):
            want = kernels._refine(p0, v0, p1, v1, t0, dt, 1, was_in, row, ray, rdet, 0.0, ea, eb, tmp, known,
                                   np.zeros((2, 2, 0)))
            got = sweep._refine_sight(p0, v0, p1, v1, t0, dt, was_in, row, ray, ea, eb, tmp)
            assert struct.pack("<d", got) == struct.pack("<d", want), (j, t0, got, want)
            searched += 1
    assert searched > 150


def test_the_sight_edge_search_ends_between_two_grid_points_with_different_answers():
    """Straight steps passing over a radar with an elevation ceiling and on below its horizon,
    some of whose sight answers change three times between the two samples (in, above the
    ceiling, in, below the horizon): the search still ends on a flip of the answer on the grid of
    2^-20 steps (the bisection may end on another flip); and it gives up (NaN) when the two
    samples do not disagree as told."""
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    row, ray, _ = _row(radar("c", d(40), d(30), 20.0, el_min=d(1), el_max=d(60)))
    tmp = np.empty(3)
    n = 1 << kernels._REFINE_ITER
    site = to_ecef(d(40), d(30), 20.0, WGS84)
    up = site / np.linalg.norm(site)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    rng = np.random.default_rng(23)

    def sight(a, b, s):
        kernels._hermite(a, (b - a) / 2.0, b, (b - a) / 2.0, 2.0, s, tmp)
        return _in_sight(*_polar(tmp, row, ea, eb), row, ray)

    triple = 0
    for _ in range(300):
        a = site + up * rng.uniform(200e3, 900e3) - east * rng.uniform(300e3, 900e3)
        b = site + up * rng.uniform(-400e3, 600e3) + east * rng.uniform(100e3, 2500e3)
        for p, q in ((a, b), (b, a)):
            v = (q - p) / 2.0
            was_in = sight(p, q, 0.0)
            if was_in == sight(p, q, 1.0):
                assert math.isnan(sweep._refine_sight(p, v, q, v, 0.0, 2.0, was_in, row, ray, ea, eb, tmp))
                continue
            flips = np.count_nonzero(np.diff([sight(p, q, s) for s in np.linspace(0.0, 1.0, 801)]))
            triple += flips >= 3
            t = sweep._refine_sight(p, v, q, v, 0.0, 2.0, was_in, row, ray, ea, eb, tmp)
            k = round(t / 2.0 * n)
            ka = k if was_in else k - 1
            assert [sight(p, q, ka / n), sight(p, q, (ka + 1) / n)] == [was_in, not was_in]
            assert math.isnan(sweep._refine_sight(p, v, q, v, 0.0, 2.0, not was_in, row, ray, ea, eb, tmp))
    assert triple > 10


@pytest.mark.parametrize("refraction", S.REFRACTION_MODELS)
def test_the_sight_margin_answers_as_the_sight_test_and_is_positive_exactly_inside(refraction):
    rng = np.random.default_rng(24)
    row, ray, _ = _row(radar("m", d(40), d(30), 800.0, el_min=d(-1), el_max=d(50), refraction=refraction))
    for _ in range(20000):
        theta, h = rng.uniform(0, 0.4), rng.choice([rng.uniform(-200, 3000), rng.uniform(0, 2000e3)])
        if rng.uniform() < 0.5 and h > 800.0 and refraction == "atmosphere":
            theta = max(_ray_angle(row[R_RLOC] + h, row, ray, int(rng.integers(0, 2))) + rng.normal() * 1e-9, 0.0)
        inside, margin = sweep._sight_and_margin(theta, h, row, ray)
        assert inside == _in_sight(theta, h, row, ray)
        if margin == margin:
            assert (margin >= 0.0) == inside


def test_a_flight_is_passed_over_only_when_every_sample_is_beyond_the_instrumented_range():
    """`sweep._beyond_range` of the samples' bounding box: when it holds, every sample's slant
    range exceeds the instrumented range; a box reaching within it (a corner or a face 0.5 m
    inside the range plus slack) is walked."""
    rng = np.random.default_rng(25)
    r = radar("b", d(40), d(30), 20.0, max_range=1500e3)
    row = _radar_params([r], WGS84)[0][0]
    site = to_ecef(d(40), d(30), 20.0, WGS84)
    passed = 0
    for _ in range(3000):
        pts = site + rng.normal(size=3) * rng.uniform(0, 3e6) + rng.normal(size=(40, 3)) * rng.uniform(1e3, 1e6)
        box = np.array([pts.min(axis=0), pts.max(axis=0)])
        if sweep._beyond_range(box, row):
            passed += 1
            assert (np.linalg.norm(pts - site, axis=1) > row[kernels.R_MAX_RANGE]).all()
    assert passed > 500
    for axis in range(3):
        box = np.array([site - 1e5, site + 1e5])
        box[0, axis] = site[axis] + 1500e3 + sweep.SLACK_M - 0.5
        box[1, axis] = box[0, axis] + 1e6
        assert not sweep._beyond_range(box, row)
        box[0, axis] += 1.0
        box[1, axis] += 1.0
        assert sweep._beyond_range(box, row)  # now 0.5 m beyond range plus slack


@pytest.mark.parametrize("half_deg", [3.0, 60.0, 90.0, 130.0])
def test_the_field_of_regard_from_edge_cross_products_answers_as_the_azimuth_test(half_deg):
    """`_fov_margin_edges` (cross products with the sector's edges) against `_fov_margin` (the
    azimuth test `_status` makes): the same answer on random points and on points within 1e-9
    to 1e4 m of an edge line either side, faces narrower and wider than a half-turn; and every
    point within its margin answers as the point itself."""
    rng = np.random.default_rng(26)
    r = radar("f", d(40), d(30), 20.0, "fixed", d(100), d(half_deg))
    row = _radar_params([r], WGS84)[0][0]
    face = np.empty(4)
    sweep._sector_edges(row, face)
    site = to_ecef(d(40), d(30), 20.0, WGS84)
    east, north = row[kernels.R_EAST:kernels.R_EAST + 3], row[kernels.R_NORTH:kernels.R_NORTH + 3]
    up = row[kernels.R_UP:kernels.R_UP + 3]
    near = 0
    for k in range(4000):
        if k % 2:
            p = site + rng.normal(size=3) * rng.uniform(1e3, 3e6)
        else:  # just off an edge line (its ray or the line behind the site)
            az = d(100) + rng.choice([-1.0, 1.0]) * d(half_deg) + rng.choice([0.0, math.pi])
            rho = rng.uniform(1e3, 3e6)
            off = rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(-9, 4)
            p = (site + rho * (math.sin(az) * east + math.cos(az) * north)
                 + off * (math.cos(az) * east - math.sin(az) * north) + rng.uniform(-1e5, 1e6) * up)
            near += 1
        inside, margin = sweep._fov_margin_edges(p, row, face)
        assert inside == sweep._fov_margin(p, row)[0]
        if margin > 0 and k % 10 == 1:
            for q in _points_around(rng, p, margin, 20):
                assert sweep._fov_margin(q, row)[0] == inside
    assert near == 2000


@pytest.mark.parametrize("el_min", [0.5, -3.0])
def test_a_sight_ball_sized_from_the_rays_slope_holds_at_every_point_of_it(el_min):
    """`_elevation_radius` (the radius estimated from the limiting rays' slope, then proved) on
    random points above and below the antenna's height, near the horizon and the elevation
    ceiling: every ball it returns answers as its centre at 200 points in it (half on its
    surface), and most points get one."""
    rng = np.random.default_rng(27)
    r = radar("r", d(40), d(30), 1500.0, el_min=d(el_min), el_max=d(70))
    row, ray, table = _row(r)
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    site = to_ecef(d(40), d(30), 1500.0, WGS84)
    balls = 0
    for _ in range(600):
        ground = rng.choice([rng.uniform(0, 2500e3), rng.uniform(0, 150e3)])
        h = rng.choice([rng.uniform(-500, 5000), rng.uniform(0, 1200e3), ground ** 2 / 1.3e7 + rng.uniform(-20e3, 20e3)])
        p = to_ecef(d(40) + ground / 6.37e6 * math.cos(rng.uniform(0, 6.3)),
                    d(30) + ground / 4.9e6 * math.sin(rng.uniform(0, 6.3)), h, WGS84)
        theta, hh = _polar(p, row, ea, eb)
        inside = _in_sight(theta, hh, row, ray)
        radius = sweep._elevation_radius(p, theta, hh, float(np.linalg.norm(p - site)), row, table, inside, 0.0, ea, eb)
        if radius <= 0.0:
            continue
        balls += 1
        for q in _points_around(rng, p, radius, 200):
            assert _in_sight(*_polar(q, row, ea, eb), row, ray) == inside
    assert balls > 300


# ---------------------------------------------------------------------------------------------
# the edge search on the grid for the range, field-of-regard and detection-range edges


def _status_flips(traj, row, ray, rdet, separation, known, level, ea, eb):
    """Every step of the flights whose samples' (status >= level) differ with the coverage
    tests ``known`` (`kernels._status_known`): (p0, v0, p1, v1, t0, dt, was_in, flight)."""
    empty = np.zeros((2, 2, 0))
    for i in range(traj.position.shape[0]):
        ok = np.flatnonzero(np.isfinite(traj.position[i, :, 0]))
        answers = [kernels._status_known(traj.position[i, m], float(traj.time[m]), row, ray, rdet[i], separation[i],
                                         ea, eb, known, empty) >= level for m in ok]
        for a in range(len(ok) - 1):
            if answers[a] != answers[a + 1]:
                m = ok[a]
                yield (traj.position[i, m], traj.velocity[i, m], traj.position[i, m + 1], traj.velocity[i, m + 1],
                       float(traj.time[m]), float(traj.time[m + 1] - traj.time[m]), answers[a], i)


@pytest.mark.parametrize("case", ["range", "azimuth", "detection", "detection-and-range"])
def test_range_azimuth_and_detection_edges_on_the_grid_end_on_the_bisections_time_bit_for_bit(case):
    """`sweep._edge_test` picks the one test deciding an edge (the others proved on the step)
    and `sweep._refine_grid` (secant steps on that test's margin, on the bisection's grid) gives
    the double `kernels._refine` bisects to, on every step of random flights where the slant
    range crosses the instrumented range, the azimuth a fixed face's edge, or the range one
    phase's detection range (alone, or with the instrumented range); a step over which the
    detection range changes (the warhead separates) is left to the bisection."""
    traj = flights(80, 7)
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    n = traj.position.shape[0]
    separation = np.asarray(traj.separation_time, dtype=float)
    tmp = np.empty(3)
    level, known, want_test = {"range": (1, [-1.0, -1.0, 1.0], sweep.EDGE_RANGE),
                               "azimuth": (1, [1.0, -1.0, 1.0], sweep.EDGE_AZIMUTH),
                               "detection": (2, [1.0, 1.0, 1.0], sweep.EDGE_RANGE),
                               "detection-and-range": (2, [-1.0, 1.0, 1.0], sweep.EDGE_RANGE)}[case]
    known = np.array(known)
    searched = straddling = 0
    for j, (lat, lon, max_range) in enumerate([(36.0, 38.0, 900e3), (40.0, 30.0, 1600e3), (33.0, 45.0, 600e3)]):
        fixed = case == "azimuth"
        r = radar(f"e{j}", d(lat), d(lon), 30.0, "fixed" if fixed else "full", d(300 + 20 * j), d(25 + 15 * j),
                  max_range=max_range)
        row, ray, _ = _row(r)
        rdet = np.stack([np.full(n, 1.2 * max_range), np.full(n, max_range * (0.45 + 0.2 * j))], axis=1)
        for p0, v0, p1, v1, t0, dt, was_in, i in _status_flips(traj, row, ray, rdet, separation, known, level, ea, eb):
            test, limit = sweep._edge_test(level, known, row, rdet[i], separation[i], t0, dt)
            if level == 2 and t0 < separation[i] <= t0 + dt:
                assert test < 0  # the detection range changes on the step
                straddling += 1
                continue
            assert test == want_test
            want = kernels._refine(p0, v0, p1, v1, t0, dt, level, was_in, row, ray, rdet[i], separation[i], ea, eb, tmp,
                                   known, np.zeros((2, 2, 0)))
            got = sweep._refine_grid(p0, v0, p1, v1, t0, dt, was_in, test, limit, row, ray, ea, eb, tmp)
            assert struct.pack("<d", got) == struct.pack("<d", want), (j, t0, got, want)
            searched += 1
    assert searched > 60
    assert level == 1 or straddling > 0


def test_an_edge_decided_by_two_tests_is_left_to_the_bisection():
    """`sweep._edge_test` gives no single test (-1) where two of the status's tests are unknown
    on the step, or the level's test is proved to fail."""
    row = _radar_params([radar("f", d(40), d(30), 20.0, "fixed")], WGS84)[0][0]
    rdet = np.array([5e5, 3e5])
    for level, known in [(1, [-1.0, -1.0, 1.0]), (1, [1.0, -1.0, -1.0]), (1, [-1.0, 1.0, -1.0]), (2, [1.0, -1.0, 1.0]),
                         (2, [1.0, 1.0, -1.0]), (2, [0.0, 1.0, 1.0])]:
        assert sweep._edge_test(level, np.array(known), row, rdet, 0.0, 10.0, 2.0)[0] < 0, (level, known)
