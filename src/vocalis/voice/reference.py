"""Reference-clip intake for voice cloning: turn whatever a user recorded into clean speech to clone from.

A cloned voice is only as good as its reference: silence and long pauses dilute the speaker's
timbre, a clip at the wrong loudness skews what the encoder hears, and clipping bakes distortion
into the voice. So every clip is decoded (any common format), resampled to the synthesis rate,
cut down to its speech with Silero VAD, loudness-normalised, and rejected early, with a message
the user can act on, when it can't make a good voice.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import SAMPLE_RATE
from vocalis.audio import Audio
from vocalis.errors import VoiceError

# Silero VAD protocol (silero-vad's OnnxWrapper): 512-sample windows at 16 kHz, each preceded by
# the last 64 samples of the previous window, with a recurrent state [2, batch, 128].
VAD_RATE = 16000
VAD_WINDOW = 512
VAD_CONTEXT = 64
WINDOW_S = VAD_WINDOW / VAD_RATE
SPEECH_THRESHOLD = 0.5
# Hysteresis as in silero's get_speech_timestamps: once in speech, only a probability below
# threshold - 0.15 counts as silence, so a soft consonant doesn't split a word.
SILENCE_THRESHOLD = SPEECH_THRESHOLD - 0.15
MIN_SPEECH_S = 0.25  # shorter bursts are clicks and breaths, not speech
MIN_GAP_S = 0.3  # shorter pauses stay inside the region: natural rhythm between words
PAD_S = 0.1  # keeps word onsets and decays the VAD trims too tightly
FADE_S = 0.01  # short fades where pieces are joined or cut, so joins don't click

TARGET_RMS_DBFS = -20.0
PEAK_DBFS = -1.0
LIMITER_HALF_WINDOW_S = 0.01  # gain changes spread over ±10 ms: smooth enough not to be heard
LIMITER_ROUNDS = 4

CLIP_LEVEL = 0.99  # |x| at or above this, for CLIP_RUN samples in a row, is a flattened peak
CLIP_RUN = 3
MAX_CLIPPED_FRACTION = 0.001

# Telephone-band speech: the power from 4 to 8 kHz against 0.1-4 kHz, in dB. Full-band references measured
# -27 to -3 dB (27 clips of ../shared/data/speech); the same clips cut to 8 kHz, -53 to -23 dB (21 of 27 below).
BAND_LIMITED_DB = -32.0
# Several people in one reference: the reference cut in parts of PART_S, a part whose median speaker similarity
# to the others (GE2E and d-vector, `voice.speaker.similarity`) is under MIXED_SPEAKERS. Measured on pairs of
# clips: one speaker 0.75-0.86 (and 0.46 once), two speakers 0.36-0.53 (0.69 and 0.84 for two alike voices).
PART_S = 3.0
MIXED_SPEAKERS = 0.55
CLOSE_VOICE_S = 10.0  # below this much speech, hint that more gives a closer clone
NOISY_SNR_DB = 20.0
# The noise level is the median power of 20 ms non-speech frames: the steady background, which a
# cough or a click between sentences would otherwise dominate.
SNR_FRAME = round(0.02 * SAMPLE_RATE)


@dataclass(frozen=True)
class Reference:
    """Speech ready to clone from, with the figures that say how good a reference it is."""

    audio: Audio  # mono speech at the synthesis rate, normalised to -20 dBFS RMS, peaks <= -1 dBFS
    speech_s: float
    sources: list[str]  # file names, "<audio>" for in-memory clips
    sha256: str  # identifies the inputs, so a voice built from them can be cached and traced
    clipped_fraction: float  # worst clip: share of samples in flattened full-scale runs
    snr_db: float  # rough: speech RMS vs the non-speech background; inf when there is none (or it is digital silence)
    high_band_db: float = 0.0  # power above 4 kHz against below, dB: very low for telephone (8 kHz) recordings

    def quality_hints(self) -> list[str]:
        """What the user could do for a better clone; empty when the reference looks good."""
        hints = []
        if self.speech_s < CLOSE_VOICE_S:
            hints.append(f"only {self.speech_s:.1f} s of speech: 10-30 s gives a closer voice")
        if self.snr_db < NOISY_SNR_DB:
            hints.append(
                f"background noise or music is high (SNR {self.snr_db:.0f} dB): record in a quieter room, close to "
                "the mic, with no music under the speech"
            )
        if self.clipped_fraction > MAX_CLIPPED_FRACTION / 10:
            hints.append(
                f"some peaks are clipped ({100 * self.clipped_fraction:.3f} % of samples): "
                "record at a lower input gain"
            )
        if self.high_band_db < BAND_LIMITED_DB:
            hints.append("the recording carries almost nothing above 4 kHz (telephone or 8 kHz quality): a full-band "
                         "recording gives a clearer, closer voice")
        if (least := self.least_alike_part()) is not None and least < MIXED_SPEAKERS:
            hints.append(f"parts of the reference sound like different people (speaker similarity {least:.2f}): "
                         "clone from one person's speech only")
        return hints

    def least_alike_part(self) -> float | None:
        """The lowest median speaker similarity of a PART_S part of the speech to the others; None under two parts."""
        from vocalis.voice.speaker import reference_embedding, similarity

        n = round(PART_S * self.audio.sample_rate)
        x = self.audio.samples
        parts = [reference_embedding(Audio(x[i:i + n], self.audio.sample_rate)) for i in range(0, len(x) - n + 1, n)]
        if len(parts) < 2:
            return None
        return min(float(np.median([similarity(a, b) for b in parts if b is not a])) for a in parts)


def prepare_reference(
    sources: Sequence[str | Path | Audio] | str | Path | Audio,
    max_speech_s: float = 30.0,
    min_speech_s: float = 3.0,
) -> Reference:
    """Load one or several clips of the same speaker and keep only their speech, concatenated in order
    and capped at `max_speech_s` seconds (more adds little to a clone and slows encoding).

    Raises VoiceError when a clip has no speech or is clipped, or when all clips together hold less
    than `min_speech_s` seconds of speech; VocalisError when a file can't be read.
    """
    if isinstance(sources, str | Path | Audio):
        sources = [sources]
    if not sources:
        raise VoiceError("no reference clips given: pass at least one recording of the voice to clone")

    digest = hashlib.sha256()
    names: list[str] = []
    labels: list[str] = []  # how messages name each clip: its path as given, or its position
    clips: list[_ClipSpeech] = []
    clipped_fraction = 0.0
    for i, source in enumerate(sources):
        audio, name, label, clip_digest = _load_clip(source, i)
        digest.update(clip_digest)
        names.append(name)
        labels.append(label)
        clipped_fraction = max(clipped_fraction, _check_clipping(audio, label))
        clips.append(_clip_speech(audio, label))

    pieces = [piece for clip in clips for piece in clip.pieces]
    _require_speech(sum(len(p) for p in pieces) / SAMPLE_RATE, min_speech_s, labels)
    speech = _normalise(_join(pieces, round(max_speech_s * SAMPLE_RATE)))
    return Reference(
        audio=Audio(speech.astype(np.float32), SAMPLE_RATE),
        speech_s=len(speech) / SAMPLE_RATE,
        sources=names,
        sha256=digest.hexdigest(),
        clipped_fraction=clipped_fraction,
        snr_db=_snr_db(clips),
        high_band_db=_high_band_db(speech),
    )


def _high_band_db(speech: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(speech.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(speech), 1 / SAMPLE_RATE)
    low = power[(freqs >= 100) & (freqs < 4000)].sum()
    return float(10 * np.log10(power[(freqs >= 4000) & (freqs < 8000)].sum() / low + 1e-12)) if low > 0 else 0.0


@dataclass(frozen=True)
class _ClipSpeech:
    """One clip's speech pieces at the synthesis rate, and the power sums its SNR estimate pools."""

    pieces: list[np.ndarray]
    speech_power: float  # sum of squares over the clip's speech samples
    speech_n: int  # how many speech samples
    noise_powers: np.ndarray  # power of each all-non-speech frame


def _load_clip(source: str | Path | Audio, i: int) -> tuple[Audio, str, str, bytes]:
    """The clip, its name for Reference.sources, its label for messages and the digest that identifies it."""
    if isinstance(source, Audio):
        return source, "<audio>", f"audio input {i + 1}", _audio_digest(source)
    audio = Audio.load(source)  # before hashing: an unreadable file fails with the loader's message
    with open(source, "rb") as f:
        return audio, Path(source).name, str(source), hashlib.file_digest(f, "sha256").digest()


def _check_clipping(audio: Audio, label: str) -> float:
    """The clip's clipped fraction; VoiceError when too much of it is clipped to make a good voice."""
    clipped = _clipped_fraction(audio.samples)
    if clipped > MAX_CLIPPED_FRACTION:
        raise VoiceError(
            f"{label} is clipped: {100 * clipped:.2f} % of its samples are flattened at full scale, "
            "which distorts the voice — record it again at a lower input gain"
        )
    return clipped


def _clip_speech(audio: Audio, label: str) -> _ClipSpeech:
    """The clip's speech regions cut out at the synthesis rate; VoiceError when it has none."""
    regions = speech_regions(audio)
    if not regions:
        raise VoiceError(
            f"no speech found in {label}: check it is the right file and that the voice is clearly audible"
        )
    samples = audio.resample(SAMPLE_RATE).samples.astype(np.float64)
    in_speech = np.zeros(len(samples), dtype=bool)
    pieces = []
    for start_s, end_s in regions:
        start, end = round(start_s * SAMPLE_RATE), min(round(end_s * SAMPLE_RATE), len(samples))
        in_speech[start:end] = True
        pieces.append(samples[start:end])
    n = len(samples) // SNR_FRAME * SNR_FRAME
    frames = samples[:n].reshape(-1, SNR_FRAME)
    noise_powers = np.mean(frames**2, axis=1)[~in_speech[:n].reshape(-1, SNR_FRAME).any(axis=1)]
    return _ClipSpeech(pieces, float(np.sum(samples[in_speech] ** 2)), int(in_speech.sum()), noise_powers)


def _require_speech(total_s: float, min_speech_s: float, labels: list[str]) -> None:
    if total_s < min_speech_s:
        holder = f"{labels[0]} holds" if len(labels) == 1 else "the clips hold"
        shown = math.floor(total_s * 10) / 10  # rounded down: 2.96 s must not read as the 3 s it misses
        raise VoiceError(
            f"{holder} {shown:.1f} s of speech; cloning needs at least {min_speech_s:g} s — record a longer clip"
        )


def _snr_db(clips: list[_ClipSpeech]) -> float:
    """Speech power over the median non-speech frame power, pooled over the clips; inf with no background."""
    speech_power, speech_n = sum(c.speech_power for c in clips), sum(c.speech_n for c in clips)
    noise_powers = np.concatenate([clip.noise_powers for clip in clips])
    noise = float(np.median(noise_powers)) if len(noise_powers) else 0.0
    return 10 * math.log10(speech_power / speech_n / noise) if noise > 0 else math.inf


def _audio_digest(audio: Audio) -> bytes:
    """In-memory clips are identified by their float32 samples and their rate."""
    h = hashlib.sha256(np.ascontiguousarray(audio.samples, dtype="<f4").tobytes())
    h.update(str(audio.sample_rate).encode())
    return h.digest()


def _clipped_fraction(samples: np.ndarray) -> float:
    """Share of samples in runs of CLIP_RUN or more at full scale. Single full-scale samples happen in
    clean loud speech; flat runs are the recorder's ceiling, i.e. distortion."""
    if not len(samples):
        return 0.0
    hot = np.concatenate([[False], np.abs(samples) >= CLIP_LEVEL, [False]])
    edges = np.flatnonzero(np.diff(hot.astype(np.int8)))
    runs = edges[1::2] - edges[::2]
    return float(runs[runs >= CLIP_RUN].sum() / len(samples))


@cache
def _vad_session():
    """The Silero VAD ONNX, run with onnxruntime; loaded once per process, on first use. The file is found
    without importing the silero-vad package: its import calls `torch.set_num_threads(1)`, which leaves
    every thread started later on one thread, and renders from those threads differ in their last bits."""
    import importlib.util

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # a 512-sample window is far too small to split across threads
    opts.inter_op_num_threads = 1
    package = importlib.util.find_spec("silero_vad")
    model = Path(package.submodule_search_locations[0]) / "data" / "silero_vad.onnx"
    return ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])


def _speech_probabilities(audio: Audio) -> np.ndarray:
    """Silero's speech probability for each 512-sample window of the clip at 16 kHz."""
    session = _vad_session()
    x = audio.resample(VAD_RATE).samples.astype(np.float32)
    n = -(-len(x) // VAD_WINDOW)
    x = np.concatenate([np.zeros(VAD_CONTEXT, np.float32), x, np.zeros(n * VAD_WINDOW - len(x), np.float32)])
    state = np.zeros((2, 1, 128), np.float32)
    rate = np.array(VAD_RATE, dtype=np.int64)
    probs = np.empty(n, np.float32)
    for i in range(n):
        window = x[i * VAD_WINDOW : (i + 1) * VAD_WINDOW + VAD_CONTEXT][None]
        out, state = session.run(None, {"input": window, "state": state, "sr": rate})
        probs[i] = out[0, 0]
    return probs


def speech_regions(audio: Audio) -> list[tuple[float, float]]:
    """Speech as (start, end) seconds: VAD regions with pauses under MIN_GAP_S bridged, bursts under
    MIN_SPEECH_S dropped, PAD_S added each side and overlaps merged."""
    probs = _speech_probabilities(audio)
    raw: list[tuple[int, int]] = []  # in windows
    start = silent_since = None
    for i, p in enumerate(probs):
        if p >= SPEECH_THRESHOLD:
            if start is None:
                start = i
            silent_since = None
        elif start is not None and p < SILENCE_THRESHOLD:
            if silent_since is None:
                silent_since = i
            if (i + 1 - silent_since) * WINDOW_S >= MIN_GAP_S:
                raw.append((start, silent_since))
                start = silent_since = None
    if start is not None:
        raw.append((start, len(probs) if silent_since is None else silent_since))

    regions: list[tuple[float, float]] = []
    for a, b in raw:
        if (b - a) * WINDOW_S < MIN_SPEECH_S:
            continue
        lo, hi = max(a * WINDOW_S - PAD_S, 0.0), min(b * WINDOW_S + PAD_S, audio.duration)
        if regions and lo <= regions[-1][1]:
            lo = regions.pop()[0]
        regions.append((lo, hi))
    return regions


def _join(pieces: list[np.ndarray], max_samples: int) -> np.ndarray:
    """Concatenate speech pieces up to `max_samples`, fading each piece's ends so neither the joins
    nor the cut at the cap click."""
    out, total = [], 0
    fade_n = round(FADE_S * SAMPLE_RATE)
    for piece in pieces:
        piece = piece[: max_samples - total].copy()
        n = min(fade_n, len(piece) // 2)
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
        piece[:n] *= ramp
        piece[len(piece) - n :] *= ramp[::-1]
        out.append(piece)
        total += len(piece)
        if total >= max_samples:
            break
    return np.concatenate(out)


def _normalise(x: np.ndarray) -> np.ndarray:
    """Scale to TARGET_RMS_DBFS, then limit peaks to PEAK_DBFS.

    Speech peaks often sit more than 19 dB over its RMS, so scaling the whole clip down to fit them
    would undo the loudness target; instead a limiter lowers the gain only around the peaks. That
    costs a little RMS, so scaling and limiting repeat until the RMS is back within 0.1 dB.
    """
    target = 10 ** (TARGET_RMS_DBFS / 20)
    y = x
    for _ in range(LIMITER_ROUNDS):
        y = _limit(y * (target / np.sqrt(np.mean(y**2))))
        if abs(20 * np.log10(np.sqrt(np.mean(y**2)) / target)) < 0.1:
            break
    return y


def _limit(y: np.ndarray) -> np.ndarray:
    """Look-ahead peak limiter to PEAK_DBFS. The gain is a moving average of a moving minimum of the
    needed gain, both of the same width, so it never exceeds what any peak within reach needs (the
    limit holds) yet changes smoothly over ±10 ms (no audible distortion)."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    need = np.minimum(1.0, 10 ** (PEAK_DBFS / 20) / np.maximum(np.abs(y), 1e-12))
    if need.min() == 1.0:
        return y
    width = 2 * round(LIMITER_HALF_WINDOW_S * SAMPLE_RATE) + 1
    gain = uniform_filter1d(minimum_filter1d(need, width, mode="nearest"), width, mode="nearest")
    return y * np.minimum(gain, need)  # the minimum only absorbs the running average's rounding
