"""FastAPI app: the engine behind HTTP, assembled from single-purpose parts (see the modules beside this one).
Every error is a 4xx with a JSON body that says what to fix (OpenAI's shape: {"error": {"message", "type",
"param"}}); the server keeps serving.

One engine per app, used by one render at a time (the model's working memory is per render); the request
threads queue on its lock while the event loop stays free to answer others, and the job worker renders
between them. Requests pass, outermost first: CORS (only when origins are given), API keys, rate limits,
body size limits, then the routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse

from vocalis.audio import Audio
from vocalis.engine import Chunk
from vocalis.errors import VocalisError
from vocalis.service import SpeechRequest, Vocalis
from vocalis.service.encode import MEDIA_TYPES, encode, pcm16, wav_header
from vocalis.service.local_server import SECONDS_HEADER, LocalServer, publish, withdraw
from vocalis.service.lock import EngineLock
from vocalis.studio.api.auth import AuthMiddleware, AuthMode, requester
from vocalis.studio.api.consent import consent_routes
from vocalis.studio.api.docs import install_docs
from vocalis.studio.api.errors import install_error_handlers
from vocalis.studio.api.jobqueue import JobQueue
from vocalis.studio.api.jobs import job_routes
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.api.limits import BodyLimitMiddleware, BodyLimits
from vocalis.studio.api.ratelimit import DEFAULT_RATE, RateLimitMiddleware
from vocalis.studio.api.schemas import OpenAISpeech, TTSRequest
from vocalis.studio.api.training import training_routes
from vocalis.studio.api.voices import voice_routes
from vocalis.studio.api.warming import Warming
from vocalis.studio.api.worker import JobWorker
from vocalis.trust.provenance import sign_bytes

# Response formats C2PA can sign, as the suffixes it knows them by (aac is raw ADTS here, opus is Ogg: unsigned).
SIGNED_FORMATS = {"wav": ".wav", "mp3": ".mp3", "flac": ".flac"}

POOL_THREADS = 256


def create_app(tts: Vocalis | None = None, *, auth: AuthMode = AuthMode.AUTO, rate_per_minute: int = DEFAULT_RATE,
               cors_origins: Sequence[str] = (), limits: BodyLimits | None = None,
               card: LocalServer | None = None) -> FastAPI:
    """The app around one engine (built lazily on the first request when None).

    `auth`: see auth.py (`vocalis serve` picks it from the address it binds). `rate_per_minute`: requests a
    minute for a key without its own rate, and per client address while no key exists (0: no limit).
    `cors_origins`: the web origins allowed to call the API from a browser (none by default). `card`: published in
    the data home while the server runs (see `service.local_server`); its token stands for the local user."""
    limits = limits or BodyLimits()
    engine = tts or Vocalis()
    lock = EngineLock()
    worker = JobWorker(engine, lock, queue := JobQueue())
    warming = Warming(engine, lock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Each request waiting for the engine holds a pool thread; with anyio's default 40, 40 waiting renders
        # would leave quick requests (voices, job status) waiting behind them. A waiting thread costs little.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, POOL_THREADS)
        worker.start()
        warming.start()
        if card:
            publish(card)
        yield
        if card:
            withdraw(card)
        worker.stop()

    app = FastAPI(title="Vocalis", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Offline English and Mandarin text-to-speech with emotion and timing control.")
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    app.add_middleware(RateLimitMiddleware, default_rate=rate_per_minute)
    app.add_middleware(AuthMiddleware, store=KeyStore(), mode=auth, local_token=card and card.token)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["Retry-After", "Location"])
    app.include_router(voice_routes(engine, lock, limits))
    app.include_router(consent_routes(lock, limits))
    app.include_router(job_routes(queue, worker))
    app.include_router(training_routes(queue, worker, limits))

    @app.get("/health")
    async def health() -> dict[str, str]:  # async: answered on the event loop even when every thread waits
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:  # 200 once the models are loaded and have run (a load balancer's check)
        return JSONResponse({"status": warming.state}, status_code=200 if warming.state == "ready" else 503)

    @app.post("/v1/audio/speech")
    def speech(body: OpenAISpeech, request: Request) -> Response:
        return _respond(engine, lock, body.to_request(), body.streaming, requester(request))

    @app.post("/v1/tts")
    def tts_native(body: TTSRequest, request: Request) -> Response:
        return _respond(engine, lock, body.to_request(low_latency=body.stream), body.stream, requester(request))

    return app


def _respond(engine: Vocalis, lock: EngineLock, request: SpeechRequest, streaming: bool, who: str) -> Response:
    """The speech in the request's format: streamed as it renders (pcm or wav only, watermarked but unsigned: a
    signature covers a whole file), or whole (wav, mp3 and flac C2PA-signed)."""
    fmt = request.format
    if fmt == "ogg":
        raise VocalisError("format ogg is for files: ask for opus (in Ogg) instead")
    if streaming and fmt not in ("pcm", "wav"):
        raise VocalisError(f"streaming sends pcm or wav, not {fmt}: ask for pcm or wav")
    chunks = _chunks(engine, lock, request, who)
    if streaming:
        return _stream(chunks, fmt, engine)
    chunks = list(chunks)
    data = encode(Audio.concat([c.audio for c in chunks]), fmt)
    if fmt in SIGNED_FORMATS:
        data = sign_bytes(data, SIGNED_FORMATS[fmt], chunks[0].credentials)
    seconds = sum(len(c.audio.samples) for c in chunks) / engine.sample_rate
    return Response(data, media_type=MEDIA_TYPES[fmt], headers={SECONDS_HEADER: f"{seconds:.3f}"})


def _chunks(engine: Vocalis, lock: EngineLock, request: SpeechRequest, who: str) -> Iterator[Chunk]:
    """The request checked now (a bad one fails before any byte is sent), rendered lazily, one segment per
    turn of the lock."""
    with lock:
        stream = engine.open(request, who)
        first = next(stream)  # the first segment is planned here: errors surface as a 4xx, not a cut stream

    def rest() -> Iterator[Chunk]:
        yield first
        while True:
            with lock.continuing():
                chunk = next(stream, None)
            if chunk is None:
                return
            yield chunk

    return rest()


def _stream(chunks: Iterator[Chunk], fmt: str, engine: Vocalis) -> StreamingResponse:
    """Raw audio as each segment renders: 16-bit PCM, or WAV (a header, then PCM)."""

    def body() -> Iterator[bytes]:
        if fmt == "wav":
            yield wav_header(engine.sample_rate)
        for chunk in chunks:
            yield pcm16(chunk.audio.samples)

    return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt])
