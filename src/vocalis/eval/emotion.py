"""Emotion evaluation (`vocalis eval emotion`): does emotional synthesis sound like the emotion asked
for, to a judge that learned emotions from real people, while keeping the voice and the words?

The judge (vocalis.eval.emotion_judge) learns the five categories from the eGeMAPSv02 functionals of the
real emotional clips in the data folder (ESD, RAVDESS, EmoV-DB, EMO-DB), each speaker normalised over
their own clips; its accuracy on real speech is measured leave-one-speaker-out, then it is fitted on
every real speaker and judges the synthesis (vocalis.eval.emotion_synthesis), whose renders are also
measured for identity and intelligibility. The size of each emotion, which the judge does not see, is
reported apart (vocalis.eval.emotion_measures); vocalis.eval.emotion_report prints the tables. These
corpora are research-only: used here to measure, never to derive anything the product ships.

This module runs the whole evaluation, and its callers import the parts they use from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError
from vocalis.eval.cloning import read_manifest, write_json
from vocalis.eval.emotion_judge import (
    C,
    confusion,
    emotional_clips,
    evaluate_real,
    leave_one_speaker_out,
    make_classifier,
    speaker_normalise,
)
from vocalis.eval.emotion_measures import CATEGORIES, FEATURE_RATE, Measures, acoustic_shifts, feature_names, measure
from vocalis.eval.emotion_report import print_report
from vocalis.eval.emotion_synthesis import (
    SENTENCES,
    Target,
    bar_checks,
    clone_drop,
    evaluate_synthesis,
    pick_clone_target,
)

if TYPE_CHECKING:  # the models load only when an evaluation runs
    from vocalis.service import Vocalis

__all__ = ["CATEGORIES", "SENTENCES", "Measures", "acoustic_shifts", "confusion", "emotional_clips", "evaluate_emotion",
           "evaluate_real", "evaluate_synthesis", "feature_names", "leave_one_speaker_out", "make_classifier",
           "measure", "print_report", "speaker_normalise", "write_json"]

DEFAULT_VOICES = ("jm_kumo", "jf_alpha", "jf_gongitsune")


def evaluate_emotion(data_dir: str | Path, voices: Sequence[str] | None = None, clone: bool = True,
                     progress: Callable[[str], None] = print, tts: Vocalis | None = None,
                     sentences: int | None = None, descriptions: bool = True) -> dict:
    """The real-speech classifier (leave-one-speaker-out) and its verdict on emotional synthesis (see
    the module doc). `voices`: built-in or library voices, each reading the sentences of its own
    language (default DEFAULT_VOICES); `clone` adds a voice cloned from a real speaker in the data;
    `sentences` caps the sentences per language (quick runs); `descriptions` adds the description
    mapper's score where that evaluation exists. Returns a JSON-ready dict."""
    from vocalis.service import Vocalis
    from vocalis.voice import resolve_voice

    if sentences is not None and sentences < 1:
        raise VocalisError(f"sentences must be at least 1, not {sentences}")
    started = time.perf_counter()
    root, rows = read_manifest(data_dir)
    real, classifier = evaluate_real(root, rows, progress)
    real_s = time.perf_counter() - started

    tts = tts or Vocalis()
    targets = [Target(v, v.language) for v in map(resolve_voice, voices or DEFAULT_VOICES)]
    clone_info: dict = {}
    if clone:
        target, clone_info = pick_clone_target(tts, root, rows, progress)
        targets += [target] if target else []
    synthesis, records, embeddings = evaluate_synthesis(tts, classifier, targets, sentences, progress)
    clone_target = next((t for t in targets if t.truth), None)
    synthesis["clone"] = {**clone_info, **(clone_drop(clone_target, records, embeddings) if clone_target else {})}
    synthesis["checks"] = bar_checks(synthesis)
    synthesis["voices"] = {t.voice.name: t.lang for t in targets}
    synthesis_s = time.perf_counter() - started - real_s
    report = {"data": str(root),
              "classifier": {"features": f"eGeMAPSv02 functionals ({len(feature_names())}) at {FEATURE_RATE} Hz",
                             "normalisation": "z-score per speaker (real) / per voice (synthesis)",
                             "model": f"StandardScaler + LogisticRegression(C={C:g}, class_weight=balanced)"},
              "sentences": {lang: list(s[:sentences]) for lang, s in SENTENCES.items()},
              "real": real, "synthesis": synthesis,
              "descriptions": _descriptions(progress) if descriptions else None,
              "runtime_s": {"real": real_s, "synthesis": synthesis_s, "total": time.perf_counter() - started}}
    return report


def _descriptions(progress: Callable[[str], None]) -> dict | None:
    """The description mapper's score, when that evaluation is installed alongside this one."""
    try:
        from vocalis.eval.emotion_descriptions import score_descriptions
    except ImportError:
        return None
    progress("scoring emotion descriptions")
    return score_descriptions()

