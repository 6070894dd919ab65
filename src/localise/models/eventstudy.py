"""Event studies around national governance reforms with staggered adoption.

Two estimators on a panel of units (NUTS2 regions) whose treatment date is set
at a higher level (the country's reform year ``G``); relative time ``k = t - G``:

``estimator="twfe"``
    The conventional dynamic two-way FE regression (docs/methods/models.md, "Two-way FE event study")::

        y_it = alpha_i + lambda_t + sum_{k != -1} gamma_k 1[t - G_i = k] + x_it' beta + e_it

    with the end points binned (``k <= -leads`` and ``k >= lags``). With
    staggered adoption and effects that vary across cohorts, gamma_k mixes
    "forbidden" comparisons and can be biased (Goodman-Bacon 2021; Sun and
    Abraham 2021).

``estimator="sun_abraham"`` (default)
    The interaction-weighted estimator of Sun and Abraham (2021, J. Econometrics
    225(2)): a fully saturated regression with one coefficient ``delta_{g,k}``
    for every treated cohort ``g`` and relative period ``k != -1`` (no binning),
    unit and period effects, and as controls the never-treated units (or, if
    there are none, the last-treated cohort, whose periods from its treatment
    onwards are dropped). The event-time effect is the cohort-share weighted
    average ``gamma_k = sum_g w_{g,k} delta_{g,k}`` with ``w_{g,k}`` the share of
    cohort ``g`` among treated observations at relative time ``k``; its variance
    is ``W V W'`` with ``V`` the cluster-robust covariance of the deltas (the
    weights are treated as fixed, as in R ``fixest::sunab``). In a balanced
    panel without covariates, ``delta_{g,k}`` equals the 2 × 2 DiD of cohort
    ``g`` against the never-treated between ``g - 1`` and ``g + k``, i.e.
    Callaway and Sant'Anna's ATT(g, g+k) with never-treated controls and a
    ``g - 1`` base period (tested).

Why hand-written: ``pyfixest`` (0.60) has a saturated event study but would add
several dependencies (formulaic, narwhals, maketables, a compiled core) to a
project that already has ``linearmodels``; ``differences`` and ``csdid`` are
small one-author packages. The saturated regression is fitted by
:func:`localise.models.panel.fit_panel_ols`, the :class:`linearmodels.PanelOLS` fit of
the panel regressions, so standard errors share their flavour, and the wild cluster
bootstrap (:func:`localise.models.wildboot.twoway_wild_bootstrap`) runs on the same design.

The overall ATT is the observation-weighted average of the post-treatment
effects ``k = 0 .. lags`` (for ``twfe`` the last bin includes later periods).
Its interval and p-value come by default from randomization inference over the
assignment of treatment dates to clusters (:mod:`localise.models.randinf`),
because reforms are national and only a few countries are treated: cluster-robust
t intervals then over-reject, and so does the restricted wild cluster bootstrap
when, as here, a cohort is a single country (MacKinnon and Webb 2017, 2018;
Conley and Taber 2011). The event-time coefficients and the pre-trend F test use
cluster-robust ``t(G - 1)`` / ``F(q, G - 1)`` reference distributions with ``G``
clusters (indicative only with few treated clusters). The pre-trend test is the joint
Wald test that all leads ``k = -leads .. -2`` are zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from localise.errors import InputError
from localise.models.panel import cluster_codes, fit_panel_ols
from localise.models.randinf import RandomizationResult, att_weights, event_columns, randomization_inference
from localise.models.wildboot import FEW_CLUSTERS_WARNING, WildBootResult, twoway_wild_bootstrap
from localise.results import Results

__all__ = ["EventStudy", "EventStudyResults", "treatment_years"]


def treatment_years(
    reforms: pd.DataFrame,
    *,
    reform: str | Sequence[str] | None = None,
    which: Literal["first", "last"] = "first",
    countries: Sequence[str] | None = None,
) -> dict[str, int]:
    """Treatment year per country from a reforms table (``localise.grid.load_reforms()``).

    Parameters
    ----------
    reforms
        Columns ``country``, ``reform``, ``year``.
    reform
        Keep only these reform names (exact match); default all.
    which
        With several reforms in one country, take the first or last year.
    countries
        Keep only these countries.
    """
    if which not in ("first", "last"):
        raise InputError(f"treatment_years: which={which!r}; expected 'first' or 'last'")
    absent = [c for c in ("country", "year") if c not in reforms.columns]
    if absent:
        raise InputError(f"treatment_years: reforms table lacks column(s) {absent}")
    table = reforms
    if reform is not None:
        names = [reform] if isinstance(reform, str) else list(reform)
        table = table[table["reform"].isin(names)]
        if table.empty:
            raise InputError(f"treatment_years: no reform named {names} in the table")
    if countries is not None:
        table = table[table["country"].isin(list(countries))]
    years = pd.to_numeric(table["year"], errors="coerce")
    if years.isna().any():
        raise InputError("treatment_years: reforms table has a missing or non-numeric year")
    agg = years.groupby(table["country"]).agg("min" if which == "first" else "max")
    return {str(c): int(y) for c, y in agg.items()}


@dataclass(repr=False)
class EventStudyResults(Results):
    """Results of :class:`EventStudy`."""

    estimator: str
    y: str
    x: list[str]
    leads: int
    lags: int
    coefs: pd.DataFrame
    att: dict[str, float]
    pretrend: dict[str, float]
    cohorts: dict[str, int]
    control_group: str
    n_clusters: int
    n_treated_clusters: int
    nobs: int
    n_entities: int
    cluster: str
    notes: list[str]
    data: pd.DataFrame
    raw: Any = field(repr=False)
    design: dict[str, Any] = field(repr=False, default_factory=dict)
    synthetic: bool = False
    randomization: RandomizationResult | None = field(repr=False, default=None)

    def summary(self) -> str:
        name = {
            "twfe": "TWFE event study (binned end points)",
            "sun_abraham": "Sun-Abraham interaction-weighted event study",
        }[self.estimator]
        lines = [
            f"{name}: {self.y}" + (f" ~ {' + '.join(self.x)}" if self.x else ""),
            f"window k = -{self.leads} .. {self.lags} (reference k = -1); controls: {self.control_group}",
            f"N = {self.nobs}, units = {self.n_entities}, clusters ({self.cluster}) = {self.n_clusters}, "
            f"treated clusters = {self.n_treated_clusters}",
            f"cohorts (treatment year: clusters): {self.cohorts}",
        ]
        lines.extend(self.banner())
        a = self.att
        lines.append(
            f"ATT (k = 0..{self.lags}) = {a['estimate']:.4g}; {100 * a['level']:.0f}% CI "
            f"[{a['ci_low']:.4g}, {a['ci_high']:.4g}], p = {a['p_value']:.4f} ({a['inference']})"
        )
        if "ci_low_cluster" in a:
            lines.append(
                f"  cluster-robust for comparison: se {a['std_error']:.4g}, CI [{a['ci_low_cluster']:.4g}, "
                f"{a['ci_high_cluster']:.4g}], t({self.n_clusters - 1}); over-rejects with few treated clusters"
            )
        p = self.pretrend
        if p.get("q", 0) > 0:
            lines.append(
                f"pre-trend test (leads jointly 0): F({int(p['q'])}, {int(p['df_denom'])}) = {p['F']:.3f}, "
                f"p = {p['p_F']:.4f}; Wald chi2 p = {p['p_chi2']:.4f}"
            )
        else:
            lines.append("pre-trend test: no leads to test")
        lines.append(f"NOTE: {FEW_CLUSTERS_WARNING}")
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self.coefs[["k", "estimate", "std_error", "ci_low", "ci_high", "n_obs"]].to_string(index=False))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Tidy estimates: event-time coefficients and the ATT."""
        c = self.coefs
        ev = pd.DataFrame(
            {
                "term": [f"k={int(k)}" for k in c["k"]],
                "estimate": c["estimate"],
                "std_error": c["std_error"],
                "p_value": c["p_value"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "n_obs_cell": c["n_obs"],
            }
        )
        att = pd.DataFrame(
            [
                {
                    "term": "ATT",
                    "estimate": self.att["estimate"],
                    "std_error": self.att["std_error"],
                    "p_value": self.att["p_value"],
                    "ci_low": self.att["ci_low"],
                    "ci_high": self.att["ci_high"],
                    "n_obs_cell": self.att["n_obs"],
                }
            ]
        )
        out = pd.concat([ev, att], ignore_index=True)
        out.insert(0, "model", f"event study ({self.estimator}) {self.y}")
        out["nobs"] = self.nobs
        out["n_clusters"] = self.n_clusters
        out["n_treated_clusters"] = self.n_treated_clusters
        out["cov_type"] = f"clustered by {self.cluster} (CR1), t(G-1)"
        out.loc[out["term"] == "ATT", "cov_type"] = self.att["inference"]
        out["pretrend_p_F"] = self.pretrend.get("p_F", np.nan)
        out["synthetic"] = self.synthetic
        return out

    def wild_bootstrap(
        self,
        target: Literal["att"] | int = "att",
        *,
        null: float = 0.0,
        reps: int = 999,
        weights: Literal["webb", "rademacher"] = "webb",
        seed: int = 0,
        level: float = 0.95,
    ) -> WildBootResult:
        """Wild cluster bootstrap (restricted, Webb weights) for the ATT or one ``gamma_k``.

        The test runs on the same design as the estimate (unit effects absorbed by
        demeaning, period dummies explicit), so the CR1 standard error equals the
        analytic one.
        """
        d = self.design
        if target == "att":
            w = d["att_weights"]
            term = "ATT"
        else:
            k = int(target)
            if k not in d["k_weights"]:
                raise InputError(f"wild_bootstrap: k={k} is not an estimated event time ({sorted(d['k_weights'])})")
            w = d["k_weights"][k]
            term = f"k={k}"
        return twoway_wild_bootstrap(
            d["frame"],
            self.y,
            d["columns"],
            entity=d["entity"],
            time=d["time"],
            cluster=self.cluster,
            contrast=w,
            null=null,
            reps=reps,
            weights=weights,
            seed=seed,
            level=level,
            n_treated_clusters=self.n_treated_clusters,
            term=term,
        )

    def plot(self, ax: Any = None, *, title: str | None = None) -> Any:
        """Event-time coefficients with confidence intervals; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        c = self.coefs
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
        ax.errorbar(
            c["k"], c["estimate"], yerr=[c["estimate"] - c["ci_low"], c["ci_high"] - c["estimate"]], fmt="o", capsize=3
        )
        ax.set_xlabel("years relative to reform (k = -1 reference)")
        ax.set_ylabel(f"effect on {self.y}")
        if title:
            ax.set_title(title)
        return ax


class EventStudy:
    """Event study around a (staggered) treatment date set per cluster (country).

    Parameters
    ----------
    y
        Outcome column.
    treatment_year
        Mapping from the value of ``treat_col`` (country code) to the reform year.
        Units of countries not in the mapping are never treated.
    leads, lags
        Event window ``k = -leads .. lags`` reported (``k = -1`` is the reference).
    x
        Time-varying controls.
    estimator
        ``"sun_abraham"`` (default, heterogeneity-robust) or ``"twfe"``.
    entity, time, treat_col, cluster
        Column names; ``cluster`` defaults to the treatment level.
    level
        Confidence level.
    inference
        Interval and p-value of the overall ATT. ``"randomization"`` (default):
        randomization inference over the assignment of treatment dates to the
        clusters of ``treat_col`` (:mod:`localise.models.randinf`; Conley and
        Taber 2011, MacKinnon and Webb 2020), which stays honest with few treated
        clusters, where cluster-robust t intervals and the wild cluster bootstrap
        over-reject (MacKinnon and Webb 2017, 2018). ``"cluster"``: CR1 standard
        error with ``t(G - 1)``. The event-time coefficients and the pre-trend
        test are always cluster-robust.
    ri_reps, seed
        Random assignments and their seed for randomization inference.
    """

    def __init__(
        self,
        y: str,
        *,
        treatment_year: Mapping[str, int],
        leads: int = 4,
        lags: int = 5,
        x: Sequence[str] = (),
        estimator: Literal["sun_abraham", "twfe"] = "sun_abraham",
        entity: str = "geo",
        time: str = "year",
        treat_col: str = "country",
        cluster: str | None = None,
        level: float = 0.95,
        inference: Literal["randomization", "cluster"] = "randomization",
        ri_reps: int = 999,
        seed: int = 0,
    ) -> None:
        if inference not in ("randomization", "cluster"):
            raise InputError(f"inference={inference!r}; expected 'randomization' or 'cluster'")
        if estimator not in ("sun_abraham", "twfe"):
            raise InputError(f"estimator={estimator!r}; expected 'sun_abraham' or 'twfe'")
        if leads < 1 or lags < 0:
            raise InputError(f"leads={leads}, lags={lags}: need leads >= 1 and lags >= 0")
        if not treatment_year:
            raise InputError("EventStudy: treatment_year is empty; no unit is treated")
        self.y = y
        self.treatment_year = {str(k): int(v) for k, v in dict(treatment_year).items()}
        self.leads = int(leads)
        self.lags = int(lags)
        self.x = list(x)
        self.estimator = estimator
        self.entity = entity
        self.time = time
        self.treat_col = treat_col
        self.cluster = cluster or treat_col
        self.level = level
        self.inference = inference
        self.ri_reps = int(ri_reps)
        self.seed = int(seed)

    def fit(self, panel: pd.DataFrame) -> EventStudyResults:
        """Fit on a wide panel (one row per entity × period, e.g. from :func:`prepare_panel`)."""
        frame, notes, control_group = self._estimation_sample(panel)
        treated = frame["_G"].notna()
        cohorts = {str(int(c)): int(n) for c, n in frame.loc[treated].groupby("_G")[self.treat_col].nunique().items()}
        frame, cols, k_weights, cell_obs = self._event_design(frame)
        regressors = [*cols, *self.x]
        res, n_clusters = self._regression(frame, regressors)
        df = n_clusters - 1
        coefs = _event_time_table(res.params, res.cov, k_weights, cell_obs, df=df, level=self.level)
        # overall ATT: observation-weighted mean over post cells k = 0..lags
        att_w = att_weights(k_weights, cell_obs)
        att = _cluster_att(
            res.params,
            res.cov,
            att_w,
            n_obs=sum(cell_obs[k] for k in k_weights if k >= 0),
            df=df,
            level=self.level,
            inference=f"cluster-robust (CR1, {self.cluster}), t({df})",
        )
        randomization = self._randomization(frame, att, notes)
        out_frame = frame.drop(columns=cols)
        out_frame.attrs.update(panel.attrs)
        return EventStudyResults(
            estimator=self.estimator,
            y=self.y,
            x=self.x,
            leads=self.leads,
            lags=self.lags,
            coefs=coefs,
            att=att,
            pretrend=_pretrend_test(res.params, res.cov, k_weights, df),
            cohorts=cohorts,
            control_group=control_group,
            n_clusters=n_clusters,
            n_treated_clusters=int(frame.loc[treated, self.cluster].nunique()),
            nobs=int(res.nobs),
            n_entities=int(frame[self.entity].nunique()),
            cluster=self.cluster,
            notes=notes,
            data=out_frame.rename(columns={"_G": "treatment_year", "_k": "event_time"}),
            raw=res,
            design={
                "frame": frame,
                "columns": regressors,
                "entity": self.entity,
                "time": self.time,
                "att_weights": att_w,
                "k_weights": k_weights,
            },
            synthetic=bool(panel.attrs.get("synthetic", False)),
            randomization=randomization,
        )

    def _estimation_sample(self, panel: pd.DataFrame) -> tuple[pd.DataFrame, list[str], str]:
        """Rows of the fit with treatment year ``_G`` (NaN for controls) and event time ``_k``; notes; controls."""
        needed = list(dict.fromkeys([self.entity, self.time, self.treat_col, self.cluster, self.y, *self.x]))
        absent = [c for c in needed if c not in panel.columns]
        if absent:
            raise InputError(f"EventStudy: column(s) {absent} not in the panel (columns: {list(panel.columns)})")
        frame = panel[needed].dropna().sort_values([self.entity, self.time]).reset_index(drop=True)
        if frame.duplicated([self.entity, self.time]).any():
            raise InputError(f"EventStudy: duplicated ({self.entity}, {self.time}) keys")
        notes: list[str] = []
        first, last = int(frame[self.time].min()), int(frame[self.time].max())
        present = set(frame[self.treat_col].astype(str).unique())
        missing = sorted(set(self.treatment_year) - present)
        if missing:
            notes.append(f"treated {self.treat_col} not in the sample: {missing}")
        g = frame[self.treat_col].astype(str).map(self.treatment_year).astype("float64")
        always = g <= first
        if always.any():
            dropped = sorted(frame.loc[always, self.treat_col].astype(str).unique())
            notes.append(f"dropped {dropped}: treated at or before the first year {first} (no pre-period)")
        late = g > last
        if late.any():
            moved = sorted(frame.loc[late, self.treat_col].astype(str).unique())
            notes.append(f"{moved} treated after the last year {last}: used as not-yet-treated (never in sample)")
            g = g.where(~late)
        frame = frame.loc[~always].reset_index(drop=True)
        g = g.loc[~always].reset_index(drop=True)
        if g.notna().sum() == 0:
            raise InputError("EventStudy: no treated unit with a treatment year inside the sample period")
        control_group = "never treated"
        if g.isna().sum() == 0:
            g_last = g.max()
            if self.estimator == "sun_abraham":
                keep = frame[self.time] < g_last
                control_group = f"last-treated cohort ({int(g_last)}), periods from {int(g_last)} dropped"
                frame = frame.loc[keep].reset_index(drop=True)
                g = g.loc[keep].reset_index(drop=True).where(lambda s: s != g_last)
            else:
                control_group = "not-yet-treated only (no never-treated units)"
        frame["_G"] = g
        frame["_k"] = frame[self.time] - g
        return frame, notes, control_group

    def _event_design(
        self, frame: pd.DataFrame
    ) -> tuple[pd.DataFrame, list[str], dict[int, dict[str, float]], dict[int, float]]:
        """The sample with the estimator's event-time indicators appended (:func:`event_columns`).

        Returns the extended frame, the indicator columns, the weights of each event time ``k``
        on them and the observations per ``k``.
        """
        cols, matrix, k_weights, cell_obs = event_columns(
            frame["_G"].to_numpy(dtype="float64"),
            frame["_k"].to_numpy(dtype="float64"),
            estimator=self.estimator,
            leads=self.leads,
            lags=self.lags,
        )
        frame = pd.concat([frame, pd.DataFrame(matrix, columns=cols, index=frame.index)], axis=1)
        if not cols:
            raise InputError("EventStudy: no event-time cell is observed in the window")
        return frame, cols, k_weights, cell_obs

    def _regression(self, frame: pd.DataFrame, regressors: list[str]) -> tuple[Any, int]:
        """Two-way FE fit of the event design with CR1 errors by cluster (:func:`fit_panel_ols`); result and G."""
        indexed = frame.set_index([self.entity, self.time])
        clusters = cluster_codes(frame[self.cluster], indexed.index)
        try:
            res = fit_panel_ols(indexed[self.y], indexed[regressors], effects="twoway", clusters=clusters)
        except ValueError as exc:
            raise InputError(
                f"EventStudy: the {self.estimator} design is not identified ({exc}); with no never-treated "
                "units use estimator='sun_abraham' (last-treated controls) or widen the bins"
            ) from exc
        return res, int(clusters.nunique())

    def _randomization(self, frame: pd.DataFrame, att: dict[str, Any], notes: list[str]) -> RandomizationResult | None:
        """Randomization inference of the ATT when asked for; it then gives ``att`` its interval and p-value."""
        if self.inference != "randomization":
            return None
        try:
            randomization = randomization_inference(
                frame,
                y=self.y,
                x=self.x,
                entity=self.entity,
                time=self.time,
                treat_col=self.treat_col,
                estimator=self.estimator,
                leads=self.leads,
                lags=self.lags,
                reps=self.ri_reps,
                seed=self.seed,
                level=self.level,
            )
        except InputError as exc:
            notes.append(f"randomization inference impossible ({exc}); ATT interval is cluster-robust")
            return None
        att.update(
            {
                "p_value_cluster": att["p_value"],
                "ci_low_cluster": att["ci_low"],
                "ci_high_cluster": att["ci_high"],
                "p_value": randomization.pvalue,
                "ci_low": randomization.ci_low,
                "ci_high": randomization.ci_high,
                "inference": (
                    f"randomization inference over {self.treat_col} treatment dates "
                    f"({randomization.reps} assignments of {randomization.n_assignments})"
                ),
            }
        )
        return randomization


def _on_params(weights: Mapping[str, float], params: pd.Series) -> pd.Series:
    """Weights of named coefficients as a vector aligned with ``params`` (0 for the others)."""
    return pd.Series(weights).reindex(params.index, fill_value=0.0)


def _event_time_table(
    b: pd.Series,
    V: pd.DataFrame,
    k_weights: dict[int, dict[str, float]],
    cell_obs: dict[int, float],
    *,
    df: int,
    level: float,
) -> pd.DataFrame:
    """Event-time effects ``gamma_k = w_k' b`` with CR1 standard errors and ``t(df)`` intervals."""
    crit = stats.t.ppf(0.5 + level / 2, df)
    rows = []
    for k in sorted(k_weights):
        w = _on_params(k_weights[k], b)
        rows.append((k, float(w @ b), float(np.sqrt(w @ V @ w)), cell_obs[k]))
    coefs = pd.DataFrame(rows, columns=["k", "estimate", "std_error", "n_obs"])
    coefs["t"] = coefs["estimate"] / coefs["std_error"]
    coefs["p_value"] = 2 * stats.t.sf(np.abs(coefs["t"]), df)
    coefs["ci_low"] = coefs["estimate"] - crit * coefs["std_error"]
    coefs["ci_high"] = coefs["estimate"] + crit * coefs["std_error"]
    return coefs


def _cluster_att(
    b: pd.Series, V: pd.DataFrame, weights: dict[str, float], *, n_obs: float, df: int, level: float, inference: str
) -> dict[str, Any]:
    """The overall ATT ``w' b`` with its CR1 standard error, ``t(df)`` p-value and interval."""
    crit = stats.t.ppf(0.5 + level / 2, df)
    wa = _on_params(weights, b)
    att_est = float(wa @ b)
    att_se = float(np.sqrt(wa @ V @ wa))
    return {
        "estimate": att_est,
        "std_error": att_se,
        "p_value": float(2 * stats.t.sf(abs(att_est / att_se), df)),
        "ci_low": att_est - crit * att_se,
        "ci_high": att_est + crit * att_se,
        "level": level,
        "n_obs": n_obs,
        "inference": inference,
    }


def _pretrend_test(b: pd.Series, V: pd.DataFrame, k_weights: dict[int, dict[str, float]], df: int) -> dict[str, float]:
    """Joint Wald test that the leads ``k <= -2`` are zero: chi2(q) and F(q, df)."""
    lead_ks = [k for k in sorted(k_weights) if k <= -2]
    if not lead_ks:
        return {"q": 0}
    W = np.vstack([_on_params(k_weights[k], b).to_numpy() for k in lead_ks])
    gam = W @ b.to_numpy()
    Vg = W @ V.to_numpy() @ W.T
    wald = float(gam @ np.linalg.pinv(Vg) @ gam)
    q = len(lead_ks)
    return {
        "q": q,
        "wald": wald,
        "p_chi2": float(stats.chi2.sf(wald, q)),
        "F": wald / q,
        "df_denom": df,
        "p_F": float(stats.f.sf(wald / q, q, df)) if df > 0 else np.nan,
    }
