"""`vocalis eval emotion` on the real emotional clips: the real-speech judge beats chance by a clear
margin leave-one-speaker-out, the features don't depend on how much silence surrounds the speech, and
a one-sentence, one-voice synthesis run produces every part of the report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from shared_data import MANIFEST, shared_data

from vocalis.audio import Audio
from vocalis.eval.cloning import read_manifest
from vocalis.eval.emotion import (
    CATEGORIES,
    emotional_clips,
    evaluate_real,
    feature_names,
    measure,
    print_report,
    write_json,
)
from vocalis.eval.emotion_measures import VOICED_RATE

ESD_ANGRY = "esd/0016/0016_000351.wav"
# Measured: 0.58 leave-one-speaker-out on the 93 clips of 8 speakers here (chance 0.20, always
# guessing the largest category 0.28). The bar leaves room for a different but similar set.
MIN_LOSO_ACCURACY = 0.40


@pytest.fixture(scope="module")
def data() -> tuple[Path, list[dict[str, str]]]:
    return read_manifest(shared_data(MANIFEST))


def test_clips_map_to_five_categories(data) -> None:
    clips, _ = emotional_clips(*data)
    assert {c.category for c in clips} == set(CATEGORIES)
    ravdess = [c for c in clips if c.speaker.startswith("ravdess/")]
    assert len(ravdess) == 9  # calm, disgust and fearful left out; neutral 1 + 2 each of the other four
    assert any(c.speaker.startswith("emovdb/") and c.category == "happy" for c in clips)  # amused


def test_silence_around_speech_does_not_change_the_features(data) -> None:
    audio = Audio.load(data[0] / ESD_ANGRY)
    silence = np.zeros(2 * audio.sample_rate, np.float32)
    padded = Audio(np.concatenate([silence, audio.samples, silence]), audio.sample_rate)
    plain, loose = measure(audio), measure(padded)
    assert plain.features.shape == (len(feature_names()),) == (88,)
    assert loose.speech_s == pytest.approx(plain.speech_s, abs=0.05)
    assert loose.level_db == pytest.approx(plain.level_db, abs=0.5)
    assert loose.feature(VOICED_RATE) == pytest.approx(plain.feature(VOICED_RATE), rel=0.05)


@pytest.mark.slow
def test_real_speech_classifier_beats_chance(data) -> None:
    report, classifier = evaluate_real(*data, progress=lambda _m: None)
    loso = report["loso"]
    assert loso["accuracy"] >= MIN_LOSO_ACCURACY, loso
    matrix = np.array(loso["confusion"])
    assert matrix.shape == (5, 5) and matrix.sum() == report["clips"]
    assert set(loso["per_speaker"]) == set(report["speakers"]) and len(report["speakers"]) >= 2
    assert list(classifier.classes_) == sorted(CATEGORIES)
    # the acoustic direction the issue describes, on real speech: angry is higher and louder
    angry = report["acoustics"]["median"]["angry"]
    assert angry["f0_st"] > 0 and angry["level_db"] > 0


@pytest.mark.slow
def test_short_synthesis_run_gives_a_complete_report(data, tts, tmp_path: Path, capsys) -> None:
    from vocalis.eval.emotion import evaluate_emotion

    report = evaluate_emotion(data[0], voices=["jm_kumo"], clone=False, sentences=1, tts=tts,
                              descriptions=False, progress=lambda _m: None)
    syn = report["synthesis"]
    assert [(r["voice"], r["emotion"]) for r in syn["renders"]] == [("jm_kumo", c) for c in CATEGORIES]
    assert all(r["predicted"] in CATEGORIES and math.isfinite(r["error_rate"]) for r in syn["renders"])
    assert 0 <= syn["hit_rate"] <= 1 and np.array(syn["confusion"]).sum() == 5
    assert set(syn["acoustics"]["median"]) == set(CATEGORIES[1:])
    assert all(-1 <= s["min"] <= s["mean"] <= 1 for s in syn["identity"].values())
    assert math.isfinite(syn["error_rates"]["emotional"]["wer"]) and math.isnan(syn["error_rates"]["emotional"]["cer"])
    assert syn["clone"] == {}
    assert set(syn["checks"]) == {"hit_rate", "angry_higher_louder", "sad_quieter_or_slower", "identity_min",
                                  "wer_emotional"}

    print_report(report)
    assert "hit rate" in capsys.readouterr().out
    out = tmp_path / "emotion.json"
    write_json(report, out)
    assert json.loads(out.read_text(encoding="utf-8"))["synthesis"]["renders"][0]["voice"] == "jm_kumo"
