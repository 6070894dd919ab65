"""Panel regressions on tidy long data: pooled OLS, entity FE and two-way FE.

The data layer hands out tidy long frames (one row per ``geo × year × indicator ×
sex``; see :mod:`localise.data`). :func:`prepare_panel` turns such a frame (or an
already wide frame with one row per entity and period) into the analysis panel,
checks its keys and reports what was dropped. :class:`PanelRegression` fits it
with :class:`linearmodels.PanelOLS` (see docs/methods/models.md, "Fixed effects and two-way fixed effects")::

    y_it = alpha_i + lambda_t + x_it' beta + e_it

Standard errors
---------------
``cov_type="clustered"`` (the default) uses the Stata/plm ``"sss"`` flavour of the
cluster-robust (CR1) covariance::

    V = G/(G-1) * (N-1)/(N-K) * (X'X)^-1 (sum_g X_g' e_g e_g' X_g) (X'X)^-1

with ``G`` clusters, ``N`` observations and ``K`` the number of slope coefficients
(absorbed fixed effects are *not* counted, as in Stata ``xtreg, fe vce(cluster)``
and R ``plm::vcovHC(type = "sss")``). In linearmodels terms this is
``debiased=True, count_effects=False, group_debias=True``. ``small_sample=False``
gives the uncorrected sandwich (plm ``type = "HC0"``). Both flavours are checked
against R plm in ``tests/models/test_r_oracle.py``.

With few clusters (e.g. six countries) cluster-robust inference is unreliable;
use :func:`localise.models.wildboot.wild_cluster_bootstrap`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results
from localise.warnings import FewClustersWarning

if TYPE_CHECKING:
    from localise.models.wildboot import WildBootResult

__all__ = ["prepare_panel", "PanelRegression", "PanelResults", "Effects", "fit_panel_ols", "cluster_codes"]

Effects = Literal["pooled", "entity", "twoway"]

#: Fewer clusters than this make cluster-robust standard errors unreliable (FewClustersWarning).
FEW_CLUSTERS = 30

_LONG_COLUMNS = ("indicator", "value")


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _check_keys(frame: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise InputError for missing key columns, missing key values or duplicates."""
    absent = [k for k in keys if k not in frame.columns]
    if absent:
        raise InputError(f"{what}: key column(s) {absent} not found; columns are {list(frame.columns)}")
    missing = frame[keys].isna().any(axis=1)
    if missing.any():
        rows = list(frame.index[missing][:5])
        raise InputError(
            f"{what}: {int(missing.sum())} row(s) with a missing key in {keys} "
            f"(first row labels: {rows}); every row needs all of {keys}"
        )
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        examples = frame.loc[dup, keys].drop_duplicates().head(5).to_dict("records")
        raise InputError(
            f"{what}: {int(dup.sum())} rows share a key {keys}; keys must be unique "
            f"(first duplicated keys: {examples}). Filter sex/unit/source first."
        )


def prepare_panel(
    data: pd.DataFrame,
    *,
    y: str,
    x: str | Sequence[str] | None = None,
    entity: str = "geo",
    time: str = "year",
    sex: str | None = "T",
    keep: str | Sequence[str] | None = ("country",),
    dropna: bool = True,
) -> pd.DataFrame:
    """Build the analysis panel (one row per entity and period) from tidy data.

    Parameters
    ----------
    data
        Either a tidy long frame of the :mod:`localise.data` schema (columns
        ``indicator`` and ``value``; then ``y`` and ``x`` name indicator ids), or
        a wide frame with one row per ``entity × time`` holding ``y`` and ``x``
        as columns.
    y, x
        Outcome and regressors (indicator ids or column names).
    entity, time
        Key columns. ``time`` must be integer-like (years).
    sex
        For long data with a ``sex`` column: the sex to keep (``"T"``, ``"F"``,
        ``"M"``), or ``None`` to keep every row (keys must then still be unique).
    keep
        Entity-level columns carried along (e.g. ``country`` for clustering). They
        must be constant within an entity and period.
    dropna
        Drop rows where ``y`` or any ``x`` is missing (listwise deletion); the
        number dropped is stored in ``attrs["n_dropped_missing"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``entity, time, *keep, y, *x`` sorted by entity and time, with a
        plain RangeIndex. ``attrs`` carries ``synthetic`` and ``source_note`` from
        the input and ``n_dropped_missing``.

    Raises
    ------
    InputError
        Missing key columns or values, duplicated keys, unknown indicators,
        a non-integer time column.
    """
    xs = _as_list(x)
    keep_cols = [c for c in _as_list(keep) if c in data.columns and c not in (entity, time)]
    variables = [y, *xs]
    if len(set(variables)) != len(variables):
        raise InputError(f"prepare_panel: y and x repeat a variable: {variables}")
    is_long = all(c in data.columns for c in _LONG_COLUMNS)
    if is_long:
        frame = data
        if sex is not None and "sex" in frame.columns:
            frame = frame[frame["sex"] == sex]
        unknown = sorted(set(variables) - set(frame["indicator"].unique()))
        if unknown:
            raise InputError(
                f"prepare_panel: indicator(s) {unknown} not in the data"
                + (f" for sex={sex!r}" if sex is not None else "")
                + f"; available: {sorted(frame['indicator'].unique())[:20]}"
            )
        frame = frame[frame["indicator"].isin(variables)]
        _check_keys(frame, [entity, time, "indicator"], "prepare_panel (long data)")
        wide = frame.pivot(index=[entity, time], columns="indicator", values="value")
        wide.columns.name = None
        wide = wide.reset_index()
        if keep_cols:
            extra = frame[[entity, time, *keep_cols]].drop_duplicates([entity, time])
            wide = wide.merge(extra, on=[entity, time], how="left")
    else:
        absent = [v for v in variables if v not in data.columns]
        if absent:
            raise InputError(
                f"prepare_panel: column(s) {absent} not found in wide data; columns are {list(data.columns)}"
            )
        _check_keys(data, [entity, time], "prepare_panel (wide data)")
        wide = data[[entity, time, *keep_cols, *variables]].copy()
    times = pd.to_numeric(wide[time], errors="coerce")
    if times.isna().any() or not np.allclose(times, np.round(times)):
        raise InputError(f"prepare_panel: column {time!r} must hold integer periods (years)")
    wide[time] = times.round().astype("int64")
    wide = wide[[entity, time, *keep_cols, *variables]]
    for v in variables:
        wide[v] = pd.to_numeric(wide[v], errors="coerce").astype("float64")
    n_before = len(wide)
    if dropna:
        wide = wide.dropna(subset=variables)
    wide = wide.sort_values([entity, time]).reset_index(drop=True)
    wide.attrs["synthetic"] = bool(data.attrs.get("synthetic", False))
    wide.attrs["source_note"] = data.attrs.get("source_note", "")
    wide.attrs["n_dropped_missing"] = n_before - len(wide)
    return wide


def cluster_codes(groups: Any, index: pd.Index) -> pd.Series:
    """Integer cluster codes (in order of first appearance) of ``groups``, on ``index``."""
    return pd.Series(pd.factorize(np.asarray(groups))[0], index=index, name="cluster")


def fit_panel_ols(
    dependent: pd.Series,
    exog: pd.DataFrame,
    *,
    effects: Effects = "twoway",
    cov_type: str = "clustered",
    clusters: pd.Series | None = None,
    small_sample: bool = True,
) -> Any:
    """The package's one :class:`linearmodels.PanelOLS` fit (panel models and event studies).

    Parameters
    ----------
    dependent, exog
        Outcome and regressors indexed by ``(entity, time)``.
    effects
        ``"pooled"``, ``"entity"`` or ``"twoway"``: which fixed effects are absorbed.
    cov_type
        ``"clustered"``, ``"robust"`` or ``"unadjusted"``.
    clusters
        Integer cluster codes on the index of ``dependent`` (:func:`cluster_codes`); needed when clustered.
    small_sample
        The Stata/plm ``"sss"`` correction G/(G-1)(N-1)/(N-K), K counting the slopes only (module docstring).

    Returns
    -------
    linearmodels.panel.results.PanelEffectsResults
    """
    from linearmodels import PanelOLS

    model = PanelOLS(
        dependent,
        exog,
        entity_effects=effects in ("entity", "twoway"),
        time_effects=effects == "twoway",
        check_rank=True,
    )
    cov_kwargs: dict[str, Any] = {}
    if cov_type == "clustered":
        if clusters is None:
            raise InputError("fit_panel_ols: cov_type='clustered' needs clusters")
        cov_kwargs = {"clusters": clusters.to_frame(), "group_debias": small_sample}
    return model.fit(cov_type=cov_type, debiased=small_sample, auto_df=False, count_effects=False, **cov_kwargs)


@dataclass(repr=False)
class PanelResults(Results):
    """Results of :class:`PanelRegression`; ``raw`` is the linearmodels result."""

    model_name: str
    y: str
    x: list[str]
    effects: str
    params: pd.Series
    std_errors: pd.Series
    pvalues: pd.Series
    conf_int: pd.DataFrame
    cov: pd.DataFrame
    nobs: int
    n_entities: int
    n_periods: int
    n_clusters: int | None
    cluster: str | None
    cov_type: str
    small_sample: bool
    rsquared_within: float
    data: pd.DataFrame
    raw: Any = field(repr=False)
    sample: str = ""
    synthetic: bool = False
    entity: str = "geo"
    time: str = "year"

    @property
    def cov_label(self) -> str:
        if self.cov_type == "clustered":
            flavour = "CR1" if self.small_sample else "CR0"
            return f"{flavour} by {self.cluster} ({self.n_clusters})"
        return self.cov_type

    def summary(self) -> str:
        """Text summary: settings, sample and the coefficient table."""
        lines = [
            f"{self.model_name}: {self.y} ~ {' + '.join(self.x) or '1'}",
            f"effects: {self.effects}; covariance: {self.cov_label}",
            f"sample: {self.sample}; N = {self.nobs}, entities = {self.n_entities}, "
            f"periods = {self.n_periods}; within R2 = {self.rsquared_within:.4f}",
        ]
        lines.extend(self.banner())
        if self.cov_type == "clustered" and self.n_clusters is not None and self.n_clusters < FEW_CLUSTERS:
            lines.append(
                f"WARNING: only {self.n_clusters} clusters; cluster-robust inference is unreliable, "
                "report a wild cluster bootstrap (localise.models.wildboot)."
            )
        lines.append(self.to_frame()[["term", "estimate", "std_error", "p_value"]].to_string(index=False))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Tidy estimates: one row per coefficient (see :func:`tables.tidy`)."""
        return pd.DataFrame(
            {
                "model": self.model_name,
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "ci_low": self.conf_int.iloc[:, 0].to_numpy(),
                "ci_high": self.conf_int.iloc[:, 1].to_numpy(),
                "nobs": self.nobs,
                "n_entities": self.n_entities,
                "n_clusters": self.n_clusters,
                "cov_type": self.cov_label,
                "effects": self.effects,
                "sample": self.sample,
                "synthetic": self.synthetic,
            }
        )

    def to_latex(self, *, caption: str | None = None) -> str:
        """The estimates as a LaTeX regression table (:class:`~localise.models.tables.RegressionTable`)."""
        from localise.models.tables import RegressionTable

        return RegressionTable({self.model_name: self}, title=caption).to_latex()

    def wild_bootstrap(
        self,
        term: str | None = None,
        *,
        null: float = 0.0,
        reps: int = 999,
        weights: Literal["webb", "rademacher"] = "webb",
        seed: int = 0,
        level: float = 0.95,
    ) -> WildBootResult:
        """Wild cluster bootstrap test and interval for one coefficient of a two-way FE fit.

        Entity and time effects are absorbed (:func:`~localise.models.wildboot.absorb_twoway`)
        and the restricted wild cluster bootstrap is run on the model's clusters, with the
        CR1 factor counting only the slope coefficients, so its standard error equals
        :attr:`std_errors` of this fit.

        Parameters
        ----------
        term
            Regressor to test; default the first of :attr:`x`.
        null, reps, weights, seed, level
            Passed to :func:`~localise.models.wildboot.wild_cluster_bootstrap`.

        Returns
        -------
        WildBootResult
        """
        from localise.models.wildboot import twoway_wild_bootstrap

        if self.effects != "twoway":
            raise InputError(f"{self.model_name}: wild_bootstrap needs effects='twoway' (got {self.effects!r})")
        if self.cov_type != "clustered" or self.cluster is None:
            raise InputError(f"{self.model_name}: wild_bootstrap needs a clustered fit (cov_type={self.cov_type!r})")
        term = self.x[0] if term is None else term
        if term not in self.x:
            raise InputError(f"{self.model_name}: term={term!r} is not a regressor; expected one of {self.x}")
        return twoway_wild_bootstrap(
            self.data,
            self.y,
            self.x,
            entity=self.entity,
            time=self.time,
            cluster=self.cluster,
            contrast=term,
            null=null,
            reps=reps,
            weights=weights,
            seed=seed,
            level=level,
        )


class PanelRegression:
    """Pooled OLS, entity fixed effects or two-way fixed effects on a prepared panel.

    Parameters
    ----------
    y, x
        Outcome and regressors (columns of the panel from :func:`prepare_panel`).
    entity, time
        Key columns.
    effects
        ``"pooled"`` (OLS with intercept), ``"entity"`` (entity FE) or
        ``"twoway"`` (entity and time FE).
    cov_type
        ``"clustered"`` (default), ``"robust"`` or ``"unadjusted"``.
    cluster
        Column to cluster on (``"entity"`` means the entity column); e.g.
        ``"country"`` to cluster regions by country.
    small_sample
        Apply the G/(G-1)(N-1)/(N-K) correction (see module docstring).
    name
        Model label for tables.
    """

    def __init__(
        self,
        y: str,
        x: str | Sequence[str] | None = None,
        *,
        entity: str = "geo",
        time: str = "year",
        effects: Effects = "twoway",
        cov_type: Literal["clustered", "robust", "unadjusted"] = "clustered",
        cluster: str = "entity",
        small_sample: bool = True,
        name: str | None = None,
    ) -> None:
        if effects not in ("pooled", "entity", "twoway"):
            raise InputError(f"effects={effects!r}; expected 'pooled', 'entity' or 'twoway'")
        if cov_type not in ("clustered", "robust", "unadjusted"):
            raise InputError(f"cov_type={cov_type!r}; expected 'clustered', 'robust' or 'unadjusted'")
        self.y = y
        self.x = _as_list(x)
        self.entity = entity
        self.time = time
        self.effects = effects
        self.cov_type = cov_type
        self.cluster = cluster
        self.small_sample = small_sample
        self.name = name or {"pooled": "Pooled OLS", "entity": "Entity FE", "twoway": "Two-way FE"}[effects]

    def fit(self, panel: pd.DataFrame, *, sample: str = "") -> PanelResults:
        """Fit on ``panel`` (wide, one row per entity × time; long data is prepared first)."""
        panel = self._wide(panel)
        data = panel.dropna(subset=[self.y, *self.x]).sort_values([self.entity, self.time])
        if data.empty:
            raise InputError(f"{self.name}: no complete observations for {[self.y, *self.x]}")
        indexed = data.set_index([self.entity, self.time])
        exog = indexed[self.x].copy()
        if self.effects == "pooled" or not self.x:
            exog.insert(0, "const", 1.0)
        codes, cluster_label = self._clusters(indexed) if self.cov_type == "clustered" else (None, None)
        res = fit_panel_ols(
            indexed[self.y],
            exog,
            effects=self.effects,
            cov_type=self.cov_type,
            clusters=codes,
            small_sample=self.small_sample,
        )
        entities = indexed.index.get_level_values(0)
        times = indexed.index.get_level_values(1)
        out = data.reset_index(drop=True)
        out.attrs.update(panel.attrs)
        return PanelResults(
            model_name=self.name,
            y=self.y,
            x=self.x,
            effects=self.effects,
            params=res.params,
            std_errors=res.std_errors,
            pvalues=res.pvalues,
            conf_int=res.conf_int(),
            cov=res.cov,
            nobs=int(res.nobs),
            n_entities=int(entities.nunique()),
            n_periods=int(times.nunique()),
            n_clusters=None if codes is None else int(codes.nunique()),
            cluster=cluster_label,
            cov_type=self.cov_type,
            small_sample=self.small_sample,
            rsquared_within=float(res.rsquared_within),
            data=out,
            raw=res,
            sample=sample or f"{int(times.min())}-{int(times.max())}",
            synthetic=bool(panel.attrs.get("synthetic", False)),
            entity=self.entity,
            time=self.time,
        )

    def _wide(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The panel in wide form (long data prepared first), with its keys and variables checked."""
        if all(c in panel.columns for c in _LONG_COLUMNS):
            keep = [] if self.cluster == "entity" else [self.cluster]
            panel = prepare_panel(
                panel,
                y=self.y,
                x=self.x,
                entity=self.entity,
                time=self.time,
                keep=list(dict.fromkeys(["country", *keep])),
            )
        _check_keys(panel, [self.entity, self.time], f"{self.name}")
        absent = [v for v in [self.y, *self.x] if v not in panel.columns]
        if absent:
            raise InputError(f"{self.name}: column(s) {absent} not in the panel")
        return panel

    def _clusters(self, indexed: pd.DataFrame) -> tuple[pd.Series, str]:
        """Cluster codes on the rows of ``indexed`` and the cluster column's name; warns with few clusters."""
        if self.cluster == "entity":
            groups = indexed.index.get_level_values(0)
            cluster_label = self.entity
        else:
            if self.cluster not in indexed.columns:
                raise InputError(
                    f"{self.name}: cluster column {self.cluster!r} not in the panel (columns: {list(indexed.columns)})"
                )
            groups = indexed[self.cluster]
            if groups.isna().any():
                raise InputError(f"{self.name}: cluster column {self.cluster!r} has missing values")
            cluster_label = self.cluster
        codes = cluster_codes(groups, indexed.index)
        n_clusters = int(codes.nunique())
        if n_clusters < FEW_CLUSTERS:
            warnings.warn(
                f"{self.name}: only {n_clusters} clusters ({cluster_label}); cluster-robust inference is "
                "unreliable, report a wild cluster bootstrap (localise.models.wildboot)",
                FewClustersWarning,
                stacklevel=3,  # the caller of fit
            )
        return codes, cluster_label
