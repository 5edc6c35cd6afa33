import genesys_analytics
from genesys_analytics.errors import EXIT_CODES, AuthError, GenesysError, scrub


def test_scrub_removes_tokens_and_secrets() -> None:
    text = 'Authorization: Bearer abc.def-123 {"access_token":"s3cr3t","client_secret":"xyz"}'
    out = scrub(text)
    assert "abc.def-123" not in out and "s3cr3t" not in out and "xyz" not in out


def test_error_str_carries_status_and_context() -> None:
    err = AuthError("bad credentials", status=401, context_id="ctx-1", body="Bearer zzz")
    assert "HTTP 401" in str(err) and "ctx-1" in str(err)
    assert err.body_excerpt is not None and "zzz" not in err.body_excerpt


def test_exit_codes_are_distinct() -> None:
    codes = list(EXIT_CODES.values())
    assert len(codes) == len(set(codes))
    assert all(issubclass(cls, GenesysError) for cls in EXIT_CODES)


def test_public_all_is_complete() -> None:
    for name in genesys_analytics.__all__:
        assert hasattr(genesys_analytics, name)
