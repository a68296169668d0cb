"""`POST /v1/audio/speech` (OpenAI's shape) and `POST /v1/tts` (native): a request's work bounded before any
rendering starts, rendered a segment per turn of the engine lock, and cancelled within one segment when its
client goes away, streamed or not.

Bounds (`WorkLimits`, set by `vocalis serve --max-chars/--max-seconds/--key-seconds`): the text a request may
send at once (longer texts go to the job queue), the audio seconds one request may make (a duration is checked
up front; a text is cut off when its audio reaches the bound), and the audio seconds a key may make per hour."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from vocalis.audio import Audio
from vocalis.engine import Chunk
from vocalis.errors import VocalisError
from vocalis.service import SpeechRequest, Vocalis
from vocalis.service.access import check_request_voice
from vocalis.service.encode import MEDIA_TYPES, encode, pcm16, wav_header
from vocalis.service.local_server import SECONDS_HEADER
from vocalis.service.lock import EngineLock
from vocalis.studio.api.auth import account, requester
from vocalis.studio.api.errors import ApiError
from vocalis.studio.api.observability import Metrics
from vocalis.studio.api.schemas import OpenAISpeech, TTSRequest
from vocalis.studio.api.usage import HOUR, Usage, usage_for
from vocalis.trust.provenance import sign_bytes

# Response formats C2PA can sign, as the suffixes it knows them by (aac is raw ADTS here, opus is Ogg: unsigned).
SIGNED_FORMATS = {"wav": ".wav", "mp3": ".mp3", "flac": ".flac"}
SERVED_BY_HEADER = "X-Served-By"


@dataclass(frozen=True)
class WorkLimits:
    # Characters one speech request may send; more goes to POST /v1/jobs (about 20 minutes of speech).
    request_chars: int = 20_000
    # Audio seconds one request may make: a duration above it is refused, a text is cut off at it.
    request_seconds: float = 1800.0
    # Audio seconds a key (or an address, on a server without keys) may make in any hour; 0: no limit.
    key_seconds_per_hour: float = 4 * HOUR


@dataclass(frozen=True)
class _Context:
    """What every speech request shares on one server."""
    engine: Vocalis
    lock: EngineLock
    limits: WorkLimits
    usage: Usage
    metrics: Metrics


def speech_routes(engine: Vocalis, lock: EngineLock, limits: WorkLimits, metrics: Metrics) -> APIRouter:
    router = APIRouter(tags=["speech"])
    context = _Context(engine, lock, limits, usage_for(limits.key_seconds_per_hour), metrics)

    @router.post("/v1/audio/speech")
    async def speech(body: OpenAISpeech, request: Request) -> Response:
        response = await _respond(context, body.to_request(), body.streaming, request, body.stream_format == "sse")
        if body.speed != body.clamped_speed:
            response.headers["X-Speed-Clamped"] = f"speed {body.speed} was rendered at {body.clamped_speed}"
        return response

    @router.post("/v1/tts")
    async def tts_native(body: TTSRequest, request: Request) -> Response:
        speech = body.to_request(low_latency=body.stream, idempotency_key=request.headers.get("Idempotency-Key"))
        return await _respond(context, speech, body.stream, request)

    return router


async def _respond(context: _Context, speech: SpeechRequest, streaming: bool, request: Request,
                   events: bool = False) -> Response:
    """The speech in the request's format: streamed as it renders (pcm or wav, or OpenAI's server-sent events;
    watermarked but unsigned: a signature covers a whole file), or whole (wav, mp3 and flac C2PA-signed)."""
    fmt = speech.format
    if fmt == "ogg":
        raise VocalisError("format ogg is for files: ask for opus (in Ogg) instead")
    if events and fmt not in ("pcm", "wav"):
        fmt = "pcm"  # OpenAI's event stream carries base64 PCM
    elif streaming and fmt not in ("pcm", "wav"):
        raise VocalisError(f"streaming sends pcm or wav, not {fmt}: ask for pcm or wav")
    _bound(speech, context.limits)
    # Loading and hashing a voice file, encoding and signing are slow: off the event loop, which serves everyone.
    await anyio.to_thread.run_sync(check_request_voice, speech, account(request))
    client = requester(request)
    await anyio.to_thread.run_sync(context.usage.check, client)  # on a shared database: a query
    render = _Render(context, speech, client)
    await anyio.to_thread.run_sync(render.start)
    if events:
        return StreamingResponse(_events(render), media_type="text/event-stream", headers=render.served_by())
    if streaming:
        return StreamingResponse(_raw(render, fmt, context.engine.sample_rate), media_type=MEDIA_TYPES[fmt],
                                 headers=render.served_by())
    chunks = []
    async for chunk in render:
        chunks.append(chunk)
        if await request.is_disconnected():  # nobody to answer: stop within this segment
            render.close()
            return Response(status_code=499)
    data = await anyio.to_thread.run_sync(_file_bytes, chunks, fmt)
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={SECONDS_HEADER: f"{render.seconds:.3f}", **render.served_by()})


def _file_bytes(chunks: list[Chunk], fmt: str) -> bytes:
    """The whole speech encoded in `fmt`, C2PA-signed where the format carries a manifest."""
    data = encode(Audio.concat([c.audio for c in chunks]), fmt)
    if fmt in SIGNED_FORMATS:
        data = sign_bytes(data, SIGNED_FORMATS[fmt], chunks[0].credentials)
    return data


def _bound(speech: SpeechRequest, limits: WorkLimits) -> None:
    if len(speech.text) > limits.request_chars:
        raise ApiError(413, f"the text is {len(speech.text)} characters; this server speaks at most "
                            f"{limits.request_chars} in one request: send longer texts as a job (POST /v1/jobs, same "
                            "body), which renders in the background", param="input")
    if speech.duration is not None and speech.duration > limits.request_seconds:
        raise VocalisError(f"duration {speech.duration} s is over this server's limit of {limits.request_seconds:.0f} "
                           "s per request")


class _Render:
    """One request's chunks, each rendered on a pool thread under the engine lock (the client's turn), as the
    response reads them; closing it (a client gone) ends the render and records what was made."""

    def __init__(self, context: _Context, speech: SpeechRequest, client: str):
        self.engine, self.lock, self.speech, self.client = context.engine, context.lock, speech, client
        self.max_seconds, self.usage, self.metrics = context.limits.request_seconds, context.usage, context.metrics
        self.seconds = 0.0
        self.engine_seconds = 0.0  # time spent rendering, turns of the lock only (not waiting, not sending)
        self._replicas: list[str] = []  # on a cluster: the renderers the stream comes from (RemoteChunks's list)
        self._stream: Iterator[Chunk] | None = None
        self._first: Chunk | None = None

    def start(self) -> None:
        """The request checked and its first segment planned: a bad one fails as a 4xx, before any byte."""
        with self.lock.turn(self.client):
            start = time.perf_counter()
            self._stream = self.engine.open(self.speech, self.client)
            self._first = next(self._stream)
            self.engine_seconds += time.perf_counter() - start
        self._replicas = getattr(self._stream, "replicas", [])

    def _next(self) -> Chunk | None:
        if self._first is not None:
            chunk, self._first = self._first, None
        elif self.seconds >= self.max_seconds or self.usage.spent(self.client):
            chunk = None  # the bounds on one request's audio and on the key's hour (met by its other requests)
        else:
            with self.lock.turn(self.client, continuing=True):
                start = time.perf_counter()
                chunk = next(self._stream, None)
                self.engine_seconds += time.perf_counter() - start
        if chunk is None:
            self.close()
            return None
        made = chunk.audio.duration
        self.seconds += made
        self.usage.add(self.client, made)
        return chunk

    def served_by(self) -> dict[str, str]:
        """On a cluster, the X-Served-By header: the renderer replicas that rendered it so far."""
        return {SERVED_BY_HEADER: ",".join(self._replicas)} if self._replicas else {}

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        try:
            while (chunk := await anyio.to_thread.run_sync(self._next)) is not None:
                yield chunk
        finally:  # a response cancelled between chunks (its client gone) lands here
            self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()  # type: ignore[attr-defined]  # a generator: its audit record is written
            self._stream = None
            self.metrics.rendered(self.speech.voice or "default", self.seconds, self.engine_seconds)


async def _raw(render: _Render, fmt: str, sample_rate: int) -> AsyncIterator[bytes]:
    """Raw audio as each segment renders: 16-bit PCM, or WAV (a header, then PCM)."""
    if fmt == "wav":
        yield wav_header(sample_rate)
    async for chunk in render:
        yield pcm16(chunk.audio.samples)


async def _events(render: _Render) -> AsyncIterator[bytes]:
    """OpenAI's `stream_format: "sse"`: a `speech.audio.delta` event of base64 PCM per segment, then
    `speech.audio.done`."""
    import base64

    async for chunk in render:
        delta = base64.b64encode(pcm16(chunk.audio.samples)).decode()
        yield f"data: {json.dumps({'type': 'speech.audio.delta', 'audio': delta})}\n\n".encode()
    done = {"type": "speech.audio.done", "usage": {"audio_seconds": round(render.seconds, 3)}}
    yield f"data: {json.dumps(done)}\n\n".encode()
