"""Calibration of raw values into crisp or fuzzy set memberships.

The conventions follow R's ``QCA::calibrate()`` (Dusa 2019, ch. 4) where the shared
reference cases pin them (crisp thresholds, direct logistic with ``idm``, piecewise
linear with ``below``/``above``, TFR); see ``docs/methods.md`` §8.1.

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

__all__ = ["calibrate", "grid_codes_to_fuzzy", "parse_thresholds", "GRID_FUZZY_SCORES"]

#: Four-value fuzzy scores for the analytical grid's ordinal 0-3 codes (methods §1.4, §8.1).
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
        return [float(thresholds)]
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
        ``(F(x) - F(min)) / (1 - F(min))`` with F the empirical CDF).
    thresholds
        Crisp: one number or a list. Fuzzy direct: ``"e=.., c=.., i=.."`` (string or
        mapping) or three numbers in the order e, c, i; six anchors
        ``e1, c1, i1, i2, c2, e2`` give a bell shape (or its inverse when e1 > i1).
        ``i < c < e`` gives a decreasing set.
    logistic
        Logistic function; log-odds ``ln(idm / (1 - idm))`` at the e and i anchors.
    idm
        Membership at the inclusion anchor (R's default 0.95; Ragin's fs/QCA uses
        about 0.953, log-odds 3).
    ecdf
        With ``logistic=False``: use the empirical CDF of the values between the
        anchors instead of straight segments.
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
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        raise InputError("x: no finite values to calibrate")
    F = _ecdf(finite)
    fmin = F(np.array([finite.min()]))[0]
    if fmin >= 1:
        raise InputError("x: TFR calibration needs at least two distinct values")
    out = (F(values) - fmin) / (1 - fmin)
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


def _direct(values, thresholds, logistic, idm, ecdf, below, above) -> np.ndarray:
    anchors = _anchors(thresholds)
    if logistic and not 0.5 < idm < 1:
        raise InputError(f"idm: expected a number in (0.5, 1), got {idm}")
    if below <= 0 or above <= 0:
        raise InputError(f"below/above: expected positive exponents, got below={below}, above={above}")
    if len(anchors) == 3:
        e, c, i = anchors
        if not (e < c < i or i < c < e):
            raise InputError(
                f"thresholds: anchors must be ordered e < c < i (increasing) or i < c < e (decreasing), got e={e}, c={c}, i={i}"
            )
        return _s_shape(values, e, c, i, logistic, idm, ecdf, below, above)
    e1, c1, i1, i2, c2, e2 = anchors
    if not ((e1 < c1 < i1 <= i2 < c2 < e2) or (e1 > c1 > i1 >= i2 > c2 > e2)):
        raise InputError(
            "thresholds: six anchors must be ordered e1 < c1 < i1 <= i2 < c2 < e2 (bell) "
            f"or the reverse (inverted bell), got {anchors}"
        )
    if e1 < i1:  # bell shape: increasing then decreasing
        up = _s_shape(values, e1, c1, i1, logistic, idm, ecdf, below, above)
        down = _s_shape(values, e2, c2, i2, logistic, idm, ecdf, below, above)
        out = np.where(values <= i1, up, np.where(values >= i2, down, 1.0 if not logistic else np.maximum(up, down)))
        if logistic:
            # between the inclusion anchors membership stays at least idm
            mid = (values > i1) & (values < i2)
            out[mid] = np.maximum(out[mid], idm)
    else:  # inverted bell: decreasing then increasing
        down = _s_shape(values, e1, c1, i1, logistic, idm, ecdf, below, above)
        up = _s_shape(values, e2, c2, i2, logistic, idm, ecdf, below, above)
        out = np.where(values >= i1, down, np.where(values <= i2, up, np.minimum(down, up)))
    out[np.isnan(values)] = np.nan
    return out


def _s_shape(values, e, c, i, logistic, idm, ecdf, below, above) -> np.ndarray:
    x = values
    out = np.full(x.size, np.nan)
    ok = ~np.isnan(x)
    if logistic:
        L = math.log(idm / (1 - idm))
        # R: scale by the distance to the anchor on the same side of the crossover;
        # the signs make the same formula work for decreasing sets (i < c < e).
        scale = np.where(x[ok] >= c, (i - c), (c - e)) if e < i else np.where(x[ok] <= c, (i - c), (c - e))
        out[ok] = 1.0 / (1.0 + np.exp(-(x[ok] - c) * L / scale))
        return out
    increasing = e < i
    if ecdf:
        lo, hi = min(e, i), max(e, i)
        inside = x[ok & (x >= lo) & (x <= hi)]
        F = _ecdf(np.concatenate([inside, [e, c, i]]))
        val = F(x[ok])
        out[ok] = val if increasing else 1 - val
        out[ok & (x <= lo)] = 0.0 if increasing else 1.0
        out[ok & (x >= hi)] = 1.0 if increasing else 0.0
        return out
    xv = x[ok]
    res = np.empty(xv.size)
    if increasing:
        res[xv < e] = 0.0
        m = (xv >= e) & (xv < c)
        res[m] = ((e - xv[m]) / (e - c)) ** below / 2
        m = (xv >= c) & (xv < i)
        res[m] = 1 - ((i - xv[m]) / (i - c)) ** above / 2
        res[xv >= i] = 1.0
    else:
        res[xv > e] = 0.0
        m = (xv <= e) & (xv > c)
        res[m] = ((e - xv[m]) / (e - c)) ** below / 2
        m = (xv <= c) & (xv > i)
        res[m] = 1 - ((i - xv[m]) / (i - c)) ** above / 2
        res[xv <= i] = 1.0
    out[ok] = res
    return out


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
