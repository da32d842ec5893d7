"""The deterrent question (issue 8): strategic bases x aim points x batteries, per EPAA phase.

`deterrent_study` flies every base's classes to every aim point, builds the
`deterrent.DeterrentMatrix` of each sensor variant, the speed and delay sweeps of each phase and
the ship-station sweep (`DeterrentConfig` in, `DeterrentStudy` out); `deterrent_shapes` runs it
once per flight shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .. import scenario as scen
from ..units import from_si
from .architecture import DEFAULT_STEP_S, Architecture, provenance, reachable_from
from .flights import fly_within_reach
from .tracks import FORWARD_RADAR, SENSOR_VARIANTS, SharedFlights, Tracks, variant_tracks


DETERRENT_PHASES = ("epaa-2011", "epaa-2015", "epaa-2018", "epaa-phase4")
"""EPAA phases whose batteries and sensors face the deterrent scenario's flights."""


FLIGHT_SHAPES = ("minimum-energy", "depressed", "lofted")
"""Flight shapes of the deterrent study (`trajectory.aim` kinds)."""

SHAPE_APOGEE_FRACTION = {"depressed": 0.5, "lofted": 1.5}
"""Apogee of a depressed / lofted deterrent flight as a fraction of the minimum-energy apogee of
the same class between the same launch and aim points (free-flight apogee above WGS84).
NOTIONAL shieldsim convention, not taken from a source: depressed (lower, faster) and lofted
(higher, slower) ICBM and SLBM trajectories are discussed in the open literature, e.g.
'Depressed Trajectory SLBMs', Science & Global Security 3 (1992) 101-159 (L. Gronlund and
D. Wright; cited from a secondary listing, not verified against the original), but no
published fraction is used here. Results depend on it: run the study at other fractions
(``shieldsim deterrent --depressed-fraction/--lofted-fraction``) to see how much."""

SHAPE_CONVENTION_SOURCE = ("NOTIONAL: apogee = fraction x the pair's minimum-energy apogee (shieldsim convention); "
                           "depressed trajectories: 'Depressed Trajectory SLBMs', Science & Global Security 3 (1992) "
                           "101-159, not verified against the original")


def deterrent_flights(arch: Architecture, areas=None, aim_names=None, kind: str | None = None,
                      step: float = DEFAULT_STEP_S, apogee: float | None = None,
                      apogee_fraction: float | None = None):
    """Fly every threat class of every launch area (``areas``, default all) to every aim point
    (``aim_names``, default all) the class can reach on the requested trajectory (``kind``,
    default the scenario's). Lofted/depressed flights need an apogee: ``apogee`` in m, else
    ``apogee_fraction`` x the minimum-energy apogee of each pair (`SHAPE_APOGEE_FRACTION`), else
    the scenario's ``apogee_km``. Returns one `trajectory.Trajectory` (common time grid,
    NaN-padded), (N,) labels base, threat, aim_point, and a list of (base, threat, aim_point,
    reason) left out.

    The result is kept in the disk store (`stored`, kind ``deterrent-flights``) keyed by
    everything it is computed from (the arguments, the scenario, its classes, models, launch and
    aim points): every assessment flies the same deterrent flights, and a process reading them
    back gets the computed arrays bit for bit (`_flights_arrays`, `_flights_from_arrays`).
    Uncompressed: writing the default assessment's six entries (77 MB) takes 0.2 CPU s instead
    of 2.8, reading them 0.2 instead of 0.6."""
    from .. import stored

    args = (areas, aim_names, kind, step, apogee, apogee_fraction)
    key = _flights_key(arch, args)
    if key is None or not stored.enabled():
        return _deterrent_flights(arch, *args)
    computed = []

    def compute():
        computed.append(_deterrent_flights(arch, *args))
        return _flights_arrays(computed[0], arch.models)

    arrays = stored.fetch("deterrent-flights", key, compute, _FLIGHT_ARRAYS, compress=False)  # ~13 MB each
    if computed:  # computed here: the result itself (what was stored is its exact copy)
        return computed[0]
    return _flights_from_arrays(arrays, arch.models)


_TRAJECTORY_ARRAYS = ("time", "position", "velocity", "launch_time", "burnout_time", "impact_time", "apogee_time",
                      "launch_lat", "launch_lon", "impact_lat", "impact_lon", "apogee_alt", "ground_range", "rcs",
                      "beta", "body_rcs", "separation_time")
_FLIGHT_ARRAYS = ("labels", "base", "threat", "aim_point", "skipped")


def _flights_key(arch: Architecture, args: tuple):
    """What `deterrent_flights` of ``arch`` computes its flights from, or None when some part has
    no stored form (then nothing is stored)."""
    from .. import stored

    sc = arch.scenario
    try:
        points = [(a, tuple(pts.names), pts.lat, pts.lon) for a in sc.launch_areas
                  for pts in [scen.launch_points(sc, a)]]
        aims = scen.aim_points(sc)
        key = (args, sc.model_dump_json(), dict(arch.missiles), arch.models, points,
               (tuple(aims.names), aims.lat, aims.lon))
        stored.digest(key)
    except TypeError:
        return None
    return key


def _flights_arrays(result, models) -> dict:
    """`deterrent_flights`'s result as arrays (numeric and text) for the store; an empty dict
    (the store's names missing: nothing kept) when it holds anything else."""
    from ..trajectory import Trajectory

    traj, base, threat, aim_pt, skipped = result
    names = set(vars(traj)) - {"models", "labels"}
    if type(traj) is not Trajectory or traj.models != models or not names <= set(_TRAJECTORY_ARRAYS):
        return {}
    out = {f"t_{n}": np.asarray(getattr(traj, n)) for n in _TRAJECTORY_ARRAYS if getattr(traj, n) is not None}
    if any(a.dtype.hasobject for a in out.values()):
        return {}
    out.update(labels=np.array(list(traj.labels), dtype=str), base=np.array(list(base), dtype=str),
               threat=np.array(list(threat), dtype=str), aim_point=np.array(list(aim_pt), dtype=str),
               skipped=np.array([list(row) for row in skipped], dtype=str).reshape(len(skipped), 4))
    return out


def _flights_from_arrays(arrays: dict, models):
    """The inverse of `_flights_arrays`: `deterrent_flights`'s result."""
    from ..trajectory import Trajectory

    fields = {n: arrays.get(f"t_{n}") for n in _TRAJECTORY_ARRAYS}
    traj = Trajectory(models=models, labels=arrays["labels"].astype(object), **fields)
    skipped = [tuple(str(x) for x in row) for row in arrays["skipped"]]
    return (traj, arrays["base"].astype(object), arrays["threat"].astype(object), arrays["aim_point"].astype(object),
            skipped)


def _deterrent_flights(arch: Architecture, areas, aim_names, kind, step, apogee, apogee_fraction):
    """`deterrent_flights`, computed."""
    from ..trajectory import Trajectory

    sc = arch.scenario
    areas = list(areas or sc.launch_areas)
    aims = scen.aim_points(sc)
    idx = np.array([k for k, n in enumerate(aims.names) if aim_names is None or n in aim_names], dtype=int)
    for cls in dict.fromkeys(c for a in areas for c in sc.launch_areas[a].threats):  # one reach fill per class
        where = [scen.launch_points(sc, a) for a in areas if cls in sc.launch_areas[a].threats]
        reachable_from(arch.missiles[cls], np.concatenate([p.lat for p in where]),
                       np.concatenate([p.lon for p in where]), aims.lat[idx], aims.lon[idx], arch.models)
    parts, base, threat, aim_pt, skipped = [], [], [], [], []
    for area in areas:
        pts = scen.launch_points(sc, area)
        for cls in sc.launch_areas[area].threats:
            shape = kind or sc.threats[cls].trajectory
            by_fraction = shape != "minimum-energy" and apogee is None and apogee_fraction is not None
            if shape != "minimum-energy" and apogee is None and not by_fraction and sc.threats[cls].apogee_km is None:
                raise ValueError(f"a {shape} flight of {cls!r} needs an apogee (none in the scenario); "
                                 "allowed: give one, e.g. 2000 km lofted or 600 km depressed")
            for p in range(len(pts.names)):
                name = area if len(pts.names) == 1 else f"{area}[{p}]"
                lat0, lon0 = np.full(idx.size, pts.lat[p]), np.full(idx.size, pts.lon[p])
                if by_fraction:
                    traj, kept, reasons = _fly_fraction_of_min_energy(arch, cls, lat0, lon0, aims.lat[idx],
                                                                      aims.lon[idx], step, shape, apogee_fraction)
                else:
                    traj, kept, reasons = fly_within_reach(arch, cls, lat0, lon0, aims.lat[idx], aims.lon[idx],
                                                           step=step, kind=shape, apogee=apogee)
                skipped += [(name, cls, aims.names[idx[i]], why) for i, why in reasons.items()]
                if traj is None:
                    continue
                parts.append(traj)
                base += [name] * kept.size
                threat += [cls] * kept.size
                aim_pt += [aims.names[idx[i]] for i in kept]
    if not parts:
        raise ValueError("no flight: no launch area reaches any aim point")
    traj = Trajectory.concat(parts)
    traj.labels = np.array([f"{b} {c} -> {a}" for b, c, a in zip(base, threat, aim_pt)], dtype=object)
    return traj, np.array(base, dtype=object), np.array(threat, dtype=object), np.array(aim_pt, dtype=object), skipped


def _fly_fraction_of_min_energy(arch: Architecture, cls: str, lat, lon, target_lat, target_lon, step, shape,
                                fraction: float):
    """`fly_within_reach` in ``shape`` with each pair's apogee ``fraction`` x its minimum-energy
    apogee (pairs the class cannot fly minimum-energy are left out with that reason)."""
    me, kept_me, reasons = fly_within_reach(arch, cls, lat, lon, target_lat, target_lon, step=step,
                                            kind="minimum-energy")
    if me is None:
        return None, kept_me, reasons
    traj, sub, why = fly_within_reach(arch, cls, lat[kept_me], lon[kept_me], target_lat[kept_me],
                                      target_lon[kept_me], step=step, kind=shape,
                                      apogee=fraction * np.asarray(me.apogee_alt, dtype=float))
    reasons.update({int(kept_me[i]): r for i, r in why.items()})
    return traj, kept_me[sub], reasons


def _finite_or_none(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def ship_engageable(arch: Architecture, traj, ships: list, variant: str, forward_radar: str = FORWARD_RADAR) -> np.ndarray:
    """(N, P) bool: which of N flights each of P swept ship batteries (`deterrent.ship_batteries`)
    can engage under a sensor variant (`SENSOR_VARIANTS`). The ships have no radar of their own:
    they launch and engage on the fused track (the cue, for ``cue-as-track``) of the scenario's
    first battery network, with no guidance window."""
    from ..engagement import engage

    if not arch.batteries:
        raise ValueError(f"scenario {arch.name!r} has no battery network for the ship sweep to use")
    tl = variant_tracks(arch, traj, variant, forward_radar).timelines[arch.battery_networks[0]]
    track = tl.cue_time if variant == "cue-as-track" else tl.track_time
    return engage(traj, ships, track).engageable


@dataclass(frozen=True)
class DeterrentConfig:
    """What `deterrent_study` computes (its keyword arguments; see its docstring for each step).

    ``speeds_kms``: interceptor burnout speeds of the sweeps, km/s (None: 3 to 7 by 0.25);
    ``delays_s``: launch delays of the delay sweep, s; ``variants``: sensor variants of the
    scenario's own matrices; ``phases``: scenarios whose batteries face the same flights;
    ``sweep_variants``/``delay_variant``: timelines of the speed and delay sweeps (and of the ship
    sweep); ``ship_interceptor``: catalogue name or `interceptor.Interceptor` of the ship sweep
    (None: skip), ``ship_step_deg`` its grid, ``ship_bases`` its bases (None: western and SSBN
    bases present); ``areas``/``aim_names``: launch areas and aim points flown (None: all);
    ``kind``/``apogee`` (m): trajectory shape (None: the scenario's); ``apogee_fraction``:
    lofted/depressed apogee as a fraction of each pair's minimum-energy apogee (when ``apogee`` is
    None; `SHAPE_APOGEE_FRACTION`); ``step`` (s): threat sample
    step; ``min_speed``: compute each pair's minimum engaging speed; ``forward_radar``: the radar
    the ``no-forward-radar`` variant drops; ``sweeps``: False leaves out the speed and delay sweeps
    (the per-phase matrices alone, e.g. for the headlines of an uncertainty ensemble); ``margins``:
    False leaves out each pair's latest-launch search (`deterrent.deterrent_matrix`: margins of
    the engageable pairs only; for headlines that read only which pairs are engageable)."""

    speeds_kms: tuple | None = None
    delays_s: tuple = (0.0, 30.0, 60.0, 120.0, 180.0, 300.0)
    variants: tuple = SENSOR_VARIANTS
    phases: tuple = DETERRENT_PHASES
    sweep_variants: tuple = ("scenario", "cue-as-track")
    delay_variant: str = "cue-as-track"
    ship_interceptor: object = "sm3-iia"
    ship_step_deg: float = 2.0
    ship_bases: tuple | None = None
    areas: tuple | None = None
    aim_names: tuple | None = None
    kind: str | None = None
    step: float = DEFAULT_STEP_S
    min_speed: bool = True
    forward_radar: str = FORWARD_RADAR
    apogee: float | None = None
    apogee_fraction: float | None = None
    sweeps: bool = True
    margins: bool = True

    def speeds(self) -> np.ndarray:
        """The sweep's burnout speeds, km/s."""
        if self.speeds_kms is None:
            return np.arange(3.0, 7.0 + 1e-9, 0.25)
        return np.asarray(self.speeds_kms, dtype=float)


@dataclass
class ShipSweep:
    """The ship-station sweep of `deterrent_study`: a ship with ``interceptor`` at each of
    ``lat_deg``/``lon_deg`` (sea points of ``sea_area``, every ``step_deg``) against the flights
    of ``bases``, on the ``timeline`` variant's track. ``engageable``: base -> (P,) bool (the
    ship there engages at least one of that base's flights); ``bases_engageable``: per position,
    how many bases; ``positions_engaging``: per base, how many positions."""

    interceptor: str
    interceptor_speed_kms: float
    timeline: str
    step_deg: float
    bases: list
    lat_deg: list
    lon_deg: list
    sea_area: list
    bases_engageable: list
    positions_engaging: dict
    positions: int
    engageable: dict

    def as_dict(self) -> dict:
        """The ``ships`` record of ``shieldsim deterrent --json`` (``engageable_by_base`` last)."""
        out = {k: getattr(self, k) for k in ("interceptor", "interceptor_speed_kms", "timeline", "step_deg", "bases",
                                             "lat_deg", "lon_deg", "sea_area", "bases_engageable",
                                             "positions_engaging", "positions")}
        out["engageable_by_base"] = {b: np.asarray(a).tolist() for b, a in self.engageable.items()}
        return out


@dataclass
class DeterrentStudy:
    """Everything `deterrent_study` computed (see its docstring)."""

    trajectories: object
    base: np.ndarray
    threat: np.ndarray
    aim_point: np.ndarray
    skipped: list
    matrices: dict  # variant -> deterrent.DeterrentMatrix (the batteries of ``phase``)
    sweeps: dict  # phase -> variant -> deterrent.speed_sweep dict (nominal delays)
    delay_sweeps: dict  # phase -> speed_sweep dict over delays x speeds (sweep variant)
    ships: ShipSweep | None
    phase_batteries: dict  # phase -> battery names
    phase_matrices: dict = field(default_factory=dict)  # phase -> variant -> DeterrentMatrix (nominal speeds)
    batteries: list = field(default_factory=list)  # the batteries of ``phase`` (columns of ``matrices``)
    attrs: dict = field(default_factory=dict)
    phase: str = ""  # the phase (scenario name) whose batteries and sensors ``matrices`` face
    shape: str = ""  # the flight shape flown ("minimum-energy", "depressed", "lofted")

    def as_dict(self, primary: str = "scenario") -> dict:
        """JSON-ready results. ``selection`` names what the top-level figures answer: the
        ``phase`` whose batteries and sensors face the flights, the flight ``shape`` and the
        ``primary`` sensor variant. ``pairs`` (that phase, all variants, each row with its
        ``variant`` and ``shape``), ``fraction_engageable`` per battery for the ``primary``
        variant, per-variant fractions and minimum speeds of the western bases (that phase);
        ``by_phase`` per phase and sweep variant; the speed and delay sweeps, the ship sweep."""
        from ..deterrent import WESTERN_BASES

        pairs = []
        for v, mx in self.matrices.items():
            pairs += mx.pairs(variant=v, shape=self.shape)
        if self.matrices and primary not in self.matrices:
            raise ValueError(f"unknown sensor variant {primary!r}; allowed: {', '.join(self.matrices)}")
        prim = self.matrices.get(primary)
        sweeps = {}
        for ph, by_var in self.sweeps.items():
            sweeps[ph] = {}
            for v, sw in by_var.items():
                sweeps[ph][v] = {"speed_kms": from_si("speed_kms", sw["speeds"]).tolist(),
                                 "fraction_any": sw["fraction_any"][0].tolist(),
                                 "fraction": {b: sw["fraction"][0, :, j].tolist()
                                              for j, b in enumerate(self.phase_batteries[ph])}}
        delays = {}
        for ph, sw in self.delay_sweeps.items():
            delays[ph] = {"speed_kms": from_si("speed_kms", sw["speeds"]).tolist(), "delay_s": sw["delays"].tolist(),
                          "fraction_any": sw["fraction_any"].tolist()}
        apogee = np.asarray(getattr(self.trajectories, "apogee_alt", np.array([])), dtype=float)
        return {
            "selection": {"phase": self.phase, "variant": primary if self.matrices else None, "shape": self.shape},
            "pairs": pairs,
            "fraction_engageable": prim.fraction_engageable() if prim is not None else {},
            "fraction_engageable_by_variant": {v: m.fraction_engageable() for v, m in self.matrices.items()},
            "min_speed_kms_western_bases": {v: m.min_speed_by_base([b for b in WESTERN_BASES if b in set(m.base)])
                                            for v, m in self.matrices.items()},
            "by_phase": {ph: {v: {"fraction_engageable": m.fraction_engageable(),
                                  "min_speed_kms_western_bases": m.min_speed_by_base(
                                      [b for b in WESTERN_BASES if b in set(m.base)])}
                              for v, m in by_var.items()} for ph, by_var in self.phase_matrices.items()},
            "speed_sweep": sweeps,
            "delay_sweep": delays,
            "ships": self.ships and self.ships.as_dict(),
            "skipped_flights": [dict(base=b, threat=c, aim_point=a, reason=r) for b, c, a, r in self.skipped],
            "flights": int(len(self.base)),
            "apogee_km": {"min": _finite_or_none(from_si("apogee_km", np.nanmin(apogee))) if np.isfinite(apogee).any() else None,
                          "max": _finite_or_none(from_si("apogee_km", np.nanmax(apogee))) if np.isfinite(apogee).any() else None},
            "attrs": self.attrs,
        }

    def speed_curves(self) -> tuple[np.ndarray, dict, dict]:
        """Fraction of flights engageable by any battery against interceptor burnout speed at
        nominal timing, one curve per phase and sweep variant: (speeds in km/s, {"phase [variant]":
        fractions}, {"phase [variant]": (phase index, variant index)} for the line styles)."""
        speeds, curves, styles = np.array([]), {}, {}
        for c, (ph, by_var) in enumerate(self.sweeps.items()):
            for d, (v, sw) in enumerate(by_var.items()):
                label = f"{ph} [{v}]"
                curves[label], styles[label] = sw["fraction_any"][0], (c, d)
                speeds = sw["speeds"] / 1e3
        return speeds, curves, styles

    def to_report(self, variant: str = "cue-as-track", figures: bool = True, published=(), notes: str = ""):
        """The `report.DeterrentResult` of one sensor variant: its pairs (``margin_s`` > 0 is
        slack, < 0 the seconds the launch would have to come earlier), the speed-sensitivity
        plot of every phase and timeline, and the track map of that variant."""
        from .. import plots
        from ..results import DeterrentPair, DeterrentResult

        mx = self.matrices[variant]
        pairs = [DeterrentPair(base=r["base"], aim_point=r["aim_point"], battery=r["battery"],
                               engageable=r["engageable"], margin_s=r["margin_s"], min_speed_kms=r["min_speed_kms"],
                               threat=r["threat"]) for r in mx.pairs()]
        speed_fig, figs = None, []
        if figures and self.sweeps:
            speeds, curves, styles = self.speed_curves()
            speed_fig = plots.speed_figure(speeds, curves, "Fraction of ICBM flights engageable vs interceptor speed",
                                         styles=styles)
        if figures and self.batteries:
            figs.append(plots.tracks_figure(self.trajectories, mx, self.batteries,
                                          f"ICBM tracks and the parts each site can reach [{variant}]"))
        return DeterrentResult(pairs=pairs, fraction_engageable=None, speed_figure=speed_fig, figures=figs,
                               published=list(published),
                               notes=notes or f"Sensor variant '{variant}'; margin_s > 0 is slack before the latest "
                                              "launch, < 0 the seconds by which launch would have to come earlier.")


def deterrent_study(arch: Architecture, config: DeterrentConfig | None = None, *, progress=None, load=scen.load,
                    **options) -> DeterrentStudy:
    """The deterrent question for a scenario of strategic bases and aim points.

    1. Fly every base's classes to every aim point (`deterrent_flights`, scenario trajectory
       shape unless ``kind`` is given; lofted/depressed at ``apogee`` m, else at
       ``apogee_fraction`` x each pair's minimum-energy apogee, else the scenario's).
    2. For each sensor variant, the `deterrent.DeterrentMatrix` against the batteries and
       sensors of the last of ``phases`` (the scenario's own when ``phases`` is empty): the
       phase the top-level results answer for (`DeterrentStudy.phase`; engageable, window,
       margin, minimum speed).
    3. For each phase in ``phases`` (built-in scenario names; their batteries and sensors face the
       same flights): the matrix at the phase's own interceptor figures for each of
       ``sweep_variants``, and the fraction engageable against interceptor burnout speed (``speeds_kms``,
       default 3 to 7 by 0.25, applied to every battery) for each of ``sweep_variants``, and for
       ``delay_variant`` over launch delays x speeds.
    4. Ship stations: a ship with ``ship_interceptor`` (catalogue name or an
       `interceptor.Interceptor`; None = skip) at each sea
       point of `deterrent.SHIP_BOXES` every ``ship_step_deg``, against the flights of
       ``ship_bases`` (default the western bases present), with the ``delay_variant`` timeline of
       the scenario's first battery network.

    The options are the fields of `DeterrentConfig`, given as ``config`` or as keyword
    arguments (which override ``config``'s). ``load(name)`` reads a phase scenario (e.g. `assumptions.loader`, to apply an assumption
    profile). ``progress(stage, done, total)`` is called as work completes.
    """
    cfg = dataclasses.replace(config or DeterrentConfig(), **options)
    speeds = cfg.speeds()
    traj, base, threat, aim_pt, skipped = deterrent_flights(arch, cfg.areas, cfg.aim_names, cfg.kind, cfg.step,
                                                            cfg.apogee, cfg.apogee_fraction)
    shape = cfg.kind or ",".join(dict.fromkeys(arch.scenario.threats[c].trajectory for c in dict.fromkeys(threat)))
    flights = (traj, base, threat, aim_pt, SharedFlights(traj))  # the phases share radars and batteries
    total = len(cfg.variants) + len(cfg.phases) * (len(cfg.sweep_variants) + 1) + (1 if cfg.ship_interceptor else 0)
    tick = _Ticks(progress, total)
    phase_arch = {ph: arch if ph == arch.name else Architecture.from_scenario(load(ph)) for ph in cfg.phases}
    primary = list(cfg.phases)[-1] if len(cfg.phases) else arch.name  # the phase the top level answers for
    prim_arch = phase_arch.get(primary, arch)
    matrices = {}
    for v in cfg.variants:
        matrices[v] = _variant_matrix(prim_arch, flights, v, cfg)
        tick("matrix")
    sweeps, delay_sweeps, phase_bats, phase_mx = {}, {}, {}, {}
    for ph in cfg.phases:
        pa = phase_arch[ph]
        phase_bats[ph] = [b.name for b in pa.batteries]
        if not cfg.sweeps:
            phase_mx[ph] = {v: matrices[v] if ph == primary and v in matrices else
                            _variant_matrix(pa, flights, v, cfg) for v in cfg.sweep_variants}
            continue
        phase_mx[ph], sweeps[ph], delay_sweeps[ph] = _phase_sweeps(pa, flights, speeds, cfg, tick,
                                                                   known=matrices if ph == primary else None)
    ships = None
    if cfg.ship_interceptor:
        ships = _ship_sweep(arch, traj, base, cfg)
        tick("ships")
    by_fraction = cfg.apogee is None and cfg.apogee_fraction is not None and shape != "minimum-energy"
    attrs = provenance(arch, trajectory=shape, apogee_km=from_si("apogee_km", cfg.apogee),
                       apogee_fraction_of_minimum_energy=cfg.apogee_fraction if by_fraction else None,
                       apogee_convention=SHAPE_CONVENTION_SOURCE if by_fraction else None, phase=primary,
                       step_s=cfg.step, variants=list(cfg.variants),
                       phases=list(cfg.phases), forward_radar=cfg.forward_radar, delay_variant=cfg.delay_variant,
                       ship_timeline=cfg.delay_variant,
                       speed_kms=[float(speeds[0]), float(speeds[-1]), float(speeds[1] - speeds[0]) if speeds.size > 1 else 0.0],
                       delays_s=list(map(float, cfg.delays_s)))
    return DeterrentStudy(traj, base, threat, aim_pt, skipped, matrices, sweeps, delay_sweeps, ships, phase_bats,
                          phase_mx, list(prim_arch.batteries), attrs, phase=primary, shape=shape)


class _Ticks:
    """``progress(stage, done, total)`` called once per finished step of a study (no-op without it)."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress or (lambda *a: None), total, 0

    def __call__(self, stage: str) -> None:
        self.done += 1
        self.progress(stage, self.done, self.total)


def _variant_matrix(arch: Architecture, flights: tuple, variant: str, cfg: DeterrentConfig, tr: Tracks | None = None):
    """The `deterrent.DeterrentMatrix` of ``flights`` (trajectories, base, threat, aim point, their
    `tracks.SharedFlights`) against ``arch``'s batteries on ``variant``'s tracks (``tr``, computed
    when not given)."""
    from .. import deterrent as det
    from ..engagement import DEFAULT_KILL_ASSESSMENT

    traj, base, threat, aim_pt, shared = flights
    tr = tr or variant_tracks(arch, traj, variant, cfg.forward_radar, shared.coverage)
    e = shared.engage(arch.batteries, tr.track_time, DEFAULT_KILL_ASSESSMENT, tr.intercept_window)
    latest = _latest_launch(shared, arch.batteries, tr.intercept_window) if cfg.margins else None
    return det.deterrent_matrix(traj, arch.batteries, tr.track_time, base, threat, aim_pt,
                                min_speed=cfg.min_speed, intercept_window=tr.intercept_window, margins=cfg.margins,
                                attrs=provenance(arch, variant=variant, trajectory=cfg.kind or "scenario"), engagement=e,
                                latest=latest)


def _latest_launch(shared: SharedFlights, batteries, window) -> np.ndarray:
    """`deterrent.latest_launch` of ``shared.traj`` by ``batteries`` within ``window`` (N, B, 2),
    searched once per equal batteries and window (``shared.latest``): the search reads neither
    the track times nor the sensors, so the sensor variants of one phase (e.g. ``scenario`` and
    ``cue-as-track``, which keep the guidance window) share it."""
    from .. import deterrent as det

    batteries = list(batteries)
    for bats, win, latest in shared.latest:
        if bats == batteries and np.array_equal(win, window):
            return latest
    latest = det.latest_launch(shared.traj, batteries, intercept_window=window)
    shared.latest.append((batteries, np.array(window, copy=True), latest))
    return latest


def _phase_sweeps(pa: Architecture, flights: tuple, speeds: np.ndarray, cfg: DeterrentConfig, tick, known=None):
    """One phase: (variant -> matrix, variant -> speed sweep at nominal timing, the delay sweep
    over ``cfg.delays_s`` x speeds on the ``cfg.delay_variant`` timeline). ``known``: matrices of
    this phase and these flights already computed, by variant (reused)."""
    from .. import deterrent as det

    traj, shared = flights[0], flights[-1]
    matrices, sweeps = {}, {}
    for v in cfg.sweep_variants:
        tr = variant_tracks(pa, traj, v, cfg.forward_radar, shared.coverage)
        matrices[v] = known[v] if known and v in known else _variant_matrix(pa, flights, v, cfg, tr)
        sweeps[v] = det.speed_sweep(traj, pa.batteries, tr.track_time, speeds * 1e3, intercept_window=tr.intercept_window)
        tick("sweep")
    tr = variant_tracks(pa, traj, cfg.delay_variant, cfg.forward_radar, shared.coverage)
    delay = det.speed_sweep(traj, pa.batteries, tr.track_time, speeds * 1e3, cfg.delays_s,
                            intercept_window=tr.intercept_window)
    tick("sweep")
    return matrices, sweeps, delay


def _ship_sweep(arch: Architecture, traj, base: np.ndarray, cfg: DeterrentConfig) -> ShipSweep | None:
    """The `ShipSweep` of ``cfg.ship_interceptor`` over the sea boxes (None when no chosen base
    has flights or the scenario has no battery network to cue the ships)."""
    from .. import deterrent as det
    from ..interceptor import Interceptor, catalogue, find

    icp = cfg.ship_interceptor
    icp = icp if isinstance(icp, Interceptor) else find(icp, catalogue())
    chosen = (list(cfg.ship_bases) if cfg.ship_bases is not None else
              [b for b in dict.fromkeys(base.tolist()) if b in det.WESTERN_BASES or det.launch_area(b) in det.SSBN_AREAS])
    sel = np.isin(base, chosen)
    lat, lon, box = det.sea_positions(step_deg=cfg.ship_step_deg)
    if not (sel.any() and arch.batteries):
        return None
    eng = ship_engageable(arch, traj.subset(sel), det.ship_batteries(icp, lat, lon), cfg.delay_variant,
                          cfg.forward_radar)  # (n_sel, P)
    per_base = {b: eng[base[sel] == b].any(axis=0) for b in chosen}
    counts = np.sum([per_base[b] for b in chosen], axis=0)
    return ShipSweep(interceptor=icp.name, interceptor_speed_kms=from_si("interceptor_speed_kms", icp.burnout_speed),
                     timeline=cfg.delay_variant,
                     step_deg=cfg.ship_step_deg, bases=chosen, lat_deg=lat.tolist(), lon_deg=lon.tolist(),
                     sea_area=box.tolist(), bases_engageable=counts.tolist(),
                     positions_engaging={b: int(per_base[b].sum()) for b in chosen}, positions=int(lat.size),
                     engageable=per_base)


@dataclass
class DeterrentShapes:
    """`deterrent_study` once per flight shape: ``studies`` {shape: `DeterrentStudy`} in the
    order asked (the first is the one the top-level results answer for), ``fractions`` {shape:
    apogee as a fraction of the minimum-energy apogee, None for minimum-energy or when an
    absolute ``apogee`` was given}."""

    studies: dict
    fractions: dict = field(default_factory=dict)

    @property
    def first(self) -> DeterrentStudy:
        return next(iter(self.studies.values()))

    def as_dict(self, primary: str = "scenario") -> dict:
        """The first shape's `DeterrentStudy.as_dict` at the top level (its ``selection`` names
        phase, variant and shape), plus ``shapes``, the apogee convention (``shape_apogee``),
        ``fraction_engageable_by_shape`` {shape: {battery: fraction}} (the selected phase and
        variant, side by side) and ``by_shape`` {shape: that shape's full results}."""
        by_shape = {k: st.as_dict(primary) for k, st in self.studies.items()}
        out = dict(next(iter(by_shape.values())))
        out["shapes"] = list(self.studies)
        out["shape_apogee"] = {"fraction_of_minimum_energy": dict(self.fractions), "source": SHAPE_CONVENTION_SOURCE}
        out["fraction_engageable_by_shape"] = {k: d["fraction_engageable"] for k, d in by_shape.items()}
        out["flights_by_shape"] = {k: d["flights"] for k, d in by_shape.items()}
        out["by_shape"] = by_shape
        return out

    def to_report(self, variant: str = "cue-as-track", figures: bool = True, published=(), notes: str = ""):
        """The first shape's `DeterrentStudy.to_report`, with the fraction engageable of every
        shape side by side (``by_shape``, ``flights_by_shape``)."""
        rep = self.first.to_report(variant, figures=figures, published=published, notes=notes)
        rep.by_shape = {k: st.matrices[variant].fraction_engageable() for k, st in self.studies.items()
                        if variant in st.matrices}
        rep.flights_by_shape = {k: int(len(st.base)) for k, st in self.studies.items()}
        rep.shape_note = (f"Depressed and lofted flights reach apogee at {self.fractions.get('depressed')} and "
                          f"{self.fractions.get('lofted')} times each pair's minimum-energy apogee "
                          f"({SHAPE_CONVENTION_SOURCE}); pairs a class cannot fly in a shape are left out, so "
                          "the shapes may count different flights.")
        return rep


def deterrent_shapes(arch: Architecture, shapes=FLIGHT_SHAPES, fractions=None, apogee: float | None = None,
                     progress=None, **kwargs) -> DeterrentShapes:
    """`deterrent_study` for each of ``shapes`` (`FLIGHT_SHAPES` kinds): depressed and lofted
    flights at ``fractions`` {shape: fraction} (default `SHAPE_APOGEE_FRACTION`) of each pair's
    minimum-energy apogee, or at ``apogee`` m for all when given. ``kwargs`` go to
    `deterrent_study`; ``progress(stage, done, total)`` counts the work of all shapes (the stage
    prefixed by the shape)."""
    fr = dict(SHAPE_APOGEE_FRACTION, **(fractions or {}))
    shapes = list(dict.fromkeys(shapes))
    bad = [k for k in shapes if k not in FLIGHT_SHAPES]
    if bad or not shapes:
        raise ValueError(f"unknown flight shape {', '.join(bad) or '(none)'}; allowed: {', '.join(FLIGHT_SHAPES)}")
    studies, used = {}, {}
    for n, k in enumerate(shapes):
        def report(stage, done, total, k=k, n=n):
            if progress:
                progress(f"{k}: {stage}", n * total + done, len(shapes) * total)

        frac = None if (k == "minimum-energy" or apogee is not None) else fr[k]
        studies[k] = deterrent_study(arch, kind=k, apogee=None if k == "minimum-energy" else apogee,
                                     apogee_fraction=frac, progress=report, **kwargs)
        used[k] = frac
    return DeterrentShapes(studies, used)
