"""The CLI's surface: help for every command, the README documents each, dates and exit codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from genesys_analytics.cli import cli, resolve_interval
from genesys_analytics.errors import EXIT_CODES, ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"
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
