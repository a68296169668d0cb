"""The Train tab: minutes of one person's speech in, a trained library voice out. The recordings are
checked before the long run, the run can be cancelled (and resumed), and the result is heard against the
voice it started from."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.events import Dependency

from vocalis.audio import to_pcm16
from vocalis.errors import VocalisError
from vocalis.service.vocalis import PREVIEW_SENTENCES, Vocalis
from vocalis.studio.webui.engine import Engine, requester
from vocalis.studio.webui.feedback import PROGRESS, canceller, shows_errors
from vocalis.studio.webui.i18n import T, Translator, t
from vocalis.voice import Voice
from vocalis.voice.train.options import TrainingCancelled, TrainProgress

COMPARE_TEXT = PREVIEW_SENTENCES["en"]


@dataclass
class TrainTab:
    start: gr.Dropdown
    trained: Dependency  # the Train event, for what should follow a training

    @staticmethod
    def refresh_starts(ui_lang: str, selected: str | None = None) -> dict[str, Any]:
        """The clones training may start from, as the library holds them now (a clone made, renamed or
        deleted since the page was built), keeping the selection if it still exists."""
        choices = start_choices(ui_lang)
        return gr.update(choices=choices, value=selected if selected in {v for _, v in choices} else "")


def start_choices(ui_lang: str) -> list[tuple[str, str]]:
    """(label, name) pairs: a new instant clone (""), then the library's clones (trained voices cannot be
    started from: training adapts a clone's decoder from scratch)."""
    from vocalis.voice.library import library_voices

    clones = [(f"{v.name} · {v.language}", v.name) for v in library_voices() if not v.trained]
    return [(t("train.start.none", ui_lang), ""), *clones]


def build_train_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> TrainTab:
    """Lays the tab out inside the current `gr.Tab`."""
    tr.make(gr.Markdown, value=T("train.intro"))
    with gr.Row():
        with gr.Column():
            clips = tr.make(gr.File, label=T("train.clips"), file_count="multiple", file_types=["audio", "video"],
                            type="filepath", elem_id="train-clips")
            transcripts = tr.make(gr.Textbox, label=T("train.transcripts"), info=T("train.transcripts.info"),
                                  lines=4, max_lines=12, elem_id="train-transcripts")
            with gr.Row():
                name = tr.make(gr.Textbox, label=T("train.name"), info=T("clone.name.info"), max_length=64,
                               elem_id="train-name")
                lang = tr.make(gr.Radio, label=T("train.lang"), choices=[(T("lang.en"), "en"), (T("lang.zh"), "zh")],
                               value="en", elem_id="train-lang")
            minutes = tr.make(gr.Slider, label=T("train.minutes"), info=T("train.minutes.info"), minimum=1,
                              maximum=30, step=1, value=14, elem_id="train-minutes")
            # Plain choices (not T): the list follows the library, refreshed with the language (see app.py).
            start = tr.make(gr.Dropdown, label=T("train.start"), info=T("train.start.info"),
                            choices=start_choices("en"), value="", elem_id="train-start")
            overwrite = tr.make(gr.Checkbox, label=T("train.overwrite"), value=False, elem_id="train-overwrite")
            with gr.Row():
                check_button = tr.make(gr.Button, value=T("train.check_button"), elem_id="train-check-button")
                button = tr.make(gr.Button, value=T("train.button"), variant="primary", elem_id="train-button")
                cancel = tr.make(gr.Button, value=T("train.cancel"), variant="stop", elem_id="train-cancel")
        with gr.Column():
            check = gr.Markdown(elem_id="train-check")
            result = gr.Markdown(elem_id="train-result")
            sentence = tr.make(gr.Textbox, label=T("train.compare_text"), info=T("train.compare_text.info"),
                               value=COMPARE_TEXT, elem_id="train-compare-text")
            before = tr.make(gr.Audio, label=T("train.before"), type="numpy", interactive=False,
                             buttons=["download"], elem_id="train-before")
            after = tr.make(gr.Audio, label=T("train.after"), type="numpy", interactive=False,
                            buttons=["download"], elem_id="train-after")
            compare = tr.make(gr.Button, value=T("train.compare"), elem_id="train-compare")
    # The last run's two voices, for Compare: the start voice may exist nowhere but here (see _start_voice).
    pair = gr.State(None)
    stops: dict[str, threading.Event] = {}  # browser session -> its training's cancel flag

    check_button.click(_checker(), [clips, transcripts, lang, ui_lang], check)
    # Its own queue slot, not the engine's: one training at a time, while renders go on (see Engine.beside).
    trained = button.click(_trainer(engine, stops), [clips, transcripts, name, lang, minutes, start, overwrite,
                                                     sentence, ui_lang], [result, before, after, pair],
                           concurrency_id="train")
    cancel.click(canceller(stops, "train.cancelling"), ui_lang, None)  # its own slot: answered while the training runs
    compare.click(_comparer(engine), [pair, sentence, ui_lang], [before, after], concurrency_id="engine")
    return TrainTab(start, trained)


def _transcripts(text: str | None) -> dict[str, str] | None:
    from vocalis.voice.train.intake import parse_transcripts

    return parse_transcripts(text, "transcripts") or None if (text or "").strip() else None


def _checker():
    @shows_errors
    def check(paths: list[str] | None, text: str | None, lang: str, ui_lang: str,
              progress: gr.Progress = PROGRESS) -> str:
        """What training would find in the recordings, without training: the same checks, so a corpus that
        would be refused says why now rather than after minutes. A refusal is a finding, shown in place."""
        if not paths:
            raise gr.Error(t("train.need_clips", ui_lang))
        title = f"### {t('train.check', ui_lang)}"
        try:
            transcripts = _transcripts(text) or {}
            corpus = Vocalis.check_training(paths, lang, transcripts, lambda message: progress(0.5, desc=message))
        except VocalisError as e:
            return f"{title}\n⚠ {e}"
        snr = "∞" if corpus.snr_db == float("inf") else f"{corpus.snr_db:.0f} dB"
        heard = sum(1 for p in paths if Path(p).name not in transcripts)
        whisper = f" ({heard} {t('train.by_whisper', ui_lang)})" if heard else ""
        return "\n".join([title, f"- {t('train.clips_n', ui_lang)}: **{len(paths)}**{whisper}",
                          f"- {t('clone.speech_s', ui_lang)}: **{corpus.speech_s:.1f} s**",
                          f"- {t('clone.snr', ui_lang)}: **{snr}**",
                          f"- {t('train.utterances', ui_lang)}: **{len(corpus.utterances)}**",
                          f"- ✓ {t('train.ready', ui_lang)}"])

    return check


def _trainer(engine: Engine, stops: dict[str, threading.Event]):
    @shows_errors
    def train(paths: list[str] | None, text: str | None, name: str, lang: str, minutes: float, start: str | None,
              overwrite: bool, sentence: str, ui_lang: str, request: gr.Request,
              progress: gr.Progress = PROGRESS) -> list[Any]:
        if not paths:
            raise gr.Error(t("train.need_clips", ui_lang))
        name = (name or "").strip()
        if not name:
            raise gr.Error(t("train.need_name", ui_lang))
        transcripts = _transcripts(text)  # a malformed line fails here, before anything runs
        kept = _library_clone(start or name)  # training in place replaces this clone's file: keep it for Compare
        stop = stops[request.session_hash or "?"] = threading.Event()
        began: list[Voice] = []  # the run's start voice, as it reports it

        def report(p: TrainProgress) -> None:
            if p.start_voice is not None:
                began.append(p.start_voice)
            eta = _duration(p.eta_s) if p.eta_s is not None else None
            progress(p.fraction, desc=t("train.eta", ui_lang, message=p.message, eta=eta) if eta else p.message)

        try:
            voice = engine.beside().train(paths, name, lang, transcripts=transcripts, minutes=float(minutes),
                                          start=start or None, overwrite=overwrite, who=requester(request),
                                          progress=report, cancel=stop.is_set)
        except TrainingCancelled:
            return [t("train.cancelled", ui_lang), None, None, None]
        finally:
            stops.pop(request.session_hash or "?", None)
        with engine.turn() as tts:
            progress(0.99, desc=t("train.before", ui_lang))
            instant = (start_voice := _start_voice(voice, kept)) is None
            start_voice = start_voice or began[-1]  # an instant clone made inside the run
            heard = _render_pair(tts, start_voice, voice, sentence, requester(request))
        start_name = t("train.instant", ui_lang) if instant else f"**{start_voice.name}**"
        return [_result(voice, start_name, heard[2], ui_lang), heard[0], heard[1], (start_voice, voice.name)]

    return train


def _comparer(engine: Engine):
    @shows_errors
    def compare(pair: tuple[Voice, str] | None, sentence: str, ui_lang: str, request: gr.Request) -> list[Any]:
        from vocalis.voice.library import load_voice

        if pair is None:
            raise gr.Error(t("train.need_result", ui_lang))
        with engine.turn() as tts:  # the trained voice as the library holds it now (consent may be new)
            before, after, _ = _render_pair(tts, pair[0], load_voice(pair[1]), sentence, requester(request))
        return [before, after]

    return compare


def _library_clone(name: str) -> Voice | None:
    from vocalis.voice.library import library_file, load_voice

    if library_file(name) is None:
        return None
    voice = load_voice(name)
    return None if voice.trained else voice


def _start_voice(voice: Voice, kept: Voice | None) -> Voice | None:
    """The voice training started from (by id, as the trained voice records it): the clone kept in memory
    before the run, or the library's voice named `trained_from`. None when it was an instant clone made
    inside the run, which was never saved."""
    wanted = voice.meta.get("start_voice_id")
    found = [kept, _library_clone(voice.meta.get("trained_from", ""))]
    return next((v for v in found if v is not None and v.id == wanted), None)


def _render_pair(tts: Vocalis, before: Voice, after: Voice, sentence: str, who: str) -> tuple[Any, Any, bool]:
    """Both voices saying the same thing: the sentence when both may speak, else the fixed preview sentence,
    all a voice may say before its owner consents. Returns the two players' values and which it was."""
    from vocalis.trust.consent import consent_state

    free = all(consent_state(v) in ("granted", "builtin") for v in (before, after))
    text = (sentence or "").strip() or COMPARE_TEXT

    def render(voice: Voice) -> tuple[int, Any]:
        audio = tts.synthesize(text, voice=voice, who=who) if free else tts.preview(voice, who=who)[0]
        return audio.sample_rate, to_pcm16(audio.samples)  # 16-bit: Gradio would convert float with a warning

    return render(before), render(after), free


def _result(voice: Voice, start_name: str, free: bool, ui_lang: str) -> str:
    from vocalis.trust.consent import consent_state

    meta, measured = voice.meta, voice.meta.get("metrics", {})
    m = {k: measured.get(f"held_out_{k}", float("nan")) for k in ("similarity", "error_rate", "loss_start", "loss")}
    figures = [("train.similarity", f"{m['similarity']:.2f}"), ("train.error_rate", f"{100 * m['error_rate']:.0f} %"),
               ("train.loss", f"{m['loss_start']:.3f} → {m['loss']:.3f}")]
    lines = [f"### {t('train.result', ui_lang)}",
             t("train.saved", ui_lang, name=voice.name, steps=meta.get("steps", 0), seconds=meta.get("seconds", 0),
               speech=meta.get("speech_s", 0), start=start_name), "", t("train.metrics", ui_lang),
             *(f"- {t(key, ui_lang)}: **{value}** ({t(f'{key}.help', ui_lang)})" for key, value in figures), "",
             t("train.keeps_consent", ui_lang, start=start_name) if consent_state(voice) == "granted" else
             t("train.needs_consent", ui_lang, name=voice.name)]
    return "\n".join(lines if free else [*lines, "", t("train.fixed_sentence", ui_lang)])


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(max(round(seconds), 0), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
