"""FastAPI app: the engine behind HTTP. Every error is a 4xx with a JSON body that says what to fix
(OpenAI's shape: {"error": {"message", "type", "param"}}); the server keeps serving.

One engine per app, used by one request at a time (the model's working memory is per render); the
request threads queue on a lock while the event loop stays free to answer others.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from vocalis.audio import Audio
from vocalis.emotion import Emotion
from vocalis.emotion.control import emotion_control
from vocalis.errors import VocalisError, VoiceError
from vocalis.pipeline import MAX_CHARS, SPEED_RANGE, Vocalis
from vocalis.server.encode import MEDIA_TYPES, check_format, encode, pcm16, wav_header

# OpenAI's voice names, mapped to the built-in voice that suits each best (male: echo, onyx, fable).
OPENAI_VOICES = {"alloy": "jf_alpha", "echo": "jm_kumo", "fable": "jm_kumo", "onyx": "jm_kumo",
                 "nova": "jf_nezumi", "shimmer": "jf_gongitsune"}


MAX_UPLOAD_BYTES = 50 * 2**20  # per reference clip: 30 s of speech is a few MB even as WAV


class SpeechRequest(BaseModel):
    """OpenAI's `POST /v1/audio/speech` body."""

    model: str = "vocalis"  # accepted and ignored: one engine serves every model name
    input: str = Field(min_length=1, max_length=MAX_CHARS)
    voice: str = "default"
    response_format: str = "mp3"  # OpenAI's default
    speed: float = Field(default=1.0, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    stream_format: Literal["audio", "sse"] | None = None
    instructions: str | None = None  # OpenAI's delivery instructions: read as an emotion description


class EmotionSpec(BaseModel):
    vector: dict[str, float] | None = None  # e.g. {"happy": 0.8}
    text: str | None = None  # a description, English or Chinese
    weight: float = Field(default=1.0, ge=0.0, le=1.0)
    shares: dict[str, float] | None = None  # {"vector": 0.3, "text": 0.7}


class TTSRequest(BaseModel):
    """The native `POST /v1/tts` body: everything the engine takes."""

    text: str = Field(min_length=1, max_length=MAX_CHARS)
    voice: str = "default"
    lang: Literal["auto", "en", "zh"] = "auto"
    speed: float = Field(default=1.0, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    duration: float | None = None
    emotion: EmotionSpec | None = None
    format: str = "wav"
    stream: bool = False


def create_app(tts: Vocalis | None = None) -> FastAPI:
    """The app around one engine (built lazily on the first request when None)."""
    app = FastAPI(title="Vocalis", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Offline English and Mandarin text-to-speech with emotion and timing control.")
    engine = tts or Vocalis()
    lock = threading.Lock()

    @app.exception_handler(VocalisError)
    def vocalis_error(_request: Request, exc: VocalisError) -> JSONResponse:
        return _error(404 if isinstance(exc, VoiceError) else 400, str(exc))

    @app.exception_handler(RequestValidationError)
    def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
        return _error(400, f"{where}: {first.get('msg', 'invalid value')}", param=where)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/voices")
    def voices() -> dict[str, Any]:
        from vocalis.voice import builtin_voices
        from vocalis.voice.library import library_voices

        built = [{"name": v.name, "language": v.language, "kind": "builtin"} for v in builtin_voices().values()]
        cloned = [{"name": v.name, "language": v.language, "kind": "cloned"} for v in library_voices()]
        return {"voices": built + cloned, "openai_aliases": OPENAI_VOICES}

    @app.post("/v1/voices", status_code=201)
    def add_voice(name: Annotated[str, Form()], references: Annotated[list[UploadFile], File()],
                  lang: Annotated[Literal["en", "zh"], Form()] = "en") -> dict[str, Any]:
        """Clone a voice from uploaded clips (3-30 s of one person's speech, any common format)."""
        from vocalis.voice.library import check_name, voice_path

        check_name(name)  # a bad or taken name fails before the upload is read or anything renders
        if voice_path(name).exists():
            raise VocalisError(f"a voice named {name!r} already exists: pick another name or delete it first")
        with tempfile.TemporaryDirectory() as folder:  # the clips are gone after the clone, kept or not
            paths = []
            for k, upload in enumerate(references):
                data = upload.file.read(MAX_UPLOAD_BYTES + 1)
                if len(data) > MAX_UPLOAD_BYTES:
                    raise VocalisError(f"reference {upload.filename!r} is over {MAX_UPLOAD_BYTES // 2**20} MB: "
                                       "send 3-30 s of speech")
                path = Path(folder) / f"ref{k}{Path(upload.filename or '').suffix.lower()}"
                path.write_bytes(data)
                paths.append(path)
            with lock:
                voice = engine.clone(paths, name, lang=lang)
        return {"name": voice.name, "language": voice.language, "kind": "cloned",
                "quality_hints": voice.meta.get("quality_hints", [])}

    @app.delete("/v1/voices/{name}")
    def remove_voice(name: str) -> dict[str, str]:
        from vocalis.voice.library import delete_voice

        delete_voice(name)
        return {"deleted": name}

    @app.post("/v1/audio/speech")
    def speech(body: SpeechRequest) -> Response:
        fmt = check_format(body.response_format)
        streaming = _streamable(fmt) if body.stream_format == "audio" or fmt == "pcm" else False
        emotion = emotion_control(text=body.instructions) if body.instructions else None
        chunks = _chunks(engine, lock, body.input, _voice(body.voice), "auto", body.speed, emotion, None)
        if streaming:
            return _stream(chunks, fmt, engine)
        return Response(encode(Audio.concat(list(chunks)), fmt), media_type=MEDIA_TYPES[fmt])

    @app.post("/v1/tts")
    def tts_native(body: TTSRequest) -> Response:
        fmt = check_format(body.format)
        if body.stream:
            _streamable(fmt)
        emotion = None
        if body.emotion:
            e = body.emotion
            vector = Emotion.of(**e.vector) if e.vector else None
            emotion = emotion_control(vector=vector, text=e.text, weight=e.weight, shares=e.shares)
        chunks = _chunks(engine, lock, body.text, _voice(body.voice), body.lang, body.speed, emotion, body.duration)
        if body.stream:
            return _stream(chunks, fmt, engine)
        return Response(encode(Audio.concat(list(chunks)), fmt), media_type=MEDIA_TYPES[fmt])

    return app


def _voice(name: str) -> str | None:
    if name == "default":
        return None
    return OPENAI_VOICES.get(name, name)


def _chunks(engine: Vocalis, lock: threading.Lock, text: str, voice: str | None, lang: str, speed: float,
            emotion: Emotion | None, duration: float | None) -> Iterator[Audio]:
    """The request checked now (a bad one fails before any byte is sent), rendered lazily."""
    with lock:
        stream = engine.stream(text, voice, lang, speed, emotion, duration)
        first = next(stream)  # the first segment renders here: errors surface as a 4xx, not a cut stream

    def rest() -> Iterator[Audio]:
        yield first.audio
        while True:
            with lock:
                chunk = next(stream, None)
            if chunk is None:
                return
            yield chunk.audio

    return rest()


def _streamable(fmt: str) -> bool:
    if fmt not in ("pcm", "wav"):
        raise VocalisError(f"streaming sends pcm or wav, not {fmt}: ask for pcm or wav")
    return True


def _stream(chunks: Iterator[Audio], fmt: str, engine: Vocalis) -> StreamingResponse:
    """Raw audio as each segment renders: 16-bit PCM, or WAV (a header, then PCM)."""

    def body() -> Iterator[bytes]:
        if fmt == "wav":
            yield wav_header(engine.sample_rate)
        for audio in chunks:
            yield pcm16(audio.samples)

    return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt])


def _error(status: int, message: str, param: str | None = None) -> JSONResponse:
    kind = "not_found_error" if status == 404 else "invalid_request_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": param}}, status_code=status)
