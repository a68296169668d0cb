"""The History tab: every past synthesis with its parameters, to replay, download, reuse or delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from vocalis.studio.webui.feedback import shows_errors
from vocalis.studio.webui.history import Entry, delete_entry, entries, get_entry
from vocalis.studio.webui.i18n import T, Translator, t
from vocalis.studio.webui.speak_tab import SpeakTab


@dataclass
class HistoryTab:
    table: gr.Dataframe
    entry: gr.Dropdown

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.table, self.entry]

    @staticmethod
    def refresh(ui_lang: str, selected: str | None = None) -> list[Any]:
        """The list as it is on disk now; the selection stays if its entry does."""
        found = entries()
        choices = [(e.label(), e.id) for e in found]
        keep = selected if any(e.id == selected for e in found) else None
        return [history_table(ui_lang, found), gr.update(choices=choices, value=keep)]


def build_history_tab(tr: Translator, ui_lang: gr.Radio, speak: SpeakTab, tabs: gr.Tabs) -> HistoryTab:
    table = tr.make(gr.Dataframe, label=T("history.entries"), value=history_table("en"), interactive=False,
                    wrap=True, max_height=320, elem_id="history-table")
    with gr.Row():
        entry = tr.make(gr.Dropdown, label=T("history.pick"), choices=[], value=None, scale=3,
                        elem_id="history-entry")
        reuse = tr.make(gr.Button, value=T("history.reuse"), scale=1, elem_id="history-reuse")
        delete = tr.make(gr.Button, value=T("history.delete"), variant="stop", scale=1, elem_id="history-delete")
    with gr.Row():
        audio = tr.make(gr.Audio, label=T("history.audio"), type="filepath", interactive=False,
                        buttons=["download"], elem_id="history-audio")
        files = tr.make(gr.File, label=T("history.files"), file_count="multiple", interactive=False)
    details = tr.make(gr.JSON, label=T("history.details"), elem_id="history-details")
    history = HistoryTab(table, entry)

    @shows_errors
    def show_entry(entry_id: str | None) -> list[Any]:
        if not entry_id:
            return [None, None, None]
        found = get_entry(entry_id)
        paths = [str(p) for p in (found.audio, found.subtitles) if p is not None]
        settings = found.settings
        record = {"text": found.text, "voice": settings.voice, "lang": settings.lang,
                  "emotion": settings.emotion_summary(), "timing": settings.timing_summary(),
                  "seconds": found.seconds, "render_s": found.render_s}
        return [str(found.audio), paths, record]

    @shows_errors
    def reuse_entry(entry_id: str | None, lang: str) -> dict[gr.components.Component, Any]:
        if not entry_id:
            raise gr.Error(t("history.need_pick", lang))
        found = get_entry(entry_id)
        return {**speak.show(found.settings, lang), speak.text: found.text, tabs: gr.Tabs(selected="speak")}

    @shows_errors
    def delete_selected(entry_id: str | None, lang: str) -> list[Any]:
        if not entry_id:
            raise gr.Error(t("history.need_pick", lang))
        delete_entry(entry_id)
        gr.Info(t("history.deleted", lang))
        return history.refresh(lang)

    entry.change(show_entry, entry, [audio, files, details])
    reuse.click(reuse_entry, [entry, ui_lang], [*speak.show_outputs, speak.text, tabs])
    delete.click(delete_selected, [entry, ui_lang], history.outputs)
    return history


def history_table(ui_lang: str, found: list[Entry] | None = None) -> pd.DataFrame:
    """`found`: the entries, when the caller has read them already (else they are read here)."""
    rows = [(f"{e.created:%Y-%m-%d %H:%M}", " ".join(e.text.split())[:80], e.settings.voice, e.settings.lang,
             e.settings.emotion_summary(), e.settings.timing_summary(), round(e.seconds, 2))
            for e in (entries() if found is None else found)]
    keys = ("col.when", "col.text", "col.voice", "col.lang", "col.emotion", "col.timing", "col.seconds")
    return pd.DataFrame(rows, columns=[t(k, ui_lang) for k in keys])
