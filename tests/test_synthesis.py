"""End to end on the real model, judged by Whisper base and by sample counts."""

import numpy as np
import pytest

from vocalis import Audio, Voice
from vocalis.acoustic.stages import FRAME
from vocalis.asr import transcribe
from vocalis.errors import LanguageError, TextError, VocalisError, VoiceError
from vocalis.text.error_rate import cer, wer

EN = "The quick brown fox jumps over the lazy dog, and then it runs into the forest."
ZH = "今天天气很好，我们一起去公园散步吧。"


def test_english_is_intelligible(tts):
    audio = tts.synthesize(EN)
    assert audio.sample_rate == 24000
    assert 2.5 < audio.duration < 9
    assert wer(EN, transcribe(audio, lang="en")) <= 0.1


def test_mandarin_is_intelligible(tts):
    audio = tts.synthesize(ZH)
    assert cer(ZH, transcribe(audio, lang="zh")) <= 0.15


def test_stream_yields_segments_whose_lengths_are_their_frames(tts):
    chunks = list(tts.stream("First, a short sentence. Then another one follows it! And a third?"))
    assert len(chunks) >= 3
    for c in chunks:
        speech = FRAME * int(c.prosody.durations.sum())
        pause = 0 if c is chunks[-1] else round(c.segment.pause_after * c.audio.sample_rate)
        assert len(c.audio.samples) == speech + pause
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert starts[-1] == pytest.approx(sum(c.audio.duration for c in chunks[:-1]))


def test_speed_changes_length_not_words(tts):
    slow = tts.synthesize(EN, speed=0.8)
    fast = tts.synthesize(EN, speed=1.6)
    assert fast.duration < 0.7 * slow.duration
    assert wer(EN, transcribe(fast, lang="en")) <= 0.2


def test_voices_differ_and_voice_files_round_trip(tts, tmp_path):
    kumo = tts.synthesize("Good morning.", voice="jm_kumo")
    alpha = tts.synthesize("Good morning.", voice="jf_alpha")
    assert not np.array_equal(kumo.samples[:1000], alpha.samples[:1000])
    from vocalis.voice import resolve_voice

    path = resolve_voice("jm_kumo").save(tmp_path / "mine")
    loaded = Voice.load(path)
    assert loaded.id == resolve_voice("jm_kumo").id and loaded.language == "en"
    again = tts.synthesize("Good morning.", voice=path)
    # The same speech; only the watermark's id (new for every output) differs.
    assert len(again.samples) == len(kumo.samples)
    assert np.corrcoef(again.samples, kumo.samples)[0, 1] > 0.9


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".ogg"])
def test_save_formats(tts, tmp_path, ext):
    audio = tts.synthesize("Testing one two three.")
    path = audio.save(tmp_path / f"out{ext}")
    back = Audio.load(path)
    assert back.sample_rate == 24000
    assert abs(back.duration - audio.duration) < 0.1  # mp3/ogg codecs pad a little


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": ""}, TextError),
        ({"text": "   \n"}, TextError),
        ({"text": "!!! ... ???"}, TextError),
        ({"text": "😀🎉👍"}, TextError),
        ({"text": "Hello", "voice": "nobody"}, VoiceError),
        ({"text": "Hello", "lang": "fr"}, LanguageError),
        ({"text": "Hello", "speed": 5.0}, VocalisError),
        ({"text": "a" * 300_000}, TextError),
    ],
)
def test_bad_input_is_a_clear_error(tts, kwargs, error):
    with pytest.raises(error):
        tts.synthesize(**kwargs)


def test_stream_checks_the_request_at_the_call(tts):
    # Nothing is iterated: a bad request must fail before any rendering starts.
    with pytest.raises(TextError):
        tts.stream("😀😀")
    with pytest.raises(VoiceError):
        tts.stream("Hello", voice="nobody")
