"""The Defensienota 2024 as a knowledge graph: build, validate, query and serve."""

__version__ = "1.0.0"
