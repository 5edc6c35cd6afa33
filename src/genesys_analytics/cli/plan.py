"""``export --dry-run``: the plan of an export, sized, as text."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.checkpoints import DEFAULT_LOOKBACK, matching, reread_from
from genesys_analytics.extraction.datasets import resolve
from genesys_analytics.extraction.engine import ExportRequest
from genesys_analytics.extraction.estimate import estimate
from genesys_analytics.sinks.checkpoints import Checkpoints
from genesys_analytics.sinks.staging import StagedCheckpoints
from genesys_analytics.timeutil import UTC, Interval, fmt, parse_instant


def plan_text(
    client: Any,
    path: Path,
    fmt_name: str,
    interval: Interval | None,
    end: str | None,
    dataset_names: tuple[str, ...],
    filters: Filters,
    method: str,
    *,
    resume: bool,
    incremental: bool,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> str:
    """Plan the export as ``export`` would (checkpoints of ``path`` included), and size it."""
    datasets = resolve(dataset_names or ("conversations",))
    store = Checkpoints(path) if fmt_name == "duckdb" else StagedCheckpoints(path)
    if interval is None:  # --incremental without --start
        starts = [
            reread_from(matching(store.done_chunks(d.name), filters), lookback) for d in datasets
        ]
        if any(s is None for s in starts):
            raise ConfigError(
                f"{path} holds no earlier export to continue; give a start (--start) for the "
                "first run."
            )
        begin = min(s for s in starts if s is not None)
        interval = Interval(begin, parse_instant(end) if end else datetime.now(UTC))
    request = ExportRequest(
        interval=interval,
        datasets=datasets,
        filters=filters,
        method=method,  # type: ignore[arg-type]
        resume=resume,
        incremental=incremental,
        lookback=lookback,
    )
    plan = estimate(client, request, store)
    lines = [f"plan for {interval} into {path} ({fmt_name})"]
    if not filters.empty:
        lines.append(f"filters: {filters.describe()}")
    for item in plan.chunks:
        c = item.chunk
        lines.append(
            f"  {c.dataset:<14} {fmt(c.start)} → {fmt(c.end)}  {c.method:<5}  "
            f"~{item.records:>9,} records  ~{item.requests:>6,} requests"
        )
    if not plan.chunks:
        lines.append("  nothing to read: the checkpoints cover the interval.")
    total = plan.requests
    lines.append(
        f"{len(plan.chunks)} chunk{'s' if len(plan.chunks) != 1 else ''}, "
        f"~{plan.records:,} records, ~{total:,} requests "
        f"(the estimate itself made {plan.probes:,})."
    )
    spacing = getattr(getattr(client, "limiter", None), "spacing", 0.0) or 0.0
    if spacing > 0:
        seconds = total * spacing
        took = f"{seconds:,.0f} seconds" if seconds < 120 else f"{seconds / 60:,.1f} minutes"
        lines.append(
            f"at the rate limit ({60 / spacing:,.0f} requests a minute) that is about {took} "
            "of requests; writing may add to it."
        )
    return "\n".join(lines)


__all__ = ["plan_text"]
