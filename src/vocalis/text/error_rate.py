"""Word and character error rates, with the light normalisation ASR scoring needs (case,
punctuation, digits written as words), so that "3" heard for "three" is no error."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def _strip_punct(text: str) -> str:
    return "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)


def normalise_en(text: str) -> list[str]:
    from num2words import num2words

    text = _DIGITS.sub(lambda m: " " + num2words(float(m[0]) if "." in m[0] else int(m[0])) + " ", text)
    text = _strip_punct(text.lower().replace("'", "").replace("’", "").replace("-", " "))
    return text.split()


def normalise_zh(text: str) -> list[str]:
    import cn2an

    text = _DIGITS.sub(lambda m: cn2an.an2cn(m[0]), text)
    return [c for c in _strip_punct(text) if not c.isspace()]


def wer(reference: str, hypothesis: str) -> float:
    ref = normalise_en(reference)
    return _edit_distance(ref, normalise_en(hypothesis)) / max(len(ref), 1)


def cer(reference: str, hypothesis: str) -> float:
    ref = normalise_zh(reference)
    return _edit_distance(ref, normalise_zh(hypothesis)) / max(len(ref), 1)
