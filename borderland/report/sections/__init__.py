"""The sections of the report, one module each, in the order the report shows them.

* :mod:`~borderland.report.sections.summary` -- key findings;
* :mod:`~borderland.report.sections.coverage` -- data coverage, sources and licences;
* :mod:`~borderland.report.sections.map` -- the map (interactive and static);
* :mod:`~borderland.report.sections.typology` -- leaders and laggards: the typology, ranks, probabilities;
* :mod:`~borderland.report.sections.gaps` -- cross-border gaps and border segments;
* :mod:`~borderland.report.sections.distance` -- the index by distance to the border;
* :mod:`~borderland.report.sections.comparability` -- comparability of definitions;
* :mod:`~borderland.report.sections.statistics` -- global statistics, Theil, coherence;
* :mod:`~borderland.report.sections.trade` -- trade;
* :mod:`~borderland.report.sections.methods` -- methods, and the run's notes.

Each takes the context of :mod:`~borderland.report.sections.context` (the result, its layers,
the language) and returns a :class:`~borderland.report.document.Section`;
:func:`borderland.report.content.build_report` puts them together.
"""
