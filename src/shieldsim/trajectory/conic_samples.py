"""Compiled sampling of the vacuum free flights of whole flights (`_sample_boosted`): the
boost's samples, then the conic from the burnout state every ``sample_dt`` s until its impact,
Earth-fixed, NaN after.

An elliptic arc is sampled by stepping the eccentric anomaly E from sample to sample
(`_sample_ellipse`): the step of E for the step of the mean anomaly comes from the third-order
Taylor series of E(M) (Kepler's equation differentiated), then one Newton correction, usually
of ~1e-10 rad; sin E and cos E are carried along by rotations through the steps
(`series.sincos_small`) instead of the C library's sine and cosine at every Newton iteration,
and taken afresh from the library every `RESYNC` samples so that their rounding cannot grow
past ~`RESYNC` ulp. The positions come from the closed-form Lagrange f and g of the anomaly
difference, as `kernels._sample_conic_span` computes them (which `_fly_one` still uses, and
this module for arcs that are not elliptic or steps too large for the series); the two agree
to ~1e-8 m and ~1e-11 m/s (`tests/test_conic_samples.py`). The Earth's turn is stepped by a
rotation per sample, as there.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..kepler import conic_elements
from ..series import SINCOS_SMALL_MAX, sincos_small
from .kernels import _sample_conic_span

RESYNC = 64
"""Samples between fresh library values of sin E and cos E in `_sample_ellipse`."""

_SMALL_CORRECTION = 1e-8
"""Newton corrections (rad) below which sin E and cos E are moved on to first order (the
neglected d^2 / 2 < 5e-17) and E is taken as solved (the next correction would be below
~1e-16 rad: Newton's method squares the error)."""

_MAX_NEWTON = 50

CHAINS = 4
"""Runs of consecutive samples of one flight stepped side by side in `_sample_ellipse`."""

(C_E, C_M0, C_N, C_INV_N, C_DT, C_OMEGA, C_E0, C_S0, C_C0, C_A_RN0, C_FD, C_C1, C_S1, C_R0, C_V0) = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16)
C_ROWS = 19
"""Constants of one ellipse for `_advance`: eccentricity, mean anomaly at time 0 (rad), mean
motion (rad/s) and its inverse, sample step (s), the Earth's rotation rate (rad/s), E0 and its
sine and cosine, a / |r0|, the factor of fdot, the cosine and sine of the Earth's turn in one
step, r0 (3, m) and v0 (3, m/s)."""


@njit(cache=True)
def _sample_conic_one(r0, v0, t_impact, gm, omega, sample_dt, out_pos, out_vel):
    """Sample the vacuum conic from the inertial state (r0, v0) (3,) at time 0 every
    ``sample_dt`` s while before its impact time ``t_impact`` (s) into Earth-fixed (M, 3)
    positions (m) and Earth-relative velocities (m/s), NaN after: `_sample_ellipse` for an
    elliptic arc, `kernels._sample_conic_span` otherwise."""
    a, e, E0 = conic_elements(r0, v0, gm)
    if not math.isnan(a) and e > 1e-6:
        k = _sample_ellipse(r0, v0, a, e, E0, t_impact, gm, omega, sample_dt, out_pos, out_vel)
    else:
        k = _sample_conic_span(r0, v0, 0.0, 0, t_impact, gm, omega, sample_dt, out_pos, out_vel)
    for i in range(k, out_pos.shape[0]):
        for j in range(3):
            out_pos[i, j] = math.nan
            out_vel[i, j] = math.nan


@njit(cache=True)
def _sample_ellipse(r0, v0, a, e, E0, t_end, gm, omega, sample_dt, out_pos, out_vel):
    """Samples k = 0, 1, ... (at k ``sample_dt`` s, while before ``t_end`` s and while out_pos
    has rows) of the ellipse (semi-major axis a m, eccentricity e > 0, eccentric anomaly E0
    rad at time 0) through the inertial state (r0, v0) (3,), into Earth-fixed positions (m)
    and Earth-relative velocities (m/s) out_pos/out_vel[k]; returns the next k. The samples
    are cut into `CHAINS` runs of consecutive samples stepped side by side (`_advance`; a
    core overlaps their chains of dependent operations), each run started afresh: the
    anomaly by Newton's method from Danby's starting value, the Earth's turn by the library's
    cosine and sine."""
    count = _sample_count(t_end, sample_dt, out_pos.shape[0])
    mean_motion = math.sqrt(gm / a**3)
    s0, c0 = math.sin(E0), math.cos(E0)
    m0 = E0 - e * s0
    rn0 = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    cst = np.empty(C_ROWS)
    cst[C_E], cst[C_M0], cst[C_N], cst[C_INV_N], cst[C_DT], cst[C_OMEGA] = e, m0, mean_motion, 1.0 / mean_motion, \
        sample_dt, omega
    cst[C_E0], cst[C_S0], cst[C_C0], cst[C_A_RN0] = E0, s0, c0, a / rn0
    cst[C_FD] = -math.sqrt(gm * a) / (a * rn0)  # fdot = C_FD sin(E - E0) / D
    cst[C_C1], cst[C_S1] = math.cos(-omega * sample_dt), math.sin(-omega * sample_dt)
    for j in range(3):
        cst[C_R0 + j], cst[C_V0 + j] = r0[j], v0[j]
    run = (count + CHAINS - 1) // CHAINS
    # chain states: anomaly, its sine and cosine, 1 / D, the Earth's turn's cosine and sine
    ea, sa, ca, ia, cka, ska = _chain_start(0, run, cst)
    eb, sb, cb, ib, ckb, skb = _chain_start(run, run, cst)
    ec, sc, cc, ic, ckc, skc = _chain_start(2 * run, run, cst)
    ed, sd, cd, id_, ckd, skd = _chain_start(3 * run, run, cst)
    for j in range(run):
        fresh = 2 if j == 0 else (1 if j % RESYNC == 0 else 0)
        ea, sa, ca, ia, cka, ska = _advance(j, ea, sa, ca, ia, cka, ska, fresh, cst, out_pos, out_vel)
        if run + j < count:
            eb, sb, cb, ib, ckb, skb = _advance(run + j, eb, sb, cb, ib, ckb, skb, fresh, cst, out_pos, out_vel)
        if 2 * run + j < count:
            ec, sc, cc, ic, ckc, skc = _advance(2 * run + j, ec, sc, cc, ic, ckc, skc, fresh, cst, out_pos, out_vel)
        if 3 * run + j < count:
            ed, sd, cd, id_, ckd, skd = _advance(3 * run + j, ed, sd, cd, id_, ckd, skd, fresh, cst, out_pos, out_vel)
    return count


@njit(cache=True)
def _sample_count(t_end, sample_dt, rows):
    """Number of grid points k sample_dt (k = 0, 1, ...) before ``t_end`` s, at most ``rows``."""
    if not t_end > 0.0:
        return 0
    k = min(int(math.ceil(t_end / sample_dt)), rows)
    while k > 0 and not (k - 1) * sample_dt < t_end:
        k -= 1
    while k < rows and k * sample_dt < t_end:
        k += 1
    return k


@njit(cache=True)
def _chain_start(k, run, cst):
    """State (E, sin E, cos E, 1 / D, cos and sin of the Earth's turn) from which `_advance`
    gives sample k: E0 itself at k = 0, else Danby's starting value for Kepler's equation at
    sample k (the first `_advance` solves it); ``run`` <= 0: unused, zeros."""
    if run <= 0:
        return 0.0, 0.0, 1.0, 1.0, 1.0, 0.0
    e = cst[C_E]
    if k == 0:
        E = cst[C_E0]
    else:
        m = cst[C_M0] + cst[C_N] * (k * cst[C_DT])
        E = m + (0.85 * e if math.sin(m) >= 0.0 else -0.85 * e)
    sE, cE = math.sin(E), math.cos(E)
    turn = -cst[C_OMEGA] * (k * cst[C_DT])
    ck, sk = (1.0, 0.0) if k == 0 else (math.cos(turn), math.sin(turn))
    return E, sE, cE, 1.0 / (1.0 - e * cE), ck, sk


@njit(cache=True, inline="always")
def _advance(k, E, sE, cE, inv, ck, sk, fresh, cst, out_pos, out_vel):
    """Sample k of the ellipse of ``cst`` (rows `C_*`) from the state after sample k - 1 of its
    run (E, sin E, cos E, 1 / D with D = 1 - e cos E, the Earth's turn cos and sin; see
    `_chain_start` for a run's first): the anomaly stepped (module docstring; the library's sine
    and cosine when ``fresh`` > 0 or the step is beyond the series), the position and velocity by
    Lagrange f and g, Earth-fixed, written into out_pos/out_vel[k]. Returns the new state.
    ``fresh``: 0 a step, 1 a step with the library's sine and cosine, 2 the run's first sample
    (the state's turn is already sample k's)."""
    e = cst[C_E]
    ts = k * cst[C_DT]
    mk = cst[C_M0] + cst[C_N] * ts
    if fresh < 2:
        ck, sk = ck * cst[C_C1] - sk * cst[C_S1], sk * cst[C_C1] + ck * cst[C_S1]
    # step of E for the step of M from E's own mean anomaly: third-order series of E(M)
    # (dE/dM = 1/D, then -u/D^2 and (3u^2 - w)/D^3 with u = e sin E / D, w = e cos E / D)
    q = (mk - (E - e * sE)) * inv
    u, w = e * sE * inv, e * cE * inv
    step = q * (1.0 + q * (-0.5 * u + q * (3.0 * u * u - w) / 6.0))
    E += step
    if fresh > 0 or not abs(step) <= SINCOS_SMALL_MAX:
        sE, cE = math.sin(E), math.cos(E)
    else:
        ss, cs = sincos_small(step)
        sE, cE = sE * cs + cE * ss, cE * cs - sE * ss
    inv = 1.0 / (1.0 - e * cE)
    for _ in range(_MAX_NEWTON):
        d = (E - e * sE - mk) * inv
        E -= d
        if abs(d) < _SMALL_CORRECTION:
            # D moves to D (1 - x): 1 / D by its series to x^2 (error x^3 < 1e-18)
            x = e * d * sE * inv
            sE, cE = sE - d * cE, cE + d * sE
            inv = inv * (1.0 + x * (1.0 + x)) if abs(x) < 1e-6 else 1.0 / (1.0 - e * cE)
            break
        sE, cE = math.sin(E), math.cos(E)
        inv = 1.0 / (1.0 - e * cE)
    s0, c0 = cst[C_S0], cst[C_C0]
    sd = sE * c0 - cE * s0
    cd = cE * c0 + sE * s0
    f = 1.0 - cst[C_A_RN0] * (1.0 - cd)
    g = ts - (E - cst[C_E0] - sd) * cst[C_INV_N]
    fdot = cst[C_FD] * sd * inv
    gdot = 1.0 - (1.0 - cd) * inv
    rx = f * cst[C_R0] + g * cst[C_V0]
    ry = f * cst[C_R0 + 1] + g * cst[C_V0 + 1]
    rz = f * cst[C_R0 + 2] + g * cst[C_V0 + 2]
    vx = fdot * cst[C_R0] + gdot * cst[C_V0]
    vy = fdot * cst[C_R0 + 1] + gdot * cst[C_V0 + 1]
    vz = fdot * cst[C_R0 + 2] + gdot * cst[C_V0 + 2]
    # Earth-fixed position and Earth-relative velocity (`fixed_state_one` with the stepped turn)
    omega = cst[C_OMEGA]
    wx = vx + omega * ry
    wy = vy - omega * rx
    out_pos[k, 0] = ck * rx - sk * ry
    out_pos[k, 1] = sk * rx + ck * ry
    out_pos[k, 2] = rz
    out_vel[k, 0] = ck * wx - sk * wy
    out_vel[k, 1] = sk * wx + ck * wy
    out_vel[k, 2] = vz
    return E, sE, cE, inv, ck, sk


@njit(cache=True, parallel=True, nogil=True)
def _sample_boosted(bpos, bvel, j0, r0, v0, t_impact, gm, omega, sample_dt, pos, vel):
    """Whole sampled vacuum flights written straight into pos/vel (N, M, 3) (Earth-fixed m,
    Earth-relative m/s): boost samples bpos/bvel[i, c] for c < j0[i], then the conic from the
    inertial state (r0, v0)[i] at grid point j0[i] sampled every ``sample_dt`` s until its impact
    ``t_impact[i]`` s later (`_sample_conic_one`), NaN after. No intermediate arrays."""
    for i in prange(pos.shape[0]):
        k0 = min(j0[i], pos.shape[1])
        for c in range(k0):
            for j in range(3):
                pos[i, c, j] = bpos[i, c, j]
                vel[i, c, j] = bvel[i, c, j]
        _sample_conic_one(r0[i], v0[i], t_impact[i], gm, omega, sample_dt, pos[i, k0:], vel[i, k0:])
