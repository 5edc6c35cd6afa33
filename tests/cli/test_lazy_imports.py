"""The CLI loads only what a command needs: --help loads no server, database or plotting,
nor the API client, the reports or the datasets (their queries, schemas and SQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Run in a fresh interpreter: the test process has imported everything already.
SCRIPT = """
import json, sys
from genesys_analytics import cli

codes = {}
for args in ([], ["export"], ["volume"], ["kpi"], ["report"], ["demo"], ["emulator"], ["agents"]):
    try:
        codes[" ".join(args)] = cli.cli.main(
            args=[*args, "--help"], prog_name="genesys-analytics", standalone_mode=False
        )
    except SystemExit as exc:
        codes[" ".join(args)] = exc.code
heavy = (
    "starlette", "uvicorn", "duckdb", "pyarrow", "matplotlib", "httpx", "rich.progress", "orjson",
    "tempfile", "genesys_analytics.api", "genesys_analytics.reports",
    "genesys_analytics.extraction.datasets", "genesys_analytics.sinks.schema",
)
print(json.dumps({"codes": codes, "loaded": [m for m in heavy if m in sys.modules]}))
"""


@pytest.fixture(scope="module")
def help_run() -> tuple[str, dict]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    *help_text, last = result.stdout.strip().splitlines()
    return "\n".join(help_text), json.loads(last)


def test_help_of_every_command_is_shown(help_run: tuple[str, dict]) -> None:
    text, report = help_run
    commands = ("export", "volume", "kpi", "report", "demo", "emulator", "agents")
    assert report["codes"] == {"": 0, **dict.fromkeys(commands, 0)}
    for usage in ("", *(f" {c}" for c in commands)):
        assert f"Usage: genesys-analytics{usage} [OPTIONS]" in text


def test_help_loads_no_server_database_plotting_client_or_reports(
    help_run: tuple[str, dict],
) -> None:
    _, report = help_run
    assert report["loaded"] == []


def test_package_attributes_load_on_first_use() -> None:
    script = (
        "import sys, genesys_analytics, genesys_analytics.emulator as emu\n"
        "before = [m for m in ('httpx', 'starlette') if m in sys.modules]\n"
        "from genesys_analytics import Client\n"
        "from genesys_analytics.emulator import create_app, run_emulator\n"
        "print(before, Client.__module__, create_app.__module__, run_emulator.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == [
        "[]",
        "genesys_analytics.api.client",
        "genesys_analytics.emulator.app",
        "genesys_analytics.emulator.server",
    ]


def test_unknown_package_attribute_is_an_attribute_error() -> None:
    import genesys_analytics
    import genesys_analytics.emulator

    with pytest.raises(AttributeError):
        _ = genesys_analytics.Clinet
    with pytest.raises(AttributeError):
        _ = genesys_analytics.emulator.run_emulater


# An export whose service does not answer (port 9, one attempt): it loads the client,
# httpx and the store, and ends with an error exit.
EXPORT = """
import atexit, gc, json, sys
atexit.register(lambda: print(json.dumps({
    "loaded": [m for m in ("httpx", "rich", "pygments") if m in sys.modules],
    "frozen": gc.get_freeze_count() > 0,
})))
sys.argv = ["genesys-analytics", "export", "--start", "2024-05-01", "--end", "2024-05-02",
            "--out", sys.argv[1]]
from genesys_analytics.cli import main
main()
"""


def test_a_run_without_a_display_loads_no_rich_and_skips_the_last_collections(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "GENESYS_CLIENT_ID": "id",
        "GENESYS_CLIENT_SECRET": "secret",
        "GENESYS_BASE_URL": "http://127.0.0.1:9",
        "GENESYS_MAX_ATTEMPTS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", EXPORT, str(tmp_path / "out.duckdb")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode not in (0, 1), result.stderr  # the library's error, mapped
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # httpx without its own command-line tool (rich, pygments); no progress display
    assert report == {"loaded": ["httpx"], "frozen": True}
