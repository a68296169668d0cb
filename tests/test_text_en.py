"""English front-end: normalisation words and G2P phonemes (real hibari lexicons, tagger, OOV net)."""

import re

import pytest

from vocalis.text import detect_language, phonemize, segments
from vocalis.text.normalise_en import normalise
from vocalis.text.vocab import vocab


def speak(text: str) -> str:
    return " ".join(s.phonemes for s in segments(text, "en"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("In 1999.", "In nineteen ninety-nine."),
        ("In 2024.", "In twenty twenty-four."),
        ("In 2000 and 2005.", "In two thousand and two thousand five."),
        ("In the 1990s.", "In the nineteen nineties."),
        ("1,234 people.", "one thousand two hundred thirty-four people."),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("The 21st century.", "The twenty-first century."),
        ("On 2024-05-01.", "On May first, twenty twenty-four."),
        ("On 5/1/2024.", "On May first, twenty twenty-four."),
        ("May 1st.", "May first."),
        ("At 3:30 pm.", "At three thirty P.M."),
        ("At 14:05.", "At fourteen oh five."),
        ("It costs $3.50.", "It costs three dollars fifty cents."),
        ("It costs $1.", "It costs one dollar."),
        ("It costs £20.", "It costs twenty pounds."),
        ("It costs €1.2 million.", "It costs one point two million euros."),
        ("Up 50%.", "Up fifty percent."),
        ("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
        ("Call +1 555 123 4567.", "Call plus one, five five five, one two three, four five six seven."),
        ("Call (555) 123-4567.", "Call five five five, one two three, four five six seven."),
        ("Drive 60 mph for 10 km.", "Drive sixty miles per hour for ten kilometers."),
        ("He weighs 80 kg.", "He weighs eighty kilograms."),
        ("It is 25°C.", "It is twenty-five degrees Celsius."),
        ("Dr. Smith lives on Baker St. today.", "Doctor Smith lives on Baker Street today."),
        ("Mr. Jones came.", "Mister Jones came."),
        ("Apples, e.g. red ones, etc.", "Apples, for example red ones, et cetera."),
    ],
)
def test_normalise(text: str, words: str) -> None:
    assert normalise(text) == words


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("I will read it tomorrow.", "ɹˈid"),
        ("Yesterday I read a book.", "ɹˈɛd"),
        ("Lead the way.", "lˈid"),
        ("I live here.", "lˈɪv"),
        ("A live concert.", "lˈIv"),
        ("Record the song.", "ɹəkˈɔɹd"),
        ("A new record.", "ɹˈɛkəɹd"),
        ("Wind the clock.", "wˈInd"),
        ("The wind blows.", "wˈɪnd"),
        ("A tear fell.", "tˈɪɹ"),
        ("Don't tear it.", "tˈɛɹ"),
        ("He plays bass.", "bˈAs"),
        ("Close the door.", "klˈOz"),
        ("It is close.", "klˈOs"),
        ("Present the award.", "pɹizˈɛnt"),
        ("A nice present.", "pɹˈɛzᵊnt"),
        ("A strange object.", "ˈɑbʤəkt"),
        ("Wait a minute.", "mˈɪnət"),
        ("The wound healed.", "wˈund"),
        ("He wound the rope.", "wˈWnd"),
        ("A desert island.", "dˈɛzəɹt"),
        ("Do not desert me.", "dəzˈɜɹt"),
        ("The content is good.", "kˈɑntɛnt"),
        ("Fresh produce.", "pɹˈOdˌus"),
        ("They produce cars.", "pɹədˈus"),
    ],
)
def test_heteronyms(text: str, key: str) -> None:
    assert key in re.findall(r"[^\s,.!?;:]+", speak(text))


def test_phonemes_exact() -> None:
    assert speak("Call 555-123-4567.") == "kˈɔl fˈIv fˈIv fˈIv, wˈʌn tˈu θɹˈi, fˈɔɹ fˈIv sˈɪks sˈɛvən."
    assert speak("It costs $3.50.") == "ˌɪt kˈɔsts θɹˈi dˈɑləɹz fˈɪfti sˈɛnts."


def test_only_vocab_characters() -> None:
    allowed = set(vocab())
    text = "Hello “world” (really)! It's 3:30 — isn't it? Zyxqor flibbertigibbet; naïve café…"
    assert set(phonemize(text, "en")) <= allowed


def test_detect_language() -> None:
    assert detect_language("Hello there, how are you?") == "en"
    assert detect_language("I visited 北京 last year with my family.") == "en"
    assert detect_language("我用iPhone拍照") == "zh"
    assert detect_language("今天天气很好。") == "zh"


def test_segment_text_is_normalised() -> None:
    (seg,) = list(segments("Dr. Smith paid $5."))
    assert seg.text == "Doctor Smith paid five dollars."
    assert seg.lang == "en"
    assert seg.syllables == ()


def test_bass_fish_context() -> None:
    assert "bˈæs" in speak("We caught a sea bass.")
