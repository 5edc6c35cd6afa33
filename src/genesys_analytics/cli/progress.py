"""Progress on stderr for long work: chunks, conversations, requests, throttles, ETA.

Belongs to the CLI, never to the library: the exporter only calls the three methods of
``export.Progress``. Silent when stderr is not a terminal or with ``--quiet``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any


class ChunkProgress:
    """A rich progress bar over chunks with live counters from the client's stats."""

    def __init__(self, *, enabled: bool, stats: Any = None, label: str = "export") -> None:
        # rich loads when a command starts work, not when the CLI (or --help) is imported
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.enabled = enabled
        self._stats = stats
        self._conversations = 0
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("chunks · {task.fields[convs]} conversations · {task.fields[reqs]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not enabled,
            transient=False,
        )
        self._task = self._bar.add_task(label, total=None, convs=0, reqs="")

    def __enter__(self) -> ChunkProgress:
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def _requests(self) -> str:
        s = self._stats
        if s is None:
            return ""
        return (
            f"{getattr(s, 'requests', 0)} requests, "
            f"{getattr(s, 'throttled', 0)} throttled, {getattr(s, 'retries', 0)} retries"
        )

    def planned(self, chunks: int) -> None:
        self._bar.update(self._task, total=chunks, reqs=self._requests())

    def page(self, conversations: int) -> None:
        self._conversations += conversations
        self._bar.update(self._task, convs=self._conversations, reqs=self._requests())

    def chunk_done(self, chunk: Any) -> None:
        self._bar.update(self._task, advance=1, reqs=self._requests())
