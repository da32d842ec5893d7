"""The fixed-step integrators of the point-mass flights: classical fourth-order Runge-Kutta and
the eighth-order Runge-Kutta of Dormand and Prince.

The re-entry below the drag ceiling (`shieldsim.trajectory.kernels`) and the boost
(`shieldsim.missile`) step their state y = (r, v) (inertial, m and m/s) with `rk8_step`, whose
larger steps make them several times cheaper than the classical `rk4_step` at the same accuracy
(with drag the steps end on the density model's layer edges, see `shieldsim.atmosphere`). Only the
right-hand side differs. A right-hand side is a compiled (Numba) function

    deriv(t, y, params, table, out)

writing dy/dt at time ``t`` (s) into ``out``: ``params`` is the model's packed float array (its
slots named by index constants in the module that defines it), ``table`` a second array the model
reads (the density model of `shieldsim.atmosphere`). The steps are inlined into their caller
(``inline="always"``), where ``deriv`` is a module-level compiled function: each model gets its
own specialised step, called directly, and the caller stays cacheable (``cache=True``). Called
without inlining, a function passed as a value makes Numba refuse to cache the caller ("dynamic
globals"), hence the inlining.

`rk8_step` is the eighth-order solution of Dormand and Prince's 12-stage pair DOP853 (the
method of Hairer and Wanner's DOP853 code and of SciPy's ``solve_ivp(method="DOP853")``) taken at
a fixed step, without its error estimate: a fixed step keeps the result a smooth function of the initial
state, which the finite-difference Jacobians of `trajectory.aim` need. Its coefficients are read
from SciPy's DOP853 implementation (``scipy.integrate._ivp.dop853_coefficients``) at import.
`rk8_dense` and `rk8_interpolate` give its seventh-order dense output (DOP853's continuous
extension, four more derivative evaluations per step), for samples on a time grid that does not
fall on the steps.

Assumption: a fixed step; the callers cut their segments at every discontinuity of the
right-hand side (stage ends, cutoff, drag ceiling, density layer edges) so the stated order holds.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.integrate._ivp import dop853_coefficients as _dop853

WORK_ROWS = 5
"""Rows of the scratch array `rk4_step` needs: k1, k2, k3, k4 and one trial state."""


@njit(cache=True, inline="always")
def rk4_step(deriv, t, y, dt, params, table, out, work):
    """One classical RK4 step of ``dt`` seconds of the state ``y`` from time ``t`` into ``out``.

    ``deriv(t, y, params, table, out)`` writes dy/dt; ``work`` is a (`WORK_ROWS`, len(y))
    scratch array. ``out`` must not alias ``y``.
    """
    k1, k2, k3, k4, tmp = work[0], work[1], work[2], work[3], work[4]
    n = y.shape[0]
    deriv(t, y, params, table, k1)
    for j in range(n):
        tmp[j] = y[j] + 0.5 * dt * k1[j]
    deriv(t + 0.5 * dt, tmp, params, table, k2)
    for j in range(n):
        tmp[j] = y[j] + 0.5 * dt * k2[j]
    deriv(t + 0.5 * dt, tmp, params, table, k3)
    for j in range(n):
        tmp[j] = y[j] + dt * k3[j]
    deriv(t + dt, tmp, params, table, k4)
    for j in range(n):
        out[j] = y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])


RK8_STAGES = 12
"""Stages of `rk8_step`."""

RK8_STAGES_DENSE = 16
"""Stages of `rk8_step` and its dense output (`rk8_dense`): the 12, the derivative at the step's
end and three more."""

RK8_WORK_ROWS = RK8_STAGES_DENSE + 1
"""Rows of the scratch array of `rk8_step` and `rk8_dense`: the stage derivatives and one trial
state."""

RK8_DENSE_ROWS = 7
"""Rows of the dense-output coefficients (`rk8_dense`)."""

_RK8_A = np.ascontiguousarray(_dop853.A[:RK8_STAGES, :RK8_STAGES], dtype=np.float64)
_RK8_B = np.ascontiguousarray(_dop853.B[:RK8_STAGES], dtype=np.float64)
_RK8_C = np.ascontiguousarray(_dop853.C[:RK8_STAGES], dtype=np.float64)
_RK8_A_FULL = np.ascontiguousarray(_dop853.A, dtype=np.float64)
_RK8_C_FULL = np.ascontiguousarray(_dop853.C, dtype=np.float64)
_RK8_D = np.ascontiguousarray(_dop853.D, dtype=np.float64)


def _nonzero_rows(coeffs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero entries of the rows of ``coeffs`` (R, C), row by row and in column order:
    (row starts (R + 1,), their columns, their values), so that a sum over a row may skip the
    zeros and still add its other terms in the same order."""
    ptr, col, val = [0], [], []
    for row in coeffs:
        nz = np.flatnonzero(row)
        col.extend(nz.tolist())
        val.extend(row[nz].tolist())
        ptr.append(len(col))
    return (np.array(ptr, dtype=np.int64), np.array(col, dtype=np.int64), np.array(val, dtype=np.float64))


RK8_A_PTR, RK8_A_COL, RK8_A_VAL = _nonzero_rows(np.tril(_RK8_A_FULL, -1))
"""`_RK8_A_FULL` below the diagonal without its zeros (`_nonzero_rows`): stage s sums columns
RK8_A_COL[RK8_A_PTR[s]:RK8_A_PTR[s + 1]] (74 of the 108 terms of the stages other than 0 and 12)."""
RK8_B_PTR, RK8_B_COL, RK8_B_VAL = _nonzero_rows(_RK8_B[None, :])
"""`_RK8_B` without its zeros (8 of 12 terms)."""
RK8_D_PTR, RK8_D_COL, RK8_D_VAL = _nonzero_rows(_RK8_D)
"""`_RK8_D` without its zeros (48 of 64 terms)."""


@njit(cache=True, inline="always")
def rk8_step(deriv, t, y, dt, params, table, out, work):
    """One eighth-order Runge-Kutta step (DOP853 coefficients) of ``dt`` seconds of the state
    ``y`` from time ``t`` into ``out``.

    ``deriv(t, y, params, table, out)`` writes dy/dt; ``work`` is a (`RK8_WORK_ROWS`, len(y))
    scratch array; on return work[0] holds dy/dt at (t, y). ``out`` must not alias ``y``.
    """
    deriv(t, y, params, table, work[0])
    rk8_step_from_first(deriv, t, y, dt, params, table, out, work)


@njit(cache=True, inline="always")
def rk8_step_from_first(deriv, t, y, dt, params, table, out, work):
    """`rk8_step` with its first stage given: work[0] must hold dy/dt at (t, y) already (e.g.
    computed with the caller's own use of it), saving that evaluation; the same step bit for bit."""
    n = y.shape[0]
    tmp = work[RK8_STAGES_DENSE]
    for s in range(1, RK8_STAGES):
        for j in range(n):
            acc = 0.0
            for m in range(s):
                acc += _RK8_A[s, m] * work[m, j]
            tmp[j] = y[j] + dt * acc
        deriv(t + _RK8_C[s] * dt, tmp, params, table, work[s])
    for j in range(n):
        acc = 0.0
        for s in range(RK8_STAGES):
            acc += _RK8_B[s] * work[s, j]
        out[j] = y[j] + dt * acc


@njit(cache=True, inline="always")
def rk8_dense(deriv, t, y, ynew, dt, params, table, work, coef):
    """Coefficients (into ``coef``, (`RK8_DENSE_ROWS`, len(y))) of the seventh-order dense
    output of the `rk8_step` that took ``y`` at ``t`` to ``ynew`` in ``dt`` seconds, with ``work``
    as that step left it: three more derivative evaluations, plus one at the step's end (DOP853's
    continuous extension). `rk8_interpolate` evaluates it anywhere in the step."""
    n = y.shape[0]
    tmp = work[RK8_STAGES_DENSE]
    deriv(t + dt, ynew, params, table, work[RK8_STAGES])
    for s in range(RK8_STAGES + 1, RK8_STAGES_DENSE):
        for j in range(n):
            acc = 0.0
            for m in range(s):
                acc += _RK8_A_FULL[s, m] * work[m, j]
            tmp[j] = y[j] + dt * acc
        deriv(t + _RK8_C_FULL[s] * dt, tmp, params, table, work[s])
    for j in range(n):
        dy = ynew[j] - y[j]
        coef[0, j] = dy
        coef[1, j] = dt * work[0, j] - dy
        coef[2, j] = 2.0 * dy - dt * (work[RK8_STAGES, j] + work[0, j])
        for r in range(_RK8_D.shape[0]):
            acc = 0.0
            for m in range(RK8_STAGES_DENSE):
                acc += _RK8_D[r, m] * work[m, j]
            coef[3 + r, j] = dt * acc


@njit(cache=True)
def rk8_interpolate(coef, y, theta, out):
    """The dense output (coefficients from `rk8_dense`) of a step from ``y`` at the fraction
    ``theta`` (0-1) of the step, into ``out``; seventh order."""
    for j in range(y.shape[0]):
        acc = 0.0
        for i in range(coef.shape[0] - 1, -1, -1):
            acc += coef[i, j]
            if (coef.shape[0] - 1 - i) % 2 == 0:
                acc *= theta
            else:
                acc *= 1.0 - theta
        out[j] = y[j] + acc
