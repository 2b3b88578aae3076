"""The HTML builder of the report: markup only through :func:`element`, which escapes
every text child and attribute, and the page's recurring pieces (section, table)."""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Sequence


class Html(str):
    """Text that is already markup: :func:`escape` and :func:`element` pass it through."""

    __slots__ = ()


BREAK = Html("<br>")


Child = Html | str | int | float | None | Sequence["Child"]


def escape(value: object) -> Html:
    """``value`` as HTML text: ``& < > " '`` escaped, unless it is already :class:`Html`."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def element(name: str, *children: Child, **attributes: object) -> Html:
    """``<name attributes>children</name>`` with every text child and attribute value escaped.

    Attribute names lose a trailing underscore (``class_``) and turn other
    underscores into hyphens (``text_anchor``, ``data_intent``); ``None`` and
    ``False`` values are left out, ``True`` writes a bare attribute.
    """
    parts = [name]
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        parts.append(attribute if value is True else f'{attribute}="{escape(value)}"')
    return Html(f"<{' '.join(parts)}>{_children(children)}</{name}>")


def _children(children: Iterable[Child]) -> str:
    out: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | int | float):
            out.append(escape(child))
        else:
            out.append(_children(child))
    return "".join(out)


def section(anchor: str, title: str, *content: Child) -> Html:
    return element("section", element("h2", title), content, id=anchor)


def table(
    head: Sequence[str],
    rows: Sequence[Html],
    *,
    numeric: Collection[str] = (),
    class_: str | None = None,
) -> Html:
    """A table; the ``numeric`` columns' headers align right, over their numbers."""
    return element(
        "table",
        element(
            "thead",
            element("tr", [element("th", h, class_="num" if h in numeric else None) for h in head]),
        ),
        element("tbody", rows),
        class_=class_,
    )


def empty(message: str) -> Html:
    return element("p", message, class_="muted")
