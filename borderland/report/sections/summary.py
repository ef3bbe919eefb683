"""The report's key findings, one bullet each.

Coverage and classes, the highest and lowest region of each side, the largest gap and the
segment with the largest share of gaps, the profile by distance band, Moran's I and the LISA
clusters, Theil's between-country share, comparability, coherence and trade.
"""

from __future__ import annotations

import pandas as pd

from borderland.report.document import Bullets, Section
from borderland.report.i18n import Data, Parts, word
from borderland.report.sections.context import _association, _class_counts, _Context, _side_counts

__all__ = ["summary_section"]


def summary_section(ctx: _Context) -> Section:
    """The key findings."""
    items: list[Parts] = []
    regions, indexed = ctx.regions, ctx.indexed
    items.append(ctx.p("find_coverage", indexed=ctx.locale.count(len(indexed)), total=ctx.locale.count(len(regions)),
                       year=ctx.locale.plain(ctx.result.year), sides=_side_counts(ctx, indexed),
                       classes=_class_counts(ctx, indexed["typology"])))
    for side, part in ctx.sides(indexed):
        if part.empty:
            continue
        ordered = part.sort_values("index", ascending=False)
        high, low = ordered.iloc[0], ordered.iloc[-1]
        highest = ctx.p("highest_on_side", side=ctx.side_name(side), name=Data(f"{high['name']} ({high.name})"),
                        value=ctx.locale.fixed(high["index"], 3))
        lowest = ctx.p("lowest_on_side", name=Data(f"{low['name']} ({low.name})"),
                       value=ctx.locale.fixed(low["index"], 3))
        items.append((*highest, "; ", *lowest))
    pairs = ctx.layers.get("neighbour_pairs")
    segments = ctx.layers.get("border_segments")
    if pairs is not None and segments is not None:
        cross = pairs[pairs["cross_border"].astype(bool) & pairs["gap"].notna()]
        ranked = segments.dropna(subset=["gap_share_pct"]).sort_values("gap_share_pct", ascending=False)
        if len(cross) and len(ranked):
            largest = cross.sort_values("abs_gap", ascending=False).iloc[0]
            top = ranked.iloc[0]
            items.append(ctx.p("find_gap", name_a=Data(str(largest["name_a"])), name_b=Data(str(largest["name_b"])),
                               segment=Data(str(largest["segment"])), gap=ctx.locale.signed(largest["gap"], 3),
                               top=Data(str(top["segment"])), share=ctx.locale.pct(top["gap_share_pct"]),
                               mean=ctx.locale.signed(top["mean_gap_length_weighted"], 3)))
    profile = ctx.layers.get("profile")
    if profile is not None and len(profile):
        bands = list(dict.fromkeys(profile["band"].astype(str)))
        sides = []
        for side in dict.fromkeys(profile["side"].astype(str)):
            part = profile[profile["side"].astype(str) == side]
            values = pd.Series(part["index"].to_numpy(), index=part["band"].astype(str).to_numpy())
            sides.append(f"{ctx.side_name(side)} " + ", ".join(ctx.locale.fixed(values.get(b), 3) for b in bands))
        key = "find_profile" if "population" in profile.columns else "find_profile_area"
        items.append(ctx.p(key, bands=", ".join(bands), sides="; ".join(sides)))
    moran = ctx.statistic("moran_i", "index")
    if moran is not None:
        correction = ctx.result.study.gaps.lisa_correction
        items.append(ctx.p("find_moran", i=ctx.locale.fixed(moran, 3),
                           p=ctx.locale.sig(ctx.statistic("moran_p_sim", "index")),
                           permutations=ctx.locale.count(ctx.statistic("moran_permutations", "index")),
                           correction=word(correction, ctx.lang),
                           clusters=ctx.locale.count(ctx.statistic("lisa_clusters", "index")),
                           raw=ctx.locale.count(ctx.statistic("lisa_clusters_uncorrected", "index")),
                           level=ctx.locale.sig(ctx.statistic("lisa_significance", "index"))))
    theil = ctx.layers.get("theil")
    if theil is not None and len(theil):
        between = theil[(theil["partition"] == "country") & (theil["part"] == "between")]
        shares = ", ".join(f"{measure} {ctx.locale.pct(share, 1)}"
                           for measure, share in zip(between["measure"], between["share_pct"], strict=True))
        items.append(ctx.p("find_theil", shares=Data(shares)))
    comparability = ctx.layers.get("comparability")
    if comparability is not None:
        base = comparability[(comparability["scope"] == "pair") & (comparability["scenario"] == "all components")]
        if len(base):
            faulty = base[~base["comparable"].astype("boolean").fillna(True).astype(bool)]
            if len(faulty):
                components = sorted({c.strip() for text_ in faulty["noncomparable_components"].dropna()
                                     for c in str(text_).split(",") if c.strip()})
                items.append(ctx.p("find_comparability", faulty=ctx.locale.count(len(faulty)),
                                   pairs=ctx.locale.count(len(base)), components=Data(", ".join(components))))
            else:
                items.append(ctx.p("find_comparable", pairs=ctx.locale.count(len(base))))
    coherence = ctx.layers.get("coherence")
    if coherence is not None and len(coherence):
        alpha = coherence[coherence["statistic"] == "cronbach_alpha"]["value"]
        redundant = coherence[(coherence["statistic"] == "r") & coherence["flag"].astype(str).str.contains("redundant")]
        named = "; ".join(f"{row.component_a} ~ {row.component_b} r = {ctx.locale.fixed(row.value, 3)}"
                          for row in redundant.itertuples())
        if len(alpha):
            items.append(ctx.p("find_coherence", alpha=ctx.locale.fixed(alpha.iloc[0], 3),
                               pairs=Data(named) if named else ctx.t("none")))
    trade = _trade_association(ctx)
    if trade is not None:
        items.append(trade)
    return Section("summary", ctx.t("sec_summary"), (Bullets(tuple(items)),))


def _trade_association(ctx: _Context) -> Parts | None:
    flows = ctx.layers.get("trade_flows")
    said = _association(ctx)
    if said is None or flows is None:
        return None
    return ctx.p("find_trade", flows=ctx.locale.count(len(flows)), result=said)
