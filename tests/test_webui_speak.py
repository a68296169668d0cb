"""The Speak tab, History and presets in a real browser (tests/webui_browser.py) against the real models:
speech made from the Speak tab says the words typed and lasts the length asked; History replays and reuses
a render; presets keep emotion and timing; the interface switches to Chinese. And the stores under them."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from webui_browser import SECONDS, SENTENCE, choose, download, fetch, radio, tab, toast, wait_for

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.emotion import EMOTIONS
from vocalis.errors import VoiceError
from vocalis.studio.webui.history import commit_entry, delete_entry, entries, history_dir, new_entry
from vocalis.studio.webui.presets import presets, presets_path, save_preset
from vocalis.studio.webui.settings import SpeakSettings
from vocalis.text.error_rate import wer
from vocalis.voice import builtin_voices
from vocalis.voice.library import import_voice, library_voices, rename_voice
from vocalis.voice.voice import Voice


@pytest.mark.slow  # a real browser
def test_speak_renders_the_text_at_the_asked_length(page: Page, shots, tmp_path, record_property):
    tab(page, "Speak")
    page.fill("#speak-text textarea", "")
    page.click("#speak-generate")
    message = toast(page)
    assert "the text is empty" in message and "Traceback" not in message  # a one-line error, not a crash
    page.locator(".toast-close").first.click()

    page.fill("#speak-text textarea", SENTENCE + " It was warm.")
    page.click("#speak-segments")
    page.click("#speak-segments-button")
    rows = page.locator("#speak-segments-table .virtual-row")
    expect(rows).to_have_count(2)  # two sentences, two segments
    expect(rows.first).to_contain_text("walked along the river")

    page.fill("#speak-text textarea", SENTENCE)
    radio(page, "speak-timing", "Exact length")
    expect(page.locator("#speak-duration input")).to_have_value(re.compile(r"^[1-9]"))  # the natural length
    page.fill("#speak-duration input", str(SECONDS))
    page.click("#speak-generate")
    expect(page.locator("#speak-status")).to_contain_text("Saved to the history", timeout=120_000)
    record_property("screenshot_speak", str(shots(page, "speak")))

    audio = Audio.load(download(page, "#speak-files a[download$='.wav']", tmp_path / "speech.wav"))
    assert len(audio.samples) == round(SECONDS * audio.sample_rate)  # exactly the length asked, to the sample
    heard = transcribe(audio, lang="en")
    assert wer(SENTENCE, heard) <= 0.2, heard
    srt = fetch(page, page.locator("#speak-files a[download$='.srt']").first.get_attribute("href"),
                 tmp_path / "speech.srt").read_text(encoding="utf-8")
    assert "00:00:00," in srt and "-->" in srt and "walked along the river" in srt


@pytest.mark.slow  # a real browser
def test_history_replays_and_reuses_a_render(page: Page, shots, tmp_path, record_property):
    tab(page, "History")
    expect(page.locator("#history-table")).to_contain_text("walked along the river")
    choose(page, "history-entry", "We walked")
    expect(page.locator("#history-details")).to_contain_text("4.50 s", timeout=30_000)
    link = page.locator("#history-audio a[download]").first
    expect(link).to_be_attached()
    audio = Audio.load(fetch(page, link.get_attribute("href"), tmp_path / "replay.wav"))
    assert len(audio.samples) == round(SECONDS * audio.sample_rate)
    record_property("screenshot_history", str(shots(page, "history")))

    tab(page, "Speak")
    page.fill("#speak-text textarea", "something else")
    radio(page, "speak-timing", "Natural")
    tab(page, "History")
    page.click("#history-reuse")
    expect(page.locator("#speak-text textarea")).to_have_value(SENTENCE)  # back on Speak with the same settings
    expect(page.locator("#speak-duration input")).to_have_value(str(SECONDS))


@pytest.mark.slow  # a real browser
def test_presets_keep_and_restore_emotion_and_timing(page: Page):
    tab(page, "Speak")
    radio(page, "speak-emotion", "Sliders")
    happy = page.locator("#speak-emotion-happy input[type=number]")
    happy.fill("0.8")
    happy.press("Enter")
    tab(page, "Library")
    page.fill("#preset-name textarea", "cheerful")
    page.click("#preset-save")
    expect(page.locator("#preset-pick input")).to_have_value("cheerful", timeout=30_000)
    saved = presets()["cheerful"]
    assert saved.emotion_method == "vector" and saved.emotion_vector[EMOTIONS.index("happy")] == 0.8
    assert saved.timing == "duration" and saved.duration == SECONDS  # from the History entry reused above

    tab(page, "Speak")
    radio(page, "speak-emotion", "As the voice speaks")
    radio(page, "speak-timing", "Natural")
    tab(page, "Library")
    page.click("#preset-apply")
    expect(page.locator("#speak-duration input")).to_have_value(str(SECONDS))  # back on Speak, restored
    expect(happy).to_have_value("0.8")
    rendered = len(entries())
    page.click("#speak-generate")
    wait_for(lambda: len(entries()) > rendered, 120)
    assert entries()[0].settings.emotion_summary() == "happy=0.80"  # rendered with the preset's emotion


@pytest.mark.slow  # a real browser
def test_interface_switches_to_chinese(page: Page, shots, record_property):
    radio(page, "ui-language", "中文")
    for label in ("朗读", "克隆", "训练", "声音库", "历史"):
        expect(page.get_by_role("tab", name=label)).to_be_visible()
    expect(page.locator("#speak-generate")).to_have_text("生成")
    expect(page.locator("#speak-text")).to_contain_text("文本")
    expect(page.locator("#speak-segments-table")).to_contain_text("段后停顿")  # the preview's titles too
    record_property("screenshot_speak_zh", str(shots(page, "speak-zh")))
    radio(page, "ui-language", "English")
    expect(page.locator("#speak-generate")).to_have_text("Generate")


def test_history_lists_whole_entries_only(tmp_path):
    settings = SpeakSettings(voice="jm_kumo", emotion_method="text", emotion_text="calmly", timing="speed", speed=1.5)
    kept = []
    for text in ("First.", "Second."):
        entry_id, path = new_entry(".flac")
        Audio(np.zeros(2400, np.float32), 24000).save(path)
        kept.append(commit_entry(entry_id, text, settings, path, 0.1, []))
    torn_id, torn = new_entry(".wav")  # audio written, record never committed: not an entry
    Audio(np.zeros(10, np.float32), 24000).save(torn)
    kept[0].audio.unlink()  # its audio gone: not listed
    listed = entries()
    assert [e.text for e in listed] == ["Second."]
    assert listed[0].settings == settings and listed[0].audio.suffix == ".flac" and listed[0].subtitles is None
    delete_entry(kept[1].id)
    assert entries() == [] and not kept[1].audio.exists()


def test_history_records_of_an_earlier_version_move_into_the_database():
    """Earlier versions kept each record as a JSON file beside its audio; the first listing moves them into the
    database and leaves an unreadable one where it is."""
    folder = history_dir()
    folder.mkdir(parents=True, exist_ok=True)
    Audio(np.zeros(2400, np.float32), 24000).save(folder / "20250131-142501-123456.wav")
    (folder / "20250131-142501-123456.json").write_text(json.dumps({
        "text": "Old.", "settings": SpeakSettings(voice="jf_alpha", speed=1.2).to_dict(),
        "audio": "20250131-142501-123456.wav", "subtitles": None, "seconds": 0.1, "render_s": 0.5}))
    (folder / "20250131-142502-000000.json").write_text("{not json", encoding="utf-8")
    [entry] = entries()
    assert (entry.text, entry.settings.voice, entry.settings.speed, entry.render_s) == ("Old.", "jf_alpha", 1.2, 0.5)
    assert sorted(p.name for p in folder.glob("*.json")) == ["20250131-142502-000000.json"]
    assert [e.id for e in entries()] == [entry.id]  # moved once

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
