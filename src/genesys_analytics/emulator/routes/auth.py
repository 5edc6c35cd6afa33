"""``POST /oauth/token``: the client-credentials grant."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.gateway import basic_credentials
from genesys_analytics.emulator.responses import json_response
from genesys_analytics.emulator.state import EmulatorState


def _login_error(status: int, error: str, description: str) -> Response:
    body = {"error": error, "description": description, "error_description": description}
    return json_response(body, status)


async def token(request: Request) -> Response:
    state: EmulatorState = request.app.state.emu
    settings = state.settings
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    grant = form.get("grant_type", [""])[0]
    creds = basic_credentials(request.headers.get("authorization"))
    valid = (
        creds is not None
        and hmac.compare_digest(creds[0], settings.client_id)
        and hmac.compare_digest(creds[1], settings.client_secret)
    )
    if not valid:
        state.counters["token_errors"] += 1
        return _login_error(settings.token_error_status, "invalid_client", "authentication failed")
    if grant != "client_credentials":
        state.counters["token_errors"] += 1
        return _login_error(400, "unsupported_grant_type", f"grant type {grant!r} is not supported")
    access_token, lifetime = state.issue_token(settings.client_id)
    return json_response(
        {"access_token": access_token, "token_type": "bearer", "expires_in": lifetime}
    )
