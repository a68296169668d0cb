"""Few-shot training, start to end: clips -> checked, transcribed utterances -> the instant clone to start
from -> forced alignment and the recording's prosody -> the prosody half of the style -> the decoder adapter
and the timbre half, under a time budget, stopping on the held-out loss -> a trained Voice.

A run checkpoints into its folder (see `checkpoint.RunFolder`) every half minute; run again with the same
inputs and it resumes. `cancel()` returning True stops it between steps (TrainingCancelled): the checkpoint
stays, the library is untouched. Nothing of the recordings is kept in the voice, only their hashes."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.errors import VocalisError
from vocalis.voice.train.checkpoint import RunFolder, remove_runs
from vocalis.voice.train.corpus import Aligned, align_all
from vocalis.voice.train.fit import DecoderTrainer
from vocalis.voice.train.intake import Corpus, check_corpus
from vocalis.voice.train.losses import bandwidth
from vocalis.voice.train.options import TrainingCancelled, TrainOptions, TrainProgress
from vocalis.voice.train.prosody_fit import fit_prosody
from vocalis.voice.voice import TIMBRE, Voice

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel

METHOD = "decoder adapter (AdaIN biases + rank-4 LoRA) and style, by reconstruction and a GE2E speaker term"
CHECKPOINT_S = 30.0
EVAL_EVERY = 40  # steps between held-out evaluations (~10 s each)
FINISH_S = 90.0  # kept from the budget for the end: the int8 export and the checks


def train(model: AcousticModel, sources: Sequence[str | Path], name: str, options: TrainOptions,
          start: Callable[[Corpus], Voice], start_key: str,
          progress: Callable[[TrainProgress], None] = lambda _p: None,
          cancel: Callable[[], bool] = lambda: False) -> tuple[Voice, list[Aligned], list[Aligned], Voice]:
    """A trained Voice named `name` from `sources`, the utterances it was trained on and those held out to judge
    it, and the voice it started from.
    `start(corpus)` gives the voice to start from (an instant clone of the speaker), `start_key` names it for
    the run's key. `model`: the AcousticModel (its PyTorch decoder is what is adapted)."""
    began = time.monotonic()

    def say(stage: str, message: str, fraction: float, **extra: object) -> None:
        if cancel():
            raise TrainingCancelled(f"training of {name!r} cancelled; run the same command again to resume")
        progress(TrainProgress(stage, message, fraction, **extra))

    say("checking", "checking the clips", 0.0)
    corpus = check_corpus(sources, options.lang, options.transcripts, lambda m: say("transcribing", m, 0.02))
    run = RunFolder(name, _run_key(corpus, options, start_key))
    remove_runs(name, keep=run.path)
    prepared = run.load("corpus")
    if prepared is None:
        say("cloning", f"{corpus.speech_s:.0f} s of speech in {len(corpus.utterances)} utterances; "
            "fitting the voice to start from", 0.05)
        voice = start(corpus)
        aligned = _aligned(model, corpus, voice, options.lang, say)
        held, train_set = _split(aligned, options.held_out_share)
        say("prosody", "fitting the speaker's pace and pitch", 0.2)
        style, prosody_loss = fit_prosody(model, train_set, voice.style_for(len(train_set[0].ids)).copy())
        prepared = {"voice": voice, "held": held, "train": train_set, "style": style, "prosody_loss": prosody_loss,
                    "pitch": _pitch_scale(model, train_set, style)}
        run.save("corpus", prepared)
    else:
        say("training", "resuming the run from its checkpoint", 0.2)
    budget = options.minutes * 60 - FINISH_S
    trainer, best = _fit_decoder(model, prepared, options, run, budget, began, say)
    say("finishing", "building the voice's decoder", 0.95)
    trained = _trained_voice(name, corpus, prepared, trainer, best, options, time.monotonic() - began)
    return trained, prepared["train"], prepared["held"], prepared["voice"]


def _trained_voice(name: str, corpus: Corpus, prepared: dict, trainer: DecoderTrainer, best: dict,
                   options: TrainOptions, seconds: float) -> Voice:
    voice, style = prepared["voice"], prepared["style"].copy()
    style[TIMBRE] = best["timbre"].numpy()
    meta = {
        "source": "trained", "method": METHOD, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_from": voice.name, "start_voice_id": voice.id, "training_sha256": corpus.sha256,
        "training_files": [Path(s).name for s in corpus.sources], "speech_s": round(corpus.speech_s, 1),
        "utterances": {"train": len(prepared["train"]), "held_out": len(prepared["held"])},
        "snr_db": _finite(corpus.snr_db), "steps": trainer.steps_done, "best_step": best["step"],
        "seconds": round(seconds, 1),
        "metrics": {"held_out_loss_start": round(best["start"], 3), "held_out_loss": round(best["loss"], 3),
                    "prosody_loss": round(prepared["prosody_loss"], 3)},
        "fit": asdict(options.fit),
    }
    return Voice(name=name, style=style[None].astype(np.float32), language=options.lang,
                 description=f"trained on {len(corpus.sources)} clip(s), {corpus.speech_s:.0f} s of speech",
                 pitch_scale=prepared["pitch"], meta=meta, speaker=voice.speaker,
                 adapter={k: v.numpy() for k, v in best["adapter"].tensors.items()})


def finish(run_name: str) -> None:
    """Forget a finished run's folder (its voice is saved)."""
    remove_runs(run_name)


def _run_key(corpus: Corpus, options: TrainOptions, start_key: str) -> str:
    spec = {"clips": corpus.sha256, "texts": [u.text for u in corpus.utterances], "lang": options.lang,
            "fit": asdict(options.fit), "steps": options.steps, "start": start_key}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _aligned(model: AcousticModel, corpus: Corpus, voice: Voice, lang: str, say: Callable[..., None]) -> list[Aligned]:
    def each(k: int, n: int) -> None:
        say("aligning", f"aligning utterance {k + 1}/{n}", 0.05 + 0.15 * k / n)

    aligned = align_all(model, corpus.utterances, lang, voice.style_for(100), each)  # trains on those that align
    if len(aligned) < 2:
        raise VocalisError("too few utterances could be aligned to their transcripts: check the transcripts")
    return aligned


def _split(aligned: list[Aligned], share: float) -> tuple[list[Aligned], list[Aligned]]:
    """Every k-th utterance held out (at least one), spread over the corpus."""
    every = max(int(round(1 / share)), 2)
    held = [u for k, u in enumerate(aligned) if k % every == every // 2] or aligned[-1:]
    return held, [u for u in aligned if all(u is not h for h in held)]


def _pitch_scale(model: AcousticModel, utts: Sequence[Aligned], style: np.ndarray) -> float:
    """What brings the fitted style's predicted F0 to the speaker's median (1.0 when the fit got there)."""
    import torch

    predicted, real = [], []
    with torch.inference_mode():
        for utt in utts[:8]:
            enc = model.encode(utt.ids, style)
            f0 = model.predict_prosody(enc, utt.durations).f0
            predicted.append(f0[f0 > 10])
            real.append(utt.f0[utt.f0 > 0])
    ratio = np.median(np.concatenate(real)) / max(float(np.median(np.concatenate(predicted))), 1.0)
    return float(np.clip(ratio, 0.5, 2.0))


def _fit_decoder(model: AcousticModel, prepared: dict, options: TrainOptions, run: RunFolder, budget_s: float,
                 began: float, say: Callable[..., None]) -> tuple[DecoderTrainer, dict]:
    """Train until the budget (or `options.steps`) is spent, checkpointing as it goes; returns the trainer and
    the best state seen on the held-out utterances. A cancel between steps saves a checkpoint first."""
    train_set, held = prepared["train"], prepared["held"]
    trainer = DecoderTrainer(model, prepared["style"][TIMBRE], options.fit,
                             bandwidth([u.samples for u in train_set]), _speaker(train_set))
    saved = run.load("checkpoint")
    if saved is not None:
        trainer.load_state(saved["trainer"])
        best = saved["best"]
    else:
        best = {**_snapshot(trainer, loss := trainer.held_out_loss(held)), "start": loss}
    last_save, started, done_before = time.monotonic(), time.monotonic(), trainer.steps_done
    while not _spent(trainer, options, budget_s, began):
        trainer.step(train_set)
        spent = time.monotonic() - started
        if options.steps is not None:
            eta = spent / max(trainer.steps_done - done_before, 1) * (options.steps - trainer.steps_done)
        else:
            eta = max(budget_s - (time.monotonic() - began), 0.0)
        if trainer.steps_done % EVAL_EVERY == 0 and (loss := trainer.held_out_loss(held)) < best["loss"]:
            best = {**_snapshot(trainer, loss), "start": best["start"]}
        try:
            say("training", f"step {trainer.steps_done}: held-out loss {best['loss']:.3f}",
                0.2 + 0.75 * spent / max(spent + eta, 1e-9), eta_s=eta + FINISH_S, step=trainer.steps_done,
                held_out=best["loss"])
        except TrainingCancelled:
            _save(run, trainer, best)
            raise
        if time.monotonic() - last_save >= CHECKPOINT_S:
            _save(run, trainer, best)
            last_save = time.monotonic()
    if (loss := trainer.held_out_loss(held)) < best["loss"]:
        best = {**_snapshot(trainer, loss), "start": best["start"]}
    _save(run, trainer, best)
    return trainer, best


def _speaker(utts: Sequence[Aligned]) -> np.ndarray:
    """The recordings' GE2E embedding: the mean of the utterances', normalised."""
    from vocalis.acoustic.assets import SAMPLE_RATE
    from vocalis.audio import Audio
    from vocalis.voice.speaker import ge2e_embedding

    mean = np.mean([ge2e_embedding(Audio(u.samples, SAMPLE_RATE)) for u in utts], axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def _spent(trainer: DecoderTrainer, options: TrainOptions, budget_s: float, began: float) -> bool:
    if options.steps is not None:
        return trainer.steps_done >= options.steps
    return time.monotonic() - began >= budget_s


def _save(run: RunFolder, trainer: DecoderTrainer, best: dict) -> None:
    run.save("checkpoint", {"trainer": trainer.state(), "best": best})


def _snapshot(trainer: DecoderTrainer, loss: float) -> dict:
    """What the run keeps of its best point so far."""
    return {"loss": loss, "step": trainer.steps_done, "adapter": trainer.adapter(),
            "timbre": trainer.timbre.detach().clone()}


def _finite(value: float) -> float | None:
    return round(value, 1) if np.isfinite(value) else None

