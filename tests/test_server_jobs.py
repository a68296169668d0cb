"""`/v1/jobs`: long texts and batches rendered by the server's worker, judged by Whisper; batches checked
whole before they are queued; jobs that outlive a server restart; cancelling."""

import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.studio.api import create_app
from vocalis.text.error_rate import wer

LONG = "The ship left the harbour at dawn. Gulls followed it for an hour. Then the sea was calm and empty. " \
       "By noon the coast was gone."
BATCH = """\
speaker_reference: jm_kumo
lang: en
jobs:
  - {text: "Please close the door.", output: door.wav, subtitles: door.srt}
  - text: "It is raining again."
    output: rain.flac
    emotion_control: {method: vector, vector: {sad: 0.7}, weight: 0.6}
"""


def _wait(client: TestClient, job_id: str, until: tuple[str, ...] = ("done", "failed", "cancelled"),
           done_at_least: int = 0, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in until and job["progress"]["done"] >= done_at_least:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job}")


def _heard(content: bytes, suffix: str, tmp_path) -> str:
    path = tmp_path / f"heard{suffix}"
    path.write_bytes(content)
    return transcribe(Audio.load(path), lang="en")


def test_a_long_text_job_reports_progress_lets_requests_in_and_is_downloaded(tts, tmp_path):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/jobs", json={"text": LONG, "voice": "jm_kumo", "format": "mp3"})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.headers["location"] == f"/v1/jobs/{job_id}"
        running = _wait(client, job_id, until=("running",), done_at_least=1)
        assert running["progress"]["total"] == len(LONG) and 0 < running["progress"]["fraction"] < 1
        # A short request goes ahead of the job's remaining segments instead of waiting for all of them.
        quick = client.post("/v1/audio/speech", json={"input": "Yes.", "response_format": "wav"})
        assert quick.status_code == 200
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "running"
        done = _wait(client, job_id)
        assert done["status"] == "done" and done["errors"] == []
        assert done["progress"] == {"done": len(LONG), "total": len(LONG), "unit": "characters", "fraction": 1.0}
        result = client.get(done["result"])
        assert result.status_code == 200 and result.headers["content-type"] == "audio/mpeg"
        assert wer(LONG, _heard(result.content, ".mp3", tmp_path)) <= 0.2
        assert [j["id"] for j in client.get("/v1/jobs").json()["data"]] == [job_id]


def test_a_yaml_batch_comes_back_as_a_zip_of_its_outputs(tts, tmp_path):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/jobs", content=BATCH.encode(), headers={"content-type": "application/yaml"})
        assert r.status_code == 202, r.text
        assert r.json()["progress"] == {"done": 0, "total": 2, "unit": "jobs", "fraction": 0.0}
        done = _wait(client, r.json()["id"])
        assert done["status"] == "done", done
        result = client.get(done["result"])
    assert result.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(result.content))
    assert sorted(archive.namelist()) == ["door.srt", "door.wav", "rain.flac"]
    assert wer("Please close the door.", _heard(archive.read("door.wav"), ".wav", tmp_path)) <= 0.2
    assert wer("It is raining again.", _heard(archive.read("rain.flac"), ".flac", tmp_path)) <= 0.2
    assert "close the door" in archive.read("door.srt").decode()


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/yaml", "jobs:\n  - {text: Fine., output: a.wav}\n  - {text: '', output: b.wav}\n",
         "batch, job 2: `text` is missing or empty"),
        ("application/yaml", "jobs:\n  - {text: Fine., output: a.wav}\n  - {text: Hi., output: a.wav}\n",
         "same output file"),
        ("application/yaml", "jobs:\n  - {text: Fine., output: a.wav}\n  - {text: Hi., output: ../b.wav}\n",
         "batch, job 2: output '../b.wav' must be a plain file name"),
        ("application/yaml", "text: Hi.\noutput: a.wav\nspeaker_reference: /etc/clip.wav\n",
         "must name a voice on the server"),
        ("application/yaml", "text: Hi.\noutput: a.wav\nspeaker_reference: nobody\n", "unknown voice 'nobody'"),
        ("application/yaml", "jobs: [unclosed", "batch is not valid YAML"),
        ("application/jsonl", '{"text": "Fine.", "output": "a.wav"}\n{"text": "Hi.", "output": "b.xyz"}\n',
         "batch, job 2: unsupported output format '.xyz'"),
        ("application/jsonl", '{"text": "Fine.", "output": "a.wav"}\nnot json\n', "batch, line 2 is not valid JSON"),
        ("application/json", json.dumps({"text": "Hi.", "format": "xyz"}), "format 'xyz' is not supported"),
        ("application/json", json.dumps({"text": "Hi.", "speed": 5}), "speed"),
        ("text/plain", "Hello.", "is not a job"),
    ],
)
def test_a_bad_job_or_batch_is_refused_whole_and_nothing_is_queued(tts, content_type, body, message):
    client = TestClient(create_app(tts))  # no worker (no lifespan): only the checks run
    r = client.post("/v1/jobs", content=body.encode(), headers={"content-type": content_type})
    assert r.status_code in (400, 404, 415), r.text
    assert message in r.json()["error"]["message"]
    assert client.get("/v1/jobs").json()["data"] == []


def test_a_job_running_when_the_server_stops_completes_after_a_restart(tts, tmp_path):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        job_id = client.post("/v1/jobs", json={"text": LONG, "voice": "jm_kumo"}).json()["id"]
        _wait(client, job_id, until=("running",), done_at_least=1)
    # The server stopped between two segments: the job is back in the queue, its partial audio gone.
    stopped = TestClient(create_app(tts)).get(f"/v1/jobs/{job_id}").json()
    assert stopped["status"] == "queued" and stopped["progress"]["done"] < len(LONG)
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        done = _wait(client, job_id)
        assert done["status"] == "done", done
        audio = client.get(done["result"]).content
    assert wer(LONG, _heard(audio, ".wav", tmp_path)) <= 0.2


def test_a_queued_job_is_cancelled_and_a_finished_one_removed(tts):
    client = TestClient(create_app(tts))  # no worker: the job stays queued
    job_id = client.post("/v1/jobs", json={"text": "Never spoken."}).json()["id"]
    cancelled = client.delete(f"/v1/jobs/{job_id}").json()
    assert cancelled["status"] == "cancelled"
    r = client.get(f"/v1/jobs/{job_id}/result")
    assert r.status_code == 409 and "no result (cancelled)" in r.json()["error"]["message"]
    assert client.delete(f"/v1/jobs/{job_id}").json()["deleted"] is True
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
