"""The engine: text -> segments -> phonemes -> encode -> durations -> (fit) -> prosody -> decode -> chunks.

Each stage is called in turn, once per segment, and what flows between them is plain data. The engine
knows nothing of requests, consent or marks: the service layer (`vocalis.service`) checks a request,
hands the engine a Voice, and marks and records what comes out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from vocalis.acoustic.assets import FRAME
from vocalis.acoustic.pieces import decode_pieces
from vocalis.acoustic.timing import DurationFit, fit_durations, lead_cut, shortest_frames, trim_edges
from vocalis.acoustic.tones import MandarinTones, voice_f0
from vocalis.audio import Audio
from vocalis.emotion.prosody import ProsodyShift, prosody_shift, shape_level, shift_pitch
from vocalis.errors import TextError
from vocalis.text import Segment, segments

if TYPE_CHECKING:  # the acoustic backends load their models: only when speech is rendered
    from vocalis.acoustic.data import Encoded, Prosody
    from vocalis.acoustic.inference import InferenceModel
    from vocalis.acoustic.stages import AcousticModel

    Acoustic = InferenceModel | AcousticModel
    from vocalis.emotion import Emotion
    from vocalis.trust.provenance import Credentials
    from vocalis.voice import Voice

SPEED_RANGE = (0.5, 2.0)  # speaking rates that sound natural; a duration fit outside them is warned about
ADAPTED_LOADED = 2  # trained voices' decoders kept in memory (~60 MB each)
log = logging.getLogger("vocalis")
T = TypeVar("T")
_SILENT = " .,;:!?¡¿—…\"«»“”"  # phoneme-string characters that are punctuation or spaces: no sound


@dataclass(frozen=True)
class Line:
    """One segment, as token ids, ready for the acoustic stages."""

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
    # Who spoke, what made it and the id its watermark carries: set by the trust stage.
    credentials: Credentials | None = None


@dataclass(frozen=True)
class Plan:
    """What to render, checked: the lines and how to time and colour them."""

    lines: Iterable[Line]  # a list when timed to a duration; else read lazily, as it renders
    voice: Voice
    speed: float = 1.0
    emotion: Emotion | None = None
    duration: float | None = None
    low_latency: bool = False
    ends: bool = True  # False for a part of a longer text (see service.parts): its last line keeps its pause


class Engine:
    """The acoustic stages behind a small interface. Models load lazily, once per process."""

    def __init__(self, acoustic: Acoustic | None = None, tone_contours: bool = True):
        """`acoustic`: the stages' backend (default: the onnxruntime one, `acoustic.inference`; the PyTorch
        `stages.AcousticModel` runs them too). `tone_contours=False` leaves Mandarin F0 as the model predicts it
        (toneless with the built-in packs); it exists to measure what the contours bring."""
        self._acoustic = acoustic
        self.tone_contours = tone_contours
        self._adapted: dict[str, Acoustic] = {}  # trained voices' decoders, by voice id
        self._adapted_lock = threading.Lock()

    @property
    def acoustic(self) -> Acoustic:
        if self._acoustic is None:
            from vocalis.acoustic.inference import inference_model

            self._acoustic = inference_model()
        return self._acoustic

    @property
    def sample_rate(self) -> int:
        return self.acoustic.sample_rate

    def acoustic_for(self, voice: Voice) -> Acoustic:
        """The acoustic model that renders `voice`: the base one, or for a trained voice the base with the
        voice's decoder adapter merged (built once per voice and cached on disk; the last few stay loaded)."""
        if not voice.adapter:
            return self.acoustic
        key = voice.decoder_id  # int8 ranges are calibrated on the voice's own style and pitch, not only its adapter
        with self._adapted_lock:  # a training job and renders may ask at once
            if key not in self._adapted:
                while len(self._adapted) >= ADAPTED_LOADED:
                    self._adapted.pop(next(iter(self._adapted)))
                self._adapted[key] = self._adapted_model(voice, key)
            return self._adapted[key]

    def _adapted_model(self, voice: Voice, key: str) -> Acoustic:
        from vocalis.acoustic.inference import InferenceModel, adapted_inference_model

        if isinstance(self.acoustic, InferenceModel):
            return adapted_inference_model(self.acoustic, voice.adapter, key, voice.style_for(100), voice.pitch_scale)
        from vocalis.acoustic.stages import adapted_model

        return adapted_model(self.acoustic, voice.adapter, key, voice.style_for(100), voice.pitch_scale)

    def lines(self, text: str, lang: str, max_phonemes: int, pause_scale: float = 1.0) -> Iterator[Line]:
        """The text front end, run once, lazily: the segments as token ids. Text with nothing speakable
        fails at the call (TextError)."""
        from vocalis.text.vocab import vocab

        ids_of = vocab()
        segs = segments(text, lang=lang, max_phonemes=max_phonemes)

        def lines() -> Iterator[Line]:
            for seg in segs:
                if pause_scale != 1.0:
                    seg = replace(seg, pause_after=seg.pause_after * pause_scale)
                tones = MandarinTones(seg) if seg.syllables and self.tone_contours else None
                phonemes = [c for c in seg.phonemes if c in ids_of]
                # Closing tokens that are silence: the boundary token and the punctuation and spaces before it.
                tail = 1 + len(phonemes) - len("".join(phonemes).rstrip(_SILENT))
                if phonemes:
                    yield Line(seg, [ids_of[c] for c in phonemes], tones, min(tail, len(phonemes)))

        return lines()

    def render(self, plan: Plan) -> Iterator[Chunk]:
        """The chunks of a plan, segment by segment (memory flat in the text's length). With a duration, every
        segment is encoded first to plan the fit, and those encodings are what renders."""
        shift = prosody_shift(plan.emotion)
        acoustic = self.acoustic_for(plan.voice)
        if plan.duration is None:
            pairs = ((line, self._encode(acoustic, line, plan.voice)) for line in plan.lines)
            return self._decode_all(acoustic, plan, pairs, plan.speed * shift.rate, shift, None)
        lines = list(plan.lines)
        if not lines:
            raise TextError("nothing to say: the text has no readable words")
        pairs = [(line, self._encode(acoustic, line, plan.voice)) for line in lines]
        fit = DurationFit(round(plan.duration * self.sample_rate), [self._natural(acoustic, *p) for p in pairs],
                          self.sample_rate)
        _warn_if_strained(fit.speed, lines)
        return self._decode_all(acoustic, plan, iter(pairs), 1.0, shift, fit)

    def natural_seconds(self, lines: Iterable[Line], voice: Voice) -> float:
        """How long the lines last at natural speed (as a duration fit counts them), without decoding."""
        acoustic = self.acoustic_for(voice)
        natural = [self._natural(acoustic, line, self._encode(acoustic, line, voice)) for line in lines]
        if not natural:
            raise TextError("nothing to say: the text has no readable words")
        frames = sum(n for n, _, _ in natural) * acoustic.frame / self.sample_rate
        return frames + sum(pause for _, _, pause in natural[:-1])

    def _decode_all(self, acoustic: Acoustic, plan: Plan, pairs: Iterable[tuple[Line, Encoded]],
                    speed: float, shift: ProsodyShift, fit: DurationFit | None) -> Iterator[Chunk]:
        start, rate, frame = 0, self.sample_rate, acoustic.frame
        spoken = False
        for k, ((line, enc), is_last) in enumerate(_with_last(pairs)):
            durations = self._durations(acoustic, line, enc, speed)
            if fit:
                durations = fit_durations(durations, fit.frames(k), line.tail)
            prosody = self._prosody(acoustic.predict_prosody(enc, durations), line, plan.voice, shift)
            cut = lead_cut(prosody.durations) if fit else 0  # a fit plans exactly the frames after the lead
            if plan.low_latency and k == 0:
                parts = decode_pieces(acoustic, enc, prosody, skip=cut)
            else:
                parts = iter([(acoustic.decode(enc, prosody)[cut * frame:], True)])
            length = (int(prosody.durations.sum()) - cut) * frame
            if fit:
                pause = fit.pause(k, start + length)
            else:  # no pause after the last segment: the output ends when the speech does
                pause = 0 if is_last and plan.ends else round(line.segment.pause_after / shift.rate * rate)
            timbre = _EnvelopeFilter(plan.voice, enc, prosody, cut)
            for samples, final in parts:
                samples = shape_level(timbre(samples), rate, shift)
                if final:  # only the last segment can get a negative pause: the fit trims its final frame
                    samples = np.concatenate([samples, np.zeros(pause, np.float32)]) if pause >= 0 else samples[:pause]
                yield Chunk(Audio(samples, rate), line.segment, start / rate, prosody,
                            fit.speed if fit else speed, final)
                start += len(samples)
            spoken = True
        if not spoken:
            raise TextError("nothing to say: the text has no readable words")

    @staticmethod
    def _encode(acoustic: Acoustic, line: Line, voice: Voice) -> Encoded:
        return acoustic.encode(line.ids, voice.style_for(len(line.ids)))

    @staticmethod
    def _durations(acoustic: Acoustic, line: Line, enc: Encoded, speed: float) -> np.ndarray:
        """The predicted durations, with a Mandarin segment's tone-length adjustments."""
        durations = acoustic.durations(enc, speed)
        return line.tones.durations(durations) if line.tones is not None else durations

    @staticmethod
    def _prosody(prosody: Prosody, line: Line, voice: Voice, shift: ProsodyShift) -> Prosody:
        """The one place F0 is shaped: Mandarin tone contours, the voice's pitch level, then the emotion."""
        return shift_pitch(voice_f0(prosody, line.tones, voice.pitch_scale), shift)

    @staticmethod
    def _natural(acoustic: Acoustic, line: Line, enc: Encoded) -> tuple[int, int, float]:
        """A segment's natural frames (edges trimmed as a fit trims them), its fewest, and its pause."""
        durations = Engine._durations(acoustic, line, enc, 1.0)
        return (int(trim_edges(durations, line.tail).sum()), shortest_frames(durations, line.tail),
                line.segment.pause_after)


class _EnvelopeFilter:
    """A voice's phoneme envelope (voice.envelope) on a segment's audio, part after part as decoded: each
    part is filtered frame by frame by the table rows of the tokens its frames speak."""

    def __init__(self, voice: Voice, enc: Encoded, prosody: Prosody, cut: int):
        self.table = voice.envelope
        if self.table is not None:
            from vocalis.acoustic.data import frame_index

            self.tokens = enc.token_ids[frame_index(prosody.durations)][cut:]
            self.done = 0  # frames of the segment filtered so far

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if self.table is None:
            return samples
        from vocalis.voice.envelope import apply_envelope

        frames = len(samples) // FRAME
        out = apply_envelope(samples, self.tokens[self.done:self.done + max(frames, 1)], self.table)
        self.done += frames
        return out


def _warn_if_strained(speed: float, lines: list[Line]) -> None:
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        text = " ".join(line.segment.text for line in lines)
        log.warning(f"fitting {text[:40]!r}{'...' if len(text) > 40 else ''} into its duration needs speed "
                    f"{speed:.2f}, outside {SPEED_RANGE[0]}-{SPEED_RANGE[1]}: it may sound "
                    f"{'rushed' if speed > 1 else 'dragged'}")


def _with_last(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
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
