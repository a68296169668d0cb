"""`vocalis consent`, `vocalis audit` and `vocalis verify`: consent for cloned voices, the audit log, and what
a file says about where it came from."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from vocalis.errors import VocalisError

if TYPE_CHECKING:  # the commands import what they use when they run: `vocalis --help` stays quick
    from vocalis.audio import Audio
    from vocalis.trust.audit import AuditCheck
    from vocalis.trust.consent import ConsentRecord
    from vocalis.voice import Voice

RECORD_SECONDS = 12.0  # the phrase takes 5-8 s read aloud; room to start late and finish slowly


def add_trust_commands(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser(
        "consent", help="consent for a cloned voice: record, grant, revoke, show",
        description="A cloned voice speaks only with consent from the person it copies. Spoken: they read a "
                    "phrase with the voice's name, today's date and a code; Whisper checks the words and a speaker "
                    "encoder checks it is the person the voice was cloned from. Written: an operator accepts a "
                    "signed authorisation (its SHA-256 is stored).")
    actions = consent.add_subparsers(dest="action", required=True, metavar="ACTION")
    record = actions.add_parser(
        "record", help="spoken consent: show the phrase, then record it from the microphone or take --audio FILE",
        description="Without --audio: show a new phrase and record it from the microphone. With --audio: check a "
                    "recording of the phrase shown before (valid for a day); a first run with --audio shows it.")
    record.add_argument("name", help="the cloned voice")
    record.add_argument("--audio", metavar="FILE", help="a recording of the phrase (any common format)")
    record.add_argument("--lang", choices=["en", "zh"], help="language of the phrase (default: the voice's)")
    record.add_argument("--seconds", type=float, default=RECORD_SECONDS,
                        help=f"microphone recording length (default {RECORD_SECONDS:g})")
    grant = actions.add_parser("grant", help="written consent: an operator accepts a signed document")
    grant.add_argument("name", help="the cloned voice")
    grant.add_argument("--document", required=True, metavar="FILE", help="the signed authorisation (PDF, scan, ...)")
    revoke = actions.add_parser("revoke", help="withdraw consent: the voice stops working everywhere")
    revoke.add_argument("name")
    show = actions.add_parser("show", help="show a voice's consent record")
    show.add_argument("name")
    consent.set_defaults(run=cmd_consent)

    audit = sub.add_parser("audit", help="the audit log of every synthesis and consent event: verify, show",
                           description="Records are appended, never changed, and chained by keyed hashes.")
    audit_actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    audit_actions.add_parser("verify", help="check that no record was edited or deleted (exit 1 if one was)")
    last = audit_actions.add_parser("show", help="print the latest records")
    last.add_argument("--last", type=int, default=20, metavar="N", help="how many (default 20)")
    audit.set_defaults(run=cmd_audit)

    verify = sub.add_parser(
        "verify", help="what marks a file carries: C2PA manifest, watermarks, audit record",
        description="Reports the file's C2PA manifest (trusted, untrusted, invalid = tampered, or absent), the "
                    "Perth watermark, the ID watermark and the audit record it points to. Exit 0 when any Vocalis "
                    "mark is found (a re-encoded file keeps its watermarks though it loses its manifest), 1 when "
                    "none is, 2 on error.")
    verify.add_argument("file", help="an audio file")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=cmd_verify)


def _voice(name: str) -> Voice:
    from vocalis.voice import resolve_voice

    return resolve_voice(name)


def cmd_consent(args: argparse.Namespace) -> int:
    from vocalis.trust import consent
    from vocalis.trust.audit import local_user

    voice = _voice(args.name)
    if args.action == "grant":
        record = consent.grant_written(voice, Path(args.document), local_user())
        print(f"written consent for {voice.name!r} granted by {record.granted_by} "
              f"(document SHA-256 {record.evidence['document_sha256'][:16]}...)")
    elif args.action == "revoke":
        from vocalis.service.market import revoke_consent

        revoke_consent(voice, local_user())
        print(f"consent for {voice.name!r} revoked: the voice no longer works anywhere (and is off the market)")
    elif args.action == "show":
        record = consent.consent_for(voice)
        if record is None and not consent.is_builtin(voice):
            print(f"{voice.name!r} has no consent record")
            return 1
        print(_describe(record) if record else f"{voice.name!r} is a built-in voice: it needs no consent")
    else:
        return _record(voice, args)
    return 0


def _record(voice: Voice, args: argparse.Namespace) -> int:
    from vocalis.audio import Audio
    from vocalis.trust import consent
    from vocalis.trust.audit import local_user

    if args.audio:
        recording = Audio.load(args.audio)
        if consent.open_challenge(voice) is None:
            challenge = consent.issue_challenge(voice, args.lang)
            print(f"No phrase was open for {voice.name!r}. Record this one, read aloud by the person the voice "
                  f"copies, then run this command again:\n\n    {challenge.phrase}\n")
            return 1
    else:
        challenge = consent.issue_challenge(voice, args.lang)
        print(f"The person the voice copies reads aloud:\n\n    {challenge.phrase}\n")
        recording = _microphone(args.seconds, voice.name)
    print("checking the words and the speaker...", file=sys.stderr)
    record, check = consent.record_spoken(voice, recording, local_user())
    print(f"heard: {check.transcript!r} ({check.words_matched:.0%} of the phrase)")
    if check.similarity is not None:
        print(f"speaker similarity {check.similarity:.2f} (at least {check.threshold:.2f} needed)")
    if record is None:
        for problem in check.problems:
            print(f"refused: {problem}", file=sys.stderr)
        return 1
    print(f"spoken consent recorded for {voice.name!r}: it can now be used")
    return 0


def _microphone(seconds: float, name: str) -> Audio:
    """Record from the default ALSA input with the FFmpeg inside PyAV (no extra dependency)."""
    import av
    import numpy as np

    from vocalis.audio import Audio

    if not sys.stdin.isatty():
        raise VocalisError("no terminal to record from: record the phrase yourself and pass it with --audio FILE")
    input("Press Enter, then read the phrase. ")
    try:
        with av.open("default", format="alsa", options={"channels": "1", "sample_rate": "16000"}) as mic:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
            pieces, end = [], time.monotonic() + seconds
            print(f"recording for {seconds:g} s...", file=sys.stderr)
            for frame in mic.decode(audio=0):
                pieces += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
                if time.monotonic() > end:
                    break
    except (av.FFmpegError, OSError) as e:
        raise VocalisError(f"cannot record from the microphone ({e}): record the phrase with any recorder and "
                           f"run `vocalis consent record {name} --audio FILE`") from None
    return Audio(np.concatenate(pieces).astype(np.float32), 16000)


def _describe(record: ConsentRecord) -> str:
    lines = [f"voice {record.voice!r} (id {record.voice_id})",
             f"  {record.kind} consent granted {record.granted_at} by {record.granted_by}"]
    lines += [f"  {k}: {v}" for k, v in record.evidence.items()]
    if not record.active:
        lines.append(f"  REVOKED {record.revoked_at} by {record.revoked_by}")
    return "\n".join(lines)


def cmd_audit(args: argparse.Namespace) -> int:
    from vocalis.trust.audit import AuditLog

    log = AuditLog()
    if args.action == "show":
        for r in log.records(last=max(args.last, 1)):
            mark = "" if r.mark_id is None else f" mark {r.mark_id:08x}"
            text = "" if r.text_sha256 is None else f" {_short(r.text) if r.text else 'text ' + r.text_sha256[:12]}"
            print(f"#{r.seq} {r.time} {r.event} by {r.who} voice {r.voice}{mark}{text}")
        return 0
    return print_audit_check(log.verify())


def print_audit_check(check: AuditCheck, file: TextIO | None = None, prefix: str = "") -> int:
    """An audit verification as `vocalis audit verify` prints it (on `file`, default stdout); the exit code (1: the
    log was tampered with)."""
    for problem in check.problems:
        print(f"TAMPERED: {problem}", file=file)
    print(f"{prefix}{check.records} records, {'chain intact' if check.ok else f'{len(check.problems)} problem(s)'}",
          file=file)
    return 0 if check.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from vocalis.trust.verify import verify_file

    report = verify_file(Path(args.file))
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json else report.text())
    return 0 if report.found else 1


def _short(text: str, n: int = 50) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= n else text[: n - 1] + "…")
