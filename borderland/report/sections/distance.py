"""The report's distance to the border: the index by distance band and side, and its chart."""

from __future__ import annotations

import pandas as pd

from borderland.report import charts
from borderland.report.document import Block, Cell, Column, Figure, Html, Paragraph, Section, Source
from borderland.report.i18n import Data, _float
from borderland.report.sections.context import _Context, _not_run, _str, _table

__all__ = ["distance_section"]


def distance_section(ctx: _Context) -> Section:
    """Distance to the border: the profile table and chart, and a caveat where data are thin."""
    from borderland.maps import LEADER_COLOURS

    profile = ctx.layers.get("profile")
    if profile is None or not len(profile):
        return Section("distance", ctx.t("sec_distance"), (_not_run(ctx, "[border] bands_km"),))
    weight = "population" if "population" in profile.columns else "area_km2"
    columns = [Column(ctx.t("col_band"), "band", code=True), Column(ctx.t("col_side"), "side"),
               Column(ctx.t("col_index"), "index", True),
               Column(ctx.t("col_population") if weight == "population" else ctx.t("col_area"), weight, True),
               Column(ctx.t("col_with_data"), "with_data_pct", True), Column(ctx.t("col_regions"), "regions", True)]
    rows = [[Cell(Data(_str(row["band"]))), Cell(ctx.side_name(_str(row["side"]))), ctx.number("index", row["index"]),
             ctx.number("count", row[weight]), ctx.number("with_data_pct", row["with_data_pct"]),
             ctx.number("count", row["regions"])] for _, row in profile.iterrows()]
    blocks: list[Block] = [_table(ctx, "profile", ctx.t("tab_profile"),
                                  Source("profile", tuple(c.source for c in columns)), columns, rows)]
    bands = list(dict.fromkeys(profile["band"].astype(str)))
    series = []
    for k, side in enumerate(dict.fromkeys(profile["side"].astype(str))):
        part = profile[profile["side"].astype(str) == side]
        values = pd.Series(part["index"].to_numpy(), index=part["band"].astype(str).to_numpy())
        series.append(charts.ChartSeries(ctx.side_name(side), LEADER_COLOURS[k % len(LEADER_COLOURS)],
                                         tuple(_float(values.get(b)) for b in bands)))
    caption = ctx.t("fig_profile", weight=ctx.t("weight_population" if weight == "population" else "weight_area"))
    svg = charts.profile_chart("chart-profile", caption, bands, series, x_label=ctx.t("axis_band"),
                               y_label=ctx.t("axis_index"), locale=ctx.locale)
    blocks.append(Figure("profile", caption, Source("profile", ("band", "side", "index")), Html(svg)))
    thin = []
    for side in dict.fromkeys(profile["side"].astype(str)):
        shares = profile[profile["side"].astype(str) == side]["with_data_pct"]
        if (shares < 50).any():
            thin.append(f"{ctx.side_name(side)}: {', '.join(ctx.locale.pct(v, 0) for v in shares)}")
    if thin:
        blocks.append(Paragraph(ctx.p("profile_caveat", sides="; ".join(thin))))
    return Section("distance", ctx.t("sec_distance"), tuple(blocks))
