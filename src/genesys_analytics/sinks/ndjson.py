"""Conversations as lines of JSON → the tables of :mod:`.columns`, without Python dicts.

A file export spools each record as ``orjson.dumps`` wrote it. Parsing those bytes into
dicts, only for Arrow to convert the dicts, costs more than the rest of a CSV or Parquet
export; :func:`conversation_tables_json` has Arrow's JSON reader build the batch's nested
array (:func:`~genesys_analytics.sinks.columns.nested_type`) from the bytes in C++ instead,
and each line is its record's ``raw`` as it stands.

The reader is as strict as the tables: a string column given a number, a list given an
object, a metric value given a boolean, a participant's ``attributes`` that are not an
object make it refuse the batch. What it reads is then
typed exactly as :func:`~genesys_analytics.sinks.columns.conversation_tables` types it, but
for what it would type loosely: a metric value whose magnitude reaches 2**53 (a double
does not hold every such integer), a null among a conversation's participants (not
counted), a null or a repeat among its division ids (skipped, kept once). A batch with any
of these, or one the reader refuses, is flattened from dicts by ``conversation_tables``.
Python parses only the records whose participants have ``attributes`` (kept as JSON text).
The lines are read as they are joined (objects need no separator), so each record's ``raw``
is a slice of the reader's own buffer, not a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import orjson

from genesys_analytics.sinks.columns import conversation_tables, cut_tables, nested_type

if TYPE_CHECKING:
    import pyarrow as pa

#: From this magnitude on, not every integer is a double.
_EXACT = 2.0**53


def conversation_tables_json(lines: Sequence[bytes]) -> dict[str, pa.Table]:
    """The tables of the records ``lines``, each a record as ``orjson.dumps`` wrote it.

    The same tables, row for row, as ``conversation_tables`` of the parsed records (see the
    module doc for how).
    """
    tables = read_tables(lines)
    if tables is None:
        return conversation_tables([orjson.loads(line) for line in lines])
    return tables


def read_tables(lines: Sequence[bytes]) -> dict[str, pa.Table] | None:
    """The tables as Arrow's JSON reader gives them, or None if it refuses the batch or
    would type it loosely (see the module doc)."""
    if not lines:
        return None
    import pyarrow as pa

    data = pa.py_buffer(b"".join(lines))  # read by Arrow, and each record's ``raw`` as it is
    nested = _read(data, len(lines))
    if nested is None:
        return None
    offsets = pa.array(accumulate(map(len, lines), initial=0), pa.int32())
    raw = pa.StringArray.from_buffers(len(lines), offsets.buffers()[1], data)
    raw.validate(full=True)  # UTF-8, as ``pa.array`` would check it
    return _cut(nested, raw, lines)


@cache
def _schema() -> pa.Schema:
    """What the reader keeps of a record: the nested type's fields and the division ids."""
    import pyarrow as pa

    fields = list(nested_type("DOUBLE", attributes=True))
    return pa.schema([*fields, pa.field("divisionIds", pa.list_(pa.string()))])


def _read(data: pa.Buffer, count: int) -> pa.StructArray | None:
    """The ``count`` objects of JSON in ``data``, one after another (no separator needed), as
    one struct array, or None if Arrow's reader refuses them."""
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        table = pj.read_json(
            pa.BufferReader(data),
            read_options=pj.ReadOptions(use_threads=False, block_size=data.size + 1),
            parse_options=pj.ParseOptions(
                explicit_schema=_schema(), unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != count:
        return None
    return table.to_struct_array().combine_chunks()


def _cut(
    nested: pa.StructArray, raw: pa.Array, lines: Sequence[bytes]
) -> dict[str, pa.Table] | None:
    """The tables, or None where the reader typed the batch too loosely."""
    import pyarrow.compute as pc

    plist = nested.field("participants")
    parts = plist.flatten()
    if parts.null_count:
        return None
    values = parts.field("sessions").flatten().field("metrics").flatten().field("value")
    if len(values) > values.null_count and pc.max(pc.abs(values)).as_py() >= _EXACT:
        return None
    divisions = _divisions(nested.field("divisionIds"))
    if divisions is None:
        return None
    return cut_tables(nested, raw, divisions, _attributes(plist, parts, lines))


def _divisions(ids: pa.ListArray) -> pa.Array | None:
    """Each record's division ids (none for a record without), or None if one is a null
    or repeats within its record."""
    import pyarrow as pa
    import pyarrow.compute as pc

    items = ids.flatten()
    if items.null_count:
        return None
    lengths = pc.list_value_length(ids).fill_null(0)
    if len(items) and pc.max(lengths).as_py() > 1:  # one id each (the usual) cannot repeat
        pairs = pa.table({"o": pc.list_parent_indices(ids), "v": items})
        if pairs.group_by(["o", "v"], use_threads=False).aggregate([]).num_rows != len(items):
            return None
    offsets = pa.concat_arrays(
        [pa.array([0], pa.int32()), pc.cumulative_sum(lengths).cast(pa.int32())]
    )
    return pa.ListArray.from_arrays(offsets, items)


def _attributes(plist: pa.ListArray, parts: pa.StructArray, lines: Sequence[bytes]) -> pa.Array:
    """Each participant's ``attributes`` as compact JSON (NULL without), in the order of
    ``parts``, the items of ``plist`` (objects only: the caller checked). Only the records
    of participants whose ``attributes`` the reader found (an object) are parsed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    holders = pc.indices_nonzero(parts.field("attributes").is_valid())
    if not len(holders):
        return pa.nulls(len(parts), pa.string())
    found: list[Any] = [None] * len(parts)
    offsets = plist.offsets.to_pylist()
    parents = pc.list_parent_indices(plist).take(holders).unique().to_pylist()
    dumps = orjson.dumps
    for i in parents:
        first = offsets[i] - offsets[0]
        for j, p in enumerate(orjson.loads(lines[i])["participants"]):
            if (a := p.get("attributes")) is not None:
                found[first + j] = dumps(a)
    return pa.array(found, pa.string())


__all__ = ["conversation_tables_json", "read_tables"]
