"""What a new user trips on (issue 10), run as a user runs it: the CLI as a process.

Against servers that misbehave the way real networks do (one that accepts and never
answers, a web page where the login should be) and against the emulator.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

# Short network settings, so a failing run ends in seconds (and a user can set them too).
FAST = {"GENESYS_TIMEOUT": "0.5", "GENESYS_MAX_ATTEMPTS": "2"}


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)  # held open, never read, never answered

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


class _HtmlPage(BaseHTTPRequestHandler):
    """A web page where the login service should be: 200 and HTML, whatever is asked."""

    def _page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _page
    do_POST = _page

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def plain_env(base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "GENESYSCLOUD"))}
    env.update(
        GENESYS_CLIENT_ID="some-client",
        GENESYS_CLIENT_SECRET="some-secret-value",
        GENESYS_BASE_URL=base_url,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    settings = EmulatorSettings(seed=31, days=3, per_day=150, now=NOW, rate_limit=(6000, 60.0))
    with run_emulator(settings) as running:
        yield running


@pytest.fixture
def fresh_emu() -> Iterator[Any]:
    """An emulator of its own, so its request counters say what this test sent it."""
    settings = EmulatorSettings(seed=32, days=2, per_day=50, now=NOW)
    with run_emulator(settings) as running:
        yield running


# -- item 2: every request has a timeout, the login included --------------------------------


def test_a_server_that_never_answers_ends_in_seconds_naming_host_and_port(tmp_path: Path) -> None:
    with silent_server() as server:
        env = plain_env(f"http://127.0.0.1:{server.port}", **FAST)
        res = run_cli(["volume", "--last", "1d"], env, tmp_path, timeout=60)
        accepted = server.accepted
    assert res.returncode == 7, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"127.0.0.1:{server.port}" in lines[0]
    assert "GENESYS_TIMEOUT" in lines[0]
    assert "some-secret-value" not in res.stderr
    assert accepted == 2, "the login is retried like any other request, up to the attempts"


def test_bad_timeout_settings_are_usage_errors(tmp_path: Path) -> None:
    for name, value in (("GENESYS_TIMEOUT", "soon"), ("GENESYS_MAX_ATTEMPTS", "0")):
        env = plain_env("http://127.0.0.1:9", **{name: value})
        res = run_cli(["volume", "--last", "1d"], env, tmp_path, timeout=60)
        assert res.returncode == 2, res.stderr
        assert name in res.stderr and repr(value) in res.stderr


# -- item 6: a flag overrides the environment ---------------------------------------------


def test_region_flag_overrides_an_environment_base_url(fresh_emu: Any, tmp_path: Path) -> None:
    env = cli_env(fresh_emu, GENESYS_TIMEOUT="2", GENESYS_MAX_ATTEMPTS="1")
    res = run_cli(["volume", "--last", "1d", "--region", "eu-west-1"], env, tmp_path, timeout=60)
    assert res.returncode != 0, "it must not have talked to the emulator of GENESYS_BASE_URL"
    assert "login.mypurecloud.ie:443" in res.stderr
    assert fresh_emu.app_state.counters["requests"] == 0
    assert fresh_emu.app_state.counters["tokens_issued"] == 0


def test_base_url_flag_overrides_an_environment_region(emu: Any, tmp_path: Path) -> None:
    env = cli_env(emu, GENESYS_REGION="atlantis-1")
    env.pop("GENESYS_BASE_URL")
    end = NOW - timedelta(hours=1)
    args = ["volume", "--start", fmt(end - timedelta(hours=6)), "--end", fmt(end)]
    res = run_cli([*args, "--format", "json", "--base-url", emu.base_url], env, tmp_path)
    assert res.returncode == 0, res.stderr
    assert '"total"' in res.stdout


def test_region_and_base_url_together_are_refused(emu: Any, tmp_path: Path) -> None:
    args = ["volume", "--last", "1d", "--region", "eu-west-1", "--base-url", emu.base_url]
    res = run_cli(args, cli_env(emu), tmp_path)
    assert res.returncode == 2
    assert "--region" in res.stderr and "--base-url" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


# -- items 9 and 13: -q, -v and --log-file before or after the subcommand ------------------


def test_quiet_and_verbose_after_the_subcommand(emu: Any, tmp_path: Path) -> None:
    end = NOW - timedelta(hours=1)
    interval = ["--start", fmt(end - timedelta(hours=6)), "--end", fmt(end)]
    out = tmp_path / "q.duckdb"
    res = run_cli(["export", *interval, "--out", str(out), "-q"], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert out.exists()
    res = run_cli(["volume", *interval, "-v"], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert " INFO genesys_analytics." in res.stderr
    res = run_cli(["-q", "volume", *interval], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert " INFO " not in res.stderr


def test_log_file_gets_info_logs_and_never_a_secret(emu: Any, tmp_path: Path) -> None:
    end = NOW - timedelta(hours=1)
    interval = ["--start", fmt(end - timedelta(hours=30)), "--end", fmt(end)]
    log = tmp_path / "run.log"
    args = ["export", *interval, "--out", str(tmp_path / "l.duckdb"), "--log-file", str(log)]
    res = run_cli(args, cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    text = log.read_text()
    assert "checkpointed chunk" in text
    assert " DEBUG " not in text
    assert "checkpointed chunk" not in res.stderr, "without -v the logs go only to the file"
    # -vv before the subcommand: debug, on stderr and in the file (appended, not replaced)
    res = run_cli(["-vv", "--log-file", str(log), *args[:-2]], cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    text = log.read_text()
    assert text.count("checkpointed chunk") >= 2 and " DEBUG " in text
    assert "checkpointed chunk" in res.stderr
    for secret in (emu.client_secret, "Bearer ", "Basic "):
        assert secret not in text and secret not in res.stderr


# -- item 10: messages that say what is true ---------------------------------------------


def test_wrong_secret_with_a_base_url_says_check_the_base_url(emu: Any, tmp_path: Path) -> None:
    env = cli_env(emu, GENESYS_CLIENT_SECRET="wrong-secret")
    res = run_cli(["volume", "--last", "1d"], env, tmp_path)
    assert res.returncode == 3
    assert "GENESYS_REGION" not in res.stderr
    assert emu.base_url in res.stderr and "GENESYS_CLIENT_SECRET" in res.stderr
    assert "wrong-secret" not in res.stderr


def test_an_html_login_page_says_the_answer_was_not_json(tmp_path: Path) -> None:
    with html_server() as url:
        res = run_cli(["volume", "--last", "1d"], plain_env(url, **FAST), tmp_path, timeout=60)
    assert res.returncode == 3, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "not JSON" in lines[0] and f"{url}/oauth/token" in lines[0]
    assert lines[0].count("HTTP 200") == 1
    assert "GENESYS_BASE_URL" in lines[0]


def test_one_chunk_is_one_chunk(emu: Any, tmp_path: Path) -> None:
    end = NOW - timedelta(hours=2)
    args = ["export", "--start", fmt(end - timedelta(hours=1)), "--end", fmt(end)]
    res = run_cli(
        [*args, "--method", "query", "--out", str(tmp_path / "one.duckdb")], cli_env(emu), tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert "(1 chunk)." in res.stderr and "1 chunks" not in res.stderr


@pytest.mark.parametrize("fmt_name", ["jsonl", "duckdb"])
def test_a_live_end_advises_what_works_for_the_format(tmp_path: Path, fmt_name: str) -> None:
    settings = EmulatorSettings(seed=33, days=2, per_day=100)  # its now is this hour
    with run_emulator(settings) as live:
        out = tmp_path / f"live.{fmt_name}"
        args = ["export", "--last", "2h", "--method", "query", "--format", fmt_name]
        res = run_cli([*args, "--out", str(out)], cli_env(live), tmp_path)
    assert res.returncode == 0, res.stderr
    assert "live" in res.stderr
    if fmt_name == "duckdb":
        assert "--incremental" in res.stderr
    else:
        assert "--incremental" not in res.stderr
        assert "export" in res.stderr.split("live", 1)[1]


def test_ctrl_c_before_any_chunk_finished_says_nothing_was_saved(tmp_path: Path) -> None:
    with silent_server() as server:
        env = plain_env(f"http://127.0.0.1:{server.port}", GENESYS_TIMEOUT="30")
        out = tmp_path / "x.jsonl"
        fmt_args = ["--format", "jsonl", "--out", str(out)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "genesys_analytics", "export", "--last", "1d", *fmt_args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while server.accepted == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert server.accepted >= 1, "the export never reached the server"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted: ")
    assert "no chunk was reported finished" in last and "--resume" in last
    assert "finished so far are saved" not in err


def test_emulator_rate_limit_needs_a_window(tmp_path: Path) -> None:
    res = run_cli(["emulator", "--port", "0", "--rate-limit", "5"], plain_env(""), tmp_path, 30)
    assert res.returncode == 2
    assert "N/SECONDS" in res.stderr and "5/60" in res.stderr
