"""Target lists and skill expressions, as `<queue:submit>` writes them (§4.1).

A possible target is `{threshold}[weight]name@statserver.TYPE`, or for skills
`{threshold}[weight]?group:skillexpr@statserver.TYPE` (the group may be empty);
a target id may list several, comma-separated. `parse_targets` turns a
`TargetSpec` into `Target`s; `SkillExpression` and `Threshold` evaluate the two
small condition languages.

Skill expressions join conditions (`English>5`, `Sales`, `!Spanish`, `Level<=3`)
with `&` and `|` (also `and`, `or`), evaluated left to right as Genesys documents
(`a | b & c` is `(a | b) & c`), with parentheses for grouping; a bare skill name
means a level above zero. Thresholds are the same language over statistics of
the target (`StatAgentsAvailable>0 & StatCallsInQueue<10`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..ors.services import TargetSpec

__all__ = ["Condition", "Target", "TargetError", "parse_targets"]

KIND_OF_TYPE: Final = {
    "agent": "A",
    "place": "AP",
    "agentgroup": "GA",
    "placegroup": "GP",
    "queue": "Q",
    "dn": "DN",
    "routepoint": "RP",
    "label": "DL",
    "skill": "GA",
    "campaigngroup": "GC",
    "queuegroup": "GQ",
}
"""`<queue:targets type>` values and the target-format suffix they stand for."""

_TARGET: Final = re.compile(
    r"^\s*(?:\{(?P<threshold>[^}]*)\})?\s*(?:\[(?P<weight>[^\]]*)\])?\s*"
    r"(?P<body>.+?)\s*$"
)
_TOKEN: Final = re.compile(
    r"\s*(?:(?P<op>>=|<=|!=|<>|==|=|>|<)|(?P<logic>&&?|\|\|?|\band\b|\bor\b)"
    r"|(?P<not>!|\bnot\b)|(?P<paren>[()])|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.\- ]*?(?=\s*(?:>=|<=|!=|<>|==|=|>|<|&|\||\)|$)))"
    r"|(?P<quoted>'[^']*'|\"[^\"]*\"))",
    re.IGNORECASE,
)


class TargetError(ValueError):
    """A target string or condition that cannot be read."""


@dataclass(frozen=True, slots=True)
class Target:
    """One possible target: its type suffix (`A`, `GA`, `Q`, ...), name, skill
    expression (for skill targets), threshold, weight, and the text it came from."""

    kind: str
    name: str
    statserver: str = ""
    skill: Condition | None = None
    threshold: Condition | None = None
    weight: float = 1.0
    text: str = ""

    @property
    def object_name(self) -> str:
        """The high-level target in target format (`targetobjectselected`)."""
        return self.text or f"{self.name}@{self.statserver}.{self.kind}"


def parse_targets(spec: TargetSpec) -> list[Target]:
    """The targets of one `<queue:target>` or `<queue:targetid>`; raises `TargetError`.

    A `[weight]` in the target text wins over the `<queue:target weight>` of
    `spec`; a target with neither weighs 1.
    """
    weight = 1.0 if spec.weight is None else spec.weight
    if spec.type == "targetid":
        return [
            _parse_possible(part, weight)
            for part in _split_list(spec.name)
            if part.strip()
        ]
    kind = KIND_OF_TYPE.get(spec.type.lower())
    if kind is None:
        raise TargetError(f"unknown target type {spec.type!r}")
    text = spec.name.strip()
    if "@" in text or text.startswith(("{", "[", "?")):
        return [_parse_possible(text, weight)]
    if spec.type.lower() == "skill":
        condition = Condition.parse(text)
        return [
            Target(
                "GA",
                "",
                spec.statserver,
                skill=condition,
                weight=weight,
                text=f"?:{text}@{spec.statserver}.GA",
            )
        ]
    return [
        Target(
            kind,
            text,
            spec.statserver,
            weight=weight,
            text=f"{text}@{spec.statserver}.{kind}",
        )
    ]


def _split_list(text: str) -> list[str]:
    """Split at commas that are outside braces, brackets and parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _parse_possible(text: str, default_weight: float = 1.0) -> Target:
    match = _TARGET.match(text)
    if match is None or "@" not in match.group("body"):
        raise TargetError(
            f"not a target: {text.strip()!r} (expected name@statserver.TYPE)"
        )
    body = match.group("body")
    name, _, where = body.rpartition("@")
    statserver, _, kind = where.rpartition(".")
    kind = {"AG": "GA", "PG": "GP"}.get(kind.upper(), kind.upper())
    if not kind:
        raise TargetError(f"target {body!r} has no type suffix")
    threshold = match.group("threshold")
    weight = match.group("weight")
    skill: Condition | None = None
    if name.startswith("?"):
        group, _, expression = name[1:].partition(":")
        name = group
        skill = Condition.parse(expression)
    try:
        parsed_weight = float(weight) if weight else default_weight
    except ValueError:
        raise TargetError(f"weight [{weight}] is not a number") from None
    if not 0 <= parsed_weight < float("inf"):
        raise TargetError(f"weight [{weight}] is not a number >= 0")
    return Target(
        kind,
        name,
        statserver,
        skill=skill,
        threshold=Condition.parse(threshold) if threshold else None,
        weight=parsed_weight,
        text=body,
    )


class Condition:
    """A skill expression or threshold, parsed once, evaluated against a lookup.

    `evaluate(level)` calls `level(name)` for each named skill or statistic; the
    lookup returns None for an unknown name, which compares false.
    """

    __slots__ = ("text", "_tokens")

    def __init__(self, text: str, tokens: list[tuple[str, str]]) -> None:
        self.text = text
        self._tokens = tokens

    @classmethod
    def parse(cls, text: str) -> Condition:
        tokens = _tokenize(text)
        condition = cls(text.strip(), tokens)
        condition.evaluate(lambda name: 0.0)  # reports syntax errors now
        return condition

    def evaluate(self, level: Callable[[str], float | None]) -> bool:
        position, result = _expression(self._tokens, 0, level)
        if position != len(self._tokens):
            raise TargetError(
                f"unexpected {self._tokens[position][1]!r} in {self.text!r}"
            )
        return result

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise TargetError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup or ""
        value = match.group(kind).strip()
        if kind == "quoted":
            kind, value = "name", value[1:-1]
        tokens.append((kind, value))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    if not tokens:
        raise TargetError("empty condition")
    return tokens


def _expression(
    tokens: list[tuple[str, str]], position: int, level: Callable[[str], float | None]
) -> tuple[int, bool]:
    """Terms joined by `&`/`|`, left to right."""
    position, result = _term(tokens, position, level)
    while position < len(tokens) and tokens[position][0] == "logic":
        operator = tokens[position][1].lower()
        position, right = _term(tokens, position + 1, level)
        result = (
            (result and right) if operator in ("&", "&&", "and") else (result or right)
        )
    return position, result


def _term(
    tokens: list[tuple[str, str]], position: int, level: Callable[[str], float | None]
) -> tuple[int, bool]:
    if position >= len(tokens):
        raise TargetError("condition ends too early")
    kind, value = tokens[position]
    if kind == "not":
        position, result = _term(tokens, position + 1, level)
        return position, not result
    if kind == "paren" and value == "(":
        position, result = _expression(tokens, position + 1, level)
        if position >= len(tokens) or tokens[position] != ("paren", ")"):
            raise TargetError("missing ')'")
        return position + 1, result
    if kind != "name":
        raise TargetError(f"expected a name, found {value!r}")
    found = level(value)
    if position + 1 < len(tokens) and tokens[position + 1][0] == "op":
        if position + 2 >= len(tokens) or tokens[position + 2][0] not in (
            "number",
            "name",
        ):
            raise TargetError(f"{value} {tokens[position + 1][1]} needs a value")
        operator = tokens[position + 1][1]
        return position + 3, _compare(found, operator, tokens[position + 2][1])
    return position + 1, found is not None and found > 0


def _compare(found: float | None, operator: str, operand: str) -> bool:
    if found is None:
        return False
    try:
        number = float(operand)
    except ValueError:
        return False
    match operator:
        case ">":
            return found > number
        case ">=":
            return found >= number
        case "<":
            return found < number
        case "<=":
            return found <= number
        case "!=" | "<>":
            return found != number
    return found == number
