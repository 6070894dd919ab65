"""Social Return on Investment (SROI): impact map, present value, ratio, sensitivity.

The arithmetic follows *A guide to Social Return on Investment* (Cabinet Office 2009,
SROI Network update 2012); see docs/methods/cohesion.md, "SROI arithmetic":

.. math::

    \\text{value}_o &= q_o\\,p_o \\\\
    I_o(1) &= \\text{value}_o (1-\\text{dw}_o)(1-\\text{disp}_o)(1-\\text{attr}_o) \\\\
    I_o(t) &= I_o(t-1)\\,(1-\\text{dropoff}_o), \\qquad t = 2..D_o \\\\
    PV &= \\sum_{t=1}^{T} \\frac{\\sum_o I_o(t)}{(1+r)^t}

SROI ratio = PV / inputs; net present value = PV - inputs; net SROI ratio = NPV / inputs;
payback period (months) = inputs / (year-1 impact / 12).

The calculator is hand-written (a few array operations) because no maintained Python
library implements the SROI guide's impact map; it is vectorised so that the Monte
Carlo sensitivity analysis evaluates thousands of draws at once.

Input
-----
A YAML file (see ``data/sroi_pilot_illustrative.yml``) with ``title``, ``currency``,
``discount_rate`` (default 0.035, the HM Treasury Green Book rate used by the guide),
``stakeholders``, ``inputs``, ``outcomes`` and optional ``sensitivity`` ranges; or a CSV
impact map (one row per outcome) plus a CSV of inputs. Every problem in a file is
reported at once (:class:`localise.problems.ProblemCollector`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results

if TYPE_CHECKING:
    from localise.problems import ProblemCollector

__all__ = [
    "OUTCOME_COLUMNS",
    "SHARE_COLUMNS",
    "SENSITIVITY_PARAMETERS",
    "DEFAULT_DISCOUNT_RATE",
    "SROIModel",
    "SROIResult",
    "SensitivityResult",
    "MonteCarloResult",
    "load_sroi",
    "read_sroi_csv",
    "default_ranges",
    "plot_tornado",
    "plot_monte_carlo",
]

#: HM Treasury Green Book discount rate used in the SROI guide.
DEFAULT_DISCOUNT_RATE = 0.035

#: Columns of the impact map, one row per outcome (see docs/methods/cohesion.md, "Impact map").
OUTCOME_COLUMNS = [
    "outcome_id",
    "stakeholder",
    "outcome",
    "indicator",
    "quantity",
    "proxy",
    "proxy_source",
    "duration_years",
    "deadweight",
    "displacement",
    "attribution",
    "dropoff",
]
SHARE_COLUMNS = ["deadweight", "displacement", "attribution", "dropoff"]
NUMERIC_COLUMNS = ["quantity", "proxy", "duration_years", *SHARE_COLUMNS]
INPUT_COLUMNS = ["stakeholder", "input", "value"]
#: Parameters that sensitivity ranges may vary.
SENSITIVITY_PARAMETERS = ("quantity", "proxy", "duration_years", *SHARE_COLUMNS, "discount_rate")

# ---------------------------------------------------------------------------------------------
# core arithmetic


def _impact_by_year(
    values: Mapping[str, np.ndarray], duration: np.ndarray, rate: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SROI arithmetic of the module notes, vectorised: the one place it is written.

    ``values`` holds the outcome arrays ``quantity``, ``proxy``, ``deadweight``,
    ``displacement``, ``attribution`` and ``dropoff``, of shape (..., n_outcomes) like
    ``duration``; ``rate`` broadcasts against the leading dimensions. Returns the year-1
    impact (..., n), the impact of every outcome in years 1..T (..., n, T), zero after its
    duration, and the discount factors ``(1 + r)^-t``: shape (T,) for one rate, (..., 1, T)
    for several.
    """
    impact1 = (
        values["quantity"]
        * values["proxy"]
        * (1 - values["deadweight"])
        * (1 - values["displacement"])
        * (1 - values["attribution"])
    )
    duration = np.asarray(duration)
    horizon = int(np.max(duration))
    years = np.arange(1, horizon + 1)  # (T,)
    rate = np.asarray(rate, dtype=float)
    # (..., n, T): impact in year t for t <= duration
    keep = years <= duration[..., None]
    decay = (1 - values["dropoff"][..., None]) ** (years - 1)
    impact = impact1[..., None] * decay * keep
    discount = (1 + rate[..., None, None]) ** (-years) if rate.ndim else (1 + rate) ** (-years)
    return impact1, impact, discount


def _present_value(
    values: Mapping[str, np.ndarray], duration: np.ndarray, rate: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised PV (see :func:`_impact_by_year` for the arguments); returns (PV, year-1 impact)."""
    impact1, impact, discount = _impact_by_year(values, duration, rate)
    pv = (impact * discount).sum(axis=(-1, -2))
    return pv, impact1.sum(axis=-1)


# ---------------------------------------------------------------------------------------------
# model and results


@dataclass
class SROIModel:
    """An SROI impact map with its inputs and settings.

    Parameters
    ----------
    outcomes
        Impact map with the columns :data:`OUTCOME_COLUMNS` (one row per outcome).
    inputs
        Investment table with columns ``stakeholder``, ``input``, ``value``.
    discount_rate
        Yearly discount rate (default 3.5 %).
    currency
        Currency of every monetary value (inputs and proxies).
    title
        Title shown in summaries; illustrative examples say so in their title.
    ranges
        Optional sensitivity ranges: columns ``target`` (an ``outcome_id`` or ``"*"`` for
        all outcomes), ``parameter`` (one of :data:`SENSITIVITY_PARAMETERS`), ``low``, ``high``.
    stakeholders
        Optional stakeholder table (``name``, ``description``).
    source
        File the model was read from, for messages.
    """

    outcomes: pd.DataFrame
    inputs: pd.DataFrame
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    currency: str = "EUR"
    title: str = "SROI analysis"
    ranges: pd.DataFrame | None = None
    stakeholders: pd.DataFrame | None = None
    source: str = "<model>"

    # -- basic quantities ---------------------------------------------------------------------
    @property
    def total_inputs(self) -> float:
        """Total value of inputs (the investment)."""
        return float(self.inputs["value"].sum())

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {c: self.outcomes[c].to_numpy(dtype=float) for c in NUMERIC_COLUMNS}
        out["duration_years"] = out["duration_years"].astype(int)
        return out

    def _check_overflow(self, impact1: np.ndarray, pv_by_outcome: np.ndarray, pv: float, total: float) -> None:
        """Raise :class:`InputError` when a value is too large for floating point (the ratio would be wrong)."""
        where = self.source or self.title
        if not np.isfinite(total):
            values = ", ".join(f"{v:g}" for v in self.inputs["value"])
            raise InputError(
                f"{where}: inputs: the total value of inputs overflows (values {values}); "
                "expected amounts below 1e300 (check the units)"
            )
        bad = np.flatnonzero(~np.isfinite(impact1) | ~np.isfinite(pv_by_outcome))
        if len(bad):
            i = int(bad[0])
            row = self.outcomes.iloc[i]
            raise InputError(
                f"{where}: outcome {row['outcome_id']!r}: quantity {row['quantity']:g} x proxy {row['proxy']:g} "
                "overflows floating point; expected amounts below 1e300 (check the units)"
            )
        if not np.isfinite(pv):
            raise InputError(f"{where}: the present value summed over outcomes overflows; expected amounts below 1e300")

    def fit(self) -> SROIResult:
        """Compute impacts, present value, NPV, SROI ratio and payback.

        Amounts so large that a product or sum overflows floating point raise
        :class:`InputError` naming the outcome or the inputs (never a ratio of 0 or NaN).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return self._fit()

    def _fit(self) -> SROIResult:
        a = self._arrays()
        impact1, impact, discount = _impact_by_year(a, a["duration_years"], self.discount_rate)
        years = np.arange(1, impact.shape[-1] + 1)
        pv_by_outcome = (impact * discount).sum(axis=1)
        yearly = pd.DataFrame({"year": years, "impact": impact.sum(axis=0), "discount_factor": discount})
        yearly["present_value"] = yearly["impact"] * yearly["discount_factor"]
        by_outcome = self.outcomes[["outcome_id", "stakeholder", "outcome"]].copy()
        by_outcome["value"] = a["quantity"] * a["proxy"]
        by_outcome["impact_year1"] = impact1
        by_outcome["present_value"] = pv_by_outcome
        for t in years:
            by_outcome[f"impact_y{t}"] = impact[:, t - 1]
        pv = float(pv_by_outcome.sum())
        total = self.total_inputs
        annual = float(impact1.sum())
        self._check_overflow(impact1, pv_by_outcome, pv, total)
        return SROIResult(
            title=self.title,
            currency=self.currency,
            discount_rate=self.discount_rate,
            total_inputs=total,
            present_value=pv,
            yearly=yearly,
            by_outcome=by_outcome,
            payback_months=(total / (annual / 12.0)) if annual > 0 else math.inf,
        )

    # -- sensitivity --------------------------------------------------------------------------
    def _ratio_with(self, target: str, parameter: str, value: float) -> float:
        a = self._arrays()
        rate = self.discount_rate
        if parameter == "discount_rate":
            rate = value
        else:
            mask = self._mask(target)
            a[parameter] = a[parameter].copy()
            if parameter == "duration_years":
                a[parameter] = a[parameter].astype(float)
            a[parameter][mask] = value
            if parameter == "duration_years":
                a[parameter] = np.maximum(np.round(a[parameter]), 1).astype(int)
        pv, _ = _present_value(a, a["duration_years"], rate)
        return float(pv) / self.total_inputs

    def _mask(self, target: str) -> np.ndarray:
        ids = self.outcomes["outcome_id"].astype(str).to_numpy()
        if target == "*":
            return np.ones(len(ids), dtype=bool)
        mask = ids == str(target)
        if not mask.any():
            raise InputError(f"sensitivity target {target!r} is not an outcome_id of {self.source}")
        return mask

    def _base_value(self, target: str, parameter: str) -> float:
        if parameter == "discount_rate":
            return self.discount_rate
        values = self.outcomes.loc[self._mask(target), parameter].astype(float)
        return float(values.iloc[0]) if values.nunique() == 1 else float("nan")

    def sensitivity(self, ranges: pd.DataFrame | None = None) -> SensitivityResult:
        """One-at-a-time sensitivity: the ratio at each range's low and high end.

        Also reports the switching value: the parameter value (searched within its
        feasible domain) at which the SROI ratio falls to 1:1, or NaN when the ratio
        does not cross 1 there.
        """
        from scipy.optimize import brentq

        ranges = _check_ranges(self, ranges if ranges is not None else self.ranges)
        base = self.fit().sroi_ratio
        rows = []
        for rng in ranges.itertuples(index=False):
            low = self._ratio_with(rng.target, rng.parameter, rng.low)
            high = self._ratio_with(rng.target, rng.parameter, rng.high)
            lo_dom, hi_dom = _domain(rng.parameter, rng.high)
            f = lambda v, r=rng: self._ratio_with(r.target, r.parameter, v) - 1.0  # noqa: E731
            switching = float("nan")
            if rng.parameter != "duration_years":
                f_lo, f_hi = f(lo_dom), f(hi_dom)
                if np.sign(f_lo) != np.sign(f_hi):
                    switching = brentq(f, lo_dom, hi_dom, xtol=1e-10)
            rows.append(
                {
                    "target": rng.target,
                    "parameter": rng.parameter,
                    "base_value": self._base_value(rng.target, rng.parameter),
                    "low": rng.low,
                    "high": rng.high,
                    "ratio_at_low": low,
                    "ratio_at_high": high,
                    "swing": abs(high - low),
                    "switching_value": switching,
                }
            )
        table = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
        return SensitivityResult(base_ratio=base, table=table, title=self.title)

    def monte_carlo(
        self,
        ranges: pd.DataFrame | None = None,
        *,
        n_draws: int = 2000,
        seed: int = 0,
        distribution: Literal["uniform", "triangular"] = "uniform",
    ) -> MonteCarloResult:
        """Monte Carlo over the uncertain parameters, all ranges drawn independently.

        Each range row is drawn from a uniform distribution on [low, high] or, with
        ``distribution="triangular"``, a triangular one with its mode at the base value
        (clipped into the range). Durations are rounded to whole years (at least one).
        """
        if n_draws < 1:
            raise InputError(f"n_draws must be a positive integer, got {n_draws}")
        ranges = _check_ranges(self, ranges if ranges is not None else self.ranges)
        rng_ = np.random.default_rng(seed)
        base = self._arrays()
        draws = {k: np.broadcast_to(v, (n_draws, v.size)).astype(float).copy() for k, v in base.items()}
        rate = np.full(n_draws, float(self.discount_rate))
        for r in ranges.itertuples(index=False):
            if distribution == "uniform":
                sample = rng_.uniform(r.low, r.high, size=n_draws)
            elif distribution == "triangular":
                mode = self._base_value(r.target, r.parameter)
                mode = min(max(mode if np.isfinite(mode) else (r.low + r.high) / 2, r.low), r.high)
                sample = (
                    rng_.triangular(r.low, mode, r.high, size=n_draws) if r.high > r.low else np.full(n_draws, r.low)
                )
            else:
                raise InputError(f"distribution must be 'uniform' or 'triangular', got {distribution!r}")
            if r.parameter == "discount_rate":
                rate = sample
            else:
                mask = self._mask(r.target)
                draws[r.parameter][:, mask] = sample[:, None]
        duration = np.maximum(np.round(draws["duration_years"]), 1).astype(int)
        pv, _ = _present_value(draws, duration, rate)
        ratios = pv / self.total_inputs
        return MonteCarloResult(
            ratios=ratios,
            base_ratio=self.fit().sroi_ratio,
            n_draws=n_draws,
            seed=seed,
            distribution=distribution,
            ranges=ranges,
            title=self.title,
        )


@dataclass(repr=False)
class SROIResult(Results):
    """Results of :meth:`SROIModel.fit`."""

    title: str
    currency: str
    discount_rate: float
    total_inputs: float
    present_value: float
    yearly: pd.DataFrame
    by_outcome: pd.DataFrame
    payback_months: float

    @property
    def net_present_value(self) -> float:
        """PV minus the value of inputs."""
        return self.present_value - self.total_inputs

    @property
    def sroi_ratio(self) -> float:
        """PV / value of inputs."""
        return self.present_value / self.total_inputs

    @property
    def net_sroi_ratio(self) -> float:
        """NPV / value of inputs."""
        return self.net_present_value / self.total_inputs

    def to_frame(self) -> pd.DataFrame:
        """Headline figures as a one-column table."""
        return pd.DataFrame(
            {
                "value": [
                    self.total_inputs,
                    self.present_value,
                    self.net_present_value,
                    self.sroi_ratio,
                    self.net_sroi_ratio,
                    self.payback_months,
                    self.discount_rate,
                ]
            },
            index=pd.Index(
                [
                    f"total inputs ({self.currency})",
                    f"present value ({self.currency})",
                    f"net present value ({self.currency})",
                    "SROI ratio",
                    "net SROI ratio",
                    "payback (months)",
                    "discount rate",
                ],
                name="measure",
            ),
        )

    def to_latex(self, *, caption: str | None = None) -> str:
        """Headline table in LaTeX, captioned with the title unless ``caption`` is given."""
        return self.to_frame().to_latex(float_format=lambda v: f"{v:,.2f}", caption=caption or self.title)

    def summary(self) -> str:
        """Printable summary with the settings used."""
        lines = [
            self.title,
            "=" * len(self.title),
            f"Discount rate: {self.discount_rate:.2%}; currency: {self.currency}; "
            f"horizon: {len(self.yearly)} year(s); outcomes: {len(self.by_outcome)}",
            f"Total inputs:        {self.total_inputs:>14,.2f}",
            f"Present value:       {self.present_value:>14,.2f}",
            f"Net present value:   {self.net_present_value:>14,.2f}",
            f"SROI ratio:          {self.sroi_ratio:>14.2f} : 1",
            f"Net SROI ratio:      {self.net_sroi_ratio:>14.2f}",
            f"Payback (months):    {self.payback_months:>14.1f}",
        ]
        return "\n".join(lines)


@dataclass(repr=False)
class SensitivityResult(Results):
    """One-at-a-time sensitivity table (sorted by swing)."""

    base_ratio: float
    table: pd.DataFrame
    title: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The sensitivity table, one row per range."""
        return self.table.copy()

    def summary(self) -> str:
        """Base ratio and the sensitivity table."""
        return (
            f"One-at-a-time sensitivity of {self.title} (base ratio {self.base_ratio:.2f}:1)\n"
            + self.table.to_string(index=False, float_format=lambda v: f"{v:.3g}")
        )


@dataclass(repr=False)
class MonteCarloResult(Results):
    """Distribution of the SROI ratio over Monte Carlo draws."""

    ratios: np.ndarray
    base_ratio: float
    n_draws: int
    seed: int
    distribution: str
    ranges: pd.DataFrame = field(repr=False)
    title: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Base ratio, mean, quantiles of the ratio and the share of draws below 1:1."""
        q = np.quantile(self.ratios, [0.05, 0.25, 0.5, 0.75, 0.95])
        return pd.DataFrame(
            {"value": [self.base_ratio, float(np.mean(self.ratios)), *q, float(np.mean(self.ratios < 1))]},
            index=pd.Index(
                ["base ratio", "mean", "p05", "p25", "median", "p75", "p95", "P(ratio < 1)"], name="statistic"
            ),
        )

    def summary(self) -> str:
        """Settings of the draws and the distribution of the ratio."""
        return (
            f"Monte Carlo sensitivity of {self.title}: {self.n_draws} draws, seed {self.seed}, "
            f"{self.distribution} ranges over {len(self.ranges)} parameter(s)\n"
            + self.to_frame().to_string(float_format=lambda v: f"{v:.3f}")
        )


# ---------------------------------------------------------------------------------------------
# ranges


def _domain(parameter: str, high: float) -> tuple[float, float]:
    if parameter in SHARE_COLUMNS:
        return 0.0, 1.0
    if parameter == "discount_rate":
        return 0.0, 0.99
    return 0.0, max(1e6, 1e3 * abs(high))


def default_ranges(model: SROIModel, *, share_step: float = 0.1, relative: float = 0.2) -> pd.DataFrame:
    """Ranges for a first sensitivity analysis [proposed, not from the guide].

    Each outcome's deadweight, displacement, attribution and drop-off vary by
    ``± share_step`` (clipped to [0, 1]); quantity and proxy by ``± relative`` of their
    value; the discount rate between 0 % and 6 %.
    """
    rows = []
    for o in model.outcomes.itertuples(index=False):
        for p in ("quantity", "proxy"):
            v = float(getattr(o, p))
            rows.append((o.outcome_id, p, v * (1 - relative), v * (1 + relative)))
        for p in SHARE_COLUMNS:
            v = float(getattr(o, p))
            rows.append((o.outcome_id, p, max(0.0, v - share_step), min(1.0, v + share_step)))
    rows.append(("*", "discount_rate", 0.0, 0.06))
    return pd.DataFrame(rows, columns=["target", "parameter", "low", "high"])


def _check_ranges(model: SROIModel, ranges: pd.DataFrame | None) -> pd.DataFrame:
    from localise.problems import ProblemCollector

    if ranges is None or len(ranges) == 0:
        return default_ranges(model)
    problems = ProblemCollector(f"{model.source} (sensitivity)")
    ids = set(model.outcomes["outcome_id"].astype(str))
    for i, r in enumerate(ranges.to_dict("records"), start=1):
        target, parameter = str(r.get("target", "*")), str(r.get("parameter", ""))
        if parameter not in SENSITIVITY_PARAMETERS:
            problems.add(i, "parameter", f"expected one of {', '.join(SENSITIVITY_PARAMETERS)}, found {parameter!r}")
        if target != "*" and target not in ids:
            problems.add(i, "target", f"expected an outcome_id ({', '.join(sorted(ids))}) or '*', found {target!r}")
        low, high = _number(r.get("low")), _number(r.get("high"))
        if low is None or high is None:
            problems.add(i, "low/high", f"expected numbers, found {r.get('low')!r}, {r.get('high')!r}")
            continue
        if low > high:
            problems.add(i, "low/high", f"low ({low}) is greater than high ({high})")
        if parameter in SHARE_COLUMNS and not (0 <= low <= 1 and 0 <= high <= 1):
            problems.add(i, "low/high", f"{parameter} is a share: expected values in [0, 1], found {low}, {high}")
        if parameter == "duration_years" and low < 1:
            problems.add(i, "low", f"durations must be at least 1 year, found {low}")
        if parameter == "discount_rate" and not (0 <= low and high < 1):
            problems.add(i, "low/high", f"discount rate must lie in [0, 1), found {low}, {high}")
    problems.raise_if_any()
    out = pd.DataFrame(ranges)[["target", "parameter", "low", "high"]].copy()
    out["target"] = out["target"].astype(str)
    out[["low", "high"]] = out[["low", "high"]].astype(float)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# input files


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _row_id(i: int, label: str, row_offset: int) -> str | int:
    """Row named in messages: the file line (``i + row_offset``), or ``label[n]`` for YAML lists (offset 0)."""
    return i + row_offset if row_offset != 0 else f"{label}[{i + 1}]"


def _check_currency(problems: ProblemCollector, rid: str | int, found: Any, currency: str, what: str) -> None:
    if found not in (None, "") and str(found) != currency:
        problems.add(rid, "currency", f"{what} currency {found!r} differs from the analysis currency {currency!r}")


def _check_tables(
    problems: ProblemCollector,
    outcomes: pd.DataFrame,
    inputs: pd.DataFrame,
    discount_rate: Any,
    outcome_label: str,
    input_label: str,
) -> float | None:
    """Discount rate, required columns and empty tables; raises at once when columns are missing."""
    rate = _number(discount_rate)
    if rate is None or not (0 <= rate < 1):
        problems.add(None, "discount_rate", f"expected a number in [0, 1) (e.g. 0.035), found {discount_rate!r}")
    missing = [c for c in OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        problems.add(
            None, outcome_label, f"missing column(s) {', '.join(missing)}; expected {', '.join(OUTCOME_COLUMNS)}"
        )
    missing_in = [c for c in INPUT_COLUMNS if c not in inputs.columns]
    if missing_in:
        problems.add(
            None, input_label, f"missing column(s) {', '.join(missing_in)}; expected {', '.join(INPUT_COLUMNS)}"
        )
    if len(outcomes) == 0:
        problems.add(None, outcome_label, "no outcomes given")
    if len(inputs) == 0:
        problems.add(None, input_label, "no inputs given: the SROI ratio needs the value of inputs")
    if missing or missing_in:
        problems.raise_if_any()  # the rows cannot be read without their columns
    return rate


def _check_outcome_numbers(problems: ProblemCollector, rid: str | int, rec: dict) -> None:
    for col in NUMERIC_COLUMNS:
        v = _number(rec.get(col))
        if v is None:
            problems.add(rid, col, f"expected a number, found {rec.get(col)!r}")
        elif col in SHARE_COLUMNS and not (0 <= v <= 1):
            problems.add(rid, col, f"expected a share in [0, 1], found {v}")
        elif col == "duration_years" and (v < 1 or v != int(v)):
            problems.add(rid, col, f"expected a positive whole number of years, found {v}")
        elif col == "quantity" and v < 0:
            problems.add(rid, col, f"expected a non-negative quantity, found {v}")


def _check_outcome_rows(
    problems: ProblemCollector,
    outcomes: pd.DataFrame,
    *,
    label: str,
    row_offset: int,
    currency: str,
    stakeholders: list[str] | None,
    currencies: list[Any] | None,
) -> None:
    """Identifier, texts, stakeholder, numbers and proxy currency of every outcome row."""
    seen: set[str] = set()
    for i, rec in enumerate(outcomes.to_dict("records")):
        rid = _row_id(i, label, row_offset)
        oid = str(rec.get("outcome_id", "")).strip()
        if not oid or oid == "nan":
            problems.add(rid, "outcome_id", "expected a non-empty identifier")
        elif oid in seen:
            problems.add(rid, "outcome_id", f"duplicate outcome_id {oid!r}")
        seen.add(oid)
        for col in ("stakeholder", "outcome", "proxy_source"):
            text = rec.get(col)
            if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
                why = "every financial proxy must carry its source" if col == "proxy_source" else "expected text"
                problems.add(rid, col, f"empty: {why}")
        if stakeholders is not None and str(rec.get("stakeholder")) not in stakeholders:
            problems.add(
                rid, "stakeholder", f"{rec.get('stakeholder')!r} is not among the declared stakeholders {stakeholders}"
            )
        _check_outcome_numbers(problems, rid, rec)
        if currencies is not None:
            _check_currency(problems, rid, currencies[i], currency, "proxy")


def _check_input_rows(
    problems: ProblemCollector,
    inputs: pd.DataFrame,
    *,
    label: str,
    row_offset: int,
    currency: str,
    currencies: list[Any] | None,
) -> None:
    """Value and currency of every input row."""
    for i, rec in enumerate(inputs.to_dict("records")):
        rid = _row_id(i, label, row_offset) if row_offset == 0 else f"{label}:{i + row_offset}"
        v = _number(rec.get("value"))
        if v is None or v < 0:
            problems.add(rid, "value", f"expected a non-negative number, found {rec.get('value')!r}")
        if currencies is not None:
            _check_currency(problems, rid, currencies[i], currency, "input")


def _validate(
    outcomes: pd.DataFrame,
    inputs: pd.DataFrame,
    *,
    currency: str,
    discount_rate: Any,
    stakeholders: list[str] | None,
    source: str,
    row_offset: int = 1,
    outcome_currencies: list[Any] | None = None,
    input_currencies: list[Any] | None = None,
    outcome_label: str = "outcomes",
    input_label: str = "inputs",
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Check an impact map and inputs; raise one InputError listing every problem."""
    from localise.problems import ProblemCollector

    problems = ProblemCollector(source)
    rate = _check_tables(problems, outcomes, inputs, discount_rate, outcome_label, input_label)
    _check_outcome_rows(
        problems,
        outcomes,
        label=outcome_label,
        row_offset=row_offset,
        currency=currency,
        stakeholders=stakeholders,
        currencies=outcome_currencies,
    )
    _check_input_rows(
        problems, inputs, label=input_label, row_offset=row_offset, currency=currency, currencies=input_currencies
    )
    with np.errstate(over="ignore"):  # an overflowing total is reported by SROIModel.fit, naming the inputs
        total = float(pd.to_numeric(inputs["value"]).sum()) if not problems else 1.0
    if not problems and total <= 0:
        problems.add(None, "inputs", "total value of inputs must be positive")
    problems.raise_if_any()
    assert rate is not None  # a rate that is not a number is one of the problems raised above
    outcomes = outcomes.copy()
    outcomes["outcome_id"] = outcomes["outcome_id"].astype(str)
    for col in NUMERIC_COLUMNS:
        outcomes[col] = pd.to_numeric(outcomes[col]).astype(float)
    inputs = inputs.copy()
    inputs["value"] = pd.to_numeric(inputs["value"]).astype(float)
    return outcomes.reset_index(drop=True), inputs.reset_index(drop=True), float(rate)


def load_sroi(path: str | os.PathLike[str]) -> SROIModel:
    """Read an SROI model from YAML (``.yml``/``.yaml``) or from a CSV impact map.

    A CSV impact map needs its inputs in ``<stem>_inputs.csv`` next to it (see
    :func:`read_sroi_csv` to name the file explicitly).

    Raises
    ------
    InputError
        Listing every problem found (file:row:column: message).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected an SROI YAML file or CSV impact map)")
    if path.suffix.lower() == ".csv":
        return read_sroi_csv(path)
    if path.suffix.lower() not in (".yml", ".yaml"):
        raise InputError(f"{path}: expected a .yml/.yaml model or a .csv impact map")
    import yaml

    from localise.tables import read_text_file

    try:
        doc = yaml.safe_load(read_text_file(path, what="SROI model (YAML)"))
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a mapping with keys title, currency, inputs, outcomes")
    for key in ("inputs", "outcomes"):
        if not isinstance(doc.get(key), list):
            raise InputError(f"{path}:-:{key}: expected a list of {key}, found {type(doc.get(key)).__name__}")
    currency = str(doc.get("currency", "EUR"))
    stakeholder_list = doc.get("stakeholders")
    stakeholders = None
    stakeholder_table = None
    if stakeholder_list is not None:
        if not isinstance(stakeholder_list, list):
            raise InputError(f"{path}:-:stakeholders: expected a list")
        names = [s["name"] if isinstance(s, dict) else s for s in stakeholder_list]
        stakeholders = [str(n) for n in names]
        stakeholder_table = pd.DataFrame([s if isinstance(s, dict) else {"name": s} for s in stakeholder_list])
    outcomes = pd.DataFrame([o if isinstance(o, dict) else {} for o in doc["outcomes"]])
    inputs = pd.DataFrame([o if isinstance(o, dict) else {} for o in doc["inputs"]])
    outcome_cur = outcomes["currency"].tolist() if "currency" in outcomes else None
    input_cur = inputs["currency"].tolist() if "currency" in inputs else None
    outcomes, inputs, rate = _validate(
        outcomes,
        inputs,
        currency=currency,
        discount_rate=doc.get("discount_rate", DEFAULT_DISCOUNT_RATE),
        stakeholders=stakeholders,
        source=str(path),
        row_offset=0,
        outcome_currencies=outcome_cur,
        input_currencies=input_cur,
    )
    model = SROIModel(
        outcomes=outcomes,
        inputs=inputs,
        discount_rate=rate,
        currency=currency,
        title=str(doc.get("title", path.stem)),
        stakeholders=stakeholder_table,
        source=str(path),
    )
    if doc.get("sensitivity"):
        model.ranges = _check_ranges(model, pd.DataFrame(doc["sensitivity"]))
    return model


def read_sroi_csv(
    outcomes_path: str | os.PathLike[str],
    inputs_path: str | os.PathLike[str] | None = None,
    *,
    currency: str = "EUR",
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    title: str | None = None,
) -> SROIModel:
    """Read a CSV impact map and its inputs CSV.

    The impact map has the columns :data:`OUTCOME_COLUMNS` (optionally ``currency``);
    the inputs file the columns ``stakeholder, input, value`` (optionally ``currency``),
    by default ``<stem>_inputs.csv`` next to the impact map. Row numbers in messages are
    file lines (header = line 1).
    """
    outcomes_path = Path(outcomes_path)
    inputs_path = Path(inputs_path) if inputs_path else outcomes_path.with_name(f"{outcomes_path.stem}_inputs.csv")
    if not inputs_path.is_file():
        raise InputError(f"{inputs_path}: inputs file not found (columns stakeholder, input, value[, currency])")
    from localise.tables import read_table

    outcomes = read_table(outcomes_path, what="SROI impact map", dtype={"outcome_id": str})
    inputs = read_table(inputs_path, what="SROI inputs table")

    def currencies(frame: pd.DataFrame) -> list[Any] | None:
        if "currency" not in frame:
            return None
        return [None if pd.isna(c) else c for c in frame["currency"]]

    source = f"{outcomes_path} (inputs: {inputs_path.name})"
    outcomes, inputs, rate = _validate(
        outcomes,
        inputs,
        currency=currency,
        discount_rate=discount_rate,
        stakeholders=None,
        source=source,
        row_offset=2,
        outcome_currencies=currencies(outcomes),
        input_currencies=currencies(inputs),
        outcome_label="outcomes",
        input_label=inputs_path.name,
    )
    return SROIModel(
        outcomes=outcomes,
        inputs=inputs,
        discount_rate=rate,
        currency=currency,
        title=title or outcomes_path.stem,
        source=str(outcomes_path),
    )


# ---------------------------------------------------------------------------------------------
# plots


def plot_tornado(sens: SensitivityResult, *, top: int | None = 15, ax: Any = None) -> Any:
    """Tornado plot: ratio at the low and high end of each range around the base ratio."""
    import matplotlib.pyplot as plt

    table = sens.table.head(top) if top else sens.table
    table = table.iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(table) + 1.2))
    labels = [f"{t} · {p}" if t != "*" else f"all · {p}" for t, p in zip(table["target"], table["parameter"])]
    y = np.arange(len(table))
    base = sens.base_ratio
    ax.barh(y, table["ratio_at_low"] - base, left=base, color="#c0504d", label="low end of range")
    ax.barh(y, table["ratio_at_high"] - base, left=base, color="#4f81bd", label="high end of range")
    ax.axvline(base, color="black", lw=1)
    ax.axvline(1.0, color="grey", lw=1, ls="--")
    ax.set_yticks(y, labels)
    ax.set_xlabel("SROI ratio")
    ax.set_title(f"One-at-a-time sensitivity: {sens.title}")
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


def plot_monte_carlo(mc: MonteCarloResult, *, ax: Any = None) -> Any:
    """Histogram of Monte Carlo SROI ratios with the base ratio and the 1:1 line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(mc.ratios, bins=40, color="#4f81bd", alpha=0.8)
    ax.axvline(mc.base_ratio, color="black", lw=1, label="base ratio")
    ax.axvline(1.0, color="grey", ls="--", lw=1, label="1:1")
    ax.set_xlabel("SROI ratio")
    ax.set_ylabel("draws")
    ax.set_title(f"Monte Carlo ({mc.n_draws} draws): {mc.title}")
    ax.legend(fontsize=8)
    return ax.figure
