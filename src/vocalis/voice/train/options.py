"""What a training run takes and reports: plain data, importable without loading torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError

if TYPE_CHECKING:
    from vocalis.voice.voice import Voice


class TrainingCancelled(VocalisError):
    """Training was stopped by the user; its checkpoint is kept, so the same command resumes it."""


@dataclass(frozen=True)
class TrainProgress:
    stage: str  # checking | transcribing | cloning | aligning | prosody | training | finishing
    message: str
    fraction: float  # of the whole run, 0-1
    eta_s: float | None = None  # seconds left, when known
    step: int = 0
    held_out: float | None = None  # reconstruction loss on the held-out utterances
    # The voice the run started from, once it is judged against it: an instant clone exists nowhere else, and a
    # surface comparing before and after needs no second clone of the same recordings.
    start_voice: Voice | None = None


@dataclass(frozen=True)
class DecoderFit:
    """What the decoder training changes, and how fast."""

    parts: tuple[str, ...] = ("bias", "lora")  # see adapter.PARTS
    rank: int = 4
    lr: float = 2e-3
    timbre_lr: float = 1e-2
    train_timbre: bool = True
    window: int = 48  # frames decoded per step (1.2 s)
    speaker_weight: float = 1.0  # of the GE2E speaker term (1 - cosine) beside the reconstruction loss (~2-5)


@dataclass(frozen=True)
class TrainOptions:
    lang: str = "en"
    minutes: float = 14.0  # the whole run's budget; the best checkpoint within it is kept
    transcripts: dict[str, str] | None = None  # clip file name -> what it says (else Whisper)
    steps: int | None = None  # a fixed number of decoder steps instead of the time budget (tests, figures)
    fit: DecoderFit = field(default_factory=DecoderFit)
    held_out_share: float = 0.1
