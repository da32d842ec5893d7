"""The explorer's deterrent view: Russian ICBM and SLBM flights to North America (the built-in
``deterrent`` scenario's bases, patrol areas and aim points, as ``shieldsim deterrent`` flies
them) and the flight x battery pairs the scenario on screen can engage.

What it computes is the ``shieldsim deterrent`` matrix's ``engageable`` for one phase and one
sensor variant: the flights of `study.deterrent_flights` (the deterrent scenario's trajectory
shape; with the page's assumption profile applied to that scenario, as ``deterrent
--assumptions`` does), tracked by the batteries and sensors of the scenario on screen
(`controls.Built.shown`: switches, interceptor choices, speed and delay applied) under the
variant's timeline (`study.variant_tracks`) and engaged by `engagement.engage` -- as
``shieldsim deterrent --phase <that scenario> --variant <variant>`` does for its pairs.

Rules of the drawing: a track is the flight's ground track (launch to impact) sampled every
`TRACK_STEP_S`; an engageable pair is drawn over its track between its first and last intercept
opportunity. Longitudes are unwrapped along each track and the whole track shifted by whole turns
so that its impact lies in [-180, 180) degrees: a line crossing the antimeridian stays continuous
(a flight from Siberia over the Bering Strait starts west of -180). The map's Mercator projection
stops at `MAX_LAT_DEG`: the parts of a polar route beyond it are left out (a track may be drawn
in several pieces).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from .. import assumptions, deterrent as det, engagement, scenario as scen, study
from .controls import Built
from .engine import digest, Lru

DETERRENT_SCENARIO = "deterrent"
"""The built-in scenario whose bases, patrol areas and aim points are flown."""

VARIANTS = study.SENSOR_VARIANTS
DEFAULT_VARIANT = "cue-as-track"
"""The view's default timeline: the space-based launch report taken as a fire-control track, the
optimistic timeline of the kinematic studies. With the scenario's own sensors ("scenario") the
EPAA radars, which look south-east, track none of these flights in the built-in phases."""

TRACK_STEP_S = 30.0
"""Time between the points of a drawn track, s (the engageable parts use every sample)."""

MAX_LAT_DEG = 84.0
"""Points nearer a pole than this are not drawn (the web map's Mercator projection ends at 85.05)."""


@dataclass
class Flights:
    """The deterrent flights: trajectories (N) and each flight's base, threat class and aim point."""

    traj: object
    base: np.ndarray
    threat: np.ndarray
    aim_point: np.ndarray


def deterrent_scenario(profile: str = "") -> scen.Scenario:
    """The built-in deterrent scenario, with the built-in assumption ``profile`` applied ('' none)."""
    sc = scen.load(DETERRENT_SCENARIO)
    return assumptions.apply(sc, assumptions.load_profile(profile)) if profile else sc


def flights_key(sc: scen.Scenario) -> str:
    """Key of the deterrent flights: what `study.deterrent_flights` reads."""
    d = sc.model_dump(mode="json")
    return digest("deterrent-flights", d["threats"], d["launch_areas"], d["aim_points"], d["models"])


def fly(sc: scen.Scenario) -> Flights:
    """Every class of every launch area of ``sc`` to every aim point it reaches."""
    traj, base, threat, aim_pt, _ = study.deterrent_flights(study.Architecture.from_scenario(sc))
    return Flights(traj, base, threat, aim_pt)


def drawn_longitudes(lon_deg: np.ndarray) -> np.ndarray:
    """One track's longitudes (degrees, finite), unwrapped and shifted by whole turns so that the
    last (the impact) lies in [-180, 180)."""
    lon = np.degrees(np.unwrap(np.radians(lon_deg)))
    return lon - 360.0 * np.round((lon[-1] - ((lon[-1] + 180.0) % 360.0 - 180.0)) / 360.0)


def pieces(lat: np.ndarray, lon: np.ndarray, keep: np.ndarray) -> list[list[list[float]]]:
    """The points ``keep`` of a track as pieces of [lat, lon] (degrees), cut where a point is
    left out for being nearer a pole than `MAX_LAT_DEG`."""
    keep = keep & (np.abs(lat) <= MAX_LAT_DEG)
    out, run = [], []
    for k in range(lat.size):
        if keep[k]:
            run.append([round(float(lat[k]), 3), round(float(lon[k]), 3)])
        elif run and abs(lat[k]) > MAX_LAT_DEG:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return [r for r in out if len(r) > 1 or len(out) == 1]


def view(flights: Flights, shown: scen.Scenario, variant: str = DEFAULT_VARIANT) -> dict:
    """The deterrent view of ``flights`` against the batteries and sensors of ``shown`` under the
    sensor ``variant`` (`study.SENSOR_VARIANTS`): ``flights`` (count), ``pairs_engageable``,
    ``fraction_engageable`` (per battery and ``any``), ``tracks`` (label, base, threat, aim_point,
    ``pieces``: lists of [lat, lon] in degrees, see `pieces`), ``pairs`` (flight: index into
    ``tracks``, battery, intercept_first_s, intercept_last_s, first_alt_km, pieces), ``bases``
    (name, lat, lon as drawn: the first point of its first track) and ``batteries`` (name, lat,
    lon, interceptor)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown sensor variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    arch = study.Architecture.from_scenario(shown)
    traj = flights.traj
    tr = study.variant_tracks(arch, traj, variant)
    e = engagement.engage(traj, arch.batteries, tr.track_time, kill_assessment=float(shown.engagement.kill_assessment_s),
                          intercept_window=tr.intercept_window)
    lat, lon = det.ground_track(traj)
    t = np.asarray(traj.time, dtype=float)
    stride = max(1, int(round(TRACK_STEP_S / float(t[1] - t[0])))) if t.size > 1 else 1
    tracks, pairs, bases = [], [], {}
    names = [b.name for b in arch.batteries]
    for i in range(len(traj)):
        ok = np.isfinite(lat[i])
        if not ok.any():
            continue
        lo = np.full(lon[i].shape, np.nan)
        lo[ok] = drawn_longitudes(lon[i][ok])
        la = np.where(ok, lat[i], 0.0)
        keep = ok & (np.arange(t.size) % stride == 0)
        keep[np.flatnonzero(ok)[-1]] = True  # the impact
        first = np.flatnonzero(ok)[0]
        bases.setdefault(str(flights.base[i]), (round(float(la[first]), 3), round(float(lo[first]), 3)))
        tracks.append({"label": str(traj.labels[i]), "base": str(flights.base[i]), "threat": str(flights.threat[i]),
                       "aim_point": str(flights.aim_point[i]), "pieces": pieces(la, lo, keep)})
        for j in np.flatnonzero(e.engageable[i]):
            seg = ok & (t >= e.intercept_first[i, j] - 1e-9) & (t <= e.intercept_last[i, j] + 1e-9)
            pairs.append({"flight": len(tracks) - 1, "battery": names[j],
                          "intercept_first_s": float(e.intercept_first[i, j]),
                          "intercept_last_s": float(e.intercept_last[i, j]),
                          "first_alt_km": round(float(e.first_alt[i, j]) / 1e3, 1), "pieces": pieces(la, lo, seg)})
    n = max(len(traj), 1)
    fraction = {b: float(e.engageable[:, j].sum() / n) for j, b in enumerate(names)}
    fraction["any"] = float(e.engageable.any(axis=1).sum() / n) if names else 0.0
    return {"variant": variant, "phase": shown.name, "flights": len(traj), "pairs_engageable": int(e.engageable.sum()),
            "fraction_engageable": fraction, "tracks": tracks, "pairs": pairs,
            "bases": [{"name": k, "lat": v[0], "lon": v[1]} for k, v in bases.items()],
            "batteries": [{"name": b.name, "lat": math.degrees(b.lat), "lon": math.degrees(b.lon),
                           "interceptor": b.interceptor.name} for b in arch.batteries]}


class DeterrentViews:
    """The deterrent views a server computed: flights per deterrent scenario content (flown
    once, about a minute), views per scenario on screen and variant; thread-safe."""

    def __init__(self, flight_sets: int = 2, views: int = 16):
        self.flights = Lru(flight_sets)
        self.views = Lru(views)
        self.lock = threading.Lock()

    def compute(self, built: Built, variant: str = DEFAULT_VARIANT, profile: str = "") -> dict:
        """The view (`view`) of ``built``'s scenario on screen; cached by content."""
        sc = deterrent_scenario(profile)
        fkey = flights_key(sc)
        vkey = digest("deterrent-view", fkey, scen.dump(built.shown), variant)
        with self.lock:
            hit = self.views.get_fresh(vkey)
            flights = self.flights.get_fresh(fkey)
        if hit is not None:
            return hit
        if flights is None:
            flights = fly(sc)
            with self.lock:
                self.flights.put(fkey, flights)
        out = view(flights, built.shown, variant)
        with self.lock:
            self.views.put(vkey, out)
        return out
