"""The ``genesys-analytics`` command: the click group and one module per command."""

from __future__ import annotations

from genesys_analytics.cli.agents import agents
from genesys_analytics.cli.demo import demo
from genesys_analytics.cli.emulator import emulator
from genesys_analytics.cli.export import export
from genesys_analytics.cli.group import cli, main
from genesys_analytics.cli.kpi import kpi
from genesys_analytics.cli.report import report
from genesys_analytics.cli.volume import volume

for _command in (volume, agents, kpi, report, export, demo, emulator):
    cli.add_command(_command)

__all__ = ["cli", "main"]
