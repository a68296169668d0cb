"""The synthesis half of `vocalis eval emotion`: voices read fixed sentences in every category, and each render is
judged by the real-speech classifier (vocalis.eval.emotion_judge), each voice's renders z-scored over that voice's
own renders, the scheme the classifier learned with. Also measured: d-vector similarity of every emotional render to
the neutral render of the same voice and sentence (identity kept?), for a voice cloned from a real speaker the change
in similarity to another clip of that speaker, and Whisper WER (English) / CER (Mandarin) per emotion; then the
issue's bars are checked.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VoiceError
from vocalis.eval.cloning import EMOTIONAL as EMOTIONAL_DATASETS
from vocalis.eval.cloning import METRIC, STRANGERS, _speech, grant_for_evaluation
from vocalis.eval.emotion_judge import classification_scores, speaker_normalise
from vocalis.eval.emotion_measures import CATEGORIES, EMOTIONAL, F0_MEDIAN, Measures, acoustic_shifts, measure

if TYPE_CHECKING:  # torch, the models and scikit-learn load only when an evaluation runs
    from sklearn.pipeline import Pipeline

    from vocalis.service import Vocalis
    from vocalis.voice import Voice


# Ordinary sentences with no emotional content of their own, so the words don't argue with the
# delivery; ~15 words (English) for stable functionals and a WER step of ~7 % per word and sentence.
SENTENCES = {
    "en": ("The train to the city leaves from the second platform at half past seven.",
           "She put the books back on the shelf and closed the door of the study.",
           "We will paint the kitchen walls this weekend and move the table near the window."),
    "zh": ("明天早上八点，我们在学校门口集合，然后坐车去博物馆。",
           "他把桌子上的书整理好，放回了书架的第二层。",
           "这条路往前走两百米，右边就是新开的超市。"),
}
# The clone speaker comes from these datasets first (several clips of one reader, like the cloning eval).
CLONE_DATASETS = ("librispeech_test_other",)

# The bars.
HIT_RATE_BAR, HIT_RATE_GOAL = 0.60, 0.70
IDENTITY_BAR = 0.65  # d-vector similarity of every emotional render to the neutral one
CLONE_DROP_BAR = 0.10  # most a clone's similarity to its speaker may fall with an emotion
WER_BAR = 0.06


@dataclass(frozen=True)
class Target:
    """A voice to render, the language it reads, and for a clone the real clip that judges its identity."""

    voice: Voice
    lang: str
    truth: Path | None = None


def pick_clone_target(tts: Vocalis, root: Path, rows: list[dict[str, str]],
                      progress: Callable[[str], None]) -> tuple[Target | None, dict]:
    """A voice cloned (not saved to any library) from one clip of the first speaker with two clean
    English clips, preferring CLONE_DATASETS; its truth is that speaker's second clip."""
    from vocalis.voice.clone import Cloner

    clips: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for row in rows:
        if (row["language"] == "en" and row["dataset"] != STRANGERS and not (row["emotion"] or "").strip()
                and row["dataset"] not in EMOTIONAL_DATASETS):
            clips[row["dataset"], row["speaker_id"]].append(root / row["path"])
    candidates = sorted((d not in CLONE_DATASETS, d, s) for (d, s), paths in clips.items() if len(paths) >= 2)
    for _, dataset, speaker in candidates:
        ref, truth = sorted(clips[dataset, speaker])[:2]
        progress(f"cloning {dataset}/{speaker} from {ref.name}")
        try:
            voice = Cloner(tts.acoustic).clone([ref], f"eval-{speaker}", lang="en")
        except VoiceError as e:  # a clip too short or clipped: try the next speaker
            progress(f"  skipped: {e}")
            continue
        grant_for_evaluation(voice, root)
        info = {"voice": voice.name, "speaker": f"{dataset}/{speaker}", "ref": str(ref), "truth": str(truth),
                "start_pack": voice.meta["start_pack"], "enrol_s": voice.meta["seconds"]}
        return Target(voice, "en", truth), info
    return None, {"error": "no English speaker with two clips to clone from"}


def _render(tts: Vocalis, text: str, target: Target, category: str) -> Audio:
    """The neutral category is the product's plain rendering (no emotion asked for): the reference the
    emotional renders are compared with."""
    from vocalis.emotion import Emotion

    emotion = None if category == "neutral" else Emotion.of(**{category: 1.0})
    return tts.synthesize(text, voice=target.voice, lang=target.lang, emotion=emotion)


def _synthesise(tts: Vocalis, targets: list[Target], n_sentences: int | None,
                progress: Callable[[str], None]) -> tuple[list[dict], list[Measures], dict]:
    """Every target reads its language's sentences in every category. Returns a record per render,
    its measures, and the d-vector embeddings {(voice, sentence, category): embedding}."""
    from vocalis.asr import transcribe
    from vocalis.text.error_rate import cer, normalise_en, normalise_zh, wer
    from vocalis.voice.speaker import dvector_embedding

    jobs = [(t, i, text, c) for t in targets for i, text in enumerate(SENTENCES[t.lang][:n_sentences])
            for c in CATEGORIES]
    records, measures, embeddings = [], [], {}
    for n, (target, i, text, category) in enumerate(jobs, 1):
        audio = _render(tts, text, target, category)
        heard = transcribe(audio, target.lang)
        score, words = {"en": (wer, normalise_en), "zh": (cer, normalise_zh)}[target.lang]
        speech, note = _speech(audio)
        embeddings[target.voice.name, i, category] = dvector_embedding(speech)
        m = measure(audio)
        measures.append(m)
        records.append({"voice": target.voice.name, "lang": target.lang, "sentence": i, "emotion": category,
                        "metric": METRIC[target.lang], "heard": heard, "error_rate": score(text, heard),
                        "units": len(words(text)), "f0_st": m.feature(F0_MEDIAN), "level_db": m.level_db,
                        "duration_s": m.speech_s, **({"note": note} if note else {})})
        progress(f"[{n}/{len(jobs)}] {target.voice.name} #{i + 1} {category}: {METRIC[target.lang]} "
                 f"{records[-1]['error_rate']:.2f}")
    return records, measures, embeddings


def _identity(records: list[dict], embeddings: dict) -> dict:
    """d-vector similarity of each emotional render to the neutral render of the same voice and sentence."""
    from vocalis.voice.speaker import cosine

    for r in records:
        if r["emotion"] != "neutral":
            key = r["voice"], r["sentence"]
            r["similarity_to_neutral"] = cosine(embeddings[(*key, r["emotion"])], embeddings[(*key, "neutral")])
    out = {}
    for e in EMOTIONAL:
        sims = [r["similarity_to_neutral"] for r in records if r["emotion"] == e]
        out[e] = {"mean": float(np.mean(sims)), "min": float(np.min(sims))}
    every = [r["similarity_to_neutral"] for r in records if r["emotion"] != "neutral"]
    out["all"] = {"mean": float(np.mean(every)), "min": float(np.min(every))}
    return out


def clone_drop(target: Target, records: list[dict], embeddings: dict) -> dict:
    """The clone's similarity to a real clip of its speaker (never seen by the cloner) per category, and
    how far each emotion lowers it below the neutral render's."""
    from vocalis.voice.speaker import cosine, dvector_embedding

    truth = dvector_embedding(_speech(target.truth)[0])
    sims = defaultdict(list)
    for r in records:
        if r["voice"] == target.voice.name:
            sims[r["emotion"]].append(cosine(embeddings[r["voice"], r["sentence"], r["emotion"]], truth))
    similarity = {c: float(np.mean(sims[c])) for c in CATEGORIES}
    return {"similarity": similarity, "drop": {e: similarity["neutral"] - similarity[e] for e in EMOTIONAL}}


def error_rates(records: list[dict]) -> dict:
    """WER (English) and CER (Mandarin) per category, pooled over renders (errors / reference words)."""
    groups = {c: [r for r in records if r["emotion"] == c] for c in CATEGORIES}
    groups["emotional"] = [r for r in records if r["emotion"] != "neutral"]
    out = {}
    for group, done in groups.items():
        out[group] = {}
        for metric in ("wer", "cer"):
            units = sum(r["units"] for r in done if r["metric"] == metric)
            errors = sum(r["error_rate"] * r["units"] for r in done if r["metric"] == metric)
            out[group][metric] = errors / units if units else math.nan
    return out


def bar_checks(synthesis: dict) -> dict:
    """The issue's bars, each {value, bar, pass}; a figure that could not be computed fails."""
    shifts = synthesis["acoustics"]["median"]
    angry, sad = shifts["angry"], shifts["sad"]
    checks = {
        "hit_rate": (synthesis["hit_rate"], f">= {HIT_RATE_BAR:.2f} (goal {HIT_RATE_GOAL:.2f})",
                     synthesis["hit_rate"] >= HIT_RATE_BAR),
        "angry_higher_louder": ((angry["f0_st"], angry["level_db"]), "> 0 st and > 0 dB",
                                angry["f0_st"] > 0 and angry["level_db"] > 0),
        "sad_quieter_or_slower": ((sad["level_db"], sad["duration_pct"]), "< 0 dB or longer",
                                  sad["level_db"] < 0 or sad["duration_pct"] > 0),
        "identity_min": (synthesis["identity"]["all"]["min"], f">= {IDENTITY_BAR:.2f}",
                         synthesis["identity"]["all"]["min"] >= IDENTITY_BAR),
    }
    wer = synthesis["error_rates"]["emotional"]["wer"]
    if not math.isnan(wer):  # no English voice, no WER
        checks["wer_emotional"] = (wer, f"<= {WER_BAR:.2f}", wer <= WER_BAR)
    if "drop" in synthesis["clone"]:
        worst = max(synthesis["clone"]["drop"].values())
        checks["clone_drop_max"] = (worst, f"<= {CLONE_DROP_BAR:.2f}", worst <= CLONE_DROP_BAR)
    return {k: {"value": v, "bar": bar, "pass": bool(ok)} for k, (v, bar, ok) in checks.items()}


def evaluate_synthesis(tts: Vocalis, classifier: Pipeline, targets: list[Target], n_sentences: int | None,
                       progress: Callable[[str], None] = print) -> tuple[dict, list[dict], dict]:
    """Hit rate, confusion, acoustic shifts, identity and error rates of the targets' renders; also
    returns the render records and embeddings (for the clone figures)."""
    records, measures, embeddings = _synthesise(tts, targets, n_sentences, progress)
    groups = [r["voice"] for r in records]
    categories = [r["emotion"] for r in records]
    features = speaker_normalise(np.stack([m.features for m in measures]), groups)
    for r, p in zip(records, classifier.predict(features), strict=True):
        r["predicted"] = str(p)
    scores = classification_scores(categories, [r["predicted"] for r in records])
    report = {"renders": records, "hit_rate": scores["accuracy"], "per_emotion": scores["per_emotion"],
              "confusion": scores["confusion"],
              "acoustics": acoustic_shifts(measures, categories, groups, with_duration=True),
              "identity": _identity(records, embeddings), "error_rates": error_rates(records)}
    return report, records, embeddings
