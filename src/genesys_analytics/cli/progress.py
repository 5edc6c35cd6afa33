"""Progress on stderr for long work: chunks, conversations, requests, throttles, retries, ETA.

Belongs to the CLI, never to the library: the exporter only calls ``planned``, ``page``
and ``chunk_done`` (``extraction.engine.Progress``). Silent when stderr is not a terminal
or with ``--quiet``, and then rich is not even loaded.

Every refresh lays the fields out for the console's width: the bar goes first, then long
words give way to abbreviations, then the fields take two lines; nothing collapses into
an ellipsis while there is room for the numbers. A second line says what the run is
waiting for whenever nothing has arrived for a moment (login, the jobs API, a retry and
why), from the client's ``Stats``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from genesys_analytics.api.stats import Stats, StatsSnapshot

if TYPE_CHECKING:  # rich loads with a display to draw, not for a run without one
    from rich.console import Console, ConsoleOptions
    from rich.live import Live
    from rich.text import Text

BAR_MIN, BAR_MAX = 10, 40
QUIET_AFTER = 3.0  # seconds without a page before the display says what it waits for
RETRY_GRACE = 1.0  # seconds a retry note stays after its wait
JOB_WAIT = "waiting for the jobs API to run the job…"  # no telling how long: no ETA meanwhile

#: Field names per line, for one, two and three lines.
ONE_LINE = (("label", "chunks", "records", "requests", "throttled", "retries", "elapsed", "eta"),)
TWO_LINES = (
    ("label", "chunks", "records", "eta"),
    ("requests", "throttled", "retries", "elapsed"),
)
THREE_LINES = (
    ("label", "chunks", "eta"),
    ("records", "elapsed"),
    ("requests", "throttled", "retries"),
)


@dataclass(frozen=True)
class Layout:
    lines: tuple[tuple[str, ...], ...]
    form: int  # 0 long words, 1 medium, 2 abbreviations
    sep: str
    bar: bool | None  # True: only with a bar; None: a bar if there is room; False: none


#: Tried in order; the first that fits the width wins (the last one is cropped if not).
LAYOUTS = (
    Layout(ONE_LINE, 0, " · ", True),
    Layout(ONE_LINE, 1, " · ", True),
    Layout(ONE_LINE, 1, " · ", False),
    Layout(ONE_LINE, 2, ", ", None),
    Layout(TWO_LINES, 1, " · ", None),
    Layout(TWO_LINES, 2, ", ", None),
    Layout(THREE_LINES, 2, ", ", False),
)


def clock_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 10 or delay == int(delay) else f"{delay:.1f} s"


def waiting_for(activity: str) -> str:
    """What a request in flight means to a person: ``"POST https://…/oauth/token"`` → login."""
    method, _, url = activity.partition(" ")
    parts = urlsplit(url)
    path = parts.path
    if path.endswith("/oauth/token"):
        return f"waiting for login at {parts.netloc}…"
    if path.endswith("/jobs/availability"):
        return "asking the jobs API how recent its data is…"
    if path.endswith("/results"):
        return "reading job results…"
    if (path.endswith("/jobs") and method == "POST") or ("/jobs/" in path and method == "GET"):
        return JOB_WAIT  # submitted, or polled: the jobs API is running it
    if path.endswith("/details/query"):
        return "waiting for the details query…"
    if not path or method == "DELETE":
        return ""
    return f"waiting for {method} {path}…"


class ChunkProgress:
    """A live display over chunks with counters from the client's stats.

    ``console`` (default: stderr) and ``clock`` (monotonic seconds) are seams for tests.
    """

    def __init__(
        self,
        *,
        enabled: bool,
        stats: Stats | None = None,
        label: str = "export",
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.label = label
        self._stats = stats
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._planned: int | None = None
        self._done = 0
        self._records = 0
        self._last_page: float | None = None
        self._seen: dict[str, int] = {}  # records per chunk key (when the engine names it)
        self._totals: dict[str, int] = {}  # totalHits per open chunk key
        self._finished = False
        self._retries_seen = 0
        self._retry_at = 0.0
        self._live: Live | None = None
        if enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                self,
                console=console or Console(stderr=True),
                refresh_per_second=4,
                transient=False,
                redirect_stdout=False,
            )

    # -- the three calls of the export engine --------------------------------------------

    def planned(self, chunks: int) -> None:
        with self._lock:
            self._planned = chunks

    def page(self, records: int, *, chunk: Any = None, total_hits: int | None = None) -> None:
        """``records`` arrived; ``chunk`` and its ``total_hits`` (a query page's), when known."""
        with self._lock:
            self._records += records
            self._last_page = self._clock()
            key = getattr(chunk, "key", None)
            if key is not None:
                self._seen[key] = self._seen.get(key, 0) + records
                if total_hits is not None:
                    self._totals[key] = total_hits

    def chunk_done(self, chunk: Any) -> None:
        with self._lock:
            self._done += 1
            self._totals.pop(getattr(chunk, "key", ""), None)

    # -- the display ----------------------------------------------------------------------

    def __enter__(self) -> ChunkProgress:
        with self._lock:
            self._started = self._clock()
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._finished = True
        if self._live is not None:
            self._live.stop()  # draws the final state: no ETA, no note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        from rich.text import Text

        stats = self._stats.snapshot() if self._stats is not None else StatsSnapshot(0, 0, 0, 0.0)
        with self._lock:
            note = self._note(stats)
            fields = self._fields(stats, note)
            fraction = self._fraction()
        width = options.max_width
        yield from _lay_out(fields, fraction, width)
        if note:
            yield Text(note, style="yellow", no_wrap=True, overflow="ellipsis")

    # -- what to show (called under the lock) ------------------------------------------

    def _expected(self) -> int | None:
        """Records expected in all, when every chunk not done has reported its totalHits."""
        if not self._totals or self._planned is None:
            return None
        if self._done + len(self._totals) < self._planned:
            return None
        open_seen = sum(self._seen.get(key, 0) for key in self._totals)
        return self._records - open_seen + sum(self._totals.values())

    def _fraction(self) -> float | None:
        if not self._planned:
            return 1.0 if self._planned == 0 else None
        expected = self._expected()
        if expected:
            return min(self._records / expected, 1.0)
        partial = sum(
            min(self._seen.get(key, 0) / total, 0.99)
            for key, total in self._totals.items()
            if total > 0
        )
        return min((self._done + partial) / self._planned, 1.0)

    def _eta(self, elapsed: float, note: str) -> str | None:
        if self._finished:
            return None
        fraction = self._fraction()
        if not fraction or note == JOB_WAIT:
            return "?"
        return clock_text(elapsed * (1 - fraction) / fraction)

    def _fields(self, s: StatsSnapshot, note: str) -> dict[str, tuple[str, str, str]]:
        """Each field in three forms: long words, medium, abbreviated."""
        elapsed = self._clock() - self._started
        planned = "?" if self._planned is None else f"{self._planned:,}"
        chunks = f"{self._done:,}/{planned} chunks"
        expected = self._expected()
        n = f"{self._records:,}" + ("" if expected is None else f"/~{expected:,}")
        eta = self._eta(elapsed, note)
        took = clock_text(elapsed)
        fields = {
            "label": (self.label, self.label, self.label),
            "chunks": (chunks, chunks, chunks),
            "records": (f"{n} conversations", f"{n} conv", f"{n} conv"),
            "requests": (f"{s.requests:,} requests", f"{s.requests:,} req", f"{s.requests:,} req"),
            "throttled": (f"{s.throttled:,} throttled",) * 2 + (f"{s.throttled:,} thr",),
            "retries": (_plural(s.retries, "retry", "retries"),) * 2 + (f"{s.retries:,} rty",),
            "elapsed": (f"{took} elapsed", took, took),
        }
        if eta is not None:
            fields["eta"] = (f"ETA {eta}",) * 3
        return fields

    def _note(self, s: StatsSnapshot) -> str:
        """What the run waits for, when nothing arrived for a moment; empty otherwise."""
        if self._finished:
            return ""
        now = self._clock()
        if s.retries > self._retries_seen:
            self._retries_seen, self._retry_at = s.retries, now
        retry = s.last_retry
        if retry is not None and now - self._retry_at < retry.delay + RETRY_GRACE:
            return f"retrying: {retry.reason}, waiting {_seconds(retry.delay)}"
        if self._last_page is not None and now - self._last_page < QUIET_AFTER:
            return ""
        if not s.activity:
            return "starting…" if self._planned is None else ""
        return waiting_for(s.activity)


def _lay_out(
    fields: dict[str, tuple[str, str, str]], fraction: float | None, width: int
) -> list[Text]:
    """The first layout of ``LAYOUTS`` whose lines fit ``width``, as rich text.

    The first line reads "label ━━━━ fields": the bar takes the room left, if enough.
    """
    from rich.cells import cell_len
    from rich.text import Text

    for layout in LAYOUTS:
        first, *others = [_words(fields, names, layout.form) for names in layout.lines]
        label, rest = first[0], layout.sep.join(first[1:])
        lines = [layout.sep.join(words) for words in others]
        room = width - cell_len(label) - cell_len(rest) - 2  # for the bar and its spaces
        if room < -1 or any(cell_len(line) > width for line in lines):
            continue
        bar = min(room, BAR_MAX) if layout.bar is not False and room >= BAR_MIN else 0
        if layout.bar is True and not bar:
            continue
        break
    return [_label_line(label, rest, bar, fraction)] + [
        Text(line, no_wrap=True, overflow="ellipsis") for line in lines
    ]


def _words(fields: dict[str, tuple[str, str, str]], names: Sequence[str], form: int) -> list[str]:
    return [fields[name][form] for name in names if name in fields]


def _label_line(label: str, rest: str, bar: int, fraction: float | None) -> Text:
    """The label in bold, the bar (``bar`` cells, none if 0), then the other fields."""
    from rich.text import Text

    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(label, style="bold")
    if bar:
        filled = round(bar * (fraction or 0.0))
        text.append(" ")
        text.append("━" * filled, style="bar.complete")
        text.append("━" * (bar - filled), style="bar.back")
    if rest:
        text.append(" " + rest)
    return text


__all__ = ["ChunkProgress", "clock_text", "waiting_for"]
