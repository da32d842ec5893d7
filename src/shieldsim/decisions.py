"""Decisions of the engagement's fast path for one threat flight and one battery with an arrival
table: the first and last intercept opportunity, the shoot-look-shoot shots and the latest
launch, made over the candidate samples `candidates._scan_candidates` finds, from the table's
values where they clear its margin and by exact solves (`interceptor.feasible_time_one`,
`latest_launch.latest_at`) where they do not (the rules of `engagement`'s module docstring).

`_engage_tabled_at` is the whole of one pair, as `engagement._engage_kernel_tabled` runs it for
every flight and tabled battery: it takes the kernel's arrays whole with the pair's indices and
is compiled without Numba's reference counting (``_nrt=False``), so the rows it reads (the
flight's samples, the site, the figures, the packed table's views) are not reference counted
(in the parallel kernel that made no measurable difference: docs/performance.md, session 10).
Nothing here allocates or returns an array to a caller that counts references: `_table_views`
and `_cell_views` return views only to `_engage_tabled_at`.

Layout exception (`_can_launch_by`): 13 parameters: one sample and launch, the table's value
and margin, the interceptor's figures, the Earth's constants and scratch space (the order of
`interceptor`'s kernels).
Layout exception (`_launch_by_c`): 19 parameters: the same, for candidate c with the candidates'
arrays and the arrival table.
Layout exception (`_decide_tabled`): 21 parameters: one flight and battery, its candidates and
their table values, scratch space and the arrival table.
"""

from __future__ import annotations

import math

from numba import njit

from .candidates import _scan_candidates, table_latest
from .interceptor import MIN_COAST, P_BO_ALT, P_BURN, P_SPEED, feasible_time_one
from .latest_launch import latest_at


@njit(cache=True, _nrt=False)
def _can_launch_by(site, p, t_k, launch, lam, mrg, params, gm, omega, ellipsoid, b, v, work):
    """Whether a shot launched at ``launch`` or later (s after threat launch) can intercept at
    sample p (time t_k): settled by the table's latest launch ``lam`` (= t_k - tabulated earliest
    arrival; NaN unknown) when it clears ``launch`` by its margin ``mrg``, else solved exactly
    as the exact kernel does (`feasible_time_one`)."""
    if not math.isnan(lam):
        if lam - mrg >= launch:
            return True
        if lam + mrg < launch:
            return False
    return not math.isnan(feasible_time_one(site, p, t_k - launch, params, gm, omega, ellipsoid, b, v, work))


@njit(cache=True, _nrt=False)
def _settle(tab, pos, t, l0, c, cand, look, lam, mrg, bound):
    """Settle a deferred candidate c (bound lower < upper, `candidates._scan_candidates`): its
    table value as the every-sample scan computes it (`candidates.table_latest`; ``tab`` = the
    arrival table's frame, axes, tau, margin, excess, excess margin)."""
    if bound[c, 0] < bound[c, 1]:
        k = cand[c]
        table_latest(tab[0], tab[1], tab[2], tab[3], tab[4], tab[5], pos[k], t[k], t[k] - l0, look, lam, mrg, bound, c)


@njit(cache=True, _nrt=False)
def _table_says(lo, hi, lam_c, mrg_c, launch):
    """`_can_launch_by`'s table decision for a candidate with bounds (lo, hi) (lo < hi: deferred,
    see `candidates._scan_candidates`), table value ``lam_c`` and margin ``mrg_c``: 1 (True) or
    0 (False) where the bounds or the value clear ``launch`` by the margin, -1 where they do not
    say. Scalars only, so the loops of `_decide_tabled` pay no call with arrays per candidate."""
    if lo < hi:
        if hi + mrg_c < launch:
            return 0  # its value lies below hi: lam + mrg < launch
        if lo - mrg_c >= launch:
            return 1
        return -1
    if not math.isnan(lam_c):
        if lam_c - mrg_c >= launch:
            return 1
        if lam_c + mrg_c < launch:
            return 0
    return -1


@njit(cache=True, _nrt=False)
def _launch_by_c(tab, pos, t, site, params, gm, omega, ellipsoid, l0, launch, c, cand, look, lam, mrg, bound, b, v,
                 work):
    """`_can_launch_by` at candidate c where `_table_says` does not say: a deferred candidate is
    settled (`_settle`) and decided from its value where that clears ``launch`` by the margin,
    else solved exactly."""
    _settle(tab, pos, t, l0, c, cand, look, lam, mrg, bound)
    k = cand[c]
    return _can_launch_by(site, pos[k], t[k], launch, lam[c], mrg[c], params, gm, omega, ellipsoid, b, v, work)


@njit(cache=True, _nrt=False)
def _decide_tabled(pos, t, site, params, gm, omega, ellipsoid, vmax, l0, kill_assessment, cand, lam, mrg, nc, work,
                   b, v, res, tab, bound, look):
    """`_engage_pair_tabled`'s decisions (first and last opportunity, shoot-look-shoot shots,
    latest launch) over the candidates of `_scan_candidates`, made in the same order with the
    same exact solves: res <- [launch_latest, first_time, last_time, first_k, shots]. Deferred
    candidates (``bound``, see `_scan_candidates`) are settled only where their bounds cannot
    make the decision: every decision and solve is the one of the settled values."""
    t_burn = params[P_BURN]
    tau_lo = t_burn + MIN_COAST
    powered = 0.5 * params[P_SPEED] * t_burn + params[P_BO_ALT]
    rs = math.sqrt(site[0] ** 2 + site[1] ** 2 + site[2] ** 2)
    w_r = omega * (rs + params[P_BO_ALT])
    f = -1
    for c in range(nc):
        ok = _table_says(bound[c, 0], bound[c, 1], lam[c], mrg[c], l0)
        if ok == 1 or (ok < 0 and _launch_by_c(tab, pos, t, site, params, gm, omega, ellipsoid, l0, l0, c, cand, look,
                                                 lam, mrg, bound, b, v, work)):
            f = c
            break
    if f < 0:
        return
    shots = 1
    next_launch = t[cand[f]] + kill_assessment
    for c in range(f + 1, nc):
        if t[cand[c]] - next_launch < tau_lo:
            continue
        ok = _table_says(bound[c, 0], bound[c, 1], lam[c], mrg[c], next_launch)
        if ok == 1 or (ok < 0 and _launch_by_c(tab, pos, t, site, params, gm, omega, ellipsoid, l0, next_launch, c,
                                                 cand, look, lam, mrg, bound, b, v, work)):
            shots += 1
            next_launch = t[cand[c]] + kill_assessment
    la = f
    for c in range(nc - 1, f, -1):
        ok = _table_says(bound[c, 0], bound[c, 1], lam[c], mrg[c], l0)
        if ok == 1 or (ok < 0 and _launch_by_c(tab, pos, t, site, params, gm, omega, ellipsoid, l0, l0, c, cand, look,
                                                 lam, mrg, bound, b, v, work)):
            la = c
            break
    # the best table value: a deferred candidate whose upper bound is below the largest lower
    # bound is not it (the first largest value) and stays deferred
    floor = -math.inf
    for c in range(f, la + 1):
        if bound[c, 0] > floor:  # NaN (table cannot say) ignored
            floor = bound[c, 0]
    best = -1
    for c in range(f, la + 1):
        if bound[c, 0] < bound[c, 1]:
            if bound[c, 1] < floor:
                continue
            _settle(tab, pos, t, l0, c, cand, look, lam, mrg, bound)
        if lam[c] > -math.inf and (best < 0 or lam[c] > lam[best]):
            best = c
    latest = -math.inf
    guess = math.nan
    if best >= 0:
        k = cand[best]
        latest, guess = latest_at(site, pos[k], t[k], l0, params, gm, omega, ellipsoid, b, v, work, guess,
                                   lam[best], mrg[best], -math.inf)
    for c in range(la, f - 1, -1):
        if c == best:
            continue
        if bound[c, 0] < bound[c, 1]:
            if bound[c, 1] + mrg[c] <= latest:
                continue
            _settle(tab, pos, t, l0, c, cand, look, lam, mrg, bound)
        k = cand[c]
        if not math.isnan(lam[c]):
            if lam[c] + mrg[c] <= latest:
                continue
        else:
            p = pos[k]
            dist = math.sqrt((p[0] - site[0]) ** 2 + (p[1] - site[1]) ** 2 + (p[2] - site[2]) ** 2)
            if t[k] - max(tau_lo, t_burn + (dist - powered - w_r * t_burn) / (vmax + w_r)) <= latest:
                continue
        lam_k, tau_a = latest_at(site, pos[k], t[k], l0, params, gm, omega, ellipsoid, b, v, work, guess, lam[c],
                                  mrg[c], latest)
        if not math.isnan(tau_a):
            guess = tau_a
        if lam_k > latest:
            latest = lam_k
    res[0] = latest
    res[1] = t[cand[f]]
    res[2] = t[cand[la]]
    res[3] = cand[f]
    res[4] = shots


@njit(cache=True, _nrt=False)
def _table_views(shapes, tau_start, margin_start, tau, margin, j):
    """`arrival_table.packed_views` (the same views) for callers compiled without reference
    counting only: the views are not counted, so a counting caller must not receive them."""
    a, b, c = shapes[j, 0], shapes[j, 1], shapes[j, 2]
    t = tau[tau_start[j]:tau_start[j] + a * b * c].reshape((a, b, c))
    m = margin[margin_start[j]:margin_start[j] + (a - 1) * (b - 1) * (c - 1)].reshape((a - 1, b - 1, c - 1))
    return t, m


@njit(cache=True, _nrt=False)
def _cell_views(shapes, margin_start, tau_min, tau_max, j):
    """(tau_min, tau_max) 3-D views (shaped like the margin) of table j of packed arrays
    (`arrival_table.PackedTables`), under the rule of `_table_views`."""
    a, b, c = shapes[j, 0] - 1, shapes[j, 1] - 1, shapes[j, 2] - 1
    lo = tau_min[margin_start[j]:margin_start[j] + a * b * c].reshape((a, b, c))
    hi = tau_max[margin_start[j]:margin_start[j] + a * b * c].reshape((a, b, c))
    return lo, hi


@njit(cache=True, _nrt=False)
def _engage_tabled_at(i, j, flights, batteries, tables, earth, scratch, end, out):
    """Flight i x tabled battery j of `engagement._engage_kernel_tabled`: out[i, j] <- [launch_latest,
    first_time, last_time, first_k, shots] (NaN, NaN, NaN, -1, 0 where none). ``flights`` = (pos
    (N, M, 3) m, t (M,) s, l0 (N, B) s, win (N, B, 2) s, kill assessment s, and the flight's
    `candidates._flight_steps`: rp (M,), steps (3,), the kernel's dt_max s); ``batteries`` = (sites
    (B, 3) m, params (B, P), vmax (B,) m/s, `candidates.site_figures` (B, 3)); ``tables`` = the packed arrival tables' arrays (frames,
    axes, shapes, tau_start, margin_start, tau, margin, excess, excess_margin, tau_min, tau_max);
    ``earth`` = (gm, omega, ellipsoid, a_eq, flat); ``scratch`` = (work, b, v, look, cand, lam,
    mrg, bound); ``end`` the flight's samples before its first NaN."""
    pos, t, l0, win, kill_assessment, rp, steps, dt_max = flights
    sites, params, vmax, figs = batteries
    frames, axes, shapes, tau_start, margin_start, tau, margin, excess, excess_margin, tau_min, tau_max = tables
    gm, omega, ellipsoid, a_eq, flat = earth
    work, b, v, look, cand, lam, mrg, bound = scratch
    res = out[i, j]
    res[0] = math.nan
    res[1] = math.nan
    res[2] = math.nan
    res[3] = -1.0
    res[4] = 0.0
    if math.isnan(l0[i, j]):
        return
    tj, mj = _table_views(shapes, tau_start, margin_start, tau, margin, j)
    ej, emj = _table_views(shapes, tau_start, margin_start, excess, excess_margin, j)
    lo_j, hi_j = _cell_views(shapes, margin_start, tau_min, tau_max, j)
    nc = _scan_candidates(pos[i], rp, end, steps, t, dt_max, sites[j], params[j], omega, vmax[j], l0[i, j], win[i, j],
                          frames[j], axes[j], tj, mj, ej, emj, lo_j, hi_j, a_eq, flat, ellipsoid, figs[j], look, cand,
                          lam, mrg, bound)
    _decide_tabled(pos[i], t, sites[j], params[j], gm, omega, ellipsoid, vmax[j], l0[i, j], kill_assessment, cand, lam,
                   mrg, nc, work, b, v, res, (frames[j], axes[j], tj, mj, ej, emj), bound, look)
