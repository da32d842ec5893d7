"""The edges of radar coverage where the sight answer flips between two samples, found by the
bisection (`sensors.kernels._refine`, 20 status tests on the Hermite step, the limiting rays'
table deciding where it can) and by the secant search on the sight margin
(`sensors.sweep._refine_sight`, the coverage sweep's path for these edges), timed on the same
edges in the same run.

    python benchmarks/bench_sight_edges.py [--n 3000] [--radars 6] [--step 2]

Flights: `bench_detect.make_flights` (Middle East towards Europe, WGS84, rotating Earth, vacuum).
Radars: full-circle "atmosphere" radars spread over Turkey, the Balkans and the eastern
Mediterranean, masks 0-1 degree, elevation ceilings 60-90 degrees, instrumented range large
enough that the sight answer alone decides coverage (the case the sweep hands to the secant
search). Prints the edge count, CPU seconds of each search over all edges (one Numba thread
is enough: both loops are serial; best of three), `ratio_secant_vs_bisection`, and
`secant_gave_up` (edges it hands back to the bisection) and `edges_differing` (times that are
not the same double; 0 expected: each edge's sight answer changes once between samples 2 s
apart).
"""

import argparse
import time

import numpy as np
from numba import njit

from bench_detect import make_flights
from shieldsim import sensors as S
from shieldsim.earth import WGS84
from shieldsim.sensors.geometry import _radar_tables
from shieldsim.sensors.kernels import _in_sight, _polar, _refine
from shieldsim.sensors.sweep import _refine_sight


@njit
def _edges(pos, params, rays, ea, eb, out):
    """(flight, radar, sample before the edge, was_in) of every sample pair whose sight answers
    differ, into ``out`` (E, 4); returns how many."""
    c = 0
    for i in range(pos.shape[0]):
        for j in range(params.shape[0]):
            prev = False
            for m in range(pos.shape[1]):
                if np.isnan(pos[i, m, 0]):
                    break
                theta, h = _polar(pos[i, m], params[j], ea, eb)
                now = _in_sight(theta, h, params[j], rays[j])
                if m > 0 and now != prev and c < out.shape[0]:
                    out[c, 0], out[c, 1], out[c, 2], out[c, 3] = i, j, m - 1, 1 if prev else 0
                    c += 1
                prev = now
    return c


@njit
def _bisect_all(time, pos, vel, params, rays, tables, ea, eb, edges, out):
    tmp = np.empty(3)
    known = np.array([1.0, 1.0, -1.0])  # range and field of regard proved on the step, as the sweep finds
    rdet = np.array([1e12, 1e12])
    for e in range(edges.shape[0]):
        i, j, m, w = edges[e]
        out[e] = _refine(pos[i, m], vel[i, m], pos[i, m + 1], vel[i, m + 1], time[m], time[m + 1] - time[m], 1, w == 1,
                         params[j], rays[j], rdet, 0.0, ea, eb, tmp, known, tables[j])


@njit
def _secant_all(time, pos, vel, params, rays, ea, eb, edges, out):
    tmp = np.empty(3)
    for e in range(edges.shape[0]):
        i, j, m, w = edges[e]
        out[e] = _refine_sight(pos[i, m], vel[i, m], pos[i, m + 1], vel[i, m + 1], time[m], time[m + 1] - time[m],
                               w == 1, params[j], rays[j], ea, eb, tmp)


def make_radars(count: int, rng) -> tuple:
    return tuple(S.Radar(f"r{j}", np.radians(rng.uniform(34, 46)), np.radians(rng.uniform(20, 40)),
                         rng.uniform(10, 1500), "full", 0.0, np.pi, np.radians(rng.uniform(0, 1)),
                         np.radians(rng.choice([90.0, rng.uniform(60, 85)])), 2e7, 1e7, 1.0, 5.0, 3, True)
                 for j in range(count))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--radars", type=int, default=6)
    ap.add_argument("--step", type=float, default=2.0)
    args = ap.parse_args()
    rng = np.random.default_rng(3)
    traj = make_flights(args.n, args.step, rng)
    params, rays, tables = _radar_tables(make_radars(args.radars, rng), WGS84)
    ea, eb = WGS84.equatorial_radius, WGS84.polar_radius
    time_ = np.ascontiguousarray(traj.time, dtype=float)
    pos = np.ascontiguousarray(traj.position, dtype=float)
    vel = np.ascontiguousarray(traj.velocity, dtype=float)
    edges = np.empty((args.n * args.radars * 4, 4), dtype=np.int64)
    edges = edges[:_edges(pos, params, rays, ea, eb, edges)]
    a, b = np.empty(len(edges)), np.empty(len(edges))
    _bisect_all(time_, pos, vel, params, rays, tables, ea, eb, edges[:1], a[:1])  # compile
    _secant_all(time_, pos, vel, params, rays, ea, eb, edges[:1], b[:1])
    cpu = {"bisection": [], "secant": []}
    for _ in range(3):
        t0 = time.process_time()
        _bisect_all(time_, pos, vel, params, rays, tables, ea, eb, edges, a)
        t1 = time.process_time()
        _secant_all(time_, pos, vel, params, rays, ea, eb, edges, b)
        t2 = time.process_time()
        cpu["bisection"].append(t1 - t0)
        cpu["secant"].append(t2 - t1)
    best_a, best_b = min(cpu["bisection"]), min(cpu["secant"])
    print(f"sight_edges={len(edges)}")
    print(f"bisection_cpu_s={best_a:.4f}")
    print(f"secant_cpu_s={best_b:.4f}")
    print(f"ratio_secant_vs_bisection={best_b / best_a:.3f}")
    fell_back = np.isnan(b)  # the sweep bisects these
    print(f"secant_gave_up={int(fell_back.sum())}")
    print(f"edges_differing={int(np.count_nonzero((a.view(np.int64) != b.view(np.int64)) & ~fell_back))}")


if __name__ == "__main__":
    main()
