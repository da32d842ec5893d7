"""Loading a scenario: built-ins, files, ``extends``/``remove`` resolution, validation, `dump`.
"""

from __future__ import annotations

import re
import tomllib
import typing
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from .. import files
from .errors import _NOTHING, Issue, ScenarioError
from .references import check_references
from .schema import Scenario


DEFAULT = "epaa-2018"
"""The built-in scenario used when none is named."""

_MAX_EXTENDS = 8


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with shieldsim, sorted."""
    folder = resources.files("shieldsim") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    """The TOML text of a built-in scenario as shipped (it may use ``extends``)."""
    if name not in builtin_names():
        raise ScenarioError([Issue("scenario", name, f"not a built-in; allowed: {', '.join(builtin_names())}")])
    return (resources.files("shieldsim") / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")


def load(name_or_path: str | Path = DEFAULT) -> Scenario:
    """Load, resolve (``extends``/``remove``) and validate a scenario.

    Args:
        name_or_path: a built-in name (see `builtin_names`) or a path to a TOML file.
    Returns:
        The validated `Scenario`.
    Raises:
        ScenarioError: listing every problem found (never another exception for bad input).
    """
    try:
        raw, origin = _resolve(name_or_path, chain=())
    except RecursionError:
        raise ScenarioError([Issue("scenario", _NOTHING, "nested too deeply to be a scenario")], str(name_or_path)) from None
    return _validate(raw, origin)


def loads(text: str | bytes, origin: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario given as TOML text (or bytes, decoded as UTF-8)."""
    data = _parse(text, origin)
    try:
        raw = _apply_extends(data, origin, base_dir or Path.cwd(), chain=(origin,))
    except RecursionError:
        raise ScenarioError([Issue("scenario", _NOTHING, "nested too deeply to be a scenario")], origin) from None
    return _validate(raw, origin)


def dump(scenario: Scenario) -> str:
    """The scenario as TOML text; ``load``/``loads`` of it gives an equal `Scenario`."""
    import tomli_w

    data = scenario.model_dump(mode="python", exclude_none=True)
    # multi-line strings read best, but TOML folds a carriage return inside them into the newline
    return tomli_w.dumps(_drop_empty(data), multiline_strings=not _has_carriage_return(data))


def _has_carriage_return(node: Any) -> bool:
    if isinstance(node, str):
        return "\r" in node
    if isinstance(node, dict):
        return any(_has_carriage_return(v) for v in node.values())
    if isinstance(node, (list, tuple)):
        return any(_has_carriage_return(v) for v in node)
    return False


def _drop_empty(data: dict) -> dict:
    return {k: v for k, v in data.items() if not (isinstance(v, (dict, list)) and len(v) == 0)}


def _is_builtin_name(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", value) is not None and value in builtin_names()


def _resolve(name_or_path: str | Path, chain: tuple[str, ...], base_dir: Path | None = None,
             field: str = "scenario") -> tuple[dict, str]:
    key = str(name_or_path)
    if isinstance(name_or_path, str) and _is_builtin_name(name_or_path):
        origin = name_or_path
        text: str | bytes = builtin_text(name_or_path)
        here = None
    else:
        path = Path(name_or_path)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        origin = str(path)
        try:  # the checks every input file gets: a regular file, at most files.MAX_INPUT_BYTES
            text = files.read_bytes(path)
        except files.InputFileError as err:
            allowed = "allowed: a TOML file or a built-in name (" + ", ".join(builtin_names()) + ")"
            if err.kind == "missing" or not files.exists(path):
                what = f"no such file and not a built-in scenario; {allowed}"
            elif err.kind in ("type", "size"):
                what = f"{err.reason.split(';')[0]}; {allowed}"
            else:
                what = f"cannot read the file: {err.reason}"
            raise ScenarioError([Issue(field, key, what)], chain[0] if chain else origin) from None
        here = path.parent
    if origin in chain:
        raise ScenarioError([Issue("extends", key, "circular extends: " + " -> ".join(chain + (origin,)))], chain[0])
    data = _parse(text, origin)
    if not data and here is not None:
        raise ScenarioError([Issue("file", _NOTHING, "empty: no keys or tables; allowed: a scenario TOML file, e.g. "
                                   "extends = \"epaa-2018\" and the tables that change it (see `shieldsim show`)")],
                            chain[0] if chain else origin)
    if "name" not in data and here is not None:
        data["name"] = Path(origin).stem
    return _apply_extends(data, origin, here or Path.cwd(), chain + (origin,)), origin


def _parse(text: str | bytes, origin: str) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ScenarioError([Issue("file", _NOTHING, f"not UTF-8 text: byte {err.object[err.start]:#04x} at "
                                       f"offset {err.start}; allowed: a UTF-8 encoded TOML file")], origin) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError([Issue("file", _NOTHING, f"not valid TOML ({err}); a truncated or "
                                   "hand-edited file often ends mid-table or mid-string")], origin) from None
    except (ValueError, RecursionError, OverflowError) as err:
        raise ScenarioError([Issue("file", _NOTHING, f"not valid TOML ({type(err).__name__}: {err})")], origin) from None


def _apply_extends(data: dict, origin: str, base_dir: Path, chain: tuple[str, ...]) -> dict:
    data = dict(data)
    parent_ref = data.pop("extends", None)
    remove = data.pop("remove", None)
    issues: list[Issue] = []
    if remove is not None and not (isinstance(remove, list) and all(isinstance(r, str) for r in remove)):
        issues.append(Issue("remove", remove, 'a list of dotted paths, e.g. ["batteries.deveselu"]'))
        remove = None
    if parent_ref is None:
        if remove:
            issues.append(Issue("remove", remove, "only allowed together with extends"))
        if issues:
            raise ScenarioError(issues, origin)
        return data
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError([Issue("extends", parent_ref, "allowed: a built-in scenario name or a path to a TOML file; "
                                   "built-ins: " + ", ".join(builtin_names()))], origin)
    if len(chain) > _MAX_EXTENDS:
        raise ScenarioError([Issue("extends", parent_ref, f"at most {_MAX_EXTENDS} levels of extends")], chain[0])
    parent, parent_origin = _resolve(parent_ref, chain, base_dir, field="extends")
    merged = _deep_merge(parent, data)
    merged["based_on"] = [parent_origin] + list(parent.get("based_on", []) if isinstance(parent.get("based_on"), list) else [])
    for path in remove or []:
        parts = path.split(".")
        node: Any = merged
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not parts[0] or not isinstance(node, dict) or parts[-1] not in node:
            issues.append(Issue("remove", path, "a dotted path present after the merge, e.g. 'batteries.deveselu'"))
        else:
            del node[parts[-1]]
    if issues:
        raise ScenarioError(issues, origin)
    return merged


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate(data: dict, origin: str = "scenario") -> Scenario:
    """Validate resolved scenario data (a dict as `Scenario.model_dump` gives, no ``extends``):
    schema and cross-references. Raises `ScenarioError` listing every problem."""
    return _validate(data, origin)


def _validate(raw: dict, origin: str) -> Scenario:
    issues: list[Issue] = []
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as err:
        issues = [_issue_from(e) for e in err.errors()]
        raise ScenarioError(issues, origin) from None
    except (RecursionError, OverflowError, TypeError) as err:  # defensive: exotic input
        raise ScenarioError([Issue("scenario", _NOTHING, f"cannot be validated: {type(err).__name__}")], origin) from None
    issues = check_references(sc)
    if issues:
        raise ScenarioError(issues, origin)
    return sc


def _issue_from(err: dict) -> Issue:
    loc = err.get("loc", ())
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[") or "scenario"
    kind = err.get("type", "")
    msg = err.get("msg", "")
    value = err.get("input", _NOTHING)
    if kind == "extra_forbidden":
        import difflib

        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if allowed else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return Issue(path, value, f"unknown key{hint}" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else ""))
    if kind == "missing":
        return Issue(path, _NOTHING, "required key is missing")
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        # model-level checks point at the object; show its keys, not the whole table
        if isinstance(value, dict):
            value = _NOTHING
    elif kind in ("float_type", "int_type", "bool_type", "string_type"):
        msg = {"float_type": "a number", "int_type": "a whole number (no decimal point)",
               "bool_type": "true or false", "string_type": "a string"}[kind]
        msg = "wrong type; allowed: " + msg
    elif kind == "finite_number":
        msg = "allowed: a finite number (no nan or inf)"
    elif kind.startswith(("greater", "less")):
        msg = "out of range; " + msg[0].lower() + msg[1:]
    return Issue(path, value, msg)


def _allowed_keys(loc: tuple) -> list[str]:
    """Keys a table at ``loc`` may hold, found by walking the Scenario model."""
    model: Any = Scenario
    i = 0
    while i < len(loc):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return []
        model = _inner_model(field.annotation)
        i += 1
        if model is None:
            return []
        if isinstance(model, tuple):  # container: skip the key or index
            model = model[0]
            i += 1
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields) + (["extends", "remove"] if model is Scenario else [])
    return []


def _inner_model(annotation: Any) -> Any:
    """The pydantic model an annotation holds; wrapped in a 1-tuple when in a dict or list."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin in (dict, list):
        inner = _inner_model(args[-1])
        return (inner,) if inner is not None and not isinstance(inner, tuple) else None
    if origin is Annotated:
        return _inner_model(args[0])
    if args:  # Optional / Union
        for a in args:
            found = _inner_model(a)
            if found is not None:
                return found
    return None
