"""The emulator's ASGI app: routes, error handlers and the gateway, around one state."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from genesys_analytics.emulator.gateway import Gateway
from genesys_analytics.emulator.responses import ApiError, error_response
from genesys_analytics.emulator.routes import details as routes_details
from genesys_analytics.emulator.routes import jobs as routes_jobs
from genesys_analytics.emulator.routes import lists as routes_lists
from genesys_analytics.emulator.routes import misc as routes_misc
from genesys_analytics.emulator.routes import users as routes_users
from genesys_analytics.emulator.routes.auth import token
from genesys_analytics.emulator.settings import EmulatorSettings
from genesys_analytics.emulator.state import Clock, EmulatorState

log = logging.getLogger(__name__)

_CONV = "/api/v2/analytics/conversations"
_JOBS = f"{_CONV}/details/jobs"
_USERS = "/api/v2/analytics/users"
_UJOBS = f"{_USERS}/details/jobs"

ROUTES = [
    Route("/oauth/token", token, methods=["POST"]),
    Route(f"{_CONV}/details/query", routes_details.details_query, methods=["POST"]),
    Route(f"{_CONV}/details", routes_details.conversations_by_ids, methods=["GET"]),
    Route(_JOBS, routes_jobs.submit, methods=["POST"]),
    Route(f"{_JOBS}/availability", routes_jobs.availability, methods=["GET"]),
    Route(f"{_JOBS}/{{jobId}}", routes_jobs.status, methods=["GET"]),
    Route(f"{_JOBS}/{{jobId}}", routes_jobs.delete, methods=["DELETE"]),
    Route(f"{_JOBS}/{{jobId}}/results", routes_jobs.results, methods=["GET"]),
    Route(
        f"{_CONV}/{{conversationId}}/details", routes_details.conversation_by_id, methods=["GET"]
    ),
    Route(f"{_CONV}/aggregates/query", routes_misc.aggregates_query, methods=["POST"]),
    Route(f"{_USERS}/details/query", routes_users.details_query, methods=["POST"]),
    Route(_UJOBS, routes_users.submit_job, methods=["POST"]),
    Route(f"{_UJOBS}/availability", routes_users.job_availability, methods=["GET"]),
    Route(f"{_UJOBS}/{{jobId}}", routes_users.job_status, methods=["GET"]),
    Route(f"{_UJOBS}/{{jobId}}", routes_users.delete_job, methods=["DELETE"]),
    Route(f"{_UJOBS}/{{jobId}}/results", routes_users.job_results, methods=["GET"]),
    Route(f"{_USERS}/aggregates/query", routes_users.aggregates_query, methods=["POST"]),
    Route(routes_lists.QUEUES_PATH, routes_lists.queues, methods=["GET"]),
    Route(
        f"{routes_lists.QUEUES_PATH}/{{queueId}}/members",
        routes_lists.queue_members,
        methods=["GET"],
    ),
    Route(routes_lists.USERS_PATH, routes_lists.users, methods=["GET"]),
    Route(routes_lists.WRAPUP_PATH, routes_lists.wrapup_codes, methods=["GET"]),
    Route(routes_lists.DIVISIONS_PATH, routes_lists.divisions, methods=["GET"]),
    Route(routes_lists.PRESENCE_PATH, routes_lists.presence_definitions, methods=["GET"]),
    Route("/_emulator/truth", routes_misc.truth, methods=["GET"]),
    Route("/_emulator/stats", routes_misc.stats, methods=["GET"]),
    Route("/_emulator/now", routes_misc.set_now, methods=["POST"]),
]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        err = ApiError(404, "not.found", f"No resource at {request.url.path}.")
    elif exc.status_code == 405:
        err = ApiError(
            405, "method.not.allowed", f"{request.method} is not allowed on {request.url.path}."
        )
    else:
        err = ApiError(exc.status_code, "bad.request", str(exc.detail))
    return error_response(request, err)


def create_app(settings: EmulatorSettings, *, clock: Clock | None = None) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emu`` is its EmulatorState.

    ``clock`` (monotonic seconds) drives rate windows, token expiry and job progress.
    """
    state = EmulatorState(settings, clock)
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(Gateway, state=state)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.emu = state
    log.debug("emulator app created (seed=%s, now=%s)", settings.seed, state.now)
    return app
