"""Neighbourhoods: one neighbour graph per run, and every measure that needs adjacency.

A :class:`NeighbourGraph` is built once, from the shared edges of the region layer (rook or
queen contiguity, a snap tolerance, optional extra links such as ferries; islands reported), and
passed to every step that needs to know who neighbours whom:

- **border rings** (:meth:`NeighbourGraph.border_order`): 1 touches a land border, k is k − 1
  steps inland within the same country;
- **spatial lags** (:meth:`NeighbourGraph.lag`): the (weighted) mean of the neighbours' values,
  over all neighbours, those in the same country or those across a border;
- the **pair table** (:func:`pair_table`): one row per unordered pair of neighbours, with both
  sides' values, the signed, absolute and relative gap, which side leads and how the gap ranks;
- the **local deviation** of each region from its neighbours (:func:`local_deviation`), as in
  ESPON HyperAtlas and the R package MTA: the region's value minus a lag, against all,
  same-country and cross-border neighbours, and the difference between the last two, the
  *border effect*;
- **segment summaries** (:func:`segment_summary`): per border segment (``RU-FI``...), the
  length-weighted gap, the largest gaps, the segment's share of the whole cross-border gap and,
  where one was published, a country-pair figure joined to it;
- Moran's I, LISA and the Theil groups of :mod:`borderland.spatial`.

The graph holds its links as sorted integer arrays (compressed rows: the links of region ``i``
are ``offsets[i]:offsets[i + 1]``), so lags and rings are a few vectorised numpy operations.
libpysal's ``Graph.build_contiguity(by_perimeter=True)`` gives the same pairs and lengths on a
perfect coverage (tested), but it refuses overlapping mixed-source layers, it has no line
geometry, countries, extra links or orientation of the gap, and importing it costs about 1.5 s;
:meth:`NeighbourGraph.to_libpysal` exports the graph for users who want libpysal's tools.
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

from borderland.border import segment_label
from borderland.compute import SERIAL, Executor
from borderland.errors import InputError, JoinError, SchemaError, collect
from borderland.layers import require_projected, shared_edges
from borderland.specs import printable

if TYPE_CHECKING:
    from libpysal.graph import Graph
    from scipy.sparse import csr_array

#: Value of the ``link`` column for contiguity links; extra links carry their own kind.
CONTIGUITY_LINKS: Final = ("rook", "queen")

#: Published country-pair figure joined to border segments by default.
PUBLISHED_PAIR_INDICATOR: Final = "expert_rating_of_crossborder_interaction"

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


def adjacent_pairs(
    regions: gpd.GeoDataFrame,
    graph: NeighbourGraph,
    *,
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """One row per unordered pair of adjacent regions, oriented and labelled.

    In a cross-border pair involving the focus country, ``region_a`` is the focus country's
    region, so a positive gap always means "the focus side leads". Other pairs are ordered by
    country, then code.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``name`` and ``country``).
    graph
        From :func:`neighbour_graph`: its pairs, in either orientation.
    focus_country
        ISO alpha-2 code of the study's central country.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_a``, ``region_b``, ``name_a``, ``name_b``, ``country_a``, ``country_b``,
        ``cross_border``, ``segment`` (e.g. ``RU-FI``; empty within a country),
        ``shared_border_km``, ``link`` (``rook``, ``queen`` or the kind of an extra link) and
        the shared line.
    """
    edges = _require_graph(graph).edges
    require_projected(regions, edges)
    a, b = edges["region_a"].to_numpy(), edges["region_b"].to_numpy()
    ca = regions["country"].reindex(a).to_numpy()
    cb = regions["country"].reindex(b).to_numpy()
    key_a = [(c != focus_country, c, r) for c, r in zip(ca, a, strict=True)]
    key_b = [(c != focus_country, c, r) for c, r in zip(cb, b, strict=True)]
    swap = np.array([x > y for x, y in zip(key_a, key_b, strict=True)], dtype=bool)
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    ca, cb = np.where(swap, cb, ca), np.where(swap, ca, cb)
    cross = ca != cb
    km = edges["shared_border_km"].to_numpy(dtype=float)
    link = edges["link"].to_numpy()
    pairs = gpd.GeoDataFrame(
        {
            "region_a": a,
            "region_b": b,
            "name_a": regions["name"].reindex(a).to_numpy(),
            "name_b": regions["name"].reindex(b).to_numpy(),
            "country_a": ca,
            "country_b": cb,
            "cross_border": cross,
            "segment": [segment_label(x, y, focus_country) if c else "" for x, y, c in zip(ca, cb, cross, strict=True)],
            "shared_border_km": km,
            "link": link,
        },
        geometry=edges.geometry.to_numpy(),
        crs=edges.crs,
    )
    return pairs.sort_values(["cross_border", "segment", "region_a", "region_b"], ascending=[False, True, True, True],
                             ignore_index=True)


def relative_gap(value_a: np.ndarray, value_b: np.ndarray) -> np.ndarray:
    """Gap relative to the mean of the two sides: ``(a - b) / ((a + b) / 2)``.

    Symmetric (swapping the sides flips the sign only) and bounded in [-2, 2] for values that
    cannot be negative (shares, a min-max index); NaN when either value is negative or both are 0,
    where a ratio has no meaning.

    Examples
    --------
    >>> relative_gap(np.array([0.75, 0.0, -1.0]), np.array([0.25, 0.0, 1.0])).tolist()
    [1.0, nan, nan]
    """
    a, b = np.asarray(value_a, dtype=float), np.asarray(value_b, dtype=float)
    # 2 (a - b) / (a + b) rather than dividing by the mean: halving a tiny sum underflows to zero
    total = a + b
    valid = (a >= 0) & (b >= 0) & (total > 0)
    out = np.full(a.shape, np.nan)
    np.divide(2 * (a - b), total, out=out, where=valid)
    return np.clip(out, -2.0, 2.0, out=out)


def pair_gaps(pairs: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Values on both sides of each pair and the gap between them.

    Parameters
    ----------
    pairs
        From :func:`adjacent_pairs`.
    values
        One value per region (e.g. the index), indexed by region code.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``pairs``: ``value_a``, ``value_b`` (named after ``values.name`` when it
        has one: ``index_a``, ``index_b``...), ``gap`` (a − b: positive when region_a leads),
        ``abs_gap``, ``relative_gap`` (see :func:`relative_gap`), ``leader`` (the code of the
        leading region; empty for ties and missing values), ``leader_country`` (its country,
        when ``pairs`` has ``country_a`` and ``country_b``) and ``gap_percentile`` (percentage
        of the pairs with a gap whose absolute gap is at most this one's: 100 for the largest).
    """
    stem = values.name or "value"
    va = values.reindex(pairs["region_a"]).to_numpy(dtype=float)
    vb = values.reindex(pairs["region_b"]).to_numpy(dtype=float)
    gap = va - vb
    leader = np.where(gap > 0, pairs["region_a"], np.where(gap < 0, pairs["region_b"], ""))
    out = pd.DataFrame(
        {f"{stem}_a": va, f"{stem}_b": vb, "gap": gap, "abs_gap": np.abs(gap), "relative_gap": relative_gap(va, vb),
         "leader": leader},
        index=pairs.index,
    )
    if {"country_a", "country_b"} <= set(pairs.columns):
        out["leader_country"] = np.where(gap > 0, pairs["country_a"], np.where(gap < 0, pairs["country_b"], ""))
    out["gap_percentile"] = out["abs_gap"].rank(method="max", pct=True) * 100
    return out


def pair_table(
    regions: gpd.GeoDataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """The full pair table for one indicator or the index: pairs, both values and the gap.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``name`` and ``country``).
    graph
        From :func:`neighbour_graph`.
    values
        One value per region, indexed by region code; regions without a value give NaN gaps.
    focus_country
        Country whose regions come first in cross-border pairs (a negative gap: the focus side lags).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`adjacent_pairs` and of :func:`pair_gaps`, the shared line last.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame({"name": ["P", "Q"], "country": ["AA", "BB"]}, index=["P", "Q"], crs=3035,
    ...                            geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
    >>> table = pair_table(squares, neighbour_graph(squares), pd.Series({"P": 0.25, "Q": 0.75}, name="index"),
    ...                    focus_country="BB")
    >>> table[["region_a", "segment", "gap", "leader", "shared_border_km"]].values.tolist()
    [['Q', 'BB-AA', 0.5, 'Q', 1.0]]
    """
    pairs = adjacent_pairs(regions, graph, focus_country=focus_country)
    gaps = pair_gaps(pairs, values)
    return gpd.GeoDataFrame(
        pd.concat([pairs.drop(columns="geometry"), gaps, pairs[["geometry"]]], axis=1),
        geometry="geometry", crs=pairs.crs,
    )


# --- local deviation ---------------------------------------------------------------------------

def _mean_of_ratios(
    graph: NeighbourGraph, value: pd.Series, weights: pd.Series | None, scope: Scope, include_self: bool
) -> pd.Series:
    # every neighbour counts once, whatever its size
    return graph.lag(value, scope=scope, include_self=include_self)


def _ratio_of_sums(
    graph: NeighbourGraph, value: pd.Series, weights: pd.Series | None, scope: Scope, include_self: bool
) -> pd.Series:
    # the neighbourhood pooled into one region: sum(value * weight) / sum(weight)
    return graph.lag(value, scope=scope, weights=weights, include_self=include_self)


#: How a neighbourhood's value is formed from its members' values (both are graph lags).
AGGREGATIONS: Final[Mapping[str, Callable[[NeighbourGraph, pd.Series, pd.Series | None, Scope, bool], pd.Series]]] = {
    "mean_of_ratios": _mean_of_ratios,
    "ratio_of_sums": _ratio_of_sums,
}


def local_deviation(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    aggregation: str = "mean_of_ratios",
    weights: pd.Series | None = None,
    include_self: bool = False,
) -> pd.DataFrame:
    """Deviation of each region from its neighbourhood, as ESPON HyperAtlas and MTA's ``localDev``.

    For each region and each neighbourhood (all neighbours, those in the same country, those
    across a border) the neighbourhood's value ("context") is formed from the neighbours that
    have a value:

    - ``mean_of_ratios``: the plain mean of the neighbours' values; every neighbour counts
      once, a small region as much as a large one;
    - ``ratio_of_sums``: ``sum(value * weight) / sum(weight)`` with ``weights`` the denominator of
      the indicator (households, population): the value the neighbourhood would have if it
      were one region. This is HyperAtlas's and MTA's definition for ratio indicators (they take
      a numerator and a denominator); neighbours without a weight are left out.

    The absolute deviation is ``value - context`` (in the indicator's unit), the relative
    deviation ``100 * value / context`` (100: like the neighbourhood; NaN when a value is
    negative or the context is not positive). The *border effect* is the deviation from the
    cross-border neighbours minus that from the same-country neighbours (equal to the
    same-country context minus the cross-border context): positive where the neighbours across
    the border lag behind the region's compatriots.

    Parameters
    ----------
    regions
        Region layer indexed by code, with ``country``.
    graph
        From :func:`neighbour_graph`; extra links count as neighbours.
    values
        One value per region, indexed by code (regions without one get NaN throughout).
    aggregation
        One of :data:`AGGREGATIONS`.
    weights
        Denominator per region for ``ratio_of_sums`` (non-negative).
    include_self
        Count the region itself in each of its neighbourhoods (a "neighbourhood including the
        unit"); by default a region is compared with its neighbours only.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; with ``v`` the name of ``values`` (``value`` when unnamed) and
        ``s`` each of ``all``, ``same_country``, ``cross_border``: ``neighbours_s`` (neighbours
        with a value), ``v_context_s``, ``v_deviation_s``, ``v_deviation_s_pct``, and
        ``v_border_effect``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, index=["P", "Q", "R"], crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(3)])
    >>> dev = local_deviation(row, neighbour_graph(row), pd.Series({"P": 0.2, "Q": 0.5, "R": 0.9}, name="index"))
    >>> dev.loc["Q", ["index_context_all", "index_deviation_same_country", "index_border_effect"]].round(2).tolist()
    [0.55, 0.3, -0.7]
    """
    try:
        aggregate = AGGREGATIONS[aggregation]
    except KeyError:
        raise ValueError(f"unknown aggregation {aggregation!r}; choose one of {sorted(AGGREGATIONS)}") from None
    if aggregation == "ratio_of_sums" and weights is None:
        raise SchemaError("aggregation 'ratio_of_sums' needs weights (the indicator's denominator per region, "
                          "e.g. households or population); pass weights= or use 'mean_of_ratios'")
    if weights is not None and (weights.dropna() < 0).any():
        negative = weights.index[weights < 0]
        raise SchemaError(f"weights must be >= 0; negative for {', '.join(map(str, negative[:10]))}")
    _require_graph(graph)
    stem = values.name or "value"
    # regions outside `regions` count as having no value, so they are no one's neighbour here
    value = values.reindex(regions.index).astype(float)
    if weights is not None:
        weights = weights.reindex(regions.index).astype(float)
        value = value.where(weights.notna())  # a neighbour without a weight is left out, as one without a value
    out = pd.DataFrame(index=regions.index)
    for scope in SCOPES:
        context = aggregate(graph, value, weights, scope, include_self).reindex(regions.index)
        # the count is of neighbours proper, whether or not the region itself is in the context
        count = graph.neighbour_count(value, scope=scope)
        out[f"neighbours_{scope}"] = count.reindex(regions.index, fill_value=0)
        out[f"{stem}_context_{scope}"] = context.rename(None)
        out[f"{stem}_deviation_{scope}"] = value - context
        ok = (value >= 0) & (context > 0)
        out[f"{stem}_deviation_{scope}_pct"] = (100 * value / context).where(ok)
    out[f"{stem}_border_effect"] = out[f"{stem}_deviation_cross_border"] - out[f"{stem}_deviation_same_country"]
    return out


# --- border segments ---------------------------------------------------------------------------


def published_pair_figures(
    table: pd.DataFrame, *, indicator: str = PUBLISHED_PAIR_INDICATOR, year: int | str | None = None
) -> pd.DataFrame:
    """Published figures that belong to a pair of countries, one row per unordered pair.

    Parameters
    ----------
    table
        Rows ``subject``, ``partner``, ``indicator``, ``year``, ``value`` (as
        ``geodata/published_figures.csv``); only rows of ``indicator`` whose subject and
        partner are both country codes (two letters) are used.
    indicator
        Which figure.
    year
        Keep only this year; needed when a pair has figures for several years.

    Returns
    -------
    pandas.DataFrame
        ``country_1``, ``country_2`` (alphabetical), ``value``, ``year``.
    """
    needed = ["subject", "partner", "indicator", "year", "value"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise SchemaError(f"published figures: column(s) {', '.join(missing)} missing "
                          f"(columns: {', '.join(map(str, table.columns))})")
    rows = table[table["indicator"] == indicator]
    if year is not None:
        rows = rows[rows["year"].astype(str) == str(year)]
    subject = rows["subject"].astype("string").str.strip().str.upper()
    partner = rows["partner"].astype("string").str.strip().str.upper()
    country = subject.str.fullmatch(r"[A-Z]{2}").fillna(False) & partner.str.fullmatch(r"[A-Z]{2}").fillna(False)
    rows, subject, partner = rows[country], subject[country], partner[country]
    ordered = [sorted(pair) for pair in zip(subject, partner, strict=True)]
    out = pd.DataFrame({
        "country_1": [pair[0] for pair in ordered],
        "country_2": [pair[1] for pair in ordered],
        "value": pd.to_numeric(rows["value"], errors="coerce").to_numpy(),
        "year": rows["year"].astype(str).to_numpy(),
    })
    twice = out[out.duplicated(["country_1", "country_2"], keep=False)]
    if len(twice):
        listed = sorted({f"{a}-{b}" for a, b in zip(twice["country_1"], twice["country_2"], strict=True)})
        raise SchemaError(f"published figures: {indicator!r} has more than one row for {', '.join(listed)} "
                          f"(years {', '.join(sorted(set(twice['year'])))}); choose one with year=")
    return out.reset_index(drop=True)


def segment_summary(
    pairs: gpd.GeoDataFrame,
    *,
    published: pd.DataFrame | None = None,
    indicator: str = PUBLISHED_PAIR_INDICATOR,
    top: int = 3,
) -> gpd.GeoDataFrame:
    """Per border segment (``RU-FI``, ``RU-BY``...): how large the gap is and where it is steepest.

    Only cross-border pairs that share a line count (point contacts and extra links have no
    border length to weight by).

    Parameters
    ----------
    pairs
        From :func:`pair_table` (needs ``segment``, ``cross_border``, ``shared_border_km``,
        ``gap``, ``abs_gap``, names and codes of both sides).
    published
        Optional published figures (see :func:`published_pair_figures`); the figure of the
        segment's two countries, in either order, is joined where it exists and is NaN
        otherwise: never filled.
    indicator
        The published figure to join; also the name of its column.
    top
        How many of the largest gaps to list per segment.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per segment, sorted by segment: ``segment``, ``country_a``, ``country_b``,
        ``pairs``, ``pairs_with_gap``, ``shared_border_km``, ``gap_km`` (border length of the
        pairs with a gap), ``mean_gap_length_weighted`` (signed mean gap, weighted by shared
        length: negative when side a lags), ``mean_abs_gap_length_weighted``, ``max_abs_gap``,
        ``largest_gaps`` (text), ``gap_share_pct`` (the segment's share of the total
        cross-border gap, sum of ``abs_gap * shared_border_km``), the published figure when
        ``published`` is given, and the segment's lines as geometry.
    """
    needed = ["segment", "cross_border", "shared_border_km", "gap", "abs_gap", "region_a", "region_b",
              "name_a", "name_b", "country_a", "country_b"]
    missing = [c for c in needed if c not in pairs.columns]
    if missing:
        raise SchemaError(f"pair table lacks {', '.join(missing)}; build it with borderland.neighbours.pair_table")
    cross = pairs[pairs["cross_border"].astype(bool) & (pairs["shared_border_km"] > 0)].copy()
    cross["weighted_gap"] = cross["gap"] * cross["shared_border_km"]
    cross["weighted_abs_gap"] = cross["abs_gap"] * cross["shared_border_km"]
    cross["gap_km"] = cross["shared_border_km"].where(cross["gap"].notna(), 0.0)
    grouped = cross.groupby("segment", sort=True)
    out = pd.DataFrame({
        "country_a": grouped["country_a"].first(),
        "country_b": grouped["country_b"].first(),
        "pairs": grouped.size(),
        "pairs_with_gap": grouped["gap"].count(),
        "shared_border_km": grouped["shared_border_km"].sum(),
        "gap_km": grouped["gap_km"].sum(),
    })
    with_km = out["gap_km"].where(out["gap_km"] > 0)
    # "length_weighted" in the name: trade segments' unweighted mean_gap must never be mistaken for it
    out["mean_gap_length_weighted"] = grouped["weighted_gap"].sum(min_count=1) / with_km
    out["mean_abs_gap_length_weighted"] = grouped["weighted_abs_gap"].sum(min_count=1) / with_km
    out["max_abs_gap"] = grouped["abs_gap"].max()
    out["largest_gaps"] = _largest_gaps(cross, top).reindex(out.index, fill_value="").astype(object)
    total = cross["weighted_abs_gap"].sum(min_count=1)
    out["gap_share_pct"] = 100 * grouped["weighted_abs_gap"].sum(min_count=1) / total if total > 0 else np.nan
    if published is not None:
        figures = published_pair_figures(published, indicator=indicator)
        lookup = {(a, b): v for a, b, v in zip(figures["country_1"], figures["country_2"], figures["value"],
                                               strict=True)}
        out[indicator] = [lookup.get(tuple(sorted((a, b))), np.nan)
                          for a, b in zip(out["country_a"], out["country_b"], strict=True)]
    lines, rows = cross.geometry.to_numpy(), grouped.indices
    geometry = [shapely.line_merge(shapely.union_all(lines[rows[segment]])) for segment in out.index]
    return gpd.GeoDataFrame(out.reset_index(), geometry=geometry, crs=pairs.crs)


def _largest_gaps(cross: pd.DataFrame, top: int) -> pd.Series:
    """The ``top`` largest gaps of each segment as text (ties in the pairs' order, as ``nlargest`` keeps them)."""
    rows = cross[cross["gap"].notna()].sort_values("abs_gap", ascending=False, kind="stable")
    rows = rows.groupby("segment", sort=False).head(top)
    text = [f"{a} ({ra}) – {b} ({rb}) {gap:+.2f}" for a, ra, b, rb, gap in zip(
        rows["name_a"], rows["region_a"], rows["name_b"], rows["region_b"], rows["gap"], strict=True)]
    listed = pd.Series(text, index=rows["segment"].to_numpy(), dtype=object)
    return listed.groupby(level=0, sort=False).agg("; ".join).astype(object)
