"""The CSV tables written beside the page (`TABLES`): the same numbers as ``summary.json``,
one file per computed section, empty cells for missing values.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..results import Assessment, DataFile
from .summary import summary_dict


TABLES = {
    "coverage": ("coverage-countries.csv", "people on the grid, threatened and defended per threat area and country",
                 ("threat_area", "country", "nato_europe", "population_total", "population_threatened",
                  "population_defended", "fraction_defended_of_threatened", "population_protected",
                  "fraction_protected")),
    "coverage_groups": ("coverage-nato-europe.csv",
                        "people threatened and defended per threat area: NATO's European members, the rest of "
                        "the region, the whole grid",
                        ("threat_area", "group", "membership_year", "membership_year_from", "population_total",
                         "population_threatened", "population_defended", "fraction_defended_of_threatened")),
    "engagement": ("engagement-events.csv", "engagement events of the representative threats",
                   ("threat_area", "threat", "time_s", "event", "actor", "detail")),
    "deterrent": ("deterrent-pairs.csv", "every strategic base x aim point x battery case",
                  ("base", "aim_point", "threat", "battery", "engageable", "margin_s", "min_speed_kms")),
    "claims": ("claims-ledger.csv", "every claim of the ledger under every assumption profile",
               ("id", "claimant", "side", "date", "profile", "holds", "figure", "margin", "unit", "reason", "check")),
    "profiles": ("profiles-nato-europe.csv", "NATO Europe threatened and defended under each assumption profile",
                 ("profile", "threat_area", "grid_deg", "membership_year", "population_total", "population_threatened",
                  "population_defended", "fraction_defended_of_threatened")),
    "cooperation": ("cooperation.csv", "people defended under each cooperation option",
                    ("option", "scenario", "membership_year", "nato_europe_population_threatened",
                     "nato_europe_population_defended", "nato_europe_fraction_defended_of_threatened",
                     "population_protected", "population_total", "fraction_protected")),
}
"""Table -> (file name, description, columns) of the CSV tables `write_tables` writes (each from
the summary.json section of the same name, ``coverage_groups`` from ``coverage``)."""


_TABLE_SECTION = {"coverage_groups": "coverage"}


def _table_rows(summary: dict, table: str) -> list[dict]:
    data = summary[_TABLE_SECTION.get(table, table)]
    if table == "coverage":
        return [{"threat_area": c["threat_area"], **r} for c in data for r in c["countries"]]
    if table == "coverage_groups":
        rows = []
        for c in data:
            for group, label in (("nato_europe", "NATO Europe"), ("rest_of_region", "rest of the region")):
                if c.get(group):
                    rows.append({"threat_area": c["threat_area"], "group": label, **c[group]})
            rows.append({"threat_area": c["threat_area"], "group": "whole grid",
                         "population_total": c["population_total"],
                         "population_threatened": c.get("population_threatened"),
                         "population_defended": c["population_protected"],
                         "fraction_defended_of_threatened": c.get("fraction_defended_of_threatened")})
        return rows
    if table == "engagement":
        return [{"threat_area": e["threat_area"], "threat": e["threat"], **ev} for e in data for ev in e["events"]]
    if table == "deterrent":
        return data["pairs"]
    if table == "claims":
        return [{**{k: c[k] for k in ("id", "claimant", "side", "date", "check")}, "profile": p, **r}
                for c in data for p, r in c["results"].items()]
    if table == "profiles":
        return [{"profile": p, "threat_area": area, "grid_deg": head["grid_deg"], **g}
                for p, head in data.items() for area, g in head["nato_europe"].items()]
    return [{**o, **({f"nato_europe_{k}": v for k, v in o["nato_europe"].items()} if o.get("nato_europe") else {}),
             "membership_year": (o.get("nato_europe") or {}).get("membership_year")} for o in data["options"]]


def write_tables(out_dir: str | os.PathLike, assessment: Assessment) -> list[DataFile]:
    """Write the tables of the computed sections as CSV files into ``out_dir`` (`TABLES`: the
    same numbers as ``summary.json``; empty cells for missing values) and return them as
    `DataFile` entries."""
    import csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(assessment)
    files = []
    for table, (name, description, columns) in TABLES.items():
        if summary[_TABLE_SECTION.get(table, table)] is None:
            continue
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in _table_rows(summary, table):
                writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
        files.append(DataFile(name, description, "CSV"))
    return files
