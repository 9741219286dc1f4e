"""Who gets into the session server, and which documents it compiles.

Each test is an attack the server must turn away (or the honest use it must
still serve): requests without credentials or with wrong ones, a server open
on a public address, `src` naming files outside the application roots,
documents compiled from run-time data, compilation on the event loop, and
SIGTERM. Servers listen on loopback port 0.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import datetime
import os
import pathlib
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import scxmlc
from scxmlc.compiler import Options
from scxmlc.compiler.commands import serve as serve_module
from scxmlc.compiler.commands.cli import main
from scxmlc.compiler.commands.serve import (
    NOT_SERVED,
    RUNTIME_DOCUMENTS_DISABLED,
    Applications,
)
from scxmlc.runtime import Machine, invoke
from scxmlc.runtime.errors import ExecutionError
from scxmlc.runtime.ors import auth
from scxmlc.runtime.ors.auth import (
    BASIC_VARIABLE,
    TOKEN_VARIABLE,
    Credentials,
    CredentialsError,
)
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.sim.serving import simulated_server

LIMIT = 20.0
"""Seconds a wait may last; it only stops a test that hangs."""

TOKEN = "t0ken-of-sixteen-or-more"
USER, PASSWORD = "ops", "s3cret-pass"
CREDENTIALS = Credentials(tokens=(TOKEN,), users=((USER, PASSWORD),))
BEARER = {"Authorization": f"Bearer {TOKEN}"}
BASIC = {
    "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
}

NS = (
    'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'xmlns:session="http://www.genesyslab.com/modules/session"'
)

ACCOUNT = f"""<scxml {NS} datamodel="ecmascript" name="account" initial="open">
  <datamodel><data id="balance" expr="0"/></datamodel>
  <state id="open">
    <transition event="statement">
      <session:response requestid="_event.data.requestid">
        <param name="balance" expr="balance"/>
      </session:response>
    </transition>
  </state>
</scxml>
"""

INVOKER = f"""<scxml {NS} datamodel="ecmascript" name="invoker" initial="idle">
  <datamodel><data id="outcome" expr="'none'"/></datamodel>
  <state id="idle">
    <transition event="run" target="running"/>
  </state>
  <state id="running">
    <invoke><content expr="_event.data.doc"/></invoke>
    <transition event="error.execution" target="done">
      <assign location="outcome" expr="_event.data.message"/>
    </transition>
    <transition event="done.invoke" target="done">
      <assign location="outcome" expr="'ran'"/>
    </transition>
  </state>
  <state id="done"/>
</scxml>
"""

CHILD_ECMASCRIPT = (
    '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'datamodel="ecmascript"><final id="f"/></scxml>'
)
CHILD_PYTHON = (
    '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'datamodel="python"><final id="f"/></scxml>'
)


def compiled(directory: Path, source: str, name: str) -> type[Machine]:
    """The class of `source`, saved as `name`.scxml in `directory`."""
    path = directory / f"{name}.scxml"
    path.write_text(source, encoding="utf-8")
    cls: type[Machine] = scxmlc.load(path)
    return cls


@pytest.fixture
def resolver_kept() -> Iterator[None]:
    """The runtime's document resolver as it was, after the test."""
    kept = invoke._resolver
    yield
    invoke.set_document_resolver(kept)


@asynccontextmanager
async def serving(
    resolver: Any, **options: Any
) -> AsyncIterator[tuple[SessionServer, aiohttp.ClientSession]]:
    """A server of `resolver` on loopback, and a client session."""
    server = simulated_server(resolver, **options)
    async with server, aiohttp.ClientSession() as http:
        yield server, http


async def call(
    http: aiohttp.ClientSession, method: str, url: str, **request: Any
) -> tuple[int, Any, Any]:
    """(status, body, headers): the body JSON decoded when it is JSON."""
    async with http.request(method, url, **request) as answer:
        body = (
            await answer.json()
            if answer.content_type == "application/json"
            else await answer.text()
        )
        return answer.status, body, answer.headers


# -- authentication -------------------------------------------------------------------

ROUTES = [
    ("POST", "/scxml/session/start"),
    ("POST", "/scxml/session/{id}/terminate"),
    ("POST", "/scxml/session/{id}/event/deposit"),
    ("POST", "/scxml/session/{id}/request/statement"),
    ("GET", "/scxml/session/{id}/query"),
    ("GET", "/ors/help"),
    ("POST", "/scxml/{id}"),  # the Basic HTTP access URI
    ("POST", "/scxml/session/nosuchsession/event/deposit"),  # would be 404
    ("GET", "/nowhere"),  # would be 404
    ("GET", "/scxml/session/start"),  # would be 405
    ("DELETE", "/scxml/{id}"),  # would be 405
]
WRONG = [
    {},
    {"Authorization": "Bearer wrong-token-of-enough-length"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Basic " + base64.b64encode(b"ops:wrong-password").decode()},
    {"Authorization": "Basic " + base64.b64encode(f"{PASSWORD}".encode()).decode()},
    {"Authorization": "Basic !!!not base64"},
    {"Authorization": f"Token {TOKEN}"},
    {"Authorization": TOKEN},
]


@pytest.fixture
def no_failure_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed authentications are not limited (the tests fail many times)."""
    unlimited = auth.Failures
    monkeypatch.setattr(auth, "Failures", lambda: unlimited(limit=10**6))


@pytest.mark.usefixtures("no_failure_limit")
def test_every_route_wants_credentials_before_anything_else(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario() -> list[tuple[str, list[int], set[str]]]:
        async with serving(lambda uri, base: account, auth=CREDENTIALS) as (
            server,
            http,
        ):
            start = f"{server.url}/scxml/session/start"
            status, body, _ = await call(
                http, "POST", start, data={"src": "a"}, headers=BEARER
            )
            assert status == 200, body
            sessionid = body["sessionid"]
            seen = []
            for method, path in ROUTES:
                url = server.url + path.format(id=sessionid)
                statuses, challenges = [], set()
                for headers in WRONG:
                    status, body, answer = await call(
                        http, method, url, headers=headers, data={"src": "a"}
                    )
                    statuses.append(status)
                    challenges.add(answer.get("WWW-Authenticate", ""))
                    assert body == {
                        "error": "unauthorized",
                        "description": "authentication required",
                    }
                seen.append((path, statuses, challenges))
            return seen

    for path, statuses, challenges in asyncio.run(scenario()):
        assert statuses == [401] * len(WRONG), path
        assert challenges == {
            'Bearer realm="scxmlc", Basic realm="scxmlc", charset="UTF-8"'
        }, path


def test_guessing_is_slowed_down_per_address(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario() -> list[tuple[int, Any, Any]]:
        async with serving(lambda uri, base: account, auth=CREDENTIALS) as (
            server,
            http,
        ):
            url = f"{server.url}/ors/help"
            wrong = {"Authorization": "Bearer wrong-token-of-enough-length"}
            answers = [
                await call(http, "GET", url, headers=wrong)
                for _ in range(auth.MAX_FAILURES + 1)
            ]
            answers.append(await call(http, "GET", url, headers=BEARER))
            return answers

    answers = asyncio.run(scenario())
    statuses = [status for status, _, _ in answers]
    assert statuses == [401] * auth.MAX_FAILURES + [429, 429]
    status, body, headers = answers[-1]
    assert body["error"] == "toomanyfailures"
    assert 0 < int(headers["Retry-After"]) <= auth.FAILURE_WINDOW


def test_failures_are_forgotten_after_the_window() -> None:
    now = [0.0]
    failures = auth.Failures(limit=2, window=10.0, clock=lambda: now[0])
    failures.failed("a")
    failures.failed("a")
    assert failures.wait("a") == 10.0 and failures.wait("b") == 0.0
    now[0] = 10.0
    assert failures.wait("a") == 0.0
    failures.failed("a")
    assert failures.wait("a") == 0.0


@pytest.mark.parametrize("headers", [BEARER, BASIC], ids=["bearer", "basic"])
def test_the_right_credentials_work(tmp_path: Path, headers: dict[str, str]) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario() -> tuple[int, Any, str]:
        async with serving(lambda uri, base: account, auth=CREDENTIALS) as (
            server,
            http,
        ):
            start = f"{server.url}/scxml/session/start"
            status, body, _ = await call(
                http, "POST", start, data={"src": "a"}, headers=headers
            )
            assert status == 200, body
            request = (
                f"{server.url}/scxml/session/{body['sessionid']}/request/statement"
            )
            status, body, _ = await call(http, "POST", request, headers=headers)
            (caller,) = server._callers
            return status, body, caller

    status, body, caller = asyncio.run(scenario())
    assert (status, body) == (200, {"balance": 0})
    assert caller == ("bearer-1" if headers is BEARER else USER)


def test_a_library_server_without_credentials_listens_on_loopback_only() -> None:
    async def scenario(host: str) -> None:
        async with serving(lambda uri, base: Machine, host=host):
            pass

    with pytest.raises(ValueError, match="refusing to listen on 0.0.0.0 without"):
        asyncio.run(scenario("0.0.0.0"))
    asyncio.run(scenario("127.0.0.1"))  # loopback stays open for library use


@pytest.fixture
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    monkeypatch.delenv(BASIC_VARIABLE, raising=False)


@pytest.mark.usefixtures("no_credentials_in_environment")
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.1", "example.com"])
def test_scxmlc_serve_without_credentials_refuses_a_public_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    (tmp_path / "account.scxml").write_text(ACCOUNT, encoding="utf-8")
    status = main(["serve", str(tmp_path / "account.scxml"), "--host", host])
    assert status == 1
    error = capsys.readouterr().err
    assert "scxmlc serve: refusing to listen on" in error
    assert f"give --credentials-file or set {TOKEN_VARIABLE}" in error


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("bearer abc123", "the token is shorter than 16 characters"),
        ("basic ops:abc123", "the password is shorter than 8 characters"),
        ("basic nopassword", "basic wants USER:PASSWORD"),
        (
            "token abcdefghijklmnopq",
            "a credential is 'bearer TOKEN' or 'basic USER:PASSWORD'",
        ),
    ],
)
def test_weak_or_malformed_credentials_are_refused(text: str, why: str) -> None:
    with pytest.raises(CredentialsError) as refused:
        Credentials.parse(f"# comment\n\n{text}\n", "creds")
    assert str(refused.value) == f"creds, line 3: {why}"
    assert text.split()[-1] not in str(refused.value) or "token" in text


def test_the_credentials_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "creds"
    path.write_text(f"bearer {TOKEN}\nbasic {USER}:{PASSWORD}\n", encoding="utf-8")
    assert Credentials.from_file(path) == CREDENTIALS
    found = Credentials.from_environment(
        {TOKEN_VARIABLE: TOKEN, BASIC_VARIABLE: f"{USER}:{PASSWORD}"}
    )
    assert found == CREDENTIALS
    assert not Credentials.from_environment({})
    assert TOKEN not in repr(CREDENTIALS) and PASSWORD not in repr(CREDENTIALS)


# -- TLS ------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_serves_https_only(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario() -> tuple[str, int, Any, str]:
        async with serving(
            lambda uri, base: account, auth=CREDENTIALS, ssl_context=server_context
        ) as (server, http):
            plain = "http" + server.url.removeprefix("https")
            with pytest.raises(aiohttp.ClientError):
                await call(http, "GET", f"{plain}/ors/help", headers=BEARER)
            status, body, _ = await call(
                http,
                "POST",
                f"{server.url}/scxml/session/start",
                data={"src": "a"},
                headers=BEARER,
                ssl=client_context,
            )
            session = server.platform.sessions[body["sessionid"]]
            location = session.machine._ioprocessors["basichttp"].location
            return server.url, status, body, location

    url, status, body, location = asyncio.run(scenario())
    assert url.startswith("https://127.0.0.1:")
    assert status == 200 and "sessionid" in body
    assert location == f"{url}/scxml/{body['sessionid']}"


def test_scxmlc_serve_refuses_a_tls_key_that_does_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "account.scxml").write_text(ACCOUNT, encoding="utf-8")
    (tmp_path / "cert.pem").write_text("not a certificate", encoding="utf-8")
    argv = ["serve", str(tmp_path / "account.scxml"), "--tls-cert"]
    argv += [str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "cert.pem")]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert "cannot load the TLS certificate" in error
    assert "not a certificate" not in error


# -- documents: served applications and application roots ------------------------------

ATTACKS = [
    "/etc/passwd",
    "../../etc/passwd",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "file://localhost/etc/passwd",
    "file:///etc/%70asswd",
    "/proc/self/environ",
    "http://example.com/app.scxml",
    "ftp://example.com/app.scxml",
    "root/../../outside.scxml",
    "../outside.scxml",
    "sub/../../outside.scxml",
    "/nonexistent/app.scxml",
    "secret\x00.scxml",
    ".hidden.scxml",
    "sub/.git/config.scxml",
    "notes.txt",
]


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    """An application root with a document, a file outside any root, and the
    class of a served application."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "doc.scxml").write_text(
        ACCOUNT.replace('name="account"', 'name="doc"'), encoding="utf-8"
    )
    (root / "notes.txt").write_text("root:x:0:0 secret notes", encoding="utf-8")
    (tmp_path / "outside.scxml").write_text(ACCOUNT, encoding="utf-8")
    return tmp_path, root


@contextmanager
def no_file_system_access(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within: any look at the file system fails the test."""

    def touched(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the file system was touched: {args!r}")

    with monkeypatch.context() as patch:
        for target, name in [
            (os, "stat"),
            (os, "lstat"),
            (os.path, "realpath"),
            (os.path, "isfile"),
            (os.path, "exists"),
            (builtins, "open"),
            (pathlib.Path, "stat"),
            (pathlib.Path, "resolve"),
            (pathlib.Path, "read_bytes"),
            (serve_module, "load_module"),
        ]:
            patch.setattr(target, name, touched)
        yield


@pytest.mark.parametrize("src", ATTACKS)
def test_src_outside_the_roots_is_refused_without_touching_files(
    roots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, src: str
) -> None:
    top, root = roots
    monkeypatch.chdir(root / "sub")
    applications = Applications({}, Options(), roots=[root])
    expected = NOT_SERVED.format(src=src)
    with no_file_system_access(monkeypatch):
        with pytest.raises(ExecutionError) as refused:
            applications(src, "")
        with pytest.raises(ExecutionError) as refused_with_base:
            applications(src, str(root / "sub" / "doc.scxml"))
    assert str(refused.value) == expected
    assert str(refused_with_base.value) == expected


def test_missing_documents_and_links_out_of_the_roots_answer_the_same(
    roots: tuple[Path, Path],
) -> None:
    top, root = roots
    (root / "link.scxml").symlink_to(top / "outside.scxml")
    (root / "passwd.scxml").symlink_to("/etc/passwd")
    (root / "dir.scxml").mkdir()
    applications = Applications({}, Options(), roots=[root])
    for src in ["nothere.scxml", "link.scxml", "passwd.scxml", "dir.scxml"]:
        with pytest.raises(ExecutionError) as refused:
            applications(src, "")
        assert str(refused.value) == NOT_SERVED.format(src=src)


def test_rest_src_attacks_answer_one_message_and_no_content(
    roots: tuple[Path, Path],
) -> None:
    top, root = roots
    account = compiled(top, ACCOUNT, "account")
    applications = Applications(
        {str(top / "account.scxml"): account}, Options(), roots=[root]
    )

    async def scenario() -> list[tuple[int, Any]]:
        async with serving(applications) as (server, http):
            answers = []
            for src in ["/etc/passwd", "../../etc/passwd", "file:///etc/passwd"]:
                status, body, _ = await call(
                    http, "POST", f"{server.url}/scxml/session/start", data={"src": src}
                )
                answers.append((status, body))
            return answers

    for (status, body), src in zip(
        asyncio.run(scenario()),
        ["/etc/passwd", "../../etc/passwd", "file:///etc/passwd"],
    ):
        assert status == 400
        assert body["error"] == "invalidsrc"
        assert NOT_SERVED.format(src=src) in body["description"]
        assert "root:" not in body["description"]


def test_a_root_document_compiles_in_a_worker_thread(
    roots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    top, root = roots
    threads: list[str] = []
    compile_file = serve_module._compile_file

    def recorded(path: str, options: Options) -> type[Machine]:
        threads.append(threading.current_thread().name)
        return compile_file(path, options)

    monkeypatch.setattr(serve_module, "_compile_file", recorded)
    applications = Applications({}, Options(), roots=[root])

    async def scenario() -> list[tuple[int, Any]]:
        async with serving(applications) as (server, http):
            answers = []
            for src in ["sub/doc.scxml", str(root / "sub" / "doc.scxml")]:
                status, body, _ = await call(
                    http, "POST", f"{server.url}/scxml/session/start", data={"src": src}
                )
                answers.append((status, body))
            return answers

    answers = asyncio.run(scenario())
    assert [status for status, _ in answers] == [200, 200], answers
    assert threads == ["scxmlc-compile"]  # compiled once, off the loop


def test_a_root_document_that_does_not_compile_tells_no_content(
    roots: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    top, root = roots
    (root / "broken.scxml").write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">'
        '<state id="TOP-SECRET-ID"><transition target="nowhere-TOP-SECRET"/>'
        "</state></scxml>",
        encoding="utf-8",
    )
    applications = Applications({}, Options(), roots=[root])
    with pytest.raises(ExecutionError) as refused:
        applications("broken.scxml", "")
    assert str(refused.value).startswith("src 'broken.scxml' does not compile (")
    assert "SECRET" not in str(refused.value)
    assert "SECRET" in capsys.readouterr().err  # the server's operator sees why


def test_on_the_event_loop_a_root_document_is_refused_until_compiled(
    roots: tuple[Path, Path],
) -> None:
    top, root = roots
    applications = Applications({}, Options(), roots=[root])

    async def scenario() -> tuple[str, type[Machine]]:
        with pytest.raises(serve_module.NotCompiledYet) as refused:
            applications("sub/doc.scxml", "")
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            try:
                return str(refused.value), applications("sub/doc.scxml", "")
            except serve_module.NotCompiledYet:
                continue
        raise AssertionError("never compiled")

    message, cls = asyncio.run(scenario())
    assert "is being compiled" in message
    assert cls._chart.name == "doc"


STARTER = f"""<scxml {NS} datamodel="ecmascript" name="starter" initial="idle">
  <datamodel><data id="request" expr="''"/><data id="outcome" expr="'none'"/></datamodel>
  <state id="idle">
    <transition event="go" target="starting"/>
  </state>
  <state id="starting">
    <onentry>
      <session:start requestid="request" src="_event.data.src"/>
    </onentry>
    <transition event="session.start.done" target="done">
      <assign location="outcome" expr="'started ' + _event.data.sessionid"/>
    </transition>
    <transition event="error.session.start" target="done">
      <assign location="outcome" expr="'refused: ' + _event.data.description"/>
    </transition>
    <transition event="error.*" target="done">
      <assign location="outcome" expr="'error: ' + _event.name"/>
    </transition>
  </state>
  <state id="done"/>
</scxml>
"""


@pytest.mark.parametrize(
    ("src", "outcome"),
    [("sub/doc.scxml", "started "), ("/etc/passwd", "refused: ")],
    ids=["root-document", "outside"],
)
def test_session_start_waits_for_a_root_document_to_compile(
    roots: tuple[Path, Path], src: str, outcome: str
) -> None:
    top, root = roots
    starter = compiled(top, STARTER, "starter")
    applications = Applications(
        {str(top / "starter.scxml"): starter}, Options(), roots=[root]
    )

    async def scenario() -> tuple[str, int]:
        async with serving(applications) as (server, http):
            url = f"{server.url}/scxml/session/start"
            status, body, _ = await call(http, "POST", url, data={"src": "starter"})
            assert status == 200, body
            session = f"{server.url}/scxml/session/{body['sessionid']}"
            await call(http, "POST", f"{session}/event/go", json={"src": src})
            deadline = time.monotonic() + LIMIT
            while time.monotonic() < deadline:
                status, body, _ = await call(http, "GET", f"{session}/query")
                if body["configuration"] == ["done"]:
                    break
                await asyncio.sleep(0.02)
            result: str = body["datamodel"]["outcome"]
            return result, len(server.platform.sessions)

    result, sessions = asyncio.run(scenario())
    assert result.startswith(outcome), result
    assert sessions == (2 if outcome == "started " else 1)


# -- documents of run-time data --------------------------------------------------------


@pytest.mark.usefixtures("resolver_kept")
@pytest.mark.parametrize(
    ("allow", "child", "outcome"),
    [
        (False, CHILD_ECMASCRIPT, RUNTIME_DOCUMENTS_DISABLED),
        (True, CHILD_ECMASCRIPT, "ran"),
        (
            True,
            CHILD_PYTHON,
            "a document from run-time data may use the ecmascript or null datamodel,"
            " not 'python'",
        ),
    ],
    ids=["refused-by-default", "allowed-ecmascript", "never-python"],
)
def test_invoke_content_expr_compiles_only_when_allowed(
    tmp_path: Path, allow: bool, child: str, outcome: str
) -> None:
    invoker = compiled(tmp_path, INVOKER, "invoker")
    applications = Applications(
        {str(tmp_path / "invoker.scxml"): invoker},
        Options(),
        allow_runtime_documents=allow,
    )
    invoke.set_document_resolver(applications)
    result = asyncio.run(run_invoker(applications, child))
    assert result == outcome, result


def test_a_python_document_of_run_time_data_is_refused_by_its_default(
    tmp_path: Path,
) -> None:
    applications = Applications(
        {}, Options(default_datamodel="python"), allow_runtime_documents=True
    )
    undeclared = CHILD_PYTHON.replace(' datamodel="python"', "")
    with pytest.raises(ExecutionError) as refused:
        applications.compile_text(undeclared, "")
    assert str(refused.value) == (
        "a document from run-time data may use the ecmascript or null datamodel,"
        " not 'python'"
    )
    including = CHILD_ECMASCRIPT.replace(
        '<final id="f"/>', '<script src="/etc/hostname"/><final id="f"/>'
    )
    with pytest.raises(ExecutionError) as refused:
        applications.compile_text(including, "")
    assert str(refused.value) == "a document from run-time data may not include files"
    with pytest.raises(ExecutionError) as refused:
        applications.compile_text(" " * (serve_module.MAX_RUNTIME_DOCUMENT + 1), "")
    assert str(refused.value) == (
        "a document from run-time data is longer than"
        f" {serve_module.MAX_RUNTIME_DOCUMENT} characters"
    )


def test_documents_of_run_time_data_are_bounded_in_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serve_module, "MAX_RUNTIME_DOCUMENTS", 2)
    applications = Applications({}, Options(), allow_runtime_documents=True)
    for name in ["a", "b"]:
        applications.compile_text(CHILD_ECMASCRIPT.replace('"f"', f'"{name}"'), "")
    applications.compile_text(CHILD_ECMASCRIPT.replace('"f"', '"a"'), "")  # kept
    with pytest.raises(ExecutionError) as refused:
        applications.compile_text(CHILD_ECMASCRIPT.replace('"f"', '"c"'), "")
    assert str(refused.value) == (
        "2 documents of run-time data are compiled already: no more"
    )


async def run_invoker(applications: Applications, doc: str) -> str:
    """Serve `applications`, start its `invoker` and have it invoke `doc`; the
    outcome the invoker records."""
    async with serving(applications) as (server, http):
        url = f"{server.url}/scxml/session/start"
        status, body, _ = await call(http, "POST", url, data={"src": "invoker"})
        assert status == 200, body
        session = f"{server.url}/scxml/session/{body['sessionid']}"
        status, body, _ = await call(
            http, "POST", f"{session}/event/run", json={"doc": doc}
        )
        assert status == 204, body
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            status, body, _ = await call(http, "GET", f"{session}/query")
            if body["configuration"] == ["done"]:
                break
            await asyncio.sleep(0.02)
        result: str = body["datamodel"]["outcome"]
        return result


@pytest.mark.usefixtures("resolver_kept")
def test_documents_invoked_at_run_time_compile_off_the_loop_and_are_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "child.scxml").write_text(CHILD_ECMASCRIPT, encoding="utf-8")
    by_src = INVOKER.replace(
        '<invoke><content expr="_event.data.doc"/></invoke>',
        '<invoke srcexpr="_event.data.doc"/>',
    )
    threads: list[str] = []
    for name in ("_compile_file", "_compile_runtime_text"):
        original = getattr(serve_module, name)

        def recorded(*arguments: Any, original: Any = original) -> Any:
            threads.append(threading.current_thread().name)
            return original(*arguments)

        monkeypatch.setattr(serve_module, name, recorded)
    outcomes = []
    for source, doc in [(by_src, "child.scxml"), (INVOKER, CHILD_ECMASCRIPT)]:
        invoker = compiled(tmp_path, source, "invoker")
        applications = Applications(
            {str(tmp_path / "invoker.scxml"): invoker},
            Options(),
            roots=[root],
            allow_runtime_documents=True,
        )
        invoke.set_document_resolver(applications)
        outcomes.append(asyncio.run(run_invoker(applications, doc)))
    assert outcomes == ["ran", "ran"]
    assert threads == ["scxmlc-compile", "scxmlc-compile"]


# -- scxmlc serve: credentials and SIGTERM ---------------------------------------------


def start_serve(
    directory: Path, *arguments: str, environment: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """`scxmlc serve` of account.scxml in `directory` on a free port, and its URL."""
    (directory / "account.scxml").write_text(ACCOUNT, encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k not in (TOKEN_VARIABLE, BASIC_VARIABLE)
    }
    env.update(environment or {})
    server = subprocess.Popen(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
        + ["account.scxml", "--port", "0", *arguments],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    scheme = "https" if "--tls-cert" in arguments else "http"
    assert line.startswith(f"scxmlc serve: listening on {scheme}://127.0.0.1:"), line
    return server, line.split()[4]


def test_scxmlc_serve_authenticates_and_stops_on_sigterm(tmp_path: Path) -> None:
    server, url = start_serve(tmp_path, environment={TOKEN_VARIABLE: TOKEN})
    try:

        async def requests() -> tuple[int, int, Any]:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                refused, _, _ = await call(http, "POST", start, data={"src": "account"})
                status, body, _ = await call(
                    http, "POST", start, data={"src": "account"}, headers=BEARER
                )
                return refused, status, body

        refused, status, body = asyncio.run(requests())
        assert refused == 401
        assert status == 200, body
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=LIMIT)
        assert time.monotonic() - began < 5.0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, errors
    assert errors.strip().endswith("scxmlc serve: stopped")
    assert "warning: no credentials" not in errors


def test_scxmlc_serve_with_a_credentials_file_tls_and_a_root(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    credentials = tmp_path / "credentials"
    credentials.write_text(f"# operators\nbasic {USER}:{PASSWORD}\n", "utf-8")
    credentials.chmod(0o600)
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "doc.scxml").write_text(ACCOUNT, encoding="utf-8")
    server, url = start_serve(
        tmp_path,
        *["--credentials-file", str(credentials), "--root", "apps"],
        *["--tls-cert", str(cert), "--tls-key", str(key)],
    )
    client = ssl.create_default_context(cafile=str(cert))
    try:

        async def requests() -> list[tuple[int, Any]]:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                answers = []
                for src, headers in [
                    ("doc.scxml", {}),
                    ("doc.scxml", BASIC),
                    ("apps/doc.scxml", BASIC),
                    ("/etc/passwd", BASIC),
                ]:
                    status, body, _ = await call(
                        http,
                        "POST",
                        start,
                        data={"src": src},
                        headers=headers,
                        ssl=client,
                    )
                    answers.append((status, body))
                return answers

        answers = asyncio.run(requests())
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=LIMIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    statuses = [status for status, _ in answers]
    assert statuses == [401, 200, 400, 400], answers
    assert server.returncode == 0, errors
    assert "warning" not in errors


def test_scxmlc_serve_on_loopback_without_credentials_warns(tmp_path: Path) -> None:
    server, url = start_serve(tmp_path)
    try:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=LIMIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0
    assert "scxmlc serve: warning: no credentials" in errors


def test_scxmlc_serve_stops_on_sigterm_during_a_request(tmp_path: Path) -> None:
    """A `/request` the session never answers does not hold SIGTERM up past
    the grace."""
    server, url = start_serve(tmp_path)
    try:

        async def hanging() -> None:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                _, body, _ = await call(http, "POST", start, data={"src": "account"})
                request = f"{url}/scxml/session/{body['sessionid']}/request/nothing"
                waiting = asyncio.ensure_future(call(http, "POST", request))
                await asyncio.sleep(0.2)
                server.send_signal(signal.SIGTERM)
                with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):
                    await asyncio.wait_for(waiting, LIMIT)

        began = time.monotonic()
        asyncio.run(hanging())
        server.communicate(timeout=LIMIT)
        assert time.monotonic() - began < 5.0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0


def test_the_serve_help_names_the_access_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    for option in [
        "--credentials-file",
        "--tls-cert",
        "--tls-key",
        "--root",
        "--allow-runtime-documents",
        TOKEN_VARIABLE,
    ]:
        assert option in text


def test_a_second_sigterm_stops_scxmlc_serve_at_once(tmp_path: Path) -> None:
    """While a request under way holds the graceful stop up, a second SIGTERM
    ends the process with status 1."""
    server, url = start_serve(tmp_path)
    try:

        async def hanging() -> None:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                _, body, _ = await call(http, "POST", start, data={"src": "account"})
                request = f"{url}/scxml/session/{body['sessionid']}/request/nothing"
                waiting = asyncio.ensure_future(call(http, "POST", request))
                await asyncio.sleep(0.2)
                server.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.2)
                server.send_signal(signal.SIGTERM)
                with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):
                    await asyncio.wait_for(waiting, LIMIT)

        asyncio.run(hanging())
        _, errors = server.communicate(timeout=LIMIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 1, errors
    assert "scxmlc serve: stopped at once" in errors


# -- scxmlc serve: limits and the allow-list ------------------------------------------

NOTIFY = f"""<scxml {NS} datamodel="ecmascript" name="notify" initial="sending">
  <datamodel><data id="target" expr="''"/></datamodel>
  <state id="sending">
    <onentry>
      <send type="http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
            targetexpr="target" eventexpr="'hello'"/>
    </onentry>
    <transition event="error.communication" target="refused"/>
  </state>
  <state id="refused"/>
</scxml>
"""


async def receiver(posts: list[str]) -> tuple[aiohttp.web.AppRunner, str]:
    """A loopback HTTP server that records the path of every POST; its runner
    and origin."""
    from aiohttp import web

    async def record(request: web.Request) -> web.Response:
        posts.append(request.path)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def test_scxmlc_serve_sends_only_to_allowed_origins_and_keeps_its_limits(
    tmp_path: Path,
) -> None:
    (tmp_path / "notify.scxml").write_text(NOTIFY, encoding="utf-8")
    allowed: list[str] = []
    other: list[str] = []

    async def requests() -> tuple[list[tuple[int, Any]], Any, Any]:
        runner_a, origin_a = await receiver(allowed)
        runner_b, origin_b = await receiver(other)
        server, url = start_serve(
            tmp_path,
            *["--root", ".", "--allow-origin", origin_a],
            *["--max-sessions", "2", "--max-body-size", "512"],
        )
        try:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                answers = []
                for data in [
                    {"src": "notify.scxml", "target": f"{origin_a}/in"},
                    {"src": "notify.scxml", "target": f"{origin_b}/in"},
                    {"src": "notify.scxml", "target": f"{origin_a}/in"},
                    {"src": "account", "padding": "x" * 1024},
                ]:
                    status, body, _ = await call(http, "POST", start, data=data)
                    answers.append((status, body))
                await asyncio.sleep(0.5)
                sent, refused = [
                    (
                        await call(
                            http,
                            "GET",
                            f"{url}/scxml/session/{body['sessionid']}/query",
                        )
                    )[1]
                    for _, body in answers[:2]
                ]
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=LIMIT)
            await runner_a.cleanup()
            await runner_b.cleanup()
        return answers, sent, refused

    answers, sent, refused = asyncio.run(requests())
    statuses = [status for status, _ in answers]
    assert statuses == [200, 200, 503, 413], answers
    assert "max_sessions" in answers[2][1]["description"]
    assert allowed == ["/in"] and other == [], (sent, refused)
    assert sent["configuration"] == ["sending"]
    assert refused["configuration"] == ["refused"]


def test_scxmlc_serve_refuses_an_allowed_origin_that_is_not_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "account.scxml").write_text(ACCOUNT, encoding="utf-8")
    argv = ["serve", str(tmp_path / "account.scxml")]
    assert main(argv + ["--allow-origin", "http://example.com/path"]) == 1
    error = capsys.readouterr().err
    assert "--allow-origin: 'http://example.com/path' is not an origin" in error


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--max-sessions", "0"),
        ("--idle-timeout", "-1"),
        ("--budget-seconds", "inf"),
        ("--max-body-size", "ten"),
    ],
)
def test_scxmlc_serve_refuses_a_limit_that_is_not_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["serve", "app.scxml", flag, value])
    assert exit.value.code == 2
    assert f"argument {flag}: {value!r} is not" in capsys.readouterr().err


@pytest.mark.usefixtures("resolver_kept")
def test_loading_a_document_keeps_the_servers_resolver(tmp_path: Path) -> None:
    applications = Applications({}, Options())
    invoke.set_document_resolver(applications)
    compiled(tmp_path, ACCOUNT, "account")  # scxmlc.load of a trusted document
    assert invoke.document_resolver() is applications
