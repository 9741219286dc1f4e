"""The W3C SCXML 1.0 conformance suite (IRP) as data for the tests.

Reads `../shared/w3c-scxml/index.csv` from the project root and lists the test files
each datamodel runs, with the reason for every test expected to fail.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1].parent / "shared" / "w3c-scxml"

# Tests that are expected to fail, with the reason. Checked against the real outcome:
# a listed test that passes fails the suite, so the list cannot go stale.
PORT = "defect of the third-party Python port (the W3C original is correct): "
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "python": {
        "test201": PORT + "the Basic HTTP <send> has no target (the W3C test sends to "
        "_ioprocessors['basichttp']['location']), which is error.communication "
        "(C.2, test577)",
        "test233": PORT
        + 'the final transition has cond="" where the W3C test has Var1==2, so the '
        "condition that checks <finalize> is empty; scxmlc does not read an empty cond as true",
        "test240": PORT
        + "the second child document targets 'subFinal1', which it does not define "
        "(the W3C test targets 'subFinal2'); scxmlc rejects unknown targets at compile time",
        "test352": PORT
        + "expects _event.origintype == 'scxml'; SCXML C.1 and the W3C test require "
        "'http://www.w3.org/TR/scxml/#SCXMLEventProcessor'",
        "test387": PORT
        + 'writes <state intial="s01"> (misspelt); scxmlc rejects unknown attributes',
        "test401": PORT
        + "writes <assign id=\"Var1\"> without the required 'location' (the W3C test "
        "assigns to the undeclared location foo.bar.baz); scxmlc rejects the document",
        "test509": PORT
        + "keeps the ECMAScript condition _event.raw.search('POST') !== -1, which is "
        "not Python: it raises error.execution and the event takes the fail transition",
        "test525": PORT
        + "computes Var1 + '4' on a list, which raises TypeError in Python and ends "
        "the <foreach> after one pass (the W3C test uses [].concat(Var1, [4]))",
    },
    "ecmascript": {},
    "null": {},
}


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    conformance: str
    datamodel: str
    http: bool

    @property
    def id(self) -> str:
        return f"{self.datamodel}/{self.name}"


def cases(datamodel: str) -> list[Case]:
    """The automatic tests that `datamodel` runs, in index order."""
    found: list[Case] = []
    with (SUITE / "index.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["manual"] == "yes":
                continue
            if datamodel == "null":
                if row["datamodel"] == "null only":
                    found.append(
                        Case(
                            row["test"],
                            SUITE / row["ecmascript_file"],
                            row["conformance"],
                            "null",
                            False,
                        )
                    )
                continue
            column = {"python": "python_file", "ecmascript": "ecmascript_file"}[
                datamodel
            ]
            if not row[column] or row["datamodel"] == "null only":
                continue
            found.append(
                Case(
                    row["test"],
                    SUITE / row[column],
                    row["conformance"],
                    datamodel,
                    row["http_io"] == "1",
                )
            )
    return found
