"""Global options anywhere, secrets out of logs, and the messages of issue 10."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from genesys_analytics.cli import cli
from genesys_analytics.cli.export import _interrupted
from genesys_analytics.cli.group import configure_logging
from genesys_analytics.cli.options import ChunkCounter, Context, Redact, make_client, plural
from genesys_analytics.emulator.settings import parse_rate_limit
from genesys_analytics.errors import ConfigError


@pytest.fixture
def no_logging_left() -> Iterator[None]:
    known = set(Redact.secrets)
    yield
    configure_logging(0, None)  # removes the handlers a test installed
    Redact.secrets.clear()
    Redact.secrets.update(known)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_takes_the_global_options(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    for option in ("-q, --quiet", "-v, --verbose", "--log-file PATH"):
        assert option in result.output


def test_global_options_merge_before_and_after() -> None:
    options = Context(quiet=False, verbose=1, log_file=None)
    options.add(quiet=True, verbose=1, log_file=Path("x.log"))
    assert (options.quiet, options.verbose, options.log_file) == (True, 2, Path("x.log"))
    before = Context(log_file=Path("a.log"))
    before.add(quiet=False, verbose=0, log_file=None)
    assert before.log_file == Path("a.log")


def test_log_file_is_appended_and_redacted(tmp_path: Path, no_logging_left: None) -> None:
    log_file = tmp_path / "run.log"
    log_file.write_text("an earlier line\n")
    Redact.add_secret("cid", "s3cret-value")
    configure_logging(0, log_file)
    log = logging.getLogger("genesys_analytics.test")
    log.info("the value is %s", "s3cret-value")
    log.info("header Authorization: Bearer abc.def-ghi")
    log.debug("not at info level")
    configure_logging(0, None)
    text = log_file.read_text()
    assert text.startswith("an earlier line\n"), "a log file is appended to, never replaced"
    assert "the value is ***" in text
    assert "s3cret-value" not in text and "abc.def-ghi" not in text
    assert "not at info level" not in text


def test_log_file_in_a_missing_directory_is_a_usage_error(
    tmp_path: Path, no_logging_left: None
) -> None:
    with pytest.raises(ConfigError, match="--log-file"):
        configure_logging(0, tmp_path / "missing" / "run.log")


def test_region_and_base_url_together_name_what_to_drop() -> None:
    with pytest.raises(ConfigError) as info:
        make_client("eu-west-1", "http://127.0.0.1:9")
    assert "drop --base-url" in str(info.value) and "drop --region" in str(info.value)


def test_plural() -> None:
    assert [plural(n, "chunk") for n in (0, 1, 2, 1000)] == [
        "0 chunks",
        "1 chunk",
        "2 chunks",
        "1,000 chunks",
    ]


def test_chunk_counter_counts_and_passes_on() -> None:
    seen: list[str] = []

    class Inner:
        def planned(self, chunks: int) -> None:
            seen.append(f"planned {chunks}")

        def page(self, records: int) -> None:
            seen.append(f"page {records}")

        def chunk_done(self, chunk: object) -> None:
            seen.append(f"done {chunk}")

    counter = ChunkCounter()
    counter.planned(2)  # before the bar exists: counted, nothing to pass on
    counter.inner = Inner()
    counter.page(5)
    counter.chunk_done("a")
    counter.chunk_done("b")
    assert counter.done == 2
    assert seen == ["page 5", "done a", "done b"]


def test_interrupted_says_what_was_saved(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    none = _interrupted(0, out, continuing=False)
    assert none.startswith("interrupted: no chunk") and "--resume" in none
    assert "little or nothing" in none
    one = _interrupted(1, out, continuing=False)
    assert "1 finished chunk of this run is saved" in one and "--resume" in one
    three = _interrupted(3, out, continuing=True)
    assert "3 finished chunks of this run are saved" in three
    assert "--resume" not in three, "the command already continues; same command again"
    earlier = _interrupted(0, out, continuing=True)
    assert "earlier runs" in earlier and "kept" in earlier


@pytest.mark.parametrize("text", ["5", "5/", "5/0", "0/60", "x/60", "five"])
def test_rate_limit_needs_n_per_seconds(text: str) -> None:
    with pytest.raises(ConfigError, match=r"N/SECONDS|N >= 1"):
        parse_rate_limit(text)


def test_rate_limit_without_a_window_suggests_both_readings() -> None:
    with pytest.raises(ConfigError) as info:
        parse_rate_limit("5")
    assert "5/60" in str(info.value) and "5/1" in str(info.value)
    assert parse_rate_limit(" 50/1 ") == (50, 1.0)
