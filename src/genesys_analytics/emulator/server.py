"""Serve the emulator with uvicorn: in a background thread (tests, demo) or in the foreground."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from genesys_analytics.emulator.app import create_app
from genesys_analytics.emulator.settings import EmulatorSettings
from genesys_analytics.emulator.state import Clock, EmulatorState
from genesys_analytics.timeutil import fmt, parse_instant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningEmulator:
    """A serving emulator: where it is, how to log in, and its state for tests to inspect."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    now: datetime
    settings: EmulatorSettings = field(repr=False)
    app_state: EmulatorState = field(repr=False)

    def truth(
        self,
        start: str | datetime | None = None,
        end: str | datetime | None = None,
        *,
        dataset: str | None = None,
        content: bool = False,
    ) -> dict[str, Any]:
        """What an exact export holds. Without ``dataset``: the ids (and counts by mediaType)
        of conversations started in [start, end). ``user-details``: ``{"presence":
        [[userId, startTime], ...], "routing": [...]}`` of records started in [start, end).
        ``users``, ``queues``, ``wrapup-codes``, ``divisions``, ``presence-definitions``:
        ``{"ids": [...]}`` (users of every state; no start or end needed).

        ``content=True`` adds the latest content: for conversations ``conversations`` (id ->
        the details-query JSON) and ``sha256`` (id -> hash of its canonical JSON); for user
        details ``records`` (``{userId, kind, startTime, endTime?, status...}``)."""
        params: dict[str, str] = {"content": "1"} if content else {}
        if start is not None:
            params["start"] = fmt(parse_instant(start))
        if end is not None:
            params["end"] = fmt(parse_instant(end))
        if dataset is not None:
            params["dataset"] = dataset
        response = httpx.get(f"{self.base_url}/_emulator/truth", params=params, timeout=60)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def set_now(self, now: str | datetime | None = None, *, advance: str | None = None) -> datetime:
        """Move the emulator's "now" forward to ``now``, or by ``advance`` (e.g. ``"1d"``);
        returns the new now. (``self.now`` stays the now it started with.)"""
        body = {"now": fmt(parse_instant(now))} if now is not None else {"advance": advance}
        response = httpx.post(f"{self.base_url}/_emulator/now", json=body, timeout=60)
        response.raise_for_status()
        return parse_instant(response.json()["now"])

    def startup_line(self) -> dict[str, str]:
        return {
            "base_url": self.base_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "now": fmt(self.now),
        }


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``port=0`` picks a free one)."""
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # every response waits ~40 ms for a delayed ACK (headers and body are two writes).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _QuietDrops(logging.Filter):
    """The ``drop`` fault cuts responses on purpose; uvicorn need not report each one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def make_server(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)  # configures uvicorn's loggers
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in error_log.filters):
        error_log.addFilter(_QuietDrops())
    return server


def describe(app: Starlette, sock: socket.socket) -> RunningEmulator:
    state: EmulatorState = app.state.emu
    host, port = sock.getsockname()[:2]
    return RunningEmulator(
        base_url=f"http://{host}:{port}",
        client_id=state.settings.client_id,
        client_secret=state.settings.client_secret,
        now=state.now,
        settings=state.settings,
        app_state=state,
    )


@contextmanager
def run_emulator(
    settings: EmulatorSettings | None = None, *, clock: Clock | None = None
) -> Iterator[RunningEmulator]:
    """Serve the emulator on a background thread until the ``with`` block ends."""
    settings = settings or EmulatorSettings()
    app = create_app(settings, clock=clock)
    sock = bind_socket(settings.host, settings.port)
    server = make_server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="genesys-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start serving")
            time.sleep(0.005)
        running = describe(app, sock)
        log.info("emulator serving at %s", running.base_url)
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
