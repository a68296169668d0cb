"""The Market tab in a real browser: a consenting voice of the user's is published with its price, found by a
search, its watermarked sample played from its package, licensed, and spoken with once funds are in (Whisper
hears the words); the earnings panel then shows the balance the ledger holds and a point on its chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui_browser import choose, fetch, tab

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.market.ledger import balance
from vocalis.text.error_rate import wer
from vocalis.trust.audit import local_user
from vocalis.trust.consent import grant_written
from vocalis.voice import default_voice
from vocalis.voice.library import save_voice
from vocalis.voice.voice import Voice

TEXT = "The garden gate is open."


@pytest.mark.slow  # a real browser
def test_publish_find_license_and_speak_in_the_market_tab(page: Page, shots, tmp_path, record_property):
    voice = Voice(name="mara", style=default_voice("en").style, pitch_scale=1.12, meta={"source": "clone"},
                  description="bright narrator")
    save_voice(voice)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 mara authorises a synthetic copy of her voice")
    grant_written(voice, document, "user:operator")

    tab(page, "Market")
    choose(page, "market-voice", "mara")
    page.fill("#market-per-use input", "2000000")
    page.fill("#market-tags textarea, #market-tags input", "narration, bright")
    page.click("#market-publish")
    expect(page.locator("#market-published")).to_contain_text("Published mara", timeout=120_000)

    page.fill("#market-query textarea, #market-query input", "narrator")
    page.click("#market-search")
    cell = page.locator("#market-table").get_by_text("mara", exact=True).locator("visible=true").first
    expect(cell).to_be_visible(timeout=30_000)
    cell.click()
    expect(page.locator("#market-terms")).to_contain_text("2000000 wei per use", timeout=30_000)
    link = page.locator("#market-sample a[download]").first
    expect(link).to_be_attached(timeout=30_000)
    sample = Audio.load(fetch(page, link.get_attribute("href"), tmp_path / "sample.wav"))
    assert sample.duration > 2

    page.click("#market-license")
    expect(page.locator("#market-terms")).to_contain_text("Licence", timeout=30_000)
    page.fill("#market-amount input", "5000000")
    page.click("#market-deposit")
    expect(page.locator("#market-books")).to_contain_text("balance 5000000 wei", timeout=30_000)
    page.fill("#market-text textarea", TEXT)
    page.click("#market-speak")
    link = page.locator("#market-audio a[download]").first
    expect(link).to_be_attached(timeout=120_000)
    spoken = Audio.load(fetch(page, link.get_attribute("href"), tmp_path / "spoken.wav"))
    assert wer(TEXT, transcribe(spoken, lang="en")) <= 0.2
    # The user is creator and buyer here: 2,000,000 (+ characters at 0 wei) spent, 80 % earned back.
    expect(page.locator("#market-books")).to_contain_text("earned 1600000 wei", timeout=30_000)
    assert balance(local_user()) == 5_000_000 - 2_000_000 + 1_600_000
    shown = page.locator("#market-books").inner_text()
    assert re.search(r"spent 2000000 wei", shown), shown
    record_property("screenshot_market", str(shots(page, "market")))
