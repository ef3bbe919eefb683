"""The map model: what the interactive map, the static map and the QGIS styles all draw.

:func:`map_model` checks the frames (regions, state border, pairs, countries, bands, flows)
against a :class:`~borderland.maps.spec.MapSpec` and turns them into layers with their
classes, colours, legends and tooltip texts, in drawing order. It is built once per run and
handed to every writer (:mod:`~borderland.maps.leaflet`, :mod:`~borderland.maps.static`,
:mod:`~borderland.maps.qgis`), so the three show the same classes in the same colours. A map
over the years (:func:`borderland.maps.trend.trend_model`) is the same model with a
:class:`~borderland.maps.timeline.Timeline`: every year's values in classes cut once over all of
them, and layers of the year shown (:meth:`MapModel.at_year`).

Nothing here draws: folium, branca and matplotlib are not imported (the ColorBrewer colours
come from :mod:`borderland.maps.palettes`), and the classes come from the registry of
:mod:`borderland.classify`, which mapclassify's import time kept out of the run. Styles are
written as Leaflet path options (``color``, ``weight``, ``fillColor``, ``fillOpacity``,
``opacity``, ``lineCap``), which the static and QGIS writers translate.

The parts are built in modules of their own: :mod:`~borderland.maps.checks` (the input checks),
:mod:`~borderland.maps.classes` (region layers in classes, typology, rings, class stability),
:mod:`~borderland.maps.features` (bands, border, countries, gaps, trade flows),
:mod:`~borderland.maps.timeline` (the years of a trend map), :mod:`~borderland.maps.layers` (what
a layer is) and :mod:`~borderland.maps.palettes` (the colours); this module puts them together.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.maps.checks import (
    BAND_COLUMNS,
    BORDER_COLUMNS,
    COUNTRY_COLUMNS,
    FLOW_COLUMNS,
    PAIR_COLUMNS,
    PAIR_COMPARABILITY_COLUMNS,
    REGION_COLUMNS,
    _check_inputs,
    _resolve_kinds,
)
from borderland.maps.classes import (
    DISPLAY_UNITS,
    UNIT_SUFFIXES,
    _classed_layer,
    _population_name,
    _rings_layer,
    _typology_layer,
    _uncertainty_layer,
    _Unit,
    _unit,
    year_classes,
)
from borderland.maps.features import (
    ARROW_MAX_M,
    ARROW_MIN_M,
    ARROW_SHARE,
    _bands_layer,
    _border_layer,
    _countries_layer,
    _flow_layers,
    _gaps_layer,
    flow_directed,
    flow_groups,
)
from borderland.maps.layers import (
    BANDS_LAYER,
    BORDER_LAYER,
    BORDER_WIDTH_PX,
    COUNTRY_LAYER,
    FLOW_MAX_WIDTH_PX,
    FLOW_MIN_WIDTH_PX,
    GAP_DASH,
    GAP_DASH_LEGEND_WIDTH_PX,
    GAP_LAYER,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    INDEX_LAYER,
    NO_DATA,
    REGIONS_LAYER,
    RINGS_LAYER,
    TRADE_PREFIX,
    TYPOLOGY_LAYER,
    UNCERTAINTY_LAYER,
    UNSTABLE_DASH,
    UNSTABLE_WIDTH_PX,
    FeatureLayer,
    Layer,
    LegendItem,
    RegionLayer,
    _number,
    _text,
    fixed_text,
)
from borderland.maps.palettes import (
    BORDER_COLOUR,
    DEFAULT_PALETTES,
    EQUAL_COLOUR,
    FLOW_COLOURS,
    LEADER_COLOURS,
    NO_DATA_COLOUR,
    PLAIN_REGION_COLOUR,
    TYPOLOGY_COLOURS,
    UNSTABLE_COLOUR,
)
from borderland.maps.spec import MapSpec
from borderland.maps.timeline import Timeline, _year_gap_layer, _year_region_layer

#: The model's own names, and those of its parts it named before they had modules of their own
#: (checks, classes, features, layers, palettes, timeline), which ``borderland.maps.model.X`` keeps.
__all__ = [
    "ARROW_MAX_M", "ARROW_MIN_M", "ARROW_SHARE", "BANDS_LAYER", "BAND_COLUMNS", "BORDER_COLOUR", "BORDER_COLUMNS",
    "BORDER_LAYER", "BORDER_WIDTH_PX", "COUNTRY_COLUMNS", "COUNTRY_LAYER", "DEFAULT_PALETTES", "DISPLAY_UNITS",
    "EQUAL_COLOUR", "FLOW_COLOURS", "FLOW_COLUMNS", "FLOW_MAX_WIDTH_PX", "FLOW_MIN_WIDTH_PX", "GAP_DASH",
    "GAP_DASH_LEGEND_WIDTH_PX", "GAP_LAYER", "GAP_MAX_WIDTH_PX", "GAP_MIN_WIDTH_PX", "INDEX_LAYER",
    "LEADER_COLOURS", "NO_DATA", "NO_DATA_COLOUR", "PAIR_COLUMNS", "PAIR_COMPARABILITY_COLUMNS",
    "PLAIN_REGION_COLOUR", "REGIONS_LAYER", "REGION_COLUMNS", "RINGS_LAYER", "TRADE_PREFIX", "TYPOLOGY_COLOURS",
    "TYPOLOGY_LAYER", "UNCERTAINTY_LAYER", "UNIT_SUFFIXES", "UNSTABLE_COLOUR", "UNSTABLE_DASH", "UNSTABLE_WIDTH_PX",
    "FeatureLayer", "Layer", "LegendItem", "MapModel", "RegionLayer", "Timeline", "fixed_text", "flow_directed",
    "flow_groups", "map_model", "year_classes",
]


@dataclasses.dataclass(frozen=True, eq=False)
class MapModel:
    """Everything a map shows, in drawing order, built once and drawn by every writer.

    Attributes
    ----------
    spec
        The options it was built with (the writers read theirs from it).
    kinds
        The kinds drawn, in order.
    regions
        The regions (projected), whose polygons the region layers colour.
    region_layers
        One per region kind, in ``kinds`` order.
    base
        Alternatives shown one at a time (region layers and bands), first shown first.
    overlays
        Lines drawn over them: the state border, gaps and trade flows.
    countries
        The grey country outline underneath, when countries were given.
    fields
        Rows of the region tooltip: (label, property).
    tooltips
        The region tooltip texts that are not a layer's (code, name, country, distance to the
        border, imputed components, components beyond their goalposts), one column per property,
        indexed like ``regions``.
    timeline
        The years of a trend map (:func:`borderland.maps.trend.trend_model`), whose layers are
        then those of the year shown (:meth:`at_year`); ``None`` for a map of one moment.
    """

    spec: MapSpec
    kinds: tuple[str, ...]
    regions: gpd.GeoDataFrame
    region_layers: tuple[RegionLayer, ...]
    base: tuple[Layer, ...]
    overlays: tuple[FeatureLayer, ...]
    countries: FeatureLayer | None
    fields: tuple[tuple[str, str], ...]
    tooltips: pd.DataFrame
    timeline: Timeline | None = None

    def at_year(self, year: int) -> MapModel:
        """The same trend map showing ``year``: its layers are that year's, in the classes of every year.

        The interactive map opens at that year (its year control still offers every year); a
        static map (:func:`~borderland.maps.static.write_image`) draws it, e.g. as one of
        small multiples.

        Parameters
        ----------
        year
            One of ``timeline.years``.

        Returns
        -------
        MapModel
            A new model; this one is unchanged.

        Raises
        ------
        SchemaError
            The model has no years (it is not a trend map), or ``year`` is not one of them.

        Examples
        --------
        >>> import shapely
        >>> from borderland.maps import trend_model
        >>> squares = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"]}, crs=3035,
        ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
        ...                            index=["W", "E"])
        >>> table = pd.DataFrame({"region": ["W", "E", "W"], "year": [2020, 2020, 2021], "value": [0.2, 0.8, 0.5]})
        >>> model = trend_model(squares, table, spec=MapSpec(classes=2))  # 0.2 and 0.5 low, 0.8 high in every year
        >>> model.region_layers[0].fill.tolist(), model.at_year(2020).region_layers[0].fill.tolist()
        (['#edf8b1', '#d9d9d9'], ['#edf8b1', '#2c7fb8'])
        """
        timeline = self.timeline
        if timeline is None:
            raise SchemaError("this map model has no years (map_model draws one moment); build a map with a year "
                              "control with borderland.maps.trend_model")
        if isinstance(year, bool) or not isinstance(year, int | np.integer) or int(year) not in timeline.years:
            raise SchemaError(f"year {year!r} is not one of the map's years {list(timeline.years)}; choose one of them")
        shown = dataclasses.replace(timeline, shown=int(year))
        region = _year_region_layer(shown)
        gaps = _year_gap_layer(shown)
        tooltips = self.tooltips.assign(year=str(int(year)), note=timeline.flags[int(year)].tolist())
        return dataclasses.replace(self, region_layers=(region,), base=(region,),
                                   overlays=(gaps,) if gaps is not None else (), tooltips=tooltips, timeline=shown)

    def layers(self, kind: str) -> tuple[Layer, ...]:
        """Every layer of one kind (``"trade"`` has one per flow type and unit), in drawing order.

        ``kind`` is a key of :data:`~borderland.maps.spec.KINDS`, ``"border"`` or ``"countries"``.
        """
        everything = [*self.base, *self.overlays, *([self.countries] if self.countries else [])]
        return tuple(layer for layer in everything if layer.kind == kind)


@dataclasses.dataclass(frozen=True, eq=False)
class _Inputs:
    """What the layer builders read: the frames and the spec."""

    regions: gpd.GeoDataFrame
    pairs: gpd.GeoDataFrame | None
    bands: gpd.GeoDataFrame | None
    flows: gpd.GeoDataFrame | None
    spec: MapSpec

    def classed(self, kind: str, name: str, key: str, label: str, column: str, unit: _Unit | None = None,
                decimals: int | None = None) -> RegionLayer:
        return _classed_layer(kind, name, key, label, self.regions[column], self.spec,
                              _unit(column, self.spec.units) if unit is None else unit, decimals)


#: How each map kind is built: kind -> its layers (region layers, bands, or lines over them).
_BUILDERS: Final[Mapping[str, Callable[[_Inputs], Sequence[Layer]]]] = {
    "index": lambda i: [i.classed("index", INDEX_LAYER, "index", "Index", "index", unit=_Unit(), decimals=3)],
    "typology": lambda i: [_typology_layer(i.regions, i.spec.typology_labels)],
    "indicator": lambda i: [i.classed("indicator", column, f"indicator_{n}", column, column)
                            for n, column in enumerate(i.spec.columns)],
    "rings": lambda i: [_rings_layer(i.regions, DEFAULT_PALETTES["rings"])],
    "bands": lambda i: [_bands_layer(cast(gpd.GeoDataFrame, i.bands), DEFAULT_PALETTES["bands"])],
    "population": lambda i: [i.classed("population", _population_name(i.spec.population_column), "population",
                                       "Population near the border", i.spec.population_column)],
    "uncertainty": lambda i: [_uncertainty_layer(i.regions, i.spec.probability_column, i.spec.stable_probability,
                                                 i.spec.typology_labels)],
    "gaps": lambda i: [_gaps_layer(cast(gpd.GeoDataFrame, i.pairs))],
    "trade": lambda i: _flow_layers(cast(gpd.GeoDataFrame, i.flows)),
}


# -- the model ---------------------------------------------------------------------------------


def _unique_names(layers: Sequence[Layer]) -> list[Layer]:
    """Number repeated layer names: the layer control lists layers by name."""
    seen: collections.Counter[str] = collections.Counter()
    named: list[Layer] = []
    for layer in layers:
        seen[layer.name] += 1
        count = seen[layer.name]
        named.append(dataclasses.replace(layer, name=f"{layer.name} ({count})") if count > 1 else layer)
    return named


#: Per-component flags the region tooltip names: (column suffix, row label, property). The flags come
#: from the index (:func:`borderland.index.impute`, :func:`borderland.index.beyond_goalposts`).
_FLAGS: Final = (("_imputed", "Imputed", "imputed"), ("_beyond_goalposts", "Outside goalposts", "beyond_goalposts"))


def _tooltips(regions: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The region tooltip texts that are not a layer's, and their rows (before the layers' own)."""
    texts = pd.DataFrame({
        "region_id": [_text(code) for code in regions.index],
        "name": regions["name"].map(_text).tolist(),
        "country": regions["country"].map(_text).tolist(),
    }, index=regions.index)
    fields: list[tuple[str, str]] = []
    if "border_distance_km" in regions.columns:
        texts["border_distance_km"] = [_number(v, "{:.1f} km") for v in regions["border_distance_km"]]
    # values filled in by imputation, or kept beyond their goalposts, are named in the tooltip: never passed
    # off as observed, or as inside the range the index reads (capped there where the goalposts normalise)
    for suffix, label, key in _FLAGS:
        flags = regions[[c for c in regions.columns if str(c).endswith(suffix)]].fillna(False).astype(bool)
        if flags.to_numpy().any():
            names = [str(c).removesuffix(suffix) for c in flags.columns]
            texts[key] = [", ".join(n for n, flag in zip(names, row, strict=True) if flag) or "none"
                          for row in flags.to_numpy().tolist()]
            fields.append((label, key))
    return texts, fields


def map_model(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | None = None,
    *,
    spec: MapSpec | None = None,
    countries: gpd.GeoDataFrame | None = None,
    bands: gpd.GeoDataFrame | None = None,
    flows: gpd.GeoDataFrame | None = None,
) -> MapModel:
    """Check the frames and build the layers of a map: classes, colours, legends, tooltip texts.

    Build it once and give it to every writer: :func:`~borderland.maps.leaflet.write_html`,
    :func:`~borderland.maps.static.write_image` and :func:`~borderland.maps.qgis.layer_styles`.
    Each map kind of the spec is one named layer (trade flows one per flow type and unit). The
    kinds that colour the regions and the distance bands are alternatives (``base``), the first
    shown; the state border, gaps and trade flows are drawn over them (``overlays``), and the
    countries, when given, as a grey outline underneath. Regions without data are light grey and
    labelled "no data", never drawn as the lowest class. The inputs are not changed.

    Parameters
    ----------
    regions
        Regions indexed by region code, in a projected CRS, with ``name`` and ``country`` and the
        columns of the kinds drawn: ``index`` (0..1, NaN without data), ``typology``
        (a label of the spec's ``typology_labels``, by default ``"leader"``, ``"moderate"``,
        ``"lagging"``, or missing), ``border_order``, the
        indicator ``columns``, the population and probability columns of the spec; when present,
        ``border_distance_km``, ``<component>_imputed`` and ``<component>_beyond_goalposts`` flags
        are shown in the tooltip.
    border_lines
        The state border, in the CRS of ``regions``, with ``country_a``, ``country_b`` and
        ``length_km``.
    pairs
        Adjacent region pairs with ``region_a``, ``region_b``, ``name_a``, ``name_b``,
        ``country_a``, ``country_b``, ``cross_border``, ``shared_border_km``, ``gap`` (index of
        a minus index of b) and ``abs_gap``; the geometry is the shared boundary. ``None`` when
        the gaps are not drawn.
    spec
        The map options (:class:`~borderland.maps.spec.MapSpec`); the defaults when ``None``.
    countries
        Country polygons with a ``country`` column, drawn underneath as a grey outline.
    bands
        Distance bands from the border, in the CRS of ``regions``: polygons with ``band`` (a
        label such as ``"0-25"``, in km, ordered by the number it starts with or by its
        categorical order) and ``country``, optionally ``area_km2``, as from
        :func:`borderland.border.distance_bands`.
    flows
        Trade flow lines from origin to destination, in the CRS of ``regions``, with ``origin``,
        ``destination``, ``value``, ``unit``, ``flow_type``, ``year`` and ``source`` (optionally
        ``direction``, ``origin_name``, ``destination_name``, ``period``), e.g. from
        :func:`borderland.trade.flow_lines`. Lines are as wide as their value; directed flows end
        in an arrowhead, turnover (``direction == "both_ways"``) does not.

    Returns
    -------
    MapModel
        The layers in drawing order, with the spec.

    Raises
    ------
    SchemaError
        A frame lacks a column, a kind lacks its input, a typology is unknown, a probability is
        outside 0..1.
    CRSError
        A frame has no CRS, a geographic one, or another CRS than ``regions``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"], "index": [0.2, 0.8]},
    ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
    ...                            crs=3035, index=pd.Index(["W", "E"], name="region_id"))
    >>> border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [10.0]},
    ...                           geometry=[shapely.LineString([(1e4, 0), (1e4, 1e4)])], crs=3035)
    >>> model = map_model(squares, border, spec=MapSpec(kinds=["index"], classes=2))
    >>> [item.label for item in model.region_layers[0].legend]
    ['0.200 – 0.500 (1)', '0.500 – 0.800 (1)', 'no data (0)', 'quantiles, 2 classes']
    >>> [layer.name for layer in model.overlays]
    ['State border']
    """
    spec = MapSpec() if spec is None else spec
    chosen = _resolve_kinds(spec, regions, pairs=pairs, bands=bands, flows=flows)
    _check_inputs({"regions": regions, "border_lines": border_lines, "pairs": pairs, "countries": countries,
                   "bands": bands, "flows": flows}, chosen, spec)

    inputs = _Inputs(regions=regions, pairs=pairs, bands=bands, flows=flows, spec=spec)
    base: list[Layer] = []
    overlays: list[Layer] = [_border_layer(border_lines)]
    for kind in chosen:
        for layer in _BUILDERS[kind](inputs):
            if isinstance(layer, RegionLayer) or layer.base:
                base.append(layer)
            else:
                overlays.append(layer)
    named = _unique_names([*base, *overlays])
    base, overlays = named[:len(base)], named[len(base):]
    region_layers = [layer for layer in base if isinstance(layer, RegionLayer)]

    tooltips, imputed = _tooltips(regions)
    fields: list[tuple[str, str]] = [("Region", "name"), ("Code", "region_id"), ("Country", "country")]
    by_kind = {layer.kind: layer for layer in region_layers}
    for kind in ("index", "typology"):
        if kind in by_kind:
            fields.append((by_kind[kind].label, by_kind[kind].key))
    if "border_distance_km" in tooltips.columns:
        fields.append(("Distance to border", "border_distance_km"))
    fields += [(layer.label, layer.key) for layer in region_layers if layer.kind not in ("index", "typology")]
    fields += imputed
    return MapModel(
        spec=spec, kinds=chosen, regions=regions, region_layers=tuple(region_layers), base=tuple(base),
        overlays=tuple(cast(list[FeatureLayer], overlays)),
        countries=None if countries is None or countries.empty else _countries_layer(countries),
        fields=tuple(fields), tooltips=tooltips,
    )
