"""Paging helpers for code that already uses the official SDK ``PureCloudPlatformClientV2``.

Install with the ``[sdk]`` extra. The helpers take your ``AnalyticsApi`` and your query
(an SDK model or a plain camelCase dict) and yield the SDK's own conversation models,
paged by the project's one paging loop (``genesys_analytics.api.paging.Pager``), waited
on by its one polling loop (``genesys_analytics.api.jobs.wait``) and retried by its one
retry table (``spec/decisions.md`` §3–§4)::

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
``iter_details(api, query, *, page_size=100, start_page=1, max_pages=None,
cap=RESULT_CAP, sleep=time.sleep, policy=None, rng=None)`` → conversation models.
    The query becomes a camelCase dict once (``ApiClient.sanitize_for_serialization``)
    and each page is sent with ``paging`` in that body; the caller's query is never
    changed. Stops when ``conversations`` is absent or empty, or at a short page just
    under the cap; never on ``totalHits``. ``PaginationError`` for a request or page the
    same as the one before and past ``max_pages`` (``None``: ``api.paging.MAX_PAGES``);
    ``ResultCapExceeded`` (a ``PaginationError``), before the page is sent or yielded,
    for a page past the 100,000-result cap or a first page whose ``totalHits`` is over it.
``iter_details_pages(...)`` → ``Page(number, items, total_hits)`` (``api.paging.Page``;
    ``page.conversations`` is ``page.items``): the same loop by page, the empty page
    that ended it included (as ``Client.details_pages``); resume with
    ``start_page=page.number + 1``.
``iter_job(api, query, *, page_size=1000, job_policy=None, sleep=time.sleep,
clock=time.monotonic, policy=None, rng=None)`` → conversation models.
    Submit, then wait as ``job_policy`` (``api.jobs.JobPolicy``: 1 s before the first
    poll, times 1.5 up to 10 s between polls, 3600 s timeout) says; a FAILED or EXPIRED
    job is submitted again up to ``max_submits`` (2) times in all; CANCELLED, the last
    failure or the timeout → ``JobFailed`` with job id, state and message. Results are
    paged by cursor until none comes back (a repeated cursor, or more than
    ``MAX_EMPTY_PAGES`` empty pages in a row → ``PaginationError``). Each job is deleted
    at the end, on error, on ``close()`` and on ``KeyboardInterrupt``; wrap the iterator
    in ``contextlib.closing`` to delete promptly after a ``break``.
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

Seams (``sleep`` for retries and polls, ``clock`` for the job timeout, ``rng`` for
jitter) are keyword arguments. The SDK is imported lazily.
"""

from genesys_analytics.api.jobs import JobPolicy
from genesys_analytics.api.paging import MAX_EMPTY_PAGES, RESULT_CAP, Page, ResultCapExceeded
from genesys_analytics.sdk.calls import call, disable_sdk_retries, error_from_api_exception
from genesys_analytics.sdk.details import iter_details, iter_details_pages
from genesys_analytics.sdk.jobs import iter_job

__all__ = [
    "MAX_EMPTY_PAGES",
    "RESULT_CAP",
    "JobPolicy",
    "Page",
    "ResultCapExceeded",
    "call",
    "disable_sdk_retries",
    "error_from_api_exception",
    "iter_details",
    "iter_details_pages",
    "iter_job",
]
