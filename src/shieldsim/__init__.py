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

try:
    __version__ = _version("shieldsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
