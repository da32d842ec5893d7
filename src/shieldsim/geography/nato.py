"""NATO membership by year (the shipped, sourced ``data/nato_members.toml``) and the NATO-Europe split.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .population import ProtectedPopulation, _fraction_of_threatened


NATO_MEMBERS_FILE = "data/nato_members.toml"
"""The shipped, sourced list of NATO member states (inside the ``shieldsim`` package)."""

DEFAULT_MEMBERSHIP_YEAR = 2018
"""Membership year used for a scenario that gives no ``year``: the year of the default scenario
(``epaa-2018``, EPAA phase 3 as planned). Outputs say when this default was used."""


@dataclass(frozen=True)
class NatoMember:
    """One NATO member state.

    Attributes:
        iso3: country code as :func:`country_of` gives it.
        name: short English name.
        joined: date it became a party to the North Atlantic Treaty (``datetime.date``).
        european: False for the United States and Canada.
        territories: codes of areas Natural Earth maps separately whose people are counted with
            this member (e.g. the Faroe Islands and Greenland with Denmark).
    """

    iso3: str
    name: str
    joined: object
    european: bool
    territories: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _nato_file() -> dict:
    import tomllib

    text = resources.files("shieldsim").joinpath(NATO_MEMBERS_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def nato_members() -> tuple[NatoMember, ...]:
    """Every NATO member state of the shipped list (``shieldsim/data/nato_members.toml``), in
    order of accession (ties by code)."""
    data = _nato_file()
    territories: dict[str, list[str]] = {}
    for t in data.get("territory", []):
        territories.setdefault(t["member"], []).append(t["iso3"])
    members = [NatoMember(m["iso3"], m["name"], m["joined"], bool(m["european"]),
                          tuple(territories.get(m["iso3"], ()))) for m in data["member"]]
    return tuple(sorted(members, key=lambda m: (m.joined, m.iso3)))


def nato_members_source() -> str:
    """The ``source`` text of the shipped membership list (one line)."""
    return " ".join(str(_nato_file().get("source", "")).split())


def nato_europe(year: int) -> tuple[str, ...]:
    """Codes of NATO's European members on 31 December of ``year``, in order of accession.

    Args:
        year: calendar year (int). Before 1949 there are none.

    Returns:
        tuple of ISO 3166-1 alpha-3 codes (Turkey included; the United States and Canada not).
        Territories counted with a member are not listed (see :func:`nato_europe_areas`).
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise ValueError(f"year must be an integer calendar year, got {year!r}")
    return tuple(m.iso3 for m in nato_members() if m.european and m.joined.year <= int(year))


def nato_europe_areas(year: int) -> frozenset[str]:
    """Every code whose people count as NATO Europe in ``year``: the members of
    :func:`nato_europe` and the territories counted with them."""
    by_code = {m.iso3: m for m in nato_members()}
    codes = nato_europe(year)
    return frozenset(codes) | {t for c in codes for t in by_code[c].territories}


def membership_year(year: int | None) -> tuple[int, str]:
    """The membership year to use and where it came from: ``(year, "scenario")``, or
    ``(DEFAULT_MEMBERSHIP_YEAR, "default")`` when ``year`` is None."""
    return (DEFAULT_MEMBERSHIP_YEAR, "default") if year is None else (int(year), "scenario")


def _group_sums(rows: list[dict], keep) -> dict:
    total = sum(r["population_total"] for r in rows if keep(r["iso3"]))
    known = all(r["population_threatened"] is not None for r in rows)
    threatened = sum(r["population_threatened"] for r in rows if keep(r["iso3"])) if known else None
    defended = sum(r["population_defended"] for r in rows if keep(r["iso3"]))
    return {"population_total": total, "population_threatened": threatened, "population_defended": defended,
            "fraction_defended_of_threatened": _fraction_of_threatened(defended, threatened)}


def nato_europe_population(population: ProtectedPopulation, year: int | None = None) -> dict:
    """Split a population result into NATO's European members and the rest of the grid.

    Args:
        population: a :class:`ProtectedPopulation` (with threatened figures, e.g. from
            ``coverage.Footprint.protected_population()``).
        year: membership year (the scenario's ``year``); None uses
            :data:`DEFAULT_MEMBERSHIP_YEAR` and says so.

    Returns:
        ``{"nato_europe": {...}, "rest_of_region": {...}}``. Both hold ``population_total``
        (people on the grid), ``population_threatened``, ``population_defended`` and
        ``fraction_defended_of_threatened`` (0 when nobody is threatened); each figure is the
        sum of the whole-people per-country rows of :meth:`ProtectedPopulation.country_rows`, so
        the two parts add up to those rows exactly. ``nato_europe`` also holds
        ``membership_year``, ``membership_year_from`` ("scenario" or "default"), ``members``
        (codes of the members that year), ``territories`` (codes counted with them),
        ``members_not_on_grid`` (members with nobody on the grid) and ``source``;
        ``rest_of_region`` holds ``countries`` (the other codes with people on the grid).
        Only people on the grid are counted: parts of members outside the defended region's
        box (e.g. the Canary Islands, most of the Azores) are in neither part.
    """
    used, origin = membership_year(year)
    members = nato_europe(used)
    areas = nato_europe_areas(used)
    rows = population.country_rows()
    on_grid = {r["iso3"] for r in rows if r["population_total"] > 0}
    nato = {"membership_year": used, "membership_year_from": origin, "members": list(members),
            "territories": sorted(areas - set(members)),
            "members_not_on_grid": [c for c in members if c not in on_grid]}
    nato.update(_group_sums(rows, lambda c: c in areas))
    nato["source"] = f"NATO member countries, shipped list {NATO_MEMBERS_FILE}"
    rest = {"countries": [r["iso3"] for r in rows if r["iso3"] not in areas and r["iso3"]]}
    rest.update(_group_sums(rows, lambda c: c not in areas))
    return {"nato_europe": nato, "rest_of_region": rest}
