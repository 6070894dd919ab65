"""Wild cluster bootstrap (restricted, WCR) p-values and confidence intervals.

Why hand-written: the Python package ``wildboottest`` (last release 2024, not
checked against pandas 3 here) would add a dependency for ~100 lines of linear
algebra, and we need the bootstrap on the very design (absorbed two-way fixed
effects, event-study contrasts) that the other estimators use; the algorithm is the standard
one of Cameron, Gelbach and Miller (2008) and MacKinnon and Webb (2017, 2018),
with the six-point weights of Webb (2023, "Reworking wild bootstrap-based
inference for clustered errors", Canadian Journal of Economics).

Algorithm (null ``H0: a'beta = r``, OLS ``y = X beta + u`` with G clusters):

1. restricted estimate ``beta_R = b - (X'X)^-1 a (a'(X'X)^-1 a)^-1 (a'b - r)``
   and residuals ``u_R = y - X beta_R``;
2. for b = 1..B draw one weight ``v_g`` per cluster (Webb: ±sqrt(1/2), ±1,
   ±sqrt(3/2), each with probability 1/6) and set ``y* = X beta_R + v_g u_R``;
3. compute the CR1 t-statistic ``t* = (a'b* - r) / se*`` and the symmetric p-value
   ``P(|t*| >= |t|)``.

Step 3 is vectorised: with ``q = (X'X)^-1 a``, ``A_g = q'X_g'u_Rg`` and
``M_g = q'X_g'X_g``, the numerator is ``A'v`` and the cluster scores are
``(diag(A) - M C) v`` with ``C[:, g] = (X'X)^-1 X_g'u_Rg``, so B draws cost one
G × G × B product. The confidence interval inverts the test: it is the set of
``r`` whose bootstrap p-value exceeds ``alpha``, found by bisection on each side
with the *same* weight draws for every ``r`` (seeded).

Fixed effects are handled by Frisch–Waugh–Lovell: :func:`absorb_twoway`
entity-demeans the outcome, the regressors and a set of time dummies, which is
exact for unbalanced panels too.

With few treated clusters every cluster-based method, this one included,
over-rejects or becomes conservative (MacKinnon and Webb 2017, "Wild bootstrap
inference for wildly different cluster sizes", J. Applied Econometrics); the
result always says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from localise.errors import InputError

__all__ = [
    "WildBootResult",
    "wild_cluster_bootstrap",
    "absorb_twoway",
    "draw_weights",
    "FEW_CLUSTERS_WARNING",
]

FEW_CLUSTERS_WARNING = (
    "Clustered inference is unreliable with few treated clusters: conventional cluster-robust "
    "standard errors over-reject, and even the wild cluster bootstrap is imprecise (typically "
    "conservative) when only a handful of clusters are treated (MacKinnon & Webb 2017). "
    "Read these p-values and intervals as indicative."
)

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def draw_weights(
    n_clusters: int, reps: int, *, kind: Literal["webb", "rademacher"] = "webb", seed: int = 0
) -> np.ndarray:
    """Bootstrap weights, shape ``(n_clusters, reps)``, from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=(n_clusters, reps))]
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, reps))
    raise InputError(f"weights={kind!r}; expected 'webb' or 'rademacher'")


@dataclass
class WildBootResult:
    """Result of :func:`wild_cluster_bootstrap`."""

    term: str
    estimate: float
    null: float
    std_error: float
    t_stat: float
    pvalue: float
    ci_low: float
    ci_high: float
    level: float
    n_clusters: int
    n_treated_clusters: int | None
    reps: int
    weights: str
    seed: int
    warning: str = FEW_CLUSTERS_WARNING

    def summary(self) -> str:
        treated = "" if self.n_treated_clusters is None else f", {self.n_treated_clusters} treated"
        return "\n".join(
            [
                f"Wild cluster bootstrap (restricted, {self.weights} weights, B = {self.reps}, seed = {self.seed})",
                f"term {self.term}: estimate = {self.estimate:.6g}, CR1 se = {self.std_error:.6g}, "
                f"t = {self.t_stat:.4g} (H0: = {self.null:g})",
                f"bootstrap p = {self.pvalue:.4f}; {100 * self.level:.0f}% CI by test inversion "
                f"[{self.ci_low:.6g}, {self.ci_high:.6g}]",
                f"clusters: {self.n_clusters}{treated}",
                f"NOTE: {self.warning}",
            ]
        )

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame (the warning is kept in a ``note`` column)."""
        return pd.DataFrame(
            [
                {
                    "term": self.term,
                    "estimate": self.estimate,
                    "null": self.null,
                    "std_error_cr1": self.std_error,
                    "t_stat": self.t_stat,
                    "p_value_wild": self.pvalue,
                    "ci_low_wild": self.ci_low,
                    "ci_high_wild": self.ci_high,
                    "level": self.level,
                    "n_clusters": self.n_clusters,
                    "n_treated_clusters": self.n_treated_clusters,
                    "reps": self.reps,
                    "weights": self.weights,
                    "seed": self.seed,
                    "note": self.warning,
                }
            ]
        )


def absorb_twoway(
    panel: pd.DataFrame, columns: Sequence[str], *, entity: str, time: str, time_effects: bool = True
) -> pd.DataFrame:
    """Entity-demean ``columns`` (and time dummies) so that OLS equals two-way FE (FWL).

    Returns a frame with the demeaned ``columns`` followed by demeaned dummies
    ``_t<year>`` for every period but the first (when ``time_effects``), in the
    row order of ``panel``.
    """
    frame = panel[list(columns)].astype("float64").copy()
    if time_effects:
        periods = np.sort(panel[time].unique())
        for p in periods[1:]:
            frame[f"_t{p}"] = (panel[time].to_numpy() == p).astype("float64")
    means = frame.groupby(panel[entity].to_numpy()).transform("mean")
    return frame - means


def _cluster_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of ``values`` (n × m) within clusters → (G × m)."""
    out = np.zeros((n_groups, values.shape[1]))
    np.add.at(out, codes, values)
    return out


def wild_cluster_bootstrap(
    y: np.ndarray | pd.Series,
    X: np.ndarray | pd.DataFrame,
    clusters: np.ndarray | pd.Series,
    *,
    contrast: np.ndarray | Sequence[float] | str,
    null: float = 0.0,
    reps: int = 999,
    weights: Literal["webb", "rademacher"] = "webb",
    seed: int = 0,
    level: float = 0.95,
    ci: bool = True,
    n_treated_clusters: int | None = None,
    term: str | None = None,
    k_small_sample: int | None = None,
) -> WildBootResult:
    """Restricted wild cluster bootstrap test of ``a'beta = null`` and its inverted CI.

    Parameters
    ----------
    y, X
        Outcome and design (fixed effects already absorbed, see :func:`absorb_twoway`).
    clusters
        Cluster label per row.
    contrast
        Vector ``a`` (length = columns of X) or, when X is a DataFrame, a column name.
    null
        Hypothesised value ``r``.
    reps, weights, seed
        Number of bootstrap draws, weight distribution, seed.
    level
        Confidence level of the interval.
    ci
        Compute the interval (bisection; costs ~60 p-value evaluations).
    n_treated_clusters
        Reported only (the warning is always attached).
    term
        Label of the tested quantity.
    k_small_sample
        K in the CR1 factor G/(G-1)(N-1)/(N-K); default the number of columns of
        X. Pass the number of slope coefficients when X holds absorbed time
        dummies, to report the same standard error as :class:`PanelRegression`.
        The factor cancels in the bootstrap p-value and interval.

    Returns
    -------
    WildBootResult
    """
    names = list(X.columns) if isinstance(X, pd.DataFrame) else None
    Xa = np.asarray(X, dtype="float64")
    ya = np.asarray(y, dtype="float64").ravel()
    if Xa.ndim != 2 or Xa.shape[0] != ya.shape[0]:
        raise InputError(f"wild_cluster_bootstrap: X has shape {Xa.shape}, y has {ya.shape[0]} rows")
    if isinstance(contrast, str):
        if names is None or contrast not in names:
            raise InputError(f"wild_cluster_bootstrap: contrast {contrast!r} is not a column of X")
        a = np.zeros(Xa.shape[1])
        a[names.index(contrast)] = 1.0
        term = term or contrast
    else:
        a = np.asarray(contrast, dtype="float64").ravel()
        if a.shape[0] != Xa.shape[1]:
            raise InputError(f"wild_cluster_bootstrap: contrast has {a.shape[0]} entries, X has {Xa.shape[1]} columns")
    if not np.isfinite(Xa).all() or not np.isfinite(ya).all():
        raise InputError("wild_cluster_bootstrap: X and y must be finite (drop missing rows first)")
    if reps < 19:
        raise InputError(f"wild_cluster_bootstrap: reps={reps}; use at least 19 (999+ for reporting)")
    codes, uniques = pd.factorize(np.asarray(clusters))
    G = len(uniques)
    if G < 2:
        raise InputError("wild_cluster_bootstrap: need at least two clusters")
    n, k = Xa.shape
    XtX = Xa.T @ Xa
    if np.linalg.matrix_rank(XtX) < k:
        raise InputError("wild_cluster_bootstrap: design matrix is rank deficient")
    XtXi = np.linalg.inv(XtX)
    b = XtXi @ (Xa.T @ ya)
    q = XtXi @ a
    aqa = float(a @ q)
    f = G / (G - 1) * (n - 1) / (n - (k if k_small_sample is None else k_small_sample))
    Xq = Xa @ q  # row contributions of q'X_g'
    # M[g] = q' X_g' X_g (G x k), fixed across null values
    M = _cluster_sums(Xq[:, None] * Xa, codes, G)
    u = ya - Xa @ b
    score = _cluster_sums((Xq * u)[:, None], codes, G).ravel()
    se = float(np.sqrt(f * np.sum(score**2)))
    estimate = float(a @ b)
    V = draw_weights(G, reps, kind=weights, seed=seed)

    def t_and_boot(r: float) -> tuple[float, np.ndarray]:
        beta_r = b - q * (estimate - r) / aqa
        ur = ya - Xa @ beta_r
        A = _cluster_sums((Xq * ur)[:, None], codes, G).ravel()
        C = XtXi @ _cluster_sums(Xa * ur[:, None], codes, G).T  # k x G
        S = (np.diag(A) - M @ C) @ V  # G x B cluster scores
        num = A @ V
        den = np.sqrt(f * np.sum(S**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.where(den > 0, num / den, 0.0)
        return (estimate - r) / se, tb

    def pvalue(r: float) -> float:
        t, tb = t_and_boot(r)
        return float(np.mean(np.abs(tb) >= abs(t)))

    t0, _ = t_and_boot(null)
    p0 = pvalue(null)
    lo = hi = np.nan
    alpha = 1.0 - level
    if ci:
        lo = _invert(pvalue, estimate, se, alpha, direction=-1)
        hi = _invert(pvalue, estimate, se, alpha, direction=+1)
    return WildBootResult(
        term=term or "contrast",
        estimate=estimate,
        null=float(null),
        std_error=se,
        t_stat=float(t0),
        pvalue=p0,
        ci_low=lo,
        ci_high=hi,
        level=level,
        n_clusters=G,
        n_treated_clusters=n_treated_clusters,
        reps=reps,
        weights=weights,
        seed=seed,
    )


def _invert(pvalue, estimate: float, se: float, alpha: float, *, direction: int) -> float:
    """Bisection for the bound where the bootstrap p-value falls to ``alpha``."""
    inside = estimate
    step = max(se, 1e-12)
    outside = estimate + direction * 2.0 * step
    tries = 0
    while pvalue(outside) > alpha:
        inside = outside
        step *= 2.0
        outside = estimate + direction * 2.0 * step
        tries += 1
        if tries > 30:
            return float(direction * np.inf)
    for _ in range(50):
        mid = 0.5 * (inside + outside)
        if pvalue(mid) > alpha:
            inside = mid
        else:
            outside = mid
        if abs(outside - inside) <= 1e-6 * max(se, 1e-12):
            break
    return float(0.5 * (inside + outside))
