"""The command-line shell: parses options, calls the library, prints results.

Results go to stdout; progress, hints and errors go to stderr.
"""

from __future__ import annotations

import click

from genesys_analytics import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="genesys-analytics")
def cli() -> None:
    """Pull conversation analytics out of Genesys Cloud CX, completely and within its limits."""


def _register() -> None:
    from genesys_analytics.emulator.command import emulator

    cli.add_command(emulator)


_register()


def main() -> None:
    cli(prog_name="genesys-analytics")
