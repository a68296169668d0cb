"""The web UI: seven tabs around one engine, in English or Chinese, with nothing fetched from outside
the machine (no analytics, no share link, no web fonts)."""

from __future__ import annotations

import gradio as gr

from vocalis.errors import VocalisError
from vocalis.service import Vocalis
from vocalis.studio.webui.clone_tab import build_clone_tab
from vocalis.studio.webui.dub_tab import build_dub_tab
from vocalis.studio.webui.engine import Engine
from vocalis.studio.webui.history import history_dir
from vocalis.studio.webui.history_tab import build_history_tab
from vocalis.studio.webui.i18n import LANGUAGES, T, Translator
from vocalis.studio.webui.library_tab import build_library_tab
from vocalis.studio.webui.market_tab import build_market_tab
from vocalis.studio.webui.speak_tab import build_speak_tab
from vocalis.studio.webui.train_tab import build_train_tab
from vocalis.studio.webui.voices import voice_choices
from vocalis.voice.library import library_voices

# System fonts only: Gradio's default theme would load web fonts.
THEME = gr.themes.Default(primary_hue="indigo", font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])
CSS = """
.gradio-container { width: 100% !important; max-width: 1280px !important; margin: auto; }
"""
# The browser's language picks the interface's on the first visit; the switch changes it after.
BROWSER_LANGUAGE = "() => (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en'"


def create_ui(tts: Vocalis | None = None, warm: bool = False) -> gr.Blocks:
    """The interface around `tts` (a new engine, its models loaded on first use, when None); `warm` loads
    them in the background now."""
    engine = Engine(tts)
    if warm:
        engine.warm()
    tr = Translator()
    # Gradio serves copies of the files it shows from its own cache: those older than a day go, hourly
    # (the originals stay in the history and the library).
    with gr.Blocks(title="Vocalis", analytics_enabled=False, delete_cache=(3600, 86400)) as ui:
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                tr.make(gr.Markdown, value=T("app.title"))
            with gr.Column(scale=1, min_width=220):
                ui_lang = tr.make(gr.Radio, label=T("app.language"), value="en", elem_id="ui-language",
                                  choices=[(v, k) for k, v in LANGUAGES.items()])
        with gr.Tabs(elem_id="tabs") as tabs:
            with tr.make(gr.Tab, label=T("tab.speak"), id="speak", elem_id="tab-speak"):
                speak = build_speak_tab(tr, engine, ui_lang)
            with tr.make(gr.Tab, label=T("tab.clone"), id="clone", elem_id="tab-clone"):
                cloned = build_clone_tab(tr, engine, ui_lang)
            with tr.make(gr.Tab, label=T("tab.train"), id="train", elem_id="tab-train") as train_tab:
                train = build_train_tab(tr, engine, ui_lang)
            with tr.make(gr.Tab, label=T("tab.dub"), id="dub", elem_id="tab-dub") as dub_tab:
                dub_voice = build_dub_tab(tr, engine, ui_lang)
            with tr.make(gr.Tab, label=T("tab.market"), id="market", elem_id="tab-market") as market_tab:
                market_voice = build_market_tab(tr, engine, ui_lang)
            with tr.make(gr.Tab, label=T("tab.library"), id="library", elem_id="tab-library"):
                library = build_library_tab(tr, engine, ui_lang, speak, tabs)
            with tr.make(gr.Tab, label=T("tab.history"), id="history", elem_id="tab-history"):
                history = build_history_tab(tr, ui_lang, speak, tabs)

        voice_state = [ui_lang, library.voice, speak.voice]
        speak.rendered.success(history.refresh, [ui_lang, history.entry], history.outputs, show_progress="hidden")
        start_state = [ui_lang, train.start]
        cloned.success(library.refresh_voices, voice_state, library.voice_outputs, show_progress="hidden") \
            .then(train.refresh_starts, start_state, train.start, show_progress="hidden")
        train.trained.success(library.refresh_voices, voice_state, library.voice_outputs, show_progress="hidden") \
            .then(train.refresh_starts, start_state, train.start, show_progress="hidden")  # a clone trained in place
        # The Library may have renamed, deleted or imported clones since: the start list as it is now.
        train_tab.select(train.refresh_starts, start_state, train.start, show_progress="hidden")
        dub_tab.select(lambda lang, v: gr.update(choices=voice_choices(lang), value=v), [ui_lang, dub_voice], dub_voice,
                       show_progress="hidden")
        market_tab.select(lambda v: gr.update(choices=[x.name for x in library_voices()], value=v), market_voice,
                          market_voice, show_progress="hidden")
        ui_lang.change(tr.updates, ui_lang, tr.components, show_progress="hidden") \
            .then(library.refresh_voices, voice_state, library.voice_outputs, show_progress="hidden") \
            .then(train.refresh_starts, start_state, train.start, show_progress="hidden") \
            .then(history.refresh, [ui_lang, history.entry], history.outputs, show_progress="hidden")
        # Lists as they are now (the page may be opened long after it was built), and the browser's language.
        ui.load(library.refresh_voices, voice_state, library.voice_outputs, show_progress="hidden") \
            .then(train.refresh_starts, start_state, train.start, show_progress="hidden") \
            .then(history.refresh, [ui_lang, history.entry], history.outputs, show_progress="hidden") \
            .then(None, None, ui_lang, js=BROWSER_LANGUAGE)
    return ui


def launch(tts: Vocalis | None = None, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> gr.Blocks:
    """Serve the interface on http://host:port; with `block` False, return once it is up (it then runs
    in a background thread until `close()`)."""
    ui = create_ui(tts, warm=True)
    # One run of each event at a time; renders and clones share one slot (concurrency_id="engine"), so
    # a waiting user sees their place in the queue rather than a stalled progress bar. Training has a slot
    # of its own ("train"): one at a time, beside the renders (see Engine.beside).
    ui.queue(default_concurrency_limit=1)
    try:  # files served: the history's audio only (the data home also holds keys, audit log, consent evidence)
        ui.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block, theme=THEME,
                  css=CSS, ssr_mode=False, footer_links=["api", "settings"], allowed_paths=[str(history_dir())],
                  quiet=True, max_file_size="100mb", enable_monitoring=False, mcp_server=False, pwa=False)
    except OSError:  # Gradio's way of saying the port is taken or the address is not this machine's
        raise VocalisError(f"cannot serve on {host}:{port}: the port is in use or the address is not "
                           "available here (try another --port)") from None
    return ui
