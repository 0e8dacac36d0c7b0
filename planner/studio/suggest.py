"""Suggestions from the current scenario: the exact placement (cancellable) and the next best
places by children newly within reach per yuan.

- :class:`SuggestJob` runs the propose stage of ``planner run``
  (:func:`planner.propose.new_sites.propose_stage`) on the scenario's located workspace, in a
  forked child process so that 取消 can stop it at once (a solver in a thread cannot be
  stopped). What the user placed stays; the optimiser fills each town's remaining quota and
  reports its status and gap.
- :func:`next_best` ranks candidate places (each village without a site of the kind, the
  placement's candidates, and the marked candidate points) greedily by children newly
  within reach per yuan of the kind's site price (:func:`planner.core.next_best.next_best`),
  with the access stage's distances: snap + network + snap within the kind's coverage
  distance (straight line without a road network).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import uuid
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from planner.core.network import nearest_source_distance, snap_to_graph
from planner.core.next_best import next_best as rank_next_best
from planner.glossary import KINDS, SOLVER_LABELS
from planner.measure.access import demand_children
from planner.propose.new_sites import network_cost, propose_stage
from planner.studio.engine import Engine, Evaluated
from planner.studio.kit_desk import release_memory


def _proposals(engine: Engine, ev: Evaluated) -> dict[str, Any]:
    """The propose stage on an evaluated scenario, as plain data."""
    sites, summary, _after = propose_stage(ev.workspace, settings=ev.settings,
                                           quota=engine.quota, progress=ev.measured.progress,
                                           graph=engine.graph, demand=engine.demand)
    out = []
    if sites is not None and len(sites):
        pts = sites.to_crs("EPSG:4326")
        for rec, geom in zip(pts.drop(columns="geometry").to_dict("records"), pts.geometry,
                             strict=True):
            kind = str(rec.get("kind", ""))
            out.append({"kind": kind, "label": KINDS.get(kind, (kind,))[0],
                        "lon": round(float(geom.x), 7), "lat": round(float(geom.y), 7),
                        "village_name": str(rec.get("village_name") or ""),
                        "town_name": str(rec.get("town_name") or ""),
                        "children_new": _int(rec.get("children_newly_covered")),
                        "upgrade": rec.get("method") == "upgrade"})
    by_kind = {k: {"proposed": int(v.get("proposed", 0) or 0),
                   "status": str(v.get("status", "")),
                   "status_label": SOLVER_LABELS.get(str(v.get("status", "")), ""),
                   "gap": v.get("gap") if isinstance(v.get("gap"), int | float) else None}
               for k, v in summary.items()}
    return {"sites": out, "by_kind": by_kind}


def _int(value: object) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def _child(engine: Engine, ev: Evaluated, conn) -> None:
    try:
        conn.send(("done", _proposals(engine, ev)))
    except BaseException as exc:  # noqa: BLE001 - reported to the page in one line
        conn.send(("failed", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        conn.close()


class SuggestJob:
    """One suggestion run in a forked child (see module doc)."""

    def __init__(self, engine: Engine, ev: Evaluated) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.rev_started = -1
        self.t0 = time.perf_counter()
        self.state, self.result, self.error, self.seconds = "running", None, None, 0.0
        ctx = mp.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        with engine.lock:  # no evaluation half done in the parent while it forks
            release_memory()  # the child and the server share less that either will copy
            self._proc = ctx.Process(target=_child, args=(engine, ev, send), daemon=True)
            self._proc.start()
        send.close()
        self._recv = recv
        self._lock = threading.Lock()

    def poll(self) -> dict[str, Any]:
        """The job's state (reads the child's answer once it has come)."""
        with self._lock:
            if self.state == "running":
                self.seconds = round(time.perf_counter() - self.t0, 2)
                if self._recv.poll():
                    try:
                        self.state, payload = self._recv.recv()
                    except EOFError:
                        self.state, payload = "failed", "the suggestion stopped"
                    if self.state == "done":
                        self.result = payload
                    else:
                        self.error = payload
                    self._proc.join(timeout=5)
                elif not self._proc.is_alive():
                    self.state, self.error = "failed", "建议计算意外中止 / the search stopped"
            out = {"state": self.state, "seconds": self.seconds, "job": self.id}
            if self.result is not None:
                out["result"] = self.result
            if self.error:
                out["error"] = self.error
            return out

    def cancel(self) -> None:
        """Stop the search now (the child is killed; nothing of it remains)."""
        with self._lock:
            if self.state == "running":
                self._proc.kill()
                self._proc.join(timeout=5)
                self.state = "cancelled"
                self.seconds = round(time.perf_counter() - self.t0, 2)


def _within(engine: Engine, dxy: np.ndarray, xy: np.ndarray, *, mode: str,
            threshold: float) -> np.ndarray:
    """Whether each demand point is within ``threshold`` of any of the sites ``xy`` (the
    access stage's distance)."""
    if len(xy) == 0:
        return np.zeros(len(dxy), dtype=bool)
    graph = engine.graph
    if graph is None or graph.matrix(mode).nnz == 0:
        return cKDTree(xy).query(dxy)[0] <= threshold
    dnode, dsnap = snap_to_graph(dxy, graph, mode=mode, end="origin")
    snode, ssnap = snap_to_graph(xy, graph, mode=mode, end="destination")
    dist, _ = nearest_source_distance(graph, sources=snode, offsets=ssnap, mode=mode,
                                      limit=threshold)
    return dsnap + dist[dnode] <= threshold


def _reach(engine: Engine, dxy: np.ndarray, cxy: np.ndarray, *, mode: str,
           threshold: float) -> sp.csc_array:
    """``(demand, candidate)`` within ``threshold`` (the placement's network cost)."""
    graph = engine.graph
    if graph is None or graph.matrix(mode).nnz == 0:
        pairs = cKDTree(dxy).sparse_distance_matrix(cKDTree(cxy), threshold,
                                                    output_type="ndarray")
        rows, cols = pairs["i"], pairs["j"]
    else:
        coo = sp.coo_array(network_cost(graph, mode=mode, limit=threshold)(dxy, cxy))
        rows, cols = coo.row, coo.col
    return sp.csc_array((np.ones(len(rows), bool), (rows, cols)), shape=(len(dxy), len(cxy)))


def next_best(engine: Engine, ev: Evaluated, *, n: int) -> dict[str, Any]:
    """The ``n`` next best places over every placeable kind (module doc)."""
    ws, settings = ev.workspace, ev.settings
    placed = ws.villages[ws.villages.geometry.notna()].reset_index(drop=True)
    if placed.empty:
        return {"items": [], "note": "村（居）没有村界，无法计算 / no village areas"}
    dxy, _row, kids = demand_children(placed, engine.demand, crs=ws.crs)
    # each village's point as the placement takes it (in the metric CRS)
    surface = placed.to_crs(ws.crs).geometry.representative_point()
    vxy = np.column_stack([surface.x.to_numpy(), surface.y.to_numpy()])
    marked = ws.extra.get("candidates")
    mxy = _metric_xy(marked.geometry if marked is not None else None, ws.crs)
    fac = ws.facilities[ws.facilities.geometry.notna()]
    blocks, weights, covered, costs, meta = [], [], [], [], []
    for kind in engine.placeable():
        rule = settings.access.rules[kind]
        own = fac[fac["kind"] == kind]
        sxy = _metric_xy(own.geometry, ws.crs)
        hosts = set(own["village_code"].dropna().astype(str))
        free = ~placed["village_code"].astype(str).isin(hosts).to_numpy()
        cxy = np.r_[vxy[free], mxy]
        if not len(cxy):
            continue
        blocks.append(_reach(engine, dxy, cxy, mode=rule.mode, threshold=rule.threshold_m))
        weights.append(kids)
        covered.append(_within(engine, dxy, sxy, mode=rule.mode, threshold=rule.threshold_m))
        yuan = float(settings.place.site_yuan[kind])
        costs.append(np.full(len(cxy), yuan))
        names = placed.loc[free, ["village_name", "town_name"]].astype(str).to_numpy()
        meta += [(kind, yuan, p, *nm) for p, nm in zip(vxy[free], names, strict=True)]
        meta += [(kind, yuan, p, "候选点", "") for p in mxy]
    if not blocks:
        return {"items": [], "note": "没有可选位置 / no candidate places"}
    cover = sp.block_diag(blocks, format="csc")
    chosen, gain = rank_next_best(cover, weight=np.concatenate(weights),
                                  covered=np.concatenate(covered), cost=np.concatenate(costs),
                                  n=n)
    lonlat = _to_wgs84(np.array([meta[i][2] for i in chosen]).reshape(-1, 2), ws.crs)
    items = []
    for (i, g), (lon, lat) in zip(zip(chosen, gain, strict=True), lonlat, strict=True):
        kind, yuan, _xy, village, town = meta[i]
        items.append({"kind": kind, "label": KINDS[kind][0], "lon": lon, "lat": lat,
                      "village_name": village, "town_name": town,
                      "children_new": int(round(g)), "yuan": yuan,
                      "children_per_10k_yuan": round(g / yuan * 10_000, 2)})
    note = ("依次选取每万元新增服务半径内儿童最多的位置（贪心排序，非最优解；单价见“单价”） "
            "/ ranked greedily by children newly within reach per yuan")
    return {"items": items, "note": note}


def _metric_xy(points: gpd.GeoSeries | None, crs) -> np.ndarray:
    """``(n, 2)`` metric x, y of WGS-84 points (none: an empty array)."""
    if points is None or not len(points):
        return np.zeros((0, 2))
    pts = points.to_crs(crs)
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _to_wgs84(xy: np.ndarray, crs) -> list[tuple[float, float]]:
    if not len(xy):
        return []
    pts = gpd.GeoSeries(shapely.points(xy[:, 0], xy[:, 1]), crs=crs).to_crs("EPSG:4326")
    return [(round(float(p.x), 7), round(float(p.y), 7)) for p in pts]
