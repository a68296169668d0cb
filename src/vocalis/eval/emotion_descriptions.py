"""How well does `describe` read free-text emotion descriptions? Top-1 accuracy on a labelled list
(emotion_descriptions.tsv: lang, emotion, description), per language and overall, with the
confusion matrix and the misses.

The list is held out: none of its lines is an anchor phrase or a lexicon entry of the mapper (or a
trivial variant of one), so the score says how the mapper does on descriptions it has never seen.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from vocalis.emotion.describe import describe
from vocalis.emotion.vector import EMOTIONS

DESCRIPTIONS = Path(__file__).with_name("emotion_descriptions.tsv")


def score_descriptions(path: Path | None = None) -> dict[str, Any]:
    """{"count": {lang: n, "overall": n}, "accuracy": {lang: acc, "overall": acc},
    "confusion": {expected: {predicted: n}}, "misses": [{lang, expected, predicted, description}]}."""
    with open(path or DESCRIPTIONS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    confusion = {e: dict.fromkeys(EMOTIONS, 0) for e in EMOTIONS}
    hits: dict[str, list[bool]] = {}
    misses = []
    for row in rows:
        predicted = EMOTIONS[int(np.argmax(describe(row["description"]).vector))]
        confusion[row["emotion"]][predicted] += 1
        hits.setdefault(row["lang"], []).append(predicted == row["emotion"])
        if predicted != row["emotion"]:
            misses.append({"lang": row["lang"], "expected": row["emotion"], "predicted": predicted,
                           "description": row["description"]})
    hits["overall"] = [h for lang_hits in list(hits.values()) for h in lang_hits]
    return {
        "count": {lang: len(h) for lang, h in hits.items()},
        "accuracy": {lang: sum(h) / max(len(h), 1) for lang, h in hits.items()},
        "confusion": confusion,
        "misses": misses,
    }


def print_description_report(report: dict[str, Any], out: TextIO | None = None) -> None:
    """Accuracy per language, the confusion matrix (rows: expected, columns: predicted), the misses."""
    out = out or sys.stdout
    for lang, acc in report["accuracy"].items():
        print(f"{lang:>8}: {acc:6.1%} top-1 of {report['count'][lang]}", file=out)
    short = [e[:5] for e in EMOTIONS]
    print("\n" + " " * 12 + " ".join(f"{s:>5}" for s in short), file=out)
    for e in EMOTIONS:
        print(f"{e:>11} " + " ".join(f"{report['confusion'][e][p] or '.':>5}" for p in EMOTIONS), file=out)
    if report["misses"]:
        print("\nmisses:", file=out)
    for m in report["misses"]:
        print(f"  [{m['lang']}] {m['expected']} -> {m['predicted']}: {m['description']}", file=out)
