"""The snapshot format (`scxmlc.runtime.snapshot`): plain data, cycles and
shared references keep their shape; what has no value goes by reference;
nothing is found by import, on saving or on loading."""

from __future__ import annotations

import collections
import io
import os
import pickle
import sys
from types import ModuleType
from typing import Any

import pytest

from scxmlc.runtime.snapshot import (
    LoadContext,
    SaveContext,
    SnapshotError,
    dumps,
    loads,
    register_persistent,
)


class Owner:
    """Stands for a machine class: a class of the module being saved."""


class Sentinel:
    """Stands for a singleton the runtime saves by reference."""


SENTINEL = Sentinel()
register_persistent(
    "test-sentinel", (Sentinel,), lambda obj, context: None, lambda p, c: SENTINEL
)


def save(value: Any) -> bytes:
    return dumps(value, SaveContext(machine=Owner()))


def load(data: bytes) -> Any:
    module = sys.modules[__name__]
    return loads(data, LoadContext(machine_class=Owner, module=module))


def test_plain_data_cycles_and_shared_references_keep_their_shape() -> None:
    shared = {"n": 1}
    cyclic: list[Any] = [shared, shared]
    cyclic.append(cyclic)
    value = {"list": cyclic, "queue": collections.deque([shared]), "set": {1, 2}}
    restored = load(save(value))
    assert restored["list"][0] is restored["list"][1] is restored["queue"][0]
    assert restored["list"][2] is restored["list"]
    assert restored["set"] == {1, 2}


def test_registered_types_go_by_reference() -> None:
    restored = load(save([SENTINEL, SENTINEL]))
    assert restored[0] is SENTINEL and restored[1] is SENTINEL


def test_classes_of_the_documents_module_are_found_there() -> None:
    restored = load(save([Owner()]))
    assert type(restored[0]) is Owner


@pytest.mark.parametrize(
    "value",
    [os.system, object(), lambda: 1, ModuleType("m"), open],
    ids=["os.system", "object", "lambda", "module", "open"],
)
def test_what_a_load_could_not_find_is_refused_when_saving(value: Any) -> None:
    with pytest.raises(SnapshotError, match="cannot capture"):
        save([value])


def test_a_snapshot_cannot_name_code() -> None:
    with pytest.raises(SnapshotError, match="may not name posix.system"):
        load(pickle.dumps(os.system))
    with pytest.raises(SnapshotError, match="not a snapshot"):
        load(b"not a pickle")
    with pytest.raises(SnapshotError, match="unknown reference"):
        load(pickle.dumps(1).replace(b"K\x01", b"X\x01\x00\x00\x00zQ"))


class Counter:
    """A type saved by reference whose load makes a new object each time."""


register_persistent(
    "test-counter", (Counter,), lambda obj, context: None, lambda p, c: Counter()
)


def test_references_to_one_object_load_as_one_object() -> None:
    counter = Counter()
    restored = load(save([counter, counter, Counter()]))
    assert restored[0] is restored[1]
    assert restored[2] is not restored[0]


def test_snapshots_of_format_1_still_load() -> None:
    """Format 1 saved references as pickle persistent ids."""

    class Format1(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return ("test-sentinel", None) if obj is SENTINEL else None

    buffer = io.BytesIO()
    Format1(buffer, protocol=5).dump({"x": [SENTINEL, 1]})
    assert load(buffer.getvalue()) == {"x": [SENTINEL, 1]}
    with pytest.raises(SnapshotError, match="unknown reference"):
        load(pickle.dumps(1).replace(b"K\x01", b"X\x01\x00\x00\x00zQ"))


def test_types_pickle_writes_itself_cannot_go_by_reference() -> None:
    with pytest.raises(ValueError, match="str values are saved as they are"):
        register_persistent("test-str", (str,), lambda o, c: o, lambda p, c: p)


def test_a_reference_is_resolved_only_by_a_load() -> None:
    with pytest.raises(SnapshotError, match="'test-sentinel' is resolved by a load"):
        pickle.loads(save(SENTINEL))
