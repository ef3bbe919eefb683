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
   them (the header's ``_children``);
5. **rendered text kept as text** -- folium's ``MacroElement.render`` wraps each macro's output
   (a layer's script, with its features) in a new ``Element``, which compiles that text as a
   Jinja template: a tenth of a second per page spent lexing the data, and text from the data
   that looked like Jinja (``{{ ... }}`` in a region's name) would be run as a template. Our
   elements (:func:`template_element`, :func:`template_layer`) render the way folium does but
   keep each output as a :func:`text` element, which the page holds as it is; so do the
   inlined Leaflet and the layer control (:func:`layer_control`), whose output holds the layers'
   names, text from the data; folium's other elements on our pages (the map, its panes, the
   bounds, the tile layer) write no text from the data.

If folium grows public ways to do these, this module is what changes.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from branca.element import Element, Figure

__all__ = ["RenderedPage", "layer_control", "number_elements", "render_parts", "template_element", "template_layer",
           "text"]

#: Jinja's line breaks (its lexer's ``newline_re``).
_NEWLINE = re.compile(r"\r\n|\r|\n")


@functools.cache
def _template(text: str) -> Any:
    """A compiled template, shared by every element drawn from the same text (rendering does not change it)."""
    from folium.template import Template

    return Template(text)


def _as_rendered(value: str) -> str:
    r"""What Jinja renders from a text without template syntax: line breaks as ``\n``, a final one dropped.

    The page stays byte for byte what it was when folium compiled every text as a template.
    """
    lines = _NEWLINE.split(value)
    if lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


@functools.cache
def _classes() -> tuple[type, type, type, type]:
    """The element classes (defined once folium is imported): text, macro element, layer, layer control."""
    from branca.element import Element, Figure, MacroElement
    from folium.elements import ElementAddToElement
    from folium.map import Layer, LayerControl

    class Text(Element):
        """Text the page holds as it is: rendering it is reading it (no template is compiled)."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self._name = "Text"
            self.text = _as_rendered(value)

        def render(self, **kwargs: Any) -> str:
            return str(self.text)

    def render_macros(element: Any, kwargs: dict[str, Any]) -> None:
        # MacroElement.render (branca 0.8), each macro's output kept as text rather than compiled
        figure = element.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("an element is rendered only inside a figure")
        module = element._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(Text(macro(element, kwargs)), name=element.get_name())
        for child in element._children.values():
            child.render(**kwargs)

    class Macro(MacroElement):
        # branca types Element.render as returning text; a macro renders into the figure, as folium's do
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]
            render_macros(self, kwargs)

    class TemplateLayer(Layer):
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]
            # Layer.render (folium 0.20): a shown layer adds itself to its parent (no class includes here)
            if self.show and self._parent is not None:
                self.add_child(ElementAddToElement(element_name=self.get_name(),
                                                   element_parent_name=self._parent.get_name()),
                               name=self.get_name() + "_add")
            render_macros(self, kwargs)

    class TextLayerControl(LayerControl):
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]
            # LayerControl.render (folium 0.20): the parent's layers listed by name, then rendered as text
            if self._parent is None:
                raise TypeError("a layer control is rendered only inside a map")
            self.reset()
            for item in self._parent._children.values():
                if isinstance(item, Layer) and item.control:
                    (self.overlays if item.overlay else self.base_layers)[item.layer_name] = item.get_name()
            render_macros(self, kwargs)

    return Text, Macro, TemplateLayer, TextLayerControl


def text(value: str) -> Any:
    """A branca ``Element`` that renders as ``value``, whatever it holds (nothing in it is read as Jinja)."""
    return _classes()[0](value)


def template_element(name: str, template: str, **attributes: Any) -> Any:
    """A folium ``MacroElement`` named ``name``, rendered from ``template`` (Jinja text).

    The template's macros read ``this.<attribute>`` for every keyword attribute given; what
    they render is kept as text (point 5 above).
    """
    element = _classes()[1]()
    element._name = name
    element._template = _template(template)
    for key, value in attributes.items():
        setattr(element, key, value)
    return element


def template_layer(name: str, template: str, *, layer_name: str, overlay: bool, show: bool,
                   **attributes: Any) -> Any:
    """A folium ``Layer`` (listed by the layer control as ``layer_name``) rendered from ``template``."""
    layer = _classes()[2](name=layer_name, overlay=overlay, control=True, show=show)
    layer._name = name
    layer._template = _template(template)
    for key, value in attributes.items():
        setattr(layer, key, value)
    return layer


def layer_control(*, collapsed: bool) -> Any:
    """Folium's ``LayerControl``, its output (the layers' names) kept as text (point 5 above)."""
    return _classes()[3](collapsed=collapsed)


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
