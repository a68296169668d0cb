"""`vocalis serve --ray`: the API on a Ray cluster, through Ray Serve.

Two deployments. `Renderer` holds one engine per replica (each on its own CPU, at most MAX_ONGOING requests at
a time, queued by Serve beyond that); `vocalis` is the same FastAPI app as a single server, as Serve's HTTP
ingress, with its speech routes and a batch job's items sent to the renderers. Everything else (voices, consent,
training, dubbing) runs in the ingress itself, which loads models only when such a request comes. State is
shared: the database (`VOCALIS_DB_URL`) and the data home (`VOCALIS_HOME`, a shared mount across machines).

A replica that dies mid-request costs no request: the render is asked again of another replica, which skips the
chunks already delivered (renders are deterministic for a given watermark id, so the rest continues the same
audio), and a batch item, a long text's part or a dub's line is rendered again whole."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocalis.engine import Chunk
from vocalis.errors import VocalisError
from vocalis.home import SETTINGS_ENV
from vocalis.memory import ARENAS
from vocalis.service import FileSink, SpeechRequest, Vocalis
from vocalis.service.lock import EngineLock
from vocalis.service.parts import Part

if TYPE_CHECKING:
    from vocalis.service.dub import CueLine, LineResult

log = logging.getLogger("vocalis")
MAX_ONGOING = 8  # requests one renderer replica takes at once (they queue on its engine lock)
INGRESS_ONGOING = 256  # requests the ingress holds at once (as a single server's pool threads)
RETRIES = 3  # replicas a request may lose before it fails
LINES_AHEAD = 4  # a dub's lines under way per replica: all replicas busy, and a film's lines never all in memory
# What the replicas need of the starting shell's environment: Vocalis's settings, and where a default data home is.
PASSED_ENV = (*SETTINGS_ENV, "XDG_DATA_HOME", "HOME")


@dataclass(frozen=True)
class ClusterOptions:
    address: str | None = None  # a running cluster's address; None starts a local one
    replicas: int | None = 2  # renderer replicas; None: autoscaled on queue length (1 to the cluster's CPUs)
    host: str = "127.0.0.1"
    port: int = 8000


class Renderer:
    """A Serve deployment's replica: one engine, its own lock (requests take turns, a segment at a time)."""

    def __init__(self, env: dict[str, str]):
        os.environ.update(env)
        self.tts, self.lock = Vocalis(), EngineLock()
        self.tts.warm()

    def replica(self) -> str:
        from ray import serve

        return serve.get_replica_context().replica_id.unique_id

    def stream(self, request: SpeechRequest, who: str, skip: int = 0) -> Iterator[tuple[Chunk, str]]:
        """The request's chunks after the first `skip`, each with this replica's id."""
        me = self.replica()
        for k, chunk in enumerate(self._chunks(request, who)):
            if k >= skip:
                yield chunk, me

    def render_file(self, request: SpeechRequest, output: str, subtitles: str | None, who: str) -> str:
        """A job's audio (a text, or one batch item) into its file on the shared data home; returns this
        replica's id."""
        from vocalis.service.render import deliver

        sink = FileSink(Path(output), request.format, subtitles=Path(subtitles) if subtitles else None)
        deliver(self._chunks(request, who), sink, len(request.text), None)
        return self.replica()

    def render_part(self, request: SpeechRequest, part: Part, mark_id: int, who: str) -> list[Chunk]:
        """A part of a long text (see service.parts), its chunks marked with the whole's `mark_id`."""
        return list(self._chunks(request, who, lambda: self.tts.render_part(request, part, mark_id)))

    def render_line(self, line: CueLine) -> tuple[LineResult, str]:
        """A dub's line (see service.dub), rendered as a job's work (requests go first), and this replica's id."""
        from vocalis.service.dub import render_line

        with self.lock.background():
            return render_line(self.tts, line), self.replica()

    def _chunks(self, request: SpeechRequest, who: str,
                opened: Callable[[], Iterator[Chunk]] | None = None) -> Iterator[Chunk]:
        """The request opened (checked) on its first turn of this replica's lock, then a chunk per turn."""
        with self.lock.turn(who):
            chunks = opened() if opened else self.tts.open(request, who)
        while True:
            with self.lock.turn(who, continuing=True):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk


class FreeLock:
    """The ingress's lock for speech when rendering happens on the replicas: none (each replica's own lock
    gives its requests their turns)."""

    def turn(self, _client: str, continuing: bool = False) -> AbstractContextManager[None]:
        return nullcontext()


class RemoteEngine:
    """The renderers seen from the ingress: `open` as an engine's (an iterator of chunks) and a batch's files,
    retried on another replica when one dies."""

    sample_rate = 24_000

    def __init__(self, handle: Any, width: int = 2):
        self.handle = handle
        self.width = width  # renderer replicas (or the most of them): how many parts a long text is cut into

    def open(self, request: SpeechRequest, who: str | None = None) -> RemoteChunks:
        chunks = RemoteChunks(self.handle, request, who or "api")
        chunks.first = next(chunks.stream)  # a bad request fails here, as a local engine's does
        return chunks

    def render_files(self, items: list[tuple[SpeechRequest, Path, Path | None]], who: str,
                     done: Callable[[int, VocalisError | None], None]) -> None:
        """Render every item into its file across the replicas at once; `done(index, error)` as each ends."""
        pending = {k: self._file(item, who) for k, item in enumerate(items)}
        for attempt in range(RETRIES + 1):
            retry = {}
            for k, response in pending.items():
                try:
                    response.result()
                    done(k, None)
                except Exception as e:  # noqa: BLE001
                    try:
                        _raise_cause(e)
                    except VocalisError as error:
                        done(k, error)
                        continue
                    if not _lost_replica(e):
                        raise
                    if attempt == RETRIES:
                        done(k, VocalisError(f"failed on {RETRIES + 1} replicas: {type(e).__name__}"))
                    else:
                        retry[k] = self._file(items[k], who)
            if not retry:
                return
            pending = retry

    def render_parts(self, request: SpeechRequest, parts: list[Part], mark_id: int, who: str) -> Iterator[list[Chunk]]:
        """Every part of a long text sent to the renderers at once; each part's chunks, in order, as it is done. A
        part whose replica died is asked of another; those not yet read are cancelled if the reader stops."""
        pending = [self.handle.render_part.remote(request, part, mark_id, who) for part in parts]
        try:
            for k, part in enumerate(parts):
                yield _result(pending[k], lambda part=part: self.handle.render_part.remote(request, part, mark_id, who),
                              f"part {k + 1}")
        finally:
            for response in pending[k + 1:] if parts else ():
                response.cancel()

    def render_lines(self, lines: Sequence[CueLine]) -> RemoteLines:
        """A dub's lines across the renderers (a service.dub.LineRenderer)."""
        return RemoteLines(self.handle, lines, self.width * LINES_AHEAD)

    def _file(self, item: tuple[SpeechRequest, Path, Path | None], who: str) -> Any:
        request, output, subtitles = item
        return self.handle.render_file.remote(request, str(output), str(subtitles) if subtitles else None, who)

    def replicas_answer(self) -> bool:
        try:
            self.handle.replica.remote().result(timeout_s=2)
        except Exception:  # noqa: BLE001 (not up yet, whatever the reason)
            return False
        return True


class RemoteChunks:
    """A request's chunks from the renderers, and which replicas rendered them (X-Served-By)."""

    def __init__(self, handle: Any, request: SpeechRequest, who: str):
        self.handle, self.replicas = handle, []  # replicas in the order they answered
        self.first: Chunk | None = None
        self.stream = self._stream(request, who)

    def __iter__(self) -> RemoteChunks:
        return self

    def __next__(self) -> Chunk:
        if self.first is not None:
            chunk, self.first = self.first, None
            return chunk
        return next(self.stream)

    def close(self) -> None:
        self.stream.close()

    def _stream(self, request: SpeechRequest, who: str) -> Iterator[Chunk]:
        sent = 0
        for attempt in range(RETRIES + 1):
            try:
                for chunk, replica in self.handle.options(stream=True).stream.remote(request, who, sent):
                    sent += 1
                    if replica not in self.replicas:
                        self.replicas.append(replica)
                    yield chunk
                return
            except Exception as e:  # noqa: BLE001 (Ray's errors: a cause to re-raise, or a replica lost)
                _unless_retried(e, attempt, "the render")
                log.warning("a renderer replica was lost (%s); asking another, from chunk %d", type(e).__name__, sent)


class RemoteLines:
    """A dub's lines rendered across the renderers, `ahead` of them under way at a time, yielded in order; a line
    whose replica died is asked of another, and those under way are called off when the reader stops (a cancel).
    `replicas`: the renderers that rendered them."""

    def __init__(self, handle: Any, lines: Sequence[CueLine], ahead: int):
        self.handle, self.replicas = handle, set()
        self._results = self._run(list(lines), ahead)

    def __iter__(self) -> RemoteLines:
        return self

    def __next__(self) -> LineResult:
        return next(self._results)

    def close(self) -> None:
        self._results.close()

    def _run(self, lines: list[CueLine], ahead: int) -> Iterator[LineResult]:
        window: deque[Any] = deque(self.handle.render_line.remote(line) for line in lines[:ahead])
        try:
            for k, line in enumerate(lines):
                response = window.popleft()
                if k + ahead < len(lines):
                    window.append(self.handle.render_line.remote(lines[k + ahead]))
                result, replica = _result(response, lambda line=line: self.handle.render_line.remote(line),
                                          f"cue {line.index + 1}")
                self.replicas.add(replica)
                yield result
        finally:
            for response in window:
                response.cancel()


def _result(response: Any, again: Callable[[], Any], what: str) -> Any:
    """A remote call's result; while the replica answering it is lost, the call made again (`again()`, which Serve
    sends to another replica), up to RETRIES times."""
    attempt = 0
    while True:
        try:
            return response.result()
        except Exception as e:  # noqa: BLE001 (Ray's errors: a cause to re-raise, or a replica lost)
            _unless_retried(e, attempt, what)
            attempt += 1
            response = again()


def _unless_retried(error: Exception, attempt: int, what: str) -> None:
    """After a remote call failed: raises a VocalisError the replica raised, any error but a lost replica, and a lost
    replica on the last attempt (naming `what`); returns when another replica may be asked."""
    _raise_cause(error)
    if not _lost_replica(error):
        raise error
    if attempt == RETRIES:
        raise VocalisError(f"{what} failed on {RETRIES + 1} replicas: {type(error).__name__}") from None


def _lost_replica(error: Exception) -> bool:
    from ray.exceptions import ActorUnavailableError, RayActorError

    return isinstance(error, RayActorError | ActorUnavailableError)


def _raise_cause(error: Exception) -> None:
    """A VocalisError raised in a replica, re-raised as itself (Ray wraps it with the replica's traceback)."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, VocalisError):
        raise cause from None
    if isinstance(error, VocalisError) and type(error).__module__.startswith("vocalis"):
        raise error


class RendererReadiness:
    """/ready's models part in cluster mode: "ready" once a renderer replica answers."""

    def __init__(self, engine: RemoteEngine):
        self.engine, self.state = engine, "warming"

    def start(self) -> None:
        def poll() -> None:
            while not self.engine.replicas_answer():
                time.sleep(1)
            self.state = "ready"

        threading.Thread(target=poll, name="vocalis-replicas", daemon=True).start()


def deploy(options: ClusterOptions, app_options: dict[str, Any]) -> None:
    """Start (or join) the cluster, deploy the renderers and the ingress, and serve until interrupted."""
    import ray
    from ray import serve

    env = {k: os.environ[k] for k in PASSED_ENV if os.environ.get(k)}
    ray.init(address=options.address, include_dashboard=False, logging_level="WARNING", log_to_driver=False,
             ignore_reinit_error=True)
    serve.start(http_options={"host": options.host, "port": options.port})
    serve.run(application(options, app_options, env), name="vocalis", route_prefix="/", blocking=False)
    log.warning("serving on http://%s:%s with %s renderer replicas", options.host, options.port,
                options.replicas or "autoscaled")


def application(options: ClusterOptions, app_options: dict[str, Any], env: dict[str, str]) -> Any:
    """The Serve application: the ingress bound to the renderers."""
    from ray import serve

    scaling: dict[str, Any] = ({"num_replicas": options.replicas} if options.replicas else
                               {"autoscaling_config": {"min_replicas": 1, "max_replicas": max(1, _cluster_cpus()),
                                                       "target_ongoing_requests": 2}})
    # glibc reads MALLOC_ARENA_MAX as a worker process starts, before Ray's own threads have taken arenas (capped
    # later, in Renderer, a replica peaked at 1.6 GB under bench/load.py; capped from the start, 1.24 GB).
    runtime_env = {"env_vars": {**env, "MALLOC_ARENA_MAX": str(ARENAS)}}
    renderer = serve.deployment(Renderer, name="renderer", max_ongoing_requests=MAX_ONGOING,
                                ray_actor_options={"num_cpus": 1, "runtime_env": runtime_env}, **scaling)

    def build() -> Any:  # on the ingress replica, when it starts
        from vocalis.studio.api.app import create_app

        os.environ.update(env)
        handle = serve.get_deployment_handle("renderer", app_name="vocalis")
        return create_app(renderer=RemoteEngine(handle, options.replicas or max(1, _cluster_cpus())), **app_options)

    @serve.ingress(build)
    class Ingress:
        def __init__(self, _renderer: Any):  # bound to the renderers so that they deploy with it
            pass

    # The ingress waits on the renderers, and answers /health, voices and jobs meanwhile: many requests at once
    # (Serve's default of 5 would queue a health check behind five renders).
    ingress = serve.deployment(Ingress, name="vocalis", max_ongoing_requests=INGRESS_ONGOING,
                               ray_actor_options={"num_cpus": 0, "runtime_env": runtime_env})
    return ingress.bind(renderer.bind(env))


def _cluster_cpus() -> int:
    import ray

    return int(ray.cluster_resources().get("CPU", 1))
