import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import uvicorn

from vocalis import Vocalis


@pytest.fixture(scope="session")
def tts() -> Vocalis:
    return Vocalis()


@pytest.fixture(autouse=True)
def voice_library(tmp_path_factory, monkeypatch):
    """Each test gets an empty voice library: tests never read or write the user's own voices."""
    home = tmp_path_factory.mktemp("vocalis-home")
    monkeypatch.setenv("VOCALIS_HOME", str(home))
    return home / "voices"


@contextmanager
def _serving(app) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Callable[[object], AbstractContextManager[str]]:
    """`with serve(app) as base_url:` runs the app on a real uvicorn server on a free local port."""
    return _serving
