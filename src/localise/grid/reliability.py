"""Inter-coder reliability: Krippendorff's alpha, Cohen's and Fleiss' kappa.

All functions take *long* data, one row per unit × coder, as produced by
:func:`localise.grid.coding.merge_sheets`; missing values (``NaN``) mean that the
coder did not code the unit or marked it "not assessable".

* Krippendorff's alpha is computed by the ``krippendorff`` package (Castro 2017,
  v0.9), which reproduces the worked example of Krippendorff (2011). The bootstrap
  confidence interval is a **unit-level percentile bootstrap**: pairable units are
  resampled with replacement and alpha recomputed on each resample. This is simpler
  than Krippendorff's own algorithm (which resamples pairable values) and is
  labelled as such in :class:`AlphaResult` (``ci_method``).
* Cohen's kappa (two coders; optional linear or quadratic weights) and Fleiss'
  kappa (a fixed number of ratings per unit) are computed by
  ``statsmodels.stats.inter_rater``.

Interpretation (Krippendorff 2004): alpha >= 0.800 reliable; 0.667 <= alpha < 0.800
for tentative conclusions only; below 0.667 unreliable.

References
----------
Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology*
(2nd ed.). Sage.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
School for Communication, University of Pennsylvania.
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement* 20(1), 37-46.
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
*Psychological Bulletin* 76(5), 378-382.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results
from localise.warnings import IncompleteUnitsWarning

__all__ = [
    "AlphaResult",
    "KappaResult",
    "krippendorff_alpha",
    "alpha_by",
    "interpret_alpha",
    "cohens_kappa",
    "cohens_kappa_table",
    "fleiss_kappa",
    "fleiss_kappa_table",
    "IncompleteUnitsWarning",
    "grid_reliability",
    "check_merged_codes",
]

Level = Literal["nominal", "ordinal", "interval"]
_LEVELS = ("nominal", "ordinal", "interval", "ratio")
CI_METHOD = "unit-level percentile bootstrap"


@dataclass(frozen=True, repr=False)
class AlphaResult(Results):
    """Krippendorff's alpha with its bootstrap confidence interval.

    Attributes
    ----------
    alpha
        Point estimate (``NaN`` when undefined: fewer than two pairable values or
        no variation among them).
    ci_low, ci_high
        Bounds of the percentile bootstrap interval (``NaN`` when ``n_boot == 0``).
    n_units
        Pairable units (units with at least two values).
    n_coders
        Coders who contributed at least one pairable value.
    n_pairable_values
        ``n`` in Krippendorff's notation: values in pairable units.
    level
        Level of measurement (metric δ²).
    n_boot, confidence, seed, ci_method
        Settings of the interval.
    """

    alpha: float
    ci_low: float
    ci_high: float
    n_units: int
    n_coders: int
    n_pairable_values: int
    level: str
    n_boot: int = 0
    confidence: float = 0.95
    seed: int = 0
    ci_method: str = CI_METHOD

    def to_dict(self) -> dict[str, object]:
        """The result as a plain dictionary."""
        return asdict(self)

    def summary(self) -> str:
        """One-paragraph text summary with the settings."""
        ci = (
            f"{self.confidence:.0%} CI [{self.ci_low:.3f}, {self.ci_high:.3f}] "
            f"({self.ci_method}, {self.n_boot} resamples, seed {self.seed})"
            if self.n_boot
            else "no confidence interval (n_boot=0)"
        )
        text = (
            f"Krippendorff's alpha ({self.level}) = {self.alpha:.3f}; {ci}; "
            f"{self.n_units} pairable units, {self.n_coders} coders, "
            f"{self.n_pairable_values} pairable values; {interpret_alpha(self.alpha)}"
        )
        return "\n".join([text, *self.banner()])

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table (the fields of :meth:`to_dict`)."""
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class KappaResult:
    """Cohen's or Fleiss' kappa.

    ``ci_low``/``ci_high`` are the asymptotic 95 % bounds reported by statsmodels
    for Cohen's kappa; ``NaN`` for Fleiss' kappa (statsmodels gives none).
    """

    kappa: float
    ci_low: float
    ci_high: float
    n_units: int
    n_coders: int
    method: str
    weights: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The result as a plain dictionary."""
        return asdict(self)


def interpret_alpha(alpha: float) -> str:
    """Krippendorff's (2004) reading of an alpha value."""
    if alpha is None or not np.isfinite(alpha):
        return "undefined"
    if alpha >= 0.800:
        return "reliable"
    if alpha >= 0.667:
        return "tentative"
    return "unreliable"


# --------------------------------------------------------------------------- helpers
def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _check_columns(data: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame in long form, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"data: missing column(s) {missing}; expected long data with one row per unit × coder "
            f"(columns present: {list(data.columns)})"
        )


def _check_level(level: str) -> None:
    if level not in _LEVELS:
        raise InputError(f"level: expected one of {_LEVELS}, got {level!r}")


def _wide(data: pd.DataFrame, unit: list[str], coder: str, value: str) -> pd.DataFrame:
    """Units × coders table of values; duplicates of (unit, coder) are an error."""
    _check_columns(data, [*unit, coder, value])
    frame = data[[*unit, coder, value]]
    duplicated = frame.duplicated([*unit, coder], keep=False)
    if duplicated.any():
        examples = frame.loc[duplicated, [*unit, coder]].drop_duplicates().head(5).to_dict("records")
        raise InputError(
            f"data: {int(duplicated.sum())} rows repeat a (unit, coder) pair, e.g. {examples}; "
            "expected one value per unit and coder"
        )
    key = frame[unit[0]] if len(unit) == 1 else pd.Series(list(zip(*(frame[u] for u in unit))), index=frame.index)
    table = pd.DataFrame(
        {"_unit": key.to_numpy(), "_coder": frame[coder].to_numpy(), "_value": frame[value].to_numpy()}
    )
    return table.pivot(index="_unit", columns="_coder", values="_value")


def _value_counts(wide: pd.DataFrame, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Units × values count matrix (pairable units only) and the sorted value domain."""
    values = wide.to_numpy(dtype=object)
    present = pd.notna(values)
    observed = values[present]
    if level == "nominal":
        domain = np.array(sorted({str(v) for v in observed}), dtype=object)
        coded = np.full(values.shape, -1, dtype=int)
        lookup = {v: i for i, v in enumerate(domain)}
        for i, j in zip(*np.nonzero(present)):
            coded[i, j] = lookup[str(values[i, j])]
        domain_values = np.arange(len(domain), dtype=float)
    else:
        try:
            numeric = pd.DataFrame(values).apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError) as error:
            raise InputError(f"value: level {level!r} needs numeric codes ({error})") from None
        domain_values = np.unique(numeric[~np.isnan(numeric)])
        lookup = {v: i for i, v in enumerate(domain_values)}
        coded = np.full(values.shape, -1, dtype=int)
        for i, j in zip(*np.nonzero(~np.isnan(numeric))):
            coded[i, j] = lookup[numeric[i, j]]
    counts = np.zeros((values.shape[0], len(domain_values)), dtype=float)
    for k in range(len(domain_values)):
        counts[:, k] = (coded == k).sum(axis=1)
    pairable = counts.sum(axis=1) >= 2
    return counts[pairable], domain_values


def _alpha_from_counts(counts: np.ndarray, domain: np.ndarray, level: str) -> float:
    import krippendorff

    observed = counts.sum(axis=0) > 0
    if counts.shape[0] == 0 or observed.sum() < 2:
        return float("nan")  # alpha undefined: no pairable values or no variation
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = krippendorff.alpha(
                value_counts=counts,
                value_domain=domain,
                level_of_measurement=level,  # type: ignore[arg-type]  # a name of _LEVELS (_check_level)
            )
        except (ValueError, ZeroDivisionError):
            return float("nan")
    return float(result)


# --------------------------------------------------------------------------- alpha
def krippendorff_alpha(
    data: pd.DataFrame,
    *,
    unit: str | list[str],
    coder: str,
    value: str,
    level: Level = "ordinal",
    n_boot: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> AlphaResult:
    """Krippendorff's alpha for long coding data.

    Parameters
    ----------
    data
        One row per unit × coder; ``value`` is ``NaN`` where the coder gave no code
        (including "not assessable").
    unit
        Column(s) identifying the coded unit (e.g. ``["case_id", "dimension"]``).
    coder
        Column naming the coder.
    value
        Column of codes (numeric for ordinal/interval; any labels for nominal).
    level
        ``"nominal"``, ``"ordinal"`` or ``"interval"`` (``"ratio"`` is accepted too).
    n_boot
        Number of bootstrap resamples for the confidence interval (0 = none).
    seed
        Seed of the bootstrap's random generator.
    confidence
        Coverage of the percentile interval.

    Returns
    -------
    AlphaResult

    Notes
    -----
    ``alpha = 1 - D_o / D_e`` computed from the coincidence matrix of pairable
    values (Krippendorff 2011); the computation is delegated to
    ``krippendorff.alpha(value_counts=..., value_domain=...)``. The value domain is
    the set of values observed in the whole data and kept fixed in the bootstrap.
    """
    _check_level(level)
    if n_boot < 0:
        raise InputError(f"n_boot: expected a non-negative integer, got {n_boot}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence: expected a number in (0, 1), got {confidence}")
    units = _as_list(unit)
    wide = _wide(data, units, coder, value)
    counts, domain = _value_counts(wide, level)
    alpha = _alpha_from_counts(counts, domain, level)
    # coders with at least one pairable value
    present = wide.notna()
    pairable_units = present.sum(axis=1) >= 2
    n_coders = int(present.loc[pairable_units].any(axis=0).sum())
    ci_low = ci_high = float("nan")
    if n_boot and counts.shape[0] > 0:
        rng = np.random.default_rng(seed)
        n = counts.shape[0]
        draws = np.empty(n_boot)
        for b in range(n_boot):
            draws[b] = _alpha_from_counts(counts[rng.integers(0, n, n)], domain, level)
        draws = draws[np.isfinite(draws)]
        if draws.size:
            tail = (1 - confidence) / 2
            ci_low, ci_high = (float(q) for q in np.quantile(draws, [tail, 1 - tail]))
    return AlphaResult(
        alpha=alpha,
        ci_low=ci_low,
        ci_high=ci_high,
        n_units=int(counts.shape[0]),
        n_coders=n_coders,
        n_pairable_values=int(counts.sum()),
        level=level,
        n_boot=int(n_boot),
        confidence=confidence,
        seed=int(seed),
    )


def alpha_by(
    data: pd.DataFrame,
    *,
    by: str,
    unit: str | list[str],
    coder: str,
    value: str,
    level: Level = "ordinal",
    n_boot: int = 0,
    seed: int = 0,
    threshold: float = 0.667,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Krippendorff's alpha per group (e.g. per grid dimension) and overall.

    Parameters
    ----------
    data, unit, coder, value, level, n_boot, seed, confidence
        As in :func:`krippendorff_alpha`.
    by
        Column defining the groups (e.g. ``"dimension"``). The overall alpha pools
        all groups, with ``(by, unit)`` as the unit.
    threshold
        Groups whose alpha is below ``threshold`` (or undefined) get
        ``flag_unreliable = True``; default 0.667 (Krippendorff 2004).

    Returns
    -------
    pandas.DataFrame
        One row per group, in order of first appearance, then a row ``"overall"``;
        columns ``by``, alpha, ci_low, ci_high, n_units, n_coders,
        n_pairable_values, level, interpretation, flag_unreliable. Settings are in
        ``attrs`` (level, n_boot, seed, threshold, ci_method).
    """
    units = _as_list(unit)
    _check_columns(data, [by, *units, coder, value])
    alpha = functools.partial(
        krippendorff_alpha, coder=coder, value=value, level=level, n_boot=n_boot, seed=seed, confidence=confidence
    )
    groups = data.groupby(by, sort=False, dropna=False)
    rows = [{by: group, **_row(alpha(frame, unit=units))} for group, frame in groups]
    rows.append({by: "overall", **_row(alpha(data, unit=[by, *units]))})
    table = pd.DataFrame(rows)
    table["interpretation"] = [interpret_alpha(a) for a in table["alpha"]]
    table["flag_unreliable"] = ~(table["alpha"] >= threshold)
    table.attrs.update(
        {
            "level": level,
            "n_boot": n_boot,
            "seed": seed,
            "threshold": threshold,
            "ci_method": CI_METHOD,
            "confidence": confidence,
            "synthetic": bool(data.attrs.get("synthetic", False)),
        }
    )
    return table


def _row(result: AlphaResult) -> dict[str, object]:
    return {
        "alpha": result.alpha,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "n_units": result.n_units,
        "n_coders": result.n_coders,
        "n_pairable_values": result.n_pairable_values,
        "level": result.level,
    }


# --------------------------------------------------------------------------- kappa
_WEIGHTS = (None, "linear", "quadratic")


def cohens_kappa_table(
    table: np.ndarray | pd.DataFrame, *, weights: Literal["linear", "quadratic"] | None = None
) -> KappaResult:
    """Cohen's kappa from a square contingency table (rows coder 1, columns coder 2).

    Delegates to ``statsmodels.stats.inter_rater.cohens_kappa``; weighted kappa uses
    equally spaced categories in table order.
    """
    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

    if weights not in _WEIGHTS:
        raise InputError(f"weights: expected one of {_WEIGHTS}, got {weights!r}")
    array = np.asarray(table, dtype=float)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise InputError(f"table: expected a square contingency table, got shape {array.shape}")
    result = sm_cohens_kappa(array, wt=weights)
    return KappaResult(
        kappa=float(result.kappa),
        ci_low=float(result.kappa_low),
        ci_high=float(result.kappa_upp),
        n_units=int(round(array.sum())),
        n_coders=2,
        method="cohen",
        weights=weights,
    )


def cohens_kappa(
    data: pd.DataFrame,
    *,
    unit: str | list[str],
    coder: str,
    value: str,
    coders: tuple[str, str] | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
    categories: Sequence[object] | None = None,
) -> KappaResult:
    """Cohen's kappa for two coders in long data.

    Units that either coder left missing are dropped. ``categories`` fixes the
    order (and completeness) of the table's categories; by default the sorted union
    of observed values (which matters for weighted kappa).
    """
    units = _as_list(unit)
    wide = _wide(data, units, coder, value)
    if coders is None:
        if wide.shape[1] != 2:
            raise InputError(f"coders: data hold {wide.shape[1]} coders {list(wide.columns)}; name the two to compare")
        coders = tuple(wide.columns)  # type: ignore[assignment]
    missing = [c for c in coders if c not in wide.columns]
    if missing:
        raise InputError(f"coders: {missing} not found in column {coder!r}")
    pair = wide[list(coders)].dropna()
    cats = list(categories) if categories is not None else sorted(pd.unique(pair.to_numpy().ravel()).tolist())
    first = pd.Categorical(pair.iloc[:, 0], categories=cats)
    second = pd.Categorical(pair.iloc[:, 1], categories=cats)
    if first.isna().any() or second.isna().any():
        raise InputError(f"categories: data hold values outside {cats}")
    table = pd.crosstab(first, second, dropna=False).reindex(index=cats, columns=cats, fill_value=0)
    return cohens_kappa_table(table.to_numpy(), weights=weights)


def fleiss_kappa_table(counts: np.ndarray | pd.DataFrame) -> KappaResult:
    """Fleiss' kappa from a units × categories table of rating counts.

    Every row must sum to the same number of ratings ``m``. Delegates to
    ``statsmodels.stats.inter_rater.fleiss_kappa(method="fleiss")``.
    """
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    array = np.asarray(counts, dtype=float)
    if array.ndim != 2:
        raise InputError(f"counts: expected a units × categories table, got shape {array.shape}")
    totals = array.sum(axis=1)
    if not np.allclose(totals, totals[0]):
        raise InputError(f"counts: every unit needs the same number of ratings, got row totals {sorted(set(totals))}")
    kappa = float(sm_fleiss_kappa(array, method="fleiss"))
    return KappaResult(kappa, float("nan"), float("nan"), int(array.shape[0]), int(totals[0]), "fleiss")


def fleiss_kappa(
    data: pd.DataFrame, *, unit: str | list[str], coder: str, value: str, drop_incomplete: bool = True
) -> KappaResult:
    """Fleiss' kappa for long data with the same number of ratings per unit.

    With ``drop_incomplete=True`` units with fewer ratings than the largest number
    observed are dropped with an :class:`IncompleteUnitsWarning` naming them;
    otherwise they raise :class:`InputError`.
    """
    units = _as_list(unit)
    wide = _wide(data, units, coder, value)
    per_unit = wide.notna().sum(axis=1)
    m = int(per_unit.max()) if len(per_unit) else 0
    incomplete = per_unit[per_unit < m]
    if len(incomplete) and not drop_incomplete:
        raise InputError(f"data: units {list(incomplete.index)[:10]} have fewer than {m} ratings")
    if len(incomplete):
        warnings.warn(
            f"fleiss_kappa: {len(incomplete)} of {len(per_unit)} units have fewer than {m} ratings and are "
            f"dropped: {list(incomplete.index)[:10]}; Krippendorff's alpha uses them",
            IncompleteUnitsWarning,
            stacklevel=2,
        )
    complete = wide.loc[per_unit == m]
    if m < 2 or complete.empty:
        raise InputError("data: Fleiss' kappa needs at least two ratings per unit")
    cats = sorted(pd.unique(complete.to_numpy().ravel()).tolist(), key=str)
    counts = np.stack([(complete == c).sum(axis=1).to_numpy() for c in cats], axis=1)
    return fleiss_kappa_table(counts)


def grid_reliability(
    table: pd.DataFrame, *, codebook, level: Level = "ordinal", n_boot: int = 0, seed: int = 0, threshold: float = 0.667
) -> pd.DataFrame:
    """Alpha per grid dimension from a merged coding table (:func:`~localise.grid.coding.merge_sheets`).

    Ordinal dimensions use ``level`` (default ordinal metric) and are pooled in the
    "overall" row; the nominal mode of governance gets its own row with the nominal
    metric on its categories. Not-assessable codes are missing values. Inherited rows
    are excluded: they are national codes, not independent codings.
    """
    data = table[~table["inherited"].astype(bool)] if "inherited" in table.columns else table
    ordinal = data[data["dimension"].isin(codebook.ordinal_ids)]
    result = alpha_by(
        ordinal,
        by="dimension",
        unit="case_id",
        coder="coder",
        value="level",
        level=level,
        n_boot=n_boot,
        seed=seed,
        threshold=threshold,
    )
    nominal_ids = [d for d in codebook.ids if d not in codebook.ordinal_ids]
    rows = []
    for dim in nominal_ids:
        part = data[data["dimension"] == dim].assign(category=lambda f: f["category"].replace("", np.nan))
        if part["category"].notna().sum() < 2:
            continue
        r = krippendorff_alpha(
            part, unit="case_id", coder="coder", value="category", level="nominal", n_boot=n_boot, seed=seed
        )
        rows.append(
            {
                "dimension": dim,
                **_row(r),
                "interpretation": interpret_alpha(r.alpha),
                "flag_unreliable": not (r.alpha >= threshold),
            }
        )
    if rows:
        overall = result.iloc[[-1]]
        result = pd.concat([result.iloc[:-1], pd.DataFrame(rows), overall], ignore_index=True)
    result.attrs.update(
        {
            "level": level,
            "n_boot": n_boot,
            "seed": seed,
            "threshold": threshold,
            "ci_method": CI_METHOD,
            "overall": "pooled ordinal dimensions",
            "synthetic": bool(table.attrs.get("synthetic", False)),
        }
    )
    return result


def check_merged_codes(table: pd.DataFrame, codebook, *, source: str = "merged table") -> None:
    """Raise :class:`InputError` listing every code of ``table`` that the codebook does not allow.

    A merged table edited by hand (or written with another codebook) could hold a
    dimension the codebook lacks, which :func:`grid_reliability` would drop, or a level
    outside 0-3, which would enter alpha as a valid value. Each problem names the row
    (header = row 1), the value and the allowed values.
    """
    from localise.problems import ProblemCollector

    problems = ProblemCollector(source)
    categories = table["category"] if "category" in table.columns else pd.Series("", index=table.index)
    for position, (dim, level, category) in enumerate(zip(table["dimension"], table["level"], categories)):
        row = position + 2
        dim = str(dim).strip()
        if dim not in codebook:
            problems.add(row, "dimension", f"unknown dimension {dim!r}; expected one of {codebook.ids}")
            continue
        dimension = codebook[dim]
        if dimension.is_ordinal:
            number = pd.to_numeric(pd.Series([level]), errors="coerce").iloc[0]
            if pd.isna(number) and not (pd.isna(level) or str(level).strip() == ""):
                problems.add(
                    row,
                    "level",
                    f"{dim}: level {level!r} is not a number; expected one of "
                    f"{dimension.allowed_codes[:-1]} or empty (not assessable)",
                )
            elif pd.notna(number) and float(number) not in dimension.levels:
                problems.add(
                    row,
                    "level",
                    f"{dim}: level {float(number):g} is outside the codebook; expected one of "
                    f"{dimension.allowed_codes[:-1]} or empty (not assessable)",
                )
        else:
            text = "" if pd.isna(category) else str(category).strip()
            if text and text not in dimension.categories:
                problems.add(
                    row,
                    "category",
                    f"{dim}: category {text!r} is not in the codebook; expected one of {list(dimension.categories)}",
                )
    problems.raise_if_any()
