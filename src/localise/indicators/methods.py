"""Building blocks of composite indicators: normalisation, aggregation, imputation,
outlier treatment, PCA weights and coherence statistics (see docs/methods/indicators.md,
"Normalisation", "Weighting", "Aggregation and power means").

Every function is pure (arrays or frames in, new arrays or frames out) so that the engine
(:mod:`localise.indicators.engine`) and the Monte Carlo analysis
(:mod:`localise.indicators.uncertainty`) share exactly the same arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from localise.errors import InputError

__all__ = [
    "GEOMETRIC_FLOOR",
    "normalise",
    "aggregate_level",
    "power_mean",
    "impute",
    "winsorise",
    "pca_weights",
    "cronbach_alpha",
    "order_of",
]

#: Values below this floor are raised to it before a geometric or negative-order mean,
#: so that a zero score gives a (near) zero aggregate instead of NaN (the geometric mean
#: requires positive values; docs/methods/indicators.md, "Aggregation and power means").
GEOMETRIC_FLOOR = 1e-6


# ---------------------------------------------------------------------------- normalisation
def normalise(
    x: np.ndarray,
    method: str,
    *,
    direction: int = 1,
    goalposts: tuple[float, float] | None = None,
    target: float | None = None,
) -> tuple[np.ndarray, int]:
    """Normalise one indicator (1-D array, NaN = missing); return values and the number clipped.

    Parameters
    ----------
    x
        Raw values.
    method
        ``none`` (values as they are; ``direction`` -1 is not allowed), ``minmax``
        (``100 (x - min)/(max - min)`` after orientation), ``goalposts``
        (``100 (x - worst)/(best - worst)``, capped to [0, 100]), ``zscore``
        (``(x - mean)/sd`` after orientation, sample sd), ``rank`` (percentile rank
        ``100 (rank - 1)/(n - 1)``, ties averaged, higher = better) or
        ``distance_to_target`` (``100 x/target``, or ``100 target/x`` when lower is better).
    direction
        +1 when higher values are better, -1 when lower values are better.
    goalposts
        ``(best, worst)``; required by ``goalposts``.
    target
        Reference value; required by ``distance_to_target``.

    Returns
    -------
    values, n_clipped
        Normalised values (higher = better) and, for ``goalposts``, how many values were
        outside the goalposts and were capped (0 for the other methods).
    """
    x = np.asarray(x, dtype=float)
    valid = ~np.isnan(x)
    if method == "none":
        if direction != 1:
            raise InputError("normalisation 'none' needs indicators oriented so that higher is better")
        return x.copy(), 0
    if method == "goalposts":
        if goalposts is None:
            raise InputError("normalisation 'goalposts' needs goalposts (best, worst) for every indicator")
        best, worst = goalposts
        raw = 100.0 * (x - worst) / (best - worst)
        clipped = int(np.sum(valid & ((raw < 0) | (raw > 100))))
        return np.clip(raw, 0.0, 100.0), clipped
    if method == "distance_to_target":
        if target is None or target == 0:
            raise InputError("normalisation 'distance_to_target' needs a non-zero target for every indicator")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 100.0 * x / target if direction == 1 else 100.0 * target / x
        return out, 0
    oriented = direction * x
    if method == "minmax":
        lo, hi = np.nanmin(oriented), np.nanmax(oriented)
        if hi == lo:
            return np.where(valid, 50.0, np.nan), 0
        return 100.0 * (oriented - lo) / (hi - lo), 0
    if method == "zscore":
        sd = np.nanstd(oriented, ddof=1)
        if not sd > 0:
            return np.where(valid, 0.0, np.nan), 0
        return (oriented - np.nanmean(oriented)) / sd, 0
    if method == "rank":
        out = np.full_like(x, np.nan)
        n = int(valid.sum())
        if n == 1:
            out[valid] = 50.0
        elif n > 1:
            out[valid] = 100.0 * (stats.rankdata(oriented[valid]) - 1) / (n - 1)
        return out, 0
    raise InputError(f"unknown normalisation {method!r}")


# ---------------------------------------------------------------------------- aggregation
#: Allowed orders p of a power mean. Larger |p| adds nothing (the mean is then the maximum or
#: minimum of the children to display precision) and overflows for large p; NaN and inf are refused.
ORDER_RANGE = (-50.0, 50.0)


def order_of(spec: dict) -> float:
    """Order of the power mean of an aggregation spec (arithmetic 1, geometric 0, harmonic -1).

    A ``power`` order must be a finite number in :data:`ORDER_RANGE`; anything else raises
    :class:`InputError`.
    """
    method = spec.get("method", "arithmetic")
    if method == "arithmetic":
        return 1.0
    if method == "geometric":
        return 0.0
    if method == "harmonic":
        return -1.0
    if method == "power":
        if "order" not in spec:
            raise InputError("aggregation method 'power' needs an 'order'")
        try:
            order = float(spec["order"])
        except (TypeError, ValueError):
            raise InputError(f"aggregation order: expected a number, got {spec['order']!r}") from None
        low, high = ORDER_RANGE
        if not (low <= order <= high):  # also false for NaN
            raise InputError(
                f"aggregation order: expected a finite number in [{low:g}, {high:g}] (1 arithmetic, 0 geometric, "
                f"-1 harmonic; beyond +-{high:g} the mean is the maximum or minimum to display precision), "
                f"got {order!r}"
            )
        return order
    raise InputError(f"unknown aggregation method {method!r}")


def power_terms(values: np.ndarray, valid: np.ndarray, order: float) -> np.ndarray:
    """Terms summed by a weighted power mean of order ``order``: ``y**p`` (``log y`` for p = 0).

    Missing cells (``valid`` false) give 0, so they drop out of a weighted sum; for p <= 0
    values are floored at :data:`GEOMETRIC_FLOOR` first.
    """
    p = float(order)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1.0:
            return np.where(valid, values, 0.0)
        if p > 0:
            return np.where(valid, values, 0.0) ** p
        floored = np.maximum(np.where(valid, values, 1.0), GEOMETRIC_FLOOR)
        if p == 0:
            return np.where(valid, np.log(floored), 0.0)
        return np.where(valid, floored**p, 0.0)


def power_mean_from_terms(mean_terms: np.ndarray, order: float) -> np.ndarray:
    """Power mean of order ``order`` from the weighted mean of its :func:`power_terms`."""
    p = float(order)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1.0:
            return mean_terms
        if p == 0:
            return np.exp(mean_terms)
        return mean_terms ** (1.0 / p)


def aggregate_level(
    values: np.ndarray, weights: np.ndarray, membership: np.ndarray, orders: np.ndarray, *, min_coverage: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted power means of children → parents, vectorised over replications.

    ``M_p = (sum_k w_k y_k^p / sum_k w_k)^(1/p)`` over the children k that are not missing,
    ``exp(sum_k w_k log y_k / sum_k w_k)`` for p = 0. Weights are renormalised
    over the available children; a parent whose available children carry less than
    ``min_coverage`` of its total weight is NaN.

    Parameters
    ----------
    values
        ``(R, U, K)``: R replications, U units, K children (NaN = missing).
    weights
        ``(R, K)`` non-negative child weights (a zero weight removes a child).
    membership
        ``(K, P)`` 0/1 matrix assigning children to P parents.
    orders
        ``(R,)`` order p of the mean in each replication.
    min_coverage
        Minimum share of a parent's weight that must be observed.

    Returns
    -------
    scores, coverage
        ``(R, U, P)`` parent scores and the observed weight share.

    Notes
    -----
    Written by hand rather than with ``scipy.stats.pmean`` because the weights and the order
    differ across replications and missing children must be skipped; the work is two batched
    matrix products per distinct order.
    """
    values = np.asarray(values, dtype=float)
    R = values.shape[0]
    valid = ~np.isnan(values)
    wm = weights[:, :, None] * membership[None, :, :]  # (R, K, P)
    total = wm.sum(axis=1)[:, None, :]  # (R, 1, P)
    den = valid.astype(float) @ wm  # (R, U, P)
    out = np.empty((R, values.shape[1], membership.shape[1]))
    orders = np.asarray(orders, dtype=float)
    if np.any(orders != 1.0) and np.any(values < 0):  # NaN < 0 is False: missing cells never count
        raise InputError("power means of order != 1 need non-negative scores; use an arithmetic mean with z-scores")
    for p in np.unique(orders):
        rows = np.flatnonzero(orders == p)
        t = power_terms(values[rows], valid[rows], p)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out[rows] = power_mean_from_terms((t @ wm[rows]) / den[rows], p)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = den / total
    out[~(coverage >= min_coverage - 1e-12) | (den <= 0)] = np.nan
    return out, coverage


def power_mean(values: np.ndarray, order: float, weights: np.ndarray | None = None, axis: int = -1) -> np.ndarray:
    """Weighted power (generalised) mean of order ``order`` along ``axis`` (NaN-aware).

    Convenience wrapper around :func:`aggregate_level` for a single group.
    """
    v = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    shape = v.shape[:-1]
    k = v.shape[-1]
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    flat = v.reshape(1, -1, k)
    out, _ = aggregate_level(flat, w[None, :], np.ones((k, 1)), np.array([order]))
    return out.reshape(shape)


# ---------------------------------------------------------------------------- missing data
def impute(
    data: pd.DataFrame, policy: str, *, groups: pd.Series | None = None, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Impute missing raw indicator values (docs/methods/indicators.md, "Missing data").

    Parameters
    ----------
    data
        Units × indicators.
    policy
        ``none`` (leave missing; aggregation then uses the available indicators), ``mean``
        (column mean), ``group_mean`` (mean of the unit's group, e.g. its country, falling
        back to the column mean when the whole group is missing) or ``em`` (iterative
        regression imputation, scikit-learn ``IterativeImputer`` with Bayesian ridge, an
        EM-like procedure; seeded).
    groups
        Group of every unit (index aligned), required for ``group_mean``.

    Returns
    -------
    imputed, mask
        The completed frame and a boolean frame marking the imputed cells.
    """
    mask = data.isna()
    if policy == "none" or not mask.values.any():
        return data.copy(), mask & False
    if policy == "mean":
        out = data.fillna(data.mean())
    elif policy == "group_mean":
        if groups is None:
            raise InputError("missing-data policy 'group_mean' needs groups (e.g. the country of every region)")
        g = pd.Series(groups, index=data.index).reindex(data.index)
        if g.isna().any():
            raise InputError(f"groups: no group for units {list(data.index[g.isna()][:5])}")
        out = data.fillna(data.groupby(g).transform("mean")).fillna(data.mean())
    elif policy == "em":
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        cols = data.columns[data.notna().any()]
        imputer = IterativeImputer(max_iter=25, random_state=seed, sample_posterior=False)
        out = data.copy()
        out[cols] = imputer.fit_transform(data[cols].to_numpy())
    else:
        raise InputError(f"unknown missing-data policy {policy!r}; expected none, mean, group_mean or em")
    return out, mask & out.notna()


# ---------------------------------------------------------------------------- outliers
@dataclass
class _OutlierRow:
    indicator: str
    skew_before: float
    kurtosis_before: float
    n_winsorised: int
    skew_after: float
    kurtosis_after: float
    still_failing: bool
    units: str


def winsorise(
    data: pd.DataFrame, *, skew_limit: float = 2.0, kurt_limit: float = 3.5, max_points: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Winsorise indicators that fail the |skewness| > 2 and kurtosis > 3.5 rule.

    See docs/methods/indicators.md, "Outliers".

    While an indicator fails the rule (sample skewness and excess kurtosis, pandas
    definitions) its most extreme value on the side of the skew is replaced by the next
    value, up to ``max_points`` times. Every treated unit is reported.

    Returns
    -------
    treated, report
        The treated frame and one report row per indicator.
    """
    out = data.copy()
    rows = []
    for col in data.columns:
        s = out[col].astype(float)
        sk0, ku0 = float(s.skew()), float(s.kurt())
        fails = lambda v: abs(v.skew()) > skew_limit and v.kurt() > kurt_limit  # noqa: E731
        units: list[str] = []
        while s.notna().sum() > 3 and fails(s) and len(units) < max_points:
            if s.skew() > 0:
                idx = s.idxmax()
                s.loc[idx] = s.drop(idx).max()
            else:
                idx = s.idxmin()
                s.loc[idx] = s.drop(idx).min()
            units.append(str(idx))
        out[col] = s
        rows.append(
            _OutlierRow(
                col,
                sk0,
                ku0,
                len(units),
                float(s.skew()),
                float(s.kurt()),
                bool(s.notna().sum() > 3 and fails(s)),
                ";".join(units),
            ).__dict__
        )
    return out, pd.DataFrame(rows).set_index("indicator")


# ---------------------------------------------------------------------------- weights
def _varimax(loadings: np.ndarray, *, max_iter: int = 100, tol: float = 1e-8) -> np.ndarray:
    """Varimax rotation (Kaiser 1958). Hand-written: scikit-learn only has a private helper."""
    p, k = loadings.shape
    if k < 2:
        return loadings
    rot = np.eye(k)
    crit = 0.0
    for _ in range(max_iter):
        lam = loadings @ rot
        u, s, vt = np.linalg.svd(loadings.T @ (lam**3 - lam @ np.diag(np.sum(lam**2, axis=0)) / p))
        rot = u @ vt
        if s.sum() < crit * (1 + tol):
            break
        crit = s.sum()
    return loadings @ rot


def pca_weights(data: pd.DataFrame) -> tuple[pd.Series, dict]:
    """Indicator weights within one group from PCA (OECD/JRC Handbook procedure).

    See docs/methods/indicators.md, "Weighting".

    Standardised indicators; factors retained with eigenvalue > 1, each explaining at least
    10 % of the variance (at least one factor); varimax rotation of the retained loadings;
    each indicator is assigned to the factor on which its squared loading is largest; its
    weight is its squared loading scaled to unit sum within the factor, times the factor's
    share of the retained explained variance; weights are finally scaled to sum to 1.
    Missing cells are filled with column means for this computation only.

    Returns
    -------
    weights, info
        Weights (index = columns) and ``{"explained_variance_ratio": [...], "n_factors": k,
        "retained_variance": float}``.
    """
    from sklearn.decomposition import PCA

    k = data.shape[1]
    if k == 1:
        return pd.Series([1.0], index=data.columns), {
            "explained_variance_ratio": [1.0],
            "n_factors": 1,
            "retained_variance": 1.0,
        }
    x = data.fillna(data.mean()).to_numpy(float)
    sd = x.std(axis=0, ddof=1)
    sd[sd == 0] = 1.0
    z = (x - x.mean(axis=0)) / sd
    pca = PCA().fit(z)
    eig = pca.explained_variance_
    ratio = pca.explained_variance_ratio_
    keep = max(1, int(np.sum((eig > 1.0) & (ratio >= 0.10))))
    load = pca.components_[:keep].T * np.sqrt(eig[:keep])
    rot = _varimax(load)
    sq = rot**2
    factor_share = sq.sum(axis=0) / sq.sum()
    assign = sq.argmax(axis=1)
    w = np.empty(k)
    for j in range(k):
        f = assign[j]
        w[j] = sq[j, f] / sq[assign == f, f].sum() * factor_share[f]
    w = w / w.sum()
    info = {
        "explained_variance_ratio": ratio.tolist(),
        "n_factors": keep,
        "retained_variance": float(ratio[:keep].sum()),
    }
    return pd.Series(w, index=data.columns), info


# ---------------------------------------------------------------------------- coherence
def cronbach_alpha(data: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns of ``data`` (complete rows only).

    ``alpha = k/(k-1) (1 - sum_i var_i / var(sum_i x_i))``. Hand-written because the formula
    is one line and no installed library provides it.
    """
    x = data.dropna().to_numpy(float)
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))
