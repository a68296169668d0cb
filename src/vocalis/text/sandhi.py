"""Mandarin tone sandhi and neutral tones on one prosodic word: tones in, spoken tones out.

Rules follow misaki/tone_sandhi.py (Apache-2.0, from PaddleSpeech): 不 and 一 changes, particles and
reduplicated nouns/verbs lose their tone, and a third tone before a third tone becomes second, with
three-syllable words grouped 2+1 or 1+2 by the lexicon."""

from __future__ import annotations

import jieba

NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两幺点")
PLACE_VALUES = frozenset("十百千万亿")
DIGIT_CHARS = frozenset("零〇一二三四五六七八九幺两")
MEASURE_AFTER = frozenset("几两半多各整每这那") | NUMERALS
NEUTRAL_FINALS = frozenset("吧呢啊呐嘛哦哟喽呀")
# Reduplications that keep both full tones (misaki's must_not_neural_tone_words, the doubled ones).
KEEP_REDUPLICATED = frozenset(
    {
        "人人",
        "虎虎",
        "哈哈",
        "数数",
        "想想",
        "死死",
        "整整",
        "考考",
        "打打",
        "吵吵",
        "恳恳",
        "冉冉",
        "熙熙",
        "攘攘",
        "袅袅",
        "青青",
        "佼佼",
        "莘莘",
    }
)
KEEP_ZI = frozenset(
    {
        "男子",
        "女子",
        "分子",
        "原子",
        "量子",
        "莲子",
        "石子",
        "瓜子",
        "电子",
        "学子",
        "卵子",
        "算子",
        "孔子",
        "老子",
        "孟子",
        "庄子",
        "君子",
        "天子",
        "太子",
        "弟子",
    }
)


def apply(word: str, pos: str, tones: list[int]) -> list[int]:
    """Spoken tones for ``word`` (one tone per character) given citation tones and jieba's POS."""
    t = list(tones)
    _neutral(word, pos, t)
    _bu(word, t)
    _yi(word, t)
    _three(word, t)
    return t


def _neutral(word: str, pos: str, t: list[int]) -> None:
    # Only whole AA words (妈妈, 看看): inside longer words a doubled character spans two words (银行|行长).
    if len(word) == 2 and word[0] == word[1] and word not in KEEP_REDUPLICATED and pos[:1] in ("n", "v", "a"):
        t[1] = 5
    if word[-1] in NEUTRAL_FINALS:
        t[-1] = 5
    elif len(word) > 1 and (
        word[-1] == "们" or (word[-1] == "子" and pos[:1] == "n" and word not in KEEP_ZI)
    ):
        t[-1] = 5
    elif len(word) == 3 and word[1] == "得":  # 跑得快, 看得见
        t[1] = 5
    for j in range(1, len(word)):  # 个 as a measure word: 一个, 几个, 这个
        if word[j] == "个" and word[j - 1] in MEASURE_AFTER:
            t[j] = 5


def _bu(word: str, t: list[int]) -> None:
    if len(word) == 3 and word[1] == "不" and word[0] != "不":  # 看不懂, 好不好
        t[1] = 5
        return
    for i in range(len(word) - 1):
        if word[i] == "不" and t[i + 1] == 4:
            t[i] = 2


def _yi(word: str, t: list[int]) -> None:
    if "一" not in word:
        return
    if len(word) == 3 and word[1] == "一" and word[0] == word[2]:  # 看一看
        t[1] = 5
        return
    counting = all(c in NUMERALS for c in word.rstrip("年"))
    for i, c in enumerate(word):
        if c != "一" or i + 1 == len(word):
            continue  # word-final 一 (十一, 统一) keeps tone 1
        nxt = word[i + 1]
        if (i > 0 and word[i - 1] == "第") or nxt in "月日号":
            continue  # ordinals and dates: 第一, 一月一日
        if counting and nxt not in PLACE_VALUES:
            continue  # digit strings: 一九九九, 一一零
        t[i] = 2 if t[i + 1] in (4, 5) else 4


def _three(word: str, t: list[int]) -> None:
    if all(c in DIGIT_CHARS for c in word.rstrip("年")):
        return  # digit-by-digit readings (years, phone numbers) keep citation tones
    if len(word) == 3 and t == [3, 3, 3]:
        # 2+1 (展览/馆 -> 2 2 3) when the first two characters form a word, else 1+2 (纸/老虎 -> 3 2 3).
        t[:] = [2, 2, 3] if jieba.dt.FREQ.get(word[:2]) else [3, 2, 3]
        return
    for i in range(len(t) - 2, -1, -1):
        if t[i] == 3 and t[i + 1] == 3:
            t[i] = 2
