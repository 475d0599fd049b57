"""RDF terms, the format registry and result writers: the vocabulary every layer speaks."""
