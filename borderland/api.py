"""The Python API's front door: :func:`run`, and the :class:`StudyResult` that shows its report.

The pipeline computes and returns plain data (:class:`borderland.pipeline.StudyResult`). The
report renders that data, so it sits below the pipeline in the data flow and the pipeline may
not call it, not even from inside a method. This module sits above both: its
:class:`StudyResult` is the pipeline's result with the views that need a writer,
:meth:`~StudyResult.report` (the page ``borderland report`` writes) and ``_repr_html_`` (a
notebook's inline display). ``borderland.run`` and ``borderland.StudyResult`` are the two names
of this module, imported when first asked for, so that ``import borderland`` stays free.

Examples
--------
>>> import borderland
>>> from borderland import pipeline
>>> result = borderland.run()
>>> isinstance(result, borderland.StudyResult) and isinstance(result, pipeline.StudyResult)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from borderland import pipeline
from borderland.compute import SERIAL, Executor
from borderland.study import Study

__all__ = ["StudyResult", "run"]


class StudyResult(pipeline.StudyResult):
    """What a run produced (:class:`borderland.pipeline.StudyResult`), with its report.

    Every field, stage, property and summary is the pipeline's result's; this class adds the
    views a writer renders. A lower module takes either: it reads the data only.
    """

    @classmethod
    def of(cls, result: pipeline.StudyResult) -> StudyResult:
        """The same result, with its report: the same objects, nothing copied or computed again.

        Parameters
        ----------
        result
            From :func:`borderland.pipeline.run`; returned as it is when it has its report already.

        Returns
        -------
        StudyResult
            Equal field by field to ``result``.
        """
        if isinstance(result, cls):
            return result
        return cls(**{field.name: getattr(result, field.name) for field in dataclasses.fields(result)})

    def report(self, lang: str = "en") -> str:
        """The study's report as one self-contained HTML page (what ``borderland report`` writes).

        Parameters
        ----------
        lang
            ``"en"`` or ``"ru"``.

        Returns
        -------
        str
            The page (:func:`borderland.report.report_html`).
        """
        # imported when a report is asked for: a run needs no writer, and the report's import is ~0.1 s
        from borderland.report import report_html

        return report_html(self, lang=lang)

    def _repr_html_(self) -> str | None:
        """The report in a notebook: the page's body (its ``<div>``, styles inside), in English.

        ``None`` (the plain representation) for a result of some stages only: a report needs them all.
        """
        if self.gaps_stage is None:
            return None
        from borderland.report import report_html

        return report_html(self, fragment=True)


def run(
    study: Study | None = None,
    *,
    stages: Sequence[str] = pipeline.STAGES,
    on_stage: Callable[[str], None] | None = None,
    inputs: pipeline.Inputs | None = None,
    executor: Executor = SERIAL,
) -> StudyResult:
    """Run a study (:func:`borderland.pipeline.run`): its result, with its report.

    Parameters
    ----------
    study
        From :func:`borderland.study.load_study`; the bundled default study when omitted.
    stages
        The stages to run (a prefix of :data:`borderland.pipeline.STAGES` is enough).
    on_stage
        Called with each stage's name as it starts (progress bars).
    inputs
        Inputs loaded already (by :func:`borderland.pipeline.validate`), to skip reading them again.
    executor
        Where the heavy steps run (:mod:`borderland.compute`): this process by default.

    Returns
    -------
    StudyResult
        The results of every stage run; ``result.report()`` is the page ``borderland report``
        writes, and a notebook shows it inline.
    """
    return StudyResult.of(pipeline.run(study, stages=stages, on_stage=on_stage, inputs=inputs, executor=executor))
