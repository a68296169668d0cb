"""The one engine of the web UI process, shared by every tab and browser session. Its models load on
first use; renders and clones take turns, as two at once would only halve each one's speed on a small
CPU and double the memory. Training is the exception: minutes long, it runs beside the turns (see
`Engine.beside`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr

from vocalis.service import Vocalis
from vocalis.service.lock import EngineLock

log = logging.getLogger("vocalis.webui")


def requester(request: gr.Request | None) -> str:
    """Who asks, for the audit log: the web UI and the browser's address."""
    host = getattr(getattr(request, "client", None), "host", None)
    return f"webui:{host or '?'}"


class Engine:
    def __init__(self, tts: Vocalis | None = None):
        self._tts = tts
        self._lock = EngineLock()  # the service's one engine lock, as the API server uses it

    @contextmanager
    def turn(self) -> Iterator[Vocalis]:
        """The engine, held by this caller alone until the block ends."""
        with self._lock:
            if self._tts is None:
                self._tts = Vocalis()  # cheap: the models themselves load on the first render
            yield self._tts

    def warm(self) -> None:
        """Load and run the models in a background thread, taking its turn after any render already waiting,
        so the page is served at once and the first render does not wait for a model to load."""

        def run() -> None:
            try:
                with self._lock.background():
                    if self._tts is None:
                        self._tts = Vocalis()
                    self._tts.warm()
            except Exception:  # the first render then loads what it needs, and reports any cause itself
                log.exception("warming the models failed")

        threading.Thread(target=run, name="vocalis-warm", daemon=True).start()

    def beside(self) -> Vocalis:
        """The engine without taking a turn, for training: a turn held for its 1-30 minutes would stop
        every render meanwhile. Training only reads the shared models (it adapts a copy of the decoder),
        as the HTTP server's training jobs do; renders are slower while it runs, not blocked."""
        if self._tts is None:
            with self.turn():  # made once, by whichever caller comes first
                pass
        return self._tts
