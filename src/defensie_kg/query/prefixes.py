"""Predeclared prefixes and the one-line error for a prefix nobody declared.

Every query the store runs (endpoint, pages, CLI, named queries) may use the documented
prefixes of :data:`namespaces.PREFIXES` without ``PREFIX`` lines: the engine is given them as
its default prefixes. A query that uses a prefix declared neither in its prologue nor here gets
``unknown prefix 'zzq:'``, with the documented prefix it probably means where one is close.
"""

from __future__ import annotations

import difflib
import re

import pyoxigraph as ox

from defensie_kg.namespaces import PREFIXES
from defensie_kg.query.sparql_text import scrub

PREDECLARED: dict[str, str] = dict(PREFIXES)

# Common spellings from other datasets and guides, mapped to the prefix meant here.
_ALIASES = {
    "dc": "dcterms",
    "dct": "dcterms",
    "terms": "dcterms",
    "sdo": "schema",
    "defensie": "dn",
    "def": "dn",
    "dkg": "dn",
    "org-unit": "organisation",
    "organization": "organisation",
    "organizations": "organisation",
    "organisations": "organisation",
    "measures": "measure",
    "figures": "figure",
    "sections": "section",
    "countries": "country",
    "programmes": "programme",
    "program": "programme",
    "programs": "programme",
    "plans": "plan",
    "laws": "law",
    "materials": "materiel",
    "material": "materiel",
    "threats": "threat",
    "regions": "region",
    "places": "place",
    "topics": "topic",
    "technologies": "technology",
    "tech": "technology",
    "natolink": "nato-link",
    "nato-links": "nato-link",
    "threatlink": "threat-link",
    "threat-links": "threat-link",
    "domains": "domain",
    "place-kind": "placekind",
    "statuses": "status",
}

# A prefixed name: PN_PREFIX? ':' not preceded by a name character, a variable sigil or a
# colon, and not the ':' of an IRI scheme (IRIs are blanked out by ``scrub`` first).
_PNAME = re.compile(r"(?<![\w?$:.\-])((?:[A-Za-z][\w.\-]*)?):")
_DECLARED = re.compile(r"PREFIX\s+([\w.\-]*):", re.I)


def declared_in(text: str) -> set[str]:
    """The prefixes the query's own ``PREFIX`` lines declare."""
    return set(_DECLARED.findall(scrub(text)))


def unknown_prefixes(text: str) -> list[str]:
    """Prefixes the query uses that neither it nor :data:`PREDECLARED` declares, in order."""
    scrubbed = scrub(text)
    known = declared_in(text) | set(PREDECLARED)
    found: list[str] = []
    for match in _PNAME.finditer(scrubbed):
        name = match.group(1).rstrip(".")
        before = scrubbed[max(0, match.start() - 8) : match.start()]
        if re.search(r"PREFIX\s*$", before, re.I):
            continue  # the declaration itself
        if name not in known and name not in found:
            found.append(name)
    return found


def probable(prefix: str) -> str | None:
    """The documented prefix ``prefix`` most probably stands for, if one is close."""
    lowered = prefix.lower()
    if lowered in PREDECLARED:
        return lowered
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    close = difflib.get_close_matches(lowered, list(PREDECLARED), n=1, cutoff=0.6)
    return close[0] if close else None


def message(prefix: str) -> str:
    """``unknown prefix 'zzq:'``, plus the probable prefix when there is one (one line)."""
    text = f"unknown prefix '{prefix}:'"
    guess = probable(prefix)
    if guess is not None and guess != prefix:
        text += f" (did you mean '{guess}:' <{PREDECLARED[guess]}>?)"
    return text


def explain(text: str) -> str | None:
    """The one-line message for the first undeclared prefix in ``text``, or ``None``."""
    unknown = unknown_prefixes(text)
    return message(unknown[0]) if unknown else None


def with_prologue(text: str) -> str:
    """``text`` with ``PREFIX`` lines for the predeclared prefixes it uses but does not declare.

    For stores that cannot be given default prefixes (a remote SPARQL endpoint).
    """
    scrubbed = scrub(text)
    own = declared_in(text)
    used = {m.group(1).rstrip(".") for m in _PNAME.finditer(scrubbed)}
    missing = [p for p in PREDECLARED if p in used and p not in own]
    if not missing:
        return text
    return "".join(f"PREFIX {p}: <{PREDECLARED[p]}>\n" for p in missing) + text


SHACL = "http://www.w3.org/ns/shacl#"
_NAMESPACE = ox.NamedNode(SHACL + "namespace")
_XSD_ANY_URI = ox.NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")


def description(service: ox.NamedNode | ox.BlankNode) -> list[ox.Triple]:
    """Service-description triples: a comment and one ``sh:declare`` per predeclared prefix.

    Each declaration is ``<endpoint#prefix-{name}>`` when the service has an IRI (stable output).
    """
    out = [
        ox.Triple(
            service,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            ox.Literal(
                "Every query may use the prefixes declared here (sh:declare) without PREFIX "
                "lines; a query's own PREFIX lines take precedence.",
                language="en",
            ),
        )
    ]
    for index, (prefix, namespace) in enumerate(sorted(PREDECLARED.items())):
        node: ox.NamedNode | ox.BlankNode = (
            ox.NamedNode(f"{service.value.split('#')[0]}#prefix-{prefix}")
            if isinstance(service, ox.NamedNode)
            else ox.BlankNode(f"prefix{index}")
        )
        out += [
            ox.Triple(service, ox.NamedNode(SHACL + "declare"), node),
            ox.Triple(node, ox.NamedNode(SHACL + "prefix"), ox.Literal(prefix)),
            ox.Triple(
                node,
                ox.NamedNode(SHACL + "namespace"),
                ox.Literal(namespace, datatype=_XSD_ANY_URI),
            ),
        ]
    return out
