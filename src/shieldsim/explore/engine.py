"""Recomputation for the explorer, with caches by content.

The page's figures are those of ``shieldsim coverage`` of the scenario on screen; they are
computed here from the same public pieces (`study.footprint_batches`, `study.fly`,
`study.battery_tracks`, `engagement.engage`, `study.allowed_batteries`,
`coverage.summarise_cells`, `coverage.combine_footprints`), so that what changes with a control
is all that is recomputed:

- flights, per threat set (threat classes, launch areas, defended box, models) and grid: no
  battery, radar or interceptor control flies anything again (flying is most of a first load);
- tracks (`study.battery_tracks`), per flight batch and sensor content (models, radars, launch
  detectors, networks, and each battery's network, ``launch_on``, ``engage_on`` and
  ``own_radars``): an interceptor speed, delay or type change detects nothing again;
- engagement columns, per flight batch, battery content (its scenario entry, its interceptor's
  figures and the kill assessment time) and sensor content, each kept with the track time and
  guidance window it was engaged on. A battery's engagement of a flight depends on that flight,
  that battery and its track alone (`engagement.engage` works pair by pair), so a new setting
  re-engages only the (flight, battery) pairs whose battery changed, or whose track or window
  changed (compared with the battery's most recent column under other sensors): a radar switched
  off re-engages only the flights whose track it formed, one battery's interceptor only that
  battery's column;
- engagements per architecture (the edited scenario with every battery, see `controls.Built`):
  switching a battery off or on only masks its column of the (flights x batteries) "allowed"
  matrix before the reduction to cells -- exactly what removing it from the scenario gives, since
  each battery's engagement, rounds and sector responsibility depend on that battery alone;
- results, per scenario content (the TOML on screen), threat areas and grid: going back is instant.

Flights may be flown on a `parallel.Executor` (``Engine(executor=...)``, a Dask cluster); tracks
and engagements run in this process, next to their caches. Assumption: one computation at a time
(the server runs them on one worker thread); ``cancelled()`` is polled between flight batches,
``progress(done, total, stage)`` reported after each.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import coverage, engagement as eng_mod, geography, scenario as scen, study
from .controls import Built

COLUMN_FIELDS = ("launch_earliest", "launch_latest", "intercept_first", "intercept_last", "first_alt", "first_lat",
                 "first_lon", "shots", "kill_probability", "engageable")
"""The (N, B) fields of an `engagement.Engagement`, stored per battery column."""


class Cancelled(Exception):
    """The computation was cancelled because the controls changed again."""


class Lru(OrderedDict):
    """A dict holding at most ``size`` entries, the least recently used dropped first."""

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


def digest(*parts) -> str:
    """A short SHA-256 key of ``parts`` (text as is, anything else as sorted JSON)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8") if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def threat_key(sc: scen.Scenario, area: str, grid_deg: float) -> str:
    """Key of the flights of one area: what `study.footprint_batches` and `study.fly` read."""
    d = sc.model_dump(mode="json")
    return digest("flights", d["threats"], d["launch_areas"][area], d["defended"], d["models"], area, grid_deg)


def sensor_key(sc: scen.Scenario) -> str:
    """Key of the tracks of a scenario's batteries: what `study.battery_tracks` reads."""
    d = sc.model_dump(mode="json")
    bats = [(n, b["network"], b["launch_on"], b["engage_on"], b["own_radars"]) for n, b in d["batteries"].items()]
    return digest("sensors", d["models"], d["radars"], d["launch_detectors"], d["networks"], bats)


def battery_key(sc: scen.Scenario, battery, kill_assessment: float) -> str:
    """Key of one battery's engagement column: its scenario entry, the figures of the interceptor
    it fires (`interceptor.Interceptor.params` and SSPK) and the kill assessment time (s)."""
    entry = sc.batteries[battery.name].model_dump(mode="json")
    entry.pop("source", None)
    return digest("battery", entry, battery.interceptor.params().tolist(), battery.interceptor.sspk, kill_assessment)


def scenario_key(built: Built) -> str:
    """Key of a result: the scenario's TOML text, the areas, the grid and the membership year."""
    return digest("result", scen.dump(built.shown), list(built.areas), built.grid_deg, built.year)


def fly_batch(arch: study.Architecture, batch: study.FlightBatch):
    """The flights of one batch (`study.fly`, unreachable pairs skipped), or False when the class
    cannot fly any of them in its shape. A top-level function, so a Dask worker can run it."""
    from ..trajectory import AimError

    try:
        return study.fly(arch, batch.threat, batch.launch_lat, batch.launch_lon, batch.lat, batch.lon,
                         unreachable="skip")
    except AimError:
        return False


@dataclass
class Column:
    """One battery's engagement of one flight batch: the inputs it was engaged on, ``track``
    (N,) s and ``window`` (N, 2) s, and ``out``, field name -> (N,) array (`COLUMN_FIELDS`)."""

    track: np.ndarray
    window: np.ndarray
    out: dict


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality with NaN equal to NaN."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def changed_rows(col: Column | None, track: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Indices of the flights whose track time or guidance window differ from those ``col`` was
    engaged on (every flight when there is no column)."""
    if col is None or col.track.shape != track.shape:
        return np.arange(track.size)
    same = _same(col.track, track) & _same(col.window, window).all(axis=1)
    return np.flatnonzero(~same)


def assemble(columns: list[Column], batteries: list, window: np.ndarray, kill_assessment: float, models):
    """The `engagement.Engagement` of N flights against ``batteries`` from their ``columns``."""
    n = window.shape[0]

    def stack(name, dtype):
        if not columns:
            return np.empty((n, 0), dtype)
        return np.stack([c.out[name] for c in columns], axis=1).astype(dtype, copy=False)

    fields = {f: stack(f, np.int64 if f == "shots" else bool if f == "engageable" else float) for f in COLUMN_FIELDS}
    return eng_mod.Engagement(**fields, sspk=np.array([b.interceptor.sspk for b in batteries]),
                              inventory=np.array([b.inventory for b in batteries], dtype=np.int64),
                              kill_assessment=float(kill_assessment), battery_names=tuple(b.name for b in batteries),
                              models=models, intercept_window=window)


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


@dataclass
class Stats:
    """What the last computation recomputed: flight batches flown, batches whose tracks were
    detected, (flight, battery) pairs engaged, and pairs reused from the column cache."""

    flown: int = 0
    detected: int = 0
    engaged_pairs: int = 0
    reused_pairs: int = 0


class Engine:
    """Caches and computes `Result`s; thread-safe for one computing thread plus readers.
    ``executor``: a `parallel.Executor` that flies the flight batches (None: this process)."""

    def __init__(self, flight_sets: int = 3, architectures: int = 16, results: int = 64, tracks: int = 128,
                 columns: int = 512, executor=None):
        self.flights = Lru(flight_sets)
        self.tracks = Lru(tracks)
        self.columns = Lru(columns)
        self.recent = Lru(4 * columns)  # (batch, battery key) -> the key of its most recent column
        self.engagements = Lru(architectures)
        self.results = Lru(results)
        self.lock = threading.Lock()
        self.executor = executor
        self.stats = Stats()

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
        self.stats = Stats()
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

    def _flown(self, arch, built: Built, area: str, batches: list, progress, cancelled) -> list:
        """The flights of every batch of one area (cached per threat set and grid)."""
        fkey = threat_key(built.full, area, built.grid_deg)
        with self.lock:
            flown = self.flights.get_fresh(fkey)
        if flown is not None:
            return flown
        from ..parallel import InProcessExecutor

        flown, done, total = [None] * len(batches), 0, sum(b.cells.size for b in batches)
        runs = (self.executor or InProcessExecutor()).as_completed(partial(fly_batch, arch), batches)
        try:
            for i, traj in runs:
                flown[i] = traj
                done += batches[i].cells.size
                self.stats.flown += 1
                if progress:
                    progress(done, total, f"{area}: flying")
                if cancelled():
                    raise Cancelled()
        finally:
            runs.close()  # a Dask back-end cancels what is still queued
        with self.lock:
            self.flights.put(fkey, flown)
        return flown

    def _tracks(self, arch, bkey: str, skey: str, traj):
        with self.lock:
            hit = self.tracks.get_fresh((bkey, skey))
        if hit is None:
            hit = study.battery_tracks(arch, traj)
            self.stats.detected += 1
            with self.lock:
                self.tracks.put((bkey, skey), hit)
        return hit

    def _engage(self, arch, bkey: str, skey: str, traj, tracks, ka: float):
        """The `engagement.Engagement` of one batch: cached columns where their battery, track and
        window are unchanged, the other pairs engaged now (`engagement.engage`)."""
        bats = arch.batteries
        keys = [(bkey, battery_key(arch.scenario, b, ka), skey) for b in bats]
        with self.lock:
            cols = [self.columns.get_fresh(k) or self.columns.get_fresh(self.recent.get_fresh(k[:2])) for k in keys]
        window = tracks.intercept_window
        rows = [changed_rows(c, tracks.track_time[:, j], window[:, j]) for j, c in enumerate(cols)]
        whole = [j for j, r in enumerate(rows) if r.size == len(traj)]
        parts = [j for j, r in enumerate(rows) if 0 < r.size < len(traj)]
        fresh = {}
        if whole:  # one call for every column engaged from scratch (the kernel runs flights in parallel)
            e = eng_mod.engage(traj, [bats[j] for j in whole], tracks.track_time[:, whole], kill_assessment=ka,
                               intercept_window=window[:, whole])
            for c, j in enumerate(whole):
                fresh[j] = Column(tracks.track_time[:, j].copy(), window[:, j].copy(),
                                  {f: getattr(e, f)[:, c].copy() for f in COLUMN_FIELDS})
        for j in parts:
            r = rows[j]
            e = eng_mod.engage(traj.subset(r), [bats[j]], tracks.track_time[r, j], kill_assessment=ka,
                               intercept_window=window[r][:, [j]])
            out = {f: v.copy() for f, v in cols[j].out.items()}
            for f in COLUMN_FIELDS:
                out[f][r] = getattr(e, f)[:, 0]
            fresh[j] = Column(tracks.track_time[:, j].copy(), window[:, j].copy(), out)
        self.stats.engaged_pairs += sum(r.size for r in rows)
        self.stats.reused_pairs += sum(len(traj) - r.size for r in rows)
        with self.lock:
            for j, col in fresh.items():
                self.columns.put(keys[j], col)
            for k in keys:
                self.recent.put(k[:2], k)
        cols = [fresh.get(j, c) for j, c in enumerate(cols)]
        return assemble(cols, bats, window, ka, traj.models)

    def _engaged(self, arch, built: Built, area: str, progress, cancelled) -> AreaEngagements:
        akey = digest("engaged", scen.dump(built.full), area, built.grid_deg)
        with self.lock:
            hit = self.engagements.get_fresh(akey)
        if hit is not None:
            return hit
        if progress:
            progress(0, 1, f"{area}: preparing flights")
        lat_c, lon_c, batches = study.footprint_batches(arch, area, built.grid_deg)
        flown = self._flown(arch, built, area, batches, progress, cancelled)
        fkey, skey = threat_key(built.full, area, built.grid_deg), sensor_key(built.full)
        ka = float(built.full.engagement.kill_assessment_s)
        out, total, done = [], sum(b.cells.size for b in batches), 0
        for i, batch in enumerate(batches):
            if cancelled():
                raise Cancelled()
            traj = flown[i]
            if traj is not False and len(traj):
                bkey = f"{fkey}/{i}"
                e = self._engage(arch, bkey, skey, traj, self._tracks(arch, bkey, skey, traj), ka)
                out.append((batch.cells[traj.pair_index], e, study.allowed_batteries(arch, e)))
            done += batch.cells.size
            if progress:
                progress(done, total, f"{area}: engaging")
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
