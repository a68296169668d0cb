"""Responsible cloning through the HTTP API: a clone without consent is refused (403, saying how to add
consent) until its owner's recording passes or an operator grants consent, and again once revoked; only its
preview speaks before; every response is watermarked, signed (whole files) and on the audit log with the key
or address that asked."""

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shared_data import MANIFEST, SPEECH

from vocalis.service.access import share
from vocalis.studio.api import create_app
from vocalis.studio.api.keys import KeyStore
from vocalis.trust import consent
from vocalis.trust.audit import AuditLog
from vocalis.trust.verify import verify_file
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.library import save_voice
from vocalis.voice.voice import Voice

TEXT = "Good morning, the train leaves at six."


@pytest.fixture
def client(tts):
    return TestClient(create_app(tts))


def _clone(name: str = "ana", speaker=None) -> Voice:
    voice = Voice(name=name, style=builtin_voices()["jf_tebukuro"].style[:1], pitch_scale=1.1, speaker=speaker,
                  meta={"source": "clone"})
    save_voice(voice)
    return voice


def _speak(client: TestClient, voice: str, fmt: str = "wav"):
    return client.post("/v1/audio/speech", json={"input": TEXT, "voice": voice, "response_format": fmt})


def test_unconsented_clone_is_refused_until_granted_then_revoked(client, tmp_path):
    voice = _clone()
    for r in (_speak(client, "ana"), client.post("/v1/tts", json={"text": TEXT, "voice": "ana", "stream": True})):
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["type"] == "permission_error" and "POST /v1/voices/ana/consent" in error["message"]
    listed = {v["name"]: v for v in client.get("/v1/voices").json()["voices"]}
    assert listed["ana"]["consent"] == "missing" and "consent" not in listed["jm_kumo"]

    preview = client.get("/v1/voices/ana/preview")  # the one sentence a clone says before consent
    assert preview.status_code == 200
    path = tmp_path / "preview.wav"
    path.write_bytes(preview.content)
    report = verify_file(path)
    assert report.manifest.state == "trusted" and report.marks.perth and report.exact
    assert report.records[0].event == "preview" and report.records[0].who == "address:testclient"

    consent.grant_written(voice, _document(tmp_path), "user:operator")
    assert client.get("/v1/voices/ana/consent").json()["consent"] == "granted"
    r = _speak(client, "ana")
    assert r.status_code == 200
    path.write_bytes(r.content)
    report = verify_file(path)
    assert report.found and report.manifest.credentials.voice == "ana"
    assert report.records[0].event == "synthesis" and report.records[0].text == TEXT

    r = client.delete("/v1/voices/ana/consent")
    assert r.status_code == 200 and r.json()["consent"] == "revoked"
    assert _speak(client, "ana").status_code == 403
    assert "revoked" in _speak(client, "ana").json()["error"]["message"]
    assert AuditLog().verify().ok


def test_written_consent_needs_an_operator_key(client, tmp_path):
    _clone()
    clerk, boss = KeyStore().create("clerk"), KeyStore().create("boss", operator=True)
    share("ana", "clerk")  # the local user's voice: a key sees it only once shared with it
    document = _document(tmp_path)

    def upload(secret: str):
        with open(document, "rb") as f:
            return client.post("/v1/voices/ana/consent/document", headers={"Authorization": f"Bearer {secret}"},
                               files={"document": ("signed by Ana.pdf", f, "application/pdf")})

    r = upload(clerk)
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"
    assert "--operator" in r.json()["error"]["message"]
    assert client.get("/v1/voices/ana/consent", headers={"Authorization": f"Bearer {clerk}"}).json()["consent"] == \
        "missing"

    r = client.post("/v1/voices/ana/consent/document", headers={"Authorization": f"Bearer {boss}"},
                    files={"document": ("blank.pdf", b"", "application/pdf")})  # named as uploaded, not a temp path
    assert r.status_code == 400 and r.json()["error"]["message"] == "the document 'blank.pdf' is empty"

    r = upload(boss)
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    assert record["kind"] == "written" and record["granted_by"] == "key:boss"
    assert record["evidence"] == {"document": "signed by Ana.pdf",
                                  "document_sha256": hashlib.sha256(document.read_bytes()).hexdigest()}
    r = client.post("/v1/audio/speech", headers={"Authorization": f"Bearer {clerk}"},
                    json={"input": TEXT, "voice": "ana", "response_format": "wav"})
    assert r.status_code == 200


@pytest.mark.shared_data(MANIFEST)
def test_spoken_consent_over_http(client):
    from vocalis.voice.reference import prepare_reference
    from vocalis.voice.speaker import reference_embedding

    rows = [line.split("\t") for line in MANIFEST.read_text().splitlines()[1:]]
    clips = sorted((SPEECH / r[0], r[6]) for r in rows if r[1] == "librispeech" and r[2] == "1988" and r[6])
    speaker = reference_embedding(prepare_reference([p for k, (p, _) in enumerate(clips) if k != 1]).audio)
    voice = _clone("reader", speaker)

    r = client.post("/v1/voices/reader/consent/phrase")
    assert r.status_code == 201 and "I, reader, allow Vocalis" in r.json()["phrase"]
    with open(clips[1][0], "rb") as f:  # the reader's clip does not say the phrase: refused, with why
        r = client.post("/v1/voices/reader/consent", files={"recording": ("take.flac", f, "audio/flac")})
    assert r.status_code == 403 and "words heard" in r.json()["error"]["message"]

    consent.issue_challenge(voice, phrase=clips[1][1])  # the clip's own words stand for the phrase
    with open(clips[1][0], "rb") as f:
        r = client.post("/v1/voices/reader/consent", files={"recording": ("take.flac", f, "audio/flac")})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["kind"] == "spoken"
    assert _speak(client, "reader").status_code == 200


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "signed.pdf"
    path.write_bytes(b"%PDF-1.4 authorisation")
    return path
