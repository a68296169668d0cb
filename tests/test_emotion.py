"""Emotion control on the real model: the acoustic direction measured on the audio, identity kept
(independent d-vector encoder), words still recognised (Whisper)."""

import librosa
import numpy as np
import pytest

from vocalis.asr import transcribe
from vocalis.emotion import EMOTIONS, Emotion, blend
from vocalis.emotion.control import emotion_control
from vocalis.emotion.from_audio import emotion_from_audio
from vocalis.emotion.prosody import ProsodyShift, prosody_shift
from vocalis.errors import VocalisError
from vocalis.text.error_rate import wer
from vocalis.voice.speaker import cosine, dvector_embedding

TEXT = "Please bring a warm coat, because the evenings near the lake can be cold."


def _pitch_st(audio) -> float:
    x = audio.resample(16000).samples
    f0, voiced, _ = librosa.pyin(x, fmin=60, fmax=600, sr=16000, frame_length=1024)
    return float(12 * np.log2(np.median(f0[voiced])))


def _level_db(audio) -> float:
    x = audio.samples[: len(audio.samples) // 480 * 480].reshape(-1, 480)
    energy = (x**2).mean(axis=1)
    return float(10 * np.log10(energy[energy > energy.max() * 1e-3].mean()))


@pytest.fixture(scope="module")
def renders(tts):
    return {name: tts.synthesize(TEXT, voice="jm_kumo", emotion=None if name == "neutral" else Emotion.of(**{name: 1}))
            for name in ("neutral", "angry", "sad")}


def test_angry_is_higher_and_louder_sad_is_slower_and_quieter(renders):
    neutral, angry, sad = renders["neutral"], renders["angry"], renders["sad"]
    # Real angry speech (ESD) is ~2 semitones higher and 5-8 dB louder than the speaker's neutral.
    assert _pitch_st(angry) - _pitch_st(neutral) >= 1.5
    assert 4 <= _level_db(angry) - _level_db(neutral) <= 9
    assert _level_db(sad) < _level_db(neutral) - 2
    assert sad.duration > 1.1 * neutral.duration


def test_emotion_keeps_the_speaker_and_the_words(renders):
    neutral = dvector_embedding(renders["neutral"])
    for name in ("angry", "sad"):
        assert cosine(dvector_embedding(renders[name]), neutral) >= 0.65, name
        assert wer(TEXT, transcribe(renders[name], lang="en")) <= 0.15, name


def test_weight_scales_and_zero_is_neutral():
    full, half = prosody_shift(Emotion.of(angry=1)), prosody_shift(Emotion.of(weight=0.5, angry=1))
    assert half.pitch_st == pytest.approx(full.pitch_st / 2)
    assert half.loudness_db == pytest.approx(full.loudness_db / 2)
    assert prosody_shift(Emotion.of(weight=0, angry=1)) == ProsodyShift()
    assert prosody_shift(None).is_zero


def test_parse_blend_and_errors():
    e = Emotion.parse("happy=0.8, sad=0.2", weight=0.5)
    assert e.vector[EMOTIONS.index("happy")] == pytest.approx(0.8) and e.weight == 0.5
    assert str(e) == "happy=0.80,sad=0.20 (weight 0.50)"
    mixed = blend([(Emotion.of(happy=1), 0.3), (Emotion.of(sad=1), 0.7)])
    assert mixed.vector[EMOTIONS.index("sad")] == pytest.approx(0.7)
    for bad in ("joyful=1", "happy=lots", "happy=2", ""):
        with pytest.raises(VocalisError):
            Emotion.parse(bad)
    with pytest.raises(VocalisError, match="weight"):
        Emotion.of(weight=1.5, happy=1)


def test_sources_fuse_by_share():
    e = emotion_control(vector="happy=1", text="very sad, in tears", shares={"vector": 0.25, "text": 0.75}, weight=0.8)
    assert e.weight == 0.8
    assert e.vector[EMOTIONS.index("sad")] > e.vector[EMOTIONS.index("happy")] > 0
    assert emotion_control() is None
    with pytest.raises(VocalisError, match="no such emotion source"):
        emotion_control(vector="happy=1", shares={"audio": 1})


def test_emotion_from_a_clip_reads_its_prosody(tts, tmp_path):
    """A clip spoken with a wide, high pitch reads as a high-arousal emotion and a low, flat one as a
    low-arousal one: the clip's prosody, whoever speaks it."""
    bright = tts.synthesize(TEXT, voice="jf_alpha", emotion=Emotion.of(surprised=1)).save(tmp_path / "b.wav")
    dull = tts.synthesize(TEXT, voice="jf_alpha", emotion=Emotion.of(melancholic=1)).save(tmp_path / "d.wav")
    high = [EMOTIONS.index(e) for e in ("happy", "angry", "afraid", "surprised")]
    low = [EMOTIONS.index(e) for e in ("sad", "melancholic", "calm", "disgusted")]
    b, d = emotion_from_audio(bright).vector, emotion_from_audio(dull).vector
    assert b[high].sum() > b[low].sum()
    assert d[low].sum() > d[high].sum()
