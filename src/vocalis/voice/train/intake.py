"""Training clips in, transcribed utterances out, after the checks that keep a bad corpus from wasting
fifteen minutes: enough speech, one speaker, no clipping, and speech rather than noise or music.

A clip with a transcript is one utterance (its edges trimmed to the speech); without one, Whisper
transcribes it and each of its segments (about a sentence) becomes an utterance."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import SAMPLE_RATE
from vocalis.audio import Audio
from vocalis.errors import VoiceError

MIN_SPEECH_S = 30.0
MAX_SPEECH_S = 600.0
EDGE_S = 0.15  # kept around each utterance's speech: onsets and decays
MIN_UTTERANCE_S = 1.0
MAX_UTTERANCE_S = 20.0  # one decoder pass: longer Whisper segments are skipped
MIN_SNR_DB = 12.0  # below this the background is as loud as a noisy street: the adapter would learn it
MIN_WORDS_PER_S = 0.8  # speech that Whisper finds so few words in is music, noise or another language
MIN_CHARS_PER_S = 1.5  # the same for Mandarin, in characters
# Another speaker's utterance: its median similarity to the others (mean of the GE2E and d-vector cosines)
# falls below OTHER_SPEAKER and OTHER_SPEAKER_MARGIN under the corpus's typical one. Measured on 15 speakers
# of ../shared/data/speech with 2 clips of another speaker slipped among 8: same-speaker clips never went
# below 0.40 (emotional demo speech; 0.67-0.87 for read speech), intruders scored 0.26-0.49, except between
# two ESD speakers (0.62-0.66, not caught).
OTHER_SPEAKER = 0.5
OTHER_SPEAKER_MARGIN = 0.2


@dataclass
class Utterance:
    """A stretch of one clip's speech with what is said in it."""

    audio: Audio  # at SAMPLE_RATE
    text: str
    source: str


@dataclass
class Corpus:
    utterances: list[Utterance]
    speech_s: float
    snr_db: float
    sha256: list[str]  # of each clip, in order
    sources: list[str]


def read_transcripts(path: str | Path) -> dict[str, str]:
    """A transcripts file (see `parse_transcripts`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise VoiceError(f"cannot read the transcripts {path}: {e}") from None
    return parse_transcripts(text, str(path))


def parse_transcripts(text: str, where: str) -> dict[str, str]:
    """One `clip<TAB>text` (or `clip|text`) line per clip, the clip by file name; '#' starts a comment line."""
    table = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        sep = "\t" if "\t" in line else "|"
        if sep not in line:
            raise VoiceError(f"{where}, line {n}: expected 'clip<TAB>text' or 'clip|text'")
        clip, words = line.split(sep, 1)
        table[Path(clip.strip()).name] = words.strip()
    return table


def gather(sources: Sequence[str | Path], lang: str, transcripts: dict[str, str] | None = None,
           say: Callable[[str], None] = lambda _m: None) -> Corpus:
    """Load, check and cut `sources` into utterances; raises VoiceError saying what to fix. The cheap checks
    (clipping, amount of speech, noise) come before Whisper transcribes anything."""
    if not sources:
        raise VoiceError("no training clips given: pass recordings of the voice (30 s to 10 min of speech)")
    clips = [_load(source) for source in sources]
    speech_s = sum(b - a for _, regions, _ in clips for a, b in regions)
    if speech_s < MIN_SPEECH_S:
        raise VoiceError(f"the clips hold {speech_s:.1f} s of speech; training needs at least {MIN_SPEECH_S:g} s "
                         "(about a minute is best): add recordings")
    if speech_s > MAX_SPEECH_S:
        raise VoiceError(f"the clips hold {speech_s / 60:.1f} min of speech; training takes at most "
                         f"{MAX_SPEECH_S / 60:g} min: leave some out")
    powers = [_powers(audio.samples, regions) for audio, regions, _ in clips]
    snr = _snr_db([p for p, _ in powers], [n for _, n in powers])
    if snr < MIN_SNR_DB:
        raise VoiceError(f"the recordings are noisy (speech is only {snr:.0f} dB above the background): record in "
                         "a quieter place, close to the microphone, without music")
    transcripts = transcripts or {}
    utterances: list[Utterance] = []
    for (audio, regions, _), source in zip(clips, sources, strict=True):
        utterances += cut_utterances(audio, regions, transcripts.get(Path(source).name), lang, str(source), say)
    _check_words(utterances, lang)
    if not utterances:
        raise VoiceError("no usable utterance in the clips (each needs 1-20 s of speech with words in it)")
    return Corpus(utterances, speech_s, snr, [digest for _, _, digest in clips], [str(s) for s in sources])


def _load(source: str | Path) -> tuple[Audio, list[tuple[float, float]], str]:
    """A clip at the synthesis rate, its speech regions and its SHA-256; refused when clipped or silent."""
    from vocalis.voice.reference import MAX_CLIPPED_FRACTION, _clipped_fraction, speech_regions

    audio = Audio.load(source)
    with open(source, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    clipped = _clipped_fraction(audio.samples)
    if clipped > MAX_CLIPPED_FRACTION:
        raise VoiceError(f"{source} is clipped ({100 * clipped:.2f} % of samples flattened at full scale): "
                         "the voice model would learn the distortion; use a recording made at a lower gain")
    regions = speech_regions(audio)
    if not regions:
        raise VoiceError(f"no speech found in {source}: check it is the right file")
    return audio.resample(SAMPLE_RATE), regions, digest


def cut_utterances(audio: Audio, regions: list[tuple[float, float]], text: str | None, lang: str, source: str,
                   say: Callable[[str], None]) -> list[Utterance]:
    """`audio` (at SAMPLE_RATE) as utterances of 1-20 s: its speech `regions` as one, when its `text` is known,
    else each of Whisper's segments."""
    if text is not None:
        spans = [(regions[0][0], regions[-1][1], text)]
    else:
        from vocalis.asr import transcribe_segments

        say(f"transcribing {Path(source).name}")
        spans = transcribe_segments(audio, lang)
    out = []
    for start, end, words in spans:
        a, b = max(start - EDGE_S, 0.0), min(end + EDGE_S, audio.duration)
        if not MIN_UTTERANCE_S <= b - a <= MAX_UTTERANCE_S:
            continue
        samples = audio.samples[round(a * SAMPLE_RATE):round(b * SAMPLE_RATE)]
        out.append(Utterance(Audio(samples.astype(np.float32), SAMPLE_RATE), words, source))
    return out


def _powers(samples: np.ndarray, regions: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean power inside the speech regions and the median power of 20 ms frames outside them."""
    inside = np.zeros(len(samples), bool)
    for a, b in regions:
        inside[round(a * SAMPLE_RATE):round(b * SAMPLE_RATE)] = True
    frame = SAMPLE_RATE // 50
    n = len(samples) // frame * frame
    frames = (samples[:n].astype(np.float64) ** 2).reshape(-1, frame)
    quiet = frames[~inside[:n].reshape(-1, frame).any(axis=1)]
    return float(np.mean(samples[inside].astype(np.float64) ** 2)), float(np.median(quiet.mean(axis=1))) \
        if len(quiet) else 0.0


def _snr_db(speech: list[float], noise: list[float]) -> float:
    noise_level = float(np.median(noise))
    return float("inf") if noise_level <= 0 else float(10 * np.log10(np.mean(speech) / noise_level))


def _check_words(utterances: list[Utterance], lang: str) -> None:
    """Whisper's words per second of the utterances: speech has several, music and noise almost none."""
    seconds = sum(u.audio.duration for u in utterances)
    if lang == "zh":
        rate, floor, unit = sum(len(u.text.replace(" ", "")) for u in utterances) / max(seconds, 1e-9), \
            MIN_CHARS_PER_S, "characters"
    else:
        rate, floor, unit = sum(len(u.text.split()) for u in utterances) / max(seconds, 1e-9), MIN_WORDS_PER_S, "words"
    if utterances and rate < floor:
        raise VoiceError(f"Whisper finds only {rate:.1f} {unit} a second in the clips: they sound like music, "
                         f"noise or another language than {lang!r}; give clean speech in that language")


def check_corpus(sources: Sequence[str | Path], lang: str, transcripts: dict[str, str] | None = None,
                 say: Callable[[str], None] = lambda _m: None) -> Corpus:
    """Every check training makes before its long work (`gather`, then one speaker): what `Vocalis.train`
    and `Vocalis.check_training` both run."""
    corpus = gather(sources, lang, transcripts, say)
    check_one_speaker(corpus.utterances)
    return corpus


def check_one_speaker(utterances: list[Utterance]) -> None:
    """Refuse a corpus where some utterances sound like someone else (see OTHER_SPEAKER)."""
    from vocalis.voice.speaker import reference_embedding

    long_enough = [u for u in utterances if u.audio.duration >= 2.0]
    if len(long_enough) < 4:
        return
    embeddings = np.stack([reference_embedding(u.audio) for u in long_enough])
    similarity = (_cosines(embeddings[:, :256]) + _cosines(embeddings[:, 256:])) / 2
    np.fill_diagonal(similarity, np.nan)
    scores = np.nanmedian(similarity, axis=1)
    floor = min(OTHER_SPEAKER, float(np.median(scores)) - OTHER_SPEAKER_MARGIN)
    odd = [u for u, s in zip(long_enough, scores, strict=True) if s < floor]
    if odd:
        names = sorted({Path(u.source).name for u in odd})
        raise VoiceError(f"some speech sounds like another person ({', '.join(names[:3])}): a voice model "
                         "learns one speaker; remove the clips of anyone else")


def _cosines(x: np.ndarray) -> np.ndarray:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return x @ x.T
