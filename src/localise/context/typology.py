"""PCA and clustering of regional contexts.

See docs/methods/grid.md, "PCA and clustering".

:class:`RegionalTypology` follows the scikit-learn habit: settings in the
constructor, ``fit(matrix)`` returns a :class:`TypologyResult`.

Steps: PCA of the oriented z-scores (eigenvalues, explained variance, loadings);
retain components by the Kaiser rule or 70 % cumulative variance [proposed];
cluster the retained scores by Ward (scipy) and k-means (scikit-learn, many starts,
fixed seed); choose k by the silhouette and report the gap statistic beside it;
compare the two partitions by the adjusted Rand index; profile the clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score

from localise.context.gap import GapResult, gap_statistic
from localise.context.matrix import ContextMatrix
from localise.errors import InputError
from localise.results import Results

__all__ = [
    "PCAResult",
    "fit_pca",
    "cluster_labels",
    "RegionalTypology",
    "TypologyResult",
    "PROPOSED_LABEL",
    "structure_verdict",
]

#: Label that every table and figure of case selection carries (docs/methods/grid.md, "Case selection").
PROPOSED_LABEL = "selection proposed by localise"

Method = Literal["ward", "kmeans"]


@dataclass(repr=False)
class PCAResult(Results):
    """Principal components of the standardised indicators.

    Attributes
    ----------
    eigenvalues
        Variances of the components (``ddof=1``), all of them.
    explained_variance_ratio
        Share of the total variance per component.
    eigenvectors
        Indicators × components (unit vectors; sign fixed so that the largest
        absolute entry is positive).
    loadings
        Correlation of each indicator with each component score,
        ``eigenvector · √eigenvalue / sd(indicator)`` (= ``eigenvector · √eigenvalue``
        when the indicators are standardised over the analysed regions).
    scores
        Regions × components.
    n_retained
        Components kept for clustering.
    rule
        How ``n_retained`` was chosen.
    synthetic
        Whether the z-scores came from generated data (their ``attrs``); the frames above
        and :meth:`to_frame` carry it in ``attrs``.
    """

    eigenvalues: pd.Series
    explained_variance_ratio: pd.Series
    eigenvectors: pd.DataFrame
    loadings: pd.DataFrame
    scores: pd.DataFrame
    n_retained: int
    rule: str
    synthetic: bool = False

    def __post_init__(self) -> None:
        for frame in (self.eigenvectors, self.loadings, self.scores):
            frame.attrs["synthetic"] = self.synthetic

    def to_frame(self) -> pd.DataFrame:
        """Eigenvalue, explained and cumulative variance per component."""
        out = pd.DataFrame(
            {
                "eigenvalue": self.eigenvalues,
                "explained": self.explained_variance_ratio,
                "cumulative": self.explained_variance_ratio.cumsum(),
                "retained": [i < self.n_retained for i in range(len(self.eigenvalues))],
            }
        )
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Variance table and loadings of the retained components."""
        return (
            f"PCA: {self.n_retained} component(s) retained ({self.rule})\n"
            + self.to_frame().to_string(float_format=lambda v: f"{v:.3f}")
            + "\nLoadings (correlation of indicator and component):\n"
            + self.loadings.iloc[:, : self.n_retained].to_string(float_format=lambda v: f"{v:.3f}")
        )

    def to_latex(self, *, caption: str | None = None) -> str:
        """Loadings of the retained components with eigenvalues and explained variance."""
        from localise.provenance import label

        table = self.loadings.iloc[:, : self.n_retained].copy()
        extra = pd.DataFrame(
            [
                self.eigenvalues.iloc[: self.n_retained].to_numpy(),
                self.explained_variance_ratio.iloc[: self.n_retained].to_numpy(),
            ],
            index=["eigenvalue", "explained variance"],
            columns=table.columns,
        )
        caption = label(caption or "PCA loadings (retained components)", self.synthetic)
        return pd.concat([table, extra]).to_latex(float_format="%.3f", caption=caption)


def fit_pca(z: pd.DataFrame, *, n_components: int | None = None, cumulative: float = 0.70) -> PCAResult:
    """PCA of a region × indicator frame of z-scores.

    Parameters
    ----------
    z
        Standardised indicators (regions in rows).
    n_components
        Number of components to retain; ``None`` applies the rule [proposed]: the
        larger of the number of eigenvalues > 1 (Kaiser) and the
        smallest number reaching ``cumulative`` explained variance.

    Notes
    -----
    scikit-learn's PCA centres the data and uses ``ddof=1`` variances, so when
    ``z`` is standardised over the same regions the eigenvalues are those of the
    correlation matrix.
    """
    X = z.to_numpy(dtype=float)
    p = X.shape[1]
    n_all = min(X.shape)
    model = PCA(n_components=n_all, svd_solver="full").fit(X)
    vectors = model.components_.T.copy()
    for j in range(vectors.shape[1]):
        if vectors[np.argmax(np.abs(vectors[:, j])), j] < 0:
            vectors[:, j] *= -1
    names = [f"PC{j + 1}" for j in range(n_all)]
    eig = pd.Series(model.explained_variance_, index=names, name="eigenvalue")
    ratio = pd.Series(model.explained_variance_ratio_, index=names, name="explained")
    scores = pd.DataFrame((X - model.mean_) @ vectors, index=z.index, columns=names)
    if n_components is None:
        kaiser = int((eig > 1.0).sum())
        cum = int(np.searchsorted(ratio.cumsum().to_numpy(), cumulative - 1e-12) + 1)
        n_ret = max(1, kaiser, min(cum, n_all))
        rule = f"max(Kaiser eigenvalue>1: {kaiser}, cumulative>={cumulative:.0%}: {min(cum, n_all)})"
    else:
        if not 1 <= int(n_components) <= n_all:
            raise InputError(f"n_components must be between 1 and {n_all}, got {n_components}")
        n_ret, rule = int(n_components), f"fixed n_components={n_components}"
    del p
    return PCAResult(
        eigenvalues=eig,
        explained_variance_ratio=ratio,
        eigenvectors=pd.DataFrame(vectors, index=z.columns, columns=names),
        loadings=pd.DataFrame(
            vectors * np.sqrt(model.explained_variance_) / X.std(axis=0, ddof=1)[:, None],
            index=z.columns,
            columns=names,
        ),
        scores=scores,
        n_retained=n_ret,
        rule=rule,
        synthetic=bool(z.attrs.get("synthetic", False)),
    )


def cluster_labels(
    X: np.ndarray, ks: Sequence[int], *, method: Method, seed: int = 0, n_init: int = 50
) -> dict[int, np.ndarray]:
    """Cluster labels (0-based) for each k by Ward (scipy) or k-means (scikit-learn)."""
    X = np.asarray(X, dtype=float)
    out: dict[int, np.ndarray] = {}
    if method == "ward":
        tree = linkage(X, method="ward")
        for k in ks:
            out[int(k)] = fcluster(tree, t=int(k), criterion="maxclust") - 1 if k > 1 else np.zeros(len(X), int)
    elif method == "kmeans":
        for k in ks:
            if k == 1:
                out[1] = np.zeros(len(X), int)
                continue
            out[int(k)] = KMeans(n_clusters=int(k), n_init=n_init, random_state=seed).fit(X).labels_
    else:
        raise InputError(f"method must be 'ward' or 'kmeans', got {method!r}")
    return out


def _relabel(labels: np.ndarray, pressure: np.ndarray) -> np.ndarray:
    """Number clusters 1..k by increasing mean pressure (mean oriented z-score)."""
    uniq = np.unique(labels)
    means = [pressure[labels == u].mean() for u in uniq]
    order = {u: i + 1 for i, u in enumerate(uniq[np.argsort(means, kind="mergesort")])}
    return np.array([order[u] for u in labels])


@dataclass(repr=False)
class TypologyResult(Results):
    """Regional typology: PCA, k selection, two partitions, profiles.

    Attributes
    ----------
    matrix
        The :class:`~localise.context.matrix.ContextMatrix` that was clustered.
    pca
        :class:`PCAResult`.
    space
        Coordinates used for clustering (retained PCA scores or z-scores).
    k, k_source
        Number of clusters and how it was chosen ("given", "silhouette").
    k_table
        Per k: silhouette (Ward, k-means), Calinski–Harabasz, gap and its s.e.
    gap
        :class:`~localise.context.gap.GapResult`.
    labels, labels_other
        Primary partition (``method``) and the other method's partition,
        both numbered 1..k by increasing mean pressure.
    ari
        Adjusted Rand index between the two partitions.
    centroids
        Cluster means in ``space`` (primary partition).
    settings
        Constructor settings.

    ``synthetic`` is the matrix's flag; ``k_table``, ``space`` and ``centroids`` carry it in ``attrs``.
    """

    matrix: ContextMatrix
    pca: PCAResult
    space: pd.DataFrame
    k: int
    k_source: str
    k_table: pd.DataFrame
    gap: GapResult | None
    labels: pd.Series
    labels_other: pd.Series
    ari: float
    centroids: pd.DataFrame
    settings: dict

    def __post_init__(self) -> None:
        self.synthetic = self.matrix.synthetic
        for frame in (self.k_table, self.space, self.centroids):
            frame.attrs["synthetic"] = self.synthetic

    @property
    def method(self) -> str:
        """Primary clustering method."""
        return str(self.settings["method"])

    @property
    def k_silhouette(self) -> int:
        """k with the highest silhouette of the primary method."""
        return int(self.k_table[f"silhouette_{self.method}"].dropna().idxmax())

    def profiles(self) -> pd.DataFrame:
        """Cluster profiles: size, countries, mean z-score and mean treated value per indicator."""
        z = self.matrix.z
        treated = self.matrix.treated.loc[z.index]
        g = self.labels
        out = pd.concat(
            [
                g.value_counts().sort_index().rename("n_regions"),
                self.matrix.countries.groupby(g)
                .agg(lambda s: ",".join(f"{c}:{n}" for c, n in s.value_counts().sort_index().items()))
                .rename("countries"),
                z.groupby(g).mean().add_prefix("z_"),
                treated.groupby(g).mean().add_prefix("mean_"),
            ],
            axis=1,
        )
        out.index.name = "cluster"
        out.attrs["synthetic"] = self.matrix.synthetic
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per region: country, clusters of both methods, PCA scores."""
        other = "kmeans" if self.method == "ward" else "ward"
        out = pd.concat(
            [
                self.matrix.countries.rename("country"),
                self.labels.rename(f"cluster_{self.method}"),
                self.labels_other.rename(f"cluster_{other}"),
                self.pca.scores.iloc[:, : self.pca.n_retained],
            ],
            axis=1,
        )
        out.attrs["synthetic"] = self.matrix.synthetic
        return out

    def summary(self) -> str:
        """Settings, PCA, the k table (silhouette and gap side by side), ARI and profiles."""
        other = "kmeans" if self.method == "ward" else "ward"
        lines = [
            " ".join(["Regional typology (localise.context)", *self.banner()]),
            f"  matrix: {self.matrix.spec.describe()}",
            f"  settings: {', '.join(f'{k}={v}' for k, v in self.settings.items())}",
            f"  regions: {self.matrix.n_regions}; clustering space: {self.settings['space']} "
            f"({self.space.shape[1]} dimensions)",
            self.pca.summary(),
            "Choice of k (silhouette and gap statistic side by side):",
            self.k_table.to_string(float_format=lambda v: f"{v:.3f}"),
            f"  k by silhouette ({self.method}): {self.k_silhouette}; "
            + (
                f"k by gap statistic (Tibshirani et al. 2001, B={self.gap.n_refs}, reference={self.gap.reference}, "
                f"smallest k with Gap(k) >= Gap(k+1) - s(k+1)): {self.gap.k}"
                if self.gap
                else "gap statistic not computed"
            ),
            f"  k used: {self.k} ({self.k_source})"
            + ("" if self.gap is None or self.k_silhouette == self.gap.k else "  [silhouette and gap disagree]"),
            f"  adjusted Rand index {self.method} vs {other} (k={self.k}): {self.ari:.3f}",
            "Cluster profiles (z: oriented, higher = more pressure):",
            self.profiles().to_string(float_format=lambda v: f"{v:.2f}"),
        ]
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """Cluster profiles as LaTeX."""
        from localise.provenance import label

        caption = label(caption or f"Cluster profiles ({self.method}, k={self.k})", self.synthetic)
        return self.profiles().to_latex(float_format="%.2f", caption=caption)


class RegionalTypology:
    """Typology of regional contexts by PCA and clustering.

    Parameters
    ----------
    k
        Number of clusters; ``None`` = the k with the highest silhouette of ``method``.
    method
        Primary partition: ``"ward"`` (scipy, Euclidean) or ``"kmeans"``.
    k_range
        Candidate k (≥ 2) for the silhouette; the gap statistic also tries k = 1.
    space
        ``"scores"``: retained PCA scores (default); ``"z"``: all z-scores.
    n_components
        Fixed number of retained components (``None`` = rule, see :func:`fit_pca`).
    n_init
        k-means starts (default 50).
    seed
        Seed of k-means and of the gap reference draws.
    gap_refs
        Reference data sets B of the gap statistic; with ``method="kmeans"`` the
        reference sets are clustered with ``max(5, n_init // 10)`` starts (speed)
    gap_reference
        ``"pca"`` or ``"uniform"`` reference box.
    """

    def __init__(
        self,
        *,
        k: int | None = None,
        method: Method = "ward",
        k_range: Sequence[int] = range(2, 9),
        space: Literal["scores", "z"] = "scores",
        n_components: int | None = None,
        n_init: int = 50,
        seed: int = 0,
        gap_refs: int = 50,
        gap_reference: Literal["pca", "uniform"] = "pca",
    ) -> None:
        self.k = k
        self.method = method
        self.k_range = tuple(int(v) for v in k_range)
        self.space = space
        self.n_components = n_components
        self.n_init = n_init
        self.seed = seed
        self.gap_refs = gap_refs
        self.gap_reference = gap_reference

    def _settings(self) -> dict[str, Any]:
        """The constructor's arguments as they were given."""
        return {
            "k": self.k,
            "method": self.method,
            "k_range": self.k_range,
            "space": self.space,
            "n_components": self.n_components,
            "n_init": self.n_init,
            "seed": self.seed,
            "gap_refs": self.gap_refs,
            "gap_reference": self.gap_reference,
        }

    def get_params(self) -> dict:
        """Settings as a dict (printed in summaries)."""
        return {**self._settings(), "k_range": f"{min(self.k_range)}-{max(self.k_range)}"}

    def clone(self, **changes: object) -> RegionalTypology:
        """Copy with some settings changed."""
        params = self._settings()
        params.update(changes)
        return RegionalTypology(**params)  # type: ignore[arg-type]

    def _validate(self, n: int) -> list[int]:
        if self.method not in ("ward", "kmeans"):
            raise InputError(f"method must be 'ward' or 'kmeans', got {self.method!r}")
        if self.space not in ("scores", "z"):
            raise InputError(f"space must be 'scores' or 'z', got {self.space!r}")
        if self.n_init < 1:
            raise InputError(f"n_init must be >= 1, got {self.n_init}")
        ks = sorted({k for k in self.k_range if 2 <= k < n})
        if self.k is not None:
            if not 2 <= int(self.k) < n:
                raise InputError(f"k must be between 2 and {n - 1} (number of regions - 1), got {self.k}")
            ks = sorted(set(ks) | {int(self.k)})
        if not ks:
            raise InputError(f"k_range {self.k_range} leaves no k between 2 and {n - 1}")
        return ks

    def _k_table(self, X: np.ndarray, ks: list[int], labels: dict[str, dict[int, np.ndarray]]) -> pd.DataFrame:
        """Per k: silhouettes of both methods, Calinski-Harabasz of the primary one, ARI between them."""
        rows = []
        for k in ks:
            rows.append(
                {
                    "k": k,
                    "silhouette_ward": silhouette_score(X, labels["ward"][k]),
                    "silhouette_kmeans": silhouette_score(X, labels["kmeans"][k]),
                    f"calinski_harabasz_{self.method}": calinski_harabasz_score(X, labels[self.method][k]),
                    "ari_ward_kmeans": adjusted_rand_score(labels["ward"][k], labels["kmeans"][k]),
                }
            )
        return pd.DataFrame(rows).set_index("k")

    def _with_gap(self, X: np.ndarray, ks: list[int], k_table: pd.DataFrame) -> tuple[pd.DataFrame, GapResult]:
        """The gap statistic over k = 1 and ``ks``, its columns joined to ``k_table`` (with a row for k = 1)."""
        gap_init = max(5, self.n_init // 10)  # fewer k-means starts on the reference sets (speed)
        gap = gap_statistic(
            X,
            lambda data, kk: cluster_labels(data, kk, method=self.method, seed=self.seed, n_init=gap_init),
            ks=[1, *ks],
            n_refs=self.gap_refs,
            reference=self.gap_reference,
            seed=self.seed,
        )
        k_table = pd.concat([pd.DataFrame(index=pd.Index([1], name="k")), k_table])
        k_table = k_table.join(gap.table[["gap", "s"]].rename(columns={"s": "gap_se"}))
        k_table["gap_rule"] = [
            bool(gap.table.loc[k, "gap"] >= gap.table.loc[k + 1, "gap"] - gap.table.loc[k + 1, "s"])
            if k + 1 in gap.table.index
            else None
            for k in k_table.index
        ]
        return k_table, gap

    def fit(self, matrix: ContextMatrix) -> TypologyResult:
        """Run PCA, k selection and both clusterings on ``matrix``."""
        ks = self._validate(matrix.n_regions)
        pca = fit_pca(matrix.z, n_components=self.n_components)
        if self.space == "scores":
            space = pca.scores.iloc[:, : pca.n_retained]
        else:
            space = matrix.z
        X = space.to_numpy(dtype=float)
        pressure = matrix.z.mean(axis=1).to_numpy()
        labels = {
            "ward": cluster_labels(X, ks, method="ward"),
            "kmeans": cluster_labels(X, ks, method="kmeans", seed=self.seed, n_init=self.n_init),
        }
        k_table = self._k_table(X, ks, labels)
        gap: GapResult | None = None
        if self.gap_refs > 0:
            k_table, gap = self._with_gap(X, ks, k_table)
        if self.k is not None:
            k, source = int(self.k), "given"
        else:
            k, source = int(k_table[f"silhouette_{self.method}"].dropna().idxmax()), "highest silhouette"
        other = "kmeans" if self.method == "ward" else "ward"
        prim = pd.Series(_relabel(labels[self.method][k], pressure), index=space.index, name="cluster")
        alt = pd.Series(_relabel(labels[other][k], pressure), index=space.index, name="cluster")
        centroids = space.groupby(prim).mean()
        centroids.index.name = "cluster"
        return TypologyResult(
            matrix=matrix,
            pca=pca,
            space=space,
            k=k,
            k_source=source,
            k_table=k_table,
            gap=gap,
            labels=prim,
            labels_other=alt,
            ari=float(adjusted_rand_score(prim, alt)),
            centroids=centroids,
            settings=self.get_params(),
        )


def structure_verdict(result: TypologyResult, stability: pd.DataFrame | None = None) -> tuple[str, dict]:
    """Whether the data show cluster structure, in words generated from the numbers.

    Criteria: the gap statistic's k (k = 1: no structure beyond the reference
    distribution; Tibshirani, Walther and Hastie 2001) and the average silhouette
    of the primary method, read with Kaufman and Rousseeuw's (1990) bands (above
    0.70 strong, 0.51-0.70 reasonable, 0.26-0.50 weak and possibly artificial,
    0.25 or below none). ``stability`` is the variant table of
    :func:`~localise.context.selection.selection_stability` (its ``to_frame()``).

    Returns
    -------
    text, numbers
        A paragraph that states the verdict and its consequence, and the numbers behind it.
    """
    sil = result.k_table[f"silhouette_{result.method}"].dropna()
    numbers: dict = {
        "k": result.k,
        "gap_k": None if result.gap is None else int(result.gap.k),
        "silhouette_min": float(sil.min()),
        "silhouette_max": float(sil.max()),
        "silhouette_k": float(sil.get(result.k, np.nan)),
    }
    band = (
        "strong"
        if sil.max() > 0.70
        else "reasonable"
        if sil.max() > 0.50
        else "weak, possibly artificial"
        if sil.max() > 0.25
        else "none"
    )
    numbers["silhouette_band"] = band
    structure = (numbers["gap_k"] is None or numbers["gap_k"] > 1) and sil.max() > 0.50
    parts = [
        f"Average silhouettes range from {sil.min():.2f} to {sil.max():.2f} "
        f"over k = {sil.index.min()}..{sil.index.max()} "
        f"({band} structure in Kaufman and Rousseeuw's bands)"
        + (
            ""
            if numbers["gap_k"] is None
            else f"; the gap statistic chooses k = {numbers['gap_k']}"
            + (" (no cluster structure beyond the reference distribution)" if numbers["gap_k"] == 1 else "")
        )
        + "."
    ]
    if stability is not None and len(stability):
        years = stability[stability["kind"] == "year"]
        worst = stability.loc[stability["typical_same"].idxmin()]
        numbers["typical_same_min"] = float(worst["typical_same"])
        numbers["typical_same_min_variant"] = str(worst["variant"])
        numbers["proposed_kept_min"] = float(stability["proposed_kept"].min())
        if len(years):
            numbers["typical_same_years"] = {str(v): float(t) for v, t in zip(years["variant"], years["typical_same"])}
        parts.append(
            f"The case selection is {'unstable' if worst['typical_same'] < 0.5 else 'fairly stable'}: in the variant "
            f"'{worst['variant']}' the typical case of only {worst['typical_same']:.0%} of the countries "
            f"is unchanged, and "
            f"as few as {stability['proposed_kept'].min():.0%} of the proposed cases survive a variant."
        )
    if structure:
        parts.append(f"The k = {result.k} clusters can be read as types of regions.")
    else:
        parts.append(
            f"Consequence: the k = {result.k} clusters are a description of where regions lie on the principal "
            "components (a partition of a continuum), not distinct types of regions; they group similar regions "
            "for reading the profiles, and each proposed case needs its own justification."
        )
    numbers["structure"] = bool(structure)
    return " ".join(parts), numbers
