"""The Dub tab: a video and its new lines in, a dubbed video out. The emotions found in the original are shown
per cue before anything renders, each editable, and the dub runs with progress and can be cancelled."""

from __future__ import annotations

import secrets
import threading
from typing import Any

import gradio as gr
import pandas as pd

from vocalis.service.vocalis import Vocalis
from vocalis.studio.webui.engine import Engine, requester
from vocalis.studio.webui.feedback import PROGRESS, canceller, shows_errors
from vocalis.studio.webui.history import history_dir
from vocalis.studio.webui.i18n import T, Translator, t
from vocalis.studio.webui.settings import AUTO_VOICE
from vocalis.studio.webui.voices import voice_choices

COLUMNS = ("dub.col.cue", "dub.col.time", "dub.col.text", "dub.col.found", "dub.col.override", "dub.col.check")
OVERRIDE = 4  # the editable column


def build_dub_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> gr.Dropdown:
    """Lays the tab out inside the current `gr.Tab`; returns its voice picker (refreshed with the library)."""
    tr.make(gr.Markdown, value=T("dub.intro"))
    with gr.Row():
        with gr.Column():
            video = tr.make(gr.File, label=T("dub.video"), file_types=["video", "audio"], type="filepath",
                            elem_id="dub-video")
            subs = tr.make(gr.File, label=T("dub.subs"), file_types=[".srt", ".vtt"], type="filepath",
                           elem_id="dub-subs")
            voice = tr.make(gr.Dropdown, label=T("dub.voice"), choices=voice_choices("en"), value=AUTO_VOICE,
                            elem_id="dub-voice")
            source = tr.make(gr.Radio, label=T("dub.emotion_from"), value="original", elem_id="dub-emotion-from",
                             choices=[(T("dub.from.original"), "original"), (T("dub.from.none"), "none")])
            weight = tr.make(gr.Slider, label=T("dub.weight"), minimum=0, maximum=1, step=0.05, value=1.0,
                             elem_id="dub-weight")
            keep = tr.make(gr.Checkbox, label=T("dub.keep"), value=False, elem_id="dub-keep")
            with gr.Row():
                read = tr.make(gr.Button, value=T("dub.read"), elem_id="dub-read")
                button = tr.make(gr.Button, value=T("dub.button"), variant="primary", elem_id="dub-button")
                cancel = tr.make(gr.Button, value=T("dub.cancel"), variant="stop", elem_id="dub-cancel")
        with gr.Column():
            table = tr.make(gr.Dataframe, label=T("dub.cues"), interactive=True, wrap=True, elem_id="dub-cues",
                            headers=[t(k) for k in COLUMNS])
            summary = gr.Markdown(elem_id="dub-summary")
            result = tr.make(gr.Video, label=T("dub.result"), interactive=False, elem_id="dub-result")
            download = tr.make(gr.File, label=T("dub.file"), interactive=False, elem_id="dub-file")
    stops: dict[str, threading.Event] = {}  # browser session -> its dub's cancel flag
    read.click(_reader(), [video, subs, source, weight, ui_lang], table, concurrency_id="engine")
    button.click(_dubber(engine, stops), [video, subs, voice, source, weight, keep, table, ui_lang],
                 [table, summary, result, download], concurrency_id="dub")
    cancel.click(canceller(stops, "dub.cancelling"), ui_lang, None)
    return voice


def _options(voice: str, source: str, weight: float, keep: bool, overrides: dict[int, str] | None = None) -> Any:
    from vocalis.service.video_dub import DubOptions

    return DubOptions(voice=None if voice in (None, "", AUTO_VOICE) else voice, emotion_from=source,
                      emotion_weight=float(weight), keep_original_audio=bool(keep), overrides=overrides)


def _reader():
    @shows_errors
    def read(video: str | None, subs: str | None, source: str, weight: float, ui_lang: str,
             progress: gr.Progress = PROGRESS) -> pd.DataFrame:
        if not video or not subs:
            raise gr.Error(t("dub.need_inputs", ui_lang))
        found = Vocalis.dub_emotions(video, subs, _options(AUTO_VOICE, source, weight, False),
                                     lambda p: progress(p.done / max(p.total, 1), desc=t(f"dub.stage.{p.stage}",
                                                                                      ui_lang)))
        rows = [(c.index + 1, f"{c.start:.2f}-{c.end:.2f}", c.text, c.original.text() if c.original else "",
                 c.override or "", "") for c in found]
        return pd.DataFrame(rows, columns=[t(k, ui_lang) for k in COLUMNS])

    return read


def _dubber(engine: Engine, stops: dict[str, threading.Event]):
    @shows_errors
    def dub(video: str | None, subs: str | None, voice: str, source: str, weight: float, keep: bool,
            table: pd.DataFrame | None, ui_lang: str, request: gr.Request,
            progress: gr.Progress = PROGRESS) -> list[Any]:
        from vocalis.service.video_dub import DubCancelled, dubbed_path

        if not video or not subs:
            raise gr.Error(t("dub.need_inputs", ui_lang))
        folder = history_dir() / "dubs"  # the one folder the web UI serves files from (see app.launch)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{secrets.token_hex(4)}-{dubbed_path(video).name}"
        stop = stops[request.session_hash or "?"] = threading.Event()
        options = _options(voice, source, weight, keep, _overrides(table))
        try:
            done = engine.beside().dub_video(
                video, subs, out, options, cancel=stop.is_set, who=requester(request),
                progress=lambda p: progress(p.done / max(p.total, 1), desc=t(f"dub.stage.{p.stage}", ui_lang)))
        except DubCancelled:
            return [table, t("dub.cancelled", ui_lang), None, None]
        finally:
            stops.pop(request.session_hash or "?", None)
        rows = [(c.index + 1, f"{c.start:.2f}-{c.end:.2f}", c.text, c.original.text() if c.original else "",
                 _spec_of(table, c.index), c.check()) for c in done.cues]
        checked = [c for c in done.cues if c.agrees is not None]
        note = t("dub.done", ui_lang, n=len(done.cues), agreed=sum(c.agrees for c in checked), checked=len(checked))
        return [pd.DataFrame(rows, columns=[t(k, ui_lang) for k in COLUMNS]), note, str(done.path), str(done.path)]

    return dub


def _overrides(table: pd.DataFrame | None) -> dict[int, str] | None:
    """The override column's non-empty cells, by cue index (from 0)."""
    if table is None or table.empty:
        return None
    found = {int(row.iloc[0]) - 1: str(row.iloc[OVERRIDE]).strip() for _, row in table.iterrows()
             if str(row.iloc[OVERRIDE] or "").strip() not in ("", "nan")}
    return found or None


def _spec_of(table: pd.DataFrame | None, index: int) -> str:
    return (_overrides(table) or {}).get(index, "")
