"""Raid Monte Carlo: closed-form leak probabilities, inventory limits, the assignment rule,
seeding independent of chunking, the raid file schema and the ``shieldsim raid`` command."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from shieldsim.battle import (Doctrine, Raid, RaidSpec, TRIAL_BLOCK, engagement_from_spec, read_document, simulate,
                              simulate_document)


@dataclass
class Eng:
    """A synthetic engagement with the architecture's field names."""

    launch_earliest: np.ndarray
    launch_latest: np.ndarray
    intercept_first: np.ndarray
    intercept_last: np.ndarray
    engageable: np.ndarray
    sspk: np.ndarray
    inventory: np.ndarray


def one_threat(sspk=0.4, inventory=100, span=0.0, flight=100.0):
    """One threat, one battery: launch window [100, 100 + span] s, flight time ``flight``."""
    a = lambda v: np.array([[v]], dtype=float)  # noqa: E731
    return Eng(a(100.0), a(100.0 + span), a(100.0 + flight), a(100.0 + span + flight), np.ones((1, 1), bool),
               np.array([sspk]), np.array([inventory]))


def raid_of(n, launch_time=None, aims=None):
    lt = np.zeros(n) if launch_time is None else np.asarray(launch_time, float)
    return Raid("test", lt, ("A",) * n, tuple(aims or ["X"] * n), ("m",) * n)


def leak_rate_within_3_se(result, expected):
    leak = 1.0 - result.defeated.mean()
    se = math.sqrt(expected * (1 - expected) / result.trials)
    return abs(leak - expected) <= 3 * se, leak, se


@pytest.mark.parametrize("p,k", [(0.3, 1), (0.7, 2), (0.5, 3), (0.4, 4)])
def test_salvo_of_k_leaks_with_probability_one_minus_p_to_the_k(p, k):
    r = simulate(one_threat(p), raid_of(1), Doctrine("salvo", salvo_size=k), trials=20_000, seed=11)
    ok, leak, se = leak_rate_within_3_se(r, (1 - p) ** k)
    assert ok, (leak, (1 - p) ** k, se)
    assert (r.expended == k).all()


@pytest.mark.parametrize("p,k", [(0.6, 2), (0.35, 3), (0.2, 5)])
def test_shoot_look_shoot_with_k_looks_leaks_with_closed_form_probability(p, k):
    # flight 100 s + kill assessment 20 s: a look every 120 s; the window holds exactly k looks
    eng = one_threat(p, span=(k - 1) * 120.0 + 60.0)
    r = simulate(eng, raid_of(1), Doctrine("shoot-look-shoot", kill_assessment=20.0), trials=20_000, seed=5)
    ok, leak, se = leak_rate_within_3_se(r, (1 - p) ** k)
    assert ok, (leak, (1 - p) ** k, se)
    assert r.expended.max() == k
    # shots stop once the threat is killed: the mean number fired is the geometric sum
    expected_shots = sum((1 - p) ** j for j in range(k))
    assert abs(r.expended.mean() - expected_shots) < 4 * r.expended.std() / math.sqrt(r.trials)


def test_max_looks_caps_shoot_look_shoot():
    r = simulate(one_threat(0.1, span=1000.0), raid_of(1), Doctrine("shoot-look-shoot", max_looks=2), 2000, 1)
    assert r.expended.max() == 2


def test_one_shot_fires_once_per_threat():
    r = simulate(one_threat(0.5, span=1000.0), raid_of(1), Doctrine("one-shot"), 1000, 2)
    assert (r.expended == 1).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), inv=st.lists(st.integers(0, 6), min_size=1, max_size=3),
       sspk=st.floats(0.0, 1.0), kind=st.sampled_from(["one-shot", "salvo", "shoot-look-shoot"]),
       seed=st.integers(0, 2**32))
def test_raid_larger_than_inventory_always_leaks_at_least_the_excess(n, inv, sspk, kind, seed):
    b = len(inv)
    rng = np.random.default_rng(seed)
    le = rng.uniform(50, 200, (n, b))
    ll = le + rng.uniform(0, 400, (n, b))
    eng = Eng(le, ll, le + 150, ll + 120, rng.random((n, b)) < 0.8, np.full(b, sspk), np.array(inv))
    r = simulate(eng, raid_of(n, rng.uniform(0, 60, n)), Doctrine(kind), trials=300, seed=seed)
    assert (r.leakers.sum(axis=1) >= n - sum(inv)).all()
    assert (r.expended <= np.array(inv)).all()


def test_perfect_interceptors_with_enough_inventory_defeat_the_raid():
    n = 7
    eng = Eng(*(np.full((n, 2), v) for v in (100.0, 300.0, 400.0, 600.0)), np.ones((n, 2), bool),
              np.array([1.0, 1.0]), np.array([4, 3]))
    r = simulate(eng, raid_of(n), "one-shot", 500, 3)
    assert r.defeated.all() and (r.expended.sum(axis=1) == n).all()


def test_earliest_deadline_first_gets_the_last_interceptor():
    # both threats ready at t = 100 s; threat 1 must be shot by 150 s, threat 0 by 400 s
    eng = Eng(np.array([[100.0], [100.0]]), np.array([[400.0], [150.0]]), np.array([[300.0], [300.0]]),
              np.array([[600.0], [350.0]]), np.ones((2, 1), bool), np.array([1.0]), np.array([1]))
    r = simulate(eng, Raid("r", np.zeros(2), ("A", "A"), ("X", "Y"), ("m", "m")), "one-shot", 100, 0)
    assert list(r.aim_points) == ["X", "Y"]
    assert (r.leakers[:, 0] == 1).all() and (r.leakers[:, 1] == 0).all()


def test_a_threat_waits_for_a_window_that_opens_later_and_unengageable_threats_leak():
    eng = Eng(np.array([[np.nan, 500.0], [np.nan, np.nan]]), np.array([[np.nan, 600.0], [np.nan, np.nan]]),
              np.array([[np.nan, 700.0], [np.nan, np.nan]]), np.array([[np.nan, 800.0], [np.nan, np.nan]]),
              np.array([[False, True], [False, False]]), np.array([1.0, 1.0]), np.array([5, 5]))
    r = simulate(eng, Raid("r", np.zeros(2), ("A", "A"), ("X", "Y"), ("m", "m")), "one-shot", 50, 0)
    assert (r.expended[:, 1] == 1).all() and (r.leakers[:, 0] == 0).all() and (r.leakers[:, 1] == 1).all()


def test_later_launches_are_engaged_later_on_the_scenario_clock():
    # one interceptor, both threats with the same window after their own launch: the earlier
    # launched threat is engaged first even though it is listed second
    a = lambda v: np.full((2, 1), v)  # noqa: E731
    eng = Eng(a(100.0), a(200.0), a(300.0), a(400.0), np.ones((2, 1), bool), np.array([1.0]), np.array([1]))
    r = simulate(eng, Raid("r", np.array([50.0, 0.0]), ("A", "A"), ("X", "Y"), ("m", "m")), "one-shot", 10, 0)
    assert (r.leakers[:, 0] == 1).all() and (r.leakers[:, 1] == 0).all()


def mixed_problem(n=15, b=3, seed=0):
    rng = np.random.default_rng(seed)
    le = rng.uniform(50, 200, (n, b))
    ll = le + rng.uniform(100, 400, (n, b))
    eng = Eng(le, ll, le + 150, ll + 100, rng.random((n, b)) < 0.9, rng.uniform(0.4, 0.9, b),
              rng.integers(3, 9, b))
    return eng, raid_of(n, rng.uniform(0, 120, n), [f"aim{i % 3}" for i in range(n)])


@pytest.mark.parametrize("trials", [1, 127, 1000, 10_000, 32_768, 32_769, 100_000, 1_048_576, 1_048_577,
                                    2_097_152, 2_097_153, 10_000_000])
def test_default_chunks_are_few_equal_whole_blocks_of_at_most_a_unit(trials):
    import math

    from shieldsim.battle import CHUNK_TRIALS_UNIT, TRIAL_BLOCK, default_chunk_trials, trial_chunks

    size = default_chunk_trials(trials)
    chunks = trial_chunks(trials, size)
    assert size % TRIAL_BLOCK == 0 and size <= 65_536
    assert chunks[0][0] == 0 and chunks[-1][1] == trials
    units = math.ceil(trials / CHUNK_TRIALS_UNIT)
    if trials <= 32 * 65_536:  # one per unit begun, rounded up to a multiple of four, at most 32
        assert len(chunks) == (1 if units == 1 else min(32, 4 * math.ceil(units / 4)))
    else:
        assert size == 65_536
    if trials <= 32 * CHUNK_TRIALS_UNIT:  # never larger than the unit
        assert size < CHUNK_TRIALS_UNIT + TRIAL_BLOCK
    if trials <= 32 * 65_536:  # equal chunks: the last falls short of the others by under a block per chunk
        assert chunks[-1][1] - chunks[-1][0] > size - TRIAL_BLOCK * len(chunks)


def test_default_chunking_of_ten_thousand_and_of_a_hundred_thousand_trials():
    from shieldsim.battle import default_chunk_trials, trial_chunks

    assert trial_chunks(10_000, default_chunk_trials(10_000)) == [(0, 10_000)]
    assert trial_chunks(100_000, default_chunk_trials(100_000)) == [(0, 25_088), (25_088, 50_176),
                                                                    (50_176, 75_264), (75_264, 100_000)]
    assert len(trial_chunks(200_000, default_chunk_trials(200_000))) == 8  # seven units -> eight chunks


# --------------------------------------------------------------------------------------------
# Large raids: the assignment scales, chunks stay bounded, and only memory caps the size


def reference_trial(p, u):
    """One trial by the module docstring's rules, in plain Python, choosing each decision by
    scanning every threat (the all-pairs rule the compiled kernel replaces with a heap)."""
    n, nb = p.le.shape
    inv = p.inventory.copy()
    leakers, expended = np.zeros(p.n_aims, int), np.zeros(nb, int)
    first = np.where(p.engageable, p.le, np.inf).min(axis=1)
    next_t, done, used, looks = p.launch_time + first, np.zeros(n, bool), np.zeros(n, int), np.zeros(n, int)
    while not done.all():
        i = min((k for k in range(n) if not done[k]), key=lambda k: (next_t[k], p.deadline[k], k))
        s = next_t[i] - p.launch_time[i]
        best, best_int, opens = -1, np.inf, np.inf
        for b in range(nb):
            if not p.engageable[i, b] or inv[b] <= 0:
                continue
            if p.le[i, b] <= s + 1e-9 and s <= p.ll[i, b] + 1e-9:
                span = p.ll[i, b] - p.le[i, b]
                frac = min(max((s - p.le[i, b]) / span, 0.0), 1.0) if span > 0 else 0.0
                ti = p.i_first[i, b] + frac * (p.i_last[i, b] - p.i_first[i, b])
                if ti < best_int:
                    best, best_int = b, ti
            elif s < p.le[i, b] < opens:
                opens = p.le[i, b]
        if best < 0:
            if opens < np.inf:
                next_t[i] = p.launch_time[i] + opens
            else:
                done[i] = True
                leakers[p.aim_index[i]] += 1
            continue
        k = min(p.shots_per_engagement, inv[best])
        inv[best] -= k
        expended[best] += k
        killed = False
        for _ in range(k):
            killed |= bool(used[i] < u.shape[1] and u[i, used[i]] < p.sspk[best])
            used[i] += 1
        looks[i] += 1
        if killed:
            done[i] = True
        elif p.looks == 0 or looks[i] < p.looks:
            next_t[i] = p.launch_time[i] + best_int + p.kill_assessment
        else:
            done[i] = True
            leakers[p.aim_index[i]] += 1
    return leakers, expended


@pytest.mark.parametrize("kind", ["shoot-look-shoot", "salvo", "one-shot"])
def test_heap_ordered_kernel_equals_the_all_threats_scan_of_the_rules(kind):
    from shieldsim.battle import Doctrine
    from shieldsim.battle.kernel import _simulate_range, _uniforms
    from shieldsim.battle.problem import _problem

    rng = np.random.default_rng(21)
    n, b = 40, 3
    le = rng.uniform(50, 200, (n, b)).round(-1)  # coarse times: many ties in time and deadline
    ll = le + rng.uniform(100, 300, (n, b)).round(-1)
    eng = Eng(le, ll, le + 150, ll + 100, rng.random((n, b)) < 0.8, rng.uniform(0.3, 0.7, b),
              rng.integers(5, 25, b))
    raid = raid_of(n, rng.integers(0, 4, n) * 30.0, [f"aim{i % 3}" for i in range(n)])
    p = _problem(eng, raid, Doctrine(kind, kill_assessment=20.0), 5)
    fast = _simulate_range(p, (0, 40))
    u = _uniforms(p.seed, 0, 0, 40, n, p.max_shots)
    for t in range(40):
        leakers, expended = reference_trial(p, u[t])
        assert fast["leakers"][t].tolist() == leakers.tolist() and fast["expended"][t].tolist() == expended.tolist()


def test_uniforms_drawn_in_pieces_equal_the_whole_block(monkeypatch):
    from shieldsim.battle import kernel as battle  # UNIFORM_BYTES is read where the uniforms are drawn

    whole = battle._uniforms(11, 4, 0, TRIAL_BLOCK, 50, 5)
    monkeypatch.setattr(battle, "UNIFORM_BYTES", 1)  # force drawing by jumps, a few trials at a time
    for first, last in ((0, TRIAL_BLOCK), (5, 9), (TRIAL_BLOCK - 1, TRIAL_BLOCK)):
        assert np.array_equal(battle._uniforms(11, 4, first, last, 50, 5), whole[first:last])
    eng, raid = mixed_problem()
    pieces = simulate(eng, raid, "shoot-look-shoot", 300, 8, chunk_trials=70)
    monkeypatch.undo()
    assert np.array_equal(pieces.leakers, simulate(eng, raid, "shoot-look-shoot", 300, 8).leakers)


@pytest.mark.parametrize("threats, trials", [(10_000, 1000), (40_000, 1000), (1_000_000, 1000), (1_000_000, 10)])
def test_default_chunks_of_a_large_raid_bound_the_work_and_the_memory_of_each(threats, trials):
    from shieldsim.battle import (CHUNK_THREAT_TRIALS, MAX_CHUNK_THREAT_VALUES, default_chunk_trials,
                                  trial_chunks)

    size = default_chunk_trials(trials, threats)
    chunks = trial_chunks(trials, size)
    most_chunks = MAX_CHUNK_THREAT_VALUES // threats  # each chunk returns one count per threat
    assert size <= max(1, CHUNK_THREAT_TRIALS // threats) or size == math.ceil(trials / most_chunks)
    assert len(chunks) <= most_chunks and chunks[-1][1] == trials
    assert len(chunks) >= min(trials * threats // CHUNK_THREAT_TRIALS, most_chunks) * 0.9, "progress chunk by chunk"
    assert default_chunk_trials(trials, 20) == default_chunk_trials(trials)  # small raids: as before


def test_a_raid_beyond_memory_is_refused_with_the_limit_and_the_reason():
    from shieldsim.battle import MAX_PAIRS, MAX_THREATS, RaidSpec, check_size

    waves = [{"launch_area": "A", "aim_point": "X", "count": 1_000_000}] * 11
    with pytest.raises(ValueError, match=f"at most {MAX_THREATS:,} per raid.*memory"):
        RaidSpec.model_validate({"wave": waves})
    with pytest.raises(ValueError, match=f"at most {MAX_PAIRS:,} fit in memory"):
        check_size(5_000_000, 6)
    check_size(1_000_000, 25)


def test_raid_command_refuses_a_raid_beyond_memory_naming_the_option_and_the_limit(tmp_path):
    path = tmp_path / "huge.toml"
    # eleven waves of 1,000,000 threats: each wave within its limit, the raid beyond
    path.write_text(RAID_TOML.format(count=1_000_000) + "".join(
        '[[raid.wave]]\nlaunch_area = "North"\naim_point = "CityA"\ncount = 1000000\n' for _ in range(10)))
    out = run_cli("raid", "--raid", path, "--trials", 10)
    assert out.returncode == 2 and "'--raid'" in out.stderr and "10,000,000" in out.stderr and "memory" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_resuming_without_a_chunk_size_keeps_the_chunks_the_run_started_with(tmp_path):
    eng, raid = mixed_problem()
    first = simulate(eng, raid, "salvo", 3000, 5, chunk_trials=500, out_dir=tmp_path / "run")
    again = simulate(eng, raid, "salvo", 3000, 5, out_dir=tmp_path / "run")  # default would be one chunk
    assert first.chunks["computed"] == 6 and again.chunks["loaded"] == 6 and again.chunks["computed"] == 0
    assert np.array_equal(first.leakers, again.leakers)


def test_same_seed_gives_identical_results_whatever_the_chunking():
    eng, raid = mixed_problem()
    runs = [simulate(eng, raid, "shoot-look-shoot", 1000, 99, chunk_trials=c) for c in (1000, 128, 37)]
    for r in runs[1:]:
        assert np.array_equal(r.leakers, runs[0].leakers) and np.array_equal(r.expended, runs[0].expended)
    other = simulate(eng, raid, "shoot-look-shoot", 1000, 100)
    assert not np.array_equal(other.leakers, runs[0].leakers)


def test_a_trial_depends_only_on_seed_and_trial_index():
    eng, raid = mixed_problem()
    long = simulate(eng, raid, "salvo", 3 * TRIAL_BLOCK + 17, 4)
    short = simulate(eng, raid, "salvo", TRIAL_BLOCK + 5, 4)
    assert np.array_equal(long.leakers[: TRIAL_BLOCK + 5], short.leakers)


def test_summary_reports_estimates_with_standard_errors():
    eng, raid = mixed_problem()
    s = simulate(eng, raid, "shoot-look-shoot", 2000, 1).summary()
    assert s["trials"] == 2000 and 0 <= s["p_raid_defeated"] <= 1
    assert sum(s["leakers_histogram"]) == 2000
    assert set(s["aim_points"]) == {"aim0", "aim1", "aim2"}
    assert sum(a["mean_leakers"] for a in s["aim_points"].values()) == pytest.approx(s["mean_leakers"])


def test_raid_spec_expands_waves_and_rejects_unknown_keys():
    raid = Raid.from_dict({"name": "r", "wave": [
        {"launch_area": "A", "aim_point": "X", "count": 3, "launch_time_s": 10, "interval_s": 5},
        {"launch_area": "B", "aim_point": "Y", "missile": "m2"}]})
    assert raid.launch_time.tolist() == [10, 15, 20, 0]
    assert raid.aim_points == ("X", "Y") and raid.aim_index.tolist() == [0, 0, 0, 1]
    with pytest.raises(ValueError):
        RaidSpec.model_validate({"wave": [{"launch_area": "A", "aim_point": "X", "cuont": 3}]})


def test_engagement_windows_expand_per_route_and_duplicates_are_refused():
    raid = Raid.from_dict({"wave": [{"launch_area": "A", "aim_point": "X", "count": 2},
                                    {"launch_area": "B", "aim_point": "X"}]})
    w = {"battery": "S", "launch_area": "A", "aim_point": "X", "launch_earliest_s": 10, "launch_latest_s": 20,
         "intercept_first_s": 100, "intercept_last_s": 110}
    eng = engagement_from_spec({"battery": [{"name": "S", "inventory": 3, "sspk": 0.5}], "window": [w]}, raid)
    assert eng.engageable[:, 0].tolist() == [True, True, False]
    assert eng.launch_latest[0, 0] == 20 and np.isnan(eng.launch_latest[2, 0])
    with pytest.raises(ValueError, match="two windows"):
        engagement_from_spec({"battery": [{"name": "S", "inventory": 3, "sspk": 0.5}], "window": [w, w]}, raid)
    with pytest.raises(ValueError, match="unknown battery"):
        engagement_from_spec({"battery": [{"name": "T", "inventory": 3, "sspk": 0.5}], "window": [w]}, raid)


def test_engagement_with_battery_objects_supplies_inventory_and_names():
    @dataclass
    class Battery:
        name: str
        inventory: int

    @dataclass
    class WithBatteries:
        launch_earliest: np.ndarray
        launch_latest: np.ndarray
        intercept_first: np.ndarray
        intercept_last: np.ndarray
        engageable: np.ndarray
        sspk: np.ndarray
        batteries: list

    e = one_threat(1.0)
    eng = WithBatteries(e.launch_earliest, e.launch_latest, e.intercept_first, e.intercept_last, e.engageable,
                        e.sspk, [Battery("Deveselu", 0)])
    r = simulate(eng, raid_of(1), "one-shot", 10, 0)
    assert r.batteries == ("Deveselu",) and (r.leakers == 1).all()


RAID_TOML = """
[raid]
name = "two-cities"
[[raid.wave]]
launch_area = "North"
aim_point = "CityA"
count = {count}
interval_s = 15
[[raid.wave]]
launch_area = "North"
aim_point = "CityB"
count = 5
launch_time_s = 30

[engagement]
models = {{earth = "wgs84", rotation = true, drag = false}}
[[engagement.battery]]
name = "Site1"
inventory = 30
sspk = 0.7
[[engagement.battery]]
name = "Site2"
inventory = 20
sspk = 0.6
[[engagement.window]]
battery = "Site1"
launch_area = "North"
aim_point = "CityA"
launch_earliest_s = 150
launch_latest_s = 420
intercept_first_s = 380
intercept_last_s = 610
[[engagement.window]]
battery = "Site2"
launch_area = "North"
aim_point = "CityB"
launch_earliest_s = 100
launch_latest_s = 300
intercept_first_s = 300
intercept_last_s = 500

[doctrine]
kind = "shoot-look-shoot"
kill_assessment_s = 15
"""


def write_raid(tmp_path, count=5) -> Path:
    path = tmp_path / "raid.toml"
    path.write_text(RAID_TOML.format(count=count))
    return path


def run_cli(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "shieldsim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def test_raid_command_json_records_seed_trials_doctrine_models_and_matches_the_library(tmp_path):
    path = write_raid(tmp_path)
    out = run_cli("raid", "--raid", path, "--trials", 700, "--seed", 3, "--json", "--doctrine", "salvo")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["seed"] == 3 and rec["trials"] == 700 and rec["doctrine"]["kind"] == "salvo"
    assert rec["models"] == {"earth": "wgs84", "rotation": True, "drag": False}
    assert rec["version"] and "scenario" in rec
    doc = read_document(path)
    doc["doctrine"]["kind"] = "salvo"
    lib, _ = simulate_document({**doc, "trials": 700, "seed": 3})
    assert rec["result"]["p_raid_defeated"] == pytest.approx(lib.summary()["p_raid_defeated"], abs=0)
    assert rec["result"]["leakers_histogram"] == lib.summary()["leakers_histogram"]


def test_raid_command_errors_are_one_line_with_exit_code_2(tmp_path):
    path = write_raid(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(RAID_TOML.format(count=5).replace("count = 5", "count = 5\nextra_key = 1"))
    for args in (["--raid", path, "--trials", 0], ["--raid", tmp_path / "missing.toml"], ["--raid", bad],
                 ["--raid", path, "--workers", 2, "--scheduler", "tcp://127.0.0.1:1"]):
        out = run_cli("raid", *args)
        assert out.returncode == 2, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_raid_and_sweep_take_workers_0_as_in_process(tmp_path):
    path = write_raid(tmp_path)
    for command, extra in (("raid", []), ("sweep", ["--set", "doctrine.kind=one-shot,salvo"])):
        out = run_cli(command, "--raid", path, "--trials", 50, "--workers", 0, "--json", *extra)
        assert out.returncode == 0, (command, out.stderr)
        assert json.loads(out.stdout)["execution"]["backend"] == "in-process"


def test_killed_raid_run_resumes_to_the_uninterrupted_result_without_recomputing_finished_chunks(tmp_path):
    path = write_raid(tmp_path, count=40)
    trials, chunk, seed = 200_000, 2_000, 17
    run_dir = tmp_path / "run"
    args = ["raid", "--raid", path, "--trials", trials, "--seed", seed, "--chunk-trials", chunk, "--json",
            "--no-progress"]
    proc = subprocess.Popen([sys.executable, "-m", "shieldsim", *map(str, args), "--out", run_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while len(list(run_dir.glob("chunk-*.npz"))) < 3:
        assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_chunks = trials // chunk
    finished = {p.name: p.stat().st_mtime_ns for p in run_dir.glob("chunk-*.npz")}
    assert 3 <= len(finished) < n_chunks, "kill came too late to test resuming"
    assert not (run_dir / "result.json").exists()

    out = run_cli(*args, "--resume", run_dir, timeout=300)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["execution"]["loaded"] == len(finished)
    assert rec["execution"]["computed"] == n_chunks - len(finished)
    for name, mtime in finished.items():  # finished chunk files were read, not rewritten
        assert (run_dir / name).stat().st_mtime_ns == mtime
    log = (run_dir / "chunks.log").read_text().split()
    assert len(log) == len(set(log)), "a chunk was computed twice"
    assert len(list(run_dir.glob("chunk-*.npz"))) == n_chunks

    doc = read_document(path)
    whole, _ = simulate_document({**doc, "trials": trials, "seed": seed})
    assert rec["result"] == json.loads(json.dumps(rec["result"]))
    assert rec["result"]["leakers_histogram"] == whole.summary()["leakers_histogram"]
    assert rec["result"]["threat_leak_probability"] == pytest.approx(whole.summary()["threat_leak_probability"],
                                                                     abs=0)
    assert rec["result"]["batteries"] == json.loads(json.dumps(whole.summary()["batteries"]))

    # the run directory alone is enough to continue (here: everything is read back)
    alone = run_cli("raid", "--resume", run_dir, "--json", "--no-progress")
    assert alone.returncode == 0, alone.stderr
    rec_alone = json.loads(alone.stdout)
    assert rec_alone["execution"]["computed"] == 0 and rec_alone["result"] == rec["result"]
    assert rec_alone["seed"] == seed and rec_alone["trials"] == trials
    # resuming with other parameters is refused
    other = run_cli(*[a if a != seed else seed + 1 for a in args], "--resume", run_dir)
    assert other.returncode == 2 and "differ" in other.stderr


# --------------------------------------------------------------------------------------------
# shieldsim sweep


def test_sweep_values_and_dotted_paths():
    from shieldsim.cli.sweep import parse_values, set_path

    assert parse_values("4:12:4") == [4, 8, 12]
    assert parse_values("0.1:0.5:0.2") == [0.1, 0.3, 0.5]
    assert parse_values("one-shot,salvo") == ["one-shot", "salvo"]
    with pytest.raises(ValueError):
        parse_values("1:5:-1")
    doc = {"engagement": {"battery": [{"name": "S1", "inventory": 3}, {"name": "S2", "inventory": 4}]}}
    set_path(doc, "engagement.battery.S2.inventory", 9)
    set_path(doc, "engagement.battery.0.sspk", 0.5)
    set_path(doc, "doctrine.kind", "salvo")
    assert doc["engagement"]["battery"] == [{"name": "S1", "inventory": 3, "sspk": 0.5},
                                            {"name": "S2", "inventory": 9}]
    assert doc["doctrine"] == {"kind": "salvo"}
    with pytest.raises(KeyError):
        set_path(doc, "engagement.battery.S3.inventory", 1)


def test_sweep_points_equal_single_raid_runs_and_the_sweep_resumes(tmp_path):
    path = write_raid(tmp_path)
    run_dir = tmp_path / "sweep"
    args = ["sweep", "--raid", path, "--set", "engagement.battery.Site1.inventory=2:6:2",
            "--set", "doctrine.kind=one-shot,salvo", "--trials", 400, "--seed", 9, "--workers", 0, "--json"]
    out = run_cli(*args, "--out", run_dir)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert [p["set"] for p in rec["points"]][:3] == [
        {"engagement.battery.Site1.inventory": 2, "doctrine.kind": "one-shot"},
        {"engagement.battery.Site1.inventory": 2, "doctrine.kind": "salvo"},
        {"engagement.battery.Site1.inventory": 4, "doctrine.kind": "one-shot"}]
    assert len(rec["points"]) == 6 and rec["seed"] == 9 and rec["version"]
    doc = read_document(path)
    doc["engagement"]["battery"][0]["inventory"] = 4
    doc["doctrine"]["kind"] = "salvo"
    single, _ = simulate_document({**doc, "trials": 400, "seed": 9})
    assert rec["points"][3]["result"] == json.loads(json.dumps(single.summary()))
    # fewer interceptors never defeat the raid more often (same random numbers at every point)
    p_def = [p["result"]["p_raid_defeated"] for p in rec["points"] if p["set"]["doctrine.kind"] == "salvo"]
    assert p_def == sorted(p_def)

    # every point is on disk: resuming with --workers 2 reads them back and starts no cluster
    again = run_cli(*[a if a != 0 else 2 for a in args], "--resume", run_dir)
    assert again.returncode == 0, again.stderr
    rec2 = json.loads(again.stdout)
    assert rec2["execution"]["loaded"] == 6 and rec2["execution"]["computed"] == 0
    assert rec2["execution"]["backend"] == "none"
    assert rec2["points"] == rec["points"]
    bad = run_cli(*[a if a != 9 else 10 for a in args], "--resume", run_dir)
    assert bad.returncode == 2 and "differ" in bad.stderr


def test_sweep_refuses_invalid_grid_points_before_running(tmp_path):
    path = write_raid(tmp_path)
    for setting in ("engagement.battery.0.sspk=0.5:1.5:0.5", "doctrine.kindd=salvo",
                    "engagement.battery.Nowhere.inventory=1,2", "trials=0,10", "seed=-1,2", "seed=abc"):
        out = run_cli("sweep", "--raid", path, "--set", setting, "--workers", 0)
        assert out.returncode == 2, (setting, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1


def test_kill_assessment_comes_from_the_doctrine_else_the_engagement_else_the_default():
    from shieldsim.battle import DEFAULT_KILL_ASSESSMENT

    eng = one_threat(0.0, span=120.0)  # flight 100 s: a second look needs kill assessment <= 20 s
    assert DEFAULT_KILL_ASSESSMENT > 20
    assert simulate(eng, raid_of(1), Doctrine(), 10, 0).expended.max() == 1
    assert simulate(eng, raid_of(1), Doctrine(kill_assessment=20.0), 10, 0).expended.max() == 2
    eng.kill_assessment = 10.0
    r = simulate(eng, raid_of(1), Doctrine(), 10, 0)
    assert r.expended.max() == 2 and r.doctrine.kill_assessment == 10.0


def test_raid_command_takes_the_engagement_from_another_json_file(tmp_path):
    import tomllib

    doc = tomllib.loads(RAID_TOML.format(count=3))
    (tmp_path / "raid.json").write_text(json.dumps({"raid": doc["raid"]}))
    (tmp_path / "eng.json").write_text(json.dumps({"engagement": doc["engagement"]}))
    out = run_cli("raid", "--raid", tmp_path / "raid.json", "--engagement", tmp_path / "eng.json", "--trials", 300,
                  "--json")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["raid"]["threats"] == 8 and rec["doctrine"]["kind"] == "shoot-look-shoot"
    alone = run_cli("raid", "--raid", tmp_path / "raid.json")
    assert alone.returncode == 2 and "engagement" in alone.stderr


SCENARIO_RAID = """
[raid]
name = "two waves"
[[raid.wave]]
launch_area = "tabriz"
aim_point = "bucharest"
missile = "mrbm-solid"
count = 3
interval_s = 20
[[raid.wave]]
launch_area = "central-iran"
launch_point = "Semnan"
aim_point = "warsaw"
missile = "irbm"
count = 2
"""


def test_raid_from_a_built_in_scenario_computes_windows_and_runs(tmp_path):
    pytest.importorskip("shieldsim.engagement")
    from shieldsim import scenario, trajectory

    if not hasattr(trajectory, "aim") or "epaa-2018" not in scenario.builtin_names():
        pytest.skip("scenario -> engagement path not available")
    from shieldsim.study import scenario_engagement_table

    sc = scenario.load("epaa-2018")
    raid = Raid.from_dict({"name": "r", "wave": [
        {"launch_area": "tabriz", "aim_point": "bucharest", "missile": "mrbm-solid", "count": 2}]})
    table = scenario_engagement_table(sc, raid)
    assert [b["name"] for b in table["battery"]] == [b.name for b in scenario.batteries(sc)]
    for w in table["window"]:
        assert w["launch_earliest_s"] <= w["launch_latest_s"] < w["intercept_last_s"]
        assert w["launch_earliest_s"] < w["intercept_first_s"] <= w["intercept_last_s"]
    assert any(w["battery"] == "deveselu" for w in table["window"])  # Deveselu covers Bucharest

    path = tmp_path / "raid.toml"
    path.write_text(SCENARIO_RAID)
    out = run_cli("raid", "epaa-2018", "--raid", path, "--trials", 500, "--seed", 1, "--json", timeout=300)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["scenario"] == "epaa-2018" and rec["models"]["earth"] == "wgs84"
    assert rec["raid"]["threats"] == 5 and set(rec["raid"]["aim_points"]) == {"bucharest", "warsaw"}
    for b in rec["result"]["batteries"].values():
        assert b["max_expended"] <= b["inventory"]


def test_raid_in_a_sectoral_scenario_gives_windows_only_to_the_responsible_side():
    """sectoral-2010 has the assets of cooperation-2011; its raid windows are cooperation-2011's
    less those of batteries whose side is not responsible at their first intercept point."""
    from shieldsim import scenario, study

    targets = ("warsaw", "bucharest", "berlin", "ankara")
    raid = Raid.from_dict({"name": "r", "wave": [
        {"launch_area": "tabriz", "aim_point": aim, "missile": "irbm", "count": 1} for aim in targets]})
    key = lambda w: (w["battery"], w["aim_point"])  # noqa: E731
    shared = {key(w): w for w in study.scenario_engagement_table(scenario.load("cooperation-2011"), raid)["window"]}
    sectoral = study.scenario_engagement_table(scenario.load("sectoral-2010"), raid)["window"]

    # the rule recomputed here: fly the four routes, engage, look up the side at each first intercept
    arch = study.Architecture.from_scenario(scenario.load("sectoral-2010"))
    aims = scenario.aim_points(arch.scenario)
    launch = scenario.launch_points(arch.scenario, "tabriz")
    rows = [aims.names.index(a) for a in targets]
    traj = study.fly(arch, "irbm", np.full(4, launch.lat[0]), np.full(4, launch.lon[0]), aims.lat[rows], aims.lon[rows])
    eng, _ = study.engage_flights(arch, traj)
    sides = study.sector_sides(arch.scenario, eng.first_lat, eng.first_lon)
    expected = {(b.name, targets[r]) for r in range(4) for j, b in enumerate(arch.batteries)
                if (b.name, targets[r]) in shared and sides[r, j] in ("", b.side)}

    assert {key(w) for w in sectoral} == expected
    assert len(expected) < len(shared), "the raid should cross a sector where some battery may not engage"
    assert expected, "some battery should stay responsible"
    for w in sectoral:
        assert {k: v for k, v in w.items() if k != "source"} == \
            {k: v for k, v in shared[key(w)].items() if k != "source"}
        assert "sectors" in w["source"]


# --------------------------------------------------------------------------------------------
# Sweeps over the doctrine: the swept value is used, and points share their random numbers

LOOKS_TOML = """
[raid]
name = "one threat, a long window"
[[raid.wave]]
launch_area = "North"
aim_point = "CityA"
count = 1

[engagement]
kill_assessment_s = 30
[[engagement.battery]]
name = "Site1"
inventory = 50
sspk = 0.5
[[engagement.window]]
battery = "Site1"
launch_area = "North"
aim_point = "CityA"
launch_earliest_s = 100
launch_latest_s = 700
intercept_first_s = 200
intercept_last_s = 800

[doctrine]
kind = "shoot-look-shoot"
kill_assessment_s = 30
"""


def test_sweep_over_kill_assessment_changes_results_when_the_window_allows_several_looks(tmp_path):
    # flight 100 s, launch window [100, 700] s: a look every (100 + KA) s, so KA = 0, 50, 200, 600
    # give 7, 5, 3 and 1 looks and leak probabilities 0.5**looks
    path = tmp_path / "looks.toml"
    path.write_text(LOOKS_TOML)
    out = run_cli("sweep", "--raid", path, "--set", "doctrine.kill_assessment_s=0,50,200,600",
                  "--trials", 4000, "--seed", 2, "--workers", 0, "--json")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    leaks = [1 - p["result"]["p_raid_defeated"] for p in rec["points"]]
    assert [p["set"]["doctrine.kill_assessment_s"] for p in rec["points"]] == [0, 50, 200, 600]
    for leak, looks in zip(leaks, (7, 5, 3, 1)):
        expected = 0.5 ** looks
        assert abs(leak - expected) <= 4 * math.sqrt(expected * (1 - expected) / 4000) + 1e-3, (leak, looks)
    assert leaks == sorted(leaks) and leaks[0] < leaks[-1]
    most = [p["result"]["batteries"]["Site1"]["max_expended"] for p in rec["points"]]
    assert most == [7, 5, 3, 1]


def test_doctrine_points_with_the_same_looks_share_random_numbers_across_threats():
    # threat 0 (aim X) has a long window whose number of looks depends on the kill assessment;
    # threat 1 (aim Y) gets one look whatever it is: its per-trial outcome must not change
    a = np.array
    eng = Eng(a([[100.0], [100.0]]), a([[700.0], [100.0]]), a([[200.0], [200.0]]), a([[800.0], [200.0]]),
              np.ones((2, 1), bool), a([0.5]), a([100]))
    raid = raid_of(2, aims=["X", "Y"])
    runs = {ka: simulate(eng, raid, Doctrine(kill_assessment=ka), 600, 8) for ka in (0.0, 50.0, 200.0)}
    assert [r.expended.max() for r in runs.values()] == [8, 6, 4]  # 7, 5, 3 looks + 1
    y = [r.leakers[:, 1] for r in runs.values()]
    assert all(np.array_equal(y[0], other) for other in y[1:])
    assert 0.4 < y[0].mean() < 0.6
    # threat 0's first shots use the same numbers at every point, so a trial that leaks with
    # 7 looks also leaks with 5 and with 3
    x = {ka: r.leakers[:, 0] for ka, r in runs.items()}
    assert (x[0.0] <= x[50.0]).all() and (x[50.0] <= x[200.0]).all()


def test_scenario_sweep_over_aim_points_computes_windows_for_the_new_routes(tmp_path):
    # the scenario's [engagement] table is computed from the raid file's routes; a point that
    # moves a wave to another aim point must get that route's windows, i.e. equal a raid run
    # of the edited file, not leak every threat of the wave for lack of a window
    example = Path(__file__).resolve().parents[1] / "examples" / "raid-epaa-2018.toml"
    out = run_cli("sweep", "epaa-2018", "--raid", example, "--set", "raid.wave.0.aim_point=bucharest,athens",
                  "--trials", 300, "--seed", 4, "--workers", 0, "--json", timeout=300)
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout)["points"]
    edited = tmp_path / "athens.toml"
    edited.write_text(example.read_text().replace('aim_point = "bucharest"', 'aim_point = "athens"', 1))
    single = run_cli("raid", "epaa-2018", "--raid", edited, "--trials", 300, "--seed", 4, "--json", timeout=300)
    assert single.returncode == 0, single.stderr
    assert points[1]["set"] == {"raid.wave.0.aim_point": "athens"}
    assert points[1]["result"] == json.loads(single.stdout)["result"]
    assert points[1]["result"]["aim_points"]["athens"]["p_any_leaker"] < 1.0
    bad = run_cli("sweep", "epaa-2018", "--raid", example, "--set", "raid.wave.0.launch_area=mars",
                  "--trials", 10, "--workers", 0, timeout=300)
    assert bad.returncode == 2 and "mars" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_sweep_refuses_an_unwritable_out_directory_before_running(tmp_path):
    path = write_raid(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = run_cli("sweep", "--raid", path, "--set", "doctrine.salvo_size=1,2", "--workers", 0,
                  "--out", blocker / "run")
    assert out.returncode == 2 and "--out" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
