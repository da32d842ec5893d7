"""Whole ballistic flights as arrays: from burnout states to impact, and aimed threat flights.

The package is split by job:

* `flight`: the model switches (`Models`), free flights from burnout to impact (`fly`,
  `fly_states` -> `Flight`) and the `Trajectory` container handed to sensors and engagements;
* `min_energy`: minimum-energy free flights (`minimum_energy` -> `MinimumEnergy`);
* `boosted`: whole flights (boost + free flight) with given controls (`boosted_trajectories`
  -> `Aim`) and a class's greatest range (`max_range`);
* `aiming`: `aim`, the solver that finds the controls that hit a target (`AimProblem`,
  `AimState` and the functions on them);
* `family`: the fit of solved controls over targets from one launch latitude that starts most
  of `aim`'s pairs in a coverage batch;
* `kernels`: the compiled (Numba) kernels behind them; the Runge-Kutta step is
  `shieldsim.integrator`, shared with the boost.

Physics and units are described in each module; inputs at the public edge are SI
(radians, metres, seconds, m/s). ``from shieldsim.trajectory import X`` works for every public
name below.
"""

from .aiming import AIM_TOL, APOGEE_TOL, AimError, aim
from .boosted import Aim, boosted_trajectories, max_range
from .flight import DRAG_CEILING, DRAG_STEP, Flight, Models, Trajectory, burnout_state, fly, fly_states
from .min_energy import MinimumEnergy, minimum_energy

__all__ = [
    "AIM_TOL", "APOGEE_TOL", "DRAG_CEILING", "DRAG_STEP", "Aim", "AimError", "Flight", "MinimumEnergy", "Models",
    "Trajectory", "aim", "boosted_trajectories", "burnout_state", "fly", "fly_states", "max_range", "minimum_energy",
]
