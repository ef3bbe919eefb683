"""``python -m borderland`` and the ``borderland`` command."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load_cli() -> ModuleType:
    try:
        # installed wheel: the top-level cli.py is shipped as borderland/_cli.py
        # by name, so that mypy reads the same code whether the package is installed or a checkout
        return importlib.import_module("borderland._cli")
    except ImportError:
        # source checkout or editable install: cli.py sits next to the package
        path = Path(__file__).resolve().parent.parent / "cli.py"
        spec = importlib.util.spec_from_file_location("borderland._cli", path)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        sys.modules["borderland._cli"] = module
        spec.loader.exec_module(module)
        return module


def main() -> None:
    """Run the click command group."""
    try:
        cli = _load_cli()
    except KeyboardInterrupt:  # while importing: nothing was read or written yet
        from borderland import outputs

        print(outputs.interrupted(), file=sys.stderr)
        sys.exit(130)
    cli.main()


if __name__ == "__main__":
    main()
