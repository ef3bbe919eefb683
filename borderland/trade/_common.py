"""Checks shared by the trade modules."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from borderland.errors import SchemaError


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, fix: str) -> None:
    """Raise a :class:`~borderland.errors.SchemaError` naming the missing columns, those present and the fix."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise SchemaError(f"{what} lacks column(s) {', '.join(missing)} (has {have}); {fix}")
