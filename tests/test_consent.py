"""Consent on real speech: a reader's own recording of the phrase is accepted (Whisper hears the words, the
speaker check finds the reader), a stranger reading it and a synthetic copy are refused; a voice without
consent, or with consent revoked, is refused by the engine and the command line, with a message saying how to
add consent."""

import re
from pathlib import Path

import numpy as np
import pytest
from shared_data import MANIFEST, SPEECH

from vocalis import Vocalis
from vocalis.audio import Audio
from vocalis.studio.cli import main
from vocalis.trust import consent
from vocalis.trust.audit import AuditLog
from vocalis.trust.consent import ConsentError
from vocalis.trust.phrase import consent_phrase, words_matched
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.library import save_voice
from vocalis.voice.reference import prepare_reference
from vocalis.voice.speaker import reference_embedding
from vocalis.voice.voice import Voice

pytestmark = pytest.mark.shared_data(MANIFEST)
READER, STRANGER = "1988", "2412"  # LibriSpeech readers (CC BY 4.0) whose clips come with transcripts


def _clips(speaker: str) -> list[tuple[Path, str]]:
    rows = [line.split("\t") for line in MANIFEST.read_text().splitlines()[1:]]
    return sorted((SPEECH / r[0], r[6]) for r in rows if r[1] == "librispeech" and r[2] == speaker and r[6])


@pytest.fixture(scope="module")
def reader_speaker() -> np.ndarray:
    """What a clone of the reader keeps about its reference: three of their clips (13 s of speech)."""
    clips = [path for k, (path, _) in enumerate(_clips(READER)) if k != 1]
    return reference_embedding(prepare_reference(clips).audio)


def _voice(speaker: np.ndarray | None, name: str = "reader") -> Voice:
    """A library voice standing for a clone of the reader. Its style is a built-in pack's first row at another
    pitch (a clone's own style would take a minute to fit and changes nothing here): not a built-in voice."""
    voice = Voice(name=name, style=builtin_voices()["jm_kumo"].style[:1], pitch_scale=1.07, speaker=speaker,
                  meta={"source": "clone"})
    save_voice(voice)
    return voice


def _reading(speaker: str, k: int) -> tuple[Audio, str]:
    path, transcript = _clips(speaker)[k]
    return Audio.load(path), transcript


def test_phrase_names_the_voice_the_date_and_a_code():
    phrase = consent_phrase("ana", "en")
    assert phrase.startswith("I, ana, allow Vocalis") and re.search(r"code \d{4}\.$", phrase)
    assert "ana" in consent_phrase("ana", "zh") and "验证码" in consent_phrase("ana", "zh")
    heard = phrase.replace("I, ana,", "I Anna").replace("code ", "code, ")
    assert words_matched(phrase, heard, "en") >= 0.8
    assert words_matched(phrase, "I allow it", "en") < 0.5


def test_the_readers_own_recording_is_accepted_then_revoked(tts: Vocalis, reader_speaker):
    voice = _voice(reader_speaker)
    with pytest.raises(ConsentError, match="vocalis consent record reader"):
        tts.synthesize("Hello there.", voice="reader")
    recording, transcript = _reading(READER, 1)
    consent.issue_challenge(voice, phrase=transcript)  # the reader's own words stand for the phrase
    record, check = consent.record_spoken(voice, recording, "user:test")
    assert check.passed, check.problems
    assert check.words_matched >= 0.8 and check.similarity >= check.threshold
    assert record.kind == "spoken" and record.evidence["recording_sha256"]
    assert tts.synthesize("Hello there.", voice="reader").duration > 0.5
    events = [r.event for r in AuditLog().records()]
    assert "consent.spoken" in events and events[-1] == "synthesis"

    consent.revoke(voice, "user:test")
    with pytest.raises(ConsentError, match="revoked"):
        tts.synthesize("Hello there.", voice="reader")
    renamed = Voice(name="reader2", style=voice.style, pitch_scale=voice.pitch_scale, speaker=voice.speaker)
    with pytest.raises(ConsentError, match="revoked"):  # a copy under another name is the same voice
        tts.synthesize("Hello there.", voice=renamed)
    assert AuditLog().verify().ok


def test_a_stranger_reading_the_phrase_is_refused(reader_speaker):
    voice = _voice(reader_speaker)
    recording, transcript = _reading(STRANGER, 1)
    consent.issue_challenge(voice, phrase=transcript)
    record, check = consent.record_spoken(voice, recording, "user:test")
    assert record is None and consent.consent_for(voice) is None
    assert check.words_matched >= 0.8  # the words were right: the speaker was not
    assert check.similarity < check.threshold and any("does not sound like" in p for p in check.problems)


def test_wrong_words_are_refused(reader_speaker):
    voice = _voice(reader_speaker)
    challenge = consent.issue_challenge(voice)  # the real phrase, with its code: the clip does not say it
    recording, _ = _reading(READER, 1)
    record, check = consent.record_spoken(voice, recording, "user:test")
    assert record is None and check.words_matched < 0.8 and challenge.phrase.endswith(".")
    assert any("words heard" in p for p in check.problems)


def test_a_synthetic_recording_is_refused(tts: Vocalis, reader_speaker):
    """A clone cannot consent for its owner: Vocalis's own output carries its watermark."""
    voice = _voice(reader_speaker)
    challenge = consent.issue_challenge(voice)
    fake = tts.synthesize(challenge.phrase, voice="jm_kumo")
    record, check = consent.record_spoken(voice, fake, "user:test")
    assert record is None and check.watermarked and any("watermark" in p for p in check.problems)


def test_no_open_phrase_is_an_error(reader_speaker):
    voice = _voice(reader_speaker)
    recording, _ = _reading(READER, 1)
    with pytest.raises(ConsentError, match="no consent phrase is open"):
        consent.record_spoken(voice, recording, "user:test")


def test_built_in_voices_need_no_consent(tts: Vocalis):
    copy = Voice(name="copy", style=builtin_voices()["jf_nezumi"].style, language="en")  # judged by content
    assert consent.is_builtin(copy)
    with pytest.raises(ConsentError, match="built-in"):
        consent.issue_challenge(copy)


def test_cli_grant_show_revoke(tts: Vocalis, tmp_path, capsys):
    _voice(None, "ana")
    out = tmp_path / "ana.wav"
    assert main(["say", "Hello from Ana.", "-v", "ana", "-o", str(out), "-q"]) == 2
    assert "has no consent record" in capsys.readouterr().err and not out.exists()
    assert main(["consent", "show", "ana"]) == 1

    document = tmp_path / "authorisation.pdf"
    document.write_bytes(b"%PDF-1.4 signed authorisation for the voice ana")
    assert main(["consent", "grant", "ana", "--document", str(document)]) == 0
    assert main(["consent", "show", "ana"]) == 0
    shown = capsys.readouterr().out
    assert "written consent" in shown and "document_sha256" in shown
    assert main(["say", "Hello from Ana.", "-v", "ana", "-o", str(out), "-q"]) == 0 and out.exists()

    assert main(["consent", "revoke", "ana"]) == 0
    assert main(["say", "Hello from Ana.", "-v", "ana", "-o", str(out), "-q"]) == 2
    assert "revoked" in capsys.readouterr().err
    assert main(["audit", "verify"]) == 0


def test_cli_record_from_a_file_shows_the_phrase_first(reader_speaker, tmp_path, capsys):
    _voice(reader_speaker, "reader")
    clip = _clips(READER)[1][0]
    assert main(["consent", "record", "reader", "--audio", str(clip)]) == 1  # no phrase open yet: shown
    assert "I, reader, allow Vocalis" in capsys.readouterr().out
    assert main(["consent", "record", "reader", "--audio", str(clip)]) == 1  # the clip does not say it
    assert "refused: the words heard" in capsys.readouterr().err


def test_job_files_and_dubbing_refuse_it_before_rendering(tmp_path, capsys):
    _voice(None, "ana")
    job = tmp_path / "job.yaml"
    job.write_text("jobs:\n  - {text: First., output: a.wav, speaker_reference: jm_kumo}\n"
                   "  - {text: Second., output: b.wav, speaker_reference: ana}\n", encoding="utf-8")
    assert main(["run", str(job), "-q"]) == 2
    assert "has no consent record" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.wav"))  # the whole file is refused before the first job renders
    subs = tmp_path / "subs.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:02,000\nHello there.\n", encoding="utf-8")
    assert main(["dub", str(subs), "-v", "ana", "-o", str(tmp_path / "track.wav"), "-q"]) == 2
    assert "has no consent record" in capsys.readouterr().err and not (tmp_path / "track.wav").exists()
