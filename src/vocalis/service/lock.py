"""One render at a time on the engine, with requests already under way first, then new requests, then
background jobs.

The model's working memory is per render, so every use of the engine holds this lock. A request renders
segment by segment, taking the lock for each: its first with `with lock:` (a plain lock's interface),
the rest through `continuing()`, which goes ahead of requests that have not started, so that a started
request (a listener waiting on a stream) finishes instead of every request advancing a little at a time
(measured with 30 clients: streamed pcm waited a median 85 s for its last byte). The job worker takes it
through `background()`, which waits until no request is waiting, so short requests slip in between a
long job's segments instead of queueing behind all of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

_CONTINUING, _NEW, _BACKGROUND = range(3)  # priority levels, best first


class EngineLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._waiting = [0, 0, 0]  # per level

    def __enter__(self) -> EngineLock:
        self._acquire(_NEW)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._release()

    def continuing(self) -> AbstractContextManager[None]:
        return self._turn(_CONTINUING)

    def background(self) -> AbstractContextManager[None]:
        return self._turn(_BACKGROUND)

    @contextmanager
    def _turn(self, level: int) -> Iterator[None]:
        self._acquire(level)
        try:
            yield
        finally:
            self._release()

    def _acquire(self, level: int) -> None:
        with self._changed:
            self._waiting[level] += 1
            try:
                self._changed.wait_for(lambda: not self._busy and not any(self._waiting[:level]))
            finally:
                self._waiting[level] -= 1
            self._busy = True

    def _release(self) -> None:
        with self._changed:
            self._busy = False
            self._changed.notify_all()
