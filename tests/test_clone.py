"""Cloning on real speech: a LibriSpeech reader becomes a library voice that speaks new text, sounds
more like the reader than the built-in pack it started from (judged by the independent d-vector
encoder, never used to fit), and bad references or names fail with a message before any work."""


import numpy as np
import pytest
from shared_data import SPEECH

from vocalis import Vocalis, VocalisError
from vocalis.asr import transcribe
from vocalis.studio.cli import main
from vocalis.text.error_rate import wer
from vocalis.trust.consent import ConsentError, grant_written
from vocalis.voice import resolve_voice
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.clone import START_PACKS
from vocalis.voice.library import library_voices
from vocalis.voice.reference import prepare_reference
from vocalis.voice.speaker import cosine, dvector_embedding

SPEAKER = SPEECH / "librispeech_test_other" / "1688"
TEXT = "We walked along the river and talked about the books we had read last summer."
# A reader whose clone once passed its probe sentences yet read new text at WER 0.27 (before the held-out check),
# and later passed a one-sentence held-out check yet read these plain sentences at WER 0.06 (16 sentences: 0.075),
# starting from jf_alpha. About 95 words, as one word moves WER by 1 %.
BROKEN_SPEAKER = SPEECH / "librispeech_test_other" / "367"
UNSEEN = ("The old bridge was closed for repairs, so we drove the long way around the lake. "
          "Please remember to water the plants while I am away next week. "
          "Nobody expected the little shop on the corner to sell so many books. "
          "After dinner we sat by the window and watched the rain fall over the city. "
          "My brother bought a new bicycle and rode it to work every morning. "
          "The children laughed when the puppy chased its own tail around the garden. "
          "We should check the weather before we leave for the mountains tomorrow. "
          "She found an old photograph of her grandmother hidden inside a book.")
pytestmark = pytest.mark.shared_data(SPEAKER, BROKEN_SPEAKER)


@pytest.fixture(scope="module")
def cloned(tts: Vocalis, tmp_path_factory):
    home = tmp_path_factory.mktemp("clone-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(home))
    clips = sorted(SPEAKER.glob("*.flac"))
    voice = tts.clone([clips[0]], name="reader-1688", lang="en")
    with pytest.raises(ConsentError, match="no consent record"):  # a new clone waits for its owner's consent
        tts.synthesize(TEXT, voice=voice)
    document = home / "authorisation.pdf"
    document.write_bytes(b"%PDF-1.4 the reader authorises a synthetic copy of their voice")
    grant_written(voice, document, "user:operator")
    yield voice, clips, home
    mp.undo()


@pytest.mark.slow
def test_clone_is_saved_with_its_provenance(cloned, monkeypatch):
    voice, clips, home = cloned
    monkeypatch.setenv("VOCALIS_HOME", str(home))
    assert [v.name for v in library_voices()] == ["reader-1688"]
    loaded = resolve_voice("reader-1688")
    assert loaded.style.shape == (510, 256) and loaded.pitch_scale == voice.pitch_scale  # a row per length
    meta = loaded.meta
    assert meta["source"] == "clone" and len(meta["reference_sha256"]) == 64 and meta["created_at"]
    assert meta["speech_s"] >= 3 and meta["start_pack"] in START_PACKS["en"]  # a pack that reads English clearly
    assert meta["steps"] >= 1 and meta["similarity"] >= meta["similarity_start"]
    assert loaded.speaker.shape == voice.speaker.shape and loaded.id == voice.id  # kept for spoken consent
    # The phoneme envelope learned from the reference (Whisper's text aligned to it) is saved with the clone.
    assert loaded.envelope is not None and np.array_equal(loaded.envelope, voice.envelope)
    assert 2 <= meta["envelope_from_s"] <= meta["speech_s"] + 1


@pytest.mark.slow
def test_clone_speaks_new_text_closer_to_the_speaker(cloned, tts, monkeypatch):
    voice, clips, home = cloned
    monkeypatch.setenv("VOCALIS_HOME", str(home))  # where its consent is recorded
    truth = dvector_embedding(prepare_reference([clips[1]]).audio)  # a clip the clone never heard
    speech = tts.synthesize(TEXT, voice=voice, lang="en")
    start = tts.synthesize(TEXT, voice=builtin_voices()[voice.meta["start_pack"]], lang="en")
    heard = transcribe(speech, lang="en")
    # Understood; "we had read" is this reader's clone's weak spot, heard "red red" or "where Dread" in some runs
    # (cloning is not bit-for-bit repeatable across runs here): 4 errors in 15 words.
    assert wer(TEXT, heard) <= 0.3, heard
    clone_sim, start_sim = cosine(dvector_embedding(speech), truth), cosine(dvector_embedding(start), truth)
    # Closer than the pack it started from: 0.66 vs 0.46 once seen; on the machine of this change 0.54-0.58 vs
    # 0.49-0.52 (the held-out sentence check pulls more fits back, and cloning is not repeatable run to run).
    assert clone_sim > start_sim, (clone_sim, start_sim)


@pytest.mark.slow  # a whole clone: ~35 s on 2 cores
def test_clone_stays_intelligible_on_text_it_never_saw(tts, monkeypatch):
    from vocalis.eval.cloning import grant_for_evaluation
    from vocalis.voice.clone import PROBES
    from vocalis.voice.intelligibility import HELD_OUT

    assert not {*PROBES["en"], *HELD_OUT["en"]} & {f"{t.strip('.')}." for t in UNSEEN.split(". ")}  # never heard
    clips = sorted(BROKEN_SPEAKER.glob("*.flac"))[:3]  # 16 s of speech, as a user might give
    messages: list[str] = []
    voice = tts.clone(clips, name="reader-367", lang="en", progress=messages.append)
    grant_for_evaluation(voice, SPEECH)
    heard = transcribe(tts.synthesize(UNSEEN, voice=voice, lang="en"), lang="en")
    assert wer(UNSEEN, heard) <= 0.05, (heard, voice.meta)  # the bar for instant clones on unseen text
    meta = voice.meta
    assert meta["held_out_errors"] <= 0.05
    assert (meta["guard"] is None) == (meta["kept"] == 1 and meta["pitch_scale"] == meta["pitch_reference"])
    if meta["guard"]:  # a pulled-back voice says so
        assert any(meta["guard"] in m for m in messages), messages


@pytest.mark.slow
def test_cli_says_with_a_cloned_voice(cloned, monkeypatch, tmp_path):
    _, _, home = cloned
    monkeypatch.setenv("VOCALIS_HOME", str(home))
    out = tmp_path / "hello.wav"
    assert main(["say", "Good morning.", "-v", "reader-1688", "-o", str(out), "-q"]) == 0
    assert out.stat().st_size > 10_000


def test_bad_requests_fail_before_any_work(tts, tmp_path, capsys):
    clip = sorted(SPEAKER.glob("*.flac"))[0]
    with pytest.raises(VocalisError, match="built-in voice"):
        tts.clone([clip], name="jm_kumo")
    with pytest.raises(VocalisError, match="not allowed"):
        tts.clone([clip], name="../evil")
    assert main(["clone", str(tmp_path / "missing.wav"), "--name", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing.wav" in err and len(err.splitlines()) == 1
