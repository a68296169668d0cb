"""One request shape for every surface: what to say and how. The CLI's flags, the API's JSON bodies, the
web UI's controls and job-file items are all translated into a `SpeechRequest`, with the same field names,
and checked by the same `check()` before any model loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocalis.errors import LanguageError, TextError, VocalisError
from vocalis.voice_names import DEFAULT_VOICE_NAMES, OPENAI_VOICES

if TYPE_CHECKING:
    from vocalis.emotion import Emotion
    from vocalis.service.market import MarketUse
    from vocalis.voice import Voice

LANGS = ("auto", "en", "zh")
SPEED_RANGE = (0.5, 2.0)
# Longer input is refused up front: at ~15 characters a second of speech this is over three hours of audio.
MAX_CHARS = 200_000
# Longest segment, in phonemes (~10 s of speech). Longer sentences split at clauses first; a bound of 100
# split sentences mid-clause and doubled English WER.
SEGMENT_PHONEMES = 150
SEGMENT_RANGE = (16, 300)  # what a request may ask for (300: ~20 s, ~400 MB to decode)
PAUSE_SCALE_RANGE = (0.0, 4.0)
MIN_DURATION, MAX_DURATION = 0.1, 3600.0  # seconds a duration target may ask for
# Output formats: wav, flac, mp3 and ogg (Vorbis) through libsndfile, opus (in Ogg) and aac (ADTS) through
# FFmpeg, pcm raw 16-bit little-endian mono (as OpenAI sends it).
FORMATS = ("wav", "flac", "mp3", "ogg", "opus", "aac", "pcm")
SUBTITLE_FORMATS = ("srt", "vtt")
EMOTION_SOURCES = ("vector", "text", "audio")


@dataclass(frozen=True)
class EmotionSpec:
    """How to say it, from any mix of sources (none: the voice's own delivery). `vector`: slider values by
    emotion name, e.g. {"happy": 0.8}; `text`: a description in English or Chinese; `audio`: a clip whose
    emotion (not voice) to take; `shares`: each source's share when several are given (equal by default);
    `weight`: how far from neutral, 0 to 1."""

    vector: dict[str, float] | None = None
    text: str | None = None
    audio: str | None = None
    weight: float = 1.0
    shares: dict[str, float] | None = None

    @property
    def empty(self) -> bool:
        return self.vector is None and not self.text and not self.audio

    def resolve(self) -> Emotion | None:
        """The engine's Emotion (None when no source is given). Raises VocalisError for bad values."""
        from vocalis.emotion import Emotion
        from vocalis.emotion.control import emotion_control

        vector = Emotion.of(**self.vector) if self.vector else None
        return emotion_control(vector=vector, text=self.text or None, audio=self.audio or None,
                               weight=self.weight, shares=self.shares)

    @classmethod
    def of(cls, emotion: Emotion | None) -> EmotionSpec | None:
        """The spec of an Emotion already worked out (its sliders and weight)."""
        if emotion is None:
            return None
        from vocalis.emotion import EMOTIONS

        return cls(vector={n: float(v) for n, v in zip(EMOTIONS, emotion.vector, strict=True)},
                   weight=float(emotion.weight))


@dataclass(frozen=True)
class SpeechRequest:
    """Everything a render takes. `voice`: a built-in, cloned or trained voice's name, `default` (the best
    built-in voice for the language), or one of OpenAI's names; local surfaces may also give a voice file.
    `duration` (seconds) replaces `speed`. `subtitles`: also produce srt or vtt timings of the segments."""

    text: str
    voice: str = "default"
    lang: str = "auto"
    speed: float = 1.0
    duration: float | None = None
    emotion: EmotionSpec | None = None
    pause_scale: float = 1.0
    max_phonemes: int = SEGMENT_PHONEMES
    format: str = "wav"
    subtitles: str | None = None
    low_latency: bool = False  # the first segment in parts, for a listener (see acoustic.pieces)
    market: MarketUse | None = None  # the licence a `market:CID` voice speaks under (see service.market)
    _voice: Voice | None = field(default=None, compare=False, repr=False)  # an in-memory Voice (Python only)

    @classmethod
    def for_voice(cls, text: str, voice: Voice, **fields: Any) -> SpeechRequest:
        """A request for a Voice object that may not be saved anywhere (Python users, evaluations)."""
        return cls(text, voice=voice.name, _voice=voice, **fields)

    @property
    def voice_name(self) -> str | None:
        """The voice after the one alias rule: None for the default, OpenAI's names mapped."""
        name = (self.voice or "").strip()
        if name.lower() in DEFAULT_VOICE_NAMES:
            return None
        return OPENAI_VOICES.get(name, name)

    def check(self) -> None:
        """Every bound checked, without loading any model: a bad request fails in well under a second."""
        if self.lang not in LANGS:
            raise LanguageError(f"unknown language {self.lang!r}: use one of {', '.join(LANGS)}")
        if not self.text or not self.text.strip():
            raise TextError("nothing to say: the text is empty")
        if len(self.text) > MAX_CHARS:
            raise TextError(f"text is {len(self.text)} characters; the limit is {MAX_CHARS}: split it into parts")
        _in_range("speed", self.speed, SPEED_RANGE)
        if self.duration is not None:
            if self.speed != 1.0:
                raise VocalisError("give a speed or a duration, not both: a duration sets the speed")
            _in_range("duration", self.duration, (MIN_DURATION, MAX_DURATION), " s")
        _in_range("pause scale", self.pause_scale, PAUSE_SCALE_RANGE)
        _in_range("segment length", self.max_phonemes, SEGMENT_RANGE, " phonemes")
        if self.format not in FORMATS:
            raise VocalisError(f"format {self.format!r} is not supported: use {', '.join(FORMATS)}")
        if self.subtitles is not None and self.subtitles not in SUBTITLE_FORMATS:
            raise VocalisError(f"subtitles {self.subtitles!r}: use {' or '.join(SUBTITLE_FORMATS)}")
        if self.emotion is not None:
            _check_emotion(self.emotion)

    def resolve_voice(self) -> Voice:
        """The Voice to speak with (loaded from the library or a file; no model needed)."""
        from vocalis.service.market import market_cid, market_voice
        from vocalis.text import detect_language
        from vocalis.voice import default_voice, resolve_voice

        if self._voice is not None:
            return self._voice
        if (cid := market_cid(self)) is not None:
            return market_voice(cid)
        name = self.voice_name
        if name is None:
            return default_voice(detect_language(self.text[:2000]) if self.lang == "auto" else self.lang)
        return resolve_voice(name)

    def params(self) -> dict[str, Any]:
        """What the audit log records of the request besides its text and voice."""
        emotion = None
        if self.emotion is not None:
            emotion = {k: v for k, v in vars(self.emotion).items() if v is not None}
        params = {"lang": self.lang, "speed": self.speed, "duration": self.duration, "pause_scale": self.pause_scale,
                  "max_phonemes": self.max_phonemes, "low_latency": self.low_latency, "emotion": emotion}
        if self.market is not None:  # `verify` of the output then names the licence (and the buyer: `who`)
            params["licence"] = self.market.licence
        return params


def format_of(path: str | Path) -> str:
    """The output format a file name asks for, by its suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise VocalisError(f"unsupported output format {Path(path).suffix!r}: use one of "
                           f"{', '.join('.' + f for f in FORMATS)}")
    return suffix


def _in_range(name: str, value: float, bounds: tuple[float, float], unit: str = "") -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise VocalisError(f"{name} {value}{unit} is out of range: use {bounds[0]} to {bounds[1]}{unit}")


def _check_emotion(spec: EmotionSpec) -> None:
    from vocalis.emotion import EMOTIONS

    _in_range("emotion weight", spec.weight, (0.0, 1.0))
    unknown = set(spec.vector or {}) - set(EMOTIONS)
    if unknown:
        raise VocalisError(f"unknown emotion {sorted(unknown)[0]!r}: use {', '.join(EMOTIONS)}")
    for name, value in (spec.vector or {}).items():
        _in_range(f"emotion {name}", value, (0.0, 1.0))
    if spec.shares and (bad := set(spec.shares) - set(EMOTION_SOURCES)):
        raise VocalisError(f"unknown emotion source {sorted(bad)[0]!r} in the shares: use {', '.join(EMOTION_SOURCES)}")
    if spec.audio and not Path(spec.audio).is_file():
        raise VocalisError(f"emotion audio {spec.audio} not found")
