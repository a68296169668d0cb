"""Watermark benchmark: do the two marks (Perth's presence mark and the 32-bit ID mark) survive what files go
through, stay silent on real speech, and leave the speech as it was?

    .venv/bin/python bench/watermark.py [--quick]

1. Survival: English and Mandarin renders in several built-in voices, marked chunk by chunk as the engine
   marks a stream, then attacked (MP3 64 kbit/s, Opus 32 kbit/s, 16 kHz resampling, either half, +-6 dB with
   clipping, white noise at 20 dB SNR); Perth detected rate and mean score, exact ID decodes. Then short
   outputs (1.7-4.5 s) and their halves, clean, with several ids each: exact ID decodes.
2. False positives: unmarked real speech from ../shared/data/speech (several datasets, en and zh, 1-30 s).
3. Transparency, as a loss: on the survival renders plus a few more (30 in all, 5 voices; --quick 9), the
   paired difference marked - unmarked in Whisper WER (en) / CER (zh), and in speaker similarity (GE2E,
   d-vector) of each render to the *other* sentences of its own voice (unmarked), each with a 95 % bootstrap
   interval over the renders. Its scale: the sentence-to-sentence spread, and the drop in similarity from
   the same voice to a different one. Then the marks' SNR; marking and detection speed.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vocalis import Vocalis
from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.engine import Plan
from vocalis.service import SpeechRequest
from vocalis.text.error_rate import cer, wer
from vocalis.trust.idmark import detect_id, embed_id
from vocalis.trust.perth import PERTH_THRESHOLD, perth_mark, perth_score, warm
from vocalis.trust.watermark import mark
from vocalis.voice.speaker import cosine, dvector_embedding, ge2e_embedding

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"
RENDERS = [  # (voice, language, text): 4-12 s each
    ("jm_kumo", "en", "The quick brown fox jumps over the lazy dog. It was a bright cold day in April, and the "
                      "clocks were striking thirteen."),
    ("jf_tebukuro", "en", "Please call Stella. Ask her to bring these things with her from the store."),
    ("jf_nezumi", "en", "I never thought I would see the ocean again. But here it is, grey and endless, under a "
                        "low sky."),
    ("jf_alpha", "en", "Our meeting has moved to Thursday afternoon. Bring the quarterly figures, and don't forget "
                       "the projector."),
    ("jm_kumo", "en", "Science is a way of thinking much more than it is a body of knowledge."),
    ("jf_alpha", "en", "Turn left at the second light, then keep going until you see the old stone bridge. The "
                       "house is just past it, on the right."),
    ("jf_tebukuro", "en", "Good morning! Today will be sunny with a high of twenty four degrees."),
    ("jf_nezumi", "en", "She sells sea shells by the sea shore. The shells she sells are surely sea shells."),
    ("jf_gongitsune", "zh", "今天天气很好，我们一起去公园散步吧。"),
    ("jf_gongitsune", "zh", "欢迎使用语音工作室。这是一段用来测试水印的中文句子，请仔细听。"),
    ("jf_gongitsune", "zh", "北京是中国的首都，有着三千多年的建城史。每年都有很多游客来这里参观。"),
    ("jf_gongitsune", "zh", "我昨天晚上看了一部电影，故事非常感人。"),
    ("jf_gongitsune", "zh", "春天来了，花园里的花都开了，小鸟在树上唱歌。孩子们在草地上快乐地玩耍。"),
    ("jf_gongitsune", "zh", "请在会议开始之前把文件准备好，谢谢大家的配合。"),
    ("jf_alpha", "en", "Every output carries a watermark, so that anyone can later check where a recording came "
                       "from."),
    ("jf_gongitsune", "zh", "这个周末我们打算去海边玩，如果天气不好，就在家里看书。"),
]
QUICK_RENDERS = (0, 1, 5, 8, 9, 12)
# Short outputs, where the ID mark has the least speech to live in: 1.7-4.5 s, so their halves are 0.9-2.3 s.
SHORT_TEXTS = [("en", "Good morning, the train leaves at six."), ("en", "Please close the door."),
               ("en", "It is raining again today, so take an umbrella."), ("en", "Thank you very much."),
               ("zh", "今天天气很好。"), ("zh", "我们明天早上八点出发去北京。")]
SHORT_VOICES = ("jm_kumo", "jf_alpha", "jf_nezumi", "jf_gongitsune")
IDS_PER_SHORT = 4  # a decode can fail for one id and pass for another: several random ids per render
# Transparency only: more sentences per voice, so each render has several others of its own voice to be
# compared with, and jf_gongitsune in English too, so the different-voice contrast has all five voices.
TRANSPARENCY_EXTRA = [  # (voice, language, text): 3-6 s each
    ("jm_kumo", "en", "The library closes early on Sundays, so return your books before noon."),
    ("jm_kumo", "en", "He opened the window and let the cool evening air into the room."),
    ("jm_kumo", "en", "A good map will tell you where you are, but not where you should go."),
    ("jf_tebukuro", "en", "The children planted tomatoes in the garden and watered them every morning."),
    ("jf_tebukuro", "en", "Could you send me the address of the restaurant before dinner?"),
    ("jf_nezumi", "en", "The train was late again, so we shared a pot of tea on the platform."),
    ("jf_nezumi", "en", "Snow fell all night, and by morning the whole village was quiet and white."),
    ("jf_alpha", "en", "The museum will open a new exhibition about ancient ships next month."),
    ("jf_gongitsune", "en", "My sister works as a nurse at the hospital across the river."),
    ("jf_gongitsune", "en", "Please remember to turn off the lights when you leave the office."),
    ("jf_gongitsune", "en", "We walked along the beach and collected smooth stones for an hour."),
    ("jf_gongitsune", "zh", "我的朋友下个月要去上海工作，我们打算为他举办一个告别晚会。"),
    ("jf_gongitsune", "zh", "图书馆周末开放到晚上八点，欢迎大家来借书。"),
    ("jf_gongitsune", "zh", "妈妈做的饭菜特别好吃，我每次回家都吃得很饱。"),
]
QUICK_TRANSPARENCY_EXTRA = (4, 6, 14)  # indices into RENDERS: two en sentences for each quick en voice


def encode(audio: Audio, codec: str, container: str, kbps: int, rate: int) -> Audio:
    """A round trip through a lossy codec, with PyAV's FFmpeg (16-bit input, as a file would hold)."""
    import av

    x = np.clip(audio.resample(rate).samples, -1, 1)
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.bit_rate = kbps * 1000
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray((x * 32767).astype(np.int16)[None, :], format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    buf.seek(0)
    with av.open(buf) as inp:
        stream = inp.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
        parts = [f.to_ndarray().ravel() for frame in inp.decode(stream) for f in resampler.resample(frame)]
        return Audio(np.concatenate(parts).astype(np.float32), stream.rate)


def with_noise(audio: Audio, snr_db: float, seed: int) -> Audio:
    rms = float(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2)))
    noise = np.random.default_rng(seed).standard_normal(len(audio.samples)) * rms * 10 ** (-snr_db / 20)
    return Audio((audio.samples + noise).astype(np.float32), audio.sample_rate)


def gain(audio: Audio, db: float) -> Audio:
    return Audio(np.clip(audio.samples * 10 ** (db / 20), -1, 1).astype(np.float32), audio.sample_rate)


def half(audio: Audio, second: bool) -> Audio:
    mid = len(audio.samples) // 2
    return Audio(audio.samples[mid:] if second else audio.samples[:mid], audio.sample_rate)


ATTACKS: dict[str, Callable[[Audio, int], Audio]] = {
    "none": lambda a, _: a,
    "MP3 64 kbit/s": lambda a, _: encode(a, "libmp3lame", "mp3", 64, a.sample_rate),
    "Opus 32 kbit/s": lambda a, _: encode(a, "libopus", "ogg", 32, 48_000),
    "resample 16 kHz": lambda a, _: a.resample(16_000),
    "50 % crop, first half": lambda a, _: half(a, False),
    "50 % crop, second half": lambda a, _: half(a, True),
    "+6 dB (clipped)": lambda a, _: gain(a, 6),
    "-6 dB": lambda a, _: gain(a, -6),
    "white noise, 20 dB SNR": lambda a, seed: with_noise(a, 20, seed),
}


def snr(clean: np.ndarray, marked: np.ndarray) -> float:
    clean, marked = clean.astype(np.float64), marked.astype(np.float64)
    return float(10 * np.log10(np.sum(clean**2) / np.sum((marked - clean) ** 2)))


def render(tts: Vocalis, items: list[tuple[str, str, str]]) -> list[tuple[str, str, str, list[np.ndarray]]]:
    """Unmarked chunks: the engine's own render, before the service's trust stage marks them (transparency
    needs the same audio without the marks)."""
    out = []
    for voice_name, lang, text in items:
        request = SpeechRequest(text, voice_name, lang)
        plan = Plan(tts.engine.lines(text, lang, request.max_phonemes), Vocalis.check(request))
        chunks = tts.engine.render(plan)
        out.append((voice_name, lang, text, [c.audio.samples for c in chunks]))
    return out


def real_clips(limit_per_set: int) -> list[Path]:
    """Unmarked real speech: up to `limit_per_set` clips of every en/zh dataset, shortest and longest first."""
    with open(SPEECH / "MANIFEST.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["language"] in ("en", "zh")]
    picked: list[Path] = []
    for dataset in sorted({r["dataset"] for r in rows}):
        clips = sorted((r for r in rows if r["dataset"] == dataset), key=lambda r: float(r["duration_s"] or 0))
        # alternate short and long ones so both ends of the range are in
        order = [c for pair in zip(clips, reversed(clips), strict=True) for c in pair][: len(clips)]
        picked += [SPEECH / r["path"] for r in order[:limit_per_set]]
    return picked


def interval(d: np.ndarray, seed: int = 0, n_boot: int = 10_000) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean of `d` (resampling the renders)."""
    d = np.asarray(d, np.float64)
    means = d[np.random.default_rng(seed).integers(0, len(d), (n_boot, len(d)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def verdict(label: str, d: np.ndarray, worse: int, noise: float, noise_label: str, scale: str = "") -> str:
    """One line: does the 95 % interval of the paired difference hold 0, and how large is the largest loss it
    allows next to the sentence-to-sentence noise (`worse` = +1 when a larger value is a loss, -1 otherwise)."""
    lo, hi = interval(d)
    bound = max(0.0, hi if worse > 0 else -lo)  # the largest loss the interval allows
    if lo <= 0 <= hi:
        call = "interval includes 0: no measurable loss"
    elif (np.mean(d) * worse) < 0:
        call = "interval excludes 0 on the side of no loss: no loss"
    elif bound < noise:
        call = "interval excludes 0, but the loss is smaller than the sentence-to-sentence noise"
    else:
        call = "MEASURABLE LOSS, as large as the sentence-to-sentence noise or larger"
    return (f"- {label}: {np.mean(d):+.4f} [{lo:+.4f}, {hi:+.4f}]; largest loss allowed {bound:.4f} = "
            f"{bound / noise if noise else float('inf'):.2f} x {noise_label} ({noise:.4f}){scale} -> {call}")


def transparency(tts: Vocalis, renders: list, clean: list[np.ndarray], marked: list[np.ndarray],
                 rng: np.random.Generator, quick: bool) -> None:
    """Marking as a loss: paired marked - unmarked differences in ASR error and in speaker similarity to the
    other sentences of the same voice, with 95 % intervals, next to the scale of a real change."""
    rate = tts.sample_rate
    extra_items = [RENDERS[i] for i in QUICK_TRANSPARENCY_EXTRA] if quick else TRANSPARENCY_EXTRA
    extra = render(tts, extra_items)
    items = [(v, lang, text) for v, lang, text, _ in renders + extra]
    xs = clean + [np.concatenate(chunks) for *_, chunks in extra]
    ys = marked + [np.concatenate([mark(c, rate, int(rng.integers(0, 1 << 32))) for c in chunks])
                   for *_, chunks in extra]
    n = len(items)
    # run to run: the engine renders the same request to the same samples (so its noise is sentence to sentence)
    k = int(np.argmin([len(x) for x in xs]))
    again = np.concatenate(render(tts, [items[k]])[0][3])
    same = len(again) == len(xs[k]) and float(np.max(np.abs(again - xs[k]))) == 0.0
    durations = [len(x) / rate for x in xs]
    voices = sorted({(v, lang) for v, lang, _ in items})
    print(f"\n## Transparency ({n} renders: {sum(i[1] == 'en' for i in items)} en / "
          f"{sum(i[1] == 'zh' for i in items)} zh, {len({i[0] for i in items})} voices, "
          f"{min(durations):.1f}-{max(durations):.1f} s; marked vs unmarked, paired)\n")
    run = "deterministic (a second render of one request is bit-identical)" if same else "NOT deterministic"
    print(f"Run to run, the engine is {run}, "
          "so the noise to weigh a difference against is sentence to sentence. Intervals: 95 % bootstrap over "
          "the renders (10,000 resamples).\n")

    # ASR error, paired per render
    errs = []
    for (_, lang, text), x, y in zip(items, xs, ys, strict=True):
        score = cer if lang == "zh" else wer
        errs.append([score(text, transcribe(Audio(s, rate), lang)) for s in (x, y)])
    errs_a = np.array(errs)
    print("| measure | renders | unmarked | marked | difference, marked - unmarked (95 % CI) | renders whose "
          "score changed | sentence-to-sentence SD (unmarked) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    lines = []
    for lang, label in (("en", "Whisper WER (en)"), ("zh", "Whisper CER (zh)")):
        sel = np.array([i[1] == lang for i in items])
        if not sel.any():
            continue
        e = errs_a[sel]
        d = e[:, 1] - e[:, 0]
        lo, hi = interval(d)
        sd = float(np.std(e[:, 0], ddof=1)) if len(e) > 1 else 0.0
        print(f"| {label} | {len(e)} | {e[:, 0].mean():.3f} | {e[:, 1].mean():.3f} | {d.mean():+.4f} "
              f"[{lo:+.4f}, {hi:+.4f}] | {int(np.sum(d != 0))}/{len(e)} | {sd:.3f} |")
        lines.append(verdict(label, d, +1, sd, "sentence-to-sentence SD"))

    # speaker similarity: each render (unmarked, or marked) against the other unmarked renders of its voice
    print("\n| encoder | voice | renders | same voice, unmarked vs unmarked | same voice, marked vs unmarked | "
          "difference (95 % CI) |")
    print("| --- | --- | --- | --- | --- | --- |")
    summary = []
    for name, embed in (("GE2E", ge2e_embedding), ("d-vector", dvector_embedding)):
        ex = [embed(Audio(x, rate)) for x in xs]
        ey = [embed(Audio(y, rate)) for y in ys]
        sim = np.array([[cosine(a, b) for b in ex] for a in ex])
        sim_marked = np.array([[cosine(a, b) for b in ex] for a in ey])
        self_sim = [cosine(a, b) for a, b in zip(ex, ey, strict=True)]
        base, moved, other, pair_sims = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), []
        for i, (v, lang, _) in enumerate(items):
            mates = [j for j, it in enumerate(items) if j != i and it[:2] == (v, lang)]
            strangers = [j for j, it in enumerate(items) if it[1] == lang and it[0] != v]
            if mates:
                base[i], moved[i] = sim[i, mates].mean(), sim_marked[i, mates].mean()
                pair_sims += [sim[i, j] for j in mates if j > i]
            if mates and strangers:
                other[i] = sim[i, strangers].mean()
        for v, lang in voices:
            sel = [i for i, it in enumerate(items) if it[:2] == (v, lang) and not np.isnan(base[i])]
            if len(sel) < 2:
                continue
            d = moved[sel] - base[sel]
            lo, hi = interval(d)
            print(f"| {name} | {v} ({lang}) | {len(sel)} | {base[sel].mean():.4f} | {moved[sel].mean():.4f} | "
                  f"{d.mean():+.4f} [{lo:+.4f}, {hi:+.4f}] |")
        ok = ~np.isnan(base)
        d = moved[ok] - base[ok]
        lo, hi = interval(d)
        print(f"| {name} | all | {int(ok.sum())} | {base[ok].mean():.4f} | {moved[ok].mean():.4f} | "
              f"**{d.mean():+.4f} [{lo:+.4f}, {hi:+.4f}]** |")
        has_other = ~np.isnan(other)
        gap = base[has_other] - other[has_other]
        pair_sd = float(np.std(pair_sims, ddof=1))
        summary.append((name, base[has_other].mean(), other[has_other].mean(), gap, pair_sd, float(np.mean(self_sim)),
                        float(np.min(self_sim))))
        scale = (f"; a change of speaker costs {gap.mean():.4f}, so the largest loss allowed is "
                 f"{max(0.0, -lo) / gap.mean():.1%} of one")
        lines.append(verdict(f"{name} similarity to own voice", d, -1, pair_sd, "sentence-to-sentence SD", scale))

    print("\nThe scale of a real speaker change (unmarked renders against the other built-in voices in the same "
          "language; English only, as one built-in voice reads Mandarin):\n")
    print("| encoder | same voice | different voice | gap, same - different (min over renders) | "
          "sentence-to-sentence SD of same-voice pairs | for reference: render vs its own marked version |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, same_mean, other_mean, gap, pair_sd, self_mean, self_min in summary:
        print(f"| {name} | {same_mean:.4f} | {other_mean:.4f} | {gap.mean():.4f} ({gap.min():.4f}) | {pair_sd:.4f} | "
              f"{self_mean:.4f} (lowest {self_min:.4f}) |")
    print("\nVerdicts (mean difference marked - unmarked [95 % CI]):\n")
    for line in lines:
        print(line)


def short_outputs(tts: Vocalis, rng: np.random.Generator, quick: bool) -> None:
    """Exact ID decodes on short outputs and on their halves (clean), each render with several ids."""
    voices = SHORT_VOICES[:2] if quick else SHORT_VOICES
    renders = render(tts, [(v, lang, text) for v in voices for lang, text in SHORT_TEXTS])
    rate = tts.sample_rate
    whole, halves, seconds = [], [], []
    for *_, chunks in renders:
        perth = [perth_mark(c, rate) for c in chunks]  # the ID mark goes on Perth's output, as in `mark`
        seconds.append(sum(len(c) for c in chunks) / rate)
        for _ in range(IDS_PER_SHORT):
            mark_id = int(rng.integers(0, 1 << 32))
            y = np.concatenate([embed_id(c, rate, mark_id) for c in perth])
            found = detect_id(Audio(y, rate))
            whole.append(found is not None and found.id == mark_id)
            for part in (y[: len(y) // 2], y[len(y) // 2:]):
                found = detect_id(Audio(part, rate))
                halves.append(found is not None and found.id == mark_id)
    print(f"\n## Short outputs ({len(renders)} renders of {min(seconds):.1f}-{max(seconds):.1f} s, "
          f"{IDS_PER_SHORT} ids each; no attack)\n")
    print("| excerpt | ID exact decodes |")
    print("| --- | --- |")
    print(f"| whole output ({min(seconds):.1f}-{max(seconds):.1f} s) | {sum(whole)}/{len(whole)} |")
    print(f"| either half ({min(seconds) / 2:.1f}-{max(seconds) / 2:.1f} s) | {sum(halves)}/{len(halves)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 renders and ~40 real clips (about 3 minutes)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    warm()
    tts = Vocalis()
    rate = tts.sample_rate
    renders = render(tts, [RENDERS[i] for i in (QUICK_RENDERS if args.quick else range(len(RENDERS)))])
    rng = np.random.default_rng(7)
    ids = [int(rng.integers(0, 1 << 32)) for _ in renders]
    clean = [np.concatenate(chunks) for *_, chunks in renders]
    t_perth = t_id = 0.0
    marked, perth_only, id_only = [], [], []
    for (*_, chunks), mark_id in zip(renders, ids, strict=True):
        t = time.perf_counter()
        perth_only.append(np.concatenate([perth_mark(c, rate) for c in chunks]))
        t_perth += time.perf_counter() - t
        t = time.perf_counter()
        id_only.append(np.concatenate([embed_id(c, rate, mark_id) for c in chunks]))
        t_id += time.perf_counter() - t
        marked.append(np.concatenate([mark(c, rate, mark_id) for c in chunks]))
    seconds = sum(len(c) for c in clean) / rate
    durations = [len(c) / rate for c in clean]
    print(f"# Watermark benchmark ({len(renders)} renders, {min(durations):.1f}-{max(durations):.1f} s, "
          f"{sum(r[1] == 'en' for r in renders)} en / {sum(r[1] == 'zh' for r in renders)} zh, "
          f"{len({r[0] for r in renders})} voices; marked chunk by chunk)\n")

    print("## Survival\n")
    print(f"| attack | Perth detected (score >= {PERTH_THRESHOLD}) | Perth mean score | ID exact decodes |")
    print("| --- | --- | --- | --- |")
    t_detect, detect_seconds = 0.0, 0.0
    for name, attack in ATTACKS.items():
        scores, exact = [], []
        for k, (y, mark_id) in enumerate(zip(marked, ids, strict=True)):
            a = attack(Audio(y, rate), k)
            scores.append(perth_score(a))
            t = time.perf_counter()
            found = detect_id(a)
            t_detect += time.perf_counter() - t
            detect_seconds += a.duration
            exact.append(found is not None and found.id == mark_id)
        n = len(scores)
        print(f"| {name} | {sum(s >= PERTH_THRESHOLD for s in scores)}/{n} | {np.mean(scores):.3f} | "
              f"{sum(exact)}/{n} |")

    short_outputs(tts, rng, args.quick)

    print("\n## False positives on unmarked real speech\n")
    paths = real_clips(6 if args.quick else 14)
    fp_scores, fp_ids, fp_durations, sets = [], 0, [], set()
    for path in paths:
        a = Audio.load(path)
        fp_scores.append(perth_score(a))
        fp_ids += detect_id(a) is not None
        fp_durations.append(a.duration)
        sets.add(path.relative_to(SPEECH).parts[0])
    over = sum(s >= PERTH_THRESHOLD for s in fp_scores)
    print(f"{len(paths)} clips from {len(sets)} datasets ({', '.join(sorted(sets))}), "
          f"{min(fp_durations):.1f}-{max(fp_durations):.1f} s\n")
    print("| mark | false positives | scores |")
    print("| --- | --- | --- |")
    print(f"| Perth (score >= {PERTH_THRESHOLD}) | {over}/{len(paths)} | mean {np.mean(fp_scores):.3f}, "
          f"95th percentile {np.percentile(fp_scores, 95):.3f}, max {max(fp_scores):.3f} |")
    print(f"| ID (any id decoded) | {fp_ids}/{len(paths)} | |")

    transparency(tts, renders, clean, marked, rng, args.quick)
    print("\n| mark | SNR mean (dB) | SNR lowest (dB) |")
    print("| --- | --- | --- |")
    for label, ys in (("Perth alone", perth_only), ("ID alone", id_only), ("both", marked)):
        vals = [snr(x, y) for x, y in zip(clean, ys, strict=True)]
        print(f"| {label} | {np.mean(vals):.1f} | {min(vals):.1f} |")

    print("\n## Speed (this machine, one process)\n")
    print(f"- Perth marking: {t_perth / seconds:.3f} x real time; ID marking: {t_id / seconds:.4f} x real time")
    print(f"- ID detection: {t_detect / detect_seconds * 10:.2f} s per 10 s of audio")
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
