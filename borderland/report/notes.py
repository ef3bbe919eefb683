"""The run's notes and rule texts in the report's language.

The run writes its notes in English, for the terminal and the GeoPackage (the raster's
coverage, the Theil decomposition left out and why, the values outside their goalposts...). The
report shows them in its own language: each kind of note is a pattern of the English text with
the Russian wording beside it (:data:`NOTES`); its values (region names and codes, numbers,
years) are kept as they are, and a part that is itself a sentence of the run (why a Theil
decomposition was left out, a year rule) is translated in turn (:data:`CLAUSES`). A note no
pattern knows is shown as the run wrote it, marked as English, never half-translated;
``tests/test_report.py`` renders the Russian report of the bundled study and of the six-square
strip and finds no English sentence in either.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Final, Literal

from borderland.report.i18n import Data, Parts, word

__all__ = ["CLAUSES", "NOTES", "note_parts", "rule_text"]

#: How a captured value is shown: as data (``data``, lists of names and numbers with their few
#: English words translated), translated as a clause (``clause``), as clauses joined by "; "
#: (``clauses``), or as a word of :data:`~borderland.report.i18n.WORDS` (``word``).
Kind = Literal["data", "clause", "clauses", "word"]


@dataclasses.dataclass(frozen=True)
class Pattern:
    """One kind of English text of the run and its wording in another language.

    Attributes
    ----------
    english
        A regular expression matching the whole English text; its named groups are the values.
    ru
        The Russian wording, with the groups as ``str.format`` fields.
    kinds
        How each group is shown (``data`` when not named).
    """

    english: re.Pattern[str]
    ru: str
    kinds: Mapping[str, Kind] = dataclasses.field(default_factory=dict)


def _p(english: str, ru: str, **kinds: Kind) -> Pattern:
    return Pattern(re.compile(english), ru, kinds)


#: Sentences the run writes inside its notes (why something was left out, the year rules).
CLAUSES: Final[tuple[Pattern, ...]] = (
    _p(r"values of (?P<year>\d{4})", "значения {year} года"),
    _p(r"latest year up to (?P<year>\d{4})", "последний год не позже {year}"),
    _p(r"nearest year per region in (?P<first>\d{4})-(?P<last>\d{4}) \(of two equally near, the earlier\)",
       "ближайший год для каждого региона в {first}–{last} (из двух равноудалённых — более ранний)"),
    _p(r"latest value per region in (?P<first>\d{4})-(?P<last>\d{4})",
       "последнее значение для каждого региона в {first}–{last}"),
    _p(r"min-max normalisation puts the index's zero at the weakest region of the reference set \(an interval "
       r"scale: the origin is arbitrary\)",
       "нормировка min-max помещает ноль индекса в самый слабый регион опорного множества (шкала интервалов: "
       "начало отсчёта произвольно)"),
    _p(r"z-scores put the index's zero at the mean \(an interval scale, with negative values\)",
       "z-оценки помещают ноль индекса в среднее (шкала интервалов, с отрицательными значениями)"),
    _p(r"percentile ranks carry only the order of the regions \(an ordinal scale\)",
       "процентильные ранги передают лишь порядок регионов (порядковая шкала)"),
    _p(r"the low goalpost is not 0 for (?P<components>.+) \(0 must mean none\)",
       "нижняя граница (goalpost) не равна 0 для {components} (0 должен означать «ничего»)"),
    _p(r"\[index\] scale starts at (?P<low>\S+), not 0", "[index] scale начинается с {low}, а не с 0"),
    _p(r"component\(s\) (?P<components>.+) have direction = \"lower\", whose scores have no natural zero",
       "у компонентов {components} direction = \"lower\": их оценки не имеют естественного нуля"),
    _p(r"component\(s\) (?P<components>.+) are transformed \(log\), which has no natural zero",
       "компоненты {components} преобразованы (log), у этого преобразования нет естественного нуля"),
    _p(r"Theil index: (?P<problems>.+)", "индекс Тейла: {problems}", problems="clauses"),
    _p(r"(?P<measure>[^:;]+): (?P<problem>negative values for .+|no region has a positive value.+)",
       "{measure}: {problem}", problem="clause"),
    _p(r"negative values for (?P<codes>.+): the Theil index needs a ratio scale with a natural zero \(shares, "
       r"counts, amounts\), not z-scores or a balance",
       "отрицательные значения у {codes}: индексу Тейла нужна шкала отношений с естественным нулём (доли, "
       "количества, суммы), а не z-оценки или сальдо"),
    _p(r"no region has a positive value, a positive population and every group label",
       "ни у одного региона нет одновременно положительного значения, положительной численности населения и "
       "всех меток групп"),
    _p(r"a Moran test needs at least 3 regions with a value and a neighbour with one; found (?P<found>\d+) of "
       r"(?P<total>\d+) \((?P<valued>\d+) with a value\)",
       "для теста Морана нужно не менее 3 регионов со значением и соседом со значением; найдено {found} из "
       "{total} (со значением: {valued})"),
    _p(r"all (?P<count>\d+) regions in the Moran test have the same value \((?P<value>[^)]+)\): spatial "
       r"autocorrelation is undefined; test a variable that varies",
       "у всех регионов теста Морана ({count}) одно и то же значение ({value}): пространственная автокорреляция "
       "не определена; проверьте переменную, которая меняется"),
)

#: The notes of a run (:attr:`borderland.pipeline.StudyResult.notes`), each kind once.
NOTES: Final[tuple[Pattern, ...]] = (
    _p(r"\[robustness\] draws: the index has one component and one normalisation, so the Monte Carlo varies "
       r"nothing and tests nothing; add components or normalisations, or set draws = 0",
       "[robustness] draws: у индекса один компонент и одна нормировка, поэтому метод Монте-Карло ничего не "
       "варьирует и ничего не проверяет; добавьте компоненты или нормировки либо задайте draws = 0"),
    _p(r"\[regions\] exclude names code\(s\) the layer does not have: (?P<codes>.+)",
       "[regions] exclude называет коды, которых нет в слое: {codes}"),
    _p(r"left out, farther than (?P<limit>\S+) km from any land border between the study's countries "
       r"\(\[regions\] max_border_distance_km\): (?P<listed>.+)",
       "исключены как лежащие дальше {limit} км от сухопутной границы между странами исследования "
       "([regions] max_border_distance_km): {listed}"),
    _p(r"(?P<count>\d+) region\(s\) lie wholly farther than (?P<limit>\S+) km from any land border between the "
       r"study's countries \((?P<listed>.+)\); they are normalised and classed with the rest: leave them out with "
       r"\[regions\] max_border_distance_km if they are not part of the borderland",
       "регионов целиком дальше {limit} км от сухопутной границы между странами исследования: {count} ({listed}); "
       "они нормируются и классифицируются вместе с остальными: исключите их через [regions] "
       "max_border_distance_km, если они не относятся к приграничью"),
    _p(r"no region touches a region of another country \(the nearest are (?P<a>.+?) and (?P<b>.+?), "
       r"(?P<gap>[\d.,]+ k?m) apart\), so the study has no land border: no distances to it, no border rings, no "
       r"cross-border pairs; if the gap lies between two sources, set \[border\] edge_tolerance_m \(--tolerance\) "
       r"above (?P<above>[\d,]+), else close it in the layer or give the border as a line layer "
       r"\(\[border\] source\)",
       "ни один регион не граничит с регионом другой страны (ближе всего {a} и {b}, расстояние {gap}), поэтому у "
       "исследования нет сухопутной границы: нет расстояний до неё, поясов приграничья и трансграничных пар; если "
       "промежуток лежит между двумя источниками, задайте [border] edge_tolerance_m (--tolerance) больше {above}, "
       "иначе закройте его в слое или задайте границу линейным слоем ([border] source)"),
    _p(r"the population raster does not reach (?P<count>\d+) region\(s\): (?P<listed>.+); they get no population "
       r"figures",
       "растр населения не охватывает регионы ({count}): {listed}; для них нет данных о населении"),
    _p(r"the population raster covers (?P<count>\d+) region\(s\) only in part: (?P<listed>.+); their population "
       r"figures count the covered part only",
       "растр населения охватывает лишь частично регионы ({count}): {listed}; их население учтено только в "
       "охваченной части"),
    _p(r"PCA: the first component explains (?P<share>\d+%) of the variance",
       "PCA: первая главная компонента объясняет {share} дисперсии"),
    _p(r"imputed \((?P<how>\w+) mean\): (?P<values>\d+) value\(s\) in (?P<regions>\d+) region\(s\)",
       "восстановлены пропуски ({how}): значений — {values}, регионов — {regions}", how="word"),
    _p(r"(?P<component>\S+): (?P<count>\d+) value\(s\) outside its goalposts \[(?P<low>[^,\]]+), (?P<high>[^\]]+)\], "
       r"kept as they are: (?P<listed>.+?); each scores as the goalpost it passes \(capped, as goalposts do in the "
       r"OECD/JRC Handbook\), and (?P<flag>\S+) flags it(?P<hint>; if they are percentages, correct them \(unit = "
       r"\"%\" makes such values input errors\))?",
       "{component}: значений за пределами границ [{low}; {high}]: {count}, они сохранены как есть: {listed}; "
       "каждое получает оценку той границы, которую переходит (ограничение, как у границ в руководстве OECD/JRC), "
       "отметка — поле {flag}{hint}", hint="clause"),
    _p(r"(?P<component>\S+): (?P<count>\d+) value\(s\) outside its goalposts \[(?P<low>[^,\]]+), (?P<high>[^\]]+)\], "
       r"kept as they are: (?P<listed>.+?); \[index\] normalisation = \"(?P<normalisation>\w+)\" does not use the "
       r"goalposts, so they enter the index as they are, and (?P<flag>\S+) flags it(?P<hint>; if they are "
       r"percentages, correct them \(unit = \"%\" makes such values input errors\))?",
       "{component}: значений за пределами границ [{low}; {high}]: {count}, они сохранены как есть: {listed}; "
       "нормировка [index] normalisation = \"{normalisation}\" границы не использует, поэтому значения входят в "
       "индекс как есть, отметка — поле {flag}{hint}", hint="clause"),
    _p(r"; if they are percentages, correct them \(unit = \"%\" makes such values input errors\)",
       "; если это проценты, исправьте их (при unit = \"%\" такие значения — ошибка входных данных)"),
    _p(r"Moran's I and LISA left out: (?P<reason>.+)", "I Морана и LISA не рассчитаны: {reason}", reason="clause"),
    _p(r"Theil decomposition left out: no region has '(?P<indicator>[^']+)' \(\[gaps\] population_indicator; "
       r"(?P<rule>.+)\)",
       "разложение Тейла не выполнено: ни у одного региона нет «{indicator}» ([gaps] population_indicator; "
       "{rule})", rule="clause"),
    _p(r"Theil decomposition of the index left out: (?P<problems>.+); Theil needs values with a natural zero, so "
       r"the theil table decomposes the raw components instead \(docs/methods\.md\)",
       "разложение Тейла для индекса не выполнено: {problems}; индексу Тейла нужны значения с естественным нулём, "
       "поэтому таблица theil раскладывает исходные компоненты (docs/methods.md)", problems="clauses"),
    _p(r"Theil decomposition of (?P<measure>\S+) left out: (?P<reason>.+)",
       "разложение Тейла для {measure} не выполнено: {reason}", reason="clause"),
)

#: The few English words inside the lists of names and numbers a note holds, in Russian.
_LIST_WORDS: Final = (
    (re.compile(r" and (\d+) more\b"), r" и ещё \1"), (re.compile(r"(\d) km\b"), r"\1 км"),
    (re.compile(r"(\d) m\b"), r"\1 м"), (re.compile(r" in (\d{4})\b"), r" в \1 г."),
    (re.compile(r"\(below ([^)]+)\)"), r"(ниже \1)"), (re.compile(r"\(above ([^)]+)\)"), r"(выше \1)"),
)


def _listed(value: str) -> str:
    for pattern, replacement in _LIST_WORDS:
        value = pattern.sub(replacement, value)
    return value


def _translated(value: str, patterns: tuple[Pattern, ...], lang: str) -> Parts | None:
    """``value`` in ``lang`` by the first pattern matching all of it; ``None`` when none does."""
    for pattern in patterns:
        found = pattern.english.fullmatch(value)
        if found is None:
            continue
        parts: list[str | Data] = []
        failed = False
        template = pattern.ru
        for literal, field in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
            if literal:
                parts.append(literal)
            if not field:
                continue
            captured = found.group(field)
            kind = pattern.kinds.get(field, "data")
            if captured is None or captured == "":
                continue
            if kind == "word":
                parts.append(word(captured, lang))
            elif kind == "clause":
                clause = _translated(captured, CLAUSES + NOTES, lang)
                failed = failed or clause is None
                parts += list(clause or ())
            elif kind == "clauses":
                for k, piece in enumerate(captured.split("; ")):
                    clause = _translated(piece, CLAUSES, lang)
                    failed = failed or clause is None
                    parts += (["; "] if k else []) + list(clause or ())
            else:
                parts.append(Data(_listed(captured)))
        if not failed:
            return _merged(parts)
    return None


def _merged(parts: list[str | Data]) -> Parts:
    merged: list[str | Data] = []
    for part in parts:
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(merged)


def note_parts(note: str, lang: str) -> Parts | None:
    """A note of the run in ``lang``: its values as data, the rest translated.

    Parameters
    ----------
    note
        The note as the run wrote it (English).
    lang
        ``"en"`` or ``"ru"``.

    Returns
    -------
    Parts or None
        The note (as it is in English); ``None`` when no pattern knows it in ``lang``.

    Examples
    --------
    >>> note_parts("the population raster does not reach 2 region(s): Pskov (RU-PSK), Tver (RU-TVE); "
    ...            "they get no population figures", "ru")  # doctest: +NORMALIZE_WHITESPACE
    ('растр населения не охватывает регионы (', Data(text='2'), '): ', Data(text='Pskov (RU-PSK), Tver (RU-TVE)'),
     '; для них нет данных о населении')
    """
    if lang == "en":
        return (Data(note),)
    return _translated(note, NOTES, lang)


def rule_text(rule: str, lang: str) -> Parts:
    """A year rule as the run describes it (:meth:`borderland.indicators.YearRule.describe`) in ``lang``.

    Examples
    --------
    >>> rule_text("nearest year per region in 2018-2024 (of two equally near, the earlier)", "ru")
    ... # doctest: +NORMALIZE_WHITESPACE
    ('ближайший год для каждого региона в ', Data(text='2018'), '–', Data(text='2024'),
     ' (из двух равноудалённых — более ранний)')
    """
    if lang == "en":
        return (Data(rule),)
    return _translated(rule, CLAUSES, lang) or (Data(rule),)
