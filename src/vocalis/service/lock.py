"""One render at a time on the engine, shared fairly between the clients that want it, then background jobs.

The model's working memory is per render, so every use of the engine holds this lock. A request renders
segment by segment, taking the lock for each turn. When the engine comes free, the next turn goes to the
client (the API key, or the address of a client without one) served least recently, so a one-sentence request
waits behind at most one segment of each other client's long one (measured before: 198 s behind a
5,400-character request). Among one client's own turns, a request already under way goes before its new ones,
so that a started stream finishes instead of all of them advancing a little at a time (measured with 30
clients: streamed pcm waited a median 85 s for its last byte). The job worker takes the lock through
`background()`, which waits until no request is waiting, so short requests slip in between a long job's
segments instead of queueing behind all of them."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

_CONTINUING, _NEW = range(2)  # within one client's turns, best first
_FORGET_AFTER = 1024  # clients remembered at most (those waiting are always kept)


@dataclass(frozen=True)
class _Turn:
    client: str
    level: int
    seq: int


class EngineLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._waiting: list[_Turn] = []  # request turns
        self._served: dict[str, int] = {}  # client -> when it last had the engine (a running count)
        self._count = itertools.count()

    def __enter__(self) -> EngineLock:
        self._acquire_request("", _NEW)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._release()

    @property
    def waiting(self) -> int:
        """Request turns waiting for the engine now."""
        with self._changed:
            return len(self._waiting)

    def turn(self, client: str, continuing: bool = False) -> AbstractContextManager[None]:
        """A request's turn for `client`: its first segment, or (`continuing`) one of the rest."""
        return self._hold(lambda: self._acquire_request(client, _CONTINUING if continuing else _NEW))

    def background(self) -> AbstractContextManager[None]:
        return self._hold(self._acquire_background)

    @contextmanager
    def _hold(self, acquire: Callable[[], None]) -> Iterator[None]:
        acquire()
        try:
            yield
        finally:
            self._release()

    def _acquire_request(self, client: str, level: int) -> None:
        turn = _Turn(client, level, next(self._count))
        with self._changed:
            self._waiting.append(turn)
            try:
                self._changed.wait_for(lambda: not self._busy and self._next() is turn)
            finally:
                self._waiting.remove(turn)
            self._busy = True
            self._served[client] = next(self._count)
            if len(self._served) > _FORGET_AFTER:
                waiting = {t.client for t in self._waiting}
                self._served = {c: n for c, n in self._served.items() if c in waiting or c == client}

    def _next(self) -> _Turn:
        """The client served least recently, then its request under way, then the oldest."""
        return min(self._waiting, key=lambda t: (self._served.get(t.client, -1), t.level, t.seq))

    def _acquire_background(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._busy and not self._waiting)
            self._busy = True

    def _release(self) -> None:
        with self._changed:
            self._busy = False
            self._changed.notify_all()
