"""Defended footprints: which aim points of a grid a shield defends against a threat area.

A grid cell is *threatened* when at least one threat class of the area can reach its centre
from at least one launch point of the area, and *defended* when every such flight can be
engaged by at least one battery that has the interceptors its doctrine fires (one round, or
a salvo) and, under a sectors-of-responsibility rule, is allowed to engage there. Cells no
flight reaches are neither. The per-flight facts come from `engagement.engage`; this module
reduces them to the grid (vectorised, no per-flight Python loop) and writes the results.

Grids are given by cell-centre latitudes and longitudes in degrees (edges are human-facing
results: the grid is what an analyst configures in degrees).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def grid_centres(lat_min_deg: float, lat_max_deg: float, lon_min_deg: float, lon_max_deg: float,
                 grid_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre latitudes and longitudes (deg) of a regular grid covering a lat/lon box.

    Centres lie ``grid_deg`` apart from half a step inside the box's lower edges. An axis on
    which that gives fewer than two centres (a box narrower than one and a half steps, e.g. a
    single city, or a thin strip at a pole) is cut into two equal cells spanning the box
    instead, so every grid has at least 2 x 2 cells and its cell edges follow from the centres
    (`geography.cell_edges`).
    """
    if not grid_deg > 0:
        raise ValueError(f"grid_deg must be > 0, got {grid_deg}")
    if not (lat_min_deg < lat_max_deg and lon_min_deg < lon_max_deg):
        raise ValueError("grid box must have lat_min < lat_max and lon_min < lon_max")
    return _axis(lat_min_deg, lat_max_deg, grid_deg), _axis(lon_min_deg, lon_max_deg, grid_deg)


def _axis(lo: float, hi: float, step: float) -> np.ndarray:
    centres = np.arange(lo + step / 2, hi, step)
    if centres.size >= 2:
        return centres
    return lo + (hi - lo) * np.array([0.25, 0.75])


def battery_ready(engagement, inventory, doctrine, salvo_size) -> np.ndarray:
    """(N, B) bool: the battery can engage the flight and holds the rounds its doctrine fires
    at it first (a salvo needs ``salvo_size`` rounds, the other doctrines one)."""
    inventory = np.asarray(inventory)
    needed = np.where(np.asarray(doctrine) == "salvo", np.asarray(salvo_size), 1)
    return engagement.engageable & (inventory >= needed)[None, :]


@dataclass
class CellSummary:
    """Per-cell reduction of many flights (arrays over the flattened grid, length C)."""

    threatened: np.ndarray
    defended: np.ndarray
    shots: np.ndarray
    kill_probability: np.ndarray
    intercept_alt: np.ndarray
    engaging: np.ndarray  # (C, B) bool


def summarise_cells(cell, n_cells: int, engagement, allowed) -> CellSummary:
    """Reduce N flights to C grid cells.

    Args:
        cell: (N,) int index of the cell each flight is aimed at.
        n_cells: number of cells C.
        engagement: an `engagement.Engagement` of the N flights against B batteries.
        allowed: (N, B) bool, batteries that may and can engage each flight (see
            `battery_ready`, combined with any sector rule).

    Returns per cell: threatened; defended (every flight engageable by some allowed
    battery); shots (fewest total shoot-look-shoot opportunities over the cell's flights);
    kill_probability (lowest over flights of the best allowed battery's doctrine kill
    probability); intercept_alt (lowest over flights of the highest first-intercept altitude
    among allowed batteries, m); engaging ((C, B) bool: the battery is allowed to engage at
    least one of the cell's flights; any number of batteries).
    """
    cell = np.asarray(cell, dtype=np.int64)
    allowed = np.asarray(allowed, dtype=bool)
    n, nb = allowed.shape
    flight_ok = allowed.any(axis=1)
    shots = np.where(allowed, engagement.shots, 0).sum(axis=1)
    pk = np.where(allowed, engagement.kill_probability, 0.0).max(axis=1, initial=0.0)
    alt = np.where(allowed, engagement.first_alt, -np.inf).max(axis=1, initial=-np.inf)

    threatened = np.zeros(n_cells, bool)
    threatened[cell] = True
    undefended = np.zeros(n_cells, bool)
    undefended[cell[~flight_ok]] = True
    min_shots = np.full(n_cells, np.iinfo(np.int64).max)
    np.minimum.at(min_shots, cell, shots)
    min_pk = np.full(n_cells, np.inf)
    np.minimum.at(min_pk, cell, pk)
    min_alt = np.full(n_cells, np.inf)
    np.minimum.at(min_alt, cell, alt)
    engaging = np.zeros((n_cells, nb), bool)
    rows, cols = np.nonzero(allowed)
    engaging[cell[rows], cols] = True

    min_shots = np.where(threatened, min_shots, 0)
    min_pk = np.where(threatened, min_pk, np.nan)
    min_alt = np.where(threatened & np.isfinite(min_alt), min_alt, np.nan)
    return CellSummary(threatened, threatened & ~undefended, min_shots, min_pk, min_alt, engaging)


def merge_summaries(a: CellSummary, b: CellSummary) -> CellSummary:
    """Combine two summaries of the same cells from disjoint sets of flights."""
    both = a.threatened & b.threatened

    def lower(x, y, fill):
        return np.where(both, np.minimum(x, y), np.where(a.threatened, x, np.where(b.threatened, y, fill)))

    defended = np.where(both, a.defended & b.defended, a.defended | b.defended)
    return CellSummary(a.threatened | b.threatened, defended, lower(a.shots, b.shots, 0),
                       lower(a.kill_probability, b.kill_probability, np.nan),
                       lower(a.intercept_alt, b.intercept_alt, np.nan), _union(a.engaging, b.engaging))


def _union(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise OR of two (C, B) ``engaging`` arrays; one of (C, 0) stands for all False."""
    if x.shape[1] == 0:
        return y
    if y.shape[1] == 0:
        return x
    if x.shape != y.shape:
        raise ValueError(f"summaries of different batteries cannot be merged: {x.shape} and {y.shape}")
    return x | y


def empty_summary(n_cells: int, n_batteries: int = 0) -> CellSummary:
    """A summary with no flights: nothing threatened, nothing defended. With ``n_batteries`` 0
    its ``engaging`` has no columns and merges with a summary of any number of batteries."""
    return CellSummary(np.zeros(n_cells, bool), np.zeros(n_cells, bool), np.zeros(n_cells, np.int64),
                       np.full(n_cells, np.nan), np.full(n_cells, np.nan), np.zeros((n_cells, n_batteries), bool))


@dataclass
class Footprint:
    """The defended footprint of one architecture against one threat area, on a grid.

    Attributes:
        lat_deg, lon_deg: (L,), (K,) cell centres, degrees.
        threatened, defended: (L, K) bool.
        shots, kill_probability, intercept_alt_km: (L, K), see `summarise_cells`.
        engaging: (L, K, B) bool, battery ``b`` may engage some flight to the cell.
        battery_names: the B batteries, in the order of ``engaging``'s last axis.
        threat_area, threat_classes, launch_points: what was flown.
        attrs: provenance (scenario, models, version, trajectory kind, rules) for outputs.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    threatened: np.ndarray
    defended: np.ndarray
    shots: np.ndarray
    kill_probability: np.ndarray
    intercept_alt_km: np.ndarray
    engaging: np.ndarray
    battery_names: tuple
    threat_area: str
    threat_classes: tuple
    launch_points: tuple
    attrs: dict = field(default_factory=dict)

    @classmethod
    def from_summary(cls, lat_deg, lon_deg, summary: CellSummary, **kwargs) -> Footprint:
        shape = (len(lat_deg), len(lon_deg))
        n_cells, engaging = summary.threatened.size, np.asarray(summary.engaging, bool)
        if engaging.size == 0:  # no flight was summarised
            engaging = np.zeros((n_cells, len(kwargs.get("battery_names", ()))), bool)
        engaging = engaging.reshape(n_cells, -1)
        return cls(np.asarray(lat_deg), np.asarray(lon_deg), summary.threatened.reshape(shape),
                   summary.defended.reshape(shape), summary.shots.reshape(shape),
                   summary.kill_probability.reshape(shape), summary.intercept_alt.reshape(shape) / 1e3,
                   engaging.reshape(shape + engaging.shape[1:]), **kwargs)

    def to_dataset(self):
        """The footprint as an xarray Dataset (dims lat, lon; ``engaging`` also battery, with the
        battery names as its coordinate), ready for netCDF."""
        import xarray as xr

        dims = ("lat", "lon")
        ds = xr.Dataset(
            {
                "threatened": (dims, self.threatened.astype(np.int8),
                               {"long_name": "some flight of the threat area reaches the cell centre"}),
                "defended": (dims, self.defended.astype(np.int8),
                             {"long_name": "every flight to the cell can be engaged by some battery"}),
                "shots": (dims, self.shots.astype(np.int32),
                          {"long_name": "fewest shoot-look-shoot opportunities over the cell's flights"}),
                "kill_probability": (dims, self.kill_probability,
                                     {"long_name": "lowest best-battery doctrine kill probability"}),
                "intercept_alt_km": (dims, self.intercept_alt_km, {"units": "km",
                                     "long_name": "lowest first-intercept altitude of the best battery"}),
                "engaging": (dims + ("battery",), self.engaging.astype(np.int8),
                             {"long_name": "1 where the battery may engage some flight to the cell"}),
                "batteries_engaging": (dims, self.engaging.sum(axis=2).astype(np.int32),
                                       {"long_name": "number of batteries that may engage some flight to the cell"}),
            },
            coords={"lat": ("lat", self.lat_deg, {"units": "degrees_north"}),
                    "lon": ("lon", self.lon_deg, {"units": "degrees_east"}),
                    "battery": ("battery", np.array(self.battery_names, dtype=str))},
        )
        ds.attrs.update({"threat_area": self.threat_area, "threat_classes": ", ".join(self.threat_classes),
                         "launch_points": ", ".join(self.launch_points),
                         "batteries": ", ".join(self.battery_names)})
        ds.attrs.update({k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in self.attrs.items()})
        return ds

    def protected_population(self):
        """Population living in defended and in threatened cells
        (`geography.protected_population` with ``threatened_mask=self.threatened``)."""
        from .geography import protected_population

        return protected_population(self.lat_deg, self.lon_deg, self.defended, threatened_mask=self.threatened)

    def write(self, stem) -> list:
        """Write ``stem``.nc (netCDF), ``stem``.geojson (defended area) and ``stem``.csv
        (one row per threatened cell); returns the paths."""
        import json
        from pathlib import Path

        from .geography import mask_to_geojson

        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        nc, gj, csv = stem.with_suffix(".nc"), stem.with_suffix(".geojson"), stem.with_suffix(".csv")
        self.to_dataset().to_netcdf(nc, engine="scipy")
        gj.write_text(json.dumps(mask_to_geojson(self.lat_deg, self.lon_deg, self.defended,
                                                 properties={"threat_area": self.threat_area, **{
                                                     k: str(v) for k, v in self.attrs.items()}})))
        i, j = np.nonzero(self.threatened)
        rows = np.column_stack([self.lat_deg[i], self.lon_deg[j], self.defended[i, j], self.shots[i, j],
                                self.kill_probability[i, j], self.intercept_alt_km[i, j]])
        np.savetxt(csv, rows, delimiter=",", fmt=["%.3f", "%.3f", "%d", "%d", "%.4f", "%.1f"], comments="",
                   header="lat_deg,lon_deg,defended,shots,kill_probability,intercept_alt_km")
        return [nc, gj, csv]


def combine_footprints(footprints: list[Footprint], threat_area: str) -> Footprint:
    """Footprint against all the given areas at once: threatened anywhere, defended where every
    area's flights are defended."""
    first = footprints[0]
    summ = None
    for f in footprints:
        s = CellSummary(f.threatened.ravel(), f.defended.ravel(), f.shots.ravel(), f.kill_probability.ravel(),
                        f.intercept_alt_km.ravel() * 1e3, f.engaging.reshape(f.threatened.size, -1))
        summ = s if summ is None else merge_summaries(summ, s)
    classes = tuple(dict.fromkeys(c for f in footprints for c in f.threat_classes))
    points = tuple(p for f in footprints for p in f.launch_points)
    return Footprint.from_summary(first.lat_deg, first.lon_deg, summ, battery_names=first.battery_names,
                                  threat_area=threat_area, threat_classes=classes, launch_points=points,
                                  attrs=dict(first.attrs))
