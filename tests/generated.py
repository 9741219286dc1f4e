"""Reading generated modules in tests by what they say, not how they are laid out."""

from __future__ import annotations

import ast


def unparsed(source: str) -> str:
    """`source` as `ast.unparse` writes it: one statement a line, single
    quotes, no comments, whatever the formatter did."""
    return ast.unparse(ast.parse(source))


def functions(source: str) -> dict[str, list[str]]:
    """Every function of `source` by name, with the names of the functions
    defined directly inside it."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            found[node.name] = [
                child.name for child in node.body if isinstance(child, ast.FunctionDef)
            ]
    return found


def methods(source: str, class_name: str) -> list[str]:
    """The names of the methods of class `class_name` in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return [m.name for m in node.body if isinstance(m, ast.FunctionDef)]
    raise AssertionError(f"no class {class_name}")
