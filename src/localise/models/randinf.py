"""Randomization inference for event studies with few treated clusters.

When a reform is national, treatment varies only across countries, and with a
handful of treated countries cluster-robust standard errors over-reject and the
wild cluster bootstrap is unreliable too (MacKinnon and Webb 2017, "Wild
bootstrap inference for wildly different cluster sizes", J. Applied
Econometrics 32(2); 2018, "The wild bootstrap for few (treated) clusters",
Econometrics Journal 21(2)). Conley and Taber (2011, "Inference with
'difference in differences' with a small number of policy changes", Review of
Economics and Statistics 93(1)) base inference instead on the variation among
untreated clusters; MacKinnon and Webb (2020, "Randomization inference for
difference-in-differences with few treated clusters", J. Econometrics 218(2))
formalise this as randomization inference: re-estimate the effect with the
treatment dates re-assigned across clusters and read the observed estimate
against that distribution.

Here (coefficient version, "RI-beta"): the vector of cluster treatment dates
(never-treated = no date) is permuted across the clusters of ``treat_col``;
every permutation re-runs the same estimator (Sun-Abraham or TWFE, same window,
covariates and fixed effects). Under the sharp null that the effect is ``r`` in
every treated period, ``y - r D`` (``D`` the observed post-treatment indicator)
carries no effect, and because the estimators are linear in ``y`` each
permutation's estimate is ``a_p - r c_p`` with ``a_p`` and ``c_p`` the
estimates from ``y`` and from ``D``. The p-value at ``r`` is
``(1 + #{|a_p - r c_p| >= |a_0 - r c_0|}) / (1 + B)`` and the confidence set is
every ``r`` whose p-value exceeds ``1 - level`` (test inversion on a grid).

The test is exact only if the treatment dates are exchangeable across clusters;
with clusters of very different sizes it can over- or under-reject (MacKinnon
and Webb 2020). With ``n`` clusters the smallest attainable p-value is one over
the number of distinct assignments, which the result reports.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from localise.errors import InputError
from localise.results import Results

__all__ = ["RandomizationResult", "randomization_inference", "event_columns", "att_weights"]


@dataclass(repr=False)
class RandomizationResult(Results):
    """Randomization-inference p-value and confidence interval of the ATT."""

    estimate: float
    pvalue: float
    ci_low: float
    ci_high: float
    level: float
    reps: int
    n_assignments: int
    enumerated: bool
    n_units: int
    n_treated_units: int
    seed: int
    draws: np.ndarray = field(repr=False)

    def pvalue_at(self, r: float) -> float:
        """Randomization p-value of the sharp null "the effect is ``r``"."""
        return float(_pvalues(self.estimate * self._c0, self._c0, self.draws, np.array([r]))[0])

    _c0: float = 1.0

    def summary(self) -> str:
        how = "all distinct assignments" if self.enumerated else f"{self.reps} random assignments"
        return "\n".join(
            [
                f"Randomization inference (treatment dates permuted across {self.n_units} clusters, "
                f"{self.n_treated_units} treated; {how} of {self.n_assignments}, seed = {self.seed})",
                f"ATT = {self.estimate:.6g}; p (H0: ATT = 0) = {self.pvalue:.4f}; "
                f"{100 * self.level:.0f}% CI by test inversion [{self.ci_low:.6g}, {self.ci_high:.6g}]",
                f"smallest attainable p-value: {max(1 / self.n_assignments, 1 / (self.reps + 1)):.4g}",
            ]
        )

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame."""
        return pd.DataFrame(
            [
                {
                    "term": "ATT",
                    "estimate": self.estimate,
                    "p_value_ri": self.pvalue,
                    "ci_low_ri": self.ci_low,
                    "ci_high_ri": self.ci_high,
                    "level": self.level,
                    "reps": self.reps,
                    "n_assignments": self.n_assignments,
                    "n_clusters": self.n_units,
                    "n_treated_clusters": self.n_treated_units,
                    "seed": self.seed,
                }
            ]
        )


def event_columns(
    g: np.ndarray, k: np.ndarray, *, estimator: str, leads: int, lags: int
) -> tuple[list[str], np.ndarray, dict[int, dict[str, float]], dict[int, float]]:
    """Event-time indicator columns of the Sun-Abraham or binned TWFE design.

    Parameters
    ----------
    g, k
        Treatment year (NaN = never treated) and relative time per row.

    Returns
    -------
    names, matrix, k_weights, cell_obs
        Column names, the 0/1 matrix (rows × columns), for every event time in
        the window the weights of the columns averaging to ``gamma_k``, and the
        number of treated observations behind each ``gamma_k``.
    """
    treated = ~np.isnan(g)
    names: list[str] = []
    cols: list[np.ndarray] = []
    k_weights: dict[int, dict[str, float]] = {}
    if estimator == "twfe":
        kb = np.clip(k, -leads, lags)
        for kk in range(-leads, lags + 1):
            if kk == -1:
                continue
            col = (treated & (kb == kk)).astype("float64")
            if col.sum() > 0:
                name = f"ev_k{kk:+d}"
                names.append(name)
                cols.append(col)
                k_weights[kk] = {name: 1.0}
        cell_obs = {kk: float(cols[names.index(next(iter(w)))].sum()) for kk, w in k_weights.items()}
    else:
        rows = np.flatnonzero(treated & (k != -1))
        key = g[rows] * 1000.0 + k[rows]  # k is within (-1000, 1000) for yearly data
        uniq, codes, sizes = np.unique(key, return_inverse=True, return_counts=True)
        matrix = np.zeros((len(g), len(uniq)))
        matrix[rows, codes] = 1.0
        for j, kv in enumerate(uniq):
            gg = int(np.round(kv / 1000.0))
            kk = int(np.round(kv - 1000.0 * gg))
            name = f"ev_g{gg}_k{kk:+d}"
            names.append(name)
            if -leads <= kk <= lags:
                k_weights.setdefault(kk, {})[name] = float(sizes[j])
        cell_obs = {}
        for kk, w in k_weights.items():
            total = sum(w.values())
            cell_obs[kk] = total
            k_weights[kk] = {c: v / total for c, v in w.items()}
    if estimator == "twfe":
        matrix = np.column_stack(cols) if cols else np.empty((len(g), 0))
    return names, matrix, k_weights, cell_obs


def att_weights(k_weights: dict[int, dict[str, float]], cell_obs: dict[int, float]) -> dict[str, float]:
    """Weights of the overall ATT: observation-weighted mean of ``gamma_k``, ``k = 0 .. lags``."""
    post = [k for k in k_weights if k >= 0]
    total = sum(cell_obs[k] for k in post)
    out: dict[str, float] = {}
    for k in post:
        for c, w in k_weights[k].items():
            out[c] = out.get(c, 0.0) + w * cell_obs[k] / total
    return out


def _distinct_permutations(items: Sequence[float]) -> Iterator[tuple[float, ...]]:
    """Every distinct ordering of a multiset (NaN counted as one value)."""
    counts = Counter(items)
    keys = list(counts)
    n = len(items)

    def rec(prefix: list[float]) -> Iterator[tuple[float, ...]]:
        if len(prefix) == n:
            yield tuple(prefix)
            return
        for key in keys:
            if counts[key] > 0:
                counts[key] -= 1
                prefix.append(key)
                yield from rec(prefix)
                prefix.pop()
                counts[key] += 1

    yield from rec([])


def _n_assignments(items: Sequence[float]) -> int:
    counts = Counter(items)
    out = math.factorial(len(items))
    for c in counts.values():
        out //= math.factorial(c)
    return out


def _pvalues(a0: float, c0: float, draws: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """p(r) for every r in ``grid``; ``draws`` is (B, 2) with columns a_p, c_p."""
    obs = np.abs(a0 - grid * c0)[:, None]
    perm = np.abs(draws[None, :, 0] - grid[:, None] * draws[None, :, 1])
    return (1 + (perm >= obs - 1e-12).sum(axis=1)) / (1 + draws.shape[0])


def randomization_inference(
    frame: pd.DataFrame,
    *,
    y: str,
    x: Sequence[str],
    entity: str,
    time: str,
    treat_col: str,
    estimator: str,
    leads: int,
    lags: int,
    reps: int = 999,
    seed: int = 0,
    level: float = 0.95,
    grid_points: int = 4001,
) -> RandomizationResult:
    """Randomization inference for the event-study ATT (see the module docstring).

    Parameters
    ----------
    frame
        The estimation sample with columns ``entity, time, treat_col, y, *x`` and
        ``_G`` (treatment year, NaN = never treated), as kept by
        :meth:`localise.models.EventStudy.fit`.
    reps
        Random assignments drawn (all distinct assignments are used when there
        are at most ``reps`` of them).
    seed
        Seed of ``numpy.random.default_rng`` for the assignments.
    """
    if reps < 19:
        raise InputError(f"randomization_inference: reps={reps}; need at least 19 for a 5% test")
    partial_out = _fixed_effects_partialler(frame, x=x, entity=entity, time=time)
    t = frame[time].to_numpy()
    unit_codes, g_unit = _cluster_dates(frame, treat_col)
    g_rows = frame["_G"].to_numpy(dtype="float64")
    d0 = (~np.isnan(g_rows) & (t - g_rows >= 0)).astype("float64")
    Y = partial_out(np.column_stack([frame[y].to_numpy(dtype="float64"), d0]))

    def estimate(g_by_unit: np.ndarray) -> np.ndarray:
        g = g_by_unit[unit_codes]
        names, Z, kw, obs = event_columns(g, t - g, estimator=estimator, leads=leads, lags=lags)
        w = att_weights(kw, obs)
        if not w:
            return np.array([np.nan, np.nan])
        Zr = partial_out(Z)
        coef = np.linalg.lstsq(Zr.T @ Zr, Zr.T @ Y, rcond=None)[0]
        wv = np.array([w.get(c, 0.0) for c in names])
        return wv @ coef

    a0, c0 = estimate(g_unit)
    assignments, n_assign, enumerated = _assignments(g_unit, reps, seed)
    draws = _usable_draws(np.array([estimate(p) for p in assignments]), a0, c0, enumerated=enumerated)
    lo, hi = _inverted_interval(a0, c0, draws, alpha=1.0 - level, grid_points=grid_points)
    result = RandomizationResult(
        estimate=float(a0 / c0),
        pvalue=float(_pvalues(a0, c0, draws, np.array([0.0]))[0]),
        ci_low=lo,
        ci_high=hi,
        level=level,
        reps=int(draws.shape[0]),
        n_assignments=n_assign,
        enumerated=enumerated,
        n_units=len(g_unit),
        n_treated_units=int((~np.isnan(g_unit)).sum()),
        seed=seed,
        draws=draws,
    )
    result._c0 = float(c0)
    return result


def _fixed_effects_partialler(
    frame: pd.DataFrame, *, x: Sequence[str], entity: str, time: str
) -> Callable[[np.ndarray], np.ndarray]:
    """``M -> M`` with unit means, then covariates and period dummies, partialled out (Frisch-Waugh-Lovell).

    The fixed regressors are demeaned and pseudo-inverted once, so every re-assignment costs one projection.
    """
    ent = pd.factorize(frame[entity].to_numpy())[0]
    n, n_ent = len(frame), int(ent.max()) + 1
    counts = np.bincount(ent, minlength=n_ent).astype("float64")
    E = sp.csr_matrix((np.ones(n), (ent, np.arange(n))), shape=(n_ent, n))

    def demean(M: np.ndarray) -> np.ndarray:
        return M - (E @ M / counts[:, None])[ent]

    t = frame[time].to_numpy()
    periods = np.sort(np.unique(t))
    base = [frame[c].to_numpy(dtype="float64") for c in x] + [(t == p).astype("float64") for p in periods[1:]]
    if not base:
        return demean
    B = demean(np.column_stack(base))
    B_pinv = np.linalg.pinv(B)

    def partial_out(M: np.ndarray) -> np.ndarray:
        D = demean(M)
        return D - B @ (B_pinv @ D)

    return partial_out


def _cluster_dates(frame: pd.DataFrame, treat_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Cluster code of every row and the treatment year ``_G`` of every cluster (NaN = never treated)."""
    unit_codes, units = pd.factorize(frame[treat_col].astype(str).to_numpy())
    g_rows = frame["_G"].to_numpy(dtype="float64")
    g_unit = np.array([g_rows[unit_codes == u][0] for u in range(len(units))])
    if np.isnan(g_unit).all() or (~np.isnan(g_unit)).all():
        raise InputError(
            "randomization_inference: needs both treated and never-treated clusters of "
            f"'{treat_col}' in the estimation sample"
        )
    return unit_codes, g_unit


def _assignments(g_unit: np.ndarray, reps: int, seed: int) -> tuple[list[np.ndarray], int, bool]:
    """Re-assignments of the cluster dates: all distinct ones when at most ``reps``, else ``reps`` random ones.

    Returns the assignments, the number of distinct assignments and whether they were enumerated.
    """
    labels = [-1.0 if np.isnan(v) else v for v in g_unit]
    n_assign = _n_assignments(labels)
    if n_assign <= reps:
        assignments = [np.array(p) for p in _distinct_permutations(labels)]
        return [np.where(p == -1.0, np.nan, p) for p in assignments], n_assign, True
    rng = np.random.default_rng(seed)
    return [rng.permutation(g_unit) for _ in range(reps)], n_assign, False


def _usable_draws(draws: np.ndarray, a0: float, c0: float, *, enumerated: bool) -> np.ndarray:
    """The re-assignments' estimates without those that had no post-treatment cell (NaN) and, when
    every assignment was enumerated, without one copy of the observed one (counted through the +1)."""
    draws = draws[~np.isnan(draws).any(axis=1)]
    if enumerated:
        same = np.isclose(draws[:, 0], a0) & np.isclose(draws[:, 1], c0)
        if same.any():
            draws = np.delete(draws, np.flatnonzero(same)[0], axis=0)
    return draws


def _inverted_interval(
    a0: float, c0: float, draws: np.ndarray, *, alpha: float, grid_points: int
) -> tuple[float, float]:
    """Confidence set by test inversion: the ``r`` whose p-value exceeds ``alpha`` on a grid widened until it fits."""
    spread = float(np.std(draws[:, 0])) + abs(a0) + 1e-9
    half = 4.0 * spread
    while True:
        grid = np.linspace(a0 / c0 - half, a0 / c0 + half, grid_points)
        accepted = grid[_pvalues(a0, c0, draws, grid) > alpha]
        if accepted.size == 0 or (accepted[0] > grid[0] and accepted[-1] < grid[-1]) or half > 1e3 * spread:
            break
        half *= 4.0
    lo, hi = (float(accepted[0]), float(accepted[-1])) if accepted.size else (np.nan, np.nan)
    if accepted.size and (accepted[0] <= grid[0] or accepted[-1] >= grid[-1]):
        lo, hi = (-np.inf if accepted[0] <= grid[0] else lo), (np.inf if accepted[-1] >= grid[-1] else hi)
    return lo, hi
