"""Tests of the borderland.maps package as a whole: its layering, its imports, its use of folium."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import borderland.maps

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "borderland" / "maps"
TEMPLATES = REPO / "maps" / "templates"
ADAPTER = PACKAGE / "_folium.py"
PRIVATE = re.compile(r"\.(_template|_id|_name|_children|_parent)\b")


def modules() -> dict[str, Path]:
    """The package's modules, a sub-package (qgis/) as one."""
    found = {f"borderland.maps.{path.stem}": path for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"}
    return found | {f"borderland.maps.{init.parent.name}": init.parent
                    for init in sorted(PACKAGE.glob("*/__init__.py"))}


def imported(path: Path) -> set[str]:
    """Every module a file, or a sub-package's files, import, at the top or inside a function (TYPE_CHECKING too)."""
    found: set[str] = set()
    for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    # an import of a sub-package's module (maps.qgis.qml) is an import of the sub-package (maps.qgis)
    packages = {f"borderland.maps.{init.parent.name}" for init in PACKAGE.glob("*/__init__.py")}
    found |= {name for name in packages if any(m.startswith(f"{name}.") for m in found)}
    return (found - {f"borderland.maps.{path.name}"}) if path.is_dir() else found


def test_folium_internals_are_touched_only_in_the_adapter():
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *TEMPLATES.glob("*")]:
        if path == ADAPTER:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PRIVATE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
    # the adapter is where they are, and it says why
    source = ADAPTER.read_text(encoding="utf-8")
    assert PRIVATE.search(source) and "no public way" in " ".join(source.split())


def test_the_private_attribute_check_finds_them():
    assert PRIVATE.search("element._id = 1") and PRIVATE.search("{{ this._parent.get_name() }}")
    assert not PRIVATE.search("self.layer_name = name") and not PRIVATE.search("_template_file(name)")


def test_no_import_cycle_between_the_map_modules():
    graph = {name: {m for m in imported(path) if m in modules()} for name, path in modules().items()}
    # no module imports the package itself (its __init__ imports them all)
    assert not [name for name, path in modules().items() if "borderland.maps" in imported(path)]
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in visiting, f"import cycle: {' -> '.join((*trail, name))}"
        if name in order:
            return
        visiting.add(name)
        for other in sorted(graph[name]):
            visit(other, (*trail, name))
        visiting.discard(name)
        order.append(name)

    for name in sorted(graph):
        visit(name, ())
    # spec before model before the writers: data flows one way
    assert order.index("borderland.maps.spec") < order.index("borderland.maps.model")
    for writer in ("leaflet", "static", "qgis"):
        assert order.index("borderland.maps.model") < order.index(f"borderland.maps.{writer}")
        assert not {f"borderland.maps.{other}" for other in ("leaflet", "static", "qgis")} & graph[
            f"borderland.maps.{writer}"], writer


def test_the_maps_import_nothing_below_them():
    # the layout: maps may use io, errors, classify (and their like), never the pipeline or the exports
    below = {"borderland.pipeline", "borderland.export", "borderland.distributed", "cli"}
    for name, path in modules().items():
        assert not below & imported(path), name
    assert not below & imported(PACKAGE / "__init__.py")


def test_the_model_imports_no_drawing_library_even_lazily():
    assert not {m for m in imported(PACKAGE / "model.py") if m.split(".")[0] in ("folium", "branca", "matplotlib")}
    assert not {m for m in imported(PACKAGE / "qgis") if m.split(".")[0] in ("folium", "branca", "matplotlib")}
    for part in ("checks", "classes", "features", "layers", "palettes", "timeline"):  # the model's parts
        assert not {m for m in imported(PACKAGE / f"{part}.py")
                    if m.split(".")[0] in ("folium", "branca", "matplotlib")}, part


def test_importing_the_package_loads_no_heavy_library():
    heavy = "{'folium', 'branca', 'mapclassify', 'matplotlib', 'jinja2'}"
    code = f"import sys, borderland.maps; print(sorted({heavy} & sys.modules.keys()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(borderland.maps.__all__))
def test_public_api_is_documented(name):
    item = getattr(borderland.maps, name)
    if callable(item):
        assert item.__doc__ and len(item.__doc__.strip()) > 20, name


def test_package_docstring_describes_the_flow():
    doc = borderland.maps.__doc__ or ""
    for step in ("MapSpec", "map_model", "MapModel", "write_html", "write_image", "layer_styles"):
        assert step in doc, step
