"""The tiny world of the map tests, ways to build its model and page, and parsers of the page.

The world: six 10 km squares in EPSG:3035, three in country AA (south row) and three in BB
(north row), so that the state border is the straight line between the rows and each
column is one cross-border pair.

    BB:  B0 (0.2)   B1 (0.6)   B2 (0.1)
    ------------------------------------  state border, 30 km
    AA:  A0 (0.9)   A1 (0.5)   A2 (no data)
"""

from __future__ import annotations

import html
import json
import math
import re
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, box

from borderland import maps

X0, Y0, SIDE = 4_300_000.0, 3_200_000.0, 10_000.0
CODES = ["A0", "A1", "A2", "B0", "B1", "B2"]
INDEX = [0.9, 0.5, np.nan, 0.2, 0.6, 0.1]
TYPOLOGY = ["leader", "moderate", None, "lagging", "moderate", "lagging"]
ATTRIBUTION = ["© EuroGeographics for the administrative boundaries"]
TITLE = "Digital divide AA–BB"

HOSTILE = {
    "img": "<img src=x onerror=alert(1)>",
    "script": "</script><script>alert(1)</script>",
    "template": "`${alert(1)}`",
    "quotes": "\"q' O'Brien\"",
}
INTERNET = [40.0, 50.0, np.nan, 60.0, 70.0, 80.0]
POPULATION = [50.0, 25.0, 0.0, 75.0, np.nan, 100.0]
PROBABILITY = [0.95, 0.6, np.nan, 0.8, 0.79, 1.0]


def make_world(names: list[str] | None = None, countries_named: tuple[str, str] = ("AA", "BB")):
    names = names or ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
    aa, bb = countries_named
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r in range(2) for c in range(3)]
    regions = gpd.GeoDataFrame(
        {
            "name": names,
            "country": [aa] * 3 + [bb] * 3,
            "index": INDEX,
            "typology": TYPOLOGY,
            "border_distance_km": [5.0] * 6,
            "border_order": pd.array([1, 1, 1, 1, 1, pd.NA], dtype="Int64"),
        },
        geometry=geoms, crs="EPSG:3035", index=pd.Index(CODES, name="region_id"),
    )
    border = gpd.GeoDataFrame(
        {"country_a": [aa], "country_b": [bb], "length_km": [30.0]},
        geometry=[LineString([(X0, Y0 + SIDE), (X0 + 3 * SIDE, Y0 + SIDE)])], crs="EPSG:3035",
    )
    rows = []
    for c in range(3):  # the three cross-border pairs, a in AA and b in BB
        gap = INDEX[c] - INDEX[3 + c]
        rows.append({
            "region_a": CODES[c], "region_b": CODES[3 + c], "name_a": names[c], "name_b": names[3 + c],
            "country_a": aa, "country_b": bb, "cross_border": True, "shared_border_km": 10.0,
            "gap": gap, "abs_gap": abs(gap),
            "geometry": LineString([(X0 + c * SIDE, Y0 + SIDE), (X0 + (c + 1) * SIDE, Y0 + SIDE)]),
        })
    for r, first in ((0, 0), (1, 3)):  # pairs within a country: never drawn as gaps
        for c in range(2):
            a, b = first + c, first + c + 1
            gap = INDEX[a] - INDEX[b]
            rows.append({
                "region_a": CODES[a], "region_b": CODES[b], "name_a": names[a], "name_b": names[b],
                "country_a": regions["country"].iloc[a], "country_b": regions["country"].iloc[b],
                "cross_border": False, "shared_border_km": 10.0, "gap": gap, "abs_gap": abs(gap),
                "geometry": LineString([(X0 + (c + 1) * SIDE, Y0 + r * SIDE),
                                        (X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)]),
            })
    pairs = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3035")
    countries = gpd.GeoDataFrame(
        {"country": [aa, bb]},
        geometry=[box(X0 - SIDE, Y0 - SIDE, X0 + 4 * SIDE, Y0 + SIDE),
                  box(X0 - SIDE, Y0 + SIDE, X0 + 4 * SIDE, Y0 + 3 * SIDE)],
        crs="EPSG:3035",
    )
    return regions, border, pairs, countries



def with_columns(**columns):
    regions, border, pairs, countries = make_world()
    for name, values in columns.items():
        regions[name] = values
    return regions, border, pairs, countries


INTERNET = [40.0, 50.0, np.nan, 60.0, 70.0, 80.0]


def make_bands(labels=("0-5", "5-10")):
    """Two 5 km strips per country along the border, listed out of order; each is 30 x 5 = 150 km2."""
    near, far = labels
    rows = [
        (far, "AA", box(X0, Y0, X0 + 3 * SIDE, Y0 + SIDE / 2)),
        (near, "AA", box(X0, Y0 + SIDE / 2, X0 + 3 * SIDE, Y0 + SIDE)),
        (near, "BB", box(X0, Y0 + SIDE, X0 + 3 * SIDE, Y0 + 1.5 * SIDE)),
        (far, "BB", box(X0, Y0 + 1.5 * SIDE, X0 + 3 * SIDE, Y0 + 2 * SIDE)),
    ]
    return gpd.GeoDataFrame(rows, columns=["band", "country", "geometry"], geometry="geometry", crs="EPSG:3035")


def centre(code: str) -> tuple[float, float]:
    i = CODES.index(code)
    return X0 + (i % 3 + 0.5) * SIDE, Y0 + (i // 3 + 0.5) * SIDE


def make_flows(names=("Alpha", "Delta", "Beta", "Epsilon", "Gamma", "Zeta"), unit="million USD", source="s"):
    """Two exports AA -> BB (100 and 50 million USD) and one turnover, each between column neighbours (10 km)."""
    rows = [("A0", "B0", 100.0, "exports", "origin_to_destination", 2018, names[0], names[1]),
            ("A1", "B1", 50.0, "exports", "origin_to_destination", 2019, names[2], names[3]),
            ("B2", "A2", 30.0, "turnover", "both_ways", 2020, names[5], names[4])]
    return gpd.GeoDataFrame(
        [{"origin": o, "destination": d, "value": v, "unit": unit, "flow_type": t, "direction": direction,
          "year": year, "source": source, "origin_name": on, "destination_name": dn,
          "geometry": LineString([centre(o), centre(d)])}
         for o, d, v, t, direction, year, on, dn in rows],
        geometry="geometry", crs="EPSG:3035")


def model(world=None, *, bands=None, flows=None, **spec) -> maps.MapModel:
    """The map model of the world (regions, border, pairs, countries) with the spec's options."""
    regions, border, pairs, countries = world or make_world()
    spec.setdefault("title", TITLE)
    spec.setdefault("attribution", ATTRIBUTION)
    return maps.map_model(regions, border, pairs, countries=countries, bands=bands, flows=flows,
                          spec=maps.MapSpec(**spec))


def build(world=None, **options) -> str:
    """The HTML page of the world's model."""
    return maps.html_page(model(world, **options))


def build_all(names=None, countries_named=("AA", "BB"), column="internet_pct", band_labels=("0-5", "5-10"),
              unit="million USD", source="s", **options) -> str:
    """A map of every kind: indicator, population and uncertainty columns, bands and flows."""
    world = make_world(names, countries_named)
    regions = world[0]
    regions[column] = INTERNET
    regions["population_within_25km_pct"] = POPULATION
    regions["p_typology"] = PROBABILITY
    bands = make_bands(band_labels)
    bands["country"] = [countries_named[0]] * 2 + [countries_named[1]] * 2
    flow_names = tuple(names) if names else ("Alpha", "Delta", "Beta", "Epsilon", "Gamma", "Zeta")
    flows = make_flows(flow_names, unit=unit, source=source)
    return build(world, columns=[column], bands=bands, flows=flows, **options)


DEPTHS = {"LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def numbers(text: str) -> list[int]:
    """Integers written as text: zigzag codes, five bits a digit, lowest first, 32 added to all but the last."""
    values, value, shift = [], 0, 0
    for char in text:
        digit = DIGITS.index(char)
        value |= (digit & 31) << shift
        shift += 5
        if not digit & 32:
            values.append(value >> 1 if value % 2 == 0 else -((value + 1) >> 1))
            value, shift = 0, 0
    return values


def decode_arcs(raw: dict) -> list[list[tuple[int, int]]]:
    """The arcs of a page's data as integer points (steps of 1/scale degree), as written."""
    x = y = 0
    arcs = []
    for text in raw["arcs"]:
        steps = numbers(text)
        points = []
        for dx, dy in zip(steps[0::2], steps[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        arcs.append(points)
    return arcs


def decode_column(column, n: int) -> list:
    """One property of every feature, from any of its three forms (a list, one value, a dictionary)."""
    if isinstance(column, list):
        return column
    if "codes" in column:
        return [column["values"][code] for code in column["codes"]]
    return [column["value"]] * n


def decode_geometries(raw: dict) -> list[dict | None]:
    """Each feature's geometry as GeoJSON with integer coordinates (steps of 1/scale degree); None if not drawn."""
    arcs = decode_arcs(raw)

    def line(text):
        points: list[tuple[int, int]] = []
        code = 0
        for step in numbers(text):
            code += step
            arc = arcs[code // 2][::-1] if code % 2 else arcs[code // 2]
            if points:
                assert points[-1] == arc[0], "consecutive arcs must share their end point"
                arc = arc[1:]
            points += arc
        return [list(p) for p in points]

    def walk(references, depth):
        return line(references) if depth == 1 else [walk(part, depth - 1) for part in references]

    types = decode_column(raw["types"], len(raw["geometries"]))
    return [None if refs is None else {"type": kind, "coordinates": walk(refs, DEPTHS[kind])}
            for kind, refs in zip(types, raw["geometries"], strict=True)]


def decode(raw: dict) -> dict:
    """The GeoJSON the page draws from its data (what helpers.js.j2 decodes), coordinates in degrees."""
    n = len(raw["geometries"])
    columns = [(key, decode_column(column, n)) for key, column in raw["columns"]]
    scale = raw["scale"]

    def degrees(coordinates):
        if coordinates and isinstance(coordinates[0], int):
            return [coordinates[0] / scale, coordinates[1] / scale]
        return [degrees(part) for part in coordinates]

    features = []
    for i, geometry in enumerate(decode_geometries(raw)):
        if geometry is None:
            continue
        properties = {key: values[i] for key, values in columns if values[i] is not None}
        features.append({"type": "Feature", "id": i, "properties": properties,
                         "geometry": {"type": geometry["type"], "coordinates": degrees(geometry["coordinates"])}})
    return {"type": "FeatureCollection", "features": features}


_DATA = r"var {name}_\w+ = helpers_\w+_decode\((\{{.*?\}})\);\n"


def data_raw(page: str, name: str) -> dict:
    """The encoded features assigned to the JavaScript variable ``<name>_<n>``."""
    match = re.search(_DATA.format(name=name), page)
    assert match, f"no variable {name} in the page"
    return json.loads(match.group(1))


def data_var(page: str, name: str) -> dict:
    """The GeoJSON the page draws from the variable ``<name>_<n>`` (decoded)."""
    return decode(data_raw(page, name))


def data_vars(page: str, name: str) -> list[dict]:
    """Every variable ``<name>_<n>`` (e.g. one per trade layer), decoded, in page order."""
    return [decode(json.loads(found)) for found in re.findall(_DATA.format(name=name), page)]


def legend(page: str) -> str:
    match = re.search(r'<div class="borderland-legend[^>]*>(.*)</div>\s*</body>', page, re.S)
    assert match
    return match.group(1)


def legend_text(page: str) -> str:
    """The legend as text, each row between bars: ``|leader (1)|``."""
    return html.unescape(re.sub(r"(<[^>]+>)+", "|", legend(page)))


def control(page: str) -> tuple[list[str], list[str]]:
    """Base layers and overlays of the layer control, by name."""
    match = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", page, re.S)
    assert match
    return tuple([html.unescape(json.loads(name)) for name in re.findall(r'("(?:[^"\\]|\\.)*") :', part)]
            for part in match.groups())


class Tags(HTMLParser):
    """Start tags with their attributes, the text of each script, and the text outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in is None:
            self.text += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def with_comparability(world=None):
    """The world whose gap A0-B0 rests on a component defined differently on each side (``users``).

    A1-B1 compares like with like; A2-B2 has no data on one side (no flag); pairs within a
    country compare like with like.
    """
    regions, border, pairs, countries = world or make_world()
    pairs = pairs.copy()
    pairs.insert(len(pairs.columns) - 1, "comparable",
                 pd.array([False, True, None, True, True, True, True], dtype="boolean"))
    pairs.insert(len(pairs.columns) - 1, "noncomparable_components",
                 pd.array(["users", "", None, "", "", "", ""], dtype="string"))
    return regions, border, pairs, countries


# -- the world over the years (trend maps) ----------------------------------------------------

YEARS = [2019, 2020, 2021]
CARRIED = "2019 value carried to 2020"

#: (region, year, value, flag): A2 has no row in 2019, B2 a row without a value in 2020.
TREND_VALUES = [
    ("A0", 2019, 0.1, ""), ("A0", 2020, 0.3, ""), ("A0", 2021, 0.5, ""),
    ("A1", 2019, 0.2, ""), ("A1", 2020, 0.2, CARRIED), ("A1", 2021, 0.4, ""),
    ("A2", 2020, 0.6, "interpolated"), ("A2", 2021, 1.0, ""),
    ("B0", 2019, 0.7, ""), ("B0", 2020, 0.8, ""), ("B0", 2021, 0.9, ""),
    ("B1", 2019, 0.4, ""), ("B1", 2020, 0.5, ""), ("B1", 2021, 0.4, ""),
    ("B2", 2019, 0.0, ""), ("B2", 2020, np.nan, ""), ("B2", 2021, 0.2, ""),
]
#: The three cross-border pairs (a in AA, b in BB), named by their columns.
PAIR_IDS = ["P0", "P1", "P2"]
#: (pair, year, gap = a - b, flag): P2 has a gap in 2021 only (A2 and B2 lack values before); P1 ties in 2021.
TREND_GAPS = [
    ("P0", 2019, -0.6, ""), ("P0", 2020, -0.5, ""), ("P0", 2021, -0.4, ""),
    ("P1", 2019, -0.2, ""), ("P1", 2020, -0.3, "A1: " + CARRIED), ("P1", 2021, 0.0, ""),
    ("P2", 2021, 0.8, ""),
]


def trend_tables(names: list[str] | None = None, flags: dict[tuple[str, int], str] | None = None):
    """The world's regions (names only), the value table, the pair lines and the gap table."""
    regions = make_world(names)[0][["name", "country", "geometry"]]
    values = pd.DataFrame(TREND_VALUES, columns=["region", "year", "value", "flag"])
    gaps = pd.DataFrame(TREND_GAPS, columns=["pair", "year", "gap", "flag"])
    for (key, year), flag in (flags or {}).items():
        table, column = (values, "region") if key in CODES else (gaps, "pair")
        table.loc[(table[column] == key) & (table["year"] == year), "flag"] = flag
    lines = gpd.GeoDataFrame(
        {"region_a": CODES[:3], "region_b": CODES[3:]},
        geometry=[LineString([(X0 + c * SIDE, Y0 + SIDE), (X0 + (c + 1) * SIDE, Y0 + SIDE)]) for c in range(3)],
        crs="EPSG:3035", index=pd.Index(PAIR_IDS, name="pair"))
    return regions, values, lines, gaps


def trend(names=None, flags=None, *, with_gaps: bool = True, value_label: str = "index", **spec) -> maps.MapModel:
    """The trend map of the world (equal intervals of 0.2 unless the spec says otherwise)."""
    regions, values, lines, gaps = trend_tables(names, flags)
    spec.setdefault("title", "Divide over the years")
    spec.setdefault("scheme", "equal_interval")
    return maps.trend_model(regions, values, lines=lines if with_gaps else None,
                            gaps_by_year=gaps if with_gaps else None, spec=maps.MapSpec(**spec),
                            value_label=value_label)


_YEARS = r"var (year_control_\w+) = \(function \(\) \{\s*(?://[^\n]*\n\s*)*var data = (\{.*?\});\n"


def years_raw(page: str) -> list[tuple[str, dict]]:
    """Every year control's name and data in the page, in order."""
    return [(name, json.loads(raw)) for name, raw in re.findall(_YEARS, page, re.S)]


def by_year(texts: list[str], count: int) -> list[list[int]]:
    """Per-year integers of ``count`` features: the first year's as written, each later year's as changes
    from the year before; an empty text is a year without a change."""
    values, years = [0] * count, []
    for text in texts:
        if text:
            changes = numbers(text)
            assert len(changes) == count, "a year's text holds one integer per feature"
            values = [v + c for v, c in zip(values, changes, strict=True)]
        years.append(values)
    return years


def fixed(quantum: int, decimals: int) -> str:
    """Whole steps of 10^-decimals as text, thousands separated (written here with decimal's formatting)."""
    from decimal import Decimal

    return f"{Decimal(quantum).scaleb(-decimals):,.{decimals}f}"


def decode_years(page: str, which: int = 0) -> dict[int, dict]:
    """What the page's year control draws in each year, from its data (see leaflet._year_data).

    ``{year: {"regions": {code: {"fill", "value", "note"}}, "gaps": {feature id: None (hidden) or
    {"color", "weight", "dashArray", "tooltip"}}}}``.
    """
    _, raw = years_raw(page)[which]
    regions = {f["id"]: f["properties"]["region_id"] for f in data_vars(page, "region_data")[which]["features"]}
    reg = raw["regions"]
    classes, values = by_year(reg["classes"], reg["count"]), by_year(reg["values"], reg["count"])
    flags = by_year(reg["flags"]["codes"], reg["count"])
    gaps = raw["gaps"]
    pairs = {}
    if gaps is not None:
        pairs = {f["id"]: f["properties"]["pair"] for f in data_vars(page, "gap_data")[which]["features"]}
        codes, sizes = by_year(gaps["codes"], gaps["count"]), by_year(gaps["values"], gaps["count"])
        gap_flags = by_year(gaps["flags"]["codes"], gaps["count"])
    out = {}
    for i, year in enumerate(raw["years"]):
        drawn = {}
        for row, code in regions.items():
            c = classes[i][row]
            drawn[code] = {"fill": reg["colours"][c], "value": fixed(values[i][row], raw["decimals"]) if c else
                           raw["noData"], "note": reg["flags"]["values"][flags[i][row]]}
        lines = {}
        for row, pair in pairs.items():
            code = codes[i][row]
            if not code:
                lines[row] = None
                continue
            size = sizes[i][row]
            steps, negative = size // 2, size % 2 == 1
            label, colour = gaps["leaders"][code - 1]
            flag = gaps["flags"]["values"][gap_flags[i][row]]
            width = (math.floor(max(gaps["minWidth"], gaps["maxWidth"] * steps / gaps["largest"]) * 100 + 0.5) / 100
                     if gaps["largest"] else gaps["minWidth"])
            lines[row] = {"color": colour, "weight": width, "dashArray": gaps["dash"] if flag else None,
                          "tooltip": f"{pair}: {gaps['label']} {'-' if negative else '+'}"
                                     f"{fixed(steps, raw['decimals'])} ({label})" + (f"; {flag}" if flag else "")}
        out[year] = {"regions": drawn, "gaps": lines}
    return out
