"""A sink for reports: it keeps what a report needs of each record, in memory, and no
checkpoints (a report reads its interval whole each time)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Collector:
    """Subclasses implement ``write``; a report reads time-based datasets only."""

    def write(self, dataset: str, records: Iterable[dict[str, Any]]) -> int:
        raise NotImplementedError

    def checkpoint(self, dataset: str, chunk_key: str, meta: dict[str, Any]) -> None:
        pass

    def done_chunks(self, dataset: str) -> dict[str, dict[str, Any]]:
        return {}

    def begin_snapshot(self, dataset: str) -> None:
        raise TypeError(f"a report collects time-based records, not the {dataset} list")


__all__ = ["Collector"]
