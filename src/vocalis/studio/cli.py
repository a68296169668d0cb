"""`vocalis` command line: say, dub, run, serve, keys, webui, emotion, voices, clone, consent, audit, verify,
phonemes, prepare, eval. Errors are one line on
stderr, exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError
from vocalis.studio.eval_commands import add_eval_commands
from vocalis.studio.train_command import add_train_command
from vocalis.studio.trust_commands import add_trust_commands

if TYPE_CHECKING:
    from vocalis.emotion import Emotion

JOB_EXAMPLE = """job file (one job as below, or a list of them under `jobs:`):
  text: "I can't believe you did that."
  speaker_reference: ana              # a voice name, a voice file, or a clip to clone (cached)
  lang: auto
  emotion_control:
    method: text                      # speaker | vector | text | audio | mix
    description: "angrily, voice shaking"
    weight: 0.8                       # vector: {happy: 0.8}; audio: clip.wav
                                      # mix: {audio: 0.3, text: 0.7} with audio: and description: too
  duration_control:
    mode: controlled                  # free | controlled
    seconds: 3.5                      # or ratio: 1.2 (speed)
  output: out/line1.wav
  subtitles: out/line1.srt            # optional"""

EPILOG = """markup inside TEXT:
  {行|hang2}                 pinyin for a Chinese word
  [Kokoro](/kˈOkəɹO/)        phonemes for an English word
  [pause 0.5s]  <break time="500ms"/>   a pause
examples:
  vocalis say "Hello there." -o hello.wav
  vocalis say "你好，世界。" -v jf_gongitsune -o hi.mp3
  vocalis say -f chapter.txt -o chapter.flac --speed 1.1
  echo "From standard input." | vocalis say -o out.wav
  vocalis say "We won!" --emotion happy=0.8,surprised=0.3 -o won.wav
  vocalis say "Leave. Now." --emotion-text "coldly, barely hiding anger" --emotion-weight 0.7
  vocalis say "Sorry I'm late." -v ana --emotion-audio sad_clip.wav -o sorry.wav
  vocalis say "This line is fitted to last exactly four seconds." --duration 4 -o four.wav --subtitles four.srt
emotions: happy angry sad afraid disgusted melancholic surprised calm (each 0-1)"""


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
    from vocalis.subtitles import check_subtitle_path

    text = _read_text(args)
    emotion = _emotion(args)
    if emotion is not None and not args.quiet:
        print(f"emotion: {emotion}", file=sys.stderr)
    if args.subtitles:
        check_subtitle_path(args.subtitles)
    engine = Vocalis()
    # stream() checks the request and the writer checks the paths before anything renders.
    chunks = engine.stream(text, voice=args.voice, lang=args.lang, speed=args.speed, emotion=emotion,
                           duration=args.duration, pause_scale=args.pause_scale, max_phonemes=args.max_phonemes)
    rendered = []
    with AudioWriter(args.output, SAMPLE_RATE) as out, tqdm(
        total=len(text), unit="char", disable=args.quiet or len(text) < 200, file=sys.stderr
    ) as bar:
        for chunk in chunks:
            out.write(chunk.audio, chunk.credentials)
            rendered.append(chunk)
            bar.update(min(len(chunk.segment.text), bar.total - bar.n))
    if args.subtitles:
        from vocalis.subtitles import cues_of, write_subtitles

        write_subtitles(cues_of(rendered), args.subtitles)
    if not args.quiet:
        extra = f", subtitles {args.subtitles}" if args.subtitles else ""
        print(f"wrote {args.output} ({out.frames / out.sample_rate:.2f} s{extra})", file=sys.stderr)


def cmd_dub(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from vocalis.audio import check_output_path
    from vocalis.dub import dub
    from vocalis.pipeline import Vocalis
    from vocalis.subtitles import check_subtitle_path, read_subtitles

    cues = read_subtitles(args.input)
    emotion = _emotion(args)
    check_output_path(args.output)
    if args.subtitles:
        check_subtitle_path(args.subtitles)
    with tqdm(total=len(cues), unit="cue", disable=args.quiet, file=sys.stderr) as bar:
        result = dub(Vocalis(), cues, voice=args.voice, lang=args.lang, emotion=emotion,
                     progress=lambda done, total: bar.update(done - bar.n))
    result.audio.save(args.output, result.credentials)
    if args.subtitles:  # where the cues were placed: a lengthened cue runs past its original end
        from vocalis.subtitles import write_subtitles

        write_subtitles(result.cues, args.subtitles)
    if not args.quiet:  # each cue's own warning was logged as it rendered; this is the summary
        notes = [f"{len(result.strained)} outside speed 0.5-2.0 (cues {_numbers(i for i, _ in result.strained)})"
                 if result.strained else "", f"{len(result.silent)} silent" if result.silent else "",
                 f"{len(result.lengthened)} lengthened" if result.lengthened else ""]
        detail = "; ".join(n for n in notes if n)
        print(f"wrote {args.output} ({result.audio.duration:.2f} s, {len(cues)} cues{': ' + detail if detail else ''})",
              file=sys.stderr)


def _numbers(indices: Iterable[int]) -> str:
    return ", ".join(str(i + 1) for i in indices)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from vocalis.server import create_app
    from vocalis.server.auth import AuthMode, startup_auth_mode
    from vocalis.server.keys import KeyStore

    if args.rate < 0:
        raise VocalisError(f"--rate {args.rate}: give requests per minute, or 0 for no limit")
    auth = startup_auth_mode(args.host, args.no_auth, KeyStore())  # refuses an open server beyond loopback
    keys = {AuthMode.OFF: "no API keys checked", AuthMode.AUTO: "API keys needed once one exists",
            AuthMode.REQUIRED: "API keys needed"}[auth]
    print(f"serving on http://{args.host}:{args.port} ({keys}; docs at /docs)", file=sys.stderr)
    app = create_app(auth=auth, rate_per_minute=args.rate, cors_origins=args.cors_origin or ())
    _warm_watermarks()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def cmd_keys(args: argparse.Namespace) -> None:
    from vocalis.server.keys import KeyStore

    store = KeyStore()
    if args.action == "create":
        print(store.create(args.name, args.rate, args.operator))
        role = "operator key" if args.operator else "API key"
        print(f"created {role} {args.name!r}: it is shown only now, keep it (clients send "
              "`Authorization: Bearer KEY`); the server now needs a key on every /v1 request", file=sys.stderr)
    elif args.action == "revoke":
        store.revoke(args.name)
        print(f"revoked API key {args.name!r}", file=sys.stderr)
    else:
        keys = store.keys()
        print(f"API keys ({store.path}):" if keys else f"no API keys yet ({store.path})")
        for key in keys:
            rate = f"{key.rate}/min" if key.rate else "default rate"
            state = "revoked" if key.revoked else "active"
            print(f"  {key.name:<20} {key.hint}...  {rate:<13} {state}{', operator' if key.operator else ''}")


def cmd_webui(args: argparse.Namespace) -> None:
    from vocalis.webui import launch

    print(f"starting the web UI on http://{args.host}:{args.port} (Ctrl+C to stop)", file=sys.stderr)
    _warm_watermarks()
    launch(host=args.host, port=args.port)


def cmd_run(args: argparse.Namespace) -> None:
    from vocalis.pipeline import Vocalis
    from vocalis.studio.jobs import load_jobs, run_job

    jobs = load_jobs(args.job)  # the whole file is checked before the first job runs
    tts = Vocalis()
    for k, job in enumerate(jobs, 1):
        if not args.quiet:
            print(f"job {k}/{len(jobs)}: {job.output}", file=sys.stderr)
        audio = run_job(tts, job, progress=None if args.quiet else lambda m: print(f"  {m}", file=sys.stderr))
        if not args.quiet:
            print(f"  wrote {job.output} ({audio.duration:.2f} s)", file=sys.stderr)


def _emotion(args: argparse.Namespace) -> Emotion | None:
    from vocalis.emotion.control import emotion_control, parse_shares

    shares = parse_shares(args.emotion_mix) if args.emotion_mix else None
    emotion = emotion_control(vector=args.emotion, text=args.emotion_text, audio=args.emotion_audio,
                              weight=1.0 if args.emotion_weight is None else args.emotion_weight, shares=shares)
    if emotion is None and args.emotion_weight is not None:
        raise VocalisError("--emotion-weight needs an emotion: add --emotion, --emotion-text or --emotion-audio")
    return emotion


def cmd_emotion(args: argparse.Namespace) -> None:
    from vocalis.emotion import EMOTIONS

    emotion = _emotion(args)
    if emotion is None:
        raise VocalisError("give a description, --emotion-audio CLIP or --emotion NAME=VALUE,... to see its vector")
    for name, value in zip(EMOTIONS, emotion.vector, strict=True):
        print(f"{name:<12} {value:.2f}  {'#' * round(value * 20)}")
    print(f"weight       {emotion.weight:.2f}")
    sliders = ",".join(f"{n}={v:.2f}" for n, v in zip(EMOTIONS, emotion.vector, strict=True) if v >= 0.005)
    print(f"use it as:   --emotion {sliders or 'calm=0'} --emotion-weight {emotion.weight:.2f}")


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
    print(f"cloned and trained ({library_dir()}):" if cloned else f"cloned: none yet ({library_dir()})")
    for v in cloned:
        created = v.meta.get("created_at", "?")
        kind = "trained" if v.trained else "cloned"
        print(f"  {v.name:<15} {v.language}  {kind}, {v.meta.get('speech_s', '?')} s of speech, {created}")


def cmd_clone(args: argparse.Namespace) -> None:
    from vocalis.pipeline import Vocalis

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    voice = Vocalis().clone(args.references, args.name, lang=args.lang, overwrite=args.force, progress=progress)
    for hint in voice.meta.get("quality_hints", []):
        print(f"hint: {hint}", file=sys.stderr)
    print(f"saved voice {voice.name!r}. Before it can speak, the person it copies consents:\n"
          f"  vocalis consent record {voice.name}       (they read a phrase aloud)\n"
          f"  vocalis consent grant {voice.name} --document FILE   (an operator accepts a signed authorisation)\n"
          f"then:  vocalis say -v {voice.name} \"TEXT\"", file=sys.stderr)


def cmd_phonemes(args: argparse.Namespace) -> None:
    from vocalis.text import segments

    for seg in segments(_read_text(args), lang=args.lang):
        pause = f"  +{seg.pause_after:.2f}s pause" if seg.pause_after else ""
        print(f"[{seg.lang}] {seg.text}\n      {seg.phonemes}{pause}")


def _warm_watermarks() -> None:
    """Perth loads in ~4 s (and compiles librosa's kernels the first time ever): now, not in the first request."""
    from vocalis.trust.perth import warm

    warm()


def cmd_prepare(args: argparse.Namespace) -> None:
    from vocalis.pipeline import Vocalis

    print("preparing the models (joins the model parts and builds the decoder cache on first use)...",
          file=sys.stderr)
    _warm_watermarks()
    tts = Vocalis()
    for text in ("Ready.", "好了。"):
        tts.synthesize(text)
    print("ready", file=sys.stderr)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"port {value} is out of range: use 1 to 65535")
    return int(value)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def _add_emotion_args(p: argparse.ArgumentParser, description: bool = True) -> None:
    g = p.add_argument_group("emotion (default: the voice's own delivery; several sources blend)")
    g.add_argument("--emotion", metavar="NAME=V,...", help="sliders 0-1, e.g. happy=0.8,sad=0.2")
    if description:
        g.add_argument("--emotion-text", metavar="TEXT",
                       help='a description in English or Chinese, e.g. "whispering sadly", "冷冷地说"')
    g.add_argument("--emotion-audio", metavar="CLIP", help="take the emotion (not the voice) of this clip")
    g.add_argument("--emotion-weight", type=_number, metavar="W",
                   help="how far from neutral delivery, 0 to 1 (default 1)")
    g.add_argument("--emotion-mix", metavar="SRC=S,...",
                   help="shares of the sources when several are given, e.g. audio=0.3,text=0.5,vector=0.2 "
                        "(default equal)")


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
                     help="built-in, cloned or trained voice name, or a voice file (default: best for the language)")
    say.add_argument("-o", "--output", default="out.wav", help="output file: .wav .flac .mp3 .ogg (default out.wav)")
    say.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    timing = say.add_argument_group("timing (free by default)")
    timing.add_argument("--speed", type=_number, default=1.0, help="speaking rate, 0.5 to 2.0 (default 1.0)")
    timing.add_argument("--duration", type=_number, metavar="SECONDS",
                        help="make the whole output last exactly this long (replaces --speed)")
    timing.add_argument("--pause-scale", type=_number, default=1.0, metavar="X",
                        help="multiply the pauses between segments (they follow punctuation), 0 to 4 (default 1)")
    timing.add_argument("--max-phonemes", type=int, default=150, metavar="N",
                        help="longest segment in phonemes, 16 to 300 (default %(default)s, ~10 s of speech): "
                             "longer sentences split at clauses first")
    _add_emotion_args(say)
    say.add_argument("--subtitles", metavar="FILE", help="also write the spoken segments' timings as .srt or .vtt")
    say.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    say.set_defaults(run=cmd_say)

    dub = sub.add_parser("dub", help="speak subtitles into an audio track aligned with their cues",
                         description="Render every cue of an .srt or .vtt file into its time slot, fitted to the "
                                     "slot exactly, and write the whole aligned track.")
    dub.add_argument("input", metavar="FILE", help=".srt or .vtt subtitles to speak")
    dub.add_argument("-v", "--voice", help="built-in, cloned or trained voice name, or a voice file")
    dub.add_argument("-o", "--output", default="track.wav", help="output track (default track.wav)")
    dub.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    _add_emotion_args(dub)
    dub.add_argument("--subtitles", metavar="FILE",
                     help="also write the cues as placed (.srt or .vtt): a cue too short to speak runs past its end")
    dub.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    dub.set_defaults(run=cmd_dub)

    run = sub.add_parser("run", help="run a YAML job file (one job or a list)", epilog=JOB_EXAMPLE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("job", metavar="JOB.yaml")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    run.set_defaults(run=cmd_run)

    serve = sub.add_parser("serve", help="run the HTTP API (OpenAI-compatible /v1/audio/speech, native /v1/tts)",
                           description="Serve the engine over HTTP: POST /v1/audio/speech (OpenAI's shape), "
                                       "POST /v1/tts (emotion, duration, streaming), GET/POST/DELETE /v1/voices "
                                       "(clone from uploads), POST/GET/DELETE /v1/voices/NAME/train (training jobs), "
                                       "POST /v1/jobs (long texts and YAML/JSONL batches, in the background). "
                                       "Interactive docs at /docs.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--no-auth", action="store_true",
                       help="check no API keys, even on an address other machines can reach")
    serve.add_argument("--rate", type=int, default=60, metavar="N",
                       help="requests a minute per key without its own rate, or per client address while no key "
                            "exists (default 60; 0: no limit)")
    serve.add_argument("--cors-origin", action="append", metavar="URL",
                       help="let web pages from this origin call the API (repeatable; default: none)")
    serve.set_defaults(run=cmd_serve)

    keys = sub.add_parser("keys", help="API keys for vocalis serve (create, revoke, list)",
                          description="Once any key exists, every /v1 request to `vocalis serve` needs "
                                      "`Authorization: Bearer KEY`. Keys are kept (as hashes) in VOCALIS_HOME.")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a key and print it (shown only once)")
    create.add_argument("name", help="who the key is for (letters, digits, '_', '-', '.', '@')")
    create.add_argument("--rate", type=int, metavar="N", help="requests a minute for this key (default: the server's)")
    create.add_argument("--operator", action="store_true",
                        help="this key may also accept a signed document as written consent for a cloned voice "
                             "(POST /v1/voices/NAME/consent/document)")
    revoke = actions.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("name")
    actions.add_parser("list", help="list the keys (names and first characters, never the secrets)")
    keys.set_defaults(run=cmd_keys)

    webui = sub.add_parser("webui", help="run the web interface (Speak, Clone, Train, Library, History; English/中文)",
                           description="Serve the browser interface: offline, no analytics, no share link.")
    webui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                                                           "0.0.0.0 to reach it from other machines)")
    webui.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    webui.set_defaults(run=cmd_webui)

    emo = sub.add_parser("emotion", help="show the emotion vector of a description, clip or sliders",
                         description="Shows the 8 intensities an emotion source maps to, to see and tweak them.")
    emo.add_argument("emotion_text", nargs="?", metavar="DESCRIPTION",
                     help='e.g. "angrily, voice shaking" or "冷冷地说"')
    _add_emotion_args(emo, description=False)
    emo.set_defaults(run=cmd_emotion)

    voices = sub.add_parser("voices", help="list the voices (built-in, cloned and trained)")
    voices.add_argument("--delete", metavar="NAME", help="delete a cloned or trained voice from the library")
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

    add_train_command(sub)
    add_trust_commands(sub)
    add_eval_commands(sub)
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
        code = args.run(args)  # most commands return None: success
    except VocalisError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
