"""The house: no import cycles, every module in its place in the data flow, the package typed."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "borderland"

#: The data flow, top to bottom: a module may import only modules of its own layer or above it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("specs", "compute"),
    ("io", "outputs"),
    ("layers", "indicators"),
    ("population", "classify"),
    ("index", "coherence", "typology"),
    ("robustness",),
    ("study",),
    ("nearest",),
    ("border", "raster"),
    ("exposure", "neighbours"),
    ("spatial", "comparability"),
    ("trade",),
    ("pipeline",),
    ("trend",),
    ("distributed",),
    ("maps",),
    ("export",),
    ("report",),
    ("commands",),
    ("api",),
    ("__main__",),
)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, at any depth of its code: lazy imports too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "borderland":
                found.add(target)
    return found


def top(name: str) -> str:
    return name.split(".")[1] if name.count(".") else name


#: The import graph the layer rules hold for: every import, those inside a function too.
GRAPH = {name: imports(name, path, set(modules())) for name, path in modules().items()}


def test_no_import_cycles():
    # depth-first search for a back edge
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for other in sorted(GRAPH.get(node, ())):
            if state.get(other) == 1:
                cycles.append(" -> ".join([*trail[trail.index(other):], other]))
            elif other not in state:
                visit(other, [*trail, other])
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_every_module_has_its_place_in_the_data_flow():
    placed = {name for layer in LAYERS for name in layer}
    unplaced = sorted({top(name) for name in GRAPH} - placed - {"borderland", "_cli"})
    assert not unplaced, f"modules without a place in LAYERS (and in the README's Repository section): {unplaced}"



def _drawn_names(text: str) -> set[str]:
    """The module names a drawing of the layout lists in its first column (``a, b/,`` or ``  b``)."""
    import re

    names = set()
    for line in text.splitlines():
        first = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        names |= {word.strip().rstrip("/") for word in first.split(",") if word.strip()}
    return names


@pytest.mark.parametrize("where", ["package docstring", "README"])
def test_the_drawings_of_the_data_flow_name_every_layer(where):
    if where == "README":
        readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
        text = readme.split("## Repository", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    else:
        import borderland

        text = (borderland.__doc__ or "").split("::", 1)[1].split("\n\n", 2)[1]
    missing = sorted({name for layer in LAYERS for name in layer} - {"__main__"} - _drawn_names(text))
    assert not missing, f"the {where} does not draw {missing}"

def test_data_flows_one_way():
    rank = {name: k for k, layer in enumerate(LAYERS) for name in layer}
    upward = [f"{source} imports {target}" for source, targets in GRAPH.items() for target in targets
              if top(source) in rank and top(target) in rank and rank[top(target)] > rank[top(source)]]
    assert not upward, upward


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_every_module_imports_alone(name):
    importlib.import_module(name)


def test_the_package_says_it_is_typed():
    assert (PACKAGE / "py.typed").exists()
