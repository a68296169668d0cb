"""`vocalis verify`: a file from `vocalis say` shows a trusted manifest, both watermarks and its audit record;
a re-encoded copy loses the manifest but keeps the watermarks; one changed byte breaks the manifest; a trusted
manifest names its audit record where the ID watermark is unreadable; a real recording shows no mark (exit 1);
an unreadable file is an error (exit 2)."""

import hashlib
import json
from pathlib import Path

import pytest
from shared_data import SPEECH

from vocalis.audio import Audio, to_pcm16
from vocalis.studio.cli import main
from vocalis.trust.audit import AuditLog
from vocalis.trust.provenance import Credentials, sign_file

TEXT = "Every file we make says that a machine made it."
REAL = SPEECH / "librispeech_test_other" / "2033"


@pytest.fixture
def said(tmp_path) -> Path:
    out = tmp_path / "said.wav"
    assert main(["say", TEXT, "-o", str(out), "-q"]) == 0
    return out


def _report(path: Path, capsys) -> tuple[int, dict]:
    code = main(["verify", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_fresh_output_shows_every_mark(said, capsys):
    code, report = _report(said, capsys)
    assert code == 0 and report["vocalis_mark_found"]
    assert report["c2pa"]["state"] == "trusted"
    assert report["c2pa"]["credentials"]["voice"] == "jm_kumo"
    assert report["watermarks"]["perth"]
    record = AuditLog().records()[-1]
    assert report["watermarks"]["id"] == record.mark_id == report["c2pa"]["credentials"]["watermark_id"]
    assert report["audit_records"][0]["text"] == TEXT and report["exact_output_of_record"]
    assert main(["verify", str(said)]) == 0
    text = capsys.readouterr().out
    assert "C2PA manifest: valid, signed by a trusted signer" in text and f"audit record #{record.seq}" in text


def test_a_reencoded_copy_keeps_its_watermarks(said, tmp_path, capsys):
    mp3 = tmp_path / "copy.mp3"
    Audio.load(said).save(mp3)  # a plain re-encode: no manifest travels with it
    code, report = _report(mp3, capsys)
    assert code == 0 and report["c2pa"]["state"] == "absent"
    assert report["watermarks"]["perth"] and report["watermarks"]["id"] == AuditLog().records()[-1].mark_id
    assert not report["exact_output_of_record"]


def test_one_changed_byte_breaks_the_manifest(said, capsys):
    data = bytearray(said.read_bytes())
    data[-1000] ^= 0x01  # one bit of one sample, far from the manifest at the front
    said.write_bytes(bytes(data))
    code, report = _report(said, capsys)
    assert report["c2pa"]["state"] == "invalid" and report["c2pa"]["errors"]
    assert code == 0  # the watermarks are still found


@pytest.mark.shared_data(REAL)
def test_a_trusted_manifest_names_the_record_when_the_id_watermark_is_unreadable(tmp_path, capsys):
    # an unmarked recording stands for an output too short to hold the ID watermark
    audio = Audio.load(sorted(REAL.glob("*.flac"))[0])
    log, mark_id = AuditLog(), 0x5A5A1234
    log.append("synthesis", "user:test", voice="jm_kumo", voice_id="v", text="short", params={},
               output_sha256=hashlib.sha256(to_pcm16(audio.samples).tobytes()).hexdigest(), mark_id=mark_id)
    path = tmp_path / "short.wav"
    audio.save(path)
    assert sign_file(path, Credentials(voice="jm_kumo", voice_id="v", model="test", watermark_id=mark_id))
    code, report = _report(path, capsys)
    assert code == 0 and report["watermarks"]["id"] is None
    assert report["audit_record_from"] == "manifest" and report["audit_records"][0]["mark_id"] == mark_id
    assert report["exact_output_of_record"]

    Audio.load(path).save(path)  # re-encoded: no manifest, no id, so no record is claimed
    code, report = _report(path, capsys)
    assert report["audit_records"] == [] and report["audit_record_from"] is None


@pytest.mark.shared_data(REAL)
def test_a_real_recording_has_no_mark(capsys):
    code, report = _report(sorted(REAL.glob("*.flac"))[0], capsys)
    assert code == 1 and not report["vocalis_mark_found"] and report["watermarks"]["id"] is None


def test_an_unreadable_file_is_an_error(tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    assert main(["verify", str(bad)]) == 2
    assert main(["verify", str(tmp_path / "missing.wav")]) == 2
    assert "cannot read" in capsys.readouterr().err
