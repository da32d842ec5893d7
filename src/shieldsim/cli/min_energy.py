"""``shieldsim min-energy``: the minimum-energy free flight for a range and burnout altitude."""

from __future__ import annotations

import math

import typer

from . import app
from ..units import from_si, to_si
from .output import EarthName, fail, provenance, to_json


@app.command("min-energy")
def min_energy(
    range_km: float = typer.Option(..., "--range-km", help="Ground range from the burnout point's ground position to "
                                                           "impact, km [1, 19000]."),
    burnout_alt_km: float = typer.Option(..., "--burnout-alt-km", help="Burnout altitude above the model surface, km [0, 2000]."),
    earth: EarthName = typer.Option(EarthName.sphere, "--earth", help="Earth model (sphere without rotation is the closed form)."),
    rotation: bool = typer.Option(False, "--rotation/--no-rotation", help="Rotating Earth (then the result depends on "
                                                                          "--lat-deg and --heading-deg)."),
    lat_deg: float = typer.Option(0.0, "--lat-deg", help="Burnout latitude used with wgs84 or rotation, degrees [-90, 90]."),
    lon_deg: float = typer.Option(0.0, "--lon-deg", help="Burnout longitude used with wgs84 or rotation, degrees [-180, 360]."),
    heading_deg: float = typer.Option(0.0, "--heading-deg", help="Heading used with wgs84 or rotation, degrees "
                                                                 "clockwise from north [-360, 360]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Minimum-energy free flight from burnout at altitude H to impact R km downrange: burnout
    speed, flight-path angle, time of flight and apogee (vacuum two-body arc)."""
    checks = (("--range-km", range_km, 1.0, 19_000.0), ("--burnout-alt-km", burnout_alt_km, 0.0, 2_000.0),
              ("--lat-deg", lat_deg, -90.0, 90.0), ("--lon-deg", lon_deg, -180.0, 360.0),
              ("--heading-deg", heading_deg, -360.0, 360.0))
    for option, value, lo, hi in checks:
        if not (math.isfinite(value) and lo <= value <= hi):
            fail(option, f"{value} outside [{lo:g}, {hi:g}]")

    from ..earth import earth_model
    from ..trajectory import Models, minimum_energy

    models = Models(earth_model(earth.value), rotation, False)
    me = minimum_energy(to_si("range_km", range_km), to_si("burnout_alt_km", burnout_alt_km), models,
                        to_si("lat_deg", lat_deg), to_si("lon_deg", lon_deg), to_si("heading_deg", heading_deg))
    if not math.isfinite(me.burnout_speed[0]):
        fail("--range-km", "no minimum-energy arc found for this range and burnout altitude")
    result = {
        "range_km": range_km,
        "burnout_alt_km": burnout_alt_km,
        "burnout_speed_kms": from_si("burnout_speed_kms", me.burnout_speed[0]),
        "gamma_deg": from_si("gamma_deg", me.gamma[0]),
        "flight_time_s": me.flight_time[0],
        "apogee_km": from_si("apogee_km", me.apogee_alt[0]),
        "method": me.method,
        "burnout_point": None if me.method == "closed-form" else {"lat_deg": lat_deg, "lon_deg": lon_deg,
                                                                  "heading_deg": heading_deg},
        "models": models.as_dict(),
        "version": provenance()["version"],
    }
    if as_json:
        typer.echo(to_json(result))
        return
    m = result["models"]
    typer.echo(
        f"Burnout speed {result['burnout_speed_kms']:.4f} km/s"
        + (" (relative to the rotating Earth)" if rotation else "") + "\n"
        f"Flight-path   {result['gamma_deg']:.4f} deg above the horizontal\n"
        f"Flight time   {result['flight_time_s']:.1f} s (burnout to impact)\n"
        f"Apogee        {result['apogee_km']:.1f} km\n"
        f"Method        {me.method}\n"
        f"Models        earth={m['earth']} rotation={m['rotation']} drag={m['drag']}"
    )
