"""The report in a real browser and on paper: headless Chromium with the network cut, and the PDF it prints.

``borderland report --pdf`` runs on the bundled study from the command line (the whole run);
the page is opened from disk in Chromium, which must report no error and draw the map (Leaflet's
panes and paths) and the charts; the PDF is read with poppler's ``pdfinfo``, ``pdftotext`` and
``pdffonts``. Needs the Debian packages ``chromium`` and ``poppler-utils`` (``.ci/run`` installs
them); ``BORDERLAND_NO_BROWSER=1`` skips these tests on a machine that cannot have them.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_maps_browser import Dom, chromium, console_errors, render, screenshot  # noqa: F401  (chromium: a fixture)
from test_report import hostile_html, hostile_result, parse  # noqa: F401  (the hostile study's fixtures)

from borderland import report
from cli import cli

pytestmark = pytest.mark.browser

#: The bundled report prints on this many A4 pages (11 in English, 13 in Russian when written).
PAGES = range(8, 17)


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is needed to read the PDF: run `apt-get install -y poppler-utils`")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", str(pdf))).group(1))
    return [poppler("pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-") for k in range(1, count + 1)]


def squeezed(text: str) -> str:
    """Text without white space, and without hyphens, which pdftotext drops at the end of a line."""
    return re.sub(r"[\s-]+", "", text)


def title(dumped: str) -> str:
    """The document's title (the first ``<title>``: the charts' SVG titles come after it)."""
    return html.unescape(re.search(r"<title>(.*?)</title>", dumped, re.S).group(1))


@pytest.fixture(scope="module")
def written(chromium, tmp_path_factory) -> Path:  # noqa: F811
    """``borderland report --pdf`` on the bundled study, Chromium named as the error message says."""
    out = tmp_path_factory.mktemp("report")
    result = CliRunner(env={report.CHROMIUM_ENV: chromium.path}).invoke(cli, ["report", "--out", str(out), "--pdf"],
                                                                   obj={})
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["borderland_report_en.html", "borderland_report_en.pdf"]
    return out


@pytest.fixture(scope="module")
def rendered(chromium, written) -> tuple[Dom, str, str]:  # noqa: F811
    return render(chromium, written / "borderland_report_en.html")


def test_the_page_opens_offline_without_errors(rendered):
    _, dumped, log = rendered
    assert not console_errors(log), log
    assert "ERR_PROXY_CONNECTION_FAILED" not in log and "ERR_NAME_NOT_RESOLVED" not in log
    assert title(dumped) == "Digital divide across Russia's western border — Report"


def test_the_map_is_drawn(rendered, bundled_result):
    dom, _, _ = rendered
    panes = [a for (_, a), f in zip(dom.elements, dom.fragment_of, strict=True)
             if "leaflet-pane" in a.get("class", "") and f == "blrmap"]
    assert len(panes) >= 5
    cross = bundled_result.pairs[bundled_result.pairs["cross_border"] & bundled_result.pairs["gap"].notna()]
    # every region (the typology shown), every state border segment, every cross-border gap
    assert len(dom.paths("blrmap")) == len(bundled_result.regions) + len(bundled_result.border_lines) + len(cross)


def test_the_charts_are_drawn(rendered, written):
    dom, _, _ = rendered
    charts = [a for tag, a in dom.elements if tag == "svg" and a.get("class") == "chart"]
    assert [a["id"] for a in charts] == ["chart-ranks", "chart-segments", "chart-profile"]
    shapes = {tag for tag, _ in dom.elements} & {"circle", "rect", "polyline", "line", "text"}
    assert shapes == {"circle", "rect", "polyline", "line", "text"}
    # painted: their labels are in the PDF's text, where only what was laid out and drawn arrives
    text = squeezed("".join(pages(written / "borderland_report_en.pdf")))
    for label in ("rank(1=highestindex)", "gap(indexpoints)", "distancefromthelandborder(km)", "RUFI(48.1%)"):
        assert label in text, label


def test_a_screenshot_shows_the_page(chromium, written, tmp_path):  # noqa: F811
    data = screenshot(chromium, written / "borderland_report_en.html", tmp_path / "report.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_hostile_names_do_not_run_in_the_browser(chromium, hostile_html, tmp_path):  # noqa: F811
    page = tmp_path / "hostile.html"
    page.write_text(hostile_html, encoding="utf-8")
    dom, text, log = render(chromium, page)
    assert not console_errors(log), log
    assert title(text) == '<i id="injected">Divide</i> & "co" — Report'
    assert not [a for _, a in dom.elements if a.get("id", "").startswith("injected")]
    assert not [a for tag, a in dom.elements if tag in ("img", "b", "i")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# -- the PDF -----------------------------------------------------------------------------------


def test_the_pdf_has_its_pages_headings_and_numbers(written, bundled_result):
    pdf = written / "borderland_report_en.pdf"
    info = poppler("pdfinfo", str(pdf))
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) in PAGES
    assert "A4" in info and "CreationDate" not in info  # no time stamp: the same page gives the same bytes
    text = "".join(pages(pdf))
    for heading in ("Key findings", "Data coverage", "Leaders and laggards", "Cross-border gaps",
                    "Distance to the border", "Comparability of definitions", "Global statistics", "Trade",
                    "Methods: the choices of this run"):
        assert heading in text, heading
    segments = bundled_result.segments.set_index("segment")
    flat = squeezed(text)
    assert squeezed(f"Moran's I of the index {bundled_result.moran.i:.3f}") in flat
    assert squeezed(f"{segments.loc['RU-FI', 'gap_share_pct']:.1f} %") in flat
    assert "Nord-Norge" in text and "Länsi-Suomi" in text and "Sostinės regionas" in text


def test_the_pdf_embeds_its_fonts(written):
    listing = poppler("pdffonts", str(written / "borderland_report_en.pdf")).splitlines()[2:]
    assert listing
    for line in listing:
        assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line), line
        embedded = line.split()[-5]
        assert embedded == "yes", line
    assert any("DejaVuSans" in line for line in listing)


def test_page_breaks_do_not_cut_tables(written):
    """Each table's last row is on the page of its caption, after it."""
    page = parse((written / "borderland_report_en.html").read_text(encoding="utf-8"))
    texts = [squeezed(t) for t in pages(written / "borderland_report_en.pdf")]
    for number, (key, table) in enumerate(page.tables.items(), start=1):
        caption = f"Table{number}."
        where = [k for k, t in enumerate(texts) if caption in t]
        assert where, key
        last = table["rows"][-1]
        ends = [squeezed(last[0]["text"]), squeezed(last[-1]["text"])]
        text = texts[where[0]]
        after = text[text.index(caption):]
        assert all(end in after for end in ends if end), (key, ends)


def test_the_pdf_is_the_same_bytes_each_time(chromium, written, tmp_path):  # noqa: F811
    again = report.print_pdf(written / "borderland_report_en.html", tmp_path / "again.pdf", chromium=chromium.path)
    assert again.read_bytes() == (written / "borderland_report_en.pdf").read_bytes()


def test_the_russian_pdf(chromium, bundled_result, bundled_report, tmp_path):  # noqa: F811
    # the session's Russian page (what `borderland report --lang ru` writes: tests/test_report.py), printed
    page = tmp_path / "borderland_report_ru.html"
    page.write_bytes(bundled_report("ru").encode("utf-8"))
    pdf = report.print_pdf(page, tmp_path / "borderland_report_ru.pdf", chromium=chromium.path)
    text = "".join(pages(pdf))
    assert len(pages(pdf)) in PAGES
    for heading in ("Основные результаты", "Охват данных", "Лидеры и отстающие", "Методика"):
        assert heading in text, heading
    assert f"{bundled_result.moran.i:.3f}".replace(".", ",") in text
    assert "Таблица 1." in text and "Рисунок 1." in text
