"""Is a voice still understood on text it was never fitted on? Whisper's error rate over a few held-out
sentences: the check the cloner's guard and a clone's envelope filter share.

One sentence of fifteen words cannot tell a voice misheard on 5 % of its words from one misheard on 10 %:
both are usually heard without a slip. Seen on five unseen LibriSpeech readers, two clones passed a
one-sentence check yet read 16 plain sentences at WER 0.06 and 0.095. So the check hears three sentences
(about 40 words; the cloner's guard adds its two probes, about 55 in all) and counts every error against
their total.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from vocalis.audio import Audio

# Plain sentences of ~13 words (en) or ~15 characters (zh), never fitted on, no numbers, no words with
# British and American spellings (Whisper's choice between them is no reading error).
HELD_OUT = {
    "en": ("The farmer carried a basket of apples down the hill to the market.",
           "Our train was late, so we missed the start of the concert in town.",
           "Thank you for the lovely gift; the whole family enjoyed it very much."),
    "zh": ("下个星期我要去北京看望爷爷和奶奶。",
           "这家饭馆的饺子很好吃，我们经常来这里。",
           "昨天晚上下了一场大雨，路上有很多积水。"),
}
# Highest error rate a voice may have over the sentences it is judged on. English: two words of the guard's 55,
# under the 5 % a clone must keep on new text. Mandarin: the earlier bar, as no Mandarin clone was measured breaking.
MAX_ERRORS = {"en": 0.05, "zh": 0.15}


def error_rate(render: Callable[[str], Audio], lang: str, texts: Sequence[str] | None = None,
               stop_above: float | None = None) -> float:
    """Word (en) or character (zh) error rate of `render(sentence)` over `texts` (default: the held-out
    sentences), each sentence weighing by its length. With `stop_above`, the sentences left unheard once the
    errors so far already exceed that share of the whole are skipped: the verdict can no longer change, and
    the figure is then a floor."""
    from vocalis.asr import transcribe
    from vocalis.text.error_rate import normalise_en, normalise_zh

    texts = HELD_OUT[lang] if texts is None else texts
    normalise = normalise_zh if lang == "zh" else normalise_en
    sizes = [len(normalise(text)) for text in texts]
    errors = 0.0
    for text, size in zip(texts, sizes, strict=True):
        audio = render(text)
        clipped = np.mean(np.abs(audio.samples) > 0.99) > 1e-3  # broken whatever Whisper hears
        errors += (1.0 if clipped else _rate(text, transcribe(audio, lang), lang)) * size
        if stop_above is not None and errors > stop_above * sum(sizes):
            break
    return errors / sum(sizes)


def _rate(reference: str, heard: str, lang: str) -> float:
    from vocalis.text.error_rate import cer, wer

    return (cer if lang == "zh" else wer)(reference, heard)
