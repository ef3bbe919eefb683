"""Every word of the report in English and Russian, and numbers written as each language writes them.

The report's text comes from one catalogue, :data:`TEXTS` (key -> one template per language,
with ``str.format`` fields), so that a heading, a label or a methods sentence exists in both
languages or in neither (``tests/test_report.py`` checks that every key has both and that their
fields agree). Names from the data -- regions, countries' codes, indicator names, sources --
are never translated. Numbers are written by a :class:`Locale`: a decimal point and a comma
between thousands in English, a decimal comma and a no-break space between thousands in
Russian, the minus sign U+2212 in both.
"""

from __future__ import annotations

import dataclasses
import math
import string
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np

__all__ = ["LANGUAGES", "TEXTS", "Data", "Locale", "phrase", "text"]

Language = Literal["en", "ru"]

#: The languages of the report, with their names.
LANGUAGES: Final[Mapping[str, str]] = {"en": "English", "ru": "русский"}

MINUS: Final = "\u2212"
NBSP: Final = "\u00a0"
DASH: Final = "\u2013"
NO_VALUE: Final = "\u2014"


@dataclasses.dataclass(frozen=True)
class Data:
    """A text that comes from the data (a region's name, a source): shown as it is, isolated.

    The HTML writer escapes it and wraps it in ``<bdi>``, so that neither markup nor a
    bidirectional override in a name can reach the text around it.
    """

    text: str


#: A run of text: plain strings of the catalogue and :class:`Data` from the run, in order.
Parts = tuple[str | Data, ...]


@dataclasses.dataclass(frozen=True)
class Locale:
    r"""How one language writes numbers.

    Attributes
    ----------
    lang
        ``"en"`` or ``"ru"``.
    decimal
        The decimal separator.
    group
        The separator between groups of three digits.
    group_from
        The smallest whole number written with separators (Russian leaves four digits whole).

    Examples
    --------
    >>> en, ru = Locale.of("en"), Locale.of("ru")
    >>> en.fixed(-0.36012, 3), ru.fixed(-0.36012, 3)
    ('−0.360', '−0,360')
    >>> en.count(1209), ru.count(1209), ru.count(12090)
    ('1,209', '1209', '12\xa0090')
    >>> en.pct(48.119), ru.signed(0.16648, 3), en.sig(0.00027851), ru.sig(1.6665e-07)
    ('48.1\xa0%', '+0,166', '0.000279', '1,67·10⁻⁷')
    """

    lang: str
    decimal: str
    group: str
    group_from: int

    @classmethod
    def of(cls, lang: str) -> Locale:
        """The locale of a language of :data:`LANGUAGES`."""
        if lang == "ru":
            return cls("ru", ",", NBSP, 10_000)
        if lang == "en":
            return cls("en", ".", ",", 1_000)
        raise ValueError(f"unknown language {lang!r}; choose one of {sorted(LANGUAGES)}")

    def _digits(self, text: str) -> str:
        """English digits (``1,234.5``) in this language's separators, with a true minus sign."""
        swapped = text.translate({ord(","): "\0", ord("."): self.decimal}).replace("\0", self.group)
        return swapped.replace("-", MINUS)

    def fixed(self, value: Any, decimals: int) -> str:
        """A number with ``decimals`` decimals; a dash when missing."""
        number = _float(value)
        if number is None:
            return NO_VALUE
        text = f"{number:,.{decimals}f}" if abs(number) >= self.group_from else f"{number:.{decimals}f}"
        if text.startswith("-") and float(text.lstrip("-").replace(",", "") or 0) == 0:
            text = text[1:]  # no "-0.000"
        return self._digits(text)

    def signed(self, value: Any, decimals: int) -> str:
        """A number with its sign always written (``+0.166``, ``−0.360``)."""
        text = self.fixed(value, decimals)
        return text if text.startswith((MINUS, NO_VALUE)) or _float(value) == 0 else f"+{text}"

    def count(self, value: Any) -> str:
        """A whole number with separators (a count, kilometres); a dash when missing."""
        number = _float(value)
        if number is None:
            return NO_VALUE
        return self._digits(f"{number:,.0f}" if abs(number) >= self.group_from else f"{number:.0f}")

    def plain(self, value: Any) -> str:
        """A whole number without separators: a year, a seed, a rank."""
        number = _float(value)
        return NO_VALUE if number is None else self._digits(f"{number:.0f}")

    def pct(self, value: Any, decimals: int = 1) -> str:
        """A percentage (the value in %), with a no-break space before the sign."""
        text = self.fixed(value, decimals)
        return text if text == NO_VALUE else f"{text}{NBSP}%"

    def sig(self, value: Any, digits: int = 3) -> str:
        """A number to ``digits`` significant digits, very small ones as a power of ten."""
        number = _float(value)
        if number is None:
            return NO_VALUE
        if number != 0 and float(number).is_integer() and abs(number) < 10**digits:
            return self.plain(number)
        text = f"{number:.{digits}g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            power = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
            return f"{self._digits(mantissa)}·10{power}"
        return self._digits(text)

    def range(self, low: Any, high: Any) -> str:
        """Two whole numbers as a range (``6–9``)."""
        return f"{self.plain(low)}{DASH}{self.plain(high)}"


def _float(value: Any) -> float | None:
    """A number of the data as a finite float; ``None`` for a missing value (NaN, ``pd.NA``, ``None``) or a non-number.

    The one reading of a number, for its text and for the value a cell keeps. A boolean, Python's
    or numpy's, is no number (a flag reads as one, where it is shown as a word); nor is text.

    Examples
    --------
    >>> _float(np.float32(0.5)), _float("0.5"), _float(float("nan")), _float(np.True_), _float(float("inf"))
    (0.5, None, None, None, None)
    """
    if value is None or isinstance(value, bool | np.bool_ | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def plural_ru(count: int, forms: Sequence[str]) -> str:
    """The Russian form of a noun after ``count``: one, few (2-4), many.

    Examples
    --------
    >>> [plural_ru(n, ("регион", "региона", "регионов")) for n in (1, 3, 5, 11, 21, 22)]
    ['регион', 'региона', 'регионов', 'регионов', 'регион', 'региона']
    """
    n = abs(int(count))
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def text(key: str, lang: str, **values: Any) -> str:
    """The catalogue's template ``key`` in ``lang``, with its fields filled.

    Examples
    --------
    >>> text("table", "ru", number=3)
    'Таблица 3'
    """
    return TEXTS[key][lang].format(**values)


def phrase(key: str, lang: str, **values: Any) -> Parts:
    """Like :func:`text`, but a field given as :class:`Data` (or a run of parts) stays apart.

    Examples
    --------
    >>> phrase("lowest_on_side", "en", name=Data("<Tver'>"), value="0.1")
    ('lowest: ', Data(text="<Tver'>"), ', 0.1.')
    """
    parts: list[str | Data] = []
    for literal, field, spec, conversion in string.Formatter().parse(TEXTS[key][lang]):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        value = values[field]
        if isinstance(value, Data):
            parts.append(value)
        elif isinstance(value, tuple):  # a run of parts of its own
            parts += list(value)
        else:
            parts.append(format(value if conversion is None else repr(value), spec or ""))
    merged: list[str | Data] = []
    for part in parts:  # neighbouring plain strings as one
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(merged)


# -- the catalogue -----------------------------------------------------------------------------

#: Every text of the report: key -> ``{"en": ..., "ru": ...}``, ``str.format`` fields in braces.
TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    # frame
    "report": {"en": "Report", "ru": "Отчёт"},
    "subtitle": {"en": "Digital divide across state borders: results of one run of borderland, index year {year}",
                 "ru": "Цифровое неравенство на государственных границах: результаты расчёта borderland, "
                       "год индекса {year}"},
    "contents": {"en": "Contents", "ru": "Содержание"},
    "table": {"en": "Table {number}", "ru": "Таблица {number}"},
    "figure": {"en": "Figure {number}", "ru": "Рисунок {number}"},
    "source": {"en": "Source: {what}", "ru": "Источник: {what}"},
    "source_layer": {"en": "layer {layer} of {gpkg}", "ru": "слой {layer} файла {gpkg}"},
    "source_columns": {"en": "columns {columns}", "ru": "поля {columns}"},
    "generated": {"en": "Generated by borderland {version} from the study file {study}. Every number comes from the "
                        "run's results, as the GeoPackage {gpkg} of `borderland run` with the same study holds them; "
                        "each table and figure names its layer. Regenerate with: {command}",
                  "ru": "Создано borderland {version} по файлу исследования {study}. Все числа взяты из результатов "
                        "расчёта в том виде, в каком их хранит GeoPackage {gpkg}, записанный командой "
                        "`borderland run` для того же исследования; у каждой таблицы и рисунка указан слой. "
                        "Повторить: {command}"},
    "not_run": {"en": "Not computed in this run: {reason}.", "ru": "В этом расчёте не вычислялось: {reason}."},
    "yes": {"en": "yes", "ru": "да"},
    "no": {"en": "no", "ru": "нет"},
    "other_side": {"en": "other side", "ru": "другая сторона"},
    "side_of": {"en": "{country} side", "ru": "сторона {country}"},
    "all_regions": {"en": "all regions", "ru": "все регионы"},
    "total": {"en": "total", "ru": "всего"},
    "km": {"en": "{value} km", "ru": "{value} км"},
    # sections
    "sec_summary": {"en": "Key findings", "ru": "Основные результаты"},
    "sec_coverage": {"en": "Data coverage", "ru": "Охват данных"},
    "sec_map": {"en": "Map", "ru": "Карта"},
    "sec_typology": {"en": "Leaders and laggards", "ru": "Лидеры и отстающие"},
    "sec_gaps": {"en": "Cross-border gaps", "ru": "Трансграничные разрывы"},
    "sec_distance": {"en": "Distance to the border", "ru": "Удалённость от границы"},
    "sec_comparability": {"en": "Comparability of definitions", "ru": "Сопоставимость определений"},
    "sec_statistics": {"en": "Global statistics", "ru": "Глобальные статистики"},
    "sec_trade": {"en": "Trade", "ru": "Торговля"},
    "sec_methods": {"en": "Methods: the choices of this run", "ru": "Методика: параметры этого расчёта"},
    "sec_notes": {"en": "Notes of the run", "ru": "Примечания расчёта"},
    # key findings
    "find_coverage": {
        "en": "{indexed} of {total} regions have an index for {year} ({sides}); typology: {classes}.",
        "ru": "Регионов с индексом за {year} год: {indexed} из {total} ({sides}); типология: {classes}.",
    },
    "highest_on_side": {"en": "Highest index ({side}): {name}, {value}",
                        "ru": "Наивысший индекс ({side}): {name}, {value}"},
    "lowest_on_side": {"en": "lowest: {name}, {value}.", "ru": "наименьший: {name}, {value}."},
    "find_gap": {
        "en": "The largest cross-border gap: {name_a} – {name_b} ({segment}), {gap}. The {top} segment holds {share} "
              "of the total cross-border gap (mean gap {mean}, weighted by shared length).",
        "ru": "Наибольший трансграничный разрыв: {name_a} – {name_b} ({segment}), {gap}. На участок {top} "
              "приходится {share} суммарного трансграничного разрыва (средний разрыв {mean}, взвешенный по длине "
              "общей границы).",
    },
    "find_profile": {"en": "Index by distance band ({bands} km), population-weighted: {sides}.",
                     "ru": "Индекс по полосам удалённости от границы ({bands} км), взвешенный по населению: {sides}."},
    "find_profile_area": {"en": "Index by distance band ({bands} km), area-weighted: {sides}.",
                          "ru": "Индекс по полосам удалённости от границы ({bands} км), взвешенный по площади: "
                                "{sides}."},
    "find_moran": {
        "en": "Moran's I of the index {i} (pseudo p = {p}, {permutations} permutations); LISA clusters after the "
              "{correction}: {clusters} ({raw} at p ≤ {level} without a correction).",
        "ru": "Индекс Морана I для индекса цифровизации: {i} (псевдо-p = {p}, перестановок: {permutations}); "
              "кластеров LISA после поправки ({correction}): {clusters} (без поправки при p ≤ {level}: {raw}).",
    },
    "find_theil": {"en": "Theil T (population-weighted): the share between countries is {shares}.",
                   "ru": "Индекс Тейла T (с весами по населению): доля межстрановой составляющей — {shares}."},
    "find_comparability": {
        "en": "{faulty} of {pairs} cross-border gaps rest on components defined differently on the two sides "
              "({components}).",
        "ru": "Трансграничных разрывов, опирающихся на компоненты с разными определениями по сторонам границы: "
              "{faulty} из {pairs} ({components}).",
    },
    "find_comparable": {"en": "All {pairs} cross-border gaps compare values of the same definitions.",
                        "ru": "Все трансграничные разрывы ({pairs}) сравнивают значения одинаковых определений."},
    "find_coherence": {"en": "Cronbach's alpha {alpha}; redundant pairs of components (|r| > 0.9): {pairs}.",
                       "ru": "Альфа Кронбаха: {alpha}; избыточные пары компонентов (|r| > 0,9): {pairs}."},
    "find_trade": {"en": "Trade: {flows} flows drawn; association of trade with the gap: {result}.",
                   "ru": "Торговля: потоков на карте: {flows}; связь торговли с разрывом: {result}."},
    "none": {"en": "none", "ru": "нет"},
    "class_count": {"en": "{label} {count}", "ru": "{label}: {count}"},
    # coverage
    "coverage_year": {
        "en": "Index year: {year} ({rule}). Regions with every index component in {year}: {sides}.",
        "ru": "Год индекса: {year} ({rule}). Регионы со всеми компонентами индекса в {year} году: {sides}.",
    },
    "year_auto": {"en": "chosen automatically: the latest year in which the most regions on both sides of the border "
                        "have every index component",
                  "ru": "выбран автоматически: последний год, в котором больше всего регионов по обе стороны границы "
                        "имеют все компоненты индекса"},
    "year_set": {"en": "set in the study file", "ru": "задан в файле исследования"},
    "tab_coverage": {"en": "Regions with and without data, by country",
                     "ru": "Регионы с данными и без данных по странам"},
    "col_country": {"en": "Country", "ru": "Страна"},
    "col_regions": {"en": "Regions", "ru": "Регионов"},
    "col_with_index": {"en": "With an index", "ru": "С индексом"},
    "col_without_index": {"en": "Without an index", "ru": "Без индекса"},
    "col_with_value": {"en": "With {component}", "ru": "Есть {component}"},
    "tab_sources": {"en": "Sources of the index components", "ru": "Источники компонентов индекса"},
    "sources_caption_note": {"en": "the indicator table's rows behind each value (the regions layer's "
                                   "<component>_indicator and <component>_year name them)",
                             "ru": "строки таблицы индикаторов, из которых взято каждое значение (их указывают поля "
                                   "<component>_indicator и <component>_year слоя regions)"},
    "col_component": {"en": "Component", "ru": "Компонент"},
    "col_countries": {"en": "Countries", "ru": "Страны"},
    "col_source": {"en": "Source", "ru": "Источник"},
    "col_values": {"en": "Values", "ru": "Значений"},
    "tab_licences": {"en": "Sources, licences and the credits they require",
                     "ru": "Источники, лицензии и обязательные ссылки"},
    "col_licence": {"en": "Licence and terms", "ru": "Лицензия и условия"},
    "col_credit": {"en": "Credit", "ru": "Ссылка"},
    "licence_unknown": {"en": "not recorded: see the source", "ru": "не указана: см. источник"},
    "licences_source": {"en": "the sources and credits in gpkg_metadata of {gpkg}; the terms of each licence as "
                              "geodata/README.md records them",
                        "ru": "источники и ссылки в gpkg_metadata файла {gpkg}; условия лицензий — по "
                              "geodata/README.md"},
    "credits": {"en": "Credits the study gives and its sources require: {credits}.",
                "ru": "Ссылки, которые даёт исследование и требуют источники: {credits}."},
    "files_read": {"en": "Files read: {files}.", "ru": "Прочитанные файлы: {files}."},
    # map
    "fig_map": {
        "en": "{title}: the typology of {year} (leader / moderate / lagging), the state border and the cross-border "
              "gaps (width ∝ |gap|, colour: the side that leads; dashed: unlike definitions). The interactive map "
              "also offers the index, the class stability and the border rings.",
        "ru": "{title}: типология {year} года (лидеры / средние / отстающие), государственная граница и "
              "трансграничные разрывы (толщина ∝ |разрыв|, цвет — сторона-лидер; пунктир — разные определения). "
              "На интерактивной карте также индекс, устойчивость классов и пояса приграничья.",
    },
    "map_layers": {"en": "layers regions (typology, index, p_typology, border_order), border_lines, neighbour_pairs "
                         "(gap) of {gpkg}",
                   "ru": "слои regions (typology, index, p_typology, border_order), border_lines, neighbour_pairs "
                         "(gap) файла {gpkg}"},
    # typology
    "typology_rule": {
        "en": "Typology rule {method} ({options}): {counts}. Robustness: {draws} Monte Carlo draws (seed {seed}) over "
              "the weights and the normalisations {normalisations}; a class held in fewer than {stable} of the draws "
              "is unstable.",
        "ru": "Правило типологии {method} ({options}): {counts}. Устойчивость: испытаний Монте-Карло: {draws} "
              "(seed {seed}) по весам и нормировкам {normalisations}; класс, сохраняющийся менее чем в {stable} "
              "испытаний, неустойчив.",
    },
    "typology_rule_plain": {"en": "Typology rule {method} ({options}): {counts}. No Monte Carlo robustness was run "
                                  "([robustness] draws = 0).",
                            "ru": "Правило типологии {method} ({options}): {counts}. Анализ устойчивости методом "
                                  "Монте-Карло не проводился ([robustness] draws = 0)."},
    "tab_leaders": {"en": "Leaders and laggards on each side: the three highest and the three lowest indices",
                    "ru": "Лидеры и отстающие по сторонам границы: три наибольших и три наименьших индекса"},
    "col_side": {"en": "Side", "ru": "Сторона"},
    "col_region": {"en": "Region", "ru": "Регион"},
    "col_code": {"en": "Code", "ru": "Код"},
    "col_class": {"en": "Class", "ru": "Класс"},
    "col_index": {"en": "Index", "ru": "Индекс"},
    "col_rank": {"en": "Rank", "ru": "Ранг"},
    "col_rank_interval": {"en": "Median rank (5–95 %)", "ru": "Медианный ранг (5–95 %)"},
    "col_p_class": {"en": "P({label})", "ru": "P({label})"},
    "col_stable": {"en": "Stable", "ru": "Устойчив"},
    "tab_typology": {"en": "Typology of every region with an index, with class probabilities and rank intervals",
                     "ru": "Типология всех регионов с индексом: вероятности классов и интервалы рангов"},
    "tab_typology_plain": {"en": "Typology of every region with an index", "ru": "Типология всех регионов с индексом"},
    "fig_ranks_part": {"en": " (the {shown} highest and the {shown} lowest of {total} regions)",
                       "ru": " ({shown} наивысших и {shown} наименьших рангов из {total})"},
    "fig_ranks": {"en": "Rank of each region over the Monte Carlo draws: median (dot) and 5–95 % interval (line), "
                        "coloured by the class as chosen",
                  "ru": "Ранг каждого региона по испытаниям Монте-Карло: медиана (точка) и интервал 5–95 % (линия); "
                        "цвет — класс по выбранному правилу"},
    "unstable": {"en": "Unstable classes (held in fewer than {stable} of the draws): {regions}.",
                 "ru": "Неустойчивые классы (сохраняются менее чем в {stable} испытаний): {regions}."},
    "sign_kept": {"en": "Every cross-border gap keeps its sign in at least {share} of the draws ({pairs} gaps).",
                  "ru": "Каждый трансграничный разрыв сохраняет знак не менее чем в {share} испытаний "
                        "(разрывов: {pairs})."},
    "axis_rank": {"en": "rank (1 = highest index)", "ru": "ранг (1 — наибольший индекс)"},
    "legend_interval": {"en": "median rank, 5–95 % interval", "ru": "медианный ранг, интервал 5–95 %"},
    # gaps
    "gaps_intro": {
        "en": "Gap = index of region a − index of region b, in index points; in a pair with the focus country its "
              "region is a, so a negative gap means the {focus} side lags.",
        "ru": "Разрыв = индекс региона a − индекс региона b, в пунктах индекса; в паре с основной страной её регион "
              "— a, поэтому отрицательный разрыв означает отставание стороны {focus}.",
    },
    "tab_gaps": {"en": "The largest cross-border gaps", "ru": "Наибольшие трансграничные разрывы"},
    "col_segment": {"en": "Segment", "ru": "Участок"},
    "col_region_a": {"en": "Region a", "ru": "Регион a"},
    "col_region_b": {"en": "Region b", "ru": "Регион b"},
    "col_gap": {"en": "Gap", "ru": "Разрыв"},
    "col_shared_km": {"en": "Shared border, km", "ru": "Общая граница, км"},
    "col_p_sign": {"en": "P(sign kept)", "ru": "P(знак сохранён)"},
    "col_comparable": {"en": "Same definitions", "ru": "Одинаковые определения"},
    "tab_segments": {"en": "Gaps per border segment (weighted by shared length)",
                     "ru": "Разрывы по участкам границы (взвешенные по длине общей границы)"},
    "col_pairs": {"en": "Pairs", "ru": "Пар"},
    "col_pairs_gap": {"en": "Pairs with a gap", "ru": "Пар с разрывом"},
    "col_border_km": {"en": "Border, km", "ru": "Граница, км"},
    "col_mean_gap": {"en": "Mean gap", "ru": "Средний разрыв"},
    "col_max_gap": {"en": "Largest |gap|", "ru": "Наибольший |разрыв|"},
    "col_share": {"en": "Share of the total gap", "ru": "Доля суммарного разрыва"},
    "fig_segments": {"en": "Mean gap of each border segment, weighted by shared length (bar), and the gaps of its "
                           "pairs (dots); the label gives the segment's share of the total cross-border gap",
                     "ru": "Средний разрыв на каждом участке границы, взвешенный по длине общей границы (столбик), и "
                           "разрывы отдельных пар (точки); в подписи — доля участка в суммарном трансграничном "
                           "разрыве"},
    "axis_gap": {"en": "gap (index points)", "ru": "разрыв (пункты индекса)"},
    "legend_mean_gap": {"en": "mean gap (length-weighted)", "ru": "средний разрыв (по длине границы)"},
    "legend_pair_gap": {"en": "gap of one pair", "ru": "разрыв одной пары"},
    "no_gap_segments": {"en": "Segments without a gap (no index on one side): {segments}.",
                        "ru": "Участки без разрыва (нет индекса с одной из сторон): {segments}."},
    "no_pairs": {"en": "no cross-border pair has an index on both sides",
                 "ru": "ни у одной трансграничной пары нет индекса с обеих сторон"},
    # distance
    "tab_profile": {"en": "Index by distance band and side of the border",
                    "ru": "Индекс по полосам удалённости и сторонам границы"},
    "col_band": {"en": "Band, km", "ru": "Полоса, км"},
    "col_population": {"en": "Population", "ru": "Население"},
    "col_area": {"en": "Area, km²", "ru": "Площадь, км²"},
    "col_with_data": {"en": "With an index", "ru": "С индексом"},
    "fig_profile": {"en": "Index by distance band from the land border, one line per side ({weight})",
                    "ru": "Индекс по полосам удалённости от сухопутной границы, по линии на сторону ({weight})"},
    "weight_population": {"en": "population-weighted", "ru": "с весами по населению"},
    "weight_area": {"en": "area-weighted", "ru": "с весами по площади"},
    "axis_band": {"en": "distance from the land border (km)", "ru": "расстояние от сухопутной границы (км)"},
    "axis_index": {"en": "index", "ru": "индекс"},
    "profile_caveat": {"en": "Caveat: where less than half of a band's weight lies in regions with an index "
                             "(with_data_pct by band: {sides}), the curve describes those regions only.",
                       "ru": "Оговорка: где на регионы с индексом приходится меньше половины веса полосы "
                             "(with_data_pct по полосам: {sides}), кривая описывает только эти регионы."},
    # comparability
    "tab_definitions": {"en": "Definitions of the components that differ across the border",
                        "ru": "Определения компонентов, различающиеся по сторонам границы"},
    "col_definition": {"en": "Definition (indicator)", "ru": "Определение (индикатор)"},
    "tab_without": {"en": "Mean gap per segment with every component and without each component defined differently",
                    "ru": "Средний разрыв по участкам со всеми компонентами и без каждого компонента с разными "
                          "определениями"},
    "tab_classes": {"en": "Typology with every component and without each component defined differently",
                    "ru": "Типология со всеми компонентами и без каждого компонента с разными определениями"},
    "col_scenario": {"en": "Scenario", "ru": "Вариант"},
    "col_class_counts": {"en": "Regions per class", "ru": "Регионов по классам"},
    "col_changing": {"en": "Changing class", "ru": "Меняют класс"},
    "col_changes": {"en": "Changes", "ru": "Изменения"},
    "scenario_all": {"en": "all components", "ru": "все компоненты"},
    "scenario_without": {"en": "without {component}", "ru": "без {component}"},
    "scenario_adjusted": {"en": "{component} adjusted", "ru": "{component} с поправкой"},
    "comparability_caveat": {
        "en": "Leaving a component out removes the real difference it measures as well, so these figures bound the "
              "definitional part of a gap rather than measure it.",
        "ru": "Исключение компонента убирает и реальное различие, которое он измеряет, поэтому эти величины "
              "ограничивают, а не измеряют, долю разрыва, связанную с определениями.",
    },
    # statistics
    "tab_statistics": {"en": "Every global statistic of the run", "ru": "Все глобальные статистики расчёта"},
    "col_statistic": {"en": "Statistic", "ru": "Статистика"},
    "col_variable": {"en": "Of", "ru": "Для"},
    "col_value": {"en": "Value", "ru": "Значение"},
    "col_unit": {"en": "Unit", "ru": "Единица"},
    "col_key": {"en": "Key", "ru": "Ключ"},
    "tab_theil": {"en": "Theil T and its share between groups (population-weighted)",
                  "ru": "Индекс Тейла T и доля межгрупповой составляющей (с весами по населению)"},
    "col_measure": {"en": "Measure", "ru": "Показатель"},
    "col_theil": {"en": "T", "ru": "T"},
    "col_between": {"en": "Between {partition}", "ru": "Между {partition}"},
    "partition_country": {"en": "countries", "ru": "странами"},
    "partition_side": {"en": "sides", "ru": "сторонами"},
    "partition_border_order": {"en": "border rings", "ru": "поясами"},
    "theil_note": {"en": "Theil T needs values with a natural zero: the run decomposes the raw components, and the "
                         "index only when it is on a ratio scale.",
                   "ru": "Индекс Тейла требует значений с естественным нулём: раскладываются исходные компоненты, "
                         "а индекс — только если он измерен в шкале отношений."},
    "tab_coherence": {"en": "Coherence of the index components", "ru": "Согласованность компонентов индекса"},
    "col_component_a": {"en": "Component a", "ru": "Компонент a"},
    "col_component_b": {"en": "Component b", "ru": "Компонент b"},
    "col_flag": {"en": "Flag", "ru": "Отметка"},
    "flag_redundant": {"en": "redundant", "ru": "избыточна"},
    "flag_negative": {"en": "negative", "ru": "отрицательна"},
    "coh_r": {"en": "correlation r", "ru": "корреляция r"},
    "coh_alpha": {"en": "Cronbach's alpha", "ru": "альфа Кронбаха"},
    "coh_alpha_dropped": {"en": "alpha without this component", "ru": "альфа без этого компонента"},
    "coh_index_r": {"en": "correlation with the index", "ru": "корреляция с индексом"},
    # trade
    "trade_none": {"en": "The study has no trade data ([trade] published is not set).",
                   "ru": "В исследовании нет данных о торговле (не задан [trade] published)."},
    "trade_flows": {"en": "Trade flows drawn: {flows} ({types}).",
                    "ru": "Торговых потоков на карте: {flows} ({types})."},
    "trade_association": {"en": "Association of trade with the gap (Spearman, over the pairs with both): {result}.",
                          "ru": "Связь торговли с разрывом (Спирмен, по парам, где есть и то и другое): {result}."},
    "trade_rho": {"en": "ρ = {rho}, n = {n}, p = {p}", "ru": "ρ = {rho}, n = {n}, p = {p}"},
    "trade_too_few": {"en": "not measured, n = {n} (too few pairs with both a trade figure and a gap)",
                      "ru": "не оценивалась, n = {n} (слишком мало пар, где есть и торговля, и разрыв)"},
    "tab_trade_segments": {"en": "Trade beside the gap per border segment",
                           "ru": "Торговля и разрыв по участкам границы"},
    "col_flows": {"en": "Flows", "ru": "Потоков"},
    "col_pairs_trade": {"en": "Pairs with trade", "ru": "Пар с торговлей"},
    "col_trade_sum": {"en": "Trade", "ru": "Торговля"},
    "col_mean_gap_unweighted": {"en": "Mean gap (unweighted)", "ru": "Средний разрыв (невзвешенный)"},
    "tab_trade_flows": {"en": "Trade flows", "ru": "Торговые потоки"},
    "col_flow": {"en": "Flow", "ru": "Поток"},
    "col_flow_type": {"en": "Type", "ru": "Вид"},
    "col_year": {"en": "Year", "ru": "Год"},
    # methods
    "tab_methods": {"en": "Every choice the run made", "ru": "Все параметры расчёта"},
    "col_step": {"en": "Step", "ru": "Шаг"},
    "col_choice": {"en": "Choice", "ru": "Выбор"},
    "col_keys": {"en": "Study keys", "ru": "Ключи исследования"},
    "methods_source": {"en": "the run's parameters in gpkg_metadata of {gpkg} (index_specification, typology_rule, "
                             "run_parameters); docs/methods.md gives every formula",
                       "ru": "параметры расчёта в gpkg_metadata файла {gpkg} (index_specification, typology_rule, "
                             "run_parameters); все формулы — в docs/methods.md"},
    "step_year": {"en": "Year", "ru": "Год"},
    "step_components": {"en": "Components", "ru": "Компоненты"},
    "step_normalisation": {"en": "Normalisation", "ru": "Нормировка"},
    "step_weights": {"en": "Weights", "ru": "Веса"},
    "step_aggregation": {"en": "Aggregation", "ru": "Агрегирование"},
    "step_typology": {"en": "Typology", "ru": "Типология"},
    "step_robustness": {"en": "Robustness", "ru": "Устойчивость"},
    "step_border": {"en": "Border and distance", "ru": "Граница и расстояние"},
    "step_raster": {"en": "Population near the border", "ru": "Население у границы"},
    "step_gaps": {"en": "Gaps and spatial statistics", "ru": "Разрывы и пространственная статистика"},
    "step_population": {"en": "Population weights", "ru": "Веса по населению"},
    "step_repairs": {"en": "Geometry repairs", "ru": "Исправление геометрии"},
    "step_definitions": {"en": "Comparability", "ru": "Сопоставимость"},
    "m_year_auto": {"en": "auto → {year}; component year rules: {rules}",
                    "ru": "автоматически → {year}; правила года компонентов: {rules}"},
    "m_year_set": {"en": "{year}, set; component year rules: {rules}",
                   "ru": "{year}, задан; правила года компонентов: {rules}"},
    "m_components": {"en": "{components}; a region needs at least {share} of them (by count); imputation: {imputation}",
                     "ru": "{components}; региону нужна доля компонентов не менее {share} (по числу); восстановление "
                           "пропусков: {imputation}"},
    "m_normalisation": {"en": "{method} over the reference set “{over}”, scale {scale}",
                        "ru": "{method} по опорному множеству «{over}», шкала {scale}"},
    "m_weights": {"en": "{weighting}; effective weights: {weights}", "ru": "{weighting}; действующие веса: {weights}"},
    "m_aggregation": {"en": "{aggregation} mean", "ru": "{aggregation} (среднее)"},
    "m_typology": {"en": "{method} ({options}); classes, best first: {labels}",
                   "ru": "{method} ({options}); классы от лучшего: {labels}"},
    "m_robustness": {"en": "{draws} draws, seed {seed}, Dirichlet concentration {concentration}, normalisations "
                           "{normalisations}, aggregations {aggregations}; stable at P ≥ {stable}; largest Monte Carlo "
                           "standard error {se}",
                     "ru": "испытаний: {draws}, seed {seed}, концентрация Дирихле {concentration}, нормировки "
                           "{normalisations}, агрегирование {aggregations}; устойчив при P ≥ {stable}; наибольшая "
                           "стандартная ошибка Монте-Карло {se}"},
    "m_robustness_off": {"en": "off (draws = 0)", "ru": "не проводилась (draws = 0)"},
    "m_border": {"en": "land border from {source}; distance from {origin}; a region touches the border within {touch} "
                       "m; distance bands {bands} km",
                 "ru": "сухопутная граница по {source}; расстояние от {origin}; регион касается границы в пределах "
                       "{touch} м; полосы удалённости {bands} км"},
    "border_regions": {"en": "the shared edges of the regions", "ru": "общим границам регионов"},
    "border_layer": {"en": "the line layer {layer}", "ru": "линейному слою {layer}"},
    "m_raster": {"en": "raster {raster}: people within {within} km of the border; a border region touches the border "
                       "or has more than {threshold} of its people within {within} km",
                 "ru": "растр {raster}: население в пределах {within} км от границы; приграничный регион касается "
                       "границы или более {threshold} его населения живёт в пределах {within} км"},
    "m_raster_off": {"en": "no population raster", "ru": "растр населения не задан"},
    "m_gaps": {"en": "{contiguity} contiguity; Moran's I and LISA with {permutations} permutations (seed {seed}); "
                     "LISA correction {correction} at {level}",
               "ru": "смежность {contiguity}; I Морана и LISA, перестановок: {permutations} (seed {seed}); поправка "
                     "LISA {correction} на уровне {level}"},
    "m_population": {"en": "indicator {indicator}; {rule}", "ru": "индикатор {indicator}; {rule}"},
    "m_repairs": {"en": "{valid} invalid polygon(s) made valid; {overlaps} km² of overlaps resolved; {slivers} "
                        "cross-border sliver(s) up to {width} km wide filled ({sliver_area} km²)",
                  "ru": "исправлено недопустимых полигонов: {valid}; устранено перекрытий: {overlaps} км²; заполнено "
                        "трансграничных щелей шириной до {width} км: {slivers} ({sliver_area} км²)"},
    "m_definitions": {"en": "values are comparable when they come from the same indicator or from indicators with "
                            "identical definitions; {components} differ across at least one border",
                      "ru": "значения сопоставимы, если взяты из одного индикатора или из индикаторов с одинаковым "
                            "определением; различаются хотя бы на одной границе: {components}"},
    "notes_intro": {"en": "As the run wrote them:", "ru": "Что сообщил расчёт:"},
    "note_untranslated": {"en": "", "ru": "(на английском, как его записал расчёт) "},
    "join_note": {"en": "Regions without any indicator: {regions}.", "ru": "Регионы без индикаторов: {regions}."},
}

#: The typology's default class names in each language (a study's own labels are shown as given).
CLASS_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {"leader": "leader", "moderate": "moderate", "lagging": "lagging"},
    "ru": {"leader": "лидер", "moderate": "средний", "lagging": "отстающий"},
}

#: Names of the global statistics (the ``statistic`` column of the statistics table).
STATISTICS: Final[Mapping[str, Mapping[str, str]]] = {
    "index_year": {"en": "Index year", "ru": "Год индекса"},
    "regions_complete": {"en": "Regions with every component", "ru": "Регионы со всеми компонентами"},
    "component_year": {"en": "Year of the component", "ru": "Год компонента"},
    "regions_indexed": {"en": "Regions with an index", "ru": "Регионы с индексом"},
    "cronbach_alpha": {"en": "Cronbach's alpha", "ru": "Альфа Кронбаха"},
    "mc_draws": {"en": "Monte Carlo draws", "ru": "Испытания Монте-Карло"},
    "mc_seed": {"en": "Monte Carlo seed", "ru": "Seed Монте-Карло"},
    "mc_concentration": {"en": "Dirichlet concentration of the weights", "ru": "Концентрация Дирихле для весов"},
    "mc_se_class_probability": {"en": "Largest standard error of a class probability",
                                "ru": "Наибольшая стандартная ошибка вероятности класса"},
    "mc_se_pair_sign": {"en": "Largest standard error of a gap-sign probability",
                        "ru": "Наибольшая стандартная ошибка вероятности знака разрыва"},
    "moran_i": {"en": "Moran's I", "ru": "I Морана"},
    "moran_expected_i": {"en": "E[I]", "ru": "E[I]"},
    "moran_variance_norm": {"en": "Var[I] under normality", "ru": "Дисперсия I (нормальность)"},
    "moran_z_norm": {"en": "z under normality", "ru": "z (нормальность)"},
    "moran_p_norm": {"en": "p under normality", "ru": "p (нормальность)"},
    "moran_variance_rand": {"en": "Var[I] under randomisation", "ru": "Дисперсия I (рандомизация)"},
    "moran_z_rand": {"en": "z under randomisation", "ru": "z (рандомизация)"},
    "moran_p_rand": {"en": "p under randomisation", "ru": "p (рандомизация)"},
    "moran_p_sim": {"en": "Pseudo p-value of Moran's I", "ru": "Псевдо-p-значение I Морана"},
    "moran_z_sim": {"en": "z against the permutations", "ru": "z относительно перестановок"},
    "moran_permutations": {"en": "Permutations of Moran's I", "ru": "Перестановки I Морана"},
    "moran_seed": {"en": "Seed of the permutations", "ru": "Seed перестановок"},
    "moran_regions": {"en": "Regions in Moran's I", "ru": "Регионы в расчёте I Морана"},
    "lisa_significance": {"en": "LISA level", "ru": "Уровень значимости LISA"},
    "lisa_threshold_p": {"en": "LISA p-value threshold", "ru": "Порог p-значения LISA"},
    "lisa_tests": {"en": "LISA tests", "ru": "Локальные тесты LISA"},
    "lisa_clusters": {"en": "LISA clusters", "ru": "Кластеры LISA"},
    "lisa_clusters_uncorrected": {"en": "LISA clusters without a correction", "ru": "Кластеры LISA без поправки"},
    "lisa_permutations": {"en": "LISA permutations", "ru": "Перестановки LISA"},
    "lisa_seed": {"en": "LISA seed", "ru": "Seed LISA"},
    "theil_total": {"en": "Theil T", "ru": "Индекс Тейла T"},
}

#: Units of the statistics table, and other words of the data that have a translation.
WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "year": {"en": "year", "ru": "год"},
    "regions": {"en": "regions", "ru": "регионы"},
    "draws": {"en": "draws", "ru": "испытания"},
    "seed": {"en": "seed", "ru": "seed"},
    "probability": {"en": "probability", "ru": "вероятность"},
    "p-value": {"en": "p-value", "ru": "p-значение"},
    "permutations": {"en": "permutations", "ru": "перестановки"},
    "others": {"en": "other side", "ru": "другая сторона"},
    "other": {"en": "other side", "ru": "другая сторона"},
    "all": {"en": "all", "ru": "все"},
    "index": {"en": "index", "ru": "индекс"},
    "fdr": {"en": "Benjamini–Hochberg false discovery rate", "ru": "доля ложных открытий Бенджамини — Хохберга"},
    "none": {"en": "no correction", "ru": "без поправки"},
    "arithmetic": {"en": "arithmetic", "ru": "арифметическое"},
    "geometric": {"en": "geometric", "ru": "геометрическое"},
    "equal": {"en": "equal", "ru": "равные"},
    "user": {"en": "set in the study file", "ru": "заданы в файле исследования"},
    "pca": {"en": "first principal component", "ru": "первая главная компонента"},
    "inside_point": {"en": "a point inside each region", "ru": "точки внутри каждого региона"},
    "centroid": {"en": "the centroid", "ru": "центроида"},
    "outline": {"en": "the outline", "ru": "контура"},
    "population": {"en": "the population (raster-weighted mean)", "ru": "населения (среднее по растру)"},
    "rook": {"en": "rook (a shared line)", "ru": "ладейная (общая линия)"},
    "queen": {"en": "queen (a shared point)", "ru": "ферзевая (общая точка)"},
    "indexed": {"en": "indexed regions", "ru": "регионы с индексом"},
    "focus": {"en": "the focus country", "ru": "основная страна"},
    "exact": {"en": "exact", "ru": "точный год"},
    "latest": {"en": "latest", "ru": "последний доступный"},
    "window": {"en": "window", "ru": "окно"},
    "nearest": {"en": "nearest", "ru": "ближайший"},
    "country": {"en": "by country mean", "ru": "по среднему страны"},
    "side": {"en": "by side mean", "ru": "по среднему стороны"},
    "turnover": {"en": "turnover", "ru": "товарооборот"},
    "exports": {"en": "exports", "ru": "экспорт"},
    "imports": {"en": "imports", "ru": "импорт"},
    "growth_rate": {"en": "growth rate", "ru": "темп роста"},
    "higher": {"en": "higher", "ru": "чем больше, тем лучше"},
    "lower": {"en": "lower", "ru": "чем меньше, тем лучше"},
}


def word(value: str, lang: str) -> str:
    """A word of the data in ``lang`` when the catalogue knows it, else as it is.

    Examples
    --------
    >>> word("permutations", "ru"), word("households_internet_access", "ru")
    ('перестановки', 'households_internet_access')
    """
    return WORDS.get(value, {}).get(lang, value)


def class_name(label: str, lang: str) -> str:
    """A typology class in ``lang``: the default labels are translated, a study's own are kept."""
    return CLASS_NAMES.get(lang, {}).get(label, label)


def statistic_name(key: str, lang: str) -> str:
    """The name of a global statistic in ``lang``; its key when the catalogue does not know it."""
    return STATISTICS.get(key, {}).get(lang, key)
