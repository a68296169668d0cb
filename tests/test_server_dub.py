"""`/v1/dub`: a video dubbed over HTTP as a job: the video and the new lines uploaded, progress per cue with each
cue's emotion check, the dubbed mp4 as the result; a video without a soundtrack fails the job with the reason."""

from __future__ import annotations

import io
import time

import av
import pytest
from fastapi.testclient import TestClient
from shared_data import SPEECH
from video_fixtures import make_video, soundtrack

from vocalis.audio import Audio
from vocalis.studio.api import create_app

ANGRY = SPEECH / "esd" / "0013" / "0013_000352_angry_tgt.wav"
pytestmark = pytest.mark.shared_data(ANGRY)
SUBS = "1\n00:00:01,000 --> 00:00:04,800\n{angry=0.6} Get out of my house and never come back!\n"


def _until(client: TestClient, job_id: str, states: tuple[str, ...], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/v1/dub/{job_id}").json()
        if state["status"] in states:
            return state
        time.sleep(0.2)
    raise AssertionError(f"dub {job_id} still {state['status']} after {timeout} s: {state}")


def test_a_video_is_dubbed_as_a_job(tts, tmp_path):
    video = make_video(tmp_path / "scene.mp4", 6.0, soundtrack(6.0, [(1.0, Audio.load(ANGRY))], music_db=-42))
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/dub", files={"video": ("scene.mp4", video.read_bytes(), "video/mp4"),
                                          "subtitles": ("new.srt", SUBS.encode(), "application/x-subrip")},
                        data={"voice": "jm_kumo"})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "dub" and r.headers["location"] == f"/v1/dub/{job['id']}"
        done = _until(client, job["id"], ("done", "failed"))
        assert done["status"] == "done", done
        assert done["progress"]["unit"] == "cues" and done["progress"]["fraction"] == 1.0
        [cue] = done["cues"]
        assert cue["source"] == "override" and cue["dubbed"] and "-> dubbed:" in cue["check"], cue
        result = client.get(done["result"])
        assert result.status_code == 200 and result.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(result.content)) as c:
            assert [s.type for s in c.streams] == ["video", "audio"] and c.streams.video[0].frames == 60


def test_a_video_without_a_soundtrack_fails_the_job_with_the_reason(tts, tmp_path):
    silent = make_video(tmp_path / "silent.mp4", 3.0, None)
    with TestClient(create_app(tts, rate_per_minute=0)) as client:
        r = client.post("/v1/dub", files={"video": ("silent.mp4", silent.read_bytes(), "video/mp4"),
                                          "subtitles": ("new.srt", SUBS.encode(), "application/x-subrip")})
        assert r.status_code == 202, r.text
        failed = _until(client, r.json()["id"], ("done", "failed"))
        assert failed["status"] == "failed" and "has no audio track" in failed["errors"][0]["message"], failed
        assert "/" not in failed["errors"][0]["message"].split("has no")[0]  # no server path in the message
        bad = client.post("/v1/dub", files={"video": ("silent.mp4", b"x", "video/mp4"),
                                            "subtitles": ("new.srt", SUBS.encode(), "application/x-subrip")},
                          data={"emotions": "1: furious=2"})
        assert bad.status_code == 400 and "furious" in bad.json()["error"]["message"], bad.text
