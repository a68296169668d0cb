"""YAML job files (`vocalis run job.yaml`): the seed's shape, checked whole before anything renders.

    text: ...
    speaker_reference: VOICE | voice.npz | voice.safetensors | clip.wav
    emotion_control: {method: speaker|vector|text|audio|mix, vector|description|audio|mix: ..., weight: 0-1}
    duration_control: {mode: free|controlled, ratio: SPEED | seconds: S}
    output: out.wav
    lang: auto, subtitles: out.srt (optional)

A file holds one job, or several under `jobs:` (keys given at the top level are defaults for all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vocalis.audio import FORMATS, Audio
from vocalis.emotion import EMOTIONS, Emotion
from vocalis.emotion.control import emotion_control
from vocalis.errors import VocalisError
from vocalis.pipeline import Vocalis
from vocalis.subtitles import check_subtitle_path

_JOB_KEYS = {"text", "speaker_reference", "emotion_control", "duration_control", "output", "lang", "subtitles"}
_EMOTION_KEYS = {"method", "vector", "description", "audio", "mix", "weight"}
_DURATION_KEYS = {"mode", "ratio", "seconds"}
_MIX_KEYS = {"vector": "vector: {happy: 0.8}", "text": "description: ...", "audio": "audio: clip.wav"}
_AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".webm", ".aac"}


@dataclass(frozen=True)
class Job:
    text: str
    voice: str | None  # a voice name or .npz path; None: the language's default
    reference: Path | None  # a clip to clone the voice from (cached in the library)
    emotion: dict[str, Any]  # arguments of emotion_control, resolved when the job runs
    speed: float
    duration: float | None
    output: Path
    lang: str = "auto"
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
    if output.suffix.lower() not in FORMATS:
        raise VocalisError(f"{where}: output {output.name}: use one of {' '.join(FORMATS)}")
    voice, reference = _speaker(spec.get("speaker_reference"), where, base)
    speed, duration = _duration(spec.get("duration_control") or {}, where)
    subtitles = base / str(spec["subtitles"]) if spec.get("subtitles") else None
    try:  # everything the engine would refuse, refused now, before the first job renders
        if subtitles:
            check_subtitle_path(subtitles, folder=False)  # run_job creates the folder
        emotion = _emotion(spec.get("emotion_control") or {}, where, base)
        job = Job(text, voice, reference, emotion, speed, duration, output, str(spec.get("lang", "auto")), subtitles)
        Vocalis.check_request(job.text, job.voice, job.lang, job.speed, job.duration)
        if "shares" in emotion:
            sources = set(emotion) & set(_MIX_KEYS)
            for name in sorted(set(emotion["shares"]) - sources):
                raise VocalisError(f"the mix names {name!r}, which needs its own key ({_MIX_KEYS[name]})")
            for name in sorted(sources - set(emotion["shares"])):
                raise VocalisError(f"the mix gives no share to {name!r}: give every source a share")
    except VocalisError as e:
        if str(e).startswith(where):
            raise
        raise type(e)(f"{where}: {e}") from None
    return job


def _known(spec: dict, keys: set[str], where: str) -> None:
    unknown = set(spec) - keys
    if unknown:
        raise VocalisError(f"{where}: unknown key {sorted(unknown)[0]!r}; known: {', '.join(sorted(keys))}")


def _speaker(ref: object, where: str, base: Path) -> tuple[str | None, Path | None]:
    if ref is None:
        return None, None
    ref = str(ref)
    if Path(ref).suffix.lower() in _AUDIO_SUFFIXES:
        clip = base / ref
        if not clip.is_file():
            raise VocalisError(f"{where}: speaker_reference {clip} not found")
        return None, clip
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


def _emotion(spec: object, where: str, base: Path) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise VocalisError(f"{where}: emotion_control is a mapping: {{method, description|vector|audio, weight}}")
    _known(spec, _EMOTION_KEYS, f"{where}, emotion_control")
    method = spec.get("method", "speaker")
    weight = _float(spec.get("weight", 1.0), "weight", where)
    need = {"speaker": (), "vector": ("vector",), "text": ("description",), "audio": ("audio",), "mix": ("mix",)}
    if method not in need:
        raise VocalisError(f"{where}: emotion method {method!r}: use {', '.join(need)}")
    for key in need[method]:
        if key not in spec:
            raise VocalisError(f"{where}: emotion method {method} needs `{key}`")
    args: dict[str, Any] = {"weight": weight}
    if method in ("vector", "mix") and "vector" in spec:
        args["vector"] = _vector(spec["vector"], where)
    if method in ("text", "mix") and "description" in spec:
        args["text"] = str(spec["description"])
    if method in ("audio", "mix") and "audio" in spec:
        clip = base / str(spec["audio"])
        if not clip.is_file():
            raise VocalisError(f"{where}: emotion audio {clip} not found")
        args["audio"] = clip
    if method == "mix":
        shares = spec["mix"]
        if not isinstance(shares, dict):
            raise VocalisError(f"{where}: mix gives each source's share, e.g. {{audio: 0.3, text: 0.5, vector: 0.2}}")
        args["shares"] = {str(k): _float(v, f"mix.{k}", where) for k, v in shares.items()}
    return args


def _vector(value: object, where: str) -> Emotion:
    if isinstance(value, dict):
        return Emotion.of(**{str(k): _float(v, str(k), where) for k, v in value.items()})
    if isinstance(value, list) and len(value) == len(EMOTIONS):
        return Emotion.of(**{e: _float(v, e, where) for e, v in zip(EMOTIONS, value, strict=True)})
    if isinstance(value, str):
        return Emotion.parse(value)
    raise VocalisError(f"{where}: vector is a mapping like {{happy: 0.8}} or a list of {len(EMOTIONS)} numbers")


def _float(value: object, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VocalisError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def run_job(tts: Vocalis, job: Job, progress: Callable[[str], None] | None = None) -> Audio:
    """Render one job and write its output (and subtitles)."""
    voice = job.voice if job.reference is None else _cloned(tts, job.reference, progress)
    emotion = emotion_control(**job.emotion)
    if emotion is not None and progress:
        progress(f"emotion: {emotion}")
    chunks = list(tts.stream(job.text, voice, job.lang, job.speed, emotion, job.duration))
    audio = Audio.concat([c.audio for c in chunks])
    for path in (job.output, job.subtitles):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
    audio.save(job.output, chunks[0].credentials)
    if job.subtitles:
        from vocalis.subtitles import cues_of, write_subtitles

        write_subtitles(cues_of(chunks), job.subtitles)
    return audio


def _cloned(tts: Vocalis, clip: Path, progress: Callable[[str], None] | None) -> str:
    """The library voice cloned from `clip`, cloning it on first use (named after the clip's content)."""
    from vocalis.voice.library import voice_path

    name = "ref-" + hashlib.sha256(clip.read_bytes()).hexdigest()[:10]
    if not voice_path(name).exists():
        if progress:
            progress(f"cloning the voice of {clip.name} as {name} (once; about a minute)")
        tts.clone([clip], name, progress=progress)
    return name
