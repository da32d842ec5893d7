"""The homeland question of EPAA phase 4: where must an interceptor stand to meet Iranian ICBMs
flying to the United States?

Phase 4 (SM-3 Block IIB) was meant to add a layer of defence of the United States; the US
Government Accountability Office's review of February 2013 (GAO-13-382R) reported MDA analyses
finding the Romanian site poorly placed, the Polish one in need of an earlier launch and the North
Sea the best vantage point. This module answers the same kinematic question with public physics and
the deterrent machinery (`study.deterrent_study`, `deterrent.deterrent_matrix`): for the built-in
``homeland`` scenario (hypothetical Iranian ICBMs to US aim points, every site armed alike) it gives,
per interceptor site and sensor/timeline variant (`study.SENSOR_VARIANTS`), the fraction of flights
engageable, the minimum interceptor burnout speed, and the margin; and a sweep of ship stations
(`SEA_BOXES`) under each variant. Nothing is tuned to the GAO's findings.

Definitions (as `deterrent`): ``margin_s`` of a pair is the latest launch that still engages minus
the earliest possible launch (s; > 0 slack, < 0 seconds missing, NaN never tracked or never in
reach); ``min_speed`` the lowest burnout speed that makes the pair engageable with that timeline.
Per site and variant over its N flights: ``min_speed_kms`` the lowest over flights (the easiest
flight), ``min_speed_all_kms`` the highest (the speed that engages every flight; None when some
flight cannot be engaged at any speed), ``margin_best_s`` the largest margin, ``margin_median_s``
the median over flights with a finite margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import deterrent as det
from . import study
from .units import from_si

HOMELAND_SCENARIO = "homeland"
"""Built-in scenario of the homeland question (hypothetical Iranian ICBMs to US aim points)."""

SEA_BOXES = dict(det.SHIP_BOXES, **{
    "baltic-sea": (10.0, 30.0, 53.5, 66.0),
    "black-sea": (27.5, 41.5, 41.0, 46.5),
})
"""Sea areas of the homeland ship sweep, (lon_min, lon_max, lat_min, lat_max) degrees: the deterrent
sweep's (North, Norwegian and Barents Seas, eastern Mediterranean) plus the Baltic and the Black Sea,
which the flights from Iran to the United States cross or pass (boxes drawn by shieldsim; a station
in the Black Sea is geometry only -- warship access is limited by the Montreux Convention)."""

SHIP_INTERCEPTOR = "sm3-iib"
"""Catalogue interceptor of the swept ships: the notional SM-3 IIB of phase 4."""


@dataclass
class SiteFigures:
    """One interceptor site under one sensor variant (see the module docstring for definitions;
    speeds km/s, times s, None = none)."""

    site: str
    variant: str
    flights: int
    engageable: int
    min_speed_kms: float | None
    min_speed_all_kms: float | None
    margin_best_s: float | None
    margin_median_s: float | None
    interceptor_speed_kms: float

    @property
    def fraction_engageable(self) -> float:
        return self.engageable / self.flights if self.flights else 0.0

    def as_dict(self) -> dict:
        return dict(site=self.site, variant=self.variant, flights=self.flights, engageable=self.engageable,
                    fraction_engageable=self.fraction_engageable, min_speed_kms=self.min_speed_kms,
                    min_speed_all_kms=self.min_speed_all_kms, margin_best_s=self.margin_best_s,
                    margin_median_s=self.margin_median_s, interceptor_speed_kms=self.interceptor_speed_kms)


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def site_figures(matrix: det.DeterrentMatrix, variant: str) -> list[SiteFigures]:
    """Per battery (site) of ``matrix``: flights, engageable flights, lowest and highest minimum
    speed over the flights (highest None when some flight has none), best and median margin."""
    out = []
    n = int(matrix.base.size)
    for j, name in enumerate(matrix.battery_names):
        v = matrix.min_speed[:, j]
        m = matrix.margin_s[:, j]
        fin_v, fin_m = np.isfinite(v), np.isfinite(m)
        out.append(SiteFigures(
            site=name, variant=variant, flights=n, engageable=int(matrix.engageable[:, j].sum()),
            min_speed_kms=_num(from_si("min_speed_kms", v[fin_v].min())) if fin_v.any() else None,
            min_speed_all_kms=_num(from_si("min_speed_all_kms", v.max())) if n and fin_v.all() else None,
            margin_best_s=_num(m[fin_m].max()) if fin_m.any() else None,
            margin_median_s=_num(np.median(m[fin_m])) if fin_m.any() else None,
            interceptor_speed_kms=float(from_si("interceptor_speed_kms", matrix.interceptor_speed[j]))))
    return out


@dataclass
class HomelandStudy:
    """Everything `homeland_study` computed.

    Attributes:
        deterrent: the `study.DeterrentStudy` of the scenario's own sites (``matrices`` per variant).
        sites: `SiteFigures` per variant and site.
        sea: variant -> {"engageable": (N, P) bool} of the ship sweep (empty when skipped).
        sea_lat_deg, sea_lon_deg, sea_area: (P,) the swept positions and their box names.
        sea_interceptor: name and burnout speed (km/s) of the swept ships' interceptor, or None.
        attrs: provenance and options.
    """

    deterrent: study.DeterrentStudy
    sites: list[SiteFigures]
    sea: dict = field(default_factory=dict)
    sea_lat_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sea_lon_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sea_area: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    sea_interceptor: dict | None = None
    attrs: dict = field(default_factory=dict)

    def sea_fraction(self, variant: str) -> np.ndarray:
        """(P,) fraction of the flights a ship at each swept position can engage."""
        eng = self.sea[variant]["engageable"]
        return eng.mean(axis=0) if eng.shape[0] else np.zeros(eng.shape[1])

    def sea_best(self, variant: str) -> dict:
        """{sea box: {"fraction_engageable", "lat_deg", "lon_deg"}} of the best position in each
        box (highest fraction; ties: the first on the grid) under ``variant``."""
        frac = self.sea_fraction(variant)
        out = {}
        for box in dict.fromkeys(self.sea_area.tolist()):
            idx = np.flatnonzero(self.sea_area == box)
            k = idx[int(np.argmax(frac[idx]))]
            out[box] = {"fraction_engageable": float(frac[k]), "lat_deg": float(self.sea_lat_deg[k]),
                        "lon_deg": float(self.sea_lon_deg[k])}
        return out

    def to_report(self, figures: bool = True, notes: str = ""):
        """The `results.HomelandResult` of the study: every site row, the best ship station per
        sea area and variant, the ship-station map of each variant (with ``figures``), and the
        GAO-13-382R comparison with the site ranking of the variants computed."""
        from . import plots
        from .results import HomelandResult, HomelandSite

        rows = [HomelandSite(**{k: v for k, v in s.as_dict().items() if k != "fraction_engageable"})
                for s in self.sites]
        figs = []
        if figures and self.sea_interceptor is not None:
            icp = self.sea_interceptor
            for v in self.sea:
                counts, n = sea_counts(self, v)
                figs.append(plots.ships_figure(
                    self.sea_lat_deg, self.sea_lon_deg, counts, n,
                    f"Ship stations with {icp['interceptor']} ({icp['interceptor_speed_kms']:g} km/s) that can "
                    f"engage\nIranian ICBMs to the United States [{v}]"))
        variants = list(dict.fromkeys(s.variant for s in self.sites))
        published = [GAO_13_382R] + [r for r in (site_ranking(self.sites, v) for v in variants) if r]
        return HomelandResult(
            sites=rows, sea_best={v: self.sea_best(v) for v in self.sea},
            sea_interceptor=(self.sea_interceptor or {}).get("interceptor", ""), figures=figs, published=published,
            notes=notes or (f"{len(self.deterrent.base)} flights of the notional Iranian ICBM from "
                            f"{', '.join(dict.fromkeys(det.launch_area(str(b)) for b in self.deterrent.base))}; "
                            "every site armed with the notional SM-3 IIB (scenario 'homeland'). "
                            "Margins and speeds as in the deterrent table; 'speed for all' is None when some "
                            "flight is never tracked or never in reach."))

    def as_dict(self) -> dict:
        """JSON-ready results: ``sites`` (rows per variant and site), ``sites_by_variant``
        ({variant: {site: row}}), the ship sweep per variant (fraction per position, best per sea
        box), ``pairs`` of every variant, flights, skipped flights, attrs."""
        d = self.deterrent
        pairs = []
        for v, mx in d.matrices.items():
            pairs += mx.pairs(variant=v)
        by_variant: dict = {}
        for s in self.sites:
            by_variant.setdefault(s.variant, {})[s.site] = s.as_dict()
        sea = None
        if self.sea_interceptor is not None:
            sea = dict(self.sea_interceptor, lat_deg=self.sea_lat_deg.tolist(), lon_deg=self.sea_lon_deg.tolist(),
                       sea_area=self.sea_area.tolist(), positions=int(self.sea_lat_deg.size),
                       by_variant={v: {"fraction_engageable": self.sea_fraction(v).tolist(),
                                       "positions_engaging": int((self.sea_fraction(v) > 0).sum()),
                                       "best_by_sea_area": self.sea_best(v)} for v in self.sea})
        return {
            "sites": [s.as_dict() for s in self.sites],
            "sites_by_variant": by_variant,
            "ships": sea,
            "pairs": pairs,
            "flights": int(len(d.base)),
            "launch_areas": list(dict.fromkeys(det.launch_area(str(b)) for b in d.base)),
            "aim_points": list(dict.fromkeys(str(a) for a in d.aim_point)),
            "skipped_flights": [dict(base=b, threat=c, aim_point=a, reason=r) for b, c, a, r in d.skipped],
            "attrs": self.attrs,
        }


GAO_13_382R = (
    "GAO-13-382R (11 February 2013, 'Standard Missile-3 Block IIB Analysis of Alternatives'), reporting MDA "
    "analyses that are not public: MDA first assumed land basing of the SM-3 IIB in Romania and Poland; later "
    "analyses found the Romanian site 'not a good location from a flight path standpoint' for defending the "
    "United States, the Polish site possibly in need of launching earlier (while the threat is still boosting), "
    "and a sea-based IIB in the North Sea the best vantage point (checked in the GAO summary as reproduced by "
    "LegiStorm and in SpaceNews, Feb 2013; the briefing slides were not read). shieldsim was not tuned to this.")
"""What the GAO reported on SM-3 IIB basing (sources in docs/scenarios/homeland.md)."""


def site_ranking(sites: list[SiteFigures], variant: str) -> str:
    """One sentence ranking the sites of ``variant`` by median margin (then by fraction
    engageable), with the figures, for the qualitative comparison with `GAO_13_382R`."""
    rows = [s for s in sites if s.variant == variant]
    if not rows:
        return ""

    def key(s):
        return (s.margin_median_s if s.margin_median_s is not None else -math.inf, s.fraction_engageable)

    rows.sort(key=key, reverse=True)
    cells = "; ".join(f"{s.site} {s.engageable} of {s.flights} flights, median margin "
                      f"{'-' if s.margin_median_s is None else f'{s.margin_median_s:.0f} s'}, min. speed "
                      f"{'-' if s.min_speed_kms is None else f'{s.min_speed_kms:.2f} km/s'}" for s in rows)
    return f"shieldsim, variant '{variant}', sites by median margin (most slack first): {cells}."


def homeland_study(arch: study.Architecture, variants=study.SENSOR_VARIANTS, ship_interceptor=SHIP_INTERCEPTOR,
                   ship_step_deg: float = 2.0, boxes: dict | None = None, areas=None, aim_names=None,
                   kind: str | None = None, apogee: float | None = None, step: float = study.DEFAULT_STEP_S,
                   min_speed: bool = True, forward_radar: str = study.FORWARD_RADAR, progress=None) -> HomelandStudy:
    """The homeland site comparison for a scenario of Iranian launch areas and US aim points
    (default scenario: `HOMELAND_SCENARIO`).

    1. `study.deterrent_study` of the scenario's own batteries (the sites) for each sensor
       variant in ``variants``: engageable, margin and minimum speed of every flight x site.
    2. `site_figures` per variant and site.
    3. Ship sweep: a ship with ``ship_interceptor`` (catalogue name or `interceptor.Interceptor`;
       None = skip) at every sea point of ``boxes`` (default `SEA_BOXES`) every ``ship_step_deg``,
       engaging on the first battery network's track under each variant (`study.ship_engageable`).

    ``kind``/``apogee`` (m) select the flight shape as in `study.deterrent_flights`.
    ``progress(stage, done, total)`` is called as work completes.
    """
    from .interceptor import Interceptor, catalogue, find

    report = progress or (lambda *a: None)
    variants = tuple(variants)
    total = 2 if ship_interceptor else 1
    res = study.deterrent_study(arch, variants=variants, phases=(), ship_interceptor=None, areas=areas,
                                aim_names=aim_names, kind=kind, apogee=apogee, step=step, min_speed=min_speed,
                                forward_radar=forward_radar)
    report("sites", 1, total)
    sites = [s for v, mx in res.matrices.items() for s in site_figures(mx, v)]
    out = HomelandStudy(deterrent=res, sites=sites)
    if ship_interceptor:
        icp = ship_interceptor if isinstance(ship_interceptor, Interceptor) else find(ship_interceptor, catalogue())
        lat, lon, box = det.sea_positions(SEA_BOXES if boxes is None else boxes, step_deg=ship_step_deg)
        ships = det.ship_batteries(icp, lat, lon)
        out.sea = {v: {"engageable": study.ship_engageable(arch, res.trajectories, ships, v, forward_radar)}
                   for v in variants}
        out.sea_lat_deg, out.sea_lon_deg, out.sea_area = lat, lon, box
        out.sea_interceptor = {"interceptor": icp.name, "interceptor_speed_kms": from_si("interceptor_speed_kms", icp.burnout_speed),
                               "step_deg": float(ship_step_deg)}
        report("ships", 2, total)
    out.attrs = dict(res.attrs, study="homeland", variants=list(variants))
    return out


PHASE4_INTERCEPTOR = "sm3-iib"
"""Catalogue interceptor whose batteries make an assessment a phase-4 one (`applies`)."""


def applies(arch: study.Architecture) -> bool:
    """Whether an assessment of ``arch`` includes the homeland question: some battery of the
    scenario fires the phase 4 interceptor (`PHASE4_INTERCEPTOR`), whose stated mission it is."""
    return any(b.interceptor == PHASE4_INTERCEPTOR for b in arch.scenario.batteries.values())


def sea_counts(hs: HomelandStudy, variant: str) -> tuple[np.ndarray, int]:
    """(P,) how many of the study's launch areas a ship at each swept position can engage some
    flight from under ``variant``, and the number of launch areas (for `plots.ships_figure`)."""
    eng = hs.sea[variant]["engageable"]
    areas = np.array([det.launch_area(str(b)) for b in hs.deterrent.base], dtype=object)
    names = list(dict.fromkeys(areas.tolist()))
    return np.sum([eng[areas == a].any(axis=0) for a in names], axis=0), len(names)
