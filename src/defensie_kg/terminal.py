"""Query results for people at a terminal, and progress on long work.

A result table shows IRIs as prefixed names (``measure:4-2-land-tank-battalion``) with their
label beside them, and fits the terminal's width: labels and free text are shortened with "…",
an identifier is never cut. When even the identifiers of one row do not fit side by side, or
the table would have to cut most of its labels, each row becomes a block of ``name  value``
lines instead (as ``psql``'s expanded display does).
Machine formats (``--format csv`` and the others) never come here: they keep full IRIs.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from defensie_kg.namespaces import XSD, shorten

GAP = "  "
ELLIPSIS = "…"
MIN_TEXT = 12  # free text is never shortened below this many characters
KEEP = 0.5  # a table that would show less of its labels and text than this becomes records
MIN_LABEL = 8  # a label with less room than this is left out rather than shown as "N…"
_EXACT = ("integer", "decimal", "double", "float", "date", "dateTime", "gYear", "boolean")
_EXACT_TYPES = {XSD[name] for name in _EXACT} | {XSD.nonNegativeInteger, XSD.positiveInteger}


@dataclass(frozen=True)
class Cell:
    """One value: an identifier that is never cut, and text beside it that may be."""

    ident: str = ""
    text: str = ""

    @property
    def natural(self) -> int:
        return len(self.ident) + (len(GAP) if self.ident and self.text else 0) + len(self.text)

    @property
    def least(self) -> int:
        if self.ident:
            return len(self.ident)
        return min(len(self.text), MIN_TEXT)

    def render(self, width: int) -> str:
        """The cell in at most ``width`` characters (more only if the identifier needs it)."""
        if self.natural <= width:
            return self.ident + (GAP if self.ident and self.text else "") + self.text
        if self.ident:
            room = width - len(self.ident) - len(GAP)
            return self.ident + (GAP + _cut(self.text, room) if room >= MIN_LABEL else "")
        return _cut(self.text, width)


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    head = text[: width - 1]
    space = head.rfind(" ")
    if space >= width // 2:  # end at a word when that loses little
        head = head[:space]
    return head.rstrip(" ,;:(") + ELLIPSIS


def pick_label(names: Mapping[str, str], lang: str) -> str:
    """The label in ``lang``, else English, else one without a language, else any."""
    for key in (lang, "en", ""):
        if names.get(key):
            return names[key]
    return next(iter(names.values()), "")


def iris_of(doc: Mapping[str, Any]) -> set[str]:
    """Every IRI in a SPARQL JSON result."""
    bindings = doc.get("results", {}).get("bindings", [])
    return {v["value"] for row in bindings for v in row.values() if v.get("type") == "uri"}


def cells(doc: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[list[str], list[list[Cell]]]:
    """The columns and rows to show: ``?xLabel`` columns move beside their ``?x``."""
    names: list[str] = list(doc["head"]["vars"])
    bindings: list[dict[str, dict[str, str]]] = doc["results"]["bindings"]
    paired = {
        f"{n}Label": n
        for n in names
        if f"{n}Label" in names and any(b.get(n, {}).get("type") == "uri" for b in bindings)
    }
    shown = [n for n in names if n not in paired]
    rows = []
    for binding in bindings:
        row = []
        for name in shown:
            own = binding.get(f"{name}Label", {}).get("value") if f"{name}Label" in paired else None
            row.append(_cell(binding.get(name), labels, own))
        rows.append(row)
    keep = [i for i in range(len(shown)) if not _repeats_a_label(rows, i)]
    return [shown[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _repeats_a_label(rows: list[list[Cell]], column: int) -> bool:
    """True when a text column only repeats the label already beside an IRI in each row."""
    if not rows or any(row[column].ident for row in rows):
        return False
    others = [i for i in range(len(rows[0])) if i != column]
    return any(
        all(row[column].text in ("", row[i].text) and row[i].ident for row in rows) for i in others
    )


def _cell(term: dict[str, str] | None, labels: Mapping[str, str], own: str | None) -> Cell:
    if term is None:
        return Cell()
    value = term["value"]
    if term["type"] == "uri":
        label = own if own is not None else labels.get(value, "")
        ident = shorten(value)
        return Cell(ident, "" if label == ident else label)
    if term["type"] == "bnode":
        return Cell(f"_:{value}")
    if term.get("datatype") in _EXACT_TYPES:
        return Cell(value)
    return Cell(text=" ".join(value.split()))


def width() -> int:
    """Columns of the terminal (120 when it cannot be told, e.g. in a pipe)."""
    return shutil.get_terminal_size((120, 24)).columns


def table(doc: Mapping[str, Any], labels: Mapping[str, str], columns: int | None = None) -> str:
    """A SPARQL JSON result (SELECT or ASK) as text that fits ``columns`` characters."""
    if "boolean" in doc:
        return "true" if doc["boolean"] else "false"
    limit = columns or width()
    names, rows = cells(doc, labels)
    count = f"({len(rows)} rows)"
    least = [max([len(n)] + [r[i].least for r in rows]) for i, n in enumerate(names)]
    if sum(least) + len(GAP) * (len(names) - 1) > limit:
        return records(names, rows, limit) + count
    widths = _fit(
        [max([len(n)] + [r[i].natural for r in rows]) for i, n in enumerate(names)],
        least,
        limit - len(GAP) * (len(names) - 1),
    )
    if _kept(rows, widths) < KEEP:
        return records(names, rows, limit) + count
    lines = [_line(names, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line([c.render(w) for c, w in zip(r, widths, strict=True)], widths) for r in rows]
    return "\n".join(lines) + "\n" + count


def _kept(rows: list[list[Cell]], widths: list[int]) -> float:
    """The share of label and text characters a table of these widths would show."""
    total = shown = 0
    for row in rows:
        for cell, w in zip(row, widths, strict=True):
            total += len(cell.text)
            shown += max(0, min(len(cell.text), len(cell.render(w)) - len(cell.ident)))
    return shown / total if total else 1.0


def _fit(natural: list[int], least: list[int], room: int) -> list[int]:
    """Shrink the widest shrinkable column, one character at a time, until all fit."""
    widths = list(natural)
    while sum(widths) > room:
        slack = [(w - m, w, i) for i, (w, m) in enumerate(zip(widths, least, strict=True))]
        spare, _, index = max(slack)
        if spare <= 0:
            break
        widths[index] -= 1
    return widths


def _line(values: list[str], widths: list[int]) -> str:
    return GAP.join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()


def records(names: list[str], rows: list[list[Cell]], columns: int) -> str:
    """One block per row, one ``name  value`` line per bound value."""
    pad = max(len(n) for n in names)
    out = []
    for number, row in enumerate(rows, 1):
        out.append(f"-- {number} " + "-" * max(0, min(columns, 40) - len(str(number)) - 4))
        for name, cell in zip(names, row, strict=True):
            if cell.natural:
                out.append(f"{name.ljust(pad)}{GAP}{cell.render(columns - pad - len(GAP))}")
    return "\n".join(out) + ("\n" if out else "")


class Progress:
    """Progress on stderr, shown only while stdout is a terminal (nothing in a pipe or a file).

    A message that ends with "…" says what is under way: it stays on one line, rewritten in
    place with the seconds it has run, until the next message replaces it. Any other message
    (``"reasoning: 31.2 s"``) is printed as a line of its own. :meth:`step` counts
    (``[3/24] name…``); :meth:`done` clears what is under way.
    """

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self.stream = stream or sys.stderr
        self._current = ""
        self._since = time.monotonic()
        self._shown = 0
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._clear()
            if message.endswith(ELLIPSIS):
                self._current, self._since = message, time.monotonic()
                self._draw()
                self._tick()
            else:
                self._current = ""
                self.stream.write(f"  {message}\n")
                self.stream.flush()

    def step(self, number: int, total: int, message: str) -> None:
        """Say that step ``number`` of ``total`` is under way."""
        self(f"[{number}/{total}] {message.removesuffix(ELLIPSIS)}{ELLIPSIS}")

    def done(self) -> None:
        """Clear the line of what was under way."""
        if not self.enabled:
            return
        with self._lock:
            self._current = ""
            self._clear()

    def _draw(self) -> None:
        text = f"  {self._current} {time.monotonic() - self._since:.0f} s"[: width() - 1]
        self.stream.write("\r" + text)
        self.stream.flush()
        self._shown = len(text)

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def _tick(self) -> None:
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._run, daemon=True, name="progress")
            self._ticker.start()

    def _run(self) -> None:
        while True:
            time.sleep(1)
            with self._lock:
                if self._current:
                    self._draw()
