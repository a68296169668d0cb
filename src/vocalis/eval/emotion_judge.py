"""The emotion judge of `vocalis eval emotion`: a classifier that learned the five emotion categories from real
people, and its accuracy on real speech.

It learns from the eGeMAPSv02 functionals (vocalis.eval.emotion_measures) of the real emotional clips in the data
folder (ESD, RAVDESS, EmoV-DB, EMO-DB), mapped to five categories, each speaker's features z-scored over that
speaker's own clips (speaker normalisation, standard in speech emotion recognition: it removes who is speaking and
keeps how), then StandardScaler and a strongly regularised logistic regression. Its accuracy on real speech is
measured leave-one-speaker-out; then it is fitted on every real speaker to judge the synthesis.

Configuration, chosen only by leave-one-speaker-out accuracy on real speech (93 clips, 8 speakers;
chance 20 %, majority class 28 %), among normalisations that use no label of the held-out speaker:
per-speaker z-scores (44-58 % over the classifiers tried) beat mean-centring only (44-54 %) and none
(34-50 %). Centring on the speaker's *neutral* clips scored 59 %, but it needs to know which of the
held-out speaker's clips are neutral and puts them at the origin by construction, which would make
the neutral category a free hit on real speech and synthesis alike: excluded. With z-scores, logistic
regression peaked at C = 1e-3 (58 %; 56 % and 55 % at 3e-4 and 3e-3, 53 % at 0.01, under 48 % from
0.1), ahead of linear SVM (48-56 %), shrinkage LDA (50 %) and an RBF SVM (52 %): the data supports
only a few directions, hence the strong regularisation.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.eval.emotion_measures import CATEGORIES, Measures, acoustic_shifts, measure

if TYPE_CHECKING:  # scikit-learn loads only when an evaluation runs
    from sklearn.pipeline import Pipeline

# Dataset labels -> the five categories. EmoV-DB's "amused" is its happy; calm, disgust, sleepy, fearful
# and bored have no category here and are left out.
CATEGORY_OF = {"neutral": "neutral", "happy": "happy", "amused": "happy", "angry": "angry", "sad": "sad",
               "surprised": "surprised"}
C = 1e-3  # logistic-regression regularisation: see the module doc


@functools.cache
def _clip_measures(path: Path) -> Measures:
    """Real clips are measured once per process: the real-speech part of every run reuses them."""
    return measure(Audio.load(path))


@dataclass(frozen=True)
class Clip:
    """A real emotional clip, who speaks it and its category."""

    path: Path
    speaker: str  # dataset/speaker_id
    lang: str
    category: str


def emotional_clips(root: Path, rows: list[dict[str, str]]) -> tuple[list[Clip], list[str]]:
    """Clips with one of the five categories, from speakers with at least two categories (speaker
    normalisation of a single category leaves nothing to learn from), with notes on what was left out."""
    by_speaker: dict[str, list[Clip]] = defaultdict(list)
    for row in rows:
        category = CATEGORY_OF.get((row["emotion"] or "").strip().lower())
        if category:
            speaker = f"{row['dataset']}/{row['speaker_id']}"
            by_speaker[speaker].append(Clip(root / row["path"], speaker, row["language"], category))
    clips, notes = [], []
    for speaker, own in sorted(by_speaker.items()):
        if len({c.category for c in own}) < 2:
            notes.append(f"{speaker}: only {own[0].category} clips, left out")
        else:
            clips += sorted(own, key=lambda c: c.path)
    return clips, notes


def speaker_normalise(features: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Each group's (speaker's or voice's) features as z-scores over that group's own clips."""
    groups = np.asarray(groups)
    out = np.empty_like(features, dtype=np.float64)
    for g in np.unique(groups):
        rows = groups == g
        mean, std = features[rows].mean(axis=0), features[rows].std(axis=0)
        out[rows] = (features[rows] - mean) / np.where(std > 0, std, 1.0)  # a constant feature carries nothing
    return out


def make_classifier() -> Pipeline:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # balanced: the corpora hold 2-3 times more neutral and angry clips than surprised ones
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=5000))


def leave_one_speaker_out(features: np.ndarray, labels: Sequence[str], speakers: Sequence[str]) -> np.ndarray:
    """Each speaker's clips predicted by a classifier trained on all the other speakers (features
    already speaker-normalised)."""
    labels, speakers = np.asarray(labels), np.asarray(speakers)
    predicted = np.empty(len(labels), dtype=object)
    for speaker in np.unique(speakers):
        held = speakers == speaker
        if len(set(labels[~held])) < 2:
            raise VocalisError("leave-one-speaker-out needs two emotion categories among the other speakers")
        predicted[held] = make_classifier().fit(features[~held], labels[~held]).predict(features[held])
    return predicted.astype(str)


def confusion(labels: Sequence[str], predicted: Sequence[str]) -> list[list[int]]:
    """Counts, rows the true category and columns the predicted one, both in CATEGORIES order."""
    counts = Counter(zip(labels, predicted, strict=True))
    return [[counts[t, p] for p in CATEGORIES] for t in CATEGORIES]


def classification_scores(labels: Sequence[str], predicted: Sequence[str]) -> dict:
    """Accuracy, recall per category, their mean (balanced accuracy: immune to class imbalance) and
    the confusion matrix."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    recall = {c: float(np.mean(predicted[labels == c] == c)) if (labels == c).any() else math.nan
              for c in CATEGORIES}
    present = [r for r in recall.values() if not math.isnan(r)]
    return {"accuracy": float(np.mean(labels == predicted)), "balanced_accuracy": float(np.mean(present)),
            "per_emotion": recall, "confusion": confusion(labels, predicted)}


def evaluate_real(root: Path, rows: list[dict[str, str]], progress: Callable[[str], None] = print
                  ) -> tuple[dict, Pipeline]:
    """The real-speech part of the report, and the classifier fitted on every real speaker."""
    clips, notes = emotional_clips(root, rows)
    progress(f"measuring {len(clips)} real emotional clips")
    measures = []
    for clip in list(clips):
        try:
            measures.append(_clip_measures(clip.path))
        except VocalisError as e:  # an unreadable clip is left out, not the whole evaluation
            notes.append(f"{clip.path.name}: {e}")
            clips.remove(clip)
    speakers = sorted({c.speaker for c in clips})
    if len(speakers) < 2:
        raise VocalisError(f"{root / 'MANIFEST.tsv'} lists emotional clips of {len(speakers)} usable speaker(s): "
                           "leave-one-speaker-out needs at least two")
    labels, groups = [c.category for c in clips], [c.speaker for c in clips]
    features = speaker_normalise(np.stack([m.features for m in measures]), groups)
    predicted = leave_one_speaker_out(features, labels, groups)
    scores = classification_scores(labels, predicted)
    per_speaker = {s: float(np.mean([p == c.category for p, c in zip(predicted, clips, strict=True)
                                     if c.speaker == s])) for s in speakers}
    counts = {s: dict(Counter(c.category for c in clips if c.speaker == s)) for s in speakers}
    progress(f"real speech, {len(clips)} clips of {len(speakers)} speakers, leave-one-speaker-out: "
             f"accuracy {scores['accuracy']:.2f}, balanced {scores['balanced_accuracy']:.2f}")
    report = {"clips": len(clips), "speakers": counts, "notes": notes,
              "loso": {**scores, "per_speaker": per_speaker},
              "acoustics": acoustic_shifts(measures, labels, groups)}
    return report, make_classifier().fit(features, labels)
