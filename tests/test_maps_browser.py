"""Render an offline map in headless Chromium with the network cut, and inspect the result.

Needs the Debian package ``chromium`` (``apt-get install -y chromium``); set
``BORDERLAND_NO_BROWSER=1`` to skip these tests on a machine that cannot have it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from borderland import maps

pytestmark = pytest.mark.browser

X0, Y0, SIDE = 4_300_000.0, 3_200_000.0, 10_000.0
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


@pytest.fixture(scope="module")
def chromium() -> str:
    if os.environ.get("BORDERLAND_NO_BROWSER") == "1":
        pytest.skip("BORDERLAND_NO_BROWSER=1: headless browser tests switched off")
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if path is None:
        pytest.fail("headless Chromium is needed to render the map: run `apt-get install -y chromium` "
                    "(or set BORDERLAND_NO_BROWSER=1 to skip the browser tests)")
    return path


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> Path:
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r in range(2) for c in range(3)]
    index = [0.9, 0.5, np.nan, 0.2, 0.6, 0.1]
    regions = gpd.GeoDataFrame(
        {"name": NAMES, "country": ["AA"] * 3 + ["BB"] * 3, "index": index,
         "typology": ["leader", "moderate", None, "lagging", "moderate", "lagging"],
         "border_distance_km": [5.0] * 6, "border_order": [1] * 6},
        geometry=geoms, crs="EPSG:3035", index=pd.Index(["A0", "A1", "A2", "B0", "B1", "B2"], name="region_id"),
    )
    border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [30.0]},
                              geometry=[LineString([(X0, Y0 + SIDE), (X0 + 3 * SIDE, Y0 + SIDE)])],
                              crs="EPSG:3035")
    pairs = gpd.GeoDataFrame(
        [{"region_a": regions.index[c], "region_b": regions.index[3 + c], "name_a": NAMES[c],
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
    m = maps.divide_map(regions, border, pairs, title=TITLE, attribution=[CREDIT], countries=countries)
    return maps.write_map(m, tmp_path_factory.mktemp("map") / "divide.html")


def run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
        # no network: every request goes to a proxy on the discard port, and no name resolves
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


class Dom(HTMLParser):
    """Elements of a dumped DOM: (tag, attributes), and the document title."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def rendered(chromium, map_file, tmp_path_factory) -> tuple[Dom, str, str]:
    result = run_chromium(chromium, tmp_path_factory.mktemp("profile"), "--dump-dom", map_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Dom()
    dom.feed(result.stdout)
    return dom, result.stdout, result.stderr


def test_regions_are_drawn(rendered):
    dom, _, _ = rendered
    paths = [a for tag, a in dom.elements if tag == "path" and "leaflet-interactive" in a.get("class", "")]
    # six regions, one state border, two cross-border gaps (the third pair lacks data)
    assert len(paths) >= 6
    assert len(paths) == 9
    fills = {a.get("fill") for a in paths}
    assert maps.NO_DATA_COLOUR in fills and set(maps.INDEX_PALETTES[5]) <= fills
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


def test_hostile_names_did_not_execute(rendered):
    dom, _, _ = rendered
    assert dom.title == TITLE  # no injected script renamed the page
    injected = [a["id"] for _, a in dom.elements if a.get("id", "").startswith("injected")]
    assert injected == []
    assert not [a for tag, a in dom.elements if tag in ("img", "b", "i")]


def test_no_javascript_errors_and_no_network(rendered):
    _, _, log = rendered
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Uncaught" in line or "Failed to load resource" in line], console
    assert "ERR_PROXY_CONNECTION_FAILED" not in log and "ERR_NAME_NOT_RESOLVED" not in log


def test_screenshot(chromium, map_file, tmp_path):
    shot = tmp_path / "divide.png"
    result = run_chromium(chromium, tmp_path / "profile", "--hide-scrollbars", "--window-size=1200,800",
                          f"--screenshot={shot}", map_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
