"""Training evaluation (`vocalis eval training`): does a trained voice sound like its speaker on sentences it
never heard, against the amount of training speech, next to the instant clone and the nearest built-in pack?

Per speaker: two clips are held out (their sentences are what every system reads, and their recordings the
ground truth); the rest are the training pool, of which the first 10 s, 30 s, 60 s or all are used. Similarity
is the independent d-vector (never in any loss), normalised between strangers (0) and the speaker's own other
recordings (1), as in `eval cloning`; intelligibility is Whisper WER/CER. Each training runs in its own
voice library, its clips' transcripts from the manifest when it has them (else Whisper's)."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.eval.cloning import (
    STRANGERS,
    _embed,
    _similarities,
    _speech,
    grant_for_evaluation,
    normalised_similarity,
    read_manifest,
)

if TYPE_CHECKING:
    from vocalis.service import Vocalis
    from vocalis.voice.voice import Voice

HELD_OUT_CLIPS = 2
AMOUNTS = ("10", "30", "60", "all")  # seconds of training audio (clip durations), or every clip but the held-out
N_STRANGERS = 16


def evaluate_training(data_dir: str | Path, speakers: list[str], amounts: tuple[str, ...] = AMOUNTS,
                      minutes: float = 14.0, progress: Callable[[str], None] = print,
                      checkpoint: Callable[[dict], None] | None = None, keep: str | Path | None = None) -> dict:
    """Train each speaker (by manifest speaker_id) on each amount; returns a JSON-ready report. `keep`: a folder
    to save each trained voice and its instant clone in, to listen to or study."""
    import os

    from vocalis.service import Vocalis

    root, rows = read_manifest(data_dir)
    strangers = sorted(root / r["path"] for r in rows if r["dataset"] == STRANGERS)[:N_STRANGERS]
    stranger_embeddings = [_embed(_speech(p)[0]) for p in strangers]
    tts = Vocalis()
    report: dict = {"data": str(root), "minutes": minutes, "results": []}
    for speaker in speakers:
        clips = sorted((r for r in rows if r["speaker_id"] == speaker), key=lambda r: r["path"])
        if len(clips) < HELD_OUT_CLIPS + 3:
            raise VocalisError(f"speaker {speaker!r} has {len(clips)} clips in the manifest: too few to evaluate")
        held, pool = clips[-HELD_OUT_CLIPS:], clips[:-HELD_OUT_CLIPS]
        judge = _Judge(tts, root, held, pool, stranger_embeddings)
        for amount in amounts:
            chosen = _take(pool, amount, root)
            progress(f"{speaker}: training on {amount} s ({len(chosen)} clips)")
            with tempfile.TemporaryDirectory() as home:
                os.environ["VOCALIS_HOME"] = home
                scored = judge.train_and_score(chosen, minutes, progress, _keeper(keep, f"{speaker}-{amount}"))
                result = {"speaker": speaker, "amount": amount, **scored}
            report["results"].append(result)
            progress(f"  {result}")
            if checkpoint:
                checkpoint(report)
    return report


def _keeper(folder: str | Path | None, stem: str) -> Callable[[Voice, str], None]:
    """Saves a voice as `folder`/`stem` + suffix (nothing when no folder is given)."""
    def keep(voice: Voice, suffix: str) -> None:
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
            voice.save(Path(folder) / f"{stem}{suffix}")

    return keep


def _take(pool: list[dict[str, str]], amount: str, root: Path) -> list[dict[str, str]]:
    if amount == "all":
        return pool
    chosen, total = [], 0.0
    for row in pool:
        if total >= float(amount):
            break
        chosen.append(row)
        total += float(row["duration_s"]) if row["duration_s"] else _seconds(root / row["path"])
    return chosen


def _seconds(path: Path) -> float:
    """A clip's length where the manifest leaves it blank."""
    import soundfile as sf

    return float(sf.info(str(path)).duration)


class _Judge:
    """Scores voices on the held-out sentences of one speaker."""

    def __init__(self, tts: Vocalis, root: Path, held: list[dict], pool: list[dict], strangers: list[dict]):
        from vocalis.asr import transcribe

        self.tts, self.root, self.strangers = tts, root, strangers
        self.lang = held[0]["language"] if held[0]["language"] in ("en", "zh") else "en"
        self.sentences = [r["transcript"] or transcribe(Audio.load(root / r["path"]), self.lang) for r in held]
        self.truth = [_embed(_speech(root / r["path"])[0]) for r in held]
        own = [_embed(_speech(root / r["path"])[0]) for r in pool[:4]]
        self.ref = [float(np.mean([_similarities(o, t)["dvector"] for o in own])) for t in self.truth]
        self.stranger = [float(np.mean([_similarities(s, t)["dvector"] for s in strangers])) for t in self.truth]

    def score(self, voice: Voice) -> dict:
        from vocalis.asr import transcribe
        from vocalis.text.error_rate import cer, wer

        metric = cer if self.lang == "zh" else wer
        norms, errors, render_s, audio_s = [], [], 0.0, 0.0
        for k, sentence in enumerate(self.sentences):
            started = time.perf_counter()
            audio = self.tts.synthesize(sentence, voice=voice, lang=self.lang)
            render_s += time.perf_counter() - started
            audio_s += audio.duration
            sim = _similarities(_embed(_speech(audio)[0]), self.truth[k])["dvector"]
            norms.append(normalised_similarity(sim, self.ref[k], self.stranger[k]))
            errors.append(metric(sentence, transcribe(audio, self.lang)))
        return {"normalised": round(float(np.nanmean(norms)), 3), "error_rate": round(float(np.mean(errors)), 3),
                "rtf": round(render_s / audio_s, 3)}

    def train_and_score(self, chosen: list[dict], minutes: float, progress: Callable[[str], None],
                        keep: Callable[[Voice, str], None]) -> dict:
        from vocalis.voice.builtin import builtin_voices, default_voice

        paths = [self.root / r["path"] for r in chosen]
        transcripts = {Path(r["path"]).name: r["transcript"] for r in chosen if r["transcript"]}
        clone = self.tts.instant_clone(paths, "instant", self.lang)
        grant_for_evaluation(clone, self.root)
        keep(clone, "-clone.npz")
        out = {"speech_clips": len(chosen), "clone": self.score(clone),
               "pack": self.score(builtin_voices()[clone.meta["start_pack"]])}
        started = time.perf_counter()
        try:
            voice = self.tts.train(paths, "trained", self.lang, transcripts=transcripts or None, minutes=minutes,
                                   progress=lambda p: None)
        except VocalisError as e:
            return {**out, "trained": None, "error": str(e)}
        grant_for_evaluation(voice, self.root)
        keep(voice, ".safetensors")
        out["trained"] = {**self.score(voice), "train_s": round(time.perf_counter() - started, 1),
                          "steps": voice.meta["steps"], "speech_s": voice.meta["speech_s"],
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                          "metrics": voice.meta["metrics"]}
        builtin = self.score(default_voice(self.lang))  # the floor: the default voice reading the same sentences
        out["builtin_rtf"], out["builtin_error_rate"] = builtin["rtf"], builtin["error_rate"]
        del progress
        return out


def print_report(report: dict) -> None:
    print(f"{'speaker':<10} {'amount':>6} {'clone':>6} {'pack':>6} {'trained':>8} {'WER':>5} {'(built-in)':>10} "
          f"{'RTF x':>6} {'min':>5}")
    for r in report["results"]:
        t = r.get("trained") or {}
        rtf = t.get("rtf", float("nan")) / r.get("builtin_rtf", float("nan")) if t else float("nan")
        print(f"{r['speaker']:<10} {r['amount']:>6} {r['clone']['normalised']:>6.2f} {r['pack']['normalised']:>6.2f} "
              f"{t.get('normalised', float('nan')):>8.2f} {t.get('error_rate', float('nan')):>5.2f} "
              f"{r.get('builtin_error_rate', float('nan')):>10.2f} {rtf:>6.2f} "
              f"{t.get('train_s', float('nan')) / 60:>5.1f}" + (f"  {r['error']}" if r.get("error") else ""))
