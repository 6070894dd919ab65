"""Gender gaps of sex-disaggregated indicators and the EIGE Gender Equality Index check.

Gap measures (women ``W``, men ``M``; see docs/methods/cohesion.md, "Gender gaps"):

* ``difference = M - W`` (percentage points for rates; the Social Scoreboard convention);
* ``ratio = W / M`` (parity); ``relative_gap = (M - W) / M``;
  ``symmetric_gap = (W - M) / (W + M)`` in [-1, 1];
* the EIGE gap metric (docs/methods/cohesion.md, "EIGE gap metric"): lower-is-better rates are first reversed
  (``100 - x``); ``x_bar = (x_w + x_m) / 2``; ``Gamma = |x_w / x_bar - 1|``;
  correction coefficient ``alpha = x_bar / max(x_bar)`` with the maximum over all
  regions and years of the indicator in the data passed in; score
  ``1 + 99 * alpha * (1 - Gamma)`` (``eige_score``) and, following Permanyer (2015),
  the un-corrected ``1 + 99 * (1 - Gamma)`` (``eige_score_uncorrected``).
  The EIGE metric is computed for rates and years only, not for counts.

The EIGE index check recomputes each published index value as the weighted geometric
mean of the six published domain scores and compares (tolerance 0.1 by default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import DataUnavailableError, InputError
from localise.results import Results
from localise.warnings import MapSkippedWarning, SyntheticDataWarning

__all__ = [
    "EIGE_DOMAINS",
    "indicator_metadata",
    "sex_gaps",
    "eige_correction",
    "rank_gaps",
    "gap_map",
    "diverging_norm",
    "load_eige_table",
    "read_eige_mirror_csv",
    "eige_weights",
    "eige_index",
    "eige_index_check",
    "fit_eige_weights",
    "cross_validate_eige_weights",
    "EigeCheckResult",
    "plot_eige_trends",
]

EIGE_DOMAINS = ("work", "money", "knowledge", "time", "power", "health")


# ---------------------------------------------------------------------------------------------
# sex-disaggregated gaps


def indicator_metadata() -> pd.DataFrame:
    """Direction (``better``), scale (``kind``) and label of known indicators (package data)."""
    import yaml

    from localise.cohesion import package_data

    doc = yaml.safe_load(package_data("gender_indicators.yml").read_text(encoding="utf-8"))
    meta = pd.DataFrame.from_dict(doc["indicators"], orient="index")
    meta.index.name = "indicator"
    return meta


def _meta_for(indicator: str, unit: str, meta: pd.DataFrame) -> tuple[str, str]:
    if indicator in meta.index:
        return str(meta.at[indicator, "better"]), str(meta.at[indicator, "kind"])
    kind = "rate" if str(unit).upper().startswith("PC") else "other"
    return "higher", kind


def sex_gaps(panel: pd.DataFrame, *, indicators: list[str] | None = None) -> pd.DataFrame:
    """Gender gaps for every indicator of a tidy panel that has both F and M rows.

    Parameters
    ----------
    panel
        Tidy panel (data API contract: geo, country, year, indicator, sex, unit, value, flags ...).
    indicators
        Restrict to these indicators; default every sex-disaggregated one.

    Returns
    -------
    DataFrame
        One row per (geo, year, indicator) with ``women``, ``men``, ``total`` (NaN when
        absent), ``difference``, ``ratio``, ``relative_gap``, ``symmetric_gap``, and for
        rates/years ``eige_gamma``, ``eige_alpha``, ``eige_score``,
        ``eige_score_uncorrected``; ``better`` and ``kind`` from the indicator metadata;
        ``flags`` joins the F and M flags. ``attrs`` are copied from ``panel``.
    """
    required = {"geo", "year", "indicator", "sex", "value"}
    missing = required - set(panel.columns)
    if missing:
        raise InputError(f"sex_gaps: panel lacks column(s) {sorted(missing)}; expected the tidy panel schema")
    data = panel if indicators is None else panel[panel["indicator"].isin(indicators)]
    keys = [c for c in ("geo", "country", "year", "indicator", "unit") if c in data.columns]
    data = data.assign(flags=data["flags"] if "flags" in data else "")
    wide = data.pivot_table(index=keys, columns="sex", values="value", aggfunc="first")
    flags = (
        data[data["sex"].isin(["F", "M"])]
        .groupby(keys)["flags"]
        .agg(lambda s: "".join(sorted(set("".join(map(str, s))))))
    )
    if "F" not in wide or "M" not in wide:
        return pd.DataFrame(columns=[*keys, "women", "men"])
    wide = wide.dropna(subset=["F", "M"])
    out = wide.rename(columns={"F": "women", "M": "men", "T": "total"}).reset_index()
    if "total" not in out:
        out["total"] = np.nan
    out = out.merge(flags.rename("flags").reset_index(), on=keys, how="left")
    meta = indicator_metadata()
    unit = out["unit"] if "unit" in out else pd.Series("", index=out.index)
    bk = [_meta_for(i, u, meta) for i, u in zip(out["indicator"], unit)]
    out["better"] = [b for b, _ in bk]
    out["kind"] = [k for _, k in bk]
    w, m = out["women"].astype(float), out["men"].astype(float)
    out["difference"] = m - w
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = w / m
        out["relative_gap"] = (m - w) / m
        out["symmetric_gap"] = (w - m) / (w + m)
    # EIGE metric (rates and years only)
    eligible = out["kind"].isin(["rate", "years"])
    reverse = eligible & (out["better"] == "lower") & (out["kind"] == "rate")
    xw = np.where(reverse, 100 - w, w)
    xm = np.where(reverse, 100 - m, m)
    xbar = (xw + xm) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.abs(xw / xbar - 1)
    out["eige_gamma"] = np.where(eligible, gamma, np.nan)
    out["_xbar"] = np.where(eligible, xbar, np.nan)
    out["eige_alpha"] = out["_xbar"] / out.groupby("indicator")["_xbar"].transform("max")
    out["eige_score"] = 1 + 99 * out["eige_alpha"] * (1 - out["eige_gamma"])
    out["eige_score_uncorrected"] = 1 + 99 * (1 - out["eige_gamma"])
    out = out.drop(columns="_xbar").sort_values(["indicator", "geo", "year"], kind="stable").reset_index(drop=True)
    out.attrs.update(panel.attrs)
    return out


def eige_correction(gaps: pd.DataFrame) -> pd.DataFrame:
    """Median EIGE gap, correction coefficient and score with and without it, per indicator.

    ``gaps`` is a :func:`sex_gaps` table; rows without an EIGE score (counts) are left out.
    Columns ``median_gamma``, ``median_alpha``, ``median_score``, ``median_score_uncorrected``;
    ``attrs`` (the SYNTHETIC flag) are those of ``gaps``.
    """
    out = (
        gaps.dropna(subset=["eige_score"])
        .groupby("indicator")
        .agg(
            median_gamma=("eige_gamma", "median"),
            median_alpha=("eige_alpha", "median"),
            median_score=("eige_score", "median"),
            median_score_uncorrected=("eige_score_uncorrected", "median"),
        )
    )
    out.attrs.update(gaps.attrs)  # a grouped aggregate does not carry them over
    return out


def rank_gaps(
    gaps: pd.DataFrame,
    indicator: str,
    *,
    year: int | None = None,
    by: str = "abs_difference",
    ascending: bool = False,
    top: int | None = None,
) -> pd.DataFrame:
    """Regions ranked by a gap measure for one indicator and year (default: latest year).

    The default ranks by the size of the gap whatever its sign (``abs_difference``),
    so the largest disadvantages of women and of men both appear; the signed
    ``difference`` (men - women) and ``disadvantaged`` (the sex worse off given the
    indicator's direction: for "lower is better" indicators the sex with the higher
    value) are shown. The sex-disaggregated levels stay next to the gap (Umeå
    declaration: keep the data by sex visible).
    """
    sub = gaps[gaps["indicator"] == indicator]
    if sub.empty:
        raise InputError(
            f"rank_gaps: no gaps for indicator {indicator!r}; available: {sorted(gaps['indicator'].unique())}"
        )
    year = int(sub["year"].max()) if year is None else int(year)
    sub = sub[sub["year"] == year].assign(abs_difference=lambda f: f["difference"].abs())
    women_higher = sub["women"] > sub["men"]
    lower_better = sub["better"] == "lower" if "better" in sub else pd.Series(False, index=sub.index)
    worse_women = women_higher == lower_better
    sub = sub.assign(disadvantaged=np.where(sub["women"] == sub["men"], "none", np.where(worse_women, "women", "men")))
    if by not in sub.columns:
        raise InputError(f"rank_gaps: unknown measure {by!r}")
    cols = [
        c
        for c in (
            "geo",
            "country",
            "year",
            "women",
            "men",
            "total",
            "difference",
            "abs_difference",
            "disadvantaged",
            "ratio",
            "eige_score",
            "eige_score_uncorrected",
            "flags",
        )
        if c in sub.columns
    ]
    table = sub.sort_values(by, ascending=ascending, kind="stable")[cols].reset_index(drop=True)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    if top:
        table = table.head(top)
    table.attrs.update(gaps.attrs)
    return table


def diverging_norm(values: pd.Series) -> Any:
    """Colour norm centred on 0 with symmetric limits (``matplotlib.colors.TwoSlopeNorm``)."""
    from matplotlib.colors import TwoSlopeNorm

    bound = float(np.nanmax(np.abs(values.to_numpy(dtype=float)))) if len(values) else 1.0
    bound = bound if bound > 0 else 1.0
    return TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)


def gap_map(
    gaps: pd.DataFrame, indicator: str, *, year: int | None = None, measure: str = "difference", ax: Any = None
) -> Any | None:
    """Choropleth of a gap measure on NUTS 2 polygons, or ``None`` when no boundaries exist.

    Uses :func:`localise.data.nuts_geometries` (NUTS 2021 polygons); regions whose codes
    changed between the panel's NUTS version and 2021 stay blank.
    """
    try:
        from localise.data import nuts_geometries
    except ImportError:
        return None
    try:
        geoms = nuts_geometries(level=2)
    except Exception as error:  # noqa: BLE001 - a boundary file that cannot be read must not stop the notebook
        import warnings

        warnings.warn(f"NUTS boundaries could not be read ({error}); map skipped", MapSkippedWarning, stacklevel=2)
        return None
    if geoms is None:
        return None
    import matplotlib.pyplot as plt

    sub = gaps[gaps["indicator"] == indicator]
    if sub.empty:
        return None
    year = int(sub["year"].max()) if year is None else int(year)
    sub = sub[sub["year"] == year][["geo", measure]]
    code_col = next((c for c in ("NUTS_ID", "nuts_id", "geo", "id") if c in geoms.columns), None)
    if code_col is None:
        return None
    frame = geoms.merge(sub, left_on=code_col, right_on="geo", how="left")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    norm = diverging_norm(sub[measure])
    frame.plot(
        column=measure,
        ax=ax,
        legend=True,
        cmap="RdBu_r",
        norm=norm,
        missing_kwds={"color": "lightgrey"},
        linewidth=0.1,
        edgecolor="white",
        legend_kwds={"label": f"{measure}: men - women (0 = parity)", "shrink": 0.6},
    )
    ax.set_xlim(-25, 45)
    ax.set_ylim(34, 72)
    ax.set_axis_off()
    ax.set_title(f"{indicator}: {measure} (men - women), {year}")
    return ax.figure


# ---------------------------------------------------------------------------------------------
# EIGE Gender Equality Index


def read_eige_mirror_csv(path: str | os.PathLike[str], *, record: bool = True) -> pd.DataFrame:
    """Read the mirror's ``eige/gender_equality_index_2013_2022_long.csv`` as a tidy frame.

    Returns columns geo, edition, reference_year, domain (``index`` or a lower-case
    domain name), value. Used when :func:`localise.data.load_eige` is not available.
    """
    path = Path(path)
    raw = pd.read_csv(path)
    need = {"Index.year", "Reference.year..main.", "Country", "categoria", "valor"}
    if not need <= set(raw.columns):
        raise InputError(f"{path}: expected columns {sorted(need)}, found {list(raw.columns)}")
    out = pd.DataFrame(
        {
            "geo": raw["Country"].astype(str),
            "edition": raw["Index.year"].astype(int),
            "reference_year": raw["Reference.year..main."].astype(int),
            "domain": raw["categoria"].astype(str),
            "value": raw["valor"].astype(float),
        }
    )
    out["domain"] = _normalise_domain(out["domain"])
    out.attrs.update(synthetic=False, source_note=f"EIGE Gender Equality Index 2022 release ({path.name})")
    if record:
        from localise import provenance

        provenance.record_input(path, synthetic=False)
    return out


def _normalise_domain(domain: pd.Series) -> pd.Series:
    low = domain.astype(str).str.strip().str.lower()
    return low.where(~low.str.contains("index"), "index")


def load_eige_table() -> pd.DataFrame:
    """The EIGE table: :func:`localise.data.load_eige` when exported, else the mirror file.

    Raises
    ------
    DataUnavailableError
        When neither is available.
    """
    try:
        from localise.data import load_eige
    except ImportError:
        load_eige = None
    from localise import paths

    mirror = paths.mirror_dir()
    mirror_file = mirror / "eige" / "gender_equality_index_2013_2022_long.csv" if mirror is not None else None
    if load_eige is not None:
        import warnings

        with warnings.catch_warnings():
            if mirror_file is not None and mirror_file.is_file():
                # real EIGE values in the mirror replace a synthetic fallback below
                warnings.filterwarnings("ignore", category=SyntheticDataWarning)
            table = load_eige()
        if not table.attrs.get("synthetic") or mirror_file is None or not mirror_file.is_file():
            attrs = dict(table.attrs)
            table = table.assign(domain=_normalise_domain(table["domain"]))
            table.attrs.update(attrs)
            return table
    if mirror_file is not None and mirror_file.is_file():
        return read_eige_mirror_csv(mirror_file)
    raise DataUnavailableError(
        "EIGE Gender Equality Index table not available: localise.data.load_eige is missing and "
        "LOCALISE_DATA_MIRROR does not hold eige/gender_equality_index_2013_2022_long.csv"
    )


def eige_weights(path: str | os.PathLike[str] | None = None) -> pd.Series:
    """Domain weights (package data ``eige_weights.yml`` unless ``path`` is given).

    The returned Series carries ``attrs`` ``version``, ``status`` and ``source``.
    """
    import yaml

    from localise.cohesion import package_data

    path = Path(path) if path else package_data("eige_weights.yml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    weights = pd.Series(doc["weights"], dtype=float)
    weights.index = weights.index.str.lower()
    missing = set(EIGE_DOMAINS) - set(weights.index)
    if missing:
        raise InputError(f"{path}:-:weights: missing domain(s) {sorted(missing)}")
    weights = weights[list(EIGE_DOMAINS)]
    weights.attrs.update({k: doc.get(k) for k in ("version", "status", "source")})
    return weights


def eige_index(domains: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted geometric mean of the six domain scores (columns = domain names).

    Weights are normalised to sum to one: ``exp(sum_d w_d log D_d / sum_d w_d)``.
    """
    w = weights.reindex(list(EIGE_DOMAINS)).astype(float)
    values = domains[list(EIGE_DOMAINS)].astype(float)
    if (values <= 0).any().any():
        raise InputError("eige_index: domain scores must be positive (EIGE scores run from 1 to 100)")
    return np.exp((np.log(values) * w.values).sum(axis=1) / w.sum())


@dataclass(repr=False)
class EigeCheckResult(Results):
    """Outcome of :func:`eige_index_check`."""

    table: pd.DataFrame
    by_edition: pd.DataFrame
    weights: pd.Series
    tolerance: float

    @property
    def passed(self) -> bool:
        """True when every published index value is reproduced within the tolerance."""
        return bool(self.table["within_tolerance"].all())

    def to_frame(self) -> pd.DataFrame:
        """The comparison per edition."""
        return self.by_edition.copy()

    def summary(self) -> str:
        """Verdict, weights and the comparison per edition."""
        w = ", ".join(f"{k} {v:.4g}" for k, v in self.weights.items())
        status = self.weights.attrs.get("status", "")
        verdict = "PASSED" if self.passed else "FAILED"
        n_out = int((~self.table["within_tolerance"]).sum())
        return (
            f"EIGE index check ({verdict}): weighted geometric mean of the six domains vs the "
            f"published index, tolerance ±{self.tolerance}\nweights ({status}): {w}\n"
            f"{n_out} of {len(self.table)} published values outside the tolerance\n"
            + self.by_edition.to_string(float_format=lambda v: f"{v:.3f}")
        )


def _domain_wide(eige: pd.DataFrame) -> pd.DataFrame:
    data = eige.assign(domain=_normalise_domain(eige["domain"]))
    wide = data.pivot_table(index=["edition", "geo"], columns="domain", values="value", aggfunc="first")
    cols = [*EIGE_DOMAINS, "index"]
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise InputError(f"EIGE table lacks series {missing}; expected the index and six domains")
    return wide[cols].dropna()


def eige_index_check(
    eige: pd.DataFrame | None = None, *, weights: pd.Series | None = None, tolerance: float = 0.1
) -> EigeCheckResult:
    """Recompute the published index from the six published domain scores.

    Only (edition, geo) pairs with the index and all six domains are compared. Note the
    published domain scores are rounded to one decimal, which alone moves the recomputed
    index by up to about ±0.05.
    """
    eige = load_eige_table() if eige is None else eige
    weights = eige_weights() if weights is None else weights
    wide = _domain_wide(eige)
    table = wide.copy()
    table["recomputed"] = eige_index(wide, weights)
    table["difference"] = table["recomputed"] - table["index"]
    table["within_tolerance"] = table["difference"].abs() <= tolerance + 1e-9
    # worst case of publishing the six domains and the index rounded to 0.1 (±0.05 each):
    # d log I = sum_d w_d d log D_d, so |dI| <= I * sum_d w_d 0.05 / D_d, plus 0.05 on I itself
    wn = weights.reindex(list(EIGE_DOMAINS)).astype(float)
    wn = wn / wn.sum()
    table["rounding_bound"] = table["recomputed"] * (0.05 / wide[list(EIGE_DOMAINS)] * wn.values).sum(axis=1) + 0.05
    table["within_rounding"] = table["difference"].abs() <= table["rounding_bound"]
    table = table.rename(columns={"index": "published"}).reset_index()
    by = table.groupby("edition").agg(
        n=("geo", "size"),
        n_within=("within_tolerance", "sum"),
        max_abs_difference=("difference", lambda d: d.abs().max()),
        mean_abs_difference=("difference", lambda d: d.abs().mean()),
        mean_difference=("difference", "mean"),
        n_within_rounding=("within_rounding", "sum"),
    )
    by["passed"] = by["n_within"] == by["n"]
    return EigeCheckResult(table=table, by_edition=by, weights=weights, tolerance=tolerance)


def fit_eige_weights(eige: pd.DataFrame | None = None, *, by_edition: bool = False) -> pd.DataFrame:
    """Diagnostic: weights that best reproduce the published index (least squares in logs).

    Solves ``min ||log I - log(D) w||`` subject to ``w >= 0`` and ``sum w = 1``
    (scipy SLSQP). These are *estimated* from the published values, so reproducing the
    index with them is not an independent check; they show how far the recalled weights
    are from the ones EIGE used.
    """
    from scipy.optimize import minimize

    eige = load_eige_table() if eige is None else eige
    wide = _domain_wide(eige)
    groups = wide.groupby(level="edition") if by_edition else [("all", wide)]
    rows = {}
    for name, g in groups:
        a = np.log(g[list(EIGE_DOMAINS)].to_numpy())
        b = np.log(g["index"].to_numpy())
        res = minimize(
            lambda w, a=a, b=b: float(np.sum((a @ w - b) ** 2)),
            x0=np.full(6, 1 / 6),
            bounds=[(0, 1)] * 6,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
            method="SLSQP",
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        pred = np.exp(a @ res.x)
        rows[name] = {**dict(zip(EIGE_DOMAINS, res.x)), "max_abs_difference": float(np.max(np.abs(pred - g["index"])))}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "edition"
    return out


def cross_validate_eige_weights(eige: pd.DataFrame | None = None) -> pd.DataFrame:
    """Out-of-sample check of the aggregation: weights fitted on all editions but one.

    For every edition, :func:`fit_eige_weights` is run on the other editions and the
    held-out edition's index is recomputed from its domain scores with those weights;
    the errors are compared with the rounding bound of :func:`eige_index_check`.

    Returns
    -------
    DataFrame
        One row per held-out edition: ``n``, ``max_abs_difference``,
        ``mean_abs_difference``, ``n_within_rounding`` and the fitted weights.
    """
    eige = load_eige_table() if eige is None else eige
    rows = {}
    for edition in sorted(eige["edition"].unique()):
        fitted = fit_eige_weights(eige[eige["edition"] != edition]).loc["all", list(EIGE_DOMAINS)]
        held = eige_index_check(eige[eige["edition"] == edition], weights=fitted)
        t = held.table
        rows[edition] = {
            "n": len(t),
            "max_abs_difference": float(t["difference"].abs().max()),
            "mean_abs_difference": float(t["difference"].abs().mean()),
            "n_within_rounding": int(t["within_rounding"].sum()),
            **fitted.to_dict(),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "held_out_edition"
    return out


def plot_eige_trends(eige: pd.DataFrame, geos: list[str], *, edition: int | None = None, ax: Any = None) -> Any:
    """Index and domain scores of ``geos`` across editions (or one edition's domains as bars)."""
    import matplotlib.pyplot as plt

    data = eige.assign(domain=_normalise_domain(eige["domain"]))
    data = data[data["geo"].isin(geos)]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    if edition is None:
        idx = data[data["domain"] == "index"]
        for geo, g in idx.groupby("geo"):
            ax.plot(g["edition"], g["value"], marker="o", label=geo)
        ax.set_xlabel("edition")
        ax.set_ylabel("Gender Equality Index")
    else:
        wide = data[data["edition"] == edition].pivot_table(index="domain", columns="geo", values="value")
        wide.plot.bar(ax=ax)
        ax.set_ylabel(f"score ({edition} edition)")
    ax.legend(fontsize=8, ncol=2)
    return ax.figure
