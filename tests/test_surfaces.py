"""One request, every surface: the CLI, Python, the HTTP API and a job file build the same SpeechRequest and
render it through the same path, so with a fixed mark id their audio is the same to the bit."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis import Vocalis
from vocalis.audio import Audio, to_pcm16
from vocalis.service import EmotionSpec, FileSink, MemorySink, SpeechRequest
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


def test_a_text_rendered_in_parts_is_the_text_rendered_whole(marked_tts):
    """How a cluster's renderers share a long text (service.parts): cut into parts, each rendered and marked on
    its own, joined. The audio and the cue times are the whole render's to the bit, and one audit record is kept."""
    from vocalis.service.render import deliver
    from vocalis.trust.audit import AuditLog

    request = SpeechRequest("The ship left the harbour at dawn. Gulls followed it for an hour. The sea was calm. "
                            "By noon the coast was gone.", voice="jm_kumo", speed=1.1, max_phonemes=40,
                            emotion=EmotionSpec(vector={"sad": 0.5}))
    whole = marked_tts.render(request)
    parts = marked_tts.parts(request, 3)
    assert [p.ends for p in parts] == [False, False, True] and all(p.lines for p in parts)
    records = len(AuditLog().records())
    rendered = [list(marked_tts.render_part(request, part, MARK_ID)) for part in parts]
    joined = deliver(marked_tts.recorded(request, rendered, "user:test", MARK_ID), MemorySink(), len(request.text))
    assert np.array_equal(joined.audio.samples, whole.audio.samples)
    assert [(c.start, c.end, c.text) for c in joined.cues] == [(c.start, c.end, c.text) for c in whole.cues]
    assert len(AuditLog().records()) == records + 1
    assert marked_tts.parts(SpeechRequest(request.text, voice="jm_kumo", duration=9.0), 3) is None  # fitted whole
