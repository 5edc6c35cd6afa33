"""The command-line shell: parses options, calls the library, prints results.

Results go to stdout; progress, hints and errors go to stderr. Every library error maps
to one exit code (``errors.EXIT_CODES``, listed in the README). The global options
(``-q``, ``-v``, ``--log-file``) work before or after the command's name: the group adds
them to every command it is given.
"""

from __future__ import annotations

import functools
import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from genesys_analytics import __version__
from genesys_analytics.cli.options import EXIT_INTERRUPTED, Context, Redact
from genesys_analytics.errors import ConfigError, GenesysError

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_installed: list[logging.Handler] = []  # the handlers configure_logging added last


def _global_options() -> list[click.Option]:
    return [
        click.Option(["-q", "--quiet"], is_flag=True, help="No progress bar."),
        click.Option(["-v", "--verbose"], count=True, help="Log to stderr (-v info, -vv debug)."),
        click.Option(
            ["--log-file"],
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="PATH",
            help="Also append the logs to PATH: info, or debug with -vv. Secrets are never logged.",
        ),
    ]


class _Group(click.Group):
    """A group whose global options are also accepted after any command's name."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None and not getattr(cmd, "_global_options", False):
            cmd.params.extend(_global_options())
            cmd.callback = _applying_global_options(cmd.callback)
            cmd._global_options = True  # type: ignore[attr-defined]
        super().add_command(cmd, name)


def _applying_global_options(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, quiet: bool, verbose: int, log_file: Path | None, **kwargs: Any) -> Any:
        options = click.get_current_context().ensure_object(Context)
        options.add(quiet=quiet, verbose=verbose, log_file=log_file)
        configure_logging(options.verbose, options.log_file)
        return callback(*args, **kwargs)

    return run


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


def configure_logging(verbose: int, log_file: Path | None) -> None:
    """Logs to stderr with ``-v`` (debug with ``-vv``), and to ``log_file`` when given.

    The file gets info, or debug with ``-vv``, and is appended to. Without either, only
    warnings reach stderr (Python's default). Every handler passes through ``Redact``.
    """
    root = logging.getLogger()
    for old in _installed:
        root.removeHandler(old)
        old.close()
    _installed.clear()
    if not verbose and log_file is None:
        return
    level = logging.DEBUG if verbose > 1 else logging.INFO
    handlers: list[logging.Handler] = []
    stderr = _StderrNow()
    stderr.setLevel(level if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter(_FORMAT if verbose else "%(message)s"))
    handlers.append(stderr)
    if log_file is not None:
        try:
            to_file = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot write the log file {log_file}: {err.strerror or err}; give a "
                "--log-file in a directory that exists and is writable."
            ) from None
        to_file.setLevel(level)
        to_file.setFormatter(logging.Formatter(_FORMAT))
        handlers.append(to_file)
    for handler in handlers:
        handler.addFilter(Redact())
        root.addHandler(handler)
    _installed.extend(handlers)
    root.setLevel(level)
    if log_file is not None:
        logging.getLogger("genesys_analytics").info(
            "genesys-analytics %s: %s", __version__, " ".join(sys.argv[1:])
        )


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="genesys-analytics")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("-v", "--verbose", count=True, help="Log to stderr (-v info, -vv debug).")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also append the logs to PATH: info, or debug with -vv. Secrets are never logged.",
)
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: int, log_file: Path | None) -> None:
    """Pull conversation analytics out of Genesys Cloud CX, completely and within its limits.

    Credentials come from the environment or a .env file: GENESYS_CLIENT_ID,
    GENESYS_CLIENT_SECRET and GENESYS_REGION (or GENESYS_BASE_URL). GENESYS_TIMEOUT
    (seconds, default 30) and GENESYS_MAX_ATTEMPTS (default 8) bound every request.
    `genesys-analytics demo` needs none. -q, -v and --log-file also work after the
    command's name.
    """
    ctx.obj = Context(quiet=quiet, verbose=verbose, log_file=log_file)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn library errors into one line and an exit code."""
    # httpx loads its own command-line tool (rich, pygments) whenever they are installed;
    # this process never runs it, so httpx is told it is absent, as httpx provides for.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        # Not standalone, so library errors arrive here; click then *returns* the code of
        # a ``click.exceptions.Exit`` and turns Ctrl-C into ``Abort``.
        code = cli.main(args=argv, prog_name="genesys-analytics", standalone_mode=False)
    except GenesysError as exc:
        click.echo(f"error: {exc}", err=True)
        _exit(exc.exit_code, argv)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted.", err=True)
        _exit(EXIT_INTERRUPTED, argv)
    except click.ClickException as exc:
        exc.show()
        _exit(exc.exit_code, argv)
    _exit(code if isinstance(code, int) else 0, argv)


def _exit(code: int, argv: list[str] | None) -> NoReturn:
    """Exit; when the process ran its own command line (no ``argv``), without the
    interpreter's last garbage collections over everything loaded (~0.1 s of CPU after an
    export): the work is done and every output closed, and the rest goes with the process."""
    if argv is None:
        gc.freeze()
    sys.exit(code)


__all__ = ["cli", "configure_logging", "main"]
