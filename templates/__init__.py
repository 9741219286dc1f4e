"""jinja2 templates of generated modules (package data of scxmlc.compiler)."""
