"""Dubbing: speak each subtitle cue in its own time slot and lay the cues on one silent track.

Every cue is rendered with `duration` = its slot, so it lasts exactly its slot to the sample and sits
at exactly its start: cues cannot overlap, since their slots don't (checked first) and nothing is
placed past the start of the next one (checked again once the track is laid). Where the fit needs a
speed outside 0.5-2.0 the cue is still fitted exactly, and reported in `strained` (the pipeline logs
the warning). Two kinds of cue would otherwise stop the whole dub:

- nothing to say ("♪♪", or only a sound description like "[music]" or "(laughs)", which a dub does
  not read out): left silent, with a warning;
- too short for its phonemes, even at the fastest the model can go (one 25 ms frame per phoneme):
  lengthened into the silence after it, to the shortest length that holds it (one frame per phoneme,
  then in 10 % steps while the pauses of a several-sentence cue leave too little), never past the
  next cue's start (the last cue may run past the end of the track, which then grows). It is
  reported as strained and lengthened, with a warning. When even the gap cannot hold it, it runs on past
  the next cue's start at 1.3x its natural speed (still easy to follow), and that cue and every later one
  move later by as much (reported in `delayed`, with a warning): a dub never fails for one tight cue.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from vocalis.acoustic import assets
from vocalis.audio import Audio
from vocalis.errors import DurationError, StretchError, TextError, VocalisError
from vocalis.service import Vocalis
from vocalis.service.request import MIN_DURATION, SEGMENT_PHONEMES, SPEED_RANGE, SpeechRequest
from vocalis.subtitles import Cue
from vocalis.text import detect_language, segments
from vocalis.text.vocab import vocab as token_ids
from vocalis.trust.consent import require_consent
from vocalis.trust.provenance import Credentials
from vocalis.voice import Voice, default_voice, resolve_voice

if TYPE_CHECKING:
    from vocalis.emotion import Emotion

GROW = 1.1  # a cue too short to speak is lengthened by this factor per try
OVERRUN_SPEED = 1.3  # the speed of a cue that runs into the next cue's slot (see `_overrun_length`)
# Sound descriptions for the hard of hearing, "[door slams]", "(laughs)": not lines to speak. Vocalis
# markup is kept: [pause 1s], and [word](/phonemes/) whose "(/" marks the override.
_SOUND_RE = re.compile(r"\[(?!pause\s)[^\[\]]*\](?!\(/)|\((?!/)[^()]*\)")
log = logging.getLogger("vocalis")


@dataclass(frozen=True)
class DubResult:
    """The dubbed track and how each cue went. Cue numbers are indices into the cues given (0-based;
    messages count from 1, like SRT files)."""

    audio: Audio
    cues: list[Cue]  # where each cue was placed: its slot, or longer where it was lengthened
    strained: list[tuple[int, float]]  # (cue, speed) for cues fitted at a speed outside 0.5-2.0
    silent: list[int]  # cues left silent: nothing speakable in them
    lengthened: list[int]  # cues too short to speak in their slot, run into the gap after it
    delayed: list[tuple[int, float]]  # (cue, seconds) moved later because the cue before ran into its slot
    # What made the first spoken cue (each cue is its own request, watermark and audit record): a file of the
    # track is signed with them.
    credentials: Credentials | None = None


@dataclass(frozen=True)
class PlacedCue:
    """One cue as `place_cues` laid it: its audio and the first sample it starts at."""

    index: int
    start: int
    samples: np.ndarray | None  # None: nothing to say in it (left silent)
    speed: float  # the speed it was fitted at (1.0 for a silent cue)
    lengthened: bool  # ran into the gap after its slot
    delay: float  # seconds it moved every later cue (it ran into the next cue's slot); 0 if none
    credentials: Credentials | None = None  # None for a silent or a cached cue
    cached: bool = False  # taken from `rendered` (an earlier run), not rendered now

    @property
    def length(self) -> int:
        return 0 if self.samples is None else len(self.samples)

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def strained(self) -> bool:
        return self.samples is not None and not SPEED_RANGE[0] <= self.speed <= SPEED_RANGE[1]


class Placed(Protocol):
    """What `tally` reads of a placed cue: a `PlacedCue`, or a video dub's record of one whose audio is on disk."""

    index: int
    length: int  # samples; 0 for a silent cue
    speed: float
    lengthened: bool
    delay: float
    strained: bool


def tally(placed: Sequence[Placed]) -> tuple[list[tuple[int, float]], list[int], list[int], list[tuple[int, float]]]:
    """A dub's report from its placed cues: (cue, speed) strained, silent cues, lengthened cues, and (cue,
    seconds) moved later by the cue before."""
    return ([(c.index, c.speed) for c in placed if c.strained], [c.index for c in placed if not c.length],
            [c.index for c in placed if c.lengthened], [(c.index + 1, c.delay) for c in placed if c.delay])


# A cue's emotion, by cue index.
EmotionOf = Callable[[int], "Emotion | None"]


class Resumed(Protocol):
    """Cue lines rendered by an earlier, interrupted run (a `DubStore`)."""

    def has_line(self, k: int) -> bool: ...

    def line(self, k: int) -> tuple[np.ndarray, float] | None: ...


@dataclass(frozen=True)
class CueLine:
    """All that rendering one cue's line takes, as plain data, so that it renders here or on a cluster's replica
    alike. A line depends on its own slot and the room up to the next cue's start, never on another cue's line: a
    cue that runs long moves every later slot by as much, which leaves their lengths and rooms as they were."""

    index: int
    text: str  # the cue's text, sound descriptions and all
    slot: int  # samples
    room: int | None  # samples from its start to the next cue's; None for the last cue
    voice: Voice
    lang: str
    emotion: Emotion | None
    mark_id: int | None  # every line's watermark id
    who: str | None  # whom the audit log names


# A line's samples (its slot's length, or longer), the speed they were fitted at and their credentials; None:
# nothing to say in it.
LineResult = tuple[np.ndarray, float, Credentials | None] | None
# Renders the lines given and yields their results in that order: here, one at a time, when none is given to
# `place_cues`; or spread over a cluster's renderers (studio.api.cluster).
LineRenderer = Callable[[Sequence[CueLine]], Iterator[LineResult]]


def dub(
    tts: Vocalis, cues: Sequence[Cue], voice: str | Path | Voice | None = None, lang: str = "auto",
    emotion: Emotion | None = None, progress: Callable[[int, int], None] | None = None,
) -> DubResult:
    """Render every cue into its slot (see the module docstring) on a track as long as the last cue's
    end. One voice speaks every cue: None picks the default voice of the language of all the text.
    `progress(done, total)` is called after each cue."""
    voice = dub_voice(cues, voice, lang)
    rate = tts.sample_rate
    track = np.zeros(round(cues[-1].end * rate), np.float32)
    placed: list[PlacedCue] = []
    for cue in place_cues(tts, cues, voice, lang, lambda _k: emotion):
        if cue.samples is None:
            log.warning(f"cue {cue.index + 1} {cues[cue.index].text[:40]!r} has nothing to say: left silent")
        elif cue.end > len(track):  # only the last cue may grow the track
            track = np.concatenate([track, np.zeros(cue.end - len(track), np.float32)])
        if cue.samples is not None:
            track[cue.start:cue.end] = cue.samples
        placed.append(cue)
        if progress:
            progress(len(placed), len(cues))
    spans = [(c.start, c.end if c.samples is not None else c.start + _slot_length(cues[c.index], rate))
             for c in placed]
    timed = [Cue(a / rate, b / rate, c.text) for c, (a, b) in zip(cues, spans, strict=True)]
    track = np.pad(track, (0, max(spans[-1][1] - len(track), 0)))  # a silent last cue moved late
    return DubResult(Audio(track, rate), timed, *tally(placed),
                     next((c.credentials for c in placed if c.credentials), None))


def spoken_text(text: str) -> str:
    """What a dub reads of a cue: its text without sound descriptions in brackets or parentheses."""
    return " ".join(_SOUND_RE.sub(" ", text).split())


def dub_voice(cues: Sequence[Cue], voice: str | Path | Voice | None, lang: str) -> Voice:
    """The voice that speaks every cue (None: the default voice of the language of all the text), which
    must hold consent: an unknown voice, or a clone without consent, fails before anything renders."""
    if not cues:
        raise VocalisError("no cues to dub")
    if voice is None:
        all_text = " ".join(c.text for c in cues)
        voice = default_voice(detect_language(all_text[:2000]) if lang == "auto" else lang)
    voice = resolve_voice(voice)
    require_consent(voice)
    return voice


def place_cues(tts: Vocalis, cues: Sequence[Cue], voice: Voice, lang: str, emotion_of: EmotionOf,
               resumed: Resumed | None = None, mark_id: int | None = None, who: str | None = None,
               lines: LineRenderer | None = None) -> Iterator[PlacedCue]:
    """Each cue rendered into its slot and placed, in order (see the module docstring); a generator, so a
    caller can keep each cue's audio on disk rather than in memory. `resumed`: lines of an earlier, interrupted
    run, used instead of rendering them again. `mark_id`: every line's watermark id; `who`: whom the audit log
    names. `lines`: where the lines render (default: here, each as its cue is reached)."""
    rate = tts.sample_rate
    slots = _slots(cues, rate)
    # Samples from each cue's start to the next one's (None for the last); `_delay` moves every later slot by as much,
    # which leaves these as they are.
    rooms: list[int | None] = [b[0] - a[0] for a, b in pairwise(slots)]
    rooms.append(None)
    cached = {k for k in range(len(cues)) if resumed is not None and resumed.has_line(k)}
    todo = [CueLine(k, cue.text, end - start, rooms[k], voice, lang, emotion_of(k), mark_id, who)
            for k, (cue, (start, end)) in enumerate(zip(cues, slots, strict=True)) if k not in cached]
    results = (lines or _here(tts))(todo)
    previous_end = 0
    try:
        for k, cue in enumerate(cues):
            start, end = slots[k]
            room = rooms[k]
            made = None
            if k in cached:
                done = resumed.line(k) if resumed is not None else None
            else:
                result = next(results)
                done, made = (result[:2], result[2]) if result else (None, None)
            if done is None or not len(done[0]):
                yield PlacedCue(k, start, None, 1.0, False, 0.0, cached=k in cached)
                continue
            samples, speed = done
            delay = 0.0
            if room is not None and len(samples) > room:
                delay = _delay(slots, k + 1, len(samples) - room, cue, rate)
            if start < previous_end:  # overlaps are impossible by construction; this catches a bug making one
                raise RuntimeError(f"dub placed cue {k + 1} over cue {k}")
            previous_end = start + len(samples)
            yield PlacedCue(k, start, samples, speed, len(samples) > end - start, delay, made, k in cached)
    finally:
        getattr(results, "close", lambda: None)()  # lines still rendering elsewhere are called off


def _here(tts: Vocalis) -> LineRenderer:
    """Lines rendered by `tts`, each only when it is asked for (a cancel between cues renders nothing more)."""
    return lambda todo: (render_line(tts, line) for line in todo)


def _slot_length(cue: Cue, rate: int) -> int:
    return round(cue.end * rate) - round(cue.start * rate)


def _delay(slots: list[tuple[int, int]], first: int, samples: int, cue: Cue, rate: int) -> float:
    """Moves the slots from `first` on later by `samples` (the cue before overran into it); the seconds."""
    log.warning(f"cue {first} {cue.text[:40]!r} is too short to speak even run into the gap after it: it runs "
                f"{samples / rate:.2f} s into cue {first + 1}, which moves that much later, with every cue after it")
    slots[first:] = [(a + samples, b + samples) for a, b in slots[first:]]
    return samples / rate


def _slots(cues: Sequence[Cue], rate: int) -> list[tuple[int, int]]:
    """Each cue's first and last-plus-one sample. The end is rounded on its own (not start + length),
    so a cue ending where the next starts meets it on the same sample."""
    slots = [(round(c.start * rate), round(c.end * rate)) for c in cues]
    for k, (start, end) in enumerate(slots):
        if start < 0 or end <= start:
            raise VocalisError(f"cue {k + 1} ({cues[k].start:.3f}-{cues[k].end:.3f} s) has no time to be spoken")
        if k and start < slots[k - 1][1]:
            raise VocalisError(f"cue {k + 1} starts at {cues[k].start:.3f} s, before cue {k} ends at "
                               f"{cues[k - 1].end:.3f} s: cues must not overlap")
    return slots


def render_line(tts: Vocalis, line: CueLine) -> LineResult:
    """A cue's line: exactly its slot long, or longer, into its room and past it only when it must."""
    voice, lang, room = line.voice, line.lang, line.room
    text, rate = spoken_text(line.text), tts.sample_rate
    try:
        shortest = _shortest(text, lang)
    except TextError:
        return None
    if not shortest:
        return None
    length = max(line.slot, shortest, math.ceil(MIN_DURATION * rate))
    if room is not None and length > room:  # the cue runs past the next one's start anyway: say it clearly
        length = max(length, _overrun_length(tts, text, voice, lang))
    tries = 0
    while True:  # past `room` only when even the whole gap cannot hold the cue (the next cues then move)
        try:
            with _quiet(tries > 0):  # the pipeline warned at the first try; retries would repeat it
                chunks = list(tts.stream(text, voice, lang, emotion=line.emotion, duration=length / rate,
                                            mark_id=line.mark_id, who=line.who))
        except TextError:
            return None
        except StretchError as e:  # a short line in a long cue: spoken as slowly as allowed, then silence
            chunks = list(tts.stream(text, voice, lang, emotion=line.emotion, duration=e.longest / rate,
                                        mark_id=line.mark_id, who=line.who))
        except DurationError:
            tries += 1
            grown = math.ceil(length * GROW)
            if room is None or length > room:
                length = grown
            elif length < room:
                length = min(grown, room)
            else:  # not even the whole gap holds it
                length = max(grown, _overrun_length(tts, text, voice, lang))
            continue
        samples = np.concatenate([c.audio.samples for c in chunks])
        samples = np.pad(samples, (0, max(length - len(samples), 0)))
        if len(samples) != length:  # the pipeline promises the exact length; a dub depends on it
            raise RuntimeError(f"cue {line.index + 1} rendered {len(samples)} samples for {length}")
        if length > line.slot:
            log.warning(f"cue {line.index + 1} {line.text[:40]!r} is too short to speak in {line.slot / rate:.2f} s: "
                        f"lengthened to {length / rate:.2f} s, into the gap after it")
        return samples, chunks[0].speed, chunks[0].credentials


def _overrun_length(tts: Vocalis, text: str, voice: Voice, lang: str) -> int:
    """Samples for a cue that must run into the next one: at OVERRUN_SPEED, a pace still easy to follow
    (at the fastest fit Whisper misheard half the words), since the cues after it move later anyway."""
    request = SpeechRequest.for_voice(text, voice, lang=lang)
    return math.ceil(tts.natural_seconds(request) * tts.sample_rate / OVERRUN_SPEED)


def _shortest(text: str, lang: str) -> int:
    """Samples that `text` needs at the very least: one frame per token (its phonemes and the two
    boundary tokens of each segment), as the pipeline segments it. Pauses between segments take
    time too, so a text of several segments may need more."""
    vocab = token_ids()
    tokens = [sum(c in vocab for c in seg.phonemes) for seg in segments(text, lang, SEGMENT_PHONEMES)]
    return sum(n + 2 for n in tokens if n) * assets.FRAME


@contextmanager
def _quiet(on: bool) -> Iterator[None]:
    """Drop the pipeline's own log records (its speed warnings) while `on`."""
    if not on:
        yield
        return
    def drop(record: logging.LogRecord) -> bool:
        return False

    log.addFilter(drop)
    try:
        yield
    finally:
        log.removeFilter(drop)
