"""Benchmark: batch `engagement.engage` for many threats against 5 batteries.

Threats are ballistic arcs (two-body, rotating WGS84 Earth) from burnout points in the
Iran area towards Europe, sampled every 2 s; five batteries roughly where the EPAA placed
them. Prints ``name=<number>`` lines. Baselines measured in the same run: the Lambert-free
part of the work (the altitude conversion engage does first), and the throughput of the
batch Lambert solver alone, so ``lambert_equivalents_per_candidate`` says how many Lambert
solves each candidate intercept sample costs on average after the cheap filters; and the exact
path (``method="exact"``, every candidate sample solved) against the default fast path (arrival
tables): ``engage_first_s`` includes building the five batteries' tables, ``engage_s`` reuses
them, ``ratio_exact_to_fast`` and ``fields_agree`` compare the two.

With ``--explore [GRID_DEG]`` it measures instead what `shieldsim explore` pays after the
interceptor speed control changes (issue 18): the epaa-2018 flights of every threat area at a
1-degree grid (8,724 flights x 4 batteries) are flown and tracked once, then engaged by the
batteries at 80 % speed, ``explore_*`` lines: pairs/s and CPU seconds (every thread of this
process: independent of the machine's load) with the four arrival tables built inside the
timing (``tables_built``) and already cached (``tables_cached``); the same engagement with the
tables as they were before cells ringed by unreachable nodes said "beyond reach" (``before``:
those cells unknown, solved exactly), the ratio of the two and whether every field agrees; the
table build alone; and whether a launch-delay change reuses the tables. ``unpruned`` lines: the
four tables built again searching every node (``prune=False``: no height skipped as beyond the
energy reach, `arrival_table.beyond_energy_reach`), in the same run, and whether both builds give
identical tables.

With ``--coverage [GRID_DEG] [REPEAT]`` it measures the engagement stage of the default coverage
(epaa-2018, all three threat areas, 0.5-degree grid by default: every flight batch of
`study.footprint_batches`, flown with `study.fly` and tracked with `study.battery_tracks` as
`study.run_batch` does), engaging each batch with the fast path as it is (``prune=True``: the
candidate samples found by `candidates._scan_candidates`) and with the fast path's every-sample
reference (``prune=False``), back to back in the same run, ``REPEAT`` times (default 3).
``coverage_*`` lines: pairs, CPU seconds of each (best of the repeats; every thread of the
process, so independent of the machine's load as far as that goes), their ratio, and whether
every field of every batch's `Engagement` is identical.

Run: PYTHONPATH=src python benchmarks/bench_engage.py [N | --explore [GRID_DEG] | --coverage [GRID_DEG [REPEAT]]]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np


def threats(n: int, seed: int = 1, step: float = 2.0):
    from shieldsim.trajectory import Models, Trajectory, fly

    rng = np.random.default_rng(seed)
    models = Models()
    lat = np.radians(rng.uniform(30.0, 36.0, n))
    lon = np.radians(rng.uniform(48.0, 56.0, n))
    heading = np.radians(rng.uniform(280.0, 330.0, n))
    speed = rng.uniform(3000.0, 5000.0, n)
    gamma = np.radians(rng.uniform(25.0, 45.0, n))
    f = fly(lat, lon, 100e3, speed, gamma, heading, models, sample_step=step, max_time=1800.0)
    impact_lat, impact_lon = f.impact_lat, f.impact_lon
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=np.zeros(n),
                      burnout_time=np.zeros(n), impact_time=f.flight_time, apogee_time=f.apogee_time,
                      launch_lat=lat, launch_lon=lon, impact_lat=impact_lat, impact_lon=impact_lon,
                      apogee_alt=f.apogee_alt, ground_range=f.ground_range, rcs=np.full(n, 0.1),
                      beta=np.full(n, 5000.0), models=models), rng


def batteries():
    from shieldsim.interceptor import Battery, catalogue

    cat = catalogue()
    return [
        Battery("Deveselu", math.radians(44.08), math.radians(24.35), cat["sm3-ib"], 24),
        Battery("Redzikowo", math.radians(54.48), math.radians(17.10), cat["sm3-iia"], 24),
        Battery("East Med ship", math.radians(34.0), math.radians(27.0), cat["sm3-ia"], 8, "shoot-look-shoot"),
        Battery("Black Sea ship", math.radians(43.0), math.radians(33.0), cat["sm3-iia"], 8, "salvo"),
        Battery("THAAD Turkey", math.radians(38.5), math.radians(35.5), cat["thaad"], 48),
    ]


def main(n: int = 10_000) -> None:
    from shieldsim.earth import to_geodetic
    from shieldsim.engagement import engage

    traj, rng = threats(n)
    bats = batteries()
    track = rng.uniform(60.0, 200.0, n)
    small = traj.subset(slice(0, 50))
    engage(small, bats, track[:50])  # compile
    t0 = time.perf_counter()
    flat = traj.position.reshape(-1, 3)
    ok = np.isfinite(flat[:, 0])
    to_geodetic(flat[ok], traj.models.earth)
    base = time.perf_counter() - t0
    from shieldsim.kepler import lambert

    m = 200_000
    r1 = traj.position[:, 40, :].repeat(m // n + 1, axis=0)[:m]
    r2 = traj.position[:, 120, :].repeat(m // n + 1, axis=0)[:m]
    ok_l = np.isfinite(r1[:, 0]) & np.isfinite(r2[:, 0])
    r1, r2 = r1[ok_l], r2[ok_l]
    lambert(r1[:10], r2[:10], 300.0)
    t0 = time.perf_counter()
    lambert(r1, r2, 300.0)
    lam_rate = r1.shape[0] / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    engage(traj, bats, track)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    e = engage(traj, bats, track)
    dt = time.perf_counter() - t0
    t0 = time.perf_counter()
    x = engage(traj, bats, track, method="exact")
    dt_exact = time.perf_counter() - t0
    agree = all(np.array_equal(getattr(e, k), getattr(x, k), equal_nan=True)
                for k in ("engageable", "shots", "intercept_first", "intercept_last", "first_alt"))
    agree &= bool(np.allclose(e.launch_latest, x.launch_latest, atol=0.01, equal_nan=True))
    samples = int(np.isfinite(traj.position[:, :, 0]).sum())
    print(f"threats={n}")
    print(f"batteries={len(bats)}")
    print(f"samples_per_threat={samples / n:.1f}")
    print(f"engage_s={dt:.3f}")
    print(f"engage_pairs_per_s={n * len(bats) / dt:.0f}")
    print(f"engage_candidates_per_s={samples * len(bats) / dt:.0f}")
    print(f"baseline_altitude_conversion_s={base:.3f}")
    print(f"ratio_engage_to_baseline={dt / base:.1f}")
    print(f"baseline_lambert_solves_per_s={lam_rate:.0f}")
    print(f"lambert_equivalents_per_candidate={lam_rate / (samples * len(bats) / dt):.2f}")
    print(f"engageable_fraction={e.engageable.mean():.3f}")
    print(f"engage_first_s={first:.3f}")
    print(f"engage_exact_s={dt_exact:.3f}")
    print(f"ratio_exact_to_fast={dt_exact / dt:.2f}")
    print(f"fields_agree={agree}")


def _clock(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def explore_speed_change(grid_deg: float = 1.0) -> None:
    """The explorer's engagement work after an interceptor speed change (see the module docstring)."""
    from dataclasses import replace

    from shieldsim import arrival_table as at
    from shieldsim import study
    from shieldsim.earth import to_ecef
    from shieldsim.engagement import engage
    from shieldsim.explore import controls as ctl
    from shieldsim.explore.engine import fly_batch
    from shieldsim.interceptor import ellipsoid_of

    def built(**kw):
        return ctl.build(ctl.parse({"grid_deg": grid_deg, **kw}), ctl.Uploads())

    base = built()
    arch = study.Architecture.from_scenario(base.full)
    ka = float(base.full.engagement.kill_assessment_s)
    work = []  # (flights, tracks) of every batch of every area, as the explorer caches them
    for area in base.areas:
        for batch in study.footprint_batches(arch, area, grid_deg)[2]:
            traj = fly_batch(arch, batch)
            if traj is not False and len(traj):
                work.append((traj, study.battery_tracks(arch, traj)))
    n_pairs = sum(len(tr) for tr, _ in work) * len(arch.batteries)

    def engage_all(batteries):
        return [engage(tr, batteries, tk.track_time, kill_assessment=ka, intercept_window=tk.intercept_window)
                for tr, tk in work]

    engage_all(arch.batteries)  # compile; full-speed tables
    slow = study.Architecture.from_scenario(built(speed_percent=80).full).batteries
    earth = work[0][0].models.earth
    omega = earth.rotation_rate if work[0][0].models.rotation else 0.0
    ell = ellipsoid_of(earth)
    keys = [(to_ecef(b.lat, b.lon, 0.0, earth).reshape(3), b.interceptor.params()) for b in slow]
    for site, params in keys:
        at._TABLES.pop(at._key(site, params, earth.gm, omega, ell), None)
    new, w_in, c_in = _clock(lambda: engage_all(slow))
    tabs, w_tab, c_tab = _clock(lambda: [at.build(site, params, earth.gm, omega, ell) for site, params in keys])
    full, w_full, c_full = _clock(lambda: [at.build(site, params, earth.gm, omega, ell, prune=False)
                                           for site, params in keys])
    same_tables = all(np.array_equal(a.tau, b.tau, equal_nan=True) and np.array_equal(a.margin, b.margin)
                      for a, b in zip(tabs, full))
    _, w_new, c_new = _clock(lambda: engage_all(slow))
    for site, params in keys:  # the tables as before: cells beyond reach unknown (solved exactly)
        k = at._key(site, params, earth.gm, omega, ell)
        t = at.table_for(site, params, earth.gm, omega, ell)  # built, if only promised (no flight reads it)
        at._TABLES[k] = replace(t, margin=np.where(t.margin == at.UNREACHABLE, np.inf, t.margin))
    old, w_old, c_old = _clock(lambda: engage_all(slow))
    fields = ("engageable", "shots", "intercept_first", "intercept_last", "first_alt", "kill_probability")
    agree = all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for a, b in zip(new, old) for f in fields)
    agree &= all(np.allclose(a.launch_latest, b.launch_latest, atol=0.01, equal_nan=True) for a, b in zip(new, old))
    delayed = study.Architecture.from_scenario(built(speed_percent=80, launch_delay_s=60).full).batteries
    reused = all(at.is_cached(to_ecef(b.lat, b.lon, 0.0, earth).reshape(3), b.interceptor.params(), earth.gm, omega,
                              ell) for b in delayed)
    print(f"explore_grid_deg={grid_deg}")
    print(f"explore_pairs={n_pairs}")
    print(f"explore_tables_built_wall_s={w_in:.2f}")
    print(f"explore_tables_built_cpu_s={c_in:.2f}")
    print(f"explore_tables_built_pairs_per_cpu_s={n_pairs / c_in:.0f}")
    print(f"explore_tables_cached_wall_s={w_new:.2f}")
    print(f"explore_tables_cached_cpu_s={c_new:.2f}")
    print(f"explore_tables_cached_pairs_per_s={n_pairs / w_new:.0f}")
    print(f"explore_tables_cached_pairs_per_cpu_s={n_pairs / c_new:.0f}")
    print(f"explore_before_tables_cached_wall_s={w_old:.2f}")
    print(f"explore_before_tables_cached_cpu_s={c_old:.2f}")
    print(f"explore_ratio_before_to_now_cpu={c_old / c_new:.2f}")
    print(f"explore_fields_agree_with_before={agree}")
    print(f"explore_four_tables_build_wall_s={w_tab:.2f}")
    print(f"explore_four_tables_build_cpu_s={c_tab:.2f}")
    print(f"explore_delay_change_reuses_tables={reused}")
    print(f"explore_four_tables_unpruned_build_wall_s={w_full:.2f}")
    print(f"explore_four_tables_unpruned_build_cpu_s={c_full:.2f}")
    print(f"explore_ratio_unpruned_to_pruned_build_cpu={c_full / c_tab:.2f}")
    print(f"explore_pruned_tables_equal_unpruned={same_tables}")


def _same_engagement(a, b) -> bool:
    from dataclasses import fields

    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name), equal_nan=True) for f in fields(a)
               if isinstance(getattr(a, f.name), np.ndarray))


def coverage_engagement(grid_deg: float = 0.5, repeat: int = 3) -> None:
    """The default coverage's engagement stage, pruned scan against the every-sample reference."""
    from shieldsim import scenario, study
    from shieldsim.engagement import engage
    from shieldsim.trajectory import AimError

    arch = study.Architecture.from_scenario(scenario.load("epaa-2018"))
    ka = float(arch.scenario.engagement.kill_assessment_s)
    work, t_fly = [], time.process_time()
    for area in arch.scenario.launch_areas:
        for batch in study.footprint_batches(arch, area, grid_deg)[2]:
            try:
                traj = study.fly(arch, batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon,
                                 unreachable="skip")
            except AimError:  # the class cannot fly this batch
                continue
            if len(traj):
                work.append((traj, study.battery_tracks(arch, traj)))
    t_fly = time.process_time() - t_fly
    n_pairs = sum(len(tr) for tr, _ in work) * len(arch.batteries)

    def engage_all(prune):
        return [engage(tr, arch.batteries, tk.track_time, kill_assessment=ka, intercept_window=tk.intercept_window,
                       prune=prune) for tr, tk in work]

    engage_all(True)  # compile, build the arrival tables
    engage_all(False)
    cpu = {True: [], False: []}
    same = True
    for _ in range(repeat):
        ref, _w, c_ref = _clock(lambda: engage_all(False))
        new, _w, c_new = _clock(lambda: engage_all(True))
        cpu[False].append(c_ref)
        cpu[True].append(c_new)
        same &= all(_same_engagement(a, b) for a, b in zip(new, ref))
    print(f"coverage_grid_deg={grid_deg}")
    print(f"coverage_batches={len(work)}")
    print(f"coverage_pairs={n_pairs}")
    print(f"coverage_fly_and_track_cpu_s={t_fly:.1f}")
    print(f"coverage_engage_cpu_s={min(cpu[True]):.3f} runs={','.join(f'{c:.3f}' for c in cpu[True])}")
    print(f"coverage_engage_reference_cpu_s={min(cpu[False]):.3f} runs={','.join(f'{c:.3f}' for c in cpu[False])}")
    print(f"coverage_ratio_reference_to_new_cpu={min(cpu[False]) / min(cpu[True]):.2f}")
    print(f"coverage_fields_identical={same}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--coverage":
        coverage_engagement(float(sys.argv[2]) if len(sys.argv) > 2 else 0.5, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    elif len(sys.argv) > 1 and sys.argv[1] == "--explore":
        explore_speed_change(float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
