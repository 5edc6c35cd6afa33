"""JSON responses and the API's ErrorBody, raised from handlers as ApiError."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response


class ApiError(Exception):
    """An error the emulator answers with an ErrorBody."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return JSONBody(content, status_code=status, headers=headers)


def error_body(status: int, code: str, message: str, context_id: str) -> dict[str, Any]:
    return {
        "message": message,
        "code": code,
        "status": status,
        "contextId": context_id,
        "details": [],
        "errors": [],
    }


def correlation_id(request: Request) -> str:
    return str(request.scope.get("correlation_id", ""))


def error_response(request: Request, err: ApiError) -> Response:
    body = error_body(err.status, err.code, err.message, correlation_id(request))
    return json_response(body, err.status, err.headers)


def bad_request(message: str, code: str = "bad.request") -> ApiError:
    return ApiError(400, code, message)


def not_found(message: str = "The requested resource was not found.") -> ApiError:
    return ApiError(404, "not.found", message)
