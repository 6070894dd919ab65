"""Every R QCA reference case in the reference folder, run through the engine.

Expected values: outputs of R's QCA 3.23 stored in ``<reference>/cases/*.json``
(folder from ``LOCALISE_QCA_REFERENCE``, default ``../shared/reference/qca``).
Solutions are compared as sets of sets (term and model order free), numbers at 1e-6.
A case with an unsupported kind or parameter FAILS naming it; no case is skipped.
"""

from __future__ import annotations

import copy

import pytest

from localise import paths
from localise.qca import reference
from localise.qca.reference import UnsupportedCase

CASE_NAMES = [p.name for p in reference.case_files(paths.qca_reference_dir())]


@pytest.mark.reference
@pytest.mark.parametrize("case_name", CASE_NAMES or ["<no cases found>"])
def test_reference_case(case_name, qca_reference_dir):
    path = qca_reference_dir / "cases" / case_name
    if not path.is_file():
        pytest.fail(f"no reference cases under {qca_reference_dir / 'cases'}")
    case = reference.load_case(path)
    try:
        got = reference.run_case(case, qca_reference_dir)
    except UnsupportedCase as error:
        pytest.fail(f"{case_name}: unsupported by the engine: {error}")
    differences = reference.compare_case(case, got)
    assert not differences, f"{case_name}: " + "; ".join(differences[:10])


@pytest.mark.reference
def test_reference_dir_has_the_42_shared_cases(qca_reference_dir):
    # The shared folder documents 42 cases; a different folder set via
    # LOCALISE_QCA_REFERENCE may hold any number (at least one).
    n = len(reference.case_files(qca_reference_dir))
    assert n >= 1
    if qca_reference_dir.resolve() == (paths.PROJECT_ROOT.parent / "shared" / "reference" / "qca").resolve():
        assert n == 42


def _case(qca_reference_dir, name):
    return reference.load_case(qca_reference_dir / "cases" / f"{name}.json")


@pytest.mark.reference
def test_unsupported_parameter_fails_naming_it(qca_reference_dir):
    case = _case(qca_reference_dir, "min_LC_SURV_parsimonious")
    case["inputs"]["use.letters"] = True
    with pytest.raises(UnsupportedCase, match="use.letters"):
        reference.run_case(case, qca_reference_dir)
    case["kind"] = "causalChain"
    with pytest.raises(UnsupportedCase, match="causalChain"):
        reference.run_case(case, qca_reference_dir)


@pytest.mark.reference
@pytest.mark.parametrize(
    "name, mutate, where",
    [
        ("min_RS_REC_parsimonious", lambda o: o.__setitem__("n_models", 5), "n_models"),
        ("min_RS_REC_parsimonious", lambda o: o["models"][0]["terms"].__setitem__(0, "P*A"), "models"),
        ("min_LF_SURV_parsimonious", lambda o: o["fit"]["terms"][0].__setitem__("covU", o["fit"]["terms"][0]["covU"] + 2e-6), "covU"),
        ("tt_NF_W", lambda o: o["rows"][7].__setitem__("PRI", o["rows"][7]["PRI"] + 2e-6), "PRI"),
        ("tt_NF_W", lambda o: o["printed_row_order"].reverse(), "printed_row_order"),
        ("cal_LR_DEV_fuzzy_logistic", lambda o: o["values"].__setitem__(3, o["values"][3] - 2e-6), "values"),
        ("nec_LF_SURV_superSubset", lambda o: o["terms"].pop(), "terms"),
        ("min_LF_SURV_intermediate", lambda o: o["intermediate"][0]["easy_counterfactuals"].append(29), "easy_counterfactuals"),
    ],
)
def test_comparison_detects_differences(qca_reference_dir, name, mutate, where):
    """The comparison is not vacuous: a perturbed expectation is reported."""
    case = _case(qca_reference_dir, name)
    got = reference.run_case(case, qca_reference_dir)
    assert reference.compare_case(case, got) == []
    bad = copy.deepcopy(case)
    mutate(bad["outputs"])
    differences = reference.compare_case(bad, got)
    assert differences and any(where in d for d in differences), differences
