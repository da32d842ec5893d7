"""Whole threat flights (boost + free flight) with given controls, and a class's greatest range.

`boosted_trajectories` integrates the boost (`shieldsim.missile`) to the cutoff and on to the
next point of the common time grid, then flies the rest with `flight.fly_states`; the result is
an `Aim` (a `Trajectory` with burnout states and controls). `max_range` searches the kick angle
of the full burn for the greatest ground range. Inputs at the public edge are SI: radians,
metres, seconds, m/s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import buffers
from ..earth import (
    fixed_state, geodesic_inverse, geodesic_inverse_compiled, inertial_velocity, rotate_about_z, surface_distance, to_ecef,
)
from ..kepler import flight_path_angle
from ..missile import boost_profile, min_energy_gamma, run_boost, state_angles
from .conic_samples import _sample_boosted
from .flight import Models, Trajectory, fly_states
from .kernels import _impact_vacuum_batch, _place_samples
from .newton_impacts import vacuum_measures
from .min_energy import golden


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


def _evaluate(missile, acc, lat, lon, az, kick, cutoff, models: Models, free_models: Models | None = None,
              need_apogee: bool = True, sampled: tuple | None = None):
    """Fly N full flights (boost under ``models``, then `fly_states` under ``free_models``,
    default the same). Returns a dict of (N,) arrays: impact_lat, impact_lon, burnout state
    (Earth-fixed), flight_time (burnout to impact), apogee_alt, g (inertial burnout flight-path
    angle minus the minimum-energy angle of the arc flown). Without ``need_apogee`` a vacuum
    free flight is flown to its impact only (`kernels._impact_vacuum_batch`) and apogee_alt is
    NaN (both, with the burnout states and g, by `newton_impacts.vacuum_measures`). With
    ``sampled`` = (sample step s, samples) the boosts are those of `sampled_boosts`
    (the same burnout states) and the dict also holds them as "boosts": (res, positions,
    velocities, j0), for `trajectories_of_boosts`."""
    vacuum_impacts = not (free_models or models).drag and not need_apogee  # `aim`'s Newton flights
    if sampled is None:
        if vacuum_impacts:
            t_c = cutoff * missile.burn_time
            res = run_boost(missile, acc, lat, lon, az, kick, t_c, models.earth, models.rotation, models.drag)[0]
            return vacuum_measures(res, t_c, models)
        boost = _boost_states(missile, acc, lat, lon, az, kick, cutoff, models)
        return _free_flights(missile, boost, models, free_models or models, need_apogee)
    kept = sampled_boosts(missile, lat, lon, az, kick, cutoff, models, sampled[0], sampled[1], acc)
    if vacuum_impacts:
        out = vacuum_measures(kept[0], cutoff * missile.burn_time, models)
    else:
        out = _free_flights(missile, _burnout_of(kept[0], cutoff * missile.burn_time, models), models,
                            free_models or models, need_apogee)
    out["boosts"] = kept
    return out


def _boost_states(missile, acc, lat, lon, az, kick, cutoff, models: Models):
    """The boosts of `_evaluate`: (ok (N,) bool, inertial burnout r, v (N, 3), Earth-fixed burnout
    position (NaN where not ok) and velocity (N, 3), burnout time (N,) s)."""
    earth = models.earth
    t_c = cutoff * missile.burn_time
    res, _, _ = run_boost(missile, acc, lat, lon, az, kick, t_c, earth, models.rotation, models.drag)
    return _burnout_of(res, t_c, models)


def _burnout_of(res, t_c, models: Models):
    """The tuple of `_boost_states` from the boost results res (N, 14) (`missile.run_boost`) of
    boosts cut off at t_c (N,) s."""
    omega = models.earth.rotation_rate if models.rotation else 0.0
    ok = res[:, 13] > 0
    r_in, v_in = res[:, 1:4], res[:, 4:7]
    pos, vel = fixed_state(r_in, v_in, t_c, omega)
    pos[~ok] = np.nan
    return ok, r_in, v_in, pos, vel, t_c


def _free_flights(missile, boost, models: Models, free_models: Models, need_apogee: bool = True):
    """The free flights of `_evaluate` from the burnout states ``boost`` (`_boost_states` under
    ``models``), flown under ``free_models``: the `_evaluate` dict."""
    ok, r_in, v_in, pos, vel, t_c = boost
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    n = ok.size
    if free_models.drag or need_apogee:
        beta = np.full(n, missile.beta)
        f = fly_states(np.where(ok[:, None], pos, 1.0), np.where(ok[:, None], vel, 0.0), free_models, beta,
                       impact_only=True)
        flight_time, impact_lat, impact_lon, apogee_alt = f.flight_time, f.impact_lat, f.impact_lon, f.apogee_alt
    else:  # the impact alone, in one compiled pass
        imp = np.empty((n, 3))
        _impact_vacuum_batch(np.ascontiguousarray(np.where(ok[:, None], pos, 1.0)),
                             np.ascontiguousarray(np.where(ok[:, None], vel, 0.0)), omega, earth.gm,
                             earth.equatorial_radius, earth.polar_radius, earth.eccentricity_squared, imp)
        flight_time, impact_lat, impact_lon = imp[:, 0], imp[:, 1], imp[:, 2]
        apogee_alt = np.full(n, np.nan)
    t_imp = t_c + flight_time
    r_imp_fixed = to_ecef(impact_lat, impact_lon, 0.0, earth)
    r_imp = rotate_about_z(r_imp_fixed, omega * t_imp)  # inertial frame of the launch
    rn = np.linalg.norm(r_in, axis=1)
    ri = np.linalg.norm(r_imp, axis=1)
    with np.errstate(invalid="ignore"):
        psi = np.arccos(np.clip(np.sum(r_in * r_imp, axis=1) / (rn * ri), -1, 1))
    g = flight_path_angle(r_in, v_in) - min_energy_gamma(rn, ri, psi)
    bad = ~ok | ~np.isfinite(flight_time)
    out = {"impact_lat": impact_lat, "impact_lon": impact_lon, "flight_time": flight_time,
           "apogee_alt": apogee_alt, "g": g, "position": pos, "velocity": vel, "burnout_time": t_c}
    for k in ("impact_lat", "impact_lon", "flight_time", "apogee_alt", "g"):
        out[k] = np.where(bad, np.nan, out[k])
    return out


def max_range(missile, lat, lon, heading, models: Models = Models(), n_grid: int = 43, n_refine: int = 24):
    """Greatest ground range (m) of the class launched from lat, lon (rad) along ``heading``
    (rad): full burn, kick angle optimised (grid then golden-section search), flown with the
    full model. Returns (range (N,), best kick (N,) rad)."""
    lat, lon, heading = (np.atleast_1d(np.asarray(x, dtype=float)) for x in np.broadcast_arrays(lat, lon, heading))
    n = lat.size
    acc = boost_profile(missile)
    grid = np.radians(np.linspace(0.5, 85.0, n_grid))

    def ranges(kick):
        e = _evaluate(missile, acc, lat, lon, heading, kick, np.ones(n), models, need_apogee=False)
        d = surface_distance(lat, lon, e["impact_lat"], e["impact_lon"], models.earth)
        return np.where(np.isfinite(e["flight_time"]), d, -1.0)

    table = np.stack([ranges(np.full(n, k)) for k in grid], axis=1)
    i = np.clip(np.argmax(table, axis=1), 1, n_grid - 2)
    kick, best = golden(ranges, grid[i - 1], grid[i + 1], n_refine, maximise=True)
    coarse = table.max(axis=1)
    kick = np.where(coarse > best, grid[np.argmax(table, axis=1)], kick)
    return np.maximum(best, coarse), kick


def _safe_inverse(lat, lon, e, earth):
    """Geodesic distance (m) and initial heading (rad) from launch points (rad) to the impacts
    ``e["impact_lat"]``, ``e["impact_lon"]`` of `_evaluate`; NaN where a flight has no impact."""
    d = np.full(lat.shape, np.nan)
    az = np.full(lat.shape, np.nan)
    ok = np.isfinite(e["impact_lat"])
    if ok.any():
        d[ok], az[ok] = geodesic_inverse(lat[ok], lon[ok], e["impact_lat"][ok], e["impact_lon"][ok], earth)
    return d, az


_NO_RETURN = "a flight never comes back to the surface with these controls"


def _sampled_drag_flight(p_end, v_end, models: Models, beta, sample_step: float, max_free_flight, spare: int = 0):
    """Free flights with drag from Earth-fixed states (N, 3) (m, m/s) on the grid ``sample_step``
    s to impact, sampled on that grid: a `Flight`. The flights are flown sampled up to
    ``max_free_flight`` (s; probed first when unknown) and flown again where that was too short;
    the sample arrays get ``spare`` rows more (NaN). ValueError where a flight never comes back
    to the surface."""
    if max_free_flight is None or not np.isfinite(max_free_flight):
        probe = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(probe.flight_time)):
            raise ValueError(_NO_RETURN)
        max_free_flight = float(np.max(probe.flight_time))
    f = fly_states(p_end, v_end, models, beta, sample_step=sample_step,
                   max_time=max_free_flight + (1 + spare) * sample_step)
    if not np.all(np.isfinite(f.flight_time)):
        raise ValueError(_NO_RETURN)
    if np.any(f.flight_time > max_free_flight + sample_step):  # the bound was too short: sample again
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step,
                       max_time=float(np.max(f.flight_time)) + (1 + spare) * sample_step)
    return f


def _drag_flights_into(rows, bpos, bvel, j0, p_end, v_end, models: Models, beta, sample_step: float,
                       max_free_flight):
    """`_whole_flights` with drag flown into rows: rows = (`flight_rows.FlightRows`, pair indices
    (N,)); the free flights from the Earth-fixed states (N, 3) at the grid points j0 (N,) are
    sampled straight into the pairs' rows after their boost samples bpos/bvel. Returns (the
    `Flight`, without samples; the columns M the whole flights need: the grid ends after the last
    impact). The rows grow (and the flights are flown again) where ``max_free_flight`` (s; probed
    when unknown) was too short. ValueError where a flight never comes back to the surface."""
    store, pairs = rows
    if max_free_flight is None or not np.isfinite(max_free_flight):
        probe = fly_states(p_end, v_end, models, beta)
        if not np.all(np.isfinite(probe.flight_time)):
            raise ValueError(_NO_RETURN)
        max_free_flight = float(np.max(probe.flight_time))
    need = int(np.max(j0)) + int(np.ceil(max_free_flight / sample_step)) + 2
    for _ in range(2):
        store.reserve(need)
        f = fly_states(p_end, v_end, models, beta, sample_step=sample_step,
                       into=store.into(pairs, j0, bpos, bvel))
        if not np.all(np.isfinite(f.flight_time)):
            raise ValueError(_NO_RETURN)
        last = int(np.ceil(np.max(j0 * sample_step + f.flight_time) / sample_step)) + 1
        if last <= store.columns:
            break
        need = last  # the bound was too short: room for every sample, then fly again
    return f, last


def _whole_flights(bpos, bvel, j0, p_end, v_end, models: Models, beta, sample_step: float, max_free_flight,
                   rows=None):
    """The free flights from the Earth-fixed states (N, 3) (m, m/s) at the grid points j0 (N,)
    after launch (a `Flight`, unsampled in vacuum), the whole flights' samples (N, M, 3)
    (positions m, velocities m/s; NaN after impact): boost samples bpos/bvel before j0, the free
    flight's from j0, and M. In vacuum the impacts come in closed form and the conics are sampled
    straight into the result (`kernels._sample_boosted`); with drag the sampled flights
    (`_sampled_drag_flight`, with room for the boost's) are moved into place in their own
    arrays (`kernels._place_samples`): fresh memory costs more than computing its contents. With
    drag and ``rows`` (`_drag_flights_into`) the samples go into those rows instead (None, None)."""
    n = p_end.shape[0]
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    kb = bpos.shape[1]
    if models.drag and rows is not None:
        f, last = _drag_flights_into(rows, bpos, bvel, j0, p_end, v_end, models, beta, sample_step, max_free_flight)
        return f, None, None, last
    if models.drag:
        f = _sampled_drag_flight(p_end, v_end, models, beta, sample_step, max_free_flight, spare=kb)
        # the grid ends after the last impact
        last = min(int(np.ceil(np.max(j0 * sample_step + f.flight_time) / sample_step)) + 1, f.sample_time.size)
        _place_samples(bpos, bvel, j0, f.position, f.velocity, last)
        size = n * last * 3
        pos = f.position.reshape(-1)[:size].reshape(n, last, 3)
        vel = f.velocity.reshape(-1)[:size].reshape(n, last, 3)
        return f, pos, vel, last
    f = fly_states(p_end, v_end, models, beta, impact_only=True)  # (the range: `range_and_miss`)
    if not np.all(np.isfinite(f.flight_time)):
        raise ValueError(_NO_RETURN)
    last = int(np.ceil(np.max(j0 * sample_step + f.flight_time) / sample_step)) + 1
    pos, vel = buffers.empty((n, last, 3)), buffers.empty((n, last, 3))
    _sample_boosted(bpos, bvel, j0, np.ascontiguousarray(p_end),
                    np.ascontiguousarray(inertial_velocity(p_end, v_end, omega)),
                    np.ascontiguousarray(f.flight_time), earth.gm, omega, float(sample_step), pos, vel)
    return f, pos, vel, last


def sampled_boosts(missile, lat, lon, heading, kick, cutoff, models: Models, sample_step: float,
                   n_samples: int | None = None, acc=None):
    """The boosts of `boosted_trajectories` (controls (N,) in rad and fractions of the burn):
    integrated to the cutoff and on, unpowered, to the next point of the grid of ``sample_step``
    s, sampled on it. Returns (res (N, 14) as `missile.run_boost`, sample positions and velocities
    (N, n_samples, 3) (Earth-fixed; default n_samples: the most any boost has; row i holds its
    first j0[i]), j0 (N,) the grid point each boost ends on). The burnout states res[:, 1:7] are
    those of the boost flown to the cutoff alone (the same steps)."""
    t_c = cutoff * missile.burn_time
    j0 = np.ceil(t_c / sample_step - 1e-9).astype(int)
    kb = (int(j0.max()) if j0.size else 0) if n_samples is None else n_samples
    res, bpos, bvel = run_boost(missile, boost_profile(missile) if acc is None else acc, lat, lon, heading, kick, t_c,
                                models.earth, models.rotation, models.drag, t_end=j0 * sample_step,
                                sample_step=sample_step, n_samples=kb)
    return res, bpos, bvel, j0


def boosted_trajectories(missile, lat, lon, heading, kick, cutoff, models: Models = Models(), launch_time=0.0,
                         sample_step: float = 2.0, labels=None, target_lat=None, target_lon=None,
                         kind: str = "minimum-energy", full_burn=None, max_free_flight: float | None = None,
                         rows=None) -> Aim:
    """Whole flights (launch to impact) of N missiles of one class with given controls.

    The boost (`shieldsim.missile`) is integrated to cutoff and on, unpowered, to the next
    point of the common time grid (``sample_step`` s after launch); from there `fly_states`
    flies the rest, sampled on the same grid. Inputs in rad and s; ``cutoff`` is a fraction of
    the total burn. Returns an `Aim` (miss measured to ``target_lat/lon`` when given).
    ``max_free_flight`` (s), if known, bounds the burnout-to-impact time and saves a probe flight.
    ``rows`` (drag on): (`flight_rows.FlightRows`, pair index (N,)): the samples are written into
    those rows and the `Aim` has none (position and velocity None; its time grid as usual).
    """
    lat, lon, heading, kick, cutoff = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                       np.broadcast_arrays(lat, lon, heading, kick, cutoff))
    boosts = sampled_boosts(missile, lat, lon, heading, kick, cutoff, models, sample_step)
    return trajectories_of_boosts(missile, lat, lon, heading, kick, cutoff, boosts, models, launch_time, sample_step,
                                  labels, target_lat, target_lon, kind, full_burn, max_free_flight, rows)


def trajectories_of_boosts(missile, lat, lon, heading, kick, cutoff, boosts, models: Models, launch_time,
                           sample_step: float, labels=None, target_lat=None, target_lon=None,
                           kind: str = "minimum-energy", full_burn=None, max_free_flight: float | None = None,
                           rows=None) -> Aim:
    """`boosted_trajectories` from its boosts already flown: ``boosts`` = (res, sample positions,
    velocities, j0) of `sampled_boosts` for the same controls (lat, lon, heading, kick, cutoff
    (N,) arrays); ``rows`` as there. ValueError where a boost falls back to the ground."""
    res, bpos, bvel, j0 = boosts
    n = lat.size
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    t_c = cutoff * missile.burn_time
    t_end = j0 * sample_step
    if np.any(res[:, 13] == 0):
        raise ValueError("a boost falls back to the ground before burnout with these controls")
    bo_pos, bo_vel = fixed_state(res[:, 1:4], res[:, 4:7], t_c, omega)
    p_end, v_end = fixed_state(res[:, 7:10], res[:, 10:13], t_end, omega)
    beta = np.full(n, float(missile.beta))
    f, pos, vel, last = _whole_flights(bpos, bvel, j0, p_end, v_end, models, beta, sample_step, max_free_flight,
                                       rows)
    impact_time = t_end + f.flight_time
    blat, blon, balt, bspeed, bgamma, bhead = state_angles(bo_pos, bo_vel, earth)
    rng, miss = range_and_miss(lat, lon, target_lat, target_lon, f.impact_lat, f.impact_lon, earth)
    return Aim(
        time=np.arange(last) * sample_step, position=pos, velocity=vel,
        launch_time=np.broadcast_to(np.asarray(launch_time, dtype=float), (n,)).copy(),
        burnout_time=t_c, impact_time=impact_time, apogee_time=t_end + f.apogee_time,
        launch_lat=lat, launch_lon=lon, impact_lat=f.impact_lat, impact_lon=f.impact_lon,
        apogee_alt=f.apogee_alt, ground_range=np.atleast_1d(rng), rcs=np.full(n, float(missile.rcs)), beta=beta,
        models=models, labels=None if labels is None else np.asarray(labels),
        body_rcs=np.full(n, max(float(missile.body_rcs), float(missile.rcs))),
        heading=heading, kick=kick, cutoff=cutoff, burnout_position=bo_pos, burnout_velocity=bo_vel,
        burnout_lat=blat, burnout_lon=blon, burnout_alt=balt, burnout_speed=bspeed, burnout_gamma=bgamma,
        burnout_heading=bhead,
        target_lat=None if target_lat is None else np.broadcast_to(target_lat, (n,)).copy(),
        target_lon=None if target_lon is None else np.broadcast_to(target_lon, (n,)).copy(),
        miss=np.atleast_1d(miss), full_burn=np.zeros(n, bool) if full_burn is None else full_burn, kind=kind,
    )


def range_and_miss(lat, lon, target_lat, target_lon, impact_lat, impact_lon, earth):
    """Ground range (launch point to impact) and miss (target to impact) along the model surface,
    m, of N flights (points in rad, (N,) arrays; targets scalars or (N,), or None: miss NaN), in
    one compiled pass (`earth.geodesic_inverse_compiled`). On the ellipsoid that is Vincenty's
    inverse formula: within 1 mm of `earth.surface_distance` (pyproj's geodesic, Karney's
    algorithm, the reference; tests/test_aim.py), pyproj where Vincenty does not converge; on
    the sphere the great circle, as `earth.surface_distance`. NaN where an impact is NaN."""
    n = lat.size
    if target_lat is None:
        return np.atleast_1d(geodesic_inverse_compiled(lat, lon, impact_lat, impact_lon, earth)[0]), np.full(n, np.nan)
    both = geodesic_inverse_compiled(np.concatenate([lat, np.broadcast_to(target_lat, (n,))]),
                                     np.concatenate([lon, np.broadcast_to(target_lon, (n,))]),
                                     np.concatenate([impact_lat, impact_lat]), np.concatenate([impact_lon, impact_lon]),
                                     earth)[0]
    return both[:n], both[n:]


@dataclass(eq=False)
class KeptBoosts:
    """Sampled boosts (`sampled_boosts`) of N pairs kept from the flights that aimed them, so that
    the whole flights at the controls finally chosen need not fly their boosts again
    (`trajectories_of_boosts` gives the same flights as `boosted_trajectories`, bit for bit).

    Attributes: step: sample step (s); x: (N, 3) controls (heading rad, kick rad, cutoff
    fraction) of each pair's kept boost (NaN: none); res (N, 14), pos, vel (N, K, 3), j0 (N,): the
    `sampled_boosts` of those controls, K the most samples a boost of the class can have."""

    step: float
    x: np.ndarray
    res: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    j0: np.ndarray

    @classmethod
    def empty(cls, n: int, missile, sample_step: float) -> KeptBoosts:
        """Room for the boosts of n pairs of the class ``missile``, none kept yet."""
        k = int(np.ceil(missile.burn_time / sample_step - 1e-9))
        return cls(float(sample_step), np.full((n, 3), np.nan), np.empty((n, 14)), buffers.empty((n, k, 3)),
                   buffers.empty((n, k, 3)), np.zeros(n, dtype=int))

    @property
    def sampled(self) -> tuple:
        """The ``sampled`` argument of `_evaluate` that flies boosts this store can keep."""
        return self.step, self.pos.shape[1]

    def keep(self, idx, xs, boosts, rows=None) -> None:
        """Keep the boosts (`sampled_boosts` output, rows matching idx) of the pairs idx (k,) flown
        with controls xs (k, 3); only the rows ``rows`` (bool (k,)) when given."""
        res, pos, vel, j0 = boosts
        if rows is not None and not np.all(rows):  # (all of them, the usual case: no masked copies)
            idx, xs, res, pos, vel, j0 = idx[rows], xs[rows], res[rows], pos[rows], vel[rows], j0[rows]
        self.x[idx], self.res[idx], self.pos[idx], self.vel[idx], self.j0[idx] = xs, res, pos, vel, j0

    def boosts_of(self, missile, lat, lon, pairs, x, models: Models):
        """The `sampled_boosts` of the pairs ``pairs`` (k,) at controls x (k, 3) (launch points
        lat, lon (N,) rad of all pairs): the kept ones where their controls are x exactly, the
        others flown now (and kept)."""
        fly = pairs[~np.all(self.x[pairs] == x, axis=1)]
        if fly.size:
            xf = x[~np.all(self.x[pairs] == x, axis=1)]
            self.keep(fly, xf, sampled_boosts(missile, lat[fly], lon[fly], xf[:, 0], xf[:, 1], xf[:, 2], models,
                                              self.step, self.pos.shape[1]))
        if np.array_equal(pairs, np.arange(self.x.shape[0])):
            return self.res, self.pos, self.vel, self.j0
        shape = (pairs.size,) + self.pos.shape[1:]
        return (self.res[pairs], np.take(self.pos, pairs, axis=0, out=buffers.empty(shape)),
                np.take(self.vel, pairs, axis=0, out=buffers.empty(shape)), self.j0[pairs])


def whole_and_vacuum(missile, lat, lon, heading, kick, cutoff, models: Models, sample_step: float, max_free_flight,
                     target_lat, target_lon, kind: str, rows=None, boosts=None):
    """The whole flights of `boosted_trajectories` (with drag, sampled on the grid of
    ``sample_step`` s; launch time 0, no labels) and, from the same burnouts, the free flights
    of `_evaluate` with drag and in vacuum (impacts only): (the `Aim`, the `_evaluate` dict with
    drag, the one in vacuum). The dict with drag takes the impact and free-flight time of the
    whole flight (its free flight starts at the grid point after the cutoff, the boost model
    coasting to it). ``rows``: as in `boosted_trajectories` (the samples into those rows); ``boosts``:
    the flights' `sampled_boosts` when already flown (`trajectories_of_boosts`). ValueError where
    `boosted_trajectories` refuses a flight."""
    lat, lon, heading, kick, cutoff = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                       np.broadcast_arrays(lat, lon, heading, kick, cutoff))
    if boosts is None:
        boosts = sampled_boosts(missile, lat, lon, heading, kick, cutoff, models, sample_step)
    whole = trajectories_of_boosts(missile, lat, lon, heading, kick, cutoff, boosts, models, 0.0, sample_step,
                                   target_lat=target_lat, target_lon=target_lon, kind=kind,
                                   max_free_flight=max_free_flight, rows=rows)
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    t_c = whole.burnout_time
    pos, vel = whole.burnout_position, whole.burnout_velocity
    r_in = rotate_about_z(pos, omega * t_c)
    v_in = rotate_about_z(inertial_velocity(pos, vel, omega), omega * t_c)
    boost = (np.ones(t_c.size, dtype=bool), r_in, v_in, pos, vel, t_c)
    e_vac = _free_flights(missile, boost, models, Models(earth, models.rotation, False), need_apogee=False)
    e_drag = dict(e_vac, impact_lat=whole.impact_lat, impact_lon=whole.impact_lon,
                  flight_time=whole.impact_time - t_c, apogee_alt=whole.apogee_alt)
    return whole, e_drag, e_vac


def gather_aims(pieces, n: int) -> Aim:
    """One `Aim` of ``n`` flights from ``pieces``: (aim, rows of it, their places in the result)
    triples that fill every place once. The time grid is the longest piece's (positions and
    velocities NaN-padded, as after impact); scalars (models, kind) and fields that are None
    come from the first piece (positions and velocities too, when they are None: flown into
    `flight_rows.FlightRows`)."""
    first = pieces[0][0]
    m = max(a.time.size for a, _, _ in pieces)
    fields = {}
    for name, value in first.__dict__.items():
        if name == "time":
            fields[name] = first.time[0] + np.arange(m) * first.step if first.time.size else first.time
        elif value is None or isinstance(value, str) or name == "models":
            fields[name] = value
        else:
            value = np.asarray(value)
            big = name in ("position", "velocity")
            out = np.full((n, m, 3), np.nan) if big else np.empty((n,) + value.shape[1:], dtype=value.dtype)
            for a, rows, at in pieces:
                v = np.asarray(getattr(a, name))
                if big:
                    out[at, :v.shape[1]] = v[rows]
                else:
                    out[at] = v[rows]
            fields[name] = out
    return type(first)(**fields)
