"""Page models and renderers: describe, VoID/DCAT, SVG, templating."""
