"""Request body caps: checked from Content-Length before anything is read, and again while a body streams
in (a chunked upload has no length), so no body larger than its cap is read into memory or onto disk.
Over the cap: 413 with the JSON error."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalis.studio.api.errors import error_response

MB = 2**20
LIMIT_SCOPE_KEY = "vocalis.body_limit"  # the cap in force, for the 413 message


@dataclass(frozen=True)
class BodyLimits:
    # A JSON request: MAX_CHARS (200,000) of Chinese sent \u-escaped is 1.2 MB; 2 MB leaves room for the rest.
    json: int = 2 * MB
    # A job batch (YAML or JSONL): several long texts.
    batch: int = 16 * MB
    # One reference clip: 30 s of speech is a few MB even as WAV.
    upload_file: int = 50 * MB
    # All the clips of one clone request, multipart overhead included.
    upload_total: int = 100 * MB
    # All the clips of one training request: up to 10 minutes of speech, in whatever format it was recorded.
    training_total: int = 400 * MB

    def for_request(self, method: str, path: str) -> int:
        if method == "POST" and path.rstrip("/") == "/v1/voices":
            return self.upload_total
        if method == "POST" and path.startswith("/v1/voices/") and path.rstrip("/").endswith("/train"):
            return self.training_total
        if method == "POST" and path.rstrip("/") == "/v1/jobs":
            return self.batch
        return self.json


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits):
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = scope[LIMIT_SCOPE_KEY] = self.limits.for_request(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(413, too_large(scope["method"], scope["path"], limit))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # FastAPI passes an HTTPException from reading on to the error handlers
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)


def too_large(method: str, path: str, limit: int) -> str:
    hint = {"/v1/voices": "send shorter clips (3-30 s of speech is enough)",
            "/v1/jobs": "split the batch into several"}.get(path.rstrip("/"), "a long text can go to POST /v1/jobs")
    return f"the request body is over {size_text(limit)}, the limit for {method} {path}: {hint}"


def size_text(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{size / 1024:g} kB"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
