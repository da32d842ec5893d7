"""shieldsim: reproducible analysis of ballistic-missile-defence architectures.

The physics layers (see DESIGN.md) are imported on demand, so ``import shieldsim`` is cheap:
``from shieldsim import trajectory`` brings in the compiled kernels.
"""

import os as _os
from importlib.metadata import PackageNotFoundError, version as _version

# Threads of Numba's OpenMP layer that finish a parallel loop first sleep at once instead of
# spinning for the others (libgomp's default is to spin for up to about 300,000 iterations).
# On a machine busier than its cores, spinning threads take the time the thread they wait for
# needs: measured on 2 shared cores (load 15), one 1,000-flight call of the vacuum batch took
# 18 ms with spinning and 1.4 ms without (0.6 ms of work). It must be set before the OpenMP
# runtime starts (the first parallel kernel), hence here; a value already set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _kernel_cache_dir(src, root):
    """The cache folder ``root/<digest>`` for the sources under ``src`` (both `pathlib.Path`):
    the digest covers every ``*.py`` file's relative path, size and modification time."""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(src.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(src).as_posix()}:{st.st_size}:{st.st_mtime_ns};".encode())
    return root / digest.hexdigest()


def _use_source_keyed_kernel_cache() -> None:
    """Point Numba's on-disk cache at `_kernel_cache_dir` of this package under
    ``$XDG_CACHE_HOME/shieldsim/numba`` (default ``~/.cache``), unless ``NUMBA_CACHE_DIR`` is
    already set (it must be set before Numba is imported, hence here).

    Numba re-checks a cached kernel only against the file that defines it, not the functions it
    calls from other modules: after an edit of, say, `trajectory.vacuum` a kernel of
    `trajectory.kernels` would go on running the old code, silently. A new digest after any
    change of the sources means a fresh cache (one recompilation) instead. When a new folder is
    made, the older ones beyond the newest four are removed. Where it cannot be made, Numba
    keeps its own locations."""
    if "NUMBA_CACHE_DIR" in _os.environ:
        return
    import shutil
    from pathlib import Path

    root = Path(_os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shieldsim" / "numba"
    here = _kernel_cache_dir(Path(__file__).parent, root)
    if not here.is_dir():
        try:
            here.mkdir(parents=True)
        except OSError:
            return
        older = sorted((p for p in root.iterdir() if p.is_dir() and p != here), key=lambda p: p.stat().st_mtime)
        for stale in older[:-3]:
            shutil.rmtree(stale, ignore_errors=True)
    _os.environ["NUMBA_CACHE_DIR"] = str(here)


_use_source_keyed_kernel_cache()

try:
    __version__ = _version("shieldsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
