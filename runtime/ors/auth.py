"""Who may talk to a session server: credentials and the middleware that checks them.

`Credentials` holds the secrets a server accepts: bearer tokens and HTTP Basic
user:password pairs. They come from a credentials file or from environment
variables (`Credentials.from_file`, `Credentials.from_environment`).

The credentials file has one credential a line; blank lines and lines starting
with `#` are ignored:

    bearer TOKEN            # Authorization: Bearer TOKEN
    basic USER:PASSWORD     # Authorization: Basic base64(USER:PASSWORD)

Any line authenticates. Tokens are at least `MIN_TOKEN_LENGTH` characters,
passwords at least `MIN_PASSWORD_LENGTH`, neither holds whitespace; a user
name holds no `:`. The environment variables are `TOKEN_VARIABLE`
(`SCXMLC_SERVE_TOKEN`, one bearer token) and `BASIC_VARIABLE`
(`SCXMLC_SERVE_BASIC`, one `USER:PASSWORD`).

`authentication(credentials)` is the aiohttp middleware: a request without
valid credentials is answered `401` with `WWW-Authenticate` and
`{"error": "unauthorized", "description": "authentication required"}`, before
routing decides anything (no path, session or method is revealed); one with
valid credentials goes on with the caller's name in `request[caller_key()]`
(the Basic user, or `bearer-N` for the N-th token). Secrets are compared with
`hmac.compare_digest`, against every credential, so the time taken does not
tell which part matched.

A client address that failed `MAX_FAILURES` times within `FAILURE_WINDOW`
seconds is answered `429` (`toomanyfailures`, with `Retry-After`) whatever
it sends, until the window ends: guessing is slow.

`is_loopback(host)` tells whether a listening address is reachable from this
machine only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import math
import os
import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "BASIC_VARIABLE",
    "TOKEN_VARIABLE",
    "Credentials",
    "CredentialsError",
    "Failures",
    "authentication",
    "caller_key",
    "is_loopback",
]

TOKEN_VARIABLE: Final = "SCXMLC_SERVE_TOKEN"
"""The environment variable holding a bearer token."""

BASIC_VARIABLE: Final = "SCXMLC_SERVE_BASIC"
"""The environment variable holding a Basic `USER:PASSWORD`."""

MIN_TOKEN_LENGTH: Final = 16
"""The shortest bearer token accepted (characters)."""

MIN_PASSWORD_LENGTH: Final = 8
"""The shortest Basic password accepted (characters)."""


@functools.cache
def caller_key() -> web.RequestKey[str]:
    """The request key naming the authenticated caller (the server's
    per-caller session limit counts by it); made on first use, so importing
    this module does not import aiohttp."""
    from aiohttp import web

    return web.RequestKey("scxmlc_user", str)


REALM: Final = "scxmlc"

MAX_FAILURES: Final = 20
"""Failed authentications one client address may have in `FAILURE_WINDOW`."""

FAILURE_WINDOW: Final = 60.0
"""Seconds over which `MAX_FAILURES` counts; an address over it waits for the
window to end."""

MAX_TRACKED: Final = 10000
"""Client addresses whose failures are remembered at once (the oldest go)."""


class CredentialsError(ValueError):
    """Credentials that cannot be used; the message says why (never the secret)."""


@dataclass(frozen=True, repr=False)
class Credentials:
    """The bearer tokens and (user, password) pairs a server accepts."""

    tokens: tuple[str, ...] = field(default=(), repr=False)
    users: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        """How many of each, never the secrets."""
        return f"Credentials({len(self.tokens)} tokens, {len(self.users)} users)"

    def __bool__(self) -> bool:
        return bool(self.tokens or self.users)

    def __add__(self, other: Credentials) -> Credentials:
        return Credentials(self.tokens + other.tokens, self.users + other.users)

    @classmethod
    def parse(cls, text: str, where: str = "credentials") -> Credentials:
        """The credentials of the file format (module docstring) in `text`;
        `CredentialsError` naming `where` and the line for a bad line."""
        found = cls()
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, secret = line.partition(" ")
            try:
                found += _credential(kind.lower(), secret.strip())
            except CredentialsError as error:
                raise CredentialsError(f"{where}, line {number}: {error}") from None
        return found

    @classmethod
    def from_file(cls, path: str | Path) -> Credentials:
        """The credentials in the file at `path`; `CredentialsError` if it cannot
        be read, holds a bad line or none at all."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise CredentialsError(f"cannot read {path}: {reason}") from None
        found = cls.parse(text, str(path))
        if not found:
            raise CredentialsError(f"{path} holds no credentials")
        return found

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Credentials:
        """The credentials of `TOKEN_VARIABLE` and `BASIC_VARIABLE` (unset or
        empty: none); `CredentialsError` for a bad value."""
        found = cls()
        for variable, kind in ((TOKEN_VARIABLE, "bearer"), (BASIC_VARIABLE, "basic")):
            value = environ.get(variable, "").strip()
            if value:
                try:
                    found += _credential(kind, value)
                except CredentialsError as error:
                    raise CredentialsError(f"${variable}: {error}") from None
        return found

    def caller(self, authorization: str | None) -> str | None:
        """The caller an `Authorization` header value authenticates (the Basic
        user, `bearer-N`), or None."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return self._bearer(value)
        if scheme.lower() == "basic" and value:
            return self._basic(value)
        return None

    def challenge(self) -> str:
        """The `WWW-Authenticate` value: the schemes these credentials accept."""
        schemes = []
        if self.tokens:
            schemes.append(f'Bearer realm="{REALM}"')
        if self.users:
            schemes.append(f'Basic realm="{REALM}", charset="UTF-8"')
        return ", ".join(schemes)

    def _bearer(self, token: str) -> str | None:
        """`bearer-N` for the N-th token equal to `token`, else None; compares
        with every token."""
        given = token.encode()
        found = None
        for number, known in enumerate(self.tokens, 1):
            if hmac.compare_digest(given, known.encode()) and found is None:
                found = f"bearer-{number}"
        return found

    def _basic(self, encoded: str) -> str | None:
        """The user that the base64 `user:password` authenticates, else None;
        compares with every pair."""
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user, colon, password = decoded.partition(":")
        if not colon:
            return None
        found = None
        for known_user, known_password in self.users:
            same_user = hmac.compare_digest(user.encode(), known_user.encode())
            same_password = hmac.compare_digest(
                password.encode(), known_password.encode()
            )
            if same_user & same_password and found is None:
                found = known_user
        return found


def _credential(kind: str, secret: str) -> Credentials:
    """One credential: `bearer` TOKEN or `basic` USER:PASSWORD."""
    if kind == "bearer":
        _check_secret(secret, "token", MIN_TOKEN_LENGTH)
        return Credentials(tokens=(secret,))
    if kind == "basic":
        user, colon, password = secret.partition(":")
        if not colon or not user:
            raise CredentialsError("basic wants USER:PASSWORD")
        if any(character.isspace() for character in user):
            raise CredentialsError("a user name holds no whitespace")
        _check_secret(password, "password", MIN_PASSWORD_LENGTH)
        return Credentials(users=((user, password),))
    raise CredentialsError("a credential is 'bearer TOKEN' or 'basic USER:PASSWORD'")


def _check_secret(secret: str, what: str, shortest: int) -> None:
    """`CredentialsError` unless `secret` has `shortest` characters or more and
    no whitespace or control character."""
    if len(secret) < shortest:
        raise CredentialsError(f"the {what} is shorter than {shortest} characters")
    if any(character.isspace() or ord(character) < 32 for character in secret):
        raise CredentialsError(f"the {what} holds whitespace or control characters")


def is_loopback(host: str) -> bool:
    """Whether listening on `host` is reachable from this machine only:
    `localhost` and the loopback addresses (127.0.0.0/8, ::1). Any other name,
    and the empty host (every address), is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


class Failures:
    """Failed authentications by client address, over a sliding start: an
    address's window opens at its first failure and lasts `window` seconds."""

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, tuple[float, int]] = {}

    def wait(self, address: str) -> float:
        """Seconds `address` must wait before it may try again (0: it may)."""
        opened, count = self._seen.get(address, (0.0, 0))
        left = opened + self.window - self.clock()
        if left <= 0:
            self._seen.pop(address, None)
            return 0.0
        return left if count >= self.limit else 0.0

    def failed(self, address: str) -> None:
        """`address` failed once more."""
        now = self.clock()
        opened, count = self._seen.get(address, (now, 0))
        if opened + self.window <= now:
            opened, count = now, 0
        self._seen.pop(address, None)
        self._seen[address] = (opened, count + 1)
        while len(self._seen) > MAX_TRACKED:
            del self._seen[next(iter(self._seen))]


def authentication(credentials: Credentials, failures: Failures | None = None) -> Any:
    """The aiohttp middleware admitting only requests with one of `credentials`
    (module docstring); put it first, so that it answers before anything else."""
    from aiohttp import web

    challenge = credentials.challenge()
    counted = failures if failures is not None else Failures()

    @web.middleware
    async def authenticate(
        request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        address = request.remote or "unknown"
        wait = counted.wait(address)
        if wait > 0:
            return web.json_response(
                {
                    "error": "toomanyfailures",
                    "description": f"{counted.limit} failed authentications "
                    f"within {counted.window:g} s: try again later",
                },
                status=429,
                headers={"Retry-After": str(math.ceil(wait))},
            )
        caller = credentials.caller(request.headers.get("Authorization"))
        if caller is None:
            counted.failed(address)
            return web.json_response(
                {"error": "unauthorized", "description": "authentication required"},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )
        request[caller_key()] = caller
        return await handler(request)

    return authenticate
