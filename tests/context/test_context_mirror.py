"""Smoke test of the regional typology on the real processed panel built from the data mirror.

The panel is built once into temporary folders (LOCALISE_DATA_RAW / LOCALISE_DATA_PROCESSED)
with the data layer's own ``localise data fetch`` and ``localise data build`` commands.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

import numpy as np
import pytest

from localise.context import LOCALISE_COUNTRIES, MatrixSpec, RegionalTypology, build_matrix, select_cases

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def real_panel(mirror_dir, tmp_path_factory):
    if (
        importlib.util.find_spec("localise.data.build") is None
        or importlib.util.find_spec("localise.data.fetch") is None
    ):
        pytest.skip("the data layer has no fetch/build step yet (localise.data.build / localise.data.fetch)")
    from localise import cli

    root = tmp_path_factory.mktemp("context_real")
    env = {
        "LOCALISE_DATA_MIRROR": str(mirror_dir),
        "LOCALISE_DATA_RAW": str(root / "raw"),
        "LOCALISE_DATA_PROCESSED": str(root / "processed"),
        "LOCALISE_REPORTS": str(root / "reports"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert cli.main(["data", "fetch"]) == 0
        assert cli.main(["data", "build"]) == 0
        from localise.data import load_regional_panel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            panel = load_regional_panel(allow_synthetic=False)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return panel


def test_typology_and_selection_on_real_panel(real_panel):
    assert real_panel.attrs["synthetic"] is False
    matrix = build_matrix(real_panel, MatrixSpec.make())
    assert not matrix.synthetic
    # every LOCALISE country keeps regions with all default indicators (else the summary lists the dropped)
    present = set(matrix.countries)
    assert present == set(LOCALISE_COUNTRIES), matrix.summary()
    assert matrix.n_regions >= 100
    # z-scores: population mean 0 and sd 1 per indicator before orientation
    pop = matrix.treated
    z_all = (pop - matrix.center) / matrix.scale
    np.testing.assert_allclose(z_all.mean(), 0, atol=1e-10)
    np.testing.assert_allclose(z_all.std(ddof=1), 1, rtol=1e-10)
    # the matrix's cells are period means of the panel rows (FR10 = Ile-de-France, unemployment rate, total)
    rows = real_panel[
        (real_panel["geo"] == "FR10")
        & (real_panel["indicator"] == "unemployment_rate")
        & (real_panel["sex"] == "T")
        & real_panel["year"].between(2011, 2013)
    ]
    assert matrix.raw.loc["FR10", "unemployment_rate"] == pytest.approx(rows["value"].mean())
    result = RegionalTypology(n_init=10, gap_refs=10, k_range=range(2, 7), seed=0).fit(matrix)
    assert 2 <= result.k <= 6 and 1 <= result.gap.k <= 6
    assert 0 <= result.ari <= 1
    selection = select_cases(result, n_cases=3)
    proposed = selection.selected("proposed")
    for country in LOCALISE_COUNTRIES:
        assert len(proposed[country]) == 3
        assert all(matrix.countries[g] == country for g in proposed[country])
    assert "selection proposed by localise" in selection.summary()
