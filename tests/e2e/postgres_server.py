"""A real, throwaway Postgres for tests: Debian's binaries, a temp data dir, a free port.

``initdb`` and ``postgres`` refuse to run as root, so as root the server runs as the
``nobody`` user (``subprocess``'s ``user=``/``group=``, no ``su`` or ``sudo`` needed) in a
directory it owns. It listens on 127.0.0.1 only, trusts local connections, and is shut
down (fast shutdown, then kill) and deleted when the context ends.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2

START_TIMEOUT = 30.0


def postgres_bin() -> Path | None:
    """The directory of ``initdb`` and ``postgres``: Debian's newest, else the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_postgres(bindir: Path) -> Iterator[str]:
    """Start a server; yield its connection URL (user ``postgres``, database ``postgres``)."""
    as_root = os.geteuid() == 0
    owner = pwd.getpwnam("nobody") if as_root else None
    run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
    root = Path(tempfile.mkdtemp(prefix="genesys-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if owner:
        for path in (root, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
            timeout=120,
            cwd=root,
            **run_as,  # type: ignore[arg-type]
        )
        port = free_port()
        server = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=root,
            **run_as,  # type: ignore[arg-type]
        )
        url = f"postgresql://postgres:unused@127.0.0.1:{port}/postgres"
        _wait_until_up(server, url)
        yield url
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            err = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise RuntimeError(f"postgres exited with {server.returncode}: {err[-2000:]}")
        try:
            psycopg2.connect(url, connect_timeout=2).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
    if server.stderr:
        server.stderr.close()
