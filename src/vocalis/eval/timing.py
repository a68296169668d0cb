"""Timing evaluation (`vocalis eval timing`): does a `duration` target come out at the length asked?

Each sentence is rendered once freely (its natural length), then with `duration` = 0.75, 1.0 and 1.25
times that; the error is the absolute difference between the target and the output's length in
samples. Also reported: the silence the model leaves after the speech (a fitted render that ends in
a long silence would meet its target without filling it), and a dub check: a 20-cue subtitle file of
varied cue lengths and gaps, some tight, written as SRT, read back and dubbed end to end; the check
counts overlaps, sound outside the cues' slots and the track length.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from vocalis.audio import Audio
from vocalis.eval.cloning import write_json
from vocalis.subtitles import Cue, read_subtitles, speech_span, write_srt

if TYPE_CHECKING:  # the pipeline loads torch: only when an evaluation runs
    from vocalis.service import Vocalis

__all__ = ["DUB_CUES", "SENTENCES", "dub_cues", "TARGETS", "VOICES", "evaluate_timing", "print_report", "write_json"]

TARGETS = (0.75, 1.0, 1.25)
VOICES = {"en": "jm_kumo", "zh": "jf_gongitsune"}
# Done when (the issue): median error <= 15 ms and p95 <= 50 ms.
MAX_MEDIAN_MS = 15.0
MAX_P95_MS = 50.0
# 4 to 25 words, statements, questions and exclamations, with commas, numbers, dates and times: what
# varies a sentence's segmentation, pauses and phoneme count.
SENTENCES = {
    "en": (
        "Please close the door.",
        "Where did you park the car?",
        "The meeting starts at 9:30 tomorrow morning.",
        "I bought three apples, two pears and a melon.",
        "Could you send me the report before Friday?",
        "The train was late again, so we took a taxi.",
        "She has lived in this city for 12 years.",
        "Turn left at the bridge, then keep going straight for about 2 kilometres.",
        "Nobody expected the little team from the north to win the final.",
        "What time does the museum close on Sundays?",
        "Our flight leaves at 6:45, and we still need to pack.",
        "The recipe needs 250 grams of flour, one egg and a pinch of salt.",
        "He opened the window, looked outside, and smiled.",
        "Is this the road to the old harbour?",
        "The price went up by 15 percent in just one year.",
        "After the storm, the streets were covered with leaves and broken branches.",
        "We will meet again on the 3rd of May.",
        "Why would anyone leave a bicycle in the middle of the road?",
        "The library is open from Monday to Saturday, but closed on public holidays.",
        "My grandmother was born in 1948, in a small village near the sea.",
        "Thank you so much for coming!",
        "The children built a tall tower out of wooden blocks and then knocked it down, laughing.",
        "How many people live in your building?",
        "The new bridge is 340 metres long and took four years to build.",
        "If it rains tomorrow, the concert will move to the town hall.",
        "Keep the receipt, please.",
        "The doctor said I should drink more water and sleep at least eight hours every night.",
        "Have you ever seen snow falling on a warm day, when the sun is shining through the clouds?",
        "Two coffees and a slice of lemon cake, please.",
        "The first European settlers arrived on this coast more than 400 years ago, looking for gold, "
        "land and a new life.",
    ),
    "zh": (
        "请把门关上。",
        "你的车停在哪里了？",
        "会议明天上午九点半开始。",
        "我买了三个苹果，两个梨，还有一个西瓜。",
        "你能在星期五之前把报告发给我吗？",
        "火车又晚点了，所以我们坐了出租车。",
        "她在这个城市已经住了十二年。",
        "过了桥往左拐，然后一直往前走大约两公里。",
        "谁也没想到北方来的小球队能赢得决赛。",
        "博物馆星期天几点关门？",
        "我们的航班六点四十五分起飞，可是行李还没收拾好。",
        "这道菜需要二百五十克面粉，一个鸡蛋和一点盐。",
        "他打开窗户，看了看外面，笑了。",
        "这条路是去老码头的吗？",
        "价格在一年里上涨了百分之十五。",
        "暴风雨过后，街道上到处都是树叶和折断的树枝。",
        "我们五月三号再见。",
        "为什么有人会把自行车放在马路中间呢？",
        "图书馆从星期一到星期六开放，但是节假日不开门。",
        "我奶奶一九四八年出生在海边的一个小村子里。",
        "非常感谢你能来！",
        "孩子们用木头积木搭了一座高塔，然后笑着把它推倒了。",
        "你们楼里住了多少人？",
        "新大桥长三百四十米，花了四年时间才建成。",
        "如果明天下雨，音乐会就改在市政厅举行。",
    ),
}
# The dub check: 20 short cues, (text, slot seconds, gap seconds before the cue). The slots give
# from about half to twice the time the words naturally take, so some cues are tight and some
# need stretching; gaps run from none (back to back) to over a second.
DUB_CUES = (
    ("Good morning.", 1.0, 0.5),
    ("How are you today?", 1.3, 0.3),
    ("Fine, thanks.", 0.6, 0.0),
    ("Let's go.", 1.2, 1.2),
    ("Where is the station?", 1.0, 0.2),
    ("Over there, on the left.", 1.8, 0.0),
    ("Thank you!", 0.8, 0.6),
    ("The train leaves at six.", 1.0, 0.1),
    ("We need to hurry.", 1.5, 0.4),
    ("Wait for me!", 0.5, 0.0),
    ("I have the tickets.", 1.6, 0.8),
    ("Good.", 0.7, 0.3),
    ("Which platform is it?", 0.9, 0.0),
    ("Platform two.", 1.4, 0.5),
    ("Almost there.", 0.6, 0.2),
    ("Made it, just in time.", 1.7, 0.0),
    ("Take a seat.", 1.0, 1.5),
    ("What a day!", 0.6, 0.3),
    ("Let's rest a little.", 2.0, 0.0),
    ("Goodbye.", 0.9, 0.7),
)


def dub_cues(count: int = len(DUB_CUES)) -> list[Cue]:
    """The first `count` dub-check cues, timed one after another."""
    cues, t = [], 0.0
    for text, slot, gap in DUB_CUES[:count]:
        cues.append(Cue(round(t + gap, 3), round(t + gap + slot, 3), text))
        t = cues[-1].end
    return cues


def evaluate_timing(tts: Vocalis | None = None, sentences: int | None = None,
                    progress: Callable[[str], None] = print, cues: int = len(DUB_CUES)) -> dict:
    """Run the evaluation on all sentences, or the first `sentences` (English and Mandarin taken in
    turn), and dub the first `cues` dub-check cues."""
    from vocalis.service import Vocalis

    tts = tts or Vocalis()
    began = time.perf_counter()
    chosen = _choose(sentences)
    items = []
    for k, (lang, text) in enumerate(chosen, 1):
        progress(f"[{k}/{len(chosen)}] {lang} {text}")
        items.append(_measure(tts, lang, text))
    report = {
        "voices": VOICES,
        "targets": list(TARGETS),
        "sentences": {lang: sum(i["lang"] == lang for i in items) for lang in VOICES},
        "items": items,
        "per_target": {str(f): _summary([r for i in items for r in i["renders"] if r["factor"] == f])
                       for f in TARGETS},
        "per_lang": {lang: _summary([r for i in items if i["lang"] == lang for r in i["renders"]])
                     for lang in VOICES},
        "overall": _summary([r for i in items for r in i["renders"]]),
    }
    progress(f"dub check: {cues} cues")
    report["dub"] = _dub_check(tts, dub_cues(cues))
    overall = report["overall"]
    report["passed"] = bool(overall["median_ms"] <= MAX_MEDIAN_MS and overall["p95_ms"] <= MAX_P95_MS
                            and report["dub"]["overlaps"] == 0 and report["dub"]["outside_slots"] == 0
                            and report["dub"]["length_ok"])
    report["runtime_s"] = time.perf_counter() - began
    return report


def _choose(count: int | None) -> list[tuple[str, str]]:
    en, zh = SENTENCES["en"], SENTENCES["zh"]
    both = [(lang, s) for pair in zip(en, zh, strict=False) for lang, s in zip(("en", "zh"), pair, strict=True)]
    both += [("en", s) for s in en[len(zh):]]
    return both[:count] if count is not None else both


def _measure(tts: Vocalis, lang: str, text: str) -> dict:
    """Natural length, then one render per target factor."""
    natural = tts.synthesize(text, VOICES[lang], lang)
    rate = natural.sample_rate
    renders = []
    for factor in TARGETS:
        target = factor * len(natural.samples) / rate
        out = tts.synthesize(text, VOICES[lang], lang, duration=target)
        _, speech_end = speech_span(out)
        renders.append({
            "factor": factor,
            "target_s": target,
            "output_s": out.duration,
            "error_ms": abs(out.duration - target) * 1000,
            "trailing_silence_ms": (len(out.samples) - speech_end) / rate * 1000,
        })
    return {"lang": lang, "text": text, "natural_s": natural.duration,
            "natural_trailing_silence_ms": (len(natural.samples) - speech_span(natural)[1]) / rate * 1000,
            "renders": renders}


def _summary(renders: list[dict]) -> dict:
    errors = np.array([r["error_ms"] for r in renders])
    silence = np.array([r["trailing_silence_ms"] for r in renders])
    return {"renders": len(renders), "median_ms": float(np.median(errors)),
            "p95_ms": float(np.percentile(errors, 95)), "max_ms": float(errors.max()),
            "trailing_silence_median_ms": float(np.median(silence)),
            "trailing_silence_max_ms": float(silence.max())}


def _dub_check(tts: Vocalis, cues: list[Cue]) -> dict:
    """Write `cues` as SRT, read it back, dub it, and check the track against the slots."""
    from vocalis.service.dub import dub

    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cues = read_subtitles(write_srt(cues, Path(tmp) / "check.srt"))
    result = dub(tts, cues, voice=VOICES["en"], lang="en")
    rate = result.audio.sample_rate
    placed = [(round(c.start * rate), round(c.end * rate)) for c in result.cues]
    inside = np.zeros(len(result.audio.samples), bool)
    for a, b in placed:
        inside[a:b] = True
    expected = round(cues[-1].end * rate)
    heard = [_speech_in(result.audio, a, b) for a, b in placed]
    return {
        "cues": len(cues),
        "overlaps": sum(placed[k][1] > placed[k + 1][0] for k in range(len(placed) - 1)),
        "outside_slots": int(np.count_nonzero(result.audio.samples[~inside])),  # non-zero samples
        "length_s": result.audio.duration,
        "expected_length_s": expected / rate,
        # as long as the last cue's end, or its speech where it had to run past it
        "length_ok": len(result.audio.samples) == max(expected, placed[-1][1]),
        "strained": [{"cue": k + 1, "speed": speed} for k, speed in result.strained],
        "lengthened": [k + 1 for k in result.lengthened],
        "silent": [k + 1 for k in result.silent],
        "speech_ratio_median": float(np.median(heard)),  # share of each slot that is sound, not silence
        "runtime_s": time.perf_counter() - began,
    }


def _speech_in(audio: Audio, a: int, b: int) -> float:
    start, end = speech_span(Audio(audio.samples[a:b], audio.sample_rate))
    return (end - start) / (b - a)


def print_report(report: dict, out: TextIO | None = None) -> None:
    """Readable summary (to `out`, default standard output); also takes a report read back from JSON."""
    p = partial(print, file=out or sys.stdout)
    counts = ", ".join(f"{n} {lang}" for lang, n in report["sentences"].items())
    p(f"Timing evaluation: {counts} sentences x targets {report['targets']} of natural length, "
      f"{report['runtime_s']:.0f} s")
    p("error = |target - output duration|; trailing silence = after the last sound of the output\n")
    head = f"{'':<12} {'renders':>7} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'silence med/max ms':>19}"
    p(head)
    p("-" * len(head))
    rows = [(f"x{f}", s) for f, s in report["per_target"].items()]
    rows += [(lang, s) for lang, s in report["per_lang"].items()] + [("overall", report["overall"])]
    for name, s in rows:
        p(f"{name:<12} {s['renders']:>7} {s['median_ms']:>10.3f} {s['p95_ms']:>8.3f} {s['max_ms']:>8.3f} "
          f"{s['trailing_silence_median_ms']:>9.0f} /{s['trailing_silence_max_ms']:>6.0f}")
    d = report["dub"]
    strained = ", ".join(f"cue {s['cue']} x{s['speed']:.2f}" for s in d["strained"]) or "none"
    p(f"\ndub check: {d['cues']} cues, {d['overlaps']} overlaps, {d['outside_slots']} samples of sound outside "
      f"the slots, track {d['length_s']:.3f} s (last cue ends at {d['expected_length_s']:.3f} s), "
      f"{d['runtime_s']:.0f} s")
    p(f"  strained (speed outside 0.5-2.0): {strained}; lengthened: {d['lengthened'] or 'none'}; "
      f"silent: {d['silent'] or 'none'}; median share of a slot holding sound {d['speech_ratio_median']:.2f}")
    p(f"\ngoal: median <= {MAX_MEDIAN_MS:.0f} ms, p95 <= {MAX_P95_MS:.0f} ms, a dub without overlaps: "
      f"{'met' if report['passed'] else 'NOT met'}")
