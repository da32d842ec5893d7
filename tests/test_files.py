"""Input files are read only if they are regular files within the size limit: a directory, a
FIFO, a device or a huge file is a one-line error, never a hang or an exhausted memory."""

from __future__ import annotations

import os
import threading

import pytest

from shieldsim import files


def special_file(tmp_path, kind):
    """A path of the given kind under tmp_path (or a system one)."""
    path = tmp_path / f"input-{kind}"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        return "/dev/zero"
    elif kind == "huge":
        with open(path, "wb") as fh:
            fh.truncate(files.MAX_INPUT_BYTES + 1)  # sparse: nothing is written
    elif kind == "missing":
        pass
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        raise AssertionError(kind)
    return str(path)


@pytest.mark.parametrize("kind, why", [("directory", "is a directory"), ("fifo", "is a FIFO"),
                                       ("device", "is a character device"), ("huge", "more than the limit"),
                                       ("missing", "no such file")])
def test_read_bytes_refuses_what_is_not_a_regular_file_within_the_limit(tmp_path, kind, why):
    path = special_file(tmp_path, kind)
    result = {}

    def read():  # in a thread, so that a FIFO that blocked would fail the test instead of hanging it
        try:
            files.read_bytes(path)
        except files.InputFileError as err:
            result["err"] = err

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), f"reading a {kind} did not return"
    err = result["err"]
    assert why in str(err) and str(err).startswith(path) and "\n" not in str(err)
    assert err.kind == {"huge": "size", "missing": "missing"}.get(kind, "type")


def test_read_bytes_returns_a_regular_file_and_read_text_refuses_binary(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("name = 'x'\n")
    assert files.read_bytes(good) == b"name = 'x'\n" and files.read_text(good) == "name = 'x'\n"
    with pytest.raises(files.InputFileError, match="not UTF-8 text"):
        files.read_text(special_file(tmp_path, "binary"))
    with pytest.raises(files.InputFileError, match="limit of 4 bytes"):
        files.read_bytes(good, limit=4)


def test_a_symbolic_link_to_a_regular_file_is_read_and_to_a_device_refused(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("x = 1\n")
    (tmp_path / "link.toml").symlink_to(good)
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    assert files.read_text(tmp_path / "link.toml") == "x = 1\n"
    with pytest.raises(files.InputFileError, match="character device"):
        files.read_bytes(tmp_path / "zero.toml")
