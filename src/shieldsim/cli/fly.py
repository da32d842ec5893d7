"""``shieldsim fly``: fly one burnout state to impact."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from . import app
from ..units import from_si, human, to_si, wrap_lon_deg
from .output import EarthName, fail, output_file, provenance, to_json


@app.command()
def fly(
    lat_deg: float = typer.Option(..., "--lat-deg", min=-90, max=90, help="Burnout geodetic latitude, degrees [-90, 90]."),
    lon_deg: float = typer.Option(..., "--lon-deg", min=-180, max=360, help="Burnout longitude, degrees east [-180, 360]."),
    alt_km: float = typer.Option(..., "--alt-km", min=0, max=5000, help="Burnout altitude above the model surface, km [0, 5000]."),
    speed_kms: float = typer.Option(..., "--speed-kms", help="Burnout speed relative to the rotating Earth, km/s (0, escape)."),
    gamma_deg: float = typer.Option(..., "--gamma-deg", min=-90, max=90, help="Flight-path angle above the local "
                                                                              "horizontal, degrees [-90, 90]."),
    heading_deg: float = typer.Option(..., "--heading-deg", min=-360, max=360, help="Heading clockwise from true "
                                                                                    "north, degrees [-360, 360]."),
    earth: EarthName = typer.Option(EarthName.wgs84, "--earth", help="Earth model."),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation", help="Rotating Earth."),
    drag: bool = typer.Option(False, "--drag/--no-drag", help="Atmospheric drag below 100 km (US Standard Atmosphere 1976)."),
    beta_kgm2: float = typer.Option(5000.0, "--beta-kgm2", min=1, max=1e6, help="Ballistic coefficient m/(Cd A), "
                                                                                "kg/m^2 [1, 1e6]; used with --drag."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    csv: Path = typer.Option(None, "--csv", help="Write the states sampled along the flight to this CSV file."),
    sample_s: float = typer.Option(10.0, "--sample-s", min=0.01, max=600, help="Sample step for --csv, seconds [0.01, 600]."),
) -> None:
    """Fly a burnout state to impact: impact point, flight time, apogee and ground range."""
    import numpy as np

    output_file(csv, "--csv", "flight.csv")

    from ..earth import earth_model, to_ecef
    from ..trajectory import Models, fly as fly_arc

    model = earth_model(earth.value)
    if not speed_kms > 0:
        fail("--speed-kms", f"must be > 0 km/s, got {speed_kms}")
    omega = model.rotation_rate if rotation else 0.0
    lat, lon, alt = to_si("lat_deg", lat_deg), to_si("lon_deg", lon_deg), to_si("alt_km", alt_km)
    speed, gamma, heading = to_si("speed_kms", speed_kms), to_si("gamma_deg", gamma_deg), to_si("heading_deg", heading_deg)
    r0 = to_ecef(lat, lon, alt, model)
    from ..earth import local_velocity

    v_rel = local_velocity(speed, gamma, heading, lat, lon)
    v_in = v_rel + np.cross([0.0, 0.0, omega], r0)
    escape = math.sqrt(2 * model.gm / np.linalg.norm(r0))
    if np.linalg.norm(v_in) >= escape:
        fail("--speed-kms", f"inertial speed {np.linalg.norm(v_in) / 1e3:.3f} km/s is at or above escape speed "
                            f"{escape / 1e3:.3f} km/s at this altitude; allowed: 0 < speed below escape")
    models = Models(model, rotation, drag)
    sample_step = sample_s if csv else None
    f = fly_arc(lat, lon, alt, speed, gamma, heading, models, beta=beta_kgm2, sample_step=sample_step)
    if not np.isfinite(f.flight_time[0]):
        fail("--speed-kms", "this burnout state never comes back to the surface (its orbit stays above it); "
                            "lower the speed or steepen --gamma-deg")
    result = {
        "impact": {"lat_deg": from_si("lat_deg", f.impact_lat[0]),
                   "lon_deg": wrap_lon_deg(from_si("lon_deg", f.impact_lon[0]))},
        **human({"ground_range_km": f.ground_range[0], "flight_time_s": f.flight_time[0],
                 "apogee_km": f.apogee_alt[0], "apogee_time_s": f.apogee_time[0],
                 "impact_speed_kms": f.impact_speed[0], "impact_gamma_deg": f.impact_gamma[0]}),
        "models": models.as_dict(),
        "beta_kgm2": beta_kgm2 if drag else None,
        "version": provenance()["version"],
    }
    if csv:
        from .. import flight_export

        try:
            flight_export.write_csv(csv, flight_export.track(f.sample_time, f.position[0], f.velocity[0], model,
                                                             wrap_lon=False))
        except OSError as err:
            fail("--csv", f"cannot write {csv}: {err.strerror}")
        result["csv"] = str(csv)
    if as_json:
        typer.echo(to_json(result))
        return
    _print_text(result, drag, beta_kgm2, csv)


def _print_text(result: dict, drag: bool, beta_kgm2: float, csv) -> None:
    """The text form of ``shieldsim fly``'s result."""
    m = result["models"]
    typer.echo(
        f"Impact        {result['impact']['lat_deg']:.4f} N, {result['impact']['lon_deg']:.4f} E\n"
        f"Ground range  {result['ground_range_km']:.1f} km\n"
        f"Flight time   {result['flight_time_s']:.1f} s (burnout to impact)\n"
        f"Apogee        {result['apogee_km']:.1f} km at {result['apogee_time_s']:.1f} s\n"
        f"Impact        {result['impact_speed_kms']:.3f} km/s at {result['impact_gamma_deg']:.1f} deg\n"
        f"Models        earth={m['earth']} rotation={m['rotation']} drag={m['drag']}"
        + (f" beta={beta_kgm2:g} kg/m^2" if drag else "")
        + (f"\nSamples       {csv}" if csv else "")
    )
