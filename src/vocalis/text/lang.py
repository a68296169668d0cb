"""Language detection: Mandarin when Han characters carry a meaningful share of the text."""

from __future__ import annotations

import re

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RE = re.compile(f"[{HAN}]")
LATIN_RE = re.compile(r"[A-Za-z]")
# One Han character carries about as much as a three-letter English word fragment, so a
# Chinese sentence with a brand name ("我用iPhone拍照") stays Chinese while an English sentence
# quoting one name (Beijing 北京) stays English.
HAN_WEIGHT = 3


def detect_language(text: str) -> str:
    """'zh' if Han characters make up a meaningful share of the letters, else 'en'."""
    han = len(HAN_RE.findall(text))
    latin = len(LATIN_RE.findall(text))
    return "zh" if han and han * HAN_WEIGHT >= latin else "en"
