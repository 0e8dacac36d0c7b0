"""The road network of a run: downloaded when asked, else the workspace's OSM file, else none."""

from __future__ import annotations

from planner._errors import InputFileError
from planner.core.network import RoadGraph
from planner.load.osm import OsmScan
from planner.records.workspace import Workspace
from planner.settings import Settings


def load_roads(settings: Settings, ws: Workspace, *, online: bool = False,
               progress: bool = False, scanned: OsmScan | None = None
               ) -> tuple[RoadGraph | None, dict]:
    """Read (or, with ``online``, download) the roads and build the road graph;
    ``scanned``: the ``[roads] path`` file's :func:`~planner.load.osm.scan_osm`, if made
    already.

    The OSM file's water joins ``ws.extra["water"]`` (see :mod:`planner.validate.osm_water`).

    Returns
    -------
    graph : RoadGraph or None
        ``None`` when the workspace has no roads: distances are then straight-line.
    info : dict
        ``run.json`` ``roads``: source, node and edge counts, clipped ways, OSM water
        (or a note).
    """
    from planner.load.online import fetch_osm
    from planner.load.osm import clip_scan, road_graph, scan_osm
    from planner.validate.osm_water import add_osm_water

    if online:
        try:
            layers = fetch_osm(ws.county)
        except Exception as exc:  # osmnx raises many network error types
            raise InputFileError(
                f"OpenStreetMap download failed ({type(exc).__name__}); check the internet "
                "connection, or run without --online using [roads] path = a local .osm/.pbf"
            ) from exc
        source = "OpenStreetMap (online)"
    elif settings.roads is not None:
        if not settings.roads.exists():
            raise InputFileError(f"{settings.roads}: file not found ([roads] path); fix the "
                                 "path in planner.toml or remove [roads]")
        if scanned is None:
            scanned = scan_osm(settings.roads, progress=progress)
        layers = clip_scan(scanned, polygon=ws.county)
        source = settings.roads.name
    else:
        return None, {"source": None, "note": "no road network: straight-line distances"}
    if layers.roads.empty or layers.nodes.empty:
        raise InputFileError(
            f"{source}: no roads (OSM ways tagged highway=*) inside the county ([roads] "
            "path); use an extract that covers the county with its roads, or remove [roads] "
            "for straight-line distances"
        )
    graph, _ids = road_graph(layers, crs=ws.crs)
    # road segments with their class and name: the landmarks of the water actions
    ws.extra["roads"] = layers.roads[["highway", "name", "geometry"]]
    water = add_osm_water(ws.extra, layers.water, crs=ws.crs, ledger=ws.ledger, file=source)
    return graph, {"source": source, "nodes": graph.n_nodes, "edges": int(graph.n_edges),
                   **layers.stats, "water": water}
