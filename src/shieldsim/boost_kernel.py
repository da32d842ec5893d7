"""The compiled boost kernel of `shieldsim.missile`: the boost's right-hand side, one boost
integrated from lift-off (`boost_one`) and a batch of them (`_boost_batch`), in SI units (m, s,
rad, m/s).

The boost's right-hand side reads one packed float array (slots `B_*`): the class and model
figures shared by a batch, filled once by `missile.boost_params`, and the slots of one flight
(kick, launch axes) and of the current thrust segment, filled by `boost_one` in its own copy.

`_boost_batch` flies the boosts one at a time; `_boost_lanes`, the same results bit for bit,
integrates them without drag in blocks of up to `LANES` side by side (`_boost_block`; `fly_boosts`
makes a block for every thread and sends what the lanes cannot fly to `_boost_batch`): every boost's
time steps, segments and samples depend only on its cutoff and end (`_schedule`), so the block takes
step j of all its boosts together, each stage of the eighth-order step a few plain loops over the
block's flat (component, lane) arrays (`_lanes_step`, `_lanes_deriv`, `_lanes_sum`), whose
iterations the processor overlaps (one boost alone is a chain of dependent square roots and
divisions). The stages are one loop over DOP853's coefficient table, not unrolled, with one call
of each lane function (a call site more costs seconds of compile): few, long loops. It still costs
~8 CPU s to compile (Numba optimises and emits the code of every callee again in each caller, and once more for a
parallel loop), so `batch_kernel` uses it only once it is in the cache: on a cold cache
`compile_ahead`'s helper compiles it after its plan, off the command's path. Each lane does the
operations of `boost_one` in the same order but for the zero terms of DOP853's sums (`_SUM_M`:
the same numbers while the stage derivatives are finite, as a boost's are), so the results are
`boost_one`'s bit for bit (`tests/test_boost_kernel.py`); the lanes whose thrust follows the launch
axes (vertical rise and pitch-over, which need the library's sine and cosine) get it in a second,
scalar loop; the samples of a step are taken side by side over the lanes (`_lanes_samples`). With drag
(steps ended on the density model's layer edges, which depend on the state) every boost is
`boost_one`.

Layout exception (`_boost_block`): 14 parameters: `_boost_batch`'s arrays, the block's rows and
the batch's sample-time turns.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numba import get_num_threads, njit, prange

from .atmosphere import KINKED_PIECES, LAYER_Z, density_from_table, layer_of
from .earth import radial_height_one, surface_radius_one
from .integrator import (
    _RK8_A_FULL, _RK8_B, _RK8_C_FULL, _RK8_D, RK8_DENSE_ROWS, RK8_STAGES, RK8_STAGES_DENSE, RK8_WORK_ROWS,
)
from .roots import illinois_update

# batch slots (class and model): s, s, rad/s, m^3/s^2, m, m, 0/1, kg/m^2, kg/m^2, m, m, s, s
(B_T_VERT, B_T_PITCH, B_OMEGA, B_GM, B_A, B_B, B_DRAG, B_BETA_BOOST, B_BETA_COAST, B_BOTTOM, B_TOP, B_DT,
 B_SAMPLE_DT) = range(13)
B_STEP = B_TOP  # the slot's name when the density was a table of uniform steps
B_KICK, B_N0, B_H0 = 13, 14, 17  # one flight: kick (rad); up, heading unit vectors (3 slots each)
B_ACC, B_TAU, B_T_IGN, B_PHASE, B_BETA = range(20, 25)  # one segment: m/s^2, s, s, 0/1/2, kg/m^2
B_SIZE = B_BETA + 1
"""Packed boost parameters: index constants of the array `boost_params` builds (see above)."""

S_END, S_ACC, S_TAU = range(3)
"""Rows of the (3, stages) stage table: burnout time (s after launch), ignition thrust
acceleration (m/s^2), tau (s; the acceleration is acc / (1 - t'/tau), t' since ignition)."""


@njit(cache=True)
def _boost_deriv(t, y, p, table, out):
    """d(r, v)/dt of the boosting point mass (inertial axes) at time t (s); p: packed `B_*`
    parameters. Phase (p[B_PHASE]): 0 vertical, 1 pitch-over, 2 gravity turn. Thrust acceleration
    acc / (1 - (t - t_ign) / tau) (m/s^2): constant thrust of a stage ignited at t_ign whose mass
    would vanish at t_ign + tau."""
    acc0 = p[B_ACC]
    acc = acc0 / (1.0 - (t - p[B_T_IGN]) / p[B_TAU]) if acc0 > 0.0 else 0.0
    omega = p[B_OMEGA]
    rx, ry, rz = y[0], y[1], y[2]
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    k = -p[B_GM] / (rn * rn * rn)
    vx = y[3] + omega * ry
    vy = y[4] - omega * rx
    vz = y[5]
    vn = math.sqrt(vx * vx + vy * vy + vz * vz)
    ax = k * rx
    ay = k * ry
    az = k * rz
    if p[B_DRAG] > 0.0 and vn > 0.0:
        h = rn - surface_radius_one(rz / rn, p[B_A], p[B_B])
        rho = density_from_table(h, p[B_BOTTOM], p[B_TOP], table)
        d = -rho * vn / (2.0 * p[B_BETA])
        ax += d * vx
        ay += d * vy
        az += d * vz
    if acc > 0.0:
        if p[B_PHASE] == 2.0 and vn > 0.0:
            ux, uy, uz = vx / vn, vy / vn, vz / vn
        else:
            tilt = 0.0
            if p[B_PHASE] == 1.0:
                tilt = p[B_KICK] * min(max((t - p[B_T_VERT]) / p[B_T_PITCH], 0.0), 1.0)
            ct, st = math.cos(tilt), math.sin(tilt)
            ex = ct * p[B_N0] + st * p[B_H0]
            ey = ct * p[B_N0 + 1] + st * p[B_H0 + 1]
            ez = ct * p[B_N0 + 2] + st * p[B_H0 + 2]
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


@njit(cache=True)
def _copy6(src, dst, at):
    """dst[at:at + 6] = src[:6], element by element: a slice assignment from an array compiles
    Numba's shape-mismatch message (string formatting), seconds on a cold cache."""
    for k in range(6):
        dst[at + k] = src[k]


@njit(cache=True)
def _breakpoints(stages, p, cutoff, t_end):
    """Sorted times (s) at which the thrust law changes: end of the vertical rise and of the
    pitch-over, each stage's burnout, the cutoff and the end of the integration."""
    n_st = stages.shape[1]
    bp = np.empty(n_st + 4)
    bp[0] = p[B_T_VERT]
    bp[1] = p[B_T_VERT] + p[B_T_PITCH]
    for k in range(n_st):
        bp[2 + k] = stages[S_END, k]
    bp[n_st + 2] = cutoff
    bp[n_st + 3] = t_end
    # insertion sort, NaN last: the values np.sort gives (Numba's np.sort costs seconds to compile)
    for i in range(1, bp.shape[0]):
        v = bp[i]
        j = i
        while j > 0 and (v < bp[j - 1] or (math.isnan(bp[j - 1]) and not math.isnan(v))):
            bp[j] = bp[j - 1]
            j -= 1
        bp[j] = v
    return bp


@njit(cache=True)
def _set_segment(p, stages, tm, cutoff):
    """Fill the segment slots of p (phase, stage acceleration, tau, ignition time, ballistic
    coefficient) for the thrust segment whose midpoint is tm (s after launch)."""
    if tm < p[B_T_VERT]:
        p[B_PHASE] = 0.0
    elif tm < p[B_T_VERT] + p[B_T_PITCH]:
        p[B_PHASE] = 1.0
    else:
        p[B_PHASE] = 2.0
    p[B_ACC] = 0.0
    p[B_TAU] = math.inf
    p[B_T_IGN] = 0.0
    if tm < cutoff:
        for k in range(stages.shape[1]):
            if tm < stages[S_END, k]:
                p[B_ACC] = stages[S_ACC, k]
                p[B_TAU] = stages[S_TAU, k]
                p[B_T_IGN] = stages[S_END, k - 1] if k > 0 else 0.0
                break
    p[B_BETA] = p[B_BETA_BOOST] if tm < cutoff else p[B_BETA_COAST]


@njit(cache=True)
def _edge_fraction(y, ynew, h, z_edge, a, b):
    """Fraction (0-1] of the step of ``h`` s from state y to ynew (inertial r m, v m/s) at which
    the height along the radius above the ellipsoid (semi-axes a, b m) reaches ``z_edge`` m,
    between the two: regula falsi on the cubic Hermite interpolant of the position (end
    positions and velocities), within millimetres of the integrated path for the boost's steps."""
    r = np.empty(3)
    lo, hi = 0.0, 1.0
    f_lo = radial_height_one(y, a, b) - z_edge
    f_hi = radial_height_one(ynew, a, b) - z_edge
    if f_lo * f_hi > 0.0 or f_lo == f_hi:  # both ends on one side (a double crossing): the whole step
        return 1.0
    s = 1.0
    side = 0
    for _ in range(60):
        s = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        h00 = (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s)
        h10 = s * (1.0 - s) * (1.0 - s)
        h01 = s * s * (3.0 - 2.0 * s)
        h11 = s * s * (s - 1.0)
        for j in range(3):
            r[j] = h00 * y[j] + h10 * h * y[3 + j] + h01 * ynew[j] + h11 * h * ynew[3 + j]
        f = radial_height_one(r, a, b) - z_edge
        if abs(f) < 1e-4 or hi - lo < 1e-12:
            break
        lo, f_lo, hi, f_hi, side = illinois_update(s, f, f * f_hi > 0.0, lo, f_lo, hi, f_hi, side)
    return s


@njit(cache=True)
def _boost_stages(t, y, h, p, table, ynew, work, tmp, coef, dense):
    """One `integrator.rk8_step` of ``h`` s of the boost from (t, y) into ynew with `_boost_deriv`
    (``dense`` False), or after that step (``dense`` True, work as the step left it) its
    `integrator.rk8_dense` coefficients into coef. The stages are written out in one loop with the
    derivative in one place, into the rows of ``work`` by index, ``tmp`` the trial state: the same
    operations as those functions, so the same values bit for bit, without the two atomic
    reference counts that each row view or array handed to a helper costs (nearly half of a
    boost's time when each stage called `_boost_deriv` on a row of work)."""
    s0, s1 = (RK8_STAGES, RK8_STAGES_DENSE) if dense else (0, RK8_STAGES)
    acc0, omega, gm, drag = p[B_ACC], p[B_OMEGA], p[B_GM], p[B_DRAG] > 0.0
    for s in range(s0, s1):
        ts = t
        if s == 0:
            for j in range(6):
                tmp[j] = y[j]
        elif s == RK8_STAGES:
            ts = t + h
            for j in range(6):
                tmp[j] = ynew[j]
        else:
            ts = t + _RK8_C_FULL[s] * h
            for j in range(6):
                acc = 0.0
                for m in range(s):
                    acc += _RK8_A_FULL[s, m] * work[m, j]
                tmp[j] = y[j] + h * acc
        # `_boost_deriv` at (ts, tmp) into work[s]
        thrust = acc0 / (1.0 - (ts - p[B_T_IGN]) / p[B_TAU]) if acc0 > 0.0 else 0.0
        rx, ry, rz = tmp[0], tmp[1], tmp[2]
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        k = -gm / (rn * rn * rn)
        vx = tmp[3] + omega * ry
        vy = tmp[4] - omega * rx
        vz = tmp[5]
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        ax = k * rx
        ay = k * ry
        az = k * rz
        if drag and vn > 0.0:
            alt = rn - surface_radius_one(rz / rn, p[B_A], p[B_B])
            d = -density_from_table(alt, p[B_BOTTOM], p[B_TOP], table) * vn / (2.0 * p[B_BETA])
            ax += d * vx
            ay += d * vy
            az += d * vz
        if thrust > 0.0:
            if p[B_PHASE] == 2.0 and vn > 0.0:
                ux, uy, uz = vx / vn, vy / vn, vz / vn
            else:
                tilt = 0.0
                if p[B_PHASE] == 1.0:
                    tilt = p[B_KICK] * min(max((ts - p[B_T_VERT]) / p[B_T_PITCH], 0.0), 1.0)
                ct, st = math.cos(tilt), math.sin(tilt)
                ex = ct * p[B_N0] + st * p[B_H0]
                ey = ct * p[B_N0 + 1] + st * p[B_H0 + 1]
                ez = ct * p[B_N0 + 2] + st * p[B_H0 + 2]
                c, sn = math.cos(omega * ts), math.sin(omega * ts)  # Earth-fixed -> inertial
                ux, uy, uz = c * ex - sn * ey, sn * ex + c * ey, ez
            ax += thrust * ux
            ay += thrust * uy
            az += thrust * uz
        work[s, 0] = tmp[3]
        work[s, 1] = tmp[4]
        work[s, 2] = tmp[5]
        work[s, 3] = ax
        work[s, 4] = ay
        work[s, 5] = az
    if dense:
        for j in range(6):
            dy = ynew[j] - y[j]
            coef[0, j] = dy
            coef[1, j] = h * work[0, j] - dy
            coef[2, j] = 2.0 * dy - h * (work[RK8_STAGES, j] + work[0, j])
            for r in range(_RK8_D.shape[0]):
                acc = 0.0
                for m in range(RK8_STAGES_DENSE):
                    acc += _RK8_D[r, m] * work[m, j]
                coef[3 + r, j] = h * acc
    else:
        for j in range(6):
            acc = 0.0
            for m in range(RK8_STAGES):
                acc += _RK8_B[m] * work[m, j]
            ynew[j] = y[j] + h * acc


@njit(cache=True)
def boost_one(r0, n0, h0, kick, cutoff, t_end, stages, params, table, out_pos, out_vel, res):
    """Integrate one boost from lift-off at Earth-fixed ``r0`` (at rest on the ground).

    ``n0``/``h0``: Earth-fixed up and horizontal-heading unit vectors at the launch point;
    ``kick``: rad; ``cutoff``: thrust end, s after launch; the flight continues unpowered to
    ``t_end`` (>= cutoff). ``stages``: (3, S) table (rows `S_END`, `S_ACC`, `S_TAU`);
    ``params``: packed batch slots of `B_*` (see `boost_params`); ``table``: the density model
    (`atmosphere.density_table`).
    res <- [burnout time, inertial burnout r(3), v(3), inertial r(3), v(3) at t_end, ok flag].
    Samples every params[B_SAMPLE_DT] s with k * sample_dt < t_end go to out_pos/out_vel
    (Earth-fixed): the dense output of the step (`integrator.rk8_dense`). Eighth-order
    Runge-Kutta steps (`_boost_stages`: `integrator.rk8_step` with `_boost_deriv`, bit for bit)
    of about params[B_DT] s (`BOOST_STEP`, `BOOST_STEP_DRAG`); with drag a
    step that crosses a layer edge of the density model is shortened to end on it
    (`_edge_fraction`) and the rest of the segment divided anew. A flight that falls back below
    the ground before t_end gets ok = 0.
    """
    p = params.copy()
    p[B_KICK] = kick
    for j in range(3):
        p[B_N0 + j] = n0[j]
        p[B_H0 + j] = h0[j]
    omega, sample_dt = p[B_OMEGA], p[B_SAMPLE_DT]
    drag = p[B_DRAG] > 0.0
    y = np.empty(6)
    ynew = np.empty(6)
    ys = np.empty(6)
    tmp = np.empty(6)
    coef = np.empty((RK8_DENSE_ROWS, 6))
    work = np.empty((RK8_WORK_ROWS, 6))
    y[0], y[1], y[2] = r0[0], r0[1], r0[2]
    y[3], y[4], y[5] = -omega * r0[1], omega * r0[0], 0.0
    bp = _breakpoints(stages, p, cutoff, t_end)
    n_samples = out_pos.shape[0]
    next_k = 0
    t = 0.0
    ok = 1.0
    res[0] = cutoff
    kz = min(layer_of(radial_height_one(y, p[B_A], p[B_B]), p[B_TOP], table), KINKED_PIECES - 1) if drag else 0
    for i in range(bp.shape[0]):
        t1 = min(bp[i], t_end)
        if t1 - t <= 1e-12:
            continue
        _set_segment(p, stages, t + 0.5 * (t1 - t), cutoff)
        n = int(math.ceil((t1 - t) / p[B_DT] - 1e-9))
        h = (t1 - t) / n
        while n > 0:
            _boost_stages(t, y, h, p, table, ynew, work, tmp, coef, False)
            n -= 1
            t_new = t1 if n == 0 else t + h
            if drag:
                k1 = min(layer_of(radial_height_one(ynew, p[B_A], p[B_B]), p[B_TOP], table), KINKED_PIECES - 1)
                if k1 != kz:  # a layer edge inside the step: end the step on it, then divide the rest anew
                    kz_next = kz + 1 if k1 > kz else kz - 1
                    z_edge = table[max(kz, kz_next), LAYER_Z]
                    h *= _edge_fraction(y, ynew, h, z_edge, p[B_A], p[B_B])
                    _boost_stages(t, y, h, p, table, ynew, work, tmp, coef, False)
                    kz = kz_next
                    t_new = t + h
                    n = int(math.ceil((t1 - t_new) / p[B_DT] - 1e-9))
                    if n == 0:
                        t_new = t1
            if next_k < n_samples and next_k * sample_dt < t_new and next_k * sample_dt < t_end:
                _boost_stages(t, y, h, p, table, ynew, work, tmp, coef, True)  # samples inside the step
                while next_k < n_samples and next_k * sample_dt < t_new and next_k * sample_dt < t_end:
                    # `integrator.rk8_interpolate` and `earth.fixed_state_one`, written out by index
                    ts = next_k * sample_dt
                    theta = min(max(ts - t, 0.0) / h, 1.0)
                    for j in range(6):
                        acc = 0.0
                        for q in range(RK8_DENSE_ROWS - 1, -1, -1):
                            acc += coef[q, j]
                            if (RK8_DENSE_ROWS - 1 - q) % 2 == 0:
                                acc *= theta
                            else:
                                acc *= 1.0 - theta
                        ys[j] = y[j] + acc
                    c, sn = math.cos(-omega * ts), math.sin(-omega * ts)
                    wx = ys[3] + omega * ys[1]
                    wy = ys[4] - omega * ys[0]
                    out_pos[next_k, 0] = c * ys[0] - sn * ys[1]
                    out_pos[next_k, 1] = sn * ys[0] + c * ys[1]
                    out_pos[next_k, 2] = ys[2]
                    out_vel[next_k, 0] = c * wx - sn * wy
                    out_vel[next_k, 1] = sn * wx + c * wy
                    out_vel[next_k, 2] = ys[5]
                    next_k += 1
            if n > 0:
                h = (t1 - t_new) / n
            t = t_new
            _copy6(ynew, y, 0)
            if t > p[B_T_VERT] and radial_height_one(y, p[B_A], p[B_B]) < 0.0:
                ok = 0.0
        if t1 == cutoff:
            _copy6(y, res, 1)
        if ok == 0.0:
            break
        t = t1
    if cutoff >= t_end:
        _copy6(y, res, 1)
    _copy6(y, res, 7)
    res[13] = ok


@njit(cache=True, parallel=True, nogil=True)
def _boost_batch(r0, n0, h0, kick, cutoff, t_end, stages, params, table, out_pos, out_vel, res):
    """`boost_one` for every row of the per-flight arrays (N, ...)."""
    for i in prange(r0.shape[0]):
        boost_one(r0[i], n0[i], h0[i], kick[i], cutoff[i], t_end[i], stages, params, table, out_pos[i],
                  out_vel[i], res[i])


@njit(cache=True, parallel=True, nogil=True)
def _boost_lanes(starts, r0, n0, h0, kick, cutoff, t_end, stages, params, out_pos, out_vel, res):
    """`_boost_batch` without drag, in blocks of boosts side by side: block b the rows
    starts[b] <= i < starts[b + 1] (`_boost_block`: at most `LANES` rows, at least `MIN_LANES`;
    `lane_blocks`), the blocks in parallel. The same results bit for bit. Every cutoff and end must
    be finite (`fly_boosts` sends other batches to `_boost_batch`): `boost_one` is not linked in
    (~2.7 CPU s less to compile). (A plain loop here, the blocks shared over threads from Python,
    compiles ~3.5 s faster still but runs ~14 % slower a boost: measured, not kept.)"""
    rot = _sample_turns(params[B_OMEGA], params[B_SAMPLE_DT], out_pos.shape[1])
    for b in prange(starts.shape[0] - 1):
        _boost_block(starts[b], starts[b + 1], r0, n0, h0, kick, cutoff, t_end, stages, params, rot, out_pos, out_vel,
                     res)


LANES_SIGNATURE = "i1 f2 f2 f2 f1 f1 f1 f2 f1 f3 f3 f2"
"""`_boost_lanes`'s one signature (`compile_ahead.Kernel` tokens: the dimensions of int64 (block
starts) and float64 C-contiguous arrays): what `fly_boosts` passes."""


def lane_blocks(n: int, threads: int) -> np.ndarray:
    """Starts (int64, blocks + 1) of the blocks `_boost_lanes` flies n >= `MIN_LANES` boosts in:
    the fewest blocks of at most `LANES` rows, rounded up to a multiple of ``threads`` so that every
    thread gets as many (a batch of 14 on two threads: two blocks of 7, not one of 14 on one thread
    while the other waits), but none under `MIN_LANES` rows; rows shared out evenly."""
    blocks = -(-n // LANES)
    blocks = min(-(-blocks // threads) * threads, n // MIN_LANES)
    return (np.arange(blocks + 1, dtype=np.int64) * n) // blocks


def fly_boosts(r0, n0, h0, kick, cutoff, t_end, stages, params, table, out_pos, out_vel, res):
    """`_boost_batch`'s call flown by `_boost_lanes` when its boosts can be: no drag, at least
    `MIN_LANES` of them, every cutoff and end finite (else by `_boost_batch`); the blocks
    (`lane_blocks`) for as many threads as Numba's (`numba.get_num_threads`). The same results
    bit for bit either way."""
    n = r0.shape[0]
    if n < MIN_LANES or params[B_DRAG] > 0.0 or not (np.isfinite(cutoff).all() and np.isfinite(t_end).all()):
        _boost_batch(r0, n0, h0, kick, cutoff, t_end, stages, params, table, out_pos, out_vel, res)
        return
    _boost_lanes(lane_blocks(n, get_num_threads()), r0, n0, h0, kick, cutoff, t_end, stages, params, out_pos, out_vel,
                 res)


_lanes_checked = [False]


def batch_kernel(drag: bool):
    """What to fly a batch of boosts with (`_boost_batch`'s arguments): `fly_boosts` (the lanes)
    without drag once `_boost_lanes` is compiled in this process or found in Numba's cache (looked
    for once a process), else `_boost_batch`. The same results bit for bit; the lanes are ~1.9
    times faster a boost but cost CPU seconds to compile, so on a cold cache they are left to
    `compile_ahead`'s helper (`AFTER`), off the command's path, and used from the next run on."""
    if drag:
        return _boost_batch
    if _boost_lanes.signatures:
        return fly_boosts
    if _lanes_checked[0]:
        return _boost_batch
    _lanes_checked[0] = True
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder or not any(Path(folder).rglob("boost_kernel._boost_lanes-*.nbi")):
        return _boost_batch
    from numba import types

    scalars = {"i": types.int64, "f": types.float64}
    try:  # loads it from the cache
        _boost_lanes.compile(tuple(types.Array(scalars[d[0]], int(d[1]), "C") for d in LANES_SIGNATURE.split()))
    except Exception:  # a damaged entry: the scalar kernel, as on a cold cache
        return _boost_batch
    return fly_boosts


LANES = 32
"""Most boosts `_boost_block` integrates side by side."""

MIN_LANES = 4
"""Fewest boosts worth a block: fewer are flown one by one by `boost_one` (a block's fixed cost,
its schedule and scratch arrays, is worth paying from about four lanes on)."""

# rows of a block's schedule (`_schedule`): per step, its start time, length and end time (s), the
# segment's midpoint (s), phase, thrust acceleration at ignition (m/s^2), tau and ignition time (s),
# the index of the next sample after the step, and flags (1: last step of its segment, 2: and the
# segment ends at the cutoff)
(Q_T, Q_H, Q_TN, Q_TM, Q_PHASE, Q_ACC, Q_TAU, Q_TIGN, Q_KE, Q_FLAG) = range(10)
Q_ROWS = 10


@njit(cache=True)
def _schedule(p, stages, cutoff, t_end, n_samples, sched, lane):
    """The time steps `boost_one` takes without drag for a boost cut off at ``cutoff`` and ended at
    ``t_end`` (s; p: its packed parameters), written into sched[:, j, lane] (rows `Q_*`); returns
    their number. The same segments, step counts and step lengths, computed by the same operations."""
    bp = _breakpoints(stages, p, cutoff, t_end)
    sample_dt = p[B_SAMPLE_DT]
    t = 0.0
    next_k = 0
    j = 0
    for i in range(bp.shape[0]):
        t1 = min(bp[i], t_end)
        if t1 - t <= 1e-12:
            continue
        tm = t + 0.5 * (t1 - t)
        _set_segment(p, stages, tm, cutoff)
        n = int(math.ceil((t1 - t) / p[B_DT] - 1e-9))
        h = (t1 - t) / n
        while n > 0:
            n -= 1
            t_new = t1 if n == 0 else t + h
            while next_k < n_samples and next_k * sample_dt < t_new and next_k * sample_dt < t_end:
                next_k += 1
            sched[Q_T, j, lane] = t
            sched[Q_H, j, lane] = h
            sched[Q_TN, j, lane] = t_new
            sched[Q_TM, j, lane] = tm
            sched[Q_PHASE, j, lane] = p[B_PHASE]
            sched[Q_ACC, j, lane] = p[B_ACC]
            sched[Q_TAU, j, lane] = p[B_TAU]
            sched[Q_TIGN, j, lane] = p[B_T_IGN]
            sched[Q_KE, j, lane] = next_k
            sched[Q_FLAG, j, lane] = (1.0 + (2.0 if t1 == cutoff else 0.0)) if n == 0 else 0.0
            j += 1
            if n > 0:
                h = (t1 - t_new) / n
            t = t_new
    return j


G_ACC, G_TAU, G_TIGN, G_PHASE, G_KICK, G_N0, G_H0 = 0, 1, 2, 3, 4, 5, 8
G_ROWS = 11
"""Rows of a block's segment table (G_ROWS, L) for the current step of each lane: thrust
acceleration at ignition (m/s^2), tau and ignition time (s), phase (0 vertical, 1 pitch-over, 2
gravity turn), kick (rad), Earth-fixed up and heading unit vectors (3 rows each)."""


def _nonzero_terms(rows):
    """(column indices, coefficients, counts) of the nonzero entries of each coefficient row in
    ``rows`` (1-D arrays), padded to the longest: the terms `_lanes_sum` adds, in their order."""
    width = max(int(np.count_nonzero(r)) for r in rows)
    cols, coefs, counts = np.zeros((len(rows), width), np.int64), np.zeros((len(rows), width)), np.zeros(len(rows), np.int64)
    for i, r in enumerate(rows):
        nz = np.nonzero(r)[0]
        cols[i, :nz.size], coefs[i, :nz.size], counts[i] = nz, r[nz], nz.size
    return cols, coefs, counts


SUM_B, SUM_D = RK8_STAGES_DENSE, RK8_STAGES_DENSE + 1
_SUM_M, _SUM_C, _SUM_N = _nonzero_terms([_RK8_A_FULL[s, :max(s, 1)] for s in range(RK8_STAGES_DENSE)] + [_RK8_B]
                                        + [_RK8_D[r] for r in range(_RK8_D.shape[0])])
"""The sums of a lanes step by their nonzero terms: row s < `SUM_B` stage s's (`_RK8_A_FULL[s, :s]`),
`SUM_B` the step's (`_RK8_B`), `SUM_D` + r the dense output's (`_RK8_D[r]`). A zero term adds
+-0.0 to a sum that starts at +0.0 (which so never is -0.0): the sum is the same number without
it, as long as the stage derivative it multiplies is finite (a boost's always is)."""


@njit(cache=True, error_model="numpy", _nrt=False)
def _lanes_deriv(c, tt, hh, st, i, seg, params, work, s, rows):
    """`_boost_deriv` without drag for every lane l of a block at the time tt[l] + c hh[l] (s):
    states st[i] (6 L, component-major: st[i, j L + l]) into row s of work (same layout); seg: the
    lanes' segment rows (`G_*`); params: the batch's packed parameters (`B_*`); rows: (2, L) scratch.
    Gravity turn (thrust along the air-relative velocity) and unpowered flight in two loops that
    write few rows each, every value computed before a select (more written rows, or a branch, and
    the compiler does not run the lanes in vector registers); the lanes whose thrust follows the
    launch axes (vertical rise, pitch-over, or no air speed), which need the library's sine and
    cosine, in a third. The same operations as `_boost_deriv`. Indices only (``_nrt=False``)."""
    lanes = tt.shape[0]
    gm, omega = params[B_GM], params[B_OMEGA]
    for k in range(lanes):  # the velocities, the thrust and which lanes follow the launch axes
        t = tt[k] + c * hh[k]
        a0, phase, t_ign, tau = seg[G_ACC, k], seg[G_PHASE, k], seg[G_TIGN, k], seg[G_TAU, k]
        powered = a0 / (1.0 - (t - t_ign) / tau)
        acc = powered if a0 > 0.0 else 0.0
        rx, ry, vz = st[i, k], st[i, lanes + k], st[i, 5 * lanes + k]
        vx = st[i, 3 * lanes + k] + omega * ry
        vy = st[i, 4 * lanes + k] - omega * rx
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        thrust = acc > 0.0
        turn = thrust & (phase == 2.0) & (vn > 0.0)
        work[s, k] = st[i, 3 * lanes + k]
        work[s, lanes + k] = st[i, 4 * lanes + k]
        work[s, 2 * lanes + k] = vz
        rows[0, k] = acc
        rows[1, k] = 1.0 if thrust & (not turn) else 0.0
    for k in range(lanes):  # gravity, and the thrust along the air-relative velocity in the turn
        rx, ry, rz = st[i, k], st[i, lanes + k], st[i, 2 * lanes + k]
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        g = -gm / (rn * rn * rn)
        vx = st[i, 3 * lanes + k] + omega * ry
        vy = st[i, 4 * lanes + k] - omega * rx
        vz = st[i, 5 * lanes + k]
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        acc, fixed = rows[0, k], rows[1, k]
        turn = (acc > 0.0) & (fixed == 0.0)
        gx, gy, gz = g * rx, g * ry, g * rz
        tx, ty, tz = gx + acc * (vx / vn), gy + acc * (vy / vn), gz + acc * (vz / vn)
        work[s, 3 * lanes + k] = tx if turn else gx
        work[s, 4 * lanes + k] = ty if turn else gy
        work[s, 5 * lanes + k] = tz if turn else gz
    for k in range(lanes):
        if rows[1, k] == 0.0:
            continue
        t = tt[k] + c * hh[k]
        tilt = 0.0
        if seg[G_PHASE, k] == 1.0:
            tilt = seg[G_KICK, k] * min(max((t - params[B_T_VERT]) / params[B_T_PITCH], 0.0), 1.0)
        ct, st = math.cos(tilt), math.sin(tilt)
        ex = ct * seg[G_N0, k] + st * seg[G_H0, k]
        ey = ct * seg[G_N0 + 1, k] + st * seg[G_H0 + 1, k]
        ez = ct * seg[G_N0 + 2, k] + st * seg[G_H0 + 2, k]
        cw, sw = math.cos(omega * t), math.sin(omega * t)  # Earth-fixed -> inertial
        acc = rows[0, k]
        work[s, 3 * lanes + k] += acc * (cw * ex - sw * ey)
        work[s, 4 * lanes + k] += acc * (sw * ex + cw * ey)
        work[s, 5 * lanes + k] += acc * ez


@njit(cache=True, error_model="numpy", _nrt=False)
def _lanes_sum(r, work, st, hh6, out, o):
    """out[o, q] <- st[0, q] + hh6[q] acc[q] (row r < `SUM_D`: a stage's trial state, or the
    step's end; st[0]: the states at the step's start) or hh6[q] acc[q] (r = `SUM_D` + i: dense
    coefficient row 3 + i) for every (component, lane) q, acc[q] the sum of
    `_SUM_C[r, t] work[_SUM_M[r, t], q]` from 0.0 in the order of t: `integrator.rk8_step`'s and
    `rk8_dense`'s sums without their zero terms, the same numbers; hh6: each lane's step (s),
    repeated for its six components. Indices only, no views."""
    n = hh6.shape[0]
    for q in range(n):
        out[o, q] = 0.0
    for t in range(_SUM_N[r]):
        m, c = _SUM_M[r, t], _SUM_C[r, t]
        for q in range(n):
            out[o, q] += c * work[m, q]
    shift = r < SUM_D
    for q in range(n):
        out[o, q] = st[0, q] + hh6[q] * out[o, q] if shift else hh6[q] * out[o, q]


@njit(cache=True, error_model="numpy", _nrt=False)
def _lanes_step(tt, hh, hh6, st, seg, params, work, rows, coef, dense):
    """`integrator.rk8_step` (and with ``dense`` its `rk8_dense` coefficients, into coef
    (RK8_DENSE_ROWS, 6 L)) of `_lanes_deriv` for every lane of a block: from st[0] (6 L) at tt
    (L,) over hh (L,) s into st[1], st[2] the trial states (st: (3, 6 L)); work
    (RK8_WORK_ROWS, 6 L). The same operations, lane by lane: the stages one loop over DOP853's
    table (`integrator._RK8_A_FULL`, `_RK8_C_FULL`; `_lanes_sum`), stage 12 the step's end
    (`_RK8_B`) and the derivative there, 13-15 the dense output's. Indices only, no views."""
    n_sums = RK8_STAGES_DENSE + _RK8_D.shape[0] if dense else RK8_STAGES + 1
    for s in range(n_sums):  # one call of each helper: stage s's trial state and derivative, or a sum
        if s == RK8_STAGES_DENSE:  # the dense coefficients' first rows, before their sums
            for q in range(hh6.shape[0]):
                dy = st[1, q] - st[0, q]
                h = hh6[q]
                coef[0, q] = dy
                coef[1, q] = h * work[0, q] - dy
                coef[2, q] = 2.0 * dy - h * (work[RK8_STAGES, q] + work[0, q])
        if s > 0:
            if s >= RK8_STAGES_DENSE:
                _lanes_sum(SUM_D + s - RK8_STAGES_DENSE, work, st, hh6, coef, 3 + s - RK8_STAGES_DENSE)
            else:
                _lanes_sum(SUM_B if s == RK8_STAGES else s, work, st, hh6, st, 1 if s == RK8_STAGES else 2)
        if s < RK8_STAGES_DENSE and (dense or s != RK8_STAGES):
            i = 0 if s == 0 else (1 if s == RK8_STAGES else 2)
            _lanes_deriv(1.0 if s == RK8_STAGES else _RK8_C_FULL[s], tt, hh, st, i, seg, params, work, s, rows)


@njit(cache=True)
def _sample_turns(omega, sample_dt, m):
    """(m, 2): cos and sin of -omega k sample_dt (rad) for k < m, as `earth.fixed_state_one` computes
    them at the sample time k sample_dt (s): once for a batch, not once a sample."""
    rot = np.empty((m, 2))
    for k in range(m):
        ts = k * sample_dt
        rot[k, 0] = math.cos(-omega * ts)
        rot[k, 1] = math.sin(-omega * ts)
    return rot


@njit(cache=True, error_model="numpy", _nrt=False)
def _lanes_samples(st, coef, smp, lanes):
    """The dense output of every lane k of a block's step at the fraction smp[6, k] of the step
    (`integrator.rk8_interpolate`: Horner's scheme, theta and 1 - theta alternating) from the
    states st[0] (6 L) and the coefficients coef (RK8_DENSE_ROWS, 6 L) into smp[j, k], j < 6:
    the same operations, side by side over the lanes (no views)."""
    for j in range(6):
        for k in range(lanes):
            q = j * lanes + k
            theta = smp[6, k]
            acc = 0.0
            for i in range(RK8_DENSE_ROWS - 1, -1, -1):
                acc += coef[i, q]
                if (RK8_DENSE_ROWS - 1 - i) % 2 == 0:
                    acc *= theta
                else:
                    acc *= 1.0 - theta
            smp[j, k] = st[0, q] + acc


@njit(cache=True, error_model="numpy")
def _boost_block(i0, i1, r0, n0, h0, kick, cutoff, t_end, stages, params, rot, out_pos, out_vel, res):
    """`boost_one` without drag for the flights i0 <= i < i1 (at most `LANES`) of `_boost_batch`'s
    arrays, integrated side by side: step j of every boost in one `_lanes_step`. The same
    operations for each boost as `boost_one` (but for zero terms, `_SUM_M`), so the same results
    bit for bit. Flights whose
    cutoff or end is not finite are left untouched (the caller flies them with `boost_one`).
    rot: (M, 2) the Earth's turn at the sample times (`_sample_turns`)."""
    lanes = i1 - i0
    n6 = 6 * lanes
    omega, sample_dt = params[B_OMEGA], params[B_SAMPLE_DT]
    n_samples = out_pos.shape[1]
    bound = 0
    for i in range(i0, i1):
        if math.isfinite(cutoff[i]) and math.isfinite(t_end[i]):
            bound = max(bound, int(t_end[i] / params[B_DT]) + stages.shape[1] + 6)
    sched = np.empty((Q_ROWS, bound, lanes))
    p = params.copy()
    steps = np.empty(lanes, dtype=np.int64)
    st = np.empty((3, n6))  # the states at the step's start, its end, a stage's trial
    seg = np.empty((G_ROWS, lanes))
    for k in range(lanes):
        i = i0 + k
        seg[G_KICK, k] = kick[i]
        for m in range(3):
            seg[G_N0 + m, k] = n0[i, m]
            seg[G_H0 + m, k] = h0[i, m]
            st[0, m * lanes + k] = r0[i, m]
        st[0, 3 * lanes + k], st[0, 4 * lanes + k], st[0, 5 * lanes + k] = -omega * r0[i, 1], omega * r0[i, 0], 0.0
        steps[k] = -1
        if math.isfinite(cutoff[i]) and math.isfinite(t_end[i]):
            res[i, 0] = cutoff[i]
            steps[k] = _schedule(p, stages, cutoff[i], t_end[i], n_samples, sched, k)
    ok = np.empty(lanes)
    alive = np.empty(lanes, dtype=np.bool_)
    next_k = np.empty(lanes, dtype=np.int64)
    n_steps = 0
    for k in range(lanes):
        ok[k] = 1.0
        alive[k] = steps[k] > 0
        next_k[k] = 0
        n_steps = max(n_steps, steps[k])
    hh6 = np.empty(n6)
    work = np.empty((RK8_WORK_ROWS, n6))
    coef = np.empty((RK8_DENSE_ROWS, n6))
    rows = np.empty((2, lanes))
    smp = np.empty((8, lanes))  # a sample of each lane: six components, theta, flag
    tt = np.empty(lanes)
    hh = np.empty(lanes)
    y1 = np.empty(6)
    for j in range(n_steps):
        dense = j < 0  # (not a literal: one compiled `_lanes_step`)
        for k in range(lanes):
            live = alive[k] and j < steps[k]
            tt[k] = sched[Q_T, j, k] if live else 0.0
            hh[k] = sched[Q_H, j, k] if live else 0.0
            seg[G_ACC, k] = sched[Q_ACC, j, k] if live else 0.0
            seg[G_TAU, k] = sched[Q_TAU, j, k] if live else 1.0
            seg[G_TIGN, k] = sched[Q_TIGN, j, k] if live else 0.0
            seg[G_PHASE, k] = sched[Q_PHASE, j, k] if live else 2.0
            dense = dense or (live and sched[Q_KE, j, k] > next_k[k])
            for m in range(6):
                hh6[m * lanes + k] = hh[k]
        _lanes_step(tt, hh, hh6, st, seg, params, work, rows, coef, dense)
        u = 0
        while dense:  # the u-th sample inside the step of each lane that has one, side by side
            dense = False
            for k in range(lanes):
                kk = next_k[k] + u
                smp[7, k] = 1.0 if alive[k] and j < steps[k] and kk < sched[Q_KE, j, k] else 0.0
                smp[6, k] = min(max(kk * sample_dt - tt[k], 0.0) / hh[k], 1.0) if smp[7, k] > 0.0 else 0.0
                dense = dense or smp[7, k] > 0.0
            if not dense:
                break
            _lanes_samples(st, coef, smp, lanes)
            for k in range(lanes):  # turned to Earth-fixed axes (`earth.fixed_state_turned`'s operations)
                if smp[7, k] > 0.0:
                    i, kk = i0 + k, next_k[k] + u
                    c, s = rot[kk, 0], rot[kk, 1]
                    wx = smp[3, k] + omega * smp[1, k]
                    wy = smp[4, k] - omega * smp[0, k]
                    out_pos[i, kk, 0] = c * smp[0, k] - s * smp[1, k]
                    out_pos[i, kk, 1] = s * smp[0, k] + c * smp[1, k]
                    out_pos[i, kk, 2] = smp[2, k]
                    out_vel[i, kk, 0] = c * wx - s * wy
                    out_vel[i, kk, 1] = s * wx + c * wy
                    out_vel[i, kk, 2] = smp[5, k]
            u += 1
        for k in range(lanes):
            if not (alive[k] and j < steps[k]):
                continue
            i = i0 + k
            next_k[k] = max(next_k[k], int(sched[Q_KE, j, k]))
            for m in range(6):
                st[0, m * lanes + k] = st[1, m * lanes + k]
                y1[m] = st[1, m * lanes + k]
            if sched[Q_TN, j, k] > params[B_T_VERT] and radial_height_one(y1, params[B_A], params[B_B]) < 0.0:
                ok[k] = 0.0
            flag = sched[Q_FLAG, j, k]
            if flag >= 2.0:  # the segment ending at the cutoff
                _copy6(y1, res[i], 1)
            if flag >= 1.0 and ok[k] == 0.0:
                alive[k] = False
    for k in range(lanes):
        if steps[k] < 0:
            continue
        i = i0 + k
        for m in range(6):
            y1[m] = st[0, m * lanes + k]
        if cutoff[i] >= t_end[i]:
            _copy6(y1, res[i], 1)
        _copy6(y1, res[i], 7)
        res[i, 13] = ok[k]
