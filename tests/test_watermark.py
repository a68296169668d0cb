"""The two watermarks on what the engine streams: the ID mark decodes the audit record's id from the joined
chunks, after MP3 and after losing half; Perth says "marked"; unmarked real speech shows neither; silence
stays silent."""


import numpy as np
import pytest
from shared_data import shared_data

from vocalis.audio import Audio
from vocalis.trust.idmark import detect_id
from vocalis.trust.perth import PERTH_THRESHOLD
from vocalis.trust.watermark import mark, read_marks

TEXT = "Please call Stella. Ask her to bring these things with her from the store, and meet us at the station."
# unmarked real speech: English and Mandarin, read and conversational, 2 s to 30 s
REAL = ["librispeech_test_other/1688/1688-142285-0000.flac", "ljspeech/LJ/LJ001-0001.wav",
        "aishell1/S0764/BAC009S0764W0121.wav", "aishell2/IT0011/IT0011W0001.wav", "jfk_speech/JFK/jfk.flac"]


@pytest.fixture(scope="module")
def streamed(tts) -> tuple[Audio, int]:
    """A render as a listener gets it: the engine marks each chunk apart, the listener joins them."""
    chunks = list(tts.stream(TEXT, voice="jf_tebukuro"))
    assert len(chunks) >= 2
    return Audio.concat([c.audio for c in chunks]), chunks[0].credentials.watermark_id


def test_marked_stream_carries_its_id_and_perth(streamed):
    audio, mark_id = streamed
    marks = read_marks(audio)
    assert marks.id == mark_id
    assert marks.perth and marks.perth_score >= PERTH_THRESHOLD


def test_id_survives_mp3_and_losing_half(streamed, tmp_path):
    audio, mark_id = streamed
    mp3 = Audio.load(audio.save(tmp_path / "out.mp3"))
    assert detect_id(mp3) is not None and detect_id(mp3).id == mark_id
    half = len(audio.samples) // 2
    for part in (audio.samples[:half], audio.samples[half:]):
        found = detect_id(Audio(part, audio.sample_rate))
        assert found is not None and found.id == mark_id


@pytest.mark.parametrize("path", REAL)
def test_unmarked_real_speech_shows_no_mark(path):
    marks = read_marks(Audio.load(shared_data(path) / path))
    assert marks.id is None
    assert not marks.perth


def test_silence_passes_through():
    rate = 24_000
    silence = np.zeros(rate, np.float32)
    assert np.array_equal(mark(silence, rate, 12345), silence)
    # a chunk with silent edges: the marks stay off the silence, apart from a window's reach into it
    t = np.arange(rate, dtype=np.float32) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * np.sin(np.pi * t)
    chunk = np.concatenate([silence, tone, silence]).astype(np.float32)
    out = mark(chunk, rate, 12345)
    assert len(out) == len(chunk) and np.all(np.isfinite(out))
    reach = int(0.1 * rate)
    assert np.max(np.abs(out[: rate - reach])) < 1e-5 and np.max(np.abs(out[2 * rate + reach:])) < 1e-5
