"""Who may call `/v1/*`. With any active key, every request needs `Authorization: Bearer KEY` (what the
official openai client sends); with none, the server is open, which `vocalis serve` only allows on a
loopback address unless told `--no-auth`. `/metrics` is guarded the same way (and wants an operator key, see
app.py); `/health`, `/ready` and the docs stay open.

The key a request came with is `request.state.api_key` (an ApiKey, or None on an open server): rate
limits and job ownership go by its name."""

from __future__ import annotations

import hmac
import ipaddress
from enum import StrEnum

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from vocalis.errors import VocalisError
from vocalis.service.access import LOCAL, Account
from vocalis.studio.api.errors import error_response
from vocalis.studio.api.keys import KeyStore
from vocalis.trust.audit import local_user

PROTECTED = ("/v1/", "/metrics")
HOW_TO_CREATE = "create one on the server with `vocalis keys create NAME`"


class AuthMode(StrEnum):
    AUTO = "auto"  # keys needed as soon as one exists (a loopback server)
    REQUIRED = "required"  # keys always needed, even while none exists (a server others can reach)
    OFF = "off"  # no keys checked (`--no-auth`)


def startup_auth_mode(host: str, no_auth: bool, store: KeyStore) -> AuthMode:
    """The policy for a server bound to `host`; refuses to expose an open server beyond this machine."""
    if no_auth:
        return AuthMode.OFF
    if is_loopback(host):
        return AuthMode.AUTO
    if not store.any_active():
        raise VocalisError(f"refusing to serve on {host} with no API key: anyone who can reach it could use it. "
                           f"Create a key with `vocalis keys create NAME` (then send `Authorization: Bearer KEY`), "
                           "serve on 127.0.0.1, or pass --no-auth to serve openly on purpose")
    return AuthMode.REQUIRED


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


class AuthMiddleware:
    def __init__(self, app: ASGIApp, store: KeyStore, mode: AuthMode, local_token: str | None = None):
        self.app, self.store, self.mode, self.local_token = app, store, mode, local_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["api_key"] = None
        refusal = None if self.mode is AuthMode.OFF else self._refusal(scope, state)
        if refusal:
            response = error_response(401, refusal, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, state: dict) -> str | None:
        """Why the request may not pass, or None (with its key put in `state`)."""
        secret = _bearer(scope)
        if secret and self.local_token and hmac.compare_digest(secret, self.local_token):
            state["local_user"] = True  # the CLI of the user who owns this data home (service.local_server)
            return None
        key = self.store.find(secret) if secret else None
        if key and not key.revoked:
            state["api_key"] = key
            return None
        if self.mode is AuthMode.AUTO and not self.store.any_active():
            return None  # an open loopback server: a placeholder key (clients often need one) is fine
        if secret is None:
            return f"this server needs an API key: send `Authorization: Bearer KEY` ({HOW_TO_CREATE})"
        if key is None:
            return f"the API key is not valid: check it, or {HOW_TO_CREATE}"
        return f"the API key {key.name!r} was revoked: {HOW_TO_CREATE}"


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            return secret.strip() if scheme.lower() == "bearer" and secret.strip() else ""
    return None


def account(request: Request) -> Account:
    """Whose voices the request may see and change: its key's (an operator key's: all), or all of them for the
    local user and on a server without keys."""
    key = getattr(request.state, "api_key", None)
    return Account(key.name, key.operator) if key else LOCAL


def requester(request: Request) -> str:
    """Who asks, for the audit log: the local user (with the server's local token), the API key's name, or the
    client's address on a server without keys."""
    if getattr(request.state, "local_user", False):
        return local_user()
    key = getattr(request.state, "api_key", None)
    return f"key:{key.name}" if key else f"address:{request.client.host if request.client else '?'}"
