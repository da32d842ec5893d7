"""Threat classes and their boost phase, from public parametric figures.

A class is described by the figures published analyses use: the burn time of each stage,
the burnout speed, the ballistic coefficient and radar cross-section of the re-entry vehicle,
and the range the class is meant to reach; every figure carries its source
(``shieldsim/data/missiles.toml``). No propellant chemistry and no vehicle design enter.

Boost model (a point mass on the rotating Earth, integrated in the inertial frame that
coincides with Earth-fixed axes at launch):

* gravity: point mass, GM of the Earth model;
* drag: rho |v_air| v_air / (2 beta_boost) with the air co-rotating with the Earth and rho from
  `shieldsim.atmosphere` (only when ``models.drag`` is on); ``beta_boost`` is one
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
from functools import lru_cache

import numpy as np
from numba import njit, prange

from .atmosphere import density_from_table, density_table
from .earth import (
    SPHERE, WGS84, Earth, enu_basis, fixed_state, fixed_state_one, radial_height_one, surface_distance,
    surface_radius_one, to_ecef, to_geodetic,
)
from .kepler import flight_path_angle, propagate, time_to_radius

BOOST_STEP = 0.5
"""Nominal Runge-Kutta step (s) of the boost integration (segments end exactly at every
change of the thrust law: end of vertical rise, of pitch-over, of each stage, cutoff).
Against a 0.05 s step the burnout state differs by < 0.2 m and < 0.02 m/s."""


@dataclass(frozen=True)
class Missile:
    """A threat class described by public parametric figures.

    Attributes:
        name: class name used on the command line (e.g. ``"scud-b"``).
        stage_burn_times: burn time of each stage, s (first stage first).
        burnout_speed: speed at burnout of the flight of greatest range, m/s.
        beta: ballistic coefficient m / (C_D A) of the re-entry vehicle, kg/m^2.
        rcs: radar cross-section of the re-entry vehicle (what radars track), m^2.
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


def catalogue() -> dict[str, Missile]:
    """The built-in threat classes, by name, from ``shieldsim/data/missiles.toml``.

    Units in the file are human (``_s``, ``_kms``, ``_km``); the Missile fields are SI.
    """
    import tomllib
    from importlib.resources import files

    text = files("shieldsim").joinpath("data/missiles.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    out = {}
    for name, row in data["missile"].items():
        out[name] = Missile(
            name=name,
            stage_burn_times=tuple(float(t) for t in row["stage_burn_times_s"]),
            burnout_speed=float(row["burnout_speed_kms"]) * 1e3,
            beta=float(row["beta_kgm2"]),
            rcs=float(row["rcs_m2"]),
            published_range=float(row["published_range_km"]) * 1e3,
            sources=dict(row["source"]),
            stage_speed_fractions=tuple(row["stage_speed_fractions"]) if "stage_speed_fractions" in row else None,
            vertical_rise=float(row.get("vertical_rise_s", 6.0)),
            pitch_over=float(row.get("pitch_over_s", 8.0)),
            boost_beta=float(row.get("boost_beta_kgm2", 20_000.0)),
            stage_accel_ratio=float(row.get("stage_accel_ratio", 3.0)),
            propulsion=row.get("propulsion", ""),
            description=row.get("description", ""),
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
# compiled boost kernel


@njit(cache=True, inline="always")
def _boost_accel(t, y, acc0, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta,
                 bottom, step, log_rho, out):
    """d(r, v)/dt of the boosting point mass (inertial axes). phase: 0 vertical, 1 pitch-over,
    2 gravity turn. Thrust acceleration acc0 / (1 - (t - t_ign) / tau) (m/s^2): constant thrust
    of a stage ignited at t_ign whose mass would vanish at t_ign + tau."""
    acc = acc0 / (1.0 - (t - t_ign) / tau) if acc0 > 0.0 else 0.0
    rx, ry, rz = y[0], y[1], y[2]
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    k = -gm / (rn * rn * rn)
    vx = y[3] + omega * ry
    vy = y[4] - omega * rx
    vz = y[5]
    vn = math.sqrt(vx * vx + vy * vy + vz * vz)
    ax = k * rx
    ay = k * ry
    az = k * rz
    if drag and vn > 0.0:
        h = rn - surface_radius_one(rz / rn, a, b)
        rho = density_from_table(h, bottom, step, log_rho)
        d = -rho * vn / (2.0 * beta)
        ax += d * vx
        ay += d * vy
        az += d * vz
    if acc > 0.0:
        if phase == 2 and vn > 0.0:
            ux, uy, uz = vx / vn, vy / vn, vz / vn
        else:
            tilt = 0.0
            if phase == 1:
                tilt = kick * min(max((t - t_vert) / t_pitch, 0.0), 1.0)
            ct, st = math.cos(tilt), math.sin(tilt)
            ex = ct * n0[0] + st * h0[0]
            ey = ct * n0[1] + st * h0[1]
            ez = ct * n0[2] + st * h0[2]
            c, s = math.cos(omega * t), math.sin(omega * t)  # Earth-fixed -> inertial
            ux, uy, uz = c * ex - s * ey, s * ex + c * ey, ez
        ax += acc * ux
        ay += acc * uy
        az += acc * uz
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax
    out[4] = ay
    out[5] = az


@njit(cache=True, inline="always")
def _rk4_boost(t, y, dt, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta,
               bottom, step, log_rho, out, k1, k2, k3, k4, tmp):
    """One classical RK4 step of dt seconds of the boosting state y = (r, v) (inertial, m and m/s)
    from time t into out; k1..k4, tmp are scratch arrays of length 6."""
    _boost_accel(t, y, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta, bottom, step, log_rho, k1)
    for j in range(6):
        tmp[j] = y[j] + 0.5 * dt * k1[j]
    _boost_accel(t + 0.5 * dt, tmp, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta,
                 bottom, step, log_rho, k2)
    for j in range(6):
        tmp[j] = y[j] + 0.5 * dt * k2[j]
    _boost_accel(t + 0.5 * dt, tmp, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta,
                 bottom, step, log_rho, k3)
    for j in range(6):
        tmp[j] = y[j] + dt * k3[j]
    _boost_accel(t + dt, tmp, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, beta, bottom, step, log_rho, k4)
    for j in range(6):
        out[j] = y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])


@njit(cache=True)
def boost_one(r0, n0, h0, kick, cutoff, stage_end, stage_acc, stage_tau, t_vert, t_pitch, omega, gm, a, b,
              drag, beta, beta_coast, bottom, step, log_rho, dt, t_end, sample_dt, out_pos, out_vel, res):
    """Integrate one boost from lift-off at Earth-fixed ``r0`` (at rest on the ground).

    ``n0``/``h0``: Earth-fixed up and horizontal-heading unit vectors at the launch point.
    ``cutoff``: thrust end, s after launch. The flight continues unpowered to ``t_end`` (>=
    cutoff). res <- [burnout time, inertial burnout r(3), v(3), inertial r(3), v(3) at t_end,
    ok flag]. Samples every ``sample_dt`` s with k * sample_dt < t_end go to out_pos/out_vel
    (Earth-fixed). A flight that falls back below the ground before t_end gets ok = 0.
    """
    y = np.empty(6)
    ynew = np.empty(6)
    k1 = np.empty(6)
    k2 = np.empty(6)
    k3 = np.empty(6)
    k4 = np.empty(6)
    tmp = np.empty(6)
    ys = np.empty(6)
    y[0], y[1], y[2] = r0[0], r0[1], r0[2]
    y[3], y[4], y[5] = -omega * r0[1], omega * r0[0], 0.0
    # breakpoints of the thrust law
    n_st = stage_end.shape[0]
    bp = np.empty(n_st + 4)
    nb = 0
    bp[nb] = t_vert
    nb += 1
    bp[nb] = t_vert + t_pitch
    nb += 1
    for k in range(n_st):
        bp[nb] = stage_end[k]
        nb += 1
    bp[nb] = cutoff
    nb += 1
    bp[nb] = t_end
    nb += 1
    bp = np.sort(bp[:nb])
    n_samples = out_pos.shape[0]
    next_k = 0
    t = 0.0
    ok = 1.0
    res[0] = cutoff
    for i in range(nb):
        t1 = min(bp[i], t_end)
        seg = t1 - t
        if seg <= 1e-12:
            continue
        tm = t + 0.5 * seg
        if tm < t_vert:
            phase = 0
        elif tm < t_vert + t_pitch:
            phase = 1
        else:
            phase = 2
        acc = 0.0
        tau = math.inf
        t_ign = 0.0
        if tm < cutoff:
            for k in range(n_st):
                if tm < stage_end[k]:
                    acc = stage_acc[k]
                    tau = stage_tau[k]
                    t_ign = stage_end[k - 1] if k > 0 else 0.0
                    break
        n = int(math.ceil(seg / dt - 1e-9))
        h = seg / n
        bseg = beta if tm < cutoff else beta_coast
        for _j in range(n):
            _rk4_boost(t, y, h, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag, bseg,
                       bottom, step, log_rho, ynew, k1, k2, k3, k4, tmp)
            while next_k < n_samples and next_k * sample_dt < t + h and next_k * sample_dt < t_end:
                ts = next_k * sample_dt
                if ts - t > 0.0:
                    _rk4_boost(t, y, ts - t, acc, tau, t_ign, phase, t_vert, t_pitch, kick, n0, h0, omega, gm, a, b, drag,
                               bseg, bottom, step, log_rho, ys, k1, k2, k3, k4, tmp)
                    fixed_state_one(ys, ys[3:], ts, omega, out_pos[next_k], out_vel[next_k])
                else:
                    fixed_state_one(y, y[3:], ts, omega, out_pos[next_k], out_vel[next_k])
                next_k += 1
            t += h
            y[:] = ynew
            if t > t_vert and radial_height_one(y, a, b) < 0.0:
                ok = 0.0
        if t1 == cutoff:
            res[1:7] = y
        if ok == 0.0:
            break
        t = t1
    if cutoff >= t_end:
        res[1:7] = y
    res[7:13] = y
    res[13] = ok


@njit(cache=True, parallel=True)
def _boost_batch(r0, n0, h0, kick, cutoff, stage_end, stage_acc, stage_tau, t_vert, t_pitch, omega, gm, a, b, drag,
                 beta, beta_coast, bottom, step, log_rho, dt, t_end, sample_dt, out_pos, out_vel, res):
    for i in prange(r0.shape[0]):
        boost_one(r0[i], n0[i], h0[i], kick[i], cutoff[i], stage_end, stage_acc, stage_tau, t_vert, t_pitch, omega, gm,
                  a, b, drag, beta, beta_coast, bottom, step, log_rho, dt, t_end[i], sample_dt, out_pos[i], out_vel[i], res[i])


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
    omega = earth.rotation_rate if rotation else 0.0
    bottom, step, log_rho = density_table()
    pos = np.empty((n, n_samples, 3))
    vel = np.empty((n, n_samples, 3))
    res = np.empty((n, 14))
    _boost_batch(r0, n0, h0, np.ascontiguousarray(kick), np.ascontiguousarray(cutoff), _stage_ends(missile),
                 np.ascontiguousarray(stage_acc, dtype=float), _stage_taus(missile), float(missile.vertical_rise),
                 float(missile.pitch_over), omega, earth.gm, earth.equatorial_radius, earth.polar_radius,
                 bool(drag), float(missile.boost_beta), float(missile.beta), bottom, step, log_rho, BOOST_STEP,
                 np.ascontiguousarray(t_end, dtype=float), float(sample_step or 1.0), pos, vel, res)
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
    cos(theta) = (r2 cos(psi) - r1) / chord.
    """
    r1, r2, psi = (np.asarray(x, dtype=float) for x in (r1, r2, psi))
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
        if not np.isfinite(speed):  # every flight goes into orbit: far too much thrust
            return 1.0
        return speed / missile.burnout_speed - 1.0

    scale = brentq(excess, 1.0, 2.0, xtol=1e-12, rtol=1e-12)
    excess(scale)
    kick = found[scale]
    return tuple(base * scale), kick


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
