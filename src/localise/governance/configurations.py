"""Country-level fsQCA of governance configurations: inputs, anchors, cases, robustness.

The QCA itself runs on the project's engine (:mod:`localise.qca`, identical to R's
``QCA``); this module only prepares the case table, documents the calibration
anchors against the distribution of each measure, summarises robustness runs and
classifies cases after Schneider and Rohlfing (2013), "Combining QCA and process
tracing in set-theoretic multi-method research", *Sociological Methods & Research*
42(4): 559-597.

Case roles for a sufficient solution term or solution ``X`` and outcome ``Y``
(memberships; 0.5 is the qualitative anchor):

============================  =====================================
role                          condition
============================  =====================================
typical                       X > 0.5, Y > 0.5 and X <= Y
deviant consistency (degree)  X > 0.5, Y > 0.5 and X > Y
deviant consistency (kind)    X > 0.5, Y < 0.5
deviant coverage              X < 0.5, Y > 0.5
individually irrelevant       X < 0.5, Y < 0.5
============================  =====================================

Ordering inside a role (*proposed* by this project, following the logic of the
article): typical cases by decreasing membership in X, then by increasing distance
to the diagonal ``|Y - X|``; deviant cases in kind by decreasing ``X - Y``; deviant
coverage cases by decreasing Y.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca.calibrate import calibrate, parse_thresholds
from localise.qca.expressions import parse_term, term_membership

__all__ = [
    "ROLES",
    "country_conditions",
    "distribution_gaps",
    "anchor_report",
    "calibrate_sets",
    "case_roles",
    "term_case_roles",
    "robustness_overview",
    "solutions_table",
    "plot_anchors",
    "robustness_runs",
]

ROLES = (
    "typical",
    "deviant consistency (degree)",
    "deviant consistency (kind)",
    "deviant coverage",
    "individually irrelevant",
)


def _window_mean(gov: pd.DataFrame, column: str, years: tuple[int, int]) -> pd.Series:
    if column not in gov.columns:
        raise InputError(f"governance data: column {column!r} not found (columns: {list(gov.columns)[:20]} ...)")
    part = gov[gov["year"].between(*years)]
    return part.groupby("country")[column].mean()


def country_conditions(
    gov: pd.DataFrame,
    eqi: pd.DataFrame,
    outcome_panel: pd.DataFrame,
    *,
    lai_year: int = 2014,
    window: tuple[int, int] = (2010, 2014),
    eqi_wave: int = 2013,
    outcome: str = "arope",
    outcome_years: tuple[int, int] = (2015, 2017),
    countries: Sequence[str] | None = None,
    measures: Sequence[str] = ("LAI", "RAI", "SPLOC", "QOG"),
) -> pd.DataFrame:
    """Raw country table for the QCA: one row per country with every measure present.

    Parameters
    ----------
    gov
        Country-year governance table (``localise.data.governance.load_governance_country_year``).
    eqi
        Regional EQI (``load_eqi_regions``); the country's QOG value is the unweighted mean
        of its regions' EQI in ``eqi_wave`` (a country surveyed as one region has that value).
    outcome_panel
        Tidy country panel (``localise.data.load_country_panel``).
    lai_year
        Year of the LAI total (published for 1990, 2000, 2010, 2014 only).
    window
        Years over which RAI self-rule and the IMF local share of social protection are averaged.
    outcome, outcome_years
        Indicator (sex ``T``) and years over which it is averaged.
    countries
        Keep only these countries; default every country with all measures.
    measures
        Conditions to keep (a subset of ``LAI``, ``RAI``, ``SPLOC``, ``QOG``); a country
        needs only these and the outcome.

    Returns
    -------
    pandas.DataFrame
        Index ``country``; columns ``LAI``, ``RAI`` (self-rule), ``SPLOC`` (local share of
        general-government social protection spending), ``QOG`` and the outcome in upper
        case (e.g. ``AROPE``). Countries lacking any value are dropped and listed in
        ``attrs["dropped"]``.
    """
    lai = gov.loc[gov["year"] == lai_year].groupby("country")["lai"].mean()
    rai = _window_mean(gov, "rai_self_rule", window)
    sp = _window_mean(gov, "imf_sp_local", window)
    waves = eqi.loc[eqi["wave"] == eqi_wave]
    if waves.empty:
        raise InputError(f"eqi_wave={eqi_wave}: no EQI rows for that wave (waves: {sorted(eqi['wave'].unique())})")
    qog = waves.groupby("country")["eqi"].mean()
    sel = outcome_panel[(outcome_panel["indicator"] == outcome) & outcome_panel["year"].between(*outcome_years)]
    if "sex" in sel.columns:
        sel = sel[sel["sex"] == "T"]
    if sel.empty:
        raise InputError(f"outcome={outcome!r}: no values in {outcome_years} in the country panel")
    y = sel.groupby("country")["value"].mean()
    table = pd.DataFrame({"LAI": lai, "RAI": rai, "SPLOC": sp, "QOG": qog, outcome.upper(): y})
    unknown = sorted(set(measures) - {"LAI", "RAI", "SPLOC", "QOG"})
    if unknown or not measures:
        raise InputError(f"measures: expected a non-empty subset of LAI, RAI, SPLOC, QOG, got {list(measures)}")
    table = table[[*measures, outcome.upper()]]
    table.index.name = "country"
    if countries is not None:
        table = table.reindex(list(countries))
    complete = table.dropna()
    dropped = {
        c: [m for m in table.columns if pd.isna(table.loc[c, m])] for c in table.index if c not in complete.index
    }
    complete = complete.sort_index()
    complete.attrs.update(
        synthetic=False,
        dropped=dropped,
        source_note=(
            f"LAI {lai_year}; RAI self-rule and IMF local share of social protection, mean {window[0]}-{window[1]}; "
            f"QOG = mean regional EQI {eqi_wave}; {outcome} mean {outcome_years[0]}-{outcome_years[1]} (Eurostat)"
        ),
    )
    return complete


def distribution_gaps(values: pd.Series, *, top: int | None = None) -> pd.DataFrame:
    """Gaps between consecutive sorted values, largest first, with the cases on each side.

    Parameters
    ----------
    values
        Raw values indexed by case name (NaN ignored).
    top
        Keep only the ``top`` largest gaps.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank`` (1 = widest), ``below``, ``below_value``, ``above``, ``above_value``,
        ``gap``, ``midpoint``.
    """
    s = values.dropna().astype(float).sort_values(kind="mergesort")
    if len(s) < 2:
        raise InputError(f"distribution_gaps: need at least two values, got {len(s)}")
    lo, hi = s.iloc[:-1], s.iloc[1:]
    out = pd.DataFrame(
        {
            "below": lo.index.astype(str),
            "below_value": lo.to_numpy(),
            "above": hi.index.astype(str),
            "above_value": hi.to_numpy(),
        }
    )
    out["gap"] = out["above_value"] - out["below_value"]
    out["midpoint"] = (out["above_value"] + out["below_value"]) / 2
    out = out.sort_values("gap", ascending=False, kind="mergesort").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top is not None else out


def _named_anchors(spec: Any, column: str) -> dict[str, float]:
    th = parse_thresholds(spec)
    if not isinstance(th, dict) or set(th) != {"e", "c", "i"}:
        raise InputError(f"anchors[{column!r}]: expected 'e=.., c=.., i=..', got {spec!r}")
    return th


def calibrate_sets(
    raw: pd.DataFrame, anchors: Mapping[str, Any], *, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Direct (logistic) calibration of every column in ``anchors`` (R ``calibrate`` conventions).

    ``names`` renames raw columns to set names (e.g. ``{"AROPE": "LOWAROPE"}``); anchors
    with ``i < c < e`` give a decreasing set (low values = membership).
    """
    names = dict(names or {})
    out = pd.DataFrame(index=raw.index)
    for column, spec in anchors.items():
        if column not in raw.columns:
            raise InputError(f"anchors: {column!r} is not a column of the raw table ({list(raw.columns)})")
        th = _named_anchors(spec, column)
        out[names.get(column, column)] = calibrate(raw[column], type="fuzzy", thresholds=th)
    out.attrs.update(raw.attrs)
    return out


def anchor_report(raw: pd.DataFrame, anchors: Mapping[str, Any]) -> pd.DataFrame:
    """Where each crossover lies in the distribution: neighbouring cases, gap and its rank.

    Returns
    -------
    pandas.DataFrame
        One row per calibrated column: ``e``, ``c``, ``i``, ``direction``, the cases just
        below and above the crossover, the ``gap`` between them, ``gap_rank`` (1 = the widest
        gap of that variable), ``members`` (cases on the membership side of the crossover) and ``n``.
    """
    rows = []
    for column, spec in anchors.items():
        th = _named_anchors(spec, column)
        s = raw[column].dropna().astype(float).sort_values(kind="mergesort")
        gaps = distribution_gaps(s)
        below = s[s < th["c"]]
        above = s[s > th["c"]]
        rec: dict[str, Any] = {
            "variable": column,
            **th,
            "direction": "increasing" if th["i"] > th["e"] else "decreasing",
        }
        if below.empty or above.empty:
            rec.update(below=None, below_value=np.nan, above=None, above_value=np.nan, gap=np.nan, gap_rank=np.nan)
        else:
            rec.update(
                below=str(below.index[-1]),
                below_value=float(below.iloc[-1]),
                above=str(above.index[0]),
                above_value=float(above.iloc[0]),
            )
            rec["gap"] = rec["above_value"] - rec["below_value"]
            match = gaps[(gaps["below"] == rec["below"]) & (gaps["above"] == rec["above"])]
            rec["gap_rank"] = int(match["rank"].iloc[0]) if len(match) else np.nan
        side = above if rec["direction"] == "increasing" else below
        rec["members"] = ",".join(side.index.astype(str))
        rec["n_members"] = len(side)
        rec["n"] = len(s)
        rows.append(rec)
    return pd.DataFrame(rows)


def _role(x: float, y: float) -> str:
    if x > 0.5 and y > 0.5:
        return ROLES[0] if x <= y else ROLES[1]
    if x > 0.5:
        return ROLES[2]
    if y > 0.5:
        return ROLES[3]
    return ROLES[4]


def case_roles(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, cases: Sequence[str]) -> pd.DataFrame:
    """Schneider-Rohlfing role of each case for a sufficiency statement ``X -> Y``.

    Parameters
    ----------
    x, y
        Memberships in the solution (or term) and in the outcome.
    cases
        Case names.

    Returns
    -------
    pandas.DataFrame
        Columns ``case``, ``X``, ``Y``, ``role``, ``rank_in_role`` (1 = the best
        example of its role; see the module docstring), sorted by role and rank.
    """
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    if xa.shape != ya.shape or xa.shape[0] != len(cases):
        raise InputError(f"case_roles: x ({xa.shape}), y ({ya.shape}) and cases ({len(cases)}) differ in length")
    if np.any(np.isclose(xa, 0.5)) or np.any(np.isclose(ya, 0.5)):
        raise InputError("case_roles: a membership of exactly 0.5 has no role; recalibrate")
    frame = pd.DataFrame({"case": list(map(str, cases)), "X": xa, "Y": ya})
    frame["role"] = [_role(a, b) for a, b in zip(xa, ya)]
    key = np.select(
        [frame["role"] == ROLES[0], frame["role"] == ROLES[2], frame["role"] == ROLES[3]],
        [-frame["X"] + 1e-3 * (frame["Y"] - frame["X"]).abs(), -(frame["X"] - frame["Y"]), -frame["Y"]],
        default=-(frame["X"] - frame["Y"]).abs(),
    )
    frame["_key"] = key
    frame["_role"] = frame["role"].map({r: i for i, r in enumerate(ROLES)})
    frame = frame.sort_values(["_role", "_key", "case"], kind="mergesort")
    frame["rank_in_role"] = frame.groupby("role").cumcount() + 1
    return frame.drop(columns=["_key", "_role"]).reset_index(drop=True)


def term_case_roles(data: pd.DataFrame, terms: Sequence[str], outcome: str) -> pd.DataFrame:
    """Roles of cases for each term of a solution, with unique coverage.

    Parameters
    ----------
    data
        Calibrated table (conditions and outcome; case names as index).
    terms
        Solution terms in the engine's notation (``"LAI*~QOG"``).
    outcome
        Outcome column, ``"~Y"`` for the negation.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``case``, ``X`` (term membership), ``Y``, ``role`` and
        ``unique`` (the case is a member, > 0.5, of this term and of no other term).
        Only cases with X > 0.5 or Y > 0.5 are listed.
    """
    neg = outcome.strip().startswith("~")
    name = outcome.strip().lstrip("~")
    if name not in data.columns:
        raise InputError(f"term_case_roles: outcome {name!r} not in the data")
    y = data[name].to_numpy(float)
    y = 1 - y if neg else y
    memb = {t: term_membership(data, parse_term(t)) if t.strip() != "1" else np.ones(len(data)) for t in terms}
    member = np.vstack([memb[t] > 0.5 for t in terms]) if terms else np.zeros((0, len(data)), bool)
    rows = []
    for j, t in enumerate(terms):
        roles = case_roles(memb[t], y, list(data.index))
        roles.insert(0, "term", t)
        pos = {c: i for i, c in enumerate(map(str, data.index))}
        roles["unique"] = [bool(member[j, pos[c]] and member[:, pos[c]].sum() == 1) for c in roles["case"]]
        rows.append(roles[(roles["X"] > 0.5) | (roles["Y"] > 0.5)])
    return (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["term", "case", "X", "Y", "role", "rank_in_role", "unique"])
    )


def robustness_overview(table: pd.DataFrame, baseline_solution: str) -> dict[str, Any]:
    """Counts over a robustness table (:func:`localise.qca.robustness.robustness`).

    Returns a dict with ``settings``, ``ran``, ``distinct_solutions``, ``baseline_holds``
    (variants giving exactly the baseline solution), ``terms`` (for each baseline term, the
    number of variants whose solution contains it) and ``errors``.
    """
    ok = table[table["error"].isna()]
    has_baseline = isinstance(baseline_solution, str) and bool(baseline_solution)
    terms = [t.strip() for t in baseline_solution.split("+") if t.strip()] if has_baseline else []
    term_counts = {
        t: int(sum(t in {p.strip() for m in str(s).split("|") for p in m.split("+")} for s in ok["solution"]))
        for t in terms
    }
    return {
        "settings": int(len(table)),
        "ran": int(len(ok)),
        "distinct_solutions": int(ok["solution"].nunique()),
        "baseline_holds": int((ok["solution"] == baseline_solution).sum()) if has_baseline else 0,
        "terms": term_counts,
        "errors": int(table["error"].notna().sum()),
    }


def _model_fit_row(fit: Any, model_index: int) -> dict[str, float]:
    frame = fit.solution if not fit.multiple_models else fit.per_model[f"M{model_index + 1}"][1]
    r = frame.iloc[0]
    return {"inclS": float(r["inclS"]), "PRI": float(r["PRI"]), "covS": float(r["covS"])}


def solutions_table(solutions: Mapping[str, Any]) -> pd.DataFrame:
    """One row per solution type and model: formula, inclS, PRI, covS.

    Parameters
    ----------
    solutions
        ``{label: Solution}`` from :func:`localise.qca.minimize`; a solution with
        intermediate results contributes one row per intermediate model (``C1P1`` ...).
    """
    rows = []
    for label, sol in solutions.items():
        outcome = sol.truth_table.outcome
        if sol.intermediate:
            for inter in sol.intermediate:
                for i, terms in enumerate(inter.models):
                    rows.append(
                        {
                            "solution": label,
                            "model": f"{inter.name} M{i + 1}",
                            "formula": " + ".join(terms),
                            "outcome": outcome,
                            **_model_fit_row(inter.fit, i),
                        }
                    )
        else:
            for i, terms in enumerate(sol.models):
                rows.append(
                    {
                        "solution": label,
                        "model": f"M{i + 1}",
                        "formula": " + ".join(terms),
                        "outcome": outcome,
                        **_model_fit_row(sol.fit, i),
                    }
                )
    return pd.DataFrame(rows, columns=["solution", "model", "formula", "outcome", "inclS", "PRI", "covS"])


def plot_anchors(raw: pd.DataFrame, anchors: Mapping[str, Any], *, labels: Mapping[str, str] | None = None) -> Any:
    """One strip per calibrated variable: the cases' raw values and the e, c, i anchors."""
    import matplotlib.pyplot as plt

    labels = dict(labels or {})
    cols = list(anchors)
    fig, axes = plt.subplots(len(cols), 1, figsize=(8, 1.25 * len(cols) + 0.4))
    for ax, col in zip(np.atleast_1d(axes), cols):
        th = _named_anchors(anchors[col], col)
        s = raw[col].dropna().sort_values()
        ax.scatter(s, np.zeros(len(s)), s=14, color="0.2", zorder=3)
        for k, (case, v) in enumerate(s.items()):
            ax.annotate(
                str(case), (v, 0), xytext=(0, 6 if k % 2 else -11), textcoords="offset points", fontsize=6, ha="center"
            )
        for key, style in (("e", ":"), ("c", "-"), ("i", "--")):
            ax.axvline(th[key], color="crimson", ls=style, lw=1)
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_title(
            f"{labels.get(col, col)}: e = {th['e']:g}, c = {th['c']:g}, i = {th['i']:g}", fontsize=8, loc="left"
        )
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return fig


def robustness_runs(
    raw: pd.DataFrame,
    anchors: Mapping[str, Any],
    outcome: str,
    conditions: Sequence[str],
    *,
    names: Mapping[str, str] | None = None,
    anchor_shifts: Sequence[float] = (0.0,),
    incl_cuts: Sequence[float] = (0.8,),
    n_cuts: Sequence[int] = (1,),
    pri_cut: float = 0.0,
    include: str = "?",
    baseline_incl_cut: float | None = None,
):
    """:func:`localise.qca.robustness.robustness` recalibrating the raw table with ``anchors``.

    ``names`` renames raw columns to set names first (as in :func:`calibrate_sets`), so the
    outcome set can be named differently from its raw measure.
    """
    from localise.qca.robustness import robustness

    names = dict(names or {})
    renamed = raw.rename(columns=names)
    set_anchors = {names.get(k, k): v for k, v in anchors.items()}
    return robustness(
        renamed,
        outcome,
        list(conditions),
        anchors=set_anchors,
        anchor_shifts=list(anchor_shifts),
        incl_cuts=list(incl_cuts),
        n_cuts=list(n_cuts),
        pri_cut=pri_cut,
        include=include,
        baseline_incl_cut=baseline_incl_cut,
    )
