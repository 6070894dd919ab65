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
    rows = np.asarray(allowed, dtype=np.int64).reshape(-1, k)
    base = np.asarray(noflevels, dtype=np.int64) + 1
    if float(np.prod(base.astype(float))) >= 2.0**62:
        return _primes_from_allowed_rows(rows, noflevels)
    # a cube as one integer: digit value + 1 per condition (0 = eliminated)
    weights = np.ones(k, dtype=np.int64)
    for j in range(k - 2, -1, -1):
        weights[j] = weights[j + 1] * base[j + 1]
    cur = np.unique((rows + 1) @ weights)
    primes = []
    while cur.size:
        merged = np.zeros(cur.size, dtype=bool)
        new = []
        for j in range(k):
            digit = (cur // weights[j]) % base[j]
            idx = np.flatnonzero(digit)
            if idx.size < noflevels[j]:
                continue
            reduced = cur[idx] - digit[idx] * weights[j]
            ukeys, inverse, counts = np.unique(reduced, return_inverse=True, return_counts=True)
            full = counts == noflevels[j]
            if full.any():
                merged[idx[full[inverse]]] = True
                new.append(ukeys[full])
        primes.append(cur[~merged])
        cur = np.unique(np.concatenate(new)) if new else np.zeros(0, dtype=np.int64)
    keys = np.concatenate(primes) if primes else np.zeros(0, dtype=np.int64)
    return (keys[:, None] // weights[None, :]) % base[None, :] - 1


def _primes_from_allowed_rows(cur: np.ndarray, noflevels: Sequence[int]) -> np.ndarray:
    """:func:`primes_from_allowed` on rows, for tables too large for integer keys."""
    k = len(noflevels)
    cur = np.unique(cur, axis=0)
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


def primes_from_forbidden(
    positives: np.ndarray, forbidden: np.ndarray, noflevels: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prime implicants that contain no forbidden configuration and cover a positive one.

    Returns
    -------
    cubes : ndarray (n_pi, k)
        Prime implicants (``-1`` = condition eliminated).
    indptr, indices : ndarray
        Coverage in compressed sparse row form: implicant i covers the positive
        configurations ``indices[indptr[i]:indptr[i + 1]]``.
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
        return np.zeros((0, k), dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if F.shape[0] == 0:
        return np.full((1, k), FREE, dtype=np.int64), np.array([0, m], dtype=np.int64), np.arange(m, dtype=np.int64)
    size = 1 << k
    # words of 64 positives per block, bounded so that one table stays below ~64 MB
    words = max(1, min(math.ceil(m / 64), (64 << 20) // (size * 8)))
    block = 64 * words
    subset_ids: list[np.ndarray] = []
    positive_ids: list[np.ndarray] = []
    for start in range(0, m, block):
        minimal = _minimal_fixed_sets(P[start : start + block], F, words)
        nz = np.flatnonzero(minimal.any(axis=1))
        if nz.size == 0:
            continue
        bitsu8 = np.unpackbits(minimal[nz].view(np.uint8), axis=1, bitorder="little")  # (r, 64*words)
        rr, pp = np.nonzero(bitsu8)
        subset_ids.append(nz[rr].astype(np.int64))
        positive_ids.append(pp.astype(np.int64) + start)
    if not subset_ids:
        return np.zeros((0, k), dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _implicants_from_pairs(np.concatenate(subset_ids), np.concatenate(positive_ids), P, noflevels)


def _minimal_fixed_sets(Pb: np.ndarray, F: np.ndarray, words: int) -> np.ndarray:
    """For a block of positives: table (2^k subsets x words) with bit p set where subset S is minimal for p.

    S (bit j = condition j fixed) is valid for positive p when no forbidden row agrees with p
    on all of S, and minimal when no S minus one condition is valid.
    """
    b, k = Pb.shape
    size = 1 << k
    pow2 = np.int64(1) << np.arange(k, dtype=np.int64)
    inv = np.zeros((size, words), dtype=np.uint64)
    fstep = max(1, int(8e6 // max(1, b * k)))
    for t0 in range(0, F.shape[0], fstep):
        Fc = F[t0 : t0 + fstep]
        agree = ((Pb[:, None, :] == Fc[None, :, :]) * pow2).sum(axis=2)  # (b, f) masks
        for w in range(words):
            _mark_agreements(inv[:, w], agree[w * 64 : (w + 1) * 64])
    # downward closure: S is invalid for p if S is a subset of some agreement set
    for j in range(k):
        v = inv.reshape(size >> (j + 1), 2, 1 << j, words)
        v[:, 0] |= v[:, 1]
    valid = ~inv
    del inv
    # mask padding bits of the last word
    for w in range(words):
        nbits = min(max(b - 64 * w, 0), 64)
        if nbits < 64:
            valid[:, w] &= np.uint64((1 << nbits) - 1)
    sub = np.zeros_like(valid)
    for j in range(k):
        vv = valid.reshape(size >> (j + 1), 2, 1 << j, words)
        sv = sub.reshape(size >> (j + 1), 2, 1 << j, words)
        sv[:, 1] |= vv[:, 0]
    return valid & ~sub


def _mark_agreements(column: np.ndarray, rows: np.ndarray) -> None:
    """Set bit p of ``column[mask]`` for every agreement mask of positive p (row p of ``rows``), in place."""
    if rows.size == 0:
        return
    bits = np.uint64(1) << np.arange(rows.shape[0], dtype=np.uint64)
    # deduplicate (mask, bit) pairs before the unbuffered OR
    flat = rows.ravel()
    bit = np.repeat(bits, rows.shape[1])
    order = np.lexsort((bit, flat))
    flat, bit = flat[order], bit[order]
    keep = np.ones(flat.size, dtype=bool)
    keep[1:] = (flat[1:] != flat[:-1]) | (bit[1:] != bit[:-1])
    np.bitwise_or.at(column, flat[keep], bit[keep])


def _implicants_from_pairs(
    S: np.ndarray, p: np.ndarray, P: np.ndarray, noflevels: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct cubes of the (fixed set S, positive p) pairs, with the positives each covers (CSR)."""
    k = P.shape[1]
    levels = np.asarray(noflevels, dtype=np.int64)
    base = levels + 1
    if float(np.prod(base.astype(float))) < 2.0**62:
        weights = np.ones(k, dtype=np.int64)
        for j in range(1, k):
            weights[j] = weights[j - 1] * base[j - 1]
        key = np.zeros(S.size, dtype=np.int64)
        for j in range(k):
            fixed_j = ((S >> j) & 1).astype(bool)
            key += np.where(fixed_j, P[p, j], levels[j]) * weights[j]
        order = np.lexsort((p, key))
        key, p = key[order], p[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ukey = key[starts]
        digits = (ukey[:, None] // weights[None, :]) % base[None, :]
        cubes = np.where(digits == levels[None, :], FREE, digits)
    else:  # very many levels: group rows directly
        fixed = ((S[:, None] >> np.arange(k)) & 1).astype(bool)
        rows = np.where(fixed, P[p], FREE)
        cubes, inverse = np.unique(rows, axis=0, return_inverse=True)
        order = np.lexsort((p, inverse.ravel()))
        inv_sorted, p = inverse.ravel()[order], p[order]
        starts = np.flatnonzero(np.r_[True, inv_sorted[1:] != inv_sorted[:-1]])
    indptr = np.r_[starts, p.size].astype(np.int64)
    return cubes.astype(np.int64), indptr, p


def r_order(cubes: np.ndarray) -> np.ndarray:
    """Permutation sorting implicants as R does: by complexity, then literal by literal
    in condition order (``~X``/lower value first)."""
    n, k = cubes.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    fixed = cubes != FREE
    complexity = fixed.sum(axis=1)
    pos = np.argsort(~fixed, axis=1, kind="stable")  # fixed positions first, ascending
    vals = np.take_along_axis(cubes, pos, axis=1)
    m = int(cubes.max()) + 2
    big = k * m + m
    t = np.arange(k)[None, :]
    Q = np.where(t < complexity[:, None], pos * m + vals, big)
    keys = [Q[:, c] for c in range(k - 1, -1, -1)] + [complexity]
    return np.lexsort(keys)


def coverage_classes(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Group implicants with identical coverage (exact: hashes propose groups, the
    coverage sets are then compared element by element).

    Returns (class id per implicant, members of each class in implicant order); classes
    are numbered in the order of their first member.
    """
    n = indptr.size - 1
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    lengths = np.diff(indptr)
    rng = np.random.default_rng(12345)
    maxc = int(indices.max()) + 1 if indices.size else 1
    nonempty = lengths > 0
    sigs = []
    for _ in range(2):
        h = rng.integers(1, 2**62, size=maxc, dtype=np.int64)
        acc = np.zeros(n, dtype=np.int64)
        if indices.size:
            with np.errstate(over="ignore"):
                acc[nonempty] = np.add.reduceat(h[indices], indptr[:-1][nonempty])
        sigs.append(acc)
    order = np.lexsort((np.arange(n), sigs[1], sigs[0], lengths))
    l_s, a_s, b_s = lengths[order], sigs[0][order], sigs[1][order]
    new_group = np.r_[True, (l_s[1:] != l_s[:-1]) | (a_s[1:] != a_s[:-1]) | (b_s[1:] != b_s[:-1])]
    group = np.cumsum(new_group) - 1
    first = order[np.flatnonzero(new_group)][group]  # first member (in sort order) of each one's group
    # verify: coverage of each implicant equals that of its group's first member
    rep_len = lengths[order]
    offs = np.repeat(indptr[order], rep_len)
    offs_first = np.repeat(indptr[first], rep_len)
    t = np.arange(rep_len.sum()) - np.repeat(np.r_[0, np.cumsum(rep_len)[:-1]], rep_len)
    if not np.array_equal(indices[offs + t], indices[offs_first + t]):  # pragma: no cover - hash collision
        keyed: dict[tuple, list[int]] = {}
        for i in range(n):
            keyed.setdefault(tuple(indices[indptr[i] : indptr[i + 1]].tolist()), []).append(i)
        groups = sorted(keyed.values(), key=lambda g: g[0])
    else:
        # renumber groups by their smallest member; members sorted within groups
        gmin = np.full(int(group.max()) + 1, n, dtype=np.int64)
        np.minimum.at(gmin, group, order)
        rank = np.empty_like(gmin)
        rank[np.argsort(gmin, kind="stable")] = np.arange(gmin.size)
        cls = np.empty(n, dtype=np.int64)
        cls[order] = rank[group]
        srt = np.lexsort((np.arange(n), cls))
        bounds = np.flatnonzero(np.r_[True, cls[srt][1:] != cls[srt][:-1]])
        return cls, np.split(srt, bounds[1:])
    cls = np.empty(n, dtype=np.int64)
    members = []
    for c, g in enumerate(groups):
        arr = np.sort(np.asarray(g, dtype=np.int64))
        cls[arr] = c
        members.append(arr)
    return cls, members


def strictly_dominated(indptr: np.ndarray, indices: np.ndarray, n_cols: int) -> np.ndarray:
    """Implicants whose columns form a proper subset of another implicant's columns.

    R's ``row.dom``: such implicants leave the chart; implicants of equal coverage
    do not dominate each other.
    """
    n_pi = indptr.size - 1
    out = np.zeros(n_pi, dtype=bool)
    if n_pi < 2:
        return out
    from scipy import sparse

    lengths = np.diff(indptr)
    C = sparse.csr_matrix((np.ones(indices.size, dtype=np.int32), indices, indptr), shape=(n_pi, n_cols))
    overlap = (C @ C.T).tocoo()
    sub = (overlap.data == lengths[overlap.row]) & (lengths[overlap.col] > lengths[overlap.row])
    out[np.unique(overlap.row[sub])] = True
    return out


def solve_chart(
    indptr: np.ndarray,
    indices: np.ndarray,
    n_cols: int,
    *,
    row_dom: bool = False,
    all_sol: bool = False,
    max_models: int = MAX_MODELS,
) -> list[tuple[int, ...]]:
    """All minimal covers of a prime implicant chart given in compressed sparse rows.

    Parameters
    ----------
    indptr, indices
        Implicant i covers columns ``indices[indptr[i]:indptr[i + 1]]``; implicants
        should have distinct coverage (see :func:`coverage_classes`).
    n_cols
        Number of columns (positive configurations).
    row_dom
        Drop implicants whose columns are a proper subset of another implicant's.
    all_sol
        Every irredundant cover instead of the minimum-cardinality ones.

    Returns
    -------
    list of tuple of int
        Covers as sorted tuples of implicant indices.

    Notes
    -----
    Depth-first branching on the uncovered column with the fewest candidates; in
    branch j the candidates tried before j are excluded, so every cover is produced
    once. Minimum covers are searched with increasing size (iterative deepening)
    and pruned by the bound ``budget * max(uncovered columns per implicant)``.
    Each node costs O(nnz) numpy work, independent of Python-level loops over
    implicants.
    """
    n_pi = indptr.size - 1
    if n_cols == 0:
        return [()]
    active = np.ones(n_pi, dtype=bool)
    if row_dom:
        active &= ~strictly_dominated(indptr, indices, n_cols)
    search = _CoverSearch(indptr, indices, n_cols, max_models)
    covered_any = np.zeros(n_cols, dtype=bool)
    covered_any[indices[active[search.owner]]] = True
    if not covered_any.all():
        raise InputError("prime implicant chart: some positive configurations cannot be covered")
    start_unc = np.ones(n_cols, dtype=bool)
    if all_sol:
        search.search(start_unc, [], active.copy(), None)
        found = [cover for cover in set(search.results) if _irredundant(cover, indptr, indices, n_cols)]
        return sorted(found, key=lambda c: (len(c), c))
    for size in range(1, n_cols + 1):
        search.search(start_unc, [], active.copy(), size)
        if search.results:
            break
    return sorted(set(search.results))


def _irredundant(cover: tuple[int, ...], indptr: np.ndarray, indices: np.ndarray, n_cols: int) -> bool:
    """Every implicant of the cover covers some column alone."""
    count = np.zeros(n_cols, dtype=np.int64)
    for i in cover:
        count[indices[indptr[i] : indptr[i + 1]]] += 1
    return all(np.any(count[indices[indptr[i] : indptr[i + 1]]] == 1) for i in cover)


class _CoverSearch:
    """Depth-first search of the covers of a chart (see :func:`solve_chart`); covers go to ``results``."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, n_cols: int, max_models: int) -> None:
        self.indptr, self.indices, self.n_cols, self.max_models = indptr, indices, n_cols, max_models
        self.n_pi = indptr.size - 1
        self.lengths = np.diff(indptr)
        self.owner = np.repeat(np.arange(self.n_pi), self.lengths)
        # column -> implicants (CSC)
        self.col_owner = self.owner[np.argsort(indices, kind="stable")]
        self.col_size = np.bincount(indices, minlength=n_cols)
        self.col_ptr = np.r_[0, np.cumsum(self.col_size)]
        self.starts = indptr[:-1]
        self.nonempty = self.lengths > 0
        self.results: list[tuple[int, ...]] = []

    def per_pi_counts(self, uncovered: np.ndarray) -> np.ndarray:
        """Uncovered columns of each implicant."""
        vals = uncovered[self.indices].astype(np.int64)
        out = np.zeros(self.n_pi, dtype=np.int64)
        if vals.size:
            out[self.nonempty] = np.add.reduceat(vals, self.starts[self.nonempty])
        return out

    def search(self, uncovered: np.ndarray, chosen: list[int], allowed: np.ndarray, budget: int | None) -> None:
        """Covers of the ``uncovered`` columns by ``allowed`` implicants, at most ``budget`` more of them."""
        if len(self.results) > self.max_models:
            raise InputError(
                f"prime implicant chart: more than {self.max_models} models; restrict the search (e.g. row_dom=True)"
            )
        n_unc = int(uncovered.sum())
        if n_unc == 0:
            self.results.append(tuple(sorted(chosen)))
            return
        if budget is not None and budget <= 0:
            return
        if budget == 1:
            self.last_implicant(uncovered, chosen, allowed, n_unc)
            return
        counts = self.per_pi_counts(uncovered)
        counts[~allowed] = 0
        if budget is not None and counts.max() * budget < n_unc:
            return
        # column with the fewest allowed candidates
        useful = allowed[self.owner] & uncovered[self.indices]
        col_counts = np.bincount(self.indices[useful], minlength=self.n_cols)
        unc_cols = np.flatnonzero(uncovered)
        cc = col_counts[unc_cols]
        if cc.min() == 0:
            return
        col = int(unc_cols[np.argmin(cc)])
        cand = self.col_owner[self.col_ptr[col] : self.col_ptr[col + 1]]
        cand = cand[allowed[cand]]
        # most covering candidates first (finds covers early); order does not change the set
        cand = cand[np.argsort(-counts[cand], kind="stable")]
        allowed_here = allowed.copy()
        for i in cand.tolist():
            new_unc = uncovered.copy()
            new_unc[self.indices[self.indptr[i] : self.indptr[i + 1]]] = False
            self.search(new_unc, chosen + [i], allowed_here.copy(), None if budget is None else budget - 1)
            allowed_here[i] = False

    def last_implicant(self, uncovered: np.ndarray, chosen: list[int], allowed: np.ndarray, n_unc: int) -> None:
        """Covers completed by one implicant: it must cover every uncovered column, so it is
        among the candidates of the uncovered column with the fewest implicants."""
        unc_cols = np.flatnonzero(uncovered)
        u = int(unc_cols[np.argmin(self.col_size[unc_cols])])
        cand = self.col_owner[self.col_ptr[u] : self.col_ptr[u + 1]]
        cand = cand[allowed[cand] & (self.lengths[cand] >= n_unc)]
        if cand.size:
            cl = self.lengths[cand]
            gathered = np.repeat(self.indptr[cand] - np.r_[0, np.cumsum(cl)[:-1]], cl) + np.arange(int(cl.sum()))
            hit = np.add.reduceat(uncovered[self.indices[gathered]].astype(np.int64), np.r_[0, np.cumsum(cl)[:-1]])
            for i in cand[hit == n_unc].tolist():
                self.results.append(tuple(sorted(chosen + [int(i)])))
