"""``export()`` from Python against a real emulator: exact, resumable, and run-scoped stopping."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genesys_analytics import Client, ExportResult, export
from genesys_analytics.api.pacing import SystemClock
from genesys_analytics.api.retry import RetryPolicy
from genesys_analytics.emulator import EmulatorSettings, RunningEmulator, run_emulator
from genesys_analytics.errors import ConfigError, ServerError
from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.timeutil import Interval

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)
START, END = NOW - timedelta(days=3), NOW - timedelta(hours=2)


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(seed=5, days=4, per_day=150, now=NOW, rate_limit=(6000, 60.0))
    with run_emulator(settings) as running:
        yield running


def client_of(emu: RunningEmulator, **kw: Any) -> Client:
    return Client(emu.client_id, emu.client_secret, base_url=emu.base_url, **kw)


def stored_ids(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(
            r[0] for r in con.execute("select conversation_id from conversations").fetchall()
        )
    finally:
        con.close()


def test_export_from_python_is_exact(emu: RunningEmulator, tmp_path: Path) -> None:
    out = tmp_path / "week.duckdb"
    with client_of(emu) as client:
        result = export(client, START, END, out=out, workers=3)
    assert isinstance(result, ExportResult)
    truth = emu.truth(START, END)
    assert stored_ids(out) == truth["ids"]
    assert result.interval == Interval(START, END)
    assert result.records == {"conversations": result.conversations}
    assert result.conversations >= truth["total"] > 0
    assert result.chunks_done == 1 and result.stats.methods == {"job": 1}  # auto: one job
    assert result.chunks_skipped == 0


class StopAfter:
    """A progress callback that stops the run (as Ctrl-C would) after ``n`` chunks."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.done = 0

    def planned(self, chunks: int) -> None:
        pass

    def page(self, records: int) -> None:
        pass

    def chunk_done(self, chunk: Any) -> None:
        self.done += 1
        if self.done >= self.n:
            raise KeyboardInterrupt


@pytest.mark.parametrize("fmt", ["duckdb", "jsonl"])
def test_an_interrupted_export_resumes_exactly(
    emu: RunningEmulator, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    with client_of(emu) as client:
        with pytest.raises(KeyboardInterrupt):
            export(client, START, END, out=out, format=fmt, method="query", progress=StopAfter(1))
        assert fmt == "duckdb" or not out.exists(), "an interrupted file must not look whole"
        result = export(client, START, END, out=out, format=fmt, method="query", resume=True)
    assert result.chunks_skipped >= 1
    truth = emu.truth(START, END)["ids"]
    if fmt == "duckdb":
        assert stored_ids(out) == truth
    else:
        ids = [
            line.split('"conversationId":"')[1].split('"')[0]
            for line in out.read_text().splitlines()
        ]
        assert sorted(ids) == truth


def test_incremental_from_python_continues_where_the_store_ends(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "inc.duckdb"
    middle = START + timedelta(days=1)
    with client_of(emu) as client:
        export(client, START, middle, out=out)
        later = export(client, end=END, out=out, incremental=True, lookback="0h")
        assert later.interval.end == END
        assert START <= later.interval.start <= middle  # open records may keep it back
        assert stored_ids(out) == emu.truth(START, END)["ids"]
        # the default lookback (72 h) reads again, but never before the store's start
        again = export(client, end=END, out=out, incremental=True)
    assert again.interval == Interval(START, END)
    assert again.reread == {"conversations": Interval(START, END)}
    assert again.changes["conversations"][0] == 0  # nothing new: it had everything
    assert stored_ids(out) == emu.truth(START, END)["ids"]


def test_bad_arguments_are_config_errors(emu: RunningEmulator, tmp_path: Path) -> None:
    with client_of(emu) as client:
        with pytest.raises(ConfigError, match="format"):
            export(client, START, END, out=tmp_path / "x", format="xlsx")
        with pytest.raises(ConfigError, match="dataset"):
            export(client, START, END, out=tmp_path / "x.duckdb", datasets=["nope"])
        with pytest.raises(ConfigError, match="timezone"):
            export(client, datetime(2024, 5, 1), END, out=tmp_path / "x.duckdb")
        with pytest.raises(ConfigError, match="--start"):
            export(client, out=tmp_path / "none.duckdb", incremental=True)
    assert not (tmp_path / "x").exists()


class RecordingClock(SystemClock):
    """The real clock, remembering how long each wait was meant to last."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        super().sleep(seconds)


class FailingSink:
    def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
        raise OSError("disk full")

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        pass

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return {}


def test_a_failed_export_leaves_the_client_pacing(tmp_path: Path) -> None:
    # 8 requests per second: the 20 pages of one day's query need about two windows.
    settings = EmulatorSettings(seed=3, days=2, per_day=1000, now=NOW, rate_limit=(8, 1.0))
    with run_emulator(settings) as emu:
        clock = RecordingClock()
        with client_of(emu, clock=clock) as client:
            day = Interval(
                datetime(2024, 5, 14, tzinfo=timezone.utc),
                datetime(2024, 5, 15, tzinfo=timezone.utc),
            )
            with pytest.raises(OSError, match="disk full"):
                Exporter(client, ExportRequest(day, method="query", workers=1)).run(FailingSink())
            assert not clock.interrupted, "stopping belongs to the run that stopped"
            throttled = client.stats.throttled
            clock.waits.clear()
            details = client.conversation_details(day.start, day.end, page_size=50)
            ids = [c["conversationId"] for c in details]
            assert len(ids) > 16 * 50, "enough pages to need pacing over two windows"
            assert client.stats.throttled == throttled, "a paced client draws no 429"
            assert sum(clock.waits) >= 0.5, "the limiter waited between windows"


# -- issue 10: the output is checked first, holds its interval, and a failure leaves nothing


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable() -> Client:
    """A client every request of which fails at once: a ConfigError from it means no request."""
    return Client(
        "id", "secret", base_url=f"http://127.0.0.1:{closed_port()}", policy=RetryPolicy(1)
    )


@pytest.mark.parametrize("fmt", ["duckdb", "jsonl", "parquet"])
def test_a_run_that_fails_before_a_chunk_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    with unreachable() as client, pytest.raises(ServerError):
        export(client, START, END, out=tmp_path / "new" / "sub" / "out", format=fmt)
    assert list(tmp_path.iterdir()) == []


def test_the_output_is_checked_before_any_request(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text("precious\n")
    with unreachable() as client:
        with pytest.raises(ConfigError, match="not an earlier jsonl export"):
            export(client, START, END, out=notes, format="jsonl")
        with pytest.raises(ConfigError, match="not a DuckDB database"):
            export(client, START, END, out=notes)
        with pytest.raises(ServerError):  # forced: it goes on to the (failing) requests
            export(client, START, END, out=notes, format="jsonl", force=True)
    assert notes.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jsonl"]


def test_a_staged_export_is_never_discarded_silently(emu: RunningEmulator, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with client_of(emu) as client:
        with pytest.raises(KeyboardInterrupt):
            export(client, START, END, out=out, format="csv", method="query", progress=StopAfter(1))
        with pytest.raises(ConfigError, match="add --resume to continue it"):
            export(client, START, END, out=out, format="csv")
        with pytest.raises(ConfigError, match="resume it with --format csv"):
            export(client, START, END, out=out, format="jsonl", resume=True)
        result = export(client, START, END, out=out, format="jsonl", resume=True, force=True)
    assert result.chunks_skipped == 0, "forced: started over in the new format"
    lines = (out / "conversations.jsonl").open()  # --out without an ending: a directory
    ids = sorted(line.split('"conversationId":"')[1].split('"')[0] for line in lines)
    assert ids == emu.truth(START, END)["ids"]


def test_a_store_resumed_with_another_interval_keeps_what_it_holds(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "store.duckdb"
    middle = START + timedelta(days=1)
    with client_of(emu) as client:
        export(client, START, middle, out=out, method="query")
        later = export(client, START + timedelta(hours=12), END, out=out, resume=True)
    assert later.chunks_skipped >= 1, "what the store holds of the interval is not read again"
    assert stored_ids(out) == emu.truth(START, END)["ids"], "a store holds every interval"
