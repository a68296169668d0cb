"""Cloning evaluation on real speech (`vocalis eval cloning`): does a clone sound like its speaker,
does it still speak clearly, and does it beat simply picking the nearest built-in pack?

For each speaker with two or more clips, a voice is cloned from one clip (the reference) and judged
against another clip of the same person (the ground truth, never seen by the cloner), next to the
nearest-pack baseline (the built-in pack the cloner started from, reading the same sentence).
Similarity is measured by two encoders: GE2E, which the cloner optimises (so it flatters clones),
and the d-vector, which it never sees (the honest judge). Raw cosines mean little across encoders
and speakers, so each is also normalised between a stranger (0: the mean similarity of the ground
truth to LibriSpeech strangers) and the real reference clip (1: as close as a second recording of
the same person). Intelligibility is Whisper base WER (English) or CER (Mandarin).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError, VoiceError

if TYPE_CHECKING:  # torch and the models load only when an evaluation runs
    from vocalis.service import Vocalis
    from vocalis.voice.clone import Cloner
    from vocalis.voice.reference import Reference
    from vocalis.voice.voice import Voice

# Two sentences per language (~27 English words): one sentence of 13 words moved WER in steps of 8 %,
# and its "tours start" was heard as "tour starts" even from the built-in voices. No homophones, no
# words with British and American spellings: Whisper's choice between them is no reading error.
SENTENCES = {
    "en": "The museum opens at nine in the morning, and the first guided visit begins an hour later. "
          "Our friends bought a small boat and sailed around the island last summer.",
    "zh": "今天下午我们在图书馆见面，然后一起去吃晚饭。春天来了，公园里开满了各种颜色的花。",
}
METRIC = {"en": "wer", "zh": "cer"}
STRANGERS = "librispeech_train_clean_strangers"
EMOTIONAL = frozenset({"esd", "ravdess", "emovdb", "emodb"})
GROUP_OF_LANG = {"en": "English", "zh": "Mandarin"}
CROSS = "cross-lingual"
GROUPS = ("English", "Mandarin", CROSS)
ENCODERS = ("ge2e", "dvector")
SYSTEMS = ("clone", "plain", "baseline")  # plain: the clone without its phoneme envelope
REQUIRED_COLUMNS = ("path", "dataset", "speaker_id", "language", "emotion")
MAX_STRANGERS = 40  # enough for a stable mean; every one costs two embeddings
# Many evaluation clips (EMIME) hold under the 3 s of speech the product asks a user for; they are
# still trimmed (and cloned from, with a note) down to this much speech rather than dropped.
MIN_EVAL_SPEECH_S = 1.0
# Below this gap between the reference's and a stranger's similarity to the ground truth, the encoder
# can't tell the speaker from strangers and the normalised figure would be noise.
MIN_SPREAD = 0.05


@dataclass(frozen=True)
class Pair:
    """One cloning trial: clone from `ref`, speak `lang`, compare with `gt` (same speaker)."""

    group: str
    dataset: str
    speaker: str
    ref: Path
    gt: Path
    ref_lang: str
    lang: str

    @property
    def label(self) -> str:
        return _label(self.dataset, self.speaker, self.ref_lang, self.lang)


def _label(dataset: str, speaker: str, ref_lang: str, lang: str) -> str:
    return f"{dataset}/{speaker} " + (lang if ref_lang == lang else f"{ref_lang}>{lang}")


def normalised_similarity(sim_x: float, sim_ref: float, sim_stranger: float) -> float:
    """Where `sim_x` (a rendering's similarity to the ground truth) sits between a stranger's (0) and
    the real reference clip's (1); NaN when the encoder barely separates the two."""
    spread = sim_ref - sim_stranger
    return (sim_x - sim_stranger) / spread if spread >= MIN_SPREAD else math.nan


def grant_for_evaluation(voice: Voice, root: Path) -> None:
    """An evaluation clones speakers of published corpora: the data's licences (its README, else its manifest)
    stand as the written authorisation, granted by the evaluation, on record like any other. The voices are
    never saved to the library."""
    from vocalis.trust.consent import grant_written

    readme = root / "README.md"
    grant_written(voice, readme if readme.is_file() else root / "MANIFEST.tsv", "eval:vocalis eval")


def read_manifest(data_dir: str | Path) -> tuple[Path, list[dict[str, str]]]:
    """The data directory (resolved) and its MANIFEST.tsv rows; a one-line VocalisError when either is
    missing or the manifest lacks the columns the evaluation needs."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise VocalisError(f"data directory {data_dir} not found: point --data at the folder holding MANIFEST.tsv")
    manifest = root / "MANIFEST.tsv"
    try:
        with open(manifest, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (OSError, UnicodeDecodeError) as e:
        raise VocalisError(f"cannot read {manifest}: {e}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise VocalisError(f"{manifest} lacks column(s) {', '.join(missing)}: is it a speech MANIFEST.tsv?")
    return root.resolve(), rows


def select_pairs(root: Path, rows: list[dict[str, str]], limit: int | None = None) -> list[Pair]:
    """The trials, in a fixed order that takes speakers round-robin from the English, Mandarin and
    cross-lingual groups (each sorted by dataset and speaker), so a small `limit` still covers every
    group. A cross-lingual speaker (clips in both en and zh) gives two pairs, one each way."""
    clips: dict[tuple[str, str], dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        emotion = (row["emotion"] or "").strip().lower()
        if row["dataset"] in EMOTIONAL or row["dataset"] == STRANGERS or emotion not in ("", "neutral"):
            continue
        if row["language"] in SENTENCES:
            clips[row["dataset"], row["speaker_id"]][row["language"]].append(root / row["path"])

    speakers: dict[str, list[list[Pair]]] = {g: [] for g in GROUPS}
    for (dataset, speaker), by_lang in sorted(clips.items()):
        by_lang = {lang: sorted(paths) for lang, paths in by_lang.items()}
        if len(by_lang) == 2:
            speakers[CROSS].append([
                Pair(CROSS, dataset, speaker, by_lang[src][0], by_lang[dst][0], src, dst)
                for src, dst in (("en", "zh"), ("zh", "en"))
            ])
        else:
            ((lang, paths),) = by_lang.items()
            if len(paths) >= 2:
                speakers[GROUP_OF_LANG[lang]].append([Pair(GROUP_OF_LANG[lang], dataset, speaker, *paths[:2],
                                                           lang, lang)])
    order: list[list[Pair]] = []
    for i in range(max(map(len, speakers.values()))):
        order += [speakers[g][i] for g in GROUPS if i < len(speakers[g])]
    return [pair for trials in order[:limit] for pair in trials]


def _reference(source: Path | Audio) -> tuple[Reference, str | None]:
    """Speech trimmed by VAD and normalised, as the cloner sees it (silence dilutes both encoders),
    with a note when the clip is under the product's minimum and was trimmed to a lower one."""
    from vocalis.voice.reference import prepare_reference

    try:
        return prepare_reference(source), None
    except VoiceError:
        ref = prepare_reference(source, min_speech_s=MIN_EVAL_SPEECH_S)  # raises again unless it was too short
    return ref, f"{ref.speech_s:.1f} s of speech, under the product's minimum: used anyway"


def _speech(source: Path | Audio) -> tuple[Audio, str | None]:
    """Trimmed speech for embedding (the product's minimum is about cloning, not embedding); the raw clip,
    with a note, when even that finds too little speech."""
    try:
        return _reference(source)[0].audio, None
    except VoiceError as e:
        return (source if isinstance(source, Audio) else Audio.load(source)), f"raw clip used: {e}"


def _embed(audio: Audio) -> dict[str, np.ndarray]:
    from vocalis.voice.speaker import dvector_embedding, ge2e_embedding

    return {"ge2e": ge2e_embedding(audio), "dvector": dvector_embedding(audio)}


def _similarities(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    from vocalis.voice.speaker import cosine

    return {enc: cosine(a[enc], b[enc]) for enc in ENCODERS}


def evaluate_cloning(data_dir: str | Path, limit: int | None = None, progress: Callable[[str], None] = print,
                     steps: int | None = None, checkpoint: Callable[[dict], None] | None = None) -> dict:
    """Clone each selected speaker and score clone and nearest-pack baseline (see the module doc).
    `limit` caps the number of speakers; `steps` overrides the cloner's gradient steps (tests);
    `checkpoint` receives the report so far after every pair, so a long run stopped early keeps its figures.
    Returns a JSON-ready dict: settings, per-pair figures and per-group averages."""
    from vocalis.service import Vocalis
    from vocalis.voice.clone import Cloner

    started = time.perf_counter()
    root, rows = read_manifest(data_dir)
    pairs = select_pairs(root, rows, limit)
    if not pairs:
        raise VocalisError(f"no speaker in {root / 'MANIFEST.tsv'} has two usable clips to evaluate cloning on")
    strangers = sorted(root / r["path"] for r in rows if r["dataset"] == STRANGERS)
    if not strangers:
        raise VocalisError(f"no {STRANGERS} clips in {root / 'MANIFEST.tsv'}: the stranger baseline needs them")
    strangers = [strangers[i] for i in np.linspace(0, len(strangers) - 1, min(MAX_STRANGERS, len(strangers)))
                 .round().astype(int)]

    progress(f"embedding {len(strangers)} strangers")
    stranger_embeddings, stranger_notes = [], []
    for path in strangers:
        audio, note = _speech(path)
        stranger_embeddings.append(_embed(audio))
        if note:
            stranger_notes.append(f"{path.name}: {note}")

    tts = Vocalis()
    cloner = Cloner(tts.acoustic) if steps is None else Cloner(tts.acoustic, steps=steps)
    results: list[dict] = []

    def report() -> dict:
        return {
            "data": str(root),
            "sentences": SENTENCES,
            "strangers": {"count": len(strangers), "notes": stranger_notes},
            "pairs": results,
            "groups": _group_means(results),
            "runtime_s": round(time.perf_counter() - started, 1),
        }

    for i, pair in enumerate(pairs, 1):
        progress(f"[{i}/{len(pairs)}] {pair.group}: {pair.label}")
        result: dict = {"group": pair.group, "dataset": pair.dataset, "speaker": pair.speaker,
                        "ref_lang": pair.ref_lang, "lang": pair.lang, "ref": str(pair.ref), "gt": str(pair.gt),
                        "metric": METRIC[pair.lang], "notes": []}
        results.append(result)
        try:
            _evaluate_pair(pair, tts, cloner, stranger_embeddings, result, root)
        except VocalisError as e:  # an unusable clip fails its pair, not the whole evaluation
            result["error"] = str(e)
            progress(f"  failed: {e}")
        else:
            c, n, b = result["clone"], result["plain"], result["baseline"]
            progress(f"  {result['metric']} {c['error_rate']:.2f} (no envelope {n['error_rate']:.2f}, pack "
                     f"{b['error_rate']:.2f}), d-vector similarity {c['similarity']['dvector']:.2f} (no envelope "
                     f"{n['similarity']['dvector']:.2f}, pack {b['similarity']['dvector']:.2f}, "
                     f"ref {result['ref_gt']['dvector']:.2f}), enrolment {result['enrol_s']:.0f} s")
        if checkpoint is not None:
            checkpoint(report())
    return report()


def _evaluate_pair(pair: Pair, tts: Vocalis, cloner: Cloner, strangers: list[dict[str, np.ndarray]],
                   result: dict, root: Path) -> None:
    """Clone from the pair's reference and fill `result` with the clone's and the baseline's figures."""
    from vocalis.asr import transcribe
    from vocalis.service.envelope import clone_with_envelope
    from vocalis.text.error_rate import cer, wer
    from vocalis.voice.builtin import builtin_voices

    ref, note = _reference(pair.ref)
    gt_audio, gt_note = _speech(pair.gt)
    result["notes"] += [f"ref {note}"] * bool(note) + [f"gt {gt_note}"] * bool(gt_note)
    gt = _embed(gt_audio)
    sim_ref = _similarities(_embed(ref.audio), gt)
    sim_stranger = {enc: float(np.mean([_similarities(s, gt)[enc] for s in strangers])) for enc in ENCODERS}

    plain = cloner.clone(ref, name=f"eval-{pair.speaker}", lang=pair.lang)
    began = time.perf_counter()
    voice = clone_with_envelope(tts, plain, ref, lambda _m: None)  # what Vocalis.clone makes of it
    result["envelope_s"] = round(time.perf_counter() - began, 1)
    for v in (voice, plain):
        grant_for_evaluation(v, root)
    meta = voice.meta
    result["envelope"] = voice.envelope is not None
    result.update(start_pack=meta["start_pack"], pitch_scale=meta["pitch_scale"], enrol_s=meta["seconds"],
                  kept=meta["kept"], held_out_errors=meta["held_out_errors"],
                  ref_speech_s=round(ref.speech_s, 2), fit_similarity_start=meta["similarity_start"],
                  fit_similarity=meta["similarity"], ref_gt=sim_ref, stranger_gt=sim_stranger)
    sentence = SENTENCES[pair.lang]
    score = {"wer": wer, "cer": cer}[result["metric"]]
    systems = {"clone": voice, "plain": plain, "baseline": builtin_voices()[meta["start_pack"]]}
    for system, speaker_voice in systems.items():
        audio = tts.synthesize(sentence, voice=speaker_voice, lang=pair.lang)
        heard = transcribe(audio, pair.lang)
        speech, note = _speech(audio)
        if note:
            result["notes"].append(f"{system} {note}")
        sim = _similarities(_embed(speech), gt)
        result[system] = {
            "heard": heard,
            "error_rate": score(sentence, heard),
            "similarity": sim,
            "normalised": {enc: normalised_similarity(sim[enc], sim_ref[enc], sim_stranger[enc]) for enc in ENCODERS},
        }


def _mean(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def _group_means(results: list[dict]) -> dict:
    """Averages per group over the pairs that ran (NaN normalised figures left out)."""
    groups = {}
    for group in GROUPS:
        done = [r for r in results if r["group"] == group and "error" not in r]
        if not done and not any(r["group"] == group for r in results):
            continue
        summary: dict = {"pairs": len(done), "failed": sum(r["group"] == group and "error" in r for r in results),
                         "enrol_s": _mean([r["enrol_s"] for r in done])}
        for key in ("ref_gt", "stranger_gt"):
            summary[key] = {enc: _mean([r[key][enc] for r in done]) for enc in ENCODERS}
        for system in SYSTEMS:
            summary[system] = {
                **{m: _mean([r[system]["error_rate"] for r in done if r["metric"] == m]) for m in ("wer", "cer")},
                "similarity": {enc: _mean([r[system]["similarity"][enc] for r in done]) for enc in ENCODERS},
                "normalised": {enc: _mean([r[system]["normalised"][enc] for r in done]) for enc in ENCODERS},
            }
        groups[group] = summary
    return groups


def _json_ready(value: object) -> object:
    """NaN (a figure that could not be computed) becomes null: JSON has no NaN."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def write_json(report: dict, path: str | Path) -> None:
    """The whole report as JSON (NaN as null)."""
    try:
        Path(path).write_text(json.dumps(_json_ready(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        raise VocalisError(f"cannot write {path}: {e}") from None


def _f(value: float | None, width: int = 6) -> str:
    """A figure, or '-' where none could be computed (NaN here, null in a JSON report read back)."""
    return f"{'-':>{width}}" if value is None or math.isnan(value) else f"{value:{width}.2f}"


def print_report(report: dict, out: TextIO | None = None) -> None:
    """Readable tables (to `out`, default standard output): every pair, then averages per group. Also
    takes a report read back from `write_json`."""
    p = partial(print, file=out or sys.stdout)
    p(f"Cloning evaluation on {report['data']}: {len(report['pairs'])} pairs, "
      f"{report['strangers']['count']} strangers, {report['runtime_s']:.0f} s")
    p("similarity = cosine to a different clip of the same speaker (gt); norm: 0 = stranger, 1 = the reference clip")
    p("GE2E is what the cloner optimises; the d-vector is the independent judge. pack = nearest-pack baseline.\n")
    head = (f"{'group':<13} {'pair':<36} {'pack':<13} {'enrol':>5}  {'err':>3} {'clone':>6} {'pack':>6}  "
            f"{'GE2E clone':>10} {'pack':>6} {'ref':>6} {'strgr':>6} {'norm':>6} {'npack':>6}  "
            f"{'dvec clone':>10} {'pack':>6} {'ref':>6} {'strgr':>6} {'norm':>6} {'npack':>6}")
    p(head)
    p("-" * len(head))
    for r in report["pairs"]:
        label = _label(r["dataset"], r["speaker"], r["ref_lang"], r["lang"])
        if "error" in r:
            p(f"{r['group']:<13} {label:<36} failed: {r['error']}")
            continue
        c, b = r["clone"], r["baseline"]
        cells = [f"{r['group']:<13} {label:<36} {r['start_pack']:<13} {r['enrol_s']:5.0f}  {r['metric']:>3}",
                 _f(c["error_rate"]), _f(b["error_rate"]) + " "]
        for enc in ENCODERS:
            cells += [_f(c["similarity"][enc], 10), _f(b["similarity"][enc]), _f(r["ref_gt"][enc]),
                      _f(r["stranger_gt"][enc]), _f(c["normalised"][enc]), _f(b["normalised"][enc]) + " "]
        p(" ".join(cells).rstrip())
        for note in r["notes"]:
            p(f"{'':<14}note: {note}")

    p("\naverages per group (clone / the clone without its phoneme envelope / pack):")
    head = (f"{'group':<13} {'pairs':>5} {'enrol':>5}  {'WER':>21}  {'CER':>21}  {'GE2E sim':>21}  {'GE2E norm':>21}  "
            f"{'dvec sim':>21}  {'dvec norm':>21}  {'ref/strgr GE2E':>14}  {'ref/strgr dvec':>14}")
    p(head)
    p("-" * len(head))
    columns = [("wer",), ("cer",), ("similarity", "ge2e"), ("normalised", "ge2e"), ("similarity", "dvector"),
               ("normalised", "dvector")]
    for group, g in report["groups"].items():
        cells = [f"{group:<13} {g['pairs']:>5} {_f(g['enrol_s'], 5)}"]
        for keys in columns:
            figures = [g.get(system, {}) for system in SYSTEMS]  # a report from before "plain" has none
            for key in keys:
                figures = [f.get(key, math.nan) if isinstance(f, dict) else math.nan for f in figures]
            cells.append(" /".join(_f(f) for f in figures))
        cells += [f"{_f(g['ref_gt'][enc])} /{_f(g['stranger_gt'][enc])}" for enc in ENCODERS]
        p("  ".join(cells) + (f"  ({g['failed']} failed)" if g["failed"] else ""))
    if report["strangers"]["notes"]:
        p(f"\n{len(report['strangers']['notes'])} stranger clip(s) embedded untrimmed: too little speech for the VAD")
