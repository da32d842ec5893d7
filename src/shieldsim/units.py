"""Units at the edges: the key suffix names the unit (``_km``, ``_kms``, ``_deg``, ``_s``, ...).

Scenario files, catalogues, JSON output and CLI options use human units and say so in the key;
everything inside is SI (m, s, rad, m/s, kg). This module is the one table from suffix to SI
factor and the one place that converts:

* `to_si(key, value)` / `from_si(key, value)`: ``to_si("max_range_km", 4900.0) == 4.9e6``;
  degrees convert as `math.radians`/`math.degrees` do (scalars) or `numpy.radians`/`numpy.degrees`
  (arrays), other units by multiplying into SI and dividing out of it, so a converted value is
  bit for bit what the hand-written ``x * 1e3`` or ``x / 1e3`` gave.
* `si(record, key)`: the field ``key`` of a pydantic model, dataclass or mapping, in SI.
* `label(key)`: ``"reference_range_km"`` -> ``("reference range", "km")`` for tables.
* `wrap_lon_deg(lon)`, `wrap_pi(angle)`: the one longitude (and angle) wrap, to [-180, 180)
  degrees or [-pi, pi) radians.

A key without a known suffix is an error in `to_si`/`from_si` (a silent factor of 1 would hide a
unit mistake); `label` leaves it unitless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Unit:
    """A human unit: its label, the SI unit, and how many SI units one of it is (``scale``);
    ``angle`` units convert through radians/degrees."""

    label: str
    si_label: str
    scale: float = 1.0
    angle: bool = False


SUFFIXES: dict[str, Unit] = {
    "_kgm2": Unit("kg/m^2", "kg/m^2"),
    "_kms": Unit("km/s", "m/s", 1e3),
    "_km2": Unit("km^2", "m^2", 1e6),
    "_km": Unit("km", "m", 1e3),
    "_deg": Unit("deg", "rad", math.pi / 180.0, angle=True),
    "_m2": Unit("m^2", "m^2"),
    "_s": Unit("s", "s"),
    "_m": Unit("m", "m"),
}
"""Suffix -> unit, longest suffix first within each family (``_kms`` before ``_km`` before ``_m``):
the first suffix a key ends with is its unit."""


def unit_of(key: str) -> tuple[str, Unit] | None:
    """(suffix, `Unit`) of a key, or None when it ends with no known suffix."""
    for suffix, unit in SUFFIXES.items():
        if key.endswith(suffix):
            return suffix, unit
    return None


def _unit(key: str) -> Unit:
    found = unit_of(key)
    if found is None:
        raise KeyError(f"{key!r} names no unit; allowed suffixes: {', '.join(SUFFIXES)}")
    return found[1]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_si(key: str, value: Any) -> Any:
    """``value`` given in the unit ``key`` names, in SI (scalars stay Python floats; lists and
    arrays become float arrays; None stays None)."""
    unit = _unit(key)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    if unit.angle:
        return math.radians(value) if _is_scalar(value) else np.radians(value)
    return value if unit.scale == 1.0 else value * unit.scale


def from_si(key: str, value: Any) -> Any:
    """An SI ``value`` in the unit ``key`` names (the inverse of `to_si`)."""
    unit = _unit(key)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    if unit.angle:
        return math.degrees(value) if _is_scalar(value) else np.degrees(value)
    return value if unit.scale == 1.0 else value / unit.scale


def si(record: Any, key: str, default: Any = None) -> Any:
    """Field ``key`` (human unit in its name) of a model, dataclass or mapping, in SI; ``default``
    (already SI) when the mapping lacks it."""
    if isinstance(record, dict):
        if key not in record:
            return default
        value = record[key]
    else:
        value = getattr(record, key)
    return to_si(key, float(value) if _is_scalar(value) else value)


def human(record: dict) -> dict:
    """A record of SI values as output: each value whose key names a unit converted to it
    (`from_si`), the others (and None) unchanged, in the same key order."""
    return {k: from_si(k, v) if v is not None and unit_of(k) else v for k, v in record.items()}


def label(key: str) -> tuple[str, str]:
    """(figure name, unit label) of a key: ``"reference_range_km"`` -> ``("reference range",
    "km")``; ``("sspk", "")`` without a unit."""
    found = unit_of(key)
    if found is None:
        return key.replace("_", " "), ""
    suffix, unit = found
    return key[: -len(suffix)].replace("_", " "), unit.label


def wrap_lon_deg(lon: Any) -> Any:
    """Longitude in degrees wrapped to [-180, 180) (scalar or array)."""
    return (lon + 180.0) % 360.0 - 180.0


def wrap_pi(angle: Any) -> Any:
    """Angle in radians wrapped to [-pi, pi) (scalar or array): longitudes, azimuth differences."""
    return (angle + np.pi) % (2 * np.pi) - np.pi
