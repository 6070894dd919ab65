"""Typology: Ward clustering, drop-one stability, MCA.

External/analytical references:
* Correspondence analysis engine (prince.CA, used by prince.MCA): Greenacre's smoking data
  (5 staff groups × 4 smoking categories; Greenacre 1984, also R package ``ca``, data
  ``smoke``): principal inertias 0.074759, 0.010017 (total 0.085190).
* MCA: principal inertias equal the squared singular values of the standardised residual
  matrix of the indicator matrix (hand computation with numpy.linalg.svd), and their full
  sum is (J - Q) / Q (docs/methods/grid.md, "Multiple correspondence analysis").
* Ward: two groups planted far apart must be recovered exactly (analytical).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.grid.typology import grid_matrix, heatmap, mca, stability_drop_one, ward_typology


def planted_matrix() -> pd.DataFrame:
    rows = {
        "a1": [0, 0, 1, 0, 1],
        "a2": [0, 1, 0, 0, 0],
        "a3": [1, 0, 0, 1, 0],
        "b1": [3, 3, 2, 3, 3],
        "b2": [3, 2, 3, 3, 2],
        "b3": [2, 3, 3, 2, 3],
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"G{i}" for i in range(1, 6)], dtype=float)


def test_ward_recovers_planted_groups_and_is_stable():
    result = ward_typology(planted_matrix(), k=2)
    assert result.labels.to_dict() == {"a1": 1, "a2": 1, "a3": 1, "b1": 2, "b2": 2, "b3": 2}
    assert result.cophenetic > 0.9
    stability = stability_drop_one(planted_matrix(), k=2)
    assert list(stability["dropped_dimension"]) == [f"G{i}" for i in range(1, 6)]
    assert (stability["ari"] == 1.0).all() and (stability["n_moved"] == 0).all()
    assert "cophenetic" in result.summary()


def test_missing_cells_imputed_or_dropped():
    matrix = planted_matrix()
    matrix.loc["a1", "G2"] = np.nan
    imputed = ward_typology(matrix, k=2)
    # G2 of the other cases is 1, 0, 3, 2, 3: median 2
    assert imputed.n_imputed == 1 and imputed.data.loc["a1", "G2"] == 2.0
    dropped = ward_typology(matrix, k=2, missing="drop_dimensions")
    assert dropped.dropped_dimensions == ["G2"] and "G2" not in dropped.data.columns
    with pytest.raises(InputError):
        ward_typology(matrix, k=10)


def test_grid_matrix_and_heatmap():
    long = planted_matrix().stack().rename("level").reset_index()
    long.columns = ["case_id", "dimension", "level"]
    matrix = grid_matrix(long)
    assert matrix.shape == (6, 5)
    fig = heatmap(matrix)
    assert fig.axes
    with pytest.raises(InputError, match="consensus"):
        grid_matrix(pd.concat([long, long]))


def test_prince_ca_reproduces_greenacre_smoke():
    import prince

    smoke = pd.DataFrame(
        [[4, 2, 3, 2], [4, 3, 7, 4], [25, 10, 12, 4], [18, 24, 33, 13], [10, 6, 7, 2]],
        index=["SM", "JM", "SE", "JE", "SC"],
        columns=["none", "light", "medium", "heavy"],
    )
    model = prince.CA(n_components=2, random_state=0).fit(smoke)
    assert np.asarray(model.eigenvalues_) == pytest.approx([0.074759, 0.010017], abs=5e-6)
    assert model.total_inertia_ == pytest.approx(0.085190, abs=5e-6)


def test_mca_matches_svd_of_indicator_matrix():
    configurations = planted_matrix()
    configurations["MODE"] = ["hierarchical", "market", "market", "network", "network", "hierarchical"]
    configurations.loc["a2", "G3"] = np.nan  # becomes category NA
    result = mca(configurations, n_components=3)
    # hand computation
    z = pd.get_dummies(configurations.apply(lambda c: c.map(lambda v: "NA" if pd.isna(v) else str(v)))).to_numpy(float)
    p = z / z.sum()
    r, c = p.sum(axis=1), p.sum(axis=0)
    s = (p - np.outer(r, c)) / np.sqrt(np.outer(r, c))
    sigma = np.linalg.svd(s, compute_uv=False)
    q, j = configurations.shape[1], z.shape[1]
    assert (sigma**2).sum() == pytest.approx((j - q) / q)
    assert result.total_inertia == pytest.approx((j - q) / q)
    assert result.eigenvalues["inertia"].to_numpy() == pytest.approx(sigma[:3] ** 2, rel=1e-6)
    assert result.row_coordinates.shape == (6, 3)
    assert result.plot().axes
