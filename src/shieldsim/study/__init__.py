"""Studies: a scenario's questions answered end to end.

This layer turns a loaded `scenario.Scenario` into the physics objects and runs the chain
flights (`trajectory.aim`) -> tracks (`sensors.detect`, per network a battery fires on) ->
engagements (`engagement.engage`) -> results (`coverage`, `deterrent`). Commands and the
report call these functions, so every command answers the same question the same way.

Rules this layer applies (recorded in every result's ``attrs``):
* Reach: a launch point threatens a target only if the target lies within the class's
  maximum range in that direction (`architecture`).
* Sectors of responsibility (scenarios with ``[sectors]``): a battery may engage a threat
  only when the first intercept opportunity of that battery lies over a sector its side is
  responsible for (`sectors`).

A package by job; every public name is re-exported here (``from shieldsim import study;
study.coverage(...)``):

| module | holds |
|---|---|
| `architecture` | `Architecture`, reach tables (`ReachCache`, keyed by the class's `flight_missile`), `reachable`, `provenance` |
| `tracks` | `Tracks`, `battery_tracks`, `engage_flights`, `SharedFlights`, `first_flight_facts`, sensor variants |
| `sectors` | sector matching, `responsible`, `allowed_batteries` |
| `flights` | `fly` (through the current `FlightCache`, if any), `fly_within_reach`, `scenario_flights`, `SelectionError` |
| `raid_table` | `scenario_engagement_table` (the [engagement] table of a raid) |
| `coverage_study` | flight batches, `footprints`, `CoverageResult`, `coverage_many`, `coverage` |
| `options` | `COOPERATION_OPTIONS`, `OptionsComparison`, `compare_options` |
| `deterrent_study` | `DeterrentConfig`, `DeterrentStudy`, `ShipSweep`, `deterrent_study`, `deterrent_shapes` |
| `flight_cache` | `FlightCache`, `sharing`, `flight_missile`: aimed flights shared by content (`assess`, ensemble members) |

Inner layers (import-linter): `deterrent_study | options | raid_table` > `coverage_study` >
`flights | sectors | tracks` > `architecture` > `flight_cache`.
"""

from __future__ import annotations

from ..plots import difference_figure, draw_architecture, footprint_figure
from .architecture import (
    AZIMUTH_STEP_DEG,
    DEFAULT_STEP_S,
    MIN_RANGE_M,
    Architecture,
    ReachCache,
    provenance,
    reach_table,
    reach_tables,
    reachable,
    reachable_from,
)
from .coverage_study import (
    COVERAGE_METHODS,
    CoverageResult,
    FlightBatch,
    coverage,
    coverage_many,
    footprint,
    footprint_batches,
    footprints,
    run_batch,
    same_threats,
)
from .deterrent_study import (
    DETERRENT_PHASES,
    FLIGHT_SHAPES,
    SHAPE_APOGEE_FRACTION,
    SHAPE_CONVENTION_SOURCE,
    DeterrentConfig,
    DeterrentShapes,
    DeterrentStudy,
    ShipSweep,
    deterrent_flights,
    deterrent_shapes,
    deterrent_study,
    ship_engageable,
)
from .architecture import _REACH_CACHE as _REACH_CACHE  # tests clear it
from .tracks import _variant_arch as _variant_arch  # tests check the variants' networks
from .flight_cache import FlightCache, flight_missile
from .flights import SelectionError, fly, fly_within_reach, scenario_flights
from .options import COOPERATION_OPTIONS, OptionsComparison, compare_options
from .raid_table import scenario_engagement_table
from .sectors import allowed_batteries, point_territory, responsible, sector_names, sector_order, sector_sides
from .tracks import (
    FORWARD_RADAR,
    SENSOR_VARIANTS,
    SharedFlights,
    Tracks,
    battery_tracks,
    engage_flights,
    engagement_inputs,
    first_flight_facts,
    track_times,
    variant_track_times,
    variant_tracks,
)

__all__ = [
    "AZIMUTH_STEP_DEG", "COOPERATION_OPTIONS", "COVERAGE_METHODS", "DEFAULT_STEP_S", "DETERRENT_PHASES",
    "FLIGHT_SHAPES", "FORWARD_RADAR", "MIN_RANGE_M", "SENSOR_VARIANTS", "SHAPE_APOGEE_FRACTION",
    "SHAPE_CONVENTION_SOURCE", "Architecture", "CoverageResult", "DeterrentConfig", "DeterrentShapes",
    "DeterrentStudy", "FlightBatch", "FlightCache", "OptionsComparison", "ReachCache", "SelectionError", "SharedFlights", "ShipSweep",
    "Tracks",
    "allowed_batteries", "battery_tracks", "compare_options", "coverage", "coverage_many", "deterrent_flights",
    "deterrent_shapes", "deterrent_study", "difference_figure", "draw_architecture", "engage_flights",
    "engagement_inputs", "first_flight_facts", "flight_missile", "fly", "fly_within_reach", "footprint",
    "footprint_batches", "footprint_figure",
    "footprints", "point_territory", "provenance", "reach_table", "reach_tables", "reachable",
    "reachable_from", "responsible",
    "run_batch", "same_threats", "scenario_engagement_table", "scenario_flights", "sector_names", "sector_order",
    "sector_sides", "ship_engageable", "track_times", "variant_track_times", "variant_tracks",
]
