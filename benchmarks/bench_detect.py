"""Batch `sensors.detect` throughput: N threat flights against S sensors, measured in one run
against a vectorised NumPy evaluation of the same per-sample coverage test, and against
`detect(..., skip=False)` (every sample tested, no sample skipped: the reference the skipping
sweep must equal).

    python benchmarks/bench_detect.py [--n 10000] [--sensors 10] [--step 2] [--subsample 500]
                                      [--refraction atmosphere|4/3-earth|none]
    python benchmarks/bench_detect.py --coverage [--scenario epaa-2018] [--grid-deg 0.5]

``--coverage``: the detection stage of the default coverage (`study.coverage`, all launch areas):
every `detect` call the coverage makes is timed (CPU seconds of the process, all threads) with
the skip and again with every sample tested, on the same flights in the same run; prints both
sums, their ratio and whether every `Timeline` field was identical.

Flights: random medium/intermediate-range arcs from the Middle East towards Europe (WGS84,
rotating Earth, vacuum), sampled every ``--step`` seconds. Sensors: ``--sensors - 1`` radars
(fixed faces and full-circle, spread over Europe and the eastern Mediterranean) and one
space-based launch detector, in a network with 5 s latency (so cueing rounds run too).

Prints `detect_s`, `threat_sensor_pairs_per_s`, `samples_per_s` (threat x sensor x sample
evaluations per second, boundary refinement and timelines included), `detect_every_sample_s`
and `ratio_skip_vs_every_sample` (best of three each, same run), and
`speedup_vs_numpy`: time per threat x sensor of a NumPy evaluation of the coverage mask alone
(4/3-Earth elevation test; no intervals, no refinement, no tracks) divided by that of `detect`
with the radars' ``--refraction`` model (default "atmosphere", the sensors default).
"""

import argparse
import inspect
import time
from dataclasses import fields

import numpy as np

from shieldsim import sensors as S
from shieldsim.earth import WGS84, enu_basis, to_ecef
from shieldsim.trajectory import Models, Trajectory, burnout_state, fly_states


def make_flights(n: int, step: float, rng) -> Trajectory:
    models = Models(WGS84, rotation=True, drag=False)
    lat = np.radians(rng.uniform(30, 38, n))
    lon = np.radians(rng.uniform(44, 56, n))
    r0, v0 = burnout_state(lat, lon, rng.uniform(80e3, 200e3, n), rng.uniform(2500, 4500, n),
                           np.radians(rng.uniform(25, 50, n)), np.radians(rng.uniform(270, 340, n)), WGS84)
    f = fly_states(r0, v0, models, sample_step=step, max_time=1300.0)
    z = np.zeros(n)
    return Trajectory(time=f.sample_time, position=f.position, velocity=f.velocity, launch_time=z,
                      burnout_time=z, impact_time=f.flight_time, apogee_time=f.apogee_time, launch_lat=lat,
                      launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon, apogee_alt=f.apogee_alt,
                      ground_range=f.ground_range, rcs=rng.uniform(0.05, 1.0, n), beta=np.full(n, np.inf),
                      models=models)


def make_sensors(count: int, rng, refraction: str = "atmosphere") -> list:
    out = []
    for j in range(count - 1):
        fixed = j % 2 == 0
        out.append(S.Radar(f"radar{j}", np.radians(rng.uniform(35, 55)), np.radians(rng.uniform(10, 45)),
                           20.0, "fixed" if fixed else "full", np.radians(rng.uniform(80, 140)),
                           np.radians(60.0), 0.0, np.radians(85.0), 3000e3, rng.uniform(800e3, 2500e3), 1.0,
                           rng.uniform(2, 10), int(rng.integers(2, 5)), bool(j % 3 != 2), refraction=refraction))
    out.append(S.LaunchDetector("ir", 15e3, 30.0))
    return out


def numpy_mask(traj: Trajectory, radars: list) -> int:
    """Vectorised NumPy coverage mask (4/3-Earth elevation, field, ranges) on every sample."""
    earth = traj.models.earth
    p = traj.position
    pn = np.linalg.norm(p, axis=-1)
    s2 = (p[..., 2] / pn) ** 2
    a, b = earth.equatorial_radius, earth.polar_radius
    h = pn - a * b / np.sqrt(b * b * (1 - s2) + a * a * s2)
    count = 0
    for r in radars:
        site = to_ecef(r.lat, r.lon, r.antenna_height, earth)
        e, nn, u = enu_basis(r.lat, r.lon)
        dx = p - site
        rng = np.linalg.norm(dx, axis=-1)
        az = np.arctan2(dx @ e, dx @ nn)
        centre = to_ecef(r.lat, r.lon, 0.0, earth) - a * u
        q = p - centre
        theta = np.arccos(np.clip((q @ u) / np.linalg.norm(q, axis=-1), -1, 1)) / r.refraction_k
        ke = r.refraction_k * a
        el = np.arctan2((ke + h) * np.cos(theta) - ke - r.antenna_height, (ke + h) * np.sin(theta))
        ok = (el >= r.min_elevation) & (el <= r.max_elevation) & (rng <= r.max_range)
        if r.field == "fixed":
            ok &= np.abs((az - r.boresight + np.pi) % (2 * np.pi) - np.pi) <= r.half_width
        ok &= rng <= r.detection_range(traj.rcs)[:, None]
        count += int(ok.sum())
    return count


def same_timeline(a, b) -> bool:
    """Whether two `Timeline`s agree in every field (NaN equal to NaN)."""
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if not (np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def coverage_stage(scenario: str, grid_deg: float | None) -> None:
    """CPU seconds of the coverage's detect calls, with the skip and with every sample tested."""
    from shieldsim import scenario as scen
    from shieldsim import study

    arch = study.Architecture.from_scenario(scen.load(scenario))
    areas = list(arch.scenario.launch_areas)
    study.coverage(arch, areas, grid_deg=5.0)  # compile / load every kernel, fill the reach tables
    original = S.detect
    totals = {"skip": 0.0, "every": 0.0}
    state = {"calls": 0, "identical": True, "pairs": 0}

    has_skip = "skip" in inspect.signature(original).parameters  # False: code before the skip

    def timed(traj, net, *args, **kwargs):
        out = {}
        order = ("skip", "every") if state["calls"] % 2 == 0 else ("every", "skip")
        for mode in order if has_skip else ("skip",):  # alternate which goes first
            t0 = time.process_time()
            extra = {"skip": mode == "skip"} if has_skip else {}
            out[mode] = original(traj, net, *args, **extra, **kwargs)
            totals[mode] += time.process_time() - t0
        out.setdefault("every", out["skip"])
        state["calls"] += 1
        state["pairs"] += len(traj) * len(net.sensors)
        state["identical"] &= same_timeline(out["skip"], out["every"])
        return out["skip"]

    S.detect = timed
    try:
        study.coverage(arch, areas, grid_deg=grid_deg)
    finally:
        S.detect = original
    print(f"scenario={scenario} grid_deg={grid_deg} detect_calls={state['calls']} threat_sensor_pairs={state['pairs']}")
    print(f"coverage_detect_cpu_s={totals['skip']:.3f}")
    if has_skip:
        print(f"coverage_detect_every_sample_cpu_s={totals['every']:.3f}")
        print(f"ratio_skip_vs_every_sample={totals['skip'] / totals['every']:.3f}")
        print(f"timelines_identical={state['identical']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--sensors", type=int, default=10)
    ap.add_argument("--step", type=float, default=2.0)
    ap.add_argument("--subsample", type=int, default=500)
    ap.add_argument("--refraction", default="atmosphere", choices=S.REFRACTION_MODELS)
    ap.add_argument("--coverage", action="store_true", help="time the default coverage's detection stage")
    ap.add_argument("--scenario", default="epaa-2018")
    ap.add_argument("--grid-deg", type=float, default=None)
    args = ap.parse_args()
    if args.coverage:
        coverage_stage(args.scenario, args.grid_deg)
        return
    rng = np.random.default_rng(0)
    traj = make_flights(args.n, args.step, rng)
    sensors = make_sensors(args.sensors, rng, args.refraction)
    net = S.Network("bench", sensors, 5.0)
    S.detect(traj.subset(slice(0, 10)), net)  # compile / load cache
    best = every = np.inf
    for _ in range(3):  # best of three: the machine may be shared
        t0 = time.perf_counter()
        tl = S.detect(traj, net)
        best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = S.detect(traj, net, skip=False)
        every = min(every, time.perf_counter() - t0)
    pairs = args.n * args.sensors
    finite = np.isfinite(traj.position[..., 0]).sum()
    samples = finite * args.sensors
    radars = [s for s in sensors if isinstance(s, S.Radar)]
    sub = traj.subset(slice(0, args.subsample))
    t0 = time.perf_counter()
    numpy_mask(sub, radars)
    per_pair_numpy = (time.perf_counter() - t0) / (args.subsample * len(radars))
    print(f"n={args.n} sensors={args.sensors} samples_per_flight={traj.time.size} step_s={args.step} "
          f"earth=wgs84 rotation=on refraction={args.refraction}")
    print(f"tracked_fraction={np.isfinite(tl.track_time).mean():.3f} cued_fraction={np.isfinite(tl.cue_time).mean():.3f}")
    print(f"detect_s={best:.3f}")
    print(f"detect_every_sample_s={every:.3f}")
    print(f"ratio_skip_vs_every_sample={best / every:.3f} timelines_identical={same_timeline(tl, ref)}")
    print(f"threat_sensor_pairs_per_s={pairs / best:.0f}")
    print(f"samples_per_s={samples / best:.3e}")
    print(f"numpy_mask_per_pair_s={per_pair_numpy:.2e}")
    print(f"speedup_vs_numpy={per_pair_numpy / (best / pairs):.1f}")


if __name__ == "__main__":
    main()
