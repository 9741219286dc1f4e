"""Benchmark harness: scxmlc against hand-written Python and peer libraries.

Run ``python bench/run.py`` from the project root; see bench/README.md.
"""
