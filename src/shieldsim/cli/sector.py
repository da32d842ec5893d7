"""``shieldsim sector``: which side is responsible for intercepts over a point under a
scenario's sectors of responsibility."""

from __future__ import annotations

import typer

from . import app
from .output import fail, latlon, provenance, to_json


def responsibility(sc, lat_deg: float, lon_deg: float) -> dict:
    """Who answers for intercepts over one point (degrees) under scenario ``sc``.

    Returns ``{"lat_deg", "lon_deg", "country", "sector", "side", "note"}``: ``country`` the
    ISO3 code whose territory holds the point (land, or sea within 12 nautical miles;
    `study.point_territory`), ``sector`` the name of the sector holding it and ``side`` that
    sector's ``engaged_by`` (`study.sector_names`, the rule coverage, engage and raid apply to
    a battery's first intercept point); ``None`` for each where there is none. ``side``
    ``None`` means any side may engage there (open sea, a country no sector lists, or a
    scenario without sectors)."""

    import numpy as np

    from ..study import point_territory, sector_names
    from ..units import to_si

    iso = str(point_territory(np.array([lat_deg]), np.array([lon_deg]))[0]) or None
    name = str(sector_names(sc, np.array([to_si("lat_deg", lat_deg)]), np.array([to_si("lon_deg", lon_deg)]))[0]) or None
    side = sc.sectors[name].engaged_by if name else None
    if not sc.sectors:
        note = f"scenario {sc.name!r} has no sectors: every battery may engage everywhere"
    elif side is None:
        note = "over no sector: any side may engage here"
    else:
        note = f"only {side}'s batteries may engage threats whose intercept point lies here"
    return {"lat_deg": lat_deg, "lon_deg": lon_deg, "country": iso, "sector": name, "side": side, "note": note}


@app.command()
def sector(
    scenario: str = typer.Argument(..., help="Built-in scenario name or scenario TOML file, e.g. sectoral-2010."),
    at: str = typer.Option(..., "--at", help="Point LAT,LON in degrees, e.g. 54.69,25.28 [lat -90..90, lon -180..360]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Which side is responsible for intercepts over a point under the scenario's sectors of
    responsibility, in which sector and country. Over no sector (or in a scenario without
    sectors) any side may engage: side and sector are none (null in JSON), exit code 0."""
    from .. import scenario as scen

    lat, lon = latlon("--at", at)
    try:
        sc = scen.load(scenario)
    except scen.ScenarioError as err:
        fail("SCENARIO", " ".join(str(err).split()))
    except (OSError, ValueError) as err:
        fail("SCENARIO", str(err))
    result = responsibility(sc, lat, lon)
    result.update(provenance({**sc.models.model_dump(), "refraction": scen.refraction_record(sc)}, scenario=sc.name))
    if as_json:
        typer.echo(to_json(result))
        return
    where = f" in {result['country']}" if result["country"] else " at sea"
    typer.echo(f"Point         {lat:.3f} N, {lon:.3f} E{where}")
    typer.echo(f"Sector        {result['sector'] or 'none'}")
    typer.echo(f"Side          {result['side'] or 'none (any side may engage)'}")
    typer.echo(f"Note          {result['note']}")
    typer.echo(f"Scenario      {sc.name}")
