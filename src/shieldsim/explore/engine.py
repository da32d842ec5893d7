"""Recomputation for the explorer, with three caches.

The page's figures are those of ``shieldsim coverage`` of the scenario on screen; they are
computed here from the same public pieces (`study.footprint_batches`, `study.fly`,
`study.engage_flights`, `study.allowed_batteries`, `coverage.summarise_cells`,
`coverage.combine_footprints`), so that what changes with a control is all that is recomputed:

- flights, per threat set (threat classes, launch areas, defended box, models) and grid: a battery,
  radar, speed or delay change reuses them (the most expensive part, about three quarters);
- engagements, per architecture (the edited scenario with every battery, see `controls.Built`):
  switching a battery off or on only masks its column of the (flights x batteries) "allowed"
  matrix before the reduction to cells -- exactly what removing it from the scenario gives, since
  each battery's engagement, rounds and sector responsibility depend on that battery alone;
- results, per scenario content (the TOML on screen), threat areas and grid: going back is instant.

Assumption: one computation at a time (the server runs them on one worker thread); ``cancelled()``
is polled between flight batches, ``progress(done, total, stage)`` reported after each.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from .. import coverage, geography, scenario as scen, study
from .controls import Built


class Cancelled(Exception):
    """The computation was cancelled because the controls changed again."""


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_fresh(self, key):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return None

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8") if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def threat_key(sc: scen.Scenario, area: str, grid_deg: float) -> str:
    """Key of the flights of one area: what `study.footprint_batches` and `study.fly` read."""
    d = sc.model_dump(mode="json")
    return _digest("flights", d["threats"], d["launch_areas"][area], d["defended"], d["models"], area, grid_deg)


def scenario_key(built: Built) -> str:
    """Key of a result: the scenario's TOML text, the areas, the grid and the membership year."""
    return _digest("result", scen.dump(built.shown), list(built.areas), built.grid_deg, built.year)


@dataclass
class AreaEngagements:
    """One area's flights engaged by every battery of an architecture: per batch the flown cells,
    the `engagement.Engagement` and the (N, B) allowed matrix; the grid axes (deg)."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    batches: list  # (cells, engagement, allowed)
    threat_classes: tuple
    launch_points: tuple
    flights: int


@dataclass
class Result:
    """A computed view: ``built`` (the scenario), ``footprint`` (`coverage.Footprint` of the
    chosen areas together), ``population`` (`geography.ProtectedPopulation`), ``key``."""

    key: str
    built: Built
    footprint: coverage.Footprint
    population: geography.ProtectedPopulation

    def nato_europe(self) -> dict:
        """``{"nato_europe": ..., "rest_of_region": ...}`` of the membership year `controls.Built.year`."""
        return geography.nato_europe_population(self.population, self.built.year)


class Engine:
    """Caches and computes `Result`s; thread-safe for one computing thread plus readers."""

    def __init__(self, flight_sets: int = 3, architectures: int = 16, results: int = 64):
        self.flights = _Lru(flight_sets)
        self.engagements = _Lru(architectures)
        self.results = _Lru(results)
        self.lock = threading.Lock()

    def cached(self, built: Built) -> Result | None:
        """The result of ``built`` if already computed."""
        with self.lock:
            return self.results.get_fresh(scenario_key(built))

    def compute(self, built: Built, progress: Callable[[int, int, str], None] | None = None,
                cancelled: Callable[[], bool] = lambda: False) -> Result:
        """The result of ``built`` (cached by scenario content). Raises `Cancelled`."""
        key = scenario_key(built)
        hit = self.cached(built)
        if hit is not None:
            return hit
        arch = study.Architecture.from_scenario(built.full)
        on = np.array([b in built.shown.batteries for b in built.full.batteries], bool)
        fps = []
        for area in built.areas:
            eng = self._engaged(arch, built, area, progress, cancelled)
            fps.append(_footprint(eng, arch, area, on, built.grid_deg))
        fp = coverage.combine_footprints(fps, "all")  # as `study.coverage_many` does
        if progress:
            progress(1, 1, "population")
        result = Result(key, built, fp, fp.protected_population())
        with self.lock:
            self.results.put(key, result)
        return result

    def _engaged(self, arch, built: Built, area: str, progress, cancelled) -> AreaEngagements:
        akey = _digest("engaged", scen.dump(built.full), area, built.grid_deg)
        with self.lock:
            hit = self.engagements.get_fresh(akey)
        if hit is not None:
            return hit
        from ..trajectory import AimError

        if progress:
            progress(0, 1, f"{area}: preparing flights")
        lat_c, lon_c, batches = study.footprint_batches(arch, area, built.grid_deg)
        fkey = threat_key(built.full, area, built.grid_deg)
        with self.lock:
            flown = self.flights.get_fresh(fkey)
        fresh = flown is None
        flown = [None] * len(batches) if fresh else flown
        out, total = [], sum(b.cells.size for b in batches)
        done = 0
        for i, batch in enumerate(batches):
            if cancelled():
                raise Cancelled()
            if fresh:
                try:
                    flown[i] = study.fly(arch, batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon,
                                         unreachable="skip")
                except AimError:  # the class cannot fly any of these pairs in this shape
                    flown[i] = False
            traj = flown[i]
            if traj is not False and len(traj):
                e, _ = study.engage_flights(arch, traj)
                out.append((batch.cells[traj.pair_index], e, study.allowed_batteries(arch, e)))
            done += batch.cells.size
            if progress:
                progress(done, total, f"{area}: {'flying and engaging' if fresh else 'engaging'}")
        if fresh:
            with self.lock:
                self.flights.put(fkey, flown)
        pts = scen.launch_points(built.full, area)
        n_flights = sum(len(c) for c, _, _ in out)
        eng = AreaEngagements(lat_c, lon_c, out, tuple(built.full.launch_areas[area].threats), tuple(pts.names),
                              n_flights)
        with self.lock:
            self.engagements.put(akey, eng)
        return eng


def _footprint(eng: AreaEngagements, arch, area: str, on: np.ndarray, grid_deg: float) -> coverage.Footprint:
    """The footprint of one area with only the batteries ``on`` (bool per battery of ``arch``)."""
    n_cells = eng.lat_deg.size * eng.lon_deg.size
    summary = coverage.empty_summary(n_cells)
    for cells, e, allowed in eng.batches:
        part = coverage.summarise_cells(cells, n_cells, e, allowed & on[None, :])
        summary = coverage.merge_summaries(summary, part)
    return coverage.Footprint.from_summary(
        eng.lat_deg, eng.lon_deg, summary, battery_names=tuple(b.name for b in arch.batteries), threat_area=area,
        threat_classes=eng.threat_classes, launch_points=eng.launch_points,
        attrs=study.provenance(arch, trajectory="scenario", grid_deg=grid_deg, flights=eng.flights,
                               land_only=True, step_s=study.DEFAULT_STEP_S))
