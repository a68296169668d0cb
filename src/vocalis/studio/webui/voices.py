"""The voices as the interface lists them: built-in first, then the library's clones and trained voices."""

from __future__ import annotations

import pandas as pd

from vocalis.studio.webui.i18n import t
from vocalis.studio.webui.settings import AUTO_VOICE
from vocalis.voice import builtin_voices
from vocalis.voice.library import library_voices
from vocalis.voice.voice import Voice


def voice_choices(lang: str, auto: bool = True) -> list[tuple[str, str]]:
    """(label, name) pairs for a voice picker; `auto` adds the best-for-the-language choice first."""
    choices = [auto_choice(lang)] if auto else []
    choices += [(f"{v.name} · {v.language} · {v.description}", v.name) for v in builtin_voices().values()]
    choices += [(f"{v.name} · {v.language} · {t('voice.yours', lang)}", v.name) for v in library_voices()]
    return choices


def auto_choice(lang: str) -> tuple[str, str]:
    """The picker's first choice: the best built-in voice for the text's language."""
    return t("voice.auto", lang), AUTO_VOICE


def voice_table(lang: str) -> pd.DataFrame:
    """One row per voice: name, kind, language, what it is, when it was made, its consent."""
    from vocalis.trust.consent import consent_state

    rows = [(v.name, t("kind.builtin", lang), v.language, v.description, "", "") for v in builtin_voices().values()]
    for v in library_voices():
        kind = "trained" if v.trained else "cloned" if v.meta.get("source") == "clone" else "imported"
        state = consent_state(v)  # an imported copy of a built-in voice needs none: no label
        rows.append((v.name, t(f"kind.{kind}", lang), v.language, _about(v, lang), v.meta.get("created_at", ""),
                     "" if state == "builtin" else t(f"consent.state.{state}", lang)))
    columns = [t(k, lang) for k in ("col.name", "col.kind", "col.lang", "col.about", "col.created", "col.consent")]
    return pd.DataFrame(rows, columns=columns)


def _about(voice: Voice, lang: str) -> str:
    """What the voice was made from, when the library knows it."""
    if "speech_s" not in voice.meta:
        return voice.description
    if voice.trained:
        return t("library.trained_on", lang, seconds=voice.meta["speech_s"], steps=voice.meta.get("steps", 0))
    return t("library.cloned_from", lang, seconds=voice.meta["speech_s"])
