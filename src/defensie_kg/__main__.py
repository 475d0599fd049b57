"""`python -m defensie_kg` runs the command-line interface."""

from defensie_kg.cli import main

main()
