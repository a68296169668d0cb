"""The web UI in a real browser (Debian Chromium, driven by Playwright) against the real models: speech
made from the Speak tab says the words typed and lasts the length asked; a LibriSpeech reader cloned
from the Clone tab lands in the library with a measured similarity; a voice file imported in the Library
tab previews, renames, exports and deletes; History replays and reuses a render; the interface switches
to Chinese; and the page never reaches beyond localhost. A screenshot of each tab is saved (folder:
$VOCALIS_SCREENSHOTS, default out/screenshots) and the paths are listed at the end of the run."""

from __future__ import annotations

import csv
import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from vocalis import Vocalis
from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.emotion import EMOTIONS
from vocalis.errors import VoiceError
from vocalis.eval.metrics import wer
from vocalis.pipeline import PREVIEW_SENTENCES
from vocalis.voice import builtin_voices, resolve_voice
from vocalis.voice.library import import_voice, library_voices, rename_voice
from vocalis.voice.voice import Voice
from vocalis.webui.history import commit_entry, delete_entry, entries, history_dir, new_entry
from vocalis.webui.presets import presets, presets_path, save_preset
from vocalis.webui.settings import SpeakSettings

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reference_clip() -> Path | None:
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


@pytest.fixture(scope="module")
def webui_home(tmp_path_factory) -> Path:
    """One data folder for the whole module: the tests follow one user's session through the tabs."""
    return tmp_path_factory.mktemp("webui-home")




@pytest.fixture(scope="module")
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
    """A plugin registered while the module runs, so the paths show in the run's closing summary
    (output written from a fixture is captured, and hidden when the tests pass)."""

    def __init__(self, saved: list[Path]):
        self.saved = saved

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.saved:
            terminalreporter.write_sep("-", "web UI screenshots")
            for path in self.saved:
                terminalreporter.write_line(str(path))


@pytest.fixture(scope="module")
def outside_requests() -> list[str]:
    """URLs the page tried to reach beyond localhost (refused)."""
    return []


@pytest.fixture(scope="module")
def browser_page(tts: Vocalis, webui_home, outside_requests):
    """The UI served in-process on a free localhost port, open in headless Chromium. Every request the
    page makes is routed: localhost goes through, anything else is refused and remembered."""
    from vocalis.webui import launch

    if not CHROMIUM.is_file():
        pytest.skip("Debian Chromium (/usr/bin/chromium) is not installed")
    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(webui_home))
    port = _free_port()
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


def _tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _radio(page: Page, elem_id: str, label: str) -> None:
    page.locator(f"#{elem_id} label", has_text=label).click()


def _choose(page: Page, elem_id: str, option: str) -> None:
    """Pick `option` in a Gradio dropdown (choices are filtered as one types)."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()


def _download(page: Page, link_selector: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.locator(link_selector).first.click()
    info.value.save_as(to)
    return to


def _fetch(page: Page, href: str, to: Path) -> Path:
    response = page.request.get(href)
    assert response.ok, (href, response.status)
    to.write_bytes(response.body())
    return to


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not done within {seconds} s"
        time.sleep(0.2)


def _toast(page: Page) -> str:
    toast = page.locator(".toast-body").last
    expect(toast).to_be_visible(timeout=30_000)
    return toast.inner_text()


def test_speak_renders_the_text_at_the_asked_length(page: Page, shots, tmp_path, record_property):
    _tab(page, "Speak")
    page.fill("#speak-text textarea", "")
    page.click("#speak-generate")
    message = _toast(page)
    assert "the text is empty" in message and "Traceback" not in message  # a one-line error, not a crash
    page.locator(".toast-close").first.click()

    page.fill("#speak-text textarea", SENTENCE + " It was warm.")
    page.click("#speak-segments")
    page.click("#speak-segments-button")
    rows = page.locator("#speak-segments-table .virtual-row")
    expect(rows).to_have_count(2)  # two sentences, two segments
    expect(rows.first).to_contain_text("walked along the river")

    page.fill("#speak-text textarea", SENTENCE)
    _radio(page, "speak-timing", "Exact length")
    page.fill("#speak-duration input", str(SECONDS))
    page.click("#speak-generate")
    expect(page.locator("#speak-status")).to_contain_text("Saved to the history", timeout=120_000)
    record_property("screenshot_speak", str(shots(page, "speak")))

    audio = Audio.load(_download(page, "#speak-files a[download$='.wav']", tmp_path / "speech.wav"))
    assert len(audio.samples) == round(SECONDS * audio.sample_rate)  # exactly the length asked, to the sample
    heard = transcribe(audio, lang="en")
    assert wer(SENTENCE, heard) <= 0.2, heard
    srt = _fetch(page, page.locator("#speak-files a[download$='.srt']").first.get_attribute("href"),
                 tmp_path / "speech.srt").read_text(encoding="utf-8")
    assert "00:00:00," in srt and "-->" in srt and "walked along the river" in srt


def test_history_replays_and_reuses_a_render(page: Page, shots, tmp_path, record_property):
    _tab(page, "History")
    expect(page.locator("#history-table")).to_contain_text("walked along the river")
    _choose(page, "history-entry", "We walked")
    expect(page.locator("#history-details")).to_contain_text("4.50 s", timeout=30_000)
    link = page.locator("#history-audio a[download]").first
    expect(link).to_be_attached()
    audio = Audio.load(_fetch(page, link.get_attribute("href"), tmp_path / "replay.wav"))
    assert len(audio.samples) == round(SECONDS * audio.sample_rate)
    record_property("screenshot_history", str(shots(page, "history")))

    _tab(page, "Speak")
    page.fill("#speak-text textarea", "something else")
    _radio(page, "speak-timing", "Natural")
    _tab(page, "History")
    page.click("#history-reuse")
    expect(page.locator("#speak-text textarea")).to_have_value(SENTENCE)  # back on Speak with the same settings
    expect(page.locator("#speak-duration input")).to_have_value(str(SECONDS))


def test_presets_keep_and_restore_emotion_and_timing(page: Page):
    _tab(page, "Speak")
    _radio(page, "speak-emotion", "Sliders")
    happy = page.locator("#speak-emotion-happy input[type=number]")
    happy.fill("0.8")
    happy.press("Enter")
    _tab(page, "Library")
    page.fill("#preset-name textarea", "cheerful")
    page.click("#preset-save")
    expect(page.locator("#preset-pick input")).to_have_value("cheerful", timeout=30_000)
    saved = presets()["cheerful"]
    assert saved.emotion_method == "vector" and saved.emotion_vector[EMOTIONS.index("happy")] == 0.8
    assert saved.timing == "duration" and saved.duration == SECONDS  # from the History entry reused above

    _tab(page, "Speak")
    _radio(page, "speak-emotion", "As the voice speaks")
    _radio(page, "speak-timing", "Natural")
    _tab(page, "Library")
    page.click("#preset-apply")
    expect(page.locator("#speak-duration input")).to_have_value(str(SECONDS))  # back on Speak, restored
    expect(happy).to_have_value("0.8")
    rendered = len(entries())
    page.click("#speak-generate")
    _wait_for(lambda: len(entries()) > rendered, 120)
    assert entries()[0].settings.emotion_summary() == "happy=0.80"  # rendered with the preset's emotion


def test_interface_switches_to_chinese(page: Page, shots, record_property):
    _radio(page, "ui-language", "中文")
    for label in ("朗读", "克隆", "训练", "声音库", "历史"):
        expect(page.get_by_role("tab", name=label)).to_be_visible()
    expect(page.locator("#speak-generate")).to_have_text("生成")
    expect(page.locator("#speak-text")).to_contain_text("文本")
    expect(page.locator("#speak-segments-table")).to_contain_text("段后停顿")  # the preview's titles too
    record_property("screenshot_speak_zh", str(shots(page, "speak-zh")))
    _radio(page, "ui-language", "English")
    expect(page.locator("#speak-generate")).to_have_text("Generate")


def test_clone_adds_a_voice_with_its_measured_similarity(page: Page, shots, tmp_path, record_property):
    clip = _reference_clip()
    if clip is None:
        pytest.skip("shared speech data (../shared/data/speech) not available")
    _tab(page, "Clone")
    page.set_input_files("#clone-reference input[type=file]", str(clip))
    expect(page.locator("#clone-check")).to_contain_text("Speech", timeout=60_000)  # checked before cloning
    page.fill("#clone-name textarea, #clone-name input", "reader")
    page.click("#clone-button")
    result = page.locator("#clone-result")
    expect(result).to_contain_text("Saved reader", timeout=LONG)
    shown = result.inner_text()
    similarity, start_similarity = (float(x) for x in
                                    re.search(r"reference: (-?[\d.]+) .*?: (-?[\d.]+)\)", shown, re.S).groups())
    assert -1 <= start_similarity < similarity <= 1, shown  # the clone is closer to the reader than its start
    sample = page.locator("#clone-sample a[download]").first
    expect(sample).to_be_attached()
    heard = transcribe(Audio.load(_fetch(page, sample.get_attribute("href"), tmp_path / "sample.wav")), lang="en")
    assert wer(PREVIEW_SENTENCES["en"], heard) <= 0.2, heard  # the new voice speaks the preview sentence
    check = page.locator("#clone-check").inner_text()
    assert re.search(r"Speech: \d+\.\d s", check) and "Signal to noise" in check, check
    record_property("screenshot_clone", str(shots(page, "clone")))

    cloned = {v.name: v for v in library_voices()}
    assert "reader" in cloned and cloned["reader"].meta["source"] == "clone"
    assert "cannot speak yet" in shown  # until the reader consents, which the panel below asks for
    expect(page.locator("#consent-voice textarea, #consent-voice input")).to_have_value("reader")
    expect(page.locator("#consent-phrase")).to_contain_text("I, reader, allow Vocalis")
    _tab(page, "Library")
    expect(page.locator("#library-table")).to_contain_text("reader")


def test_consent_gates_a_voice_in_the_interface(page: Page, shots, tmp_path, record_property):
    """An imported clone is refused until its owner's recording passes in the consent panel; revoking it in
    the Library stops it again."""
    from vocalis.trust import consent
    from vocalis.trust.speaker_check import reference_embedding
    from vocalis.voice.reference import prepare_reference

    clips = _transcribed_clips("1988")
    if not clips:
        pytest.skip("shared speech data (../shared/data/speech) not available")
    speaker = reference_embedding(prepare_reference([p for k, (p, _) in enumerate(clips) if k != 1]).audio)
    owner = Voice(name="owner", style=builtin_voices()["jm_kumo"].style[:1], pitch_scale=1.1, speaker=speaker)
    import_voice(owner.save(tmp_path / "owner.npz"))
    page.reload()
    expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)
    _tab(page, "Library")
    expect(page.locator("#library-table")).to_contain_text("needed", timeout=30_000)
    _choose(page, "library-voice", "owner")
    page.click("#library-preview")
    assert "no consent record" in _toast(page)

    _tab(page, "Clone")
    page.fill("#consent-voice textarea, #consent-voice input", "owner")
    page.click("#consent-phrase-button")
    expect(page.locator("#consent-phrase")).to_contain_text("I, owner, allow Vocalis", timeout=30_000)
    consent.issue_challenge(resolve_voice("owner"), phrase=clips[1][1])  # the clip's own words stand for it
    page.set_input_files("#consent-recording input[type=file]", str(clips[1][0]))
    page.click("#consent-check")
    expect(page.locator("#consent-verdict")).to_contain_text("Consent recorded for owner", timeout=LONG)
    record_property("screenshot_consent", str(shots(page, "consent")))

    _tab(page, "Library")
    _choose(page, "library-voice", "owner")
    page.click("#library-preview")
    expect(page.locator("#library-preview-audio a[download]").first).to_be_attached(timeout=60_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#library-revoke")
    expect(page.locator("#library-table")).to_contain_text("revoked", timeout=30_000)
    page.click("#library-preview")
    assert "revoked" in _toast(page)
    page.reload()  # the next tests start from a fresh page, not from this preview's player
    expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)


def _transcribed_clips(speaker: str) -> list[tuple[Path, str]]:
    manifest = SPEECH_DATA / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    return sorted((SPEECH_DATA / r[0], r[6]) for r in rows if r[1] == "librispeech" and r[2] == speaker and r[6])


def test_library_previews_renames_exports_and_deletes(page: Page, shots, tmp_path, record_property):
    guest = Voice(name="guest", style=builtin_voices()["jf_nezumi"].style, language="en", description="imported")
    voice_file = guest.save(tmp_path / "guest.npz")
    _tab(page, "Library")
    page.locator("#library-table").scroll_into_view_if_needed()
    page.get_by_text("Import a voice file").click()
    page.set_input_files("#library-import-file input[type=file]", str(voice_file))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#library-table")).to_contain_text("guest", timeout=30_000)

    _choose(page, "library-voice", "guest")
    page.fill("#library-preview-text textarea", "Good morning, how are you today?")
    page.click("#library-preview")
    link = page.locator("#library-preview-audio a[download]").first
    expect(link).to_be_attached(timeout=60_000)
    preview = Audio.load(_fetch(page, link.get_attribute("href"), tmp_path / "preview.wav"))
    heard = transcribe(preview, lang="en")
    assert preview.duration > 1.0 and wer("Good morning, how are you today?", heard) <= 0.2, heard
    record_property("screenshot_library", str(shots(page, "library")))

    page.fill("#library-new-name textarea, #library-new-name input", "visitor")
    page.click("#library-rename")
    expect(page.locator("#library-table")).to_contain_text("visitor", timeout=30_000)
    names = [v.name for v in library_voices()]
    assert "visitor" in names and "guest" not in names

    page.click("#library-export")
    exported = Voice.load(_download(page, "#library-export-file a[download]", tmp_path / "visitor.npz"))
    assert exported.name == "visitor" and exported.style.shape == guest.style.shape

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#library-delete")
    expect(page.locator("#library-table")).not_to_contain_text("visitor", timeout=30_000)
    assert "visitor" not in [v.name for v in library_voices()]


def _manifest_transcripts(clips: list[Path]) -> str:
    """The clips' transcripts from the shared data's manifest, as the Train tab takes them."""
    with (SPEECH_DATA / "MANIFEST.tsv").open(encoding="utf-8") as f:
        texts = {row["path"]: row["transcript"] for row in csv.DictReader(f, delimiter="\t")}
    return "\n".join(f"{c.name}\t{texts[str(c.relative_to(SPEECH_DATA))]}" for c in clips)


def _upload_clips(page: Page, clips: list[Path]) -> None:
    page.set_input_files("#train-clips input[type=file]", [str(c) for c in clips])
    for clip in clips:  # uploaded (listed) before any button reads the component
        expect(page.locator("#train-clips")).to_contain_text(clip.stem, timeout=30_000)  # shown as "stem .wav"


def test_train_refuses_too_little_speech_at_the_check(page: Page):
    if not TRAIN_CLIPS:
        pytest.skip("shared speech data (../shared/data/speech) not available")
    _tab(page, "Train")
    _upload_clips(page, TRAIN_CLIPS[1:2])  # LJ001-0002: 1.9 s
    page.click("#train-check-button")
    expect(page.locator("#train-check")).to_contain_text("needs at least 30 s", timeout=60_000)
    page.reload()  # the next test starts with an empty clip list
    expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)


def test_train_makes_a_voice_heard_before_and_after(page: Page, shots, tmp_path, record_property):
    if not TRAIN_CLIPS:
        pytest.skip("shared speech data (../shared/data/speech) not available")
    _tab(page, "Train")
    _upload_clips(page, TRAIN_CLIPS)
    page.fill("#train-transcripts textarea", _manifest_transcripts(TRAIN_CLIPS))
    page.fill("#train-name textarea, #train-name input", "lj")
    minutes = page.locator("#train-minutes input[type=number]")
    minutes.fill("1")
    minutes.press("Enter")
    page.click("#train-check-button")
    check = page.locator("#train-check")
    expect(check).to_contain_text("Ready to train", timeout=120_000)
    shown = check.inner_text()
    speech_s = float(re.search(r"Speech: ([\d.]+) s", shown).group(1))
    assert 30 <= speech_s <= 60 and "Utterances: 8" in shown and "Whisper" not in shown, shown

    page.click("#train-button")
    # Cancelled at the run's next step, as soon as it has started (a click before it starts finds no run).
    _wait_for(lambda: page.click("#train-cancel") or page.locator(".toast-body", has_text="Stopping").count(), 60)
    result = page.locator("#train-result")
    expect(result).to_contain_text("Training cancelled", timeout=LONG)
    assert "lj" not in [v.name for v in library_voices()]

    page.click("#train-button")
    expect(result).to_contain_text("Saved lj", timeout=TRAINING)
    shown = result.inner_text()
    similarity = float(re.search(r"Speaker similarity: (-?[\d.]+)", shown).group(1))
    assert -1 <= similarity <= 1 and "Error rate" in shown and "Reconstruction loss" in shown, shown
    assert "cannot speak yet" in shown and "an instant clone" in shown, shown  # no consent: previews only
    heard = {}
    for side in ("before", "after"):
        link = page.locator(f"#train-{side} a[download]").first
        expect(link).to_be_attached(timeout=30_000)
        heard[side] = Audio.load(_fetch(page, link.get_attribute("href"), tmp_path / f"{side}.wav"))
        assert heard[side].duration > 2 and np.abs(heard[side].samples).max() > 0.01, side
    said = transcribe(heard["after"], lang="en")
    assert wer(PREVIEW_SENTENCES["en"], said) <= 0.3, said  # the trained voice says the preview sentence
    record_property("screenshot_train", str(shots(page, "train")))
    old = page.locator("#train-after a[download]").first.get_attribute("href")
    page.click("#train-compare")  # rendered again, from the pair the run left in the page
    _wait_for(lambda: page.locator("#train-after a[download]").first.get_attribute("href") != old, 120)

    voice = {v.name: v for v in library_voices()}["lj"]
    assert voice.trained and voice.meta["speech_s"] == pytest.approx(speech_s, abs=0.2)
    assert {"held_out_similarity", "held_out_error_rate", "held_out_loss"} <= set(voice.meta["metrics"])
    _tab(page, "Library")
    expect(page.locator("#library-table")).to_contain_text("trained on", timeout=30_000)
    _tab(page, "Speak")
    picker = page.locator("#speak-voice input")
    picker.click()
    picker.fill("lj")
    expect(page.get_by_role("option", name=re.compile(r"^lj · en"))).to_be_visible()
    page.reload()  # the Speak picker back on its default voice for the tests that follow
    expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)


def test_no_request_leaves_localhost(page: Page, outside_requests):
    page.reload()  # a fresh load too, with everything the tabs above pulled in already cached or not
    expect(page.locator("#speak-generate")).to_be_visible(timeout=60_000)
    assert outside_requests == []


# The stores behind the tabs, without a browser: they must keep the user's work whatever happens.

def test_history_lists_whole_entries_only(tmp_path):
    settings = SpeakSettings(voice="jm_kumo", emotion_method="text", emotion_text="calmly", timing="speed", speed=1.5)
    kept = []
    for text in ("First.", "Second."):
        entry_id, path = new_entry(".flac")
        Audio(np.zeros(2400, np.float32), 24000).save(path)
        kept.append(commit_entry(entry_id, text, settings, path, 0.1, []))
    torn_id, torn = new_entry(".wav")  # audio written, record never committed: not an entry
    Audio(np.zeros(10, np.float32), 24000).save(torn)
    (history_dir() / f"{kept[0].id}.json").write_text("{not json", encoding="utf-8")  # a damaged record
    listed = entries()
    assert [e.text for e in listed] == ["Second."]
    assert listed[0].settings == settings and listed[0].audio.suffix == ".flac" and listed[0].subtitles is None
    delete_entry(kept[1].id)
    assert entries() == [] and not kept[1].audio.exists()


def test_presets_round_trip_and_a_damaged_file_is_kept_aside():
    presets_path().parent.mkdir(parents=True, exist_ok=True)
    presets_path().write_text("[1, 2", encoding="utf-8")
    assert presets() == {}  # unreadable: no presets, and no crash
    settings = SpeakSettings(emotion_method="vector", emotion_vector=(0.5,) + (0.0,) * 7, timing="duration",
                             duration=3.0)
    save_preset("  calm   reader ", settings)
    assert presets() == {"calm reader": settings}
    assert presets_path().with_name("presets.json.unreadable").read_text(encoding="utf-8") == "[1, 2"


def test_library_voices_rename_and_import(tmp_path):
    jm = builtin_voices()["jm_kumo"]
    source = Voice(name="ana", style=jm.style[:1], language="en", pitch_scale=1.2).save(tmp_path / "ana.npz")
    import_voice(source)
    import_voice(source, name="bea")
    with pytest.raises(VoiceError, match="already exists"):
        import_voice(source)
    with pytest.raises(VoiceError, match="already exists"):
        rename_voice("ana", "bea")
    rename_voice("ana", "cleo")
    voices = {v.name: v for v in library_voices()}
    assert sorted(voices) == ["bea", "cleo"] and voices["cleo"].pitch_scale == 1.2
    assert np.array_equal(voices["cleo"].style, jm.style[:1])
