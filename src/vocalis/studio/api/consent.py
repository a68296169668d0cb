"""`/v1/voices/NAME/consent`: the phrase the voice's owner reads, the reading, an operator's written
authorisation, and revocation. A cloned or trained voice speaks only while its consent stands."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile

from vocalis.service.access import owned_voice, usable_voice
from vocalis.service.lock import EngineLock
from vocalis.studio.api.auth import account, requester
from vocalis.studio.api.limits import BodyLimits, size_text
from vocalis.studio.api.uploads import saved_upload, upload_path

if TYPE_CHECKING:
    from vocalis.trust.consent import ConsentRecord


def consent_routes(lock: EngineLock, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/voices", tags=["consent"])

    @router.get("/{name}/consent")
    def consent_status(name: str, request: Request) -> dict[str, Any]:
        """The voice's consent record, and the phrase open for its owner to read, if any."""
        from vocalis.trust.consent import consent_for, consent_state, open_challenge

        voice = usable_voice(name, account(request))
        challenge = open_challenge(voice)
        return {"voice": name, "consent": consent_state(voice), "record": _record_json(consent_for(voice)),
                "phrase": challenge.phrase if challenge else None}

    @router.post("/{name}/consent/phrase", status_code=201)
    def new_phrase(name: str, request: Request,
                   lang: Annotated[Literal["en", "zh"] | None, Form()] = None) -> dict[str, str]:
        """A new phrase for the voice's owner to read (valid for a day; replaces an earlier one)."""
        from vocalis.trust.consent import issue_challenge

        return {"voice": name, "phrase": issue_challenge(owned_voice(name, account(request)), lang).phrase}

    @router.post("/{name}/consent")
    def record_consent(name: str, recording: Annotated[UploadFile, File()], request: Request) -> dict[str, Any]:
        """Spoken consent: a recording of the open phrase, read by the person the voice was cloned from. The
        words (Whisper) and the speaker are checked; refused with 403 and the reasons when a check fails."""
        from vocalis.audio import Audio
        from vocalis.trust.consent import ConsentError, record_spoken

        voice = owned_voice(name, account(request))
        with tempfile.TemporaryDirectory() as folder:
            path = upload_path(folder, 0, recording)
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

        key = getattr(request.state, "api_key", None)
        if key is None or not key.operator:
            raise ConsentError("accepting written consent needs an operator key: create one on the server with "
                               "`vocalis keys create NAME --operator` and send `Authorization: Bearer KEY`")
        voice = owned_voice(name, account(request))
        filename = Path(document.filename or "").name.strip(". ") or "document"  # kept in the record, as named
        with tempfile.TemporaryDirectory() as folder:
            path = saved_upload(document, limits.upload_file, Path(folder) / filename, "document",
                          f"the document is over {size_text(limits.upload_file)}")
            record = grant_written(voice, path, requester(request))
        return {"voice": name, "consent": "granted", "record": _record_json(record)}

    @router.delete("/{name}/consent")
    def revoke_consent(name: str, request: Request) -> dict[str, Any]:
        """Withdraw consent: the voice stops working everywhere (a new consent can restore it). The voice owner's
        or an operator's right; the audit log records who revoked it. Its market listings go, and with them
        every licence."""
        from vocalis.service.market import revoke_consent

        record = revoke_consent(owned_voice(name, account(request)), requester(request))
        return {"voice": name, "consent": "revoked", "record": _record_json(record)}

    return router


def _record_json(record: ConsentRecord | None) -> dict[str, Any] | None:
    return None if record is None else asdict(record)
