"""`/v1/voices`: list the voices, clone one from uploaded clips, delete a cloned one."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile

from vocalis.pipeline import Vocalis
from vocalis.server.engine_lock import EngineLock
from vocalis.server.errors import ApiError
from vocalis.server.limits import BodyLimits, size_text
from vocalis.server.schemas import OPENAI_VOICES


def voice_routes(engine: Vocalis, lock: EngineLock, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/voices", tags=["voices"])

    @router.get("")
    def voices() -> dict[str, Any]:
        from vocalis.voice import builtin_voices
        from vocalis.voice.library import library_voices

        built = [{"name": v.name, "language": v.language, "kind": "builtin"} for v in builtin_voices().values()]
        cloned = [{"name": v.name, "language": v.language, "kind": "cloned"} for v in library_voices()]
        return {"voices": built + cloned, "openai_aliases": OPENAI_VOICES}

    @router.post("", status_code=201)
    def add_voice(name: Annotated[str, Form()], references: Annotated[list[UploadFile], File()],
                  lang: Annotated[Literal["en", "zh"], Form()] = "en") -> dict[str, Any]:
        """Clone a voice from uploaded clips (3-30 s of one person's speech, any common format)."""
        Vocalis.check_clone_name(name)  # a bad or taken name fails before the clips are written or queued
        with tempfile.TemporaryDirectory() as folder:  # the clips are gone after the clone, kept or not
            paths = []
            for k, upload in enumerate(references):
                data = upload.file.read(limits.upload_file + 1)
                if len(data) > limits.upload_file:
                    raise ApiError(413, f"reference {upload.filename!r} is over {size_text(limits.upload_file)}: "
                                        "send 3-30 s of speech", param="references")
                path = Path(folder) / f"ref{k}{Path(upload.filename or '').suffix.lower()}"
                path.write_bytes(data)
                paths.append(path)
            with lock:
                voice = engine.clone(paths, name, lang=lang)
        return {"name": voice.name, "language": voice.language, "kind": "cloned",
                "quality_hints": voice.meta.get("quality_hints", [])}

    @router.delete("/{name}")
    def remove_voice(name: str) -> dict[str, str]:
        from vocalis.voice.library import delete_voice

        delete_voice(name)
        return {"deleted": name}

    return router
