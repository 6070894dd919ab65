"""Reliability statistics against published worked examples.

Expected values and their origin:

* Krippendorff, K. (2011), "Computing Krippendorff's alpha-reliability", worked example
  (4 coders × 12 units, values 1-5, unit 12 coded once): n = 40 pairable values;
  alpha nominal = 0.743, ordinal = 0.815, interval = 0.849 (three decimals as published).
* Fleiss' kappa: 10 subjects × 14 raters × 5 categories example of the Wikipedia article
  "Fleiss' kappa" (also used in statsmodels' test-suite): P-bar = 0.378, P_e = 0.213,
  kappa = 0.210. Fleiss (1971) psychiatric diagnoses, 30 subjects × 6 raters: kappa = 0.430.
* Cohen's kappa: 2 × 2 example of the Wikipedia article "Cohen's kappa" (50 proposals,
  Yes/Yes 20, Yes/No 5, No/Yes 10, No/No 15): p_o = 0.70, p_e = 0.50, kappa = 0.40.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.grid.problems import ProblemCollector
from localise.grid.reliability import (
    alpha_by,
    cohens_kappa,
    cohens_kappa_table,
    fleiss_kappa,
    fleiss_kappa_table,
    interpret_alpha,
    krippendorff_alpha,
)

NAN = np.nan
K2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
}


def k2011_long() -> pd.DataFrame:
    rows = [
        {"unit": u + 1, "coder": coder, "value": v} for coder, values in K2011.items() for u, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_2011_worked_example(level, expected):
    result = krippendorff_alpha(k2011_long(), unit="unit", coder="coder", value="value", level=level)
    assert result.alpha == pytest.approx(expected, abs=5e-4)
    assert result.n_pairable_values == 40  # unit 12 drops out
    assert result.n_units == 11
    assert result.n_coders == 4
    assert result.level == level


def test_missing_rows_equal_nan_rows():
    full = k2011_long()
    dropped = full.dropna(subset=["value"])
    a = krippendorff_alpha(full, unit="unit", coder="coder", value="value", level="ordinal").alpha
    b = krippendorff_alpha(dropped, unit="unit", coder="coder", value="value", level="ordinal").alpha
    assert a == b


def test_nominal_accepts_labels():
    data = k2011_long().dropna()
    data["value"] = data["value"].map({1: "a", 2: "b", 3: "c", 4: "d", 5: "e"})
    result = krippendorff_alpha(data, unit="unit", coder="coder", value="value", level="nominal")
    assert result.alpha == pytest.approx(0.743, abs=5e-4)


def test_bootstrap_interval_deterministic_and_covers_estimate():
    data = k2011_long()
    r1 = krippendorff_alpha(data, unit="unit", coder="coder", value="value", level="ordinal", n_boot=300, seed=7)
    r2 = krippendorff_alpha(data, unit="unit", coder="coder", value="value", level="ordinal", n_boot=300, seed=7)
    assert (r1.ci_low, r1.ci_high) == (r2.ci_low, r2.ci_high)
    assert r1.ci_low < r1.alpha < r1.ci_high <= 1.0
    assert "bootstrap" in r1.summary()


def test_perfect_agreement_and_undefined():
    data = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ABABAB"), "value": [0, 0, 3, 3, 1, 1]})
    assert krippendorff_alpha(data, unit="unit", coder="coder", value="value").alpha == pytest.approx(1.0)
    constant = data.assign(value=2)
    assert np.isnan(krippendorff_alpha(constant, unit="unit", coder="coder", value="value").alpha)
    assert interpret_alpha(float("nan")) == "undefined"


def test_alpha_by_groups_overall_and_flag():
    good = k2011_long().assign(dimension="G1")
    # G2: coder B disagrees systematically -> low alpha
    bad = k2011_long().assign(dimension="G2")
    bad.loc[bad["coder"] == "B", "value"] = 6 - bad.loc[bad["coder"] == "B", "value"]
    table = alpha_by(pd.concat([good, bad]), by="dimension", unit="unit", coder="coder", value="value", level="ordinal")
    assert list(table["dimension"]) == ["G1", "G2", "overall"]
    assert table.loc[0, "alpha"] == pytest.approx(0.815, abs=5e-4)
    assert table.loc[0, "flag_unreliable"] == False  # noqa: E712
    assert table.loc[1, "alpha"] < 0.667 and table.loc[1, "flag_unreliable"] == True  # noqa: E712
    assert table.loc[2, "n_pairable_values"] == 80
    assert table.attrs["threshold"] == 0.667


def test_duplicate_unit_coder_is_input_error():
    data = pd.concat([k2011_long(), k2011_long().head(1)])
    with pytest.raises(InputError, match="repeat a \\(unit, coder\\) pair"):
        krippendorff_alpha(data, unit="unit", coder="coder", value="value")
    with pytest.raises(InputError, match="level"):
        krippendorff_alpha(k2011_long(), unit="unit", coder="coder", value="value", level="cardinal")
    with pytest.raises(InputError, match="missing column"):
        krippendorff_alpha(k2011_long(), unit="case", coder="coder", value="value")


FLEISS_WIKIPEDIA = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_wikipedia_example_table_and_long():
    assert fleiss_kappa_table(FLEISS_WIKIPEDIA).kappa == pytest.approx(0.210, abs=5e-4)
    # the same ratings as long data (rater labels are arbitrary in Fleiss' design)
    rows = []
    for subject, counts in enumerate(FLEISS_WIKIPEDIA):
        ratings = np.repeat(np.arange(1, 6), counts)
        rows += [{"unit": subject, "coder": r, "value": v} for r, v in enumerate(ratings)]
    result = fleiss_kappa(pd.DataFrame(rows), unit="unit", coder="coder", value="value")
    assert result.kappa == pytest.approx(0.210, abs=5e-4)
    assert (result.n_units, result.n_coders) == (10, 14)


def test_fleiss_1971_diagnoses():
    # Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses; kappa = .430
    diagnoses = [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
    rows = [{"unit": i, "coder": j, "value": v} for i, row in enumerate(diagnoses) for j, v in enumerate(row)]
    assert fleiss_kappa(pd.DataFrame(rows), unit="unit", coder="coder", value="value").kappa == pytest.approx(
        0.430, abs=5e-4
    )


def test_cohen_wikipedia_2x2():
    table = [[20, 5], [10, 15]]
    result = cohens_kappa_table(table)
    assert result.kappa == pytest.approx(0.40, abs=1e-9)
    assert result.ci_low < 0.40 < result.ci_high
    # from long data: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    rows = [{"unit": i, "coder": c, "value": v} for i, pair in enumerate(pairs) for c, v in zip("AB", pair)]
    assert cohens_kappa(pd.DataFrame(rows), unit="unit", coder="coder", value="value").kappa == pytest.approx(0.40)


def test_weighted_cohen_2x2_equals_unweighted():
    # With linear weights a 2x2 table equals the unweighted kappa (only one off-diagonal distance).
    assert cohens_kappa_table([[20, 5], [10, 15]], weights="linear").kappa == pytest.approx(0.40)
    with pytest.raises(InputError):
        cohens_kappa_table([[20, 5], [10, 15]], weights="cubic")


def test_problem_collector_lists_everything():
    problems = ProblemCollector("sheet.csv")
    problems.raise_if_any()  # nothing yet
    problems.add(2, "level", "expected 0-3, found 7")
    problems.add(5, "rationale", "empty")
    problems.add(None, None, "file has no rows")
    with pytest.raises(InputError) as info:
        problems.raise_if_any()
    message = str(info.value)
    assert "3 problems in sheet.csv" in message
    assert "sheet.csv:2:level: expected 0-3, found 7" in message
    assert "sheet.csv:5:rationale: empty" in message
    assert "sheet.csv:-:-: file has no rows" in message


def test_fleiss_drops_units_with_fewer_ratings_with_a_typed_warning():
    from localise.grid.reliability import IncompleteUnitsWarning

    rows = []
    for subject, counts in enumerate(FLEISS_WIKIPEDIA):
        ratings = np.repeat(np.arange(1, 6), counts)
        rows += [{"unit": subject, "coder": r, "value": v} for r, v in enumerate(ratings)]
    rows.append({"unit": 99, "coder": 0, "value": 1})  # a unit with a single rating
    rows.append({"unit": 99, "coder": 1, "value": 2})
    with pytest.warns(IncompleteUnitsWarning, match=r"1 of 11 units .* \[99\]") as record:
        result = fleiss_kappa(pd.DataFrame(rows), unit="unit", coder="coder", value="value")
    assert record[0].filename == __file__  # stacklevel points at the caller
    assert result.kappa == pytest.approx(0.210, abs=5e-4) and result.n_units == 10
    with pytest.raises(InputError, match="fewer than 14 ratings"):
        fleiss_kappa(pd.DataFrame(rows), unit="unit", coder="coder", value="value", drop_incomplete=False)
