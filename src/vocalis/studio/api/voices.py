"""`/v1/voices`: list the voices, clone one from uploaded clips, delete a cloned one, and its preview (the one
sentence a clone may say before consent). Its consent routes are in consent.py."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from vocalis.service import Vocalis
from vocalis.service.access import owned_voice, usable_voice, visible
from vocalis.service.encode import encode
from vocalis.service.lock import EngineLock
from vocalis.studio.api.auth import account, requester
from vocalis.studio.api.limits import BodyLimits, size_text
from vocalis.studio.api.uploads import saved_upload, upload_path
from vocalis.voice.library import library_file
from vocalis.voice_names import OPENAI_VOICES


def voice_routes(engine: Vocalis, lock: EngineLock, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/voices", tags=["voices"])

    @router.get("")
    def voices(request: Request) -> dict[str, Any]:
        """The built-in voices, and the library voices this key may use (its own, and those shared with it)."""
        from vocalis.trust.consent import consent_state
        from vocalis.voice import builtin_voices
        from vocalis.voice.library import library_voices

        built = [{"name": v.name, "language": v.language, "kind": "builtin"} for v in builtin_voices().values()]
        cloned = [{"name": v.name, "language": v.language, "kind": "trained" if v.trained else "cloned",
                   "consent": consent_state(v)} for v in visible(library_voices(), account(request))]
        return {"voices": built + cloned, "openai_aliases": OPENAI_VOICES}

    @router.post("", status_code=201)
    def add_voice(name: Annotated[str, Form()], references: Annotated[list[UploadFile], File()], request: Request,
                  lang: Annotated[Literal["en", "zh"], Form()] = "en",
                  overwrite: Annotated[bool, Form()] = False) -> dict[str, Any]:
        """Clone a voice from uploaded clips (3-30 s of one person's speech, any common format); it is this key's
        alone. It cannot speak until its owner consents: the answer holds the phrase they read (POST .../consent),
        unless the same voice already holds consent."""
        if overwrite and library_file(name) is not None:
            owned_voice(name, account(request))  # only its owner may replace a voice
        Vocalis.check_clone_name(name, overwrite)  # a bad or taken name fails before the clips are written or queued
        with tempfile.TemporaryDirectory() as folder:  # the clips are gone after the clone, kept or not
            paths = [saved_upload(upload, limits.upload_file, upload_path(folder, k, upload), "references",
                            f"reference {upload.filename!r} is over {size_text(limits.upload_file)}: "
                            "send 3-30 s of speech") for k, upload in enumerate(references)]
            with lock:
                voice = engine.clone(paths, name, lang=lang, overwrite=overwrite, account=account(request))
        from vocalis.trust.consent import consent_state, issue_challenge

        state = consent_state(voice)  # "granted" when the same voice was consented to before
        return {"name": voice.name, "language": voice.language, "kind": "cloned",
                "quality_hints": voice.meta.get("quality_hints", []), "consent": state,
                "consent_phrase": None if state == "granted" else issue_challenge(voice).phrase,
                "preview": f"/v1/voices/{voice.name}/preview"}

    @router.get("/{name}/preview")
    def preview(name: str, request: Request) -> Response:
        """One short fixed sentence in a cloned voice, consent or not: to hear a clone before its owner consents.
        Watermarked and C2PA-signed WAV."""
        from vocalis.trust.provenance import sign_bytes

        voice = usable_voice(name, account(request))
        with lock:
            audio, credentials = engine.preview(voice, who=requester(request))
        return Response(sign_bytes(encode(audio, "wav"), ".wav", credentials), media_type="audio/wav")

    @router.delete("/{name}")
    def remove_voice(name: str, request: Request) -> dict[str, str]:
        """Delete a library voice: its owner's or an operator's right."""
        from vocalis.voice.library import delete_voice

        owned_voice(name, account(request))
        delete_voice(name)
        return {"deleted": name}

    return router
