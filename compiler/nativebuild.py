"""Building the native runtime core with mypyc: staging, options, the stamp.

The package build (setup.py) compiles the runtime core (`CORE_MODULES`) into
extension modules when it can; `scxmlc.compiler.native` compiles charts
against that core. Both use what this module fixes, so the two builds agree:

- `stage(dest)` copies the runtime's sources into `dest/scxmlc/runtime/`, the
  import layout mypyc needs (it names modules after folders, while the
  repository keeps the runtime in `runtime/`), and returns the core's paths;
- `CORE_GROUP` and `core_groups` put the core in one group of its own, with a
  fixed shared library (`CORE_LIBRARY`), built for separate compilation so
  that later groups can link to it;
- `MYPYC_OPTIONS`, `MYPY_ARGS` and `mypy_arguments` are the mypyc and mypy
  settings: mypy reads every staged runtime module and nothing else;
- `build_record` and `write_stamp` record the build (mypyc version, mypy's
  arguments, hashes of the compiled sources and of the group's C header) in
  the stamp the runtime checks at import (`scxmlc.runtime.native`) and a
  build against the core checks before it links to it.

setup.py loads this file by path, before the package is importable; so it
imports only the standard library at the top, and reads the names the runtime
owns from runtime/native.py, loaded by path as well.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final, TypedDict

__all__ = [
    "CORE_GROUP",
    "CORE_LIBRARY",
    "CORE_MODULES",
    "EXTENSION_NAMES",
    "MYPYC_OPTIONS",
    "MYPY_ARGS",
    "NATIVE_ENV",
    "STAMP",
    "build_record",
    "c_compiler_problem",
    "core_extensions",
    "core_groups",
    "core_sources",
    "header_path",
    "mypy_arguments",
    "mypyc_version",
    "native_requested",
    "remove_native_core",
    "stage",
    "unavailable_reason",
    "write_stamp",
]

RUNTIME_DIR: Final = Path(__file__).resolve().parent.parent / "runtime"
"""The runtime's sources: runtime/ in the repository, scxmlc/runtime/ installed."""

NATIVE_ENV: Final = "SCXMLC_NATIVE"
"""`SCXMLC_NATIVE=0` at build time builds the pure runtime."""

MYPYC_LOWEST: Final = (2, 4)
"""The oldest mypyc the runtime is compiled with (pyproject.toml's build requires)."""


def _load_runtime_native() -> ModuleType:
    """runtime/native.py, loaded by path (it imports only the standard library)."""
    name = "_scxmlc_runtime_native"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, RUNTIME_DIR / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_NATIVE: Final = _load_runtime_native()

CORE_MODULES: Final[tuple[str, ...]] = tuple(_NATIVE.CORE_MODULES)
CORE_GROUP: Final[str] = str(_NATIVE.CORE_GROUP)
CORE_LIBRARY: Final[str] = str(_NATIVE.CORE_LIBRARY)
STAMP: Final[str] = str(_NATIVE.STAMP)

EXTENSION_NAMES: Final = (CORE_LIBRARY, *CORE_MODULES)
"""The extension modules a core build makes: the group's shared library, and a
small module per core module that loads its part of the library."""


class MypycOptions(TypedDict):
    """Keyword arguments of `mypyc.build.mypycify` besides the sources and groups."""

    opt_level: str
    debug_level: str


MYPYC_OPTIONS: Final[MypycOptions] = {"opt_level": "3", "debug_level": "1"}
"""The C compiler's -O3, and -g1: line tables for a crash's backtrace."""


def native_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the build should try to compile the core (not `SCXMLC_NATIVE=0`)."""
    return environ.get(NATIVE_ENV, "").strip() != "0"


def stage(dest: Path) -> list[Path]:
    """Copy the runtime's sources (`.py`, `.pyi`, `py.typed`) into
    `dest/scxmlc/runtime/`, beside an empty `dest/scxmlc/__init__.py`, replacing
    what `dest/scxmlc` held; return the staged paths of `CORE_MODULES`."""
    package = dest / "scxmlc"
    if package.exists():
        shutil.rmtree(package)
    runtime = package / "runtime"
    for source in sorted(RUNTIME_DIR.rglob("*")):
        if source.is_file() and _is_source(source):
            target = runtime / source.relative_to(RUNTIME_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    (package / "__init__.py").write_text('"""Staged for mypyc."""\n', encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    return core_sources(dest)


def core_sources(stage_dir: Path) -> list[Path]:
    """The `.py` files of `CORE_MODULES` in the runtime staged in `stage_dir`."""
    runtime = str(stage_dir / "scxmlc" / "runtime")
    return [Path(_NATIVE.module_source(runtime, module)) for module in CORE_MODULES]


def _is_source(path: Path) -> bool:
    return path.suffix in (".py", ".pyi") or path.name == "py.typed"


def core_groups(paths: Sequence[Path]) -> list[tuple[list[str], str | None]]:
    """mypycify's `separate` argument: the core's staged `paths` as one group,
    `CORE_GROUP`. A chart's build adds its own group after this one."""
    return [([str(path) for path in paths], CORE_GROUP)]


MYPY_ARGS: Final = ("--follow-imports=skip", "--ignore-missing-imports")
"""mypy's options for a build of or against the core, besides the files, which
are every staged runtime `.py` file: mypy reads the runtime and the standard
library's stubs, and takes every other import as untyped, so the core's IR
depends on the runtime's sources alone, whatever else is installed. (Strictness
is not asked for: it changes what mypy reports, not the types mypyc compiles,
and the project's own tests hold the runtime to `mypy --strict`.)"""


def mypy_arguments(stage_dir: Path, work_dir: Path) -> list[str]:
    """The command line mypycify gets for the runtime staged in `stage_dir`:
    `MYPY_ARGS`, the configuration file `work_dir/mypy.ini` (written here,
    empty, so that no configuration of the current folder applies), the cache
    in `work_dir/mypy-cache`, then every staged `.py` file."""
    config = work_dir / "mypy.ini"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[mypy]\n", encoding="utf-8")
    sources = sorted((stage_dir / "scxmlc").rglob("*.py"))
    return [
        *MYPY_ARGS,
        "--config-file",
        str(config),
        "--cache-dir",
        str(work_dir / "mypy-cache"),
        *map(str, sources),
    ]


def mypyc_version() -> str | None:
    """The installed mypy's (mypyc's) version, or None without mypyc."""
    if importlib.util.find_spec("mypyc") is None:
        return None
    from mypy.version import __version__

    return __version__


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("+")[0].split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def c_compiler_problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """Compile a file that includes Python.h as extensions are compiled (`$CC`,
    or the compiler Python was built with); None if that works, else why not."""
    compiler = environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    include = sysconfig.get_paths()["include"]
    with tempfile.TemporaryDirectory(prefix="scxmlc-cc-") as folder:
        probe = Path(folder) / "probe.c"
        probe.write_text("#include <Python.h>\nint scxmlc_probe(void) { return 0; }\n")
        command = [*shlex.split(compiler), "-I", include, "-c", str(probe)]
        command += ["-o", str(Path(folder) / "probe.o")]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as error:
            return f"no C compiler ({compiler}: {error.strerror})"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        detail = lines[0] if lines else f"exit status {done.returncode}"
        return f"the C compiler cannot build extensions ({compiler}: {detail})"
    return None


def unavailable_reason(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why the core cannot be compiled here (`SCXMLC_NATIVE=0`, no or too old
    mypyc, no working C compiler), or None if it can be tried."""
    if not native_requested(environ):
        return f"{NATIVE_ENV}=0"
    version = mypyc_version()
    if version is None:
        return "mypyc (mypy) is not installed"
    if _version_tuple(version) < MYPYC_LOWEST:
        lowest = ".".join(map(str, MYPYC_LOWEST))
        return f"mypyc {version} is older than {lowest}"
    return c_compiler_problem(environ)


def core_extensions(stage_dir: Path, work_dir: Path) -> list[Any]:
    """Stage the runtime in `stage_dir` and run mypyc on the core: the
    setuptools Extensions to build (the shared library first), with the C
    sources in `work_dir/c` and mypy's cache in `work_dir`. Raises (or exits)
    if mypyc fails."""
    from mypyc.build import mypycify

    paths = stage(stage_dir)
    return list(
        mypycify(
            mypy_arguments(stage_dir, work_dir),
            only_compile_paths=[str(path) for path in paths],
            separate=core_groups(paths),
            target_dir=str(work_dir / "c"),
            **MYPYC_OPTIONS,
        )
    )


def header_path(c_dir: Path) -> Path:
    """The core group's C header among the C files mypyc wrote to `c_dir`."""
    *package, last = CORE_GROUP.split(".")
    return c_dir.joinpath(*package, f"__native_{_exported_name(last)}.h")


def _exported_name(name: str) -> str:
    """mypyc's C spelling of a dotted name (mypyc.namegen.exported_name)."""
    return name.replace("___", "___3_").replace(".", "___")


def build_record(stage_dir: Path, work_dir: Path) -> str:
    """The stamp's text for the core staged in `stage_dir` and compiled by
    the installed mypyc, for this Python, into C files under `work_dir/c`."""
    runtime = str(stage_dir / "scxmlc" / "runtime")
    build = _NATIVE.NativeBuild(
        mypyc=mypyc_version() or "unknown",
        python=sys.implementation.cache_tag,
        group=CORE_GROUP,
        modules=CORE_MODULES,
        sources=_NATIVE.source_hash(runtime, CORE_MODULES),
        mypy_args=MYPY_ARGS,
        opt_level=MYPYC_OPTIONS["opt_level"],
        header=_file_hash(header_path(work_dir / "c")),
    )
    return str(_NATIVE.format_stamp(build))


def _file_hash(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes; "missing" if there is no such file."""
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_stamp(directory: Path, stage_dir: Path, work_dir: Path) -> Path:
    """Write the stamp of the build of `stage_dir` in `work_dir` (see
    `build_record`) into `directory`, the folder its extension modules were
    built into; returns the stamp's path."""
    path = directory / STAMP
    path.write_text(build_record(stage_dir, work_dir), encoding="utf-8")
    return path


def remove_native_core(directory: Path) -> list[Path]:
    """Remove a compiled core from `directory` (a runtime folder): the core's
    extension modules, its shared library and the stamp. Returns what went."""
    if not directory.is_dir():
        return []
    sources = [Path(_NATIVE.module_source(str(directory), m)) for m in CORE_MODULES]
    names = {(source.parent, source.stem) for source in sources}
    names.add((directory, CORE_LIBRARY.rpartition(".")[2]))
    removed = []
    for folder in sorted({folder for folder, _ in names}):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            stem = path.name.split(".", 1)[0]
            compiled = (folder, stem) in names and path.suffix in (".so", ".pyd")
            if compiled or (folder == directory and path.name == STAMP):
                path.unlink()
                removed.append(path)
    return removed
