"""`/v1/voices/{name}/train`: training as a job over HTTP: started with uploaded clips, its state polled,
refused corpora reported as the job's error, and cancelled."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shared_data import SPEECH

from vocalis.studio.api import create_app
from vocalis.voice.library import library_file

LJ = SPEECH / "ljspeech" / "LJ"
CLIPS = sorted(LJ.glob("LJ001-*.wav"))
pytestmark = pytest.mark.shared_data(LJ)


def _state(client: TestClient, name: str, until: tuple[str, ...], timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/v1/voices/{name}/train").json()
        if state["status"] in until:
            return state
        time.sleep(0.2)
    raise AssertionError(f"training of {name} still {state['status']} after {timeout} s: {state}")


def _files(paths: list[Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("clips", (p.name, p.read_bytes(), "audio/wav")) for p in paths]


def test_too_little_speech_fails_the_job_with_the_reason(tts):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/voices/shorty/train", files=_files(CLIPS[:2]),
                        data={"transcripts": "LJ001-0002.wav\tin being comparatively modern."})
        assert r.status_code == 202, r.text
        assert r.headers["location"] == "/v1/voices/shorty/train"
        assert r.json()["kind"] == "train" and r.json()["voice"] == "shorty"
        failed = _state(client, "shorty", ("failed", "done"))
        assert failed["status"] == "failed" and "at least 30 s" in failed["errors"][0]["message"], failed
        assert library_file("shorty") is None


def test_a_training_is_cancelled_and_leaves_the_library_untouched(tts):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/voices/lj/train", files=_files(CLIPS), data={"minutes": "2"})
        assert r.status_code == 202, r.text
        _state(client, "lj", ("running",))
        cancelled = client.delete("/v1/voices/lj/train")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        time.sleep(1)
        assert client.get("/v1/voices/lj/train").json()["status"] == "cancelled"
        assert library_file("lj") is None
        voices = client.get("/v1/voices").json()["voices"]
        assert "lj" not in {v["name"] for v in voices}


@pytest.mark.parametrize(("name", "data", "message"), [
    ("default", {}, "reserved"),
    ("ok", {"minutes": "500"}, "minutes"),
    ("ok", {"transcripts": "no separator here"}, "clip<TAB>text"),
])
def test_bad_requests_are_refused_before_anything_is_queued(tts, name, data, message):
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post(f"/v1/voices/{name}/train", files=_files(CLIPS[:1]), data=data)
        assert r.status_code == 400 and message in r.text, r.text
        assert client.get(f"/v1/voices/{name}/train").status_code == 404
