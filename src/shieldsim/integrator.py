"""The one fixed-step integrator of the point-mass flights: classical fourth-order Runge-Kutta.

Both the boost (`shieldsim.missile`) and the re-entry below the drag ceiling
(`shieldsim.trajectory.kernels`) step their state y = (r, v) (inertial, m and m/s) with
`rk4_step`; only the right-hand side differs. A right-hand side is a compiled (Numba) function

    deriv(t, y, params, table, out)

writing dy/dt at time ``t`` (s) into ``out``: ``params`` is the model's packed float array (its
slots named by index constants in the module that defines it), ``table`` a second array the model
reads (the log-density table of `shieldsim.atmosphere`). `rk4_step` is inlined into its caller
(``inline="always"``), where ``deriv`` is a module-level compiled function: each model gets its
own specialised step, called directly, and the caller stays cacheable (``cache=True``). Called
without inlining, a function passed as a value makes Numba refuse to cache the caller ("dynamic
globals"), hence the inlining.

Assumption: a fixed step; the callers cut their segments at every discontinuity of the
right-hand side (stage ends, cutoff, drag ceiling) so the fourth-order error holds.
"""

from __future__ import annotations

from numba import njit

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
