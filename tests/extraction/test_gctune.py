"""The collector's thresholds are relaxed while an export runs, and restored after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from genesys_analytics.extraction.engine import Exporter, ExportRequest
from genesys_analytics.extraction.gctune import RELAXED, relaxed_gc
from genesys_analytics.timeutil import Interval
from tests.extraction.test_engine import DAY, FakeClient, MemorySink, _convs


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_thresholds_are_relaxed_inside_and_restored_after() -> None:
    with relaxed_gc():
        assert gc.get_threshold() == RELAXED
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_after_an_error() -> None:
    with pytest.raises(KeyError), relaxed_gc():
        raise KeyError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_runs_restore_only_when_the_last_ends() -> None:
    first, second = relaxed_gc(), relaxed_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == RELAXED  # the second run is still going
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_thresholds_set_higher_are_kept() -> None:
    gc.set_threshold(500_000, 5, 5)
    with relaxed_gc():
        assert gc.get_threshold() == (500_000, 50, 1000)
    assert gc.get_threshold() == (500_000, 5, 5)


def test_an_export_runs_with_relaxed_thresholds() -> None:
    seen: list[tuple[int, int, int]] = []

    class Watching(MemorySink):
        def write(self, dataset: str, records: list[dict[str, Any]]) -> int:
            seen.append(gc.get_threshold())
            assert threading.current_thread() is threading.main_thread()
            return super().write(dataset, records)

    iv = Interval(DAY, DAY + timedelta(days=1))
    sink = Watching()
    Exporter(FakeClient(_convs(10)), ExportRequest(iv, page_size=2, method="query")).run(sink)
    assert seen and set(seen) == {RELAXED}
    assert gc.get_threshold() == (700, 10, 10)
