"""Executors and resumable chunked jobs: order, atomic chunk files, resume without
recomputation (also after SIGKILL), manifest checks, and real Dask clusters."""

from __future__ import annotations

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

from shieldsim import parallel
from shieldsim.battle import simulate
from shieldsim.parallel import Chunk, ResumeMismatch, run_chunks


def test_in_process_map_returns_results_in_item_order():
    ex = parallel.executor()
    assert isinstance(ex, parallel.InProcessExecutor)
    assert ex.map(math.factorial, [5, 0, 3]) == [120, 1, 6]
    assert ex.describe() == {"backend": "in-process", "workers": 1}


def test_executor_refuses_both_workers_and_scheduler():
    with pytest.raises(ValueError):
        parallel.executor(workers=2, scheduler="tcp://127.0.0.1:8786")


def test_lazy_executor_starts_its_backend_only_when_given_work():
    started = []

    def start():
        started.append(1)
        return parallel.InProcessExecutor()

    with parallel.LazyExecutor(start) as ex:
        assert list(ex.as_completed(math.factorial, [])) == [] and ex.map(math.factorial, []) == []
        assert not started and ex.describe() == {"backend": "none", "workers": 0}
        assert ex.map(math.factorial, [3, 4]) == [6, 24]
        assert dict(ex.as_completed(math.factorial, [5])) == {0: 120}
        assert started == [1] and ex.describe() == {"backend": "in-process", "workers": 1}


def test_threaded_executor_runs_every_item_once_on_its_threads_with_their_numba_threads():
    import contextvars
    import threading

    import numba

    var = contextvars.ContextVar("var", default="unset")
    var.set("caller's")
    seen, first, both = [], set(), threading.Barrier(2)

    def fn(x):
        name = threading.current_thread().name
        if name not in first:  # each thread's first item waits for the other's: both take items
            first.add(name)
            both.wait(30)
        seen.append((x, name, numba.get_num_threads(), var.get()))
        time.sleep(0.002 * (x % 3))  # items of unequal cost
        return x * x

    items = list(range(23))
    got = dict(parallel.ThreadedExecutor(2, 1).as_completed(fn, items))
    assert got == {x: x * x for x in items}
    assert sorted(x for x, *_ in seen) == items
    assert {name for _, name, *_ in seen} == {"shieldsim-batch-0", "shieldsim-batch-1"}
    assert {(n, v) for *_, n, v in seen} == {(1, "caller's")}
    assert parallel.ThreadedExecutor(2, 1).map(math.factorial, [5, 0, 3]) == [120, 1, 6]


def test_threaded_executor_raises_an_items_error_and_starts_no_more_items():
    import threading

    started, gate = [], threading.Event()

    def fn(x):
        started.append(x)
        if x == 1:
            raise ValueError("item 1 failed")
        gate.wait(5)  # item 0 holds its thread until item 1 has failed
        return x

    def release(x):
        if x == 1:
            gate.set()
        return fn(x)

    with pytest.raises(ValueError, match="item 1 failed"):
        list(parallel.ThreadedExecutor(2, 1).as_completed(release, list(range(50))))
    assert sorted(started) == [0, 1]  # item 0 ended after the error; nothing else started
    assert not [t for t in threading.enumerate() if t.name.startswith("shieldsim-batch-")]


def test_batch_executor_has_one_thread_per_numba_thread_and_the_spare_ones_each_running_kernels_on_one(monkeypatch):
    import numba

    from shieldsim import buffers

    monkeypatch.setattr(buffers, "POOL_BYTES", buffers.BATCH_BYTES)
    ex = parallel.batch_executor()
    if numba.get_num_threads() > 1:
        assert isinstance(ex, parallel.ThreadedExecutor) and ex._numba == 1
        assert ex.workers == numba.get_num_threads() + parallel.SPARE_BATCH_THREADS
        assert buffers.POOL_BYTES == ex.workers * buffers.BATCH_BYTES  # room for every batch in flight
    else:
        assert isinstance(ex, parallel.InProcessExecutor)


def test_batch_executor_runs_batches_one_after_another_where_the_threading_layer_is_not_thread_safe(monkeypatch):
    """Numba's "workqueue" layer aborts the process when two threads launch kernels at once:
    with it, batches run in this thread."""
    import numba

    from shieldsim import buffers

    monkeypatch.setattr(buffers, "POOL_BYTES", buffers.BATCH_BYTES)  # restored after the test
    assert parallel.threadsafe_kernels() == (numba.threading_layer() in parallel.THREADSAFE_LAYERS)
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")
    assert isinstance(parallel.batch_executor(), parallel.InProcessExecutor)
    monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
    assert isinstance(parallel.batch_executor(), parallel.ThreadedExecutor)

def counting(calls):
    def fn(x):
        calls.append(x)
        return {"square": np.array([x * x]), "root": math.sqrt(x)}
    return fn


def test_run_chunks_writes_each_chunk_and_resume_reads_them_instead_of_computing(tmp_path):
    calls = []
    chunks = [Chunk(f"c{i}", i) for i in range(5)]
    first = run_chunks(counting(calls), chunks, tmp_path, progress=False, params={"n": 5})
    assert sorted(calls) == list(range(5)) and first.computed == [f"c{i}" for i in range(5)]
    assert sorted(p.name for p in tmp_path.glob("chunk-*.npz")) == [f"chunk-c{i}.npz" for i in range(5)]
    again = run_chunks(counting(calls), chunks, tmp_path, progress=False, params={"n": 5})
    assert len(calls) == 5 and again.computed == [] and again.loaded == [c.key for c in chunks]
    for a, b in zip(first.results, again.results):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert [r["square"][0] for r in again.results] == [0, 1, 4, 9, 16]


def test_json_results_read_back_equal_to_fresh_results(tmp_path):
    fn = lambda x: {"point": x, "summary": {"p": x / 3, "names": ["a", "b"]}}  # noqa: E731
    chunks = [Chunk(f"p{i}", i) for i in range(3)]
    fresh = run_chunks(fn, chunks, tmp_path, progress=False).results
    assert len(list(tmp_path.glob("chunk-*.json"))) == 3
    assert run_chunks(fn, chunks, tmp_path, progress=False).results == fresh


def test_resume_with_other_parameters_or_other_chunks_is_refused(tmp_path):
    chunks = [Chunk(f"c{i}", i) for i in range(3)]
    run_chunks(abs, chunks, tmp_path, progress=False, params={"seed": 1, "trials": 10})
    with pytest.raises(ResumeMismatch, match="seed"):
        run_chunks(abs, chunks, tmp_path, progress=False, params={"seed": 2, "trials": 10})
    with pytest.raises(ResumeMismatch, match="other chunks"):
        run_chunks(abs, chunks[:2], tmp_path, progress=False, params={"seed": 1, "trials": 10})
    with pytest.raises(FileExistsError):
        run_chunks(abs, chunks, tmp_path, resume=False, progress=False, params={"seed": 1, "trials": 10})


def test_failed_job_keeps_finished_chunks_whole_and_resume_computes_only_the_rest(tmp_path):
    calls = []

    def flaky(x):
        if x == 3 and not calls.count("retry"):
            raise RuntimeError("worker lost")
        calls.append(x)
        return {"v": np.full(1000, x)}

    chunks = [Chunk(f"c{i}", i) for i in range(6)]
    with pytest.raises(RuntimeError):
        run_chunks(flaky, chunks, tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.glob("chunk-*")) == ["chunk-c0.npz", "chunk-c1.npz", "chunk-c2.npz"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".chunk-*"))
    calls.append("retry")
    run = run_chunks(flaky, chunks, tmp_path, progress=False)
    assert run.loaded == ["c0", "c1", "c2"] and run.computed == ["c3", "c4", "c5"]
    assert [int(r["v"][0]) for r in run.results] == list(range(6))


def test_bad_chunk_keys_are_refused(tmp_path):
    with pytest.raises(ValueError):
        run_chunks(abs, [Chunk("../escape", 1)], tmp_path, progress=False)
    with pytest.raises(ValueError):
        run_chunks(abs, [Chunk("a", 1), Chunk("a", 2)], tmp_path, progress=False)


SCRIPT = textwrap.dedent("""
    import functools, json, sys, time
    import numpy as np
    from shieldsim import parallel

    def work(log, x):
        with open(log, "a") as fh:
            fh.write(f"c{x:03d}\\n")
        time.sleep(0.1)
        return {"value": np.array([x * x + 0.5])}

    if __name__ == "__main__":
        out, log = sys.argv[1], sys.argv[2]
        chunks = [parallel.Chunk(f"c{i:03d}", i) for i in range(30)]
        run = parallel.run_chunks(functools.partial(work, log), chunks, out, progress=False, params={"n": 30})
        print(json.dumps({"values": [float(r["value"][0]) for r in run.results],
                          "computed": run.computed, "loaded": run.loaded}))
""")


def test_killed_process_resumes_without_recomputing_any_finished_chunk(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    out, log1, log2 = tmp_path / "out", tmp_path / "computed1.log", tmp_path / "computed2.log"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(log1)])
    deadline = time.monotonic() + 60
    while len(list(out.glob("chunk-*.npz"))) < 5:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name[len("chunk-"):-len(".npz")] for p in out.glob("chunk-*.npz")}
    assert 5 <= len(finished) < 30

    done = subprocess.run([sys.executable, str(script), str(out), str(log2)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    recomputed = log2.read_text().split()
    assert not finished & set(recomputed), "a finished chunk was computed again"
    assert finished | set(recomputed) == {f"c{i:03d}" for i in range(30)}
    assert set(rec["loaded"]) == finished and rec["computed"] == recomputed
    assert rec["values"] == [i * i + 0.5 for i in range(30)]


def raid_problem(n=20, b=3):
    from shieldsim.battle import Raid, WindowEngagement

    rng = np.random.default_rng(8)
    le = rng.uniform(50, 200, (n, b))
    ll = le + rng.uniform(100, 400, (n, b))
    eng = WindowEngagement(le, ll, le + 150, ll + 100, rng.random((n, b)) < 0.9, rng.uniform(0.4, 0.9, b),
                           rng.integers(3, 9, b), tuple(f"b{j}" for j in range(b)))
    raid = Raid("r", rng.uniform(0, 100, n), ("A",) * n, tuple(f"aim{i % 4}" for i in range(n)), ("m",) * n)
    return eng, raid


def test_same_seed_identical_on_local_dask_clusters_of_1_2_and_4_workers(tmp_path):
    eng, raid = raid_problem()
    reference = simulate(eng, raid, "shoot-look-shoot", 5000, 2024)
    for workers in (1, 2, 4):
        with parallel.executor(workers=workers) as ex:
            assert ex.describe()["backend"] == "dask-local" and ex.workers == workers
            r = simulate(eng, raid, "shoot-look-shoot", 5000, 2024, ex, chunk_trials=384)
            assert np.array_equal(r.leakers, reference.leakers)
            assert np.array_equal(r.expended, reference.expended)
            if workers == 2:  # a resumable job on the cluster: chunk files, then all read back
                out = tmp_path / "job"
                first = simulate(eng, raid, "salvo", 3000, 5, ex, chunk_trials=500, out_dir=out)
                again = simulate(eng, raid, "salvo", 3000, 5, ex, chunk_trials=500, out_dir=out)
                assert first.chunks["computed"] == 6 and again.chunks["loaded"] == 6
                assert np.array_equal(first.leakers, again.leakers)
                assert np.array_equal(first.leakers, simulate(eng, raid, "salvo", 3000, 5).leakers)


def _numba_threads(_item) -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def test_local_cluster_workers_run_numba_on_one_thread_each():
    with parallel.executor(workers=1) as ex:
        assert ex.map(_numba_threads, [0]) == [1]  # N workers on N cores do not each start N kernel threads


def _worker_settings(_item):
    import os

    import dask

    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"),
            dask.config.get("distributed.worker.profile.enabled"))


def test_local_cluster_workers_keep_glibc_default_trimming_and_run_no_profiler():
    import dask

    with parallel.executor(workers=1) as ex:  # no MALLOC_TRIM_THRESHOLD_: freed arrays are reused, not returned
        assert ex.map(_worker_settings, [0]) == [(None, "1", False)]
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")  # this process's config intact
    assert dask.config.get("distributed.worker.profile.enabled") is True


def _thread_cores(*_args) -> list:
    """The cores every thread of this process may run on (one frozenset per thread)."""
    import os

    return sorted({frozenset(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")}, key=sorted)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or parallel.cores() < 2, reason="needs 2 cores and affinity")
def test_local_cluster_holds_each_worker_and_its_task_thread_on_a_core_of_its_own():
    with parallel.executor(workers=2) as ex:
        per_worker = ex.client.run(_thread_cores)
        in_tasks = ex.map(_thread_cores, range(4))
    cores = list(per_worker.values())
    assert all(len(t) == 1 and len(t[0]) == 1 for t in cores)  # every thread of a worker on one core
    assert cores[0] != cores[1]
    assert all(t in cores for t in in_tasks)  # the thread running the work too


class _FakeClient:
    def __init__(self, n):
        self.n = n

    def scheduler_info(self):
        return {"workers": {f"w{i}": {"name": i} for i in range(self.n)}}

    def run(self, fn):
        return {f"w{i}": -1 for i in range(self.n)}


def test_more_workers_than_cores_are_left_to_the_kernel():
    assert parallel.pin_workers(_FakeClient(parallel.cores() + 1)) == {}


def test_existing_scheduler_backend_runs_work_on_that_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None) as cluster:
        with parallel.executor(scheduler=cluster.scheduler_address) as ex:
            assert ex.describe()["scheduler"] == cluster.scheduler_address
            assert ex.map(math.factorial, list(range(8))) == [math.factorial(i) for i in range(8)]


def test_resume_accepts_parameters_with_nan(tmp_path):
    params = {"window": [1.0, float("nan")], "seed": 3}
    run_chunks(abs, [Chunk("a", -1)], tmp_path, progress=False, params=params)
    assert run_chunks(abs, [Chunk("a", -1)], tmp_path, progress=False, params=params).loaded == ["a"]


# --- damaged runs: every chunk that fails to load or verify is computed again, and said so


def _damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "one-bit-flipped":
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1:])
    elif how == "64-bytes-flipped":  # the zip and .npy headers
        path.write_bytes(bytes(b ^ 0xFF for b in data[:64]) + data[64:])
    elif how == "zero-length":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(np.random.default_rng(1).bytes(len(data)))
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "missing":
        path.unlink()
    else:
        raise AssertionError(how)


DAMAGES = ("truncated", "one-bit-flipped", "64-bytes-flipped", "zero-length", "garbage", "directory", "missing")


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_raid_chunks_are_recomputed_on_resume_to_the_identical_result(tmp_path, how):
    eng, raid = raid_problem()
    out = tmp_path / "run"
    first = simulate(eng, raid, "shoot-look-shoot", 2000, 11, chunk_trials=256, out_dir=out)
    files = sorted(out.glob("chunk-*.npz"))
    assert len(files) == 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["chunks"]) == [p.name[len("chunk-"):-len(".npz")] for p in files]
    assert all(len(rec["sha256"]) == 64 for rec in manifest["chunks"].values())
    for path in (files[1], files[6]):
        _damage(path, how)
    messages = []
    again = simulate(eng, raid, "shoot-look-shoot", 2000, 11, chunk_trials=256, out_dir=out)
    assert again.chunks["computed"] == 2 and again.chunks["loaded"] == 6
    assert np.array_equal(again.leakers, first.leakers) and np.array_equal(again.expended, first.expended)
    assert np.array_equal(again.threat_leaks, first.threat_leaks)
    # the recomputed chunks are whole again and recorded: a third run loads all eight
    third = run_chunks(None, [Chunk(p.name[len("chunk-"):-len(".npz")], None) for p in files], out,
                       progress=False, params=json.loads((out / "manifest.json").read_text())["params"],
                       report=messages.append)
    assert third.computed == [] and third.damaged == [] and not messages


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_chunk_is_reported_with_its_key_and_json_chunks_recover_too(tmp_path, how):
    fn = lambda x: {"point": x, "summary": {"p": x / 3}}  # noqa: E731
    chunks = [Chunk(f"p{i}", i) for i in range(4)]
    fresh = run_chunks(fn, chunks, tmp_path, progress=False).results
    _damage(tmp_path / "chunk-p2.json", how)
    messages = []
    run = run_chunks(fn, chunks, tmp_path, progress=False, report=messages.append)
    assert run.results == fresh and run.computed == ["p2"] and run.damaged == ["p2"]
    assert len(messages) == 1 and "chunk p2" in messages[0] and "computing it again" in messages[0]
    assert "\n" not in messages[0]


def test_chunk_not_yet_recorded_in_the_manifest_is_kept_if_it_loads_and_then_recorded(tmp_path):
    calls = []
    chunks = [Chunk(f"c{i}", i) for i in range(3)]
    run_chunks(counting(calls), chunks, tmp_path, progress=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["chunks"]["c1"]  # as if killed between writing the chunk and recording it
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    run = run_chunks(counting(calls), chunks, tmp_path, progress=False)
    assert run.computed == [] and len(calls) == 3
    assert "c1" in json.loads((tmp_path / "manifest.json").read_text())["chunks"]


def test_unrecorded_chunk_with_a_flipped_bit_fails_the_zip_crc_and_is_recomputed(tmp_path):
    calls = []
    chunks = [Chunk(f"c{i}", i) for i in range(3)]
    first = run_chunks(counting(calls), chunks, tmp_path, progress=False).results
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["chunks"] = {}  # a manifest of a version that recorded no checksums
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    data = bytearray((tmp_path / "chunk-c2.npz").read_bytes())
    data[len(data) // 3] ^= 0x01  # inside the stored array data
    (tmp_path / "chunk-c2.npz").write_bytes(bytes(data))
    run = run_chunks(counting(calls), chunks, tmp_path, progress=False, report=lambda m: None)
    assert run.computed == ["c2"] and all(np.array_equal(a["square"], b["square"]) for a, b in zip(first, run.results))


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"format": "other"}', b"\xff\xfe\x00garbage",
                                     b'{"format": "shieldsim-chunks/1", "keys": "c0"}'])
def test_damaged_manifest_is_one_clear_error_naming_the_file(tmp_path, content):
    run_chunks(abs, [Chunk("c0", -1)], tmp_path, progress=False)
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(parallel.DamagedManifest) as err:
        run_chunks(abs, [Chunk("c0", -1)], tmp_path, progress=False)
    message = str(err.value)
    assert str(tmp_path / "manifest.json") in message and "\n" not in message
    with pytest.raises(parallel.DamagedManifest):
        parallel.job_params(tmp_path)


# --- a Dask scheduler lost in the middle of a run


def _start(args, log):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc):
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the process group this test started (a worker's nanny and its child)
        proc.wait()


def test_lost_scheduler_ends_in_one_line_saying_how_to_resume_and_the_resumed_run_is_exact(tmp_path):
    from test_battle import RAID_TOML

    from shieldsim.battle import read_document, simulate_document

    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    raid = tmp_path / "raid.toml"
    raid.write_text(RAID_TOML.format(count=150))
    address_file, run_dir, log = tmp_path / "scheduler.json", tmp_path / "run", open(tmp_path / "dask.log", "w")
    scheduler = worker = client = None
    try:
        scheduler = _start([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(address_file)], log)
        deadline = time.monotonic() + 60
        while not (address_file.exists() and address_file.stat().st_size):
            assert scheduler.poll() is None and time.monotonic() < deadline, (tmp_path / "dask.log").read_text()
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        worker = _start([dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], log)
        args = ["raid", "--raid", raid, "--trials", 60_000, "--seed", 9, "--chunk-trials", 500, "--json",
                "--no-progress"]
        client = subprocess.Popen([sys.executable, "-m", "shieldsim", *map(str, args), "--scheduler", address,
                                   "--out", run_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(list(run_dir.glob("chunk-*.npz"))) < 2:
            assert client.poll() is None, client.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(scheduler.pid, signal.SIGKILL)
        scheduler.wait()
        _, err = client.communicate(timeout=120)
    finally:
        for proc in (client, worker, scheduler):
            _stop(proc)
        log.close()
    assert client.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "lost the Dask scheduler" in lines[0] and f"--resume {run_dir}" in lines[0]
    finished = len(list(run_dir.glob("chunk-*.npz")))
    assert 2 <= finished < 120, "the scheduler was killed too late to test resuming"

    done = subprocess.run([sys.executable, "-m", "shieldsim", *map(str, args), "--resume", run_dir],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["execution"]["loaded"] >= finished - 1 and rec["execution"]["chunks"] == 120
    whole, _ = simulate_document({**read_document(raid), "trials": 60_000, "seed": 9})
    assert rec["result"]["leakers_histogram"] == whole.summary()["leakers_histogram"]
    assert rec["result"]["threat_leak_probability"] == whole.summary()["threat_leak_probability"]


def test_importing_shieldsim_makes_openmp_threads_wait_passively_unless_told_otherwise():
    import os
    import subprocess
    import sys

    code = "import shieldsim, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "ACTIVE"


def test_cores_counts_the_cores_this_process_may_use():
    assert 1 <= parallel.cores() <= (os.cpu_count() or 1)
