"""Raids against a defence with finite inventories: firing doctrine, assignment and a seeded
Monte Carlo of the outcome.

Inputs are the per (threat, battery) windows of an `Engagement` (see docs/architecture.md):
``launch_earliest``, ``launch_latest``, ``intercept_first``, ``intercept_last`` (seconds after
the threat's launch, (N, B)), ``engageable`` (N, B) and ``sspk`` (B,), plus each battery's
inventory. A shot launched at L in [launch_earliest, launch_latest] intercepts at the time
interpolated linearly between intercept_first and intercept_last.

Model of one trial (all times on the scenario clock):

* Batteries fire any number of interceptors at once (no launcher-rate limit); a battery can
  fire while it has inventory left. Each interceptor kills its threat independently with the
  battery's SSPK. Nothing else is modelled (no decoys, no correlated failures).
* Doctrines: ``one-shot`` (one interceptor, no second engagement), ``salvo`` (``salvo_size``
  interceptors at once, no second engagement), ``shoot-look-shoot`` (``look_size``
  interceptors, wait for the intercept plus ``kill_assessment`` seconds, fire again if the
  threat survived and a window is still open, up to ``max_looks`` engagements).
* Assignment rule — greedy, time-ordered, earliest deadline first: every threat has a next
  decision time (when its first window opens; after a failed look, its intercept time plus
  the kill assessment). Decisions are taken in time order; threats ready at the same moment are
  served in order of their deadline (the last moment any battery could still launch at them),
  then by index. A served threat gets, among batteries with inventory whose launch window is
  open at that moment, the one whose interceptor arrives first. If none is open yet but one
  opens later, the decision waits for it; if none is left, the threat leaks.

Randomness: trials are grouped in blocks of `TRIAL_BLOCK`; block k draws its uniforms from
``Generator(PCG64(SeedSequence(seed, spawn_key=(k,))))`` — the k-th child of
``SeedSequence(seed).spawn`` — always for the whole block, one number per (trial, threat,
shot number), drawn shot-major (all of shot 0 for the block, then shot 1, ...). A trial's
outcome therefore depends only on (seed, trial index), never on how the trials are cut into
chunks or spread over workers; and the number used by a given (trial, threat, shot) does not
depend on the doctrine or inventories, so runs (sweep points) that differ only there use common
random numbers and differ only where the physics does.

Size (an exception to the ~800-line rule, by 50 lines): the raid model, the compiled trial
kernel it drives and the chunked Monte Carlo are one concept; the kernel's state arrays are
shared by all three.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numba import njit
from pydantic import BaseModel, ConfigDict, Field, model_validator

TRIAL_BLOCK = 128
"""Trials per random-number block (see module docstring)."""

CHUNK_TRIALS_UNIT = 32_768
"""Default chunks hold at most this many trials (some 100 ms of kernel time), so the few ms of
scheduling and transfer per Dask task, which on a small machine take the workers' cores, stay
small (see `default_chunk_trials`)."""

CHUNK_THREAT_TRIALS = 2**21
"""Default chunks of large raids hold at most this many threat-trials (trials x threats), about
1.5 s of kernel time, so a raid of thousands of threats reports progress chunk by chunk."""

MAX_CHUNK_THREAT_VALUES = 2**27
"""Every chunk returns one count per threat (``threat_leaks``), all held until the chunks are
summed: chunks x threats stays below this (1 GiB of int64), so large raids get fewer, longer
chunks rather than exhausting memory."""

UNIFORM_BYTES = 64 * 2**20
"""Memory for the uniforms a kernel call consumes at once; a block of `TRIAL_BLOCK` trials of a
large raid is drawn in pieces (same numbers, see `_uniforms`)."""

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

_EPS = 1e-9  # s: tolerance for "window open at this instant"


# --------------------------------------------------------------------------------------------
# Raid and doctrine


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


# --------------------------------------------------------------------------------------------
# File schema (human units in keys)


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


# --------------------------------------------------------------------------------------------
# Problem set-up


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


# --------------------------------------------------------------------------------------------
# Kernel


@njit(cache=True, nogil=True, inline="always")
def _before(a, b, next_t, deadline):
    """Decision order: earlier time, then earlier deadline, then lower index (a total order:
    times are finite or +inf, deadlines finite or -inf, never NaN)."""
    if next_t[a] != next_t[b]:
        return next_t[a] < next_t[b]
    if deadline[a] != deadline[b]:
        return deadline[a] < deadline[b]
    return a < b


@njit(cache=True, nogil=True)
def _heap_push(heap, size, i, next_t, deadline):
    """Add threat i to the binary min-heap ``heap[:size]``; returns the new size."""
    k = size
    heap[k] = i
    while k > 0:
        parent = (k - 1) // 2
        if not _before(heap[k], heap[parent], next_t, deadline):
            break
        heap[k], heap[parent] = heap[parent], heap[k]
        k = parent
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(heap, size, next_t, deadline):
    """Remove the first threat of ``heap[:size]`` in decision order; returns it."""
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    k = 0
    while True:
        left = 2 * k + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and _before(heap[left + 1], heap[left], next_t, deadline):
            child = left + 1
        if not _before(heap[child], heap[k], next_t, deadline):
            break
        heap[k], heap[child] = heap[child], heap[k]
        k = child
    return top


@njit(cache=True, nogil=True)
def _battle_kernel(u, launch_time, le, ll, i_first, i_last, eng, sspk, inventory, deadline, aim_index,
                   shots_per_engagement, looks, kill_assessment, leakers, expended, threat_leaks):
    """Play T trials. u: (T, N, S) uniforms. Writes leakers (T, A), expended (T, B) and adds
    to threat_leaks (N,). See the module docstring for the rules. The threats awaiting a
    decision are kept in a binary heap in decision order, so a trial costs O(D (B + log N)) for
    D decisions, not O(D N)."""
    n_trials, n, n_shots = u.shape
    nb = sspk.shape[0]
    inv = np.empty(nb, dtype=np.int64)
    next_t = np.empty(n)
    used = np.empty(n, dtype=np.int64)
    nlooks = np.empty(n, dtype=np.int64)
    heap = np.empty(n, dtype=np.int64)
    for t in range(n_trials):
        for b in range(nb):
            inv[b] = inventory[b]
        size = 0
        for i in range(n):
            used[i] = 0
            nlooks[i] = 0
            first = np.inf
            for b in range(nb):
                if eng[i, b] and le[i, b] < first:
                    first = le[i, b]
            next_t[i] = launch_time[i] + first
            size = _heap_push(heap, size, i, next_t, deadline)
        while size > 0:
            # next decision: earliest time, then earliest deadline, then lowest index
            i = _heap_pop(heap, size, next_t, deadline)
            size -= 1
            s = next_t[i] - launch_time[i]
            best_b = -1
            best_int = np.inf
            opens = np.inf
            for b in range(nb):
                if not eng[i, b] or inv[b] <= 0:
                    continue
                if le[i, b] <= s + 1e-9 and s <= ll[i, b] + 1e-9:
                    span = ll[i, b] - le[i, b]
                    if span > 0:
                        frac = min(max((s - le[i, b]) / span, 0.0), 1.0)
                    else:
                        frac = 0.0
                    ti = i_first[i, b] + frac * (i_last[i, b] - i_first[i, b])
                    if ti < best_int:
                        best_int = ti
                        best_b = b
                elif le[i, b] > s and le[i, b] < opens:
                    opens = le[i, b]
            if best_b < 0:
                if opens < np.inf:
                    next_t[i] = launch_time[i] + opens
                    size = _heap_push(heap, size, i, next_t, deadline)
                else:
                    leakers[t, aim_index[i]] += 1
                    threat_leaks[i] += 1
                continue
            k = min(shots_per_engagement, inv[best_b])
            inv[best_b] -= k
            expended[t, best_b] += k
            killed = False
            for _ in range(k):
                if used[i] < n_shots and u[t, i, used[i]] < sspk[best_b]:
                    killed = True
                used[i] += 1
            nlooks[i] += 1
            if killed:
                continue
            if looks == 0 or nlooks[i] < looks:
                next_t[i] = launch_time[i] + best_int + kill_assessment
                size = _heap_push(heap, size, i, next_t, deadline)
            else:
                leakers[t, aim_index[i]] += 1
                threat_leaks[i] += 1


def _block_generator(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def _uniforms(seed: int, block: int, first: int, last: int, n: int, shots: int) -> np.ndarray:
    """(last - first, n, shots) uniforms of trials [first, last) of a block (offsets within the
    block). Shot-major draw: the number for (trial t, threat i, shot s) is draw number
    ``(s * TRIAL_BLOCK + t) * n + i`` of the block's generator, so it does not depend on how many
    shots the problem allows -- runs that differ only in doctrine or inventory share their random
    numbers (common random numbers across the points of a sweep). A whole block that fits in
    `UNIFORM_BYTES` is drawn at once; otherwise each shot's rows are reached by jumping the
    generator (``PCG64.advance``: one 64-bit output per double), giving the same numbers."""
    if first == 0 and last == TRIAL_BLOCK and shots * TRIAL_BLOCK * n * 8 <= UNIFORM_BYTES:
        u = _block_generator(seed, block).random((shots, TRIAL_BLOCK, n))
        return np.ascontiguousarray(u.transpose(1, 2, 0))
    u = np.empty((last - first, n, shots))
    for s in range(shots):
        gen = _block_generator(seed, block)
        gen.bit_generator.advance((s * TRIAL_BLOCK + first) * n)
        u[:, :, s] = gen.random((last - first, n))
    return u


def _simulate_range(problem: _Problem, bounds: tuple[int, int]) -> dict:
    """Trials [start, stop) of the problem -> dict of arrays (leakers, expended, threat_leaks)."""
    start, stop = bounds
    p = problem
    n, nb = p.le.shape
    t = stop - start
    leakers = np.zeros((t, p.n_aims), dtype=np.int32)
    expended = np.zeros((t, nb), dtype=np.int32)
    threat_leaks = np.zeros(n, dtype=np.int64)
    rows = max(1, min(TRIAL_BLOCK, UNIFORM_BYTES // max(1, p.max_shots * n * 8)))  # trials drawn at once
    lo = start
    while lo < stop:
        block = lo // TRIAL_BLOCK
        hi = min(stop, (block + 1) * TRIAL_BLOCK, lo + rows) if rows < TRIAL_BLOCK else \
            min(stop, (block + 1) * TRIAL_BLOCK)
        first = lo - block * TRIAL_BLOCK
        if rows == TRIAL_BLOCK:  # small raid: draw the whole block (cheaper than jumping), use a part
            u = _uniforms(p.seed, block, 0, TRIAL_BLOCK, n, p.max_shots)[first: first + hi - lo]
        else:
            u = _uniforms(p.seed, block, first, first + hi - lo, n, p.max_shots)
        _battle_kernel(np.ascontiguousarray(u), p.launch_time, p.le, p.ll, p.i_first, p.i_last, p.engageable,
                       p.sspk, p.inventory, p.deadline, p.aim_index, p.shots_per_engagement, p.looks,
                       p.kill_assessment, leakers[lo - start: hi - start], expended[lo - start: hi - start],
                       threat_leaks)
        lo = hi
    return {"leakers": leakers, "expended": expended, "threat_leaks": threat_leaks}


# --------------------------------------------------------------------------------------------
# Public entry point and result


@dataclass
class BattleResult:
    """Outcome of `simulate`.

    leakers: (T, A) threats reaching each aim point per trial (aim points: ``aim_points``).
    expended: (T, B) interceptors fired per battery per trial (batteries: ``batteries``).
    defeated: (T,) True where no threat leaked.
    threat_leaks: (N,) trials in which each threat leaked.
    """

    trials: int
    seed: int
    doctrine: Doctrine
    aim_points: tuple[str, ...]
    batteries: tuple[str, ...]
    inventory: np.ndarray
    leakers: np.ndarray
    expended: np.ndarray
    threat_leaks: np.ndarray
    chunks: dict = field(default_factory=dict)

    @property
    def defeated(self) -> np.ndarray:
        return self.leakers.sum(axis=1) == 0

    def summary(self) -> dict:
        """Estimates with standard errors (binomial for probabilities, sample for means)."""
        t = self.trials
        p_def = float(self.defeated.mean()) if t else math.nan
        total = self.leakers.sum(axis=1)

        def mean_se(x):
            return float(x.mean()), float(x.std(ddof=1) / math.sqrt(t)) if t > 1 else math.nan

        aims = {}
        for a, name in enumerate(self.aim_points):
            m, se = mean_se(self.leakers[:, a])
            p_any = float((self.leakers[:, a] > 0).mean())
            aims[name] = {"mean_leakers": m, "mean_leakers_se": se, "p_any_leaker": p_any,
                          "p_any_leaker_se": math.sqrt(p_any * (1 - p_any) / t)}
        bats = {}
        for b, name in enumerate(self.batteries):
            m, se = mean_se(self.expended[:, b])
            bats[name] = {"inventory": int(self.inventory[b]), "mean_expended": m, "mean_expended_se": se,
                          "max_expended": int(self.expended[:, b].max()) if t else 0}
        m, se = mean_se(total)
        return {
            "trials": t,
            "p_raid_defeated": p_def,
            "p_raid_defeated_se": math.sqrt(p_def * (1 - p_def) / t) if t else math.nan,
            "mean_leakers": m,
            "mean_leakers_se": se,
            "leakers_histogram": np.bincount(total, minlength=1).tolist(),
            "aim_points": aims,
            "batteries": bats,
            "threat_leak_probability": (self.threat_leaks / max(t, 1)).tolist(),
        }


def trial_chunks(trials: int, chunk_trials: int) -> list[tuple[int, int]]:
    """Cut trials [0, trials) into consecutive ranges of ``chunk_trials``."""
    return [(s, min(trials, s + chunk_trials)) for s in range(0, trials, chunk_trials)]


def default_chunk_trials(trials: int, threats: int = 0) -> int:
    """Trials per chunk: one chunk up to `CHUNK_TRIALS_UNIT` trials; beyond that, one chunk per
    unit begun, rounded up to a multiple of four (so 2 or 4 workers share them evenly) and at
    most 32, of equal whole `TRIAL_BLOCK`s; chunks never exceed 65,536 trials (so more than 32
    beyond 2,097,152 trials). For a raid of ``threats`` threats, chunks hold at most
    `CHUNK_THREAT_TRIALS` threat-trials (about 1.5 s each, so progress shows), but no more
    than `MAX_CHUNK_THREAT_VALUES` / threats chunks in all. Independent of the number of
    workers, so a run can be resumed on another cluster."""
    chunks = max(1, math.ceil(trials / CHUNK_TRIALS_UNIT))
    if chunks > 1:
        chunks = min(32, 4 * math.ceil(chunks / 4))
    blocks = math.ceil(trials / chunks / TRIAL_BLOCK)
    size = min(blocks * TRIAL_BLOCK, 65_536)
    if threats > 0:
        size = min(size, max(1, CHUNK_THREAT_TRIALS // threats))
        size = max(size, math.ceil(trials / max(1, MAX_CHUNK_THREAT_VALUES // threats)))
    return size


def simulate(engagement, raid: Raid, doctrine: Doctrine | str = "shoot-look-shoot", trials: int = 1000,
             seed: int = 0, executor=None, *, inventory=None, chunk_trials: int | None = None,
             out_dir: str | Path | None = None, resume: bool = True, progress: bool = False,
             params: dict | None = None, job_info: dict | None = None) -> BattleResult:
    """Monte Carlo of a raid against the engagement's batteries.

    Args:
        engagement: any object with the `Engagement` arrays ``launch_earliest``,
            ``launch_latest``, ``intercept_first``, ``intercept_last``, ``engageable`` (N, B; s
            after threat launch) and ``sspk`` (B,), plus inventories as ``inventory`` (B,) or
            ``batteries[].inventory`` (or pass ``inventory=``).
        raid: the N threats (launch times on the scenario clock, aim points).
        doctrine: a `Doctrine` or its kind name.
        trials, seed: number of trials and the seed of ``numpy.random.SeedSequence``.
        executor: a `shieldsim.parallel` back-end (default in-process).
        chunk_trials: trials per chunk (default: the chunking of the run in ``out_dir`` when
            resuming one, else `default_chunk_trials`).
        out_dir: if given, chunks are written there and a killed run can be resumed
            (`shieldsim.parallel.run_chunks`); ``params`` are extra job parameters for its manifest,
            ``job_info`` a description kept there but not compared on resume.
    Returns a `BattleResult`; identical for the same seed whatever the chunking and workers.
    """
    from . import parallel

    if isinstance(doctrine, str):
        doctrine = Doctrine(doctrine)
    if trials < 1:
        raise ValueError("trials must be >= 1")
    if not 0 <= int(seed) < 2**63:
        raise ValueError("seed must be within [0, 2^63)")
    if doctrine.kill_assessment is None:
        ka = getattr(engagement, "kill_assessment", None)
        doctrine = replace(doctrine, kill_assessment=float(DEFAULT_KILL_ASSESSMENT if ka is None else ka))
    problem = _problem(engagement, raid, doctrine, seed, inventory)
    if not chunk_trials and out_dir is not None and resume:  # keep a resumed run's chunks
        started = parallel.job_params(out_dir)
        chunk_trials = started.get("chunk_trials") if isinstance(started, dict) else None
    chunk_trials = chunk_trials or default_chunk_trials(trials, len(raid))
    ranges = trial_chunks(trials, chunk_trials)
    fn = partial(_simulate_range, problem)
    ex = executor or parallel.InProcessExecutor()
    info: dict = {"chunks": len(ranges), "chunk_trials": chunk_trials}
    if out_dir is None:
        parts = ex.map(fn, ranges, progress=progress, description="trials")
        info.update(computed=len(ranges), loaded=0)
    else:
        job = {"kind": "battle.simulate", "trials": trials, "seed": int(seed), "doctrine": doctrine.as_dict(),
               "chunk_trials": chunk_trials, "problem": _fingerprint(problem), **(params or {})}
        chunks = [parallel.Chunk(f"trials-{a:010d}-{b:010d}", (a, b)) for a, b in ranges]
        run = parallel.run_chunks(fn, chunks, out_dir, resume=resume, progress=progress, executor=ex,
                                  params=job, description="trials", info=job_info)
        parts = run.results
        info.update(computed=len(run.computed), loaded=len(run.loaded), out_dir=str(out_dir))
    return BattleResult(trials, int(seed), doctrine, raid.aim_points, battery_names(engagement), problem.inventory,
                        np.concatenate([p["leakers"] for p in parts]),
                        np.concatenate([p["expended"] for p in parts]),
                        np.sum([p["threat_leaks"] for p in parts], axis=0), info)


def _fingerprint(problem: _Problem) -> str:
    """SHA-256 of the problem's arrays, so a resume with another engagement or raid is refused."""
    import hashlib

    h = hashlib.sha256()
    for name in ("launch_time", "le", "ll", "i_first", "i_last", "engageable", "sspk", "inventory", "aim_index"):
        h.update(name.encode())
        h.update(np.ascontiguousarray(getattr(problem, name)).tobytes())
    h.update(repr((problem.shots_per_engagement, problem.looks, problem.kill_assessment, problem.max_shots,
                   problem.seed)).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Documents: a raid file's content plus trials and seed, the unit the CLI and sweeps work on


def read_document(path: str | Path) -> dict:
    """A stand-alone raid file (TOML, or JSON if it ends in .json) as a plain dict, validated."""
    doc = read_tables(path)
    RaidFile.model_validate(doc)
    return doc


def read_tables(path: str | Path) -> dict:
    """The tables of a raid, engagement or doctrine file: TOML, or JSON if it ends in .json.

    The file is read with the checks every input file gets (`shieldsim.files.read_text`: a
    regular UTF-8 file of at most `files.MAX_INPUT_BYTES`), which raise `files.InputFileError`;
    syntax errors and a JSON document that is not an object raise ValueError."""
    import json

    from .files import read_text

    text = read_text(path)
    try:
        doc = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError(f"a JSON {type(doc).__name__}, not an object of tables")
    return doc


def document_inputs(doc: dict):
    """The (engagement, `Raid`, `Doctrine`) of a raid document (see `simulate_document`),
    validated. Raises ValueError (pydantic's ValidationError is one) at the first problem."""
    extra = set(doc) - {"raid", "engagement", "doctrine", "trials", "seed"}
    if extra:
        raise ValueError(f"unknown keys in raid document: {sorted(extra)}")
    spec = RaidFile.model_validate({k: doc[k] for k in ("raid", "engagement", "doctrine") if k in doc})
    if spec.engagement is None:
        raise ValueError("the raid document has no [engagement] table")
    raid = Raid.from_spec(spec.raid)
    return engagement_from_spec(spec.engagement, raid), raid, spec.doctrine.doctrine() if spec.doctrine else Doctrine()


def simulate_document(doc: dict, executor=None, **kwargs) -> tuple[BattleResult, dict | None]:
    """Run the raid described by a document: keys ``raid``, ``engagement``, optional
    ``doctrine`` (the raid-file tables) and ``trials``, ``seed``. Keyword arguments go to
    `simulate`. Returns the result and the engagement's ``models`` record (or None)."""
    eng, raid, doctrine = document_inputs(doc)
    result = simulate(eng, raid, doctrine, int(doc.get("trials", 1000)), int(doc.get("seed", 0)), executor, **kwargs)
    return result, eng.models
