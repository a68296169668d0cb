"""Mandarin tone realisation: share of syllables in tone minimal sets (妈麻马骂, ...) whose pitch
contour, tracked on the output audio, has its tone's shape. With and without our tone contours.

    .venv/bin/python bench/tones.py [--voice jf_gongitsune]
"""

from __future__ import annotations

import argparse
from collections import Counter

from vocalis import Vocalis
from vocalis.eval.tones import accuracy, evaluate
from vocalis.voice import builtin_voices


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--voice", action="append", help="voice(s) to test (default: all built-ins)")
    args = p.parse_args()
    tts = Vocalis()
    plain = Vocalis(acoustic=tts.acoustic, tone_contours=False)
    print(f"{'voice':<15} {'contours':>9} {'model F0':>9}   confusions with contours (expected->heard)")
    for voice in args.voice or list(builtin_voices()):
        with_tones, without = evaluate(tts, voice), evaluate(plain, voice)
        wrong = Counter(f"{r.expected}->{r.heard}" for r in with_tones if r.heard != r.expected)
        print(f"{voice:<15} {100 * accuracy(with_tones):>8.1f}% {100 * accuracy(without):>8.1f}%   "
              f"{dict(wrong) or '-'}  (n={len(with_tones)})")


if __name__ == "__main__":
    main()
