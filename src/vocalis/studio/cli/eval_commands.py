"""`vocalis eval ...`: the product measured on real speech, for developers. Each prints a report and can
write every figure as JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from vocalis.errors import VocalisError


def _progress(message: str) -> None:
    print(message, file=sys.stderr)


def _at_least_one(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise VocalisError(f"{flag} must be at least 1, got {value}")


def _check_json(path: str | None) -> None:
    """Before a run of many minutes, not after it."""
    if path and not Path(path).parent.is_dir():
        raise VocalisError(f"cannot write {path}: folder {Path(path).parent} does not exist")


def _report(report: dict, print_report: Callable[[dict], None], json_path: str | None) -> None:
    from vocalis.eval.cloning import write_json

    print_report(report)
    if json_path:
        write_json(report, json_path)
        print(f"wrote {json_path}", file=sys.stderr)


def cmd_eval_cloning(args: argparse.Namespace) -> None:
    from vocalis.eval.cloning import evaluate_cloning, print_report, write_json

    _at_least_one(args.limit, "--limit")
    _check_json(args.json)
    # The JSON is rewritten after every pair: a long run that is stopped keeps what it measured.
    checkpoint = (lambda report: write_json(report, args.json)) if args.json else None
    report = evaluate_cloning(args.data, limit=args.limit, progress=_progress, checkpoint=checkpoint)
    _report(report, print_report, args.json)


def cmd_eval_emotion(args: argparse.Namespace) -> None:
    from vocalis.eval.emotion import evaluate_emotion, print_report

    _at_least_one(args.sentences, "--sentences")
    _check_json(args.json)
    report = evaluate_emotion(args.data, sentences=args.sentences, clone=not args.no_clone, progress=_progress)
    _report(report, print_report, args.json)


def cmd_eval_ser(args: argparse.Namespace) -> None:
    from vocalis.eval.ser import evaluate_ser, print_report

    _check_json(args.json)
    _report(evaluate_ser(args.data, noise=args.noise, loop=not args.no_loop, progress=_progress), print_report,
            args.json)


def cmd_eval_timing(args: argparse.Namespace) -> None:
    from vocalis.eval.timing import evaluate_timing, print_report

    _at_least_one(args.sentences, "--sentences")
    _check_json(args.json)
    _report(evaluate_timing(sentences=args.sentences, progress=_progress), print_report, args.json)


def cmd_eval_training(args: argparse.Namespace) -> None:
    from vocalis.eval.cloning import write_json
    from vocalis.eval.training import evaluate_training, print_report

    _check_json(args.json)
    checkpoint = (lambda report: write_json(report, args.json)) if args.json else None
    report = evaluate_training(args.data, args.speakers.split(","), tuple(args.amounts.split(",")),
                               args.minutes, progress=_progress, checkpoint=checkpoint, keep=args.keep)
    _report(report, print_report, args.json)


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="measure the product on real speech (for developers)")
    ev_sub = ev.add_subparsers(dest="evaluation", required=True, metavar="EVALUATION")
    cl = ev_sub.add_parser("cloning", help="clone speakers from real clips and score them against other clips",
                           description="Clone each speaker with 2+ clips from one clip; score clone and nearest "
                                       "built-in pack by Whisper WER/CER and speaker similarity (GE2E, d-vector) "
                                       "to another clip of the same speaker.")
    cl.add_argument("--data", required=True, metavar="DIR", help="speech data folder holding MANIFEST.tsv")
    cl.add_argument("--limit", type=int, metavar="N", help="evaluate at most N speakers")
    cl.add_argument("--json", metavar="OUT",
                    help="also write every figure to this JSON file (rewritten after every pair)")
    cl.set_defaults(run=cmd_eval_cloning)
    tr = ev_sub.add_parser("training", help="train speakers on 10 s to all of their clips; score on held-out clips",
                           description="For each speaker (MANIFEST speaker_id), hold out two clips, train on the "
                                       "first 10 s / 30 s / 60 s / all of the rest, and score the trained voice, "
                                       "the instant clone and the nearest built-in pack reading the held-out "
                                       "sentences: normalised d-vector similarity to the held-out recordings, "
                                       "Whisper WER/CER, training time, peak memory and RTF against a built-in "
                                       "voice. About 15 minutes per training on 2 cores.")
    tr.add_argument("--data", required=True, metavar="DIR", help="speech data folder holding MANIFEST.tsv")
    tr.add_argument("--speakers", default="LJ,0013", help="comma-separated speaker ids (default LJ,0013)")
    tr.add_argument("--amounts", default="10,30,60,all", help="training audio per run, seconds or 'all'")
    tr.add_argument("--minutes", type=float, default=14.0, help="each training's cap (default 14)")
    tr.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file (after every run)")
    tr.add_argument("--keep", metavar="DIR", help="save each trained voice and its instant clone in this folder "
                                                  "(SPEAKER-AMOUNT.safetensors, SPEAKER-AMOUNT-clone.npz)")
    tr.set_defaults(run=cmd_eval_training)
    em = ev_sub.add_parser("emotion", help="judge emotional synthesis with a classifier trained on real speech",
                           description="Train an eGeMAPS emotion classifier on the real emotional speech in DIR "
                                       "(leave-one-speaker-out accuracy), then score renders of neutral, happy, angry, "
                                       "sad and surprised: hit rate, confusions, speaker drift, WER, and the "
                                       "description mapper's accuracy.")
    em.add_argument("--data", required=True, metavar="DIR", help="speech data folder holding MANIFEST.tsv")
    em.add_argument("--sentences", type=int, metavar="N", help="use the first N sentences per language")
    em.add_argument("--no-clone", action="store_true", help="skip the cloned voice (saves about a minute)")
    em.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    em.set_defaults(run=cmd_eval_emotion)
    se = ev_sub.add_parser("ser", help="read the emotion of real speech as a video dub does, against the peer judge",
                           description="Read the real emotional clips in DIR with the product's emotion reading "
                                       "(population norms, then each speaker's label-free baseline), score it by "
                                       "recall per category, balanced accuracy and confusion beside the eval-only "
                                       "judge, and check the loop: render lines with the emotion read from sample "
                                       "clips and read them back.")
    se.add_argument("--data", required=True, metavar="DIR", help="speech data folder holding MANIFEST.tsv")
    se.add_argument("--noise", action="store_true", help="also read every clip with a music bed at 10 dB SNR")
    se.add_argument("--no-loop", action="store_true", help="skip the render-and-read-back check (about 2 minutes)")
    se.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    se.set_defaults(run=cmd_eval_ser)
    ti = ev_sub.add_parser("timing", help="how exactly outputs hit a target duration, and a 20-cue dub",
                           description="Render sentences at 0.75, 1.0 and 1.25 of their natural length and report "
                                       "the error between target and output duration.")
    ti.add_argument("--sentences", type=int, metavar="N", help="use the first N sentences")
    ti.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    ti.set_defaults(run=cmd_eval_timing)
