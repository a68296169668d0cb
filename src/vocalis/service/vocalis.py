"""`Vocalis`, the service every surface goes through: a `SpeechRequest` checked (before any model loads),
its voice resolved and its consent required, rendered by the engine, marked and recorded by the trust
stage, and delivered into a sink. Cloning, training and the voice library are here too."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocalis.audio import Audio
from vocalis.engine import Chunk, Engine, Line, Plan
from vocalis.errors import LanguageError, VocalisError, VoiceExists
from vocalis.service.access import LOCAL, Account, owned_by
from vocalis.service.market import authorise_use, market_cid, metered
from vocalis.service.marks import fixed_mark_id, on_record, with_marks
from vocalis.service.parts import Part, joined, split
from vocalis.service.render import MemorySink, RenderProgress, RenderResult, Sink, deliver
from vocalis.service.request import SEGMENT_PHONEMES, EmotionSpec, SpeechRequest

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel
    from vocalis.emotion import Emotion
    from vocalis.market.package import Package
    from vocalis.service.dub import LineRenderer
    from vocalis.service.packaging import PackageOptions
    from vocalis.service.video_dub import CueEmotion, DubOptions, DubProgress, VideoDubResult
    from vocalis.trust.provenance import Credentials
    from vocalis.voice import Voice
    from vocalis.voice.clone import Cloner
    from vocalis.voice.reference import Reference
    from vocalis.voice.train import TrainProgress
    from vocalis.voice.train.intake import Corpus

# What `warm` renders once per language, unmarked and unrecorded: enough to load and run every model.
WARM_SENTENCES = {"en": "Ready.", "zh": "好了。"}

# What a voice without consent may say, inside the clone flow only: one short sentence (see `preview`).
PREVIEW_SENTENCES = {
    "en": "We walked along the river and talked about the books we had read last summer.",
    "zh": "我们沿着河边散步，聊起了去年夏天读过的书。",
}


class Vocalis:
    """Text in, speech out. Models load lazily, once per process."""

    def __init__(self, acoustic: AcousticModel | None = None, tone_contours: bool = True,
                 mark_id: int | None = None):
        """`mark_id`: the watermark id of every output (default: a fresh one per request, or
        $VOCALIS_MARK_ID): a fixed one makes outputs reproducible bit for bit."""
        self.engine = Engine(acoustic, tone_contours)
        self._acoustic = acoustic
        self.mark_id = mark_id if mark_id is not None else fixed_mark_id()
        self._cloner: Cloner | None = None  # kept: it remembers how the built-in packs sound

    @property
    def acoustic(self) -> AcousticModel:
        """The PyTorch acoustic model, for what needs gradients (cloning, training); renders run the engine's
        onnxruntime stages unless a model was given."""
        if self._acoustic is None:
            from vocalis.acoustic.stages import acoustic_model

            self._acoustic = acoustic_model()
        return self._acoustic

    @property
    def sample_rate(self) -> int:
        return self.engine.sample_rate

    @staticmethod
    def check(request: SpeechRequest) -> Voice:
        """The request's bounds checked and its voice resolved, which must hold consent if it is a clone; no
        model loads."""
        from vocalis.trust.consent import require_consent

        request.check()
        voice = request.resolve_voice()
        require_consent(voice)
        return voice

    def open(self, request: SpeechRequest, who: str | None = None, mark_id: int | None = None) -> Iterator[Chunk]:
        """The request's marked chunks, rendered as they are read (memory flat however long the text). Checked
        at the call: a bad request fails here, not at the first read. When the stream ends, or is dropped,
        the request is appended to the audit log with `who` made it (default: the local user). `mark_id`:
        the watermark id to use instead of the engine's (a video dub marks all its lines with one id)."""
        voice = self.check(request)
        use = authorise_use(request, request.market, who) if market_cid(request) else None
        chunks = on_record(self.engine.render(self._plan(request, voice, self._lines(request))), "synthesis", voice,
                           request.text, request.params(), who, self.mark_id if mark_id is None else mark_id)
        return chunks if use is None else metered(chunks, request, use, who)

    def parts(self, request: SpeechRequest, count: int) -> list[Part] | None:
        """The request checked and its text cut into at most `count` parts for as many engines to render at once
        (`render_part`, then `recorded`); None when it cannot be shared: a duration (fitted over every line
        together) or a market voice (metered per request)."""
        self.check(request)
        if request.duration is not None or market_cid(request):
            return None
        return split(list(self._lines(request)), count)

    def render_part(self, request: SpeechRequest, part: Part, mark_id: int) -> Iterator[Chunk]:
        """A part's chunks, watermarked with the whole request's `mark_id` and not recorded: the whole is, by
        `recorded`. Chunk times start from the part's own start."""
        voice = self.check(request)
        return with_marks(self.engine.render(replace(self._plan(request, voice, part.lines), ends=part.ends)),
                          voice, mark_id)

    def recorded(self, request: SpeechRequest, parts: Iterable[list[Chunk]], who: str | None,
                 mark_id: int) -> Iterator[Chunk]:
        """The parts' marked chunks joined into the whole request's, recorded in the audit log as one render."""
        voice = self.check(request)
        return on_record(joined(parts), "synthesis", voice, request.text, request.params(), who, mark_id,
                         marked=True)

    def new_mark_id(self) -> int:
        """The watermark id of a new render: the engine's fixed one, else a fresh random one."""
        from vocalis.trust.audit import AuditLog

        return self.mark_id if self.mark_id is not None else AuditLog().new_mark_id()

    def _lines(self, request: SpeechRequest) -> Iterator[Line]:
        return self.engine.lines(request.text, request.lang, request.max_phonemes, request.pause_scale)

    @staticmethod
    def _plan(request: SpeechRequest, voice: Voice, lines: Iterable[Line]) -> Plan:
        emotion = request.emotion.resolve() if request.emotion else None
        return Plan(lines, voice, request.speed, emotion, request.duration, request.low_latency)

    def render(self, request: SpeechRequest, sink: Sink | None = None, who: str | None = None,
               progress: Callable[[RenderProgress], None] | None = None) -> RenderResult:
        """Render a request into `sink` (default: memory, the audio in the result), with progress events.
        An exception raised by `progress` (a cancel) stops the render and the sink discards its output."""
        return deliver(self.open(request, who), sink or MemorySink(), len(request.text), progress)

    def stream(self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto", speed: float = 1.0,
               emotion: Emotion | None = None, duration: float | None = None, low_latency: bool = False, *,
               pause_scale: float = 1.0, max_phonemes: int = SEGMENT_PHONEMES,
               who: str | None = None, mark_id: int | None = None) -> Iterator[Chunk]:
        """`open` for Python callers that hold a Voice or an Emotion: the same request, the same path.

        `duration`: the whole output lasts exactly this many seconds (to the sample); it replaces `speed`.
        `low_latency`: the first segment comes in parts, its leading silence first (for a listener).
        `pause_scale` multiplies the pauses between segments; `max_phonemes` bounds a segment's length."""
        return self.open(request_of(text, voice, lang=lang, speed=speed, emotion=EmotionSpec.of(emotion),
                                    duration=duration, low_latency=low_latency, pause_scale=pause_scale,
                                    max_phonemes=max_phonemes), who, mark_id)

    def synthesize(self, text: str, voice: str | Path | Voice | None = None, lang: str = "auto",
                   speed: float = 1.0, emotion: Emotion | None = None, duration: float | None = None, *,
                   pause_scale: float = 1.0, max_phonemes: int = SEGMENT_PHONEMES, who: str | None = None) -> Audio:
        """All of `stream`, joined: see there."""
        chunks = self.stream(text, voice, lang, speed, emotion, duration, pause_scale=pause_scale,
                             max_phonemes=max_phonemes, who=who)
        return Audio.concat([c.audio for c in chunks])

    def natural_seconds(self, request: SpeechRequest) -> float:
        """How long the request's text lasts at natural speed in its voice (no audio made): where a duration
        starts from, and the middle of the range it may ask for (see `acoustic.timing.MIN_FIT_SPEED`)."""
        request.check()
        lines = self.engine.lines(request.text, request.lang, request.max_phonemes, request.pause_scale)
        return self.engine.natural_seconds(lines, request.resolve_voice())

    def warm(self) -> None:
        """Load every model a render needs and run each once, so that the first request is as fast as the
        rest (servers call it in the background): an English render (the acoustic models, the English front
        end, the marks) and the Mandarin front end (the acoustic models are the same). Nothing is kept or
        recorded; hold the engine's lock around it where requests may be rendering."""
        from vocalis.trust.watermark import mark

        request = SpeechRequest(WARM_SENTENCES["en"], lang="en")
        lines = self.engine.lines(request.text, "en", SEGMENT_PHONEMES)
        for chunk in self.engine.render(Plan(lines, self.check(request))):
            mark(chunk.audio.samples, chunk.audio.sample_rate, 0)
        list(self.engine.lines(WARM_SENTENCES["zh"], "zh", SEGMENT_PHONEMES))

    def preview(self, voice: Voice, who: str | None = None) -> tuple[Audio, Credentials]:
        """One short fixed sentence in a voice, with or without consent: what the clone flow plays so the user
        can hear the clone before its owner consents. Watermarked and on record like any output; with the
        credentials to sign a file of it."""
        text = PREVIEW_SENTENCES.get(voice.language, PREVIEW_SENTENCES["en"])
        lines = self.engine.lines(text, voice.language, SEGMENT_PHONEMES)
        chunks = list(on_record(self.engine.render(Plan(lines, voice)), "preview", voice, text, {}, who,
                                self.mark_id))
        return Audio.concat([c.audio for c in chunks]), chunks[0].credentials

    @property
    def cloner(self) -> Cloner:
        """The instant cloner, made on first use and kept (it remembers how the built-in packs sound)."""
        if self._cloner is None:
            from vocalis.voice.clone import Cloner

            self._cloner = Cloner(self.acoustic)
        return self._cloner

    def clone(self, references: Sequence[str | Path | Audio], name: str, lang: str = "en", overwrite: bool = False,
              progress: Callable[[str], None] | None = None, envelope: bool = True,
              account: Account = LOCAL) -> Voice:
        """Clone a voice from 3-30 s of someone's speech (one or more clips, any common format) and
        save it in the voice library under `name`, usable everywhere a voice is accepted. `envelope`: also
        learn the speaker's phoneme envelope from the reference (see `service.envelope`; a few seconds more).
        `account`: whose voice it is (see `service.access`; default: the local user's)."""
        from vocalis.voice.library import save_voice

        self.check_clone_name(name, overwrite)  # a bad or taken name fails before minutes of work, not after
        voice = owned_by(self.instant_clone(references, name, lang, progress, envelope), account)
        save_voice(voice, overwrite=overwrite)
        return voice

    def instant_clone(self, references: Sequence[str | Path | Audio] | Reference, name: str, lang: str = "en",
                      progress: Callable[[str], None] | None = None, envelope: bool = True) -> Voice:
        """The clone `clone` saves, not saved (evaluations, and training's start voice)."""
        from vocalis.service.envelope import clone_with_envelope
        from vocalis.voice.reference import Reference, prepare_reference

        say = progress or (lambda _m: None)
        reference = references if isinstance(references, Reference) else prepare_reference(references)
        voice = self.cloner.clone(reference, name, lang, say)
        return clone_with_envelope(self, voice, reference, say) if envelope else voice

    @staticmethod
    def check_clone_name(name: str, overwrite: bool = False) -> None:
        """A name a new clone may take: allowed, and free unless `overwrite` (checked before any model loads)."""
        from vocalis.voice.library import check_name, voice_path

        check_name(name)
        if voice_path(name).exists() and not overwrite:
            raise VoiceExists(name)

    def train(self, clips: Sequence[str | Path], name: str, lang: str = "en", *,
              transcripts: dict[str, str] | None = None, minutes: float = 14.0, start: str | None = None,
              overwrite: bool = False, who: str | None = None, account: Account = LOCAL,
              progress: Callable[[TrainProgress], None] | None = None, cancel: Callable[[], bool] | None = None,
              steps: int | None = None) -> Voice:
        """Train a voice model from 30 s to 10 min of one person's speech (any common audio or video
        format; `transcripts` maps clip file names to their text, else Whisper transcribes) and save it in
        the library under `name`. Starts from the clone `start`, or from `name` when that is a clone (the
        trained voice then replaces it and inherits its consent), else from a new instant clone.

        `minutes` caps the whole run and the best checkpoint within it is kept; `steps` fixes the number of
        decoder steps instead. `progress` receives TrainProgress events; `cancel()` returning True stops the
        run between steps (TrainingCancelled). An interrupted run resumes when called again with the same
        clips. The voice needs consent before it speaks, as a clone does; it is `account`'s (see `clone`)."""
        from vocalis.service.training import train_voice
        from vocalis.voice.library import check_name
        from vocalis.voice.train import TrainOptions

        if lang not in ("en", "zh"):
            raise LanguageError(f"unknown language {lang!r} for a trained voice: use en or zh")
        if not 1 <= minutes <= 120:
            raise VocalisError(f"--minutes {minutes} is out of range: use 1 to 120")
        check_name(name)  # a bad name fails before minutes of work
        options = TrainOptions(lang=lang, minutes=minutes, transcripts=transcripts, steps=steps)
        return train_voice(self, clips, name, options, start, overwrite, who, account,
                           progress or (lambda _p: None), cancel or (lambda: False))

    def dub_video(self, video: str | Path, subtitles: str | Path, output: str | Path | None = None,
                  options: DubOptions | None = None, progress: Callable[[DubProgress], None] | None = None,
                  cancel: Callable[[], bool] | None = None, who: str | None = None,
                  lines: LineRenderer | None = None) -> VideoDubResult:
        """Dub a video (or audio file) with the new lines of `subtitles`, each spoken in `options.voice` with the
        emotion the original had in the cue's window, mixed over the ducked original and muxed beside the copied
        video stream into `output` (default NAME.dubbed.mp4 beside the video, NAME.dubbed.m4a beside an audio file).
        `lines` renders the cues' lines elsewhere (a cluster's renderers); by default this engine does, one at a
        time. See `service.video_dub`."""
        from vocalis.service.video_dub import dub_video

        return dub_video(self, video, subtitles, output, options, progress, cancel, who, lines)

    @staticmethod
    def dub_emotions(video: str | Path, subtitles: str | Path, options: DubOptions | None = None,
                     progress: Callable[[DubProgress], None] | None = None) -> list[CueEmotion]:
        """What `dub_video` would start from, without rendering: each cue with the emotion found in the
        original's window and its override, to review and edit (`DubOptions.overrides`) before the dub."""
        from vocalis.service.video_dub import cue_emotions

        return cue_emotions(video, subtitles, options, progress)

    @staticmethod
    def check_training(clips: Sequence[str | Path], lang: str = "en", transcripts: dict[str, str] | None = None,
                       progress: Callable[[str], None] | None = None) -> Corpus:
        """What `train` would find in `clips` (the same checks, raising the same VoiceError): the utterances
        with their transcripts (Whisper's where none is given), the seconds of speech and the SNR."""
        from vocalis.voice.train.intake import check_corpus

        return check_corpus(clips, lang, transcripts, progress or (lambda _m: None))

    def package(self, name: str, output: str | Path | None = None, options: PackageOptions | None = None,
                account: Account = LOCAL) -> tuple[Path, Package]:
        """The library voice `name` as a signed market package (`.vvp`, default NAME.vvp), with a watermarked
        sample and `options`' listing and licence; its owner must have consented. Returns the file and the
        package read back (its CID, listing, licence). `service.packaging` also verifies and imports them."""
        from vocalis.service.packaging import export_package

        return export_package(self, name, output, options, account)


def request_of(text: str, voice: str | Path | Voice | None = None, **fields: Any) -> SpeechRequest:
    """A SpeechRequest from Python values: a Voice object, a voice file's path, a name, or None (default)."""
    from vocalis.voice import Voice

    if isinstance(voice, Voice):
        return SpeechRequest.for_voice(text, voice, **fields)
    return SpeechRequest(text, voice="default" if voice is None else str(voice), **fields)
