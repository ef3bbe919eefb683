"""The study report (borderland.report, ``borderland report``): content, numbers, languages, safety, bytes.

The bundled study's report is rendered once per module in each language; its numbers are
checked against the GeoPackage written from the same result (read back from the file), a
hostile study's names against the markup they hold, and the command against its output set.
The browser and the PDF: tests/test_report_browser.py.
"""

from __future__ import annotations

import html
import re
import string
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import strip_world

from borderland import commands, export, pipeline, report
from borderland.errors import SchemaError
from borderland.report import charts, i18n
from borderland.report.document import Table
from borderland.report.i18n import Locale
from borderland.report.sections.context import _Context
from borderland.report.sections.gaps import gaps_section
from borderland.study import load_study
from cli import cli

SECTIONS = ("summary", "coverage", "map", "typology", "gaps", "distance", "comparability", "statistics", "trade",
            "methods", "notes")
HEADINGS = {
    "en": ("Key findings", "Data coverage", "Map", "Leaders and laggards", "Cross-border gaps",
           "Distance to the border", "Comparability of definitions", "Global statistics", "Trade",
           "Methods: the choices of this run"),
    "ru": ("Основные результаты", "Охват данных", "Карта", "Лидеры и отстающие", "Трансграничные разрывы",
           "Удалённость от границы", "Сопоставимость определений", "Глобальные статистики", "Торговля",
           "Методика: параметры этого расчёта"),
}


class Page(HTMLParser):
    """The report's tables (layer, columns, cells with their values), section ids and headings, text outside scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.sections: list[str] = []
        self.headings: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.words: list[str] = []  # the report's own words: not in scripts, styles, SVG, the data's <bdi>, <code>
        self._table: dict | None = None
        self._cell: dict | None = None
        self._figure: str | None = None
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag in ("script", "style", "svg", "h2", "bdi", "code", "figcaption"):
            self._in.append(tag)
        if tag == "figure" and a.get("class") == "report-table":
            self._figure = a["id"]
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "table" and self._figure:
            self._table = {"layer": a.get("data-layer"), "columns": [], "rows": [], "caption": ""}
            self.tables[self._figure.removeprefix("blr-tab-")] = self._table
        if self._table is not None and tag == "tr":
            self._table["rows"].append([])
        if self._table is not None and tag in ("th", "td"):
            self._cell = {"tag": tag, "text": "", "value": a.get("data-value"), "column": a.get("data-column"),
                          "numeric": "num" in a.get("class", "")}

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag in ("th", "td") and self._cell is not None and self._table is not None:
            if tag == "th":
                self._table["columns"].append(self._cell)
            else:
                self._table["rows"][-1].append(self._cell)
            self._cell = None
        if tag == "table":
            self._table["rows"] = [r for r in self._table["rows"] if r]
            self._table = None
        if tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        if self._in and self._in[-1] == "h2":
            self.headings.append(data.strip())
        if not {"script", "style"} & set(self._in):
            self.text.append(data)
        if not {"script", "style", "svg", "bdi", "code"} & set(self._in):
            self.words.append(data)


def parse(page: str) -> Page:
    parsed = Page()
    parsed.feed(page)
    return parsed


def column(table: dict, source: str) -> int:
    return next(k for k, c in enumerate(table["columns"]) if c["column"] == source)


def row_of(table: dict, first: str) -> list[dict]:
    return next(r for r in table["rows"] if r[0]["text"].strip() == first)


@pytest.fixture(scope="module")
def html_en(bundled_report) -> str:
    return bundled_report("en")


@pytest.fixture(scope="module")
def html_ru(bundled_report) -> str:
    return bundled_report("ru")


@pytest.fixture(scope="module")
def page_en(html_en) -> Page:
    return parse(html_en)


@pytest.fixture(scope="module")
def gpkg(bundled_result, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The bundled result's GeoPackage, written and read back: the tables the report's numbers come from."""
    path = tmp_path_factory.mktemp("gpkg") / "borderland.gpkg"
    export.write_geopackage(export.result_layers(bundled_result), path)
    return {name: pyogrio.read_dataframe(path, layer=name, read_geometry=False)
            for name, _ in pyogrio.list_layers(path)}


# -- content -----------------------------------------------------------------------------------


def test_the_report_has_every_section_in_order(page_en):
    assert page_en.sections == [f"blr-{key}" for key in SECTIONS]
    headings = [h for h in page_en.headings if h and not h.isdigit()]
    assert headings[1:11] == list(HEADINGS["en"])  # after "Contents"


def test_every_table_names_a_table_of_the_geopackage(page_en, html_en):
    layers = set(export.RESULT_LAYERS) | {"gpkg_metadata"}
    assert len(page_en.tables) >= 15
    for key, table in page_en.tables.items():
        assert table["layer"] in layers, key
        caption = re.search(rf'id="blr-tab-{key}">\s*<figcaption>(.*?)</figcaption>', html_en, re.S).group(1)
        assert "Source:" in caption and (f"<code>{table['layer']}</code>" in caption or table["layer"] in caption)


def test_every_number_shown_is_a_value_of_its_geopackage_table(page_en, gpkg):
    """Each numeric cell that names a column holds exactly a value of that column, read from the file."""
    checked = 0
    for key, table in page_en.tables.items():
        frame = gpkg.get(table["layer"])
        if frame is None:
            continue
        for k, head in enumerate(table["columns"]):
            if not head["numeric"] or not head["column"]:
                continue
            values = pd.to_numeric(frame[head["column"]], errors="coerce").to_numpy(dtype=float)
            for row in table["rows"]:
                cell = row[k]
                if cell["value"] is None:
                    assert cell["text"].strip() == "—", (key, head, cell)
                    continue
                assert float(cell["value"]) in values, (key, head["column"], cell)
                checked += 1
    assert checked > 300


def test_a_few_numbers_exactly(page_en, gpkg, html_en):
    statistics = gpkg["statistics"].set_index("statistic")
    moran = statistics.loc["moran_i", "value"]
    summary = "".join(page_en.text)
    assert f"Moran's I of the index {moran:.3f}" in summary
    segments = gpkg["border_segments"].set_index("segment")
    table = page_en.tables["segments"]
    ru_fi = row_of(table, "RU-FI")
    assert ru_fi[column(table, "gap_share_pct")]["text"] == f"{segments.loc['RU-FI', 'gap_share_pct']:.1f}\u00a0%"
    mean = segments.loc["RU-FI", "mean_gap_length_weighted"]
    assert ru_fi[column(table, "mean_gap_length_weighted")]["text"] == f"{mean:+.3f}".replace("-", "\u2212")
    regions = gpkg["regions"].set_index("region_id")
    typology = page_en.tables["typology"]
    nord = next(r for r in typology["rows"] if r[1]["text"] == "NO07")
    assert nord[column(typology, "index")]["text"] == f"{regions.loc['NO07', 'index']:.3f}"
    assert nord[column(typology, "rank_median")]["text"] == (
        f"{regions.loc['NO07', 'rank_median']:.0f} ({regions.loc['NO07', 'rank_p05']:.0f}–"
        f"{regions.loc['NO07', 'rank_p95']:.0f})")
    coverage = page_en.tables["coverage"]
    total = row_of(coverage, "total")
    assert [c["text"] for c in total[:3]] == ["total", str(len(regions)), str(int(regions["index"].notna().sum()))]
    assert "35 of 92 regions have an index for 2021" in summary


@pytest.mark.parametrize("read_back", [False, True], ids=["as-run", "read-back"])
@pytest.mark.parametrize(("lang", "yes", "no"), [("en", "yes", "no"), ("ru", "да", "нет")], ids=["en", "ru"])
def test_the_largest_gaps_say_whether_both_sides_define_the_components_alike(request, bundled_result, lang, yes, no,
                                                                              read_back):
    # a flag is no number: shown as a word, a dash only where it is missing, whether it comes as the run gives it
    # (numpy booleans of a nullable column) or as a GeoPackage read back through Arrow gives it (Python booleans
    # and None), one of them here missing
    layers = dict(export.result_layers(bundled_result))
    pairs = layers["neighbour_pairs"].copy()
    if read_back:
        pairs["comparable"] = pairs["comparable"].astype(object).where(pairs["comparable"].notna(), None)
        shown_pairs = pairs[pairs["cross_border"].astype(bool) & pairs["gap"].notna()]
        pairs.loc[shown_pairs["abs_gap"].idxmax(), "comparable"] = None
    layers["neighbour_pairs"] = pairs
    ctx = _Context(result=bundled_result, layers=layers, lang=lang, locale=Locale.of(lang), gpkg="borderland.gpkg")
    table = next(b for b in gaps_section(ctx).blocks if isinstance(b, Table) and b.key == "gaps")
    page = None if read_back else parse(request.getfixturevalue(f"html_{lang}")).tables["gaps"]
    where = {"name_a": 1, "name_b": 2, "comparable": [c.source for c in table.columns].index("comparable")}
    words = []
    for k, row in enumerate(table.rows):
        a, b = (re.search(r"\(([^()]+)\)$", row[where[name]].text.text).group(1) for name in ("name_a", "name_b"))
        comparable = pairs.set_index(["region_a", "region_b"]).loc[(a, b), "comparable"]
        words.append(str(row[where["comparable"]].text))
        assert words[-1] == (i18n.NO_VALUE if pd.isna(comparable) else yes if comparable else no), (a, b, comparable)
        if page is not None:  # the page says what the section says
            assert page["rows"][k][column(page, "comparable")]["text"] == words[-1]
    assert {yes, no} <= set(words) and (i18n.NO_VALUE in words) == read_back


def test_the_data_coverage_names_year_sources_and_licences(page_en):
    text = "".join(page_en.text)
    assert "Index year: 2021 (chosen automatically" in text
    licences = [r[0]["text"] for r in page_en.tables["licences"]["rows"]]
    assert {"Eurostat GISCO (NUTS)", "Natural Earth", "CIESIN, GPW v4.11", "Eurostat", "Rosstat"} <= set(licences)
    sources = page_en.tables["sources"]
    assert {r[0]["text"] for r in sources["rows"]} == {"households_internet_access", "households_broadband_access",
                                                       "individuals_internet_use"}
    assert any("Rosstat" in r[3]["text"] for r in sources["rows"])


def test_the_methods_state_every_choice(page_en, bundled_result):
    methods = page_en.tables["methods"]
    steps = [r[0]["text"] for r in methods["rows"]]
    assert steps == ["Year", "Components", "Normalisation", "Weights", "Aggregation", "Typology", "Robustness",
                     "Border and distance", "Population near the border", "Gaps and spatial statistics",
                     "Population weights", "Geometry repairs", "Comparability"]
    said = {r[0]["text"]: r[1]["text"] for r in methods["rows"]}
    robust = bundled_result.study.robustness
    assert f"{robust.draws:,} draws, seed {robust.seed}" in said["Robustness"]
    assert "minmax" in said["Normalisation"] and "mean_sd (k = 0.5)" in said["Typology"]
    assert "auto → 2021" in said["Year"]
    assert "sliver(s) up to 8 km wide" in said["Geometry repairs"]


def test_charts_and_the_map_are_in_the_page(html_en):
    assert html_en.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert 'class="borderland-map"' in html_en  # the interactive fragment
    assert 'class="static-map"' in html_en  # the static map of the same model, for print
    static = re.search(r'<svg class="static-map".*?</svg>', html_en, re.S).group(0)
    assert ">0.501</text>" in static and ">leader (13)</text>" in static  # its legend, as the model writes it
    # offline: nothing is fetched (the sources' URLs are text; Leaflet's script holds a link to its site)
    markup = re.sub(r"<script>.*?</script>", "", html_en, flags=re.S)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert "@import" not in html_en and "cdn." not in html_en.lower()


# -- languages ---------------------------------------------------------------------------------


def test_every_text_has_both_languages_with_the_same_fields():
    def fields(template: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}

    for catalogue in (i18n.TEXTS, i18n.STATISTICS, i18n.WORDS):
        for key, texts in catalogue.items():
            assert set(texts) == set(i18n.LANGUAGES), key
            assert fields(texts["en"]) == fields(texts["ru"]), key


def test_russian_report(html_ru, bundled_result):
    page = parse(html_ru)
    headings = [h for h in page.headings if h and not h.isdigit()]
    assert headings[1:11] == list(HEADINGS["ru"])
    assert '<html lang="ru">' in html_ru
    text = "".join(page.text)
    moran = bundled_result.moran.i
    assert f"{moran:.3f}".replace(".", ",") in text  # decimal comma
    assert "Индекс Морана I" in text and "Лидеры" in text
    # no English heading, caption or table head is left (the data's own words, in <bdi>, are the data's)
    words = "".join(page.words)
    for english in ("Key findings", "Table ", "Figure ", "Source:", "Leaders and laggards", "Regions with", " side",
                    "leader", "lagging", "moderate", "the "):
        assert english not in words, english
    # the map's legend and layer names are in Russian too
    assert "Типология" in html_ru and "нет данных" in html_ru and "Трансграничные разрывы" in html_ru


# -- no English left in the Russian report ---------------------------------------------------------

#: Names that stay as they are in a Russian text (software, commands, licences).
ALLOWED_ENGLISH = ("CC BY", "Natural Earth", "Monte Carlo", "borderland run", "borderland report", "--lang ru",
                   "GeoPackage")
_WORD = r"[A-Za-z][A-Za-z0-9_'’./-]*"  # a word, or a code as a whole (study.crs, p_typology, methods.md)


class Visible(HTMLParser):
    """The text a reader sees: everything but scripts, styles and <code> (study keys, layer and column names)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style", "code", "title")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style", "code", "title")

    def handle_data(self, data):
        if not self.hidden:
            self.chunks.append(data)


def data_texts(result) -> tuple[list[str], set[str]]:
    """The run's own data (names, sources, credits, units: shown as they are) and its codes (keys, layers, columns)."""
    import dataclasses

    from borderland.report.content import LICENCES

    layers = export.result_layers(result)
    study = result.study
    texts: list[str] = [study.title, *study.attribution.lines, "; ".join(study.attribution.lines),
                        *(credit for _, credit in export.REQUIRED_ATTRIBUTIONS), *(label for _, label, _ in LICENCES)]
    codes: set[str] = set(layers)
    for frame in [*layers.values(), result.inputs.table]:
        codes |= set(map(str, frame.columns))
        for column in frame.columns:
            if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
                texts += [str(v) for v in frame[column].dropna().unique()]
    for component in study.index.components:
        texts += [component.unit, *(d for _, d in component.definitions)]
    # the study's keys and their values (choices such as minmax, rook, mean_sd) are codes
    specs = [getattr(study, f.name) for f in dataclasses.fields(study)] + list(study.index.components)
    for spec in specs:
        if dataclasses.is_dataclass(spec):
            for f in dataclasses.fields(spec):
                codes.add(f.name)
                value = getattr(spec, f.name)
                codes |= {str(v) for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, str)}
    texts = [" ".join(t.split()) for t in texts if t]
    codes |= {t for t in texts if " " not in t}  # a one-word value of the data: a name or a code
    return texts, codes


def english_runs(page: str, result) -> list[str]:
    """Runs of two or more English words the report wrote itself (not the data's, not codes, not allowed names)."""
    visible = Visible()
    visible.feed(page)
    texts, codes = data_texts(result)
    # the data's texts with two words or more, longest first (a name inside a source is removed with the source)
    data = sorted({t for t in texts if re.search(rf"{_WORD}\W+{_WORD}", t)}, key=len, reverse=True)
    found = []
    for chunk in visible.chunks:  # one text node: a sentence of the report, or a value of the data
        text = " ".join(chunk.split())
        if not re.search(rf"{_WORD}\W+{_WORD}", text) or any(text in d for d in data):
            continue  # a value of the data, or a line of one wrapped in a chart
        for d in data:
            if d in text:
                text = text.replace(d, " | ")
        for allowed in ALLOWED_ENGLISH:
            text = text.replace(allowed, " | ")
        for run in re.finditer(rf"{_WORD}(?:[\s,;:()&©+-]+{_WORD})+", text):
            # words of the report: not codes (keys, columns, file names), not acronyms (LISA, PCA), not letters
            words = [w.strip("'’.-") for w in re.findall(_WORD, run.group())]
            words = [w for w in words if w not in codes and not re.search(r"[_./0-9]", w) and not w.isupper()
                     and len(w) > 1]
            if len(words) >= 2:
                found.append(run.group())
    return found


@pytest.fixture(scope="module")
def strip_result(tmp_path_factory):
    """The six-square strip study, run whole (its notes: Theil left out without a population)."""
    from catalogue_support import strip_study

    return pipeline.run(load_study(strip_study(tmp_path_factory.mktemp("strip"))))


def test_the_russian_report_has_no_english_sentence(html_ru, bundled_result, strip_result):
    # trial: "nearest year per region ... (of two equally near, the earlier)", "higher" and the notes were English
    assert english_runs(html_ru, bundled_result) == []
    strip_ru = report.report_html(strip_result, lang="ru")
    assert english_runs(strip_ru, strip_result) == []
    assert "ближайший год для каждого региона в" in strip_ru and "(из двух равноудалённых — более ранний)" in strip_ru
    assert "разложение Тейла не выполнено: ни у одного региона нет «" in strip_ru
    assert "чем больше, тем лучше" in strip_ru and "(на английском" not in strip_ru
    # the check finds English where it is: the English page is full of it
    assert len(english_runs(report.report_html(strip_result, lang="en"), strip_result)) > 20


def test_every_kind_of_note_is_translated_and_an_unknown_one_is_marked():
    from borderland.report.notes import note_parts

    notes = [
        "[robustness] draws: the index has one component and one normalisation, so the Monte Carlo varies nothing and "
        "tests nothing; add components or normalisations, or set draws = 0",
        "[regions] exclude names code(s) the layer does not have: Z9",
        "left out, farther than 500 km from any land border between the study's countries ([regions] "
        "max_border_distance_km): X (620 km)",
        "2 region(s) lie wholly farther than 1000 km from any land border between the study's countries (X 1,200 km, "
        "Y 1,100 km); they are normalised and classed with the rest: leave them out with [regions] "
        "max_border_distance_km if they are not part of the borderland",
        "no region touches a region of another country (the nearest are A2 (AA) and B3 (BB), 30 m apart), so the "
        "study has no land border: no distances to it, no border rings, no cross-border pairs; if the gap lies between "
        "two sources, set [border] edge_tolerance_m (--tolerance) above 30, else close it in the layer or give the "
        "border as a line layer ([border] source)",
        "the population raster covers 2 region(s) only in part: P (P) 10 %, Q (Q) 20 % and 3 more; their population "
        "figures count the covered part only",
        "PCA: the first component explains 71% of the variance",
        "imputed (country mean): 3 value(s) in 2 region(s)",
        "access: 1 value(s) outside its goalposts [0, 100], kept as they are: B5 -5 in 2022 (below 0); each scores as "
        "the goalpost it passes (capped, as goalposts do in the OECD/JRC Handbook), and access_beyond_goalposts "
        "flags it",
        "Moran's I and LISA left out: all 5 regions in the Moran test have the same value (1): spatial "
        "autocorrelation is undefined; test a variable that varies",
        "Theil decomposition of access left out: Theil index: access: no region has a positive value, a positive "
        "population and every group label",
        "Theil decomposition of the index left out: z-scores put the index's zero at the mean (an interval scale, "
        "with negative values); [index] scale starts at 1, not 0; Theil needs values with a natural zero, so the "
        "theil table decomposes the raw components instead (docs/methods.md)",
    ]
    for note in notes:
        parts = note_parts(note, "ru")
        assert parts is not None, note
        own = " ".join(p for p in parts if isinstance(p, str))
        assert not re.search(rf"\b{_WORD}[ ,]+{_WORD}\b", re.sub(r"\[[^\]]*\]|\([^)]*_[^)]*\)|OECD/JRC|docs/methods"
                                                             r"\.md|PCA|LISA|theil", "", own)), (note, own)
    assert note_parts("something new happened to A1", "ru") is None
    assert note_parts("something new happened to A1", "en") == (i18n.Data("something new happened to A1"),)


@pytest.mark.parametrize(("lang", "value", "shown"), [
    ("en", -0.36166, "−0.362"), ("ru", -0.36166, "−0,362"), ("en", 1208.7, "1,209"), ("ru", 1208.7, "1209"),
    ("ru", 2334095.0, "2\u00a0334\u00a0095"), ("en", float("nan"), "—"),
], ids=["en-fixed", "ru-fixed", "en-count", "ru-four-digits", "ru-count", "missing"])
def test_numbers_are_written_for_the_language(lang, value, shown):
    locale = Locale.of(lang)
    assert (locale.fixed(value, 3) if abs(value) < 100 or value != value else locale.count(value)) == shown


def test_an_unknown_language_is_refused(bundled_result):
    with pytest.raises(SchemaError, match="unknown report language 'de'; choose one of"):
        report.build_report(bundled_result, lang="de")


# -- safety and reproducibility -----------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "\"q' O'Brien\"", "\u202eevil\u202c", "<img src=x onerror=alert(2)>",
           "B&amp;4", "Zeta"]


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory):
    """A study of the six-square strip whose names, title, sources and credits hold markup."""
    folder = tmp_path_factory.mktemp("hostile")
    world = strip_world()
    world["name"] = HOSTILE
    world.to_file(folder / "regions.gpkg", engine="pyogrio")
    values = {"A0": (50, 40), "A1": (60, 50), "A2": (70, 60), "B3": (90, 80), "B4": (100, 90), "B5": (80, 70)}
    rows = [(code, name, 2020, value, "<b>Source</b> & co")
            for code, pair in values.items() for name, value in zip(("access", "broadband"), pair, strict=True)]
    pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value", "source"]).to_csv(
        folder / "table.csv", index=False)
    (folder / "study.toml").write_text(textwrap.dedent('''\
        [study]
        title = "<i id=\\"injected\\">Divide</i> & \\"co\\""
        focus_country = "AA"
        [regions]
        path = "regions.gpkg"
        [indicators]
        path = "table.csv"
        [[index.components]]
        name = "access"
        unit = "%"
        [[index.components]]
        name = "broadband"
        [robustness]
        draws = 100
        [gaps]
        permutations = 99
        [attribution]
        lines = ["<img src=x onerror=alert(3)>"]
        '''), encoding="utf-8")
    return pipeline.run(load_study(folder / "study.toml"))


@pytest.fixture(scope="module")
def hostile_html(hostile_result) -> str:
    return report.report_html(hostile_result)


def test_hostile_names_render_as_text(hostile_html):
    page = parse(hostile_html)
    assert not [a for tag, a in page.tags if tag in ("img", "i", "b")]
    assert not [a for _, a in page.tags if a.get("id") == "injected"]
    scripts = "".join(re.findall(r"<script>(.*?)</script>", hostile_html, re.S))
    # in the map's scripts the names are JSON strings whose "<" cannot end the script or open markup
    assert "<script>alert(1)" not in scripts and "<img src=x" not in scripts
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in scripts
    text = "".join(page.text)
    for name in ("<script>alert(1)</script>", "\"q' O'Brien\"", "<img src=x onerror=alert(2)>", "B&amp;4"):
        assert name in text, name  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_html
    title = "&lt;i id=&quot;injected&quot;&gt;Divide&lt;/i&gt; &amp; &quot;co&quot; — Report"
    assert f"<title>{title}</title>" in hostile_html


def test_a_bidirectional_override_stays_inside_its_name(hostile_html):
    outside = re.sub(r"<script>.*?</script>|<svg.*?</svg>", "", hostile_html, flags=re.S)
    found = [m.start() for m in re.finditer("\u202e", outside)]
    assert found
    for start in found:  # each override opens inside a <bdi>, which isolates it, and is closed there
        before = outside[:start]
        assert before.rfind("<bdi>") > before.rfind("</bdi>")
        assert outside.index("\u202c", start) < outside.index("</bdi>", start)


def test_the_same_inputs_give_the_same_bytes(html_en, bundled_result, hostile_result, hostile_html):
    assert bundled_result.report() == html_en  # result.report() is the command's page, byte for byte
    assert report.report_html(hostile_result) == hostile_html


def test_a_notebook_shows_the_report(html_en, bundled_result):
    shown = bundled_result._repr_html_()
    assert shown.startswith('<div class="borderland-report" lang="en">')
    assert f"<body>\n{shown}</body>" in html_en  # the page's body is exactly the notebook's fragment


def test_a_study_without_trade_raster_or_population_still_reports(hostile_html):
    page = parse(hostile_html)
    text = "".join(page.text)
    assert [s.removeprefix("blr-") for s in page.sections] == list(SECTIONS)
    assert "The study has no trade data" in text
    assert "theil" not in page.tables and "Theil decomposition left out" in text  # no population: said why
    assert "area-weighted" in text and "no population raster" in text  # the profile falls back to areas


def test_the_report_needs_a_whole_run(bundled_result):
    import dataclasses

    partial = dataclasses.replace(bundled_result, gaps_stage=None, trade_stage=None)
    with pytest.raises(SchemaError, match="the report needs a whole run; the result lacks gaps_stage"):
        report.build_report(partial)


# -- charts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high", "ticks"), [
    (0.004, 0.997, (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)), (1, 35, (0, 5, 10, 15, 20, 25, 30, 35)),
    (-0.5, 0.17, (-0.6, -0.4, -0.2, 0.0, 0.2)), (0.3, 0.3, (-0.2, 0.0, 0.2, 0.4, 0.6, 0.8)),
], ids=["unit", "ranks", "gaps", "flat"])
def test_nice_ticks_cover_the_range(low, high, ticks):
    found, _ = charts.nice_ticks(low, high, 7 if high == 35 else 5)
    assert np.allclose(found, ticks)
    assert found[0] <= min(low, high) and found[-1] >= max(low, high)


def test_a_chart_is_text_and_shapes_and_the_same_each_time():
    locale = Locale.of("ru")
    rows = [charts.RankRow("<b>Псков</b>", 23, 22, 25, "#762a83", "Псков: 23")]
    first = charts.rank_chart("r", "Ранги", rows, ranks=35, x_label="ранг", legend=[("отстающий", "#762a83")],
                              locale=locale)
    assert first == charts.rank_chart("r", "Ранги", rows, ranks=35, x_label="ранг",
                                      legend=[("отстающий", "#762a83")], locale=locale)
    assert "&lt;b&gt;Псков&lt;/b&gt;" in first and "<b>" not in first
    assert first.count("<circle") == 2 and "<text" in first  # the region's dot and the legend's


def test_a_near_white_class_is_outlined_in_the_rank_chart():
    # an odd number of custom labels gives ColorBrewer's near-white middle class
    locale = Locale.of("en")
    rows = [charts.RankRow("Mid", 12, 10, 14, "#f7f7f7", "Mid: 12"), charts.RankRow("Top", 1, 1, 2, "#1b7837", "")]
    svg = charts.rank_chart("r", "Ranks", rows, ranks=35, x_label="rank",
                            legend=[("top", "#1b7837"), ("mid", "#f7f7f7")], locale=locale)
    circles = re.findall(r'<circle [^>]*fill="(#[0-9a-f]+)" stroke="([^"]+)"', svg)
    assert sorted(circles) == [("#1b7837", "#ffffff"), ("#1b7837", "none"), ("#f7f7f7", charts.AXIS_COLOUR),
                               ("#f7f7f7", charts.AXIS_COLOUR)]
    # the interval of the near-white class drawn over a dark casing; the green one without
    lines = re.findall(r'<line [^>]*stroke="(#[0-9a-f]+)" stroke-width="(\d+)"', svg)
    assert lines.count((charts.AXIS_COLOUR, "5")) == 1 and ("#f7f7f7", "3") in lines


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def computed(monkeypatch, bundled_result, bundled_report):
    """The command's computation replaced by the session's bundled result, and its page by the session's page
    in that language (the command is what is tested: the page is rendered for real by the fixtures above and by
    tests/test_report_browser.py, which runs the command end to end)."""
    calls = []

    def run(study, stages, on_stage):
        calls.append(study)
        return bundled_result

    def rendered(result, *, lang="en", fragment=False):
        assert result is bundled_result and not fragment
        return bundled_report(lang)

    monkeypatch.setattr(commands, "_computed", run)
    monkeypatch.setattr(report, "report_html", rendered)
    return calls


def invoke(*args: str):
    return CliRunner().invoke(cli, ["report", *args], obj={})


def test_the_command_writes_the_html_report(tmp_path, computed, html_en):
    result = invoke("--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["borderland_report_en.html"]
    assert (tmp_path / "borderland_report_en.html").read_text(encoding="utf-8") == html_en
    assert "wrote html" in result.output


def test_the_command_in_russian(tmp_path, computed, html_ru):
    result = invoke("--out", str(tmp_path), "--lang", "ru")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "borderland_report_ru.html").read_text(encoding="utf-8") == html_ru


def test_a_refused_overwrite_exits_1_before_computing(tmp_path, computed):
    (tmp_path / "borderland_report_en.html").write_text("old", encoding="utf-8")
    result = invoke("--out", str(tmp_path))
    assert result.exit_code == 1
    assert "exist already" in result.output and "--overwrite" in result.output
    assert computed == []
    assert (tmp_path / "borderland_report_en.html").read_text(encoding="utf-8") == "old"


def test_no_chromium_for_the_pdf_exits_1_naming_the_fix(tmp_path, computed, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(report.CHROMIUM_ENV, raising=False)
    result = invoke("--out", str(tmp_path / "out"), "--pdf")
    assert result.exit_code == 1
    assert "apt-get install chromium" in result.output and report.CHROMIUM_ENV in result.output
    assert "Traceback" not in result.output
    assert computed == [] and not (tmp_path / "out").exists()


def test_the_output_set_is_all_or_nothing(tmp_path, computed, monkeypatch):
    """Chromium fails after the HTML is staged: neither file replaces the earlier ones."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "borderland_report_en.html").write_text("old html", encoding="utf-8")
    (out / "borderland_report_en.pdf").write_bytes(b"old pdf")
    failing = tmp_path / "chromium"
    failing.write_text("#!/bin/sh\necho 'cannot print' >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setenv(report.CHROMIUM_ENV, str(failing))
    result = invoke("--out", str(out), "--pdf", "--overwrite")
    assert result.exit_code == 1
    assert "Chromium could not print" in result.output and "cannot print" in result.output
    assert (out / "borderland_report_en.html").read_text(encoding="utf-8") == "old html"
    assert (out / "borderland_report_en.pdf").read_bytes() == b"old pdf"
    assert sorted(p.name for p in out.iterdir()) == ["borderland_report_en.html", "borderland_report_en.pdf"]


def test_write_report_writes_into_a_folder(tmp_path, hostile_result, hostile_html):
    written = report.write_report(hostile_result, tmp_path)
    assert written == {"html": tmp_path / "borderland_report_en.html"}
    assert written["html"].read_text(encoding="utf-8") == hostile_html
    with pytest.raises(Exception, match="exist already"):
        report.write_report(hostile_result, tmp_path)


def test_the_command_documents_itself():
    result = CliRunner().invoke(cli, ["report", "--help"], obj={})
    assert result.exit_code == 0
    assert "--lang [en|ru]" in result.output and "--pdf" in result.output and "Example:" in result.output


def test_the_bundled_report_names_no_absolute_path(html_en):
    assert str(Path.cwd()) not in html_en and "/work/" not in html_en


def test_the_russian_map_model_has_no_english_word_left(bundled_result):
    from borderland import maps
    from borderland.report.content import MAP_KINDS
    from borderland.report.maplabels import localise_model

    spec = maps.MapSpec(kinds=list(MAP_KINDS), stable_probability=bundled_result.study.robustness.stable_at)
    model = maps.map_model(bundled_result.regions, bundled_result.border_lines, bundled_result.pairs, spec=spec,
                           countries=bundled_result.countries)
    russian = localise_model(model, "ru")
    assert localise_model(model, "en") is model
    layers = [*russian.base, *russian.overlays]
    texts = [layer.name for layer in layers] + [item.label for layer in layers for item in layer.legend]
    texts += [label for label, _ in russian.fields]
    texts += [str(t) for layer in russian.region_layers for t in layer.text]
    texts += [str(t) for t in russian.tooltips["border_distance_km"]]
    texts += [props["tooltip"] for layer in russian.overlays for props in layer.properties]
    english = re.compile(r"\b(leader|moderate|lagging|no data|side|gap|border|km|classes|ring|unstable|the)\b")
    left = [t for t in texts if english.search(re.sub(r"households_\w+|individuals_\w+", "", t))]
    assert not left, left[:5]
    assert not [t for t in texts if re.search(r"\d\.\d", t)]  # decimal commas only
    # the classes and colours are the model's
    assert [layer.fill.tolist() for layer in russian.region_layers] == [
        layer.fill.tolist() for layer in model.region_layers]
    gaps = next(layer for layer in russian.overlays if layer.kind == "gaps")
    assert "Leningrad – Etelä-Suomi: разрыв −0,501" in " ".join(p["tooltip"] for p in gaps.properties)


def test_the_russian_map_names_values_beyond_their_goalposts():
    import geopandas as gpd
    import shapely

    from borderland import maps
    from borderland.report.maplabels import localise_model

    regions = gpd.GeoDataFrame({"name": ["W", "E"], "country": ["AA", "BB"], "index": [0.2, 0.8],
                                "access_beyond_goalposts": [True, False]},
                               geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)], crs=3035,
                               index=pd.Index(["W", "E"], name="region_id"))
    border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [10.0]},
                              geometry=[shapely.LineString([(1e4, 0), (1e4, 1e4)])], crs=3035)
    russian = localise_model(maps.map_model(regions, border, spec=maps.MapSpec(kinds=["index"], classes=2)), "ru")
    assert russian.fields[-1] == ("Вне заданного диапазона", "beyond_goalposts")
    assert russian.tooltips["beyond_goalposts"].tolist() == ["access", "нет"]  # the component's name is kept


def test_the_profile_caveat_names_the_thin_side(page_en):
    text = "".join(page_en.text)
    assert "(with_data_pct by band: other side: 21\u00a0%, 19\u00a0%, 13\u00a0%, 8\u00a0%)" in text


def test_a_long_rank_chart_keeps_both_ends(bundled_result, monkeypatch):
    from borderland.report.sections import typology

    monkeypatch.setattr(typology, "MAX_CHART_ROWS", 10)
    built = report.build_report(bundled_result)
    figure = next(f for f in built.figures() if f.key == "ranks")
    rows = re.findall(r"<text [^>]*text-anchor=\"end\"[^>]*><title>([^<]*)</title>", figure.svg.markup)
    assert len(rows) == 10 and rows[0] == "Nord-Norge (NO07)" and rows[-1] == "Novgorod (RU-NGR)"
    assert "(the 5 highest and the 5 lowest of 35 regions)" in figure.caption


def test_a_notebook_shows_a_map_through_folium(bundled_result):
    """The map model stays free of its writers (tests/test_maps_package.py); a notebook shows folium's map."""
    from borderland import maps

    model = maps.map_model(bundled_result.regions, bundled_result.border_lines, bundled_result.pairs,
                           spec=maps.MapSpec(kinds=["typology", "gaps"]))
    assert "leaflet" in maps.folium_map(model)._repr_html_()


def test_a_partial_result_shows_its_plain_representation_in_a_notebook(bundled_result):
    import dataclasses

    assert dataclasses.replace(bundled_result, gaps_stage=None, trade_stage=None)._repr_html_() is None


def test_the_readme_quotes_the_bundled_report(html_en):
    """The README's findings quote the generated report: regenerate them when the numbers change."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Quoted from the bundled study's report[^\n]*\n\n((?:>[^\n]*\n)+)", readme).group(1)
    quoted = [" ".join(item.split()) for item in
              " ".join(line.removeprefix(">").strip() for line in block.splitlines()).split("- ")[1:]]
    listed = re.search(r'id="blr-summary">.*?<ul>(.*?)</ul>', html_en, re.S).group(1)
    generated = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split())
                 for item in re.findall(r"<li>(.*?)</li>", listed, re.S)]
    assert quoted == generated, "paste into the README:\n" + "\n".join(f"> - {item}" for item in generated)
