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

A package by job; every public name is re-exported here (``from shieldsim.battle import
simulate``):

| module | holds |
|---|---|
| `raids` | `Raid`, `Doctrine`, the raid-file schema (`RaidFile`, `RaidSpec`, ...), `engagement_from_spec` |
| `problem` | a raid and an engagement as plain arrays (`_Problem`), `battery_names` |
| `kernel` | the compiled trial kernel, the uniforms of each trial block, `TRIAL_BLOCK` |
| `monte_carlo` | `simulate` in resumable chunks, `BattleResult`, chunk sizes |
| `documents` | raid documents: `read_document`, `read_tables`, `document_inputs`, `simulate_document` |

Inner layers (import-linter): `documents` > `monte_carlo` > `kernel` > `problem` > `raids`.
"""

from __future__ import annotations

from .documents import (
    document_inputs,
    read_document,
    read_tables,
    simulate_document,
)
from .kernel import (
    TRIAL_BLOCK,
    UNIFORM_BYTES,
)
from .monte_carlo import (
    CHUNK_THREAT_TRIALS,
    CHUNK_TRIALS_UNIT,
    MAX_CHUNK_THREAT_VALUES,
    BattleResult,
    default_chunk_trials,
    simulate,
    trial_chunks,
)
from .problem import (
    battery_names,
)
from .raids import (
    DEFAULT_KILL_ASSESSMENT,
    DOCTRINES,
    MAX_PAIRS,
    MAX_THREATS,
    BatterySpec,
    Doctrine,
    DoctrineSpec,
    EngagementSpec,
    Raid,
    RaidFile,
    RaidSpec,
    WaveSpec,
    WindowEngagement,
    WindowSpec,
    check_size,
    engagement_from_spec,
)

__all__ = [
    "BatterySpec", "BattleResult", "CHUNK_THREAT_TRIALS", "CHUNK_TRIALS_UNIT", "DEFAULT_KILL_ASSESSMENT",
    "DOCTRINES", "Doctrine", "DoctrineSpec", "EngagementSpec", "MAX_CHUNK_THREAT_VALUES", "MAX_PAIRS",
    "MAX_THREATS", "Raid", "RaidFile", "RaidSpec", "TRIAL_BLOCK", "UNIFORM_BYTES", "WaveSpec", "WindowEngagement",
    "WindowSpec", "battery_names", "check_size", "default_chunk_trials", "document_inputs", "engagement_from_spec",
    "read_document", "read_tables", "simulate", "simulate_document", "trial_chunks",
]
