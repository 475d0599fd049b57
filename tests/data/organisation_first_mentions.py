"""Where the nota first names each organisation: regenerates organisation-first-mentions.json.

Run from the project root, with the source text beside the project (../shared/source):

    .venv/bin/python tests/data/organisation_first_mentions.py

The names of an organisation are its rdfs:labels and skos:altLabels in data/*.ttl (abbreviations
included). The text is cut into the parts of data/document.ttl by the line where each part starts
(SECTION_STARTS, checked against the line's words), lines are joined, and a hyphen that splits a
lower-case word at a line end is removed. A name matches as a whole word, a hyphen in it being
optional; one-word abbreviations with two or more capitals (NAVO, KMar, EZ) match with their
case, other names without. The first match in the
text gives the section. tests/test_first_mentions.py compares the graph with the output, so the
check runs without the source text.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "source" / "defensienota-2024.txt"
OUTPUT = ROOT / "tests" / "data" / "organisation-first-mentions.json"
DN = Namespace("https://w3id.org/defensienota-2024/def/")
SECTION = "https://w3id.org/defensienota-2024/id/section/"

# (first line of the part in the source text, 1-based; words that line starts with; section slug)
SECTION_STARTS: list[tuple[int, str, str]] = [
    (1, "Wij voelen als minister", "foreword"),
    (41, "FOCUS", "focus"),
    (119, "STERK", "focus-sterk"),
    (165, "SLIM", "focus-slim"),
    (198, "SAMEN", "focus-samen"),
    (226, "VOORWAARTS", "focus-voorwaarts"),
    (248, "Samenva", "summary-diagram"),
    (397, "Defensie staat voor grote uitdagingen", "1"),
    (404, "1.1", "1-1"),
    (693, "SCENARIO", "1-1-scenarios"),
    (862, "1.2", "1-2"),
    (942, "1.3", "1-3"),
    (987, "Noord-Europa", "regional-overview"),
    (1029, "2.1", "2-1"),
    (1101, "2.2", "2-2"),
    (1259, "3. KOERS VOOR VERSTERKING", "3"),
    (1273, "3.1", "3-1"),
    (1382, "3.2", "3-2"),
    (1462, "3.3", "3-3"),
    (1506, "3.4", "3-4"),
    (1644, "SECFUND", "box-secfund"),
    (1669, "BITS", "box-bits"),
    (1711, "3.5", "3-5"),
    (1800, "DATA SCIENCE CENTER", "box-data-science-coe"),
    (1823, "3.6", "3-6"),
    (1939, "3.7", "3-7"),
    (1998, "De krijgsmacht moet de juiste gevechtskracht", "4"),
    (2035, "4.1", "4-1"),
    (2100, "4.2", "4-2"),
    (2116, "Land", "4-2-land"),
    (2165, "Maritiem", "4-2-maritime"),
    (2203, "Lucht", "4-2-air"),
    (2230, "Cyber", "4-2-cyber"),
    (2256, "IN HET VELD LEREN WERKEN", "box-unmanned-systems"),
    (2288, "4.3", "4-3"),
    (2455, "4.4", "4-4"),
    (2541, "Om sterker te worden", "5"),
    (2567, "5.1", "5-1"),
    (2687, "5.2", "5-2"),
    (2763, "5.3", "5-3"),
    (2842, "Om slagvaardig te zijn", "6"),
    (2855, "6.1", "6-1"),
    (2914, "6.2", "6-2"),
    (2974, "NEDERLANDSE CV90", "box-cv90"),
    (2996, "6.3", "6-3"),
    (3039, "MAINTENANCE VALLEYS", "box-maintenance-valleys"),
    (3062, "6.4", "6-4"),
    (3090, "6.5", "6-5"),
    (3138, "Randvoorwaarden voor de groei", "7"),
    (3147, "7.1", "7-1"),
    (3197, "7.2", "7-2"),
    (3253, "7.3", "7-3"),
    (3318, "7.4", "7-4"),
    (3362, "7.5", "7-5"),
    (3501, "7.6", "7-6"),
    (3623, "8. BIJLAGE", "8"),
    (3627, "8.1", "8-1"),
    (3641, "Doelen", "8-1-goals"),
    (3708, "Beleidsinstrumenten", "8-1-policy-instruments"),
    (3798, "Financiële gevolgen", "8-1-financial-consequences"),
    (3815, "Gevolgen voor maatschappelijke", "8-1-societal-effects"),
    (3854, "Nagestreefde doeltreffendheid", "8-1-effectiveness"),
    (3911, "Nagestreefde doelmatigheid", "8-1-efficiency"),
    (3957, "Evaluatieparagraaf", "8-1-evaluation"),
    (3983, "Afkortingen", "abbreviations"),
]


def organisations(root: Path) -> dict[str, list[str]]:
    """Every dn:Organisation (by its class or a subclass) with its labels and altLabels."""
    graph = Graph()
    graph.parse(root / "ontology" / "defensie.ttl")
    for path in sorted((root / "data").glob("*.ttl")):
        graph.parse(path)
    classes = set(graph.transitive_subjects(RDFS.subClassOf, DN.Organisation))
    found: dict[str, list[str]] = {}
    for cls in classes:
        for org in graph.subjects(RDF.type, cls):
            if isinstance(org, URIRef) and str(org).startswith(
                "https://w3id.org/defensienota-2024/id/"
            ):
                names = {str(n) for p in (RDFS.label, SKOS.altLabel) for n in graph.objects(org, p)}
                found[str(org)] = sorted(names)
    return found


def _text_with_offsets(lines: list[str]) -> tuple[str, list[int]]:
    """The lines joined into one string, and the offset where each line starts."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for i, line in enumerate(lines):
        line = line.rstrip("\n").rstrip()
        nxt = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        if re.search(r"[a-zà-ÿ]-$", line) and nxt[:1].islower():
            line = line[:-1]
            sep = ""
        else:
            sep = " "
        starts.append(pos)
        parts.append(line + sep)
        pos += len(line) + len(sep)
    return "".join(parts), starts


def _pattern(name: str) -> re.Pattern[str]:
    # a hyphen in a name may be missing in the text ("F35-squadrons"); spaces may be line breaks
    words = [re.escape(w).replace(r"\-", "-?") for w in name.split()]
    body = r"\s+".join(words)
    abbreviation = " " not in name and len(re.findall(r"[A-Z]", name)) >= 2
    flags = 0 if abbreviation else re.IGNORECASE
    return re.compile(r"(?<![\w])" + body + r"(?![\w])", flags)


def first_mentions(root: Path, source: Path) -> dict[str, object]:
    lines = source.read_text(encoding="utf-8").splitlines()
    for number, words, slug in SECTION_STARTS:
        assert lines[number - 1].strip().startswith(words), (number, words, slug, lines[number - 1])
    text, starts = _text_with_offsets(lines)

    def section_at(offset: int) -> tuple[str, int]:
        line = max(i for i, s in enumerate(starts) if s <= offset) + 1
        slug = [s for n, _, s in SECTION_STARTS if n <= line][-1]
        return SECTION + slug, line

    result: dict[str, object] = {}
    for org, names in sorted(organisations(root).items()):
        best: tuple[int, str] | None = None
        for name in names:
            if len(name) < 2:
                continue
            match = _pattern(name).search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), name)
        if best is None:
            result[org] = None
            continue
        section, line = section_at(best[0])
        result[org] = {"section": section, "line": line, "name": best[1]}
    return result


def main() -> int:
    if not SOURCE.exists():
        print(f"source text not found: {SOURCE}", file=sys.stderr)
        return 1
    data = first_mentions(ROOT, SOURCE)
    OUTPUT.write_text(
        json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"{OUTPUT.relative_to(ROOT)}: {len(data)} organisations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
