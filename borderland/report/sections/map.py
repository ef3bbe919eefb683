"""The report's map: the interactive map and its static twin, from one map model.

The model is drawn in the report's language (:func:`borderland.report.maplabels.localise_model`),
so both maps show the same classes, colours and words.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Final

from borderland.report.document import Html, MapFigure, Section, Source
from borderland.report.sections.context import _Context

__all__ = ["MAP_KINDS", "MAP_PREFIX", "map_section"]


#: Kinds of the report's map, in order (those the run has): the typology is shown first.
MAP_KINDS: Final = ("typology", "index", "uncertainty", "rings", "gaps")
#: The id prefix of the map fragment (letters and digits: it starts every id and script name).
MAP_PREFIX: Final = "blrmap"


def map_section(ctx: _Context) -> Section:
    """The map: the interactive fragment and the static SVG of one localised model."""
    from borderland import maps
    from borderland.report.maplabels import localise_model

    result, study = ctx.result, ctx.result.study
    regions = result.regions
    present = {"typology": "typology" in regions.columns, "index": True,
               "uncertainty": "p_typology" in regions.columns and regions["p_typology"].notna().any(),
               "rings": "border_order" in regions.columns, "gaps": True}
    kinds = [kind for kind in MAP_KINDS if present[kind]]
    units = {c.name: c.unit for c in study.index.components if c.unit}
    spec = maps.MapSpec(kinds=kinds, units=units, title=f"{study.title} ({result.year})",
                        attribution=study.attribution.lines, fragment=True, id_prefix=MAP_PREFIX,
                        stable_probability=study.robustness.stable_at, typology_labels=study.typology.labels)
    model = localise_model(maps.map_model(regions, result.border_lines, result.pairs, spec=spec,
                                          countries=result.countries), ctx.lang)
    interactive = maps.html_fragment(model)
    with tempfile.TemporaryDirectory(prefix="borderland-report-") as folder:
        path = maps.write_image(model, Path(folder) / "map.svg")
        static = _inline_svg(path.read_text(encoding="utf-8"), "static")
    if ctx.lang == "ru":  # the scale bar's unit, the one word of the static map that is not the model's
        static = re.sub(r">([\d.,]+) km<", r">\1 км<", static)
    caption = ctx.t("fig_map", title=study.title, year=ctx.locale.plain(result.year))
    figure = MapFigure("map", caption, Source("regions", note=ctx.t("map_layers", gpkg=ctx.gpkg)),
                       Html(interactive), Html(static))
    return Section("map", ctx.t("sec_map"), (figure,))


def _inline_svg(svg: str, prefix: str) -> str:
    """Matplotlib's SVG file as an element of the page: ids prefixed, styles scoped, the page's font, lighter.

    Its ids (``figure_1``, ``patch_1``) would repeat on a page of several SVGs; its global
    ``*{...}`` style would reach the whole page; its text names DejaVu Sans, which the page
    embeds as Borderland Sans; six decimals of a point are a thousandth of a millimetre.
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = svg.replace("*{", f".{prefix}-map *{{")
    svg = svg.replace("font-family: 'DejaVu Sans'", "font-family: 'Borderland Sans', 'DejaVu Sans', sans-serif")
    svg = re.sub(r"<svg ([^>]*?)\bwidth=\"[^\"]*\" height=\"[^\"]*\"", rf'<svg class="{prefix}-map" \1', svg, count=1)
    # coordinates to a hundredth of a point, in attribute values only (a legend's "0.501" is text)
    svg = re.sub(r'="[^"]*"', lambda m: re.sub(r"(\d\.\d\d)\d+", r"\1", m.group(0)), svg)
    return re.sub(r"\n\s*", "\n", svg).strip()
