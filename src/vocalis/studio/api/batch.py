"""Uploaded job batches (`POST /v1/jobs` with a YAML or JSONL body): the job-file shape of `vocalis run`,
checked whole by the same code before anything is queued, plus what a server must not allow from a client:
outputs are plain file names (they come back in a zip) and voices are names, never server-side files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vocalis.errors import VocalisError
from vocalis.service.access import LOCAL, Account, check_voice_name
from vocalis.service.job_file import Job, parse_jobs
from vocalis.voice.library import VOICE_NAME

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
JSONL_TYPES = ("application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/jsonlines")
MAX_JOBS = 1000
SOURCE = "batch"
# read as files
_FILE_SUFFIXES = {".npz", ".safetensors", ".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".webm", ".aac"}


def parse_batch(body: bytes, media_type: str, account: Account = LOCAL) -> list[dict[str, Any]]:
    """Each job's spec (defaults merged in), all checked, its voice one `account` may use; a VocalisError names
    the first bad job."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise VocalisError(f"{SOURCE}: the body is not UTF-8 text") from None
    data = _jsonl(text) if media_type in JSONL_TYPES else _yaml(text)
    if not isinstance(data, dict):
        raise VocalisError(f"{SOURCE}: a YAML batch is a mapping with `text` and `output`, or a `jobs:` list "
                           "(see `vocalis run --help`)")
    items = data.get("jobs", [{}])
    if not isinstance(items, list) or not items:
        raise VocalisError(f"{SOURCE}: `jobs` must be a non-empty list of jobs")
    if len(items) > MAX_JOBS:
        raise VocalisError(f"{SOURCE}: {len(items)} jobs; a batch holds at most {MAX_JOBS}: split it")
    defaults = {k: v for k, v in data.items() if k != "jobs"}
    specs = []
    for k, item in enumerate(items, 1):
        where = f"{SOURCE}, job {k}"
        if not isinstance(item, dict):
            raise VocalisError(f"{where}: each job is a mapping (text, output, ...)")
        spec = {**defaults, **item}
        _server_rules(spec, where)
        if spec.get("speaker_reference") is not None:  # another key's voice: not found, before its consent is read
            check_voice_name(str(spec["speaker_reference"]), account)
        specs.append(spec)
    batch_jobs(specs, Path(SOURCE))  # the studio's checks: every job, before any is queued
    try:
        json.dumps(specs)  # the queue stores them as JSON
    except (TypeError, ValueError):
        raise VocalisError(f"{SOURCE}: use only text, numbers, lists and mappings as values") from None
    return specs


def batch_jobs(specs: list[dict[str, Any]], folder: Path) -> list[Job]:
    """The checked specs as jobs writing into `folder`."""
    return parse_jobs({"jobs": specs}, SOURCE, folder)


def _yaml(text: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise VocalisError(f"{SOURCE} is not valid YAML: {str(e).splitlines()[0]}") from None


def _jsonl(text: str) -> dict[str, Any]:
    jobs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            jobs.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise VocalisError(f"{SOURCE}, line {n} is not valid JSON: {e.msg}") from None
    return {"jobs": jobs}


def _server_rules(spec: dict[str, Any], where: str) -> None:
    for key in ("output", "subtitles"):
        name = spec.get(key)
        if name is not None and (not isinstance(name, str) or Path(name).name != name or name.startswith(".")):
            raise VocalisError(f"{where}: {key} {name!r} must be a plain file name like line1.wav "
                               "(results come back in a zip)")
    ref = spec.get("speaker_reference")
    if ref is not None and (not VOICE_NAME.match(str(ref)) or Path(str(ref)).suffix.lower() in _FILE_SUFFIXES):
        raise VocalisError(f"{where}: speaker_reference {ref!r} must name a voice on the server (GET /v1/voices); "
                           "clone one from a clip first with POST /v1/voices")
    emotion = spec.get("emotion_control")
    if isinstance(emotion, dict) and "audio" in emotion:
        raise VocalisError(f"{where}: emotion from an audio clip is not available in batches sent to the server: "
                           "use a vector or a description")
