"""Compiled (Numba) vacuum arcs in blocks of lanes: every stage of a batch `fly` in vacuum
(`kernels._fly_vacuum_geodetic_batch`) runs over a block of arcs, one lane per arc, in loops
without calls or branches that the compiler turns into SIMD instructions (4 lanes of AVX2 at a
time): the arcs' elements and E0 (`elements_lanes`, `anomaly_lanes`), the iterations of
`vacuum.arc_descent` (`descent_lanes`, `crossing_lanes`), the impact (`impact_lanes`,
`impact_angles_lanes`), the search for the highest point of `vacuum.arc_highest`
(`window_lanes`, `highest_lanes`) and Vincenty's inverse (`vincenty_start_lanes`,
`vincenty_lanes`), the iterations a fixed number of times followed by a convergence test per
lane.

Why: one arc's iterations are a chain of dependent square roots and divisions, so a core waits
on each result; over a block the same operations run side by side. The scalar functions stay
the definition: a lane that has not met the scalar function's stopping test after the fixed
count (or meets a case the lane loop does not handle, e.g. a step outside the small-angle series)
is flagged, and the caller recomputes it with the scalar function. A lane keeps the values of
the step at which it first met the scalar function's stopping test, computed by the same
operations in the same order, so its results are those of the scalar function, bit for bit
(IEEE arithmetic is the same in a SIMD lane; Numba does not contract to fused multiply-adds).
The exceptions are the library's sine, cosine, atan2, asin and acos, which a lane loop cannot
call: there `shieldsim.trig`'s polynomials (within a few ulp of the library's) stand in.

The lanes are the columns of a scratch block ``w`` (rows named by the `W_*` indices below, each
row a contiguous array of `BLOCK` floats); every function takes the number of lanes ``m`` in use
and the block, SI units. `error_model="numpy"`: a division by zero gives inf/NaN in a lane (then
flagged) instead of an exception that would stop the compiler vectorising. A loop that writes
more than about five rows, or reads many more, is not vectorised (the compiler's limit of
run-time overlap checks between rows): hence several loops a stage.
"""

from __future__ import annotations

import math

from numba import njit

from ..earth import vincenty_alpha, vincenty_length, vincenty_near, vincenty_next, vincenty_reduced, vincenty_sigma
from ..series import ASIN_SMALL_MAX, SINCOS_SMALL_MAX, asin_small
from ..series import SINCOS_SMALL_MAX as _SC_MAX
from ..series import sincos_small
from ..trig import acos_lane, asin_lane, atan2_lane, sincos_lane
from .vacuum import (
    _ROOT_TOL, _SURFACE_TOL, _arc_frame, _height_rate, _scan, _sincos, arc_coefficients, arc_highest, arc_time,
    descent_constants, descent_step, highest_bracket, surface_radius_at,
)

BLOCK = 256
"""Lanes per block: the block's rows (~70 kB) stay in the core's cache."""

(W_RX, W_RY, W_RZ, W_VX, W_VY, W_VZ, W_A, W_E, W_E0, W_S0, W_C0, W_RN, W_C1, W_S1, W_OK,
 W_SLA, W_CLA, W_SLO, W_CLO, W_SL2, W_CL2, W_DLON, W_SDLON, W_CDLON,
 W_SUSU, W_CUCU, W_CUSU, W_SUCU, W_CU2, W_LAM, W_SIG, W_SS, W_CS, W_LAMF, W_SIGF, W_DONE, W_DIST,
 W_VOK, W_E1, W_ARN, W_SQ, W_SQG, W_SQA, W_LO, W_HI, W_X, W_HX, W_PX, W_XN, W_HST, W_HN, W_PN,
 W_QX, W_QY, W_QZ, W_QRN, W_QUP, W_T, W_F, W_G, W_FD, W_GD, W_UX, W_UY, W_UZ, W_V1) = range(66)
W_ROWS = 66
"""Rows of a scratch block: the inertial state at the start of the arc (W_RX..W_VZ, m and m/s),
its elements (`vacuum.arc_elements`: W_A..W_RN), the descent's cos E and sin E and its flag
(W_C1, W_S1, W_OK), the sines and cosines of the start's latitude and longitude and of the
end's latitude, the longitude difference with its sine and cosine (W_SLA..W_CDLON), and
Vincenty's iteration state (W_SUSU..W_VOK, see `vincenty_start`), and the search for the
highest point: the impact's anomaly, the arc's constants of `vacuum._arc_frame` and the root
search's state (W_E1..W_PN, see `highest_start`), and the impact point's Earth-fixed x, y, z
(m), (1 - e^2) times its distance from the axis (m) and the sine of its flight-path angle
(W_QX..W_QUP), which `impact_angles_lanes` turns into latitude, longitude and angle; the
flight time, the Lagrange coefficients to the impact, the impact velocity in Earth-fixed axes
and the impact speed (W_T..W_V1, `impact_lanes`)."""

DESCENT_ITER = 5
"""Fixed-point steps of the surface radius per lane (`vacuum.arc_descent` needs 2-6 on random
missile arcs, mostly 4, 6 on 0.15 %; lanes that have not converged are recomputed by it)."""

ROOT_ITER = 4
"""Passes of the highest point's root search per lane (`vacuum._root`: each pass tests the
stopping rule and makes one step; lanes that have not stopped are recomputed by
`vacuum.arc_highest`)."""

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
def anomaly_lanes(m, w):
    """E0 (rad, in [0, 2 pi)) into W_E0 for lanes 0..m-1 after `elements_lanes`, as
    `anomaly_of_lane` has it but by `trig.atan2_lane` (within `trig.ATAN2_LANE_ULP` ulp of the
    library's atan2), side by side."""
    esin, ecos = w[W_E0], w[W_LAM]
    for j in range(m):
        e0 = atan2_lane(esin[j], ecos[j])
        esin[j] = e0 + 2.0 * math.pi if e0 < 0.0 else e0


@njit(cache=True, error_model="numpy")
def crossing_lanes(m, w):
    """The descent's anomaly E1 = 2 pi - acos(cos E1) (rad; plus 2 pi when it lies before E0, as
    `vacuum.arc_descent` has it, but by `trig.acos_lane`) into W_E1 for lanes 0..m-1 after
    `descent_lanes` (meaningful where W_OK is 1.0)."""
    c1, e0, e1 = w[W_C1], w[W_E0], w[W_E1]
    for j in range(m):
        x = 2.0 * math.pi - acos_lane(c1[j])
        e1[j] = x + 2.0 * math.pi if x < e0[j] - 1e-12 else x


@njit(cache=True, error_model="numpy")
def impact_lanes(m, w, gm, e2, omega):
    """The impact of lanes 0..m-1 from their anomaly E1 with its sine and cosine (W_E1, W_S1,
    W_C1; NaN where there is none), side by side (`kernels._fly_vacuum_geodetic_batch`; gm
    m^3/s^2, the ellipsoid's e^2, rotation omega rad/s): flight time W_T (s), the Lagrange
    coefficients W_F..W_GD (`vacuum.arc_coefficients`), the impact point in Earth-fixed axes
    W_QX, W_QY, W_QZ (m) and (1 - e^2) times its distance from the axis W_QRN, its velocity
    relative to the Earth W_UX..W_UZ (m/s), speed W_V1 and the sine of its flight-path angle
    W_QUP, and for Vincenty the sine and cosine of its geodetic latitude (W_SL2, W_CL2; closed form
    on the surface) and of its longitude minus the start's (W_SDLON, W_CDLON). Few rows written
    per loop, or the compiler does not vectorise."""
    a, e, e0, s0, c0, rn = w[W_A], w[W_E], w[W_E0], w[W_S0], w[W_C0], w[W_RN]
    e1, s1, c1 = w[W_E1], w[W_S1], w[W_C1]
    t, fc, g, fd, gd = w[W_T], w[W_F], w[W_G], w[W_FD], w[W_GD]
    for j in range(m):
        t[j] = max(arc_time(a[j], e[j], e0[j], s0[j], gm, e1[j], s1[j]), 0.0)
        fc[j], g[j], fd[j], gd[j] = arc_coefficients(a[j], e[j], s0[j], c0[j], rn[j], gm, s1[j], c1[j])
    rx, ry, rz, vx, vy, vz = w[W_RX], w[W_RY], w[W_RZ], w[W_VX], w[W_VY], w[W_VZ]
    qx, qy, qz = w[W_QX], w[W_QY], w[W_QZ]
    for j in range(m):  # the point, turned into Earth-fixed axes
        px, py = fc[j] * rx[j] + g[j] * vx[j], fc[j] * ry[j] + g[j] * vy[j]
        sn, cs = _turn(omega * t[j])
        qx[j], qy[j] = cs * px + sn * py, cs * py - sn * px
        qz[j] = fc[j] * rz[j] + g[j] * vz[j]
    ux, uy, uz = w[W_UX], w[W_UY], w[W_UZ]
    for j in range(m):  # the velocity relative to the Earth
        px, py = fc[j] * rx[j] + g[j] * vx[j], fc[j] * ry[j] + g[j] * vy[j]
        wx, wy = fd[j] * rx[j] + gd[j] * vx[j] + omega * py, fd[j] * ry[j] + gd[j] * vy[j] - omega * px
        sn, cs = _turn(omega * t[j])
        ux[j], uy[j] = cs * wx + sn * wy, cs * wy - sn * wx
        uz[j] = fd[j] * rz[j] + gd[j] * vz[j]
    qrn, sl2, cl2, sdl, cdl = w[W_QRN], w[W_SL2], w[W_CL2], w[W_SDLON], w[W_CDLON]
    slo, clo = w[W_SLO], w[W_CLO]
    for j in range(m):  # up (the ellipsoid normal) at the impact point, from the point itself
        x, y, z = qx[j], qy[j], qz[j]
        rho = math.sqrt(x * x + y * y)
        rho_n = (1.0 - e2) * rho
        inv_nz = 1.0 / math.sqrt(z * z + rho_n * rho_n)  # sin lat1 = z / nz, cos lat1 = (1 - e2) rho / nz
        inv_rho = 1.0 / rho
        pole = rho == 0.0  # then lon1 = 0
        sdl[j] = -slo[j] if pole else (y * clo[j] - x * slo[j]) * inv_rho
        cdl[j] = clo[j] if pole else (x * clo[j] + y * slo[j]) * inv_rho
        sl2[j], cl2[j], qrn[j] = z * inv_nz, rho_n * inv_nz, rho_n
    qup, v1 = w[W_QUP], w[W_V1]
    for j in range(m):
        x, y, z, rho_n = qx[j], qy[j], qz[j], qrn[j]
        inv_nz = 1.0 / math.sqrt(z * z + rho_n * rho_n)
        speed1 = math.sqrt(ux[j] * ux[j] + uy[j] * uy[j] + uz[j] * uz[j])
        up = ((1.0 - e2) * (x * ux[j] + y * uy[j]) + z * uz[j]) * inv_nz
        v1[j] = speed1
        qup[j] = max(-1.0, min(1.0, up / speed1))


@njit(cache=True, inline="always")
def _turn(angle):
    """(sin, cos) of the Earth's turn during a flight (rad): `series.sincos_small` below its
    range, `trig.sincos_lane` above (a selection, no branch)."""
    s_small, c_small = sincos_small(angle)
    s_big, c_big = sincos_lane(angle)
    small = abs(angle) <= _SC_MAX
    return (s_small if small else s_big), (c_small if small else c_big)


@njit(cache=True, error_model="numpy")
def impact_angles_lanes(m, w):
    """Geodetic latitude, longitude and flight-path angle (rad) of the impact points of lanes
    0..m-1, into W_QZ, W_QY, W_QUP, from W_QX..W_QUP (Earth-fixed x, y, z, (1 - e^2) rho m, and
    the sine of the angle): atan2(z, (1 - e^2) rho), atan2(y, x), asin by `trig`'s lane functions."""
    qx, qy, qz, qrn, qup = w[W_QX], w[W_QY], w[W_QZ], w[W_QRN], w[W_QUP]
    for j in range(m):
        qz[j] = atan2_lane(qz[j], qrn[j])
        qy[j] = atan2_lane(qy[j], qx[j])
        qup[j] = asin_lane(qup[j])


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
def vincenty_start_lanes(m, w, f):
    """`vincenty_start` for lanes 0..m-1 side by side, with sigma's atan2 by `trig.atan2_lane`
    (within `trig.ATAN2_LANE_ULP` ulp of the library's, so the distance may differ from the
    scalar function's by nanometres); W_VOK 0.0 (coincident points) marks the lanes for it."""
    sla, cla, sl2, cl2 = w[W_SLA], w[W_CLA], w[W_SL2], w[W_CL2]
    susu, cucu, cusu, sucu, cu2 = w[W_SUSU], w[W_CUCU], w[W_CUSU], w[W_SUCU], w[W_CU2]
    for j in range(m):
        susu[j], cucu[j], cusu[j], sucu[j], cu2[j] = vincenty_reduced(sla[j], cla[j], sl2[j], cl2[j], f)
    sdl, cdl = w[W_SDLON], w[W_CDLON]
    sig, ss, cs = w[W_SIG], w[W_SS], w[W_CS]
    for j in range(m):
        sin_sigma, cos_sigma = vincenty_sigma(sdl[j], cdl[j], susu[j], cucu[j], cusu[j], sucu[j], cu2[j])
        sig[j], ss[j], cs[j] = atan2_lane(sin_sigma, cos_sigma), sin_sigma, cos_sigma
    dlon, lam, lamf, sigf, done, ok = w[W_DLON], w[W_LAM], w[W_LAMF], w[W_SIGF], w[W_DONE], w[W_VOK]
    for j in range(m):
        sin_sigma, cos_sigma = ss[j], cs[j]
        sin_alpha, cos2_alpha, cos_2sm = vincenty_alpha(sdl[j], sin_sigma, cos_sigma, susu[j], cucu[j])
        nxt = vincenty_next(dlon[j], f, sig[j], sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm)
        good = sin_sigma > 0.0
        lam1 = nxt if good else dlon[j]
        lam[j] = lam1
        lamf[j], sigf[j] = dlon[j], sig[j]
        done[j] = 1.0 if abs(lam1 - dlon[j]) < 1e-13 else 0.0
        ok[j] = 1.0 if good else 0.0


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


@njit(cache=True)
def highest_start(w, j, gm, a_eq, b_pol, e1, s1, c1, out, i):
    """The highest point of the arc in lane j (state W_RX..W_VZ, elements W_A..W_RN after
    `descent_lanes` and `anomaly_of_lane`; impact anomaly e1 rad with sine s1, cosine c1) as
    `vacuum.arc_highest` finds it, up to its root search: where the point is known without one
    (an endpoint, the sphere's apoapsis, or the scan of an uncertified arc), writes its height
    (m) into out[i, 3] and its time after burnout (s; out[i, 0] the flight time) into out[i, 4]
    and W_HST <- 2.0 (indices, not a row view: a view per flight costs two atomic reference counts);
    otherwise writes the arc's constants, the bracket (W_LO, W_HI) and the start (W_X) of the
    root search that `highest_lanes` runs, and W_HST <- 0.0."""
    a, e, e0, s0, c0 = w[W_A, j], w[W_E, j], w[W_E0, j], w[W_S0, j], w[W_C0, j]
    k = _arc_frame(w[W_RX, j], w[W_RY, j], w[W_RZ, j], w[W_VX, j], w[W_VY, j], w[W_VZ, j], a, e, s0, c0, w[W_RN, j],
                   gm, a_eq, b_pol)
    kind, x, sx, cx, h, lo, hi = highest_bracket(k, e0, s0, c0, e1, s1, c1)
    if kind == 1:
        w[W_E1, j], w[W_S1, j], w[W_C1, j] = e1, s1, c1
        w[W_ARN, j], w[W_SQ, j], w[W_SQG, j], w[W_SQA, j] = k[10], k[11], k[12], k[13]
        w[W_LO, j], w[W_HI, j], w[W_X, j], w[W_HST, j] = lo, hi, x, 0.0
        return
    if kind == 2:
        x, sx, cx, h = _scan(k, e0, s0, c0, e1, s1, c1)
    out[i, 3] = h
    out[i, 4] = min(max(arc_time(a, e, e0, s0, gm, x, sx), 0.0), out[i, 0])
    w[W_HST, j] = 2.0


@njit(cache=True, error_model="numpy")
def window_lanes(m, w, gm, a_eq, b_pol):
    """`highest_start` for the lanes 0..m-1 of the block w whose W_HST is 0.0 (an arc with an
    impact; anomaly and its sine and cosine in W_E1, W_S1, W_C1), side by side, where the arc
    is certified (`vacuum.highest_bracket`) with its start before the window about the apoapsis
    and its end after it: the arc's constants (W_ARN..W_SQA), the window (W_LO, W_HI) and the
    search's start pi (W_X), the same operations as the scalar functions (identical results).
    W_HST <- 3.0 for every other lane with an impact: the caller runs `highest_start` there."""
    a, e, rn, e0, s0, c0 = w[W_A], w[W_E], w[W_RN], w[W_E0], w[W_S0], w[W_C0]
    e1, s1, c1 = w[W_E1], w[W_S1], w[W_C1]
    arn, sq, sqg, sqa = w[W_ARN], w[W_SQ], w[W_SQG], w[W_SQA]
    lo, hi, xs, st = w[W_LO], w[W_HI], w[W_X], w[W_HST]
    for j in range(m):  # as `vacuum._arc_frame`
        aj = a[j]
        arn[j] = aj / rn[j]
        sq[j] = math.sqrt(aj * aj * aj / gm)
        sqg[j] = math.sqrt(gm * aj) / rn[j]
        sqa[j] = math.sqrt(aj / gm)
    big_s = 1.25 * (a_eq - b_pol)
    big_c = 4.0 * (a_eq - b_pol)
    for j in range(m):  # as `vacuum.highest_bracket`, its branches as one condition
        ae = a[j] * e[j]
        sin_delta = big_s / ae
        delta = asin_lane(sin_delta)
        q = math.sqrt(1.0 - e[j] * e[j])
        lo1, hi1 = math.pi - delta, math.pi + delta
        ok = (ae > big_s) & (e[j] < 1.0) & (e1[j] > e0[j])
        ok = ok & (ae * math.sqrt(1.0 - sin_delta * sin_delta) > big_c) & (e1[j] < 2.0 * math.pi)
        ok = ok & (e0[j] < lo1) & (s0[j] > 0.0) & (ae * s0[j] * (1.0 - e[j] * c0[j]) > big_s * q)
        ok = ok & (e1[j] > hi1) & (-ae * s1[j] * (1.0 - e[j] * c1[j]) > big_s * q)
        lo[j] = lo1
        hi[j] = hi1
        xs[j] = math.pi
        st[j] = (0.0 if ok else 3.0) if st[j] == 0.0 else st[j]


@njit(cache=True, inline="always")
def _lane_rate(rows, j, ell, x):
    """(height m, dh/dE m/rad) of lane j at the anomaly x (rad, within `series.SINCOS_SMALL_MAX`
    of pi: `vacuum._sincos` by its series): `vacuum._height_rate` with the arc's constants from
    the rows (W_RX..W_VZ, W_A, W_E, W_S0, W_C0, W_ARN..W_SQA) and ell = (a_eq, b_pol, e^2, e'^2,
    e^2 a_eq b_pol^3)."""
    s, c = sincos_small(x - math.pi)
    k = (rows[0][j], rows[1][j], rows[2][j], rows[3][j], rows[4][j], rows[5][j], rows[6][j], rows[7][j], rows[8][j],
         rows[9][j], rows[10][j], rows[11][j], rows[12][j], rows[13][j], ell[0], ell[1], ell[2], ell[3], ell[4])
    return _height_rate(k, -s, -c)


@njit(cache=True, error_model="numpy")
def highest_lanes(m, w, a_eq, b_pol):
    """`vacuum._root` for the lanes 0..m-1 of the block w whose W_HST is 0.0 (`highest_start`),
    side by side: the rate at the start W_X, Newton's step, then up to `ROOT_ITER` passes of the
    bracket update, stopping test and secant step (until no lane is searching), each lane keeping
    the point at which it met
    _root's stopping rule (the same operations in the same order: identical results). Leaves
    the anomaly in W_X and its height in W_HX with W_HST <- 1.0; W_HST stays 0.0 or becomes -1.0
    (a step left the series' range about pi) where the caller must use `vacuum.arc_highest`."""
    e2 = 1.0 - (b_pol / a_eq) ** 2
    ell = (a_eq, b_pol, e2, (a_eq * a_eq - b_pol * b_pol) / (b_pol * b_pol), e2 * a_eq * b_pol * b_pol * b_pol)
    rows = (w[W_RX], w[W_RY], w[W_RZ], w[W_VX], w[W_VY], w[W_VZ], w[W_A], w[W_E], w[W_S0], w[W_C0], w[W_ARN],
            w[W_SQ], w[W_SQG], w[W_SQA])
    a, e = w[W_A], w[W_E]
    xs, hx, px, xn, lo, hi, st = w[W_X], w[W_HX], w[W_PX], w[W_XN], w[W_LO], w[W_HI], w[W_HST]
    for j in range(m):
        x = xs[j]
        h, p = _lane_rate(rows, j, ell, x)
        ae = a[j] * e[j]
        slope = ae * -sincos_small(x - math.pi)[1]
        slope = -ae if slope >= 0.0 else slope
        hx[j] = h
        px[j] = p
        xn[j] = x - p / slope
        st[j] = -1.0 if ((st[j] == 0.0) & (abs(x - math.pi) >= _SC_MAX)) else st[j]
    hn, pn = w[W_HN], w[W_PN]
    for _ in range(ROOT_ITER):  # three loops a pass: few rows written in each, or no SIMD
        searching = 0
        for j in range(m):  # bracket, stopping test, the point to evaluate (into W_XN)
            live = st[j] == 0.0
            # every row read before the selects: a load inside a select arm compiles to a branch
            x, p0, x1, lo0, hi0 = xs[j], px[j], xn[j], lo[j], hi[j]
            lo1 = x if p0 > 0.0 else lo0
            hi1 = x if p0 < 0.0 else hi0
            flat = False if p0 > 0.0 else (False if p0 < 0.0 else True)  # _root breaks (rate 0 or NaN)
            stop = flat | (abs(x1 - x) <= _ROOT_TOL) | (hi1 - lo1 <= _ROOT_TOL)
            xm = x1 if ((lo1 < x1) & (x1 < hi1)) else 0.5 * (lo1 + hi1)
            go = False if stop else live
            out = abs(xm - math.pi) >= _SC_MAX
            lo[j] = lo1
            hi[j] = hi1
            xn[j] = xm
            st_new = 1.0 if (live & stop) else (-1.0 if (go & out) else st[j])
            st[j] = st_new
            searching += 1 if st_new == 0.0 else 0
        if searching == 0:  # every lane has stopped: no more evaluations
            break
        for j in range(m):  # the height and its rate there
            hn[j], pn[j] = _lane_rate(rows, j, ell, xn[j])
        for j in range(m):  # the secant step of the lanes still searching (W_HST 0.0)
            adv = st[j] == 0.0
            x, xm, p0, p = xs[j], xn[j], px[j], pn[j]
            dp = p - p0
            x_new = xm - p * (xm - x) / dp if dp != 0.0 else 0.5 * (lo[j] + hi[j])
            xs[j] = xm if adv else x
            hx[j] = hn[j] if adv else hx[j]
            px[j] = p if adv else p0
            xn[j] = x_new if adv else xm


@njit(cache=True)
def highest_finish(w, j, gm, a_eq, b_pol, out, i):
    """out[i, 3], out[i, 4] <- the height (m) and time after burnout (s; out[i, 0] the flight time) of the
    highest point of lane j after `highest_lanes` (W_HST 1.0), or from `vacuum.arc_highest` for a
    lane the lanes did not finish (W_HST 0.0 or -1.0). Nothing for a lane `highest_start`
    finished (2.0)."""
    st = w[W_HST, j]
    if st == 2.0:
        return
    a, e, e0, s0, c0 = w[W_A, j], w[W_E, j], w[W_E0, j], w[W_S0, j], w[W_C0, j]
    if st == 1.0:
        x, h = w[W_X, j], w[W_HX, j]
        sx = _sincos(x)[0]
    else:
        e1 = w[W_E1, j]
        s1, c1 = w[W_S1, j], w[W_C1, j]
        x, sx, _, h = arc_highest(w[W_RX, j], w[W_RY, j], w[W_RZ, j], w[W_VX, j], w[W_VY, j], w[W_VZ, j], gm, a_eq,
                                  b_pol, a, e, e0, s0, c0, w[W_RN, j], e1, s1, c1)
    out[i, 3] = h
    out[i, 4] = min(max(arc_time(a, e, e0, s0, gm, x, sx), 0.0), out[i, 0])
