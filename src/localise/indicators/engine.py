"""The composite-indicator engine: :class:`CompositeIndicator` (settings) and
:class:`CompositeResults` (scores at every level, ranks, diagnostics).

Pipeline (OECD/JRC Handbook steps 3–6; see docs/methods/indicators.md, "Pipeline"): imputation of raw indicator values
→ outlier treatment → normalisation (oriented so that higher is better) → weighting →
aggregation level by level, each level with its own missing-data rule (minimum coverage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.indicators import methods
from localise.indicators.framework import Framework, FrameworkSettings
from localise.results import Results

__all__ = ["CompositeIndicator", "CompositeResults", "pivot_panel"]


def pivot_panel(
    panel: pd.DataFrame, *, year: int | None = None, sex: str = "T", indicators: list[str] | None = None
) -> pd.DataFrame:
    """Turn a tidy panel (data API schema: geo, year, indicator, sex, value) into units × indicators.

    ``year=None`` takes, per geo and indicator, the latest available year. ``attrs`` (synthetic
    flag, source note) are carried over.
    """
    need = {"geo", "year", "indicator", "sex", "value"}
    if not need <= set(panel.columns):
        raise InputError(f"panel: expected columns {sorted(need)}, got {sorted(panel.columns)}")
    df = panel[panel["sex"] == sex]
    if indicators is not None:
        df = df[df["indicator"].isin(indicators)]
    df = df.dropna(subset=["value"])
    if year is not None:
        df = df[df["year"] == year]
    else:
        df = df.sort_values("year").groupby(["geo", "indicator"], as_index=False).last()
    wide = df.pivot_table(index="geo", columns="indicator", values="value", aggfunc="first")
    wide.columns.name = None
    wide.attrs.update(panel.attrs)
    return wide


def reference_year(panel: pd.DataFrame, indicators: list[str], *, sex: str = "T") -> int:
    """The latest year in which every one of ``indicators`` has at least one value.

    Composite scores compare units, so all their inputs should describe the same
    year; taking each indicator's latest year instead mixes years across indicators
    and units.

    Raises
    ------
    InputError
        When no year has all the indicators (the message names those never observed together).
    """
    df = panel[(panel["sex"] == sex) & panel["indicator"].isin(indicators)].dropna(subset=["value"])
    present = df.groupby("year")["indicator"].nunique()
    full = present[present == len(set(indicators))]
    if full.empty:
        absent = sorted(set(indicators) - set(df["indicator"]))
        raise InputError(
            f"reference_year: no year in which all {len(set(indicators))} indicators have data"
            + (f"; never observed: {absent}" if absent else f"; at most {int(present.max())} in one year")
        )
    return int(full.index.max())


@dataclass
class CompositeIndicator(FrameworkSettings):
    """Settings of a composite indicator built on a :class:`Framework`.

    Parameters
    ----------
    framework
        A framework or the name/path of a framework YAML.
    normalisation
        Override of the framework's normalisation for every indicator (``minmax``,
        ``goalposts``, ``zscore``, ``rank``, ``distance_to_target``, ``none``) or a dict
        indicator → method; ``None`` keeps the framework's.
    weighting
        ``"framework"`` (weights in the YAML, equal where none), ``"equal"``, ``"pca"``
        (PCA weights of the indicators within each parent of the leaf level; higher levels
        equal/framework weights) or a dict node id → weight (siblings must sum to 1).
    aggregation
        Per-level overrides, e.g. ``{"dimension": {"method": "power", "order": 1}}``.
    missing
        Per-level overrides of the missing-data rules, e.g. ``{"indicator": {"policy":
        "group_mean"}, "component": {"min_coverage": 0.67}}``.
    outliers
        ``"none"`` or ``"winsorise"`` (skewness/kurtosis rule; docs/methods/indicators.md, "Outliers").
    targets
        Indicator → target value for ``distance_to_target``.
    seed
        Seed of the EM-like imputation.
    """

    framework: Framework | str
    normalisation: str | dict[str, str] | None = None
    weighting: str | dict[str, float] = "framework"
    aggregation: dict[str, dict[str, Any]] | None = None
    missing: dict[str, dict[str, Any]] | None = None
    outliers: str = "none"
    targets: dict[str, float] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        fw = self._load_framework()
        if self.outliers not in {"none", "winsorise"}:
            raise InputError(f"outliers={self.outliers!r}: expected 'none' or 'winsorise'")
        if isinstance(self.weighting, str) and self.weighting not in {"framework", "equal", "pca"}:
            raise InputError(f"weighting={self.weighting!r}: expected 'framework', 'equal', 'pca' or a dict")
        if isinstance(self.weighting, dict):
            unknown = [k for k in self.weighting if k not in fw.nodes]
            if unknown:
                raise InputError(f"weighting: unknown indicator or node ids {unknown} in framework {fw.name!r}")
            for parent in {fw.nodes[k].parent for k in self.weighting}:
                kids = fw.children(parent)
                given = [self.weighting[k] for k in kids if k in self.weighting]
                if len(given) != len(kids):
                    raise InputError(f"weighting: give weights for all children of {parent!r}: {kids}")
                if abs(sum(given) - 1) > 1e-6 or min(given) < 0:
                    raise InputError(
                        f"weighting: weights of the children of {parent!r} sum to {sum(given):.6g}; "
                        "they must be >= 0 and sum to 1"
                    )
        for level, spec in (self.aggregation or {}).items():
            if level not in fw.levels[1:]:
                raise InputError(f"aggregation: {level!r} is not an aggregate level of {fw.levels[1:]}")
            methods.order_of(spec)
        for level in self.missing or {}:
            if level not in fw.levels:
                raise InputError(f"missing: {level!r} is not a level of {fw.levels}")
        if isinstance(self.normalisation, dict):
            unknown = [k for k in self.normalisation if k not in fw.indicators]
            if unknown:
                raise InputError(f"normalisation: unknown indicators {unknown}")

    # ------------------------------------------------------------------ helpers
    def _norm_method(self, ind: str) -> str:
        if isinstance(self.normalisation, str):
            return self.normalisation
        if isinstance(self.normalisation, dict) and ind in self.normalisation:
            return self.normalisation[ind]
        return self._fw.normalisation_for(ind)

    def _agg(self, level: str) -> dict[str, Any]:
        spec = self._fw.aggregation_for(level)
        spec.update((self.aggregation or {}).get(level, {}))
        return spec

    def _missing(self, level: str) -> dict[str, Any]:
        spec = self._fw.missing_for(level)
        spec.update((self.missing or {}).get(level, {}))
        return spec

    def settings(self) -> dict[str, Any]:
        """The settings as a plain dict (kept on the results and printed by ``summary()``)."""
        fw = self._fw
        return {
            "framework": fw.name,
            "normalisation": self.normalisation if self.normalisation is not None else fw.normalisation,
            "weighting": self.weighting if isinstance(self.weighting, str) else "user",
            "aggregation": {lv: self._agg(lv) for lv in fw.levels[1:]},
            "missing": {lv: self._missing(lv) for lv in fw.levels},
            "outliers": self.outliers,
            "seed": self.seed,
        }

    def prepare(self, data: pd.DataFrame, *, groups: pd.Series | None = None) -> pd.DataFrame:
        """Select the framework's indicator columns, rename them to indicator ids, check types."""
        fw = self._fw
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"data: expected a DataFrame (units × indicators), got {type(data).__name__}")
        if data.index.has_duplicates:
            dup = list(data.index[data.index.duplicated()][:5])
            raise InputError(f"data: duplicate unit ids in the index: {dup}")
        fw.check_columns(data.columns)
        raw = data[[fw.nodes[i].column for i in fw.indicators]].copy()
        raw.columns = fw.indicators
        try:
            raw = raw.apply(pd.to_numeric, errors="raise").astype(float)
        except (ValueError, TypeError) as error:
            raise InputError(f"data: indicator columns must be numeric ({error})") from error
        from localise.tables import check_finite

        check_finite(raw, source=str(data.attrs.get("path", "data")), unit_label="unit")
        return raw

    # ------------------------------------------------------------------ fit
    def _normalised(self, treated: pd.DataFrame, units: pd.Index) -> tuple[pd.DataFrame, pd.Series]:
        """Normalised indicators (higher = better) and, per indicator, the values clipped at the goalposts."""
        fw = self._fw
        normalised = pd.DataFrame(index=units, columns=fw.indicators, dtype=float)
        clipped = pd.Series(0, index=fw.indicators, dtype=int)
        for ind in fw.indicators:
            node = fw.nodes[ind]
            target = (self.targets or {}).get(ind, node.target)
            vals, n_clip = methods.normalise(
                treated[ind].to_numpy(),
                self._norm_method(ind),
                direction=node.direction or 1,
                goalposts=node.goalposts,
                target=target,
            )
            normalised[ind] = vals
            clipped[ind] = n_clip
        return normalised, clipped

    def _weights(self, normalised: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, dict]]:
        """Weights of the members of every level below the root, and the PCA details (``weighting="pca"``)."""
        fw = self._fw
        weights: dict[str, pd.Series] = {}
        pca_info: dict[str, dict] = {}
        for level in fw.levels[:-1]:
            ids = fw.members(level)
            if self.weighting == "equal":
                w = pd.Series([1.0 / len(fw.children(fw.nodes[i].parent)) for i in ids], index=ids)
            else:
                w = pd.Series(fw.weights(level), index=ids)
                if isinstance(self.weighting, dict):
                    for k, v in self.weighting.items():
                        if k in w.index:
                            w[k] = v
            if self.weighting == "pca" and level == fw.levels[0]:
                for parent in fw.members(fw.levels[1]):
                    kids = fw.children(parent)
                    pw, info = methods.pca_weights(normalised[kids])
                    w[kids] = pw.to_numpy()
                    pca_info[parent] = info
            weights[level] = w
        return weights, pca_info

    def _aggregated(
        self, normalised: pd.DataFrame, weights: dict[str, pd.Series]
    ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        """Scores of every level (leaves: the normalised values) and the weight coverage of the aggregates."""
        fw = self._fw
        scores: dict[str, pd.DataFrame] = {fw.levels[0]: normalised}
        coverage: dict[str, pd.DataFrame] = {}
        current = normalised.to_numpy()[None, :, :]
        for depth, level in enumerate(fw.levels[1:], start=1):
            below = fw.levels[depth - 1]
            order = methods.order_of(self._agg(level))
            out, cov = methods.aggregate_level(
                current,
                weights[below].to_numpy()[None, :],
                fw.membership(level),
                np.array([order]),
                min_coverage=float(self._missing(level).get("min_coverage", 1.0)),
            )
            scores[level] = pd.DataFrame(out[0], index=normalised.index, columns=fw.members(level))
            coverage[level] = pd.DataFrame(cov[0], index=normalised.index, columns=fw.members(level))
            current = out
        return scores, coverage

    def fit(self, data: pd.DataFrame, *, groups: pd.Series | None = None) -> CompositeResults:
        """Compute the composite for every unit (row of ``data``).

        Parameters
        ----------
        data
            Units × indicator columns (named as the framework's ``column`` entries).
        groups
            Group of every unit (e.g. country), for ``group_mean`` imputation.

        Returns
        -------
        CompositeResults
            Its frames carry the SYNTHETIC flag of ``data.attrs`` in their ``attrs``.
        """
        fw = self._fw
        raw = self.prepare(data, groups=groups)
        policy = self._missing(fw.levels[0]).get("policy", "none")
        imputed, imputed_mask = methods.impute(raw, policy, groups=groups, seed=self.seed)
        outlier_report = None
        treated = imputed
        if self.outliers == "winsorise":
            treated, outlier_report = methods.winsorise(imputed)
        normalised, clipped = self._normalised(treated, raw.index)
        weights, pca_info = self._weights(normalised)
        scores, coverage = self._aggregated(normalised, weights)
        ranks = {lv: s.rank(ascending=False, method="min") for lv, s in scores.items()}
        synthetic = bool(getattr(data, "attrs", {}).get("synthetic", False))
        return CompositeResults(
            framework=fw,
            settings=self.settings(),
            raw=raw,
            treated=treated,
            normalised=normalised,
            scores=scores,
            ranks=ranks,
            weights=weights,
            coverage=coverage,
            imputed=imputed_mask,
            clipped=clipped,
            outliers=outlier_report,
            pca_info=pca_info,
            synthetic=synthetic,
        )


@dataclass(repr=False)
class CompositeResults(Results):
    """Result of :meth:`CompositeIndicator.fit`.

    Attributes
    ----------
    scores, ranks
        Level name → units × nodes frames (rank 1 = best, ties share the lowest rank).
    normalised
        Normalised indicators (units × indicators, higher = better).
    weights
        Level name → weights of its members within their parents.
    coverage
        Aggregate level → share of the parent's weight observed per unit.
    imputed
        Boolean units × indicators frame of imputed raw cells.
    clipped
        Per indicator, the number of values capped at the goalposts.
    outliers
        Per-indicator outlier report (``None`` when outliers were not treated).
    pca_info
        Per component: explained variance ratios and retained factors (PCA weighting).
    synthetic
        Whether the data were generated; the frames above (and those the methods return)
        carry it in ``attrs``.
    """

    framework: Framework
    settings: dict[str, Any]
    raw: pd.DataFrame
    treated: pd.DataFrame
    normalised: pd.DataFrame
    scores: dict[str, pd.DataFrame]
    ranks: dict[str, pd.DataFrame]
    weights: dict[str, pd.Series]
    coverage: dict[str, pd.DataFrame]
    imputed: pd.DataFrame
    clipped: pd.Series
    outliers: pd.DataFrame | None = None
    pca_info: dict[str, dict] = field(default_factory=dict)
    synthetic: bool = False

    def __post_init__(self) -> None:
        frames = [
            self.raw,
            self.treated,
            self.normalised,
            self.imputed,
            *self.scores.values(),
            *self.ranks.values(),
            *self.coverage.values(),
        ]
        for frame in frames:
            frame.attrs["synthetic"] = self.synthetic

    @property
    def index(self) -> pd.Series:
        """Scores of the root (the composite index) by unit."""
        fw = self.framework
        return self.scores[fw.levels[-1]][fw.root].rename(fw.root)

    @property
    def n_imputed(self) -> int:
        """Number of raw indicator cells that were imputed."""
        return int(self.imputed.to_numpy().sum())

    def missing_scores(self) -> pd.Series:
        """Number of missing (not computable) scores per node, every level."""
        return pd.concat([s.isna().sum() for s in self.scores.values()])

    def to_frame(self, levels: list[str] | None = None) -> pd.DataFrame:
        """Long table: unit, level, node, name, score, rank (every level unless ``levels``)."""
        fw = self.framework
        parts = []
        for level in levels or fw.levels:
            s = self.scores[level].stack(future_stack=True).rename("score")
            r = self.ranks[level].stack(future_stack=True).rename("rank")
            part = pd.concat([s, r], axis=1).reset_index()
            part.columns = ["unit", "node", "score", "rank"]
            part.insert(1, "level", level)
            part.insert(3, "name", part["node"].map(lambda i: fw.nodes[i].name))
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out.attrs["synthetic"] = self.synthetic
        return out

    def wide(self, levels: list[str] | None = None) -> pd.DataFrame:
        """Units × nodes of the chosen levels (default: every aggregate level), root first."""
        fw = self.framework
        levels = levels or list(reversed(fw.levels[1:]))
        out = pd.concat([self.scores[lv] for lv in levels], axis=1)
        out.attrs["synthetic"] = self.synthetic
        return out

    def coherence(self) -> pd.DataFrame:
        """Statistical coherence per aggregate node (docs/methods/indicators.md, "Statistical coherence").

        Columns: number of children, Cronbach's alpha of the children, share of variance
        of the children's first principal component, mean correlation among children,
        minimum and mean Pearson correlation of a child with the node.
        """
        fw = self.framework
        rows = []
        for k, level in enumerate(fw.levels[1:], start=1):
            below = self.scores[fw.levels[k - 1]]
            for node in fw.members(level):
                kids = fw.children(node)
                x = below[kids]
                parent = self.scores[level][node]
                with np.errstate(invalid="ignore", divide="ignore"):
                    corr_parent = x.corrwith(parent)
                    cm = x.corr().to_numpy()
                off = cm[~np.eye(len(kids), dtype=bool)] if len(kids) > 1 else np.array([np.nan])
                first_pc = np.nan
                if len(kids) > 1:
                    xc = x.dropna()
                    if len(xc) > 2:
                        ev = np.linalg.eigvalsh(np.corrcoef(xc.to_numpy().T))
                        first_pc = float(ev[-1] / ev.sum())
                rows.append(
                    {
                        "level": level,
                        "node": node,
                        "n_children": len(kids),
                        "cronbach_alpha": methods.cronbach_alpha(x),
                        "first_pc_share": first_pc,
                        "mean_inter_corr": float(np.nanmean(off)),
                        "min_corr_with_parent": float(corr_parent.min()),
                        "mean_corr_with_parent": float(corr_parent.mean()),
                    }
                )
        out = pd.DataFrame(rows).set_index(["level", "node"])
        out.attrs["synthetic"] = self.synthetic
        return out

    def correlations(self, level_a: str, level_b: str) -> pd.DataFrame:
        """Pearson correlations between the nodes of two levels (rows ``level_a``, columns ``level_b``)."""
        a, b = self.scores[level_a], self.scores[level_b]
        out = pd.DataFrame({cb: a.corrwith(b[cb]) for cb in b.columns})
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Text summary: settings, data, imputations, clipping, outliers, top units."""
        fw = self.framework
        lines = [f"Composite indicator: {fw.title} ({fw.name})", "=" * 60]
        for k, v in self.settings.items():
            lines.append(f"{k:>14}: {v}")
        lines.append("-" * 60)
        counts = ", ".join(f"{len(fw.members(lv))} {lv}" for lv in fw.levels)
        lines.append(f"Units: {len(self.raw)}; structure: {counts}")
        lines.append(f"Missing raw cells: {int(self.raw.isna().to_numpy().sum())}; imputed: {self.n_imputed}")
        lines.append(
            f"Values clipped at goalposts: {int(self.clipped.sum())} (in {int((self.clipped > 0).sum())} indicators)"
        )
        miss = self.missing_scores()
        lines.append(f"Scores not computable (coverage rule): {int(miss.sum())}")
        if self.outliers is not None:
            treated = self.outliers[self.outliers.n_winsorised > 0]
            lines.append(f"Outliers winsorised: {int(treated.n_winsorised.sum())} points in {len(treated)} indicators")
        for comp, info in self.pca_info.items():
            lines.append(f"PCA {comp}: {info['n_factors']} factor(s), {100 * info['retained_variance']:.1f}% variance")
        lines.append("-" * 60)
        top = self.index.sort_values(ascending=False).head(10)
        lines.append("Top units: " + ", ".join(f"{u} {v:.2f}" for u, v in top.items()))
        lines.extend(self.banner())
        return "\n".join(lines)

    def to_latex(
        self, *, caption: str | None = None, levels: list[str] | None = None, float_format: str = "%.2f"
    ) -> str:
        """LaTeX table of the aggregate scores (units × nodes of ``levels``, default every aggregate level)."""
        from localise.provenance import label

        caption = label(caption or f"{self.framework.title}: scores", self.synthetic)
        return self.wide(levels).to_latex(
            float_format=lambda v: float_format % v, caption=caption, label=f"tab:{self.framework.name}_scores"
        )
