"""The one front door: text -> segments -> phonemes -> durations -> F0/energy -> waveform."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.acoustic import assets
from vocalis.acoustic.tones import MandarinTones, prosody_edit
from vocalis.audio import Audio
from vocalis.errors import LanguageError, TextError, VocalisError, VoiceError
from vocalis.text import Segment, detect_language, segments
from vocalis.voice import Voice, default_voice, resolve_voice

if TYPE_CHECKING:  # the acoustic stages import torch: load them only when speech is rendered
    from vocalis.acoustic.stages import AcousticModel, Prosody
    from vocalis.voice.clone import Cloner

LANGS = ("auto", "en", "zh")
SPEED_RANGE = (0.5, 2.0)
# Longer input is refused up front: at ~15 characters a second of speech this is over three hours
# of audio, more than one request should hold.
MAX_CHARS = 200_000
# Longest segment, in phonemes (~10 s of speech). Longer sentences split at clauses first; a bound of
# 100 split sentences mid-clause and doubled English WER. The decoder needs ~20 MB of working memory
# per second of a segment, returned after each one.
SEGMENT_PHONEMES = 150


@dataclass(frozen=True)
class Chunk:
    """One rendered segment: its audio (trailing pause included) and where it starts in the whole."""

    audio: Audio
    segment: Segment
    start: float  # seconds from the start of the whole output
    prosody: Prosody


class Vocalis:
    """Text in, speech out. Models load lazily, once per process."""

    def __init__(self, acoustic: AcousticModel | None = None, tone_contours: bool = True):
        """`tone_contours=False` leaves Mandarin F0 as the model predicts it (toneless with the
        built-in packs); it exists to measure what the contours bring."""
        self._acoustic = acoustic
        self.tone_contours = tone_contours
        self._cloner: Cloner | None = None  # kept: it remembers how the built-in packs sound

    @property
    def acoustic(self) -> AcousticModel:
        if self._acoustic is None:
            from vocalis.acoustic.stages import acoustic_model

            self._acoustic = acoustic_model()
        return self._acoustic

    @property
    def sample_rate(self) -> int:
        return self.acoustic.sample_rate

    def stream(
        self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto", speed: float = 1.0
    ) -> Iterator[Chunk]:
        """Render segment by segment; memory stays flat however long the text. The request is
        checked here, before anything renders, so a bad one fails at the call."""
        voice = self._check(text, voice, lang, speed)
        # segments() rejects text with nothing speakable at the call, before any rendering.
        return self._render(segments(text, lang=lang, max_phonemes=SEGMENT_PHONEMES), voice, speed)

    def _render(self, segs: Iterator[Segment], voice: Voice, speed: float) -> Iterator[Chunk]:
        ids_of = assets.vocab()
        start = 0.0
        spoken = False
        for seg, is_last in _with_last(segs):
            ids = [ids_of[c] for c in seg.phonemes if c in ids_of]
            if not ids:
                continue
            tones = MandarinTones(seg) if seg.syllables and self.tone_contours else None
            samples, prosody = self.acoustic.synthesize(
                ids, voice.style_for(len(ids)), speed,
                edit=prosody_edit(tones, voice.pitch_scale), edit_durations=tones and tones.durations,
            )
            # No pause after the last segment: the output ends when the speech does.
            pause = np.zeros(0 if is_last else round(seg.pause_after * self.sample_rate), np.float32)
            audio = Audio(np.concatenate([samples, pause]), self.sample_rate)
            yield Chunk(audio, seg, start, prosody)
            start += audio.duration
            spoken = True
        if not spoken:
            raise TextError("nothing to say: the text has no readable words")

    def synthesize(
        self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto", speed: float = 1.0
    ) -> Audio:
        return Audio.concat([c.audio for c in self.stream(text, voice, lang, speed)])

    def clone(
        self, references: Sequence[str | Path | Audio], name: str, lang: str = "en", overwrite: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> Voice:
        """Clone a voice from 3-30 s of someone's speech (one or more clips, any common format) and
        save it in the voice library under `name`, usable everywhere a voice is accepted."""
        from vocalis.voice.clone import Cloner
        from vocalis.voice.library import check_name, save_voice, voice_path

        check_name(name)  # a bad or taken name fails before minutes of work, not after
        if voice_path(name).exists() and not overwrite:
            raise VoiceError(f"a voice named {name!r} already exists: pick another name or replace it")
        if self._cloner is None:
            self._cloner = Cloner(self.acoustic)
        voice = self._cloner.clone(references, name, lang, progress)
        save_voice(voice, overwrite=overwrite)
        return voice

    @staticmethod
    def _check(text: str, voice, lang: str, speed: float) -> Voice:
        """Validate the request up front (before any model loads) and pick the voice."""
        if lang not in LANGS:
            raise LanguageError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
        if not text or not text.strip():
            raise TextError("nothing to say: the text is empty")
        if len(text) > MAX_CHARS:
            raise TextError(f"text is {len(text)} characters; the limit is {MAX_CHARS}: split it into parts")
        if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
            raise VocalisError(f"speed {speed} is out of range: use {SPEED_RANGE[0]} to {SPEED_RANGE[1]}")
        if voice is None:
            return default_voice(detect_language(text[:2000]) if lang == "auto" else lang)
        return resolve_voice(voice)


def _with_last(items: Iterator[Segment]) -> Iterator[tuple[Segment, bool]]:
    """Pairs each item with whether it is the last, looking one item ahead."""
    it = iter(items)
    try:
        prev = next(it)
    except StopIteration:
        return
    for item in it:
        yield prev, False
        prev = item
    yield prev, True
