"""Raid documents: a raid file's content plus trials and seed, the unit the CLI and sweeps work on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .monte_carlo import BattleResult, simulate
from .raids import Doctrine, Raid, RaidFile, engagement_from_spec


def read_document(path: str | Path) -> dict:
    """A stand-alone raid file (TOML, or JSON if it ends in .json) as a plain dict, validated."""
    doc = read_tables(path)
    RaidFile.model_validate(doc)
    return doc


def read_tables(path: str | Path) -> dict:
    """The tables of a raid, engagement or doctrine file: TOML, or JSON if it ends in .json.

    The file is read with the checks every input file gets (`shieldsim.files.read_text`: a
    regular UTF-8 file of at most `files.MAX_INPUT_BYTES`), which raise `files.InputFileError`;
    syntax errors and a JSON document that is not an object raise ValueError."""
    import json

    from ..files import read_text

    text = read_text(path)
    try:
        doc = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError(f"a JSON {type(doc).__name__}, not an object of tables")
    return doc


def document_inputs(doc: dict):
    """The (engagement, `Raid`, `Doctrine`) of a raid document (see `simulate_document`),
    validated. Raises ValueError (pydantic's ValidationError is one) at the first problem."""
    extra = set(doc) - {"raid", "engagement", "doctrine", "trials", "seed"}
    if extra:
        raise ValueError(f"unknown keys in raid document: {sorted(extra)}")
    spec = RaidFile.model_validate({k: doc[k] for k in ("raid", "engagement", "doctrine") if k in doc})
    if spec.engagement is None:
        raise ValueError("the raid document has no [engagement] table")
    raid = Raid.from_spec(spec.raid)
    return engagement_from_spec(spec.engagement, raid), raid, spec.doctrine.doctrine() if spec.doctrine else Doctrine()


def simulate_document(doc: dict, executor=None, **kwargs) -> tuple[BattleResult, dict | None]:
    """Run the raid described by a document: keys ``raid``, ``engagement``, optional
    ``doctrine`` (the raid-file tables) and ``trials``, ``seed``. Keyword arguments go to
    `simulate`. Returns the result and the engagement's ``models`` record (or None)."""
    eng, raid, doctrine = document_inputs(doc)
    result = simulate(eng, raid, doctrine, int(doc.get("trials", 1000)), int(doc.get("seed", 0)), executor, **kwargs)
    return result, eng.models
