"""FastAPI app: the engine behind HTTP, assembled from single-purpose parts (see the modules beside this one).
Every error is a 4xx with a JSON body that says what to fix (OpenAI's shape: {"error": {"message", "type",
"param"}}); the server keeps serving.

One engine per app, used by one render at a time (the model's working memory is per render); the request
threads queue on its lock while the event loop stays free to answer others, and the job worker renders
between them. Requests pass, outermost first: CORS (only when origins are given), API keys, rate limits,
body size limits, then the routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from vocalis.service import Vocalis
from vocalis.service.chain_sync import ChainSync
from vocalis.service.local_server import LocalServer, publish, withdraw
from vocalis.service.lock import EngineLock
from vocalis.studio.api.auth import AuthMiddleware, AuthMode
from vocalis.studio.api.cluster import FreeLock, RemoteEngine, RendererReadiness
from vocalis.studio.api.consent import consent_routes
from vocalis.studio.api.docs import install_docs
from vocalis.studio.api.dubbing import dubbing_routes
from vocalis.studio.api.errors import install_error_handlers
from vocalis.studio.api.jobqueue import JobQueue
from vocalis.studio.api.jobs import job_routes
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.api.limits import BodyLimitMiddleware, BodyLimits
from vocalis.studio.api.market import market_routes
from vocalis.studio.api.observability import REQUEST_ID_HEADER, Metrics, ObservabilityMiddleware
from vocalis.studio.api.operations import operations_routes
from vocalis.studio.api.ratelimit import DEFAULT_RATE, RateLimitMiddleware
from vocalis.studio.api.speech import WorkLimits, speech_routes
from vocalis.studio.api.training import training_routes
from vocalis.studio.api.voices import voice_routes
from vocalis.studio.api.warming import Warming
from vocalis.studio.api.worker import JobWorker

POOL_THREADS = 256


def create_app(tts: Vocalis | None = None, *, auth: AuthMode = AuthMode.AUTO, rate_per_minute: int = DEFAULT_RATE,
               cors_origins: Sequence[str] = (), limits: BodyLimits | None = None,
               card: LocalServer | None = None, work: WorkLimits | None = None, chain_sync_s: float = 0,
               renderer: RemoteEngine | None = None) -> FastAPI:
    """The app around one engine (built lazily on the first request when None).

    `auth`: see auth.py (`vocalis serve` picks it from the address it binds). `rate_per_minute`: requests a
    minute for a key without its own rate, and per client address while no key exists (0: no limit).
    `cors_origins`: the web origins allowed to call the API from a browser (none by default). `card`: published in
    the data home while the server runs (see `service.local_server`); its token stands for the local user.
    `work`: the bounds on each request's work (see speech.py). `chain_sync_s`: mirror the market's ledger on
    chain every so many seconds (0: only when asked, POST /v1/market/chain/sync). `renderer`: a Ray cluster's
    renderers, which speech and a batch's items go to (see cluster.py); the rest stays on this app's engine."""
    limits = limits or BodyLimits()
    engine = tts or Vocalis()
    lock = EngineLock()
    worker = JobWorker(engine, lock, queue := JobQueue(), renderer)
    warming = RendererReadiness(renderer) if renderer else Warming(engine, lock)
    chain_sync = ChainSync(chain_sync_s) if chain_sync_s > 0 else None
    metrics = Metrics(lambda: lock.waiting, queue.counts)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Each request waiting for the engine holds a pool thread; with anyio's default 40, 40 waiting renders
        # would leave quick requests (voices, job status) waiting behind them. A waiting thread costs little.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, POOL_THREADS)
        worker.start()
        warming.start()
        if chain_sync:
            chain_sync.start()
        if card:
            publish(card)
        yield
        if card:
            withdraw(card)
        worker.stop()
        if chain_sync:
            chain_sync.stop()

    app = FastAPI(title="Vocalis", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Offline English and Mandarin text-to-speech with emotion and timing control.")
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    app.add_middleware(RateLimitMiddleware, default_rate=rate_per_minute)
    app.add_middleware(AuthMiddleware, store=KeyStore(), mode=auth, local_token=card and card.token)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["Retry-After", "Location", REQUEST_ID_HEADER])
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, send_id=renderer is None)
    if renderer:  # each replica has an engine and a lock of its own
        app.include_router(speech_routes(renderer, FreeLock(), work or WorkLimits(), metrics))
    else:
        app.include_router(speech_routes(engine, lock, work or WorkLimits(), metrics))
    app.include_router(voice_routes(engine, lock, limits))
    app.include_router(consent_routes(lock, limits))
    app.include_router(job_routes(queue, worker))
    app.include_router(training_routes(queue, worker, limits))
    app.include_router(dubbing_routes(queue, worker, limits))
    app.include_router(market_routes(engine, lock))

    app.include_router(operations_routes(warming, queue, metrics))
    return app

