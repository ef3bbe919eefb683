"""Render the README's map screenshots from the bundled study (needs Debian's chromium).

    python maps/screenshots.py

Each map kind is written with ``borderland map --kind KIND`` into a temporary folder and
photographed by headless Chromium with the network cut, as a reader would see it offline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = {
    "index": ["--kind", "index", "--kind", "gaps"],
    "typology": ["--kind", "typology", "--kind", "gaps"],
    "uncertainty": ["--kind", "uncertainty"],
    "rings": ["--kind", "rings"],
    "bands": ["--kind", "bands"],
    "population": ["--kind", "population"],
    "trade": ["--kind", "index", "--kind", "trade"],
}


def shoot(html: Path, png: Path, profile: Path) -> None:
    """Photograph ``html`` into ``png`` with headless Chromium, the network cut."""
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
         "--window-size=1000,760", "--virtual-time-budget=8000", f"--screenshot={png}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )


def main() -> None:
    """Write every map kind of the bundled study and photograph it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind, options in KINDS.items():
            out = folder / kind
            subprocess.run([sys.executable, "-m", "borderland", "-q", "map", "--out", str(out), *options],
                           check=True, cwd=HERE.parent)
            shoot(out / "borderland_map.html", HERE / f"screenshot_{kind}.png", folder / "profile")
            print(f"wrote {HERE / f'screenshot_{kind}.png'}")


if __name__ == "__main__":
    main()
