"""Detect descriptions copied from the nota, without keeping the nota's text.

The repository may not hold the source text, so we keep only hashes of its
8-word runs. Both sides are normalised the same way: case and accents
folded, punctuation dropped, and each run reduced to its letters and digits
joined together. Joining makes a run immune to words the PDF extraction
split ("krijgs macht") or glued ("NAVOverdragsgebied"): for every source
position we hash the spans of 8 to 8 + ``MAX_SPLITS`` tokens, so a literal
run whose words were split in the source still hits.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

RUN_WORDS = 8
MAX_SPLITS = 3
_WORD = re.compile(r"[a-z0-9]+")
_FOOTNOTE = re.compile(r"(?<=[A-Za-zÀ-ÿ.])\d{1,2}(?=\s|$)")


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens of ``text``."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return _WORD.findall(folded)


def run_hash(tokens: Iterable[str]) -> str:
    """A short stable hash of the concatenation of ``tokens``."""
    joined = "".join(tokens).encode()
    return hashlib.blake2b(joined, digest_size=6).hexdigest()


def source_hashes(source_text: str) -> set[str]:
    """Hashes of every source span that an 8-word run of a literal could match."""
    # Footnote numbers glued to words ("koers28") are not part of the prose.
    tokens = words(_FOOTNOTE.sub("", source_text))
    found: set[str] = set()
    for start in range(len(tokens)):
        for extra in range(MAX_SPLITS + 1):
            end = start + RUN_WORDS + extra
            if end > len(tokens):
                break
            found.add(run_hash(tokens[start:end]))
    return found


def literal_runs(text: str) -> Iterator[tuple[str, str]]:
    """Each 8-word run of ``text`` as (run as words, hash)."""
    tokens = words(text)
    for start in range(len(tokens) - RUN_WORDS + 1):
        run = tokens[start : start + RUN_WORDS]
        yield " ".join(run), run_hash(run)


def copied_runs(text: str, hashes: set[str]) -> list[str]:
    """The 8-word runs of ``text`` that also occur in the source."""
    return [run for run, digest in literal_runs(text) if digest in hashes]


def write_hashes(source: Path, target: Path) -> int:
    """Write the sorted run hashes of ``source`` to ``target``; return the count."""
    hashes = sorted(source_hashes(source.read_text(encoding="utf-8")))
    target.write_text("\n".join(hashes) + "\n", encoding="ascii")
    return len(hashes)


def read_hashes(path: Path) -> set[str]:
    """Read a hash file written by :func:`write_hashes`."""
    return set(path.read_text(encoding="ascii").split())
