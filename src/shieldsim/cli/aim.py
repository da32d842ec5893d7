"""``shieldsim aim``: fly a threat class from a launch point to a target."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from . import app
from ..units import from_si, human, to_si, wrap_lon_deg
from .output import EarthName, fail, latlon, output_file, provenance, to_json


class Kind(str, Enum):
    minimum_energy = "minimum-energy"
    lofted = "lofted"
    depressed = "depressed"


@app.command()
def aim(
    launch: str = typer.Option(..., "--from", help="Launch point LAT,LON in degrees, e.g. 35.7,51.4 [lat -90..90, lon -180..360]."),
    target: str = typer.Option(..., "--to", help="Target point LAT,LON in degrees, e.g. 48.85,2.35 [lat -90..90, lon -180..360]."),
    missile: str = typer.Option(..., "--missile", help="Threat class name (list them with `shieldsim missiles`)."),
    kind: Kind = typer.Option(Kind.minimum_energy, "--trajectory", help="Flight shape."),
    apogee_km: float = typer.Option(None, "--apogee-km", help="Apogee for --trajectory lofted|depressed, km above the surface (0, 10000]."),
    earth: EarthName = typer.Option(EarthName.wgs84, "--earth", help="Earth model."),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation", help="Rotating Earth."),
    drag: bool = typer.Option(True, "--drag/--no-drag", help="Atmospheric drag in boost and re-entry (US Standard Atmosphere 1976)."),
    sample_s: float = typer.Option(2.0, "--sample-s", min=0.1, max=60, help="Sample step of the flight, seconds [0.1, 60]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    csv: Path = typer.Option(None, "--csv", help="Write the sampled flight (launch to impact) to this CSV file."),
    geojson: Path = typer.Option(None, "--geojson", help="Write the ground track and key points to this GeoJSON file."),
    kml: Path = typer.Option(None, "--kml", help="Write the flight path to this KML file."),
) -> None:
    """Aim a threat class at a target: the whole flight (boost, burnout, free flight, impact)
    on the rotating Earth, minimum-energy, lofted or depressed."""
    for option, path, example in (("--csv", csv, "flight.csv"), ("--geojson", geojson, "flight.geojson"),
                                  ("--kml", kml, "flight.kml")):
        output_file(path, option, example)
    lat0, lon0 = latlon("--from", launch)
    lat1, lon1 = latlon("--to", target)
    if kind is not Kind.minimum_energy:
        if apogee_km is None:
            fail("--apogee-km", f"required with --trajectory {kind.value} (km above the surface, (0, 10000])")
        if not (0.0 < apogee_km <= 10_000.0):
            fail("--apogee-km", f"{apogee_km} outside (0, 10000] km")
    elif apogee_km is not None:
        fail("--apogee-km", "only used with --trajectory lofted or depressed")

    from .. import missile as missile_mod
    from ..earth import earth_model
    from ..trajectory import AimError, Models, aim as aim_flights

    try:
        cls = missile_mod.get(missile)
    except ValueError as err:
        fail("--missile", str(err))
    models = Models(earth_model(earth.value), rotation, drag)
    try:
        a = aim_flights(to_si("lat_deg", lat0), to_si("lon_deg", lon0), to_si("lat_deg", lat1), to_si("lon_deg", lon1),
                        cls, models,
                        kind=kind.value, apogee=to_si("apogee_km", apogee_km), sample_step=sample_s)
    except AimError as err:
        # a target beyond the class's range is the target's fault; a shape the class cannot
        # fly to a reachable target is the apogee's
        fail("--apogee-km" if err.cause == "shape" and apogee_km is not None else "--to", str(err))
    except ValueError as err:  # kind and apogee are checked above; a last resort against a traceback
        fail("--to", str(err))
    result = _result(a, cls, kind.value, models, (lat0, lon0), (lat1, lon1))
    from .. import flight_export

    track = flight_export.track(a.time, a.position[0], a.velocity[0], models.earth)
    for path, writer, key in ((csv, flight_export.write_csv, "csv"), (geojson, flight_export.write_geojson, "geojson"),
                              (kml, flight_export.write_kml, "kml")):
        if path:
            try:
                writer(path, track, result)
            except OSError as err:
                fail(f"--{key}", f"cannot write {path}: {err.strerror}")
            result[key] = str(path)
    if as_json:
        typer.echo(to_json(result))
        return
    _print_text(result, cls.name, kind.value, lat0, lon0)


def _result(a, cls, kind: str, models, launch: tuple, target: tuple) -> dict:
    """The record ``shieldsim aim`` prints of aimed flight ``a`` (degrees, km, km/s, s)."""
    (lat0, lon0), (lat1, lon1) = launch, target
    result = {
        "missile": cls.name,
        "trajectory": kind,
        "launch": {"lat_deg": lat0, "lon_deg": wrap_lon_deg(lon0)},
        "target": {"lat_deg": lat1, "lon_deg": wrap_lon_deg(lon1)},
        "launch_heading_deg": from_si("launch_heading_deg", a.heading[0]) % 360.0,
        "kick_deg": from_si("kick_deg", a.kick[0]),
        "cutoff_fraction": a.cutoff[0],
        "full_burn": bool(a.full_burn[0]),
        "burnout": human({
            "time_s": a.burnout_time[0], "lat_deg": a.burnout_lat[0], "lon_deg": a.burnout_lon[0],
            "alt_km": a.burnout_alt[0], "speed_kms": a.burnout_speed[0], "gamma_deg": a.burnout_gamma[0],
            "heading_deg": a.burnout_heading[0],
        }),
        "impact": {"lat_deg": from_si("lat_deg", a.impact_lat[0]),
                   "lon_deg": wrap_lon_deg(from_si("lon_deg", a.impact_lon[0]))},
        **human({"flight_time_s": a.impact_time[0], "apogee_km": a.apogee_alt[0], "apogee_time_s": a.apogee_time[0],
                 "ground_range_km": a.ground_range[0], "miss_km": a.miss[0]}),
        "beta_kgm2": cls.beta,
        "rcs_m2": cls.rcs,
        "models": models.as_dict(),
        "version": provenance()["version"],
    }
    result["burnout"]["lon_deg"] = wrap_lon_deg(result["burnout"]["lon_deg"])
    result["burnout"]["heading_deg"] %= 360.0
    return result


def _print_text(result: dict, missile: str, kind: str, lat0: float, lon0: float) -> None:
    """The text form of ``shieldsim aim``'s result."""
    b, m = result["burnout"], result["models"]
    typer.echo(
        f"Missile       {missile} ({kind}{', full burn' if result['full_burn'] else ''})\n"
        f"Launch        {lat0:.4f} N, {wrap_lon_deg(lon0):.4f} E, heading {result['launch_heading_deg']:.2f} deg\n"
        f"Burnout       {b['time_s']:.1f} s: {b['lat_deg']:.4f} N, {b['lon_deg']:.4f} E, {b['alt_km']:.1f} km, "
        f"{b['speed_kms']:.3f} km/s, gamma {b['gamma_deg']:.2f} deg, heading {b['heading_deg']:.2f} deg\n"
        f"Apogee        {result['apogee_km']:.1f} km at {result['apogee_time_s']:.1f} s\n"
        f"Impact        {result['impact']['lat_deg']:.4f} N, {result['impact']['lon_deg']:.4f} E at "
        f"{result['flight_time_s']:.1f} s after launch\n"
        f"Ground range  {result['ground_range_km']:.1f} km, miss {result['miss_km'] * 1e3:.0f} m\n"
        f"Models        earth={m['earth']} rotation={m['rotation']} drag={m['drag']}"
        + "".join(f"\nWrote         {result[k]}" for k in ("csv", "geojson", "kml") if k in result)
    )
