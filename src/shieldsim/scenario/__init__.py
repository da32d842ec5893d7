"""Scenario files: a missile-defence architecture described once, in TOML, and validated.

A scenario names the model switches, the sensors and how they share data, the interceptor
batteries, the threat classes and where they are launched from, what is defended, and (for
the sectoral proposal) which side engages in which sector. Keys carry their unit
(``lat_deg``, ``alt_km``, ``speed_kms``, ``range_km``, ``rcs_m2``, ``time_s`` ...); conversion
to SI happens only in the converters (`convert`).

File shape (see ``shieldsim show epaa-2018`` for a complete example)::

    name = "my-architecture"
    title = "One line shown by `shieldsim scenarios`"
    year = 2018                     # optional: the year the architecture stands for (1949-2100);
    year_source = "..."             # NATO Europe = the members of that year (default 2018)
    extends = "epaa-2018"           # optional: start from a built-in (or a path) ...
    remove = ["batteries.deveselu"] # ... and drop entries from it

    [models]                        # earth = "sphere" | "wgs84", rotation, drag
    [radars.NAME]                   # one table per radar
    [launch_detectors.NAME]         # space-based infrared early warning (cue only)
    [networks.NAME]                 # members = [sensor or network names], latency_s
    [interceptors.NAME]             # inline interceptor types (else from the catalogue)
    [batteries.NAME]                # site, interceptor, inventory, doctrine, side, network,
                                    # launch_on / engage_on ("own" | "remote"), own_radars
    [threats.NAME]                  # missile = catalogue name, or an inline definition
    [launch_areas.NAME]             # points = [{name, lat_deg, lon_deg}] or polygon_deg
    [defended]                      # lat/lon box and grid step of the defended region
    [aim_points.NAME]               # lat_deg, lon_deg, group
    [sectors.NAME]                  # countries = [ISO alpha-3] and/or polygon_deg; engaged_by; priority
    [assumptions]                   # written by `assumptions.apply`: the profile applied (a record)

Sources: every object that holds a number has a free-text ``source`` field that covers all
the figures in that object (where published estimates disagree it states the value chosen
and the published spread); a top-level number ``K`` has its source in ``K_source`` (so
``year`` in ``year_source``). Built-in scenarios are tested to have a non-empty source on
every such figure.

``year``: the year the architecture stands for. It selects NATO's membership for the
NATO-Europe population figures (`geography.nato_europe`); a scenario without one uses
`geography.DEFAULT_MEMBERSHIP_YEAR` and outputs say so.

``extends``: the parent (a built-in name, or a path relative to the extending file) is
loaded first, then the child is deep-merged into it: tables merge key by key, recursively;
any other value -- numbers, strings, booleans and **arrays, including arrays of tables such
as ``points`` or ``members``** -- replaces the parent's value as a whole (arrays are never
appended). ``remove`` lists dotted paths (``"section.entry"`` or ``"section.entry.key"``)
deleted after the merge. The loaded `Scenario` is fully resolved: ``extends`` is gone and
``based_on`` records the chain of parents for provenance only (it is not merged again).

Errors: `load` collects every problem (TOML syntax, unknown keys, wrong types, values out
of range, dangling references) and raises one `ScenarioError` whose message lists, per
problem, the field path, the bad value and what is allowed.

A package by job; every public name is re-exported here (``from shieldsim import scenario;
scenario.load(...)``):

| module | holds |
|---|---|
| `errors` | `Issue`, `ScenarioError` |
| `schema` | the pydantic models (`Scenario`, `RadarSpec`, `BatterySpec`, ...), `FigureRange` |
| `references` | `check_references` (networks, batteries, catalogues, sector sides) |
| `loading` | `load`, `loads`, `dump`, `validate`, `builtin_names`, `builtin_text`, ``extends``/``remove`` |
| `sources` | `sourced_figures`, `unsourced_tables` |
| `convert` | the converters to physics objects (`radars`, `networks`, `batteries`, `missiles`, `launch_points`, ...) |

Inner layers (import-linter): `convert | sources` > `loading` > `references` > `schema` > `errors`.
"""

from __future__ import annotations

from .convert import (
    Points,
    aim_points,
    batteries,
    battery_kwargs,
    battery_networks,
    interceptor_kwargs,
    interceptors,
    launch_detector_kwargs,
    launch_detectors,
    launch_points,
    missile_kwargs,
    missiles,
    models,
    network_home,
    network_members,
    networks,
    radar_kwargs,
    radars,
    refraction_record,
    refraction_summary,
)
from .errors import _NOTHING as _NOTHING  # the assumption profiles' and `validate --json`'s "no value"
from .errors import _short as _short
from .errors import Issue, ScenarioError
from .loading import _parse as _parse  # assumption profiles parse TOML the same way
from .loading import DEFAULT, builtin_names, builtin_text, dump, load, loads, validate
from .loading import _inner_model as _inner_model
from .references import _norm as _norm  # catalogue names compare the same way everywhere
from .references import check_references
from .schema import (
    DISTRIBUTIONS,
    RANGE_SUFFIX,
    AimPointSpec,
    AppliedOverrideSpec,
    AssumptionsSpec,
    BatterySpec,
    Bool,
    ChangeSpec,
    DefendedSpec,
    EngagementSpec,
    FigureRange,
    InterceptorSpec,
    Label,
    LatDeg,
    LatLon,
    LaunchAreaSpec,
    LaunchDetectorSpec,
    LonDeg,
    ModelsSpec,
    Name,
    NetworkSpec,
    PointSpec,
    RadarSpec,
    Scenario,
    SectorSpec,
    Side,
    Text,
    ThreatSpec,
)
from .sources import sourced_figures, unsourced_tables

__all__ = [
    "DEFAULT", "DISTRIBUTIONS", "RANGE_SUFFIX", "AimPointSpec", "AppliedOverrideSpec", "AssumptionsSpec", "BatterySpec",
    "Bool", "ChangeSpec", "DefendedSpec", "EngagementSpec", "FigureRange", "InterceptorSpec", "Issue", "Label", "LatDeg",
    "LatLon", "LaunchAreaSpec", "LaunchDetectorSpec", "LonDeg", "ModelsSpec", "Name", "NetworkSpec", "PointSpec",
    "Points", "RadarSpec", "Scenario", "ScenarioError", "SectorSpec", "Side", "Text", "ThreatSpec", "aim_points",
    "batteries", "battery_kwargs", "battery_networks", "builtin_names", "builtin_text", "check_references", "dump",
    "interceptor_kwargs", "interceptors", "launch_detector_kwargs", "launch_detectors", "launch_points", "load",
    "loads", "missile_kwargs", "missiles", "models", "network_home", "network_members", "networks", "radar_kwargs",
    "radars", "refraction_record", "refraction_summary", "sourced_figures", "unsourced_tables", "validate",
]
