"""Minimum-energy free flights: from burnout at a given altitude to impact a given ground range
away with the least burnout speed.

On the spherical, non-rotating Earth without drag the arc is the closed-form two-body
minimum-energy ellipse (its empty focus lies on the chord); otherwise (WGS84, rotation, drag) the
speed is minimised over the flight-path angle with every candidate flown by `flight.fly`.
Inputs at the public edge are SI: radians, metres, seconds, m/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..earth import SPHERE
from ..missile import min_energy_gamma
from .flight import Models, fly


def golden(fun, lo, hi, iters: int, maximise: bool = False):
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

    gamma, _ = golden(speed_for, g0 - 0.12, g0 + 0.12, 32)
    speed = speed_for(gamma)
    f = fly(lat, lon, alt, speed, gamma, heading, models, beta)
    return MinimumEnergy(speed, gamma, f.flight_time, f.apogee_alt, rng, alt, "iterated", models)
