from __future__ import annotations

from pathlib import Path

import pytest

from genesys_analytics.config import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    REGIONS,
    Settings,
    resolve_region,
)
from genesys_analytics.errors import ConfigError

NO_DOTENV = "/nonexistent/.env"
CREDENTIALS = {"GENESYS_CLIENT_ID": "id", "GENESYS_CLIENT_SECRET": "sec"}


def test_regions_have_api_and_login_hosts() -> None:
    assert REGIONS["eusc_de_east_1"].api_url == "https://api.edee1.eusc-pure.cloud"
    assert REGIONS["eusc_de_east_1"].login_url == "https://login.edee1.eusc-pure.cloud"
    usw2 = REGIONS["us_west_2"]
    assert usw2.api_url == "https://api.usw2.pure.cloud"
    assert usw2.login_url == "https://login.usw2.pure.cloud"
    assert REGIONS["us_east_2"].api_url == "https://api.use2.us-gov-pure.cloud"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("us_east_1", "us_east_1"),
        ("us-east-1", "us_east_1"),
        ("mypurecloud.com", "us_east_1"),
        ("usw2.pure.cloud", "us_west_2"),
        ("EU-WEST-1", "eu_west_1"),
        ("mypurecloud.com.au", "ap_southeast_2"),
        ("https://api.mypurecloud.de/", "eu_central_1"),
    ],
)
def test_region_spellings(name: str, key: str) -> None:
    assert resolve_region(name).key == key


def test_unknown_region_lists_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_region("mars-north-1")
    text = str(info.value)
    assert "mars-north-1" in text
    assert "us-east-1" in text and "usw2.pure.cloud" in text and "mx-central-1" in text


def test_from_env_primary_names() -> None:
    env = {"GENESYS_CLIENT_ID": "id", "GENESYS_CLIENT_SECRET": "sec", "GENESYS_REGION": "eu-west-2"}
    s = Settings.from_env(env, dotenv_path="/nonexistent/.env")
    assert (s.client_id, s.client_secret, s.region.key) == ("id", "sec", "eu_west_2")
    assert s.api_url == "https://api.euw2.pure.cloud"
    assert s.login_url == "https://login.euw2.pure.cloud"


def test_from_env_fallback_names_and_primary_wins() -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": "old-id",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "old-sec",
        "GENESYSCLOUD_REGION": "mypurecloud.jp",
    }
    s = Settings.from_env(env, dotenv_path="/nonexistent/.env")
    assert (s.client_id, s.client_secret, s.region.key) == ("old-id", "old-sec", "ap_northeast_1")
    s2 = Settings.from_env({**env, "GENESYS_CLIENT_ID": "new-id"}, dotenv_path="/x/.env")
    assert s2.client_id == "new-id" and s2.client_secret == "old-sec"


def test_base_url_is_used_for_login_and_api() -> None:
    env = {
        "GENESYS_CLIENT_ID": "i",
        "GENESYS_CLIENT_SECRET": "s",
        "GENESYS_BASE_URL": "http://127.0.0.1:9/",
    }
    s = Settings.from_env(env, dotenv_path="/nonexistent/.env")
    assert s.api_url == s.login_url == "http://127.0.0.1:9"


def test_dotenv_loaded_without_overriding_real_env(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "GENESYS_CLIENT_ID=from-file\nGENESYS_CLIENT_SECRET=file-secret\nGENESYS_REGION=usw2.pure.cloud\n"
    )
    s = Settings.from_env({"GENESYS_CLIENT_ID": "from-env"}, dotenv_path=dotenv)
    assert s.client_id == "from-env"
    assert s.client_secret == "file-secret"
    assert s.region.key == "us_west_2"


def test_dotenv_in_cwd_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("GENESYS_CLIENT_ID=cwd-id\nGENESYS_CLIENT_SECRET=cwd-secret\n")
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({})
    assert s.client_id == "cwd-id"
    assert s.region.key == "us_east_1"


def test_overrides_win() -> None:
    env = {"GENESYS_CLIENT_ID": "i", "GENESYS_CLIENT_SECRET": "s", "GENESYS_REGION": "us-east-1"}
    s = Settings.from_env(env, dotenv_path="/x/.env", region="ca-central-1")
    assert s.region.key == "ca_central_1"
    with pytest.raises(TypeError):
        Settings.from_env(env, dotenv_path="/x/.env", colour="red")


def test_missing_credentials_names_variables_and_demo() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"GENESYS_CLIENT_ID": "only-id"}, dotenv_path="/nonexistent/.env")
    text = str(info.value)
    assert "GENESYS_CLIENT_ID" in text and "GENESYS_CLIENT_SECRET" in text
    assert "genesys-analytics demo" in text


def test_repr_hides_secret() -> None:
    s = Settings.create("my-id", "super-secret-xyz", "us-east-1")
    assert "super-secret-xyz" not in repr(s)
    assert "my-id" in repr(s)


def test_regions_are_exactly_the_official_sdks() -> None:
    sdk = pytest.importorskip("PureCloudPlatformClientV2")
    official = {member.name: member.value for member in sdk.PureCloudRegionHosts}
    ours = {key: region.api_url for key, region in REGIONS.items()}
    assert ours == official


@pytest.mark.parametrize("name", ["eusc_de_east_1", "eusc-de-east-1", "edee1.eusc-pure.cloud"])
def test_the_eu_sovereign_cloud_resolves(name: str) -> None:
    assert resolve_region(name).domain == "edee1.eusc-pure.cloud"


def test_a_region_override_drops_the_environment_base_url() -> None:
    env = {**CREDENTIALS, "GENESYS_BASE_URL": "http://127.0.0.1:9"}
    s = Settings.from_env(env, dotenv_path=NO_DOTENV, region="eu-west-1")
    assert s.base_url is None
    assert s.login_url == "https://login.mypurecloud.ie"
    assert s.api_url == "https://api.mypurecloud.ie"


def test_a_base_url_override_drops_the_environment_region() -> None:
    env = {**CREDENTIALS, "GENESYS_REGION": "not-a-region"}
    s = Settings.from_env(env, dotenv_path=NO_DOTENV, base_url="http://127.0.0.1:9")
    assert s.api_url == s.login_url == "http://127.0.0.1:9"


def test_environment_base_url_wins_over_environment_region() -> None:
    env = {**CREDENTIALS, "GENESYS_REGION": "eu-west-1", "GENESYS_BASE_URL": "http://h:1"}
    s = Settings.from_env(env, dotenv_path=NO_DOTENV)
    assert s.api_url == s.login_url == "http://h:1"


def test_timeout_and_attempts_from_the_environment() -> None:
    s = Settings.from_env(CREDENTIALS, dotenv_path=NO_DOTENV)
    assert (s.timeout, s.max_attempts) == (DEFAULT_TIMEOUT, DEFAULT_MAX_ATTEMPTS) == (30.0, 8)
    env = {**CREDENTIALS, "GENESYS_TIMEOUT": "2.5", "GENESYS_MAX_ATTEMPTS": "3"}
    s = Settings.from_env(env, dotenv_path=NO_DOTENV)
    assert (s.timeout, s.max_attempts) == (2.5, 3)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GENESYS_TIMEOUT", "0"),
        ("GENESYS_TIMEOUT", "-1"),
        ("GENESYS_TIMEOUT", "soon"),
        ("GENESYS_TIMEOUT", "nan"),
        ("GENESYS_TIMEOUT", "inf"),
        ("GENESYS_MAX_ATTEMPTS", "0"),
        ("GENESYS_MAX_ATTEMPTS", "2.5"),
        ("GENESYS_MAX_ATTEMPTS", "many"),
    ],
)
def test_bad_timeout_or_attempts_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**CREDENTIALS, name: value}, dotenv_path=NO_DOTENV)
    assert f"{name}={value!r}" in str(info.value)


@pytest.mark.parametrize("url", ["127.0.0.1:8787", "localhost", "ftp://x", "http://"])
def test_a_base_url_needs_a_scheme_and_a_host(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**CREDENTIALS, "GENESYS_BASE_URL": url}, dotenv_path=NO_DOTENV)
    assert repr(url) in str(info.value) and "http://" in str(info.value)


def test_store_settings_default_and_from_the_environment(tmp_path: Path) -> None:
    from genesys_analytics.config import StoreSettings

    none = tmp_path / "absent.env"
    assert StoreSettings.from_env({}, dotenv_path=none) == StoreSettings("48MB", 1)
    env = {"GENESYS_DUCKDB_MEMORY": " 1.5 GB ", "GENESYS_DUCKDB_THREADS": "2"}
    assert StoreSettings.from_env(env, dotenv_path=none) == StoreSettings("1.5GB", 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GENESYS_DUCKDB_MEMORY", "lots"),
        ("GENESYS_DUCKDB_MEMORY", "0MB"),
        ("GENESYS_DUCKDB_MEMORY", "80MB; DROP TABLE x"),
        ("GENESYS_DUCKDB_THREADS", "0"),
        ("GENESYS_DUCKDB_THREADS", "two"),
    ],
)
def test_bad_store_settings_say_what_to_set(tmp_path: Path, name: str, value: str) -> None:
    from genesys_analytics.config import StoreSettings

    with pytest.raises(ConfigError) as info:
        StoreSettings.from_env({name: value}, dotenv_path=tmp_path / "absent.env")
    assert name in info.value.message and "or unset it" in info.value.message
