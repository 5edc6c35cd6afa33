"""The export engine's pure parts and its loop, with a fake client and an in-memory sink."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from genesys_analytics.api.paging import Page, PageNumberInBody, Pager, PageRequest
from genesys_analytics.api.queries import CONVERSATION_DETAILS, DetailsApi
from genesys_analytics.errors import AuthError, IncompleteExport, ServerError
from genesys_analytics.extraction import engine
from genesys_analytics.extraction.checkpoints import incremental_start
from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.extraction.fetch import trim
from genesys_analytics.extraction.inflight import InFlight, json_size
from genesys_analytics.extraction.keys import DistinctKeys
from genesys_analytics.extraction.plan import remaining
from genesys_analytics.timeutil import Interval, fmt, parse_instant

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)


def conv(cid: str, start: datetime, end: datetime | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"conversationId": cid, "conversationStart": fmt(start)}
    if end:
        c["conversationEnd"] = fmt(end)
    return c


def test_trim_is_half_open() -> None:
    iv = Interval(DAY, DAY + timedelta(hours=1))
    convs = [
        conv("a", DAY - timedelta(milliseconds=1)),
        conv("b", DAY),
        conv("c", DAY + timedelta(minutes=59, seconds=59, milliseconds=999)),
        conv("d", DAY + timedelta(hours=1)),
        {"conversationId": "e", "conversationStart": "2024-05-01T00:30:00+00:00"},
    ]
    kept = trim(convs, "conversationStart", iv)
    assert [c["conversationId"] for c in kept] == ["b", "c", "e"]


def test_subtract_gaps() -> None:
    iv = Interval(DAY, DAY + timedelta(days=4))
    covered = [
        Interval(DAY + timedelta(days=1), DAY + timedelta(days=2)),
        Interval(DAY - timedelta(days=1), DAY + timedelta(hours=6)),
    ]
    gaps = remaining(iv, covered)
    assert gaps == [
        Interval(DAY + timedelta(hours=6), DAY + timedelta(days=1)),
        Interval(DAY + timedelta(days=2), DAY + timedelta(days=4)),
    ]
    assert remaining(iv, [iv]) == []
    assert remaining(iv, []) == [iv]


def test_incremental_start_prefers_first_live_chunk() -> None:
    done = {
        "a": {"start": fmt(DAY), "end": fmt(DAY + timedelta(days=1)), "live": False},
        "b": {
            "start": fmt(DAY + timedelta(days=1)),
            "end": fmt(DAY + timedelta(days=2)),
            "live": True,
        },
    }
    assert incremental_start(done) == DAY + timedelta(days=1)
    done["b"]["live"] = False
    assert incremental_start(done) == DAY + timedelta(days=2)
    assert incremental_start({}) is None


def DetailsPage(number: int, total_hits: int, conversations: list[dict[str, Any]]) -> Page:
    """A details page as the service would describe it (the fakes below speak this)."""
    return Page(number, conversations, total_hits)


class MemorySink:
    def __init__(self, done: dict[str, dict[str, Any]] | None = None) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.writes = 0
        self.checkpoints: dict[str, dict[str, Any]] = dict(done or {})

    def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
        assert dataset == "conversations"
        self.writes += len(records)
        for c in records:
            self.rows[c["conversationId"]] = c
        return len(records)

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        assert dataset == "conversations" and chunk_key.startswith("conversations ")
        self.checkpoints[chunk_key] = meta

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return dict(self.checkpoints)


class FakeClient:
    """Serves a fixed set of conversations through details pages; can fail or drift."""

    def __init__(self, convs: list[dict[str, Any]], page_size: int = 2) -> None:
        self.convs = sorted(convs, key=lambda c: c["conversationStart"])
        self.page_size = page_size
        self.queries: list[str] = []
        self.fail_first: dict[str, BaseException] = {}
        self.drift: dict[str, dict[str, Any]] = {}
        self.matched: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.interrupts = self.resumes = 0

    def job_availability(self, api: DetailsApi = CONVERSATION_DETAILS) -> datetime:
        return DAY - timedelta(days=30)

    def interrupt(self) -> None:
        self.interrupts += 1

    def resume(self) -> None:
        self.resumes += 1

    def details_pages(
        self,
        body: dict[str, Any],
        *,
        api: DetailsApi = CONVERSATION_DETAILS,
        start_page: int = 1,
        page_size: int = 100,
        prefetch: int = 1,
    ) -> Iterator[Page]:
        """The client's own paging loop over :meth:`details_page` (the fake service)."""

        def send(request: PageRequest) -> dict[str, Any]:
            assert request.json is not None
            page = self.details_page(request.json, request.state, page_size=page_size)
            return {"totalHits": page.total_hits, "conversations": page.items}

        paginator = PageNumberInBody(api.query, body, page_size=page_size, start_page=start_page)
        return iter(Pager(send, paginator, prefetch=prefetch))

    def job_pages(self, body: dict[str, Any], **kw: Any) -> Iterator[Page]:
        raise AssertionError("this fake serves details queries only")

    def on_read(self, key: str) -> None:
        """Called (under the lock) when a read of ``key`` starts with page 1."""

    def details_page(self, body: dict[str, Any], number: int, *, page_size: int) -> Page:
        key = body["interval"]
        with self.lock:
            if number == 1:
                self.queries.append(key)
                exc = self.fail_first.pop(key, None)
                if exc is not None:
                    raise exc
                self.on_read(key)
                days = set(Interval.parse(key).days_touched())
                self.matched[key] = [
                    c for c in self.convs if parse_instant(c["conversationStart"]).date() in days
                ]
            if number == 2:
                extra = self.drift.pop(key, None)
                if extra is not None:
                    self.matched[key].insert(0, extra)
                    self.convs.append(extra)
            matched = self.matched[key]
            page = matched[(number - 1) * page_size : number * page_size]
            return DetailsPage(number, len(matched), page)


def _convs(n: int) -> list[dict[str, Any]]:
    return [conv(f"c{i:03d}", DAY + timedelta(hours=5 * i)) for i in range(n)]


def test_exporter_reads_every_conversation_exactly_once() -> None:
    convs = _convs(20)
    client = FakeClient(convs)
    sink = MemorySink()
    iv = Interval(DAY + timedelta(hours=3), DAY + timedelta(days=3))
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=3)).run(sink)
    expected = {
        c["conversationId"]
        for c in convs
        if iv.contains(datetime.fromisoformat(c["conversationStart"].replace("Z", "+00:00")))
    }
    assert set(sink.rows) == expected
    assert sink.writes == len(expected)
    assert stats.chunks_done == 3 == len(sink.checkpoints)  # one per UTC day touched
    assert all(not m["live"] for m in sink.checkpoints.values())


def test_server_error_retries_the_chunk() -> None:
    client = FakeClient(_convs(10))
    iv = Interval(DAY, DAY + timedelta(days=1))
    client.fail_first[iv.iso()] = ServerError("boom", status=503)
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(sink)
    assert stats.chunks_retried == 1
    assert len(sink.rows) == 5


def test_504_splits_the_chunk() -> None:
    client = FakeClient(_convs(10))
    iv = Interval(DAY, DAY + timedelta(days=1))
    client.fail_first[iv.iso()] = ServerError("too heavy", status=504)
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=2)).run(sink)
    assert stats.chunks_split == 1
    assert len(sink.checkpoints) == 2
    assert len(sink.rows) == 5


def test_auth_error_is_not_retried() -> None:
    client = FakeClient(_convs(10))
    iv = Interval(DAY, DAY + timedelta(days=1))
    client.fail_first[iv.iso()] = AuthError("bad credentials", status=401)
    with pytest.raises(AuthError):
        Exporter(client, ExportRequest(iv, page_size=2, method="query")).run(MemorySink())


def test_persistent_failure_names_the_chunk() -> None:
    class Broken(FakeClient):
        def details_page(self, body: dict[str, Any], number: int, *, page_size: int) -> Page:
            raise ServerError("down", status=503)

    iv = Interval(DAY, DAY + timedelta(days=1))
    with pytest.raises(IncompleteExport, match=r"2024-05-01T00:00:00.000Z.*--resume"):
        Exporter(Broken([]), ExportRequest(iv, page_size=2, method="query")).run(MemorySink())


def test_drift_triggers_a_reread_that_catches_the_newcomer() -> None:
    convs = _convs(5)
    client = FakeClient(convs)
    iv = Interval(DAY, DAY + timedelta(days=1))
    newcomer = conv("late", DAY + timedelta(minutes=1))
    client.drift[iv.iso()] = newcomer
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(sink)
    assert stats.rereads == 1
    assert "late" in sink.rows
    assert len(sink.rows) == 6


def test_resume_skips_checkpointed_intervals() -> None:
    client = FakeClient(_convs(20))
    iv = Interval(DAY, DAY + timedelta(days=3))
    first_day = Interval(DAY, DAY + timedelta(days=1))
    done = {
        f"conversations {first_day.iso()}": {
            "start": fmt(first_day.start),
            "end": fmt(first_day.end),
            "live": False,
        }
    }
    sink = MemorySink(done)
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", resume=True)).run(sink)
    assert first_day.iso() not in client.queries
    assert stats.chunks_done == 2 and stats.chunks_skipped == 1


def test_live_chunk_is_marked() -> None:
    client = FakeClient(_convs(4))
    iv = Interval(DAY, DAY + timedelta(days=1))
    sink = MemorySink()
    Exporter(
        client,
        ExportRequest(iv, page_size=2, method="query"),
        now=lambda: DAY + timedelta(hours=23, minutes=59, seconds=30),
    ).run(sink)
    assert [m["live"] for m in sink.checkpoints.values()] == [True]


def test_incremental_start_goes_back_to_the_first_hole() -> None:
    # An interrupted run (without --resume) checkpointed days 0 and 2 but not day 1:
    # continuing from the last end would leave day 1 missing for good.
    def span(a: int, b: int) -> dict[str, Any]:
        return {"start": fmt(DAY + timedelta(days=a)), "end": fmt(DAY + timedelta(days=b))}

    done = {"d0": span(0, 1), "d2": span(2, 3)}
    assert incremental_start(done) == DAY + timedelta(days=1)
    done["d1"] = span(1, 2)
    assert incremental_start(done) == DAY + timedelta(days=3)
    done["d1"]["live"] = True  # a live chunk is read again
    assert incremental_start(done) == DAY + timedelta(days=1)


@pytest.mark.parametrize("length", [timedelta(milliseconds=1), timedelta(seconds=30)])
def test_504_on_a_chunk_too_short_to_split_is_retried_not_a_crash(length: timedelta) -> None:
    client = FakeClient(_convs(3))
    iv = Interval(DAY, DAY + length)
    client.fail_first[iv.iso()] = ServerError("too heavy", status=504)
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(
        MemorySink()
    )
    assert stats.chunks_split == 0 and stats.chunks_retried == 1
    assert stats.chunks_done == 1


def test_a_live_chunk_that_keeps_growing_is_exported_and_marked_live() -> None:
    # New conversations start while the last minute is paged, on every read: decisions.md
    # §3 exports a live chunk after the merged re-read and records that it may grow.
    class Busy(FakeClient):
        arrivals = 0

        def on_read(self, key: str) -> None:
            Busy.arrivals += 1
            self.drift[key] = conv(f"new{Busy.arrivals}", DAY + timedelta(hours=1))

    client = Busy(_convs(5))
    iv = Interval(DAY, DAY + timedelta(days=1))
    sink = MemorySink()
    now = DAY + timedelta(hours=23, minutes=59, seconds=30)
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query"), now=lambda: now).run(
        sink
    )
    assert stats.rereads == 1 and stats.live_chunks == 1
    assert [m["live"] for m in sink.checkpoints.values()] == [True]
    assert "new1" in sink.rows  # what arrived during the first read is in the second


def test_pages_after_the_first_are_fetched_in_parallel_and_kept_in_order() -> None:
    # Pages 2..5 meet at a barrier: only a reader with four pages in flight gets past it.
    barrier = threading.Barrier(4, timeout=10)

    class Concurrent(FakeClient):
        def details_page(self, body: dict[str, Any], number: int, *, page_size: int) -> Page:
            if 2 <= number <= 5:
                barrier.wait()
            return super().details_page(body, number, page_size=page_size)

    convs = [conv(f"c{i:02d}", DAY + timedelta(minutes=30 * i)) for i in range(20)]
    client = Concurrent(convs)
    sink = MemorySink()
    iv = Interval(DAY, DAY + timedelta(days=1))
    request = ExportRequest(iv, page_size=2, method="query", workers=1, page_parallel=4)
    stats = Exporter(client, request).run(sink)
    assert list(sink.rows) == [c["conversationId"] for c in convs]  # written in page order
    assert stats.pages == 11  # ten full pages and the empty one that ends the read
    assert stats.rereads == 0


def test_a_slice_still_over_the_cap_is_read_with_a_job() -> None:
    jobs: list[str] = []

    class Huge(FakeClient):
        def job_availability(self, api: DetailsApi = CONVERSATION_DETAILS) -> datetime:
            return DAY + timedelta(hours=1)

        def details_page(self, body: dict[str, Any], number: int, *, page_size: int) -> Page:
            return DetailsPage(number, 250_000, [])

        def job_pages(self, body: dict[str, Any], **kw: Any) -> Iterator[Page]:
            start = Interval.parse(body["interval"]).start
            jobs.append(fmt(start))
            return iter([Page(1, [conv(f"j{fmt(start)}", start)])])

    iv = Interval(DAY, DAY + timedelta(minutes=1))
    sink = MemorySink()
    stats = Exporter(Huge([]), ExportRequest(iv, method="query")).run(sink)
    assert jobs == [fmt(DAY)]
    assert stats.methods == {"job": 1}
    assert list(sink.rows) == [f"j{fmt(DAY)}"]


def test_a_slice_over_the_cap_too_new_for_jobs_says_when_to_come_back() -> None:
    class Huge(FakeClient):
        def details_page(self, body: dict[str, Any], number: int, *, page_size: int) -> Page:
            return DetailsPage(number, 250_000, [])

    iv = Interval(DAY, DAY + timedelta(minutes=1))
    with pytest.raises(IncompleteExport, match="newer than the data the jobs API has"):
        Exporter(Huge([]), ExportRequest(iv, method="query")).run(MemorySink())


def test_a_chunk_that_moves_on_every_read_is_split_until_reads_hold_still() -> None:
    # A newcomer lands before page 2 of every read of a chunk longer than six hours.
    class Restless(FakeClient):
        arrivals = 0

        def on_read(self, key: str) -> None:
            if Interval.parse(key).duration > timedelta(hours=6):
                Restless.arrivals += 1
                self.drift[key] = conv(f"new{Restless.arrivals}", DAY + timedelta(minutes=1))

    client = Restless(_convs(5))
    iv = Interval(DAY, DAY + timedelta(days=1))
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(sink)
    assert stats.chunks_split >= 2  # one day -> halves -> quarters of six hours
    assert {f"new{i}" for i in range(1, Restless.arrivals + 1)} <= set(sink.rows)
    assert stats.conversations == len(sink.rows), "re-reads are not counted as new records"
    assert stats.conversations < sink.writes


def test_rereads_are_counted_once() -> None:
    client = FakeClient(_convs(5))
    iv = Interval(DAY, DAY + timedelta(days=1))
    client.drift[iv.iso()] = conv("late", DAY + timedelta(minutes=1))
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(sink)
    assert stats.rereads == 1 and sink.writes > len(sink.rows)
    assert stats.conversations == len(sink.rows) == 6


class JobClient(FakeClient):
    """Serves one job whose results come in the given pages."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        super().__init__([])
        self.result_pages = pages

    def job_availability(self, api: DetailsApi = CONVERSATION_DETAILS) -> datetime:
        return DAY + timedelta(days=30)

    def job_pages(self, body: dict[str, Any], **kw: Any) -> Iterator[Page]:
        return iter(Page(n, items) for n, items in enumerate(self.result_pages, start=1))


def test_a_job_checkpoints_each_utc_day_its_ordered_results_have_passed() -> None:
    day = [DAY + timedelta(days=d, hours=12) for d in range(3)]
    client = JobClient([[conv("a", day[0])], [conv("b", day[1])], [conv("c", day[2])]])
    iv = Interval(DAY, DAY + timedelta(days=3))
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, method="job")).run(sink)
    spans = sorted((m["start"], m["end"]) for m in sink.checkpoints.values())
    assert spans == [
        (fmt(DAY), fmt(DAY + timedelta(days=1))),
        (fmt(DAY), fmt(DAY + timedelta(days=3))),  # the whole job, when it ended
        (fmt(DAY + timedelta(days=1)), fmt(DAY + timedelta(days=2))),
    ]
    assert stats.days_sealed == 2 and stats.conversations == 3


def test_job_results_out_of_order_seal_no_more_days() -> None:
    day = [DAY + timedelta(days=d, hours=12) for d in range(3)]
    client = JobClient([[conv("b", day[1])], [conv("a", day[0])], [conv("c", day[2])]])
    iv = Interval(DAY, DAY + timedelta(days=3))
    sink = MemorySink()
    stats = Exporter(client, ExportRequest(iv, method="job")).run(sink)
    # day 0 was sealed when "b" arrived (nothing of day 0 had been seen): a real service
    # that does not order its results must not get a day sealed after the disorder shows.
    assert stats.days_sealed == 1
    assert set(sink.rows) == {"a", "b", "c"}


class LongJobClient(JobClient):
    """One job of ``days`` days of ``per_day`` ended conversations, made page by page."""

    def __init__(self, days: int, per_day: int, page: int = 500) -> None:
        super().__init__([])
        self.days, self.per_day, self.page = days, per_day, page

    def job_pages(self, body: dict[str, Any], **kw: Any) -> Iterator[Page]:
        number = 0
        for d in range(self.days):
            for first in range(0, self.per_day, self.page):
                number += 1
                starts = [
                    DAY + timedelta(days=d, seconds=i) for i in range(first, first + self.page)
                ]
                yield Page(number, [conv(f"{d}-{s.time()}", s, s) for s in starts])


class CountingSink(MemorySink):
    def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
        self.writes += len(records)
        return len(records)


def _job_export_held(days: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, dict[str, Any]]:
    """Conversations counted, the most keys held at once, and the whole job's checkpoint."""
    most = [0]
    add = DistinctKeys.add

    def counting_add(self: DistinctKeys, records: Any) -> int:
        new = add(self, records)
        most[0] = max(most[0], self.held)
        return new

    monkeypatch.setattr(DistinctKeys, "add", counting_add)
    sink = CountingSink()
    iv = Interval(DAY, DAY + timedelta(days=days))
    stats = Exporter(LongJobClient(days, 1000, 250), ExportRequest(iv, method="job")).run(sink)
    whole = next(m for m in sink.checkpoints.values() if m["end"] == fmt(iv.end))
    return stats.conversations, most[0], whole


def test_a_long_job_holds_the_keys_of_its_unfinished_days_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keys a job chunk holds do not grow with its days (it held every key it saw):
    at most a day's and the next page's, however many days the job spans."""
    short, short_held, _ = _job_export_held(2, monkeypatch)
    long, long_held, whole = _job_export_held(7, monkeypatch)
    assert (short, long, whole["records"]) == (2000, 7000, 7000)
    assert long_held == short_held <= 1000 + 250, (short_held, long_held)


class Rec(dict[str, Any]):
    """A record a test can watch with a weak reference."""


class WrittenEvents(engine._NoProgress):
    def __init__(self) -> None:
        self.written = threading.Event()

    def page(self, records: int) -> None:
        self.written.set()


def test_a_written_page_is_let_go_before_the_next_is_fetched() -> None:
    """Worker, fetch loop and writer each held the last page until the next one came."""
    progress = WrittenEvents()
    held: list[weakref.ref[Rec]] = []
    kept: list[int] = []  # pages fetched while a page already written was still alive

    def job_pages(body: dict[str, Any], **kw: Any) -> Iterator[Page]:
        for n in range(3):
            if n:
                assert progress.written.wait(10), "the writer never wrote the last page"
                progress.written.clear()
                if any(r() is not None for r in held):
                    kept.append(n)
            recs = [Rec(conv(f"{n}-{i}", DAY + timedelta(hours=n, minutes=i))) for i in range(3)]
            held.extend(weakref.ref(r) for r in recs)
            yield Page(n + 1, recs)
            del recs

    client = JobClient([])
    client.job_pages = job_pages  # type: ignore[method-assign]
    request = ExportRequest(Interval(DAY, DAY + timedelta(days=1)), method="job", workers=1)
    stats = Exporter(client, request, progress=progress).run(CountingSink())
    assert (stats.conversations, kept) == (9, [])


def test_cancel_stops_the_run_between_writes() -> None:
    cancel = threading.Event()

    class Cancelling(MemorySink):
        def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
            cancel.set()  # as a SIGINT handler would, while the first page is written
            return super().write(dataset, records)

    client = FakeClient(_convs(20))
    iv = Interval(DAY, DAY + timedelta(days=3))
    sink = Cancelling()
    with pytest.raises(KeyboardInterrupt):
        Exporter(
            client, ExportRequest(iv, page_size=2, method="query", workers=1), cancel=cancel
        ).run(sink)
    assert sink.checkpoints == {} and client.interrupts == 1 and client.resumes == 1


def test_a_service_that_never_answers_is_not_read_again_chunk_by_chunk() -> None:
    client = FakeClient(_convs(10))
    iv = Interval(DAY, DAY + timedelta(days=1))
    client.fail_first[iv.iso()] = ServerError("login.example:443 never answered")  # no status
    with pytest.raises(ServerError, match="never answered"):
        Exporter(client, ExportRequest(iv, page_size=2, method="query", workers=1)).run(
            MemorySink()
        )
    assert client.queries == [iv.iso()]


def test_a_chunk_with_open_conversations_records_how_many() -> None:
    convs = _convs(8)  # 5 h apart over two days: none ended yet but ``closed``
    closed = {f"c{i:03d}" for i in (0, 1, 2, 5, 6, 7)}
    for c in convs:
        if c["conversationId"] in closed:
            c["conversationEnd"] = c["conversationStart"]
    sink = MemorySink()
    iv = Interval(DAY, DAY + timedelta(days=2))
    stats = Exporter(FakeClient(convs), ExportRequest(iv, method="query")).run(sink)
    by_start = {m["start"]: m["open"] for m in sink.checkpoints.values()}
    assert by_start == {fmt(DAY): 2, fmt(DAY + timedelta(days=1)): 0}  # c003, c004 on day 0
    assert stats.open_chunks == 1


def test_a_sealed_day_of_a_job_records_its_own_open_records() -> None:
    day = [DAY + timedelta(days=d, hours=12) for d in range(3)]
    ended = conv("a", day[0], day[0] + timedelta(minutes=5))
    client = JobClient([[ended, conv("b", day[1])], [conv("c", day[2])]])
    sink = MemorySink()
    Exporter(client, ExportRequest(Interval(DAY, DAY + timedelta(days=3)), method="job")).run(sink)
    spans = sorted((m["start"], m["end"], m["open"]) for m in sink.checkpoints.values())
    assert spans == [
        (fmt(DAY), fmt(DAY + timedelta(days=1)), 0),  # sealed, its one conversation ended
        (fmt(DAY), fmt(DAY + timedelta(days=3)), 2),
        (fmt(DAY + timedelta(days=1)), fmt(DAY + timedelta(days=2)), 1),
    ]


def test_an_incremental_run_reads_the_lookback_again_and_open_chunks_until_closed() -> None:
    convs = _convs(12)  # 5 h apart: days 0, 1 and 2
    iv = Interval(DAY, DAY + timedelta(days=3))
    sink = MemorySink()
    day = timedelta(days=1)
    for d in range(3):
        start = DAY + d * day
        key = f"conversations {fmt(start)}/{fmt(start + day)} query"
        sink.checkpoints[key] = {
            "start": fmt(start),
            "end": fmt(start + day),
            "live": False,
            "open": int(d == 1),
        }
    request = ExportRequest(iv, method="query", incremental=True, lookback=timedelta(hours=12))
    client = FakeClient(convs)
    stats = Exporter(client, request).run(sink)
    # the resume point is day 1 (it had an open record); 12 h before it is read again
    assert stats.reread == {"conversations": Interval(DAY + timedelta(hours=12), iv.end)}
    assert min(Interval.parse(q).start for q in client.queries) == DAY + timedelta(hours=12)
    assert stats.chunks_skipped == 0  # day 0 is read again in part


def test_room_in_flight_is_waited_for_and_freed_by_the_writer() -> None:
    in_flight = InFlight(10)
    stop = threading.Event()
    in_flight.reserve(6, stop)
    in_flight.reserve(4, stop)  # fits exactly
    got = threading.Event()

    def worker() -> None:
        in_flight.reserve(5, stop)
        got.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not got.wait(0.05), "11 of 10 bytes must wait for the writer"
    in_flight.release(6)
    assert got.wait(5) and in_flight.used == 9
    thread.join(5)
    alone = InFlight(10)
    alone.reserve(50, stop)  # a page larger than the limit still goes when nothing is held
    assert alone.used == 50


def test_json_size_estimates_from_the_first_and_last_record() -> None:
    records = [{"a": "x" * 10}, {"a": "y" * 30}] * 5
    assert json_size(records) == 10 * (len(b'{"a":""}') + 20)
    assert json_size([]) == 0


def test_pages_in_flight_stay_within_the_byte_bound_while_the_writer_stalls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pad = "x" * 5_000  # each conversation ~5 KB of JSON, a page of 2 ~10 KB
    convs = [{**c, "pad": pad} for c in _convs(60)]
    client = FakeClient(convs)
    monkeypatch.setattr(engine, "OUTBOX_BYTES", 30_000)  # room for ~3 pages
    request = ExportRequest(
        Interval(DAY, DAY + timedelta(days=13)), page_size=2, method="query", workers=4
    )
    exporter = Exporter(client, request)
    held: list[int] = []

    class StallingSink(MemorySink):
        def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
            if not held:  # the first write waits until the workers wait for room
                settled = threading.Event()
                for _ in range(500):
                    if exporter._in_flight.waiting >= request.workers:
                        break
                    settled.wait(0.01)
                held.append(exporter._in_flight.used)
            return super().write(dataset, records)

    sink = StallingSink()
    exporter.run(sink)
    assert len(sink.rows) == 60 and exporter._in_flight.used == 0
    # the bound, plus at most one page a worker (a chunk's first, its size not yet known)
    assert 0 < held[0] <= 30_000 + request.workers * 10_200
