"""Regions, connection settings and reading them from the environment (and ``.env``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from genesys_analytics.errors import ConfigError


@dataclass(frozen=True)
class Region:
    """One Genesys Cloud region: the SDK's key and the domain its hosts live under."""

    key: str
    domain: str

    @property
    def dashed(self) -> str:
        return self.key.replace("_", "-")

    @property
    def api_url(self) -> str:
        return f"https://api.{self.domain}"

    @property
    def login_url(self) -> str:
        return f"https://login.{self.domain}"


_REGION_DOMAINS = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",  # the EU sovereign cloud
}

REGIONS: dict[str, Region] = {k: Region(k, d) for k, d in _REGION_DOMAINS.items()}
DEFAULT_REGION = REGIONS["us_east_1"]
DEFAULT_TIMEOUT = 30.0  # seconds to connect, and to wait for each read of an answer
DEFAULT_MAX_ATTEMPTS = 8  # per request, the first one included (decisions.md §4)
# DuckDB while an export writes: its buffer pool defaults to 80 % of RAM and is never given
# back during a run, so RSS would grow with the export; capped, it stays flat (and spills
# to a temp directory beside the file if ever needed). One thread: a batch is one stream
# that a second thread barely speeds up, each thread needs buffers under the cap, and the
# other core is left to the HTTP workers. 48MB: conversations reach DuckDB as Arrow tables
# (no JSON parsed inside it); 32MB ran out of memory on the first batches, 40MB did not (100,800
# conversations). Measured: bench/PERFORMANCE.md.
DEFAULT_DUCKDB_MEMORY = "48MB"
DEFAULT_DUCKDB_THREADS = 1
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|KiB|MiB|GiB)\s*$", re.IGNORECASE)


def resolve_region(name: str | Region) -> Region:
    """Accept ``us_east_1``, ``us-east-1``, ``mypurecloud.com`` or ``api.usw2.pure.cloud``."""
    if isinstance(name, Region):
        return name
    text = name.strip().lower()
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    text = text.rstrip("/")
    for host_prefix in ("api.", "login."):
        text = text.removeprefix(host_prefix)
    key = text.replace("-", "_")
    if key in REGIONS:
        return REGIONS[key]
    for region in REGIONS.values():
        if region.domain == text:
            return region
    valid = ", ".join(f"{r.dashed} ({r.domain})" for r in REGIONS.values())
    raise ConfigError(f"Unknown Genesys Cloud region {name!r}. Valid regions: {valid}.")


@dataclass(frozen=True)
class Settings:
    """Where to connect, with which OAuth client, and how patiently.

    A ``base_url`` replaces the region's hosts for both login and API. ``timeout`` bounds
    connecting and each read of every request, the login included; ``max_attempts`` is
    how often a request that timed out, dropped or met a 5xx/429 is tried in all. The
    secret never shows in a repr.
    """

    client_id: str
    client_secret: str = field(repr=False)
    region: Region = DEFAULT_REGION
    base_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(
                    f"the base URL {self.base_url!r} (GENESYS_BASE_URL or --base-url) needs "
                    "http:// or https:// and a host, e.g. http://127.0.0.1:8787."
                )
        if not self.timeout > 0:
            raise ConfigError(f"timeout must be more than 0 seconds, not {self.timeout!r}.")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be at least 1, not {self.max_attempts!r}.")

    @property
    def api_url(self) -> str:
        return (self.base_url or self.region.api_url).rstrip("/")

    @property
    def login_url(self) -> str:
        return (self.base_url or self.region.login_url).rstrip("/")

    @classmethod
    def create(
        cls,
        client_id: str | None,
        client_secret: str | None,
        region: str | Region | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Settings:
        if not client_id or not client_secret:
            raise ConfigError(_MISSING)
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            region=resolve_region(region) if region else DEFAULT_REGION,
            base_url=base_url or None,
            timeout=timeout,
            max_attempts=max_attempts,
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        dotenv_path: str | Path | None = None,
        **overrides: str | Region | None,
    ) -> Settings:
        """Read settings from the environment, then ``.env`` in the working directory.

        The real environment wins over ``.env``; keyword overrides win over both. A
        ``region`` override drops a base URL from the environment (the region's hosts are
        wanted), and a ``base_url`` override drops the environment's region. Given both,
        the base URL is used (the CLI refuses ``--region`` with ``--base-url``).
        ``GENESYS_TIMEOUT`` (seconds) and ``GENESYS_MAX_ATTEMPTS`` set the patience.
        """
        env = _merged_env(environ, dotenv_path)
        values: dict[str, str | Region | None] = {
            "client_id": _first(env, "GENESYS_CLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_ID"),
            "client_secret": _first(
                env, "GENESYS_CLIENT_SECRET", "GENESYSCLOUD_OAUTHCLIENT_SECRET"
            ),
            "region": _first(env, "GENESYS_REGION", "GENESYSCLOUD_REGION"),
            "base_url": _first(env, "GENESYS_BASE_URL"),
        }
        unknown = set(overrides) - set(values)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        given = {k: v for k, v in overrides.items() if v is not None}
        if "base_url" in given:
            values["region"] = None
        elif "region" in given:
            values["base_url"] = None
        values.update(given)
        return cls.create(
            client_id=_text(values["client_id"]),
            client_secret=_text(values["client_secret"]),
            region=values["region"],
            base_url=_text(values["base_url"]),
            timeout=_positive_seconds(env, "GENESYS_TIMEOUT", DEFAULT_TIMEOUT),
            max_attempts=_attempts(env, "GENESYS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS),
        )


_MISSING = (
    "No Genesys Cloud credentials: set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET "
    "(and GENESYS_REGION, e.g. us-east-1) in the environment or in a .env file "
    "(GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET / GENESYSCLOUD_REGION "
    "also work). To try the tool without any, run `genesys-analytics demo`."
)


@dataclass(frozen=True)
class StoreSettings:
    """How DuckDB may use the machine while an export writes: ``GENESYS_DUCKDB_MEMORY``
    (e.g. ``80MB``, ``1GB``) and ``GENESYS_DUCKDB_THREADS`` (a whole number)."""

    memory_limit: str = DEFAULT_DUCKDB_MEMORY
    threads: int = DEFAULT_DUCKDB_THREADS

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = None
    ) -> StoreSettings:
        env = _merged_env(environ, dotenv_path)
        memory = _first(env, "GENESYS_DUCKDB_MEMORY") or DEFAULT_DUCKDB_MEMORY
        match = _MEMORY.match(memory)
        if match is None or float(match.group(1)) <= 0:
            raise ConfigError(
                f"GENESYS_DUCKDB_MEMORY={memory!r} is not an amount of memory; set it to e.g. "
                f"GENESYS_DUCKDB_MEMORY={DEFAULT_DUCKDB_MEMORY}, or unset it."
            )
        threads_text = _first(env, "GENESYS_DUCKDB_THREADS")
        threads = DEFAULT_DUCKDB_THREADS
        if threads_text is not None:
            threads = int(threads_text) if threads_text.isdigit() else 0
            if threads < 1:
                raise ConfigError(
                    f"GENESYS_DUCKDB_THREADS={threads_text!r} is not a number of threads; set "
                    f"it to e.g. GENESYS_DUCKDB_THREADS={DEFAULT_DUCKDB_THREADS}, or unset it."
                )
        return cls(f"{match.group(1)}{match.group(2)}", threads)


def _merged_env(
    environ: Mapping[str, str] | None, dotenv_path: str | Path | None
) -> dict[str, str]:
    path = Path(dotenv_path) if dotenv_path is not None else Path.cwd() / ".env"
    merged: dict[str, str] = {}
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = _first(env, name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigError(
            f"{name}={text!r} is not a number of seconds; set it to e.g. {name}={default:g}, "
            "or unset it."
        )
    return value


def _attempts(env: Mapping[str, str], name: str, default: int) -> int:
    text = _first(env, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(
            f"{name}={text!r} is not a whole number of attempts of at least 1; set it to "
            f"e.g. {name}={default}, or unset it."
        )
    return value


def _text(value: str | Region | None) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "DEFAULT_DUCKDB_MEMORY",
    "DEFAULT_DUCKDB_THREADS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_REGION",
    "DEFAULT_TIMEOUT",
    "REGIONS",
    "Region",
    "Settings",
    "StoreSettings",
    "resolve_region",
]
