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

# A clone's envelope is dropped when the clone reads the sentences the cloner's guard judges with more errors
# than this above the clone without it: one word of their 55.
CLONE_ERROR_SLACK = 0.025


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
    from vocalis.voice.intelligibility import MAX_ERRORS
    from vocalis.voice.train.corpus import align_all
    from vocalis.voice.train.intake import cut_utterances

    say("learning the speaker's sound phoneme by phoneme")
    sentences = cut_utterances(reference.audio, [], None, voice.language, "the reference", say)  # Whisper's
    utts = align_all(tts.acoustic, sentences, voice.language, voice.style_for(100))
    if not utts:
        say("no phoneme envelope: the reference has no sentence to align")
        return voice
    shaped = with_envelope(tts, voice, utts)
    # Judged on the sentences the cloner's guard heard the clone read (its figure is from the float decoder; the
    # int8 one the engine renders with reads them alike), and allowed the slack, but never past the guard's bar
    # unless the clone was already there without it.
    before = voice.meta["held_out_errors"]
    allowed = max(before, min(before + CLONE_ERROR_SLACK, MAX_ERRORS[voice.language]))
    after = _heard_errors(tts, shaped, allowed)
    if after > allowed:
        say(f"no phoneme envelope: it made new sentences harder to understand ({after:.2f} against {before:.2f})")
        return voice
    seconds = sum(len(u.samples) for u in utts) / tts.sample_rate
    return replace(shaped, meta={**shaped.meta, "envelope_from_s": round(seconds, 1)})


def _heard_errors(tts: Vocalis, voice: Voice, stop_above: float) -> float:
    """Whisper's error rate on the voice reading the sentences the cloner's guard judges (see `voice.clone`)."""
    from vocalis.voice.clone import judged
    from vocalis.voice.intelligibility import error_rate
    from vocalis.voice.train.corpus import tokens

    def render(text: str) -> Audio:
        return Audio(render_utterance(tts, voice, tokens(text, voice.language))[0], tts.sample_rate)

    return error_rate(render, voice.language, judged(voice.language), stop_above=stop_above)
