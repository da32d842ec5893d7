"""Cross-references of a validated scenario: networks, batteries, catalogues and sector sides.
"""

from __future__ import annotations

import re

from .errors import _NOTHING, Issue
from .schema import Scenario


def _norm(name: str) -> str:
    """Catalogue names compare without case, punctuation or the word 'block'."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("block", ""))


def _catalogue_names(module: str) -> list[str] | None:
    """Names in a physics catalogue, or None when that catalogue cannot be loaded yet."""
    import importlib

    try:
        return list(importlib.import_module(f"shieldsim.{module}").catalogue())
    except Exception:  # the catalogue module is optional for validation
        return None


def check_references(sc: Scenario) -> list[Issue]:
    """Cross-references: network members, battery networks and interceptors, launch-area
    threats, catalogue names, sector sides. Returns the problems found (empty if none)."""
    issues: list[Issue] = []
    sensors = set(sc.radars) | set(sc.launch_detectors)
    clash = set(sc.radars) & set(sc.launch_detectors) | (sensors & set(sc.networks))
    for name in sorted(clash):
        issues.append(Issue(f"networks.{name}", name, "a name used by more than one sensor or network; allowed: unique names"))
    for net, spec in sc.networks.items():
        for k, member in enumerate(spec.members):
            if member not in sensors and member not in sc.networks:
                issues.append(Issue(f"networks.{net}.members[{k}]", member,
                                    "not a radar, launch detector or network of this scenario; allowed: "
                                    + (", ".join(sorted(sensors | set(sc.networks))) or "(none defined)")))
    for net, spec in sc.networks.items():
        try:
            expanded = _expand(sc, net, ())
        except ValueError as err:
            issues.append(Issue(f"networks.{net}.members", _NOTHING, str(err)))
            continue
        for k, h in enumerate(spec.home):
            try:
                inside = all(x in expanded for x in (_expand(sc, h, (net,)) if h in sc.networks else [h]))
            except ValueError:
                inside = False
            if not inside:
                issues.append(Issue(f"networks.{net}.home[{k}]", h,
                                    "must be one of this network's sensors or member networks; allowed: "
                                    + ", ".join(list(spec.members) + [x for x in expanded if x not in spec.members])))
    interceptor_names = _catalogue_names("interceptor")
    missile_names = _catalogue_names("missile")
    for name, b in sc.batteries.items():
        if b.network not in sc.networks:
            issues.append(Issue(f"batteries.{name}.network", b.network,
                                "not a network of this scenario; allowed: " + (", ".join(sc.networks) or "(none defined)")))
        if b.own_radars is not None and b.network in sc.networks:
            try:
                members = _expand(sc, b.network, ())
            except ValueError:
                members = None
            for k, r in enumerate(b.own_radars):
                if r not in sc.radars or (members is not None and r not in members):
                    issues.append(Issue(f"batteries.{name}.own_radars[{k}]", r,
                                        f"not a radar of network {b.network!r}; allowed: "
                                        + (", ".join(x for x in (members or []) if x in sc.radars) or "(none)")))
        if b.interceptor not in sc.interceptors and interceptor_names is not None and \
                _norm(b.interceptor) not in {_norm(n) for n in interceptor_names}:
            issues.append(Issue(f"batteries.{name}.interceptor", b.interceptor,
                                "not an inline [interceptors.*] entry nor in the interceptor catalogue; allowed: "
                                + ", ".join(list(sc.interceptors) + interceptor_names)))
    for name, t in sc.threats.items():
        if t.missile is not None and missile_names is not None and \
                _norm(t.missile) not in {_norm(n) for n in missile_names}:
            issues.append(Issue(f"threats.{name}.missile", t.missile,
                                "not in the missile catalogue; allowed: " + ", ".join(missile_names)))
    for name, area in sc.launch_areas.items():
        for k, threat in enumerate(area.threats):
            if threat not in sc.threats:
                issues.append(Issue(f"launch_areas.{name}.threats[{k}]", threat,
                                    "not a threat class of this scenario; allowed: " + (", ".join(sc.threats) or "(none defined)")))
    sides = {b.side for b in sc.batteries.values()}
    for name, sector in sc.sectors.items():
        if sector.engaged_by not in sides:
            issues.append(Issue(f"sectors.{name}.engaged_by", sector.engaged_by,
                                "no battery of this side; allowed: " + (", ".join(sorted(sides)) or "(no batteries)")))
    return issues


def _expand(sc: Scenario, net: str, chain: tuple[str, ...]) -> list[str]:
    """Sensor names of a network, with member networks expanded (order kept, no repeats)."""
    if net in chain:
        raise ValueError("networks contain each other: " + " -> ".join(chain + (net,)))
    out: list[str] = []
    for member in sc.networks[net].members:
        names = _expand(sc, member, chain + (net,)) if member in sc.networks else [member]
        out.extend(n for n in names if n not in out)
    return out
