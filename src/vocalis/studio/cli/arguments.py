"""What several commands share: their argument types, the text they read, and the emotion flags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError

if TYPE_CHECKING:
    from vocalis.emotion import Emotion
    from vocalis.service import EmotionSpec


def port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"port {value} is out of range: use 1 to 65535")
    return int(value)


def number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def read_text(args: argparse.Namespace) -> str:
    if args.file:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise VocalisError(f"cannot read text file {args.file}: {e}") from None
    if args.text is not None and args.text != "-":
        return args.text
    if sys.stdin.isatty():
        raise VocalisError('no text: give TEXT, -f FILE, or pipe text into standard input')
    return sys.stdin.read()


def add_emotion_args(p: argparse.ArgumentParser, description: bool = True) -> None:
    g = p.add_argument_group("emotion (default: the voice's own delivery; several sources blend)")
    g.add_argument("--emotion", metavar="NAME=V,...", help="sliders 0-1, e.g. happy=0.8,sad=0.2")
    if description:
        g.add_argument("--emotion-text", metavar="TEXT",
                       help='a description in English or Chinese, e.g. "whispering sadly", "冷冷地说"')
    g.add_argument("--emotion-audio", metavar="CLIP", help="take the emotion (not the voice) of this clip")
    g.add_argument("--emotion-weight", type=number, metavar="W",
                   help="how far from neutral delivery, 0 to 1 (default 1)")
    g.add_argument("--emotion-mix", metavar="SRC=S,...",
                   help="shares of the sources when several are given, e.g. audio=0.3,text=0.5,vector=0.2 "
                        "(default equal)")


def emotion_of(args: argparse.Namespace) -> Emotion | None:
    from vocalis.emotion.control import emotion_control, parse_shares

    shares = parse_shares(args.emotion_mix) if args.emotion_mix else None
    emotion = emotion_control(vector=args.emotion, text=args.emotion_text, audio=args.emotion_audio,
                              weight=1.0 if args.emotion_weight is None else args.emotion_weight, shares=shares)
    if emotion is None and args.emotion_weight is not None:
        raise VocalisError("--emotion-weight needs an emotion: add --emotion, --emotion-text or --emotion-audio")
    return emotion


def emotion_spec(args: argparse.Namespace) -> EmotionSpec | None:
    """The emotion flags as the request's spec: resolved here, so that the user sees what they map to."""
    from vocalis.service import EmotionSpec

    emotion = emotion_of(args)
    if emotion is not None and not args.quiet:
        print(f"emotion: {emotion}", file=sys.stderr)
    return EmotionSpec.of(emotion)
