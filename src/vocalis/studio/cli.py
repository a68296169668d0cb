"""`vocalis` command line: say, voices, clone, phonemes, prepare. Errors are one line on stderr, exit code 2."""

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
    from vocalis.voice.library import delete_voice, library_dir, library_voices

    if args.delete:
        delete_voice(args.delete)
        print(f"deleted {args.delete}", file=sys.stderr)
        return
    defaults = {name: lang for lang, name in DEFAULT_VOICE.items()}
    print("built-in:")
    for v in builtin_voices().values():
        mark = f"  (default for {defaults[v.name]})" if v.name in defaults else ""
        print(f"  {v.name:<15} {v.language}  {v.description}{mark}")
    cloned = library_voices()
    print(f"cloned ({library_dir()}):" if cloned else f"cloned: none yet ({library_dir()})")
    for v in cloned:
        created = v.meta.get("created_at", "?")
        print(f"  {v.name:<15} {v.language}  {v.meta.get('speech_s', '?')} s of speech, {created}")


def cmd_clone(args: argparse.Namespace) -> None:
    from vocalis.pipeline import Vocalis

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    voice = Vocalis().clone(args.references, args.name, lang=args.lang, overwrite=args.force, progress=progress)
    for hint in voice.meta.get("quality_hints", []):
        print(f"hint: {hint}", file=sys.stderr)
    print(f"saved voice {voice.name!r}: use it with  vocalis say -v {voice.name} \"TEXT\"", file=sys.stderr)


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


def cmd_eval_cloning(args: argparse.Namespace) -> None:
    from vocalis.eval.cloning import evaluate_cloning, print_report, write_json

    if args.limit is not None and args.limit < 1:
        raise VocalisError(f"--limit must be at least 1, got {args.limit}")
    # The JSON is rewritten after every pair: a long run that is stopped keeps what it measured.
    checkpoint = (lambda report: write_json(report, args.json)) if args.json else None
    report = evaluate_cloning(args.data, limit=args.limit, progress=lambda m: print(m, file=sys.stderr),
                              checkpoint=checkpoint)
    print_report(report)
    if args.json:
        write_json(report, args.json)
        print(f"wrote {args.json}", file=sys.stderr)


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
    say.add_argument("-v", "--voice",
                     help="built-in or cloned voice name, or a .npz voice file (default: best for the language)")
    say.add_argument("-o", "--output", default="out.wav", help="output file: .wav .flac .mp3 .ogg (default out.wav)")
    say.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    say.add_argument("--speed", type=_speed, default=1.0, help="speaking rate, 0.5 to 2.0 (default 1.0)")
    say.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    say.set_defaults(run=cmd_say)

    voices = sub.add_parser("voices", help="list the voices (built-in and cloned)")
    voices.add_argument("--delete", metavar="NAME", help="delete a cloned voice from the library")
    voices.set_defaults(run=cmd_voices)

    clone = sub.add_parser("clone", help="clone a voice from 3-30 s of someone's speech",
                           description="Fit a voice to reference speech (any common audio format, one or more "
                                       "clips of the same person, no transcript) and save it in the voice library.")
    clone.add_argument("references", nargs="+", metavar="REF", help="audio file(s) of the speaker")
    clone.add_argument("-n", "--name", required=True, help="name to save the voice under")
    clone.add_argument("--lang", default="en", choices=["en", "zh"], help="language the voice will mostly speak")
    clone.add_argument("--force", action="store_true", help="replace a voice of the same name")
    clone.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    clone.set_defaults(run=cmd_clone)

    ph = sub.add_parser("phonemes", help="show how text is split and pronounced")
    ph.add_argument("text", nargs="?")
    ph.add_argument("-f", "--file")
    ph.add_argument("--lang", default="auto", choices=["auto", "en", "zh"])
    ph.set_defaults(run=cmd_phonemes)
    prep = sub.add_parser("prepare", help="build the model caches now instead of on first use (a few minutes, once)")
    prep.set_defaults(run=cmd_prepare)

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
