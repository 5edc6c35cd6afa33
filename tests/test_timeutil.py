from datetime import date, datetime, timedelta, timezone

import pytest

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt, parse_duration, parse_instant

UTC = timezone.utc


def test_parse_instant_forms() -> None:
    assert parse_instant("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_instant("2024-05-01T08:00:00Z") == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert parse_instant("2024-05-01T10:00:00+02:00") == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert parse_instant(date(2024, 5, 1)) == datetime(2024, 5, 1, tzinfo=UTC)


def test_malformed_date_is_one_clear_sentence() -> None:
    with pytest.raises(ConfigError, match="not an ISO-8601 date"):
        parse_instant("05/01/2024")


def test_fmt_is_api_format() -> None:
    assert fmt(datetime(2024, 5, 1, 1, 2, 3, 456789, tzinfo=UTC)) == "2024-05-01T01:02:03.456Z"


def test_interval_days_touched_is_half_open() -> None:
    iv = Interval.of("2024-05-01T23:00Z", "2024-05-03T00:00Z")
    assert iv.days_touched() == [date(2024, 5, 1), date(2024, 5, 2)]
    assert Interval.parse(iv.iso()) == iv


def test_interval_rejects_empty() -> None:
    with pytest.raises(ConfigError, match="at or before it starts"):
        Interval.of("2024-05-02", "2024-05-01")


def test_halves_cover_exactly() -> None:
    a, b = Interval.of("2024-05-01", "2024-05-02").halves()
    assert a.end == b.start and a.start.day == 1 and b.end.day == 2


def test_parse_duration() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("24h") == timedelta(hours=24)
    with pytest.raises(ConfigError):
        parse_duration("seven days")
