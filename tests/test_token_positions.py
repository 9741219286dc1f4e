"""Diagnostics to the token: problems inside an attribute or a script are
reported where the offending token was written in the document, and names
that do not exist come with the closest one that does."""

from __future__ import annotations

from pathlib import Path

from scxmlc.compiler import CompileError, compile_path, compile_text
from scxmlc.compiler.typecheck import typecheck_module

ECMASCRIPT = (
    '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'datamodel="ecmascript">\n'
)


def diagnostics(text: str, name: str = "doc.scxml") -> list[str]:
    """Every diagnostic of compiling `text` (errors and warnings), in order."""
    try:
        return [str(d) for d in compile_text(text, name).warnings]
    except CompileError as error:
        return [str(d) for d in error.diagnostics]


def test_ecmascript_syntax_errors_in_attributes_point_at_the_token() -> None:
    """The token esprima stopped at, through entities and line breaks inside
    the attribute; the end of the text when it ended too early (never
    esprima's "Line 2" of the parenthesised expression)."""
    text = ECMASCRIPT + (
        '<state id="s"><onentry>\n'
        '  <log expr="1 +"/>\n'
        '  <log label="x" expr="a.b(;"/>\n'
        '  <log expr="  a &amp;&amp; b c"/>\n'
        '  <log expr="f(1,\n'
        '              2 3)"/>\n'
        '  <log expr="{&quot;a&quot;: 1"/>\n'
        "</onentry></state>\n</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:17: warning: <log expr>: invalid ECMAScript '1 +': "
        "Unexpected end of input (evaluating it raises error.execution)",
        "doc.scxml:4:28: warning: <log expr>: invalid ECMAScript 'a.b(;': "
        "Unexpected token ; (evaluating it raises error.execution)",
        "doc.scxml:5:31: warning: <log expr>: invalid ECMAScript 'a && b c': "
        "Unexpected identifier (evaluating it raises error.execution)",
        "doc.scxml:7:17: warning: <log expr>: invalid ECMAScript 'f(1,"
        "               2 3)': Unexpected number (evaluating it raises "
        "error.execution)",
        "doc.scxml:8:31: warning: <log expr>: invalid ECMAScript '{\"a\": 1': "
        "Unexpected end of input (evaluating it raises error.execution)",
    ]


def test_ecmascript_syntax_errors_in_scripts_point_at_the_token() -> None:
    """On the script's first line (after the start tag), inside CDATA, and on
    a later line."""
    text = ECMASCRIPT + (
        '<state id="s"><onentry>\n'
        "  <script>var z = ;</script>\n"
        "  <script><![CDATA[var w = 1 < ;]]></script>\n"
        "  <script>\n"
        "    var x = 1;\n"
        "    var y = x +* 2;\n"
        "  </script>\n"
        "</onentry></state>\n</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:19: warning: <script>: invalid ECMAScript: Unexpected "
        "token ; (evaluating it raises error.execution)",
        "doc.scxml:4:32: warning: <script>: invalid ECMAScript: Unexpected "
        "token ; (evaluating it raises error.execution)",
        "doc.scxml:7:16: warning: <script>: invalid ECMAScript: Unexpected "
        "token * (evaluating it raises error.execution)",
    ]


def test_python_syntax_errors_point_at_the_token() -> None:
    text = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="python">\n'
        '<state id="s"><onentry>\n'
        '  <log expr="1 + (2"/>\n'
        "  <script>\n"
        "    x = 1\n"
        "    y = x +\n"
        "  </script>\n"
        "</onentry></state>\n</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:18: warning: <log expr>: invalid Python expression "
        "'1 + (2': '(' was never closed (evaluating it raises error.execution)",
        "doc.scxml:6:12: warning: <script>: invalid Python: invalid syntax "
        "(evaluating it raises error.execution)",
    ]


def test_names_that_do_not_exist_come_with_the_closest_that_does() -> None:
    """Targets (at their word of the attribute), attributes, elements."""
    text = ECMASCRIPT + (
        '<state id="start">\n'
        '  <transition event="go" target="start finnish" tagret="x"/>\n'
        '  <onentry><lgo expr="1"/></onentry>\n'
        "</state>\n"
        '<final id="finish"/>\n'
        "</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:40: error: <transition target>: unknown state 'finnish' "
        "(did you mean 'finish'?)",
        "doc.scxml:3:49: error: <transition>: unknown attribute 'tagret' "
        "(did you mean 'target'?)",
        "doc.scxml:4:12: error: <onentry>: unexpected child element <lgo> "
        "(did you mean 'log'?)",
    ]


def test_a_misspelt_ors_attribute_is_a_warning_with_the_right_spelling() -> None:
    """`timout=` on `<queue:submit>`: dropped, as ORS drops attributes it does
    not know, and said so."""
    text = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="ecmascript" '
        'xmlns:queue="http://www.genesyslab.com/modules/queue">\n'
        '<state id="s"><onentry>\n'
        '  <queue:submit queue="\'VQ\'" timout="30"/>\n'
        "</onentry></state>\n</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:30: warning: <submit>: unknown attribute 'timout' "
        "(did you mean 'timeout'?) (ignored)"
    ]


def test_duplicate_data_ids_are_errors_in_every_datamodel() -> None:
    for datamodel in ("ecmascript", "python"):
        text = (
            '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
            f'datamodel="{datamodel}">\n'
            '<datamodel><data id="n" expr="1"/>\n'
            '           <data id="n" expr="2"/></datamodel>\n'
            '<state id="s"/>\n</scxml>\n'
        )
        assert diagnostics(text) == [
            'doc.scxml:3:12: error: <data id="n">: duplicate data id (first '
            "declared at doc.scxml:2:12)"
        ], datamodel


def test_a_fragment_included_twice_declares_its_data_once_per_include(
    tmp_path: Path,
) -> None:
    """The same written `<data>` read through two Composer XIncludes is one
    variable, not a duplicate; a second `<data>` of that id elsewhere is."""
    (tmp_path / "frag.scxml").write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="ecmascript" initial="_composer_entry">\n'
        '<state id="_composer_entry" initial="$$_MY_PREFIX_$$.Entry1">\n'
        '  <datamodel><data id="count" expr="0"/></datamodel>\n'
        '  <state id="Entry1"/>\n'
        "</state>\n</scxml>\n",
        encoding="utf-8",
    )
    include = (
        '  <xi:include href="frag.scxml" parse="xml" resolveid="{}" '
        'xpointer="_composer_entry"/>\n'
    )
    main = tmp_path / "main.scxml"
    main.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'xmlns:xi="http://www.w3.org/2001/XInclude" datamodel="ecmascript" '
        'initial="a">\n'
        '<state id="a">\n' + include.format("One") + "</state>\n"
        '<state id="b">\n' + include.format("Two") + "</state>\n"
        "</scxml>\n",
        encoding="utf-8",
    )
    assert [str(d) for d in compile_path(main).warnings] == []
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            '<state id="b">', '<state id="b"><datamodel><data id="count"/></datamodel>'
        ),
        encoding="utf-8",
    )
    try:
        compile_path(main)
    except CompileError as error:
        found = [str(d) for d in error.diagnostics]
    else:
        found = []
    assert found == [
        f'{main}:5:26: error: <data id="count">: duplicate data id (first '
        f"declared at {tmp_path / 'frag.scxml'}:3:14)"
    ]


def test_genesys_members_are_checked_against_the_object_model() -> None:
    """At the misspelt member's token, with the closest member of the object,
    or of the whole model (`setUData` of an interaction is `ixn.setuData`)."""
    text = ECMASCRIPT + (
        '<state id="s"><onentry>\n'
        "  <script>\n"
        "    var id = _event.data.interactionid;\n"
        "    _genesys.ixn.interactions[id].setUData({a: 1});\n"
        "    _genesys.ixn.setUData({a: 1}, id);\n"
        "    var ani = _genesys.ixn.interactions[id].voice.anni;\n"
        "    var u = _genesys.ixn.interactions[id].udata.anything;\n"
        "    var n = _genesys.ixn.interactions.length + _genesys.ixn.firstixnid;\n"
        "    _genesys.ixn.setuData({a: 1}, id);\n"
        "  </script>\n"
        '  <log expr="_genesys.session.day.Sundy"/>\n'
        "</onentry></state>\n</scxml>\n"
    )
    tail = ": it reads as undefined, and calling it raises TypeError (error.execution)"
    assert diagnostics(text) == [
        "doc.scxml:5:35: warning: <script>: _genesys.ixn.interactions[...] has no "
        "member 'setUData' (did you mean '_genesys.ixn.setuData'?)" + tail,
        "doc.scxml:6:18: warning: <script>: _genesys.ixn has no member "
        "'setUData' (did you mean 'setuData'?)" + tail,
        "doc.scxml:7:51: warning: <script>: _genesys.ixn.interactions[...].voice "
        "has no member 'anni' (did you mean 'ani'?)" + tail,
        "doc.scxml:12:35: warning: <log expr>: _genesys.session.day has no member "
        "'Sundy' (did you mean 'Sunday'?)" + tail,
    ]


def test_a_document_variable_named_genesys_is_not_checked() -> None:
    text = ECMASCRIPT + (
        '<datamodel><data id="_genesys" expr="({ixn: {}})"/></datamodel>\n'
        '<state id="s"><onentry><log expr="_genesys.ixn.anything"/></onentry>'
        "</state>\n</scxml>\n"
    )
    assert not any("has no member" in d for d in diagnostics(text))


def test_type_errors_of_the_python_datamodel_point_at_the_expression(
    tmp_path: Path,
) -> None:
    """mypy's errors in the generated module, placed at the expression they
    were translated from: in a script, an attribute, a condition, the
    attribute of an ORS action element."""
    document = tmp_path / "typed.scxml"
    document.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="python" xmlns:queue="http://www.genesyslab.com/modules/queue">\n'
        "  <datamodel>\n"
        '    <data id="count" expr="0"/>\n'
        '    <data id="label" expr="\'x\'"/>\n'
        "  </datamodel>\n"
        '  <state id="s">\n'
        "    <onentry>\n"
        "      <script>\n"
        "        total = count + 1\n"
        "        label = count\n"
        "      </script>\n"
        '      <log expr="label.upper() + count"/>\n'
        "      <queue:submit priority=\"'high'\"/>\n"
        "    </onentry>\n"
        '    <transition event="go" cond="count.startswith(\'a\')" target="s"/>\n'
        "  </state>\n"
        "</scxml>\n",
        encoding="utf-8",
    )
    source = compile_path(document).source
    assert [str(d) for d in typecheck_module(source, str(document))] == [
        f"{document}:10:17: error: type error: Incompatible types in assignment "
        '(expression has type "int", variable has type "str")',
        f"{document}:12:34: error: type error: Unsupported operand types for + "
        '("str" and "int")',
        f'{document}:13:31: error: type error: Argument "priority" to "submit" of '
        '"QueueModule" has incompatible type "str"; expected "float | None"',
        f'{document}:15:34: error: type error: "int" has no attribute "startswith"',
    ]


def test_a_statement_or_a_label_in_an_ecmascript_attribute_is_reported_at_its_start() -> (
    None
):
    text = ECMASCRIPT + (
        '<state id="s"><onentry>\n'
        '  <log expr=" var x = 1"/>\n'
        '  <log expr="label: 1"/>\n'
        "</onentry></state>\n</scxml>\n"
    )
    assert diagnostics(text) == [
        "doc.scxml:3:15: warning: <log expr>: invalid ECMAScript 'var x = 1': "
        "Unexpected token var (evaluating it raises error.execution)",
        "doc.scxml:4:14: warning: <log expr>: the label 'label:' before the "
        "expression is ignored; the expression after it is evaluated",
    ]


def _written_at(text: str, start: int, attribute: bool, offset: int) -> int:
    """Where character `offset` of the text parsed from `start` was written,
    walked from the start every time (the reference for `TextSpan.loc_at`)."""
    i, left, cdata = start, offset, False
    while i < len(text):
        if cdata and text.startswith("]]>", i):
            i, cdata = i + 3, False
            continue
        if not cdata and not attribute and text.startswith("<![CDATA[", i):
            i, cdata = i + 9, True
            continue
        if left <= 0:
            break
        if not cdata and text[i] == "&" and text.find(";", i) > i:
            i = text.find(";", i) + 1
        else:
            i += 2 if text.startswith("\r\n", i) else 1
        left -= 1
    return i


def test_positions_in_a_long_script_are_found_in_one_pass() -> None:
    """A script's many tokens are placed by one walk over its text, kept by
    the span's source: a large Composer library is not walked once per token."""
    from scxmlc.compiler.positions import SourceText, TextSpan

    script = "var a = 1 &amp;&amp; 2;\r\n<![CDATA[ if (a < b) { x(); } ]]>\n" * 200
    text = f"<script>{script}</script>"
    source = SourceText(text, "app.scxml")
    span = TextSpan(source, len("<script>"), False)
    offsets = [0, 5, 11, 12, 40, 41, 500, 3000, 9000, 12, 3, len(text) * 2]
    for offset in offsets:
        expected = source.loc(_written_at(text, span.start, False, offset))
        assert span.loc_at(offset) == expected, offset
    (walk,) = source._walks.values()
    assert len(walk.raw) <= len(text)  # each character found once, whatever was asked
    attribute = TextSpan(source, 3, True)
    assert attribute.loc_at(20) == source.loc(_written_at(text, 3, True, 20))


def test_line_index_turns_lines_and_columns_into_offsets_and_back() -> None:
    """Lines and columns count from 1; a line outside the text is its first
    or last line, a column below 1 is 1; a column past the line's end runs on
    unless asked to stop at the line's end; a CRLF's "\\r" ends its line."""
    from scxmlc.compiler.positions import LineIndex

    lines = LineIndex("ab\r\ncde\n\nf")
    assert len(lines) == 4
    assert [lines.start(n) for n in range(1, 5)] == [0, 4, 8, 9]
    assert [lines.length(n) for n in range(1, 5)] == [3, 3, 0, 1]
    assert [lines.line_text(n) for n in range(1, 5)] == ["ab\r", "cde", "", "f"]
    assert lines.offset(2, 2) == 5
    assert lines.offset(0, 2) == lines.offset(-3, 2) == 1
    assert lines.offset(9) == lines.offset(4, 1) == 9
    assert lines.offset(2, 0) == lines.offset(2, -5) == 4
    assert lines.offset(2, 9) == 12
    assert lines.offset(2, 9, within_line=True) == 7  # at its "\n"
    assert lines.offset(4, 9, within_line=True) == 10  # at the end of the text
    assert lines.offset(3, 2, within_line=True) == 8
    assert [lines.line_column(offset) for offset in (0, 3, 4, 8, 9, 10)] == [
        (1, 1),
        (1, 4),
        (2, 1),
        (3, 1),
        (4, 1),
        (4, 2),
    ]
    assert len(LineIndex("")) == 1 and LineIndex("").offset(3, 3) == 2
