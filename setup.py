"""Build hooks: the runtime core compiled with mypyc where it can be.

pyproject.toml holds the metadata and the package layout; this file adds the
native runtime core (docs/native.md). Unless `SCXMLC_NATIVE=0`, `build_ext`
stages the runtime in import layout, runs mypyc on `CORE_MODULES` as one group
and compiles it, then writes the stamp the runtime checks at import. Without
mypyc or a working C compiler, or if mypyc or the compiler fails, the package
is built pure and one line on stderr says why: the install never fails for it.
Editable installs build the extensions into runtime/ (ignored by git); every
build first removes a compiled core left there by an earlier one.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent
RUNTIME_PACKAGE = "scxmlc.runtime"


def load_nativebuild() -> ModuleType:
    """compiler/nativebuild.py, by path: the package is not importable yet."""
    spec = importlib.util.spec_from_file_location(
        "_scxmlc_nativebuild", ROOT / "compiler" / "nativebuild.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


nativebuild = load_nativebuild()


def note(message: str) -> None:
    """One line on stderr (pip shows it with -v)."""
    print(f"scxmlc: {message}", file=sys.stderr, flush=True)


class NativeDistribution(Distribution):
    """Has extension modules whenever the native core is asked for: they are
    only known once build_ext has run mypyc, which it does when it runs."""

    def has_ext_modules(self) -> bool:
        return nativebuild.native_requested() or super().has_ext_modules()


class BuildPy(build_py):
    """build_py that first removes a compiled core an earlier build left
    where this one puts the runtime (runtime/ when editable)."""

    def run(self) -> None:
        if self.editable_mode:
            target = Path(self.get_package_dir(RUNTIME_PACKAGE))
        else:
            target = Path(self.build_lib, *RUNTIME_PACKAGE.split("."))
        nativebuild.remove_native_core(target)
        if not nativebuild.native_requested():
            note(f"building the pure Python runtime: {nativebuild.NATIVE_ENV}=0")
        super().run()


class BuildNativeCore(build_ext):
    """build_ext that compiles the runtime core with mypyc, or notes why not.

    mypyc runs only when the command runs (not when other commands, such as
    egg_info, finalize it), so the extensions are first registered under
    their names with no sources, then filled in from what mypycify returns.
    """

    stamp: Path | None = None

    def finalize_options(self) -> None:
        if not self.distribution.ext_modules and nativebuild.native_requested():
            self.distribution.ext_modules = [
                Extension(name, sources=[]) for name in nativebuild.EXTENSION_NAMES
            ]
        super().finalize_options()

    def run(self) -> None:
        started = time.monotonic()
        reason = self.try_native()
        if reason is not None:
            self.remove_outputs()
            note(f"building the pure Python runtime: {reason}")
            return
        seconds = time.monotonic() - started
        version = nativebuild.mypyc_version()
        note(f"runtime core compiled by mypyc {version} in {seconds:.0f} s")

    def try_native(self) -> str | None:
        """Compile the core if it can be; None if it was, else why not."""
        try:
            reason = nativebuild.unavailable_reason()
            if reason is None:
                self.compile_core(Path(self.build_temp, "scxmlc-native").resolve())
            return reason
        except SystemExit:  # mypyc exits on a type error, printed above
            return "mypyc failed (errors above)"
        except Exception as error:  # the C compiler failed, or mypyc crashed
            return _first_line(error)

    def compile_core(self, work: Path) -> None:
        """Run mypyc on the staged core, compile it, write the stamp."""
        stage = work / "stage"
        built = {ext.name: ext for ext in nativebuild.core_extensions(stage, work)}
        if set(built) != {ext.name for ext in self.extensions}:
            raise RuntimeError(f"mypyc made other extensions: {sorted(built)}")
        for ext in self.extensions:
            vars(ext).update(vars(built[ext.name]))
        super().run()
        target = Path(self.get_ext_fullpath(nativebuild.CORE_MODULES[0])).parent
        self.stamp = nativebuild.write_stamp(target, stage, work)

    def remove_outputs(self) -> None:
        """Forget the extensions; remove what a failed build left, built or
        copied in place."""
        folders = {Path(self.build_lib, *RUNTIME_PACKAGE.split("."))}
        if self.inplace or self.editable_mode:
            build = self.get_finalized_command("build_py")
            folders.add(Path(build.get_package_dir(RUNTIME_PACKAGE)))
        for folder in folders:
            nativebuild.remove_native_core(folder)
        self.extensions = []
        self.stamp = None

    def get_outputs(self) -> list[str]:
        outputs: list[str] = super().get_outputs()
        return outputs + ([str(self.stamp)] if self.stamp else [])


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


setup(
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPy, "build_ext": BuildNativeCore},
)
