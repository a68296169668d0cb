"""Zero-shot cloning: reference speech -> a Voice (timbre half fitted to the speaker, prosody half from
the nearest built-in pack, pitch level from the reference).

Kokoro's style is 128 timbre dims (decoder) + 128 prosody dims (duration/F0 predictor). No encoder
from audio to style ships, so a clone is fitted: start from the built-in pack whose rendering sounds
closest to the reference (GE2E speaker embedding), set the pitch level from the reference's median F0,
then move the timbre half by a few gradient steps that raise the GE2E similarity of a rendered probe
sentence to the reference. A speaker encoder is many-to-one and can be pleased by styles that no
longer speak well, so three guards keep the voice natural and intelligible: a penalty on the distance
from the start pack (in the packs' own spread per dimension), few and small steps, and a Whisper check
of the probe that pulls the timbre back towards the pack when it stops being understood. Judging a
clone is left to an independent encoder (`vocalis eval cloning`), never the one optimised here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from vocalis.audio import Audio
from vocalis.errors import VoiceError
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.reference import Reference, prepare_reference
from vocalis.voice.voice import PROSODY, TIMBRE, Voice

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel, Encoded, Prosody

# Probe sentences the timbre is fitted on: ~3 s (a gradient step costs ~1 s per second of probe on
# 2 cores), with varied vowels, nasals and fricatives.
PROBES = {
    "en": "She sells fresh bread every morning.",
    "zh": "我们明天早上一起去公园散步，好吗？",
}
METHOD = "nearest-pack + GE2E timbre refinement"
PITCH_RANGE = (0.5, 2.0)


@dataclass(frozen=True)
class CloneReport:
    """What enrolment measured; stored in the voice's metadata."""

    start_pack: str
    similarity_start: float  # GE2E cosine of the start pack's probe to the reference
    similarity: float  # after refinement
    pitch_scale: float
    steps: int
    kept: float  # fraction of the refinement kept by the intelligibility guard (1: all, 0: the pack)
    seconds: float


def median_f0(audio: Audio) -> float:
    """Median F0 (Hz) over the voiced frames of speech, by YIN with an energy gate."""
    import librosa

    y = audio.resample(16000).samples
    f0 = librosa.yin(y, fmin=60, fmax=500, sr=16000, frame_length=1024, hop_length=160)
    rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=160)[0][: len(f0)]
    voiced = f0[(rms > 0.3 * np.median(rms[rms > 0])) & (f0 > 60) & (f0 < 500)]
    if len(voiced) < 20:
        raise VoiceError("the reference has too little voiced speech to measure its pitch")
    return float(np.median(voiced))


class Cloner:
    """Fits voices; holds the models it needs (loaded once, on first use)."""

    def __init__(self, model: AcousticModel, steps: int = 4, regulariser: float = 0.02, lr: float = 0.1):
        """`steps` gradient steps on the timbre (~3 s each on 2 cores; a count, not a time budget, so
        the same reference gives the same voice on any machine). `regulariser`: weight of the squared
        distance from the start pack, in the packs' standard deviations per dimension, averaged."""
        self.model = model
        self.steps, self.regulariser, self.lr = steps, regulariser, lr
        packs = np.stack([v.style for v in builtin_voices().values()])  # [5, 510, 256]
        self._spread = torch.from_numpy(packs[..., TIMBRE].reshape(-1, 128).std(axis=0).clip(min=1e-3))

    def clone(self, sources: Sequence[str | Path | Audio] | Reference, name: str, lang: str = "en",
              progress: Callable[[str], None] | None = None) -> Voice:
        """A Voice named `name` from reference speech (paths, Audio, or a prepared Reference)."""
        from vocalis.eval.speakers import ge2e_embedding

        if lang not in PROBES:
            raise VoiceError(f"unknown language {lang!r} for a cloned voice: use en or zh")
        started = time.perf_counter()
        say = progress or (lambda _msg: None)
        ref = sources if isinstance(sources, Reference) else prepare_reference(sources)
        say(f"reference: {ref.speech_s:.1f} s of speech")
        target = torch.from_numpy(ge2e_embedding(ref.audio)).float()
        probe = _Probe(self.model, PROBES[lang], lang)

        # Start from the pack whose probe rendering is closest to the reference.
        scores = {}
        for pack in builtin_voices().values():
            audio = probe.render(pack.style_for(probe.n_ids), pitch_scale=1.0)
            scores[pack.name] = float(ge2e_embedding(audio) @ target.numpy())
        start_name = max(scores, key=scores.get)
        start = builtin_voices()[start_name].style_for(probe.n_ids).copy()
        pitch = float(np.clip(median_f0(ref.audio) / probe.median_f0(start), *PITCH_RANGE))
        say(f"closest built-in voice: {start_name} (similarity {scores[start_name]:.2f}); pitch x{pitch:.2f}")

        timbre, steps, best = self._refine(probe, start, pitch, target, say)
        style, kept = self._intelligible(probe, start, timbre, pitch, lang)
        if kept < 1:
            say(f"kept {kept:.0%} of the refinement: further, the probe sentence was no longer understood")
        report = CloneReport(start_name, scores[start_name], best, pitch, steps, kept,
                             time.perf_counter() - started)
        say(f"similarity {report.similarity_start:.2f} -> {report.similarity:.2f} in {steps} steps, "
            f"{report.seconds:.0f} s")
        meta = {
            "source": "clone", "method": METHOD, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "reference_sha256": ref.sha256, "reference_files": ref.sources, "speech_s": round(ref.speech_s, 2),
            "snr_db": None if not np.isfinite(ref.snr_db) else round(ref.snr_db, 1),
            "quality_hints": ref.quality_hints(), **{k: _round(v) for k, v in vars(report).items()},
        }
        return Voice(name=name, style=style[None].astype(np.float32), language=lang,
                     description=f"cloned from {', '.join(ref.sources)}", pitch_scale=pitch, meta=meta)

    def _intelligible(self, probe: _Probe, start: np.ndarray, timbre: np.ndarray, pitch: float,
                      lang: str) -> tuple[np.ndarray, float]:
        """The refined style, or one pulled back towards the start pack, whose probe Whisper still
        understands as well as the pack's: the speaker encoder can be pleased by styles that no longer
        speak (seen: a clone that said only "I'm sorry"). Returns the style and the fraction kept."""
        from vocalis.asr import transcribe
        from vocalis.eval.metrics import cer, wer

        score = cer if lang == "zh" else wer

        def errors(style: np.ndarray) -> float:
            audio = probe.render(style, pitch)
            clipped = np.mean(np.abs(audio.samples) > 0.99) > 1e-3
            return 1.0 if clipped else score(probe.text, transcribe(audio, lang=lang))

        allowed = errors(start) + 0.1
        for kept in (1.0, 0.5):
            style = start.copy()
            style[TIMBRE] = start[TIMBRE] + kept * (timbre - start[TIMBRE])
            if errors(style) <= allowed:
                return style, kept
        return start.copy(), 0.0

    def _refine(self, probe: _Probe, start: np.ndarray, pitch: float, target: torch.Tensor,
                say: Callable[[str], None]) -> tuple[np.ndarray, int, float]:
        """Adam on the timbre half; returns the best timbre seen, the number of steps and its similarity."""
        from vocalis.eval.speakers import ge2e_loss

        encoder = ge2e_loss()
        enc, prosody = probe.prosody(start, pitch)  # fixed: only the timbre moves
        t0 = torch.from_numpy(start[TIMBRE]).float()
        timbre = t0.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([timbre], lr=self.lr)
        best, best_timbre, steps = -1.0, t0.numpy().copy(), 0
        while steps < self.steps:
            audio = probe.render_tensor(enc, prosody, timbre)
            similarity = torch.dot(encoder.embed(audio), target)
            drift = (((timbre - t0) / self._spread) ** 2).mean()
            loss = 1 - similarity + self.regulariser * drift
            optimiser.zero_grad()
            loss.backward()
            if similarity.item() > best:  # the timbre before this step produced this similarity
                best, best_timbre = similarity.item(), timbre.detach().numpy().copy()
            optimiser.step()
            steps += 1
            say(f"step {steps}: similarity {similarity.item():.3f}")
        return best_timbre, steps, best


class _Probe:
    """A fixed sentence whose durations and F0 come from the start style: only the timbre moves."""

    def __init__(self, model: AcousticModel, text: str, lang: str):
        from vocalis.acoustic import assets
        from vocalis.acoustic.tones import MandarinTones
        from vocalis.text import segments

        self.model, self.text = model, text
        seg = next(iter(segments(text, lang=lang)))
        vocab = assets.vocab()
        self.ids = [vocab[c] for c in seg.phonemes if c in vocab]
        self.n_ids = len(self.ids)
        self._tones = MandarinTones(seg) if seg.syllables else None

    def prosody(self, style: np.ndarray, pitch_scale: float) -> tuple[Encoded, Prosody]:
        from vocalis.acoustic.stages import round_durations

        enc = self.model.encode(self.ids, style)
        durations = round_durations(self.model.predict_durations(enc))
        if self._tones is not None:
            durations = self._tones.durations(durations)
        prosody = self.model.predict_prosody(enc, durations)
        if self._tones is not None:
            prosody = self._tones.prosody(prosody)
        return enc, replace(prosody, f0=prosody.f0 * np.float32(pitch_scale))

    def median_f0(self, style: np.ndarray) -> float:
        _, prosody = self.prosody(style, 1.0)
        voiced = prosody.f0[prosody.f0 > 10]
        return float(np.median(voiced)) if len(voiced) else 150.0

    def render(self, style: np.ndarray, pitch_scale: float) -> Audio:
        with torch.inference_mode():
            enc, prosody = self.prosody(style, pitch_scale)
            return Audio(self.model.decode(enc, prosody), self.model.sample_rate)

    def render_tensor(self, enc: Encoded, prosody: Prosody, timbre: torch.Tensor) -> torch.Tensor:
        """The probe with `timbre` as the decoder's style, differentiable w.r.t. `timbre`."""
        style = torch.cat([timbre, enc.style[0, PROSODY]])[None]
        return self.model.decode_tensor(replace(enc, style=style), prosody)


def _round(value: object) -> object:
    return round(value, 3) if isinstance(value, float) else value

