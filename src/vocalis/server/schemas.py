"""Request bodies, and how their voice and emotion fields map onto the engine's arguments."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vocalis.emotion import Emotion
from vocalis.emotion.control import emotion_control
from vocalis.errors import VocalisError
from vocalis.pipeline import MAX_CHARS, PAUSE_SCALE_RANGE, SEGMENT_PHONEMES, SEGMENT_RANGE, SPEED_RANGE
from vocalis.voice.library import VOICE_NAME

# OpenAI's voice names, mapped to the built-in voice that suits each best (male: echo, onyx, fable).
OPENAI_VOICES = {"alloy": "jf_alpha", "echo": "jm_kumo", "fable": "jm_kumo", "onyx": "jm_kumo",
                 "nova": "jf_nezumi", "shimmer": "jf_gongitsune"}


class SpeechRequest(BaseModel):
    """OpenAI's `POST /v1/audio/speech` body."""

    model: str = "vocalis"  # accepted and ignored: one engine serves every model name
    input: str = Field(min_length=1, max_length=MAX_CHARS)
    voice: str = "default"
    response_format: str = "mp3"  # OpenAI's default
    speed: float = Field(default=1.0, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    stream_format: Literal["audio"] | None = None  # OpenAI's "sse" (events) is not offered
    instructions: str | None = None  # OpenAI's delivery instructions: read as an emotion description


class EmotionSpec(BaseModel):
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
    emotion: EmotionSpec | None = None
    format: str = "wav"
    pause_scale: float = Field(default=1.0, ge=PAUSE_SCALE_RANGE[0], le=PAUSE_SCALE_RANGE[1])
    max_phonemes: int = Field(default=SEGMENT_PHONEMES, ge=SEGMENT_RANGE[0], le=SEGMENT_RANGE[1])


class TTSRequest(RenderRequest):
    """The native `POST /v1/tts` body."""

    stream: bool = False


class JobRequest(RenderRequest):
    """`POST /v1/jobs` with a JSON body: one long text, rendered in the background."""


def engine_voice(name: str) -> str | None:
    """The engine's voice for a request's: None (the language's default) for "default", OpenAI's names mapped.
    Only names: a path would let a client probe and read files on the server."""
    if name == "default":
        return None
    if not VOICE_NAME.match(name) or name.lower().endswith((".npz", ".safetensors")):
        raise VocalisError(f"voice {name!r} is not a voice name: GET /v1/voices lists them")
    return OPENAI_VOICES.get(name, name)


def emotion_of(spec: EmotionSpec | None) -> Emotion | None:
    if spec is None:
        return None
    vector = Emotion.of(**spec.vector) if spec.vector else None
    return emotion_control(vector=vector, text=spec.text, weight=spec.weight, shares=spec.shares)
