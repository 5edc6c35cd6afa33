"""Options shared by the commands, and turning them into library values."""

from __future__ import annotations

import base64
import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from genesys_analytics.errors import ConfigError, scrub
from genesys_analytics.timeutil import UTC, Interval, parse_duration, parse_instant

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERRUPTED = 130


@dataclass
class Context:
    """What the global options (before or after the command's name) give every command."""

    quiet: bool = False
    verbose: int = 0
    log_file: Path | None = None

    def add(self, *, quiet: bool, verbose: int, log_file: Path | None) -> None:
        """Merge the same options given after the command's name."""
        self.quiet = self.quiet or quiet
        self.verbose += verbose
        self.log_file = log_file or self.log_file

    @property
    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


class Redact(logging.Filter):
    """Keeps secrets out of every log line: the known ones, and whatever looks like one."""

    secrets: ClassVar[set[str]] = set()

    @classmethod
    def add_secret(cls, client_id: str, client_secret: str) -> None:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        cls.secrets.update({client_secret, basic})

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for secret in self.secrets:
            text = text.replace(secret, "***")
        record.msg, record.args = scrub(text, limit=100_000), None
        return True


class ChunkCounter:
    """Passes export progress on to ``inner`` and counts the chunks finished (for Ctrl-C)."""

    def __init__(self) -> None:
        self.inner: Any = None
        self.done = 0

    def planned(self, chunks: int) -> None:
        if self.inner is not None:
            self.inner.planned(chunks)

    def page(self, records: int) -> None:
        if self.inner is not None:
            self.inner.page(records)

    def chunk_done(self, chunk: Any) -> None:
        self.done += 1
        if self.inner is not None:
            self.inner.chunk_done(chunk)


def plural(count: int, noun: str) -> str:
    """``1 chunk``, ``2 chunks``, ``1,000 chunks``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def connection_options(func: F) -> F:
    """--region and --base-url; credentials come only from the environment or .env."""

    @click.option(
        "--region",
        metavar="REGION",
        help="Genesys Cloud region: us_east_1, eu-west-1, mypurecloud.ie, usw2.pure.cloud, ... "
        "Overrides GENESYS_REGION and GENESYS_BASE_URL. [env GENESYS_REGION]",
    )
    @click.option(
        "--base-url",
        metavar="URL",
        help="One base URL for login and API, e.g. an emulator, instead of a region's hosts. "
        "Overrides GENESYS_BASE_URL and GENESYS_REGION; not with --region. "
        "[env GENESYS_BASE_URL]",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def interval_options(func: F) -> F:
    """--start/--end or --last."""

    @click.option(
        "--start", metavar="DATE", help="Start, ISO date or datetime (UTC unless an offset)."
    )
    @click.option(
        "--end", metavar="DATE", help="End (exclusive), ISO date or datetime. Default: now."
    )
    @click.option(
        "--last", metavar="DURATION", help="Instead of --start: the last 7d, 24h, 30m, ..."
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def store_option(func: F) -> F:
    """--from FILE.duckdb: compute from an export instead of the API."""

    @click.option(
        "--from",
        "store",
        type=click.Path(path_type=Path),
        metavar="FILE.duckdb",
        help="Compute from a DuckDB file written by `export` (read-only) instead of the API: "
        "no credentials, no requests, the same numbers. The file must hold the interval "
        "(the report says which interval to export otherwise). Example: --from genesys.duckdb",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def details_only(store: Path | None, source: str | None, compare: bool) -> None:
    """With --from only details exist: the store holds records, not the aggregates API."""
    if store is None:
        return
    if source == "aggregates" or compare:
        given = "--compare" if compare else "--source aggregates"
        raise ConfigError(
            f"{given} reads the aggregates API, and --from reads the records the store holds "
            f"(details): drop {given} to report from {store}, or drop --from to ask the API."
        )


def resolve_interval(
    start: str | None, end: str | None, last: str | None, *, now: datetime | None = None
) -> Interval:
    """Turn --start/--end/--last into a half-open UTC interval."""
    now = now or datetime.now(UTC)
    end_dt = parse_instant(end) if end else now
    if last and start:
        raise ConfigError("give either --start or --last, not both.")
    if last:
        return Interval(end_dt - parse_duration(last), end_dt)
    if not start:
        raise ConfigError("give --start (e.g. --start 2024-05-01) or --last (e.g. --last 7d).")
    return Interval(parse_instant(start), end_dt)


def make_client(region: str | None, base_url: str | None) -> Any:
    """A client from the environment, ``--region`` or ``--base-url`` overriding it."""
    from genesys_analytics.api.client import Client

    if region and base_url:
        raise ConfigError(
            "give --region or --base-url, not both: drop --base-url to use the region's "
            "Genesys Cloud hosts, or drop --region to send everything to the base URL."
        )
    overrides: dict[str, Any] = {}
    if region:
        overrides["region"] = region
    if base_url:
        overrides["base_url"] = base_url
    client = Client.from_env(**overrides)
    Redact.add_secret(client.settings.client_id, client.settings.client_secret)
    return client


def filter_options(func: F) -> F:
    """--media-type, --queue and --direction: what the query reads (repeatable, or a,b)."""

    @click.option(
        "--media-type",
        "media_types",
        multiple=True,
        metavar="TYPES",
        help="Only conversations with a session of these media types: voice, callback, chat, "
        "email, message (comma-separated or repeated).",
    )
    @click.option(
        "--queue",
        "queues",
        multiple=True,
        metavar="QUEUES",
        help="Only conversations that reached these queues, by name or id (comma-separated or "
        "repeated; names are looked up in the routing API).",
    )
    @click.option(
        "--direction",
        "directions",
        multiple=True,
        type=click.Choice(["inbound", "outbound"]),
        help="Only conversations that started in this direction (originatingDirection).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def report_options(
    *, by: str, by_help: str, source_help: str, compare_help: str
) -> Callable[[F], F]:
    """The options every report shares: --by (comma-separated or repeated), --source,
    --compare, --time-zone and --format, with the command's own words for the first three."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--by",
                "by_values",
                multiple=True,
                default=(by,),
                show_default=True,
                metavar="DIMS",
                help=by_help,
            ),
            click.option(
                "--source",
                default="details",
                show_default=True,
                type=click.Choice(["details", "aggregates"]),
                help=source_help,
            ),
            click.option("--compare", "compare_sources", is_flag=True, help=compare_help),
            click.option(
                "--time-zone",
                default="UTC",
                show_default=True,
                metavar="IANA",
                help="Time zone of day and hour buckets (DST-aware), and of bare --start/--end "
                "dates. Example: --time-zone America/New_York",
            ),
            click.option(
                "--format",
                "fmt",
                default="table",
                show_default=True,
                type=click.Choice(["table", "json", "csv"]),
                help="table, csv (a header, one row per group and a total row) or json (the "
                "shape shown above). Example: --format json",
            ),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def read_options(func: F) -> F:
    """--workers and --method: how conversation details are read."""

    @click.option(
        "--workers",
        default=4,
        show_default=True,
        type=click.IntRange(1, 32),
        help="Parallel requests when reading details. Example: --workers 8",
    )
    @click.option(
        "--method",
        default="auto",
        show_default=True,
        type=click.Choice(["auto", "query", "job"]),
        help="How details are read: the details query, async jobs, or chosen per chunk.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


MEDIA_TYPES = ("voice", "callback", "chat", "email", "message")


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def resolve_filters(
    client: Any, media_types: tuple[str, ...], queues: tuple[str, ...], directions: tuple[str, ...]
) -> Any:
    """The ``Filters`` the options name; queue names become ids through the routing API."""
    from genesys_analytics.api.queries import Filters

    media = _split(media_types)
    unknown = [m for m in media if m not in MEDIA_TYPES]
    if unknown:
        raise ConfigError(f"--media-type {unknown[0]!r} is not one of {', '.join(MEDIA_TYPES)}.")
    wanted = _split(queues)
    queue_ids: list[str] = []
    if wanted:
        listed = [(str(q.get("id")), str(q.get("name") or "")) for q in client.queues()]
        by_name = {name.casefold(): qid for qid, name in listed}
        ids = {qid for qid, _ in listed}
        for value in wanted:
            qid = value if value in ids else by_name.get(value.casefold())
            if qid is None:
                raise ConfigError(
                    f"--queue {value!r} names no queue (by name or id); "
                    f"the queues are: {', '.join(sorted(n for _, n in listed)) or 'none'}."
                )
            queue_ids.append(qid)
    return Filters(
        media_type=media or None,
        queue_id=queue_ids or None,
        originating_direction=list(dict.fromkeys(directions)) or None,
    )


__all__ = [
    "EXIT_INTERRUPTED",
    "MEDIA_TYPES",
    "ChunkCounter",
    "Context",
    "Redact",
    "connection_options",
    "details_only",
    "filter_options",
    "interval_options",
    "make_client",
    "plural",
    "read_options",
    "report_options",
    "resolve_filters",
    "resolve_interval",
    "store_option",
]
