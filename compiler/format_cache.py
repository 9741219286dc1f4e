"""black's output for the pieces of generated modules, kept between compilations.

Composer bundles the same JavaScript libraries into every document of a project,
and a project is compiled again after every change: the formatted pieces of those
libraries, and of everything else that did not change, are the same each time.
The cache keeps black's output for each unit `render` formats (a member, a piece
of a long member, a group of table entries, a small module), keyed by the hash of
the unit's text, its kind, black's version and mode, and the compiler's version.
A hit is exactly what black would write again, so the cache changes how long a
compilation takes, never what it writes.

The cache lives in `formats/` of the compiler's cache directory (`$SCXMLC_CACHE`,
else `~/.cache/scxmlc`). `SCXMLC_FORMAT_CACHE=off` turns it off. Files are
written whole under a temporary name and then renamed, so concurrent compilers
share it safely.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

import black

__all__ = ["FormatCache", "cache_dir", "compiler_fingerprint", "default_cache"]


def cache_dir() -> Path:
    """The compiler's cache directory (`$SCXMLC_CACHE`, else ~/.cache/scxmlc)."""
    configured = os.environ.get("SCXMLC_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scxmlc"


def compiler_fingerprint() -> bytes:
    """The installed compiler and runtime (name, size, mtime of each file).

    Part of every cache key, so that a changed compiler never serves stale
    modules or formatted units, even when its version number did not move.
    """
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import scxmlc.compiler
        import scxmlc.runtime
        import scxmlc.templates

        digest = hashlib.sha256()
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


_FINGERPRINT: bytes | None = None


class FormatCache:
    """Formatted units of generated modules, one file each under `directory`."""

    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = f"{version('black')}\0{black.Mode()!r}\0{salt}\0"

    def get(self, kind: str, text: str) -> str | None:
        """black's output for the unit `text` of `kind`, if it was kept."""
        try:
            return self._path(kind, text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, kind: str, text: str, formatted: str) -> None:
        """Keep `formatted`, black's output for `text`; a cache that cannot be
        written is skipped."""
        path = self._path(kind, text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(formatted)
            os.replace(temporary, path)
        except OSError:
            return

    def _path(self, kind: str, text: str) -> Path:
        digest = hashlib.sha256(f"{self.salt}{kind}\0{text}".encode()).hexdigest()
        return self.directory / digest[:2] / digest[2:]


def default_cache() -> FormatCache | None:
    """The cache of this environment, or None when `SCXMLC_FORMAT_CACHE=off`."""
    if os.environ.get("SCXMLC_FORMAT_CACHE", "").lower() in ("off", "0", "no"):
        return None
    return FormatCache(cache_dir() / "formats", compiler_fingerprint().hex())
