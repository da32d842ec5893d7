"""Whole ballistic flights as arrays: from burnout states to impact, and aimed threat flights.

The package is split by job:

* `flight`: the model switches (`Models`), free flights from burnout to impact (`fly`,
  `fly_states` -> `Flight`) and the `Trajectory` container handed to sensors and engagements;
* `aiming`: minimum-energy free flights, whole flights with given controls
  (`boosted_trajectories` -> `Aim`), a class's greatest range (`max_range`) and `aim`;
* `kernels`: the compiled (Numba) kernels behind both.

Physics and units are described in `flight` and `aiming`; inputs at the public edge are SI
(radians, metres, seconds, m/s). ``from shieldsim.trajectory import X`` works for every public
name below.
"""

from .aiming import (
    AIM_TOL, APOGEE_TOL, Aim, AimError, MinimumEnergy, aim, boosted_trajectories, max_range, minimum_energy,
)
from .flight import DRAG_CEILING, DRAG_STEP, Flight, Models, Trajectory, burnout_state, fly, fly_states

__all__ = [
    "AIM_TOL", "APOGEE_TOL", "DRAG_CEILING", "DRAG_STEP", "Aim", "AimError", "Flight", "MinimumEnergy", "Models",
    "Trajectory", "aim", "boosted_trajectories", "burnout_state", "fly", "fly_states", "max_range", "minimum_energy",
]
