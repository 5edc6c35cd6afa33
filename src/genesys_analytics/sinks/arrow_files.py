"""Arrow tables as a file export's CSV and Parquet parts, without a database in between.

:func:`csv_rows` writes a table's rows as DuckDB's ``COPY … (FORMAT csv, HEADER false)``
writes them (the form file exports have always had), byte for byte: a NULL is empty; a
string (JSON text too) is quoted when it is empty or holds a quote, a comma, a line feed or
a carriage return, with each quote doubled; a list is its items joined by commas, then
quoted like a string; a timestamp is UTC, ``YYYY-MM-DD HH:MM:SS[.ffffff]+00`` without the
fraction's trailing zeros; booleans are ``true``/``false``. The text is built by Arrow's
vector kernels, a column at a time.

:func:`write_parquet` writes a table as DuckDB's ``COPY … PARTITION_BY`` lays it out: one
``<column>=<value>/data_0.parquet`` per value (``__HIVE_DEFAULT_PARTITION__`` for NULL),
the partition column not in the files, JSON columns with Parquet's JSON type.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from genesys_analytics.sinks.schema import Table

if TYPE_CHECKING:
    import pyarrow as pa

#: Hive's name for the partition of NULL values, as DuckDB writes it.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: What makes DuckDB quote a string in CSV (besides being empty): a quote, the delimiter,
#: a line break, the comment character.
_SPECIAL = (b'"', b",", b"\n", b"\r", b"#")
_QUOTED = r'[",\n\r#]'


def csv_rows(table: pa.Table, out: BinaryIO) -> None:
    """Append ``table``'s rows to ``out`` as CSV lines (no header; see the module doc)."""
    out.write(csv_text(table))


def csv_text(table: pa.Table) -> memoryview:
    """``table``'s rows as CSV lines (no header; see the module doc), built by Arrow."""
    import pyarrow.compute as pc

    if not table.num_rows:
        return memoryview(b"")
    fields = [_csv_field(column.combine_chunks()) for column in table.columns]
    line = fields[0] if len(fields) == 1 else pc.binary_join_element_wise(*fields, ",")
    lines = pc.binary_join_element_wise(line, "\n", "")
    _, offsets, data = lines.buffers()
    bounds = memoryview(offsets).cast("i")  # int32 offsets of the lines into ``data``
    return memoryview(data)[bounds[lines.offset] : bounds[lines.offset + len(lines)]]


def _csv_field(values: pa.Array) -> pa.Array:
    """One column as CSV text, never NULL (see the module doc)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if isinstance(kind, pa.ExtensionType):
        values, kind = values.storage, kind.storage_type
    if pa.types.is_list(kind):
        values, kind = pc.binary_join(values, ","), pa.string()
    if pa.types.is_string(kind):
        text = _quoted(values)
    elif pa.types.is_timestamp(kind) and kind.unit == "us" and str(kind.tz) == "UTC":
        # as naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff`` (ten times faster than with a zone)
        text = values.cast(pa.timestamp("us")).cast(pa.string())
        text = pc.ascii_rtrim(pc.ascii_rtrim(text, "0"), ".")
        text = pc.binary_join_element_wise(text, "+00", "")
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_date32(kind):
        text = values.cast(pa.string())
    else:
        raise TypeError(f"no CSV form for a column of {kind}")
    return text.fill_null("")


def _quoted(values: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    needed = pc.equal(values, "")
    data = values.buffers()[2]
    text = b"" if data is None else data.to_pybytes()  # what every value is cut from
    if any(c in text for c in _SPECIAL):  # then look value by value
        needed = pc.or_(needed, pc.match_substring_regex(values, _QUOTED))
    if not pc.any(needed).as_py():
        return values
    doubled = pc.replace_substring(values, '"', '""')
    return pc.if_else(needed, pc.binary_join_element_wise('"', doubled, '"', ""), values)


def write_parquet(
    rows: pa.Table,
    table: Table,
    target: Path,
    by: str | None,
    values: pa.Array | pa.ChunkedArray | None,
) -> None:
    """Write ``rows`` of ``table`` into the directory ``target``, one partition ``by=<value>``
    per distinct value of ``values`` (one per row; the column ``by``, if ``rows`` has it, is
    left out of the files), or with ``by`` None unpartitioned.

    JSON columns are typed JSON. A column of text whose values are mostly distinct (JSON, the
    last column of the key) is not dictionary-encoded: trying costs a third of the writing,
    for files of the same size.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if by is not None and by in rows.column_names:
        rows = rows.drop_columns([by])
    json = {c.name for c in table.columns if c.sql_type == "JSON"}
    last = next(c for c in table.columns if c.name == table.key[-1])
    distinct = json | ({last.name} if last.sql_type == "VARCHAR" else set())
    rows = rows.cast(
        pa.schema([pa.field(f.name, pa.json_()) if f.name in json else f for f in rows.schema])
    )
    dictionary = [name for name in rows.column_names if name not in distinct]
    target.mkdir(parents=True, exist_ok=True)
    if by is None or values is None:
        pq.write_table(rows, target / "data_0.parquet", use_dictionary=dictionary)
        return
    for value in pc.unique(values).to_pylist():
        mask = values.is_null() if value is None else pc.equal(values, value)
        where = target / f"{by}={NULL_PARTITION if value is None else value}"
        where.mkdir()
        pq.write_table(rows.filter(mask), where / "data_0.parquet", use_dictionary=dictionary)


__all__ = ["NULL_PARTITION", "csv_rows", "csv_text", "write_parquet"]
