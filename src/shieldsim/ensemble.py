"""Uncertainty ensembles: every uncertain figure drawn from its sourced range, each member a whole
study, on any executor, with chunked, atomic, resumable output.

Design (`design`): members are points of the unit hypercube, one quantile per figure
(`uncertainty.Figure.value` turns a quantile into the figure's value), drawn by a space-filling
scheme from a seed:

- ``"sobol"``: SALib's Saltelli scheme on scrambled Sobol' points (`SALib.sample.sobol`, itself
  `scipy.stats.qmc.Sobol`): ``N * (D + 2)`` members for ``N`` base points and ``D`` figures; gives
  first-order and total Sobol' indices;
- ``"morris"``: SALib's Morris trajectories (``r * (D + 1)`` members, 4 levels), for screening many
  figures with few members;
- ``"lhs"``: a Latin hypercube (`scipy.stats.qmc.LatinHypercube`), percentiles only;
- ``"auto"``: Sobol' when the members allow at least `MIN_SOBOL_BASE` base points, else Morris
  when they allow 2 trajectories, else a Latin hypercube.

Running (`run`): the members are cut into chunks of `CHUNK_MEMBERS` in design order (the cut does
not depend on the number of workers) and each chunk is one piece of work for the executor
(`parallel.executor`: in-process, local Dask cluster, existing scheduler). With ``out_dir`` the
chunks go through `parallel.run_chunks`: each finished chunk is written atomically, and resuming
reads finished chunks back instead of computing them. A member's study is a picklable function of
``values`` (figure path -> value) returning ``{headline name: number}``; every member gets the
same study, so the result depends only on the design (figures, seed, members), never on the
back-end.

The result (`Ensemble`) gives per headline the nominal value (when known), p05/p50/p95, mean,
min, max and the SALib sensitivity indices (`sensitivity.analyse`).

Failed members: a member whose drawn figures the model cannot represent raises a model error
(`MODEL_ERRORS`: `ValueError`, which `trajectory.AimError` and the boost model's refusals are) and
is recorded as failed -- its headlines NaN, its index and one-line error kept in the chunk
(``"failed": {index: message}``) and in `Ensemble.failed` -- instead of ending the ensemble. Other
exceptions (TypeError, KeyboardInterrupt, MemoryError, ...) still propagate. Percentiles are over
the members that finished, with the count of failed members next to them; Sobol' and Morris
indices need every member of the design, so with any failed member they are not computed, and
the note says why. A failed member is a result like any other: its chunk is written, and resuming
reads it back rather than computing it again (the member's study is deterministic, so it would
fail the same way).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from . import sensitivity
from .uncertainty import Figure, member_overrides

METHODS = ("auto", "sobol", "morris", "lhs")
"""Design schemes (see the module docstring)."""

MIN_SOBOL_BASE = 8
"""Fewest Sobol' base points ``auto`` accepts (below it the indices' intervals are uselessly wide)."""

MODEL_ERRORS: tuple[type[BaseException], ...] = (ValueError,)
"""Exceptions that mark one member as failed rather than end the ensemble: the model refusing
figures it cannot represent (`ValueError`; `trajectory.AimError`, `uncertainty.UncertaintyError`
and the boost model's "no minimum-energy burn" are ValueErrors)."""

CHUNK_MEMBERS = 4
"""Members per chunk of work (and per file of a resumable run)."""

MAX_MEMBERS = 100_000
"""Largest ensemble accepted."""


def is_yes_no(name: str) -> bool:
    """Whether headline ``name`` is a yes/no answer (1 holds, 0 does not; NaN untestable): a
    name with a ``holds`` segment, as ``claims/holds/ID``. Decided by the name, not the values:
    a fraction that happens to be 0 in every member is not a claim that never holds."""
    return "holds" in name.split("/")


class EnsembleError(ValueError):
    """An ensemble that cannot be made as asked; the message is one line saying what is allowed."""


@dataclass(frozen=True)
class Design:
    """The members of an ensemble: ``method``, figure ``names`` (paths), ``quantiles`` ((M, D) in
    [0, 1], one row per member), ``seed``, ``base`` (Sobol' base points, Morris trajectories or
    Latin-hypercube members) and ``requested`` (the members asked for)."""

    method: str
    names: tuple
    quantiles: np.ndarray
    seed: int
    base: int
    requested: int

    @property
    def members(self) -> int:
        return int(self.quantiles.shape[0])

    def describe(self) -> dict:
        """JSON-ready description (no quantiles)."""
        scheme = {"sobol": "SALib Saltelli scheme on scrambled Sobol' points (N * (D + 2) members)",
                  "morris": "SALib Morris trajectories (r * (D + 1) members, 4 levels)",
                  "lhs": "Latin hypercube (scipy.stats.qmc)"}[self.method]
        return {"method": self.method, "scheme": scheme, "members": self.members, "requested": self.requested,
                "base": self.base, "seed": self.seed, "figures": len(self.names)}


def choose_method(n_figures: int, members: int, method: str = "auto") -> str:
    """The scheme ``auto`` picks for ``members`` and ``n_figures`` (or ``method`` itself)."""
    if method not in METHODS:
        raise EnsembleError(f"method {method!r} unknown; allowed: {', '.join(METHODS)}")
    if method != "auto":
        return method
    if members // (n_figures + 2) >= MIN_SOBOL_BASE:
        return "sobol"
    if members // (n_figures + 1) >= 2:
        return "morris"
    return "lhs"


def design(figures: Sequence[Figure], members: int, seed: int, method: str = "auto") -> Design:
    """Draw the members' quantiles. The same (figures, members, seed, method) always gives the
    same design. Raises `EnsembleError` when there is no figure or too few members for the
    scheme (the message gives the least number)."""
    names = tuple(f.path for f in figures)
    d = len(names)
    if d == 0:
        raise EnsembleError("the study has no uncertain figure (no *_range in its scenarios or catalogues); allowed: "
                            "give ranges next to the figures")
    if not 2 <= members <= MAX_MEMBERS:
        raise EnsembleError(f"--ensemble {members}: allowed: 2 to {MAX_MEMBERS:,} members")
    if not 0 <= seed < 2 ** 63:
        raise EnsembleError(f"--seed {seed}: allowed: 0 to 2^63-1")
    kind = choose_method(d, members, method)
    prob = sensitivity.problem(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when N is not a power of 2
        if kind == "sobol":
            base = members // (d + 2)
            if base < 1:
                raise EnsembleError(f"--ensemble {members}: the sobol method needs at least D + 2 = {d + 2} members "
                                    f"for {d} figures; allowed: --ensemble >= {d + 2}, or --method morris or lhs")
            from SALib.sample import sobol

            q = sobol.sample(prob, base, calc_second_order=False, scramble=True, seed=seed)
        elif kind == "morris":
            base = members // (d + 1)
            if base < 2:
                raise EnsembleError(f"--ensemble {members}: the morris method needs at least 2 (D + 1) = {2 * (d + 1)} "
                                    f"members for {d} figures; allowed: --ensemble >= {2 * (d + 1)}, or --method lhs")
            from SALib.sample import morris

            q = morris.sample(prob, base, num_levels=sensitivity.MORRIS_LEVELS, seed=seed)
        else:
            from scipy.stats import qmc

            base = members
            q = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(members)
    q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
    return Design(kind, names, q, int(seed), int(base), int(members))


# ---------------------------------------------------------------------------------------------
# running


MEMBER_FLIGHT_BYTES = 512 * 2**20
"""Most bytes of aimed flights the members run in one process keep (`MEMBER_FLIGHTS`); a member's
coverage flights at a 4-degree grid are some 50 MB."""

MEMBER_FLIGHTS = None
"""The `study.FlightCache` of the members run in this process (made on first use): members that
draw no new figure of a threat class reuse its flights instead of aiming them again. Aiming is
deterministic, so results are the same either way; the cache belongs to the process (a Dask
worker, or the in-process run) and is bounded by `MEMBER_FLIGHT_BYTES`."""


def _member_flights():
    global MEMBER_FLIGHTS
    if MEMBER_FLIGHTS is None:
        from .study import FlightCache

        MEMBER_FLIGHTS = FlightCache(MEMBER_FLIGHT_BYTES)
    return MEMBER_FLIGHTS


def _run_members(study: Callable, figures: tuple, rows: list) -> dict:
    """One chunk: the study of every member (``rows``: [(index, quantiles)]); JSON-ready:
    ``members`` (indices), ``headlines`` (one dict per member, empty for a failed one) and
    ``failed`` ({str(index): one-line error} of the members whose study raised a `MODEL_ERRORS`)."""
    from .study import flight_cache

    out, failed = [], {}
    with flight_cache.sharing(_member_flights()):
        for i, q in rows:
            try:
                result = study(member_overrides(figures, q))
            except MODEL_ERRORS as err:
                failed[str(int(i))] = failure_message(err)
                out.append({})
                continue
            out.append({k: _number(v) for k, v in result.items()})
    return {"members": [int(i) for i, _ in rows], "headlines": out, "failed": failed}


def failure_message(err: BaseException) -> str:
    """One line naming a member's error: ``"<ExceptionType>: <message on one line>"``."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _number(v: Any) -> float:
    """A headline value as a float (True/False -> 1/0; None -> NaN)."""
    if v is None:
        return math.nan
    return float(v)


@dataclass
class Ensemble:
    """The members' headlines: ``design``, ``figures``, ``values`` (headline -> (M,) array in
    design order), ``nominal`` (headline -> value of the nominal run, when given), which
    chunks were ``computed`` now and which ``loaded`` from an earlier run, the figures ``held``
    by an assumption profile, and the ``failed`` members ({member index: one-line error}; their
    headlines are NaN)."""

    design: Design
    figures: tuple
    values: dict
    nominal: dict = field(default_factory=dict)
    computed: list = field(default_factory=list)
    loaded: list = field(default_factory=list)
    held: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)

    def first_failure(self) -> str:
        """``"member <i>: <error>"`` of the lowest-numbered failed member ("" when none failed)."""
        if not self.failed:
            return ""
        i = min(self.failed)
        return f"member {i}: {self.failed[i]}"

    def percentiles(self, name: str) -> dict:
        """p05, p50, p95, mean, min, max of one headline over the members that gave a value
        (``members``), and ``failed``: how many members failed (`failed`) and so are not in them."""
        y = np.asarray(self.values[name], dtype=float)
        ok = y[np.isfinite(y)]
        if ok.size == 0:
            return {"p05": None, "p50": None, "p95": None, "mean": None, "min": None, "max": None, "members": 0,
                    "failed": len(self.failed)}
        p05, p50, p95 = (float(v) for v in np.percentile(ok, [5, 50, 95]))
        return {"p05": p05, "p50": p50, "p95": p95, "mean": float(ok.mean()), "min": float(ok.min()),
                "max": float(ok.max()), "members": int(ok.size), "failed": len(self.failed)}

    def sensitivity(self, name: str) -> sensitivity.Indices:
        """SALib indices of one headline (`sensitivity.analyse`); not computed (no rows, a note
        saying why) for a Sobol' or Morris design when any member failed, since their estimators
        need every member of the design."""
        if self.failed and self.design.method in ("sobol", "morris"):
            return sensitivity.Indices(self.design.method, note=(
                f"not computed: {len(self.failed)} of {self.design.members} members failed (first: "
                f"{self.first_failure()}) and {self.design.method} indices need every member of the design"))
        return sensitivity.analyse(self.design.method, self.design.names, self.design.quantiles,
                                   self.values[name], seed=self.design.seed)

    def probability(self, name: str) -> float | None:
        """Share of members where a 0/1 headline (e.g. a claim holding) is 1 (None if no member
        gave a value)."""
        y = np.asarray(self.values[name], dtype=float)
        ok = y[np.isfinite(y)]
        return float(ok.mean()) if ok.size else None

    def headline(self, name: str) -> dict:
        """JSON-ready summary of one headline: nominal, p05/p50/p95, mean, min, max, members,
        ``probability`` (for a yes/no headline: the share of members where it is 1, e.g. a claim
        holding), sensitivity (`sensitivity.Indices.as_dict`)."""
        out = {"nominal": self.nominal.get(name), **self.percentiles(name)}
        if is_yes_no(name):
            out["probability"] = self.probability(name)
        out["sensitivity"] = self.sensitivity(name).as_dict()
        return out

    def as_dict(self) -> dict:
        """JSON-ready: the design, the figures with their ranges and sources, the figures held by
        an assumption profile, the failed members (``failed``: {index: error}, in index order;
        ``failed_members``: their count) and every headline (`headline`)."""
        return {"design": self.design.describe(), "figures": [f.as_dict() for f in self.figures],
                "held_by_profile": list(self.held), "failed_members": len(self.failed),
                "failed": {str(i): self.failed[i] for i in sorted(self.failed)},
                "headlines": {name: self.headline(name) for name in self.values}}


def chunks_of(des: Design, figures: Sequence[Figure], study: Callable, chunk_members: int = CHUNK_MEMBERS):
    """The `parallel.Chunk`s of an ensemble: members in design order, ``chunk_members`` each."""
    from .parallel import Chunk

    figs = tuple(figures)
    out = []
    for lo in range(0, des.members, chunk_members):
        hi = min(lo + chunk_members, des.members)
        rows = [(i, [float(x) for x in des.quantiles[i]]) for i in range(lo, hi)]
        out.append(Chunk(f"members-{lo:06d}-{hi - 1:06d}", (study, figs, rows)))
    return out


def _chunk(arg) -> dict:
    study, figs, rows = arg
    return _run_members(study, figs, rows)


def run(study: Callable, figures: Sequence[Figure], des: Design, executor=None, out_dir=None, resume: bool = True,
        progress: bool = False, params: Any = None, chunk_members: int = CHUNK_MEMBERS,
        nominal: dict | None = None, held: Sequence[str] = ()) -> Ensemble:
    """Run every member's ``study`` (``study(values) -> {headline: number}``, picklable) on
    ``executor`` (default in-process). With ``out_dir``, chunks are written there as they finish
    and a later call with ``resume=True`` reads them back (`parallel.run_chunks`; ``params`` are
    added to the design's in the manifest, so resuming another ensemble is refused)."""
    from . import parallel

    figs = tuple(figures)
    if tuple(f.path for f in figs) != des.names:
        raise EnsembleError("the design was drawn for other figures")
    chunks = chunks_of(des, figs, study, chunk_members)
    ex = executor or parallel.InProcessExecutor()
    if out_dir is not None:
        job = {"ensemble": {**des.describe(), "names": list(des.names), "chunk_members": chunk_members,
                            "figures": [f.as_dict() for f in figs]}, "study": params}
        ran = parallel.run_chunks(_chunk, chunks, out_dir, resume=resume, progress=progress, executor=ex, params=job,
                                  description="ensemble members")
        results, computed, loaded = ran.results, ran.computed, ran.loaded
    else:
        results = ex.map(_chunk, [c.arg for c in chunks], progress=progress, description="ensemble members")
        results = [_json_round_trip(r) for r in results]
        computed, loaded = [c.key for c in chunks], []
    names: list[str] = []
    for r in results:
        for h in r["headlines"]:
            names += [k for k in h if k not in names]
    failed = {int(i): str(msg) for r in results for i, msg in r.get("failed", {}).items()}
    if failed:  # headlines no member gave (every member failed) still show, with no value
        names += [n for n in (nominal or {}) if n not in names]
    values = {n: np.full(des.members, np.nan) for n in names}
    for r in results:
        for i, h in zip(r["members"], r["headlines"]):
            for n, v in h.items():
                values[n][int(i)] = math.nan if v is None else float(v)
    return Ensemble(des, figs, values, dict(nominal or {}), computed, loaded, list(held), failed)


def _json_round_trip(value: Any) -> Any:
    """The value as a run from disk reads it back (so fresh and resumed runs agree exactly)."""
    import json

    return json.loads(json.dumps(value))


# ---------------------------------------------------------------------------------------------
# scenario studies: a member applied as an assumption profile


def scenario_member(study: Callable, base_profile, values: dict) -> dict:
    """Run ``study(profile)`` with the member's ``values`` applied as an assumption profile
    (`uncertainty.member_profile`, the user's ``base_profile`` after them)."""
    from .uncertainty import member_profile

    return study(member_profile(values, base_profile))


def scenario_study(study: Callable, base_profile=None) -> Callable:
    """A member function (``values -> headlines``) from a study of an assumption profile
    (``study(profile) -> headlines``, picklable)."""
    return functools.partial(scenario_member, study, base_profile)
