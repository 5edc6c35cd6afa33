"""One thread that runs a store's DuckDB statements, in order, beside the thread that feeds it.

DuckDB releases the GIL while it runs a statement, so while this thread inserts and
commits one batch, the caller's thread flattens the next (two cores busy instead of
one). :meth:`Worker.submit` queues a job and returns at once (it blocks only while
``depth`` jobs already wait: the caller's back-pressure); :meth:`Worker.wait_for_room`
waits until no job waits (the one running may go on), so a caller that builds a job's data
only then holds at most one job's data beside the running one's; :meth:`Worker.call` waits
for a job's result. A job that raises stops the
worker: every later job is skipped, and the error is raised to the caller at its next
``submit`` or ``call``. ``idle``, if given, runs once the queue has stayed empty for
``idle_after`` seconds (work that can wait for a pause, e.g. folding a database's log: a
feeder that keeps the worker busy never waits for it, one that pauses does not pay for it
at its end); then not again before the next job. Its error is a job's error. ``translate``,
if given, turns a job's error into the one the caller is to see (e.g. a database's own
error into the library's).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Job:
    run: Callable[[], Any]
    done: threading.Event | None = None
    result: list[Any] = field(default_factory=list)


class Worker:
    """Jobs run one after another on a thread of their own (see the module doc)."""

    def __init__(
        self,
        *,
        depth: int = 2,
        name: str = "duckdb-writer",
        idle: Callable[[], Any] | None = None,
        idle_after: float = 0.0,
        translate: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=depth)
        self._idle = idle
        self._idle_after = idle_after
        self._translate = translate
        self._worked = False  # a job ran since the idle work last ran
        self._error: BaseException | None = None
        self._skip = False  # set by stop(abort=True): queued jobs are dropped
        self._queued = 0  # jobs put and not yet taken by the thread
        self._taken = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, run: Callable[[], Any]) -> None:
        """Queue ``run`` after what is queued; raise the error a job met, if any."""
        self.check()
        self._put(_Job(run))

    def wait_for_room(self) -> None:
        """Wait until the thread has taken every job queued (the last may still be running)."""
        with self._taken:
            while self._queued and self._thread.is_alive():
                self._taken.wait(timeout=1.0)

    def call(self, run: Callable[[], T]) -> T:
        """Run ``run`` after what is queued and return its result (or raise its error)."""
        self.check()
        job = _Job(run, threading.Event())
        self._put(job)
        assert job.done is not None
        job.done.wait()
        self.check()
        if not job.result:
            raise RuntimeError("the store is closing: nothing more runs")
        result: T = job.result[0]
        return result

    def check(self) -> None:
        """Raise the error a job met (every time: the store behind it is in doubt)."""
        if self._error is not None:
            raise self._error

    @property
    def failed(self) -> bool:
        return self._error is not None

    def stop(self, *, abort: bool = False, interrupt: Callable[[], Any] | None = None) -> None:
        """End the thread: after the queued jobs, or (``abort``) dropping them and calling
        ``interrupt`` to cut a running one short."""
        if abort:
            self._skip = True
            if interrupt is not None:
                interrupt()
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _put(self, job: _Job) -> None:
        with self._taken:
            self._queued += 1
        self._jobs.put(job)

    def _loop(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            with self._taken:
                self._queued -= 1
                self._taken.notify_all()
            try:
                if self._error is None and not self._skip:
                    self._worked = True
                    job.result.append(job.run())
            except BaseException as exc:  # raised to the caller by check()
                self._fail(exc)
            finally:
                if job.done is not None:
                    job.done.set()
                del job  # nothing of the store held while waiting: it can be collected

    def _next(self) -> _Job | None:
        """The next job; if none comes within ``idle_after`` seconds, the idle work first."""
        if self._idle is None or not self._worked:
            return self._jobs.get()
        try:
            return self._jobs.get(timeout=self._idle_after or None, block=self._idle_after > 0)
        except queue.Empty:
            pass
        self._worked = False
        if self._error is None and not self._skip:
            try:
                self._idle()
            except BaseException as exc:  # raised to the caller by check()
                self._fail(exc)
        return self._jobs.get()

    def _fail(self, exc: BaseException) -> None:
        if self._translate is not None and isinstance(exc, Exception):
            translated = self._translate(exc)
            if translated is not exc:
                translated.__cause__ = exc
            exc = translated
        self._error = exc


__all__ = ["Worker"]
