"""Dubbing a video: each new line (a subtitle cue timed to the picture) spoken in one voice with the emotion the
original actor had in that cue's window, fitted into the cue, mixed over the ducked original soundtrack, and
muxed back beside the video stream, which is copied, never re-encoded.

Four passes, each bounded in memory however long the film: the original is read cue by cue (a seek and a
decode of the window only) for its emotion; the lines are rendered and placed one at a time (`dub.place_cues`)
and kept on disk (`DubStore`, which is how a stopped dub resumes); each rendered line is read back to check
its emotion against the original's; then the soundtrack streams through the mixer into the muxer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.media import check_container, probe
from vocalis.service.cue_emotion import parse_spec, read_sidecar, split_override
from vocalis.service.dub import LineRenderer, PlacedCue, dub_voice, place_cues, tally
from vocalis.service.dub_store import DubStore
from vocalis.service.video_mix import DubCancelled, write_dubbed
from vocalis.subtitles import Cue, read_subtitles

if TYPE_CHECKING:
    from vocalis.emotion import Emotion
    from vocalis.emotion.reading import Baseline, EmotionReading
    from vocalis.service import Vocalis
    from vocalis.trust.provenance import Credentials
    from vocalis.voice import Voice

EMOTION_FROM = ("original", "none")
END_SLACK_S = 0.5  # a cue may end this far past the video's last sample (rounding in subtitle tools)


@dataclass(frozen=True)
class CueReport:
    """One cue: what it said, where its line went, the emotion found and the emotion heard in the render."""

    index: int
    text: str
    start: float  # where the new line was placed, seconds
    end: float
    source: str  # what set its emotion: "original", "override" or "none"
    original: EmotionReading | None  # read in the original's window (None with --emotion-from none)
    emotion: Emotion | None  # what the line was rendered with
    dubbed: EmotionReading | None  # read back from the rendered line (None: a silent cue)
    agrees: bool | None
    speed: float

    def as_dict(self) -> dict:
        return {"cue": self.index + 1, "text": self.text, "start": round(self.start, 3), "end": round(self.end, 3),
                "source": self.source, "original": self.original.text() if self.original else None,
                "emotion": str(self.emotion) if self.emotion is not None else "neutral",
                "dubbed": self.dubbed.text() if self.dubbed else None, "agrees": self.agrees,
                "speed": round(self.speed, 3), "check": self.check()}

    def check(self) -> str:
        """'original: angry 0.8 -> dubbed: angry 0.7 ✓' (or the override, or nothing to check)."""
        if self.dubbed is None:
            return "silent"
        said = {"original": f"original: {self.original.text() if self.original else '-'}",
                "override": f"override: {self.emotion or 'neutral'}", "none": "no emotion set"}[self.source]
        mark = "" if self.source != "original" else (" ✓" if self.agrees else " ✗")
        return f"{said} -> dubbed: {self.dubbed.text()}{mark}"


@dataclass(frozen=True)
class VideoDubResult:
    path: Path
    cues: list[CueReport]
    strained: list[tuple[int, float]]  # (cue, speed) fitted outside 0.5-2.0
    silent: list[int]
    lengthened: list[int]
    delayed: list[tuple[int, float]]
    outside: list[int]  # spoken cues whose line is not wholly inside the cue's window (lengthened or delayed)
    duration: float
    signed: bool  # the output carries a C2PA manifest (mp4, mov, m4a: BMFF; mkv and webm cannot)


@dataclass(frozen=True)
class Placement:
    """Where a cue's line went (its samples are in the store)."""

    index: int
    start: int
    length: int  # 0: a silent cue
    speed: float
    lengthened: bool
    delay: float
    strained: bool

    @property
    def end(self) -> int:
        return self.start + self.length

    @classmethod
    def of(cls, cue: PlacedCue) -> Placement:
        return cls(cue.index, cue.start, cue.length, cue.speed, cue.lengthened, cue.delay, cue.strained)


@dataclass(frozen=True)
class DubProgress:
    stage: str  # "reading" the original, "rendering" the lines, "mixing" the soundtrack
    done: int
    total: int
    cue: CueReport | None = None  # the cue just rendered


@dataclass(frozen=True)
class DubOptions:
    voice: str | Path | Voice | None = None
    lang: str = "auto"
    emotion_from: str = "original"
    emotion_weight: float = 1.0
    emotions_file: str | Path | None = None  # sidecar YAML: cue number -> emotion spec
    overrides: dict[int, str] | None = None  # cue index (from 0) -> emotion spec; wins over the file and braces
    keep_original_audio: bool = False

    def check(self) -> None:
        if self.emotion_from not in EMOTION_FROM:
            raise VocalisError(f"--emotion-from {self.emotion_from!r}: use {' or '.join(EMOTION_FROM)}")
        if not 0 <= self.emotion_weight <= 1:
            raise VocalisError(f"--emotion-weight {self.emotion_weight}: use 0 to 1")


def dubbed_path(video: str | Path, has_video: bool = True) -> Path:
    """The default output, beside the input: `NAME.dubbed.mp4` (or the input's own container where it can hold
    the copied video: mov, mkv, webm); `NAME.dubbed.m4a` for an audio-only input."""
    video = Path(video)
    own = video.suffix.lower()
    suffix = own if own in (".mp4", ".mov", ".mkv", ".webm") else ".mp4" if has_video else ".m4a"
    return video.with_name(f"{video.stem}.dubbed{suffix}")


def dub_video(tts: Vocalis, video: str | Path, subtitles: str | Path, output: str | Path | None = None,
              options: DubOptions | None = None, progress: Callable[[DubProgress], None] | None = None,
              cancel: Callable[[], bool] | None = None, who: str | None = None,
              lines: LineRenderer | None = None) -> VideoDubResult:
    """Dub `video` with the new lines of `subtitles` (SRT or VTT, timed to the picture) into `output`
    (default `dubbed_path(video)`). Bad inputs fail with one line before any render. `cancel()` returning
    True stops between cues (DubCancelled), leaving no output; a dub killed mid-way resumes when run again
    with the same inputs. `lines`: where the cues' lines render (see `dub.place_cues`; default: here)."""
    options = options or DubOptions()
    options.check()
    say = progress or (lambda _p: None)
    stop = cancel or (lambda: False)
    info = probe(video)
    out = Path(output) if output else dubbed_path(video, info.has_video)
    check_container(out.suffix.lower(), info.video_codec)
    if not out.parent.is_dir():
        raise VocalisError(f"cannot write {out}: folder {out.parent} does not exist")
    cues, specs = _cues(subtitles, info.duration, options)
    voice = dub_voice(cues, options.voice, options.lang)
    store = DubStore.for_inputs(info.path, {"cues": [(c.start, c.end, c.text) for c in cues], "voice": voice.id,
                                            "lang": options.lang, "from": options.emotion_from,
                                            "weight": options.emotion_weight, "specs": specs})
    try:
        originals = _read_originals(info.path, cues, options, store, say, stop)
        emotions, sources = _emotions(originals, specs, options)
        placed, reports, credentials = _render_lines(tts, cues, voice, options.lang, emotions, sources, originals,
                                                     store, say, stop, who, lines)
        signed = write_dubbed(info, out, placed, cues, tts.sample_rate, store, credentials,
                              options.keep_original_audio, lambda d, t: say(DubProgress("mixing", d, t)), stop)
    except DubCancelled:
        store.remove()
        raise
    store.remove()
    return _result(out, cues, placed, reports, tts.sample_rate, signed)


@dataclass(frozen=True)
class CueEmotion:
    """What a dub would start from for one cue, before rendering: its text, its override, the original's emotion."""

    index: int
    start: float
    end: float
    text: str
    override: str | None
    original: EmotionReading | None


def cue_emotions(video: str | Path, subtitles: str | Path, options: DubOptions | None = None,
                 progress: Callable[[DubProgress], None] | None = None) -> list[CueEmotion]:
    """The reading pass alone (no voice, no render): every cue with the emotion found in the original's window
    and its override, for a user to review and edit before the dub."""
    options = options or DubOptions()
    options.check()
    info = probe(video)
    cues, specs = _cues(subtitles, info.duration, options)
    readings = _read_originals(info.path, cues, options, None, progress or (lambda _p: None), lambda: False)
    return [CueEmotion(k, c.start, c.end, c.text, specs.get(k), readings[k]) for k, c in enumerate(cues)]


def _cues(subtitles: str | Path, duration: float, options: DubOptions) -> tuple[list[Cue], dict[int, str]]:
    """The cues with their override braces cut, and each cue's override spec (sidecar first, braces win)."""
    cues = read_subtitles(subtitles)
    if not cues:
        raise VocalisError(f"{Path(subtitles).name} holds no cues")
    specs = read_sidecar(options.emotions_file, len(cues)) if options.emotions_file else {}
    clean = []
    for k, cue in enumerate(cues):
        if cue.start >= duration or cue.end > duration + END_SLACK_S:
            raise VocalisError(f"cue {k + 1} ({cue.start:.2f}-{cue.end:.2f} s) runs past the video's end at "
                               f"{duration:.2f} s: are these the subtitles of this video?")
        text, spec = split_override(cue.text)
        if spec is not None:
            specs[k] = spec
        clean.append(Cue(cue.start, cue.end, text))
    for k, spec in (options.overrides or {}).items():
        if not 0 <= k < len(cues):
            raise VocalisError(f"an emotion override for cue {k + 1}: the subtitles have cues 1-{len(cues)}")
        specs[k] = spec
    for k, spec in specs.items():
        try:  # a bad override fails now, with its cue number, not after an hour of rendering
            parse_spec(spec)
        except VocalisError as e:
            raise VocalisError(f"cue {k + 1}'s emotion {{{spec}}}: {e}") from None
    return clean, specs


def _read_originals(video: Path, cues: list[Cue], options: DubOptions, store: DubStore | None,
                    say: Callable[[DubProgress], None], stop: Callable[[], bool]) -> list[EmotionReading | None]:
    """The emotion of the original speech in each cue's window, against the actors' own baseline (the median
    of every window: a loud actor is not angry all film long). Kept in the store for a resumed run."""
    from vocalis.emotion.reading import baseline_of, prosody_of, read_emotion, reading_from_dict
    from vocalis.media import read_window

    if options.emotion_from == "none":
        return [None] * len(cues)
    cached = store.readings() if store else None
    if cached is not None and len(cached) == len(cues):
        return [reading_from_dict(r) for r in cached]
    prosodies = []
    for k, cue in enumerate(cues):
        if stop():
            raise DubCancelled("dub cancelled")
        prosodies.append(prosody_of(read_window(video, cue.start, cue.end)))
        say(DubProgress("reading", k + 1, len(cues)))
    baseline = baseline_of([p for p in prosodies if p is not None])
    readings: list[EmotionReading] = [read_emotion(p, baseline) for p in prosodies]
    if store:
        store.put_readings([r.as_dict() for r in readings])
    return readings


def _emotions(originals: list[EmotionReading | None], specs: dict[int, str], options: DubOptions
              ) -> tuple[list[Emotion | None], list[str]]:
    """Each cue's emotion to render with, and where it came from."""
    emotions, sources = [], []
    for k, reading in enumerate(originals):
        if k in specs:
            emotion = parse_spec(specs[k])
            emotions.append(replace(emotion, weight=emotion.weight * options.emotion_weight))
            sources.append("override")
        elif reading is not None and options.emotion_from == "original":
            emotions.append(None if reading.label == "neutral" else
                            replace(reading.emotion, weight=options.emotion_weight))
            sources.append("original")
        else:
            emotions.append(None)
            sources.append("none")
    return emotions, sources


def _render_lines(tts: Vocalis, cues: list[Cue], voice: Voice, lang: str, emotions: list[Emotion | None],
                  sources: list[str], originals: list[EmotionReading | None], store: DubStore,
                  say: Callable[[DubProgress], None], stop: Callable[[], bool], who: str | None,
                  lines: LineRenderer | None = None) -> tuple[list[Placement], list[CueReport], Credentials]:
    """Every line rendered (or taken from the store), placed, kept on disk and read back; each line is
    marked with the dub's one watermark id, which its audit records and the file's manifest share."""
    from vocalis.emotion.reading import agrees, prosody_of, read_emotion
    from vocalis.service.marks import MODEL
    from vocalis.trust.audit import AuditLog
    from vocalis.trust.provenance import Credentials

    mark_id = tts.mark_id if tts.mark_id is not None else store.mark_id(AuditLog().new_mark_id)
    voice_baseline = _voice_baseline(tts, voice, lang)
    placed, reports = [], []
    rate = tts.sample_rate
    for cue in place_cues(tts, cues, voice, lang, emotions.__getitem__, resumed=store, mark_id=mark_id, who=who,
                          lines=lines):
        k = cue.index
        if not cue.cached:
            store.put_line(k, cue.samples, cue.speed)
        placed.append(Placement.of(cue))  # the samples stay on disk: a film's lines never fill the memory
        dubbed = None if cue.samples is None else read_emotion(prosody_of(Audio(cue.samples, rate)), voice_baseline)
        original = originals[k]
        report = CueReport(k, cues[k].text, cue.start / rate, cue.end / rate, sources[k], original, emotions[k],
                           dubbed, None if dubbed is None or original is None else agrees(original, dubbed),
                           cue.speed)
        reports.append(report)
        say(DubProgress("rendering", k + 1, len(cues), report))
        if stop():
            raise DubCancelled("dub cancelled")
    lines = [{"cue": r.index + 1, "text": r.text, "emotion_source": r.source,
              "emotion": str(r.emotion) if r.emotion is not None else "neutral",
              "original": r.original.text() if r.original else None} for r in reports]
    credentials = Credentials(voice=voice.name, voice_id=voice.id, model=MODEL, watermark_id=mark_id, lines=lines)
    return placed, reports, credentials


def _voice_baseline(tts: Vocalis, voice: Voice, lang: str) -> Baseline:
    """The dubbing voice's own neutral prosody, what its lines are read against (rendered once, unrecorded:
    it is never output)."""
    from vocalis.emotion.reading import baseline_of, prosody_of
    from vocalis.engine import Plan
    from vocalis.service.request import SEGMENT_PHONEMES
    from vocalis.service.vocalis import PREVIEW_SENTENCES

    language = voice.language if voice.language in PREVIEW_SENTENCES else ("zh" if lang == "zh" else "en")
    lines = tts.engine.lines(PREVIEW_SENTENCES[language], language, SEGMENT_PHONEMES)
    audio = Audio.concat([c.audio for c in tts.engine.render(Plan(lines, voice))])
    prosody = prosody_of(audio)
    return baseline_of([prosody] if prosody is not None else [], own=True)


def _result(out: Path, cues: list[Cue], placed: list[Placement], reports: list[CueReport], rate: int,
            signed: bool) -> VideoDubResult:
    outside = [c.index for c in placed if c.length and
               (c.start < round(cues[c.index].start * rate) or c.end > round(cues[c.index].end * rate))]
    ends = [c.end for c in placed]
    return VideoDubResult(out, reports, *tally(placed), outside, max(ends) / rate if ends else 0.0, signed)

