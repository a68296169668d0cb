"""`vocalis eval ser`: how well the product reads the emotion of real speech, the reading a video dub relies on
("original: angry 0.8 -> dubbed: angry 0.7").

The real emotional clips (ESD, RAVDESS, EmoV-DB, EMO-DB: evaluation only, nothing here feeds the product) are
read by vocalis.emotion.reading and the readings mapped to the five categories of vocalis.eval.emotion_judge:
happy, angry, surprised as themselves, sad and melancholic as sad, calm and neutral as neutral; afraid and
disgusted have no category and count as wrong. Four readers are scored, each by recall per category, balanced
accuracy (chance 20 %) and the confusion matrix:

  (a) norms     the reading against the population norms (LibriSpeech neutral speech);
  (b) baseline  against each speaker's label-free baseline (the shrunk median over all of that speaker's clips,
                as a dub uses every cue of a video);
  (c) bed       (b) with a music-like bed under every clip (sustained harmonic chords and pink noise, 10 dB
                under the speech), the baseline read under the bed as well;
  (d) judge     the eval-only eGeMAPS classifier trained leave-one-speaker-out on these very corpora, a peer
                that is allowed what the product is not (emotion_judge.evaluate_real).

The loop check renders a line with the emotion read from sample clips (the default voice of the clip's
language), reads the render back against that voice's own neutral prosody and reports how often the two
readings agree (reading.agrees), per label of the original reading.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path

import numpy as np

from vocalis.audio import Audio
from vocalis.emotion.from_audio import ClipProsody
from vocalis.emotion.reading import EmotionReading, agrees, baseline_of, prosody_of, read_emotion
from vocalis.eval.cloning import read_manifest
from vocalis.eval.emotion_judge import Clip, classification_scores, emotional_clips, evaluate_real
from vocalis.eval.emotion_measures import CATEGORIES

SNR_DB = 10.0
LOOP_PER_CATEGORY = 6
CHANCE = 1 / len(CATEGORIES)
# Product labels -> the five categories; afraid and disgusted have none and stay as they are (always wrong).
CATEGORY_OF_LABEL = {"neutral": "neutral", "calm": "neutral", "happy": "happy", "angry": "angry", "sad": "sad",
                     "melancholic": "sad", "surprised": "surprised"}
COLUMNS = (*CATEGORIES, "other")  # confusion columns: "other" is afraid or disgusted
# Lines for the loop check when the clip's transcript is missing or in a language the product doesn't speak.
FIXED_LINE = {"en": "I never thought I would see this place again.", "zh": "我从来没想过还会再回到这个地方。"}
READERS = {"norms": "(a) product, population norms", "baseline": "(b) product, speaker baseline",
           "bed": f"(c) product, speaker baseline, music bed at {SNR_DB:.0f} dB SNR",
           "judge": "(d) eval-only eGeMAPS judge, leave-one-speaker-out"}


def category(reading: EmotionReading) -> str:
    return CATEGORY_OF_LABEL.get(reading.label, "other")


def music_bed(n: int, rate: int, seed: int = 0) -> np.ndarray:
    """`n` samples of a stand-in soundtrack: three sustained chords (three notes of five harmonics each, in
    turn) plus pink noise at a quarter of the chords' power. Unit RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    chords = np.zeros(n)
    for k, root in enumerate(rng.uniform(110, 220, 3)):
        part = (t >= k * t[-1] / 3) & (t <= (k + 1) * t[-1] / 3 + 0.05) if n else t > 0
        for ratio in (1.0, 1.26, 1.5):  # a major triad
            for h in range(1, 6):
                chords[part] += np.sin(2 * np.pi * root * ratio * h * t[part] + rng.uniform(0, 6.3)) / h
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / rate), 20.0))  # 1/f power: pink
    pink = np.fft.irfft(spectrum, n)
    bed = chords / max(np.std(chords), 1e-9) + 0.5 * pink / max(np.std(pink), 1e-9)
    return bed / max(np.std(bed), 1e-9)


def with_bed(audio: Audio, snr_db: float = SNR_DB, seed: int = 0) -> Audio:
    """`audio` with the bed under it, `snr_db` below the speech's mean power over the whole clip."""
    x = audio.samples.astype(np.float64)
    bed = music_bed(len(x), audio.sample_rate, seed) * np.sqrt(np.mean(x ** 2) / 10 ** (snr_db / 10))
    mixed = x + bed
    return Audio((mixed / max(1.0, np.abs(mixed).max())).astype(np.float32), audio.sample_rate)


@functools.cache
def clip_prosody(path: Path, bed: bool = False) -> ClipProsody | None:
    audio = Audio.load(path)
    return prosody_of(with_bed(audio, seed=len(path.name)) if bed else audio)


def _scores(labels: list[str], predicted: list[str]) -> dict:
    scores = classification_scores(labels, predicted)
    counts = Counter(zip(labels, predicted, strict=True))
    scores["confusion"] = [[counts[t, p] for p in COLUMNS] for t in CATEGORIES]  # with the "other" column
    return scores


def _speaker_clips(root: Path, rows: list[dict[str, str]], speakers: set[str]) -> dict[str, list[Path]]:
    """Every clip of each speaker, whatever its label (the baseline uses none): as a dub uses every cue."""
    out: dict[str, list[Path]] = defaultdict(list)
    for row in rows:
        speaker = f"{row['dataset']}/{row['speaker_id']}"
        if speaker in speakers:
            out[speaker].append(root / row["path"])
    return out


def _readings(clips: list[Clip], every: dict[str, list[Path]], bed: bool, baseline: bool) -> list[EmotionReading]:
    baselines = {s: baseline_of([p for p in (clip_prosody(x, bed) for x in paths) if p], one_speaker=True)
                 for s, paths in every.items()} if baseline else {}
    return [read_emotion(clip_prosody(c.path, bed), baselines.get(c.speaker)) for c in clips]


def loop_sample(clips: list[Clip], per_category: int = LOOP_PER_CATEGORY) -> list[Clip]:
    """Up to `per_category` clips per category, taken in turn from its speakers (not all from the largest)."""
    out = []
    for cat in CATEGORIES:
        by_speaker = defaultdict(list)
        for c in clips:
            if c.category == cat:
                by_speaker[c.speaker].append(c)
        turns = [c for group in zip_longest(*by_speaker.values()) for c in group if c is not None]
        out += turns[:per_category]
    return out


def loop_check(clips: list[Clip], originals: list[EmotionReading], transcripts: dict[Path, str],
               progress: Callable[[str], None]) -> dict:
    """Render each clip's line with the emotion read from it and read the render back."""
    from vocalis.service import Vocalis
    from vocalis.voice.builtin import DEFAULT_VOICE

    tts = Vocalis()
    own = {}
    for lang in FIXED_LINE:  # each voice's neutral delivery: what its renders are read against
        from vocalis.service.vocalis import PREVIEW_SENTENCES

        p = prosody_of(tts.synthesize(PREVIEW_SENTENCES[lang], voice=DEFAULT_VOICE[lang], lang=lang))
        own[lang] = baseline_of([p] if p else [], own=True)
    rows, agree = [], defaultdict(list)
    for k, (clip, original) in enumerate(zip(clips, originals, strict=True)):
        lang = clip.lang if clip.lang in FIXED_LINE else "en"
        text = transcripts.get(clip.path) if clip.lang in FIXED_LINE else None
        text = text or FIXED_LINE[lang]
        emotion = None if original.label == "neutral" else original.emotion
        audio = tts.synthesize(text, voice=DEFAULT_VOICE[lang], lang=lang, emotion=emotion)
        dubbed = read_emotion(prosody_of(audio), own[lang])
        ok = agrees(original, dubbed)
        agree[original.label].append(ok)
        rows.append({"clip": clip.path.name, "category": clip.category, "original": original.text(),
                     "dubbed": dubbed.text(), "agrees": ok})
        progress(f"loop {k + 1}/{len(clips)}: {clip.path.name} {original.text()} -> {dubbed.text()}"
                 f"{' ok' if ok else ''}")
    per_label = {label: {"n": len(v), "agreement": float(np.mean(v))} for label, v in sorted(agree.items())}
    return {"clips": rows, "per_label": per_label, "agreement": float(np.mean([r["agrees"] for r in rows]))}


def evaluate_ser(data_dir: str | Path, noise: bool = False, loop: bool = True,
                 progress: Callable[[str], None] = print) -> dict:
    root, rows = read_manifest(data_dir)
    clips, notes = emotional_clips(root, rows)
    every = _speaker_clips(root, rows, {c.speaker for c in clips})
    progress(f"reading {sum(map(len, every.values()))} clips of {len(every)} speakers "
             f"({len(clips)} in the five categories)")
    labels = [c.category for c in clips]
    report: dict = {"clips": len(clips), "speakers": {s: len(v) for s, v in every.items()}, "notes": notes,
                    "chance": CHANCE, "readers": {}}
    readings = {"norms": _readings(clips, every, False, False), "baseline": _readings(clips, every, False, True)}
    if noise:
        progress(f"reading them again with a music bed at {SNR_DB:.0f} dB SNR")
        readings["bed"] = _readings(clips, every, True, True)
    for name, read in readings.items():
        report["readers"][name] = {"what": READERS[name], **_scores(labels, [category(r) for r in read]),
                                   "labels": dict(Counter(r.label for r in read))}
    judge, _ = evaluate_real(root, rows, progress)
    report["readers"]["judge"] = {"what": READERS["judge"], **judge["loso"]}
    report["readers"]["judge"]["confusion"] = [row + [0] for row in judge["loso"]["confusion"]]
    if loop:
        sample = loop_sample(clips)
        index = {c.path: k for k, c in enumerate(clips)}
        transcripts = {root / r["path"]: (r.get("transcript") or "").strip() for r in rows}
        progress(f"loop check: rendering {len(sample)} lines with the emotion read from their clips")
        report["loop"] = loop_check(sample, [readings["baseline"][index[c.path]] for c in sample], transcripts,
                                    progress)
    return report


def print_report(report: dict) -> None:
    print(f"Speech emotion recognition: {report['clips']} real clips, {len(report['speakers'])} speakers, "
          f"chance {report['chance']:.0%} balanced")
    for r in report["readers"].values():
        print(f"\n{r['what']}: balanced accuracy {r['balanced_accuracy']:.2f}, accuracy {r['accuracy']:.2f}")
        print("  recall   " + "  ".join(f"{c} {v:.2f}" for c, v in r["per_emotion"].items()))
        print("  " + "true \\ read".ljust(12) + "".join(c[:9].rjust(10) for c in COLUMNS))
        for cat, row in zip(CATEGORIES, r["confusion"], strict=True):
            print("  " + cat.ljust(12) + "".join(str(v).rjust(10) for v in row))
    if "loop" in report:
        loop = report["loop"]
        print(f"\nLoop check (render with the reading, read it back): agreement {loop['agreement']:.2f}")
        for label, v in loop["per_label"].items():
            print(f"  original {label:<12} {v['agreement']:.2f} of {v['n']}")
