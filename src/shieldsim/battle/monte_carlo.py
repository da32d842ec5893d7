"""The chunked Monte Carlo of a raid (`simulate`) and its result (`BattleResult`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from .kernel import TRIAL_BLOCK, _simulate_range
from .problem import _problem, _Problem, battery_names
from .raids import DEFAULT_KILL_ASSESSMENT, Doctrine, Raid


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
    from .. import parallel

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
