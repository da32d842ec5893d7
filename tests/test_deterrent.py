"""Tests for shieldsim.deterrent and study.deterrent_study: the deterrent matrix is proved by
flying its arcs, by brute force over launch times and intercept points, and by monotonicity."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from shieldsim import deterrent as det
from shieldsim import scenario as scen
from shieldsim import study
from shieldsim.interceptor import reach
from shieldsim.trajectory import fly_states


@pytest.fixture(scope="module")
def setup():
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    traj, base, threat, aim, skipped = study.deterrent_flights(
        arch, areas=["kozelsk", "vypolzovo"], aim_names=["washington", "seattle", "chicago"])
    track = study.variant_track_times(arch, traj, "cue-as-track")
    mx = det.deterrent_matrix(traj, arch.batteries, track, base, threat, aim)
    return arch, traj, track, mx


def test_flights_are_labelled_base_class_aim_point(setup):
    arch, traj, track, mx = setup
    assert len(traj) == 9  # kozelsk flies two classes, vypolzovo one, to three aim points
    assert set(mx.base) == {"kozelsk", "vypolzovo"}
    assert set(mx.aim_point) == {"washington", "seattle", "chicago"}
    assert mx.engageable.shape == (9, len(arch.batteries))


def test_engageable_arc_flown_meets_icbm_within_1_km(setup):
    arch, traj, track, mx = setup
    ii, jj = np.nonzero(mx.engageable)
    assert ii.size > 0, "the optimistic timeline must give some engageable pair for this proof"
    for i, j in list(zip(ii, jj))[:4]:
        arc = det.intercept_arc(traj, mx, arch.batteries, i, j)
        assert arc.launch_time >= mx.launch_earliest[i, j] - 1e-6
        assert arc.speed_needed <= arch.batteries[j].interceptor.burnout_speed + 1e-6
        coast = arc.flight_time - arc.burn_time
        f = fly_states(arc.burnout_position[None], arc.burnout_velocity[None], traj.models,
                       sample_step=coast / 200, max_time=coast * (1 + 1e-9))
        k = int(round(arc.intercept_time / traj.step))
        miss = np.linalg.norm(f.position[0, 200] - traj.position[i, k])
        assert miss < 1e3, f"pair {i},{j}: interceptor misses the ICBM by {miss:.0f} m"


def _brute_force_arc_exists(traj, battery, i, launch_earliest, speed, launch_step=4.0, sample_stride=2):
    """Any (threat sample, launch time >= launch_earliest) whose arc needs at most ``speed``,
    inside the interceptor's altitude band and range? Exhaustive grid, compiled batches."""
    icp = battery.interceptor
    k = np.arange(0, traj.time.size, sample_stride)
    k = k[np.isfinite(traj.position[i, k, 0])]
    pts, taus = [], []
    for kk in k:
        t_k = traj.time[kk]
        launches = np.arange(launch_earliest, t_k - icp.burn_time - 1.0, launch_step)
        if launches.size:
            pts.append(np.repeat(traj.position[i, kk][None], launches.size, axis=0))
            taus.append(t_k - launches)
    if not pts:
        return False
    r = reach(icp, battery.lat, battery.lon, np.concatenate(pts), np.concatenate(taus), traj.models)
    return bool(np.any(r.in_limits & (r.speed_needed <= speed)))


def test_not_engageable_pairs_have_no_arc_by_brute_force(setup):
    arch, traj, track, mx = setup
    ii, jj = np.nonzero(~mx.engageable & np.isfinite(mx.launch_earliest))
    assert ii.size > 0
    # the IIB site against every flight it cannot engage, plus an SM-3 IB site
    chosen = [(i, j) for i, j in zip(ii, jj) if arch.batteries[j].name == "redzikowo"][:3]
    chosen += [(i, j) for i, j in zip(ii, jj) if arch.batteries[j].name == "deveselu"][:1]
    assert chosen
    for i, j in chosen:
        b = arch.batteries[j]
        assert not _brute_force_arc_exists(traj, b, i, mx.launch_earliest[i, j], b.interceptor.burnout_speed)
    # the same brute force does find the arcs of engageable pairs (so the check can fail)
    i, j = np.argwhere(mx.engageable)[0]
    b = arch.batteries[j]
    assert _brute_force_arc_exists(traj, b, i, mx.launch_earliest[i, j], b.interceptor.burnout_speed,
                                   launch_step=2.0, sample_stride=1)


def test_margin_sign_matches_engageable_and_equals_missing_launch_time(setup):
    arch, traj, track, mx = setup
    fin = np.isfinite(mx.margin_s)
    assert np.all(mx.margin_s[mx.engageable] >= 0)
    assert np.all(mx.margin_s[fin & ~mx.engageable] < 0)
    # changing the launch delay by the margin moves the pair across the edge
    j = [b.name for b in arch.batteries].index("redzikowo")
    bats = [arch.batteries[j]]
    delay = bats[0].interceptor.launch_delay
    checked = 0
    for i in np.flatnonzero(fin[:, j]):
        m = mx.margin_s[i, j]
        if delay + m - 3.0 < 0:
            continue
        ok_before = det.deterrent_matrix(traj.subset([i]), det.with_delay(bats, delay + m - 3.0), track[[i], j],
                                         [""], [""], [""], min_speed=False).engageable[0, 0]
        ok_after = det.deterrent_matrix(traj.subset([i]), det.with_delay(bats, delay + m + 3.0), track[[i], j],
                                        [""], [""], [""], min_speed=False).engageable[0, 0]
        assert ok_before and not ok_after, f"flight {i}: margin {m:.1f} s"
        checked += 1
    assert checked >= 2


def test_minimum_speed_is_the_engageability_edge(setup):
    arch, traj, track, mx = setup
    j = [b.name for b in arch.batteries].index("redzikowo")
    bats = [arch.batteries[j]]
    vmin = mx.min_speed[:, j]
    assert np.isfinite(vmin).sum() >= 3
    for i in np.flatnonzero(np.isfinite(vmin)):
        above = det.deterrent_matrix(traj.subset([i]), det.with_speed(bats, vmin[i] + 20.0), track[[i], j],
                                     [""], [""], [""], min_speed=False).engageable[0, 0]
        below = det.deterrent_matrix(traj.subset([i]), det.with_speed(bats, vmin[i] - 60.0), track[[i], j],
                                     [""], [""], [""], min_speed=False).engageable[0, 0]
        assert above and not below, f"flight {i}: min speed {vmin[i]:.0f} m/s"
    # engageable at the nominal speed exactly when the minimum speed is below it
    nominal = bats[0].interceptor.burnout_speed
    fin = np.isfinite(vmin) & (np.abs(vmin - nominal) > 30.0)
    assert np.array_equal(mx.engageable[fin, j], vmin[fin] < nominal)


@pytest.fixture(scope="module", params=study.FLIGHT_SHAPES)
def shaped(request, setup):
    """The flights of `setup` in each flight shape (depressed/lofted at the study's apogee fractions)."""
    arch = setup[0]
    shape = request.param
    traj = study.deterrent_flights(arch, areas=["kozelsk", "vypolzovo"], aim_names=["washington", "seattle", "chicago"],
                                   kind=shape, apogee_fraction=study.SHAPE_APOGEE_FRACTION.get(shape))[0]
    return arch, traj, study.variant_track_times(arch, traj, "cue-as-track"), shape


def _assert_monotone_in_speed_and_delay(arch, traj, track, speeds):
    sw = det.speed_sweep(traj, arch.batteries, track, speeds, delays=[0.0, 60.0, 180.0])
    eng = sw["engageable"]  # (D, S, N, B)
    assert sw["fraction_any"].max() > 0 and sw["fraction_any"].min() < sw["fraction_any"].max()
    assert np.all(np.diff(sw["fraction"], axis=1) >= 0)
    assert np.all(np.diff(sw["fraction"], axis=0) <= 0)
    assert np.all(np.diff(sw["fraction_any"], axis=1) >= 0)
    # stronger: the set of engageable pairs only grows with speed and shrinks with delay
    assert np.all(eng[:, 1:] >= eng[:, :-1])
    assert np.all(eng[1:] <= eng[:-1])


def test_fraction_engageable_never_falls_with_speed_or_rises_with_delay(shaped):
    """For every flight shape (minimum-energy, depressed, lofted)."""
    arch, traj, track, shape = shaped
    _assert_monotone_in_speed_and_delay(arch, traj, track, np.arange(3.0, 7.01, 0.5) * 1e3)


@pytest.mark.parametrize("name, areas, aims", [
    ("deterrent", ["barents-sea", "norwegian-sea"], ["washington", "chicago", "seattle"]),  # SLBMs (issue 15)
    ("homeland", ["tabriz", "shahrud"], ["washington", "boston"]),  # Iranian ICBMs to the US (issue 15)
])
def test_new_launch_areas_stay_monotone_in_speed_and_delay(name, areas, aims):
    arch = study.Architecture.from_scenario(scen.load(name))
    traj, base, threat, aim, skipped = study.deterrent_flights(arch, areas=areas, aim_names=aims)
    assert {det.launch_area(b) for b in base} == set(areas)
    track = study.variant_track_times(arch, traj, "cue-as-track")
    _assert_monotone_in_speed_and_delay(arch, traj, track, np.arange(2.0, 9.01, 0.5) * 1e3)


def test_slbm_flights_fly_exactly_the_pairs_within_published_range_by_pyproj():
    """Every SSBN-area point x SLBM class x aim point is flown when the WGS84 geodesic (pyproj)
    is well inside the class's published range and skipped when well beyond it."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    traj, base, threat, aim, skipped = study.deterrent_flights(arch, areas=list(det.SSBN_AREAS))
    assert set(threat) == {"slbm-liquid", "slbm-solid"}
    sc = arch.scenario
    aims = scen.aim_points(sc)
    where = dict(zip(aims.names, zip(np.degrees(aims.lat), np.degrees(aims.lon))))
    flown = set(zip(base, threat, aim))
    dropped = {(b, c, a) for b, c, a, _ in skipped}
    for area in det.SSBN_AREAS:
        pts = scen.launch_points(sc, area)
        for p, (la, lo) in enumerate(zip(np.degrees(pts.lat), np.degrees(pts.lon))):
            for cls in sc.launch_areas[area].threats:
                rng = arch.missiles[cls].published_range
                for a, (ala, alo) in where.items():
                    d = geod.inv(lo, la, alo, ala)[2]
                    key = (f"{area}[{p}]", cls, a)
                    if d < 0.9 * rng:
                        assert key in flown, (key, d / 1e3)
                    elif d > 1.1 * rng:
                        assert key in dropped, (key, d / 1e3)
    assert len(flown) > 40 and dropped  # the west coast is beyond the SLBMs' published range from some points


def test_fraction_by_area_counts_each_areas_flights():
    mx = det.DeterrentMatrix(
        base=np.array(["barents-sea[0]", "barents-sea[1]", "kozelsk"], dtype=object),
        threat=np.array(["s", "s", "i"], dtype=object), aim_point=np.array(["a", "a", "a"], dtype=object),
        battery_names=("x", "y"), track_time=np.zeros((3, 2)), launch_earliest=np.zeros((3, 2)),
        latest_launch=np.zeros((3, 2)), margin_s=np.zeros((3, 2)),
        engageable=np.array([[True, False], [False, False], [True, True]]), intercept_first=np.zeros((3, 2)),
        intercept_last=np.zeros((3, 2)), first_alt=np.zeros((3, 2)), min_speed=np.zeros((3, 2)),
        min_speed_time=np.zeros((3, 2)), interceptor_speed=np.zeros(2))
    assert mx.fraction_engageable_by_area() == {"barents-sea": {"x": 0.5, "y": 0.0, "any": 0.5},
                                                "kozelsk": {"x": 1.0, "y": 1.0, "any": 1.0}}


def test_sensor_variants_remove_the_named_sensors(setup):
    arch = setup[0]
    no_fwd = study._variant_arch(arch, "no-forward-radar")
    no_ir = study._variant_arch(arch, "no-space-cueing")
    for net in no_fwd.networks.values():
        assert study.FORWARD_RADAR not in [s.name for s in net.sensors]
    for net in no_ir.networks.values():
        assert all(hasattr(s, "boresight") for s in net.sensors)
    assert any(study.FORWARD_RADAR in [s.name for s in n.sensors] for n in arch.networks.values())
    with pytest.raises(ValueError, match="allowed"):
        study._variant_arch(arch, "bogus")


def test_cue_as_track_uses_the_space_based_cue(setup):
    arch, traj, track, mx = setup
    _, timelines = study.track_times(arch, traj)
    cue = timelines[arch.battery_networks[0]].cue_time
    assert np.allclose(track[:, 0], cue)
    no_ir = study.variant_track_times(arch, traj, "no-space-cueing")
    assert np.all(~(no_ir <= track - 1e-9))  # without cueing no track comes earlier


def test_sea_positions_are_at_sea_and_in_the_boxes():
    from shieldsim.geography import country_of

    lat, lon, box = det.sea_positions(step_deg=3.0)
    assert lat.size > 20
    assert np.all(country_of(lat, lon) == "")
    assert set(box) <= set(det.SHIP_BOXES)


def test_cli_deterrent_json_and_files(tmp_path):
    from shieldsim.cli import app

    out = tmp_path / "d"
    res = CliRunner().invoke(app, ["deterrent", "--base", "vypolzovo", "--phase", "epaa-2018",
                                   "--speed-kms-range", "4:6:1", "--ship-step-deg", "8", "--json", "--out", str(out),
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["scenario"] == "deterrent" and d["version"] and d["models"]["earth"]
    assert d["pairs"] and {"base", "aim_point", "battery", "engageable", "margin_s", "min_speed_kms"} <= set(d["pairs"][0])
    assert set(d["fraction_engageable"]) >= {"redzikowo", "deveselu", "any"}
    assert d["speed_sweep"]["epaa-2018"]["cue-as-track"]["speed_kms"] == [4.0, 5.0, 6.0]
    for name in ("pairs.csv", "sweep.csv", "deterrent.json", "speed-sensitivity.png", "tracks-cue-as-track.svg",
                 "ship-stations.png", "speed-sensitivity-by-shape.svg"):
        assert (out / name).exists(), name
    # every flight shape, side by side; the top level is the first shape's
    assert d["shapes"] == list(study.FLIGHT_SHAPES) == list(d["by_shape"])
    assert d["selection"] == {"phase": "epaa-2018", "variant": "scenario", "shape": "minimum-energy"}
    for shape, sd in d["by_shape"].items():
        assert sd["selection"]["shape"] == shape and {p["shape"] for p in sd["pairs"]} == {shape}
        assert d["fraction_engageable_by_shape"][shape] == sd["fraction_engageable"]
    with (out / "pairs.csv").open() as fh:
        assert {row["shape"] for row in csv.DictReader(fh)} == set(study.FLIGHT_SHAPES)
    assert math.isclose(d["ships"]["interceptor_speed_kms"], 4.5)


@pytest.mark.parametrize("variant", ["scenario", "cue-as-track"])
def test_cli_deterrent_top_level_answers_the_phase_and_variant_asked_for(tmp_path, variant):
    """The top-level pairs and fraction_engageable are those of the --phase and --variant asked
    for (here a phase with fewer batteries than the scenario's own), equal to its by_phase entry."""
    from shieldsim.cli import app

    res = CliRunner().invoke(app, ["deterrent", "--base", "vypolzovo", "--phase", "epaa-2015", "--variant", variant,
                                   "--shape", "depressed", "--speed-kms-range", "5:6:1", "--ship-interceptor", "none",
                                   "--json", "--out", str(tmp_path / "d"), "--no-progress"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["selection"] == {"phase": "epaa-2015", "variant": variant, "shape": "depressed"}
    assert d["fraction_engageable"] == d["by_phase"]["epaa-2015"][variant]["fraction_engageable"]
    phase_batteries = [b.name for b in scen.batteries(scen.load("epaa-2015"))]
    assert set(d["fraction_engageable"]) == set(phase_batteries) | {"any"}
    assert {p["battery"] for p in d["pairs"]} == set(phase_batteries)
    mine = [p for p in d["pairs"] if p["variant"] == variant]
    for b in phase_batteries:
        rows = [p["engageable"] for p in mine if p["battery"] == b]
        assert d["fraction_engageable"][b] == pytest.approx(sum(rows) / len(rows))
    assert d["attrs"]["trajectory"] == "depressed" and d["attrs"]["apogee_fraction_of_minimum_energy"] == 0.5


def test_cli_deterrent_bad_shape_or_variant_is_one_line_error(tmp_path):
    from shieldsim.cli import app

    for args, option in ((["--shape", "minimum-energy,ballistic"], "--shape"), (["--variant", "radar"], "--variant"),
                         (["--shape", "lofted", "--trajectory", "lofted"], "--trajectory")):
        res = CliRunner().invoke(app, ["deterrent", *args, "--out", str(tmp_path)])
        assert res.exit_code == 2, args
        assert option in res.output and ("allowed" in res.output or "not both" in res.output)
        assert "Traceback" not in res.output


def test_cli_deterrent_bad_range_is_one_line_error(tmp_path):
    from shieldsim.cli import app

    res = CliRunner().invoke(app, ["deterrent", "--speed-kms-range", "7:3:0.25", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "speed-kms-range" in res.output and "Traceback" not in res.output


def test_depressed_flights_fly_below_the_minimum_energy_apogee():
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    me = study.deterrent_flights(arch, areas=["vypolzovo"], aim_names=["washington", "chicago"])[0]
    dep = study.deterrent_flights(arch, areas=["vypolzovo"], aim_names=["washington", "chicago"],
                                  kind="depressed", apogee=600e3)[0]
    assert np.allclose(dep.apogee_alt, 600e3, atol=1e3)
    assert np.all(me.apogee_alt > 1000e3)
    with pytest.raises(ValueError, match="apogee"):
        study.deterrent_flights(arch, areas=["vypolzovo"], aim_names=["washington"], kind="lofted")


def test_shape_apogees_are_the_stated_fraction_of_each_pairs_minimum_energy_apogee():
    """Depressed and lofted flights reach the convention's fraction of the minimum-energy apogee
    of the same pair (independent check: the highest geodetic height of the flown samples, from
    pyproj, against the fraction times the minimum-energy flight's), and come down sooner /
    later than it."""
    from pyproj import Transformer

    to_lla = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    kw = dict(areas=["vypolzovo"], aim_names=["washington", "chicago", "seattle"], step=1.0)
    me, _, _, aim_me, _ = study.deterrent_flights(arch, **kw)
    for shape, frac in study.SHAPE_APOGEE_FRACTION.items():
        tr, _, _, aim, _ = study.deterrent_flights(arch, kind=shape, apogee_fraction=frac, **kw)
        assert list(aim) == list(aim_me)
        for i in range(len(tr)):
            h_me = np.nanmax(to_lla.transform(*me.position[i].T)[2])
            h = np.nanmax(to_lla.transform(*tr.position[i].T)[2])
            assert h == pytest.approx(frac * h_me, rel=2e-3)  # 1 s samples: within ~1 km of the apex
        later = tr.impact_time > me.impact_time
        assert np.all(later) if shape == "lofted" else not np.any(later)


def test_study_reports_pairs_with_margin_sign_of_the_matrix():
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    res = study.deterrent_study(arch, speeds_kms=[4.5, 5.5], delays_s=(0.0, 60.0), variants=("cue-as-track",),
                                phases=("epaa-phase4",), ship_interceptor=None, areas=["kozelsk"],
                                aim_names=["boston", "seattle"])
    d = res.as_dict(primary="cue-as-track")
    assert len(d["pairs"]) == 4 * len(arch.batteries)
    assert all(p["variant"] == "cue-as-track" for p in d["pairs"])
    rep = res.to_report("cue-as-track", figures=False)
    mx = res.matrices["cue-as-track"]
    assert [p.engageable for p in rep.pairs] == mx.engageable.ravel().tolist()
    for p in rep.pairs:
        if p.engageable:
            assert p.margin_s >= 0
        elif p.margin_s is not None:
            assert p.margin_s < 0
    assert d["fraction_engageable"]["redzikowo"] == pytest.approx(
        mx.engageable[:, mx.battery_names.index("redzikowo")].mean())


def test_sensor_variants_of_a_phase_share_one_latest_launch_search(monkeypatch):
    """The latest launch reads neither track times nor sensors: ``scenario`` and ``cue-as-track``
    (same guidance window) search it once, and each matrix equals the one computed alone."""
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    kw = dict(variants=("scenario", "cue-as-track"), phases=(), ship_interceptor=None, min_speed=False,
              areas=["kozelsk"], aim_names=["boston", "seattle"])
    searched = []
    real = det.latest_launch
    monkeypatch.setattr(det, "latest_launch", lambda *a, **k: searched.append(a) or real(*a, **k))
    res = study.deterrent_study(arch, **kw)
    assert len(searched) == 1
    traj = res.trajectories
    for v in kw["variants"]:
        tr = study.variant_tracks(arch, traj, v)
        alone = det.deterrent_matrix(traj, arch.batteries, tr.track_time, res.base, res.threat, res.aim_point,
                                     min_speed=False, intercept_window=tr.intercept_window)
        mx = res.matrices[v]
        np.testing.assert_array_equal(mx.latest_launch, alone.latest_launch)
        np.testing.assert_array_equal(mx.margin_s, alone.margin_s)
    assert np.isfinite(res.matrices["scenario"].latest_launch).any()


def _kernel_inputs(traj, arch, track=None):
    """The deterrent kernels' arrays for ``traj`` against the scenario's batteries: (pos, alt, t, sites,
    params, gm, omega, ellipsoid, window (N, B, 2), launch earliest (N, B) or None)."""
    from shieldsim.engagement import guidance_window

    pos, alt, t, sites, params, gm, omega, ell = det._arrays(traj, arch.batteries)
    win = guidance_window(study.battery_tracks(arch, traj).intercept_window, len(traj), len(arch.batteries))
    l0 = None if track is None else np.ascontiguousarray(det._track(track, len(traj), len(arch.batteries))
                                                         + params[None, :, 6])
    return pos, alt, t, sites, params, gm, omega, ell, win, l0


def _in_order(args: tuple, usable, m: int, stride: int) -> tuple[float, int]:
    """(lowest cost, its sample or -1) as the searches ran before their bounds: `det._cost(*args, k,
    res)` at every usable sample of the coarse pass in order, then at every usable sample within
    ``stride`` of its best (all samples when none), keeping each strict improvement."""
    res = np.empty(2)

    def cost(k):
        return det._cost(*args, k, res)

    best, kbest = math.inf, -1
    for k in range(0, m, stride):
        if usable[k] and cost(k) < best:
            best, kbest = cost(k), k
    lo, hi = (0, m) if kbest < 0 else (max(0, kbest - stride), min(m, kbest + stride + 1))
    for k in range(lo, hi):
        if usable[k] and cost(k) < best:
            best, kbest = cost(k), k
    return best, kbest


def test_usable_samples_are_exactly_those_in_the_window_and_the_limits(setup):
    from shieldsim.interceptor import within_limits

    arch, traj, track, _ = setup
    pos, alt, t, sites, params, gm, omega, ell, win, _ = _kernel_inputs(traj, arch)
    usable = det._usable(pos, alt, t, sites, params, ell, win)
    for i in range(pos.shape[0]):
        for j in range(sites.shape[0]):
            expected = [win[i, j, 0] <= t[k] <= win[i, j, 1] and np.isfinite(pos[i, k, 0])
                        and within_limits(sites[j], pos[i, k], alt[i, k], params[j], ell) for k in range(t.size)]
            np.testing.assert_array_equal(usable[i, j], expected)
    assert usable.any() and not usable.all()


def test_sample_searches_equal_every_sample_evaluated_in_order(shaped):
    """The bounded best-first searches give, bit for bit, the best value and the first sample
    reaching it that evaluating every sample in order gives (every flight shape)."""
    arch, traj, track, shape = shaped
    pos, alt, t, sites, params, gm, omega, ell, win, l0 = _kernel_inputs(traj, arch, track)
    usable = det._usable(pos, alt, t, sites, params, ell, win)
    n, nb, m = usable.shape
    latest = np.empty((n, nb))
    det._latest_kernel(pos, t, sites, params, gm, omega, ell, 5, usable, latest)
    speed = np.ascontiguousarray(np.where(np.isnan(l0), np.nan, params[None, :, 1] * 1.1))
    vmin, vtime = np.empty((n, nb)), np.empty((n, nb))
    det._min_speed_kernel(pos, t, sites, params, speed, gm, omega, ell, l0, 5, usable, vmin, vtime)
    found = 0
    for i in range(n):
        for j in range(nb):
            best, _ = _in_order((det._LATEST, pos[i], t, sites[j], params[j], gm, omega, ell, 0.0), usable[i, j], m, 5)
            np.testing.assert_array_equal(latest[i, j], -best if best < math.inf else np.nan)
            if np.isnan(speed[i, j]):
                continue
            par = params[j].copy()
            par[1] = speed[i, j]
            best, k = _in_order((det._SPEED, pos[i], t, sites[j], par, gm, omega, ell, l0[i, j]), usable[i, j], m, 5)
            np.testing.assert_array_equal([vmin[i, j], vtime[i, j]],
                                          [best, t[k]] if best < math.inf else [np.nan, np.nan])
            found += best < math.inf
    assert found >= 3 and np.isfinite(latest).sum() >= 3


@pytest.mark.parametrize("rotating", [True, False])
def test_search_bounds_hold_at_every_usable_sample(setup, rotating):
    """`_floor` (the speed floor and the latest-launch ceiling, margins included) is below the
    cost at every usable sample, with the Earth's rotation and without."""
    from shieldsim.interceptor import max_coast_speed

    arch, traj, track, _ = setup
    pos, alt, t, sites, params, gm, omega, ell, win, l0 = _kernel_inputs(traj, arch, track)
    omega = omega if rotating else 0.0
    usable = det._usable(pos, alt, t, sites, params, ell, win)
    res, b = np.empty(2), np.empty(3)
    checked = 0
    for i, j, k in zip(*np.nonzero(usable)):
        vmax = max_coast_speed(params[j], float(np.linalg.norm(sites[j])), gm, omega)
        for mode, start in ((det._LATEST, 0.0), (det._SPEED, l0[i, j])):
            if np.isnan(start):
                continue
            cost = det._cost(mode, pos[i], t, sites[j], params[j], gm, omega, ell, start, k, res)
            floor = det._floor(mode, pos[i], t, sites[j], params[j], gm, omega, vmax, start, k, b)
            if np.isfinite(cost):  # an infinite or NaN cost is never a best: any floor will do
                assert floor < cost, f"flight {i} battery {j} sample {k} mode {mode}: {floor} >= {cost}"
                checked += 1
    assert checked > 100


def test_deterrent_flights_kept_on_disk_read_back_bit_for_bit_and_keyed_by_their_inputs(own_store, monkeypatch):
    """Every assessment flies the same deterrent flights: the second call reads them from the disk
    store, equal to the computed ones array by array (bytes, dtypes, NaN padding), labels and
    reasons left out included; other inputs (a shape, an aim point) are another entry."""
    import importlib

    ds = importlib.import_module("shieldsim.study.deterrent_study")  # the module, not the function of that name
    calls = []
    inner = ds._deterrent_flights
    monkeypatch.setattr(ds, "_deterrent_flights", lambda *a: calls.append(a[1:]) or inner(*a))
    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    kw = dict(areas=["vypolzovo", "kozelsk"], aim_names=["washington", "seattle", "no-such-aim"],
              kind="depressed", apogee_fraction=0.5)
    first = study.deterrent_flights(arch, **kw)
    again = study.deterrent_flights(arch, **kw)
    assert len(calls) == 1 and list(own_store.rglob("deterrent-flights-*.npz"))
    (t1, *labels1), (t2, *labels2) = first, again
    assert set(vars(t1)) == set(vars(t2)) and t2.models == t1.models
    for name, value in vars(t1).items():
        got = getattr(t2, name)
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and got.shape == value.shape, name
            assert got.tobytes() == value.tobytes() if value.dtype != object else list(got) == list(value), name
        else:
            assert got == value, name
    for a, b in zip(labels1[:3], labels2[:3]):
        assert a.dtype == b.dtype == object and list(a) == list(b)
    assert labels2[3] == labels1[3] and all(type(x) is str for row in labels2[3] for x in row)
    study.deterrent_flights(arch, **dict(kw, kind="lofted", apogee_fraction=1.5))
    study.deterrent_flights(arch, **dict(kw, aim_names=["washington"]))
    assert len(calls) == 3
    monkeypatch.setenv("SHIELDSIM_STORE", "0")
    study.deterrent_flights(arch, **kw)
    assert len(calls) == 4  # the store switched off: computed
