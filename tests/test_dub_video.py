"""Dubbing a video (`Vocalis.dub_video`, `vocalis dub VIDEO --subs`): real test videos built with FFmpeg (testsrc
picture, real emotional speech from ESD as the original dialogue, a music bed under it), dubbed for real, then
checked: the video stream copied, each cue window holding the new line (Whisper), the original kept outside the
cues, the angry cue louder and higher, the marks and the manifest found, a stopped dub resumed, a cancelled one
leaving nothing, and one clear line for each bad input."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from shared_data import SPEECH
from video_fixtures import make_video, soundtrack

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.media import read_window
from vocalis.service import Vocalis
from vocalis.service.video_dub import DubOptions
from vocalis.service.video_mix import DubCancelled

ESD = SPEECH / "esd" / "0013"
NEUTRAL, ANGRY = ESD / "0013_000002_neutral_src.wav", ESD / "0013_000351.wav"
pytestmark = pytest.mark.shared_data(NEUTRAL, ANGRY)
SECONDS = 14.0
LINES = [(1.0, 4.2, "The museum opens at nine in the morning."),
         (6.0, 9.9, "Get out of my house and never come back!"),
         (11.0, 13.5, "{sad} We walked along the river until dark.")]


def _srt(lines: list[tuple[float, float, str]]) -> str:
    def stamp(s: float) -> str:
        return f"00:00:{int(s):02d},{round((s % 1) * 1000):03d}"

    return "".join(f"{k + 1}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n" for k, (a, b, text) in enumerate(lines))


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The original video (neutral line at 1 s, angry line at 6 s, music under both), its new lines, a home."""
    folder = tmp_path_factory.mktemp("dub-video")
    speech = [(1.0, Audio.load(NEUTRAL)), (6.0, Audio.load(ANGRY))]
    video = make_video(folder / "scene.mp4", SECONDS, soundtrack(SECONDS, speech, music_db=-42))
    subs = folder / "new_lines.srt"
    subs.write_text(_srt(LINES), encoding="utf-8")
    return video, subs, folder


@pytest.fixture(scope="module")
def dubbed(tts: Vocalis, scene, tmp_path_factory):
    """The scene dubbed, after a first run stopped (as a kill would) once two cues had rendered."""
    video, subs, folder = scene
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("dub-home")
    mp.setenv("VOCALIS_HOME", str(home))
    out = folder / "dubbed.mp4"

    class Killed(Exception):
        pass

    def kill_after_two(p) -> None:
        if p.stage == "rendering" and p.done == 2:
            raise Killed

    with pytest.raises(Killed):
        tts.dub_video(video, subs, out, progress=kill_after_two)
    assert not out.exists()
    events = []
    result = tts.dub_video(video, subs, out, progress=events.append)
    yield result, events, home
    mp.undo()


def _video_packets(path: Path) -> tuple[str, int, list[str]]:
    import av

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        digests = [hashlib.sha256(bytes(p)).hexdigest() for p in c.demux(stream) if p.size]
        return stream.codec_context.name, len(digests), digests


def test_the_video_stream_is_copied_not_reencoded(scene, dubbed):
    video = scene[0]
    result = dubbed[0]
    codec, frames, digests = _video_packets(video)
    codec2, frames2, digests2 = _video_packets(result.path)
    assert (codec2, frames2) == (codec, frames) == ("h264", round(SECONDS * 10))
    assert digests2 == digests  # every packet byte for byte


def test_each_cue_window_holds_the_new_line(scene, dubbed):
    from vocalis.asr import transcribe
    from vocalis.text.error_rate import wer

    result = dubbed[0]
    heard = [transcribe(read_window(result.path, start, end), "en") for start, end, _text in LINES]
    said = [cue.text for cue in result.cues]
    assert wer(" ".join(said), " ".join(heard)) <= 0.10, (said, heard)  # one word in ten, over the three lines
    assert result.outside == []  # every line inside its window, to the sample
    rate = 24_000
    for (start, end, _text), cue in zip(LINES, result.cues, strict=True):
        assert round(start * rate) <= round(cue.start * rate) and round(cue.end * rate) <= round(end * rate)


def test_outside_the_cues_the_original_is_kept(scene, dubbed):
    video, result = scene[0], dubbed[0]
    for start, end in ((0.0, 0.85), (4.4, 5.8), (10.1, 10.85), (13.7, 13.95)):
        before, after = read_window(video, start, end).samples, read_window(result.path, start, end).samples
        assert np.corrcoef(before, after)[0, 1] > 0.95, (start, end)
        assert abs(np.std(after) / np.std(before) - 1) < 0.1, (start, end)
    inside = read_window(video, 1.5, 3.5).samples - read_window(result.path, 1.5, 3.5).samples
    assert np.std(inside) > 0.5 * np.std(read_window(video, 1.5, 3.5).samples)  # the dialogue was replaced


def test_the_angry_cue_renders_louder_and_higher_than_the_neutral_one(dubbed):
    from vocalis.emotion.from_audio import measure

    result = dubbed[0]
    neutral, angry, sad = result.cues
    assert neutral.source == "original" and angry.source == "original" and sad.source == "override"
    # read as an aroused emotion (the eval reports which one, and how often it is right)
    assert angry.original.label not in ("neutral", "sad", "melancholic", "calm") and angry.original.intensity > 0
    windows = [read_window(result.path, c.start, c.end) for c in (neutral, angry)]
    loudness = [float(np.sqrt(np.mean(w.samples ** 2))) for w in windows]
    pitch = [measure(w).f0_hz for w in windows]
    assert loudness[1] > loudness[0] and pitch[1] > pitch[0], (loudness, pitch)
    assert "->" in angry.check() and "override" in sad.check()


def test_a_stopped_dub_resumes_at_its_first_unfinished_cue(dubbed):
    from vocalis.trust.audit import AuditLog

    result, events, home = dubbed
    rendered = [e for e in events if e.stage == "rendering"]
    assert [e.done for e in rendered] == [1, 2, 3] and all(e.cue is not None for e in rendered)
    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(home))
    try:
        # the first run recorded two lines, the resumed run only the third: nothing was rendered twice
        assert len([r for r in AuditLog().records() if r.event == "synthesis"]) == 3
        assert not any((home / "dubbing").iterdir())  # the work is gone once the file is written
    finally:
        mp.undo()


def test_verify_finds_the_marks_and_the_manifest(dubbed):
    from vocalis.trust.verify import verify_file

    result, _events, home = dubbed
    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(home))
    try:
        report = verify_file(result.path)
    finally:
        mp.undo()
    assert result.signed and report.manifest.state == "trusted", report.text()
    lines = report.manifest.credentials.lines  # the manifest names each line's emotion source
    assert [line["emotion_source"] for line in lines] == ["original", "original", "override"], lines
    assert report.marks.perth and report.marks.id is not None and report.records, report.text()


def test_a_cancelled_dub_leaves_nothing(tts, scene, tmp_path):
    video, subs, _folder = scene
    out = tmp_path / "cancelled.mp4"
    seen = []
    with pytest.raises(DubCancelled):
        tts.dub_video(video, subs, out, DubOptions(emotion_from="none"), progress=seen.append,
                      cancel=lambda: any(p.stage == "rendering" for p in seen))
    assert not out.exists() and not list(tmp_path.iterdir())
    from vocalis.home import data_home

    assert not (data_home() / "dubbing").exists() or not any((data_home() / "dubbing").iterdir())


def test_keep_original_audio_adds_the_original_as_a_second_track(tts, scene, tmp_path):
    import av

    video, _subs, _folder = scene
    subs = tmp_path / "one.srt"
    subs.write_text(_srt(LINES[:1]), encoding="utf-8")
    out = tmp_path / "both.mkv"
    result = tts.dub_video(video, subs, out, DubOptions(emotion_from="none", keep_original_audio=True))
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio", "audio"]
    assert not result.signed  # Matroska has no room for a C2PA manifest; the summary says so


@pytest.mark.parametrize(("case", "message"), [
    ("no audio", "has no audio track"),
    ("past the end", "runs past the video's end"),
    ("overlapping", "must not overlap"),
    ("not a video", "cannot read"),
    ("webm of h264", "cannot hold this video's h264"),
    ("bad override", "cue 1's emotion"),
])
def test_bad_inputs_get_one_clear_line(tts, scene, tmp_path, case, message):
    video, subs, _folder = scene
    out = tmp_path / "out.mp4"
    if case == "no audio":
        video = make_video(tmp_path / "silent.mp4", 3.0, None)
    elif case == "past the end":
        subs = tmp_path / "late.srt"
        subs.write_text(_srt([(15.0, 17.0, "Too late.")]), encoding="utf-8")
    elif case == "overlapping":
        subs = tmp_path / "overlap.srt"
        subs.write_text(_srt([(1.0, 3.0, "One."), (2.0, 4.0, "Two.")]), encoding="utf-8")
    elif case == "not a video":
        video = tmp_path / "notes.mp4"
        video.write_text("not a video", encoding="utf-8")
    elif case == "webm of h264":
        out = tmp_path / "out.webm"
    else:
        subs = tmp_path / "override.srt"
        subs.write_text(_srt([(1.0, 3.0, "{angry=7} One.")]), encoding="utf-8")
    with pytest.raises(VocalisError, match=message) as e:
        tts.dub_video(video, subs, out)
    assert "\n" not in str(e.value) and not out.exists()


def test_the_cli_dubs_a_video_and_shows_each_cues_emotion(scene, tmp_path):
    video, _subs, _folder = scene
    subs = tmp_path / "two.srt"
    subs.write_text(_srt(LINES[:2]), encoding="utf-8")
    out = tmp_path / "cli.mp4"
    run = subprocess.run([sys.executable, "-m", "vocalis.studio.cli", "dub", str(video), "--subs", str(subs),
                          "-o", str(out), "--emotion-weight", "0.8"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert out.is_file() and "original:" in run.stderr and "-> dubbed:" in run.stderr, run.stderr
    silent = make_video(tmp_path / "silent.mp4", 2.0, None)
    bad = subprocess.run([sys.executable, "-m", "vocalis.studio.cli", "dub", str(silent), "--subs", str(subs)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "has no audio track" in bad.stderr and "Traceback" not in bad.stderr


def test_the_dub_tab_shows_each_cues_emotion_and_takes_overrides(scene):
    """The web UI's Read emotions: a row per cue with the emotion found in the original and the cue's own
    override; an edited override column becomes the dub's overrides."""
    from vocalis.studio.webui.dub_tab import OVERRIDE, _overrides, _reader

    video, subs, _folder = scene
    table = _reader()(str(video), str(subs), "original", 1.0, "en", progress=lambda *_a, **_k: None)
    assert len(table) == 3 and list(table.iloc[:, OVERRIDE]) == ["", "", "sad"]
    assert table.iloc[1, 3] not in ("", "neutral")  # the angry original, read
    table.iloc[0, OVERRIDE] = "happy=0.5"
    assert _overrides(table) == {0: "happy=0.5", 2: "sad"}


def test_an_audio_file_without_a_channel_layout_is_dubbed_into_m4a(tts, tmp_path):
    """A plain mono wav (no stored channel layout) in, `NAME.dubbed.m4a` beside it out."""
    import av
    import soundfile as sf
    from video_fixtures import RATE

    wav = tmp_path / "podcast.wav"
    sf.write(wav, soundtrack(6.0, [(1.0, Audio.load(ANGRY))]), RATE)
    subs = tmp_path / "one.srt"
    subs.write_text(_srt([(1.0, 4.5, "Get out of my house and never come back!")]), encoding="utf-8")
    result = tts.dub_video(wav, subs, options=DubOptions(emotion_from="none"))
    assert result.path == tmp_path / "podcast.dubbed.m4a" and result.signed
    with av.open(str(result.path)) as c:
        assert [s.type for s in c.streams] == ["audio"]
