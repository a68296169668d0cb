"""`vocalis say`, `dub`, `run`, `emotion` and `phonemes`: text (or subtitles, or a job file) into speech."""

from __future__ import annotations

import argparse
import sys

from vocalis.errors import VocalisError
from vocalis.service.request import SEGMENT_PHONEMES
from vocalis.studio.cli.arguments import add_emotion_args, emotion_of, emotion_spec, number, read_text
from vocalis.studio.cli.dub_command import add_dub_command

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



def cmd_say(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from vocalis.service import FileSink, SpeechRequest, Vocalis
    from vocalis.studio.cli.via_server import can_send, say_via, server_for

    text = read_text(args)
    sink = FileSink(args.output, subtitles=args.subtitles)  # the paths first, before any model loads
    request = SpeechRequest(text, voice=args.voice or "default", lang=args.lang, speed=args.speed,
                            duration=args.duration, emotion=emotion_spec(args), pause_scale=args.pause_scale,
                            max_phonemes=args.max_phonemes, format=sink.format,
                            subtitles=sink.subtitles and sink.subtitles.suffix.lower().lstrip("."))
    if not args.local and can_send(request) and (server := server_for(args.server)):
        seconds = say_via(*server, request, sink.path)
        if not args.quiet:
            print(f"wrote {args.output} ({seconds:.2f} s, rendered by {server[0]})", file=sys.stderr)
        return
    if args.server:
        raise VocalisError("this request cannot go to a server (a voice file, an emotion clip, subtitles or ogg "
                           "need a local render): leave out --server")
    tts = Vocalis()  # render checks the request (voice, consent) at the call, before any model loads
    with tqdm(total=len(text), unit="char", disable=args.quiet or len(text) < 200, file=sys.stderr) as bar:
        result = tts.render(request, sink, progress=lambda p: bar.update(p.chars_done - bar.n))
    if not args.quiet:
        extra = f", subtitles {args.subtitles}" if args.subtitles else ""
        print(f"wrote {args.output} ({result.seconds:.2f} s{extra})", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis
    from vocalis.service.job_file import load_jobs, run_job

    jobs = load_jobs(args.job)  # the whole file is checked before the first job runs
    tts = Vocalis()
    for k, job in enumerate(jobs, 1):
        if not args.quiet:
            print(f"job {k}/{len(jobs)}: {job.output}", file=sys.stderr)
        result = run_job(tts, job, progress=None if args.quiet else lambda m: print(f"  {m}", file=sys.stderr))
        if not args.quiet:
            print(f"  wrote {job.output} ({result.seconds:.2f} s)", file=sys.stderr)


def cmd_emotion(args: argparse.Namespace) -> None:
    from vocalis.emotion import EMOTIONS

    emotion = emotion_of(args)
    if emotion is None:
        raise VocalisError("give a description, --emotion-audio CLIP or --emotion NAME=VALUE,... to see its vector")
    for name, value in zip(EMOTIONS, emotion.vector, strict=True):
        print(f"{name:<12} {value:.2f}  {'#' * round(value * 20)}")
    print(f"weight       {emotion.weight:.2f}")
    sliders = ",".join(f"{n}={v:.2f}" for n, v in zip(EMOTIONS, emotion.vector, strict=True) if v >= 0.005)
    print(f"use it as:   --emotion {sliders or 'calm=0'} --emotion-weight {emotion.weight:.2f}")


def cmd_phonemes(args: argparse.Namespace) -> None:
    from vocalis.text import segments

    for seg in segments(read_text(args), lang=args.lang):
        pause = f"  +{seg.pause_after:.2f}s pause" if seg.pause_after else ""
        print(f"[{seg.lang}] {seg.text}\n      {seg.phonemes}{pause}")


def add_speech_commands(sub: argparse._SubParsersAction) -> None:
    say = sub.add_parser("say", help="speak text into an audio file", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    say.add_argument("text", nargs="?", help="text to speak ('-' or omitted: read standard input)")
    say.add_argument("-f", "--file", help="read the text from this UTF-8 file")
    say.add_argument("-v", "--voice",
                     help="built-in, cloned or trained voice name, or a voice file (default: best for the language)")
    say.add_argument("-o", "--output", default="out.wav",
                     help="output file, its format by suffix: .wav .flac .mp3 .ogg .opus .aac .pcm (default out.wav)")
    say.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    timing = say.add_argument_group("timing (free by default)")
    timing.add_argument("--speed", type=number, default=1.0, help="speaking rate, 0.5 to 2.0 (default 1.0)")
    timing.add_argument("--duration", type=number, metavar="SECONDS",
                        help="make the whole output last exactly this long (replaces --speed)")
    timing.add_argument("--pause-scale", type=number, default=1.0, metavar="X",
                        help="multiply the pauses between segments (they follow punctuation), 0 to 4 (default 1)")
    timing.add_argument("--max-phonemes", type=int, default=SEGMENT_PHONEMES, metavar="N",
                        help="longest segment in phonemes, 16 to 300 (default %(default)s, ~10 s of speech): "
                             "longer sentences split at clauses first")
    add_emotion_args(say)
    say.add_argument("--subtitles", metavar="FILE", help="also write the spoken segments' timings as .srt or .vtt")
    say.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    where = say.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL",
                       help="render on this `vocalis serve` (key from $VOCALIS_API_KEY unless it is this machine's). "
                            "Default: a server started from this data home when one runs, else here")
    where.add_argument("--local", action="store_true", help="render in this process even when a server runs")
    say.set_defaults(run=cmd_say)

    add_dub_command(sub)

    run = sub.add_parser("run", help="run a YAML job file (one job or a list)", epilog=JOB_EXAMPLE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("job", metavar="JOB.yaml")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    run.set_defaults(run=cmd_run)

    emo = sub.add_parser("emotion", help="show the emotion vector of a description, clip or sliders",
                         description="Shows the 8 intensities an emotion source maps to, to see and tweak them.")
    emo.add_argument("emotion_text", nargs="?", metavar="DESCRIPTION",
                     help='e.g. "angrily, voice shaking" or "冷冷地说"')
    add_emotion_args(emo, description=False)
    emo.set_defaults(run=cmd_emotion)

    ph = sub.add_parser("phonemes", help="show how text is split and pronounced")
    ph.add_argument("text", nargs="?")
    ph.add_argument("-f", "--file")
    ph.add_argument("--lang", default="auto", choices=["auto", "en", "zh"])
    ph.set_defaults(run=cmd_phonemes)
