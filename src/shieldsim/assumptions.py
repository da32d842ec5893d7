"""Assumption profiles: named, sourced sets of overrides applied on top of a scenario.

The 2010-2012 dispute over the European shield was largely a dispute over a handful of figures
(radar ranges against warhead-sized targets, interceptor speeds, launch and engagement modes).
A scenario holds one nominal value per figure; a profile replaces a set of them with the values
one side of the dispute stated, every override with its public source.

Profile file (TOML; built-ins in ``shieldsim/profiles/``, listed by `builtin_profiles`)::

    name = "independent"              # optional: defaults to the file name
    title = "One line shown by `shieldsim assumptions`"
    description = "What the profile stands for, what was checked and what was not."

    [[override]]
    path = "radars.*-tpy2.reference_range_km"   # section.entry.field; entry names may be globs
    value = 1000.0                               # set this value ...
    source = "who stated it, where (URL), and whether it was checked against the original"

    [[override]]
    path = "interceptor_types.sm3-iia.burnout_speed_kms"   # a catalogue interceptor's figure
    factor = 1.1                                           # ... or scale the scenario's value
    source = "..."

Paths:
- ``SECTION.ENTRY.FIELD`` for the scenario's named tables (``radars``, ``launch_detectors``,
  ``networks``, ``interceptors``, ``batteries``, ``threats``, ``launch_areas``, ``aim_points``,
  ``sectors``); ``ENTRY`` is a glob (``*``, ``?``, ``[...]``) over the entry names.
- ``SECTION.FIELD`` for ``models``, ``defended`` and ``engagement``.
- ``missile_types.CLASS.FIELD`` (``rcs_m2``, ``body_rcs_m2``, ``beta_kgm2``, ``burnout_speed_kms``,
  ``stage_burn_times_s``) for a figure of a catalogue threat class (``shieldsim/data/missiles.toml``,
  ``CLASS`` a glob over its keys): set on every threat of the scenario whose ``missile`` is that
  class.
- ``interceptor_types.TYPE.FIELD`` for a figure of a catalogue interceptor type
  (``shieldsim/data/interceptors.toml``, ``TYPE`` a glob over its keys): every battery firing
  that catalogue type gets an inline ``[interceptors.TYPE]`` copy of the catalogue entry with
  the override applied (the catalogue itself is never changed).
- ``FIELD`` is any field of that table in the scenario schema (`scenario.Scenario`), except
  ``source``: paths are checked against the pydantic models, so a field added to the schema can
  be overridden without changing this module. Values are checked against the field's type and
  bounds when the profile is loaded; ``factor`` needs a numeric field (a whole-number field gets
  the scaled value rounded).

Applying (`apply`) returns a new, fully validated `scenario.Scenario` whose ``assumptions``
records the profile and every change (target path, value before and after, source); an override
that matches nothing in that scenario is recorded with no changes and reported by `warnings`.
Errors: `ProfileError` (a `scenario.ScenarioError`) lists every problem with its field path.
"""

from __future__ import annotations

import copy
import fnmatch
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, TypeAdapter, ValidationError, \
    model_validator

from . import files
from . import scenario as scen
from .scenario import Issue, ScenarioError

CATALOGUE_SECTION = "interceptor_types"
"""Path prefix of overrides to catalogue interceptor types."""

MISSILE_SECTION = "missile_types"
"""Path prefix of overrides to the figures of catalogue threat classes: every threat of the
scenario whose ``missile`` is that class gets the figure (``threats.NAME.FIELD``)."""

ENTRY_SECTIONS = ("radars", "launch_detectors", "networks", "interceptors", "batteries", "threats",
                  "launch_areas", "aim_points", "sectors")
"""Scenario sections holding named entries (``SECTION.ENTRY.FIELD`` paths)."""

SINGLE_SECTIONS = ("models", "defended", "engagement")
"""Scenario sections holding one table (``SECTION.FIELD`` paths)."""

MAX_FILE_BYTES = 1_000_000
"""Largest profile file read (a profile is a few kilobytes; anything larger is refused)."""

_GLOB = re.compile(r"^[A-Za-z0-9_\-*?\[\]!]{1,64}$")


class ProfileError(ScenarioError):
    """Every problem found in an assumption profile (or in applying it), one per line:
    ``path = value: what is allowed``."""


# ---------------------------------------------------------------------------------------------
# the profile schema


def _section_model(section: str) -> type[BaseModel] | None:
    """The pydantic model of one table of ``section`` (via the `scenario.Scenario` schema)."""
    if section == CATALOGUE_SECTION:
        return scen.InterceptorSpec
    if section == MISSILE_SECTION:
        return scen.ThreatSpec
    field = scen.Scenario.model_fields.get(section)
    if field is None or section not in ENTRY_SECTIONS + SINGLE_SECTIONS:
        return None
    model = scen._inner_model(field.annotation)
    return model[0] if isinstance(model, tuple) else model


def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    """A strict validator of one field of ``model`` (its type and bounds)."""
    info = model.model_fields[name]
    annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return TypeAdapter(annotation)


def _base_types(annotation: Any) -> set:
    """The plain Python types an annotation admits (Annotated and unions unwrapped)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _base_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out = set()
        for a in typing.get_args(annotation):
            out |= _base_types(a)
        return out
    if origin is typing.Literal:
        return {type(a) for a in typing.get_args(annotation)}
    return {origin or annotation}


def catalogue_keys() -> list[str]:
    """Keys of the interceptor catalogue (``shieldsim/data/interceptors.toml``)."""
    return list(_catalogue_rows("interceptors.toml", "interceptor"))


def _missile_keys() -> list[str]:
    """Keys of the threat-class catalogue (``shieldsim/data/missiles.toml``)."""
    return list(_catalogue_rows("missiles.toml", "missile"))


def _interceptor_rows() -> dict:
    return copy.deepcopy(_catalogue_rows("interceptors.toml", "interceptor"))


@cache
def _catalogue_rows(file: str, table: str) -> dict:
    """The rows of a shipped catalogue, parsed once per process (applying a profile looks them up
    once per override; an ensemble applies a profile of some 40 overrides to every scenario of
    every member). Callers that may change what they get take deep copies (`_interceptor_rows`); the
    keys and read-only look-ups use it directly."""
    text = (resources.files("shieldsim") / "data" / file).read_text(encoding="utf-8")
    return tomllib.loads(text)[table]


@dataclass(frozen=True)
class OverridePath:
    """A parsed override path: ``section``, entry glob (None for single sections), ``field``."""

    section: str
    entry: str | None
    field: str


def parse_path(path: str) -> OverridePath:
    """Split and check an override path against the scenario schema; ValueError says why not."""
    parts = path.split(".")
    sections = ", ".join((CATALOGUE_SECTION, MISSILE_SECTION) + ENTRY_SECTIONS + SINGLE_SECTIONS)
    section = parts[0]
    if section in SINGLE_SECTIONS:
        if len(parts) != 2:
            raise ValueError(f"'{section}' paths are {section}.FIELD")
        entry, field = None, parts[1]
    elif section in ENTRY_SECTIONS or section in (CATALOGUE_SECTION, MISSILE_SECTION):
        if len(parts) != 3:
            raise ValueError(f"'{section}' paths are {section}.NAME.FIELD (NAME may be a glob such as '*')")
        entry, field = parts[1], parts[2]
        if not _GLOB.match(entry):
            raise ValueError(f"entry {entry!r} is not a name or glob; allowed: letters, digits, '_', '-', "
                             "'*', '?', '[...]'")
        if section == CATALOGUE_SECTION:
            keys = catalogue_keys()
            if not any(fnmatch.fnmatchcase(k, entry) for k in keys):
                raise ValueError(f"no catalogue interceptor matches {entry!r}; allowed: {', '.join(keys)}")
        if section == MISSILE_SECTION:
            keys = _missile_keys()
            if not any(fnmatch.fnmatchcase(k, entry) for k in keys):
                raise ValueError(f"no catalogue threat class matches {entry!r}; allowed: {', '.join(keys)}")
    else:
        raise ValueError(f"unknown section {section!r}; allowed: {sections}")
    model = _section_model(section)
    allowed = [f for f in model.model_fields if f not in ("source", "ranges")]
    if section == MISSILE_SECTION:
        allowed = ["rcs_m2", "body_rcs_m2", "beta_kgm2", "burnout_speed_kms", "stage_burn_times_s"]
    if field not in allowed:
        import difflib

        close = difflib.get_close_matches(field, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"{field!r} is not a field of {section}{hint}; allowed: {', '.join(allowed)}")
    return OverridePath(section, entry, field)


class Override(BaseModel):
    """One override: ``path`` (see the module docstring), exactly one of ``value`` (set) and
    ``factor`` (scale the scenario's value), and a non-empty public ``source``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    path: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    value: Any = None
    factor: float | None = Field(default=None, gt=0, le=1e6)
    source: Annotated[str, StringConstraints(max_length=4000)] = ""

    @model_validator(mode="after")
    def _check(self) -> Override:
        problems = []
        if not self.source.strip():
            problems.append("source is missing or empty; every override needs its public source "
                            "(who stated the figure, where, and whether it was checked)")
        if (self.value is None) == (self.factor is None):
            problems.append("give exactly one of value (set the figure) or factor (scale the scenario's figure)")
        try:
            where = parse_path(self.path)
        except ValueError as err:
            problems.append(f"path {self.path!r}: {err}")
            where = None
        if where is not None:
            model = _section_model(where.section)
            annotation = model.model_fields[where.field].annotation
            if self.value is not None:
                if isinstance(self.value, float) and not math.isfinite(self.value):
                    problems.append(f"value {self.value!r}: allowed: a finite number")
                else:
                    try:
                        _field_adapter(model, where.field).validate_python(self.value)
                    except ValidationError as err:
                        first = err.errors()[0]
                        problems.append(f"value {scen._short(self.value)} is not allowed for {where.field}: "
                                        f"{first['msg']}")
            if self.factor is not None and not (_base_types(annotation) & {float, int}) - {bool}:
                problems.append(f"factor needs a numeric field; {where.field} is not numeric (give value)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def target(self) -> OverridePath:
        """The parsed path."""
        return parse_path(self.path)


class Profile(BaseModel):
    """A validated assumption profile. ``origin`` (not a file key) says where it was read from."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, populate_by_name=True)

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=64)]
    title: Annotated[str, StringConstraints(max_length=400)] = ""
    description: Annotated[str, StringConstraints(max_length=20_000)] = ""
    overrides: list[Override] = Field(default=[], alias="override", max_length=500)
    _origin: str = PrivateAttr(default="")

    @property
    def origin(self) -> str:
        """"built-in" or the path the profile was read from."""
        return self._origin

    def as_dict(self) -> dict:
        """JSON-ready: name, title, description, origin and the overrides (path, value or factor,
        source)."""
        return {"name": self.name, "title": self.title, "description": self.description, "origin": self.origin,
                "overrides": [{"path": o.path, "value": o.value, "factor": o.factor, "source": o.source}
                              for o in self.overrides]}


# ---------------------------------------------------------------------------------------------
# loading


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with shieldsim, sorted."""
    folder = resources.files("shieldsim") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _is_builtin(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", value) is not None \
        and value in builtin_profiles()


def allowed_text() -> str:
    """What ``--assumptions`` accepts, for error messages."""
    return "a built-in profile (" + ", ".join(builtin_profiles()) + ") or a profile TOML file"


def load_profile(name_or_path: str | Path) -> Profile:
    """Load and validate a profile: a built-in name (`builtin_profiles`) or a TOML file.

    Raises:
        ProfileError: listing every problem (never another exception for bad input).
    """
    key = str(name_or_path)
    if _is_builtin(name_or_path):
        origin = "built-in"
        text: str | bytes = (resources.files("shieldsim") / "profiles" / f"{name_or_path}.toml").read_text(
            encoding="utf-8")
        stem = str(name_or_path)
        where = str(name_or_path)
    else:
        path = Path(name_or_path)
        where = origin = str(path)
        stem = path.stem
        text = _read_file(path, key)
    data = _parse(text, where)
    data.setdefault("name", stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", stem or "") else "profile")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as err:
        raise ProfileError([_issue(e) for e in err.errors()], where) from None
    except (RecursionError, OverflowError, TypeError) as err:
        raise ProfileError([Issue("profile", scen._NOTHING, f"cannot be validated: {type(err).__name__}")],
                           where) from None
    profile._origin = origin
    return profile


def _read_file(path: Path, key: str) -> bytes:
    """The bytes of a profile file, through the checks every input file gets (`files.read_bytes`:
    a regular file, opened without blocking), with this module's size limit."""
    try:
        return files.read_bytes(path, MAX_FILE_BYTES)
    except files.InputFileError as err:
        if err.kind == "missing" or not files.exists(path):
            what = f"no such file and not a built-in profile; allowed: {allowed_text()}"
        elif err.kind == "type":
            what = f"not a regular file ({err.reason.split(';')[0]}); allowed: {allowed_text()}"
        elif err.kind == "size":
            what = f"file too large to be a profile; allowed: at most {MAX_FILE_BYTES:,} bytes"
        else:
            what = f"cannot read the file: {err.reason}"
        raise ProfileError([Issue("profile", key, what)], key) from None


def _parse(text: str | bytes, origin: str) -> dict:
    try:
        return scen._parse(text, origin)
    except ScenarioError as err:
        raise ProfileError(err.issues, origin) from None


def _issue(err: dict) -> Issue:
    loc = tuple("override" if p == "overrides" else p for p in err.get("loc", ()))
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[") or "profile"
    kind, msg, value = err.get("type", ""), err.get("msg", ""), err.get("input", scen._NOTHING)
    if kind == "extra_forbidden":
        allowed = list(Override.model_fields) if "override" in loc[:-1] else ["name", "title", "description", "override"]
        return Issue(path, value, "unknown key; allowed keys here: " + ", ".join(allowed))
    if kind == "missing":
        return Issue(path, scen._NOTHING, "required key is missing")
    if kind == "value_error":
        return Issue(path, scen._NOTHING, msg.removeprefix("Value error, "))
    if kind in ("float_type", "string_type", "list_type"):
        msg = "wrong type; allowed: " + {"float_type": "a number", "string_type": "a string",
                                         "list_type": "an array of [[override]] tables"}[kind]
    elif kind.startswith(("greater", "less")):
        msg = "out of range; " + msg[0].lower() + msg[1:]
    return Issue(path, value, msg)


# ---------------------------------------------------------------------------------------------
# applying


def apply(sc: scen.Scenario, profile: Profile) -> scen.Scenario:
    """A new validated scenario: ``sc`` with every override of ``profile`` applied, in file order
    (a later override sees the earlier ones' values), and the record of what changed in its
    ``assumptions`` field. ``sc`` itself is not changed.

    Raises:
        ProfileError: the scenario already carries a profile, or a changed value is not valid
            there (e.g. a factor pushing a figure out of its allowed range); each problem names
            the override that caused it.
    """
    if sc.assumptions is not None:
        raise ProfileError([Issue("assumptions", sc.assumptions.profile,
                                  f"scenario {sc.name!r} already has this profile applied; allowed: one "
                                  "profile per scenario (start again from the scenario alone)")], profile.name)
    data = sc.model_dump(mode="python")
    data.pop("assumptions", None)
    materialised: dict[str, str] = {}  # catalogue key -> inline name
    records, blame = [], {}
    for i, ov in enumerate(profile.overrides):
        where = ov.target()
        changes = []
        for table, target in _targets(data, where, materialised, profile.name):
            old = table.get(where.field)
            if old is None and (ov.factor is not None or (where.section in ("threats", MISSILE_SECTION) and where.field in
                                                          ("rcs_m2", "body_rcs_m2", "beta_kgm2",
                                                           "burnout_speed_kms", "stage_burn_times_s"))):
                old = _effective(data, where, target)  # the catalogue value the field stands for
            new = ov.value if ov.factor is None else _scaled(old, ov.factor, where)
            table[where.field] = new
            changes.append({"target": target, "old": old, "new": new})
            blame[target] = i
        records.append({"path": ov.path, "value": ov.value, "factor": ov.factor, "source": ov.source,
                        "changes": changes})
    data["assumptions"] = {"profile": profile.name, "title": profile.title, "origin": profile.origin,
                           "overrides": records}
    try:
        return scen.validate(data, sc.name)
    except ScenarioError as err:
        issues = []
        for issue in err.issues:
            culprit = next((i for t, i in blame.items() if issue.path in (t, t.rsplit(".", 1)[0])), None)
            note = "" if culprit is None else f" (after override[{culprit}] {profile.overrides[culprit].path})"
            issues.append(Issue(issue.path, issue.value, issue.allowed + note))
        raise ProfileError(issues, f"profile {profile.name!r} on scenario {sc.name!r}") from None


def _targets(data: dict, where: OverridePath, materialised: dict, profile_name: str):
    """(table dict, concrete dotted path) for every table an override path matches."""
    if where.entry is None:
        return [(data[where.section], f"{where.section}.{where.field}")]
    if where.section == CATALOGUE_SECTION:
        out = []
        for key in _catalogue_types_used(data, materialised):
            if fnmatch.fnmatchcase(key, where.entry):
                name = _materialise(data, key, materialised, profile_name)
                out.append((data["interceptors"][name], f"interceptors.{name}.{where.field}"))
        return out
    if where.section == MISSILE_SECTION:
        keys = _missile_keys()
        return [(t, f"threats.{name}.{where.field}") for name, t in (data.get("threats") or {}).items()
                if t.get("missile") is not None
                and any(fnmatch.fnmatchcase(k, where.entry) and scen._norm(k) == scen._norm(t["missile"]) for k in keys)]
    entries = data.get(where.section) or {}
    return [(entries[e], f"{where.section}.{e}.{where.field}") for e in entries
            if fnmatch.fnmatchcase(e, where.entry)]


def _catalogue_types_used(data: dict, materialised: dict) -> list[str]:
    """Catalogue keys fired by some battery (inline interceptors excluded), or already copied."""
    keys = catalogue_keys()
    used = list(materialised)
    inline = set(data.get("interceptors") or {})
    for b in (data.get("batteries") or {}).values():
        name = b.get("interceptor")
        if name in inline:
            continue
        key = next((k for k in keys if scen._norm(k) == scen._norm(name)), None)
        if key is not None and key not in used:
            used.append(key)
    return used


def _materialise(data: dict, key: str, materialised: dict, profile_name: str) -> str:
    """Copy catalogue type ``key`` into ``data['interceptors']`` (once) and point the batteries
    that fire it at the copy; returns the inline name."""
    if key in materialised:
        return materialised[key]
    inline = data.setdefault("interceptors", {})
    name, k = key, 1
    while name in inline:
        k += 1
        name = f"{key}-{k}"
    row = _interceptor_rows()[key]
    spec_fields = [f for f in scen.InterceptorSpec.model_fields if f not in ("source", "notional", "label")]
    copy = {f: row[f] for f in spec_fields if f in row}
    copy["notional"] = "notional" in str(row.get("name", "")).lower()
    copy["label"] = str(row.get("name", key))[:80]
    sources = row.get("source", {}) if isinstance(row.get("source"), dict) else {}
    text = (f"Copy of the catalogue interceptor '{key}' ({row.get('name', key)}, shieldsim/data/interceptors.toml) "
            f"made by assumption profile '{profile_name}'; the profile's overrides say which figures it changed. "
            "Catalogue sources: " + "; ".join(f"{f}: {sources.get(f, '')}" for f in spec_fields if f in row))
    if len(text) > 4000:
        text = text[:3900].rsplit(" ", 1)[0] + " ... (full sources in shieldsim/data/interceptors.toml)"
    copy["source"] = text
    for b in (data.get("batteries") or {}).values():
        fired = str(b.get("interceptor"))
        if fired not in inline and scen._norm(fired) == scen._norm(key):
            b["interceptor"] = name
    inline[name] = copy
    materialised[key] = name
    return name


def _effective(data: dict, where: OverridePath, target: str) -> Any:
    """The value a missing (None) field stands for: a catalogue threat class's ``rcs_m2`` or
    ``beta_kgm2``. Raises ProfileError when there is nothing to scale."""
    if where.section in ("threats", MISSILE_SECTION) and where.field in ("rcs_m2", "body_rcs_m2", "beta_kgm2",
                                                                         "burnout_speed_kms", "stage_burn_times_s"):
        entry = target.split(".")[1]
        missile = data["threats"][entry].get("missile")
        for key, row in _catalogue_rows("missiles.toml", "missile").items():  # read only: no copy
            if missile is not None and scen._norm(key) == scen._norm(missile):
                return copy.deepcopy(row.get(where.field))
    raise ProfileError([Issue(target, scen._NOTHING, "has no value to scale; allowed: give value instead of factor")],
                       "profile")


def _scaled(old: Any, factor: float, where: OverridePath) -> Any:
    if isinstance(old, bool) or not isinstance(old, (int, float)):
        raise ProfileError([Issue(f"{where.section}.{where.entry}.{where.field}" if where.entry else
                                  f"{where.section}.{where.field}", old, "factor needs a number to scale")], "profile")
    new = old * factor
    return int(round(new)) if isinstance(old, int) else float(f"{new:.12g}")


# ---------------------------------------------------------------------------------------------
# reading the record


def record(sc: scen.Scenario) -> dict | None:
    """JSON-ready record of the profile applied to ``sc`` (None for the scenario alone): profile,
    title, origin, each override with its ``changes`` (target, from, to) and source, and
    ``warnings`` for overrides that matched nothing in this scenario."""
    a = sc.assumptions
    if a is None:
        return None
    return {"profile": a.profile, "title": a.title, "origin": a.origin,
            "overrides": [{"path": o.path, "value": o.value, "factor": o.factor, "source": o.source,
                           "changes": [{"target": c.target, "from": c.old, "to": c.new} for c in o.changes]}
                          for o in a.overrides],
            "warnings": warnings(sc)}


def warnings(sc: scen.Scenario) -> list[str]:
    """One line per override of the applied profile that matched nothing in ``sc``."""
    a = sc.assumptions
    if a is None:
        return []
    return [f"assumption profile {a.profile!r}: override[{i}] {o.path} matches nothing in scenario {sc.name!r}"
            for i, o in enumerate(a.overrides) if not o.changes]


def changed_sources(sc: scen.Scenario) -> dict[str, str]:
    """Concrete dotted path -> source of the override that set it (last one wins)."""
    out: dict[str, str] = {}
    if sc.assumptions is None:
        return out
    for o in sc.assumptions.overrides:
        for c in o.changes:
            out[c.target] = f"[assumption profile '{sc.assumptions.profile}'] {o.source}"
    return out


def summary_text(rec: dict | None) -> str:
    """One line naming the profile and each change, e.g. for a report's provenance."""
    if rec is None:
        return "none (the scenario alone)"
    parts = [f"{c['target']} {_fmt(c['from'])} -> {_fmt(c['to'])}" for o in rec["overrides"] for c in o["changes"]]
    unmatched = len(rec.get("warnings") or [])
    text = f"{rec['profile']} ({rec['origin']}): " + ("; ".join(parts) if parts else "no figure changed")
    return text + (f"; {unmatched} override(s) matched nothing" if unmatched else "")


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def loader(profile: Profile | None) -> Callable[[str], scen.Scenario]:
    """``load(name_or_path)`` for study code that loads further scenarios by name (phases,
    cooperation options): `scenario.load`, with ``profile`` applied when given."""
    if profile is None:
        return scen.load
    return lambda name: apply(scen.load(name), profile)


def catalogue_interceptor(name: str, profile: Profile | None = None):
    """The catalogue `interceptor.Interceptor` ``name`` (`interceptor.find`), with the profile's
    ``interceptor_types`` overrides that match its key applied (for code that takes a catalogue
    type directly, e.g. the deterrent ship sweep). Raises KeyError for an unknown name."""
    from . import interceptor as mod

    icp = mod.find(name, mod.catalogue())
    if profile is None:
        return icp
    key = next(k for k, v in mod.catalogue().items() if v == icp)
    sc = scen.Scenario(name="catalogue", networks={"n": {"members": ["r"], "latency_s": 0.0}},
                       radars={"r": {"lat_deg": 0.0, "lon_deg": 0.0, "field": "full", "max_range_km": 1.0,
                                     "reference_range_km": 1.0, "reference_rcs_m2": 1.0, "revisit_s": 1.0,
                                     "hits_for_track": 1, "fire_control": True}},
                       batteries={"b": {"lat_deg": 0.0, "lon_deg": 0.0, "interceptor": key, "inventory": 1,
                                        "network": "n"}})
    only = profile.model_copy(update={"overrides": [o for o in profile.overrides
                                                    if o.target().section == CATALOGUE_SECTION]})
    if not only.overrides:
        return icp
    only._origin = profile.origin
    applied = apply(sc, only)
    return scen.interceptors(applied)[applied.batteries["b"].interceptor]
