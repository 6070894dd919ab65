"""Gap statistic for the number of clusters (Tibshirani, Walther and Hastie 2001).

Hand-written because no maintained, well-tested package offers it with the
reference distribution and the standard-error rule of the paper (the PyPI
``gap-statistic`` package is unmaintained and does not implement the
principal-component-aligned reference box); the computation is short.

Reference: R. Tibshirani, G. Walther, T. Hastie (2001), "Estimating the number of
clusters in a data set via the gap statistic", *Journal of the Royal Statistical
Society B* 63(2), 411-423.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["within_dispersion", "gap_statistic", "GapResult"]


def within_dispersion(X: np.ndarray, labels: np.ndarray) -> float:
    """Pooled within-cluster dispersion ``W_k = Σ_r D_r / (2 n_r)``.

    ``D_r`` is the sum of squared Euclidean distances between all pairs of points
    of cluster ``r``; ``D_r / (2 n_r)`` equals the sum of squared distances to the
    cluster mean, which is what is computed here.
    """
    X = np.asarray(X, dtype=float)
    total = 0.0
    for lab in np.unique(labels):
        members = X[labels == lab]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total


@dataclass
class GapResult:
    """Gap statistic table and the chosen number of clusters.

    Attributes
    ----------
    table
        One row per k: ``log_w`` (observed), ``e_log_w`` (mean over the reference
        sets), ``gap``, ``sd`` (sd of the reference log W_k), ``s`` (= sd·√(1+1/B)).
    k
        Smallest k with ``Gap(k) >= Gap(k+1) - s_{k+1}`` (the paper's rule);
        the largest k tried when no k satisfies it.
    n_refs, reference, seed
        Settings.
    """

    table: pd.DataFrame
    k: int
    n_refs: int
    reference: str
    seed: int


def _reference_sampler(X: np.ndarray, reference: str, rng: np.random.Generator) -> Callable[[], np.ndarray]:
    n, p = X.shape
    if reference == "uniform":
        lo, hi = X.min(axis=0), X.max(axis=0)
        return lambda: rng.uniform(lo, hi, size=(n, p))
    # "pca": uniform over a box aligned with the principal components of X (paper, method b)
    mean = X.mean(axis=0)
    centred = X - mean
    _u, _d, vt = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ vt.T
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    return lambda: rng.uniform(lo, hi, size=(n, rotated.shape[1])) @ vt + mean


def gap_statistic(
    X: np.ndarray,
    cluster: Callable[[np.ndarray, Sequence[int]], dict[int, np.ndarray]],
    *,
    ks: Sequence[int],
    n_refs: int = 50,
    reference: Literal["pca", "uniform"] = "pca",
    seed: int = 0,
) -> GapResult:
    """Compute ``Gap(k) = E*[log W_k] - log W_k`` for each k in ``ks``.

    Parameters
    ----------
    X
        Data (n × p), the space in which the clustering is done.
    cluster
        ``cluster(X, ks) -> {k: labels}``: the clustering method under study
        (the same one is applied to the reference sets).
    ks
        Numbers of clusters, increasing (include 1 so that "no structure" can win).
    n_refs
        B, the number of reference data sets.
    reference
        ``"pca"`` (uniform over the principal-component box, the paper's
        recommended choice b) or ``"uniform"`` (over the range of each feature, choice a).
    seed
        Seed of the reference draws.
    """
    X = np.asarray(X, dtype=float)
    ks = sorted(int(k) for k in ks)
    rng = np.random.default_rng(seed)
    draw = _reference_sampler(X, reference, rng)
    observed = cluster(X, ks)
    log_w = np.array([np.log(within_dispersion(X, observed[k])) for k in ks])
    ref = np.empty((n_refs, len(ks)))
    for b in range(n_refs):
        Z = draw()
        labels = cluster(Z, ks)
        ref[b] = [np.log(within_dispersion(Z, labels[k])) for k in ks]
    e_log_w = ref.mean(axis=0)
    sd = ref.std(axis=0, ddof=0)
    s = sd * np.sqrt(1.0 + 1.0 / n_refs)
    gap = e_log_w - log_w
    table = pd.DataFrame({"k": ks, "log_w": log_w, "e_log_w": e_log_w, "gap": gap, "sd": sd, "s": s})
    chosen = ks[-1]
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - s[i + 1]:
            chosen = ks[i]
            break
    return GapResult(table=table.set_index("k"), k=int(chosen), n_refs=n_refs, reference=reference, seed=seed)
