"""SROI calculator: arithmetic (docs/methods/cohesion.md, "SROI arithmetic"), validation, sensitivity, CLI."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
import pytest

from localise.cohesion import package_data
from localise.cohesion.sroi import SROIModel, load_sroi, plot_tornado, read_sroi_csv
from localise.errors import InputError


def _worked_example() -> SROIModel:
    """Two outcomes, worked by hand with the formulas of the SROI guide (docs/methods/cohesion.md, "SROI arithmetic").

    Outcome a: 10 x 1000 = 10 000; x 0.8 x 0.9 x 0.75 = 5 400 in year 1, drop-off 10 %:
    4 860 in year 2, 4 374 in year 3. Outcome b: 5 x 200 = 1 000 in year 1 only.
    PV = 6400/1.035 + 4860/1.035^2 + 4374/1.035^3 = 14 665.5342775997 (exact fractions).
    Inputs 10 000: ratio 1.46655342775997, NPV 4 665.5342775997;
    payback = 10 000 / (6 400 / 12) = 18.75 months.
    """
    outcomes = pd.DataFrame(
        [
            dict(
                outcome_id="a",
                stakeholder="s1",
                outcome="o1",
                indicator="i1",
                quantity=10,
                proxy=1000,
                proxy_source="test",
                duration_years=3,
                deadweight=0.2,
                displacement=0.1,
                attribution=0.25,
                dropoff=0.1,
            ),
            dict(
                outcome_id="b",
                stakeholder="s2",
                outcome="o2",
                indicator="i2",
                quantity=5,
                proxy=200,
                proxy_source="test",
                duration_years=1,
                deadweight=0.0,
                displacement=0.0,
                attribution=0.0,
                dropoff=0.5,
            ),
        ]
    )
    inputs = pd.DataFrame([dict(stakeholder="funder", input="grant", value=10000.0)])
    return SROIModel(outcomes=outcomes, inputs=inputs)


def test_worked_example_matches_hand_arithmetic():
    res = _worked_example().fit()
    assert res.discount_rate == 0.035  # default: HM Treasury Green Book rate
    assert res.by_outcome["impact_year1"].tolist() == pytest.approx([5400.0, 1000.0])
    assert res.by_outcome.loc[0, ["impact_y1", "impact_y2", "impact_y3"]].tolist() == pytest.approx([5400, 4860, 4374])
    assert res.by_outcome.loc[1, ["impact_y2", "impact_y3"]].tolist() == [0.0, 0.0]
    assert res.present_value == pytest.approx(14665.5342775997, rel=1e-12)
    assert res.sroi_ratio == pytest.approx(1.46655342775997, rel=1e-12)
    assert res.net_present_value == pytest.approx(4665.5342775997, rel=1e-12)
    assert res.net_sroi_ratio == pytest.approx(0.46655342775997, rel=1e-12)
    assert res.payback_months == pytest.approx(18.75)
    assert "SROI ratio" in res.summary() and "3.50%" in res.summary()


def test_zero_rate_no_dropoff_is_value_times_duration():
    m = _worked_example()
    m.outcomes.loc[:, "dropoff"] = 0.0
    m.discount_rate = 0.0
    # analytical: 5400 * 3 + 1000 * 1
    assert m.fit().present_value == pytest.approx(17200.0)


def test_yaml_validation_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        """
title: t
currency: EUR
discount_rate: 1.5
inputs:
  - {stakeholder: a, input: x, value: 100, currency: GBP}
outcomes:
  - {outcome_id: o1, stakeholder: a, outcome: x, indicator: y, quantity: 1, proxy: 10, proxy_source: "",
     duration_years: 0, deadweight: 1.2, displacement: -0.1, attribution: 0, dropoff: 0, currency: EUR}
""",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_sroi(bad)
    msg = str(err.value)
    for fragment in ("discount_rate", "duration_years", "deadweight", "displacement", "proxy_source", "GBP"):
        assert fragment in msg, fragment
    assert "6 problems" in msg


def test_csv_input_and_row_numbers(tmp_path):
    m = _worked_example()
    m.outcomes.to_csv(tmp_path / "map.csv", index=False)
    m.inputs.to_csv(tmp_path / "map_inputs.csv", index=False)
    res = read_sroi_csv(tmp_path / "map.csv").fit()
    assert res.present_value == pytest.approx(14665.5342775997, rel=1e-12)
    broken = m.outcomes.copy()
    broken.loc[1, "attribution"] = 2
    broken.to_csv(tmp_path / "map.csv", index=False)
    with pytest.raises(InputError, match=r":3:attribution: expected a share in \[0, 1\]"):
        read_sroi_csv(tmp_path / "map.csv")


def test_illustrative_example_is_labelled_and_loads():
    path = package_data("sroi_pilot_illustrative.yml")
    assert "illustrative" in path.name
    model = load_sroi(path)
    assert "llustrative" in model.title
    assert model.fit().sroi_ratio > 0


def test_sensitivity_switching_value_brings_ratio_to_one():
    m = _worked_example()
    ranges = pd.DataFrame(
        [
            dict(target="a", parameter="deadweight", low=0.0, high=0.5),
            dict(target="*", parameter="discount_rate", low=0.0, high=0.1),
        ]
    )
    sens = m.sensitivity(ranges)
    row = sens.table.set_index("parameter").loc["deadweight"]
    assert row["ratio_at_low"] > m.fit().sroi_ratio > row["ratio_at_high"]
    sv = row["switching_value"]
    assert 0 < sv < 1
    # analytical: outcome a's present value is proportional to (1 - deadweight), b's is 1000/1.035;
    # ratio 1 when PV_a(sv) + PV_b = 10 000 (PVs from the worked example in _worked_example)
    pv_b = 1000 / 1.035
    assert sv == pytest.approx(1 - 0.8 * (10000 - pv_b) / (14665.5342775997 - pv_b), rel=1e-8)
    assert plot_tornado(sens) is not None


def test_monte_carlo_seeded_and_degenerate_range_gives_base():
    m = _worked_example()
    a = m.monte_carlo(n_draws=200, seed=3).ratios
    b = m.monte_carlo(n_draws=200, seed=3).ratios
    np.testing.assert_array_equal(a, b)
    fixed = pd.DataFrame([dict(target="a", parameter="attribution", low=0.25, high=0.25)])
    mc = m.monte_carlo(fixed, n_draws=50, seed=1)
    np.testing.assert_allclose(mc.ratios, m.fit().sroi_ratio, rtol=1e-12)
    with pytest.raises(InputError, match="share"):
        m.monte_carlo(pd.DataFrame([dict(target="a", parameter="dropoff", low=0.5, high=1.5)]), n_draws=5)


def test_cli_sroi_and_bad_file(tmp_path, capsys):
    from localise.cohesion import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(
        ["cohesion", "sroi", str(package_data("sroi_pilot_illustrative.yml")), "--monte-carlo", "20"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "SROI ratio" in out and "Monte Carlo" in out
    bad = tmp_path / "x.yml"
    bad.write_text("title: t\ninputs: 3\noutcomes: []\n", encoding="utf-8")
    args = parser.parse_args(["cohesion", "sroi", str(bad)])
    with pytest.raises(InputError, match="inputs"):
        args.func(args)
    assert math.isfinite(_worked_example().fit().payback_months)
