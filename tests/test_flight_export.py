"""flight_export: one flight's track as arrays and as CSV, GeoJSON and KML files."""

import json
import math

import numpy as np

from shieldsim import flight_export
from shieldsim.earth import WGS84, to_ecef


def _track(wrap=True):
    lon = np.radians([179.0, 181.0])
    pos = np.array([to_ecef(0.1, lo, 1e5, WGS84) for lo in lon] + [[np.nan] * 3])
    vel = np.ones((3, 3))
    return flight_export.track(np.array([0.0, 10.0, 20.0]), pos, vel, WGS84, wrap_lon=wrap)


RESULT = {"missile": "m", "trajectory": "minimum-energy", "flight_time_s": 20.0, "apogee_km": 100.0,
          "ground_range_km": 222.0, "miss_km": 0.0, "models": {"earth": "wgs84"}, "version": "x",
          "launch": {"lat_deg": 5.7, "lon_deg": 179.0}, "target": {"lat_deg": 5.7, "lon_deg": -179.0},
          "impact": {"lat_deg": 5.7, "lon_deg": -179.0},
          "burnout": {"lat_deg": 5.7, "lon_deg": 179.5, "alt_km": 100.0, "time_s": 5.0}}


def test_track_drops_samples_after_impact_in_degrees_and_km():
    t = _track()
    assert t["time_s"].tolist() == [0.0, 10.0]
    assert np.allclose(t["alt_km"], 100.0) and np.allclose(t["lat_deg"], math.degrees(0.1))
    assert np.allclose(t["lon_deg"], [179.0, -179.0])
    assert t["pos_km"].shape == (2, 3) and np.allclose(t["vel_kms"], 1e-3)


def test_csv_geojson_and_kml_hold_the_track(tmp_path):
    t = _track()
    flight_export.write_csv(tmp_path / "f.csv", t)
    lines = (tmp_path / "f.csv").read_text().splitlines()
    assert lines[0] == flight_export.CSV_HEADER and len(lines) == 3
    flight_export.write_geojson(tmp_path / "f.geojson", t, RESULT)
    doc = json.loads((tmp_path / "f.geojson").read_text())
    line = doc["features"][0]
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) == 2
    assert [f["properties"]["name"] for f in doc["features"][1:]] == ["launch", "burnout", "impact", "target"]
    flight_export.write_kml(tmp_path / "f.kml", t, RESULT)
    kml = (tmp_path / "f.kml").read_text()
    assert kml.count("<Placemark>") == 5 and "m minimum-energy flight" in kml
