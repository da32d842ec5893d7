"""Coverage: defended footprints of architectures in flight batches, and the population they protect.

Flights of a launch area are cut into batches (`footprint_batches`), each flown once and
engaged by every architecture facing the same threats (`run_batch`) on any executor
(`footprints`); `coverage_many` adds the all-areas footprint and the population figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import scenario as scen
from .architecture import DEFAULT_STEP_S, Architecture, provenance, reachable_from
from .flights import fly
from .sectors import allowed_batteries
from .tracks import SharedFlights, engage_flights, engagement_inputs


COVERAGE_METHODS = ("fast", "exact")
"""``method`` of the coverage functions: "fast" (tabulated shortcuts whose decisions are checked
against exact solutions near every threshold) or "exact" (the slow reference: every flight aimed
by Newton, every sample of every engagement solved). Tests and `benchmarks/bench_coverage.py`
compare the two."""


def same_threats(archs: list[Architecture]) -> None:
    """Raise ValueError unless the architectures face the same threats on the same grid
    (launch areas, threat classes, defended region and models), so flights can be shared."""
    first = archs[0]
    for other in archs[1:]:
        for what, a, b in (("launch areas", first.scenario.launch_areas, other.scenario.launch_areas),
                           ("threat classes", first.missiles, other.missiles),
                           ("defended region", first.scenario.defended, other.scenario.defended),
                           ("models", first.models, other.models)):
            if a != b:
                raise ValueError(f"scenarios {first.name!r} and {other.name!r} differ in their {what}; "
                                 "they cannot share flights")


@dataclass(frozen=True)
class FlightBatch:
    """One batch of a footprint: a threat class flown from one launch point to some cells.
    ``cells`` index the flattened grid; ``lat``, ``lon`` are the cell centres (rad)."""

    threat: str
    launch_lat: float
    launch_lon: float
    cells: np.ndarray
    lat: np.ndarray
    lon: np.ndarray


BATCH_FLIGHTS = 1500
"""Default size of a flight batch (`footprint_batches`' ``chunk``): flights flown, tracked and
engaged together."""


def footprint_batches(arch: Architecture, area: str, grid_deg: float | None = None, land_only: bool = True,
                      chunk: int = BATCH_FLIGHTS):
    """The grid (cell-centre latitudes and longitudes, deg) and the `FlightBatch` list of one
    launch area: every class of the area from every launch point to every (land) cell it can
    reach, cut into batches of at most ``chunk`` flights. The land cells of a grid and the reach
    of a class from the area's points are kept per process (`_land_cells`, `_reach_masks`)."""
    from ..coverage import grid_centres

    sc = arch.scenario
    if area not in sc.launch_areas:
        raise ValueError(f"unknown threat area {area!r}; allowed: {', '.join(sc.launch_areas)}")
    d = sc.defended
    lat_c, lon_c = grid_centres(d.lat_min_deg, d.lat_max_deg, d.lon_min_deg, d.lon_max_deg, grid_deg or d.grid_deg)
    cells, tlat, tlon = _land_cells(lat_c, lon_c, land_only)
    pts = scen.launch_points(sc, area)
    batches = []
    for cls in sc.launch_areas[area].threats:
        ok = _reach_masks(arch.missiles[cls], pts, (lat_c, lon_c, land_only), tlat, tlon, arch.models)
        for k in range(len(pts.names)):
            lat, lon = float(pts.lat[k]), float(pts.lon[k])
            idx = np.flatnonzero(ok[k])
            for start in range(0, idx.size, chunk):
                sel = idx[start:start + chunk]
                batches.append(FlightBatch(cls, lat, lon, cells[sel], tlat[sel], tlon[sel]))
    return lat_c, lon_c, batches


class _Memo:
    """A bounded, thread-safe memo of per-process inputs by key (least recently used dropped)."""

    def __init__(self, maxsize: int):
        from collections import OrderedDict
        from threading import Lock

        self.maxsize, self._items, self._lock = maxsize, OrderedDict(), Lock()

    def get(self, key, make):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may both make it, with equal results
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value


_LAND = _Memo(16)
_REACH = _Memo(256)


def _grid_key(lat_c: np.ndarray, lon_c: np.ndarray, land_only: bool) -> tuple:
    return (lat_c.tobytes(), lon_c.tobytes(), bool(land_only))


def _land_cells(lat_c: np.ndarray, lon_c: np.ndarray, land_only: bool):
    """(cells (flattened grid indices), their centres' latitudes, longitudes (rad)): every cell of
    the grid, or its land cells (`geography.country_of` of the centre not ''); read-only arrays,
    computed once per grid and process (every launch area of a coverage shares them)."""

    def make():
        glat, glon = np.meshgrid(lat_c, lon_c, indexing="ij")
        cells = np.arange(glat.size)
        if land_only:
            from ..geography import country_of

            cells = cells[country_of(glat.ravel(), glon.ravel()) != ""]
        out = (cells, np.radians(glat.ravel()[cells]), np.radians(glon.ravel()[cells]))
        for a in out:
            a.setflags(write=False)
        return out

    return _LAND.get(_grid_key(lat_c, lon_c, land_only), make)


def _reach_masks(missile, pts, grid: tuple, tlat: np.ndarray, tlon: np.ndarray, models) -> list:
    """`architecture.reachable_from` of the cells (``tlat``, ``tlon``, rad; those of ``grid`` =
    (lat_c, lon_c, land_only), `_land_cells`) from the launch points ``pts``, once per class
    (its flight parameters, `flight_cache.flight_missile`), points, grid and models per process:
    the masks are functions of these alone (as the reach tables they come from)."""
    from .flight_cache import flight_missile

    key = (flight_missile(missile), np.asarray(pts.lat, float).tobytes(), np.asarray(pts.lon, float).tobytes(),
           _grid_key(*grid), models)

    def make():
        masks = reachable_from(missile, pts.lat, pts.lon, tlat, tlon, models)  # one reach fill
        for m in masks:
            m.setflags(write=False)
        return masks

    return _REACH.get(key, make)


def run_batch(archs: list[Architecture], batch: FlightBatch, n_cells: int, step: float = DEFAULT_STEP_S,
              kind: str | None = None, method: str = "fast"):
    """Fly one batch once and reduce it to the grid for every architecture: returns the list of
    `coverage.CellSummary` (one per architecture) and the number of pairs the class could not
    fly in the asked shape. ``method``: "fast" or "exact" (`COVERAGE_METHODS`). Architectures
    whose batteries, networks and kill assessment are equal (`tracks.engagement_inputs`) share
    one tracking and engagement of the batch; the others share the coverage of the radars and
    the engagement columns of the batteries they have in common (`tracks.SharedFlights`)."""
    from ..coverage import empty_summary, summarise_cells
    from ..trajectory import AimError

    try:
        traj = fly(archs[0], batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon, step=step,
                   kind=kind, unreachable="skip")
    except AimError:  # the class cannot fly any of these pairs in this shape
        return [empty_summary(n_cells) for _ in archs], batch.cells.size
    out, engaged = [], []  # (engagement inputs, engagement) of this batch: equal inputs engage once
    shared = SharedFlights(traj)
    shared.prefetch(archs)  # every architecture's radars swept in one kernel call
    for a in archs:
        inputs = engagement_inputs(a)
        e = next((e for k, e in engaged if _equal(k, inputs)), None)
        if e is None:
            e, _ = engage_flights(a, traj, method=method, shared=shared)
            engaged.append((inputs, e))
        out.append(summarise_cells(batch.cells[traj.pair_index], n_cells, e, allowed_batteries(a, e)))
    return out, batch.cells.size - len(traj)


def _equal(a, b) -> bool:
    """a == b, False where the comparison is not a plain truth value (arrays inside)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def footprints(archs: list[Architecture], area: str, grid_deg: float | None = None, step: float = DEFAULT_STEP_S,
               kind: str | None = None, land_only: bool = True, chunk: int = BATCH_FLIGHTS,
               progress: Callable[[int, int], None] | None = None, executor=None, method: str = "fast") -> list:
    """Defended footprints (`coverage.Footprint`) of several architectures facing the same
    threats (see `same_threats`) against one launch area; each flight is flown once.

    ``method`` (`COVERAGE_METHODS`): "fast" (default) or "exact", the slow reference that
    solves every sample of every engagement (`engagement.engage`); recorded in ``attrs``.

    The flights (`footprint_batches`) run batch by batch (`run_batch`) on ``executor`` (a
    `parallel.Executor`; default `parallel.batch_executor`: in this process, one thread per
    Numba thread and a spare one), each batch tracked and engaged by every architecture. ``progress(done, total)``
    is called as batches finish.
    """
    return _area_footprints(archs, [area], grid_deg, step, kind, land_only, chunk,
                            (lambda a, done, total: progress(done, total)) if progress else None, executor,
                            method)[area]


@dataclass
class _AreaRun:
    """The batches of one launch area and what their finished runs add up to."""

    area: str
    lat_c: np.ndarray
    lon_c: np.ndarray
    batches: list
    summaries: list
    total: int
    done: int = 0
    unflyable: int = 0


def _run_item(archs, step, kind, method, item):
    """`run_batch` of ``item`` = (cells of the grid, `FlightBatch`)."""
    return run_batch(archs, item[1], item[0], step=step, kind=kind, method=method)


def _area_footprints(archs, areas, grid_deg, step, kind, land_only, chunk, progress, executor, method) -> dict:
    """{area: `footprints` of the architectures}, the batches of every area run in one pass of
    ``executor`` (area after area, the larger batches of an area first: threads of one process
    that take the next batch as they finish wait less for a last long batch, within an area and
    at its end). ``progress(area, done, total)`` as the area's batches finish, area after area (a
    batch of a later area finishing first is reported once the areas before it are complete)."""
    from functools import partial

    from ..coverage import Footprint, empty_summary, merge_summaries
    from ..parallel import batch_executor

    if method not in COVERAGE_METHODS:
        raise ValueError(f"method must be one of {', '.join(COVERAGE_METHODS)}, got {method!r}")
    same_threats(archs)
    arch = archs[0]
    runs, items, owner = [], [], []
    for area in areas:
        lat_c, lon_c, batches = footprint_batches(arch, area, grid_deg, land_only, chunk)
        n_cells = lat_c.size * lon_c.size
        batches = sorted(batches, key=lambda b: -b.cells.size)  # stable: equal sizes keep their order
        runs.append(_AreaRun(area, lat_c, lon_c, batches, [empty_summary(n_cells) for _ in archs],
                             sum(b.cells.size for b in batches)))
        items += [(n_cells, b) for b in batches]
        owner += [len(runs) - 1] * len(batches)
    task = partial(_run_item, archs, step, kind, method)
    shown = 0  # progress is reported area after area, as before: the first area not yet complete
    for index, (parts, lost) in (executor or batch_executor()).as_completed(task, items):
        run = runs[owner[index]]
        run.summaries = [merge_summaries(s, p) for s, p in zip(run.summaries, parts)]
        run.unflyable += lost
        run.done += items[index][1].cells.size
        while progress and shown < len(runs):
            if runs[shown].done:
                progress(runs[shown].area, runs[shown].done, runs[shown].total)
            if runs[shown].done < runs[shown].total:
                break
            shown += 1
    g = grid_deg or arch.scenario.defended.grid_deg
    out = {}
    for run in runs:
        pts = scen.launch_points(arch.scenario, run.area)
        out[run.area] = [Footprint.from_summary(
            run.lat_c, run.lon_c, summ, battery_names=tuple(b.name for b in a.batteries), threat_area=run.area,
            threat_classes=tuple(arch.scenario.launch_areas[run.area].threats), launch_points=tuple(pts.names),
            attrs=provenance(a, trajectory=kind or "scenario", grid_deg=g, flights=run.total - run.unflyable,
                             unflyable_pairs=run.unflyable, land_only=land_only, step_s=step, method=method))
            for a, summ in zip(archs, run.summaries)]
    return out


def footprint(arch: Architecture, area: str, grid_deg: float | None = None, step: float = DEFAULT_STEP_S,
              kind: str | None = None, land_only: bool = True, chunk: int = BATCH_FLIGHTS,
              progress: Callable[[int, int], None] | None = None, method: str = "fast"):
    """Defended footprint (`coverage.Footprint`) of one architecture against one launch area
    (see `footprints`)."""
    return footprints([arch], area, grid_deg, step, kind, land_only, chunk, progress, method=method)[0]


@dataclass
class CoverageResult:
    """Footprints per threat area (and ``"all"`` combined) with the population figures.

    ``population`` maps each area (and ``"all"``) to a `geography.ProtectedPopulation` with
    threatened and defended people; ``year`` is the scenario's year (None: the default
    membership year, `geography.DEFAULT_MEMBERSHIP_YEAR`), which selects NATO's European members
    for the ``nato_europe`` figures."""

    footprints: dict
    population: dict
    attrs: dict = field(default_factory=dict)
    year: int | None = None

    def nato_europe(self, area: str = "all") -> dict:
        """``{"nato_europe": {...}, "rest_of_region": {...}}`` of one area (see
        `geography.nato_europe_population`)."""
        from ..geography import nato_europe_population

        return nato_europe_population(self.population[area], self.year)

    def as_dict(self) -> dict:
        """JSON-ready figures, in people.

        Top level (all areas together): ``nato_europe`` and ``rest_of_region`` (population on the
        grid, threatened, defended, fraction defended of threatened; the NATO members of the
        scenario's year), then the whole-grid figures ``population_protected`` (= defended),
        ``population_total``, ``population_threatened``, ``fraction_protected`` and
        ``per_country`` (rows with total, threatened and defended people); ``threat_areas``: the
        same per launch area, with ``cells_threatened``/``cells_defended``; ``attrs``.
        """
        areas = {}
        for name, pop in self.population.items():
            d = self.nato_europe(name)
            d.update(pop.as_dict())
            d["cells_threatened"] = int(self.footprints[name].threatened.sum())
            d["cells_defended"] = int(self.footprints[name].defended.sum())
            areas[name] = d
        allp = areas["all"]
        return {"nato_europe": allp["nato_europe"], "rest_of_region": allp["rest_of_region"],
                "population_protected": allp["population_protected"], "population_total": allp["population_total"],
                "population_threatened": allp["population_threatened"],
                "fraction_protected": allp["fraction_protected"], "per_country": allp["by_country"],
                "threat_areas": {k: v for k, v in areas.items() if k != "all"}, "attrs": self.attrs}


def coverage_many(archs: list[Architecture], areas: list[str] | None = None, grid_deg: float | None = None,
                  step: float = DEFAULT_STEP_S, kind: str | None = None, progress=None,
                  executor=None, method: str = "fast") -> list[CoverageResult]:
    """Footprints of every (or the named) threat area, and of all of them together, with the
    population protected, for architectures facing the same threats (flights flown once), on
    ``executor`` (a `parallel.Executor`; the batches of every area in one pass, see `footprints`).
    ``progress(area, done, total)`` reports each batch; ``method``: "fast" or "exact"
    (`COVERAGE_METHODS`, see `footprints`)."""
    from ..coverage import combine_footprints

    sc = archs[0].scenario
    areas = list(areas or sc.launch_areas)
    per_area = _area_footprints(archs, areas, grid_deg, step, kind, True, BATCH_FLIGHTS, progress, executor, method)
    results = []
    for j in range(len(archs)):
        fps = {a: per_area[a][j] for a in areas}
        fps["all"] = combine_footprints([fps[a] for a in areas], "all")
        pops = {name: fp.protected_population() for name, fp in fps.items()}
        results.append(CoverageResult(fps, pops, fps[areas[0]].attrs if areas else {}, archs[j].scenario.year))
    return results


def coverage(arch: Architecture, areas: list[str] | None = None, grid_deg: float | None = None,
             step: float = DEFAULT_STEP_S, kind: str | None = None, progress=None, executor=None,
             method: str = "fast") -> CoverageResult:
    """Coverage of one architecture (see `coverage_many`)."""
    return coverage_many([arch], areas, grid_deg, step, kind, progress, executor, method=method)[0]
