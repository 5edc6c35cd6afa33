"""The ASGI layer in front of every route: correlation ids, rate windows, bearer checks,
faults and the ``inin-*`` headers on every response."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from collections.abc import MutableMapping
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genesys_analytics.emulator.responses import ApiError, error_body
from genesys_analytics.emulator.state import EmulatorState

log = logging.getLogger(__name__)

API_PREFIX = "/api/v2/"
TOKEN_PATH = "/oauth/token"
EMULATOR_PREFIX = "/_emulator/"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from a Basic header, or None."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization or authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:].strip() or None


class Gateway:
    """Wraps the router; answers rate-limit, auth and injected-fault errors itself."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        state.counters["requests"] += 1
        cid = str(uuid.uuid4())
        scope["correlation_id"] = cid
        path: str = scope["path"]
        authorization = _header(scope, b"authorization")
        api = path.startswith(API_PREFIX)
        if path == TOKEN_PATH:
            creds = basic_credentials(authorization)
            key, enforce = f"client:{creds[0] if creds else ''}", True
        elif api:
            state.arrived()
            token = bearer_token(authorization)
            key, enforce = f"token:{token or ''}", token is not None
        else:
            key, enforce = "other", False
        window = state.windows.hit(key, enforce=enforce)
        headers = {"inin-correlation-id": cid, **window.headers()}
        if window.over:
            state.counters["rate_limited"] += 1
            await self._error(send, state.windows.too_many(window), cid, headers)
            return
        if api:
            denied = self._check_bearer(authorization)
            if denied is not None:
                await self._error(send, denied, cid, headers)
                return
            delay = state.faults.latency()
            if delay > 0:
                await asyncio.sleep(delay)
            fault = state.faults.request_error()
            if fault is not None:
                await self._error(send, fault, cid, headers)
                return
            if state.faults.drop():
                await self.app(scope, receive, _Truncating(send, headers, self.state))
                return
        sender = _with_headers(send, headers, self.state)
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await sender(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("emulator error on %s %s", scope.get("method"), path)
            if started:
                raise
            err = ApiError(500, "internal.server.error", "The emulator failed on this request.")
            await self._error(send, err, cid, headers)

    def _check_bearer(self, authorization: str | None) -> ApiError | None:
        token = bearer_token(authorization)
        if token is None:
            return ApiError(
                401, "authentication.required", "No authentication bearer token specified."
            )
        known = self.state.tokens.get(token)
        if known is None:
            return ApiError(401, "bad.credentials", "Invalid login credentials.")
        if self.state.clock() >= known.expires_at:
            return ApiError(401, "credentials.expired", "The bearer token has expired.")
        return None

    async def _error(self, send: Send, err: ApiError, cid: str, headers: dict[str, str]) -> None:
        body = orjson.dumps(error_body(err.status, err.code, err.message, cid))
        all_headers = {**headers, **err.headers}
        await _with_headers(send, all_headers, self.state)(
            {
                "type": "http.response.start",
                "status": err.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _count_status(state: EmulatorState, message: MutableMapping[str, Any]) -> None:
    status = int(message["status"])
    state.counters[f"status.{status}"] += 1
    if status == 429:
        state.counters["responses_429"] += 1


def _with_headers(send: Send, headers: dict[str, str], state: EmulatorState) -> Send:
    extra = _encoded(headers)

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [*message.get("headers", []), *extra]
            _count_status(state, message)
        await send(message)

    return sender


class _Truncating:
    """The drop fault: buffer the response, send its headers and half its body, then stop
    (the server closes the connection because the response never completed)."""

    def __init__(self, send: Send, headers: dict[str, str], state: EmulatorState) -> None:
        self._send = _with_headers(send, headers, state)
        self._start: Message | None = None
        self._body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            return
        self._body += message.get("body", b"")
        if message.get("more_body", False):
            return
        await self._send(self._start)
        half = bytes(self._body[: max(1, len(self._body) // 2)])
        await self._send({"type": "http.response.body", "body": half, "more_body": True})
