"""Both watermarks behind one call: `mark` what the engine outputs, `read_marks` what a file carries.

Order: Perth first, then the ID mark. Perth re-synthesises the log spectrum below 2 kHz, which would
rewrite the ID mark's cell energies (an ID mark put first decodes on under a third of clips), while the ID
mark's gains of a few dB leave Perth's score at 1.0 (bench/watermark.py measures both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocalis.audio import Audio
from vocalis.trust.idmark import detect_id, embed_id
from vocalis.trust.perth import PERTH_THRESHOLD, perth_mark, perth_score


@dataclass(frozen=True)
class Marks:
    perth_score: float  # Perth's confidence, 0-1
    perth: bool  # perth_score >= PERTH_THRESHOLD
    id: int | None  # the 32-bit id of the audit record, None where no id decodes
    id_sync: float | None  # the ID mark's synchronisation z-score (unmarked audio: ~N(0, 1); renders: 5-25)


def mark(samples: np.ndarray, sample_rate: int, mark_id: int) -> np.ndarray:
    """`samples` (one streamed chunk, or a whole output) with both marks; same length, float32. Silence comes
    back unchanged (both marks return it at once)."""
    return embed_id(perth_mark(samples, sample_rate), sample_rate, mark_id)


# A long file whose marked speech is only in places (a dubbed film: new lines between the original's music) is
# also scored in windows where its whole is below threshold: Perth's score averages over the whole file.
WINDOW_S, MAX_WINDOWS = 4.0, 60


def read_marks(audio: Audio) -> Marks:
    score = perth_score(audio)
    found = detect_id(audio)
    if score < PERTH_THRESHOLD and found is not None and audio.duration > 2 * WINDOW_S:
        score = max(score, _windowed_perth(audio))
    return Marks(round(score, 4), score >= PERTH_THRESHOLD, None if found is None else found.id,
                 None if found is None else round(found.sync_z, 2))


def _windowed_perth(audio: Audio) -> float:
    """The best Perth score over up to MAX_WINDOWS windows spread evenly over the file (half-overlapping when
    the file is short enough)."""
    width = int(WINDOW_S * audio.sample_rate)
    starts = np.arange(0, len(audio.samples) - width + 1, width // 2)
    if len(starts) > MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_WINDOWS).round().astype(int)]
    return max((perth_score(Audio(audio.samples[a:a + width], audio.sample_rate)) for a in starts), default=0.0)
