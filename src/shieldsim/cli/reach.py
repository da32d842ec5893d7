"""``shieldsim reach``: earliest arrival of an interceptor at a point, and its burnout state."""

from __future__ import annotations

import math

import typer

from . import app
from ..units import from_si, to_si
from .output import EarthName, fail, provenance, to_json


def _numbers(option: str, text: str, count: int, names: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count:
        fail(option, f"expected {names} as {count} comma-separated numbers, got {text!r}")
    return values


def _check_latlon(option: str, lat: float, lon: float) -> None:
    if not -90.0 <= lat <= 90.0:
        fail(option, f"latitude {lat} outside [-90, 90] degrees")
    if not -180.0 <= lon <= 360.0:
        fail(option, f"longitude {lon} outside [-180, 360] degrees")


@app.command()
def reach(
    site: str = typer.Option(None, "--site", help="Launch site LAT,LON in degrees, e.g. 44.08,24.35 [lat -90..90, lon -180..360]."),
    interceptor: str = typer.Option(None, "--interceptor", help="Interceptor key or name from the catalogue, e.g. sm3-iia (see --list)."),
    to: str = typer.Option(None, "--to", help="Aim point LAT,LON,ALT_KM, e.g. 48,30,300 [alt 0..5000 km]."),
    earth: EarthName = typer.Option(EarthName.wgs84, "--earth", help="Earth model."),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation", help="Rotating Earth."),
    max_time: float = typer.Option(3600.0, "--max-time-s", min=1, max=20000, help="Longest flight searched, seconds [1, 20000]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    list_types: bool = typer.Option(False, "--list", help="List the catalogue's interceptors and exit."),
) -> None:
    """Earliest time after launch at which an interceptor can reach a point, and the burnout
    state (position, speed, flight-path angle, heading) of that arc."""
    from ..earth import earth_model, to_ecef
    from ..interceptor import catalogue, earliest_arrival, find, minimum_speed
    from ..trajectory import Models

    cat = catalogue()
    if list_types:
        _print_catalogue(cat, as_json)
        return
    if site is None:
        fail("--site", "give the launch site as LAT,LON in degrees")
    if interceptor is None:
        fail("--interceptor", f"give an interceptor; allowed: {', '.join(cat)}")
    if to is None:
        fail("--to", "give the aim point as LAT,LON,ALT_KM")
    try:
        icp = find(interceptor, cat)
    except KeyError:
        fail("--interceptor", f"unknown interceptor {interceptor!r}; allowed: {', '.join(cat)}")
    slat, slon = _numbers("--site", site, 2, "LAT,LON")
    _check_latlon("--site", slat, slon)
    plat, plon, palt = _numbers("--to", to, 3, "LAT,LON,ALT_KM")
    _check_latlon("--to", plat, plon)
    if not 0.0 <= palt <= 5000.0:
        fail("--to", f"altitude {palt} km outside [0, 5000] km")
    model = earth_model(earth.value)
    models = Models(model, rotation, False)
    lat_s, lon_s = to_si("lat_deg", slat), to_si("lon_deg", slon)
    point = to_ecef(to_si("lat_deg", plat), to_si("lon_deg", plon), to_si("alt_km", palt), model).reshape(1, 3)
    arr = earliest_arrival(icp, lat_s, lon_s, point, models, max_time=max_time)
    result = {
        "interceptor": icp.name,
        "site": {"lat_deg": slat, "lon_deg": slon},
        "point": {"lat_deg": plat, "lon_deg": plon, "alt_km": palt},
        "ground_range_km": from_si("ground_range_km", float(arr.ground_range[0])),
        "reachable": bool(arr.reachable[0]),
    }
    reasons = []
    if not icp.min_intercept_alt <= arr.altitude[0] <= icp.max_intercept_alt:
        reasons.append(f"altitude outside the intercept band {icp.min_intercept_alt / 1e3:.0f}-"
                       f"{icp.max_intercept_alt / 1e3:.0f} km")
    if arr.ground_range[0] > icp.max_range:
        reasons.append(f"beyond the maximum range {icp.max_range / 1e3:.0f} km")
    if arr.reachable[0]:
        result.update({
            "arrival_time_s": float(arr.flight_time[0]),
            "burnout": _burnout(arr, icp, model),
            "interceptor_burnout_speed_kms": from_si("interceptor_burnout_speed_kms", icp.burnout_speed),
        })
    else:
        if not reasons:
            vmin, tmin = minimum_speed(icp, lat_s, lon_s, point, models, max_time=max_time, tol=1e-3)
            reasons.append(f"needs at least {vmin[0] / 1e3:.2f} km/s at burnout (at {tmin[0]:.0f} s), "
                           f"more than its {icp.burnout_speed / 1e3:.2f} km/s")
        result["arrival_time_s"] = None
        result["reason"] = "; ".join(reasons)
    result.update(provenance(models.as_dict()))
    if as_json:
        typer.echo(to_json(result))
        return
    _print_result(result, icp)


def _print_catalogue(cat: dict, as_json: bool) -> None:
    """``--list``: the catalogue's interceptors (speed, range, altitude band)."""
    rows = {k: {"name": v.name, "burnout_speed_kms": from_si("burnout_speed_kms", v.burnout_speed),
                "max_range_km": from_si("max_range_km", v.max_range),
                "alt_band_km": [from_si("alt_band_km", v.min_intercept_alt), from_si("alt_band_km", v.max_intercept_alt)]}
            for k, v in cat.items()}
    if as_json:
        typer.echo(to_json({"interceptors": rows, **provenance()}))
        return
    for k, r in rows.items():
        typer.echo(f"{k:10s} {r['name']:38s} {r['burnout_speed_kms']:.1f} km/s  range {r['max_range_km']:.0f} km  "
                   f"alt {r['alt_band_km'][0]:.0f}-{r['alt_band_km'][1]:.0f} km")


def _burnout(arr, icp, model) -> dict:
    """The burnout state of the earliest arc (degrees, km, km/s; heading clockwise from north)."""
    import numpy as np

    from ..earth import enu_basis, to_geodetic

    b = arr.burnout_position[0]
    v = arr.burnout_velocity[0]
    blat, blon, balt = (float(x[0]) for x in to_geodetic(b[None], model))
    east, north, up = (x[0] for x in enu_basis(np.array([blat]), np.array([blon])))
    speed = float(np.linalg.norm(v))
    return {
        "time_s": icp.burn_time,
        "lat_deg": from_si("lat_deg", blat), "lon_deg": from_si("lon_deg", blon), "alt_km": from_si("alt_km", balt),
        "speed_kms": from_si("speed_kms", speed),
        "gamma_deg": from_si("gamma_deg", math.asin(max(-1.0, min(1.0, float(v @ up) / speed)))),
        "heading_deg": from_si("heading_deg", math.atan2(float(v @ east), float(v @ north))) % 360.0,
    }


def _print_result(result: dict, icp) -> None:
    """The text form of ``shieldsim reach``'s result."""
    slat, slon = result["site"]["lat_deg"], result["site"]["lon_deg"]
    plat, plon, palt = (result["point"][k] for k in ("lat_deg", "lon_deg", "alt_km"))
    typer.echo(f"Interceptor   {icp.name} from {slat:.3f} N, {slon:.3f} E")
    typer.echo(f"Point         {plat:.3f} N, {plon:.3f} E, {palt:.1f} km (ground range {result['ground_range_km']:.1f} km)")
    if result["reachable"]:
        bo = result["burnout"]
        typer.echo(f"Arrival       {result['arrival_time_s']:.1f} s after launch (earliest)")
        typer.echo(f"Burnout       {bo['time_s']:.1f} s: {bo['lat_deg']:.3f} N, {bo['lon_deg']:.3f} E, {bo['alt_km']:.1f} km")
        typer.echo(f"              {bo['speed_kms']:.3f} km/s (of {icp.burnout_speed / 1e3:.2f}), "
                   f"flight-path {bo['gamma_deg']:.1f} deg, heading {bo['heading_deg']:.1f} deg")
    else:
        typer.echo(f"Not reachable {result['reason']}")
    m = result["models"]
    typer.echo(f"Models        earth={m['earth']} rotation={m['rotation']}")
