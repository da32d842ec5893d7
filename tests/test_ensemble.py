"""Uncertainty ensembles (`shieldsim.ensemble`) and their sensitivity indices (`shieldsim.sensitivity`):
closed-form checks, determinism across workers, resuming a killed run, collapsing to the nominal run."""

import functools
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from shieldsim import ensemble as E
from shieldsim import sensitivity as S
from shieldsim import uncertainty as U

PI = math.pi


def ishigami_figures(unused: bool = True):
    names = ["x1", "x2", "x3"] + (["x4"] if unused else [])
    return [U.Figure(n, 0.0, -PI, PI, source="Ishigami-Homma test: uniform on [-pi, pi]") for n in names]


def test_sobol_indices_of_the_ishigami_function_match_the_closed_form_within_their_intervals():
    figs = ishigami_figures()
    des = E.design(figs, 2048 * (len(figs) + 2), seed=11, method="sobol")
    assert des.method == "sobol" and des.base == 2048
    ens = E.run(S.ishigami, figs, des)
    rows = {r["figure"]: r for r in ens.sensitivity("y").rows}
    exact = S.ishigami_indices()
    for i, name in enumerate(["x1", "x2", "x3"]):
        assert abs(rows[name]["S1"] - exact["S1"][i]) <= rows[name]["S1_conf"], (name, rows[name])
        assert abs(rows[name]["ST"] - exact["ST"][i]) <= rows[name]["ST_conf"], (name, rows[name])
        assert rows[name]["ST_conf"] < 0.1  # the interval is informative, not a catch-all
    assert abs(rows["x4"]["ST"]) <= rows["x4"]["ST_conf"] + 1e-12  # the unused figure: zero within its interval
    assert ens.sensitivity("y").top(2) == ["x1", "x2"]


def linear(weights, values):
    return {"y": sum(w * values[k] for k, w in weights.items())}


def test_sobol_indices_of_a_linear_model_are_its_variance_shares():
    figs = [U.Figure("a", 0.0, 0.0, 1.0, source="t"), U.Figure("b", 0.0, -2.0, 2.0, source="t"),
            U.Figure("c", 0.0, 0.0, 1.0, source="t")]
    weights = {"a": 3.0, "b": 1.0}  # c is not used
    var = {"a": 9.0 / 12, "b": 16.0 / 12}  # w^2 (hi - lo)^2 / 12
    exact = {k: v / sum(var.values()) for k, v in var.items()} | {"c": 0.0}
    des = E.design(figs, 1024 * 5, seed=5, method="sobol")
    rows = {r["figure"]: r for r in E.run(functools.partial(linear, weights), figs, des).sensitivity("y").rows}
    for name, s in exact.items():
        assert abs(rows[name]["S1"] - s) <= rows[name]["S1_conf"] + 1e-12, (name, rows[name])
        assert abs(rows[name]["ST"] - s) <= rows[name]["ST_conf"] + 1e-12, (name, rows[name])


def test_morris_screening_ranks_the_used_figures_above_an_unused_one():
    figs = ishigami_figures()
    des = E.design(figs, 40 * 5, seed=2, method="morris")
    ind = E.run(S.ishigami, figs, des).sensitivity("y")
    rows = {r["figure"]: r for r in ind.rows}
    assert rows["x4"]["mu_star"] == 0.0 and all(rows[n]["mu_star"] > 1.0 for n in ("x1", "x2", "x3"))
    assert ind.key == "mu_star" and ind.top(3)[-1] != "x4"
    assert sorted(ind.top(4)) == ["x1", "x2", "x3"]  # a figure that never moves the headline is not listed


def test_the_ensemble_table_lists_only_figures_that_move_a_headline():
    from shieldsim.cli.ensemble_run import table

    figs = [U.Figure(n, 0.0, 0.0, 1.0, source="t") for n in ("a", "b", "c")]  # only a is used
    des = E.design(figs, 20 * 4, seed=2, method="morris")
    line = table(E.run(functools.partial(linear, {"a": 2.0}), figs, des).as_dict()).splitlines()[-1]
    assert line.startswith("y ") and line.endswith(" a")


def test_the_same_seed_gives_the_same_design_and_another_seed_another():
    figs = ishigami_figures()
    for method in ("sobol", "morris", "lhs"):
        a, b = E.design(figs, 60, 7, method), E.design(figs, 60, 7, method)
        assert np.array_equal(a.quantiles, b.quantiles), method
        assert not np.array_equal(a.quantiles, E.design(figs, 60, 8, method).quantiles), method
        assert a.quantiles.min() >= 0.0 and a.quantiles.max() <= 1.0


def test_auto_picks_sobol_morris_or_latin_hypercube_by_members_per_figure():
    assert E.choose_method(20, 8 * 22) == "sobol"
    assert E.choose_method(20, 64) == "morris"
    assert E.choose_method(20, 30) == "lhs"


@pytest.mark.parametrize("members, method, words", [(3, "sobol", "D + 2 = 6"), (9, "morris", "2 (D + 1) = 10"),
                                                     (1, "lhs", "2 to"), (10, "halton", "allowed: auto")])
def test_impossible_designs_are_refused_with_the_least_number_of_members(members, method, words):
    with pytest.raises(E.EnsembleError) as err:
        E.design(ishigami_figures(), members, 0, method)
    assert words in str(err.value)


def test_percentiles_and_probability_of_a_headline():
    figs = [U.Figure("a", 0.5, 0.0, 1.0, source="t")]
    des = E.design(figs, 1000, seed=1, method="lhs")
    ens = E.run(lambda v: {"y": v["a"], "holds": v["a"] > 0.75, "fraction/never": 0.0}, figs, des)
    p = ens.percentiles("y")
    assert p["p05"] == pytest.approx(0.05, abs=2e-3) and p["p50"] == pytest.approx(0.5, abs=2e-3)
    assert p["p95"] == pytest.approx(0.95, abs=2e-3) and p["members"] == 1000
    assert ens.probability("holds") == pytest.approx(0.25, abs=2e-3)
    assert ens.headline("y")["sensitivity"]["method"] == "none"
    assert ens.headline("holds")["probability"] == ens.probability("holds")
    assert "probability" not in ens.headline("fraction/never")  # zero everywhere is a fraction, not a claim


@pytest.mark.slow
def test_one_and_two_workers_give_identical_ensembles(tmp_path):
    from shieldsim import parallel

    figs = ishigami_figures()
    des = E.design(figs, 6 * 16, seed=4, method="sobol")
    one = E.run(S.ishigami, figs, des, chunk_members=8)
    with parallel.executor(workers=2) as ex:
        two = E.run(S.ishigami, figs, des, executor=ex, chunk_members=8, out_dir=tmp_path / "run")
    assert np.array_equal(one.values["y"], two.values["y"])
    assert one.headline("y") == two.headline("y")


SCRIPT = textwrap.dedent("""
    import json, sys, time
    from shieldsim import ensemble as E, sensitivity as S, uncertainty as U

    def slow(log, values):
        with open(log, "a") as fh:
            fh.write(repr(values["x1"]) + "\\n")
        time.sleep(0.05)
        return S.ishigami(values)

    if __name__ == "__main__":
        import functools, math
        out, log = sys.argv[1], sys.argv[2]
        figs = [U.Figure(n, 0.0, -math.pi, math.pi, source="t") for n in ("x1", "x2", "x3", "x4")]
        des = E.design(figs, 6 * 32, seed=9, method="sobol")
        ens = E.run(functools.partial(slow, log), figs, des, out_dir=out, chunk_members=4)
        print(json.dumps({"y": ens.values["y"].tolist(), "computed": ens.computed, "loaded": ens.loaded,
                          "headline": ens.headline("y")}))
""")


def test_a_killed_ensemble_resumes_to_the_same_result_without_recomputing_finished_members(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    out, log1, log2, log3 = tmp_path / "out", tmp_path / "l1", tmp_path / "l2", tmp_path / "l3"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(log1)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("chunk-*.json"))) < 5:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("chunk-*.json")}
    assert 5 <= len(finished) < 48

    resumed = subprocess.run([sys.executable, str(script), str(out), str(log2)], capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    rec = json.loads(resumed.stdout)
    assert len(log2.read_text().split()) == 4 * (48 - len(finished))  # only the unfinished members ran
    assert sorted("chunk-" + k + ".json" for k in rec["loaded"]) == sorted(finished)
    for name, mtime in finished.items():
        assert (out / name).stat().st_mtime_ns == mtime
    whole = subprocess.run([sys.executable, str(script), str(tmp_path / "fresh"), str(log3)], capture_output=True,
                           text=True, timeout=300)
    assert json.loads(whole.stdout)["y"] == rec["y"] and json.loads(whole.stdout)["headline"] == rec["headline"]


def test_a_resumed_directory_of_another_ensemble_is_refused(tmp_path):
    from shieldsim import parallel

    figs = ishigami_figures()
    E.run(S.ishigami, figs, E.design(figs, 24, 1, "lhs"), out_dir=tmp_path)
    with pytest.raises(parallel.ResumeMismatch):
        E.run(S.ishigami, figs, E.design(figs, 24, 2, "lhs"), out_dir=tmp_path)


def test_tornado_chart_ranks_figures_by_total_index():
    figs = ishigami_figures()
    ind = E.run(S.ishigami, figs, E.design(figs, 6 * 64, 3, "sobol")).sensitivity("y")
    fig = S.tornado(ind, "y")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == ind.top(1)[0] and set(labels) == {"x1", "x2", "x3", "x4"}
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.slow
def test_all_ranges_collapsed_to_nominal_reproduce_the_nominal_coverage_exactly():
    from shieldsim import headlines
    from shieldsim import scenario as scen

    figs = [f.collapsed() for f in U.figures(scen.load("epaa-2018"))]
    study = E.scenario_study(functools.partial(headlines.coverage, scenario="epaa-2018", grid_deg=4.0))
    ens = E.run(study, figs, E.design(figs, 2, 0, "lhs"))
    nominal = headlines.coverage(None, scenario="epaa-2018", grid_deg=4.0)
    for name, value in nominal.items():
        assert ens.values[name].tolist() == [value, value], name


def refuses_large_x1(values):
    """Ishigami, but the 'model' cannot represent x1 above 2 (as the boost model refuses some burn times)."""
    if values["x1"] > 2.0:
        raise ValueError(f"x1 = {values['x1']:.3f}: the model finds no solution\n above 2")
    return S.ishigami(values)


def refused_members(des):
    return {i for i in range(des.members) if des.quantiles[i, 0] * 2 * PI - PI > 2.0}


def test_members_the_model_refuses_are_recorded_as_failed_and_the_rest_still_give_percentiles():
    figs = ishigami_figures()
    des = E.design(figs, 6 * 16, seed=4, method="sobol")
    ens = E.run(refuses_large_x1, figs, des, chunk_members=8)
    bad = refused_members(des)
    assert 0 < len(bad) < des.members
    assert set(ens.failed) == bad
    assert all(m.startswith("ValueError: x1 = ") and "\n" not in m for m in ens.failed.values())
    assert np.all(np.isnan(ens.values["y"][sorted(bad)]))
    good = np.array([S.ishigami(E.member_overrides(figs, des.quantiles[i]))["y"] for i in range(des.members)
                     if i not in bad])
    h = ens.headline("y")
    assert h["members"] == des.members - len(bad) and h["failed"] == len(bad)
    assert h["p50"] == pytest.approx(float(np.percentile(good, 50)))
    assert h["sensitivity"]["indices"] == [] and h["sensitivity"]["note"].startswith("not computed: ")
    assert f"{len(bad)} of {des.members} members failed" in h["sensitivity"]["note"]
    d = E._json_round_trip(ens.as_dict())
    assert d["failed_members"] == len(bad) and sorted(map(int, d["failed"])) == sorted(bad)


def test_a_programming_error_in_a_member_still_ends_the_ensemble():
    figs = ishigami_figures()

    def broken(values):
        if values["x1"] > 2.0:
            raise TypeError("unsupported operand")
        return S.ishigami(values)

    with pytest.raises(TypeError):
        E.run(broken, figs, E.design(figs, 24, 1, "lhs"))


def test_failed_members_are_the_same_with_one_and_two_workers_and_are_read_back_on_resume(tmp_path):
    from shieldsim import parallel

    figs = ishigami_figures()
    des = E.design(figs, 6 * 4, seed=4, method="sobol")
    one = E.run(refuses_large_x1, figs, des, chunk_members=8)
    with parallel.executor(workers=2) as ex:
        two = E.run(refuses_large_x1, figs, des, executor=ex, chunk_members=8, out_dir=tmp_path / "run")
    assert one.failed == two.failed and one.failed
    assert one.as_dict() == E._json_round_trip(two.as_dict())
    again = E.run(refuses_large_x1, figs, des, chunk_members=8, out_dir=tmp_path / "run")
    assert again.computed == [] and again.failed == one.failed  # failed members are results: not run again


def test_when_every_member_fails_the_nominal_headlines_show_with_no_value():
    figs = ishigami_figures()

    def refuses(values):
        raise ValueError("no minimum-energy burn")

    ens = E.run(refuses, figs, E.design(figs, 24, 1, "lhs"), nominal={"y": 1.0})
    assert len(ens.failed) == 24 and ens.headline("y")["p50"] is None and ens.headline("y")["failed"] == 24
