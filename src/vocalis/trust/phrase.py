"""The consent phrase a voice's owner says aloud, and how much of it a transcript holds.

A fresh random code makes each phrase new, so an old recording cannot be replayed; the date and the voice's
name tie it to this voice and this day. Matching is tolerant (Whisper base mishears some words, and people
read numbers their own way): it counts the phrase's words found in order in the transcript, after writing
every number as single digits on both sides ("4831", "4 8 3 1" and "four eight three one" all read alike).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

MIN_WORDS_MATCHED = 0.8  # share of the phrase's words (Mandarin: characters) the transcript must hold

_EN_DIGITS = {w: str(d) for d, w in enumerate("zero one two three four five six seven eight nine".split())}
_EN_DIGITS["oh"] = "0"
_ZH_DIGITS = {c: str(d) for d, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "两": "2"}
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)\b")


def consent_phrase(name: str, lang: str, day: date | None = None, code: str | None = None) -> str:
    """The phrase to say, with a new random 4-digit code unless one is given."""
    day = day or date.today()
    code = code or f"{secrets.randbelow(10_000):04d}"
    if lang == "zh":
        return f"我，{name}，同意 Vocalis 在{day.year}年{day.month}月{day.day}日创建我声音的合成副本，验证码{code}。"
    return (f"I, {name}, allow Vocalis to create a synthetic copy of my voice on {day:%B} {day.day}, {day.year}, "
            f"code {code}.")


def tokens(text: str, lang: str) -> list[str]:
    """Words (Mandarin: characters) in a comparable form: lower case, no punctuation, digits one by one."""
    text = unicodedata.normalize("NFKC", text).lower()
    if lang == "zh":
        chars = [_ZH_DIGITS.get(c, c) for c in text]
        return [c for c in chars if not c.isspace() and unicodedata.category(c)[0] not in "PS"]
    text = _ORDINAL.sub(r"\1", text)
    text = "".join(c if c.isalnum() else " " for c in text)
    out: list[str] = []
    for word in text.split():
        if word.isdigit():
            out.extend(word)
        else:
            out.append(_EN_DIGITS.get(word, word))
    return out


def words_matched(phrase: str, transcript: str, lang: str) -> float:
    """Share of the phrase's tokens found, in order, in the transcript (longest common subsequence):
    extra words heard (a cough read as "uh") cost nothing; missing or misheard ones do."""
    ref, hyp = tokens(phrase, lang), tokens(transcript, lang)
    if not ref:
        return 0.0
    row = [0] * (len(hyp) + 1)
    for r in ref:
        diag = 0
        for j, h in enumerate(hyp, 1):
            diag, row[j] = row[j], diag + 1 if r == h else max(row[j], row[j - 1])
    return row[-1] / len(ref)
