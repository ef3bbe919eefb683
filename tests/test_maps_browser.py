"""Render offline maps in headless Chromium with the network cut, and inspect the result.

Every map kind is opened from disk, its rendered paths counted and a screenshot taken; every
text field carries a hostile string that would run script if it were inserted as HTML. Two
fragments are put on one page and must both render.

One Chromium serves the module (starting one costs about as much as rendering a page in it): it
is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``, no port), and every
page opens in a fresh browser context (no cache, cookies or storage shared with another page),
is given five seconds of virtual time after its load event (what ``--virtual-time-budget``
does), and reports every uncaught exception, console message, log entry and failed request.

Needs the Debian package ``chromium`` (``apt-get install -y chromium``); set
``BORDERLAND_NO_BROWSER=1`` to skip these tests on a machine that cannot have it. Set
``BORDERLAND_SCREENSHOTS=DIR`` to keep the screenshots (e.g. for the README).
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import html
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from borderland import maps

pytestmark = pytest.mark.browser

X0, Y0, SIDE = 4_300_000.0, 3_200_000.0, 10_000.0
CODES = ["A0", "A1", "A2", "B0", "B1", "B2"]
PWNED = "pwned"
TITLE = '<i id="injected-title">Divide</i>'
NAMES = [
    f"<img id=\"injected-img\" src=x onerror=\"document.title='{PWNED}'\">",
    f"</script><script>document.title='{PWNED}'</script>",
    "Gamma",
    '<b id="injected-bold">x</b>',
    f"`${{document.title='{PWNED}'}}`",
    "Zeta",
]
CREDIT = f"<img id=\"injected-credit\" src=x onerror=\"document.title='{PWNED}'\">"
COLUMN = f"<img id=\"injected-column\" src=x onerror=\"document.title='{PWNED}'\">"
BAND = f"<img id=\"injected-band\" src=x onerror=\"document.title='{PWNED}'\">"
UNIT = f"</script><b id=\"injected-unit\">{PWNED}</b>"
SOURCE = f"<img id=\"injected-source\" src=x onerror=\"document.title='{PWNED}'\">"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[Browser]:
    """One headless Chromium for the module's pages."""
    if os.environ.get("BORDERLAND_NO_BROWSER") == "1":
        pytest.skip("BORDERLAND_NO_BROWSER=1: headless browser tests switched off")
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if path is None:
        pytest.fail("headless Chromium is needed to render the map: run `apt-get install -y chromium` "
                    "(or set BORDERLAND_NO_BROWSER=1 to skip the browser tests)")
    browser = Browser(path, tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.close()


def world() -> dict:
    """Six 10 km squares (AA south, BB north) with hostile strings in every text field, and every input."""
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r in range(2) for c in range(3)]
    index = [0.9, 0.5, np.nan, 0.2, 0.6, 0.1]
    regions = gpd.GeoDataFrame(
        {"name": NAMES, "country": ["AA"] * 3 + ["BB"] * 3, "index": index,
         "typology": ["leader", "moderate", None, "lagging", "moderate", "lagging"],
         "border_distance_km": [5.0] * 6, "border_order": [1] * 6,
         COLUMN: [40.0, 50.0, np.nan, 60.0, 70.0, 80.0],
         "population_within_25km_pct": [50.0, 25.0, 0.0, 75.0, np.nan, 100.0],
         "p_typology": [0.95, 0.6, np.nan, 0.8, 0.79, 1.0]},
        geometry=geoms, crs="EPSG:3035", index=pd.Index(CODES, name="region_id"),
    )
    border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [30.0]},
                              geometry=[LineString([(X0, Y0 + SIDE), (X0 + 3 * SIDE, Y0 + SIDE)])],
                              crs="EPSG:3035")
    pairs = gpd.GeoDataFrame(
        [{"region_a": CODES[c], "region_b": CODES[3 + c], "name_a": NAMES[c],
          "name_b": NAMES[3 + c], "country_a": "AA", "country_b": "BB", "cross_border": True,
          "shared_border_km": 10.0, "gap": index[c] - index[3 + c], "abs_gap": abs(index[c] - index[3 + c]),
          "geometry": LineString([(X0 + c * SIDE, Y0 + SIDE), (X0 + (c + 1) * SIDE, Y0 + SIDE)])}
         for c in range(3)],
        geometry="geometry", crs="EPSG:3035",
    )
    countries = gpd.GeoDataFrame(
        {"country": ["AA", "BB"]},
        geometry=[box(X0 - SIDE, Y0 - SIDE, X0 + 4 * SIDE, Y0 + SIDE),
                  box(X0 - SIDE, Y0 + SIDE, X0 + 4 * SIDE, Y0 + 3 * SIDE)],
        crs="EPSG:3035",
    )
    # two 5 km bands on each side of the border
    bands = gpd.GeoDataFrame(
        {"band": ["0-5", BAND, "0-5", BAND], "country": ["AA", "AA", "BB", "BB"]},
        geometry=[box(X0, Y0 + SIDE / 2, X0 + 3 * SIDE, Y0 + SIDE), box(X0, Y0, X0 + 3 * SIDE, Y0 + SIDE / 2),
                  box(X0, Y0 + SIDE, X0 + 3 * SIDE, Y0 + 1.5 * SIDE),
                  box(X0, Y0 + 1.5 * SIDE, X0 + 3 * SIDE, Y0 + 2 * SIDE)],
        crs="EPSG:3035",
    )

    def centre(i: int) -> tuple[float, float]:
        return X0 + (i % 3 + 0.5) * SIDE, Y0 + (i // 3 + 0.5) * SIDE

    # two exports across the border (each with an arrowhead) and one turnover (none)
    flows = gpd.GeoDataFrame(
        [{"origin": CODES[o], "destination": CODES[d], "value": v, "unit": UNIT, "flow_type": t,
          "direction": "both_ways" if t == "turnover" else "origin_to_destination", "year": 2018,
          "source": SOURCE, "origin_name": NAMES[o], "destination_name": NAMES[d],
          "geometry": LineString([centre(o), centre(d)])}
         for o, d, v, t in ((0, 3, 100.0, "exports"), (1, 4, 50.0, "exports"), (5, 2, 30.0, "turnover"))],
        geometry="geometry", crs="EPSG:3035",
    )
    return {"regions": regions, "border_lines": border, "pairs": pairs, "countries": countries, "bands": bands,
            "flows": flows}


def build(*, bands=None, flows=None, **spec) -> maps.MapModel:
    frames = world()
    spec.setdefault("title", TITLE)
    spec.setdefault("attribution", [CREDIT])
    return maps.map_model(frames["regions"], frames["border_lines"], frames["pairs"], countries=frames["countries"],
                          bands=bands, flows=flows, spec=maps.MapSpec(**spec))


def build_kind(kind: str) -> maps.MapModel:
    frames = world()
    extra = {"indicator": {"columns": [COLUMN]}, "bands": {"bands": frames["bands"]},
             "trade": {"flows": frames["flows"]}}
    return build(kinds=[kind], **extra.get(kind, {}))


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe: JSON messages ending in a NUL byte."""

    def __init__(self, chromium: str, folder: Path) -> None:
        self.path = chromium  # the executable, for what runs Chromium itself (the report's PDF)
        commands, theirs_in = os.pipe()  # the browser reads commands on its fd 3 ...
        theirs_out, replies = os.pipe()  # ... and writes replies and events on its fd 4
        # above 9, so that the shell's 3<& and 4>& cannot clobber one of them
        inherited = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands, replies)]
        os.close(commands)
        os.close(replies)
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", f"--user-data-dir={folder / 'profile'}",
            # no network: every request goes to a proxy on the discard port, and no name resolves
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--remote-debugging-pipe", "about:blank",
        ]
        self.errors = (folder / "stderr.txt").open("w", encoding="utf-8")
        shell = f'exec "$0" "$@" 3<&{inherited[0]} 4>&{inherited[1]} {inherited[0]}<&- {inherited[1]}>&-'
        self.process = subprocess.Popen(["bash", "-c", shell, *command], pass_fds=inherited, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=self.errors)
        for fd in inherited:
            os.close(fd)
        self.to_browser = os.fdopen(theirs_in, "wb", buffering=0)
        self.from_browser = os.fdopen(theirs_out, "rb", buffering=0)
        self.received = b""
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self.received:
            chunk = self.from_browser.read(1 << 16)
            if not chunk:
                raise AssertionError(f"Chromium ended (exit code {self.process.poll()}); its stderr is in "
                                     f"{self.errors.name}")
            self.received += chunk
        message, _, self.received = self.received.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send a command and return its result; the events that arrive meanwhile are kept."""
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.to_browser.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.last_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, session: str, **params: str) -> dict[str, Any]:
        """The first event ``method`` of the page's session with these parameters (no time limit: a busy
        machine only makes it later)."""
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session and all(
                        event["params"].get(key) == value for key, value in params.items()):
                    return event
            seen = len(self.events)
            self.events.append(self._message())

    def open(self, page: Path, *, size: tuple[int, int] | None = None, shot: Path | None = None,
             fragment: str = "") -> tuple[str, str]:
        """Load a page in a fresh context; its DOM after five virtual seconds, and what it reported.

        ``size`` sets the viewport (Chromium's default window otherwise); ``shot`` writes a PNG of it;
        ``fragment`` is appended to the page's address (``"#year=2019"``).
        """
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        if size is not None:
            self.send("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1],
                                                              "deviceScaleFactor": 1, "mobile": False}, session=session)
            self.send("Emulation.setScrollbarsHidden", {"hidden": True}, session=session)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session=session)
        loader = self.send("Page.navigate", {"url": page.as_uri() + fragment}, session=session)["loaderId"]
        self.wait_for("Page.lifecycleEvent", session, name="load", loaderId=loader)
        # then five seconds of the page's timers and animations, in virtual time, as --virtual-time-budget=5000
        self.send("Emulation.setVirtualTimePolicy", {"policy": "pauseIfNetworkFetchesPending", "budget": 5000},
                  session=session)
        self.wait_for("Emulation.virtualTimeBudgetExpired", session)
        dumped = self.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                                "returnByValue": True}, session=session)["result"]["value"]
        if shot is not None:
            data = self.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            shot.write_bytes(base64.b64decode(data))
        log = "\n".join(line for event in self.events if event.get("sessionId") == session
                        for line in _log_lines(event))
        self.send("Target.disposeBrowserContext", {"browserContextId": context})
        self.events.clear()
        return dumped, log

    def close(self) -> None:
        try:
            self.send("Browser.close")
        finally:
            self.process.wait()
            self.to_browser.close()
            self.from_browser.close()
            self.errors.close()


def _log_lines(event: dict[str, Any]) -> list[str]:
    """What a page reported, one line per message: exceptions, console calls, log entries, failed requests."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        return [f"exception: {details.get('text', '')} {details.get('exception', {}).get('description', '')}"]
    if method == "Runtime.consoleAPICalled":
        text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
        return [f"console.{params['type']}: {text}"]
    if method == "Log.entryAdded":
        entry = params["entry"]
        return [f"log.{entry['level']} ({entry['source']}): {entry['text']} {entry.get('url', '')}"]
    if method == "Network.loadingFailed":
        return [f"request failed: {params.get('errorText', '')} {params.get('type', '')}"]
    if method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "data:", "blob:")):
        return [f"request: {params['request']['url']}"]
    return []


class Dom(HTMLParser):
    """Elements of a dumped DOM: (tag, attributes, id of the enclosing map fragment), and the title."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.fragment_of: list[str | None] = []
        self.title = ""
        self._in_title = False
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        fragment = next((f for _, f in reversed(self._open) if f), None)
        if "borderland-map" in attributes.get("class", "").split():
            fragment = attributes.get("id")
        self.elements.append((tag, attributes))
        self.fragment_of.append(fragment)
        if tag not in VOID:
            self._open.append((tag, fragment))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def paths(self, fragment: str | None = None) -> list[dict[str, str]]:
        """Interactive paths Leaflet drew (regions, bands, lines), in one fragment if given."""
        return [a for (tag, a), f in zip(self.elements, self.fragment_of, strict=True)
                if tag == "path" and "leaflet-interactive" in a.get("class", "")
                and (fragment is None or f == fragment)]


def render(browser: Browser, page: Path, fragment: str = "") -> tuple[Dom, str, str]:
    dumped, log = browser.open(page, fragment=fragment)
    dom = Dom()
    dom.feed(dumped)
    return dom, dumped, log


def screenshot(browser: Browser, page: Path, target: Path) -> bytes:
    browser.open(page, size=(1200, 800), shot=target)
    data = target.read_bytes()
    keep = os.environ.get("BORDERLAND_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(keep) / target.name)
    return data


def console_errors(log: str) -> list[str]:
    """Uncaught exceptions, errors written to the console or the log, and failed or outside requests."""
    return [line for line in log.splitlines()
            if line.startswith(("exception:", "console.error:", "console.assert:", "log.error", "request"))
            or "Uncaught" in line or "Failed to load resource" in line or "Error" in line]


def assert_nothing_injected(dom: Dom) -> None:
    assert dom.title in (TITLE, "")  # no injected script renamed the page
    injected = [a["id"] for _, a in dom.elements if a.get("id", "").startswith("injected")]
    assert injected == []
    assert not [a for tag, a in dom.elements if tag in ("img", "b", "i")]


# -- the harness itself -------------------------------------------------------------------------

HARNESS_CHECK = """<!DOCTYPE html><html><head><title>check</title></head><body><p id="here">drawn</p>
<img src="https://tiles.example.org/0/0/0.png">
<script>
console.error("written to the console");
setTimeout(function () { document.getElementById("here").id = "later"; }, 4000);
setTimeout(function () { throw new Error("thrown by a timer"); }, 100);
</script></body></html>
"""


def test_the_harness_reports_errors_requests_and_waits_five_virtual_seconds(chromium, tmp_path):
    """Every check below rests on this: what a page throws, logs or requests is reported, and timers run."""
    page = tmp_path / "check.html"
    page.write_text(HARNESS_CHECK, encoding="utf-8")
    dom, _, log = render(chromium, page)
    assert [a.get("id") for tag, a in dom.elements if tag == "p"] == ["later"]  # the 4 s timer ran
    errors = console_errors(log)
    assert any("thrown by a timer" in line for line in errors), log
    assert any("written to the console" in line for line in errors), log
    assert any("https://tiles.example.org/0/0/0.png" in line for line in errors), log
    assert "ERR_PROXY_CONNECTION_FAILED" in log or "ERR_NAME_NOT_RESOLVED" in log, log
    data = screenshot(chromium, page, tmp_path / "check.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert pixels(tmp_path / "check.png").shape == (800, 1200, 3)


# -- the full page with the default kinds ------------------------------------------------------


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> Path:
    return maps.write_html(build(), tmp_path_factory.mktemp("map") / "divide.html")


@pytest.fixture(scope="module")
def rendered(chromium, map_file) -> tuple[Dom, str, str]:
    return render(chromium, map_file)


def test_regions_are_drawn(rendered):
    dom, _, _ = rendered
    paths = dom.paths()
    # six regions, one state border, two cross-border gaps (the third pair lacks data)
    assert len(paths) == 9
    fills = {a.get("fill") for a in paths}
    assert maps.NO_DATA_COLOUR in fills and set(maps.palette_colours("YlGnBu", 5)) <= fills
    # the two country outlines underneath, drawn but not interactive
    assert len([a for tag, a in dom.elements if tag == "path"]) == len(paths) + 2


def test_controls_legend_and_credits_are_shown(rendered):
    dom, text, _ = rendered
    classes = " ".join(a.get("class", "") for _, a in dom.elements)
    assert "leaflet-control-layers" in classes and "leaflet-control-scale" in classes
    assert "leaflet-control-attribution" in classes
    assert "Digitalisation index" in text and "Cross-border gaps" in text
    legend = [a for tag, a in dom.elements if a.get("id", "").endswith("-legend")]
    assert legend and "leaflet-control" in legend[0]["class"]
    assert "&lt;img id=\"injected-credit\"" in text  # the credit shown as text


def test_the_scale_bar_is_metric_only(rendered):
    _, text, _ = rendered
    import re

    # Leaflet's default adds an imperial line (mi, ft) under the metric one: the map measures in metres
    lines = re.findall(r'class="leaflet-control-scale-line"[^>]*>([^<]*)<', text)
    assert len(lines) == 1 and re.fullmatch(r"\d+ k?m", lines[0]), lines


def test_legend_shows_the_sections_of_the_layers_shown(rendered):
    dom, _, _ = rendered
    sections = [a for _, a in dom.elements if a.get("class") == "borderland-legend-section"]
    # index, typology, rings, population, uncertainty (alternatives: only the index is on), border, gaps
    shown = ["display: none" not in a.get("style", "") for a in sections]
    assert shown == [True, False, False, False, False, True, True]


def test_hostile_names_did_not_execute(rendered):
    dom, _, _ = rendered
    assert dom.title == TITLE
    assert_nothing_injected(dom)


def test_no_javascript_errors_and_no_network(rendered):
    _, _, log = rendered
    assert not console_errors(log), log
    assert "ERR_PROXY_CONNECTION_FAILED" not in log and "ERR_NAME_NOT_RESOLVED" not in log


def test_screenshot(chromium, map_file, tmp_path):
    data = screenshot(chromium, map_file, tmp_path / "divide.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


# -- every kind --------------------------------------------------------------------------------

#: Interactive paths of each kind alone (the state border, 1 path, is always drawn).
KIND_PATHS = {
    "index": 6 + 1, "typology": 6 + 1, "indicator": 6 + 1, "rings": 6 + 1, "population": 6 + 1,
    "uncertainty": 6 + 1,
    "bands": 4 + 1,  # two bands on each side
    # lines alone are drawn over the six regions, plain
    "gaps": 6 + 2 + 1,  # the third pair lacks data
    "trade": 6 + 2 + 2 + 1 + 1,  # two export lines and their arrowheads, one turnover line
}


@pytest.fixture(scope="module", params=list(maps.KINDS))
def kind_page(request, tmp_path_factory) -> tuple[str, Path]:
    kind = request.param
    return kind, maps.write_html(build_kind(kind), tmp_path_factory.mktemp("kinds") / f"kind-{kind}.html")


def test_every_kind_renders_safely(chromium, kind_page, tmp_path):
    kind, page = kind_page
    dom, text, log = render(chromium, page)
    assert len(dom.paths()) == KIND_PATHS[kind]
    assert not console_errors(log), log
    assert_nothing_injected(dom)
    assert "leaflet-control-layers" in " ".join(a.get("class", "") for _, a in dom.elements)
    if kind == "uncertainty":  # the two unstable regions are outlined with dashes
        assert [a.get("stroke-dasharray") for a in dom.paths() if a.get("stroke-dasharray")] == [
            maps.UNSTABLE_DASH] * 2
    if kind == "indicator":
        assert "&lt;img id=\"injected-column\"" in text  # the column's name, as text in the layer control
    data = screenshot(chromium, page, tmp_path / f"kind-{kind}.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


# -- two fragments on one page -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fragments_page(tmp_path_factory) -> Path:
    first = maps.html_fragment(build(size_px=(700, 450)))
    trade = build_kind("trade")
    second = maps.html_fragment(dataclasses.replace(trade, spec=dataclasses.replace(trade.spec, size_px=(500, 400))))
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title></title></head><body>\n"
            "<h1 id=\"report\">A report</h1>\n" + first + "<p>Between the maps.</p>\n" + second
            + "</body></html>\n")
    target = tmp_path_factory.mktemp("fragments") / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def test_two_fragments_on_one_page_both_render(chromium, fragments_page, tmp_path):
    dom, _, log = render(chromium, fragments_page)
    fragments = [a["id"] for _, a in dom.elements if "borderland-map" in a.get("class", "").split()]
    assert len(fragments) == 2 and fragments[0] != fragments[1]
    # the default map: 6 regions, border, 2 gaps; the trade map: 6 regions, border, 3 lines, 2 arrowheads
    assert [len(dom.paths(f)) for f in fragments] == [9, KIND_PATHS["trade"]]
    containers = [f for (_, a), f in zip(dom.elements, dom.fragment_of, strict=True)
                  if "leaflet-container" in a.get("class", "")]
    assert containers == fragments
    assert not console_errors(log), log
    assert_nothing_injected(dom)
    assert [a for _, a in dom.elements if a.get("id") == "report"]  # the host page is intact
    data = screenshot(chromium, fragments_page, tmp_path / "fragments.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


# -- many features: the canvas renderer --------------------------------------------------------


def blended(colour: str, under: str, opacity: float) -> np.ndarray:
    """A fill colour as drawn with ``opacity`` over ``under``, as 0..255 RGB."""
    top, bottom = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) for c in (colour, under))
    return opacity * top + (1 - opacity) * bottom


def pixels(png: Path) -> np.ndarray:
    from matplotlib.image import imread

    return np.rint(imread(png)[:, :, :3] * 255)


def test_above_the_threshold_leaflet_draws_on_a_canvas(chromium, tmp_path, monkeypatch):
    from borderland.maps import leaflet

    monkeypatch.setattr(leaflet, "CANVAS_MIN_FEATURES", 5)  # the six squares count as many
    page = maps.write_html(build(kinds=["index"]), tmp_path / "canvas.html")
    assert '"preferCanvas": true' in page.read_text(encoding="utf-8")
    dom, _, log = render(chromium, page)
    assert not dom.paths()  # no SVG path: every feature is on a canvas
    assert len([a for tag, a in dom.elements if tag == "canvas"]) >= 2  # countries, regions and lines panes
    assert not console_errors(log), log
    assert_nothing_injected(dom)
    screenshot(chromium, page, tmp_path / "canvas.png")
    image = pixels(tmp_path / "canvas.png").reshape(-1, 3)
    # each region's class colour, drawn at 85 % over the grey country underneath, is on the screen
    for colour in [*maps.palette_colours("YlGnBu", 5), maps.NO_DATA_COLOUR]:
        expected = blended(colour, "#f2f2f2", 0.85)
        assert (np.abs(image - expected).max(axis=1) <= 3).any(), colour


# -- the antimeridian (issue #14) --------------------------------------------------------------

NATURAL_EARTH = "/work/shared/data/countries.gpkg"

#: Appended to the page: shows the Bering Strait and northern America, and puts the longest step in
#: longitude between consecutive vertices of any drawn outline into the page's title.
LOOK_ACROSS = """<script>
(function () {
    var map = %s;
    map.setView([66, -100], 3, {animate: false});
    var longest = 0;
    function walk(points) {
        if (points.length && points[0].lng !== undefined) {
            for (var i = 1; i < points.length; i++) {
                longest = Math.max(longest, Math.abs(points[i].lng - points[i - 1].lng));
            }
        } else {
            points.forEach(walk);
        }
    }
    map.eachLayer(function (layer) {
        if (layer.getLatLngs) {
            walk(layer.getLatLngs());
        }
    });
    document.title = "longest step " + longest;
})();
</script>
"""


def test_no_line_across_the_map_from_outlines_across_the_antimeridian(chromium, tmp_path):
    import re

    frames = world()
    published = gpd.read_file(NATURAL_EARTH, layer="countries_ne10m_5_1_1_deu")
    countries = gpd.GeoDataFrame({"country": published["ADM0_A3_DE"]}, geometry=published.geometry,
                                 crs=published.crs).to_crs(frames["regions"].crs)
    built = maps.map_model(frames["regions"], frames["border_lines"], frames["pairs"], countries=countries,
                           spec=maps.MapSpec(kinds=["typology"], title="Antimeridian"))
    text = maps.html_page(built)
    page = tmp_path / "antimeridian.html"
    page.write_text(text + LOOK_ACROSS % re.search(r'id="(map_\d+)"', text).group(1), encoding="utf-8")
    dom, _, log = render(chromium, page)
    assert not console_errors(log), log
    longest = float(dom.title.removeprefix("longest step "))
    assert 0 < longest <= 180  # Leaflet was given no segment across the antimeridian
    screenshot(chromium, page, tmp_path / "antimeridian.png")
    image = pixels(tmp_path / "antimeridian.png")
    # at zoom 3 a degree is 2048 / 360 px: 160 W to 40 W, about 55 N to 73 N, hold no country of the
    # nine (northern America and Greenland are not among them): only the white background, no band
    # or line from Chukotka (170 W, which Natural Earth draws beyond -180) across to the Urals
    band = image[250:550, 260:940]
    assert (band == 255).all(), f"{int((band != 255).any(axis=2).sum())} pixels drawn across the map"
    # while Chukotka east of the antimeridian is drawn at the far left, in the country grey
    chukotka = image[250:550, 100:250]
    assert (np.abs(chukotka - blended("#f2f2f2", "#ffffff", 1.0)).max(axis=2) <= 2).any()


SWITCH_TO = """<script>
// choose base layer %d in the layer control, as a reader would
document.querySelectorAll(".leaflet-control-layers-base input")[%d].click();
</script>
"""


@pytest.mark.parametrize(("position", "fills"), [
    (1, {*maps.TYPOLOGY_COLOURS.values(), maps.NO_DATA_COLOUR}),
    (2, set(maps.palette_colours("YlOrBr_r", 2)[:1])),
], ids=["typology", "rings"])
def test_a_base_layer_chosen_later_is_drawn_then(chromium, map_file, tmp_path, position, fills):
    """Hidden alternatives make their features only when first shown: switching to one draws all six regions."""
    page = tmp_path / "switched.html"
    page.write_text(map_file.read_text(encoding="utf-8") + SWITCH_TO % (position, position), encoding="utf-8")
    dom, _, log = render(chromium, page)
    assert not console_errors(log), log
    regions = [a for a in dom.paths() if a.get("fill") not in (None, "none")]
    assert len(regions) == 6 and {a["fill"] for a in regions} == fills
    sections = [a for _, a in dom.elements if a.get("class") == "borderland-legend-section"]
    shown = ["display: none" not in a.get("style", "") for a in sections]
    assert shown == [position == k for k in range(5)] + [True, True]  # the legend follows


HOVER = """<script>
// the pointer over the first region of the layer shown, as a reader's mouse would put it
var hovered = %s.getLayers()[0];
hovered.fire("mouseover", {latlng: hovered.getBounds().getCenter()}, true);
</script>
"""


def test_hovering_a_region_shows_its_tooltip_as_text_and_outlines_it(chromium, map_file, tmp_path):
    import re

    text = map_file.read_text(encoding="utf-8")
    layer = re.search(r'"Digitalisation index" : (geo_json_layer_\d+)', text).group(1)
    page = tmp_path / "hover.html"
    page.write_text(text + HOVER % layer, encoding="utf-8")
    dom, dumped, log = render(chromium, page)
    assert not console_errors(log), log
    tooltips = re.findall(r'<div class="leaflet-tooltip borderland-tooltip[^"]*"[^>]*>(.*?)</div>', dumped, re.S)
    assert len(tooltips) == 1
    cells = [html.unescape(c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", tooltips[0])]
    # the first region's name is markup: shown as text, never parsed
    assert cells[:4] == ["Region", NAMES[0], "Code", "A0"] and "Index" in cells
    assert_nothing_injected(dom)
    outlined = [a for a in dom.paths() if a.get("stroke") == "#000000" and a.get("stroke-width") == "3"]
    assert len(outlined) == 1  # the highlight of the hovered region


# -- the year control of a trend map -----------------------------------------------------------

FLAG = f"<img id=\"injected-flag\" src=x onerror=\"document.title='{PWNED}'\">"

#: Appended to a trend page: runs ``actions``, then (at ``after`` ms of virtual time) writes what the page
#: shows into a <pre>: the year, the control's state, every region's and gap line's drawn SVG attributes,
#: and the rows of an open tooltip.
YEAR_PROBE = """<script>
(function () {
    var control = %(control)s, regions = %(regions)s, gaps = %(gaps)s, seen = [], before = null;
    var slider = document.getElementById("%(control)s-slider");
    function rows() {
        return Array.prototype.map.call(document.querySelectorAll("#%(map)s .borderland-tooltip tr"), function (row) {
            return Array.prototype.map.call(row.cells, function (cell) { return cell.textContent; });
        });
    }
    function choose(index) {
        slider.value = String(index);
        slider.dispatchEvent(new Event("input", {bubbles: true}));
    }
    function press(key) {
        slider.dispatchEvent(new KeyboardEvent("keydown", {key: key, bubbles: true, cancelable: true}));
        seen.push(control.year());
    }
    function report() {
        var out = {year: control.year(), playing: control.playing(), seen: seen, hash: window.location.hash,
                   label: document.getElementById("%(control)s-year").textContent, slider: slider.value,
                   pressed: document.getElementById("%(control)s-play").getAttribute("aria-pressed"),
                   regions: {}, gaps: {}, tooltip: rows(), before: before};
        regions.eachLayer(function (layer) {
            out.regions[layer.feature.properties.region_id] = layer.getElement().getAttribute("fill");
        });
        gaps.eachLayer(function (layer) {
            var path = layer.getElement();
            out.gaps[layer.feature.id] = [path.getAttribute("stroke"), Number(path.getAttribute("stroke-width")),
                                          path.getAttribute("stroke-dasharray")];
        });
        var pre = document.createElement("pre");
        pre.id = "%(control)s-report";
        pre.textContent = JSON.stringify(out);
        document.body.appendChild(pre);
    }
    %(actions)s
    setTimeout(report, %(after)d);
})();
</script>
"""


def trend_map(**spec) -> maps.MapModel:
    import mapworld

    return mapworld.trend(NAMES, {("A1", 2020): FLAG, ("P1", 2020): FLAG}, **spec)


def probe(page_text: str, which: int = 0, *, actions: str = "", after: int = 500) -> str:
    import re

    control = re.findall(r"var (year_control_\w+) = \(function", page_text)[which]
    regions = re.findall(r"var regionLayers = \[(\w+)\];", page_text)[which]
    gaps = re.findall(r"var gapLayers = \[(\w+)\];", page_text)[which]
    map_name = re.findall(r'<div class="folium-map" id="(map_\w+)"', page_text)[which]
    return YEAR_PROBE % {"control": control, "regions": regions, "gaps": gaps, "map": map_name,
                         "actions": actions, "after": after}


def reports(dumped: str) -> dict[str, dict]:
    import json
    import re

    return {name: json.loads(html.unescape(text))
            for name, text in re.findall(r'<pre id="(year_control_\w+)-report">(.*?)</pre>', dumped, re.S)}


def expected_lines(model: maps.MapModel, year: int) -> dict[str, list]:
    styles = model.timeline.gap_styles(year)
    return {str(row): [style["color"], style["weight"], style.get("dashArray")]
            for row, style in enumerate(styles) if style is not None}


@pytest.fixture(scope="module")
def trend_file(tmp_path_factory) -> tuple[maps.MapModel, Path]:
    built = trend_map(title=TITLE)
    return built, maps.write_html(built, tmp_path_factory.mktemp("trend") / "trend.html")


def run_trend(chromium, trend_file, tmp_path, *, actions="", after=500, year: int | None = None):
    model, path = trend_file
    text = path.read_text(encoding="utf-8")
    page = tmp_path / "probed.html"
    page.write_text(text + probe(text, actions=actions, after=after), encoding="utf-8")
    dom, dumped, log = render(chromium, page, f"#year={year}" if year is not None else "")
    assert not console_errors(log), log
    assert_nothing_injected(dom)
    (report,) = reports(dumped).values()
    return model, report


def assert_shows(model: maps.MapModel, report: dict, year: int) -> None:
    assert report["year"] == year and report["label"] == str(year)
    assert report["regions"] == {str(k): v for k, v in model.at_year(year).region_layers[0].fill.items()}
    assert report["gaps"] == expected_lines(model, year)


def test_the_trend_map_opens_at_the_latest_year(chromium, trend_file, tmp_path):
    model, report = run_trend(chromium, trend_file, tmp_path)
    assert_shows(model, report, 2021)
    assert report["slider"] == "2" and report["hash"] == ""  # loading writes nothing into the address
    # by hand: 2021's A2 (1.0) and B0 (0.9) in the top class; the pair P2 (AA leads by 0.8) is the widest line
    assert report["regions"]["A2"] == report["regions"]["B0"] == maps.palette_colours("YlGnBu", 5)[4]
    assert report["gaps"]["2"] == [maps.LEADER_COLOURS[0], maps.GAP_MAX_WIDTH_PX, None]


def test_the_address_chooses_the_year(chromium, trend_file, tmp_path):
    model, report = run_trend(chromium, trend_file, tmp_path, year=2019)
    assert_shows(model, report, 2019)
    assert report["regions"]["A2"] == maps.NO_DATA_COLOUR  # no value in 2019: grey, not the lowest class
    assert set(report["gaps"]) == {"0", "1"}  # P2 has no gap in 2019: not drawn


def test_moving_the_slider_restyles_and_names_the_year_in_the_address(chromium, trend_file, tmp_path):
    model, report = run_trend(chromium, trend_file, tmp_path, actions="choose(1);")
    assert_shows(model, report, 2020)
    assert report["gaps"]["1"][2] == maps.GAP_DASH  # flagged in 2020: dashed
    assert report["hash"] == "#year=2020"


def test_keys_step_through_the_years(chromium, trend_file, tmp_path):
    actions = 'press("ArrowLeft"); press("ArrowLeft"); press("ArrowLeft"); press("End"); press("ArrowDown");'
    model, report = run_trend(chromium, trend_file, tmp_path, actions=actions)
    assert report["seen"] == [2020, 2019, 2019, 2021, 2020]  # no step before the first year
    assert_shows(model, report, 2020)


def test_a_hash_set_later_chooses_the_year(chromium, trend_file, tmp_path):
    model, report = run_trend(chromium, trend_file, tmp_path, actions='window.location.hash = "#year=2019";')
    assert_shows(model, report, 2019)


def test_play_steps_once_a_second_and_stops_at_the_last_year(chromium, trend_file, tmp_path):
    # virtual time: the year is read every second from 0.25 s; play was pressed at the start, on 2019
    actions = """document.getElementById("%s-play").click();
    [250, 750, 1250, 1750, 2250, 2750, 3250, 4250].forEach(function (t) {
        setTimeout(function () { seen.push(control.year()); }, t);
    });"""
    model, path = trend_file
    control = __import__("re").search(r"var (year_control_\w+) = \(function", path.read_text("utf-8")).group(1)
    model, report = run_trend(chromium, trend_file, tmp_path, actions=actions % control, after=4500, year=2019)
    assert report["seen"] == [2019, 2019, 2020, 2020, 2021, 2021, 2021, 2021]  # no wrapping round to 2019
    assert report["playing"] is False and report["pressed"] == "false"
    assert_shows(model, report, 2021)


def test_an_open_tooltip_follows_the_year(chromium, trend_file, tmp_path):
    actions = """var hovered = regions.getLayers()[1];  // A1
    hovered.fire("mouseover", {latlng: hovered.getBounds().getCenter()}, true);
    setTimeout(function () { before = rows(); choose(1); }, 100);"""
    _, report = run_trend(chromium, trend_file, tmp_path, actions=actions)
    assert report["before"][:2] == [["Region", NAMES[1]], ["Code", "A1"]]  # a hostile name, shown as text
    assert ["index", "0.40"] in report["before"] and ["Year", "2021"] in report["before"]
    assert not [row for row in report["before"] if row[0] == "Note"]  # no note in 2021: no empty row
    assert report["tooltip"][3:] == [["index", "0.20"], ["Year", "2020"], ["Note", FLAG]]


def test_two_trend_fragments_move_on_their_own(chromium, tmp_path):
    first = maps.html_fragment(trend_map(title="First", size_px=(600, 400)))
    second = maps.html_fragment(trend_map(title="Second", size_px=(500, 400)))
    body = first + second
    page = tmp_path / "two.html"
    page.write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title></title></head><body>\n" + body
                    + probe(body, 0, actions="choose(0);") + probe(body, 1) + "</body></html>\n", encoding="utf-8")
    dom, dumped, log = render(chromium, page)
    assert not console_errors(log), log
    assert_nothing_injected(dom)
    one, two = reports(dumped).values()
    assert (one["year"], two["year"]) == (2019, 2021)  # the first moved; the second stayed
    assert one["hash"] == "" and len(one["regions"]) == len(two["regions"]) == 6
    fragments = [a["id"] for _, a in dom.elements if "borderland-map" in a.get("class", "").split()]
    controls = [f for (_, a), f in zip(dom.elements, dom.fragment_of, strict=True)
                if "borderland-years" in a.get("class", "").split()]
    assert controls == fragments  # each fragment's control sits inside it
