"""`/v1/voices`: list the voices, clone one from uploaded clips, delete a cloned one, and its preview (the one
sentence a clone may say before consent). Its consent routes are in consent.py."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from vocalis.service import Vocalis
from vocalis.service.encode import encode
from vocalis.service.lock import EngineLock
from vocalis.service.request import OPENAI_VOICES
from vocalis.studio.api.auth import requester
from vocalis.studio.api.limits import BodyLimits, size_text
from vocalis.studio.api.uploads import saved_upload, suffix_of


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

    @router.delete("/{name}")
    def remove_voice(name: str) -> dict[str, str]:
        from vocalis.voice.library import delete_voice

        delete_voice(name)
        return {"deleted": name}

    return router
