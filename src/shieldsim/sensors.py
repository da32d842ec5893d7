"""Sensors: what radars and space-based launch detectors can see, and when a threat is tracked.

Physics and modelling assumptions (public, textbook level):

* **Radar horizon and refraction** -- per radar, ``refraction``:

  - ``"atmosphere"`` (default): rays bend only inside the atmosphere. The refractive index
    follows the exponential reference atmosphere N(h) = N0 exp(-h / h0), N0 = 315 N units,
    h0 = 7.35 km (ITU-R P.453 / P.834 reference profile, h above the model surface), over the
    site's local sphere (radius sqrt(M N), the Gaussian mean radius of curvature at the site);
    above `ATMOSPHERE_TOP` (100 km) rays are straight. A ray leaving the antenna at elevation e
    keeps Bouguer's invariant c = n r cos(e) and reaches radius r at the central angle
    theta(r) = acos(c / (n r)) - e + tau(r), where tau(r) = integral of -(n'/n) c / sqrt((n r)^2 - c^2) dr
    is the bending gathered so far (computed here by Gauss-Legendre quadrature in
    x = sqrt(r - r_low), which removes the inverse square root at a turning point; tabulated
    per radar for its two limiting rays). A target is in sight when it lies between the ray
    leaving at the lowest usable elevation (``min_elevation``, or the ray grazing the surface
    if that is higher) and the ray at ``max_elevation``: a target far above the air is seen
    down to the geometric horizon plus the total bending tau of that ray (0.76 deg for a ray
    leaving a sea-level antenna horizontally, 0.50 deg at 1 deg, 0.19 deg at 5 deg; checked by
    an independent scipy ray integration in the tests, and within 6 % (0-10 deg) of the closed-form
    approximation of ITU-R P.834 as commonly quoted, 1 / (1.314 + 0.6437 e + 0.02869 e^2) deg at
    sea level, e in deg -- that formula quoted from memory, not verified against the
    Recommendation's text, which could not be read here). Below the
    antenna's height (short, low paths) the effective-Earth test below is used with the factor
    k = 1 / (1 + R dn/dh) of the profile's gradient at the antenna (1.38 at sea level).
    `look_angles` solves the apparent elevation by bisection on the ray.
  - ``"4/3-earth"``: refraction bends rays so that they travel in straight lines above an
    Earth whose radius is ``refraction_k`` times the local sphere's, along the whole path (the
    standard model for targets inside the troposphere; it over-bends rays to targets far above
    the air). A target at height h above the model surface and central angle theta from the
    site is placed at central angle theta / k over a sphere of radius k R, and its apparent
    elevation is the straight-line elevation in that picture. A target is seen when this
    elevation is at least ``min_elevation`` and the straight ray clears the effective Earth (so
    with a mask at 0 deg a target at height h first shows at ground range
    k R acos((k R + a) / (k R + h)); with no mask, at the grazing-ray range
    k R [acos(k R / (k R + a)) + acos(k R / (k R + h))] for an antenna at height a).
  - ``"none"``: straight rays (k = 1), pure geometry.
* **Field of regard** — a ``"fixed"`` face sees azimuths within ``half_width`` of its boresight
  (geometric azimuth at the site, clockwise from north); a ``"full"`` radar sees all azimuths.
  Both see elevations in [``min_elevation``, ``max_elevation``] and slant ranges up to
  ``max_range`` (the instrumented range).
* **Detection range** -- the radar range equation at fixed power, aperture, dwell and
  detection threshold gives a detection range proportional to sigma^(1/4):
  R_det = reference_range * (sigma / reference_rcs)^(1/4). What the radar sees depends on the
  phase of flight (`phase_rcs`): until the re-entry vehicle separates (at burnout unless the
  trajectory says otherwise) it sees the missile body (``Trajectory.body_rcs``, of order
  1-10 m^2; `missile.BODY_RCS` = 1 m^2 by default), afterwards the re-entry vehicle (``rcs``,
  0.01-0.1 m^2). A track formed before separation is a track on the body (`Timeline.track_on`);
  a detection interval that spans separation ends there if the warhead is beyond the range.
  Spent stages are not tracked as separate objects; aspect dependence is not modelled.
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
REFRACTION_MODELS = ("atmosphere", "4/3-earth", "none")
"""Values of `Radar.refraction` (the index is the kernels' R_MODEL code)."""

SURFACE_REFRACTIVITY = 315.0
"""N0 (N units, (n - 1) x 1e6) of the exponential reference atmosphere N(h) = N0 exp(-h / h0):
the mean global value of ITU-R Recommendation P.453 (also used in ITU-R P.834). Not verified
against the original Recommendation texts (stored copies not readable here)."""
REFRACTIVITY_SCALE_HEIGHT = 7350.0
"""h0 (m) of the exponential reference atmosphere (ITU-R P.453; see SURFACE_REFRACTIVITY)."""
ATMOSPHERE_TOP = 100e3
"""Height (m) above which rays are straight (N < 4e-4 N units there; the bending a ray would
still gather above it is below 1e-8 rad)."""



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
        refraction_k: effective-Earth-radius factor of the "4/3-earth" model (4/3 standard).
        source: public source of the figures.
        platform: ``"land"`` or ``"ship"``.
        site_altitude: ground height of the site above the model surface, m (0 for a ship).
        cued_revisit: revisit once cued, s (None: revisit / 4 for a fixed face, else revisit).
        cued_hits: hits needed once cued (None: hits_for_track).
        refraction: ``"atmosphere"`` (rays bent only in the exponential reference atmosphere,
            straight above it), ``"4/3-earth"`` (effective Earth of ``refraction_k`` along the
            whole path) or ``"none"`` (straight rays). See the module docstring.
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
    refraction: str = "atmosphere"

    def __post_init__(self):
        if self.refraction not in REFRACTION_MODELS:
            raise ValueError(f"radar {self.name!r}: refraction must be one of {REFRACTION_MODELS}, "
                             f"got {self.refraction!r}")
        if self.refraction == "atmosphere" and self.max_elevation < 0:
            raise ValueError(f"radar {self.name!r}: max_elevation must be >= 0 with refraction 'atmosphere'")
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
        separation_time: (N,) when the re-entry vehicle separates from the missile body (s
            after launch): radars see the body (``body_rcs``) before it, the warhead after.
        track_on: (N,) what the fused fire-control track was formed on: ``"body"`` (formed
            before separation), ``"warhead"``, or ``""`` (no track).
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
    separation_time: np.ndarray | None = None
    track_on: np.ndarray | None = None

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
# packed parameters of the compiled kernels
#
# One row of floats per radar (``_radar_params``), indexed by these names; the two limiting rays
# of the "atmosphere" refraction model (min- and max-elevation) are blocks of RAY_SIZE floats at
# R_RAY_MIN and R_RAY_MAX, with their bending tables in a separate (S, 2, RAY_TABLE) array.

R_SITE, R_EAST, R_NORTH, R_UP, R_CENTRE = 0, 3, 6, 9, 12  # 3-vectors (ECEF m / unit vectors)
(R_RLOC, R_ANT, R_MODEL, R_K, R_FIXED, R_BORE, R_HALF, R_EL_MIN, R_EL_MAX, R_MAX_RANGE, R_N0, R_HS,
 R_RAY_MIN) = range(15, 28)
"""R_RLOC local-sphere radius (m); R_ANT antenna height above it (m); R_MODEL index into
`REFRACTION_MODELS`; R_K effective-Earth factor (1 for "none"); R_FIXED 1.0 for a fixed face;
R_BORE, R_HALF boresight and half-width (rad); R_EL_MIN, R_EL_MAX elevation limits (rad);
R_MAX_RANGE instrumented range (m); R_N0 surface refractivity (N x 1e-6); R_HS its scale height (m)."""
RAY_C, RAY_R_LOW, RAY_GAP, RAY_OFFSET, RAY_DESC, RAY_XSTEP, RAY_ON = range(7)
"""Per limiting ray: Bouguer invariant c = n r cos(e) (m); lowest radius on its rising branch
(the antenna, or the perigee of a ray leaving below the horizontal) (m); u(r_low) - c (m, exact);
angle offset (-e when leaving upwards, the antenna-to-perigee central angle when downwards) (rad);
1.0 when the ray leaves downwards; table step in x = sqrt(r - r_low) (m^0.5); 1.0 when the limit
applies."""
RAY_SIZE = 7
R_RAY_MAX = R_RAY_MIN + RAY_SIZE
N_RADAR = R_RAY_MAX + RAY_SIZE
RAY_TABLE = 1025
"""Points of a limiting ray's bending table, uniform in x = sqrt(r - r_low) up to ATMOSPHERE_TOP."""

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
"""Nodes and weights of the 8-point Gauss-Legendre rule on [-1, 1] (ray bending panels)."""


# ---------------------------------------------------------------------------------------------
# compiled geometry


@njit(cache=True)
def _range_az(p, row):
    """Slant range (m) and geometric azimuth (rad clockwise from north) of p from a radar."""
    dx = p[0] - row[R_SITE]
    dy = p[1] - row[R_SITE + 1]
    dz = p[2] - row[R_SITE + 2]
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    e = dx * row[R_EAST] + dy * row[R_EAST + 1] + dz * row[R_EAST + 2]
    n = dx * row[R_NORTH] + dy * row[R_NORTH + 1] + dz * row[R_NORTH + 2]
    return rng, math.atan2(e, n)


@njit(cache=True)
def _polar(p, row, ea, eb):
    """Central angle (rad) of p from the radar's zenith about its local-sphere centre, and the
    height (m) of p above the model surface."""
    qx = p[0] - row[R_CENTRE]
    qy = p[1] - row[R_CENTRE + 1]
    qz = p[2] - row[R_CENTRE + 2]
    qn = math.sqrt(qx * qx + qy * qy + qz * qz)
    c = (qx * row[R_UP] + qy * row[R_UP + 1] + qz * row[R_UP + 2]) / qn
    c = min(1.0, max(-1.0, c))
    return math.acos(c), radial_height_one(p, ea, eb)


@njit(cache=True)
def _effective_elevation(theta, h, rloc, ant, k):
    """Refracted elevation (rad) of a point at central angle theta and height h over the local
    sphere in the effective-Earth picture (radius k rloc); -pi when the straight ray is blocked
    by the effective Earth."""
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
def _refractivity(r, rs, n0, hs):
    """n - 1 of the exponential atmosphere at radius r (m) over a surface of radius rs."""
    return n0 * math.exp(-(r - rs) / hs)


@njit(cache=True)
def _bending_between(xa, xb, c, gap, r_low, rs, n0, hs):
    """Bending (rad) of a ray with invariant c between x = xa and xb (x = sqrt(r - r_low)):
    integral of -(n'/n) c / sqrt(u^2 - c^2) dr, u = n r, by 8-point Gauss-Legendre in x (the
    substitution removes the inverse square root at a turning point). ``gap`` = u(r_low) - c."""
    q_low = r_low * _refractivity(r_low, rs, n0, hs)
    half = 0.5 * (xb - xa)
    mid = 0.5 * (xb + xa)
    total = 0.0
    for i in range(_GL_X.shape[0]):
        x = mid + half * _GL_X[i]
        r = r_low + x * x
        q = _refractivity(r, rs, n0, hs)
        u = r * (1.0 + q)
        du = x * x + r * q - q_low + gap  # u - c without cancellation
        if du <= 0.0:
            continue
        slope = (q / hs) / (1.0 + q)  # -n'/n
        total += _GL_W[i] * slope * c * 2.0 * x / math.sqrt(du * (u + c))
    return total * half


@njit(cache=True)
def _make_ray(e, r0, rs, n0, hs, top, out):
    """Fill ``out`` (a RAY_* block) for the ray leaving an antenna at radius r0 (m) at elevation
    e (rad) through the exponential atmosphere (n - 1 = n0 exp(-(r - rs) / hs)) up to radius
    ``top``. A ray leaving downwards is followed from its perigee (which must lie above rs)."""
    q0 = _refractivity(r0, rs, n0, hs)
    u0 = r0 * (1.0 + q0)
    c = u0 * math.cos(e)
    out[RAY_C] = c
    out[RAY_ON] = 1.0
    if e >= 0.0:
        out[RAY_R_LOW] = r0
        out[RAY_GAP] = 2.0 * u0 * math.sin(0.5 * e) ** 2
        out[RAY_OFFSET] = -e
        out[RAY_DESC] = 0.0
    else:
        lo = rs  # perigee: u(r_p) = c, u increasing in r (no ducting in this profile)
        hi = r0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if mid * (1.0 + _refractivity(mid, rs, n0, hs)) < c:
                lo = mid
            else:
                hi = mid
        r_p = hi
        out[RAY_R_LOW] = r_p
        out[RAY_GAP] = 0.0
        out[RAY_DESC] = 1.0
        # central angle from the antenna down to the perigee: geometric term + bending
        du0 = (r0 - r_p) + r0 * q0 - r_p * _refractivity(r_p, rs, n0, hs)
        geo = math.atan2(math.sqrt(max(du0, 0.0) * (u0 + c)), c)
        out[RAY_OFFSET] = geo + _bending_panels(math.sqrt(r0 - r_p), c, 0.0, r_p, rs, n0, hs)
    out[RAY_XSTEP] = math.sqrt(max(top - out[RAY_R_LOW], 1.0)) / (RAY_TABLE - 1)


@njit(cache=True)
def _bending_panels(x_end, c, gap, r_low, rs, n0, hs):
    """Bending (rad) from x = 0 to x_end (x = sqrt(r - r_low)) in panels at most 1 m^0.5 wide."""
    n = max(1, int(math.ceil(x_end)))
    total = 0.0
    for k in range(n):
        total += _bending_between(x_end * k / n, x_end * (k + 1) / n, c, gap, r_low, rs, n0, hs)
    return total


@njit(cache=True)
def _ray_table(ray, rs, n0, hs, table):
    """Cumulative bending (rad) of a ray on its table grid x_i = i * RAY_XSTEP."""
    table[0] = 0.0
    step = ray[RAY_XSTEP]
    for i in range(1, table.shape[0]):
        table[i] = table[i - 1] + _bending_between((i - 1) * step, i * step, ray[RAY_C], ray[RAY_GAP],
                                                   ray[RAY_R_LOW], rs, n0, hs)


@njit(cache=True)
def _ray_theta(r, ray, bend, rs, n0, hs):
    """Central angle (rad) from the antenna at which a ray reaches radius r (m) on its rising
    branch, given the bending ``bend`` (rad) accumulated up to r; NaN below its lowest radius."""
    r_low = ray[RAY_R_LOW]
    if r < r_low:
        return math.nan
    c = ray[RAY_C]
    q = _refractivity(r, rs, n0, hs)
    u = r * (1.0 + q)
    du = (r - r_low) + r * q - r_low * _refractivity(r_low, rs, n0, hs) + ray[RAY_GAP]
    geo = math.atan2(math.sqrt(max(du, 0.0) * (u + c)), c)  # acos(c / u) without cancellation
    return ray[RAY_OFFSET] + geo + bend


@njit(cache=True)
def _table_bend(r, ray, table):
    """Bending (rad) of a tabulated ray up to radius r >= its lowest radius (linear in x)."""
    f = math.sqrt(max(r - ray[RAY_R_LOW], 0.0)) / ray[RAY_XSTEP]
    n_tab = table.shape[0]
    if f >= n_tab - 1:
        return table[n_tab - 1]
    i = int(f)
    w = f - i
    return (1.0 - w) * table[i] + w * table[i + 1]


@njit(cache=True)
def _in_elevation(p, row, rays, ea, eb):
    """Whether p lies within the radar's elevation limits (refracted elevation) and in sight.

    Effective-Earth models: the 4/3-Earth test. "atmosphere": above the antenna, p must lie
    between the rays leaving at the lowest usable elevation (the mask or the grazing ray) and at
    ``max_elevation``; below the antenna's height the effective-Earth test with the factor k of
    the profile's gradient at the antenna (short, low paths)."""
    theta, h = _polar(p, row, ea, eb)
    rloc = row[R_RLOC]
    ant = row[R_ANT]
    if row[R_MODEL] != 0.0 or h < ant:
        el = _effective_elevation(theta, h, rloc, ant, row[R_K])
        return row[R_EL_MIN] <= el <= row[R_EL_MAX]
    r = rloc + h
    n0 = row[R_N0]
    hs = row[R_HS]
    lo = row[R_RAY_MIN:R_RAY_MIN + RAY_SIZE]
    if not theta <= _ray_theta(r, lo, _table_bend(r, lo, rays[0]), rloc, n0, hs):
        return False
    hi = row[R_RAY_MAX:R_RAY_MAX + RAY_SIZE]
    if hi[RAY_ON] != 0.0 and theta < _ray_theta(r, hi, _table_bend(r, hi, rays[1]), rloc, n0, hs):
        return False
    return True


@njit(cache=True)
def _status(p, t, row, rays, rdet, separation, ea, eb):
    """0: outside coverage, 1: inside coverage but beyond detection range, 2: detectable, for a
    point p at time t (s after launch); rdet = (range against the body before ``separation``,
    range against the warehead from then on) (m). Cheap tests first: range, azimuth, elevation."""
    rng, az = _range_az(p, row)
    if rng > row[R_MAX_RANGE]:
        return 0
    if row[R_FIXED] != 0.0:
        d = az - row[R_BORE]
        d = (d + math.pi) % (2.0 * math.pi) - math.pi
        if abs(d) > row[R_HALF]:
            return 0
    if not _in_elevation(p, row, rays, ea, eb):
        return 0
    if rng > (rdet[0] if t < separation else rdet[1]):
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
def _refine(p0, v0, p1, v1, t0, dt, level, was_in, row, rays, rdet, separation, ea, eb, tmp):
    """Time where (status >= level) flips between samples t0 and t0 + dt. Returns the first
    time inside when entering, the last time inside when leaving."""
    lo = 0.0
    hi = 1.0
    for _ in range(_REFINE_ITER):
        mid = 0.5 * (lo + hi)
        _hermite(p0, v0, p1, v1, dt, mid, tmp)
        inside = _status(tmp, t0 + dt * mid, row, rays, rdet, separation, ea, eb) >= level
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
def _radar_batch(time, pos, vel, rdet, separation, params, rays, ea, eb, vis, det, nvis, ndet):
    """Coverage intervals of N sampled flights in S radars.

    rdet: (N, S, 2) detection ranges against the body (before ``separation`` (N,) s) and the
    warhead (m); params: (S, N_RADAR) packed radar rows (R_* names); rays: (S, 2, RAY_TABLE).
    vis, det: (N, S, K, 2) start/end of intervals with status >= 1 / >= 2 (NaN-filled on input);
    nvis, ndet: (N, S) number of intervals found (may exceed K; only K are stored)."""
    n_thr = pos.shape[0]
    n_smp = pos.shape[1]
    n_sen = params.shape[0]
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
            row = params[j]
            prev = 0
            last_m = -1
            skip_to = 0
            for m in range(n_smp):
                if m < skip_to:
                    continue
                if math.isnan(pos[i, m, 0]):
                    break
                st = _status(pos[i, m], time[m], row, rays[j], rdet[i, j], separation[i], ea, eb)
                if st == 0 and prev == 0:
                    rng, _ = _range_az(pos[i, m], row)
                    excess = rng - row[R_MAX_RANGE]
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
                                         time[m] - time[m - 1], level, was_in, row, rays[j], rdet[i, j],
                                         separation[i], ea, eb, tmp)
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


@njit(cache=True)
def _grazing_elevation(r0, rs, n0, hs):
    """Elevation (rad, <= 0) of the ray from radius r0 that grazes the surface rs."""
    ratio = rs * (1.0 + n0) / (r0 * (1.0 + _refractivity(r0, rs, n0, hs)))
    return -math.acos(ratio) if ratio < 1.0 else 0.0


@njit(cache=True)
def _ray_theta_direct(r, e, r0, rs, n0, hs, top, ray):
    """Central angle (rad) at which the ray leaving radius r0 at elevation e reaches radius r on
    its rising branch (bending integrated directly, not tabulated); NaN below its lowest point."""
    _make_ray(e, r0, rs, n0, hs, top, ray)
    if r < ray[RAY_R_LOW]:
        return math.nan
    x_end = math.sqrt(min(r, top) - ray[RAY_R_LOW])
    bend = _bending_panels(x_end, ray[RAY_C], ray[RAY_GAP], ray[RAY_R_LOW], rs, n0, hs)
    return _ray_theta(r, ray, bend, rs, n0, hs)


@njit(cache=True)
def _apparent_elevation(p, row, top, ea, eb, ray):
    """Refracted elevation (rad) of p from a radar row; -pi when the Earth blocks the line of
    sight. "atmosphere": the elevation at which a ray leaves the antenna to reach p, found by
    bisection (points below the antenna's height: the effective Earth of the local gradient)."""
    theta, h = _polar(p, row, ea, eb)
    rloc = row[R_RLOC]
    ant = row[R_ANT]
    if row[R_MODEL] != 0.0 or h < ant:
        return _effective_elevation(theta, h, rloc, ant, row[R_K])
    r = rloc + h
    r0 = rloc + ant
    n0 = row[R_N0]
    hs = row[R_HS]
    lo = _grazing_elevation(r0, rloc, n0, hs)
    if theta > _ray_theta_direct(r, lo, r0, rloc, n0, hs, top, ray):
        return -math.pi
    hi = 0.5 * math.pi
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        if _ray_theta_direct(r, mid, r0, rloc, n0, hs, top, ray) > theta:
            lo = mid  # the ray at mid passes the target's radius further out: aim higher
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(cache=True, parallel=True)
def _look_batch(pos, row, top, ea, eb, out):
    for i in prange(pos.shape[0]):
        ray = np.empty(RAY_SIZE)
        rng, az = _range_az(pos[i], row)
        out[i, 0] = rng
        out[i, 1] = az
        out[i, 2] = _apparent_elevation(pos[i], row, top, ea, eb, ray)


@njit(cache=True)
def _status_batch(pos, rdet, params, rays, ea, eb, out):
    for i in range(pos.shape[0]):
        out[i] = _status(pos[i], 0.0, params[0], rays[0], rdet[i], 0.0, ea, eb)


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


def _radar_params(radars, earth):
    """Packed kernel parameters: (S, N_RADAR) rows indexed by the R_* names and the (S, 2,
    RAY_TABLE) bending tables of each radar's limiting rays ("atmosphere" model; zeros otherwise)."""
    site, east, north, up, centre, rloc, ant = _site_geometry(radars, earth)
    s_count = len(radars)
    params = np.zeros((s_count, N_RADAR))
    rays = np.zeros((s_count, 2, RAY_TABLE))
    n0 = SURFACE_REFRACTIVITY * 1e-6
    hs = REFRACTIVITY_SCALE_HEIGHT
    for j, r in enumerate(radars):
        row = params[j]
        for at, vec in ((R_SITE, site), (R_EAST, east), (R_NORTH, north), (R_UP, up), (R_CENTRE, centre)):
            row[at:at + 3] = vec[j]
        row[R_RLOC], row[R_ANT] = rloc[j], ant[j]
        row[R_MODEL] = REFRACTION_MODELS.index(r.refraction)
        row[R_FIXED] = 1.0 if r.field == "fixed" else 0.0
        row[R_BORE], row[R_HALF] = r.boresight, r.half_width
        row[R_EL_MIN], row[R_EL_MAX], row[R_MAX_RANGE] = r.min_elevation, r.max_elevation, r.max_range
        row[R_N0], row[R_HS] = n0, hs
        if r.refraction == "4/3-earth":
            row[R_K] = r.refraction_k
        elif r.refraction == "none":
            row[R_K] = 1.0
        else:
            row[R_K] = surface_k(float(ant[j]), float(rloc[j]))
            r0 = rloc[j] + ant[j]
            top = rloc[j] + ATMOSPHERE_TOP
            lowest = max(r.min_elevation, _grazing_elevation(r0, rloc[j], n0, hs))
            _make_ray(lowest, r0, rloc[j], n0, hs, top, row[R_RAY_MIN:R_RAY_MIN + RAY_SIZE])
            _ray_table(row[R_RAY_MIN:R_RAY_MIN + RAY_SIZE], rloc[j], n0, hs, rays[j, 0])
            if r.max_elevation < 0.5 * math.pi - 1e-9:
                _make_ray(r.max_elevation, r0, rloc[j], n0, hs, top, row[R_RAY_MAX:R_RAY_MAX + RAY_SIZE])
                _ray_table(row[R_RAY_MAX:R_RAY_MAX + RAY_SIZE], rloc[j], n0, hs, rays[j, 1])
    return params, rays


def surface_k(antenna_height: float, radius: float = 6_371_000.0) -> float:
    """Effective-Earth factor k = 1 / (1 + R dn/dh) of the reference exponential atmosphere at
    ``antenna_height`` (m) over a sphere of ``radius`` (m): about 1.37 at sea level (the 4/3
    model's 1.33 corresponds to dN/dh = -39 N/km, the profile's surface gradient is -43 N/km)."""
    dndh = -SURFACE_REFRACTIVITY * 1e-6 / REFRACTIVITY_SCALE_HEIGHT * math.exp(-antenna_height / REFRACTIVITY_SCALE_HEIGHT)
    return 1.0 / (1.0 + radius * dndh)


def ray_bending(elevation, antenna_height: float = 0.0, height=None, radius: float = 6_371_000.0):
    """Bending (rad) of a radar ray leaving an antenna ``antenna_height`` (m) above a sphere of
    ``radius`` (m) at apparent ``elevation`` (rad, >= the grazing elevation) through the
    reference exponential atmosphere, accumulated up to ``height`` (m above the surface; None:
    through the whole atmosphere, the total bending tau). Elementwise over ``elevation``."""
    n0 = SURFACE_REFRACTIVITY * 1e-6
    r0 = radius + antenna_height
    top = radius + ATMOSPHERE_TOP
    r_end = top if height is None else radius + min(float(height), ATMOSPHERE_TOP)
    e = np.atleast_1d(np.asarray(elevation, dtype=float))
    out = np.empty(e.shape)
    ray = np.empty(RAY_SIZE)
    for i, ei in enumerate(e):
        _make_ray(float(ei), r0, radius, n0, REFRACTIVITY_SCALE_HEIGHT, top, ray)
        c, gap, r_low = ray[RAY_C], ray[RAY_GAP], ray[RAY_R_LOW]
        total = _bending_panels(math.sqrt(max(r_end - r_low, 0.0)), c, gap, r_low, radius, n0, REFRACTIVITY_SCALE_HEIGHT)
        if ei < 0:  # leaving downwards: also the bending from the antenna down to the perigee
            total += _bending_panels(math.sqrt(r0 - r_low), c, 0.0, r_low, radius, n0, REFRACTIVITY_SCALE_HEIGHT)
        out[i] = total
    return out.reshape(np.shape(elevation)) if np.ndim(elevation) else float(out[0])


def look_angles(radar: Radar, position, earth: Earth = WGS84):
    """Slant range (m), azimuth (rad clockwise from north, geometric) and refracted elevation
    (rad, in the radar's ``refraction`` model; -pi where the Earth blocks the line of sight) of
    Earth-fixed points ``position`` (..., 3) m seen from ``radar``. Returns three arrays of shape
    position.shape[:-1]. With "atmosphere" the elevation is solved by bisection on the ray
    (slow: for analysis, not for the batch kernels, which test the limiting rays instead)."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    params, _ = _radar_params([radar], earth)
    out = np.empty((flat.shape[0], 3))
    _look_batch(flat, params[0], float(params[0, R_RLOC] + ATMOSPHERE_TOP), earth.equatorial_radius,
                earth.polar_radius, out)
    shape = p.shape[:-1]
    return out[:, 0].reshape(shape), out[:, 1].reshape(shape), out[:, 2].reshape(shape)


def coverage_status(radar: Radar, position, rcs, earth: Earth = WGS84) -> np.ndarray:
    """Per Earth-fixed point (..., 3) m with cross-section ``rcs`` (m^2, broadcast): 0 outside
    the radar's coverage (horizon/elevation, field of regard, instrumented range), 1 inside but
    beyond the detection range, 2 detectable. Same compiled test as `detect` uses."""
    p = np.asarray(position, dtype=float)
    flat = np.ascontiguousarray(p.reshape(-1, 3))
    rdet = np.broadcast_to(radar.detection_range(rcs), p.shape[:-1]).reshape(-1)
    params, rays = _radar_params([radar], earth)
    out = np.empty(flat.shape[0], dtype=np.int64)
    _status_batch(flat, np.ascontiguousarray(np.stack([rdet, rdet], axis=1), dtype=float), params, rays,
                  earth.equatorial_radius, earth.polar_radius, out)
    return out.reshape(p.shape[:-1])


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
    rcs, body_rcs, separation = phase_rcs(trajectories)

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
        rdet = np.ascontiguousarray(np.stack([np.stack([r.detection_range(body_rcs), r.detection_range(rcs)], axis=1)
                                              for r in radars], axis=1))  # (N, S, 2): body, warhead
        vis = np.full((n, len(radars), kmax, 2), np.nan)
        det = np.full((n, len(radars), kmax, 2), np.nan)
        nvis = np.zeros((n, len(radars)), dtype=np.int64)
        ndet = np.zeros((n, len(radars)), dtype=np.int64)
        params, rays = _radar_params(radars, earth)
        _radar_batch(time, pos, vel, rdet, np.ascontiguousarray(separation), params, rays, earth.equatorial_radius,
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
    formed = np.full(n, np.nan)  # when the fused track was formed at its sensor
    has = track_sensor >= 0
    formed[has] = sensor_track[np.flatnonzero(has), track_sensor[has]]
    track_on = np.where(~has, "", np.where(formed < separation, "body", "warhead")).astype(object)
    return Timeline(
        sensor_names=tuple(s.name for s in sensors),
        sensor_kinds=tuple("radar" if isinstance(s, Radar) else "launch-detector" for s in sensors),
        fire_control=fc, first_detection=first, sensor_track_time=sensor_track, sensor_report_time=report,
        cued=cued, cue_time=cue_time, cue_sensor=cue_sensor, track_time=track_time, track_sensor=track_sensor,
        visible_start=vis_start, visible_end=vis_end, detect_start=det_start, detect_end=det_end,
        network=net.name, latency=float(net.latency), home=tuple(net.home),
        separation_time=np.asarray(separation, dtype=float), track_on=track_on,
    )


def phase_rcs(trajectories):
    """What a radar sees, phase by phase: (rcs, body_rcs, separation_time), each (N,).

    Before ``separation_time`` (s after launch) the radar sees the missile body, of cross-section
    ``body_rcs`` (m^2); from then on the re-entry vehicle, of ``rcs``. Taken from the trajectory's
    ``body_rcs`` (never below the warhead's rcs: a non-separating missile such as a Scud is its
    own warhead) and ``separation_time``; without them there is no body phase (``rcs`` from
    launch) and the vehicle separates at burnout. `trajectory.aim` fills ``body_rcs`` from the
    threat class (`missile.Missile.body_rcs`, default `missile.BODY_RCS`).
    Spent stages and the post-boost body, which fly on alongside the warhead, are not modelled
    as separate objects (no discrimination model): after separation only the warhead counts.
    Aspect dependence is not modelled (no public source gives it for these classes)."""
    n = len(trajectories)
    rcs = np.ascontiguousarray(np.broadcast_to(np.asarray(trajectories.rcs, dtype=float), (n,)))
    body = getattr(trajectories, "body_rcs", None)
    body = rcs if body is None else np.broadcast_to(np.asarray(body, dtype=float), (n,))
    sep = getattr(trajectories, "separation_time", None)
    sep = trajectories.burnout_time if sep is None else sep
    sep = np.ascontiguousarray(np.broadcast_to(np.asarray(sep, dtype=float), (n,)))
    return rcs, np.ascontiguousarray(np.maximum(body, rcs)), sep


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
