"""The Library tab: every voice listed and previewed; cloned and trained ones renamed, deleted, exported
and imported as voice files (`.npz`, `.safetensors`); and presets of the Speak tab's settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr

from vocalis.studio.webui.engine import Engine, requester
from vocalis.studio.webui.feedback import shows_errors
from vocalis.studio.webui.i18n import STRINGS, T, Translator, t
from vocalis.studio.webui.presets import delete_preset, load_preset, presets, save_preset
from vocalis.studio.webui.settings import AUTO_VOICE
from vocalis.studio.webui.speak_tab import SpeakTab
from vocalis.studio.webui.voices import auto_choice, voice_choices, voice_table
from vocalis.voice import builtin_voices, resolve_voice
from vocalis.voice.library import delete_voice, import_voice, rename_voice, voice_path

PREVIEW_TEXT = {"en": "Hello! This is how I sound when I read to you.", "zh": "你好，这是我为你朗读时的声音。"}


@dataclass
class LibraryTab:
    table: gr.Dataframe
    voice: gr.Dropdown
    speak_voice: gr.Dropdown

    @property
    def voice_outputs(self) -> list[gr.components.Component]:
        return [self.table, self.voice, self.speak_voice]

    @staticmethod
    def refresh_voices(ui_lang: str, selected: str | None = None, speak_selected: str | None = None) -> list[Any]:
        """Fresh voice lists for this tab and the Speak tab's picker, keeping what is selected if it exists."""
        choices = voice_choices(ui_lang, auto=False)  # each listing loads every library voice: once here
        names = [name for _, name in choices]
        keep = selected if selected in names else None
        speak_keep = speak_selected if speak_selected in names else AUTO_VOICE
        return [voice_table(ui_lang), gr.update(choices=choices, value=keep),
                gr.update(choices=[auto_choice(ui_lang), *choices], value=speak_keep)]


@dataclass
class _VoiceControls:
    """The tab's widgets for one selected voice: previewing it, managing it and importing voice files."""

    voice: gr.Dropdown
    preview_text: gr.Textbox
    preview: gr.Button
    preview_audio: gr.Audio
    new_name: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    export: gr.Button
    revoke: gr.Button
    exported: gr.File
    upload: gr.File
    import_name: gr.Textbox
    import_button: gr.Button


def build_library_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio, speak: SpeakTab, tabs: gr.Tabs) -> LibraryTab:
    table = tr.make(gr.Dataframe, label=T("library.voices"), value=voice_table("en"), interactive=False, wrap=True,
                    elem_id="library-table")
    controls = _build_voice_controls(tr)
    library = LibraryTab(table, controls.voice, speak.voice)
    _build_presets(tr, ui_lang, speak, tabs)
    _wire_preview(engine, controls, ui_lang)
    _wire_voice_management(library, controls, ui_lang, speak)
    return library


def _build_voice_controls(tr: Translator) -> _VoiceControls:
    with gr.Row():
        voice = tr.make(gr.Dropdown, label=T("library.voice"), choices=voice_choices("en", auto=False), value=None,
                        elem_id="library-voice", scale=2)
        preview_text = tr.make(gr.Textbox, label=T("library.preview_text"),
                               placeholder=T("library.preview_text.placeholder"), scale=3,
                               elem_id="library-preview-text")
        preview = tr.make(gr.Button, value=T("library.preview"), elem_id="library-preview", scale=1)
    preview_audio = tr.make(gr.Audio, label=T("library.preview_audio"), type="numpy", interactive=False,
                            buttons=["download"], elem_id="library-preview-audio")
    with gr.Row():
        new_name = tr.make(gr.Textbox, label=T("library.new_name"), elem_id="library-new-name", scale=2)
        rename = tr.make(gr.Button, value=T("library.rename"), elem_id="library-rename", scale=1)
        delete = tr.make(gr.Button, value=T("library.delete"), variant="stop", elem_id="library-delete", scale=1)
        export = tr.make(gr.Button, value=T("library.export"), elem_id="library-export", scale=1)
        revoke = tr.make(gr.Button, value=T("library.revoke"), variant="stop", elem_id="library-revoke", scale=1)
    exported = tr.make(gr.File, label=T("library.export_file"), interactive=False, visible=False,
                       elem_id="library-export-file")
    with tr.make(gr.Accordion, label=T("library.import"), open=False), gr.Row():
        upload = gr.File(file_types=[".npz", ".safetensors"], show_label=False, elem_id="library-import-file", scale=2)
        import_name = tr.make(gr.Textbox, label=T("library.import_name"), scale=2)
        import_button = tr.make(gr.Button, value=T("library.import_button"), scale=1)
    return _VoiceControls(voice, preview_text, preview, preview_audio, new_name, rename, delete, export, revoke,
                          exported, upload, import_name, import_button)


def _wire_preview(engine: Engine, c: _VoiceControls, ui_lang: gr.Radio) -> None:
    @shows_errors
    def preview_voice(name: str | None, text: str, lang: str, request: gr.Request) -> tuple[int, Any]:
        _need_voice(name, lang)
        chosen = resolve_voice(name)
        with engine.turn() as tts:  # a clone without consent is refused here, saying how to add it
            audio = tts.synthesize((text or "").strip() or PREVIEW_TEXT[chosen.language], voice=chosen,
                                   who=requester(request))
        return audio.sample_rate, audio.samples

    c.preview.click(preview_voice, [c.voice, c.preview_text, ui_lang], c.preview_audio, concurrency_id="engine")


def _wire_voice_management(library: LibraryTab, c: _VoiceControls, ui_lang: gr.Radio, speak: SpeakTab) -> None:
    """Rename, delete, export, revoke consent and import; each refreshes both tabs' voice lists."""

    @shows_errors
    def revoke_selected(lang: str, name: str | None, speak_voice: str | None, request: gr.Request) -> list[Any]:
        from vocalis.service.market import revoke_consent

        if name is None:  # the confirmation was declined
            return library.refresh_voices(lang, None, speak_voice)
        _need_cloned(name, lang)
        revoke_consent(resolve_voice(name), requester(request))
        gr.Info(t("library.revoked", lang, name=name))
        return library.refresh_voices(lang, name, speak_voice)

    @shows_errors
    def rename_selected(lang: str, name: str | None, speak_voice: str | None, new: str) -> list[Any]:
        _need_cloned(name, lang)
        rename_voice(name, (new or "").strip())
        gr.Info(t("library.renamed", lang, old=name, new=new.strip()))
        return [*library.refresh_voices(lang, new.strip(), new.strip() if speak_voice == name else speak_voice), ""]

    @shows_errors
    def delete_selected(lang: str, name: str | None, speak_voice: str | None) -> list[Any]:
        if name is None:  # the confirmation was declined
            return library.refresh_voices(lang, None, speak_voice)
        _need_cloned(name, lang)
        delete_voice(name)
        gr.Info(t("library.deleted", lang, name=name))
        return library.refresh_voices(lang, None, speak_voice)

    @shows_errors
    def export_selected(name: str | None, lang: str) -> dict[str, Any]:
        _need_cloned(name, lang)
        return gr.update(value=str(voice_path(name)), visible=True)

    @shows_errors
    def import_file(path: str | None, name: str, lang: str, speak_voice: str | None) -> list[Any]:
        if not path:
            raise gr.Error(t("library.need_file", lang))
        imported = import_voice(path, (name or "").strip() or None)
        gr.Info(t("library.imported", lang, name=imported.name))
        return library.refresh_voices(lang, imported.name, speak_voice)

    voice_state = [ui_lang, c.voice, speak.voice]
    c.rename.click(rename_selected, [*voice_state, c.new_name], [*library.voice_outputs, c.new_name])
    c.delete.click(delete_selected, voice_state, library.voice_outputs, js=_confirming("library.delete_confirm"))
    c.export.click(export_selected, [c.voice, ui_lang], c.exported)
    c.revoke.click(revoke_selected, voice_state, library.voice_outputs, js=_confirming("library.revoke_confirm"))
    c.import_button.click(import_file, [c.upload, c.import_name, ui_lang, speak.voice], library.voice_outputs)


def _confirming(key: str) -> str:
    """Browser code that asks the `key` question in the UI language and passes the voice on only if confirmed
    (null otherwise, which the handler reads as declined): a deletion or revocation cannot be undone."""
    question = json.dumps(dict(zip(("en", "zh"), STRINGS[key], strict=True)), ensure_ascii=False)
    return f"(lang, name, speak) => [lang, name && confirm({question}[lang]) ? name : null, speak]"


def _build_presets(tr: Translator, ui_lang: gr.Radio, speak: SpeakTab, tabs: gr.Tabs) -> None:
    with tr.make(gr.Accordion, label=T("presets"), open=True):
        tr.make(gr.Markdown, value=T("presets.help"))
        with gr.Row():
            chosen = tr.make(gr.Dropdown, label=T("presets.pick"), choices=list(presets()), value=None,
                             elem_id="preset-pick", scale=2)
            apply = tr.make(gr.Button, value=T("presets.apply"), variant="primary", elem_id="preset-apply", scale=1)
            remove = tr.make(gr.Button, value=T("presets.delete"), elem_id="preset-delete", scale=1)
        with gr.Row():
            name = tr.make(gr.Textbox, label=T("presets.name"), elem_id="preset-name", scale=2)
            save = tr.make(gr.Button, value=T("presets.save"), elem_id="preset-save", scale=2)

    @shows_errors
    def save_current(values: dict[gr.components.Component, Any]) -> dict[gr.components.Component, Any]:
        lang = values[ui_lang]
        saved = save_preset(values[name], speak.settings_from(values))
        gr.Info(t("presets.saved", lang, name=saved))
        return {chosen: gr.update(choices=list(presets()), value=saved), name: ""}

    @shows_errors
    def apply_chosen(preset: str | None, lang: str) -> dict[gr.components.Component, Any]:
        if not preset:
            raise gr.Error(t("presets.need_pick", lang))
        return {**speak.show(load_preset(preset), lang), tabs: gr.Tabs(selected="speak")}

    @shows_errors
    def delete_chosen(preset: str | None, lang: str) -> dict[str, Any]:
        if not preset:
            raise gr.Error(t("presets.need_pick", lang))
        delete_preset(preset)
        gr.Info(t("presets.deleted", lang, name=preset))
        return gr.update(choices=list(presets()), value=None)

    save.click(save_current, {ui_lang, name, *speak.settings_inputs}, [chosen, name])
    apply.click(apply_chosen, [chosen, ui_lang], [*speak.show_outputs, tabs])
    remove.click(delete_chosen, [chosen, ui_lang], chosen)


def _need_voice(name: str | None, lang: str) -> None:
    if not name:
        raise gr.Error(t("library.pick", lang))


def _need_cloned(name: str | None, lang: str) -> None:
    _need_voice(name, lang)
    if name in builtin_voices():
        raise gr.Error(t("library.builtin_readonly", lang, name=name))
