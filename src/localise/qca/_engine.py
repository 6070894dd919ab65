"""Array-based prime implicant search and exact prime-implicant-chart solver.

Hand-written (the issue rules out runtime dependencies on pyqca/setqca; sympy's SOPform
returns a single expression and pyeda's espresso is heuristic). Two exact searches:

* :func:`primes_from_allowed` - Quine-McCluskey merging of cubes whose every row is
  allowed (conservative and intermediate solutions: positives plus the listed
  counterfactuals), vectorised with numpy; works for multi-value conditions.
* :func:`primes_from_forbidden` - parsimonious solutions, where every remainder is a
  "don't care". A prime implicant through positive row p fixes a minimal set S of
  conditions (to p's values) such that no forbidden row agrees with p on all of S. For
  blocks of positives packed as bits, a table over all 2^k condition subsets is filled
  with the subsets on which some forbidden row agrees with p (a downward closure
  computed by a zeta transform), and minimal valid subsets are read off. Time and
  memory are O(k 2^k) per block of 64-256 positives, independent of the number of
  remainders.

The chart solver enumerates every minimum-cardinality cover (R's default) or every
irredundant cover (R's ``all.sol = TRUE``) by branching on the uncovered column with
the fewest candidate implicants; column dominance is applied (it never changes the set
of covers) and row dominance only on request (R's ``row.dom``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from localise.errors import InputError

FREE = -1
#: Largest number of conditions for the parsimonious search (2^k table).
MAX_PARSIMONIOUS_CONDITIONS = 24
#: Cap on the number of models enumerated.
MAX_MODELS = 10_000


def covers(cubes: np.ndarray, configs: np.ndarray) -> np.ndarray:
    """Boolean matrix (n_cubes, n_configs): cube contains configuration."""
    if cubes.size == 0 or configs.size == 0:
        return np.zeros((cubes.shape[0], configs.shape[0]), dtype=bool)
    out = np.empty((cubes.shape[0], configs.shape[0]), dtype=bool)
    step = max(1, int(4e6 // max(1, configs.size)))
    for s in range(0, cubes.shape[0], step):
        c = cubes[s : s + step, None, :]
        out[s : s + step] = np.all((c == FREE) | (c == configs[None, :, :]), axis=2)
    return out


def primes_from_allowed(allowed: np.ndarray, noflevels: Sequence[int]) -> np.ndarray:
    """All prime cubes of the set of allowed configurations (Quine-McCluskey merging)."""
    k = len(noflevels)
    cur = np.unique(np.asarray(allowed, dtype=np.int64).reshape(-1, k), axis=0)
    primes = []
    while cur.shape[0]:
        merged = np.zeros(cur.shape[0], dtype=bool)
        new = []
        for j in range(k):
            idx = np.flatnonzero(cur[:, j] != FREE)
            if idx.size < noflevels[j]:
                continue
            key = cur[idx].copy()
            key[:, j] = FREE
            ukeys, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
            full = counts == noflevels[j]
            if full.any():
                merged[idx[full[inverse.ravel()]]] = True
                new.append(ukeys[full])
        primes.append(cur[~merged])
        cur = np.unique(np.vstack(new), axis=0) if new else np.zeros((0, k), dtype=np.int64)
    return np.vstack(primes) if primes else np.zeros((0, k), dtype=np.int64)


def primes_from_forbidden(positives: np.ndarray, forbidden: np.ndarray, noflevels: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Prime implicants that contain no forbidden configuration and cover a positive one.

    Returns
    -------
    cubes : ndarray (n_pi, k)
        Prime implicants (``-1`` = condition eliminated).
    covered : list of ndarray
        For each prime implicant, the indices of the positive configurations it covers.
    """
    P = np.asarray(positives, dtype=np.int64)
    F = np.asarray(forbidden, dtype=np.int64)
    m, k = P.shape
    if k > MAX_PARSIMONIOUS_CONDITIONS:
        raise InputError(
            f"conditions: {k} conditions exceed the limit of {MAX_PARSIMONIOUS_CONDITIONS} for the "
            "parsimonious search (memory grows as 2^k); reduce the number of conditions"
        )
    if m == 0:
        return np.zeros((0, k), dtype=np.int64), []
    if F.shape[0] == 0:
        return np.full((1, k), FREE, dtype=np.int64), [np.arange(m)]
    size = 1 << k
    # words of 64 positives per block, bounded so that one table stays below ~64 MB
    words = max(1, min(math.ceil(m / 64), (64 << 20) // (size * 8)))
    block = 64 * words
    pow2 = (np.int64(1) << np.arange(k, dtype=np.int64))
    pair_S: list[np.ndarray] = []
    pair_p: list[np.ndarray] = []
    for start in range(0, m, block):
        Pb = P[start : start + block]
        b = Pb.shape[0]
        inv = np.zeros((size, words), dtype=np.uint64)
        fstep = max(1, int(8e6 // max(1, b * k)))
        for t0 in range(0, F.shape[0], fstep):
            Fc = F[t0 : t0 + fstep]
            agree = ((Pb[:, None, :] == Fc[None, :, :]) * pow2).sum(axis=2)  # (b, f) masks
            for w in range(words):
                rows = agree[w * 64 : (w + 1) * 64]
                if rows.size == 0:
                    continue
                bits = (np.uint64(1) << np.arange(rows.shape[0], dtype=np.uint64))
                # deduplicate (mask, bit) pairs before the unbuffered OR
                flat = rows.ravel()
                bit = np.repeat(bits, rows.shape[1])
                col = inv[:, w]
                order = np.lexsort((bit, flat))
                flat, bit = flat[order], bit[order]
                keep = np.ones(flat.size, dtype=bool)
                keep[1:] = (flat[1:] != flat[:-1]) | (bit[1:] != bit[:-1])
                np.bitwise_or.at(col, flat[keep], bit[keep])
                inv[:, w] = col
        # downward closure: S is invalid for p if S is a subset of some agreement set
        for j in range(k):
            v = inv.reshape(size >> (j + 1), 2, 1 << j, words)
            v[:, 0] |= v[:, 1]
        valid = ~inv
        del inv
        # mask padding bits of the last word
        last = b - 64 * (words - 1)
        if last < 64:
            valid[:, words - 1] &= np.uint64((1 << last) - 1) if last > 0 else np.uint64(0)
        for w in range(words):
            if b <= 64 * w:
                valid[:, w] = 0
        sub = np.zeros_like(valid)
        for j in range(k):
            vv = valid.reshape(size >> (j + 1), 2, 1 << j, words)
            sv = sub.reshape(size >> (j + 1), 2, 1 << j, words)
            sv[:, 1] |= vv[:, 0]
        minimal = valid & ~sub
        del valid, sub
        nz = np.flatnonzero(minimal.any(axis=1))
        if nz.size == 0:
            continue
        bitsu8 = np.unpackbits(minimal[nz].view(np.uint8), axis=1, bitorder="little")  # (r, 64*words)
        rr, pp = np.nonzero(bitsu8)
        pair_S.append(nz[rr].astype(np.int64))
        pair_p.append(pp.astype(np.int64) + start)
    if not pair_S:
        return np.zeros((0, k), dtype=np.int64), []
    S = np.concatenate(pair_S)
    p = np.concatenate(pair_p)
    fixed = ((S[:, None] >> np.arange(k)) & 1).astype(bool)
    cubes = np.where(fixed, P[p], FREE)
    ucubes, inverse = np.unique(cubes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    splits = np.split(p[order], np.cumsum(np.bincount(inverse, minlength=ucubes.shape[0]))[:-1])
    return ucubes, [np.unique(s) for s in splits]


def _bits(indices) -> int:
    out = 0
    for i in indices:
        out |= 1 << int(i)
    return out


def solve_chart(pi_cols: Sequence[int], n_cols: int, *, row_dom: bool = False, all_sol: bool = False, max_models: int = MAX_MODELS) -> list[tuple[int, ...]]:
    """All minimal covers of the prime implicant chart.

    Parameters
    ----------
    pi_cols
        For each prime implicant, the bitset (Python int) of the columns it covers.
    n_cols
        Number of columns (positive configurations).
    row_dom
        Drop implicants whose columns are a subset of another implicant's
        (for equal column sets the later one is dropped).
    all_sol
        Every irredundant cover instead of the minimum-cardinality ones.

    Returns
    -------
    list of tuple of int
        Covers as sorted tuples of implicant indices, sorted lexicographically.
    """
    full = (1 << n_cols) - 1
    if n_cols == 0:
        return [()]
    active = list(range(len(pi_cols)))
    if row_dom:
        keep = []
        for i in active:
            ci = pi_cols[i]
            dominated = False
            for j in active:
                if j == i:
                    continue
                cj = pi_cols[j]
                if ci | cj == cj and (ci != cj or j < i):
                    dominated = True
                    break
            if not dominated:
                keep.append(i)
        active = keep
    union = 0
    for i in active:
        union |= pi_cols[i]
    if union != full:
        raise InputError("prime implicant chart: some positive configurations cannot be covered")
    # candidates per column (bitset over implicant positions)
    col_pis = [0] * n_cols
    for i in active:
        c = pi_cols[i]
        while c:
            low = c & -c
            col_pis[low.bit_length() - 1] |= 1 << i
            c ^= low
    # column dominance: drop column b if some column a has candidates(a) subset of candidates(b)
    cols = sorted(range(n_cols), key=lambda c: (bin(col_pis[c]).count("1"), c))
    kept: list[int] = []
    for c in cols:
        if any(col_pis[a] | col_pis[c] == col_pis[c] for a in kept):
            continue
        kept.append(c)
    req = _bits(kept)
    results: list[tuple[int, ...]] = []

    def candidates(col: int, excluded: int) -> list[int]:
        cand = col_pis[col] & ~excluded
        out = []
        while cand:
            low = cand & -cand
            out.append(low.bit_length() - 1)
            cand ^= low
        return out

    def pick(uncovered: int, excluded: int) -> tuple[int, list[int]]:
        best, best_c = -1, None
        c = uncovered
        while c:
            low = c & -c
            col = low.bit_length() - 1
            c ^= low
            cand = candidates(col, excluded)
            if best_c is None or len(cand) < len(best_c):
                best, best_c = col, cand
                if len(cand) <= 1:
                    break
        return best, best_c or []

    def search(uncovered: int, chosen: list[int], excluded: int, budget: int | None) -> None:
        if len(results) > max_models:
            raise InputError(f"prime implicant chart: more than {max_models} models; restrict the search (e.g. row_dom=True)")
        if not uncovered:
            results.append(tuple(sorted(chosen)))
            return
        if budget is not None and budget <= 0:
            return
        col, cand = pick(uncovered, excluded)
        if not cand:
            return
        if budget == 1:
            for i in cand:
                if pi_cols[i] & uncovered == uncovered:
                    results.append(tuple(sorted(chosen + [i])))
            return
        ex = excluded
        for i in cand:
            search(uncovered & ~pi_cols[i], chosen + [i], ex, None if budget is None else budget - 1)
            ex |= 1 << i

    if all_sol:
        search(req, [], 0, None)
        found = []
        for cover in set(results):
            # irredundant with respect to all columns
            ok = True
            for i in cover:
                rest = 0
                for j in cover:
                    if j != i:
                        rest |= pi_cols[j]
                if rest & full == full:
                    ok = False
                    break
            if ok:
                found.append(cover)
        return sorted(found, key=lambda c: (len(c), c))
    for size in range(1, len(kept) + 1):
        search(req, [], 0, size)
        if results:
            break
    return sorted(set(results))
