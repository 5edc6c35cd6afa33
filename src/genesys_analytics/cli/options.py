"""Options shared by the commands, and turning them into library values."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import UTC, Interval, parse_duration, parse_instant

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERRUPTED = 130


class Context:
    """What the group's options give every command."""

    def __init__(self, *, quiet: bool, verbose: int) -> None:
        self.quiet = quiet
        self.verbose = verbose

    @property
    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


def connection_options(func: F) -> F:
    """--region and --base-url; credentials come only from the environment or .env."""

    @click.option(
        "--region",
        metavar="REGION",
        help="Genesys Cloud region: us_east_1, eu-west-1, mypurecloud.ie, usw2.pure.cloud, ... "
        "[env GENESYS_REGION]",
    )
    @click.option(
        "--base-url",
        metavar="URL",
        help="One base URL for login and API, e.g. an emulator. [env GENESYS_BASE_URL]",
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
    from genesys_analytics.api.client import Client

    overrides: dict[str, Any] = {}
    if region:
        overrides["region"] = region
    if base_url:
        overrides["base_url"] = base_url
    return Client.from_env(**overrides)


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
    "Context",
    "connection_options",
    "filter_options",
    "interval_options",
    "make_client",
    "resolve_filters",
    "resolve_interval",
]
