"""One render at a time on the engine, with interactive requests ahead of background jobs.

The model's working memory is per render, so every use of the engine holds this lock. Request handlers
take it with `with lock:` (a plain lock's interface); the job worker takes it through `background()`,
which waits until no request is waiting, so short requests slip in between a long job's segments
instead of queueing behind all of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class EngineLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._interactive_waiting = 0

    def __enter__(self) -> EngineLock:
        with self._changed:
            self._interactive_waiting += 1
            try:
                self._changed.wait_for(lambda: not self._busy)
            finally:
                self._interactive_waiting -= 1
            self._busy = True
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._changed:
            self._busy = False
            self._changed.notify_all()

    @contextmanager
    def background(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._busy and not self._interactive_waiting)
            self._busy = True
        try:
            yield
        finally:
            self.__exit__()
