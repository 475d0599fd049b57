"""What the web app holds while it runs: the graph, the query executor, the catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

from defensie_kg.build import Build
from defensie_kg.named_queries import NamedQuery
from defensie_kg.settings import Settings
from defensie_kg.store import KnowledgeGraph, QueryRequest, QueryResult


class Executor(Protocol):
    """Anything that answers a :class:`QueryRequest`: the worker pool or a remote store."""

    def execute(self, request: QueryRequest) -> QueryResult: ...

    def close(self) -> None: ...


@dataclass
class AppState:
    """Everything the routes need, loaded once at start-up."""

    settings: Settings
    build: Build
    graph: KnowledgeGraph  # in-process copy for pages and counts (bounded lookups only)
    executor: Executor  # runs client queries, with the time limit
    queries: dict[str, NamedQuery]
    graph_sizes: dict[str, int] = field(default_factory=dict)

    def select(self, query: str) -> list[dict[str, str]]:
        """Rows of a SELECT on the in-process graph, values as strings (for pages)."""
        request = QueryRequest(query, format="json", max_rows=100000)
        doc = json.loads(self.graph.execute(request).body)
        return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
