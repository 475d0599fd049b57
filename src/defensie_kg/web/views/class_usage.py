"""How to query a class: the properties its instances use (for ``/def/{Class}``).

Every property that applies to the class is listed: declared for the class itself
(``rdfs:domain``), inherited from a superclass, or only found in the data; each with the number
of instances that use it. The queries are fixed texts; the class is bound as a term
(``VALUES``), never spliced into the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from defensie_kg.namespaces import DN, ONTOLOGY_GRAPH, shorten
from defensie_kg.web.state import AppState
from defensie_kg.web.views.templating import local, pick

_PROLOGUE = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
)
IS_CLASS = (
    _PROLOGUE + f"SELECT ?class WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?class a owl:Class }} }}"
)
DECLARED = (
    _PROLOGUE
    + f"""SELECT DISTINCT ?property ?domain WHERE {{
  ?class rdfs:subClassOf* ?domain .
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?property rdfs:domain ?domain }}
}}"""
)
USED = (
    _PROLOGUE
    + """SELECT ?property (COUNT(DISTINCT ?instance) AS ?instances) WHERE {
  ?instance a ?class ; ?property ?value .
}
GROUP BY ?property"""
)
INSTANCES = _PROLOGUE + "SELECT (COUNT(DISTINCT ?instance) AS ?n) WHERE { ?instance a ?class }"


@dataclass
class PropertyUse:
    """One property of the class, where it comes from and how many instances use it."""

    iri: str
    href: str
    label: str
    short: str
    origin: str  # "declared", "inherited" or "data"
    via: str = ""  # the superclass that declares it (inherited), shortened
    via_href: str = ""
    instances: int = 0


@dataclass
class ClassUsage:
    """The class page's "how to query" section."""

    iri: str
    instances: int
    properties: list[PropertyUse] = field(default_factory=list)
    example: str = ""
    example_link: str = ""


async def class_usage(state: AppState, iri: str, lang: str) -> ClassUsage | None:
    """The properties used by the instances of class ``iri``, or ``None`` for a non-class.

    The queries run through :meth:`AppState.select` (the workers, with the time limit and row
    cap, like every page query), with the class bound as a term.
    """
    bound = {"class": f"<{iri}>"}
    if not await state.select(IS_CLASS, bound):
        return None
    declared = await state.select(DECLARED, bound)
    used = {r["property"]: int(r["instances"]) for r in await state.select(USED, bound)}
    total = int((await state.select(INSTANCES, bound))[0]["n"])
    origin: dict[str, tuple[str, str]] = {}
    for row in declared:
        prop, domain = row["property"], row["domain"]
        if domain == iri:
            origin[prop] = ("declared", "")
        elif origin.get(prop, ("", ""))[0] != "declared":
            origin.setdefault(prop, ("inherited", domain))
    for prop in used:
        origin.setdefault(prop, ("data", ""))
    names = state.graph.labels(set(origin) | {via for _, via in origin.values() if via})
    rows = [
        PropertyUse(
            iri=prop,
            href=local(prop),
            label=pick(names.get(prop, {}), lang, shorten(prop)),
            short=shorten(prop),
            origin=kind,
            via=shorten(via) if via else "",
            via_href=local(via) if via else "",
            instances=used.get(prop, 0),
        )
        for prop, (kind, via) in origin.items()
    ]
    order = {"declared": 0, "inherited": 1, "data": 2}
    rows.sort(key=lambda r: (-r.instances, order[r.origin], r.short))
    example = example_query(iri, [r.iri for r in rows if r.instances and r.iri.startswith(DN)])
    return ClassUsage(iri, total, rows, example, "/query?query=" + quote(example))


def example_query(iri: str, properties: list[str], optional: int = 4) -> str:
    """A SELECT over the class's instances with their most used ``dn:`` properties."""
    chosen = [p for p in properties if p not in _NOT_IN_EXAMPLE][:optional]
    lines = [
        "SELECT ?instance ?label " + " ".join(f"?{_var(p)}" for p in chosen) + " ?section WHERE {",
        f"  ?instance a {shorten(iri)} ; rdfs:label ?label .",
        '  FILTER(lang(?label) = "en")',
        "  OPTIONAL { ?instance dn:sourceSection ?section }",
    ]
    lines += [f"  OPTIONAL {{ ?instance {shorten(p)} ?{_var(p)} }}" for p in chosen]
    lines += ["}", "ORDER BY ?instance", "LIMIT 100"]
    return "\n".join(lines) + "\n"


# Derived, many-valued bookkeeping: each would multiply the example's rows.
_NOT_IN_EXAMPLE = {DN + n for n in ("sourceSection", "mentionedIn", "referredToBy", "refersTo")}


def _var(iri: str) -> str:
    name = shorten(iri).split(":", 1)[-1]
    return "".join(c if c.isalnum() else "_" for c in name)
