"""The build pipeline: Turtle files -> parse -> OWL RL closure -> SHACL validation -> cache."""
