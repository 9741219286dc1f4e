"""`scxmlc.load`: compile a document (cached on disk) and import its module.

The cache key is the hash of the document's bytes, the compiler version and the
options, so an edited document or a new compiler recompiles. Modules are written to
the cache directory and imported from there, so tracebacks show the generated
source with its `# file.scxml:LINE` comments. Documents that an `<invoke srcexpr>`
names at run time are compiled on demand through the same cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from scxmlc.runtime import Machine, set_document_resolver

from . import VERSION, compile_path, compile_text
from .format_cache import cache_dir, compiler_fingerprint
from .options import Options

__all__ = ["cache_dir", "load", "load_module"]

_loaded: dict[tuple[str, str, str], type[Machine]] = {}


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


def _import(source: str, key: str) -> ModuleType:
    name = f"scxmlc_generated_{key}"
    if name in sys.modules:
        return sys.modules[name]
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.py"
    if not target.exists() or target.read_text(encoding="utf-8") != source:
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(source, encoding="utf-8")
        temporary.replace(target)
    spec = importlib.util.spec_from_file_location(name, target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_module(
    path: str | Path, options: Options = Options()
) -> tuple[ModuleType, str]:
    """Compile (or take from the cache) and import; the module and its main class name."""
    resolved = str(Path(path).resolve())
    data = Path(resolved).read_bytes()
    key = _key(data, resolved, options)
    directory = cache_dir()
    cached = directory / f"scxmlc_generated_{key}.py"
    marker = directory / f"scxmlc_generated_{key}.class"
    if cached.exists() and marker.exists():
        return (
            _import(cached.read_text(encoding="utf-8"), key),
            marker.read_text().strip(),
        )
    compilation = compile_path(resolved, options)
    module = _import(compilation.source, key)
    marker.write_text(compilation.class_name)
    return module, compilation.class_name


def load(path: str | Path, options: Options = Options()) -> type[Machine]:
    """The machine class compiled from the document at `path`."""
    resolved = str(Path(path).resolve())
    memo_key = (
        resolved,
        hashlib.sha256(Path(resolved).read_bytes()).hexdigest(),
        options.key(),
    )
    found = _loaded.get(memo_key)
    if found is None:
        module, class_name = load_module(resolved, options)
        found = getattr(module, class_name)
        assert isinstance(found, type) and issubclass(found, Machine)
        _loaded[memo_key] = found
        set_document_resolver(_Resolver(options))
    return found


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
        cls = getattr(module, compilation.class_name)
        assert isinstance(cls, type) and issubclass(cls, Machine)
        return cls
