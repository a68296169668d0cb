"""Request bodies: JSON shapes of the service's `SpeechRequest`, with the same field names (OpenAI's body keeps
its own names and maps onto it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vocalis.errors import VocalisError
from vocalis.market.store import CID_TEXT
from vocalis.service import EmotionSpec, SpeechRequest
from vocalis.service.market import PREFIX, MarketUse
from vocalis.service.request import (
    MAX_CHARS,
    PAUSE_SCALE_RANGE,
    SEGMENT_PHONEMES,
    SEGMENT_RANGE,
    SPEED_RANGE,
)
from vocalis.voice.library import VOICE_NAME

OPENAI_SPEED_RANGE = (0.25, 4.0)


class OpenAISpeech(BaseModel):
    """OpenAI's `POST /v1/audio/speech` body."""

    model: str = "vocalis"  # accepted and ignored: one engine serves every model name
    input: str = Field(min_length=1, max_length=MAX_CHARS)
    voice: str = "default"
    response_format: str = "mp3"  # OpenAI's default
    # OpenAI's range; rendered within ours (SPEED_RANGE), with a header saying so (see `clamped_speed`).
    speed: float = Field(default=1.0, ge=OPENAI_SPEED_RANGE[0], le=OPENAI_SPEED_RANGE[1])
    stream_format: Literal["audio", "sse"] | None = None  # sse: OpenAI's events, base64 PCM in each
    instructions: str | None = None  # OpenAI's delivery instructions: read as an emotion description

    @property
    def streaming(self) -> bool:
        return self.stream_format is not None or self.response_format == "pcm"

    @property
    def clamped_speed(self) -> float:
        return min(max(self.speed, SPEED_RANGE[0]), SPEED_RANGE[1])

    def to_request(self) -> SpeechRequest:
        emotion = EmotionSpec(text=self.instructions) if self.instructions else None
        return SpeechRequest(self.input, voice=voice_name(self.voice), speed=self.clamped_speed, emotion=emotion,
                             format=self.response_format, low_latency=self.streaming)


class EmotionBody(BaseModel):
    """The service's EmotionSpec in JSON (a clip is not taken by path: a server's files are not the client's)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field must not be ignored silently
    vector: dict[str, float] | None = None  # e.g. {"happy": 0.8}
    text: str | None = None  # a description, English or Chinese
    weight: float = Field(default=1.0, ge=0.0, le=1.0)
    shares: dict[str, float] | None = None  # {"vector": 0.3, "text": 0.7}


class RenderRequest(BaseModel):
    """A text and everything the engine takes to speak it."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field ("sped") must not be ignored silently

    text: str = Field(min_length=1, max_length=MAX_CHARS)
    voice: str = "default"
    lang: Literal["auto", "en", "zh"] = "auto"
    speed: float = Field(default=1.0, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    duration: float | None = None
    emotion: EmotionBody | None = None
    format: str = "wav"
    pause_scale: float = Field(default=1.0, ge=PAUSE_SCALE_RANGE[0], le=PAUSE_SCALE_RANGE[1])
    max_phonemes: int = Field(default=SEGMENT_PHONEMES, ge=SEGMENT_RANGE[0], le=SEGMENT_RANGE[1])
    # A market voice (voice "market:CID") speaks under the caller's licence, for one of its allowed uses.
    licence: str | None = Field(default=None, max_length=64)
    use: str = Field(default="commercial", max_length=32)

    def to_request(self, low_latency: bool = False, idempotency_key: str | None = None) -> SpeechRequest:
        emotion = None
        if self.emotion is not None:
            emotion = EmotionSpec(vector=self.emotion.vector, text=self.emotion.text, weight=self.emotion.weight,
                                  shares=self.emotion.shares)
        return SpeechRequest(self.text, voice=voice_name(self.voice), lang=self.lang, speed=self.speed,
                             duration=self.duration, emotion=emotion, pause_scale=self.pause_scale,
                             max_phonemes=self.max_phonemes, format=self.format, low_latency=low_latency,
                             market=MarketUse(self.licence, self.use, idempotency_key) if self.licence else None)


class TTSRequest(RenderRequest):
    """The native `POST /v1/tts` body."""

    stream: bool = False


class JobRequest(RenderRequest):
    """`POST /v1/jobs` with a JSON body: one long text, rendered in the background."""


def voice_name(name: str) -> str:
    """Only names (or a market voice's `market:CID`): a path would let a client probe and read files on the
    server."""
    if name.startswith(PREFIX) and CID_TEXT.match(name[len(PREFIX):]):
        return name
    if name and name != "default" and (not VOICE_NAME.match(name) or name.lower().endswith((".npz", ".safetensors"))):
        raise VocalisError(f"voice {name!r} is not a voice name: GET /v1/voices lists them")
    return name
