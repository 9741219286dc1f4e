"""Which runtime core is loaded: the one mypyc compiled, or its Python sources.

Building the package may compile the modules of `CORE_MODULES` with mypyc
(docs/native.md): each becomes an extension module beside its `.py` source,
all of them backed by one shared library, `CORE_LIBRARY`, and the build writes
a stamp file, `STAMP`, recording what it compiled (the mypyc version and a hash
of the sources). Python prefers an extension module to a source file of the
same name, so once built the compiled core is what imports, unless:

- `SCXMLC_PURE=1` is set when the runtime is imported: the sources are used;
- the sources changed since the build (an editable checkout, edited): the
  compiled modules are stale, the sources are used, and a `RuntimeWarning`
  says so, once.

In both cases `select_core` puts a finder before the path finder that answers
for exactly the core's modules with their `.py` files. `runtime/__init__.py`
calls it before importing any of them, and exports `core_is_native()` as
`scxmlc.runtime.NATIVE`. This module imports only the standard library: the
build loads it by path, before the package is installed.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Final

__all__ = [
    "CORE_GROUP",
    "CORE_LIBRARY",
    "CORE_MODULES",
    "PURE_ENV",
    "RUNTIME_PACKAGE",
    "STAMP",
    "NativeBuild",
    "core_is_native",
    "describe",
    "installed_build",
    "module_source",
    "pure_requested",
    "select_core",
    "source_hash",
]

CORE_MODULES: Final = (
    "scxmlc.runtime.machine",
    "scxmlc.runtime.chart",
    "scxmlc.runtime.events",
    "scxmlc.runtime.steps",
    "scxmlc.runtime.budget",
    "scxmlc.runtime.clock",
    "scxmlc.runtime.ors.machine",
    "scxmlc.runtime.js.operators",
    "scxmlc.runtime.js.record",
)
"""The modules mypyc compiles, as one group; every other runtime module stays
interpreted. The order is the order `source_hash` reads them in.
`ors.machine` holds `OrsMachine`, the base of ORS documents' classes: a chart
compiled natively needs a compiled base. `js.operators` holds JavaScript's `+`
and comparisons, which a native ECMAScript chart then calls directly;
`js.record` the base of its record of `<data>` values (a native class)."""

RUNTIME_PACKAGE: Final = "scxmlc.runtime"

CORE_GROUP: Final = "scxmlc.runtime._core"
"""mypyc's name for the group: C names derive from it, and modules compiled
later against this core (native charts) name it as the group they link to."""

CORE_LIBRARY: Final = CORE_GROUP + "__mypyc"
"""The import name of the group's shared library, an extension module
`_core__mypyc.<platform tag>.so` in the runtime's folder."""

STAMP: Final = "native-build.txt"
"""The build's record, in the runtime's folder: `key=value` lines."""

PURE_ENV: Final = "SCXMLC_PURE"

_HERE: Final = os.path.dirname(os.path.abspath(__file__))


class NativeBuild:
    """What a native build compiled, as its stamp records it.

    A plain class: a NamedTuple or a dataclass would compile code when the
    runtime is imported, which costs about a millisecond."""

    __slots__ = (
        "mypyc",
        "python",
        "group",
        "modules",
        "sources",
        "mypy_args",
        "opt_level",
        "header",
    )

    mypyc: str
    """The version of mypy (mypyc) that compiled the core."""
    python: str
    """The ABI the extensions are built for (`sys.implementation.cache_tag`)."""
    group: str
    modules: tuple[str, ...]
    sources: str
    """`source_hash` of the compiled sources."""
    mypy_args: tuple[str, ...]
    """mypy's options besides the files (every runtime `.py` file, staged)."""
    opt_level: str
    """The C compiler's optimization level (`-O<opt_level>`)."""
    header: str
    """SHA-256 of the group's C header (`__native__core.h`): the layout of the
    core's classes and of the table a module compiled against it links to."""

    def __init__(
        self,
        *,
        mypyc: str,
        python: str,
        group: str,
        modules: tuple[str, ...],
        sources: str,
        mypy_args: tuple[str, ...],
        opt_level: str,
        header: str,
    ) -> None:
        self.mypyc = mypyc
        self.python = python
        self.group = group
        self.modules = modules
        self.sources = sources
        self.mypy_args = mypy_args
        self.opt_level = opt_level
        self.header = header

    @property
    def build_id(self) -> str:
        """Names the build: a hash of every field but `header`. Two builds
        with the same id are the same compiled code."""
        lines = [value for key, value in self.fields().items() if key != "header"]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def fields(self) -> dict[str, str]:
        """Each field as the stamp writes it (a list: its items, space-separated)."""
        fields: dict[str, str] = {}
        for name in self.__slots__:
            value: str | tuple[str, ...] = getattr(self, name)
            fields[name] = value if isinstance(value, str) else " ".join(value)
        return fields

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NativeBuild) and self.fields() == other.fields()

    def __hash__(self) -> int:
        return hash(tuple(self.fields().values()))

    def __repr__(self) -> str:
        return f"NativeBuild({self.fields()!r})"


def module_source(directory: str, module: str) -> str:
    """The path of runtime module `module`'s `.py` file (`scxmlc.runtime.ors.machine`:
    `ors/machine.py`) in `directory`, the runtime's folder."""
    relative = module.removeprefix(RUNTIME_PACKAGE + ".").split(".")
    return os.path.join(directory, *relative[:-1], relative[-1] + ".py")


def source_hash(directory: str = _HERE, modules: Sequence[str] = CORE_MODULES) -> str:
    """The SHA-256 (hex) of the `.py` sources of `modules` found in `directory`
    (the runtime's folder), each with its name; "missing" if one is absent."""
    digest = hashlib.sha256()
    for module in modules:
        try:
            with open(module_source(directory, module), "rb") as source:
                content = source.read()
        except OSError:
            return "missing"
        digest.update(b"%s\0%d\0" % (module.encode(), len(content)))
        digest.update(content)
    return digest.hexdigest()


def parse_stamp(text: str) -> NativeBuild | None:
    """The build a stamp's text records; None when a field is missing."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        if equals:
            fields[key.strip()] = value.strip()
    try:
        return NativeBuild(
            mypyc=fields["mypyc"],
            python=fields["python"],
            group=fields["group"],
            modules=tuple(fields["modules"].split()),
            sources=fields["sources"],
            mypy_args=tuple(fields["mypy_args"].split()),
            opt_level=fields["opt_level"],
            header=fields["header"],
        )
    except KeyError:
        return None


def format_stamp(build: NativeBuild) -> str:
    """The text of the stamp that records `build`: its id, then its fields."""
    fields = {"build_id": build.build_id, **build.fields()}
    return "".join(f"{key}={value}\n" for key, value in fields.items())


def installed_build(directory: str = _HERE) -> NativeBuild | None:
    """The native build recorded in `directory` (the runtime's folder), or None
    when the runtime there was built pure."""
    try:
        with open(os.path.join(directory, STAMP), encoding="utf-8") as stamp:
            return parse_stamp(stamp.read())
    except OSError:
        return None


def pure_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `SCXMLC_PURE` asks for the Python sources (any value but "" and "0")."""
    return environ.get(PURE_ENV, "") not in ("", "0")


class SourceFinder:
    """A meta path finder that loads the core's modules from their `.py` files
    in one folder, whatever compiled modules lie beside them."""

    def __init__(self, directory: str, modules: Sequence[str] = CORE_MODULES) -> None:
        self.directory = directory
        self.modules = frozenset(modules)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
        /,
    ) -> importlib.machinery.ModuleSpec | None:
        """The spec of `fullname`'s source file if it is a core module, else None."""
        if fullname not in self.modules:
            return None
        source = module_source(self.directory, fullname)
        if not os.path.isfile(source):
            return None
        return importlib.util.spec_from_file_location(fullname, source)


_choice = "pure: no native build"


def select_core(directory: str = _HERE, environ: Mapping[str, str] = os.environ) -> str:
    """Decide, before the core is imported, whether its compiled modules may load;
    where they may not, install a `SourceFinder` for them. Returns the reason,
    which `describe` reports. Warns once if the compiled core is stale."""
    global _choice
    build = installed_build(directory)
    if pure_requested(environ):
        _choice = f"pure: {PURE_ENV}={environ[PURE_ENV]}"
    elif build is None:
        _choice = "pure: no native build"
        return _choice
    elif build.sources != source_hash(directory, build.modules):
        _choice = "pure: the compiled core is stale"
        warnings.warn(
            f"scxmlc.runtime: the sources in {directory} changed since its native "
            "build; using the pure Python core (rebuild the package to compile it "
            f"again, or set {PURE_ENV}=1 to choose it)",
            RuntimeWarning,
            stacklevel=2,
        )
    else:
        _choice = f"native: mypyc {build.mypyc}, build {build.build_id[:12]}"
        return _choice
    _install_finder(SourceFinder(directory))
    return _choice


def _install_finder(finder: SourceFinder) -> None:
    """Put `finder` just before the path finder (once)."""
    if any(isinstance(entry, SourceFinder) for entry in sys.meta_path):
        return
    position = len(sys.meta_path)
    for index, entry in enumerate(sys.meta_path):
        if entry is importlib.machinery.PathFinder:
            position = index
            break
    sys.meta_path.insert(position, finder)


def core_is_native(modules: Sequence[str] = CORE_MODULES) -> bool:
    """Whether every core module imported so far, and at least one, is compiled."""
    loaded = [sys.modules[name] for name in modules if name in sys.modules]
    return bool(loaded) and all(_is_extension(module) for module in loaded)


def _is_extension(module: ModuleType) -> bool:
    spec = module.__spec__
    origin = spec.origin if spec is not None else None
    return origin is not None and origin.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )


def describe() -> str:
    """One line: which core is loaded and why, e.g. "native: mypyc 2.4.1, build
    3f2a…" or "pure: SCXMLC_PURE=1"."""
    native = core_is_native()
    if native == _choice.startswith("native"):
        return _choice
    if native:
        return "native: compiled modules without a build record"
    return "pure: compiled modules recorded but not loaded"
