"""The faceted measure browser (``/measures``): its facets, its fixed query texts, and the
page model (the selected measures and a count for every facet value).

Semantics, as in most faceted search: several values in one facet are alternatives (or),
different facets all apply (and). The count of a value is the number of measures that
match the selection in the *other* facets and have that value: for a facet without a
selection that is its number among the listed measures; in a facet with a selection it
says how many measures that value stands for.

The query texts are built once, at import, from :data:`FACETS`; they never change with a
request. A selection reaches the engine only as bound terms: every facet has
:data:`MAX_VALUES` slot variables (``?chapter_0`` … ``?chapter_9``), bound to the chosen IRIs
and, where fewer are chosen, to :data:`NO_VALUE` (slot 0 bound to it means "no filter").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from defensie_kg.namespaces import BASE, DN
from defensie_kg.web.state import AppState
from defensie_kg.web.views.templating import pick

ID = BASE + "id/"
NOTA = ID + "document/defensienota-2024"
STATUS = ID + "status/"
STATUSES = ("under-way", "decided", "planned", "being-explored", "to-be-phased-out")
MAX_VALUES = 10
NO_VALUE = "urn:x-defensie-kg:no-selection"
# A facet value as a GET parameter: an IRI under .../id/, or its short form "kind/slug".
VALUE_PATTERN = r"^(https://w3id\.org/defensienota-2024/id/)?[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$"
_VALUE = re.compile(VALUE_PATTERN)


@dataclass(frozen=True)
class Facet:
    """One dimension to filter on: a GET parameter, the path from a measure to its values."""

    name: str
    path: str  # SPARQL property path from ?measure to a value
    label_nl: str
    label_en: str
    values: str = ""  # extra pattern on ?value: which values the facet lists

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en

    @property
    def slots(self) -> list[str]:
        return [f"{self.name}_{i}" for i in range(MAX_VALUES)]

    @property
    def filter(self) -> str:
        """The facet's filter on ?measure: no filter when slot 0 holds :data:`NO_VALUE`.
        One EXISTS per slot, both ends bound: a path with an open end (``partOf?`` from a
        bound section) would make the engine walk every node of the graph."""
        exists = " ||\n    ".join(f"EXISTS {{ ?measure {self.path} ?{s} }}" for s in self.slots)
        return f"  FILTER(sameTerm(?{self.name}_0, <{NO_VALUE}>) ||\n    {exists})\n"


FACETS: tuple[Facet, ...] = (
    Facet(
        "chapter",
        "dn:sourceSection/dn:partOf?",  # dn:partOf is transitive (OWL RL closure)
        "Hoofdstuk",
        "Chapter",
        f"  ?value dn:partOf <{NOTA}> .\n"
        f"  FILTER NOT EXISTS {{ ?value dn:partOf ?up . ?up dn:partOf <{NOTA}> }}\n",
    ),
    Facet("domain", "dn:inDomain", "Domein", "Domain"),
    Facet("status", "dn:status", "Status", "Status"),
    Facet("nato", "dn:contributesTo", "NAVO-behoefte", "NATO need"),
    Facet("threat", "dn:addressesThreat", "Dreiging", "Threat"),
    Facet("place", "dn:concernsPlace", "Plaats", "Place"),
    Facet("partner", "dn:withPartner", "Partner", "Partner"),
    Facet(
        "organisation",
        "dn:carriedOutBy|dn:involvesOrganisation|dn:strengthens",
        "Organisatie",
        "Organisation",
    ),
)
BY_NAME = {f.name: f for f in FACETS}

_PREFIXES = f"PREFIX dn: <{DN}>\n"


def _filters(skip: str | None = None) -> str:
    return "".join(f.filter for f in FACETS if f.name != skip)


# The measures of the selection, with their section (and its number) and status.
LIST_QUERY = (
    _PREFIXES
    + "SELECT ?measure (SAMPLE(?s) AS ?section) (SAMPLE(?num) AS ?number) "
    + "(SAMPLE(?st) AS ?status) WHERE {\n"
    + "  ?measure a dn:Measure ; dn:sourceSection ?s .\n"
    + "  OPTIONAL { ?s dn:sectionNumber ?num }\n"
    + "  OPTIONAL { ?measure dn:status ?st }\n"
    + _filters()
    + "} GROUP BY ?measure"
)

# Per facet: its values with the number of measures that match the other facets.
COUNT_QUERIES: dict[str, str] = {
    f.name: _PREFIXES
    + "SELECT ?value (COUNT(DISTINCT ?measure) AS ?n) WHERE {\n"
    + f"  ?measure a dn:Measure ; {f.path} ?value .\n"
    + "  FILTER(isIRI(?value))\n"
    + f.values
    + _filters(skip=f.name)
    + "} GROUP BY ?value"
    for f in FACETS
}


class BadSelection(ValueError):
    """A facet value that is not an IRI under the project base (or too many values)."""


def expand(value: str) -> str:
    """A facet value as a full IRI: ``section/4`` → ``…/id/section/4``; validated."""
    if not _VALUE.match(value):
        raise BadSelection(f"not a resource of this graph: {value[:80]!r}")
    return value if value.startswith(ID) else ID + value


def short(iri: str) -> str:
    """The short form of an IRI under .../id/ as used in the page's own links."""
    return iri[len(ID) :] if iri.startswith(ID) else iri


def selection(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Facet name → chosen IRIs (validated, deduplicated, in the order given)."""
    chosen: dict[str, list[str]] = {}
    for facet in FACETS:
        values = raw.get(facet.name) or []
        if facet.name == "status":
            values = ["status/" + v for v in values if v]  # declared enumeration: slugs
        iris = list(dict.fromkeys(expand(v) for v in values if v != ""))
        if len(iris) > MAX_VALUES:
            raise BadSelection(f"at most {MAX_VALUES} values of {facet.name}")
        if iris:
            chosen[facet.name] = iris
    return chosen


def bindings(chosen: dict[str, list[str]]) -> dict[str, str]:
    """Every slot variable → a term in N-Triples syntax."""
    out: dict[str, str] = {}
    for facet in FACETS:
        iris = chosen.get(facet.name, [])
        for index, slot in enumerate(facet.slots):
            out[slot] = f"<{iris[index]}>" if index < len(iris) else f"<{NO_VALUE}>"
    return out


@dataclass
class FacetValue:
    iri: str
    label: str
    count: int
    selected: bool
    href: str  # the page with this value added to or removed from the selection


@dataclass
class FacetView:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


@dataclass
class Row:
    """One measure as the page, the CSV and the JSON show it."""

    measure: str
    label: str
    section: str
    section_label: str
    status: str
    status_label: str


@dataclass
class Page:
    lang: str
    chosen: dict[str, list[str]]
    rows: list[Row]
    facets: list[FacetView]
    query: str  # the selection as a query string (without lang)
    truncated: bool = False  # the row cap cut the list (settings.max_rows)

    def href(self, fmt: str) -> str:
        """The download of this selection, labels in the page's language (as shown)."""
        return f"/measures.{fmt}?" + query_string(self.chosen, self.lang)

    def as_json(self) -> str:
        return json.dumps(
            {
                "selection": self.chosen,
                "count": len(self.rows),
                "truncated": self.truncated,
                "measures": [asdict(r) for r in self.rows],
                "facets": {
                    f.name: [{"value": v.iri, "label": v.label, "count": v.count} for v in f.values]
                    for f in self.facets
                },
            },
            ensure_ascii=False,
            indent=1,
        )

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(list(Row.__dataclass_fields__))
        for row in self.rows:
            writer.writerow(list(asdict(row).values()))
        return out.getvalue()


def query_string(chosen: dict[str, list[str]], lang: str | None = None) -> str:
    pairs = [(name, _param(name, iri)) for name, iris in chosen.items() for iri in iris]
    if lang:
        pairs.append(("lang", lang))
    return urlencode(pairs)


def _param(name: str, iri: str) -> str:
    """A value as the page's links give it: the short form, a status by its slug."""
    return iri[len(STATUS) :] if name == "status" and iri.startswith(STATUS) else short(iri)


def _toggled(chosen: dict[str, list[str]], name: str, iri: str) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in chosen.items()}
    values = out.setdefault(name, [])
    if iri in values:
        values.remove(iri)
    else:
        values.append(iri)
    return {k: v for k, v in out.items() if v}


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split(".")) if number else ()


async def page(state: AppState, chosen: dict[str, list[str]], lang: str) -> Page:
    """The selected measures and every facet with its counts, all through the workers."""
    bound = bindings(chosen)
    listed = await state.select(LIST_QUERY, bound)
    counts = {f.name: await state.select(COUNT_QUERIES[f.name], bound) for f in FACETS}
    iris = {r[k] for r in listed for k in ("measure", "section", "status") if r.get(k)}
    iris |= {r["value"] for rows in counts.values() for r in rows}
    iris |= {iri for values in chosen.values() for iri in values}
    names = _named(state, iris)
    rows = sorted(
        (
            Row(
                r["measure"],
                pick(names.get(r["measure"], {}), lang, short(r["measure"])),
                r["section"],
                pick(names.get(r["section"], {}), lang, short(r["section"])),
                r.get("status", ""),
                pick(names.get(r.get("status", ""), {}), lang, "") if r.get("status") else "",
            )
            for r in listed
        ),
        key=lambda row: row.label.lower(),
    )
    numbers = {r["section"]: r.get("number", "") for r in listed}
    rows.sort(key=lambda row: _number_key(numbers.get(row.section, "")))
    return Page(
        lang,
        chosen,
        rows,
        [_facet(f, counts[f.name], chosen, names, lang) for f in FACETS],
        query_string(chosen),
        truncated=listed.truncated,
    )


def _facet(
    facet: Facet,
    counted: list[dict[str, str]],
    chosen: dict[str, list[str]],
    names: dict[str, dict[str, str]],
    lang: str,
) -> FacetView:
    selected = chosen.get(facet.name, [])
    numbers = {r["value"]: int(r["n"]) for r in counted}
    for iri in selected:  # a chosen value stays visible (to unselect it), even at 0
        numbers.setdefault(iri, 0)
    values = [
        FacetValue(
            iri,
            pick(names.get(iri, {}), lang, short(iri)),
            n,
            iri in selected,
            "/measures?" + query_string(_toggled(chosen, facet.name, iri), lang),
        )
        for iri, n in numbers.items()
    ]
    if facet.name == "status":
        order = {STATUS + s: i for i, s in enumerate(STATUSES)}
        values.sort(key=lambda v: (order.get(v.iri, len(order)), v.label.lower()))
    elif facet.name == "chapter":
        values.sort(key=lambda v: _chapter_key(v.label))
    else:
        values.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
    return FacetView(facet.name, facet.label(lang), values)


def _chapter_key(label: str) -> tuple[int, str]:
    head = label.split(" ", 1)[0]
    return (int(head), label) if head.isdigit() else (0, label)


def _named(state: AppState, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """Labels (a bounded lookup on the in-process graph), sections with their number."""
    graph = state.graph
    names = graph.labels(set(iris))
    for iri, labels in names.items():
        if iri.startswith(ID + "section/"):
            number = graph.first_value(iri, DN.sectionNumber)
            if number:
                names[iri] = {k: f"{number} {v}" for k, v in labels.items()}
    return names
