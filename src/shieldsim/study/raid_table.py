"""The [engagement] table of a raid: launch and intercept windows computed from a scenario.
"""

from __future__ import annotations

import math

import numpy as np

from .. import scenario as scen
from .architecture import Architecture
from .flights import fly
from .sectors import responsible
from .tracks import engage_flights


def scenario_engagement_table(sc, raid) -> dict:
    """The [engagement] table of a raid in a scenario (a `scenario.Scenario` or a
    `Architecture`): batteries (inventory, SSPK) and one window per route (launch area,
    launch point, aim point, threat class) and battery, flown with `fly` (the scenario's
    trajectory shape), tracked and engaged with `engage_flights` (each battery's launch_on and
    engage_on).

    Threat classes are the scenario's ``threats`` names (a wave without ``missile`` takes its
    launch area's first class); launch points are named points of the area (default: its first).
    Under sectors of responsibility a battery gets a window only where its side is responsible
    (`responsible`: at its first intercept point), as in coverage.
    """
    arch = sc if isinstance(sc, Architecture) else Architecture.from_scenario(sc)
    sc = arch.scenario
    aims = scen.aim_points(sc)
    aim_index = {name: i for i, name in enumerate(aims.names)}
    batteries = arch.batteries
    if not batteries:
        raise ValueError(f"scenario {sc.name!r} has no batteries")

    routes: dict[tuple, None] = {}
    for i in range(len(raid)):
        area = raid.launch_area[i]
        if area not in sc.launch_areas:
            raise KeyError(f"launch area {area!r} is not in scenario {sc.name!r}; allowed: {list(sc.launch_areas)}")
        if raid.aim_point[i] not in aim_index:
            raise KeyError(f"aim point {raid.aim_point[i]!r} is not in scenario {sc.name!r}; "
                           f"allowed: {list(aim_index)}")
        cls = raid.missile[i] or sc.launch_areas[area].threats[0]
        if cls not in arch.missiles:
            raise KeyError(f"threat class {cls!r} is not in scenario {sc.name!r}; allowed: {list(arch.missiles)}")
        routes[(area, raid.point_of(i), raid.aim_point[i], raid.missile[i], cls)] = None
    windows = []
    source = f"computed from scenario {sc.name!r}"
    if sc.sectors:
        source += " (sectors: only the side responsible at the battery's first intercept point engages)"
    by_class: dict[str, list[tuple]] = {}
    for route in routes:
        by_class.setdefault(route[4], []).append(route)
    kill_assessment = None
    for cls, group in by_class.items():
        lat0, lon0, lat1, lon1 = [], [], [], []
        for area, point, aim_name, _, _ in group:
            pts = scen.launch_points(sc, area)
            if point and point not in pts.names:
                raise KeyError(f"launch point {point!r} is not in area {area!r}; allowed: {list(pts.names)}")
            k = pts.names.index(point) if point else 0
            lat0.append(pts.lat[k])
            lon0.append(pts.lon[k])
            lat1.append(aims.lat[aim_index[aim_name]])
            lon1.append(aims.lon[aim_index[aim_name]])
        traj = fly(arch, cls, np.array(lat0), np.array(lon0), np.array(lat1), np.array(lon1))
        eng, _ = engage_flights(arch, traj)
        ok = eng.engageable & responsible(arch, eng)
        for r, (area, point, aim_name, missile, _) in enumerate(group):
            for j, bat in enumerate(batteries):
                if not ok[r, j]:
                    continue
                w = {"battery": bat.name, "launch_area": area, "aim_point": aim_name,
                     "missile": missile, "launch_point": point,
                     "launch_earliest_s": float(eng.launch_earliest[r, j]),
                     "launch_latest_s": float(eng.launch_latest[r, j]),
                     "intercept_first_s": float(eng.intercept_first[r, j]),
                     "intercept_last_s": float(eng.intercept_last[r, j]),
                     "source": source}
                if all(math.isfinite(w[k]) for k in ("launch_earliest_s", "launch_latest_s",
                                                     "intercept_first_s", "intercept_last_s")):
                    windows.append(w)
        kill_assessment = eng.kill_assessment
    return {
        "models": arch.models.as_dict(),
        "kill_assessment_s": float(kill_assessment),
        "battery": [{"name": b.name, "inventory": int(b.inventory), "sspk": float(b.interceptor.sspk)}
                    for b in batteries],
        "window": windows,
    }
