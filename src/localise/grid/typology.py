"""Typology of coded cases: heatmap, Ward clustering, MCA and stability.

Input is a consensus table (one code per case × dimension, see
:func:`localise.grid.coding.consensus`) turned into a cases × dimensions matrix by
:func:`grid_matrix`.

* Hierarchical clustering: Ward's method on Euclidean distances between the 0-3 codes
  (``scipy.cluster.hierarchy``), treating the codes as interval scores, which is a
  modelling choice (docs/methods/grid.md, "Ward clustering"); the cophenetic correlation gives
  the fit of the tree. Ward needs complete data: "not assessable" cells are imputed
  with the dimension's median (``missing="impute_median"``; the number of imputed cells
  is reported) or the dimension is dropped (``missing="drop_dimensions"``).
* Stability: the partition is recomputed with each dimension left out in turn and
  compared with the full partition (adjusted Rand index, cases that change cluster after
  optimal matching of cluster labels).
* Multiple correspondence analysis of the coded configurations with ``prince.MCA``
  (each dimension a categorical variable, "not assessable" its own category "NA");
  Benzécri-corrected inertias are added (docs/methods/grid.md, "Multiple correspondence analysis").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results

__all__ = ["grid_matrix", "heatmap", "WardTypology", "ward_typology", "stability_drop_one", "MCAResult", "mca"]


def grid_matrix(codes: pd.DataFrame, *, dimensions: list[str] | None = None, value: str = "level") -> pd.DataFrame:
    """Cases × dimensions matrix from a long table with case_id, dimension and ``value``.

    Duplicated case × dimension rows are an error (merge coders first with
    :func:`~localise.grid.coding.consensus`).
    """
    needed = {"case_id", "dimension", value}
    if not needed <= set(codes.columns):
        raise InputError(f"codes: expected columns {sorted(needed)}, got {list(codes.columns)}")
    if codes.duplicated(["case_id", "dimension"]).any():
        raise InputError("codes: several rows per case × dimension; build a consensus first")
    matrix = codes.pivot(index="case_id", columns="dimension", values=value)
    if dimensions is not None:
        missing = [d for d in dimensions if d not in matrix.columns]
        if missing:
            raise InputError(f"dimensions: {missing} not in the codes")
        matrix = matrix[dimensions]
    else:
        matrix = matrix[sorted(matrix.columns, key=_dimension_order)]
    matrix = matrix.astype(float)
    matrix.index.name, matrix.columns.name = "case_id", "dimension"
    matrix.attrs.update(codes.attrs)
    return matrix


def _dimension_order(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(name) if ch.isdigit())
    return (int(digits) if digits else 10**6, str(name))


def heatmap(matrix: pd.DataFrame, *, title: str = "Grid codes", ax=None):
    """Annotated cases × dimensions heatmap (0-3; "not assessable" cells hatched grey)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.6 * matrix.shape[1], 1.0 + 0.35 * matrix.shape[0]))
    else:
        fig = ax.figure
    ax.set_facecolor("#d9d9d9")
    sns.heatmap(
        matrix,
        ax=ax,
        vmin=0,
        vmax=3,
        cmap="YlGnBu",
        annot=True,
        fmt=".0f",
        linewidths=0.5,
        cbar_kws={"label": "level (0-3)", "ticks": [0, 1, 2, 3]},
        mask=matrix.isna(),
    )
    for i, j in zip(*np.nonzero(matrix.isna().to_numpy())):
        ax.text(j + 0.5, i + 0.5, "NA", ha="center", va="center", fontsize=7, color="#555555")
    ax.set_title(title)
    ax.set_xlabel("dimension")
    ax.set_ylabel(matrix.index.name or "case")
    fig.tight_layout()
    return fig


def _complete(matrix: pd.DataFrame, missing: str) -> tuple[pd.DataFrame, int, list[str]]:
    if missing not in ("impute_median", "drop_dimensions"):
        raise InputError(f"missing: expected 'impute_median' or 'drop_dimensions', got {missing!r}")
    data = matrix.astype(float)
    all_missing = [c for c in data.columns if data[c].isna().all()]
    data = data.drop(columns=all_missing)
    n_missing = int(data.isna().sum().sum())
    dropped = list(all_missing)
    if missing == "drop_dimensions":
        dropped += [c for c in data.columns if data[c].isna().any()]
        data = data.dropna(axis=1)
        n_imputed = 0
    else:
        data = data.fillna(data.median())
        n_imputed = n_missing
    if data.shape[1] == 0:
        raise InputError("matrix: no dimension left with codes for every case")
    return data, n_imputed, dropped


@dataclass(repr=False)
class WardTypology(Results):
    """Result of :func:`ward_typology`.

    Attributes
    ----------
    labels
        Cluster (1..k) per case.
    linkage
        SciPy linkage matrix.
    cophenetic
        Cophenetic correlation of the tree with the Euclidean distances.
    data
        The complete matrix clustered (after imputation or dropping).
    n_imputed, dropped_dimensions
        What was done with "not assessable" cells.
    k, missing
        Settings.
    """

    labels: pd.Series
    linkage: np.ndarray
    cophenetic: float
    data: pd.DataFrame
    n_imputed: int
    dropped_dimensions: list[str]
    k: int
    missing: str
    attrs: dict = field(default_factory=dict)

    def membership(self, registry: pd.DataFrame | None = None) -> pd.DataFrame:
        """Cluster membership table, one row per case (with name and country from ``registry``)."""
        table = self.labels.rename("cluster").to_frame()
        table["cluster_size"] = table["cluster"].map(table["cluster"].value_counts())
        if registry is not None:
            info = registry.set_index("case_id")[["name", "country"]]
            table = table.join(info)
        table.attrs.update(self.attrs)
        return table

    def profiles(self) -> pd.DataFrame:
        """Mean code per cluster and dimension (on the clustered, completed data)."""
        table = self.data.groupby(self.labels).mean().rename_axis("cluster")
        table.attrs.update(self.attrs)
        return table

    def __post_init__(self) -> None:
        self.synthetic = bool(self.attrs.get("synthetic", False))

    def summary(self) -> str:
        """Cases, dimensions, cluster sizes, cophenetic correlation and the handling of not-assessable cells."""
        text = (
            f"Ward clustering of {len(self.labels)} cases on {self.data.shape[1]} dimensions into k={self.k} "
            f"clusters (sizes {sorted(self.labels.value_counts().tolist(), reverse=True)}); cophenetic correlation "
            f"{self.cophenetic:.3f}; not-assessable cells: {self.n_imputed} imputed by dimension median, "
            f"dimensions dropped: {self.dropped_dimensions or 'none'} (missing={self.missing!r})"
        )
        return "\n".join([text, *self.banner()])

    def to_frame(self) -> pd.DataFrame:
        """Cluster membership, one row per case (see :meth:`membership`)."""
        return self.membership().rename_axis(self.labels.index.name or "case").reset_index()

    def dendrogram(self, *, ax=None, title: str = "Ward dendrogram"):
        """Dendrogram figure with case labels."""
        import matplotlib.pyplot as plt
        from scipy.cluster.hierarchy import dendrogram

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 1.0 + 0.3 * len(self.labels)))
        else:
            fig = ax.figure
        threshold = self.linkage[-(self.k - 1), 2] if self.k > 1 else None
        dendrogram(
            self.linkage,
            labels=list(self.data.index),
            orientation="right",
            ax=ax,
            color_threshold=threshold,
            above_threshold_color="grey",
        )
        ax.set_title(title)
        ax.set_xlabel("Ward distance")
        fig.tight_layout()
        return fig


def ward_typology(
    matrix: pd.DataFrame, *, k: int = 3, missing: Literal["impute_median", "drop_dimensions"] = "impute_median"
) -> WardTypology:
    """Ward hierarchical clustering of cases on their grid codes.

    Parameters
    ----------
    matrix
        Cases × dimensions (0-3, NaN = not assessable).
    k
        Number of clusters cut from the tree.
    missing
        ``"impute_median"`` or ``"drop_dimensions"`` (see module docstring).
    """
    from scipy.cluster.hierarchy import cophenet, fcluster, linkage
    from scipy.spatial.distance import pdist

    if not 1 <= k <= len(matrix):
        raise InputError(f"k: expected 1 <= k <= number of cases ({len(matrix)}), got {k}")
    if len(matrix) < 3:
        raise InputError("matrix: clustering needs at least 3 cases")
    data, n_imputed, dropped = _complete(matrix, missing)
    tree = linkage(data.to_numpy(), method="ward", metric="euclidean")
    distances = pdist(data.to_numpy())
    coph = float(cophenet(tree, distances)[0]) if np.ptp(distances) > 0 else float("nan")
    labels = pd.Series(fcluster(tree, t=k, criterion="maxclust"), index=data.index, name="cluster")
    labels = _relabel_by_first_appearance(labels)
    return WardTypology(labels, tree, coph, data, n_imputed, dropped, k, missing, dict(matrix.attrs))


def _relabel_by_first_appearance(labels: pd.Series) -> pd.Series:
    """Number clusters 1..k in the order their first case appears (deterministic labels)."""
    order = {old: new for new, old in enumerate(pd.unique(labels), start=1)}
    return labels.map(order).astype(int)


def stability_drop_one(
    matrix: pd.DataFrame, *, k: int = 3, missing: Literal["impute_median", "drop_dimensions"] = "impute_median"
) -> pd.DataFrame:
    """Stability of the Ward partition when one dimension is left out.

    Returns
    -------
    pandas.DataFrame
        One row per dropped dimension: ari (adjusted Rand index with the full
        partition), n_moved (cases in another cluster after optimal matching of
        labels), moved (their ids).
    """
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score

    full = ward_typology(matrix, k=k, missing=missing).labels
    rows = []
    for dimension in matrix.columns:
        reduced = matrix.drop(columns=dimension)
        if reduced.shape[1] == 0 or reduced.isna().all().all():
            continue
        labels = ward_typology(reduced, k=k, missing=missing).labels.reindex(full.index)
        table = pd.crosstab(full, labels)
        rows_idx, cols_idx = linear_sum_assignment(-table.to_numpy())
        mapping = {table.columns[c]: table.index[r] for r, c in zip(rows_idx, cols_idx)}
        matched = labels.map(mapping)
        moved = full.index[matched.to_numpy() != full.to_numpy()].tolist()
        rows.append(
            {
                "dropped_dimension": dimension,
                "ari": float(adjusted_rand_score(full, labels)),
                "n_moved": len(moved),
                "moved": ", ".join(map(str, moved)),
            }
        )
    result = pd.DataFrame(rows, columns=["dropped_dimension", "ari", "n_moved", "moved"])
    result.attrs.update({**matrix.attrs, "k": k, "missing": missing})
    return result


@dataclass
class MCAResult:
    """Multiple correspondence analysis of coded configurations.

    Attributes
    ----------
    eigenvalues
        Table per component: principal inertia, % of total inertia, Benzécri-corrected
        inertia and its % (over components with inertia > 1/Q).
    row_coordinates, column_coordinates
        Principal coordinates of cases and of categories (``dimension__code``).
    total_inertia
        (J - Q) / Q for the indicator matrix.
    n_variables, n_categories
        Q and J.
    """

    eigenvalues: pd.DataFrame
    row_coordinates: pd.DataFrame
    column_coordinates: pd.DataFrame
    total_inertia: float
    n_variables: int
    n_categories: int

    def plot(self, *, ax=None, title: str = "MCA of grid configurations"):
        """Biplot of cases (points with labels) on the first two components."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 5))
        else:
            fig = ax.figure
        rows = self.row_coordinates
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.scatter(rows.iloc[:, 0], rows.iloc[:, 1], s=20)
        for name, (x, y) in rows.iloc[:, :2].iterrows():
            ax.annotate(str(name), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        pct = self.eigenvalues["percent"]
        ax.set_xlabel(f"component 1 ({pct.iloc[0]:.1f} % of inertia)")
        ax.set_ylabel(f"component 2 ({pct.iloc[1]:.1f} % of inertia)" if len(pct) > 1 else "component 2")
        ax.set_title(title)
        fig.tight_layout()
        return fig


def mca(configurations: pd.DataFrame, *, n_components: int = 2, seed: int = 0) -> MCAResult:
    """MCA of a cases × variables table of categorical codes with ``prince.MCA``.

    Numeric codes become categories (``"2"``); missing values (not assessable) become
    the category ``"NA"``. Variables with a single category carry no information and
    are dropped.
    """
    import prince

    table = configurations.copy()
    table = table.apply(lambda col: col.map(_category_text)).astype(str)
    informative = [c for c in table.columns if table[c].nunique() > 1]
    table = table[informative]
    q = table.shape[1]
    if q < 2:
        raise InputError("configurations: MCA needs at least two variables with more than one category")
    j = int(sum(table[c].nunique() for c in table.columns))
    max_components = j - q
    n_components = int(min(max(n_components, 2), max_components, len(table) - 1))
    model = prince.MCA(n_components=max(n_components, 2), random_state=seed, engine="sklearn")
    model = model.fit(table)
    eig = np.asarray(model.eigenvalues_, dtype=float)
    total = (j - q) / q
    corrected = np.where(eig > 1 / q, (q / (q - 1)) ** 2 * (eig - 1 / q) ** 2, 0.0)
    eigen = pd.DataFrame(
        {
            "component": np.arange(1, len(eig) + 1),
            "inertia": eig,
            "percent": 100 * eig / total,
            "benzecri_inertia": corrected,
        }
    )
    eigen["benzecri_percent"] = 100 * corrected / corrected.sum() if corrected.sum() > 0 else np.nan
    rows = model.row_coordinates(table)
    rows.columns = [f"c{i + 1}" for i in range(rows.shape[1])]
    cols = model.column_coordinates(table)
    cols.columns = [f"c{i + 1}" for i in range(cols.shape[1])]
    for frame in (eigen, rows, cols):
        frame.attrs.update(configurations.attrs)
    return MCAResult(eigen, rows, cols, total, q, j)


def _category_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "NA"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text else "NA"
