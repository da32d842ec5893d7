"""stored: prepared arrays kept on disk between processes, keyed by the sources and the inputs."""

import dataclasses
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from shieldsim import stored
from shieldsim.missile import catalogue
from shieldsim.trajectory import Models


@pytest.fixture
def store(own_store):
    return own_store


def _arrays():
    rng = np.random.default_rng(1)
    return {"x": rng.normal(size=(40, 3)), "n": np.arange(7, dtype=np.int64), "s": np.array(["FRA", "", "DEU"]),
            "nan": np.array([np.nan, 1.0, -0.0])}


def _counting(arrays):
    calls = []

    def compute():
        calls.append(1)
        return arrays
    return compute, calls


def _same(a, b):
    assert set(a) == set(b)
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape
        assert a[name].tobytes() == b[name].tobytes()  # bit for bit, NaN and -0.0 included


@pytest.mark.parametrize("compress", [True, False])
def test_a_stored_entry_reads_back_bit_for_bit_without_computing(store, compress):
    compute, calls = _counting(_arrays())
    first = stored.fetch("demo", ("key", 1.0), compute, ("x", "n", "s", "nan"), compress=compress)
    second = stored.fetch("demo", ("key", 1.0), compute, ("x", "n", "s", "nan"), compress=compress)
    assert len(calls) == 1
    _same(first, _arrays())
    _same(second, _arrays())
    assert all(v.flags.writeable and v.flags.c_contiguous for v in second.values())
    assert [p.parent.parent for p in store.rglob("*.npz")] == [store]  # in the sources' folder


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_entry_is_computed_again_and_replaced(store, damage, compress):
    compute, calls = _counting(_arrays())
    stored.fetch("demo", "k", compute, compress=compress)
    (path,) = store.rglob("demo-*.npz")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 3] ^= 0x40  # inside the first array's values: the zip checksum fails
    elif damage == "garbage":
        data = bytearray(b"not a zip file at all")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert stored.load("demo", "k") is None
    _same(stored.fetch("demo", "k", compute, compress=compress), _arrays())
    assert len(calls) == 2
    _same(stored.load("demo", "k"), _arrays())  # written again, whole


def test_an_entry_lacking_a_named_array_is_computed_again(store):
    stored.save("demo", "k", {"x": np.zeros(3)})
    compute, calls = _counting(_arrays())
    _same(stored.fetch("demo", "k", compute, ("x", "n")), _arrays())
    assert len(calls) == 1


def test_the_key_changes_with_any_input_and_only_then():
    m = catalogue()["sejjil"]
    key = stored.digest(m, Models(), (1.0, 2.0))
    assert key == stored.digest(dataclasses.replace(m), Models(), (1.0, 2.0))
    assert key == stored.digest(dataclasses.replace(m, sources={"x": "y"}), Models(), (1.0, 2.0))  # not compared
    changed = [
        stored.digest(dataclasses.replace(m, burnout_speed=m.burnout_speed * (1 + 1e-15)), Models(), (1.0, 2.0)),
        stored.digest(m, Models(drag=True), (1.0, 2.0)),
        stored.digest(m, Models(), (1.0, 2.0 + 1e-12)),
        stored.digest(m, Models(), (1.0, 2.0, 3.0)),
        stored.digest(m, Models(), [1.0, 2.0], "more"),
        stored.digest(m, Models(), (1, 2.0)),  # an int is not the float
    ]
    assert len({key, *changed}) == 1 + len(changed)
    assert stored.digest({"b": 1, "a": np.arange(3)}) == stored.digest({"a": np.arange(3), "b": 1})
    assert stored.digest(np.arange(3)) != stored.digest(np.arange(3.0))
    with pytest.raises(TypeError, match="no stored form"):
        stored.digest(object())


def test_a_replaced_data_file_changes_its_stamp(tmp_path):
    f = tmp_path / "data.bin"
    f.write_bytes(b"1234")
    first = stored.file_stamp(f)
    f.write_bytes(b"12345")
    assert stored.file_stamp(f) != first
    os.utime(f, ns=(1, 1))
    assert stored.digest(stored.file_stamp(f)) != stored.digest(first)


def test_switched_off_nothing_is_written_and_everything_is_computed(store, monkeypatch):
    monkeypatch.setenv(stored.ENVIRONMENT, "0")
    compute, calls = _counting(_arrays())
    stored.fetch("demo", "k", compute)
    stored.fetch("demo", "k", compute)
    assert len(calls) == 2 and not store.exists()


def test_an_unwritable_store_computes_without_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file where a folder must go
    compute, calls = _counting(_arrays())
    _same(stored.fetch("demo", "k", compute), _arrays())
    assert stored.load("demo", "k") is None and len(calls) == 1


def test_folders_of_older_sources_beyond_the_newest_four_are_removed(store):
    for i in range(6):
        (store / f"old{i}").mkdir(parents=True)
        os.utime(store / f"old{i}", (1000 + i, 1000 + i))
    here = stored.folder()
    left = sorted(p.name for p in store.iterdir())
    assert here.name in left and [n for n in left if n.startswith("old")] == ["old3", "old4", "old5"]


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from shieldsim import stored
    arrays = {"x": np.arange(100_000, dtype=float), "y": np.full(1000, 7)}
    for _ in range(int(sys.argv[1])):
        stored.save("race", "k", arrays)
""")


def test_processes_writing_one_entry_at_once_leave_it_whole_for_a_reader(store):
    env = os.environ | {"XDG_CACHE_HOME": str(store.parent.parent)}
    env.pop(stored.ENVIRONMENT, None)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, "20"], env=env) for _ in range(3)]
    seen = 0
    while any(w.poll() is None for w in writers):
        got = stored.load("race", "k")
        if got is not None:  # whole, never a part of a file being written
            seen += 1
            np.testing.assert_array_equal(got["x"], np.arange(100_000, dtype=float))
            np.testing.assert_array_equal(got["y"], np.full(1000, 7))
        time.sleep(0.002)
    assert [w.wait() for w in writers] == [0, 0, 0]
    assert stored.load("race", "k") is not None
    assert not list(store.rglob("*.tmp"))  # every temporary file moved into place


def test_beyond_its_bound_the_least_recently_used_entries_are_removed(store):
    for n, key in enumerate("abc"):
        stored.save("demo", key, _arrays())
        os.utime(stored._path("demo", key), ns=(10**18 + n, 10**18 + n))  # a, then b, then c
    assert stored.load("demo", "a") is not None  # a used again: now the most recent
    sizes = sorted(p.stat().st_size for p in store.rglob("demo-*.npz"))
    stored._trim(stored.folder(), limit=sizes[0] + sizes[1])
    assert [stored.load("demo", k) is not None for k in "abc"] == [True, False, True]
