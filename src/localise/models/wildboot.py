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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results

__all__ = [
    "WildBootResult",
    "wild_cluster_bootstrap",
    "absorb_twoway",
    "twoway_wild_bootstrap",
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


@dataclass(repr=False)
class WildBootResult(Results):
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


def twoway_wild_bootstrap(
    frame: pd.DataFrame,
    y: str,
    regressors: Sequence[str],
    *,
    entity: str,
    time: str,
    cluster: str,
    contrast: str | Mapping[str, float],
    **options: Any,
) -> WildBootResult:
    """Wild cluster bootstrap of a contrast of a two-way fixed-effects regression.

    Entity and time effects are absorbed (:func:`absorb_twoway`) and the CR1 factor counts only
    ``regressors``, so the standard error equals the one of the two-way fit
    (:func:`localise.models.panel.fit_panel_ols`).

    Parameters
    ----------
    frame
        Estimation sample with ``entity``, ``time``, ``cluster``, ``y`` and ``regressors``.
    contrast
        A regressor's name, or weights of named regressors (the others get 0).
    **options
        Passed to :func:`wild_cluster_bootstrap` (``null``, ``reps``, ``weights``, ``seed``, ``level``, ...).
    """
    design = absorb_twoway(frame, [y, *regressors], entity=entity, time=time)
    outcome = design.pop(y)
    vector = contrast if isinstance(contrast, str) else np.array([contrast.get(c, 0.0) for c in design.columns])
    return wild_cluster_bootstrap(
        outcome, design, frame[cluster], contrast=vector, k_small_sample=len(regressors), **options
    )


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
    a, term = _contrast_vector(contrast, names, Xa.shape[1], term)
    if not np.isfinite(Xa).all() or not np.isfinite(ya).all():
        raise InputError("wild_cluster_bootstrap: X and y must be finite (drop missing rows first)")
    if reps < 19:
        raise InputError(f"wild_cluster_bootstrap: reps={reps}; use at least 19 (999+ for reporting)")
    codes, uniques = pd.factorize(np.asarray(clusters))
    G = len(uniques)
    if G < 2:
        raise InputError("wild_cluster_bootstrap: need at least two clusters")
    test = _RestrictedWildTest(Xa, ya, a, codes, G, k_small_sample=k_small_sample)
    test.draw(reps, weights=weights, seed=seed)
    t0, _ = test.t_and_boot(null)
    lo = hi = np.nan
    if ci:
        lo = _invert(test.pvalue, test.estimate, test.se, 1.0 - level, direction=-1)
        hi = _invert(test.pvalue, test.estimate, test.se, 1.0 - level, direction=+1)
    return WildBootResult(
        term=term or "contrast",
        estimate=test.estimate,
        null=float(null),
        std_error=test.se,
        t_stat=float(t0),
        pvalue=test.pvalue(null),
        ci_low=lo,
        ci_high=hi,
        level=level,
        n_clusters=G,
        n_treated_clusters=n_treated_clusters,
        reps=reps,
        weights=weights,
        seed=seed,
    )


def _contrast_vector(
    contrast: np.ndarray | Sequence[float] | str, names: list[str] | None, k: int, term: str | None
) -> tuple[np.ndarray, str | None]:
    """The contrast ``a`` as a vector over the ``k`` columns of X, and the term's label."""
    if isinstance(contrast, str):
        if names is None or contrast not in names:
            raise InputError(f"wild_cluster_bootstrap: contrast {contrast!r} is not a column of X")
        a = np.zeros(k)
        a[names.index(contrast)] = 1.0
        return a, term or contrast
    a = np.asarray(contrast, dtype="float64").ravel()
    if a.shape[0] != k:
        raise InputError(f"wild_cluster_bootstrap: contrast has {a.shape[0]} entries, X has {k} columns")
    return a, term


class _RestrictedWildTest:
    """The CR1 t-statistic of ``a'beta = r`` and its restricted wild bootstrap draws (module docstring, steps 1-3)."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        a: np.ndarray,
        codes: np.ndarray,
        n_clusters: int,
        *,
        k_small_sample: int | None,
    ) -> None:
        n, k = X.shape
        XtX = X.T @ X
        if np.linalg.matrix_rank(XtX) < k:
            raise InputError("wild_cluster_bootstrap: design matrix is rank deficient")
        self.X, self.y, self.codes, self.G = X, y, codes, n_clusters
        self.XtXi = np.linalg.inv(XtX)
        self.b = self.XtXi @ (X.T @ y)
        self.q = self.XtXi @ a
        self.aqa = float(a @ self.q)
        G = n_clusters
        self.f = G / (G - 1) * (n - 1) / (n - (k if k_small_sample is None else k_small_sample))
        self.Xq = X @ self.q  # row contributions of q'X_g'
        # M[g] = q' X_g' X_g (G x k), fixed across null values
        self.M = _cluster_sums(self.Xq[:, None] * X, codes, G)
        u = y - X @ self.b
        score = _cluster_sums((self.Xq * u)[:, None], codes, G).ravel()
        self.se = float(np.sqrt(self.f * np.sum(score**2)))
        self.estimate = float(a @ self.b)
        self.V = np.empty((G, 0))

    def draw(self, reps: int, *, weights: Literal["webb", "rademacher"], seed: int) -> None:
        """Draw the cluster weights once; every null value is tested with the same draws."""
        self.V = draw_weights(self.G, reps, kind=weights, seed=seed)

    def t_and_boot(self, r: float) -> tuple[float, np.ndarray]:
        """The observed t-statistic under ``H0: a'beta = r`` and its bootstrap draws."""
        X, codes, G = self.X, self.codes, self.G
        beta_r = self.b - self.q * (self.estimate - r) / self.aqa
        ur = self.y - X @ beta_r
        A = _cluster_sums((self.Xq * ur)[:, None], codes, G).ravel()
        C = self.XtXi @ _cluster_sums(X * ur[:, None], codes, G).T  # k x G
        S = (np.diag(A) - self.M @ C) @ self.V  # G x B cluster scores
        num = A @ self.V
        den = np.sqrt(self.f * np.sum(S**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.where(den > 0, num / den, 0.0)
        return (self.estimate - r) / self.se, tb

    def pvalue(self, r: float) -> float:
        """Symmetric bootstrap p-value of ``H0: a'beta = r``."""
        t, tb = self.t_and_boot(r)
        return float(np.mean(np.abs(tb) >= abs(t)))


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
