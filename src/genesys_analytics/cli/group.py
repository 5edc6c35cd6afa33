"""The command-line shell: parses options, calls the library, prints results.

Results go to stdout; progress, hints and errors go to stderr. Every library error maps
to one exit code (``errors.EXIT_CODES``, listed in the README).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from genesys_analytics import __version__
from genesys_analytics.cli.options import EXIT_INTERRUPTED, Context
from genesys_analytics.errors import GenesysError


class _StderrNow(logging.StreamHandler):
    """Logs to whatever ``sys.stderr`` is at the time: under the live progress display that
    is rich's proxy, which prints each line above the display instead of through it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


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
            handlers=[_StderrNow()],
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    ctx.obj = Context(quiet=quiet, verbose=verbose)


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


__all__ = ["cli", "main"]
