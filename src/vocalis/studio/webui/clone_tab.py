"""The Clone tab: a reference recording in, a library voice out, with what was measured on the way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import numpy as np
from gradio.events import Dependency

from vocalis.audio import Audio, to_pcm16
from vocalis.errors import VocalisError
from vocalis.studio.webui.engine import Engine, requester
from vocalis.studio.webui.feedback import PROGRESS, shows_errors
from vocalis.studio.webui.i18n import T, Translator, t
from vocalis.voice import Voice, builtin_voices
from vocalis.voice.reference import Reference, prepare_reference

# Progress messages a clone reports (reference, start voice, 8 fitting steps, result), for the bar.
CLONE_MESSAGES = 11


def build_clone_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> Dependency:
    """Lays the tab out inside the current `gr.Tab`; returns the Clone event, for what should follow
    a successful clone."""
    tr.make(gr.Markdown, value=T("clone.intro"))
    with gr.Row():
        with gr.Column():
            reference = tr.make(gr.Audio, label=T("clone.reference"), type="filepath",
                                sources=["upload", "microphone"], buttons=[], elem_id="clone-reference")
            name = tr.make(gr.Textbox, label=T("clone.name"), info=T("clone.name.info"), max_length=64,
                           elem_id="clone-name")
            lang = tr.make(gr.Radio, label=T("clone.lang"), choices=[(T("lang.en"), "en"), (T("lang.zh"), "zh")],
                           value="en", elem_id="clone-lang")
            overwrite = tr.make(gr.Checkbox, label=T("clone.overwrite"), value=False)
            button = tr.make(gr.Button, value=T("clone.button"), variant="primary", elem_id="clone-button")
        with gr.Column():
            check = gr.Markdown(elem_id="clone-check")
            result = gr.Markdown(elem_id="clone-result")
            sample = tr.make(gr.Audio, label=T("clone.sample"), type="numpy", interactive=False,
                             buttons=["download"], elem_id="clone-sample")
    consent = _build_consent(tr, engine, ui_lang)
    reference.change(shows_errors(reference_check), [reference, ui_lang], check)
    cloned = button.click(_cloner(engine), [reference, name, lang, overwrite, ui_lang], [check, result, sample],
                          concurrency_id="engine")
    # The new voice's owner consents next: its name goes to the consent panel, with a phrase to read.
    cloned.success(lambda n, ui: [n.strip(), *consent_phrase(n, ui)], [name, ui_lang], [consent.voice, consent.phrase])
    return cloned


@dataclass
class _ConsentPanel:
    voice: gr.Textbox
    phrase: gr.Markdown


def _build_consent(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> _ConsentPanel:
    with tr.make(gr.Accordion, label=T("consent.title"), open=True, elem_id="consent-panel"):
        tr.make(gr.Markdown, value=T("consent.help"))
        with gr.Row():
            voice = tr.make(gr.Textbox, label=T("consent.voice"), max_length=64, elem_id="consent-voice", scale=2)
            ask = tr.make(gr.Button, value=T("consent.phrase_button"), elem_id="consent-phrase-button", scale=1)
        phrase = gr.Markdown(elem_id="consent-phrase")
        recording = tr.make(gr.Audio, label=T("consent.recording"), type="filepath",
                            sources=["upload", "microphone"], buttons=[], elem_id="consent-recording")
        check = tr.make(gr.Button, value=T("consent.check"), variant="primary", elem_id="consent-check")
        verdict = gr.Markdown(elem_id="consent-verdict")
    ask.click(shows_errors(lambda n, ui: consent_phrase(n, ui)[0]), [voice, ui_lang], phrase)
    check.click(_consent_checker(engine), [voice, recording, ui_lang], verdict, concurrency_id="engine")
    return _ConsentPanel(voice, phrase)


def consent_phrase(name: str | None, ui_lang: str) -> list[str]:
    """A new phrase for the voice's owner to read, shown in the panel."""
    from vocalis.trust.consent import issue_challenge

    return [t("consent.phrase", ui_lang, phrase=issue_challenge(_consent_voice(name, ui_lang)).phrase)]


def _consent_voice(name: str | None, ui_lang: str) -> Voice:
    """The library voice the panel names, or a message in the interface's language if it names none."""
    from vocalis.voice.library import load_voice

    if not (name or "").strip():
        raise gr.Error(t("consent.need_voice", ui_lang))
    return load_voice(name.strip())


def _consent_checker(engine: Engine):
    @shows_errors
    def check(name: str | None, path: str | None, ui_lang: str, request: gr.Request) -> str:
        from vocalis.trust.consent import record_spoken

        voice = _consent_voice(name, ui_lang)
        if not path:
            raise gr.Error(t("consent.need_recording", ui_lang))
        with engine.turn():  # Whisper and the encoders: one heavy task at a time
            record, result = record_spoken(voice, Audio.load(path), requester(request))
        if record is None:
            return "\n".join([t("consent.refused", ui_lang), *(f"- {p}" for p in result.problems)])
        return t("consent.granted", ui_lang, name=voice.name, words=result.words_matched,
                 similarity=result.similarity, threshold=result.threshold)

    return check


def reference_check(path: str | None, ui_lang: str) -> str:
    """What the clip holds, before any cloning: speech seconds, noise, clipping, and what to improve.
    A clip that cannot be cloned says why here rather than in a pop-up: it is a finding, not a failure."""
    if not path:
        return ""
    try:
        ref = prepare_reference([path])
    except VocalisError as e:
        return f"### {t('clone.check', ui_lang)}\n⚠ {e}"
    return _quality(ref.speech_s, ref.snr_db, ref.clipped_fraction, ref.quality_hints(), ui_lang)


def _quality(speech_s: float, snr_db: float | None, clipped: float | None, hints: list[str], ui_lang: str) -> str:
    snr = "∞" if snr_db is None or not np.isfinite(snr_db) else f"{snr_db:.0f} dB"
    lines = [f"### {t('clone.check', ui_lang)}", f"- {t('clone.speech_s', ui_lang)}: **{speech_s:.1f} s**",
             f"- {t('clone.snr', ui_lang)}: **{snr}**"]
    if clipped is not None:
        lines.append(f"- {t('clone.clipping', ui_lang)}: **{100 * clipped:.3f} %**")
    lines += [f"- ⚠ {hint}" for hint in hints] or [f"- ✓ {t('clone.no_hints', ui_lang)}"]
    return "\n".join(lines)


def _cloner(engine: Engine):
    @shows_errors
    def clone(path: str | None, name: str, lang: str, overwrite: bool, ui_lang: str, request: gr.Request,
              progress: gr.Progress = PROGRESS) -> list[Any]:
        if not path:
            raise gr.Error(t("clone.need_audio", ui_lang))
        name = (name or "").strip()
        if not name:
            raise gr.Error(t("clone.need_name", ui_lang))
        reference = prepare_reference([path])  # refused clips fail here, before the engine is waited for
        said = []

        def report(message: str) -> None:
            said.append(message)
            progress(min(len(said) / CLONE_MESSAGES, 0.99), desc=message)

        with engine.turn() as tts:
            voice = tts.clone([path], name, lang, overwrite=overwrite, progress=report)
            # The preview sentence (all a clone may say before consent) was never fitted on: it measures the clone.
            heard, _ = tts.preview(voice, who=requester(request))
            start = builtin_voices()[voice.meta["start_pack"]]
            start_heard, _ = tts.preview(replace(start, language=voice.language), who=requester(request))
        similarity, start_similarity = _similarities(reference, heard, start_heard)
        meta = voice.meta
        check = _quality(meta["speech_s"], meta.get("snr_db"), reference.clipped_fraction,
                         meta.get("quality_hints", []), ui_lang)
        result = "\n\n".join([
            f"### {t('clone.result', ui_lang)}", t("clone.saved", ui_lang, name=voice.name, seconds=meta["seconds"]),
            t("clone.similarity", ui_lang, clone=similarity, start=start.name, start_sim=start_similarity),
            t("clone.needs_consent", ui_lang, name=voice.name)])
        # 16-bit samples: Gradio would convert float audio itself, with a warning.
        return [check, result, (heard.sample_rate, to_pcm16(heard.samples))]

    return clone


def _similarities(reference: Reference, heard: Audio, start_heard: Audio) -> tuple[float, float]:
    """Cosine of the d-vector of each rendering to the reference's: an encoder the clone was never
    fitted on (cloning optimises GE2E), so the figure is not flattered by the fit."""
    from vocalis.voice.speaker import cosine, dvector_embedding

    truth = dvector_embedding(reference.audio)
    return cosine(dvector_embedding(heard), truth), cosine(dvector_embedding(start_heard), truth)
