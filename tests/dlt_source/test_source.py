"""The dlt source's surface: its resources and table hints, its refusals, and that only
importing it loads dlt."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from genesys_analytics.dlt import genesys_source
from genesys_analytics.dlt.tables import table_hints
from genesys_analytics.errors import ConfigError
from genesys_analytics.extraction.datasets import DATASETS


class NoClient:
    """Never called: building a source makes no request."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the source called client.{name} before running")


def test_importing_the_package_does_not_import_dlt() -> None:
    code = "import sys, genesys_analytics; assert 'dlt' not in sys.modules, 'dlt imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_one_resource_per_dataset_named_for_it() -> None:
    source = genesys_source(start="2024-05-01", datasets="all", client=NoClient())
    assert list(source.resources) == [name.replace("-", "_") for name in DATASETS]
    picked = genesys_source(
        start="2024-05-01", datasets=["users", "user_details"], client=NoClient()
    )
    assert list(picked.resources) == ["user_details", "users"]


def test_keys_and_write_dispositions() -> None:
    conversations = DATASETS["conversations"]
    root, segments = conversations.storage.tables[0], conversations.storage.tables[3]
    assert table_hints(conversations, root, table_format=None) == {
        "table_name": "conversations",
        "columns": {
            "media_types": {"data_type": "json"},
            "division_ids": {"data_type": "json"},
            "queue_ids": {"data_type": "json"},
            "raw": {"data_type": "json"},
        },
        "write_disposition": "merge",
        "primary_key": ["conversation_id"],
    }
    sql = table_hints(conversations, segments, table_format=None)
    assert (sql["write_disposition"], sql["merge_key"]) == ("merge", "conversation_id")
    assert "primary_key" not in sql
    delta = table_hints(conversations, segments, table_format="delta")
    assert delta["primary_key"] == ["conversation_id", "session_id", "segment_index"]
    assert delta["table_format"] == "delta"
    details = DATASETS["user-details"]
    for table in details.storage.tables:
        hints = table_hints(details, table, table_format=None)
        assert (hints["write_disposition"], hints["primary_key"]) == ("merge", ["record_key"])
    users = DATASETS["users"]
    hints = table_hints(users, users.storage.tables[0], table_format=None)
    assert (hints["write_disposition"], hints["primary_key"]) == ("replace", ["user_id"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"datasets": ["calls"]}, "unknown dataset 'calls'"),
        ({"end": "2024-04-01"}, "is not before end"),
        ({"lookback": "a while"}, "not a duration"),
        ({"method": "fast"}, "unknown method"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"table_format": "parquet"}, "unknown table_format"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        genesys_source(start="2024-05-01", client=NoClient(), **kwargs)


def test_credentials_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in (
        "GENESYS_CLIENT_ID",
        "GENESYS_CLIENT_SECRET",
        "GENESYSCLOUD_CLIENT_ID",
        "GENESYSCLOUD_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="GENESYS_CLIENT_ID"):
        genesys_source(start="2024-05-01")
