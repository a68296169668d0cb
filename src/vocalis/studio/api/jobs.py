"""`/v1/jobs`: long texts and batches rendered in the background, tracked, downloaded and cancelled.

POST a JSON body (a text with /v1/tts's parameters) or a batch (YAML in `vocalis run`'s job-file shape, or
JSONL with one job a line), checked whole before it is queued. GET /v1/jobs/ID gives status and progress;
GET /v1/jobs/ID/result the audio (a text: one file in its format; a batch: a zip of the outputs, named as
the batch names them). DELETE cancels a queued or running job, or removes a finished one and its files.
With API keys, each key sees only its own jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError

from vocalis.service import Vocalis
from vocalis.service.access import Account, check_request_voice
from vocalis.studio.api.auth import account
from vocalis.studio.api.batch import JSONL_TYPES, YAML_TYPES, parse_batch
from vocalis.studio.api.errors import ApiError, validation_message, without_server_paths
from vocalis.studio.api.jobqueue import JobQueue, JobRecord
from vocalis.studio.api.schemas import JobRequest
from vocalis.studio.api.worker import JobWorker
from vocalis.text import segments

MAX_PENDING = 100  # queued or running jobs per key (per server when open): a client cannot fill the disk
_BODY_TYPES = {"application/json": "a JSON text job", **dict.fromkeys(YAML_TYPES, "a YAML batch"),
               **dict.fromkeys(JSONL_TYPES, "a JSONL batch")}


def job_routes(queue: JobQueue, worker: JobWorker) -> APIRouter:
    router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @router.post("", status_code=202, openapi_extra=_request_body())
    async def submit(request: Request) -> JSONResponse:
        """Queue a long text (JSON) or a batch (YAML or JSONL body); 202 with the job to poll."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in _BODY_TYPES:
            raise ApiError(415, f"content type {media_type or 'none'!r} is not a job: send application/json "
                                f"(a text), application/yaml or application/jsonl (a batch)", param="content-type")
        owner = owner_of(request)
        if queue.pending(owner) >= MAX_PENDING:
            raise ApiError(429, f"{MAX_PENDING} jobs are already queued or running for you: wait for some to "
                                "finish, or cancel some", headers={"Retry-After": "60"})
        body = await request.body()
        if media_type == "application/json":
            spec = await run_in_threadpool(_checked_text_job, body, account(request))  # loads voices, emotion models
            record = queue.submit(owner, "text", spec, total=0)
        else:
            specs = await run_in_threadpool(parse_batch, body, media_type, account(request))
            record = queue.submit(owner, "batch", specs, total=len(specs))
        worker.wake()
        return JSONResponse(job_view(record), status_code=202, headers={"Location": f"/v1/jobs/{record.id}"})

    @router.get("")
    def list_jobs(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """Your jobs, newest first."""
        return {"object": "list", "data": [job_view(j) for j in queue.list(owner_of(request), limit)]}

    @router.get("/{job_id}")
    def status(request: Request, job_id: str) -> dict[str, Any]:
        """Status (queued, running, done, failed, cancelled), progress and errors."""
        return job_view(visible_job(queue, request, job_id))

    @router.get("/{job_id}/result", response_class=FileResponse)
    def result(request: Request, job_id: str) -> FileResponse:
        """The audio (a text job) or a zip of the outputs (a batch), once written."""
        job = visible_job(queue, request, job_id)
        if job.result is None:
            raise ApiError(409, f"job {job_id} has no result ({job.status}): poll GET /v1/jobs/{job_id} "
                                "until it is done")
        path = queue.job_folder(job_id) / job.result
        if not path.is_file():
            raise ApiError(404, f"the result of job {job_id} is gone from the server (its files were removed)")
        return FileResponse(path, media_type=job.media_type, filename=f"{job_id}-{job.result}")

    @router.delete("/{job_id}")
    def cancel(request: Request, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job; remove a finished one and its result."""
        job = visible_job(queue, request, job_id)
        if queue.cancel(job_id):
            return job_view(queue.get(job_id) or job)
        queue.delete(job_id)
        return {"id": job_id, "object": "job", "deleted": True}

    return router


UNITS = {"text": "characters", "batch": "jobs", "train": "steps", "dub": "cues"}


def job_view(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id, "object": "job", "kind": job.kind, "status": job.status,
        "progress": {"done": job.done, "total": job.total, "unit": UNITS[job.kind],
                     "fraction": round(job.fraction, 4)},
        "errors": [{k: without_server_paths(v) if isinstance(v, str) else v for k, v in error.items()}
                   for error in job.errors],
        "result": f"/v1/jobs/{job.id}/result" if job.result else None,
        "media_type": job.media_type,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


def _checked_text_job(body: bytes, account: Account) -> dict[str, Any]:
    """The request, checked as far as it can be before rendering (voice, which `account` may use, format,
    emotion, speakable text)."""
    try:
        request = JobRequest.model_validate_json(body)
    except ValidationError as e:
        message, where = validation_message(e.errors(include_url=False), skip=0)
        raise ApiError(400, message, param=where) from None
    speech = request.to_request()
    check_request_voice(speech, account)
    Vocalis.check(speech)
    if speech.emotion is not None:
        speech.emotion.resolve()  # a description or mix that cannot be read fails now, not in the worker
    segments(request.text, lang=request.lang)  # refuses text with nothing speakable, without rendering
    return request.model_dump()


def owner_of(request: Request) -> str | None:
    """The key a request came with, which owns what it submits (None on a server without keys)."""
    key = getattr(request.state, "api_key", None)
    return key.name if key else None


def visible_job(queue: JobQueue, request: Request, job_id: str) -> JobRecord:
    """The job `job_id` if the request's key may see it (its own; every job on a server without keys)."""
    job = queue.get(job_id)
    owner = owner_of(request)
    if job is None or (owner is not None and job.owner != owner):  # another key's job is not yours to see
        raise ApiError(404, f"no job {job_id!r} (GET /v1/jobs lists yours)")
    return job


def _request_body() -> dict[str, Any]:
    """The body in the OpenAPI schema: the route reads it raw, as its content type decides what it is."""
    text_job = JobRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    text_job.pop("$defs", None)  # EmotionSpec is in the components already (POST /v1/tts uses it)
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": text_job},
        "application/yaml": {"schema": {"type": "string", "description": "a job file, as for `vocalis run`"}},
        "application/jsonl": {"schema": {"type": "string", "description": "one job (job-file shape) a line"}},
    }}}
