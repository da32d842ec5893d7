"""Threat flights of a scenario: aim its classes from launch points at targets within reach.
"""

from __future__ import annotations

import numpy as np

from .. import scenario as scen
from . import flight_cache
from .architecture import DEFAULT_STEP_S, MIN_RANGE_M, Architecture, reach_tables, reachable


def fly(arch: Architecture, threat: str, lat, lon, target_lat, target_lon, step: float = DEFAULT_STEP_S,
        kind: str | None = None, labels=None, unreachable: str = "raise", apogee: float | None = None):
    """Aim the scenario's threat class ``threat`` from (lat, lon) at targets (rad, arrays);
    kind and apogee (m, for lofted/depressed shapes) from the scenario unless given. With
    ``unreachable="skip"`` pairs the class cannot fly in that shape are left out
    (``Aim.pair_index`` lists the kept). Inside `flight_cache.sharing` (and without
    ``labels``) flights already aimed with the same content are reused."""
    from ..trajectory import aim

    spec = arch.scenario.threats[threat]
    kind = kind or spec.trajectory
    if kind == "minimum-energy":
        apogee = None
    elif apogee is None and spec.apogee_km is not None:
        apogee = spec.apogee_km * 1e3
    missile = arch.missiles[threat]
    cache = flight_cache.current() if labels is None else None
    if cache is None:
        return aim(lat, lon, target_lat, target_lon, missile, arch.models, kind=kind, apogee=apogee,
                   sample_step=step, unreachable=unreachable, labels=labels)
    key = cache.key(missile, arch.models, kind, apogee, step, unreachable, lat, lon, target_lat, target_lon)
    found = cache.get(key, missile)
    if found is not None:
        return found
    from ..trajectory import AimError

    try:
        out = aim(lat, lon, target_lat, target_lon, missile, arch.models, kind=kind, apogee=apogee,
                  sample_step=step, unreachable=unreachable)
    except AimError as err:
        cache.put(key, err)
        raise
    cache.put(key, out)
    return out


def fly_within_reach(arch: Architecture, threat: str, lat, lon, target_lat, target_lon,
                     step: float = DEFAULT_STEP_S, kind: str | None = None, apogee=None):
    """`fly` the pairs (lat, lon) -> (target_lat, target_lon) (rad, arrays) whose target lies
    within the class's reach from its launch point (`reachable`), leaving out those it cannot
    fly in the shape. ``apogee`` (m, lofted/depressed): None (the scenario's), a scalar, or one
    per pair.

    Returns (`trajectory.Aim` of the flown pairs, or None if none is flown; (M,) indices of the
    flown pairs, in the trajectory's order; {pair index: reason} for the pairs left out).
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    target_lat, target_lon = np.asarray(target_lat, float), np.asarray(target_lon, float)
    ok = np.zeros(lat.size, dtype=bool)
    for a, b in dict.fromkeys(zip(lat.tolist(), lon.tolist())):  # one reach table per launch point
        at = (lat == a) & (lon == b)
        ok[at] = reachable(arch.missiles[threat], a, b, target_lat[at], target_lon[at], arch.models)
    reasons = _unreachable_reasons(arch, lat, lon, target_lat, target_lon, np.flatnonzero(~ok))
    idx = np.flatnonzero(ok)
    if not idx.size:
        return None, idx, reasons
    from ..trajectory import AimError

    try:
        traj = fly(arch, threat, lat[idx], lon[idx], target_lat[idx], target_lon[idx], step=step, kind=kind,
                   unreachable="skip", apogee=apogee if np.ndim(apogee) == 0 else np.asarray(apogee, float)[idx])
    except AimError as err:  # the class can fly none of them in this shape
        reasons.update({int(i): " ".join(str(err).split()) for i in idx})
        return None, idx[:0], reasons
    pair_index = getattr(traj, "pair_index", None)  # a plain Trajectory keeps every pair
    kept = idx if pair_index is None else idx[np.asarray(pair_index, dtype=int)]
    shape = kind or arch.scenario.threats[threat].trajectory
    reasons.update({int(i): f"the class cannot fly a {shape} path there" for i in np.setdiff1d(idx, kept)})
    return traj, kept, reasons


def _unreachable_reasons(arch: Architecture, lat, lon, target_lat, target_lon, pairs) -> dict:
    """{pair index: why `reachable` refused it}: too close for a ballistic flight, or beyond reach."""
    from ..earth import geodesic_inverse

    if not len(pairs):
        return {}
    dist, _ = geodesic_inverse(lat[pairs], lon[pairs], target_lat[pairs], target_lon[pairs], arch.models.earth)
    return {int(i): (f"launch and aim points {d / 1e3:.1f} km apart, closer than the {MIN_RANGE_M / 1e3:g} km a "
                     "ballistic flight needs" if d < MIN_RANGE_M else "beyond the class's maximum range")
            for i, d in zip(pairs, dist.tolist())}


class SelectionError(ValueError):
    """A selection of scenario flights that cannot be flown; ``what`` names the selector at
    fault: "scenario", "threat", "area", "target" or "max_flights"."""

    def __init__(self, what: str, message: str):
        super().__init__(message)
        self.what = what

    def __reduce__(self):
        return type(self), (self.what, str(self))


def scenario_flights(arch: Architecture, threat: str | None = None, area: str | None = None,
                     target: str | None = None, step: float = DEFAULT_STEP_S, kind: str | None = None,
                     max_flights: int | None = None):
    """Fly the scenario's threat classes from the points of their launch areas to its aim
    points, each selector (a threat class, launch area or aim point name) narrowing the choice.

    A pair is flown (`fly_within_reach`, scenario shape unless ``kind``; sample step ``step`` s)
    only when the target is within the class's reach from that launch point; pairs out of reach
    or that the class cannot fly in that shape are skipped. Flights of one launch area and class
    are aimed in one batch.

    Returns:
        (`trajectory.Trajectory` of the flights on one NaN-padded grid, (N,) labels
        "class point -> aim point" (also the trajectory's ``labels``), list of skipped pairs
        as "class point -> aim point: reason").

    Raises:
        SelectionError: an unknown name, nothing selected, more than ``max_flights`` pairs
            selected (counted before the reach test), or no selected pair can be flown.
    """
    from ..trajectory import Trajectory

    sc = arch.scenario
    if not sc.threats or not sc.launch_areas or not sc.aim_points:
        raise SelectionError("scenario", f"scenario {sc.name!r} defines no threats, launch areas or aim points to fly")
    for what, name, known in (("threat", threat, sc.threats), ("area", area, sc.launch_areas),
                              ("target", target, sc.aim_points)):
        if name is not None and name not in known:
            raise SelectionError(what, f"unknown {_SELECTOR_NOUN[what]} {name!r}; allowed: {', '.join(known)}")
    aims = scen.aim_points(sc)
    cols = np.array([k for k, n in enumerate(aims.names) if target is None or n == target], dtype=int)
    groups = [(cls, scen.launch_points(sc, a)) for a, spec in sc.launch_areas.items() if area in (None, a)
              for cls in spec.threats if threat in (None, cls)]
    if not groups:
        raise SelectionError("threat", f"no selected launch area launches {threat!r}")
    total = sum(len(pts.names) for _, pts in groups) * cols.size
    if max_flights is not None and total > max_flights:
        raise SelectionError("max_flights", f"{total} flights selected, more than the limit of {max_flights}")
    for cls in dict.fromkeys(c for c, _ in groups):  # every launch point of a class in one batch
        where = [pts for c, pts in groups if c == cls]
        reach_tables(arch.missiles[cls], np.concatenate([p.lat for p in where]),
                     np.concatenate([p.lon for p in where]), arch.models)
    parts, labels, skipped = [], [], []
    for cls, pts in groups:
        li, ti = (g.ravel() for g in np.meshgrid(np.arange(len(pts.names)), cols, indexing="ij"))
        names = np.array([f"{cls} {pts.names[a]} -> {aims.names[b]}" for a, b in zip(li, ti)], dtype=object)
        traj, kept, reasons = fly_within_reach(arch, cls, pts.lat[li], pts.lon[li], aims.lat[ti], aims.lon[ti],
                                               step=step, kind=kind)
        skipped += [f"{names[i]}: {why}" for i, why in reasons.items()]
        if traj is not None:
            parts.append(traj)
            labels += list(names[kept])
    if not parts:
        raise SelectionError("target", "no selected flight can be flown: " +
                             (skipped[0] if len(skipped) == 1 else f"{len(skipped)} pairs, e.g. {skipped[0]}"))
    traj = Trajectory.concat(parts)
    traj.labels = np.array(labels, dtype=object)
    return traj, traj.labels, skipped


_SELECTOR_NOUN = {"threat": "threat class", "area": "launch area", "target": "aim point"}
