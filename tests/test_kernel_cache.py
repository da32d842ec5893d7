"""The Numba cache folder keyed by the package's sources (`shieldsim._kernel_cache_dir`): a kernel
compiled against old code of a module it calls must not be loaded after that module changes."""

import os
import subprocess
import sys

from shieldsim import _kernel_cache_dir


def test_the_cache_folder_changes_when_any_source_file_changes(tmp_path):
    src = tmp_path / "pkg"
    (src / "sub").mkdir(parents=True)
    (src / "a.py").write_text("x = 1\n")
    (src / "sub" / "b.py").write_text("y = 2\n")
    first = _kernel_cache_dir(src, tmp_path / "cache")
    assert first == _kernel_cache_dir(src, tmp_path / "cache")  # same sources, same folder
    assert first.parent == tmp_path / "cache" and len(first.name) == 16
    (src / "sub" / "b.py").write_text("y = 3\n")  # a callee in another module edited
    os.utime(src / "sub" / "b.py", ns=(1, 1))
    assert _kernel_cache_dir(src, tmp_path / "cache") != first


def run_python(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_importing_shieldsim_points_numba_at_the_source_keyed_folder_unless_one_is_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"} | {"XDG_CACHE_HOME": str(tmp_path)}
    code = "import shieldsim, numba.core.config as c; print(c.CACHE_DIR)"
    used = run_python(code, env).strip()
    assert os.path.dirname(used) == str(tmp_path / "shieldsim" / "numba") and os.path.isdir(used)
    assert run_python(code, env | {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}).strip() == str(tmp_path / "mine")


def test_older_cache_folders_beyond_the_newest_four_are_removed(tmp_path):
    root = tmp_path / "shieldsim" / "numba"
    for i in range(6):
        (root / f"old{i}").mkdir(parents=True)
        os.utime(root / f"old{i}", (1000 + i, 1000 + i))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"} | {"XDG_CACHE_HOME": str(tmp_path)}
    run_python("import shieldsim", env)
    left = sorted(p.name for p in root.iterdir())
    assert [n for n in left if n.startswith("old")] == ["old3", "old4", "old5"] and len(left) == 4
