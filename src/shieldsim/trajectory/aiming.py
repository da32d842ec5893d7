"""Aiming threat flights at targets: `aim`, and the solver behind it.

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
first and its neighbours start from its solution and Jacobian (`_warm_newton`). In vacuum,
minimum-energy pairs sharing one launch latitude are solved as a family (`_family_newton`,
`trajectory.family`): a subset first, the others from a local cubic fit of the subset's
controls over log distance and heading, which most of them confirm with their first flight.
With drag, many minimum-energy pairs from any launch points are solved the same way over
(launch latitude, heading, log distance) (`_spread_solve`, `trajectory.spread`), the drag
offsets fitted too. The solver: module-level functions on an `AimProblem` (the pairs, class,
models, shape; fixed) and an `AimState` (controls, Jacobians, drag offsets, flight times per
pair; updated in place).

Inputs at the public edge are SI: radians, metres, seconds, m/s.
"""


from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..earth import geodesic_inverse_compiled
from ..missile import Missile, boost_profile
from .boosted import (
    Aim, KeptBoosts, _boost_states, _evaluate, _free_flights, boosted_trajectories, gather_aims,
    trajectories_of_boosts, whole_and_vacuum,
)
from .boosted import max_range  # noqa: F401 (re-exported: tests)
from .family import cells, local_cubic, log_polar, row_ranks
from .flight import DRAG_CEILING, Models
from .flight_rows import FlightRows
from .shape_table import CUTOFF_MIN as _CUTOFF_MIN
from .shape_table import _initial_controls, _shape_table  # noqa: F401 (_shape_table: tests)
from .verdicts import AimError, _none_flown, _pair, _unreachable_error
from .spread import NEIGHBOURS, coordinates, fitted_start
from .spread import cells as spread_cells
from .spread import representatives as _representatives

KINDS = ("minimum-energy", "lofted", "depressed")
"""The flight shapes `aim` can be asked for."""


AIM_TOL = 100.0
"""Miss distance (m) to which `aim` converges (the requirement is 1 km)."""

APOGEE_TOL = 100.0
"""Apogee error (m) to which lofted/depressed aiming converges."""

_GAMMA_TOL = 2e-5  # rad, minimum-energy shaping condition
_KICK_MAX = math.radians(85.0)
_AIM_ITER = 30
_WARM_BIN = 250_000.0  # m, target bins of the warm start of `aim` (pairs sharing a launch point)
_WARM_SHARE = 0.5  # warm-start only when the bins number at most this share of the pairs
_WARM_COARSEN = 2.0  # bins of the pairs solved first are this many times larger
_WARM_MIN = 32  # fewer pairs than this are solved from the shape table
_WARM_LAT = math.radians(10.0)  # launch latitude bands of the warm start
_FAMILY_CELL = 0.12  # cells of the pairs solved first in `_family_newton` (rad of heading and of log range)
_FAMILY_MIN = 200  # fewer pairs from one launch latitude than this are warm-started from neighbours
_SPREAD_CELL = 0.3  # cells of the pairs solved first in `_spread_solve` (rad of latitude and heading, ln range)
_SPREAD_MIN = 200  # fewer pairs than this (drag on) are solved without `_spread_solve`
_SPREAD_SHARE = 0.5  # nor where the pairs solved first would number more than this share of them

_FD_STEP = np.array([1e-6, 1e-5, 1e-5])  # finite-difference steps of the controls (rad, rad, fraction)
_LIMIT = np.array([0.05, math.radians(4.0), 0.05])  # largest Newton step of each control
_LO = np.array([-np.inf, math.radians(0.1), _CUTOFF_MIN])  # bounds of the controls
_HI = np.array([np.inf, _KICK_MAX, 1.0])


@dataclass(frozen=True, eq=False)
class AimProblem:
    """What `aim` solves, fixed while solving: N launch/target pairs of one class (arrays (N,)).

    Attributes:
        missile: the class; acc: its calibrated stage accelerations (`missile.boost_profile`, m/s^2).
        models: the models of the true flights; kind: one of `KINDS`.
        lat, lon, target_lat, target_lon: geodetic launch and target points, rad.
        dist: geodesic launch-to-target distance, m; az_t: initial heading to the target, rad.
        h_t: requested apogee, m (zeros for minimum-energy).
    """

    missile: Missile
    acc: np.ndarray
    models: Models
    kind: str
    lat: np.ndarray
    lon: np.ndarray
    target_lat: np.ndarray
    target_lon: np.ndarray
    dist: np.ndarray
    az_t: np.ndarray
    h_t: np.ndarray

    @classmethod
    def build(cls, launch_lat, launch_lon, target_lat, target_lon, missile, models: Models, kind: str,
              apogee=None) -> AimProblem:
        """The problem for pairs given in rad (scalars or (N,)); ``kind`` must be one of `KINDS`.
        Raises ValueError for a missing or non-positive apogee, AimError (``cause="range"``) for
        points closer than 10 km."""
        lat, lon, tlat, tlon = (np.atleast_1d(np.asarray(x, dtype=float)).copy() for x in
                                np.broadcast_arrays(launch_lat, launch_lon, target_lat, target_lon))
        n = lat.size
        if kind != "minimum-energy":
            if apogee is None:
                raise ValueError(f"a {kind} flight needs an apogee")
            h_t = np.broadcast_to(np.asarray(apogee, dtype=float), (n,)).copy()
            if np.any(~(h_t > 0)):
                raise ValueError("apogee must be > 0 m")
        else:
            h_t = np.zeros(n)
        dist, az_t = geodesic_inverse_compiled(lat, lon, tlat, tlon, models.earth)
        dist = np.atleast_1d(dist)
        az_t = np.atleast_1d(az_t)
        if np.any(dist < 10_000.0):
            raise AimError("launch and target points must be at least 10 km apart", "range")
        return cls(missile, boost_profile(missile), models, kind, lat, lon, tlat, tlon, dist, az_t, h_t)

    @property
    def n(self) -> int:
        """Number of pairs."""
        return self.lat.size

    @property
    def vacuum(self) -> Models:
        """The models of the Newton flights' free flight: the same Earth and rotation, no drag."""
        return Models(self.models.earth, self.models.rotation, False)

    @property
    def shape_tol(self) -> float:
        """Tolerance of the third residual: half `APOGEE_TOL` (m), or `_GAMMA_TOL` in micro-radians."""
        return APOGEE_TOL * 0.5 if self.kind != "minimum-energy" else _GAMMA_TOL * 1e6


@dataclass(eq=False)
class AimState:
    """The solver's working arrays, one row per pair, updated in place.

    Attributes:
        x: (N, 3) controls: launch azimuth (rad), kick (rad), cutoff (fraction of the burn).
        full: (N,) the minimum-energy condition gave way to a full burn.
        offset: (N, 3) effect of re-entry drag on (range m, azimuth rad, apogee m), added to the
            residuals of flights whose free flight is flown under ``free_models``.
        free_models: models of the Newton flights' free flight (vacuum, then the true models
            where the offsets do not settle).
        ft: (N,) free-flight time (s) of the flight at x under ``free_models``.
        jac: (N, 3, 3) Jacobian of the residual in the controls; fresh: it is a finite-difference
            one at x; have: it is usable (fresh, Broyden-updated or borrowed).
        true_r: (N, 3) residuals of the flights flown with drag; flight_time: (N,) their
            free-flight times, s.
        whole: whole sampled flights measured with drag (`_true_residual` with a sample step):
            (pair indices (k,), their controls (k, 3), the `Aim` of those k flights) per batch;
            rows: their samples, each pair's latest in its row (`flight_rows.FlightRows`).
        boosts: without drag, the sampled boosts of the flights that set each pair's controls
            (`boosted.KeptBoosts`), for the whole flights `aim` returns; None: not kept.
    """

    x: np.ndarray
    full: np.ndarray
    offset: np.ndarray
    free_models: Models
    ft: np.ndarray
    jac: np.ndarray
    fresh: np.ndarray
    have: np.ndarray
    true_r: np.ndarray
    flight_time: np.ndarray
    whole: list = field(default_factory=list)
    boosts: KeptBoosts | None = None
    rows: FlightRows | None = None

    @classmethod
    def start(cls, problem: AimProblem) -> AimState:
        """Starting state: azimuth towards the target, kick and cutoff from the shape table."""
        n = problem.n
        kick0, cut0 = _initial_controls(problem.missile, problem.models.drag, problem.dist, problem.kind,
                                        problem.h_t)
        return cls(x=np.stack([problem.az_t, kick0, cut0], axis=1), full=np.zeros(n, dtype=bool),
                   offset=np.zeros((n, 3)), free_models=problem.vacuum, ft=np.full(n, np.nan),
                   jac=np.full((n, 3, 3), np.nan), fresh=np.zeros(n, dtype=bool), have=np.zeros(n, dtype=bool),
                   true_r=np.zeros((n, 3)), flight_time=np.full(n, np.nan))


# ---------------------------------------------------------------------------------------------
# residuals


def _flown(problem: AimProblem, sel, xs, free_models: Models, sampled: tuple | None = None):
    """Fly the pairs ``sel`` with controls xs (k, 3) (boost under the problem's models, free
    flight under ``free_models``): ((k, 3) [distance m, initial heading rad, apogee m] of the
    impact as seen from the launch point, the `_evaluate` dict). Minimum-energy flights need no
    apogee: its column is 0 (and the vacuum flights are flown to their impact only). ``sampled``:
    as in `_evaluate` (the dict then holds the sampled boosts)."""
    shaped = problem.kind != "minimum-energy"
    e = _evaluate(problem.missile, problem.acc, problem.lat[sel], problem.lon[sel], xs[:, 0], xs[:, 1], xs[:, 2],
                  problem.models, free_models, need_apogee=shaped, sampled=sampled)
    return _measured(problem, sel, e), e


def _measured(problem: AimProblem, sel, e):
    """(k, 3) [distance m, initial heading rad, apogee m (0 for minimum-energy)] of the impacts
    of the `_evaluate` dict ``e`` of the pairs ``sel``, as seen from their launch points (NaN
    where a flight has no impact; `earth.geodesic_inverse_compiled`)."""
    d_i, az_i = geodesic_inverse_compiled(problem.lat[sel], problem.lon[sel], e["impact_lat"], e["impact_lon"],
                                          problem.models.earth)
    m = np.empty((d_i.size, 3))  # (filled in place: no `stack`)
    m[:, 0], m[:, 1], m[:, 2] = d_i, az_i, e["apogee_alt"] if problem.kind != "minimum-energy" else 0.0
    return m


def _flown_drag_and_vacuum(problem: AimProblem, sel, xs):
    """`_flown` of the pairs ``sel`` at controls xs twice from one boost: the free flight with
    drag (the problem's models) and in vacuum. Returns (measured with drag, its `_evaluate`
    dict, measured in vacuum, its dict)."""
    shaped = problem.kind != "minimum-energy"
    boost = _boost_states(problem.missile, problem.acc, problem.lat[sel], problem.lon[sel], xs[:, 0], xs[:, 1],
                          xs[:, 2], problem.models)
    e_drag = _free_flights(problem.missile, boost, problem.models, problem.models, need_apogee=shaped)
    e_vac = _free_flights(problem.missile, boost, problem.models, problem.vacuum, need_apogee=shaped)
    return _measured(problem, sel, e_drag), e_drag, _measured(problem, sel, e_vac), e_vac


def _residual(problem: AimProblem, state: AimState, sel, xs, full_s, keep: bool = False):
    """Residuals (k, 3) of the pairs ``sel`` at controls xs: downrange miss (m), crossrange miss
    (m), and the shaping condition (micro-radians of flight-path angle from minimum energy, the
    cutoff's distance from 1 where ``full_s``, or the apogee error in m); the `_evaluate` dict.
    With ``keep`` and state.boosts the boosts are sampled, in the dict's "boosts", for the caller
    to keep (`KeptBoosts.keep`) where they set the pair's controls."""
    sampled = state.boosts.sampled if keep and state.boosts is not None else None
    m, e = _flown(problem, sel, xs, state.free_models, sampled)
    return _residual_of(problem, state, sel, xs, full_s, m, e), e


def _residual_of(problem: AimProblem, state: AimState, sel, xs, full_s, m, e):
    """The residuals of `_residual` from flights already flown: measured m (k, 3) (`_flown`,
    under state.free_models) and their `_evaluate` dict e."""
    m = m + state.offset[sel]
    r = np.empty((xs.shape[0], 3))
    r[:, 0] = m[:, 0] - problem.dist[sel]
    r[:, 1] = problem.dist[sel] * np.angle(np.exp(1j * (m[:, 1] - problem.az_t[sel])))
    if problem.kind == "minimum-energy":
        r[:, 2] = np.where(full_s, (xs[:, 2] - 1.0) * 1e6, e["g"] * 1e6)
    else:
        r[:, 2] = m[:, 2] - problem.h_t[sel]
    return r


def _done(problem: AimProblem, r, full_s):
    """True where residuals r (k, 3) meet the tolerances (miss below half `AIM_TOL`)."""
    miss = np.hypot(r[:, 0], r[:, 1]) < 0.5 * AIM_TOL
    return miss & (np.abs(r[:, 2]) < np.where(full_s, 1.0, problem.shape_tol))


def _true_residual(problem: AimProblem, state: AimState, sel, sample_step: float | None = None):
    """Residuals of the flights ``sel`` flown with drag (into state.true_r, their times into
    state.flight_time); (True where the miss is met, the flown (k, 3) as in `_flown`, and the
    same flights' free flight in vacuum: its (k, 3) and `_evaluate` dict). With ``sample_step``
    (minimum-energy flights) the flights with drag are the whole flights `aim` returns, sampled
    on that grid (`boosted.whole_and_vacuum`), kept in state.whole: a flight whose controls do
    not change after it is not flown again."""
    dist, az_t = problem.dist[sel], problem.az_t[sel]
    whole = None
    if sample_step is not None and problem.kind == "minimum-energy" and sel.size:
        ft = state.flight_time[sel]
        bound = float(np.nanmax(ft)) + 60.0 if np.any(np.isfinite(ft)) else None
        x = state.x[sel]
        state.rows = state.rows or FlightRows(problem.n, sample_step)
        try:
            kept = None if state.boosts is None else state.boosts.boosts_of(problem.missile, problem.lat, problem.lon,
                                                                            sel, x, problem.models)
            whole, e, e_vac = whole_and_vacuum(problem.missile, problem.lat[sel], problem.lon[sel], x[:, 0], x[:, 1],
                                               x[:, 2], problem.models, sample_step, bound, problem.target_lat[sel],
                                               problem.target_lon[sel], problem.kind, (state.rows, sel), kept)
        except ValueError:  # a flight that falls back or never comes down: measured the plain way
            whole = None  # (its rows may hold other flights now: no row of sel is taken from before)
            state.whole.append((sel, np.full_like(x, np.nan), None))
    if whole is None:
        m_drag, e, m_vac, e_vac = _flown_drag_and_vacuum(problem, sel, state.x[sel])
    else:
        m_drag, m_vac = _measured(problem, sel, e), _measured(problem, sel, e_vac)
        state.whole.append((sel, state.x[sel].copy(), whole))
    state.true_r[sel] = np.stack([m_drag[:, 0] - dist, dist * np.angle(np.exp(1j * (m_drag[:, 1] - az_t))),
                                  m_drag[:, 2] - problem.h_t[sel]], axis=1)
    state.flight_time[sel] = e["flight_time"]
    good = np.hypot(state.true_r[sel, 0], state.true_r[sel, 1]) < AIM_TOL
    if problem.kind != "minimum-energy":
        good &= np.abs(state.true_r[sel, 2]) < APOGEE_TOL
    return good, m_drag, m_vac, e_vac


# ---------------------------------------------------------------------------------------------
# Newton with a trust region, finite-difference and Broyden Jacobians


def _fd_jacobian(problem: AimProblem, state: AimState, idx, r_idx):
    """Finite-difference Jacobians at state.x[idx] (residuals r_idx there) into state.jac, the
    three columns flown in one batch (steps `_FD_STEP`, backwards at the upper bound)."""
    xi = state.x[idx]
    xp = np.concatenate([xi] * 3)
    hs = []
    for k in range(3):
        h = _FD_STEP[k] * np.where(xi[:, k] + _FD_STEP[k] > _HI[k], -1.0, 1.0)
        xp[k * idx.size:(k + 1) * idx.size, k] += h
        hs.append(h)
    rp, _ = _residual(problem, state, np.concatenate([idx] * 3), xp, np.concatenate([state.full[idx]] * 3))
    for k in range(3):
        state.jac[idx, :, k] = (rp[k * idx.size:(k + 1) * idx.size] - r_idx) / hs[k][:, None]
    state.have[idx] = True
    state.fresh[idx] = True


def _broyden(state: AimState, idx, s_, r_old, r_new):
    """Broyden's rank-one update of state.jac[idx] for steps s_ that took the residual from r_old
    to r_new: J += (dr - J s) (s/l^2)^T / (s . s/l^2) (controls scaled by `_LIMIT`)."""
    ws = s_ / _LIMIT**2
    den = np.sum(s_ * ws, axis=1)
    upd = (den > 0) & np.isfinite(r_new).all(axis=1) & np.isfinite(r_old).all(axis=1)
    u = slice(None) if upd.all() else upd  # every pair (the usual case): views, no masked copies
    if upd.any():
        i = idx[u]
        y_ = r_new[u] - r_old[u] - np.einsum("nij,nj->ni", state.jac[i], s_[u])
        state.jac[i] = state.jac[i] + y_[:, :, None] * ws[u][:, None, :] / den[u][:, None, None]
        state.fresh[i] = False


def _newton_step(r, jac, trust):
    """Newton steps -J^-1 r for residuals r (k, 3) and Jacobians jac (k, 3, 3), each scaled down to
    lie within `_LIMIT` x trust (k,): (step (k, 3), unscaled step, usable Jacobian (k,) bool).
    Where the Jacobian or residual is not finite or the Jacobian is singular the step is 0."""
    dx = np.zeros_like(r)
    good_j = np.isfinite(jac).all(axis=(1, 2)) & np.isfinite(r).all(axis=1)
    good_j &= np.abs(np.linalg.det(jac if good_j.all() else np.where(good_j[:, None, None], jac, 1.0))) > 1e-300
    g = slice(None) if good_j.all() else good_j  # every pair (the usual case): views, no masked copies
    if good_j.any():  # (each matrix is solved on its own: the same steps either way)
        dx[g] = -np.linalg.solve(jac[g], r[g][:, :, None])[:, :, 0]
    dx_raw = np.where(np.isfinite(dx), dx, 0.0)
    scale = np.max(np.abs(dx_raw) / (_LIMIT * trust[:, None]), axis=1)
    return dx_raw / np.maximum(scale, 1.0)[:, None], dx_raw, good_j


def _full_burn_switch(full, xa, dx_raw, ra):
    """Which pairs (full-burn flags full, controls xa, unscaled Newton steps dx_raw, residuals ra,
    all for the same k pairs) to fly as a full burn from now on: not yet one, short of the target,
    near the minimum-energy condition, and Newton asks for more burn than there is."""
    return (~full) & (xa[:, 2] + dx_raw[:, 2] > 1.0) & (ra[:, 0] < 0) & (xa[:, 2] > 0.97) & \
        (np.abs(ra[:, 2]) < 2e4)


def _newton_iteration(problem: AimProblem, state: AimState, act, r, trust):
    """One trust-region Newton iteration on the pairs ``act`` (residuals r (N, 3) and trust
    radii (N,) updated in place): accepted steps update the Jacobian by Broyden, rejected ones
    shrink the trust region (and renew an aged Jacobian); minimum-energy pairs that need more
    burn than there is switch to the full burn."""
    xa, ra = state.x[act], r[act]
    dx, dx_raw, good_j = _newton_step(ra, state.jac[act], trust[act])
    xn = np.clip(xa + dx, _LO, _HI)
    rn, en = _residual(problem, state, act, xn, state.full[act], keep=True)
    old = np.linalg.norm(ra, axis=1)
    new = np.linalg.norm(rn, axis=1)
    good = np.isfinite(rn).all(axis=1) & ((new < old) | ~np.isfinite(old)) & good_j
    if "boosts" in en:
        state.boosts.keep(act, xn, en["boosts"], good)
    g = slice(None) if good.all() else good  # every pair (the usual case): views, no masked copies
    ag = act[g]
    _broyden(state, ag, (xn - xa)[g], ra[g], rn[g])
    state.x[ag], r[ag], state.ft[ag] = xn[g], rn[g], en["flight_time"][g]
    trust[ag] = np.minimum(trust[ag] * 2.0, 1.0)
    trust[act[~good]] *= 0.25
    # a rejected step with an aged Jacobian: take a fresh one (and keep the trust region)
    stale = act[~good & ~state.fresh[act]]
    state.have[stale] = False
    trust[stale] *= 4.0
    if problem.kind == "minimum-energy":
        switch = _full_burn_switch(state.full[act], xa, dx_raw, ra)
        if switch.any():
            s_ = act[switch]
            state.full[s_] = True
            state.x[s_, 2] = 1.0
            r[s_], es = _residual(problem, state, s_, state.x[s_], state.full[s_], keep=True)
            if "boosts" in es:
                state.boosts.keep(s_, state.x[s_], es["boosts"])
            state.ft[s_] = es["flight_time"]
            trust[s_] = 1.0
            state.have[s_] = False


def _newton(problem: AimProblem, state: AimState, sel, keep_jac=False, secant=None, start=None):
    """Newton iterations with a trust region on the pairs ``sel`` (updates the state); returns
    the residuals (N, 3) (NaN outside ``sel``).

    The Jacobian is taken by finite differences (the three columns flown in one batch) at the
    first iteration (unless ``keep_jac`` and one is at hand) and after a rejected step of an aged
    Jacobian; accepted steps update it with Broyden's rank-one formula (controls scaled by
    `_LIMIT`), so most iterations cost one flight per pair instead of four. ``secant``: (pairs,
    step taken to their x, residual before that step) to update their Jacobians with once the
    residual at x is known. ``start``: the residuals (k, 3) at state.x[sel] when already known
    (then state.ft[sel] must be too), saving their flights."""
    n = problem.n
    if not keep_jac:
        state.have[sel] = False
    r = np.full((n, 3), np.nan)
    if start is None:
        # (with drag the start is seldom the solution: its boosts are not sampled to be kept)
        r[sel], e0 = _residual(problem, state, sel, state.x[sel], state.full[sel],
                               keep=keep_jac and not problem.models.drag)
        if "boosts" in e0:
            state.boosts.keep(sel, state.x[sel], e0["boosts"])
        state.ft[sel] = e0["flight_time"]
    else:
        r[sel] = start
    if secant is not None:
        _broyden(state, *secant, r[secant[0]])
    trust = np.ones(n)
    pending = np.zeros(n, dtype=bool)
    pending[sel] = True
    for _ in range(_AIM_ITER):
        act = np.nonzero(pending & ~_done(problem, r, state.full) & (trust > 1e-6))[0]
        if act.size == 0:
            break
        need = act[~state.have[act]]
        if need.size:
            _fd_jacobian(problem, state, need, r[need])
        _newton_iteration(problem, state, act, r, trust)
    return r


# ---------------------------------------------------------------------------------------------
# warm start from solved neighbours


def _warm_bins(problem: AimProblem, sel, bin_size: float):
    """Bins of the warm start for the pairs ``sel``: launch latitude band (`_WARM_LAT`) x target
    position in the launch point's azimuthal-equidistant plane (squares of ``bin_size`` m).
    Returns (bin index per pair (k,), number of bins, distance of each target from its bin's
    centre (k,) m)."""
    ex = problem.dist[sel] * np.sin(problem.az_t[sel])
    ny = problem.dist[sel] * np.cos(problem.az_t[sel])
    band = np.floor(problem.lat[sel] / _WARM_LAT)  # flights do not depend on the launch longitude
    bx, by = np.floor(ex / bin_size), np.floor(ny / bin_size)
    cell = row_ranks(np.stack([band, bx, by], axis=1))
    n_cell = int(cell.max()) + 1 if cell.size else 0
    off = np.hypot(ex - (bx + 0.5) * bin_size, ny - (by + 0.5) * bin_size)
    return cell, n_cell, off


def _borrow(problem: AimProblem, state: AimState, r_k, j, k):
    """Start the pairs j from the solved pairs k (residuals r_k (m, 3) at their solution): the
    residual of k's flight against j's target, one Newton step with k's Jacobian (crossrange row
    scaled by the distance ratio) into state.x[j], the Jacobian lent to j. Returns that residual."""
    dist, az_t, h_t = problem.dist, problem.az_t, problem.h_t
    rj = np.empty((j.size, 3))
    rj[:, 0] = r_k[:, 0] + dist[k] - dist[j]
    rj[:, 1] = (r_k[:, 1] / dist[k] + np.angle(np.exp(1j * (az_t[k] - az_t[j])))) * dist[j]
    rj[:, 2] = r_k[:, 2] + (h_t[k] - h_t[j] if problem.kind != "minimum-energy" else 0.0)
    jj = state.jac[k].copy()
    jj[:, 1, :] *= (dist[j] / dist[k])[:, None]
    dx = -np.linalg.solve(jj, rj[:, :, None])[:, :, 0]
    dx = np.where(np.isfinite(dx), dx, 0.0)
    dx = dx / np.maximum(np.max(np.abs(dx) / _LIMIT, axis=1), 1.0)[:, None]
    state.x[j] = np.clip(state.x[k] + dx, _LO, _HI)
    state.jac[j] = jj
    state.have[j] = True
    state.fresh[j] = False
    return rj


def _warm_newton(problem: AimProblem, state: AimState, sel, bin_size: float = _WARM_BIN):
    """`_newton` on ``sel``, warm-started where many pairs share a launch latitude band (the
    model is symmetric about the polar axis, so the launch longitude does not matter): one pair
    per bin (`_warm_bins`) is solved first (the same way, with bins `_WARM_COARSEN` times larger,
    down to the shape table), and the others start from that solution moved by one Newton step
    for the difference in target, with its Jacobian (Broyden-updated from there on)."""
    cell, n_cell, off = _warm_bins(problem, sel, bin_size)
    if n_cell > _WARM_SHARE * sel.size or sel.size < _WARM_MIN:
        return _newton(problem, state, sel)
    rep_pos, rep_of_cell = _representatives(sel, cell, n_cell, off)
    rest_pos = np.setdiff1d(np.arange(sel.size), rep_pos)
    rest = sel[rest_pos]
    r_all = _warm_newton(problem, state, sel[rep_pos], bin_size * _WARM_COARSEN)
    if rest.size:
        k = sel[rep_of_cell[cell[rest_pos]]]
        use = _done(problem, r_all[k], state.full[k]) & ~state.full[k] & state.have[k]
        j, k = rest[use], k[use]
        secant = None
        if j.size:
            rj = _borrow(problem, state, r_all[k], j, k)
            secant = (j, state.x[j] - state.x[k], rj)
        state.have[rest[~use]] = False
        r_rest = _newton(problem, state, rest, keep_jac=True, secant=secant)
        r_all[rest] = r_rest[rest]
    return r_all


# ---------------------------------------------------------------------------------------------
# start from a family of solved flights


def _family_newton(problem: AimProblem, state: AimState, sel):
    """`_warm_newton` on ``sel``, except that the pairs sharing a launch latitude with at least
    `_FAMILY_MIN` others (in vacuum, minimum-energy) are solved as a family (`trajectory.family`):
    one pair per cell of `_FAMILY_CELL` in (log distance, heading) is solved first, the others
    start from the local cubic fit of the solved controls (heading as an offset from the target's),
    with the Jacobian of their nearest solved pair. Most of them then meet the tolerance at their
    first flight. Returns the residuals (N, 3) (NaN outside ``sel``)."""
    if problem.models.drag or problem.kind != "minimum-energy":
        return _warm_newton(problem, state, sel)
    lats, group = np.unique(problem.lat[sel], return_inverse=True)
    size = np.bincount(group.ravel(), minlength=lats.size)
    big = size[group.ravel()] >= _FAMILY_MIN
    r = _warm_newton(problem, state, sel[~big]) if (~big).any() else np.full((problem.n, 3), np.nan)
    for g in np.unique(group.ravel()[big]):
        part = sel[group.ravel() == g]
        r_part = _family_part(problem, state, part)
        r[part] = r_part[part]
    return r


def _family_part(problem: AimProblem, state: AimState, part, cell: float = _FAMILY_CELL):
    """`_family_newton` on the pairs ``part`` of one launch latitude, their subset solved first
    chosen on cells of side ``cell`` (and solved the same way on cells twice as large while it
    numbers at least `_FAMILY_MIN` pairs)."""
    reps, rest = _family_split(problem, part, cell)
    if reps.size >= _FAMILY_MIN and rest.size:
        r = _family_part(problem, state, reps, 2.0 * cell)
    else:
        r = _warm_newton(problem, state, reps)
    if rest.size == 0:
        return r
    if not _family_guess(problem, state, reps, rest, r, cell):
        return _warm_newton(problem, state, part)
    r_rest = _newton(problem, state, rest, keep_jac=True)
    r[rest] = r_rest[rest]
    return r


def _family_split(problem: AimProblem, part, cell: float = _FAMILY_CELL):
    """The pairs of ``part`` solved first (one per square of side ``cell`` in `family.log_polar`
    coordinates, nearest the square's centre) and the others: (reps, rest), index arrays."""
    which, n_cell, off = cells(log_polar(problem.dist[part], problem.az_t[part]), cell)
    rep_pos, _ = _representatives(part, which, n_cell, off)
    return part[rep_pos], np.setdiff1d(part, part[rep_pos])


def _family_guess(problem: AimProblem, state: AimState, reps, rest, r, cell: float = _FAMILY_CELL):
    """Start the pairs ``rest`` from the solved pairs ``reps`` (residuals r (N, 3)): controls from
    the local cubic fit (`family.local_cubic`) of the converged, not full-burn reps' controls
    (heading as an offset from the target's) in `family.log_polar` coordinates (offsets scaled
    by ``cell``), Jacobian of the nearest of them (crossrange row scaled by the distance ratio).
    False (state untouched) when no rep converged."""
    src = reps[_done(problem, r[reps], state.full[reps]) & ~state.full[reps] & state.have[reps]]
    if src.size == 0:
        return False
    both = np.concatenate([src, rest])
    xy = log_polar(problem.dist[both], problem.az_t[both])
    u = np.stack([np.angle(np.exp(1j * (state.x[src, 0] - problem.az_t[src]))), state.x[src, 1], state.x[src, 2]],
                 axis=1)
    fit, near, _ = local_cubic(xy[:src.size], u, xy[src.size:], cell)
    fit[:, 0] += problem.az_t[rest]
    k = src[near]
    state.x[rest] = np.clip(fit, _LO, _HI)
    state.jac[rest] = state.jac[k]
    state.jac[rest, 1, :] *= (problem.dist[rest] / problem.dist[k])[:, None]
    state.have[rest] = True
    state.fresh[rest] = False
    return True


# ---------------------------------------------------------------------------------------------
# the whole solve and its verdicts


def _solve(problem: AimProblem, state: AimState, sample_step: float | None = None):
    """Solve every pair: Newton on vacuum free flights shifted by drag offsets, re-measured with
    drag (`_drag_rounds`, sampled on ``sample_step`` when given); with drag, minimum-energy and at
    least `_SPREAD_MIN` pairs, most pairs start from their solved neighbours (`_spread_solve`).
    Returns (converged (N,) bool, residuals (N, 3))."""
    work = np.arange(problem.n)
    if problem.models.drag and problem.kind == "minimum-energy" and problem.n >= _SPREAD_MIN:
        failed = _spread_solve(problem, state, work, sample_step, _SPREAD_CELL)[0]
    else:
        r = _family_newton(problem, state, work)
        if not problem.models.drag:
            return _done(problem, r, state.full), r
        failed = _drag_rounds(problem, state, work, sample_step)[0]
    ok = np.ones(problem.n, dtype=bool)
    ok[failed] = False
    return ok, state.true_r


def _drag_rounds(problem: AimProblem, state: AimState, work, sample_step: float | None, predicted: bool = False):
    """The pairs ``work``, solved in vacuum with their drag offsets, re-measured with drag at the
    current controls (offsets updated, Newton again where the true miss is not met; up to three
    rounds), then Newton on the flights flown with drag where the offsets do not settle (e.g. near
    the edge of reach, where range is insensitive to the controls). The first round (offsets from
    nothing: kilometres off) flies no sampled flight unless the offsets were ``predicted``.
    Returns (the pairs not converged, the pairs that needed the Newton with drag)."""
    for _outer in range(3):
        # re-measure the drag offsets at the current controls; stop where the true miss is met
        ok_true, m_drag, m_vac, e_vac = _true_residual(problem, state, work, sample_step if _outer or predicted else None)
        state.offset[work] = m_drag - m_vac
        state.offset[work, 1] = np.angle(np.exp(1j * state.offset[work, 1]))
        # the offsets shift the residuals by a constant: the Jacobians hold, and the residuals at
        # x are the vacuum flights just flown plus the new offsets
        start = _residual_of(problem, state, work, state.x[work], state.full[work], m_vac, e_vac)
        state.ft[work] = e_vac["flight_time"]
        start, work = start[~ok_true], work[~ok_true]
        if work.size == 0 or _outer == 2:
            break
        _newton(problem, state, work, keep_jac=True, start=start)
    dragged = work
    if work.size:
        state.free_models, state.offset[work] = problem.models, 0.0
        _newton(problem, state, work)
        work = work[~_true_residual(problem, state, work, sample_step)[0]]
        state.free_models = problem.vacuum
    return work, dragged


def _spread_solve(problem: AimProblem, state: AimState, sel, sample_step: float | None, cell: float):
    """Solve the pairs ``sel`` (drag on, minimum-energy): one pair per cell of side ``cell`` in
    `spread.coordinates` first (on cells twice as large while they number `_SPREAD_MIN`; all
    pairs alone where they are over `_SPREAD_SHARE` of them), the others from the local fit of
    their controls, drag offsets and Jacobians (`spread.fitted_start`) through Newton and
    `_drag_rounds` (offsets as measured; sampled flights bounded by the vacuum flight times plus
    the sources' largest delay). Returns `_drag_rounds`'s two index arrays over ``sel``."""
    xyz = coordinates(problem.lat[sel], problem.az_t[sel], problem.dist[sel])
    which, n_cell, off = spread_cells(xyz, cell)
    reps = np.sort(sel[_representatives(sel, which, n_cell, off)[0]])
    rest = np.setdiff1d(sel, reps)
    if reps.size > _SPREAD_SHARE * sel.size:  # too sparse for a fit: every pair solved on its own
        _family_newton(problem, state, sel)
        return _drag_rounds(problem, state, sel, sample_step)
    if reps.size >= _SPREAD_MIN:
        failed, dragged = _spread_solve(problem, state, reps, sample_step, 2.0 * cell)
    else:
        _family_newton(problem, state, reps)
        failed, dragged = _drag_rounds(problem, state, reps, sample_step)
    src = np.setdiff1d(reps, np.concatenate([failed, dragged]))
    src = src[~state.full[src] & state.have[src] & np.isfinite(state.jac[src]).all(axis=(1, 2))]
    if src.size < NEIGHBOURS:
        _family_newton(problem, state, rest)
        more = _drag_rounds(problem, state, rest, sample_step)
    else:
        x, state.offset[rest], state.jac[rest] = fitted_start(
            xyz[np.searchsorted(sel, src)], xyz[np.searchsorted(sel, rest)], cell, problem.az_t[src], problem.az_t[rest],
            problem.dist[src], problem.dist[rest], state.x[src], state.offset[src], state.jac[src])
        state.x[rest] = np.clip(x, _LO, _HI)
        state.have[rest], state.fresh[rest] = True, False
        if sample_step is not None and state.boosts is None:  # their whole flights fly no boost again
            state.boosts = KeptBoosts.empty(problem.n, problem.missile, sample_step)
        _newton(problem, state, rest, keep_jac=True)
        state.flight_time[rest] = state.ft[rest] + np.nanmax(state.flight_time[src] - state.ft[src])
        more = _drag_rounds(problem, state, rest, sample_step, predicted=True)
    return np.concatenate([failed, more[0]]), np.concatenate([dragged, more[1]])


def _kept_converged(problem: AimProblem, ok, r, unreachable: str):
    """Indices of the pairs to fly: all (raising `_unreachable_error` if any did not converge), or
    with ``unreachable="skip"`` the converged ones (AimError if none)."""
    if unreachable == "skip":
        keep = np.nonzero(ok)[0]
        if keep.size == 0:
            raise _none_flown(problem)
        return keep
    if not ok.all():
        raise _unreachable_error(problem, ok, r)
    return np.arange(problem.n)


def _kept_shape(problem: AimProblem, state: AimState, keep, unreachable: str):
    """For lofted/depressed: drop (``"skip"``) or refuse (AimError) kept pairs flown on the wrong
    side of the minimum-energy arc (steeper for lofted, flatter for depressed; judged on the vacuum
    arc, so only for flights that climb above the sensible atmosphere)."""
    _, e = _flown(problem, keep, state.x[keep], problem.vacuum)
    wrong = np.zeros(problem.n, dtype=bool)
    wrong[keep] = ((e["g"] > 0) != (problem.kind == "lofted")) & (e["apogee_alt"] > DRAG_CEILING)
    if wrong.any() and unreachable == "skip":
        keep = keep[~wrong[keep]]
        if keep.size == 0:
            raise _none_flown(problem)
    elif wrong.any():
        j = int(np.nonzero(wrong)[0][0])
        side = "above" if problem.kind == "lofted" else "below"
        raise AimError(f"a {problem.kind} flight needs an apogee {side} the minimum-energy apogee for this pair; "
                       f"{problem.h_t[j] / 1e3:.0f} km is not" + _pair(j, problem.n), "shape")
    return keep


def _final_flights(problem: AimProblem, state: AimState, keep, sample_step: float) -> Aim:
    """The whole flights of the pairs ``keep`` at their solved controls (launch time 0, no labels):
    taken from the sampled re-measurements in state.whole where a pair's controls have not moved
    since (its latest such flight), the others flown by `boosted_trajectories` (into state.rows,
    when the re-measurements were flown there: the samples are then those rows, moved in place)."""
    source = np.full(problem.n, -1)
    row = np.zeros(problem.n, dtype=int)
    for b, (sel, x, _) in enumerate(state.whole):
        same = np.all(x == state.x[sel], axis=1)
        source[sel[same]] = b
        row[sel[same]] = np.nonzero(same)[0]
        source[sel[~same]] = -1
    at = np.arange(keep.size)
    pieces = [(state.whole[b][2], row[keep[source[keep] == b]], at[source[keep] == b])
              for b in np.unique(source[keep]) if b >= 0]
    rest = keep[source[keep] < 0]
    if rest.size and state.boosts is not None and not pieces and not problem.models.drag:  # the kept boosts
        x = state.x[rest]
        boosts = state.boosts.boosts_of(problem.missile, problem.lat, problem.lon, rest, x, problem.models)
        return trajectories_of_boosts(problem.missile, problem.lat[rest], problem.lon[rest], x[:, 0], x[:, 1],
                                      x[:, 2], boosts, problem.models, 0.0, sample_step,
                                      target_lat=problem.target_lat[rest], target_lon=problem.target_lon[rest],
                                      kind=problem.kind)
    if rest.size:
        # free-flight times of the solved flights: flown with drag, or (vacuum) the Newton flights
        flight_time = (state.flight_time if problem.models.drag else state.ft)[rest]
        x = state.x[rest]
        flown = boosted_trajectories(problem.missile, problem.lat[rest], problem.lon[rest], x[:, 0], x[:, 1], x[:, 2],
                                     problem.models, 0.0, sample_step, target_lat=problem.target_lat[rest],
                                     target_lon=problem.target_lon[rest], kind=problem.kind,
                                     max_free_flight=float(np.nanmax(flight_time)) + 60.0,
                                     rows=None if state.rows is None else (state.rows, rest))
        pieces.append((flown, np.arange(rest.size), at[source[keep] < 0]))
    if len(pieces) == 1 and np.array_equal(pieces[0][1], np.arange(keep.size)):
        out = pieces[0][0]
    else:
        out = gather_aims(pieces, keep.size)
    if state.rows is not None:
        out.position, out.velocity = state.rows.rows_of(keep, out.time.size)
    return out


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
    if kind not in KINDS:
        raise ValueError(f"kind must be 'minimum-energy', 'lofted' or 'depressed', got {kind!r}")
    if unreachable not in ("raise", "skip"):
        raise ValueError(f"unreachable must be 'raise' or 'skip', got {unreachable!r}")
    problem = AimProblem.build(launch_lat, launch_lon, target_lat, target_lon, missile, models, kind, apogee)
    state = AimState.start(problem)
    if not models.drag:  # the final flights reuse the sampled boosts of the flights that set the controls
        state.boosts = KeptBoosts.empty(problem.n, missile, sample_step)
    ok, r = _solve(problem, state, sample_step)
    keep = _kept_converged(problem, ok, r, unreachable)
    if kind != "minimum-energy":
        keep = _kept_shape(problem, state, keep, unreachable)
    n = problem.n
    out = _final_flights(problem, state, keep, sample_step)
    out.launch_time = np.broadcast_to(np.asarray(launch_time, dtype=float), (n,))[keep].copy()
    out.labels = None if labels is None else np.asarray(labels)[keep]
    out.full_burn = state.full[keep]
    out.pair_index = keep
    return out
