"""Compiled (Numba) vacuum arcs in blocks of lanes: the iterations of `vacuum.arc_descent` and of
Vincenty's inverse (`earth.geodesic_distance_sc`) run a fixed number of times over a block of
arcs, one lane per arc, in loops without calls or branches that the compiler turns into SIMD
instructions (4 lanes of AVX2 at a time), followed by a convergence test per lane.

Why: one arc's iterations are a chain of dependent square roots and divisions, so a core waits
on each result; over a block the same operations run side by side. The scalar functions stay
the definition: a lane that has not met the scalar function's stopping test after the fixed
count (or meets a case the lane loop does not handle, e.g. a step outside the small-angle series)
is flagged, and the caller recomputes it with the scalar function. A lane keeps the values of
the step at which it first met the scalar function's stopping test, computed by the same
operations in the same order, so its results are those of the scalar function, bit for bit
(IEEE arithmetic is the same in a SIMD lane; Numba does not contract to fused multiply-adds).

The lanes are the columns of a scratch block ``w`` (rows named by the `W_*` indices below, each
row a contiguous array of `BLOCK` floats); every function takes the number of lanes ``m`` in use
and the block, SI units. `error_model="numpy"`: a division by zero gives inf/NaN in a lane (then
flagged) instead of an exception that would stop the compiler vectorising.
"""

from __future__ import annotations

import math

from numba import njit

from ..earth import vincenty_alpha, vincenty_length, vincenty_near, vincenty_next, vincenty_reduced, vincenty_sigma
from ..series import ASIN_SMALL_MAX, SINCOS_SMALL_MAX, asin_small
from .vacuum import _SURFACE_TOL, descent_constants, descent_step, surface_radius_at

BLOCK = 256
"""Lanes per block: the block's rows (~70 kB) stay in the core's cache."""

(W_RX, W_RY, W_RZ, W_VX, W_VY, W_VZ, W_A, W_E, W_E0, W_S0, W_C0, W_RN, W_C1, W_S1, W_OK,
 W_SLA, W_CLA, W_SLO, W_CLO, W_SL2, W_CL2, W_DLON, W_SDLON, W_CDLON,
 W_SUSU, W_CUCU, W_CUSU, W_SUCU, W_CU2, W_LAM, W_SIG, W_SS, W_CS, W_LAMF, W_SIGF, W_DONE, W_DIST,
 W_VOK) = range(38)
W_ROWS = 38
"""Rows of a scratch block: the inertial state at the start of the arc (W_RX..W_VZ, m and m/s),
its elements (`vacuum.arc_elements`: W_A..W_RN), the descent's cos E and sin E and its flag
(W_C1, W_S1, W_OK), the sines and cosines of the start's latitude and longitude and of the
end's latitude, the longitude difference with its sine and cosine (W_SLA..W_CDLON), and
Vincenty's iteration state (W_SUSU..W_VOK, see `vincenty_start`)."""

DESCENT_ITER = 5
"""Fixed-point steps of the surface radius per lane (`vacuum.arc_descent` needs 2-6 on random
missile arcs, mostly 4, 6 on 0.15 %; lanes that have not converged are recomputed by it)."""

VINCENTY_ITER = 4
"""Longitude iterations per lane after the first (`earth.geodesic_distance_sc` needs 1-4 after
its first on random missile arcs; lanes that have not converged are recomputed by it)."""


@njit(cache=True, error_model="numpy")
def elements_lanes(m, w, gm):
    """`vacuum.arc_elements` of lanes 0..m-1 of the block w from their inertial states W_RX..W_VZ
    (m, m/s; gm m^3/s^2), but for the anomaly itself: writes W_A, W_E, W_S0, W_C0, W_RN, and
    e sin E0, e cos E0 into W_E0 and W_LAM, from which `anomaly_of_lane` takes E0 (the one
    library call, left out so that this loop vectorises). The same operations as
    `kepler.conic_state_elements` and arc_elements: identical results (NaN a, e, s0, c0 for an
    arc that is not elliptic)."""
    rx, ry, rz, vx, vy, vz = w[W_RX], w[W_RY], w[W_RZ], w[W_VX], w[W_VY], w[W_VZ]
    a_out, e_out, s0_out, c0_out, rn_out, esin_out, ecos_out = w[W_A], w[W_E], w[W_S0], w[W_C0], w[W_RN], w[W_E0], \
        w[W_LAM]
    for j in range(m):
        rn = math.sqrt(rx[j] * rx[j] + ry[j] * ry[j] + rz[j] * rz[j])
        v2 = vx[j] * vx[j] + vy[j] * vy[j] + vz[j] * vz[j]
        rv = rx[j] * vx[j] + ry[j] * vy[j] + rz[j] * vz[j]
        alpha = 2.0 / rn - v2 / gm
        a = 1.0 / alpha
        a = a if alpha > 0.0 else math.nan
        ecos = 1.0 - rn / a
        esin = rv / math.sqrt(gm * a)
        e = math.sqrt(ecos * ecos + esin * esin)
        a_out[j] = a
        e_out[j] = e
        rn_out[j] = rn
        esin_out[j] = esin
        ecos_out[j] = ecos
        circular = e == 0.0  # then a is a number: s0, c0 = 0, 1 (NaN stays NaN)
        s0_out[j] = 0.0 if circular else esin / e
        c0_out[j] = 1.0 if circular else ecos / e


@njit(cache=True)
def anomaly_of_lane(w, j):
    """E0 (rad, in [0, 2 pi); NaN for an arc that is not elliptic) of lane j after
    `elements_lanes`, written to W_E0 and returned: `kepler.conic_state_elements`'s atan2."""
    e0 = math.atan2(w[W_E0, j], w[W_LAM, j])
    if e0 < 0.0:
        e0 += 2.0 * math.pi
    w[W_E0, j] = e0
    return e0


@njit(cache=True, error_model="numpy")
def descent_lanes(m, w, gm, a_eq, b_pol):
    """`vacuum.arc_descent` to the surface (height 0) for lanes 0..m-1 of the block w at once,
    from the rows W_RZ, W_VZ (inertial z of position m and velocity m/s) and the elements W_A,
    W_E, W_S0, W_C0, W_RN (ellipsoid semi-axes a_eq, b_pol m). Writes the crossing's cos E and
    sin E (falling branch) to W_C1, W_S1 and W_OK = 1.0 where the lane met arc_descent's stopping
    test within `DESCENT_ITER` steps (its values are then those of the step that met it, from
    the same `vacuum.descent_step`: identical results), 0.0 where the caller must use
    arc_descent (no crossing, or not converged). Uses rows W_SUSU..W_SUCU, W_DIST and W_VOK as
    scratch."""
    rz, vz, a, e, s0, c0, rn = w[W_RZ], w[W_VZ], w[W_A], w[W_E], w[W_S0], w[W_C0], w[W_RN]
    c_out, s_out, ok = w[W_C1], w[W_S1], w[W_OK]
    ia, ie, a_rn, sq = w[W_SUSU], w[W_CUCU], w[W_CUSU], w[W_SUCU]  # rows free until Vincenty
    rs, bad = w[W_DIST], w[W_VOK]
    bb, d_ab, ab = b_pol * b_pol, a_eq * a_eq - b_pol * b_pol, a_eq * b_pol  # as descent_constants has them
    for j in range(m):
        kj = descent_constants(rz[j], vz[j], a[j], e[j], s0[j], c0[j], rn[j], gm, a_eq, b_pol)
        ia[j], ie[j], a_rn[j], sq[j] = kj[0], kj[1], kj[2], kj[3]
        rs[j] = surface_radius_at(kj, rn[j], rz[j])
        ok[j] = 0.0
        bad[j] = 0.0 if e[j] >= 1e-14 else 1.0
    for _ in range(DESCENT_ITER if b_pol != a_eq else 1):  # on a sphere the first step meets the test
        for j in range(m):
            kj = (ia[j], ie[j], a_rn[j], sq[j], s0[j], c0[j], rz[j], vz[j], bb, d_ab, ab, e[j])
            c, s, rs_new = descent_step(kj, rs[j], 0.0)
            live = (ok[j] == 0.0) & (bad[j] == 0.0)
            out_of_range = (c > 1.0) | (c < -1.0)
            met = live & (not out_of_range) & (abs(rs_new - rs[j]) < _SURFACE_TOL)
            c_out[j] = c if met else c_out[j]
            s_out[j] = s if met else s_out[j]
            ok[j] = 1.0 if met else ok[j]
            bad[j] = 1.0 if (live & out_of_range) else bad[j]
            rs[j] = rs_new


@njit(cache=True)
def vincenty_start(w, j, f):
    """The first iteration of Vincenty's inverse (`earth.geodesic_distance_sc`, flattening f) for
    lane j, from the rows W_SLA, W_CLA, W_SL2, W_CL2 (sines and cosines of the two geodetic
    latitudes) and W_DLON, W_SDLON, W_CDLON: writes the reduced-latitude products (W_SUSU..W_CU2),
    the longitude after it (W_LAM) and the arc sigma with its sine and cosine (W_SIG, W_SS, W_CS);
    the longitude it started from and its sigma (W_LAMF, W_SIGF), which the distance uses when
    W_DONE = 1.0 (this iteration already meets the stopping test). W_VOK is 0.0 for a lane that
    needs the scalar function (coincident points), else 1.0."""
    susu, cucu, cusu, sucu, cu2 = vincenty_reduced(w[W_SLA, j], w[W_CLA, j], w[W_SL2, j], w[W_CL2, j], f)
    dlon, sl, cl = w[W_DLON, j], w[W_SDLON, j], w[W_CDLON, j]
    sin_sigma, cos_sigma = vincenty_sigma(sl, cl, susu, cucu, cusu, sucu, cu2)
    sigma = math.atan2(sin_sigma, cos_sigma)
    lam = dlon
    if sin_sigma > 0.0:
        sin_alpha, cos2_alpha, cos_2sm = vincenty_alpha(sl, sin_sigma, cos_sigma, susu, cucu)
        lam = vincenty_next(dlon, f, sigma, sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm)
    w[W_SUSU, j], w[W_CUCU, j], w[W_CUSU, j], w[W_SUCU, j], w[W_CU2, j] = susu, cucu, cusu, sucu, cu2
    w[W_LAM, j], w[W_SIG, j], w[W_SS, j], w[W_CS, j] = lam, sigma, sin_sigma, cos_sigma
    w[W_LAMF, j], w[W_SIGF, j] = dlon, sigma
    w[W_DONE, j] = 1.0 if abs(lam - dlon) < 1e-13 else 0.0
    w[W_VOK, j] = 1.0 if sin_sigma > 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def vincenty_lanes(m, w, a, f):
    """Vincenty's inverse (`earth.geodesic_distance_sc`; ellipsoid a m, flattening f) for lanes
    0..m-1 of the block w after `vincenty_start`: up to `VINCENTY_ITER` more longitude iterations
    (with the Aitken step after the second), each lane keeping the longitude and sigma of the
    iteration at which it meets the stopping test (1e-13 rad), then the distance (m) into W_DIST
    from that iteration's parts (the same `earth.vincenty_*` functions as the scalar function:
    identical results). W_VOK (1.0 from `vincenty_start`; a caller may mark a lane it does not
    want with -1.0) becomes 0.0 where the lane did not converge or a step left the small-angle
    series (the scalar function then takes the library functions): the caller must use the
    scalar function there. (Eight rows are written in the iteration loop: more defeat the
    compiler's vectoriser, which stops at its limit of run-time overlap checks.)"""
    susu, cucu, cusu, sucu, cu2 = w[W_SUSU], w[W_CUCU], w[W_CUSU], w[W_SUCU], w[W_CU2]
    dlon, sdl, cdl = w[W_DLON], w[W_SDLON], w[W_CDLON]
    lam, sig, ss, cs = w[W_LAM], w[W_SIG], w[W_SS], w[W_CS]
    ok, done, lamf, sigf = w[W_VOK], w[W_DONE], w[W_LAMF], w[W_SIGF]
    for it in range(1, VINCENTY_ITER + 1):
        aitken = it == 1  # Aitken's delta-squared on the three iterates so far (the first is dlon)
        for j in range(m):
            live = done[j] == 0.0
            d = lam[j] - dlon[j]
            sl, cl = vincenty_near(sdl[j], cdl[j], d)
            sin_sigma, cos_sigma = vincenty_sigma(sl, cl, susu[j], cucu[j], cusu[j], sucu[j], cu2[j])
            x_num = sin_sigma * cs[j] - cos_sigma * ss[j]  # sin of sigma's change
            x_den = cos_sigma * cs[j] + sin_sigma * ss[j]
            sigma = sig[j] + asin_small(x_num)
            sin_alpha, cos2_alpha, cos_2sm = vincenty_alpha(sl, sin_sigma, cos_sigma, susu[j], cucu[j])
            new = vincenty_next(dlon[j], f, sigma, sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm)
            step = new - lam[j]
            met = live & (abs(step) < 1e-13)
            dd = new - 2.0 * lam[j] + dlon[j]
            new = new - step * step / dd if (aitken & (not met) & (dd != 0.0)) else new
            # inside both series and sin sigma > 0 (a lane already done keeps its flag; arithmetic
            # rather than boolean logic here, which the vectoriser does not take)
            margin = min(min(SINCOS_SMALL_MAX - abs(d), ASIN_SMALL_MAX - abs(x_num)), min(x_den, sin_sigma))
            ok[j] = min(ok[j], 1.0 if margin > 0.0 else done[j])
            lamf[j] = lam[j] if met else lamf[j]
            sigf[j] = sigma if met else sigf[j]
            done[j] = 1.0 if met else done[j]
            lam[j] = new
            sig[j] = sigma
            ss[j] = sin_sigma
            cs[j] = cos_sigma
    dist = w[W_DIST]
    for j in range(m):
        sl, cl = vincenty_near(sdl[j], cdl[j], lamf[j] - dlon[j])
        sin_sigma, cos_sigma = vincenty_sigma(sl, cl, susu[j], cucu[j], cusu[j], sucu[j], cu2[j])
        _, cos2_alpha, cos_2sm = vincenty_alpha(sl, sin_sigma, cos_sigma, susu[j], cucu[j])
        ok[j] = min(ok[j], done[j])
        dist[j] = vincenty_length(a, f, sigf[j], sin_sigma, cos_sigma, cos2_alpha, cos_2sm)
