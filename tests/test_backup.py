"""`vocalis backup` and `vocalis restore` as an operator runs them: a data home with a consenting voice, real
renders in its audit log, an API key and a preset, carried into an empty home on "another machine" where the
voice speaks, the key opens the API and the audit chain checks; damaged archives and occupied homes refused.
And `vocalis service install`: units that systemd itself accepts (`systemd-analyze verify`)."""

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from vocalis.service import SpeechRequest
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.cli import main
from vocalis.studio.webui.history import commit_entry, entries, new_entry
from vocalis.studio.webui.settings import SpeakSettings
from vocalis.trust.audit import AuditLog
from vocalis.trust.consent import consent_state, grant_written
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.library import library_voices, load_voice, save_voice
from vocalis.voice.voice import Voice


def _home_with_work(tts, tmp_path: Path) -> str:
    voice = Voice(name="narrator", style=builtin_voices()["jf_alpha"].style[:1] * 1.02, pitch_scale=1.1,
                  meta={"source": "clone"})
    save_voice(voice)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 the narrator agrees")
    grant_written(voice, document, "user:operator")
    for text in ("First line.", "Second line."):
        result = tts.render(SpeechRequest(text, voice="narrator"))
    entry_id, audio = new_entry()
    result.audio.save(audio)
    commit_entry(entry_id, "Second line.", SpeakSettings(voice="narrator"), audio, result.audio.duration, [])
    (Path(os.environ["VOCALIS_HOME"]) / "presets.json").write_text('{"calm": {"voice": "narrator"}}')
    return KeyStore().create("studio")


def test_a_backup_restores_into_an_empty_home_and_audits_clean(tts, tmp_path, monkeypatch, capsys):
    secret = _home_with_work(tts, tmp_path)
    records = AuditLog().verify().records
    assert records >= 3  # the consent and two renders
    archive = tmp_path / "home.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert f"to {archive} (0.0 MB): 1 voice files, {records} audit records, chain intact" in capsys.readouterr().err

    monkeypatch.setenv("VOCALIS_HOME", str(tmp_path / "new-machine"))
    assert library_voices() == []
    assert main(["restore", str(archive)]) == 0
    assert f"audit log: {records} records, chain intact" in capsys.readouterr().err
    voice = load_voice("narrator")
    assert consent_state(voice) == "granted"
    assert tts.render(SpeechRequest("It speaks again.", voice="narrator")).audio.duration > 0.5
    assert KeyStore().find(secret).name == "studio"  # the key still opens the API
    home = tmp_path / "new-machine"
    assert (home / "presets.json").read_text() == '{"calm": {"voice": "narrator"}}'
    [entry] = entries()  # the web UI's history: its record and its audio
    assert entry.text == "Second line." and entry.settings.voice == "narrator" and entry.audio.is_file()
    for private in ("trust.sqlite3", "api_keys.sqlite3", "history.sqlite3", "audit.key"):
        assert (home / private).stat().st_mode & 0o077 == 0, private
    assert AuditLog().verify().ok and AuditLog().verify().records == records + 1

    assert main(["restore", str(archive)]) == 2  # now occupied
    err = capsys.readouterr().err
    assert "already holds" in err and "--force" in err
    assert main(["restore", str(archive), "--force"]) == 0
    assert AuditLog().verify().records == records  # the archive's state, the render since replaced


def test_a_tampered_backup_is_refused_or_its_audit_flagged(tts, tmp_path, monkeypatch, capsys):
    _home_with_work(tts, tmp_path)
    archive = tmp_path / "home.tar.gz"
    assert main(["backup", str(archive)]) == 0

    damaged = tmp_path / "damaged.tar.gz"  # a voice file changed after the manifest was written
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("voices/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    monkeypatch.setenv("VOCALIS_HOME", str(tmp_path / "target"))
    assert main(["restore", str(damaged)]) == 2
    assert "does not match its checksum" in capsys.readouterr().err
    assert library_voices() == []  # nothing written
    assert main(["restore", str(tmp_path / "consent.pdf")]) == 2
    assert "not a readable Vocalis backup" in capsys.readouterr().err

    # An audit log edited before the backup: restored, and the restore says what was changed (exit 1).
    monkeypatch.setenv("VOCALIS_HOME", str(tmp_path / "edited"))
    assert main(["restore", str(archive)]) == 0
    with sqlite3.connect(tmp_path / "edited" / "trust.sqlite3") as db:
        db.execute("UPDATE audit_log SET text = 'something else' WHERE seq = 2")
    from vocalis.trust.db import release

    release()
    edited = tmp_path / "edited.tar.gz"
    assert main(["backup", str(edited)]) == 0
    monkeypatch.setenv("VOCALIS_HOME", str(tmp_path / "after-edit"))
    assert main(["restore", str(edited)]) == 1
    assert "TAMPERED: record 2 was edited" in capsys.readouterr().err


@pytest.mark.parametrize("user", [False, True])
@pytest.mark.parametrize("surface", ["serve", "webui"])
def test_systemd_units_verify(surface, user, tmp_path, monkeypatch, capsys):
    assert shutil.which("systemd-analyze"), "`make test` installs systemd (make systemd)"
    monkeypatch.setenv("VOCALIS_DB_URL", "postgresql+psycopg://vocalis@db.internal/vocalis")
    args = ["service", "install", surface, "--dir", str(tmp_path), *(["--user"] if user else [])]
    port = "8000" if surface == "serve" else "7860"
    assert main([*args, f"--args=--host 0.0.0.0 --port {port}"]) == 0
    assert "systemctl" + (" --user" if user else "") + " daemon-reload" in capsys.readouterr().err
    unit = tmp_path / f"vocalis-{surface}.service"
    text = unit.read_text()
    assert f"vocalis.studio.cli {surface} --host 0.0.0.0 --port {port}" in text and "Restart=always" in text
    assert f"Environment=VOCALIS_HOME={os.environ['VOCALIS_HOME']}" in text
    assert "Environment=VOCALIS_DB_URL=postgresql+psycopg://vocalis@db.internal/vocalis" in text
    assert ("WantedBy=default.target" if user else "WantedBy=multi-user.target") in text
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run(["systemd-analyze", *(["--user"] if user else []), "verify", str(unit)],
                            capture_output=True, text=True, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert verify.returncode == 0 and "ignoring" not in verify.stderr, verify.stderr  # no setting dropped

    unit.write_text(text.replace(sys.executable, "/nonexistent/python"))  # the check can fail
    broken = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert broken.returncode != 0 and "/nonexistent/python" in broken.stderr

    assert main([*args, "--args=--prot 1"]) == 2  # a mistake in the surface's arguments, caught now
    assert "unrecognized arguments: --prot" in capsys.readouterr().err
