"""jsonout: every JSON output writes NaN/inf as null and NumPy values as plain numbers."""

import json

import numpy as np

from shieldsim.jsonout import json_safe, to_json


def test_nan_and_inf_become_null_and_numpy_becomes_plain():
    value = {"a": np.float64("nan"), "b": [np.inf, 1.5], "c": np.arange(3), "d": (np.int64(4), "x")}
    assert json_safe(value) == {"a": None, "b": [None, 1.5], "c": [0, 1, 2], "d": [4, "x"]}
    assert json.loads(to_json(value)) == json_safe(value)
    assert to_json({"k": 1}) == '{\n  "k": 1\n}'
