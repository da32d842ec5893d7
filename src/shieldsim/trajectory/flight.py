"""Free flights as arrays: from burnout states to impact on the Earth's surface.

Physics: after burnout a missile is a point mass in the Earth's point-mass gravity field.
Flight is computed in the inertial frame that coincides with Earth-fixed axes at the burnout
instant; with ``rotation`` on the Earth turns beneath it at the model's rotation rate.

* Drag off: the arc is the exact two-body conic (Kepler's equation, no step size); the impact
  is where the conic meets the model surface (on WGS84 found by a fixed-point iteration on
  the surface radius, converged below a millimetre).
* Drag on: above ``DRAG_CEILING`` (100 km) the flight is still the exact conic; below it the
  motion under gravity plus drag, with the air co-rotating with the Earth, is integrated with
  eighth-order Runge-Kutta steps (`integrator.rk8_step`) of about 0.3-1 s where drag is
  strong, longer (up to 4 s) where it is weak (`drag_arc._drag_step`), each ending on the layer
  edge of the density model it would cross (`drag_arc._edge_step`); samples and the impact come
  from the step's dense output. Within 1 cm of SciPy's DOP853 at rtol 1e-12 on the same model
  (`tests/test_trajectory.py`). Drag acceleration is
  rho |v_air| v_air / (2 beta) with ``beta`` the ballistic coefficient m / (C_D A) in kg/m^2 and
  rho from `shieldsim.atmosphere` (the 1976 standard's closed-form layers). Altitude for the density is the height above the model
  surface along the geocentric radius (within metres of the geodetic height below 100 km).

Inputs at the public edge are SI: radians, metres, seconds, m/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..atmosphere import density_table
from ..earth import (
    WGS84, Earth, enu_basis, fixed_state, inertial_velocity, local_velocity, surface_distance, surface_lat_lon,
    to_ecef, to_geodetic,
)
from .kernels import (
    DRAG_CEILING, DRAG_STEP, F_A, F_B, F_BOTTOM, F_DRAG, F_GM, F_OMEGA, F_RK_DT, F_SAMPLE_DT, F_SIZE, F_TOP,
    _fly_batch, _fly_into_rows, _fly_vacuum_batch, _fly_vacuum_geodetic_batch,
)

__all__ = ["DRAG_CEILING", "DRAG_STEP", "Flight", "Models", "Trajectory", "burnout_state", "fly", "fly_states"]


@dataclass(frozen=True)
class Models:
    """The model switches of a computation, recorded in every output: the Earth model (shape
    and GM), whether the Earth rotates under the flight (``rotation``) and whether air drag is
    integrated below `DRAG_CEILING` (``drag``)."""

    earth: Earth = WGS84
    rotation: bool = True
    drag: bool = False

    def as_dict(self) -> dict:
        return {"earth": self.earth.name, "rotation": self.rotation, "drag": self.drag}


@dataclass
class Flight:
    """N ballistic flights from burnout to impact. Times in seconds after burnout.

    Attributes:
        impact_lat, impact_lon: geodetic impact point, radians, (N,).
        flight_time: burnout to impact, s, (N,); NaN where the arc never comes down.
        apogee_alt: highest altitude above the model surface reached after burnout, m.
        apogee_time: time of that apogee after burnout, s.
        ground_range: surface distance from the burnout point's ground position to impact, m.
        impact_speed, impact_gamma: Earth-relative speed (m/s) and flight-path angle (rad,
            negative downwards) at impact.
        sample_time: (M,) sample times after burnout, s (empty when no samples were asked for).
        position, velocity: (N, M, 3) Earth-fixed position (m) and Earth-relative velocity
            (m/s) at the sample times; NaN after impact.
        models: the model switches used.
    """

    impact_lat: np.ndarray
    impact_lon: np.ndarray
    flight_time: np.ndarray
    apogee_alt: np.ndarray
    apogee_time: np.ndarray
    ground_range: np.ndarray
    impact_speed: np.ndarray
    impact_gamma: np.ndarray
    models: Models
    sample_time: np.ndarray = field(default_factory=lambda: np.empty(0))
    position: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 3)))
    velocity: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 3)))


def burnout_state(lat, lon, alt, speed, gamma, heading, earth: Earth = WGS84):
    """Earth-fixed position (m) and Earth-relative velocity (m/s), each (N, 3), of burnout
    states given as geodetic lat, lon (rad), altitude (m), speed (m/s), flight-path angle
    above the local horizontal and heading clockwise from north (rad)."""
    lat, lon, alt, speed, gamma, heading = (
        np.atleast_1d(np.asarray(x, dtype=float)) for x in np.broadcast_arrays(lat, lon, alt, speed, gamma, heading)
    )
    return to_ecef(lat, lon, alt, earth), local_velocity(speed, gamma, heading, lat, lon)


def fly_states(position, velocity, models: Models = Models(), beta=np.inf,
               sample_step: float | None = None, max_time: float = 7200.0, burnout_lat_lon=None,
               into=None, impact_only: bool = False) -> Flight:
    """Fly N burnout states given as Earth-fixed position (N, 3) m and Earth-relative velocity
    (N, 3) m/s to impact. ``beta`` is the ballistic coefficient (kg/m^2, scalar or (N,)) used
    when ``models.drag`` is on. With ``sample_step`` (s) the flight is also sampled every
    ``sample_step`` seconds from burnout up to ``max_time``. ``into`` (drag on, with
    ``sample_step``; ``max_time`` unused) = (rows (N,), j0 (N,), boost samples bpos, bvel (N, K, 3),
    out_pos, out_vel (N_all, M, 3)): the samples are written into row rows[i] of out_pos/out_vel
    from column j0[i] on, after the boost's (`kernels._fly_into_rows`), and the `Flight` has none."""
    r0 = np.ascontiguousarray(np.atleast_2d(np.asarray(position, dtype=float)))
    v_rel = np.ascontiguousarray(np.atleast_2d(np.asarray(velocity, dtype=float)))
    n = r0.shape[0]
    earth = models.earth
    omega = earth.rotation_rate if models.rotation else 0.0
    v0 = inertial_velocity(r0, v_rel, omega)
    beta = np.ascontiguousarray(np.broadcast_to(np.asarray(beta, dtype=float), (n,)))
    bottom, top, log_rho = density_table()
    m = 0 if not sample_step or into is not None else int(math.floor(max_time / sample_step)) + 1
    pos = np.empty((n, m, 3))
    vel = np.empty((n, m, 3))
    res = np.empty((n, 11))
    if models.drag or m:
        params = np.zeros(F_SIZE)
        params[F_GM], params[F_A], params[F_B], params[F_OMEGA] = (earth.gm, earth.equatorial_radius,
                                                                   earth.polar_radius, omega)
        params[F_DRAG] = 1.0 if models.drag else 0.0
        params[F_BOTTOM], params[F_TOP] = bottom, top
        params[F_RK_DT], params[F_SAMPLE_DT] = DRAG_STEP, float(sample_step or 1.0)
        if into is None:
            _fly_batch(r0, v0, beta, params, log_rho, pos, vel, res)
        else:
            _fly_into_rows(r0, v0, beta, params, log_rho, *into, res)
    else:
        _fly_vacuum_batch(r0, v0, earth.gm, earth.equatorial_radius, earth.polar_radius, res)
    t_imp = res[:, 0]
    r_imp, v_imp_rel = fixed_state(res[:, 1:4], res[:, 4:7], t_imp, omega)
    lat_i, lon_i = surface_lat_lon(r_imp, earth)
    t_apo = res[:, 7]
    _, _, alt_apo = to_geodetic(res[:, 8:11], earth)  # geodetic height is rotation-invariant
    sample_time = np.arange(m) * (sample_step or 1.0)
    if impact_only:
        unset = np.full(n, np.nan)
        return Flight(impact_lat=lat_i, impact_lon=lon_i, flight_time=t_imp, apogee_alt=alt_apo, apogee_time=t_apo,
                      ground_range=unset, impact_speed=unset.copy(), impact_gamma=unset.copy(), models=models,
                      sample_time=sample_time, position=pos, velocity=vel)
    if burnout_lat_lon is None:
        lat_0, lon_0, _ = to_geodetic(r0, earth)
    else:
        lat_0, lon_0 = burnout_lat_lon
    speed_imp = np.linalg.norm(v_imp_rel, axis=1)
    up = r_imp / np.linalg.norm(r_imp, axis=1)[:, None]
    if earth.flattening:
        up = enu_basis(lat_i, lon_i)[2]
    gamma_imp = np.arcsin(np.clip(np.sum(v_imp_rel * up, axis=1) / speed_imp, -1.0, 1.0))
    ok = np.isfinite(t_imp)
    ground = np.full(n, np.nan)
    if ok.any():
        ground[ok] = surface_distance(lat_0[ok], lon_0[ok], lat_i[ok], lon_i[ok], earth)
    return Flight(
        impact_lat=lat_i, impact_lon=lon_i, flight_time=t_imp, apogee_alt=alt_apo, apogee_time=t_apo,
        ground_range=ground, impact_speed=speed_imp, impact_gamma=gamma_imp, models=models,
        sample_time=sample_time, position=pos, velocity=vel,
    )


def fly(lat, lon, alt, speed, gamma, heading, models: Models = Models(), beta=np.inf,
        sample_step: float | None = None, max_time: float = 7200.0) -> Flight:
    """Fly N burnout states to impact.

    Args:
        lat, lon: geodetic burnout position, radians (scalars or (N,) arrays).
        alt: burnout altitude above the model surface, m.
        speed: burnout speed relative to the rotating Earth, m/s.
        gamma: flight-path angle above the local horizontal, rad.
        heading: heading clockwise from true north, rad.
        models: Earth model and rotation/drag switches.
        beta: ballistic coefficient, kg/m^2 (used when drag is on).
        sample_step: if given, also sample states every this many seconds.

    Returns:
        A `Flight`. Arcs that never come down (orbit or escape) have NaN results.
    """
    if not models.drag and not sample_step:
        return _fly_vacuum(lat, lon, alt, speed, gamma, heading, models)
    r0, v0 = burnout_state(lat, lon, alt, speed, gamma, heading, models.earth)
    lat, lon = np.broadcast_arrays(np.atleast_1d(lat), np.atleast_1d(lon), r0[:, 0])[:2]
    return fly_states(r0, v0, models, beta, sample_step, max_time, burnout_lat_lon=(lat, lon))


@dataclass
class Trajectory:
    """N complete threat flights, launch to impact, sampled on one uniform time grid.

    This is the form in which threats are handed to sensors, engagements and battles.
    Times on the grid are seconds after each threat's own launch; ``launch_time`` places each
    launch on the scenario clock (seconds since the scenario epoch).

    Attributes:
        time: (M,) seconds after launch, uniform step ``step``.
        position: (N, M, 3) Earth-fixed position, m; NaN after impact.
        velocity: (N, M, 3) Earth-relative velocity, m/s; NaN after impact.
        launch_time: (N,) seconds since the scenario epoch.
        burnout_time, impact_time, apogee_time: (N,) seconds after launch.
        launch_lat, launch_lon, impact_lat, impact_lon: (N,) geodetic, radians.
        apogee_alt: (N,) m above the model surface.
        ground_range: (N,) launch point to impact along the surface, m.
        rcs: (N,) radar cross-section of the object radars track after burnout, m^2.
        beta: (N,) ballistic coefficient of that object, kg/m^2.
        models: the model switches used.
        labels: (N,) free-text names (e.g. threat class and launch area).
        body_rcs: (N,) radar cross-section of the missile body before the re-entry vehicle
            separates, m^2 (None: no body phase, radars see ``rcs`` throughout).
        separation_time: (N,) when the re-entry vehicle separates, s after launch (None: at
            burnout).
    """

    time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    launch_time: np.ndarray
    burnout_time: np.ndarray
    impact_time: np.ndarray
    apogee_time: np.ndarray
    launch_lat: np.ndarray
    launch_lon: np.ndarray
    impact_lat: np.ndarray
    impact_lon: np.ndarray
    apogee_alt: np.ndarray
    ground_range: np.ndarray
    rcs: np.ndarray
    beta: np.ndarray
    models: Models
    labels: np.ndarray | None = None
    body_rcs: np.ndarray | None = None
    separation_time: np.ndarray | None = None

    @property
    def step(self) -> float:
        """Sample step, s."""
        return float(self.time[1] - self.time[0]) if self.time.size > 1 else 1.0

    def __len__(self) -> int:
        return self.position.shape[0]

    def subset(self, index) -> Trajectory:
        """The flights selected by ``index`` (a mask, slice or integer array), as the same type
        (per-flight arrays indexed; the time grid, models and other scalars such as `Aim.kind`
        kept)."""
        fields = {}
        for name, value in self.__dict__.items():
            if name in ("time", "models") or value is None or isinstance(value, str):
                fields[name] = value
            else:
                fields[name] = value[index]
        return type(self)(**fields)

    @classmethod
    def concat(cls, parts) -> Trajectory:
        """One `Trajectory` holding the flights of ``parts`` (a non-empty sequence of
        trajectories on the same sample step and models), in order.

        The common time grid is as long as the longest part; shorter parts' positions and
        velocities are padded with NaN (as after impact). Per-flight scalars given as one value
        for a whole part are repeated for its flights. ``labels`` are kept only when every part
        has them. Extra fields of subclasses (e.g. `Aim`'s burnout states) are dropped.

        Raises:
            ValueError: no parts, or parts on different steps, grid starts or models.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("nothing to concatenate: no trajectories given")
        first = parts[0]
        for p in parts[1:]:
            if p.models != first.models:
                raise ValueError(f"cannot concatenate trajectories under different models: "
                                 f"{first.models.as_dict()} and {p.models.as_dict()}")
            if (p.time.size > 1 and first.time.size > 1 and not np.isclose(p.step, first.step)) or \
                    (p.time.size and first.time.size and not np.isclose(p.time[0], first.time[0])):
                raise ValueError(f"cannot concatenate trajectories on different time grids: step {first.step:g} s "
                                 f"from {first.time[0]:g} s and step {p.step:g} s from {p.time[0]:g} s")
        step = next((p.step for p in parts if p.time.size > 1), first.step)
        m = max(p.time.size for p in parts)
        t0 = first.time[0] if first.time.size else 0.0
        fields = {"time": t0 + np.arange(m) * step, "models": first.models}
        for name in ("position", "velocity"):
            fields[name] = np.concatenate([np.pad(np.asarray(getattr(p, name), dtype=float),
                                                  ((0, 0), (0, m - p.time.size), (0, 0)), constant_values=np.nan)
                                           for p in parts])
        for name in ("launch_time", "burnout_time", "impact_time", "apogee_time", "launch_lat", "launch_lon",
                     "impact_lat", "impact_lon", "apogee_alt", "ground_range", "rcs", "beta"):
            fields[name] = np.concatenate([np.broadcast_to(np.asarray(getattr(p, name), dtype=float), (len(p),))
                                           for p in parts])
        # what radars see before separation: parts without a body phase see their rcs from launch
        for name, fallback in (("body_rcs", "rcs"), ("separation_time", "burnout_time")):
            fields[name] = None if all(getattr(p, name) is None for p in parts) else np.concatenate(
                [np.broadcast_to(np.asarray(getattr(p, name) if getattr(p, name) is not None else getattr(p, fallback),
                                            dtype=float), (len(p),)) for p in parts])
        labels = [p.labels for p in parts]
        fields["labels"] = None if any(x is None for x in labels) else \
            np.concatenate([np.asarray(x, dtype=object) for x in labels])
        return Trajectory(**fields)


def _fly_vacuum(lat, lon, alt, speed, gamma, heading, models: Models) -> Flight:
    """`fly` for vacuum flights without samples: one compiled pass from geodetic burnout
    states to every result."""
    arrays = [np.ascontiguousarray(np.atleast_1d(x), dtype=float)
              for x in np.broadcast_arrays(lat, lon, alt, speed, gamma, heading)]
    earth = models.earth
    out = np.empty((arrays[0].shape[0], 8))
    # first touch of the fresh pages here, in one pass: taken inside the parallel kernel (NumPy
    # asks for huge pages above 4 MB) the page faults cost ~10 times more (docs/performance.md)
    out.fill(np.nan)
    omega = earth.rotation_rate if models.rotation else 0.0
    failed = _fly_vacuum_geodetic_batch(*arrays, earth.gm, earth.equatorial_radius, earth.flattening, omega, out)
    ground = out[:, 5]
    if failed:  # Vincenty did not converge (nearly antipodal points): pyproj
        redo = np.isnan(ground) & np.isfinite(out[:, 0])
        ground[redo] = surface_distance(arrays[0][redo], arrays[1][redo], out[redo, 1], out[redo, 2], earth)
    return Flight(impact_lat=out[:, 1], impact_lon=out[:, 2], flight_time=out[:, 0], apogee_alt=out[:, 3],
                  apogee_time=out[:, 4], ground_range=ground, impact_speed=out[:, 6], impact_gamma=out[:, 7],
                  models=models)

