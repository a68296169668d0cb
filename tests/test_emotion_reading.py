"""The emotion reading a video dub relies on ("original: angry 0.8 -> dubbed: angry 0.7"), on real speech: real
emotional clips against their speaker's label-free baseline, with and without a music bed under them, rendered
lines read back against the voice's own neutral delivery, and silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_data import MANIFEST, shared_data

from vocalis.audio import Audio
from vocalis.emotion import Emotion
from vocalis.emotion.reading import (
    EmotionReading,
    agrees,
    baseline_of,
    prosody_of,
    read_emotion,
    reading_from_dict,
)
from vocalis.eval.cloning import read_manifest
from vocalis.eval.ser import category, loop_sample, music_bed, with_bed
from vocalis.service.vocalis import PREVIEW_SENTENCES

# ESD speaker 0013 (English, 24 clips): its angry clip and a neutral one, read against the baseline of all its clips.
SPEAKER = ("esd", "0013")
ANGRY, NEUTRAL_CLIP = "esd/0013/0013_000351.wav", "esd/0013/0013_000001.wav"
HIGH_AROUSAL = {"angry", "happy", "surprised", "afraid"}
TEXT = "Please bring a warm coat, because the evenings near the lake can be cold."


@pytest.fixture(scope="module")
def speaker() -> dict[str, Audio]:
    root, rows = read_manifest(shared_data(MANIFEST))
    paths = [r["path"] for r in rows if (r["dataset"], r["speaker_id"]) == SPEAKER]
    assert ANGRY in paths and NEUTRAL_CLIP in paths and len(paths) >= 10
    return {p: Audio.load(Path(root) / p) for p in paths}


def test_silence_a_click_and_a_held_chord_read_neutral_with_no_intensity():
    rate = 16_000
    click = np.zeros(2 * rate, np.float32)
    click[rate: rate + 80] = 0.5
    silence, too_short = Audio(np.zeros(2 * rate, np.float32), rate), Audio(np.zeros(10, np.float32), rate)
    t = np.arange(2 * rate) / rate
    chord = sum(np.sin(2 * np.pi * f * h * t) / h for f in (110, 138.6, 164.8) for h in range(1, 6))  # held, no voice
    for audio in (silence, Audio(click, rate), too_short, Audio((0.1 * chord).astype(np.float32), rate)):
        assert prosody_of(audio) is None
    reading = read_emotion(None)
    assert reading.label == "neutral" and reading.intensity == 0 and reading.emotion.is_neutral
    assert reading.text() == "neutral"


def test_an_angry_clip_reads_aroused_against_its_speakers_baseline(speaker):
    prosodies = {p: prosody_of(a) for p, a in speaker.items()}
    baseline = baseline_of([p for p in prosodies.values() if p is not None], one_speaker=True)
    angry, neutral = read_emotion(prosodies[ANGRY], baseline), read_emotion(prosodies[NEUTRAL_CLIP], baseline)
    assert angry.label in HIGH_AROUSAL and angry.intensity > neutral.intensity, (angry, neutral)
    assert neutral.label == "neutral" and neutral.intensity == 0
    assert angry.emotion.vector.max() == pytest.approx(angry.intensity) and angry.text().startswith(angry.label)
    again = reading_from_dict(angry.as_dict())  # what a resumed dub reads back from its store
    assert again.label == angry.label and again.text() == angry.text()
    assert np.allclose(again.emotion.vector, angry.emotion.vector, atol=1e-4)


def test_a_music_bed_does_not_flip_the_angry_clip_to_neutral(speaker):
    """10 dB under the speech, under every clip of the speaker (the baseline is read under it too)."""
    bedded = {p: prosody_of(with_bed(a, seed=k)) for k, (p, a) in enumerate(speaker.items())}
    baseline = baseline_of([p for p in bedded.values() if p is not None], one_speaker=True)
    reading = read_emotion(bedded[ANGRY], baseline)
    assert reading.label in HIGH_AROUSAL, reading
    clean = prosody_of(speaker[ANGRY])
    assert abs(12 * np.log2(bedded[ANGRY].f0_hz / clean.f0_hz)) < 1.0  # the bed's chords are not taken for the voice


def test_the_bed_is_10_db_under_the_speech(speaker):
    audio = speaker[ANGRY]
    bed = with_bed(audio).samples.astype(np.float64) - audio.samples
    snr = 10 * np.log10(np.mean(audio.samples.astype(np.float64) ** 2) / np.mean(bed ** 2))
    assert snr == pytest.approx(10, abs=0.2)
    assert np.std(music_bed(16_000, 16_000)) == pytest.approx(1, abs=1e-6)


def test_a_line_rendered_angry_reads_angrier_than_the_same_line_neutral(tts):
    own = baseline_of([prosody_of(tts.synthesize(PREVIEW_SENTENCES["en"], voice="jm_kumo"))], own=True)
    neutral = read_emotion(prosody_of(tts.synthesize(TEXT, voice="jm_kumo")), own)
    angry = read_emotion(prosody_of(tts.synthesize(TEXT, voice="jm_kumo", emotion=Emotion.of(angry=1))), own)
    assert neutral.label == "neutral", neutral
    assert angry.label in HIGH_AROUSAL and angry.intensity > neutral.intensity, angry
    assert agrees(angry, angry) and not agrees(angry, neutral) and agrees(neutral, neutral)


def test_baselines_shrink_towards_the_norms_and_split_by_sex():
    from vocalis.emotion.from_audio import ClipProsody

    high = ClipProsody(f0_hz=150.0, range_st=3.0, tempo=3.0, tilt_db=-9.0)
    one, many = baseline_of([high], one_speaker=True), baseline_of([high] * 30, one_speaker=True)
    assert many.norm_for(150).f0_hz > one.norm_for(150).f0_hz > 117  # one window is a quarter of the evidence
    assert read_emotion(high, many).label == "neutral"  # the speaker's own typical window is neutral for them
    video = baseline_of([high] * 5 + [ClipProsody(230.0, 3.0, 3.0, -9.0)] * 5)
    assert set(video.groups) == {"male", "female"} and video.norm_for(240).f0_hz > 200


def test_product_labels_map_to_the_five_categories_and_the_loop_sample_spreads_speakers():
    def reading(label: str) -> EmotionReading:
        return EmotionReading(label, 0.8, Emotion.of(**{label: 0.8}) if label != "neutral" else Emotion.neutral())

    assert [category(reading(x)) for x in ("calm", "melancholic", "afraid", "neutral")] == \
        ["neutral", "sad", "other", "neutral"]
    root, rows = read_manifest(shared_data(MANIFEST))
    from vocalis.eval.emotion_judge import emotional_clips

    sample = loop_sample(emotional_clips(root, rows)[0])
    assert len(sample) <= 30 and len({c.speaker for c in sample if c.category == "angry"}) >= 3
