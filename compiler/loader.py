"""`scxmlc.load`: compile a document (cached on disk) and import its module.

A cache entry is keyed on the document's path and bytes, the compiler version
and the options; it records every file the compilation read besides the
document (XIncludes, `<script src>`, `<data src>`, child documents) with the hash
of its bytes, and it is used only while all of them still hash the same: editing
`include/common.js` recompiles every document that includes it. Modules are
written to the cache directory and imported from there, so tracebacks show the
generated source with its `# file.scxml:LINE` comments. Documents that an
`<invoke srcexpr>` names at run time are compiled on demand through the same
cache. An entry also records the compilation's warnings, as they read for the
path as it was given: `scxmlc run` prints them from a current entry
(`cached_warnings`) without compiling, and otherwise compiles, prints and
hands that compilation to `load`, which uses it instead of compiling again.

With `Options(native=True)` the module is also built as a C extension against
the native runtime core (`scxmlc.compiler.native`), kept in the cache's folder
of that runtime build under the pure module's name, and imported in its place;
where it cannot be built, the pure module is imported after a one-line note.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

from scxmlc.runtime import Machine, set_document_resolver
from scxmlc.runtime.invoke import document_resolver

from . import VERSION, Compilation, compile_path, compile_text
from .diagnostics import CompileError, Diagnostic, Loc
from .reader import document_problem
from .options import Options

__all__ = ["cache_dir", "cached_warnings", "load", "load_module"]

_loaded: dict[tuple[str, str], type[Machine]] = {}
_FINGERPRINT: bytes | None = None


def cache_dir() -> Path:
    """The compiler's cache directory (`$SCXMLC_CACHE`, else ~/.cache/scxmlc)."""
    configured = os.environ.get("SCXMLC_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scxmlc"


def compiler_fingerprint() -> bytes:
    """The installed compiler and runtime (name, size, mtime of each file) and
    the formatter's version.

    Part of every cache key, so that a changed compiler never serves stale
    modules, even when its version number did not move.
    """
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import scxmlc.compiler
        import scxmlc.runtime
        import scxmlc.templates

        digest = hashlib.sha256(f"ruff {version('ruff')};".encode())
        for package in (scxmlc.compiler, scxmlc.runtime, scxmlc.templates):
            root = Path(str(package.__file__)).parent
            for path in sorted(root.rglob("*")):
                if path.suffix in (".py", ".j2"):
                    stat = path.stat()
                    digest.update(
                        f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode()
                    )
        _FINGERPRINT = digest.digest()
    return _FINGERPRINT


def _key(data: bytes, path: str, options: Options) -> str:
    digest = hashlib.sha256()
    for part in (
        VERSION.encode(),
        compiler_fingerprint(),
        options.key().encode(),
        path.encode(),
        data,
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _file_hash(path: str) -> str | None:
    """The sha256 of the bytes of the file at `path`; None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _dependencies(files: tuple[str, ...]) -> dict[str, str | None]:
    """The files a compilation read besides its document, each by its absolute
    path (a compilation of a relative path names them relative to the working
    directory) with its hash."""
    return {str(Path(path).absolute()): _file_hash(path) for path in files[1:]}


def _module_key(key: str, dependencies: dict[str, str | None]) -> str:
    """The name of the module compiled from the document of entry `key` and
    its dependencies as they are now."""
    digest = hashlib.sha256(key.encode())
    for path, hashed in sorted(dependencies.items()):
        digest.update(f"\0{path}\0{hashed}".encode())
    return digest.hexdigest()[:24]


def _import(source: str, key: str) -> ModuleType:
    name = f"scxmlc_generated_{key}"
    if name in sys.modules:
        return sys.modules[name]
    target = _source_file(source, key)
    spec = importlib.util.spec_from_file_location(name, target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _source_file(source: str, key: str) -> Path:
    """The cache's file of generated module `source` (entry `key`), written
    unless it holds `source` already."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"scxmlc_generated_{key}.py"
    if not target.exists() or target.read_text(encoding="utf-8") != source:
        _write(target, source)
    return target


def _write(target: Path, text: str) -> None:
    """Write `text` to `target` atomically (other processes share the cache)."""
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)


def _document_key(resolved: str, options: Options) -> str:
    """The cache key of the document at absolute path `resolved` as it is now."""
    return _key(Path(resolved).read_bytes(), resolved, options)


def _entry(key: str) -> Path:
    """The file of cache entry `key`."""
    return cache_dir() / f"scxmlc_entry_{key}.json"


def _current(entry: Path) -> dict[str, Any] | None:
    """The record of cache entry `entry`, if the entry exists and every file it
    depends on is unchanged."""
    try:
        record = json.loads(entry.read_text(encoding="utf-8"))
        dependencies = {str(k): v for k, v in dict(record["files"]).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(_file_hash(path) != hashed for path, hashed in dependencies.items()):
        return None
    return record if isinstance(record, dict) else None


def _cached(entry: Path) -> tuple[str, str] | None:
    """The module key and class name of cache entry `entry`, if it is current."""
    record = _current(entry)
    if record is None:
        return None
    return str(record.get("module")), str(record.get("class"))


def load_module(
    path: str | Path,
    options: Options = Options(),
    *,
    compilation: Compilation | None = None,
) -> tuple[ModuleType, str]:
    """Compile (or take from the cache) and import; the module and its main class name.

    `compilation`, when given, is the caller's `compile_path(path, options)`
    of the document as it is now: it stands in for compiling the document
    when the cache has no entry (a `ValueError` when it compiled another
    document)."""
    resolved = str(Path(path).resolve())
    if compilation is not None:
        _check_compiled(compilation, resolved)
    problem = document_problem(Path(resolved))
    if problem is not None:
        raise CompileError([Diagnostic(Loc(str(path), 0, 0), "error", problem)])
    key = _document_key(resolved, options)
    directory = cache_dir()
    entry = _entry(key)
    found = _cached(entry)
    if found is not None:
        module_key, class_name = found
        cached = directory / f"scxmlc_generated_{module_key}.py"
        if options.native and cached.exists():
            module = _native(cached)
            if module is not None:
                return module, class_name
        imported = sys.modules.get(f"scxmlc_generated_{module_key}")
        if imported is not None:
            return imported, class_name
        if cached.exists():
            return _import(cached.read_text(encoding="utf-8"), module_key), class_name
    if compilation is None:
        compilation = compile_path(resolved, options)
    dependencies = _dependencies(compilation.files)
    module_key = _module_key(key, dependencies)
    built = None
    if options.native:
        built = _native(_source_file(compilation.source, module_key))
    module = built or _import(compilation.source, module_key)
    record = {
        "module": module_key,
        "class": compilation.class_name,
        "files": dependencies,
        "named": str(path),
        "warnings": [str(warning) for warning in compilation.warnings],
    }
    _write(entry, json.dumps(record, indent=1, sort_keys=True))
    return module, compilation.class_name


def cached_warnings(path: str | Path, options: Options = Options()) -> list[str] | None:
    """The warnings of the document at `path`, as the cache recorded them when
    it compiled the document, if its entry is current (no file it depends on
    changed) and was made for `path` spelt the same way (warnings name the
    files as the path names them); None when only compiling can tell."""
    try:
        record = _current(_entry(_document_key(str(Path(path).resolve()), options)))
    except OSError:
        return None
    warnings = record.get("warnings") if record is not None else None
    if record is None or record.get("named") != str(path):
        return None
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        return None
    return warnings


def _check_compiled(compilation: Compilation, resolved: str) -> None:
    """Raise `ValueError` unless `compilation` was compiled from the document
    at `resolved` (the first of the files it read)."""
    compiled = compilation.files[0] if compilation.files else None
    if compiled is None or str(Path(compiled).resolve()) != resolved:
        raise ValueError(
            f"a compilation of {compiled or 'text'} cannot stand in for {resolved}"
        )


def _native(source: Path) -> ModuleType | None:
    """The native module built from the generated module in file `source`
    (in the cache), from the cache or built now; None, after a one-line note,
    where it cannot be built or loaded (`scxmlc.compiler.native`). It has the
    pure module's name, in a folder of the runtime build it was built for."""
    from . import native

    name = source.stem
    if name in sys.modules:
        return sys.modules[name]
    try:
        build = native.runtime_build()
        directory = native.module_directory(build)
        failed = directory / f"{name}.failed"
        if not all(f.exists() for f in native.extension_files(name, directory)):
            if failed.exists():
                raise native.NativeUnavailable(failed.read_text(encoding="utf-8"))
            try:
                native.build_extension(source, directory, build)
            except native.BuildFailed as error:  # would fail again: remembered
                directory.mkdir(parents=True, exist_ok=True)
                _write(failed, str(error))
                raise
        return native.import_extension(name, directory)
    except (native.NativeUnavailable, OSError, ImportError) as error:
        native.note(str(error))
        return None


def load(
    path: str | Path,
    options: Options = Options(),
    *,
    compilation: Compilation | None = None,
) -> type[Machine]:
    """The machine class compiled from the document at `path` (and the files it
    includes, as they are now). Unless the host installed a document resolver
    of its own (as `scxmlc serve` does), documents its sessions invoke at run
    time (`srcexpr`, `<content expr>`) are compiled from any path or text,
    with `options`: `load` is for trusted documents.

    `compilation`, the caller's `compile_path(path, options)` of the document
    as it is now, spares compiling it again on a cache miss (`load_module`)."""
    module, class_name = load_module(path, options, compilation=compilation)
    found = _loaded.get((module.__name__, class_name))
    if found is None:
        found = getattr(module, class_name)
        assert isinstance(found, type) and issubclass(found, Machine)
        _locate(module, Path(path).resolve())
        _loaded[(module.__name__, class_name)] = found
        if isinstance(document_resolver(), (_Resolver, type(None))):
            set_document_resolver(_Resolver(options))
    return found


def _locate(module: ModuleType, path: Path) -> None:
    """Tell the machine classes of `module` (the document's, its inline
    children's) the file they were loaded from: `__GetDocumentURL()`, and the
    base of the URIs they name at run time."""
    location = path.as_uri()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Machine):
            value._document_location = location


class _Resolver:
    """Compiles documents named by `<invoke srcexpr>` or given by `<content expr>`."""

    def __init__(self, options: Options) -> None:
        self.options = options

    def load(self, uri: str, base: str) -> type[Machine]:
        path = uri[len("file:") :] if uri.startswith("file:") else uri
        candidate = Path(path)
        if not candidate.is_absolute() and base:
            candidate = Path(base).parent / candidate
        return load(candidate, self.options)

    def compile_text(self, text: str, base: str) -> type[Machine]:
        compilation = compile_text(text, base or "<content>.scxml", self.options)
        key = _key(text.encode(), base, self.options)
        module = _import(compilation.source, key)
        if base and Path(base).is_absolute():
            _locate(module, Path(base))
        cls = getattr(module, compilation.class_name)
        assert isinstance(cls, type) and issubclass(cls, Machine)
        return cls
