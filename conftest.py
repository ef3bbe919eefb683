"""What the whole suite shares, the docstrings' examples (``borderland/``) and the tests (``tests/``) alike.

The bundled study is computed once per test session (``bundled_result``). A docstring example
that runs it, ``pipeline.run()`` or ``borderland.run()`` with the defaults, is handed that result
too (``_doctests_share_the_bundled_result``): the call is the same, so is what it gives. The tests'
own fixtures (the six-square strip, the command shortcut) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import pickle
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest


def fingerprint(value: object, name: str = "result") -> dict[str, str]:
    """A digest of every field of a result (dataclasses walked, frames by content, not block layout)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found: dict[str, str] = {}
        for field in dataclasses.fields(value):
            found.update(fingerprint(getattr(value, field.name), f"{name}.{field.name}"))
        return found
    if isinstance(value, pd.DataFrame | pd.Series):
        value = value.copy()  # consolidated: reading a frame may merge its blocks, which changes no value
    return {name: hashlib.sha256(pickle.dumps(value)).hexdigest()}


@pytest.fixture(scope="session")
def bundled_result() -> Iterator[Any]:
    """The bundled study, run once per test session (:func:`borderland.run`: with its report).

    Read-only: the session checks at its end that no test (and no docstring example) mutated it.
    """
    import borderland

    result = borderland.run()
    before = fingerprint(result)
    yield result
    changed = [name for name, digest in fingerprint(result).items() if before[name] != digest]
    assert not changed, f"a test mutated the session's bundled result: {changed}"


@pytest.fixture(autouse=True)
def _doctests_share_the_bundled_result(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a docstring example, ``pipeline.run()`` (the bundled study, every stage) gives the session's result.

    So does any call that gives the defaults only (``borderland.run()`` makes one). Any other call
    (a study, some stages, an executor) runs the pipeline as written. The session's result is
    asked for only when an example makes that call, so an example that does not pays nothing.
    """
    from _pytest.doctest import DoctestItem

    if not isinstance(request.node, DoctestItem):
        yield
        return
    from borderland import pipeline

    real = pipeline.run
    signature = inspect.signature(real)
    defaults = {name: parameter.default for name, parameter in signature.parameters.items()}

    def run(*args: Any, **kwargs: Any) -> Any:
        called = signature.bind(*args, **kwargs)
        called.apply_defaults()
        if called.arguments != defaults:
            return real(*args, **kwargs)
        with pytest.MonkeyPatch.context() as unpatched:  # should the session compute it now: with the real run
            unpatched.setattr(pipeline, "run", real)
            return request.getfixturevalue("bundled_result")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "run", run)
        yield
