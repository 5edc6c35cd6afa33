"""``genesys-analytics export`` as a user runs it, and the ids it wrote."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import duckdb
import orjson

from genesys_analytics.timeutil import fmt


def export_command(
    start: datetime, end: datetime, out: Path, *, method: str, fmt_: str, workers: int | None
) -> list[str]:
    cmd = [
        sys.executable, "-m", "genesys_analytics", "export",
        "--start", fmt(start), "--end", fmt(end),
        "--method", method, "--format", fmt_, "--out", str(out),
    ]  # fmt: skip
    if workers is not None:
        cmd += ["--workers", str(workers)]
    return cmd


def written_ids(out: Path, fmt_: str) -> list[str]:
    """Every conversationId in the output, duplicates kept."""
    if fmt_ == "jsonl":
        with out.open("rb") as f:
            return [orjson.loads(line)["conversationId"] for line in f if line.strip()]
    if fmt_ in ("csv", "parquet"):
        source = (
            f"read_csv('{out}', header = true)"
            if fmt_ == "csv"
            else f"read_parquet('{out}/conversations/**/*.parquet')"
        )
        with duckdb.connect() as con:
            return [r[0] for r in con.execute(f"SELECT conversation_id FROM {source}").fetchall()]
    con = duckdb.connect(str(out), read_only=True)
    try:
        rows = con.execute("SELECT conversation_id FROM conversations").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]
