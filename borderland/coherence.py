"""Statistical coherence of the index components: do they measure one thing, and not twice.

The checks of the OECD/JRC Handbook (step 4, multivariate analysis) that an analyst reads before
trusting a composite: the correlation matrix of the normalised components, with redundant pairs
(|r| above 0.9: one of them adds little but weight) and negatively correlated pairs (they pull
the index in opposite directions) flagged, Cronbach's alpha with the alpha if each component is
dropped, and each component's correlation with the index (how much of it the index carries:
a nominal weight is not an effective one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError

#: Correlation methods (pandas names).
CORRELATIONS: Final[Mapping[str, str]] = {
    "pearson": "linear correlation",
    "spearman": "rank correlation",
    "kendall": "Kendall's tau",
}


def cronbach_alpha(scores: pd.DataFrame) -> float:
    """Cronbach's alpha of the components, over the regions that have all of them.

    alpha = k / (k − 1) · (1 − Σ var(component) / var(Σ components)), sample variances. Near 1:
    the components move together (one latent dimension); the usual bar is 0.7. NaN with fewer
    than two components or two complete regions, or when the sum does not vary.

    Parameters
    ----------
    scores
        Normalised scores, one column per component.

    Returns
    -------
    float
        The alpha.

    Examples
    --------
    >>> cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0]})).__round__(4)
    0.8889
    """
    complete = scores.dropna()
    k = complete.shape[1]
    if k < 2 or len(complete) < 2:
        return float("nan")
    total = complete.sum(axis=1).var(ddof=1)
    if not total > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - complete.var(ddof=1).sum() / total))


@dataclass(frozen=True)
class CoherenceReport:
    """Correlations, flags and reliability of the index components.

    Attributes
    ----------
    correlations
        Component x component correlation matrix.
    pairs
        One row per unordered pair: ``component_a``, ``component_b``, ``r``, ``flag``
        (``"redundant"``, ``"negative"``, both joined by a comma, or empty).
    cronbach_alpha
        Cronbach's alpha of all components.
    alpha_if_dropped
        Alpha of the others when each component is left out (``alpha_if_dropped``).
    index_correlation
        Each component's correlation with the index (``index_r``); ``None`` without an index.
    n_regions
        Regions with every component, on which everything is computed.
    method
        A key of :data:`CORRELATIONS`.
    redundant_above
        The |r| above which a pair is flagged redundant.
    """

    correlations: pd.DataFrame
    pairs: pd.DataFrame
    cronbach_alpha: float
    alpha_if_dropped: pd.Series
    index_correlation: pd.Series | None
    n_regions: int
    method: str
    redundant_above: float

    def table(self) -> pd.DataFrame:
        """Everything as one long table (for a GeoPackage attribute table or a CSV).

        Returns
        -------
        pandas.DataFrame
            Columns ``statistic`` (``r``, ``cronbach_alpha``, ``alpha_if_dropped``, ``index_r``),
            ``component_a``, ``component_b``, ``value``, ``n_regions``, ``flag``.
        """
        rows: list[tuple[str, str, str, float, str]] = [
            ("r", str(a), str(b), float(r), str(flag)) for a, b, r, flag in zip(
                self.pairs["component_a"], self.pairs["component_b"], self.pairs["r"], self.pairs["flag"], strict=True)]
        rows.append(("cronbach_alpha", "all", "", self.cronbach_alpha, ""))
        rows += [("alpha_if_dropped", str(name), "", float(value), "") for name, value in self.alpha_if_dropped.items()]
        if self.index_correlation is not None:
            rows += [("index_r", str(name), "index", float(value), "") for name, value in
                     self.index_correlation.items()]
        table = pd.DataFrame(rows, columns=["statistic", "component_a", "component_b", "value", "flag"])
        table.insert(4, "n_regions", self.n_regions)
        return table

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"coherence of {len(self.correlations)} components over {self.n_regions} regions "
                 f"({self.method}): Cronbach's alpha {self.cronbach_alpha:.3f}"]
        lines += [f"  {a!s} ~ {b!s}: r = {r:+.3f}{f'  [{flag!s}]' if flag else ''}" for a, b, r, flag in zip(
            self.pairs["component_a"], self.pairs["component_b"], self.pairs["r"], self.pairs["flag"], strict=True)]
        return "\n".join(lines)


def coherence_report(
    scores: pd.DataFrame,
    *,
    index: pd.Series | None = None,
    method: str = "pearson",
    redundant_above: float = 0.9,
) -> CoherenceReport:
    """Correlation matrix with redundant and negative pairs flagged, Cronbach's alpha.

    Pass the normalised, oriented scores (:attr:`borderland.index.IndexResult.scores`), not
    raw values: then higher is better for every column and a negative correlation means two
    components pull the index in opposite directions. Computed on the regions that have every
    component (imputed values are better left out: mask them first).

    Parameters
    ----------
    scores
        One column per component, indexed by region.
    index
        The composite index, to report each component's correlation with it.
    method
        ``"pearson"`` (default), ``"spearman"`` or ``"kendall"``.
    redundant_above
        A pair with |r| above this is flagged redundant.

    Returns
    -------
    CoherenceReport
        Correlations, flagged pairs, alpha, alpha if dropped, correlation with the index.

    Examples
    --------
    >>> scores = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0], "c": [4.0, 3.0, 1.0, 2.0]})
    >>> coherence_report(scores).pairs["flag"].tolist()
    ['redundant', 'negative', 'negative']
    """
    if method not in CORRELATIONS:
        raise SchemaError(f"unknown correlation method {method!r}; choose one of {sorted(CORRELATIONS)}")
    if not 0 < redundant_above <= 1:
        raise SchemaError(f"redundant_above must be in (0, 1], not {redundant_above!r}")
    complete = scores.astype(float).dropna()
    if scores.shape[1] < 2 or len(complete) < 3:
        raise SchemaError(f"a coherence report needs at least 2 components and 3 regions that have all of them; "
                          f"found {scores.shape[1]} component(s) and {len(complete)} complete region(s)")
    correlations = complete.corr(method=method)  # type: ignore[arg-type]
    rows = []
    names = list(complete.columns)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = float(correlations.to_numpy()[i, names.index(b)])
            flags = [name for name, hit in (("redundant", abs(r) > redundant_above), ("negative", r < 0)) if hit]
            rows.append((a, b, r, ", ".join(flags)))
    pairs = pd.DataFrame(rows, columns=["component_a", "component_b", "r", "flag"])
    dropped = pd.Series({name: cronbach_alpha(complete.drop(columns=name)) if len(names) > 2 else np.nan
                         for name in names}, name="alpha_if_dropped")
    index_r = None
    if index is not None:
        aligned = index.reindex(complete.index)
        index_r = complete.corrwith(aligned, method=method).rename("index_r")  # type: ignore[arg-type]
    return CoherenceReport(correlations=correlations, pairs=pairs, cronbach_alpha=cronbach_alpha(complete),
                           alpha_if_dropped=dropped, index_correlation=index_r, n_regions=len(complete),
                           method=method, redundant_above=redundant_above)
