"""Per-cue emotion overrides for a video dub: a cue whose text starts with `{angry=0.8}`, `{sad}`,
`{neutral}` or a description such as `{冷冷地}` or `{whispering sadly}`, or a sidecar YAML file mapping cue
numbers (from 1, as in the subtitle file) to the same specs. An override wins over what the original says."""

from __future__ import annotations

import re
from pathlib import Path

from vocalis.emotion import EMOTIONS, Emotion
from vocalis.errors import VocalisError

_LEADING_RE = re.compile(r"^\s*\{([^{}\\]+)\}\s*")
_VECTOR_RE = re.compile(r"^\s*[a-z]+\s*(=\s*[0-9.]+\s*)?(,\s*[a-z]+\s*(=\s*[0-9.]+\s*)?)*$", re.IGNORECASE)


def parse_spec(spec: str) -> Emotion:
    """`angry=0.8,sad=0.2`, a bare name (`angry`, `neutral`), or a description in English or Chinese."""
    spec = spec.strip()
    if not spec:
        raise VocalisError("an empty emotion override {}: write e.g. {angry=0.8} or {冷冷地}")
    if spec.lower() == "neutral":
        return Emotion.neutral()
    if _VECTOR_RE.match(spec) and ("=" in spec or all(p.strip().lower() in EMOTIONS for p in spec.split(","))):
        return Emotion.parse(spec)  # sliders: an unknown name or a value outside 0-1 is an error, not a description
    from vocalis.emotion.describe import describe

    return describe(spec)


def split_override(text: str) -> tuple[str, str | None]:
    """A cue's text without its leading `{...}`, and what the braces held (None when there are none)."""
    match = _LEADING_RE.match(text)
    return (text[match.end():], match.group(1)) if match else (text, None)


def read_sidecar(path: str | Path, cues: int) -> dict[int, str]:
    """A YAML file mapping cue numbers (from 1) to emotion specs, as 0-based cue indices."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise VocalisError(f"cannot read {path}: {e.strerror or e}") from None
    return parse_sidecar(text, path.name, cues)


def parse_sidecar(text: str, name: str, cues: int | None = None) -> dict[int, str]:
    """YAML text mapping cue numbers (from 1, at most `cues` when known) to emotion specs, as 0-based cue
    indices (the specs themselves unread: see `parse_spec`). `name` says where the text came from in errors."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise VocalisError(f"{name} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise VocalisError(f"{name} must map cue numbers to emotions, e.g. '3: angry=0.8'")
    out = {}
    for number, spec in data.items():
        if not isinstance(number, int) or number < 1 or (cues is not None and number > cues):
            have = f" (the subtitles have 1-{cues})" if cues is not None else ""
            raise VocalisError(f"{name}: {number!r} is not a cue number{have}")
        out[number - 1] = str(spec)
    return out
