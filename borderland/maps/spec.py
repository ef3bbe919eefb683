"""The map options: one frozen :class:`MapSpec`, checked on construction, one name per concept.

The same spec goes to the model (:func:`borderland.maps.model.map_model`), which keeps it, and
through the model to every writer (HTML, static image, QGIS styles), so an option has one name
everywhere: ``kinds``, ``columns``, ``classes``, ``scheme``, ``palette``, ...
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Mapping, Sequence
from typing import Any, Final

from borderland.classify import CLASS_COUNT_SCHEMES
from borderland.errors import SchemaError, collect
from borderland.maps.palettes import TYPOLOGY_COLOURS, palette_names

__all__ = [
    "KINDS", "LINE_KINDS", "MAX_CLASSES", "REGION_KINDS", "SCHEMES", "MapSpec", "precision_for_zoom",
]

#: The map kinds: each is one or more named layers, combinable in one map.
KINDS: Final[Mapping[str, str]] = {
    "index": "digitalisation index in classes (regions.index)",
    "typology": "the typology's classes, leader / moderate / lagging by default (regions.typology)",
    "indicator": "any numeric column of the regions in classes, with its unit (columns=...)",
    "rings": "border rings: 1 touches the state border, k is k - 1 steps inland (regions.border_order)",
    "bands": "distance bands from the state border (bands=..., e.g. borderland.border.distance_bands)",
    "population": "share of the population near the border (regions[population_column])",
    "uncertainty": "typology, outlined where the class is unstable (regions[probability_column])",
    "gaps": "cross-border index gaps, one line per cross-border pair (pairs)",
    "trade": "trade flows, one layer per flow type and unit (flows=...)",
}

#: Kinds that colour the region polygons; they are alternatives (one shown at a time).
REGION_KINDS: Final = ("index", "typology", "indicator", "rings", "population", "uncertainty")

#: Kinds drawn as lines over another kind.
LINE_KINDS: Final = ("gaps", "trade")

#: How classed layers may be cut: the classification schemes set by a number of classes
#: (:data:`borderland.classify.CLASS_COUNT_SCHEMES`).
SCHEMES: Final = CLASS_COUNT_SCHEMES

MAX_CLASSES: Final = 9  # ColorBrewer's sequential palettes stop at nine

#: Default columns of the population and uncertainty kinds.
#: (:func:`borderland.raster.population_near_border` and :func:`borderland.robustness.uncertainty` name them so.)
POPULATION_COLUMN: Final = "population_within_25km_pct"
PROBABILITY_COLUMN: Final = "p_typology"
STABLE_PROBABILITY: Final = 0.8

#: Zoom levels of the interactive map; the coordinate precision follows from the deepest.
MIN_ZOOM: Final = 2
MAX_ZOOM: Final = 12

#: Size of an HTML fragment in CSS pixels (width, height), and of a static map in inches.
FRAGMENT_SIZE_PX: Final = (960, 640)
IMAGE_SIZE_IN: Final = (10.0, 7.5)

_PREFIX: Final = re.compile(r"[A-Za-z0-9]{1,32}")


def precision_for_zoom(max_zoom: int) -> int:
    """Decimals of a degree that keep every vertex within a pixel at zoom ``max_zoom``.

    A pixel at zoom z spans 360 / (256 · 2^z) degrees of longitude at the equator, less
    elsewhere; the decimals are the fewest whose step is no larger.

    Examples
    --------
    >>> precision_for_zoom(12), precision_for_zoom(8)
    (4, 3)
    """
    return max(0, math.ceil(math.log10(256 * 2**max_zoom / 360)))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _texts(value: Any) -> bool:
    return not isinstance(value, str) and isinstance(value, Sequence) and all(isinstance(v, str) for v in value)


@dataclasses.dataclass(frozen=True)
class MapSpec:
    """Every option of a map, for the model and all three writers; checked on construction.

    Every problem found is reported at once, as one :class:`~borderland.errors.SchemaError` whose
    lines name the field, the value given and what is expected.

    Attributes
    ----------
    kinds
        The map kinds to draw, in order (see :data:`KINDS`); ``None`` (default) draws every kind
        whose input is present: index, typology, indicators (when ``columns``), rings,
        population and uncertainty (when their columns exist), bands, gaps and trade (when
        their frames are given). A single string is one kind.
    columns
        Numeric columns of the regions drawn as indicator layers, one each.
    units
        Unit of a column, e.g. ``{"households_internet_access": "% of households"}``; by default
        read from the end of its name (``_km``, ``_pct``, ``_share`` shown as %).
    scheme
        How the classed layers (index, indicators, population) are cut: one of :data:`SCHEMES`
        (``"quantiles"``, ``"equal_interval"``, ``"natural_breaks"`` = Fisher-Jenks).
    classes
        Number of classes, 1 to 9; fewer when there are fewer distinct values.
    palette
        A ColorBrewer palette for every classed layer (``"YlGnBu"``, ``"Blues_r"``, see
        :func:`~borderland.maps.palettes.palette_names`); by default each kind's own.
    title
        Title on the map (and the HTML page's title).
    attribution
        Credit lines shown on the map; a single string is one line.
    offline
        HTML: inline Leaflet and add no tile layer, so that the file works without a network;
        when false, Leaflet comes from a CDN and an OpenStreetMap tile layer is offered.
    fragment
        HTML: write a fixed-size ``<div>`` to paste into a page rather than a whole page.
    size_px
        HTML fragment: width and height in CSS pixels.
    id_prefix
        HTML fragment: 1 to 32 letters and digits put before every element id and JavaScript
        name; by default derived from the content, so two maps on a page never clash.
    include_leaflet
        HTML fragment: include Leaflet's script and CSS (false when the host page loads Leaflet 1.9).
    population_column
        Column of the population kind: the share of the region's population near the border, in %
        (``_pct``) or 0..1 (``_share``).
    probability_column
        Column of the uncertainty kind: probability (0..1) that the region belongs to its
        typology class (``p_typology`` of :func:`borderland.robustness.uncertainty`).
    stable_probability
        Regions below this probability are outlined as unstable (0 < p <= 1).
    typology_labels
        The typology's class labels, best first (a study's ``[typology] labels``): the values
        ``regions.typology`` may hold, listed in this order in the legends. The default three
        keep their colours (:data:`~borderland.maps.palettes.TYPOLOGY_COLOURS`); others are
        coloured by rank (:func:`~borderland.maps.palettes.typology_colours`).
    max_zoom
        HTML: deepest zoom level offered (2 to 20); it sets the default ``precision``.
    precision
        HTML: decimals of the longitude and latitude written (0 to 15); by default the fewest
        that keep a vertex within a pixel at ``max_zoom`` (4, about 10 m, for zoom 12).
    simplify_tolerance_m
        HTML: tolerance of the display simplification in metres of the projected CRS; 0 keeps
        every vertex. Polygons that tile the plane are simplified as coverages.
    size_in
        Static map: width and height in inches.
    dpi
        Static map: dots per inch of a PNG (and of hatching in SVG and PDF), 30 to 1200.

    Examples
    --------
    >>> MapSpec(kinds="typology", classes=3).kinds
    ('typology',)
    >>> MapSpec(classes=12)
    Traceback (most recent call last):
    ...
    borderland.errors.SchemaError: map spec: 1 problem(s)
      - classes is 12; expected a whole number of classes from 1 to 9
    """

    kinds: Sequence[str] | None = None
    columns: Sequence[str] = ()
    units: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)  # a read-only mapping
    scheme: str = "quantiles"
    classes: int = 5
    palette: str | None = None
    title: str = ""
    attribution: Sequence[str] = ()
    offline: bool = True
    fragment: bool = False
    size_px: tuple[int, int] = FRAGMENT_SIZE_PX
    id_prefix: str | None = None
    include_leaflet: bool = True
    population_column: str = POPULATION_COLUMN
    probability_column: str = PROBABILITY_COLUMN
    stable_probability: float = STABLE_PROBABILITY
    typology_labels: Sequence[str] = tuple(TYPOLOGY_COLOURS)
    max_zoom: int = MAX_ZOOM
    precision: int | None = None
    simplify_tolerance_m: float = 250.0
    size_in: tuple[float, float] = IMAGE_SIZE_IN
    dpi: int = 150

    def __post_init__(self) -> None:
        def store(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        # one form of each: tuples for sequences, a read-only mapping for the units
        if isinstance(self.kinds, str):
            store("kinds", (self.kinds,))
        elif isinstance(self.kinds, Sequence):
            store("kinds", tuple(self.kinds))
        if isinstance(self.columns, str):
            store("columns", (self.columns,))
        elif isinstance(self.columns, Sequence):
            store("columns", tuple(self.columns))
        if not isinstance(self.typology_labels, str) and isinstance(self.typology_labels, Sequence):
            store("typology_labels", tuple(self.typology_labels))
        if isinstance(self.attribution, str):
            store("attribution", (self.attribution,))
        elif isinstance(self.attribution, Sequence):
            store("attribution", tuple(self.attribution))
        for name in ("size_px", "size_in"):
            if isinstance(getattr(self, name), list):
                store(name, tuple(getattr(self, name)))
        if isinstance(self.units, Mapping):
            store("units", types.MappingProxyType(dict(self.units)))
        collect(self._problems(), SchemaError, "map spec")

    def _problems(self) -> list[str]:
        problems: list[str] = []
        kinds, columns = self.kinds, self.columns
        if kinds is not None:
            if not _texts(kinds):
                problems.append(f"kinds is {kinds!r}; expected map kinds from {list(KINDS)}")
            elif not kinds:
                problems.append(f"kinds is empty; choose one or more of {list(KINDS)} (or None for every kind)")
            else:
                unknown = [kind for kind in kinds if kind not in KINDS]
                if unknown:
                    problems.append(f"kinds holds unknown kind(s) {unknown}; expected kinds from {list(KINDS)}")
        if not _texts(columns) or not all(columns):
            problems.append(f"columns is {columns!r}; expected names of numeric columns of the regions")
        elif _texts(kinds) and kinds:
            if columns and "indicator" not in kinds:
                problems.append(f"columns {list(columns)} given, but kinds {list(kinds)} have no 'indicator' to "
                                "draw them; add 'indicator' to kinds")
            if "indicator" in kinds and not columns:
                problems.append("kinds has 'indicator' but columns is empty; name the numeric columns to draw")
        if not isinstance(self.units, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.units.items()):
            problems.append(f"units is {self.units!r}; expected column name -> unit text, e.g. {{'speed': 'Mbit/s'}}")
        if self.scheme not in SCHEMES:
            problems.append(f"scheme is {self.scheme!r}; expected one of {sorted(SCHEMES)}")
        if not _whole(self.classes) or not 1 <= self.classes <= MAX_CLASSES:
            problems.append(f"classes is {self.classes!r}; expected a whole number of classes from 1 to {MAX_CLASSES}")
        if self.palette is not None and (not isinstance(self.palette, str)
                                         or self.palette.removesuffix("_r") not in palette_names()):
            problems.append(f"palette is {self.palette!r}; expected a ColorBrewer palette, one of "
                            f"{list(palette_names())} (add _r to reverse one), or None")
        if not isinstance(self.title, str):
            problems.append(f"title is {self.title!r}; expected a text")
        if not _texts(self.attribution):
            problems.append(f"attribution is {self.attribution!r}; expected credit lines (texts)")
        for name in ("offline", "fragment", "include_leaflet"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} is {getattr(self, name)!r}; expected True or False")
        size_px = self.size_px
        if not (isinstance(size_px, tuple) and len(size_px) == 2 and all(_whole(v) and v > 0 for v in size_px)):
            problems.append(f"size_px is {size_px!r}; expected (width, height) in whole pixels > 0")
        if self.id_prefix is not None and not (isinstance(self.id_prefix, str) and _PREFIX.fullmatch(self.id_prefix)):
            problems.append(f"id_prefix is {self.id_prefix!r}; expected 1 to 32 letters and digits (it becomes part "
                            "of element ids and JavaScript names), or None")
        for name in ("population_column", "probability_column"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                problems.append(f"{name} is {getattr(self, name)!r}; expected a column name")
        labels = self.typology_labels
        if not _texts(labels) or not labels or not all(labels):
            problems.append(f"typology_labels is {labels!r}; expected the typology's class labels (texts), best first")
        elif len(set(labels)) != len(labels):
            problems.append(f"typology_labels repeat: {list(labels)}; give each class once")
        if not _number(self.stable_probability) or not 0 < self.stable_probability <= 1:
            problems.append(f"stable_probability is {self.stable_probability!r}; expected a probability in (0, 1]")
        if not _whole(self.max_zoom) or not MIN_ZOOM <= self.max_zoom <= 20:
            problems.append(f"max_zoom is {self.max_zoom!r}; expected a zoom level from {MIN_ZOOM} to 20")
        if self.precision is not None and (not _whole(self.precision) or not 0 <= self.precision <= 15):
            problems.append(f"precision is {self.precision!r}; expected an integer number of decimals from 0 to 15, "
                            "or None")
        if not _number(self.simplify_tolerance_m) or not self.simplify_tolerance_m >= 0:
            problems.append(f"simplify_tolerance_m is {self.simplify_tolerance_m!r}; expected a distance in metres "
                            ">= 0")
        size_in = self.size_in
        if not (isinstance(size_in, tuple) and len(size_in) == 2 and all(_number(v) and v > 0 for v in size_in)):
            problems.append(f"size_in is {size_in!r}; expected (width, height) in inches > 0")
        if not _whole(self.dpi) or not 30 <= self.dpi <= 1200:
            problems.append(f"dpi is {self.dpi!r}; expected whole dots per inch from 30 to 1200")
        return problems

    @property
    def digits(self) -> int:
        """Decimals of the coordinates written: ``precision``, or what ``max_zoom`` needs."""
        return precision_for_zoom(self.max_zoom) if self.precision is None else self.precision
