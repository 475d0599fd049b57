"""Tiny server-side SVG: one element builder and every drawing the site shows.

No JavaScript and no layout engine: a horizontal bar chart with groups and a column graph
(the visuals), a resource's neighbourhood (resource pages) and an indented class tree (the
ontology page). The output is well-formed XML, so tests can parse it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

FONT = 11  # px, matches `svg text` in style.css
CHAR = 5.8  # average glyph width at FONT, for truncation


def el(tag: str, attrs: Mapping[str, object] | None = None, *children: str) -> str:
    """``<tag a="…">children</tag>``; attribute values are escaped, children are not."""
    parts = "".join(
        f" {k.replace('_', '-')}={quoteattr(str(v))}"
        for k, v in (attrs or {}).items()
        if v is not None
    )
    if not children:
        return f"<{tag}{parts}/>"
    return f"<{tag}{parts}>{''.join(children)}</{tag}>"


def text(value: str) -> str:
    """Escaped character data."""
    return escape(value)


def clip(value: str, width: float) -> str:
    """``value`` cut (with an ellipsis) to fit about ``width`` pixels."""
    room = max(4, int(width / CHAR))
    return value if len(value) <= room else value[: room - 1].rstrip() + "…"


def document(width: float, height: float, body: Iterable[str], label: str) -> Markup:
    """A standalone ``<svg>`` element (safe to embed in HTML)."""
    attrs: dict[str, object] = {
        "xmlns": "http://www.w3.org/2000/svg",
        "width": f"{width:.0f}",
        "height": f"{height:.0f}",
        "viewBox": f"0 0 {width:.0f} {height:.0f}",
        "role": "img",
        "aria-label": label,
        "class": "visual",
    }
    return Markup(el("svg", attrs, el("title", None, text(label)), *body))  # noqa: S704


# --- bar chart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, the amount as shown, a link and a tooltip."""

    label: str
    value: float
    shown: str
    href: str
    note: str = ""
    data: dict[str, str] = field(default_factory=dict)  # extra data-* attributes


@dataclass(frozen=True)
class BarGroup:
    title: str
    bars: Sequence[Bar]


def bar_chart(groups: Sequence[BarGroup], label: str, width: float = 960) -> Markup:
    """Horizontal bars on one linear scale, grouped under headings."""
    label_w, amount_w, row, gap = 360.0, 110.0, 24.0, 30.0
    plot_w = width - label_w - amount_w - 20
    top = max((b.value for g in groups for b in g.bars), default=1.0) or 1.0
    body: list[str] = []
    y = 10.0
    for group in groups:
        body.append(el("text", {"x": 0, "y": y + 14, "class": "group"}, text(group.title)))
        y += gap - 6
        for bar in group.bars:
            length = max(2.0, plot_w * bar.value / top)
            note = f" ({bar.note})" if bar.note else ""
            tip = el("title", None, text(f"{bar.label}: {bar.shown}{note}"))
            attrs: dict[str, object] = {"href": bar.href, "class": "bar"}
            attrs.update({f"data-{k}": v for k, v in bar.data.items()})
            body.append(
                el(
                    "a",
                    attrs,
                    tip,
                    el(
                        "text",
                        {"x": label_w - 8, "y": y + row / 2 + 4, "text-anchor": "end"},
                        text(clip(bar.label, label_w - 10)),
                    ),
                    el(
                        "rect",
                        {
                            "x": label_w,
                            "y": y + 3,
                            "width": f"{length:.1f}",
                            "height": row - 6,
                            "rx": 2,
                        },
                    ),
                    el(
                        "text",
                        {"x": label_w + length + 6, "y": y + row / 2 + 4, "class": "amount"},
                        text(bar.shown),
                    ),
                )
            )
            y += row
        y += 12
    return document(width, y + 4, body, label)


# --- column graph ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A node in a column: its IRI (key), label and link."""

    key: str
    label: str
    href: str
    column: int


@dataclass(frozen=True)
class Edge:
    """A line between two nodes; ``style`` is a CSS class (e.g. explicit / implied)."""

    source: str
    target: str
    style: str
    note: str = ""


def column_graph(
    headings: Sequence[str],
    nodes: Sequence[Node],
    edges: Sequence[Edge],
    label: str,
    column_w: float = 270,
    gap: float = 60,
) -> Markup:
    """Nodes stacked in columns (in the order given), edges as curves drawn beneath them."""
    row, box_h, head = 24.0, 18.0, 30.0
    columns: list[list[Node]] = [[] for _ in headings]
    for node in nodes:
        columns[node.column].append(node)
    tallest = max((len(c) for c in columns), default=0)
    height = head + tallest * row + 10
    place: dict[str, tuple[float, float]] = {}
    for index, members in enumerate(columns):
        x = index * (column_w + gap)
        offset = head + (tallest - len(members)) * row / 2  # centre short columns
        for position, node in enumerate(members):
            place[node.key] = (x, offset + position * row)
    body = [
        el("text", {"x": i * (column_w + gap), "y": 16, "class": "heading"}, text(h))
        for i, h in enumerate(headings)
    ]
    for edge in edges:
        if edge.source not in place or edge.target not in place:
            continue
        (x1, y1), (x2, y2) = place[edge.source], place[edge.target]
        if x1 > x2:
            (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
        start, end = (x1 + column_w, y1 + box_h / 2), (x2, y2 + box_h / 2)
        bend = (end[0] - start[0]) / 2
        path = (
            f"M{start[0]:.1f},{start[1]:.1f} C{start[0] + bend:.1f},{start[1]:.1f} "
            f"{end[0] - bend:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
        )
        body.append(
            el(
                "path",
                {
                    "d": path,
                    "class": f"edge {edge.style}",
                    "data-source": edge.source,
                    "data-target": edge.target,
                    "data-style": edge.style,
                },
                el("title", None, text(edge.note)) if edge.note else "",
            )
        )
    for node in nodes:
        x, y = place[node.key]
        body.append(
            el(
                "a",
                {"href": node.href, "class": "node", "data-iri": node.key},
                el("title", None, text(node.label)),
                el("rect", {"x": x, "y": y, "width": column_w, "height": box_h, "rx": 3}),
                el(
                    "text",
                    {"x": x + 5, "y": y + box_h / 2 + 4},
                    text(clip(node.label, column_w - 10)),
                ),
            )
        )
    width = len(headings) * (column_w + gap) - gap
    return document(width, height, body, label)


# --- a resource's neighbourhood (resource pages) ---------------------------------------------


@dataclass(frozen=True)
class Spoke:
    """One link of the neighbourhood: its label, the other end, and how it is drawn."""

    label: str
    text: str
    href: str
    inward: bool = False
    inferred: bool = False


def neighbourhood(label: str, spokes: Sequence[Spoke]) -> str:
    """The resource in the middle, its links around it (dashed when inferred)."""
    width, height, cx, cy, radius = 720, 420, 360, 210, 165
    body: list[str] = []
    for index, spoke in enumerate(spokes):
        angle = 2 * math.pi * index / max(1, len(spokes)) - math.pi / 2
        x, y = cx + radius * 1.6 * math.cos(angle), cy + radius * math.sin(angle)
        dash = "4 3" if spoke.inferred else None
        line = {"x1": cx, "y1": cy, "x2": f"{x:.0f}", "y2": f"{y:.0f}", "stroke": "#9aa5b1"}
        body.append(el("line", {**line, "stroke_dasharray": dash}))
        arrow = "←" if spoke.inward else "→"
        middle = {"x": f"{(cx + x) / 2:.0f}", "y": f"{(cy + y) / 2:.0f}", "fill": "#5b6676"}
        body.append(
            el(
                "text",
                {**middle, "text_anchor": "middle"},
                text(f"{_cut(spoke.label, 22)} {arrow}"),
            )
        )
        dot = el("circle", {"cx": f"{x:.0f}", "cy": f"{y:.0f}", "r": 5, "fill": "#154273"})
        name = el(
            "text",
            {"x": f"{x:.0f}", "y": f"{y + 16:.0f}", "text_anchor": "middle"},
            text(_cut(spoke.text, 34)),
        )
        body.append(el("a", {"href": spoke.href}, dot, name))
    centre = el("circle", {"cx": cx, "cy": cy, "r": 9, "fill": "#8a5a00"})
    title = el(
        "text",
        {"x": cx, "y": cy - 14, "text_anchor": "middle", "font_weight": "bold"},
        text(_cut(label, 48)),
    )
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {width} {height}",
        "role": "img",
        "aria-label": label,
        "class": "diagram",
    }
    return el("svg", attrs, *body, centre, title)


def _cut(value: str, size: int) -> str:
    return value if len(value) <= size else value[: size - 1] + "…"


# --- the class tree (ontology page) ----------------------------------------------------------


def tree(rows: Sequence[tuple[int, str, str]]) -> str:
    """An indented tree: one (depth, label, href) row per line, roots at the left."""
    body: list[str] = []
    for row, (depth, label, href) in enumerate(rows):
        x, y = 10 + depth * 22, 16 + row * 18
        if depth:
            path = f"M{x - 14} {y - 14} V{y - 4} H{x - 3}"
            body.append(el("path", {"d": path, "stroke": "#9aa5b1", "fill": "none"}))
        body.append(el("a", {"href": href}, el("text", {"x": x, "y": y}, text(label))))
    height = 18 * len(rows) + 10
    attrs = {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 640 {height}", "class": "tree"}
    return el("svg", attrs, *body)
