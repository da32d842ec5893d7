"""A city's engagement timeline for the explorer: the event table and altitude-time figure of
`report.engagement_case` (what the report shows), for one threat per launch area aimed at the city.

Rule (as ``shieldsim assess`` picks its representative threat): the area's longest-range class,
flown from the area's first launch point that can reach the city; the scenario on screen
(`controls.Built.shown`) engages it. An area none of whose points reaches the city is listed as
not reaching it.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np

from .. import report, scenario as scen, study
from .controls import Built


def _svg_data_uri(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def city_timeline(built: Built, name: str, lat_deg: float, lon_deg: float, figure: bool = True) -> dict:
    """``{"city", "lat", "lon", "cases": [...]}``, one case per launch area of ``built``: ``area``,
    ``reached`` (bool), and when reached ``threat`` (label), ``engageable``, ``shots``,
    ``kill_probability``, ``events`` (time_s after the threat's launch, event, actor, detail) and
    ``figure`` (the altitude-time plot as an SVG data URI)."""
    sc = built.shown
    arch = study.Architecture.from_scenario(sc)
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    cases = []
    for area in built.areas:
        pts = scen.launch_points(sc, area)
        cls = max(sc.launch_areas[area].threats, key=lambda c: arch.missiles[c].published_range)
        n = len(pts.names)
        flights, kept, _ = study.fly_within_reach(arch, cls, np.asarray(pts.lat), np.asarray(pts.lon),
                                                  np.full(n, lat), np.full(n, lon))
        if flights is None:
            cases.append({"area": area, "reached": False, "threat": cls})
            continue
        label = f"{cls} {pts.names[int(kept[0])]} -> {name}"
        traj = flights.subset(slice(0, 1))
        traj.labels = np.array([label], dtype=object)
        e, tr = study.engage_flights(arch, traj)
        case = report.engagement_case(traj, e, arch.batteries, 0, threat_area=area, threat=label, figure=figure,
                                      **study.first_flight_facts(tr))
        figs = [p.figure if isinstance(p, report.Plot) else p for p in case.figures]
        cases.append({"area": area, "reached": True, "threat": label, "engageable": case.engageable,
                      "shots": case.shots, "kill_probability": _finite(case.kill_probability),
                      "events": [{"time_s": _finite(ev.time_s), "event": ev.event, "actor": ev.actor,
                                  "detail": ev.detail} for ev in case.events],
                      "figure": _svg_data_uri(figs[0]) if figs and hasattr(figs[0], "savefig") else None})
    return {"city": name, "lat": lat_deg, "lon": lon_deg, "cases": cases}
