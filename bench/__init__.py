"""Benchmark suite of the Defensienota knowledge graph: ``python -m bench`` (see README.md)."""
