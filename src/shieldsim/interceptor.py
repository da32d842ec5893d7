"""Interceptor kinematics: which points in space an interceptor can reach, and how soon.

An interceptor is described by the handful of figures public analyses use (burn time, burnout
speed and altitude, intercept altitude band, maximum range, launch delay, single-shot kill
probability); every built-in figure carries its source (``shieldsim/data/interceptors.toml``).

Reach model (physics first, nothing about guidance or propulsion design):

* Powered phase: a straight line from the launch site (on the surface) to a burnout point B
  at ``burnout_altitude``, flown in ``burn_time`` at an average speed of half the burnout
  speed, so its length is L = burnout_speed x burn_time / 2. B lies in the vertical plane
  through the site and the ground point of the aim point P, at downrange distance
  x = sqrt(L^2 - h_bo^2) (flat-Earth triangle over this short arc; x = 0 when L < h_bo, a
  vertical climb), but never beyond half the ground distance to P (for points nearly
  overhead). B is placed on a sphere of the site's geocentric radius plus h_bo.
* Coast: a Keplerian arc from B to P (Lambert's problem, short way, zero revolutions) in the
  inertial frame; the Earth turns under it when rotation is on (the launch site and B move
  with the Earth, P is an Earth-fixed point at the intercept time). The burnout speed the arc
  needs is its speed relative to the rotating Earth at B. Arcs that pass below the model
  surface between B and P are rejected: where the arc's perigee lies between B and P, its
  lowest height above the local ellipsoid surface (geodetic height, searched along the arc
  around the perigee) must not be negative; elsewhere the arc's height is concave in time
  and lowest at B or P, which lie above the surface. The coast is in vacuum: drag on the
  interceptor is not modelled, even when ``models.drag`` is on (it matters only for intercepts
  low in the atmosphere, e.g. THAAD's lower band).
* P is reachable at flight time tau (seconds after launch, tau > burn_time) if the needed
  ground-relative burnout speed is at most the interceptor's, P's altitude lies in
  [min_intercept_alt, max_intercept_alt] and its ground range from the site -- the geodesic on
  the model ellipsoid (WGS84) from the site to P's ground point -- is at most ``max_range``.
  The needed speed, as a function of tau, falls to a minimum (near the minimum-energy arc)
  and then rises; shieldsim relies on this single minimum to find the
  earliest arrival (the smallest tau with a low enough speed) by bracketing and regula falsi.
  The kill vehicle's own divert, guidance and seeker are not modelled.

All kernels are Numba-compiled and take arrays of many (site, point, time) at once; public
functions take SI units (radians, metres, seconds, m/s).

Layout exceptions (tests/test_layout.py): the reach kernels take the interceptor's figures packed
(``params``, `P_*`); beyond them they take the site and aim point (3-vectors), the search bounds
and the Earth's constants ``gm``, ``omega``, ``ellipsoid`` in one fixed order shared with
`engagement`, and scratch arrays (``b``, ``v``, ``work``).
Layout exception (`_golden_min`): 13 parameters, see above.
Layout exception (`_crossing`): 13 parameters, see above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit, prange

from .earth import geodesic_direct, geodetic_height_one, surface_distance, surface_distance_one, to_ecef, to_geodetic
from .kepler import lambert_one
from .roots import illinois_update
from .trajectory import Models
from .units import si, unit_of

# indices into the packed parameter vector the kernels take
P_BURN, P_SPEED, P_BO_ALT, P_MIN_ALT, P_MAX_ALT, P_RANGE, P_DELAY = range(7)
N_PARAMS = 7

ARRIVAL_TOL = 1e-3
"""Tolerance (s) of the earliest arrival time found by bisection."""

MIN_COAST = 1.0
"""Shortest coast (s) after burnout considered: intercepts happen after burnout."""

_GOLDEN = 0.5 * (math.sqrt(5.0) - 1.0)


@dataclass(frozen=True)
class Interceptor:
    """An interceptor type, in SI units.

    Attributes:
        name: display name, e.g. "SM-3 Block IIA".
        burn_time: total powered flight, s.
        burnout_speed: speed relative to the rotating Earth at burnout, m/s.
        burnout_altitude: altitude of the burnout point, m.
        min_intercept_alt, max_intercept_alt: the altitude band where its kill vehicle can
            intercept, m.
        max_range: greatest ground range from the launch site to an intercept point, m.
        launch_delay: time from a fire-control track to launch, s.
        sspk: single-shot kill probability (0..1).
        sources: public source (or stated assumption) of each figure, keyed by field name.
    """

    name: str
    burn_time: float
    burnout_speed: float
    burnout_altitude: float
    min_intercept_alt: float
    max_intercept_alt: float
    max_range: float
    launch_delay: float
    sspk: float
    sources: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not (self.burn_time >= 0 and self.burnout_speed > 0 and self.burnout_altitude >= 0):
            raise ValueError(f"{self.name}: burn_time >= 0, burnout_speed > 0 and burnout_altitude >= 0 required")
        if not (0 <= self.min_intercept_alt <= self.max_intercept_alt):
            raise ValueError(f"{self.name}: need 0 <= min_intercept_alt <= max_intercept_alt")
        if not (self.max_range > 0 and self.launch_delay >= 0 and 0 <= self.sspk <= 1):
            raise ValueError(f"{self.name}: need max_range > 0, launch_delay >= 0, 0 <= sspk <= 1")

    def params(self) -> np.ndarray:
        """The packed parameter vector the compiled kernels take."""
        return np.array([self.burn_time, self.burnout_speed, self.burnout_altitude, self.min_intercept_alt,
                         self.max_intercept_alt, self.max_range, self.launch_delay])

    @property
    def powered_length(self) -> float:
        """Length of the straight powered path, m (average speed half the burnout speed)."""
        return 0.5 * self.burnout_speed * self.burn_time


DOCTRINES = ("one-shot", "salvo", "shoot-look-shoot")

TRACK_MODES = ("own", "remote")
"""Values of `Battery.launch_on` and `Battery.engage_on`: the battery's own fire-control radars
only, or any fire-control-quality track of its network."""


@dataclass(frozen=True)
class Battery:
    """A fire unit: where it is, what it fires, how many, and how.

    Attributes:
        name: display name.
        lat, lon: geodetic position of the launchers, radians.
        interceptor: the `Interceptor` it fires.
        inventory: interceptors available (int).
        doctrine: "one-shot", "salvo" (``salvo_size`` rounds at once) or "shoot-look-shoot".
        salvo_size: rounds per salvo.
        side: owner, e.g. "NATO" or "Russia".
        launch_on: which track the battery may launch on (`TRACK_MODES`): ``"own"`` -- only a
            track of one of its own fire-control radars (``own_radars``; other sensors may still
            cue them); ``"remote"`` -- the earliest fire-control-quality track of its network,
            which reaches it after the network latency unless the reporting sensor is a home
            sensor of the network (`sensors.Network`).
        engage_on: whose track may guide the interceptor to the intercept: ``"own"`` -- the
            intercept must happen while one of its own fire-control radars holds a track of the
            threat (from that radar's track time to the end of the detection interval it is
            in); ``"remote"`` -- any fire-control track of the network (no own-radar constraint;
            shieldsim does not check that a remote radar still holds the track at intercept).
        own_radars: names of the battery's own fire-control radars (e.g. a ship's SPY-1); None
            means the home radars of its network (`sensors.Network.home`).

    Defaults (``"remote"``, ``"remote"``) are the behaviour of shieldsim before these fields
    existed: launch and engage on any fire-control track of the network.
    """

    name: str
    lat: float
    lon: float
    interceptor: Interceptor
    inventory: int
    doctrine: str = "one-shot"
    salvo_size: int = 2
    side: str = "NATO"
    launch_on: str = "remote"
    engage_on: str = "remote"
    own_radars: tuple | None = None

    def __post_init__(self):
        if self.doctrine not in DOCTRINES:
            raise ValueError(f"doctrine must be one of {DOCTRINES}, got {self.doctrine!r}")
        for key in ("launch_on", "engage_on"):
            if getattr(self, key) not in TRACK_MODES:
                raise ValueError(f"battery {self.name!r}: {key} must be one of {TRACK_MODES}, "
                                 f"got {getattr(self, key)!r}")
        if self.own_radars is not None:
            object.__setattr__(self, "own_radars", tuple(self.own_radars))
        if self.inventory < 0 or self.salvo_size < 1:
            raise ValueError("inventory >= 0 and salvo_size >= 1 required")


# ---------------------------------------------------------------------------------------------
# catalogue

_FIELDS = {
    "burn_time_s": "burn_time",
    "burnout_speed_kms": "burnout_speed",
    "burnout_alt_km": "burnout_altitude",
    "min_intercept_alt_km": "min_intercept_alt",
    "max_intercept_alt_km": "max_intercept_alt",
    "max_range_km": "max_range",
    "launch_delay_s": "launch_delay",
    "sspk": "sspk",
}
"""Catalogue key (human unit in its suffix, `units`) -> `Interceptor` field (SI)."""


@lru_cache(maxsize=8)
def _catalogue_rows(path: str, mtime_ns: int, size: int) -> dict:
    """The ``[interceptor]`` rows of a catalogue file, parsed once per version of the file
    (scenarios are converted once per study and ensemble member; the rows are only read)."""
    import tomllib

    with open(path, "rb") as fh:
        return tomllib.load(fh)["interceptor"]


def catalogue(path: str | Path | None = None) -> dict[str, Interceptor]:
    """Built-in interceptor types keyed by short name (e.g. ``"sm3-iia"``), read from
    ``shieldsim/data/interceptors.toml`` (or ``path``), converted to SI units."""
    path = Path(path) if path else Path(__file__).parent / "data" / "interceptors.toml"
    stat = path.stat()
    raw = _catalogue_rows(str(path), stat.st_mtime_ns, stat.st_size)
    out = {}
    for key, row in raw.items():
        src = row.get("source", {})
        kwargs, sources = {}, {}
        for toml_key, name in _FIELDS.items():
            kwargs[name] = si(row, toml_key) if unit_of(toml_key) else float(row[toml_key])
            sources[name] = src.get(toml_key, "")
        out[key] = Interceptor(name=row["name"], sources=sources, **kwargs)
    return out


def find(name: str, interceptors: dict[str, Interceptor] | None = None) -> Interceptor:
    """Catalogue entry by key or display name (case and punctuation insensitive)."""
    interceptors = interceptors if interceptors is not None else catalogue()

    def norm(s: str) -> str:
        return "".join(ch for ch in s.lower() if ch.isalnum())

    for key, icp in interceptors.items():
        if norm(key) == norm(name) or norm(icp.name) == norm(name):
            return icp
    raise KeyError(f"unknown interceptor {name!r}; known: {', '.join(interceptors)}")


# ---------------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True, _nrt=False)
def burnout_point(site, p, params, out):
    """Earth-fixed burnout point B (written to ``out``) for an aim point p; returns the ground
    range from the site to p's ground point (m, on the sphere of the site's radius)."""
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    rp = math.sqrt(p[0] ** 2 + p[1] ** 2 + p[2] ** 2)
    cos_phi = (site[0] * p[0] + site[1] * p[1] + site[2] * p[2]) / (rs * rp)
    tx = p[0] / rp - cos_phi * site[0] / rs
    ty = p[1] / rp - cos_phi * site[1] / rs
    tz = p[2] / rp - cos_phi * site[2] / rs
    sin_phi = math.sqrt(tx * tx + ty * ty + tz * tz)
    phi = math.atan2(sin_phi, cos_phi)
    ground = rs * phi
    h_bo = params[P_BO_ALT]
    length = 0.5 * params[P_SPEED] * params[P_BURN]
    x = math.sqrt(length * length - h_bo * h_bo) if length > h_bo else 0.0
    x = min(x, 0.5 * ground)
    phib = x / rs
    cb, sb = math.cos(phib), math.sin(phib)
    scale = rs + h_bo
    if sin_phi < 1e-15:
        for k in range(3):
            out[k] = scale * site[k] / rs
    else:
        out[0] = scale * (cb * site[0] / rs + sb * tx / sin_phi)
        out[1] = scale * (cb * site[1] / rs + sb * ty / sin_phi)
        out[2] = scale * (cb * site[2] / rs + sb * tz / sin_phi)
    return ground


@njit(cache=True, _nrt=False)
def speed_needed_one(site, p, tau, params, gm, omega, ellipsoid, b_ecef, v_rel, work):
    """Ground-relative burnout speed (m/s) needed to be at Earth-fixed point p exactly ``tau``
    seconds after launch from ``site``. Writes the burnout point (Earth-fixed, at burnout) to
    ``b_ecef`` and the Earth-relative burnout velocity in Earth-fixed axes to ``v_rel``.
    Returns inf when no arc exists (coast not positive, degenerate geometry, or an arc that
    passes below the surface of ``ellipsoid`` = (equatorial radius m, flattening), see
    `arc_clears_surface`). ``work`` is scratch space of length >= 9."""
    tc = tau - params[P_BURN]
    if not (tc > 0.0):
        return math.inf
    burnout_point(site, p, params, b_ecef)
    # Inertial frame = Earth-fixed axes at the intercept instant; at burnout (tc earlier) the
    # Earth had turned by -omega tc relative to it.
    c, s = math.cos(omega * tc), math.sin(omega * tc)
    b_in = work[0:3]
    v1 = work[3:6]
    v2 = work[6:9]
    b_in[0] = c * b_ecef[0] + s * b_ecef[1]
    b_in[1] = -s * b_ecef[0] + c * b_ecef[1]
    b_in[2] = b_ecef[2]
    if not lambert_one(b_in, p, tc, gm, v1, v2):
        return math.inf
    vr1 = b_in[0] * v1[0] + b_in[1] * v1[1] + b_in[2] * v1[2]
    vr2 = p[0] * v2[0] + p[1] * v2[1] + p[2] * v2[2]
    if vr1 < 0.0 and vr2 > 0.0:  # perigee passed between B and P: check it clears the surface
        if not arc_clears_surface(b_in, v1, p, gm, ellipsoid[0], ellipsoid[1]):
            return math.inf
    # Earth-relative velocity in inertial axes, then rotated into Earth-fixed axes at burnout.
    wx = v1[0] + omega * b_in[1]
    wy = v1[1] - omega * b_in[0]
    wz = v1[2]
    v_rel[0] = c * wx - s * wy
    v_rel[1] = s * wx + c * wy
    v_rel[2] = wz
    return math.sqrt(wx * wx + wy * wy + wz * wz)


_ARC_SAMPLES = 16


@njit(cache=True, _nrt=False)
def _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, nu, a_eq, f):
    """Geodetic height (m) above the ellipsoid (a_eq, f) of the conic point at true anomaly nu
    (perifocal unit vectors P, Q; semi-latus rectum m; eccentricity). Rotation about z leaves
    it unchanged, so inertial coordinates serve."""
    r = semi_latus / (1.0 + ecc * math.cos(nu))
    c, s = math.cos(nu), math.sin(nu)
    return geodetic_height_one(r * (c * px + s * qx), r * (c * py + s * qy), r * (c * pz + s * qz), a_eq, f)[1]


@njit(cache=True, _nrt=False)
def arc_clears_surface(r1, v1, r2, gm, a_eq, f):
    """True if the conic arc from r1 (velocity v1) to r2 (m, m/s; inertial, the perigee passed
    between them) stays on or above the ellipsoid of equatorial radius a_eq (m) and flattening
    f. The perigee radius settles most arcs (above the equator's radius: clear; below the
    pole's: not); otherwise the geodetic height is sampled over the true anomaly from r1 to r2
    and its minimum refined by golden section, stopping as soon as a point below is found."""
    hx = r1[1] * v1[2] - r1[2] * v1[1]
    hy = r1[2] * v1[0] - r1[0] * v1[2]
    hz = r1[0] * v1[1] - r1[1] * v1[0]
    h2 = hx * hx + hy * hy + hz * hz
    hn = math.sqrt(h2)
    rn = math.sqrt(r1[0] ** 2 + r1[1] ** 2 + r1[2] ** 2)
    semi_latus = h2 / gm
    # eccentricity vector e = v x h / gm - r / |r|
    ex = (v1[1] * hz - v1[2] * hy) / gm - r1[0] / rn
    ey = (v1[2] * hx - v1[0] * hz) / gm - r1[1] / rn
    ez = (v1[0] * hy - v1[1] * hx) / gm - r1[2] / rn
    ecc = math.sqrt(ex * ex + ey * ey + ez * ez)
    r_peri = semi_latus / (1.0 + ecc)
    if r_peri >= a_eq:
        return True
    if r_peri < a_eq * (1.0 - f):
        return False
    if ecc > 1e-12:
        px, py, pz = ex / ecc, ey / ecc, ez / ecc
    else:  # circular: any in-plane axis will do
        px, py, pz = r1[0] / rn, r1[1] / rn, r1[2] / rn
    qx = (hy * pz - hz * py) / hn
    qy = (hz * px - hx * pz) / hn
    qz = (hx * py - hy * px) / hn
    nu1 = math.atan2(r1[0] * qx + r1[1] * qy + r1[2] * qz, r1[0] * px + r1[1] * py + r1[2] * pz)
    nu2 = math.atan2(r2[0] * qx + r2[1] * qy + r2[2] * qz, r2[0] * px + r2[1] * py + r2[2] * pz)
    if nu2 < nu1:
        nu2 += 2.0 * math.pi
    step = (nu2 - nu1) / _ARC_SAMPLES
    best_nu, best_h = nu1, math.inf
    for k in range(_ARC_SAMPLES + 1):
        nu = nu1 + k * step
        h = _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, nu, a_eq, f)
        if h < 0.0:
            return False
        if h < best_h:
            best_nu, best_h = nu, h
    lo, hi = max(nu1, best_nu - step), min(nu2, best_nu + step)
    x1 = hi - _GOLDEN * (hi - lo)
    x2 = lo + _GOLDEN * (hi - lo)
    h1 = _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, x1, a_eq, f)
    h2_ = _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, x2, a_eq, f)
    for _ in range(100):
        if h1 < 0.0 or h2_ < 0.0:
            return False
        if hi - lo <= 1e-10:
            break
        if h1 <= h2_:
            hi, x2, h2_ = x2, x1, h1
            x1 = hi - _GOLDEN * (hi - lo)
            h1 = _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, x1, a_eq, f)
        else:
            lo, x1, h1 = x1, x2, h2_
            x2 = lo + _GOLDEN * (hi - lo)
            h2_ = _arc_height(px, py, pz, qx, qy, qz, semi_latus, ecc, x2, a_eq, f)
    return True


@njit(cache=True, _nrt=False)
def _excess(site, p, tau, params, gm, omega, ellipsoid, b, v, work):
    """Needed minus available ground-relative burnout speed (m/s) to be at p at flight time tau
    (s after launch); <= 0 where p is reachable then, inf where no arc exists."""
    return speed_needed_one(site, p, tau, params, gm, omega, ellipsoid, b, v, work) - params[P_SPEED]


@njit(cache=True, _nrt=False)
def _golden_min(site, p, lo, hi, params, gm, omega, ellipsoid, b, v, work, tol, stop_when_feasible):
    """Minimum of the needed speed excess over flight times in [lo, hi] (golden section);
    with ``stop_when_feasible`` it returns as soon as a time with excess <= 0 is found."""
    x1 = hi - _GOLDEN * (hi - lo)
    x2 = lo + _GOLDEN * (hi - lo)
    f1 = _excess(site, p, x1, params, gm, omega, ellipsoid, b, v, work)
    f2 = _excess(site, p, x2, params, gm, omega, ellipsoid, b, v, work)
    for _ in range(200):
        if hi - lo <= tol:
            break
        if stop_when_feasible and (f1 <= 0.0 or f2 <= 0.0):
            break
        if f1 <= f2:
            hi = x2
            x2, f2 = x1, f1
            x1 = hi - _GOLDEN * (hi - lo)
            f1 = _excess(site, p, x1, params, gm, omega, ellipsoid, b, v, work)
        else:
            lo = x1
            x1, f1 = x2, f2
            x2 = lo + _GOLDEN * (hi - lo)
            f2 = _excess(site, p, x2, params, gm, omega, ellipsoid, b, v, work)
    if f1 <= f2:
        return x1, f1
    return x2, f2


@njit(cache=True, _nrt=False)
def feasible_time_one(site, p, tau_hi, params, gm, omega, ellipsoid, b, v, work):
    """A flight time tau in [burn_time + MIN_COAST, tau_hi] (s after launch) at which point p
    can be reached: tau_hi itself when that works, NaN when no such time exists.

    Uses the single minimum of the needed speed over tau: if the speed at tau_hi is too high
    and still falling there, no earlier time works either; if it is rising, a golden-section
    search over [tau_lo, tau_hi] looks for a time that works (stopping at the first found)."""
    tau_lo = params[P_BURN] + MIN_COAST
    if not (tau_hi >= tau_lo):
        return math.nan
    f_hi = _excess(site, p, tau_hi, params, gm, omega, ellipsoid, b, v, work)
    if f_hi <= 0.0:
        return tau_hi
    delta = min(0.5, 0.5 * (tau_hi - tau_lo))
    if delta <= 0.0:
        return math.nan
    f_d = _excess(site, p, tau_hi - delta, params, gm, omega, ellipsoid, b, v, work)
    if not (f_d < f_hi):
        return math.nan  # falling (or infeasible) at tau_hi: the minimum lies beyond tau_hi
    t_min, f_min = _golden_min(site, p, tau_lo, tau_hi, params, gm, omega, ellipsoid, b, v, work, 1e-2, True)
    if f_min > 0.0:
        return math.nan
    return t_min


@njit(cache=True, _nrt=False)
def arrival_before(site, p, tau_f, f_f, params, gm, omega, ellipsoid, b, v, work):
    """Earliest flight time at which p can be reached, given a feasible flight time tau_f and the
    speed excess ``f_f`` there (`_excess`; NaN: not known, solved here)."""
    tau_lo = params[P_BURN] + MIN_COAST
    f_lo = _excess(site, p, tau_lo, params, gm, omega, ellipsoid, b, v, work)
    if f_lo <= 0.0:
        return tau_lo
    f_hi = _excess(site, p, tau_f, params, gm, omega, ellipsoid, b, v, work) if math.isnan(f_f) else f_f
    return _crossing(site, p, tau_lo, f_lo, tau_f, f_hi, params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, _nrt=False)
def arrival_near(site, p, tau_f, f_f, guess, params, gm, omega, ellipsoid, b, v, work):
    """As `arrival_before` (``f_f`` as there), warm-started from a ``guess`` of the answer (e.g.
    the earliest arrival at a neighbouring point): the crossing is bracketed by steps of 1, 2,
    4 ... s from the guess, then refined. Falls back to `arrival_before` without a usable guess."""
    tau_lo = params[P_BURN] + MIN_COAST
    if not (guess > tau_lo and guess < tau_f):
        return arrival_before(site, p, tau_f, f_f, params, gm, omega, ellipsoid, b, v, work)
    fg = _excess(site, p, guess, params, gm, omega, ellipsoid, b, v, work)
    d = 1.0
    if fg <= 0.0:  # the feasible interval contains the guess: step down out of it
        hi, f_hi = guess, fg
        while True:
            lo = hi - d
            if lo <= tau_lo:
                f_lo = _excess(site, p, tau_lo, params, gm, omega, ellipsoid, b, v, work)
                if f_lo <= 0.0:
                    return tau_lo
                lo = tau_lo
                break
            f_lo = _excess(site, p, lo, params, gm, omega, ellipsoid, b, v, work)
            if f_lo > 0.0:
                break
            hi, f_hi = lo, f_lo
            d *= 2.0
    else:  # the guess is too early: step up into the feasible interval (tau_f is in it)
        lo, f_lo = guess, fg
        while True:
            hi = lo + d
            if hi >= tau_f:
                hi = tau_f
                f_hi = _excess(site, p, hi, params, gm, omega, ellipsoid, b, v, work) if math.isnan(f_f) else f_f
                break
            f_hi = _excess(site, p, hi, params, gm, omega, ellipsoid, b, v, work)
            if f_hi <= 0.0:
                break
            lo, f_lo = hi, f_hi
            d *= 2.0
    return _crossing(site, p, lo, f_lo, hi, f_hi, params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, _nrt=False)
def earliest_arrival_one(site, p, tau_hi, params, gm, omega, ellipsoid, b, v, work):
    """Smallest flight time tau (s after launch) in [burn_time + MIN_COAST, tau_hi] at which
    point p can be reached (to ``ARRIVAL_TOL``), NaN if none. Altitude and range limits are
    not checked here."""
    tau_f = feasible_time_one(site, p, tau_hi, params, gm, omega, ellipsoid, b, v, work)
    if math.isnan(tau_f):
        return math.nan
    return arrival_before(site, p, tau_f, math.nan, params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, _nrt=False)
def _crossing(site, p, lo, f_lo, hi, f_hi, params, gm, omega, ellipsoid, b, v, work):
    """Smallest tau in (lo, hi] with excess <= 0, given excess(lo) > 0 >= excess(hi): Illinois
    regula falsi while both ends are finite, bisection otherwise; to ``ARRIVAL_TOL``."""
    side = np.int64(0)  # not a literal 0: `illinois_update` compiles for int64 only
    for _ in range(200):
        if hi - lo <= ARRIVAL_TOL:
            break
        if math.isfinite(f_lo) and math.isfinite(f_hi) and f_lo != f_hi:
            x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
            # keep the trial well inside the bracket so both ends keep moving
            x = min(max(x, lo + 0.1 * ARRIVAL_TOL), hi - 0.1 * ARRIVAL_TOL)
        else:
            x = 0.5 * (lo + hi)
        fx = _excess(site, p, x, params, gm, omega, ellipsoid, b, v, work)
        lo, f_lo, hi, f_hi, side = illinois_update(x, fx, fx <= 0.0, lo, f_lo, hi, f_hi, side)
        if abs(fx) < 1e-9 and fx <= 0.0:
            break
    return hi


@njit(cache=True, _nrt=False)
def _ground_range(site, p, ellipsoid):
    """Ground range (m) from the Earth-fixed site to the ground point of p (m): the geodesic
    on the ellipsoid (equatorial radius, flattening) between their geodetic positions
    (Vincenty's inverse formula; inf where it does not converge, which happens only for
    nearly antipodal points, far beyond any interceptor's range)."""
    a_eq, f = ellipsoid[0], ellipsoid[1]
    lat1 = geodetic_height_one(site[0], site[1], site[2], a_eq, f)[0]
    lat2 = geodetic_height_one(p[0], p[1], p[2], a_eq, f)[0]
    d = surface_distance_one(lat1, math.atan2(site[1], site[0]), lat2, math.atan2(p[1], p[0]), a_eq, f)
    return math.inf if math.isnan(d) else d


@njit(cache=True, _nrt=False)
def within_limits(site, p, alt, params, ellipsoid):
    """True if a point at altitude ``alt`` (m) lies in the interceptor's altitude band and
    within its maximum ground range (geodesic on ``ellipsoid``) of the site."""
    if not (alt >= params[P_MIN_ALT] and alt <= params[P_MAX_ALT]):
        return False
    return _ground_range(site, p, ellipsoid) <= params[P_RANGE]


@njit(cache=True, _nrt=False)
def max_coast_speed(params, rs, gm, omega):
    """Upper bound (m/s) on the inertial speed anywhere on a coast: the burnout speed plus the
    Earth's surface speed, plus what falling from burnout altitude to below the lowest
    surface point (6 350 km) could add."""
    v0 = params[P_SPEED] + omega * (rs + params[P_BO_ALT])
    return math.sqrt(v0 * v0 + 2.0 * gm * max(0.0, 1.0 / 6.35e6 - 1.0 / (rs + params[P_BO_ALT])))


@njit(cache=True, parallel=True)
def _reach_kernel(site, p, tau, params, gm, omega, ellipsoid, speed, b_out, v_out):
    for i in prange(p.shape[0]):
        work = np.empty(9)
        speed[i] = speed_needed_one(site[i], p[i], tau[i], params, gm, omega, ellipsoid, b_out[i], v_out[i], work)


@njit(cache=True, parallel=True)
def _earliest_kernel(site, p, tau_hi, params, gm, omega, ellipsoid, out):
    for i in prange(p.shape[0]):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        out[i] = earliest_arrival_one(site[i], p[i], tau_hi[i], params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, parallel=True)
def _min_speed_kernel(site, p, tau_hi, params, gm, omega, ellipsoid, tol, out_tau, out_speed):
    for i in prange(p.shape[0]):
        work = np.empty(9)
        b = np.empty(3)
        v = np.empty(3)
        t, f = _golden_min(site[i], p[i], params[P_BURN] + MIN_COAST, tau_hi[i], params, gm, omega, ellipsoid,
                           b, v, work, tol, False)
        out_tau[i] = t
        out_speed[i] = f + params[P_SPEED]


# ---------------------------------------------------------------------------------------------
# public API


@dataclass
class Reach:
    """Arcs from a launch site to N points, in SI units (Earth-fixed axes).

    Attributes:
        reachable: (N,) the point is reachable at ``flight_time`` (speed and limits).
        flight_time: (N,) seconds from launch to arrival at the point; NaN if none.
        speed_needed: (N,) ground-relative burnout speed the arc needs, m/s (inf if none).
        in_limits: (N,) the point lies in the altitude band and within maximum range.
        burnout_time: seconds from launch to burnout (the interceptor's burn time).
        burnout_position: (N, 3) Earth-fixed burnout point at the burnout instant, m.
        burnout_velocity: (N, 3) Earth-relative velocity at burnout, Earth-fixed axes, m/s.
        altitude, ground_range: (N,) the point's geodetic altitude and ground range from the
            site (geodesic on the model ellipsoid to the point's ground position), m.
        models: the model switches used.
    """

    reachable: np.ndarray
    flight_time: np.ndarray
    speed_needed: np.ndarray
    in_limits: np.ndarray
    burnout_time: float
    burnout_position: np.ndarray
    burnout_velocity: np.ndarray
    altitude: np.ndarray
    ground_range: np.ndarray
    models: Models


def _setup(site_lat, site_lon, point, models):
    point = np.ascontiguousarray(np.atleast_2d(np.asarray(point, dtype=float)))
    n = point.shape[0]
    lat = np.broadcast_to(np.asarray(site_lat, dtype=float), (n,))
    lon = np.broadcast_to(np.asarray(site_lon, dtype=float), (n,))
    site = np.ascontiguousarray(to_ecef(lat, lon, 0.0, models.earth).reshape(n, 3))
    omega = models.earth.rotation_rate if models.rotation else 0.0
    _, _, alt = to_geodetic(point, models.earth)
    return site, point, omega, np.atleast_1d(alt)


def ellipsoid_of(earth) -> np.ndarray:
    """The (equatorial radius m, flattening) pair the compiled kernels take for an
    `earth.Earth`: arcs must clear its surface, ranges are its geodesics."""
    return np.array([earth.equatorial_radius, earth.flattening])


def reach(interceptor: Interceptor, site_lat, site_lon, point, flight_time, models: Models = Models()) -> Reach:
    """Can ``interceptor`` launched from (site_lat, site_lon) (radians, scalars or (N,)) be at
    Earth-fixed ``point`` (N, 3) m exactly ``flight_time`` s (scalar or (N,)) after launch?"""
    site, point, omega, alt = _setup(site_lat, site_lon, point, models)
    n = point.shape[0]
    tau = np.ascontiguousarray(np.broadcast_to(np.asarray(flight_time, dtype=float), (n,)))
    params = interceptor.params()
    speed = np.empty(n)
    b = np.full((n, 3), np.nan)
    v = np.full((n, 3), np.nan)
    _reach_kernel(site, point, tau, params, models.earth.gm, omega, ellipsoid_of(models.earth), speed, b, v)
    ground = _ground_batch(site, point, models.earth)
    in_limits = _in_limits(interceptor, alt, ground)
    ok = np.isfinite(speed)
    b[~ok] = np.nan
    v[~ok] = np.nan
    return Reach(reachable=ok & (speed <= interceptor.burnout_speed) & in_limits, flight_time=tau.copy(),
                 speed_needed=speed, in_limits=in_limits, burnout_time=interceptor.burn_time,
                 burnout_position=b, burnout_velocity=v, altitude=alt, ground_range=ground, models=models)


def _ground_batch(site, point, earth):
    """Batch twin of `_ground_range`: ground range (m), the geodesic on ``earth``, from sites
    (N, 3) to the ground points of ``point`` (N, 3), Earth-fixed m."""
    lat1, lon1, _ = to_geodetic(site, earth)
    lat2, lon2, _ = to_geodetic(point, earth)
    return np.asarray(surface_distance(lat1, lon1, lat2, lon2, earth), dtype=float)


def _in_limits(interceptor: Interceptor, alt, ground) -> np.ndarray:
    """NumPy twin of `within_limits`: altitude ``alt`` (m) in the intercept band and ground range
    ``ground`` (m) within the maximum range."""
    return (alt >= interceptor.min_intercept_alt) & (alt <= interceptor.max_intercept_alt) & (
        ground <= interceptor.max_range)


def earliest_arrival(interceptor: Interceptor, site_lat, site_lon, point, models: Models = Models(),
                     max_time: float = 3600.0) -> Reach:
    """Earliest time after launch at which ``interceptor`` from (site_lat, site_lon) (radians)
    can reach each Earth-fixed ``point`` (N, 3) m, searched up to ``max_time`` s, with the
    burnout state of that arc. Points outside the altitude band or maximum range, or beyond
    reach, get NaN times and ``reachable`` False."""
    site, point, omega, alt = _setup(site_lat, site_lon, point, models)
    n = point.shape[0]
    params = interceptor.params()
    tau = np.empty(n)
    _earliest_kernel(site, point, np.full(n, float(max_time)), params, models.earth.gm, omega, ellipsoid_of(models.earth), tau)
    ground = _ground_batch(site, point, models.earth)
    in_limits = _in_limits(interceptor, alt, ground)
    tau = np.where(in_limits, tau, np.nan)
    ok = np.isfinite(tau)
    out = reach(interceptor, site_lat, site_lon, point, np.where(ok, tau, interceptor.burn_time + MIN_COAST), models)
    out.flight_time = tau
    out.reachable = ok & out.reachable
    for arr in (out.burnout_position, out.burnout_velocity):
        arr[~ok] = np.nan
    out.speed_needed = np.where(ok, out.speed_needed, np.nan)
    return out


def minimum_speed(interceptor: Interceptor, site_lat, site_lon, point, models: Models = Models(),
                  max_time: float = 3600.0, tol: float = 1e-6):
    """Lowest ground-relative burnout speed (m/s) with which ``interceptor``'s powered phase
    and a coast reach each Earth-fixed ``point`` (N, 3), over flight times up to ``max_time``
    s, and the flight time (s after launch) of that arc. Limits are not applied."""
    site, point, omega, _ = _setup(site_lat, site_lon, point, models)
    n = point.shape[0]
    t = np.empty(n)
    v = np.empty(n)
    _min_speed_kernel(site, point, np.full(n, float(max_time)), interceptor.params(), models.earth.gm, omega,
                      ellipsoid_of(models.earth), float(tol), t, v)
    return v, t


@dataclass
class FlyoutFan:
    """Where an interceptor can be by each time after launch, in one vertical plane.

    Attributes:
        times: (T,) seconds after launch.
        ground_range: (R,) ground range from the site, m.
        altitude: (A,) altitude, m.
        earliest: (R, A) earliest arrival time after launch at each grid point, s (NaN if
            out of reach or outside the altitude band / maximum range).
        reachable: (T, R, A) the point can be reached by time ``times[t]``.
        heading: azimuth of the plane, radians clockwise from north.
        interceptor: the interceptor's name.
        models: the model switches used.
    """

    times: np.ndarray
    ground_range: np.ndarray
    altitude: np.ndarray
    earliest: np.ndarray
    reachable: np.ndarray
    heading: float
    interceptor: str
    models: Models


def flyout_fan(interceptor: Interceptor, site, times, models: Models = Models(),
               heading: float = 0.0, ranges=None, altitudes=None) -> FlyoutFan:
    """Reachable envelope (ground range vs altitude) by each of ``times`` (s after launch) in
    the vertical plane through ``site`` = (lat, lon) (radians) along ``heading`` (rad
    clockwise from north): a grid point is inside at time t if its earliest arrival is <= t.
    Default grid: 120 ranges up to the maximum range and 100 altitudes up to the ceiling
    (cell centres)."""
    site_lat, site_lon = (float(x) for x in site)

    times = np.atleast_1d(np.asarray(times, dtype=float))
    if ranges is None:  # cell centres, so grid points never sit exactly on a limit
        ranges = (np.arange(120) + 0.5) * (interceptor.max_range / 120)
    if altitudes is None:
        altitudes = (np.arange(100) + 0.5) * (interceptor.max_intercept_alt / 100)
    ranges = np.asarray(ranges, dtype=float)
    altitudes = np.asarray(altitudes, dtype=float)
    rr, aa = np.meshgrid(ranges, altitudes, indexing="ij")
    lat, lon = geodesic_direct(site_lat, site_lon, heading, rr.ravel(), models.earth)
    pts = to_ecef(lat, lon, aa.ravel(), models.earth)
    arr = earliest_arrival(interceptor, site_lat, site_lon, pts, models, max_time=float(times.max()))
    earliest = arr.flight_time.reshape(rr.shape)
    with np.errstate(invalid="ignore"):
        reachable = earliest[None, :, :] <= times[:, None, None]
    return FlyoutFan(times=times, ground_range=ranges, altitude=altitudes, earliest=earliest, reachable=reachable,
                     heading=float(heading), interceptor=interceptor.name, models=models)

