"""Each stage's input checks, apart from its computation: where a run would fail on input.

:func:`check` runs the checks of the stages asked for on loaded inputs
(:func:`borderland.pipeline.inputs.load`) without computing any result, collecting every problem
and raising once; what the checks learn on the way (the index year, the values of that year, the
population) is handed to the computing stages (:mod:`borderland.pipeline.stages`), which do not
look it up again. :func:`borderland.pipeline.validate` (``borderland validate``) is exactly the
load stage plus these checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from borderland import indicators, neighbours
from borderland.comparability import definition_problems
from borderland.errors import JoinError, SchemaError, collect
from borderland.index import meets_min_share, percentage_problems, reference_problems
from borderland.pipeline.inputs import Inputs
from borderland.population import region_population
from borderland.specs import printable, shown
from borderland.study import Study

__all__ = ["STAGES", "Validation", "check"]

#: The stages, in order; a command runs a prefix of them.
STAGES: Final = ("load", "index", "border", "gaps", "trade")


def _check_index(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    import difflib

    spec = study.index
    table = inputs.table
    problems = []
    available = sorted(set(table["indicator"].dropna().astype(str)))
    shown_available = [printable(name) for name in available]
    for component in spec.components:
        if not set(component.indicators) & set(available):
            close = difflib.get_close_matches(component.indicators[0], available, n=3)
            hint = (f"; did you mean {', '.join(map(printable, close))}?" if close
                    else f"; the table has {', '.join(shown_available[:12])}")
            problems.append(f"[[index.components]] ({component.name}) indicators = {list(component.indicators)}: "
                            f"none is in the indicator table{hint}")
    if problems:
        return problems
    # a percentage beyond 0-100 is no value of any year: refused before a year is chosen
    problems += percentage_problems(table, spec, inputs.regions.index, file=study.indicators.path.name)
    if spec.year is not None and not (table["year"] == spec.year).any():
        years = table["year"].dropna()
        problems.append(f"[index] year = {spec.year}: the table has no value for it; it has "
                        f"{int(years.min())}-{int(years.max())}: set year to one of those, or year = \"auto\" "
                        "(the latest year with the most complete regions on both sides)"
                        if len(years) else "the table has no year")
        return problems
    try:
        year, counts = _index_year(study, inputs)
    except JoinError as exc:
        return [*problems, str(exc)]
    found["year"], found["year_counts"] = year, counts
    # the index stage takes these values as they are (the same year and rules): not looked up twice
    found["traced"] = indicators.traced_component_values(table, inputs.regions, spec.indicator_names, year,
                                                         rules=spec.year_rules)
    matrix = found["traced"].values
    share = matrix.notna().mean(axis=1)
    indexed = int(meets_min_share(share, spec.min_share).sum())
    needed = 3 if spec.weighting == "pca" else 2
    if indexed < needed:
        problems.append(f"only {indexed} region(s) have the index components of {year} (min_share "
                        f"{spec.min_share:g}); the index, its typology and robustness need at least {needed}: lower "
                        "[index] min_share, allow nearby years (year_rule = \"window\"), or add data")
    # normalise_over's reference set needs a value of every component: checked here, not when the index is built
    problems += reference_problems(matrix, spec, countries=inputs.regions["country"], focus_country=study.focus_country)
    return problems


def _check_border(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if study.border.distance_origin == "population" and inputs.raster is not None \
            and len(inputs.raster.outside):
        problems.append(f"[border] distance_origin = \"population\" needs the population raster over every region; "
                        f"it misses {', '.join(inputs.raster.outside[:8])}: choose distance_origin = \"inside_point\" "
                        "or a raster that covers the study")
    layer = inputs.border_layer
    if layer is not None:
        spec = study.border
        codes = set(inputs.regions["country"].dropna())
        pairs = {frozenset((str(a), str(b))) for a, b in zip(layer[spec.country_a], layer[spec.country_b],
                                                               strict=True)}
        if not any(pair <= codes for pair in pairs):
            problems.append(f"border layer {Path(spec.source).name!r} has no line between two of the study's "
                            f"countries ({', '.join(sorted(codes))}); check [border] country_a / country_b")
    return problems



def _check_gaps(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if "year" in found:
        try:
            found["population"] = region_population(inputs.table, inputs.regions, year=found["year"],
                                                    indicator=study.gaps.population_indicator)
        except SchemaError as exc:
            problems.append(f"[gaps] population_indicator = {study.gaps.population_indicator!r}: {exc}")
    links = inputs.extra_links
    if links is not None:
        missing = [c for c in ("region_a", "region_b") if c not in links.columns]
        if missing:
            problems.append(f"[gaps] extra_links table lacks column(s) {missing}; it needs region_a and region_b")
        else:
            # the rules neighbours.neighbour_graph applies to extra links, checked before computing
            a = links["region_a"].astype("string").str.strip()
            b = links["region_b"].astype("string").str.strip()
            codes = set(inputs.regions.index.astype(str))
            unknown = sorted({str(c) for c in pd.concat([a, b]).dropna()} - codes)
            if unknown:
                problems.append(f"[gaps] extra_links names region(s) not in the layer: {', '.join(unknown[:10])}; "
                                "use the codes of the region layer")
            itself = sorted(set(a[(a == b).fillna(False).astype(bool)].astype(str)))
            if itself:
                problems.append(f"[gaps] extra_links links a region to itself: {', '.join(itself[:10])}; "
                                "delete those rows")
            if "kind" in links.columns:
                reserved = sorted({str(k) for k in links["kind"].dropna() if k in neighbours.CONTIGUITY_LINKS})
                if reserved:
                    problems.append(f"[gaps] extra_links kind {', '.join(map(repr, reserved))} is reserved for "
                                    "contiguity; name the link by what it is (ferry, bridge, ...)")
    if inputs.gaps_published is not None:
        try:
            neighbours.published_pair_figures(inputs.gaps_published, indicator=neighbours.PUBLISHED_PAIR_INDICATOR)
        except SchemaError as exc:
            problems.append(f"[gaps] published = {shown(Path(study.gaps.published or '').name)}: {exc}")
    problems += definition_problems(study.index, inputs.table)
    return problems


def _check_trade(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if study.trade.active and study.trade.year is not None:
        from borderland.trade.indicators import TRADE_MEASURES

        # the rule of trade.trade_indicators: at least one total (the shares and per-capita need turnover)
        have = set(inputs.table["indicator"].dropna().astype(str))
        totals = {name: [ind for ind, _ in TRADE_MEASURES[name]] for name in ("exports", "imports", "turnover",
                                                                              "balance") if name in TRADE_MEASURES}
        if not any(all(ind in have for ind in needed) for needed in totals.values()):
            wanted = sorted({ind for needed in totals.values() for ind in needed})
            problems.append(f"[trade] year = {study.trade.year}: the indicator table has none of the trade totals "
                            f"(indicators {', '.join(wanted)}); add them, or leave [trade] year out")
    return problems


_CHECKS: Final[dict[str, Callable[[Study, Inputs, dict[str, Any]], list[str]]]] = {
    "index": _check_index, "border": _check_border, "gaps": _check_gaps, "trade": _check_trade,
}


def check(study: Study, inputs: Inputs, stages: Sequence[str] = STAGES) -> dict[str, Any]:
    """Run the input checks of ``stages`` on loaded inputs, computing no result.

    Parameters
    ----------
    study
        The study.
    inputs
        From :func:`load`.
    stages
        Which stages' checks to run.

    Returns
    -------
    dict
        What the checks found that the computing reuses (``year`` and ``year_counts`` when the
        index stage is checked).

    Raises
    ------
    SchemaError
        Every problem found, at once.
    """
    problems: list[str] = []
    found: dict[str, Any] = {}  # what one stage's checks learn and the next ones need (the year)
    for stage in stages:
        if stage in _CHECKS:
            problems += _CHECKS[stage](study, inputs, found)
    collect(problems, SchemaError, f"study {study.title!r}")
    return found


@dataclass(frozen=True)
class Validation:
    """What ``borderland validate`` found: the loaded inputs and the year the index would use.

    Attributes
    ----------
    study
        The study checked.
    inputs
        The loaded inputs.
    year
        The index year.
    year_counts
        Regions with every component per candidate year (``None`` when the year is set).
    """

    study: Study
    inputs: Inputs
    year: int
    year_counts: pd.DataFrame | None

    def summary(self, command: str = "run") -> str:
        """A few lines for the terminal; the last says that ``borderland <command>`` will not fail on input."""
        regions = self.inputs.regions
        lines = [f"study: {self.study.describe()}",
                 f"regions: {len(regions)} in {regions['country'].nunique()} countries ({self.study.regions.path})",
                 f"indicator rows: {len(self.inputs.table)} ({self.study.indicators.path})",
                 self.inputs.join.summary(), self.inputs.repair.summary()]
        if self.year_counts is not None:
            lines.append("regions with every index component, by year:")
            lines.append(self.year_counts[self.year_counts["total"] > 0].to_string())
        lines.append(f"index year: {self.year}{' (auto)' if self.year_counts is not None else ''}")
        lines += [f"note: {note}" for note in self.inputs.notes]
        lines.append(f"every input check passed: `borderland {command}` will not fail on input")
        return "\n".join(lines)


def _index_year(study: Study, inputs: Inputs) -> tuple[int, pd.DataFrame | None]:
    spec = study.index
    if spec.year is not None:
        return spec.year, None
    return indicators.choose_year(inputs.table, inputs.regions, spec.indicator_names,
                                  focus_country=study.focus_country, rules=spec.year_rules)
