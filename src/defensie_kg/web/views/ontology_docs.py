"""The ontology's documentation page (``/def``), generated from the ontology graph."""

from __future__ import annotations

from typing import Any

from defensie_kg import __version__
from defensie_kg.namespaces import BASE, DN, ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES
from defensie_kg.web.state import AppState
from defensie_kg.web.views import svg
from defensie_kg.web.views.templating import local, pick

VERSION_PATH = f"def/{__version__}"


_PROLOGUE = f"""PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dn: <{DN}>
"""
# Constant texts: the page language is never part of a query (labels and definitions
# in both languages come back; the page picks one).
TERMS_QUERY = (
    _PROLOGUE
    + f"""SELECT ?s ?kind WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?s a ?kind FILTER(STRSTARTS(STR(?s), STR(dn:))) }}
}}"""
)
SUPERS_QUERY = (
    _PROLOGUE
    + f"""SELECT ?s ?super WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?s rdfs:subClassOf ?super FILTER(STRSTARTS(STR(?s), STR(dn:))) }}
}}"""
)
DEFINITIONS_QUERY = (
    _PROLOGUE
    + f"""SELECT ?s ?d (LANG(?d) AS ?lang) WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?s skos:definition ?d }}
}}"""
)


async def context(state: AppState, lang: str) -> dict[str, Any]:
    """Classes and properties with labels, definitions and parents; the hierarchy as SVG.

    Its queries run in the query workers (time limit, row cap), as every page's do."""
    rows = await state.select(TERMS_QUERY)
    supers = await state.select(SUPERS_QUERY)
    definitions: dict[str, dict[str, str]] = {}
    for row in await state.select(DEFINITIONS_QUERY):
        definitions.setdefault(row["s"], {})[row.get("lang", "")] = row["d"]
    text = {iri: pick(found, lang, "") for iri, found in definitions.items()}
    names = state.graph.labels({r["s"] for r in rows} | {r["super"] for r in supers})
    parents: dict[str, list[str]] = {}
    for row in supers:
        parents.setdefault(row["s"], []).append(row["super"])

    def entry(iri: str) -> dict[str, object]:
        return {
            "iri": iri,
            "href": local(iri),
            "label": pick(names.get(iri, {}), lang, iri),
            "definition": text.get(iri, ""),
            "parents": [(local(p), pick(names.get(p, {}), lang, p)) for p in parents.get(iri, [])],
        }

    kinds: dict[str, list[dict[str, object]]] = {"class": [], "object": [], "datatype": []}
    for row in rows:
        kind = {
            "http://www.w3.org/2002/07/owl#Class": "class",
            "http://www.w3.org/2002/07/owl#ObjectProperty": "object",
            "http://www.w3.org/2002/07/owl#DatatypeProperty": "datatype",
        }.get(row["kind"])
        if kind:
            kinds[kind].append(entry(row["s"]))
    for entries in kinds.values():
        entries.sort(key=lambda e: str(e["label"]).lower())
    return {
        "ontology_iri": ONTOLOGY_IRI,
        "version_iri": BASE + VERSION_PATH,
        "version_path": VERSION_PATH,
        "kinds": kinds,
        "prefixes": PREFIXES,
        "tree": _class_tree_svg(kinds["class"]),
    }


def _class_tree_svg(classes: list[dict[str, object]]) -> str:
    """An indented class hierarchy as SVG (roots at the left)."""
    children: dict[str, list[dict[str, object]]] = {}
    known = {str(c["href"]) for c in classes}
    roots = []
    for cls in classes:
        local_parents = [href for href, _ in cls["parents"] if href in known]  # type: ignore[attr-defined]
        if local_parents:
            for href in local_parents[:1]:
                children.setdefault(href, []).append(cls)
        else:
            roots.append(cls)
    lines: list[tuple[int, dict[str, object]]] = []

    def walk(node: dict[str, object], depth: int) -> None:
        lines.append((depth, node))
        for child in sorted(children.get(str(node["href"]), []), key=lambda c: str(c["label"])):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return svg.tree([(depth, str(node["label"]), str(node["href"])) for depth, node in lines])
