"""The job worker: one thread in the server process rendering queued jobs, oldest first, segment by segment.

Each segment renders under the engine lock's background side, so interactive requests go first between
segments. Between segments the worker also notices a cancel (it removes what the job wrote), a server
shutdown (the job goes back to the queue and is taken up again: a batch resumes at its first unfinished job,
a text starts over) or a lease it lost (another worker took the job up: the files are left to it). A
heartbeat thread renews the lease while a job runs, however long a step takes. Every file appears whole or
not at all."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from vocalis.engine import Chunk
from vocalis.errors import VocalisError
from vocalis.service import FileSink, RenderProgress, SpeechRequest, Vocalis
from vocalis.service.access import LOCAL, Account
from vocalis.service.encode import MEDIA_TYPES
from vocalis.service.job_file import Job
from vocalis.service.lock import EngineLock
from vocalis.service.render import deliver
from vocalis.service.video_dub import DubOptions, DubProgress
from vocalis.service.video_mix import DubCancelled
from vocalis.studio.api.batch import batch_jobs
from vocalis.studio.api.cluster import RemoteEngine
from vocalis.studio.api.jobqueue import LEASE_S, JobQueue, JobRecord
from vocalis.studio.api.schemas import JobRequest
from vocalis.voice.train import TrainingCancelled, TrainProgress

log = logging.getLogger("vocalis")
SUFFIXES = {"opus": "ogg"}  # a result's file suffix, where it is not the format's name
BATCH_RESULT = "results.zip"
DUB_REPORT = "cues.json"  # a dub job's cues so far, as GET /v1/dub/ID shows them
DUB_STAGES = {"reading": (0.0, 0.1), "rendering": (0.1, 0.9), "mixing": (0.9, 1.0)}  # shares of a dub's progress
POLL_S = 5.0  # how often an idle worker looks at the queue (other servers may have filled it)
STOP_S = 4.0  # a stopping server waits this long for the job's segment under way (it exits within 10 s)

# (status, errors, result file, media type)
Outcome = tuple[str, list[dict[str, Any]], str | None, str | None]


def _who(job: JobRecord) -> str:
    """The audit log's "who" for a job: the key that submitted it (jobs keep no client address)."""
    return f"key:{job.owner}" if job.owner else "api:open-server"


class _Stopped(Exception):
    """The server is shutting down: leave the job for the next start."""


class _Cancelled(Exception):
    """The job was cancelled while it ran."""


class _Lost(Exception):
    """The job's lease went to another worker (this one was silent too long): its files are the other's now."""


class JobWorker:
    def __init__(self, engine: Vocalis, lock: EngineLock, queue: JobQueue, renderer: RemoteEngine | None = None):
        """`renderer`: a cluster's renderers, which a batch's items are spread over (see cluster.py)."""
        self.engine, self.lock, self.queue, self.renderer = engine, lock, queue, renderer
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: str | None = None  # the id of the job being worked on

    def start(self) -> None:
        self.queue.requeue_abandoned()  # what the last server left running
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vocalis-jobs", daemon=True)
        self._thread.start()
        threading.Thread(target=self._beat, name="vocalis-jobs-lease", daemon=True).start()

    def wake(self) -> None:
        """A job was queued: start on it now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = STOP_S) -> None:
        """Stop after the segment (or training step) under way, and put the job back in the queue, where the next
        start takes it up again; a segment still rendering after `timeout` is left to the process's exit."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        if self._current is not None:
            self.queue.requeue(self._current)

    def _beat(self) -> None:
        while not self._stop.wait(LEASE_S / 6):
            if (current := self._current) is not None:
                try:
                    self.queue.heartbeat(current)
                except SQLAlchemyError as e:  # the database is down: the next beat tries again
                    log.warning("could not renew the lease of %s (%s)", current, type(e).__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.queue.claim_next()
                if job is None:
                    self._wake.wait(timeout=POLL_S)  # a poll too: another process may have queued a job
                    self._wake.clear()
                    self.queue.requeue_abandoned()  # jobs of workers that died meanwhile (other servers')
                    continue
            except SQLAlchemyError as e:  # the database is down: the worker waits for it rather than dying
                log.warning("the job queue is unreachable (%s); trying again in %.0f s", type(e).__name__, POLL_S)
                self._stop.wait(POLL_S)
                continue
            self._current = job.id
            self._process(job)
            self._current = None

    def _process(self, job: JobRecord) -> None:
        folder = self.queue.job_folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            run = {"text": self._text, "batch": self._batch, "train": self._train, "dub": self._dub}[job.kind]
            outcome = run(job, folder)
        except (_Stopped, TrainingCancelled):  # TrainingCancelled: the server stopped a training between steps
            self.queue.requeue(job.id)
            return
        except _Lost:
            return
        except (_Cancelled, DubCancelled):
            shutil.rmtree(folder, ignore_errors=True)
            return
        except VocalisError as e:  # e.g. a voice deleted since the job was queued
            outcome = "failed", [*job.errors, {"message": str(e)}], None, None
        except Exception as e:  # a bug must fail one job, not stop the worker
            log.exception("job %s failed", job.id)
            outcome = "failed", [*job.errors, {"message": f"internal error: {type(e).__name__}: {e}"}], None, None
        if outcome[2] is None:
            shutil.rmtree(folder, ignore_errors=True)
        if not self.queue.finish(job.id, *outcome) and self._cancelled(job.id):  # cancelled as it finished
            shutil.rmtree(folder, ignore_errors=True)  # (requeued or taken up elsewhere: its files stay)

    def _text(self, job: JobRecord, folder: Path) -> Outcome:
        request = JobRequest.model_validate(job.spec).to_request()
        name = f"speech.{SUFFIXES.get(request.format, request.format)}"
        parts = self.engine.parts(request, self.renderer.width) if self.renderer is not None else None
        if parts is not None and len(parts) > 1:  # on a cluster, a text of several lines: shared by the renderers
            mark_id = self.engine.new_mark_id()
            chunks = self._until_stopped(self.renderer.render_parts(request, parts, mark_id, _who(job)))
            deliver(self.engine.recorded(request, chunks, _who(job), mark_id), FileSink(folder / name, request.format),
                    len(request.text), lambda p: self._progress(job.id, p.chars_done, p.chars_total, p.fraction))
            return "done", [], name, MEDIA_TYPES[request.format]
        if self.renderer is not None:  # on a cluster: rendered whole by a renderer replica
            failed: list[VocalisError] = []
            self.renderer.render_files([(request, folder / name, None)], _who(job),
                                       lambda _k, error: error and failed.append(error))
            if failed:
                raise failed[0]
            return "done", [], name, MEDIA_TYPES[request.format]
        self._render(job, request, FileSink(folder / name, request.format),
                     lambda p: self._progress(job.id, p.chars_done, p.chars_total, p.fraction))
        return "done", [], name, MEDIA_TYPES[request.format]

    def _batch(self, job: JobRecord, folder: Path) -> Outcome:
        items = folder / "items"
        items.mkdir(exist_ok=True)
        jobs = batch_jobs(job.spec, items)  # checked again: a voice may have gone since
        errors = list(job.errors)
        (self._batch_here if self.renderer is None else self._batch_on_cluster)(job, jobs, errors)
        rendered = sorted(p for p in items.iterdir() if not p.name.startswith("."))
        if not rendered:
            return "failed", errors, None, None
        partial = folder / f".{BATCH_RESULT}.part"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:  # audio barely compresses
            for path in rendered:
                archive.write(path, path.name)
        partial.replace(folder / BATCH_RESULT)
        shutil.rmtree(items)
        return ("failed" if errors else "done"), errors, BATCH_RESULT, "application/zip"

    def _train(self, job: JobRecord, folder: Path) -> Outcome:
        """Few-shot training of the job's clips (in its folder). It runs outside the engine lock (it only reads
        the shared model), so requests go on meanwhile; a server stop leaves its checkpoint, and the job
        resumes from it on the next start. The clips go with the job's folder when it ends."""
        spec = job.spec

        def progress(p: TrainProgress) -> None:
            self._progress(job.id, p.step, 0, round(p.fraction, 4))

        self.engine.train([folder / clip for clip in spec["clips"]], spec["name"], spec["lang"],
                          transcripts=spec.get("transcripts"), minutes=spec["minutes"], start=spec.get("start"),
                          overwrite=spec.get("overwrite", False), who=_who(job),
                          account=Account(job.owner, spec.get("operator", False)) if job.owner else LOCAL,
                          progress=progress,
                          cancel=self._stop.is_set)
        return "done", [], None, None

    def _dub(self, job: JobRecord, folder: Path) -> Outcome:
        """A video dub of the job's uploads. Like a training it runs outside the engine lock; a cancel stops it
        between cues (nothing is left), a server stop leaves its rendered cues, and it resumes from them on the
        next start. On a cluster its lines render across the renderers, several at once."""
        spec = job.spec
        options = DubOptions(voice=spec["voice"], lang=spec["lang"], emotion_from=spec["emotion_from"],
                             emotion_weight=spec["emotion_weight"],
                             emotions_file=folder / spec["emotions"] if spec["emotions"] else None,
                             keep_original_audio=spec["keep_original_audio"])
        cues: list[dict[str, Any]] = []
        cancelled = threading.Event()

        def progress(p: DubProgress) -> None:
            low, high = DUB_STAGES[p.stage]
            if p.cue is not None:
                cues.append(p.cue.as_dict())
                partial = folder / f".{DUB_REPORT}.part"
                partial.write_text(json.dumps(cues, ensure_ascii=False), encoding="utf-8")
                partial.replace(folder / DUB_REPORT)
            done = len(cues) if p.stage != "reading" else 0
            if not self.queue.progress(job.id, done, p.total if p.stage != "mixing" else len(cues),
                                       round(low + (high - low) * p.done / max(p.total, 1), 4)):
                if (refused := self._refused(job.id)) is not _Cancelled:
                    raise refused
                cancelled.set()  # the dub stops at its next check and removes its work

        name = f"dubbed{spec['suffix']}"
        self.engine.dub_video(folder / spec["video"], folder / spec["subtitles"], folder / name, options,
                              progress, cancel=cancelled.is_set, who=_who(job),
                              lines=self.renderer.render_lines if self.renderer is not None else None)
        return "done", [], name, spec["media_type"]

    def _batch_here(self, job: JobRecord, jobs: list[Job], errors: list[dict[str, Any]]) -> None:
        for k in range(job.done, len(jobs)):  # after a restart: from the first unfinished job
            try:
                self._render_item(job, jobs[k], k, len(jobs))
            except VocalisError as e:
                errors.append({"job": k + 1, "output": jobs[k].output.name, "message": str(e)})
            self._progress(job.id, k + 1, len(jobs), (k + 1) / len(jobs), errors)

    def _batch_on_cluster(self, job: JobRecord, jobs: list[Job], errors: list[dict[str, Any]]) -> None:
        """The batch's unfinished items rendered at once across the cluster's renderers, each into its file;
        progress (and a cancel) as each ends."""
        todo = list(range(job.done, len(jobs)))
        finished = [0]

        def done(k: int, error: VocalisError | None) -> None:
            index = todo[k]
            if error is not None:
                errors.append({"job": index + 1, "output": jobs[index].output.name, "message": str(error)})
            finished[0] += 1
            self._progress(job.id, job.done + finished[0], len(jobs), (job.done + finished[0]) / len(jobs), errors)

        self.renderer.render_files([(jobs[k].request, jobs[k].output, jobs[k].subtitles) for k in todo],
                                   _who(job), done)

    def _render_item(self, job: JobRecord, item: Job, index: int, count: int) -> None:
        """One job of a batch into its output (and subtitles), with progress inside it."""
        self._render(job, item.request, FileSink(item.output, subtitles=item.subtitles),
                     lambda p: self._progress(job.id, index, count, (index + p.fraction) / count))

    def _render(self, job: JobRecord, request: SpeechRequest, sink: FileSink,
                progress: Callable[[RenderProgress], None]) -> None:
        """A request into a sink, each segment rendered under the lock's background side; a cancel (raised by
        `progress`) or a stop between segments discards the output."""
        progress(RenderProgress(0, len(request.text), 0.0))
        with self.lock.background():
            stream = self.engine.open(request, _who(job))  # a bad request fails here
        deliver(self._segments(stream), sink, len(request.text), progress)

    def _segments(self, stream: Iterator[Chunk]) -> Iterator[Chunk]:
        """The stream's chunks, each rendered under the lock, stopping between them when told to."""
        while True:
            if self._stop.is_set():
                raise _Stopped
            with self.lock.background():
                chunk = next(stream, None)
            if chunk is None:
                return
            yield chunk

    def _until_stopped(self, parts: Iterator[list[Chunk]]) -> Iterator[list[Chunk]]:
        """The parts, stopping between them when told to."""
        for part in parts:
            if self._stop.is_set():
                raise _Stopped
            yield part

    def _progress(self, job_id: str, done: int, total: int, fraction: float,
                  errors: list[dict[str, Any]] | None = None) -> None:
        if not self.queue.progress(job_id, done, total, fraction, errors):
            raise self._refused(job_id)

    def _refused(self, job_id: str) -> type[Exception]:
        """Why the queue refused a running job's write: the server stopping (it is requeued, its files kept),
        a cancel (its files go), or a lease lost to another worker (its files are the other's)."""
        if self._stop.is_set():
            return _Stopped
        return _Cancelled if self._cancelled(job_id) else _Lost

    def _cancelled(self, job_id: str) -> bool:
        job = self.queue.get(job_id)
        return job is None or job.status == "cancelled"
