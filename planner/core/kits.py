"""Exact minimum placement of "四个一" kits along banks, gaps before/after, requisition.

Everything here works on arc-length numbers along banks (no geometry): a bank ``b`` of length
``L[b]`` is an open line (positions ``0..L``) or a closed ring (positions taken modulo ``L``);
a kit at ``k`` covers a bank point ``p`` of a segment with reach ``r`` when ``|p - k| <= r``
(ring distance on rings).

Why the greedy is exact
-----------------------
On a line each uncovered risky point ``p`` needs a kit in ``I(p) = [p - r(p), p + r(p)]``:
the kits must *stab* every interval ``I(p)``. Placing a kit at the smallest right end
``k = min (p + r(p))`` over uncovered points, and repeating, is optimal (the classic exchange
argument: some kit of any solution lies in ``I(p*)`` of the minimising point, hence at or left
of ``k``; moving it to ``k`` keeps every uncovered point it covered covered - points left of
``k`` satisfy ``p >= k - r(p)`` by the choice of ``k``, points right of it get closer - so
the greedy is never worse). The reach may vary along a line (busy vs little-used banks).

On a ring the reach is constant (the caller takes the ring's smallest). Push every kit of an
optimal solution clockwise until it would uncover a point it alone covers: each kit then
either starts its arc ``[k - r, k + r]`` at the start of a risky run (a *piece start*) or
where another kit's arc ends. If all kits chain end-to-start they cover the whole ring and a
cut anywhere needs ``ceil(L / 2r)`` kits; otherwise cut the ring at a piece start ``a`` where
an arc starts: every arc of the solution still covers its points on the line from ``a`` (an
arc straddling ``a`` covers after ``a`` only points inside ``[a, a + 2r]``, the arc starting
there), so the line greedy from that cut is optimal. Hence: try every piece start and keep
the best - or, when some gap between risky runs exceeds ``2r`` (no kit can serve both
sides), cut there once. Both directions and all optimal cuts are compared on an access cost
(distance to homes and schools) as a tie-break that never changes the count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner._errors import ModelError

_EPS = 1e-6  # metres: lengths below this are treated as covered


@dataclass(frozen=True)
class Pieces:
    """Uncovered risky intervals ``[a, b]`` on banks ``bank`` with reach ``r``."""

    bank: np.ndarray
    a: np.ndarray
    b: np.ndarray
    r: np.ndarray


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand ``[lo_i, hi_i)`` into (owner i, index) pairs, vectorised."""
    n = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    return owner, np.repeat(lo, n) + (np.arange(n.sum()) - start)


def kit_pairs(seg_bank: np.ndarray, s0: np.ndarray, s1: np.ndarray, seg_reach: np.ndarray,
              bank_len: np.ndarray, bank_closed: np.ndarray, kit_bank: np.ndarray,
              kit_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The part ``[lo, hi]`` of each segment within reach of each kit (arguments as in
    :func:`residual`).

    Returns
    -------
    (kit, seg, lo, hi) : ndarrays
        One row per (kit, segment) pair with a non-empty part; a ring kit may give two rows
        for one segment (its arc wraps across position 0).
    """
    kit_bank = np.asarray(kit_bank, dtype=np.int64)
    kit_pos = np.asarray(kit_pos, dtype=float)
    if len(s0) == 0 or len(kit_bank) == 0:
        z = np.zeros(0)
        return z.astype(np.int64), z.astype(np.int64), z, z
    # ring kits act from three copies so that coverage wraps across position 0
    ring = bank_closed[kit_bank]
    kid = np.arange(len(kit_bank))
    cid = np.concatenate([kid, kid[ring], kid[ring]])
    cb = np.concatenate([kit_bank, kit_bank[ring], kit_bank[ring]])
    ck = np.concatenate([kit_pos, kit_pos[ring] - bank_len[kit_bank[ring]],
                         kit_pos[ring] + bank_len[kit_bank[ring]]])
    rmax = float(seg_reach.max())
    off = np.concatenate([[0.0], np.cumsum(bank_len + 1.0)])[:-1]
    lo = np.clip(ck - rmax, 0.0, bank_len[cb])
    hi = np.clip(ck + rmax, 0.0, bank_len[cb])
    keep = (ck + rmax >= 0) & (ck - rmax <= bank_len[cb])
    cid, cb, ck, lo, hi = cid[keep], cb[keep], ck[keep], lo[keep], hi[keep]
    g0, g1 = off[seg_bank] + s0, off[seg_bank] + s1
    first = np.searchsorted(g1, off[cb] + lo, side="left")
    last = np.searchsorted(g0, off[cb] + hi, side="right")
    kit, seg = expand_ranges(first, last)
    seg = seg.astype(np.int64)
    r = seg_reach[seg]
    ilo = np.maximum(s0[seg], ck[kit] - r)
    ihi = np.minimum(s1[seg], ck[kit] + r)
    ok = ihi >= ilo
    return cid[kit[ok]], seg[ok], ilo[ok], ihi[ok]


def residual(seg_bank: np.ndarray, s0: np.ndarray, s1: np.ndarray, seg_reach: np.ndarray,
             bank_len: np.ndarray, bank_closed: np.ndarray, kit_bank: np.ndarray,
             kit_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parts of segments not within reach of any kit.

    Parameters
    ----------
    seg_bank, s0, s1, seg_reach : ndarray
        Segments sorted by (bank, s0), consecutive and non-overlapping, with their reach.
    bank_len, bank_closed : ndarray
        Per bank length and ring flag.
    kit_bank, kit_pos : ndarray
        Kits as (bank, arc-length position).

    Returns
    -------
    (seg, lo, hi) : ndarrays
        Uncovered pieces ``[lo, hi]`` (positive length) of segment ``seg``, sorted.
    """
    nseg = len(s0)
    if nseg == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    _, seg, ilo, ihi = kit_pairs(seg_bank, s0, s1, seg_reach, bank_len, bank_closed,
                                 kit_bank, kit_pos)
    order = np.lexsort((ilo, seg))
    seg, ilo, ihi = seg[order], ilo[order], ihi[order]
    # segmented running maximum of covered ends, in local coordinates
    span = float((s1 - s0).max()) + 1.0
    key = np.maximum.accumulate(seg * span + (ihi - s0[seg]))
    run_end = key - seg * span + s0[seg]
    newgrp = np.r_[True, seg[1:] != seg[:-1]]
    prev_end = np.where(newgrp, s0[seg], np.r_[0.0, run_end[:-1]])
    gap = ilo > prev_end + _EPS
    out_seg = [seg[gap]]
    out_lo, out_hi = [prev_end[gap]], [ilo[gap]]
    last_of = np.r_[seg[1:] != seg[:-1], True]
    tail = last_of & (s1[seg] > run_end + _EPS)
    out_seg.append(seg[tail])
    out_lo.append(run_end[tail])
    out_hi.append(s1[seg[tail]])
    untouched = np.ones(nseg, dtype=bool)
    untouched[seg] = False
    idx = np.flatnonzero(untouched)
    out_seg.append(idx)
    out_lo.append(s0[idx])
    out_hi.append(s1[idx])
    rs, rl, rh = (np.concatenate(x) for x in (out_seg, out_lo, out_hi))
    order = np.lexsort((rl, rs))
    return rs[order].astype(np.int64), rl[order], rh[order]


def uncovered_length(nseg: int, seg: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uncovered length per segment from :func:`residual` pieces."""
    return np.bincount(seg, weights=hi - lo, minlength=nseg)


def merge_pieces(bank: np.ndarray, a: np.ndarray, b: np.ndarray, r: np.ndarray) -> Pieces:
    """Merge touching pieces of equal reach (input sorted by bank, a)."""
    if len(a) == 0:
        return Pieces(bank, a, b, r)
    start = np.r_[True, (bank[1:] != bank[:-1]) | (a[1:] > b[:-1] + _EPS) | (r[1:] != r[:-1])]
    idx = np.flatnonzero(start)
    return Pieces(bank[idx], a[idx], np.maximum.reduceat(b, idx), r[idx])


def greedy_lines(line: np.ndarray, a: np.ndarray, b: np.ndarray,
                 r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact minimum kits covering pieces ``[a, b]`` (reach ``r``) on independent lines.

    All lines advance together, one kit per line per round (vectorised over lines).

    Returns
    -------
    (kit_line, kit_pos) : ndarrays
        Kits sorted by line, then position.
    """
    order = np.lexsort((a, line))
    line, a, b, r = line[order], a[order], b[order], r[order]
    c = a.astype(float).copy()
    idx = np.flatnonzero(b - c > _EPS)
    out_l, out_k = [], []
    while idx.size:
        li, ci, ri, bi = line[idx], c[idx], r[idx], b[idx]
        starts = np.flatnonzero(np.r_[True, li[1:] != li[:-1]])
        k = np.minimum.reduceat(ci + ri, starts)
        out_l.append(li[starts])
        out_k.append(k)
        kk = np.repeat(k, np.diff(np.r_[starts, li.size]))
        newc = np.where(kk + ri >= ci, np.maximum(ci, np.minimum(bi, kk + ri)), ci)
        c[idx] = newc
        idx = idx[bi - newc > _EPS]
    if not out_l:
        return np.zeros(0, np.int64), np.zeros(0)
    kl, kp = np.concatenate(out_l), np.concatenate(out_k)
    o = np.lexsort((kp, kl))
    return kl[o], kp[o]


def _ring_lines(p: Pieces, bank_len: np.ndarray) -> tuple[np.ndarray, ...]:
    """Virtual lines for rings: one per candidate cut. Returns (vline_bank, vline_cut,
    piece_vline, a, b, r) with positions relative to the cut."""
    bank, a, b, r = p.bank, p.a.copy(), p.b.copy(), p.r
    if len(a) == 0:
        z = np.zeros(0)
        return z.astype(np.int64), z, z.astype(np.int64), z, z, z
    first = np.flatnonzero(np.r_[True, bank[1:] != bank[:-1]])
    lastp = np.r_[first[1:], len(a)] - 1
    rr = r[first]
    if not np.all(r == np.repeat(rr, lastp - first + 1)):
        raise ModelError("kit placement: a ring bank has more than one reach; "
                         "give each closed bank a single reach")
    L = bank_len[bank[first]]
    # merge a run crossing position 0 into the first piece
    wrap = (lastp > first) & (a[first] <= _EPS) & (b[lastp] >= L - _EPS)
    a[first[wrap]] = a[lastp[wrap]] - L[wrap]
    keep = np.ones(len(a), dtype=bool)
    keep[lastp[wrap]] = False
    bank, a, b, r = bank[keep], a[keep], b[keep], r[keep]
    first = np.flatnonzero(np.r_[True, bank[1:] != bank[:-1]])
    m = np.diff(np.r_[first, len(a)])
    L = bank_len[bank[first]]
    rr = r[first]
    # gap before each piece (cyclic)
    prev_b = np.r_[0.0, b[:-1]]
    lastp = first + m - 1
    prev_b[first] = b[lastp] - L
    gap = a - prev_b
    grp = np.repeat(np.arange(len(first)), m)
    widest = np.zeros(len(first), dtype=np.int64)
    gmax = np.full(len(first), -np.inf)
    np.maximum.at(gmax, grp, gap)
    is_max = gap >= gmax[grp]
    widest_idx = np.flatnonzero(is_max)
    _, firsthit = np.unique(grp[widest_idx], return_index=True)
    widest[:] = widest_idx[firsthit]
    single = (gmax > 2 * rr + _EPS) | (m == 1)
    # cuts: one for single rings, every piece start otherwise
    n_cuts = np.where(single, 1, m)
    v_ring = np.repeat(np.arange(len(first)), n_cuts)
    vstart = np.cumsum(n_cuts) - n_cuts
    t = np.arange(n_cuts.sum()) - np.repeat(vstart, n_cuts)
    cut_piece = np.where(single[v_ring], widest[v_ring], first[v_ring] + t)
    # each virtual line holds all m pieces of its ring, rotated to start at the cut
    pv, j = expand_ranges(np.zeros(len(v_ring), np.int64), m[v_ring])
    g = v_ring[pv]
    piece = first[g] + (cut_piece[pv] - first[g] + j) % m[g]
    shift = a[piece] - a[cut_piece[pv]]
    shift = np.where(shift < 0, shift + L[g], shift)
    return (bank[first][v_ring], a[cut_piece], pv, shift,
            shift + (b[piece] - a[piece]), r[piece])


def place(pieces: Pieces, *, bank_len: np.ndarray, bank_closed: np.ndarray,
          cost: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
          ) -> tuple[np.ndarray, np.ndarray]:
    """Fewest kits so that every point of ``pieces`` is within reach of one.

    Lines are solved by :func:`greedy_lines` forwards and backwards; rings at every
    candidate cut (see module doc), both directions. Among the minimum-count solutions of a
    bank the one of least total ``cost(bank, pos)`` (e.g. distance to the nearest home) wins.

    Returns
    -------
    (kit_bank, kit_pos) : ndarrays
        Positions in ``[0, L]`` (modulo ``L`` on rings).
    """
    p = merge_pieces(pieces.bank, pieces.a, pieces.b, pieces.r)
    if len(p.bank) == 0:  # nothing to cover (e.g. no risky bank at all)
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ring = bank_closed[p.bank]
    lb, la, lbb, lr = p.bank[~ring], p.a[~ring], p.b[~ring], p.r[~ring]
    lfirst = np.flatnonzero(np.r_[True, lb[1:] != lb[:-1]]) if len(lb) else np.zeros(0, int)
    v_bank_l = lb[lfirst]
    pv_l = np.repeat(np.arange(len(lfirst)), np.diff(np.r_[lfirst, len(lb)]))
    rp = Pieces(p.bank[ring], p.a[ring], p.b[ring], p.r[ring])
    v_bank_r, v_cut_r, pv_r, ra, rb, rr = _ring_lines(rp, bank_len)
    nl = len(v_bank_l)
    v_bank = np.r_[v_bank_l, v_bank_r].astype(np.int64)
    v_cut = np.r_[np.zeros(nl), v_cut_r]
    pv = np.r_[pv_l, pv_r + nl].astype(np.int64)
    a, b, r = np.r_[la, ra], np.r_[lbb, rb], np.r_[lr, rr]
    nv = len(v_bank)
    # forward lines are 0..nv-1, mirrored ones nv..2nv-1
    kl, kp = greedy_lines(np.r_[pv, pv + nv], np.r_[a, -b], np.r_[b, -a], np.r_[r, r])
    fwd = kl < nv
    vline = np.where(fwd, kl, kl - nv)
    pos = np.where(fwd, kp, -kp) + v_cut[vline]
    bank = v_bank[vline]
    L = bank_len[bank]
    pos = np.where(bank_closed[bank], np.mod(pos, L), np.clip(pos, 0.0, L))
    count = np.bincount(kl, minlength=2 * nv)
    total = (np.bincount(kl, weights=cost(bank, pos), minlength=2 * nv)
             if cost is not None and len(kl) else np.zeros(2 * nv))
    cand_bank = np.r_[v_bank, v_bank]
    # best candidate per bank: least count, then least cost, then first
    order = np.lexsort((np.arange(2 * nv), total, count, cand_bank))
    best = order[np.r_[True, cand_bank[order][1:] != cand_bank[order][:-1]]]
    chosen = np.zeros(2 * nv, dtype=bool)
    chosen[best] = True
    sel = chosen[kl]
    o = np.lexsort((pos[sel], bank[sel]))
    return bank[sel][o], pos[sel][o]


def requisition(town: np.ndarray, new_kits: np.ndarray, items: np.ndarray, *,
                rope_m: float) -> pd.DataFrame:
    """Items to buy per town, net of what existing partial kits already have.

    Parameters
    ----------
    town : ndarray of str
        Town code of each kit (new ones and existing partial ones).
    new_kits : ndarray of bool
        True for a proposed kit (needs all four items).
    items : ndarray of bool, shape (n, 4)
        Items present (sign, lifebuoy, rope, pole); ignored for new kits.
    rope_m : float
        Metres of rope per rope.

    Returns
    -------
    DataFrame
        ``town_code, new_kits, completed_kits, signs, lifebuoys, ropes, rope_m, poles``.
    """
    town = np.asarray(town, dtype=object)
    new_kits = np.asarray(new_kits, dtype=bool)
    need = np.where(new_kits[:, None], True, ~np.asarray(items, dtype=bool).reshape(-1, 4))
    df = pd.DataFrame({
        "town_code": town,
        "new_kits": new_kits.astype(int),
        "completed_kits": (~new_kits & need.any(axis=1)).astype(int),
        "signs": need[:, 0].astype(int), "lifebuoys": need[:, 1].astype(int),
        "ropes": need[:, 2].astype(int), "poles": need[:, 3].astype(int),
    })
    out = df.groupby("town_code", sort=True).sum().reset_index()
    out.insert(out.columns.get_loc("ropes") + 1, "rope_m", out["ropes"] * float(rope_m))
    return out
