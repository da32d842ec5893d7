"""Uncertain figures: the sourced ranges that scenarios and catalogues give next to nominal values,
and how one ensemble member's values of them are applied to a scenario.

Where ranges are written (the format is checked by the scenario schema, `scenario.FigureRange`):

- in a scenario table, next to the figure::

      [radars.kurecik-tpy2]
      reference_range_km = 1500.0
      reference_range_km_range = [1000.0, 2000.0]
      reference_range_km_range_source = "who gives the spread (or: shieldsim assumption)"
      reference_range_km_range_dist = "triangular"     # optional; default "uniform"

  (tables: radars, launch_detectors, networks, interceptors, threats, engagement);
- in the catalogues ``shieldsim/data/interceptors.toml`` and ``missiles.toml``, next to the figure
  in the row (``burnout_speed_kms_range = [4.0, 5.5]``) with its source in the row's source table
  under the same key (``[interceptor.sm3-iia.source] burnout_speed_kms_range = "..."``). A list
  figure (``stage_burn_times_s``) has one list per end: ``[[55.0, 45.0], [65.0, 54.0]]``.

A `Figure` is one uncertain figure of a study: its override ``path`` (the syntax of assumption
profiles, `assumptions.parse_path`: ``radars.NAME.FIELD``, ``interceptor_types.KEY.FIELD`` for a
catalogue interceptor fired by some battery, ``missile_types.KEY.FIELD`` for a catalogue threat
class used by some threat), nominal value, range, distribution and source. `figures(sc)` lists a
scenario's; `study_figures(scenarios)` the union over the scenarios one study loads (first wins).

A member is a quantile in [0, 1] per figure (`Figure.value` maps it through the distribution:
uniform over [low, high], or triangular with its mode at the nominal value; a list figure moves
all its elements with the same quantile). `member_profile` turns a member into an
`assumptions.Profile` whose overrides set every figure; an assumption profile given by the user is
applied after them, so the figures it sets are held at its values (they do not vary).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any
from collections.abc import Sequence

from . import assumptions
from . import scenario as scen
from .scenario import Issue, ScenarioError

RANGED_SECTIONS = ("radars", "launch_detectors", "networks", "interceptors", "threats")
"""Scenario sections whose entries may carry ranges (plus the single table ``engagement``)."""


class UncertaintyError(ScenarioError):
    """A range in a catalogue that is not valid (every problem, with its path)."""


@dataclass(frozen=True)
class Figure:
    """One uncertain figure: override ``path``, ``nominal``, ``low``/``high`` (human units, as in
    the file; tuples for list figures), ``dist`` ("uniform" | "triangular") and ``source``."""

    path: str
    nominal: Any
    low: Any
    high: Any
    dist: str = "uniform"
    source: str = ""

    @property
    def field(self) -> str:
        """The figure's field name (its unit is in it: ``_km``, ``_s``, ``_kms``, ``_m2``)."""
        return self.path.rsplit(".", 1)[-1]

    def value(self, q: float) -> Any:
        """The figure at quantile ``q`` in [0, 1] of its distribution (a float, or a list for a
        list figure: every element at the same quantile)."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {q!r} outside [0, 1]")
        if isinstance(self.low, tuple):
            nominal = self.nominal if isinstance(self.nominal, tuple) else (None,) * len(self.low)
            return [_quantile(float(q), lo, hi, nom, self.dist) for lo, hi, nom in zip(self.low, self.high, nominal)]
        return _quantile(float(q), self.low, self.high, self.nominal, self.dist)

    def collapsed(self) -> Figure:
        """The same figure with its range shrunk to the nominal value."""
        return replace(self, low=self.nominal, high=self.nominal)

    def as_dict(self) -> dict:
        """JSON-ready: path, nominal, low, high, dist, source."""
        def j(v):
            return list(v) if isinstance(v, tuple) else v
        return {"path": self.path, "nominal": j(self.nominal), "low": j(self.low), "high": j(self.high),
                "dist": self.dist, "source": self.source}


def _quantile(q: float, lo: float, hi: float, nominal: float | None, dist: str) -> float:
    """Inverse CDF of the uniform or triangular (mode = nominal) law on [lo, hi]."""
    if hi == lo:
        return float(lo)
    if dist == "triangular":
        c = (min(max(nominal if nominal is not None else (lo + hi) / 2, lo), hi) - lo) / (hi - lo)
        if q < c:
            return float(lo + math.sqrt(q * c) * (hi - lo))
        return float(hi - math.sqrt((1 - q) * (1 - c)) * (hi - lo))
    return float(lo + q * (hi - lo))


def _tuple(v: Any) -> Any:
    return tuple(float(x) for x in v) if isinstance(v, (list, tuple)) else (None if v is None else float(v))


def _figure(path: str, nominal: Any, rng: scen.FigureRange) -> Figure:
    return Figure(path, _tuple(nominal), _tuple(rng.low), _tuple(rng.high), rng.dist, rng.source)


# ---------------------------------------------------------------------------------------------
# catalogue ranges


def _catalogue(kind: str) -> dict:
    file = {"interceptor": "interceptors.toml", "missile": "missiles.toml"}[kind]
    text = (resources.files("shieldsim") / "data" / file).read_text(encoding="utf-8")
    return tomllib.loads(text)[kind]


def catalogue_ranges(kind: str, rows: dict | None = None) -> dict[str, dict[str, scen.FigureRange]]:
    """Validated ranges of a catalogue (``kind`` "interceptor" or "missile"): key -> field ->
    `scenario.FigureRange`. ``rows`` replaces the shipped file's rows (for tests).

    Raises:
        UncertaintyError: every problem (a range of a figure the row lacks, a range without its
            source in the row's source table, low above high, a nominal value outside its range).
    """
    rows = _catalogue(kind) if rows is None else rows
    out: dict[str, dict[str, scen.FigureRange]] = {}
    issues: list[Issue] = []
    for key, row in rows.items():
        sources = row.get("source", {}) if isinstance(row.get("source"), dict) else {}
        for name, value in row.items():
            if not name.endswith(scen.RANGE_SUFFIX):
                continue
            fld = name[: -len(scen.RANGE_SUFFIX)]
            where = f"{kind}.{key}.{name}"
            if fld not in row:
                issues.append(Issue(where, value, f"no figure {fld!r} in this row; allowed: a range next to a "
                                                  "figure of the row"))
                continue
            pair = value if isinstance(value, list) and len(value) == 2 else [value, None]
            try:
                rng = scen.FigureRange.model_validate({"low": pair[0], "high": pair[1],
                                                       "dist": row.get(f"{name}_dist", "uniform"),
                                                       "source": sources.get(name, "")})
            except Exception as err:  # pydantic ValidationError: one line per problem
                msg = "; ".join(e["msg"].removeprefix("Value error, ") for e in getattr(err, "errors", list)()) \
                    or str(err)
                issues.append(Issue(where, value, msg + f" (source goes in [{kind}.{key}.source] {name})"))
                continue
            if not _inside(row[fld], rng):
                issues.append(Issue(where, value, f"the nominal {fld} = {row[fld]!r} lies outside its range; "
                                                  "allowed: low <= nominal <= high"))
                continue
            out.setdefault(key, {})[fld] = rng
    if issues:
        raise UncertaintyError(issues, f"shieldsim/data/{kind}s.toml")
    return out


def _inside(nominal: Any, rng: scen.FigureRange) -> bool:
    """Whether the nominal value lies in [low, high] (element by element for lists)."""
    if isinstance(rng.low, list):
        return isinstance(nominal, list) and len(nominal) == len(rng.low) and \
            all(lo <= v <= hi for v, lo, hi in zip(nominal, rng.low, rng.high))
    return not isinstance(nominal, list) and rng.low <= nominal <= rng.high


# ---------------------------------------------------------------------------------------------
# the figures of a scenario


def figures(sc: scen.Scenario) -> list[Figure]:
    """Every uncertain figure of a scenario, in a fixed order: ranges in its own tables (by
    section, entry and field, file order), then those of the catalogue interceptors its batteries
    fire, then those of the catalogue threat classes its threats use (a threat's own range for a
    field replaces the catalogue's for that threat's class only when every threat of the class
    gives one)."""
    out: list[Figure] = []
    for section in RANGED_SECTIONS:
        for name, entry in (getattr(sc, section) or {}).items():
            for fld, rng in entry.ranges.items():
                nominal = getattr(entry, fld)
                if nominal is None and section == "threats":
                    nominal = _catalogue("missile").get(_missile_key(entry.missile) or "", {}).get(fld)
                out.append(_figure(f"{section}.{name}.{fld}", nominal, rng))
    for fld, rng in sc.engagement.ranges.items():
        out.append(_figure(f"engagement.{fld}", getattr(sc.engagement, fld), rng))
    fired = []
    for b in sc.batteries.values():
        key = _interceptor_key(b.interceptor) if b.interceptor not in sc.interceptors else None
        if key is not None and key not in fired:
            fired.append(key)
    icp_ranges, icp_rows = catalogue_ranges("interceptor"), _catalogue("interceptor")
    for key in fired:
        for fld, rng in icp_ranges.get(key, {}).items():
            out.append(_figure(f"{assumptions.CATALOGUE_SECTION}.{key}.{fld}", icp_rows[key][fld], rng))
    used: dict[str, list[str]] = {}
    for name, t in sc.threats.items():
        key = _missile_key(t.missile) if t.missile is not None else None
        if key is not None:
            used.setdefault(key, []).append(name)
    mis_ranges, mis_rows = catalogue_ranges("missile"), _catalogue("missile")
    for key, threats in used.items():
        for fld, rng in mis_ranges.get(key, {}).items():
            if all(fld in sc.threats[t].ranges for t in threats):
                continue
            out.append(_figure(f"{assumptions.MISSILE_SECTION}.{key}.{fld}", mis_rows[key][fld], rng))
    return out


def _interceptor_key(name: str) -> str | None:
    return next((k for k in _catalogue("interceptor") if scen._norm(k) == scen._norm(name)), None)


def _missile_key(name: str | None) -> str | None:
    if name is None:
        return None
    return next((k for k in _catalogue("missile") if scen._norm(k) == scen._norm(name)), None)


def study_figures(scenarios: Sequence[scen.Scenario]) -> list[Figure]:
    """The union of the figures of the scenarios a study loads, in first-seen order; a path met
    again keeps its first range (the scenarios of a study extend each other, so they agree)."""
    seen: dict[str, Figure] = {}
    for sc in scenarios:
        for f in figures(sc):
            seen.setdefault(f.path, f)
    return list(seen.values())


# ---------------------------------------------------------------------------------------------
# applying a member


def member_overrides(figs: Sequence[Figure], quantiles: Sequence[float]) -> dict[str, Any]:
    """Figure path -> value of one member (its quantile per figure, same order as ``figs``)."""
    if len(figs) != len(quantiles):
        raise ValueError(f"{len(quantiles)} quantiles for {len(figs)} figures")
    return {f.path: f.value(float(q)) for f, q in zip(figs, quantiles)}


def member_profile(values: dict[str, Any], base: assumptions.Profile | None = None,
                   name: str = "ensemble-member") -> assumptions.Profile:
    """An assumption profile setting every figure of ``values`` (path -> value), followed by the
    overrides of ``base`` (the user's profile), which therefore win where both set a figure."""
    overrides = [assumptions.Override(path=path, value=value,
                                      source="ensemble member: drawn from the figure's sourced range")
                 for path, value in values.items()]
    if base is not None:
        overrides += list(base.overrides)
        name = f"{base.name}-{name}"[:64]
    profile = assumptions.Profile(name=name, title="Uncertainty-ensemble member",
                                  description="Values drawn from the sourced ranges of the scenario and catalogues"
                                  + (f", then profile {base.name!r}" if base is not None else ""),
                                  override=overrides)
    profile._origin = "ensemble"
    return profile


def held_by_profile(figs: Sequence[Figure], base: assumptions.Profile | None, sc: scen.Scenario) -> list[str]:
    """Paths of the figures the user's profile ``base`` holds at its own value in ``sc``: applying
    the figure at the low and at the high end of its range, then the profile, gives the same
    scenario (so the figure cannot vary in the ensemble)."""
    if base is None:
        return []
    held = []
    for f in figs:
        if f.low == f.high:
            continue
        ends = [assumptions.apply(sc, member_profile({f.path: f.value(q)}, base)) for q in (0.0, 1.0)]
        if _figures_of(ends[0]) == _figures_of(ends[1]):
            held.append(f.path)
    return held


def _figures_of(sc: scen.Scenario) -> dict:
    data = sc.model_dump(mode="python")
    data.pop("assumptions", None)
    return data
