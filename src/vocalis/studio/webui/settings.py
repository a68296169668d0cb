"""How to speak, apart from the text: voice, language, emotion and timing. The Speak tab reads them
from its controls; presets and history store them as JSON and put them back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from vocalis.emotion import EMOTIONS, Emotion
from vocalis.emotion.control import emotion_control
from vocalis.service import EmotionSpec, SpeechRequest
from vocalis.service.request import SEGMENT_PHONEMES

AUTO_VOICE = "default"  # the best built-in voice for the text's language (the service's name for it)
EMOTION_METHODS = ("voice", "audio", "vector", "text")
TIMINGS = ("free", "speed", "duration")


@dataclass(frozen=True)
class SpeakSettings:
    voice: str = AUTO_VOICE
    lang: str = "auto"
    emotion_method: str = "voice"  # one of EMOTION_METHODS
    emotion_vector: tuple[float, ...] = (0.0,) * len(EMOTIONS)
    emotion_text: str = ""
    emotion_audio: str | None = None  # path of a clip; not kept by `portable`
    emotion_weight: float = 1.0
    timing: str = "free"  # one of TIMINGS
    speed: float = 1.0
    duration: float | None = None
    pause_scale: float = 1.0  # multiplies the pauses between segments
    max_phonemes: int = SEGMENT_PHONEMES  # longest segment

    def request(self, text: str, emotion: Emotion | None, fmt: str = "wav") -> SpeechRequest:
        """The service's request for `text` with these settings; `emotion` is `self.emotion()`, worked out
        once by the caller (a clip's analysis takes a while)."""
        return SpeechRequest(text, voice=self.voice, lang=self.lang, speed=self.speed_arg,
                             duration=self.duration_arg, emotion=EmotionSpec.of(emotion),
                             pause_scale=self.pause_scale, max_phonemes=self.max_phonemes, format=fmt)

    def emotion(self) -> Emotion | None:
        """The Emotion the engine takes (None: the voice's own delivery). Raises VocalisError for
        values out of range or a clip that cannot be read."""
        if self.emotion_method == "vector":
            return emotion_control(vector=Emotion(list(self.emotion_vector)), weight=self.emotion_weight)
        if self.emotion_method == "text":
            return emotion_control(text=self.emotion_text, weight=self.emotion_weight)
        if self.emotion_method == "audio":
            return emotion_control(audio=self.emotion_audio, weight=self.emotion_weight)
        return None

    @property
    def speed_arg(self) -> float:
        return self.speed if self.timing == "speed" else 1.0

    @property
    def duration_arg(self) -> float | None:
        return self.duration if self.timing == "duration" else None

    def portable(self, emotion: Emotion | None = None) -> SpeakSettings:
        """The same settings without a reference to a temporary clip: a clip's emotion becomes the
        slider values it gives (`emotion`, when already worked out), so a preset or history entry still
        works once the upload is gone."""
        if self.emotion_method != "audio" or not self.emotion_audio:
            return replace(self, emotion_audio=None)
        if emotion is None:
            from vocalis.emotion.from_audio import emotion_from_audio

            emotion = emotion_from_audio(self.emotion_audio)
        vector = tuple(round(float(x), 3) for x in emotion.vector)
        return replace(self, emotion_method="vector", emotion_vector=vector, emotion_audio=None)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "emotion_vector": list(self.emotion_vector)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeakSettings:
        """Settings from `to_dict`'s output; unknown keys are ignored and missing ones take defaults, so
        files written by another version still load."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "emotion_vector" in values:
            values["emotion_vector"] = tuple(float(x) for x in values["emotion_vector"])
        return cls(**values)

    def emotion_summary(self) -> str:
        """Short English-neutral text for tables: 'happy=0.80 (weight 0.70)', a description, or '-'."""
        if self.emotion_method == "vector":
            return str(Emotion(list(self.emotion_vector), self.emotion_weight))
        if self.emotion_method == "text":
            return f"“{self.emotion_text}” ×{self.emotion_weight:.2f}"
        if self.emotion_method == "audio":
            return f"clip ×{self.emotion_weight:.2f}"
        return "-"

    def timing_summary(self) -> str:
        if self.timing == "speed":
            return f"×{self.speed:.2f}"
        if self.timing == "duration" and self.duration is not None:
            return f"{self.duration:.2f} s"
        return "-"
