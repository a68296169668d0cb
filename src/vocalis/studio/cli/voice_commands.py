"""`vocalis voices` and `clone`: the voice library and instant cloning."""

from __future__ import annotations

import argparse
import sys


def cmd_voices(args: argparse.Namespace) -> None:
    from vocalis.voice import builtin_voices
    from vocalis.voice.builtin import DEFAULT_VOICE
    from vocalis.voice.library import delete_voice, library_dir, library_voices

    if args.action in ("share", "unshare"):
        from vocalis.service.access import share

        shared = share(args.name, args.key, args.action == "share").meta["shared_with"]
        print(f"{args.name} is shared with: {', '.join(shared) or 'no key'}", file=sys.stderr)
        return
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
        owner = f", key {v.meta['owner']}'s" if v.meta.get("owner") else ""
        shared = f", shared with {', '.join(v.meta['shared_with'])}" if v.meta.get("shared_with") else ""
        print(f"  {v.name:<15} {v.language}  {kind}, {v.meta.get('speech_s', '?')} s of speech, {created}{owner}"
              f"{shared}")


def cmd_clone(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis

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


def add_voice_commands(sub: argparse._SubParsersAction) -> None:
    voices = sub.add_parser("voices", help="list the voices (built-in, cloned and trained)")
    voices.add_argument("--delete", metavar="NAME", help="delete a cloned or trained voice from the library")
    voices.set_defaults(run=cmd_voices, action=None)
    actions = voices.add_subparsers(dest="action", metavar="ACTION")
    for action, verb in (("share", "let an API key use"), ("unshare", "stop an API key using")):
        sharing = actions.add_parser(action, help=f"{verb} a voice on `vocalis serve` (a voice made through a key "
                                                  "is that key's alone)")
        sharing.add_argument("name", help="the library voice")
        sharing.add_argument("--with", dest="key", required=True, metavar="KEYNAME", help="the API key's name")

    clone = sub.add_parser("clone", help="clone a voice from 3-30 s of someone's speech",
                           description="Fit a voice to reference speech (any common audio format, one or more "
                                       "clips of the same person, no transcript) and save it in the voice library.")
    clone.add_argument("references", nargs="+", metavar="REF", help="audio file(s) of the speaker")
    clone.add_argument("-n", "--name", required=True, help="name to save the voice under")
    clone.add_argument("--lang", default="en", choices=["en", "zh"], help="language the voice will mostly speak")
    clone.add_argument("--force", action="store_true", help="replace a voice of the same name")
    clone.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    clone.set_defaults(run=cmd_clone)
