"""Hand-worked and brute-force checks of the QCA engine (no R needed).

Expected values come from analytical results (logistic anchors, Boolean identities,
textbook charts) or from exhaustive brute force over all 3^k terms / all PI subsets.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.qca import _engine, calibrate, grid_codes_to_fuzzy, minimize, necessity, pof, truth_table
from localise.qca.robustness import robustness


# ------------------------------------------------------------------ calibration
def test_logistic_anchors_analytic():
    x = np.array([350.0, 550.0, 900.0])
    with pytest.warns(UserWarning, match="0.5"):
        v = calibrate(x, thresholds="e=350, c=550, i=900")
    assert v == pytest.approx([0.05, 0.5, 0.95], abs=1e-12)
    v = calibrate(x, thresholds={"e": 350, "c": 550, "i": 900}, idm=0.99, warn_half=False)
    assert v == pytest.approx([0.01, 0.5, 0.99], abs=1e-12)
    # decreasing: i < c < e
    d = calibrate(np.array([900.0, 550.0, 350.0]), thresholds="e=900, c=550, i=350", warn_half=False)
    assert d == pytest.approx([0.05, 0.5, 0.95], abs=1e-12)
    # log-odds are linear in x on each side: halfway between c and i -> logit = L/2
    h = calibrate(np.array([725.0]), thresholds="e=350, c=550, i=900")[0]
    assert math.log(h / (1 - h)) == pytest.approx(math.log(19) / 2)


def test_crisp_and_linear_and_bell():
    assert calibrate([1, 5, 5.0, 9], type="crisp", thresholds=5).tolist() == [0, 1, 1, 1]
    assert calibrate([1, 5, 7, 9], type="crisp", thresholds=[7, 5]).tolist() == [0, 1, 2, 2]
    lin = calibrate(
        np.array([0.0, 10, 15, 20, 30, 40, 50]), thresholds="e=10, c=20, i=40", logistic=False, warn_half=False
    )
    assert lin == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1, 1])
    conv = calibrate(np.array([15.0]), thresholds="e=10, c=20, i=40", logistic=False, below=2)
    assert conv == pytest.approx([0.125])  # ((15-10)/10)^2 / 2
    bell = calibrate(
        np.array([0.0, 1, 2, 3, 4, 5, 6, 7]), thresholds=[0, 1, 2, 5, 6, 7], logistic=False, warn_half=False
    )
    assert bell == pytest.approx([0, 0.5, 1, 1, 1, 1, 0.5, 0])


def test_ecdf_calibration_follows_r():
    # R: F = empirical CDF of the values between the lowest and the highest anchor
    # (here 2..8, seven values); F(x) / F(c) / 2 below c, 1 - (1 - F(x)) / (1 - F(c)) / 2 above
    x = np.arange(1.0, 11.0)
    v = calibrate(x, thresholds="e=2, c=5, i=8", logistic=False, ecdf=True, warn_half=False)
    f = {2: 1 / 7, 3: 2 / 7, 4: 3 / 7, 5: 4 / 7, 6: 5 / 7, 7: 6 / 7, 8: 1.0}
    expected = (
        [0, 0] + [f[k] / f[5] / 2 for k in (3, 4, 5)] + [1 - (1 - f[k]) / (1 - f[5]) / 2 for k in (6, 7, 8)] + [1, 1]
    )
    assert v == pytest.approx(expected)
    # decreasing set (i < c < e): mirrored
    d = calibrate(x, thresholds="e=8, c=5, i=2", logistic=False, ecdf=True, warn_half=False)
    assert d[[3, 4, 5, 6]] == pytest.approx(
        [1 - f[4] / f[5] / 2, 0.5, (1 - f[6]) / (1 - f[5]) / 2, (1 - f[7]) / (1 - f[5]) / 2]
    )


def test_direct_memberships_are_clamped_and_six_anchors_are_piecewise():
    # R sets direct memberships below 0.0001 to 0 and above 0.9999 to 1
    x = np.array([-200.0, 0.0, 1800.0])
    raw = 1 / (1 + np.exp(-(x - 550) * math.log(19) / np.where(x >= 550, 350, 200)))
    assert raw[0] < 1e-4 < raw[1] and raw[2] > 1 - 1e-4
    v = calibrate(x, thresholds="e=350, c=550, i=900")
    assert v.tolist() == [0.0, pytest.approx(raw[1]), 1.0]
    # with six anchors R ignores logistic: the default call gives the piecewise bell
    bell = calibrate(np.array([0.5, 1.5, 6.5]), thresholds=[0, 1, 2, 5, 6, 7])
    assert bell == pytest.approx([0.25, 0.75, 0.25])


def test_tfr_and_grid_codes():
    v = calibrate(np.array([1.0, 2, 3, 4, 5]), method="TFR", warn_half=False)
    assert v == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    # R's TFR anchors the scale at 1: max(0, (F(x) - F(1)) / (1 - F(1))); F(1) = 0.4 here
    z = calibrate(np.array([0.0, 1, 2, 3, 4]), method="TFR", warn_half=False)
    assert z == pytest.approx([0, 0, 1 / 3, 2 / 3, 1])
    assert grid_codes_to_fuzzy([0, 1, 2, 3, np.nan])[:4] == pytest.approx([0, 0.33, 0.67, 1])
    with pytest.raises(InputError, match="codes"):
        grid_codes_to_fuzzy([0, 4])


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"thresholds": "e=5, c=2, i=9"}, "thresholds"),
        ({"thresholds": "e=1, c=2, i=3", "idm": 0.4}, "idm"),
        ({"thresholds": "a=1, b=2"}, "thresholds"),
        ({"type": "fuzzy", "method": "indirect", "thresholds": "e=1, c=2, i=3"}, "method"),
    ],
)
def test_calibration_bad_input(kwargs, word):
    with pytest.raises(InputError, match=word):
        calibrate(np.array([1.0, 2.0]), **kwargs)


# ------------------------------------------------------------------ truth table
def _crisp_frame(rows, names):
    return pd.DataFrame(rows, columns=names, index=[f"c{i}" for i in range(len(rows))])


def test_row_numbering_and_fuzzy_sums():
    names = ["DEV", "URB", "LIT", "IND", "STB", "Y"]
    df = _crisp_frame([[1, 0, 1, 0, 1, 1], [0, 0, 0, 0, 0, 0]], names)
    tt = truth_table(df, "Y")
    assert sorted(tt.observed.index) == [1, 22]  # README: DEV=1,URB=0,LIT=1,IND=0,STB=1 is row 22
    # fuzzy: two cases, one condition; incl over ALL cases
    f = pd.DataFrame({"A": [0.8, 0.3], "Y": [0.6, 0.9]}, index=["a", "b"])
    t = truth_table(f, "Y", incl_cut=0.5)
    row2 = t.observed.loc[2]  # A = 1
    # row membership: 0.8, 0.3; incl = (0.6 + 0.3) / 1.1
    assert row2["incl"] == pytest.approx(0.9 / 1.1)
    ny = np.minimum([0.6, 0.9], [0.4, 0.1])
    s_xyn = np.minimum(np.minimum([0.8, 0.3], [0.6, 0.9]), ny).sum()
    assert row2["PRI"] == pytest.approx((0.9 - s_xyn) / (1.1 - s_xyn))
    assert row2["n"] == 1 and row2["cases"] == ["a"]


def test_two_inclusion_cuts_and_n_cut():
    df = _crisp_frame([[1, 1], [1, 1], [1, 1], [1, 0], [0, 0]], ["A", "Y"])  # row A=1: incl 0.75
    assert truth_table(df, "Y", incl_cut=[0.8, 0.7]).observed.loc[2, "OUT"] == "C"
    assert truth_table(df, "Y", incl_cut=0.75).observed.loc[2, "OUT"] == "1"
    assert truth_table(df, "Y", n_cut=2).observed.loc[1, "OUT"] == "?"


@pytest.mark.parametrize(
    "frame, kwargs, word",
    [
        (pd.DataFrame({"A": [0, 1], "Y": [0, 1]}), {"outcome": "Y", "conditions": ["A", "Y"]}, "conditions"),
        (pd.DataFrame({"A": [0.2, 1.3], "Y": [0, 1]}), {"outcome": "Y"}, "outside"),
        (pd.DataFrame({"A": [0.5, 0.7], "Y": [0, 1]}), {"outcome": "Y"}, "0.5"),
        (pd.DataFrame({"A": [0, -1], "Y": [0, 1]}), {"outcome": "Y"}, "negative"),
        (pd.DataFrame({"A": [0, 1], "Y": [0, 1]}), {"outcome": "Z"}, "outcome"),
        (pd.DataFrame({"A": [0, 1], "Y": [0, 1]}), {"outcome": "Y", "incl_cut": [0.7, 0.8]}, "incl_cut"),
        (pd.DataFrame({f"X{i}": [0, 1] for i in range(31)} | {"Y": [0, 1]}), {"outcome": "Y"}, "conditions"),
    ],
)
def test_truth_table_bad_input(frame, kwargs, word):
    with pytest.raises(InputError, match=word):
        truth_table(frame, **kwargs)


# ------------------------------------------------------------------ minimisation
def _table_from_function(k, positives, negatives):
    rows, names = [], [chr(65 + i) for i in range(k)]
    for y, group in ((1, positives), (0, negatives)):
        for r in group:
            bits = [(r >> (k - 1 - j)) & 1 for j in range(k)]
            rows.append(bits + [y])
    return _crisp_frame(rows, names + ["Y"])


def _models(sol):
    return {frozenset(m) for m in sol.models}


def test_boolean_identities():
    # f = A*B + ~C over all 8 rows (no remainders)
    k = 3
    f = {r for r in range(8) if ((r >> 2) & 1 and (r >> 1) & 1) or not (r & 1)}
    tt = truth_table(_table_from_function(k, f, set(range(8)) - f), "Y")
    assert _models(minimize(tt)) == {frozenset({"A*B", "~C"})}
    # XOR cannot be simplified
    x = {1, 2}
    tt = truth_table(_table_from_function(2, x, {0, 3}), "Y")
    assert _models(minimize(tt)) == {frozenset({"~A*B", "A*~B"})}


def test_cyclic_chart_has_two_minimal_models():
    # textbook cyclic core: f = m(0,1,2,5,6,7) has exactly two minimal sums of 3 terms
    f = {0, 1, 2, 5, 6, 7}
    tt = truth_table(_table_from_function(3, f, {3, 4}), "Y")
    assert _models(minimize(tt)) == {frozenset({"~A*~B", "B*~C", "A*C"}), frozenset({"~A*~C", "~B*C", "A*B"})}
    sol = minimize(tt)
    assert len(sol.prime_implicants) == 6 and sol.essential == []
    # all irredundant covers: the six PIs form a 6-cycle over the minterms (0-1-5-7-6-2-0);
    # its irredundant edge covers are the 2 perfect matchings and the 3 sets of 4 edges
    # that leave out one pair of opposite edges (5 in all)
    assert _models(minimize(tt, all_sol=True)) == {
        frozenset({"~A*~B", "B*~C", "A*C"}),
        frozenset({"~A*~C", "~B*C", "A*B"}),
        frozenset({"~A*~B", "~A*~C", "A*B", "A*C"}),
        frozenset({"~A*~B", "~B*C", "A*B", "B*~C"}),
        frozenset({"~A*~C", "~B*C", "A*C", "B*~C"}),
    }


def test_parsimonious_uses_remainders_and_exclude():
    # positives 11x, negatives 00x; rows 01x/10x are remainders
    tt = truth_table(_table_from_function(3, {6, 7}, {0, 1}), "Y")
    assert _models(minimize(tt)) == {frozenset({"A*B"})}
    assert _models(minimize(tt, include="?")) == {frozenset({"A"}), frozenset({"B"})}
    assert _models(minimize(tt, include="?", exclude=[5, 6])) == {frozenset({"B"})}  # rows 100,101 excluded
    with pytest.raises(InputError, match="dir_exp"):
        minimize(tt, include="?", dir_exp="A, Z")


def test_nothing_left_to_minimise_is_refused_as_in_r():
    # R_ERRORS.md situation 1: the only observed rows are positive (everything else is a
    # remainder); R's minimize() stops ("All truth table configurations are used")
    tt = truth_table(_table_from_function(2, {3}, set()), "Y")
    with pytest.raises(InputError, match="All truth table configurations are used"):
        minimize(tt, include="?")
    # every configuration observed and positive: refused also for the conservative solution
    full = truth_table(_table_from_function(2, {0, 1, 2, 3}, set()), "Y")
    with pytest.raises(InputError, match="All truth table configurations are used"):
        minimize(full)


def _inside(cube, config):
    """Pure-Python containment: the cube's fixed values all agree with the configuration."""
    return all(c == -1 or c == v for c, v in zip(cube, config))


def _brute_primes(k, pos, forb):
    """Every cube that avoids ``forb``, meets ``pos`` and cannot be enlarged (by enumeration)."""
    pos, forb = [tuple(p) for p in pos], [tuple(f) for f in forb]

    def clean(cube):
        return not any(_inside(cube, f) for f in forb)

    primes = set()
    for cube in itertools.product([-1, 0, 1], repeat=k):
        if not clean(cube) or not any(_inside(cube, p) for p in pos):
            continue
        enlargements = [cube[:j] + (-1,) + cube[j + 1 :] for j in range(k) if cube[j] != -1]
        if not any(clean(bigger) for bigger in enlargements):
            primes.add(cube)
    return primes


def _random_status(rng, n):
    """Positive (1), negative (0) or remainder (2) per configuration, with at least one
    positive and one negative configuration (other draws are rejected)."""
    for _ in range(100):
        status = rng.choice([0, 1, 2], size=n, p=[0.35, 0.35, 0.3])
        if (status == 1).any() and (status == 0).any():
            return status
    raise AssertionError("the generator drew no usable table in 100 attempts")


@pytest.mark.parametrize("seed", range(12))
def test_prime_implicants_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 6))
    configs = np.array(list(itertools.product([0, 1], repeat=k)))
    status = _random_status(rng, len(configs))
    pos, forb = configs[status == 1], configs[status == 0]
    assert len(pos) > 0 and len(forb) > 0
    expected = _brute_primes(k, pos, forb)
    assert expected, "the oracle found no prime implicant although there are positive rows"
    cubes, indptr, indices = _engine.primes_from_forbidden(pos, forb, [2] * k)
    assert {tuple(int(v) for v in c) for c in cubes} == expected
    for i, c in enumerate(cubes):
        expect = [r for r, p in enumerate(pos) if _inside(tuple(c), tuple(p))]
        assert sorted(indices[indptr[i] : indptr[i + 1]].tolist()) == expect
    # conservative primes: brute force with everything not positive forbidden
    allowed = _engine.primes_from_allowed(pos, [2] * k)
    others = configs[status != 1]
    assert {tuple(int(v) for v in c) for c in allowed} == _brute_primes(k, pos, others)


@pytest.mark.parametrize("seed", range(10))
def test_chart_solver_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    n_pi, n_cols = int(rng.integers(3, 9)), int(rng.integers(2, 7))
    cov = rng.random((n_pi, n_cols)) < 0.4
    for c in range(n_cols):
        if not cov[:, c].any():
            cov[rng.integers(n_pi), c] = True
    indptr = np.r_[0, np.cumsum(cov.sum(1))]
    indices = np.nonzero(cov)[1]
    covers = [
        s for r in range(1, n_pi + 1) for s in itertools.combinations(range(n_pi), r) if cov[list(s)].any(0).all()
    ]
    m = min(len(s) for s in covers)
    assert set(_engine.solve_chart(indptr, indices, n_cols)) == {s for s in covers if len(s) == m}
    irredundant = {s for s in covers if all(not cov[[j for j in s if j != i]].any(0).all() for i in s)}
    assert set(_engine.solve_chart(indptr, indices, n_cols, all_sol=True)) == irredundant


def test_row_dominance_drops_dominated_implicants():
    cov = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    indptr = np.r_[0, np.cumsum(cov.sum(1))]
    indices = np.nonzero(cov)[1]
    assert set(_engine.solve_chart(indptr, indices, 3)) == {(0, 2), (1, 2), (0, 3)}
    assert set(_engine.solve_chart(indptr, indices, 3, row_dom=True)) == {(0, 2)}


def test_row_dominance_keeps_implicants_of_equal_coverage():
    # R's row.dom removes only strictly dominated implicants: A and B cover the same
    # column set, so both stay and give two models; C (a proper subset of A) goes
    cov = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)
    indptr = np.r_[0, np.cumsum(cov.sum(1))]
    indices = np.nonzero(cov)[1]
    assert _engine.strictly_dominated(indptr, indices, 3).tolist() == [False, False, True, False]
    assert set(_engine.solve_chart(indptr, indices, 3, row_dom=True)) == {(0, 3), (1, 3)}


def _intermediate_by_parsimonious(sol):
    return {tuple(i.parsimonious_terms): i for i in sol.intermediate}


def test_conjunctural_directional_expectations():
    # one positive row ~A*~B*C (row 2) and one negative ~A*B*~C (row 3): parsimonious
    # models C and ~B, conservative ~A*~B*C. Worked by hand with R's rule (C_getEC):
    # an expectation on the conjunction A=0 and B=1 frees A and B from the conservative
    # term under C (A agrees, B does not), so every remainder in C is easy (rows 4, 6, 8);
    # the same literals as separate expectations free only B (A agrees): row 4.
    df = _crisp_frame([[0, 0, 1, 1], [0, 1, 0, 0]], ["A", "B", "C", "Y"])
    tt = truth_table(df, "Y")
    joint = _intermediate_by_parsimonious(minimize(tt, include="?", dir_exp="~A*B"))
    assert set(joint) == {("C",), ("~B",)}
    assert joint[("C",)].easy_counterfactuals == [4, 6, 8]
    assert joint[("C",)].models == [["C"]]
    # under ~B the conjunction's only free condition, A, takes its expected value: no EC
    assert joint[("~B",)].easy_counterfactuals == [] and joint[("~B",)].models == [["~A*~B*C"]]
    single = _intermediate_by_parsimonious(minimize(tt, include="?", dir_exp=["~A", "B"]))
    assert single[("C",)].easy_counterfactuals == [4]
    assert single[("C",)].difficult_counterfactuals == [6, 8]
    assert single[("C",)].models == [["~A*C"]]
    with pytest.raises(InputError, match="dir_exp"):
        minimize(tt, include="?", dir_exp="A*Z")


def test_multivalue_notation():
    df = pd.DataFrame({"A": [0, 1, 2, 2], "B": [0, 1, 0, 1], "Y": [0, 0, 1, 1]}, index=list("abcd"))
    sol = minimize(truth_table(df, "Y"), include="?")
    assert _models(sol) == {frozenset({"A[2]"})}


def test_results_objects_print_and_export():
    f = {0, 1, 2, 5, 6, 7}
    sol = minimize(truth_table(_table_from_function(3, f, {3, 4}), "Y"))
    text = str(sol)
    assert "M1:" in text and "M2:" in text and "inclS" in text
    frame = sol.to_frame()
    assert {"model", "term", "inclS", "covU"} <= set(frame.columns)
    assert "tabular" in sol.to_latex()
    assert list(sol.pi_chart.columns) == sol.positive_rows


def test_results_share_the_results_base():
    import localise.qca
    from localise.results import Results

    df = _table_from_function(3, {0, 1, 2, 5, 6, 7}, {3, 4})
    tt = truth_table(df, "Y")
    results = [tt, minimize(tt), pof("A*B + ~C", "Y", df, relation="sufficiency"), necessity(df, "Y")]
    for result in results:
        assert isinstance(result, Results)
        assert repr(result) == str(result) == result.summary()
        assert result._repr_html_().startswith("<pre>")
        latex = result.to_latex(caption="Table")
        assert r"\caption{Table}" in latex and "tabular" in latex
    # one public spelling: R's
    assert "minimize" in localise.qca.__all__ and "minimise" not in localise.qca.__all__


# ------------------------------------------------------------------ fit and necessity
def test_pof_and_necessity_hand_values():
    df = pd.DataFrame({"A": [1.0, 0.6, 0.2], "Y": [0.8, 0.7, 0.1]}, index=list("abc"))
    suf = pof("A", "Y", df, relation="sufficiency").table.iloc[0]
    assert suf["inclS"] == pytest.approx((0.8 + 0.6 + 0.1) / 1.8)
    assert suf["covS"] == pytest.approx(1.5 / 1.6)
    nec = necessity(df, "Y").table.set_index("term")
    assert nec.loc["A", "inclN"] == pytest.approx(1.5 / 1.6)
    assert nec.loc["A", "RoN"] == pytest.approx((0 + 0.4 + 0.8) / (0.2 + 0.4 + 0.9))
    assert nec.loc["~A", "covN"] == pytest.approx((0 + 0.4 + 0.1) / 1.2)


def test_robustness_grid(qca_reference_dir):
    from localise.qca.datasets import load_dataset

    lr = load_dataset("LR", record=False)
    lc = load_dataset("LC", record=False)
    data = lc[["URB", "LIT", "IND", "STB", "SURV"]].copy()
    data["DEV"] = lr["DEV"]
    res = robustness(
        data,
        "SURV",
        ["DEV", "URB", "LIT", "IND", "STB"],
        anchors={"DEV": "e=350, c=550, i=900"},
        anchor_shifts=[-0.05, 0.0, 0.05],
        incl_cuts=[1.0, 0.9],
        include="?",
    )
    t = res.to_frame()
    assert len(t) == 6 and t["error"].isna().all()
    base = t[(t.anchor_shift == 0) & (t.incl_cut == 1.0)].iloc[0]
    assert base["same_solution"] and base["cases_jaccard"] == 1.0
    assert "Robustness over 6 settings" in res.summary()


def test_xy_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from localise.qca.plots import xy_plot

    ax = xy_plot([0.1, 0.6, 0.9], [0.2, 0.7, 0.95], labels=list("abc"), title="t")
    assert ax.get_title() == "t"
    plt.close("all")
    with pytest.raises(InputError):
        xy_plot([0.1, 1.2], [0.2, 0.3])


def test_too_many_conditions_for_parsimonious_search():
    with pytest.raises(InputError, match="conditions"):
        _engine.primes_from_forbidden(np.zeros((1, 25), dtype=int), np.ones((1, 25), dtype=int), [2] * 25)


def test_no_positive_rows_is_an_error():
    tt = truth_table(_table_from_function(2, set(), {0, 1}), "Y")
    with pytest.raises(InputError, match="positive"):
        minimize(tt)
