"""`boost_kernel`: the boost batch integrated in blocks of lanes gives `boost_one`'s results bit for bit,
however the blocks are shared out over threads, and `batch_kernel` uses it once it is compiled or cached."""

import subprocess
import sys

import numpy as np
import pytest

from shieldsim import boost_kernel as K
from shieldsim import missile as M
from shieldsim.atmosphere import density_table
from shieldsim.earth import WGS84, enu_basis, to_ecef


def _inputs(missile, n, seed, sample_step=2.0, drag=False):
    """Launch axes, controls and packed parameters of n boosts of one class: random launch points,
    headings and kicks, cutoffs over the burn, ends on the sample grid after the cutoff or at it;
    every ninth boost from the sixth on nearly flat and ended three burn times after launch, so
    that it falls back to the ground."""
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(rng.uniform(-60, 70, n)), np.radians(rng.uniform(-180, 180, n))
    heading, kick = rng.uniform(0, 2 * np.pi, n), np.radians(rng.uniform(0.5, 89.0, n))
    cutoff = rng.uniform(0.05, 1.0, n) * missile.burn_time
    cutoff[::7] = missile.burn_time  # full burns: the cutoff on the last stage's end
    j0 = np.ceil(cutoff / sample_step - 1e-9)
    t_end = np.where(rng.uniform(size=n) < 0.7, j0 * sample_step, cutoff)
    kick[5::9], t_end[5::9] = np.radians(89.0), 3.0 * missile.burn_time  # flat and long: they fall back
    east, north, up = enu_basis(lat, lon)
    r0 = np.ascontiguousarray(to_ecef(lat, lon, 0.0, WGS84))
    h0 = np.ascontiguousarray(np.sin(heading)[:, None] * east + np.cos(heading)[:, None] * north)
    params = M.boost_params(missile, WGS84, True, drag, sample_step)
    stages = np.stack([M._stage_ends(missile), M.boost_profile(missile), M._stage_taus(missile)])
    return r0, np.ascontiguousarray(up), h0, kick, cutoff, t_end, stages, params, density_table()[2]


def _one_by_one(args, n_samples):
    """`boost_one` for each boost: (res, positions, velocities), samples NaN where not written."""
    r0, n0, h0, kick, cutoff, t_end, stages, params, table = args
    n = r0.shape[0]
    res, pos, vel = np.full((n, 14), np.nan), np.full((n, n_samples, 3), np.nan), np.full((n, n_samples, 3), np.nan)
    for i in range(n):
        K.boost_one(r0[i], n0[i], h0[i], kick[i], cutoff[i], t_end[i], stages, params, table, pos[i], vel[i], res[i])
    return res, pos, vel


def _empty(n, n_samples):
    return np.full((n, 14), np.nan), np.full((n, n_samples, 3), np.nan), np.full((n, n_samples, 3), np.nan)


def _lanes(args, n_samples, threads):
    """`_boost_lanes` on the blocks `lane_blocks` makes for ``threads`` threads."""
    r0, n0, h0, kick, cutoff, t_end, stages, params, _ = args
    res, pos, vel = _empty(r0.shape[0], n_samples)
    K._boost_lanes(K.lane_blocks(r0.shape[0], threads), r0, n0, h0, kick, cutoff, t_end, stages, params, pos, vel, res)
    return res, pos, vel


def _fly(args, n_samples):
    res, pos, vel = _empty(args[0].shape[0], n_samples)
    K.fly_boosts(*args, pos, vel, res)
    return res, pos, vel


@pytest.mark.parametrize("name", ["irbm", "sejjil", "ss-27"])
def test_boosts_in_lanes_are_boost_one_bit_for_bit(name):
    """Blocks of lanes as one, two and three threads get them (full blocks, partial ones, blocks of
    `MIN_LANES`), sampled and not, with boosts that fall back to the ground."""
    missile = M.get(name)
    full = int(np.ceil(missile.burn_time / 2.0)) + 1
    for n, n_samples in ((2 * K.LANES + 2, full), (K.LANES + K.MIN_LANES, 0), (K.MIN_LANES, 40), (14, 40)):
        args = _inputs(missile, n, seed=n)
        want = _one_by_one(args, n_samples)
        assert (want[0][:, 13] == 0).any() or n <= 5  # some boosts fall back: the lanes that stop early
        for threads in (1, 2, 3):
            got = _lanes(args, n_samples, threads)
            for w, g in zip(want, got):
                assert np.array_equal(w, g, equal_nan=True)


def test_batches_the_lanes_cannot_fly_are_flown_one_by_one_with_the_same_results():
    """`fly_boosts`: a NaN cutoff, fewer boosts than `MIN_LANES`, drag: `boost_one`'s results."""
    missile = M.get("irbm")
    nan_cutoff = list(_inputs(missile, 20, seed=5))
    nan_cutoff[4] = nan_cutoff[4].copy()
    nan_cutoff[4][3] = np.nan
    for args in (nan_cutoff, _inputs(missile, K.MIN_LANES - 1, seed=2), _inputs(missile, 40, seed=3, drag=True)):
        for w, g in zip(_one_by_one(args, 60), _fly(args, 60)):
            assert np.array_equal(w, g, equal_nan=True)


@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_lane_blocks_cover_the_batch_in_blocks_each_thread_gets_one_of(threads):
    """Every row once, in order; blocks of `MIN_LANES` to `LANES` rows, sizes within one of each
    other; as many blocks as the threads (or a multiple) unless that would make blocks too small."""
    for n in range(K.MIN_LANES, 300):
        starts = K.lane_blocks(n, threads)
        sizes = np.diff(starts)
        assert starts[0] == 0 and starts[-1] == n and starts.dtype == np.int64
        assert sizes.min() >= K.MIN_LANES and sizes.max() <= K.LANES and sizes.max() - sizes.min() <= 1
        assert sizes.size % threads == 0 or sizes.size == n // K.MIN_LANES
        assert sizes.size >= -(-n // K.LANES)
    assert np.array_equal(K.lane_blocks(14, 2), [0, 7, 14]) and np.array_equal(K.lane_blocks(14, 1), [0, 14])


def test_the_schedule_has_one_row_per_step_of_each_segment():
    """Steps of about `BOOST_STEP` s that end on the vertical rise, pitch-over, stage ends, the
    cutoff and the end; the samples counted before each step's end."""
    missile = M.get("irbm")
    params = M.boost_params(missile, WGS84, True, False, 2.0)
    stages = np.stack([M._stage_ends(missile), M.boost_profile(missile), M._stage_taus(missile)])
    sched = np.zeros((K.Q_ROWS, 40, 1))
    cutoff = 0.6 * missile.burn_time
    t_end = np.ceil(cutoff / 2.0) * 2.0
    n = K._schedule(params.copy(), stages, cutoff, t_end, 100, sched, 0)
    q = sched[:, :n, 0]
    assert np.allclose(q[K.Q_T, 1:], q[K.Q_TN, :-1], rtol=0, atol=0)
    assert q[K.Q_TN, -1] == t_end and np.all(q[K.Q_H] <= M.BOOST_STEP + 1e-9)
    ends = q[K.Q_TN, q[K.Q_FLAG] >= 1]
    assert set(np.round(ends, 9)) >= {params[K.B_T_VERT], params[K.B_T_VERT] + params[K.B_T_PITCH], cutoff, t_end}
    assert q[K.Q_FLAG, np.flatnonzero(np.isclose(q[K.Q_TN], cutoff))[0]] == 3.0
    assert np.array_equal(q[K.Q_KE], np.minimum(np.ceil(q[K.Q_TN] / 2.0 - 1e-12), 100))


def test_batch_kernel_is_the_lanes_kernel_without_drag_once_compiled_or_in_the_cache():
    """Compiled in this process (the tests above): used without drag, never with drag; a fresh
    process with the same cache folder finds it there and loads it, without compiling."""
    missile = M.get("irbm")
    _lanes(_inputs(missile, 5, seed=1), 3, 1)
    assert K.batch_kernel(True) is K._boost_batch
    assert K.batch_kernel(False) is K.fly_boosts
    code = ("import numpy as np; from shieldsim import boost_kernel as K, missile as M; m = M.get('irbm'); "
            "M.run_boost(m, M.boost_profile(m), np.full(5, 0.5), 0.5, 1.0, 0.3, 30.0, M.WGS84, True, False); "
            "print(K.batch_kernel(False) is K.fly_boosts, sum(K._boost_lanes.stats.cache_hits.values()), "
            "sum(K._boost_lanes.stats.cache_misses.values()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "1", "0"]
