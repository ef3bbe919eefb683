"""borderland.trade as a package: one public API, layers that import only the layers above them."""

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from borderland import trade

MODULES = ("flows", "indicators", "lines", "divide")
#: What each module may import from the package (data flows one way: flows first).
ALLOWED = {"_common": set(), "flows": {"_common"}, "indicators": {"_common", "flows"},
           "lines": {"_common", "flows"}, "divide": {"_common", "flows"}}


def _public(module_name: str) -> set[str]:
    module = importlib.import_module(f"borderland.trade.{module_name}")
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", module.__name__) == module.__name__
            and (inspect.isfunction(value) or inspect.isclass(value) or name.isupper())}


def test_the_package_exports_every_public_name_of_its_modules():
    defined = set().union(*(_public(name) for name in MODULES))
    assert set(trade.__all__) == defined
    for name in trade.__all__:
        assert getattr(trade, name) is not None


@pytest.mark.parametrize("removed", ["population", "POPULATION_UNITS", "spearman"])
def test_moved_and_removed_names_are_gone(removed):
    # population: borderland.population.region_population; spearman: pandas' Series.corr(method="spearman")
    assert not hasattr(trade, removed)


@pytest.mark.parametrize("module_name", sorted(ALLOWED))
def test_modules_import_only_the_layers_above_them(module_name):
    path = Path(trade.__file__).with_name(f"{module_name}.py")
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("borderland.trade"):
            imported.add(node.module.removeprefix("borderland.trade").lstrip("."))
    assert imported <= ALLOWED[module_name]


def test_importing_trade_imports_no_heavy_library():
    heavy = {"scipy.stats", "esda", "libpysal", "mapclassify", "folium", "matplotlib", "sklearn"}
    code = f"import sys, borderland.trade; print(sorted({heavy!r} & sys.modules.keys()))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(trade.__file__).parents[2])
    assert found.stdout.strip() == "[]"
