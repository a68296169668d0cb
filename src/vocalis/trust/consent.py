"""Consent: a cloned voice speaks only while it holds a consent record from the person it copies.

Two ways to earn one:
- **spoken**: the owner reads a phrase with the voice's name, the date and a random code
  (`issue_challenge`); Whisper must hear >= 80 % of its words, the speaker check must find the person the
  voice was cloned from, and the recording must not carry Vocalis's own watermark (a clone cannot consent for
  its owner). The recording is kept in the data home as evidence.
- **written**: an operator accepts a signed document; its SHA-256 is stored.

Records are keyed by the voice's id (its content), so a renamed or re-imported copy keeps its consent and a
revocation reaches every copy. Every grant and revocation is also in the audit log. Built-in voices (Kokoro's
packs, licensed synthetic voices) need none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select

from vocalis.audio import Audio
from vocalis.errors import ConsentError, VocalisError
from vocalis.home import data_home, private_file
from vocalis.trust.audit import AuditLog
from vocalis.trust.db import challenge_table, consent_table, trust_db
from vocalis.trust.phrase import MIN_WORDS_MATCHED, consent_phrase, words_matched
from vocalis.voice.voice import Voice

CHALLENGE_VALID = timedelta(days=1)  # the phrase names its day: a recording of it is good for that long


@dataclass(frozen=True)
class ConsentRecord:
    voice_id: str
    voice: str
    kind: str  # spoken | written
    granted_at: str
    granted_by: str
    evidence: dict
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Challenge:
    voice_id: str
    voice: str
    phrase: str
    language: str
    issued_at: str


@dataclass(frozen=True)
class SpokenCheck:
    """What the checks of a consent recording found; `passed` when there is nothing in `problems`."""

    transcript: str
    words_matched: float
    similarity: float | None  # None when the speaker check could not run
    threshold: float
    watermarked: bool
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def is_builtin(voice: Voice) -> bool:
    """By content, not by name or metadata: an imported file could claim either."""
    return voice.id in _builtin_ids()


@cache
def _builtin_ids() -> frozenset[str]:  # hashing the packs takes ~20 ms: once, not on every request
    from vocalis.voice.builtin import builtin_voices

    return frozenset(v.id for v in builtin_voices().values())


def consent_for(voice: Voice) -> ConsentRecord | None:
    with trust_db().connect() as conn:
        row = conn.execute(select(consent_table).where(consent_table.c.voice_id == voice.id)).mappings().first()
    return None if row is None else ConsentRecord(**{**dict(row), "evidence": json.loads(row["evidence"])})


def consent_state(voice: Voice) -> str:
    """"builtin" (needs none), "missing", "granted" or "revoked": what the surfaces list."""
    if is_builtin(voice):
        return "builtin"
    record = consent_for(voice)
    return "missing" if record is None else "granted" if record.active else "revoked"


def require_consent(voice: Voice) -> None:
    """Raise ConsentError, saying how to add consent, unless the voice may speak."""
    if is_builtin(voice):
        return
    record = consent_for(voice)
    if record is None:
        raise ConsentError(
            f"voice {voice.name!r} has no consent record from the person it copies, so it cannot be used yet. "
            f"Add one: the person reads a phrase aloud (`vocalis consent record {voice.name}`, the web UI's "
            f"Consent panel on the Clone tab, or POST /v1/voices/{voice.name}/consent), or an operator accepts a "
            f"signed authorisation (`vocalis consent grant {voice.name} --document FILE`)")
    if not record.active:
        raise ConsentError(f"consent for voice {voice.name!r} was revoked on {record.revoked_at[:10]} by "
                           f"{record.revoked_by}: it can no longer be used")


def issue_challenge(voice: Voice, lang: str | None = None, phrase: str | None = None) -> Challenge:
    """A new phrase for the voice's owner to read (replacing any earlier one). `phrase`: an organisation's own
    wording instead of ours; it should name the voice, the date and something new each time."""
    _check_consentable(voice)
    lang = lang or voice.language
    challenge = Challenge(voice.id, voice.name, phrase or consent_phrase(voice.name, lang), lang, _now())
    with trust_db().begin() as conn:
        conn.execute(delete(challenge_table).where(challenge_table.c.voice_id == voice.id))
        conn.execute(challenge_table.insert().values(**vars(challenge)))
    return challenge


def open_challenge(voice: Voice) -> Challenge | None:
    """The phrase issued for this voice, while it is still valid."""
    with trust_db().connect() as conn:
        row = conn.execute(select(challenge_table).where(challenge_table.c.voice_id == voice.id)).mappings().first()
    if row is None or datetime.fromisoformat(row["issued_at"]) + CHALLENGE_VALID < datetime.now(UTC):
        return None
    return Challenge(**row)


def check_spoken(voice: Voice, recording: Audio, challenge: Challenge) -> SpokenCheck:
    """Run the three checks on a recording of `challenge`'s phrase (it loads Whisper and the encoders)."""
    from vocalis.asr import transcribe
    from vocalis.trust.speaker_check import SAME_SPEAKER_THRESHOLD, same_speaker
    from vocalis.trust.watermark import read_marks

    problems = []
    marks = read_marks(recording)
    watermarked = marks.perth or marks.id is not None
    if watermarked:
        problems.append("the recording carries Vocalis's watermark: it was synthesised, and only the person "
                        "may consent, in their own voice")
    transcript = transcribe(recording, challenge.language)
    matched = words_matched(challenge.phrase, transcript, challenge.language)
    if matched < MIN_WORDS_MATCHED:
        problems.append(f"the words heard match {matched:.0%} of the phrase (at least {MIN_WORDS_MATCHED:.0%} "
                        f"needed): heard {transcript!r} — read the whole phrase clearly")
    similarity = None
    if voice.speaker is None:
        problems.append(f"voice {voice.name!r} was cloned before Vocalis kept what its reference sounds like, so "
                        "the speaker cannot be checked: clone it again, or an operator can grant written consent")
    else:
        match = same_speaker(recording, voice.speaker)
        similarity = match.similarity
        if not match.same:
            problems.append(f"the speaker does not sound like the person this voice was cloned from "
                            f"(similarity {match.similarity:.2f}, at least {match.threshold:.2f} needed)")
    return SpokenCheck(transcript, matched, similarity, SAME_SPEAKER_THRESHOLD, watermarked, problems)


def record_spoken(voice: Voice, recording: Audio, who: str) -> tuple[ConsentRecord | None, SpokenCheck]:
    """Check a recording of the voice's open challenge; when it passes, store consent (and the recording)."""
    challenge = open_challenge(voice)
    if challenge is None:
        raise ConsentError(f"no consent phrase is open for voice {voice.name!r} (or it is over a day old): "
                           f"ask for one first (`vocalis consent record {voice.name}` shows it)")
    check = check_spoken(voice, recording, challenge)
    if not check.passed:
        return None, check
    kept = _keep_recording(voice, recording)
    evidence = {"phrase": challenge.phrase, "language": challenge.language, "transcript": check.transcript,
                "words_matched": round(check.words_matched, 3), "similarity": round(check.similarity or 0.0, 3),
                "threshold": check.threshold, "recording": kept.name,
                "recording_sha256": hashlib.sha256(kept.read_bytes()).hexdigest()}
    record = _grant(voice, "spoken", who, evidence)
    with trust_db().begin() as conn:
        conn.execute(delete(challenge_table).where(challenge_table.c.voice_id == voice.id))
    return record, check


def grant_written(voice: Voice, document: Path, operator: str) -> ConsentRecord:
    """An operator accepts a signed authorisation for the voice; the document's SHA-256 is what is stored."""
    _check_consentable(voice)
    try:
        with open(document, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise VocalisError(f"cannot read the document {document}: {e.strerror or e}") from None
    if Path(document).stat().st_size == 0:
        raise VocalisError(f"the document {Path(document).name!r} is empty")  # by name: an upload's path is temporary
    return _grant(voice, "written", operator, {"document": Path(document).name, "document_sha256": digest})


def carry_consent(source: Voice, voice: Voice, who: str) -> ConsentRecord | None:
    """Give `voice` (trained from `source`, on recordings the caller found to be the same person) the
    consent `source` holds, if it holds an active one; the new record names where it came from."""
    record = consent_for(source)
    if record is None or not record.active or source.id == voice.id:
        return None
    evidence = {**record.evidence, "carried_from": source.id, "carried_from_name": source.name}
    return _grant(voice, record.kind, who, evidence)


def revoke(voice: Voice, who: str) -> ConsentRecord:
    """Withdraw the voice's consent, and with it the consent carried over to voices trained from it."""
    record = consent_for(voice)
    if record is None or not record.active:
        raise ConsentError(f"voice {voice.name!r} holds no consent to revoke")
    now = _now()
    with trust_db().begin() as conn:
        active = conn.execute(select(consent_table.c.voice_id, consent_table.c.evidence)
                              .where(consent_table.c.revoked_at.is_(None))).all()
        carried = [row.voice_id for row in active if json.loads(row.evidence).get("carried_from") == voice.id]
        conn.execute(consent_table.update().where(consent_table.c.voice_id.in_([voice.id, *carried]))
                     .values(revoked_at=now, revoked_by=who))
    AuditLog().append("consent.revoked", who, voice=voice.name, voice_id=voice.id, params={"kind": record.kind})
    return ConsentRecord(**{**vars(record), "revoked_at": now, "revoked_by": who})


def _check_consentable(voice: Voice) -> None:
    if is_builtin(voice):
        raise ConsentError(f"{voice.name!r} is a built-in voice: it needs no consent")


def _grant(voice: Voice, kind: str, who: str, evidence: dict) -> ConsentRecord:
    record = ConsentRecord(voice.id, voice.name, kind, _now(), who, evidence)
    with trust_db().begin() as conn:  # a new grant replaces a revoked one: the audit log keeps the history
        conn.execute(delete(consent_table).where(consent_table.c.voice_id == voice.id))
        conn.execute(consent_table.insert().values(**{**vars(record), "evidence": json.dumps(evidence)}))
    AuditLog().append(f"consent.{kind}", who, voice=voice.name, voice_id=voice.id, params=evidence)
    return record


def _keep_recording(voice: Voice, recording: Audio) -> Path:
    folder = data_home() / "consent"
    folder.mkdir(exist_ok=True, mode=0o700)
    path = private_file(folder / f"{voice.id}-{date.today():%Y%m%d}-{datetime.now(UTC):%H%M%S}.flac")
    recording.save(path)  # written into the 0600 file
    return path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
