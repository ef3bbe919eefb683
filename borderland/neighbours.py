"""Neighbourhoods and the gap in an indicator (or the index) across each shared edge.

Four products, all built on one :class:`NeighbourGraph`:

- the **pair table** (:func:`pair_table`): one row per unordered pair of neighbours, with both
  sides' values, the signed, absolute and relative gap, which side leads and how the gap ranks;
- the **local deviation** of each region from its neighbours (:func:`local_deviation`), as in
  ESPON HyperAtlas and the R package MTA, against all, same-country and cross-border neighbours,
  and the difference between the last two, the *border effect*;
- **segment summaries** (:func:`segment_summary`): per border segment (``RU-FI``...), the
  length-weighted gap, the largest gaps, the segment's share of the whole cross-border gap and,
  where one was published, a country-pair figure joined to it;
- the graph itself, for :mod:`borderland.spatial` (Moran's I, LISA).

libpysal's ``Graph.build_contiguity(by_perimeter=True)`` gives the same pairs and lengths on a
perfect coverage, but it refuses overlapping mixed-source layers, and it has no line geometry,
countries, extra links or orientation of the gap; the pair table here carries all of those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.border import segment_label
from borderland.errors import JoinError, SchemaError, collect
from borderland.layers import require_projected, shared_edges

if TYPE_CHECKING:
    from libpysal.graph import Graph

#: Value of the ``link`` column for contiguity links; extra links carry their own kind.
CONTIGUITY_LINKS: Final = ("rook", "queen")

#: Published country-pair figure joined to border segments by default.
PUBLISHED_PAIR_INDICATOR: Final = "expert_rating_of_crossborder_interaction"


@dataclass(frozen=True)
class NeighbourGraph:
    """Who neighbours whom, once, for every neighbourhood measure.

    Build it with :func:`neighbour_graph`; it is not changed afterwards.

    Attributes
    ----------
    edges
        One row per unordered pair: ``region_a``, ``region_b`` (``a`` before ``b`` in region
        order), ``shared_border_km`` (0 for point contacts and extra links), ``link`` (``rook``
        for a shared line, ``queen`` for a single shared point, else the kind of an extra link
        such as ``ferry``), ``extra_link`` (True for links from the user's table) and the shared
        line (for an extra link, the straight line between the two regions' inside points).
    ids
        Every region code, in region order, islands included.
    contiguity
        ``"rook"`` or ``"queen"``.
    tolerance_m
        Snap tolerance used to find shared edges (metres).
    notes
        What was done with the extra links that did not add anything.
    """

    edges: gpd.GeoDataFrame
    ids: pd.Index
    contiguity: str
    tolerance_m: float
    notes: tuple[str, ...] = field(default=())

    @property
    def islands(self) -> tuple[str, ...]:
        """Regions that share no border (not even a point with queen contiguity) with any other."""
        contiguous = self.edges[~self.edges["extra_link"]]
        return self._without(contiguous)

    @property
    def unlinked(self) -> tuple[str, ...]:
        """Regions with no neighbour at all, extra links included."""
        return self._without(self.edges)

    def _without(self, edges: pd.DataFrame) -> tuple[str, ...]:
        linked = set(edges["region_a"]) | set(edges["region_b"])
        return tuple(code for code in self.ids if code not in linked)

    def adjacency(self) -> pd.DataFrame:
        """Both orientations of every link, for neighbourhood sums.

        Returns
        -------
        pandas.DataFrame
            ``focal``, ``neighbour``, ``shared_border_km``, ``link``, ``extra_link``; every pair
            appears twice, once from each side; islands do not appear.
        """
        e = self.edges
        columns = ["shared_border_km", "link", "extra_link"]
        forward = e[["region_a", "region_b", *columns]].set_axis(["focal", "neighbour", *columns], axis=1)
        backward = e[["region_b", "region_a", *columns]].set_axis(["focal", "neighbour", *columns], axis=1)
        return pd.concat([forward, backward], ignore_index=True)

    def neighbours_of(self, code: str) -> tuple[str, ...]:
        """Codes of the neighbours of one region (sorted)."""
        if code not in self.ids:
            raise JoinError(f"region {code!r} is not in the graph; it has {len(self.ids)} regions")
        e = self.edges
        found = set(e.loc[e["region_a"] == code, "region_b"]) | set(e.loc[e["region_b"] == code, "region_a"])
        return tuple(sorted(found))

    def to_libpysal(self, ids: pd.Index | None = None) -> Graph:
        """The graph as a binary ``libpysal.graph.Graph``, optionally restricted to some regions.

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
        from libpysal.graph import Graph

        keep = self.ids if ids is None else pd.Index(ids)
        adj = self.adjacency()
        adj = adj[adj["focal"].isin(keep) & adj["neighbour"].isin(keep)]
        lonely = keep.difference(pd.Index(adj["focal"]), sort=False)
        focal = np.concatenate([adj["focal"].to_numpy(dtype=object), lonely.to_numpy(dtype=object)])
        neighbour = np.concatenate([adj["neighbour"].to_numpy(dtype=object), lonely.to_numpy(dtype=object)])
        weight = np.concatenate([np.ones(len(adj)), np.zeros(len(lonely))])
        # libpysal wants the focal ids sorted in the order of its index
        order = pd.Series(np.arange(len(keep)), index=keep)
        sort = np.lexsort((order.reindex(neighbour).to_numpy(), order.reindex(focal).to_numpy()))
        return Graph.from_arrays(focal[sort], neighbour[sort], weight[sort])

    def summary(self) -> str:
        """One line for logs: contiguity, tolerance, links and islands."""
        e = self.edges
        extra = int(e["extra_link"].sum())
        islands = self.islands
        return (
            f"neighbour graph: {self.contiguity} contiguity, snap tolerance {self.tolerance_m:g} m; "
            f"{len(self.ids)} regions, {len(e) - extra} contiguity links "
            f"({int((e['link'] == 'queen').sum())} point contacts), {extra} extra link(s); "
            f"islands: {', '.join(islands) if islands else 'none'}"
            + (f"; still unlinked: {', '.join(self.unlinked)}" if self.unlinked != islands else "")
        )


def neighbour_graph(
    regions: gpd.GeoDataFrame,
    *,
    contiguity: Literal["rook", "queen"] = "rook",
    tolerance_m: float = 0.0,
    extra_links: pd.DataFrame | None = None,
    edges: gpd.GeoDataFrame | None = None,
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
        edges = shared_edges(regions, tolerance_m=tolerance_m, contiguity=contiguity)
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
    lines = shapely.linestrings(
        np.stack([shapely.get_coordinates(inside.reindex(a[keep]).to_numpy()),
                  shapely.get_coordinates(inside.reindex(b[keep]).to_numpy())], axis=1)
    ) if keep.any() else np.array([], dtype=object)
    frame = gpd.GeoDataFrame(
        {"region_a": a[keep], "region_b": b[keep], "shared_border_km": 0.0, "link": kind[keep], "extra_link": True},
        # multi-lines, like the shared borders, so that one layer holds one geometry type
        geometry=shapely.multilinestrings(lines, indices=np.arange(len(lines))) if len(lines) else lines,
        crs=regions.crs,
    )
    return frame, notes


def adjacent_pairs(
    regions: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame | NeighbourGraph,
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
    edges
        Shared edges from :func:`borderland.layers.shared_edges`, or a :class:`NeighbourGraph`.
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
    if isinstance(edges, NeighbourGraph):
        edges = edges.edges
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
    link = edges["link"].to_numpy() if "link" in edges.columns else np.where(km > 0, "rook", "queen")
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
    graph: NeighbourGraph | gpd.GeoDataFrame,
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
        From :func:`neighbour_graph` (or shared edges from :func:`borderland.layers.shared_edges`).
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

Aggregator = Callable[[pd.DataFrame], pd.Series]


def _mean_of_ratios(table: pd.DataFrame) -> pd.Series:
    # every neighbour counts once, whatever its size
    return table.groupby("focal")["value"].mean()


def _ratio_of_sums(table: pd.DataFrame) -> pd.Series:
    # the neighbourhood pooled into one region: sum(value * weight) / sum(weight)
    table = table.assign(weighted=table["value"] * table["weight"])
    sums = table.groupby("focal")[["weighted", "weight"]].sum()
    return sums["weighted"] / sums["weight"].where(sums["weight"] > 0)


#: How a neighbourhood's value is formed from its members' values.
AGGREGATIONS: Final[Mapping[str, Aggregator]] = {
    "mean_of_ratios": _mean_of_ratios,
    "ratio_of_sums": _ratio_of_sums,
}

#: Neighbourhoods of :func:`local_deviation`: which links of a region count.
SCOPES: Final[Mapping[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "all": lambda adj: pd.Series(True, index=adj.index),
    "same_country": lambda adj: ~adj["cross_border"],
    "cross_border": lambda adj: adj["cross_border"],
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
    stem = values.name or "value"
    value = values.reindex(regions.index).astype(float)
    country = regions["country"]
    adj = graph.adjacency()[["focal", "neighbour"]]
    adj = adj[adj["focal"].isin(regions.index) & adj["neighbour"].isin(regions.index)]
    cross = country.reindex(adj["focal"]).to_numpy() != country.reindex(adj["neighbour"]).to_numpy()
    adj = adj.assign(cross_border=cross)
    adj["value"] = value.reindex(adj["neighbour"]).to_numpy()
    adj["weight"] = 1.0 if weights is None else weights.reindex(adj["neighbour"]).to_numpy(dtype=float)
    adj = adj.dropna(subset=["value", "weight"])
    if include_self:
        own = pd.DataFrame({"focal": value.index, "neighbour": value.index, "cross_border": False,
                            "value": value.to_numpy(),
                            "weight": 1.0 if weights is None else weights.reindex(value.index).to_numpy(dtype=float)})
        own = own.dropna(subset=["value", "weight"])

    out = pd.DataFrame(index=regions.index)
    for scope, select in SCOPES.items():
        members = adj[select(adj)]
        if include_self:
            members = pd.concat([members, own], ignore_index=True)
        context = aggregate(members).reindex(regions.index)
        # the count is of neighbours proper, whether or not the region itself is in the context
        out[f"neighbours_{scope}"] = adj[select(adj)].groupby("focal").size().reindex(regions.index, fill_value=0)
        out[f"{stem}_context_{scope}"] = context
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
    # a plain loop: groupby.apply returns a frame, not a Series, when there is no group at all
    out["largest_gaps"] = pd.Series({segment: _largest(group, top) for segment, group in grouped},
                                    dtype=object).reindex(out.index)
    total = cross["weighted_abs_gap"].sum(min_count=1)
    out["gap_share_pct"] = 100 * grouped["weighted_abs_gap"].sum(min_count=1) / total if total > 0 else np.nan
    if published is not None:
        figures = published_pair_figures(published, indicator=indicator)
        lookup = {(a, b): v for a, b, v in zip(figures["country_1"], figures["country_2"], figures["value"],
                                               strict=True)}
        out[indicator] = [lookup.get(tuple(sorted((a, b))), np.nan)
                          for a, b in zip(out["country_a"], out["country_b"], strict=True)]
    geometry = [shapely.line_merge(shapely.union_all(g.geometry.to_numpy())) for _, g in grouped]
    return gpd.GeoDataFrame(out.reset_index(), geometry=geometry, crs=pairs.crs)


def _largest(group: pd.DataFrame, top: int) -> str:
    rows = group.dropna(subset=["gap"]).nlargest(top, "abs_gap")
    return "; ".join(f"{r.name_a} ({r.region_a}) – {r.name_b} ({r.region_b}) {r.gap:+.2f}" for r in rows.itertuples())
