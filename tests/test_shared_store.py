"""The server's state on SQLite and on a real PostgreSQL server (tests/postgres_server.py), as two servers share
it: separate processes claim every queued job exactly once, append to one unbroken audit chain, and a key made
by one opens the other (its rate and its hour of audio hold across both), and the web UI's history one server
writes the other lists; a server on PostgreSQL runs a job through its API."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vocalis.studio.api import create_app
from vocalis.studio.api.jobqueue import JobQueue
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.api.speech import WorkLimits
from vocalis.studio.webui.history import delete_entry, entries
from vocalis.trust.audit import AuditLog

PROCESSES = 2

CLAIMER = """
import json, sys, time
from vocalis.studio.api.jobqueue import JobQueue
queue, claimed = JobQueue(), []
sys.stdin.readline()  # all start together
while (job := queue.claim_next()) is not None:
    claimed.append(job.id)
    queue.finish(job.id, "done", [])
print(json.dumps(claimed))
"""

WRITER = """
import sys
from vocalis.trust.audit import AuditLog
log = AuditLog()
sys.stdin.readline()
for j in range(15):
    log.append("synthesis", "user:" + sys.argv[1], text=f"{sys.argv[1]}-{j}")
"""

HISTORY = """
import numpy as np
from vocalis.audio import Audio
from vocalis.studio.webui.history import commit_entry, new_entry
from vocalis.studio.webui.settings import SpeakSettings
entry_id, path = new_entry()
Audio(np.zeros(2400, np.float32), 24000).save(path)
commit_entry(entry_id, "Made by the other server.", SpeakSettings(voice="jm_kumo"), path, 0.1, [])
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    if request.param == "postgresql":
        monkeypatch.setenv("VOCALIS_DB_URL", request.getfixturevalue("postgres_url"))
    return request.param


def _together(script: str, *args: str) -> list[str]:
    """`script` in PROCESSES processes released at the same moment; their outputs."""
    procs = [subprocess.Popen([sys.executable, "-c", script, *args, str(k)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
             for k in range(PROCESSES)]
    time.sleep(3)  # imports done
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    return [out for out, _ in outs]


def test_every_job_is_claimed_by_exactly_one_worker(database):
    queue = JobQueue()
    submitted = {queue.submit("alice", "text", {"text": f"job {k}"}, 10).id for k in range(40)}
    claims = [set(json.loads(out)) for out in _together(CLAIMER)]
    assert set.union(*claims) == submitted  # none left behind
    assert sum(len(c) for c in claims) == len(submitted)  # none claimed twice
    assert queue.counts() == {"done": 40}
    assert all(len(c) > 0 for c in claims), "one worker took everything: no contention was tested"


def test_two_writers_keep_one_audit_chain(database):
    log = AuditLog()
    log.append("synthesis", "user:setup")  # the tables and key exist before the race
    _together(WRITER)
    check = log.verify()
    assert check.ok and check.records == 1 + PROCESSES * 15, check.problems
    assert [r.seq for r in log.records()] == list(range(1, 2 + PROCESSES * 15))


def test_keys_and_jobs_on_the_shared_database(database, tts):
    store = KeyStore()
    secret = store.create("studio")
    assert KeyStore().find(secret).name == "studio"  # another store (another server) sees it
    if database == "postgresql":  # nothing of the server's state left in the data home's files
        assert store.where.startswith("postgresql+psycopg://vocalis@127.0.0.1")
        home = Path(os.environ["VOCALIS_HOME"])
        assert not (home / "api_keys.sqlite3").exists() and not (home / "jobs" / "queue.sqlite3").exists()
    with TestClient(create_app(tts)) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.post("/v1/jobs", json={"text": "Hello."}).status_code == 401
        r = client.post("/v1/jobs", json={"text": "A job on the shared queue."}, headers=auth)
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 120
        while (state := client.get(f"/v1/jobs/{job['id']}", headers=auth).json())["status"] != "done":
            assert state["status"] in ("queued", "running") and time.monotonic() < deadline, state
            time.sleep(0.2)
        result = client.get(state["result"], headers=auth)
        assert result.status_code == 200 and len(result.content) > 24000  # over half a second of audio
        assert client.get("/ready").json()["database"] == "ok"
    store.revoke("studio")
    assert KeyStore().find(secret).revoked


def test_a_dead_workers_job_goes_to_another_and_is_finished_once(database):
    queue = JobQueue()
    job = queue.submit(None, "text", {"text": "taken"}, 5)
    crashed = "from vocalis.studio.api.jobqueue import JobQueue\nprint(JobQueue().claim_next().id)"  # then exits
    assert subprocess.run([sys.executable, "-c", crashed], capture_output=True, text=True, check=True,
                          env=os.environ.copy()).stdout.strip() == job.id
    assert queue.get(job.id).status == "running" and queue.claim_next() is None
    assert queue.requeue_abandoned() == 1  # its process is gone from this machine: back in the queue at once
    assert queue.claim_next().id == job.id and queue.finish(job.id, "done", [])

    # Another machine's worker: kept while its heartbeat is fresh, taken up once silent for the lease.
    elsewhere, mine = JobQueue(), JobQueue()
    elsewhere.worker = "another-host:1:abcd"
    held = queue.submit(None, "text", {"text": "held"}, 5)
    assert elsewhere.claim_next().id == held.id
    assert mine.requeue_abandoned(lease_s=30) == 0
    time.sleep(1.1)
    assert mine.requeue_abandoned(lease_s=1.0) == 1
    assert mine.claim_next().id == held.id
    # The silent worker comes back: its writes no longer apply, so the job is finished once, by its new worker.
    assert not elsewhere.progress(held.id, 3, 5, 0.6) and not elsewhere.heartbeat(held.id)
    assert not elsewhere.finish(held.id, "done", [])
    assert mine.heartbeat(held.id) and mine.finish(held.id, "done", [])
    assert queue.counts() == {"done": 2}


def test_the_web_ui_history_is_one_for_every_server(database):
    subprocess.run([sys.executable, "-c", HISTORY], check=True, env=os.environ.copy(), timeout=120)
    [entry] = entries()
    assert entry.text == "Made by the other server." and entry.settings.voice == "jm_kumo" and entry.audio.is_file()
    delete_entry(entry.id)
    assert entries() == [] and not entry.audio.exists()


def test_a_keys_rate_holds_across_servers_on_one_database(database, tts):
    """Two servers on one database: a key allowed 3 requests a minute gets 3 in all, not 3 from each."""
    secret = KeyStore().create("metered", rate=3)
    auth = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(tts)) as first, TestClient(create_app(tts)) as second:
        codes = [client.get("/v1/voices", headers=auth).status_code for client in (first, second) * 2]
        unlimited = TestClient(create_app(tts)).get("/v1/voices", headers=auth).status_code
    if database == "postgresql":
        assert codes == [200, 200, 200, 429] and unlimited == 429
    else:  # each server on its own SQLite home keeps its own buckets
        assert codes == [200, 200, 200, 200] and unlimited == 200


def test_a_keys_hour_of_audio_holds_across_servers_on_one_database(database, tts):
    """A key allowed 1 s of audio an hour: its first sentence (about 3 s) spends it on one server, and the next
    request is refused there, and on the other server too when they share the database."""
    secret = KeyStore().create("talker")
    auth = {"Authorization": f"Bearer {secret}"}
    body = {"input": "Good morning, the train to the city leaves at six.", "voice": "alloy", "response_format": "wav"}
    work = WorkLimits(key_seconds_per_hour=1.0)
    with TestClient(create_app(tts, work=work)) as first, TestClient(create_app(tts, work=work)) as second:
        spoken = first.post("/v1/audio/speech", json=body, headers=auth)
        again = first.post("/v1/audio/speech", json=body, headers=auth)
        elsewhere = second.post("/v1/audio/speech", json=body, headers=auth)
    assert spoken.status_code == 200 and float(spoken.headers["X-Audio-Seconds"]) > 1.0
    assert again.status_code == 429 and "in the last hour" in again.json()["error"]["message"]
    assert again.headers["Retry-After"] == "600"
    # Each server on its own SQLite home keeps its own seconds.
    assert elsewhere.status_code == (429 if database == "postgresql" else 200), elsewhere.text
