"""JSON as every shieldsim output writes it: NaN and inf as null, NumPy scalars and arrays as
plain numbers and lists, indented. `cli.output.to_json` and the library's data files share it."""

from __future__ import annotations

import json
import math
from typing import Any


def json_safe(value: Any) -> Any:
    """A JSON-safe copy of ``value``: NaN/inf become None, NumPy scalars Python numbers, arrays
    and tuples lists (dict keys kept)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(obj: Any) -> str:
    """Serialise ``obj`` as indented JSON with NaN written as null."""
    return json.dumps(json_safe(obj), indent=2, allow_nan=False)
