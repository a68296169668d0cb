"""The one front door: text -> segments -> phonemes -> durations -> F0/energy -> waveform."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from vocalis.acoustic import assets
from vocalis.acoustic.pieces import decode_pieces
from vocalis.acoustic.timing import DurationFit, fit_durations, lead_cut, shortest_frames, trim_edges
from vocalis.acoustic.tones import MandarinTones, prosody_edit
from vocalis.audio import Audio, to_pcm16
from vocalis.emotion import Emotion
from vocalis.emotion.prosody import ProsodyShift, prosody_shift, shape_level, shift_pitch
from vocalis.errors import LanguageError, TextError, VocalisError, VoiceError
from vocalis.text import Segment, detect_language, segments
from vocalis.text.api import MIN_PHONEMES
from vocalis.trust.provenance import Credentials
from vocalis.voice import Voice, default_voice, resolve_voice

if TYPE_CHECKING:  # the acoustic stages import torch: load them only when speech is rendered
    from vocalis.acoustic.stages import AcousticModel, Prosody
    from vocalis.voice.clone import Cloner
    from vocalis.voice.train import TrainProgress
    from vocalis.voice.train.intake import Corpus

LANGS = ("auto", "en", "zh")
SPEED_RANGE = (0.5, 2.0)
# Longer input is refused up front: at ~15 characters a second of speech this is over three hours
# of audio, more than one request should hold.
MAX_CHARS = 200_000
# Longest segment, in phonemes (~10 s of speech). Longer sentences split at clauses first; a bound of
# 100 split sentences mid-clause and doubled English WER. The decoder needs ~20 MB of working memory
# per second of a segment, returned after each one.
SEGMENT_PHONEMES = 150
SEGMENT_RANGE = (MIN_PHONEMES, 300)  # a segment bound a request may ask for (300: ~20 s, ~400 MB to decode)
PAUSE_SCALE_RANGE = (0.0, 4.0)
MIN_DURATION, MAX_DURATION = 0.1, 3600.0  # seconds a duration target may ask for
# What made the audio, as the audit log and the C2PA manifest name it.
MODEL = "Kokoro-82M int8 (hexgrad, Apache-2.0) through Vocalis"
# What a voice without consent may say, inside the clone flow only: one short sentence (see `preview`).
PREVIEW_SENTENCES = {
    "en": "We walked along the river and talked about the books we had read last summer.",
    "zh": "我们沿着河边散步，聊起了去年夏天读过的书。",
}
ADAPTED_LOADED = 2  # trained voices' decoders kept in memory (~60 MB each)
log = logging.getLogger("vocalis")
T = TypeVar("T")
_SILENT = " .,;:!?¡¿—…\"«»“”"  # phoneme-string characters that are punctuation or spaces: no sound


@dataclass(frozen=True)
class _Job:
    """One segment, ready to render."""

    segment: Segment
    ids: list[int]
    tones: MandarinTones | None
    tail: int  # closing tokens that are silence, boundary token included (see acoustic.timing)


@dataclass(frozen=True)
class Chunk:
    """One rendered segment (or part of one): its audio (trailing pause included) and where it starts
    in the whole."""

    audio: Audio
    segment: Segment
    start: float  # seconds from the start of the whole output
    prosody: Prosody
    speed: float = 1.0  # the speaking rate it was rendered at (set by timing and emotion), 1 = natural
    final: bool = True  # False for all but the last part of a segment sent in parts (`low_latency`)
    # Who spoke, what made it and the id its watermark carries: what a C2PA manifest says about the output.
    credentials: Credentials | None = None


class Vocalis:
    """Text in, speech out. Models load lazily, once per process."""

    def __init__(self, acoustic: AcousticModel | None = None, tone_contours: bool = True):
        """`tone_contours=False` leaves Mandarin F0 as the model predicts it (toneless with the
        built-in packs); it exists to measure what the contours bring."""
        self._acoustic = acoustic
        self.tone_contours = tone_contours
        self._cloner: Cloner | None = None  # kept: it remembers how the built-in packs sound
        self._adapted: dict[str, AcousticModel] = {}  # trained voices' decoders, by voice id
        self._adapted_lock = threading.Lock()

    @property
    def acoustic(self) -> AcousticModel:
        if self._acoustic is None:
            from vocalis.acoustic.stages import acoustic_model

            self._acoustic = acoustic_model()
        return self._acoustic

    def acoustic_for(self, voice: Voice) -> AcousticModel:
        """The acoustic model that renders `voice`: the base one, or for a trained voice the base with the
        voice's decoder adapter merged (built once per voice and cached on disk; the last few stay loaded)."""
        if not voice.trained:
            return self.acoustic
        key = voice.id  # the int8 ranges are calibrated on the voice's own style and pitch, not only its adapter
        with self._adapted_lock:  # a training job and renders may ask at once
            if key not in self._adapted:
                from vocalis.acoustic.stages import adapted_model

                while len(self._adapted) >= ADAPTED_LOADED:
                    self._adapted.pop(next(iter(self._adapted)))
                self._adapted[key] = adapted_model(self.acoustic, voice.adapter, key, voice.style_for(100),
                                                   voice.pitch_scale)
            return self._adapted[key]

    @property
    def sample_rate(self) -> int:
        return self.acoustic.sample_rate

    def stream(
        self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto", speed: float = 1.0,
        emotion: Emotion | None = None, duration: float | None = None, low_latency: bool = False, *,
        pause_scale: float = 1.0, max_phonemes: int = SEGMENT_PHONEMES, who: str | None = None,
    ) -> Iterator[Chunk]:
        """Render segment by segment; memory stays flat however long the text. The request is
        checked here, before anything renders, so a bad one fails at the call (a cloned voice without
        consent from its owner too: `trust.consent.ConsentError`).

        Every chunk carries two watermarks (Perth's presence mark and the id of the request's audit record);
        when the stream ends, or is dropped, the request is appended to the audit log with `who` made it
        (default: the local user) and the SHA-256 of the 16-bit samples sent.

        `emotion`: how to say it (None: the voice's own delivery). `duration`: the whole output lasts
        exactly this many seconds (to the sample); it replaces `speed`. Speech and the pauses between
        segments stretch alike, while the silence Kokoro leaves at each segment's edges is cut to
        75 ms, so the speech fills the time. Every segment is planned first (a target that is too
        short fails here, saying how long the text needs); rendering then streams.

        `low_latency`: the first segment comes in parts (see `acoustic.pieces`): its leading silence as
        soon as its durations are known (~0.15 s), then pieces decoded apart, which sound slightly
        different from a whole-segment decode. For streaming to a listener.

        `pause_scale` multiplies the pauses between segments (they follow punctuation: longer after a
        full stop than after a comma); `max_phonemes` bounds a segment's length (longer sentences split
        at clauses first)."""
        voice = self.check_request(text, voice, lang, speed, duration, pause_scale, max_phonemes)
        params = {"lang": lang, "speed": speed, "duration": duration, "pause_scale": pause_scale,
                  "max_phonemes": max_phonemes, "low_latency": low_latency,
                  "emotion": None if emotion is None else {"vector": [round(float(v), 3) for v in emotion.vector],
                                                           "weight": emotion.weight}}
        return self._on_record(self._plan(text, voice, lang, speed, emotion, duration, low_latency, pause_scale,
                                          max_phonemes), "synthesis", voice, text, params, who)

    def preview(self, voice: Voice, who: str | None = None) -> tuple[Audio, Credentials]:
        """One short fixed sentence in a voice, with or without consent: what the clone flow plays so the user
        can hear the clone before its owner consents. Watermarked and on record like any output; with the
        credentials to sign a file of it."""
        text = PREVIEW_SENTENCES.get(voice.language, PREVIEW_SENTENCES["en"])
        chunks = list(self._on_record(self._plan(text, voice, voice.language, 1.0, None, None, False, 1.0,
                                                 SEGMENT_PHONEMES), "preview", voice, text, {}, who))
        return Audio.concat([c.audio for c in chunks]), chunks[0].credentials

    def _plan(self, text: str, voice: Voice, lang: str, speed: float, emotion: Emotion | None,
              duration: float | None, low_latency: bool, pause_scale: float, max_phonemes: int) -> Iterator[Chunk]:
        """The unmarked chunks of a checked request (its segments planned, a duration fitted)."""
        shift = prosody_shift(emotion)
        # segments() rejects text with nothing speakable at the call, before any rendering.
        segs = segments(text, lang=lang, max_phonemes=max_phonemes)
        jobs = (j for j in (self._job(seg, pause_scale) for seg in segs) if j.ids)
        if duration is None:
            return self._render(jobs, voice, speed * shift.rate, shift, low_latency=low_latency)
        jobs = list(jobs)
        if not jobs:
            raise TextError("nothing to say: the text has no readable words")
        fit = DurationFit(round(duration * self.sample_rate), [self._natural(j, voice) for j in jobs], self.sample_rate)
        _warn_if_strained(fit.speed, jobs)
        return self._render(iter(jobs), voice, 1.0, shift, fit, low_latency)

    @staticmethod
    def _on_record(chunks: Iterator[Chunk], event: str, voice: Voice, text: str, params: dict,
                   who: str | None) -> Iterator[Chunk]:
        """Marks each chunk and, once the stream is over (finished, failed or dropped), appends it to the audit
        log. A generator: nothing is recorded for a stream never started."""
        from vocalis.trust.audit import AuditLog, local_user
        from vocalis.trust.watermark import mark

        log = AuditLog()
        mark_id = log.new_mark_id()
        credentials = Credentials(voice=voice.name, voice_id=voice.id, model=MODEL, watermark_id=mark_id)
        digest = hashlib.sha256()
        complete = False
        try:
            for chunk in chunks:
                samples = mark(chunk.audio.samples, chunk.audio.sample_rate, mark_id)
                digest.update(to_pcm16(samples).tobytes())
                yield replace(chunk, audio=Audio(samples, chunk.audio.sample_rate), credentials=credentials)
            complete = True
        finally:
            log.append(event, who or local_user(), voice=voice.name, voice_id=voice.id, text=text,
                       params={**params, "complete": complete}, output_sha256=digest.hexdigest(), mark_id=mark_id)

    def _render(self, jobs: Iterator[_Job], voice: Voice, speed: float, shift: ProsodyShift,
                fit: DurationFit | None = None, low_latency: bool = False) -> Iterator[Chunk]:
        """Free timing when `fit` is None; else the frames and pauses it planned."""
        start = 0
        spoken = False
        acoustic = self.acoustic_for(voice)
        for k, (job, is_last) in enumerate(_with_last(jobs)):
            edit = _chain(prosody_edit(job.tones, voice.pitch_scale), lambda p: shift_pitch(p, shift))
            edit_durations = job.tones and job.tones.durations
            if fit:
                edit_durations = _fitted(edit_durations, fit.frames(k), job.tail)
            enc, prosody = acoustic.plan(
                job.ids, voice.style_for(len(job.ids)), speed, edit=edit, edit_durations=edit_durations)
            # A fit plans exactly the frames after its leading silence: that is cut here (see timing).
            cut = lead_cut(prosody.durations) if fit else 0
            if low_latency and k == 0:
                parts = decode_pieces(acoustic, enc, prosody, skip=cut)
            else:
                parts = iter([(acoustic.decode(enc, prosody)[cut * assets.FRAME:], True)])
            length = (int(prosody.durations.sum()) - cut) * assets.FRAME
            if fit:
                pause = fit.pause(k, start + length)
            else:  # no pause after the last segment: the output ends when the speech does
                pause = 0 if is_last else round(job.segment.pause_after / shift.rate * self.sample_rate)
            for samples, final in parts:
                samples = shape_level(samples, self.sample_rate, shift)
                if final:  # only the last segment can get a negative pause: the fit trims its final frame
                    samples = np.concatenate([samples, np.zeros(pause, np.float32)]) if pause >= 0 else samples[:pause]
                yield Chunk(Audio(samples, self.sample_rate), job.segment, start / self.sample_rate, prosody,
                            fit.speed if fit else speed, final)
                start += len(samples)
            spoken = True
        if not spoken:
            raise TextError("nothing to say: the text has no readable words")

    def _job(self, seg: Segment, pause_scale: float = 1.0) -> _Job:
        ids_of = assets.vocab()
        if pause_scale != 1.0:
            seg = replace(seg, pause_after=seg.pause_after * pause_scale)
        tones = MandarinTones(seg) if seg.syllables and self.tone_contours else None
        phonemes = [c for c in seg.phonemes if c in ids_of]
        # Closing tokens that are silence: the boundary token and the punctuation and spaces before it.
        tail = 1 + len(phonemes) - len("".join(phonemes).rstrip(_SILENT))
        return _Job(seg, [ids_of[c] for c in phonemes], tones, min(tail, len(phonemes)))

    def _natural(self, job: _Job, voice: Voice) -> tuple[int, int, float]:
        """A segment's natural frames (edges trimmed as a fit trims them), its fewest, and its pause."""
        enc = self.acoustic.encode(job.ids, voice.style_for(len(job.ids)))
        durations = self.acoustic.durations(enc, 1.0, job.tones and job.tones.durations)
        return int(trim_edges(durations, job.tail).sum()), shortest_frames(durations, job.tail), job.segment.pause_after

    def synthesize(
        self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto", speed: float = 1.0,
        emotion: Emotion | None = None, duration: float | None = None, *, pause_scale: float = 1.0,
        max_phonemes: int = SEGMENT_PHONEMES, who: str | None = None,
    ) -> Audio:
        """All of `stream`, joined: see there."""
        chunks = self.stream(text, voice, lang, speed, emotion, duration, pause_scale=pause_scale,
                             max_phonemes=max_phonemes, who=who)
        return Audio.concat([c.audio for c in chunks])

    @property
    def cloner(self) -> Cloner:
        """The instant cloner, made on first use and kept (it remembers how the built-in packs sound)."""
        if self._cloner is None:
            from vocalis.voice.clone import Cloner

            self._cloner = Cloner(self.acoustic)
        return self._cloner

    def train(
        self, clips: Sequence[str | Path], name: str, lang: str = "en", *, transcripts: dict[str, str] | None = None,
        minutes: float = 14.0, start: str | None = None, overwrite: bool = False, who: str | None = None,
        progress: Callable[[TrainProgress], None] | None = None, cancel: Callable[[], bool] | None = None,
        steps: int | None = None,
    ) -> Voice:
        """Train a voice model from 30 s to 10 min of one person's speech (any common audio or video
        format; `transcripts` maps clip file names to their text, else Whisper transcribes) and save it in
        the library under `name`. Starts from the clone `start`, or from `name` when that is a clone (the
        trained voice then replaces it and inherits its consent), else from a new instant clone.

        `minutes` caps the whole run and the best checkpoint within it is kept; `steps` fixes the number of
        decoder steps instead. `progress` receives TrainProgress events; `cancel()` returning True stops the
        run between steps (TrainingCancelled). An interrupted run resumes when called again with the same
        clips. The voice needs consent before it speaks, as a clone does."""
        from vocalis.voice.train import TrainOptions
        from vocalis.voice.train.service import train_voice

        if lang not in ("en", "zh"):
            raise LanguageError(f"unknown language {lang!r} for a trained voice: use en or zh")
        if not 1 <= minutes <= 120:
            raise VocalisError(f"--minutes {minutes} is out of range: use 1 to 120")
        from vocalis.voice.library import check_name

        check_name(name)  # a bad name fails before minutes of work
        options = TrainOptions(lang=lang, minutes=minutes, transcripts=transcripts, steps=steps)
        return train_voice(self, clips, name, options, start, overwrite, who,
                           progress or (lambda _p: None), cancel or (lambda: False))

    @staticmethod
    def check_training(clips: Sequence[str | Path], lang: str = "en", transcripts: dict[str, str] | None = None,
                       progress: Callable[[str], None] | None = None) -> Corpus:
        """What `train` would find in `clips` (the same checks, raising the same VoiceError): the utterances
        with their transcripts (Whisper's where none is given), the seconds of speech and the SNR."""
        from vocalis.voice.train.intake import check_corpus

        return check_corpus(clips, lang, transcripts, progress or (lambda _m: None))

    def clone(
        self, references: Sequence[str | Path | Audio], name: str, lang: str = "en", overwrite: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> Voice:
        """Clone a voice from 3-30 s of someone's speech (one or more clips, any common format) and
        save it in the voice library under `name`, usable everywhere a voice is accepted."""
        from vocalis.voice.library import save_voice

        self.check_clone_name(name, overwrite)  # a bad or taken name fails before minutes of work, not after
        voice = self.cloner.clone(references, name, lang, progress)
        save_voice(voice, overwrite=overwrite)
        return voice

    @staticmethod
    def check_clone_name(name: str, overwrite: bool = False) -> None:
        """A name a new clone may take: allowed, and free unless `overwrite` (checked before any model loads)."""
        from vocalis.voice.library import check_name, voice_path

        check_name(name)
        if voice_path(name).exists() and not overwrite:
            raise VoiceError(f"a voice named {name!r} already exists: pick another name or replace it")

    @staticmethod
    def check_request(text: str, voice: str | Path | Voice | None, lang: str, speed: float,
                      duration: float | None = None, pause_scale: float = 1.0,
                      max_phonemes: int = SEGMENT_PHONEMES) -> Voice:
        """Validate the request up front (before any model loads) and pick the voice, which must hold
        consent if it is a clone."""
        if lang not in LANGS:
            raise LanguageError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
        if not text or not text.strip():
            raise TextError("nothing to say: the text is empty")
        if len(text) > MAX_CHARS:
            raise TextError(f"text is {len(text)} characters; the limit is {MAX_CHARS}: split it into parts")
        if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
            raise VocalisError(f"speed {speed} is out of range: use {SPEED_RANGE[0]} to {SPEED_RANGE[1]}")
        if duration is not None:
            if speed != 1.0:
                raise VocalisError("give a speed or a duration, not both: a duration sets the speed")
            if not MIN_DURATION <= duration <= MAX_DURATION:
                raise VocalisError(f"duration {duration} s is out of range: use {MIN_DURATION} to {MAX_DURATION} s")
        if not PAUSE_SCALE_RANGE[0] <= pause_scale <= PAUSE_SCALE_RANGE[1]:
            raise VocalisError(f"pause scale {pause_scale} is out of range: use {PAUSE_SCALE_RANGE[0]} to "
                               f"{PAUSE_SCALE_RANGE[1]}")
        if not SEGMENT_RANGE[0] <= max_phonemes <= SEGMENT_RANGE[1]:
            raise VocalisError(f"segment length {max_phonemes} phonemes is out of range: use {SEGMENT_RANGE[0]} "
                               f"to {SEGMENT_RANGE[1]}")
        if voice is None:
            return default_voice(detect_language(text[:2000]) if lang == "auto" else lang)
        from vocalis.trust.consent import require_consent

        voice = resolve_voice(voice)
        require_consent(voice)
        return voice


def _warn_if_strained(speed: float, jobs: list[_Job]) -> None:
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        text = " ".join(j.segment.text for j in jobs)
        log.warning(f"fitting {text[:40]!r}{'...' if len(text) > 40 else ''} into its duration needs speed "
                    f"{speed:.2f}, outside {SPEED_RANGE[0]}-{SPEED_RANGE[1]}: it may sound "
                    f"{'rushed' if speed > 1 else 'dragged'}")


def _fitted(edit: Callable[[np.ndarray], np.ndarray] | None, frames: int,
            tail: int) -> Callable[[np.ndarray], np.ndarray]:
    def fitted(durations: np.ndarray) -> np.ndarray:
        return fit_durations(durations if edit is None else edit(durations), frames, tail)

    return fitted


def _chain(*edits: Callable[[Prosody], Prosody] | None) -> Callable[[Prosody], Prosody]:
    def edit(prosody: Prosody) -> Prosody:
        for e in edits:
            if e is not None:
                prosody = e(prosody)
        return prosody

    return edit


def _with_last(items: Iterator[T]) -> Iterator[tuple[T, bool]]:
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
