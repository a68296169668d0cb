"""Zero-shot cloning: reference speech -> a Voice (timbre half fitted to the speaker, prosody half from
the nearest built-in pack, pitch level from the reference).

Kokoro's style is 128 timbre dims (decoder) + 128 prosody dims (duration/F0 predictor). No encoder from
audio to style ships, so a clone is fitted: start from the built-in pack whose rendering sounds closest to
the reference (GE2E speaker embedding; for English, among the packs that read it clearly), set the pitch
level from the reference's median F0, then move the timbre half by gradient steps on two probe sentences,
taken in turn so the fit holds beyond one text. Each step decodes only a 1.6 s window of its probe, sliding
along it from step to step: on 6 LibriSpeech speakers this took enrolment from 48 to 32 s and scored no
worse on the independent judge (normalised d-vector 0.50 against 0.46 for whole probes), as each step hears
different sounds. The loss asks for the reference's GE2E embedding and its long-term spectrum: the encoder
alone is many-to-one and can be pleased by styles that sound like nobody, while the spectrum pins the
voice's physical colour (measured: with it, the independent judge's figure rose further). Two guards keep
the voice natural and intelligible: a penalty on the distance from the start pack (in the packs' own spread
per dimension), and a Whisper check that pulls the timbre back towards the pack, then the pitch towards the
pack's own, when the voice stops being understood. The check hears held-out sentences the fit never saw
(`voice.intelligibility`) as well as the probes: a fit can learn to say its probes and nothing else (seen: a
LibriSpeech reader whose clone passed its probes and read a new sentence at WER 0.53). Judging a clone is
left to an independent encoder (`vocalis eval cloning`), never the one optimised here.
"""

from __future__ import annotations

import hashlib
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
from vocalis.text.vocab import vocab as token_ids
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.intelligibility import HELD_OUT, MAX_ERRORS, error_rate
from vocalis.voice.reference import Reference, prepare_reference
from vocalis.voice.voice import PROSODY, TIMBRE, Voice, style_row

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel, Encoded, Prosody

# Probe sentences the timbre is fitted on, two per language taken in turn: ~3 s each, with varied
# vowels, nasals and fricatives, decoded in windows (a gradient step costs ~1.3 s per second decoded).
PROBES = {
    "en": ("She sells fresh bread every morning.", "Could you bring the yellow umbrella to my office?"),
    "zh": ("我们明天早上一起去公园散步，好吗？", "请把那本蓝色的书放在桌子上。"),
}
METHOD = "nearest-pack + GE2E and spectrum timbre fit"
WINDOW_FRAMES = 64  # 1.6 s, one GE2E partial window
PITCH_RANGE = (0.5, 2.0)
# Weight of the long-term spectrum term (squared log-mel difference, ~2 before fitting) against the
# speaker term (1 - cosine, ~0.3).
SPECTRUM_WEIGHT = 0.1
# The built-in packs an English clone may start from: those that read plain English clearly, as a clone seldom
# reads more clearly than its pack. Whisper base WER on 16 plain sentences at their own pitch: jm_kumo 0.025,
# jf_gongitsune 0.03, jf_tebukuro 0.055, jf_nezumi 0.06, jf_alpha 0.08. Clones started from the last two read
# them at up to 0.095. Mandarin clones may start from any pack.
START_PACKS = {"en": ("jm_kumo", "jf_gongitsune")}
# When no share of the fit is intelligible at the reference's pitch, the pitch scale is pulled into
# this range (a pack far from its own pitch level was a known failure), and the check runs again.
SAFE_PITCH = (0.8, 1.25)


def judged(lang: str) -> tuple[str, ...]:
    """The sentences the intelligibility guard hears a clone read: the held-out ones first (the likeliest to fail,
    which ends the check early), then the probes."""
    return (*HELD_OUT[lang], *PROBES[lang])


@dataclass(frozen=True)
class CloneReport:
    """What enrolment measured; stored in the voice's metadata."""

    start_pack: str
    similarity_start: float  # GE2E cosine of the start pack's first probe to the reference
    similarity: float  # the same for the finished voice
    pitch_scale: float
    steps: int
    kept: float  # fraction of the fit kept by the intelligibility guard (1: all, 0: the pack)
    held_out_errors: float  # Whisper's error rate on the finished voice reading the held-out sentences and probes
    pitch_reference: float  # the pitch scale the reference asked for, before the guard
    guard: str | None  # why the guard pulled the voice back (None: it kept the fit)
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

    def __init__(self, model: AcousticModel, steps: int = 8, regulariser: float = 0.02, lr: float = 0.1,
                 window: int | None = WINDOW_FRAMES):
        """`steps` gradient steps on the timbre (~2.5 s each on 2 cores; a count, not a time budget, so
        the same reference gives the same voice on any machine), each decoding `window` frames of its
        probe (None: all of it). `regulariser`: weight of the squared distance from the start pack, in
        the packs' standard deviations per dimension, averaged."""
        self.model = model
        self.steps, self.regulariser, self.lr, self.window = steps, regulariser, lr, window
        packs = np.stack([v.style for v in builtin_voices().values()])  # [5, 510, 256]
        self._spread = torch.from_numpy(packs[..., TIMBRE].reshape(-1, 128).std(axis=0).clip(min=1e-3))
        self._by_text: dict[str, dict[str, _Probe]] = {}  # by language, then text: the probes and held-out ones
        self._pack_embeddings: dict[str, dict[str, np.ndarray]] = {}

    def clone(self, sources: Sequence[str | Path | Audio] | Reference, name: str, lang: str = "en",
              progress: Callable[[str], None] | None = None) -> Voice:
        """A Voice named `name` from reference speech (paths, Audio, or a prepared Reference)."""
        from vocalis.voice.speaker import ge2e_embedding, reference_embedding

        if lang not in PROBES:
            raise VoiceError(f"unknown language {lang!r} for a cloned voice: use en or zh")
        started = time.perf_counter()
        say = progress or (lambda _msg: None)
        ref = sources if isinstance(sources, Reference) else prepare_reference(sources)
        say(f"reference: {ref.speech_s:.1f} s of speech")
        target = ge2e_embedding(ref.audio)
        probes = self._probes_for(lang)

        # Start from the pack whose probe rendering is closest to the reference, among those the speaker's pitch
        # level is within SAFE_PITCH of: a pack pushed far from its own pitch breaks (seen: a female pack at x0.69
        # for a male speaker, misheard whatever share of the fit was kept). Any pack when none is that close.
        scores = {pack: float(emb @ target) for pack, emb in self._packs_heard(lang).items()
                  if pack in START_PACKS.get(lang, builtin_voices())}
        packs, ref_f0 = builtin_voices(), median_f0(ref.audio)
        pitches = {name: ref_f0 / probes[0].median_f0(packs[name].style_for(probes[0].n_ids)) for name in scores}
        near = [name for name in scores if SAFE_PITCH[0] <= pitches[name] <= SAFE_PITCH[1]] or list(scores)
        start_name = max(near, key=scores.get)
        start = packs[start_name].style_for(probes[0].n_ids).copy()
        pitch = float(np.clip(pitches[start_name], *PITCH_RANGE))
        say(f"closest built-in voice: {start_name} (similarity {scores[start_name]:.2f}); pitch x{pitch:.2f}")

        timbre = self._fit(probes, start, pitch, ref.audio, torch.from_numpy(target).float(), say)
        verdict = self._intelligible(probes[0], packs[start_name].style, start, timbre, pitch, lang)
        if verdict.reason:
            say(f"pulled back: {verdict.reason}")
        similarity = float(ge2e_embedding(verdict.heard) @ target)
        report = CloneReport(start_name, scores[start_name], similarity, verdict.pitch, self.steps, verdict.kept,
                             verdict.held_out_errors, pitch, verdict.reason,
                             time.perf_counter() - started)
        say(f"similarity {report.similarity_start:.2f} -> {report.similarity:.2f} in {self.steps} steps, "
            f"{report.seconds:.0f} s")
        meta = {
            "source": "clone", "method": METHOD, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "reference_sha256": ref.sha256, "reference_files": ref.sources, "speech_s": round(ref.speech_s, 2),
            "snr_db": None if not np.isfinite(ref.snr_db) else round(ref.snr_db, 1),
            "quality_hints": ref.quality_hints(), **{k: _round(v) for k, v in vars(report).items()},
        }
        return Voice(name=name, style=verdict.style.astype(np.float32), language=lang,
                     description=f"cloned from {', '.join(ref.sources)}", pitch_scale=verdict.pitch, meta=meta,
                     speaker=reference_embedding(ref.audio))

    def _probes_for(self, lang: str) -> tuple[_Probe, ...]:
        """The fitting probes."""
        return tuple(self._sentences(lang)[text] for text in PROBES[lang])

    def _sentences(self, lang: str) -> dict[str, _Probe]:
        """Every sentence the cloner renders, by text: the probes and the held-out ones (made once)."""
        if lang not in self._by_text:
            self._by_text[lang] = {text: _Probe(self.model, text, lang) for text in (*PROBES[lang], *HELD_OUT[lang])}
        return self._by_text[lang]

    def _packs_heard(self, lang: str) -> dict[str, np.ndarray]:
        """GE2E embedding of each built-in pack reading the first probe: computed once per language and
        kept in the cache folder, so a fresh `vocalis clone` does not render every pack again (~7 s).
        The file is named by a hash of everything the embeddings depend on."""
        from vocalis.acoustic import assets
        from vocalis.acoustic.onnx_decoder import DECODER_VERSION
        from vocalis.voice.speaker import ge2e_embedding

        if lang in self._pack_embeddings:
            return self._pack_embeddings[lang]
        probe, packs = self._probes_for(lang)[0], builtin_voices()
        key = hashlib.sha256(np.asarray(probe.ids, np.int64).tobytes() + str(DECODER_VERSION).encode())
        for pack in packs.values():
            key.update(pack.name.encode() + pack.style_for(probe.n_ids).tobytes())
        path = assets.cache_dir() / f"clone-packs-{lang}-{key.hexdigest()[:16]}.npz"
        try:
            with np.load(path) as cached:
                heard = {name: cached[name] for name in packs}
        except (OSError, ValueError, KeyError):  # absent, torn or stale: render again
            heard = {name: ge2e_embedding(probe.render(pack.style_for(probe.n_ids), 1.0))
                     for name, pack in packs.items()}
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **heard)
            tmp.replace(path)
        self._pack_embeddings[lang] = heard
        return heard

    def _intelligible(self, probe: _Probe, pack: np.ndarray, start: np.ndarray, timbre: np.ndarray, pitch: float,
                      lang: str) -> _Verdict:
        """The fitted style, or one pulled back towards the start pack (and then towards the pack's own
        pitch), that Whisper still understands on new sentences and the probes: the speaker encoder can be pleased
        by styles that no longer speak (seen: a clone that said only "I'm sorry"), and a fit can keep its
        probes clear while new text breaks. Last comes the start pack at its own pitch: a built-in voice, the
        least a clone may fall back to (seen: a speaker whose pack at the safe pitch was misheard). Raises
        VoiceError when even that is not understood. `probe` is rendered for the verdict's `heard`."""
        safe = float(np.clip(pitch, *SAFE_PITCH))
        failures: list[str] = []
        for scale in dict.fromkeys((pitch, safe, 1.0)):  # each pitch only once
            for kept in (1.0, 0.5, 0.0):
                # The pack's every row (a row per utterance length, as built-in voices speak) moved by the fitted
                # timbre change: one row for all lengths made new text harder to understand (WER on four unseen
                # sentences 0.13 -> 0.03 and 0.02 -> 0 for two speakers).
                style = pack.copy()
                style[:, TIMBRE] += kept * (timbre - start[TIMBRE])
                errors = self._heard_errors(style, scale, lang)
                if errors > MAX_ERRORS[lang]:
                    metric = "CER" if lang == "zh" else "WER"
                    failures.append(f"{kept:.0%} of the fit at pitch x{scale:.2f}: new sentences and the probes were "
                                    f"misheard ({metric} {errors:.2f})")
                    continue
                verdict = _Verdict(style, scale, kept, errors, probe.render(style_row(style, probe.n_ids), scale))
                if not failures:
                    return verdict
                pitched = f", pitch x{pitch:.2f} -> x{scale:.2f}" if scale != pitch else ""
                reason = f"kept {kept:.0%} of the fit{pitched}: beyond that, {failures[-1].split(': ', 1)[1]}"
                return replace(verdict, reason=reason)
        raise VoiceError(f"this reference does not make an intelligible voice ({failures[-1]}): "
                         "try a longer or cleaner recording")

    def _heard_errors(self, style: np.ndarray, pitch: float, lang: str) -> float:
        """Whisper's error rate on `style` at `pitch` reading the held-out sentences, then the probes (their words
        count too: a fit once broke its probes while the one held-out sentence of the time stayed clear). A floor
        once it fails."""
        sentences = self._sentences(lang)

        def render(text: str) -> Audio:
            probe = sentences[text]
            return probe.render(style_row(style, probe.n_ids), pitch)

        return error_rate(render, lang, judged(lang), stop_above=MAX_ERRORS[lang])

    def _fit(self, probes: Sequence[_Probe], start: np.ndarray, pitch: float, reference: Audio,
             target: torch.Tensor, say: Callable[[str], None]) -> np.ndarray:
        """Adam on the timbre half, the probes in turn; returns the fitted timbre."""
        from vocalis.voice.speaker import ge2e_loss

        encoder = ge2e_loss()
        spectrum = encoder.log_spectrum(torch.from_numpy(reference.samples).float())
        fixed = [probe.prosody(start, pitch) for probe in probes]  # only the timbre moves
        t0 = torch.from_numpy(start[TIMBRE]).float()
        timbre = t0.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([timbre], lr=self.lr)
        for step in range(self.steps):
            probe, (enc, prosody) = probes[step % len(probes)], fixed[step % len(probes)]
            audio = probe.render_tensor(enc, prosody, timbre, self._window(step, len(probes), prosody))
            similarity = torch.dot(encoder.embed(audio), target)
            colour = ((encoder.log_spectrum(audio) - spectrum) ** 2).mean()
            drift = (((timbre - t0) / self._spread) ** 2).mean()
            loss = 1 - similarity + SPECTRUM_WEIGHT * colour + self.regulariser * drift
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            say(f"step {step + 1}/{self.steps}: similarity {similarity.item():.3f}")
        return timbre.detach().numpy().copy()

    def _window(self, step: int, n_probes: int, prosody: Prosody) -> slice | None:
        """The frames decoded at `step` (probes taken in turn): on each visit to a probe the window
        slides further, from its start on the first visit to its end on the last."""
        frames = int(prosody.durations.sum())
        if self.window is None or frames <= self.window:
            return None
        visit, visits = step // n_probes, -(-self.steps // n_probes)
        start = round(visit * (frames - self.window) / max(visits - 1, 1))
        return slice(start, start + self.window)


@dataclass(frozen=True)
class _Verdict:
    """A style the intelligibility guard accepted, with what it measured."""

    style: np.ndarray
    pitch: float
    kept: float
    held_out_errors: float
    heard: Audio  # its rendering of the first probe
    reason: str | None = None  # why it was pulled back, if it was


class _Probe:
    """A fixed sentence whose durations and F0 come from the start style: only the timbre moves."""

    def __init__(self, model: AcousticModel, text: str, lang: str):
        from vocalis.acoustic.tones import MandarinTones
        from vocalis.text import segments

        self.model, self.text = model, text
        seg = next(iter(segments(text, lang=lang)))
        vocab = token_ids()
        self.ids = [vocab[c] for c in seg.phonemes if c in vocab]
        self.n_ids = len(self.ids)
        self._tones = MandarinTones(seg) if seg.syllables else None

    def prosody(self, style: np.ndarray, pitch_scale: float) -> tuple[Encoded, Prosody]:
        """The synthesis path's own plan for this sentence (tone contours, then the pitch level)."""
        from vocalis.acoustic.tones import voice_f0

        tones, model = self._tones, self.model
        enc = model.encode(self.ids, style)
        durations = model.durations(enc)
        if tones is not None:
            durations = tones.durations(durations)
        return enc, voice_f0(model.predict_prosody(enc, durations), tones, pitch_scale)

    def median_f0(self, style: np.ndarray) -> float:
        _, prosody = self.prosody(style, 1.0)
        voiced = prosody.f0[prosody.f0 > 10]
        return float(np.median(voiced)) if len(voiced) else 150.0

    def render(self, style: np.ndarray, pitch_scale: float) -> Audio:
        with torch.inference_mode():
            enc, prosody = self.prosody(style, pitch_scale)
            return Audio(self.model.decode(enc, prosody), self.model.sample_rate)

    def render_tensor(self, enc: Encoded, prosody: Prosody, timbre: torch.Tensor,
                      frames: slice | None = None) -> torch.Tensor:
        """The probe (or a window of its frames) with `timbre` as the decoder's style, differentiable
        w.r.t. `timbre`."""
        style = torch.cat([timbre, enc.style[0, PROSODY]])[None]
        return self.model.decode_tensor(replace(enc, style=style), prosody, frames)


def _round(value: object) -> object:
    return round(value, 3) if isinstance(value, float) else value

