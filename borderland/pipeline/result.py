"""What a run produced: every stage's results, the regions frame assembled from them, and their summaries.

:class:`StudyResult` is plain data (frozen, picklable) under the names the README's Python API
uses, with the terminal's summaries; the views that need a writer (the report, a notebook's
display) belong to :class:`borderland.api.StudyResult`, which extends it at the top of the data
flow. Only the pipeline assembles the regions frame (:func:`_assemble`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from borderland import coherence, indicators, layers, neighbours, robustness, spatial
from borderland.comparability import ComparabilityResult
from borderland.errors import BorderlandError
from borderland.index import IndexResult
from borderland.pipeline.inputs import Inputs
from borderland.pipeline.stages import BorderStage, GapsStage, IndexStage, TradeStage
from borderland.pipeline.statistics import _lisa_line, _number, statistics_table
from borderland.specs import printable
from borderland.study import Study

__all__ = ["StudyResult"]


@dataclass(frozen=True)
class StudyResult:
    """What a run produced: every stage's results, and the regions frame assembled from them.

    Plain data, what :func:`borderland.pipeline.run` returns; :class:`borderland.StudyResult`
    (from :func:`borderland.run`) is this result with its report and a notebook's display.

    Attributes
    ----------
    study
        The study run.
    inputs
        The load stage's inputs.
    regions
        One row per region: inputs, index components (raw values of ``year``), ``index``,
        ``typology``, class probabilities, ``border_distance_km``, ``border_order``,
        population near the border, local deviation, LISA, trade indicators.
    index_stage, border_stage, gaps_stage, trade_stage
        Each stage's results (``None`` for a stage not run).
    notes
        What a user should know that is not an error.
    timings
        Seconds spent in each stage.
    """

    study: Study
    inputs: Inputs
    regions: gpd.GeoDataFrame
    index_stage: IndexStage | None = None
    border_stage: BorderStage | None = None
    gaps_stage: GapsStage | None = None
    trade_stage: TradeStage | None = None
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    # the stages' results under the names the README's Python API uses

    @property
    def year(self) -> int:
        """The indicator year."""
        return self._index.year

    @property
    def year_counts(self) -> pd.DataFrame:
        """Per candidate year, regions with complete data."""
        return self._index.year_counts

    @property
    def join(self) -> indicators.JoinReport:
        """How the indicator codes met the region codes."""
        return self.inputs.join

    @property
    def repair(self) -> layers.RepairReport:
        """What the geometry repair changed."""
        return self.inputs.repair

    @property
    def countries(self) -> gpd.GeoDataFrame | None:
        """Country outlines (projected)."""
        return self.inputs.countries

    @property
    def index_result(self) -> IndexResult:
        """The index with its normalised scores, weights and imputation flags."""
        return self._index.built

    @property
    def coherence(self) -> coherence.CoherenceReport | None:
        """Correlations of the components and Cronbach's alpha."""
        return self._index.coherence

    @property
    def uncertainty(self) -> robustness.UncertaintyResult | None:
        """The Monte Carlo robustness."""
        return self._index.uncertainty

    @property
    def border_lines(self) -> gpd.GeoDataFrame:
        """Land border lines, one row per segment."""
        return self._border.lines

    @property
    def bands(self) -> gpd.GeoDataFrame | None:
        """Distance bands along the border."""
        return self._border.bands

    @property
    def profile(self) -> pd.DataFrame | None:
        """The index by distance band and side."""
        return self._border.profile

    @property
    def graph(self) -> neighbours.NeighbourGraph:
        """The neighbour graph."""
        return self._border.graph

    @property
    def pairs(self) -> gpd.GeoDataFrame:
        """Adjacent pairs with their gaps."""
        return self._gaps.pairs

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """Summaries per border segment."""
        return self._gaps.segments

    @property
    def moran(self) -> spatial.MoranResult | None:
        """Global Moran's I of the index."""
        return self._gaps.moran

    @property
    def theil(self) -> pd.DataFrame | None:
        """The Theil decomposition: one row per measure, partition and part (between, within)."""
        return self._gaps.theil

    @property
    def statistics(self) -> pd.DataFrame:
        """Every global statistic of the run, one row each (:func:`statistics_table`)."""
        return statistics_table(self)

    @property
    def comparability(self) -> ComparabilityResult | None:
        """Comparable definitions across the border (``None`` when the gaps stage was not run)."""
        return self.gaps_stage.comparability if self.gaps_stage is not None else None

    @property
    def flows(self) -> gpd.GeoDataFrame | None:
        """Trade flow lines."""
        return self.trade_stage.flows if self.trade_stage else None

    @property
    def flow_report(self) -> Any:
        """How the trade flows were matched."""
        return self.trade_stage.report if self.trade_stage else None

    @property
    def trade_pairs(self) -> pd.DataFrame | None:
        """Trade beside the gap per pair."""
        return self.trade_stage.pairs if self.trade_stage else None

    @property
    def trade_segments(self) -> pd.DataFrame | None:
        """Trade beside the gap per segment."""
        return self.trade_stage.segments if self.trade_stage else None

    @property
    def trade_association(self) -> Any:
        """The association of trade with the gap."""
        return self.trade_stage.association if self.trade_stage else None

    @property
    def _index(self) -> IndexStage:
        if self.index_stage is None:
            raise BorderlandError("the index stage was not run")
        return self.index_stage

    @property
    def _border(self) -> BorderStage:
        if self.border_stage is None:
            raise BorderlandError("the border stage was not run")
        return self.border_stage

    @property
    def _gaps(self) -> GapsStage:
        if self.gaps_stage is None:
            raise BorderlandError("the gaps stage was not run")
        return self.gaps_stage

    def stage_times(self) -> str:
        """Seconds per stage, for ``borderland -v``."""
        return "time per stage: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings.items())

    def index_summary(self, top: int = 3) -> str:
        """Leaders and laggards on each side, with their class probabilities when measured."""
        r = self.regions.dropna(subset=["index"])
        focus = self.study.focus_country
        labels = self.study.typology.labels
        sides = [(focus, r["country"].eq(focus)), ("others", ~r["country"].eq(focus))] if focus else [("all", None)]
        lines = [f"index {self.year}: {len(r)} regions; typology rule {self.study.typology.method} "
                 f"{dict(self.study.typology.options)}"]
        for label, mask in sides:
            part = (r if mask is None else r[mask]).sort_values("index", ascending=False)
            if part.empty:
                continue
            lines.append(f"{label}: leaders and laggards")
            for code, row in pd.concat([part.head(top), part.tail(top)]).drop_duplicates().iterrows():
                extra = ""
                if "p_typology" in row and pd.notna(row.get("p_typology")):
                    probs = " / ".join(f"{row[f'p_{c}']:.2f}" for c in labels if f"p_{c}" in row)
                    extra = (f", rank {row['rank_median']:.0f} ({row['rank_p05']:.0f}-{row['rank_p95']:.0f}), "
                             f"P({' / '.join(labels)}) = {probs}")
                lines.append(f"  {printable(str(row['name']))} ({printable(str(code))}): {row['index']:.3f} "
                             f"{row['typology']}{extra}")
        lines += [f"note: {note}" for note in self.notes]
        if self.coherence is not None:
            lines.append(self.coherence.summary())
        if self.uncertainty is not None:
            lines.append(self.uncertainty.summary())
        return "\n".join(lines)

    def border_summary(self) -> str:
        """Border segments, rings, distances and, with a population raster, people near the border."""
        r = self.regions
        lines = ["land border segments: " + ", ".join(
            f"{printable(str(row.segment))} {row.length_km:.0f} km" for row in self.border_lines.itertuples())]
        rings = r["border_order"].value_counts(dropna=False).sort_index()
        lines.append("border rings: " + ", ".join(
            f"{'none' if pd.isna(k) else int(k)}: {n}" for k, n in rings.items()))
        lines.append(f"distance to the border ({self.study.border.distance_origin}): median "
                     f"{r['border_distance_km'].median():.0f} km, max {r['border_distance_km'].max():.0f} km")
        share = next((c for c in r.columns if c.startswith("population_within") and c.endswith("_pct")), None)
        total = next((c for c in r.columns if c.startswith("population_within") and not c.endswith("_pct")), None)
        if share and total:
            within, threshold = self.study.raster.within_km, self.study.raster.threshold_pct
            share_pct = 100 * r[total].sum() / r["population_raster"].sum()
            lines.append(f"people within {within:g} km of the border: {r[total].sum():,.0f} "
                         f"({share_pct:.1f} % of the study's raster population)")
            if "border_region" in r.columns:
                lines.append(f"border regions (Eurostat-style, touching or > {threshold:g} % of people "
                             f"within {within:g} km): {int(r['border_region'].fillna(False).sum())}")
            lines.append("largest shares near the border: " + ", ".join(
                f"{printable(str(r.loc[c, 'name']))} {r.loc[c, share]:.0f} %" for c in r[share].nlargest(5).index))
        if self.profile is not None:
            lines.append("index by distance band and side (population-weighted):")
            lines.append(self.profile.round(3).to_string())
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def gaps_summary(self) -> str:
        """Segments, spatial autocorrelation and inequality decomposition."""
        lines = [self.graph.summary()]
        seg = self.segments.drop(columns="geometry").set_index("segment")
        columns = ["pairs", "pairs_with_gap", "shared_border_km", "mean_gap_length_weighted", "max_abs_gap",
                   "gap_share_pct", "expert_rating_of_crossborder_interaction"]
        lines.append("border segments:")
        lines.append(seg[[c for c in columns if c in seg.columns]].round(3).to_string())
        if self.moran is not None:
            lines.append(self.moran.summary())
        lisa = _lisa_line(self._gaps.lisa)
        if lisa:
            lines.append(lisa)
        lines += [f"note: {note}" for note in self.notes]
        if self.theil is not None:
            lines.append("Theil decomposition (population-weighted; raw components, and the index on a ratio scale "
                         "only):")
            lines.append(self.theil.round(4).to_string())
        return "\n".join(lines)

    def summary(self, top: int = 5) -> str:
        """A short text summary for the terminal."""
        r = self.regions
        labels = list(self.study.typology.labels)
        classes = r["typology"].value_counts().reindex(labels, fill_value=0)
        counts = self.year_counts
        focus_side, other_side = (int(n) for n in counts.loc[self.year, ["focus", "others"]].to_numpy())
        focus = self.study.focus_country
        lines = [
            f"{self.study.title}: {len(r)} regions in {r['country'].nunique()} countries",
            f"indicator year {self.year} (regions with every component: "
            + (f"{focus_side} on the {focus} side, {other_side} on the other side)" if focus else f"{focus_side})"),
            f"index computed for {int(r['index'].notna().sum())} regions; no data for {int(r['index'].isna().sum())}",
            "typology: " + ", ".join(f"{label} {n}" for label, n in classes.items()),
        ]
        if self.gaps_stage is not None:
            cross = self.pairs[self.pairs["cross_border"]]
            with_gap = cross.dropna(subset=["gap"]).nlargest(top, "abs_gap")
            lines.append(f"cross-border pairs: {len(cross)} on {cross['segment'].nunique()} border segments "
                         f"({', '.join(map(printable, sorted(cross['segment'].unique())))}); with an index gap on "
                         "both sides: "
                         f"{int(cross['gap'].notna().sum())}")
        if self.coherence is not None:
            lines.append(self.coherence.summary())
        if self.uncertainty is not None:
            lines.append(self.uncertainty.summary())
        if self.gaps_stage is not None:
            if self.moran is not None:
                lines.append(f"spatial autocorrelation of the index: {self.moran.summary()}")
            if self.segments["gap_share_pct"].notna().any():
                top_segments = self.segments.dropna(subset=["gap_share_pct"]).nlargest(3, "gap_share_pct")
                lines.append("border segments with the largest share of the cross-border gap: " + ", ".join(
                    f"{printable(str(row.segment))} {row.gap_share_pct:.0f} % (mean gap "
                    f"{row.mean_gap_length_weighted:+.3f}, "
                    "weighted by shared length)"
                    for row in top_segments.itertuples()))
            if len(with_gap):
                lines.append("largest cross-border gaps (index, a - b):")
                lines += [f"  {printable(str(p.name_a))} ({printable(str(p.region_a))}) - {printable(str(p.name_b))} "
                          f"({printable(str(p.region_b))}): {p.gap:+.3f}, {p.shared_border_km:.0f} km shared"
                          for p in with_gap.itertuples()]
            lisa = _lisa_line(self._gaps.lisa)
            if lisa:
                lines.append(lisa)
        table = self.statistics
        if len(table):
            lines.append("statistics (the GeoPackage's statistics table, with each one's detail):")
            columns = (table[c].tolist() for c in ("statistic", "variable", "value", "unit"))
            lines += [f"  {statistic}{f' [{variable}]' if variable else ''}: {_number(value)}"
                      + (f" {unit}" if unit else "") for statistic, variable, value, unit in zip(*columns, strict=True)]
        if self.comparability is not None:
            lines.append(self.comparability.summary())
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _assemble(inputs: Inputs, index: IndexStage | None, borders: BorderStage | None, gaps: GapsStage | None,
              trade: TradeStage | None) -> gpd.GeoDataFrame:
    """The regions frame: every per-region result beside the inputs (only the pipeline does this)."""
    regions = inputs.regions
    parts: list[pd.DataFrame | pd.Series] = [regions.drop(columns="geometry")]
    if index is not None:
        built = index.built
        parts += [index.matrix, index.value_years, built.imputed, built.beyond, built.share, built.index,
                  index.classes]
        if index.value_indicators is not None:
            parts.append(index.value_indicators)
        if index.uncertainty is not None:
            parts.append(index.uncertainty.regions)
    if borders is not None:
        parts += [borders.distance, borders.rings, borders.exposure]
    if gaps is not None:
        parts += [gaps.population, gaps.deviation, gaps.lisa]
    if trade is not None and trade.columns is not None:
        parts.append(trade.columns)
    parts.append(regions[["geometry"]])
    frame = pd.concat(parts, axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    if index is not None:
        frame.attrs["index_year"] = index.year
    if gaps is not None:
        frame.attrs["population"] = dict(gaps.population.attrs)
    return frame
