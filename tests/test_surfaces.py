"""One request, every surface: the CLI, Python, the HTTP API and a job file build the same SpeechRequest and
render it through the same path, so with a fixed mark id their audio is the same to the bit."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis import Vocalis
from vocalis.audio import Audio, to_pcm16
from vocalis.service import EmotionSpec, FileSink, SpeechRequest
from vocalis.studio.api import create_app
from vocalis.studio.cli import main

MARK_ID = 4242
TEXT = "Every surface sends the same request. It comes back the same, to the bit."
REQUEST = SpeechRequest(TEXT, voice="jf_alpha", lang="en", speed=0.9, emotion=EmotionSpec(vector={"happy": 0.7}),
                        pause_scale=1.5, max_phonemes=60, format="wav")


@pytest.fixture(scope="module")
def marked_tts() -> Vocalis:
    return Vocalis(mark_id=MARK_ID)


@pytest.fixture(scope="module")
def python_audio(marked_tts, tmp_path_factory) -> np.ndarray:
    path = tmp_path_factory.mktemp("python") / "python.wav"
    marked_tts.render(REQUEST, FileSink(path))
    return _pcm(path)


def _pcm(path) -> np.ndarray:
    return to_pcm16(Audio.load(path).samples)


def test_python_audio_is_the_request_spoken(python_audio):
    # Two sentences, each split at the 60-phoneme bound, with long pauses: several seconds of audio.
    assert 4 * 24000 < len(python_audio) < 12 * 24000
    assert np.abs(python_audio).max() > 3000


def test_the_cli_gives_the_same_samples(python_audio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOCALIS_MARK_ID", str(MARK_ID))
    out = tmp_path / "cli.wav"
    assert main(["say", TEXT, "-v", "jf_alpha", "--lang", "en", "--speed", "0.9", "--emotion", "happy=0.7",
                 "--pause-scale", "1.5", "--max-phonemes", "60", "-o", str(out), "-q"]) == 0
    np.testing.assert_array_equal(_pcm(out), python_audio)


def test_the_api_gives_the_same_samples(python_audio, marked_tts, tmp_path):
    client = TestClient(create_app(marked_tts))
    r = client.post("/v1/tts", json={"text": TEXT, "voice": "jf_alpha", "lang": "en", "speed": 0.9,
                                     "emotion": {"vector": {"happy": 0.7}}, "pause_scale": 1.5,
                                     "max_phonemes": 60, "format": "wav"})
    assert r.status_code == 200, r.text
    (tmp_path / "api.wav").write_bytes(r.content)
    np.testing.assert_array_equal(_pcm(tmp_path / "api.wav"), python_audio)


def test_a_job_file_gives_the_same_samples(python_audio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOCALIS_MARK_ID", str(MARK_ID))
    job = tmp_path / "job.yaml"
    job.write_text(f"text: {TEXT}\nspeaker_reference: jf_alpha\nlang: en\noutput: job.wav\n"
                   "duration_control: {mode: free, ratio: 0.9}\n"
                   "emotion_control: {method: vector, vector: {happy: 0.7}}\n"
                   "pause_scale: 1.5\nmax_phonemes: 60\n", encoding="utf-8")
    assert main(["run", str(job), "-q"]) == 0
    np.testing.assert_array_equal(_pcm(tmp_path / "job.wav"), python_audio)


def test_another_mark_id_changes_the_samples(python_audio, tmp_path):
    """The comparisons above can fail: the same request under another mark id is other audio."""
    path = tmp_path / "other.wav"
    Vocalis(mark_id=MARK_ID + 1).render(REQUEST, FileSink(path))
    other = _pcm(path)
    assert len(other) == len(python_audio) and not np.array_equal(other, python_audio)
