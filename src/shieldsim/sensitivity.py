"""Global sensitivity of a headline to the uncertain figures, with SALib.

The ensemble's members are points of the unit hypercube (one quantile per figure,
`ensemble.Design`); SALib works on that cube, so an index says how much of a headline's spread
comes from moving a figure across its whole sourced range.

- Sobol' (``design.method == "sobol"``): first-order ``S1`` and total ``ST`` indices with the
  half-widths of their 95 % bootstrap confidence intervals (``S1_conf``, ``ST_conf``), from
  `SALib.analyze.sobol` on the sample `SALib.sample.sobol` made (Saltelli's scheme, scrambled
  Sobol' points, ``N * (D + 2)`` members, no second-order terms).
- Morris (``"morris"``, for many figures): ``mu_star`` (mean absolute elementary effect, in the
  headline's unit per full range) with its 95 % confidence half-width and ``sigma``, from
  `SALib.analyze.morris` on the trajectories `SALib.sample.morris` made (4 levels).
- Latin hypercube (``"lhs"``): percentiles only, no indices.

A headline that does not vary gets zero indices; one with missing values (NaN) gets none, with a
note saying why. `tornado` draws the ranking. `ishigami` and `ishigami_indices` are the
closed-form check of the pipeline (the Ishigami-Homma function, whose indices are known).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

CONF_LEVEL = 0.95
"""Confidence level of the bootstrap intervals of the indices."""

RESAMPLES = 200
"""Bootstrap resamples for the confidence intervals."""

MORRIS_LEVELS = 4
"""Grid levels of the Morris design."""


def problem(names) -> dict:
    """The SALib problem of an ensemble: one variable per figure, on its quantile in [0, 1]."""
    names = list(names)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


@dataclass
class Indices:
    """Sensitivity of one headline: ``method`` ("sobol" | "morris" | "none"), one row per figure
    (``figure`` and the method's indices), and a ``note`` when indices could not be computed."""

    method: str
    rows: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def key(self) -> str:
        """The index figures are ranked by: ``ST`` (Sobol') or ``mu_star`` (Morris)."""
        return {"sobol": "ST", "morris": "mu_star"}.get(self.method, "")

    def ranked(self) -> list[dict]:
        """Rows by decreasing ranking index (ties in figure order)."""
        if not self.key:
            return []
        return sorted(self.rows, key=lambda r: -(r[self.key] if math.isfinite(r[self.key]) else -1.0))

    def top(self, n: int = 3) -> list[str]:
        """The ``n`` most influential figures, among those whose ranking index is above zero (a
        figure that never moved the headline is not "influential", whatever its rank)."""
        return [r["figure"] for r in self.ranked() if r[self.key] > 0.0][:n]

    def as_dict(self) -> dict:
        """JSON-ready: method, ranking key, confidence level, the three most influential figures
        (`top`), rows (most influential first), note."""
        return {"method": self.method, "ranked_by": self.key, "conf_level": CONF_LEVEL, "top": self.top(),
                "indices": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                            for r in self.ranked()], "note": self.note}


def analyse(method: str, names, quantiles: np.ndarray, y: np.ndarray, seed: int = 0) -> Indices:
    """Indices of headline values ``y`` (one per member, in design order) over the design's
    ``quantiles`` ((M, D) points in [0, 1]) for ``method`` "sobol" | "morris" | "lhs"."""
    names = list(names)
    y = np.asarray(y, dtype=float)
    if method not in ("sobol", "morris"):
        return Indices("none", note="a Latin-hypercube ensemble gives percentiles only; ask for the sobol or morris "
                                    "method (more members) for sensitivity indices")
    if not np.all(np.isfinite(y)):
        bad = int(np.sum(~np.isfinite(y)))
        return Indices(method, note=f"{bad} of {y.size} members gave no value for this headline; indices not computed")
    if np.ptp(y) == 0.0:
        keys = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "sigma")
        return Indices(method, [{"figure": n, **dict.fromkeys(keys, 0.0)} for n in names],
                       note="the headline is the same in every member: no figure moves it")
    prob = problem(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(prob, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=CONF_LEVEL,
                                seed=seed)
            rows = [{"figure": n, "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                     "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])} for i, n in enumerate(names)]
        else:
            from SALib.analyze import morris

            res = morris.analyze(prob, np.asarray(quantiles, dtype=float), y, num_resamples=RESAMPLES,
                                 conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=seed)
            rows = [{"figure": n, "mu_star": float(res["mu_star"][i]), "mu_star_conf": float(res["mu_star_conf"][i]),
                     "sigma": float(res["sigma"][i])} for i, n in enumerate(names)]
    return Indices(method, rows)


def tornado(indices: Indices, title: str, top: int = 10):
    """A tornado chart (matplotlib Figure): the ``top`` figures ranked by total Sobol' index (or
    Morris mu*), bars with their confidence half-widths; first-order indices marked for Sobol'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = indices.ranked()[:top][::-1]
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * max(len(rows), 1) + 1.4))
    if not rows:
        ax.text(0.5, 0.5, indices.note or "no sensitivity indices", ha="center", va="center", wrap=True)
        ax.set_axis_off()
    else:
        pos = np.arange(len(rows))
        key = indices.key
        ax.barh(pos, [r[key] for r in rows], xerr=[r[f"{key}_conf"] for r in rows], color="#4c72b0",
                label="total index ST" if key == "ST" else "mu* (per full range)", capsize=3)
        if key == "ST":
            ax.plot([r["S1"] for r in rows], pos, "o", color="#dd8452", label="first-order index S1")
        ax.set_yticks(pos, [r["figure"] for r in rows], fontsize=8)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel("Sobol' index (share of the headline's variance)" if key == "ST" else
                      "mean absolute effect of moving the figure across its range")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# closed form: the Ishigami-Homma function


def ishigami(values: dict, a: float = 7.0, b: float = 0.1) -> dict:
    """The Ishigami-Homma function of ``values["x1"]``, ``["x2"]``, ``["x3"]`` (radians, each
    uniform on [-pi, pi] in the check); other keys are ignored (an unused figure). Returns
    ``{"y": value}``: the form an ensemble member's study returns."""
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)}


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict:
    """Analytic first-order and total Sobol' indices of `ishigami` for x1, x2, x3 uniform on
    [-pi, pi]: ``{"S1": [..3], "ST": [..3]}`` (Ishigami and Homma 1990; Sobol' and Levitan 1999)."""
    pi4, pi8 = math.pi ** 4, math.pi ** 8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi8 * 8 / 225
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}
