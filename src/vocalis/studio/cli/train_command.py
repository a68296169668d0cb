"""`vocalis train NAME CLIP...`: few-shot training from the command line, with a progress bar and its ETA.

Ctrl-C stops between steps; the run's checkpoint stays, and the same command resumes it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vocalis.errors import VocalisError

EPILOG = """examples:
  vocalis train ana reading.flac more.m4a                  # Whisper transcribes; about a minute of speech is best
  vocalis train ana clips/*.wav --transcripts lines.tsv    # lines.tsv: 'clip.wav<TAB>what it says' per line
  vocalis train ana interview.mp4 --minutes 8              # the audio track of a video; an 8-minute cap
  vocalis train ana more.wav                               # 'ana' is a clone: it is trained further, consent kept
  vocalis train ana clips/*.wav --check                    # only the checks: speech seconds, SNR, utterances

The voice is saved in the library (a .safetensors voice model of a few MB). Like a clone, it speaks only once
the person it copies consents (`vocalis consent record NAME`), unless it was trained from a clone of the
same person that already holds consent."""


def cmd_train(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from vocalis.service import Vocalis
    from vocalis.voice.train import TrainProgress
    from vocalis.voice.train.intake import read_transcripts

    transcripts = read_transcripts(args.transcripts) if args.transcripts else None
    for clip in args.clips:
        if not Path(clip).is_file():
            raise VocalisError(f"cannot read audio file {clip}: no such file")
    if args.check:
        say = None if args.quiet else (lambda message: print(message, file=sys.stderr))
        corpus = Vocalis.check_training(args.clips, args.lang, transcripts, say)
        snr = "no background to measure" if corpus.snr_db == float("inf") else f"{corpus.snr_db:.0f} dB"
        print(f"ready to train: {corpus.speech_s:.1f} s of speech in {len(corpus.utterances)} utterances, "
              f"SNR {snr}")
        return
    bar = tqdm(total=1000, unit="‰", disable=args.quiet, file=sys.stderr, dynamic_ncols=True,
               bar_format="{desc} |{bar}| {percentage:3.0f}% {postfix}")
    stage = ""

    def progress(p: TrainProgress) -> None:
        nonlocal stage
        if p.stage != stage and not args.quiet:
            stage = p.stage
        bar.set_description_str(p.message[:60].ljust(60))
        if p.eta_s is not None:
            minutes, seconds = divmod(round(p.eta_s), 60)
            bar.set_postfix_str(f"ETA {minutes}:{seconds:02d}")
        bar.update(max(round(p.fraction * 1000) - bar.n, 0))

    try:
        voice = Vocalis().train(args.clips, args.name, args.lang, transcripts=transcripts, minutes=args.minutes,
                                start=args.start, overwrite=args.overwrite, progress=progress)
    finally:
        bar.close()
    metrics = voice.meta["metrics"]
    print(f"saved trained voice {voice.name!r}: {voice.meta['speech_s']:.0f} s of speech, "
          f"{voice.meta['steps']} steps in {voice.meta['seconds'] / 60:.1f} min; on held-out speech: "
          f"similarity {metrics['held_out_similarity']:.2f}, error rate {metrics['held_out_error_rate']:.0%}",
          file=sys.stderr)
    from vocalis.trust.consent import consent_state

    if consent_state(voice) != "granted":
        print(f"before it can speak, the person it copies consents: vocalis consent record {voice.name}",
              file=sys.stderr)


def _minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes") from None
    if not 1 <= minutes <= 120:
        raise argparse.ArgumentTypeError(f"{value} minutes is out of range: use 1 to 120")
    return minutes


def add_train_command(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train", help="train a voice model from 30 s to 10 min of someone's speech (~15 min on 2 cores)",
        description="Train a voice that sounds like the speaker: the clips are checked (enough speech, one\n"
                    "speaker, no clipping or music), transcribed by Whisper unless --transcripts is given,\n"
                    "aligned, and Kokoro's decoder gets an adapter fitted to them. 10 % of the utterances are\n"
                    "held out to stop early and to judge the result. Ctrl-C stops; the same command resumes.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("name", help="name to save the voice under (an existing clone of that name is trained further)")
    train.add_argument("clips", nargs="+", metavar="CLIP", help="audio or video files of the speaker")
    train.add_argument("--transcripts", metavar="FILE", help="what each clip says: 'clip<TAB>text' lines")
    train.add_argument("--lang", default="en", choices=["en", "zh"], help="language of the clips (default en)")
    train.add_argument("--minutes", type=_minutes, default=14.0,
                       help="cap on the whole run, checks and preparation (2-3 min) included; the best "
                       "checkpoint within it is kept (default 14)")
    train.add_argument("--from", dest="start", metavar="CLONE", help="start from this clone of the same person "
                       "(its consent carries over)")
    train.add_argument("--overwrite", "--force", action="store_true", help="replace a voice of the same name")
    train.add_argument("--check", action="store_true", help="only check the clips (speech, noise, speakers) "
                       "and show what training would use")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=cmd_train)
