"""API keys: `vocalis keys` as a user runs it, bearer auth on /v1 (the official openai client included), the
policy that keeps an open server on loopback, jobs kept apart per key, and operator keys (older key files
still work)."""

import hashlib
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.studio.api import create_app
from vocalis.studio.api.auth import AuthMode, startup_auth_mode
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.cli import main
from vocalis.text.error_rate import wer

TEXT = "The key opens the door."


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_keys_are_created_listed_and_revoked_from_the_command_line(capsys):
    assert main(["keys", "create", "alice", "--rate", "30"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("vk_") and len(secret) > 40
    assert main(["keys", "create", "alice"]) == 2
    assert "revoke it first" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "alice" in listed and "30/min" in listed and "active" in listed and secret not in listed
    assert secret not in Path(KeyStore().where).read_bytes().decode("latin-1")  # only its hash is stored
    assert main(["keys", "revoke", "alice"]) == 0
    assert main(["keys", "revoke", "alice"]) == 2
    assert "no active key" in capsys.readouterr().err


def test_an_operator_key_is_marked_and_older_key_files_still_work(tmp_path, capsys):
    assert main(["keys", "create", "boss", "--operator"]) == 0
    secret = capsys.readouterr().out.strip()
    assert KeyStore().find(secret).operator
    assert main(["keys", "list"]) == 0
    assert "active, operator" in capsys.readouterr().out

    old = tmp_path / "old_keys.sqlite3"  # a key file written before keys had roles
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE keys (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, "
                   "rate INTEGER, created_at REAL NOT NULL, revoked_at REAL)")
        db.execute("INSERT INTO keys VALUES ('carol', ?, 'vk_abcd', NULL, 0, NULL)",
                   (hashlib.sha256(b"vk_old").hexdigest(),))
    db.close()
    store = KeyStore(old)
    assert store.find("vk_old").name == "carol" and not store.find("vk_old").operator
    store.create("dave", operator=True)
    assert [(k.name, k.operator) for k in store.keys()] == [("carol", False), ("dave", True)]


def test_once_a_key_exists_every_v1_request_needs_it(tts):
    client = TestClient(create_app(tts))
    assert client.get("/v1/voices").status_code == 200  # no key yet: open (on loopback)
    alice, bob = KeyStore().create("alice"), KeyStore().create("bob")
    KeyStore().revoke("bob")
    for headers, message in [({}, "needs an API key"), (_bearer("vk_wrong"), "not valid"),
                             ({"Authorization": f"Basic {alice}"}, "not valid"), (_bearer(bob), "'bob' was revoked")]:
        r = client.get("/v1/voices", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert message in r.json()["error"]["message"] and r.json()["error"]["type"] == "authentication_error"
    assert client.get("/v1/voices", headers=_bearer(alice)).status_code == 200
    assert client.get("/health").json() == {"status": "ok"}  # stays open
    assert client.get("/docs").status_code == 200


def test_the_official_openai_client_authenticates_with_its_api_key(tts, tmp_path, serve):
    from openai import AuthenticationError, OpenAI

    secret = KeyStore().create("app")
    with serve(create_app(tts)) as base:
        speech = OpenAI(base_url=f"{base}/v1", api_key=secret).audio.speech.create(
            model="tts-1", voice="onyx", input=TEXT, response_format="wav")
        path = tmp_path / "speech.wav"
        path.write_bytes(speech.content)
        assert wer(TEXT, transcribe(Audio.load(path), lang="en")) <= 0.2
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=f"{base}/v1", api_key="vk_not-a-key", max_retries=0).audio.speech.create(
                model="tts-1", voice="onyx", input=TEXT)


def test_an_open_server_only_on_loopback():
    store = KeyStore()
    assert startup_auth_mode("127.0.0.1", no_auth=False, store=store) is AuthMode.AUTO
    assert startup_auth_mode("::1", no_auth=False, store=store) is AuthMode.AUTO
    with pytest.raises(VocalisError, match="vocalis keys create NAME"):
        startup_auth_mode("0.0.0.0", no_auth=False, store=store)
    assert startup_auth_mode("0.0.0.0", no_auth=True, store=store) is AuthMode.OFF
    store.create("ops")
    assert startup_auth_mode("0.0.0.0", no_auth=False, store=store) is AuthMode.REQUIRED


def test_serve_refuses_to_start_open_beyond_loopback(capsys):
    assert main(["serve", "--host", "0.0.0.0", "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0" in err and "--no-auth" in err


def test_a_server_that_requires_keys_refuses_all_while_it_has_none(tts):
    client = TestClient(create_app(tts, auth=AuthMode.REQUIRED))
    assert client.get("/v1/voices").status_code == 401
    secret = KeyStore().create("first")
    assert client.get("/v1/voices", headers=_bearer(secret)).status_code == 200


def test_each_key_sees_only_its_own_jobs(tts):
    client = TestClient(create_app(tts))  # no worker: jobs stay queued
    alice, bob = KeyStore().create("alice"), KeyStore().create("bob")
    job_id = client.post("/v1/jobs", json={"text": "Mine."}, headers=_bearer(alice)).json()["id"]
    assert [j["id"] for j in client.get("/v1/jobs", headers=_bearer(alice)).json()["data"]] == [job_id]
    assert client.get("/v1/jobs", headers=_bearer(bob)).json()["data"] == []
    assert client.get(f"/v1/jobs/{job_id}", headers=_bearer(bob)).status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}", headers=_bearer(bob)).status_code == 404
    assert client.get(f"/v1/jobs/{job_id}", headers=_bearer(alice)).json()["status"] == "queued"
