"""Flows: one row per figure that ties two places, read from tables and matched to the study.

A flow has ``origin``, ``destination``, ``value``, ``unit``, ``year``, ``flow_type``, ``period``,
``source``, ``note``. Flows are parsed from the bilateral indicator names of the tidy table
(``goods_trade_turnover_with:BY-MA (Mogilev oblast)``) and from tables of published figures
(``subject, partner, indicator, ...``), then matched to the regions like indicators: codes that are
neither a study region nor a study country are reported, never reassigned. Every flow keeps the
``source``, ``note``, ``source_table`` and ``source_row`` of the row it came from.

Direction convention: ``origin`` and ``destination`` follow the goods. An export reported by A to B
runs A → B; an import reported by A from B runs B → A (``reporter`` stays A). Turnover has no
direction: it runs from the reporter to the partner.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from borderland.border import segment_label
from borderland.errors import SchemaError, collect
from borderland.indicators import parse_numbers
from borderland.trade._common import require_columns

#: What each flow type measures; ``growth_rate`` rows say in ``basis`` what they are a rate of.
FLOW_TYPES: Final[Mapping[str, str]] = {
    "exports": "goods sent from origin to destination",
    "imports": "goods received by destination from origin (reported by the importer)",
    "turnover": "exports plus imports between the two places (no direction)",
    "growth_rate": "growth of the flow named in `basis`, e.g. % of the previous year",
}

#: Prefixes of bilateral indicator names in a tidy table (``prefix:CODE (label) [period: ...]``).
FLOW_PREFIXES: Final[Mapping[str, str]] = {
    "goods_trade_turnover_with": "turnover",
    "trade_turnover_with": "turnover",
    "exports_to": "exports",
    "imports_from": "imports",
}

#: Indicators of a published-figures table (``subject, partner, indicator, ...``) that are flows:
#: indicator -> (flow_type, basis). Rows with a partner but another indicator (a concentration, a
#: count of partners, an expert rating) are not flows and are reported as skipped.
PUBLISHED_FLOW_MEASURES: Final[Mapping[str, tuple[str, str]]] = {
    "export_growth_rate": ("growth_rate", "exports"),
    "export_growth_rate_second_moscow_figure": ("growth_rate", "exports"),
    "import_growth_rate": ("growth_rate", "imports"),
    "turnover_growth_rate": ("growth_rate", "turnover"),
    "exports": ("exports", "exports"),
    "imports": ("imports", "imports"),
    "turnover": ("turnover", "turnover"),
}

#: Columns of a normalised flow table, in order.
FLOW_COLUMNS: Final[tuple[str, ...]] = (
    "origin", "destination", "value", "unit", "year", "flow_type", "basis", "period", "reporter",
    "partner_label", "indicator", "source", "note", "source_table", "source_row",
)

#: The period of a figure for a whole calendar year (part-year figures name their months).
FULL_YEAR: Final[str] = "year"

_BILATERAL = re.compile(
    r"^(?P<prefix>[A-Za-z_]+):\s*(?P<code>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)\s*"
    r"(?:\((?P<label>[^)]*)\))?\s*(?:\[period:\s*(?P<period>[^\]]+)\])?\s*$"
)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else str(value)


def _year(value: object) -> int | None:
    text = _text(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return int(float(text))
    return None


def _flow_row(
    *, reporter: str, partner: str, flow_type: str, basis: str, value: float, unit: str, year: int | None,
    period: str, partner_label: str, indicator: str, source: str, note: str, source_table: str, source_row: object,
) -> dict[str, object]:
    # goods direction: an import reported by A from B runs B -> A
    origin, destination = (partner, reporter) if basis == "imports" else (reporter, partner)
    return {
        "origin": origin, "destination": destination, "value": value, "unit": unit, "year": year,
        "flow_type": flow_type, "basis": basis, "period": period, "reporter": reporter,
        "partner_label": partner_label, "indicator": indicator, "source": source, "note": note,
        "source_table": source_table, "source_row": source_row,
    }


def _flow_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype("Int64")
    labels = frame["source_row"].tolist()
    # integer row labels stay integers (a GeoPackage column QGIS can sort); other labels stay as given
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels)
    frame["source_row"] = pd.array(labels, dtype="Int64") if integral else pd.array(labels, dtype=object)
    for column in ("origin", "destination", "unit", "flow_type", "basis", "period", "reporter", "partner_label",
                   "indicator", "source", "note", "source_table"):
        frame[column] = frame[column].astype(object)
    return frame


def flows_from_indicators(
    table: pd.DataFrame, *, source_table: str = "indicators", prefixes: Mapping[str, str] = FLOW_PREFIXES
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Flows hidden in the bilateral indicator names of a tidy (or raw long) indicator table.

    ``goods_trade_turnover_with:BY-MA (Mogilev oblast) [period: January-May]`` filed under
    ``RU-BRY`` becomes a turnover flow RU-BRY → BY-MA with period ``January-May``; the text in
    brackets is kept as ``partner_label``. Names without a colon are ordinary indicators and are
    ignored.

    Parameters
    ----------
    table
        Columns ``region_id`` (or ``region_code``), ``indicator``, ``year``, ``value`` and
        optionally ``unit``, ``source``, ``note``. Pass the table as read
        (:func:`borderland.io.read_table`) to keep ``source_row`` equal to the file's data row.
    source_table
        Label of the table, kept in every flow (e.g. the file name).
    prefixes
        Name prefix -> flow type.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flows (:data:`FLOW_COLUMNS`; ``source_row`` is the row label in ``table``) and one
        sentence per bilateral-looking row that could not be read.
    """
    frame = table.rename(columns={"region_code": "region_id"}) if "region_id" not in table.columns else table
    require_columns(frame, ("region_id", "indicator", "year", "value"), "indicator table",
                     "give a tidy long table (borderland.indicators.TIDY_COLUMNS)")
    values = parse_numbers(frame["value"])
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    # only names with a colon can be bilateral: the rest of the table is not walked row by row
    bilateral = np.flatnonzero([":" in _text(name) for name in frame["indicator"].tolist()])
    for position, (label, record) in zip(bilateral.tolist(), frame.iloc[bilateral].iterrows(), strict=True):
        name = _text(record["indicator"])
        where = f"{source_table} row {label} ({_text(record['region_id'])}, {name!r})"
        match = _BILATERAL.match(name)
        if match is None or match["prefix"] not in prefixes:
            skipped.append(f"{where}: not a bilateral name of the form <prefix>:<CODE> (label) [period: ...] "
                           f"with a prefix of {sorted(prefixes)}")
            continue
        value, year = values.iloc[position], _year(record["year"])
        if math.isnan(value) or year is None:
            skipped.append(f"{where}: value {record['value']!r} or year {record['year']!r} is not a number")
            continue
        flow_type = prefixes[match["prefix"]]
        rows.append(_flow_row(
            reporter=_text(record["region_id"]).strip(), partner=match["code"].upper(), flow_type=flow_type,
            basis=flow_type, value=float(value), unit=_text(record.get("unit")), year=year,
            period=(match["period"] or FULL_YEAR).strip(), partner_label=_text(match["label"]).strip(),
            indicator=name, source=_text(record.get("source")), note=_text(record.get("note")),
            source_table=source_table, source_row=label,
        ))
    return _flow_frame(rows), tuple(skipped)


def flows_from_published(
    table: pd.DataFrame,
    *,
    source_table: str = "published_figures",
    measures: Mapping[str, tuple[str, str]] = PUBLISHED_FLOW_MEASURES,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Flows from a table of published figures with one subject and one partner per row.

    A row is a flow when it has a partner and its indicator is a key of ``measures``
    (``export_growth_rate`` of BY-MA to RU-SMO is an export growth rate BY-MA → RU-SMO). Rows
    with a partner and another indicator (a concentration, a count, an expert rating) are
    reported as skipped. A ``same study`` / ``same survey`` source is kept verbatim; the
    ``source_row`` leads back to the row.

    Parameters
    ----------
    table
        Columns ``subject``, ``partner``, ``indicator``, ``year``, ``value``, ``unit``, ``source``,
        ``note`` (``geodata/published_figures.csv``).
    source_table
        Label of the table, kept in every flow.
    measures
        Indicator -> (flow_type, basis).

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flows and one sentence per partner row that is not a flow.
    """
    require_columns(table, ("subject", "partner", "indicator", "year", "value"), "published-figures table",
                     "give columns subject, partner, indicator, year, value, unit, source, note")
    values = parse_numbers(table["value"])
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    # "same study" points at the nearest row above that names the study in full
    full_source = ""
    for position, (label, record) in enumerate(table.iterrows()):
        source = _text(record.get("source"))
        if source and not source.lower().startswith("same "):
            full_source = source
        partner = _text(record["partner"]).strip()
        if not partner:
            continue
        indicator = _text(record["indicator"])
        where = f"{source_table} row {label} ({_text(record['subject'])} -> {partner}, {indicator!r})"
        if indicator not in measures:
            skipped.append(f"{where}: not a flow measure (not a key of the flow measures)")
            continue
        value, year = values.iloc[position], _year(record["year"])
        if math.isnan(value) or year is None:
            skipped.append(f"{where}: value {record['value']!r} or year {record['year']!r} is not a number")
            continue
        flow_type, basis = measures[indicator]
        if source.lower().startswith("same ") and full_source:
            source = f"{source}: {full_source}"
        rows.append(_flow_row(
            reporter=_text(record["subject"]).strip(), partner=partner, flow_type=flow_type, basis=basis,
            value=float(value), unit=_text(record.get("unit")), year=year, period=FULL_YEAR, partner_label="",
            indicator=indicator, source=source, note=_text(record.get("note")), source_table=source_table,
            source_row=label,
        ))
    return _flow_frame(rows), tuple(skipped)


def normalise_flows(table: pd.DataFrame, *, source_table: str = "flows") -> pd.DataFrame:
    """Check and complete a ready-made flow table (one flow per row).

    Parameters
    ----------
    table
        Columns ``origin``, ``destination``, ``value``, ``flow_type`` and optionally ``unit``,
        ``year``, ``period``, ``basis``, ``reporter``, ``partner_label``, ``indicator``,
        ``source``, ``note``. ``origin`` → ``destination`` is the direction of the goods.
    source_table
        Label of the table, kept in every flow.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`; every problem is reported at once.
    """
    require_columns(table, ("origin", "destination", "value", "flow_type"), "flow table",
                     f"a flow table needs origin, destination, value and flow_type ({sorted(FLOW_TYPES)})")
    values = parse_numbers(table["value"])
    problems: list[str] = []
    bad_type = ~table["flow_type"].isin(list(FLOW_TYPES))
    if bad_type.any():
        problems.append(f"unknown flow_type {sorted(set(table.loc[bad_type, 'flow_type'].astype(str)))} in "
                        f"{int(bad_type.sum())} row(s); choose one of {sorted(FLOW_TYPES)}")
    if values.isna().any():
        problems.append(f"value is not a number in row(s) {list(table.index[values.isna()])[:10]}")
    empty = table["origin"].isna() | table["destination"].isna()
    if empty.any():
        problems.append(f"origin or destination is empty in row(s) {list(table.index[empty])[:10]}")
    collect(problems, SchemaError, "flow table")
    rows = []
    for position, (label, record) in enumerate(table.iterrows()):
        flow_type = str(record["flow_type"])
        basis = _text(record.get("basis")) or (flow_type if flow_type != "growth_rate" else "")
        origin, destination = _text(record["origin"]).strip(), _text(record["destination"]).strip()
        rows.append({
            "origin": origin, "destination": destination, "value": float(values.iloc[position]),
            "unit": _text(record.get("unit")), "year": _year(record.get("year")), "flow_type": flow_type,
            "basis": basis, "period": _text(record.get("period")) or FULL_YEAR,
            "reporter": _text(record.get("reporter")) or (destination if basis == "imports" else origin),
            "partner_label": _text(record.get("partner_label")), "indicator": _text(record.get("indicator")),
            "source": _text(record.get("source")), "note": _text(record.get("note")),
            "source_table": source_table, "source_row": label,
        })
    return _flow_frame(rows)


def read_trade_flows(
    indicators: str | os.PathLike[str] | None = None,
    published: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read the flows of an indicator table and a published-figures table (the bundled ones by default).

    Parameters
    ----------
    indicators
        A tidy long indicator table; ``geodata/indicators.csv`` when omitted.
    published
        A published-figures table; ``geodata/published_figures.csv`` when omitted.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        All flows (``source_table`` is the file name, ``source_row`` the 0-based data row, i.e.
        the line of a CSV without multi-line cells minus 2) and the rows that were skipped.

    Examples
    --------
    >>> flows, skipped = read_trade_flows()
    >>> flows.query("origin == 'BY-MA' and destination == 'RU-SMO'")["value"].tolist()
    [121.8]
    """
    from pathlib import Path

    from borderland import io

    paths = {"indicators": Path(indicators) if indicators else io.bundled("indicators.csv"),
             "published": Path(published) if published else io.bundled("published_figures.csv")}
    first, skipped_a = flows_from_indicators(io.read_table(paths["indicators"]), source_table=paths["indicators"].name)
    second, skipped_b = flows_from_published(io.read_table(paths["published"]), source_table=paths["published"].name)
    return pd.concat([first, second], ignore_index=True), skipped_a + skipped_b


@dataclass(frozen=True)
class FlowReport:
    """How the two ends of each flow met the study's regions and countries.

    Attributes
    ----------
    flows
        Number of flows.
    matched
        Flows whose two ends are both a study region or a study country (they can be drawn).
    regions
        Study regions at either end of a flow.
    countries
        Whole countries at either end of a flow (drawn to a point of that country).
    unmatched
        Codes that are neither a study region nor a study country, with a hint; their flows are
        kept in the table (``matched`` false) and not drawn. They are never reassigned.
    skipped
        Rows of the input tables that were not read as flows, and why.
    """

    flows: int
    matched: int
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    unmatched: dict[str, str]
    skipped: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"trade flows: {self.flows}, of which {self.matched} between study regions or countries",
                 f"regions with flows: {len(self.regions)}: {', '.join(self.regions)}"]
        if self.countries:
            lines.append(f"whole-country partners (drawn to the country): {', '.join(self.countries)}")
        if self.unmatched:
            lines.append(f"codes not in the study (flows kept, not drawn): {len(self.unmatched)}: "
                         + "; ".join(f"{c} ({h})" if h else c for c, h in self.unmatched.items()))
        if self.skipped:
            lines.append(f"partner rows that are not flows: {len(self.skipped)}")
        return "\n".join(lines)


def _hint(code: str, region_codes: set[str], countries: set[str]) -> str:
    by_upper = {c.upper(): c for c in region_codes}
    if code.upper() in by_upper:
        return f"differs only in case or spaces from {by_upper[code.upper()]}"
    country = code.split("-", 1)[0]
    if "-" in code and country in countries:
        return (f"not a study region; country {country} is in the study, "
                "but the flow is not reassigned to another region")
    return "neither a study region nor a study country"


def match_flows(
    flows: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    countries: pd.DataFrame | None = None,
    focus_country: str | None = None,
    skipped: Sequence[str] = (),
) -> tuple[pd.DataFrame, FlowReport]:
    """Match both ends of every flow to a study region, a whole study country, or nothing.

    A code is a region when it is in ``regions.index``, a country when it is a ``country`` of the
    regions (or of ``countries``), and unmatched otherwise: RU-MOW (Moscow city) in the bundled
    study is reported, its flow kept with ``matched`` false, and never moved to Moscow Oblast.

    Parameters
    ----------
    flows
        Flow table (:data:`FLOW_COLUMNS`).
    regions
        Region layer indexed by code, with ``name`` and ``country``.
    countries
        Optional country layer with ``country`` (and ``name``), e.g. ``geodata/countries.gpkg``.
    focus_country
        Country named first in segment labels.
    skipped
        Rows the readers skipped, carried into the report.

    Returns
    -------
    tuple of pandas.DataFrame and FlowReport
        The flows plus ``origin_kind`` / ``destination_kind`` (``region``, ``country``,
        ``unmatched``), ``origin_country``, ``destination_country``, ``origin_name``,
        ``destination_name``, ``partner_is_country``, ``matched``, ``cross_border``, ``segment``
        and ``label`` (one readable line with value, unit, year and period); and the report.
    """
    require_columns(flows, ("origin", "destination", "value", "flow_type"), "flow table",
                     "build it with flows_from_indicators, flows_from_published or normalise_flows")
    region_codes = set(regions.index.astype(str))
    country_names: dict[str, str] = {}
    if countries is not None and "country" in countries.columns:
        names = countries["name"] if "name" in countries.columns else countries["country"]
        country_names.update(dict(zip(countries["country"].astype(str), names.astype(str), strict=True)))
    for code in regions["country"].dropna().astype(str).unique():
        country_names.setdefault(code, code)
    region_names = regions["name"].astype(str) if "name" in regions.columns else pd.Series(dtype=str)
    region_country = regions["country"].astype(str)

    out = flows.copy()
    for end in ("origin", "destination"):
        codes = out[end].astype(str)
        kind = np.where(codes.isin(region_codes), "region", np.where(codes.isin(list(country_names)), "country",
                                                                     "unmatched"))
        out[f"{end}_kind"] = kind
        out[f"{end}_country"] = np.where(kind == "region", codes.map(region_country),
                                         np.where(kind == "country", codes, ""))
        out[f"{end}_name"] = np.where(kind == "region", codes.map(region_names),
                                      np.where(kind == "country", codes.map(country_names),
                                               out.get("partner_label", pd.Series("", index=out.index)).fillna("")))
    out["partner_is_country"] = (out["origin_kind"] == "country") | (out["destination_kind"] == "country")
    out["matched"] = (out["origin_kind"] != "unmatched") & (out["destination_kind"] != "unmatched")
    out["cross_border"] = out["matched"] & (out["origin_country"] != out["destination_country"])
    out["segment"] = [segment_label(a, b, focus_country) if c else ""
                      for a, b, c in zip(out["origin_country"], out["destination_country"], out["cross_border"],
                                         strict=True)]
    out["label"] = [_label(r) for r in out.to_dict("records")]

    ends = pd.concat([out[["origin", "origin_kind"]].set_axis(["code", "kind"], axis=1),
                      out[["destination", "destination_kind"]].set_axis(["code", "kind"], axis=1)])
    unmatched = sorted(set(ends.loc[ends["kind"] == "unmatched", "code"].astype(str)))
    report = FlowReport(
        flows=len(out),
        matched=int(out["matched"].sum()),
        regions=tuple(sorted(set(ends.loc[ends["kind"] == "region", "code"].astype(str)))),
        countries=tuple(sorted(set(ends.loc[ends["kind"] == "country", "code"].astype(str)))),
        unmatched={code: _hint(code, region_codes, set(country_names)) for code in unmatched},
        skipped=tuple(skipped),
    )
    return out, report


def _label(row: Mapping[Hashable, object]) -> str:
    """``Mogilev (BY-MA) → Smolensk (RU-SMO): exports growth rate 121.8 % of previous year, 2018``."""
    what = f"{row['basis']} growth rate" if row["flow_type"] == "growth_rate" else str(row["flow_type"])
    arrow = "↔" if row["flow_type"] == "turnover" else "→"
    period = "" if row["period"] in ("", FULL_YEAR) else f" ({row['period']})"
    year = _text(row["year"])
    year = f", {year}{period}" if year else ""
    return (f"{row['origin_name'] or row['origin']} ({row['origin']}) {arrow} "
            f"{row['destination_name'] or row['destination']} ({row['destination']}): "
            f"{what} {row['value']:,.6g} {row['unit']}{year}").strip()


def strongest_flows(flows: pd.DataFrame, n: int, *, flow_type: str | None = None) -> pd.DataFrame:
    """The ``n`` flows with the largest values, among flows of one type and one unit.

    Values of different types or units (a turnover in million USD, a growth rate in %) are not
    comparable, so a mixed table must be narrowed with ``flow_type`` first.

    Parameters
    ----------
    flows
        Flow table.
    n
        How many to keep.
    flow_type
        Keep only this flow type before ranking.

    Returns
    -------
    pandas.DataFrame
        At most ``n`` rows, largest value first.
    """
    if n < 1:
        raise SchemaError(f"top must be at least 1, not {n}")
    rows = flows if flow_type is None else flows[flows["flow_type"] == flow_type]
    kinds = sorted({f"{t} in {u!r}" for t, u in zip(rows["flow_type"], rows["unit"], strict=True)})
    if len(kinds) > 1:
        raise SchemaError(f"cannot rank flows of different types or units together ({'; '.join(kinds)}); "
                          "choose a flow_type")
    return rows.sort_values("value", ascending=False, kind="stable").head(n)
