"""`/v1/voices/{name}/train`: few-shot training over HTTP, as a job. POST the clips (multipart) to start it,
GET its state (stage as a fraction, ETA, errors), DELETE to cancel. The clips live in the job's folder while
it runs and go with it; the trained voice lands in the library (`GET /v1/voices`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from vocalis.studio.api.auth import account
from vocalis.studio.api.errors import ApiError
from vocalis.studio.api.jobqueue import JobQueue, JobRecord
from vocalis.studio.api.jobs import job_view, owner_of
from vocalis.studio.api.limits import BodyLimits, size_text
from vocalis.studio.api.uploads import saved_upload, upload_path
from vocalis.studio.api.worker import JobWorker

MAX_CLIPS = 200


def training_routes(queue: JobQueue, worker: JobWorker, limits: BodyLimits) -> APIRouter:
    router = APIRouter(prefix="/v1/voices", tags=["training"])

    @router.post("/{name}/train", status_code=202)
    def start(name: str, request: Request, clips: Annotated[list[UploadFile], File()],
              lang: Annotated[Literal["en", "zh"], Form()] = "en",
              minutes: Annotated[float, Form(ge=1, le=120)] = 14.0,
              transcripts: Annotated[str | None, Form(description="'clip<TAB>text' lines, clips by file name")] = None,
              start_from: Annotated[str | None, Form(alias="from")] = None,
              overwrite: Annotated[bool, Form()] = False) -> JSONResponse:
        """Train a voice model from 30 s to 10 min of one person's speech (any audio format, or video), as a
        job (about 15 minutes on 2 cores). Whisper transcribes clips without a transcript. An existing clone
        `name` (or `from`) is trained further and keeps its consent; otherwise the voice needs consent before
        it speaks."""
        from vocalis.service import Vocalis
        from vocalis.service.access import owned_voice
        from vocalis.voice.library import library_file
        from vocalis.voice.train.intake import parse_transcripts

        if start_from is not None:
            owned_voice(start_from, account(request))  # another key's clone is not there to train
        if library_file(name) is not None:
            owned_voice(name, account(request))
        elif start_from is None:
            Vocalis.check_clone_name(name)  # a bad name fails before the clips are written
        if len(clips) > MAX_CLIPS:
            raise ApiError(400, f"{len(clips)} clips: send at most {MAX_CLIPS} (join short ones)", param="clips")
        table = parse_transcripts(transcripts, "transcripts") if transcripts else None
        owner = owner_of(request)
        staged = Path(tempfile.mkdtemp(dir=queue.folder, prefix=".upload-"))
        names = []
        for k, upload in enumerate(clips):
            clip = upload_path(staged, k, upload)  # under its own name, which the training's messages show
            saved_upload(upload, limits.upload_file, clip, "clips",
                         f"clip {upload.filename!r} is over {size_text(limits.upload_file)}")
            names.append(str(clip.relative_to(staged)))
        if table is not None:  # the transcripts name the clips as uploaded; training looks them up by file name
            uploaded = {Path(u.filename or "").name: Path(clip).name for u, clip in zip(clips, names, strict=True)}
            table = {uploaded[k]: v for k, v in table.items() if k in uploaded}
        spec = {"name": name, "lang": lang, "minutes": minutes, "clips": names, "transcripts": table,
                "start": start_from, "overwrite": overwrite, "operator": account(request).operator}
        record = queue.submit(owner, "train", spec, total=0, files=staged)
        worker.wake()
        return JSONResponse(training_view(record), status_code=202,
                            headers={"Location": f"/v1/voices/{name}/train"})

    @router.get("/{name}/train")
    def state(name: str, request: Request) -> dict[str, Any]:
        """The latest training of `name` you started: status, progress, ETA, errors."""
        return training_view(_latest(queue, request, name))

    @router.delete("/{name}/train")
    def cancel(name: str, request: Request) -> dict[str, Any]:
        """Cancel the training of `name` (it stops between two steps; the library is left as it was)."""
        job = _latest(queue, request, name)
        queue.cancel(job.id)
        return training_view(queue.get(job.id))

    return router


def training_view(job: JobRecord) -> dict[str, Any]:
    view = job_view(job)
    view["progress"] = {"fraction": round(job.fraction, 4), "step": job.done, "eta_s": _eta(job)}
    view["voice"] = job.spec["name"]
    return view


def _eta(job: JobRecord) -> float | None:
    if job.status != "running" or not job.started_at or job.fraction <= 0.02:
        return None
    elapsed = time.time() - job.started_at
    return round(elapsed * (1 - job.fraction) / job.fraction, 1)


def _latest(queue: JobQueue, request: Request, name: str) -> JobRecord:
    for job in queue.list(owner_of(request), 1000):
        if job.kind == "train" and job.spec["name"] == name:
            return job
    raise ApiError(404, f"no training of {name!r} found (POST /v1/voices/{name}/train starts one)")
