"""English text normalisation: everything the G2P would otherwise guess at becomes plain words.

Order matters: phone numbers before anything splits their digits, then hibari's normaliser (times,
dates, units, titles, abbreviations, other currencies: misaki-compatible readings), then money,
percentages, ordinals, years and plain numbers via num2words (US style, no "and")."""

from __future__ import annotations

import re

from hibari.g2p.normalize import normalize as hibari_normalize
from num2words import num2words

DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
SCALES = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}
# Expanded before hibari, which keeps "Dr"/"Mr" for the lexicon; spelled out for readable text.
TITLES = {"Dr.": "Doctor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor"}
LATIN = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "approx.": "approximately",
}

RE_PHONE = re.compile(r"(?<![\w.])(\+\d{1,3}[ -]?)?(\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-])")
RE_TITLE = re.compile(rf"(?<!\w)({'|'.join(re.escape(t) for t in TITLES)}) ?(?=[A-Z])")
RE_LATIN = re.compile(rf"(?<!\w)({'|'.join(re.escape(t) for t in LATIN)})(?=\W|$)")
RE_MONEY = re.compile(
    r"([$£€])(\d+(?:,\d{3})*)(?:\.(\d{1,2}))?(?:\s?(hundred|thousand|million|billion|bn|[kKmMbB])\b)?"
)
RE_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?) ?%")
RE_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
RE_YEAR = re.compile(r"(?<![\w.,$£€])(1[1-9]\d\d|20\d\d)(s)?(?![\w.,]\d|\d)")
RE_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:,\d{3})*(?:\.\d+)?)(?!\w)")
RE_DIGITS = re.compile(r"\d+")
RE_SPACES = re.compile(r"\s+")


def cardinal(n: str) -> str:
    """'1,234' -> 'one thousand two hundred thirty-four'; '3.14' -> 'three point one four'."""
    n = n.replace(",", "")
    value = float(n) if "." in n else int(n)
    return num2words(value).replace(" and ", " ").replace(",", "")


def year(n: str, plural: bool = False) -> str:
    words = num2words(int(n), to="year").replace(" and ", " ").replace("oh-", "oh ")
    if not plural:
        return words
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _phone(m: re.Match[str]) -> str:
    country, rest = m.group(1), m.group(0)[len(m.group(1) or "") :]
    groups = [g for g in re.split(r"\D+", rest) if g]
    spoken = ", ".join(" ".join(DIGIT_WORDS[int(d)] for d in g) for g in groups)
    if country:
        spoken = "plus " + " ".join(DIGIT_WORDS[int(d)] for d in country if d.isdigit()) + ", " + spoken
    return spoken


def _money(m: re.Match[str]) -> str:
    sym, whole, cents, scale = m.groups()
    one, many, cent, cents_word = CURRENCIES[sym]
    if scale:
        scale = SCALES.get(scale.lower(), scale)
        amount = whole + (f".{cents}" if cents else "")
        return f"{cardinal(amount)} {scale} {many}"
    words = f"{cardinal(whole)} {one if whole == '1' else many}"
    if cents and int(cents):
        c = int(cents.ljust(2, "0"))
        words += f" {cardinal(str(c))} {cent if c == 1 else cents_word}"
    return words


def _number(m: re.Match[str]) -> str:
    return cardinal(m.group(1))


def normalise(text: str) -> str:
    """English text with numbers, dates, times, money, units and abbreviations in words."""
    text = RE_PHONE.sub(_phone, text)
    text = RE_TITLE.sub(lambda m: TITLES[m.group(1)] + " ", text)
    # The abbreviation's period also ends the sentence when nothing follows it.
    text = RE_LATIN.sub(lambda m: LATIN[m.group(1)] + ("." if m.end() == len(text.rstrip()) else ""), text)
    text = RE_MONEY.sub(_money, text)
    text = hibari_normalize(text)
    text = RE_PERCENT.sub(lambda m: cardinal(m.group(1)) + " percent", text)
    text = RE_ORDINAL.sub(lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = RE_YEAR.sub(lambda m: year(m.group(1), bool(m.group(2))), text)
    text = RE_NUMBER.sub(_number, text)
    text = RE_DIGITS.sub(lambda m: " ".join(DIGIT_WORDS[int(d)] for d in m.group(0)), text)
    return RE_SPACES.sub(" ", text).strip()
