"""The command-line shell: parses options, calls the library, prints results.

Results go to stdout; progress, hints and errors go to stderr. Every library error maps
to one exit code (``errors.EXIT_CODES``, listed in the README).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from genesys_analytics import __version__
from genesys_analytics.errors import ConfigError, GenesysError
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
    from genesys_analytics.client import Client

    overrides: dict[str, Any] = {}
    if region:
        overrides["region"] = region
    if base_url:
        overrides["base_url"] = base_url
    return Client.from_env(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="genesys-analytics")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("-v", "--verbose", count=True, help="Log to stderr (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: int) -> None:
    """Pull conversation analytics out of Genesys Cloud CX, completely and within its limits.

    Credentials come from the environment or a .env file: GENESYS_CLIENT_ID,
    GENESYS_CLIENT_SECRET and GENESYS_REGION. `genesys-analytics demo` needs none.
    """
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    ctx.obj = Context(quiet=quiet, verbose=verbose)


def _register() -> None:
    from genesys_analytics.commands import demo, export
    from genesys_analytics.emulator.command import emulator
    from genesys_analytics.volume_command import volume

    for command in (volume, export, demo, emulator):
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn library errors into one line and an exit code."""
    try:
        # Not standalone, so library errors arrive here; click then *returns* the code of
        # a ``click.exceptions.Exit`` and turns Ctrl-C into ``Abort``.
        code = cli.main(args=argv, prog_name="genesys-analytics", standalone_mode=False)
    except GenesysError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["Context", "cli", "connection_options", "interval_options", "main", "resolve_interval"]
