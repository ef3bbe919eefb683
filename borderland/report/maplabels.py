"""The map model's words in the report's language.

:func:`borderland.maps.map_model` writes its layer names, legends and tooltips in English. The
report draws the interactive map and the static map from one model, so a Russian report
translates that model once, here, and hands the translated copy to both writers: the layer
names, legend rows, tooltip labels and the texts the regions, gaps and border show. Names from
the data (regions, countries' codes, components) are kept; a text no rule knows is left as it
is. Numbers get the language's decimal separator.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Final

import pandas as pd

from borderland.maps.layers import FeatureLayer, LegendItem, RegionLayer
from borderland.maps.model import MapModel
from borderland.report.i18n import Locale, class_name, plural_ru

__all__ = ["localise_model"]

#: Layer names, tooltip labels and whole texts of the map, in Russian.
_RU: Final[Mapping[str, str]] = {
    "Digitalisation index": "Индекс цифровизации",
    "Typology": "Типология",
    "Typology: class stability": "Типология: устойчивость класса",
    "Border rings": "Пояса приграничья",
    "Distance bands": "Полосы удалённости от границы",
    "Distance bands (km)": "Полосы удалённости от границы (км)",
    "State border": "Государственная граница",
    "Cross-border gaps": "Трансграничные разрывы",
    "Countries": "Страны",
    "Regions": "Регионы",
    "Region": "Регион",
    "Code": "Код",
    "Country": "Страна",
    "Index": "Индекс",
    "Distance to border": "Расстояние до границы",
    "Class probability": "Вероятность класса",
    "Border order": "Пояс",
    "Population near the border": "Население у границы",
    "Imputed": "Восстановлено",
    "Outside goalposts": "Вне заданного диапазона",
    "Band": "Полоса",
    "Area": "Площадь",
    "no data": "нет данных",
    "none": "нет",
    "equal": "равны",
    "line width ∝ |index difference|": "толщина линии ∝ |разность индексов|",
    "land border between states": "сухопутная граница между государствами",
    "steps inland over regions of the same country": "шаги вглубь по регионам той же страны",
    "distance from the state border": "расстояние от государственной границы",
    "no cross-border pair with data on both sides": "нет трансграничных пар с данными с обеих сторон",
}

_SCHEMES_RU: Final[Mapping[str, str]] = {
    "quantiles": "квантили", "equal interval": "равные интервалы", "natural breaks": "естественные границы",
    "mean sd": "среднее ± ст. откл.", "reference bands": "опорные полосы", "thresholds": "пороги",
}
_NUMBER: Final = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")


def _numbers(text: str, locale: Locale) -> str:
    """Every number of an English text written with the locale's separators."""
    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        value = value.translate({ord(","): "\0", ord("."): locale.decimal}).replace("\0", locale.group)
        return value.replace("-", "\u2212")  # a true minus sign, as in the report's tables

    return _NUMBER.sub(swap, text)


def _ru(text: str, locale: Locale) -> str:
    """One English text of the map model in Russian; names from the data and unknown texts are kept."""
    if text in _RU:
        return _RU[text]

    def num(value: str) -> str:
        return _numbers(value, locale)

    def leads(match: re.Match[str]) -> str:
        side = "равны" if match[4] == "equal" else f"впереди сторона {match[5]}"
        shared = num(match[6].replace(" km", " км").replace("no data", "нет данных"))
        differs = f"; определение {match[7]} различается по сторонам границы" if match[7] else ""
        return f"{match[1]} – {match[2]}: разрыв {num(match[3])} ({side}), общая граница {shared}{differs}"

    rules: list[tuple[str, Callable[[re.Match[str]], str]]] = [
        (r"[-+\d.,\s–()]+", lambda m: num(m[0])),  # class bounds, values, probabilities
        (r"(leader|moderate|lagging|no data) \((\d+)\)",
         lambda m: f"{_RU.get(m[1]) or class_name(m[1], 'ru')} ({m[2]})"),
        (r"(leader|moderate|lagging)", lambda m: class_name(m[1], "ru")),
        (r"(.+), (\d+) classes",
         lambda m: f"{_SCHEMES_RU.get(m[1], m[1])}, {m[2]} {plural_ru(int(m[2]), ('класс', 'класса', 'классов'))}"),
        (r"(\S+) side leads", lambda m: f"впереди сторона {m[1]}"),
        (r"dashed: definition of (.+) differs across the border \((\d+)\)",
         lambda m: f"пунктир: определение {m[1]} различается по сторонам границы ({m[2]})"),
        (r"probability of the class below (\S+) \((\d+)\)",
         lambda m: f"вероятность класса ниже {num(m[1])} ({m[2]})"),
        (r"no probability for (\d+) region\(s\)", lambda m: f"нет вероятности у регионов: {m[1]}"),
        (r"ring 1: touches the border \((\d+)\)", lambda m: f"пояс 1: касается границы ({m[1]})"),
        (r"ring (\d+) or more \((\d+)\)", lambda m: f"пояс {m[1]} и далее ({m[2]})"),
        (r"ring (\d+) \((\d+)\)", lambda m: f"пояс {m[1]} ({m[2]})"),
        (r"(\S+) \(unstable\)", lambda m: f"{num(m[1])} (неустойчиво)"),
        (r"([-\d.,]+) km", lambda m: f"{num(m[1])} км"),
        (r"([-\d.,]+) km²", lambda m: f"{num(m[1])} км²"),
        (r"(.*) – (.*) state border: ([-\d.,]+) km",
         lambda m: f"{m[1]} – {m[2]}: государственная граница, {num(m[3])} км"),
        (r"(.*) – (.*): gap (\S+) \((equal|(\S+) side leads)\), (.+?) shared border"
         r"(?:; the definition of (.+) differs across the border)?", leads),
        (r"Population within (\S+) km of the border(.*)",
         lambda m: f"Население в пределах {num(m[1])} км от границы{m[2]}"),
    ]
    for pattern, rewrite in rules:
        match = re.fullmatch(pattern, text)
        if match:
            return rewrite(match)
    return text


def _translator(lang: str) -> Callable[[str], str]:
    locale = Locale.of(lang)
    if lang == "en":
        return lambda text: text
    return lambda text: _ru(text, locale)


def _legend(items: tuple[LegendItem, ...], say: Callable[[str], str]) -> tuple[LegendItem, ...]:
    return tuple(dataclasses.replace(item, label=say(item.label)) for item in items)


def _series(values: pd.Series, say: Callable[[str], str]) -> pd.Series:
    return values.map(lambda v: say(v) if isinstance(v, str) else v)


def localise_model(model: MapModel, lang: str) -> MapModel:
    """The model with its words in ``lang`` (``"en"``: the model as it is).

    Parameters
    ----------
    model
        From :func:`borderland.maps.map_model`.
    lang
        A language of :data:`borderland.report.i18n.LANGUAGES`.

    Returns
    -------
    MapModel
        A copy whose layer names, legends, tooltip labels and texts are in ``lang``; the
        classes, colours and geometries are the model's.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> from borderland import maps
    >>> regions = gpd.GeoDataFrame({"name": ["W", "E"], "country": ["AA", "BB"], "index": [0.2, 0.8]},
    ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
    ...                            crs=3035, index=pd.Index(["W", "E"], name="region_id"))
    >>> border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [10.0]},
    ...                           geometry=[shapely.LineString([(1e4, 0), (1e4, 1e4)])], crs=3035)
    >>> model = localise_model(maps.map_model(regions, border, spec=maps.MapSpec(kinds=["index"], classes=2)), "ru")
    >>> model.region_layers[0].name, [item.label for item in model.region_layers[0].legend]
    ('Индекс цифровизации', ['0,200 – 0,500 (1)', '0,500 – 0,800 (1)', 'нет данных (0)', 'квантили, 2 класса'])
    """
    if lang == "en":
        return model
    say = _translator(lang)

    def region_layer(layer: RegionLayer) -> RegionLayer:
        return dataclasses.replace(layer, name=say(layer.name), label=say(layer.label), text=_series(layer.text, say),
                                   legend=_legend(layer.legend, say))

    def feature_layer(layer: FeatureLayer) -> FeatureLayer:
        properties = tuple({key: say(value) if key not in ("country",) else value for key, value in props.items()}
                           for props in layer.properties)
        return dataclasses.replace(layer, name=say(layer.name), properties=properties,
                                   fields=tuple((say(label), key) for label, key in layer.fields),
                                   legend=_legend(layer.legend, say))

    def any_layer(layer: RegionLayer | FeatureLayer) -> RegionLayer | FeatureLayer:
        return region_layer(layer) if isinstance(layer, RegionLayer) else feature_layer(layer)

    base = tuple(any_layer(layer) for layer in model.base)
    region_layers = tuple(layer for layer in base if isinstance(layer, RegionLayer))
    tooltips = model.tooltips.copy()
    for column in tooltips.columns:
        if column not in ("region_id", "name", "country"):  # names from the data stay as they are
            tooltips[column] = _series(tooltips[column], say)
    return dataclasses.replace(
        model, base=base, region_layers=region_layers,
        overlays=tuple(feature_layer(layer) for layer in model.overlays),
        countries=feature_layer(model.countries) if model.countries is not None else None,
        fields=tuple((say(label), key) for label, key in model.fields), tooltips=tooltips,
    )
