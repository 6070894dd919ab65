"""Fault injection: numbers that are not numbers (NaN, inf, overflow) in the indicators and SROI commands."""

from __future__ import annotations

import pytest

FRAMEWORK = (
    "name: t\nlevels: [indicator, index]\nnormalisation: minmax\n"
    "nodes:\n  - {id: i, level: index}\n"
    "indicators:\n  - {id: x, parent: i, direction: higher}\n  - {id: y, parent: i, direction: lower}\n"
)
IMPACT_HEADER = (
    "outcome_id,stakeholder,outcome,indicator,quantity,proxy,proxy_source,deadweight,displacement,"
    "attribution,dropoff,duration_years\n"
)


@pytest.fixture
def indicator_files(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("unit,x,y\na,1,3\nb,2,1\nc,3,2\n", encoding="utf-8")
    fw = tmp_path / "fw.yml"
    fw.write_text(FRAMEWORK, encoding="utf-8")
    return data, fw


@pytest.mark.parametrize("order", ["nan", "inf", "-inf", "1e308", "-1e308", "51"])
def test_order_outside_the_documented_range(run, indicator_files, tmp_path, order):
    data, fw = indicator_files
    out = tmp_path / "scores.csv"
    run.fails(
        "indicators",
        "compute",
        fw,
        data,
        f"--order={order}",
        "-o",
        out,
        expect=["--order", "finite number in [-50, 50]", order.replace("1e308", "1e+308")],
    )
    assert not out.exists()


def test_order_nan_in_a_framework_file(run, indicator_files, tmp_path):
    data, fw = indicator_files
    fw.write_text(
        FRAMEWORK.replace(
            "normalisation: minmax\n", "normalisation: minmax\naggregation:\n  index: {method: power, order: .nan}\n"
        ),
        encoding="utf-8",
    )
    run.fails("indicators", "compute", fw, data, expect=["order", "finite number in [-50, 50]", "nan"])


@pytest.mark.parametrize(("cell", "shown"), [("inf", "inf"), ("-inf", "-inf"), ("1e999", "inf")])
def test_infinite_indicator_value_is_an_error_not_data(run, indicator_files, cell, shown):
    data, fw = indicator_files
    data.write_text(f"unit,x,y\na,1,3\nb,{cell},1\nc,3,2\n", encoding="utf-8")
    run.fails(
        "indicators",
        "compute",
        fw,
        data,
        expect=[str(data), "unit 'b'", "column 'x'", shown, "expected finite numbers or an empty cell"],
    )


def test_infinite_indicator_value_in_uncertainty(run, indicator_files):
    data, fw = indicator_files
    data.write_text("unit,x,y\na,1,3\nb,2,-inf\nc,3,2\n", encoding="utf-8")
    run.fails(
        "indicators", "uncertainty", fw, data, "--replications", "8", expect=[str(data), "unit 'b'", "column 'y'"]
    )


def test_empty_cell_is_still_counted_as_missing(run, indicator_files):
    data, fw = indicator_files
    data.write_text("unit,x,y\na,1,3\nb,,1\nc,3,2\n", encoding="utf-8")
    code, out, err = run("indicators", "compute", fw, data)
    assert code == 0, err
    assert "Missing raw cells: 1" in out


def _sroi_csv(tmp_path, quantity="10", proxy="100", inputs=("1000",)):
    impact = tmp_path / "map.csv"
    impact.write_text(
        IMPACT_HEADER + f"a,s,o,i,{quantity},{proxy},survey,0,0,0,0,3\nb,s,o2,i2,5,20,survey,0,0,0,0,1\n",
        encoding="utf-8",
    )
    rows = "".join(f"s,in{i},{v}\n" for i, v in enumerate(inputs))
    (tmp_path / "map_inputs.csv").write_text("stakeholder,input,value\n" + rows, encoding="utf-8")
    return impact


def test_sroi_overflowing_outcome_is_named(run, tmp_path):
    impact = _sroi_csv(tmp_path, quantity="1e308", proxy="1e308")
    run.fails("cohesion", "sroi", impact, expect=[str(impact), "outcome 'a'", "overflows", "below 1e300"])


def test_sroi_overflowing_inputs_are_named(run, tmp_path):
    impact = _sroi_csv(tmp_path, inputs=("1e308", "1e308"))
    run.fails("cohesion", "sroi", impact, expect=[str(impact), "total value of inputs overflows", "1e+308"])


def test_sroi_overflow_in_a_yaml_model(run, tmp_path):
    model = tmp_path / "m.yml"
    model.write_text(
        "title: t\ncurrency: EUR\ninputs:\n  - {stakeholder: s, input: i, value: 1.0e308}\n"
        "outcomes:\n  - {outcome_id: a, stakeholder: s, outcome: o, indicator: i, quantity: 1.0e308, proxy: 10,\n"
        "     proxy_source: x, deadweight: 0, displacement: 0, attribution: 0, dropoff: 0, duration_years: 2}\n",
        encoding="utf-8",
    )
    run.fails("cohesion", "sroi", model, expect=[str(model), "outcome 'a'", "overflows"])


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_sroi_non_finite_cell_is_named(run, tmp_path, value):
    impact = _sroi_csv(tmp_path, proxy=value)
    run.fails("cohesion", "sroi", impact, expect=[str(impact), ":2:proxy", "expected a number"])


def test_sroi_ordinary_model_still_works(run, tmp_path):
    impact = _sroi_csv(tmp_path)
    code, out, err = run("cohesion", "sroi", impact)
    assert code == 0, err
    assert "SROI ratio" in out


@pytest.mark.parametrize(
    ("cell", "expect"), [("inf", "outside [0, 1]"), ("1.7", "outside [0, 1]"), ("-0.2", "negative values")]
)
def test_qca_membership_outside_unit_interval(run, tmp_path, cell, expect):
    data = tmp_path / "q.csv"
    data.write_text(f"case,A,B,Y\nc1,1,0,1\nc2,{cell},1,0\nc3,0.5,1,1\n", encoding="utf-8")
    run.fails("qca", "minimize", data, "--outcome", "Y", expect=[str(data), "column 'A'", "'c2'", expect])
