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


def read_marks(audio: Audio) -> Marks:
    score = perth_score(audio)
    found = detect_id(audio)
    return Marks(round(score, 4), score >= PERTH_THRESHOLD, None if found is None else found.id,
                 None if found is None else round(found.sync_z, 2))
