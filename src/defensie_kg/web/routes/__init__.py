"""One module per HTTP resource; routes reach data only through defensie_kg.query."""
