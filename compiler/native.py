"""Native modules: a generated module compiled with mypyc against the native runtime.

The package build compiles the runtime core as one mypyc group,
`CORE_GROUP`, in separate mode, so that its shared library exports a table of
its functions and types (the `exports` capsule) that other groups link
against, and stamps the build (`scxmlc.runtime.native.STAMP`): mypyc's
version, the Python ABI, mypy's arguments, and the sha256 of the group's C
header, which holds the layout of every native class and of that table.

A chart is compiled as a group of its own. mypyc needs the core's IR to
compile a subclass of `Machine`, so a workspace per installed runtime (in the
cache directory, named by `RuntimeBuild.identity`) holds the runtime staged
as the package build stages it (`nativebuild.stage`), a mypy cache and the
generated C: the first build type-checks the runtime, later builds check only
the core again (see `_forget_core`) and the chart. Only the chart's C is
compiled, and mypyc's own C runtime, which every group links in, once per
workspace. The core's header regenerated in the workspace must equal the
installed one byte for byte, and the new extension is imported first by the
process that built it: one that does not match the installed core never
reaches a host's process.

A build runs in a child process (mypy and the C compiler stay out of the
host) that holds the workspace's lock (processes share the cache), and moves
the chart's two files into place when they are complete: `NAME__mypyc`, the
chart's group (its code), and `NAME`, the module. The generated module's file
is the extension's source file: tracebacks and error events read their lines
from it. Whatever stands in the way
(a pure runtime, no mypyc or another version, no C compiler, a build that
fails) gives the pure module and a one-line note, never an error.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scxmlc.runtime.native import NativeBuild

__all__ = [
    "BuildFailed",
    "NativeUnavailable",
    "RuntimeBuild",
    "build_extension",
    "extension_files",
    "import_extension",
    "module_directory",
    "note",
    "runtime_build",
]

_noted: set[str] = set()


class NativeUnavailable(Exception):
    """A native module cannot be built or loaded here; the message says why."""


class BuildFailed(NativeUnavailable):
    """mypyc or the C compiler failed on a module (or its build process died):
    building the same module against the same runtime fails again."""


@dataclass(frozen=True)
class RuntimeBuild:
    """The installed native runtime core, as its package build stamped it."""

    group: str
    """The mypyc group of the core; its shared library is `GROUP__mypyc`."""
    modules: tuple[str, ...]
    """The modules compiled in the group (`scxmlc.runtime.machine`, ...)."""
    header: str
    """The sha256 of the group's C header: the layout of every native class
    and of the export table charts link against."""
    package: Path
    """The directory of the installed `scxmlc` package."""
    stamp: bytes
    """The stamp's bytes, part of every cache key of a native module."""

    def identity(self) -> str:
        """A short hash of this build, of every installed runtime source (mypy
        reads them all) and of the Python that runs: the name of the build's
        workspace and part of the names of native modules built against it."""
        found = _identities.get(self)
        if found is None:
            digest = hashlib.sha256(self.stamp)
            digest.update(f"\0{sys.version}\0{sys.executable}".encode())
            runtime = self.package / "runtime"
            for path in sorted(runtime.rglob("*.py*")):
                if "__pycache__" not in path.parts and path.suffix in (".py", ".pyi"):
                    digest.update(f"\0{path.relative_to(runtime)}\0".encode())
                    digest.update(path.read_bytes())
            found = _identities[self] = digest.hexdigest()[:16]
        return found


_identities: dict[RuntimeBuild, str] = {}


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
    _check_stamp(recorded)
    library = sys.modules.get(native.CORE_LIBRARY)
    if library is None or not hasattr(library, "exports"):
        raise NativeUnavailable("the runtime core exports no table to link against")
    return RuntimeBuild(
        group=recorded.group,
        modules=recorded.modules,
        header=recorded.header,
        package=runtime.parent,
        stamp=stamp,
    )


def _check_stamp(recorded: NativeBuild) -> None:
    """Raise NativeUnavailable unless a chart built here can link against the
    core that `recorded` describes: the same mypyc, Python ABI, group, modules and mypy arguments.
    """
    from . import nativebuild

    installed = nativebuild.mypyc_version()
    if installed != recorded.mypyc:
        have = "no mypyc" if installed is None else f"mypyc {installed}"
        raise NativeUnavailable(
            f"the core was built by mypyc {recorded.mypyc}, {have} here"
        )
    if recorded.python != sys.implementation.cache_tag:
        raise NativeUnavailable(f"the core was built for {recorded.python}")
    expected = (nativebuild.CORE_GROUP, nativebuild.CORE_MODULES, nativebuild.MYPY_ARGS)
    if (recorded.group, recorded.modules, recorded.mypy_args) != expected:
        raise NativeUnavailable("the core was built by another version of scxmlc")


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
    """Module `name`, imported from the extension file `path` unless it is
    imported already."""
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
    source: Path, output: Path, build: RuntimeBuild, *, portable: bool = False
) -> tuple[Path, Path]:
    """Compile the generated module in file `source` (module `source.stem`)
    against `build`, writing its two files into `output` (in a child process);
    raises NativeUnavailable with the reason when it cannot (BuildFailed
    when mypyc or the C compiler failed on it).

    The extension names `source` as its source file: a traceback, and the
    `file.scxml:LINE` of an error event, read the lines of the executable
    content from it, so it must stay where it is, unchanged. With `portable`
    it names the file alone (`app.py`), which Python looks for in the folders
    of `sys.path`, as it does the extension: for a module shipped elsewhere."""
    module_name = source.stem
    if shutil.which(_compiler_command()) is None:
        raise NativeUnavailable(f"no C compiler ({_compiler_command()})")
    if module_name in sys.stdlib_module_names or module_name == "scxmlc":
        raise NativeUnavailable(f"the module name {module_name!r} is taken")
    try:
        workspace = _workspace(build).resolve()
        _run_child(source.resolve(), output.resolve(), workspace, portable)
    except OSError as error:  # the cache cannot be written, no process started
        raise NativeUnavailable(f"cannot build: {error}") from None
    files = extension_files(module_name, output)
    if not all(path.exists() for path in files):
        raise NativeUnavailable("the build wrote no extension")
    return files


def module_directory(build: RuntimeBuild) -> Path:
    """Where the loader keeps the native modules built against `build`."""
    return _workspace(build) / "modules"


def _compiler_command() -> str:
    """The C compiler Python's extensions are built with (`$CC`, else sysconfig's)."""
    configured = os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")
    return configured.split()[0]


def _workspace(build: RuntimeBuild) -> Path:
    from .loader import cache_dir

    return cache_dir() / "native" / build.identity()


def _run_child(source: Path, output: Path, workspace: Path, portable: bool) -> None:
    """Run this module's `main` in a child process; raise BuildFailed with
    what it said when it fails (or dies).

    The child finds `scxmlc` where this process did (its folder is appended
    to the child's path, the current directory is not on it), and refuses to
    build when the runtime it imports is another build than the workspace's."""
    import scxmlc

    workspace.mkdir(parents=True, exist_ok=True)
    root = str(Path(str(scxmlc.__file__)).parent.parent)
    bootstrap = (
        f"import sys; sys.path.append({root!r}); "
        "from scxmlc.compiler.native import main; sys.exit(main())"
    )
    command = [sys.executable, "-P", "-c", bootstrap]
    command += [str(source), str(output), str(workspace)]
    command += ["--portable"] if portable else []
    done = subprocess.run(
        command, cwd=workspace, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BuildFailed(f"the build failed: {_first_error(done)}")


def _first_error(done: subprocess.CompletedProcess[str]) -> str:
    """What a failed build process said: mypy's first error, else its last line."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if ": error:" in line]
    if errors:
        return errors[0]
    return lines[-1] if lines else f"exit status {done.returncode}"


# -- the child process ------------------------------------------------------


@contextmanager
def _locked(workspace: Path) -> Iterator[None]:
    """Hold the workspace's lock (one build at a time uses its mypy cache)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        raise NativeUnavailable("no file locks on this platform") from None
    with open(workspace / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stage(workspace: Path) -> list[Path]:
    """The staged runtime in `workspace/src` (staged by the first build, as
    the package build stages it); the paths of the core's modules."""
    from . import nativebuild

    source_root = workspace / "src"
    done = source_root / ".staged"
    if not done.exists():
        nativebuild.stage(source_root)
        done.touch()
    return nativebuild.core_sources(source_root)


def _generate(workspace: Path, chart: Path, module_name: str) -> list[Any]:
    """Generate C for the core's group (from the cache after the first time)
    and for the chart's group, the module `chart`; the setuptools extensions
    of the chart (its group's library and its module)."""
    from mypyc.build import mypycify

    from . import nativebuild

    core = _stage(workspace)
    arguments = nativebuild.mypy_arguments(workspace / "src", workspace)
    groups = nativebuild.core_groups(core) + [([str(chart)], module_name)]
    _forget_core(workspace)
    # The chart's folder and the staged runtime are the package bases: mypy
    # names the chart by its file alone (the module the extension defines),
    # even in a folder of a package (a package's app.py would be pkg.app).
    bases = [chart.resolve().parent, workspace / "src"]
    os.environ["MYPYPATH"] = os.pathsep.join(map(str, bases))
    with redirect_stdout(sys.stderr):
        extensions = mypycify(
            ["--no-sqlite-cache", "--explicit-package-bases", *arguments, str(chart)],
            only_compile_paths=[*map(str, core), str(chart)],
            separate=groups,
            target_dir=str(workspace / "c"),
            include_runtime_files=False,
            **nativebuild.MYPYC_OPTIONS,
        )
    return [e for e in extensions if e.name.split("__mypyc")[0] == module_name]


def _forget_core(workspace: Path) -> None:
    """Remove the core's modules from the workspace's mypy cache, so that
    mypyc builds the core's IR afresh instead of reading it from the cache.

    mypyc 2.4's IR cache gives an interpreted class of another group (the
    core's `EventData`, `AttrDict`) a native constructor, which a chart that
    creates one then calls and fails to compile. The rest of the runtime and
    the standard library stay cached: the core's interface does not change,
    so mypy checks only the core again (and the chart)."""
    from . import nativebuild

    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    cache = workspace / "mypy-cache" / version
    for module in nativebuild.CORE_MODULES:
        stem = cache.joinpath(*module.split("."))
        for path in stem.parent.glob(f"{stem.name}.*"):
            path.unlink()


def _check_header(build: RuntimeBuild, workspace: Path) -> None:
    """Refuse a core regenerated unlike the installed one (its C header,
    which the chart's C includes, differs)."""
    from . import nativebuild

    header = nativebuild.header_path(workspace / "c")
    found = hashlib.sha256(header.read_bytes()).hexdigest() if header.is_file() else ""
    if found != build.header:
        raise NativeUnavailable(
            "the runtime core regenerated from its sources differs from the installed one"
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


def _build_here(
    source: Path, output: Path, workspace: Path, portable: bool = False
) -> None:
    """Build the native module of file `source` into `output` (the child's
    work); `portable`: name the source by its file name alone, from its folder."""
    build = runtime_build()
    if build.identity() != workspace.name:
        raise NativeUnavailable("the build process imports another scxmlc runtime")
    module_name = source.stem
    scratch = workspace / f"out.{os.getpid()}"
    try:
        with _locked(workspace):
            if all(f.exists() for f in extension_files(module_name, output)):
                return  # built by another process while this one waited
            try:
                if portable:
                    os.chdir(source.parent)
                named = Path(source.name) if portable else source
                extensions = _generate(workspace, named, module_name)
                _check_header(build, workspace)
                _compile(extensions, workspace, scratch)
            finally:
                shutil.rmtree(workspace / "objects", ignore_errors=True)
        import_extension(module_name, scratch)
        output.mkdir(parents=True, exist_ok=True)
        built = extension_files(module_name, scratch)
        for made, target in zip(built, extension_files(module_name, output)):
            made.replace(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m scxmlc.compiler.native SOURCE OUTPUT WORKSPACE`: build the
    native module of one generated module (what `build_extension` runs in a
    child process)."""
    parser = argparse.ArgumentParser(prog="scxmlc.compiler.native")
    for name in ("source", "output", "workspace"):
        parser.add_argument(name)
    parser.add_argument("--portable", action="store_true")
    args = parser.parse_args(argv)
    try:
        _build_here(
            Path(args.source), Path(args.output), Path(args.workspace), args.portable
        )
    except NativeUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    except SystemExit as error:  # mypyc exits on errors it printed
        return error.code if isinstance(error.code, int) and error.code else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
