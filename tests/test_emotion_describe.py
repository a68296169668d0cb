"""Emotion descriptions on the real USE encoder: accuracy on the held-out list, intensity words,
the documented mapping decisions, and the edge cases."""

import numpy as np
import pytest

from vocalis.emotion import EMOTIONS, Emotion
from vocalis.emotion.describe import PLAIN, describe, describe_scores
from vocalis.errors import VocalisError
from vocalis.eval.emotion_descriptions import print_description_report, score_descriptions


def top(emotion: Emotion) -> str:
    return EMOTIONS[int(np.argmax(emotion.vector))]


def test_held_out_descriptions_score_85_percent_in_each_language():
    report = score_descriptions()
    assert report["count"]["en"] >= 60 and report["count"]["zh"] >= 60
    assert report["accuracy"]["en"] >= 0.85, report["misses"]
    assert report["accuracy"]["zh"] >= 0.85, report["misses"]
    confusion = report["confusion"]
    assert sum(confusion[e][p] for e in EMOTIONS for p in EMOTIONS) == report["count"]["overall"]


def test_report_prints_accuracy_and_misses(capsys):
    print_description_report({"count": {"en": 2, "overall": 2}, "accuracy": {"en": 0.5, "overall": 0.5},
                              "confusion": {e: dict.fromkeys(EMOTIONS, 0) for e in EMOTIONS},
                              "misses": [{"lang": "en", "expected": "sad", "predicted": "calm", "description": "x"}]})
    out = capsys.readouterr().out
    assert "50.0%" in out and "sad -> calm: x" in out


def test_result_is_an_emotion_of_weight_one():
    emotion = describe("whispering sadly")
    assert isinstance(emotion, Emotion)
    assert emotion.vector.shape == (len(EMOTIONS),) and emotion.weight == 1.0
    assert top(emotion) == "sad"


@pytest.mark.parametrize(("slight", "plain", "strong"), [
    ("slightly angry", "angry", "extremely angry"),
    ("有点生气", "生气", "非常生气"),
    ("a little scared", "scared", "very scared"),
])
def test_intensity_words_scale_the_top_value(slight, plain, strong):
    values = [describe(t) for t in (slight, plain, strong)]
    assert {top(e) for e in values} == {top(values[1])}
    peaks = [float(e.vector.max()) for e in values]
    assert peaks[0] < peaks[1] <= peaks[2]


@pytest.mark.parametrize(("text", "emotion"), [
    ("冷冷地说", "disgusted"),
    ("coldly", "disgusted"),
    ("sarcastic", "disgusted"),
    ("whispering", "calm"),
    ("bored", "melancholic"),
    ("nervous", "afraid"),
    ("excited", "happy"),
    ("shocked", "surprised"),
    ("tender", "calm"),
])
def test_documented_mapping_decisions(text, emotion):
    assert top(describe(text)) == emotion


def test_a_second_named_emotion_gets_a_smaller_share():
    emotion = describe("angrily, voice shaking")
    assert top(emotion) == "angry"
    shares = dict(zip(EMOTIONS, emotion.vector, strict=True))
    assert 0 < shares["afraid"] < shares["angry"]


@pytest.mark.parametrize("text", ["the quarterly report", "季度报告", "neutral", "正常地读", "not angry", "不害怕"])
def test_texts_asking_for_no_emotion_read_plainly(text):
    assert describe(text) == PLAIN


def test_scores_explain_the_choice():
    scores = describe_scores("有点害怕")
    assert next(iter(scores)) == "afraid"
    assert "neutral" in scores


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_description_is_an_error(text):
    with pytest.raises(VocalisError, match="describe"):
        describe(text)
