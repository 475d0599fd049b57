"""The query layer: the read-only store, guards, named queries, the killable worker pool."""
