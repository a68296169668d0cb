import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import uvicorn
from shared_data import shared_data, skipped

from vocalis import Vocalis

# The browser and the served web UI that the web UI test modules share.
pytest_plugins = ["webui_browser", "evm_node", "postgres_server"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """`pytest.mark.shared_data(path, ...)`: the test reads those files of the shared speech data, and fails in CI
    or skips elsewhere without them (tests/shared_data.py)."""
    for mark in item.iter_markers("shared_data"):
        shared_data(*mark.args)


def pytest_terminal_summary(terminalreporter) -> None:
    """Tests skipped for want of the shared speech data, said at the end of the run rather than only counted."""
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} tests skipped: the shared speech data is missing", yellow=True)
        for what in sorted(set(skipped)):
            terminalreporter.write_line(f"missing: {what}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process with pytest's status once everything is reported, without the interpreter's teardown: a
    native thread pool (onnxruntime's, CTranslate2's) still alive at teardown once aborted a run whose tests had
    all passed ("terminate called without an active exception", exit 134)."""
    if _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])


_EXIT_STATUS = pytest.StashKey[int]()


# One watermark id for every render in the tests (the marks change the samples a little, and a fresh id per
# render made Whisper's verdicts vary run to run). A test about ids sets its own.
MARK_ID = 1234


@pytest.fixture(scope="session")
def tts() -> Vocalis:
    return Vocalis(mark_id=MARK_ID)


@pytest.fixture(autouse=True)
def voice_library(tmp_path_factory, monkeypatch):
    """Each test gets an empty voice library: tests never read or write the user's own voices."""
    home = tmp_path_factory.mktemp("vocalis-home")
    monkeypatch.setenv("VOCALIS_HOME", str(home))
    monkeypatch.setenv("VOCALIS_MARK_ID", str(MARK_ID))  # for the engines the CLI and job files build
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
