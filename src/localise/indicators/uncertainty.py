"""Uncertainty and sensitivity analysis of a composite indicator.

See docs/methods/indicators.md, "Uncertainty and sensitivity analysis".

Monte Carlo over methodological choices, each a *factor* of a variance-based
sensitivity analysis:

``weights``
    every node weight multiplied by ``1 + r (2u - 1)`` (uniform within ± ``weight_range``),
    then renormalised among siblings;
``normalisation``
    one of ``normalisations`` (discrete, equiprobable);
``imputation``
    one of ``imputations`` (raw-value missing-data policy);
``aggregation``
    the order p of the power mean at the levels in ``vary_levels`` (one of ``orders``);
``exclusion``
    no indicator or one leaf left out (equiprobable among the ``I + 1`` cases).

The design is the Saltelli sample of SALib (``SALib.sample.sobol``, scrambled Sobol
sequence, seeded, without second-order terms, factors grouped as above), so the same
replications give the rank distributions (median rank, 5–95 % interval per unit) and
the first-order and total Sobol indices (``SALib.analyze.sobol``, Saltelli 2010 / Jansen
estimators) of each factor on the average absolute rank shift
``R_S = (1/U) sum_u |rank_ref(u) - rank(u)|``.

All replications of a chunk are computed at once with numpy (batched matrix products,
:func:`localise.indicators.methods.aggregate_level`); chunks can be sent to a Dask
cluster with ``scheduler="tcp://host:8786"``. The power-mean terms of the leaves are
computed once per (normalisation/imputation variant, order) and shared by the
replications, so the cost grows linearly in units × replications and a chunk holds
``chunk_size × units × nodes of the first aggregate level`` values, not one copy of
every leaf per replication.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.indicators import methods
from localise.indicators.engine import CompositeIndicator
from localise.indicators.framework import Framework, FrameworkSettings
from localise.results import Results

__all__ = ["UncertaintyAnalysis", "UncertaintyResults", "evaluate_chunk"]


# ---------------------------------------------------------------------------- core (pure numpy)
def _ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest) along the last axis; NaN scores get NaN ranks; ties ordinal."""
    nan = np.isnan(scores)
    s = np.where(nan, -np.inf, scores)
    order = np.argsort(-s, axis=-1, kind="stable")
    ranks = np.empty(scores.shape, dtype=np.float32)
    positions = np.broadcast_to(np.arange(1, scores.shape[-1] + 1, dtype=np.float32), scores.shape)
    np.put_along_axis(ranks, order, positions, axis=-1)
    ranks[nan] = np.nan
    return ranks


def _leaf_level(
    variants: np.ndarray,
    vidx: np.ndarray,
    weights: np.ndarray,
    membership: np.ndarray,
    orders: np.ndarray,
    min_coverage: float,
) -> np.ndarray:
    """First aggregation (leaves -> parents) of a chunk, equal to :func:`methods.aggregate_level`.

    ``aggregate_level`` would transform a ``(c, U, I)`` copy of the leaf values, one per
    replication; here the power-mean terms are computed once per (variant, order) pair on
    the ``(U, I)`` leaves and broadcast against the replications' weights, so the work per
    replication is the matrix products only and the chunk never holds ``c × U × I`` values.
    """
    wm = weights[:, :, None] * membership[None, :, :]  # (c, I, P)
    total = wm.sum(axis=1)[:, None, :]
    shape = (len(vidx), variants.shape[1], membership.shape[1])
    out = np.empty(shape)
    den = np.empty(shape)
    used = np.unique(vidx)
    if np.any(orders != 1.0) and np.any(variants[used] < 0):
        raise InputError("power means of order != 1 need non-negative scores; use an arithmetic mean with z-scores")
    for v in used:
        valid = ~np.isnan(variants[v])
        of_variant = vidx == v
        for p in np.unique(orders[of_variant]):
            rows = np.flatnonzero(of_variant & (orders == p))
            terms = methods.power_terms(variants[v], valid, p)
            den[rows] = valid.astype(float) @ wm[rows]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out[rows] = methods.power_mean_from_terms((terms @ wm[rows]) / den[rows], p)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = den / total
    out[~(coverage >= min_coverage - 1e-12) | (den <= 0)] = np.nan
    return out


def evaluate_chunk(payload: dict[str, Any], design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index scores and ranks of a chunk of replications (rows of the decoded ``design``).

    Parameters
    ----------
    payload
        ``variants`` (V, U, I) normalised leaf values, ``levels`` list of dicts with
        ``membership``, ``weights`` (base weights of the children), ``order``, ``vary``,
        ``min_coverage``, and ``orders`` (the candidate orders).
    design
        Decoded design rows: columns ``[variant, order_index, excluded, weight multipliers...]``.

    Returns
    -------
    scores, ranks
        ``(c, U)`` float32 arrays.
    """
    variants = payload["variants"]
    vidx = design[:, 0].astype(int)
    oidx = design[:, 1].astype(int)
    excl = design[:, 2].astype(int)
    mult = design[:, 3:]
    c = design.shape[0]
    current = np.empty((c, 0, 0))  # replaced by the first level
    offset = 0
    for k, level in enumerate(payload["levels"]):
        base = level["weights"]
        n = base.shape[0]
        w = base[None, :] * mult[:, offset : offset + n]
        offset += n
        if k == 0:
            rows = np.flatnonzero(excl > 0)
            w[rows, excl[rows] - 1] = 0.0
        if level["vary"]:
            orders = np.asarray(payload["orders"], dtype=float)[oidx]
        else:
            orders = np.full(c, level["order"])
        if k == 0:
            current = _leaf_level(variants, vidx, w, level["membership"], orders, level["min_coverage"])
        else:
            current, _ = methods.aggregate_level(
                current, w, level["membership"], orders, min_coverage=level["min_coverage"]
            )
    scores = current[:, :, 0]
    return scores.astype(np.float32), _ranks(scores)


# ---------------------------------------------------------------------------- settings
@dataclass
class UncertaintyAnalysis(FrameworkSettings):
    """Monte Carlo uncertainty and Sobol sensitivity analysis of a framework's ranking.

    Parameters
    ----------
    framework
        Framework or its name/path.
    normalisations
        Candidate normalisations; ``"framework"`` means each indicator's own setting.
    imputations
        Candidate raw-value missing-data policies (``none``, ``mean``, ``group_mean``, ``em``).
    orders
        Candidate orders p of the power mean at ``vary_levels`` (0 = geometric, 1 = arithmetic).
    vary_levels
        Levels whose aggregation order varies; default: the levels the framework aggregates
        with a non-arithmetic mean, or every aggregate level when all are arithmetic.
    weight_range
        Relative half-width of the uniform perturbation of every weight (0.25 = ± 25 %).
    leave_one_out
        Include the factor "one leaf indicator left out".
    n_replications
        Target number of model evaluations; the Saltelli design uses ``N = ceil(n / (G + 2))``
        base samples for G factors, so the actual number is ``N (G + 2)``.
    seed
        Seed of the Sobol sequence scrambling and the bootstrap of the confidence intervals.
    chunk_size
        Replications evaluated at once (memory ~ ``chunk_size × units × P × 8`` bytes, P the
        number of nodes on the first aggregate level).
    scheduler
        Address of a Dask distributed scheduler; ``None`` computes locally.
    num_resamples
        Bootstrap resamples for the Sobol confidence intervals.
    """

    framework: Framework | str
    normalisations: Sequence[str] = ("framework",)
    imputations: Sequence[str] = ("none",)
    orders: Sequence[float] = (0.0, 0.5, 1.0)
    vary_levels: Sequence[str] | None = None
    weight_range: float = 0.25
    leave_one_out: bool = True
    n_replications: int = 1000
    seed: int = 0
    chunk_size: int = 250
    scheduler: str | None = None
    num_resamples: int = 100

    def __post_init__(self) -> None:
        fw = self._load_framework()
        if not 0 <= self.weight_range < 1:
            raise InputError(f"weight_range={self.weight_range}: expected a number in [0, 1)")
        if self.n_replications < 1 or self.chunk_size < 1:
            raise InputError("n_replications and chunk_size must be positive")
        if not self.normalisations or not self.imputations or not self.orders:
            raise InputError("normalisations, imputations and orders need at least one entry each")
        if self.vary_levels is None:
            non_arith = [lv for lv in fw.levels[1:] if methods.order_of(fw.aggregation_for(lv)) != 1.0]
            self.vary_levels = tuple(non_arith or fw.levels[1:])
        for lv in self.vary_levels:
            if lv not in fw.levels[1:]:
                raise InputError(f"vary_levels: {lv!r} is not an aggregate level of {fw.levels[1:]}")

    def factors(self) -> list[str]:
        """Names of the factors that vary in this analysis."""
        out = []
        if self.weight_range > 0:
            out.append("weights")
        if len(self.normalisations) > 1:
            out.append("normalisation")
        if len(self.imputations) > 1:
            out.append("imputation")
        if len(self.orders) > 1:
            out.append("aggregation")
        if self.leave_one_out:
            out.append("exclusion")
        if not out:
            raise InputError("nothing varies: give a weight_range > 0, several choices, or leave_one_out=True")
        return out

    def settings(self) -> dict[str, Any]:
        """Settings as a plain dict (kept on the results)."""
        return {
            "framework": self._fw.name,
            "normalisations": list(self.normalisations),
            "imputations": list(self.imputations),
            "orders": list(self.orders),
            "vary_levels": list(self.vary_levels or ()),
            "weight_range": self.weight_range,
            "leave_one_out": self.leave_one_out,
            "n_replications": self.n_replications,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "scheduler": self.scheduler,
        }

    # ------------------------------------------------------------------ payload and design
    def _payload(self, data: pd.DataFrame, groups: pd.Series | None) -> tuple[dict[str, Any], pd.Index, bool]:
        fw = self._fw
        leaf = fw.levels[0]
        variants = []
        labels = []
        index = None
        for imp in self.imputations:
            for norm in self.normalisations:
                model = CompositeIndicator(
                    fw, normalisation=None if norm == "framework" else norm, missing={leaf: {"policy": imp}}
                )
                res = model.fit(data, groups=groups)
                index = res.normalised.index
                variants.append(res.normalised.to_numpy(float))
                labels.append((imp, norm))
        stack = np.stack(variants)
        if np.nanmin(stack) < 0 and (
            len(self.orders) > 1 or any(methods.order_of(fw.aggregation_for(lv)) != 1.0 for lv in fw.levels[1:])
        ):
            raise InputError("normalisations giving negative scores (zscore) cannot be combined with power means")
        levels = []
        for k, level in enumerate(fw.levels[1:], start=1):
            below = fw.levels[k - 1]
            levels.append(
                {
                    "membership": fw.membership(level),
                    "weights": fw.weights(below),
                    "order": methods.order_of(fw.aggregation_for(level)),
                    "vary": level in (self.vary_levels or ()),
                    "min_coverage": float(fw.missing_for(level).get("min_coverage", 1.0)),
                }
            )
        payload = {"variants": stack, "levels": levels, "orders": list(self.orders), "labels": labels}
        synthetic = bool(getattr(data, "attrs", {}).get("synthetic", False))
        return payload, index, synthetic

    def _problem(self, n_weights: int, n_leaves: int) -> dict[str, Any]:
        names, groups = [], []
        if self.weight_range > 0:
            names += [f"w{i}" for i in range(n_weights)]
            groups += ["weights"] * n_weights
        for f in self.factors():
            if f != "weights":
                names.append(f)
                groups.append(f)
        return {"num_vars": len(names), "names": names, "groups": groups, "bounds": [[0.0, 1.0]] * len(names)}

    def _decode(self, x: np.ndarray, n_weights: int, n_leaves: int) -> np.ndarray:
        """Map unit-hypercube samples to design rows [variant, order_idx, excluded, multipliers]."""
        R = x.shape[0]
        col = 0
        if self.weight_range > 0:
            mult = 1.0 + self.weight_range * (2.0 * x[:, :n_weights] - 1.0)
            col = n_weights
        else:
            mult = np.ones((R, n_weights))

        def pick(name: str, k: int) -> np.ndarray:
            nonlocal col
            if name in self.factors():
                out = np.minimum((x[:, col] * k).astype(int), k - 1)
                col += 1
                return out
            return np.zeros(R, dtype=int)

        norm = pick("normalisation", len(self.normalisations))
        imp = pick("imputation", len(self.imputations))
        order = pick("aggregation", len(self.orders))
        excl = pick("exclusion", n_leaves + 1)
        variant = imp * len(self.normalisations) + norm
        return np.column_stack([variant, order, excl, mult])

    # ------------------------------------------------------------------ run
    def run(self, data: pd.DataFrame, *, groups: pd.Series | None = None) -> UncertaintyResults:
        """Run the Monte Carlo analysis on ``data`` (units × indicator columns)."""
        t0 = time.perf_counter()
        fw = self._fw
        payload, units, synthetic = self._payload(data, groups)
        n_weights = sum(lv["weights"].shape[0] for lv in payload["levels"])
        n_leaves = len(fw.indicators)
        problem = self._problem(n_weights, n_leaves)
        n_groups = len(set(problem["groups"]))
        base_n = max(2, math.ceil(self.n_replications / (n_groups + 2)))
        x = saltelli_design(problem, base_n, seed=self.seed)
        design = self._decode(x, n_weights, n_leaves)
        # reference: nominal choices (first normalisation/imputation, framework orders, no perturbation)
        nominal = np.concatenate([[0, 0, 0], np.ones(n_weights)])[None, :]
        ref_payload = dict(payload)
        ref_payload["levels"] = [dict(lv, vary=False) for lv in payload["levels"]]
        ref_scores, ref_ranks = evaluate_chunk(ref_payload, nominal)
        t1 = time.perf_counter()
        chunks = [design[i : i + self.chunk_size] for i in range(0, len(design), self.chunk_size)]
        if self.scheduler:
            from distributed import Client

            with Client(self.scheduler) as client:
                remote = client.scatter(payload, broadcast=True)
                futures = [client.submit(evaluate_chunk, remote, ch, pure=False) for ch in chunks]
                parts = client.gather(futures)
        else:
            parts = [evaluate_chunk(payload, ch) for ch in chunks]
        scores = np.concatenate([p[0] for p in parts])
        ranks = np.concatenate([p[1] for p in parts])
        t2 = time.perf_counter()
        with np.errstate(invalid="ignore"):
            shift = np.nanmean(np.abs(ranks - ref_ranks), axis=1)
        y = np.where(np.isnan(shift), np.nanmean(shift), shift)
        sobol = sobol_table(problem, y, num_resamples=self.num_resamples, seed=self.seed)
        t3 = time.perf_counter()
        labels = payload["labels"]
        leaves = fw.indicators  # tree order computed once, not once per replication
        decoded = pd.DataFrame(
            {
                "imputation": [labels[int(v)][0] for v in design[:, 0]],
                "normalisation": [labels[int(v)][1] for v in design[:, 0]],
                "order": np.asarray(self.orders, dtype=float)[design[:, 1].astype(int)],
                "excluded": [None if e == 0 else leaves[int(e) - 1] for e in design[:, 2]],
                "rank_shift": shift,
            }
        )
        return UncertaintyResults(
            settings=self.settings(),
            units=units,
            reference_scores=pd.Series(ref_scores[0], index=units),
            reference_ranks=pd.Series(ref_ranks[0], index=units),
            scores=scores,
            ranks=ranks,
            design=decoded,
            sobol=sobol,
            timings={"prepare": t1 - t0, "replications": t2 - t1, "sobol": t3 - t2},
            synthetic=synthetic,
        )


def saltelli_design(problem: dict[str, Any], base_n: int, *, seed: int) -> np.ndarray:
    """Saltelli design of SALib (scrambled Sobol sequence, no second-order terms).

    ``base_n * (D + 2)`` rows, ``D`` the number of factors (or groups) in ``problem``.
    """
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        # scipy's Sobol sampler warns when base_n is not a power of 2; base_n follows n_replications instead
        warnings.filterwarnings(
            "ignore",
            message="The balance properties of Sobol' points require n to be a power of 2",
            category=UserWarning,
        )
        return sobol_sample.sample(problem, base_n, calc_second_order=False, scramble=True, seed=seed)


def sobol_table(problem: dict[str, Any], y: np.ndarray, *, num_resamples: int = 100, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices (SALib) of outputs ``y`` on a :func:`saltelli_design`."""
    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings():
        # when no replication moves the ranking, y is constant: SALib divides by its zero standard
        # deviation and the indices come out NaN, which the table shows
        warnings.filterwarnings("ignore", message="invalid value encountered", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="Constant values encountered", category=UserWarning)
        si = sobol_analyze.analyze(
            problem, np.asarray(y, dtype=float), calc_second_order=False, num_resamples=num_resamples, seed=seed
        )
    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    return pd.DataFrame(
        {"S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]},
        index=pd.Index(names, name="factor"),
    )


# ---------------------------------------------------------------------------- results
@dataclass(repr=False)
class UncertaintyResults(Results):
    """Result of :meth:`UncertaintyAnalysis.run`.

    Attributes
    ----------
    reference_scores, reference_ranks
        Index and rank of every unit under the nominal choices.
    scores, ranks
        ``(R, U)`` index scores and ranks of every replication.
    design
        One row per replication: the discrete choices and its average rank shift.
    sobol
        First-order (S1) and total (ST) Sobol indices per factor with 95 % bootstrap half-widths.
    timings
        Seconds spent preparing, computing the replications and estimating the indices.
    synthetic
        Whether the data were generated; ``sobol`` and the frames the methods return carry it in ``attrs``.
    """

    settings: dict[str, Any]
    units: pd.Index
    reference_scores: pd.Series
    reference_ranks: pd.Series
    scores: np.ndarray
    ranks: np.ndarray
    design: pd.DataFrame
    sobol: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    synthetic: bool = False

    def __post_init__(self) -> None:
        for frame in (self.design, self.sobol):
            frame.attrs["synthetic"] = self.synthetic

    @property
    def n_replications(self) -> int:
        """Number of model evaluations."""
        return int(self.ranks.shape[0])

    def rank_summary(self) -> pd.DataFrame:
        """Per unit: reference rank and score, median rank, 5th/95th percentile rank and width."""
        with warnings.catch_warnings():
            # a unit with no score in any replication has NaN percentiles, shown as such
            warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning)
            q = np.nanpercentile(self.ranks, [5, 50, 95], axis=0)
            sq = np.nanpercentile(self.scores, [5, 50, 95], axis=0)
        out = pd.DataFrame(
            {
                "reference_score": self.reference_scores,
                "reference_rank": self.reference_ranks,
                "median_rank": q[1],
                "rank_p05": q[0],
                "rank_p95": q[2],
                "rank_interval": q[2] - q[0],
                "score_p05": sq[0],
                "score_median": sq[1],
                "score_p95": sq[2],
            },
            index=self.units,
        ).sort_values("reference_rank")
        out.attrs["synthetic"] = self.synthetic
        return out

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`rank_summary` with the unit as a column."""
        out = self.rank_summary().rename_axis("unit").reset_index()
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Settings, timings, average rank shift, Sobol indices and the least stable units."""
        lines = ["Uncertainty and sensitivity analysis", "=" * 60]
        lines += [f"{k:>15}: {v}" for k, v in self.settings.items()]
        lines.append("-" * 60)
        lines.append(
            f"Replications: {self.n_replications}; units: {len(self.units)}; "
            f"time: {sum(self.timings.values()):.2f} s "
            f"(replications {self.timings.get('replications', 0):.2f} s)"
        )
        lines.append(
            f"Average absolute rank shift: mean {np.nanmean(self.design.rank_shift):.2f}, "
            f"max {np.nanmax(self.design.rank_shift):.2f}"
        )
        lines.append("Sobol indices on the average rank shift:")
        lines.append(self.sobol.round(3).to_string())
        rs = self.rank_summary()
        wide = rs.sort_values("rank_interval", ascending=False).head(5)
        lines.append(
            "Widest 5-95% rank intervals: "
            + ", ".join(f"{u} [{r.rank_p05:.0f}-{r.rank_p95:.0f}]" for u, r in wide.iterrows())
        )
        lines.extend(self.banner())
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """LaTeX table of the Sobol indices."""
        from localise.provenance import label

        caption = label(caption or "Sobol sensitivity indices on the average rank shift", self.synthetic)
        return self.sobol.to_latex(float_format=lambda v: f"{v:.3f}", caption=caption, label="tab:sobol")

    def plot_rank_intervals(self, ax: Any = None, *, top: int | None = None, labels: bool = True) -> Any:
        """Rank-shift plot: reference rank against median rank with 5–95 % intervals."""
        import matplotlib.pyplot as plt

        rs = self.rank_summary()
        if top is not None:
            rs = rs.head(top)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(3, 0.18 * len(rs))))
        y = np.arange(len(rs))
        ax.hlines(y, rs.rank_p05, rs.rank_p95, color="0.6", lw=2, label="5–95 % rank interval")
        ax.plot(rs.median_rank, y, "o", ms=3, color="C0", label="median rank")
        ax.plot(rs.reference_rank, y, "|", ms=8, color="C3", label="reference rank")
        if labels and len(rs) <= 60:
            ax.set_yticks(y, rs.index)
        ax.invert_yaxis()
        ax.set_xlabel("rank (1 = best)")
        ax.legend(loc="lower right", fontsize=8)
        return ax

    def plot_sobol(self, ax: Any = None) -> Any:
        """Bar chart of first-order and total Sobol indices with confidence half-widths."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        x = np.arange(len(self.sobol))
        ax.bar(x - 0.2, self.sobol.S1, 0.4, yerr=self.sobol.S1_conf, label="first order $S_i$")
        ax.bar(x + 0.2, self.sobol.ST, 0.4, yerr=self.sobol.ST_conf, label="total $S_{Ti}$")
        ax.set_xticks(x, self.sobol.index)
        ax.set_ylabel("Sobol index (average rank shift)")
        ax.legend(fontsize=8)
        return ax
