"""Chunked replications of the uncertainty analysis: checks against scipy and invariants.

The replications share the leaf power-mean terms across a chunk (issue 15, linear
scaling); these tests check that shortcut against ``scipy.stats.pmean`` and
``scipy.stats.rankdata``, and that the chunking never changes a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from localise.indicators import Framework, methods
from localise.indicators.uncertainty import UncertaintyAnalysis, _leaf_level, _ranks

SPEC = {
    "name": "toy",
    "levels": ["indicator", "component", "index"],
    "normalisation": "minmax",
    "aggregation": {"index": {"method": "power", "order": 0.5}},
    "nodes": [
        {"id": "idx", "level": "index"},
        {"id": "c1", "level": "component", "parent": "idx"},
        {"id": "c2", "level": "component", "parent": "idx"},
    ],
    "indicators": [{"id": f"x{i}", "parent": "c1" if i < 3 else "c2", "direction": "higher"} for i in range(6)],
}


@pytest.mark.parametrize("order", [1.0, 0.5, 0.0, -1.0])
def test_leaf_level_equals_scipy_weighted_power_mean(order):
    rng = np.random.default_rng(1)
    variants = rng.uniform(0.5, 100.0, size=(2, 7, 6))
    membership = np.zeros((6, 2))
    membership[:3, 0] = membership[3:, 1] = 1.0
    vidx = np.array([0, 1, 1, 0, 1])
    weights = rng.uniform(0.1, 1.0, size=(5, 6))
    out = _leaf_level(variants, vidx, weights, membership, np.full(5, order), min_coverage=0.0)
    for r, v in enumerate(vidx):
        for parent, cols in enumerate((slice(0, 3), slice(3, 6))):
            expected = stats.pmean(variants[v][:, cols], order, axis=1, weights=weights[r, cols])
            np.testing.assert_allclose(out[r, :, parent], expected, rtol=1e-12)


def test_leaf_level_equals_aggregate_level_with_missing_values_and_mixed_orders():
    """Same numbers, to the bit, as aggregating a per-replication copy of the leaves."""
    rng = np.random.default_rng(2)
    variants = rng.uniform(0.0, 1.0, size=(3, 40, 6))
    variants[rng.random(variants.shape) < 0.15] = np.nan
    membership = np.zeros((6, 2))
    membership[:3, 0] = membership[3:, 1] = 1.0
    vidx = rng.integers(0, 3, 60)
    orders = rng.choice([0.0, 0.5, 1.0], 60)
    weights = rng.uniform(0.0, 1.0, size=(60, 6))
    weights[::7, 2] = 0.0  # a left-out leaf
    fast = _leaf_level(variants, vidx, weights, membership, orders, min_coverage=0.6)
    slow, _ = methods.aggregate_level(variants[vidx], weights, membership, orders, min_coverage=0.6)
    assert np.isnan(slow).any()  # the coverage rule is exercised
    assert np.array_equal(fast, slow, equal_nan=True)


def test_ranks_are_a_permutation_matching_scipy_ordinal_ranks():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(20, 50))
    scores[:, 10] = scores[:, 11]  # ties: ordinal, first position wins
    ranks = _ranks(scores)
    expected = np.stack([stats.rankdata(-row, method="ordinal") for row in scores])
    assert np.array_equal(ranks, expected)
    assert (np.sort(ranks, axis=1) == np.arange(1, 51)).all()


def test_chunk_size_does_not_change_any_result():
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        rng.uniform(10, 90, size=(25, 6)), columns=[f"x{i}" for i in range(6)], index=[f"u{i:02d}" for i in range(25)]
    )
    data.iloc[3, 2] = np.nan
    fw = Framework.from_dict(SPEC)
    kw = dict(normalisations=("minmax", "rank"), imputations=("none", "mean"), n_replications=400, seed=6)
    small = UncertaintyAnalysis(fw, chunk_size=7, **kw).run(data)
    whole = UncertaintyAnalysis(fw, chunk_size=10_000, **kw).run(data)
    assert np.array_equal(small.scores, whole.scores, equal_nan=True)
    assert np.array_equal(small.ranks, whole.ranks, equal_nan=True)
    pd.testing.assert_frame_equal(small.sobol, whole.sobol)
    assert small.design["excluded"].dropna().isin(fw.indicators).all()
