"""What a Vocalis C2PA manifest states, and the manifest definition handed to c2pa to sign: the credentials of
one output, the report of reading a file's manifest back, and the audio formats that can carry a manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

# Video files are dubs (service.video_dub): MP4 and QuickTime are BMFF, which C2PA signs like M4A.
MIME_TYPES: dict[str, str] = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".m4a": "audio/mp4",
                              ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}
SIGNED_SUFFIXES: frozenset[str] = frozenset(MIME_TYPES)  # others (.ogg .opus .pcm .mkv .webm) cannot carry one

ASSERTION = "org.vocalis.synthesis"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# A dub: a real recording (the video, the original soundtrack) with synthesised speech laid over it.
COMPOSITE_WITH_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"

State = Literal["trusted", "untrusted", "invalid", "absent"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Credentials:
    """What a manifest says about the speech, beyond "AI-generated"."""

    voice: str
    voice_id: str
    model: str
    watermark_id: int | None  # the ID watermark's payload, which also keys the audit record
    created: str = field(default_factory=_now)  # ISO 8601, UTC
    audit_seq: int | None = None  # the audit record of this output
    # A dubbed video: each new line's cue, text and where its emotion came from; None for plain speech.
    lines: list[dict] | None = None


@dataclass(frozen=True)
class ManifestReport:
    """What `read_credentials` found; state "absent" when the file has no manifest (or its format cannot hold one)."""

    state: State  # invalid: changed after signing; untrusted: intact, but the signer is not under a trust anchor
    errors: list[str] = field(default_factory=list)  # C2PA validation failure codes
    credentials: Credentials | None = None  # as the manifest claims them (also when invalid: what was claimed)
    signer: str | None = None  # the signing certificate's common name


def mime_type(suffix_or_mime: str) -> str | None:
    """The MIME type of a file suffix (with or without its dot) or MIME type; None for a format without room for a
    manifest."""
    key = suffix_or_mime.lower()
    if key in MIME_TYPES.values():
        return key
    return MIME_TYPES.get(key if key.startswith(".") else f".{key}")


def manifest_definition(creds: Credentials, title: str) -> dict:
    """The manifest c2pa's Builder signs: a c2pa.created action marking the speech as AI-generated, and `creds`."""
    agent = {"name": "Vocalis", "version": _version()}
    created = {"action": "c2pa.created", "when": creds.created, "softwareAgent": agent,
               "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
               "description": f"Speech synthesised by Vocalis ({creds.model}) in the voice {creds.voice!r}"}
    if creds.lines is not None:
        created = {**created, "digitalSourceType": COMPOSITE_WITH_TRAINED,
                   "description": f"Dubbed by Vocalis: {len(creds.lines)} lines of speech synthesised ({creds.model}) "
                                  f"in the voice {creds.voice!r} over the original soundtrack"}
    return {"title": title, "claim_generator_info": [agent],
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}},
                           {"label": ASSERTION, "data": {k: v for k, v in asdict(creds).items()
                                                         if k != "lines" or v is not None}}]}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vocalis")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
