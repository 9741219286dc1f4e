"""`scxmlc new DIR --kind composer|python`: start a project from a template.

A template is the folder `new/<kind>/` of the package `scxmlc.templates`
(`templates/new/` in the repository). Every file of it is written to DIR at
the same relative path; a file whose name ends in `.j2` is rendered by jinja2
first (with `project`, DIR's name, and `version`, scxmlc's) and written without
the suffix. DIR may not exist yet or be an empty folder: nothing is ever
overwritten.

- `composer`: an ECMAScript application in the shape Genesys Composer
  generates: a main document (`src-gen/IPD_default_RoutingWorkflow.scxml`,
  `profile="ecmascript"`) that includes a JavaScript library by XInclude and the
  Routing workflow by `resolveid`, the workflow (`src-gen/Routing.scxml`, its
  targets written with `$$_MY_PREFIX_$$`), and `include/routing.js`.
- `python`: one document in the python datamodel (`routing.scxml`), which
  `scxmlc check` type-checks with mypy.

Both have a scenario for the simulated contact center
(`scenarios/routed.yaml`), a pytest test that runs it (`tests/test_routing.py`),
a `pyproject.toml` that points pytest at `tests/`, and a README.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Final

__all__ = ["KINDS", "Kind", "ProjectError", "command_new", "create_project"]


@dataclass(frozen=True)
class Kind:
    """A kind of project: what it is, and the document a scenario runs."""

    description: str
    application: str
    documents: str


KINDS: Final = {
    "composer": Kind(
        description="a Composer-shaped ECMAScript application",
        application="src-gen/IPD_default_RoutingWorkflow.scxml",
        documents="src-gen/*.scxml",
    ),
    "python": Kind(
        description="a python-datamodel application",
        application="routing.scxml",
        documents="routing.scxml",
    ),
}

SKIPPED: Final = frozenset({"__pycache__", ".pytest_cache"})
"""Names in a template folder that are never copied (left by running its test
in place)."""


class ProjectError(Exception):
    """A project that cannot be created here; the message says why."""


def _template(kind: str) -> Traversable:
    return files("scxmlc.templates").joinpath("new", kind)


def _files(
    folder: Traversable, prefix: PurePosixPath
) -> list[tuple[PurePosixPath, Traversable]]:
    """Every file under `folder`, by its path relative to the template, sorted."""
    found: list[tuple[PurePosixPath, Traversable]] = []
    for entry in folder.iterdir():
        if entry.name in SKIPPED or entry.name.endswith(".pyc"):
            continue
        relative = prefix / entry.name
        if entry.is_dir():
            found += _files(entry, relative)
        else:
            found.append((relative, entry))
    return sorted(found, key=lambda item: item[0])


def _render(text: str, values: dict[str, str]) -> str:
    import jinja2

    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    return environment.from_string(text).render(values)


def _check_target(directory: Path) -> None:
    """Refuse a `directory` that is a file or a folder with anything in it."""
    if directory.exists() and not directory.is_dir():
        raise ProjectError(f"{directory}: not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise ProjectError(f"{directory}: not empty; nothing was written")


def create_project(directory: Path, kind: str) -> list[Path]:
    """Write a project of `kind` (a key of `KINDS`) into `directory`, which
    must not exist or be empty; the files written, in order."""
    if kind not in KINDS:
        raise ProjectError(f"no kind of project {kind!r}: {', '.join(KINDS)}")
    _check_target(directory)
    values = {
        "project": directory.resolve().name,
        "version": version("scxmlc"),
        "application": KINDS[kind].application,
        "documents": KINDS[kind].documents,
    }
    written: list[Path] = []
    for relative, source in _files(_template(kind), PurePosixPath()):
        text = source.read_text(encoding="utf-8")
        if relative.suffix == ".j2":
            relative = relative.with_suffix("")
            text = _render(text, values)
        target = directory.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def next_steps(directory: Path, kind: str) -> list[str]:
    """The commands that check, run, draw and test a new project of `kind`."""
    application = KINDS[kind].application
    return [
        f"cd {directory}",
        f"scxmlc check {KINDS[kind].documents}",
        f"scxmlc run {application} --scenario scenarios/routed.yaml",
        f"scxmlc graph {application} -o routing.svg",
        "python -m pytest",
    ]


def command_new(directory: str, kind: str) -> int:
    """`scxmlc new`: write the project, list its files and what to run next; 1
    (and a message on stderr) if the project cannot be created there."""
    target = Path(directory)
    try:
        written = create_project(target, kind)
    except (ProjectError, OSError) as error:
        print(f"scxmlc new: {error}", file=sys.stderr)
        return 1
    print(f"created {KINDS[kind].description} in {target}:")
    for path in written:
        print(f"  {path}")
    print("next:")
    for step in next_steps(target, kind):
        print(f"  {step}")
    return 0
