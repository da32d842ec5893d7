"""Sensors: what radars and space-based launch detectors can see, and when a threat is tracked.

Physics and modelling assumptions (public, textbook level):

* **Radar horizon** — the 4/3-Earth model: refraction in a standard atmosphere bends radar rays
  so that, to a good approximation, they travel in straight lines above an Earth whose radius
  is ``refraction_k`` times the true one. The Earth near each radar is replaced by its local
  sphere (radius sqrt(M N), the Gaussian mean radius of curvature at the site; exact on the
  spherical model); a target at height h above the model surface and central angle theta from
  the site is placed at central angle theta / k over a sphere of radius k R, and its apparent
  (refracted) elevation is the straight-line elevation in that picture. A target is seen when
  this elevation is at least the radar's ``min_elevation`` and the straight ray clears the
  effective Earth (so with a mask at 0 deg a target at height h first shows at ground range
  k R acos((k R + a) / (k R + h)); with no mask, at the grazing-ray range
  k R [acos(k R / (k R + a)) + acos(k R / (k R + h))] for an antenna at height a).
* **Field of regard** — a ``"fixed"`` face sees azimuths within ``half_width`` of its boresight
  (geometric azimuth at the site, clockwise from north); a ``"full"`` radar sees all azimuths.
  Both see elevations in [``min_elevation``, ``max_elevation``] and slant ranges up to
  ``max_range`` (the instrumented range).
* **Detection range** — the radar range equation at fixed power, aperture, dwell and
  detection threshold gives a detection range proportional to sigma^(1/4):
  R_det = reference_range * (rcs / reference_rcs)^(1/4). Radars use the threat's ``rcs`` (the
  re-entry vehicle's) over the whole flight, boost included, which is conservative for the
  boost phase.
* **Track formation** — a radar revisits a detectable target every ``revisit`` seconds; the
  first detection is the first moment the target is detectable (the search frame is assumed to
  land on it then) and a track exists after ``hits_for_track`` hits, i.e. at
  first detection + (hits_for_track - 1) * revisit, provided the target stays detectable over
  that whole time; otherwise the count restarts in the next detectable interval.
* **Cueing** — a cue (any shared report of the threat: a launch-detector warning or another
  radar's track) tells a radar where to look, so it can put a dedicated track-initiation dwell
  on a small volume instead of waiting for its search frame: once cued, it forms its track
  ``cued_hits`` hits at ``cued_revisit`` spacing after the later of the cue arrival and the
  moment the target becomes detectable, provided the target stays detectable over that time.
  Default: for a fixed face, ``cued_revisit`` = revisit / 4 and ``cued_hits`` = hits_for_track
  (a modelling assumption, not a published figure; set the fields for a sourced value); a
  ``"full"`` radar gains nothing by default. A cue never extends what a radar can detect.
* **Launch detection** — space-based infrared early warning sees the hot plume during boost
  only: from the moment the threat climbs above ``min_altitude`` (cloud tops) until burnout,
  with global coverage; its report (a cue, never a fire-control track) arrives ``latency``
  seconds after first sight.
* **Data sharing** — in a `Network` every report reaches the other sensors and the fire-control
  node after the network ``latency``, except between sensors listed in ``home`` (one weapon
  system's own sensors, connected without that latency). The fused cue is the earliest report
  of any sensor; the fused track the earliest fire-control-quality radar track.

Times are seconds after each threat's launch (the `Trajectory` clock); NaN means never.
Interval ends and starts are refined between samples by bisection on the cubic Hermite
interpolant of the sampled positions and velocities.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .earth import WGS84, Earth, enu_basis, gaussian_radius, radial_height_one, to_ecef

_REFINE_ITER = 20
"""Bisection steps when refining a coverage boundary between two samples (step / 2^20)."""

FIELDS = ("fixed", "full")
PLATFORMS = ("land", "ship")


# ---------------------------------------------------------------------------------------------
# sensor descriptions


@dataclass(frozen=True)
class Radar:
    """A ground- or ship-based radar. SI units, angles in radians.

    Attributes:
        name: label used in outputs.
        lat, lon: geodetic site position, rad.
        antenna_height: antenna phase centre above the site ground (ship: above sea level), m.
        field: ``"fixed"`` (one face, boresight +- half_width) or ``"full"`` (all azimuths).
        boresight: azimuth of the face normal, rad clockwise from north (ignored for "full").
        half_width: half-width of the azimuth field of regard, rad (ignored for "full").
        min_elevation, max_elevation: elevation limits (refracted elevation), rad.
        max_range: maximum instrumented slant range, m.
        reference_range: detection range against ``reference_rcs``, m.
        reference_rcs: radar cross-section the reference range refers to, m^2.
        revisit: time between looks at a detected target while searching, s.
        hits_for_track: number of hits needed to form a track (>= 1).
        fire_control: whether its tracks are good enough to fire an interceptor on.
        refraction_k: effective-Earth-radius factor of the horizon model (4/3 standard).
        source: public source of the figures.
        platform: ``"land"`` or ``"ship"``.
        site_altitude: ground height of the site above the model surface, m (0 for a ship).
        cued_revisit: revisit once cued, s (None: revisit / 4 for a fixed face, else revisit).
        cued_hits: hits needed once cued (None: hits_for_track).
    """

    name: str
    lat: float
    lon: float
    antenna_height: float
    field: str
    boresight: float
    half_width: float
    min_elevation: float
    max_elevation: float
    max_range: float
    reference_range: float
    reference_rcs: float
    revisit: float
    hits_for_track: int
    fire_control: bool
    refraction_k: float = 4.0 / 3.0
    source: str = ""
    platform: str = "land"
    site_altitude: float = 0.0
    cued_revisit: float | None = None
    cued_hits: int | None = None

    def __post_init__(self):
        if self.field not in FIELDS:
            raise ValueError(f"radar {self.name!r}: field must be one of {FIELDS}, got {self.field!r}")
        if self.platform not in PLATFORMS:
            raise ValueError(f"radar {self.name!r}: platform must be one of {PLATFORMS}, got {self.platform!r}")
        if not (-math.pi / 2 <= self.min_elevation < self.max_elevation <= math.pi / 2):
            raise ValueError(f"radar {self.name!r}: need -90 deg <= min_elevation < max_elevation <= 90 deg")
        if self.field == "fixed" and not (0.0 < self.half_width <= math.pi):
            raise ValueError(f"radar {self.name!r}: half_width must be in (0, 180] deg")
        for key in ("max_range", "reference_range", "reference_rcs", "revisit", "refraction_k"):
            if not getattr(self, key) > 0:
                raise ValueError(f"radar {self.name!r}: {key} must be > 0, got {getattr(self, key)}")
        if self.antenna_height < 0:
            raise ValueError(f"radar {self.name!r}: antenna_height must be >= 0")
        if int(self.hits_for_track) < 1:
            raise ValueError(f"radar {self.name!r}: hits_for_track must be >= 1")
        if self.cued_revisit is not None and not self.cued_revisit > 0:
            raise ValueError(f"radar {self.name!r}: cued_revisit must be > 0")
        if self.cued_hits is not None and int(self.cued_hits) < 1:
            raise ValueError(f"radar {self.name!r}: cued_hits must be >= 1")

    @classmethod
    def at_sea(cls, name: str, lat: float, lon: float, antenna_height: float, **kwargs) -> Radar:
        """A ship-borne radar: the site is at sea level (height 0 on the model surface)."""
        return cls(name, lat, lon, antenna_height, platform="ship", site_altitude=0.0, **kwargs)

    def detection_range(self, rcs) -> np.ndarray:
        """Detection range (m) against a cross-section ``rcs`` (m^2): R_ref (rcs/rcs_ref)^(1/4)."""
        return self.reference_range * (np.asarray(rcs, dtype=float) / self.reference_rcs) ** 0.25

    @property
    def track_delay(self) -> float:
        """Seconds from first detection to track when searching: (hits - 1) * revisit."""
        return (int(self.hits_for_track) - 1) * self.revisit

    @property
    def cued_track_delay(self) -> float:
        """Seconds from detectable-and-cued to track: (cued hits - 1) * cued revisit."""
        hits = int(self.cued_hits) if self.cued_hits is not None else int(self.hits_for_track)
        if self.cued_revisit is not None:
            revisit = self.cued_revisit
        else:
            revisit = self.revisit / 4.0 if self.field == "fixed" else self.revisit
        return (hits - 1) * revisit


@dataclass(frozen=True)
class LaunchDetector:
    """Space-based infrared early warning: sees a boost phase above ``min_altitude`` (m) and
    reports it ``latency`` (s) after first sight; a cue, never a fire-control track."""

    name: str
    min_altitude: float
    latency: float
    source: str = ""

    def __post_init__(self):
        if self.latency < 0:
            raise ValueError(f"launch detector {self.name!r}: latency must be >= 0")

    fire_control = False


@dataclass(frozen=True)
class Network:
    """Sensors whose reports are shared after ``latency`` seconds.

    ``home`` names the sensors of the weapon system that uses the fused track (connected to its
    fire-control node and to each other without the network latency); every other report
    reaches them, and the fire-control node, ``latency`` seconds after it is made.
    """

    name: str
    sensors: list
    latency: float
    home: tuple = ()

    def __post_init__(self):
        if self.latency < 0:
            raise ValueError(f"network {self.name!r}: latency must be >= 0")
        names = [s.name for s in self.sensors]
        if len(set(names)) != len(names):
            raise ValueError(f"network {self.name!r}: sensor names must be unique, got {names}")
        unknown = set(self.home) - set(names)
        if unknown:
            raise ValueError(f"network {self.name!r}: home sensors {sorted(unknown)} are not in the network")


@dataclass
class Timeline:
    """When each of N threats is seen and tracked by S sensors, and by the network as a whole.

    All times are seconds after the threat's launch; NaN where never.

    Attributes:
        sensor_names, sensor_kinds: (S,) names and ``"radar"`` / ``"launch-detector"``.
        fire_control: (S,) whether the sensor's tracks are fire-control quality.
        first_detection: (N, S) first moment the sensor detects the threat.
        sensor_track_time: (N, S) when the radar has a track (with any cue it received; NaN
            for launch detectors).
        sensor_report_time: (N, S) when the sensor's report exists at the sensor: a radar's
            track, a launch detector's first sight plus its latency.
        cued: (N, S) True where a cue made the radar's track earlier than its own search would.
        cue_time: (N,) earliest report of the threat at the fire-control node (fused cue).
        cue_sensor: (N,) index of the sensor that gave it, -1 if none.
        track_time: (N,) earliest fire-control-quality track at the fire-control node.
        track_sensor: (N,) index of the sensor that gave it, -1 if none.
        visible_start, visible_end: (N, S, K) intervals inside the sensor's geometric coverage
            (horizon, elevation, field of regard, instrumented range; for a launch detector: boost
            above its altitude), NaN-padded, in time order.
        detect_start, detect_end: (N, S, K) intervals in which the threat is also within the
            RCS-scaled detection range.
        network, latency, home: the data-sharing arrangement used.
    """

    sensor_names: tuple
    sensor_kinds: tuple
    fire_control: np.ndarray
    first_detection: np.ndarray
    sensor_track_time: np.ndarray
    sensor_report_time: np.ndarray
    cued: np.ndarray
    cue_time: np.ndarray
    cue_sensor: np.ndarray
    track_time: np.ndarray
    track_sensor: np.ndarray
    visible_start: np.ndarray
    visible_end: np.ndarray
    detect_start: np.ndarray
    detect_end: np.ndarray
    network: str = ""
    latency: float = 0.0
    home: tuple = ()

    def __len__(self) -> int:
        return self.cue_time.shape[0]

    def intervals(self, threat: int, sensor: int, kind: str = "detect") -> list[tuple[float, float]]:
        """The (start, end) intervals, seconds after launch, of one threat in one sensor's
        coverage: ``kind`` "detect" (detectable) or "visible" (geometric coverage)."""
        start = self.detect_start if kind == "detect" else self.visible_start
        end = self.detect_end if kind == "detect" else self.visible_end
        ok = np.isfinite(start[threat, sensor])
        return list(zip(start[threat, sensor][ok].tolist(), end[threat, sensor][ok].tolist()))


# ---------------------------------------------------------------------------------------------
# compiled geometry


@njit(cache=True)
def _range_az(p, site, east, north):
    """Slant range (m) and geometric azimuth (rad clockwise from north) of p from the site."""
    dx = p[0] - site[0]
    dy = p[1] - site[1]
    dz = p[2] - site[2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    e = dx * east[0] + dy * east[1] + dz * east[2]
    n = dx * north[0] + dy * north[1] + dz * north[2]
    return rng, math.atan2(e, n)


@njit(cache=True)
def _elevation(p, up, centre, rloc, ant, k, ea, eb):
    """Refracted elevation (rad) of p over the site's local sphere in the effective-Earth
    picture; -pi when the straight ray is blocked by the effective Earth."""
    qx = p[0] - centre[0]
    qy = p[1] - centre[1]
    qz = p[2] - centre[2]
    qn = math.sqrt(qx * qx + qy * qy + qz * qz)
    c = (qx * up[0] + qy * up[1] + qz * up[2]) / qn
    c = min(1.0, max(-1.0, c))
    theta = math.acos(c)
    h = radial_height_one(p, ea, eb)  # target height above the model surface
    ke = k * rloc
    th = theta / k
    x = (ke + h) * math.sin(th)
    y = (ke + h) * math.cos(th) - (ke + ant)
    # the straight ray must clear the effective Earth (matters only below the antenna's dip)
    ay = ke + ant
    d2 = x * x + y * y
    if y < 0.0 and d2 > 0.0:
        u = min(1.0, -(ay * y) / d2)
        cx = u * x
        cy = ay + u * y
        if cx * cx + cy * cy < ke * ke * (1.0 - 1e-12):
            return -math.pi
    return math.atan2(y, x)


@njit(cache=True)
def _look(p, site, east, north, up, centre, rloc, ant, k, ea, eb):
    """Slant range (m), geometric azimuth (rad from north) and refracted elevation (rad) of
    Earth-fixed point p from one radar (4/3-Earth model on the site's local sphere).
    The elevation is -pi when the line of sight is blocked by the (effective) Earth."""
    rng, az = _range_az(p, site, east, north)
    return rng, az, _elevation(p, up, centre, rloc, ant, k, ea, eb)


@njit(cache=True)
def _status(p, j, site, east, north, up, centre, rloc, ant, k, fixed, bore, half, el_min, el_max,
            max_range, rdet, ea, eb):
    """0: outside coverage, 1: inside coverage but beyond detection range, 2: detectable.
    Cheap tests first: range, then azimuth, then the elevation."""
    rng, az = _range_az(p, site[j], east[j], north[j])
    if rng > max_range[j]:
        return 0
    if fixed[j]:
        d = az - bore[j]
        d = (d + math.pi) % (2.0 * math.pi) - math.pi
        if abs(d) > half[j]:
            return 0
    el = _elevation(p, up[j], centre[j], rloc[j], ant[j], k[j], ea, eb)
    if el < el_min[j] or el > el_max[j]:
        return 0
    if rng > rdet:
        return 1
    return 2


@njit(cache=True)
def _hermite(p0, v0, p1, v1, dt, s, out):
    """Cubic Hermite interpolation between samples (p0, v0) and (p1, v1) (m, m/s) dt seconds
    apart, at the fraction s in [0, 1] of the step: the position (m) written to out."""
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = s3 - 2.0 * s2 + s
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = s3 - s2
    for d in range(3):
        out[d] = h00 * p0[d] + h10 * dt * v0[d] + h01 * p1[d] + h11 * dt * v1[d]


@njit(cache=True)
def _refine(p0, v0, p1, v1, t0, dt, level, was_in, j, site, east, north, up, centre, rloc, ant, k,
            fixed, bore, half, el_min, el_max, max_range, rdet, ea, eb, tmp):
    """Time where (status >= level) flips between samples t0 and t0 + dt. Returns the first
    time inside when entering, the last time inside when leaving."""
    lo = 0.0
    hi = 1.0
    for _ in range(_REFINE_ITER):
        mid = 0.5 * (lo + hi)
        _hermite(p0, v0, p1, v1, dt, mid, tmp)
        inside = _status(tmp, j, site, east, north, up, centre, rloc, ant, k, fixed, bore, half,
                         el_min, el_max, max_range, rdet, ea, eb) >= level
        if inside == was_in:
            lo = mid
        else:
            hi = mid
    return t0 + dt * (lo if was_in else hi)


@njit(cache=True)
def _interval_edge(intervals, count, j, entering, t):
    """Record an edge at time t (s) of the coverage intervals of one threat in sensor j:
    ``intervals`` (K, 2) start/end, ``count[j]`` intervals closed so far. Entering sets the start
    of interval count[j]; leaving sets its end and counts it. Intervals beyond K are counted but
    not stored."""
    c = count[j]
    if c < intervals.shape[0]:
        intervals[c, 0 if entering else 1] = t
    if not entering:
        count[j] = c + 1


@njit(cache=True, parallel=True)
def _radar_batch(time, pos, vel, rdet, site, east, north, up, centre, rloc, ant, k, fixed, bore, half,
                 el_min, el_max, max_range, ea, eb, vis, det, nvis, ndet):
    """Coverage intervals of N sampled flights in S radars.

    vis, det: (N, S, K, 2) start/end of intervals with status >= 1 / >= 2 (NaN-filled on input);
    nvis, ndet: (N, S) number of intervals found (may exceed K; only K are stored)."""
    n_thr = pos.shape[0]
    n_smp = pos.shape[1]
    n_sen = site.shape[0]
    dt_max = 0.0
    for m in range(1, time.shape[0]):
        dt_max = max(dt_max, time[m] - time[m - 1])
    for i in prange(n_thr):
        tmp = np.empty(3)
        # bound on the distance flown per sample step (speed margin for between-sample peaks),
        # used to skip samples that cannot be back inside a radar's instrumented range
        vmax = 0.0
        for m in range(n_smp):
            if math.isnan(vel[i, m, 0]):
                break
            vmax = max(vmax, math.sqrt(vel[i, m, 0] ** 2 + vel[i, m, 1] ** 2 + vel[i, m, 2] ** 2))
        reach = (1.2 * vmax + 200.0) * dt_max
        for j in range(n_sen):
            prev = 0
            last_m = -1
            skip_to = 0
            for m in range(n_smp):
                if m < skip_to:
                    continue
                if math.isnan(pos[i, m, 0]):
                    break
                st = _status(pos[i, m], j, site, east, north, up, centre, rloc, ant, k, fixed, bore, half,
                             el_min, el_max, max_range, rdet[i, j], ea, eb)
                if st == 0 and prev == 0:
                    dx = pos[i, m, 0] - site[j, 0]
                    dy = pos[i, m, 1] - site[j, 1]
                    dz = pos[i, m, 2] - site[j, 2]
                    excess = math.sqrt(dx * dx + dy * dy + dz * dz) - max_range[j]
                    if excess > reach:
                        skip_to = m + int(excess / reach)
                if st != prev:
                    for level in (1, 2):
                        was_in = prev >= level
                        now_in = st >= level
                        if was_in == now_in:
                            continue
                        if m == 0:
                            tb = time[0]
                        else:
                            tb = _refine(pos[i, m - 1], vel[i, m - 1], pos[i, m], vel[i, m], time[m - 1],
                                         time[m] - time[m - 1], level, was_in, j, site, east, north, up,
                                         centre, rloc, ant, k, fixed, bore, half, el_min, el_max, max_range,
                                         rdet[i, j], ea, eb, tmp)
                        if level == 1:
                            _interval_edge(vis[i, j], nvis[i], j, now_in, tb)
                        else:
                            _interval_edge(det[i, j], ndet[i], j, now_in, tb)
                    prev = st
                last_m = m
            # still inside at the last finite sample (impact or end of the grid)
            if last_m >= 0:
                if prev >= 1:
                    _interval_edge(vis[i, j], nvis[i], j, False, time[last_m])
                if prev >= 2:
                    _interval_edge(det[i, j], ndet[i], j, False, time[last_m])


@njit(cache=True, parallel=True)
def _boost_sight(time, pos, vel, burnout, min_alt, ea, eb, out):
    """First time (s) each flight is above min_alt while t <= burnout; NaN if never."""
    n_thr = pos.shape[0]
    n_smp = pos.shape[1]
    for i in prange(n_thr):
        tmp = np.empty(3)
        out[i] = math.nan
        for m in range(n_smp):
            t = time[m]
            if t > burnout[i] or math.isnan(pos[i, m, 0]):
                break
            now_in = radial_height_one(pos[i, m], ea, eb) >= min_alt
            if now_in:
                if m == 0:
                    out[i] = t
                else:
                    lo = 0.0
                    hi = 1.0
                    dt = t - time[m - 1]
                    for _ in range(_REFINE_ITER):
                        mid = 0.5 * (lo + hi)
                        _hermite(pos[i, m - 1], vel[i, m - 1], pos[i, m], vel[i, m], dt, mid, tmp)
                        if radial_height_one(tmp, ea, eb) >= min_alt:
                            hi = mid
                        else:
                            lo = mid
                    out[i] = time[m - 1] + hi * dt
                break


@njit(cache=True, parallel=True)
def _look_batch(pos, site, east, north, up, centre, rloc, ant, k, ea, eb, out):
    for i in prange(pos.shape[0]):
        r, az, el = _look(pos[i], site, east, north, up, centre, rloc, ant, k, ea, eb)
        out[i, 0] = r
        out[i, 1] = az
        out[i, 2] = el


# ---------------------------------------------------------------------------------------------
# public API


def _site_geometry(radars, earth: Earth):
    """Per radar: antenna position, ENU axes, local-sphere centre and radius, antenna height
    above the local sphere. Arrays of shape (S, 3) or (S,)."""
    lat = np.array([r.lat for r in radars], dtype=float)
    lon = np.array([r.lon for r in radars], dtype=float)
    ant = np.array([r.site_altitude + r.antenna_height for r in radars], dtype=float)
    site = to_ecef(lat, lon, ant, earth)
    east, north, up = enu_basis(lat, lon)
    rloc = gaussian_radius(lat, earth)
    centre = to_ecef(lat, lon, 0.0, earth) - rloc[:, None] * up
    return site, east, north, up, centre, rloc, ant


def look_angles(radar: Radar, position, earth: Earth = WGS84):
    """Slant range (m), azimuth (rad clockwise from north, geometric) and refracted elevation
    (rad, 4/3-Earth model with the radar's ``refraction_k``; -pi where the Earth blocks the line
    of sight) of Earth-fixed points ``position`` (..., 3) m seen from ``radar``. Returns three
    arrays of shape position.shape[:-1]."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    site, east, north, up, centre, rloc, ant = _site_geometry([radar], earth)
    out = np.empty((flat.shape[0], 3))
    _look_batch(flat, site[0], east[0], north[0], up[0], centre[0], float(rloc[0]), float(ant[0]),
                float(radar.refraction_k), earth.equatorial_radius, earth.polar_radius, out)
    shape = p.shape[:-1]
    return out[:, 0].reshape(shape), out[:, 1].reshape(shape), out[:, 2].reshape(shape)


def _radar_params(radars, earth):
    site, east, north, up, centre, rloc, ant = _site_geometry(radars, earth)
    k = np.array([r.refraction_k for r in radars], dtype=float)
    fixed = np.array([r.field == "fixed" for r in radars], dtype=np.bool_)
    bore = np.array([r.boresight for r in radars], dtype=float)
    half = np.array([r.half_width for r in radars], dtype=float)
    el_min = np.array([r.min_elevation for r in radars], dtype=float)
    el_max = np.array([r.max_elevation for r in radars], dtype=float)
    max_range = np.array([r.max_range for r in radars], dtype=float)
    return (site, east, north, up, centre, rloc, ant, k, fixed, bore, half, el_min, el_max, max_range)


def coverage_status(radar: Radar, position, rcs, earth: Earth = WGS84) -> np.ndarray:
    """Per Earth-fixed point (..., 3) m with cross-section ``rcs`` (m^2, broadcast): 0 outside
    the radar's coverage (horizon/elevation, field of regard, instrumented range), 1 inside but
    beyond the detection range, 2 detectable. Same compiled test as `detect` uses."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    rdet = np.broadcast_to(radar.detection_range(rcs), p.shape[:-1]).reshape(-1)
    params = _radar_params([radar], earth)
    out = np.empty(flat.shape[0], dtype=np.int64)
    _status_batch(flat, np.ascontiguousarray(rdet, dtype=float), *params, earth.equatorial_radius,
                  earth.polar_radius, out)
    return out.reshape(p.shape[:-1])


@njit(cache=True)
def _status_batch(pos, rdet, site, east, north, up, centre, rloc, ant, k, fixed, bore, half, el_min, el_max,
                  max_range, ea, eb, out):
    for i in range(pos.shape[0]):
        out[i] = _status(pos[i], 0, site, east, north, up, centre, rloc, ant, k, fixed, bore, half, el_min,
                         el_max, max_range, rdet[i], ea, eb)


def _first_feasible(start, end, ready, delay):
    """Earliest t + delay (s) with t >= ready inside an interval [start, end] such that
    t + delay <= end; intervals along the last axis (NaN-padded). NaN if none or if ready
    is NaN (no cue); ready = -inf gives the radar's own search (count from an interval start)."""
    t = np.maximum(start, ready[..., None])  # NaN (no cue) stays NaN
    ok = np.isfinite(t) & (end - t >= delay - 1e-9)
    cand = np.where(ok, t + delay, np.nan)
    return np.fmin.reduce(cand, axis=-1, initial=np.nan) if cand.shape[-1] else np.full(ready.shape, np.nan)


def detect(trajectories, sensors_or_network, max_intervals: int = 8) -> Timeline:
    """Detection and track timeline of N threat flights in a set of sensors.

    Args:
        trajectories: a `trajectory.Trajectory` (N flights sampled from launch; ``rcs`` per
            threat; Earth model from ``trajectories.models``).
        sensors_or_network: a `Network`, or a list of `Radar` / `LaunchDetector` taken as one
            system sharing its reports instantly (a network with zero latency).
        max_intervals: coverage intervals stored per threat and sensor (K).

    Returns:
        A `Timeline` (seconds after each threat's launch, NaN = never). See the module
        docstring for the coverage, track, cueing and sharing models.
    """
    if isinstance(sensors_or_network, Network):
        net = sensors_or_network
    else:
        sensors = list(sensors_or_network)
        net = Network("sensors", sensors, 0.0, tuple(s.name for s in sensors))
    sensors = list(net.sensors)
    earth = trajectories.models.earth
    n = len(trajectories)
    s_count = len(sensors)
    kmax = int(max_intervals)
    time = np.ascontiguousarray(trajectories.time, dtype=float)
    pos = np.ascontiguousarray(trajectories.position, dtype=float)
    vel = np.ascontiguousarray(trajectories.velocity, dtype=float)
    rcs = np.broadcast_to(np.asarray(trajectories.rcs, dtype=float), (n,))

    vis_start = np.full((n, s_count, kmax), np.nan)
    vis_end = np.full((n, s_count, kmax), np.nan)
    det_start = np.full((n, s_count, kmax), np.nan)
    det_end = np.full((n, s_count, kmax), np.nan)
    first = np.full((n, s_count), np.nan)
    report = np.full((n, s_count), np.nan)

    is_radar = np.array([isinstance(s, Radar) for s in sensors], dtype=bool)
    radar_idx = np.flatnonzero(is_radar)
    radars = [sensors[j] for j in radar_idx]
    own_track = np.full((n, s_count), np.nan)
    cued_delay = np.zeros(s_count)
    if radars and n:
        rdet = np.ascontiguousarray(np.stack([r.detection_range(rcs) for r in radars], axis=1))
        vis = np.full((n, len(radars), kmax, 2), np.nan)
        det = np.full((n, len(radars), kmax, 2), np.nan)
        nvis = np.zeros((n, len(radars)), dtype=np.int64)
        ndet = np.zeros((n, len(radars)), dtype=np.int64)
        _radar_batch(time, pos, vel, rdet, *_radar_params(radars, earth), earth.equatorial_radius,
                     earth.polar_radius, vis, det, nvis, ndet)
        if (nvis > kmax).any() or (ndet > kmax).any():
            warnings.warn(f"more than {kmax} coverage intervals for some threat and sensor; only the first "
                          f"{kmax} are kept (raise max_intervals)", RuntimeWarning, stacklevel=2)
        vis_start[:, radar_idx], vis_end[:, radar_idx] = vis[..., 0], vis[..., 1]
        det_start[:, radar_idx], det_end[:, radar_idx] = det[..., 0], det[..., 1]
        first[:, radar_idx] = det[:, :, 0, 0]
        for col, j in enumerate(radar_idx):
            r = sensors[j]
            cued_delay[j] = r.cued_track_delay
            # uncued: the count starts at an interval's start only (ready from -inf)
            own_track[:, j] = _first_feasible(det[:, col, :, 0], det[:, col, :, 1], np.full(n, -np.inf),
                                              r.track_delay)

    burnout = np.ascontiguousarray(np.broadcast_to(np.asarray(trajectories.burnout_time, dtype=float), (n,)))
    for j, s in enumerate(sensors):
        if is_radar[j]:
            continue
        seen = np.empty(n)
        if n:
            _boost_sight(time, pos, vel, burnout, float(s.min_altitude), earth.equatorial_radius,
                         earth.polar_radius, seen)
        first[:, j] = seen
        report[:, j] = seen + s.latency
        vis_start[:, j, 0] = det_start[:, j, 0] = seen
        vis_end[:, j, 0] = det_end[:, j, 0] = np.where(np.isfinite(seen), burnout, np.nan)

    # delay of a report from sensor s to sensor r (and to the fire-control node)
    home = np.array([s.name in net.home for s in sensors], dtype=bool)
    link = np.where(home[:, None] & home[None, :], 0.0, float(net.latency))
    np.fill_diagonal(link, np.inf)  # a sensor does not cue itself
    to_fc = np.where(home, 0.0, float(net.latency))

    track = own_track.copy()
    report[:, is_radar] = track[:, is_radar]
    for _ in range(s_count + 1):
        cue_in = np.fmin.reduce(report[:, :, None] + link[None, :, :], axis=1, initial=np.nan) if s_count else report
        new = track.copy()
        for j in radar_idx:
            cued = _first_feasible(det_start[:, j], det_end[:, j], cue_in[:, j], cued_delay[j])
            new[:, j] = np.fmin(own_track[:, j], cued)
        if np.array_equal(new, track, equal_nan=True):
            break
        track = new
        report[:, is_radar] = track[:, is_radar]

    cued = is_radar[None, :] & np.isfinite(track) & ~(track >= own_track)
    fc = np.array([bool(getattr(s, "fire_control", False)) for s in sensors], dtype=bool)
    at_fc = report + to_fc[None, :]
    cue_time, cue_sensor = _earliest(at_fc)
    track_time, track_sensor = _earliest(np.where(fc[None, :] & is_radar[None, :], at_fc, np.nan))
    sensor_track = np.where(is_radar[None, :], track, np.nan)
    return Timeline(
        sensor_names=tuple(s.name for s in sensors),
        sensor_kinds=tuple("radar" if isinstance(s, Radar) else "launch-detector" for s in sensors),
        fire_control=fc, first_detection=first, sensor_track_time=sensor_track, sensor_report_time=report,
        cued=cued, cue_time=cue_time, cue_sensor=cue_sensor, track_time=track_time, track_sensor=track_sensor,
        visible_start=vis_start, visible_end=vis_end, detect_start=det_start, detect_end=det_end,
        network=net.name, latency=float(net.latency), home=tuple(net.home),
    )


def _earliest(times):
    """Row-wise earliest finite value of (N, S) and its column (-1 where none)."""
    if times.shape[1] == 0:
        return np.full(times.shape[0], np.nan), np.full(times.shape[0], -1, dtype=np.int64)
    filled = np.where(np.isfinite(times), times, np.inf)
    idx = np.argmin(filled, axis=1)
    best = filled[np.arange(times.shape[0]), idx]
    found = np.isfinite(best)
    return np.where(found, best, np.nan), np.where(found, idx, -1).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# the track a battery fires on and the track that guides its interceptor


TRACK_MODES = ("own", "remote")
"""Values of a battery's ``launch_on`` / ``engage_on`` (see `interceptor.Battery`)."""


@dataclass
class BatteryTrack:
    """What one battery may fire on, per threat (N); times in s after the threat's launch.

    Attributes:
        track_time: (N,) when the battery may launch on a fire-control track (NaN = never).
        track_sensor: (N,) index (into ``Timeline.sensor_names``) of the sensor whose track that
            is, -1 if none.
        intercept_window: (N, 2) earliest and latest intercept time the guidance allows
            (-inf, +inf = unconstrained; +inf, -inf = no guidance track, no intercept).
    """

    track_time: np.ndarray
    track_sensor: np.ndarray
    intercept_window: np.ndarray


def _own_columns(timeline: Timeline, own) -> np.ndarray:
    """Indices of the fire-control radars of ``timeline`` named in ``own`` (None: its home)."""
    names = set(timeline.home if own is None else own)
    return np.array([j for j, name in enumerate(timeline.sensor_names)
                     if name in names and timeline.sensor_kinds[j] == "radar" and bool(timeline.fire_control[j])],
                    dtype=np.int64)


def own_track_window(timeline: Timeline, own=None) -> np.ndarray:
    """(N, 2) span during which one of the battery's own fire-control radars holds a track:
    from a radar's track time (`Timeline.sensor_track_time`, cues included) to the end of the
    detection interval that time lies in; over several own radars the hull of their spans
    (earliest start, latest end -- exact with one own radar or overlapping spans). Rows with no
    own track are (+inf, -inf). ``own`` names the radars (None: the timeline's home sensors);
    launch detectors and radars without fire-control quality never count."""
    n = len(timeline)
    cols = _own_columns(timeline, own)
    out = np.empty((n, 2))
    out[:, 0], out[:, 1] = np.inf, -np.inf
    if cols.size == 0 or n == 0:
        return out
    t = timeline.sensor_track_time[:, cols]  # (N, k)
    start, end = timeline.detect_start[:, cols, :], timeline.detect_end[:, cols, :]  # (N, k, K)
    tol = 1e-6  # the track is formed inside its interval to within the interval search's 1e-9 s
    inside = (start <= t[..., None] + tol) & (t[..., None] <= end + tol)
    stop = np.fmax.reduce(np.where(inside, end, np.nan), axis=-1, initial=np.nan) if end.shape[-1] else \
        np.full(t.shape, np.nan)
    held = np.isfinite(t) & np.isfinite(stop)
    lo = np.where(held, t, np.inf).min(axis=1)
    hi = np.where(held, np.maximum(stop, t), -np.inf).max(axis=1)
    out[:, 0], out[:, 1] = lo, hi
    return out


def battery_track(timeline: Timeline, own=None, launch_on: str = "remote", engage_on: str = "remote") -> BatteryTrack:
    """The track a battery fires on and the intercept window its guidance allows.

    Args:
        timeline: `detect` output for the battery's network.
        own: names of the battery's own radars (None: the network's home sensors); only
            fire-control radars among them count.
        launch_on: ``"remote"`` -- the network's fused fire-control track (`Timeline.track_time`,
            reports of non-home sensors after the network latency); ``"own"`` -- the earliest
            track of an own fire-control radar (cues from other sensors included), which reaches
            the battery without latency.
        engage_on: ``"remote"`` -- no constraint on the intercept time; ``"own"`` -- the
            intercept must fall in `own_track_window`.

    Returns:
        A `BatteryTrack` with (N,) track time and sensor and the (N, 2) intercept window.
    """
    for key, value in (("launch_on", launch_on), ("engage_on", engage_on)):
        if value not in TRACK_MODES:
            raise ValueError(f"{key} must be one of {TRACK_MODES}, got {value!r}")
    n = len(timeline)
    if launch_on == "remote":
        track, sensor = np.asarray(timeline.track_time, dtype=float), np.asarray(timeline.track_sensor, dtype=np.int64)
    else:
        cols = _own_columns(timeline, own)
        track, k = _earliest(timeline.sensor_track_time[:, cols] if cols.size else np.full((n, 0), np.nan))
        sensor = np.where(k >= 0, cols[np.maximum(k, 0)] if cols.size else -1, -1).astype(np.int64)
    if engage_on == "remote":
        window = np.empty((n, 2))
        window[:, 0], window[:, 1] = -np.inf, np.inf
    else:
        window = own_track_window(timeline, own)
    return BatteryTrack(track, sensor, window)
