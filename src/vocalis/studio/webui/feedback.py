"""Errors a user can act on become Gradio's error pop-up with the product's one-line message, never a
traceback in the page."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import gradio as gr

from vocalis.errors import VocalisError

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("vocalis.studio.webui")
# A handler parameter defaulting to a Progress gets the live progress bar of its event (Gradio's
# convention); the instance itself holds no state between calls.
PROGRESS = gr.Progress()


def shows_errors(handler: Callable[P, R]) -> Callable[P, R]:
    """Wraps an event handler: a VocalisError is shown to the user as it is; anything else is logged
    with its traceback on the server and shown as a short message."""

    @functools.wraps(handler)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        except gr.Error as e:  # the handler's own message for missing input: no traceback in the log
            e.print_exception = False
            raise
        except VocalisError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:
            log.exception("web UI handler %s failed", handler.__name__)
            raise gr.Error(f"unexpected error ({type(e).__name__}): see the server log") from None

    return wrapped


def canceller(stops: dict[str, threading.Event], message: str) -> Callable[[str, gr.Request], None]:
    """The Cancel button of a long run (training, a dub): sets the flag of the browser session's run, which it
    reads between steps, and says `message` (an i18n key)."""
    from vocalis.studio.webui.i18n import t

    def cancel(ui_lang: str, request: gr.Request) -> None:
        stop = stops.get(request.session_hash or "?")
        if stop is not None:
            stop.set()
            gr.Info(t(message, ui_lang))

    return cancel
