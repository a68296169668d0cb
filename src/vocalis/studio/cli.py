"""`vocalis` command line: say, voices, phonemes. Errors are one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from vocalis.errors import VocalisError

EPILOG = """markup inside TEXT:
  {行|hang2}                 pinyin for a Chinese word
  [Kokoro](/kˈOkəɹO/)        phonemes for an English word
  [pause 0.5s]  <break time="500ms"/>   a pause
examples:
  vocalis say "Hello there." -o hello.wav
  vocalis say "你好，世界。" -v jf_gongitsune -o hi.mp3
  vocalis say -f chapter.txt -o chapter.flac --speed 1.1
  echo "From standard input." | vocalis say -o out.wav"""


def _read_text(args: argparse.Namespace) -> str:
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


def cmd_say(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from vocalis.acoustic.assets import SAMPLE_RATE
    from vocalis.audio import AudioWriter
    from vocalis.pipeline import Vocalis

    text = _read_text(args)
    engine = Vocalis()
    # stream() checks the request and the writer checks the path before anything renders.
    chunks = engine.stream(text, voice=args.voice, lang=args.lang, speed=args.speed)
    with AudioWriter(args.output, SAMPLE_RATE) as out, tqdm(
        total=len(text), unit="char", disable=args.quiet or len(text) < 200, file=sys.stderr
    ) as bar:
        for chunk in chunks:
            out.write(chunk.audio)
            bar.update(min(len(chunk.segment.text), bar.total - bar.n))
    if not args.quiet:
        print(f"wrote {args.output} ({out.frames / out.sample_rate:.1f} s)", file=sys.stderr)


def cmd_voices(args: argparse.Namespace) -> None:
    from vocalis.voice import builtin_voices
    from vocalis.voice.builtin import DEFAULT_VOICE

    defaults = {name: lang for lang, name in DEFAULT_VOICE.items()}
    for v in builtin_voices().values():
        mark = f"  (default for {defaults[v.name]})" if v.name in defaults else ""
        print(f"{v.name:<15} {v.language}  {v.description}{mark}")


def cmd_phonemes(args: argparse.Namespace) -> None:
    from vocalis.text import segments

    for seg in segments(_read_text(args), lang=args.lang):
        pause = f"  +{seg.pause_after:.2f}s pause" if seg.pause_after else ""
        print(f"[{seg.lang}] {seg.text}\n      {seg.phonemes}{pause}")


def cmd_prepare(args: argparse.Namespace) -> None:
    from vocalis.pipeline import Vocalis

    print("preparing the models (joins the model parts and builds the decoder cache on first use)...",
          file=sys.stderr)
    tts = Vocalis()
    for text in ("Ready.", "好了。"):
        tts.synthesize(text)
    print("ready", file=sys.stderr)


def _speed(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are reported like every other error: one line, exit code 2."""

    def error(self, message: str):
        raise VocalisError(f"{message} (see: {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vocalis", description="Offline English and Mandarin text-to-speech.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    say = sub.add_parser("say", help="speak text into an audio file", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    say.add_argument("text", nargs="?", help="text to speak ('-' or omitted: read standard input)")
    say.add_argument("-f", "--file", help="read the text from this UTF-8 file")
    say.add_argument("-v", "--voice", help="built-in voice name or .npz voice file (default: best for the language)")
    say.add_argument("-o", "--output", default="out.wav", help="output file: .wav .flac .mp3 .ogg (default out.wav)")
    say.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    say.add_argument("--speed", type=_speed, default=1.0, help="speaking rate, 0.5 to 2.0 (default 1.0)")
    say.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    say.set_defaults(run=cmd_say)

    voices = sub.add_parser("voices", help="list the voices")
    voices.set_defaults(run=cmd_voices)

    ph = sub.add_parser("phonemes", help="show how text is split and pronounced")
    ph.add_argument("text", nargs="?")
    ph.add_argument("-f", "--file")
    ph.add_argument("--lang", default="auto", choices=["auto", "en", "zh"])
    ph.set_defaults(run=cmd_phonemes)
    prep = sub.add_parser("prepare", help="build the model caches now instead of on first use (a few minutes, once)")
    prep.set_defaults(run=cmd_prepare)
    return p


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logger = logging.getLogger("vocalis")
    logger.addHandler(handler)
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except VocalisError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
