"""Shared test configuration."""

import os

import pytest

import shieldsim  # noqa: F401  first: it points Numba's cache at the source-keyed folder, which it can only do
# before Numba is imported (a test module importing numba first would otherwise leave Numba on its default
# __pycache__ folders, where kernels from older sources are loaded as long as their own file is unchanged)

# Keep test runs deterministic and quiet on shared 2-core machines.
os.environ.setdefault("MPLBACKEND", "Agg")
# Every test computes what it needs, as a fresh process with nothing kept on disk would (the
# user's store is neither read nor written); the store's own tests switch it on (`own_store`).
os.environ.setdefault("SHIELDSIM_STORE", "0")


@pytest.fixture
def own_store(tmp_path, monkeypatch):
    """An empty, switched-on `shieldsim.stored` store of the test's own (under ``tmp_path``);
    returns its root folder."""
    from shieldsim import stored

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(stored.ENVIRONMENT, raising=False)
    return tmp_path / "shieldsim" / "stored"
