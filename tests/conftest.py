"""A tiny world whose every distance, adjacency, shared length and gap is known by hand.

Six 1 km squares in a row, in EPSG:3035 near (4 000 km, 3 000 km)::

    x (km from X0):  0    1    2 |  3    4    5    6
                     | A0 | A1 | A2 || B3 | B4 | B5 |
                               state border at x = 3

A0-A2 are in country "AA", B3-B5 in "BB". Every adjacent pair shares exactly 1 km; the only
cross-border pair is A2-B3. Inside points are the square centres, so the distance to the border
is 0.5, 1.5 and 2.5 km on each side; border order is 1, 2, 3 moving away from it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import settings

# no wall-clock deadlines on a shared 2-core machine (house rule): a loaded machine made property
# tests without @settings(deadline=None) fail as "flaky"
settings.register_profile("borderland", deadline=None)
settings.load_profile("borderland")

X0, Y0 = 4_000_000.0, 3_000_000.0
KM = 1000.0


def square(col: float, row: float = 0.0, size: float = 1.0) -> shapely.Polygon:
    return shapely.box(X0 + col * KM, Y0 + row * KM, X0 + (col + size) * KM, Y0 + (row + size) * KM)


def strip_world() -> gpd.GeoDataFrame:
    codes = ["A0", "A1", "A2", "B3", "B4", "B5"]
    return gpd.GeoDataFrame(
        {
            "region_id": codes,
            "name": [f"Region {c}" for c in codes],
            "country": ["AA"] * 3 + ["BB"] * 3,
            "level": "test",
        },
        geometry=[square(i) for i in range(6)],
        crs="EPSG:3035",
    )


@pytest.fixture
def world() -> gpd.GeoDataFrame:
    """The six-square strip as read from a file (region_id a column)."""
    return strip_world()


@pytest.fixture
def regions(world: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The strip prepared: indexed by region_id, projected."""
    from borderland.layers import prepare_regions

    return prepare_regions(world)


@pytest.fixture
def strip_table() -> pd.DataFrame:
    """Hand-made tidy indicators for the strip (two years, two indicators, one missing value)."""
    rows = []
    values_2020 = {"A0": (50, 40), "A1": (60, 50), "A2": (70, 60), "B3": (90, 80), "B4": (100, 90), "B5": (80, 70)}
    for code, (access, broadband) in values_2020.items():
        rows.append((code, "access", 2020, access))
        rows.append((code, "broadband", 2020, broadband))
    rows.append(("A0", "access", 2021, 55))
    rows.append(("B3", "access", 2021, 95))
    rows.append(("B3", "broadband", 2021, 85))
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])


@pytest.fixture(scope="session")
def bundled_report(bundled_result) -> Callable[[str], str]:
    """The session's bundled result's report page in a language (``"en"``, ``"ru"``), rendered once per language."""
    from borderland import report

    pages: dict[str, str] = {}

    def page(lang: str) -> str:
        if lang not in pages:
            pages[lang] = report.report_html(bundled_result, lang=lang)
        return pages[lang]

    return page


@dataclasses.dataclass
class ComputedOnce:
    """``borderland.commands``' computing step, handing back the session's bundled result when it may.

    The commands compute through ``commands._computed(study, stages, on_stage)``. For exactly the
    bundled study and every stage (what ``bundled_result`` is), this returns that result instead of
    computing it again; any other study (an option that changes a study value, a study file, files
    given as options) or a shorter list of stages is computed for real. ``taken`` and ``computed``
    record which happened, for the tests to assert.
    """

    result: Any
    real: Callable[..., Any]
    taken: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    computed: list[tuple[str, ...]] = dataclasses.field(default_factory=list)

    def __call__(self, study: Any, stages: Sequence[str], on_stage: Callable[[str], None] | None,
                 executor: Any = None) -> Any:
        from borderland import pipeline

        if study == self.result.study and tuple(stages) == pipeline.STAGES:
            assert tuple(self.result.timings) == pipeline.STAGES  # the session's result ran every stage
            self.taken.append(tuple(stages))
            for name in self.result.timings:
                if on_stage:
                    on_stage(name)
            return self.result
        self.computed.append(tuple(stages))
        return self.real(study, stages, on_stage, executor)


@contextlib.contextmanager
def computing_once(result: Any) -> Iterator[ComputedOnce]:
    """Within the block, the commands hand back ``result`` for its own study and every stage (:class:`ComputedOnce`)."""
    from borderland import commands

    with pytest.MonkeyPatch.context() as patch:
        shortcut = ComputedOnce(result, commands._computed)
        patch.setattr(commands, "_computed", shortcut)
        yield shortcut


@pytest.fixture
def computed_once(bundled_result) -> Iterator[ComputedOnce]:
    """The commands reuse the session's bundled result where the study and stages are exactly its own.

    For tests of the command-line layer (options, what is written, messages); the pipeline behind
    each command is still run end to end by the tests that do not use this fixture.
    """
    with computing_once(bundled_result) as shortcut:
        yield shortcut


#: The running dask cluster of ``dask_client``, and the test after which nothing needs it.
_DASK: dict[str, Any] = {}
_LAST_DASK_TEST = pytest.StashKey[str]()

#: Under ``pytest -n``, modules whose tests run on one worker, one after the other (see
#: ``pytest_xdist_make_scheduler``): the tests on the cluster, so that one cluster is started.
WORKER_GROUPS: dict[str, str] = {"tests/test_compute.py": "dask", "tests/test_distributed.py": "dask"}


def _stop_dask() -> None:
    running = _DASK.pop("running", None)
    if running is not None:
        running.close()


@pytest.fixture(scope="session")
def dask_client():
    """A two-worker dask cluster on this machine, started once per test session (once in all under ``pytest -n``).

    Started as ``borderland --scheduler local`` starts one (``compute.executor("local")``), which
    every test on a cluster thus runs on; a command is given its address (``--scheduler tcp://...``).
    Stopped after the last test that uses it, not at the end of the session: idle, its workers'
    heartbeats cost about a tenth of a core (measured: 2.7 s of CPU in 30 s here).
    """
    from borderland.compute import DaskExecutor, executor

    running = contextlib.ExitStack()
    where = running.enter_context(executor("local", workers=2))
    assert isinstance(where, DaskExecutor)
    _DASK["running"] = running
    yield where.client
    _stop_dask()


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    users = [item.nodeid for item in items if "dask_client" in getattr(item, "fixturenames", ())]
    if users:
        config.stash[_LAST_DASK_TEST] = users[-1]
    strays = sorted({nodeid.split("::", 1)[0] for nodeid in users} - set(WORKER_GROUPS))
    if strays and hasattr(config, "workerinput"):  # a pytest-xdist worker
        raise pytest.UsageError(f"{strays} use dask_client: add them to WORKER_GROUPS in tests/conftest.py as "
                                f"'dask', so that the tests on the cluster share one worker and one cluster")


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if item.nodeid == item.config.stash.get(_LAST_DASK_TEST, None):
        _stop_dask()


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called only where it is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``pytest -n N`` (``--dist loadscope``, pyproject): a module's tests on one worker, a group's modules too.

    Sent a module at a time, a module's fixtures (a Chromium, a run of the bundled study, the
    kills' output folder) are set up on one worker only, and its tests run in their order, each
    after the one before it. The modules of a group in ``WORKER_GROUPS`` are sent together, as
    one unit: the tests on the dask cluster share one worker, so one cluster is started, and it
    is stopped after its last test there (``pytest_runtest_teardown``). (xdist's own
    ``xdist_group`` mark cannot do this here: it renames test ids, which pytest 9.2 no longer
    takes, and the tests are then spread as if unmarked: pytest-xdist issue #1386.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return WORKER_GROUPS.get(module, module)

    return ModulesAndGroups(config, log)
