"""The claims ledger: public claims of the missile-defence dispute, tested by shieldsim's studies.

The catalogue (``shieldsim/data/claims.toml``, loaded by `load_claims`) holds claims made by US
and NATO officials, the Russian government and military, and independent analysts, each with
its claimant, date, source and statement, and a *check*: a study of built-in scenarios and a
predicate on one figure of it (``figure op threshold``). `evaluate` runs every study a set of
claims needs once per (scenario, assumption profile, grid) and gives, for every claim and
profile, a `ClaimResult`: holds / does not hold / cannot be tested (``holds`` None, with the
reason), the figure behind the verdict and the margin.

Studies (``check.study``):

* ``coverage``: one figure of a scenario's coverage against a threat area (or ``"all"`` areas
  together), for NATO's European members (``scope = "nato_europe"``, the NATO-Europe headline of
  `study.CoverageResult`) or the whole defended region (``"region"``), optionally only some
  countries (ISO 3166 alpha-3 codes). Quantities: ``population_defended`` and
  ``population_threatened`` (people), ``fraction_defended_of_threatened``.
* ``coverage-difference``: the same figure of ``scenario`` minus that of ``baseline`` (same
  threats, same grid; the flights are flown once).
* ``deterrent``: ``fraction_engageable``, the fraction of the built-in ``deterrent`` scenario's
  flights (Russian ICBM bases to North American aim points) that some battery of the phase
  ``scenario`` can engage, on the tracks of the sensor ``variant`` (`study.SENSOR_VARIANTS`).
* ``flights``: ``fraction_engageable`` of the scenario's own threat flights (its launch areas to
  its aim points, optionally one threat class), tracked and engaged as every study does
  (`study.engage_flights`: each battery's ``launch_on``/``engage_on``) by some battery that holds
  the rounds its doctrine fires and (under sectors) is responsible where it would intercept.
* ``unsupported``: a claim shieldsim cannot test; the result is ``holds`` None with ``reason``.

Margin: the signed distance of the figure from the threshold in the figure's unit, positive
on the side where the claim holds (``figure - threshold`` for ``>``/``>=``, ``threshold -
figure`` for ``<``/``<=``); at the threshold a strict comparison fails with margin 0.

Assumption profiles (`shieldsim.assumptions`) are applied to each study's scenario before it
is converted; ``None`` stands for the scenario alone (named ``"scenario"`` in results).

This is a study-layer module: it uses `study`, `scenario`, `assumptions` and the physics, never
`report` or the command line.
"""

from __future__ import annotations

import datetime
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import scenario as scen
from . import study

CATALOGUE = Path(__file__).parent / "data" / "claims.toml"
"""The shipped catalogue of claims."""

DEFAULT_GRID_DEG = 2.0
"""Coverage grid of the ledger, degrees: coarser than a scenario's own (0.5 degrees) so that the
whole ledger stays a matter of minutes; every output states the grid used."""

SCENARIO_ONLY = "scenario"
"""Name of the 'no profile' column: the scenario as written."""

DETERRENT_SCENARIO = "deterrent"
"""Built-in scenario whose Russian ICBM bases and North American aim points ``deterrent`` checks fly."""

def icbm_areas(arch) -> list[str]:
    """The deterrent scenario's launch areas whose flights the ``deterrent`` checks count: the ICBM
    bases, without the SSBN patrol areas (`deterrent.SSBN_AREAS`, added in issue 15; their SLBM
    flights are reported per launch area by ``shieldsim deterrent``), so that the claims about
    Russian ICBMs are tested on ICBM flights."""
    from .deterrent import SSBN_AREAS

    return [a for a in arch.scenario.launch_areas if a not in SSBN_AREAS]


STUDIES = ("coverage", "coverage-difference", "deterrent", "flights", "unsupported")
SCOPES = ("nato_europe", "region")
OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
QUANTITIES = {
    "coverage": ("population_defended", "population_threatened", "fraction_defended_of_threatened"),
    "coverage-difference": ("population_defended", "population_threatened", "fraction_defended_of_threatened"),
    "deterrent": ("fraction_engageable",),
    "flights": ("fraction_engageable",),
    "unsupported": (),
}
UNITS = {"population_defended": "people", "population_threatened": "people",
         "fraction_defended_of_threatened": "fraction", "fraction_engageable": "fraction of flights"}
SIDES = ("US/NATO", "Russia", "independent")

_Text = Field(min_length=3, max_length=4000)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSpec(_Spec):
    """How a claim is tested (see the module docstring); validated on loading."""

    study: Literal["coverage", "coverage-difference", "deterrent", "flights", "unsupported"]
    scenario: str = Field(min_length=1, max_length=200)
    baseline: str | None = None
    area: str = "all"
    scope: Literal["nato_europe", "region"] = "nato_europe"
    countries: tuple[str, ...] | None = None
    threat: str | None = None
    variant: str = "scenario"
    quantity: str | None = None
    op: Literal[">", ">=", "<", "<="] | None = None
    threshold: float | None = None
    reason: str | None = None
    reading: str = _Text

    @field_validator("countries")
    @classmethod
    def _iso3(cls, v):
        if v is not None and (not v or any(not re.fullmatch(r"[A-Z]{3}", c) for c in v)):
            raise ValueError("countries must be a non-empty list of ISO 3166 alpha-3 codes, e.g. ['GRC', 'TUR']")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> CheckSpec:
        if self.study == "unsupported":
            if not self.reason:
                raise ValueError("an 'unsupported' check needs a reason saying which capability shieldsim lacks")
            if self.quantity or self.op or self.threshold is not None:
                raise ValueError("an 'unsupported' check has no quantity, op or threshold")
            return self
        if self.reason:
            raise ValueError(f"reason is only for 'unsupported' checks, not {self.study!r}")
        if self.quantity not in QUANTITIES[self.study]:
            raise ValueError(f"quantity {self.quantity!r} is not one of {self.study!r}: "
                             f"allowed: {', '.join(QUANTITIES[self.study])}")
        if self.op is None or self.threshold is None or not math.isfinite(self.threshold):
            raise ValueError("a check needs op (one of >, >=, <, <=) and a finite threshold")
        if (self.study == "coverage-difference") != (self.baseline is not None):
            raise ValueError("baseline is required by, and only allowed in, 'coverage-difference' checks")
        if self.countries is not None and not self.study.startswith("coverage"):
            raise ValueError("countries are only for coverage checks")
        if self.threat is not None and self.study != "flights":
            raise ValueError("threat is only for 'flights' checks")
        if self.variant != "scenario" and self.study != "deterrent":
            raise ValueError("variant is only for 'deterrent' checks")
        if self.variant not in study.SENSOR_VARIANTS:
            raise ValueError(f"variant {self.variant!r}: allowed: {', '.join(study.SENSOR_VARIANTS)}")
        return self


class ClaimSpec(_Spec):
    """One catalogue entry (see ``shieldsim/data/claims.toml`` for the fields)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")
    claimant: str = _Text
    side: Literal["US/NATO", "Russia", "independent"]
    date: str
    statement_kind: Literal["quotation", "paraphrase"]
    statement: str = Field(min_length=10, max_length=4000)
    source: str = Field(min_length=20, max_length=4000)
    check: CheckSpec

    @field_validator("date")
    @classmethod
    def _iso_date(cls, v: str) -> str:
        formats = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
        try:
            datetime.datetime.strptime(v, formats[len(v)])
        except (KeyError, ValueError):
            raise ValueError(f"date {v!r} is not ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY)") from None
        return v


class Catalogue(_Spec):
    claim: list[ClaimSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        seen = set()
        for c in self.claim:
            if c.id in seen:
                raise ValueError(f"claim id {c.id!r} appears twice; ids must be unique")
            seen.add(c.id)
        return self


class ClaimsError(ValueError):
    """A catalogue that does not validate: one line per problem, ``claim[i].field: message``."""


@dataclass(frozen=True)
class Claim:
    """A claim of the dispute and how shieldsim tests it (`CheckSpec`)."""

    id: str
    claimant: str
    side: str
    date: str
    source: str
    statement: str
    statement_kind: str
    check: CheckSpec

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The scenarios the check uses (scenario, then baseline if any)."""
        return tuple(s for s in (self.check.scenario, self.check.baseline) if s)

    def describe_check(self) -> str:
        """The check in one line, e.g. "the deterrent scenario's ICBM flights against epaa-phase4
        [sensors: scenario]: fraction_engageable > 0"."""
        c = self.check
        if c.study == "unsupported":
            return f"cannot be tested: {' '.join(c.reason.split())}"
        areas = "all threat areas" if c.area == "all" else f"threat area {c.area}"
        scope = {"nato_europe": "NATO Europe", "region": "whole region"}[c.scope]
        where = {"coverage": f"coverage of {c.scenario} against {areas}, {scope}",
                 "coverage-difference": f"coverage of {c.scenario} minus {c.baseline} against {areas}, {scope}",
                 "deterrent": f"the {DETERRENT_SCENARIO} scenario's ICBM flights against {c.scenario} "
                              f"[sensors: {c.variant}]",
                 "flights": f"{c.scenario}'s own threat flights" + (f" of class {c.threat}" if c.threat else "")}[c.study]
        if c.countries:
            where += f" ({', '.join(c.countries)})"
        return f"{where}: {c.quantity} {c.op} {c.threshold:g}"

    def as_dict(self) -> dict:
        return {"id": self.id, "claimant": self.claimant, "side": self.side, "date": self.date,
                "source": " ".join(self.source.split()), "statement": " ".join(self.statement.split()),
                "statement_kind": self.statement_kind, "check": self.check.model_dump(exclude_none=True),
                "check_text": self.describe_check()}


@dataclass(frozen=True)
class ClaimResult:
    """A claim's verdict under one profile.

    ``holds``: True / False, or None when the claim cannot be tested (``reason`` says why);
    ``figure``: the computed quantity behind the verdict in ``unit``; ``margin``: signed distance
    from the threshold in ``unit``, positive on the side where the claim holds; ``reason``: how
    the verdict was reached (or why there is none).
    """

    holds: bool | None
    figure: float | None
    margin: float | None
    unit: str
    reason: str

    def as_dict(self) -> dict:
        return {"holds": self.holds, "figure": self.figure, "margin": self.margin, "unit": self.unit,
                "reason": self.reason}

    @property
    def verdict(self) -> str:
        """'holds', 'does not hold' or 'not testable'."""
        return {True: "holds", False: "does not hold", None: "not testable"}[self.holds]


def verdict(check: CheckSpec, figure: float) -> ClaimResult:
    """Apply the check's predicate to ``figure`` (in the quantity's unit)."""
    figure = float(figure)
    holds = bool(OPERATORS[check.op](figure, check.threshold))
    margin = figure - check.threshold if check.op in (">", ">=") else check.threshold - figure
    unit = UNITS[check.quantity]
    return ClaimResult(holds, figure, margin, unit,
                       f"{check.quantity} = {_fmt(figure, unit)} {'' if holds else 'not '}{check.op} "
                       f"{_fmt(check.threshold, unit)}")


def _fmt(x: float, unit: str) -> str:
    return f"{x:,.0f}" if unit == "people" else f"{x:.4g}"


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """The claims of the catalogue at ``path`` (default: the shipped `CATALOGUE`), validated.

    Raises:
        ClaimsError: every problem, one per line (a missing claimant, date, source or statement,
            a date not in ISO 8601, an unknown study or quantity, a duplicate id, ...).
    """
    import tomllib

    from .files import InputFileError, read_text

    path = Path(path) if path else CATALOGUE
    try:
        raw = tomllib.loads(read_text(path))  # a regular file of bounded size only (`files`)
    except InputFileError as err:
        raise ClaimsError(str(err)) from None
    except tomllib.TOMLDecodeError as err:
        raise ClaimsError(f"{path}: not valid TOML: {err}") from None
    try:
        cat = Catalogue.model_validate(raw)
    except ValidationError as err:
        lines = [f"{path}: {err.error_count()} problem(s)"]
        for e in err.errors():
            loc = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in e["loc"]).lstrip(".")
            lines.append(f"  {loc}: {e['msg']}")
        raise ClaimsError("\n".join(lines)) from None
    return [Claim(c.id, c.claimant, c.side, c.date, c.source, c.statement, c.statement_kind, c.check)
            for c in cat.claim]


def claim_scenarios(claims: Sequence[Claim]) -> list[str]:
    """Every scenario the claims' checks use, in first-use order."""
    return list(dict.fromkeys(s for c in claims for s in c.scenarios))


def select(claims: Sequence[Claim], scenarios: Sequence[str] | None) -> list[Claim]:
    """The claims whose check uses one of ``scenarios`` (all claims when None or empty).

    Raises:
        ValueError: a scenario no claim uses (the message lists the allowed ones).
    """
    if not scenarios:
        return list(claims)
    known = claim_scenarios(claims)
    for s in scenarios:
        if s not in known:
            raise ValueError(f"no claim is about scenario {s!r}; allowed: {', '.join(known)}")
    return [c for c in claims if set(c.scenarios) & set(scenarios)]


# ---------------------------------------------------------------------------------------------
# evaluation


class Unavailable(Exception):
    """A figure shieldsim cannot compute for a claim (the message is the reason)."""


def profile_name(profile) -> str:
    """Display name of a profile entry: None -> 'scenario'; a loaded profile -> its ``name``;
    a built-in name or a file path -> that name or the file's stem."""
    if profile is None:
        return SCENARIO_ONLY
    if isinstance(profile, (str, Path)):
        text = str(profile)
        return Path(text).stem if text.endswith(".toml") else text
    return str(getattr(profile, "name", profile))


def load_profiles(profiles: Sequence) -> dict:
    """{profile name: loaded profile (None for the scenario alone)} for ``profiles`` (None, built-in
    names or TOML paths, or profiles already loaded), in order.

    Raises:
        ValueError: a name or file `assumptions.load_profile` rejects; two profiles of one name.
    """
    out = {}
    for p in profiles:
        loaded, name = p, profile_name(p)
        if isinstance(p, (str, Path)):
            from . import assumptions

            loaded = assumptions.load_profile(p)
            name = str(getattr(loaded, "name", "") or name)
        if name in out:
            raise ValueError(f"profile {name!r} is given twice")
        out[name] = loaded
    return out


@dataclass
class Ledger:
    """The result of `evaluate`.

    ``claims``: the claims evaluated (catalogue order); ``profiles``: the profile names (columns);
    ``results``: {claim id: {profile name: `ClaimResult`}}; ``coverage``: {(scenario name,
    profile name): `study.CoverageResult`} of every coverage study run (for headlines);
    ``attrs``: provenance (version, models, grid, step, studies run, seconds).
    """

    claims: list
    profiles: list
    results: dict
    coverage: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    extra_keys: dict = field(default_factory=dict)  # extra_coverage scenario name -> key in ``coverage``

    def flips(self) -> dict:
        """{claim id: [profiles whose verdict differs from the scenario alone]} (from the first
        profile when the scenario alone was not evaluated); claims no profile flips are left out."""
        out = {}
        for c in self.claims:
            row = self.results[c.id]
            ref = row.get(SCENARIO_ONLY) or row[self.profiles[0]]
            flipped = [p for p in self.profiles if row[p].holds is not None and ref.holds is not None
                       and row[p].holds != ref.holds]
            if flipped:
                out[c.id] = flipped
        return out

    def headlines(self, scenario: str) -> dict:
        """{profile: {area: NATO-Europe figures}} ("all" first, then each threat area; the
        ``nato_europe`` part of `geography.nato_europe_population`, members of the scenario's
        year) of ``scenario``'s coverage under every profile; profiles whose coverage was not
        computed are left out. ``scenario``: a scenario of the claims or of ``extra_coverage``."""
        from .geography import nato_europe_population

        key = self.extra_keys.get(scenario, scenario)
        out = {}
        for p in self.profiles:
            res = self.coverage.get((key, p))
            if res is not None:
                areas = ["all"] + [a for a in res.population if a != "all"]
                out[p] = {a: nato_europe_population(res.population[a], res.year)["nato_europe"] for a in areas}
        return out

    def as_dict(self) -> dict:
        """JSON-ready: ``claims`` (each claim with ``results`` {profile: result}), ``profiles``,
        ``flips``, ``attrs``."""
        claims = []
        for c in self.claims:
            d = c.as_dict()
            d["results"] = {p: self.results[c.id][p].as_dict() for p in self.profiles}
            claims.append(d)
        return {"claims": claims, "profiles": list(self.profiles), "flips": self.flips(), "attrs": self.attrs}


def evaluate(claims: Sequence[Claim], profiles: Sequence = (None,), grid_deg: float = DEFAULT_GRID_DEG,
             executor=None, progress: Callable[[str, int, int], None] | None = None,
             extra_coverage: Sequence = ()) -> Ledger:
    """Evaluate every claim under every profile.

    Args:
        claims: from `load_claims` (or `select`).
        profiles: None (the scenario alone), built-in profile names, profile TOML paths or loaded
            profiles (see `load_profiles`).
        grid_deg: coverage grid, degrees (default `DEFAULT_GRID_DEG`).
        executor: a `parallel.Executor` for the coverage batches (default: this process).
        progress: ``progress(stage, done, total)`` as work completes.
        extra_coverage: scenarios (`scenario.Scenario` as written, no profile applied; or built-in
            names) whose coverage is also computed under every profile, e.g. for a report's
            per-profile headlines (`Ledger.headlines`). One equal to the built-in of its name
            shares that scenario's studies; another is kept apart as "NAME [extra]".

    Each study runs once per (scenario, profile): coverage studies of architectures that face
    the same threats share their flights (`study.coverage_many`, all threat areas), deterrent
    checks share the deterrent scenario's flights. A study that fails (a profile that does not
    apply to a scenario, a figure this version cannot compute) makes its claims ``holds`` None
    with the reason.
    """
    import time

    from . import __version__

    t0 = time.perf_counter()
    report = progress or (lambda *a: None)
    loaded = load_profiles(profiles)
    names = list(loaded)
    cov_needed = dict.fromkeys(s for c in claims if c.check.study.startswith("coverage") for s in c.scenarios)
    extra, extra_keys = {}, {}
    for s in extra_coverage:
        key = _extra_key(s)
        extra_keys[s if isinstance(s, str) else s.name] = key
        if key not in scen.builtin_names():
            extra[key] = s
        cov_needed[key] = None
    context = _Context(loaded, grid_deg, extra)
    coverage = context.coverage_all(list(cov_needed), executor, report)
    det_needed = dict.fromkeys((c.check.scenario, c.check.variant) for c in claims if c.check.study == "deterrent")
    deterrent = context.deterrent_all(list(det_needed), report)
    flights = context.flights_all([c for c in claims if c.check.study == "flights"], report)
    results = {}
    for c in claims:
        results[c.id] = {}
        for p in names:
            results[c.id][p] = _result(c, p, coverage, deterrent, flights, context.years)
    attrs = {"version": __version__, "grid_deg": grid_deg, "threat_step_s": study.DEFAULT_STEP_S,
             "models": context.models, "seed": None, "deterrent_scenario": DETERRENT_SCENARIO,
             "profile_titles": {p: ("the scenario as written" if prof is None else str(getattr(prof, "title", "") or p))
                                for p, prof in loaded.items()},
             "studies": {"coverage": sorted(f"{s} [{p}]" for s, p in coverage),
                         "deterrent": sorted(f"{s} [{v}] [{p}]" for s, v, p in deterrent),
                         "flights": sorted(f"{s} {t or 'all'} [{p}]" for s, t, p in flights)},
             "seconds": round(time.perf_counter() - t0, 1)}
    cov_results = {k: v for k, v in coverage.items() if not isinstance(v, Unavailable)}
    return Ledger(list(claims), names, results, cov_results, attrs, extra_keys)


def _extra_key(sc) -> str:
    """Key of an extra coverage scenario: its name when it is that built-in as shipped (or a
    built-in name), else "NAME [extra]"."""
    if isinstance(sc, str):
        return sc
    if sc.name in scen.builtin_names() and sc.assumptions is None and scen.load(sc.name) == sc:
        return sc.name
    return f"{sc.name} [extra]"


class _Context:
    """Scenarios under profiles, built once, and the studies run on them."""

    def __init__(self, profiles: dict, grid_deg: float, extra: dict):
        self.profiles, self.grid_deg, self.extra = profiles, grid_deg, extra
        self._archs: dict = {}
        self._bases: dict = {}  # name -> the scenario as written, read once for every profile
        self._same: dict = {}  # (scenario, profile) -> the first (scenario, profile) built to the same content
        self.models: dict = {}
        self.years: dict = {}  # (scenario, profile) -> the scenario's year (None if it has none)

    def base(self, name: str):
        """The scenario ``name`` as written (built-in, file, or an extra Scenario object), read
        once: the profiles apply to it without changing it (`assumptions.apply` makes a new one)."""
        if name not in self._bases:
            sc = self.extra.get(name, name)
            self._bases[name] = scen.load(sc) if isinstance(sc, str) else sc
        return self._bases[name]

    def scenario(self, name: str, profile: str):
        """The scenario ``name`` under ``profile``."""
        return self.apply(self.base(name), profile)

    def apply(self, sc, profile: str):
        prof = self.profiles[profile]
        if prof is None:
            return sc
        from . import assumptions

        return assumptions.apply(sc, prof)

    def arch(self, name: str, profile: str):
        key = (name, profile)
        if key not in self._archs:
            try:
                a = study.Architecture.from_scenario(self.scenario(name, profile))
            except Exception as err:  # a profile or scenario that cannot be built is a verdict, not a crash
                a = Unavailable(f"scenario {name!r} under profile {profile!r} cannot be built: "
                                f"{' '.join(str(err).split())}")
            self._archs[key] = a
            if not isinstance(a, Unavailable):
                self.models.setdefault(name, a.models.as_dict())
                self.years[key] = getattr(a.scenario, "year", None)
                content = _physics(a.scenario)
                self._same[key] = next((k for k, b in self._archs.items() if k != key and k in self._same
                                        and self._same[k] == k and _physics(b.scenario) == content), key)
        return self._archs[key]

    def same_as(self, name: str, profile: str) -> tuple:
        """The first (scenario, profile) whose scenario was built to the same content as ``name``
        under ``profile`` (itself if none): a profile that changes nothing in a scenario (or
        nothing but its record) gives the same studies, which then run once."""
        self.arch(name, profile)
        return self._same.get((name, profile), (name, profile))

    def coverage_all(self, scenarios: list, executor, report) -> dict:
        """{(scenario, profile): CoverageResult or Unavailable}; architectures facing the same
        threats run in one `study.coverage_many` pass."""
        out, todo, copies = {}, [], {}
        for s in scenarios:
            for p in self.profiles:
                a = self.arch(s, p)
                if isinstance(a, Unavailable):
                    out[(s, p)] = a
                elif not a.scenario.launch_areas:
                    out[(s, p)] = Unavailable(f"scenario {s!r} has no launch areas")
                elif self.same_as(s, p) != (s, p):
                    copies[(s, p)] = self.same_as(s, p)  # the same scenario: its result, computed once
                else:
                    todo.append(((s, p), a))
        groups: list[list] = []
        for key, a in todo:
            for g in groups:
                try:
                    study.same_threats([g[0][1], a])
                except ValueError:
                    continue
                g.append((key, a))
                break
            else:
                groups.append([(key, a)])
        for k, g in enumerate(groups):
            label = f"coverage {k + 1}/{len(groups)} ({len(g)} architectures) "
            res = study.coverage_many([a for _, a in g], grid_deg=self.grid_deg, executor=executor,
                                      progress=lambda area, done, total, label=label: report(label + area, done, total))
            out.update(zip((key for key, _ in g), res))
        out.update({key: out[same] for key, same in copies.items()})
        return out

    def deterrent_all(self, needed: list, report) -> dict:
        """{(phase, variant, profile): fraction of the deterrent scenario's ICBM flights (`icbm_areas`)
        engageable by any battery of the phase, or Unavailable}: one `study.deterrent_study` per
        profile (the deterrent scenario and every phase under that profile; the per-phase matrices
        of the needed sensor variants, engaged as ``shieldsim deterrent`` engages them). Only
        ``engageable`` is read, so the study leaves out the speed and delay sweeps, the margins
        (latest-launch search) and the minimum speeds."""
        out: dict = {}
        if not needed:
            return out
        phases = list(dict.fromkeys(ph for ph, _ in needed))
        variants = tuple(dict.fromkeys(v for _, v in needed))
        studies = {}  # the profiles whose scenarios are the same -> their one study
        for k, p in enumerate(self.profiles):
            det = self.arch(DETERRENT_SCENARIO, p)
            try:
                if isinstance(det, Unavailable):
                    raise det
                for ph in phases:  # a phase that cannot be built under this profile is its own verdict
                    if isinstance(self.arch(ph, p), Unavailable):
                        raise self.arch(ph, p)
                same = tuple(self.same_as(name, p) for name in [DETERRENT_SCENARIO] + phases)
                if same not in studies:
                    studies[same] = study.deterrent_study(  # engageability alone: no sweeps, no margins
                        det, variants=(), phases=phases, sweep_variants=variants, ship_interceptor=None,
                        min_speed=False, sweeps=False, margins=False, areas=icbm_areas(det),
                        load=lambda name, p=p: self.arch(name, p).scenario)
                res = studies[same]
            except Unavailable as err:
                out.update({(ph, v, p): err for ph, v in needed})
            else:
                for ph, v in needed:
                    out[(ph, v, p)] = res.phase_matrices[ph][v].fraction_engageable()["any"]
            report("deterrent", k + 1, len(self.profiles))
        return out

    def flights_all(self, claims: list, report) -> dict:
        """{(scenario, threat, profile): fraction of the scenario's flights engageable, or Unavailable}."""
        needed = list(dict.fromkeys((c.check.scenario, c.check.threat) for c in claims))
        out, total, done = {}, len(needed) * len(self.profiles), 0
        for s, threat in needed:
            for p in self.profiles:
                a = self.arch(s, p)
                same = self.same_as(s, p)
                if isinstance(a, Unavailable):
                    out[(s, threat, p)] = a
                elif same != (s, p) and (same[0], threat, same[1]) in out:
                    out[(s, threat, p)] = out[(same[0], threat, same[1])]  # the same scenario: computed once
                else:
                    try:
                        traj, _, _ = study.scenario_flights(a, threat=threat)
                    except study.SelectionError as err:
                        out[(s, threat, p)] = Unavailable(str(err))
                    else:
                        e, _ = study.engage_flights(a, traj)  # each battery's launch_on / engage_on
                        ok = study.allowed_batteries(a, e).any(axis=1) if a.batteries else []
                        out[(s, threat, p)] = float(sum(ok) / max(len(traj), 1))
                done += 1
                report("flights", done, total)
        return out


def _physics(sc):
    """A scenario without the record of the profile applied to it (``assumptions``): what its
    architecture and studies are built from."""
    return sc.model_copy(update={"assumptions": None})


def _same_threats(a, b) -> bool:
    try:
        study.same_threats([a, b])
    except ValueError:
        return False
    return a.scenario.threats == b.scenario.threats and a.scenario.aim_points == b.scenario.aim_points


def coverage_figure(result, area: str, scope: str, quantity: str, countries=None, year: int | None = None) -> float:
    """One figure of a `study.CoverageResult` (see the module docstring).

    Args:
        result: the coverage result.
        area: "all" or one of its threat areas.
        scope: "nato_europe" (NATO's European members of ``year``, with the territories counted
            with them; `geography.nato_europe_population`) or "region" (everyone on the grid).
        quantity: ``population_defended``, ``population_threatened`` (people) or
            ``fraction_defended_of_threatened`` (0 when nobody is threatened).
        countries: ISO3 codes to restrict to (for "nato_europe", those counted as NATO Europe
            in ``year``).
        year: membership year (None: the result's own year, else the default of `geography`).

    Raises:
        Unavailable: an unknown area, or threatened figures this result does not hold.
    """
    from . import geography

    if area not in result.population:
        raise Unavailable(f"no threat area {area!r}; allowed: {', '.join(result.population)}")
    pop = result.population[area]
    year = year if year is not None else result.year
    if countries:
        wanted = set(countries)
        if scope == "nato_europe":
            wanted &= geography.nato_europe_areas(geography.membership_year(year)[0])
        rows = [r for r in pop.country_rows() if r["iso3"] in wanted]
        block = {"population_defended": sum(r["population_defended"] for r in rows)}
        if all(r["population_threatened"] is not None for r in rows):
            threatened = sum(r["population_threatened"] for r in rows)
            block["population_threatened"] = threatened
            block["fraction_defended_of_threatened"] = block["population_defended"] / threatened if threatened else 0.0
    elif scope == "nato_europe":
        block = geography.nato_europe_population(pop, year)["nato_europe"]
    else:
        block = pop.as_dict()
    if block.get(quantity) is None:
        raise Unavailable(f"{quantity} is not known for this coverage result (no threatened figures)")
    return float(block[quantity])


def _result(c: Claim, profile: str, coverage: dict, deterrent: dict, flights: dict, years: dict) -> ClaimResult:
    chk = c.check
    if chk.study == "unsupported":
        return ClaimResult(None, None, None, "", " ".join(chk.reason.split()))
    unit = UNITS[chk.quantity]
    try:
        if chk.study == "deterrent":
            figure = _value(deterrent[(chk.scenario, chk.variant, profile)])
        elif chk.study == "flights":
            figure = _value(flights[(chk.scenario, chk.threat, profile)])
        else:
            figure = _cov(coverage, chk.scenario, profile, chk, years)
            if chk.study == "coverage-difference":
                figure -= _cov(coverage, chk.baseline, profile, chk, years)
    except Unavailable as err:
        return ClaimResult(None, None, None, unit, str(err))
    return verdict(chk, figure)


def _value(v):
    if isinstance(v, Unavailable):
        raise v
    return v


def _cov(coverage: dict, name: str, profile: str, chk: CheckSpec, years: dict) -> float:
    """A coverage figure of ``name``; NATO members counted as of the check's scenario's year, so
    that a difference compares the same people (as `study.OptionsComparison` does)."""
    res = _value(coverage[(name, profile)])
    return coverage_figure(res, chk.area, chk.scope, chk.quantity, chk.countries, years.get((chk.scenario, profile)))
