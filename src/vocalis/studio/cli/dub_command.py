"""`vocalis dub`: subtitles into an aligned audio track, or (with --subs) a video dubbed with new lines that carry
the emotion of the original actor in each cue, muxed back beside the copied video stream."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError
from vocalis.studio.cli.arguments import add_emotion_args, emotion_of

if TYPE_CHECKING:
    from vocalis.service.dub import DubResult
    from vocalis.service.video_dub import DubProgress, VideoDubResult

EPILOG = """examples:
  vocalis dub lines.srt -v ana -o track.wav                    subtitles into an aligned track
  vocalis dub scene.mp4 --subs new_lines.srt -v ana -o dubbed.mp4
  vocalis dub scene.mkv --subs new_lines.vtt --emotion-weight 0.7 --keep-original-audio
per-cue emotion overrides win over the original's: start a cue's text with {angry=0.8}, {sad}, {neutral} or a
description such as {冷冷地}, or give --emotions FILE.yaml with lines like `3: angry=0.8`"""


def cmd_dub(args: argparse.Namespace) -> None:
    if args.subs:
        _dub_video(args)
    else:
        _dub_track(args)


def _dub_track(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from vocalis.service import FileSink, Vocalis
    from vocalis.service.dub import dub
    from vocalis.subtitles import read_subtitles

    if args.emotion_from or args.emotions or args.keep_original_audio:
        raise VocalisError("--emotion-from, --emotions and --keep-original-audio dub a video: give it with --subs")
    cues = read_subtitles(args.input)
    emotion = emotion_of(args)
    output = args.output or "track.wav"
    sink = FileSink(output, subtitles=args.subtitles)  # the paths checked before any model loads
    with tqdm(total=len(cues), unit="cue", disable=args.quiet, file=sys.stderr) as bar:
        result = dub(Vocalis(), cues, voice=args.voice, lang=args.lang, emotion=emotion,
                     progress=lambda done, total: bar.update(done - bar.n))
    sink.save(result.audio, result.credentials, result.cues)  # the cues as placed: a lengthened one runs long
    if not args.quiet:  # each cue's own warning was logged as it rendered; this is the summary
        detail = _summary(result)
        print(f"wrote {output} ({result.audio.duration:.2f} s, {len(cues)} cues{': ' + detail if detail else ''})",
              file=sys.stderr)


def _dub_video(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis
    from vocalis.service.video_dub import DubOptions

    if args.subtitles:
        raise VocalisError("--subtitles writes a track's cues; a video dub keeps the --subs timings")
    if args.emotion or args.emotion_text or args.emotion_audio or args.emotion_mix:
        raise VocalisError("a video dub takes each line's emotion from the original (--emotion-from) or from the "
                           "cue ({angry=0.8} or --emotions FILE.yaml); --emotion-weight scales it")
    options = DubOptions(voice=args.voice, lang=args.lang, emotion_from=args.emotion_from or "original",
                         emotion_weight=1.0 if args.emotion_weight is None else args.emotion_weight,
                         emotions_file=args.emotions, keep_original_audio=args.keep_original_audio)
    with _Bars(args.quiet) as bars:
        result = Vocalis().dub_video(args.input, args.subs, args.output, options, progress=bars.update)
    if not args.quiet:
        checked = [c for c in result.cues if c.agrees is not None]
        agreed = f", emotion kept in {sum(c.agrees for c in checked)}/{len(checked)}" if checked else ""
        detail = "; ".join(x for x in (_summary(result), f"{len(result.outside)} lines not inside their cue "
                                       f"({_numbers(result.outside)})" if result.outside else "") if x)
        print(f"wrote {result.path} ({len(result.cues)} cues{agreed}"
              f"{'' if result.signed else ', no content credentials: mkv and webm cannot hold them'}"
              f"{': ' + detail if detail else ''})", file=sys.stderr)


class _Bars:
    """One progress bar per stage (reading the original, rendering, mixing), each with its ETA."""

    def __init__(self, quiet: bool):
        self.quiet, self.stage, self.bar = quiet, None, None

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.bar:
            self.bar.close()

    def update(self, p: DubProgress) -> None:
        from tqdm import tqdm

        if p.stage != self.stage:
            if self.bar:
                self.bar.close()
            unit = "s" if p.stage == "mixing" else "cue"
            self.stage = p.stage
            self.bar = tqdm(total=p.total, unit=unit, desc=p.stage, disable=self.quiet, file=sys.stderr)
        self.bar.update(p.done - self.bar.n)
        if p.cue is not None and not self.quiet:  # what was found and heard, cue by cue, as they render
            self.bar.write(f"  cue {p.cue.index + 1:>4} {_clock(p.cue.start)}  {p.cue.check()}", file=sys.stderr)


def _summary(result: DubResult | VideoDubResult) -> str:
    notes = [f"{len(result.strained)} outside speed 0.5-2.0 (cues {_numbers(i for i, _ in result.strained)})"
             if result.strained else "", f"{len(result.silent)} silent" if result.silent else "",
             f"{len(result.lengthened)} lengthened" if result.lengthened else "",
             f"{len(result.delayed)} delayed (cues {_numbers(i for i, _ in result.delayed)})" if result.delayed
             else ""]
    return "; ".join(n for n in notes if n)


def _numbers(indices: Iterable[int]) -> str:
    return ", ".join(str(i + 1) for i in indices)


def _clock(seconds: float) -> str:
    minutes, s = divmod(seconds, 60)
    return f"{int(minutes // 60):d}:{int(minutes % 60):02d}:{s:06.3f}"


def add_dub_command(sub: argparse._SubParsersAction) -> None:
    dub = sub.add_parser("dub", help="speak subtitles into an aligned track, or dub a video (--subs)",
                         description="Render every cue of an .srt or .vtt file into its time slot, fitted to the "
                                     "slot exactly. With --subs, FILE is a video (or audio file) whose cues get new "
                                     "lines in the voice, each with the emotion of the original in its window; the "
                                     "original is ducked under them and the video stream is copied.",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    dub.add_argument("input", metavar="FILE", help=".srt or .vtt subtitles to speak, or with --subs a video")
    dub.add_argument("--subs", metavar="SUBTITLES", help="the new lines, timed to the video (.srt or .vtt)")
    dub.add_argument("-v", "--voice", help="built-in, cloned or trained voice name, or a voice file")
    dub.add_argument("-o", "--output", help="output (default track.wav; with --subs NAME.dubbed.mp4 beside the video, "
                                            "or NAME.dubbed.m4a for an audio file)")
    dub.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    add_emotion_args(dub)
    video = dub.add_argument_group("video dub (with --subs)")
    video.add_argument("--emotion-from", choices=["original", "none"],
                       help="each line's emotion from the original's cue window (default), or none")
    video.add_argument("--emotions", metavar="FILE.yaml", help="per-cue emotions: '3: angry=0.8' lines")
    video.add_argument("--keep-original-audio", action="store_true",
                       help="also keep the original soundtrack as a second audio track")
    dub.add_argument("--subtitles", metavar="FILE",
                     help="also write the cues as placed (.srt or .vtt): a cue too short to speak runs past its end")
    dub.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    dub.set_defaults(run=cmd_dub)
