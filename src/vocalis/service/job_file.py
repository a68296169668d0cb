"""YAML job files (`vocalis run job.yaml`): the seed's shape, checked whole before anything renders.

    text: ...
    speaker_reference: VOICE | voice.npz | voice.safetensors | clip.wav
    emotion_control: {method: voice|vector|text|audio|mix, vector|description|audio|mix: ..., weight: 0-1}
    duration_control: {mode: free|controlled, ratio: SPEED | seconds: S}
    output: out.wav
    lang: auto, subtitles: out.srt, pause_scale: 1.0, max_phonemes: 300 (optional)

A file holds one job, or several under `jobs:` (keys given at the top level are defaults for all). Each job
becomes a `SpeechRequest` (method `speaker`, the seed's name for `voice`, is accepted too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from vocalis.emotion import EMOTIONS, Emotion
from vocalis.errors import VocalisError
from vocalis.service import EmotionSpec, FileSink, RenderResult, SpeechRequest, Vocalis
from vocalis.service.request import SEGMENT_PHONEMES, format_of
from vocalis.subtitles import check_subtitle_path

_JOB_KEYS = {"text", "speaker_reference", "emotion_control", "duration_control", "output", "lang", "subtitles",
             "pause_scale", "max_phonemes"}
_EMOTION_KEYS = {"method", "vector", "description", "audio", "mix", "weight"}
_DURATION_KEYS = {"mode", "ratio", "seconds"}
_MIX_KEYS = {"vector": "vector: {happy: 0.8}", "text": "description: ...", "audio": "audio: clip.wav"}
_AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".webm", ".aac"}


@dataclass(frozen=True)
class Job:
    """One item of a job file: its request, where it goes, and the clip to clone its voice from, if any."""

    request: SpeechRequest
    output: Path
    reference: Path | None = None  # a clip to clone the voice from (cached in the library)
    subtitles: Path | None = None


def load_jobs(path: str | Path) -> list[Job]:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise VocalisError(f"cannot read job file {path}: {e.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise VocalisError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    return parse_jobs(data, str(path), path.parent)


def parse_jobs(data: object, source: str, base: Path) -> list[Job]:
    """The jobs of a job file's parsed content, all checked; `source` names it in errors, and relative
    paths are taken from `base` (the server checks uploaded batches with this too)."""
    if not isinstance(data, dict):
        raise VocalisError(f"{source}: a job file is a mapping with `text` and `output` (or a `jobs:` list)")
    defaults = {k: v for k, v in data.items() if k != "jobs"}
    listed = "jobs" in data
    items = data.get("jobs")
    if items is None:
        items = [{}]
    elif not isinstance(items, list) or not items:
        raise VocalisError(f"{source}: `jobs` must be a non-empty list of jobs")
    jobs = []
    for k, item in enumerate(items, 1):
        where = source + (f", job {k}" if listed else "")
        if not isinstance(item, dict):
            raise VocalisError(f"{where}: each job is a mapping (text, output, ...)")
        jobs.append(_job({**defaults, **item}, where, base))
    outputs = [j.output for j in jobs]
    if len(set(outputs)) != len(outputs):
        raise VocalisError(f"{source}: two jobs write the same output file; give each its own `output`")
    return jobs


def _job(spec: dict, where: str, base: Path) -> Job:
    _known(spec, _JOB_KEYS, where)
    text = spec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise VocalisError(f"{where}: `text` is missing or empty")
    if "output" not in spec:
        raise VocalisError(f"{where}: `output` is missing (e.g. output: out.wav)")
    output = base / str(spec["output"])
    try:  # everything the engine would refuse, refused now, before the first job renders
        voice, reference = _speaker(spec.get("speaker_reference"), where, base)
        speed, duration = _duration(spec.get("duration_control") or {}, where)
        subtitles = base / str(spec["subtitles"]) if spec.get("subtitles") else None
        if subtitles:
            check_subtitle_path(subtitles, folder=False)  # run_job creates the folder
        segment = int(_float(spec.get("max_phonemes", SEGMENT_PHONEMES), "max_phonemes", where))
        request = SpeechRequest(text, voice=voice, lang=str(spec.get("lang", "auto")), speed=speed,
                                duration=duration, emotion=_emotion(spec.get("emotion_control") or {}, where, base),
                                pause_scale=_float(spec.get("pause_scale", 1.0), "pause_scale", where),
                                max_phonemes=segment,
                                format=format_of(output), subtitles=subtitles and subtitles.suffix.lstrip("."))
        if reference is None:
            Vocalis.check(request)  # its bounds, its voice, and the voice's consent
        else:
            request.check()
    except VocalisError as e:
        if str(e).startswith(where):
            raise
        raise type(e)(f"{where}: {e}") from None
    return Job(request, output, reference, subtitles)


def _known(spec: dict, keys: set[str], where: str) -> None:
    unknown = set(spec) - keys
    if unknown:
        raise VocalisError(f"{where}: unknown key {sorted(unknown)[0]!r}; known: {', '.join(sorted(keys))}")


def _speaker(ref: object, where: str, base: Path) -> tuple[str, Path | None]:
    if ref is None:
        return "default", None
    ref = str(ref)
    if Path(ref).suffix.lower() in _AUDIO_SUFFIXES:
        clip = base / ref
        if not clip.is_file():
            raise VocalisError(f"{where}: speaker_reference {clip} not found")
        return "default", clip
    if ref.endswith((".npz", ".safetensors")):
        return str(base / ref), None
    return ref, None


def _duration(spec: object, where: str) -> tuple[float, float | None]:
    if not isinstance(spec, dict):
        raise VocalisError(f"{where}: duration_control is a mapping: {{mode: free|controlled, ratio|seconds}}")
    _known(spec, _DURATION_KEYS, f"{where}, duration_control")
    mode = spec.get("mode", "free")
    if mode == "free":
        if "seconds" in spec:
            raise VocalisError(f"{where}: duration_control gives seconds with mode free; use mode: controlled")
        return _float(spec.get("ratio", 1.0), "ratio", where), None
    if mode != "controlled":
        raise VocalisError(f"{where}: duration_control mode {mode!r}: use free or controlled")
    if ("ratio" in spec) == ("seconds" in spec):
        raise VocalisError(f"{where}: controlled duration takes one of `ratio` (speed) or `seconds`")
    if "ratio" in spec:
        return _float(spec["ratio"], "ratio", where), None
    return 1.0, _float(spec["seconds"], "seconds", where)


def _emotion(spec: object, where: str, base: Path) -> EmotionSpec | None:
    if not isinstance(spec, dict):
        raise VocalisError(f"{where}: emotion_control is a mapping: {{method, description|vector|audio, weight}}")
    _known(spec, _EMOTION_KEYS, f"{where}, emotion_control")
    method = spec.get("method", "voice")
    weight = _float(spec.get("weight", 1.0), "weight", where)
    need = {"voice": (), "speaker": (), "vector": ("vector",), "text": ("description",), "audio": ("audio",),
            "mix": ("mix",)}
    if method not in need:
        raise VocalisError(f"{where}: emotion method {method!r}: use {', '.join(need)}")
    for key in need[method]:
        if key not in spec:
            raise VocalisError(f"{where}: emotion method {method} needs `{key}`")
    if method in ("voice", "speaker"):
        return None
    vector = text = audio = shares = None
    if method in ("vector", "mix") and "vector" in spec:
        vector = _vector(spec["vector"], where)
    if method in ("text", "mix") and "description" in spec:
        text = str(spec["description"])
    if method in ("audio", "mix") and "audio" in spec:
        clip = base / str(spec["audio"])
        if not clip.is_file():
            raise VocalisError(f"{where}: emotion audio {clip} not found")
        audio = str(clip)
    if method == "mix":
        shares = _shares(spec["mix"], {"vector": vector, "text": text, "audio": audio}, where)
    return EmotionSpec(vector=vector, text=text, audio=audio, weight=weight, shares=shares)


def _shares(value: object, sources: dict[str, object], where: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise VocalisError(f"{where}: mix gives each source's share, e.g. {{audio: 0.3, text: 0.5, vector: 0.2}}")
    shares = {str(k): _float(v, f"mix.{k}", where) for k, v in value.items()}
    given = {name for name, source in sources.items() if source is not None}
    for name in sorted(set(shares) - given):
        raise VocalisError(f"{where}: the mix names {name!r}, which needs its own key ({_MIX_KEYS.get(name, name)})")
    for name in sorted(given - set(shares)):
        raise VocalisError(f"{where}: the mix gives no share to {name!r}: give every source a share")
    return shares


def _vector(value: object, where: str) -> dict[str, float]:
    if isinstance(value, dict):
        return {str(k): _float(v, str(k), where) for k, v in value.items()}
    if isinstance(value, list) and len(value) == len(EMOTIONS):
        return {e: _float(v, e, where) for e, v in zip(EMOTIONS, value, strict=True)}
    if isinstance(value, str):
        emotion = Emotion.parse(value)
        return {e: float(v) for e, v in zip(EMOTIONS, emotion.vector, strict=True) if v}
    raise VocalisError(f"{where}: vector is a mapping like {{happy: 0.8}} or a list of {len(EMOTIONS)} numbers")


def _float(value: object, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VocalisError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def run_job(tts: Vocalis, job: Job, progress: Callable[[str], None] | None = None) -> RenderResult:
    """Render one job into its output (and subtitles), creating their folders."""
    request = job.request
    if job.reference is not None:
        request = replace(request, voice=_cloned(tts, job.reference, progress))
    if request.emotion is not None:  # resolved once, here, to show what it maps to
        emotion = request.emotion.resolve()
        if progress:
            progress(f"emotion: {emotion}")
        request = replace(request, emotion=EmotionSpec.of(emotion))
    return tts.render(request, FileSink(job.output, subtitles=job.subtitles, make_folders=True))


def _cloned(tts: Vocalis, clip: Path, progress: Callable[[str], None] | None) -> str:
    """The library voice cloned from `clip`, cloning it on first use (named after the clip's content)."""
    from vocalis.voice.library import voice_path

    name = "ref-" + hashlib.sha256(clip.read_bytes()).hexdigest()[:10]
    if not voice_path(name).exists():
        if progress:
            progress(f"cloning the voice of {clip.name} as {name} (once; about a minute)")
        tts.clone([clip], name, progress=progress)
    return name
