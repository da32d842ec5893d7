"""shieldsim: reproducible analysis of ballistic-missile-defence architectures.

The physics layers (see DESIGN.md) are imported on demand, so ``import shieldsim`` is cheap:
``from shieldsim import trajectory`` brings in the compiled kernels.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("shieldsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
