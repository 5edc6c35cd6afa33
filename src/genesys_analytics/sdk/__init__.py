"""Paging helpers for code that already uses the official SDK ``PureCloudPlatformClientV2``.

Install with the ``[sdk]`` extra. The helpers take your ``AnalyticsApi`` and your query
(an SDK model or a plain camelCase dict) and yield the SDK's own conversation models,
with the stop rules, guards and retry behaviour of the rest of this library
(``spec/decisions.md`` §3–§4)::

    from PureCloudPlatformClientV2 import AnalyticsApi, ApiClient
    from genesys_analytics.sdk import disable_sdk_retries, iter_details, iter_job

    client = ApiClient(host="https://api.mypurecloud.ie")  # login host derived from it
    client.get_client_credentials_token(client_id, secret)
    disable_sdk_retries(client)
    api = AnalyticsApi(client)
    query = {"interval": "2024-05-01T00:00:00.000Z/2024-05-02T00:00:00.000Z", "order": "asc"}
    for conv in iter_details(api, query):        # AnalyticsConversationWithoutAttributes
        print(conv.conversation_id)
    for conv in iter_job(api, query):            # AnalyticsConversation (with attributes)
        ...

Public interface
----------------
``iter_details(api, query, *, page_size=100, start_page=1, max_pages=None, cap=100_000,
sleep=time.sleep, policy=None, rng=None)`` → conversation models.
    Page number in the body (``paging=PagingSpec``); stops when ``conversations`` is
    absent or empty, never on ``totalHits``. ``PaginationError``, before sending, for a
    page past the 100,000-result cap, when the first page's ``totalHits`` is over the
    cap, for a page equal to the one before, and past ``max_pages``.
``iter_details_pages(...)`` → ``DetailsPage(number, total_hits, conversations)``: the
    same loop by page; resume with ``start_page=number + 1``.
``iter_job(api, query, *, page_size=1000, poll=JobPolling(), sleep=time.sleep,
timeout=3600.0, clock=time.monotonic, policy=None, rng=None)`` → conversation models.
    Submit, poll with a growing delay until FULFILLED (FAILED/EXPIRED/CANCELLED/timeout
    → ``JobFailed`` with job id and message), page results by cursor until none comes
    back (a repeated cursor → ``PaginationError``); the job is deleted at the end, on
    error, on ``close()`` and on ``KeyboardInterrupt``. Wrap it in
    ``contextlib.closing`` to delete promptly after a ``break``.
``call(fn, *args, policy=None, sleep=time.sleep, rng=None, **kwargs)``: one SDK call
    under the table of ``genesys_analytics.api.retry``; ``Retry-After`` (seconds, from
    ``ApiException.headers``) wins, one over the cap raises ``RateLimited`` naming it.
``error_from_api_exception(exc, decision=None, method=...)``: the exception as an
    ``httpx.Response`` through ``http.error_for`` (the project's one error table): 400
    ``BadQuery``, 401 ``AuthError``, 403 ``PermissionDenied``, 429 ``RateLimited``, 5xx
    ``ServerError``, each with status and ``contextId``.
``disable_sdk_retries(api_client)``: the SDK's urllib3 pool itself retries 413/429/503
    carrying ``Retry-After``, sleeping however long it says, then raises urllib3's
    ``MaxRetryError``. Call this once so the table here, with its 180 s cap, is the
    only retry layer.

Seams (``sleep``, ``rng``, ``clock``) are keyword arguments. The SDK is imported lazily.
"""

from genesys_analytics.api.paging import RESULT_CAP
from genesys_analytics.sdk.calls import call, disable_sdk_retries, error_from_api_exception

from .details import DetailsPage, iter_details, iter_details_pages
from .jobs import MAX_EMPTY_PAGES, JobPolling, iter_job

__all__ = [
    "MAX_EMPTY_PAGES",
    "RESULT_CAP",
    "DetailsPage",
    "JobPolling",
    "call",
    "disable_sdk_retries",
    "error_from_api_exception",
    "iter_details",
    "iter_details_pages",
    "iter_job",
]
