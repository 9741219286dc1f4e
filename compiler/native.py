"""Native modules: a generated module compiled with mypyc against the native runtime.

The package build compiles the runtime core as one mypyc group in separate
mode, so that its shared library exports a table of its functions and types
(the `exports` capsule) and records that build in
`scxmlc/runtime/native_build.json`: the group's name and modules, the mypyc
version, the mypy arguments, and the sha256 of the group's header, which holds
the layout of every native class and of the export table.

A chart is compiled as a group of its own. mypyc needs the runtime's IR to
compile a subclass of `Machine`, so a workspace per installed runtime build
(in the cache directory) holds a copy of the installed runtime sources, a mypy
cache and the generated C: the first chart type-checks the runtime and
regenerates its C (which is never compiled), later charts load the runtime's
IR from the cache. Only the chart's own C is compiled. The runtime's header
regenerated in the workspace must equal the installed build's byte for byte
(its sha256 is compared), and the chart is imported once by the process that
built it before anyone else does: a chart that does not match the installed
runtime is never loaded into a host's process.

A build runs in a child process (mypy and the C compiler stay out of the
host), holding the workspace's lock (processes share the cache), and writes
the two extension files of a chart, `NAME__mypyc` (the chart's group: its
code) and `NAME` (the module's entry point), atomically. Whatever stands in
the way (a pure runtime, no mypyc, no C compiler, a build that fails) gives
the pure module and a one-line note, never an error.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "NativeUnavailable",
    "RuntimeBuild",
    "build_extension",
    "extension_files",
    "import_extension",
    "note",
    "runtime_build",
]

_SOURCE_SUFFIXES = (".py", ".pyi", ".typed", ".json")
_INTERPRETED_BASES = {"ors.OrsMachine": "scxmlc.runtime.ors.machine"}
"""Machine subclasses of the runtime that generated classes derive from, and
their modules: a chart can derive from one natively only when its module is
compiled in the core (a native class needs native bases)."""
_noted: set[str] = set()


class NativeUnavailable(Exception):
    """A native module cannot be built or loaded here; the message says why."""


@dataclass(frozen=True)
class RuntimeBuild:
    """The installed native runtime core, as its package build stamped it
    (`scxmlc.runtime.native.STAMP`)."""

    group: str
    """The mypyc group of the core; its shared library is `GROUP__mypyc`."""
    modules: tuple[str, ...]
    """The modules compiled in the group (`scxmlc.runtime.machine`, ...)."""
    mypyc: str
    """The version of mypy/mypyc that compiled it."""
    header_sha256: str | None
    """The sha256 of the group's header (`__native_<name>.h`: the layout of
    every native class and of the export table charts link against), when
    the build recorded it."""
    mypy_args: tuple[str, ...]
    """Arguments the build gave mypy besides the files (they decide the IR)."""
    opt_level: str
    """The C optimization level (`-O<level>`)."""
    package: Path
    """The directory of the installed `scxmlc` package."""
    stamp: bytes
    """The stamp's bytes, part of every cache key of a native module."""

    def header_name(self) -> str:
        """The group's header, relative to mypyc's target directory."""
        parts = self.group.split(".")
        return str(Path(*parts[:-1], f"__native_{_exported(parts[-1])}.h"))

    def identity(self) -> str:
        """A short hash of this build, of the installed runtime sources (mypy
        reads them all) and of the Python that runs: the name of the build's
        workspace and part of the names of native modules built against it."""
        found = _identities.get(self)
        if found is None:
            digest = hashlib.sha256(self.stamp)
            digest.update(f"\0{sys.version}\0{self.group}".encode())
            for path in sorted(_runtime_sources(self.package)):
                digest.update(f"\0{path.relative_to(self.package)}\0".encode())
                digest.update(path.read_bytes())
            found = _identities[self] = digest.hexdigest()[:16]
        return found


_identities: dict[RuntimeBuild, str] = {}


def _exported(name: str) -> str:
    """mypyc's C spelling of a dotted name (its `exported_name`)."""
    return name.replace("___", "___3_").replace(".", "___")


def note(reason: str) -> None:
    """Tell stderr, once per process and reason, that a pure module is used."""
    if reason not in _noted:
        _noted.add(reason)
        print(
            f"scxmlc: no native module ({reason}); the pure module is used",
            file=sys.stderr,
        )


def runtime_build() -> RuntimeBuild:
    """The installed native runtime core; raises NativeUnavailable if the
    core imported is the pure one, its build is not stamped, or mypyc is
    missing or of another version than the one that compiled the core."""
    import scxmlc.runtime
    from scxmlc.runtime import native

    if not scxmlc.runtime.NATIVE:
        raise NativeUnavailable(f"the runtime core is {native.describe()}")
    runtime = Path(str(scxmlc.runtime.__file__)).parent
    try:
        stamp = (runtime / native.STAMP).read_bytes()
    except OSError:
        stamp = b""
    recorded = native.parse_stamp(stamp.decode("utf-8", "replace"))
    if recorded is None:
        raise NativeUnavailable("the runtime core's build is not stamped")
    extra = _stamp_fields(stamp)
    build = RuntimeBuild(
        group=recorded.group,
        modules=recorded.modules,
        mypyc=recorded.mypyc,
        header_sha256=extra.get("header"),
        mypy_args=tuple(extra.get("mypy_args", "").split()),
        opt_level=extra.get("opt_level", "3"),
        package=runtime.parent,
        stamp=stamp,
    )
    installed = _mypyc_version()
    if installed != build.mypyc:
        have = "no mypyc" if installed is None else f"mypyc {installed}"
        raise NativeUnavailable(
            f"the core was built by mypyc {build.mypyc}, {have} here"
        )
    if recorded.python != sys.implementation.cache_tag:
        raise NativeUnavailable(f"the core was built for {recorded.python}")
    library = sys.modules.get(f"{build.group}__mypyc")
    if library is None or not hasattr(library, "exports"):
        raise NativeUnavailable("the runtime core exports no table to link against")
    return build


def _stamp_fields(stamp: bytes) -> dict[str, str]:
    """The `key=value` lines of a stamp."""
    fields: dict[str, str] = {}
    for line in stamp.decode("utf-8", "replace").splitlines():
        key, equals, value = line.partition("=")
        if equals:
            fields[key.strip()] = value.strip()
    return fields


def _mypyc_version() -> str | None:
    """The installed mypy's version (mypyc comes with it), None without mypyc."""
    if importlib.util.find_spec("mypyc") is None:
        return None
    from importlib.metadata import version

    return version("mypy")


def extension_files(module_name: str, directory: Path) -> tuple[Path, Path]:
    """The two files of native module `module_name` in `directory`: the
    chart's group library and the module's entry point."""
    suffix = str(sysconfig.get_config_var("EXT_SUFFIX"))
    return (
        directory / f"{module_name}__mypyc{suffix}",
        directory / f"{module_name}{suffix}",
    )


def import_extension(module_name: str, directory: Path) -> ModuleType:
    """Import native module `module_name` from its two files in `directory`
    (registered in sys.modules; the directory need not be on sys.path)."""
    library_path, module_path = extension_files(module_name, directory)
    _import_file(f"{module_name}__mypyc", library_path)
    return _import_file(module_name, module_path)


def _import_file(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {name} from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def build_extension(
    source: str, module_name: str, output: Path, build: RuntimeBuild
) -> tuple[Path, Path]:
    """Compile generated module `source` as native module `module_name`
    against `build`, writing its two files into `output` (in a child process);
    raises NativeUnavailable with the reason when it cannot."""
    if shutil.which(_compiler_command()) is None:
        raise NativeUnavailable(f"no C compiler ({_compiler_command()})")
    if module_name in sys.stdlib_module_names or module_name == "scxmlc":
        raise NativeUnavailable(f"the module name {module_name!r} is taken")
    for base, module in _INTERPRETED_BASES.items():
        if f"({base}):" in source and module not in build.modules:
            raise NativeUnavailable(f"{base} is not compiled in the runtime core")
    files = extension_files(module_name, output)
    workspace = _workspace(build)
    workspace.mkdir(parents=True, exist_ok=True)
    chart = workspace / "charts" / f"{module_name}.{os.getpid()}.py"
    chart.parent.mkdir(exist_ok=True)
    chart.write_text(source, encoding="utf-8")
    try:
        _run_child(chart, module_name, output, workspace)
    finally:
        chart.unlink(missing_ok=True)
    if not all(path.exists() for path in files):
        raise NativeUnavailable("the build wrote no extension")
    return files


def _compiler_command() -> str:
    """The C compiler Python's extensions are built with (`$CC`, else sysconfig's)."""
    configured = os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")
    return configured.split()[0]


def _workspace(build: RuntimeBuild) -> Path:
    from .loader import cache_dir

    return cache_dir() / "native" / build.identity()


def _run_child(chart: Path, module_name: str, output: Path, workspace: Path) -> None:
    """Run this module's `main` in a child process; raise NativeUnavailable
    with its last line of error when it fails (or dies).

    The child finds `scxmlc` where this process did (its folder is appended
    to the child's path, the current directory is not on it), and refuses to
    build when the runtime it imports is another build than the workspace's."""
    import scxmlc

    root = str(Path(str(scxmlc.__file__)).parent.parent)
    bootstrap = (
        f"import sys; sys.path.append({root!r}); "
        "from scxmlc.compiler.native import main; sys.exit(main())"
    )
    command = [sys.executable, "-P", "-c", bootstrap]
    command += [str(chart), module_name, str(output.resolve()), str(workspace)]
    done = subprocess.run(
        command, cwd=workspace, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise NativeUnavailable(f"the build failed: {why}")


# -- the child process ------------------------------------------------------


@contextmanager
def _locked(workspace: Path) -> Iterator[None]:
    """Hold the workspace's lock (one build at a time uses its mypy cache)."""
    with open(workspace / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _runtime_sources(package: Path) -> list[Path]:
    """The installed `scxmlc/__init__` and runtime files mypy reads."""
    found = [package / "__init__.py", package / "py.typed"]
    found += [
        path
        for path in (package / "runtime").rglob("*")
        if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts
    ]
    return [path for path in found if path.is_file()]


def _stage(build: RuntimeBuild, source_root: Path) -> None:
    """Copy the installed runtime sources to `source_root/scxmlc` (once)."""
    done = source_root / ".staged"
    if done.exists():
        return
    for path in _runtime_sources(build.package):
        target = source_root / "scxmlc" / path.relative_to(build.package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    done.touch()


def _generate(build: RuntimeBuild, workspace: Path, module_name: str) -> list[Any]:
    """Generate C for the runtime group (cached) and the chart's group; the
    setuptools extensions of the chart. Runs in `workspace/src`.

    Every staged runtime module is a source and mypy follows no other `.py`
    (stubs and the standard library it still reads): the runtime's IR then
    depends on the runtime alone, and the first build of a workspace
    type-checks in seconds instead of checking every installed package."""
    from mypyc.build import mypycify

    core = [_module_path(m) for m in build.modules]
    others = sorted(
        str(path)
        for path in Path("scxmlc").rglob("*.py")
        if str(path) not in core and "__pycache__" not in path.parts
    )
    chart = f"{module_name}.py"
    arguments = [*core, *others, chart, *build.mypy_args, "--follow-imports=skip"]
    arguments += ["--cache-dir", str(workspace / "mypy_cache")]
    with redirect_stdout(sys.stderr):
        extensions = mypycify(
            arguments,
            only_compile_paths=[*core, chart],
            separate=[(core, build.group), ([chart], module_name)],
            opt_level=build.opt_level,
            debug_level="0",
            target_dir=str(workspace / "c"),
            include_runtime_files=False,
        )
    return [e for e in extensions if e.name.split("__mypyc")[0] == module_name]


def _module_path(module: str) -> str:
    """The relative path of the source of `module` (`a.b` -> `a/b.py`)."""
    return str(Path(*module.split("."))) + ".py"


def _check_header(build: RuntimeBuild, workspace: Path) -> None:
    """Refuse a runtime group regenerated unlike the installed one."""
    header = workspace / "c" / build.header_name()
    if not header.exists():
        raise NativeUnavailable("mypyc wrote no header for the runtime core")
    found = hashlib.sha256(header.read_bytes()).hexdigest()
    if build.header_sha256 is not None and found != build.header_sha256:
        raise NativeUnavailable(
            "the runtime's sources do not regenerate its installed build"
        )


def _compile(extensions: list[Any], workspace: Path, into: Path) -> None:
    """Compile and link the chart's extensions into `into`. mypyc's own C
    runtime (lib-rt), which every group links in, is compiled once per
    workspace and linked from there."""
    setuptools: Any = importlib.import_module("setuptools")

    for extension in extensions:
        runtime = [s for s in extension.sources if _is_runtime_c(s, workspace)]
        if runtime:
            extension.sources = [s for s in extension.sources if s not in runtime]
            extension.extra_objects = _runtime_objects(runtime, extension, workspace)
    distribution = setuptools.Distribution(
        {"name": "scxmlc-chart", "ext_modules": extensions}
    )
    command: Any = distribution.get_command_obj("build_ext")
    command.build_lib = str(into)
    command.build_temp = str(workspace / "objects")
    with redirect_stdout(sys.stderr):
        distribution.run_command("build_ext")


def _is_runtime_c(source: str, workspace: Path) -> bool:
    """Whether `source` is mypyc's C runtime copied into the target directory."""
    from mypyc.build import include_dir

    try:
        relative = Path(source).relative_to(workspace / "c")
    except ValueError:
        return False
    return (Path(include_dir()) / relative).is_file()


def _runtime_objects(sources: list[str], extension: Any, workspace: Path) -> list[str]:
    """The object files of mypyc's C runtime `sources`, compiled with
    `extension`'s flags the first time they are asked for."""
    ccompiler: Any = importlib.import_module("setuptools._distutils.ccompiler")
    configure: Any = importlib.import_module("setuptools._distutils.sysconfig")
    flags = [*extension.extra_compile_args, "-fPIC"]
    directory = workspace / "runtime-objects"
    digest = hashlib.sha256(" ".join(flags).encode()).hexdigest()[:12]
    objects = [directory / digest / (Path(s).stem + ".o") for s in sources]
    missing = [s for s, o in zip(sources, objects) if not o.exists()]
    if missing:
        compiler: Any = ccompiler.new_compiler()
        configure.customize_compiler(compiler)
        scratch = directory / f"tmp.{os.getpid()}"
        built = compiler.compile(
            missing,
            output_dir=str(scratch),
            include_dirs=[*extension.include_dirs, sysconfig.get_paths()["include"]],
            extra_postargs=flags,
        )
        (directory / digest).mkdir(parents=True, exist_ok=True)
        for source, made in zip(missing, built):
            Path(made).replace(directory / digest / (Path(source).stem + ".o"))
        shutil.rmtree(scratch, ignore_errors=True)
    return [str(o) for o in objects]


def _build_here(chart: Path, module_name: str, output: Path, workspace: Path) -> None:
    """Build native module `module_name` from file `chart` (the child's work)."""
    build = runtime_build()
    if build.identity() != workspace.name:
        raise NativeUnavailable("the build process imports another scxmlc runtime")
    with _locked(workspace):
        source_root = workspace / "src"
        _stage(build, source_root)
        shutil.copyfile(chart, source_root / f"{module_name}.py")
        scratch = workspace / f"out.{os.getpid()}"
        cwd = os.getcwd()
        os.chdir(source_root)
        try:
            extensions = _generate(build, workspace, module_name)
            _check_header(build, workspace)
            _compile(extensions, workspace, scratch)
        finally:
            os.chdir(cwd)
            (source_root / f"{module_name}.py").unlink(missing_ok=True)
    import_extension(module_name, scratch)
    output.mkdir(parents=True, exist_ok=True)
    for built, target in zip(
        extension_files(module_name, scratch), extension_files(module_name, output)
    ):
        built.replace(target)
    shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m scxmlc.compiler.native CHART NAME OUTPUT WORKSPACE`: build
    one native module (what `build_extension` runs in a child process)."""
    parser = argparse.ArgumentParser(prog="scxmlc.compiler.native")
    for name in ("chart", "name", "output", "workspace"):
        parser.add_argument(name)
    args = parser.parse_args(argv)
    try:
        _build_here(
            Path(args.chart), args.name, Path(args.output), Path(args.workspace)
        )
    except NativeUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    except SystemExit as error:  # mypyc exits on errors it printed
        return error.code if isinstance(error.code, int) and error.code else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
