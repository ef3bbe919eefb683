"""Neighbour pairs and the gap in an indicator (or the index) across each shared edge.

libpysal's ``Graph.build_contiguity(by_perimeter=True)`` gives the same pairs and lengths on a
perfect coverage, but it refuses overlapping mixed-source layers, and it has no line geometry,
countries, or orientation of the gap; the pair table here carries all of those.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.border import segment_label
from borderland.layers import require_projected


def adjacent_pairs(
    regions: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, focus_country: str | None = None
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
        Shared edges from :func:`borderland.layers.shared_edges`.
    focus_country
        ISO alpha-2 code of the study's central country.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_a``, ``region_b``, ``name_a``, ``name_b``, ``country_a``, ``country_b``,
        ``cross_border``, ``segment`` (e.g. ``RU-FI``; empty within a country),
        ``shared_border_km`` and the shared line.
    """
    require_projected(regions, edges)
    a, b = edges["region_a"].to_numpy(), edges["region_b"].to_numpy()
    ca = regions["country"].reindex(a).to_numpy()
    cb = regions["country"].reindex(b).to_numpy()
    key_a = np.array([(c != focus_country, c, r) for c, r in zip(ca, a, strict=True)], dtype=object)
    key_b = np.array([(c != focus_country, c, r) for c, r in zip(cb, b, strict=True)], dtype=object)
    swap = np.array([tuple(x) > tuple(y) for x, y in zip(key_a, key_b, strict=True)], dtype=bool)
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    ca, cb = np.where(swap, cb, ca), np.where(swap, ca, cb)
    cross = ca != cb
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
            "shared_border_km": edges["shared_border_km"].to_numpy(),
        },
        geometry=edges.geometry.to_numpy(),
        crs=edges.crs,
    )
    return pairs.sort_values(["cross_border", "segment", "region_a", "region_b"], ascending=[False, True, True, True],
                             ignore_index=True)


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
        Indexed like ``pairs``: ``value_a``, ``value_b``, ``gap`` (a − b: positive when
        region_a leads), ``abs_gap``, and ``leader`` (the code of the leading region; empty for
        ties and missing values). Named after ``values.name`` when it has one
        (``index_a``, ``index_b``...).
    """
    stem = values.name or "value"
    va = values.reindex(pairs["region_a"]).to_numpy(dtype=float)
    vb = values.reindex(pairs["region_b"]).to_numpy(dtype=float)
    gap = va - vb
    leader = np.where(gap > 0, pairs["region_a"], np.where(gap < 0, pairs["region_b"], ""))
    return pd.DataFrame(
        {f"{stem}_a": va, f"{stem}_b": vb, "gap": gap, "abs_gap": np.abs(gap), "leader": leader},
        index=pairs.index,
    )
