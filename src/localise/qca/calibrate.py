"""Calibration of raw values into crisp or fuzzy set memberships.

The conventions follow R's ``QCA::calibrate()`` (Dusa 2019, ch. 4): crisp thresholds,
direct logistic with ``idm``, piecewise with ``below``/``above`` or the empirical CDF,
six-anchor bells and TFR; see ``docs/methods/qca_r_agreement.md``.

Hand-written because no maintained Python library implements R's conventions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.warnings import CrossoverMembershipWarning

__all__ = ["calibrate", "grid_codes_to_fuzzy", "parse_thresholds", "GRID_FUZZY_SCORES"]

#: Four-value fuzzy scores for the analytical grid's ordinal 0-3 codes
#: (docs/methods/qca.md, "Grid codes as fuzzy sets").
GRID_FUZZY_SCORES: dict[int, float] = {0: 0.0, 1: 0.33, 2: 0.67, 3: 1.0}


def parse_thresholds(thresholds: Any) -> dict[str, float] | list[float]:
    """Parse R-style thresholds: ``"e=350, c=550, i=900"``, a mapping, or numbers."""
    if isinstance(thresholds, str):
        parts = [p.strip() for p in thresholds.split(",") if p.strip()]
        if all("=" in p for p in parts):
            out: dict[str, float] = {}
            for part in parts:
                key, value = (s.strip() for s in part.split("=", 1))
                try:
                    out[key] = float(value)
                except ValueError:
                    raise InputError(f"thresholds: {part!r} is not name=number") from None
            return out
        try:
            return [float(p) for p in parts]
        except ValueError:
            raise InputError(f"thresholds: cannot read {thresholds!r}") from None
    if isinstance(thresholds, Mapping):
        return {str(k): float(v) for k, v in thresholds.items()}
    if np.isscalar(thresholds):
        return [float(thresholds)]  # type: ignore[arg-type]  # np.isscalar: a number here
    return [float(t) for t in thresholds]


def _as_array(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise InputError(f"x: expected a one-dimensional sequence of numbers, got shape {arr.shape}")
    return arr


def _ecdf(sample: np.ndarray):
    srt = np.sort(sample[~np.isnan(sample)])

    def f(v: np.ndarray) -> np.ndarray:
        return np.searchsorted(srt, v, side="right") / srt.size

    return f


def calibrate(
    x: Sequence[float] | np.ndarray | pd.Series,
    *,
    type: str = "fuzzy",  # noqa: A002 - R's argument name
    method: str = "direct",
    thresholds: Any = None,
    logistic: bool = True,
    idm: float = 0.95,
    ecdf: bool = False,
    below: float = 1.0,
    above: float = 1.0,
    warn_half: bool = True,
) -> np.ndarray | pd.Series:
    """Calibrate raw values into set memberships (R ``QCA::calibrate`` conventions).

    Parameters
    ----------
    x
        Raw values (NaN kept as NaN).
    type
        ``"crisp"``: thresholds cut the range into 0, 1, 2, ... with ``x >= threshold``
        giving the higher category. ``"fuzzy"``: memberships in [0, 1].
    method
        ``"direct"`` (anchors) or ``"TFR"`` (totally fuzzy and relative,
        ``max(0, (F(x) - F(1)) / (1 - F(1)))`` with F the empirical CDF of x, as R
        computes it for a categorical scale 1..k).
    thresholds
        Crisp: one number or a list. Fuzzy direct: ``"e=.., c=.., i=.."`` (string or
        mapping) or three numbers in the order e, c, i; six anchors
        ``e1, c1, i1, i2, c2, e2`` give a piecewise bell shape (e1 < c1 < i1 <= i2 <
        c2 < e2) or an inverted bell (i1 < c1 < e1 <= e2 < c2 < i2); as in R,
        ``logistic`` and ``ecdf`` play no role there. ``i < c < e`` gives a decreasing set.
    logistic
        Logistic function; log-odds ``ln(idm / (1 - idm))`` at the e and i anchors.
        As in R, direct memberships below 0.0001 become 0 and above 0.9999 become 1.
    idm
        Membership at the inclusion anchor (R's default 0.95; Ragin's fs/QCA uses
        about 0.953, log-odds 3).
    ecdf
        With ``logistic=False`` and three anchors: R's empirical-CDF variant, with F
        the empirical CDF of the values between the lowest and the highest anchor:
        ``F(x) / F(c) / 2`` below the crossover and ``1 - (1 - F(x)) / (1 - F(c)) / 2``
        above it (mirrored for a decreasing set).
    below, above
        With ``logistic=False``: exponents bending the segment below and above the
        crossover (1 = linear).
    warn_half
        Warn when a membership is exactly 0.5 (such a case belongs to no truth-table row).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Same type as ``x`` (a Series keeps its index and name).
    """
    index = x.index if isinstance(x, pd.Series) else None
    name = x.name if isinstance(x, pd.Series) else None
    values = _as_array(x)
    if type == "crisp":
        result = _crisp(values, thresholds)
    elif type == "fuzzy":
        if method == "TFR":
            result = _tfr(values)
        elif method == "direct":
            result = _direct(values, thresholds, logistic, idm, ecdf, below, above)
        else:
            raise InputError(f"method: expected 'direct' or 'TFR', got {method!r}")
        if warn_half and np.any(np.isclose(result, 0.5, atol=1e-12, rtol=0)):
            warnings.warn(
                "calibrate: some memberships are exactly 0.5; such cases fall in no truth-table row. "
                "Decide explicitly (e.g. move the crossover) before the analysis.",
                CrossoverMembershipWarning,
                stacklevel=2,
            )
    else:
        raise InputError(f"type: expected 'crisp' or 'fuzzy', got {type!r}")
    if index is not None:
        return pd.Series(result, index=index, name=name)
    return result


def _crisp(values: np.ndarray, thresholds: Any) -> np.ndarray:
    if thresholds is None:
        raise InputError("thresholds: crisp calibration needs at least one threshold")
    th = parse_thresholds(thresholds)
    if isinstance(th, dict):
        th = list(th.values())
    th = sorted(th)
    out = np.zeros(values.size, dtype=float)
    for t in th:
        out += values >= t
    out[np.isnan(values)] = np.nan
    return out


def _tfr(values: np.ndarray) -> np.ndarray:
    """R's TFR: ``max(0, (F(x) - F(1)) / (1 - F(1)))`` with F the empirical CDF of x
    (R assumes a categorical scale that starts at 1)."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        raise InputError("x: no finite values to calibrate")
    F = _ecdf(finite)
    f1 = F(np.array([1.0]))[0]
    if f1 >= 1:
        raise InputError("x: TFR calibration needs values above 1 (a categorical scale 1..k)")
    out = np.maximum(0.0, (F(values) - f1) / (1 - f1))
    out[np.isnan(values)] = np.nan
    return out


def _anchors(thresholds: Any) -> list[float]:
    if thresholds is None:
        raise InputError("thresholds: fuzzy direct calibration needs anchors e, c, i")
    th = parse_thresholds(thresholds)
    if isinstance(th, dict):
        keys3 = ("e", "c", "i")
        keys6 = ("e1", "c1", "i1", "i2", "c2", "e2")
        if set(th) == set(keys3):
            return [th[k] for k in keys3]
        if set(th) == set(keys6):
            return [th[k] for k in keys6]
        raise InputError(f"thresholds: expected names e, c, i (or e1, c1, i1, i2, c2, e2), got {sorted(th)}")
    if len(th) not in (3, 6):
        raise InputError(f"thresholds: expected 3 or 6 anchors, got {len(th)}")
    return list(th)


#: R's ``all.equal`` tolerance, used when a value is compared with an anchor.
_ANCHOR_TOLERANCE = 1.5e-8
#: R sets memberships below this to 0 and above 1 minus this to 1.
_CLAMP = 1e-4


def _at_most(x: np.ndarray, anchor: float) -> np.ndarray:
    """``x < anchor`` or equal to it within R's ``all.equal`` tolerance (relative to x)."""
    scale = np.where(np.abs(x) > _ANCHOR_TOLERANCE, np.abs(x), 1.0)
    return (x < anchor) | (np.abs(x - anchor) <= _ANCHOR_TOLERANCE * scale)


def _direct(values, thresholds, logistic, idm, ecdf, below, above) -> np.ndarray:
    """R's direct method: logistic or piecewise with three anchors, piecewise bell with six."""
    anchors = _anchors(thresholds)
    if not 0.5 < idm < 1:
        raise InputError(f"idm: expected a number in (0.5, 1), got {idm}")
    if below <= 0 or above <= 0:
        raise InputError(f"below/above: expected positive exponents, got below={below}, above={above}")
    out = np.full(values.size, np.nan)
    ok = ~np.isnan(values)
    x = values[ok]
    if len(anchors) == 3:
        e, c, i = anchors
        if not (e < c < i or i < c < e):
            raise InputError(
                f"thresholds: anchors must be ordered e < c < i (increasing) or i < c < e (decreasing), "
                f"got e={e}, c={c}, i={i}"
            )
        if logistic:
            res = _logistic(x, e, c, i, idm)
        else:
            res = _piecewise(x, e, c, i, below, above, _anchor_ecdf(x, anchors) if ecdf else None)
    else:
        # R ignores ``logistic`` and ``ecdf`` with six anchors: the bell is piecewise
        res = _bell(x, anchors, below, above)
    res[res < _CLAMP] = 0.0
    res[res > 1 - _CLAMP] = 1.0
    out[ok] = res
    return out


def _logistic(x: np.ndarray, e: float, c: float, i: float, idm: float) -> np.ndarray:
    """Log-odds ``ln(idm / (1 - idm))`` at the e and i anchors, linear on each side of c."""
    L = math.log(idm / (1 - idm))
    lo, hi = min(e, i), max(e, i)
    scale = np.where(x >= c, hi - c, c - lo)
    up = 1.0 / (1.0 + np.exp(-(x - c) * L / scale))
    return up if e < i else 1.0 - up


def _anchor_ecdf(x: np.ndarray, anchors: Sequence[float]):
    """Empirical CDF of the values between the lowest and the highest anchor (R's rule)."""
    inside = x[(x >= min(anchors)) & (x <= max(anchors))]
    if inside.size == 0:
        raise InputError(f"x: no value lies between the anchors {list(anchors)}; ecdf calibration needs some")
    return _ecdf(inside)


def _piecewise(x, e, c, i, below, above, F) -> np.ndarray:
    """R's piecewise function; with F (an empirical CDF) its ``ecdf = TRUE`` variant."""
    res = np.empty(x.size)
    fc = F(np.array([c]))[0] if F is not None else np.nan  # used only with F
    if e < i:  # increasing
        low, mid, high = _at_most(x, e), _at_most(x, c), _at_most(x, i)
        res[:] = 1.0
        m = high & ~mid
        res[m] = 1 - ((1 - F(x[m])) / (1 - fc)) / 2 if F is not None else 1 - ((i - x[m]) / (i - c)) ** above / 2
        m = mid & ~low
        res[m] = (F(x[m]) / fc) / 2 if F is not None else ((e - x[m]) / (e - c)) ** below / 2
        res[low] = 0.0
    else:  # decreasing: i < c < e
        low, mid, high = _at_most(x, i), _at_most(x, c), _at_most(x, e)
        res[:] = 0.0
        m = high & ~mid
        res[m] = ((1 - F(x[m])) / (1 - fc)) / 2 if F is not None else ((e - x[m]) / (e - c)) ** below / 2
        m = mid & ~low
        res[m] = 1 - (F(x[m]) / fc) / 2 if F is not None else 1 - ((i - x[m]) / (i - c)) ** above / 2
        res[low] = 1.0
    return res


def _bell(x: np.ndarray, anchors: Sequence[float], below: float, above: float) -> np.ndarray:
    """Six anchors: a bell (e1 < c1 < i1 <= i2 < c2 < e2) or an inverted bell
    (i1 < c1 < e1 <= e2 < c2 < i2), piecewise as in R."""
    e1, c1, i1, i2, c2, e2 = anchors
    bell = e1 < c1 < i1 <= i2 < c2 < e2
    if not (bell or i1 < c1 < e1 <= e2 < c2 < i2):
        raise InputError(
            "thresholds: six anchors must be ordered e1 < c1 < i1 <= i2 < c2 < e2 (bell) "
            f"or i1 < c1 < e1 <= e2 < c2 < i2 (inverted bell), got {list(anchors)}"
        )

    def rising(v, e, c):  # lower half of the S: 0 at e, 0.5 at c
        return ((e - v) / (e - c)) ** below / 2

    def upper(v, i, c):  # upper half: 0.5 at c, 1 at i
        return 1 - ((i - v) / (i - c)) ** above / 2

    res = np.empty(x.size)
    if bell:
        steps = [
            (_at_most(x, e1), lambda v: 0.0 * v),
            (_at_most(x, c1), lambda v: rising(v, e1, c1)),
            (x < i1, lambda v: upper(v, i1, c1)),
            (_at_most(x, i2), lambda v: 1.0 + 0.0 * v),
            (_at_most(x, c2), lambda v: upper(v, i2, c2)),
            (_at_most(x, e2), lambda v: rising(v, e2, c2)),
        ]
        res[:] = 0.0
    else:
        steps = [
            (_at_most(x, i1), lambda v: 1.0 + 0.0 * v),
            (_at_most(x, c1), lambda v: upper(v, i1, c1)),
            (x < e1, lambda v: rising(v, e1, c1)),
            (_at_most(x, e2), lambda v: 0.0 * v),
            (_at_most(x, c2), lambda v: rising(v, e2, c2)),
            (_at_most(x, i2), lambda v: upper(v, i2, c2)),
        ]
        res[:] = 1.0
    done = np.zeros(x.size, dtype=bool)
    for mask, value in steps:  # the first matching step wins, as in R's if-else chain
        m = mask & ~done
        res[m] = value(x[m])
        done |= m
    return res


def grid_codes_to_fuzzy(codes: Any, *, scores: Mapping[int, float] | None = None) -> np.ndarray | pd.Series:
    """Map the grid's ordinal 0-3 codes to a four-value fuzzy set (0, 0.33, 0.67, 1).

    NaN (not assessable) stays NaN; any other code is an :class:`InputError`.
    """
    table = dict(GRID_FUZZY_SCORES if scores is None else scores)
    series = pd.Series(codes) if not isinstance(codes, pd.Series) else codes
    bad = series.dropna()[~series.dropna().isin(list(table))]
    if len(bad):
        raise InputError(f"codes: expected grid codes {sorted(table)}, got {sorted(set(bad.tolist()))[:5]}")
    mapped = series.map(lambda v: np.nan if pd.isna(v) else table[int(v)]).astype(float)
    return mapped if isinstance(codes, pd.Series) else mapped.to_numpy()
