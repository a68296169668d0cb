"""What an operator watches: Prometheus metrics at `/metrics`, a request id on every request (taken from the
client's `X-Request-ID` when it is a plain token, else made here, and sent back in the response), and one log
line per request, plain or JSON (`vocalis serve --log-format json`) for a log shipper.

The metrics live in the app's own registry, not prometheus-client's global one: several apps in one process
(tests, an embedding program) each count their own."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalis.studio.api.errors import error_kind

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a client's id is echoed only when it cannot forge a log line
access_log = logging.getLogger("vocalis.access")


class _Gauges(Collector):
    """Values read when scraped: the renders waiting for the engine, and the jobs in each state."""

    def __init__(self, waiting: Callable[[], int], job_states: Callable[[], dict[str, int]]):
        self.waiting, self.job_states = waiting, job_states

    def collect(self):  # noqa: ANN201 (prometheus-client's interface)
        queue = GaugeMetricFamily("vocalis_engine_queue_depth", "Requests waiting for their turn on the engine")
        queue.add_metric([], self.waiting())
        yield queue
        jobs = GaugeMetricFamily("vocalis_jobs", "Jobs in the queue by state", labels=["state"])
        states = self.job_states()
        for state in ("queued", "running", "done", "failed", "cancelled"):
            jobs.add_metric([state], states.get(state, 0))
        yield jobs


class Metrics:
    def __init__(self, waiting: Callable[[], int], job_states: Callable[[], dict[str, int]]):
        self.registry = CollectorRegistry()
        self.requests = Counter("vocalis_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("vocalis_http_request_seconds", "Time to answer a request, to its last byte",
                                 ["route"], registry=self.registry,
                                 buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
        self.errors = Counter("vocalis_errors", "Error responses by type", ["type"], registry=self.registry)
        self.renders = Counter("vocalis_renders", "Speech renders answered, by voice", ["voice"],
                               registry=self.registry)
        self.audio = Counter("vocalis_audio_seconds", "Seconds of speech rendered, by voice", ["voice"],
                             registry=self.registry)
        self.rtf = Histogram("vocalis_render_rtf", "Real-time factor of each render (engine time / audio time)",
                             registry=self.registry, buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5))
        self.registry.register(_Gauges(waiting, job_states))

    def rendered(self, voice: str, audio_seconds: float, engine_seconds: float) -> None:
        self.renders.labels(voice).inc()
        self.audio.labels(voice).inc(audio_seconds)
        if audio_seconds > 0:
            self.rtf.observe(engine_seconds / audio_seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ObservabilityMiddleware:
    """Outermost: gives each request its id, then counts, times and logs it once its last byte has gone (a
    stream's too), whatever answered it (a route, a refusal by a middleware, an error handler)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, send_id: bool = True):
        """`send_id` False: a proxy in front (Ray Serve's) gives the request its id and returns it itself."""
        self.app, self.metrics, self.send_id = app, metrics, send_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = given if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        start, status = time.perf_counter(), [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if self.send_id:
                    message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status[0], time.perf_counter() - start, request_id)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"  # the template: /v1/jobs/{job_id}
        if route == "/metrics":
            return  # a scraper's own visits would drown the figures it reads
        self.metrics.requests.labels(scope["method"], route, str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        if status >= 400:
            self.metrics.errors.labels(error_kind(status)).inc()
        key = scope["state"].get("api_key")
        fields = {"request_id": request_id, "method": scope["method"], "path": scope["path"], "status": status,
                  "seconds": round(seconds, 4), "key": key.name if key else None}
        access_log.info("request", extra={"fields": fields})


class TextFormatter(logging.Formatter):
    """`level: message key=value ...`, one line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return f"{record.levelname.lower()}: {record.getMessage()}" + (f" {pairs}" if pairs else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's fields (a request's id...)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                                "level": record.levelname.lower(), "logger": record.name,
                                "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """The server's log lines (requests, warnings) on stderr, plain or JSON."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger = logging.getLogger("vocalis")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
