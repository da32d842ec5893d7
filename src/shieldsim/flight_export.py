"""Export of one flight for other tools: its sampled track as plain arrays, and CSV, GeoJSON and
KML files (``shieldsim aim --csv/--geojson/--kml``, ``shieldsim fly --csv``).

A track is a dict of arrays over the flight's samples until impact: ``time_s``, ``lat_deg``,
``lon_deg`` (wrapped to [-180, 180) unless asked not to), ``alt_km`` and the Earth-fixed ``pos_km``
(S, 3) and ``vel_kms`` (S, 3). Writers raise OSError on a path that cannot be written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .earth import to_geodetic
from .jsonout import to_json
from .units import wrap_lon_deg

CSV_HEADER = "time_s,lat_deg,lon_deg,alt_km,x_km,y_km,z_km,vx_kms,vy_kms,vz_kms"


def track(time, position, velocity, earth, wrap_lon: bool = True) -> dict:
    """The samples of one flight ((S,) times in s, (S, 3) Earth-fixed position m and velocity
    m/s, NaN after impact) as a track in degrees and km (see the module docstring)."""
    ok = np.isfinite(position[:, 0])
    lat, lon, alt = to_geodetic(position[ok], earth)
    lon_deg = np.degrees(lon)
    return {"time_s": time[ok], "lat_deg": np.degrees(lat), "lon_deg": wrap_lon_deg(lon_deg) if wrap_lon else lon_deg,
            "alt_km": alt / 1e3, "pos_km": position[ok] / 1e3, "vel_kms": velocity[ok] / 1e3}


def write_csv(path: Path, track: dict, result: dict | None = None) -> None:
    """The track as CSV (`CSV_HEADER`, six decimals); ``result`` is accepted for a writer
    signature shared with `write_geojson` and `write_kml`, and not used."""
    rows = np.column_stack([track["time_s"], track["lat_deg"], track["lon_deg"], track["alt_km"], track["pos_km"],
                            track["vel_kms"]])
    np.savetxt(path, rows, delimiter=",", header=CSV_HEADER, comments="", fmt="%.6f")


def write_geojson(path: Path, track: dict, result: dict) -> None:
    """GeoJSON of one aimed flight: the ground track as a LineString (lon, lat, altitude m) and
    the launch, burnout, impact and target points; ``result`` is the record ``shieldsim aim
    --json`` prints (degrees, km, s)."""
    coords = [[round(float(lo), 6), round(float(la), 6), round(float(h) * 1e3, 1)]
              for la, lo, h in zip(track["lat_deg"], track["lon_deg"], track["alt_km"])]
    props = {k: result[k] for k in ("missile", "trajectory", "flight_time_s", "apogee_km", "ground_range_km",
                                    "miss_km", "models", "version")}

    def point(name, p, extra=None):
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon_deg"], p["lat_deg"]]},
                "properties": {"name": name, **(extra or {})}}

    features = [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
         "properties": {"name": "ground track", **props}},
        point("launch", result["launch"]),
        point("burnout", result["burnout"], {"alt_km": result["burnout"]["alt_km"], "time_s": result["burnout"]["time_s"]}),
        point("impact", result["impact"], {"time_s": result["flight_time_s"]}),
        point("target", result["target"]),
    ]
    path.write_text(to_json({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def write_kml(path: Path, track: dict, result: dict) -> None:
    """KML of one aimed flight: the flight path (absolute altitude) and the launch, burnout,
    impact and target placemarks (``result`` as for `write_geojson`)."""
    from xml.sax.saxutils import escape

    coords = " ".join(f"{lo:.6f},{la:.6f},{h * 1e3:.1f}"
                      for la, lo, h in zip(track["lat_deg"], track["lon_deg"], track["alt_km"]))

    def placemark(name, p, alt_m=0.0):
        return (f"<Placemark><name>{escape(name)}</name><Point><altitudeMode>absolute</altitudeMode>"
                f"<coordinates>{p['lon_deg']:.6f},{p['lat_deg']:.6f},{alt_m:.1f}</coordinates></Point></Placemark>")

    title = f"{result['missile']} {result['trajectory']} flight"
    about = f"models {result['models']}; shieldsim {result['version']}"
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{escape(title)}</name>"
        f"<description>{escape(about)}</description>"
        f"<Placemark><name>{escape(title)}</name><LineString><altitudeMode>absolute</altitudeMode>"
        f"<coordinates>{coords}</coordinates></LineString></Placemark>"
        + placemark("launch", result["launch"])
        + placemark("burnout", result["burnout"], result["burnout"]["alt_km"] * 1e3)
        + placemark("impact", result["impact"])
        + placemark("target", result["target"])
        + "</Document></kml>\n"
    )
    path.write_text(text, encoding="utf-8")
