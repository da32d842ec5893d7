"""The cooperation options of the 2010-2011 debate, compared on the same threats and grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import scenario as scen
from .architecture import DEFAULT_STEP_S, Architecture
from .coverage_study import coverage_many


COOPERATION_OPTIONS = (
    ("NATO alone", "epaa-2018"),
    ("Separate systems sharing data", "cooperation-2011"),
    ("Sectors of responsibility", "sectoral-2010"),
)
"""The three answers of the 2010-2011 debate, as (label, built-in scenario)."""


@dataclass
class OptionsComparison:
    """Coverage of the cooperation options against the same threats on the same grid."""

    labels: list
    scenarios: list
    results: list  # CoverageResult per option

    def table(self) -> list[dict]:
        """One row per option: population protected (defended) on the whole grid, fraction,
        defended cells, the difference in population protected from the first option, and the
        NATO-Europe figures (``nato_europe_population_threatened``, ``..._defended``,
        ``nato_europe_fraction_defended_of_threatened``, ``nato_europe_difference_from_first``).
        Every option is counted with the NATO members of the first option's year
        (``membership_year``, ``membership_year_from``), so the rows compare the same people."""
        from ..geography import nato_europe_population

        year = self.results[0].year
        base = self.results[0].population["all"].as_dict()["population_protected"]
        base_nato = None
        rows = []
        for label, name, res in zip(self.labels, self.scenarios, self.results):
            d = res.population["all"].as_dict()
            nato = nato_europe_population(res.population["all"], year)["nato_europe"]
            base_nato = nato["population_defended"] if base_nato is None else base_nato
            rows.append({"option": label, "scenario": name, "population_protected": d["population_protected"],
                         "fraction_protected": d["fraction_protected"],
                         "cells_defended": int(res.footprints["all"].defended.sum()),
                         "difference_from_first": d["population_protected"] - base,
                         "membership_year": nato["membership_year"],
                         "membership_year_from": nato["membership_year_from"],
                         "nato_europe_population_total": nato["population_total"],
                         "nato_europe_population_threatened": nato["population_threatened"],
                         "nato_europe_population_defended": nato["population_defended"],
                         "nato_europe_fraction_defended_of_threatened": nato["fraction_defended_of_threatened"],
                         "nato_europe_difference_from_first": nato["population_defended"] - base_nato})
        return rows


def compare_options(options=COOPERATION_OPTIONS, areas: list[str] | None = None, grid_deg: float | None = None,
                    step: float = DEFAULT_STEP_S, progress=None, known: dict | None = None,
                    executor=None, load=scen.load) -> OptionsComparison:
    """Coverage of each (label, scenario) option against the same threat areas and grid, in
    one pass over the flights. ``known`` maps scenario names to `CoverageResult` already
    computed with the same areas and grid (they are not recomputed). ``load(name)`` reads an
    option's scenario (e.g. `assumptions.loader`, to apply an assumption profile).
    ``progress(area, done, total)`` reports each batch."""
    known = known or {}
    archs = {name: Architecture.from_scenario(load(name)) for _, name in options if name not in known}
    results = dict(known)
    if archs:
        results.update(zip(archs, coverage_many(list(archs.values()), areas, grid_deg, step, progress=progress,
                                                executor=executor)))
    return OptionsComparison([label for label, _ in options], [name for _, name in options],
                             [results[name] for _, name in options])
