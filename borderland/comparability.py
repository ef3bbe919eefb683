"""Comparable definitions across the border: how much of a divide rests on indicators defined differently.

A component of the index may be measured by different indicators on the two sides of a border
(Rosstat's "population 15-74 that used the internet" beside Eurostat's "individuals 16-74
using the internet at least weekly"). Every cross-border gap, segment mean and class then
carries the difference of definitions as well as the difference of use. This module finds the
components whose definition differs across each pair and shows how much they move the results:

1. **Definitions** (:func:`definition_table`): each indicator name of a component may carry a
   definition, in the study file (``[[index.components]] definitions``) or in the indicator
   table (a ``definition`` column); the study file's text wins where both give one.
2. **The rule** (:func:`pair_comparability`): two regions' values of a component are
   *comparable* when they come from the same indicator name, or from names whose definitions
   are declared identical (compared with white space normalised). Different names without
   definitions are **not** comparable: nothing says they measure the same thing. A component
   that one side of a pair lacks is not compared. A pair is comparable when all the
   components both sides have are.
3. **The analysis** (:func:`compare_definitions`): the index rebuilt without each component
   that is not comparable across at least one cross-border pair with a gap (the same spec
   otherwise, :func:`borderland.index.build_index`), and with the user's adjustment of an
   indicator where one is given (``adjust``: an amount in raw units added to that indicator's
   values); for each, the gap of every cross-border pair, the length-weighted mean gap of every
   border segment and the typology, beside those of the run.

The rebuilt indices cover the regions the run indexed and no others, so that a difference is
the component's alone and not a change in which regions are compared: a region that lacked only
the dropped component gets no index here either, and with ``normalise_over = "indexed"`` it does
not join the reference set.

Leaving a component out removes the artefact of its definitions *and* the real difference it
measures: the change bounds the definitional part of a gap rather than measuring it. An
adjustment taken from a published bridge between the two definitions measures it; the bundled
data hold none, so the bundled study gives none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import BorderlandError, SchemaError, collect
from borderland.index import IndexSpec, build_index, meets_min_share
from borderland.indicators import normalised_definition, table_definitions
from borderland.typology import TypologySpec, classify

__all__ = ["COMPARABILITY_COLUMNS", "DEFINITION_COLUMNS", "SCENARIOS", "ComparabilityResult", "compare_definitions",
           "definition_problems", "definition_table", "pair_comparability"]

#: Scenarios of the comparability table: the run's index, the index without one component, and
#: the index with one component's values adjusted as the study file says.
SCENARIOS: Final = ("all components", "without", "adjusted")

#: Columns of :func:`definition_table`.
DEFINITION_COLUMNS: Final = ("component", "indicator", "definition", "definition_source", "adjust", "adjust_source")

#: Columns of the comparability table (:attr:`ComparabilityResult.table`), in order.
COMPARABILITY_COLUMNS: Final = (
    "scope", "scenario", "component", "adjustment", "segment", "region_a", "region_b", "name_a", "name_b",
    "comparable", "noncomparable_components", "shared_border_km", "gap", "gap_change", "abs_gap_change_pct",
    "mean_gap_length_weighted", "mean_gap_length_weighted_change", "mean_abs_gap_length_weighted",
    "regions_indexed", "regions_changing_class", "class_counts", "class_changes",
)

#: Prefix of the key of an indicator without a definition: comparable with itself only.
_BARE: Final = "\x00indicator:"


# -- definitions --------------------------------------------------------------------------------


def _resolved(spec: IndexSpec, table: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The definition table, the problems (several table definitions of one name) and notes."""
    names = {n for c in spec.components for n in c.indicators}
    from_table = table_definitions(table, names) if table is not None else {}
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    notes: list[str] = []
    for component in spec.components:
        for name in component.indicators:
            declared = component.definition(name)
            found = from_table.get(name, ())
            if declared is not None:
                text, source = normalised_definition(declared), "study file"
                if found and found != (text,):
                    notes.append(f"{component.name}: the study file's definition of {name!r} replaces the indicator "
                                 f"table's ({'; '.join(map(repr, found))})")
            elif len(found) == 1:
                text, source = found[0], "indicator table"
            elif found:
                # one name, values of several definitions (Rosstat's and Eurostat's households online):
                # each value is compared by the definition of its own row
                text, source = None, "indicator table, per value"
                notes.append(f"{component.name}: the indicator table gives {name!r} {len(found)} definitions "
                             f"({'; '.join(map(repr, found))}); each value is compared by its own")
            else:
                text, source = None, ""
            amount = component.adjustment(name)
            rows.append({"component": component.name, "indicator": name, "definition": text,
                         "definition_source": source, "adjust": amount if name in dict(component.adjust) else np.nan,
                         "adjust_source": component.adjust_source if name in dict(component.adjust) else ""})
    frame = pd.DataFrame(rows, columns=list(DEFINITION_COLUMNS))
    frame = frame.astype({"component": "string", "indicator": "string", "definition": "string",
                          "definition_source": "string", "adjust": float, "adjust_source": "string"})
    return frame, problems, notes


def definition_problems(spec: IndexSpec, table: pd.DataFrame | None = None) -> list[str]:
    """Why the definitions cannot be resolved (the checks of a run), one sentence each; empty when they can.

    Parameters
    ----------
    spec
        The index specification (its components' ``definitions``).
    table
        The tidy indicator table, with or without a ``definition`` column.

    Returns
    -------
    list of str
        One problem per indicator name that the table defines in several ways while the study
        file states none.
    """
    return _resolved(spec, table)[1]


def definition_table(spec: IndexSpec, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each indicator of each component measures, and where that is said.

    Parameters
    ----------
    spec
        The index specification: each component's ``definitions``, ``adjust`` and
        ``adjust_source``.
    table
        The tidy indicator table; its ``definition`` column, when present, defines the names the
        study file does not.

    Returns
    -------
    pandas.DataFrame
        One row per component and indicator name: ``component``, ``indicator``, ``definition``
        (white space normalised; missing when none is given), ``definition_source`` (``"study
        file"``, ``"indicator table"`` or empty), ``adjust`` (amount in raw units, NaN when none)
        and ``adjust_source``. ``attrs["notes"]`` says where the study file replaced a table's
        definition.

    Raises
    ------
    SchemaError
        The table gives one indicator name several definitions and the study file none.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("users", ("used", "weekly"), definitions=(("weekly", "16-74, weekly"),)),))
    >>> definition_table(spec)[["indicator", "definition", "definition_source"]].values.tolist()
    [['used', <NA>, ''], ['weekly', '16-74, weekly', 'study file']]
    """
    frame, problems, notes = _resolved(spec, table)
    collect(problems, SchemaError, "definitions of the index components")
    frame.attrs["notes"] = notes
    return frame


def _keys(definitions: pd.DataFrame, component: str) -> dict[str, str]:
    """Indicator name -> what its values are compared by: the definition, or the name itself."""
    rows = definitions[definitions["component"] == component]
    return {str(name): (str(text) if pd.notna(text) else f"{_BARE}{name}")
            for name, text in zip(rows["indicator"], rows["definition"], strict=True)}


# -- pairs --------------------------------------------------------------------------------------


def pair_comparability(
    pairs: pd.DataFrame,
    sources: pd.DataFrame,
    spec: IndexSpec,
    *,
    definitions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Whether the two regions of each pair measure every component in the same way.

    Parameters
    ----------
    pairs
        Pairs with ``region_a`` and ``region_b`` (e.g. from :func:`borderland.neighbours.pair_table`).
    sources
        The indicator name each region's value of each component comes from: columns
        ``<component>_indicator``, indexed by region code
        (:func:`borderland.indicators.traced_component_values`).
    spec
        The index specification.
    definitions
        From :func:`definition_table`; the study file's definitions alone when ``None``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``pairs``: ``comparable`` (nullable boolean: false when a component's values
        on the two sides come from indicators of different definitions; missing when no component
        has a value on both sides) and ``noncomparable_components`` (the components at fault,
        comma-separated, in the spec's order; empty when comparable).

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("users", ("used", "weekly")),))
    >>> sources = pd.DataFrame({"users_indicator": ["used", "weekly", "weekly", None]}, index=list("wxyz"))
    >>> pairs = pd.DataFrame({"region_a": ["w", "x", "y"], "region_b": ["x", "y", "z"]})
    >>> pair_comparability(pairs, sources, spec).values.tolist()
    [[False, 'users'], [True, ''], [<NA>, <NA>]]
    """
    definitions = definition_table(spec) if definitions is None else definitions
    a, b = pairs["region_a"].to_numpy(), pairs["region_b"].to_numpy()
    measured = np.zeros(len(pairs), dtype=bool)
    at_fault: list[list[str]] = [[] for _ in range(len(pairs))]
    problems = [f"sources lack {c.name}_indicator" for c in spec.components if f"{c.name}_indicator" not in sources]
    collect(problems, SchemaError, "pair comparability")
    for component in spec.components:
        names = sources[f"{component.name}_indicator"]
        keys = names.map(_keys(definitions, component.name))
        # a name the definitions do not list (an indicator the spec no longer names) is compared by its name
        keys = keys.where(keys.notna() | names.isna(), _BARE + names.astype("string"))
        per_value = f"{component.name}_definition"
        if per_value in sources:
            # a row's own definition counts where the study file states none for its name
            declared = {str(n) for n, where in zip(definitions["indicator"], definitions["definition_source"],
                                                   strict=True) if where == "study file"}
            own = sources[per_value].where(~names.isin(list(declared)))
            keys = own.where(own.notna(), keys)
        # plain objects, None for missing: pandas' NA cannot be compared element by element
        keys = keys.astype(object).where(keys.notna(), None)
        key_a, key_b = keys.reindex(a).to_numpy(dtype=object), keys.reindex(b).to_numpy(dtype=object)
        both = pd.notna(key_a) & pd.notna(key_b)
        measured |= both
        for position in np.flatnonzero(both & (key_a != key_b)):
            at_fault[position].append(component.name)
    comparable = pd.array([None if not m else not faults for m, faults in zip(measured, at_fault, strict=True)],
                          dtype="boolean")
    text = pd.array([None if not m else ", ".join(faults) for m, faults in zip(measured, at_fault, strict=True)],
                    dtype="string")
    return pd.DataFrame({"comparable": comparable, "noncomparable_components": text}, index=pairs.index)


# -- the analysis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scenario:
    kind: str  # a SCENARIOS entry
    component: str
    index: pd.Series
    adjustment: str = ""


@dataclass(frozen=True, eq=False)
class ComparabilityResult:
    """How far the cross-border results rest on components defined differently on the two sides.

    Attributes
    ----------
    pairs
        Indexed like the pairs given: ``comparable`` and ``noncomparable_components``
        (:func:`pair_comparability`).
    table
        The comparability table, long: one row per scope (``pair``, ``segment``,
        ``typology``) and scenario (``all components``, ``without`` a component, a component
        ``adjusted``); columns :data:`COMPARABILITY_COLUMNS`. Gaps and means are in index
        points, ``abs_gap_change_pct`` in % of the gap with all components.
    definitions
        From :func:`definition_table`.
    components
        The components that are not comparable across at least one cross-border pair with a gap.
    sides
        For each of those components, which indicator name each country's indexed regions use
        (``{component: {indicator: (countries...)}}``).
    notes
        Scenarios left out and why; definitions the study file replaced.
    """

    pairs: pd.DataFrame
    table: pd.DataFrame
    definitions: pd.DataFrame
    components: tuple[str, ...]
    sides: Mapping[str, Mapping[str, tuple[str, ...]]]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines for the terminal: how many gaps rest on which definitions, and how much they move."""
        table = self.table
        base = table[table["scenario"] == "all components"]
        pairs = base[base["scope"] == "pair"]
        if pairs.empty:
            return "comparability: no cross-border pair with a gap"
        faulty = pairs[~pairs["comparable"].fillna(True).astype(bool)]
        if faulty.empty:
            return (f"comparability: all {len(pairs)} cross-border gaps compare values of the same definitions "
                    "on both sides")
        lines = [f"comparability: {len(faulty)} of {len(pairs)} cross-border gaps rest on components defined "
                 "differently on the two sides"]
        keys = ["region_a", "region_b"]
        base_segments = base[base["scope"] == "segment"]
        base_means = dict(zip(base_segments["segment"], base_segments["mean_gap_length_weighted"], strict=True))
        for component in self.components:
            used = "; ".join(f"{name} ({', '.join(countries)})" for name, countries in self.sides[component].items())
            lines.append(f"  {component}: {used}")
            mine = faulty[[component in str(text).split(", ") for text in faulty["noncomparable_components"]]]
            before = mine.set_index(keys)["gap"]
            at_fault = set(mine["segment"])
            for kind, shown in (("without", "without it"), ("adjusted", "adjusted")):
                rows = table[(table["scenario"] == kind) & (table["component"] == component)]
                if rows.empty:
                    continue
                after = rows[rows["scope"] == "pair"].set_index(keys)["gap"].reindex(before.index)
                segments = rows[(rows["scope"] == "segment") & rows["segment"].isin(at_fault)]
                moved = ", ".join(f"{segment} {base_means[segment]:+.3f} -> {mean:+.3f}"
                                  for segment, mean in zip(segments["segment"], segments["mean_gap_length_weighted"],
                                                           strict=True))
                typology = rows[rows["scope"] == "typology"].iloc[0]
                lines.append(f"    {shown}: mean |gap| of those {len(before)} pairs {before.abs().mean():.3f} -> "
                             f"{after.abs().mean():.3f}; length-weighted mean gap of their segments: {moved}; "
                             f"{typology['regions_changing_class']} of {typology['regions_indexed']} regions "
                             "change class")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _eligible(matrix: pd.DataFrame, spec: IndexSpec) -> pd.Series:
    names = [c.name for c in spec.components]
    return meets_min_share(matrix[names].notna().sum(axis=1) / len(names), spec.min_share)


def _rebuild(matrix: pd.DataFrame, spec: IndexSpec, indexed: pd.Series, countries: pd.Series | None,
             focus_country: str | None) -> pd.Series:
    """The index of ``spec`` over the regions the run indexed, and no others."""
    matrix = matrix.copy()
    if spec.normalise_over == "indexed":
        # a region that lacked only the dropped component must not join the reference set
        matrix.loc[_eligible(matrix, spec) & ~indexed] = np.nan
    built = build_index(matrix, spec, countries=countries, focus_country=focus_country)
    return built.index.where(indexed)


def _sides(sources: pd.Series, countries: pd.Series, indexed: pd.Series) -> dict[str, tuple[str, ...]]:
    used = pd.DataFrame({"name": sources, "country": countries})[indexed & sources.notna()]
    return {str(name): tuple(sorted(map(str, group["country"].dropna().unique())))
            for name, group in used.groupby("name", sort=True)}


def _scenarios(
    matrix: pd.DataFrame,
    sources: pd.DataFrame,
    spec: IndexSpec,
    base: pd.Series,
    found: list[str],
    countries: pd.Series | None,
    focus_country: str | None,
) -> tuple[list[_Scenario], list[str]]:
    """The rebuilt indices: without each component in ``found``, and with each component's adjustment."""
    indexed = base.notna()
    scenarios = [_Scenario("all components", "", base)]
    notes: list[str] = []
    for component in spec.components:
        if component.name in found:
            rest = tuple(c for c in spec.components if c.name != component.name)
            if not rest:
                notes.append(f"the index without {component.name} is not computed: it is the only component")
            else:
                try:
                    # PCA weights are re-estimated without the component; user and equal weights re-normalised
                    without = dataclasses.replace(spec, components=rest)
                    index = _rebuild(matrix.drop(columns=component.name), without, indexed, countries, focus_country)
                    scenarios.append(_Scenario("without", component.name, index))
                except BorderlandError as exc:
                    notes.append(f"the index without {component.name} is not computed: {exc}")
        if component.adjust:
            names = sources[f"{component.name}_indicator"]
            adjusted = matrix.copy()
            touched = pd.Series(False, index=matrix.index)
            for name, amount in component.adjust:
                rows = names.eq(name).fillna(False).astype(bool)
                adjusted.loc[rows, component.name] = adjusted.loc[rows, component.name] + float(amount)
                touched |= rows & indexed
            if not touched.any():
                notes.append(f"the adjustment of {component.name} touches no indexed region's value: not applied")
                continue
            label = ", ".join(f"{name} {float(amount):+g}" for name, amount in component.adjust)
            label += f" {component.unit}".rstrip()
            label += f" ({component.adjust_source})" if component.adjust_source else ""
            try:
                index = _rebuild(adjusted, spec, indexed, countries, focus_country)
                scenarios.append(_Scenario("adjusted", component.name, index, label))
            except BorderlandError as exc:
                notes.append(f"the index with {component.name} adjusted is not computed: {exc}")
    return scenarios, notes


def _segment_means(gaps: pd.DataFrame, gap: np.ndarray) -> pd.DataFrame:
    """Length-weighted mean gap and mean absolute gap per segment (as in border_segments)."""
    # the two columns used, without the pairs' lines: each scenario's copies are then cheap
    frame = pd.DataFrame(gaps[["segment", "shared_border_km"]]).assign(
        _gap=gap, _km=gaps["shared_border_km"].to_numpy(dtype=float))
    frame = frame[frame["_km"] > 0]
    frame = frame.assign(_weighted=frame["_gap"] * frame["_km"], _weighted_abs=frame["_gap"].abs() * frame["_km"],
                         _with_km=frame["_km"].where(frame["_gap"].notna(), 0.0))
    grouped = frame.groupby("segment", sort=True)
    km = grouped["_with_km"].sum()
    return pd.DataFrame({
        "shared_border_km": km,
        "mean_gap_length_weighted": grouped["_weighted"].sum(min_count=1) / km.where(km > 0),
        "mean_abs_gap_length_weighted": grouped["_weighted_abs"].sum(min_count=1) / km.where(km > 0),
    })


def _class_counts(classes: pd.Series, labels: tuple[str, ...]) -> str:
    counts = classes.value_counts()
    return ", ".join(f"{label} {int(counts.get(label, 0))}" for label in labels)


def compare_definitions(
    regions: pd.DataFrame,
    *,
    pairs: pd.DataFrame,
    matrix: pd.DataFrame,
    sources: pd.DataFrame,
    spec: IndexSpec,
    typology: TypologySpec,
    definitions: pd.DataFrame | None = None,
    focus_country: str | None = None,
    index: pd.Series | None = None,
) -> ComparabilityResult:
    """The cross-border gaps, segment means and typology with and without each non-comparable component.

    Parameters
    ----------
    regions
        Regions indexed by code, with ``name`` and ``country``.
    pairs
        The pair table (:func:`borderland.neighbours.pair_table`): ``region_a``, ``region_b``,
        ``name_a``, ``name_b``, ``cross_border``, ``segment`` and ``shared_border_km``.
    matrix
        Raw component values, indexed like ``regions`` (the index is built from them).
    sources
        The indicator name of each value: ``<component>_indicator`` columns
        (:func:`borderland.indicators.traced_component_values`).
    spec
        The index specification of the run.
    typology
        The typology rule of the run.
    definitions
        From :func:`definition_table`; the study file's definitions alone when ``None``.
    focus_country
        The study's focus country (for imputation and reference groups, as in the run).
    index
        The index of ``matrix`` and ``spec`` (:func:`borderland.index.build_index`), when the run
        has built it already; built now when omitted.

    Returns
    -------
    ComparabilityResult
        The flags of every pair, the long comparability table and the components at fault.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> from borderland.typology import TypologySpec

    P (country AA) counts its users as Rosstat does, Q and R (BB) as Eurostat does; without that
    component the gap P - Q opens from 0 to -0.5:

    >>> spec = IndexSpec((IndicatorSpec("access", ("access",)), IndicatorSpec("users", ("used", "weekly"))))
    >>> regions = pd.DataFrame({"name": ["P", "Q", "R"], "country": ["AA", "BB", "BB"]}, index=list("PQR"))
    >>> matrix = pd.DataFrame({"access": [50.0, 70.0, 90.0], "users": [100.0, 80.0, 60.0]}, index=list("PQR"))
    >>> sources = pd.DataFrame({"access_indicator": "access", "users_indicator": ["used", "weekly", "weekly"]},
    ...                        index=list("PQR"))
    >>> pairs = pd.DataFrame({"region_a": ["P", "Q"], "region_b": ["Q", "R"], "name_a": ["P", "Q"],
    ...                       "name_b": ["Q", "R"], "cross_border": [True, False], "segment": ["AA-BB", ""],
    ...                       "shared_border_km": [1.0, 1.0]})
    >>> result = compare_definitions(regions, pairs=pairs, matrix=matrix, sources=sources, spec=spec,
    ...                              typology=TypologySpec("mean_sd", {"k": 0.5}))
    >>> rows = result.table[result.table["scope"] == "pair"]
    >>> rows[["scenario", "component", "comparable", "noncomparable_components", "gap"]].values.tolist()
    [['all components', '', False, 'users', 0.0], ['without', 'users', False, 'users', -0.5]]
    """
    problems = [f"sources lack {c.name}_indicator" for c in spec.components if f"{c.name}_indicator" not in sources]
    problems += [f"pairs lack {c}" for c in ("region_a", "region_b", "name_a", "name_b", "cross_border", "segment",
                                               "shared_border_km") if c not in pairs.columns]
    problems += [f"regions lack {c}" for c in ("name", "country") if c not in regions.columns]
    collect(problems, SchemaError, "comparability")
    definitions = definition_table(spec) if definitions is None else definitions
    countries = regions["country"]
    matrix = matrix.reindex(regions.index)
    sources = sources.reindex(regions.index)
    base = (build_index(matrix, spec, countries=countries, focus_country=focus_country).index if index is None
            else index.reindex(regions.index))
    indexed = base.notna()
    flags = pair_comparability(pairs, sources, spec, definitions=definitions)

    a, b = pairs["region_a"].to_numpy(), pairs["region_b"].to_numpy()
    base_gap = base.reindex(a).to_numpy(dtype=float) - base.reindex(b).to_numpy(dtype=float)
    with_gap = pairs["cross_border"].fillna(False).astype(bool).to_numpy() & np.isfinite(base_gap)
    gaps = pairs[with_gap]
    gap_flags = flags[with_gap]
    at_fault = {c for text in gap_flags["noncomparable_components"].dropna() for c in str(text).split(", ") if c}
    found = [c.name for c in spec.components if c.name in at_fault]
    scenarios, notes = _scenarios(matrix, sources, spec, base, found, countries, focus_country)
    notes = list(definitions.attrs.get("notes", [])) + notes

    labels = tuple(typology.labels)
    base_classes = classify(base, typology)
    base_segments = _segment_means(gaps, base_gap[with_gap])
    base_means = dict(zip(base_segments.index.astype(str), base_segments["mean_gap_length_weighted"], strict=True))
    segment_comparable: dict[str, bool] = {}
    segment_faults: dict[str, str] = {}
    for segment, group in gap_flags.groupby(gaps["segment"].astype(str), sort=True):
        faults = {c for text in group["noncomparable_components"].dropna() for c in str(text).split(", ") if c}
        segment_comparable[str(segment)] = not faults
        segment_faults[str(segment)] = ", ".join(c for c in found if c in faults)
    rows: list[dict[str, object]] = []
    for scenario in scenarios:
        value = scenario.index
        gap = value.reindex(gaps["region_a"]).to_numpy(dtype=float) - value.reindex(gaps["region_b"]).to_numpy(
            dtype=float)
        base_part = base_gap[with_gap]
        common = {"scenario": scenario.kind, "component": scenario.component, "adjustment": scenario.adjustment}
        with np.errstate(divide="ignore", invalid="ignore"):
            change_pct = np.where(np.abs(base_part) > 0,
                                  100 * (np.abs(gap) - np.abs(base_part)) / np.abs(base_part), np.nan)
        for position, (key, pair) in enumerate(gaps.iterrows()):
            rows.append({**common, "scope": "pair", "segment": pair["segment"], "region_a": pair["region_a"],
                         "region_b": pair["region_b"], "name_a": pair["name_a"], "name_b": pair["name_b"],
                         "comparable": gap_flags.loc[key, "comparable"],
                         "noncomparable_components": gap_flags.loc[key, "noncomparable_components"],
                         "shared_border_km": float(pair["shared_border_km"]), "gap": gap[position],
                         "gap_change": gap[position] - base_part[position], "abs_gap_change_pct": change_pct[position]})
        means = _segment_means(gaps, gap)
        for segment, km, mean, mean_abs in zip(means.index.astype(str), means["shared_border_km"],
                                               means["mean_gap_length_weighted"], means["mean_abs_gap_length_weighted"],
                                               strict=True):
            rows.append({**common, "scope": "segment", "segment": segment,
                         "comparable": segment_comparable[segment], "noncomparable_components": segment_faults[segment],
                         "shared_border_km": km, "mean_gap_length_weighted": mean,
                         "mean_gap_length_weighted_change": mean - base_means[segment],
                         "mean_abs_gap_length_weighted": mean_abs})
        classes = classify(value, typology)
        changed = indexed & classes.ne(base_classes).fillna(True).astype(bool)
        names = regions["name"]
        rows.append({**common, "scope": "typology", "regions_indexed": int(value.notna().sum()),
                     "regions_changing_class": int(changed.sum()), "class_counts": _class_counts(classes, labels),
                     "class_changes": "; ".join(f"{names[code]} ({code}): {base_classes[code]} -> {classes[code]}"
                                                for code in regions.index[changed.to_numpy()])})
    table = pd.DataFrame(rows, columns=list(COMPARABILITY_COLUMNS))
    table = table.astype({"scope": "string", "scenario": "string", "component": "string", "adjustment": "string",
                          "segment": "string", "region_a": "string", "region_b": "string", "name_a": "string",
                          "name_b": "string", "comparable": "boolean", "noncomparable_components": "string",
                          "regions_indexed": "Int64", "regions_changing_class": "Int64", "class_counts": "string",
                          "class_changes": "string"})
    for column in ("shared_border_km", "gap", "gap_change", "abs_gap_change_pct", "mean_gap_length_weighted",
                   "mean_gap_length_weighted_change", "mean_abs_gap_length_weighted"):
        table[column] = table[column].astype(float)
    # name the definitions where the values carry their own, else the indicator names
    sides = {c: _sides(sources[f"{c}_definition"].where(sources[f"{c}_definition"].notna(),
                                                        sources[f"{c}_indicator"])
                       if f"{c}_definition" in sources else sources[f"{c}_indicator"], countries, indexed)
             for c in found}
    return ComparabilityResult(pairs=flags, table=table, definitions=definitions, components=tuple(found),
                               sides=sides, notes=tuple(notes))
