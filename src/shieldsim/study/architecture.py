"""A scenario converted once into physics objects (`Architecture`), and the reach rule.

Reach: a launch point threatens a target only if the target lies within the class's maximum
range in that direction (`trajectory.max_range`, tabulated every `AZIMUTH_STEP_DEG` degrees of
launch azimuth per launch point and interpolated; the tables are memoised in one bounded
`ReachCache`). `provenance` is the record of what produced a result.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .. import scenario as scen
from .flight_cache import flight_missile


AZIMUTH_STEP_DEG = 5.0
"""Spacing of the tabulated maximum range against launch azimuth, degrees."""

MIN_RANGE_M = 50e3
"""Targets closer than this to a launch point are not flown (not a ballistic-missile target)."""

DEFAULT_STEP_S = 2.0
"""Sample step of threat flights for detection and engagement, seconds."""


@dataclass
class Architecture:
    """A scenario converted once into the objects the physics takes."""

    scenario: scen.Scenario
    models: object
    missiles: dict
    batteries: list
    battery_networks: list
    networks: dict

    @classmethod
    def from_scenario(cls, sc: scen.Scenario) -> Architecture:
        return cls(sc, scen.models(sc), scen.missiles(sc), scen.batteries(sc), scen.battery_networks(sc),
                   {n.name: n for n in scen.networks(sc)})

    @property
    def name(self) -> str:
        return self.scenario.name


class ReachCache(OrderedDict):
    """Reach tables (`reach_table`) by (class without its cross-sections (`flight_missile`), point, models), least recently used first,
    holding at most ``maxsize`` tables (72 floats each; 4096 tables are about 2.4 MB). Shared by
    every architecture that flies the same class under the same models (the cooperation options
    and phases of one study reuse each other's tables), so it is one instance, `_REACH_CACHE`,
    rather than an attribute of one `Architecture`."""

    def __init__(self, maxsize: int = 4096):
        super().__init__()
        self.maxsize = maxsize

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


_REACH_CACHE = ReachCache()


def _reach_key(missile, lat: float, lon: float, models) -> tuple:
    """The classes' flight parameters (radar cross-sections left out: they do not change the
    reach, e.g. under a profile that sets them), the point and the models."""
    return (flight_missile(missile), round(lat, 9), round(lon, 9), models)


def reach_table(missile, lat: float, lon: float, models) -> np.ndarray:
    """Maximum range (m) of ``missile`` from (lat, lon) (rad) at launch azimuths 0, 5, ...,
    355 degrees (cached per class, point and models)."""
    reach_tables(missile, lat, lon, models)
    return _REACH_CACHE[_reach_key(missile, float(lat), float(lon), models)]


def reach_tables(missile, lat, lon, models) -> None:
    """Fill the `reach_table` cache for many launch points (rad, arrays) of one class in a
    single batched `trajectory.max_range` call (the same figures, fewer calls)."""
    points = dict.fromkeys(zip(np.ravel(lat).astype(float).tolist(), np.ravel(lon).astype(float).tolist()))
    _fill(missile, models, {p: np.arange(_azimuths().size) for p in points})


def _azimuths() -> np.ndarray:
    """The tabulated launch azimuths, rad."""
    return np.radians(np.arange(0.0, 360.0, AZIMUTH_STEP_DEG))


def _fill(missile, models, wanted: dict) -> None:
    """Compute, in one `trajectory.max_range` call, the entries ``wanted`` ({(lat, lon): azimuth
    indices}) that the cached tables lack. A table in the cache may be partial (NaN where an
    azimuth was never needed: `reachable` asks only for the azimuths its targets lie between)."""
    from ..trajectory import max_range

    az = _azimuths()
    _load_stored(missile, models)
    todo = []  # (key, table, missing indices, lat, lon)
    for (a, b), idx in wanted.items():
        key = _reach_key(missile, a, b, models)
        table = _REACH_CACHE[key] if key in _REACH_CACHE else np.full(az.size, np.nan)
        missing = np.unique(idx)[np.isnan(table[np.unique(idx)])]
        if missing.size:
            todo.append((key, table, missing, a, b))
    if not todo:
        return
    plat = np.concatenate([np.full(m.size, a) for _, _, m, a, _ in todo])
    plon = np.concatenate([np.full(m.size, b) for _, _, m, _, b in todo])
    reach = max_range(missile, plat, plon, np.concatenate([az[m] for _, _, m, _, _ in todo]), models)[0]
    start = 0
    for key, table, missing, _, _ in todo:
        table = table.copy()
        table[missing] = reach[start:start + missing.size]
        start += missing.size
        _REACH_CACHE[key] = table
    _save_stored(missile, models)


_STORED_GROUPS: set = set()
"""The (class flight parameters, models) whose stored reach tables this process has read."""


def _stored_key(missile, models) -> tuple:
    """The `stored` key of one class's reach tables under ``models`` (every launch point in one
    entry): the class's flight parameters, the models and the tabulated azimuths."""
    return (flight_missile(missile), models, AZIMUTH_STEP_DEG)


def _merged(table: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``table`` with its missing (NaN) azimuths taken from ``other``. Where both hold a value
    the two agree to the last bits (`trajectory.max_range` of another batch moves them by
    < 1 mm); ``table``'s is kept."""
    return np.where(np.isnan(table), other, table)


def _load_stored(missile, models) -> None:
    """Once per process and (class, models): merge the reach tables kept on disk (`stored`,
    written by `_save_stored` of earlier processes) into `_REACH_CACHE`, the stored values
    first (a table entry once stored is the one every later process uses)."""
    from .. import stored

    group = _stored_key(missile, models)
    if group in _STORED_GROUPS:
        return
    _STORED_GROUPS.add(group)
    data = stored.load("reach", group)
    if data is None or set(data) != {"points", "tables"} or data["tables"].shape != (len(data["points"]), _azimuths().size):
        return
    cls = flight_missile(missile)
    for (a, b), table in zip(data["points"].tolist(), data["tables"]):
        key = (cls, a, b, models)
        _REACH_CACHE[key] = _merged(table, _REACH_CACHE[key]) if key in _REACH_CACHE else table.copy()


def _save_stored(missile, models) -> None:
    """Keep this process's reach tables of (class, models), merged with those on disk (their
    values first), for the next process (`stored`; two processes saving at once: one's new
    entries may be lost, and are computed again when asked for)."""
    from .. import stored

    group = _stored_key(missile, models)
    cls = flight_missile(missile)
    tables = {(k[1], k[2]): v for k, v in _REACH_CACHE.items() if k[0] == cls and k[3] == models}
    data = stored.load("reach", group)
    if data is not None and set(data) == {"points", "tables"} and data["tables"].shape == (len(data["points"]), _azimuths().size):
        for p, table in zip(map(tuple, data["points"].tolist()), data["tables"]):
            tables[p] = _merged(table, tables[p]) if p in tables else table
    points = np.array(list(tables), dtype=float).reshape(-1, 2)
    stored.save("reach", group, {"points": points, "tables": np.array(list(tables.values()), dtype=float).reshape(-1, _azimuths().size)})


def reachable(missile, lat: float, lon: float, target_lat, target_lon, models) -> np.ndarray:
    """(M,) bool: targets (rad) within the class's reach from (lat, lon), with a 0.5 % margin
    for the interpolation between tabulated azimuths, and beyond `MIN_RANGE_M`. Only the
    tabulated azimuths the targets lie between are computed (and kept for the next call)."""
    return reachable_from(missile, [lat], [lon], target_lat, target_lon, models)[0]


def reachable_from(missile, lat, lon, target_lat, target_lon, models) -> list:
    """`reachable` of the targets (rad) from each of P launch points (rad): P bool arrays shaped
    like the targets,
    the reach tables of every point filled in one `trajectory.max_range` call (each table entry
    is a function of its class, point and azimuth alone, so it is the same as filled point by
    point; fewer, larger calls)."""
    from ..earth import geodesic_inverse

    n = _azimuths().size
    step = math.radians(AZIMUTH_STEP_DEG)
    points = [(float(a), float(b)) for a, b in zip(np.ravel(lat), np.ravel(lon))]
    where = []
    for a, b in points:
        dist, az = geodesic_inverse(np.full(np.shape(target_lat), a), np.full(np.shape(target_lon), b),
                                    target_lat, target_lon, models.earth)
        x = np.mod(az, 2 * np.pi) / step
        i = np.floor(x).astype(int) % n
        where.append((dist, i, x - np.floor(x)))
    wanted: dict = {}
    for p, (_, i, _) in zip(points, where):
        wanted[p] = np.concatenate([wanted.get(p, np.empty(0, dtype=int)), np.ravel(i), (np.ravel(i) + 1) % n])
    _fill(missile, models, wanted)
    out = []
    for (a, b), (dist, i, w) in zip(points, where):
        key = _reach_key(missile, a, b, models)
        table = _REACH_CACHE[key] if key in _REACH_CACHE else np.full(n, np.nan)  # no target: nothing computed
        reach = (1 - w) * table[i] + w * table[(i + 1) % n]
        out.append((dist <= 0.995 * reach) & (dist >= MIN_RANGE_M))
    return out


def provenance(arch: Architecture, **extra) -> dict:
    """What produced a result: scenario, model switches, shieldsim version, rules and options."""
    from .. import __version__

    rules = "reach: tabulated max range; sectors: first-intercept point" if arch.scenario.sectors else \
        "reach: tabulated max range"
    out = {"scenario": arch.name, "version": __version__, "rules": rules}
    out.update({f"model_{k}": str(v) for k, v in arch.models.as_dict().items()})
    out["model_refraction"] = scen.refraction_summary(arch.scenario)
    out.update(extra)
    return out
