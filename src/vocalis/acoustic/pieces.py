"""A segment decoded in pieces, so that a stream's first audio leaves early.

Decoding a sentence whole takes about a third of its length on 2 cores (~1 s for a 3 s sentence), and
nothing can be sent before it ends. Decoded in pieces, the first audio leaves as soon as the durations
are known: Kokoro opens every segment with ~0.4 s of silence (the leading boundary token, -80 dB or
quieter), which is sent at once as zeros, and the first piece is decoded while it plays.

The decoder's instance norms take their statistics over whatever they are given, so a piece sounds a
little different from the same frames decoded with the whole segment, and the shorter the piece, the
more. Measured on six English sentences against the whole decode (mean log-mel distance; Whisper WER):
pieces of 16 frames doubling each time, which decode as fast as they play, 4.9 dB and WER 0.13 against
0.08 whole ("She sells sea shells" heard as "Giselle C-shell"); the settings below 3.4 dB and WER 0.05
(the int8 decoder differs from the float one by 2.5 dB). So the pieces are long, and playback may wait
for the second one (bench/ttfb.py measures it). Including half of the leading silence in the first
piece matters (starting it at the speech doubled the distance), and so does overlap: pieces are
decoded CONTEXT frames past each end (and before each start but the first's) and crossfaded over the
CONTEXT frames after each end; their harmonic source is the same slice of the whole one, so the
crossfade is phase-coherent. The first piece, the one a listener waits for, is decoded only FIRST_CONTEXT
frames past its end: on eight English sentences its distance to the whole decode went from 2.16 to 2.04 dB
(Whisper WER the same within run-to-run noise), and bench/ttfb.py's first sound came about 0.015 s earlier.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from vocalis.acoustic.assets import FRAME
from vocalis.acoustic.timing import EDGE_FRAMES

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel, Encoded, Prosody

FIRST = 24  # frames of speech in the first piece (0.6 s)
GROWTH = 4.0  # each piece this many times longer than the one before
CONTEXT = 12  # frames decoded past each end and crossfaded (0.3 s)
FIRST_CONTEXT = 6  # past the first piece's end: 0.15 s less to decode before the listener hears anything


def piece_ends(durations: np.ndarray) -> list[int]:
    """Frame where each piece ends, the last being the segment's end. A remainder shorter than FIRST
    joins the piece before it rather than making one of its own."""
    total, lead = int(durations.sum()), int(durations[0])
    ends, size = [], FIRST
    end = lead + size
    while end + FIRST < total:
        ends.append(end)
        size = round(size * GROWTH)
        end += size
    return [*ends, total]


def decode_pieces(model: AcousticModel, enc: Encoded, prosody: Prosody,
                  skip: int = 0) -> Iterator[tuple[np.ndarray, bool]]:
    """The segment's audio from frame `skip` on, in pieces whose concatenation is exactly
    FRAME * (durations.sum() - skip) samples, each with whether it is the last (known without decoding
    ahead). The first piece is the leading silence, before anything is decoded (none when `skip`
    already cuts it)."""
    lead = int(prosody.durations[0])
    silent = max(lead - EDGE_FRAMES - skip, 0)
    if silent:
        yield np.zeros(silent * FRAME, np.float32), False
    held = None  # the piece before's decoded frames past its end, faded out under this piece's start
    start = skip + silent  # first frame not yet sent
    ends = piece_ends(prosody.durations)
    for k, end in enumerate(ends):
        last = k == len(ends) - 1
        lo = min(lead // 2, start) if k == 0 else start - CONTEXT
        past = FIRST_CONTEXT if k == 0 else CONTEXT
        audio = model.decode(enc, prosody, slice(lo, end if last else end + past))[(start - lo) * FRAME:]
        if held is not None:
            fade = np.linspace(0.0, 1.0, len(held), dtype=np.float32)
            audio[:len(held)] = held * (1 - fade) + audio[:len(held)] * fade
        if last:
            yield audio, True
            return
        keep = (end - start) * FRAME
        yield audio[:keep], False
        held, start = audio[keep:], end
