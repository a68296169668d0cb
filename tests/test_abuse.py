"""A running server tried as an attacker would (the hardening issue): work bounded before it starts, abandoned
requests cancelled, one key's voices, consent and jobs out of another's reach, private files, errors that name
what the client sent, and a SIGTERM that drains in seconds and puts the running job back in the queue."""

import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from vocalis.home import data_home
from vocalis.studio.api import create_app
from vocalis.studio.api.jobqueue import JobQueue
from vocalis.studio.api.keys import KeyStore
from vocalis.trust.audit import AuditLog
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.library import library_file, save_voice
from vocalis.voice.voice import Voice

SHORT = "The train leaves at six."
PARAGRAPH = ("The committee met on a grey morning to weigh the plans for the new bridge, and every member had "
             "something to say about its cost, its look and the years it would take to build. ")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _post(base: str, body: dict, key: str | None = None, timeout: float = 120) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{base}/v1/tts", json=body, headers=headers, timeout=timeout)


def test_a_duration_far_beyond_the_text_is_refused_at_once(tts, serve):
    with serve(create_app(tts)) as base:
        assert _post(base, {"text": SHORT, "duration": 3.0}).status_code == 200  # warm; peak memory of a render
        peak = _rss_mb()
        started = time.perf_counter()
        r = _post(base, {"text": "Hi there.", "duration": 600})
        took = time.perf_counter() - started
    assert r.status_code == 400, r.text
    assert "far beyond what this text needs" in r.json()["error"]["message"]
    assert "give " in r.json()["error"]["message"]  # the allowed range, in seconds
    assert took < 1.0, took
    assert _rss_mb() - peak < 50  # before: 16.8 GB and climbing


def _quiet_times(base: str, key: str | None = None) -> tuple[float, float]:
    """Seconds for a short request and for one segment of the paragraph, each alone on the server: the bounds
    below are in these units, so that a slower machine moves both sides alike."""
    _post(base, {"text": SHORT}, key)  # warm
    times = []
    for text in (SHORT, PARAGRAPH):
        started = time.perf_counter()
        assert _post(base, {"text": text}, key).status_code == 200
        times.append(time.perf_counter() - started)
    return times[0], times[1]


def test_an_abandoned_request_stops_within_a_segment(tts, serve):
    with serve(create_app(tts)) as base:
        quiet, segment = _quiet_times(base)

        long_text = (PARAGRAPH * 30)[:5000]
        with pytest.raises(httpx.ReadTimeout):  # the client gives up after 3 s, as a browser tab closed
            _post(base, {"text": long_text}, timeout=3.0)
        started = time.perf_counter()
        r = _post(base, {"text": SHORT})
        waited = time.perf_counter() - started
        assert r.status_code == 200
        print(f"short alone {quiet:.2f} s, one segment {segment:.2f} s, short after the abandoned one {waited:.2f} s")
        assert waited <= quiet + 1.5 * segment + 0.5, (waited, quiet, segment)  # before: 198 s behind it

        time.sleep(3.0)  # the abandoned render has had time to notice
        cpu = time.process_time()
        time.sleep(2.0)
        assert time.process_time() - cpu < 0.5  # idle: nobody renders the 5,000 characters for no one


def test_a_short_request_waits_behind_one_segment_of_another_keys_long_one(tts, serve):
    long_key, short_key = KeyStore().create("long"), KeyStore().create("short")
    with serve(create_app(tts)) as base:
        quiet, segment = _quiet_times(base, short_key)
        long_request = threading.Thread(target=_post, args=(base, {"text": PARAGRAPH * 8}, long_key))
        long_request.start()
        time.sleep(2.0)  # well into its segments
        started = time.perf_counter()
        assert _post(base, {"text": SHORT}, short_key).status_code == 200
        waited = time.perf_counter() - started
        long_request.join()
    print(f"short alone {quiet:.2f} s, one segment {segment:.2f} s, short beside the long one {waited:.2f} s")
    assert waited <= quiet + 1.5 * segment + 0.5, (waited, quiet, segment)  # one segment of the long one at most


def _owned(name: str, owner: str) -> Voice:
    voice = Voice(name=name, style=builtin_voices()["jf_tebukuro"].style[:1], pitch_scale=1.1,
                  meta={"source": "clone", "owner": owner})
    save_voice(voice)
    return voice


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "consent.pdf"
    path.write_bytes(b"%PDF-1.4 signed by the speaker")
    return path


def test_keys_cannot_touch_each_others_voices_consent_or_jobs(tts, tmp_path):
    from fastapi.testclient import TestClient

    alice, bob = KeyStore().create("alice"), KeyStore().create("bob")
    boss = KeyStore().create("boss", operator=True)
    a, b, op = ({"Authorization": f"Bearer {k}"} for k in (alice, bob, boss))
    client = TestClient(create_app(tts))
    _owned("ana", "alice")
    with open(_document(tmp_path), "rb") as f:  # an operator grants consent for alice's voice
        r = client.post("/v1/voices/ana/consent/document", headers=op, files={"document": ("ok.pdf", f)})
    assert r.status_code == 200, r.text

    assert "ana" in {v["name"] for v in client.get("/v1/voices", headers=a).json()["voices"]}
    assert "ana" not in {v["name"] for v in client.get("/v1/voices", headers=b).json()["voices"]}
    speak = {"input": SHORT, "voice": "ana", "response_format": "wav"}
    assert client.post("/v1/audio/speech", headers=a, json=speak).status_code == 200
    for method, path, kwargs in [
        ("POST", "/v1/audio/speech", {"json": speak}),
        ("POST", "/v1/jobs", {"json": {"text": SHORT, "voice": "ana"}}),
        ("GET", "/v1/voices/ana/consent", {}),
        ("POST", "/v1/voices/ana/consent/phrase", {}),
        ("DELETE", "/v1/voices/ana/consent", {}),
        ("GET", "/v1/voices/ana/preview", {}),
        ("DELETE", "/v1/voices/ana", {}),
    ]:
        r = client.request(method, path, headers=b, **kwargs)
        assert r.status_code == 404, (method, path, r.text)  # not even told it exists
        assert "ana" in r.json()["error"]["message"]
    batch = "jobs:\n- text: Hello there.\n  speaker_reference: ana\n  output: a.wav\n"
    r = client.post("/v1/jobs", headers={**b, "Content-Type": "application/yaml"}, content=batch)
    assert r.status_code == 404, r.text  # a batch is told no more: not even that the voice lacks consent
    assert library_file("ana") is not None

    from vocalis.errors import VoiceNotFound
    from vocalis.service.access import Account, owned_by
    from vocalis.voice.library import load_voice

    # Saving over ana (a job that waited while the name was taken, an operator's retraining): checked as it
    # saves, and alice stays its owner.
    with pytest.raises(VoiceNotFound):
        owned_by(load_voice("ana"), Account("bob"))
    assert owned_by(load_voice("ana"), Account("boss", operator=True)).meta["owner"] == "alice"

    job = client.post("/v1/jobs", headers=a, json={"text": SHORT, "voice": "ana"}).json()["id"]
    assert client.get(f"/v1/jobs/{job}", headers=b).status_code == 404
    assert client.delete(f"/v1/jobs/{job}", headers=b).status_code == 404

    from vocalis.service.access import share

    share("ana", "bob")  # `vocalis voices share ana --with bob`: bob may speak with it, not change it
    assert client.post("/v1/audio/speech", headers=b, json=speak).status_code == 200
    r = client.delete("/v1/voices/ana/consent", headers=b)
    assert r.status_code == 403 and "only its owner" in r.json()["error"]["message"]
    assert client.delete("/v1/voices/ana", headers=b).status_code == 403


def test_revocation_is_the_owners_and_audited_with_who(tts, tmp_path):
    from fastapi.testclient import TestClient

    alice, boss = KeyStore().create("alice"), KeyStore().create("boss", operator=True)
    client = TestClient(create_app(tts))
    _owned("ana", "alice")
    _owned("ana-copy", "alice")  # the same voice under another name: it inherits the consent
    with open(_document(tmp_path), "rb") as f:
        client.post("/v1/voices/ana/consent/document", headers={"Authorization": f"Bearer {boss}"},
                    files={"document": ("ok.pdf", f)})
    listed = {v["name"]: v.get("consent") for v in
              client.get("/v1/voices", headers={"Authorization": f"Bearer {alice}"}).json()["voices"]}
    assert listed["ana"] == listed["ana-copy"] == "granted"
    r = client.delete("/v1/voices/ana/consent", headers={"Authorization": f"Bearer {alice}"})
    assert r.status_code == 200 and r.json()["record"]["revoked_by"] == "key:alice"
    last = AuditLog().records(last=1)[0]
    assert last.event == "consent.revoked" and last.who == "key:alice" and last.voice == "ana"
    status = client.get("/v1/voices/ana-copy/consent", headers={"Authorization": f"Bearer {alice}"}).json()
    assert status["consent"] == "revoked"


def test_private_files_and_upload_names_in_errors(tts):
    from fastapi.testclient import TestClient

    key = KeyStore().create("alice")
    client = TestClient(create_app(tts))
    headers = {"Authorization": f"Bearer {key}"}
    r = client.post("/v1/voices", headers=headers, data={"name": "mine"},
                    files=[("references", ("my interview.wav", b"RIFF not really a wav", "audio/wav"))])
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert "my interview.wav" in message and "/tmp" not in message and str(Path.home()) not in message
    assert client.post("/v1/tts", headers=headers, json={"text": SHORT}).status_code == 200  # audit log written
    client.post("/v1/jobs", headers=headers, json={"text": SHORT})
    with TestClient(create_app(tts)) as running:  # a training job fails in the worker, on the server's copy
        r = running.post("/v1/voices/mine/train", headers=headers,
                         files=[("clips", ("my interview.wav", b"RIFF not really a wav", "audio/wav"))])
        assert r.status_code == 202, r.text
        for _ in range(300):
            state = running.get("/v1/voices/mine/train", headers=headers).json()
            if state["status"] in ("failed", "done"):
                break
            time.sleep(0.1)
    errors = str(state["errors"])
    assert state["status"] == "failed" and "my interview.wav" in errors, state
    assert str(data_home()) not in errors and "/tmp" not in errors

    home = data_home()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("trust.sqlite3", "api_keys.sqlite3", "jobs/queue.sqlite3"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigterm_drains_within_10_s_and_requeues_the_running_job():
    key = KeyStore().create("alice")
    port = _free_port()
    vocalis = Path(sys.executable).with_name("vocalis")
    server = subprocess.Popen([str(vocalis), "serve", "--port", str(port)], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
        for _ in range(600):
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        job = httpx.post(f"{base}/v1/jobs", headers=headers, json={"text": PARAGRAPH * 20}).json()["id"]
        for _ in range(300):
            state = httpx.get(f"{base}/v1/jobs/{job}", headers=headers).json()
            if state["status"] == "running" and state["progress"]["fraction"] > 0:
                break
            time.sleep(0.2)
        assert state["status"] == "running", state
        started = time.perf_counter()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        took = time.perf_counter() - started
    finally:
        if server.poll() is None:
            server.kill()
    assert took <= 10.0, took
    assert JobQueue().get(job).status == "queued"  # taken up again on the next start


@pytest.mark.shared_data("librispeech_test_other/2609", "emime/MF1", "librispeech_test_other/3080")
def _music(seconds: float, rate: int, seed: int = 0):
    """Half-second plucked notes with their harmonics: a melody to lay under speech."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(rate // 2) / rate
    notes = [sum(np.sin(2 * np.pi * f * h * t) / h for h in range(1, 6)) * np.exp(-3 * t)
             for f in rng.choice([220.0, 277.2, 329.6, 392.0, 440.0], round(2 * seconds) + 1)]
    return np.concatenate(notes)[:round(seconds * rate)]


def test_a_two_speaker_telephone_or_music_reference_is_hinted():
    import numpy as np
    from scipy.signal import resample_poly
    from shared_data import SPEECH

    from vocalis.audio import Audio
    from vocalis.voice.reference import prepare_reference

    one = sorted((SPEECH / "librispeech_test_other" / "3080").glob("*.flac"))[:2]
    two = [SPEECH / "emime/MF1/LID_enzh_MF1_ENG_0002_1.wav",
           sorted((SPEECH / "librispeech_test_other" / "2609").glob("*.flac"))[0]]
    assert not any("different people" in h for h in prepare_reference(one).quality_hints())
    assert any("different people" in h for h in prepare_reference(two).quality_hints())
    clip = Audio.load(one[0])
    phone = Audio(resample_poly(clip.samples, 8000, clip.sample_rate).astype(np.float32), 8000)
    assert any("telephone" in h for h in prepare_reference(phone).quality_hints())
    assert not any("telephone" in h for h in prepare_reference(clip).quality_hints())
    padded = np.pad(clip.samples, clip.sample_rate // 2)  # pauses around the speech, where music alone plays
    music = _music(len(padded) / clip.sample_rate, clip.sample_rate)
    music *= np.sqrt(np.mean(padded**2) / np.mean(music**2)) * 10 ** (-12 / 20)  # 12 dB under the speech
    under = Audio((padded + music).astype(np.float32), clip.sample_rate)
    assert any("music" in h for h in prepare_reference(under).quality_hints())
    assert not any("music" in h for h in prepare_reference(Audio(padded, clip.sample_rate)).quality_hints())
