"""The study: what a run computes, as one frozen spec per section of the study file.

A study file is TOML; each section becomes a small frozen spec that checks its keys when it is
built, from TOML or from Python, with each default defined once (:mod:`borderland.specs`).
:class:`Study` holds the sections and checks the rules that span several of them (a
population-weighted distance needs a population raster; every robustness scenario must be
computable with the index as specified). Every problem of a file is reported at once::

    >>> study_from_dict({"regions": {"path": "r.gpkg"}, "indicators": {"path": "i.csv"},
    ...                  "index": {"components": [{"name": "access"}]},
    ...                  "raster": {"within_km": "x"}, "robustness": {"draws": -5}}, folder=Path("."))
    Traceback (most recent call last):
    ...
    borderland.specs.SpecError: study: 2 problem(s)
      - [raster] within_km = "x": expected a distance in km above 0 and at most 20,000
      - [robustness] draws = -5: expected a number of draws from 2 to 100,000, or 0

Only file names are checked here; whether the files exist and hold what the study says is the
business of the load stage (:mod:`borderland.pipeline`), which ``borderland validate`` runs.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

from borderland import io
from borderland.compute import CHUNK_REGIONS
from borderland.errors import InputError, SchemaError, UsageError
from borderland.index import AGGREGATORS, NORMALISERS, IndexSpec, IndicatorSpec, index_spec_from_dict
from borderland.specs import (
    Check,
    Invalid,
    Problem,
    Spec,
    SpecError,
    boolean,
    choice,
    country_code,
    file_name,
    items,
    key,
    number,
    optional,
    path,
    shown,
    text,
    unknown_keys,
    whole,
)
from borderland.typology import TypologySpec, typology_from_dict

__all__ = [
    "AttributionSpec", "BorderSpec", "ComputeSpec", "GapsSpec", "IndicatorsSpec", "OutputsSpec", "RasterSpec",
    "RegionsSpec", "RobustnessSpec", "Study", "StudySection", "TradeSpec", "TrendSpec", "init_study", "load_study",
    "study_from_dict", "trend_problems",
]

DEFAULT_CRS: Final = "EPSG:3035"
DEFAULT_SEED: Final = 20211231
#: Where the distance to the border is measured from (``population``: the mean over the raster's people).
DISTANCE_ORIGINS: Final = ("centroid", "inside_point", "outline", "population")
#: How distances to the border are measured: in the study's CRS, or on the ellipsoid (WGS 84).
DISTANCE_METHODS: Final = ("planar", "geodesic")
CONTIGUITY: Final = ("rook", "queen")
#: Corrections of the LISA p-values for testing every region (:data:`borderland.spatial.LISA_CORRECTIONS`).
LISA_CORRECTIONS: Final = ("fdr", "none")
FLOW_TYPES: Final = ("exports", "imports", "turnover", "growth_rate")
LAYOUTS: Final = ("long", "wide")


def _projected_crs(value: Any) -> str:
    expected = "expected a projected CRS in metres that pyproj knows, e.g. \"EPSG:3035\""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(expected)
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    try:
        crs = CRS.from_user_input(value)
    except ProjError:
        raise Invalid(expected) from None
    if not crs.is_projected:
        raise Invalid(expected, "distances and areas need metres, not degrees")
    return value


def _encoding(value: Any) -> str:
    import codecs

    try:
        codecs.lookup(value)
    except (LookupError, TypeError, ValueError):
        raise Invalid("expected a text encoding Python knows, e.g. \"utf-8\" or \"cp1251\"") from None
    return str(value)


def _delimiter(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1:
        raise Invalid("expected one character, e.g. \";\" or \"\\t\"")
    return value


def _sheet(value: Any) -> str | int:
    if isinstance(value, str) and value.strip():
        return value
    try:
        return int(whole(0, what="a sheet")(value))
    except Invalid:
        raise Invalid("expected a sheet name or number (0 = the first)") from None


_YEAR: Final = whole(1000, 2999, what="a year")
#: Half the Earth's circumference: no distance on it is longer.
MAX_KM: Final = 20_000.0
_METRES: Final = number(0, MAX_KM * 1000, what="a distance in metres")
_COLUMN: Final = text(what="a column name")
_LAYER: Final = optional(text(what="a layer name"))


@dataclasses.dataclass(frozen=True)
class StudySection(Spec):
    """``[study]``: the title, the focus country, the CRS and the country outlines."""

    SECTION: ClassVar[str] = "study"
    PATHS: ClassVar[tuple[str, ...]] = ("countries",)

    title: str = key("Borderland study", text(what="a title"), doc="title of the map and the reports")
    focus_country: str | None = key(None, optional(country_code),
                                    doc="country named first in border segments and pairs (ISO alpha-2)")
    crs: str = key(DEFAULT_CRS, _projected_crs, doc="projected CRS of every distance, length and area")
    countries: Path | None = key(None, optional(path), doc="country outlines: basemap, targets of country flows")
    countries_layer: str | None = key(None, _LAYER, doc="layer of the countries file")
    countries_column: str = key("country", _COLUMN, doc="column of the countries' ISO alpha-2 codes")


@dataclasses.dataclass(frozen=True)
class RegionsSpec(Spec):
    """``[regions]``: the region layer, its columns, and how far its repair may go."""

    SECTION: ClassVar[str] = "regions"
    PATHS: ClassVar[tuple[str, ...]] = ("path",)

    path: Path = key(check=path, doc="the region layer (any vector format GDAL reads)")
    layer: str | None = key(None, _LAYER, doc="layer name in a multi-layer file")
    id: str = key("region_id", _COLUMN, doc="column of region codes")
    name: str = key("name", _COLUMN, doc="column of region names")
    country: str = key("country", _COLUMN, doc="column of ISO alpha-2 country codes")
    level: str | None = key("level", optional(_COLUMN), doc="column of administrative levels (optional)")
    sliver_width_m: float = key(8000.0, _METRES, doc="widest cross-border gap between sources the repair fills")
    exclude: tuple[str, ...] = key((), items(text(what="a region code"), what="a list of region codes"),
                                   doc="region codes to leave out")
    max_repair_pct: float = key(1.0, number(0, 100, what="a percentage"),
                                doc="largest share of a valid region's area a repair may move")
    max_border_distance_km: float | None = key(None, optional(number(0, MAX_KM, what="a distance in km")),
                                               doc="leave out regions lying wholly farther than this from any "
                                                   "land border")
    warn_border_distance_km: float = key(1000.0, number(0, MAX_KM, low_open=True, what="a distance in km"),
                                         doc="name the regions kept that lie wholly farther than this")


@dataclasses.dataclass(frozen=True)
class IndicatorsSpec(Spec):
    """``[indicators]``: the indicator table and how to read it."""

    SECTION: ClassVar[str] = "indicators"
    PATHS: ClassVar[tuple[str, ...]] = ("path",)

    path: Path = key(check=path, doc="the indicator table (CSV, Excel or Parquet)")
    layout: str = key("long", choice(LAYOUTS), doc="tidy long rows, or one column per indicator")
    sheet: str | int | None = key(None, optional(_sheet), doc="Excel sheet name or number")
    id: str = key("region_id", _COLUMN, doc="column of region codes")
    decimal: str | None = key(None, optional(choice([".", ","])), doc="decimal separator (detected when omitted)")
    encoding: str | None = key(None, optional(_encoding), doc="text encoding (UTF-8, then cp1251, when omitted)")
    delimiter: str | None = key(None, optional(_delimiter), doc="CSV delimiter (detected when omitted)")
    skip_rows: int = key(0, whole(0, what="a number of rows"), doc="title rows above the column names")
    year: int | None = key(None, optional(_YEAR), doc="year of every value of a wide table")
    indicator: str | None = key(None, optional(text(what="an indicator name")),
                                doc="one indicator name for every row")
    unit: str | None = key(None, optional(text(what="a unit")), doc="one unit for every row")
    indicator_column: str | None = key(None, optional(_COLUMN), doc="column holding indicator names")
    year_column: str | None = key(None, optional(_COLUMN), doc="column holding years")
    value_column: str | None = key(None, optional(_COLUMN), doc="column holding values")

    @property
    def renames(self) -> dict[str, str]:
        """Table column -> tidy column, for tables with other column names (e.g. SDMX-CSV)."""
        pairs = ((self.indicator_column, "indicator"), (self.year_column, "year"), (self.value_column, "value"))
        return {column: tidy for column, tidy in pairs if column}

    @property
    def constants(self) -> dict[str, str]:
        """Tidy column -> one value for every row."""
        return {column: value for column, value in (("indicator", self.indicator), ("unit", self.unit)) if value}


@dataclasses.dataclass(frozen=True)
class RobustnessSpec(Spec):
    """``[robustness]``: the Monte Carlo over weights, normalisations and aggregations."""

    SECTION: ClassVar[str] = "robustness"

    draws: int = key(0, whole(2, 100_000, what="a number of draws", also=(0,)), doc="Monte Carlo draws (0 = off)")
    seed: int = key(DEFAULT_SEED, whole(0, what="a whole-number seed"), doc="seed of the draws")
    concentration: float = key(30.0, number(0, 1e6, low_open=True, what="a concentration"),
                               doc="Dirichlet concentration of the weights around the chosen ones")
    normalisations: tuple[str, ...] = key((), items(choice(NORMALISERS), what="a list of normalisations",
                                                    distinct=True),
                                          doc="normalisations drawn from (default: the index's)")
    aggregations: tuple[str, ...] = key((), items(choice(AGGREGATORS), what="a list of aggregations", distinct=True),
                                        doc="aggregations drawn from (default: the index's)")
    stable_at: float = key(0.8, number(0, 1, low_open=True, what="a probability"),
                           doc="a class held in fewer draws than this share is unstable")


class _SourceCheck:
    """``"regions"`` (derive the border from the regions) or the path of a line layer."""

    def __call__(self, value: Any) -> str | Path:
        if value == "regions":
            return "regions"
        try:
            return path(value)
        except Invalid:
            raise Invalid("expected \"regions\" or the path of a border line layer") from None


@dataclasses.dataclass(frozen=True)
class BorderSpec(Spec):
    """``[border]``: the land border, distances and bands."""

    SECTION: ClassVar[str] = "border"
    PATHS: ClassVar[tuple[str, ...]] = ("source",)

    source: str | Path = key("regions", _SourceCheck(), doc="\"regions\", or a line layer of the border")
    layer: str | None = key(None, _LAYER, doc="layer of the border line file")
    country_a: str = key("country_a", _COLUMN, doc="column of the first country of each border line")
    country_b: str = key("country_b", _COLUMN, doc="column of the second country of each border line")
    touch_tolerance_m: float = key(100.0, _METRES, doc="a region this close to the border touches it")
    edge_tolerance_m: float = key(0.0, _METRES, doc="snap tolerance of shared edges")
    distance_origin: str = key("inside_point", choice(DISTANCE_ORIGINS), doc="where distances are measured from")
    distance_method: str = key("planar", choice(DISTANCE_METHODS),
                               doc="planar (the study's CRS) or geodesic (on the ellipsoid, within 0.1 %)")
    bands_km: tuple[float, ...] = key((0.0, 25.0, 50.0, 100.0),
                                      items(number(0, MAX_KM, what="a distance"), min_items=2, increasing=True,
                                            what="a list of distances in km"),
                                      doc="edges of the distance bands")

    @classmethod
    def _is_path(cls, name: str, value: str) -> bool:
        return value != "regions"

    def _problems(self) -> Iterable[Problem]:
        if self.distance_method == "geodesic" and self.distance_origin == "outline":
            yield Problem("[border] distance_method", self.distance_method,
                          "geodesic distances are measured from points, not from outlines (distance_origin = "
                          "\"outline\")", "set distance_origin to \"inside_point\", \"centroid\" or \"population\", "
                          "or distance_method to \"planar\"")


@dataclasses.dataclass(frozen=True)
class RasterSpec(Spec):
    """``[raster]``: the population raster and the distance raster."""

    SECTION: ClassVar[str] = "raster"
    PATHS: ClassVar[tuple[str, ...]] = ("population",)

    population: Path | None = key(None, optional(path), doc="GeoTIFF of population counts")
    within_km: float = key(25.0, number(0, MAX_KM, low_open=True, what="a distance in km"),
                           doc="population within this distance of a land border")
    threshold_pct: float = key(50.0, number(0, 100, low_open=True, what="a percentage"),
                               doc="border region: touches the border, or more of its people within within_km")
    distance_raster: bool = key(False, boolean, doc="write a GeoTIFF of the distance to the border")
    resolution_m: float = key(5000.0, number(1, MAX_KM * 1000, what="a cell size in metres"),
                              doc="cell size of the distance raster")


@dataclasses.dataclass(frozen=True)
class GapsSpec(Spec):
    """``[gaps]``: neighbours, spatial statistics and published pair figures."""

    SECTION: ClassVar[str] = "gaps"
    PATHS: ClassVar[tuple[str, ...]] = ("extra_links", "published")

    contiguity: str = key("rook", choice(CONTIGUITY), doc="shared edges only, or point contacts too")
    extra_links: Path | None = key(None, optional(path), doc="table of extra neighbour pairs (ferries...)")
    permutations: int = key(999, whole(1, 99_999, what="a number of permutations"),
                            doc="permutations of Moran's I and LISA")
    seed: int = key(DEFAULT_SEED, whole(0, what="a whole-number seed"), doc="seed of the permutations")
    lisa_correction: str = key("fdr", choice(LISA_CORRECTIONS),
                               doc="LISA clusters: Benjamini-Hochberg false discovery rate (\"fdr\") or \"none\"")
    significance: float = key(0.05, number(0, 1, low_open=True, high_open=True, what="a significance level"),
                              doc="largest q-value (fdr) or pseudo p-value (none) of a LISA cluster")
    published: Path | None = key(None, optional(path), doc="published country-pair figures joined to segments")
    population_indicator: str = key("population_1_january", text(what="an indicator name"),
                                    doc="indicator of the population weights")


@dataclasses.dataclass(frozen=True)
class TradeSpec(Spec):
    """``[trade]``: trade flows and trade indicators."""

    SECTION: ClassVar[str] = "trade"
    PATHS: ClassVar[tuple[str, ...]] = ("published", "indicators", "countries")

    published: Path | None = key(None, optional(path), doc="published trade figures (flows)")
    indicators: Path | None = key(None, optional(path), doc="table of trade flows (default: the indicator table)")
    countries: Path | None = key(None, optional(path), doc="country outlines for country-level flows")
    countries_layer: str | None = key(None, _LAYER, doc="layer of the countries file")
    year: int | None = key(None, optional(_YEAR), doc="year of the regions' trade indicators")
    flow_type: str = key("turnover", choice(FLOW_TYPES), doc="flow type set beside the divide")

    @property
    def active(self) -> bool:
        """Whether the study has trade flows to compute."""
        return self.published is not None


@dataclasses.dataclass(frozen=True)
class OutputsSpec(Spec):
    """``[outputs]``: the file names written into the output folder."""

    SECTION: ClassVar[str] = "outputs"

    map: str = key("borderland_map.html", file_name(".html"), doc="the interactive map")
    geopackage: str = key("borderland.gpkg", file_name(".gpkg"), doc="the styled GeoPackage")
    distance_raster: str = key("distance_to_border.tif", file_name(".tif"), doc="the distance raster")

    def _problems(self) -> Iterable[Problem]:
        names = [self.map, self.geopackage, self.distance_raster]
        if len({n.lower() for n in names}) != len(names):
            yield Problem("[outputs]", None, f"the output names {shown(names)} repeat", "give each its own name",
                          show_value=False)


@dataclasses.dataclass(frozen=True)
class AttributionSpec(Spec):
    """``[attribution]``: credits printed on the map and stored in the GeoPackage."""

    SECTION: ClassVar[str] = "attribution"

    lines: tuple[str, ...] = key((), items(text(what="a credit line"), what="a list of credit lines"),
                                 doc="credit lines")


@dataclasses.dataclass(frozen=True)
class ComputeSpec(Spec):
    """``[compute]``: where the heavy steps run (:mod:`borderland.compute`)."""

    SECTION: ClassVar[str] = "compute"

    scheduler: str | None = key(None, optional(text(what="\"local\" or the address of a dask scheduler",
                                                     pattern=r"local|(tcp|tls|inproc|ucx)://\S+",
                                                     hint="e.g. \"local\" or \"tcp://scheduler:8786\"")),
                                doc="a dask scheduler (\"tcp://host:8786\") or \"local\"; this process when omitted")
    workers: int = key(2, whole(1, 1024, what="a number of worker processes"), doc="workers of a local cluster")
    memory_per_worker: str = key("2GB", text(what="a memory size such as \"2GB\"",
                                             pattern=r"\d+(\.\d+)?\s*(kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)"),
                                 doc="memory limit of each worker of a local cluster")
    chunk_regions: int = key(CHUNK_REGIONS, whole(1, 10**9, what="a number of regions"),
                             doc="regions per task of shared edges and zonal statistics (the same tasks here and on "
                                 "a cluster; zonal sums are added chunk by chunk, so another size may change them in "
                                 "the last digits)")


#: How ``borderland trend`` puts every year on one scale (:mod:`borderland.trend`): the min and
#: max of a base year, the components' goalposts, or the min and max of every year together.
TREND_SCALES: Final = ("base_year", "goalposts", "pooled")
#: What ``borderland trend`` does with a year a region has no value in: nothing, or a straight
#: line between its observed years before and after (marked as interpolated).
TREND_INTERPOLATIONS: Final = ("none", "linear")
#: Weights of the Theil index over the years: each region's population, or each region once.
TREND_THEIL_WEIGHTS: Final = ("population", "equal")
#: The most small-multiple maps ``borderland trend`` draws.
TREND_MAX_MAPS: Final = 9


def _year_span(value: Any) -> tuple[int, int]:
    """``"FIRST:LAST"`` (e.g. ``"2006:2025"``) or ``[FIRST, LAST]``, as the first and last year."""
    expected = "expected the first and last year as \"FIRST:LAST\", e.g. \"2006:2025\" (or [2006, 2025])"
    if isinstance(value, str) and value.count(":") == 1:
        parts: list[Any] = [part.strip() for part in value.split(":")]
        parts = [int(part) if part.isdigit() else part for part in parts]
    elif isinstance(value, list | tuple) and len(value) == 2:
        parts = list(value)
    else:
        raise Invalid(expected)
    try:
        first, last = (_YEAR(part) for part in parts)
    except Invalid:
        raise Invalid(expected) from None
    if first >= last:
        raise Invalid(expected, "the first year comes before the last; a trend needs two years at least")
    return int(first), int(last)


@dataclasses.dataclass(frozen=True)
class TrendSpec(Spec):
    """``[trend]``: the study over the years (``borderland trend``)."""

    SECTION: ClassVar[str] = "trend"

    years: tuple[int, int] | None = key(None, optional(_year_span),
                                        doc="first and last year, \"2006:2025\" (every year with data when omitted)")
    scale: str = key("base_year", choice(TREND_SCALES),
                     doc="one scale for every year: a base year's min and max, the goalposts, or all years' (pooled)")
    base_year: int | None = key(None, optional(_YEAR),
                                doc="the year whose min and max fix the scale (the run's index year when omitted)")
    components: tuple[str, ...] = key((), items(text(what="a component name"), what="a list of component names",
                                                distinct=True),
                                      doc="the [index] components followed over the years (all when empty)")
    min_regions_per_side: int = key(3, whole(1, 100_000, what="a number of regions"),
                                    doc="a year with fewer indexed regions on a side is left out (and listed)")
    interpolate: str = key("none", choice(TREND_INTERPOLATIONS),
                           doc="fill a year between two observed ones (\"linear\", marked) or not (\"none\")")
    closed_below: float = key(0.05, number(0, 1e6, what="an absolute gap in index points"),
                              doc="a gap at most this large (index points) in the last year counts as closed")
    confidence: float = key(0.95, number(0, 1, low_open=True, high_open=True, what="a confidence level"),
                            doc="level of the slopes' confidence intervals")
    map_years: tuple[int, ...] = key((), items(_YEAR, what="a list of years", increasing=True),
                                     doc="years of the small-multiple maps (up to four kept years when empty)")
    theil_weights: str = key("population", choice(TREND_THEIL_WEIGHTS),
                             doc="weights of the Theil index: [gaps] population_indicator, or each region once")
    flag_column: str | None = key(None, optional(_COLUMN),
                                  doc="column of the indicator table holding observation flags (Eurostat's OBS_FLAG)")
    break_flags: tuple[str, ...] = key(("b",), items(text(what="a flag"), what="a list of flags"),
                                       doc="flags of flag_column that mark a break in a series")

    def _problems(self) -> Iterable[Problem]:
        if self.years is not None:
            first, last = self.years
            if self.base_year is not None and not first <= self.base_year <= last:
                yield Problem(self.where("base_year"), self.base_year,
                              f"lies outside [trend] years = \"{first}:{last}\"",
                              "choose a base year within the years, or widen them")
            outside = [y for y in self.map_years if not first <= y <= last]
            if outside:
                yield Problem(self.where("map_years"), list(self.map_years),
                              f"{shown(outside)} lie outside [trend] years = \"{first}:{last}\"",
                              "choose map years within the years")
        if len(self.map_years) > TREND_MAX_MAPS:
            yield Problem(self.where("map_years"), list(self.map_years),
                          f"expected at most {TREND_MAX_MAPS} years (one small map each)", "choose fewer years")


#: The plain sections: name -> spec class (index and typology have parsers of their own).
SECTIONS: Final[Mapping[str, type[Spec]]] = {
    "study": StudySection, "regions": RegionsSpec, "indicators": IndicatorsSpec, "robustness": RobustnessSpec,
    "border": BorderSpec, "raster": RasterSpec, "gaps": GapsSpec, "trade": TradeSpec, "outputs": OutputsSpec,
    "attribution": AttributionSpec, "compute": ComputeSpec, "trend": TrendSpec,
}
_ALL_SECTIONS: Final = ("study", "regions", "indicators", "index", "typology", "robustness", "border", "raster",
                        "gaps", "trade", "outputs", "attribution", "compute", "trend")
#: Sections a study may leave out entirely, so that ``None`` says the study file has none.
_OPTIONAL_SECTIONS: Final = ("trend",)
DEFAULT_TYPOLOGY: Final = TypologySpec("mean_sd", (("k", 0.5),))


@dataclasses.dataclass(frozen=True)
class Study:
    """A whole study: one checked spec per section of the study file.

    Attributes
    ----------
    regions, indicators, index
        The required sections.
    study, typology, robustness, border, raster, gaps, trade, outputs, attribution, compute
        The other sections, with their defaults when absent.
    trend
        ``[trend]``; ``None`` when the study file has no such section (``borderland trend`` then
        takes the defaults of :class:`TrendSpec`, and ``validate`` does not check the trend).
    source_file
        The study file read, if any.
    notes
        Things worth saying about the study that are not errors (e.g. a robustness analysis
        over one component tests nothing).
    """

    regions: RegionsSpec
    indicators: IndicatorsSpec
    index: IndexSpec
    study: StudySection = dataclasses.field(default_factory=StudySection)
    typology: TypologySpec = DEFAULT_TYPOLOGY
    robustness: RobustnessSpec = dataclasses.field(default_factory=RobustnessSpec)
    border: BorderSpec = dataclasses.field(default_factory=BorderSpec)
    raster: RasterSpec = dataclasses.field(default_factory=RasterSpec)
    gaps: GapsSpec = dataclasses.field(default_factory=GapsSpec)
    trade: TradeSpec = dataclasses.field(default_factory=TradeSpec)
    outputs: OutputsSpec = dataclasses.field(default_factory=OutputsSpec)
    attribution: AttributionSpec = dataclasses.field(default_factory=AttributionSpec)
    compute: ComputeSpec = dataclasses.field(default_factory=ComputeSpec)
    trend: TrendSpec | None = None
    source_file: Path | None = None
    notes: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    def __post_init__(self) -> None:
        problems = list(_cross_problems(self))
        if problems:
            raise SpecError("study", problems)
        object.__setattr__(self, "notes", tuple(_notes(self)))

    @property
    def title(self) -> str:
        """The ``[study]`` title."""
        return self.study.title

    @property
    def focus_country(self) -> str | None:
        """The ``[study]`` focus country."""
        return self.study.focus_country

    @property
    def crs(self) -> str:
        """The ``[study]`` CRS."""
        return self.study.crs

    def describe(self) -> str:
        """Which study this is: its title and file."""
        where = f" ({self.source_file})" if self.source_file else ""
        return f"{self.title}{where}"

    def with_values(self, values: Mapping[str, Any]) -> Study:
        """A copy with some keys replaced, checked as in a study file.

        Parameters
        ----------
        values
            ``"section.key"`` -> value, e.g. ``{"robustness.draws": 500, "index.normalisation":
            "rank"}``. ``None`` leaves a key as it is.

        Returns
        -------
        Study
            The changed study.

        Raises
        ------
        SpecError
            Listing every unknown key and refused value.

        Examples
        --------
        >>> load_study().with_values({"robustness.draws": 10}).robustness.draws
        10
        """
        changes: dict[str, dict[str, Any]] = {}
        problems: list[Problem] = []
        for dotted, value in values.items():
            if value is None:
                continue
            section, _, name = dotted.partition(".")
            if section not in _ALL_SECTIONS or not name:
                problems.append(Problem(f"[{section}] {name}", value, "unknown key", show_value=False))
                continue
            changes.setdefault(section, {})[name] = value
        replaced: dict[str, Any] = {}
        for section, new in changes.items():
            current = getattr(self, section)
            if current is None:  # an optional section the study file leaves out: its defaults
                current = SECTIONS[section]()
            if section == "typology":
                replaced[section] = _typology_with(current, new, problems)
                continue
            known = {f.name for f in dataclasses.fields(current)}
            unknown = [name for name in new if name not in known]
            problems += [Problem(f"[{section}] {name}", new[name], unknown_keys(name, known)) for name in unknown]
            try:
                replaced[section] = dataclasses.replace(current, **{k: v for k, v in new.items() if k in known})
            except SpecError as exc:
                problems += exc.problems
            except SchemaError as exc:
                problems.append(Problem(f"[{section}]", None, str(exc), show_value=False))
        if problems:
            raise SpecError("study options", problems)
        return dataclasses.replace(self, **replaced)


def _typology_with(current: TypologySpec, new: Mapping[str, Any], problems: list[Problem]) -> TypologySpec:
    """A typology with its method and options replaced (a new method starts from its own defaults)."""
    method = new.get("method", current.method)
    options = dict(current.kwargs) if method == current.method else {}
    options.update({k: v for k, v in new.items() if k not in ("method", "labels")})
    table = {"method": method, "labels": list(new.get("labels", current.labels)), **options}
    try:
        return typology_from_dict(table)
    except SchemaError as exc:
        lines = [line.strip().removeprefix("- ") for line in str(exc).splitlines()[1:]] or [str(exc)]
        problems.extend(Problem("[typology]", None, line.removeprefix("[typology] "), show_value=False)
                        for line in lines if line)
        return current


def _cross_problems(study: Study) -> Iterable[Problem]:
    """Rules that span sections."""
    if study.border.distance_origin == "population" and study.raster.population is None:
        yield Problem(BorderSpec.where("distance_origin"), "population",
                      "the population-weighted distance needs a population raster",
                      "set [raster] population = \"<GeoTIFF>\" or choose distance_origin = \"inside_point\"")
    yield from robustness_problems(study.index, study.robustness)
    if study.trend is not None:
        yield from trend_problems(study.index, study.trend)


def trend_problems(spec: IndexSpec, trend: TrendSpec) -> list[Problem]:
    """What in ``[trend]`` the ``[index]`` section cannot give (nothing is read or computed).

    Parameters
    ----------
    spec
        The index.
    trend
        The trend settings.

    Returns
    -------
    list of Problem
        Components ``[trend]`` names that ``[index]`` lacks; goalposts missing for ``scale =
        "goalposts"``; a component whose year rule fixes its year (it could not change over the
        years).
    """
    names = [c.name for c in spec.components]
    problems = []
    unknown = [n for n in trend.components if n not in names]
    if unknown:
        problems.append(Problem(TrendSpec.where("components"), list(trend.components),
                                f"{shown(unknown)} are not [index] components; they are {shown(names)}",
                                "name components of [index]"))
        return problems
    chosen = [c for c in spec.components if not trend.components or c.name in trend.components]
    if trend.scale == "goalposts":
        lacking = [c.name for c in chosen if c.goalposts is None]
        if lacking:
            problems.append(Problem(TrendSpec.where("scale"), "goalposts", f"component(s) {shown(lacking)} have no "
                                    "goalposts", "add goalposts = [low, high] to each in [[index.components]], or "
                                    "set [trend] scale = \"base_year\""))
    fixed = [f"{c.name} (year = {c.year_rule.year})" for c in chosen if c.year_rule.year is not None]
    if fixed:
        problems.append(Problem(TrendSpec.where("components"), list(trend.components) or None,
                                f"{', '.join(fixed)} take(s) one fixed year, so the value cannot change over the years",
                                "leave the component out of [trend] components, or drop its year", show_value=False))
    return problems


def robustness_problems(spec: IndexSpec, robustness: RobustnessSpec) -> list[Problem]:
    """Robustness scenarios that cannot be computed with the index as specified (nothing is computed).

    Each normalisation x aggregation scenario the Monte Carlo draws from must be a valid index:
    e.g. z-scores are negative, so a geometric mean cannot take them.

    Parameters
    ----------
    spec
        The index.
    robustness
        The robustness settings.

    Returns
    -------
    list of Problem
        One per scenario that cannot run, naming the key to change.
    """
    if robustness.draws == 0:
        return []
    problems = []
    for normalisation in robustness.normalisations or (spec.normalisation,):
        for aggregation in robustness.aggregations or (spec.aggregation,):
            if (normalisation, aggregation) == (spec.normalisation, spec.aggregation):
                continue  # the index itself: checked by [index]
            try:
                dataclasses.replace(spec, normalisation=normalisation, aggregation=aggregation)
            except SpecError as exc:
                reason = "; ".join(p.expected for p in exc.problems)
                culprit = "normalisations" if normalisation != spec.normalisation else "aggregations"
                dropped = normalisation if culprit == "normalisations" else aggregation
                listed = robustness.normalisations if culprit == "normalisations" else robustness.aggregations
                problems.append(Problem(
                    RobustnessSpec.where(culprit), listed,
                    f"the scenario {normalisation} x {aggregation} cannot be computed ({reason})",
                    f"drop {shown(dropped)} from [robustness] {culprit}",
                ))
    return problems


def _notes(study: Study) -> Iterable[str]:
    if study.robustness.draws and len(study.index.components) == 1 \
            and not ({n for n in study.robustness.normalisations} - {study.index.normalisation}) \
            and not ({a for a in study.robustness.aggregations} - {study.index.aggregation}):
        yield ("[robustness] draws: the index has one component and one normalisation, so the Monte Carlo "
               "varies nothing and tests nothing; add components or normalisations, or set draws = 0")


# -- reading -----------------------------------------------------------------------------------


def load_study(path: str | os.PathLike[str] | None = None) -> Study:
    """Read and check a study file; ``None`` gives the bundled default study.

    Parameters
    ----------
    path
        A TOML study file. Relative paths inside it resolve against its folder.

    Returns
    -------
    Study
        The checked study.

    Raises
    ------
    InputError
        The file does not exist.
    SpecError
        Every problem in the file, at once.

    Examples
    --------
    >>> study = load_study()
    >>> study.focus_country, study.raster.within_km, study.robustness.draws
    ('RU', 25.0, 1000)
    """
    file = Path(path) if path is not None else io.bundled("study.toml")
    if not file.is_file():
        where = "" if file.parent.is_dir() else f" (nor its folder {str(file.parent)!r})"
        # a checkout's path ("geodata/europe/study.toml", as the README writes it) for an installed user
        copy = io.package_data("geodata") / file.as_posix().rpartition("geodata/")[2]
        fix = (f"the bundled one is {str(copy)!r} (`borderland datasets` lists them)"
               if "geodata/" in file.as_posix() and copy.is_file() else "create one with `borderland init DIR`")
        raise InputError(f"study file {str(file)!r} does not exist{where}; {fix}")
    try:
        # utf-8-sig: Windows editors start a UTF-8 file with a byte order mark, which TOML does not allow
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        problem = Problem(file.name, None, f"not valid TOML: {exc}", "fix the syntax at that line", show_value=False)
        raise SpecError(f"study file {str(file)!r}", [problem]) from None
    except UnicodeDecodeError:
        problem = Problem(file.name, None, "not UTF-8 text", "save the study file as UTF-8", show_value=False)
        raise SpecError(f"study file {str(file)!r}", [problem]) from None
    return study_from_dict(data, folder=file.parent.resolve(), source_file=file.resolve())


def study_from_dict(data: Mapping[str, Any], *, folder: Path, source_file: Path | None = None) -> Study:
    """Build a :class:`Study` from a parsed study file, reporting every problem at once.

    Parameters
    ----------
    data
        The parsed TOML.
    folder
        Relative paths resolve against it.
    source_file
        The file, for messages.

    Returns
    -------
    Study
        The checked study.
    """
    problems: list[Problem] = []
    for section in data:
        if section not in _ALL_SECTIONS:
            hint = unknown_keys(section, _ALL_SECTIONS).replace("unknown key", "unknown section").replace(
                "keys are", "sections are")
            problems.append(Problem(f"[{section}]", None, hint, show_value=False))
    parts: dict[str, Any] = {}
    # in the file's order, so that the report reads like the file
    for section in sorted(SECTIONS, key=lambda name: list(data).index(name) if name in data else len(data)):
        if section in _OPTIONAL_SECTIONS and section not in data:
            continue
        try:
            parts[section] = SECTIONS[section].from_table(data.get(section, {}), folder)
        except SpecError as exc:
            problems += exc.problems
    if "index" not in data:
        problems.append(Problem("[index]", None, "the section is missing: the index needs at least one component",
                                "add [[index.components]] tables (see the bundled study.toml)", show_value=False))
    else:
        try:
            parts["index"] = index_spec_from_dict(data["index"])
        except SpecError as exc:
            problems += exc.problems
    try:
        parts["typology"] = typology_from_dict(data["typology"]) if "typology" in data else DEFAULT_TYPOLOGY
    except SchemaError as exc:
        lines = [line.strip().removeprefix("- ") for line in str(exc).splitlines()[1:]] or [str(exc)]
        problems += [Problem("[typology]", None, line.removeprefix("[typology] "), show_value=False)
                     for line in lines if line]
    heading = f"study file {str(source_file)!r}" if source_file else "study"
    if problems:
        raise SpecError(heading, problems)
    try:
        return Study(**parts, source_file=source_file)
    except SpecError as exc:
        raise SpecError(heading, exc.problems) from None


def option_check(dotted: str) -> Check:
    """The check of one study key, ``"section.key"``: command-line options that override it use it.

    Examples
    --------
    >>> option_check("robustness.draws")(500)
    500
    """
    section, _, name = dotted.partition(".")
    spec_class = SECTIONS.get(section)
    if spec_class is not None:
        return lambda value: spec_class.check_value(name, value)
    if section == "index":
        def check_index(value: Any) -> Any:
            valid = {"normalisation": NORMALISERS, "aggregation": AGGREGATORS}
            if name in valid:
                return choice(valid[name])(value)
            return value

        return check_index
    raise KeyError(dotted)


# -- a study of files given on the command line ------------------------------------------------


def files_study(
    base: Study, *, regions: Path | None = None, indicators: Path | None = None,
    values: Mapping[str, Any] | None = None, from_file: bool = True, components: Iterable[str] = (),
) -> Study:
    """A study for files given as arguments: ``base``'s settings with the given files.

    Without a study file (``from_file`` false), files given on the command line replace the
    bundled study's data entirely: its focus country, country outlines and published figures
    belong to its own regions, so they are cleared; so are its title, credits and ``[trend]``.

    ``components`` are the index components (``--components``): each a component of the study
    file of that name, else a new one whose indicator has that name. Without a study file the
    bundled study's components are those of its own table, so the caller gives the components
    of the table given (:func:`borderland.commands.study_for` takes its indicators).

    Parameters
    ----------
    base
        The study file's study, or the bundled one.
    regions, indicators
        The files given.
    values
        Other keys given (``"regions.id"``, ``"indicators.decimal"``...).
    from_file
        Whether ``base`` came from a study file the user named.
    components
        The index components by name (empty: ``base``'s).

    Raises
    ------
    UsageError
        A region layer without an indicator table when no study file is named.

    Examples
    --------
    >>> study = files_study(load_study(), regions=Path("r.gpkg"), indicators=Path("t.csv"), from_file=False,
    ...                     components=["access", "broadband"])
    >>> [c.name for c in study.index.components], study.title, study.attribution.lines
    (['access', 'broadband'], 'r.gpkg and t.csv', ())
    """
    changes = dict(values or {})
    if regions is not None:
        changes["regions.path"] = Path(regions).resolve()
    if indicators is not None:
        changes["indicators.path"] = Path(indicators).resolve()
    if not from_file and regions is not None:
        if indicators is None:
            raise UsageError("--regions without a study file needs --indicators too: the bundled study's indicators "
                             "belong to its own regions; pass --indicators FILE or a study file")
        # the bundled study's settings, none of its other data
        base = dataclasses.replace(
            base, study=dataclasses.replace(base.study, focus_country=None, countries=None, countries_layer=None),
            regions=dataclasses.replace(base.regions, layer=None, exclude=()),
            gaps=dataclasses.replace(base.gaps, published=None, extra_links=None),
            trade=dataclasses.replace(base.trade, published=None, indicators=None, countries=None, year=None),
            raster=dataclasses.replace(base.raster, population=None),
            border=dataclasses.replace(base.border, distance_origin="inside_point"
                                       if base.border.distance_origin == "population" else base.border.distance_origin),
        )
    if not from_file and (regions is not None or indicators is not None):
        # the bundled study's title, credits and [trend] describe its own data
        title = " and ".join(Path(p).name for p in (regions, indicators) if p is not None)
        base = dataclasses.replace(base, study=dataclasses.replace(base.study, title=title),
                                   attribution=AttributionSpec(), trend=None)
    names = list(dict.fromkeys(components))
    if names:
        # a study's components keep their settings; the bundled study's describe its own table, not one given
        have = {c.name: c for c in base.index.components} if from_file or indicators is None else {}
        chosen = tuple(have.get(name) or IndicatorSpec(name, (name,)) for name in names)
        base = dataclasses.replace(base, index=dataclasses.replace(base.index, components=chosen))
    return base.with_values(changes)


# -- a study to start from ---------------------------------------------------------------------

_TEMPLATE_FILES: Final = ("study.toml", "regions.gpkg", "indicators.csv", "countries.gpkg", "published_figures.csv",
                          "population_gpw_v4_2000_15min.tif")


def init_study(folder: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Write a commented study file and the bundled sample data into ``folder`` to start from.

    Every file is staged and moved into place together: an existing file is replaced only with
    ``overwrite``, and a failure leaves the folder as it was.

    Parameters
    ----------
    folder
        Where to write (created when missing).
    overwrite
        Replace files that exist already.

    Returns
    -------
    list of Path
        The written files, the study file first.
    """
    from borderland.outputs import OutputSet

    with OutputSet(Path(folder), _TEMPLATE_FILES, overwrite=overwrite) as out:
        for name in _TEMPLATE_FILES:
            shutil.copyfile(io.bundled(name), out.path(name))
    return [Path(folder) / name for name in _TEMPLATE_FILES]

