"""Exact reductions of the covering models before the MILP (see :mod:`planner.core.optimise`).

A coverage matrix is handled as its entries ``(row, col)`` sorted by row, then column (the
order of a canonical CSR matrix). Subset tests between rows (or columns) are vectorised: every
set is paired only with the sets holding its rarest element, then each pair is checked element
by element against a lookup table, with no Python loop over rows, columns or pairs. Once a
set-cover model is small (``_DENSE_MAX``) the remaining passes test all pairs at once on a
bit-packed dense matrix, which costs fewer numpy calls.

Set cover (unit costs) — repeated until nothing changes:

* *essential columns*: a demand that only one candidate covers forces that candidate; the
  demand it covers is then done;
* *dominated rows*: a demand whose cover set contains another demand's cover set is covered
  whenever the other one is (of identical rows one is kept);
* *dominated columns*: a candidate whose cover set lies inside another candidate's is never
  needed (of identical columns one is kept); candidates covering nothing are dropped.

Maximal covering (with per-group and total counts):

* candidates covering nothing, and candidates whose cover set lies inside that of another
  candidate *of the same group*, become anonymous *fillers*: one integer count per group,
  because a quota may still have to be filled with them (the optimum does not change: any
  solution can swap a dominated pick for its dominator, or for a filler when the dominator is
  picked already);
* demands with identical cover sets (over the candidates kept) are merged, weights summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TABLE_MAX = 30_000_000  # lookup table cells (bytes) for subset checks; above: binary search
_WORK_MAX = 50_000_000  # element checks per subset pass; above: the pass is skipped
_DENSE_MAX = 256  # set cover passes run on a dense bit matrix once it is this small


def ragged_range(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + k)`` for every start ``s`` and length ``k``."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _by(key: np.ndarray, n: int) -> np.ndarray:
    """Stable argsort of integer keys below ``n`` (radix sort on 16-bit keys when they fit)."""
    if n <= np.iinfo(np.uint16).max:
        key = key.astype(np.uint16)
    return np.argsort(key, kind="stable")


def row_pointers(owner: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers (``n + 1``) of entries whose sorted row indices are ``owner``."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=out[1:])
    return out


def _subset_pairs(
    owner: np.ndarray, elem: np.ndarray, *, n_sets: int, n_elems: int,
    label: np.ndarray | None = None,
    by_elem: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """All pairs ``(a, b)``, ``a != b``, with non-empty set ``a`` inside set ``b``.

    Parameters
    ----------
    owner, elem : numpy.ndarray of int
        Entries of the sets, sorted by ``owner`` then ``elem``.
    n_sets, n_elems : int
        Number of sets and size of the universe.
    label : numpy.ndarray, optional
        Only pairs of sets with equal labels are returned.
    by_elem : numpy.ndarray, optional
        ``owner`` sorted by ``elem`` then ``owner``, when the caller has it already.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(a, b)``; ``None`` when the check would exceed ``_WORK_MAX`` element tests.
    """
    ptr = row_pointers(owner, n_sets)
    cnt = np.diff(ptr)
    deg = np.bincount(elem, minlength=n_elems)
    if by_elem is None:
        by_elem = owner[_by(elem, n_elems)]
    e_ptr = row_pointers(elem, n_elems)
    live = np.flatnonzero(cnt > 0)
    if live.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = deg[elem] * np.int64(n_elems) + elem  # each set's element in fewest sets
    pivot = np.minimum.reduceat(key, ptr[live]) % n_elems
    a = np.repeat(live, deg[pivot])
    b = by_elem[ragged_range(e_ptr[pivot], deg[pivot])]
    keep = (a != b) & (cnt[b] >= cnt[a])
    if label is not None:
        keep &= label[a] == label[b]
    a, b = a[keep], b[keep]
    if n_sets * n_elems <= _TABLE_MAX:
        table = np.zeros(n_sets * n_elems, dtype=bool)
        table[owner * n_elems + elem] = True

        def inside(host, probe):
            return table[host * n_elems + probe]
    else:
        keys = owner * n_elems + elem

        def inside(host, probe):
            q = host * n_elems + probe
            return keys[np.minimum(np.searchsorted(keys, q), keys.size - 1)] == q
    ends = inside(b, elem[ptr[a]]) & inside(b, elem[ptr[a + 1] - 1])  # cheap first filter
    a, b = a[ends], b[ends]
    size = cnt[a]
    if int(size.sum()) > _WORK_MAX:
        return None
    if a.size == 0:
        return a, b
    hits = np.add.reduceat(inside(np.repeat(b, size), elem[ragged_range(ptr[a], size)]),
                           np.cumsum(size) - size, dtype=np.int64)
    ok = hits == size
    return a[ok], b[ok]


def transpose_entries(r: np.ndarray, c: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries sorted by row then column, re-sorted by column then row (``m`` columns)."""
    order = _by(c, m)
    return c[order], r[order]


def _restrict(r: np.ndarray, c: np.ndarray, row_keep: np.ndarray,
              col_keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries of the kept rows and columns, renumbered (order preserved)."""
    keep = row_keep[r] & col_keep[c]
    new_r = np.cumsum(row_keep) - 1
    new_c = np.cumsum(col_keep) - 1
    return new_r[r[keep]], new_c[c[keep]]


@dataclass(frozen=True)
class _SetCoverCore:
    """What is left of a set-cover model after the reductions.

    ``rows``/``cols`` map the core's rows and columns to the input's; ``r``, ``c`` are the
    core's entries; ``forced`` are the input columns every optimal cover needs.
    """

    rows: np.ndarray
    cols: np.ndarray
    r: np.ndarray
    c: np.ndarray
    forced: np.ndarray
    passes: int


def set_cover_core(r: np.ndarray, c: np.ndarray, *, n: int, m: int) -> _SetCoverCore:
    """Reduce a unit-cost set-cover model exactly, to a fixpoint.

    Parameters
    ----------
    r, c : numpy.ndarray of int
        Entries (demand, candidate) of the coverage, sorted by row then column; every row has
        at least one entry.
    n, m : int
        Numbers of rows and columns.

    Returns
    -------
    _SetCoverCore
        The optimum of the input is ``len(forced)`` plus the optimum of the core, and the
        forced columns plus any cover of the core cover every input row.
    """
    rows = np.arange(n)
    cols = np.arange(m)
    forced = []
    passes = 0
    check_rows = check_cols = True  # columns / rows changed since the last dominance check
    while rows.size and (check_rows or check_cols):
        n_r, n_c = rows.size, cols.size
        if max(n_r, n_c) <= _DENSE_MAX:  # small now: bit-parallel passes on a dense matrix
            a = np.zeros((n_r, n_c), dtype=bool)
            a[r, c] = True
            a, rows, cols, more = _dense_passes(a, rows, cols, forced, check_rows, check_cols)
            r, c = np.nonzero(a)
            r, c = r.astype(np.int64), c.astype(np.int64)
            passes += more
            break
        passes += 1
        single = np.bincount(r, minlength=n_r)[r] == 1
        if single.any():
            pick = np.zeros(n_c, dtype=bool)
            pick[c[single]] = True
            forced.append(cols[pick])
            done = np.zeros(n_r, dtype=bool)
            done[r[pick[c]]] = True
            r, c = _restrict(r, c, ~done, ~pick)
            rows, cols = rows[~done], cols[~pick]
            n_r, n_c = rows.size, cols.size
            check_rows = check_cols = True
            if not n_r:
                break
        if check_rows:  # a row containing another row is redundant
            check_rows = False
            pairs = _subset_pairs(r, c, n_sets=n_r, n_elems=n_c)
            if pairs is not None and pairs[0].size:
                cnt = np.bincount(r, minlength=n_r)
                a, b = pairs
                drop = np.zeros(n_r, dtype=bool)
                drop[b[(cnt[b] > cnt[a]) | (a < b)]] = True
                r, c = _restrict(r, c, ~drop, np.ones(n_c, dtype=bool))
                rows = rows[~drop]
                n_r = rows.size
                check_cols = True
        if check_cols:  # a column inside another column is never needed
            check_cols = False
            tc, tr = transpose_entries(r, c, n_c)
            cnt = np.bincount(tc, minlength=n_c)
            drop = cnt == 0
            pairs = _subset_pairs(tc, tr, n_sets=n_c, n_elems=n_r, by_elem=c)
            if pairs is not None:
                a, b = pairs
                drop[a[(cnt[b] > cnt[a]) | (b < a)]] = True
            if drop.any():
                r, c = _restrict(r, c, np.ones(n_r, dtype=bool), ~drop)
                cols = cols[~drop]
                check_rows = True
    forced_cols = np.sort(np.concatenate(forced)) if forced else np.zeros(0, dtype=np.int64)
    return _SetCoverCore(rows, cols, r, c, forced_cols, passes)


def _inside(a: np.ndarray) -> np.ndarray:
    """``out[x, y]``: row ``x`` of the boolean matrix ``a`` lies inside row ``y`` (``x != y``)."""
    bits = np.packbits(a, axis=1)
    out = ~(bits[:, None, :] & ~bits[None, :, :]).any(axis=2)
    np.fill_diagonal(out, False)
    return out


def _dense_passes(a, rows, cols, forced, check_rows, check_cols):
    """The passes of :func:`set_cover_core` on a small dense boolean matrix."""
    passes = 0
    while rows.size and (check_rows or check_cols):
        passes += 1
        single = a.sum(axis=1) == 1
        if single.any():
            pick = a[single].any(axis=0)
            forced.append(cols[pick])
            done = a[:, pick].any(axis=1)
            a, rows, cols = a[~done][:, ~pick], rows[~done], cols[~pick]
            check_rows = check_cols = True
            if not rows.size:
                break
        if check_rows:  # a row containing another row is redundant
            check_rows = False
            cnt, at = a.sum(axis=1), np.arange(rows.size)
            later = (cnt[None, :] > cnt[:, None]) | (at[:, None] < at[None, :])
            drop = (_inside(a) & later).any(axis=0)
            if drop.any():
                a, rows = a[~drop], rows[~drop]
                check_cols = True
        if check_cols:  # a column inside another column is never needed
            check_cols = False
            cnt, at = a.sum(axis=0), np.arange(cols.size)
            bigger = (cnt[None, :] > cnt[:, None]) | (at[None, :] < at[:, None])
            drop = (_inside(a.T) & bigger).any(axis=1) | (cnt == 0)
            if drop.any():
                a, cols = a[:, ~drop], cols[~drop]
                check_rows = True
    return a, rows, cols, passes


@dataclass(frozen=True)
class _CoverCore:
    """A maximal-covering model after the reductions.

    ``cols`` are the input columns kept as binary variables; ``fill_groups`` and
    ``fill_counts`` the groups with filler columns and how many; ``fillers[g]`` the input
    columns behind group ``fill_groups[g]``'s fillers, best first; ``weights`` the merged
    demand weights; ``r``, ``c`` the entries between merged demands and kept columns.
    """

    cols: np.ndarray
    fill_groups: np.ndarray
    fill_counts: np.ndarray
    fillers: tuple[np.ndarray, ...]
    weights: np.ndarray
    r: np.ndarray
    c: np.ndarray


def cover_core(
    w: np.ndarray, r: np.ndarray, c: np.ndarray, *, m: int, groups: np.ndarray
) -> _CoverCore:
    """Reduce a maximal-covering model exactly (fillers and merged demands).

    Parameters
    ----------
    w : numpy.ndarray, shape (n,)
        Weights of the demand still to cover.
    r, c : numpy.ndarray of int
        Entries of its coverage, sorted by row then column.
    m : int
        Number of candidates.
    groups : numpy.ndarray of int, shape (m,)
        Group of every candidate, ``-1`` for excluded ones (dropped here).

    Returns
    -------
    _CoverCore
    """
    n = w.size
    sel = groups >= 0
    keep_e = sel[c]
    r, c = r[keep_e], c[keep_e]
    tc, tr = transpose_entries(r, c, m)
    cnt = np.bincount(tc, minlength=m)
    kept = sel & (cnt > 0)
    pairs = _subset_pairs(tc, tr, n_sets=m, n_elems=n, label=groups, by_elem=c)
    if pairs is not None:
        a, b = pairs
        kept[a[(cnt[b] > cnt[a]) | (b < a)]] = False
    filler = sel & ~kept
    order = np.flatnonzero(filler)
    order = order[np.lexsort((order, -cnt[order], groups[order]))]  # per group, best first
    fill_groups, starts, fill_counts = np.unique(
        groups[order], return_index=True, return_counts=True
    )
    fillers = tuple(np.split(order, starts[1:])) if order.size else ()
    r, c = _restrict(r, c, np.ones(n, dtype=bool), kept)
    cols = np.flatnonzero(kept)
    rep = np.arange(n)
    cnt_r = np.bincount(r, minlength=n)
    pairs = _subset_pairs(r, c, n_sets=n, n_elems=cols.size)
    if pairs is not None:
        a, b = pairs
        same = cnt_r[a] == cnt_r[b]
        np.minimum.at(rep, a[same], b[same])
    use = cnt_r > 0  # demand no kept candidate covers adds nothing
    lead = (rep == np.arange(n)) & use
    new = np.cumsum(lead) - 1
    weights = np.bincount(new[rep[use]], weights=w[use], minlength=int(lead.sum()))
    r, c = _restrict(r, c, lead, np.ones(cols.size, dtype=bool))
    return _CoverCore(cols, fill_groups, fill_counts, fillers, weights, r, c)
