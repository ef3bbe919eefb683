"""Helpers of the catalogue of broken inputs (tests/test_catalogue.py).

A case writes a study into a folder (the six-square strip of conftest.py, or a copy of the
bundled study that ``borderland init`` writes), breaks one thing in it, and says which words the
message must hold. The runner checks what every case must satisfy: the exit code, no traceback,
the message, the previous output set byte-identical, ``validate`` failing with the same message,
and, where the message names a fix, that the fix gets the study past the problem.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from click.testing import CliRunner, Result
from conftest import strip_world

from cli import cli

#: The strip's indicator table: one indicator, one year, every region.
STRIP_TABLE = pd.DataFrame({
    "region_id": ["A0", "A1", "A2", "B3", "B4", "B5"],
    "indicator": "access", "year": 2020, "value": [50.0, 60.0, 70.0, 90.0, 100.0, 80.0],
})

#: The strip's study file, as parsed TOML.
STRIP_STUDY: dict[str, Any] = {
    "study": {"title": "strip", "focus_country": "AA"},
    "regions": {"path": "regions.gpkg"},
    "indicators": {"path": "table.csv"},
    "index": {"components": [{"name": "access"}]},
    "gaps": {"permutations": 9},
}


# -- writing studies -----------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A value in TOML syntax (strings as JSON strings, which TOML reads the same)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def toml_text(data: Mapping[str, Any]) -> str:
    """A study file from its parsed form (sections of keys; ``index.components`` as tables)."""
    lines: list[str] = []
    for section, keys in data.items():
        if not isinstance(keys, Mapping):
            lines.append(f"{section} = {toml_value(keys)}")
            continue
        lines.append(f"[{section}]")
        tables = []
        for key, value in keys.items():
            if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                tables.append((key, value))
            else:
                lines.append(f"{json.dumps(key)} = {toml_value(value)}")
        for key, rows in tables:
            for row in rows:
                lines.append(f"[[{section}.{key}]]")
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in row.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


def write_toml(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(toml_text(data), encoding="utf-8")
    return path


def strip_study(folder: Path, *, layer: gpd.GeoDataFrame | None = None, table: pd.DataFrame | None = None,
                change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The strip study in ``folder``: regions.gpkg, table.csv and study.toml (changed by ``change``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (strip_world() if layer is None else layer).to_file(folder / "regions.gpkg", engine="pyogrio")
    (STRIP_TABLE if table is None else table).to_csv(folder / "table.csv", index=False)
    data = copy.deepcopy(STRIP_STUDY)
    if change is not None:
        change(data)
    return write_toml(folder / "study.toml", data)


def read_study(path: Path) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


def edit_study(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the parsed study file and write it back."""
    data = read_study(path)
    change(data)
    write_toml(path, data)


# -- running -------------------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    """The command line in-process, as a user sees it (stdout and stderr together)."""
    return CliRunner().invoke(cli, [str(a) for a in args], obj={})


def checksums(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden and staging files included) with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} | {
        str(p.relative_to(folder)) + "/": "folder" for p in sorted(folder.rglob("*")) if p.is_dir()}


def error_text(result: Result) -> str:
    """The ``Error: ...`` part of a command's output (the message, all its lines)."""
    text = result.output
    start = text.find("Error:")
    return text[start:] if start >= 0 else ""


def copy_outputs(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, copy_function=shutil.copy2)
    return target


# -- an immutable file or folder (root ignores permissions; the immutable attribute stops it too) ----


def _writable(path: Path) -> bool:
    probe = (path if path.is_dir() else path.parent) / ".probe-writable"
    try:
        if path.is_dir():
            probe.write_text("x", encoding="utf-8")
            probe.unlink()
            return True
        os.link(path, probe)  # an immutable file cannot be linked nor replaced
        probe.unlink()
        return True
    except OSError:
        return False


@dataclass
class Locks:
    """Makes paths unchangeable (chmod for a normal user, ``chattr +i`` for root), undone at the end."""

    locked: list[Path] = field(default_factory=list)

    def lock(self, path: Path) -> Path:
        if os.geteuid() != 0:
            path.chmod(0o555 if path.is_dir() else 0o444)
            if path.is_file():
                path.parent.chmod(0o555)  # a rename onto a file needs a writable folder
                self.locked.append(path.parent)
        else:
            subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        self.locked.append(path)
        assert not _writable(path), f"could not make {path} unchangeable"
        return path

    def release(self) -> None:
        for path in reversed(self.locked):
            if os.geteuid() != 0:
                path.chmod(0o755 if path.is_dir() else 0o644)
            else:
                subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)
        self.locked.clear()
