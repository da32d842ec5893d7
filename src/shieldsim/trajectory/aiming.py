"""Aiming threat flights at targets: minimum-energy free flights, whole flights (boost +
free flight) with given controls, the greatest range of a class, and `aim`.

Aiming (`aim`) solves, for every launch/target pair at once, for three controls: the launch
azimuth, the kick angle of the pitch-over and the thrust cutoff (fraction of the total burn;
see `shieldsim.missile`). The three equations are: impact on the target downrange and
crossrange, plus a shaping condition:
  * minimum-energy: the inertial burnout flight-path angle equals the minimum-energy angle
    of the free flight actually flown (`missile.min_energy_gamma`): the least burnout speed
    that reaches the target; where even the full burn cannot reach the target that way, the
    full burn with the steepest kick that reaches it;
  * lofted / depressed: the apogee of the free flight equals the requested apogee.
Each Newton evaluation flies the boost under the full model (rotating Earth, drag if
``models.drag``) and the free flight with `fly_states` in vacuum, shifted by offsets (range,
azimuth, apogee) that measure the effect of re-entry drag: after Newton (finite-difference
Jacobian updated by Broyden's formula, trust region) converges, the flights are re-flown with
drag, the offsets updated, and the pairs whose true miss exceeds `AIM_TOL` solved again
(typically 1-4 rounds). The minimum-energy condition is evaluated on the vacuum arc. Starting
values come from a table of boosts of the class on the non-rotating sphere with vacuum free
flight; where many pairs share a launch-latitude band, one pair per target bin is solved
first and its neighbours start from its solution and Jacobian (`warm_newton` in `aim`).

Inputs at the public edge are SI: radians, metres, seconds, m/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..earth import SPHERE, fixed_state, geodesic_inverse, inertial_velocity, rotate_about_z, surface_distance, to_ecef
from ..kepler import apoapsis, flight_path_angle
from ..missile import boost_profile, min_energy_gamma, run_boost, state_angles, vacuum_range_inertial
from .flight import DRAG_CEILING, Models, Trajectory, fly, fly_states
from .kernels import _join_samples, _sample_conics, _table_argmin


class AimError(ValueError):
    """A flight that `aim` cannot fly. ``cause`` is ``"range"`` when the target lies beyond the
    class's maximum range in that direction, ``"shape"`` when it is within range but the class
    cannot fly the requested shape (kind and apogee) there."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause

    def __reduce__(self):  # picklable, e.g. raised in a Dask task
        return type(self), (str(self), self.cause)


# flight; where many pairs share a launch-latitude band, one pair per target bin is solved
# first and its neighbours start from its solution and Jacobian (`warm_newton` in `aim`).

AIM_TOL = 100.0
"""Miss distance (m) to which `aim` converges (the requirement is 1 km)."""

APOGEE_TOL = 100.0
"""Apogee error (m) to which lofted/depressed aiming converges."""

_GAMMA_TOL = 2e-5  # rad, minimum-energy shaping condition
_KICK_MAX = math.radians(85.0)
_CUTOFF_MIN = 0.2
_AIM_ITER = 30
_WARM_BIN = 250_000.0  # m, target bins of the warm start of `aim` (pairs sharing a launch point)
_WARM_SHARE = 0.5  # warm-start only when the bins number at most this share of the pairs
_WARM_COARSEN = 2.0  # bins of the pairs solved first are this many times larger
_WARM_MIN = 32  # fewer pairs than this are solved from the shape table
_WARM_LAT = math.radians(10.0)  # launch latitude bands of the warm start


def _golden(fun, lo, hi, iters: int, maximise: bool = False):
    """Vectorised golden-section search of fun (arrays (N,) -> (N,)) on [lo, hi]: (x, f(x))."""
    sign = -1.0 if maximise else 1.0
    g = 0.5 * (math.sqrt(5.0) - 1.0)
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = sign * fun(c), sign * fun(d)
    for _ in range(iters):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        x_new = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
        f_new = sign * fun(x_new)
        c, d, fc, fd = (np.where(left, x_new, d), np.where(left, c, x_new),
                        np.where(left, f_new, fd), np.where(left, fc, f_new))
    best = fc < fd
    return np.where(best, c, d), sign * np.where(best, fc, fd)


@dataclass
class MinimumEnergy:
    """Minimum-energy free flights from burnout at altitude H to impact R downrange (arrays (N,)).

    Attributes:
        burnout_speed: m/s (relative to the rotating Earth when rotation is on);
        gamma: burnout flight-path angle, rad; flight_time: burnout to impact, s;
        apogee_alt: m above the model surface; ground_range: m (as asked);
        burnout_alt: m; method: "closed-form" or "iterated"; models: the model switches.
    """

    burnout_speed: np.ndarray
    gamma: np.ndarray
    flight_time: np.ndarray
    apogee_alt: np.ndarray
    ground_range: np.ndarray
    burnout_alt: np.ndarray
    method: str
    models: Models


def _min_energy_closed(ground_range, burnout_alt, radius, gm):
    """Closed-form minimum-energy arc on a non-rotating sphere of ``radius`` (m) from burnout at
    ``burnout_alt`` (m) to the surface ``ground_range`` (m) away: (burnout speed m/s, flight-path
    angle rad, time of flight s, apogee altitude m). The semi-major axis is a quarter of the
    perimeter of the triangle centre-burnout-impact (the empty focus lies on the chord)."""
    psi = np.asarray(ground_range, dtype=float) / radius
    r1 = radius + np.asarray(burnout_alt, dtype=float)
    r2 = np.full_like(r1, radius)
    chord = np.sqrt(r1**2 + r2**2 - 2 * r1 * r2 * np.cos(psi))
    s = 0.5 * (r1 + r2 + chord)
    a = 0.5 * s  # semi-major axis of the minimum-energy ellipse
    speed = np.sqrt(gm * (2.0 / r1 - 1.0 / a))
    gamma = min_energy_gamma(r1, r2, psi)
    p = (r1 * speed * np.cos(gamma)) ** 2 / gm
    e = np.sqrt(np.clip(1.0 - p / a, 0.0, None))
    apogee = np.where(gamma > 0, a * (1.0 + e), r1) - radius
    # time of flight from the eccentric anomalies of the two ends of the arc
    anom_bo = np.arccos(np.clip((1.0 - r1 / a) / e, -1, 1))
    anom_bo = np.where(gamma >= 0, anom_bo, 2 * np.pi - anom_bo)  # ascending branch at burnout when gamma > 0
    anom_imp = 2 * np.pi - np.arccos(np.clip((1.0 - r2 / a) / e, -1, 1))  # descending branch at impact
    n = np.sqrt(gm / a**3)
    tof = ((anom_imp - e * np.sin(anom_imp)) - (anom_bo - e * np.sin(anom_bo))) / n
    return speed, gamma, tof, apogee


def minimum_energy(ground_range, burnout_alt, models: Models = Models(SPHERE, False, False), lat=0.0, lon=0.0,
                   heading=0.0, beta=np.inf, iterate: bool | None = None) -> MinimumEnergy:
    """Minimum-energy free flight from burnout at ``burnout_alt`` (m) to impact at sea level
    ``ground_range`` (m) away along the surface from the burnout ground point.

    On the spherical, non-rotating Earth without drag the result is the closed-form two-body
    minimum-energy ellipse. Otherwise (WGS84, rotation, drag) the burnout speed is minimised
    over the flight-path angle, with every candidate flown by `fly` from the burnout point at
    ``lat``, ``lon`` (rad) along ``heading`` (rad): for each angle the speed that reaches the
    range is found by the secant method, and the angle by golden-section search.
    ``iterate=True`` forces that path (used to check it against the closed form).
    """
    rng, alt, lat, lon, heading = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                   np.broadcast_arrays(ground_range, burnout_alt, lat, lon, heading))
    earth = models.earth
    closed = earth.flattening == 0.0 and not models.rotation and not models.drag
    if iterate is None:
        iterate = not closed
    radius = earth.equatorial_radius if earth.flattening == 0.0 else earth.mean_radius
    v0, g0, t0, h0 = _min_energy_closed(rng, alt, radius, earth.gm)
    if not iterate:
        return MinimumEnergy(v0, g0, t0, h0, rng, alt, "closed-form", models)

    def speed_for(gamma):
        """Speed (m/s) reaching the range at flight-path angle gamma (arrays (N,)), secant."""
        va = v0 * 0.98
        vb = v0 * 1.02
        fa = fly(lat, lon, alt, va, gamma, heading, models, beta).ground_range - rng
        fb = fly(lat, lon, alt, vb, gamma, heading, models, beta).ground_range - rng
        for _ in range(40):
            with np.errstate(invalid="ignore", divide="ignore"):
                vc = vb - fb * (vb - va) / (fb - fa)
            vc = np.where(np.isfinite(vc), vc, vb)
            va, fa = vb, fb
            vb = vc
            fb = fly(lat, lon, alt, vb, gamma, heading, models, beta).ground_range - rng
            if np.all(np.abs(vb - va) <= 1e-9 * vb):
                break
        return vb

    gamma, _ = _golden(speed_for, g0 - 0.12, g0 + 0.12, 32)
    speed = speed_for(gamma)
    f = fly(lat, lon, alt, speed, gamma, heading, models, beta)
    return MinimumEnergy(speed, gamma, f.flight_time, f.apogee_alt, rng, alt, "iterated", models)


@dataclass
class Aim(Trajectory):
    """Aimed threat flights: a `Trajectory` plus the burnout states, controls and miss.

    Extra attributes (arrays (N,) unless noted):
        heading: launch azimuth, rad clockwise from north; kick: pitch-over kick angle, rad;
        cutoff: thrust cutoff as a fraction of the total burn time;
        burnout_position, burnout_velocity: (N, 3) Earth-fixed, m and m/s (Earth-relative);
        burnout_lat, burnout_lon (rad), burnout_alt (m), burnout_speed (m/s),
        burnout_gamma, burnout_heading (rad);
        target_lat, target_lon: rad; miss: impact-to-target distance along the surface, m;
        kind: "minimum-energy", "lofted" or "depressed"; full_burn: True where the
        minimum-energy condition had to give way to a full burn to reach the target;
        pair_index: index of each flight in the pairs given to `aim`.
    """

    heading: np.ndarray | None = None
    kick: np.ndarray | None = None
    cutoff: np.ndarray | None = None
    burnout_position: np.ndarray | None = None
    burnout_velocity: np.ndarray | None = None
    burnout_lat: np.ndarray | None = None
    burnout_lon: np.ndarray | None = None
    burnout_alt: np.ndarray | None = None
    burnout_speed: np.ndarray | None = None
    burnout_gamma: np.ndarray | None = None
    burnout_heading: np.ndarray | None = None
    target_lat: np.ndarray | None = None
    target_lon: np.ndarray | None = None
    miss: np.ndarray | None = None
    full_burn: np.ndarray | None = None
    pair_index: np.ndarray | None = None
    kind: str = "minimum-energy"


def _evaluate(missile, acc, lat, lon, az, kick, cutoff, models: Models, free_models: Models | None = None):
    """Fly N full flights (boost under ``models``, then `fly_states` under ``free_models``,
    default the same). Returns a dict of (N,) arrays: impact_lat, impact_lon, burnout state
    (Earth-fixed), flight_time (burnout to impact), apogee_alt, g (inertial burnout flight-path
    angle minus the minimum-energy angle of the arc flown)."""
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    t_c = cutoff * missile.burn_time
    res, _, _ = run_boost(missile, acc, lat, lon, az, kick, t_c, earth, models.rotation, models.drag)
    ok = res[:, 13] > 0
    r_in, v_in = res[:, 1:4], res[:, 4:7]
    pos, vel = fixed_state(r_in, v_in, t_c, omega)
    pos[~ok] = np.nan
    beta = np.full(len(lat), missile.beta)
    f = fly_states(np.where(ok[:, None], pos, 1.0), np.where(ok[:, None], vel, 0.0), free_models or models, beta)
    t_imp = t_c + f.flight_time
    r_imp_fixed = to_ecef(f.impact_lat, f.impact_lon, 0.0, earth)
    r_imp = rotate_about_z(r_imp_fixed, omega * t_imp)  # inertial frame of the launch
    rn = np.linalg.norm(r_in, axis=1)
    ri = np.linalg.norm(r_imp, axis=1)
    with np.errstate(invalid="ignore"):
        psi = np.arccos(np.clip(np.sum(r_in * r_imp, axis=1) / (rn * ri), -1, 1))
    g = flight_path_angle(r_in, v_in) - min_energy_gamma(rn, ri, psi)
    bad = ~ok | ~np.isfinite(f.flight_time)
    out = {"impact_lat": f.impact_lat, "impact_lon": f.impact_lon, "flight_time": f.flight_time,
           "apogee_alt": f.apogee_alt, "g": g, "position": pos, "velocity": vel, "burnout_time": t_c}
    for k in ("impact_lat", "impact_lon", "flight_time", "apogee_alt", "g"):
        out[k] = np.where(bad, np.nan, out[k])
    return out


@lru_cache(maxsize=32)
def _shape_table(missile, drag: bool):
    """Boosts of the class over a grid of kick angles x cutoffs on the non-rotating sphere,
    with vacuum free flight: (kicks (K,), cutoffs (C,), range (K, C) m, apogee alt (K, C) m,
    g (K, C) rad). Starting values for `aim`."""
    kicks = np.radians(np.linspace(0.5, 85.0, 86))
    cutoffs = np.linspace(_CUTOFF_MIN, 1.0, 33)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    res, _, _ = run_boost(missile, boost_profile(missile), 0.0, 0.0, 0.0, kk.ravel(), cc.ravel() * missile.burn_time,
                          SPHERE, False, drag)
    r, v = res[:, 1:4], res[:, 4:7]
    radius = SPHERE.equatorial_radius
    free = vacuum_range_inertial(r, v, SPHERE)
    rn = np.linalg.norm(r, axis=1)
    down = radius * np.arccos(np.clip(r[:, 0] / rn, -1, 1))  # launch at (radius, 0, 0)
    rng = down + free
    r_apo, _ = apoapsis(r, v, SPHERE.gm)
    g = flight_path_angle(r, v) - min_energy_gamma(rn, radius, free / radius)
    bad = (res[:, 13] == 0) | ~np.isfinite(free)
    rng[bad] = np.nan
    shape = kk.shape
    return kicks, cutoffs, rng.reshape(shape), np.where(bad, np.nan, r_apo - radius).reshape(shape), \
        np.where(bad, np.nan, g).reshape(shape)


def _initial_controls(missile, drag, distance, kind, apogee):
    """Starting kick and cutoff for each target distance from the shaping table."""
    kicks, cutoffs, rng, apo, g = _shape_table(missile, drag)
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    kk, cc, rng, apo, g = (x.ravel() for x in (kk, cc, rng, apo, g))
    valid = np.isfinite(rng)
    kk, cc, rng, apo, g = kk[valid], cc[valid], rng[valid], apo[valid], g[valid]
    mode = {"minimum-energy": 0, "lofted": 1, "depressed": 2}[kind]
    best = _table_argmin(np.ascontiguousarray(distance, dtype=float),
                         np.ascontiguousarray(np.broadcast_to(apogee, distance.shape), dtype=float),
                         rng, apo, g, mode)
    return kk[best], cc[best]



def max_range(missile, lat, lon, heading, models: Models = Models(), n_grid: int = 43, n_refine: int = 24):
    """Greatest ground range (m) of the class launched from lat, lon (rad) along ``heading``
    (rad): full burn, kick angle optimised (grid then golden-section search), flown with the
    full model. Returns (range (N,), best kick (N,) rad)."""
    lat, lon, heading = (np.atleast_1d(np.asarray(x, dtype=float)) for x in np.broadcast_arrays(lat, lon, heading))
    n = lat.size
    acc = boost_profile(missile)
    grid = np.radians(np.linspace(0.5, 85.0, n_grid))

    def ranges(kick):
        e = _evaluate(missile, acc, lat, lon, heading, kick, np.ones(n), models)
        d = surface_distance(lat, lon, e["impact_lat"], e["impact_lon"], models.earth)
        return np.where(np.isfinite(e["flight_time"]), d, -1.0)

    table = np.stack([ranges(np.full(n, k)) for k in grid], axis=1)
    i = np.clip(np.argmax(table, axis=1), 1, n_grid - 2)
    kick, best = _golden(ranges, grid[i - 1], grid[i + 1], n_refine, maximise=True)
    coarse = table.max(axis=1)
    kick = np.where(coarse > best, grid[np.argmax(table, axis=1)], kick)
    return np.maximum(best, coarse), kick


def aim(launch_lat, launch_lon, target_lat, target_lon, missile, models: Models = Models(),
        kind: str = "minimum-energy", apogee=None, launch_time=0.0, sample_step: float = 2.0,
        labels=None, unreachable: str = "raise") -> Aim:
    """Aim N flights of one threat class from launch points at targets.

    Args:
        launch_lat, launch_lon, target_lat, target_lon: geodetic, rad (scalars or (N,)).
        missile: a `shieldsim.missile.Missile`.
        models: Earth model, rotation and drag (drag applies to boost and re-entry).
        kind: "minimum-energy" (default), "lofted" or "depressed".
        apogee: for lofted/depressed, apogee altitude of the free flight, m (scalar or (N,)):
            above the minimum-energy apogee for lofted, below it for depressed.
        launch_time: s since the scenario epoch (scalar or (N,)).
        sample_step: step (s) of the common time grid of the returned trajectories.
        labels: optional (N,) names.
        unreachable: "raise" (default) or "skip": leave out the pairs the class cannot fly
            (``Aim.pair_index`` lists the pairs kept).

    Returns:
        An `Aim` (a `Trajectory` with burnout states, controls and miss distance). Impact lies
        within `AIM_TOL` of the target.

    Raises:
        AimError: a target beyond the class's maximum range in that direction (the message
            states that maximum) or closer than 10 km (``cause="range"``), or a shape or apogee
            the class cannot fly to that target (``cause="shape"``); with
            ``unreachable="skip"``, only when it can fly none of the pairs.
        ValueError: a bad ``kind``, ``unreachable`` or apogee.
    """
    if kind not in ("minimum-energy", "lofted", "depressed"):
        raise ValueError(f"kind must be 'minimum-energy', 'lofted' or 'depressed', got {kind!r}")
    if unreachable not in ("raise", "skip"):
        raise ValueError(f"unreachable must be 'raise' or 'skip', got {unreachable!r}")
    lat, lon, tlat, tlon = (np.atleast_1d(np.asarray(x, dtype=float)).copy() for x in
                            np.broadcast_arrays(launch_lat, launch_lon, target_lat, target_lon))
    n = lat.size
    earth = models.earth
    if kind != "minimum-energy":
        if apogee is None:
            raise ValueError(f"a {kind} flight needs an apogee")
        h_t = np.broadcast_to(np.asarray(apogee, dtype=float), (n,)).copy()
        if np.any(~(h_t > 0)):
            raise ValueError("apogee must be > 0 m")
    else:
        h_t = np.zeros(n)
    dist, az_t = geodesic_inverse(lat, lon, tlat, tlon, earth)
    dist = np.atleast_1d(dist)
    az_t = np.atleast_1d(az_t)
    if np.any(dist < 10_000.0):
        raise AimError("launch and target points must be at least 10 km apart", "range")
    acc = boost_profile(missile)

    kick0, cut0 = _initial_controls(missile, models.drag, dist, kind, h_t)
    x = np.stack([az_t, kick0, cut0], axis=1)
    full = np.zeros(n, dtype=bool)
    lo_b = np.array([-np.inf, math.radians(0.1), _CUTOFF_MIN])
    hi_b = np.array([np.inf, _KICK_MAX, 1.0])
    # Newton on flights whose free flight is in vacuum, shifted by the effect of re-entry drag
    # (offsets in range, azimuth and apogee, re-measured with drag after each convergence).
    vacuum = Models(earth, models.rotation, False)
    offset = np.zeros((n, 3))

    def raw(sel, xs, free):
        e = _evaluate(missile, acc, lat[sel], lon[sel], xs[:, 0], xs[:, 1], xs[:, 2], models, free)
        d_i, az_i = _safe_inverse(lat[sel], lon[sel], e, earth)
        return np.stack([d_i, az_i, e["apogee_alt"]], axis=1), e

    free = {"models": vacuum}

    def residual(sel, xs, full_s):
        m, e = raw(sel, xs, free["models"])
        m = m + offset[sel]
        r = np.empty((xs.shape[0], 3))
        r[:, 0] = m[:, 0] - dist[sel]
        r[:, 1] = dist[sel] * np.angle(np.exp(1j * (m[:, 1] - az_t[sel])))
        if kind == "minimum-energy":
            r[:, 2] = np.where(full_s, (xs[:, 2] - 1.0) * 1e6, e["g"] * 1e6)
        else:
            r[:, 2] = m[:, 2] - h_t[sel]
        return r, e

    tol3 = APOGEE_TOL * 0.5 if kind != "minimum-energy" else _GAMMA_TOL * 1e6

    def done(r, full_s):
        miss = np.hypot(r[:, 0], r[:, 1]) < 0.5 * AIM_TOL
        return miss & (np.abs(r[:, 2]) < np.where(full_s, 1.0, tol3))

    step = np.array([1e-6, 1e-5, 1e-5])
    limit = np.array([0.05, math.radians(4.0), 0.05])
    ft = np.full(n, np.nan)  # free-flight time of the flight at x (models of the Newton flights)

    jac = np.full((n, 3, 3), np.nan)  # Jacobian of the residual in the controls, per pair
    fresh = np.zeros(n, dtype=bool)  # jac[i] is a finite-difference Jacobian at x[i]
    have = np.zeros(n, dtype=bool)  # jac[i] is usable (fresh, Broyden-updated or borrowed)

    def fd_jacobian(idx, r_idx):
        """Finite-difference Jacobians at x[idx] (residuals r_idx there), the three columns
        flown in one batch."""
        xi = x[idx]
        xp = np.concatenate([xi] * 3)
        hs = []
        for k in range(3):
            h = step[k] * np.where(xi[:, k] + step[k] > hi_b[k], -1.0, 1.0)
            xp[k * idx.size:(k + 1) * idx.size, k] += h
            hs.append(h)
        rp, _ = residual(np.concatenate([idx] * 3), xp, np.concatenate([full[idx]] * 3))
        for k in range(3):
            jac[idx, :, k] = (rp[k * idx.size:(k + 1) * idx.size] - r_idx) / hs[k][:, None]
        have[idx] = True
        fresh[idx] = True

    def broyden(idx, s_, r_old, r_new):
        """Broyden's rank-one update of jac[idx] for steps s_ that took the residual from r_old
        to r_new: J += (dr - J s) (s/l^2)^T / (s . s/l^2) (controls scaled by ``limit``)."""
        ws = s_ / limit**2
        den = np.sum(s_ * ws, axis=1)
        upd = (den > 0) & np.all(np.isfinite(r_new), axis=1) & np.all(np.isfinite(r_old), axis=1)
        if upd.any():
            i = idx[upd]
            y_ = r_new[upd] - r_old[upd] - np.einsum("nij,nj->ni", jac[i], s_[upd])
            jac[i] = jac[i] + y_[:, :, None] * ws[upd][:, None, :] / den[upd][:, None, None]
            fresh[i] = False

    def newton(sel, keep_jac=False, secant=None):
        """Newton iterations with a trust region on the pairs ``sel`` (updates x, full, ft).

        The Jacobian is taken by finite differences (the three columns flown in one batch) at
        the first iteration (unless ``keep_jac`` and one is at hand) and after a rejected step
        of an aged Jacobian; accepted steps update it with Broyden's rank-one formula (controls
        scaled by ``limit``), so most iterations cost one flight per pair instead of four.
        ``secant``: (pairs, step taken to their x, residual before that step) to update their
        Jacobians with once the residual at x is known."""
        if not keep_jac:
            have[sel] = False
        r = np.full((n, 3), np.nan)
        r[sel], e0 = residual(sel, x[sel], full[sel])
        ft[sel] = e0["flight_time"]
        if secant is not None:
            broyden(*secant, r[secant[0]])
        trust = np.ones(n)
        pending = np.zeros(n, dtype=bool)
        pending[sel] = True
        for _ in range(_AIM_ITER):
            act = np.nonzero(pending & ~done(r, full) & (trust > 1e-6))[0]
            if act.size == 0:
                break
            need = act[~have[act]]
            if need.size:
                fd_jacobian(need, r[need])
            xa, ra, ja = x[act], r[act], jac[act]
            dx = np.zeros_like(xa)
            good_j = np.all(np.isfinite(ja), axis=(1, 2)) & np.all(np.isfinite(ra), axis=1)
            good_j &= np.abs(np.linalg.det(np.where(good_j[:, None, None], ja, 1.0))) > 1e-300
            if good_j.any():
                dx[good_j] = -np.linalg.solve(ja[good_j], ra[good_j][:, :, None])[:, :, 0]
            dx = np.where(np.isfinite(dx), dx, 0.0)
            dx_raw = dx.copy()
            scale = np.max(np.abs(dx) / (limit * trust[act, None]), axis=1)
            dx = dx / np.maximum(scale, 1.0)[:, None]
            xn = np.clip(xa + dx, lo_b, hi_b)
            rn, en = residual(act, xn, full[act])
            old = np.linalg.norm(ra, axis=1)
            new = np.linalg.norm(rn, axis=1)
            good = np.all(np.isfinite(rn), axis=1) & ((new < old) | ~np.isfinite(old)) & good_j
            broyden(act[good], (xn - xa)[good], ra[good], rn[good])
            x[act[good]] = xn[good]
            r[act[good]] = rn[good]
            ft[act[good]] = en["flight_time"][good]
            trust[act[good]] = np.minimum(trust[act[good]] * 2.0, 1.0)
            trust[act[~good]] *= 0.25
            # a rejected step with an aged Jacobian: take a fresh one (and keep the trust region)
            stale = act[~good & ~fresh[act]]
            have[stale] = False
            trust[stale] *= 4.0
            if kind == "minimum-energy":
                # short of the target, near the minimum-energy condition, and Newton asks for more
                # burn than there is: the full burn it is; drop the shaping condition
                switch = ((~full[act]) & (xa[:, 2] + dx_raw[:, 2] > 1.0) & (ra[:, 0] < 0) & (xa[:, 2] > 0.97)
                          & (np.abs(ra[:, 2]) < 2e4))
                if switch.any():
                    s_ = act[switch]
                    full[s_] = True
                    x[s_, 2] = 1.0
                    r[s_], es = residual(s_, x[s_], full[s_])
                    ft[s_] = es["flight_time"]
                    trust[s_] = 1.0
                    have[s_] = False
        return r

    every = np.arange(n)
    work = every

    true_r = np.zeros((n, 3))
    flight_time = np.full(n, np.nan)

    def true_residual(sel):
        """Residuals of the flights ``sel`` flown with drag; True where the miss is met."""
        m_drag, e = raw(sel, x[sel], models)
        true_r[sel] = np.stack([m_drag[:, 0] - dist[sel], dist[sel] * np.angle(np.exp(1j * (m_drag[:, 1] - az_t[sel]))),
                                m_drag[:, 2] - h_t[sel]], axis=1)
        flight_time[sel] = e["flight_time"]
        good = np.hypot(true_r[sel, 0], true_r[sel, 1]) < AIM_TOL
        if kind != "minimum-energy":
            good &= np.abs(true_r[sel, 2]) < APOGEE_TOL
        return good, m_drag

    def warm_newton(sel, bin_size=_WARM_BIN):
        """`newton` on ``sel``, warm-started where many pairs share a launch latitude band
        (`_WARM_LAT`; the model is symmetric about the polar axis, so the launch longitude does
        not matter): the pairs are binned by target position in the launch point's
        azimuthal-equidistant plane (bins of ``bin_size`` m), one pair per bin (nearest its centre) is solved first (the same way,
        with bins `_WARM_COARSEN` times larger, down to the shape table), and the others start
        from that solution moved by one Newton step for the difference in target, with its
        Jacobian (Broyden-updated from there on)."""
        ex = dist[sel] * np.sin(az_t[sel])
        ny = dist[sel] * np.cos(az_t[sel])
        band = np.floor(lat[sel] / _WARM_LAT)  # flights do not depend on the launch longitude
        bx, by = np.floor(ex / bin_size), np.floor(ny / bin_size)
        key = np.stack([band, bx, by], axis=1)
        _, cell = np.unique(key, axis=0, return_inverse=True)
        cell = cell.ravel()
        n_cell = int(cell.max()) + 1 if cell.size else 0
        if n_cell > _WARM_SHARE * sel.size or sel.size < _WARM_MIN:
            return newton(sel)
        off = np.hypot(ex - (bx + 0.5) * bin_size, ny - (by + 0.5) * bin_size)
        order = np.lexsort((sel, off, cell))  # deterministic: nearest the centre, then index
        first = np.ones(order.size, dtype=bool)
        first[1:] = cell[order][1:] != cell[order][:-1]
        rep_of_cell = np.empty(n_cell, dtype=int)
        rep_of_cell[cell[order][first]] = order[first]
        reps = sel[order[first]]
        rest_pos = np.setdiff1d(np.arange(sel.size), order[first])
        rest = sel[rest_pos]
        r_all = warm_newton(reps, bin_size * _WARM_COARSEN)
        if rest.size:
            k = sel[rep_of_cell[cell[rest_pos]]]
            use = done(r_all[k], full[k]) & ~full[k] & have[k]
            j, k = rest[use], k[use]
            if j.size:
                # residual of the solved pair's flight against the other target, then one step
                rj = np.empty((j.size, 3))
                rj[:, 0] = r_all[k, 0] + dist[k] - dist[j]
                rj[:, 1] = (r_all[k, 1] / dist[k] + np.angle(np.exp(1j * (az_t[k] - az_t[j])))) * dist[j]
                rj[:, 2] = r_all[k, 2] + (h_t[k] - h_t[j] if kind != "minimum-energy" else 0.0)
                jj = jac[k].copy()
                jj[:, 1, :] *= (dist[j] / dist[k])[:, None]
                dx = -np.linalg.solve(jj, rj[:, :, None])[:, :, 0]
                dx = np.where(np.isfinite(dx), dx, 0.0)
                dx = dx / np.maximum(np.max(np.abs(dx) / limit, axis=1), 1.0)[:, None]
                x[j] = np.clip(x[k] + dx, lo_b, hi_b)
                jac[j] = jj
                have[j] = True
                fresh[j] = False
            cold = rest[~use]
            have[cold] = False
            r_rest = newton(rest, keep_jac=True, secant=(j, x[j] - x[k], rj) if j.size else None)
            r_all[rest] = r_rest[rest]
        return r_all

    for _outer in range(3):
        r = warm_newton(work) if _outer == 0 else newton(work)
        if not models.drag:
            break
        # re-measure the drag offsets at the current controls; stop where the true miss is met
        ok_true, m_drag = true_residual(work)
        m_vac, _ = raw(work, x[work], vacuum)
        offset[work] = m_drag - m_vac
        offset[work, 1] = np.angle(np.exp(1j * offset[work, 1]))
        work = work[~ok_true]
        if work.size == 0:
            break
    if models.drag and work.size:
        # where the drag offsets do not settle (e.g. near the edge of reach, where range is
        # insensitive to the controls), finish with Newton on the flights flown with drag
        free["models"] = models
        offset[work] = 0.0
        newton(work)
        ok_true, _ = true_residual(work)
        work = work[~ok_true]
    if models.drag:
        ok = np.ones(n, dtype=bool)
        ok[work] = False
        r = true_r
    else:
        ok = done(r, full)
    keep = np.arange(n)
    if unreachable == "skip" and not ok.all():
        keep = np.nonzero(ok)[0]
        if keep.size == 0:
            raise AimError(f"the {missile.name} class cannot fly any of the {n} requested flights", "shape")
        ok = np.ones(n, dtype=bool)
    if not ok.all():
        # a target the class cannot reach: say how far it can fly in that direction
        bad = np.nonzero(~ok)[0]
        reach, _ = max_range(missile, lat[bad], lon[bad], az_t[bad], models)
        over = dist[bad] > reach
        if over.any():
            k = int(np.argmax(over))
            j = int(bad[k])
            raise AimError(
                f"target {dist[j] / 1e3:,.0f} km away is beyond the {missile.name} class's maximum range of "
                f"{reach[k] / 1e3:,.0f} km in that direction (launch heading {math.degrees(az_t[j]) % 360:.1f} deg, "
                f"models {models.as_dict()})" + (f" [pair {j}]" if n > 1 else ""), "range")
        j = int(bad[0])
        what = f"apogee {h_t[j] / 1e3:.0f} km " if kind != "minimum-energy" else ""
        raise AimError(
            f"cannot aim a {kind} {what}flight of the {missile.name} class at a target {dist[j] / 1e3:,.0f} km "
            f"away (launch heading {math.degrees(az_t[j]) % 360:.1f} deg; maximum range in that direction "
            f"{reach[0] / 1e3:,.0f} km): the class cannot fly that shape there "
            f"(remaining miss {np.hypot(r[j, 0], r[j, 1]) / 1e3:.1f} km)" + (f" [pair {j}]" if n > 1 else ""),
            "shape")
    if kind != "minimum-energy":
        # lofted means steeper than the minimum-energy flight, depressed flatter (judged on the
        # vacuum arc, so only for flights that climb above the sensible atmosphere)
        _, e = raw(keep, x[keep], vacuum)
        wrong = np.zeros(n, dtype=bool)
        wrong[keep] = ((e["g"] > 0) != (kind == "lofted")) & (e["apogee_alt"] > DRAG_CEILING)
        if wrong.any() and unreachable == "skip":
            keep = keep[~wrong[keep]]
            if keep.size == 0:
                raise AimError(f"the {missile.name} class cannot fly any of the {n} requested flights", "shape")
        elif wrong.any():
            j = int(np.nonzero(wrong)[0][0])
            side = "above" if kind == "lofted" else "below"
            raise AimError(f"a {kind} flight needs an apogee {side} the minimum-energy apogee for this pair; "
                           f"{h_t[j] / 1e3:.0f} km is not" + (f" [pair {j}]" if n > 1 else ""), "shape")
    if not models.drag:  # the Newton flights were flown with these models: reuse their times
        flight_time[keep] = ft[keep]
    launch_time = np.broadcast_to(np.asarray(launch_time, dtype=float), (n,))[keep]
    out = boosted_trajectories(missile, lat[keep], lon[keep], x[keep, 0], x[keep, 1], x[keep, 2], models,
                               launch_time, sample_step, None if labels is None else np.asarray(labels)[keep],
                               target_lat=tlat[keep], target_lon=tlon[keep], kind=kind, full_burn=full[keep],
                               max_free_flight=float(np.nanmax(flight_time[keep])) + 60.0)
    out.pair_index = keep
    return out


def _safe_inverse(lat, lon, e, earth):
    """Geodesic distance (m) and initial heading (rad) from launch points (rad) to the impacts
    ``e["impact_lat"]``, ``e["impact_lon"]`` of `_evaluate`; NaN where a flight has no impact."""
    d = np.full(lat.shape, np.nan)
    az = np.full(lat.shape, np.nan)
    ok = np.isfinite(e["impact_lat"])
    if ok.any():
        d[ok], az[ok] = geodesic_inverse(lat[ok], lon[ok], e["impact_lat"][ok], e["impact_lon"][ok], earth)
    return d, az


def boosted_trajectories(missile, lat, lon, heading, kick, cutoff, models: Models = Models(), launch_time=0.0,
                         sample_step: float = 2.0, labels=None, target_lat=None, target_lon=None,
                         kind: str = "minimum-energy", full_burn=None, max_free_flight: float | None = None) -> Aim:
    """Whole flights (launch to impact) of N missiles of one class with given controls.

    The boost (`shieldsim.missile`) is integrated to cutoff and on, unpowered, to the next
    point of the common time grid (``sample_step`` s after launch); from there `fly_states`
    flies the rest, sampled on the same grid. Inputs in rad and s; ``cutoff`` is a fraction of
    the total burn. Returns an `Aim` (miss measured to ``target_lat/lon`` when given).
    ``max_free_flight`` (s), if known, bounds the burnout-to-impact time and saves a probe flight.
    """
    lat, lon, heading, kick, cutoff = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                       np.broadcast_arrays(lat, lon, heading, kick, cutoff))
    n = lat.size
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    acc = boost_profile(missile)
    t_c = cutoff * missile.burn_time
    j0 = np.ceil(t_c / sample_step - 1e-9).astype(int)
    t_end = j0 * sample_step
    kb = int(j0.max()) if n else 0
    res, bpos, bvel = run_boost(missile, acc, lat, lon, heading, kick, t_c, earth, models.rotation, models.drag,
                                t_end=t_end, sample_step=sample_step, n_samples=kb)
    if np.any(res[:, 13] == 0):
        raise ValueError("a boost falls back to the ground before burnout with these controls")
    bo_pos, bo_vel = fixed_state(res[:, 1:4], res[:, 4:7], t_c, omega)
    p_end, v_end = fixed_state(res[:, 7:10], res[:, 10:13], t_end, omega)
    beta = np.full(n, float(missile.beta))
    if not models.drag:  # vacuum free flight: impacts in closed form, then the conics sampled
        f = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(f.flight_time)):
            raise ValueError("a flight never comes back to the surface with these controls")
        m = int(math.floor((float(np.max(f.flight_time)) + sample_step) / sample_step)) + 1
        spos, svel = np.empty((n, m, 3)), np.empty((n, m, 3))
        v_in = inertial_velocity(p_end, v_end, omega)
        _sample_conics(np.ascontiguousarray(p_end), np.ascontiguousarray(v_in), np.ascontiguousarray(f.flight_time),
                       earth.gm, omega, float(sample_step), spos, svel)
        f.sample_time, f.position, f.velocity = np.arange(m) * sample_step, spos, svel
        max_free_flight = float(np.max(f.flight_time))
    elif max_free_flight is None or not np.isfinite(max_free_flight):
        probe = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(probe.flight_time)):
            raise ValueError("a flight never comes back to the surface with these controls")
        max_free_flight = float(np.max(probe.flight_time))
    if models.drag:
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step, max_time=max_free_flight + sample_step)
    if not np.all(np.isfinite(f.flight_time)):
        raise ValueError("a flight never comes back to the surface with these controls")
    if np.any(f.flight_time > max_free_flight + sample_step):  # the bound was too short: sample again
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step,
                       max_time=float(np.max(f.flight_time)) + sample_step)
    m2 = f.sample_time.size
    impact_time = t_end + f.flight_time
    # boost samples before j0, free-flight samples from j0, NaN after; the grid ends after the
    # last impact
    last = min(int(np.ceil(np.max(impact_time) / sample_step)) + 1, kb + m2)
    pos = np.empty((n, last, 3))
    vel = np.empty((n, last, 3))
    _join_samples(bpos, bvel, j0, np.ascontiguousarray(f.position), np.ascontiguousarray(f.velocity), pos, vel)
    blat, blon, balt, bspeed, bgamma, bhead = state_angles(bo_pos, bo_vel, earth)
    rng = surface_distance(lat, lon, f.impact_lat, f.impact_lon, earth)
    if target_lat is not None:
        miss = surface_distance(np.broadcast_to(target_lat, (n,)), np.broadcast_to(target_lon, (n,)),
                                f.impact_lat, f.impact_lon, earth)
    else:
        miss = np.full(n, np.nan)
    return Aim(
        time=np.arange(pos.shape[1]) * sample_step, position=pos, velocity=vel,
        launch_time=np.broadcast_to(np.asarray(launch_time, dtype=float), (n,)).copy(),
        burnout_time=t_c, impact_time=impact_time, apogee_time=t_end + f.apogee_time,
        launch_lat=lat, launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon,
        apogee_alt=f.apogee_alt, ground_range=np.atleast_1d(rng), rcs=np.full(n, float(missile.rcs)), beta=beta,
        models=models, labels=None if labels is None else np.asarray(labels),
        heading=heading, kick=kick, cutoff=cutoff, burnout_position=bo_pos, burnout_velocity=bo_vel,
        burnout_lat=blat, burnout_lon=blon, burnout_alt=balt, burnout_speed=bspeed, burnout_gamma=bgamma,
        burnout_heading=bhead,
        target_lat=None if target_lat is None else np.broadcast_to(target_lat, (n,)).copy(),
        target_lon=None if target_lon is None else np.broadcast_to(target_lon, (n,)).copy(),
        miss=np.atleast_1d(miss), full_burn=np.zeros(n, bool) if full_burn is None else full_burn, kind=kind,
    )
