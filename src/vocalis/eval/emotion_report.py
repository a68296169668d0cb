"""Readable tables of a `vocalis eval emotion` report: the judge's accuracy on real speech, its verdict on the
synthesis, identity, error rates and the issue's bars."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO

from vocalis.eval.cloning import METRIC
from vocalis.eval.emotion_measures import CATEGORIES, EMOTIONAL
from vocalis.eval.emotion_synthesis import error_rates

Printer = Callable[..., None]


def print_report(report: dict, out: TextIO | None = None) -> None:
    """Readable tables (to `out`, default standard output); also takes a report read back from `write_json`."""
    p = partial(print, file=out or sys.stdout)
    runtime = report["runtime_s"]
    p(f"Emotion evaluation on {report['data']}: {runtime['total']:.0f} s (real speech {runtime['real']:.0f} s, "
      f"synthesis {runtime['synthesis']:.0f} s)")
    cl = report["classifier"]
    p(f"judge: {cl['features']}, {cl['normalisation']}, {cl['model']}\n")
    _print_real(p, report["real"])
    syn = report["synthesis"]
    _print_judged_synthesis(p, syn)
    _print_identity(p, syn)
    _print_error_rates(p, syn)
    p("\nbars:")
    for name, check in syn["checks"].items():
        value = check["value"]
        shown = " / ".join(_f(v, 0) for v in value) if isinstance(value, list | tuple) else _f(value, 0)
        p(f"  {'PASS' if check['pass'] else 'FAIL'}  {name:<24} {shown:<16} {check['bar']}")
    if report.get("descriptions"):
        from vocalis.eval.emotion_descriptions import print_description_report

        p("\nEMOTION DESCRIPTIONS (description -> emotion mapper):")
        print_description_report(report["descriptions"], out or sys.stdout)


def _print_real(p: Printer, real: dict) -> None:
    loso = real["loso"]
    p(f"REAL SPEECH: {real['clips']} clips, {len(real['speakers'])} speakers, leave-one-speaker-out "
      f"accuracy {loso['accuracy']:.2f}, balanced {loso['balanced_accuracy']:.2f} (chance 0.20)")
    for s, acc in loso["per_speaker"].items():
        counts = ", ".join(f"{c} {n}" for c, n in real["speakers"][s].items())
        p(f"  {s:<28} {acc:5.2f}  ({counts})")
    for note in real["notes"]:
        p(f"  note: {note}")
    _print_confusion(p, loso["confusion"])
    p("\nacoustic direction, real speech (each emotion minus the same speaker's neutral):")
    _print_shifts(p, real["acoustics"], ("f0_st", "level_db", "rate_pct"))


def _print_judged_synthesis(p: Printer, syn: dict) -> None:
    voices = ", ".join(f"{v} ({lang})" for v, lang in syn["voices"].items())
    p(f"\nSYNTHESIS: {len(syn['renders'])} renders, voices {voices}")
    p(f"hit rate {syn['hit_rate']:.2f}; per emotion: "
      + ", ".join(f"{c} {_f(r, 0)}" for c, r in syn["per_emotion"].items()))
    _print_confusion(p, syn["confusion"])
    p("\nacoustic direction, synthesis (each emotion minus the same voice's neutral, same sentences):")
    _print_shifts(p, syn["acoustics"], ("f0_st", "level_db", "rate_pct", "duration_pct"))


def _print_identity(p: Printer, syn: dict) -> None:
    p("\nidentity: d-vector similarity to the neutral render of the same voice and sentence (mean / min)")
    p("  " + ", ".join(f"{e} {_f(s['mean'], 0)} / {_f(s['min'], 0)}" for e, s in syn["identity"].items()))
    clone = syn["clone"]
    if "drop" in clone:
        p(f"clone {clone['voice']} ({clone['speaker']}, from {Path(clone['ref']).name}, enrolment "
          f"{clone['enrol_s']:.0f} s): similarity to {Path(clone['truth']).name} per category, drop from neutral")
        p("  " + ", ".join(f"{c} {_f(s, 0)}" + (f" ({_f(clone['drop'][c], 0, sign=True)})" if c in clone["drop"]
                                                  else "") for c, s in clone["similarity"].items()))
    elif clone:
        p(f"clone: {clone.get('error')}")


def _print_error_rates(p: Printer, syn: dict) -> None:
    p("\nerror rates (Whisper base; pooled over renders), then per voice:")
    columns = (*CATEGORIES, "emotional")
    p(f"  {'':<24}" + "".join(f"{c:>10}" for c in columns))
    for metric in ("wer", "cer"):
        if not math.isnan(_number(syn["error_rates"]["emotional"][metric])):
            p(f"  {metric.upper():<24}" + "".join(_f(syn["error_rates"][c][metric], 10, 3) for c in columns))
    for voice, lang in syn["voices"].items():  # a voice's own accent shows in its neutral column
        rates = error_rates([r for r in syn["renders"] if r["voice"] == voice])
        p(f"  {voice + ' ' + METRIC[lang].upper():<24}" + "".join(_f(rates[c][METRIC[lang]], 10, 3) for c in columns))


def _f(value: float | None, width: int = 6, digits: int = 2, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}"
    return f"{value:{'+' if sign else ''}{width}.{digits}f}"


def _number(value: float | None) -> float:
    """A figure from a fresh report or one read back from JSON (where NaN became null)."""
    return math.nan if value is None else value


def _print_confusion(p: Printer, matrix: list[list[int]]) -> None:
    p("true \\ predicted".ljust(17) + "".join(f"{c:>10}" for c in CATEGORIES))
    for c, row in zip(CATEGORIES, matrix, strict=True):
        if any(row):
            p(f"{c:<17}" + "".join(f"{n:>10}" for n in row))


def _print_shifts(p: Printer, shifts: dict, keys: tuple[str, ...]) -> None:
    names = {"f0_st": "F0 st", "level_db": "dB", "rate_pct": "rate%", "duration_pct": "dur%"}
    width = 7 * len(keys)
    p(f"{'':<28}" + "".join(f" {e:^{width}}" for e in EMOTIONAL))
    p(f"{'':<28}" + "".join(" " + "".join(f"{names[k]:>7}" for k in keys) for _ in EMOTIONAL))
    for group, by_emotion in [*shifts["per_group"].items(), ("median", shifts["median"])]:
        cells = [" " + "".join(_f(by_emotion[e][k] if e in by_emotion else None, 7, 1, sign=True) for k in keys)
                 for e in EMOTIONAL]
        p(f"{group:<28}" + "".join(cells))
