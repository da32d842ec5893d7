"""Why `aim` cannot fly a pair: `AimError` and the messages naming the pair, the class's maximum
range in that direction (`boosted.max_range`) or the shape it cannot fly. Distances in m, angles
in rad; the messages in km and degrees."""

from __future__ import annotations

import math

import numpy as np

from .boosted import max_range


class AimError(ValueError):
    """A flight that `aim` cannot fly. ``cause`` is ``"range"`` when the target lies beyond the
    class's maximum range in that direction, ``"shape"`` when it is within range but the class
    cannot fly the requested shape (kind and apogee) there."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause

    def __reduce__(self):  # picklable, e.g. raised in a Dask task
        return type(self), (str(self), self.cause)


def _pair(j: int, n: int) -> str:
    """The " [pair j]" suffix of messages about one of several pairs."""
    return f" [pair {j}]" if n > 1 else ""


def _unreachable_error(problem, ok, r) -> AimError:
    """The error for the pairs not converged (ok False): the first beyond the class's maximum range
    in its direction (``cause="range"``, with that range), else the first (``cause="shape"``)."""
    missile, models, dist, az_t, n = problem.missile, problem.models, problem.dist, problem.az_t, problem.n
    bad = np.nonzero(~ok)[0]
    reach, _ = max_range(missile, problem.lat[bad], problem.lon[bad], az_t[bad], models)
    over = dist[bad] > reach
    if over.any():
        k = int(np.argmax(over))
        j = int(bad[k])
        return AimError(
            f"target {dist[j] / 1e3:,.0f} km away is beyond the {missile.name} class's maximum range of "
            f"{reach[k] / 1e3:,.0f} km in that direction (launch heading {math.degrees(az_t[j]) % 360:.1f} deg, "
            f"models {models.as_dict()})" + _pair(j, n), "range")
    j = int(bad[0])
    what = f"apogee {problem.h_t[j] / 1e3:.0f} km " if problem.kind != "minimum-energy" else ""
    return AimError(
        f"cannot aim a {problem.kind} {what}flight of the {missile.name} class at a target {dist[j] / 1e3:,.0f} km "
        f"away (launch heading {math.degrees(az_t[j]) % 360:.1f} deg; maximum range in that direction "
        f"{reach[0] / 1e3:,.0f} km): the class cannot fly that shape there "
        f"(remaining miss {np.hypot(r[j, 0], r[j, 1]) / 1e3:.1f} km)" + _pair(j, n), "shape")


def _none_flown(problem) -> AimError:
    return AimError(f"the {problem.missile.name} class cannot fly any of the {problem.n} requested flights", "shape")
