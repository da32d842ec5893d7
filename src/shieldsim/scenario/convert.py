"""Converters from a validated scenario to the physics types (SI units).

Unit conversion goes through `units.si`; physics modules are imported lazily.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..units import si, to_si
from .errors import _NOTHING, Issue, ScenarioError
from .references import _expand, _norm
from .schema import InterceptorSpec, Scenario, ThreatSpec


class Points(NamedTuple):
    """Named points: ``names`` (list of str), ``lat``, ``lon`` (radians, (N,) arrays)."""

    names: list
    lat: Any
    lon: Any


def models(sc: Scenario):
    """`trajectory.Models` of the scenario's model switches."""
    from ..earth import earth_model
    from ..trajectory import Models

    return Models(earth_model(sc.models.earth), sc.models.rotation, sc.models.drag)


def refraction_record(sc: Scenario) -> dict[str, str]:
    """Radar name -> refraction model used (``"4/3-earth (k=1.333)"`` with its factor), for the
    model record of every output that involves radars."""
    return {name: f"4/3-earth (k={r.refraction_k:.4g})" if r.refraction == "4/3-earth" else r.refraction
            for name, r in sc.radars.items()}


def refraction_summary(sc: Scenario) -> str:
    """`refraction_record` in one line: the model when every radar uses the same one, else
    ``name=model`` pairs; ``"no radars"`` without radars."""
    record = refraction_record(sc)
    if not record:
        return "no radars"
    models = set(record.values())
    return models.pop() if len(models) == 1 else ", ".join(f"{k}={v}" for k, v in record.items())


def radar_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments (SI) of `sensors.Radar` for each radar, in file order (the site
    elevation goes to ``site_altitude``, the mast height to ``antenna_height``)."""
    out = []
    for name, r in sc.radars.items():
        fixed = r.field == "fixed"
        out.append(dict(
            name=name, lat=si(r, "lat_deg"), lon=si(r, "lon_deg"),
            antenna_height=r.antenna_height_m, platform=r.platform, site_altitude=r.site_elevation_m,
            field=r.field,
            boresight=si(r, "boresight_deg") if fixed else 0.0,
            half_width=si(r, "half_width_deg") if fixed else math.pi,
            min_elevation=si(r, "min_elevation_deg"), max_elevation=si(r, "max_elevation_deg"),
            max_range=si(r, "max_range_km"), reference_range=si(r, "reference_range_km"),
            reference_rcs=r.reference_rcs_m2, revisit=r.revisit_s, hits_for_track=r.hits_for_track,
            fire_control=r.fire_control, refraction=r.refraction, refraction_k=r.refraction_k,
            source=r.source,
        ))
    return out


def launch_detector_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments (SI) of `sensors.LaunchDetector` for each launch detector."""
    return [dict(name=name, min_altitude=si(d, "min_altitude_km"), latency=d.latency_s, source=d.source)
            for name, d in sc.launch_detectors.items()]


def radars(sc: Scenario) -> list:
    """`sensors.Radar` objects, in file order."""
    from ..sensors import Radar

    return [Radar(**kw) for kw in radar_kwargs(sc)]


def launch_detectors(sc: Scenario) -> list:
    """`sensors.LaunchDetector` objects, in file order."""
    from ..sensors import LaunchDetector

    return [LaunchDetector(**kw) for kw in launch_detector_kwargs(sc)]


def network_members(sc: Scenario) -> dict[str, list[str]]:
    """Sensor names of each network, member networks expanded."""
    return {net: _expand(sc, net, ()) for net in sc.networks}


def networks(sc: Scenario) -> list:
    """`sensors.Network` objects (sensors as objects, member networks expanded; the
    network's own ``latency_s`` applies to all its sensors)."""
    from ..sensors import Network

    by_name = {s.name: s for s in radars(sc) + launch_detectors(sc)}
    return [Network(name=net, sensors=[by_name[m] for m in members], latency=sc.networks[net].latency_s,
                    home=tuple(network_home(sc)[net]))
            for net, members in network_members(sc).items()]


def network_home(sc: Scenario) -> dict[str, list[str]]:
    """Home sensor names of each network (member networks in ``home`` expanded)."""
    out = {}
    for net, spec in sc.networks.items():
        names: list[str] = []
        for h in spec.home:
            for x in (_expand(sc, h, ()) if h in sc.networks else [h]):
                if x not in names:
                    names.append(x)
        out[net] = names
    return out


_INTERCEPTOR_FIELDS = {"burn_time": "burn_time_s", "burnout_speed": "burnout_speed_kms",
                       "burnout_altitude": "burnout_alt_km", "min_intercept_alt": "min_intercept_alt_km",
                       "max_intercept_alt": "max_intercept_alt_km", "max_range": "max_range_km",
                       "launch_delay": "launch_delay_s", "sspk": "sspk"}


def interceptor_kwargs(name: str, spec: InterceptorSpec) -> dict:
    """Keyword arguments (SI) of `interceptor.Interceptor` for an inline interceptor."""
    return dict(
        name=spec.label or name, burn_time=spec.burn_time_s, burnout_speed=si(spec, "burnout_speed_kms"),
        burnout_altitude=si(spec, "burnout_alt_km"), min_intercept_alt=si(spec, "min_intercept_alt_km"),
        max_intercept_alt=si(spec, "max_intercept_alt_km"), max_range=si(spec, "max_range_km"),
        launch_delay=spec.launch_delay_s, sspk=spec.sspk,
        sources=dict.fromkeys(_INTERCEPTOR_FIELDS, spec.source),
    )


def _from_catalogue(catalogue: dict, name: str, what: str):
    for key, value in catalogue.items():
        if _norm(key) == _norm(name):
            return value
    raise ScenarioError([Issue(what, name, "not in the catalogue; allowed: " + ", ".join(catalogue))])


def interceptors(sc: Scenario) -> dict:
    """`interceptor.Interceptor` for every type the batteries use (inline or catalogue)."""
    from .. import interceptor as mod

    out = {}
    for b in sc.batteries.values():
        if b.interceptor in out:
            continue
        if b.interceptor in sc.interceptors:
            out[b.interceptor] = mod.Interceptor(**interceptor_kwargs(b.interceptor, sc.interceptors[b.interceptor]))
        else:
            out[b.interceptor] = _from_catalogue(mod.catalogue(), b.interceptor, "interceptor")
    return out


def battery_kwargs(sc: Scenario) -> list[dict]:
    """Keyword arguments of `interceptor.Battery` (``interceptor`` given by name; ``launch_on``,
    ``engage_on`` and ``own_radars`` as in the file, None = the network's home sensors) and the
    ``network`` each battery fires on, in file order."""
    return [dict(name=name, lat=si(b, "lat_deg"), lon=si(b, "lon_deg"), interceptor=b.interceptor,
                 inventory=b.inventory, doctrine=b.doctrine, salvo_size=b.salvo_size, side=b.side, network=b.network,
                 launch_on=b.launch_on, engage_on=b.engage_on,
                 own_radars=None if b.own_radars is None else tuple(b.own_radars))
            for name, b in sc.batteries.items()]


def batteries(sc: Scenario) -> list:
    """`interceptor.Battery` objects in file order; see `battery_networks` for their networks."""
    from .. import interceptor as mod

    types = interceptors(sc)
    out = []
    for kw in battery_kwargs(sc):
        kw = dict(kw)
        kw.pop("network")
        kw["interceptor"] = types[kw["interceptor"]]
        out.append(mod.Battery(**kw))
    return out


def battery_networks(sc: Scenario) -> list[str]:
    """The network each battery fires on, aligned with `batteries`."""
    return [b.network for b in sc.batteries.values()]


def missile_kwargs(name: str, spec: ThreatSpec) -> dict:
    """Keyword arguments (SI) of `missile.Missile` for an inline threat class."""
    src = spec.source
    kw = dict(name=name, stage_burn_times=tuple(spec.stage_burn_times_s), burnout_speed=si(spec, "burnout_speed_kms"),
              beta=spec.beta_kgm2, rcs=spec.rcs_m2, published_range=si(spec, "published_range_km"),
              sources=dict.fromkeys(("stage_burn_times", "burnout_speed", "beta", "rcs", "published_range"), src))
    if spec.stage_speed_fractions is not None:
        kw["stage_speed_fractions"] = tuple(spec.stage_speed_fractions)
    if spec.body_rcs_m2 is not None:
        kw["body_rcs"] = spec.body_rcs_m2
        kw["sources"]["body_rcs"] = src
    return kw


def missiles(sc: Scenario) -> dict:
    """`missile.Missile` for each threat class (key = the scenario's class name); catalogue
    classes get the scenario's ``rcs_m2``/``body_rcs_m2``/``beta_kgm2``/``burnout_speed_kms``/
    ``stage_burn_times_s`` overrides, if any."""
    import dataclasses

    from .. import missile as mod

    out = {}
    for name, t in sc.threats.items():
        if t.missile is None:
            out[name] = mod.Missile(**missile_kwargs(name, t))
            continue
        m = _from_catalogue(mod.catalogue(), t.missile, f"threats.{name}.missile")
        changes = {}
        if t.rcs_m2 is not None:
            changes["rcs"] = t.rcs_m2
        if t.body_rcs_m2 is not None:
            changes["body_rcs"] = t.body_rcs_m2
        if t.beta_kgm2 is not None:
            changes["beta"] = t.beta_kgm2
        if t.burnout_speed_kms is not None:
            changes["burnout_speed"] = si(t, "burnout_speed_kms")
        if t.stage_burn_times_s is not None:
            if len(t.stage_burn_times_s) != len(m.stage_burn_times):
                raise ScenarioError([Issue(f"threats.{name}.stage_burn_times_s", t.stage_burn_times_s,
                                           f"one burn time per stage of {t.missile!r}; allowed: "
                                           f"{len(m.stage_burn_times)} value(s)")], sc.name)
            changes["stage_burn_times"] = tuple(t.stage_burn_times_s)
        if changes:
            sources = dict(getattr(m, "sources", {}) or {})
            sources.update(dict.fromkeys(changes, t.source))
            changes["sources"] = sources
            m = dataclasses.replace(m, **changes)
        out[name] = m
    return out


def launch_points(sc: Scenario, area: str) -> Points:
    """Launch points of one launch area, sampled by its rule (radians).

    "points": as listed; "vertices": the polygon's vertices; "centroid": its centroid;
    "grid": points inside the polygon on a grid of ``spacing_km`` (north-south step
    spacing/111.195 km per degree, east-west step widened by 1/cos(mid-latitude));
    "random": ``count`` points uniform in area inside the polygon, drawn with ``seed``.
    """
    import numpy as np

    if area not in sc.launch_areas:
        raise ScenarioError([Issue("area", area, "allowed: " + (", ".join(sc.launch_areas) or "(none defined)"))], sc.name)
    a = sc.launch_areas[area]
    if a.points is not None:
        return Points([p.name for p in a.points], to_si("lat_deg", [p.lat_deg for p in a.points]),
                      to_si("lon_deg", [p.lon_deg for p in a.points]))
    import shapely

    verts = np.array(a.polygon_deg, dtype=float)
    poly = shapely.Polygon(verts[:, ::-1])  # x = lon, y = lat
    if not poly.is_valid:
        poly = poly.buffer(0)
    if a.sampling == "vertices":
        lat, lon = verts[:, 0], verts[:, 1]
    elif a.sampling == "centroid":
        c = poly.centroid
        lat, lon = np.array([c.y]), np.array([c.x])
    elif a.sampling == "grid":
        lon0, lat0, lon1, lat1 = poly.bounds
        dlat = a.spacing_km / 111.195
        dlon = dlat / max(math.cos(math.radians(0.5 * (lat0 + lat1))), 1e-3)
        glat, glon = np.meshgrid(np.arange(lat0, lat1 + 1e-9, dlat), np.arange(lon0, lon1 + 1e-9, dlon), indexing="ij")
        inside = shapely.intersects_xy(poly, glon.ravel(), glat.ravel())  # boundary counts
        lat, lon = glat.ravel()[inside], glon.ravel()[inside]
        if lat.size == 0:  # polygon smaller than one cell: its centroid stands in
            c = poly.centroid
            lat, lon = np.array([c.y]), np.array([c.x])
    else:
        rng = np.random.default_rng(a.seed)
        lon0, lat0, lon1, lat1 = poly.bounds
        lat_list, lon_list = [], []
        need = a.count
        s0, s1 = math.sin(math.radians(lat0)), math.sin(math.radians(lat1))
        for _ in range(10_000):
            if need == 0:
                break
            m = max(2 * need, 64)
            cand_lat = np.degrees(np.arcsin(rng.uniform(s0, s1, m)))  # uniform in area
            cand_lon = rng.uniform(lon0, lon1, m)
            ok = shapely.contains_xy(poly, cand_lon, cand_lat)
            lat_list.append(cand_lat[ok][:need])
            lon_list.append(cand_lon[ok][:need])
            need -= int(min(ok.sum(), need))
        if need:
            raise ScenarioError([Issue(f"launch_areas.{area}.polygon_deg", _NOTHING,
                                       "too small a part of its bounding box to sample at random; "
                                       "allowed: a polygon that is not a sliver")], sc.name)
        lat, lon = np.concatenate(lat_list), np.concatenate(lon_list)
    names = [f"{area}[{i}]" for i in range(len(lat))]
    return Points(names, to_si("lat_deg", lat), to_si("lon_deg", lon))


def aim_points(sc: Scenario, group: str | None = None) -> Points:
    """Aim points (radians), optionally only those of one ``group``."""
    chosen = [(n, p) for n, p in sc.aim_points.items() if group is None or p.group == group]
    return Points([n for n, _ in chosen], to_si("lat_deg", [p.lat_deg for _, p in chosen]),
                  to_si("lon_deg", [p.lon_deg for _, p in chosen]))
