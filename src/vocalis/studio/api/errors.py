"""Errors as OpenAI shapes them: {"error": {"message", "type", "param"}}, each a 4xx whose message says
what to fix. Handlers turn every failure the API can foresee into one, so the server keeps serving."""

from __future__ import annotations

import re
import tempfile

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from vocalis.errors import (
    ConsentError,
    LicenceRefused,
    PaymentRequired,
    VocalisError,
    VoiceExists,
    VoiceNotFound,
)

_KINDS = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 409: "conflict_error",
         413: "request_too_large",
          429: "rate_limit_error"}


def without_server_paths(text: str) -> str:
    """`text` with the server's folders cut from every path in it (temporary uploads, the data home with its
    jobs and library): a file shows by its name, as the client sent it (see uploads.upload_path)."""
    from vocalis.home import data_home

    roots = sorted((str(data_home()), tempfile.gettempdir()), key=len, reverse=True)
    return re.sub("(?:" + "|".join(map(re.escape, roots)) + ")/(?:[^\\s:'\"]*/)?", "", text)


class ApiError(Exception):
    """A refusal with its own status (401, 404, 413, 415, 429...) rather than the 400 of a VocalisError."""

    def __init__(self, status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.headers = status, message, param, headers


def error_kind(status: int) -> str:
    """The error's type as the body names it (and /metrics counts it)."""
    return _KINDS.get(status, "server_error" if status >= 500 else "invalid_request_error")


def error_response(status: int, message: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    kind = error_kind(status)
    return JSONResponse({"error": {"message": message, "type": kind, "param": param}}, status_code=status,
                        headers=headers)


def validation_message(errors: list[dict], skip: int = 1) -> tuple[str, str]:
    """The first problem of a pydantic validation as (message, where); `skip` drops leading location parts
    that name no field (FastAPI's "body")."""
    first = errors[0]
    if first.get("type") == "json_invalid":  # its location is a character offset, not a field
        offset = first.get("loc", (None, "?"))[-1]
        reason = (first.get("ctx") or {}).get("error", "malformed")
        return f"the body is not valid JSON ({reason} at character {offset})", "body"
    where = ".".join(str(p) for p in first.get("loc", ())[skip:]) or "body"
    if where == "body":  # no body, or not a JSON object
        return f"send a JSON object with content-type: application/json ({first.get('msg', 'invalid')})", where
    return f"{where}: {first.get('msg', 'invalid value')}", where


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VocalisError)
    def vocalis_error(_request: Request, exc: VocalisError) -> JSONResponse:
        status = (404 if isinstance(exc, VoiceNotFound) else 403 if isinstance(exc, ConsentError | LicenceRefused)
                  else 402 if isinstance(exc, PaymentRequired) else 400)
        if isinstance(exc, VoiceExists):
            return error_response(409, f"{exc} (send overwrite=true to replace it)", "name")
        return error_response(status, without_server_paths(str(exc)))

    @app.exception_handler(ApiError)
    def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.param, exc.headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, where = validation_message(list(exc.errors()))
        kind = request.headers.get("content-type", "")
        if where == "body" and kind and "json" not in kind and "multipart" not in kind and "form" not in kind:
            return error_response(415, f"content-type {kind} is not accepted here: send application/json")
        return error_response(400, message, param=where)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 413:  # raised by the body limit while the body is read
            from vocalis.studio.api.limits import LIMIT_SCOPE_KEY, too_large

            return error_response(413, too_large(request.method, request.url.path, request.scope[LIMIT_SCOPE_KEY]))
        if exc.status_code == 404:
            return error_response(404, f"no such endpoint: {request.method} {request.url.path} "
                                       "(see /docs for the API)")
        if exc.status_code == 405:
            return error_response(405, f"{request.method} is not allowed on {request.url.path} (see /docs)")
        return error_response(exc.status_code, str(exc.detail))
