"""What a load balancer and a scraper ask: `/health` (the process answers), `/ready` (models loaded and run,
databases reachable) and `/metrics` (Prometheus's text format, see observability.py)."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from vocalis.studio.api.errors import ApiError
from vocalis.studio.api.jobqueue import JobQueue
from vocalis.studio.api.observability import Metrics


class Readiness(Protocol):
    state: str  # "warming", "ready" or "failed"


def operations_routes(models: Readiness, queue: JobQueue, metrics: Metrics) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> dict[str, str]:  # async: answered on the event loop even when every thread waits
        return {"status": "ok"}

    @router.get("/ready")
    def ready() -> JSONResponse:
        database = _database_state(queue)
        state = models.state if database == "ok" else "database unreachable"
        return JSONResponse({"status": state, "models": models.state, "database": database},
                            status_code=200 if state == "ready" else 503)

    @router.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        key = request.state.api_key
        if key is not None and not key.operator:  # the figures name every account's voices
            raise ApiError(403, f"the API key {key.name!r} may not read /metrics: use an operator key "
                                "(`vocalis keys create NAME --operator`)")
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def _database_state(queue: JobQueue) -> str:
    """"ok", or what failed: the shared database ($VOCALIS_DB_URL) and the job queue both answer a query."""
    from vocalis.trust.db import trust_db

    try:
        with trust_db().connect() as connection:
            connection.execute(text("SELECT 1"))
        queue.counts()
    except Exception as e:  # any driver's error: the check reports it rather than failing itself
        return f"{type(e).__name__}: {e}".splitlines()[0][:200]
    return "ok"
