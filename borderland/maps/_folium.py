"""The one adapter between borderland's HTML writer and folium's internals, and why it exists.

folium (0.18-0.20) builds a page from a tree of branca elements, each rendered by a Jinja
template. The HTML writer (:mod:`borderland.maps.leaflet`) needs four things folium offers no
public way to do, so they are done here, once, and nowhere else:

1. **elements from our own templates** -- folium's documented way to make a custom element is
   to subclass ``MacroElement`` and set ``_name`` (the JavaScript variable's stem) and
   ``_template``; :func:`template_element` and :func:`template_layer` (a layer the layer
   control lists) do that for a template text and keyword attributes the template reads
   (functions, not subclasses: folium is imported only when a map is written);
2. **reproducible bytes** -- every element gets a random 32-hex id when it is created
   (``_id``), which ends up in the page's variable names; :func:`number_elements` walks the
   tree (``_children``) and renumbers the ids in tree order, with a prefix for fragments, so
   the same model always gives the same page;
3. **showing a layer without folium adding it** -- ``Layer.render`` adds a randomly named
   "add to map" element on every render, so a second render would repeat it; a shown layer
   is instead added by a :func:`template_element` of its own (see ``add_layer.js.j2``);
4. **the rendered parts of a page** -- a fragment needs the page's header elements by name,
   the body and the script separately; :func:`render_parts` renders the figure and reads
   them (the header's ``_children``).

If folium grows public ways to do these, this module is what changes.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from branca.element import Element, Figure

__all__ = ["RenderedPage", "number_elements", "render_parts", "template_element", "template_layer"]


@functools.cache
def _template(text: str) -> Any:
    """A compiled template, shared by every element drawn from the same text (rendering does not change it)."""
    from folium.template import Template

    return Template(text)


def template_element(name: str, template: str, **attributes: Any) -> Any:
    """A folium ``MacroElement`` named ``name``, rendered from ``template`` (Jinja text).

    The template's macros read ``this.<attribute>`` for every keyword attribute given.
    """
    from branca.element import MacroElement

    element = MacroElement()
    element._name = name
    element._template = _template(template)
    for key, value in attributes.items():
        setattr(element, key, value)
    return element


def template_layer(name: str, template: str, *, layer_name: str, overlay: bool, show: bool,
                   **attributes: Any) -> Any:
    """A folium ``Layer`` (listed by the layer control as ``layer_name``) rendered from ``template``."""
    from folium.map import Layer

    layer = Layer(name=layer_name, overlay=overlay, control=True, show=show)
    layer._name = name
    layer._template = _template(template)
    for key, value in attributes.items():
        setattr(layer, key, value)
    return layer


def number_elements(root: Element, prefix: str = "") -> None:
    """Replace folium's random element ids by a counter in tree order (after ``prefix``).

    Children are re-keyed by their new names where they were keyed by their old ones, as
    ``add_child`` keys them.
    """
    counter = itertools.count()

    def visit(element: Element) -> None:
        element._id = f"{prefix}{next(counter)}"
        parts = [getattr(element, part) for part in ("header", "html", "script") if hasattr(element, part)]
        for part in parts:
            if hasattr(part, "_children"):
                visit(part)
        renamed: collections.OrderedDict[str, Element] = collections.OrderedDict()
        for key, child in element._children.items():
            keyed_by_name = key == child.get_name()
            visit(child)
            renamed[child.get_name() if keyed_by_name else key] = child
        element._children = renamed

    visit(root)


@dataclasses.dataclass(frozen=True)
class RenderedPage:
    """A figure rendered: the whole page, and its parts for a fragment."""

    page: str
    header: dict[str, Any]
    body: str
    script: str


def render_parts(figure: Figure) -> RenderedPage:
    """Render a figure once: the page, the header's elements by name (to render), the body and the script."""
    page = figure.render()
    return RenderedPage(page, dict(figure.header._children), figure.html.render(), figure.script.render())
