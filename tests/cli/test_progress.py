"""The progress display rendered into a fixed-width console, on an injected clock."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from rich.console import Console

from genesys_analytics.api.stats import Stats
from genesys_analytics.cli.progress import ChunkProgress, clock_text, waiting_for

LOGIN = "POST https://login.mypurecloud.ie/oauth/token"
JOBS = "https://api.mypurecloud.ie/api/v2/analytics/conversations/details/jobs"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class FakeChunk:
    key: str
    method: str = "query"


def console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)


def render(progress: ChunkProgress, width: int) -> list[str]:
    out = console(width)
    out.print(progress)
    return out.file.getvalue().splitlines()  # type: ignore[attr-defined]


def busy_run(clock: Clock) -> tuple[ChunkProgress, Stats]:
    """3 of 9 chunks done after 12 s: 12,345 conversations, 210 requests, 4 throttled."""
    stats = Stats()
    stats.add(requests=210, throttled=4)
    progress = ChunkProgress(enabled=False, stats=stats, clock=clock)
    for _ in range(5):
        stats.retrying("429 throttled", 1.0)
    render(progress, 80)  # the display sees the retries as they happen
    progress.planned(9)
    progress.page(12_345)
    for i in range(3):
        progress.chunk_done(FakeChunk(f"c{i}"))
    clock.now += 12
    progress.page(0)  # a page just arrived: nothing to wait for
    return progress, stats


@pytest.mark.parametrize("width", [40, 60, 80, 120, 160])
def test_every_field_shows_at_every_width_without_cropping(width: int) -> None:
    clock = Clock()
    progress, _ = busy_run(clock)
    clock.now += 5  # the retries' notes are over; the last page was 5 s ago
    progress.page(0)
    lines = render(progress, width)
    text = "\n".join(lines)
    assert "…" not in text
    assert all(len(line) <= width for line in lines), lines
    assert "export" in text
    assert "3/9 chunks" in text
    assert "12,345 conv" in text
    assert re.search(r"\b210 req", text)
    assert re.search(r"\b4 thr(ottled)?\b", text)
    assert re.search(r"\b5 (rty|retries)\b", text)
    assert "0:00:17" in text  # elapsed
    assert "ETA 0:00:34" in text  # 3 of 9 chunks in 17 s: 34 s to go


@pytest.mark.parametrize("width", [80, 120])
def test_one_line_at_80_columns_and_wider(width: int) -> None:
    progress, _ = busy_run(Clock())
    assert len(render(progress, width)) == 1


def test_the_bar_goes_first_then_words_shorten_then_two_lines() -> None:
    progress, _ = busy_run(Clock())
    wide, mid, narrow = render(progress, 120), render(progress, 100), render(progress, 60)
    assert "━" in wide[0] and "3/9 chunks · 12,345 conv · 210 req" in wide[0]
    assert "━" not in mid[0] and "4 throttled · 5 retries" in mid[0]  # no bar, words kept
    assert len(narrow) == 2 and "ETA" in narrow[0] and "210 req" in narrow[1]


def test_long_words_where_there_is_room() -> None:
    progress, _ = busy_run(Clock())
    [line] = render(progress, 200)
    assert "12,345 conversations · 210 requests" in line and "0:00:12 elapsed" in line


def test_before_the_first_response_it_says_it_is_logging_in() -> None:
    clock, stats = Clock(), Stats()
    progress = ChunkProgress(enabled=False, stats=stats, clock=clock)
    assert render(progress, 80)[-1] == "starting…"
    stats.sending("POST", "https://login.mypurecloud.ie/oauth/token")
    lines = render(progress, 80)
    assert lines[0].startswith("export 0/? chunks")
    assert lines[-1] == "waiting for login at login.mypurecloud.ie…"


def test_while_a_job_runs_it_says_it_waits_for_the_jobs_api() -> None:
    clock, stats = Clock(), Stats()
    progress = ChunkProgress(enabled=False, stats=stats, clock=clock)
    stats.sending("GET", f"{JOBS}/availability")
    assert render(progress, 80)[-1] == "asking the jobs API how recent its data is…"
    progress.planned(1)
    stats.sending("POST", JOBS)
    stats.sending("GET", f"{JOBS}/0b1c")
    clock.now += 90
    lines = render(progress, 80)
    assert "0/1 chunks" in lines[0] and "ETA ?" in lines[0] and "0:01:30" in lines[0]
    assert lines[-1] == "waiting for the jobs API to run the job…"


def test_the_waiting_note_hides_while_pages_arrive_and_returns_when_they_stop() -> None:
    clock, stats = Clock(), Stats()
    progress = ChunkProgress(enabled=False, stats=stats, clock=clock)
    progress.planned(2)
    stats.sending("POST", "https://api.test/api/v2/analytics/conversations/details/query")
    assert render(progress, 80)[-1] == "waiting for the details query…"
    progress.page(100)
    assert len(render(progress, 80)) == 1
    clock.now += 5
    assert render(progress, 80)[-1] == "waiting for the details query…"


def test_a_retry_says_why_and_how_long_until_its_wait_is_over() -> None:
    clock = Clock()
    progress, stats = busy_run(clock)
    stats.retrying("429 throttled", 3.0)
    lines = render(progress, 80)
    assert lines[-1] == "retrying: 429 throttled, waiting 3 s"
    assert re.search(r"\b6 rty\b", lines[0])
    clock.now += 3.5
    assert render(progress, 80)[-1] == "retrying: 429 throttled, waiting 3 s"
    clock.now += 1
    progress.page(1)
    assert len(render(progress, 80)) == 1


def test_expected_total_and_eta_from_records_when_totalhits_are_known() -> None:
    clock = Clock()
    progress = ChunkProgress(enabled=False, stats=Stats(), clock=clock)
    progress.planned(2)
    small, big = FakeChunk("a"), FakeChunk("b")
    progress.page(100, chunk=small, total_hits=100)
    progress.chunk_done(small)
    progress.page(0, chunk=big)  # a job batch says no total
    [line] = render(progress, 120)
    assert "100 conv" in line and "/~" not in line  # not every chunk said its total
    progress.page(200, chunk=big, total_hits=900)
    clock.now += 30
    progress.page(0)
    [line] = render(progress, 120)
    assert "300/~1,000 conv" in line
    assert "ETA 0:01:10" in line  # 300 of 1,000 records in 30 s, not 1 of 2 chunks


def test_eta_counts_the_part_of_an_open_chunk_its_totalhits_tells() -> None:
    clock = Clock()
    progress = ChunkProgress(enabled=False, stats=Stats(), clock=clock)
    progress.planned(4)
    progress.page(50, chunk=FakeChunk("a"), total_hits=100)
    clock.now += 10
    progress.page(0)
    [line] = render(progress, 120)
    assert "ETA 0:01:10" in line  # half of one chunk of four: 1/8 done in 10 s


def test_entering_and_leaving_draws_the_final_state_on_the_console() -> None:
    clock, stats = Clock(), Stats()
    out = console(80)
    with ChunkProgress(enabled=True, stats=stats, clock=clock, console=out) as progress:
        stats.add(requests=7)
        progress.planned(2)
        progress.page(1_146)
        progress.chunk_done(FakeChunk("a"))
        progress.chunk_done(FakeChunk("b"))
        clock.now += 61
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.file.getvalue())  # type: ignore[attr-defined]
    final = [line for line in screen.splitlines() if line.strip()][-1]
    assert "2/2 chunks" in final and "1,146 conv" in final and "7 req" in final
    assert "0:01:01" in final and "ETA" not in final


def test_disabled_draws_nothing() -> None:
    out = console(80)
    with ChunkProgress(enabled=False, stats=Stats(), console=out) as progress:
        progress.planned(1)
        progress.page(5)
        progress.chunk_done(FakeChunk("a"))
    assert out.file.getvalue() == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("activity", "says"),
    [
        (LOGIN, "waiting for login at login.mypurecloud.ie…"),
        (f"POST {JOBS}", "waiting for the jobs API to run the job…"),
        (f"GET {JOBS}/abc", "waiting for the jobs API to run the job…"),
        (f"GET {JOBS}/abc/results", "reading job results…"),
        (f"DELETE {JOBS}/abc", ""),
        ("GET https://api.test/api/v2/routing/queues", "waiting for GET /api/v2/routing/queues…"),
        ("", ""),
    ],
)
def test_waiting_for_names_the_request_in_words(activity: str, says: str) -> None:
    assert waiting_for(activity) == says


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 59.9, 61, 3600 * 12 + 1)] == [
        "0:00:00",
        "0:00:59",
        "0:01:01",
        "12:00:01",
    ]
