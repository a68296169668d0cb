"""Markup, segmentation, streaming and error handling of the text front-end."""

import logging
import tracemalloc

import pytest

from vocalis.errors import LanguageError, TextError
from vocalis.text import Segment, phonemize, segments


def test_pinyin_markup_overrides_reading() -> None:
    (seg,) = list(segments("他在{行|hang2}业工作。"))
    assert [s.pinyin for s in seg.syllables][2] == "hang2"
    assert "xa↗ŋ" in seg.phonemes
    assert "行" in seg.text and "{" not in seg.text


def test_multi_syllable_pinyin_markup() -> None:
    (seg,) = list(segments("我去{重庆|chong2 qing4}。"))
    assert [(s.pinyin, s.tone) for s in seg.syllables][-2:] == [("chong2", 2), ("qing4", 4)]
    for s in seg.syllables:
        assert seg.phonemes[s.start : s.end]


def test_phoneme_markup_for_english_word() -> None:
    (seg,) = list(segments("[Kokoro](/kˈOkəɹO/) is fast."))
    assert seg.phonemes.startswith("kˈOkəɹO ")
    assert seg.text == "Kokoro is fast."


def test_bad_markup_falls_back_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="vocalis.text"):
        (seg,) = list(segments("他{行|xyz9}走。"))
    assert "ignoring pinyin markup" in caplog.text
    assert [s.pinyin for s in seg.syllables] == ["ta1", "xing2", "zou3"]


@pytest.mark.parametrize(
    ("markup", "seconds"),
    [
        ("[pause 0.5s]", 0.5),
        ("[pause 300ms]", 0.3),
        ('<break time="500ms"/>', 0.5),
        ('<break time="1s"/>', 1.0),
    ],
)
def test_pause_markup_ends_segment(markup: str, seconds: float) -> None:
    segs = list(segments(f"Hello there {markup} and goodbye."))
    assert [s.text for s in segs] == ["Hello there", "and goodbye."]
    assert segs[0].pause_after == pytest.approx(seconds)


def test_natural_pauses() -> None:
    segs = list(segments("First sentence. Second one.\n\nNew paragraph."))
    assert [s.text for s in segs] == ["First sentence.", "Second one.", "New paragraph."]
    assert segs[0].pause_after < segs[1].pause_after
    assert segs[1].pause_after == segs[2].pause_after


def test_chinese_sentences_split() -> None:
    segs = list(segments("今天天气很好。我们去公园吧！好不好？"))
    assert [s.text for s in segs] == ["今天天气很好。", "我们去公园吧！", "好不好？"]


def test_abbreviations_do_not_split_sentences() -> None:
    assert len(list(segments("Dr. Smith met Mr. Jones. They talked."))) == 2


@pytest.mark.parametrize("limit", [20, 50, 120])
def test_max_phonemes_respected(limit: int) -> None:
    text = (
        "The quick brown fox jumps over the lazy dog, and then it runs far away into the dark forest "
        "without ever looking back at the farmer who is shouting loudly. "
    ) * 3
    segs = list(segments(text, max_phonemes=limit))
    assert all(len(s.phonemes) <= limit for s in segs)
    assert " ".join(s.text for s in segs).split() == " ".join(text.split()).split()


def test_clause_split_prefers_punctuation() -> None:
    segs = list(segments("我们今天去公园散步，然后去超市买东西，最后回家做饭吃。", max_phonemes=60))
    assert all(s.text.endswith(("，", "。")) for s in segs)
    assert all(len(s.phonemes) <= 60 for s in segs)
    assert all(0 <= y.start < y.end <= len(s.phonemes) for s in segs for y in s.syllables)


def test_long_text_streams() -> None:
    text = "This is a sentence that repeats. " * 3000  # about 100 000 characters
    tracemalloc.start()
    gen = segments(text)
    first = next(gen)
    count = 1
    for _ in range(200):
        next(gen)
        count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(first, Segment) and count == 201
    assert peak < 20_000_000


@pytest.mark.parametrize("text", ["", "   ", "...!?", "😀🎉", "[pause 1s]"])
def test_nothing_speakable(text: str) -> None:
    with pytest.raises(TextError):
        list(segments(text))


def test_unknown_language() -> None:
    with pytest.raises(LanguageError):
        segments("hello", lang="fr")


def test_unreadable_characters_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="vocalis.text"):
        out = phonemize("你好☃世界", "zh")
    assert out == "ni↗xau↓ ʂɨ↘ʨje↘"
    assert "cannot read" in caplog.text


def test_phonemize_joins_segments() -> None:
    assert phonemize("Hi. Bye.") == "hˈI. bˈI."
