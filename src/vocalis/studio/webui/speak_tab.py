"""The Speak tab: text, segment preview, voice, emotion, timing, then speech with subtitles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import gradio as gr
import pandas as pd
from gradio.events import Dependency

from vocalis.emotion import EMOTIONS
from vocalis.errors import VocalisError
from vocalis.service import FileSink, SpeechRequest
from vocalis.service.request import FORMATS, PAUSE_SCALE_RANGE, SEGMENT_PHONEMES, SEGMENT_RANGE, SPEED_RANGE
from vocalis.studio.webui.engine import Engine, requester
from vocalis.studio.webui.feedback import PROGRESS, shows_errors
from vocalis.studio.webui.history import commit_entry, new_entry
from vocalis.studio.webui.i18n import T, Translator, t
from vocalis.studio.webui.settings import AUTO_VOICE, SpeakSettings
from vocalis.studio.webui.voices import voice_choices
from vocalis.subtitles import FORMATS as SUBTITLE_FORMATS
from vocalis.text import segments

LANG_CHOICES = [(T("lang.auto"), "auto"), (T("lang.en"), "en"), (T("lang.zh"), "zh")]
PREVIEW_SEGMENTS = 300  # a preview of a whole book would flood the page: the first ones tell enough
SEGMENT_COLUMNS = ("col.n", "col.lang", "col.text", "col.pause", "col.phonemes")
# Shares of the table's width: the text (and phonemes) take what the short columns leave.
SEGMENT_WIDTHS = {4: ["6%", "10%", "69%", "15%"], 5: ["5%", "8%", "37%", "12%", "38%"]}
AUDIO_FORMATS = [f".{f}" for f in FORMATS if f != "pcm"]  # raw PCM is for programs, not for listening
EXAMPLE = "Hello! This is Vocalis, speaking offline on your own computer. 你好，欢迎使用。"


@dataclass
class SpeakTab:
    """The tab's controls, and how settings go from them and back into them."""

    ui_lang: gr.Radio
    text: gr.Textbox
    lang: gr.Radio
    voice: gr.Dropdown
    method: gr.Radio
    emotion_audio: gr.Audio
    emotion_audio_box: gr.Group
    sliders: list[gr.Slider]
    sliders_box: gr.Group
    emotion_text: gr.Textbox
    weight: gr.Slider
    timing: gr.Radio
    speed: gr.Slider
    duration: gr.Number
    audio_format: gr.Radio
    subtitle_format: gr.Radio
    pause_scale: gr.Slider
    max_phonemes: gr.Slider
    rendered: Dependency | None = None  # the Generate event, for what should follow a successful render

    @property
    def settings_inputs(self) -> set[gr.components.Component]:
        return {self.lang, self.voice, self.method, self.emotion_audio, *self.sliders, self.emotion_text, self.weight,
                self.timing, self.speed, self.duration, self.pause_scale, self.max_phonemes}

    def settings_from(self, values: dict[gr.components.Component, Any]) -> SpeakSettings:
        return SpeakSettings(
            voice=values[self.voice] or AUTO_VOICE, lang=values[self.lang], emotion_method=values[self.method],
            emotion_vector=tuple(float(values[s]) for s in self.sliders),
            emotion_text=(values[self.emotion_text] or "").strip(), emotion_audio=values[self.emotion_audio],
            emotion_weight=float(values[self.weight]), timing=values[self.timing], speed=float(values[self.speed]),
            duration=None if values[self.duration] is None else float(values[self.duration]),
            pause_scale=float(values[self.pause_scale]), max_phonemes=int(values[self.max_phonemes]))

    @property
    def show_outputs(self) -> list[gr.components.Component]:
        """Every control that `show` updates."""
        return [*(self.settings_inputs - {self.emotion_audio}), self.emotion_audio_box, self.sliders_box]

    def show(self, settings: SpeakSettings, ui_lang: str) -> dict[gr.components.Component, Any]:
        """Updates that put `settings` into the controls (a voice no longer there falls back to auto)."""
        names = [name for _, name in voice_choices(ui_lang)]
        voice = settings.voice
        if voice not in names:
            gr.Warning(t("presets.missing_voice", ui_lang, voice=voice))
            voice = AUTO_VOICE
        values = {
            self.lang: settings.lang, self.method: settings.emotion_method, self.emotion_text: settings.emotion_text,
            self.weight: settings.emotion_weight, self.timing: settings.timing, self.speed: settings.speed,
            self.duration: settings.duration, self.pause_scale: settings.pause_scale,
            self.max_phonemes: settings.max_phonemes, **dict(zip(self.sliders, settings.emotion_vector, strict=True)),
        }
        updates = {c: gr.update(value=v) for c, v in values.items()}
        visibility = {**self.emotion_visibility(settings.emotion_method), **self.timing_visibility(settings.timing)}
        for component, shown in visibility.items():
            updates[component] = {**updates.get(component, {}), **shown}
        return {**updates, self.voice: gr.update(value=voice, choices=voice_choices(ui_lang))}

    def emotion_visibility(self, method: str) -> dict[gr.components.Component, Any]:
        return {self.emotion_audio_box: gr.update(visible=method == "audio"),
                self.sliders_box: gr.update(visible=method == "vector"),
                self.emotion_text: gr.update(visible=method == "text"),
                self.weight: gr.update(visible=method != "voice")}

    def timing_visibility(self, timing: str) -> dict[gr.components.Component, Any]:
        return {self.speed: gr.update(visible=timing == "speed"),
                self.duration: gr.update(visible=timing == "duration")}


def build_speak_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> SpeakTab:
    """Lays the tab out inside the current `gr.Tab` and wires its own events."""
    with gr.Row():
        with gr.Column(scale=3):
            text = tr.make(gr.Textbox, label=T("speak.text"), placeholder=T("speak.text.placeholder"), lines=7,
                           max_lines=20, value=EXAMPLE, elem_id="speak-text")
            with gr.Row():
                lang = tr.make(gr.Radio, label=T("speak.lang"), info=T("speak.lang.info"), choices=LANG_CHOICES,
                               value="auto", elem_id="speak-lang")
                voice = tr.make(gr.Dropdown, label=T("speak.voice"), info=T("speak.voice.info"),
                                choices=voice_choices("en"), value=AUTO_VOICE, elem_id="speak-voice")
            with tr.make(gr.Accordion, label=T("speak.segments"), open=False, elem_id="speak-segments"):
                tr.make(gr.Markdown, value=T("speak.segments.help"))
                with gr.Row():
                    preview = tr.make(gr.Button, value=T("speak.segments.button"), size="sm",
                                      elem_id="speak-segments-button")
                    phonemes = tr.make(gr.Checkbox, label=T("speak.segments.phonemes"), value=False)
                table = gr.Dataframe(interactive=False, wrap=True, elem_id="speak-segments-table")
        with gr.Column(scale=2):
            with tr.make(gr.Accordion, label=T("speak.emotion"), open=True):
                method = tr.make(gr.Radio, label=T("speak.emotion.method"), value="voice", elem_id="speak-emotion",
                                 choices=[(T(f"emotion.{m}"), m) for m in ("voice", "audio", "vector", "text")])
                with gr.Group(visible=False) as emotion_audio_box:
                    emotion_audio = tr.make(gr.Audio, label=T("speak.emotion.audio"), type="filepath",
                                            sources=["upload", "microphone"], buttons=[])
                    tr.make(gr.Markdown, value=T("speak.emotion.audio.help"), padding=True)
                with gr.Group(visible=False) as sliders_box, gr.Row():
                    sliders = [tr.make(gr.Slider, label=T(f"emotion.{e}"), minimum=0.0, maximum=1.0, step=0.05,
                                       value=0.0, min_width=170, elem_id=f"speak-emotion-{e}") for e in EMOTIONS]
                emotion_text = tr.make(gr.Textbox, label=T("speak.emotion.text"), visible=False,
                                       placeholder=T("speak.emotion.text.placeholder"), elem_id="speak-emotion-text")
                weight = tr.make(gr.Slider, label=T("speak.emotion.weight"), info=T("speak.emotion.weight.info"),
                                 minimum=0.0, maximum=1.0, step=0.05, value=1.0, visible=False)
            with tr.make(gr.Accordion, label=T("speak.timing"), open=True):
                timing = tr.make(gr.Radio, label=T("speak.timing.mode"), value="free", elem_id="speak-timing",
                                 choices=[(T(f"timing.{m}"), m) for m in ("free", "speed", "duration")])
                speed = tr.make(gr.Slider, label=T("speak.speed"), info=T("speak.speed.info"), minimum=SPEED_RANGE[0],
                                maximum=SPEED_RANGE[1], step=0.05, value=1.0, visible=False)
                duration = tr.make(gr.Number, label=T("speak.duration"), info=T("speak.duration.info"),
                                   value=None, visible=False, elem_id="speak-duration")
            with tr.make(gr.Accordion, label=T("speak.advanced"), open=False):
                pause_scale = tr.make(gr.Slider, label=T("speak.pause_scale"), info=T("speak.pause_scale.info"),
                                      minimum=PAUSE_SCALE_RANGE[0], maximum=PAUSE_SCALE_RANGE[1], step=0.1, value=1.0,
                                      elem_id="speak-pause-scale")
                max_phonemes = tr.make(gr.Slider, label=T("speak.max_phonemes"), info=T("speak.max_phonemes.info"),
                                       minimum=SEGMENT_RANGE[0], maximum=SEGMENT_RANGE[1], step=1,
                                       value=SEGMENT_PHONEMES, elem_id="speak-max-phonemes")
                audio_format = tr.make(gr.Radio, label=T("speak.format"), choices=list(AUDIO_FORMATS), value=".wav")
                subtitle_format = tr.make(gr.Radio, label=T("speak.subtitles"), choices=list(SUBTITLE_FORMATS),
                                          value=".srt")
                tr.make(gr.Markdown, value=T("speak.advanced.help"))
    generate = tr.make(gr.Button, value=T("speak.generate"), variant="primary", size="lg", elem_id="speak-generate")
    with gr.Row():
        output = tr.make(gr.Audio, label=T("speak.output"), type="filepath", interactive=False,
                         buttons=["download"], elem_id="speak-output")
        files = tr.make(gr.File, label=T("speak.files"), file_count="multiple", interactive=False,
                        height=140, elem_id="speak-files")
    status = gr.Markdown(elem_id="speak-status")
    tab = SpeakTab(ui_lang, text, lang, voice, method, emotion_audio, emotion_audio_box, sliders, sliders_box,
                   emotion_text, weight, timing, speed, duration, audio_format, subtitle_format, pause_scale,
                   max_phonemes)

    method.change(lambda m: tab.emotion_visibility(m), method,
                  [emotion_audio_box, sliders_box, emotion_text, weight], show_progress="hidden")
    timing.change(lambda m: tab.timing_visibility(m), timing, [speed, duration], show_progress="hidden")
    # The natural length goes in only if the field is still empty when it arrives (the browser decides): a value
    # the user typed meanwhile stays.
    natural = gr.Number(None, visible=False)  # a component, not a State: the browser must see its value
    timing.change(_natural_length(engine), [timing, duration, text, lang, voice], natural, show_progress="hidden") \
        .then(None, [natural, duration], duration, js="(n, d) => (d || n === null ? d : n)")
    preview.click(shows_errors(segment_table), [text, lang, phonemes, ui_lang, max_phonemes], table)
    phonemes.change(shows_errors(segment_table), [text, lang, phonemes, ui_lang, max_phonemes], table,
                    show_progress="hidden")
    ui_lang.change(retitled, [table, ui_lang], table, show_progress="hidden")
    tab.rendered = generate.click(_speaker(tab, engine), {text, ui_lang, audio_format, subtitle_format,
                                                          *tab.settings_inputs},
                                  [output, files, status], concurrency_id="engine")
    return tab


def segment_table(text: str, lang: str, show_phonemes: bool, ui_lang: str,
                  max_phonemes: int = SEGMENT_PHONEMES) -> dict[str, Any]:
    """How `text` will be split: one row per segment (its language, text and the pause after it)."""
    columns = [t(k, ui_lang) for k in SEGMENT_COLUMNS[:5 if show_phonemes else 4]]
    rows = []
    if (text or "").strip():
        rows = [(k, s.lang, s.text, round(s.pause_after, 2), *([s.phonemes] if show_phonemes else []))
                for k, s in enumerate(islice(segments(text, lang=lang, max_phonemes=int(max_phonemes)),
                                             PREVIEW_SEGMENTS), 1)]
    return gr.update(value=pd.DataFrame(rows, columns=columns), column_widths=SEGMENT_WIDTHS[len(columns)])


def retitled(table: pd.DataFrame | None, ui_lang: str) -> pd.DataFrame | None:
    """The segment table as it is, its column titles in `ui_lang` (no new segmentation on a switch)."""
    if table is None or len(table.columns) not in SEGMENT_WIDTHS:
        return table
    return table.set_axis([t(k, ui_lang) for k in SEGMENT_COLUMNS[:len(table.columns)]], axis=1)


def _speaker(tab: SpeakTab, engine: Engine):
    """The Generate handler: renders segment by segment with a progress bar, writing straight to the
    history's audio file (memory stays flat however long the text), then the subtitles."""

    @shows_errors
    def speak(values: dict[gr.components.Component, Any], request: gr.Request,
              progress: gr.Progress = PROGRESS) -> list[Any]:
        ui_lang, text = values[tab.ui_lang], values[tab.text]
        settings = tab.settings_from(values)
        _check_complete(settings, ui_lang)
        emotion = settings.emotion()
        audio_format = values[tab.audio_format]
        speech = settings.request(text, emotion, audio_format.lstrip("."))
        with engine.turn() as tts:
            started = time.perf_counter()
            tts.check(speech)  # the request checked before a file is made
            entry_id, path = new_entry(audio_format)
            progress((0, len(text)), desc=t("speak.progress", ui_lang), unit="characters")
            result = tts.render(speech, FileSink(path), who=requester(request), progress=lambda p: progress(
                (p.chars_done, p.chars_total), desc=t("speak.progress", ui_lang), unit="characters"))
            took = time.perf_counter() - started
        seconds, cues = result.seconds, result.cues
        entry = commit_entry(entry_id, text, settings.portable(emotion), path, seconds, cues,
                             values[tab.subtitle_format], took)
        files = [entry.audio] + ([entry.subtitles] if entry.subtitles else [])
        return [str(entry.audio), [str(f) for f in files],
                t("speak.done", ui_lang, seconds=seconds, segments=len(cues), took=took)]

    return speak


def _natural_length(engine: Engine) -> Callable[[str, float | None, str, str, str], float | None]:
    """Exact length, once chosen with no value yet, starts at the text's natural length (not at an invalid 0);
    None when there is nothing to fill in."""

    def fill(timing: str, seconds: float | None, text: str, lang: str, voice: str) -> Any:
        if timing != "duration" or seconds or not (text or "").strip():
            return None
        try:
            with engine.turn() as tts:
                return round(tts.natural_seconds(SpeechRequest(text, voice=voice or AUTO_VOICE, lang=lang)), 1)
        except VocalisError:  # an unreadable text or a missing voice: left for the render to explain
            return None

    return fill


def _check_complete(settings: SpeakSettings, ui_lang: str) -> None:
    """Inputs the chosen mode needs but the user left empty: said in the interface's language."""
    if settings.emotion_method == "audio" and not settings.emotion_audio:
        raise gr.Error(t("speak.no_emotion_clip", ui_lang))
    if settings.emotion_method == "text" and not settings.emotion_text:
        raise gr.Error(t("speak.no_emotion_text", ui_lang))
    if settings.timing == "duration" and (settings.duration is None or settings.duration <= 0):
        raise gr.Error(t("speak.no_duration", ui_lang))
