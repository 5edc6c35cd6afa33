"""Arrow columns typed as the DuckDB schema says: the types, and the vector operations the
conversation tables are cut with (:mod:`genesys_analytics.sinks.columns`).

Timestamps in the API's own form are parsed by Arrow, any other string by :func:`parse_ts`
(an unparseable one is NULL); numbers become BIGINT rounded half to even (beyond it, NULL).
pyarrow is imported when a batch is flattened, not with the package.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

from genesys_analytics.sinks.schema import Table

if TYPE_CHECKING:
    import pyarrow as pa

UTC = timezone.utc
#: Timestamps Arrow parses exactly as :func:`parse_ts` would (anything else goes to it).
_API_TIME = r"^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"


@cache
def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type that holds a column of DuckDB type ``sql_type`` (JSON as text)."""
    import pyarrow as pa

    if sql_type.endswith("[]"):
        return pa.list_(arrow_type(sql_type[:-2]))
    types = {
        "VARCHAR": pa.string(),
        "JSON": pa.string(),
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
        "BOOLEAN": pa.bool_(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "DATE": pa.date32(),
    }
    return types[sql_type]


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of ``table``: its columns, in order, with :func:`arrow_type` types."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.sql_type)) for c in table.columns])


def parse_ts(value: Any) -> datetime | None:
    """An API timestamp (``...Z`` or an offset) as an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt if dt.utcoffset() == UTC.utcoffset(None) else dt.astimezone(UTC)
    except OverflowError:  # past year 9999 (or before year 1) in UTC
        return None


def timestamps(text: pa.Array) -> pa.Array:
    """Strings parsed as instants (UTC); unparseable, NULL."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = arrow_type("TIMESTAMPTZ")
    strings = len(text) - text.null_count
    if not strings or pc.sum(pc.match_substring_regex(text, _API_TIME)).as_py() == strings:
        try:  # every string is in the API's own form
            return text.cast(kind)
        except pa.ArrowInvalid:  # a form that is not a valid date (e.g. February 30th)
            pass
    return pa.array([parse_ts(v) for v in text.to_pylist()], kind)


def bigint(values: pa.Array) -> pa.Array:
    """DOUBLE values rounded half to even as BIGINT (beyond BIGINT: NULL); BIGINT as is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.type == pa.int64():
        return values
    rounded = pc.round(values, 0, round_mode="half_to_even")
    fits = pc.and_(pc.greater_equal(rounded, -(2.0**63)), pc.less(rounded, 2.0**63))
    return pc.if_else(fits, rounded, None).cast(pa.int64())


def duration_ms(starts: pa.Array, ends: pa.Array) -> pa.Array:
    """``round((end - start).total_seconds() * 1000)``, half to even, as the reference does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    micros = pc.subtract(ends.cast(pa.int64()), starts.cast(pa.int64()))
    seconds = pc.divide(micros.cast(pa.float64()), 1e6)
    millis = pc.round(pc.multiply(seconds, 1000.0), 0, round_mode="half_to_even")
    return millis.cast(pa.int64())


def children(lists: pa.ListArray, *, index: bool = False) -> Any:
    """The objects in ``lists`` (nulls dropped), the row of each one's parent, and, with
    ``index``, each one's position in its list (nulls counted)."""
    import pyarrow.compute as pc

    items = lists.flatten()
    parent = pc.list_parent_indices(lists)
    found = [items, parent]
    if index:  # a flattened item's index, less where its list starts among them
        offsets = lists.offsets
        start = pc.subtract(offsets.take(parent), offsets[0])
        found.append(pc.subtract(positions(len(items)), start))
    if items.null_count:
        valid = items.is_valid()
        found = [a.filter(valid) for a in found]
    return tuple(found)


def distinct_sorted(n: int, owner: pa.Array, values: pa.Array) -> pa.Array:
    """Per row ``0..n-1``: the distinct non-null ``values`` it owns, sorted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pairs = pa.table({"o": owner, "v": values}).filter(values.is_valid())
    pairs = pairs.group_by(["o", "v"], use_threads=False).aggregate([])
    pairs = pairs.sort_by([("o", "ascending"), ("v", "ascending")])
    owners = pairs.column("o").combine_chunks().cast(pa.int32())
    # each row's items end where the run of its owner ends (or the last run before it does)
    runs = pc.run_end_encode(owners, run_end_type=pa.int32())
    run = pc.index_in(positions(n), value_set=runs.values)
    ends = pc.fill_null_forward(runs.run_ends.take(run)).fill_null(0)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends.cast(pa.int32())])
    return pa.ListArray.from_arrays(offsets, pairs.column("v").combine_chunks())


def positions(n: int) -> pa.Array:
    """``0, 1, …, n - 1`` as int32, built by Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.subtract(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int32()), n)), 1)


__all__ = [
    "arrow_schema",
    "arrow_type",
    "bigint",
    "children",
    "distinct_sorted",
    "duration_ms",
    "parse_ts",
    "positions",
    "timestamps",
]
