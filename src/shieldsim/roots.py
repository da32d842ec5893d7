"""Bracketing root searches of the compiled kernels: the Illinois variant of regula falsi.

A regula falsi search keeps a bracket [lo, hi] whose ends have function values of opposite
signs and replaces one end by each new trial point. Plain regula falsi can keep one end for ever
(convergence only from one side); the Illinois rule halves the stored value of an end each time
it is kept a second time in a row, which restores superlinear convergence. Each kernel keeps its
own trial point (linear interpolation, bisection, a clamp), tolerances and stopping tests; the
bracket's update is the shared part (`illinois_update`, used by `boost_kernel._edge_fraction` and
`interceptor._crossing`). Plain floats, no allocation.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def illinois_update(x, fx, to_hi, lo, f_lo, hi, f_hi, side):
    """The bracket after the trial point x with value fx: it replaces hi (``to_hi`` True, the
    value on hi's side of zero) or lo. ``side`` says which end the previous trial replaced
    (-1 hi, 1 lo, 0 none yet); an end kept for the second time in a row has its value halved.
    Returns (lo, f_lo, hi, f_hi, side)."""
    if to_hi:
        hi, f_hi = x, fx
        if side == -1:
            f_lo *= 0.5
        side = -1
    else:
        lo, f_lo = x, fx
        if side == 1:
            f_hi *= 0.5
        side = 1
    return lo, f_lo, hi, f_hi, side
