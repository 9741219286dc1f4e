"""The format cache: a rebuild writes the same module without running black."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scxmlc.compiler import compile_path, render
from scxmlc.compiler.format_cache import FormatCache

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def large_document(tmp_path: Path) -> Path:
    import compile_time

    document = tmp_path / "library.scxml"
    document.write_text(compile_time.library_document(30), encoding="utf-8")
    return document


def no_black(text: str) -> str:
    raise AssertionError("black ran on a unit the cache holds")


def forbid_black(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any call of black, on a unit or a whole module, fail the test."""
    monkeypatch.setattr(render, "_black", no_black)
    monkeypatch.setattr(render, "_black_module", no_black)


@pytest.mark.parametrize("size", ["large", "small"])
def test_a_rebuild_takes_every_unit_from_the_cache(
    size: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large module is rebuilt from its units, a small one from the whole."""
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    document = (
        large_document(tmp_path)
        if size == "large"
        else ROOT / "examples" / "agent_group_routing.scxml"
    )
    first = compile_path(document).source
    assert any((tmp_path / "cache" / "formats").rglob("*"))
    forbid_black(monkeypatch)
    assert compile_path(document).source == first


def test_the_cache_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SCXMLC_FORMAT_CACHE", "off")
    compile_path(ROOT / "examples" / "agent_group_routing.scxml")
    assert not (tmp_path / "cache" / "formats").exists()


def test_units_are_kept_per_kind_and_salt(tmp_path: Path) -> None:
    cache = FormatCache(tmp_path, "compiler-1")
    cache.put("member", "x = 1", "x = 1\n")
    assert cache.get("member", "x = 1") == "x = 1\n"
    assert cache.get("piece", "x = 1") is None
    assert FormatCache(tmp_path, "compiler-2").get("member", "x = 1") is None


def test_a_cache_that_cannot_be_written_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = large_document(tmp_path)
    monkeypatch.setenv("SCXMLC_FORMAT_CACHE", "off")
    expected = compile_path(document).source
    monkeypatch.delenv("SCXMLC_FORMAT_CACHE")
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("SCXMLC_CACHE", str(blocked))
    assert compile_path(document).source == expected
    assert blocked.read_text(encoding="utf-8") == "not a directory"
