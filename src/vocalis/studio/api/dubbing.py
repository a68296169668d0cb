"""`/v1/dub`: a video dubbed over HTTP, as a job. POST the video and the new lines' subtitles (multipart) to
start it; GET `/v1/dub/ID` for its state with every cue rendered so far (the emotion found in the original,
the one heard in the dub, whether they agree); the dubbed file comes from `/v1/jobs/ID/result`; DELETE
`/v1/jobs/ID` cancels it, leaving nothing behind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from vocalis.errors import VocalisError
from vocalis.service.access import check_voice_name
from vocalis.studio.api.auth import account
from vocalis.studio.api.errors import ApiError
from vocalis.studio.api.jobqueue import JobQueue, JobRecord
from vocalis.studio.api.jobs import job_view, owner_of, visible_job
from vocalis.studio.api.limits import BodyLimits, size_text
from vocalis.studio.api.uploads import saved_upload, upload_path
from vocalis.studio.api.worker import DUB_REPORT, JobWorker

MEDIA_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska", ".webm": "video/webm",
               ".m4a": "audio/mp4"}


def dubbing_routes(queue: JobQueue, worker: JobWorker, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/dub", tags=["dubbing"])

    @router.post("", status_code=202)
    def start(request: Request, video: Annotated[UploadFile, File(description="mp4, mkv, mov, webm or audio")],
              subtitles: Annotated[UploadFile, File(description="the new lines, .srt or .vtt, timed to the video")],
              voice: Annotated[str, Form()] = "default",
              lang: Annotated[Literal["auto", "en", "zh"], Form()] = "auto",
              emotion_from: Annotated[Literal["original", "none"], Form()] = "original",
              emotion_weight: Annotated[float, Form(ge=0, le=1)] = 1.0,
              emotions: Annotated[str | None, Form(description="YAML: cue number -> emotion, e.g. '3: angry=0.8'")]
              = None,
              keep_original_audio: Annotated[bool, Form()] = False,
              format: Annotated[Literal["mp4", "mov", "mkv", "webm", "m4a"], Form()] = "mp4") -> JSONResponse:
        """Dub a video with new lines in `voice`, each carrying the emotion of the original actor in its cue
        (or the cue's own `{angry=0.8}`), as a job with progress per cue. Consent rules apply as everywhere."""
        from vocalis.service.cue_emotion import parse_sidecar, parse_spec
        from vocalis.trust.consent import require_consent
        from vocalis.voice import resolve_voice

        if voice != "default":
            check_voice_name(voice, account(request))  # another key's voice is not there to dub with
            require_consent(resolve_voice(voice))
        if emotions:  # read now: a typo fails the request, not the job an hour later
            try:
                for spec in parse_sidecar(emotions, "emotions").values():
                    parse_spec(spec)
            except VocalisError as e:
                raise ApiError(400, str(e), param="emotions") from None
        staged = Path(tempfile.mkdtemp(dir=queue.folder, prefix=".upload-"))
        names = []
        for k, (upload, field) in enumerate(((video, "video"), (subtitles, "subtitles"))):
            path = upload_path(staged, k, upload)
            saved_upload(upload, limits.upload_file, path, field,
                         f"{field} {upload.filename!r} is over {size_text(limits.upload_file)}")
            names.append(str(path.relative_to(staged)))
        if emotions:
            (staged / "emotions.yaml").write_text(emotions, encoding="utf-8")
        spec = {"video": names[0], "subtitles": names[1], "voice": None if voice == "default" else voice,
                "lang": lang, "emotion_from": emotion_from, "emotion_weight": emotion_weight,
                "emotions": "emotions.yaml" if emotions else None, "keep_original_audio": keep_original_audio,
                "suffix": f".{format}", "media_type": MEDIA_TYPES[f".{format}"]}
        record = queue.submit(owner_of(request), "dub", spec, total=0, files=staged)
        worker.wake()
        return JSONResponse(dub_view(record, queue), status_code=202, headers={"Location": f"/v1/dub/{record.id}"})

    @router.get("/{job_id}")
    def state(request: Request, job_id: str) -> dict[str, Any]:
        """The dub's status and progress, and each cue rendered so far: emotion found, emotion heard, agreement."""
        job = visible_job(queue, request, job_id)
        if job.kind != "dub":
            raise ApiError(404, f"no dub job {job_id!r} (POST /v1/dub starts one)")
        return dub_view(job, queue)

    return router


def dub_view(job: JobRecord, queue: JobQueue) -> dict[str, Any]:
    view = job_view(job)
    report = queue.job_folder(job.id) / DUB_REPORT
    view["cues"] = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else []
    return view
