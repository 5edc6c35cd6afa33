"""A local Genesys Cloud analytics API: seeded data, real shapes, real limits, named faults.

from genesys_analytics.emulator import EmulatorSettings, run_emulator

with run_emulator(EmulatorSettings(seed=7)) as emu:
    emu.base_url, emu.client_id, emu.client_secret, emu.truth(start, end)

The server side (Starlette, uvicorn) loads on first use of ``create_app``,
``run_emulator`` or ``RunningEmulator``, so importing ``emulator.settings`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from genesys_analytics.emulator.settings import EmulatorSettings

if TYPE_CHECKING:
    from genesys_analytics.emulator.app import create_app
    from genesys_analytics.emulator.server import RunningEmulator, run_emulator

_LAZY = {
    "create_app": "genesys_analytics.emulator.app",
    "RunningEmulator": "genesys_analytics.emulator.server",
    "run_emulator": "genesys_analytics.emulator.server",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["EmulatorSettings", "RunningEmulator", "create_app", "run_emulator"]
