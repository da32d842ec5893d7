"""One raid against one engagement as the plain arrays a chunk of trials needs (`_Problem`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .raids import Doctrine, Raid, check_size


@dataclass(frozen=True)
class _Problem:
    """Everything a chunk of trials needs, as plain arrays (picklable for Dask)."""

    launch_time: np.ndarray  # (N,)
    le: np.ndarray  # (N, B) launch_earliest, s after threat launch
    ll: np.ndarray
    i_first: np.ndarray
    i_last: np.ndarray
    engageable: np.ndarray  # (N, B) bool
    sspk: np.ndarray  # (B,)
    inventory: np.ndarray  # (B,) int64
    deadline: np.ndarray  # (N,) scenario clock
    aim_index: np.ndarray  # (N,)
    n_aims: int
    shots_per_engagement: int
    looks: int
    kill_assessment: float
    max_shots: int  # uniforms per (trial, threat)
    seed: int


def _inventory_of(engagement, inventory) -> np.ndarray:
    if inventory is not None:
        return np.asarray(inventory, dtype=np.int64)
    if getattr(engagement, "inventory", None) is not None:
        return np.asarray(engagement.inventory, dtype=np.int64)
    batteries = getattr(engagement, "batteries", None)
    if batteries is not None:
        return np.array([b.inventory for b in batteries], dtype=np.int64)
    raise ValueError("no inventories: pass inventory=, or an engagement with .inventory or .batteries")


def battery_names(engagement) -> tuple[str, ...]:
    """Names of the engagement's batteries (``battery_names``, ``batteries[].name``, or numbered)."""
    names = getattr(engagement, "battery_names", None)
    if names is None and getattr(engagement, "batteries", None) is not None:
        names = [b.name for b in engagement.batteries]
    if names is None:
        names = [f"battery-{j}" for j in range(np.shape(engagement.sspk)[0])]
    return tuple(names)


def _problem(engagement, raid: Raid, doctrine: Doctrine, seed: int, inventory=None) -> _Problem:
    le = np.asarray(engagement.launch_earliest, dtype=float)
    ll = np.asarray(engagement.launch_latest, dtype=float)
    i_first = np.asarray(engagement.intercept_first, dtype=float)
    i_last = np.asarray(engagement.intercept_last, dtype=float)
    sspk = np.asarray(engagement.sspk, dtype=float).reshape(-1)
    n, nb = le.shape
    if len(raid) != n:
        raise ValueError(f"raid has {len(raid)} threats but the engagement has {n}")
    check_size(n, nb)
    inv = _inventory_of(engagement, inventory)
    if inv.shape != (nb,) or sspk.shape != (nb,):
        raise ValueError(f"need {nb} inventories and SSPKs, got {inv.shape} and {sspk.shape}")
    if (inv < 0).any() or ((sspk < 0) | (sspk > 1)).any():
        raise ValueError("inventories must be >= 0 and SSPK within [0, 1]")
    eng = np.asarray(engagement.engageable, dtype=bool) & np.isfinite(le) & np.isfinite(ll) \
        & np.isfinite(i_first) & np.isfinite(i_last)
    if (eng & ((ll < le) | (i_first < le) | (i_last < ll))).any():
        raise ValueError("every engageable window needs launch_earliest <= launch_latest and intercepts after launch")
    launch_time = np.asarray(raid.launch_time, dtype=float)
    le_m, ll_m = np.where(eng, le, np.inf), np.where(eng, ll, -np.inf)
    deadline = launch_time + ll_m.max(axis=1)
    # Most engagements a threat can see: consecutive looks are at least (shortest flight +
    # kill assessment) apart and all lie within the union of its launch windows.
    looks = doctrine.looks
    if doctrine.kind == "shoot-look-shoot":
        flight = np.minimum(i_first - le, i_last - ll)
        step = np.where(eng, flight, np.inf).min(axis=1) + doctrine.kill_assessment
        span = np.where(eng.any(axis=1), ll_m.max(axis=1) - le_m.min(axis=1), 0.0)
        if (eng.any(axis=1) & (step <= 0)).any():
            raise ValueError("shoot-look-shoot needs a kill assessment time or flight time > 0")
        with np.errstate(invalid="ignore", divide="ignore"):
            bound = np.where(eng.any(axis=1), 1 + np.floor(span / step + 1e-9), 0)
        most = int(bound.max()) if n else 0
        if looks:
            most = min(most, looks)
    else:
        most = 1 if eng.any() else 0
    max_shots = max(1, min(most * doctrine.shots_per_engagement, int(inv.sum())))
    return _Problem(launch_time, le, ll, i_first, i_last, eng, sspk, inv, deadline, raid.aim_index,
                    len(raid.aim_points), doctrine.shots_per_engagement, looks, float(doctrine.kill_assessment),
                    max_shots, int(seed))
