"""The CLI's surface: help for every command, the README documents each, dates and exit codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from genesys_analytics.cli import cli
from genesys_analytics.cli.options import resolve_interval
from genesys_analytics.errors import EXIT_CODES, ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime(2024, 5, 15, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 20


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_readme_documents_every_command(name: str) -> None:
    assert f"### `genesys-analytics {name}`" in README.read_text()


def readme_section(name: str) -> str:
    text = README.read_text()
    start = text.index(f"### `genesys-analytics {name}`")
    end = text.find("\n### ", start + 1)
    return text[start : end if end > 0 else None]


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_readme_documents_from_for_each_command_that_takes_it(name: str) -> None:
    options = {o for p in cli.commands[name].params for o in getattr(p, "opts", ())}
    if "--from" in options:
        assert "`--from FILE.duckdb`" in readme_section(name), f"{name}: document --from"


def test_only_the_emulator_command_pauses_the_gc() -> None:
    # The command's process is the emulator; in-process emulators (demo, tests) keep the GC.
    from genesys_analytics.cli.emulator import _settings
    from genesys_analytics.emulator import EmulatorSettings

    settings = _settings(
        port=0, host="127.0.0.1", seed=7, days=1, per_day=5, now=None,
        rate_limit=None, fault=(), fault_seed=0,
    )  # fmt: skip
    assert settings.pause_gc
    assert not EmulatorSettings().pause_gc


def test_readme_lists_every_exit_code() -> None:
    text = README.read_text()
    for cls, code in EXIT_CODES.items():
        assert f"| {code} |" in text, f"exit code {code} ({cls.__name__}) missing from README"


def test_resolve_interval_forms() -> None:
    iv = resolve_interval(None, None, "7d", now=NOW)
    assert iv.end == NOW and iv.start == NOW - timedelta(days=7)
    iv = resolve_interval("2024-05-01", "2024-05-02T06:00:00+02:00", None, now=NOW)
    assert iv.start == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert iv.end == datetime(2024, 5, 2, 4, tzinfo=timezone.utc)
    with pytest.raises(ConfigError, match="--start"):
        resolve_interval(None, None, None, now=NOW)
    with pytest.raises(ConfigError, match="not both"):
        resolve_interval("2024-05-01", None, "7d", now=NOW)


def _run_main(args: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    from genesys_analytics.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", "id")
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", "secret")
    monkeypatch.setenv("GENESYS_BASE_URL", "http://127.0.0.1:9")  # never reached
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0)


@pytest.mark.parametrize(
    "dates",
    [["--start", "2024-13-01"], ["--start", "2024-05-03", "--end", "2024-05-02"], []],
)
def test_bad_dates_fail_before_touching_the_output(
    dates: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    code = _run_main(["export", *dates], monkeypatch, tmp_path)
    assert code == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert list(tmp_path.iterdir()) == [], "a usage error must not create the output file"


def test_incremental_into_a_file_format_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    args = ["export", "--incremental", "--start", "2024-05-01", "--format", "jsonl"]
    assert _run_main(args, monkeypatch, tmp_path) == 2
    assert "--format duckdb" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["3 days", "72", "soon"])
def test_a_bad_lookback_is_a_usage_error_before_anything_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any, value: str
) -> None:
    args = ["export", "--incremental", "--lookback", value, "--out", "x.duckdb"]
    assert _run_main(args, monkeypatch, tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: --lookback {value!r} is not a duration; give a number and a unit, "
        "e.g. 72h, 3d or 90m."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_command_exit_code_is_not_swallowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    @cli.command("_exit3")
    def _exit3() -> None:
        raise click.exceptions.Exit(3)

    try:
        assert _run_main(["_exit3"], monkeypatch, tmp_path) == 3
    finally:
        del cli.commands["_exit3"]
