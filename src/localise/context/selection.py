"""Case selection from the regional typology, and its stability.

Design [proposed, docs/methods/grid.md, "Case selection"; case types after Seawright and Gerring 2008,
"Case selection techniques in case study research", *Political Research
Quarterly* 61(2)]: distances are Euclidean in the clustering space of the
typology (retained PCA scores by default).

* **typical** case of a country: in the cluster holding most of the country's
  regions, the region closest to that cluster's centroid;
* **diverse** cases: one per cluster present in the country, each the region
  closest to its cluster centroid;
* **extreme** case: the region farthest from the centre (mean) of all analysed regions;
* **proposed** set (``n_cases`` per country, maximum-variation design): diverse
  cases of the country's most populated clusters first; when the country has
  fewer clusters than ``n_cases``, the next-closest regions of its clusters fill
  the set in turn.

Every output is labelled "selection proposed by localise", and the full
distance table is kept so that a user can override the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from localise.context.matrix import MatrixSpec, build_matrix
from localise.context.typology import PROPOSED_LABEL, RegionalTypology, TypologyResult
from localise.errors import InputError
from localise.results import Results

__all__ = ["CaseSelection", "select_cases", "StabilityResult", "selection_stability"]


@dataclass(repr=False)
class CaseSelection(Results):
    """Cases proposed per country, with the distances they rest on.

    Attributes
    ----------
    distances
        One row per analysed region of the selected countries: country, cluster,
        ``dist_own_centroid``, ``rank_in_cluster`` (within country and cluster),
        ``dist_centre`` (to the mean of all analysed regions) and the distance to
        every centroid (``dist_c1`` …).
    cases
        Long table: country, role ("typical", "diverse", "extreme", "proposed"),
        geo, cluster, distance, criterion.
    n_cases, countries, label
        Settings and the label every output carries.
    """

    distances: pd.DataFrame
    cases: pd.DataFrame
    n_cases: int
    countries: tuple[str, ...]
    synthetic: bool = False
    label: str = PROPOSED_LABEL
    typology_note: str = ""

    def proposed(self) -> pd.DataFrame:
        """The proposed set only (``n_cases`` per country)."""
        out = self.cases[self.cases["role"] == "proposed"].reset_index(drop=True)
        out.attrs["synthetic"] = self.synthetic
        return out

    def selected(self, role: str = "proposed") -> dict[str, list[str]]:
        """Country → list of geo codes for one role."""
        sub = self.cases[self.cases["role"] == role]
        return {c: list(sub.loc[sub["country"] == c, "geo"]) for c in self.countries}

    def to_frame(self) -> pd.DataFrame:
        """All cases (typical, diverse, extreme, proposed) with distances."""
        out = self.cases.copy()
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Cases per country and role."""
        lines = [
            " ".join([f"Case selection ({self.label})", *self.banner()]),
            f"  {self.typology_note}",
            f"  distance: Euclidean in the typology's clustering space; n_cases={self.n_cases}",
        ]
        for c in self.countries:
            sub = self.cases[self.cases["country"] == c]
            lines.append(f"  {c}:")
            for role in ("typical", "diverse", "extreme", "proposed"):
                part = sub[sub["role"] == role]
                items = ", ".join(f"{r.geo} (c{r.cluster}, d={r.distance:.2f})" for r in part.itertuples())
                lines.append(f"    {role:9s} {items}")
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """Proposed cases as LaTeX, captioned with the localise label."""
        from localise.provenance import label

        table = self.proposed()[["country", "geo", "cluster", "distance", "criterion"]]
        caption = label(caption or f"Case selection per country ({self.label})", self.synthetic)
        return table.to_latex(index=False, float_format="%.3f", caption=caption)


def _distance_table(typology: TypologyResult, countries: Sequence[str]) -> pd.DataFrame:
    """Distances of the regions of ``countries``: to their own and every centroid, to the centre, rank in cluster."""
    space = typology.space
    labels = typology.labels
    X = space.to_numpy(dtype=float)
    cents = typology.centroids
    to_cent = pd.DataFrame(
        np.sqrt(((X[:, None, :] - cents.to_numpy()[None, :, :]) ** 2).sum(axis=2)),
        index=space.index,
        columns=[f"dist_c{c}" for c in cents.index],
    )
    centre = X.mean(axis=0)
    dist = pd.DataFrame(
        {
            "country": typology.matrix.countries,
            "cluster": labels,
            "dist_own_centroid": [to_cent.loc[g, f"dist_c{labels[g]}"] for g in space.index],
            "dist_centre": np.sqrt(((X - centre) ** 2).sum(axis=1)),
        },
        index=space.index,
    ).join(to_cent)
    dist = dist[dist["country"].isin(countries)].copy()
    dist["rank_in_cluster"] = dist.groupby(["country", "cluster"])["dist_own_centroid"].rank(method="first").astype(int)
    dist = dist.sort_values(["country", "cluster", "rank_in_cluster"])
    dist.index.name = "geo"
    return dist


def _proposed_rows(country: str, d: pd.DataFrame, order: list, n_cases: int) -> list[dict]:
    """The proposed set: round-robin over the clusters (most populated first) by rank within cluster."""
    rows: list[dict] = []
    chosen: list[str] = []
    rank = 1
    while len(chosen) < min(n_cases, len(d)):
        for cl in order:
            hit = d[(d["cluster"] == cl) & (d["rank_in_cluster"] == rank)]
            if len(hit) and len(chosen) < n_cases:
                r = hit.iloc[0]
                chosen.append(r.name)
                rows.append(
                    {
                        "country": country,
                        "role": "proposed",
                        "geo": r.name,
                        "cluster": int(cl),
                        "distance": r["dist_own_centroid"],
                        "criterion": (
                            f"closest to centroid of cluster {cl}"
                            if rank == 1
                            else f"rank {rank} to centroid of cluster {cl} (fewer clusters than cases)"
                        ),
                    }
                )
        rank += 1
    return rows


def _country_cases(country: str, d: pd.DataFrame, cluster_size: pd.Series, n_cases: int) -> list[dict]:
    """Typical, diverse, extreme and proposed cases of one country (``d``: its rows of the distance table)."""
    counts = d["cluster"].value_counts()
    order = sorted(counts.index, key=lambda cl: (-counts[cl], -cluster_size[cl], cl))
    modal = order[0]
    best = d[d["cluster"] == modal].sort_values("dist_own_centroid", kind="mergesort").iloc[0]
    rows: list[dict] = [
        {
            "country": country,
            "role": "typical",
            "geo": best.name,
            "cluster": int(modal),
            "distance": best["dist_own_centroid"],
            "criterion": f"closest to centroid of cluster {modal} (holds {counts[modal]} of {len(d)} regions)",
        }
    ]
    for cl in order:
        r = d[(d["cluster"] == cl) & (d["rank_in_cluster"] == 1)].iloc[0]
        rows.append(
            {
                "country": country,
                "role": "diverse",
                "geo": r.name,
                "cluster": int(cl),
                "distance": r["dist_own_centroid"],
                "criterion": f"closest to centroid of cluster {cl}",
            }
        )
    ext = d.sort_values("dist_centre", ascending=False, kind="mergesort").iloc[0]
    rows.append(
        {
            "country": country,
            "role": "extreme",
            "geo": ext.name,
            "cluster": int(ext["cluster"]),
            "distance": ext["dist_centre"],
            "criterion": "farthest from the mean of all analysed regions",
        }
    )
    return rows + _proposed_rows(country, d, order, n_cases)


def select_cases(
    typology: TypologyResult, *, countries: Sequence[str] | None = None, n_cases: int = 3
) -> CaseSelection:
    """Propose typical, diverse and extreme cases per country (see module notes).

    Parameters
    ----------
    typology
        Result of :meth:`RegionalTypology.fit`.
    countries
        Countries to select in (default: every country of the typology).
    n_cases
        Size of the proposed set per country.
    """
    if n_cases < 1:
        raise InputError(f"n_cases must be >= 1, got {n_cases}")
    present = list(dict.fromkeys(typology.matrix.countries))
    if countries is None:
        countries = sorted(present)
    missing = [c for c in countries if c not in present]
    if missing:
        raise InputError(f"select_cases: countries {missing} have no analysed regions; present: {sorted(present)}")
    dist = _distance_table(typology, countries)
    cluster_size = typology.labels.value_counts()
    rows: list[dict] = []
    for c in countries:
        rows += _country_cases(c, dist[dist["country"] == c], cluster_size, n_cases)
    cases = pd.DataFrame(rows, columns=["country", "role", "geo", "cluster", "distance", "criterion"])
    synthetic = typology.matrix.synthetic
    dist.attrs["synthetic"] = synthetic
    cases.attrs["synthetic"] = synthetic
    return CaseSelection(
        distances=dist,
        cases=cases,
        n_cases=int(n_cases),
        countries=tuple(countries),
        synthetic=synthetic,
        typology_note=f"typology: {typology.method}, k={typology.k}; {typology.matrix.spec.describe()}",
    )


@dataclass(repr=False)
class StabilityResult(Results):
    """How the proposed cases change when k, the indicators or the year change.

    Attributes
    ----------
    table
        One row per variant: kind, variant, n_regions, ARI with the baseline
        partition on the common regions, share of baseline proposed cases kept,
        share of countries whose typical case is unchanged, status.
    by_country
        Per variant and country: baseline and variant proposed cases, overlap.
    baseline
        Baseline proposed cases per country.
    """

    table: pd.DataFrame
    by_country: pd.DataFrame
    baseline: dict[str, list[str]]
    synthetic: bool = False
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The variant table."""
        out = self.table.copy()
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Variant table and the baseline selection."""
        lines = [
            " ".join([f"Stability of the case selection ({PROPOSED_LABEL})", *self.banner()]),
            "  baseline: " + "; ".join(f"{c}: {','.join(v)}" for c, v in self.baseline.items()),
            self.table.to_string(index=False, float_format=lambda v: f"{v:.2f}"),
        ]
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """Variant table as LaTeX."""
        from localise.provenance import label

        caption = label(caption or f"Stability of the case selection ({PROPOSED_LABEL})", self.synthetic)
        return self.table.to_latex(index=False, float_format="%.2f", caption=caption)


def _compare(
    base: TypologyResult, base_sel: CaseSelection, var: TypologyResult, var_sel: CaseSelection
) -> tuple[dict, list[dict]]:
    common = base.labels.index.intersection(var.labels.index)
    ari = adjusted_rand_score(base.labels[common], var.labels[common]) if len(common) > 1 else np.nan
    b_prop, v_prop = base_sel.selected("proposed"), var_sel.selected("proposed")
    b_typ, v_typ = base_sel.selected("typical"), var_sel.selected("typical")
    kept = total = same_typ = 0
    rows = []
    for c in base_sel.countries:
        bp, vp = b_prop.get(c, []), v_prop.get(c, [])
        overlap = len(set(bp) & set(vp))
        kept += overlap
        total += len(bp)
        same = b_typ.get(c) == v_typ.get(c)
        same_typ += int(same)
        rows.append(
            {
                "country": c,
                "baseline": ",".join(bp),
                "variant_cases": ",".join(vp),
                "kept": overlap / len(bp) if bp else np.nan,
                "typical_same": same,
            }
        )
    return {
        "n_regions": var.matrix.n_regions,
        "ari": ari,
        "proposed_kept": kept / total if total else np.nan,
        "typical_same": same_typ / len(base_sel.countries),
    }, rows


def _stability_variants(
    spec: MatrixSpec, *, k: int, ks: Sequence[int] | None, years: Sequence[int] | None, leave_one_out: bool
) -> list[tuple[str, str, MatrixSpec, int]]:
    """The changes :func:`selection_stability` tries: ``(kind, variant name, matrix spec, k)`` each."""
    variants: list[tuple[str, str, MatrixSpec, int]] = []
    for kk in ks if ks is not None else [k - 1, k + 1]:
        if int(kk) >= 2 and int(kk) != k:
            variants.append(("k", f"k={kk}", spec, int(kk)))
    if leave_one_out and len(spec.indicators) >= 3:
        for ind in spec.indicators:
            variants.append(
                (
                    "indicators",
                    f"without {ind}",
                    spec.with_(indicators=tuple(i for i in spec.indicators if i != ind)),
                    k,
                )
            )
    for y in years or []:
        variants.append(("year", f"year={int(y)}", spec.with_(year=int(y), period=None), k))
    return variants


def selection_stability(
    panel: pd.DataFrame,
    spec: MatrixSpec,
    typology: RegionalTypology,
    *,
    k: int,
    ks: Sequence[int] | None = None,
    years: Sequence[int] | None = None,
    leave_one_out: bool = True,
    n_cases: int = 3,
    countries: Sequence[str] | None = None,
) -> StabilityResult:
    """Re-run matrix, typology and selection under changes, and compare with the baseline.

    Parameters
    ----------
    panel, spec
        Regional panel and the baseline :class:`MatrixSpec`.
    typology
        The baseline estimator; variants use it with ``k`` fixed and no gap statistic.
    k
        Baseline number of clusters (usually ``result.k``).
    ks
        Alternative k (default ``k-1`` and ``k+1`` where ≥ 2).
    years
        Alternative single reference years (each replaces the baseline year/period).
    leave_one_out
        Drop each indicator in turn (needs at least three indicators).
    """
    fixed = typology.clone(k=int(k), gap_refs=0, k_range=(int(k),))
    base = fixed.fit(build_matrix(panel, spec))
    base_sel = select_cases(base, countries=countries, n_cases=n_cases)
    rows, detail = [], []
    for kind, name, vspec, vk in _stability_variants(spec, k=k, ks=ks, years=years, leave_one_out=leave_one_out):
        try:
            var = fixed.clone(k=vk, k_range=(vk,)).fit(build_matrix(panel, vspec))
            var_sel = select_cases(var, countries=base_sel.countries, n_cases=n_cases)
            stats, per_country = _compare(base, base_sel, var, var_sel)
            rows.append({"kind": kind, "variant": name, **stats, "status": "ok"})
            detail += [{"variant": name, **r} for r in per_country]
        except InputError as error:
            rows.append(
                {
                    "kind": kind,
                    "variant": name,
                    "n_regions": np.nan,
                    "ari": np.nan,
                    "proposed_kept": np.nan,
                    "typical_same": np.nan,
                    "status": f"not run: {error}",
                }
            )
    table = pd.DataFrame(
        rows, columns=["kind", "variant", "n_regions", "ari", "proposed_kept", "typical_same", "status"]
    )
    by_country = pd.DataFrame(
        detail, columns=["variant", "country", "baseline", "variant_cases", "kept", "typical_same"]
    )
    synthetic = base.matrix.synthetic
    table.attrs["synthetic"] = synthetic
    by_country.attrs["synthetic"] = synthetic
    return StabilityResult(
        table=table,
        by_country=by_country,
        baseline=base_sel.selected("proposed"),
        synthetic=synthetic,
        settings={"k": k, "n_cases": n_cases},
    )
