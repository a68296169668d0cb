"""`/v1/voices`: list the voices, clone one from uploaded clips, delete a cloned one; its preview (the one
sentence a clone may say before consent) and its consent (the phrase to read, the reading, an operator's
written authorisation, revocation)."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from vocalis.pipeline import Vocalis
from vocalis.server.auth import requester
from vocalis.server.encode import encode
from vocalis.server.engine_lock import EngineLock
from vocalis.server.errors import ApiError
from vocalis.server.limits import BodyLimits, size_text
from vocalis.server.schemas import OPENAI_VOICES

if TYPE_CHECKING:
    from vocalis.trust.consent import ConsentRecord


def voice_routes(engine: Vocalis, lock: EngineLock, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/voices", tags=["voices"])

    @router.get("")
    def voices() -> dict[str, Any]:
        from vocalis.trust.consent import consent_state
        from vocalis.voice import builtin_voices
        from vocalis.voice.library import library_voices

        built = [{"name": v.name, "language": v.language, "kind": "builtin"} for v in builtin_voices().values()]
        cloned = [{"name": v.name, "language": v.language, "kind": "trained" if v.trained else "cloned",
                   "consent": consent_state(v)} for v in library_voices()]
        return {"voices": built + cloned, "openai_aliases": OPENAI_VOICES}

    @router.post("", status_code=201)
    def add_voice(name: Annotated[str, Form()], references: Annotated[list[UploadFile], File()],
                  lang: Annotated[Literal["en", "zh"], Form()] = "en") -> dict[str, Any]:
        """Clone a voice from uploaded clips (3-30 s of one person's speech, any common format). It cannot
        speak until its owner consents: the answer holds the phrase they read (POST .../consent)."""
        Vocalis.check_clone_name(name)  # a bad or taken name fails before the clips are written or queued
        with tempfile.TemporaryDirectory() as folder:  # the clips are gone after the clone, kept or not
            paths = [saved_upload(upload, limits.upload_file, Path(folder) / f"ref{k}{suffix_of(upload)}", "references",
                            f"reference {upload.filename!r} is over {size_text(limits.upload_file)}: "
                            "send 3-30 s of speech") for k, upload in enumerate(references)]
            with lock:
                voice = engine.clone(paths, name, lang=lang)
        from vocalis.trust.consent import issue_challenge

        challenge = issue_challenge(voice)
        return {"name": voice.name, "language": voice.language, "kind": "cloned",
                "quality_hints": voice.meta.get("quality_hints", []), "consent": "missing",
                "consent_phrase": challenge.phrase, "preview": f"/v1/voices/{voice.name}/preview"}

    @router.get("/{name}/preview")
    def preview(name: str, request: Request) -> Response:
        """One short fixed sentence in a cloned voice, consent or not: to hear a clone before its owner consents.
        Watermarked and C2PA-signed WAV."""
        from vocalis.trust.provenance import sign_bytes
        from vocalis.voice.library import load_voice

        voice = load_voice(name)
        with lock:
            audio, credentials = engine.preview(voice, who=requester(request))
        return Response(sign_bytes(encode(audio, "wav"), ".wav", credentials), media_type="audio/wav")

    @router.get("/{name}/consent")
    def consent_status(name: str) -> dict[str, Any]:
        """The voice's consent record, and the phrase open for its owner to read, if any."""
        from vocalis.trust.consent import consent_for, consent_state, open_challenge
        from vocalis.voice.library import load_voice

        voice = load_voice(name)
        challenge = open_challenge(voice)
        return {"voice": name, "consent": consent_state(voice), "record": _record_json(consent_for(voice)),
                "phrase": challenge.phrase if challenge else None}

    @router.post("/{name}/consent/phrase", status_code=201)
    def new_phrase(name: str, lang: Annotated[Literal["en", "zh"] | None, Form()] = None) -> dict[str, str]:
        """A new phrase for the voice's owner to read (valid for a day; replaces an earlier one)."""
        from vocalis.trust.consent import issue_challenge
        from vocalis.voice.library import load_voice

        return {"voice": name, "phrase": issue_challenge(load_voice(name), lang).phrase}

    @router.post("/{name}/consent")
    def record_consent(name: str, recording: Annotated[UploadFile, File()], request: Request) -> dict[str, Any]:
        """Spoken consent: a recording of the open phrase, read by the person the voice was cloned from. The
        words (Whisper) and the speaker are checked; refused with 403 and the reasons when a check fails."""
        from vocalis.audio import Audio
        from vocalis.trust.consent import ConsentError, record_spoken
        from vocalis.voice.library import load_voice

        voice = load_voice(name)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"consent{suffix_of(recording)}"
            clip = Audio.load(saved_upload(recording, limits.upload_file, path, "recording",
                                           f"the recording is over {size_text(limits.upload_file)}"))
        with lock:
            record, check = record_spoken(voice, clip, requester(request))
        if record is None:
            raise ConsentError("consent refused: " + "; ".join(check.problems))
        return {"voice": name, "consent": "granted", "record": _record_json(record)}

    @router.post("/{name}/consent/document")
    def grant_consent(name: str, document: Annotated[UploadFile, File()], request: Request) -> dict[str, Any]:
        """Written consent: a signed authorisation for the voice, accepted by an operator (a key made with
        `vocalis keys create NAME --operator`). The document's SHA-256 is kept with the record, not the document."""
        from vocalis.trust.consent import ConsentError, grant_written
        from vocalis.voice.library import load_voice

        key = getattr(request.state, "api_key", None)
        if key is None or not key.operator:
            raise ConsentError("accepting written consent needs an operator key: create one on the server with "
                               "`vocalis keys create NAME --operator` and send `Authorization: Bearer KEY`")
        voice = load_voice(name)
        filename = Path(document.filename or "").name.strip(". ") or "document"  # kept in the record, as named
        with tempfile.TemporaryDirectory() as folder:
            path = saved_upload(document, limits.upload_file, Path(folder) / filename, "document",
                          f"the document is over {size_text(limits.upload_file)}")
            record = grant_written(voice, path, requester(request))
        return {"voice": name, "consent": "granted", "record": _record_json(record)}

    @router.delete("/{name}/consent")
    def revoke_consent(name: str, request: Request) -> dict[str, Any]:
        """Withdraw consent: the voice stops working everywhere (a new consent can restore it)."""
        from vocalis.trust.consent import revoke
        from vocalis.voice.library import load_voice

        record = revoke(load_voice(name), requester(request))
        return {"voice": name, "consent": "revoked", "record": _record_json(record)}

    @router.delete("/{name}")
    def remove_voice(name: str) -> dict[str, str]:
        from vocalis.voice.library import delete_voice

        delete_voice(name)
        return {"deleted": name}

    return router


def saved_upload(upload: UploadFile, limit: int, path: Path, param: str, too_big: str) -> Path:
    """The upload written to `path` (in a temporary folder); 413 with `too_big` when it is over `limit` bytes."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, too_big, param=param)
    path.write_bytes(data)
    return path


def suffix_of(upload: UploadFile) -> str:
    """The upload's extension, which tells the decoder its format."""
    return Path(upload.filename or "").suffix.lower()


def _record_json(record: ConsentRecord | None) -> dict[str, Any] | None:
    return None if record is None else asdict(record)
