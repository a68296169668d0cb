"""The server's models warmed in the background, so that `/health` answers as soon as the process listens
and `/ready` turns 200 once a request would not wait for a model to load."""

from __future__ import annotations

import logging
import threading

from vocalis.service import Vocalis
from vocalis.service.lock import EngineLock

log = logging.getLogger("vocalis.api")


class Warming:
    def __init__(self, engine: Vocalis, lock: EngineLock):
        self.engine, self.lock = engine, lock
        self.state = "warming"  # -> "ready", or "failed" (requests then load what they need themselves)

    def start(self) -> None:
        threading.Thread(target=self._run, name="vocalis-warm", daemon=True).start()

    def _run(self) -> None:
        try:
            with self.lock.background():  # after any request already waiting: warming must not delay one
                self.engine.warm()
        except Exception:  # a failed warm-up leaves the server serving; the first request reports the cause
            log.exception("warming the models failed")
            self.state = "failed"
        else:
            self.state = "ready"
