"""The HTTP face of the knowledge graph: SPARQL endpoint, named queries and pages."""
