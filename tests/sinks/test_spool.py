"""The spool reads its records back in blocks while they follow each other, alone when not."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from genesys_analytics.sinks import spool as spool_module
from genesys_analytics.sinks.spool import Spool, head


def record(n: int, size: int) -> bytes:
    return orjson.dumps({"k": f"k{n:05d}", "pad": "x" * size})


def test_records_come_back_exact_in_order_whatever_order_they_were_spooled_in(
    tmp_path: Path,
) -> None:
    """In order (a chunk's pages, read in blocks), shuffled (read one by one), two days at
    once, and records larger than a block: every record back byte for byte, once, sorted."""
    rng = random.Random(7)
    spool = Spool(tmp_path / "spool")
    sizes = [rng.choice([10, 700, 3000, 5000]) for _ in range(600)] + [spool_module._BLOCK + 99]
    records = {n: record(n, size) for n, size in enumerate(sizes)}
    stamps = {n: f"2024-05-0{1 + n % 2}T{n // 60:02d}:{n % 60:02d}:00.000Z" for n in records}
    ordered = sorted(records, key=lambda n: stamps[n])
    shuffled = ordered[:250] + rng.sample(ordered[250:], len(ordered) - 250)
    for n in shuffled:
        day = stamps[n][:10]
        spool.add("d", day, [head(stamps[n], 0, orjson.dumps(f"k{n:05d}")), records[n], b"\n"])
    got = list(spool.take("d", "2024-05-01T00:00:00.000Z", "2024-05-03T00:00:00.000Z"))
    assert [body for _table, body in got] == [records[n] for n in ordered]
    assert {table for table, _body in got} == {0}
    spool.remove()
