"""SPIRAL (Council of Europe) well-being criteria, situation-scale indicators and actions.

Workflow (see docs/methods/cohesion.md, "SPIRAL"):

1. Criteria gathered in homogeneous groups answering three questions (well-being,
   ill-being, own contribution) are written into a *criteria sheet* and coded into
   families and themes of the versioned coding key (:func:`load_coding_key`).
   :func:`read_criteria_sheet` validates the sheet; :func:`criteria_reliability`
   measures inter-coder agreement with Krippendorff's alpha (nominal) from
   :mod:`localise.grid.reliability`; :func:`criteria_profile` gives the share of
   criteria per family by group and overall (minority criteria are kept).
2. Indicators derived from the criteria are assessed on the five-level situation scale
   (1 very bad, 2 bad, 3 average, 4 good, 5 ideal): :func:`read_assessments`,
   :func:`situation_indicators` (distribution, share good/ideal, share ill-being,
   0-100 score), :func:`progress` between two rounds, radar and bar displays.
3. Co-responsibility actions are linked to the families they address:
   :func:`read_actions` and :func:`monitor_actions` give indicator change over rounds.

The synthetic scores are a localise construction [proposed; see docs/methods/cohesion.md,
"Situation scale and synthetic scores"]:
``score = 100 * (level - 1) / 4``; family score = mean of its indicators.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.results import Results

__all__ = [
    "SITUATION_LEVELS",
    "QUESTIONS",
    "CRITERIA_COLUMNS",
    "ASSESSMENT_COLUMNS",
    "ACTION_COLUMNS",
    "load_coding_key",
    "read_criteria_sheet",
    "criteria_reliability",
    "criteria_profile",
    "read_assessments",
    "situation_indicators",
    "SituationIndicators",
    "progress",
    "read_actions",
    "monitor_actions",
    "plot_radar",
    "plot_distribution",
    "check_sheet",
]

#: Five-level situation scale (wording recalled; docs/methods/cohesion.md, "Situation scale and synthetic scores").
SITUATION_LEVELS = {1: "very bad", 2: "bad", 3: "average", 4: "good", 5: "ideal"}
#: The three SPIRAL questions; sheets may give the key or the number 1, 2, 3.
QUESTIONS = {1: "wellbeing", 2: "illbeing", 3: "contribution"}
CRITERIA_COLUMNS = ["criterion_id", "group", "question", "text", "family", "theme", "coder"]
ASSESSMENT_COLUMNS = ["round", "group", "indicator", "family", "level"]
ACTION_COLUMNS = ["action_id", "action", "families"]


# ---------------------------------------------------------------------------------------------
# coding key


def load_coding_key(version: str = "guide-2010-8", *, path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The coding key as a table: family, family_label, theme, theme_label.

    ``attrs`` holds ``version``, ``source`` and ``components_complete``.
    """
    import yaml

    from localise.cohesion import package_data

    path = Path(path) if path else package_data("spiral_coding_key.yml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    versions = doc.get("versions", {})
    if version not in versions:
        raise InputError(f"{path}: unknown coding-key version {version!r}; available: {sorted(versions)}")
    spec = versions[version]
    rows = []
    for fam, fspec in spec["families"].items():
        for theme, label in (fspec.get("themes") or {}).items():
            rows.append((str(fam), fspec["label"], str(theme), label))
    key = pd.DataFrame(rows, columns=["family", "family_label", "theme", "theme_label"])
    key.attrs.update(
        version=version, source=spec.get("source", ""), components_complete=bool(spec.get("components_complete", False))
    )
    return key


def _read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV/XLSX sheet as strings (blank cells as ``""``) with the grid's sheet reader."""
    from localise.grid.coding import read_sheet

    return read_sheet(path)


def _open_sheet(
    path: str | os.PathLike[str] | pd.DataFrame, source: str | None, default_name: str, columns: list[str]
) -> tuple[pd.DataFrame, str, Any]:
    """Read a sheet (or copy a frame), check its required ``columns``.

    Returns the sheet as strings, the name used in messages and a problem collector;
    raises :class:`InputError` at once when required columns are missing.
    """
    from localise.problems import ProblemCollector

    if isinstance(path, pd.DataFrame):
        sheet, name = path.astype(str).copy(), source or default_name
    else:
        sheet, name = _read_table(path), source or str(path)
    problems = ProblemCollector(name)
    missing = [c for c in columns if c not in sheet.columns]
    if missing:
        problems.add(1, None, f"missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        problems.raise_if_any()
    return sheet, name, problems


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip()


def _earlier_value(first_seen: dict[str, str], key: str, value: str) -> str | None:
    """The value ``key`` had on an earlier row when it differs from ``value``, else ``None``.

    The first value of every key is recorded in ``first_seen``; later rows are compared with it.
    """
    earlier = first_seen.setdefault(key, value)
    return earlier if earlier != value else None


# ---------------------------------------------------------------------------------------------
# criteria sheets


def read_criteria_sheet(
    path: str | os.PathLike[str] | pd.DataFrame, *, key_version: str = "guide-2010-8", source: str | None = None
) -> pd.DataFrame:
    """Read and validate a criteria sheet (one row per criterion × coder).

    Columns: ``criterion_id, group, question, text, family, theme, coder`` (optional
    ``person``, ``polarity``). ``question`` is ``wellbeing``, ``illbeing``,
    ``contribution`` or 1, 2, 3. ``family`` must be a family of the coding key and
    ``theme`` one of that family's themes; a coder codes each criterion once; the
    text of a criterion is the same for every coder.

    Raises
    ------
    InputError
        Listing every problem as ``file:row:column: message`` (row 1 = header).
    """
    sheet, name, problems = _open_sheet(path, source, "<criteria sheet>", CRITERIA_COLUMNS)
    key = load_coding_key(key_version)
    families = set(key["family"])
    themes = dict(zip(key["theme"], key["family"]))
    seen: dict[tuple[str, str], int] = {}
    texts: dict[str, str] = {}
    questions = []
    for i, rec in enumerate(sheet.to_dict("records")):
        row = i + 2
        for col in CRITERIA_COLUMNS:
            if _blank(rec[col]) and col not in ("theme",):
                problems.add(row, col, "empty; expected a value")
        q = str(rec["question"]).strip().lower().replace("-", "").replace(" ", "")
        if q in {"1", "2", "3"}:
            q = QUESTIONS[int(q)]
        if q not in QUESTIONS.values():
            problems.add(
                row, "question", f"expected wellbeing, illbeing, contribution or 1-3, found {rec['question']!r}"
            )
        questions.append(q)
        fam, theme = str(rec["family"]).strip(), str(rec["theme"]).strip()
        if fam and fam not in families:
            problems.add(
                row, "family", f"{fam!r} is not a family of coding key {key_version} ({', '.join(sorted(families))})"
            )
        if theme:
            if theme not in themes:
                problems.add(row, "theme", f"{theme!r} is not a theme of coding key {key_version}")
            elif fam in families and themes[theme] != fam:
                problems.add(row, "theme", f"theme {theme!r} belongs to family {themes[theme]!r}, not {fam!r}")
        cid, coder = str(rec["criterion_id"]).strip(), str(rec["coder"]).strip()
        if cid and coder:
            if (cid, coder) in seen:
                problems.add(
                    row, "coder", f"coder {coder!r} already coded criterion {cid!r} (row {seen[(cid, coder)]})"
                )
            seen[(cid, coder)] = row
        text = str(rec["text"]).strip()
        if cid and text and _earlier_value(texts, cid, text) is not None:
            problems.add(row, "text", f"criterion {cid!r} has a different text on another row")
    problems.raise_if_any()
    out = sheet.copy()
    out["question"] = questions
    for col in ("criterion_id", "group", "family", "theme", "coder"):
        out[col] = out[col].astype(str).str.strip()
    out.attrs.update(key_version=key_version, source=name, illustrative="illustrative" in name.lower())
    return out


def criteria_reliability(sheet: pd.DataFrame, *, n_boot: int = 0, seed: int = 0) -> pd.DataFrame:
    """Inter-coder agreement on family and theme codes: Krippendorff's alpha (nominal).

    Uses :func:`localise.grid.reliability.krippendorff_alpha` (no second implementation).
    Returns one row per code level (``family``, ``theme``) with alpha, its bootstrap
    interval and counts.
    """
    from localise.grid.reliability import interpret_alpha, krippendorff_alpha

    rows = []
    for level in ("family", "theme"):
        data = sheet[["criterion_id", "coder", level]].replace({"": np.nan})
        res = krippendorff_alpha(
            data, unit="criterion_id", coder="coder", value=level, level="nominal", n_boot=n_boot, seed=seed
        )
        rows.append(
            {
                "code": level,
                "alpha": res.alpha,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "n_units": res.n_units,
                "n_coders": res.n_coders,
                "n_pairable_values": res.n_pairable_values,
                "interpretation": interpret_alpha(res.alpha),
            }
        )
    return pd.DataFrame(rows).set_index("code")


def criteria_profile(
    sheet: pd.DataFrame, *, coder: str | None = None, by: str = "group", key_version: str | None = None
) -> pd.DataFrame:
    """Share of criteria per family, by ``by`` (default homogeneous group) and overall.

    With several coders, the codes of ``coder`` are used (default: the first coder in
    the sheet). Every family of the key appears, also with zero criteria, and minority
    families are never merged away.
    """
    coder = coder or sheet["coder"].iloc[0]
    data = sheet[sheet["coder"] == coder]
    key = load_coding_key(key_version or sheet.attrs.get("key_version", "guide-2010-8"))
    families = list(dict.fromkeys(key["family"]))
    counts = pd.crosstab(data[by], data["family"]).reindex(columns=families, fill_value=0)
    counts.loc["all groups"] = counts.sum()
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares.columns.name = "family"
    shares.attrs.update(coder=coder, n_criteria=counts.sum(axis=1).to_dict())
    return shares


# ---------------------------------------------------------------------------------------------
# situation-scale assessments


def read_assessments(
    path: str | os.PathLike[str] | pd.DataFrame, *, key_version: str = "guide-2010-8", source: str | None = None
) -> pd.DataFrame:
    """Read and validate situation-scale assessments.

    Columns: ``round`` (integer), ``group``, ``indicator``, ``family`` (coding key),
    ``level`` (1-5; blank = not assessed), optional ``theme``, ``respondent``.
    Each indicator belongs to one family.
    """
    sheet, name, problems = _open_sheet(path, source, "<assessments>", ASSESSMENT_COLUMNS)
    families = set(load_coding_key(key_version)["family"])
    fam_of: dict[str, str] = {}
    levels, rounds = [], []
    for i, rec in enumerate(sheet.to_dict("records")):
        row = i + 2
        for col in ("group", "indicator", "family"):
            if _blank(rec[col]):
                problems.add(row, col, "empty; expected a value")
        try:
            rounds.append(int(str(rec["round"]).strip()))
        except ValueError:
            problems.add(row, "round", f"expected an integer round number, found {rec['round']!r}")
            rounds.append(-1)
        raw = str(rec["level"]).strip()
        if raw in ("", "nan", "NA"):
            levels.append(np.nan)
        else:
            try:
                value = float(raw)
            except ValueError:
                value = np.nan
            if value not in SITUATION_LEVELS:
                problems.add(
                    row, "level", f"expected a situation level 1-5 (1 very bad ... 5 ideal) or blank, found {raw!r}"
                )
            levels.append(value)
        fam, ind = str(rec["family"]).strip(), str(rec["indicator"]).strip()
        if fam and fam not in families:
            problems.add(row, "family", f"{fam!r} is not a family of coding key {key_version}")
        earlier = _earlier_value(fam_of, ind, fam) if ind and fam else None
        if earlier is not None:
            problems.add(row, "family", f"indicator {ind!r} is in family {earlier!r} on another row")
    problems.raise_if_any()
    out = sheet.copy()
    out["round"] = rounds
    out["level"] = pd.array(levels, dtype="Float64").astype(float)
    out.attrs.update(key_version=key_version, source=name, illustrative="illustrative" in name.lower())
    return out


@dataclass(repr=False)
class SituationIndicators(Results):
    """Synthetic indicators from situation-scale assessments (see :func:`situation_indicators`)."""

    table: pd.DataFrame
    by: list[str]
    level: str

    def to_frame(self) -> pd.DataFrame:
        """The indicators, one row per ``by`` × ``level``."""
        return self.table.copy()

    def scores(self, unit: str | None = None, *, round_: int | None = None) -> pd.DataFrame:
        """Wide table of 0-100 scores: rows = ``unit`` (default the first ``by`` column),
        columns = families/themes; ``round_`` keeps one assessment round (otherwise the
        scores of all rounds are averaged)."""
        unit = unit or self.by[0]
        table = self.table
        if round_ is not None:
            if "round" not in table.columns:
                raise InputError("SituationIndicators.scores: round_ given but the indicators are not by round")
            table = table[table["round"] == round_]
        return table.pivot_table(index=unit, columns=self.level, values="score", aggfunc="mean")

    def summary(self) -> str:
        """How the indicators are made, and the table."""
        return (
            f"SPIRAL situation-scale indicators by {', '.join(self.by)} and {self.level} "
            "(score = 100 (level - 1) / 4 [localise construction]; good/ideal = levels 4-5; "
            "ill-being = levels 1-2)\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.2f}")
        )


def situation_indicators(
    assessments: pd.DataFrame,
    *,
    by: list[str] | tuple[str, ...] = ("round", "group"),
    level: str = "family",
    include_territory: bool = True,
) -> SituationIndicators:
    """Per ``by`` × family (or ``theme``/``indicator``): distribution, shares and score.

    Columns: ``n`` (assessments), ``share_1`` ... ``share_5`` (distribution over the
    situation scale), ``share_good_ideal`` (levels 4-5), ``share_illbeing`` (levels 1-2),
    ``score`` (mean of indicator scores, each the mean of ``100 (level - 1) / 4``;
    equal weights). With ``include_territory`` a group ``"territory"`` pools all groups.
    """
    by = list(by)
    if level not in assessments.columns:
        raise InputError(f"situation_indicators: level {level!r} is not a column of the assessments")
    data = assessments.dropna(subset=["level"]).copy()
    if include_territory and "group" in by:
        data = pd.concat([data, data.assign(group="territory")], ignore_index=True)
    data["score_1"] = 100 * (data["level"] - 1) / 4
    keys = [*by, level]
    dist = pd.crosstab([data[k] for k in keys], data["level"].astype(int), normalize="index")
    dist = dist.reindex(columns=list(SITUATION_LEVELS), fill_value=0.0)
    dist.columns = [f"share_{c}" for c in dist.columns]
    n = data.groupby(keys).size().rename("n")
    # score: mean over indicators of the indicator means (equal indicator weights)
    ind_keys = keys if level == "indicator" else [*keys, "indicator"]
    per_ind = data.groupby(ind_keys)["score_1"].mean()
    score = (
        per_ind.groupby(level=list(range(len(keys)))).mean().rename("score")
        if level != "indicator"
        else per_ind.rename("score")
    )
    table = pd.concat([n, dist], axis=1).join(score)
    table["share_good_ideal"] = table["share_4"] + table["share_5"]
    table["share_illbeing"] = table["share_1"] + table["share_2"]
    table = table.reset_index()
    table.attrs.update(assessments.attrs)
    return SituationIndicators(table=table, by=by, level=level)


def progress(
    assessments: pd.DataFrame, *, round_from: int, round_to: int, by: str = "group", level: str = "family"
) -> pd.DataFrame:
    """Change between two assessment rounds of score, share good/ideal and share ill-being."""
    ind = situation_indicators(assessments, by=["round", by], level=level).table
    cols = ["score", "share_good_ideal", "share_illbeing"]
    a = ind[ind["round"] == round_from].set_index([by, level])[cols]
    b = ind[ind["round"] == round_to].set_index([by, level])[cols]
    if a.empty or b.empty:
        rounds = sorted(ind["round"].unique())
        raise InputError(f"progress: rounds {round_from} and {round_to} must both be assessed; found rounds {rounds}")
    out = a.add_suffix(f"_r{round_from}").join(b.add_suffix(f"_r{round_to}"), how="outer")
    for c in cols:
        out[f"change_{c}"] = out[f"{c}_r{round_to}"] - out[f"{c}_r{round_from}"]
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# co-responsibility actions


def read_actions(
    path: str | os.PathLike[str] | pd.DataFrame, *, key_version: str = "guide-2010-8", source: str | None = None
) -> pd.DataFrame:
    """Read co-responsibility actions: ``action_id, action, families`` (``;``-separated codes).

    Optional columns: ``groups`` (``;``-separated homogeneous groups involved; blank = all),
    ``start_round``, ``stakeholders``.
    """
    sheet, name, problems = _open_sheet(path, source, "<actions>", ACTION_COLUMNS)
    families = set(load_coding_key(key_version)["family"])
    ids = set()
    for i, rec in enumerate(sheet.to_dict("records")):
        row = i + 2
        if _blank(rec["action_id"]):
            problems.add(row, "action_id", "empty; expected an identifier")
        elif rec["action_id"] in ids:
            problems.add(row, "action_id", f"duplicate action_id {rec['action_id']!r}")
        ids.add(rec["action_id"])
        codes = [c.strip() for c in str(rec["families"]).split(";") if c.strip()]
        if not codes:
            problems.add(row, "families", "expected at least one family code, e.g. 'A;D'")
        for c in codes:
            if c not in families:
                problems.add(row, "families", f"{c!r} is not a family of coding key {key_version}")
    problems.raise_if_any()
    out = sheet.copy()
    out["families"] = out["families"].map(lambda s: [c.strip() for c in str(s).split(";") if c.strip()])
    if "groups" in out:
        out["groups"] = out["groups"].map(lambda s: [c.strip() for c in str(s).split(";") if c.strip()])
    out.attrs.update(source=name, illustrative="illustrative" in name.lower())
    return out


def monitor_actions(
    actions: pd.DataFrame, assessments: pd.DataFrame, *, round_from: int, round_to: int
) -> pd.DataFrame:
    """Indicator change over rounds for the families (and groups) each action addresses.

    One row per action × family with the change in score, share good/ideal and share
    ill-being between the two rounds, over the action's groups (all groups pooled when
    the action names none). This is monitoring, not causal attribution.
    """
    rows = []
    for act in actions.to_dict("records"):
        groups = act.get("groups") or []
        data = assessments[assessments["group"].isin(groups)] if groups else assessments
        data = data.assign(group="action groups")
        prog = progress(data, round_from=round_from, round_to=round_to, by="group", level="family")
        for fam in act["families"]:
            hit = prog[prog["family"] == fam]
            base = {
                "action_id": act["action_id"],
                "action": act["action"],
                "family": fam,
                "groups": ";".join(groups) if groups else "all",
            }
            if hit.empty:
                rows.append({**base, "note": "family not assessed in both rounds"})
                continue
            r = hit.iloc[0]
            rows.append(
                {**base, **{c: r[c] for c in prog.columns if c.startswith(("score", "share", "change"))}, "note": ""}
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# displays and CLI check


def plot_radar(scores: pd.DataFrame, *, title: str = "", ax: Any = None) -> Any:
    """Radar (spider) chart of 0-100 scores: rows = groups, columns = families."""
    import matplotlib.pyplot as plt

    cols = list(scores.columns)
    angles = np.linspace(0, 2 * np.pi, len(cols), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    if ax is None:
        fig = plt.figure(figsize=(6, 6))
        ax = fig.add_subplot(projection="polar")
    for name, row in scores.iterrows():
        values = row.to_numpy(dtype=float)
        ax.plot(closed, np.concatenate([values, values[:1]]), label=str(name), lw=2 if name == "territory" else 1)
    ax.set_xticks(angles, cols)
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(loc="upper right", bbox_to_anchor=(1.3, 1.1), fontsize=8)
    return ax.figure


def plot_distribution(
    indicators: SituationIndicators,
    *,
    group: str = "territory",
    round_: int | None = None,
    title: str = "",
    ax: Any = None,
) -> Any:
    """Stacked bars of the situation-scale distribution per family for one group."""
    import matplotlib.pyplot as plt

    t = indicators.table
    t = t[t["group"] == group] if "group" in t else t
    if round_ is not None and "round" in t:
        t = t[t["round"] == round_]
    shares = t.set_index(indicators.level)[[f"share_{k}" for k in SITUATION_LEVELS]]
    shares.columns = [f"{k} {v}" for k, v in SITUATION_LEVELS.items()]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    shares.plot.bar(
        stacked=True,
        ax=ax,
        color=["#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac"],
        edgecolor="grey",
        linewidth=0.3,
    )
    ax.set_ylabel("share of assessments")
    ax.set_title(title)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax.figure


def check_sheet(path: str | os.PathLike[str], *, key_version: str = "guide-2010-8") -> str:
    """Validate a SPIRAL sheet (criteria, assessments or actions, told apart by columns).

    Returns a short report; raises :class:`InputError` listing every problem.
    """
    sheet = _read_table(path)
    cols = set(sheet.columns)
    if {"criterion_id", "coder"} <= cols:
        data = read_criteria_sheet(path, key_version=key_version)
        lines = [
            f"{path}: criteria sheet OK ({data['criterion_id'].nunique()} criteria, "
            f"{data['coder'].nunique()} coder(s), {data['group'].nunique()} group(s), key {key_version})"
        ]
        if data["coder"].nunique() > 1:
            rel = criteria_reliability(data)
            for code, r in rel.iterrows():
                lines.append(f"  Krippendorff's alpha (nominal) on {code}: {r['alpha']:.3f} ({r['interpretation']})")
        return "\n".join(lines)
    if {"level", "round"} <= cols:
        data = read_assessments(path, key_version=key_version)
        return (
            f"{path}: assessments OK ({len(data)} rows, rounds {sorted(data['round'].unique())}, "
            f"{data['indicator'].nunique()} indicator(s), {data['group'].nunique()} group(s))"
        )
    if {"action_id", "families"} <= cols:
        data = read_actions(path, key_version=key_version)
        return f"{path}: actions OK ({len(data)} action(s))"
    raise InputError(
        f"{path}: not a SPIRAL sheet; expected criteria ({', '.join(CRITERIA_COLUMNS)}), "
        f"assessments ({', '.join(ASSESSMENT_COLUMNS)}) or actions ({', '.join(ACTION_COLUMNS)}) columns"
    )
