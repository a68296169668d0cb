"""The job queue: a table in the shared database ($VOCALIS_DB_URL) or in $VOCALIS_HOME/jobs/queue.sqlite3 (see
tables.py), results in $VOCALIS_HOME/jobs/ID/ (a shared mount when several servers share the queue). It outlives
the server: a job that was running when the server stopped is queued again on the next start.

Status moves queued -> running -> done | failed, or to cancelled from queued or running. Updates from the
worker only apply while the job is still running, so a cancel always wins over the worker's last write. A
queued job is claimed by exactly one worker, however many servers share the queue, and held on a lease: its
worker's heartbeat renews it every few seconds. A job whose worker died (its process gone on this machine, or
silent for LEASE_S anywhere) goes back to the queue for another; a worker that lost its lease notices at its
next write and stops, so no job is finished twice."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, Row, delete, func, insert, select, update

from vocalis.home import data_home
from vocalis.studio.api.tables import jobs_db
from vocalis.studio.api.tables import jobs_table as jobs

Kind = Literal["text", "batch", "train", "dub"]
_COLUMNS = [jobs.c[name] for name in ("id", "owner", "kind", "spec", "status", "done", "total", "fraction", "errors",
                                       "result", "media_type", "created_at", "started_at", "finished_at")]
_ACTIVE = ("queued", "running")
LEASE_S = 60.0  # a running job whose worker has been silent this long is taken up by another


@dataclass(frozen=True)
class JobRecord:
    id: str
    owner: str | None  # the API key's name that submitted it (None on an open server)
    kind: Kind
    spec: Any  # text: the request's parameters; batch: the list of checked job specs; train: see server.training
    status: str
    done: int  # characters of the text spoken (text) or jobs finished (batch)
    total: int  # the text's characters (0 until a text job has started), or the batch's jobs
    fraction: float
    errors: list[dict[str, Any]]
    result: str | None  # file name inside the job's folder, once written
    media_type: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None


class JobQueue:
    def __init__(self) -> None:
        self.folder = data_home() / "jobs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"  # this queue's claims

    @property
    def db(self) -> Engine:  # looked up at each use: the data home and the database URL may change
        return jobs_db()

    def job_folder(self, job_id: str) -> Path:
        return self.folder / job_id

    def submit(self, owner: str | None, kind: Kind, spec: Any, total: int, files: Path | None = None) -> JobRecord:
        """Queue a job. `files`: a folder of inputs (a training job's clips), moved into the job's folder before
        the job is visible to the worker."""
        job_id = "job_" + secrets.token_hex(8)
        if files is not None:
            files.replace(self.job_folder(job_id))
        with self.db.begin() as db:
            db.execute(insert(jobs).values(id=job_id, owner=owner, kind=kind, spec=json.dumps(spec), status="queued",
                                           total=total, created_at=time.time()))
        return self.get(job_id)

    def get(self, job_id: str) -> JobRecord | None:
        with self.db.connect() as db:
            row = db.execute(select(*_COLUMNS).where(jobs.c.id == job_id)).first()
        return _record(row) if row else None

    def list(self, owner: str | None, limit: int) -> list[JobRecord]:
        """The newest first; only `owner`'s when given."""
        query = select(*_COLUMNS).order_by(jobs.c.seq.desc()).limit(limit)
        with self.db.connect() as db:
            rows = db.execute(query.where(jobs.c.owner == owner) if owner is not None else query).all()
        return [_record(r) for r in rows]

    def pending(self, owner: str | None) -> int:
        query = select(func.count()).select_from(jobs).where(jobs.c.status.in_(_ACTIVE),
                                                             jobs.c.owner.is_not_distinct_from(owner))
        with self.db.connect() as db:
            return db.execute(query).scalar_one()

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with self.db.connect() as db:
            return dict(db.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all())

    def claim_next(self) -> JobRecord | None:
        """The oldest queued job, now running; None when none is queued. One statement, the row locked and
        skipped by any other worker meanwhile: two workers never claim the same job."""
        oldest = (select(jobs.c.id).where(jobs.c.status == "queued").order_by(jobs.c.seq).limit(1)
                  .with_for_update(skip_locked=True).scalar_subquery())
        now = time.time()
        claim = (update(jobs).where(jobs.c.id == oldest, jobs.c.status == "queued")
                 .values(status="running", started_at=now, worker=self.worker, heartbeat_at=now).returning(jobs.c.id))
        with self.db.begin() as db:
            job_id = db.execute(claim).scalar()
        return self.get(job_id) if job_id else None

    def requeue_abandoned(self, lease_s: float = LEASE_S) -> int:
        """Jobs whose worker is gone back in the queue, where they left off: a worker on this machine whose
        process has exited (a server restarted), or any worker silent for `lease_s`."""
        host, stale = socket.gethostname(), time.time() - lease_s
        with self.db.connect() as db:
            running = db.execute(select(jobs.c.id, jobs.c.worker, jobs.c.heartbeat_at)
                                 .where(jobs.c.status == "running")).all()
        gone = [(job_id, worker) for job_id, worker, beat in running
                if worker is None or (beat or 0) < stale or _dead_here(worker, host)]
        with self.db.begin() as db:
            return sum(db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running",
                                                     jobs.c.worker.is_not_distinct_from(worker))
                                  .values(status="queued", worker=None)).rowcount for job_id, worker in gone)

    def requeue(self, job_id: str) -> None:
        """A job this worker was running, back in the queue as it stops (cancelled or finished ones stay)."""
        with self.db.begin() as db:
            db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running",
                                          jobs.c.worker == self.worker).values(status="queued", worker=None))

    def heartbeat(self, job_id: str) -> bool:
        """Renew this worker's lease on a running job; False once it is no longer this worker's to run."""
        return self._update_running(job_id, {})

    def progress(self, job_id: str, done: int, total: int, fraction: float,
                 errors: list[dict[str, Any]] | None = None) -> bool:
        """Record progress; False when the job is no longer running (cancelled): the worker stops."""
        values: dict[str, Any] = {"done": done, "total": total, "fraction": fraction}
        if errors is not None:
            values["errors"] = json.dumps(errors)
        return self._update_running(job_id, values)

    def finish(self, job_id: str, status: Literal["done", "failed"], errors: list[dict[str, Any]],
               result: str | None = None, media_type: str | None = None) -> bool:
        """False when the job was cancelled meanwhile (its files are then the caller's to remove)."""
        values: dict[str, Any] = {"status": status, "errors": json.dumps(errors), "result": result,
                                  "media_type": media_type, "finished_at": time.time()}
        if status == "done":
            values.update(fraction=1.0, done=jobs.c.total)
        return self._update_running(job_id, values)

    def _update_running(self, job_id: str, values: dict[str, Any]) -> bool:
        """Applied only while the job runs under this worker's claim (a lease lost or a cancel: False)."""
        with self.db.begin() as db:
            return db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running",
                                                 jobs.c.worker == self.worker)
                              .values(heartbeat_at=time.time(), **values)).rowcount == 1

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False if it had finished. The worker notices between two segments
        and removes what the job had written."""
        with self.db.begin() as db:
            return db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(_ACTIVE))
                              .values(status="cancelled", finished_at=time.time())).rowcount == 1

    def delete(self, job_id: str) -> None:
        """Forget a finished job and remove its files. A cancelled job's files are left to the worker,
        which may still be writing them until it notices the cancel, and removes them then."""
        with self.db.begin() as db:
            status = db.execute(select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
            db.execute(delete(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(("done", "failed", "cancelled"))))
        if status in ("done", "failed"):
            shutil.rmtree(self.job_folder(job_id), ignore_errors=True)


def _dead_here(worker: str, host: str) -> bool:
    """Whether `worker` (host:pid:token) ran on this machine in a process that has exited."""
    worker_host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if worker_host != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _record(row: Row) -> JobRecord:
    values = row._asdict()
    values["spec"] = json.loads(values["spec"])
    values["errors"] = json.loads(values["errors"])
    return JobRecord(**values)
