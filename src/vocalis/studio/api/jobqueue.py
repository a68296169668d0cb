"""The job queue: a SQLite table in $VOCALIS_HOME/jobs/queue.sqlite3, results in $VOCALIS_HOME/jobs/ID/.
It outlives the server: a job that was running when the server stopped is queued again on the next start.

Status moves queued -> running -> done | failed, or to cancelled from queued or running. Updates from the
worker only apply while the job is still running, so a cancel always wins over the worker's last write."""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vocalis.home import data_home
from vocalis.studio.api.db import database

Kind = Literal["text", "batch", "train", "dub"]
_COLUMNS = ("id", "owner", "kind", "spec", "status", "done", "total", "fraction", "errors", "result",
            "media_type", "created_at", "started_at", "finished_at")
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT, kind TEXT NOT NULL,
        spec TEXT NOT NULL, status TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL,
        fraction REAL NOT NULL DEFAULT 0, errors TEXT NOT NULL DEFAULT '[]', result TEXT, media_type TEXT,
        created_at REAL NOT NULL, started_at REAL, finished_at REAL)""",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq)",
)


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
    def __init__(self, folder: Path | None = None):
        self.folder = folder or data_home() / "jobs"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return database(self.folder / "queue.sqlite3", *_SCHEMA)

    def job_folder(self, job_id: str) -> Path:
        return self.folder / job_id

    def submit(self, owner: str | None, kind: Kind, spec: Any, total: int, files: Path | None = None) -> JobRecord:
        """Queue a job. `files`: a folder of inputs (a training job's clips), moved into the job's folder before
        the job is visible to the worker."""
        job_id = "job_" + secrets.token_hex(8)
        if files is not None:
            files.replace(self.job_folder(job_id))
        with self._connect() as db:
            db.execute("INSERT INTO jobs (id, owner, kind, spec, status, total, created_at) "
                       "VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                       (job_id, owner, kind, json.dumps(spec), total, time.time()))
        return self.get(job_id)

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _record(row) if row else None

    def list(self, owner: str | None, limit: int) -> list[JobRecord]:
        """The newest first; only `owner`'s when given."""
        where, args = ("WHERE owner = ?", (owner,)) if owner is not None else ("", ())
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs {where} ORDER BY seq DESC LIMIT ?",
                              (*args, limit)).fetchall()
        return [_record(r) for r in rows]

    def pending(self, owner: str | None) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND owner IS ?",
                              (owner,)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with self._connect() as db:
            return dict(db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())

    def claim_next(self) -> JobRecord | None:
        """The oldest queued job, now running."""
        with self._connect() as db:  # one statement: two workers on one queue never claim the same job
            row = db.execute("UPDATE jobs SET status = 'running', started_at = ? WHERE id = (SELECT id FROM jobs "
                             "WHERE status = 'queued' ORDER BY seq LIMIT 1) RETURNING id", (time.time(),)).fetchone()
        return self.get(row[0]) if row else None

    def requeue_running(self) -> int:
        """After a restart: jobs the last server was running go back to the queue (where they left off)."""
        with self._connect() as db:
            return db.execute("UPDATE jobs SET status = 'queued' WHERE status = 'running'").rowcount

    def requeue(self, job_id: str) -> None:
        """A job this server was running, back in the queue as it stops (cancelled or finished ones stay)."""
        with self._connect() as db:
            db.execute("UPDATE jobs SET status = 'queued' WHERE id = ? AND status = 'running'", (job_id,))

    def progress(self, job_id: str, done: int, total: int, fraction: float,
                 errors: list[dict[str, Any]] | None = None) -> bool:
        """Record progress; False when the job is no longer running (cancelled): the worker stops."""
        with self._connect() as db:
            sets, args = "done = ?, total = ?, fraction = ?", [done, total, fraction]
            if errors is not None:
                sets, args = sets + ", errors = ?", [*args, json.dumps(errors)]
            return db.execute(f"UPDATE jobs SET {sets} WHERE id = ? AND status = 'running'",
                              (*args, job_id)).rowcount == 1

    def finish(self, job_id: str, status: Literal["done", "failed"], errors: list[dict[str, Any]],
               result: str | None = None, media_type: str | None = None) -> bool:
        """False when the job was cancelled meanwhile (its files are then the caller's to remove)."""
        with self._connect() as db:
            fraction = "1.0" if status == "done" else "fraction"
            return db.execute(
                f"UPDATE jobs SET status = ?, errors = ?, result = ?, media_type = ?, finished_at = ?, "
                f"fraction = {fraction}, done = CASE WHEN ? = 'done' THEN total ELSE done END "
                "WHERE id = ? AND status = 'running'",
                (status, json.dumps(errors), result, media_type, time.time(), status, job_id)).rowcount == 1

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False if it had finished. The worker notices between two segments
        and removes what the job had written."""
        with self._connect() as db:
            return db.execute("UPDATE jobs SET status = 'cancelled', finished_at = ? "
                              "WHERE id = ? AND status IN ('queued', 'running')", (time.time(), job_id)).rowcount == 1

    def delete(self, job_id: str) -> None:
        """Forget a finished job and remove its files. A cancelled job's files are left to the worker,
        which may still be writing them until it notices the cancel, and removes them then."""
        with self._connect() as db:
            status = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            db.execute("DELETE FROM jobs WHERE id = ? AND status IN ('done', 'failed', 'cancelled')", (job_id,))
        if status and status[0] in ("done", "failed"):
            shutil.rmtree(self.job_folder(job_id), ignore_errors=True)


def _record(row: tuple) -> JobRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["spec"] = json.loads(values["spec"])
    values["errors"] = json.loads(values["errors"])
    return JobRecord(**values)
