"""A voice's phoneme envelope (see `voice.envelope`), learned the one way for trained voices and instant clones:
the speaker's recordings against the voice's own renders of their text (as the engine renders them), each
frame labelled with its phoneme token. A clone learns it from its reference: Whisper gives the text, the
training aligner maps it onto the recording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio

if TYPE_CHECKING:
    from vocalis.service.vocalis import Vocalis
    from vocalis.voice.reference import Reference
    from vocalis.voice.train.corpus import Aligned
    from vocalis.voice.voice import Voice

# A clone's envelope is dropped when the clone reads the cloner's held-out sentence with more errors than this
# above the clone without it: less than one word of its fifteen, so the filter may cost no word.
CLONE_ERROR_SLACK = 0.05


def with_envelope(tts: Vocalis, voice: Voice, utts: list[Aligned]) -> Voice:
    """`voice` with the phoneme envelope learned from `utts` (recordings aligned to their text)."""
    from vocalis.voice.train.envelope_fit import fit_envelope
    from vocalis.voice.train.losses import bandwidth

    plain = replace(voice, envelope=None)
    pairs = []
    for utt in utts:
        audio, tokens = render_utterance(tts, plain, utt.ids)
        recorded = np.asarray([0, *utt.ids, 0])[np.repeat(np.arange(len(utt.durations)), utt.durations)]
        pairs.append((utt.samples, recorded, audio, tokens))
    return replace(voice, envelope=fit_envelope(pairs, bandwidth([u.samples for u in utts])))


def render_utterance(tts: Vocalis, voice: Voice, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The voice reading phoneme tokens `ids` as the engine renders them (its envelope applied, if it has one),
    and the token of every frame."""
    from vocalis.acoustic.data import frame_index
    from vocalis.acoustic.tones import voice_f0
    from vocalis.voice.envelope import apply_envelope

    acoustic = tts.engine.acoustic_for(voice)  # a trained voice builds and caches its int8 decoder
    enc, prosody = acoustic.plan(ids, voice.style_for(len(ids)))
    prosody = voice_f0(prosody, None, voice.pitch_scale)
    audio, tokens = acoustic.decode(enc, prosody), enc.token_ids[frame_index(prosody.durations)]
    return (audio if voice.envelope is None else apply_envelope(audio, tokens, voice.envelope)), tokens


def clone_with_envelope(tts: Vocalis, voice: Voice, reference: Reference, say: Callable[[str], None]) -> Voice:
    """An instant clone with the envelope learned from its reference, or the clone as it was when the reference
    cannot be aligned (no words Whisper can read) or the envelope would make the clone harder to understand."""
    from vocalis.voice.train.corpus import align_all
    from vocalis.voice.train.intake import cut_utterances

    say("learning the speaker's sound phoneme by phoneme")
    sentences = cut_utterances(reference.audio, [], None, voice.language, "the reference", say)  # Whisper's
    utts = align_all(tts.acoustic, sentences, voice.language, voice.style_for(100))
    if not utts:
        say("no phoneme envelope: the reference has no sentence to align")
        return voice
    shaped = with_envelope(tts, voice, utts)
    # Both rendered the engine's way (int8 decoder): the cloner's own held-out figure comes from the float one.
    before, after = (_held_out_errors(tts, v) for v in (voice, shaped))
    if after > before + CLONE_ERROR_SLACK:
        say(f"no phoneme envelope: it made the held-out sentence harder to understand ({after:.2f} against "
            f"{before:.2f})")
        return voice
    seconds = sum(len(u.samples) for u in utts) / tts.sample_rate
    return replace(shaped, meta={**shaped.meta, "envelope_from_s": round(seconds, 1)})


def _held_out_errors(tts: Vocalis, voice: Voice) -> float:
    """Whisper's error rate on the voice reading the cloner's held-out probe sentence (never fitted on)."""
    from vocalis.asr import transcribe
    from vocalis.text.error_rate import cer, wer
    from vocalis.voice.clone import HELD_OUT
    from vocalis.voice.train.corpus import tokens

    text = HELD_OUT[voice.language]
    audio = Audio(render_utterance(tts, voice, tokens(text, voice.language))[0], tts.sample_rate)
    return (cer if voice.language == "zh" else wer)(text, transcribe(audio, voice.language))
