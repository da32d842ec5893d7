"""Threat classes and their boost phase, from public parametric figures.

A class is described by the figures published analyses use: the burn time of each stage,
the burnout speed, the ballistic coefficient and radar cross-section of the re-entry vehicle,
and the range the class is meant to reach; every figure carries its source
(``shieldsim/data/missiles.toml``). No propellant chemistry and no vehicle design enter.

Boost model (a point mass on the rotating Earth, integrated in the inertial frame that
coincides with Earth-fixed axes at launch):

* gravity: point mass, GM of the Earth model;
* drag: rho |v_air| v_air / (2 beta_boost) with the air co-rotating with the Earth and rho from
  `shieldsim.atmosphere` (the 1976 standard's closed-form layers, at the height above the
  ellipsoid along the radius; only when ``models.drag`` is on); ``beta_boost`` is one
  order-of-magnitude ballistic coefficient of the whole missile during the boost;
* thrust: each stage burns with constant thrust while its mass falls, so its acceleration
  grows as A_k / (1 - t'/tau_k) (t' time since its ignition) from A_k at ignition to
  ``stage_accel_ratio`` x A_k at its end; stages fire back to back. The accelerations are shared out by ``stage_speed_fractions``
  and scaled together so
  that the flight of greatest range (full burn, best pitch-over) on the non-rotating sphere
  with drag burns out at the published ``burnout_speed``: the ideal delta-v is the published
  burnout speed plus the gravity and drag losses that the integration itself produces
  (`boost_profile`).
* steering: a vertical rise for ``vertical_rise`` seconds, then the thrust tilts linearly over
  ``pitch_over`` seconds to the *kick angle* from the vertical in the plane of the launch
  heading, then a gravity turn (thrust along the air-relative velocity) to burnout.
* energy management: thrust stops at ``cutoff`` x (total burn time); a cutoff below 1
  shortens the last burning stage (or leaves later stages unfired), lowering the burnout speed.

The kick angle and the cutoff are the two shaping controls that `trajectory.aim` solves for;
burnout time, altitude, downrange and flight-path angle come out of the integration.
All public functions take SI units (radians, metres, seconds, m/s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np

from . import buffers
from .atmosphere import density_table
from .boost_kernel import (  # noqa: F401  (the kernel's slots and functions, used here and re-exported)
    B_A, B_ACC, B_B, B_BETA, B_BETA_BOOST, B_BETA_COAST, B_BOTTOM, B_DRAG, B_DT, B_GM, B_H0, B_KICK, B_N0, B_OMEGA,
    B_PHASE, B_SAMPLE_DT, B_SIZE, B_STEP, B_T_IGN, B_T_PITCH, B_T_VERT, B_TAU, B_TOP, S_ACC, S_END, S_TAU,
    _boost_batch, _boost_deriv, _breakpoints, _set_segment, batch_kernel, boost_one,
)
from .earth import SPHERE, WGS84, Earth, enu_basis, fixed_state, surface_distance, to_ecef, to_geodetic
from .kepler import flight_path_angle, propagate, time_to_radius
from .units import si

BOOST_STEP = 8.0
"""Nominal step (s) of the boost integration without drag: eighth-order Runge-Kutta
(`integrator.rk8_step`; segments end exactly at every change of the thrust law: end of vertical
rise, of pitch-over, of each stage, cutoff). Against SciPy's adaptive DOP853 at rtol 1e-12 the
burnout state differs by < 0.01 m and < 0.001 m/s (`tests/test_missile.py`); the classical RK4
at 0.5 s it replaces was within 0.2 m and 0.02 m/s at five times the cost."""

BOOST_STEP_DRAG = 8.0
"""Nominal step (s) of the boost integration with drag: the same eighth-order step, which also
ends at every layer edge of the density model up to 86 km the flight crosses (`atmosphere.layer_edges`,
located on the cubic Hermite interpolant of the step: inside a layer the 1976 standard's density
is smooth, at an edge its slope jumps), the rest of the segment divided anew. Against SciPy's
adaptive DOP853 at rtol 1e-12 on the same right-hand side the burnout state differs by < 0.01 m
and < 0.001 m/s (`tests/test_missile.py`). It replaced RK4 at 0.5 s on a log-linear 25 m
density table, whose kink at every node cost any higher-order step its order."""


BODY_RCS = 1.0
"""Default radar cross-section (m^2) of a missile body (booster with its payload section) before
the re-entry vehicle separates: the low end of the order-of-magnitude 1-10 m^2 range for a
booster body. A modelling assumption: no public measured or published value was found in the
stored sources searched (queries on booster radar cross-section, Sessler et al. 'Countermeasures'
(2000), Lewis and Postol on the European radars); the low end is the cautious choice for the
defence (a larger body gives earlier detections)."""


@dataclass(frozen=True)
class Missile:
    """A threat class described by public parametric figures.

    Attributes:
        name: class name used on the command line (e.g. ``"scud-b"``).
        stage_burn_times: burn time of each stage, s (first stage first).
        burnout_speed: speed at burnout of the flight of greatest range, m/s.
        beta: ballistic coefficient m / (C_D A) of the re-entry vehicle, kg/m^2.
        rcs: radar cross-section of the re-entry vehicle (what radars track after it
            separates, at burnout), m^2.
        published_range: the range the class is published to reach, m.
        sources: figure name -> public source text.
        stage_speed_fractions: share of the ideal delta-v given by each stage (sums to 1);
            ``None`` shares it equally.
        vertical_rise: duration of the vertical rise after lift-off, s.
        pitch_over: duration of the linear tilt to the kick angle, s.
        boost_beta: ballistic coefficient of the whole missile during boost, kg/m^2.
        stage_accel_ratio: thrust acceleration at the end of each stage's burn over that at its
            ignition (constant thrust, decreasing mass); > 1.
        propulsion: "liquid" or "solid" (descriptive only).
        description: free text (example systems of the class).
        body_rcs: radar cross-section of the missile body before separation, m^2 (radars use
            the larger of it and ``rcs``: a non-separating missile is its own warhead).
    """

    name: str
    stage_burn_times: tuple
    burnout_speed: float
    beta: float
    rcs: float
    published_range: float
    sources: dict = field(default_factory=dict, hash=False, compare=False)
    stage_speed_fractions: tuple | None = None
    vertical_rise: float = 6.0
    pitch_over: float = 8.0
    boost_beta: float = 20_000.0
    stage_accel_ratio: float = 3.0
    propulsion: str = ""
    description: str = ""
    body_rcs: float = BODY_RCS

    @property
    def burn_time(self) -> float:
        """Total burn time, s."""
        return float(sum(self.stage_burn_times))

    def fractions(self) -> np.ndarray:
        """Share of the ideal delta-v of each stage (equal shares when not given)."""
        n = len(self.stage_burn_times)
        if self.stage_speed_fractions is None:
            return np.full(n, 1.0 / n)
        f = np.asarray(self.stage_speed_fractions, dtype=float)
        return f / f.sum()


@cache
def _catalogue_rows() -> dict:
    """The rows of ``shieldsim/data/missiles.toml``, parsed once per process (scenarios are
    converted once per study and per ensemble member; the rows are only read)."""
    import tomllib
    from importlib.resources import files

    return tomllib.loads(files("shieldsim").joinpath("data/missiles.toml").read_text(encoding="utf-8"))["missile"]


def catalogue() -> dict[str, Missile]:
    """The built-in threat classes, by name, from ``shieldsim/data/missiles.toml``.

    Units in the file are human (``_s``, ``_kms``, ``_km``); the Missile fields are SI.
    """
    out = {}
    for name, row in _catalogue_rows().items():
        out[name] = Missile(
            name=name,
            stage_burn_times=tuple(float(t) for t in row["stage_burn_times_s"]),
            burnout_speed=si(row, "burnout_speed_kms"),
            beta=float(row["beta_kgm2"]),
            rcs=float(row["rcs_m2"]),
            published_range=si(row, "published_range_km"),
            sources=dict(row["source"]),
            stage_speed_fractions=tuple(row["stage_speed_fractions"]) if "stage_speed_fractions" in row else None,
            vertical_rise=float(row.get("vertical_rise_s", 6.0)),
            pitch_over=float(row.get("pitch_over_s", 8.0)),
            boost_beta=float(row.get("boost_beta_kgm2", 20_000.0)),
            stage_accel_ratio=float(row.get("stage_accel_ratio", 3.0)),
            propulsion=row.get("propulsion", ""),
            description=row.get("description", ""),
            body_rcs=float(row.get("body_rcs_m2", BODY_RCS)),
        )
    return out


def get(name: str) -> Missile:
    """The catalogue class called ``name``; ValueError listing the allowed names otherwise."""
    cat = catalogue()
    try:
        return cat[name]
    except KeyError:
        raise ValueError(f"unknown missile class {name!r}; allowed: {', '.join(sorted(cat))}") from None


# ---------------------------------------------------------------------------------------------
# public API


@dataclass
class Boost:
    """N boost phases, launch to burnout (all arrays (N,) unless noted).

    Attributes:
        burnout_time: s after launch.
        position: (N, 3) Earth-fixed burnout position, m.
        velocity: (N, 3) Earth-relative burnout velocity (Earth-fixed axes), m/s.
        lat, lon: geodetic burnout position, rad; alt: height above the model surface, m.
        speed: Earth-relative burnout speed, m/s; gamma: flight-path angle above the local
            horizontal, rad; heading: clockwise from north, rad.
        downrange: surface distance from the launch point to the burnout ground point, m.
        ok: False where the flight fell back to the ground during the boost.
    """

    burnout_time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt: np.ndarray
    speed: np.ndarray
    gamma: np.ndarray
    heading: np.ndarray
    downrange: np.ndarray
    ok: np.ndarray


def _stage_ends(missile: Missile) -> np.ndarray:
    """Time (s after launch) at which each stage burns out; stages fire back to back."""
    return np.cumsum(np.asarray(missile.stage_burn_times, dtype=float))


def _stage_taus(missile: Missile) -> np.ndarray:
    """tau_k = T_k r / (r - 1) of each stage: the acceleration ends r times its ignition value."""
    r = float(missile.stage_accel_ratio)
    return np.asarray(missile.stage_burn_times, dtype=float) * r / (r - 1.0)


def _ideal_speed_per_acc(missile: Missile) -> np.ndarray:
    """Ideal delta-v of each stage per m/s^2 of ignition acceleration: tau ln(r), s."""
    return _stage_taus(missile) * math.log(float(missile.stage_accel_ratio))


def boost_params(missile: Missile, earth: Earth, rotation: bool, drag: bool, sample_step: float) -> np.ndarray:
    """The batch slots of the packed boost parameters (`B_*`) for a class under the given models:
    vertical rise and pitch-over (s), rotation rate (rad/s), GM, ellipsoid semi-axes (m), drag
    switch, boost and coast ballistic coefficients (kg/m^2), the density model's bottom and top
    (m), the nominal step (`BOOST_STEP`, or `BOOST_STEP_DRAG` with drag) and the sample step
    (s). Per-flight and per-segment slots are left zero (`boost_one` fills its own copy)."""
    bottom, top, _ = density_table()
    p = np.zeros(B_SIZE)
    p[B_T_VERT], p[B_T_PITCH] = float(missile.vertical_rise), float(missile.pitch_over)
    p[B_OMEGA] = earth.rotation_rate if rotation else 0.0
    p[B_GM], p[B_A], p[B_B] = earth.gm, earth.equatorial_radius, earth.polar_radius
    p[B_DRAG] = 1.0 if drag else 0.0
    p[B_BETA_BOOST], p[B_BETA_COAST] = float(missile.boost_beta), float(missile.beta)
    p[B_BOTTOM], p[B_TOP] = bottom, top
    p[B_DT], p[B_SAMPLE_DT] = BOOST_STEP_DRAG if drag else BOOST_STEP, float(sample_step)
    return p


def run_boost(missile: Missile, stage_acc, lat, lon, heading, kick, cutoff, earth: Earth, rotation: bool,
              drag: bool, t_end=None, sample_step: float | None = None, n_samples: int = 0):
    """Low-level batch boost: returns (res (N, 14), positions (N, S, 3), velocities (N, S, 3)).

    ``cutoff``: thrust end in seconds after launch; ``t_end``: end of the integration (defaults
    to the cutoff). See `boost_one` for the layout of ``res`` (inertial frame of the launch).
    """
    lat, lon, heading, kick, cutoff = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                       np.broadcast_arrays(lat, lon, heading, kick, cutoff))
    n = lat.shape[0]
    t_end = cutoff if t_end is None else np.broadcast_to(np.asarray(t_end, dtype=float), (n,))
    r0 = np.ascontiguousarray(to_ecef(lat, lon, 0.0, earth))
    east, north, up = enu_basis(lat, lon)
    h0 = np.ascontiguousarray(np.sin(heading)[:, None] * east + np.cos(heading)[:, None] * north)
    n0 = np.ascontiguousarray(up)
    table = density_table()[2]
    pos = buffers.empty((n, n_samples, 3))
    vel = buffers.empty((n, n_samples, 3))
    res = np.empty((n, 14))
    params = boost_params(missile, earth, rotation, drag, float(sample_step or 1.0))
    stages = np.stack([_stage_ends(missile), np.asarray(stage_acc, dtype=float), _stage_taus(missile)])
    # writable arrays (a copy of t_end, of kick and cutoff where read-only): a read-only one would
    # compile a second signature
    batch_kernel(drag)(r0, n0, h0, np.require(kick, requirements=["C", "W"]), np.require(cutoff, requirements=["C", "W"]),
                       np.array(t_end, dtype=float, order="C"), stages, params, table, pos, vel, res)
    return res, pos, vel


def state_angles(position, velocity, earth: Earth):
    """Geodetic latitude, longitude (rad) and height (m), speed (m/s), flight-path angle above the
    local geodetic horizontal (rad) and heading clockwise from north (rad, [0, 2 pi)) of Earth-fixed
    positions (N, 3) m with Earth-relative velocities (N, 3) m/s."""
    lat, lon, alt = to_geodetic(position, earth)
    east, north, up = enu_basis(lat, lon)
    speed = np.linalg.norm(velocity, axis=-1)
    vu = np.sum(velocity * up, axis=-1)
    ve = np.sum(velocity * east, axis=-1)
    vn = np.sum(velocity * north, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.arcsin(np.clip(vu / speed, -1.0, 1.0))
    heading = np.arctan2(ve, vn) % (2 * np.pi)
    return lat, lon, alt, speed, gamma, heading


def min_energy_gamma(r1, r2, psi):
    """Flight-path angle (rad) of the minimum-energy two-body arc from radius r1 to radius r2
    (m) over the central angle psi (rad).

    The empty focus of the minimum-energy ellipse lies on the chord, and the velocity bisects
    the angle between the outward radius and the chord: gamma = pi/2 - theta/2 with
    cos(theta) = (r2 cos(psi) - r1) / chord. NaN, without a warning, where there is no arc (a chord
    of zero length, or a NaN input: a burn that ends where it started); callers treat NaN as no
    crossing of the minimum-energy angle.
    """
    r1, r2, psi = (np.asarray(x, dtype=float) for x in (r1, r2, psi))
    with np.errstate(divide="ignore", invalid="ignore"):
        chord = np.sqrt(r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * np.cos(psi))
        theta = np.arccos(np.clip((r2 * np.cos(psi) - r1) / chord, -1.0, 1.0))
    return 0.5 * np.pi - 0.5 * theta


@lru_cache(maxsize=64)
def _profile_cached(missile: Missile) -> tuple:
    """(ignition accelerations m/s^2, reference kick rad): the calibration of `boost_profile`,
    cached per class (a `Missile` hashes on its figures, not on its ``sources``)."""
    base = missile.fractions() * missile.burnout_speed / _ideal_speed_per_acc(missile)
    kicks = np.radians(np.linspace(0.5, 85.0, 170))
    from scipy.optimize import brentq

    found = {}

    def excess(scale):
        res, _, _ = run_boost(missile, base * scale, 0.0, 0.0, 0.0, kicks, missile.burn_time, SPHERE, False, True)
        kick, speed = _min_energy_kick(kicks, res, SPHERE)
        found[scale] = kick
        if not np.isfinite(speed):  # no burn crosses the minimum-energy angle: which side of it are we?
            up = res[:, 13] > 0
            if not np.any(up):  # every flight falls back to the ground: far too little thrust
                return -1.0
            # the flatter burns fell back (too little thrust) or no longer come down (too much):
            # the fastest burn that stays up says which
            fastest = np.linalg.norm(res[up, 4:7], axis=1).max()
            return 1.0 if fastest > missile.burnout_speed else -1.0
        return speed / missile.burnout_speed - 1.0

    lo, hi = _bracket(excess, missile)
    scale = brentq(excess, lo, hi, xtol=1e-12, rtol=1e-12)
    excess(scale)
    kick = found[scale]
    if not np.isfinite(kick):  # the sign change is the jump from falling back to orbiting: no root
        raise ValueError(f"missile {missile.name}: the boost model finds no minimum-energy burn reaching "
                         f"burnout_speed {missile.burnout_speed / 1e3:g} km/s with stage_burn_times "
                         f"{list(missile.stage_burn_times)} s (with less thrust every flight falls back, with more "
                         "none comes down): shorten the burn or raise the speed")
    return tuple(base * scale), kick


def _bracket(excess, missile: Missile, limit: int = 8) -> tuple[float, float]:
    """Thrust scales (lo, hi) around the one whose burnout speed is ``missile.burnout_speed``
    (``excess`` changes sign between them): [1, 2] first, then doubled outwards (long burns with
    heavy gravity losses need more than twice the ideal thrust, short ones may need less).
    Raises ValueError naming the class when ``limit`` doublings find no sign change."""
    lo, hi = 1.0, 2.0
    f_lo, f_hi = excess(lo), excess(hi)
    for _ in range(limit):
        if f_lo < 0.0 <= f_hi:
            return lo, hi
        if f_hi < 0.0:
            lo, f_lo, hi = hi, f_hi, 2.0 * hi
            f_hi = excess(hi)
        else:
            hi, f_hi, lo = lo, f_lo, 0.5 * lo
            f_lo = excess(lo)
    if f_lo < 0.0 <= f_hi:
        return lo, hi
    raise ValueError(f"missile {missile.name}: no boost thrust reaches burnout_speed "
                     f"{missile.burnout_speed / 1e3:g} km/s with stage_burn_times {list(missile.stage_burn_times)} s "
                     f"(thrust scales {lo:g}-{hi:g} of the ideal searched)")


def _min_energy_kick(kicks, res, earth):
    """Kick (rad) at which the burnout flight-path angle equals the minimum-energy angle for
    the vacuum range it flies (first crossing from steep to flat), and the burnout speed there
    (linear interpolation between the grid points); NaN if none."""
    r, v = res[:, 1:4], res[:, 4:7]
    psi = vacuum_range_inertial(r, v, earth) / earth.equatorial_radius
    g = flight_path_angle(r, v) - min_energy_gamma(np.linalg.norm(r, axis=1), earth.equatorial_radius, psi)
    g[res[:, 13] == 0] = np.nan
    speed = np.linalg.norm(v, axis=1)
    idx = np.nonzero((g[:-1] > 0) & (g[1:] <= 0))[0]
    if idx.size == 0:
        return math.nan, math.nan
    i = idx[0]
    w = g[i] / (g[i] - g[i + 1])
    return float(kicks[i] + w * (kicks[i + 1] - kicks[i])), float(speed[i] + w * (speed[i + 1] - speed[i]))


def vacuum_range_inertial(r, v, earth: Earth) -> np.ndarray:
    """Ground range (m, on the sphere of the model's equatorial radius) of vacuum conics from
    inertial states to the surface, measured from the state's ground point; NaN if none."""
    t = time_to_radius(r, v, earth.equatorial_radius, earth.gm, True)
    ok = np.isfinite(t)
    out = np.full(r.shape[0], np.nan)
    if ok.any():
        r1, _ = propagate(r[ok], v[ok], t[ok], earth.gm)
        c = np.sum(r[ok] * r1, axis=1) / (np.linalg.norm(r[ok], axis=1) * np.linalg.norm(r1, axis=1))
        out[ok] = earth.equatorial_radius * np.arccos(np.clip(c, -1, 1))
    return out


def boost_profile(missile: Missile) -> np.ndarray:
    """Ignition thrust acceleration of each stage (m/s^2), calibrated so that the full burn
    whose burnout flight-path angle is the minimum-energy angle for the vacuum range it then
    flies (on the non-rotating sphere, with drag during the boost) ends at
    ``missile.burnout_speed``. For a given speed that angle is also the angle of greatest range."""
    return np.asarray(_profile_cached(missile)[0])


def nominal_kick(missile: Missile) -> float:
    """Kick angle (rad) of the calibration flight: full burn, minimum-energy burnout angle,
    non-rotating sphere with drag."""
    return float(_profile_cached(missile)[1])


def boost(missile: Missile, lat, lon, heading, kick, cutoff=1.0, models=None) -> Boost:
    """Fly N boosts of one class from the ground to burnout.

    Args:
        missile: the class.
        lat, lon: geodetic launch point, rad; heading: launch azimuth clockwise from north, rad.
        kick: tilt from the vertical at the end of the pitch-over, rad.
        cutoff: thrust end as a fraction of the total burn time (0, 1].
        models: `trajectory.Models`-like object with ``earth``, ``rotation``, ``drag``
            (defaults: WGS84, rotating, drag on).

    Returns:
        A `Boost` with burnout states relative to the rotating Earth.
    """
    earth = getattr(models, "earth", WGS84)
    rotation = getattr(models, "rotation", True)
    drag = getattr(models, "drag", True)
    t_c = np.asarray(cutoff, dtype=float) * missile.burn_time
    res, _, _ = run_boost(missile, boost_profile(missile), lat, lon, heading, kick, t_c, earth, rotation, drag)
    omega = earth.rotation_rate if rotation else 0.0
    pos, vel = fixed_state(res[:, 1:4], res[:, 4:7], res[:, 0], omega)
    blat, blon, balt, speed, gamma, head = state_angles(pos, vel, earth)
    lat0, lon0 = (np.broadcast_to(np.atleast_1d(np.asarray(x, dtype=float)), blat.shape) for x in (lat, lon))
    down = surface_distance(lat0, lon0, blat, blon, earth)
    return Boost(burnout_time=res[:, 0], position=pos, velocity=vel, lat=blat, lon=blon, alt=balt, speed=speed,
                 gamma=gamma, heading=head, downrange=np.asarray(down), ok=res[:, 13] > 0)
