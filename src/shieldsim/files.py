"""Reading the files a user names (scenarios, raid and engagement files, run manifests and chunks)
safely: only regular files, never more than a size limit, with one clear error.

A path can name a directory, a FIFO (reading it waits forever for a writer), a device such as
``/dev/zero`` (reading it never ends and fills memory), an unreadable file or a huge one. Every
input file of shieldsim is read through `read_bytes` (or `read_text`), which checks the file's
type before opening it, opens it without blocking, checks again on the open descriptor (the
path may have been swapped meanwhile) and reads at most ``limit + 1`` bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_INPUT_BYTES = 64 * 2**20
"""Largest input file read (64 MiB): far above any scenario, raid or engagement file
(a 100,000-threat raid written out wave by wave is a few MB), far below what would exhaust the
memory of a small machine."""


class InputFileError(ValueError):
    """A named file cannot be read. ``path`` is the file, ``reason`` the one-line cause (the
    message is ``"{path}: {reason}"``), ``kind`` one of ``"missing"``, ``"type"`` (not a regular
    file), ``"size"`` (over the limit), ``"read"`` (permission or I/O error), ``"text"`` (not
    UTF-8)."""

    def __init__(self, path, reason: str, kind: str = "read"):
        self.path, self.reason, self.kind = str(path), reason, kind
        super().__init__(f"{path}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason, self.kind))


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> int:
    """The size in bytes of ``path`` if it is a regular file of at most ``limit`` bytes (symbolic
    links are followed); else raise `InputFileError` saying why."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(path, "no such file", "missing") from None
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"cannot read it ({getattr(err, 'strerror', None) or err})") from None
    return _check_stat(path, st, limit)


def _check_stat(path, st: os.stat_result, limit: int) -> int:
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode)
        raise InputFileError(path, f"{kind if kind.startswith('not') else 'is ' + kind}; allowed: a regular file",
                             "type")
    if st.st_size > limit:
        raise InputFileError(path, f"{st.st_size:,} bytes is more than the limit of {limit:,} bytes for an input file",
                             "size")
    return st.st_size


def read_bytes(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The content of the regular file ``path`` (at most ``limit`` bytes), or `InputFileError`."""
    check_regular(path, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputFileError(path, "no such file", "missing") from None
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EPERM):
            raise InputFileError(path, "permission denied") from None
        raise InputFileError(path, f"cannot read it ({err.strerror or err})") from None
    try:
        _check_stat(path, os.fstat(fd), limit)  # the path may have been replaced since the check
        chunks, size = [], 0
        while size <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > limit:  # the file grew while being read
            raise InputFileError(path, f"more than the limit of {limit:,} bytes for an input file", "size")
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(path, f"cannot read it ({err.strerror or err})") from None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> str:
    """The content of the regular file ``path`` decoded as UTF-8, or `InputFileError` (also for
    bytes that are not UTF-8, naming the first bad byte and its offset)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(path, f"not UTF-8 text (byte {err.object[err.start]:#04x} at offset {err.start}); "
                                   "allowed: a UTF-8 text file", "text") from None


def exists(path: str | os.PathLike) -> bool:
    """Whether anything (file, directory, FIFO, device...) is at ``path``; False for a path the
    system cannot even look up (too long, NUL byte)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False
