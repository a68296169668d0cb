"""The web UI in a real browser, shared by the web UI's test modules (a pytest plugin, named in conftest.py):
the UI served in-process on a free localhost port, open in headless Debian Chromium driven by Playwright,
for the whole session, with one data folder, as one user's session goes through the tabs. Every request
the page makes beyond localhost is refused and remembered. Full-page screenshots are saved (folder:
$VOCALIS_SCREENSHOTS, default out/screenshots) and their paths listed at the end of the run."""

from __future__ import annotations

import csv
import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from vocalis import Vocalis

CHROMIUM = Path("/usr/bin/chromium")
SPEECH_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("VOCALIS_SCREENSHOTS") or REPO / "out" / "screenshots")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SENTENCE = "We walked along the river and talked about the books we had read."
SECONDS = 4.5  # the exact length asked for SENTENCE (it takes about 4 s at natural speed)
LONG = 300_000  # ms to wait for a clone: 25-60 s on 2 cores, more when the suite runs alongside
LJ = SPEECH_DATA / "ljspeech" / "LJ"
TRAIN_CLIPS = sorted(LJ.glob("LJ001-*.wav"))  # 8 transcribed clips of one reader, ~45 s of speech
# A 1-minute run: the preparation (instant clone, alignment, prosody fit) and the checks, next to no decoder
# steps, then one more clone for the comparison: 3-8 min on 2 cores.
TRAINING = 900_000

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_clip() -> Path | None:
    """An English LibriSpeech clip of 10-15 s from the shared data's manifest (None: data not here)."""
    manifest = SPEECH_DATA / "MANIFEST.tsv"
    if not manifest.is_file():
        return None
    with manifest.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if (row["dataset"] == "librispeech" and row["language"] == "en" and 10 <= float(row["duration_s"]) <= 15
                    and (SPEECH_DATA / row["path"]).is_file()):
                return SPEECH_DATA / row["path"]
    return None


@pytest.fixture(scope="session")
def webui_home(tmp_path_factory) -> Path:
    """One data folder for the whole session: the tests follow one user's session through the tabs."""
    return tmp_path_factory.mktemp("webui-home")




@pytest.fixture(scope="session")
def shots(request):
    """Saves full-page screenshots and lists their paths in the terminal summary of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def shot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"webui-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        return path

    request.config.pluginmanager.register(_ScreenshotSummary(saved), "webui-screenshots")
    return shot


class _ScreenshotSummary:
    """A plugin registered while the web UI tests run, so the paths show in the run's closing summary
    (output written from a fixture is captured, and hidden when the tests pass)."""

    def __init__(self, saved: list[Path]):
        self.saved = saved

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.saved:
            terminalreporter.write_sep("-", "web UI screenshots")
            for path in self.saved:
                terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def outside_requests() -> list[str]:
    """URLs the page tried to reach beyond localhost (refused)."""
    return []


@pytest.fixture(scope="session")
def browser_page(tts: Vocalis, webui_home, outside_requests):
    """The UI served in-process on a free localhost port, open in headless Chromium. Every request the
    page makes is routed: localhost goes through, anything else is refused and remembered."""
    from vocalis.studio.webui import launch

    if not CHROMIUM.is_file():
        pytest.skip("Debian Chromium (/usr/bin/chromium) is not installed")
    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(webui_home))
    port = free_port()
    ui = launch(tts, host="127.0.0.1", port=port, block=False)
    def route(r):
        if urlparse(r.request.url).hostname in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside_requests.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.route("**/*", route)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)
        yield page
        context.close()
        browser.close()
    ui.close()
    mp.undo()


@pytest.fixture
def page(browser_page: Page, webui_home, monkeypatch) -> Page:
    """The page, with this test reading the same data folder as the server it talks to."""
    monkeypatch.setenv("VOCALIS_HOME", str(webui_home))
    return browser_page


def tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def radio(page: Page, elem_id: str, label: str) -> None:
    page.locator(f"#{elem_id} label", has_text=label).click()


def choose(page: Page, elem_id: str, option: str) -> None:
    """Pick `option` in a Gradio dropdown (choices are filtered as one types)."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()


def download(page: Page, link_selector: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.locator(link_selector).first.click()
    info.value.save_as(to)
    return to


def fetch(page: Page, href: str, to: Path) -> Path:
    response = page.request.get(href)
    assert response.ok, (href, response.status)
    to.write_bytes(response.body())
    return to


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not done within {seconds} s"
        time.sleep(0.2)


def toast(page: Page) -> str:
    toast = page.locator(".toast-body").last
    expect(toast).to_be_visible(timeout=30_000)
    return toast.inner_text()

