"""The HTTP API through httpx (FastAPI's TestClient): real synthesis judged by Whisper and sample counts,
4xx JSON errors that say what to fix, and a server that keeps serving after them."""


import numpy as np
import pytest
from fastapi.testclient import TestClient
from shared_data import shared_data

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.service.vocalis import PREVIEW_SENTENCES
from vocalis.studio.api import create_app
from vocalis.text.error_rate import wer

TEXT = "Good morning, the train leaves at six."


@pytest.fixture(scope="module")
def client(tts):
    return TestClient(create_app(tts))


def _audio(content: bytes, tmp_path, suffix: str = ".wav") -> Audio:
    path = tmp_path / f"response{suffix}"
    path.write_bytes(content)
    return Audio.load(path)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "opus", "aac"])
def test_openai_speech_in_each_format(client, fmt, tmp_path):
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "onyx",
                                              "response_format": fmt})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("audio/")
    suffix = {"opus": ".ogg", "aac": ".aac"}.get(fmt, f".{fmt}")
    assert wer(TEXT, transcribe(_audio(r.content, tmp_path, suffix), lang="en")) <= 0.2


def test_the_official_openai_client_speaks_to_it(tts, tmp_path, serve):
    from openai import OpenAI

    with serve(create_app(tts)) as base:
        client = OpenAI(base_url=f"{base}/v1", api_key="not-needed-locally")
        speech = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="wav")
        assert wer(TEXT, transcribe(_audio(speech.content, tmp_path), lang="en")) <= 0.2


def test_streamed_pcm_is_the_whole_speech(client):
    with client.stream("POST", "/v1/audio/speech", json={"input": "First sentence here. And the second one.",
                                                         "voice": "echo", "response_format": "pcm"}) as r:
        assert r.status_code == 200
        data = b"".join(r.iter_bytes())
    samples = np.frombuffer(data, "<i2").astype(np.float32) / 32767
    assert wer("First sentence here. And the second one.", transcribe(Audio(samples, 24000), lang="en")) <= 0.2


def test_native_tts_with_emotion_and_exact_duration(client, tmp_path):
    r = client.post("/v1/tts", json={"text": TEXT, "voice": "jm_kumo", "duration": 3.0, "format": "wav",
                                     "emotion": {"vector": {"happy": 0.8}, "weight": 0.7}})
    assert r.status_code == 200, r.text
    assert len(_audio(r.content, tmp_path).samples) == 3 * 24000


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v1/audio/speech", {"input": "", "voice": "alloy"}, 400, "input"),
        ("/v1/audio/speech", {"input": "Hi", "voice": "nobody"}, 404, "unknown voice"),
        ("/v1/audio/speech", {"input": "Hi", "response_format": "xyz"}, 400, "format 'xyz' is not supported"),
        ("/v1/audio/speech", {"input": "Hi", "response_format": "mp3", "stream_format": "audio"}, 400, "pcm or wav"),
        ("/v1/tts", {"text": "Hi", "emotion": {"vector": {"joyful": 1}}}, 400, "unknown emotion"),
        ("/v1/tts", {"text": "A long sentence that cannot fit.", "duration": 0.2}, 400, "too short"),
        ("/v1/tts", {"text": "Hi", "sped": 1.5}, 400, "sped"),  # a misspelt field is not ignored
        ("/v1/tts", {"text": "Hi", "voice": "/etc/voice.npz"}, 400, "not a voice name"),  # no paths on the server
        ("/v1/tts", {"text": "Hi", "voice": "mine.npz"}, 400, "not a voice name"),
        ("/v1/audio/speech", {"input": "Hi", "stream_format": "events"}, 400, "stream_format"),
        ("/v1/audio/speech", {"input": "Hi", "speed": 4.5}, 400, "speed"),  # OpenAI's own range ends at 4
        ("/v1/tts", {"text": "Hi there.", "duration": 600}, 400, "far beyond what this text needs"),
    ],
)
def test_bad_requests_get_json_errors(client, path, body, status, message):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert message in r.json()["error"]["message"]


def test_wrong_content_type_and_the_server_keeps_serving(client):
    r = client.post("/v1/audio/speech", content=b"not json", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]["message"]
    r = client.post("/v1/tts", content=b'{"text": "hi",', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    assert client.get("/health").json() == {"status": "ok"}
    names = {v["name"] for v in client.get("/v1/voices").json()["voices"]}
    assert "jm_kumo" in names


@pytest.mark.slow
def test_upload_a_reference_clone_speak_and_delete(client, tmp_path):
    clip = shared_data("librispeech_test_other/1688/1688-142285-0000.flac") / "librispeech_test_other" / "1688" \
        / "1688-142285-0000.flac"
    with clip.open("rb") as f:
        r = client.post("/v1/voices", data={"name": "api-ana", "lang": "en"},
                        files=[("references", (clip.name, f, "audio/flac"))])
    assert r.status_code == 201, r.text
    assert r.json()["consent"] == "missing" and "I, api-ana, allow Vocalis" in r.json()["consent_phrase"]
    assert "api-ana" in {v["name"] for v in client.get("/v1/voices").json()["voices"]}
    r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": "api-ana", "response_format": "wav"})
    assert r.status_code == 403  # until the reader consents (tests/test_server_consent.py)
    preview = client.get("/v1/voices/api-ana/preview")
    assert preview.status_code == 200
    heard = transcribe(_audio(preview.content, tmp_path), lang="en")
    # The route serves the clone's preview: understood, though a one-clip clone may slur a word or two
    # ("we had read" was once heard "where Dread": 4 errors in 15 words).
    assert wer(PREVIEW_SENTENCES["en"], heard) <= 0.3, heard
    again = client.post("/v1/voices", data={"name": "api-ana"}, files=[("references", ("x.wav", b"RIFF", "audio/wav"))])
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]
    assert client.delete("/v1/voices/api-ana").status_code == 200
    assert client.delete("/v1/voices/api-ana").status_code == 404


def test_reserved_names_cannot_be_cloned_into(client):
    r = client.post("/v1/voices", data={"name": "alloy"}, files=[("references", ("x.wav", b"RIFF", "audio/wav"))])
    assert r.status_code == 400 and "reserved" in r.json()["error"]["message"]


def test_a_corrupt_upload_is_refused_and_leaves_nothing(client):
    r = client.post("/v1/voices", data={"name": "broken"}, files=[("references", ("x.wav", b"not audio", "audio/wav"))])
    assert r.status_code == 400 and "cannot read" in r.json()["error"]["message"]
    assert "broken" not in {v["name"] for v in client.get("/v1/voices").json()["voices"]}
