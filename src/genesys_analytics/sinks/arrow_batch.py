"""A batch of conversations flattened to Arrow tables for the DuckDB store.

Built on the caller's thread (:meth:`ArrowBatch.of`, Arrow's JSON reader in C++ beside the
fetch threads: :mod:`genesys_analytics.sinks.ndjson`), then registered and inserted by the
store's writer thread.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from genesys_analytics.sinks.flatten import ConversationStorage


@dataclass(frozen=True)
class ArrowBatch:
    """A batch of records flattened to Arrow tables (on the caller's thread), with the range
    of its records' start (None when one has none) for the lookup of stored copies."""

    tables: dict[str, pa.Table]
    rows: int
    bounds: tuple[Any, Any] | None

    @classmethod
    def of(cls, storage: ConversationStorage, lines: Sequence[bytes]) -> ArrowBatch:
        import pyarrow.compute as pc

        _system_memory_pool()
        tables = storage.arrow_tables(lines)
        first = tables[storage.tables[0].name]
        bounds = None
        if first.num_rows and storage.start is not None:
            column = first.column(storage.start[0])
            if not column.null_count:
                found = pc.min_max(column)
                bounds = (found["min"].as_py(), found["max"].as_py())
        return cls(tables, first.num_rows, bounds)


@functools.cache
def _system_memory_pool() -> None:
    """Arrow allocates with the C library's malloc from here on, not its own mimalloc pool.

    mimalloc keeps what a batch freed for the next (tens of MB at the peak of an export);
    glibc, as an export sets it up (:mod:`genesys_analytics.extraction.allocator`), maps
    large blocks on their own and gives them back when they are freed.
    """
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


__all__ = ["ArrowBatch"]
