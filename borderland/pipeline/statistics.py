"""Every global statistic of a run as one table, and the words the terminal gives some of them.

:func:`statistics_table` is the GeoPackage's ``statistics`` layer, its metadata's ``statistics``
and :attr:`borderland.pipeline.StudyResult.statistics`; it reads the study and the index and gaps
stages only (:class:`Staged`), so that the result can show it without this module knowing the result.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

import pandas as pd

from borderland import spatial
from borderland.pipeline.stages import GapsStage, IndexStage
from borderland.study import Study

__all__ = ["Staged", "statistics_table"]


class Staged(Protocol):
    """What :func:`statistics_table` reads of a run (a :class:`borderland.pipeline.StudyResult` has it)."""

    @property
    def study(self) -> Study:
        """The study run."""

    @property
    def index_stage(self) -> IndexStage | None:
        """The index stage's results, ``None`` when it was not run."""

    @property
    def gaps_stage(self) -> GapsStage | None:
        """The gaps stage's results, ``None`` when it was not run."""


def _number(value: float) -> str:
    """A statistic for the terminal: whole numbers (counts, seeds, years) without decimals."""
    return "n/a" if pd.isna(value) else f"{value:.0f}" if float(value).is_integer() else f"{value:.4g}"


def _lisa_line(lisa: pd.DataFrame) -> str | None:
    """The LISA clusters in words, naming the multiple-test correction."""
    clusters = [c for c in lisa.columns if str(c).endswith("_lisa_cluster")]
    if not clusters or "correction" not in lisa.attrs:
        return None
    column = clusters[0]
    stem = str(column).removesuffix("_lisa_cluster")
    a = lisa.attrs
    found = lisa[column].dropna()
    found = found[found != "not significant"].value_counts()
    raw = int((lisa[f"{stem}_lisa_p"] <= a["significance"]).sum())
    level = "q" if a["correction"] == "fdr" else "p"
    return (f"LISA clusters of the {stem} ({level} <= {a['significance']:g}, "
            f"{spatial.CORRECTION_NAMES[a['correction']]} over {a['tests']} regions; p <= {a['threshold_p']:.4g}): "
            f"{int(found.sum())}" + (f" ({', '.join(f'{k} {n}' for k, n in found.items())})" if len(found) else "")
            + (f"; {raw} at p <= {a['significance']:g} without a correction" if a["correction"] != "none" else ""))


_STATISTICS_COLUMNS: Final = ("statistic", "variable", "value", "unit", "detail")


def statistics_table(result: Staged) -> pd.DataFrame:
    """Every global statistic of a run, one row each, assembled from the stages that ran.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run` (any prefix of the stages).

    Returns
    -------
    pandas.DataFrame
        Columns ``statistic``, ``variable`` (the measure it is about, where it applies),
        ``value`` (a number), ``unit`` and ``detail`` (how it was computed). Rows, where the
        stage ran: the index year, its rule and the regions complete on each side that year,
        each component's year rule, the regions indexed; Cronbach's alpha; the Monte Carlo's
        draws, seed, concentration and largest standard errors (class probabilities, and
        pair sign probabilities); Moran's I with its expectation, variances, z-values,
        p-values, permutations and seed; the LISA level, correction, p-value threshold, tests
        and clusters; the Theil total of each measure.

    Examples
    --------
    >>> from borderland import pipeline
    >>> table = statistics_table(pipeline.run(stages=("load", "index")))
    >>> table.set_index("statistic").loc["index_year", "value"]
    np.float64(2021.0)
    """
    rows: list[tuple[str, str, float, str, str]] = []

    def add(statistic: str, value: Any, *, variable: str = "", unit: str = "", detail: str = "") -> None:
        rows.append((statistic, variable, float(value) if value is not None else float("nan"), unit, detail))

    study = result.study
    if result.index_stage is not None:
        stage = result.index_stage
        spec = study.index
        rule = (f"set: [index] year = {spec.year}" if spec.year is not None else
                "auto: the latest year in which the most regions on both sides of the border have every index "
                "component (a year with none on either side is not eligible)")
        add("index_year", stage.year, unit="year", detail=rule)
        counts = stage.year_counts.loc[stage.year]
        focus = study.focus_country
        sides = ([(focus, "focus", f"the {focus} side"), ("others", "others", f"the side beyond {focus}")] if focus
                 else [("all", "total", "the study")])
        for label, column, where in sides:
            add("regions_complete", counts[column], variable=label, unit="regions",
                detail=f"regions of {where} with every index component in {stage.year}")
        for component in spec.components:
            year_rule = component.year_rule
            add("component_year", year_rule.year if year_rule.year is not None else stage.year,
                variable=component.name, unit="year", detail=f"year rule {year_rule.kind}: "
                                                             f"{year_rule.describe(stage.year)}")
        add("regions_indexed", int(stage.built.index.notna().sum()), variable="index", unit="regions",
            detail=f"regions with at least {spec.min_share:g} of the components ([index] min_share)")
        if stage.coherence is not None:
            report = stage.coherence
            add("cronbach_alpha", report.cronbach_alpha, variable="index", detail=(
                f"{len(report.correlations)} components over {report.n_regions} regions ({report.method}); "
                "0.7 is the usual bar"))
        if stage.uncertainty is not None:
            mc = stage.uncertainty
            robust = study.robustness
            scenarios = ", ".join(f"{s.normalisation}/{s.aggregation} {s.draws}" for s in mc.scenarios.itertuples())
            add("mc_draws", mc.draws, unit="draws", detail=f"Monte Carlo draws per scenario: {scenarios}")
            add("mc_seed", robust.seed, unit="seed", detail="[robustness] seed")
            add("mc_concentration", robust.concentration,
                detail="Dirichlet concentration of the drawn weights around the chosen ones")
            add("mc_se_class_probability", mc.regions["p_se"].max(), unit="probability",
                detail="largest Monte Carlo standard error of a region's class probability, sqrt(p (1 - p) / draws)")
            if result.gaps_stage is not None and "p_gap_sign_kept_se" in result.gaps_stage.pairs.columns:
                add("mc_se_pair_sign", result.gaps_stage.pairs["p_gap_sign_kept_se"].max(), unit="probability",
                    detail="largest Monte Carlo standard error of a cross-border pair's probability that its gap keeps "
                           "its sign")
    if result.gaps_stage is not None:
        gaps = result.gaps_stage
        moran = gaps.moran
        variable = "index"
        if moran is not None:
            weights = f"row-standardised {study.gaps.contiguity} contiguity weights"
            add("moran_i", moran.i, variable=variable,
                detail=f"global Moran's I, {weights}, {moran.n} regions ({len(moran.left_out)} left out)")
            add("moran_expected_i", moran.expected_i, variable=variable, detail="E[I] = -1 / (n - 1)")
            add("moran_variance_norm", moran.variance_norm, variable=variable, detail="Var[I] under normality")
            add("moran_z_norm", moran.z_norm, variable=variable, detail="z under normality")
            add("moran_p_norm", moran.p_norm, variable=variable, unit="p-value",
                detail="two-sided, under normality")
            add("moran_variance_rand", moran.variance_rand, variable=variable, detail="Var[I] under randomisation")
            add("moran_z_rand", moran.z_rand, variable=variable, detail="z under randomisation")
            add("moran_p_rand", moran.p_rand, variable=variable, unit="p-value",
                detail="two-sided, under randomisation")
            add("moran_p_sim", moran.p_sim, variable=variable, unit="p-value",
                detail="pseudo p-value, (k + 1) / (permutations + 1), k permuted I at least as extreme")
            add("moran_z_sim", moran.z_sim, variable=variable, detail="I in standard deviations of the permuted I")
            add("moran_permutations", moran.permutations, variable=variable, unit="permutations",
                detail="[gaps] permutations")
            add("moran_seed", study.gaps.seed, variable=variable, unit="seed", detail="[gaps] seed")
            add("moran_regions", moran.n, variable=variable, unit="regions",
                detail="regions with a value and a neighbour with one")
        a = gaps.lisa.attrs
        if "correction" in a:
            named = spatial.CORRECTION_NAMES[a["correction"]]
            p_column = next(c for c in gaps.lisa.columns if str(c).endswith("_lisa_p"))
            cluster_column = next(c for c in gaps.lisa.columns if str(c).endswith("_lisa_cluster"))
            clusters = gaps.lisa[cluster_column].dropna()
            found = clusters[clusters != "not significant"].value_counts()
            add("lisa_significance", a["significance"], variable=variable,
                detail=f"[gaps] significance: the largest {'q-value' if a['correction'] == 'fdr' else 'pseudo p-value'}"
                       f" of a cluster; [gaps] lisa_correction = \"{a['correction']}\" ({named})")
            add("lisa_threshold_p", a["threshold_p"], variable=variable, unit="p-value",
                detail=f"pseudo p-value at or below which a region is a cluster ({named})")
            add("lisa_tests", a["tests"], variable=variable, unit="regions", detail="local tests made")
            add("lisa_clusters", int(found.sum()), variable=variable, unit="regions",
                detail=", ".join(f"{k} {n}" for k, n in found.items()) or "none")
            add("lisa_clusters_uncorrected", int((gaps.lisa[p_column] <= a["significance"]).sum()), variable=variable,
                unit="regions", detail=f"pseudo p <= {a['significance']:g} without a correction, for comparison")
            add("lisa_permutations", a["permutations"], variable=variable, unit="permutations",
                detail="conditional permutations per region ([gaps] permutations)")
            add("lisa_seed", study.gaps.seed, variable=variable, unit="seed", detail="[gaps] seed")
        if gaps.theil is not None:
            people = gaps.population.attrs
            totals = gaps.theil.drop_duplicates("measure")
            for measure, unit, total, regions in zip(totals["measure"].tolist(), totals["measure_unit"].tolist(),
                                                     totals["theil_total"].tolist(), totals["regions"].tolist(),
                                                     strict=True):
                add("theil_total", total, variable=str(measure), detail=(
                    f"population-weighted Theil T of {unit or measure} over {regions} regions (weights: "
                    f"{people.get('indicator', 'population')}, {people.get('rule', '')}); its parts in the theil "
                    "table"))
    return pd.DataFrame(rows, columns=list(_STATISTICS_COLUMNS))
