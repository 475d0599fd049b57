"""What a resource page shows, computed from the store: statements with labels,
incoming links grouped by property, the source section, and a neighbourhood diagram."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from defensie_kg.namespaces import BASE, DN, INFERRED_GRAPH, shorten
from defensie_kg.query.store import KnowledgeGraph
from defensie_kg.web.state import AppState
from defensie_kg.web.views import svg
from defensie_kg.web.views.templating import local, pick

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DESCRIPTION = "http://purl.org/dc/terms/description"
DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
SOURCE = DN.sourceSection
SECTION_BASE = BASE + "id/section/"
NOTA = BASE + "id/document/defensienota-2024"
DCT = "http://purl.org/dc/terms/"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
_LANG_TEXT = {RDFS_LABEL, DESCRIPTION, DEFINITION}


@dataclass
class Value:
    """One object (or subject, for incoming links) as shown on a page."""

    text: str
    iri: str | None = None
    lang: str = ""
    datatype: str = ""
    inferred: bool = False

    @property
    def href(self) -> str | None:
        return local(self.iri) if self.iri else None


@dataclass
class Group:
    """All values of one property."""

    predicate: str
    label: str
    values: list[Value] = field(default_factory=list)

    @property
    def all_inferred(self) -> bool:
        return all(v.inferred for v in self.values)


@dataclass
class Citation:
    """How to cite the nota (as a parliamentary paper), and the part a page comes from."""

    title: str
    reference: str  # e.g. "Kamerstukken II 2023/24, 36 592, nr. 1"
    date: str  # ISO date of the minister's letter
    href: str | None  # the official publication
    part: str = ""  # the source section, numbered ("4.2 Land"), if the page has one


@dataclass
class Description:
    """Everything a resource page needs."""

    iri: str
    label: str
    types: list[Value]
    text: str
    outgoing: list[Group]
    incoming: list[Group]
    sources: list[Value]
    diagram: str
    citation: Citation | None = None


def describe(kg: KnowledgeGraph, iri: str, lang: str) -> Description:
    """The page model of ``iri`` in language ``lang``."""
    out_quads, in_quads = kg.outgoing(iri), kg.incoming(iri)
    names = _with_section_numbers(kg, kg.labels(_iris(out_quads, in_quads) | {iri}))
    label = pick(names.get(iri, {}), lang, shorten(iri))
    outgoing = _groups(out_quads, names, lang, incoming=False)
    incoming = _groups(in_quads, names, lang, incoming=True)
    by_predicate = {g.predicate: g for g in outgoing}
    types = by_predicate.pop(RDF_TYPE, Group(RDF_TYPE, "type")).values
    text = _text(by_predicate.get(DESCRIPTION) or by_predicate.get(DEFINITION), lang)
    sources = by_predicate.get(SOURCE, Group(SOURCE, "")).values
    ordered = sorted(by_predicate.values(), key=lambda g: (g.predicate != RDFS_LABEL, g.label))
    part = sources[0].text if sources and iri != NOTA else ""
    if iri.startswith(SECTION_BASE):
        part = label
    return Description(
        iri,
        label,
        types,
        text,
        ordered,
        incoming,
        sources,
        diagram(iri, label, ordered, incoming),
        citation(kg, part) if _cites_the_nota(iri, sources) else None,
    )


def _cites_the_nota(iri: str, sources: list[Value]) -> bool:
    """The nota, its sections and what is taken from it; not the other parliamentary papers
    or the dossier, which are cited by their own reference."""
    if iri == NOTA or iri.startswith(SECTION_BASE):
        return True
    return bool(sources) and not iri.startswith((BASE + "id/document/", BASE + "id/dossier/"))


def citation(kg: KnowledgeGraph, part: str = "") -> Citation | None:
    """The nota's citation from the graph (its title, Kamerstuk reference, date and official
    publication), with ``part`` the section a page is sourced to; ``None`` if the graph
    does not give the reference."""
    reference = kg.first_value(NOTA, DCT + "bibliographicCitation")
    if not reference:
        return None
    title = kg.first_value(NOTA, DCT + "title") or ""
    date = kg.first_value(NOTA, DCT + "issued") or ""
    return Citation(title, reference, date, kg.first_value(NOTA, SEE_ALSO), part)


def _with_section_numbers(
    kg: KnowledgeGraph, names: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Section labels prefixed with their number ("4.2 Land"), as readers cite them."""
    for iri, labels in names.items():
        if iri.startswith(SECTION_BASE):
            number = kg.first_value(iri, DN.sectionNumber)
            if number:
                names[iri] = {lang: f"{number} {text}" for lang, text in labels.items()}
    return names


def _iris(*quad_lists: list[ox.Quad]) -> set[str]:
    found: set[str] = set()
    for quads in quad_lists:
        for quad in quads:
            for term in (quad.subject, quad.predicate, quad.object):
                if isinstance(term, ox.NamedNode):
                    found.add(term.value)
    return found


def _groups(
    quads: list[ox.Quad], names: dict[str, dict[str, str]], lang: str, incoming: bool
) -> list[Group]:
    asserted = {
        (q.subject, q.predicate, q.object)
        for q in quads
        if q.graph_name != ox.NamedNode(INFERRED_GRAPH)
    }
    seen: set[tuple[str, str]] = set()
    groups: dict[str, Group] = {}
    for quad in quads:
        other = quad.subject if incoming else quad.object
        key = (quad.predicate.value, str(other))
        if key in seen:
            continue
        seen.add(key)
        inferred = (quad.subject, quad.predicate, quad.object) not in asserted
        predicate = quad.predicate.value
        group = groups.setdefault(
            predicate, Group(predicate, pick(names.get(predicate, {}), lang, shorten(predicate)))
        )
        group.values.append(_value(other, names, lang, inferred))
    for group in groups.values():
        group.values = _prefer_language(group, lang)
        group.values.sort(key=lambda v: (v.inferred, v.text.lower()))
    return sorted(groups.values(), key=lambda g: g.label.lower())


def _value(term: object, names: dict[str, dict[str, str]], lang: str, inferred: bool) -> Value:
    if isinstance(term, ox.NamedNode):
        return Value(
            pick(names.get(term.value, {}), lang, shorten(term.value)),
            term.value,
            inferred=inferred,
        )
    if isinstance(term, ox.Literal):
        datatype = "" if term.language else shorten(term.datatype.value)
        return Value(term.value, lang=term.language or "", datatype=datatype, inferred=inferred)
    return Value(str(term), inferred=inferred)


def _prefer_language(group: Group, lang: str) -> list[Value]:
    # Show language-tagged text in the page language when it exists in that language.
    if group.predicate not in _LANG_TEXT and not any(v.lang for v in group.values):
        return group.values
    chosen = [v for v in group.values if v.lang in (lang, "")]
    return chosen or group.values


def _text(group: Group | None, lang: str) -> str:
    if group is None:
        return ""
    return next((v.text for v in group.values if v.lang == lang), group.values[0].text)


def diagram(
    iri: str, label: str, outgoing: list[Group], incoming: list[Group], limit: int = 14
) -> str:
    """A small SVG: the resource in the middle, linked resources around it."""
    spokes: list[svg.Spoke] = []
    for groups, inward in ((outgoing, False), (incoming, True)):
        for group in groups:
            if group.predicate in (RDF_TYPE,):
                continue
            for value in group.values:
                if value.iri and len(spokes) < limit:
                    spoke = svg.Spoke(
                        group.label, value.text, value.href or "", inward, value.inferred
                    )
                    spokes.append(spoke)
    return svg.neighbourhood(label, spokes)


def counts_by_class(kg: KnowledgeGraph, classes: list[str]) -> dict[str, int]:
    """Number of instances (asserted or inferred) of each class."""
    counts: dict[str, int] = defaultdict(int)
    for cls in classes:
        subjects = {
            q.subject for q in kg.incoming(cls, limit=100000) if q.predicate.value == RDF_TYPE
        }
        counts[cls] = len(subjects)
    return counts


# The page sections of issue 15, one constant query with the page's resource bound to
# ?focus (through the workers: time limit and row cap). ?part says which section a row
# belongs to: the status of a measure and its evidence; what it summarises and what
# summarises it; the measures that answer a threat (or a narrower threat, ?via), with the
# threat link's evidence and editorial note; and what concerns a place.
SECTIONS_QUERY = f"""PREFIX dn: <{DN}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?part ?other ?value ?text ?textLang ?section ?via ?note WHERE {{
  {{ BIND("status" AS ?part)
     ?focus dn:status ?value .
     OPTIONAL {{ ?focus dn:statusEvidence ?text BIND(LANG(?text) AS ?textLang) }} }}
  UNION
  {{ BIND("summarises" AS ?part)
     ?focus dn:summarises|^dn:summarisedBy ?other .
     OPTIONAL {{ ?other dn:sourceSection ?section }} }}
  UNION
  {{ BIND("summarisedBy" AS ?part)
     ?other dn:summarises|^dn:summarisedBy ?focus .
     OPTIONAL {{ ?other dn:sourceSection ?section }} }}
  UNION
  {{ BIND("answers" AS ?part)
     ?via dn:broaderThreat* ?focus .
     ?other a dn:Measure ; dn:addressesThreat ?via .
     OPTIONAL {{ ?other dn:sourceSection ?section }}
     OPTIONAL {{ ?other dn:hasThreatLink ?link . ?link dn:answersThreat ?via .
                OPTIONAL {{ ?link dn:evidence ?value }}
                OPTIONAL {{ ?link skos:editorialNote ?note }} }} }}
  UNION
  {{ BIND("concerns" AS ?part)
     ?other dn:concernsPlace ?focus .
     OPTIONAL {{ ?other a ?value .
                VALUES ?value {{ dn:Measure dn:Threat dn:Scenario dn:Region dn:Organisation
                                dn:Programme dn:StrategicObjective dn:Place }} }}
     OPTIONAL {{ ?other dn:sourceSection ?section }} }}
  UNION
  {{ BIND("contains" AS ?part)
     ?other dn:inCountry ?focus .
     OPTIONAL {{ ?other dn:sourceSection ?section }} }}
}}"""


@dataclass
class Item:
    """One resource listed in a page section, with what qualifies it."""

    other: Value
    section: Value | None = None
    evidence: Value | None = None  # a threat link's evidence (explicit / implied)
    note: str = ""  # its editorial note
    via: Value | None = None  # the narrower threat it answers
    kind: Value | None = None  # its class (on a place page)


@dataclass
class Sections:
    """The sections of issue 15 on a resource page (empty lists when they do not apply)."""

    status: list[Value] = field(default_factory=list)
    status_evidence: list[str] = field(default_factory=list)
    summarises: list[Item] = field(default_factory=list)
    summarised_by: list[Item] = field(default_factory=list)
    answers: list[Item] = field(default_factory=list)
    concerns: list[Item] = field(default_factory=list)
    contains: list[Item] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.status, self.summarises, self.summarised_by, self.answers, self.concerns))


async def sections(state: AppState, iri: str, lang: str) -> Sections:
    """The page sections of ``iri``: one query through the workers, ``iri`` bound."""
    rows = await state.select(SECTIONS_QUERY, {"focus": f"<{iri}>"})
    terms = {r[k] for r in rows for k in ("other", "value", "section", "via") if k in r}
    names = _with_section_numbers(state.graph, state.graph.labels(terms))

    def value(key: str, row: dict[str, str]) -> Value | None:
        term = row.get(key)
        if not term:
            return None
        return Value(pick(names.get(term, {}), lang, shorten(term)), term)

    out = Sections()
    evidence: dict[str, str] = {}
    items: dict[tuple[str, str, str], Item] = {}
    for row in rows:
        part = row["part"]
        if part == "status":
            status = value("value", row)
            if status and status.iri not in {s.iri for s in out.status}:
                out.status.append(status)
            if row.get("text"):
                evidence[row["text"]] = row.get("textLang", "")
            continue
        key = (part, row["other"], row.get("via", ""))
        item = items.get(key)
        if item is None:
            item = items[key] = Item(value("other", row) or Value(row["other"]))
            getattr(out, _PARTS[part]).append(item)
        item.section = item.section or value("section", row)
        if part == "answers":
            item.evidence = item.evidence or value("value", row)
            item.note = item.note or row.get("note", "")
            if row.get("via") and row["via"] != iri:
                item.via = value("via", row)
        elif part == "concerns":
            item.kind = item.kind or value("value", row)
    in_lang = sorted(text for text, language in evidence.items() if language == lang)
    out.status_evidence = in_lang or sorted(evidence)
    for group in (out.summarises, out.summarised_by, out.answers, out.concerns, out.contains):
        group.sort(key=lambda i: (i.kind.text if i.kind else "", _order(i), i.other.text.lower()))
    return out


_PARTS = {
    "summarises": "summarises",
    "summarisedBy": "summarised_by",
    "answers": "answers",
    "concerns": "concerns",
    "contains": "contains",
}


def _order(item: Item) -> tuple[int, ...]:
    number = item.section.text.split(" ", 1)[0] if item.section else ""
    return tuple(int(p) for p in number.split(".") if p.isdigit())
