"""Raids and doctrines, the raid-file schema, and per-route windows expanded to (N, B) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


MAX_THREATS = 10_000_000
"""Most threats in one raid: building it takes some 100 bytes per threat (names, times)."""

MAX_PAIRS = 25_000_000
"""Most (threat, battery) pairs of a raid: the engagement windows take some 80 bytes per pair
while the problem is prepared (2 GB at this limit)."""

DOCTRINES = ("one-shot", "salvo", "shoot-look-shoot")

DEFAULT_KILL_ASSESSMENT = 30.0
"""Seconds from intercept to the next firing decision when neither the doctrine nor the
engagement gives one: the same assumption as `shieldsim.engagement` (no authoritative public
figure)."""


@dataclass(frozen=True)
class Raid:
    """N threats. ``launch_time`` (N,) seconds on the scenario clock; ``launch_area``,
    ``aim_point``, ``missile``: (N,) names (tuples of str); ``launch_point``: (N,) names of a
    point within the launch area ("" = the area's first point), or empty."""

    name: str
    launch_time: np.ndarray
    launch_area: tuple[str, ...]
    aim_point: tuple[str, ...]
    missile: tuple[str, ...]
    launch_point: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.launch_time)

    @property
    def aim_points(self) -> tuple[str, ...]:
        """Distinct aim points in order of first appearance."""
        return tuple(dict.fromkeys(self.aim_point))

    @property
    def aim_index(self) -> np.ndarray:
        """(N,) index of each threat's aim point in `aim_points`."""
        lookup = {name: i for i, name in enumerate(self.aim_points)}
        return np.array([lookup[a] for a in self.aim_point], dtype=np.int64)

    @classmethod
    def from_spec(cls, spec: RaidSpec) -> Raid:
        times, areas, aims, missiles, points = [], [], [], [], []
        for w in spec.wave:
            for j in range(w.count):
                times.append(w.launch_time_s + j * w.interval_s)
                areas.append(w.launch_area)
                aims.append(w.aim_point)
                missiles.append(w.missile)
                points.append(w.launch_point)
        return cls(spec.name, np.asarray(times, dtype=float), tuple(areas), tuple(aims), tuple(missiles),
                   tuple(points))

    def point_of(self, i: int) -> str:
        """Launch point name of threat i ("" = the area's first point)."""
        return self.launch_point[i] if self.launch_point else ""

    @classmethod
    def from_dict(cls, doc: dict) -> Raid:
        """From the content of a ``[raid]`` table (see `RaidSpec`)."""
        return cls.from_spec(RaidSpec.model_validate(doc))


@dataclass(frozen=True)
class Doctrine:
    """Firing doctrine shared by all batteries.

    kind: "one-shot" | "salvo" | "shoot-look-shoot".
    salvo_size: interceptors per engagement for "salvo".
    look_size: interceptors per look for "shoot-look-shoot".
    max_looks: most engagements per threat for "shoot-look-shoot" (None: as windows allow).
    kill_assessment: s from intercept until the next shot can be decided; None takes the
        engagement's ``kill_assessment`` if it has one, else `DEFAULT_KILL_ASSESSMENT`.
    """

    kind: str = "shoot-look-shoot"
    salvo_size: int = 2
    look_size: int = 1
    max_looks: int | None = None
    kill_assessment: float | None = None

    def __post_init__(self):
        if self.kind not in DOCTRINES:
            raise ValueError(f"doctrine must be one of {DOCTRINES}, got {self.kind!r}")
        if self.salvo_size < 1 or self.look_size < 1:
            raise ValueError("salvo_size and look_size must be >= 1")
        if self.max_looks is not None and self.max_looks < 1:
            raise ValueError("max_looks must be >= 1 or None")
        if self.kill_assessment is not None and not self.kill_assessment >= 0:
            raise ValueError("kill_assessment must be >= 0 s")

    @property
    def shots_per_engagement(self) -> int:
        return {"one-shot": 1, "salvo": self.salvo_size, "shoot-look-shoot": self.look_size}[self.kind]

    @property
    def looks(self) -> int:
        """Most engagements per threat; 0 means as many as the windows allow."""
        if self.kind != "shoot-look-shoot":
            return 1
        return self.max_looks or 0

    def as_dict(self) -> dict:
        return {"kind": self.kind, "salvo_size": self.salvo_size, "look_size": self.look_size,
                "max_looks": self.max_looks, "kill_assessment_s": self.kill_assessment}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WaveSpec(_Strict):
    """``count`` threats of one kind from one launch area at one aim point, launched
    ``interval_s`` apart from ``launch_time_s``."""

    launch_area: str
    launch_point: str = ""
    aim_point: str
    missile: str = ""
    count: int = Field(1, ge=1, le=1_000_000)
    launch_time_s: float = Field(0.0, ge=0.0, le=1e7)
    interval_s: float = Field(0.0, ge=0.0, le=1e6)
    source: str = ""


class RaidSpec(_Strict):
    """A ``[raid]`` table: ``name`` and one or more ``[[raid.wave]]`` (at most `MAX_THREATS`
    threats in all)."""

    name: str = "raid"
    description: str = ""
    wave: list[WaveSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _size(self):
        total = sum(w.count for w in self.wave)
        if total > MAX_THREATS:
            raise ValueError(f"the waves hold {total:,} threats; at most {MAX_THREATS:,} per raid (building a "
                             "raid takes some 100 bytes of memory per threat)")
        return self


class BatterySpec(_Strict):
    name: str
    inventory: int = Field(ge=0, le=1_000_000)
    sspk: float = Field(ge=0.0, le=1.0)
    source: str = ""


class WindowSpec(_Strict):
    """When ``battery`` can shoot at threats of a route (launch area -> aim point, optionally
    one launch point and one missile): launch window and the intercept times at its two ends,
    s after threat launch."""

    battery: str
    launch_area: str
    launch_point: str | None = None
    aim_point: str
    missile: str | None = None
    launch_earliest_s: float
    launch_latest_s: float
    intercept_first_s: float
    intercept_last_s: float
    source: str = ""

    @model_validator(mode="after")
    def _order(self):
        if not (0 <= self.launch_earliest_s <= self.launch_latest_s):
            raise ValueError("need 0 <= launch_earliest_s <= launch_latest_s")
        if self.intercept_first_s < self.launch_earliest_s or self.intercept_last_s < self.launch_latest_s:
            raise ValueError("an intercept cannot come before its launch")
        return self


class EngagementSpec(_Strict):
    """An ``[engagement]`` table: batteries and windows per route (see docs/battle.md)."""

    models: dict[str, Any] | None = None
    kill_assessment_s: float | None = Field(None, ge=0.0, le=3600.0)
    battery: list[BatterySpec] = Field(min_length=1)
    window: list[WindowSpec] = Field(default_factory=list)


class DoctrineSpec(_Strict):
    kind: Literal["one-shot", "salvo", "shoot-look-shoot"] = "shoot-look-shoot"
    salvo_size: int = Field(2, ge=1, le=64)
    look_size: int = Field(1, ge=1, le=64)
    max_looks: int | None = Field(None, ge=1, le=1000)
    kill_assessment_s: float | None = Field(None, ge=0.0, le=3600.0)

    def doctrine(self) -> Doctrine:
        return Doctrine(self.kind, self.salvo_size, self.look_size, self.max_looks, self.kill_assessment_s)


class RaidFile(_Strict):
    """A stand-alone raid file: ``[raid]``, optionally ``[engagement]`` and ``[doctrine]``."""

    raid: RaidSpec
    engagement: EngagementSpec | None = None
    doctrine: DoctrineSpec | None = None


@dataclass
class WindowEngagement:
    """An engagement given as tables: the `Engagement` fields `simulate` reads, plus the
    battery inventories and names. Times are s after each threat's launch, NaN where none."""

    launch_earliest: np.ndarray
    launch_latest: np.ndarray
    intercept_first: np.ndarray
    intercept_last: np.ndarray
    engageable: np.ndarray
    sspk: np.ndarray
    inventory: np.ndarray
    battery_names: tuple[str, ...]
    models: dict | None = None
    kill_assessment: float | None = None


def engagement_from_spec(spec: EngagementSpec | dict, raid: Raid) -> WindowEngagement:
    """Expand per-route windows to the (N, B) arrays of the raid's threats. A window without
    ``missile`` applies to every missile on its route; a (threat, battery) pair matched by
    no window is not engageable; matched by two is an error."""
    if isinstance(spec, dict):
        spec = EngagementSpec.model_validate(spec)
    names = tuple(b.name for b in spec.battery)
    if len(set(names)) != len(names):
        raise ValueError("battery names must be unique")
    col = {n: j for j, n in enumerate(names)}
    n, nb = len(raid), len(names)
    check_size(n, nb)
    arrays = {k: np.full((n, nb), np.nan) for k in ("le", "ll", "if", "il")}
    matched = np.zeros((n, nb), dtype=np.int64)
    routes, members = _routes(raid)
    for w in spec.window:
        if w.battery not in col:
            raise ValueError(f"window names unknown battery {w.battery!r}; batteries: {list(names)}")
        j = col[w.battery]
        hits = [members[r] for r, (area, aim, missile, point) in enumerate(routes)
                if area == w.launch_area and aim == w.aim_point and (w.missile is None or missile == w.missile)
                and (w.launch_point is None or point == w.launch_point)]
        if not hits:
            continue
        rows = np.concatenate(hits)
        matched[rows, j] += 1
        arrays["le"][rows, j], arrays["ll"][rows, j] = w.launch_earliest_s, w.launch_latest_s
        arrays["if"][rows, j], arrays["il"][rows, j] = w.intercept_first_s, w.intercept_last_s
    if (matched > 1).any():
        i, j = np.argwhere(matched > 1)[0]
        raise ValueError(f"two windows match threat {i} ({raid.launch_area[i]} -> {raid.aim_point[i]}) "
                         f"for battery {names[j]!r}")
    return WindowEngagement(arrays["le"], arrays["ll"], arrays["if"], arrays["il"], matched == 1,
                            np.array([b.sspk for b in spec.battery]),
                            np.array([b.inventory for b in spec.battery], dtype=np.int64), names, spec.models,
                            spec.kill_assessment_s)


def check_size(threats: int, batteries: int) -> None:
    """Refuse a raid too large for memory (`MAX_PAIRS` (threat, battery) pairs), saying why."""
    if threats * batteries > MAX_PAIRS:
        raise ValueError(f"a raid of {threats:,} threats against {batteries} batteries has {threats * batteries:,} "
                         f"(threat, battery) pairs; at most {MAX_PAIRS:,} fit in memory (their engagement windows "
                         "take some 80 bytes each while the raid is prepared)")


def _routes(raid: Raid) -> tuple[list[tuple[str, str, str, str]], list[np.ndarray]]:
    """The raid's distinct routes (launch area, aim point, missile, launch point) and, per
    route, the indices of its threats (vectorised: no Python loop over threats)."""
    n = len(raid)
    if n == 0:
        return [], []
    fields = [raid.launch_area, raid.aim_point, raid.missile,
              raid.launch_point if raid.launch_point else ("",) * n]
    codes, labels = [], []
    for values in fields:
        uniq, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
        codes.append(inverse.astype(np.int64))
        labels.append(uniq)
    key = codes[0]
    for c, lab in zip(codes[1:], labels[1:]):
        key = key * len(lab) + c
    route_keys, route_of = np.unique(key, return_inverse=True)
    order = np.argsort(route_of, kind="stable")
    bounds = np.searchsorted(route_of[order], np.arange(len(route_keys) + 1))
    members = [order[bounds[r]:bounds[r + 1]] for r in range(len(route_keys))]
    routes = [tuple(str(fields[f][m[0]]) for f in range(4)) for m in members]
    return routes, members
