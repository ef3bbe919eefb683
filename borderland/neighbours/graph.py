"""The neighbour graph: who neighbours whom, built once per run from the region layer's shared edges.

:func:`neighbour_graph` builds a :class:`NeighbourGraph` from rook or queen contiguity, a snap
tolerance and optional extra links such as ferries (checked, every problem at once); the graph
reports its islands, and gives the **border rings** (:meth:`NeighbourGraph.border_order`: 1
touches a land border, k is k − 1 steps inland within the same country) and the **spatial lags**
(:meth:`NeighbourGraph.lag`) over all neighbours, those in the same country or those across a
border (:data:`SCOPES`). Its links are sorted integer arrays (compressed rows), so lags and rings
are a few vectorised numpy operations; :meth:`NeighbourGraph.to_libpysal` exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from borderland.compute import SERIAL, Executor
from borderland.errors import InputError, JoinError, SchemaError, collect
from borderland.layers import require_projected, shared_edges
from borderland.specs import printable

if TYPE_CHECKING:
    from libpysal.graph import Graph
    from scipy.sparse import csr_array

__all__ = ["CONTIGUITY_LINKS", "SCOPES", "NeighbourGraph", "Scope", "neighbour_graph"]

#: Value of the ``link`` column for contiguity links; extra links carry their own kind.
CONTIGUITY_LINKS: Final = ("rook", "queen")

Scope = Literal["all", "same_country", "cross_border"]

#: Neighbourhoods of :meth:`NeighbourGraph.lag` and :func:`local_deviation`: which links of a
#: region count, given whether each link crosses a border.
SCOPES: Final[Mapping[Scope, Callable[[npt.NDArray[np.bool_]], npt.NDArray[np.bool_]]]] = {
    "all": lambda cross: np.ones(len(cross), dtype=bool),
    "same_country": lambda cross: ~cross,
    "cross_border": lambda cross: cross,
}

_EDGE_COLUMNS: Final = ("region_a", "region_b", "shared_border_km", "link", "extra_link")


def _frozen(array: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class NeighbourGraph:
    """Who neighbours whom, once, for every neighbourhood measure.

    Build it with :func:`neighbour_graph`; it is checked once, at construction, and not changed
    afterwards (its arrays are read-only; methods return new objects). Links are symmetric: a
    pair of neighbours gives two directed links, one from each side.

    Attributes
    ----------
    edges
        One row per unordered pair: ``region_a``, ``region_b`` (``a`` before ``b`` in region
        order), ``shared_border_km`` (0 for point contacts and extra links), ``link`` (``rook``
        for a shared line, ``queen`` for a single shared point, else the kind of an extra link
        such as ``ferry``), ``extra_link`` (True for links from the user's table) and the shared
        line (for an extra link, the straight line between the two regions' inside points).
        Treat it as read-only.
    ids
        Every region code, in region order, islands included.
    contiguity
        ``"rook"`` or ``"queen"``.
    tolerance_m
        Snap tolerance used to find shared edges (metres).
    notes
        What was done with the extra links that did not add anything.
    countries
        Country of each region, indexed like ``ids`` (``None`` when the layer had none; the
        ``same_country`` and ``cross_border`` scopes and :meth:`border_order` then refuse).
    focal, neighbour
        The directed links as positions in ``ids``, sorted by focal region, then neighbour.
    offsets
        Compressed rows: the links of region ``i`` are ``offsets[i]:offsets[i + 1]``.
    link_edge
        Row of ``edges`` each directed link comes from.
    cross_border
        Whether each directed link joins two countries (all False without ``countries``).
    """

    edges: gpd.GeoDataFrame
    ids: pd.Index
    contiguity: str
    tolerance_m: float
    notes: tuple[str, ...] = field(default=())
    countries: pd.Series | None = None
    focal: npt.NDArray[np.intp] = field(init=False, repr=False)
    neighbour: npt.NDArray[np.intp] = field(init=False, repr=False)
    offsets: npt.NDArray[np.intp] = field(init=False, repr=False)
    link_edge: npt.NDArray[np.intp] = field(init=False, repr=False)
    cross_border: npt.NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        problems = [f"edges lack column {c!r}" for c in _EDGE_COLUMNS if c not in self.edges.columns]
        collect(problems, SchemaError, "neighbour graph")
        ids = pd.Index(self.ids)
        if ids.has_duplicates:
            raise SchemaError(f"neighbour graph: duplicate region codes {sorted(set(ids[ids.duplicated()]))[:10]}; "
                              "every region needs one unique code")
        position = pd.Series(np.arange(len(ids), dtype=np.intp), index=ids)
        codes = np.concatenate([self.edges["region_a"].to_numpy(dtype=object),
                                self.edges["region_b"].to_numpy(dtype=object)])
        found = position.reindex(codes).to_numpy(dtype=float)
        unknown = sorted({str(c) for c in codes[np.isnan(found)]})
        if unknown:
            raise JoinError(f"neighbour graph: {len(unknown)} code(s) of the edges are not among its ids: "
                            f"{', '.join(unknown[:10])}; build it with neighbour_graph(regions)")
        a, b = np.split(found.astype(np.intp), 2)
        problems = []
        if (a == b).any():
            problems.append(f"links from a region to itself: {', '.join(map(str, ids[a[a == b]][:10]))}")
        pair = np.minimum(a, b) * len(ids) + np.maximum(a, b)
        if len(np.unique(pair)) < len(pair):
            problems.append("a pair of regions is linked more than once; keep one row per unordered pair")
        collect(problems, SchemaError, "neighbour graph")
        focal, neighbour = np.concatenate([a, b]), np.concatenate([b, a])
        edge = np.tile(np.arange(len(a), dtype=np.intp), 2)
        order = np.lexsort((neighbour, focal))
        focal, neighbour, edge = focal[order], neighbour[order], edge[order]
        offsets = np.zeros(len(ids) + 1, dtype=np.intp)
        np.cumsum(np.bincount(focal, minlength=len(ids)), out=offsets[1:])
        if self.countries is None:
            cross = np.zeros(len(focal), dtype=bool)
        else:
            country = self.countries.reindex(ids).to_numpy(dtype=object)
            # a missing country never equals another: such a link counts as crossing
            cross = np.asarray(country[focal] != country[neighbour], dtype=bool)
        for name, value in (("ids", ids), ("focal", _frozen(focal)), ("neighbour", _frozen(neighbour)),
                            ("offsets", _frozen(offsets)), ("link_edge", _frozen(edge)),
                            ("cross_border", _frozen(cross))):
            object.__setattr__(self, name, value)

    # --- structure ---------------------------------------------------------------------------

    @property
    def islands(self) -> tuple[str, ...]:
        """Regions that share no border (not even a point with queen contiguity) with any other."""
        contiguous = ~self.edges["extra_link"].to_numpy(dtype=bool)[self.link_edge]
        return self._without(contiguous)

    @property
    def unlinked(self) -> tuple[str, ...]:
        """Regions with no neighbour at all, extra links included."""
        return self._without(np.ones(len(self.focal), dtype=bool))

    def _without(self, links: npt.NDArray[np.bool_]) -> tuple[str, ...]:
        linked = np.bincount(self.focal[links], minlength=len(self.ids)) > 0
        return tuple(str(code) for code in self.ids[~linked])

    def _scope(self, scope: Scope) -> npt.NDArray[np.bool_]:
        try:
            select = SCOPES[scope]
        except KeyError:
            raise SchemaError(f"unknown neighbourhood {scope!r}; choose one of {list(SCOPES)}") from None
        if scope != "all" and self.countries is None:
            raise SchemaError(f"the {scope!r} neighbourhood needs each region's country; build the graph with "
                              "neighbour_graph(regions) from a layer with a 'country' column")
        return select(self.cross_border)

    def _aligned(self, values: pd.Series, what: str) -> npt.NDArray[np.float64]:
        if not isinstance(values, pd.Series):
            raise SchemaError(f"{what} must be a pandas Series indexed by region code, got {type(values).__name__}")
        return values.reindex(self.ids).to_numpy(dtype=float, na_value=np.nan)

    def adjacency(self) -> pd.DataFrame:
        """Both orientations of every link, for neighbourhood sums.

        Returns
        -------
        pandas.DataFrame
            ``focal``, ``neighbour`` (codes), ``shared_border_km``, ``link``, ``extra_link``,
            ``cross_border``; every pair appears twice, once from each side, sorted by focal
            region; islands do not appear.
        """
        e = self.edges
        return pd.DataFrame({
            "focal": self.ids[self.focal].to_numpy(),
            "neighbour": self.ids[self.neighbour].to_numpy(),
            "shared_border_km": e["shared_border_km"].to_numpy(dtype=float)[self.link_edge],
            "link": e["link"].to_numpy()[self.link_edge],
            "extra_link": e["extra_link"].to_numpy(dtype=bool)[self.link_edge],
            "cross_border": self.cross_border,
        })

    def neighbours_of(self, code: str) -> tuple[str, ...]:
        """Codes of the neighbours of one region (sorted)."""
        if code not in self.ids:
            raise JoinError(f"region {code!r} is not in the graph; it has {len(self.ids)} regions")
        i = int(self.ids.get_indexer(pd.Index([code]))[0])
        found = self.ids[self.neighbour[self.offsets[i]:self.offsets[i + 1]]]
        return tuple(sorted(str(c) for c in found))

    def subgraph(self, ids: pd.Index | list[str]) -> NeighbourGraph:
        """The graph restricted to some regions and the links between them (a new graph).

        Parameters
        ----------
        ids
            Codes to keep, in the order wanted; every one must be in the graph.

        Returns
        -------
        NeighbourGraph
            Regions left without a neighbour become islands.
        """
        keep = pd.Index(ids)
        missing = keep.difference(self.ids)
        if len(missing):
            raise JoinError(f"{len(missing)} code(s) are not in the graph: {', '.join(map(str, missing[:10]))}")
        inside = self.edges["region_a"].isin(keep).to_numpy() & self.edges["region_b"].isin(keep).to_numpy()
        return NeighbourGraph(
            edges=self.edges[inside].reset_index(drop=True), ids=keep, contiguity=self.contiguity,
            tolerance_m=self.tolerance_m, notes=self.notes,
            countries=None if self.countries is None else self.countries.reindex(keep),
        )

    # --- measures ----------------------------------------------------------------------------

    def _sums(
        self, values: pd.Series, *, scope: Scope, weights: pd.Series | None, include_self: bool
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        """Per region: sum of weight x value and of weight over the neighbours with both, and their count."""
        n = len(self.ids)
        value = self._aligned(values, "values")
        weight = np.ones(n) if weights is None else self._aligned(weights, "weights")
        links = self._scope(scope)
        focal, other = self.focal[links], self.neighbour[links]
        usable = ~np.isnan(value) & ~np.isnan(weight)
        take = usable[other]
        focal, other = focal[take], other[take]
        total = np.bincount(focal, weight[other] * value[other], minlength=n).astype(np.float64, copy=False)
        mass = np.bincount(focal, weight[other], minlength=n).astype(np.float64, copy=False)
        count = np.bincount(focal, minlength=n).astype(np.intp)
        if include_self:
            total = total + np.where(usable, weight * value, 0.0)
            mass = mass + np.where(usable, weight, 0.0)
        return total, mass, count

    def lag(
        self,
        values: pd.Series,
        *,
        scope: Scope = "all",
        weights: pd.Series | None = None,
        include_self: bool = False,
    ) -> pd.Series:
        """Spatial lag: the mean of each region's neighbours' values (weighted, when weights are given).

        ``sum(weight * value) / sum(weight)`` over the neighbours in ``scope`` that have a value
        (and a weight); with unit weights, the plain mean, which is the lag of row-standardised
        binary weights on the regions with a value.

        Parameters
        ----------
        values
            One value per region, indexed by code; missing values are left out of every mean.
        scope
            ``"all"`` neighbours, those in the ``"same_country"``, or those ``"cross_border"``.
        weights
            Non-negative weight per region (e.g. households, the denominator of a ratio
            indicator): the neighbourhood's value is then its pooled ratio.
        include_self
            Count the region itself in its neighbourhood.

        Returns
        -------
        pandas.Series
            ``v_lag_scope`` (``v`` the name of ``values``), indexed like ``ids``; ``NaN`` where no
            neighbour has a value (or their weights sum to 0).

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, index=["P", "Q", "R"], crs=3035,
        ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(3)])
        >>> graph = neighbour_graph(row)
        >>> values = pd.Series({"P": 0.2, "Q": 0.5, "R": 0.9}, name="index")
        >>> graph.lag(values).round(2).tolist(), graph.lag(values, scope="cross_border").tolist()
        ([0.5, 0.55, 0.5], [nan, 0.9, 0.5])
        """
        total, mass, _ = self._sums(values, scope=scope, weights=weights, include_self=include_self)
        with np.errstate(invalid="ignore", divide="ignore"):
            lag = np.where(mass > 0, total / mass, np.nan)
        return pd.Series(lag, index=self.ids, name=f"{values.name or 'value'}_lag_{scope}")

    def neighbour_count(self, values: pd.Series | None = None, *, scope: Scope = "all") -> pd.Series:
        """Number of neighbours of each region in ``scope`` (that have a value, when values are given).

        Parameters
        ----------
        values
            Count only the neighbours with a value here.
        scope
            ``"all"``, ``"same_country"`` or ``"cross_border"``.

        Returns
        -------
        pandas.Series
            ``neighbours_scope`` (int), indexed like ``ids``.
        """
        if values is None:
            values = pd.Series(0.0, index=self.ids)
        _, _, count = self._sums(values, scope=scope, weights=None, include_self=False)
        return pd.Series(count, index=self.ids, name=f"neighbours_{scope}")

    def border_order(self, touching: pd.Series) -> pd.Series:
        """Border ring of each region: 1 touches a land border, k is k − 1 steps inland.

        Steps are taken over the graph's links between regions of the same country (shared
        borders, point contacts with queen contiguity, and extra links), so a ring never crosses
        the border; a frontier moves inland ring by ring, every region of a ring at once. Regions
        not connected to a ring-1 region of their country get ``<NA>``.

        Parameters
        ----------
        touching
            Whether each region touches a land border, indexed by code (e.g.
            :func:`borderland.border.touches_border`); codes missing from it do not touch.

        Returns
        -------
        pandas.Series
            ``border_order`` (nullable integer), indexed like ``ids``.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "AA", "BB"]}, index=["P", "Q", "R", "S"], crs=3035,
        ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(4)])
        >>> neighbour_graph(row).border_order(pd.Series({"R": True, "S": True})).tolist()
        [3, 2, 1, 1]
        """
        links = self._scope("same_country")
        focal, other = self.focal[links], self.neighbour[links]
        frontier = touching.reindex(self.ids).fillna(False).to_numpy(dtype=bool)
        order = np.where(frontier, 1, 0)
        ring = 1
        while frontier.any():
            ring += 1
            reached = np.zeros(len(self.ids), dtype=bool)
            reached[other[frontier[focal]]] = True
            frontier = reached & (order == 0)
            order[frontier] = ring
        rings = pd.array(order, dtype="Int64")
        rings[order == 0] = pd.NA
        return pd.Series(rings, index=self.ids, name="border_order")

    # --- export ------------------------------------------------------------------------------

    def to_sparse(self, *, transform: Literal["b", "r"] = "b") -> csr_array:
        """The weights as a ``scipy.sparse.csr_array`` in the order of ``ids`` (scipy imported here).

        Parameters
        ----------
        transform
            ``"b"`` binary, or ``"r"`` row-standardised (each row of a region with neighbours sums to 1).

        Returns
        -------
        scipy.sparse.csr_array
            Square, ``len(ids)`` rows.
        """
        from scipy.sparse import csr_array

        if transform not in ("b", "r"):
            raise SchemaError(f"unknown transform {transform!r}; choose 'b' (binary) or 'r' (row-standardised)")
        weight = np.ones(len(self.focal))
        if transform == "r":
            weight = 1.0 / np.diff(self.offsets)[self.focal]
        n = len(self.ids)
        return csr_array((weight, self.neighbour, self.offsets), shape=(n, n))

    def to_libpysal(self, ids: pd.Index | None = None) -> Graph:
        """The graph as a binary ``libpysal.graph.Graph``, optionally restricted to some regions.

        An export adapter for users of libpysal's tools; nothing in borderland needs it (importing
        libpysal takes about 1.5 s).

        Parameters
        ----------
        ids
            Keep only these regions (and the links between them); regions left without a
            neighbour become libpysal islands (a self-loop of weight 0).

        Returns
        -------
        libpysal.graph.Graph
            Binary, symmetric, in the order of ``ids``.
        """
        try:
            from libpysal.graph import Graph
        except ImportError:
            raise InputError("NeighbourGraph.to_libpysal needs libpysal, an optional dependency: "
                             "pip install 'borderland[pysal]'") from None

        graph = self if ids is None else self.subgraph(ids)
        lonely = np.flatnonzero(np.diff(graph.offsets) == 0)
        # libpysal wants the focal ids sorted in the order of its index: positions sort so
        focal = np.concatenate([graph.focal, lonely])
        neighbour = np.concatenate([graph.neighbour, lonely])
        weight = np.concatenate([np.ones(len(graph.focal)), np.zeros(len(lonely))])
        sort = np.lexsort((neighbour, focal))
        codes = graph.ids.to_numpy(dtype=object)
        return Graph.from_arrays(codes[focal[sort]], codes[neighbour[sort]], weight[sort])

    def summary(self) -> str:
        """One line for logs: contiguity, tolerance, links and islands."""
        e = self.edges
        extra = int(e["extra_link"].sum())
        islands = self.islands
        return (
            f"neighbour graph: {self.contiguity} contiguity, snap tolerance {self.tolerance_m:g} m; "
            f"{len(self.ids)} regions, {len(e) - extra} contiguity links "
            f"({int((e['link'] == 'queen').sum())} point contacts), {extra} extra link(s); "
            f"islands: {', '.join(map(printable, islands)) if islands else 'none'}"
            + (f"; still unlinked: {', '.join(map(printable, self.unlinked))}" if self.unlinked != islands else "")
        )


def neighbour_graph(
    regions: gpd.GeoDataFrame,
    *,
    contiguity: Literal["rook", "queen"] = "rook",
    tolerance_m: float = 0.0,
    extra_links: pd.DataFrame | None = None,
    edges: gpd.GeoDataFrame | None = None,
    executor: Executor = SERIAL,
) -> NeighbourGraph:
    """Contiguity of a region layer, with optional extra links such as ferries and bridges.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``country``); ideally repaired with
        :func:`borderland.layers.repair_coverage`.
    contiguity
        ``"rook"``: neighbours share a line; ``"queen"``: a line or a single point.
    tolerance_m
        Snap tolerance in metres for layers whose edges do not coincide (reported in
        :meth:`NeighbourGraph.summary`).
    extra_links
        Optional table of links that are not shared borders, one row per pair: ``region_a``,
        ``region_b`` and optionally ``kind`` (e.g. ``ferry``, ``bridge``; ``extra`` when
        missing). A link between regions that already share a border is noted and not added.
    edges
        Shared edges already computed with :func:`borderland.layers.shared_edges` with the
        same ``tolerance_m`` and ``contiguity`` (saves recomputing them).
    executor
        Where the shared edges are found (:mod:`borderland.compute`), when not given.

    Returns
    -------
    NeighbourGraph
        The graph; its ``edges`` have one row per unordered pair.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, geometry=[shapely.box(0, 0, 1000, 1000),
    ...     shapely.box(1000, 0, 2000, 1000), shapely.box(5000, 0, 6000, 1000)], index=["P", "Q", "R"], crs=3035)
    >>> graph = neighbour_graph(squares, extra_links=pd.DataFrame({"region_a": ["Q"], "region_b": ["R"],
    ...                                                            "kind": ["ferry"]}))
    >>> graph.edges[["region_a", "region_b", "link"]].values.tolist(), graph.islands, graph.unlinked
    ([['P', 'Q', 'rook'], ['Q', 'R', 'ferry']], ('R',), ())
    """
    require_projected(regions)
    if edges is None:
        edges = shared_edges(regions, tolerance_m=tolerance_m, contiguity=contiguity, executor=executor)
    else:
        require_projected(regions, edges)
    contiguous = gpd.GeoDataFrame(
        {
            "region_a": edges["region_a"].to_numpy(),
            "region_b": edges["region_b"].to_numpy(),
            "shared_border_km": edges["shared_border_km"].to_numpy(dtype=float),
            "link": np.where(edges["shared_border_km"].to_numpy() > 0, "rook", "queen"),
            "extra_link": False,
        },
        geometry=edges.geometry.to_numpy(),
        crs=regions.crs,
    )
    extra, notes = _extra_links(regions, contiguous, extra_links)
    graph_edges = pd.concat([contiguous, extra], ignore_index=True) if len(extra) else contiguous
    return NeighbourGraph(
        edges=gpd.GeoDataFrame(graph_edges, geometry="geometry", crs=regions.crs),
        ids=regions.index.copy(),
        contiguity=contiguity,
        tolerance_m=float(tolerance_m),
        notes=tuple(notes),
        countries=regions["country"].copy() if "country" in regions.columns else None,
    )


def _extra_links(
    regions: gpd.GeoDataFrame, contiguous: pd.DataFrame, table: pd.DataFrame | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Validate the user's extra links and turn them into graph edges (every problem at once)."""
    columns = ["region_a", "region_b", "shared_border_km", "link", "extra_link"]
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=regions.crs)
    if table is None or len(table) == 0:
        return empty, []
    problems = [f"column {c!r} is missing (columns: {', '.join(map(str, table.columns))})"
                for c in ("region_a", "region_b") if c not in table.columns]
    collect(problems, SchemaError, "extra links table")
    a = table["region_a"].astype("string").str.strip().to_numpy(dtype=object)
    b = table["region_b"].astype("string").str.strip().to_numpy(dtype=object)
    kind = (table["kind"].astype("string").fillna("extra").to_numpy(dtype=object)
            if "kind" in table.columns else np.full(len(table), "extra", dtype=object))
    unknown = sorted({str(c) for c in np.concatenate([a, b]) if c not in regions.index})
    if unknown:
        raise JoinError(f"extra links table: {len(unknown)} code(s) are not regions of the layer: "
                        f"{', '.join(unknown)}; use the codes of the region layer's index")
    self_links = sorted({str(x) for x, y in zip(a, b, strict=True) if x == y})
    if self_links:
        problems.append(f"links from a region to itself: {', '.join(self_links)}")
    bad_kind = sorted({str(k) for k in kind if k in CONTIGUITY_LINKS})
    if bad_kind:
        problems.append(f"kind {', '.join(map(repr, bad_kind))} is reserved for contiguity; "
                        "name the link by what it is (ferry, bridge, ...)")
    collect(problems, SchemaError, "extra links table")

    position = pd.Series(np.arange(len(regions)), index=regions.index)
    swap = position.reindex(a).to_numpy() > position.reindex(b).to_numpy()
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    existing = set(zip(contiguous["region_a"], contiguous["region_b"], strict=True))
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()
    keep = np.zeros(len(a), dtype=bool)
    for k, pair in enumerate(zip(a, b, strict=True)):
        if pair in existing:
            notes.append(f"extra link {pair[0]}-{pair[1]} ({kind[k]}) not added: the regions already share a border")
        elif pair in seen:
            notes.append(f"extra link {pair[0]}-{pair[1]} ({kind[k]}) listed twice; kept once")
        else:
            keep[k] = True
            seen.add(pair)
    inside = regions.geometry.representative_point()
    geometry = np.array([], dtype=object)
    if keep.any():
        ends = np.stack([shapely.get_coordinates(inside.reindex(a[keep]).to_numpy()),
                         shapely.get_coordinates(inside.reindex(b[keep]).to_numpy())], axis=1)
        # multi-lines, like the shared borders, so that one layer holds one geometry type
        lines = np.asarray(shapely.linestrings(ends), dtype=object)
        geometry = np.asarray(shapely.multilinestrings(lines, indices=np.arange(len(ends))), dtype=object)
    frame = gpd.GeoDataFrame(
        {"region_a": a[keep], "region_b": b[keep], "shared_border_km": 0.0, "link": kind[keep], "extra_link": True},
        geometry=geometry, crs=regions.crs,
    )
    return frame, notes


def _require_graph(graph: object) -> NeighbourGraph:
    if not isinstance(graph, NeighbourGraph):
        raise SchemaError(f"expected a NeighbourGraph, got {type(graph).__name__}; build it once with "
                          "borderland.neighbours.neighbour_graph(regions) (shared edges: edges=...)")
    return graph
